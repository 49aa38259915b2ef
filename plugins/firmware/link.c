/* SPDX-License-Identifier: MIT */
/*
 * link.c - releases_dir, current_link and the release's directory, opened
 * from the root by descriptor; reading and switching current_link.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <sup/plugin.h>

#include "fs.h"
#include "say.h"

#include "firmware.h"

/* check() only: may the directory at host path p be walked? A missing
 * component means it is not there yet; anything else is left to the walk
 * to report. */
static bool fw_is_there(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 || (errno != ENOENT && errno != ENOTDIR);
}

/* check() only: the path of releases_dir and of the directory of
 * current_link under the root tell which of them exist to be walked. */
static int fw_open_existing(struct fw *fw, bool *releases, bool *link_dir)
{
	const struct sup_host_api *host = fw->host;
	struct sup_action_ctx *ctx = fw->ctx;
	char *current = NULL, *dir = NULL, *base = NULL;
	struct stat st;
	int err;

	*releases = *link_dir = false;
	if (host->resolve_path(ctx, fw->releases_gw, SUP_PATH_FOLLOW_LAST,
			       &fw->releases_host) != SUP_OK) {
		fw->releases_host = NULL;
		return SUP_ERR;
	}
	if (stat(fw->releases_host, &st) == 0 && !S_ISDIR(st.st_mode))
		return host->fail(ctx, 0,
				  "[firmware] releases_dir: '%s' is not a directory",
				  fw->releases_gw);
	*releases = fw_is_there(fw->releases_host);
	if (host->resolve_path(ctx, fw->current_gw, SUP_PATH_NOFOLLOW_LAST,
			       &current) != SUP_OK)
		return SUP_ERR;
	err = spl_fs_split(current, &dir, &base);
	host->free(current);
	if (err)
		return host->fail(ctx, err, "cannot read the link '%s'",
				  fw->current_gw);
	*link_dir = fw_is_there(dir);
	free(dir);
	free(base);
	return SUP_OK;
}

int fw_open(struct fw *fw, bool create)
{
	const struct sup_host_api *host = fw->host;
	struct sup_action_ctx *ctx = fw->ctx;
	unsigned int mk = create ? SUP_PATH_MKPARENTS : 0;
	bool releases = true, link_dir = true;

	if (!SUP_HOST_HAS(host, path_parent) || !SUP_HOST_HAS(host, path_dir))
		return host->fail(ctx, 0,
				  "this installer lacks path_parent and path_dir (plugin ABI 1.1)");
	if (!create && fw_open_existing(fw, &releases, &link_dir))
		return SUP_ERR;
	if (releases && spl_fs_open_dir(host, ctx, fw->releases_gw, mk,
					&fw->releases_fd))
		return SUP_ERR;
	if (link_dir && spl_fs_open_parent(host, ctx, fw->current_gw,
					   SUP_PATH_NOFOLLOW_LAST | mk,
					   &fw->link_dfd, &fw->link_name))
		return SUP_ERR;
	return SUP_OK;
}

int fw_open_release(struct fw *fw, unsigned int flags)
{
	if (fw->release_dfd >= 0)
		return SUP_OK;
	return spl_fs_open_parent(fw->host, fw->ctx, fw->release_gw,
				  SUP_PATH_FOLLOW_LAST | flags,
				  &fw->release_dfd, &fw->release_name);
}

int fw_open_stage(struct fw *fw, const char *staging)
{
	fw->stage_fd = open(staging,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fw->stage_fd < 0)
		return fw->host->fail(fw->ctx, errno,
				      "cannot open the staging directory '%s'",
				      staging);
	return SUP_OK;
}

/*
 * What gw leads to, every link on the way and at its end resolved by the
 * walk's rules: *found and *st. SUP_ERR only when the walk failed
 * (recorded): a link of another user, a missing directory on the way.
 */
static int fw_lookup(struct fw *fw, const char *gw, struct stat *st,
		     bool *found)
{
	char *name;
	int dfd;

	*found = false;
	if (spl_fs_open_parent(fw->host, fw->ctx, gw, SUP_PATH_FOLLOW_LAST,
			       &dfd, &name))
		return SUP_ERR;
	*found = fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) == 0;
	close(dfd);
	free(name);
	return SUP_OK;
}

/* ---- the current link ---------------------------------------------- */

void fw_link_release(struct fw_link *l)
{
	free(l->target);
	memset(l, 0, sizeof(*l));
}

/* The text of the symbolic link name in dirfd into *out (free): 0, or an
 * errno value (EINVAL: not a symbolic link; ENOENT also when dirfd is
 * -1, a directory that is not there). */
static int fw_readlink(int dirfd, const char *name, char **out)
{
	char *buf;
	ssize_t n;

	*out = NULL;
	if (dirfd < 0)
		return ENOENT;
	buf = malloc(PATH_MAX);
	if (!buf)
		return ENOMEM;
	n = readlinkat(dirfd, name, buf, PATH_MAX);
	if (n <= 0 || n >= PATH_MAX) {
		free(buf);
		return n < 0 ? errno : ENAMETOOLONG;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

int fw_link_read(struct fw *fw, struct fw_link *l)
{
	int err;

	memset(l, 0, sizeof(*l));
	err = fw_readlink(fw->link_dfd, fw->link_name, &l->target);
	if (err == ENOENT)
		return SUP_OK;
	if (err == EINVAL)
		return fw->host->fail(fw->ctx, 0,
				      "[firmware] current_link: '%s' exists and is not a symbolic link",
				      fw->current_gw);
	if (err)
		return fw->host->fail(fw->ctx, err,
				      "cannot read the link '%s'",
				      fw->current_gw);
	l->exists = true;
	return SUP_OK;
}

int fw_link_is_new(struct fw *fw, const struct fw_link *l,
		   bool *is_new)
{
	struct stat rel, cur;
	bool found;
	char *n;

	*is_new = false;
	if (!l->exists)
		return SUP_OK;
	n = fw_normalize(l->target);
	*is_new = n && (!strcmp(n, fw->target) ||
			!strcmp(n, fw->release_gw));
	free(n);
	if (*is_new || fw->releases_fd < 0 ||
	    fstatat(fw->releases_fd, fw->version, &rel,
		    AT_SYMLINK_NOFOLLOW) != 0)
		return SUP_OK;
	if (S_ISLNK(rel.st_mode)) {
		if (fw_lookup(fw, fw->release_gw, &rel, &found))
			return SUP_ERR;
		if (!found)
			return SUP_OK;
	}
	if (!S_ISDIR(rel.st_mode))
		return SUP_OK;
	if (fw_lookup(fw, fw->current_gw, &cur, &found))
		return SUP_ERR;
	*is_new = found && spl_fs_same_stat(&cur, &rel);
	return SUP_OK;
}

int fw_link_switch(struct fw *fw, const char *target)
{
	const struct sup_host_api *host = fw->host;
	struct sup_action_ctx *ctx = fw->ctx;
	char *tmp = NULL, *now = NULL;
	bool linked = false;
	int err, rc = SUP_ERR;

	if (!fw_readlink(fw->link_dfd, fw->link_name, &now) &&
	    !strcmp(now, target)) {
		host->log(ctx, SUP_LOG_INFO, "'%s' already points to '%s'",
			  fw->current_gw, target);
		free(now);
		return SUP_OK;
	}
	free(now);
	spl_fs_sweep_stale_at(host, ctx, fw->link_dfd, fw->current_dir_gw,
			      fw->link_name);
	err = spl_fs_tmp_symlink_at(target, fw->link_dfd, fw->link_name, &tmp);
	if (err) {
		host->fail(ctx, err,
			   "cannot create a temporary link in '%s' for '%s'",
			   fw->current_dir_gw, fw->current_gw);
		goto out;
	}
	linked = true;
	if (spl_fs_note_temp(host, ctx, fw->link_dfd, tmp))
		goto out;
	/* rename() refuses to put the link over a directory. */
	if (renameat(fw->link_dfd, tmp, fw->link_dfd, fw->link_name) != 0) {
		host->fail(ctx, errno, "cannot switch '%s' to '%s'",
			   fw->current_gw, target);
		goto out;
	}
	linked = false;
	if (fsync(fw->link_dfd) != 0) {
		host->fail(ctx, errno,
			   "cannot sync directory '%s' after switching '%s'",
			   fw->current_dir_gw, fw->current_gw);
		goto out;
	}
	spl_say(fw->host, fw->ctx,
		"switched '%s' to '%s'", fw->current_gw, target);
	rc = SUP_OK;
out:
	if (linked && unlinkat(fw->link_dfd, tmp, 0) != 0 && errno != ENOENT)
		host->log(ctx, SUP_LOG_WARNING,
			  "cannot remove temporary link '%s' in '%s': %s", tmp,
			  fw->current_dir_gw, strerror(errno));
	free(tmp);
	return rc;
}

int fw_link_remove(struct fw *fw)
{
	if (unlinkat(fw->link_dfd, fw->link_name, 0) != 0 && errno != ENOENT)
		return fw->host->fail(fw->ctx, errno, "cannot remove '%s'",
				      fw->current_gw);
	if (fsync(fw->link_dfd) != 0)
		return fw->host->fail(fw->ctx, errno,
				      "cannot sync the directory of '%s'",
				      fw->current_gw);
	return SUP_OK;
}
