/* SPDX-License-Identifier: MIT */
/*
 * ctorcrash.c - a plugin whose constructor crashes the process that loads
 * it. Its descriptor is sound: only the trial load keeps it out of the
 * installer.
 */
/* Plugins build on the SDK alone; segfault.h needs MAP_ANONYMOUS. */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L

#include <sup/plugin.h>

#include "segfault.h"

__attribute__((constructor)) static void ctorcrash_start(void)
{
	test_segfault();
}

static int ctorcrash_run(const struct sup_host_api *host,
			 struct sup_action_ctx *ctx)
{
	(void)host;
	(void)ctx;
	return SUP_OK;
}

static const struct sup_action_ops ctorcrash_actions[] = {
	{.type = "ctorcrash.run", .execute = ctorcrash_run}, {0}};

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin me = {
		SUP_PLUGIN_HEADER,
		.name = "ctorcrash",
		.version = "1.0.0",
		.actions = ctorcrash_actions,
	};

	return &me;
}
