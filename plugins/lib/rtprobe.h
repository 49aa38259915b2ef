/* SPDX-License-Identifier: MIT */
/*
 * rtprobe.h - one look at the product runtime (pidfile, systemd unit,
 * health command), shared by rtprobe.c and rtctl.c: private to the
 * plugin library. What the looks mean is said in rtctl.h.
 */
#ifndef SPL_RTPROBE_H
#define SPL_RTPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtctl.h"

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

#endif
