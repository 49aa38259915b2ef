/* SPDX-License-Identifier: MIT */
/*
 * report.h - the end of a job: its answer, the audit messages
 * (log.publish), the upload of its confirmation.json (file.put) and the
 * one mailbox.ack; and the progress notes (mailbox.update) on the way.
 */
#ifndef SUPD_REPORT_H
#define SUPD_REPORT_H

#include "ctx.h"
#include "job.h"

struct json_object;

/*
 * Give j its answer: code (enum supd_ack), the message made from fmt
 * (NULL: none, for success), params (taken over; NULL: {}), to which the
 * package's file name is added. Removes the download unless an installer
 * may still read it, moves the job to reporting and saves it. Returns
 * SUPD_STEP_NEXT, or SUPD_STEP_RETRY when the state could not be saved.
 */
int supd_finish(struct supd_ctx *ctx, struct supd_job *j, int code,
		struct json_object *params, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* One step of a job in reporting: audit messages, upload, ack, done. */
int supd_report_step(struct supd_ctx *ctx, struct supd_job *j);

/* A progress note for the portal (mailbox.update); a failure is logged
 * and otherwise ignored. */
void supd_progress(struct supd_ctx *ctx, struct supd_job *j, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));

#endif
