/* SPDX-License-Identifier: MIT */
/* commands.c - the TR50 commands supd uses: mailbox.check, .update and
 * .ack, log.publish, file.get. */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

/* --- the commands supd uses --- */

int supd_tr50_mailbox_check(struct supd_tr50 *t, int limit,
			  struct json_object **messages,
			  struct supd_tr50_err *err)
{
	struct json_object *params, *reply = NULL, *m = NULL;
	bool ok = true;
	int rc;

	*messages = NULL;
	params = json_object_new_object();
	tr50_add(params, "autoComplete", json_object_new_boolean(0), &ok);
	tr50_add(params, "limit", json_object_new_int(limit), &ok);
	if (!ok) {
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0,
			       "mailbox.check: out of memory");
		goto out;
	}
	rc = tr50_call(t, "mailbox.check", "mailbox.check", params, &reply,
		       NULL, err);
	if (rc)
		goto out;
	/* An empty mailbox may come back without params or messages. */
	if (reply && json_object_object_get_ex(reply, "messages", &m) &&
	    !json_object_is_type(m, json_type_array)) {
		rc = tr50_fail(
			t, err, SUPD_TR50_EDATA, 0,
			"mailbox.check: reply from %s has a messages member that is not an array",
			t->api_url);
		goto out;
	}
	if (m)
		*messages = json_object_get(m);
	else
		*messages = json_object_new_array();
	if (!*messages)
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0,
			       "mailbox.check: out of memory");
out:
	json_object_put(reply);
	json_object_put(params);
	return rc;
}

int supd_tr50_mailbox_update(struct supd_tr50 *t, const char *id, const char *msg,
			   struct supd_tr50_err *err)
{
	struct json_object *params = json_object_new_object();
	char buf[SK_SHOW_MAX], *what;
	bool ok = true;
	int rc;

	what = sk_asprintf("mailbox.update '%s'", tr50_show(id, buf));
	tr50_add(params, "id", json_object_new_string(id), &ok);
	tr50_add(params, "msg", json_object_new_string(msg), &ok);
	if (!ok || !what)
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0,
			       "mailbox.update: out of memory");
	else
		rc = tr50_call(t, what, "mailbox.update", params, NULL, NULL,
			       err);
	free(what);
	json_object_put(params);
	return rc;
}

int supd_tr50_mailbox_ack(struct supd_tr50 *t, const char *id, int error_code,
			const char *error_message, struct json_object *params,
			struct supd_tr50_err *err)
{
	struct json_object *p = json_object_new_object(), *refused = NULL;
	struct json_object *codes, *msgs;
	char buf[SK_SHOW_MAX], *what;
	bool ok = true;
	int rc;

	what = sk_asprintf("mailbox.ack '%s'", tr50_show(id, buf));
	tr50_add(p, "id", json_object_new_string(id), &ok);
	tr50_add(p, "errorCode", json_object_new_int(error_code), &ok);
	if (error_message)
		tr50_add(p, "errorMessage",
			 json_object_new_string(error_message), &ok);
	if (params)
		tr50_add(p, "params", json_object_get(params), &ok);
	if (!ok || !what)
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0,
			       "mailbox.ack: out of memory");
	else
		rc = tr50_call(t, what, "mailbox.ack", p, NULL, &refused, err);
	/* By meaning, not by one code: portals word this differently. */
	tr50_refusal_of(refused, &codes, &msgs);
	if (rc == SUPD_TR50_ECMD && supd_tr50_is_done_refusal(codes, msgs))
		rc = SUPD_TR50_EDONE;
	json_object_put(refused);
	free(what);
	json_object_put(p);
	return rc;
}

int supd_tr50_log_publish(struct supd_tr50 *t, const char *msg, int level,
			struct supd_tr50_err *err)
{
	struct json_object *p = json_object_new_object();
	bool ok = true;
	int rc;

	tr50_add(p, "thingKey", json_object_new_string(t->thing_key), &ok);
	tr50_add(p, "msg", json_object_new_string(msg), &ok);
	tr50_add(p, "level", json_object_new_int(level), &ok);
	if (!ok)
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0,
			       "log.publish: out of memory");
	else
		rc = tr50_call(t, "log.publish", "log.publish", p, NULL, NULL,
			       err);
	json_object_put(p);
	return rc;
}

/* An integer member of o in [min, max]. json-c gives INT64_MAX for any
 * bigger number, so max should stay below it. */
static bool get_int(struct json_object *o, const char *key, int64_t min,
		    int64_t max, int64_t *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return *out >= min && *out <= max;
}

int supd_tr50_file_get(struct supd_tr50 *t, const char *file_name,
		     struct supd_tr50_file *out, struct supd_tr50_err *err)
{
	struct json_object *p = json_object_new_object(), *reply = NULL;
	char buf[SK_SHOW_MAX], *what;
	const char *id;
	int64_t size, crc;
	bool ok = true;
	int rc;

	memset(out, 0, sizeof(*out));
	what = sk_asprintf("file.get '%s'", tr50_show(file_name, buf));
	tr50_add(p, "fileName", json_object_new_string(file_name), &ok);
	tr50_add(p, "global", json_object_new_boolean(1), &ok);
	if (!ok || !what) {
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0,
			       "file.get: out of memory");
		goto out;
	}
	rc = tr50_call(t, what, "file.get", p, &reply, NULL, err);
	if (rc)
		goto out;
	id = reply ? tr50_get_str(reply, "fileId", 1024) : NULL;
	/* crc32 is unsigned; a portal that sends it as a signed 32-bit
	 * number means the same bits. */
	if (!id || !get_int(reply, "fileSize", 0, INT64_MAX - 1, &size) ||
	    !get_int(reply, "crc32", INT32_MIN, UINT32_MAX, &crc)) {
		rc = tr50_fail(
			t, err, SUPD_TR50_EDATA, 0,
			"%s: reply from %s lacks a valid fileId, fileSize or crc32",
			what, t->api_url);
		goto out;
	}
	out->file_id = strdup(id);
	if (!out->file_id) {
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0, "%s: out of memory",
			       what);
		goto out;
	}
	out->size = (uint64_t)size;
	out->crc32 = (uint32_t)crc;
out:
	free(what);
	json_object_put(reply);
	json_object_put(p);
	return rc;
}

/* <endpoint>/file/<id>, the id escaped; NULL on allocation failure. */
char *tr50_file_url(struct supd_tr50 *t, const char *file_id)
{
	char *esc = curl_easy_escape(t->curl, file_id, 0), *url;

	if (!esc)
		return NULL;
	url = sk_asprintf("%s/file/%s", t->endpoint, esc);
	curl_free(esc);
	return url;
}
