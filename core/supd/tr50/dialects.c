/* SPDX-License-Identifier: MIT */
/* dialects.c - what a portal's refusal means, whatever its dialect: an
 * authentication failure (re-authenticate once), or a message already
 * completed (docs/tr50.md, "Portal dialects"). */
#include "internal.h"

#include <string.h>
#include <strings.h>

#include <json-c/json.h>

/* Words of a refusal that can mean the session is not valid. No public
 * source names the code or the wording of an expired session, so any
 * message in this neighbourhood counts: a wrong guess costs one more
 * api.authenticate and one more try of the command, never a loop. */
static const char *const auth_words[] = {
	"session", /* "invalid or expired session", "session expired" */
	"auth",	   /* authentication, unauthenticated, unauthorized */
	"login",     "log in",	      "logged in",
	"sign in",   "credential",    "token",
	"forbidden", "access denied", "permission denied",
	NULL,
};

/* "already" with one of these: an ack of a completed message. */
static const char *const done_after_already[] = {
	"complete", "ack", "closed", "done", "processed", "finished", NULL,
};

/* Other wordings of a completed message. */
static const char *const done_words[] = {
	"is completed",	      "was completed",	     "been completed",
	"status completed",   "status is completed", "state completed",
	"state is completed", "not pending",	     NULL,
};

/* Error codes known to mean an invalid session (the legacy simulator's
 * -90008 and the refusal of api.authenticate, -90002) and an ack of a
 * completed message (-90012). */
static const int auth_codes[] = {-90002, -90008};
#define TR50_CODE_DONE (-90012)

/* Does text (not NUL-safe: the first NUL ends it) contain any of words,
 * ignoring ASCII case? */
static bool has_any(const char *text, const char *const *words)
{
	for (; *words; words++) {
		if (strcasestr(text, *words))
			return true;
	}
	return false;
}

static bool has_code(struct json_object *codes, const int *set, size_t n)
{
	size_t len;

	if (!json_object_is_type(codes, json_type_array))
		return false;
	len = json_object_array_length(codes);
	for (size_t i = 0; i < len; i++) {
		struct json_object *v = json_object_array_get_idx(codes, i);

		if (!json_object_is_type(v, json_type_int))
			continue;
		for (size_t k = 0; k < n; k++) {
			if (json_object_get_int64(v) == set[k])
				return true;
		}
	}
	return false;
}

/* The i-th string of msgs, or NULL. */
static const char *msg_at(struct json_object *msgs, size_t i)
{
	struct json_object *v = json_object_array_get_idx(msgs, i);

	return json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static size_t msg_count(struct json_object *msgs)
{
	return json_object_is_type(msgs, json_type_array)
		       ? json_object_array_length(msgs)
		       : 0;
}

static bool msg_is_auth(const char *m)
{
	return m && has_any(m, auth_words);
}

bool supd_tr50_is_auth_refusal(struct json_object *codes,
			     struct json_object *msgs)
{
	if (has_code(codes, auth_codes,
		     sizeof(auth_codes) / sizeof(auth_codes[0])))
		return true;
	for (size_t i = 0; i < msg_count(msgs); i++) {
		if (msg_is_auth(msg_at(msgs, i)))
			return true;
	}
	return false;
}

bool supd_tr50_is_done_refusal(struct json_object *codes,
			     struct json_object *msgs)
{
	static const int done[] = {TR50_CODE_DONE};

	if (has_code(codes, done, 1))
		return true;
	for (size_t i = 0; i < msg_count(msgs); i++) {
		const char *m = msg_at(msgs, i);

		/* "session already closed" is no completed message. */
		if (!m || msg_is_auth(m))
			continue;
		if ((strcasestr(m, "already") &&
		     has_any(m, done_after_already)) ||
		    has_any(m, done_words))
			return true;
	}
	return false;
}

/* The errorCodes and errorMessages members of a refused result (either
 * may be NULL). */
void tr50_refusal_of(struct json_object *res, struct json_object **codes,
		     struct json_object **msgs)
{
	*codes = *msgs = NULL;
	if (!json_object_is_type(res, json_type_object))
		return;
	json_object_object_get_ex(res, "errorCodes", codes);
	json_object_object_get_ex(res, "errorMessages", msgs);
}

bool tr50_result_is_auth_refusal(struct json_object *res)
{
	struct json_object *codes, *msgs;

	tr50_refusal_of(res, &codes, &msgs);
	return supd_tr50_is_auth_refusal(codes, msgs);
}
