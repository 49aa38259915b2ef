/* SPDX-License-Identifier: MIT */
/*
 * extract.c - safe, validated, atomic extraction of an archive payload;
 * see extract.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "extract.h"
#include "fs.h"
#include "util.h"

/* ---- reading the payload ----------------------------------------- */

struct spl_extract_xread {
	const struct sup_host_api *host;
	struct sup_action_ctx *ctx;
	struct sup_payload *pl;
	const char *pname;
	unsigned char *buf;
	struct spl_progress prog;
	bool eof;	/* payload_read returned 0: size and hash verified */
	bool failed;
	/* Entries whose set-user-id, set-group-id or sticky bit waits for
	 * the payload to be verified: they are unpacked without it. */
	struct spl_extract_special *special;
	size_t n_special;
	/* The mode the archive gives its top directory ("./"): the
	 * temporary tree keeps 0700 until it is committed. */
	bool has_top_mode;
	mode_t top_mode;
};

/* The next chunk of the payload: bytes read, 0 at its verified end. */
static int64_t spl_extract_xread_next(struct spl_extract_xread *x)
{
	int64_t n;

	if (x->eof)
		return 0;
	if (x->failed)
		return -1;
	n = x->host->payload_read(x->pl, x->buf, SPL_BUF_SIZE);
	if (n < 0) {
		/* The host recorded why (read error or mismatch). */
		x->failed = true;
		return -1;
	}
	if (n > SPL_BUF_SIZE) {
		x->failed = true;
		x->host->fail(x->ctx, 0,
			      "payload '%s' read returned %" PRId64 " bytes for a %d-byte buffer",
			      x->pname, n, SPL_BUF_SIZE);
		return -1;
	}
	if (n == 0)
		x->eof = true;
	else
		spl_progress_add(x->host, x->ctx, &x->prog, (uint64_t)n);
	return n;
}

static la_ssize_t spl_extract_xread_cb(struct archive *ar, void *data,
				       const void **buf)
{
	struct spl_extract_xread *x = data;
	int64_t n = spl_extract_xread_next(x);

	if (n < 0) {
		archive_set_error(ar, EIO, "cannot read payload '%s'",
				  x->pname);
		return ARCHIVE_FATAL;
	}
	*buf = x->buf;
	return (la_ssize_t)n;
}

/* Read what follows the archive's end marker up to the verified end. */
static int spl_extract_xdrain(struct spl_extract_xread *x)
{
	int64_t n;

	do
		n = spl_extract_xread_next(x);
	while (n > 0);
	return n == 0 ? SUP_OK : SUP_ERR;
}

/* ---- entry validation -------------------------------------------- */

/*
 * Validate one archive entry before anything of it is written; a bad entry
 * fails the whole action. libarchive's ARCHIVE_EXTRACT_SECURE_* flags are
 * set as well, but they skip-or-refuse quietly per entry and do not look at
 * where a symbolic link points: this check does, and names the entry.
 */
static int spl_extract_check_entry(const struct sup_host_api *host,
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
	/* The disk writer makes a symlink of any entry with a link target,
	 * whatever its type says: only a symlink entry may carry one (and
	 * its target is checked below). */
	if (archive_entry_symlink(e) &&
	    archive_entry_filetype(e) != AE_IFLNK)
		return host->fail(ctx, 0,
				  "archive entry '%s' has a link target but is not a symlink",
				  name);
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

/* ---- unpacking --------------------------------------------------- */

static int spl_extract_copy_data(const struct sup_host_api *host,
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

static int spl_extract_defer_special(struct spl_extract_xread *x,
				     const char *name, mode_t mode)
{
	struct spl_extract_special *g;

	g = realloc(x->special, (x->n_special + 1) * sizeof(*g));
	if (!g)
		return x->host->fail(x->ctx, ENOMEM, "cannot extract '%s'",
				     name);
	x->special = g;
	g[x->n_special].name = strdup(name);
	g[x->n_special].mode = mode;
	if (!g[x->n_special].name)
		return x->host->fail(x->ctx, ENOMEM, "cannot extract '%s'",
				     name);
	x->n_special++;
	return SUP_OK;
}

/* Open rel (an entry's path) below dirfd without following any symbolic
 * link on the way; -1 and errno. */
static int spl_extract_open_entry(int dirfd, const char *rel)
{
	char *copy = strdup(rel), *p, *slash;
	int fd = dup(dirfd), next;

	if (!copy || fd < 0) {
		free(copy);
		if (fd >= 0)
			close(fd);
		errno = ENOMEM;
		return -1;
	}
	for (p = copy; fd >= 0 && *p; p = slash ? slash + 1 : p + strlen(p)) {
		slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		if (!*p || !strcmp(p, ".")) /* "a//b", "./a" */
			continue;
		next = openat(fd, p,
			      (slash && slash[1] ? O_PATH | O_DIRECTORY :
						   O_RDONLY | O_NONBLOCK) |
				      O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	free(copy);
	return fd;
}

int spl_extract_apply_special(const struct sup_host_api *host,
			      struct sup_action_ctx *ctx, int tmpfd,
			      const struct spl_extract_special *special,
			      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct spl_extract_special *s = &special[i];
		int fd = spl_extract_open_entry(tmpfd, s->name);

		if (fd < 0 || fchmod(fd, s->mode) != 0) {
			int err = errno;

			if (fd >= 0)
				close(fd);
			return host->fail(ctx, err,
					  "cannot set mode %04o of '%s'",
					  (unsigned int)s->mode, s->name);
		}
		close(fd);
	}
	return SUP_OK;
}

void spl_extract_special_free(struct spl_extract_special *special, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(special[i].name);
	free(special);
}

static void spl_extract_special_release(struct spl_extract_xread *x)
{
	spl_extract_special_free(x->special, x->n_special);
	x->special = NULL;
	x->n_special = 0;
}

/*
 * Unpack the archive streamed from x into the current directory (the
 * fresh temporary directory), then drain the payload to its verified end.
 * *count receives the number of entries.
 */
static int spl_extract_unpack(struct spl_extract_xread *x, uint64_t *count)
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
	if (archive_read_open(ar, x, NULL, spl_extract_xread_cb, NULL) !=
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
		if (spl_extract_check_entry(host, ctx, e, x->pname))
			goto out;
		name = archive_entry_pathname(e);
		/* The tree stays private (0700) until committed. */
		if (archive_entry_filetype(e) == AE_IFDIR &&
		    strspn(name, "./") == strlen(name)) {
			x->has_top_mode = true;
			x->top_mode = archive_entry_perm(e) & 07777;
			archive_entry_set_perm(e, S_IRWXU);
		}
		/* Nothing unverified runs with privileges: special bits wait
		 * until the payload's last read verified it. */
		else if ((archive_entry_perm(e) & 07000) &&
		    archive_entry_filetype(e) != AE_IFLNK) {
			if (spl_extract_defer_special(x, name,
						      archive_entry_perm(e)))
				goto out;
			archive_entry_set_perm(e, archive_entry_perm(e) & 0777);
		}
		r = archive_write_header(disk, e);
		if (r < ARCHIVE_WARN) {
			host->fail(ctx, 0, "cannot extract '%s': %s", name,
				   archive_error_string(disk));
			goto out;
		}
		if (r == ARCHIVE_WARN)
			host->log(ctx, SUP_LOG_WARNING, "extracting '%s': %s",
				  name, archive_error_string(disk));
		if (spl_extract_copy_data(host, ctx, ar, disk, x->pname, name))
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
	rc = spl_extract_xdrain(x);
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
static int spl_extract_unpack_in(struct spl_extract_xread *x, int tmpfd,
				 const char *tmp, const char *gw_path,
				 uint64_t *count)
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
	rc = spl_extract_unpack(x, count);
	if (fchdir(cwd) != 0)
		rc = x->host->fail(x->ctx, errno,
				   "cannot return to the previous directory");
	close(cwd);
	return rc;
}

/* ---- merging ----------------------------------------------------- */

/* "rel/name", or name at the top. NULL on ENOMEM. */
static char *spl_extract_rel(const char *rel, const char *name)
{
	return rel[0] ? spl_fs_join(rel, name) : strdup(name);
}

/* The names in directory fd except "." and "..". */
static int spl_extract_list_dir(int fd, char ***names, size_t *count)
{
	struct dirent *e;
	size_t cap = 0;
	DIR *d;
	int err = 0;

	*names = NULL;
	*count = 0;
	err = spl_fs_opendir_at(fd, &d);
	if (err)
		return err;
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

static void spl_extract_names_free(char **names, size_t count)
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
static int spl_extract_merge(const struct sup_host_api *host,
			     struct sup_action_ctx *ctx, int sfd, int dfd,
			     const char *rel, const char *gw_path, bool apply)
{
	const int oflags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	char **names = NULL, *sub = NULL, *first = NULL;
	size_t i, count = 0;
	bool dirty = false;
	int cs = -1, cd = -1, err, rc = SUP_ERR;

	err = spl_extract_list_dir(sfd, &names, &count);
	if (err) {
		host->fail(ctx, err, "cannot read the extracted '%s' for '%s'",
			   rel[0] ? rel : ".", gw_path);
		goto out;
	}
	for (i = 0; i < count; i++) {
		struct stat ss, ds;

		free(sub);
		sub = spl_extract_rel(rel, names[i]);
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
			if (apply && spl_fs_rename_noreplace(sfd, names[i], dfd,
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
		if (spl_extract_merge(host, ctx, cs, cd, sub, gw_path, apply))
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
	spl_extract_names_free(names, count);
	return rc;
}

/* ---- the extraction ----------------------------------------------- */

int spl_extract_check_target(const struct sup_host_api *host,
			     struct sup_action_ctx *ctx, const char *gw_path,
			     const char *host_path, enum spl_extract_mode mode)
{
	if (mode == SPL_EXTRACT_REPLACE &&
	    (spl_fs_is_root_path(gw_path) ||
	     spl_fs_same_file(host_path, host->root_dir(ctx))))
		return host->fail(ctx, 0,
				  "cannot replace the root directory '%s'",
				  gw_path);
	return SUP_OK;
}

int spl_extract_open_target(struct spl_extract *x,
			    const struct sup_host_api *host,
			    struct sup_action_ctx *ctx, const char *gw_path,
			    enum spl_extract_mode mode)
{
	struct stat st;

	memset(x, 0, sizeof(*x));
	x->host = host;
	x->ctx = ctx;
	x->gw_path = gw_path;
	x->mode = mode;
	x->dirfd = -1;
	x->tmpdirfd = -1;
	x->tmpfd = -1;
	x->how = "";
	x->began = true;
	if (mode == SPL_EXTRACT_REPLACE && spl_fs_is_root_path(gw_path))
		return host->fail(ctx, 0,
				  "cannot replace the root directory '%s'",
				  gw_path);
	/*
	 * The temporary tree lives next to the target, on its file system.
	 * The root has no parent inside the root: its temporary tree goes
	 * inside it (merge only, replace was refused).
	 */
	if (spl_fs_is_root_path(gw_path)) {
		if (!SUP_HOST_HAS(host, path_dir))
			return host->fail(ctx, 0,
					  "this installer lacks path_dir (plugin ABI 1.1)");
		if (host->path_dir(ctx, gw_path, 0, &x->dirfd) != SUP_OK)
			return SUP_ERR;
		x->exists = true;
		return SUP_OK;
	}
	if (spl_fs_open_parent(host, ctx, gw_path,
			       SUP_PATH_FOLLOW_LAST | SUP_PATH_MKPARENTS,
			       &x->dirfd, &x->name))
		return SUP_ERR;
	if (fstatat(x->dirfd, x->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISDIR(st.st_mode))
			return host->fail(ctx, ENOTDIR,
					  "cannot extract into '%s'", gw_path);
		x->exists = true;
	} else if (errno != ENOENT) {
		return host->fail(ctx, errno, "cannot extract into '%s'",
				  gw_path);
	}
	spl_fs_sweep_stale_at(host, ctx, x->dirfd, gw_path, x->name);
	return SUP_OK;
}

int spl_extract_begin(struct spl_extract *x, const struct sup_host_api *host,
		      struct sup_action_ctx *ctx, const char *gw_path,
		      enum spl_extract_mode mode)
{
	int err, rc = SUP_ERR;

	if (spl_extract_open_target(x, host, ctx, gw_path, mode))
		goto out;
	/* Private until it is committed: nothing unverified is reachable
	 * by another user. */
	err = spl_fs_tmp_dir_at(x->dirfd, x->name ? x->name : "", &x->tmpfd,
				&x->tmp);
	if (err) {
		host->fail(ctx, err,
			   "cannot create a temporary directory for '%s'",
			   gw_path);
		goto out;
	}
	x->made = true;
	x->tmpdirfd = x->dirfd;
	if (spl_fs_note_temp(host, ctx, x->dirfd, x->tmp))
		goto out;
	rc = SUP_OK;
out:
	return rc;
}

int spl_extract_payload(struct spl_extract *x, size_t index)
{
	const struct sup_host_api *host = x->host;
	struct sup_action_ctx *ctx = x->ctx;
	struct spl_extract_xread r = { .host = host, .ctx = ctx };
	int rc = SUP_ERR;

	if (!x->made || x->tmpfd < 0 || x->unpacked)
		return host->fail(ctx, EINVAL, "cannot extract into '%s'",
				  x->gw_path);
	if (host->payload_info(ctx, index, &r.pname, &r.prog.total) !=
	    SUP_OK)
		return host->fail(ctx, 0,
				  "cannot get payload %zu of action '%s'",
				  index, host->action_id(ctx));
	x->payload = r.pname;
	r.buf = malloc(SPL_BUF_SIZE);
	if (!r.buf) {
		host->fail(ctx, ENOMEM, "cannot extract into '%s'",
			   x->gw_path);
		goto out;
	}
	if (host->payload_open(ctx, index, &r.pl) != SUP_OK) {
		r.pl = NULL;
		host->fail(ctx, 0, "cannot open payload '%s' for '%s'",
			   r.pname, x->gw_path);
		goto out;
	}
	if (spl_extract_unpack_in(&r, x->tmpfd, x->tmp, x->gw_path,
				  &x->entries))
		goto out;
	x->top_mode = r.has_top_mode ? r.top_mode : 0755;
	if (x->hold) {
		/* Staged: the modes wait for the commit; the host syncs
		 * everything staged at once. */
		x->special = r.special;
		x->n_special = r.n_special;
		r.special = NULL;
		r.n_special = 0;
		x->unpacked = true;
		rc = SUP_OK;
		goto out;
	}
	if (spl_extract_apply_special(host, ctx, x->tmpfd, r.special,
				      r.n_special))
		goto out;
	/* Everything unpacked reaches the disk before it becomes visible. */
	if (syncfs(x->tmpfd) != 0) {
		host->fail(ctx, errno,
			   "cannot sync the extracted tree '%s' for '%s'",
			   x->tmp, x->gw_path);
		goto out;
	}
	x->unpacked = true;
	rc = SUP_OK;
out:
	if (r.pl)
		host->payload_close(r.pl);
	spl_extract_special_release(&r);
	free(r.buf);
	return rc;
}

int spl_extract_commit(struct spl_extract *x)
{
	const struct sup_host_api *host = x->host;
	struct sup_action_ctx *ctx = x->ctx;
	int dfd, rc = SUP_ERR;

	if (!x->unpacked || x->committed)
		return host->fail(ctx, EINVAL, "cannot extract into '%s'",
				  x->gw_path);
	if (!x->exists || x->mode == SPL_EXTRACT_REPLACE) {
		/* The tree becomes the target: the mode its archive gives
		 * it, else 0755. */
		if (fchmod(x->tmpfd, x->top_mode) != 0)
			return host->fail(ctx, errno,
					  "cannot set the mode of the extracted tree for '%s'",
					  x->gw_path);
		if (!x->exists) {
			x->how = "new directory";
			if (spl_fs_rename_noreplace(x->tmpdirfd, x->tmp,
						    x->dirfd, x->name) != 0)
				return host->fail(ctx, errno,
						  "cannot move the extracted tree to '%s'",
						  x->gw_path);
		} else {
			x->how = "replaced";
			if (spl_fs_renameat2(x->tmpdirfd, x->tmp, x->dirfd,
					     x->name, RENAME_EXCHANGE) != 0)
				return host->fail(ctx, errno,
						  "cannot move the extracted tree to '%s'",
						  x->gw_path);
		}
		x->committed = true;
		x->tmp_gone = !x->exists;
		if (fsync(x->dirfd) != 0)
			return host->fail(ctx, errno,
					  "cannot sync the directory of '%s'",
					  x->gw_path);
		return SUP_OK;
	}
	x->how = "merged";
	dfd = x->name ? openat(x->dirfd, x->name,
			       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) :
			openat(x->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return host->fail(ctx, errno, "cannot extract into '%s'",
				  x->gw_path);
	/* Entries leave the temporary directory: it must be writable. */
	if (fchmod(x->tmpfd, S_IRWXU) != 0) {
		host->fail(ctx, errno,
			   "cannot prepare the temporary directory for '%s'",
			   x->gw_path);
		goto out;
	}
	/* A conflict found before anything moved leaves the target as is. */
	if (spl_extract_merge(host, ctx, x->tmpfd, dfd, "", x->gw_path, false))
		goto out;
	x->committed = true;
	if (spl_extract_merge(host, ctx, x->tmpfd, dfd, "", x->gw_path, true)) {
		host->log(ctx, SUP_LOG_ERROR,
			  "merge into '%s' stopped part way: it holds a mix of old and new entries",
			  x->gw_path);
		goto out;
	}
	rc = SUP_OK;
out:
	close(dfd);
	return rc;
}

char *spl_extract_take_replaced(struct spl_extract *x)
{
	char *old = NULL;
	int fd, err;

	if (!x->committed || !x->exists || x->mode != SPL_EXTRACT_REPLACE ||
	    x->tmp_gone)
		return NULL;
	if (x->tmpdirfd == x->dirfd) {
		old = x->tmp;
		x->tmp = NULL;
		x->tmp_gone = true;
		return old;
	}
	/* Staged: the old tree is in the staging directory, which the host
	 * removes after the action. Next to the target it goes, under a
	 * temporary name, exchanged with an empty one made there. */
	err = spl_fs_tmp_dir_at(x->dirfd, x->name ? x->name : "", &fd, &old);
	if (err) {
		x->host->fail(x->ctx, err,
			      "cannot keep the replaced tree of '%s'",
			      x->gw_path);
		return NULL;
	}
	close(fd);
	if (spl_fs_note_temp(x->host, x->ctx, x->dirfd, old) ||
	    spl_fs_renameat2(x->tmpdirfd, x->tmp, x->dirfd, old,
			     RENAME_EXCHANGE) != 0) {
		err = errno;
		unlinkat(x->dirfd, old, AT_REMOVEDIR);
		x->host->fail(x->ctx, err,
			      "cannot keep the replaced tree of '%s'",
			      x->gw_path);
		free(old);
		return NULL;
	}
	return old;
}

void spl_extract_release(struct spl_extract *x)
{
	if (x->made && x->tmpfd >= 0)
		close(x->tmpfd);
	x->tmpfd = -1;
	/* Failed: the target is as it was. Done: litter of a merge or the
	 * old tree of an exchange. */
	if (x->made && !x->tmp_gone && x->tmp && x->tmpdirfd >= 0)
		spl_fs_cleanup_tree_at(x->host, x->ctx, x->tmpdirfd, x->tmp,
				       x->gw_path);
	if (x->tmpdirfd >= 0 && x->tmpdirfd != x->dirfd)
		close(x->tmpdirfd);
	x->tmpdirfd = -1;
	spl_extract_special_free(x->special, x->n_special);
	x->special = NULL;
	x->n_special = 0;
	if (x->began && x->dirfd >= 0)
		close(x->dirfd);
	free(x->tmp);
	free(x->name);
	x->tmp = NULL;
	x->name = NULL;
	x->dirfd = -1;
	x->made = false;
	x->began = false;
}
