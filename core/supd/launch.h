/* SPDX-License-Identifier: MIT */
/*
 * launch.h - running a job's package with `sup install --detach` (fork
 * and execv, no shell) and following its record, confirmation.json, to
 * the end: through suspensions, reboots and restarts of supd.
 */
#ifndef SUPD_LAUNCH_H
#define SUPD_LAUNCH_H

#include "ctx.h"
#include "job.h"

/* One step of a job in phase installing: start sup once (or find the one
 * an earlier supd started), then read the record until it is final and
 * give the job its answer. */
int supd_install_step(struct supd_ctx *ctx, struct supd_job *j);

/* The job ends while the sup it started is still in preflight (timeout,
 * stop): stop reading its output; supd_install_reap() collects it. */
void supd_install_let_go(struct supd_job *j);
/* Collect sup processes let go that have exited. */
void supd_install_reap(void);

#endif
