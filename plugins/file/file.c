/* SPDX-License-Identifier: MIT */
/*
 * file - the built-in supkit plugin for files and directories on the
 * gateway: file.install, file.remove, file.mkdir, file.symlink and
 * file.extract.
 *
 * Every gateway path goes through host->resolve_path(). Writes are durable
 * and atomic where the file system allows it: new content goes to a
 * temporary name next to its target (".<base>.sup-XXXXXX"), is synced, and
 * is renamed over the target only after the payload's last read returned 0
 * (the host verifies size and SHA-256 on that read).
 *
 * Messages name the gateway path given in the manifest; a host path shows
 * up only where no gateway path exists for it (a parent directory created
 * on the way, a temporary file).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <sup/plugin.h>

/* Kernel ABI values, for C libraries whose headers lack them. */
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

#define FILE_BUF_SIZE (64 * 1024)
/* ".<base>.sup-XXXXXX" must fit NAME_MAX: keep at most this much of base. */
#define FILE_TMP_BASE_MAX (NAME_MAX - 12)
#define FILE_TMP_TRIES 100
/* Upper bound for the buffer of getpwnam_r()/getgrnam_r(). */
#define FILE_NSS_BUF_MAX (1024 * 1024)

struct file_owner {
	bool has_uid;
	bool has_gid;
	uid_t uid;
	gid_t gid;
};

/* The parameters of one action, read and validated by file_*_args(). */
struct file_args {
	const char *path;	/* gateway path, as given */
	char *host_path;	/* from host->resolve_path(); host->free() */
	mode_t mode;
	struct file_owner owner;
	const char *target;	/* file.symlink */
	int missing_ok;
	int recursive;
	int parents;
	int replace;
};

struct file_progress {
	uint64_t done;
	uint64_t total;
	unsigned int last;
};

/* ---- small helpers ------------------------------------------------ */

static void file_args_release(const struct sup_host_api *host,
			      struct file_args *a)
{
	if (a->host_path)
		host->free(a->host_path);
	a->host_path = NULL;
}

static void file_progress_add(const struct sup_host_api *host,
			      struct sup_action_ctx *ctx,
			      struct file_progress *p, uint64_t n)
{
	unsigned int pct;

	p->done = n > UINT64_MAX - p->done ? UINT64_MAX : p->done + n;
	if (p->total == 0)
		return;
	if (p->done >= p->total)
		pct = 100;
	else if (p->total > UINT64_MAX / 100)
		pct = (unsigned int)(p->done / (p->total / 100));
	else
		pct = (unsigned int)(p->done * 100 / p->total);
	if (pct > 100)
		pct = 100;
	if (pct != p->last) {
		host->progress(ctx, pct);
		p->last = pct;
	}
}

/* True if the gateway path names the root: only "/" and "." components. */
static bool file_is_root_path(const char *path)
{
	const char *p = path;

	while (*p) {
		size_t len = strcspn(p, "/");

		if (len > 1 || (len == 1 && p[0] != '.'))
			return false;
		p += len;
		if (*p == '/')
			p++;
	}
	return true;
}

/* True if both paths name the same file (symbolic links followed). */
static bool file_same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
		return false;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * Split an absolute path into its directory and last component (trailing
 * slashes ignored). Returns 0, ENOMEM, or EINVAL for "/" itself.
 */
static int file_split(const char *path, char **dir, char **base)
{
	size_t len = strlen(path);
	size_t slash;

	*dir = NULL;
	*base = NULL;
	while (len > 1 && path[len - 1] == '/')
		len--;
	slash = len;
	while (slash > 0 && path[slash - 1] != '/')
		slash--;
	if (slash == len)
		return EINVAL;
	*base = strndup(path + slash, len - slash);
	while (slash > 1 && path[slash - 1] == '/')
		slash--;
	*dir = slash == 0 ? strdup(".") : strndup(path, slash);
	if (!*dir || !*base) {
		free(*dir);
		free(*base);
		*dir = NULL;
		*base = NULL;
		return ENOMEM;
	}
	return 0;
}

/* "dir/name" without doubling the slash after "/". NULL on ENOMEM. */
static char *file_join(const char *dir, const char *name)
{
	size_t dlen = strlen(dir);
	const char *sep = dlen > 0 && dir[dlen - 1] == '/' ? "" : "/";
	char *out;

	if (asprintf(&out, "%s%s%s", dir, sep, name) < 0)
		return NULL;
	return out;
}

/* The template "dir/.<base>.sup-XXXXXX" for a temporary sibling. */
static char *file_tmp_template(const char *dir, const char *base)
{
	size_t dlen = strlen(dir);
	const char *sep = dlen > 0 && dir[dlen - 1] == '/' ? "" : "/";
	char *out;

	if (asprintf(&out, "%s%s.%.*s.sup-XXXXXX", dir, sep,
		     FILE_TMP_BASE_MAX, base) < 0)
		return NULL;
	return out;
}

/* Returns 0 or an errno value. */
static int file_fsync_dir(const char *dir)
{
	int fd, err = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (fsync(fd) != 0)
		err = errno;
	close(fd);
	return err;
}

static int file_renameat2(int olddirfd, const char *oldpath, int newdirfd,
			  const char *newpath, unsigned int flags)
{
#if defined(__GLIBC__) && \
	(__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 28))
	return renameat2(olddirfd, oldpath, newdirfd, newpath, flags);
#else
	return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd,
			    newpath, flags);
#endif
}

/*
 * Rename without replacing an existing target. Falls back to a plain
 * rename on file systems without RENAME_NOREPLACE (the caller checked that
 * the target was absent just before).
 */
static int file_rename_noreplace(int olddirfd, const char *oldpath,
				 int newdirfd, const char *newpath)
{
	if (file_renameat2(olddirfd, oldpath, newdirfd, newpath,
			   RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	return renameat(olddirfd, oldpath, newdirfd, newpath);
}

/* ---- parent directories ------------------------------------------- */

/* Create one directory 0755 if missing; 0 or an errno value. */
static int file_mkdir_one(const char *path)
{
	struct stat st;
	char *dir, *base;
	int err;

	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
	if (errno != ENOENT)
		return errno;
	if (mkdir(path, 0755) != 0) {
		if (errno != EEXIST)
			return errno;
		if (stat(path, &st) != 0)
			return errno;
		return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
	}
	/* Exactly 0755 whatever the umask. */
	if (chmod(path, 0755) != 0)
		return errno;
	err = file_split(path, &dir, &base);
	if (err)
		return err;
	err = file_fsync_dir(dir);
	free(dir);
	free(base);
	return err;
}

/*
 * Create dir and its missing parents, each 0755, syncing every directory
 * that got a new entry. dir comes from resolve_path(): its existing part
 * has no symbolic links left. Returns 0 or an errno value and then sets
 * *failed (allocated) to the directory that could not be created.
 */
static int file_mkdirs(const char *dir, char **failed)
{
	char *p;
	size_t i, len;
	int err = 0;

	*failed = NULL;
	p = strdup(dir);
	if (!p)
		return ENOMEM;
	len = strlen(p);
	for (i = 1; i <= len; i++) {
		char save;

		if (i < len && p[i] != '/')
			continue;
		if (p[i - 1] == '/')
			continue;
		save = p[i];
		p[i] = '\0';
		err = file_mkdir_one(p);
		if (err) {
			*failed = p;
			return err;
		}
		p[i] = save;
	}
	free(p);
	return 0;
}

static int file_make_parents(const struct sup_host_api *host,
			     struct sup_action_ctx *ctx, const char *dir,
			     const char *gw_path)
{
	char *failed;
	int err;

	err = file_mkdirs(dir, &failed);
	if (!err)
		return SUP_OK;
	host->fail(ctx, err, "cannot create directory '%s' for '%s'",
		   failed ? failed : dir, gw_path);
	free(failed);
	return SUP_ERR;
}

/* ---- tree removal ------------------------------------------------- */

/*
 * Tree removal that never follows a symbolic link and holds one directory
 * descriptor whatever the depth: it climbs back with "..", checked
 * against the device and inode recorded on the way down, so an archive
 * nested thousands of levels deep is removed like any other.
 */
struct file_rm_level {
	const char *name;	/* in the parent; owned by the parent level */
	dev_t dev;
	ino_t ino;
	char **subdirs;
	size_t nsub;
	size_t next;
};

struct file_rm {
	struct file_rm_level *lv;
	size_t depth;
	size_t cap;
	bool force;	/* make directories writable (own temp trees) */
};

static void file_rm_level_release(struct file_rm_level *l)
{
	size_t i;

	for (i = 0; i < l->nsub; i++)
		free(l->subdirs[i]);
	free(l->subdirs);
	l->subdirs = NULL;
	l->nsub = 0;
}

/* The path below the top directory of the current level plus name. */
static char *file_rm_where(const struct file_rm *rm, const char *name)
{
	size_t i, len = 1;
	char *out;

	for (i = 1; i < rm->depth; i++)
		len += strlen(rm->lv[i].name) + 1;
	if (name)
		len += strlen(name);
	out = malloc(len);
	if (!out)
		return NULL;
	out[0] = '\0';
	for (i = 1; i < rm->depth; i++) {
		strncat(out, rm->lv[i].name, len - strlen(out) - 1);
		strncat(out, "/", len - strlen(out) - 1);
	}
	if (name)
		strncat(out, name, len - strlen(out) - 1);
	else if (out[0])
		out[strlen(out) - 1] = '\0';
	return out;
}

static int file_rm_push(struct file_rm *rm, const char *name, int fd)
{
	struct file_rm_level *l;
	struct stat st;

	if (fstat(fd, &st) != 0)
		return errno;
	if (rm->depth == rm->cap) {
		size_t cap = rm->cap ? rm->cap * 2 : 16;

		if (cap > SIZE_MAX / sizeof(*rm->lv))
			return ENOMEM;
		l = realloc(rm->lv, cap * sizeof(*rm->lv));
		if (!l)
			return ENOMEM;
		rm->lv = l;
		rm->cap = cap;
	}
	l = &rm->lv[rm->depth++];
	memset(l, 0, sizeof(*l));
	l->name = name;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	return 0;
}

/*
 * Unlink every non-directory in fd and remember its subdirectories in the
 * top level. Returns 0 or an errno value, *bad the entry that failed.
 */
static int file_rm_scan(struct file_rm *rm, int fd, char **bad)
{
	struct file_rm_level *l = &rm->lv[rm->depth - 1];
	size_t cap = 0;
	struct dirent *e;
	DIR *d;
	int dfd, err = 0;

	*bad = NULL;
	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0)
		return errno;
	d = fdopendir(dfd);
	if (!d) {
		err = errno;
		close(dfd);
		return err;
	}
	/* The duplicate shares the offset of fd, which may be at its end. */
	rewinddir(d);
	for (;;) {
		char *name;

		errno = 0;
		e = readdir(d);
		if (!e) {
			err = errno;
			break;
		}
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(fd, e->d_name, 0) == 0 || errno == ENOENT)
			continue;
		/* Linux reports a directory as EISDIR. */
		if (errno != EISDIR) {
			err = errno;
			*bad = strdup(e->d_name);
			break;
		}
		if (l->nsub == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **n;

			if (ncap > SIZE_MAX / sizeof(*n)) {
				err = ENOMEM;
				break;
			}
			n = realloc(l->subdirs, ncap * sizeof(*n));
			if (!n) {
				err = ENOMEM;
				break;
			}
			l->subdirs = n;
			cap = ncap;
		}
		name = strdup(e->d_name);
		if (!name) {
			err = ENOMEM;
			break;
		}
		l->subdirs[l->nsub++] = name;
	}
	closedir(d);
	return err;
}

/* Open the subdirectory name of fd without following a symbolic link. */
static int file_rm_open(const struct file_rm *rm, int fd, const char *name)
{
	int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

	/* A directory unpacked without search or write permission. */
	if (rm->force)
		fchmodat(fd, name, S_IRWXU, AT_SYMLINK_NOFOLLOW);
	return openat(fd, name, flags);
}

/*
 * Remove name in dirfd and everything below it, without following
 * symbolic links. force: make directories writable first (for temporary
 * trees this plugin created). Returns 0 or an errno value and then sets
 * *where (allocated, may be NULL) to the failing path relative to name.
 */
static int file_rmtree_at(int dirfd, const char *name, bool force,
			  char **where)
{
	struct file_rm rm = { .force = force };
	char *bad = NULL;
	int fd, err = 0;

	*where = NULL;
	fd = file_rm_open(&rm, dirfd, name);
	if (fd < 0)
		return errno;
	err = file_rm_push(&rm, name, fd);
	if (!err)
		err = file_rm_scan(&rm, fd, &bad);
	if (err)
		goto out;
	for (;;) {
		struct file_rm_level *top = &rm.lv[rm.depth - 1];
		struct stat st;
		int next;

		if (top->next < top->nsub) {
			const char *child = top->subdirs[top->next++];

			next = file_rm_open(&rm, fd, child);
			if (next < 0) {
				if (errno == ENOENT)
					continue;
				err = errno;
				bad = strdup(child);
				goto out;
			}
			close(fd);
			fd = next;
			err = file_rm_push(&rm, child, fd);
			if (!err)
				err = file_rm_scan(&rm, fd, &bad);
			if (err)
				goto out;
			continue;
		}
		if (rm.depth == 1)
			break;
		next = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (next < 0) {
			err = errno;
			goto out;
		}
		if (fstat(next, &st) != 0 ||
		    st.st_dev != rm.lv[rm.depth - 2].dev ||
		    st.st_ino != rm.lv[rm.depth - 2].ino) {
			/* Moved while we were inside: stop, touch nothing. */
			err = ESTALE;
			close(next);
			goto out;
		}
		close(fd);
		fd = next;
		if (unlinkat(fd, top->name, AT_REMOVEDIR) != 0 &&
		    errno != ENOENT) {
			err = errno;
			bad = strdup(top->name);
			rm.depth--;
			file_rm_level_release(top);
			goto out;
		}
		file_rm_level_release(top);
		rm.depth--;
	}
	close(fd);
	fd = -1;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
		err = errno;
out:
	if (err && rm.depth > 0)
		*where = file_rm_where(&rm, bad);
	if (fd >= 0)
		close(fd);
	while (rm.depth > 0)
		file_rm_level_release(&rm.lv[--rm.depth]);
	free(rm.lv);
	free(bad);
	return err;
}

/* Remove a temporary tree of ours: a failure is a warning, never an error. */
static void file_cleanup_tree(const struct sup_host_api *host,
			      struct sup_action_ctx *ctx, const char *path)
{
	char *dir, *base, *where;
	int dfd, err;

	err = file_split(path, &dir, &base);
	if (err) {
		host->log(ctx, SUP_LOG_WARNING,
			  "cannot remove temporary directory '%s': %s", path,
			  strerror(err));
		return;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		err = errno;
	} else {
		err = file_rmtree_at(dfd, base, true, &where);
		if (err && where && where[0])
			host->log(ctx, SUP_LOG_WARNING,
				  "cannot remove '%s' in '%s': %s", where,
				  path, strerror(err));
		free(where);
		if (!err)
			err = fsync(dfd) == 0 ? 0 : errno;
		close(dfd);
	}
	if (err)
		host->log(ctx, SUP_LOG_WARNING,
			  "cannot remove temporary directory '%s': %s", path,
			  strerror(err));
	free(dir);
	free(base);
}

/* ---- parameters --------------------------------------------------- */

/* SUP_OK, or SUP_ERR with the failure recorded. */
static int file_param_str(const struct sup_host_api *host,
			  struct sup_action_ctx *ctx, const char *key,
			  unsigned int flags, const char *def,
			  const char **out)
{
	int rc = host->param_string(ctx, key, flags, out);

	if (rc == SUP_ENOENT && !(flags & SUP_PARAM_REQUIRED)) {
		*out = def;
		return SUP_OK;
	}
	return rc == SUP_OK ? SUP_OK : SUP_ERR;
}

static int file_param_bool(const struct sup_host_api *host,
			   struct sup_action_ctx *ctx, const char *key,
			   int def, int *out)
{
	int rc = host->param_bool(ctx, key, SUP_PARAM_OPTIONAL, out);

	if (rc == SUP_ENOENT) {
		*out = def;
		return SUP_OK;
	}
	return rc == SUP_OK ? SUP_OK : SUP_ERR;
}

/* An octal string of at most 07777 ("0640", "755"). */
static bool file_parse_mode(const char *s, mode_t *out)
{
	unsigned int v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '7')
			return false;
		v = v * 8 + (unsigned int)(*s - '0');
		if (v > 07777)
			return false;
	}
	*out = (mode_t)v;
	return true;
}

static int file_get_mode(const struct sup_host_api *host,
			 struct sup_action_ctx *ctx, const char *def,
			 mode_t *out)
{
	const char *s;

	if (file_param_str(host, ctx, "mode", SUP_PARAM_OPTIONAL, def, &s))
		return SUP_ERR;
	if (!file_parse_mode(s, out))
		return host->fail(ctx, 0,
				  "parameter 'mode' must be an octal string up to 07777, got '%s'",
				  s);
	return SUP_OK;
}

/* A decimal id ("0", "1000"); false for anything else. */
static bool file_parse_id(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		/* (uid_t)-1 means "unchanged" to chown(): not an id. */
		if (v >= UINT32_MAX)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

/*
 * Owner and group names are looked up on the running system (its NSS
 * passwd and group databases), not in the files under --root: on a gateway
 * both are the same system; a --root test run should use numeric ids or
 * names that exist on the host. Returns 0, ENOENT for an unknown name, or
 * another errno value.
 */
static int file_lookup_uid(const char *name, uid_t *out)
{
	struct passwd pw, *res = NULL;
	long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t len = hint > 0 ? (size_t)hint : 1024;
	uint32_t id;
	char *buf;
	int err;

	if (file_parse_id(name, &id)) {
		*out = (uid_t)id;
		return 0;
	}
	for (;;) {
		buf = malloc(len);
		if (!buf)
			return ENOMEM;
		err = getpwnam_r(name, &pw, buf, len, &res);
		if (err != ERANGE || len >= FILE_NSS_BUF_MAX)
			break;
		free(buf);
		len *= 2;
	}
	if (!err && res)
		*out = pw.pw_uid;
	else if (!err)
		err = ENOENT;
	free(buf);
	return err;
}

/* Like file_lookup_uid(), for groups. */
static int file_lookup_gid(const char *name, gid_t *out)
{
	struct group gr, *res = NULL;
	long hint = sysconf(_SC_GETGR_R_SIZE_MAX);
	size_t len = hint > 0 ? (size_t)hint : 1024;
	uint32_t id;
	char *buf;
	int err;

	if (file_parse_id(name, &id)) {
		*out = (gid_t)id;
		return 0;
	}
	for (;;) {
		buf = malloc(len);
		if (!buf)
			return ENOMEM;
		err = getgrnam_r(name, &gr, buf, len, &res);
		if (err != ERANGE || len >= FILE_NSS_BUF_MAX)
			break;
		free(buf);
		len *= 2;
	}
	if (!err && res)
		*out = gr.gr_gid;
	else if (!err)
		err = ENOENT;
	free(buf);
	return err;
}

static int file_get_owner(const struct sup_host_api *host,
			  struct sup_action_ctx *ctx, struct file_owner *o)
{
	const char *user, *group;
	int err;

	memset(o, 0, sizeof(*o));
	if (file_param_str(host, ctx, "owner", SUP_PARAM_OPTIONAL, NULL,
			   &user) ||
	    file_param_str(host, ctx, "group", SUP_PARAM_OPTIONAL, NULL,
			   &group))
		return SUP_ERR;
	if (user) {
		err = file_lookup_uid(user, &o->uid);
		if (err == ENOENT)
			return host->fail(ctx, 0,
					  "parameter 'owner': unknown user '%s'",
					  user);
		if (err)
			return host->fail(ctx, err,
					  "parameter 'owner': cannot look up user '%s'",
					  user);
		o->has_uid = true;
	}
	if (group) {
		err = file_lookup_gid(group, &o->gid);
		if (err == ENOENT)
			return host->fail(ctx, 0,
					  "parameter 'group': unknown group '%s'",
					  group);
		if (err)
			return host->fail(ctx, err,
					  "parameter 'group': cannot look up group '%s'",
					  group);
		o->has_gid = true;
	}
	return SUP_OK;
}

/* fchown() only when an owner or a group was given. */
static int file_apply_owner(const struct file_owner *o, int fd)
{
	if (!o->has_uid && !o->has_gid)
		return 0;
	return fchown(fd, o->has_uid ? o->uid : (uid_t)-1,
		      o->has_gid ? o->gid : (gid_t)-1);
}

/* The "path" parameter, required, absolute, resolved. */
static int file_get_path(const struct sup_host_api *host,
			 struct sup_action_ctx *ctx, unsigned int flags,
			 struct file_args *a)
{
	if (file_param_str(host, ctx, "path", SUP_PARAM_REQUIRED, NULL,
			   &a->path))
		return SUP_ERR;
	if (a->path[0] != '/')
		return host->fail(ctx, 0,
				  "parameter 'path' must be an absolute path, got '%s'",
				  a->path);
	if (host->resolve_path(ctx, a->path, flags, &a->host_path) !=
	    SUP_OK) {
		a->host_path = NULL;
		return SUP_ERR;
	}
	return SUP_OK;
}

/* The action takes exactly want payloads (0 or 1). */
static int file_check_payloads(const struct sup_host_api *host,
			       struct sup_action_ctx *ctx, size_t want)
{
	size_t count = host->payload_count(ctx);
	const char *name;
	uint64_t size;

	if (count != want)
		return host->fail(ctx, 0,
				  "action type '%s' takes %zu payload(s), got %zu",
				  host->action_type(ctx), want, count);
	if (want == 1 &&
	    host->payload_info(ctx, 0, &name, &size) != SUP_OK)
		return host->fail(ctx, 0, "cannot get payload 0 of action '%s'",
				  host->action_id(ctx));
	return SUP_OK;
}

/* ---- file.install ------------------------------------------------- */

static int file_install_args(const struct sup_host_api *host,
			     struct sup_action_ctx *ctx, struct file_args *a)
{
	memset(a, 0, sizeof(*a));
	if (file_get_path(host, ctx, SUP_PATH_FOLLOW_LAST, a) ||
	    file_get_mode(host, ctx, "0644", &a->mode) ||
	    file_get_owner(host, ctx, &a->owner))
		return SUP_ERR;
	if (file_is_root_path(a->path))
		return host->fail(ctx, 0,
				  "cannot install '%s': it is the root directory",
				  a->path);
	return SUP_OK;
}

static int file_install_check(const struct sup_host_api *host,
			      struct sup_action_ctx *ctx)
{
	struct file_args a;
	int rc;

	rc = file_install_args(host, ctx, &a);
	if (rc == SUP_OK)
		rc = file_check_payloads(host, ctx, 1);
	file_args_release(host, &a);
	return rc;
}

/* Write all of buf; 0 or an errno value. */
static int file_write_all(int fd, const unsigned char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int file_install_execute(const struct sup_host_api *host,
				struct sup_action_ctx *ctx)
{
	struct file_progress prog = { 0 };
	struct sup_payload *pl = NULL;
	struct file_args a;
	unsigned char *buf = NULL;
	char *dir = NULL, *base = NULL, *tmp = NULL;
	const char *pname;
	bool renamed = false;
	struct stat st;
	int fd = -1, err, rc = SUP_ERR;

	if (file_install_args(host, ctx, &a) ||
	    file_check_payloads(host, ctx, 1))
		goto out;
	if (host->payload_info(ctx, 0, &pname, &prog.total) != SUP_OK) {
		host->fail(ctx, 0, "cannot get payload 0 of action '%s'",
			   host->action_id(ctx));
		goto out;
	}
	if (stat(a.host_path, &st) == 0 && S_ISDIR(st.st_mode)) {
		host->fail(ctx, EISDIR, "cannot install '%s'", a.path);
		goto out;
	}
	err = file_split(a.host_path, &dir, &base);
	if (err) {
		host->fail(ctx, err, "cannot install '%s'", a.path);
		goto out;
	}
	if (file_make_parents(host, ctx, dir, a.path))
		goto out;
	buf = malloc(FILE_BUF_SIZE);
	tmp = file_tmp_template(dir, base);
	if (!buf || !tmp) {
		host->fail(ctx, ENOMEM, "cannot install '%s'", a.path);
		goto out;
	}
	if (host->payload_open(ctx, 0, &pl) != SUP_OK) {
		pl = NULL;
		host->fail(ctx, 0, "cannot open payload '%s' for '%s'", pname,
			   a.path);
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		host->fail(ctx, errno,
			   "cannot create a temporary file in '%s' for '%s'", dir,
			   a.path);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	/* Owner first: chown() clears the set-user/group-id bits. */
	if (file_apply_owner(&a.owner, fd) != 0) {
		host->fail(ctx, errno, "cannot set owner of '%s'", a.path);
		goto out;
	}
	if (fchmod(fd, a.mode) != 0) {
		host->fail(ctx, errno, "cannot set mode of '%s'", a.path);
		goto out;
	}
	for (;;) {
		int64_t n = host->payload_read(pl, buf, FILE_BUF_SIZE);

		if (n < 0)
			goto out; /* recorded by the host */
		if (n == 0)
			break;
		if (n > FILE_BUF_SIZE) {
			host->fail(ctx, 0,
				   "payload '%s' read returned %" PRId64 " bytes for a %d-byte buffer",
				   pname, n, FILE_BUF_SIZE);
			goto out;
		}
		err = file_write_all(fd, buf, (size_t)n);
		if (err) {
			host->fail(ctx, err,
				   "cannot write temporary file '%s' for '%s'",
				   tmp, a.path);
			goto out;
		}
		file_progress_add(host, ctx, &prog, (uint64_t)n);
	}
	if (fsync(fd) != 0) {
		host->fail(ctx, errno,
			   "cannot sync temporary file '%s' for '%s'", tmp,
			   a.path);
		goto out;
	}
	err = close(fd) == 0 ? 0 : errno;
	fd = -1;
	if (err) {
		host->fail(ctx, err,
			   "cannot write temporary file '%s' for '%s'", tmp,
			   a.path);
		goto out;
	}
	if (rename(tmp, a.host_path) != 0) {
		host->fail(ctx, errno, "cannot install '%s'", a.path);
		goto out;
	}
	renamed = true;
	err = file_fsync_dir(dir);
	if (err) {
		host->fail(ctx, err,
			   "cannot sync directory '%s' after installing '%s'",
			   dir, a.path);
		goto out;
	}
	host->log(ctx, SUP_LOG_INFO,
		  "installed '%s' from payload '%s' (%" PRIu64 " bytes, mode %04o)",
		  a.path, pname, prog.done, (unsigned int)a.mode);
	rc = SUP_OK;
out:
	if (fd >= 0)
		close(fd);
	if (tmp && !renamed && unlink(tmp) != 0 && errno != ENOENT)
		host->log(ctx, SUP_LOG_WARNING,
			  "cannot remove temporary file '%s': %s", tmp,
			  strerror(errno));
	if (pl)
		host->payload_close(pl);
	free(tmp);
	free(buf);
	free(dir);
	free(base);
	file_args_release(host, &a);
	return rc;
}

/* ---- file.remove -------------------------------------------------- */

/* True if host_path (last component not followed) is the root itself. */
static bool file_is_root(const struct sup_host_api *host,
			 struct sup_action_ctx *ctx, const char *gw_path,
			 const char *host_path)
{
	struct stat st;

	if (file_is_root_path(gw_path))
		return true;
	if (lstat(host_path, &st) != 0 || S_ISLNK(st.st_mode))
		return false;
	return file_same_file(host_path, host->root_dir(ctx));
}

static int file_remove_args(const struct sup_host_api *host,
			    struct sup_action_ctx *ctx, struct file_args *a)
{
	memset(a, 0, sizeof(*a));
	if (file_get_path(host, ctx, SUP_PATH_NOFOLLOW_LAST, a) ||
	    file_param_bool(host, ctx, "missing_ok", 1, &a->missing_ok) ||
	    file_param_bool(host, ctx, "recursive", 0, &a->recursive))
		return SUP_ERR;
	if (file_is_root(host, ctx, a->path, a->host_path))
		return host->fail(ctx, 0,
				  "refusing to remove the root directory '%s'",
				  a->path);
	return SUP_OK;
}

static int file_remove_check(const struct sup_host_api *host,
			     struct sup_action_ctx *ctx)
{
	struct file_args a;
	int rc;

	rc = file_remove_args(host, ctx, &a);
	if (rc == SUP_OK)
		rc = file_check_payloads(host, ctx, 0);
	file_args_release(host, &a);
	return rc;
}

static int file_remove_execute(const struct sup_host_api *host,
			       struct sup_action_ctx *ctx)
{
	struct file_args a;
	char *dir = NULL, *base = NULL, *where = NULL;
	struct stat st;
	int dfd = -1, err, rc = SUP_ERR;

	if (file_remove_args(host, ctx, &a))
		goto out;
	if (lstat(a.host_path, &st) != 0) {
		if ((errno == ENOENT || errno == ENOTDIR) && a.missing_ok) {
			host->log(ctx, SUP_LOG_INFO,
				  "'%s' does not exist, nothing to remove",
				  a.path);
			rc = SUP_OK;
		} else {
			host->fail(ctx, errno, "cannot remove '%s'", a.path);
		}
		goto out;
	}
	if (S_ISDIR(st.st_mode) && !a.recursive) {
		host->fail(ctx, 0,
			   "cannot remove '%s': it is a directory and parameter 'recursive' is false",
			   a.path);
		goto out;
	}
	err = file_split(a.host_path, &dir, &base);
	if (err) {
		host->fail(ctx, err, "cannot remove '%s'", a.path);
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		host->fail(ctx, errno, "cannot remove '%s'", a.path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		err = file_rmtree_at(dfd, base, false, &where);
		if (err && where && where[0]) {
			host->fail(ctx, err, "cannot remove '%s' in '%s'",
				   where, a.path);
			goto out;
		}
	} else {
		err = unlinkat(dfd, base, 0) == 0 ? 0 : errno;
	}
	if (err) {
		host->fail(ctx, err, "cannot remove '%s'", a.path);
		goto out;
	}
	if (fsync(dfd) != 0) {
		host->fail(ctx, errno,
			   "cannot sync directory '%s' after removing '%s'",
			   dir, a.path);
		goto out;
	}
	host->log(ctx, SUP_LOG_INFO, "removed '%s'", a.path);
	rc = SUP_OK;
out:
	if (dfd >= 0)
		close(dfd);
	free(where);
	free(dir);
	free(base);
	file_args_release(host, &a);
	return rc;
}

/* ---- file.mkdir --------------------------------------------------- */

static int file_mkdir_args(const struct sup_host_api *host,
			   struct sup_action_ctx *ctx, struct file_args *a)
{
	memset(a, 0, sizeof(*a));
	if (file_get_path(host, ctx, SUP_PATH_FOLLOW_LAST, a) ||
	    file_get_mode(host, ctx, "0755", &a->mode) ||
	    file_get_owner(host, ctx, &a->owner) ||
	    file_param_bool(host, ctx, "parents", 1, &a->parents))
		return SUP_ERR;
	return SUP_OK;
}

static int file_mkdir_check(const struct sup_host_api *host,
			    struct sup_action_ctx *ctx)
{
	struct file_args a;
	int rc;

	rc = file_mkdir_args(host, ctx, &a);
	if (rc == SUP_OK)
		rc = file_check_payloads(host, ctx, 0);
	file_args_release(host, &a);
	return rc;
}

static int file_mkdir_execute(const struct sup_host_api *host,
			      struct sup_action_ctx *ctx)
{
	const int oflags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
	struct file_args a;
	char *dir = NULL, *base = NULL;
	bool created = false;
	struct stat st;
	int fd = -1, err, rc = SUP_ERR;

	if (file_mkdir_args(host, ctx, &a))
		goto out;
	fd = open(a.host_path, oflags);
	if (fd < 0 && errno == ENOTDIR && stat(a.host_path, &st) == 0 &&
	    !S_ISDIR(st.st_mode)) {
		host->fail(ctx, 0,
			   "cannot create directory '%s': it exists and is not a directory",
			   a.path);
		goto out;
	}
	if (fd < 0 && errno != ENOENT) {
		host->fail(ctx, errno, "cannot create directory '%s'", a.path);
		goto out;
	}
	if (fd < 0) {
		err = file_split(a.host_path, &dir, &base);
		if (err) {
			host->fail(ctx, err, "cannot create directory '%s'",
				   a.path);
			goto out;
		}
		if (a.parents && file_make_parents(host, ctx, dir, a.path))
			goto out;
		/* Private until owner and mode are applied. */
		if (mkdir(a.host_path, 0700) == 0) {
			created = true;
		} else if (errno != EEXIST) {
			host->fail(ctx, errno, "cannot create directory '%s'",
				   a.path);
			goto out;
		}
		fd = open(a.host_path, oflags);
		if (fd < 0) {
			host->fail(ctx, errno, "cannot create directory '%s'",
				   a.path);
			goto out;
		}
	}
	if (file_apply_owner(&a.owner, fd) != 0) {
		host->fail(ctx, errno, "cannot set owner of '%s'", a.path);
		goto out;
	}
	if (fchmod(fd, a.mode) != 0) {
		host->fail(ctx, errno, "cannot set mode of '%s'", a.path);
		goto out;
	}
	if (fsync(fd) != 0) {
		host->fail(ctx, errno, "cannot sync directory '%s'", a.path);
		goto out;
	}
	if (created) {
		err = file_fsync_dir(dir);
		if (err) {
			host->fail(ctx, err,
				   "cannot sync directory '%s' after creating '%s'",
				   dir, a.path);
			goto out;
		}
	}
	host->log(ctx, SUP_LOG_INFO, "%s directory '%s' (mode %04o)",
		  created ? "created" : "updated existing", a.path,
		  (unsigned int)a.mode);
	rc = SUP_OK;
out:
	if (fd >= 0)
		close(fd);
	free(dir);
	free(base);
	file_args_release(host, &a);
	return rc;
}

/* ---- file.symlink ------------------------------------------------- */

static int file_symlink_args(const struct sup_host_api *host,
			     struct sup_action_ctx *ctx, struct file_args *a)
{
	memset(a, 0, sizeof(*a));
	if (file_get_path(host, ctx, SUP_PATH_NOFOLLOW_LAST, a) ||
	    file_param_str(host, ctx, "target", SUP_PARAM_REQUIRED, NULL,
			   &a->target))
		return SUP_ERR;
	if (!a->target[0])
		return host->fail(ctx, 0,
				  "parameter 'target' must not be empty");
	if (strlen(a->target) >= PATH_MAX)
		return host->fail(ctx, 0,
				  "parameter 'target' is longer than %d bytes",
				  PATH_MAX - 1);
	if (file_is_root_path(a->path))
		return host->fail(ctx, 0,
				  "cannot create symlink '%s': it is the root directory",
				  a->path);
	return SUP_OK;
}

static int file_symlink_check(const struct sup_host_api *host,
			      struct sup_action_ctx *ctx)
{
	struct file_args a;
	int rc;

	rc = file_symlink_args(host, ctx, &a);
	if (rc == SUP_OK)
		rc = file_check_payloads(host, ctx, 0);
	file_args_release(host, &a);
	return rc;
}

/* True if path is a symbolic link whose target is exactly target. */
static bool file_symlink_is(const char *path, const char *target)
{
	size_t len = strlen(target);
	char *buf = malloc(len + 2);
	ssize_t n;
	bool same;

	if (!buf)
		return false;
	n = readlink(path, buf, len + 2);
	same = n >= 0 && (size_t)n == len && !memcmp(buf, target, len);
	free(buf);
	return same;
}

/*
 * Create a symbolic link to target at a fresh name made from tmpl (its
 * trailing "XXXXXX" replaced). 0 or an errno value.
 */
static int file_symlink_tmp(const char *target, char *tmpl)
{
	static const char chars[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	size_t len = strlen(tmpl);
	unsigned char rnd[6];
	int tries, i;

	if (len < 6)
		return EINVAL;
	for (tries = 0; tries < FILE_TMP_TRIES; tries++) {
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return errno ? errno : EIO;
		for (i = 0; i < 6; i++)
			tmpl[len - 6 + (size_t)i] =
				chars[rnd[i] % (sizeof(chars) - 1)];
		if (symlink(target, tmpl) == 0)
			return 0;
		if (errno != EEXIST)
			return errno;
	}
	return EEXIST;
}

static int file_symlink_execute(const struct sup_host_api *host,
				struct sup_action_ctx *ctx)
{
	struct file_args a;
	char *dir = NULL, *base = NULL, *tmp = NULL;
	bool linked = false, renamed = false;
	struct stat st;
	int err, rc = SUP_ERR;

	if (file_symlink_args(host, ctx, &a))
		goto out;
	if (lstat(a.host_path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			host->fail(ctx, 0,
				   "cannot create symlink '%s': a directory is in the way",
				   a.path);
			goto out;
		}
		if (S_ISLNK(st.st_mode) &&
		    file_symlink_is(a.host_path, a.target)) {
			host->log(ctx, SUP_LOG_INFO,
				  "symlink '%s' already points to '%s'",
				  a.path, a.target);
			rc = SUP_OK;
			goto out;
		}
	} else if (errno != ENOENT) {
		host->fail(ctx, errno, "cannot create symlink '%s'", a.path);
		goto out;
	}
	err = file_split(a.host_path, &dir, &base);
	if (err) {
		host->fail(ctx, err, "cannot create symlink '%s'", a.path);
		goto out;
	}
	if (file_make_parents(host, ctx, dir, a.path))
		goto out;
	tmp = file_tmp_template(dir, base);
	if (!tmp) {
		host->fail(ctx, ENOMEM, "cannot create symlink '%s'", a.path);
		goto out;
	}
	err = file_symlink_tmp(a.target, tmp);
	if (err) {
		host->fail(ctx, err,
			   "cannot create a temporary symlink in '%s' for '%s'",
			   dir, a.path);
		goto out;
	}
	linked = true;
	/* Atomic; rename() itself refuses to replace a directory. */
	if (rename(tmp, a.host_path) != 0) {
		host->fail(ctx, errno, "cannot create symlink '%s'", a.path);
		goto out;
	}
	renamed = true;
	err = file_fsync_dir(dir);
	if (err) {
		host->fail(ctx, err,
			   "cannot sync directory '%s' after creating symlink '%s'",
			   dir, a.path);
		goto out;
	}
	host->log(ctx, SUP_LOG_INFO, "created symlink '%s' -> '%s'", a.path,
		  a.target);
	rc = SUP_OK;
out:
	if (linked && !renamed && unlink(tmp) != 0 && errno != ENOENT)
		host->log(ctx, SUP_LOG_WARNING,
			  "cannot remove temporary symlink '%s': %s", tmp,
			  strerror(errno));
	free(tmp);
	free(dir);
	free(base);
	file_args_release(host, &a);
	return rc;
}

/* ---- file.extract: reading the payload ---------------------------- */

struct file_xread {
	const struct sup_host_api *host;
	struct sup_action_ctx *ctx;
	struct sup_payload *pl;
	const char *pname;
	unsigned char *buf;
	struct file_progress prog;
	bool eof;	/* payload_read returned 0: size and hash verified */
	bool failed;
};

/* The next chunk of the payload: bytes read, 0 at its verified end. */
static int64_t file_xread_next(struct file_xread *x)
{
	int64_t n;

	if (x->eof)
		return 0;
	if (x->failed)
		return -1;
	n = x->host->payload_read(x->pl, x->buf, FILE_BUF_SIZE);
	if (n < 0) {
		/* The host recorded why (read error or mismatch). */
		x->failed = true;
		return -1;
	}
	if (n > FILE_BUF_SIZE) {
		x->failed = true;
		x->host->fail(x->ctx, 0,
			      "payload '%s' read returned %" PRId64 " bytes for a %d-byte buffer",
			      x->pname, n, FILE_BUF_SIZE);
		return -1;
	}
	if (n == 0)
		x->eof = true;
	else
		file_progress_add(x->host, x->ctx, &x->prog, (uint64_t)n);
	return n;
}

static la_ssize_t file_xread_cb(struct archive *ar, void *data,
				const void **buf)
{
	struct file_xread *x = data;
	int64_t n = file_xread_next(x);

	if (n < 0) {
		archive_set_error(ar, EIO, "cannot read payload '%s'",
				  x->pname);
		return ARCHIVE_FATAL;
	}
	*buf = x->buf;
	return (la_ssize_t)n;
}

/* Read what follows the archive's end marker up to the verified end. */
static int file_xdrain(struct file_xread *x)
{
	int64_t n;

	do
		n = file_xread_next(x);
	while (n > 0);
	return n == 0 ? SUP_OK : SUP_ERR;
}

/* ---- file.extract: entry validation ------------------------------- */

/*
 * Validate one archive entry before anything of it is written; a bad entry
 * fails the whole action. libarchive's ARCHIVE_EXTRACT_SECURE_* flags are
 * set as well, but they skip-or-refuse quietly per entry and do not look at
 * where a symbolic link points: this check does, and names the entry.
 */
static int file_check_entry(const struct sup_host_api *host,
			    struct sup_action_ctx *ctx,
			    struct archive_entry *e, const char *pname)
{
	const char *name = archive_entry_pathname(e);
	const char *p, *t;
	long depth = 0;
	bool named;

	if (!name || !name[0])
		return host->fail(ctx, 0,
				  "archive '%s' has an entry without a name",
				  pname);
	if (name[0] == '/')
		return host->fail(ctx, 0,
				  "archive entry '%s' has an absolute path",
				  name);
	for (p = name; *p;) {
		size_t len = strcspn(p, "/");

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return host->fail(ctx, 0,
					  "archive entry '%s' has a '..' component",
					  name);
		if (len > 0 && !(len == 1 && p[0] == '.'))
			depth++;
		p += len;
		if (*p == '/')
			p++;
	}
	if (archive_entry_hardlink(e))
		return host->fail(ctx, 0,
				  "archive entry '%s' is a hard link to '%s'",
				  name, archive_entry_hardlink(e));
	switch (archive_entry_filetype(e)) {
	case AE_IFDIR:
		return SUP_OK;
	case AE_IFREG:
	case AE_IFLNK:
		break;
	case AE_IFCHR:
	case AE_IFBLK:
		return host->fail(ctx, 0,
				  "archive entry '%s' is a device node", name);
	case AE_IFIFO:
		return host->fail(ctx, 0, "archive entry '%s' is a fifo",
				  name);
	case AE_IFSOCK:
		return host->fail(ctx, 0, "archive entry '%s' is a socket",
				  name);
	default:
		return host->fail(ctx, 0,
				  "archive entry '%s' has an unsupported file type",
				  name);
	}
	if (depth == 0)
		return host->fail(ctx, 0,
				  "archive entry '%s' names the extraction directory but is not a directory",
				  name);
	if (archive_entry_filetype(e) == AE_IFREG)
		return SUP_OK;

	t = archive_entry_symlink(e);
	if (!t || !t[0])
		return host->fail(ctx, 0,
				  "archive entry '%s' is a symlink with an empty target",
				  name);
	if (t[0] == '/')
		return host->fail(ctx, 0,
				  "archive entry '%s' is a symlink to absolute path '%s'",
				  name, t);
	/*
	 * Walk the target from the link's directory. Leading ".." climb real
	 * directories (write_disk refuses to extract through a symlink), but
	 * in "a/.." the name a may itself be a symlink, so ".." after a name
	 * is refused rather than folded lexically.
	 */
	depth--;
	named = false;
	for (p = t; *p;) {
		size_t len = strcspn(p, "/");

		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (named)
				return host->fail(ctx, 0,
						  "archive entry '%s' is a symlink to '%s', which has '..' after a name",
						  name, t);
			if (--depth < 0)
				return host->fail(ctx, 0,
						  "archive entry '%s' is a symlink to '%s', outside the extraction directory",
						  name, t);
		} else if (len > 0 && !(len == 1 && p[0] == '.')) {
			named = true;
		}
		p += len;
		if (*p == '/')
			p++;
	}
	return SUP_OK;
}

/* ---- file.extract: unpacking -------------------------------------- */

static int file_copy_data(const struct sup_host_api *host,
			  struct sup_action_ctx *ctx, struct archive *ar,
			  struct archive *disk, const char *pname,
			  const char *name)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	for (;;) {
		r = archive_read_data_block(ar, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			return SUP_OK;
		if (r < ARCHIVE_WARN)
			return host->fail(ctx, 0,
					  "cannot read '%s' from archive '%s': %s",
					  name, pname,
					  archive_error_string(ar));
		if (r == ARCHIVE_WARN)
			host->log(ctx, SUP_LOG_WARNING,
				  "reading '%s' from archive '%s': %s", name,
				  pname, archive_error_string(ar));
		if (archive_write_data_block(disk, buf, len, off) <
		    ARCHIVE_WARN)
			return host->fail(ctx, 0, "cannot extract '%s': %s",
					  name, archive_error_string(disk));
	}
}

/*
 * Unpack the archive streamed from x into the current directory (the
 * fresh temporary directory), then drain the payload to its verified end.
 * *count receives the number of entries.
 */
static int file_unpack(struct file_xread *x, uint64_t *count)
{
	const struct sup_host_api *host = x->host;
	struct sup_action_ctx *ctx = x->ctx;
	const int opts = ARCHIVE_EXTRACT_SECURE_NODOTDOT |
			 ARCHIVE_EXTRACT_SECURE_SYMLINKS |
			 ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS |
			 ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME;
	struct archive *ar, *disk;
	struct archive_entry *e;
	int r, rc = SUP_ERR;

	*count = 0;
	ar = archive_read_new();
	disk = archive_write_disk_new();
	if (!ar || !disk) {
		host->fail(ctx, ENOMEM, "cannot read archive '%s'", x->pname);
		goto out;
	}
	/* Only filters libarchive implements in-process: the _all variant
	 * may fall back to running external programs (lrzip, lzop, ...). */
	archive_read_support_filter_none(ar);
	archive_read_support_filter_gzip(ar);
	archive_read_support_filter_bzip2(ar);
	archive_read_support_filter_xz(ar);
	archive_read_support_filter_lzma(ar);
	archive_read_support_filter_zstd(ar);
	archive_read_support_filter_lz4(ar);
	archive_read_support_format_tar(ar);
	archive_read_support_format_cpio(ar);
	archive_read_support_format_zip(ar);
	archive_write_disk_set_options(disk, opts);
	if (archive_read_open(ar, x, NULL, file_xread_cb, NULL) !=
	    ARCHIVE_OK) {
		host->fail(ctx, 0, "cannot read archive '%s': %s", x->pname,
			   archive_error_string(ar));
		goto out;
	}
	for (;;) {
		const char *name;

		r = archive_read_next_header(ar, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			host->fail(ctx, 0, "cannot read archive '%s': %s",
				   x->pname, archive_error_string(ar));
			goto out;
		}
		if (r == ARCHIVE_WARN)
			host->log(ctx, SUP_LOG_WARNING,
				  "reading archive '%s': %s", x->pname,
				  archive_error_string(ar));
		/*
		 * An mtree file describes files instead of holding them:
		 * libarchive turns it into empty files, or, with its "checkfs"
		 * option, reads their content from this system's disk.
		 */
		if (archive_format(ar) == ARCHIVE_FORMAT_MTREE) {
			host->fail(ctx, 0,
				   "payload '%s' is an mtree description, not an archive",
				   x->pname);
			goto out;
		}
		if (file_check_entry(host, ctx, e, x->pname))
			goto out;
		name = archive_entry_pathname(e);
		r = archive_write_header(disk, e);
		if (r < ARCHIVE_WARN) {
			host->fail(ctx, 0, "cannot extract '%s': %s", name,
				   archive_error_string(disk));
			goto out;
		}
		if (r == ARCHIVE_WARN)
			host->log(ctx, SUP_LOG_WARNING, "extracting '%s': %s",
				  name, archive_error_string(disk));
		if (file_copy_data(host, ctx, ar, disk, x->pname, name))
			goto out;
		r = archive_write_finish_entry(disk);
		if (r < ARCHIVE_WARN) {
			host->fail(ctx, 0, "cannot extract '%s': %s", name,
				   archive_error_string(disk));
			goto out;
		}
		if (r == ARCHIVE_WARN)
			host->log(ctx, SUP_LOG_WARNING, "extracting '%s': %s",
				  name, archive_error_string(disk));
		(*count)++;
	}
	/* Applies the deferred directory modes and times. */
	if (archive_write_close(disk) < ARCHIVE_WARN) {
		host->fail(ctx, 0, "cannot finish extracting archive '%s': %s",
			   x->pname, archive_error_string(disk));
		goto out;
	}
	rc = file_xdrain(x);
out:
	if (disk)
		archive_write_free(disk);
	if (ar)
		archive_read_free(ar);
	return rc;
}

/*
 * archive_write_disk works relative to the current directory, and its
 * SECURE_NOABSOLUTEPATHS forbids prefixing entries with the temporary
 * directory: so unpack with the temporary directory as the working
 * directory (the plugin runs in a child process of its own) and return.
 */
static int file_unpack_in(struct file_xread *x, int tmpfd,
			  const char *tmp, const char *gw_path, uint64_t *count)
{
	int cwd, rc;

	cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0)
		return x->host->fail(x->ctx, errno,
				     "cannot open the current directory");
	if (fchdir(tmpfd) != 0) {
		rc = x->host->fail(x->ctx, errno,
				   "cannot enter temporary directory '%s' for '%s'",
				   tmp, gw_path);
		close(cwd);
		return rc;
	}
	rc = file_unpack(x, count);
	if (fchdir(cwd) != 0)
		rc = x->host->fail(x->ctx, errno,
				   "cannot return to the previous directory");
	close(cwd);
	return rc;
}

/* ---- file.extract: merging ---------------------------------------- */

/* "rel/name", or name at the top. NULL on ENOMEM. */
static char *file_rel(const char *rel, const char *name)
{
	return rel[0] ? file_join(rel, name) : strdup(name);
}

/* The names in directory fd except "." and "..". */
static int file_list_dir(int fd, char ***names, size_t *count)
{
	struct dirent *e;
	size_t cap = 0;
	DIR *d;
	int dfd, err = 0;

	*names = NULL;
	*count = 0;
	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0)
		return errno;
	d = fdopendir(dfd);
	if (!d) {
		err = errno;
		close(dfd);
		return err;
	}
	/* The duplicate shares the offset of fd, which may be at its end. */
	rewinddir(d);
	for (;;) {
		errno = 0;
		e = readdir(d);
		if (!e) {
			err = errno;
			break;
		}
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (*count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **n;

			if (ncap > SIZE_MAX / sizeof(*n)) {
				err = ENOMEM;
				break;
			}
			n = realloc(*names, ncap * sizeof(*n));
			if (!n) {
				err = ENOMEM;
				break;
			}
			*names = n;
			cap = ncap;
		}
		(*names)[*count] = strdup(e->d_name);
		if (!(*names)[*count]) {
			err = ENOMEM;
			break;
		}
		(*count)++;
	}
	closedir(d);
	return err;
}

static void file_names_free(char **names, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/*
 * Move the entries of sfd (in the temporary tree) into dfd (the target),
 * merging directories present on both sides. Nothing on the target side is
 * followed: an existing symlink is an ordinary non-directory there. With
 * apply false only look for conflicts (a directory against a
 * non-directory), so that a merge that would fail changes nothing.
 */
static int file_merge(const struct sup_host_api *host,
		      struct sup_action_ctx *ctx, int sfd, int dfd,
		      const char *rel, const char *gw_path, bool apply)
{
	const int oflags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	char **names = NULL, *sub = NULL, *first = NULL;
	size_t i, count = 0;
	bool dirty = false;
	int cs = -1, cd = -1, err, rc = SUP_ERR;

	err = file_list_dir(sfd, &names, &count);
	if (err) {
		host->fail(ctx, err, "cannot read the extracted '%s' for '%s'",
			   rel[0] ? rel : ".", gw_path);
		goto out;
	}
	for (i = 0; i < count; i++) {
		struct stat ss, ds;

		free(sub);
		sub = file_rel(rel, names[i]);
		if (!sub) {
			host->fail(ctx, ENOMEM, "cannot merge into '%s'",
				   gw_path);
			goto out;
		}
		if (fstatat(sfd, names[i], &ss, AT_SYMLINK_NOFOLLOW) != 0) {
			host->fail(ctx, errno, "cannot merge '%s' into '%s'",
				   sub, gw_path);
			goto out;
		}
		if (fstatat(dfd, names[i], &ds, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno != ENOENT) {
				host->fail(ctx, errno,
					   "cannot merge '%s' into '%s'", sub,
					   gw_path);
				goto out;
			}
			if (apply && file_rename_noreplace(sfd, names[i], dfd,
							   names[i]) != 0) {
				host->fail(ctx, errno,
					   "cannot move '%s' into '%s'", sub,
					   gw_path);
				goto out;
			}
			if (!dirty)
				first = strdup(sub);
			dirty = true;
			continue;
		}
		if (!S_ISDIR(ss.st_mode) != !S_ISDIR(ds.st_mode)) {
			host->fail(ctx, S_ISDIR(ds.st_mode) ? EISDIR : ENOTDIR,
				   "cannot merge '%s' into '%s'", sub, gw_path);
			goto out;
		}
		if (!S_ISDIR(ss.st_mode)) {
			if (apply &&
			    renameat(sfd, names[i], dfd, names[i]) != 0) {
				host->fail(ctx, errno,
					   "cannot move '%s' into '%s'", sub,
					   gw_path);
				goto out;
			}
			if (!dirty)
				first = strdup(sub);
			dirty = true;
			continue;
		}
		cs = openat(sfd, names[i], oflags);
		cd = cs < 0 ? -1 : openat(dfd, names[i], oflags);
		if (cs < 0 || cd < 0) {
			host->fail(ctx, errno, "cannot merge '%s' into '%s'",
				   sub, gw_path);
			goto out;
		}
		/* Entries leave it: it must be writable (we own it). */
		if (apply && !(ss.st_mode & S_IWUSR) &&
		    fchmod(cs, S_IRWXU) != 0) {
			host->fail(ctx, errno, "cannot merge '%s' into '%s'",
				   sub, gw_path);
			goto out;
		}
		if (file_merge(host, ctx, cs, cd, sub, gw_path, apply))
			goto out;
		close(cs);
		close(cd);
		cs = -1;
		cd = -1;
	}
	/* Catch a read-only directory before anything moved. */
	if (!apply && dirty && faccessat(dfd, ".", W_OK, AT_EACCESS) != 0) {
		host->fail(ctx, errno, "cannot move '%s' into '%s'",
			   first ? first : rel, gw_path);
		goto out;
	}
	if (apply && dirty && fsync(dfd) != 0) {
		host->fail(ctx, errno, "cannot sync '%s' in '%s'",
			   rel[0] ? rel : ".", gw_path);
		goto out;
	}
	rc = SUP_OK;
out:
	if (cs >= 0)
		close(cs);
	if (cd >= 0)
		close(cd);
	free(first);
	free(sub);
	file_names_free(names, count);
	return rc;
}

/* ---- file.extract ------------------------------------------------- */

static int file_extract_args(const struct sup_host_api *host,
			     struct sup_action_ctx *ctx, struct file_args *a)
{
	memset(a, 0, sizeof(*a));
	if (file_get_path(host, ctx, SUP_PATH_FOLLOW_LAST, a) ||
	    file_param_bool(host, ctx, "replace", 0, &a->replace))
		return SUP_ERR;
	if (a->replace && (file_is_root_path(a->path) ||
			   file_same_file(a->host_path, host->root_dir(ctx))))
		return host->fail(ctx, 0,
				  "cannot replace the root directory '%s'",
				  a->path);
	return SUP_OK;
}

static int file_extract_check(const struct sup_host_api *host,
			      struct sup_action_ctx *ctx)
{
	struct file_args a;
	int rc;

	rc = file_extract_args(host, ctx, &a);
	if (rc == SUP_OK)
		rc = file_check_payloads(host, ctx, 1);
	file_args_release(host, &a);
	return rc;
}

/*
 * Move the unpacked tree tmp into place at a->host_path. *tmp_gone tells
 * whether tmp still names a tree to remove afterwards (the emptied
 * directories of a merge, the old tree of an exchange).
 */
static int file_extract_commit(const struct sup_host_api *host,
			       struct sup_action_ctx *ctx,
			       const struct file_args *a, const char *dir,
			       const char *tmp, int tmpfd, bool exists,
			       bool *tmp_gone, const char **how)
{
	int dfd, err, rc = SUP_ERR;

	*tmp_gone = false;
	if (!exists || a->replace) {
		if (!exists) {
			*how = "new directory";
			err = file_rename_noreplace(AT_FDCWD, tmp, AT_FDCWD,
						    a->host_path);
		} else {
			*how = "replaced";
			err = file_renameat2(AT_FDCWD, tmp, AT_FDCWD,
					     a->host_path, RENAME_EXCHANGE);
		}
		if (err != 0)
			return host->fail(ctx, errno,
					  "cannot move the extracted tree to '%s'",
					  a->path);
		*tmp_gone = !exists;
		err = file_fsync_dir(dir);
		if (err)
			return host->fail(ctx, err,
					  "cannot sync directory '%s' after extracting to '%s'",
					  dir, a->path);
		return SUP_OK;
	}
	*how = "merged";
	dfd = open(a->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return host->fail(ctx, errno, "cannot extract into '%s'",
				  a->path);
	/* Entries leave the temporary directory: it must be writable. */
	if (fchmod(tmpfd, S_IRWXU) != 0) {
		host->fail(ctx, errno,
			   "cannot prepare temporary directory '%s' for '%s'",
			   tmp, a->path);
		goto out;
	}
	/* A conflict found before anything moved leaves the target as is. */
	if (file_merge(host, ctx, tmpfd, dfd, "", a->path, false))
		goto out;
	if (file_merge(host, ctx, tmpfd, dfd, "", a->path, true)) {
		host->log(ctx, SUP_LOG_ERROR,
			  "merge into '%s' stopped part way: it holds a mix of old and new entries",
			  a->path);
		goto out;
	}
	rc = SUP_OK;
out:
	close(dfd);
	return rc;
}

static int file_extract_execute(const struct sup_host_api *host,
				struct sup_action_ctx *ctx)
{
	struct file_xread x = { .host = host, .ctx = ctx };
	struct file_args a;
	char *dir = NULL, *base = NULL, *tmp = NULL;
	const char *how = "";
	bool exists = false, to_root, made = false, tmp_gone = false;
	uint64_t count = 0;
	struct stat st;
	int tmpfd = -1, err, rc = SUP_ERR;

	if (file_extract_args(host, ctx, &a) ||
	    file_check_payloads(host, ctx, 1))
		goto out;
	if (host->payload_info(ctx, 0, &x.pname, &x.prog.total) != SUP_OK) {
		host->fail(ctx, 0, "cannot get payload 0 of action '%s'",
			   host->action_id(ctx));
		goto out;
	}
	if (stat(a.host_path, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			host->fail(ctx, ENOTDIR, "cannot extract into '%s'",
				   a.path);
			goto out;
		}
		exists = true;
	} else if (errno != ENOENT) {
		host->fail(ctx, errno, "cannot extract into '%s'", a.path);
		goto out;
	}
	/*
	 * The temporary tree lives next to the target, on its file system.
	 * The root has no parent inside the root: its temporary tree goes
	 * inside it (merge only, replace was refused).
	 */
	to_root = exists && (file_is_root_path(a.path) ||
			     file_same_file(a.host_path, host->root_dir(ctx)));
	if (to_root) {
		dir = strdup(a.host_path);
		tmp = file_join(a.host_path, ".sup-XXXXXX");
	} else {
		err = file_split(a.host_path, &dir, &base);
		if (err) {
			host->fail(ctx, err, "cannot extract into '%s'",
				   a.path);
			goto out;
		}
		if (file_make_parents(host, ctx, dir, a.path))
			goto out;
		tmp = file_tmp_template(dir, base);
	}
	x.buf = malloc(FILE_BUF_SIZE);
	if (!dir || !tmp || !x.buf) {
		host->fail(ctx, ENOMEM, "cannot extract into '%s'", a.path);
		goto out;
	}
	if (!mkdtemp(tmp)) {
		host->fail(ctx, errno,
			   "cannot create a temporary directory in '%s' for '%s'",
			   dir, a.path);
		goto out;
	}
	made = true;
	tmpfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tmpfd < 0 || fchmod(tmpfd, 0755) != 0) {
		host->fail(ctx, errno,
			   "cannot prepare temporary directory '%s' for '%s'",
			   tmp, a.path);
		goto out;
	}
	if (host->payload_open(ctx, 0, &x.pl) != SUP_OK) {
		x.pl = NULL;
		host->fail(ctx, 0, "cannot open payload '%s' for '%s'",
			   x.pname, a.path);
		goto out;
	}
	if (file_unpack_in(&x, tmpfd, tmp, a.path, &count))
		goto out;
	/* Everything unpacked reaches the disk before it becomes visible. */
	if (syncfs(tmpfd) != 0) {
		host->fail(ctx, errno,
			   "cannot sync the extracted tree '%s' for '%s'", tmp,
			   a.path);
		goto out;
	}
	if (file_extract_commit(host, ctx, &a, dir, tmp, tmpfd, exists,
				&tmp_gone, &how))
		goto out;
	host->log(ctx, SUP_LOG_INFO,
		  "extracted %" PRIu64 " entries of payload '%s' to '%s' (%s)",
		  count, x.pname, a.path, how);
	rc = SUP_OK;
out:
	if (tmpfd >= 0)
		close(tmpfd);
	/* Failed: the target is as it was. Done: litter of a merge or the
	 * old tree of an exchange. A failure to remove is only a warning. */
	if (made && !tmp_gone)
		file_cleanup_tree(host, ctx, tmp);
	if (x.pl)
		host->payload_close(x.pl);
	free(x.buf);
	free(tmp);
	free(dir);
	free(base);
	file_args_release(host, &a);
	return rc;
}

/* ---- the plugin --------------------------------------------------- */

static const char *const file_install_keys[] = {
	"path", "mode", "owner", "group", NULL
};
static const char *const file_remove_keys[] = {
	"path", "missing_ok", "recursive", NULL
};
static const char *const file_mkdir_keys[] = {
	"path", "mode", "owner", "group", "parents", NULL
};
static const char *const file_symlink_keys[] = { "path", "target", NULL };
static const char *const file_extract_keys[] = { "path", "replace", NULL };

static const struct sup_action_ops file_actions[] = {
	{
		.type = "file.install",
		.check = file_install_check,
		.execute = file_install_execute,
		.flags = SUP_ACTION_IDEMPOTENT,
		.params = file_install_keys,
		.min_payloads = 1,
		.max_payloads = 1,
	},
	{
		.type = "file.remove",
		.check = file_remove_check,
		.execute = file_remove_execute,
		.flags = SUP_ACTION_IDEMPOTENT,
		.params = file_remove_keys,
	},
	{
		.type = "file.mkdir",
		.check = file_mkdir_check,
		.execute = file_mkdir_execute,
		.flags = SUP_ACTION_IDEMPOTENT,
		.params = file_mkdir_keys,
	},
	{
		.type = "file.symlink",
		.check = file_symlink_check,
		.execute = file_symlink_execute,
		.flags = SUP_ACTION_IDEMPOTENT,
		.params = file_symlink_keys,
	},
	{
		/* Re-extracting the same archive gives the same result. */
		.type = "file.extract",
		.check = file_extract_check,
		.execute = file_extract_execute,
		.flags = SUP_ACTION_IDEMPOTENT,
		.params = file_extract_keys,
		.min_payloads = 1,
		.max_payloads = 1,
	},
	{ 0 }
};

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin me = {
		SUP_PLUGIN_HEADER,
		.name = "file",
		.version = "1.0.0",
		.description = "install, remove, link and extract files",
		.actions = file_actions,
	};

	return &me;
}
