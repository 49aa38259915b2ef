/* SPDX-License-Identifier: MIT */
/*
 * file - the built-in supkit plugin for files and directories on the
 * gateway: file.install, file.remove, file.mkdir, file.symlink and
 * file.extract.
 *
 * check() validates paths as strings (host->resolve_path(): nothing is
 * written). execute() opens the directory holding the target once, by
 * descriptor (host->path_parent(), ABI 1.1: links resolved inside the
 * root, links of other users and unsafe path transitions refused), and
 * works relative to it from then on: a component swapped for a link
 * afterwards leads nothing elsewhere. Writes are durable and atomic where
 * the file system allows it: new content goes to a private temporary
 * name next to its target (".<base>.sup-XXXXXX", 0600), is synced, gets
 * its owner and mode, and is renamed over the target only after the
 * payload's last read returned 0 (the host verifies size and SHA-256 on
 * that read).
 *
 * Messages name the gateway path given in the manifest; a host path shows
 * up only where no gateway path exists for it (a parent directory created
 * on the way, a temporary file).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

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
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <sup/plugin.h>

#include "extract.h"
#include "fs.h"
#include "stage.h"
#include "util.h"

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

/* ---- small helpers ------------------------------------------------ */

static void file_args_release(const struct sup_host_api *host,
			      struct file_args *a)
{
	if (a->host_path)
		host->free(a->host_path);
	a->host_path = NULL;
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

/*
 * The id of a user (group false) or a group (group true), by name or
 * decimal id. Owner and group names are looked up on the running system (its
 * NSS passwd and group databases), not in the files under --root: on a gateway
 * both are the same system; a --root test run should use numeric ids or
 * names that exist on the host. A decimal id is taken as it is, not
 * looked up.
 * Returns 0, ENOENT for an unknown name, or another errno value.
 */
static int file_lookup_id(const char *name, bool group, uint32_t *out)
{
	struct passwd pw, *pw_res = NULL;
	struct group gr, *gr_res = NULL;
	long hint =
		sysconf(group ? _SC_GETGR_R_SIZE_MAX : _SC_GETPW_R_SIZE_MAX);
	size_t len = hint > 0 ? (size_t)hint : 1024;
	bool found;
	int64_t id;
	char *buf;
	int err;

	/* (uid_t)-1 means "unchanged" to chown(): not an id. */
	if (spl_parse_num(name, 0, (int64_t)UINT32_MAX - 1, &id)) {
		*out = (uint32_t)id;
		return 0;
	}
	for (;;) {
		buf = malloc(len);
		if (!buf)
			return ENOMEM;
		if (group)
			err = getgrnam_r(name, &gr, buf, len, &gr_res);
		else
			err = getpwnam_r(name, &pw, buf, len, &pw_res);
		if (err != ERANGE || len >= FILE_NSS_BUF_MAX)
			break;
		free(buf);
		len *= 2;
	}
	found = group ? gr_res != NULL : pw_res != NULL;
	if (!err && found)
		*out = group ? (uint32_t)gr.gr_gid : (uint32_t)pw.pw_uid;
	else if (!err)
		err = ENOENT;
	free(buf);
	return err;
}

/* The id for parameter param ("owner": a user, "group": a group) given as
 * name; every failure recorded. */
static int file_resolve_id(const struct sup_host_api *host,
			   struct sup_action_ctx *ctx, const char *param,
			   const char *name, bool group, uint32_t *out)
{
	const char *what = group ? "group" : "user";
	int err = file_lookup_id(name, group, out);

	if (err == ENOENT)
		return host->fail(ctx, 0, "parameter '%s': unknown %s '%s'",
				  param, what, name);
	if (err)
		return host->fail(ctx, err,
				  "parameter '%s': cannot look up %s '%s'", param,
				  what, name);
	return SUP_OK;
}

static int file_get_owner(const struct sup_host_api *host,
			  struct sup_action_ctx *ctx, struct file_owner *o)
{
	const char *user, *group;
	uint32_t id;

	memset(o, 0, sizeof(*o));
	if (file_param_str(host, ctx, "owner", SUP_PARAM_OPTIONAL, NULL,
			   &user) ||
	    file_param_str(host, ctx, "group", SUP_PARAM_OPTIONAL, NULL,
			   &group))
		return SUP_ERR;
	if (user) {
		if (file_resolve_id(host, ctx, "owner", user, false, &id))
			return SUP_ERR;
		o->uid = (uid_t)id;
		o->has_uid = true;
	}
	if (group) {
		if (file_resolve_id(host, ctx, "group", group, true, &id))
			return SUP_ERR;
		o->gid = (gid_t)id;
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
	if (spl_fs_is_root_path(a->path))
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

/* Stage the payload next to nothing: into the host's staging directory
 * on the target's file system (ABI 1.2). */
static int file_install_stage(const struct sup_host_api *host,
			      struct sup_action_ctx *ctx)
{
	struct file_args a;
	int rc = SUP_ERR;

	if (file_install_args(host, ctx, &a) == SUP_OK &&
	    file_check_payloads(host, ctx, 1) == SUP_OK)
		rc = spl_stage_payload(host, ctx, a.path, SUP_PATH_FOLLOW_LAST,
				       0);
	file_args_release(host, &a);
	return rc;
}

/*
 * Commit the staged file: owner and mode on the descriptor of what
 * staging wrote (never on a name), then one rename into place. EXDEV
 * when the target's directory is no longer on the staging file system
 * (an earlier action made it a link elsewhere): the caller streams.
 */
static int file_install_commit(const struct sup_host_api *host,
			       struct sup_action_ctx *ctx,
			       const struct file_args *a, int sdfd, int fd,
			       int *xdev)
{
	struct stat st;
	char *name = NULL;
	int dfd = -1, rc = SUP_ERR;

	*xdev = 0;
	if (spl_fs_open_parent(host, ctx, a->path,
			       SUP_PATH_FOLLOW_LAST | SUP_PATH_MKPARENTS, &dfd,
			       &name))
		goto out;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode)) {
		host->fail(ctx, EISDIR, "cannot install '%s'", a->path);
		goto out;
	}
	/* chown() first: it clears the set-user/group-id bits. */
	if (file_apply_owner(&a->owner, fd) != 0) {
		host->fail(ctx, errno, "cannot set owner of '%s'", a->path);
		goto out;
	}
	if (fchmod(fd, a->mode) != 0) {
		host->fail(ctx, errno, "cannot set mode of '%s'", a->path);
		goto out;
	}
	/* The data was synced after staging; this makes owner and mode
	 * durable with it. */
	if (fsync(fd) != 0) {
		host->fail(ctx, errno, "cannot sync '%s'", a->path);
		goto out;
	}
	if (renameat(sdfd, SPL_STAGE_FILE, dfd, name) != 0) {
		if (errno == EXDEV)
			*xdev = 1;
		else
			host->fail(ctx, errno, "cannot install '%s'", a->path);
		goto out;
	}
	if (fsync(dfd) != 0) {
		host->fail(ctx, errno,
			   "cannot sync the directory of '%s' after installing it",
			   a->path);
		goto out;
	}
	rc = SUP_OK;
out:
	if (dfd >= 0)
		close(dfd);
	free(name);
	return rc;
}

static int file_install_execute(const struct sup_host_api *host,
				struct sup_action_ctx *ctx)
{
	struct spl_progress prog = { 0 };
	struct sup_payload *pl = NULL;
	struct file_args a;
	unsigned char *buf = NULL;
	char *name = NULL, *tmp = NULL;
	const char *pname;
	bool renamed = false;
	struct stat st;
	int dfd = -1, fd = -1, sdfd = -1, err, rc = SUP_ERR;

	if (file_install_args(host, ctx, &a) ||
	    file_check_payloads(host, ctx, 1))
		goto out;
	switch (spl_staged_open(host, ctx, a.path, &sdfd, &fd)) {
	case SUP_ENOENT:
		break;
	case SUP_OK:
		rc = file_install_commit(host, ctx, &a, sdfd, fd, &err);
		close(fd);
		fd = -1;
		if (rc == SUP_OK) {
			host->payload_info(ctx, 0, &pname, &prog.total);
			host->log(ctx, SUP_LOG_INFO,
				  "installed '%s' from payload '%s' (%" PRIu64 " bytes, staged, mode %04o)",
				  a.path, pname, prog.total,
				  (unsigned int)a.mode);
			goto out;
		}
		if (!err)
			goto out;
		host->log(ctx, SUP_LOG_INFO,
			  "'%s' is no longer on the file system it was staged on: streaming its payload again",
			  a.path);
		rc = SUP_ERR;
		break;
	default:
		goto out;
	}
	if (host->payload_info(ctx, 0, &pname, &prog.total) != SUP_OK) {
		host->fail(ctx, 0, "cannot get payload 0 of action '%s'",
			   host->action_id(ctx));
		goto out;
	}
	if (spl_fs_open_parent(host, ctx, a.path,
			       SUP_PATH_FOLLOW_LAST | SUP_PATH_MKPARENTS, &dfd,
			       &name))
		goto out;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode)) {
		host->fail(ctx, EISDIR, "cannot install '%s'", a.path);
		goto out;
	}
	buf = malloc(SPL_BUF_SIZE);
	if (!buf) {
		host->fail(ctx, ENOMEM, "cannot install '%s'", a.path);
		goto out;
	}
	spl_fs_sweep_stale_at(host, ctx, dfd, a.path, name);
	if (host->payload_open(ctx, 0, &pl) != SUP_OK) {
		pl = NULL;
		host->fail(ctx, 0, "cannot open payload '%s' for '%s'", pname,
			   a.path);
		goto out;
	}
	/* 0600 and ours: unverified data stays private, and nothing runs
	 * with privileges before the payload's last read verified it. */
	err = spl_fs_tmp_file_at(dfd, name, &fd, &tmp);
	if (err) {
		host->fail(ctx, err,
			   "cannot create a temporary file for '%s'", a.path);
		goto out;
	}
	if (spl_fs_note_temp(host, ctx, dfd, tmp))
		goto out;
	if (spl_payload_copy(host, ctx, pl, pname, fd, buf, &prog, &err)) {
		if (err)
			host->fail(ctx, err,
				   "cannot write the temporary file '%s' for '%s'",
				   tmp, a.path);
		goto out;
	}
	/* Verified: now the owner (first: chown() clears the set-user/group
	 * -id bits), then the mode. */
	if (file_apply_owner(&a.owner, fd) != 0) {
		host->fail(ctx, errno, "cannot set owner of '%s'", a.path);
		goto out;
	}
	if (fchmod(fd, a.mode) != 0) {
		host->fail(ctx, errno, "cannot set mode of '%s'", a.path);
		goto out;
	}
	if (fsync(fd) != 0) {
		host->fail(ctx, errno,
			   "cannot sync the temporary file '%s' for '%s'", tmp,
			   a.path);
		goto out;
	}
	err = close(fd) == 0 ? 0 : errno;
	fd = -1;
	if (err) {
		host->fail(ctx, err,
			   "cannot write the temporary file '%s' for '%s'", tmp,
			   a.path);
		goto out;
	}
	if (renameat(dfd, tmp, dfd, name) != 0) {
		host->fail(ctx, errno, "cannot install '%s'", a.path);
		goto out;
	}
	renamed = true;
	if (fsync(dfd) != 0) {
		host->fail(ctx, errno,
			   "cannot sync the directory of '%s' after installing it",
			   a.path);
		goto out;
	}
	host->log(ctx, SUP_LOG_INFO,
		  "installed '%s' from payload '%s' (%" PRIu64 " bytes, mode %04o)",
		  a.path, pname, prog.done, (unsigned int)a.mode);
	rc = SUP_OK;
out:
	if (fd >= 0)
		close(fd);
	if (tmp && !renamed && unlinkat(dfd, tmp, 0) != 0 && errno != ENOENT)
		host->log(ctx, SUP_LOG_WARNING,
			  "cannot remove the temporary file '%s' for '%s': %s",
			  tmp, a.path, strerror(errno));
	if (pl)
		host->payload_close(pl);
	if (dfd >= 0)
		close(dfd);
	if (sdfd >= 0)
		close(sdfd);
	free(tmp);
	free(name);
	free(buf);
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

	if (spl_fs_is_root_path(gw_path))
		return true;
	if (lstat(host_path, &st) != 0 || S_ISLNK(st.st_mode))
		return false;
	return spl_fs_same_file(host_path, host->root_dir(ctx));
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
	char *name = NULL, *where = NULL;
	struct stat st;
	int dfd = -1, err, rc = SUP_ERR;

	if (file_remove_args(host, ctx, &a))
		goto out;
	/* The entry itself, not what a link points to; a missing parent
	 * means a missing entry. */
	if (!SUP_HOST_HAS(host, path_parent)) {
		host->fail(ctx, 0,
			   "this installer lacks path_parent (plugin ABI 1.1)");
		goto out;
	}
	if (a.missing_ok && fstatat(AT_FDCWD, a.host_path, &st,
				    AT_SYMLINK_NOFOLLOW) != 0 &&
	    (errno == ENOENT || errno == ENOTDIR)) {
		host->log(ctx, SUP_LOG_INFO,
			  "'%s' does not exist, nothing to remove", a.path);
		rc = SUP_OK;
		goto out;
	}
	if (spl_fs_open_parent(host, ctx, a.path, SUP_PATH_NOFOLLOW_LAST, &dfd,
			       &name))
		goto out;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT && a.missing_ok) {
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
	if (S_ISDIR(st.st_mode)) {
		err = spl_fs_rmtree_at(dfd, name, false, &where);
		if (err && where && where[0]) {
			host->fail(ctx, err, "cannot remove '%s' in '%s'",
				   where, a.path);
			goto out;
		}
	} else {
		err = unlinkat(dfd, name, 0) == 0 ? 0 : errno;
	}
	if (err) {
		host->fail(ctx, err, "cannot remove '%s'", a.path);
		goto out;
	}
	if (fsync(dfd) != 0) {
		host->fail(ctx, errno,
			   "cannot sync the directory of '%s' after removing it",
			   a.path);
		goto out;
	}
	host->log(ctx, SUP_LOG_INFO, "removed '%s'", a.path);
	rc = SUP_OK;
out:
	if (dfd >= 0)
		close(dfd);
	free(where);
	free(name);
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
	/* Like every other action: the root's own mode and owner are not a
	 * package's to change. */
	if (file_is_root(host, ctx, a->path, a->host_path))
		return host->fail(ctx, 0,
				  "refusing to change the root directory '%s'",
				  a->path);
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
	const int oflags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	struct file_args a;
	char *name = NULL;
	bool created = false;
	struct stat st, dst;
	int dfd = -1, fd = -1, rc = SUP_ERR;

	if (file_mkdir_args(host, ctx, &a))
		goto out;
	if (spl_fs_open_parent(host, ctx, a.path,
			       SUP_PATH_FOLLOW_LAST |
				    (a.parents ? SUP_PATH_MKPARENTS : 0),
			       &dfd, &name))
		goto out;
	fd = openat(dfd, name, oflags);
	if (fd < 0 && (errno == ENOTDIR || errno == ELOOP) &&
	    fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
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
		/* Private until owner and mode are applied. */
		if (mkdirat(dfd, name, 0700) == 0) {
			created = true;
		} else if (errno != EEXIST) {
			host->fail(ctx, errno, "cannot create directory '%s'",
				   a.path);
			goto out;
		}
		fd = openat(dfd, name, oflags);
		if (fd < 0) {
			host->fail(ctx, errno, "cannot create directory '%s'",
				   a.path);
			goto out;
		}
	}
	/* The walk checked the name, but the user who owns the directory
	 * holding it may have swapped one of root's in since (or between
	 * our mkdirat() and openat()): take only that user's own directory,
	 * or the empty one made here. */
	if (fstat(dfd, &dst) != 0 || fstat(fd, &st) != 0) {
		host->fail(ctx, errno, "cannot create directory '%s'", a.path);
		goto out;
	}
	if (!spl_fs_is_safe_transition(&dst, &st) &&
	    !(created && st.st_uid == geteuid() && spl_fs_is_empty_dir(fd))) {
		host->fail(ctx, 0,
			   "cannot create directory '%s': unsafe path transition from a directory owned by uid %lu to one owned by uid %lu",
			   a.path, (unsigned long)dst.st_uid,
			   (unsigned long)st.st_uid);
		goto out;
	}
	/* Owner and mode through the descriptor of what was opened, never
	 * through a name a link could have taken. */
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
	if (created && fsync(dfd) != 0) {
		host->fail(ctx, errno,
			   "cannot sync the directory of '%s' after creating it",
			   a.path);
		goto out;
	}
	host->log(ctx, SUP_LOG_INFO, "%s directory '%s' (mode %04o)",
		  created ? "created" : "updated existing", a.path,
		  (unsigned int)a.mode);
	rc = SUP_OK;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(name);
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
	if (spl_fs_is_root_path(a->path))
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

/* True if name in dirfd is a symbolic link to exactly target. */
static bool file_symlink_is(int dirfd, const char *name, const char *target)
{
	size_t len = strlen(target);
	char *buf = malloc(len + 2);
	ssize_t n;
	bool same;

	if (!buf)
		return false;
	n = readlinkat(dirfd, name, buf, len + 2);
	same = n >= 0 && (size_t)n == len && !memcmp(buf, target, len);
	free(buf);
	return same;
}

static int file_symlink_execute(const struct sup_host_api *host,
				struct sup_action_ctx *ctx)
{
	struct file_args a;
	char *name = NULL, *tmp = NULL;
	bool renamed = false;
	struct stat st;
	int dfd = -1, err, rc = SUP_ERR;

	if (file_symlink_args(host, ctx, &a))
		goto out;
	if (spl_fs_open_parent(host, ctx, a.path,
			       SUP_PATH_NOFOLLOW_LAST | SUP_PATH_MKPARENTS,
			       &dfd, &name))
		goto out;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISDIR(st.st_mode)) {
			host->fail(ctx, 0,
				   "cannot create symlink '%s': a directory is in the way",
				   a.path);
			goto out;
		}
		if (S_ISLNK(st.st_mode) &&
		    file_symlink_is(dfd, name, a.target)) {
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
	err = spl_fs_tmp_symlink_at(a.target, dfd, name, &tmp);
	if (err) {
		host->fail(ctx, err,
			   "cannot create a temporary symlink for '%s'", a.path);
		goto out;
	}
	if (spl_fs_note_temp(host, ctx, dfd, tmp))
		goto out;
	/* Atomic; rename itself refuses to replace a directory. */
	if (renameat(dfd, tmp, dfd, name) != 0) {
		host->fail(ctx, errno, "cannot create symlink '%s'", a.path);
		goto out;
	}
	renamed = true;
	if (fsync(dfd) != 0) {
		host->fail(ctx, errno,
			   "cannot sync the directory of symlink '%s'", a.path);
		goto out;
	}
	host->log(ctx, SUP_LOG_INFO, "created symlink '%s' -> '%s'", a.path,
		  a.target);
	rc = SUP_OK;
out:
	if (tmp && !renamed && unlinkat(dfd, tmp, 0) != 0 && errno != ENOENT)
		host->log(ctx, SUP_LOG_WARNING,
			  "cannot remove the temporary symlink '%s' for '%s': %s",
			  tmp, a.path, strerror(errno));
	if (dfd >= 0)
		close(dfd);
	free(tmp);
	free(name);
	file_args_release(host, &a);
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
	return spl_extract_check_target(host, ctx, a->path, a->host_path,
					a->replace ? SPL_EXTRACT_REPLACE :
						 SPL_EXTRACT_MERGE);
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

/* Unpack the archive into the host's staging directory on the target's
 * file system (ABI 1.2); execute() commits the tree. */
static int file_extract_stage(const struct sup_host_api *host,
			      struct sup_action_ctx *ctx)
{
	struct file_args a;
	int rc = SUP_ERR;

	if (file_extract_args(host, ctx, &a) == SUP_OK &&
	    file_check_payloads(host, ctx, 1) == SUP_OK)
		rc = spl_extract_stage(host, ctx, a.path, 0);
	file_args_release(host, &a);
	return rc;
}

static int file_extract_execute(const struct sup_host_api *host,
				struct sup_action_ctx *ctx)
{
	struct spl_extract x = { 0 };
	struct file_args a;
	int rc = SUP_ERR;

	if (file_extract_args(host, ctx, &a) ||
	    file_check_payloads(host, ctx, 1))
		goto out;
	if (spl_extract_prepare(&x, host, ctx, a.path,
				a.replace ? SPL_EXTRACT_REPLACE :
					    SPL_EXTRACT_MERGE,
				0) ||
	    spl_extract_commit(&x))
		goto out;
	host->log(ctx, SUP_LOG_INFO,
		  "extracted %" PRIu64 " entries of payload '%s' to '%s' (%s)",
		  x.entries, x.payload, a.path, x.how);
	rc = SUP_OK;
out:
	spl_extract_release(&x);
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

/* The checks only read their parameters and payload entries: they may
 * share a process (one fork for a package's file actions, not one each). */
static const struct sup_action_ops file_actions[] = {
	{
		.type = "file.install",
		.check = file_install_check,
		.execute = file_install_execute,
		.flags = SUP_ACTION_IDEMPOTENT | SUP_ACTION_SHARED_CHECK,
		.params = file_install_keys,
		.min_payloads = 1,
		.max_payloads = 1,
		.stage = file_install_stage,
	},
	{
		.type = "file.remove",
		.check = file_remove_check,
		.execute = file_remove_execute,
		.flags = SUP_ACTION_IDEMPOTENT | SUP_ACTION_SHARED_CHECK,
		.params = file_remove_keys,
	},
	{
		.type = "file.mkdir",
		.check = file_mkdir_check,
		.execute = file_mkdir_execute,
		.flags = SUP_ACTION_IDEMPOTENT | SUP_ACTION_SHARED_CHECK,
		.params = file_mkdir_keys,
	},
	{
		.type = "file.symlink",
		.check = file_symlink_check,
		.execute = file_symlink_execute,
		.flags = SUP_ACTION_IDEMPOTENT | SUP_ACTION_SHARED_CHECK,
		.params = file_symlink_keys,
	},
	{
		/* Re-extracting the same archive gives the same result. */
		.type = "file.extract",
		.check = file_extract_check,
		.execute = file_extract_execute,
		.flags = SUP_ACTION_IDEMPOTENT | SUP_ACTION_SHARED_CHECK,
		.params = file_extract_keys,
		.min_payloads = 1,
		.max_payloads = 1,
		.stage = file_extract_stage,
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
