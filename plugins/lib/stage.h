/* SPDX-License-Identifier: MIT */
/*
 * stage.h - a payload staged as one file (ABI 1.2, stage then commit):
 * stage() streams it into the private directory the host gives for the
 * target (host->stage_dir()), verified on the way; execute() finds it
 * again (host->staged_dir()) and moves it into place. Used by
 * file.install and by the firmware plugin's flasher method.
 */
#ifndef SPL_STAGE_H
#define SPL_STAGE_H

#include <stddef.h>

#include <sup/plugin.h>

/* The name of the staged file in its directory. */
#define SPL_STAGE_FILE "payload"

/*
 * stage(): stream payload index of the action into SPL_STAGE_FILE in the
 * staging directory for gw_path (flags as for host->stage_dir()). SUP_OK
 * also when the host does not stage for gw_path (nothing was done: the
 * host verifies the payload, execute() streams it); SUP_ERR recorded.
 * The host syncs what was staged once the stage pass is over.
 */
int spl_stage_payload(const struct sup_host_api *host,
		      struct sup_action_ctx *ctx, const char *gw_path,
		      unsigned int flags, size_t index);

/*
 * execute(): the file staged for gw_path: SUP_OK with *dirfd (its
 * directory) and *fd (O_RDWR, a regular file of ours with no other link:
 * what stage() wrote; close both), SUP_ENOENT when nothing was staged
 * (stream the payload instead), SUP_ERR recorded.
 */
int spl_staged_open(const struct sup_host_api *host,
		    struct sup_action_ctx *ctx, const char *gw_path,
		    int *dirfd, int *fd);

#endif
