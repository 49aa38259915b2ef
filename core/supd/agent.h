/* SPDX-License-Identifier: MIT */
/*
 * agent.h - the campaign agent's loop: poll the mailbox (jittered
 * exponential backoff on failure), turn each message into a durable job,
 * and step the jobs through download, install and report.
 */
#ifndef SUPD_AGENT_H
#define SUPD_AGENT_H

#include <signal.h>
#include <stdbool.h>

#include "agentconf.h"

/* Exit codes of supd (docs/man/supd.8). */
#define SUPD_EXIT_OK 0
#define SUPD_EXIT_FAILURE 1 /* cannot set up, or --once did not complete */
#define SUPD_EXIT_USAGE 2
#define SUPD_EXIT_CONFIG 3 /* supd.conf invalid or refused */

/*
 * Run until *stop is set (between steps), or with once: until one
 * mailbox.check succeeded and every job it (or an earlier run) started is
 * acked. Returns an exit code.
 */
int supd_agent_run(const struct supd_conf *conf, bool once,
		   volatile sig_atomic_t *stop);

#endif
