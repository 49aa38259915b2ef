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

#endif
