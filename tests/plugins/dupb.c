/* SPDX-License-Identifier: MIT */
/*
 * dupb.c - one of two valid plugins (dupa, dupb) that both claim the
 * action type "dup.same". Either loads alone; loading both must fail with
 * an error naming both files. Each also has a type of its own
 * (dupb.only) so tests can tell which one was loaded.
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
	{ .type = "dup.same", .execute = dupb_noop },
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
