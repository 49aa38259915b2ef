/* SPDX-License-Identifier: MIT */
/* manifest.c - manifest.json: parse with json-c, validate, index. */
#include "package/manifest.h"

#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/linkhash.h>

#include "base/hash.h"
#include "base/jsonstrict.h"
#include "base/names.h"
#include "base/util.h"

/* Room for a name quoted in a message: a valid name (at most 255 bytes)
 * fits whole; anything longer is cut. */
#define SHOW_MAX SK_SHOW_MAX
#define PATH_MAX_LEN 512
/* Every problem is listed, up to this many: a hostile manifest could
 * otherwise turn 1 MiB of JSON into a hundred thousand messages. */
#define MAX_PROBLEMS 100

struct pset {
	struct sk_payload_decl *v;
	size_t n, cap;
	size_t *seen;  /* 1 + number of the action that last listed it */
	size_t *order; /* 1 + rank of first use; 0 while unused */
	size_t n_used;
	struct lh_table *index; /* name -> index */
};

struct mctx {
	struct sk_manifest *m;
	const struct sk_limits *lim;
	unsigned int flags;
	struct sk_problems *d;
	size_t errors;
	/* How action payload references are resolved. */
	enum { PAY_TABLE, PAY_COLLECT, PAY_BROKEN } pay_mode;
	struct pset ps;
};

void sk_limits_default(struct sk_limits *l)
{
	l->manifest_bytes = 1024 * 1024;
	l->max_actions = 1024;
	l->max_payloads = 1024;
	l->max_name_len = 255;
	l->max_depth = 32;
	l->max_total_size = 64ULL << 30;
	l->max_timeout_s = 86400;
}

static void oom(struct mctx *c)
{
	c->errors++;
	sk_problems_add(c->d, SK_PROBLEM_SYSTEM, "out of memory");
}

/* Report a problem at path (NULL: the whole document). */
static void bad(struct mctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void bad(struct mctx *c, const char *path, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	if (++c->errors > MAX_PROBLEMS) {
		if (c->errors == MAX_PROBLEMS + 1)
			sk_problems_add(
				c->d, SK_PROBLEM_PACKAGE,
				"%s: more than %d problems, the rest are not listed",
				SK_MANIFEST_NAME, MAX_PROBLEMS);
		return;
	}
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sk_problems_add(c->d, SK_PROBLEM_SYSTEM, "out of memory");
		return;
	}
	if (path)
		sk_problems_add(c->d, SK_PROBLEM_PACKAGE, "%s: %s: %s",
				SK_MANIFEST_NAME, path, msg);
	else
		sk_problems_add(c->d, SK_PROBLEM_PACKAGE, "%s: %s",
				SK_MANIFEST_NAME, msg);
	free(msg);
}

static const char *show(const char *s, size_t len, char out[SHOW_MAX])
{
	return sk_show(s, len, out);
}

static const char *show_str(const char *s, char out[SHOW_MAX])
{
	return show(s, strlen(s), out);
}

/* A JSON string value shown whole, embedded NUL bytes included. */
static const char *show_json(struct json_object *v, char out[SHOW_MAX])
{
	return show(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v), out);
}

/* The member key of obj; *present tells an absent member from a JSON null
 * (both return NULL). */
static struct json_object *member(struct json_object *obj, const char *key,
				  bool *present)
{
	struct json_object *v = NULL;

	*present = json_object_object_get_ex(obj, key, &v);
	return v;
}

/* Look up a required member; report it when absent. */
static bool need(struct mctx *c, struct json_object *obj, const char *key,
		 const char *path, struct json_object **v)
{
	bool present;

	*v = member(obj, key, &present);
	if (!present)
		bad(c, path, "missing required field");
	return present;
}

/* The string in v, at most maxlen bytes (0: no limit), without NUL bytes;
 * NULL after reporting why not. */
static const char *get_str(struct mctx *c, struct json_object *v,
			   const char *path, size_t maxlen, bool allow_empty)
{
	const char *s;
	size_t len;

	if (!json_object_is_type(v, json_type_string)) {
		bad(c, path, "must be a string");
		return NULL;
	}
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (strlen(s) != len) {
		bad(c, path, "must not contain NUL bytes");
		return NULL;
	}
	if (len == 0 && !allow_empty) {
		bad(c, path, "must not be empty");
		return NULL;
	}
	if (maxlen && len > maxlen) {
		bad(c, path, "longer than %zu bytes", maxlen);
		return NULL;
	}
	return s;
}

/* A json-c integer that is not negative (doubles are refused). */
static bool get_uint(struct json_object *v, unsigned long long *out)
{
	if (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return false;
	*out = (unsigned long long)json_object_get_uint64(v);
	return true;
}

/* v is a JSON string equal to s (no NUL byte hidden after s). */
static bool string_is(struct json_object *v, const char *s)
{
	return json_object_is_type(v, json_type_string) &&
	       (size_t)json_object_get_string_len(v) == strlen(s) &&
	       !strcmp(json_object_get_string(v), s);
}

static bool printable_ascii(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

/* s matches [A-Za-z0-9._-]+ */
/* Ids name staging directories: "." and ".." would be no directory of
 * their own. */
static bool id_valid(const char *s)
{
	if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++) {
		char ch = *s;

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		      ch == '-'))
			return false;
	}
	return true;
}

bool sk_payload_name_valid(const char *name, size_t maxlen)
{
	const char *p, *start;
	size_t len;

	if (!name)
		return false;
	len = strlen(name);
	if (len == 0 || len > maxlen)
		return false;
	if (!strcmp(name, SK_MANIFEST_NAME) || !strcmp(name, SK_SIGNATURE_NAME))
		return false;
	start = name;
	for (p = name;; p++) {
		char ch = *p;

		if (ch == '/' || ch == '\0') {
			size_t clen = (size_t)(p - start);

			if (clen == 0 || (clen == 1 && start[0] == '.') ||
			    (clen == 2 && start[0] == '.' && start[1] == '.'))
				return false;
			if (ch == '\0')
				return true;
			start = p + 1;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		      ch == '+' || ch == '-'))
			return false;
	}
}

/* --- the JSON text --- */

static struct json_object *parse_text(struct mctx *c, const char *text,
				      size_t len)
{
	struct json_tokener *tok;
	struct json_object *root = NULL;
	enum json_tokener_error err;
	char *why = NULL;
	size_t end;

	/* json-c takes an int length. */
	if (len > INT_MAX) {
		bad(c, NULL, "%zu bytes, the limit is %d", len, INT_MAX);
		return NULL;
	}
	/* json-c crashes with a depth of 0. */
	tok = json_tokener_new_ex(c->lim->max_depth > 0 ? c->lim->max_depth : 1);
	if (!tok) {
		oom(c);
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text ? text : "", (int)len);
	err = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (err == json_tokener_continue) {
		/* All text was given: a NUL byte ends a top-level scalar
		 * ("null", "1"), so that it is reported for what it is. */
		root = json_tokener_parse_ex(tok, "", 1);
		if (json_tokener_get_error(tok) == json_tokener_success)
			err = json_tokener_success;
		end = len;
	}
	if (err == json_tokener_continue) {
		bad(c, NULL, "unexpected end of JSON text");
	} else if (err == json_tokener_error_depth) {
		bad(c, NULL, "JSON nested deeper than %d levels",
		    c->lim->max_depth);
	} else if (err != json_tokener_success) {
		bad(c, NULL, "invalid JSON at byte %zu: %s", end,
		    json_tokener_error_desc(err));
	} else if (end < len) {
		/* json-c stops at the end of the value; a NUL byte or any
		 * other byte after it is garbage. */
		bad(c, NULL, "unexpected data after the JSON value at byte %zu",
		    end);
	} else if (!json_object_is_type(root, json_type_object)) {
		bad(c, NULL, "top level is not an object");
	} else if (sk_json_strict_check(text, len, c->lim->max_depth, &why)) {
		/* json-c accepted it, yet another reader could read it
		 * otherwise: a signed manifest must mean one thing. */
		if (why)
			bad(c, NULL, "not strict JSON: %s", why);
		else
			oom(c);
		free(why);
	} else {
		json_tokener_free(tok);
		return root;
	}
	json_object_put(root);
	json_tokener_free(tok);
	return NULL;
}

/* --- top-level sections --- */

/* False if the format is one this installer cannot read at all. */
static bool check_format(struct mctx *c, struct json_object *root)
{
	struct json_object *v;

	if (!need(c, root, "sup_format", "sup_format", &v))
		return true;
	if (!json_object_is_type(v, json_type_int)) {
		bad(c, "sup_format", "must be an integer");
		return true;
	}
	if (json_object_get_int64(v) != SK_SUP_FORMAT) {
		bad(c, "sup_format",
		    "unsupported format %lld, this installer reads %d",
		    (long long)json_object_get_int64(v), SK_SUP_FORMAT);
		return false;
	}
	c->m->sup_format = SK_SUP_FORMAT;
	return true;
}

static const char *package_text(struct mctx *c, struct json_object *pkg,
				const char *key, const char *path)
{
	struct json_object *v;
	const char *s;

	if (!need(c, pkg, key, path, &v))
		return NULL;
	s = get_str(c, v, path, c->lim->max_name_len, false);
	if (s && !printable_ascii(s)) {
		bad(c, path, "must contain only printable ASCII characters");
		return NULL;
	}
	return s;
}

static void check_package(struct mctx *c, struct json_object *root)
{
	struct json_object *pkg, *v;
	bool present;

	if (!need(c, root, "package", "package", &pkg))
		return;
	if (!json_object_is_type(pkg, json_type_object)) {
		bad(c, "package", "must be an object");
		return;
	}
	c->m->name = package_text(c, pkg, "name", "package.name");
	c->m->version = package_text(c, pkg, "version", "package.version");
	v = member(pkg, "description", &present);
	if (present)
		c->m->description =
			get_str(c, v, "package.description", 0, true);
	v = member(pkg, "security_version", &present);
	if (present && (!get_uint(v, &c->m->security_version) ||
			c->m->security_version > SK_SECURITY_VERSION_MAX))
		bad(c, "package.security_version",
		    "must be an integer from 0 to %llu",
		    (unsigned long long)SK_SECURITY_VERSION_MAX);
}

/* "MAJOR.MINOR", decimal digits only. */
static bool parse_version(const char *s, unsigned int *major,
			  unsigned int *minor)
{
	unsigned int *part = major;
	unsigned long v = 0;
	size_t digits = 0;

	for (;; s++) {
		if (*s >= '0' && *s <= '9') {
			v = v * 10 + (unsigned long)(*s - '0');
			if (v > UINT_MAX)
				return false;
			digits++;
			continue;
		}
		if (digits == 0)
			return false;
		*part = (unsigned int)v;
		if (*s == '.' && part == major) {
			part = minor;
			v = 0;
			digits = 0;
			continue;
		}
		return *s == '\0' && part == minor;
	}
}

static void check_products(struct mctx *c, struct json_object *list)
{
	char path[PATH_MAX_LEN];
	size_t i, n;

	if (!json_object_is_type(list, json_type_array)) {
		bad(c, "compatibility.products", "must be an array");
		return;
	}
	n = json_object_array_length(list);
	if (n == 0) {
		bad(c, "compatibility.products", "must not be empty");
		return;
	}
	c->m->products = calloc(n, sizeof(*c->m->products));
	if (!c->m->products) {
		oom(c);
		return;
	}
	for (i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(list, i);
		const char *s;

		snprintf(path, sizeof(path), "compatibility.products[%zu]", i);
		s = get_str(c, v, path, c->lim->max_name_len, false);
		if (!s)
			continue;
		if (!printable_ascii(s)) {
			bad(c, path,
			    "must contain only printable ASCII characters");
			continue;
		}
		c->m->products[c->m->n_products++] = s;
	}
}

static void check_compat(struct mctx *c, struct json_object *root)
{
	struct json_object *compat, *v;
	char shown[SHOW_MAX];
	const char *s;
	bool present;

	compat = member(root, "compatibility", &present);
	if (!present)
		return;
	if (!json_object_is_type(compat, json_type_object)) {
		bad(c, "compatibility", "must be an object");
		return;
	}
	v = member(compat, "products", &present);
	if (present)
		check_products(c, v);
	v = member(compat, "min_installer", &present);
	if (!present)
		return;
	s = get_str(c, v, "compatibility.min_installer", 0, false);
	if (!s)
		return;
	if (!parse_version(s, &c->m->min_installer_major,
			   &c->m->min_installer_minor)) {
		bad(c, "compatibility.min_installer",
		    "must be MAJOR.MINOR, got '%s'", show_str(s, shown));
		return;
	}
	c->m->min_installer = s;
}

/* --- payloads --- */

static int pset_reserve(struct pset *ps, size_t n)
{
	struct sk_payload_decl *v;
	size_t *seen, *order;
	size_t cap;

	if (n <= ps->cap)
		return 0;
	cap = ps->cap ? ps->cap : 16;
	while (cap < n) {
		if (cap > SIZE_MAX / 2 / sizeof(*v))
			return -1;
		cap *= 2;
	}
	v = realloc(ps->v, cap * sizeof(*v));
	if (!v)
		return -1;
	ps->v = v;
	seen = realloc(ps->seen, cap * sizeof(*seen));
	if (!seen)
		return -1;
	ps->seen = seen;
	order = realloc(ps->order, cap * sizeof(*order));
	if (!order)
		return -1;
	ps->order = order;
	ps->cap = cap;
	return 0;
}

/* Append name (borrowed) and index it; its index or -1 without memory. */
static ssize_t pset_add(struct pset *ps, const char *name)
{
	struct sk_payload_decl *p;

	if (pset_reserve(ps, ps->n + 1))
		return -1;
	if (lh_table_insert(ps->index, name, (void *)(uintptr_t)ps->n))
		return -1;
	p = &ps->v[ps->n];
	memset(p, 0, sizeof(*p));
	p->name = name;
	ps->seen[ps->n] = 0;
	ps->order[ps->n] = 0;
	return (ssize_t)ps->n++;
}

static ssize_t pset_find(struct pset *ps, const char *name)
{
	void *v;

	if (!lh_table_lookup_ex(ps->index, name, &v))
		return -1;
	return (ssize_t)(uintptr_t)v;
}

static void pset_release(struct pset *ps)
{
	free(ps->v);
	free(ps->seen);
	free(ps->order);
	if (ps->index)
		lh_table_free(ps->index);
	memset(ps, 0, sizeof(*ps));
}

static void check_payload_entry(struct mctx *c, const char *name,
				struct json_object *entry,
				struct sk_payload_decl *p,
				unsigned long long *total, bool *too_big)
{
	bool pack = c->flags & SK_MANIFEST_PACK_INPUT;
	char path[PATH_MAX_LEN], shown[SHOW_MAX];
	struct json_object *v;
	const char *s;
	bool present;

	if (!sk_payload_name_valid(name, c->lim->max_name_len)) {
		bad(c, "payloads", "invalid payload name '%s'",
		    show_str(name, shown));
		return;
	}
	if (!json_object_is_type(entry, json_type_object)) {
		snprintf(path, sizeof(path), "payloads.%s", name);
		bad(c, path, "must be an object");
		return;
	}
	snprintf(path, sizeof(path), "payloads.%s.size", name);
	v = member(entry, "size", &present);
	if (!present && !pack) {
		bad(c, path, "missing required field");
	} else if (present && !get_uint(v, &p->size)) {
		bad(c, path, "must be a non-negative integer");
	} else if (present) {
		if (p->size > ULLONG_MAX - *total)
			*too_big = true;
		else
			*total += p->size;
	}
	snprintf(path, sizeof(path), "payloads.%s.sha256", name);
	v = member(entry, "sha256", &present);
	if (!present) {
		if (!pack)
			bad(c, path, "missing required field");
		return;
	}
	s = get_str(c, v, path, 0, true);
	if (!s)
		return;
	if (!sk_sha256_hex_valid(s)) {
		bad(c, path, "must be 64 lowercase hex digits");
		return;
	}
	memcpy(p->sha256, s, SK_SHA256_HEX_LEN + 1);
}

static void check_payload_table(struct mctx *c, struct json_object *root)
{
	unsigned long long total = 0;
	struct json_object_iter it;
	struct json_object *table;
	bool present, too_big = false;
	size_t n;

	c->pay_mode = PAY_BROKEN;
	table = member(root, "payloads", &present);
	if (!present) {
		if (c->flags & SK_MANIFEST_PACK_INPUT)
			c->pay_mode = PAY_COLLECT;
		else
			bad(c, "payloads", "missing required field");
		return;
	}
	if (!json_object_is_type(table, json_type_object)) {
		bad(c, "payloads", "must be an object");
		return;
	}
	n = (size_t)json_object_object_length(table);
	if (n > c->lim->max_payloads) {
		bad(c, "payloads", "%zu payloads, the limit is %zu", n,
		    c->lim->max_payloads);
		return;
	}
	if (pset_reserve(&c->ps, n)) {
		oom(c);
		return;
	}
	json_object_object_foreachC(table, it)
	{
		ssize_t i = pset_add(&c->ps, it.key);

		if (i < 0) {
			oom(c);
			return;
		}
		check_payload_entry(c, it.key, it.val, &c->ps.v[i], &total,
				    &too_big);
	}
	if (too_big || total > c->lim->max_total_size)
		bad(c, "payloads", "total size is over the limit of %llu bytes",
		    c->lim->max_total_size);
	c->pay_mode = PAY_TABLE;
}

/* --- actions --- */

/* Resolve one entry of an action's payloads list; its index or -1. */
static ssize_t action_payload(struct mctx *c, struct json_object *v,
			      const char *path)
{
	char shown[SHOW_MAX];
	const char *name;
	ssize_t idx;

	if (!json_object_is_type(v, json_type_string)) {
		bad(c, path, "must be a string");
		return -1;
	}
	name = json_object_get_string(v);
	if (strlen(name) != (size_t)json_object_get_string_len(v) ||
	    !sk_payload_name_valid(name, c->lim->max_name_len)) {
		bad(c, path, "invalid payload name '%s'", show_json(v, shown));
		return -1;
	}
	if (c->pay_mode == PAY_BROKEN)
		return -1;
	idx = pset_find(&c->ps, name);
	if (idx >= 0)
		return idx;
	if (c->pay_mode == PAY_TABLE) {
		bad(c, path, "unknown payload '%s'", name);
		return -1;
	}
	if (c->ps.n >= c->lim->max_payloads) {
		bad(c, "actions",
		    "more than %zu distinct payloads, the limit is %zu",
		    c->lim->max_payloads, c->lim->max_payloads);
		c->pay_mode = PAY_BROKEN;
		return -1;
	}
	idx = pset_add(&c->ps, name);
	if (idx < 0)
		oom(c);
	return idx;
}

static void check_action_payloads(struct mctx *c, struct json_object *list,
				  size_t ai, struct sk_action_decl *a)
{
	char path[PATH_MAX_LEN];
	size_t j, n;

	snprintf(path, sizeof(path), "actions[%zu].payloads", ai);
	if (!json_object_is_type(list, json_type_array)) {
		bad(c, path, "must be an array");
		return;
	}
	n = json_object_array_length(list);
	if (n > c->lim->max_payloads) {
		bad(c, path, "%zu payloads, the limit is %zu", n,
		    c->lim->max_payloads);
		return;
	}
	if (n == 0)
		return;
	a->payloads = calloc(n, sizeof(*a->payloads));
	if (!a->payloads) {
		oom(c);
		return;
	}
	for (j = 0; j < n; j++) {
		ssize_t idx;

		snprintf(path, sizeof(path), "actions[%zu].payloads[%zu]", ai,
			 j);
		idx = action_payload(c, json_object_array_get_idx(list, j),
				     path);
		if (idx < 0)
			continue;
		if (c->ps.seen[idx] == ai + 1) {
			bad(c, path, "payload '%s' listed twice",
			    c->ps.v[idx].name);
			continue;
		}
		c->ps.seen[idx] = ai + 1;
		if (c->ps.order[idx] == 0)
			c->ps.order[idx] = ++c->ps.n_used;
		a->payloads[a->n_payloads++] = (size_t)idx;
	}
}

static void check_action_id(struct mctx *c, struct json_object *act,
			    size_t ai, struct lh_table *ids)
{
	char path[PATH_MAX_LEN], shown[SHOW_MAX];
	struct json_object *v;
	const char *s;
	void *other;

	snprintf(path, sizeof(path), "actions[%zu].id", ai);
	if (!need(c, act, "id", path, &v))
		return;
	s = get_str(c, v, path, c->lim->max_name_len, false);
	if (!s)
		return;
	if (!id_valid(s)) {
		bad(c, path, "invalid id '%s', use only A-Z a-z 0-9 . _ - (not '.' or '..')",
		    show_str(s, shown));
		return;
	}
	if (lh_table_lookup_ex(ids, s, &other)) {
		bad(c, path, "duplicate id '%s', also used by actions[%zu]", s,
		    (size_t)(uintptr_t)other);
		return;
	}
	if (lh_table_insert(ids, s, (void *)(uintptr_t)ai)) {
		oom(c);
		return;
	}
	c->m->actions[ai].id = s;
}

static void check_action_type(struct mctx *c, struct json_object *act,
			      size_t ai)
{
	char path[PATH_MAX_LEN], shown[SHOW_MAX];
	struct json_object *v;
	const char *s;

	snprintf(path, sizeof(path), "actions[%zu].type", ai);
	if (!need(c, act, "type", path, &v))
		return;
	s = get_str(c, v, path, c->lim->max_name_len, false);
	if (!s)
		return;
	if (!sk_action_type_valid(s)) {
		bad(c, path,
		    "invalid type '%s', expected PLUGIN.VERB of a-z 0-9 _ -",
		    show_str(s, shown));
		return;
	}
	c->m->actions[ai].type = s;
}

static void check_action_params(struct mctx *c, struct json_object *act,
				size_t ai)
{
	char path[PATH_MAX_LEN];
	struct json_object *v;
	bool present;

	v = member(act, "params", &present);
	if (present) {
		if (json_object_is_type(v, json_type_object)) {
			c->m->actions[ai].params = v;
		} else {
			snprintf(path, sizeof(path), "actions[%zu].params", ai);
			bad(c, path, "must be an object");
		}
		return;
	}
	/* Absent params read as {}: the object is put in the tree so that
	 * root owns it like any other. */
	v = json_object_new_object();
	if (!v || json_object_object_add(act, "params", v)) {
		json_object_put(v);
		oom(c);
		return;
	}
	c->m->actions[ai].params = v;
}

static void check_action_options(struct mctx *c, struct json_object *act,
				 size_t ai)
{
	struct sk_action_decl *a = &c->m->actions[ai];
	char path[PATH_MAX_LEN];
	struct json_object *v;
	bool present;

	v = member(act, "on_error", &present);
	if (present) {
		if (string_is(v, "continue")) {
			a->on_error = SK_ON_ERROR_CONTINUE;
		} else if (!string_is(v, "abort")) {
			snprintf(path, sizeof(path), "actions[%zu].on_error",
				 ai);
			bad(c, path, "must be \"abort\" or \"continue\"");
		}
	}
	v = member(act, "timeout_s", &present);
	if (present) {
		unsigned long long t;

		if (!get_uint(v, &t) || t < 1 || t > c->lim->max_timeout_s) {
			snprintf(path, sizeof(path), "actions[%zu].timeout_s",
				 ai);
			bad(c, path, "must be an integer from 1 to %lu",
			    c->lim->max_timeout_s);
		} else {
			a->timeout_s = (unsigned long)t;
		}
	}
}

static void check_actions(struct mctx *c, struct json_object *root)
{
	struct lh_table *ids = NULL;
	struct json_object *list, *v;
	char path[PATH_MAX_LEN];
	size_t i, n;
	bool present;

	if (!need(c, root, "actions", "actions", &list))
		return;
	if (!json_object_is_type(list, json_type_array)) {
		bad(c, "actions", "must be an array");
		return;
	}
	n = json_object_array_length(list);
	if (n == 0) {
		bad(c, "actions", "must not be empty");
		return;
	}
	if (n > c->lim->max_actions) {
		bad(c, "actions", "%zu actions, the limit is %zu", n,
		    c->lim->max_actions);
		return;
	}
	c->m->actions = calloc(n, sizeof(*c->m->actions));
	ids = lh_kchar_table_new(n > INT_MAX / 2 ? INT_MAX : (int)(2 * n),
				 NULL);
	if (!c->m->actions || !ids) {
		oom(c);
		goto out;
	}
	c->m->n_actions = n;
	for (i = 0; i < n; i++) {
		struct json_object *act = json_object_array_get_idx(list, i);

		if (!json_object_is_type(act, json_type_object)) {
			snprintf(path, sizeof(path), "actions[%zu]", i);
			bad(c, path, "must be an object");
			continue;
		}
		check_action_id(c, act, i, ids);
		check_action_type(c, act, i);
		check_action_params(c, act, i);
		v = member(act, "payloads", &present);
		if (present)
			check_action_payloads(c, v, i, &c->m->actions[i]);
		check_action_options(c, act, i);
	}
out:
	if (ids)
		lh_table_free(ids);
}

/* Report unused payloads and hand the set to m in first-use order (the
 * order of the archive entries); unused ones, an error, come last. */
static void finish_payloads(struct mctx *c)
{
	struct pset *ps = &c->ps;
	struct sk_manifest *m = c->m;
	size_t i, j, unused = 0, *pos;

	if (ps->n == 0)
		return;
	pos = calloc(ps->n, sizeof(*pos));
	m->payloads = calloc(ps->n, sizeof(*m->payloads));
	if (!pos || !m->payloads) {
		free(pos);
		free(m->payloads);
		m->payloads = NULL;
		oom(c);
		return;
	}
	for (i = 0; i < ps->n; i++) {
		if (ps->order[i]) {
			pos[i] = ps->order[i] - 1;
			continue;
		}
		pos[i] = ps->n_used + unused++;
		if (c->pay_mode == PAY_TABLE) {
			char path[PATH_MAX_LEN];

			snprintf(path, sizeof(path), "payloads.%s",
				 ps->v[i].name);
			/* Invalid names were reported already. */
			if (sk_payload_name_valid(ps->v[i].name,
						  c->lim->max_name_len))
				bad(c, path, "not used by any action");
		}
	}
	for (i = 0; i < ps->n; i++)
		m->payloads[pos[i]] = ps->v[i];
	m->n_payloads = ps->n;
	for (i = 0; i < m->n_actions; i++)
		for (j = 0; j < m->actions[i].n_payloads; j++)
			m->actions[i].payloads[j] =
				pos[m->actions[i].payloads[j]];
	free(pos);
}

int sk_manifest_parse(struct sk_manifest *m, const char *text, size_t len,
		      const struct sk_limits *lim, unsigned int flags,
		      struct sk_problems *d)
{
	struct sk_limits defaults;
	struct mctx c;

	memset(m, 0, sizeof(*m));
	if (!text)
		len = 0;
	if (!lim) {
		sk_limits_default(&defaults);
		lim = &defaults;
	}
	memset(&c, 0, sizeof(c));
	c.m = m;
	c.lim = lim;
	c.flags = flags;
	c.d = d;
	if (len > lim->manifest_bytes) {
		bad(&c, NULL, "%zu bytes, the limit is %zu", len,
		    lim->manifest_bytes);
		return -1;
	}
	m->root = parse_text(&c, text, len);
	if (!m->root)
		return -1;
	c.ps.index = lh_kchar_table_new(64, NULL);
	if (!c.ps.index) {
		oom(&c);
		return -1;
	}
	/* An unknown format may mean anything: checking it as format 1
	 * would only add noise. */
	if (!check_format(&c, m->root))
		goto out;
	check_package(&c, m->root);
	check_compat(&c, m->root);
	check_payload_table(&c, m->root);
	check_actions(&c, m->root);
	finish_payloads(&c);
out:
	pset_release(&c.ps);
	return c.errors ? -1 : 0;
}

void sk_manifest_release(struct sk_manifest *m)
{
	size_t i;

	for (i = 0; i < m->n_actions; i++)
		free(m->actions[i].payloads);
	free(m->actions);
	free(m->payloads);
	free(m->products);
	json_object_put(m->root);
	memset(m, 0, sizeof(*m));
}

ssize_t sk_manifest_find_payload(const struct sk_manifest *m,
				 const char *name)
{
	size_t i;

	for (i = 0; i < m->n_payloads; i++)
		if (!strcmp(m->payloads[i].name, name))
			return (ssize_t)i;
	return -1;
}

bool sk_manifest_product_matches(const struct sk_manifest *m,
				 const char *product)
{
	size_t i;

	if (m->n_products == 0)
		return true;
	for (i = 0; i < m->n_products; i++) {
		if (!product) {
			if (!strcmp(m->products[i], "*"))
				return true;
		} else if (fnmatch(m->products[i], product, 0) == 0) {
			return true;
		}
	}
	return false;
}
