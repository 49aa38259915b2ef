/* SPDX-License-Identifier: MIT */
/*
 * noentry.c - a shared object that exports an entry point under the wrong
 * name and no sup_plugin_entry. The host must refuse it, saying which
 * symbol is missing.
 */
#include <sup/plugin.h>

SUP_EXPORT const struct sup_plugin *sup_plugin_init(void);

static int noentry_noop(const struct sup_host_api *host,
			struct sup_action_ctx *ctx)
{
	(void)host;
	(void)ctx;
	return SUP_OK;
}

static const struct sup_action_ops noentry_actions[] = {
	{ .type = "noentry.noop", .execute = noentry_noop },
	{ 0 }
};

/* A plausible mistake: the right descriptor behind the wrong name. */
SUP_EXPORT const struct sup_plugin *sup_plugin_init(void)
{
	static const struct sup_plugin me = {
		SUP_PLUGIN_HEADER,
		.name = "noentry",
		.version = "1.0.0",
		.actions = noentry_actions,
	};

	return &me;
}
