/* SPDX-License-Identifier: MIT */
/*
 * runtime - the built-in supkit plugin that stops, starts and restarts the
 * product runtime: runtime.stop, runtime.start, runtime.restart.
 *
 * How is the product's business, said in the [runtime] section of its
 * profile (docs/config.md) and carried out by rtctl (plugins/lib). Each
 * action waits until the runtime is really down or healthy, and says on
 * its output what it saw (pid, time taken). Stopping a runtime that is
 * down, or starting one that is healthy, succeeds without a command: the
 * actions are idempotent.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stddef.h>

#include <sup/plugin.h>

#include "rtctl.h"

/* check() of every type: the [runtime] settings are usable. */
static int runtime_check(const struct sup_host_api *host,
			 struct sup_action_ctx *ctx)
{
	struct spl_rt rt;
	int ret;

	ret = spl_rt_load(&rt, host, ctx);
	spl_rt_release(&rt);
	return ret;
}

static int runtime_stop(const struct sup_host_api *host,
			struct sup_action_ctx *ctx)
{
	struct spl_rt rt;
	int ret;

	ret = spl_rt_load(&rt, host, ctx);
	if (ret == SUP_OK)
		ret = spl_rt_stop(&rt);
	spl_rt_release(&rt);
	return ret;
}

static int runtime_start(const struct sup_host_api *host,
			 struct sup_action_ctx *ctx)
{
	struct spl_rt rt;
	int ret;

	ret = spl_rt_load(&rt, host, ctx);
	if (ret == SUP_OK)
		ret = spl_rt_start(&rt, 0);
	spl_rt_release(&rt);
	return ret;
}

/* Stop, then start: a runtime that would not stop is not started again
 * over itself. */
static int runtime_restart(const struct sup_host_api *host,
			   struct sup_action_ctx *ctx)
{
	struct spl_rt rt;
	int ret;

	ret = spl_rt_load(&rt, host, ctx);
	if (ret == SUP_OK)
		ret = spl_rt_stop(&rt);
	if (ret == SUP_OK)
		ret = spl_rt_start(&rt, 0);
	spl_rt_release(&rt);
	return ret;
}

static const char *const runtime_params[] = { NULL };

#define RUNTIME_FLAGS (SUP_ACTION_AFFECTS_RUNTIME | SUP_ACTION_IDEMPOTENT)

static const struct sup_action_ops runtime_actions[] = {
	{
		.type = "runtime.stop",
		.check = runtime_check,
		.execute = runtime_stop,
		.flags = RUNTIME_FLAGS,
		.params = runtime_params,
	},
	{
		.type = "runtime.start",
		.check = runtime_check,
		.execute = runtime_start,
		.flags = RUNTIME_FLAGS,
		.params = runtime_params,
	},
	{
		.type = "runtime.restart",
		.check = runtime_check,
		.execute = runtime_restart,
		.flags = RUNTIME_FLAGS,
		.params = runtime_params,
	},
	{ .type = NULL },
};

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin me = {
		SUP_PLUGIN_HEADER,
		.name = "runtime",
		.version = "1.0.0",
		.description = "stop, start and restart the product runtime",
		.actions = runtime_actions,
	};

	return &me;
}
