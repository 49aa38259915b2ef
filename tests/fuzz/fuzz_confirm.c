/* SPDX-License-Identifier: MIT */
/*
 * fuzz_confirm.c - confirmation.json, the install record, as its readers
 * take it: the installer continuing a run (sk_confirm_load(), then what
 * --resume does to the document), supd turning it into a job's answer
 * (sk_confirm_read(), supd_record_outcome()), and the audit messages
 * made from it (sk_audit_from_doc()).
 *
 * Input: the file, written to a private logs directory.
 *
 * The audit messages go to syslog and to the portal: each text must be
 * one line of valid UTF-8 without control characters (audit.h), or it is
 * a finding (abort).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzzutil.h"
#include "outcome.h"
#include "record/audit.h"
#include "record/confirm.h"

static char *confirm_path;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *logs = fz_join(fz_tmpdir(), "logs");

	(void)argc;
	(void)argv;
	fz_mkdirs(logs);
	confirm_path = fz_join(logs, SK_CONFIRM_NAME);
	free(logs);
	return 0;
}

/* One line of valid UTF-8 (RFC 3629) without C0, DEL, C1, U+2028 or
 * U+2029; NULL passes. */
static void clean_text(const char *what, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (p && *p) {
		unsigned c = *p;
		int n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 :
			c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
		unsigned cp = n == 0 ? c : n == 1 ? c & 0x1f : n == 2 ? c & 0x0f :
								    c & 0x07;

		if (n < 0)
			goto bad;
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				goto bad;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			goto bad;
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 ||
		    cp == 0x2029)
			goto bad;
		p += n + 1;
	}
	return;
bad:
	fprintf(stderr, "finding: audit %s is not clean one-line UTF-8 at byte %zu: '%s'\n",
		what, (size_t)(p - (const unsigned char *)s), s);
	abort();
}

static void audit(json_object *doc)
{
	struct sk_audit a;

	if (sk_audit_from_doc(&a, doc) != 0)
		return;
	if (a.n == 0)
		abort(); /* the summary is always there */
	clean_text("package", a.package);
	clean_text("version", a.version);
	clean_text("job_id", a.job_id);
	clean_text("ts", a.ts);
	for (size_t i = 0; i < a.n; i++) {
		if (!a.msgs[i].msg)
			abort();
		clean_text("action", a.msgs[i].action);
		clean_text("message", a.msgs[i].msg);
	}
	sk_audit_release(&a);
}

/* What --resume does with a loaded record, in memory only. */
static void resume(struct sk_confirm *c)
{
	sk_confirm_result(c);
	sk_confirm_suspend_reason(c);
	for (size_t i = 0; i < c->n; i++)
		if (sk_confirm_status(c, i) == SK_ST_RUNNING)
			sk_confirm_action_requeue(c, i);
	sk_confirm_resumed(c, sk_confirm_suspend_reason(c));
	sk_confirm_job(c, "fuzz-job");
	if (!sk_confirm_text(c))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_confirm c;
	json_object *doc, *params;
	const char *why = NULL;
	char *message;
	int code;

	fz_write(confirm_path, data, size, 0644);
	if (sk_confirm_load(&c, confirm_path, NULL, &why) == 0)
		resume(&c);
	else if (!why)
		abort(); /* refused without saying why */
	sk_confirm_release(&c);

	if (sk_confirm_read(confirm_path, &doc, &why) != 0)
		return 0;
	supd_record_job(doc);
	supd_record_final(doc);
	if (supd_record_outcome(doc, &code, &message, &params) == 0) {
		if (!params || (code != 0 && !message))
			abort(); /* a failed job must say why */
		free(message);
		json_object_put(params);
	}
	audit(doc);
	json_object_put(doc);
	return 0;
}
