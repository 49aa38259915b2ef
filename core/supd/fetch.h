/* SPDX-License-Identifier: MIT */
/*
 * fetch.h - getting a job's package from the portal: file.get, then the
 * download into <download_dir>/<name>.part with HTTP range resume, the
 * size and crc32 check, and the rename to the .sup file sup installs.
 */
#ifndef SUPD_FETCH_H
#define SUPD_FETCH_H

#include <stdbool.h>

#include "ctx.h"
#include "job.h"

/* A job in phase received: clear what an earlier job of the same name
 * left, note the start, move to downloading. */
int supd_fetch_start(struct supd_ctx *ctx, struct supd_job *j);
/* One try of the download (phase downloading); on success the job moves
 * to installing. */
int supd_fetch_step(struct supd_ctx *ctx, struct supd_job *j);

#endif
