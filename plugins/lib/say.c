/* SPDX-License-Identifier: MIT */
/*
 * say.c - a line on the log and the action's output (see say.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "say.h"

void spl_say(const struct sup_host_api *host, struct sup_action_ctx *ctx,
	     const char *fmt, ...)
{
	va_list ap;
	char *line = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	host->log(ctx, SUP_LOG_INFO, "%s", line);
	host->output(ctx, line, (size_t)n);
	host->output(ctx, "\n", 1);
	free(line);
}
