/* SPDX-License-Identifier: MIT */
/*
 * audit.h - audit log messages generated from a confirmation document
 * (docs/confirmation.md) once a run has ended: one message per action and
 * one summary, each with a level (0 error, 1 warning, 2 info, as TR50's
 * log.publish). `sup install` records them in <logs_dir>/audit.jsonl and
 * in syslog; supd also sends them to the portal.
 *
 * Every text comes from the document, which holds plugin output and may
 * have been edited by anyone who can write the logs directory: the
 * messages are single-line, valid UTF-8 text without control characters
 * (see sk_audit_from_doc()).
 */
#ifndef SK_AUDIT_H
#define SK_AUDIT_H

#include <stddef.h>

#define SK_AUDIT_NAME "audit.jsonl"

struct json_object;

enum sk_audit_level {
	SK_AUDIT_ERROR = 0,
	SK_AUDIT_WARNING = 1,
	SK_AUDIT_INFO = 2,
};

struct sk_audit_msg {
	enum sk_audit_level level;
	char *action; /* owned; the action's id, NULL for the summary */
	char *msg;    /* owned; never NULL */
};

/*
 * The messages of one run, in order: the actions in manifest order, then
 * the summary (always the last). Every string is owned by the struct and
 * lives until sk_audit_release(). The tags are NULL when the document has
 * none (a rejection record of an unreadable manifest has no name; a run
 * without --job-id has no job).
 */
struct sk_audit {
	char *package; /* package.name */
	char *version; /* package.version */
	char *job_id;
	char *ts; /* the document's "finished" (RFC 3339) */
	struct sk_audit_msg *msgs;
	size_t n;
};

/*
 * Build the messages of doc (borrowed; only read) into a, which need not
 * be initialised. Returns 0; -EAGAIN if the run has not ended (result
 * "running", "suspended", "dry-run" or one this version does not know);
 * -EINVAL if doc is not a confirmation document of format 1; -ENOMEM.
 * a holds nothing to release after a failure.
 *
 * Levels: a succeeded action is info; a skipped one, one that failed with
 * on_error "continue", or one that failed and was rolled back is a
 * warning; one that failed otherwise, or whose rollback failed, is an
 * error. The summary is info for a clean install, a warning when an
 * action failed but the install went on, an error for a failed or
 * rejected package.
 *
 * Text taken from doc is cut at 8 KiB per field; bytes that are not
 * valid UTF-8 become U+FFFD; tab, CR, LF, VT and FF become a space, every
 * other control character (C0, DEL, C1) and U+2028/U+2029 become U+FFFD.
 */
int sk_audit_from_doc(struct sk_audit *a, struct json_object *doc);
void sk_audit_release(struct sk_audit *a);

/*
 * Append the messages to <logs_dir>/audit.jsonl (logs_dir a host path),
 * one JSON object per line: {"ts", "package", "version", "job_id",
 * "level", "action", "msg"}. All lines of a go out in one write() on a
 * descriptor opened with O_APPEND (so concurrent writers do not
 * interleave them), then fsync; the file (mode 0644, never followed if it
 * is a symbolic link) and its directory entry are synced when created.
 * Returns 0 or -errno.
 */
int sk_audit_write(const struct sk_audit *a, const char *logs_dir);

/* Send each message to syslog: ident "supkit", facility LOG_DAEMON,
 * priority LOG_ERR, LOG_WARNING or LOG_INFO by level. */
void sk_audit_syslog(const struct sk_audit *a);

/* sk_audit_write() then sk_audit_syslog() (also when the write failed).
 * Returns what sk_audit_write() returned. */
int sk_audit_record(const struct sk_audit *a, const char *logs_dir);

#endif
