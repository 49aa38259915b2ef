/* SPDX-License-Identifier: MIT */
/*
 * fs.h - file-system helpers of the plugins: path splitting, directories
 * walked from the root by descriptor, temporary names next to a target,
 * atomic renames, and tree removal that never follows a symbolic link.
 *
 * The core has its own file-system helpers (core util and root walk):
 * plugins are built on the SDK alone and reach the core's walk only
 * through host services (host->path_parent(), path_dir()), so each side
 * keeps its own; see util.h.
 *
 * Functions named for an action return 0 or an errno value unless said
 * otherwise; functions named as a question return bool. Returned strings
 * are malloc'd and freed by the caller with free().
 */
#ifndef SPL_FS_H
#define SPL_FS_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include <sup/plugin.h>

/* Kernel ABI values, for C libraries whose headers lack them. */
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* True if p is an absolute gateway path without a ".." component. */
bool spl_fs_is_gateway_path(const char *p);

/* True if the gateway path names the root: only "/" and "." components. */
bool spl_fs_is_root_path(const char *gw_path);

/* True if both host paths name the same file (symbolic links followed). */
bool spl_fs_same_file(const char *a, const char *b);

/*
 * Split an absolute path into its directory and last component (trailing
 * slashes ignored). Returns 0, ENOMEM, or EINVAL for "/" itself; on
 * failure *dir and *base are NULL.
 */
int spl_fs_split(const char *path, char **dir, char **base);

/* "dir/name" without doubling the slash after "/". NULL on ENOMEM. */
char *spl_fs_join(const char *dir, const char *name);

/* ---- by descriptor: a directory from host->path_parent() ---------- */

/*
 * The directory holding the last component of gw_path and that component
 * (host->path_parent(), ABI 1.1): SUP_OK with *dirfd (close it) and *name
 * (free() it), or SUP_ERR recorded.
 */
int spl_fs_open_parent(const struct sup_host_api *host,
		       struct sup_action_ctx *ctx, const char *gw_path,
		       unsigned int flags, int *dirfd, char **name);

/*
 * gw_path itself as a directory, walked from the root (host->path_dir(),
 * ABI 1.1): SUP_OK with *fd (O_RDONLY | O_DIRECTORY, close it), or SUP_ERR
 * recorded.
 */
int spl_fs_open_dir(const struct sup_host_api *host, struct sup_action_ctx *ctx,
		    const char *gw_path, unsigned int flags, int *fd);

/*
 * A directory stream on a duplicate of the directory fd, rewound (the
 * duplicate shares fd's offset, which may be at its end); fd stays open.
 * 0 and *d (closedir() it), or an errno value.
 */
int spl_fs_opendir_at(int fd, DIR **d);

/* True if a and b are the same file (device and inode). */
bool spl_fs_same_stat(const struct stat *a, const struct stat *b);

/*
 * The host walk's rule for an unsafe path transition, for a directory
 * child opened by name in dir after the walk (whose owner may have
 * swapped the name since): true when dir belongs to root or to the user
 * running the plugin, or child to dir's owner.
 */
bool spl_fs_is_safe_transition(const struct stat *dir,
			       const struct stat *child);

/* True if the directory fd holds nothing but "." and "..". */
bool spl_fs_is_empty_dir(int fd);

/*
 * A fresh temporary ".<base>.sup-XXXXXX" in dirfd (base cut to fit NAME_MAX;
 * XXXXXX random letters and digits):
 * a regular file created 0600 and open for writing (spl_fs_tmp_file_at()), a
 * directory 0700 open as O_RDONLY | O_DIRECTORY (spl_fs_tmp_dir_at()), or a
 * symbolic link to target (spl_fs_tmp_symlink_at()). *name is malloc'd.
 * 0 or an errno value.
 */
int spl_fs_tmp_file_at(int dirfd, const char *base, int *fd, char **name);
int spl_fs_tmp_dir_at(int dirfd, const char *base, int *fd, char **name);
int spl_fs_tmp_symlink_at(const char *target, int dirfd, const char *base,
			  char **name);

/*
 * Tell the host about a temporary just made in dirfd (host->temp_note(),
 * ABI 1.1): it removes it if the action fails, times out, crashes or is
 * abandoned. Does nothing on a host without the service. A failure to
 * note is recorded: SUP_ERR.
 */
int spl_fs_note_temp(const struct sup_host_api *host,
		     struct sup_action_ctx *ctx, int dirfd, const char *name);

/*
 * Remove what an interrupted run (installer killed, power lost) left of
 * earlier temporaries for base in dirfd: entries named exactly as above.
 * Each removal is logged as a warning; failures are only logged. where
 * names the directory in messages.
 */
void spl_fs_sweep_stale_at(const struct sup_host_api *host,
			   struct sup_action_ctx *ctx, int dirfd,
			   const char *where, const char *base);

/* Remove the temporary tree name the plugin made in dirfd (forced, see
 * spl_fs_rmtree_at()), then sync dirfd; label names it
 * in the warning. */
void spl_fs_cleanup_tree_at(const struct sup_host_api *host,
			    struct sup_action_ctx *ctx, int dirfd,
			    const char *name, const char *label);

/* renameat2(), also with C libraries that lack the wrapper; -1 and errno. */
int spl_fs_renameat2(int olddirfd, const char *oldpath, int newdirfd,
		     const char *newpath, unsigned int flags);

/*
 * Rename without replacing an existing target; -1 and errno. Falls back to
 * a plain rename on file systems without RENAME_NOREPLACE: the caller
 * checked just before that the target was absent.
 */
int spl_fs_rename_noreplace(int olddirfd, const char *oldpath, int newdirfd,
			    const char *newpath);

/*
 * Remove name in dirfd and everything below it, without following
 * symbolic links, holding one directory descriptor whatever the depth.
 * force: make directories writable first (for temporary trees the plugin
 * created itself). On failure *where (malloc'd, may be NULL or empty)
 * names the failing path relative to name.
 */
int spl_fs_rmtree_at(int dirfd, const char *name, bool force, char **where);

#endif
