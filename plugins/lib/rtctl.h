/* SPDX-License-Identifier: MIT */
/*
 * rtctl.h - stop, start and watch the product runtime as the [runtime]
 * section of the product profile says (host->product_get(), keys in
 * docs/config.md). The settings are read in rtconf.c, the looks at the
 * runtime taken in rtprobe.c, stop and start done in rtctl.c.
 *
 * Three questions are asked of the runtime:
 *  - healthy?  per "health": the health command exits with 0 (command),
 *    the pidfile holds the pid of a live process (pidfile), or
 *    `systemctl is-active UNIT` says "active" (systemd);
 *  - down?     with a unit: `systemctl is-active UNIT` says "inactive" or
 *    "failed"; else with a pidfile: there is none, or its pid is not alive;
 *    else: the health command exits with a non-zero status;
 *  - which pid? from the pidfile, else systemd's MainPID of the unit;
 *    only for messages.
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

enum spl_rt_control {
	SPL_RT_CONTROL_COMMANDS = 0, /* start_command, stop_command */
	SPL_RT_CONTROL_SYSTEMD = 1,  /* systemctl start/stop UNIT */
};

enum spl_rt_health {
	SPL_RT_HEALTH_COMMAND = 0,
	SPL_RT_HEALTH_PIDFILE = 1,
	SPL_RT_HEALTH_SYSTEMD = 2,
};

/*
 * The [runtime] settings, checked. Filled by spl_rt_load() and valid
 * during the plugin call whose host and ctx it was loaded with (the
 * strings belong to the host); release it with spl_rt_release().
 */
struct spl_rt {
	const struct sup_host_api *host;
	struct sup_action_ctx *ctx;
	enum spl_rt_control control;
	enum spl_rt_health health;
	const char *unit;	    /* NULL if not set */
	const char *start_command;  /* NULL with control = systemd */
	const char *stop_command;   /* NULL with control = systemd */
	const char *health_command; /* NULL unless health = command */
	const char *pidfile;	    /* gateway path, or NULL */
	/* pidfile under the root (host->free): validated in check, and
	 * tells a probe whether its directory is there at all; the file is
	 * read through host->path_parent(). */
	char *pidfile_host;
	/* The walk to the pidfile was refused (recorded on the action): not
	 * tried again, nothing started or stopped. */
	bool pidfile_refused;
	char *systemctl;	    /* host path of systemctl (free), or NULL */
	int64_t start_timeout_ms;
	int64_t stop_timeout_ms;
	int64_t poll_interval_ms;
};

/* Default and limits of the [runtime] numbers. */
#define SPL_RT_TIMEOUT_S_DEFAULT 60
#define SPL_RT_TIMEOUT_S_MAX 3600
#define SPL_RT_POLL_MS_DEFAULT 200
#define SPL_RT_POLL_MS_MIN 10
#define SPL_RT_POLL_MS_MAX 60000

/*
 * Read and check the [runtime] section; every problem is recorded on ctx
 * with a message naming section and key. Returns SUP_OK or SUP_ERR;
 * release rt either way. No side effects: check() may call it.
 */
int spl_rt_load(struct spl_rt *rt, const struct sup_host_api *host,
		struct sup_action_ctx *ctx);
void spl_rt_release(struct spl_rt *rt);

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

/*
 * One look at the runtime, nothing recorded on ctx. *pid (pid may be NULL)
 * is set to its pid if known, else 0; *seen (seen may be NULL) to what was
 * seen ("no pidfile '/run/acme.pid'", "health command exited with status
 * 1", ...), malloc'd, or NULL when a live pid says it all. A probe that
 * cannot tell (a pidfile that cannot be read) says no to both questions.
 */
bool spl_rt_is_healthy(struct spl_rt *rt, long *pid, char **seen);
bool spl_rt_is_down(struct spl_rt *rt, long *pid, char **seen);

#endif
