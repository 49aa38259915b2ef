/* SPDX-License-Identifier: MIT */
/*
 * outcome.h - the install record sup writes (confirmation.json,
 * docs/confirmation.md) turned into the answer of a campaign job.
 */
#ifndef SUPD_OUTCOME_H
#define SUPD_OUTCOME_H

#include <stdbool.h>

struct json_object;

/* The record is read with sk_confirm_read() (record/confirm.h). */

/* Its job_id, or NULL. */
const char *supd_record_job(struct json_object *doc);
/* Its result: "running", "suspended", "succeeded", ...; "" if none. */
const char *supd_record_result(struct json_object *doc);
/* The result ends the run: succeeded, failed or rejected. */
bool supd_record_final(struct json_object *doc);

/*
 * The ack of a job whose record is doc: *code (SUPD_ACK_OK, _FAILED or
 * _REJECTED), *message (malloc'd; NULL for success): the failed action
 * and why, or the first preflight problem; *params (owned): {"package",
 * "version", "succeeded", "failed", "skipped"}. For a record that is not
 * final, the counts so far. 0 or -ENOMEM.
 */
int supd_record_outcome(struct json_object *doc, int *code, char **message,
			struct json_object **params);

#endif
