/* SPDX-License-Identifier: MIT */
/*
 * smallsize.c - a plugin whose descriptor claims to be smaller than the
 * ABI 1.0 struct sup_plugin (as if it had no action table). The host must
 * refuse it instead of reading past what the plugin says it provides.
 * Hand-written descriptor: it differs on purpose.
 */
#include <stddef.h>

#include <sup/plugin.h>

static int smallsize_noop(const struct sup_host_api *host,
			  struct sup_action_ctx *ctx)
{
	(void)host;
	(void)ctx;
	return SUP_OK;
}

static const struct sup_action_ops smallsize_actions[] = {
	{ .type = "smallsize.noop", .execute = smallsize_noop },
	{ 0 }
};

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin me = {
		.abi_major = SUP_ABI_MAJOR,
		.abi_minor = SUP_ABI_MINOR,
		.size = offsetof(struct sup_plugin, actions),
		.build_signature = SUP_BUILD_SIGNATURE,
		.ops_size = sizeof(struct sup_action_ops),
		.name = "smallsize",
		.version = "1.0.0",
		.actions = smallsize_actions,
	};

	return &me;
}
