/* SPDX-License-Identifier: MIT */
/*
 * dupa.c - a valid plugin with two types of its own, dupa.only and
 * dupa.same. Its neighbour dupb (dupb.c) claims dupa.same as well: the
 * host refuses dupb, whichever of the two loads first, because a type
 * belongs to the plugin whose name it starts with.
 */
#include <sup/plugin.h>

static int dupa_noop(const struct sup_host_api *host,
		      struct sup_action_ctx *ctx)
{
	(void)host;
	(void)ctx;
	return SUP_OK;
}

static const struct sup_action_ops dupa_actions[] = {
	{ .type = "dupa.only", .execute = dupa_noop },
	{ .type = "dupa.same", .execute = dupa_noop },
	{ 0 }
};

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin me = {
		SUP_PLUGIN_HEADER,
		.name = "dupa",
		.version = "1.0.0",
		.actions = dupa_actions,
	};

	return &me;
}
