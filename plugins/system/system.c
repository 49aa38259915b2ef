/* SPDX-License-Identifier: MIT */
/*
 * system - the built-in supkit plugin for the gateway as a whole:
 * system.reboot.
 *
 * system.reboot asks the installer to make the install state durable and
 * to continue with the next action after boot (host->request_resume()),
 * and only then runs the [system] reboot_command of the product profile
 * (default "systemctl reboot") with /bin/sh -c on the host. The action
 * succeeds when that command accepted the reboot (exit status 0); the
 * installer then stops (exit code 7) and `sup install --resume` goes on
 * after boot. It is not idempotent: repeating it reboots again.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sup/plugin.h>

#include "cmd.h"

#define SYSTEM_REBOOT_DEFAULT "systemctl reboot"

/* The reboot command, or the default (*is_default) when it is not set. */
static int system_reboot_command(const struct sup_host_api *host,
				 struct sup_action_ctx *ctx, const char **out,
				 bool *is_default)
{
	*out = NULL;
	*is_default = false;
	if (!SUP_HOST_HAS(host, request_resume) ||
	    !SUP_HOST_HAS(host, product_get))
		return host->fail(ctx, 0, "this installer cannot continue an install after a reboot (no request_resume in its plugin API)");
	if (host->product_get(ctx, "system", "reboot_command", out) !=
	    SUP_OK) {
		*out = SYSTEM_REBOOT_DEFAULT;
		*is_default = true;
	}
	if (strspn(*out, " \t") == strlen(*out))
		return host->fail(ctx, 0, "[system] reboot_command: empty (leave it out for '%s')", SYSTEM_REBOOT_DEFAULT);
	return SUP_OK;
}

/*
 * The program the command starts must be there: an absolute path to an
 * executable, or a name found in PATH. Nothing is run.
 */
static int system_check_runnable(const struct sup_host_api *host,
				 struct sup_action_ctx *ctx,
				 const char *command, bool is_default)
{
	const char *search = spl_cmd_search_path();
	char *word = NULL, *prog = NULL;
	int err, ret = SUP_ERR;

	err = spl_cmd_first_word(command, &word);
	if (err == ENOMEM) {
		host->fail(ctx, err, "[system] reboot_command: cannot check '%s'", command);
		goto out;
	}
	if (err) {
		host->fail(ctx, 0, "[system] reboot_command: cannot tell which program '%s' runs: start it with an absolute path or a program name", command);
		goto out;
	}
	err = spl_cmd_find_program(word, search, &prog);
	if (err == ENOENT && word[0] != '/' && is_default)
		host->fail(ctx, 0, "[system] reboot_command: not set, and the default '%s' cannot run: '%s' is not found in PATH '%s'", command, word, search);
	else if (err == ENOENT && word[0] != '/')
		host->fail(ctx, 0, "[system] reboot_command: '%s' is not found in PATH '%s'", word, search);
	else if (err)
		host->fail(ctx, err, "[system] reboot_command: cannot run '%s'", word);
	else
		ret = SUP_OK;
out:
	free(prog);
	free(word);
	return ret;
}

static int system_reboot_check(const struct sup_host_api *host,
			       struct sup_action_ctx *ctx)
{
	const char *command;
	bool is_default;

	if (system_reboot_command(host, ctx, &command, &is_default) != SUP_OK)
		return SUP_ERR;
	return system_check_runnable(host, ctx, command, is_default);
}

static int system_reboot_execute(const struct sup_host_api *host,
				 struct sup_action_ctx *ctx)
{
	struct spl_cmd cmd = { .timeout_ms = -1 };
	struct spl_cmd_result res;
	char desc[SPL_CMD_DESC_LEN];
	const char *command;
	bool is_default;
	char *line = NULL;
	int n;

	/* Looked at again: nothing may be promised that cannot be done. */
	if (system_reboot_command(host, ctx, &command, &is_default) !=
		    SUP_OK ||
	    system_check_runnable(host, ctx, command, is_default) != SUP_OK)
		return SUP_ERR;
	if (host->request_resume(ctx, "reboot") != SUP_OK)
		return host->fail(ctx, 0, "not rebooting: the installer could not make its state durable");
	host->log(ctx, SUP_LOG_INFO, "install state saved; running the reboot command: %s", command);
	cmd.script = command;
	if (spl_cmd_run(host, ctx, &cmd, &res) != SUP_OK)
		return host->fail(ctx, 0, "reboot command %s", spl_cmd_describe(&res, desc, sizeof(desc)));
	n = asprintf(&line, "reboot requested with '%s'; the install continues after boot\n", command);
	if (n > 0) {
		host->log(ctx, SUP_LOG_INFO, "%.*s", n - 1, line);
		host->output(ctx, line, (size_t)n);
		free(line);
	}
	return SUP_OK;
}

static const char *const system_reboot_params[] = { NULL };

static const struct sup_action_ops system_actions[] = {
	{
		.type = "system.reboot",
		.check = system_reboot_check,
		.execute = system_reboot_execute,
		.flags = SUP_ACTION_AFFECTS_RUNTIME,
		.params = system_reboot_params,
	},
	{ .type = NULL },
};

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin me = {
		SUP_PLUGIN_HEADER,
		.name = "system",
		.version = "1.0.0",
		.description = "reboot the gateway and continue the install after boot",
		.actions = system_actions,
	};

	return &me;
}
