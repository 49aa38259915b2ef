/* SPDX-License-Identifier: MIT */
/*
 * spool.h - where a job's package lies in download_dir: the names supd
 * accepts, the partial and the complete file, and their removal. Shared
 * by the download (fetch.c), the install (install.c) and the end of a
 * job (report.c).
 */
#ifndef SUPD_SPOOL_H
#define SUPD_SPOOL_H

#include <stdbool.h>

#include "ctx.h"
#include "job.h"

/* A package name supd accepts: 1-200 bytes of [A-Za-z0-9._+-], not
 * starting with '.'. It becomes a file name in download_dir. */
bool supd_spool_name_valid(const char *name);

/* The partial and the complete download of j (malloc'd): NAME.part and
 * NAME (NAME.sup when NAME does not end in ".sup"). 0 or -ENOMEM. */
int supd_spool_paths(const struct supd_conf *c, const char *name, char **part,
		     char **final);
/* Remove both, if there. */
void supd_spool_remove(const struct supd_ctx *ctx, const struct supd_job *j);

#endif
