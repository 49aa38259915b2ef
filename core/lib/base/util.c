/* SPDX-License-Identifier: MIT */
/* util.c - strings, paths, durable writes and tree removal. */
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/*
 * Bounds the recursion of sk_remove_tree() (stack and one descriptor per
 * level); deeper trees fail with -ELOOP instead of exhausting either.
 */
#define SK_REMOVE_TREE_MAX_DEPTH 4096

char *sk_vasprintf(const char *fmt, va_list ap)
{
	char *buf;

	if (vasprintf(&buf, fmt, ap) < 0)
		return NULL;
	return buf;
}

char *sk_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *buf;

	va_start(ap, fmt);
	buf = sk_vasprintf(fmt, ap);
	va_end(ap);
	return buf;
}

void sk_strv_free(char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

int sk_split_list(const char *value, char ***out, size_t *n)
{
	char **l = NULL, **g;
	size_t count = 0;
	const char *p = value;
	int err = -EINVAL;

	*out = NULL;
	*n = 0;
	while (*p) {
		const char *end = p + strcspn(p, ",");
		const char *a = p, *b = end;

		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (a == b)
			goto fail;
		p = *end ? end + 1 : end;
		if (*end && !*p)
			goto fail; /* trailing comma */
		err = -ENOMEM;
		g = realloc(l, (count + 1) * sizeof(*l));
		if (!g)
			goto fail;
		l = g;
		l[count] = strndup(a, (size_t)(b - a));
		if (!l[count])
			goto fail;
		count++;
		err = -EINVAL;
	}
	*out = l;
	*n = count;
	return 0;
fail:
	sk_strv_free(l, count);
	return err;
}

char *sk_path_join(const char *a, const char *b)
{
	size_t alen = strlen(a);
	size_t blen;
	char *out;

	if (alen == 0)
		return strdup(b);
	while (alen > 0 && a[alen - 1] == '/')
		alen--;
	while (*b == '/')
		b++;
	blen = strlen(b);
	if (blen > SIZE_MAX - 2 || alen > SIZE_MAX - 2 - blen)
		return NULL;
	out = malloc(alen + blen + 2);
	if (!out)
		return NULL;
	memcpy(out, a, alen);
	out[alen] = '/';
	memcpy(out + alen + 1, b, blen + 1);
	return out;
}

int sk_mkdir_p(const char *path, mode_t mode)
{
	struct stat st;
	char *buf;
	size_t i, len = strlen(path);
	int ret = 0;

	if (len == 0)
		return -ENOENT;
	buf = strdup(path);
	if (!buf)
		return -ENOMEM;
	/* Create each prefix ending before a '/', then the whole path. */
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		if (buf[i - 1] == '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) != 0) {
			int err = errno;

			/* An existing directory may also give EACCES or
			 * EROFS rather than EEXIST. */
			if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
				ret = err == EEXIST ? -ENOTDIR : -err;
				goto out;
			}
		}
		if (i < len)
			buf[i] = '/';
	}
out:
	free(buf);
	return ret;
}

int sk_read_small_fd(int fd, size_t max, char **out, size_t *len,
		     struct stat *st)
{
	struct stat own;

	*out = NULL;
	*len = 0;
	if (!st)
		st = &own;
	if (fstat(fd, st) != 0)
		return -errno;
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	if ((unsigned long long)st->st_size > max)
		return -EFBIG;
	return sk_read_all(fd, max, out, len);
}

int sk_read_small_file_at(int dirfd, const char *path, int flags, size_t max,
			  char **out, size_t *len, struct stat *st)
{
	int fd, r;

	*out = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO planted there must not hang the reader. */
	fd = openat(dirfd, path,
		    O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | flags);
	if (fd < 0)
		return -errno;
	r = sk_read_small_fd(fd, max, out, len, st);
	close(fd);
	return r;
}

int sk_read_small_file(const char *path, int flags, size_t max, char **out,
		       size_t *len, struct stat *st)
{
	return sk_read_small_file_at(AT_FDCWD, path, flags, max, out, len, st);
}

int sk_read_all(int fd, size_t max, char **out, size_t *len)
{
	size_t cap = max < 65536 ? max + 1 : 65536, got = 0;
	char *buf = malloc(cap + 1), *g;

	*out = NULL;
	*len = 0;
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (got == cap) {
			/* One byte past max tells "too large" from "exactly". */
			cap = cap > max - cap ? max + 1 : cap * 2;
			g = realloc(buf, cap + 1);
			if (!g) {
				free(buf);
				return -ENOMEM;
			}
			buf = g;
		}
		n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			free(buf);
			return -err;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max) {
			free(buf);
			return -EFBIG;
		}
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

int sk_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Split path into a malloc'd directory ("." if none) and its last
 * component (pointing into path). */
static int split_path(const char *path, char **dir, const char **base)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		*dir = strdup(".");
		*base = path;
	} else if (slash == path) {
		*dir = strdup("/");
		*base = slash + 1;
	} else {
		*dir = strndup(path, (size_t)(slash - path));
		*base = slash + 1;
	}
	return *dir ? 0 : -ENOMEM;
}

/* fsync the directory open as fd: some file systems cannot, and that is
 * not a loss. */
static int sync_dir_fd(int fd)
{
	if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
		return -errno;
	return 0;
}

int sk_fsync_dir(const char *dir)
{
	char *parent = NULL;
	const char *base;
	int fd, ret = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOTDIR) {
		ret = split_path(dir, &parent, &base);
		if (ret)
			return ret;
		fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = sync_dir_fd(fd);
	close(fd);
out:
	free(parent);
	return ret;
}

/* Six letters or digits, as mkostemp() would choose (sk_atomic_sweep()
 * knows its temporaries by them). Unpredictable where the kernel has
 * getrandom(); the name is created with O_EXCL either way. */
static void temp_suffix(char out[7])
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz"
				  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	static unsigned long long counter;
	unsigned char rnd[6];

	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(rnd)) {
		struct timespec ts;
		unsigned long long x;

		clock_gettime(CLOCK_REALTIME, &ts);
		x = (unsigned long long)ts.tv_nsec ^
		    ((unsigned long long)ts.tv_sec << 30) ^
		    ((unsigned long long)getpid() << 40) ^
		    (++counter * 0x9e3779b97f4a7c15ULL);
		for (size_t i = 0; i < sizeof(rnd); i++, x >>= 8)
			rnd[i] = (unsigned char)x;
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		out[i] = set[rnd[i] % (sizeof(set) - 1)];
	out[6] = '\0';
}

/*
 * Create the temporary of name (its last component) in a->dirfd: a->dir
 * set, by its path (a->dirfd AT_FDCWD); else in the directory open as
 * a->dirfd. Never through a link; mode applied.
 */
static int atomic_start(struct sk_atomic *a, const char *name, mode_t mode)
{
	char suffix[7];
	int tries;

	if (*name == '\0')
		return -EISDIR;
	if (strchr(name, '/'))
		return -EINVAL;
	for (tries = 0; tries < 100; tries++) {
		free(a->tmp);
		temp_suffix(suffix);
		a->tmp = a->dir ? sk_asprintf("%s/.%s.%s", a->dir, name, suffix)
				: sk_asprintf(".%s.%s", name, suffix);
		if (!a->tmp)
			return -ENOMEM;
		a->tmp_name = a->tmp;
		a->fd = openat(a->dirfd, a->tmp_name,
			       O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
				       O_CLOEXEC,
			       0600);
		if (a->fd >= 0 || errno != EEXIST)
			break;
	}
	if (a->fd < 0) {
		int ret = tries == 100 ? -EEXIST : -errno;

		free(a->tmp);
		a->tmp = NULL;
		return ret;
	}
	if (fchmod(a->fd, mode) != 0)
		return -errno;
	return 0;
}

static void atomic_init(struct sk_atomic *a)
{
	memset(a, 0, sizeof(*a));
	a->fd = -1;
	a->dirfd = -1;
}

int sk_atomic_open(struct sk_atomic *a, const char *path, mode_t mode)
{
	const char *base;
	int ret;

	atomic_init(a);
	ret = split_path(path, &a->dir, &base);
	if (ret)
		return ret;
	if (*base == '\0')
		return -EISDIR;
	a->path = strdup(path);
	if (!a->path)
		return -ENOMEM;
	a->name = a->path;
	a->dirfd = AT_FDCWD;
	return atomic_start(a, base, mode);
}

int sk_atomic_open_at(struct sk_atomic *a, int dirfd, const char *name,
		      mode_t mode)
{
	atomic_init(a);
	a->path = strdup(name);
	if (!a->path)
		return -ENOMEM;
	a->name = a->path;
	a->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (a->dirfd < 0)
		return -errno;
	return atomic_start(a, name, mode);
}

int sk_atomic_commit(struct sk_atomic *a)
{
	int ret;

	if (fsync(a->fd) != 0) {
		ret = -errno;
		return ret;
	}
	ret = close(a->fd);
	a->fd = -1;
	if (ret != 0)
		return -errno;
	/* By path: rename(), what a tracer of durable writes watches. */
	if (a->dir ? rename(a->tmp, a->path)
		   : renameat(a->dirfd, a->tmp_name, a->dirfd, a->name))
		return -errno;
	free(a->tmp);
	a->tmp = NULL;
	return a->dir ? sk_fsync_dir(a->dir) : sync_dir_fd(a->dirfd);
}

void sk_atomic_release(struct sk_atomic *a)
{
	if (a->fd >= 0)
		close(a->fd);
	if (a->tmp) {
		unlinkat(a->dirfd, a->tmp_name, 0);
		free(a->tmp);
	}
	if (a->dirfd >= 0)
		close(a->dirfd);
	free(a->path);
	free(a->dir);
	atomic_init(a);
}

/* Write data through a (opened as ret says), commit, release. */
static int write_whole(struct sk_atomic *a, int ret, const void *data,
		       size_t len)
{
	if (!ret)
		ret = sk_write_all(a->fd, data, len);
	if (!ret)
		ret = sk_atomic_commit(a);
	sk_atomic_release(a);
	return ret;
}

int sk_write_file_atomic(const char *path, const void *data, size_t len,
			 mode_t mode)
{
	struct sk_atomic a;

	return write_whole(&a, sk_atomic_open(&a, path, mode), data, len);
}

int sk_write_file_atomic_at(int dirfd, const char *name, const void *data,
			    size_t len, mode_t mode)
{
	struct sk_atomic a;

	return write_whole(&a, sk_atomic_open_at(&a, dirfd, name, mode), data,
			   len);
}

static int remove_at(int dirfd, const char *name, int depth);

/* Empty the directory open as fd (consumed). */
static int remove_contents(int fd, int depth)
{
	struct dirent *de;
	DIR *dp;
	int ret = 0;

	dp = fdopendir(fd);
	if (!dp) {
		ret = -errno;
		close(fd);
		return ret;
	}
	for (;;) {
		errno = 0;
		de = readdir(dp);
		if (!de) {
			if (errno)
				ret = -errno;
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		ret = remove_at(dirfd(dp), de->d_name, depth + 1);
		if (ret)
			break;
	}
	closedir(dp);
	return ret;
}

static int remove_at(int dirfd, const char *name, int depth)
{
	struct stat st;
	int fd, ret;

	if (depth > SK_REMOVE_TREE_MAX_DEPTH)
		return -ELOOP;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0) == 0 ? 0 : -errno;
	/* O_NOFOLLOW: a directory swapped for a link is not entered. */
	fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = remove_contents(fd, depth);
	if (ret)
		return ret;
	return unlinkat(dirfd, name, AT_REMOVEDIR) == 0 ? 0 : -errno;
}

int sk_remove_tree_at(int dirfd, const char *name)
{
	if (!*name || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return -EINVAL;
	return remove_at(dirfd, name, 0);
}

int sk_remove_tree(const char *path)
{
	char *copy, *dir = NULL;
	const char *base;
	size_t len;
	int dfd = -1, ret;

	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	len = strlen(copy);
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	ret = split_path(copy, &dir, &base);
	if (ret)
		goto out;
	if (*base == '\0' || !strcmp(base, ".") || !strcmp(base, "..")) {
		ret = -EINVAL;
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		ret = -errno;
		goto out;
	}
	ret = remove_at(dfd, base, 0);
out:
	if (dfd >= 0)
		close(dfd);
	free(dir);
	free(copy);
	return ret;
}

long long sk_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool sk_utc_format(time_t t, char buf[32])
{
	struct tm tm;

	return gmtime_r(&t, &tm) &&
	       strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) != 0;
}

const char *sk_utc_text(time_t t, char buf[32])
{
	if (!sk_utc_format(t, buf))
		snprintf(buf, 32, "@%lld", (long long)t);
	return buf;
}

void sk_utc_now(char buf[32])
{
	time_t now = time(NULL);

	if (now == (time_t)-1 || !sk_utc_format(now, buf))
		snprintf(buf, 32, "1970-01-01T00:00:00Z");
}

bool sk_parse_u64(const char *s, unsigned long long *out)
{
	unsigned long long v = 0;

	if (!s || *s == '\0')
		return false;
	for (; *s; s++) {
		unsigned int digit;

		if (*s < '0' || *s > '9')
			return false;
		digit = (unsigned int)(*s - '0');
		if (v > (ULLONG_MAX - digit) / 10)
			return false;
		v = v * 10 + digit;
	}
	*out = v;
	return true;
}

const char *sk_show(const char *s, size_t len, char out[SK_SHOW_MAX])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (o + 8 > SK_SHOW_MAX) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (ch >= 0x20 && ch < 0x7f && ch != '\\' && ch != '\'') {
			out[o++] = (char)ch;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 0xf];
		}
	}
	out[o] = '\0';
	return out;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
	size_t n;
	unsigned int cp, min;

	if (s[0] < 0x80)
		return s[0] ? 1 : 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2; cp = s[0] & 0x1f; min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3; cp = s[0] & 0x0f; min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4; cp = s[0] & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

char *sk_utf8_clean(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	char *out, *o;

	/* Each bad byte grows to 3 bytes at most. */
	if (len > (SIZE_MAX - 1) / 3)
		return NULL;
	out = malloc(len * 3 + 1);
	if (!out)
		return NULL;
	o = out;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(u + i, len - i);

		if (n) {
			memcpy(o, u + i, n);
			o += n;
			i += n;
		} else {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	*o = '\0';
	return out;
}

json_object *sk_json_str(const char *s)
{
	char *clean;
	json_object *o;

	if (!s)
		return NULL;
	clean = sk_utf8_clean(s, strlen(s));
	if (!clean)
		return NULL;
	o = json_object_new_string(clean);
	free(clean);
	return o;
}

char *sk_show_text(const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	char *out, *o;

	/* The longest escape, "\u00HH", stands for 2 bytes: 3 per byte; a
	 * "\xHH" is 4 for 1. */
	if (len > (SIZE_MAX - 1) / 4)
		return NULL;
	out = malloc(len * 4 + 1);
	if (!out)
		return NULL;
	o = out;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(u + i, len - i);

		if (n == 1 && u[i] >= 0x20 && u[i] != 0x7f) {
			*o++ = (char)u[i++];
		} else if (n == 1 && (u[i] == '\n' || u[i] == '\r' ||
				      u[i] == '\t')) {
			*o++ = '\\';
			*o++ = u[i] == '\n' ? 'n' : u[i] == '\r' ? 'r' : 't';
			i++;
		} else if (n == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0) {
			memcpy(o, "\\u00", 4);
			o[4] = hex[u[i + 1] >> 4];
			o[5] = hex[u[i + 1] & 0xf];
			o += 6;
			i += 2;
		} else if (n > 1) {
			memcpy(o, u + i, n);
			o += n;
			i += n;
		} else {
			/* A C0 control, DEL, NUL or a byte of no valid
			 * sequence. */
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[u[i] >> 4];
			*o++ = hex[u[i] & 0xf];
			i++;
		}
	}
	*o = '\0';
	return out;
}

/* Is entry ".<name>.XXXXXX", as mkostemp() fills in the X's? */
static bool is_temp_of(const char *entry, const char *name)
{
	size_t len = strlen(name);

	if (entry[0] != '.' || strncmp(entry + 1, name, len) != 0 ||
	    entry[1 + len] != '.' || strlen(entry + 2 + len) != 6)
		return false;
	for (const char *p = entry + 2 + len; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')))
			return false;
	return true;
}

int sk_atomic_sweep(const char *dir, const char *name)
{
	struct dirent *de;
	struct stat st;
	DIR *dp;
	int fd, removed = 0, r = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	dp = fdopendir(fd);
	if (!dp) {
		r = -errno;
		close(fd);
		return r;
	}
	for (;;) {
		errno = 0;
		de = readdir(dp);
		if (!de) {
			if (errno)
				r = -errno;
			break;
		}
		if (!is_temp_of(de->d_name, name) ||
		    fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(fd, de->d_name, 0) == 0)
			removed++;
		else if (errno != ENOENT)
			r = -errno;
	}
	closedir(dp);
	/* Their removal need not be durable: a temporary that comes back
	 * after a power loss is swept again. */
	return r ? r : removed;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

int sk_list_dir(int dfd, char ***names, size_t *n)
{
	struct dirent *de;
	char **l = NULL, **g;
	size_t count = 0;
	DIR *dp = fdopendir(dfd);
	int ret = 0;

	if (!dp) {
		ret = -errno;
		close(dfd);
		return ret;
	}
	for (;;) {
		errno = 0;
		de = readdir(dp);
		if (!de) {
			ret = -errno;
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (count >= SIZE_MAX / sizeof(*l) - 1) {
			ret = -ENOMEM;
			break;
		}
		g = realloc(l, (count + 1) * sizeof(*l));
		if (!g) {
			ret = -ENOMEM;
			break;
		}
		l = g;
		l[count] = strdup(de->d_name);
		if (!l[count]) {
			ret = -ENOMEM;
			break;
		}
		count++;
	}
	closedir(dp);
	if (ret) {
		sk_strv_free(l, count);
		return ret;
	}
	if (count)
		qsort(l, count, sizeof(*l), cmp_str);
	*names = l;
	*n = count;
	return 0;
}

int sk_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	/* Descriptors from pidfd_open() are always close-on-exec. */
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	return -1;
#endif
}
