/* SPDX-License-Identifier: MIT */
/* confirm.c - the confirmation.json document. */
#include "record/confirm.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <json-c/printbuf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"

static const char *const status_names[] = {
	[SK_ST_PENDING] = "pending",	 [SK_ST_RUNNING] = "running",
	[SK_ST_SUCCEEDED] = "succeeded", [SK_ST_FAILED] = "failed",
	[SK_ST_SKIPPED] = "skipped",
};

static void set(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

static json_object *error_obj(const char *code, const char *msg)
{
	json_object *e;

	if (!code && !msg)
		return NULL;
	e = json_object_new_object();
	if (!e)
		return NULL;
	set(e, "code", json_object_new_string(code ? code : "internal"));
	set(e, "message", msg ? sk_json_str(msg) : json_object_new_string(""));
	return e;
}

static json_object *now_obj(void)
{
	char ts[32];

	sk_utc_now(ts);
	return json_object_new_string(ts);
}

static json_object *time_or_null(time_t t)
{
	char buf[32];

	if (t <= 0 || !sk_utc_format(t, buf))
		return NULL;
	return json_object_new_string(buf);
}

json_object *sk_confirm_cert_json(const struct sk_cert_info *ci)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	set(o, "subject", sk_json_str(ci->subject));
	set(o, "issuer", sk_json_str(ci->issuer));
	set(o, "serial", sk_json_str(ci->serial));
	set(o, "key", sk_json_str(ci->key));
	set(o, "key_sha256", json_object_new_string(ci->key_sha256));
	set(o, "cert_sha256", json_object_new_string(ci->cert_sha256));
	set(o, "not_before", time_or_null(ci->not_before));
	set(o, "not_after", time_or_null(ci->not_after));
	return o;
}

json_object *sk_confirm_signature_json(const struct sk_supfile *f)
{
	const struct sk_sig_result *r = &f->sig_result;
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	set(o, "status", json_object_new_string(sk_sig_status_name(r->status)));
	set(o, "reason", sk_json_str(r->status == SK_SIG_OK ? NULL :
								r->reason));
	set(o, "signer", r->has_signer ? sk_confirm_cert_json(&r->signer) :
					 NULL);
	set(o, "signing_time", time_or_null(r->signing_time));
	set(o, "checked_at", time_or_null(r->checked_at));
	return o;
}

int sk_confirm_init(struct sk_confirm *c, const struct sk_supfile *f,
		    const struct sk_action_type *const *types,
		    const char *product, const char *root, const char *result)
{
	const struct sk_manifest *m = &f->manifest;
	size_t n = f->manifest_ok ? m->n_actions : 0;
	json_object *doc, *inst, *pkg, *arr;

	memset(c, 0, sizeof(*c));
	doc = json_object_new_object();
	if (!doc)
		return -1;
	c->doc = doc;
	c->acts = calloc(n ? n : 1, sizeof(*c->acts));
	c->st = calloc(n ? n : 1, sizeof(*c->st));
	c->text = calloc(n ? n : 1, sizeof(*c->text));
	if (!c->acts || !c->st || !c->text)
		return -1;
	c->n = n;

	set(doc, "confirmation_format", json_object_new_int(SK_CONFIRM_FORMAT));
	inst = json_object_new_object();
	set(inst, "name", json_object_new_string("supkit"));
	set(inst, "version", json_object_new_string(SUPKIT_VERSION));
	set(doc, "installer", inst);
	pkg = json_object_new_object();
	set(pkg, "name", sk_json_str(f->manifest_ok ? m->name : NULL));
	set(pkg, "version", sk_json_str(f->manifest_ok ? m->version : NULL));
	set(pkg, "sha256", sk_json_str(f->verified && f->sha256[0] ? f->sha256 : NULL));
	set(pkg, "file", sk_json_str(f->path));
	set(pkg, "security_version",
	    f->manifest_ok ? json_object_new_uint64(m->security_version) :
			     NULL);
	set(pkg, "signature", sk_confirm_signature_json(f));
	set(doc, "package", pkg);
	set(doc, "product", sk_json_str(product));
	set(doc, "root", sk_json_str(root));
	set(doc, "started", now_obj());
	set(doc, "finished", NULL);
	set(doc, "result", json_object_new_string(result));
	set(doc, "error", NULL);
	set(doc, "summary", json_object_new_object());
	arr = json_object_new_array();
	set(doc, "actions", arr);
	for (size_t i = 0; i < n; i++) {
		const struct sk_action_decl *a = &m->actions[i];
		const struct sk_action_type *t = types ? types[i] : NULL;
		json_object *o = json_object_new_object();

		if (!o)
			return -1;
		set(o, "id", json_object_new_string(a->id));
		set(o, "type", json_object_new_string(a->type));
		set(o, "plugin", sk_json_str(t ? t->plugin->desc->name : NULL));
		set(o, "plugin_version",
		    sk_json_str(t ? t->plugin->desc->version : NULL));
		set(o, "on_error", json_object_new_string(
			a->on_error == SK_ON_ERROR_CONTINUE ? "continue" : "abort"));
		set(o, "status", json_object_new_string("pending"));
		set(o, "started", NULL);
		set(o, "finished", NULL);
		set(o, "duration_ms", NULL);
		set(o, "error", NULL);
		set(o, "output", NULL);
		set(o, "rollback", NULL);
		json_object_array_add(arr, o);
		c->acts[i] = o;
	}
	return 0;
}

void sk_confirm_release(struct sk_confirm *c)
{
	json_object_put(c->doc);
	for (size_t i = 0; c->text && i < c->n; i++)
		free(c->text[i]);
	free(c->text);
	free(c->acts);
	free(c->st);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

/*
 * The record is written whole after every change, and a package may have
 * a thousand actions: serializing every action each time would make an
 * install quadratic in its number of actions. So the text json-c made of
 * each action is kept (c->text[i]) and put in place by a serializer of
 * the action's object, until the action changes: act() drops it.
 */
#define SK_CONFIRM_JSON_FLAGS                                  \
	(JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE | \
	 JSON_C_TO_STRING_SPACED)

/* Action i, about to change: its kept text is dropped. */
static json_object *act(struct sk_confirm *c, size_t i)
{
	json_object_set_serializer(c->acts[i], NULL, NULL, NULL);
	free(c->text[i]);
	c->text[i] = NULL;
	return c->acts[i];
}

/* The kept text of an action, indented for the depth it is printed at
 * (json-c indents by two spaces a level; strings hold no raw newline). */
static int emit_kept(json_object *o, struct printbuf *pb, int level,
		     int flags)
{
	const char *s = *(char **)json_object_get_userdata(o), *nl;

	(void)flags;
	while ((nl = strchr(s, '\n'))) {
		printbuf_memappend(pb, s, (int)(nl - s + 1));
		printbuf_memset(pb, -1, ' ', level * 2);
		s = nl + 1;
	}
	printbuf_memappend(pb, s, (int)strlen(s));
	return 0;
}

/* Make and keep the text of action i if it has none; on failure the
 * action is serialized by json-c as usual. */
static void keep_text(struct sk_confirm *c, size_t i)
{
	const char *s;

	if (c->text[i])
		return;
	s = json_object_to_json_string_ext(c->acts[i], SK_CONFIRM_JSON_FLAGS);
	c->text[i] = s ? strdup(s) : NULL;
	if (c->text[i])
		json_object_set_serializer(c->acts[i], emit_kept, &c->text[i],
					   NULL);
}

static void set_status(struct sk_confirm *c, size_t i, enum sk_action_status s)
{
	c->st[i] = s;
	set(act(c, i), "status", json_object_new_string(status_names[s]));
}

void sk_confirm_action_start(struct sk_confirm *c, size_t i)
{
	set_status(c, i, SK_ST_RUNNING);
	set(act(c, i), "started", now_obj());
}

void sk_confirm_action_finish(struct sk_confirm *c, size_t i,
			      const struct sk_call_result *r)
{
	set_status(c, i, r->ok ? SK_ST_SUCCEEDED : SK_ST_FAILED);
	set(act(c, i), "finished", now_obj());
	set(act(c, i), "duration_ms", json_object_new_int64(r->duration_ms));
	set(act(c, i), "error", r->ok ? NULL : error_obj(r->code, r->message));
	set(act(c, i), "output", sk_json_str(r->output));
}

void sk_confirm_action_rollback(struct sk_confirm *c, size_t i,
				const struct sk_call_result *r)
{
	json_object *o = json_object_new_object();

	if (!o)
		return;
	set(o, "status", json_object_new_string(r->ok ? "succeeded" : "failed"));
	set(o, "error", r->ok ? NULL : error_obj(r->code, r->message));
	set(o, "duration_ms", json_object_new_int64(r->duration_ms));
	set(act(c, i), "rollback", o);
}

void sk_confirm_action_error(struct sk_confirm *c, size_t i,
			     const char *code, const char *message)
{
	set_status(c, i, SK_ST_FAILED);
	set(act(c, i), "finished", now_obj());
	set(act(c, i), "error", error_obj(code, message));
}

void sk_confirm_action_skip(struct sk_confirm *c, size_t i)
{
	set_status(c, i, SK_ST_SKIPPED);
}

void sk_confirm_finish(struct sk_confirm *c, const char *result,
		       const char *code, const char *message)
{
	set(c->doc, "result", json_object_new_string(result));
	set(c->doc, "finished", now_obj());
	set(c->doc, "error", error_obj(code, message));
}

void sk_confirm_problems(struct sk_confirm *c, const struct sk_problems *d)
{
	json_object *arr = json_object_new_array();

	if (!arr)
		return;
	for (size_t i = 0; i < d->count; i++)
		json_object_array_add(arr, sk_json_str(d->items[i].msg));
	set(c->doc, "problems", arr);
}

static void update_summary(struct sk_confirm *c)
{
	size_t count[5] = { 0 };
	json_object *s = json_object_new_object();

	if (!s)
		return;
	for (size_t i = 0; i < c->n; i++)
		count[c->st[i]]++;
	set(s, "total", json_object_new_int64((int64_t)c->n));
	set(s, "succeeded", json_object_new_int64((int64_t)count[SK_ST_SUCCEEDED]));
	set(s, "failed", json_object_new_int64((int64_t)count[SK_ST_FAILED]));
	set(s, "skipped", json_object_new_int64((int64_t)count[SK_ST_SKIPPED]));
	set(s, "pending", json_object_new_int64(
		(int64_t)(count[SK_ST_PENDING] + count[SK_ST_RUNNING])));
	set(c->doc, "summary", s);
}

const char *sk_confirm_text(struct sk_confirm *c)
{
	update_summary(c);
	for (size_t i = 0; i < c->n; i++)
		keep_text(c, i);
	return json_object_to_json_string_ext(c->doc, SK_CONFIRM_JSON_FLAGS);
}

int sk_confirm_write(struct sk_confirm *c)
{
	const char *text = sk_confirm_text(c);
	char *buf;
	size_t len;
	int r;

	if (!c->path)
		return -EINVAL;
	if (!text)
		return -ENOMEM;
	len = strlen(text);
	buf = malloc(len + 2);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, text, len);
	buf[len] = '\n';
	r = sk_write_file_atomic(c->path, buf, len + 1, 0644);
	free(buf);
	return r;
}

int sk_confirm_sweep(const char *logs_dir)
{
	return sk_atomic_sweep(logs_dir, SK_CONFIRM_NAME);
}

/* 1024 actions with 4 KiB of output each, and room for the rest. */
#define SK_CONFIRM_MAX (64 * 1024 * 1024)
#define SK_CONFIRM_DEPTH 32

int sk_confirm_read(const char *path, json_object **doc, const char **why)
{
	struct json_tokener *tok = NULL;
	json_object *o = NULL, *v;
	char *text = NULL;
	size_t len;
	int r;

	*doc = NULL;
	r = sk_read_small_file(path, 0, SK_CONFIRM_MAX, &text, &len, NULL);
	if (r == -EINVAL || r == -EFBIG) {
		*why = "not a regular file, or larger than 64 MiB";
		return -EINVAL;
	}
	if (r) {
		*why = r == -ENOMEM ? "out of memory" : strerror(-r);
		return r;
	}
	r = -ENOMEM;
	*why = "out of memory";
	tok = json_tokener_new_ex(SK_CONFIRM_DEPTH);
	if (!tok)
		goto out;
	r = -EINVAL;
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(o, json_type_object)) {
		*why = "not a JSON object";
		goto out;
	}
	if (!json_object_object_get_ex(o, "confirmation_format", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int(v) != SK_CONFIRM_FORMAT ||
	    !json_object_object_get_ex(o, "actions", &v) ||
	    !json_object_is_type(v, json_type_array)) {
		*why = "not a confirmation document of format 1";
		r = -EPROTO;
		goto out;
	}
	*doc = o;
	o = NULL;
	r = 0;
out:
	if (tok)
		json_tokener_free(tok);
	json_object_put(o);
	free(text);
	return r;
}

const char *sk_confirm_str(struct json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static enum sk_action_status status_from(const char *s)
{
	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (strcmp(status_names[i], s) == 0)
			return (enum sk_action_status)i;
	return (enum sk_action_status)-1;
}

int sk_confirm_load(struct sk_confirm *c, const char *path,
		    const struct sk_supfile *f, const char **why)
{
	const struct sk_manifest *m = f ? &f->manifest : NULL;
	json_object *doc, *arr = NULL;
	size_t n;
	int r;

	memset(c, 0, sizeof(*c));
	c->path = strdup(path);
	if (!c->path) {
		*why = "out of memory";
		return -ENOMEM;
	}
	r = sk_confirm_read(path, &doc, why);
	if (r == -ENOMEM)
		return r;
	if (r) {
		*why = r == -EPROTO ? "confirmation.json has an unknown format" :
				      "confirmation.json is missing or does not parse";
		return -EINVAL;
	}
	c->doc = doc;
	json_object_object_get_ex(doc, "actions", &arr);
	n = json_object_array_length(arr);
	if (f && n != m->n_actions) {
		*why = "confirmation.json lists other actions than the package";
		return -EINVAL;
	}
	c->acts = calloc(n ? n : 1, sizeof(*c->acts));
	c->st = calloc(n ? n : 1, sizeof(*c->st));
	c->text = calloc(n ? n : 1, sizeof(*c->text));
	if (!c->acts || !c->st || !c->text) {
		*why = "out of memory";
		return -ENOMEM;
	}
	c->n = n;
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i), *id, *st;
		int s2;

		if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, "id", &id) ||
		    !json_object_is_type(id, json_type_string) ||
		    (m && strcmp(json_object_get_string(id), m->actions[i].id) != 0) ||
		    !json_object_object_get_ex(o, "status", &st) ||
		    !json_object_is_type(st, json_type_string) ||
		    (s2 = (int)status_from(json_object_get_string(st))) < 0) {
			*why = "confirmation.json lists other actions than the package";
			/* Callers must not walk a half-filled document. */
			c->n = 0;
			json_object_put(c->doc);
			c->doc = NULL;
			return -EINVAL;
		}
		c->acts[i] = o;
		c->st[i] = (enum sk_action_status)s2;
	}
	return 0;
}

const char *sk_confirm_result(const struct sk_confirm *c)
{
	json_object *v;

	if (!json_object_object_get_ex(c->doc, "result", &v) || !v)
		return "";
	return json_object_get_string(v);
}

const char *sk_confirm_suspend_reason(const struct sk_confirm *c)
{
	json_object *r, *v;

	if (!json_object_object_get_ex(c->doc, "suspended", &r) || !r ||
	    !json_object_object_get_ex(r, "reason", &v))
		return NULL;
	return json_object_get_string(v);
}

void sk_confirm_suspend(struct sk_confirm *c, const char *reason,
			const char *action_id)
{
	json_object *o = json_object_new_object();

	set(c->doc, "result", json_object_new_string("suspended"));
	if (!o)
		return;
	set(o, "reason", sk_json_str(reason));
	set(o, "after_action", sk_json_str(action_id));
	set(o, "at", now_obj());
	set(c->doc, "suspended", o);
}

void sk_confirm_resumed(struct sk_confirm *c, const char *reason_in)
{
	/* reason_in may live in the "suspended" object replaced below. */
	json_object *arr, *o = json_object_new_object();
	json_object *reason = sk_json_str(reason_in);

	if (!json_object_object_get_ex(c->doc, "resumed", &arr) || !arr ||
	    !json_object_is_type(arr, json_type_array)) {
		arr = json_object_new_array();
		set(c->doc, "resumed", arr);
	}
	set(c->doc, "result", json_object_new_string("running"));
	set(c->doc, "suspended", NULL);
	if (!o || !arr) {
		json_object_put(o);
		json_object_put(reason);
		return;
	}
	set(o, "at", now_obj());
	set(o, "reason", reason);
	json_object_array_add(arr, o);
}

void sk_confirm_action_requeue(struct sk_confirm *c, size_t i)
{
	set_status(c, i, SK_ST_PENDING);
	set(act(c, i), "interrupted", json_object_new_boolean(1));
	set(act(c, i), "started", NULL);
}

void sk_confirm_action_resume_point(struct sk_confirm *c, size_t i,
				    const char *reason)
{
	set_status(c, i, SK_ST_SUCCEEDED);
	set(act(c, i), "finished", now_obj());
	set(act(c, i), "resume_reason", sk_json_str(reason));
}

void sk_confirm_job(struct sk_confirm *c, const char *job_id)
{
	set(c->doc, "job_id", sk_json_str(job_id));
}

void sk_confirm_unsuspend(struct sk_confirm *c)
{
	set(c->doc, "result", json_object_new_string("running"));
	set(c->doc, "suspended", NULL);
}

enum sk_action_status sk_confirm_status(const struct sk_confirm *c, size_t i)
{
	return c->st[i];
}
