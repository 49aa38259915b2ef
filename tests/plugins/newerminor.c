/* SPDX-License-Identifier: MIT */
/*
 * newerminor.c - a plugin built against a newer minor ABI than the host
 * speaks (it might use host services the host does not have). The host
 * must refuse it. Hand-written descriptor: it differs on purpose.
 */
#include <sup/plugin.h>

static int newerminor_noop(const struct sup_host_api *host,
			   struct sup_action_ctx *ctx)
{
	(void)host;
	(void)ctx;
	return SUP_OK;
}

static const struct sup_action_ops newerminor_actions[] = {
	{ .type = "newerminor.noop", .execute = newerminor_noop },
	{ 0 }
};

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin me = {
		.abi_major = SUP_ABI_MAJOR,
		.abi_minor = SUP_ABI_MINOR + 1,
		.size = sizeof(struct sup_plugin),
		.build_signature = SUP_BUILD_SIGNATURE,
		.ops_size = sizeof(struct sup_action_ops),
		.name = "newerminor",
		.version = "1.0.0",
		.actions = newerminor_actions,
	};

	return &me;
}
