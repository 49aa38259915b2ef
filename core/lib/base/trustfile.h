/* SPDX-License-Identifier: MIT */
/*
 * trustfile.h - opening a file whose content decides what runs as root
 * (sup.conf, product profiles, supd.conf, the keyring, the CRL file): a
 * file that another user can change, or swap, decides nothing.
 */
#ifndef SK_TRUSTFILE_H
#define SK_TRUSTFILE_H

#include "base/problems.h"

/*
 * Open path once (read-only, the last component never through a
 * symbolic link) and check what was opened: a regular file of at most
 * max bytes, owned by root or by the user running sup, writable by its
 * owner only, in a directory that is owned likewise and not writable by
 * group or others unless it is sticky. what names the file in messages
 * ("keyring"; "configuration" words a file that cannot be opened as
 * "cannot read 'PATH': WHY"). Returns the descriptor (close-on-exec)
 * or -1 with the problem in d (class SETUP).
 */
int sk_trusted_open(const char *what, const char *path, long long max,
		    struct sk_problems *d);

/* Flags of sk_trusted_open_under(). */
/* A symbolic link that is the file itself is followed, by the rules of
 * rootfd.h (without: refused, "is a symbolic link"). */
#define SK_TRUSTED_FOLLOW_LAST 0x1u
/* A file that does not exist (nor a directory on the way) is -ENOENT
 * with nothing added to d. */
#define SK_TRUSTED_MISSING_OK 0x2u

/*
 * The same for the gateway path gw_path under the root open as rootfd
 * (O_PATH is enough), root its canonical host path ("/" on a gateway),
 * named in messages: the directory holding the file is walked from rootfd
 * once (base/rootfd.h: links resolved inside the root, links and
 * directories another user could have planted refused), then checked and
 * the file opened in it as above, never by a path name again (messages
 * name the file by *display, its directory by the part before its last
 * '/'). *display
 * gets the file's host path (root, then the gateway path with its links
 * resolved as far as the walk got; malloc'd, NULL only when out of
 * memory), for messages and records. Returns the descriptor, or -errno
 * with the problem in d, but for -ENOENT under SK_TRUSTED_MISSING_OK.
 */
int sk_trusted_open_under(const char *what, int rootfd, const char *root,
			  const char *gw_path, unsigned int flags,
			  long long max, char **display, struct sk_problems *d);

#endif
