/* SPDX-License-Identifier: MIT */
/*
 * say.h - tell the operator what a plugin saw or did: one line on the
 * installer's log (info) and on the action's output, which
 * confirmation.json keeps ("runtime stopped (pid 4242) 0.205 s after the
 * stop command: ...").
 */
#ifndef SPL_SAY_H
#define SPL_SAY_H

#include <sup/plugin.h>

/* The line is fmt formatted, without a newline; one is added on the
 * output. A line that cannot be formatted (no memory) is left out. */
void spl_say(const struct sup_host_api *host, struct sup_action_ctx *ctx,
	     const char *fmt, ...) SUP_PRINTF(3, 4);

#endif
