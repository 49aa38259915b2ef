/* SPDX-License-Identifier: MIT */
/*
 * badtype.c - a plugin whose action type "Bad Type!" is not of the form
 * plugin.verb (uppercase, a space, a '!', no dot). The host must refuse
 * the plugin and quote the type.
 */
#include <sup/plugin.h>

static int badtype_noop(const struct sup_host_api *host,
			struct sup_action_ctx *ctx)
{
	(void)host;
	(void)ctx;
	return SUP_OK;
}

static const struct sup_action_ops badtype_actions[] = {
	{ .type = "Bad Type!", .execute = badtype_noop },
	{ 0 }
};

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin me = {
		SUP_PLUGIN_HEADER,
		.name = "badtype",
		.version = "1.0.0",
		.actions = badtype_actions,
	};

	return &me;
}
