/* SPDX-License-Identifier: MIT */
/*
 * badsig.c - a plugin whose build signature says it was built for a
 * 32-bit data model (4-byte pointers, long and size_t). The host must
 * refuse it and name both signatures. Hand-written descriptor: it differs
 * on purpose.
 */
#include <sup/plugin.h>

/* What SUP_BUILD_SIGNATURE is on an ILP32 target. */
#define BADSIG_ILP32_SIGNATURE                                          \
	((uint32_t)((4u << 24) | (4u << 16) | (4u << 8) | 8u))

static int badsig_noop(const struct sup_host_api *host,
		       struct sup_action_ctx *ctx)
{
	(void)host;
	(void)ctx;
	return SUP_OK;
}

static const struct sup_action_ops badsig_actions[] = {
	{ .type = "badsig.noop", .execute = badsig_noop },
	{ 0 }
};

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin me = {
		.abi_major = SUP_ABI_MAJOR,
		.abi_minor = SUP_ABI_MINOR,
		.size = sizeof(struct sup_plugin),
		.build_signature = BADSIG_ILP32_SIGNATURE,
		.ops_size = sizeof(struct sup_action_ops),
		.name = "badsig",
		.version = "1.0.0",
		.actions = badsig_actions,
	};

	return &me;
}
