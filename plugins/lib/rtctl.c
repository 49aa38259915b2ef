/* SPDX-License-Identifier: MIT */
/*
 * rtctl.c - stop and start the product runtime and wait until it is down
 * or healthy, as the [runtime] settings say (see rtctl.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "rtctl.h"
#include "rtprobe.h"
#include "say.h"
#include "util.h"

/* Of the action's time left, kept back to report a failure in time. */
#define RT_MARGIN_MAX_MS 1000

static void rt_sleep_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000),
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * How long to wait: want, or less when the action's time runs out first
 * (then *capped), keeping a margin to report the failure.
 */
static int64_t rt_budget(const struct spl_rt *rt, int64_t want,
			 bool *capped)
{
	int64_t left = rt->host->time_left_ms(rt->ctx), margin;

	*capped = false;
	if (left < 0)
		return want;
	margin = left / 10 < RT_MARGIN_MAX_MS ? left / 10 : RT_MARGIN_MAX_MS;
	if (left - margin < want) {
		*capped = true;
		return left - margin;
	}
	return want;
}

/* Said after the time waited when the action's time cut the wait. */
static const char *rt_capped_text(bool capped)
{
	return capped ? ", when the action's time was up" : "";
}

/* Run the start or stop command with what is left until deadline; how it
 * ended goes to *res, nothing is recorded. */
static int rt_control_run(const struct spl_rt *rt, bool start,
			  int64_t deadline, struct spl_cmd_result *res)
{
	const char *verb = start ? "start" : "stop";
	const char *argv[] = { "systemctl", verb, rt->unit, NULL };
	struct spl_cmd cmd = { .timeout_ms = deadline - spl_now_ms() };
	char secs[32];

	if (cmd.timeout_ms < 0)
		cmd.timeout_ms = 0;
	if (rt->control == SPL_RT_CONTROL_COMMANDS) {
		cmd.script = start ? rt->start_command : rt->stop_command;
		rt->host->log(rt->ctx, SUP_LOG_INFO, "running the %s command: %s", verb, cmd.script);
	} else {
		cmd.path = rt->systemctl;
		cmd.argv = argv;
		rt->host->log(rt->ctx, SUP_LOG_INFO, "running 'systemctl %s %s'", verb, rt->unit);
	}
	if (spl_cmd_run(rt->host, rt->ctx, &cmd, res) != SUP_OK)
		return SUP_ERR;
	if (res->output_left_open)
		rt->host->log(rt->ctx, SUP_LOG_WARNING, "the %s command left processes that keep its output open; their output is not captured", verb);
	rt->host->log(rt->ctx, SUP_LOG_INFO, "the %s command exited with status 0 in %s", verb, spl_cmd_secs(res->elapsed_ms, secs, sizeof(secs)));
	return SUP_OK;
}

/* Record how the start or stop command failed. */
static int rt_control_fail(const struct spl_rt *rt, bool start,
			   const struct spl_cmd_result *res, const char *lead)
{
	const char *verb = start ? "start" : "stop";
	char desc[SPL_CMD_DESC_LEN];

	spl_cmd_describe(res, desc, sizeof(desc));
	if (rt->control == SPL_RT_CONTROL_COMMANDS)
		return rt->host->fail(rt->ctx, 0, "%s%s command %s", lead, verb, desc);
	return rt->host->fail(rt->ctx, 0, "%s'systemctl %s %s' %s", lead, verb, rt->unit, desc);
}

/* " (pid 4242)" or "". */
static const char *rt_pid_text(long pid, char *buf, size_t len)
{
	if (pid > 0)
		snprintf(buf, len, " (pid %ld)", pid);
	else
		buf[0] = '\0';
	return buf;
}

int spl_rt_stop(struct spl_rt *rt)
{
	struct spl_rt_seen s = { 0 };
	struct spl_cmd_result res;
	char secs[32], pidt[40];
	int64_t start = spl_now_ms(), budget, deadline;
	bool capped;
	long pid0;
	int ret = SUP_ERR;

	budget = rt_budget(rt, rt->stop_timeout_ms, &capped);
	deadline = start + budget;
	spl_rt_look_down(rt, deadline, &s);
	/* Recorded: its path leads nowhere the runtime can be watched. */
	if (rt->pidfile_refused)
		goto out;
	if (s.verdict == SPL_RT_YES) {
		spl_say(rt->host, rt->ctx, "runtime already down (%s): nothing to stop", s.what ? s.what : "as seen");
		ret = SUP_OK;
		goto out;
	}
	pid0 = s.pid;
	rt->host->log(rt->ctx, SUP_LOG_INFO, "stopping the runtime%s%s%s", rt_pid_text(pid0, pidt, sizeof(pidt)), s.what ? ": " : "", s.what ? s.what : "");
	/* The wait starts with the stop command, within the time left. */
	budget = rt_budget(rt, rt->stop_timeout_ms, &capped);
	start = spl_now_ms();
	deadline = start + budget;
	if (rt_control_run(rt, false, deadline, &res) != SUP_OK) {
		rt_control_fail(rt, false, &res, "");
		goto out;
	}
	for (;;) {
		spl_rt_look_down(rt, deadline, &s);
		if (s.verdict == SPL_RT_YES)
			break;
		if (s.pid > 0)
			pid0 = s.pid;
		if (spl_now_ms() >= deadline) {
			spl_cmd_secs(budget, secs, sizeof(secs));
			rt_pid_text(s.pid, pidt, sizeof(pidt));
			if (s.verdict == SPL_RT_UNKNOWN)
				rt->host->fail(rt->ctx, 0, "runtime not seen down%s %s after the stop command%s: %s", pidt, secs, rt_capped_text(capped), s.what ? s.what : "unknown state");
			else if (s.what)
				rt->host->fail(rt->ctx, 0, "runtime still running%s %s after the stop command%s: %s", pidt, secs, rt_capped_text(capped), s.what);
			else
				rt->host->fail(rt->ctx, 0, "runtime still running%s %s after the stop command%s", pidt, secs, rt_capped_text(capped));
			goto out;
		}
		rt_sleep_ms(deadline - spl_now_ms() < rt->poll_interval_ms ?
				    deadline - spl_now_ms() :
				    rt->poll_interval_ms);
	}
	spl_say(rt->host, rt->ctx,
		"runtime stopped%s %s after the stop command: %s",
		rt_pid_text(pid0, pidt, sizeof(pidt)),
		spl_cmd_secs(spl_now_ms() - start, secs, sizeof(secs)),
		s.what ? s.what : "down");
	ret = SUP_OK;
out:
	spl_rt_seen_release(&s);
	return ret;
}

/* Pass the health command's last output on, once. */
static void rt_output_capture(const struct spl_rt *rt,
			      const struct spl_rt_capture *cap)
{
	if (!cap->len)
		return;
	rt->host->output(rt->ctx, cap->buf, cap->len);
	if (cap->buf[cap->len - 1] != '\n')
		rt->host->output(rt->ctx, "\n", 1);
}

/* Poll until healthy or st->budget_ms from start (when the wait began):
 * the verdict into *st, nothing recorded; the health command's last
 * output goes to the action's output once. cap may be NULL. */
static void rt_poll_healthy(struct spl_rt *rt, int64_t start,
			    struct spl_rt_capture *cap, struct spl_rt_start *st)
{
	struct spl_rt_seen s = { 0 };
	int64_t deadline = start + st->budget_ms;

	for (;;) {
		spl_rt_look_healthy(rt, deadline, cap, &s);
		if (s.verdict == SPL_RT_YES || spl_now_ms() >= deadline)
			break;
		rt_sleep_ms(deadline - spl_now_ms() < rt->poll_interval_ms ?
				    deadline - spl_now_ms() :
				    rt->poll_interval_ms);
	}
	if (cap)
		rt_output_capture(rt, cap);
	st->healthy = s.verdict == SPL_RT_YES;
	st->pid = s.pid;
	st->seen = s.what;
	s.what = NULL;
	st->elapsed_ms = spl_now_ms() - start;
	spl_rt_seen_release(&s);
}

/* Record the verdict of a wait: "runtime healthy (pid 4318) 2.214 s
 * <since>", or "<lead><subject> did not become healthy within ...". */
static int rt_healthy_verdict(const struct spl_rt *rt,
			      const struct spl_rt_start *st,
			      const char *since, const char *lead,
			      const char *subject)
{
	char secs[32], pidt[40];

	if (!st->healthy)
		return rt->host->fail(rt->ctx, 0, "%s%s did not become healthy within %s%s: %s", lead, subject, spl_cmd_secs(st->budget_ms, secs, sizeof(secs)), rt_capped_text(st->capped), st->seen ? st->seen : "unknown state");
	spl_say(rt->host, rt->ctx, "runtime healthy%s %s %s",
		rt_pid_text(st->pid, pidt, sizeof(pidt)),
		spl_cmd_secs(st->elapsed_ms, secs, sizeof(secs)), since);
	return SUP_OK;
}

/* The start command, then the wait until healthy, want ms at most (less
 * if the action's time runs out first): into *st, nothing recorded. */
static int rt_start_run(struct spl_rt *rt, int64_t want,
			struct spl_rt_capture *cap, struct spl_rt_start *st)
{
	int64_t start;

	memset(st, 0, sizeof(*st));
	/* The wait starts with the start command, within the time left. */
	st->budget_ms = rt_budget(rt, want, &st->capped);
	start = spl_now_ms();
	if (rt_control_run(rt, true, start + st->budget_ms, &st->cmd) !=
	    SUP_OK) {
		st->elapsed_ms = spl_now_ms() - start;
		return SUP_ERR;
	}
	st->started = true;
	rt_poll_healthy(rt, start, cap, st);
	return st->healthy ? SUP_OK : SUP_ERR;
}

void spl_rt_start_release(struct spl_rt_start *st)
{
	free(st->seen);
	st->seen = NULL;
}

int spl_rt_start_seen(struct spl_rt *rt, int64_t timeout_ms,
		      struct spl_rt_start *st)
{
	/* Without memory for the capture, the health output is not kept. */
	struct spl_rt_capture *cap = calloc(1, sizeof(*cap));
	int ret;

	ret = rt_start_run(rt, timeout_ms > 0 ? timeout_ms :
						rt->start_timeout_ms,
			   cap, st);
	free(cap);
	return ret;
}

int spl_rt_wait_healthy(struct spl_rt *rt, int64_t timeout_ms)
{
	struct spl_rt_start st = { .started = true };
	struct spl_rt_capture *cap;
	int ret;

	cap = calloc(1, sizeof(*cap));
	if (!cap)
		return rt->host->fail(rt->ctx, ENOMEM, "cannot watch the runtime");
	st.budget_ms = rt_budget(rt, timeout_ms > 0 ? timeout_ms :
						   rt->start_timeout_ms,
				 &st.capped);
	rt_poll_healthy(rt, spl_now_ms(), cap, &st);
	ret = rt_healthy_verdict(rt, &st, "after waiting", "", "runtime");
	spl_rt_start_release(&st);
	free(cap);
	return ret;
}

int spl_rt_start(struct spl_rt *rt, int64_t timeout_ms)
{
	return spl_rt_start_as(rt, timeout_ms, "", "runtime");
}

int spl_rt_start_as(struct spl_rt *rt, int64_t timeout_ms,
		    const char *lead, const char *subject)
{
	struct spl_rt_seen s = { 0 };
	struct spl_rt_start st = { 0 };
	struct spl_rt_capture *cap;
	int64_t budget, want;
	char pidt[40];
	bool capped;
	int ret = SUP_ERR;

	cap = calloc(1, sizeof(*cap));
	if (!cap)
		return rt->host->fail(rt->ctx, ENOMEM, "cannot start the runtime");
	want = timeout_ms > 0 ? timeout_ms : rt->start_timeout_ms;
	budget = rt_budget(rt, want, &capped);
	spl_rt_look_healthy(rt, spl_now_ms() + budget, cap, &s);
	/* Recorded: its path leads nowhere the runtime can be watched. */
	if (rt->pidfile_refused)
		goto out;
	if (s.verdict == SPL_RT_YES) {
		rt_output_capture(rt, cap);
		spl_say(rt->host, rt->ctx,
			"runtime already healthy%s: nothing to start",
			rt_pid_text(s.pid, pidt, sizeof(pidt)));
		ret = SUP_OK;
		goto out;
	}
	rt->host->log(rt->ctx, SUP_LOG_INFO, "starting the runtime: %s", s.what ? s.what : "not healthy");
	if (rt_start_run(rt, want, cap, &st) == SUP_OK || st.started)
		ret = rt_healthy_verdict(rt, &st, "after the start command",
					 lead, subject);
	else
		rt_control_fail(rt, true, &st.cmd, lead);
out:
	spl_rt_start_release(&st);
	spl_rt_seen_release(&s);
	free(cap);
	return ret;
}
