/* SPDX-License-Identifier: MIT */
/*
 * unresolved.c - a plugin that calls a function no library provides,
 * built the way a careless vendor might: without -z defs and with lazy
 * binding (tests/plugins/CMakeLists.txt). Opened lazily it loads, lists
 * its type and passes check; the first call of the missing function kills
 * the call's process (exit 127) at execute. The host must refuse it at
 * load, naming the symbol.
 */
#include <sup/plugin.h>

/* Defined nowhere. */
extern int supkit_fixture_no_such_function(void);

static int unresolved_call(const struct sup_host_api *host,
			   struct sup_action_ctx *ctx)
{
	(void)host;
	(void)ctx;
	return supkit_fixture_no_such_function() == 0 ? SUP_OK : SUP_ERR;
}

static const struct sup_action_ops unresolved_actions[] = {
	{ .type = "unresolved.call", .execute = unresolved_call },
	{ 0 }
};

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin me = {
		SUP_PLUGIN_HEADER,
		.name = "unresolved",
		.version = "1.0.0",
		.actions = unresolved_actions,
	};

	return &me;
}
