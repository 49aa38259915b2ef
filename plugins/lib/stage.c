/* SPDX-License-Identifier: MIT */
/* stage.c - a payload staged as one file (see stage.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "stage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

int spl_stage_payload(const struct sup_host_api *host,
		      struct sup_action_ctx *ctx, const char *gw_path,
		      unsigned int flags, size_t index)
{
	struct spl_progress prog = { 0 };
	struct sup_payload *pl = NULL;
	unsigned char *buf = NULL;
	const char *pname;
	int dfd = -1, fd = -1, err, rc;

	if (!SUP_HOST_HAS(host, stage_dir))
		return SUP_OK;
	if (host->payload_info(ctx, index, &pname, &prog.total) != SUP_OK)
		return host->fail(ctx, 0, "cannot get payload %zu of action '%s'",
				  index, host->action_id(ctx));
	rc = host->stage_dir(ctx, gw_path, flags, prog.total, &dfd);
	if (rc == SUP_ENOTSUP)
		return SUP_OK;
	if (rc != SUP_OK)
		return SUP_ERR;
	rc = SUP_ERR;
	buf = malloc(SPL_BUF_SIZE);
	if (!buf) {
		host->fail(ctx, ENOMEM, "cannot stage '%s'", gw_path);
		goto out;
	}
	/* 0600 in a 0700 directory of ours: nobody else reaches it. */
	fd = openat(dfd, SPL_STAGE_FILE,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		host->fail(ctx, errno, "cannot stage '%s'", gw_path);
		goto out;
	}
	if (host->payload_open(ctx, index, &pl) != SUP_OK) {
		pl = NULL;
		host->fail(ctx, 0, "cannot open payload '%s' for '%s'", pname,
			   gw_path);
		goto out;
	}
	if (spl_payload_copy(host, ctx, pl, pname, fd, buf, &prog, &err)) {
		if (err)
			host->fail(ctx, err, "cannot stage '%s'", gw_path);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		host->fail(ctx, errno, "cannot stage '%s'", gw_path);
		goto out;
	}
	fd = -1;
	rc = SUP_OK;
out:
	if (fd >= 0)
		close(fd);
	if (pl)
		host->payload_close(pl);
	close(dfd);
	free(buf);
	return rc;
}

int spl_staged_open(const struct sup_host_api *host,
		    struct sup_action_ctx *ctx, const char *gw_path,
		    int *dirfd, int *fd)
{
	struct stat st;
	int rc;

	*dirfd = -1;
	*fd = -1;
	if (!SUP_HOST_HAS(host, staged_dir))
		return SUP_ENOENT;
	rc = host->staged_dir(ctx, gw_path, dirfd);
	if (rc != SUP_OK)
		return rc;
	*fd = openat(*dirfd, SPL_STAGE_FILE, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0 && errno == ENOENT) {
		close(*dirfd);
		*dirfd = -1;
		return SUP_ENOENT;
	}
	if (*fd < 0 || fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || st.st_nlink != 1) {
		rc = host->fail(ctx, *fd < 0 ? errno : 0,
				"the file staged for '%s' is not the one staging wrote",
				gw_path);
		if (*fd >= 0)
			close(*fd);
		close(*dirfd);
		*fd = *dirfd = -1;
		return rc;
	}
	return SUP_OK;
}
