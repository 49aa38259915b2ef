/* SPDX-License-Identifier: MIT */
/*
 * sup/plugin.h - the supkit plugin SDK, ABI 1.2.
 *
 * A plugin is a shared object that exports exactly one symbol,
 * sup_plugin_entry(), returning a descriptor (struct sup_plugin) that lists
 * the action types it handles. The host (the supkit core) calls the
 * plugin's action functions with a table of host services
 * (struct sup_host_api) and an opaque per-action context.
 *
 * Rules of the ABI:
 *  - A plugin never links against the host: everything it needs from the
 *    host comes through struct sup_host_api.
 *  - struct sup_host_api and struct sup_action_ops only ever grow at their
 *    end. A plugin that uses a member added after ABI 1.0 checks it first
 *    with SUP_HOST_HAS().
 *  - The host accepts a plugin whose abi_major equals its own and whose
 *    abi_minor is not newer than its own.
 *  - Every action type starts with the plugin's name and a dot
 *    ("acme.led" in acme.so): a plugin cannot claim another's types.
 *  - Every symbol the plugin uses must resolve when it is loaded: the
 *    host refuses it otherwise, naming the symbol (link with -z defs).
 *  - This header is self-contained, defines no global variables and exposes
 *    no type of the host's dependencies (json-c, libarchive, ...).
 *
 * Process model: check(), stage(), execute() and rollback() each run in a
 * child process of the installer. A plugin may crash or hang without taking the
 * installer down; the host records the crash or the timeout as the action's
 * failure. A plugin must not rely on state kept in memory between calls.
 */
#ifndef SUP_PLUGIN_H
#define SUP_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SUP_ABI_MAJOR 1
#define SUP_ABI_MINOR 2

#if defined(__GNUC__) || defined(__clang__)
#define SUP_EXPORT __attribute__((visibility("default")))
#define SUP_PRINTF(fmt_idx, arg_idx) \
	__attribute__((format(printf, fmt_idx, arg_idx)))
#else
#define SUP_EXPORT
#define SUP_PRINTF(fmt_idx, arg_idx)
#endif

/*
 * Status codes returned by plugin functions and by host services.
 * The human-readable detail of a failure is recorded on the action context
 * with host->fail(), never returned as a string.
 */
enum sup_status {
	SUP_OK = 0,
	SUP_ERR = -1,     /* failed; the detail is on the context */
	SUP_ENOENT = -2,  /* a parameter, payload or config key is absent */
	SUP_EINVAL = -3,  /* present, but of the wrong type or value */
	SUP_ENOTSUP = -4, /* not available in this phase (e.g. payload data
			   * during check) */
};

enum sup_log_level {
	SUP_LOG_ERROR = 0,
	SUP_LOG_WARNING = 1,
	SUP_LOG_INFO = 2,
	SUP_LOG_DEBUG = 3,
};

/* Flags for the parameter getters. */
#define SUP_PARAM_OPTIONAL 0u
/* An absent parameter is a failure: the host records "missing required
 * parameter 'key'" on the context and the getter returns SUP_ENOENT. */
#define SUP_PARAM_REQUIRED 1u

/* Flags for host->resolve_path(). */
#define SUP_PATH_FOLLOW_LAST 0u
/* Do not resolve the last component if it is a symbolic link (for actions
 * that replace or remove the link itself). */
#define SUP_PATH_NOFOLLOW_LAST 1u
/* path_parent(), path_dir() (ABI 1.1): create the missing directories on
 * the way, mode 0755, each new entry synced. */
#define SUP_PATH_MKPARENTS 2u

/* Flags of an action type (struct sup_action_ops.flags). */
/* Running the action twice leaves the same result as running it once:
 * an interrupted run may be repeated on resume. */
#define SUP_ACTION_IDEMPOTENT 0x1u
/* The action stops or restarts the product runtime. */
#define SUP_ACTION_AFFECTS_RUNTIME 0x2u
/* check() may run in one child process with the checks of the plugin's
 * other types that carry this flag, one after the other, instead of a
 * process each: it keeps nothing in memory for a later call and leaves
 * the process as it found it (working directory, umask, signals,
 * environment, descriptors). A crash, exit or timeout still fails only
 * the check that caused it. An installer that does not know the flag
 * ignores it. */
#define SUP_ACTION_SHARED_CHECK 0x4u

/*
 * Build signature: the sizes a plugin and the host must agree on. A
 * mismatch (e.g. a 32-bit plugin, or one built for another data model)
 * is refused with a message naming both signatures.
 */
#define SUP_BUILD_SIGNATURE                                            \
	((uint32_t)(((uint32_t)sizeof(void *) << 24) |                 \
		    ((uint32_t)sizeof(long) << 16) |                   \
		    ((uint32_t)sizeof(size_t) << 8) |                  \
		    (uint32_t)sizeof(int64_t)))

/* Opaque handles owned by the host. */
struct sup_action_ctx; /* one action invocation; valid during the call */
struct sup_payload;    /* an open payload stream */

/*
 * Services the host offers to plugins. Every function pointer present in
 * ABI 1.0 is non-NULL. Strings returned by the host stay valid until the
 * plugin function that received the context returns, unless said
 * otherwise.
 */
struct sup_host_api {
	/* sizeof(struct sup_host_api) as the host was built; see
	 * SUP_HOST_HAS(). */
	size_t size;
	uint16_t abi_major;
	uint16_t abi_minor;

	/* --- logging and reporting ------------------------------------ */

	/* Log a line attributed to this action (level: enum
	 * sup_log_level). */
	void (*log)(struct sup_action_ctx *ctx, int level, const char *fmt,
		    ...) SUP_PRINTF(3, 4);
	/* Record why the action failed and return SUP_ERR, so that a plugin
	 * can write: return host->fail(ctx, errno, "cannot open '%s'", p);
	 * errnum is an errno value appended as ": <strerror>", or 0. In
	 * execute and rollback the first failure recorded is kept as the
	 * action's error and later ones are logged; a check reports all of
	 * them. */
	int (*fail)(struct sup_action_ctx *ctx, int errnum, const char *fmt,
		    ...) SUP_PRINTF(3, 4);
	/* Report progress, 0..100. */
	void (*progress)(struct sup_action_ctx *ctx, unsigned int percent);
	/* Append bytes to the action's captured output; the host keeps the
	 * tail and records it in confirmation.json. */
	void (*output)(struct sup_action_ctx *ctx, const char *data,
		       size_t len);

	/* --- the action ------------------------------------------------ */

	const char *(*action_id)(struct sup_action_ctx *ctx);
	const char *(*action_type)(struct sup_action_ctx *ctx);

	/* Parameter getters. Each returns SUP_OK and sets *out, SUP_ENOENT
	 * when the parameter is absent (recorded as a failure only with
	 * SUP_PARAM_REQUIRED), or SUP_EINVAL when it has the wrong type or
	 * value (always recorded, naming the parameter and what was
	 * expected). */
	int (*param_string)(struct sup_action_ctx *ctx, const char *key,
			    unsigned int flags, const char **out);
	int (*param_int)(struct sup_action_ctx *ctx, const char *key,
			 unsigned int flags, int64_t *out);
	int (*param_bool)(struct sup_action_ctx *ctx, const char *key,
			  unsigned int flags, int *out);
	/* An array of strings; *out is a NULL-terminated array of *count
	 * strings. */
	int (*param_strings)(struct sup_action_ctx *ctx, const char *key,
			     unsigned int flags, const char *const **out,
			     size_t *count);
	/* An object whose values are all strings; keys[i] maps to
	 * values[i]. */
	int (*param_strmap)(struct sup_action_ctx *ctx, const char *key,
			    unsigned int flags, const char *const **keys,
			    const char *const **values, size_t *count);
	/* The raw JSON text of an object parameter, for plugins with their
	 * own JSON parser. */
	int (*param_json)(struct sup_action_ctx *ctx, const char *key,
			  unsigned int flags, const char **out);

	/* --- payloads -------------------------------------------------- */

	/* The action's payloads, in the order the manifest lists them. */
	size_t (*payload_count)(struct sup_action_ctx *ctx);
	int (*payload_info)(struct sup_action_ctx *ctx, size_t index,
			    const char **name, uint64_t *size);
	/* Open a payload for streaming (execute and rollback only; returns
	 * SUP_ENOTSUP during check). */
	int (*payload_open)(struct sup_action_ctx *ctx, size_t index,
			    struct sup_payload **out);
	/* Read up to len bytes. Returns the number read, 0 at the end of a
	 * payload whose size and sha256 were verified, or SUP_ERR when the
	 * data does not match the manifest or cannot be read (recorded on
	 * the context). A plugin must commit nothing before read returned
	 * 0: the integrity check happens on the last read. */
	int64_t (*payload_read)(struct sup_payload *payload, void *buf,
				size_t len);
	void (*payload_close)(struct sup_payload *payload);

	/* --- paths, staging, configuration ----------------------------- */

	/* Map an absolute gateway path to the path to use on this system
	 * (prefer path_parent() and path_dir(), ABI 1.1: a path string can
	 * be changed under a plugin between two uses, a descriptor not):
	 * the path under --root, with every symbolic link resolved inside
	 * the root (an absolute link target is taken relative to the root,
	 * and ".." never climbs above it). A path that is not absolute or
	 * has a ".." component is refused (SUP_EINVAL, recorded). *out is
	 * allocated; release it with host->free(). */
	int (*resolve_path)(struct sup_action_ctx *ctx,
			    const char *gateway_path, unsigned int flags,
			    char **out);
	/* The root directory every gateway path lives under ("/" on a real
	 * gateway). */
	const char *(*root_dir)(struct sup_action_ctx *ctx);
	/* A private, empty directory for this action (execute and rollback;
	 * NULL during check), removed by the host afterwards. */
	const char *(*staging_dir)(struct sup_action_ctx *ctx);
	/* A key of this plugin's section ([plugin.NAME]) in the product
	 * profile. */
	int (*config_get)(struct sup_action_ctx *ctx, const char *key,
			  const char **out);
	/* Milliseconds left before the action's timeout, or -1 if none. */
	int64_t (*time_left_ms)(struct sup_action_ctx *ctx);
	/* Release memory the host allocated for the plugin. */
	void (*free)(void *ptr);

	/* --- product profile, resume ----------------------------------- */

	/* A key of a product-wide section of the product profile, shared by
	 * every plugin: "runtime" (how to stop, start and health-check the
	 * product runtime), "firmware" (where releases live, or the
	 * flasher), "system" (reboot command). See docs/config.md. Returns
	 * SUP_OK, or SUP_ENOENT when the key is not set. */
	int (*product_get)(struct sup_action_ctx *ctx, const char *section,
			   const char *key, const char **out);
	/* Announce that this action is about to end the installer's run
	 * (a reboot): the host records the action as succeeded, makes the
	 * install state durable, and returns only then, so the plugin may
	 * pull the plug right after. When execute then returns SUP_OK, the
	 * installer stops and `sup install --resume` continues with the
	 * next action (after boot). If execute fails instead, the action is
	 * recorded as failed. reason is a short word ("reboot"). Returns
	 * SUP_OK, or SUP_ERR when the state could not be made durable (the
	 * plugin must then not reboot). Execute only. */
	int (*request_resume)(struct sup_action_ctx *ctx, const char *reason);

	/* --- the file system under the root, by descriptors (ABI 1.1) --- */

	/*
	 * Open the directory that holds the last component of gateway_path,
	 * walked from the root one component at a time: symbolic links are
	 * resolved inside the root, a link owned by another user than root
	 * is refused, and so is an unsafe path transition (from a directory
	 * of another user into one of someone else: docs/actions.md). With
	 * SUP_PATH_FOLLOW_LAST a link that is the last component is resolved
	 * too (and its target's directory returned); SUP_PATH_MKPARENTS
	 * creates missing directories. On SUP_OK, *dirfd is an O_RDONLY |
	 * O_DIRECTORY close-on-exec descriptor (the plugin closes it) and
	 * *name the last component (release it with host->free()): work on
	 * them with *at() calls and descriptors (openat() with O_NOFOLLOW,
	 * renameat(), unlinkat(), fstatat() with AT_SYMLINK_NOFOLLOW,
	 * fchmod()/fchown() on an open descriptor), never again by path.
	 * A bad path, the root itself or a refused walk returns SUP_EINVAL,
	 * an I/O failure SUP_ERR; both are recorded. Resolving a path once
	 * and holding the directory is what keeps a component swapped for a
	 * link afterwards from leading a root write elsewhere.
	 */
	int (*path_parent)(struct sup_action_ctx *ctx, const char *gateway_path,
			   unsigned int flags, int *dirfd, char **name);
	/* gateway_path itself as a directory (the root included), walked as
	 * above (every link on the way resolved); *dirfd as above. */
	int (*path_dir)(struct sup_action_ctx *ctx, const char *gateway_path,
			unsigned int flags, int *dirfd);
	/*
	 * Note a temporary entry made in dirfd (a descriptor from
	 * path_parent() or path_dir() of this call) under name, which must
	 * have the shape ".<base>.sup-XXXXXX" (XXXXXX: letters and digits):
	 * a file being written, a tree being extracted. The host records it
	 * durably before returning, and removes it if the action fails, times
	 * out, crashes or is abandoned; when the action succeeds the note is
	 * forgotten (rename the temporary into place, or remove it, before
	 * returning). Execute and rollback; SUP_EINVAL for a bad name or a
	 * descriptor the host did not hand out (recorded).
	 */
	int (*temp_note)(struct sup_action_ctx *ctx, int dirfd,
			 const char *name);

	/* --- stage, then commit (ABI 1.2) ------------------------------- */

	/*
	 * stage() only: a private, empty directory (mode 0700, the
	 * installer's) on the file system where gateway_path lives (the
	 * nearest directory of it that exists, walked as path_parent() does
	 * with flags SUP_PATH_FOLLOW_LAST or SUP_PATH_NOFOLLOW_LAST), for
	 * what this action stages for gateway_path: the plugin streams its
	 * payloads into entries it names itself, so that execute() only has
	 * to move them into place (renameat(), RENAME_EXCHANGE). need is the
	 * number of bytes the plugin is about to write there: the host
	 * refuses (SUP_ERR, recorded) when the file system has not that
	 * much room left, counting what earlier actions staged on it.
	 * *dirfd is O_RDONLY | O_DIRECTORY, close-on-exec; the plugin closes
	 * it. The host removes the directory and what is left in it after
	 * the action ran, and all of them when the install fails, is
	 * abandoned or is interrupted (--resume stages again). SUP_ENOTSUP
	 * when the host cannot stage for that path (the state directory is
	 * on another file system): the plugin then stages nothing for it,
	 * and execute() streams the payload as in ABI 1.1. Once per
	 * gateway_path and action.
	 */
	int (*stage_dir)(struct sup_action_ctx *ctx, const char *gateway_path,
			 unsigned int flags, uint64_t need, int *dirfd);
	/*
	 * execute() and rollback(): the directory stage() got for
	 * gateway_path, as it left it (checked by device and inode; nobody
	 * but the installer can change what is in it). SUP_ENOENT when
	 * nothing was staged for gateway_path: stream the payload instead.
	 */
	int (*staged_dir)(struct sup_action_ctx *ctx, const char *gateway_path,
			  int *dirfd);
};

/* True if the host provides member (added after ABI 1.0 or not). */
#define SUP_HOST_HAS(host, member)                                      \
	((host)->size >= offsetof(struct sup_host_api, member) +        \
				 sizeof((host)->member) &&              \
	 (host)->member != NULL)

typedef int (*sup_action_fn)(const struct sup_host_api *host,
			     struct sup_action_ctx *ctx);

/*
 * One action type. Tables of these are static const and end with an entry
 * whose type is NULL.
 */
struct sup_action_ops {
	/* "plugin.verb", lowercase letters, digits, '_', '-' and '.',
	 * starting with the plugin's name and a dot. */
	const char *type;
	/* Validate parameters and payload metadata; no side effects. Runs
	 * during preflight, before any action executes. May be NULL. */
	sup_action_fn check;
	/* Do the work. Required. */
	sup_action_fn execute;
	/* Undo a failed execute; called by the host right after execute
	 * failed. May be NULL. */
	sup_action_fn rollback;
	unsigned int flags; /* SUP_ACTION_* */
	/* NULL-terminated list of accepted parameter names; the host refuses
	 * any other during preflight. NULL accepts every name. */
	const char *const *params;
	/* How many payloads the action takes. */
	unsigned int min_payloads;
	unsigned int max_payloads;
	/*
	 * ABI 1.2, may be NULL. Stream the action's payloads into staging
	 * (host->stage_dir()) and verify them on the way: every payload of
	 * the package is staged and verified before the first action
	 * executes, so a bad payload anywhere changes nothing. Runs after
	 * every check passed, in action order, before any execute; no side
	 * effect outside the staging directories. A payload stage() did not
	 * read to its end is verified by the host instead. execute() then
	 * commits what was staged (host->staged_dir()); it must still work
	 * when nothing was (SUP_ENOENT: stream the payload as before).
	 */
	sup_action_fn stage;
};

struct sup_plugin {
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t size; /* sizeof(struct sup_plugin) */
	uint32_t build_signature;
	uint32_t ops_size; /* sizeof(struct sup_action_ops) */
	/* Must equal the file name without ".so": 1-64 of lowercase
	 * letters, digits, '_' and '-'. */
	const char *name;
	const char *version;
	const char *description;
	const struct sup_action_ops *actions;
};

#define SUP_PLUGIN_HEADER                                              \
	.abi_major = SUP_ABI_MAJOR, .abi_minor = SUP_ABI_MINOR,        \
	.size = sizeof(struct sup_plugin),                             \
	.build_signature = SUP_BUILD_SIGNATURE,                        \
	.ops_size = sizeof(struct sup_action_ops)

#define SUP_PLUGIN_ENTRY_SYMBOL "sup_plugin_entry"

typedef const struct sup_plugin *(*sup_plugin_entry_fn)(void);

/* The one symbol a plugin exports. */
SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void);

#ifdef __cplusplus
}
#endif

#endif /* SUP_PLUGIN_H */
