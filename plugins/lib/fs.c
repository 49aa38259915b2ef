/* SPDX-License-Identifier: MIT */
/*
 * fs.c - file-system helpers of the plugins: paths, temporaries, renames,
 * tree removal, directories by descriptor (see fs.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "fs.h"

/* ".<base>.sup-XXXXXX" must fit NAME_MAX: keep at most this much of base. */
#define SPL_FS_TMP_BASE_MAX (NAME_MAX - 12)
#define SPL_FS_TMP_TRIES 100

bool spl_fs_is_gateway_path(const char *p)
{
	if (p[0] != '/')
		return false;
	for (const char *c = p; *c; c++) {
		if (c[0] == '/' && c[1] == '.' && c[2] == '.' &&
		    (c[3] == '/' || c[3] == '\0'))
			return false;
	}
	return true;
}

int spl_fs_opendir_at(int fd, DIR **d)
{
	int dfd, err;

	*d = NULL;
	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0)
		return errno;
	*d = fdopendir(dfd);
	if (!*d) {
		err = errno;
		close(dfd);
		return err;
	}
	rewinddir(*d);
	return 0;
}

bool spl_fs_is_root_path(const char *path)
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

bool spl_fs_same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
		return false;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int spl_fs_split(const char *path, char **dir, char **base)
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

char *spl_fs_join(const char *dir, const char *name)
{
	size_t dlen = strlen(dir);
	const char *sep = dlen > 0 && dir[dlen - 1] == '/' ? "" : "/";
	char *out;

	if (asprintf(&out, "%s%s%s", dir, sep, name) < 0)
		return NULL;
	return out;
}




int spl_fs_renameat2(int olddirfd, const char *oldpath, int newdirfd,
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

int spl_fs_rename_noreplace(int olddirfd, const char *oldpath,
			    int newdirfd, const char *newpath)
{
	if (spl_fs_renameat2(olddirfd, oldpath, newdirfd, newpath,
			     RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	return renameat(olddirfd, oldpath, newdirfd, newpath);
}





/* ---- tree removal ------------------------------------------------- */

/*
 * Tree removal that never follows a symbolic link and holds one directory
 * descriptor whatever the depth: it climbs back with "..", checked
 * against the device and inode recorded on the way down, so an archive
 * nested thousands of levels deep is removed like any other.
 */
struct spl_fs_rm_level {
	const char *name;	/* in the parent; owned by the parent level */
	dev_t dev;
	ino_t ino;
	char **subdirs;
	size_t nsub;
	size_t next;
};

struct spl_fs_rm {
	struct spl_fs_rm_level *lv;
	size_t depth;
	size_t cap;
	bool force;	/* make directories writable (own temp trees) */
};

static void spl_fs_rm_level_release(struct spl_fs_rm_level *l)
{
	size_t i;

	for (i = 0; i < l->nsub; i++)
		free(l->subdirs[i]);
	free(l->subdirs);
	l->subdirs = NULL;
	l->nsub = 0;
}

/* The path below the top directory of the current level plus name. */
static char *spl_fs_rm_where(const struct spl_fs_rm *rm, const char *name)
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

static int spl_fs_rm_push(struct spl_fs_rm *rm, const char *name, int fd)
{
	struct spl_fs_rm_level *l;
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
static int spl_fs_rm_scan(struct spl_fs_rm *rm, int fd, char **bad)
{
	struct spl_fs_rm_level *l = &rm->lv[rm->depth - 1];
	size_t cap = 0;
	struct dirent *e;
	DIR *d;
	int err = 0;

	*bad = NULL;
	err = spl_fs_opendir_at(fd, &d);
	if (err)
		return err;
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
static int spl_fs_rm_open(const struct spl_fs_rm *rm, int fd, const char *name)
{
	int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

	/* A directory unpacked without search or write permission. Best
	 * effort: when this fails, the openat() or the removal says why. */
	if (rm->force) {
		int ignored = fchmodat(fd, name, S_IRWXU, AT_SYMLINK_NOFOLLOW);

		(void)ignored;
	}
	return openat(fd, name, flags);
}

int spl_fs_rmtree_at(int dirfd, const char *name, bool force,
		     char **where)
{
	struct spl_fs_rm rm = { .force = force };
	char *bad = NULL;
	int fd, err = 0;

	*where = NULL;
	fd = spl_fs_rm_open(&rm, dirfd, name);
	if (fd < 0)
		return errno;
	err = spl_fs_rm_push(&rm, name, fd);
	if (!err)
		err = spl_fs_rm_scan(&rm, fd, &bad);
	if (err)
		goto out;
	for (;;) {
		struct spl_fs_rm_level *top = &rm.lv[rm.depth - 1];
		struct stat st;
		int next;

		if (top->next < top->nsub) {
			const char *child = top->subdirs[top->next++];

			next = spl_fs_rm_open(&rm, fd, child);
			if (next < 0) {
				if (errno == ENOENT)
					continue;
				err = errno;
				bad = strdup(child);
				goto out;
			}
			close(fd);
			fd = next;
			err = spl_fs_rm_push(&rm, child, fd);
			if (!err)
				err = spl_fs_rm_scan(&rm, fd, &bad);
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
			spl_fs_rm_level_release(top);
			goto out;
		}
		spl_fs_rm_level_release(top);
		rm.depth--;
	}
	close(fd);
	fd = -1;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
		err = errno;
out:
	if (err && rm.depth > 0)
		*where = spl_fs_rm_where(&rm, bad);
	if (fd >= 0)
		close(fd);
	while (rm.depth > 0)
		spl_fs_rm_level_release(&rm.lv[--rm.depth]);
	free(rm.lv);
	free(bad);
	return err;
}


/* ---- by descriptor ------------------------------------------------ */

int spl_fs_open_parent(const struct sup_host_api *host,
		       struct sup_action_ctx *ctx, const char *gw_path,
		       unsigned int flags, int *dirfd, char **name)
{
	char *hname = NULL;

	*dirfd = -1;
	*name = NULL;
	if (!SUP_HOST_HAS(host, path_parent))
		return host->fail(ctx, 0,
				  "this installer lacks path_parent (plugin ABI 1.1)");
	if (host->path_parent(ctx, gw_path, flags, dirfd, &hname) != SUP_OK)
		return SUP_ERR; /* recorded by the host */
	*name = strdup(hname);
	host->free(hname);
	if (!*name) {
		close(*dirfd);
		*dirfd = -1;
		return host->fail(ctx, ENOMEM, "cannot open '%s'", gw_path);
	}
	return SUP_OK;
}

int spl_fs_open_dir(const struct sup_host_api *host, struct sup_action_ctx *ctx,
		    const char *gw_path, unsigned int flags, int *fd)
{
	*fd = -1;
	if (!SUP_HOST_HAS(host, path_dir))
		return host->fail(ctx, 0,
				  "this installer lacks path_dir (plugin ABI 1.1)");
	if (host->path_dir(ctx, gw_path, flags, fd) != SUP_OK) {
		*fd = -1;
		return SUP_ERR; /* recorded by the host */
	}
	return SUP_OK;
}

bool spl_fs_same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

bool spl_fs_is_safe_transition(const struct stat *dir,
			       const struct stat *child)
{
	return dir->st_uid == 0 || dir->st_uid == geteuid() ||
	       child->st_uid == dir->st_uid;
}

bool spl_fs_is_empty_dir(int fd)
{
	struct dirent *e;
	bool empty = true;
	DIR *d;

	if (spl_fs_opendir_at(fd, &d))
		return false;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

/* Fill the last six characters of name with random letters and digits. */
static int spl_fs_randomize(char *name)
{
	static const char chars[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	size_t len = strlen(name);
	unsigned char rnd[6];

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return errno ? errno : EIO;
	for (int i = 0; i < 6; i++)
		name[len - 6 + (size_t)i] = chars[rnd[i] % (sizeof(chars) - 1)];
	return 0;
}

enum spl_fs_tmp_kind { SPL_FS_TMP_FILE, SPL_FS_TMP_DIR, SPL_FS_TMP_LINK };

static int spl_fs_tmp_at(int dirfd, const char *base, enum spl_fs_tmp_kind kind,
			 const char *target, int *fd, char **name)
{
	char *n = NULL;
	int err = EEXIST;

	if (fd)
		*fd = -1;
	*name = NULL;
	if (asprintf(&n, ".%.*s.sup-XXXXXX", SPL_FS_TMP_BASE_MAX, base) < 0)
		return ENOMEM;
	for (int tries = 0; tries < SPL_FS_TMP_TRIES && err == EEXIST;
	     tries++) {
		err = spl_fs_randomize(n);
		if (err)
			break;
		switch (kind) {
		case SPL_FS_TMP_FILE:
			*fd = openat(dirfd, n,
				     O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
					     O_CLOEXEC,
				     0600);
			err = *fd < 0 ? errno : 0;
			break;
		case SPL_FS_TMP_DIR:
			err = mkdirat(dirfd, n, 0700) == 0 ? 0 : errno;
			if (!err) {
				*fd = openat(dirfd, n,
					     O_RDONLY | O_DIRECTORY |
						     O_NOFOLLOW | O_CLOEXEC);
				if (*fd < 0 || fchmod(*fd, S_IRWXU) != 0) {
					err = errno;
					if (*fd >= 0)
						close(*fd);
					*fd = -1;
					unlinkat(dirfd, n, AT_REMOVEDIR);
				}
			}
			break;
		case SPL_FS_TMP_LINK:
			err = symlinkat(target, dirfd, n) == 0 ? 0 : errno;
			break;
		}
	}
	if (err) {
		free(n);
		return err;
	}
	*name = n;
	return 0;
}

int spl_fs_tmp_file_at(int dirfd, const char *base, int *fd, char **name)
{
	return spl_fs_tmp_at(dirfd, base, SPL_FS_TMP_FILE, NULL, fd, name);
}

int spl_fs_tmp_dir_at(int dirfd, const char *base, int *fd, char **name)
{
	return spl_fs_tmp_at(dirfd, base, SPL_FS_TMP_DIR, NULL, fd, name);
}

int spl_fs_tmp_symlink_at(const char *target, int dirfd, const char *base,
			  char **name)
{
	return spl_fs_tmp_at(dirfd, base, SPL_FS_TMP_LINK, target, NULL, name);
}

void spl_fs_sweep_stale_at(const struct sup_host_api *host,
			   struct sup_action_ctx *ctx, int dirfd,
			   const char *where, const char *base)
{
	char *prefix = NULL;
	struct dirent *de;
	size_t plen;
	DIR *dh;
	int dfd;

	if (asprintf(&prefix, ".%.*s.sup-", SPL_FS_TMP_BASE_MAX, base) < 0)
		return;
	plen = strlen(prefix);
	dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dh = dfd < 0 ? NULL : fdopendir(dfd);
	if (!dh) {
		if (dfd >= 0)
			close(dfd);
		goto out;
	}
	while ((de = readdir(dh))) {
		char *at = NULL;
		struct stat st;
		int err;

		if (strncmp(de->d_name, prefix, plen) != 0 ||
		    strlen(de->d_name) != plen + 6)
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (S_ISDIR(st.st_mode))
			err = spl_fs_rmtree_at(dirfd, de->d_name, true, &at);
		else
			err = unlinkat(dirfd, de->d_name, 0) ? errno : 0;
		if (err)
			host->log(ctx, SUP_LOG_WARNING,
				  "cannot remove leftover temporary '%s' in '%s': %s",
				  de->d_name, where, strerror(err));
		else
			host->log(ctx, SUP_LOG_WARNING,
				  "removed leftover temporary '%s' in '%s' (from an interrupted run)",
				  de->d_name, where);
		free(at);
	}
	closedir(dh);
out:
	free(prefix);
}

void spl_fs_cleanup_tree_at(const struct sup_host_api *host,
			    struct sup_action_ctx *ctx, int dirfd,
			    const char *name, const char *label)
{
	char *where = NULL;
	int err = spl_fs_rmtree_at(dirfd, name, true, &where);

	if (err == ENOENT)
		err = 0;
	if (err && where && where[0])
		host->log(ctx, SUP_LOG_WARNING, "cannot remove '%s' in '%s': %s",
			  where, label, strerror(err));
	else if (err)
		host->log(ctx, SUP_LOG_WARNING,
			  "cannot remove temporary directory '%s': %s", label,
			  strerror(err));
	free(where);
	if (!err && fsync(dirfd) != 0)
		host->log(ctx, SUP_LOG_WARNING,
			  "cannot sync the directory of '%s': %s", label,
			  strerror(errno));
}

int spl_fs_note_temp(const struct sup_host_api *host,
		     struct sup_action_ctx *ctx, int dirfd, const char *name)
{
	int rc;

	if (!SUP_HOST_HAS(host, temp_note))
		return SUP_OK;
	rc = host->temp_note(ctx, dirfd, name);
	/* SUP_ENOTSUP: a phase without a journal (check), nothing to do. */
	return rc == SUP_OK || rc == SUP_ENOTSUP ? SUP_OK : SUP_ERR;
}
