/* SPDX-License-Identifier: MIT */
/*
 * confirm.h - confirmation.json: the record of one install, rewritten
 * durably (temp file, fsync, rename, fsync dir) at every change so that at
 * any instant it parses and tells the truth. See docs/confirmation.md.
 */
#ifndef SK_CONFIRM_H
#define SK_CONFIRM_H

#include <stdbool.h>
#include <stddef.h>

#include "base/problems.h"
#include "install/host.h"
#include "install/loader.h"
#include "package/supfile.h"

#define SK_CONFIRM_FORMAT 1
#define SK_CONFIRM_NAME "confirmation.json"

enum sk_action_status {
	SK_ST_PENDING = 0,
	SK_ST_RUNNING,
	SK_ST_SUCCEEDED,
	SK_ST_FAILED,
	SK_ST_SKIPPED,
};

struct json_object;

struct sk_confirm {
	struct json_object *doc;    /* owned */
	struct json_object **acts;  /* borrowed from doc, one per action */
	enum sk_action_status *st;  /* owned */
	char **text; /* owned: each action's serialized text, NULL: none yet */
	size_t n;
	char *path; /* host path of confirmation.json, NULL: not written */
};

/*
 * Start a document for f (whose manifest may be invalid or absent: then it
 * lists no actions). types[i] is the registered type of action i or NULL.
 * result: "running", "rejected" or "dry-run". Returns 0 or -1 (memory).
 */
int sk_confirm_init(struct sk_confirm *c, const struct sk_supfile *f,
		    const struct sk_action_type *const *types,
		    const char *product, const char *root, const char *result);
void sk_confirm_release(struct sk_confirm *c);

/* The "signature" object of package in the document (also printed by
 * sup inspect --json): status, reason, signer, signing_time, checked_at.
 * NULL when out of memory. */
struct json_object *sk_confirm_signature_json(const struct sk_supfile *f);
/* A certificate as recorded: subject, issuer, serial, key, key_sha256,
 * cert_sha256, not_before, not_after. */
struct json_object *sk_confirm_cert_json(const struct sk_cert_info *ci);

/*
 * Read the document at path into *doc (owned by the caller): a regular
 * file of at most 64 MiB, JSON nested at most 32 deep, an object of
 * confirmation_format 1 with an actions array. 0; -ENOENT (or another
 * -errno of open); -ENOMEM; -EINVAL (not a regular file, too large, not
 * a JSON object) or -EPROTO (not of format 1), *why saying which.
 */
int sk_confirm_read(const char *path, struct json_object **doc,
		    const char **why);
/* The string member key of the object o of a record, or NULL (o not an
 * object; key absent, null or not a string). */
const char *sk_confirm_str(struct json_object *o, const char *key);
void sk_confirm_action_start(struct sk_confirm *c, size_t i);
/* Record the outcome of action i from its execute call. */
void sk_confirm_action_finish(struct sk_confirm *c, size_t i,
			      const struct sk_call_result *r);
void sk_confirm_action_rollback(struct sk_confirm *c, size_t i,
				const struct sk_call_result *r);
/* Mark action i failed for a reason found by the installer itself. */
void sk_confirm_action_error(struct sk_confirm *c, size_t i,
			     const char *code, const char *message);
void sk_confirm_action_skip(struct sk_confirm *c, size_t i);
/* Set result, finished time and error (code/message may be NULL). */
void sk_confirm_finish(struct sk_confirm *c, const char *result,
		       const char *code, const char *message);
/* Add the problems of d to the document ("problems" array). */
void sk_confirm_problems(struct sk_confirm *c, const struct sk_problems *d);

/*
 * Continue the document at path (the record of an interrupted or
 * suspended run of the package f). Fails with -EINVAL and *why when it
 * does not parse or does not describe f's actions in order. c->path is
 * set to path. With f == NULL the document is taken as it is.
 */
int sk_confirm_load(struct sk_confirm *c, const char *path,
		    const struct sk_supfile *f, const char **why);
/* The result recorded in the document ("running", "suspended", ...). */
const char *sk_confirm_result(const struct sk_confirm *c);
/* The reason of a suspended run ("reboot", ...), or NULL. */
const char *sk_confirm_suspend_reason(const struct sk_confirm *c);
/* Mark the run suspended: the installer stops and --resume continues. */
void sk_confirm_suspend(struct sk_confirm *c, const char *reason,
			const char *action_id);
/* Undo sk_confirm_suspend(): the action that asked for it failed. */
void sk_confirm_unsuspend(struct sk_confirm *c);
enum sk_action_status sk_confirm_status(const struct sk_confirm *c, size_t i);
/* Record a continuation (appends to "resumed") and set result
 * "running". */
void sk_confirm_resumed(struct sk_confirm *c, const char *reason);
/* Put an interrupted action back to pending, noting the interruption. */
void sk_confirm_action_requeue(struct sk_confirm *c, size_t i);
/* Mark action i as succeeded because it announced the stop of the run
 * (request_resume) before doing it. */
void sk_confirm_action_resume_point(struct sk_confirm *c, size_t i,
				    const char *reason);
/* Record the campaign job this run belongs to (or NULL). */
void sk_confirm_job(struct sk_confirm *c, const char *job_id);

/* Remove the temporaries of confirmation.json that a killed installer
 * left in logs_dir (".confirmation.json.XXXXXX"); only under the
 * installer lock. How many were removed, or -errno. */
int sk_confirm_sweep(const char *logs_dir);

/* Write the document to c->path durably. 0 or -errno. */
int sk_confirm_write(struct sk_confirm *c);
/* The document as pretty JSON text (owned by c, valid until the next
 * change). */
const char *sk_confirm_text(struct sk_confirm *c);

#endif
