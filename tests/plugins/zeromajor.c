/* SPDX-License-Identifier: MIT */
/*
 * zeromajor.c - a plugin built for ABI major 0, older than the host's 1.
 * The host must refuse it with "wrong ABI major 0, this host speaks 1":
 * only an equal major is accepted, an older one as much as a newer one
 * (wrongmajor.c, major 2). Hand-written descriptor: it lies on purpose.
 */
#include <sup/plugin.h>

static int zeromajor_noop(const struct sup_host_api *host,
			  struct sup_action_ctx *ctx)
{
	(void)host;
	(void)ctx;
	return SUP_OK;
}

static const struct sup_action_ops zeromajor_actions[] = {
	{ .type = "zeromajor.noop", .execute = zeromajor_noop },
	{ 0 }
};

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin me = {
		.abi_major = 0,
		.abi_minor = 0,
		.size = sizeof(struct sup_plugin),
		.build_signature = SUP_BUILD_SIGNATURE,
		.ops_size = sizeof(struct sup_action_ops),
		.name = "zeromajor",
		.version = "1.0.0",
		.actions = zeromajor_actions,
	};

	return &me;
}
