/* SPDX-License-Identifier: MIT */
/*
 * state.h - the durable install state under the state directory, and the
 * installer lock.
 *
 * While an install runs, STATE_DIR/install.json says which package (and
 * with which options) is being installed; confirmation.json says how far
 * it got. After a crash, a power loss or a reboot, `sup install --resume`
 * reads both and continues. The first record is written before
 * install.json and install.json removed after the final one, so a
 * pending install always has its own record (runner.c, start_install).
 * STATE_DIR/lock is held (flock) by the one installer that may run; it
 * names that installer for whoever is refused.
 */
#ifndef SK_STATE_H
#define SK_STATE_H

#include <stdbool.h>
#include <stddef.h>

#define SK_STATE_NAME "install.json"
#define SK_LOCK_NAME "lock"
/* A hard link to the package being installed, when the state directory
 * is on the same file system as the package: it survives /tmp cleanups. */
#define SK_STATE_SUP_NAME "package.sup"

struct sk_install_state {
	char *sup;	    /* package path to resume from */
	char *sup_sha256;   /* its hash at preflight */
	/* SHA-256 of the manifest the signature was checked over (NULL in a
	 * state written before supkit recorded it). */
	char *manifest_sha256;
	char *config;	    /* --config, or NULL */
	char *product;	    /* --product, or NULL */
	char **plugin_dirs; /* --plugin-dir */
	size_t n_plugin_dirs;
	char *job_id; /* --job-id, or NULL */
};

void sk_install_state_release(struct sk_install_state *s);

/* Write STATE_DIR/install.json durably. 0 or -errno. */
int sk_state_save(const char *state_dir, const struct sk_install_state *s);
/* Read it: 0, -ENOENT when there is none, -EINVAL (with *why) when it is
 * unreadable. */
int sk_state_load(const char *state_dir, struct sk_install_state *s,
		  const char **why);
/* Remove install.json and the package link; 0 or -errno. */
int sk_state_clear(const char *state_dir);

/* The temporaries of install.json and installed.json in state_dir (see
 * sk_atomic_sweep). */
int sk_state_sweep(const char *state_dir);

/*
 * Take the installer lock without waiting. On success returns the lock's
 * descriptor (keep it open while installing; it is close-on-exec and
 * shared with a forked child) and writes who holds it. -EBUSY when another
 * installer holds it (*holder then describes it: malloc'd, may be NULL),
 * or another -errno.
 */
int sk_lock_take(const char *state_dir, const char *what, char **holder);
/* Who holds the lock open as fd, as its holder wrote it (the first line:
 * sk_lock_describe), malloc'd; NULL when it says nothing or out of
 * memory. */
char *sk_lock_holder(int fd);
/* Rewrite who holds the lock (after a fork: the new pid). */
void sk_lock_describe(int fd, const char *what);

/*
 * Whether an installer holds the lock of the state directory open as
 * dirfd, asked without taking it and without writing anything (the lock
 * file is opened read-only, not followed if a link, never created). 1:
 * held, *holder then says by whom as its holder wrote it (malloc'd, may
 * be NULL) and *pid its process (0 when unknown); 0: not held, or no
 * lock file; -EINVAL when the lock is not a regular file, another -errno.
 */
int sk_lock_probe(int dirfd, long *pid, char **holder);

#endif
