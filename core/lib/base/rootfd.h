/* SPDX-License-Identifier: MIT */
/*
 * rootfd.h - gateway paths opened one component at a time from a
 * descriptor of the root, so that what a root process then writes is the
 * directory it checked, whatever happens to the path string afterwards.
 *
 * The walk opens each component with O_NOFOLLOW relative to the
 * directory before it (openat2() with RESOLVE_BENEATH and
 * RESOLVE_NO_MAGICLINKS when the kernel has it, Linux >= 5.6) and:
 *  - resolves a symbolic link itself, inside the root: an absolute target
 *    restarts at the root, ".." never climbs above it, 40 links at most;
 *  - refuses to follow a symbolic link owned by a user other than root
 *    and the user running sup, or one that sits in a directory of such a
 *    user (whoever owns the link);
 *  - refuses an unsafe path transition: from a directory owned by another
 *    user (not root, not us) into a directory or link owned by anyone
 *    else. A service user who owns /var/lib/app cannot plant
 *    cache -> /etc and make a package that manages /var/lib/app/cache
 *    change /etc. (systemd-tmpfiles calls this an unsafe path transition.)
 * A single openat2(RESOLVE_IN_ROOT) would resolve links inside the root
 * too, but cannot check who owns each link and directory on the way.
 */
#ifndef SK_ROOTFD_H
#define SK_ROOTFD_H

#include <stdbool.h>

/* Flags of sk_rootfd_parent() and sk_rootfd_dir(). */
/* Resolve a symbolic link that is the last component (its target's
 * directory and name are returned). */
#define SK_RFD_FOLLOW_LAST 0x1u
/* Create missing directories on the way, mode 0755 (whatever the umask),
 * each new entry synced; never in a directory of another user (-EPERM). */
#define SK_RFD_MKPARENTS 0x2u

/*
 * Open the directory that holds the last component of gw_path (absolute,
 * no ".." component), walked from rootfd (a descriptor of the root
 * directory, O_PATH is enough) by the rules above. On success returns 0,
 * *dirfd a new O_RDONLY | O_DIRECTORY close-on-exec descriptor and *name
 * the last component (malloc'd; never "", "." or ".."). On failure
 * returns -errno (-EINVAL for a bad path or the root itself, -ENOENT,
 * -ENOTDIR, -ELOOP, -EPERM for a refused link or transition, ...) and
 * *why a malloc'd message naming the component and the reason, e.g.
 * "'/var/lib/app/cache' is a symbolic link owned by uid 1000".
 */
int sk_rootfd_parent(int rootfd, const char *gw_path, unsigned int flags,
		     int *dirfd, char **name, char **why);

/* Open gw_path itself as a directory (the root included): 0 and *fd
 * (O_RDONLY | O_DIRECTORY, close-on-exec), or -errno and *why as above. */
int sk_rootfd_dir(int rootfd, const char *gw_path, unsigned int flags,
		  int *fd, char **why);

/* Either of the above (want_dir: sk_rootfd_dir(), name unused), and the
 * gateway path of the directory opened, links resolved, in *dir_gw
 * (malloc'd) unless dir_gw is NULL. */
int sk_rootfd_open(int rootfd, const char *gw_path, unsigned int flags,
		   bool want_dir, int *fd, char **name, char **dir_gw,
		   char **why);

/*
 * Open the directory a --root argument names (relative: to the working
 * directory; NULL or "": "/") once, walked from "/" by the rules above, so
 * that a link or directory another user planted on the way is refused:
 * 0, *fd (O_RDONLY | O_DIRECTORY, close-on-exec) and *canon, its name
 * read back from the descriptor (malloc'd); or -errno and *why (as
 * above; -EINVAL also for a ".." component).
 */
int sk_root_dir_open(const char *root, int *fd, char **canon, char **why);

/*
 * sk_rootfd_dir() of gw_path, and in *host the host path of the directory
 * for messages and records: root (the canonical host path of rootfd, "/"
 * on a gateway), then the gateway path with its links resolved; on
 * failure, gw_path as given. *host is malloc'd, NULL only with -ENOMEM.
 */
int sk_rootfd_dir_host(int rootfd, const char *root, const char *gw_path,
		       unsigned int flags, int *fd, char **host, char **why);

#endif
