/* SPDX-License-Identifier: MIT */
/* tr50.c - TR50 client over HTTP(S): libcurl for HTTP, json-c for JSON,
 * zlib for CRC-32. */
#include "tr50.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <zlib.h>

#include "util.h"

#define TR50_MAX_REPLY (4 * 1024 * 1024)
#define TR50_JSON_DEPTH 32
#define TR50_CHUNK (64 * 1024)
#define TR50_MAX_TIMEOUT (7L * 24 * 3600)

struct sk_tr50 {
	CURL *curl;
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
	curl_off_t moved;     /* bytes up and down so far */
	long long moved_ms;   /* when the count last changed */
	bool stalled;
	bool cancelled;
	volatile sig_atomic_t *cancel;
};

void sk_tr50_err_release(struct sk_tr50_err *e)
{
	if (!e)
		return;
	free(e->message);
	e->message = NULL;
	e->code = 0;
}

void sk_tr50_file_release(struct sk_tr50_file *f)
{
	if (!f)
		return;
	free(f->file_id);
	f->file_id = NULL;
}

/* --- errors --- */

/* msg with every occurrence of secret replaced (msg is freed if a new
 * string is made); NULL if memory ran out. */
static char *redact(char *msg, const char *secret)
{
	static const char mark[] = "[redacted]";
	size_t slen = secret ? strlen(secret) : 0, from = 0;
	char *hit, *out;

	/* A secret of a few bytes would also blank innocent text; such
	 * short tokens are not secrets worth the name anyway. */
	if (!msg || slen < 4)
		return msg;
	/* Search on after each mark: it may hold the secret itself. */
	while ((hit = strstr(msg + from, secret))) {
		from = (size_t)(hit - msg) + sizeof(mark) - 1;
		out = sk_asprintf("%.*s%s%s", (int)(hit - msg), msg, mark,
				  hit + slen);
		free(msg);
		if (!out)
			return NULL;
		msg = out;
	}
	return msg;
}

/* Set err (if given) and return status. Text that may come from the
 * portal is in the message already quoted by sk_show(); the app token and
 * the session id are blanked in case the portal echoed them. */
static int __attribute__((format(printf, 5, 6)))
fail(const struct sk_tr50 *t, struct sk_tr50_err *err, int status, int code,
     const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (!err)
		return status;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (t) {
		msg = redact(msg, t->app_token);
		msg = redact(msg, t->session);
		msg = redact(msg, t->old_session);
	}
	free(err->message);
	err->message = msg;
	err->code = code;
	return status;
}

static const char *show(const char *s, char buf[SK_SHOW_MAX])
{
	return sk_show(s ? s : "", s ? strlen(s) : 0, buf);
}

/* --- setup --- */

static bool has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Endpoint text we are willing to put into URLs and messages. */
static int check_endpoint(const char *ep, bool insecure,
			  struct sk_tr50_err *err)
{
	char buf[SK_SHOW_MAX];
	const char *host, *end;

	if (!ep || !*ep)
		return fail(NULL, err, SK_TR50_ELOCAL, 0, "no portal endpoint");
	for (const char *p = ep; *p; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return fail(NULL, err, SK_TR50_ELOCAL, 0,
				    "endpoint '%s' holds a space or control character",
				    show(ep, buf));
	}
	if (has_prefix_ci(ep, "https://")) {
		host = ep + 8;
	} else if (has_prefix_ci(ep, "http://")) {
		if (!insecure)
			return fail(NULL, err, SK_TR50_ELOCAL, 0,
				    "endpoint '%s' is plain http: https is required unless insecure is set",
				    show(ep, buf));
		host = ep + 7;
	} else {
		return fail(NULL, err, SK_TR50_ELOCAL, 0,
			    "endpoint '%s' is not an https:// URL",
			    show(ep, buf));
	}
	end = host + strcspn(host, "/?#");
	if (end == host)
		return fail(NULL, err, SK_TR50_ELOCAL, 0,
			    "endpoint '%s' has no host", show(ep, buf));
	/* Credentials in the URL would end up in every error message. */
	if (memchr(host, '@', (size_t)(end - host)))
		return fail(NULL, err, SK_TR50_ELOCAL, 0,
			    "endpoint must not hold user credentials");
	if (strpbrk(host, "?#"))
		return fail(NULL, err, SK_TR50_ELOCAL, 0,
			    "endpoint '%s' has a query or fragment",
			    show(ep, buf));
	return SK_TR50_OK;
}

static int dup_opt(char **dst, const char *src, const char *what,
		   bool required, struct sk_tr50_err *err)
{
	if (!src || !*src) {
		if (required)
			return fail(NULL, err, SK_TR50_ELOCAL, 0,
				    "no %s in the portal options", what);
		return SK_TR50_OK;
	}
	*dst = strdup(src);
	if (!*dst)
		return fail(NULL, err, SK_TR50_ELOCAL, 0, "out of memory");
	return SK_TR50_OK;
}

/* A timeout in seconds: def when unset, at most a week (which keeps the
 * millisecond sums below far from overflow). */
static long timeout_or(long v, long def)
{
	if (v <= 0)
		return def;
	return v < TR50_MAX_TIMEOUT ? v : TR50_MAX_TIMEOUT;
}

int sk_tr50_new(struct sk_tr50 **out, const struct sk_tr50_opts *o,
		struct sk_tr50_err *err)
{
	struct sk_tr50 *t;
	size_t len;
	int rc;

	*out = NULL;
	rc = check_endpoint(o->endpoint, o->insecure, err);
	if (rc)
		return rc;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return fail(NULL, err, SK_TR50_ELOCAL, 0,
			    "cannot initialise libcurl");
	t = calloc(1, sizeof(*t));
	if (!t) {
		curl_global_cleanup();
		return fail(NULL, err, SK_TR50_ELOCAL, 0, "out of memory");
	}
	if ((rc = dup_opt(&t->endpoint, o->endpoint, "endpoint", true, err)) ||
	    (rc = dup_opt(&t->app_id, o->app_id, "app_id", true, err)) ||
	    (rc = dup_opt(&t->app_token, o->app_token, "app_token", true,
			  err)) ||
	    (rc = dup_opt(&t->thing_key, o->thing_key, "thing_key", true,
			  err)) ||
	    (rc = dup_opt(&t->ca_bundle, o->ca_bundle, "ca_bundle", false,
			  err)))
		goto out;
	len = strlen(t->endpoint);
	while (len > 0 && t->endpoint[len - 1] == '/')
		t->endpoint[--len] = '\0';
	t->api_url = sk_asprintf("%s/api", t->endpoint);
	t->curl = curl_easy_init();
	if (!t->api_url || !t->curl) {
		rc = fail(NULL, err, SK_TR50_ELOCAL, 0,
			  "cannot set up the HTTP client: out of memory");
		goto out;
	}
	t->insecure = o->insecure;
	t->cancel = o->cancel;
	t->connect_timeout_s = timeout_or(o->connect_timeout_s, 15);
	t->request_timeout_s = timeout_or(o->request_timeout_s, 60);
	*out = t;
	return SK_TR50_OK;
out:
	sk_tr50_free(t);
	return rc;
}

void sk_tr50_free(struct sk_tr50 *t)
{
	if (!t)
		return;
	if (t->curl)
		curl_easy_cleanup(t->curl);
	free(t->endpoint);
	free(t->api_url);
	free(t->app_id);
	if (t->app_token) {
		explicit_bzero(t->app_token, strlen(t->app_token));
		free(t->app_token);
	}
	free(t->thing_key);
	free(t->ca_bundle);
	if (t->session) {
		explicit_bzero(t->session, strlen(t->session));
		free(t->session);
	}
	if (t->old_session) {
		explicit_bzero(t->old_session, strlen(t->old_session));
		free(t->old_session);
	}
	free(t);
	curl_global_cleanup();
}

/* Abort a transfer (CURLE_ABORTED_BY_CALLBACK) that moved nothing for
 * request_timeout_s, or that the caller cancelled. */
static int stall_watch(void *data, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct sk_tr50 *t = data;
	long long now = sk_now_ms();

	(void)dltotal;
	(void)ultotal;
	if (t->cancel && *t->cancel) {
		t->cancelled = true;
		return 1;
	}
	if (dlnow + ulnow != t->moved) {
		t->moved = dlnow + ulnow;
		t->moved_ms = now;
		return 0;
	}
	if (now - t->moved_ms < t->request_timeout_s * 1000)
		return 0;
	t->stalled = true;
	return 1;
}

/* Options every request gets; the handle keeps its connections. */
static int setup_request(struct sk_tr50 *t, const char *url, bool transfer,
			 struct curl_slist *headers)
{
	CURL *c = t->curl;
	const char *protos = t->insecure ? "http,https" : "https";
	CURLcode r = CURLE_OK;

	curl_easy_reset(c);
	t->curl_err[0] = '\0';
#define SET(opt, val)                                      \
	do {                                               \
		if (r == CURLE_OK)                         \
			r = curl_easy_setopt(c, opt, val); \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, protos);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, t->curl_err);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (t->ca_bundle)
		SET(CURLOPT_CAINFO, t->ca_bundle);
	SET(CURLOPT_CONNECTTIMEOUT, t->connect_timeout_s);
	SET(CURLOPT_USERAGENT, "supkit/" SUPKIT_VERSION);
	SET(CURLOPT_HTTPHEADER, headers);
	if (transfer) {
		/* Files may be large: no total limit, but give up when no
		 * byte moved for request_timeout_s. (CURLOPT_LOW_SPEED_*
		 * averages over a window and misses a stall that follows
		 * a burst.) */
		t->moved = 0;
		t->moved_ms = sk_now_ms();
		t->stalled = false;
		t->cancelled = false;
		SET(CURLOPT_NOPROGRESS, 0L);
		SET(CURLOPT_XFERINFOFUNCTION, stall_watch);
		SET(CURLOPT_XFERINFODATA, t);
	} else {
		SET(CURLOPT_TIMEOUT, t->request_timeout_s);
	}
#undef SET
	return r == CURLE_OK ? 0 : -1;
}

static const char *curl_why(struct sk_tr50 *t, CURLcode r)
{
	if (r == CURLE_ABORTED_BY_CALLBACK && t->cancelled)
		return "cancelled: stopping";
	if (r == CURLE_ABORTED_BY_CALLBACK && t->stalled) {
		snprintf(t->curl_err, sizeof(t->curl_err),
			 "no data for %ld s", t->request_timeout_s);
		return t->curl_err;
	}
	return t->curl_err[0] ? t->curl_err : curl_easy_strerror(r);
}

/* --- the API request --- */

struct membuf {
	char *data;
	size_t len;
	bool too_big;
	bool oom;
};

static size_t membuf_write(char *ptr, size_t size, size_t n, void *data)
{
	struct membuf *b = data;
	size_t len = size * n; /* curl: size is always 1 */
	char *p;

	if (len > TR50_MAX_REPLY - b->len) {
		b->too_big = true;
		return 0;
	}
	p = realloc(b->data, b->len + len + 1);
	if (!p) {
		b->oom = true;
		return 0;
	}
	memcpy(p + b->len, ptr, len);
	b->data = p;
	b->len += len;
	p[b->len] = '\0';
	return len;
}

/* Parse a reply body into an object; NULL with *why set otherwise. */
static struct json_object *parse_reply(const char *text, size_t len,
				       const char **why)
{
	struct json_tokener *tok;
	struct json_object *root;
	enum json_tokener_error e;
	size_t end;

	/* json-c takes an int length; the cap keeps us far below. */
	tok = json_tokener_new_ex(TR50_JSON_DEPTH);
	if (!tok) {
		*why = "out of memory";
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text ? text : "", (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (e == json_tokener_continue) {
		*why = "it ends early";
	} else if (e != json_tokener_success) {
		*why = json_tokener_error_desc(e);
	} else if (!json_object_is_type(root, json_type_object)) {
		*why = "it is not an object";
	} else {
		/* strchr() would match the NUL byte too. */
		while (end < len && text[end] != '\0' &&
		       strchr(" \t\r\n", text[end]))
			end++;
		if (end == len)
			return root;
		*why = "data follows the JSON value";
	}
	json_object_put(root);
	return NULL;
}

/* HTTP statuses that can mean a missing, expired or refused session
 * (docs/tr50.md: the TR50 sources are silent on them, so both count). */
static bool http_auth_status(long status)
{
	return status == 401 || status == 403;
}

/*
 * POST body to <endpoint>/api and parse the reply. what names the request
 * in messages. Returns SK_TR50_OK with *out, or ENET / EDATA / ELOCAL;
 * *http gets the reply's HTTP status (0 without one).
 */
static int post_api(struct sk_tr50 *t, const char *what,
		    struct json_object *body, struct json_object **out,
		    long *http, struct sk_tr50_err *err)
{
	struct curl_slist *headers = NULL, *h;
	struct membuf buf = { 0 };
	const char *text, *why = NULL;
	size_t tlen;
	long status = 0;
	CURLcode r;
	int rc;

	*out = NULL;
	*http = 0;
	text = json_object_to_json_string_length(
		body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		&tlen);
	h = curl_slist_append(headers, "Content-Type: application/json");
	if (h)
		headers = h;
	/* No "Expect: 100-continue" round trip for small bodies. */
	h = h ? curl_slist_append(headers, "Expect:") : NULL;
	if (!text || !h) {
		rc = fail(t, err, SK_TR50_ELOCAL, 0, "%s: out of memory",
			  what);
		goto out;
	}
	headers = h;
	if (setup_request(t, t->api_url, false, headers) ||
	    curl_easy_setopt(t->curl, CURLOPT_POSTFIELDS, text) ||
	    curl_easy_setopt(t->curl, CURLOPT_POSTFIELDSIZE_LARGE,
			     (curl_off_t)tlen) ||
	    curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, membuf_write) ||
	    curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, &buf)) {
		rc = fail(t, err, SK_TR50_ELOCAL, 0,
			  "%s: cannot set up the request to %s", what,
			  t->api_url);
		goto out;
	}
	r = curl_easy_perform(t->curl);
	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
	*http = status;
	if (buf.too_big) {
		rc = fail(t, err, SK_TR50_EDATA, 0,
			  "%s: reply from %s is larger than %d bytes", what,
			  t->api_url, TR50_MAX_REPLY);
		goto out;
	}
	if (buf.oom) {
		rc = fail(t, err, SK_TR50_ELOCAL, 0,
			  "%s: out of memory for the reply from %s", what,
			  t->api_url);
		goto out;
	}
	if (r != CURLE_OK) {
		rc = fail(t, err, SK_TR50_ENET, 0, "%s: request to %s failed: %s",
			  what, t->api_url, curl_why(t, r));
		goto out;
	}
	if (status < 200 || status > 299) {
		rc = fail(t, err, SK_TR50_ENET, 0, "%s: HTTP %ld from %s", what,
			  status, t->api_url);
		goto out;
	}
	*out = parse_reply(buf.data, buf.len, &why);
	rc = *out ? SK_TR50_OK
		  : fail(t, err, SK_TR50_EDATA, 0,
			 "%s: reply from %s is not valid JSON: %s", what,
			 t->api_url, why);
out:
	curl_slist_free_all(headers);
	free(buf.data);
	return rc;
}

/* A string member of o, NULL if absent, not a string, empty, longer than
 * max or holding a NUL byte. */
static const char *get_str(struct json_object *o, const char *key,
			   size_t max)
{
	struct json_object *v;
	const char *s;
	int len;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	len = json_object_get_string_len(v);
	if (len <= 0 || (size_t)len > max || strlen(s) != (size_t)len)
		return NULL;
	return s;
}

/* Add val (consumed, even on failure) under key; a NULL o or val, or a
 * failed add, clears *ok. Lets a request be built without a check per
 * line. */
static void add(struct json_object *o, const char *key,
		struct json_object *val, bool *ok)
{
	if (!o || !val || json_object_object_add(o, key, val)) {
		json_object_put(val);
		*ok = false;
	}
}

/* 1 if the command result says success, 0 if it says failure (with the
 * portal's first code and message in *code and buf), -1 if it is no
 * result at all. */
static int result_status(struct json_object *res, int *code,
			 char buf[SK_SHOW_MAX])
{
	struct json_object *v, *a;

	*code = 0;
	snprintf(buf, SK_SHOW_MAX, "no message");
	if (!json_object_is_type(res, json_type_object) ||
	    !json_object_object_get_ex(res, "success", &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return -1;
	if (json_object_get_boolean(v))
		return 1;
	if (json_object_object_get_ex(res, "errorCodes", &a) &&
	    json_object_is_type(a, json_type_array) &&
	    json_object_array_length(a) > 0) {
		v = json_object_array_get_idx(a, 0);
		if (json_object_is_type(v, json_type_int))
			*code = json_object_get_int(v);
	}
	if (json_object_object_get_ex(res, "errorMessages", &a) &&
	    json_object_is_type(a, json_type_array) &&
	    json_object_array_length(a) > 0) {
		v = json_object_array_get_idx(a, 0);
		if (json_object_is_type(v, json_type_string))
			sk_show(json_object_get_string(v),
				(size_t)json_object_get_string_len(v), buf);
	}
	return 0;
}

/* --- portal dialects (docs/tr50.md, "Portal dialects") --- */

/* Words of a refusal that can mean the session is not valid. No public
 * source names the code or the wording of an expired session, so any
 * message in this neighbourhood counts: a wrong guess costs one more
 * api.authenticate and one more try of the command, never a loop. */
static const char *const auth_words[] = {
	"session",	/* "invalid or expired session", "session expired" */
	"auth",		/* authentication, unauthenticated, unauthorized */
	"login",	"log in",	"logged in",	"sign in",
	"credential",	"token",	"forbidden",	"access denied",
	"permission denied",
	NULL,
};

/* "already" with one of these: an ack of a completed message. */
static const char *const done_after_already[] = {
	"complete", "ack", "closed", "done", "processed", "finished", NULL,
};

/* Other wordings of a completed message. */
static const char *const done_words[] = {
	"is completed",	    "was completed",	"been completed",
	"status completed", "status is completed", "state completed",
	"state is completed", "not pending",	NULL,
};

/* Error codes known to mean an invalid session (the legacy simulator's
 * -90008 and the refusal of api.authenticate, -90002) and an ack of a
 * completed message (-90012). */
static const int auth_codes[] = { -90002, -90008 };
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

bool sk_tr50_is_auth_refusal(struct json_object *codes,
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

bool sk_tr50_is_done_refusal(struct json_object *codes,
			     struct json_object *msgs)
{
	static const int done[] = { TR50_CODE_DONE };

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
static void refusal_of(struct json_object *res, struct json_object **codes,
		       struct json_object **msgs)
{
	*codes = *msgs = NULL;
	if (!json_object_is_type(res, json_type_object))
		return;
	json_object_object_get_ex(res, "errorCodes", codes);
	json_object_object_get_ex(res, "errorMessages", msgs);
}

static bool result_is_auth_refusal(struct json_object *res)
{
	struct json_object *codes, *msgs;

	refusal_of(res, &codes, &msgs);
	return sk_tr50_is_auth_refusal(codes, msgs);
}

/* api.authenticate, for the command named by what. */
static int authenticate(struct sk_tr50 *t, const char *what,
			struct sk_tr50_err *err)
{
	struct json_object *body, *auth, *params, *reply = NULL, *res, *p;
	char buf[SK_SHOW_MAX], key[SK_SHOW_MAX], *label;
	const char *sid = NULL;
	long http = 0;
	bool ok = true;
	int rc, code, s;

	body = json_object_new_object();
	auth = json_object_new_object();
	params = json_object_new_object();
	add(params, "appId", json_object_new_string(t->app_id), &ok);
	add(params, "appToken", json_object_new_string(t->app_token), &ok);
	add(params, "thingKey", json_object_new_string(t->thing_key), &ok);
	add(auth, "command", json_object_new_string("api.authenticate"), &ok);
	add(auth, "params", params, &ok);
	add(body, "auth", auth, &ok);
	label = sk_asprintf("%s: api.authenticate", what);
	if (!ok || !label) {
		rc = fail(t, err, SK_TR50_ELOCAL, 0,
			  "%s: api.authenticate: out of memory", what);
		goto out;
	}
	rc = post_api(t, label, body, &reply, &http, err);
	if (rc == SK_TR50_ENET && http_auth_status(http)) {
		rc = fail(t, err, SK_TR50_EAUTH, 0,
			  "%s: %s refused the credentials of thing '%s': HTTP %ld",
			  label, t->api_url, show(t->thing_key, key), http);
		goto out;
	}
	if (rc)
		goto out;
	if (!json_object_object_get_ex(reply, "auth", &res))
		res = reply; /* a portal may answer a refusal at top level */
	s = result_status(res, &code, buf);
	if (s < 0) {
		rc = fail(t, err, SK_TR50_EDATA, 0,
			  "%s: reply from %s has no auth result", label,
			  t->api_url);
		goto out;
	}
	if (s == 0) {
		rc = fail(t, err, SK_TR50_EAUTH, code,
			  "%s: %s refused the credentials of thing '%s': portal error %d: %s",
			  label, t->api_url, show(t->thing_key, key), code,
			  buf);
		goto out;
	}
	if (json_object_object_get_ex(res, "params", &p))
		sid = get_str(p, "sessionId", 4096);
	if (!sid) {
		rc = fail(t, err, SK_TR50_EDATA, 0,
			  "%s: reply from %s has no sessionId", label,
			  t->api_url);
		goto out;
	}
	t->session = strdup(sid);
	if (!t->session)
		rc = fail(t, err, SK_TR50_ELOCAL, 0, "%s: out of memory",
			  label);
out:
	free(label);
	json_object_put(reply);
	json_object_put(body);
	return rc;
}

/* Forget the session; it is kept as old_session (only to be blanked from
 * messages) until the next one is dropped. */
static void drop_session(struct sk_tr50 *t)
{
	if (!t->session)
		return;
	if (t->old_session) {
		explicit_bzero(t->old_session, strlen(t->old_session));
		free(t->old_session);
	}
	t->old_session = t->session;
	t->session = NULL;
}

/* Send one command with the current session; *res gets its result
 * (owned by the caller), *http the reply's HTTP status. */
static int send_command(struct sk_tr50 *t, const char *what,
			const char *command, struct json_object *params,
			struct json_object **res, long *http,
			struct sk_tr50_err *err)
{
	struct json_object *body, *auth, *cmd, *reply = NULL, *r;
	bool ok = true;
	int rc;

	*res = NULL;
	*http = 0;
	body = json_object_new_object();
	auth = json_object_new_object();
	cmd = json_object_new_object();
	add(auth, "sessionId", json_object_new_string(t->session), &ok);
	add(body, "auth", auth, &ok);
	add(cmd, "command", json_object_new_string(command), &ok);
	if (params)
		add(cmd, "params", json_object_get(params), &ok);
	add(body, "1", cmd, &ok);
	if (!ok) {
		rc = fail(t, err, SK_TR50_ELOCAL, 0, "%s: out of memory", what);
		goto out;
	}
	rc = post_api(t, what, body, &reply, http, err);
	if (rc)
		goto out;
	/* A portal may answer a bad session for the whole request at top
	 * level instead of per command. */
	if (!json_object_object_get_ex(reply, "1", &r))
		r = reply;
	*res = json_object_get(r);
out:
	json_object_put(reply);
	json_object_put(body);
	return rc;
}

/*
 * sk_tr50_call with what naming the command (and its subject) in
 * messages. On SK_TR50_ECMD, *refused (if not NULL) gets the refused
 * result, owned by the caller, for a closer look at its codes and
 * messages.
 */
static int tr50_call(struct sk_tr50 *t, const char *what, const char *command,
		     struct json_object *params, struct json_object **reply,
		     struct json_object **refused, struct sk_tr50_err *err)
{
	struct json_object *res = NULL, *p = NULL;
	char buf[SK_SHOW_MAX];
	bool auth_like = false;
	long http = 0;
	int rc, s = -1, code = 0, tries;

	if (reply)
		*reply = NULL;
	if (refused)
		*refused = NULL;
	for (tries = 0;; tries++) {
		if (!t->session) {
			rc = authenticate(t, what, err);
			if (rc)
				goto out;
		}
		json_object_put(res);
		res = NULL;
		rc = send_command(t, what, command, params, &res, &http, err);
		if (rc == SK_TR50_OK)
			s = result_status(res, &code, buf);
		/* Whatever its code or wording, a refusal that can mean an
		 * expired session gets one new session and one more try. */
		auth_like = (rc == SK_TR50_ENET && http_auth_status(http)) ||
			    (rc == SK_TR50_OK && s == 0 &&
			     result_is_auth_refusal(res));
		if (!auth_like || tries > 0)
			break;
		drop_session(t);
		/* Our message of the try that failed: a success leaves no
		 * message behind. */
		if (rc && err)
			sk_tr50_err_release(err);
	}
	if (rc) {
		/* The next call starts with api.authenticate. */
		if (auth_like)
			drop_session(t);
		goto out;
	}
	if (s < 0) {
		rc = fail(t, err, SK_TR50_EDATA, 0,
			  "%s: reply from %s has no result for the command",
			  what, t->api_url);
	} else if (s == 0) {
		rc = fail(t, err, SK_TR50_ECMD, code, "%s: portal error %d: %s",
			  what, code, buf);
		/* After the message: fail() blanks the session id in it. */
		if (auth_like)
			drop_session(t);
		if (refused)
			*refused = json_object_get(res);
	} else if (json_object_object_get_ex(res, "params", &p) &&
		   !json_object_is_type(p, json_type_null) &&
		   !json_object_is_type(p, json_type_object)) {
		rc = fail(t, err, SK_TR50_EDATA, 0,
			  "%s: reply from %s has params that are not an object",
			  what, t->api_url);
	} else {
		if (reply && p && json_object_is_type(p, json_type_object))
			*reply = json_object_get(p);
		rc = SK_TR50_OK;
	}
out:
	json_object_put(res);
	return rc;
}

int sk_tr50_call(struct sk_tr50 *t, const char *command,
		 struct json_object *params, struct json_object **reply,
		 struct sk_tr50_err *err)
{
	char buf[SK_SHOW_MAX];

	return tr50_call(t, show(command, buf), command, params, reply, NULL,
			 err);
}

/* --- the commands supd uses --- */

int sk_tr50_mailbox_check(struct sk_tr50 *t, int limit,
			  struct json_object **messages,
			  struct sk_tr50_err *err)
{
	struct json_object *params, *reply = NULL, *m = NULL;
	bool ok = true;
	int rc;

	*messages = NULL;
	params = json_object_new_object();
	add(params, "autoComplete", json_object_new_boolean(0), &ok);
	add(params, "limit", json_object_new_int(limit), &ok);
	if (!ok) {
		rc = fail(t, err, SK_TR50_ELOCAL, 0,
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
		rc = fail(t, err, SK_TR50_EDATA, 0,
			  "mailbox.check: reply from %s has a messages member that is not an array",
			  t->api_url);
		goto out;
	}
	if (m)
		*messages = json_object_get(m);
	else
		*messages = json_object_new_array();
	if (!*messages)
		rc = fail(t, err, SK_TR50_ELOCAL, 0,
			  "mailbox.check: out of memory");
out:
	json_object_put(reply);
	json_object_put(params);
	return rc;
}

int sk_tr50_mailbox_update(struct sk_tr50 *t, const char *id,
			   const char *msg, struct sk_tr50_err *err)
{
	struct json_object *params = json_object_new_object();
	char buf[SK_SHOW_MAX], *what;
	bool ok = true;
	int rc;

	what = sk_asprintf("mailbox.update '%s'", show(id, buf));
	add(params, "id", json_object_new_string(id), &ok);
	add(params, "msg", json_object_new_string(msg), &ok);
	if (!ok || !what)
		rc = fail(t, err, SK_TR50_ELOCAL, 0,
			  "mailbox.update: out of memory");
	else
		rc = tr50_call(t, what, "mailbox.update", params, NULL, NULL,
			       err);
	free(what);
	json_object_put(params);
	return rc;
}

int sk_tr50_mailbox_ack(struct sk_tr50 *t, const char *id, int error_code,
			const char *error_message, struct json_object *params,
			struct sk_tr50_err *err)
{
	struct json_object *p = json_object_new_object(), *refused = NULL;
	struct json_object *codes, *msgs;
	char buf[SK_SHOW_MAX], *what;
	bool ok = true;
	int rc;

	what = sk_asprintf("mailbox.ack '%s'", show(id, buf));
	add(p, "id", json_object_new_string(id), &ok);
	add(p, "errorCode", json_object_new_int(error_code), &ok);
	if (error_message)
		add(p, "errorMessage", json_object_new_string(error_message),
		    &ok);
	if (params)
		add(p, "params", json_object_get(params), &ok);
	if (!ok || !what)
		rc = fail(t, err, SK_TR50_ELOCAL, 0,
			  "mailbox.ack: out of memory");
	else
		rc = tr50_call(t, what, "mailbox.ack", p, NULL, &refused, err);
	/* By meaning, not by one code: portals word this differently. */
	refusal_of(refused, &codes, &msgs);
	if (rc == SK_TR50_ECMD && sk_tr50_is_done_refusal(codes, msgs))
		rc = SK_TR50_EDONE;
	json_object_put(refused);
	free(what);
	json_object_put(p);
	return rc;
}

int sk_tr50_log_publish(struct sk_tr50 *t, const char *msg, int level,
			struct sk_tr50_err *err)
{
	struct json_object *p = json_object_new_object();
	bool ok = true;
	int rc;

	add(p, "thingKey", json_object_new_string(t->thing_key), &ok);
	add(p, "msg", json_object_new_string(msg), &ok);
	add(p, "level", json_object_new_int(level), &ok);
	if (!ok)
		rc = fail(t, err, SK_TR50_ELOCAL, 0,
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

int sk_tr50_file_get(struct sk_tr50 *t, const char *file_name,
		     struct sk_tr50_file *out, struct sk_tr50_err *err)
{
	struct json_object *p = json_object_new_object(), *reply = NULL;
	char buf[SK_SHOW_MAX], *what;
	const char *id;
	int64_t size, crc;
	bool ok = true;
	int rc;

	memset(out, 0, sizeof(*out));
	what = sk_asprintf("file.get '%s'", show(file_name, buf));
	add(p, "fileName", json_object_new_string(file_name), &ok);
	add(p, "global", json_object_new_boolean(1), &ok);
	if (!ok || !what) {
		rc = fail(t, err, SK_TR50_ELOCAL, 0, "file.get: out of memory");
		goto out;
	}
	rc = tr50_call(t, what, "file.get", p, &reply, NULL, err);
	if (rc)
		goto out;
	id = reply ? get_str(reply, "fileId", 1024) : NULL;
	/* crc32 is unsigned; a portal that sends it as a signed 32-bit
	 * number means the same bits. */
	if (!id || !get_int(reply, "fileSize", 0, INT64_MAX - 1, &size) ||
	    !get_int(reply, "crc32", INT32_MIN, UINT32_MAX, &crc)) {
		rc = fail(t, err, SK_TR50_EDATA, 0,
			  "%s: reply from %s lacks a valid fileId, fileSize or crc32",
			  what, t->api_url);
		goto out;
	}
	out->file_id = strdup(id);
	if (!out->file_id) {
		rc = fail(t, err, SK_TR50_ELOCAL, 0, "%s: out of memory", what);
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
static char *file_url(struct sk_tr50 *t, const char *file_id)
{
	char *esc = curl_easy_escape(t->curl, file_id, 0), *url;

	if (!esc)
		return NULL;
	url = sk_asprintf("%s/file/%s", t->endpoint, esc);
	curl_free(esc);
	return url;
}

/* --- download --- */

struct dl {
	struct sk_tr50 *t;
	int fd;
	const char *path;
	const char *url;
	uint64_t have;	   /* bytes in the file */
	uint64_t expected;
	long status;	   /* HTTP status of the reply */
	bool started;	   /* the reply's status was looked at */
	bool discard;	   /* not file data: an error page */
	uint64_t discarded;
	int fail;	   /* why the write callback stopped the transfer */
	char *why;	   /* its message */
	void (*progress)(void *data, uint64_t done, uint64_t total);
	void *progress_data;
};

static void dl_stop(struct dl *d, int status, char *why)
{
	d->fail = status;
	free(d->why);
	d->why = why;
}

/* Digits to a number; false on none or overflow. */
static bool take_u64(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*out = v;
	return true;
}

/* A 206 must continue exactly where the file ends: "bytes S-E/T" with
 * S = have, E < expected, T = expected (or "*"). */
static bool range_matches(struct dl *d)
{
	struct curl_header *h;
	const char *p;
	uint64_t first, last, total;

	if (curl_easy_header(d->t->curl, "Content-Range", 0, CURLH_HEADER, -1,
			     &h) != CURLHE_OK)
		return false;
	p = h->value;
	if (strncasecmp(p, "bytes ", 6) != 0)
		return false;
	p += 6;
	if (!take_u64(&p, &first) || *p++ != '-' || !take_u64(&p, &last) ||
	    *p++ != '/')
		return false;
	if (*p == '*' && p[1] == '\0')
		total = d->expected;
	else if (!take_u64(&p, &total) || *p != '\0')
		return false;
	return first == d->have && first <= last && last < d->expected &&
	       total == d->expected;
}

/* Decide what the reply's body is, once its headers are in. */
static bool dl_begin(struct dl *d)
{
	d->started = true;
	curl_easy_getinfo(d->t->curl, CURLINFO_RESPONSE_CODE, &d->status);
	if (d->status == 206) {
		if (!range_matches(d)) {
			dl_stop(d, SK_TR50_EDATA,
				sk_asprintf("download to '%s': the 206 reply from %s does not continue at byte %" PRIu64 " of %" PRIu64,
					    d->path, d->url, d->have,
					    d->expected));
			return false;
		}
	} else if (d->status == 200) {
		/* The whole file again: start over. */
		if (d->have > 0 && ftruncate(d->fd, 0) != 0) {
			dl_stop(d, SK_TR50_ELOCAL,
				sk_asprintf("download to '%s': cannot truncate: %s",
					    d->path, strerror(errno)));
			return false;
		}
		d->have = 0;
	} else {
		d->discard = true;
	}
	return true;
}

static size_t dl_write(char *ptr, size_t size, size_t n, void *data)
{
	struct dl *d = data;
	size_t len = size * n, take = len;
	int e;

	if (!d->started && !dl_begin(d))
		return 0;
	if (d->discard) {
		/* An error page is dropped, but not an endless one. */
		d->discarded += len;
		return d->discarded <= TR50_MAX_REPLY ? len : 0;
	}
	if (len > d->expected - d->have)
		take = (size_t)(d->expected - d->have);
	e = sk_write_all(d->fd, ptr, take);
	if (e) {
		dl_stop(d, SK_TR50_ELOCAL,
			sk_asprintf("download to '%s': cannot write: %s",
				    d->path, strerror(-e)));
		return 0;
	}
	d->have += take;
	if (d->progress)
		d->progress(d->progress_data, d->have, d->expected);
	if (take < len) {
		dl_stop(d, SK_TR50_EDATA,
			sk_asprintf("download to '%s': %s sent more than the expected %" PRIu64 " bytes",
				    d->path, d->url, d->expected));
		return 0;
	}
	return len;
}

/* The file server answered with an error status: try again later. A
 * 401 or 403 may mean that the portal wants a live session behind the
 * file id (the sources are silent): the session is renewed before the
 * next command, which is the next try's file.get. */
static int dl_refused(struct dl *d, struct sk_tr50_err *err)
{
	struct sk_tr50 *t = d->t;
	bool renew = http_auth_status(d->status);

	if (renew)
		drop_session(t);
	return fail(t, err, SK_TR50_ENET, 0,
		    "download to '%s': HTTP %ld from %s%s", d->path,
		    d->status, d->url,
		    renew ? " (a new session for the next try)" : "");
}

/* After the transfer: what the result is. */
static int dl_finish(struct dl *d, CURLcode r, struct sk_tr50_err *err)
{
	struct sk_tr50 *t = d->t;

	if (d->fail) {
		/* The message holds no secret: only path, URL, sizes. */
		if (!d->why)
			return fail(t, err, d->fail, 0,
				    "download to '%s': out of memory", d->path);
		fail(t, err, d->fail, 0, "%s", d->why);
		return d->fail;
	}
	if (d->discard && d->status != 416)
		return dl_refused(d, err);
	if (r != CURLE_OK)
		return fail(t, err, SK_TR50_ENET, 0,
			    "download to '%s': GET %s broke off at byte %" PRIu64 " of %" PRIu64 ": %s",
			    d->path, d->url, d->have, d->expected,
			    curl_why(t, r));
	if (!d->started) {
		curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &d->status);
		if ((d->status == 200 || d->status == 206) && !dl_begin(d))
			return dl_finish(d, r, err);
	}
	if (d->status == 416) {
		/* What we have is no prefix of the portal's file. */
		if (ftruncate(d->fd, 0) != 0)
			return fail(t, err, SK_TR50_ELOCAL, 0,
				    "download to '%s': cannot truncate: %s",
				    d->path, strerror(errno));
		return fail(t, err, SK_TR50_EDATA, 0,
			    "download to '%s': HTTP 416 from %s for byte %" PRIu64 " on: the partial file was discarded",
			    d->path, d->url, d->have);
	}
	if (d->status != 200 && d->status != 206)
		return dl_refused(d, err);
	if (d->have != d->expected)
		return fail(t, err, SK_TR50_EDATA, 0,
			    "download to '%s': %s ended at byte %" PRIu64 " of %" PRIu64,
			    d->path, d->url, d->have, d->expected);
	return SK_TR50_OK;
}

int sk_tr50_download(struct sk_tr50 *t, const char *file_id,
		     const char *part_path, uint64_t expected_size,
		     void (*progress)(void *data, uint64_t done,
				      uint64_t total),
		     void *progress_data, struct sk_tr50_err *err)
{
	struct dl d = { .t = t, .fd = -1, .path = part_path,
			.expected = expected_size, .progress = progress,
			.progress_data = progress_data };
	char *url = NULL, *range = NULL;
	struct stat st;
	CURLcode r;
	int rc;

	/* O_APPEND: every byte lands after what the last try kept. */
	d.fd = open(part_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		    0600);
	if (d.fd < 0)
		return fail(t, err, SK_TR50_ELOCAL, 0,
			    "download to '%s': cannot open: %s", part_path,
			    strerror(errno));
	if (fstat(d.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = fail(t, err, SK_TR50_ELOCAL, 0,
			  "download to '%s': not a regular file", part_path);
		goto out;
	}
	d.have = (uint64_t)st.st_size;
	/* More than the portal's file: not ours to continue. */
	if (d.have > expected_size) {
		if (ftruncate(d.fd, 0) != 0) {
			rc = fail(t, err, SK_TR50_ELOCAL, 0,
				  "download to '%s': cannot truncate: %s",
				  part_path, strerror(errno));
			goto out;
		}
		d.have = 0;
	}
	if (d.have == expected_size) {
		rc = SK_TR50_OK;
		goto out_sync;
	}
	url = file_url(t, file_id);
	range = d.have ? sk_asprintf("%" PRIu64 "-", d.have) : NULL;
	d.url = url;
	if (!url || (d.have && !range)) {
		rc = fail(t, err, SK_TR50_ELOCAL, 0,
			  "download to '%s': out of memory", part_path);
		goto out;
	}
	if (setup_request(t, url, true, NULL) ||
	    (range && curl_easy_setopt(t->curl, CURLOPT_RANGE, range)) ||
	    curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, dl_write) ||
	    curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, &d)) {
		rc = fail(t, err, SK_TR50_ELOCAL, 0,
			  "download to '%s': cannot set up the request to %s",
			  part_path, url);
		goto out;
	}
	r = curl_easy_perform(t->curl);
	rc = dl_finish(&d, r, err);
out_sync:
	/* Keep what arrived, whatever happened: the next try resumes. */
	if (fsync(d.fd) != 0 && rc == SK_TR50_OK)
		rc = fail(t, err, SK_TR50_ELOCAL, 0,
			  "download to '%s': cannot fsync: %s", part_path,
			  strerror(errno));
out:
	if (close(d.fd) != 0 && rc == SK_TR50_OK)
		rc = fail(t, err, SK_TR50_ELOCAL, 0,
			  "download to '%s': cannot close: %s", part_path,
			  strerror(errno));
	free(d.why);
	free(range);
	free(url);
	return rc;
}

/* --- upload --- */

struct ul {
	int fd;
	int err_no;
};

static size_t ul_read(char *buf, size_t size, size_t n, void *data)
{
	struct ul *u = data;
	ssize_t got;

	do
		got = read(u->fd, buf, size * n);
	while (got < 0 && errno == EINTR);
	if (got < 0) {
		u->err_no = errno;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)got;
}

/* The reply to a POST that the portal took (HTTP 2xx): an empty or
 * non-JSON body, or one too big to keep, is success; a TR50 result object
 * may still say the portal refused the bytes (*auth_like: in words that
 * can mean an expired session). */
static int post_result(struct sk_tr50 *t, const char *what,
		       const struct membuf *sink, bool *auth_like,
		       struct sk_tr50_err *err)
{
	struct json_object *res;
	char buf[SK_SHOW_MAX];
	const char *why;
	int code, s, rc = SK_TR50_OK;

	if (sink->too_big || !sink->len)
		return SK_TR50_OK;
	res = parse_reply(sink->data, sink->len, &why);
	if (!res)
		return SK_TR50_OK;
	/* Some portals wrap the result like a command reply. */
	s = result_status(res, &code, buf);
	if (s < 0) {
		struct json_object *inner;

		if (json_object_object_get_ex(res, "1", &inner) ||
		    json_object_object_get_ex(res, "cmd", &inner)) {
			json_object_get(inner);
			json_object_put(res);
			res = inner;
			s = result_status(res, &code, buf);
		}
	}
	if (s == 0) {
		*auth_like = result_is_auth_refusal(res);
		rc = fail(t, err, SK_TR50_ECMD, code,
			  "%s: portal error %d: %s", what, code, buf);
	}
	json_object_put(res);
	return rc;
}

/*
 * One upload: file.put for a file id, then the POST of the bytes of u->fd
 * (size bytes, from its start). *auth_like tells whether a refusal of the
 * POST can mean an expired session.
 */
static int put_once(struct sk_tr50 *t, const char *what,
		    struct json_object *params, const char *path,
		    struct ul *u, curl_off_t size, bool *auth_like,
		    struct sk_tr50_err *err)
{
	struct json_object *reply = NULL;
	struct curl_slist *headers = NULL, *h;
	struct membuf sink = { 0 };
	char *url = NULL;
	const char *id;
	long status = 0;
	CURLcode r;
	int rc;

	*auth_like = false;
	rc = tr50_call(t, what, "file.put", params, &reply, NULL, err);
	if (rc)
		goto out;
	id = reply ? get_str(reply, "fileId", 1024) : NULL;
	if (!id) {
		rc = fail(t, err, SK_TR50_EDATA, 0,
			  "%s: reply from %s has no fileId", what, t->api_url);
		goto out;
	}
	url = file_url(t, id);
	/* The bytes as they are: the sources send a raw body, no form. */
	h = curl_slist_append(NULL, "Content-Type: application/octet-stream");
	headers = h;
	/* No "Expect: 100-continue" round trip (a record is small). */
	h = h ? curl_slist_append(headers, "Expect:") : NULL;
	if (!url || !h) {
		rc = fail(t, err, SK_TR50_ELOCAL, 0, "%s: out of memory", what);
		goto out;
	}
	if (lseek(u->fd, 0, SEEK_SET) != 0) {
		rc = fail(t, err, SK_TR50_ELOCAL, 0, "%s: cannot read '%s': %s",
			  what, path, strerror(errno));
		goto out;
	}
	/* POST with a read callback and a known size: libcurl streams the
	 * file with a Content-Length, it never holds it in memory. */
	if (setup_request(t, url, true, headers) ||
	    curl_easy_setopt(t->curl, CURLOPT_POST, 1L) ||
	    curl_easy_setopt(t->curl, CURLOPT_READFUNCTION, ul_read) ||
	    curl_easy_setopt(t->curl, CURLOPT_READDATA, u) ||
	    curl_easy_setopt(t->curl, CURLOPT_POSTFIELDSIZE_LARGE, size) ||
	    curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, membuf_write) ||
	    curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, &sink)) {
		rc = fail(t, err, SK_TR50_ELOCAL, 0,
			  "%s: cannot set up the request to %s", what, url);
		goto out;
	}
	r = curl_easy_perform(t->curl);
	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
	if (u->err_no) {
		rc = fail(t, err, SK_TR50_ELOCAL, 0, "%s: cannot read '%s': %s",
			  what, path, strerror(u->err_no));
	} else if (r != CURLE_OK && !sink.too_big) {
		rc = fail(t, err, SK_TR50_ENET, 0, "%s: POST %s failed: %s",
			  what, url, curl_why(t, r));
	} else if (status < 200 || status > 299) {
		*auth_like = http_auth_status(status);
		rc = fail(t, err, SK_TR50_ENET, 0, "%s: HTTP %ld from POST %s",
			  what, status, url);
	} else {
		rc = post_result(t, what, &sink, auth_like, err);
	}
out:
	curl_slist_free_all(headers);
	free(sink.data);
	free(url);
	json_object_put(reply);
	return rc;
}

int sk_tr50_file_put(struct sk_tr50 *t, const char *file_name,
		     const char *path, struct sk_tr50_err *err)
{
	struct json_object *p = json_object_new_object();
	struct ul u = { .fd = -1 };
	char buf[SK_SHOW_MAX], *what;
	bool ok = true, auth_like = false;
	struct stat st;
	int rc;

	what = sk_asprintf("file.put '%s'", show(file_name, buf));
	add(p, "fileName", json_object_new_string(file_name), &ok);
	add(p, "thingKey", json_object_new_string(t->thing_key), &ok);
	if (!ok || !what) {
		rc = fail(t, err, SK_TR50_ELOCAL, 0, "file.put: out of memory");
		goto out;
	}
	/* Open first: no portal file id is spent on a file we cannot
	 * read. */
	u.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (u.fd < 0 || fstat(u.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = fail(t, err, SK_TR50_ELOCAL, 0,
			  "%s: cannot read '%s': %s", what, path,
			  u.fd < 0 ? strerror(errno) : "not a regular file");
		goto out;
	}
	rc = put_once(t, what, p, path, &u, (curl_off_t)st.st_size,
		      &auth_like, err);
	/* A POST refused as if the session had expired: a new session and
	 * a new file id (single-use), once. */
	if (rc != SK_TR50_OK && auth_like && !(t->cancel && *t->cancel)) {
		drop_session(t);
		sk_tr50_err_release(err);
		rc = put_once(t, what, p, path, &u, (curl_off_t)st.st_size,
			      &auth_like, err);
		if (rc != SK_TR50_OK && auth_like)
			drop_session(t);
	}
out:
	if (u.fd >= 0)
		close(u.fd);
	free(what);
	json_object_put(p);
	return rc;
}

/* --- CRC --- */

int sk_crc32_file(const char *path, uint32_t *out)
{
	unsigned char *buf;
	uLong crc = crc32(0L, Z_NULL, 0);
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(TR50_CHUNK);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		n = read(fd, buf, TR50_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		crc = crc32(crc, buf, (uInt)n);
	}
	*out = (uint32_t)crc;
out:
	free(buf);
	close(fd);
	return rc;
}
