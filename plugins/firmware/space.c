/* SPDX-License-Identifier: MIT */
/*
 * space.c - the free space a firmware update needs: the payload plus
 * min_free_mb.
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
#include <sys/statvfs.h>

#include <sup/plugin.h>


#include "firmware.h"

int fw_check_space(struct fw *fw, int fd, const char *dir,
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
