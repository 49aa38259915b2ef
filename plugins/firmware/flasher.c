/* SPDX-License-Identifier: MIT */
/*
 * flasher.c - method = flasher: stream the image to the staging directory and
 * hand it to flasher_command while the runtime is stopped.
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
#include "fs.h"
#include "rtctl.h"
#include "say.h"
#include "util.h"

#include "firmware.h"

/* Stream the payload to path; complete only once payload_read returned 0
 * (size and SHA-256 verified by the host). */
static int fw_stream_image(struct fw *fw, const char *path)
{
	const struct sup_host_api *host = fw->host;
	struct sup_action_ctx *ctx = fw->ctx;
	struct spl_progress prog = { .total = fw->psize };
	struct sup_payload *pl = NULL;
	unsigned char *buf = NULL;
	int fd = -1, err, rc = SUP_ERR;

	buf = malloc(SPL_BUF_SIZE);
	if (!buf) {
		host->fail(ctx, ENOMEM, "cannot write the image '%s'", path);
		goto out;
	}
	if (host->payload_open(ctx, 0, &pl) != SUP_OK) {
		pl = NULL;
		host->fail(ctx, 0, "cannot open payload '%s'", fw->pname);
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		host->fail(ctx, errno, "cannot create the image '%s'", path);
		goto out;
	}
	if (spl_payload_copy(host, ctx, pl, fw->pname, fd, buf, &prog,
			     &err)) {
		if (err)
			host->fail(ctx, err, "cannot write the image '%s'",
				   path);
		goto out;
	}
	if (fsync(fd) != 0) {
		host->fail(ctx, errno, "cannot sync the image '%s'", path);
		goto out;
	}
	err = close(fd) == 0 ? 0 : errno;
	fd = -1;
	if (err) {
		host->fail(ctx, err, "cannot write the image '%s'", path);
		goto out;
	}
	rc = SUP_OK;
out:
	if (fd >= 0)
		close(fd);
	if (pl)
		host->payload_close(pl);
	free(buf);
	return rc;
}

/* /bin/sh -c flasher_command sh IMAGE, with SUP_FIRMWARE_IMAGE and
 * SUP_FIRMWARE_VERSION in its environment. */
static int fw_run_flasher(struct fw *fw, const char *image,
			  const char *env_image, const char *env_version)
{
	const char *args[] = { "sh", image, NULL };
	const char *env[] = { env_image, env_version, NULL };
	struct spl_cmd cmd = {
		.script = fw->flasher_command,
		.args = args,
		.env = env,
		.timeout_ms = -1, /* the action's timeout applies */
	};
	struct spl_cmd_result res;
	char desc[SPL_CMD_DESC_LEN];

	fw->host->log(fw->ctx, SUP_LOG_INFO, "running the flasher command: %s",
		      fw->flasher_command);
	if (spl_cmd_run(fw->host, fw->ctx, &cmd, &res) != SUP_OK)
		return fw->host->fail(fw->ctx, 0,
				      "flasher command for firmware %s %s",
				      fw->version,
				      spl_cmd_describe(&res, desc,
						       sizeof(desc)));
	spl_say(fw->host, fw->ctx, "flashed firmware %s", fw->version);
	return SUP_OK;
}

int fw_execute_flasher(struct fw *fw)
{
	const struct sup_host_api *host = fw->host;
	struct sup_action_ctx *ctx = fw->ctx;
	const char *staging = host->staging_dir(ctx);
	char *image = NULL, *env_image = NULL, *env_version = NULL;
	char *subject = NULL;
	int rc = SUP_ERR;

	if (fw_open_stage(fw, staging) ||
	    fw_check_space(fw, fw->stage_fd, staging, staging))
		goto out;
	image = spl_fs_join(staging, FW_IMAGE);
	env_image = image ? fw_strf("SUP_FIRMWARE_IMAGE=%s", image) : NULL;
	env_version = fw_strf("SUP_FIRMWARE_VERSION=%s", fw->version);
	subject = fw_strf("firmware %s", fw->version);
	if (!image || !env_image || !env_version || !subject) {
		host->fail(ctx, ENOMEM, "cannot flash firmware %s",
			   fw->version);
		goto out;
	}
	if (fw_stream_image(fw, image))
		goto out;
	spl_say(fw->host, fw->ctx,
		"image of firmware %s ready: %" PRIu64 " bytes", fw->version,
		fw->psize);
	/* <staging>/stopping tells rollback() that the runtime may have
	 * been stopped. */
	if (fw_record_write(fw, fw->stage_fd, staging, FW_STOPPING, "", 0,
			    "the runtime stop") ||
	    spl_rt_stop(&fw->rt) ||
	    fw_run_flasher(fw, image, env_image, env_version) ||
	    fw_runtime_start(fw, "", subject))
		goto out;
	spl_say(fw->host, fw->ctx, "firmware %s is running", fw->version);
	rc = SUP_OK;
out:
	free(subject);
	free(env_version);
	free(env_image);
	free(image);
	return rc;
}

int fw_rollback_flasher(struct fw *fw)
{
	const char *staging = fw->host->staging_dir(fw->ctx);
	char *lead = NULL, *data;
	size_t len;
	int err, rc = SUP_ERR;

	if (fw_open_stage(fw, staging))
		return SUP_ERR;
	err = fw_record_read(fw->stage_fd, FW_STOPPING, &data, &len);
	free(data);
	if (err == ENOENT) {
		spl_say(fw->host, fw->ctx,
			"nothing to roll back: firmware %s failed before the runtime was stopped",
			fw->version);
		return SUP_OK;
	}
	if (spl_rt_stop(&fw->rt))
		return SUP_ERR;
	lead = fw_strf("after the failed flash of firmware %s, ",
		       fw->version);
	if (!lead)
		return fw->host->fail(fw->ctx, ENOMEM,
				      "cannot restart the runtime");
	if (fw_runtime_start(fw, lead, "the runtime"))
		goto out;
	spl_say(fw->host, fw->ctx,
		"runtime restarted after the failed flash of firmware %s, healthy: the flasher decides which image runs",
		fw->version);
	rc = SUP_OK;
out:
	free(lead);
	return rc;
}
