/* SPDX-License-Identifier: MIT */
/*
 * nullexec.c - a plugin with an action type that has a check but no
 * execute function. The host must refuse the plugin at load time rather
 * than crash when the action runs.
 */
#include <sup/plugin.h>

static int nullexec_check(const struct sup_host_api *host,
			  struct sup_action_ctx *ctx)
{
	(void)host;
	(void)ctx;
	return SUP_OK;
}

static const struct sup_action_ops nullexec_actions[] = {
	{ .type = "nullexec.nothing", .check = nullexec_check,
	  .execute = NULL },
	{ 0 }
};

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin me = {
		SUP_PLUGIN_HEADER,
		.name = "nullexec",
		.version = "1.0.0",
		.actions = nullexec_actions,
	};

	return &me;
}
