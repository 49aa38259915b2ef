/* SPDX-License-Identifier: MIT */
/*
 * internal.h - what the parts of the TR50 client share: the client's
 * state, and the request, reply and error helpers of session.c used by
 * the commands (commands.c) and the transfers (transfer.c). Not for use
 * outside core/supd/tr50/.
 */
#ifndef SUPD_TR50_INTERNAL_H
#define SUPD_TR50_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "base/util.h"
#include "tr50.h"

#define TR50_MAX_REPLY (4 * 1024 * 1024)
#define TR50_JSON_DEPTH 32
#define TR50_CHUNK (64 * 1024)
#define TR50_MAX_TIMEOUT (7L * 24 * 3600)

struct supd_tr50 {
	/* The current request's handle: a new one for every request (see
	 * tr50_setup_request), so nothing of a reply outlives it. */
	CURL *curl;
	/* Requests made from a download's progress callback, while curl is
	 * busy with the download. */
	CURL *side;
	/* What requests share: open connections, DNS answers, TLS
	 * sessions. */
	CURLSH *share;
	char *endpoint; /* without trailing slashes */
	char *api_url;
	char *app_id;
	char *app_token;
	char *thing_key;
	char *ca_bundle;
	bool insecure;
	long connect_timeout_s;
	long request_timeout_s;
	char *session; /* NULL until authenticated */
	/* The session dropped last: a portal may still echo it in the reply
	 * to the retry, so it is blanked from messages too. */
	char *old_session;
	char curl_err[CURL_ERROR_SIZE];
	/* Stall watch of the current transfer. */
	curl_off_t moved;   /* bytes up and down so far */
	long long moved_ms; /* when the count last changed */
	bool stalled;
	bool cancelled;
	volatile sig_atomic_t *cancel;
};

/* A reply body collected in memory, at most TR50_MAX_REPLY bytes. */
struct tr50_membuf {
	char *data;
	size_t len;
	bool too_big;
	bool oom;
};

/* Set err (if given) and return status. Text that may come from the
 * portal is in the message already quoted by sk_show(); the app token and
 * the session id are blanked in case the portal echoed them. */
int __attribute__((format(printf, 5, 6)))
tr50_fail(const struct supd_tr50 *t, struct supd_tr50_err *err, int status,
	  int code, const char *fmt, ...);

const char *tr50_show(const char *s, char buf[SK_SHOW_MAX]);

/* A new handle in t->curl with the options every request gets; the
 * connections stay in t->share. */
int tr50_setup_request(struct supd_tr50 *t, const char *url, bool transfer,
		       struct curl_slist *headers);

const char *tr50_curl_why(struct supd_tr50 *t, CURLcode r);

size_t tr50_membuf_write(char *ptr, size_t size, size_t n, void *data);

/* Parse a reply body into an object; NULL with *why set otherwise. */
struct json_object *tr50_parse_reply(const char *text, size_t len,
				     const char **why);

/* HTTP statuses that can mean a missing, expired or refused session
 * (docs/tr50.md: the TR50 sources are silent on them, so both count). */
bool tr50_http_auth_status(long status);

/* A string member of o, NULL if absent, not a string, empty, longer than
 * max or holding a NUL byte. */
const char *tr50_get_str(struct json_object *o, const char *key, size_t max);

/* Add val (consumed, even on failure) under key; a NULL o or val, or a
 * failed add, clears *ok. Lets a request be built without a check per
 * line. */
void tr50_add(struct json_object *o, const char *key, struct json_object *val,
	      bool *ok);

/* 1 if the command result says success, 0 if it says failure (with the
 * portal's first code and message in *code and buf), -1 if it is no
 * result at all. */
int tr50_result_status(struct json_object *res, int *code,
		       char buf[SK_SHOW_MAX]);

/* The errorCodes and errorMessages members of a refused result (either
 * may be NULL). */
void tr50_refusal_of(struct json_object *res, struct json_object **codes,
		     struct json_object **msgs);

bool tr50_result_is_auth_refusal(struct json_object *res);

/* Forget the session; it is kept as old_session (only to be blanked from
 * messages) until the next one is dropped. */
void tr50_drop_session(struct supd_tr50 *t);

/*
 * supd_tr50_call with what naming the command (and its subject) in
 * messages. On SUPD_TR50_ECMD, *refused (if not NULL) gets the refused
 * result, owned by the caller, for a closer look at its codes and
 * messages.
 */
int tr50_call(struct supd_tr50 *t, const char *what, const char *command,
	      struct json_object *params, struct json_object **reply,
	      struct json_object **refused, struct supd_tr50_err *err);

/* <endpoint>/file/<id>, the id escaped; NULL on allocation failure. */
char *tr50_file_url(struct supd_tr50 *t, const char *file_id);

#endif
