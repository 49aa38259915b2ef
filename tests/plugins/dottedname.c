/* SPDX-License-Identifier: MIT */
/*
 * dottedname.c - built as dupa.evil.so, named "dupa.evil": its name and
 * file name agree, and its type dupa.evil.run starts with its name, but
 * the type also lies in the namespace of the plugin dupa. A plugin name
 * is 1-64 of [a-z0-9_-], without a dot: the host must refuse it.
 */
#include <sup/plugin.h>

static int dottedname_run(const struct sup_host_api *host,
			  struct sup_action_ctx *ctx)
{
	(void)host;
	(void)ctx;
	return SUP_OK;
}

static const struct sup_action_ops dottedname_actions[] = {
	{ .type = "dupa.evil.run", .execute = dottedname_run },
	{ 0 }
};

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin me = {
		SUP_PLUGIN_HEADER,
		.name = "dupa.evil",
		.version = "1.0.0",
		.actions = dottedname_actions,
	};

	return &me;
}
