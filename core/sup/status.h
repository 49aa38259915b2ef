/* SPDX-License-Identifier: MIT */
/*
 * status.h - what `sup status` reports of a gateway: what is installed
 * (installed.json, else the last record), whether an install is running
 * (an installer holds the lock) or pending (install.json), and the last
 * result (confirmation.json). It only reads: nothing is created, locked
 * or written, so it is safe beside a running installer.
 *
 * The state and logs directories are walked from a descriptor of the
 * root (rootfd.h: links owned by other users are not followed, no unsafe
 * path transition), and their files are read only if the directory is
 * owned by root or the user running sup and writable by its owner only:
 * nobody else can then put a link or another file there. The readers of
 * each file (rollback.h, state.h, confirm.h) are given the directory
 * through its descriptor (/proc/self/fd/N), never by name again.
 */
#ifndef SUP_STATUS_H
#define SUP_STATUS_H

#include "base/problems.h"

struct json_object;

/*
 * The status of the gateway under root (NULL: "/"), whose configuration
 * is config (NULL: the default under root), as the document that `sup
 * status --json` prints (docs/cli.md, "sup status"), into *doc (the
 * caller puts it). What cannot be read is left null in it and is a
 * problem in d: SETUP for a configuration, directory or state file that
 * is missing where needed, damaged or unsafe, SYSTEM for an I/O error.
 * 0, or -1 when out of memory (*doc NULL).
 */
int sk_status_read(const char *root, const char *config,
		   struct json_object **doc, struct sk_problems *d);

#endif
