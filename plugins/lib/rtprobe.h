/* SPDX-License-Identifier: MIT */
/*
 * rtprobe.h - one look at the product runtime (pidfile, systemd unit,
 * health command), taken in rtprobe.c for rtctl.c and for a caller that
 * only asks (spl_rt_is_healthy(), spl_rt_is_down()).
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
 */
#ifndef SPL_RTPROBE_H
#define SPL_RTPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtconf.h"

/* The health command's output kept for the final verdict. */
#define SPL_RT_OUTPUT_KEEP 4096

enum spl_rt_verdict {
	SPL_RT_NO = 0,
	SPL_RT_YES = 1,
	SPL_RT_UNKNOWN = 2,
};

/* One look at the runtime. */
struct spl_rt_seen {
	enum spl_rt_verdict verdict;
	long pid;   /* 0: unknown */
	char *what; /* NULL when the pid says it all */
};

/* Bytes of a command's output: its head or its tail, at most cap. */
struct spl_rt_capture {
	char buf[SPL_RT_OUTPUT_KEEP];
	size_t len;
	size_t cap;
	bool tail;
};

/* Forget what s saw (free it) and zero it. */
void spl_rt_seen_release(struct spl_rt_seen *s);

/*
 * Is the runtime healthy? One look, until deadline (spl_now_ms()) at most
 * for a command it runs; cap (may be NULL) receives the health command's
 * output. Nothing is recorded on the action.
 */
void spl_rt_look_healthy(struct spl_rt *rt, int64_t deadline,
			 struct spl_rt_capture *cap, struct spl_rt_seen *s);

/* Is the runtime down? SPL_RT_UNKNOWN counts as no. */
void spl_rt_look_down(struct spl_rt *rt, int64_t deadline,
		      struct spl_rt_seen *s);

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
