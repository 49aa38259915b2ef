/* SPDX-License-Identifier: MIT */
/*
 * extractstage.c - an archive payload staged by stage() and committed by
 * execute() (ABI 1.2; see extract.h): the tree unpacked into the host's
 * staging directory, the modes held back written beside it, and both
 * found again at the commit.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extract.h"
#include "fs.h"
#include "util.h"

#define SPL_STAGED_TREE "tree"
#define SPL_STAGED_MODES "modes"
/* The modes file holds a few numbers per held-back entry. */
#define SPL_STAGED_MODES_MAX (64u * 1024 * 1024)

/*
 * "modes": NUL-terminated fields, "1" (the format), the top directory's
 * mode in octal, the entry count in decimal, then the mode in octal and
 * the path of each entry whose mode was held back. Entry paths never hold
 * a NUL.
 */
static int spl_staged_write_modes(const struct spl_extract *x, int sfd)
{
	char head[64];
	int fd, err = 0, n;

	fd = openat(sfd, SPL_STAGED_MODES,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	n = snprintf(head, sizeof(head), "1%c%o%c%" PRIu64 "%c", 0,
		     (unsigned int)x->top_mode, 0, x->entries, 0);
	err = spl_write_all(fd, head, (size_t)n);
	for (size_t i = 0; !err && i < x->n_special; i++) {
		n = snprintf(head, sizeof(head), "%o%c",
			     (unsigned int)x->special[i].mode, 0);
		err = spl_write_all(fd, head, (size_t)n);
		if (!err)
			err = spl_write_all(fd, x->special[i].name,
					    strlen(x->special[i].name) + 1);
	}
	if (close(fd) != 0 && !err)
		err = errno;
	return err;
}

/* The next field of buf[*at..len), or NULL when there is none. */
static const char *spl_staged_field(const char *buf, size_t len, size_t *at)
{
	const char *f = buf + *at, *end;

	if (*at >= len)
		return NULL;
	end = memchr(f, '\0', len - *at);
	if (!end)
		return NULL;
	*at = (size_t)(end - buf) + 1;
	return f;
}

static bool spl_staged_mode(const char *s, mode_t *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtoul(s, &end, 8);
	if (errno || *end || v > 07777)
		return false;
	*out = (mode_t)v;
	return true;
}

/* Read "modes" back into x; SUP_OK, or SUP_ERR recorded. */
static int spl_staged_read_modes(struct spl_extract *x, int sfd)
{
	const struct sup_host_api *host = x->host;
	struct stat st;
	char *buf = NULL;
	const char *f, *g;
	size_t at = 0, len;
	int64_t count;
	int fd, rc = SUP_ERR;

	fd = openat(sfd, SPL_STAGED_MODES, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > SPL_STAGED_MODES_MAX) {
		host->fail(x->ctx, fd < 0 ? errno : EINVAL,
			   "cannot read the modes staged for '%s'", x->gw_path);
		goto out;
	}
	len = (size_t)st.st_size;
	buf = malloc(len ? len : 1);
	if (!buf || (len && pread(fd, buf, len, 0) != (ssize_t)len)) {
		host->fail(x->ctx, buf ? errno : ENOMEM,
			   "cannot read the modes staged for '%s'", x->gw_path);
		goto out;
	}
	f = spl_staged_field(buf, len, &at);
	if (!f || strcmp(f, "1") != 0 ||
	    !spl_staged_mode(spl_staged_field(buf, len, &at), &x->top_mode) ||
	    !(f = spl_staged_field(buf, len, &at)) ||
	    !spl_parse_num(f, 0, INT64_MAX, &count))
		goto bad;
	x->entries = (uint64_t)count;
	while ((f = spl_staged_field(buf, len, &at)) != NULL) {
		struct spl_extract_special *s;
		mode_t m;

		g = spl_staged_field(buf, len, &at);
		if (!g || !*g || !spl_staged_mode(f, &m))
			goto bad;
		s = realloc(x->special, (x->n_special + 1) * sizeof(*s));
		if (!s) {
			host->fail(x->ctx, ENOMEM, "cannot extract into '%s'",
				   x->gw_path);
			goto out;
		}
		x->special = s;
		s[x->n_special].mode = m;
		s[x->n_special].name = strdup(g);
		if (!s[x->n_special].name) {
			host->fail(x->ctx, ENOMEM, "cannot extract into '%s'",
				   x->gw_path);
			goto out;
		}
		x->n_special++;
	}
	if (at != len)
		goto bad;
	rc = SUP_OK;
	goto out;
bad:
	host->fail(x->ctx, 0, "the modes staged for '%s' are damaged",
		   x->gw_path);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

int spl_extract_stage(const struct sup_host_api *host,
		      struct sup_action_ctx *ctx, const char *gw_path,
		      size_t index)
{
	struct spl_extract x;
	const char *pname;
	uint64_t need;
	int sfd = -1, err, rc;

	if (!SUP_HOST_HAS(host, stage_dir))
		return SUP_OK;
	if (host->payload_info(ctx, index, &pname, &need) != SUP_OK)
		return host->fail(ctx, 0, "cannot get payload %zu of action '%s'",
				  index, host->action_id(ctx));
	/* need: the archive's size, a floor for what it unpacks to. */
	rc = host->stage_dir(ctx, gw_path, SUP_PATH_FOLLOW_LAST, need, &sfd);
	if (rc == SUP_ENOTSUP)
		return SUP_OK;
	if (rc != SUP_OK)
		return SUP_ERR;
	memset(&x, 0, sizeof(x));
	x.host = host;
	x.ctx = ctx;
	x.gw_path = gw_path;
	x.dirfd = -1;
	x.tmpdirfd = sfd;
	x.tmpfd = -1;
	x.how = "";
	x.hold = true;
	rc = SUP_ERR;
	x.tmp = strdup(SPL_STAGED_TREE);
	if (!x.tmp) {
		host->fail(ctx, ENOMEM, "cannot stage '%s'", gw_path);
		goto out;
	}
	/* 0700 in the host's 0700 directory: private until committed. */
	if (mkdirat(sfd, SPL_STAGED_TREE, 0700) != 0 ||
	    (x.tmpfd = openat(sfd, SPL_STAGED_TREE,
			      O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				      O_CLOEXEC)) < 0) {
		host->fail(ctx, errno, "cannot stage '%s'", gw_path);
		goto out;
	}
	x.made = true;
	if (spl_extract_payload(&x, index))
		goto out;
	err = spl_staged_write_modes(&x, sfd);
	if (err) {
		host->fail(ctx, err, "cannot stage '%s'", gw_path);
		goto out;
	}
	rc = SUP_OK;
out:
	/* The host removes its staging directory, used or not. */
	x.tmp_gone = true;
	spl_extract_release(&x);
	return rc;
}

/* The staged tree for gw_path, ready to commit: SUP_OK, SUP_ENOENT when
 * there is none usable (nothing staged, or not on the target's file
 * system), SUP_ERR recorded. */
static int spl_extract_begin_staged(struct spl_extract *x,
				    const struct sup_host_api *host,
				    struct sup_action_ctx *ctx,
				    const char *gw_path,
				    enum spl_extract_mode mode, size_t index)
{
	struct stat ts, ds;
	int sfd = -1, rc;

	if (spl_extract_open_target(x, host, ctx, gw_path, mode))
		return SUP_ERR;
	if (!SUP_HOST_HAS(host, staged_dir))
		return SUP_ENOENT;
	rc = host->staged_dir(ctx, gw_path, &sfd);
	if (rc != SUP_OK)
		return rc;
	x->tmpdirfd = sfd;
	x->tmp_gone = true; /* the host's, until it is ours to commit */
	x->tmp = strdup(SPL_STAGED_TREE);
	if (!x->tmp)
		return host->fail(ctx, ENOMEM, "cannot extract into '%s'",
				  gw_path);
	x->tmpfd = openat(sfd, SPL_STAGED_TREE,
			  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (x->tmpfd < 0)
		return errno == ENOENT ?
			       SUP_ENOENT :
			       host->fail(ctx, errno,
					  "cannot open the tree staged for '%s'",
					  gw_path);
	x->made = true;
	/* A merge moves entries into the target, the other modes rename
	 * the tree into the target's directory: on one file system. */
	if (fstat(x->tmpfd, &ts) != 0 ||
	    (x->exists && mode == SPL_EXTRACT_MERGE && x->name ?
		     fstatat(x->dirfd, x->name, &ds, AT_SYMLINK_NOFOLLOW) :
		     fstat(x->dirfd, &ds)) != 0)
		return host->fail(ctx, errno, "cannot extract into '%s'",
				  gw_path);
	if (ts.st_dev != ds.st_dev) {
		host->log(ctx, SUP_LOG_INFO,
			  "'%s' is not on the file system its tree was staged on: unpacking its payload again",
			  gw_path);
		return SUP_ENOENT;
	}
	if (host->payload_info(ctx, index, &x->payload, NULL) != SUP_OK ||
	    spl_staged_read_modes(x, sfd) ||
	    spl_extract_apply_special(host, ctx, x->tmpfd, x->special,
				      x->n_special))
		return SUP_ERR;
	/* The modes reach the disk with the tree they belong to. */
	if (x->n_special && syncfs(x->tmpfd) != 0)
		return host->fail(ctx, errno,
				  "cannot sync the tree staged for '%s'",
				  gw_path);
	x->tmp_gone = false;
	x->unpacked = true;
	return SUP_OK;
}

int spl_extract_prepare(struct spl_extract *x, const struct sup_host_api *host,
			struct sup_action_ctx *ctx, const char *gw_path,
			enum spl_extract_mode mode, size_t index)
{
	int rc = spl_extract_begin_staged(x, host, ctx, gw_path, mode, index);

	if (rc != SUP_ENOENT)
		return rc;
	spl_extract_release(x);
	if (spl_extract_begin(x, host, ctx, gw_path, mode) ||
	    spl_extract_payload(x, index))
		return SUP_ERR;
	return SUP_OK;
}
