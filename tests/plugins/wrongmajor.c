/* SPDX-License-Identifier: MIT */
/*
 * wrongmajor.c - a plugin built for ABI major 2. The host must refuse it
 * with "wrong ABI major 2, this host speaks 1". The descriptor is written
 * by hand instead of with SUP_PLUGIN_HEADER because it lies on purpose.
 */
#include <sup/plugin.h>

static int wrongmajor_noop(const struct sup_host_api *host,
			   struct sup_action_ctx *ctx)
{
	(void)host;
	(void)ctx;
	return SUP_OK;
}

static const struct sup_action_ops wrongmajor_actions[] = {
	{ .type = "wrongmajor.noop", .execute = wrongmajor_noop },
	{ 0 }
};

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin me = {
		.abi_major = 2,
		.abi_minor = 0,
		.size = sizeof(struct sup_plugin),
		.build_signature = SUP_BUILD_SIGNATURE,
		.ops_size = sizeof(struct sup_action_ops),
		.name = "wrongmajor",
		.version = "1.0.0",
		.actions = wrongmajor_actions,
	};

	return &me;
}
