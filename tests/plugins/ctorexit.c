/* SPDX-License-Identifier: MIT */
/*
 * ctorexit.c - a plugin whose constructor ends the process that loads it,
 * with status 0. Its descriptor is sound: the trial load must take the
 * early end for what it is, or the installer itself would exit 0 when it
 * maps the plugin.
 */
#include <sup/plugin.h>
#include <unistd.h>

__attribute__((constructor)) static void ctorexit_start(void)
{
	_exit(0);
}

static int ctorexit_run(const struct sup_host_api *host,
			struct sup_action_ctx *ctx)
{
	(void)host;
	(void)ctx;
	return SUP_OK;
}

static const struct sup_action_ops ctorexit_actions[] = {
	{.type = "ctorexit.run", .execute = ctorexit_run}, {0}};

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin me = {
		SUP_PLUGIN_HEADER,
		.name = "ctorexit",
		.version = "1.0.0",
		.actions = ctorexit_actions,
	};

	return &me;
}
