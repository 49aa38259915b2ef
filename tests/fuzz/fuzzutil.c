/* SPDX-License-Identifier: MIT */
/* fuzzutil.c - helpers of the libFuzzer targets; see fuzzutil.h. */
#include "fuzzutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *tmpdir;
static pid_t tmpdir_owner;

void fz_die(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz harness: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

char *fz_join(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		fz_die("out of memory");
	return p;
}

char *fz_strndup(const void *data, size_t len)
{
	char *s = malloc(len + 1);

	if (!s)
		fz_die("out of memory");
	if (len)
		memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

void fz_mkdirs(const char *dir)
{
	char *p = fz_strndup(dir, strlen(dir));

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			fz_die("cannot create '%s': %s", p, strerror(errno));
		*s = '/';
	}
	if (mkdir(p, 0700) != 0 && errno != EEXIST)
		fz_die("cannot create '%s': %s", p, strerror(errno));
	free(p);
}

void fz_write(const char *path, const void *data, size_t len, mode_t mode)
{
	const char *p = data;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  mode);
	if (fd < 0 || fchmod(fd, mode) != 0)
		fz_die("cannot write '%s': %s", path, strerror(errno));
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fz_die("cannot write '%s': %s", path, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) != 0)
		fz_die("cannot write '%s': %s", path, strerror(errno));
}

/* Empty the directory dfd (owned by the caller), depth first. */
static int rm_children(int dfd)
{
	DIR *d;
	struct dirent *e;
	int err = 0, fd;

	fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	d = fdopendir(fd);
	if (!d) {
		err = errno;
		close(fd);
		return err;
	}
	while ((e = readdir(d))) {
		struct stat st;
		int sub;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (!S_ISDIR(st.st_mode)) {
			if (unlinkat(dfd, e->d_name, 0) != 0 && !err)
				err = errno;
			continue;
		}
		sub = openat(dfd, e->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0 && fchmodat(dfd, e->d_name, 0700, 0) == 0)
			sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY |
							     O_NOFOLLOW |
							     O_CLOEXEC);
		if (sub < 0) {
			if (!err)
				err = errno;
			continue;
		}
		if (fchmod(sub, 0700) != 0 && !err)
			err = errno;
		if (!err)
			err = rm_children(sub);
		close(sub);
		if (unlinkat(dfd, e->d_name, AT_REMOVEDIR) != 0 && !err)
			err = errno;
	}
	closedir(d);
	return err;
}

int fz_rmtree(const char *path)
{
	struct stat st;
	int fd, err;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) == 0 ? 0 : errno;
	if (chmod(path, 0700) != 0)
		return errno;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno;
	err = rm_children(fd);
	close(fd);
	if (!err && rmdir(path) != 0)
		err = errno;
	return err;
}

static void tmpdir_remove(void)
{
	/* Not from a forked child that exits. */
	if (tmpdir && getpid() == tmpdir_owner)
		fz_rmtree(tmpdir);
}

const char *fz_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (tmpdir)
		return tmpdir;
	if (!base || !*base)
		base = "/tmp";
	tmpdir = fz_join(base, "supkit-fuzz.XXXXXX");
	if (!mkdtemp(tmpdir))
		fz_die("cannot create a directory in '%s': %s", base,
		       strerror(errno));
	tmpdir_owner = getpid();
	atexit(tmpdir_remove);
	return tmpdir;
}

char *fz_data(const char *name, size_t *len)
{
	char *path = fz_join(FUZZ_DATA_DIR, name), *buf = NULL;
	size_t cap = 0, n = 0;
	FILE *in = fopen(path, "rb");

	if (!in)
		fz_die("cannot read '%s': %s", path, strerror(errno));
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				fz_die("out of memory");
		}
		size_t got = fread(buf + n, 1, cap - n - 1, in);

		if (got == 0)
			break;
		n += got;
	}
	if (ferror(in))
		fz_die("cannot read '%s'", path);
	fclose(in);
	free(path);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

time_t fz_data_clock(void)
{
	char *text = fz_data("clock", NULL), *end;
	long long t = strtoll(text, &end, 10);

	if (end == text || t <= 0)
		fz_die("no time in " FUZZ_DATA_DIR "/clock");
	free(text);
	return (time_t)t;
}

size_t fz_split(const uint8_t *data, size_t size, const char *sep,
		size_t seplen, struct fz_part *parts, size_t max)
{
	size_t n = 0, start = 0, i = 0;

	if (!data)
		data = (const uint8_t *)"";
	while (n + 1 < max && i + seplen <= size) {
		if (memcmp(data + i, sep, seplen) == 0) {
			parts[n].data = data + start;
			parts[n].len = i - start;
			n++;
			i += seplen;
			start = i;
		} else {
			i++;
		}
	}
	parts[n].data = data + start;
	parts[n].len = size - start;
	return n + 1;
}
