/* SPDX-License-Identifier: MIT */
/*
 * ctx.h - what the steps of a job share: the configuration, the portal
 * client, where state and records are; the ack error codes; how a step
 * tells the agent loop when to call it again.
 */
#ifndef SUPD_CTX_H
#define SUPD_CTX_H

#include <signal.h>

#include "agentconf.h"

struct supd_tr50;

/* mailbox.ack errorCode values (docs/tr50.md). */
enum supd_ack {
	SUPD_ACK_OK = 0,
	SUPD_ACK_FAILED = 1,	  /* the install ran and an action failed */
	SUPD_ACK_REJECTED = 2,	  /* preflight refused the package */
	SUPD_ACK_DOWNLOAD = 3,	  /* file.get refused, bad size/crc32 */
	SUPD_ACK_BUSY = 4,	  /* another install runs or is pending */
	SUPD_ACK_BAD_REQUEST = 5, /* no or invalid name, unknown method */
	SUPD_ACK_TIMEOUT = 6,	  /* the job exceeded its timeout */
	SUPD_ACK_NO_SPACE = 7,	  /* not enough disk space to download */
	SUPD_ACK_INTERNAL = 8,	  /* cannot run sup or read its record */
};

struct supd_ctx {
	const struct supd_conf *conf;
	struct supd_tr50 *tr50;
	char *supd_dir;	    /* <state_dir>/supd */
	char *confirm_path; /* <logs_dir>/confirmation.json */
	volatile sig_atomic_t *stop; /* set by SIGTERM and friends */
};

/* What a step of a job asks of the loop. */
enum supd_step {
	SUPD_STEP_NEXT,	 /* progress: call again at once */
	SUPD_STEP_WAIT,	 /* waiting for sup: call again shortly */
	SUPD_STEP_RETRY, /* a transient failure: call again after backoff */
};

#endif
