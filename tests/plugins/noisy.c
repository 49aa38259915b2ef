/* SPDX-License-Identifier: MIT */
/*
 * noisy.c - the plugin "noisy" repeats text from the package: in log
 * lines, in failure messages and in its captured output. The tests give
 * it parameter values with terminal escape sequences and invalid UTF-8,
 * and check that nothing of them reaches the terminal raw while
 * confirmation.json keeps the original text.
 *
 *   noisy.log    logs "said: TEXT" (info and warning) and outputs TEXT.
 *   noisy.fails  records two failures, "first: A" and "second: B", in
 *                check and in execute; a parameter of the wrong type is
 *                recorded by the host instead. With "n", n failures
 *                "problem I" instead.
 *   noisy.execfails  the same in execute only (no check).
 */
#include <stdint.h>
#include <string.h>

#include <sup/plugin.h>

static int noisy_log_execute(const struct sup_host_api *host,
			     struct sup_action_ctx *ctx)
{
	const char *text;

	if (host->param_string(ctx, "text", SUP_PARAM_REQUIRED, &text) !=
	    SUP_OK)
		return SUP_ERR;
	host->log(ctx, SUP_LOG_INFO, "said: %s", text);
	host->log(ctx, SUP_LOG_WARNING, "said: %s", text);
	host->output(ctx, text, strlen(text));
	return SUP_OK;
}

/* Look at both parameters, as a check should: all problems at once. */
static int noisy_fails(const struct sup_host_api *host,
		       struct sup_action_ctx *ctx)
{
	const char *a, *b;
	int64_t n;

	if (host->param_int(ctx, "n", SUP_PARAM_OPTIONAL, &n) == SUP_OK) {
		for (int64_t i = 1; i <= n && i <= 1000; i++)
			host->fail(ctx, 0, "problem %d", (int)i);
		return SUP_ERR;
	}
	if (host->param_string(ctx, "a", SUP_PARAM_REQUIRED, &a) == SUP_OK)
		host->fail(ctx, 0, "first: %s", a);
	if (host->param_string(ctx, "b", SUP_PARAM_REQUIRED, &b) == SUP_OK)
		host->fail(ctx, 0, "second: %s", b);
	return SUP_ERR;
}

static const char *const noisy_log_params[] = { "text", NULL };
static const char *const noisy_fails_params[] = { "a", "b", "n", NULL };

static const struct sup_action_ops noisy_actions[] = {
	{
		.type = "noisy.log",
		.execute = noisy_log_execute,
		.params = noisy_log_params,
	},
	{
		.type = "noisy.fails",
		.check = noisy_fails,
		.execute = noisy_fails,
		.params = noisy_fails_params,
	},
	{
		.type = "noisy.execfails",
		.execute = noisy_fails,
		.params = noisy_fails_params,
	},
	{ 0 }
};

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin me = {
		SUP_PLUGIN_HEADER,
		.name = "noisy",
		.version = "1.0.0",
		.actions = noisy_actions,
	};

	return &me;
}
