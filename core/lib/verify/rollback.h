/* SPDX-License-Identifier: MIT */
/*
 * rollback.h - anti-rollback: the durable record of what is installed,
 * STATE_DIR/installed.json, and the verdict on a package against it.
 *
 *	{"format": 1, "time_floor": 1764201600,
 *	 "packages": {"edge-agent": {"version": "2.4.1",
 *	   "security_version": 3, "installed_at": "2026-12-04T17:00:00Z"}}}
 *
 * Per package name it keeps the version last installed, the highest
 * security_version ever installed and when. A package older than the
 * record is refused unless the operator allows a downgrade; a lower
 * security_version is refused whatever the flags. time_floor (seconds
 * since 1970, UTC; 0 when none) is the newest trusted time seen, the
 * lower bound for the clock when checking certificates on gateways
 * without a real-time clock; it only moves forward.
 *
 * The file must be intact: one that cannot be read or understood is not
 * taken as empty (that would forget anti-rollback); callers refuse to
 * install instead. Every member above is required, with its type;
 * members this version does not know are ignored and kept on rewrite.
 * Limits: 4 MiB, 2048 packages, names and versions of 1-255 printable
 * ASCII bytes, installed_at of 1-64, time_floor at most 253402300799
 * (9999-12-31T23:59:59Z). A security_version above 2^64-1 reads as
 * 2^64-1 (json-c clamps it), which refuses more, never less.
 *
 * The functions below work in the state directory open as state_fd
 * (O_RDONLY | O_DIRECTORY), which the caller found once (walked from the
 * root, base/rootfd.h): the record is never looked up by a path, and is
 * never a symbolic link (the installer writes it by rename; a link there
 * is damage, whoever owns it). It is read, changed and rewritten whole
 * (sk_write_file_atomic_at(): a temporary in that directory, fsync,
 * rename, fsync of the directory; mode 0644): callers hold the installer
 * lock (sk_lock_take) around sk_installed_record() and
 * sk_installed_raise_floor().
 *
 * On failure the functions below that take why set *why to a static
 * string (never freed) naming the problem, e.g. "installed.json: unknown
 * format (this installer reads format 1)". With -EINVAL and -ERANGE it
 * is the whole story; with another -errno it says what was being done,
 * to be followed by strerror(-ret).
 */
#ifndef SK_ROLLBACK_H
#define SK_ROLLBACK_H

#include <stddef.h>

#define SK_INSTALLED_NAME "installed.json"

struct sk_installed_pkg {
	char *name;	    /* owned, 1-255 printable ASCII */
	char *version;	    /* owned, 1-255 printable ASCII */
	char *installed_at; /* owned, RFC 3339 UTC as written */
	unsigned long long security_version; /* 0 when never given */
};

struct sk_installed {
	struct sk_installed_pkg *pkgs; /* owned; in file order */
	size_t n;
	long long time_floor; /* 0 when none */
};

/* Read installed.json of state_fd into s (always initialised; release it
 * even after an error). A missing file is an empty record: 0. Damaged (a
 * symbolic link, not a regular file, too large, not JSON, truncated, a
 * member missing or of the wrong type, format other than 1, values out
 * of range): -EINVAL. Other errors: -errno (-ENOMEM, -EACCES, -EIO...). */
int sk_installed_load(struct sk_installed *s, int state_fd, const char **why);
void sk_installed_release(struct sk_installed *s);
/* The record of package name, or NULL; points into s. */
const struct sk_installed_pkg *sk_installed_find(const struct sk_installed *s,
						 const char *name);

enum sk_rollback {
	SK_RB_NEW,		  /* no record of this name */
	SK_RB_UPGRADE,		  /* newer version */
	SK_RB_SAME,		  /* equal version: a re-install */
	SK_RB_DOWNGRADE,	  /* older version: needs --allow-downgrade */
	SK_RB_SECURITY_DOWNGRADE, /* lower security_version: never */
};

/* A package name/version/sv (its security_version, 0 when absent) against
 * the record. SECURITY_DOWNGRADE wins over every other verdict; otherwise
 * the versions decide (sk_version_cmp). */
enum sk_rollback sk_rollback_check(const struct sk_installed *s,
				   const char *name, const char *version,
				   unsigned long long sv);
/* "new", "upgrade", "same version", "downgrade", "security downgrade". */
const char *sk_rollback_str(enum sk_rollback r);

/* After a successful install: name's record becomes version (even a lower
 * one: an allowed downgrade is what is installed now), security_version
 * max(recorded, sv), installed_at now; other packages are kept. Durable,
 * atomic. 0; -EINVAL (record damaged, name or version not 1-255 printable
 * ASCII, or the record full); or -errno. */
int sk_installed_record(int state_fd, const char *name, const char *version,
			unsigned long long sv, const char **why);
/* Raise time_floor to t if t is newer; never lowers it, and writes only
 * when it changes. 0; -EINVAL (record damaged); -ERANGE (t beyond the
 * limit above); or -errno. */
int sk_installed_raise_floor(int state_fd, long long t, const char **why);

#endif
