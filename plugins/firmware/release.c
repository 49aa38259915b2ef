/* SPDX-License-Identifier: MIT */
/*
 * release.c - method = release: unpack into releases_dir/<version>, switch
 * current_link while the runtime is stopped, roll back, prune old releases.
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
#include <dirent.h>

#include <sup/plugin.h>

#include "extract.h"
#include "fs.h"
#include "rtctl.h"
#include "say.h"

#include "firmware.h"

static int fw_cmp_version_desc(const void *a, const void *b)
{
	return strverscmp(*(char *const *)b, *(char *const *)a);
}

/*
 * Remove release directories beyond keep_releases, the oldest versions
 * first; never the current one (keep) nor the previous one (prev, may be
 * NULL). Hidden entries, links and other names are not releases. Problems
 * are warnings: the update itself succeeded.
 */
static void fw_prune(struct fw *fw, const char *keep, const char *prev)
{
	const struct sup_host_api *host = fw->host;
	struct sup_action_ctx *ctx = fw->ctx;
	char **names = NULL, *where;
	size_t count = 0, cap = 0, i;
	int64_t kept = 1;
	struct dirent *e;
	DIR *d = NULL;
	int dfd = fw->releases_fd, err = 0;

	err = spl_fs_opendir_at(dfd, &d);
	if (err) {
		host->log(ctx, SUP_LOG_WARNING,
			  "cannot list the releases in '%s': %s",
			  fw->releases_gw, strerror(err));
		return;
	}
	for (;;) {
		struct stat st;
		char **n;

		errno = 0;
		e = readdir(d);
		if (!e) {
			err = errno;
			break;
		}
		if (!fw_is_version(e->d_name) || !strcmp(e->d_name, keep))
			continue;
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (prev && !strcmp(e->d_name, prev)) {
			kept++;
			continue;
		}
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;

			n = ncap > SIZE_MAX / sizeof(*names) ? NULL :
				realloc(names, ncap * sizeof(*names));
			if (!n) {
				err = ENOMEM;
				break;
			}
			names = n;
			cap = ncap;
		}
		names[count] = strdup(e->d_name);
		if (!names[count]) {
			err = ENOMEM;
			break;
		}
		count++;
	}
	/* Which ones are the oldest is known only from the whole list. */
	if (err) {
		host->log(ctx, SUP_LOG_WARNING,
			  "cannot list the releases in '%s': %s",
			  fw->releases_gw, strerror(err));
		goto out;
	}
	if (count > 0)
		qsort(names, count, sizeof(*names), fw_cmp_version_desc);
	for (i = 0; i < count; i++) {
		if (kept < fw->keep_releases) {
			kept++;
			continue;
		}
		err = spl_fs_rmtree_at(dfd, names[i], true, &where);
		if (err)
			host->log(ctx, SUP_LOG_WARNING,
				  "cannot remove old release '%s' in '%s'%s%s: %s",
				  names[i], fw->releases_gw,
				  where && where[0] ? " at " : "",
				  where && where[0] ? where : "",
				  strerror(err));
		else
			spl_say(fw->host, fw->ctx,
				"removed old release %s from '%s'", names[i],
				fw->releases_gw);
		free(where);
	}
	if (fsync(dfd) != 0)
		host->log(ctx, SUP_LOG_WARNING, "cannot sync '%s': %s",
			  fw->releases_gw, strerror(errno));
out:
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
	closedir(d);
}

/* ---- the method ---------------------------------------------------- */

int fw_check_release(struct fw *fw)
{
	struct fw_link cur;
	struct stat st;
	char *name = NULL;
	bool is_new;
	int rc = SUP_ERR;

	/* A link there is followed by extract.c's walk, which decides. */
	if (fw->releases_fd >= 0 &&
	    fstatat(fw->releases_fd, fw->version, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 &&
	    !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
		return fw->host->fail(fw->ctx, 0,
				      "cannot install firmware %s: '%s' exists and is not a directory",
				      fw->version, fw->release_gw);
	if (fw_link_read(fw, &cur))
		return SUP_ERR;
	if (fw_check_space(fw, fw->releases_fd, fw->releases_host,
			   fw->releases_gw) ||
	    fw_link_is_new(fw, &cur, &is_new))
		goto out;
	if (!cur.exists) {
		fw->host->log(fw->ctx, SUP_LOG_INFO,
			      "no '%s' yet: firmware %s will be the first release",
			      fw->current_gw, fw->version);
	} else if (is_new) {
		struct fw_link prev;

		if (fw_pending_read(fw, &prev))
			fw->host->log(fw->ctx, SUP_LOG_INFO,
				      "an interrupted update to firmware %s will be taken up again",
				      fw->version);
		else
			fw->host->log(fw->ctx, SUP_LOG_WARNING,
				      "firmware %s is already the current release: it will be installed again",
				      fw->version);
		fw_link_release(&prev);
	} else {
		name = fw_last_name(cur.target);
		fw->host->log(fw->ctx, SUP_LOG_INFO,
			      "updating firmware %s to %s",
			      name ? name : cur.target, fw->version);
	}
	rc = SUP_OK;
out:
	free(name);
	fw_link_release(&cur);
	return rc;
}

/* Unpacked in place: extract.c moved the tree to releases_dir/<version>. */
static void fw_say_extracted(struct fw *fw, const struct spl_extract *x)
{
	spl_say(fw->host, fw->ctx,
		"extracted %" PRIu64 " entries of payload '%s' to '%s' (%s)",
		x->entries, x->payload, fw->release_gw, x->how);
}

/*
 * Which release to come back to: the link as found, unless it already
 * leads to our version and a pending record of an interrupted run of this
 * update names the one before (*resumed). *is_new: the link leads to our
 * version.
 */
static int fw_find_previous(struct fw *fw, struct fw_link *prev,
			    bool *is_new, bool *resumed)
{
	struct fw_link cur;
	char *name;

	*resumed = false;
	if (fw_link_read(fw, &cur))
		return SUP_ERR;
	if (fw_link_is_new(fw, &cur, is_new)) {
		fw_link_release(&cur);
		return SUP_ERR;
	}
	if (*is_new && fw_pending_read(fw, prev)) {
		*resumed = true;
		name = prev->exists ? fw_last_name(prev->target) : NULL;
		spl_say(fw->host, fw->ctx,
			"resuming an interrupted update to firmware %s (previous: %s)",
			fw->version, name ? name : "none");
		free(name);
		fw_link_release(&cur);
		return SUP_OK;
	}
	if (*is_new)
		spl_say(fw->host, fw->ctx,
			"firmware %s is already the current release: installing it again",
			fw->version);
	*prev = cur;
	return SUP_OK;
}

/* The aside tree's name in the release's directory, for messages. */
static char *fw_aside_label(const struct fw *fw, const char *aside)
{
	return spl_fs_join(fw->releases_gw, aside);
}

/* Remove the aside tree (a failure is a warning). */
static void fw_aside_remove(struct fw *fw, const char *aside)
{
	char *label = fw_aside_label(fw, aside);

	spl_fs_cleanup_tree_at(fw->host, fw->ctx, fw->release_dfd, aside,
			       label ? label : aside);
	free(label);
}

/* Put the release replaced by execute() back (an exchange, in the
 * release's directory: fw_open_release()), and remove the new tree it
 * held. */
static int fw_put_back(struct fw *fw, const char *aside)
{
	if (spl_fs_renameat2(fw->release_dfd, aside, fw->release_dfd,
			     fw->release_name, RENAME_EXCHANGE) != 0)
		return fw->host->fail(fw->ctx, errno,
				      "cannot put back the replaced release '%s'",
				      fw->release_gw);
	if (fsync(fw->release_dfd) != 0)
		return fw->host->fail(fw->ctx, errno, "cannot sync '%s'",
				      fw->releases_gw);
	spl_say(fw->host, fw->ctx,
		"put back the replaced release '%s'", fw->release_gw);
	fw_aside_remove(fw, aside);
	return SUP_OK;
}

/* A name in a directory, not a path: the replaced release's record. */
static bool fw_is_name(const char *n)
{
	return n[0] && !strchr(n, '/') && strcmp(n, ".") && strcmp(n, "..");
}

int fw_execute_release(struct fw *fw)
{
	const struct sup_host_api *host = fw->host;
	struct sup_action_ctx *ctx = fw->ctx;
	const char *staging = host->staging_dir(ctx);
	struct spl_extract x = { 0 };
	struct fw_link prev = { 0 };
	char *aside = NULL, *subject = NULL, *prev_name = NULL;
	bool is_new, resumed;
	struct stat st;
	int rc = SUP_ERR;

	if (fw_open(fw, true) || fw_open_stage(fw, staging) ||
	    fw_check_release(fw) ||
	    fw_find_previous(fw, &prev, &is_new, &resumed) ||
	    fw_open_release(fw, SUP_PATH_MKPARENTS))
		goto out;
	subject = fw_strf("firmware %s", fw->version);
	if (prev.exists)
		prev_name = fw_last_name(prev.target);
	if (!subject || (prev.exists && !prev_name)) {
		host->fail(ctx, ENOMEM, "cannot install firmware %s",
			   fw->version);
		goto out;
	}

	/* Unpacked and checked before the runtime is touched; a release
	 * that is not current is replaced right away. */
	if (spl_extract_prepare(&x, host, ctx, fw->release_gw,
				SPL_EXTRACT_REPLACE, 0))
		goto out;
	if (!is_new) {
		if (spl_extract_commit(&x))
			goto out;
		fw_say_extracted(fw, &x);
		spl_extract_release(&x);
	}

	/* <staging>/previous, written last, tells rollback() that the
	 * runtime may have been stopped. */
	if (fw_pending_write(fw, &prev) ||
	    fw_record_write(fw, fw->stage_fd, staging, FW_PREVIOUS,
			    prev.exists ? prev.target : "",
			    prev.exists ? strlen(prev.target) : 0,
			    "the previous release") ||
	    spl_rt_stop(&fw->rt))
		goto out;
	/*
	 * The current release is replaced only once nothing runs it. When
	 * it is installed again, the old tree is kept aside for rollback()
	 * until the new one is healthy; a resumed update rolls back to the
	 * previous release instead.
	 */
	if (is_new) {
		if (spl_extract_commit(&x))
			goto out;
		fw_say_extracted(fw, &x);
		/* A name in the directory of the release, which
		 * fw_open_release() walked to as spl_extract_begin() did. */
		if (!resumed)
			aside = spl_extract_take_replaced(&x);
		if (aside &&
		    (fstatat(fw->release_dfd, aside, &st,
			     AT_SYMLINK_NOFOLLOW) != 0 ||
		     !S_ISDIR(st.st_mode))) {
			host->fail(ctx, 0,
				   "cannot find the replaced release of firmware %s: '%s' changed during the update",
				   fw->version, fw->releases_gw);
			free(aside);
			aside = NULL;
			goto out;
		}
		/* rollback() walks to the directory again. */
		if (aside && fw_record_write(fw, fw->stage_fd, staging,
					     FW_REPLACED, aside, strlen(aside),
					     "the replaced release")) {
			/* rollback() could not find it: undo it now. */
			fw_put_back(fw, aside);
			goto out;
		}
	}
	if (fw_link_switch(fw, fw->target) ||
	    fw_runtime_start(fw, "", subject))
		goto out;

	fw_record_remove(fw, fw->releases_fd, fw->releases_gw, FW_PENDING);
	if (aside)
		fw_aside_remove(fw, aside);
	spl_say(fw->host, fw->ctx,
		"firmware %s is running (previous: %s)", fw->version,
		prev_name ? prev_name : "none");
	fw_prune(fw, fw->version, prev_name);
	rc = SUP_OK;
out:
	/* On failure an aside tree stays for rollback(), which finds it in
	 * the staging directory. */
	free(aside);
	free(subject);
	free(prev_name);
	spl_extract_release(&x);
	fw_link_release(&prev);
	return rc;
}

int fw_rollback_release(struct fw *fw)
{
	const struct sup_host_api *host = fw->host;
	struct sup_action_ctx *ctx = fw->ctx;
	const char *staging = host->staging_dir(ctx);
	char *prev = NULL, *aside = NULL, *lead = NULL, *subject = NULL;
	char *name = NULL;
	size_t len;
	int err, rc = SUP_ERR;

	if (fw_open_stage(fw, staging))
		return SUP_ERR;
	err = fw_record_read(fw->stage_fd, FW_PREVIOUS, &prev, &len);
	if (err == ENOENT) {
		spl_say(fw->host, fw->ctx,
			"nothing to roll back: firmware %s failed before the runtime was stopped",
			fw->version);
		return SUP_OK;
	}
	if (err || strlen(prev) != len) {
		host->fail(ctx, err ? err : EINVAL,
			   "cannot read the previous release recorded in '%s'",
			   staging);
		goto out;
	}
	err = fw_record_read(fw->stage_fd, FW_REPLACED, &aside, &len);
	if (!err && (strlen(aside) != len || !fw_is_name(aside)))
		err = EINVAL;
	if (err && err != ENOENT) {
		host->fail(ctx, err,
			   "cannot read the replaced release recorded in '%s'",
			   staging);
		goto out;
	}
	/* Walked from the root again, as in execute(), before the runtime
	 * is touched. */
	if (fw_open(fw, true) || (aside && fw_open_release(fw, 0)))
		goto out;
	/* Stop whatever runs before its files change under it. */
	if (spl_rt_stop(&fw->rt) || (aside && fw_put_back(fw, aside)))
		goto out;
	if (!prev[0]) {
		if (fw_link_remove(fw))
			goto out;
		spl_say(fw->host, fw->ctx,
			"rolled back to no firmware: removed '%s', the runtime stays stopped",
			fw->current_gw);
		fw_record_remove(fw, fw->releases_fd, fw->releases_gw,
				 FW_PENDING);
		rc = SUP_OK;
		goto out;
	}
	name = fw_last_name(prev);
	lead = name ? fw_strf("rolled back to %s, but ", name) : NULL;
	subject = name ? fw_strf("firmware %s", name) : NULL;
	if (!lead || !subject) {
		host->fail(ctx, ENOMEM, "cannot roll back firmware %s",
			   fw->version);
		goto out;
	}
	if (fw_link_switch(fw, prev) || fw_runtime_start(fw, lead, subject))
		goto out;
	fw_record_remove(fw, fw->releases_fd, fw->releases_gw, FW_PENDING);
	spl_say(fw->host, fw->ctx, "rolled back to %s, healthy", name);
	rc = SUP_OK;
out:
	free(name);
	free(lead);
	free(subject);
	free(prev);
	free(aside);
	return rc;
}
