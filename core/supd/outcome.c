/* SPDX-License-Identifier: MIT */
/* outcome.c - the install record (confirmation.json) as a job's answer. */
#include "outcome.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "record/audit.h"
#include "record/confirm.h"

const char *supd_record_job(json_object *doc)
{
	return sk_confirm_str(doc, "job_id");
}

const char *supd_record_result(json_object *doc)
{
	const char *r = sk_confirm_str(doc, "result");

	return r ? r : "";
}

bool supd_record_final(json_object *doc)
{
	const char *r = supd_record_result(doc);

	return !strcmp(r, "succeeded") || !strcmp(r, "failed") ||
	       !strcmp(r, "rejected");
}

/* {"package", "version", "succeeded", "failed", "skipped"} of doc. */
static json_object *outcome_params(json_object *doc)
{
	json_object *p = json_object_new_object(), *pkg = NULL, *acts;
	long long n_ok = 0, n_failed = 0, n_skipped = 0;
	const char *name, *version;

	if (!p)
		return NULL;
	if (json_object_object_get_ex(doc, "package", &pkg) &&
	    !json_object_is_type(pkg, json_type_object))
		pkg = NULL;
	name = sk_confirm_str(pkg, "name");
	version = sk_confirm_str(pkg, "version");
	if (json_object_object_get_ex(doc, "actions", &acts) &&
	    json_object_is_type(acts, json_type_array)) {
		size_t n = json_object_array_length(acts);

		for (size_t i = 0; i < n; i++) {
			const char *st = sk_confirm_str(
				json_object_array_get_idx(acts, i), "status");

			if (!st)
				continue;
			if (!strcmp(st, "succeeded"))
				n_ok++;
			else if (!strcmp(st, "failed"))
				n_failed++;
			else if (!strcmp(st, "skipped"))
				n_skipped++;
		}
	}
	json_object_object_add(p, "package",
			       name ? json_object_new_string(name) : NULL);
	json_object_object_add(p, "version", version ?
			       json_object_new_string(version) : NULL);
	json_object_object_add(p, "succeeded", json_object_new_int64(n_ok));
	json_object_object_add(p, "failed", json_object_new_int64(n_failed));
	json_object_object_add(p, "skipped", json_object_new_int64(n_skipped));
	return p;
}

int supd_record_outcome(json_object *doc, int *code, char **message,
			json_object **params)
{
	const char *result = supd_record_result(doc), *m = NULL;
	struct sk_audit a;
	json_object *err;
	bool have_audit;

	*message = NULL;
	*params = outcome_params(doc);
	if (!*params)
		return -ENOMEM;
	if (!strcmp(result, "succeeded")) {
		*code = SUPD_ACK_OK;
		return 0;
	}
	*code = !strcmp(result, "rejected") ? SUPD_ACK_REJECTED :
					      SUPD_ACK_FAILED;
	/* The audit summary names the failed action (or the first problem)
	 * and why, as one clean line; the record's error is the fallback. */
	have_audit = sk_audit_from_doc(&a, doc) == 0 && a.n > 0;
	if (have_audit) {
		*message = strdup(a.msgs[a.n - 1].msg);
		sk_audit_release(&a);
	} else {
		if (json_object_object_get_ex(doc, "error", &err))
			m = sk_confirm_str(err, "message");
		*message = strdup(m && *m ? m : "the install did not succeed");
	}
	if (!*message) {
		json_object_put(*params);
		*params = NULL;
		return -ENOMEM;
	}
	return 0;
}
