/* SPDX-License-Identifier: MIT */
/*
 * dupb.c - a plugin that claims a type of another plugin: besides its
 * own dupb.only it lists dupa.same, the type of dupa (dupa.c). Two
 * vendors' plugins must not claim each other's types: the host refuses
 * dupb at load, naming the type, alone or next to dupa, and registers
 * none of its types.
 */
#include <sup/plugin.h>

static int dupb_noop(const struct sup_host_api *host,
		      struct sup_action_ctx *ctx)
{
	(void)host;
	(void)ctx;
	return SUP_OK;
}

static const struct sup_action_ops dupb_actions[] = {
	{ .type = "dupb.only", .execute = dupb_noop },
	{ .type = "dupa.same", .execute = dupb_noop },
	{ 0 }
};

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin me = {
		SUP_PLUGIN_HEADER,
		.name = "dupb",
		.version = "1.0.0",
		.actions = dupb_actions,
	};

	return &me;
}
