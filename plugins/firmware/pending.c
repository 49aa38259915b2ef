/* SPDX-License-Identifier: MIT */
/*
 * pending.c - small durable records: <staging>/previous, replaced, stopping,
 * and the pending update in releases_dir for a re-run after an
 * interruption.
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
#include "util.h"

#include "firmware.h"

int fw_record_write(struct fw *fw, int dirfd, const char *where,
		    const char *name, const char *data, size_t len,
		    const char *what)
{
	char *tmp = NULL;
	int fd = -1, err;

	err = spl_fs_tmp_file_at(dirfd, name, &fd, &tmp);
	if (!err)
		err = spl_write_all(fd, data, len);
	if (err)
		goto out;
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

int fw_record_read(int dirfd, const char *name, char **out,
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

int fw_record_remove(struct fw *fw, int dirfd, const char *where,
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

int fw_pending_write(struct fw *fw, const struct fw_link *prev)
{
	char *data;
	int rc;

	data = fw_strf("version=%s\nprevious=%s", fw->version,
		       prev->exists ? prev->target : "");
	if (!data)
		return fw->host->fail(fw->ctx, ENOMEM,
				      "cannot record the update in '%s'",
				      fw->releases_gw);
	spl_fs_sweep_stale_at(fw->host, fw->ctx, fw->releases_fd,
			      fw->releases_gw, FW_PENDING);
	rc = fw_record_write(fw, fw->releases_fd, fw->releases_gw, FW_PENDING,
			     data, strlen(data), "the update in progress");
	free(data);
	return rc;
}

bool fw_pending_read(struct fw *fw, struct fw_link *prev)
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
