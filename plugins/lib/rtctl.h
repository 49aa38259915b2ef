/* SPDX-License-Identifier: MIT */
/*
 * rtctl.h - stop and start the product runtime, and wait until it is down
 * or healthy, as the [runtime] settings say (rtconf.h; done in rtctl.c
 * with the looks of rtprobe.h).
 *
 * Commands run through spl_cmd_run() (cmd.h): on the host, with SUP_ROOT
 * set, output to host->output() (the health command's output is kept and
 * shown once, with the final verdict, not at every poll).
 *
 * Messages say what was seen: "runtime still running (pid 4242) 60 s after
 * the stop command", "runtime did not become healthy within 30 s: health
 * command exited with status 1".
 */
#ifndef SPL_RTCTL_H
#define SPL_RTCTL_H

#include <stdbool.h>
#include <stdint.h>

#include <sup/plugin.h>

#include "cmd.h"
#include "rtconf.h"

/*
 * Stop the runtime: nothing if it is already down (said on the output),
 * else run the stop command and wait until it is down, stop_timeout_s at
 * most from the start of the stop command. Returns SUP_OK, or SUP_ERR with
 * the failure recorded.
 */
int spl_rt_stop(struct spl_rt *rt);

/*
 * Start the runtime: nothing if it is already healthy, else run the start
 * command and wait until healthy, timeout_ms at most from the start of the
 * start command (<= 0: start_timeout_s). Returns SUP_OK, or SUP_ERR with
 * the failure recorded.
 */
int spl_rt_start(struct spl_rt *rt, int64_t timeout_ms);

/*
 * The same, with the failure messages of a caller that starts the runtime
 * for a reason of its own: "<lead><subject> did not become healthy within
 * 30 s: ..." and "<lead>start command exited with status 1". lead may be
 * "" ("after the failed flash of firmware 2.1.0, "); spl_rt_start() is
 * spl_rt_start_as(rt, timeout_ms, "", "runtime").
 */
int spl_rt_start_as(struct spl_rt *rt, int64_t timeout_ms,
		    const char *lead, const char *subject);

/*
 * What spl_rt_start_seen() saw, for a caller that words the outcome
 * itself. seen is malloc'd: release st with spl_rt_start_release().
 */
struct spl_rt_start {
	/* The start command (or systemctl start) exited with status 0. If
	 * not, cmd says how it ended, and there was no wait. */
	bool started;
	struct spl_cmd_result cmd;
	bool healthy;
	long pid;	    /* the runtime's pid if known, else 0 */
	char *seen;	    /* what the last look saw, or NULL */
	int64_t budget_ms;  /* the time the command and the wait had */
	bool capped;	    /* the action's time left cut budget_ms */
	int64_t elapsed_ms; /* from the start command to the verdict */
};

/*
 * Run the start command and wait until the runtime is healthy, timeout_ms
 * at most from the start of the command (<= 0: start_timeout_s; less if
 * the action's time runs out first), without a look before and without
 * recording anything on ctx: *st says what happened. The health command's
 * last output goes to the action's output once, as with spl_rt_start().
 * Returns SUP_OK if the runtime became healthy, else SUP_ERR.
 */
int spl_rt_start_seen(struct spl_rt *rt, int64_t timeout_ms,
		      struct spl_rt_start *st);
void spl_rt_start_release(struct spl_rt_start *st);

/*
 * Wait until the runtime is healthy, timeout_ms at most (<= 0:
 * start_timeout_s), without starting it (after a start done another
 * way). Returns SUP_OK, or SUP_ERR with the failure recorded.
 */
int spl_rt_wait_healthy(struct spl_rt *rt, int64_t timeout_ms);

#endif
