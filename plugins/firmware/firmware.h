/* SPDX-License-Identifier: MIT */
/*
 * firmware.h - what the files of the firmware plugin share (private to
 * it). The plugin updates the product's firmware: firmware.update, one payload,
 * params "version" and "method".
 *
 * Settings come from the [firmware] and [runtime] sections of the product
 * profile (docs/config.md); the runtime is stopped, started and watched by
 * rtctl (plugins/lib).
 *
 * method = release: the payload is an archive, unpacked with every entry
 * validated (plugins/lib/extract.c) into releases_dir/<version>; the symbolic
 * link current_link is switched to it atomically while the runtime is
 * stopped, and the runtime must then become healthy. If it does not, the
 * host calls rollback(), which switches the link back to the release
 * recorded in <staging>/previous and restarts the runtime. After a
 * success, releases beyond keep_releases are removed (never the current
 * or the previous one).
 *
 * method = flasher: the payload is an image, streamed to <staging>/image
 * and handed to flasher_command while the runtime is stopped. The flasher
 * owns its A/B scheme; rollback() only restarts the runtime.
 *
 * A re-run after an interruption is safe (the action is idempotent): see
 * the pending record (fw_pending_*, pending.c) for how a run that stopped after
 * the link switch finds the previous release again.
 *
 * Gateway paths are walked, not trusted (ABI 1.1): execute() and
 * rollback() open releases_dir, the directory of current_link and the
 * directory of the release by descriptor from the root
 * (host->path_dir(), path_parent(): links of other users and unsafe path
 * transitions refused) and work relative to them with *at() calls, so a
 * component swapped for a link afterwards leads nothing elsewhere.
 * check() writes nothing and walks only what already exists.
 *
 * The files: firmware.c (the ops table, dispatch to the method, the
 * runtime start), settings.c (parameters and [firmware] settings),
 * link.c (releases_dir and current_link by descriptor), pending.c (the
 * durable records in the staging directory and releases_dir), space.c
 * (free space), release.c (method = release), flasher.c (method =
 * flasher).
 */
#ifndef FW_FIRMWARE_H
#define FW_FIRMWARE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sup/plugin.h>

#include "rtctl.h"

#define FW_SECTION "firmware"
#define FW_VERSION_MAX 128
#define FW_KEEP_DEFAULT 2
#define FW_KEEP_MAX 1000
#define FW_MIN_FREE_MB_DEFAULT 16
#define FW_MIN_FREE_MB_MAX (1024 * 1024)
#define FW_MIB (1024 * 1024)
/* Files in the staging directory, shared by execute() and rollback(). */
#define FW_PREVIOUS "previous"
#define FW_REPLACED "replaced"
#define FW_STOPPING "stopping"
#define FW_IMAGE "image"
/* In releases_dir, for a re-run after an interruption. */
#define FW_PENDING ".sup-firmware-pending"
/* Largest record read back: a version, a link target and the keys. */
#define FW_RECORD_MAX (PATH_MAX + FW_VERSION_MAX + 32)

enum fw_method {
	FW_METHOD_RELEASE,
	FW_METHOD_FLASHER,
};

/* One action's settings, read and checked by fw_load(). */
struct fw {
	const struct sup_host_api *host;
	struct sup_action_ctx *ctx;
	const char *version;
	enum fw_method method;
	const char *pname;
	uint64_t psize;
	struct spl_rt rt;
	int64_t health_timeout_ms;
	uint64_t min_free_mb;
	int64_t keep_releases;
	const char *flasher_command;
	/* method = release */
	char *releases_gw;    /* releases_dir, normalised (free) */
	char *current_gw;     /* current_link, normalised (free) */
	char *current_dir_gw; /* its directory, for messages (free) */
	char *release_gw;     /* releases_gw/version (free) */
	char *target;	      /* link text for the new release (free) */
	/*
	 * Descriptors from the root (fw_open()), -1 when not open or, in
	 * check(), not there yet. The release's directory is the one
	 * extract.c unpacks into: releases_dir, unless releases_gw/version
	 * is a link.
	 */
	int releases_fd;    /* releases_dir */
	int link_dfd;	    /* the directory of current_link */
	char *link_name;    /* current_link in it (free) */
	int release_dfd;    /* the directory of the release */
	char *release_name; /* the release in it (free) */
	int stage_fd;	    /* the staging directory */
	/* check() only: releases_dir under the root, for the free space
	 * before it exists (host->free) */
	char *releases_host;
};

/* The link current_link, as found. */
struct fw_link {
	bool exists;
	char *target; /* its text (free), NULL if absent */
};

/* ---- settings.c: parameters, [firmware] settings, names ------------ */

/* A formatted, allocated string; NULL on ENOMEM. */
char *fw_strf(const char *fmt, ...) SUP_PRINTF(1, 2);

/* The last component of a link target or path ("releases/2.0.0/" ->
 * "2.0.0"): the release name, for messages and for pruning. Allocated;
 * NULL on ENOMEM. */
char *fw_last_name(const char *p);

/* p with single slashes, without "." components or a trailing slash; a
 * leading slash is kept. ".." is left as it is. NULL on ENOMEM. */
char *fw_normalize(const char *p);

/* 1 to FW_VERSION_MAX characters of [A-Za-z0-9._+-], no leading '.': a
 * release directory name that is never hidden, ".", ".." or a temporary
 * name of ours. */
bool fw_is_version(const char *v);

/*
 * Read and check the parameters, the payload and the [runtime] and
 * [firmware] settings; every problem is recorded. No side effects.
 * fw_release() is due either way.
 */
int fw_load(struct fw *fw, const struct sup_host_api *host,
	    struct sup_action_ctx *ctx);

/* Free what fw_load() took; fw is zeroed, its descriptors -1. */
void fw_release(struct fw *fw);

/* ---- link.c: the directories by descriptor, current_link ----------- */

/*
 * Open releases_dir and the directory of current_link from the root.
 * create (execute, rollback): missing directories are made, 0755. Else
 * (check, which writes nothing) one that is not there yet stays -1.
 */
int fw_open(struct fw *fw, bool create);

/* The directory that holds the release and its name there, as extract.c
 * finds them (a link releases_dir/version is followed). */
int fw_open_release(struct fw *fw, unsigned int flags);

/* The staging directory: the installer's own, private (0700). */
int fw_open_stage(struct fw *fw, const char *staging);

/* Free l->target and zero l. */
void fw_link_release(struct fw_link *l);

/* Read current_link: absent, or a symbolic link and its text. */
int fw_link_read(struct fw *fw, struct fw_link *l);

/*
 * Does the link lead to the release being installed (*is_new)? By its
 * text, or else by the directory it leads to, compared by device and
 * inode with the release: the link is resolved by the walk's rules
 * (inside the root, links of other users refused), and only when the
 * release exists at all. SUP_ERR only when that walk fails (recorded).
 */
int fw_link_is_new(struct fw *fw, const struct fw_link *l, bool *is_new);

/*
 * Point current_link at target atomically: a new link at a temporary name
 * next to it, renamed over it. Already pointing there: nothing to do.
 */
int fw_link_switch(struct fw *fw, const char *target);

/* Remove current_link (rollback of a first install). */
int fw_link_remove(struct fw *fw);

/* ---- pending.c: small durable records, the pending update ---------- */

/* Write name in dirfd durably: temporary file, fsync, rename, fsync of
 * the directory. where (the directory) and what are for the message. */
int fw_record_write(struct fw *fw, int dirfd, const char *where,
		    const char *name, const char *data, size_t len,
		    const char *what);

/* Read name in dirfd (-1: a directory not there, ENOENT), a regular file
 * of at most FW_RECORD_MAX bytes, NUL-terminated into *out (free). 0,
 * ENOENT, EFBIG, EINVAL (not a regular file) or another errno value. */
int fw_record_read(int dirfd, const char *name, char **out, size_t *len);

/* Remove name in dirfd and sync dirfd; a failure is a warning (SUP_ERR). */
int fw_record_remove(struct fw *fw, int dirfd, const char *where,
		     const char *name);

/*
 * The pending record, releases_dir/.sup-firmware-pending:
 *
 *	version=2.1.0\nprevious=releases/2.0.0
 *
 * (previous: the exact text of the link before the update, to the end of
 * the file; empty when there was no link). Written before the runtime is
 * stopped, removed after the update succeeded or was rolled back. The
 * host empties the staging directory before it runs an action again, so
 * this is what lets a re-run that finds current_link already switched to
 * its version know the release to roll back to.
 */
int fw_pending_write(struct fw *fw, const struct fw_link *prev);

/* The previous link of a pending update to our version, if there is one
 * (anything unreadable is ignored: it only helps a re-run). */
bool fw_pending_read(struct fw *fw, struct fw_link *prev);

/* ---- space.c -------------------------------------------------------- */

/*
 * Enough room for the payload plus min_free_mb on the file system of the
 * directory fd, or (fd -1: check() before it exists) of host path dir or
 * its nearest existing ancestor? where names it in the message.
 */
int fw_check_space(struct fw *fw, int fd, const char *dir, const char *where);

/* ---- firmware.c ----------------------------------------------------- */

/*
 * Start the runtime and wait until it is healthy, health_timeout_s at most
 * (less if the action's time runs out first). On failure: "<lead><subject>
 * did not become healthy within 30 s: <what was seen>".
 *
 * spl_rt_start() would record its own "runtime did not become healthy"
 * as the action's error; the firmware's message names the firmware, so
 * rtctl only says what it saw.
 */
int fw_runtime_start(struct fw *fw, const char *lead, const char *subject);

/* ---- release.c: method = release ------------------------------------ */

/* After fw_open(): what is there, and room for the release. */
int fw_check_release(struct fw *fw);

/* execute() and rollback() of method = release; every failure recorded. */
int fw_execute_release(struct fw *fw);

int fw_rollback_release(struct fw *fw);

/* ---- flasher.c: method = flasher ------------------------------------ */

/* execute() of method = flasher: stream the image, stop, flash, start. */
int fw_execute_flasher(struct fw *fw);

/* The flasher owns its A/B switch: only bring the runtime back. */
int fw_rollback_flasher(struct fw *fw);

#endif
