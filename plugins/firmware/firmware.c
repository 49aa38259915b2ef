/* SPDX-License-Identifier: MIT */
/*
 * firmware - the built-in supkit plugin that updates the product's
 * firmware: firmware.update, one payload, params "version" and "method".
 *
 * Settings come from the [firmware] and [runtime] sections of the product
 * profile (docs/config.md); the runtime is stopped, started and watched by
 * rtctl (plugins/common).
 *
 * method = release: the payload is an archive, unpacked with every entry
 * validated (plugins/extract) into releases_dir/<version>; the symbolic
 * link current_link is switched to it atomically while the runtime is
 * stopped, and the runtime must then become healthy. If it does not, the
 * host calls rollback(), which switches the link back to the release
 * recorded in <staging>/previous and restarts the runtime. After a
 * success, releases beyond keep_releases are removed (never the current
 * or the previous one).
 *
 * method = flasher: the payload is an image, streamed to <staging>/image
 * and handed to flasher_command while the runtime is stopped. The flasher
 * owns its A/B scheme; rollback() only restarts the runtime.
 *
 * A re-run after an interruption is safe (the action is idempotent): see
 * the pending record (fw_pending_*) for how a run that stopped after the
 * link switch finds the previous release again.
 *
 * Gateway paths are walked, not trusted (ABI 1.1): execute() and
 * rollback() open releases_dir, the directory of current_link and the
 * directory of the release by descriptor from the root
 * (host->path_dir(), path_parent(): links of other users and unsafe path
 * transitions refused) and work relative to them with *at() calls, so a
 * component swapped for a link afterwards leads nothing elsewhere.
 * check() writes nothing and walks only what already exists.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
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
#include <sys/statvfs.h>
#include <sys/types.h>
#include <unistd.h>

#include <sup/plugin.h>

#include "cmd.h"
#include "extract.h"
#include "fsutil.h"
#include "rtctl.h"
#include "say.h"

#define FW_SECTION "firmware"
#define FW_VERSION_MAX 128
#define FW_KEEP_DEFAULT 2
#define FW_KEEP_MAX 1000
#define FW_MIN_FREE_MB_DEFAULT 16
#define FW_MIN_FREE_MB_MAX (1024 * 1024)
#define FW_MIB (1024 * 1024)
/* Files in the staging directory, shared by execute() and rollback(). */
#define FW_PREVIOUS "previous"
#define FW_REPLACED "replaced"
#define FW_STOPPING "stopping"
#define FW_IMAGE "image"
/* In releases_dir, for a re-run after an interruption. */
#define FW_PENDING ".sup-firmware-pending"
/* Largest record read back: a version, a link target and the keys. */
#define FW_RECORD_MAX (PATH_MAX + FW_VERSION_MAX + 32)

enum fw_method {
	FW_METHOD_RELEASE,
	FW_METHOD_FLASHER,
};

/* One action's settings, read and checked by fw_load(). */
struct fw {
	const struct sup_host_api *host;
	struct sup_action_ctx *ctx;
	const char *version;
	enum fw_method method;
	const char *pname;
	uint64_t psize;
	struct spc_rtctl rt;
	int64_t health_timeout_ms;
	uint64_t min_free_mb;
	int64_t keep_releases;
	const char *flasher_command;
	/* method = release */
	char *releases_gw;	/* releases_dir, normalised (free) */
	char *current_gw;	/* current_link, normalised (free) */
	char *current_dir_gw;	/* its directory, for messages (free) */
	char *release_gw;	/* releases_gw/version (free) */
	char *target;		/* link text for the new release (free) */
	/*
	 * Descriptors from the root (fw_open()), -1 when not open or, in
	 * check(), not there yet. The release's directory is the one
	 * extract.c unpacks into: releases_dir, unless releases_gw/version
	 * is a link.
	 */
	int releases_fd;	/* releases_dir */
	int link_dfd;		/* the directory of current_link */
	char *link_name;	/* current_link in it (free) */
	int release_dfd;	/* the directory of the release */
	char *release_name;	/* the release in it (free) */
	int stage_fd;		/* the staging directory */
	/* check() only: releases_dir under the root, for the free space
	 * before it exists (host->free) */
	char *releases_host;
};

/* The link current_link, as found. */
struct fw_link {
	bool exists;
	char *target;	/* its text (free), NULL if absent */
};

static char *fw_strf(const char *fmt, ...) SUP_PRINTF(1, 2);

/* A formatted, allocated string; NULL on ENOMEM. */
static char *fw_strf(const char *fmt, ...)
{
	va_list ap;
	char *out;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&out, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : out;
}

/* The last component of a link target or path ("releases/2.0.0/" ->
 * "2.0.0"): the release name, for messages and for pruning. Allocated;
 * NULL on ENOMEM. */
static char *fw_last_name(const char *p)
{
	const char *end = p + strlen(p), *s;

	while (end > p && end[-1] == '/')
		end--;
	for (s = end; s > p && s[-1] != '/';)
		s--;
	return strndup(s, (size_t)(end - s));
}

/* True if p has a ".." component. */
static bool fw_has_dotdot(const char *p)
{
	while (*p) {
		size_t len = strcspn(p, "/");

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p += len;
		p += strspn(p, "/");
	}
	return false;
}

/* p with single slashes, without "." components or a trailing slash; a
 * leading slash is kept. ".." is left as it is. NULL on ENOMEM. */
static char *fw_normalize(const char *p)
{
	char *n = malloc(strlen(p) + 2);
	size_t len = 0;

	if (!n)
		return NULL;
	if (*p == '/')
		n[len++] = '/';
	while (*p) {
		size_t clen;

		p += strspn(p, "/");
		clen = strcspn(p, "/");
		if (clen > 0 && !(clen == 1 && p[0] == '.')) {
			if (len > 0 && n[len - 1] != '/')
				n[len++] = '/';
			memcpy(n + len, p, clen);
			len += clen;
		}
		p += clen;
	}
	n[len] = '\0';
	return n;
}

/* ---- settings ------------------------------------------------------ */

/* 1 to FW_VERSION_MAX characters of [A-Za-z0-9._+-], no leading '.': a
 * release directory name that is never hidden, ".", ".." or a temporary
 * name of ours. */
static bool fw_is_version(const char *v)
{
	size_t i, len = strlen(v);

	if (len == 0 || len > FW_VERSION_MAX || v[0] == '.')
		return false;
	for (i = 0; i < len; i++) {
		char c = v[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '+' || c == '-'))
			return false;
	}
	return true;
}

/* A decimal number from min to max, nothing else. */
static bool fw_parse_num(const char *s, int64_t min, int64_t max,
			 int64_t *out)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static const char *fw_get(const struct fw *fw, const char *key)
{
	const char *v = NULL;

	if (fw->host->product_get(fw->ctx, FW_SECTION, key, &v) != SUP_OK)
		return NULL;
	return v;
}

/* A [firmware] number; unit names it in the message. */
static int fw_load_num(struct fw *fw, const char *key, int64_t def,
		       int64_t min, int64_t max, const char *unit,
		       int64_t *out)
{
	const char *v = fw_get(fw, key);

	*out = def;
	if (!v)
		return SUP_OK;
	if (!fw_parse_num(v, min, max, out))
		return fw->host->fail(fw->ctx, 0,
				      "[firmware] %s: '%s' is not a number %sfrom %" PRId64 " to %" PRId64,
				      key, v, unit, min, max);
	return SUP_OK;
}

/* Absolute, no ".." component, not the root; normalised into *out. */
static int fw_load_gw_path(struct fw *fw, const char *key, char **out)
{
	const char *v = fw_get(fw, key);

	*out = NULL;
	if (!v)
		return fw->host->fail(fw->ctx, 0,
				      "[firmware] %s: not set, but method = release needs it",
				      key);
	if (v[0] != '/' || fw_has_dotdot(v))
		return fw->host->fail(fw->ctx, 0,
				      "[firmware] %s: '%s' is not an absolute gateway path without '..'",
				      key, v);
	*out = fw_normalize(v);
	if (!*out)
		return fw->host->fail(fw->ctx, ENOMEM,
				      "[firmware] %s: cannot read '%s'", key,
				      v);
	if (!strcmp(*out, "/"))
		return fw->host->fail(fw->ctx, 0,
				      "[firmware] %s: '%s' is the root directory",
				      key, v);
	return SUP_OK;
}

/*
 * The link text for releases_gw/version: relative ("releases/2.1.0") when
 * current_link sits in the parent directory of releases_dir, so that the
 * link means the same under any root; else the absolute gateway path.
 */
static char *fw_link_target(const struct fw *fw)
{
	size_t rdir = (size_t)(strrchr(fw->releases_gw, '/') -
			       fw->releases_gw) + 1;
	size_t cdir = (size_t)(strrchr(fw->current_gw, '/') -
			       fw->current_gw) + 1;

	if (rdir == cdir && !strncmp(fw->releases_gw, fw->current_gw, rdir))
		return fw_strf("%s/%s", fw->releases_gw + rdir, fw->version);
	return fsu_join(fw->releases_gw, fw->version);
}

static int fw_load_release(struct fw *fw)
{
	const struct sup_host_api *host = fw->host;
	struct sup_action_ctx *ctx = fw->ctx;
	int ret = SUP_OK;

	if (fw_load_gw_path(fw, "releases_dir", &fw->releases_gw))
		ret = SUP_ERR;
	if (fw_load_gw_path(fw, "current_link", &fw->current_gw))
		ret = SUP_ERR;
	if (ret)
		return ret;
	if (!strcmp(fw->releases_gw, fw->current_gw))
		return host->fail(ctx, 0,
				  "[firmware] current_link: '%s' is also releases_dir",
				  fw->current_gw);
	fw->release_gw = fsu_join(fw->releases_gw, fw->version);
	fw->target = fw_link_target(fw);
	fw->current_dir_gw = strndup(fw->current_gw,
				     (size_t)(strrchr(fw->current_gw, '/') -
					      fw->current_gw));
	if (!fw->release_gw || !fw->target || !fw->current_dir_gw)
		return host->fail(ctx, ENOMEM, "cannot read [firmware]");
	if (!fw->current_dir_gw[0]) {
		free(fw->current_dir_gw);
		fw->current_dir_gw = strdup("/");
		if (!fw->current_dir_gw)
			return host->fail(ctx, ENOMEM,
					  "cannot read [firmware]");
	}
	return SUP_OK;
}

static void fw_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void fw_release(struct fw *fw)
{
	spc_rtctl_release(&fw->rt);
	if (fw->host)
		fw->host->free(fw->releases_host);
	fw_close(&fw->releases_fd);
	fw_close(&fw->link_dfd);
	fw_close(&fw->release_dfd);
	fw_close(&fw->stage_fd);
	free(fw->releases_gw);
	free(fw->current_gw);
	free(fw->current_dir_gw);
	free(fw->release_gw);
	free(fw->target);
	free(fw->link_name);
	free(fw->release_name);
	memset(fw, 0, sizeof(*fw));
	fw->releases_fd = fw->link_dfd = fw->release_dfd = fw->stage_fd = -1;
}

/*
 * Read and check the parameters, the payload and the [runtime] and
 * [firmware] settings; every problem is recorded. No side effects.
 * fw_release() is due either way.
 */
static int fw_load(struct fw *fw, const struct sup_host_api *host,
		   struct sup_action_ctx *ctx)
{
	const char *method = NULL, *v;
	int64_t n;
	int ret = SUP_OK, r;

	memset(fw, 0, sizeof(*fw));
	fw->releases_fd = fw->link_dfd = fw->release_dfd = fw->stage_fd = -1;
	fw->host = host;
	fw->ctx = ctx;
	if (host->param_string(ctx, "version", SUP_PARAM_REQUIRED,
			       &fw->version) != SUP_OK)
		return SUP_ERR;
	if (!fw_is_version(fw->version))
		return host->fail(ctx, 0,
				  "parameter 'version' must be 1 to %d characters of A-Z a-z 0-9 . _ + - not starting with '.', got '%s'",
				  FW_VERSION_MAX, fw->version);
	r = host->param_string(ctx, "method", SUP_PARAM_OPTIONAL, &method);
	if (r != SUP_OK && r != SUP_ENOENT)
		return SUP_ERR;
	if (host->payload_count(ctx) != 1 ||
	    host->payload_info(ctx, 0, &fw->pname, &fw->psize) != SUP_OK)
		return host->fail(ctx, 0,
				  "action type '%s' takes 1 payload, got %zu",
				  host->action_type(ctx),
				  host->payload_count(ctx));
	/* Also checks that the host passes product settings at all. */
	if (spc_rtctl_load(&fw->rt, host, ctx) != SUP_OK) {
		if (!SUP_HOST_HAS(host, product_get))
			return SUP_ERR;
		ret = SUP_ERR;
	}

	if (method) {
		v = method;
	} else {
		v = fw_get(fw, "method");
		if (!v)
			v = "release";
	}
	if (!strcmp(v, "release")) {
		fw->method = FW_METHOD_RELEASE;
	} else if (!strcmp(v, "flasher")) {
		fw->method = FW_METHOD_FLASHER;
	} else {
		if (method)
			host->fail(ctx, 0,
				   "parameter 'method' must be release or flasher, got '%s'",
				   method);
		else
			host->fail(ctx, 0,
				   "[firmware] method: '%s' is not one of release, flasher",
				   v);
		ret = SUP_ERR;
	}

	n = fw->rt.start_timeout_ms > 0 ? fw->rt.start_timeout_ms / 1000 :
					  SPC_RT_TIMEOUT_S_DEFAULT;
	if (fw_load_num(fw, "health_timeout_s", n, 1, SPC_RT_TIMEOUT_S_MAX,
			"of seconds ", &n))
		ret = SUP_ERR;
	fw->health_timeout_ms = n * 1000;
	if (fw_load_num(fw, "min_free_mb", FW_MIN_FREE_MB_DEFAULT, 0,
			FW_MIN_FREE_MB_MAX, "of MiB ", &n))
		ret = SUP_ERR;
	fw->min_free_mb = (uint64_t)n;
	if (fw_load_num(fw, "keep_releases", FW_KEEP_DEFAULT, 1, FW_KEEP_MAX,
			"", &fw->keep_releases))
		ret = SUP_ERR;

	/* The method's own settings only make sense for a known method. */
	if (ret)
		return ret;
	if (fw->method == FW_METHOD_FLASHER) {
		fw->flasher_command = fw_get(fw, "flasher_command");
		if (!fw->flasher_command)
			ret = host->fail(ctx, 0,
					 "[firmware] flasher_command: not set, but method = flasher needs it");
		else if (!fw->flasher_command[strspn(fw->flasher_command,
						     " \t")])
			ret = host->fail(ctx, 0,
					 "[firmware] flasher_command: empty, but method = flasher needs a command");
		return ret;
	}
	if (fw_load_release(fw))
		ret = SUP_ERR;
	return ret;
}

/* ---- the directories, by descriptor -------------------------------- */

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
	err = fsu_split(current, &dir, &base);
	host->free(current);
	if (err)
		return host->fail(ctx, err, "cannot read the link '%s'",
				  fw->current_gw);
	*link_dir = fw_is_there(dir);
	free(dir);
	free(base);
	return SUP_OK;
}

/*
 * Open releases_dir and the directory of current_link from the root.
 * create (execute, rollback): missing directories are made, 0755. Else
 * (check, which writes nothing) one that is not there yet stays -1.
 */
static int fw_open(struct fw *fw, bool create)
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
	if (releases && fsu_open_dir(host, ctx, fw->releases_gw, mk,
				     &fw->releases_fd))
		return SUP_ERR;
	if (link_dir && fsu_open_parent(host, ctx, fw->current_gw,
					SUP_PATH_NOFOLLOW_LAST | mk,
					&fw->link_dfd, &fw->link_name))
		return SUP_ERR;
	return SUP_OK;
}

/* The directory that holds the release and its name there, as extract.c
 * finds them (a link releases_dir/version is followed). */
static int fw_open_release(struct fw *fw, unsigned int flags)
{
	if (fw->release_dfd >= 0)
		return SUP_OK;
	return fsu_open_parent(fw->host, fw->ctx, fw->release_gw,
			       SUP_PATH_FOLLOW_LAST | flags, &fw->release_dfd,
			       &fw->release_name);
}

/* The staging directory: the installer's own, private (0700). */
static int fw_open_stage(struct fw *fw, const char *staging)
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
	if (fsu_open_parent(fw->host, fw->ctx, gw, SUP_PATH_FOLLOW_LAST, &dfd,
			    &name))
		return SUP_ERR;
	*found = fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) == 0;
	close(dfd);
	free(name);
	return SUP_OK;
}

/* ---- the current link ---------------------------------------------- */

static void fw_link_release(struct fw_link *l)
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

/* Read current_link: absent, or a symbolic link and its text. */
static int fw_link_read(struct fw *fw, struct fw_link *l)
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

/*
 * Does the link lead to the release being installed (*is_new)? By its
 * text, or else by the directory it leads to, compared by device and
 * inode with the release: the link is resolved by the walk's rules
 * (inside the root, links of other users refused), and only when the
 * release exists at all. SUP_ERR only when that walk fails (recorded).
 */
static int fw_link_is_new(struct fw *fw, const struct fw_link *l,
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
	*is_new = found && fsu_same_stat(&cur, &rel);
	return SUP_OK;
}

/*
 * Point current_link at target atomically: a new link at a temporary name
 * next to it, renamed over it. Already pointing there: nothing to do.
 */
static int fw_link_switch(struct fw *fw, const char *target)
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
	fsu_sweep_stale_at(host, ctx, fw->link_dfd, fw->current_dir_gw,
			   fw->link_name);
	err = fsu_tmp_symlink_at(target, fw->link_dfd, fw->link_name, &tmp);
	if (err) {
		host->fail(ctx, err,
			   "cannot create a temporary link in '%s' for '%s'",
			   fw->current_dir_gw, fw->current_gw);
		goto out;
	}
	linked = true;
	if (fsu_note_temp(host, ctx, fw->link_dfd, tmp))
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
	spc_say(fw->host, fw->ctx,
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

/* Remove current_link (rollback of a first install). */
static int fw_link_remove(struct fw *fw)
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

/* ---- small durable records ----------------------------------------- */

/* Write name in dirfd durably: temporary file, fsync, rename, fsync of
 * the directory. where (the directory) and what are for the message. */
static int fw_record_write(struct fw *fw, int dirfd, const char *where,
			   const char *name, const char *data, size_t len,
			   const char *what)
{
	char *tmp = NULL;
	int fd = -1, err;
	size_t off = 0;

	err = fsu_tmp_file_at(dirfd, name, &fd, &tmp);
	if (err)
		goto out;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			goto out;
		}
		off += (size_t)n;
	}
	if (fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
		err = errno;
		goto out;
	}
	err = close(fd) == 0 ? 0 : errno;
	fd = -1;
	if (!err && renameat(dirfd, tmp, dirfd, name) != 0)
		err = errno;
	if (!err) {
		free(tmp);
		tmp = NULL;
		err = fsync(dirfd) == 0 ? 0 : errno;
	}
out:
	if (fd >= 0)
		close(fd);
	if (tmp)
		unlinkat(dirfd, tmp, 0);
	free(tmp);
	if (err)
		return fw->host->fail(fw->ctx, err, "cannot record %s in '%s'",
				      what, where);
	return SUP_OK;
}

/* Read name in dirfd (-1: a directory not there, ENOENT), a regular file
 * of at most FW_RECORD_MAX bytes, NUL-terminated into *out (free). 0,
 * ENOENT, EFBIG, EINVAL (not a regular file) or another errno value. */
static int fw_record_read(int dirfd, const char *name, char **out,
			  size_t *len)
{
	char *buf = NULL;
	size_t got = 0;
	struct stat st;
	int fd, err = 0;

	*out = NULL;
	*len = 0;
	if (dirfd < 0)
		return ENOENT;
	fd = openat(dirfd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) != 0) {
		err = errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = EINVAL;
		goto out;
	}
	buf = malloc(FW_RECORD_MAX + 2);
	if (!buf) {
		err = ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, FW_RECORD_MAX + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > FW_RECORD_MAX) {
			err = EFBIG;
			goto out;
		}
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return err;
}

static int fw_record_remove(struct fw *fw, int dirfd, const char *where,
			    const char *name)
{
	int err = 0;

	if (unlinkat(dirfd, name, 0) != 0)
		err = errno == ENOENT ? 0 : errno;
	else
		err = fsync(dirfd) == 0 ? 0 : errno;
	if (err)
		fw->host->log(fw->ctx, SUP_LOG_WARNING,
			      "cannot remove '%s' in '%s': %s", name, where,
			      strerror(err));
	return err ? SUP_ERR : SUP_OK;
}

/*
 * The pending record, releases_dir/.sup-firmware-pending:
 *
 *	version=2.1.0\nprevious=releases/2.0.0
 *
 * (previous: the exact text of the link before the update, to the end of
 * the file; empty when there was no link). Written before the runtime is
 * stopped, removed after the update succeeded or was rolled back. The
 * host empties the staging directory before it runs an action again, so
 * this is what lets a re-run that finds current_link already switched to
 * its version know the release to roll back to.
 */
static int fw_pending_write(struct fw *fw, const struct fw_link *prev)
{
	char *data;
	int rc;

	data = fw_strf("version=%s\nprevious=%s", fw->version,
		       prev->exists ? prev->target : "");
	if (!data)
		return fw->host->fail(fw->ctx, ENOMEM,
				      "cannot record the update in '%s'",
				      fw->releases_gw);
	fsu_sweep_stale_at(fw->host, fw->ctx, fw->releases_fd,
			   fw->releases_gw, FW_PENDING);
	rc = fw_record_write(fw, fw->releases_fd, fw->releases_gw, FW_PENDING,
			     data, strlen(data), "the update in progress");
	free(data);
	return rc;
}

/* The previous link of a pending update to our version, if there is one
 * (anything unreadable is ignored: it only helps a re-run). */
static bool fw_pending_read(struct fw *fw, struct fw_link *prev)
{
	char *data, *p;
	size_t len, vlen = strlen(fw->version);
	bool found = false;

	memset(prev, 0, sizeof(*prev));
	if (fw_record_read(fw->releases_fd, FW_PENDING, &data, &len))
		return false;
	if (strlen(data) != len || strncmp(data, "version=", 8) ||
	    strncmp(data + 8, fw->version, vlen) ||
	    strncmp(data + 8 + vlen, "\nprevious=", 10))
		goto out;
	p = data + 8 + vlen + 10;
	if (*p) {
		prev->target = strdup(p);
		if (!prev->target)
			goto out;
		prev->exists = true;
	}
	found = true;
out:
	free(data);
	return found;
}

/* ---- space --------------------------------------------------------- */

/*
 * Enough room for the payload plus min_free_mb on the file system of the
 * directory fd, or (fd -1: check() before it exists) of host path dir or
 * its nearest existing ancestor? where names it in the message.
 */
static int fw_check_space(struct fw *fw, int fd, const char *dir,
			  const char *where)
{
	uint64_t margin = fw->min_free_mb * FW_MIB, need, avail;
	char *p = NULL;
	struct statvfs sv;
	int rc = SUP_ERR;

	if (fd >= 0) {
		if (fstatvfs(fd, &sv) != 0)
			return fw->host->fail(fw->ctx, errno,
					      "cannot get the free space in '%s'",
					      where);
	} else {
		p = strdup(dir);
		if (!p)
			return fw->host->fail(fw->ctx, ENOMEM,
					      "cannot get the free space in '%s'",
					      where);
		while (statvfs(p, &sv) != 0) {
			char *slash = strrchr(p, '/');

			if (errno != ENOENT || !slash || !strcmp(p, "/")) {
				fw->host->fail(fw->ctx, errno,
					       "cannot get the free space in '%s'",
					       where);
				goto out;
			}
			slash[slash == p ? 1 : 0] = '\0';
		}
	}
	need = fw->psize > UINT64_MAX - margin ? UINT64_MAX :
						 fw->psize + margin;
	if (sv.f_frsize && sv.f_bavail > UINT64_MAX / sv.f_frsize)
		avail = UINT64_MAX;
	else
		avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	if (avail < need) {
		fw->host->fail(fw->ctx, 0,
			       "not enough space for firmware %s in '%s': %" PRIu64 " MiB free, %" PRIu64 " MiB needed",
			       fw->version, where, avail / FW_MIB,
			       need / FW_MIB + (need % FW_MIB ? 1 : 0));
		goto out;
	}
	fw->host->log(fw->ctx, SUP_LOG_DEBUG,
		      "%" PRIu64 " MiB free in '%s', %" PRIu64 " MiB needed",
		      avail / FW_MIB, where, need / FW_MIB);
	rc = SUP_OK;
out:
	free(p);
	return rc;
}

/* ---- the runtime --------------------------------------------------- */

/*
 * Start the runtime and wait until it is healthy, health_timeout_s at most
 * (less if the action's time runs out first). On failure: "<lead><subject>
 * did not become healthy within 30 s: <what was seen>".
 *
 * spc_rtctl_start() would record its own "runtime did not become healthy"
 * as the action's error; the firmware's message names the firmware, so
 * rtctl only says what it saw.
 */
static int fw_runtime_start(struct fw *fw, const char *lead,
			    const char *subject)
{
	struct spc_rtctl_start st;
	char desc[SPC_CMD_DESC_LEN], secs[32];
	int rc = SUP_ERR;

	if (spc_rtctl_start_seen(&fw->rt, fw->health_timeout_ms, &st) ==
	    SUP_OK) {
		spc_cmd_secs(st.elapsed_ms, secs, sizeof(secs));
		if (st.pid > 0)
			spc_say(fw->host, fw->ctx,
				"runtime healthy (pid %ld) in %s", st.pid, secs);
		else
			spc_say(fw->host, fw->ctx, "runtime healthy in %s",
				secs);
		rc = SUP_OK;
	} else if (!st.started) {
		fw->host->fail(fw->ctx, 0, "%s%s: start command %s", lead,
			       subject,
			       spc_cmd_describe(&st.cmd, desc, sizeof(desc)));
	} else {
		fw->host->fail(fw->ctx, 0,
			       "%s%s did not become healthy within %s%s: %s",
			       lead, subject,
			       spc_cmd_secs(st.budget_ms, secs, sizeof(secs)),
			       st.capped ? " (the action's time limit)" : "",
			       st.seen ? st.seen : "not healthy");
	}
	spc_rtctl_start_release(&st);
	return rc;
}

/* ---- pruning ------------------------------------------------------- */

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
	int dfd = fw->releases_fd, lfd, err = 0;

	/* A duplicate shares the offset of releases_fd: rewound below. */
	lfd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	if (lfd >= 0)
		d = fdopendir(lfd);
	if (!d) {
		host->log(ctx, SUP_LOG_WARNING,
			  "cannot list the releases in '%s': %s",
			  fw->releases_gw, strerror(errno));
		if (lfd >= 0)
			close(lfd);
		return;
	}
	rewinddir(d);
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
		err = fsu_rmtree_at(dfd, names[i], true, &where);
		if (err)
			host->log(ctx, SUP_LOG_WARNING,
				  "cannot remove old release '%s' in '%s'%s%s: %s",
				  names[i], fw->releases_gw,
				  where && where[0] ? " at " : "",
				  where && where[0] ? where : "",
				  strerror(err));
		else
			spc_say(fw->host, fw->ctx,
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

/* ---- method = release ---------------------------------------------- */

/* After fw_open(): what is there, and room for the release. */
static int fw_check_release(struct fw *fw)
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
static void fw_say_extracted(struct fw *fw, const struct extract *x)
{
	spc_say(fw->host, fw->ctx,
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
		spc_say(fw->host, fw->ctx,
			"resuming an interrupted update to firmware %s (previous: %s)",
			fw->version, name ? name : "none");
		free(name);
		fw_link_release(&cur);
		return SUP_OK;
	}
	if (*is_new)
		spc_say(fw->host, fw->ctx,
			"firmware %s is already the current release: installing it again",
			fw->version);
	*prev = cur;
	return SUP_OK;
}

/* The aside tree's name in the release's directory, for messages. */
static char *fw_aside_label(const struct fw *fw, const char *aside)
{
	return fsu_join(fw->releases_gw, aside);
}

/* Remove the aside tree (a failure is a warning). */
static void fw_aside_remove(struct fw *fw, const char *aside)
{
	char *label = fw_aside_label(fw, aside);

	fsu_cleanup_tree_at(fw->host, fw->ctx, fw->release_dfd, aside,
			    label ? label : aside);
	free(label);
}

/* Put the release replaced by execute() back (an exchange, in the
 * release's directory: fw_open_release()), and remove the new tree it
 * held. */
static int fw_put_back(struct fw *fw, const char *aside)
{
	if (fsu_renameat2(fw->release_dfd, aside, fw->release_dfd,
			  fw->release_name, RENAME_EXCHANGE) != 0)
		return fw->host->fail(fw->ctx, errno,
				      "cannot put back the replaced release '%s'",
				      fw->release_gw);
	if (fsync(fw->release_dfd) != 0)
		return fw->host->fail(fw->ctx, errno, "cannot sync '%s'",
				      fw->releases_gw);
	spc_say(fw->host, fw->ctx,
		"put back the replaced release '%s'", fw->release_gw);
	fw_aside_remove(fw, aside);
	return SUP_OK;
}

/* A name in a directory, not a path: the replaced release's record. */
static bool fw_is_name(const char *n)
{
	return n[0] && !strchr(n, '/') && strcmp(n, ".") && strcmp(n, "..");
}

static int fw_execute_release(struct fw *fw)
{
	const struct sup_host_api *host = fw->host;
	struct sup_action_ctx *ctx = fw->ctx;
	const char *staging = host->staging_dir(ctx);
	struct extract x = { 0 };
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
	if (extract_begin(&x, host, ctx, fw->release_gw, EXTRACT_REPLACE) ||
	    extract_payload(&x, 0))
		goto out;
	if (!is_new) {
		if (extract_commit(&x))
			goto out;
		fw_say_extracted(fw, &x);
		extract_release(&x);
	}

	/* <staging>/previous, written last, tells rollback() that the
	 * runtime may have been stopped. */
	if (fw_pending_write(fw, &prev) ||
	    fw_record_write(fw, fw->stage_fd, staging, FW_PREVIOUS,
			    prev.exists ? prev.target : "",
			    prev.exists ? strlen(prev.target) : 0,
			    "the previous release") ||
	    spc_rtctl_stop(&fw->rt))
		goto out;
	/*
	 * The current release is replaced only once nothing runs it. When
	 * it is installed again, the old tree is kept aside for rollback()
	 * until the new one is healthy; a resumed update rolls back to the
	 * previous release instead.
	 */
	if (is_new) {
		if (extract_commit(&x))
			goto out;
		fw_say_extracted(fw, &x);
		/* A name in the directory of the release, which
		 * fw_open_release() walked to as extract_begin() did. */
		if (!resumed)
			aside = extract_take_replaced(&x);
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
	spc_say(fw->host, fw->ctx,
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
	extract_release(&x);
	fw_link_release(&prev);
	return rc;
}

static int fw_rollback_release(struct fw *fw)
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
		spc_say(fw->host, fw->ctx,
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
	if (spc_rtctl_stop(&fw->rt) || (aside && fw_put_back(fw, aside)))
		goto out;
	if (!prev[0]) {
		if (fw_link_remove(fw))
			goto out;
		spc_say(fw->host, fw->ctx,
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
	spc_say(fw->host, fw->ctx, "rolled back to %s, healthy", name);
	rc = SUP_OK;
out:
	free(name);
	free(lead);
	free(subject);
	free(prev);
	free(aside);
	return rc;
}

/* ---- method = flasher ---------------------------------------------- */

/* Stream the payload to path; complete only once payload_read returned 0
 * (size and SHA-256 verified by the host). */
static int fw_stream_image(struct fw *fw, const char *path)
{
	const struct sup_host_api *host = fw->host;
	struct sup_action_ctx *ctx = fw->ctx;
	struct fsu_progress prog = { .total = fw->psize };
	struct sup_payload *pl = NULL;
	unsigned char *buf = NULL;
	int fd = -1, err, rc = SUP_ERR;

	buf = malloc(FSU_BUF_SIZE);
	if (!buf) {
		host->fail(ctx, ENOMEM, "cannot write the image '%s'", path);
		goto out;
	}
	if (host->payload_open(ctx, 0, &pl) != SUP_OK) {
		pl = NULL;
		host->fail(ctx, 0, "cannot open payload '%s'", fw->pname);
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		host->fail(ctx, errno, "cannot create the image '%s'", path);
		goto out;
	}
	for (;;) {
		int64_t n = host->payload_read(pl, buf, FSU_BUF_SIZE);
		size_t off = 0;

		if (n < 0)
			goto out; /* recorded by the host */
		if (n == 0)
			break;
		if (n > FSU_BUF_SIZE) {
			host->fail(ctx, 0,
				   "payload '%s' read returned %" PRId64 " bytes for a %d-byte buffer",
				   fw->pname, n, FSU_BUF_SIZE);
			goto out;
		}
		while (off < (size_t)n) {
			ssize_t w = write(fd, buf + off, (size_t)n - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				host->fail(ctx, errno,
					   "cannot write the image '%s'",
					   path);
				goto out;
			}
			off += (size_t)w;
		}
		fsu_progress_add(host, ctx, &prog, (uint64_t)n);
	}
	if (fsync(fd) != 0) {
		host->fail(ctx, errno, "cannot sync the image '%s'", path);
		goto out;
	}
	err = close(fd) == 0 ? 0 : errno;
	fd = -1;
	if (err) {
		host->fail(ctx, err, "cannot write the image '%s'", path);
		goto out;
	}
	rc = SUP_OK;
out:
	if (fd >= 0)
		close(fd);
	if (pl)
		host->payload_close(pl);
	free(buf);
	return rc;
}

/* /bin/sh -c flasher_command sh IMAGE, with SUP_FIRMWARE_IMAGE and
 * SUP_FIRMWARE_VERSION in its environment. */
static int fw_run_flasher(struct fw *fw, const char *image,
			  const char *env_image, const char *env_version)
{
	const char *args[] = { "sh", image, NULL };
	const char *env[] = { env_image, env_version, NULL };
	struct spc_cmd cmd = {
		.script = fw->flasher_command,
		.args = args,
		.env = env,
		.timeout_ms = -1, /* the action's timeout applies */
	};
	struct spc_cmd_result res;
	char desc[SPC_CMD_DESC_LEN];

	fw->host->log(fw->ctx, SUP_LOG_INFO, "running the flasher command: %s",
		      fw->flasher_command);
	if (spc_cmd_run(fw->host, fw->ctx, &cmd, &res) != SUP_OK)
		return fw->host->fail(fw->ctx, 0,
				      "flasher command for firmware %s %s",
				      fw->version,
				      spc_cmd_describe(&res, desc,
						       sizeof(desc)));
	spc_say(fw->host, fw->ctx, "flashed firmware %s", fw->version);
	return SUP_OK;
}

static int fw_execute_flasher(struct fw *fw)
{
	const struct sup_host_api *host = fw->host;
	struct sup_action_ctx *ctx = fw->ctx;
	const char *staging = host->staging_dir(ctx);
	char *image = NULL, *env_image = NULL, *env_version = NULL;
	char *subject = NULL;
	int rc = SUP_ERR;

	if (fw_open_stage(fw, staging) ||
	    fw_check_space(fw, fw->stage_fd, staging, staging))
		goto out;
	image = fsu_join(staging, FW_IMAGE);
	env_image = image ? fw_strf("SUP_FIRMWARE_IMAGE=%s", image) : NULL;
	env_version = fw_strf("SUP_FIRMWARE_VERSION=%s", fw->version);
	subject = fw_strf("firmware %s", fw->version);
	if (!image || !env_image || !env_version || !subject) {
		host->fail(ctx, ENOMEM, "cannot flash firmware %s",
			   fw->version);
		goto out;
	}
	if (fw_stream_image(fw, image))
		goto out;
	spc_say(fw->host, fw->ctx,
		"image of firmware %s ready: %" PRIu64 " bytes", fw->version,
		fw->psize);
	/* <staging>/stopping tells rollback() that the runtime may have
	 * been stopped. */
	if (fw_record_write(fw, fw->stage_fd, staging, FW_STOPPING, "", 0,
			    "the runtime stop") ||
	    spc_rtctl_stop(&fw->rt) ||
	    fw_run_flasher(fw, image, env_image, env_version) ||
	    fw_runtime_start(fw, "", subject))
		goto out;
	spc_say(fw->host, fw->ctx, "firmware %s is running", fw->version);
	rc = SUP_OK;
out:
	free(subject);
	free(env_version);
	free(env_image);
	free(image);
	return rc;
}

/* The flasher owns its A/B switch: only bring the runtime back. */
static int fw_rollback_flasher(struct fw *fw)
{
	const char *staging = fw->host->staging_dir(fw->ctx);
	char *lead = NULL, *data;
	size_t len;
	int err, rc = SUP_ERR;

	if (fw_open_stage(fw, staging))
		return SUP_ERR;
	err = fw_record_read(fw->stage_fd, FW_STOPPING, &data, &len);
	free(data);
	if (err == ENOENT) {
		spc_say(fw->host, fw->ctx,
			"nothing to roll back: firmware %s failed before the runtime was stopped",
			fw->version);
		return SUP_OK;
	}
	if (spc_rtctl_stop(&fw->rt))
		return SUP_ERR;
	lead = fw_strf("after the failed flash of firmware %s, ",
		       fw->version);
	if (!lead)
		return fw->host->fail(fw->ctx, ENOMEM,
				      "cannot restart the runtime");
	if (fw_runtime_start(fw, lead, "the runtime"))
		goto out;
	spc_say(fw->host, fw->ctx,
		"runtime restarted after the failed flash of firmware %s, healthy: the flasher decides which image runs",
		fw->version);
	rc = SUP_OK;
out:
	free(lead);
	return rc;
}

/* ---- the action ---------------------------------------------------- */

static int fw_check(const struct sup_host_api *host,
		    struct sup_action_ctx *ctx)
{
	struct fw fw;
	int rc;

	rc = fw_load(&fw, host, ctx);
	if (rc == SUP_OK && fw.method == FW_METHOD_RELEASE)
		rc = fw_open(&fw, false) == SUP_OK ? fw_check_release(&fw) :
						     SUP_ERR;
	fw_release(&fw);
	return rc;
}

static int fw_execute(const struct sup_host_api *host,
		      struct sup_action_ctx *ctx)
{
	struct fw fw;
	int rc;

	rc = fw_load(&fw, host, ctx);
	if (rc == SUP_OK && !host->staging_dir(ctx))
		rc = host->fail(ctx, 0, "no staging directory for firmware %s",
				fw.version);
	if (rc == SUP_OK)
		rc = fw.method == FW_METHOD_RELEASE ? fw_execute_release(&fw) :
						      fw_execute_flasher(&fw);
	fw_release(&fw);
	return rc;
}

static int fw_rollback(const struct sup_host_api *host,
		       struct sup_action_ctx *ctx)
{
	struct fw fw;
	int rc;

	rc = fw_load(&fw, host, ctx);
	if (rc == SUP_OK && !host->staging_dir(ctx))
		rc = host->fail(ctx, 0, "no staging directory for firmware %s",
				fw.version);
	if (rc == SUP_OK)
		rc = fw.method == FW_METHOD_RELEASE ?
			     fw_rollback_release(&fw) :
			     fw_rollback_flasher(&fw);
	fw_release(&fw);
	return rc;
}

static const char *const fw_params[] = { "version", "method", NULL };

static const struct sup_action_ops fw_actions[] = {
	{
		/*
		 * Idempotent: a re-run after an interruption at any point
		 * ends as one run would. Before the link switch nothing the
		 * runtime uses has changed (a release directory replaced
		 * while not current is unpacked again); after it, the
		 * pending record in releases_dir still names the previous
		 * release for rollback(). The flasher command must itself
		 * be safe to run again with the same image.
		 */
		.type = "firmware.update",
		.check = fw_check,
		.execute = fw_execute,
		.rollback = fw_rollback,
		.flags = SUP_ACTION_AFFECTS_RUNTIME | SUP_ACTION_IDEMPOTENT,
		.params = fw_params,
		.min_payloads = 1,
		.max_payloads = 1,
	},
	{ .type = NULL },
};

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin me = {
		SUP_PLUGIN_HEADER,
		.name = "firmware",
		.version = "1.0.0",
		.description = "update the product firmware: a release directory and a link, or a flasher",
		.actions = fw_actions,
	};

	return &me;
}
