/* SPDX-License-Identifier: MIT */
/*
 * extract.h - safe, validated, atomic extraction of an archive payload into
 * a directory of the gateway (plugins/lib, needs libarchive; used by
 * the file and firmware plugins).
 *
 * The archive (tar, cpio or zip, optionally compressed) is streamed from
 * host->payload_read() into a fresh temporary directory next to the target,
 * on its file system, private (0700) until it is committed; set-user-id,
 * set-group-id and sticky bits are applied only once the payload is
 * verified. The target's directory is held by a descriptor from
 * host->path_parent() (ABI 1.1): every later step works relative to it. Every entry is validated before anything of it is
 * written: no absolute path, no ".." component, no hard link, device, fifo
 * or socket, no symbolic link leading outside the extraction directory, no
 * mtree description. The payload is read to its end, so the host verified
 * its size and SHA-256, and the tree is synced before it is committed:
 *
 *   - absent target: the tree is renamed into place;
 *   - SPL_EXTRACT_MERGE into an existing directory: the entries are moved in,
 *     directories merged, after a dry run found no conflict;
 *   - SPL_EXTRACT_REPLACE of an existing directory: the trees are exchanged
 *     atomically (RENAME_EXCHANGE), the old one is removed afterwards.
 *
 * Use:
 *
 *	struct spl_extract x;
 *
 *	if (spl_extract_begin(&x, host, ctx, gw_path, mode) ||
 *	    spl_extract_payload(&x, 0) || spl_extract_commit(&x))
 *		goto out;
 *	...
 *	out:
 *	spl_extract_release(&x);
 *
 * A failure is recorded on the context (host->fail()) and the target is
 * left as it was, except after a merge stopped part way (logged).
 *
 * spl_extract_payload() changes the working directory while it unpacks (see
 * extract.c): plugin calls run in a process of their own, single-threaded.
 */
#ifndef SPL_EXTRACT_H
#define SPL_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sup/plugin.h>

enum spl_extract_mode {
	SPL_EXTRACT_MERGE,
	SPL_EXTRACT_REPLACE,
};

/* An entry whose set-user-id, set-group-id or sticky bit waits for the
 * payload's verification (or, staged, for the commit). */
struct spl_extract_special {
	char *name; /* the entry's path in the tree */
	mode_t mode;
};

/* One extraction. Zeroed and filled by spl_extract_begin(); the caller only
 * reads the first three members, after spl_extract_commit(). */
struct spl_extract {
	uint64_t entries;	/* entries unpacked */
	const char *payload;	/* name of the payload, owned by the host */
	const char *how;	/* "new directory", "merged" or "replaced" */

	const struct sup_host_api *host;
	struct sup_action_ctx *ctx;
	const char *gw_path;	/* borrowed until spl_extract_release() */
	enum spl_extract_mode mode;
	int dirfd;		/* where the target is */
	char *name;		/* the target in dirfd; NULL: dirfd is the target */
	/* Where the temporary tree is: dirfd, or (staged) the staging
	 * directory, owned. */
	int tmpdirfd;
	char *tmp;		/* the temporary tree's name in tmpdirfd */
	int tmpfd;
	bool began;		/* spl_extract_begin() ran: dirfd is ours */
	bool exists;		/* the target existed at spl_extract_begin() */
	bool made;		/* tmp was created */
	bool tmp_gone;		/* tmp no longer names a tree of ours */
	bool unpacked;
	bool committed;
	mode_t top_mode;	/* of the tree once committed */
	/* Staging (stage.c): spl_extract_payload() keeps the held-back
	 * modes in special instead of applying them, and syncs nothing. */
	bool hold;
	struct spl_extract_special *special;
	size_t n_special;
};

/*
 * Check a target before anything is done (also usable in check()):
 * SPL_EXTRACT_REPLACE of the root directory is refused ("cannot replace the
 * root directory 'gw_path'"). host_path is gw_path resolved with
 * host->resolve_path(..., SUP_PATH_FOLLOW_LAST, ...). SUP_OK or SUP_ERR.
 */
int spl_extract_check_target(const struct sup_host_api *host,
			     struct sup_action_ctx *ctx, const char *gw_path,
			     const char *host_path, enum spl_extract_mode mode);

/*
 * Start an extraction to gw_path: open its directory (creating missing
 * parents), check the target (a directory, or absent), create the
 * temporary directory. SUP_OK or SUP_ERR; spl_extract_release() is due in
 * both cases.
 */
int spl_extract_begin(struct spl_extract *x, const struct sup_host_api *host,
		      struct sup_action_ctx *ctx, const char *gw_path,
		      enum spl_extract_mode mode);

/*
 * Stream the action's payload number index into the temporary directory,
 * every entry validated, read to its verified end and synced. Once per
 * extraction. SUP_OK or SUP_ERR.
 */
int spl_extract_payload(struct spl_extract *x, size_t index);

/* Move the extracted tree into place (see the modes above). SUP_OK or
 * SUP_ERR. */
int spl_extract_commit(struct spl_extract *x);

/*
 * After an SPL_EXTRACT_REPLACE commit of an existing directory: take the old
 * tree over instead of letting spl_extract_release() remove it. Returns its
 * name in the target's directory (malloc'd; the caller frees it, and
 * removes the tree), or NULL when there is none.
 */
char *spl_extract_take_replaced(struct spl_extract *x);

/*
 * The first half of spl_extract_begin(): x initialised, the target's
 * directory opened (missing parents made), the target checked (a
 * directory, or absent). SUP_OK or SUP_ERR; spl_extract_release() is due
 * in both cases.
 */
int spl_extract_open_target(struct spl_extract *x,
			    const struct sup_host_api *host,
			    struct sup_action_ctx *ctx, const char *gw_path,
			    enum spl_extract_mode mode);

/* Give n entries of the tree tmpfd their held-back modes; SUP_OK or
 * SUP_ERR recorded. */
int spl_extract_apply_special(const struct sup_host_api *host,
			      struct sup_action_ctx *ctx, int tmpfd,
			      const struct spl_extract_special *special,
			      size_t n);
void spl_extract_special_free(struct spl_extract_special *special, size_t n);

/* ---- stage, then commit (ABI 1.2; extractstage.c) ----------------- */

/*
 * stage(): unpack payload index of the action into the staging directory
 * for gw_path (host->stage_dir()), every entry validated as above, read to
 * its verified end: the tree "tree" (0700) and beside it "modes", the
 * modes held back until the commit (set-user-id, set-group-id and sticky
 * bits, the top directory's mode) and the entry count. SUP_OK also when
 * the host does not stage for gw_path (nothing was done); SUP_ERR
 * recorded.
 */
int spl_extract_stage(const struct sup_host_api *host,
		      struct sup_action_ctx *ctx, const char *gw_path,
		      size_t index);

/*
 * execute(): the extraction of payload index to gw_path ready to commit:
 * the tree stage() staged, its held-back modes applied, when there is one
 * on the target's file system; else begun and unpacked here, as
 * spl_extract_begin() and spl_extract_payload() do. SUP_OK or SUP_ERR;
 * spl_extract_release() is due in both cases.
 */
int spl_extract_prepare(struct spl_extract *x, const struct sup_host_api *host,
			struct sup_action_ctx *ctx, const char *gw_path,
			enum spl_extract_mode mode, size_t index);

/* Remove what is left of the temporary tree (a failed extraction, the
 * emptied directories of a merge, the old tree of a replace: a failure is
 * a warning) and free the extraction. Accepts a zeroed struct spl_extract, so
 * that a caller may release one it never began. */
void spl_extract_release(struct spl_extract *x);

#endif
