/* SPDX-License-Identifier: MIT */
/*
 * temps.h - the journal of the temporaries plugins make next to their
 * targets (".<base>.sup-XXXXXX": a file being written, a tree being
 * extracted), STATE_DIR/temps.jsonl, so that what a failed, timed out,
 * crashed or abandoned action left behind is removed by the installer,
 * not only by the next run of the same action.
 *
 * A plugin notes a temporary (host->temp_note(), ABI 1.1) right after it
 * made it; the host appends {"dir": GATEWAY_DIR, "name": NAME} and syncs
 * before returning. When an action succeeded, its entries are forgotten
 * (the temporaries were renamed into place or removed by the plugin);
 * otherwise, and whenever an installer takes the lock, every entry left
 * is removed: the directory walked again from the root by the rules of
 * rootfd.h, the name removed if it is still there and has the shape of a
 * temporary. Only names of that shape are ever removed.
 */
#ifndef SK_TEMPS_H
#define SK_TEMPS_H

#include <stdbool.h>

#define SK_TEMPS_NAME "temps.jsonl"

/* True if name (one component) has the shape ".<base>.sup-XXXXXX". */
bool sk_temps_name_valid(const char *name);

/* Append an entry to the journal at path (created 0600) and sync it.
 * 0 or -errno. */
int sk_temps_note(const char *path, const char *dir_gw, const char *name);

/*
 * Process the journal at path: with remove, remove every temporary it
 * lists under the root rootfd (failures are warnings on stderr); then
 * delete the journal, durably. A missing journal is nothing to do.
 * 0 or -errno (the journal could not be read or deleted).
 */
int sk_temps_settle(int rootfd, const char *path, bool remove);

#endif
