/* SPDX-License-Identifier: MIT */
/*
 * othername.c - built as othername.so, but its descriptor says its name
 * is "different". The host must refuse it: the file name is how a
 * product profile enables a plugin, so the two must agree.
 */
#include <sup/plugin.h>

static int othername_noop(const struct sup_host_api *host,
			  struct sup_action_ctx *ctx)
{
	(void)host;
	(void)ctx;
	return SUP_OK;
}

static const struct sup_action_ops othername_actions[] = {
	{ .type = "different.noop", .execute = othername_noop },
	{ 0 }
};

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin me = {
		SUP_PLUGIN_HEADER,
		.name = "different",
		.version = "1.0.0",
		.actions = othername_actions,
	};

	return &me;
}
