/* SPDX-License-Identifier: MIT */
/* report.c - answer, audit messages, upload and ack of a job. */
#include "report.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/util.h"
#include "outcome.h"
#include "record/audit.h"
#include "record/confirm.h"
#include "slog.h"
#include "spool.h"
#include "tr50/tr50.h"

/* Longest errorMessage sent. */
#define MESSAGE_MAX 1024
/* Tries before an upload or the audit messages are given up: they are
 * worth less than the ack that waits for them. */
#define UPLOAD_TRIES 5
#define AUDIT_TRIES 5
/* Refusals (other than "already completed") before an ack is given up. */
#define ACK_REFUSALS 10

/* Cut s to at most max bytes on a UTF-8 character boundary, ending in
 * "..." when cut. */
static void cut_text(char *s, size_t max)
{
	size_t len = strlen(s);

	if (len <= max)
		return;
	len = max - 3;
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	memcpy(s + len, "...", 4);
}

int supd_finish(struct supd_ctx *ctx, struct supd_job *j, int code,
		json_object *params, const char *fmt, ...)
{
	bool installer_may_read = j->phase == SUPD_PH_INSTALLING &&
				  !j->have_record &&
				  (j->sup_started || j->sup_pid);
	char *msg = NULL;
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		if (vasprintf(&msg, fmt, ap) < 0)
			msg = NULL;
		va_end(ap);
		if (!msg) {
			json_object_put(params);
			supd_error("job '%s': out of memory", j->id);
			return SUPD_STEP_RETRY;
		}
		cut_text(msg, MESSAGE_MAX);
	}
	if (!params)
		params = json_object_new_object();
	if (params && j->name)
		json_object_object_add(params, "file",
				       json_object_new_string(j->name));
	if (!params || supd_job_set_result(j, code, msg, params)) {
		free(msg);
		supd_error("job '%s': out of memory", j->id);
		return SUPD_STEP_RETRY;
	}
	free(msg);
	/* A detached installer reads the package until its record is
	 * final (it may even continue after a reboot). */
	if (j->name && !installer_may_read)
		supd_spool_remove(ctx, j);
	if (code == SUPD_ACK_OK)
		supd_info("job '%s': succeeded; reporting", j->id);
	else
		supd_error("job '%s': answer code %d: %s", j->id, code,
			   j->message ? j->message : "");
	return supd_job_commit(j) ? SUPD_STEP_RETRY : SUPD_STEP_NEXT;
}

void supd_progress(struct supd_ctx *ctx, struct supd_job *j, const char *fmt,
		   ...)
{
	struct supd_tr50_err err = { 0 };
	char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return;
	supd_info("job '%s': %s", j->id, msg);
	if (supd_tr50_mailbox_update(ctx->tr50, j->id, msg, &err) != SUPD_TR50_OK)
		supd_warn("job '%s': progress note not sent: %s", j->id,
			  err.message ? err.message : "unknown error");
	supd_tr50_err_release(&err);
	free(msg);
}

/* log.publish of the audit messages of the kept record. */
static int publish_audit(struct supd_ctx *ctx, struct supd_job *j)
{
	struct supd_tr50_err err = { 0 };
	struct sk_audit a;
	json_object *doc = NULL;
	const char *why;
	int r, step = SUPD_STEP_NEXT;

	r = sk_confirm_read(j->record_path, &doc, &why);
	if (r == -ENOMEM)
		return SUPD_STEP_RETRY;
	if (r) {
		supd_error("job '%s': no audit messages sent: cannot read the kept record '%s': %s",
			   j->id, j->record_path, why);
		goto done;
	}
	r = sk_audit_from_doc(&a, doc);
	if (r == -ENOMEM) {
		step = SUPD_STEP_RETRY;
		goto out;
	}
	if (r) {
		supd_error("job '%s': no audit messages sent: the kept record '%s' is not a final confirmation document",
			   j->id, j->record_path);
		goto done;
	}
	for (; j->audit_next < a.n; j->audit_next++) {
		const struct sk_audit_msg *m = &a.msgs[j->audit_next];

		r = supd_tr50_log_publish(ctx->tr50, m->msg, (int)m->level,
					&err);
		if (r == SUPD_TR50_ECMD) {
			/* The portal will not take this one: go on with the
			 * rest rather than lose them all. */
			supd_warn("job '%s': audit message %zu refused: %s",
				  j->id, j->audit_next + 1,
				  err.message ? err.message : "");
		} else if (r != SUPD_TR50_OK) {
			supd_warn("job '%s': audit message %zu not sent: %s",
				  j->id, j->audit_next + 1,
				  err.message ? err.message : "");
			supd_tr50_err_release(&err);
			if (++j->audit_failures < AUDIT_TRIES) {
				step = SUPD_STEP_RETRY;
				sk_audit_release(&a);
				goto out;
			}
			supd_error("job '%s': audit messages given up after %d tries",
				   j->id, AUDIT_TRIES);
			break;
		}
		supd_tr50_err_release(&err);
	}
	sk_audit_release(&a);
done:
	j->audit_sent = true;
	if (supd_job_commit(j))
		step = SUPD_STEP_RETRY;
out:
	json_object_put(doc);
	return step;
}

/* "confirmation-<thingKey>-<msgid>.json", with every byte but
 * [A-Za-z0-9._-] of the two as '_', so that it is a plain file name. */
static char *upload_name(const struct supd_ctx *ctx, const struct supd_job *j)
{
	char *s = sk_asprintf("confirmation-%s-%s.json", ctx->conf->thing_key,
			      j->id);
	size_t end;

	if (!s)
		return NULL;
	end = strlen(s) - 5;
	for (size_t i = 13; i < end; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			s[i] = '_';
	}
	return s;
}

static int upload(struct supd_ctx *ctx, struct supd_job *j)
{
	struct supd_tr50_err err = { 0 };
	char *name = upload_name(ctx, j);
	int r;

	if (!name)
		return SUPD_STEP_RETRY;
	r = supd_tr50_file_put(ctx->tr50, name, j->record_path, &err);
	if (r == SUPD_TR50_OK) {
		supd_info("job '%s': uploaded the record as '%s'", j->id, name);
		j->uploaded = true;
	} else if (r == SUPD_TR50_ENET || r == SUPD_TR50_EAUTH) {
		j->upload_failures++;
		if (j->upload_failures < UPLOAD_TRIES) {
			supd_warn("job '%s': upload of '%s' failed (try %u of %d): %s",
				  j->id, name, j->upload_failures,
				  UPLOAD_TRIES, err.message ? err.message : "");
			supd_job_commit(j);
			r = SUPD_STEP_RETRY;
			goto out;
		}
		supd_error("job '%s': upload of '%s' given up after %d tries: %s",
			   j->id, name, UPLOAD_TRIES,
			   err.message ? err.message : "");
		j->uploaded = true;
	} else {
		supd_error("job '%s': upload of '%s' given up: %s", j->id, name,
			   err.message ? err.message : "");
		j->uploaded = true;
	}
	r = supd_job_commit(j) ? SUPD_STEP_RETRY : SUPD_STEP_NEXT;
out:
	supd_tr50_err_release(&err);
	free(name);
	return r;
}

static int done(struct supd_job *j, const char *how)
{
	j->phase = SUPD_PH_DONE;
	j->finished = (long long)time(NULL);
	supd_info("job '%s': %s", j->id, how);
	/* Should this write fail, the next ack is refused as "already
	 * completed", which counts as accepted. */
	return supd_job_commit(j) ? SUPD_STEP_RETRY : SUPD_STEP_NEXT;
}

static int ack(struct supd_ctx *ctx, struct supd_job *j)
{
	struct supd_tr50_err err = { 0 };
	int r, step;

	r = supd_tr50_mailbox_ack(ctx->tr50, j->id, j->code, j->message,
				j->params, &err);
	if (r == SUPD_TR50_OK) {
		step = done(j, "acked, the portal accepted it");
	} else if (r == SUPD_TR50_EDONE) {
		/* The portal says so in its own words (docs/tr50.md). */
		supd_info("job '%s': ack refused as already completed: %s",
			  j->id, err.message ? err.message : "");
		step = done(j, "the portal had accepted the ack already");
	} else if (r == SUPD_TR50_ECMD) {
		j->ack_refusals++;
		if (j->ack_refusals >= ACK_REFUSALS) {
			supd_error("job '%s': ack refused %d times, given up: %s",
				   j->id, ACK_REFUSALS,
				   err.message ? err.message : "");
			step = done(j, "closed without an accepted ack");
		} else {
			supd_warn("job '%s': ack refused (%u of %d): %s", j->id,
				  j->ack_refusals, ACK_REFUSALS,
				  err.message ? err.message : "");
			supd_job_commit(j);
			step = SUPD_STEP_RETRY;
		}
	} else {
		supd_warn("job '%s': ack not sent, will retry: %s", j->id,
			  err.message ? err.message : "unknown error");
		step = SUPD_STEP_RETRY;
	}
	supd_tr50_err_release(&err);
	return step;
}

int supd_report_step(struct supd_ctx *ctx, struct supd_job *j)
{
	int r;

	/* How far the audit messages got is kept in memory only: after a
	 * restart they are sent again rather than lost. */
	if (j->have_record && !j->audit_sent) {
		r = publish_audit(ctx, j);
		if (r != SUPD_STEP_NEXT)
			return r;
	}
	if (j->have_record && !j->uploaded) {
		r = upload(ctx, j);
		if (r != SUPD_STEP_NEXT)
			return r;
	}
	return ack(ctx, j);
}
