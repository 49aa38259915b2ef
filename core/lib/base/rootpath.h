/* SPDX-License-Identifier: MIT */
/*
 * rootpath.h - map absolute gateway paths to host paths under --root.
 *
 * Symbolic links met on the way are resolved as if the root were "/": an
 * absolute link target restarts at the root, and ".." never climbs above
 * it. The result names no symbolic link in any existing component but
 * (with SK_ROOT_NOFOLLOW_LAST) possibly the last one, so a plugin that
 * opens it cannot be led outside the root by a link that existed when it
 * resolved the path.
 */
#ifndef SK_ROOTPATH_H
#define SK_ROOTPATH_H

#define SK_ROOT_NOFOLLOW_LAST 1u
/* Longest gateway path accepted, and longest link chain followed. */
#define SK_ROOT_PATH_MAX 4096
#define SK_ROOT_MAX_LINKS 40

/*
 * root: an absolute, canonical host directory ("/" on a real gateway).
 * gw_path: absolute, without ".." components.
 * On success returns 0 and sets *out (malloc'd). On failure returns
 * -EINVAL (bad path), -ELOOP (link chain too long), -ENAMETOOLONG, -ENOMEM
 * or another -errno from lstat/readlink, and sets *why to a static
 * description ("not an absolute path", ...).
 */
int sk_root_resolve(const char *root, const char *gw_path, unsigned int flags,
		    char **out, const char **why);

/* Check a gateway path lexically (absolute, no ".." component, length).
 * 0, or -EINVAL with *why set. */
int sk_root_check_path(const char *gw_path, const char **why);

#endif
