/* SPDX-License-Identifier: MIT */
/*
 * firmware.c - the firmware plugin: the firmware.update ops table, dispatch to
 * the method, and the runtime start both methods end with (see
 * firmware.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <sup/plugin.h>

#include "cmd.h"
#include "extract.h"
#include "rtctl.h"
#include "say.h"

#include "firmware.h"

int fw_runtime_start(struct fw *fw, const char *lead,
		     const char *subject)
{
	struct spl_rt_start st;
	char desc[SPL_CMD_DESC_LEN], secs[32];
	int rc = SUP_ERR;

	if (spl_rt_start_seen(&fw->rt, fw->health_timeout_ms, &st) ==
	    SUP_OK) {
		spl_cmd_secs(st.elapsed_ms, secs, sizeof(secs));
		if (st.pid > 0)
			spl_say(fw->host, fw->ctx,
				"runtime healthy (pid %ld) in %s", st.pid, secs);
		else
			spl_say(fw->host, fw->ctx, "runtime healthy in %s",
				secs);
		rc = SUP_OK;
	} else if (!st.started) {
		fw->host->fail(fw->ctx, 0, "%s%s: start command %s", lead,
			       subject,
			       spl_cmd_describe(&st.cmd, desc, sizeof(desc)));
	} else {
		fw->host->fail(fw->ctx, 0,
			       "%s%s did not become healthy within %s%s: %s",
			       lead, subject,
			       spl_cmd_secs(st.budget_ms, secs, sizeof(secs)),
			       st.capped ? " (the action's time limit)" : "",
			       st.seen ? st.seen : "not healthy");
	}
	spl_rt_start_release(&st);
	return rc;
}

/* ---- the action ---------------------------------------------------- */

static int fw_check(const struct sup_host_api *host,
		    struct sup_action_ctx *ctx)
{
	struct fw fw;
	int rc;

	rc = fw_load(&fw, host, ctx);
	if (rc == SUP_OK && fw.method == FW_METHOD_RELEASE)
		rc = fw_open(&fw, false) == SUP_OK ? fw_check_release(&fw) :
						     SUP_ERR;
	fw_release(&fw);
	return rc;
}

/* The release method unpacks its release into the host's staging before
 * any action runs (ABI 1.2); execute() commits it. The flasher method
 * streams its image when it runs. */
static int fw_stage(const struct sup_host_api *host,
		    struct sup_action_ctx *ctx)
{
	struct fw fw;
	int rc;

	rc = fw_load(&fw, host, ctx);
	if (rc == SUP_OK && fw.method == FW_METHOD_RELEASE)
		rc = spl_extract_stage(host, ctx, fw.release_gw, 0);
	fw_release(&fw);
	return rc;
}

static int fw_execute(const struct sup_host_api *host,
		      struct sup_action_ctx *ctx)
{
	struct fw fw;
	int rc;

	rc = fw_load(&fw, host, ctx);
	if (rc == SUP_OK && !host->staging_dir(ctx))
		rc = host->fail(ctx, 0, "no staging directory for firmware %s",
				fw.version);
	if (rc == SUP_OK)
		rc = fw.method == FW_METHOD_RELEASE ? fw_execute_release(&fw) :
						      fw_execute_flasher(&fw);
	fw_release(&fw);
	return rc;
}

static int fw_rollback(const struct sup_host_api *host,
		       struct sup_action_ctx *ctx)
{
	struct fw fw;
	int rc;

	rc = fw_load(&fw, host, ctx);
	if (rc == SUP_OK && !host->staging_dir(ctx))
		rc = host->fail(ctx, 0, "no staging directory for firmware %s",
				fw.version);
	if (rc == SUP_OK)
		rc = fw.method == FW_METHOD_RELEASE ?
			     fw_rollback_release(&fw) :
			     fw_rollback_flasher(&fw);
	fw_release(&fw);
	return rc;
}

static const char *const fw_params[] = { "version", "method", NULL };

static const struct sup_action_ops fw_actions[] = {
	{
		/*
		 * Idempotent: a re-run after an interruption at any point
		 * ends as one run would. Before the link switch nothing the
		 * runtime uses has changed (a release directory replaced
		 * while not current is unpacked again); after it, the
		 * pending record in releases_dir still names the previous
		 * release for rollback(). The flasher command must itself
		 * be safe to run again with the same image.
		 */
		.type = "firmware.update",
		.check = fw_check,
		.execute = fw_execute,
		.rollback = fw_rollback,
		.flags = SUP_ACTION_AFFECTS_RUNTIME | SUP_ACTION_IDEMPOTENT,
		.params = fw_params,
		.min_payloads = 1,
		.max_payloads = 1,
		.stage = fw_stage,
	},
	{ .type = NULL },
};

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin me = {
		SUP_PLUGIN_HEADER,
		.name = "firmware",
		.version = "1.0.0",
		.description = "update the product firmware: a release directory and a link, or a flasher",
		.actions = fw_actions,
	};

	return &me;
}
