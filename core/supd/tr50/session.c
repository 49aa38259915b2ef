/* SPDX-License-Identifier: MIT */
/* session.c - the TR50 session: the client and its curl handle, one API
 * request and its reply, errors with secrets blanked, authentication and
 * a call with one re-authentication (refusals read by dialects.c). */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json-c/json.h>

void supd_tr50_err_release(struct supd_tr50_err *e)
{
	if (!e)
		return;
	free(e->message);
	e->message = NULL;
	e->code = 0;
}

void supd_tr50_file_release(struct supd_tr50_file *f)
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
int __attribute__((format(printf, 5, 6)))
tr50_fail(const struct supd_tr50 *t, struct supd_tr50_err *err, int status,
	  int code, const char *fmt, ...)
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

const char *tr50_show(const char *s, char buf[SK_SHOW_MAX])
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
			  struct supd_tr50_err *err)
{
	char buf[SK_SHOW_MAX];
	const char *host, *end;

	if (!ep || !*ep)
		return tr50_fail(NULL, err, SUPD_TR50_ELOCAL, 0,
				 "no portal endpoint");
	for (const char *p = ep; *p; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return tr50_fail(
				NULL, err, SUPD_TR50_ELOCAL, 0,
				"endpoint '%s' holds a space or control character",
				tr50_show(ep, buf));
	}
	if (has_prefix_ci(ep, "https://")) {
		host = ep + 8;
	} else if (has_prefix_ci(ep, "http://")) {
		if (!insecure)
			return tr50_fail(
				NULL, err, SUPD_TR50_ELOCAL, 0,
				"endpoint '%s' is plain http: https is required unless insecure is set",
				tr50_show(ep, buf));
		host = ep + 7;
	} else {
		return tr50_fail(NULL, err, SUPD_TR50_ELOCAL, 0,
				 "endpoint '%s' is not an https:// URL",
				 tr50_show(ep, buf));
	}
	end = host + strcspn(host, "/?#");
	if (end == host)
		return tr50_fail(NULL, err, SUPD_TR50_ELOCAL, 0,
				 "endpoint '%s' has no host",
				 tr50_show(ep, buf));
	/* Credentials in the URL would end up in every error message. */
	if (memchr(host, '@', (size_t)(end - host)))
		return tr50_fail(NULL, err, SUPD_TR50_ELOCAL, 0,
				 "endpoint must not hold user credentials");
	if (strpbrk(host, "?#"))
		return tr50_fail(NULL, err, SUPD_TR50_ELOCAL, 0,
				 "endpoint '%s' has a query or fragment",
				 tr50_show(ep, buf));
	return SUPD_TR50_OK;
}

static int dup_opt(char **dst, const char *src, const char *what, bool required,
		   struct supd_tr50_err *err)
{
	if (!src || !*src) {
		if (required)
			return tr50_fail(NULL, err, SUPD_TR50_ELOCAL, 0,
					 "no %s in the portal options", what);
		return SUPD_TR50_OK;
	}
	*dst = strdup(src);
	if (!*dst)
		return tr50_fail(NULL, err, SUPD_TR50_ELOCAL, 0, "out of memory");
	return SUPD_TR50_OK;
}

/* A timeout in seconds: def when unset, at most a week (which keeps the
 * millisecond sums below far from overflow). */
static long timeout_or(long v, long def)
{
	if (v <= 0)
		return def;
	return v < TR50_MAX_TIMEOUT ? v : TR50_MAX_TIMEOUT;
}

int supd_tr50_new(struct supd_tr50 **out, const struct supd_tr50_opts *o,
		struct supd_tr50_err *err)
{
	struct supd_tr50 *t;
	size_t len;
	int rc;

	*out = NULL;
	rc = check_endpoint(o->endpoint, o->insecure, err);
	if (rc)
		return rc;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return tr50_fail(NULL, err, SUPD_TR50_ELOCAL, 0,
				 "cannot initialise libcurl");
	t = calloc(1, sizeof(*t));
	if (!t) {
		curl_global_cleanup();
		return tr50_fail(NULL, err, SUPD_TR50_ELOCAL, 0, "out of memory");
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
	t->share = curl_share_init();
	if (!t->api_url || !t->curl || !t->share ||
	    curl_share_setopt(t->share, CURLSHOPT_SHARE,
			      CURL_LOCK_DATA_CONNECT) != CURLSHE_OK ||
	    curl_share_setopt(t->share, CURLSHOPT_SHARE,
			      CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
	    curl_share_setopt(t->share, CURLSHOPT_SHARE,
			      CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
		rc = tr50_fail(NULL, err, SUPD_TR50_ELOCAL, 0,
			       "cannot set up the HTTP client: out of memory");
		goto out;
	}
	t->insecure = o->insecure;
	t->cancel = o->cancel;
	t->connect_timeout_s = timeout_or(o->connect_timeout_s, 15);
	t->request_timeout_s = timeout_or(o->request_timeout_s, 60);
	*out = t;
	return SUPD_TR50_OK;
out:
	supd_tr50_free(t);
	return rc;
}

void supd_tr50_free(struct supd_tr50 *t)
{
	if (!t)
		return;
	if (t->curl)
		curl_easy_cleanup(t->curl);
	if (t->side)
		curl_easy_cleanup(t->side);
	/* After the handles that use it. */
	if (t->share)
		curl_share_cleanup(t->share);
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
	struct supd_tr50 *t = data;
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

/*
 * A new handle for every request, with the options every request gets;
 * the connections stay in t->share. Why not curl_easy_reset() on one
 * handle: libcurl before 8.1.0 (Debian 12 has 7.88) keeps a pointer to
 * the previous reply's last header across reset, and a reply whose first
 * header line is folded (starts with a space) is then joined to freed
 * memory (curl issue 11101, found here by fuzz_tr50). A new handle has no
 * previous header, and libcurl refuses such a reply.
 */
int tr50_setup_request(struct supd_tr50 *t, const char *url, bool transfer,
		       struct curl_slist *headers)
{
	CURL *c = curl_easy_init();
	const char *protos = t->insecure ? "http,https" : "https";
	CURLcode r = CURLE_OK;

	if (!c)
		return -1;
	if (t->curl)
		curl_easy_cleanup(t->curl);
	t->curl = c;
	t->curl_err[0] = '\0';
#define SET(opt, val)                                                          \
	do {                                                                   \
		if (r == CURLE_OK)                                             \
			r = curl_easy_setopt(c, opt, val);                     \
	} while (0)
	SET(CURLOPT_SHARE, t->share);
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

const char *tr50_curl_why(struct supd_tr50 *t, CURLcode r)
{
	if (r == CURLE_ABORTED_BY_CALLBACK && t->cancelled)
		return "cancelled: stopping";
	if (r == CURLE_ABORTED_BY_CALLBACK && t->stalled) {
		snprintf(t->curl_err, sizeof(t->curl_err), "no data for %ld s",
			 t->request_timeout_s);
		return t->curl_err;
	}
	return t->curl_err[0] ? t->curl_err : curl_easy_strerror(r);
}

/* --- the API request --- */

size_t tr50_membuf_write(char *ptr, size_t size, size_t n, void *data)
{
	struct tr50_membuf *b = data;
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
struct json_object *tr50_parse_reply(const char *text, size_t len,
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
bool tr50_http_auth_status(long status)
{
	return status == 401 || status == 403;
}

/*
 * POST body to <endpoint>/api and parse the reply. what names the request
 * in messages. Returns SUPD_TR50_OK with *out, or ENET / EDATA / ELOCAL;
 * *http gets the reply's HTTP status (0 without one).
 */
static int post_api(struct supd_tr50 *t, const char *what,
		    struct json_object *body, struct json_object **out,
		    long *http, struct supd_tr50_err *err)
{
	struct curl_slist *headers = NULL, *h;
	struct tr50_membuf buf = {0};
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
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0, "%s: out of memory",
			       what);
		goto out;
	}
	headers = h;
	if (tr50_setup_request(t, t->api_url, false, headers) ||
	    curl_easy_setopt(t->curl, CURLOPT_POSTFIELDS, text) ||
	    curl_easy_setopt(t->curl, CURLOPT_POSTFIELDSIZE_LARGE,
			     (curl_off_t)tlen) ||
	    curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION,
			     tr50_membuf_write) ||
	    curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, &buf)) {
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0,
			       "%s: cannot set up the request to %s", what,
			       t->api_url);
		goto out;
	}
	r = curl_easy_perform(t->curl);
	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
	*http = status;
	if (buf.too_big) {
		rc = tr50_fail(t, err, SUPD_TR50_EDATA, 0,
			       "%s: reply from %s is larger than %d bytes",
			       what, t->api_url, TR50_MAX_REPLY);
		goto out;
	}
	if (buf.oom) {
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0,
			       "%s: out of memory for the reply from %s", what,
			       t->api_url);
		goto out;
	}
	if (r != CURLE_OK) {
		rc = tr50_fail(t, err, SUPD_TR50_ENET, 0,
			       "%s: request to %s failed: %s", what, t->api_url,
			       tr50_curl_why(t, r));
		goto out;
	}
	if (status < 200 || status > 299) {
		rc = tr50_fail(t, err, SUPD_TR50_ENET, 0, "%s: HTTP %ld from %s",
			       what, status, t->api_url);
		goto out;
	}
	*out = tr50_parse_reply(buf.data, buf.len, &why);
	rc = *out ? SUPD_TR50_OK
		  : tr50_fail(t, err, SUPD_TR50_EDATA, 0,
			      "%s: reply from %s is not valid JSON: %s", what,
			      t->api_url, why);
out:
	curl_slist_free_all(headers);
	free(buf.data);
	return rc;
}

/* A string member of o, NULL if absent, not a string, empty, longer than
 * max or holding a NUL byte. */
const char *tr50_get_str(struct json_object *o, const char *key, size_t max)
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
void tr50_add(struct json_object *o, const char *key, struct json_object *val,
	      bool *ok)
{
	if (!o || !val || json_object_object_add(o, key, val)) {
		json_object_put(val);
		*ok = false;
	}
}

/* 1 if the command result says success, 0 if it says failure (with the
 * portal's first code and message in *code and buf), -1 if it is no
 * result at all. */
int tr50_result_status(struct json_object *res, int *code,
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

/* api.authenticate, for the command named by what. */
static int authenticate(struct supd_tr50 *t, const char *what,
			struct supd_tr50_err *err)
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
	tr50_add(params, "appId", json_object_new_string(t->app_id), &ok);
	tr50_add(params, "appToken", json_object_new_string(t->app_token), &ok);
	tr50_add(params, "thingKey", json_object_new_string(t->thing_key), &ok);
	tr50_add(auth, "command", json_object_new_string("api.authenticate"),
		 &ok);
	tr50_add(auth, "params", params, &ok);
	tr50_add(body, "auth", auth, &ok);
	label = sk_asprintf("%s: api.authenticate", what);
	if (!ok || !label) {
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0,
			       "%s: api.authenticate: out of memory", what);
		goto out;
	}
	rc = post_api(t, label, body, &reply, &http, err);
	if (rc == SUPD_TR50_ENET && tr50_http_auth_status(http)) {
		rc = tr50_fail(
			t, err, SUPD_TR50_EAUTH, 0,
			"%s: %s refused the credentials of thing '%s': HTTP %ld",
			label, t->api_url, tr50_show(t->thing_key, key), http);
		goto out;
	}
	if (rc)
		goto out;
	if (!json_object_object_get_ex(reply, "auth", &res))
		res = reply; /* a portal may answer a refusal at top level */
	s = tr50_result_status(res, &code, buf);
	if (s < 0) {
		rc = tr50_fail(t, err, SUPD_TR50_EDATA, 0,
			       "%s: reply from %s has no auth result", label,
			       t->api_url);
		goto out;
	}
	if (s == 0) {
		rc = tr50_fail(
			t, err, SUPD_TR50_EAUTH, code,
			"%s: %s refused the credentials of thing '%s': portal error %d: %s",
			label, t->api_url, tr50_show(t->thing_key, key), code,
			buf);
		goto out;
	}
	if (json_object_object_get_ex(res, "params", &p))
		sid = tr50_get_str(p, "sessionId", 4096);
	if (!sid) {
		rc = tr50_fail(t, err, SUPD_TR50_EDATA, 0,
			       "%s: reply from %s has no sessionId", label,
			       t->api_url);
		goto out;
	}
	t->session = strdup(sid);
	if (!t->session)
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0, "%s: out of memory",
			       label);
out:
	free(label);
	json_object_put(reply);
	json_object_put(body);
	return rc;
}

/* Forget the session; it is kept as old_session (only to be blanked from
 * messages) until the next one is dropped. */
void tr50_drop_session(struct supd_tr50 *t)
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
static int send_command(struct supd_tr50 *t, const char *what,
			const char *command, struct json_object *params,
			struct json_object **res, long *http,
			struct supd_tr50_err *err)
{
	struct json_object *body, *auth, *cmd, *reply = NULL, *r;
	bool ok = true;
	int rc;

	*res = NULL;
	*http = 0;
	body = json_object_new_object();
	auth = json_object_new_object();
	cmd = json_object_new_object();
	tr50_add(auth, "sessionId", json_object_new_string(t->session), &ok);
	tr50_add(body, "auth", auth, &ok);
	tr50_add(cmd, "command", json_object_new_string(command), &ok);
	if (params)
		tr50_add(cmd, "params", json_object_get(params), &ok);
	tr50_add(body, "1", cmd, &ok);
	if (!ok) {
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0, "%s: out of memory",
			       what);
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
 * supd_tr50_call with what naming the command (and its subject) in
 * messages. On SUPD_TR50_ECMD, *refused (if not NULL) gets the refused
 * result, owned by the caller, for a closer look at its codes and
 * messages.
 */
int tr50_call(struct supd_tr50 *t, const char *what, const char *command,
	      struct json_object *params, struct json_object **reply,
	      struct json_object **refused, struct supd_tr50_err *err)
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
		if (rc == SUPD_TR50_OK)
			s = tr50_result_status(res, &code, buf);
		/* Whatever its code or wording, a refusal that can mean an
		 * expired session gets one new session and one more try. */
		auth_like =
			(rc == SUPD_TR50_ENET && tr50_http_auth_status(http)) ||
			(rc == SUPD_TR50_OK && s == 0 &&
			 tr50_result_is_auth_refusal(res));
		if (!auth_like || tries > 0)
			break;
		tr50_drop_session(t);
		/* Our message of the try that failed: a success leaves no
		 * message behind. */
		if (rc && err)
			supd_tr50_err_release(err);
	}
	if (rc) {
		/* The next call starts with api.authenticate. */
		if (auth_like)
			tr50_drop_session(t);
		goto out;
	}
	if (s < 0) {
		rc = tr50_fail(
			t, err, SUPD_TR50_EDATA, 0,
			"%s: reply from %s has no result for the command", what,
			t->api_url);
	} else if (s == 0) {
		rc = tr50_fail(t, err, SUPD_TR50_ECMD, code,
			       "%s: portal error %d: %s", what, code, buf);
		/* After the message: tr50_fail() blanks the session id in it.
		 */
		if (auth_like)
			tr50_drop_session(t);
		if (refused)
			*refused = json_object_get(res);
	} else if (json_object_object_get_ex(res, "params", &p) &&
		   !json_object_is_type(p, json_type_null) &&
		   !json_object_is_type(p, json_type_object)) {
		rc = tr50_fail(
			t, err, SUPD_TR50_EDATA, 0,
			"%s: reply from %s has params that are not an object",
			what, t->api_url);
	} else {
		if (reply && p && json_object_is_type(p, json_type_object))
			*reply = json_object_get(p);
		rc = SUPD_TR50_OK;
	}
out:
	json_object_put(res);
	return rc;
}

int supd_tr50_call(struct supd_tr50 *t, const char *command,
		 struct json_object *params, struct json_object **reply,
		 struct supd_tr50_err *err)
{
	char buf[SK_SHOW_MAX];

	return tr50_call(t, tr50_show(command, buf), command, params, reply,
			 NULL, err);
}
