/* SPDX-License-Identifier: MIT */
/* slog.c - supd's log lines. */
#include "slog.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* One fputs per line, so that lines of supd and of the sup it starts
 * (which shares stderr) do not interleave within a line. */
static void say(const char *level, const char *fmt, va_list ap)
{
	char *msg = NULL, *line = NULL;

	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	if (!msg || asprintf(&line, "supd: %s%s\n", level, msg) < 0)
		line = NULL;
	if (line)
		fputs(line, stderr);
	else
		fputs("supd: error: out of memory while logging\n", stderr);
	fflush(stderr);
	free(msg);
	free(line);
}

void supd_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("", fmt, ap);
	va_end(ap);
}

void supd_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("warning: ", fmt, ap);
	va_end(ap);
}

void supd_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("error: ", fmt, ap);
	va_end(ap);
}
