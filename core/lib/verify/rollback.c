/* SPDX-License-Identifier: MIT */
/* rollback.c - installed.json (json-c) and the anti-rollback verdict. */
#include "verify/rollback.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "base/version.h"

#define SK_INSTALLED_FORMAT 1
/*
 * Bounds what a corrupt file costs. 2048 records of the largest kind
 * (255-byte name and version, each byte possibly escaped, pretty printed)
 * take about 2.7 MB, so a file this installer writes always reads back.
 */
#define SK_INSTALLED_MAX_BYTES (4 * 1024 * 1024)
#define SK_INSTALLED_MAX_PKGS 2048
/* Ours nest 4 deep (json-c counts the top-level object as 1); room for
 * members added later, no room for a stack-eating file. */
#define SK_INSTALLED_DEPTH 16
#define SK_NAME_MAX 255
#define SK_STAMP_MAX 64
/* 9999-12-31T23:59:59Z */
#define SK_TIME_MAX 253402300799LL

/* 1 to max bytes, all printable ASCII (so no NUL either). */
static bool printable(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

static bool json_text(json_object *v, size_t max)
{
	return json_object_is_type(v, json_type_string) &&
	       printable(json_object_get_string(v),
			 (size_t)json_object_get_string_len(v), max);
}

/* A non-negative JSON integer (not 3.0, not "3"). */
static bool json_uint(json_object *v, unsigned long long *out)
{
	if (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return false;
	*out = json_object_get_uint64(v);
	return true;
}

static json_object *member(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* The file's bytes, NUL-terminated; -ENOENT when there is none. The
 * installer writes it by rename: a link there is not its record, and
 * is never followed. */
static int read_text(int state_fd, char **text, size_t *len, const char **why)
{
	int r = sk_read_small_file_at(state_fd, SK_INSTALLED_NAME, O_NOFOLLOW,
				      SK_INSTALLED_MAX_BYTES, text, len, NULL);

	*why = "cannot read " SK_INSTALLED_NAME;
	if (r == -ELOOP)
		*why = SK_INSTALLED_NAME " is a symbolic link";
	else if (r == -EINVAL)
		*why = SK_INSTALLED_NAME " is not a regular file";
	else if (r == -EFBIG)
		*why = SK_INSTALLED_NAME " is larger than 4 MiB";
	else if (r == -ENOMEM)
		*why = "out of memory";
	return r == -EFBIG || r == -ELOOP ? -EINVAL : r;
}

/* The parsed file, or *root NULL when there is none; not yet checked. */
static int load_tree(int state_fd, json_object **root, const char **why)
{
	struct json_tokener *tok = NULL;
	char *text = NULL;
	size_t len = 0;
	int r;

	*root = NULL;
	r = read_text(state_fd, &text, &len, why);
	if (r == -ENOENT) {
		r = 0;
		goto out;
	}
	if (r)
		goto out;
	tok = json_tokener_new_ex(SK_INSTALLED_DEPTH);
	if (!tok) {
		r = -ENOMEM;
		*why = "out of memory";
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	*root = json_tokener_parse_ex(tok, text, (int)len);
	/* Strict mode refuses trailing text, but stops at a NUL byte. */
	if (!*root || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		json_object_put(*root);
		*root = NULL;
		r = -EINVAL;
		*why = SK_INSTALLED_NAME " is not valid JSON (or is truncated)";
	}
out:
	if (tok)
		json_tokener_free(tok);
	free(text);
	return r;
}

static int bad(const char **why, const char *what)
{
	*why = what;
	return -EINVAL;
}

static int check_pkg(const char *name, json_object *p,
		     struct sk_installed_pkg *out, const char **why)
{
	unsigned long long sv;
	json_object *version, *at;

	if (!printable(name, strlen(name), SK_NAME_MAX))
		return bad(why, SK_INSTALLED_NAME ": a package name is not "
				"1-255 printable ASCII bytes");
	if (!json_object_is_type(p, json_type_object))
		return bad(why, SK_INSTALLED_NAME ": a package record is not "
				"an object");
	version = member(p, "version");
	if (!json_text(version, SK_NAME_MAX))
		return bad(why, SK_INSTALLED_NAME ": a package 'version' is "
				"missing or not 1-255 printable ASCII bytes");
	if (!json_uint(member(p, "security_version"), &sv))
		return bad(why, SK_INSTALLED_NAME ": a package "
				"'security_version' is missing, negative or "
				"not an integer");
	at = member(p, "installed_at");
	if (!json_text(at, SK_STAMP_MAX))
		return bad(why, SK_INSTALLED_NAME ": a package 'installed_at' "
				"is missing or not 1-64 printable ASCII bytes");
	if (!out)
		return 0;
	out->security_version = sv;
	out->name = strdup(name);
	out->version = strdup(json_object_get_string(version));
	out->installed_at = strdup(json_object_get_string(at));
	if (!out->name || !out->version || !out->installed_at) {
		*why = "out of memory";
		return -ENOMEM;
	}
	return 0;
}

/* Check every member we know; fill s unless it is NULL. */
static int check_tree(json_object *root, struct sk_installed *s,
		      const char **why)
{
	struct json_object_iterator it, end;
	unsigned long long floor;
	json_object *v, *pkgs;
	size_t n;
	int r;

	if (!json_object_is_type(root, json_type_object))
		return bad(why, SK_INSTALLED_NAME " is not a JSON object");
	v = member(root, "format");
	if (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) != SK_INSTALLED_FORMAT)
		return bad(why, SK_INSTALLED_NAME ": unknown format (this "
				"installer reads format 1)");
	if (!json_uint(member(root, "time_floor"), &floor) ||
	    floor > (unsigned long long)SK_TIME_MAX)
		return bad(why, SK_INSTALLED_NAME ": 'time_floor' is missing, "
				"not an integer or out of range");
	pkgs = member(root, "packages");
	if (!json_object_is_type(pkgs, json_type_object))
		return bad(why, SK_INSTALLED_NAME ": 'packages' is missing or "
				"not an object");
	n = (size_t)json_object_object_length(pkgs);
	if (n > SK_INSTALLED_MAX_PKGS)
		return bad(why, SK_INSTALLED_NAME ": more than 2048 packages");
	if (s) {
		s->time_floor = (long long)floor;
		if (n > 0) {
			s->pkgs = calloc(n, sizeof(*s->pkgs));
			if (!s->pkgs) {
				*why = "out of memory";
				return -ENOMEM;
			}
		}
	}
	it = json_object_iter_begin(pkgs);
	end = json_object_iter_end(pkgs);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		r = check_pkg(json_object_iter_peek_name(&it),
			      json_object_iter_peek_value(&it),
			      s ? &s->pkgs[s->n] : NULL, why);
		if (s)
			s->n++; /* released with the rest even if partial */
		if (r)
			return r;
	}
	return 0;
}

int sk_installed_load(struct sk_installed *s, int state_fd, const char **why)
{
	json_object *root = NULL;
	int r;

	memset(s, 0, sizeof(*s));
	r = load_tree(state_fd, &root, why);
	if (!r && root)
		r = check_tree(root, s, why);
	if (r)
		sk_installed_release(s);
	json_object_put(root);
	return r;
}

void sk_installed_release(struct sk_installed *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->pkgs[i].name);
		free(s->pkgs[i].version);
		free(s->pkgs[i].installed_at);
	}
	free(s->pkgs);
	memset(s, 0, sizeof(*s));
}

const struct sk_installed_pkg *sk_installed_find(const struct sk_installed *s,
						 const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->pkgs[i].name, name))
			return &s->pkgs[i];
	return NULL;
}

enum sk_rollback sk_rollback_check(const struct sk_installed *s,
				   const char *name, const char *version,
				   unsigned long long sv)
{
	const struct sk_installed_pkg *p = sk_installed_find(s, name);
	int c;

	if (!p)
		return SK_RB_NEW;
	if (sv < p->security_version)
		return SK_RB_SECURITY_DOWNGRADE;
	c = sk_version_cmp(version, p->version);
	if (c > 0)
		return SK_RB_UPGRADE;
	return c < 0 ? SK_RB_DOWNGRADE : SK_RB_SAME;
}

const char *sk_rollback_str(enum sk_rollback r)
{
	switch (r) {
	case SK_RB_NEW:
		return "new";
	case SK_RB_UPGRADE:
		return "upgrade";
	case SK_RB_SAME:
		return "same version";
	case SK_RB_DOWNGRADE:
		return "downgrade";
	case SK_RB_SECURITY_DOWNGRADE:
		return "security downgrade";
	}
	return "unknown";
}

/* Set o[key] = v, taking v; -ENOMEM if v is NULL or cannot be added. */
static int put(json_object *o, const char *key, json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* The checked record, or a new empty one when there is no file. */
static int open_tree(int state_fd, json_object **root, const char **why)
{
	int r = load_tree(state_fd, root, why);

	if (r)
		return r;
	if (*root)
		return check_tree(*root, NULL, why);
	*root = json_object_new_object();
	if (!*root ||
	    put(*root, "format", json_object_new_int(SK_INSTALLED_FORMAT)) ||
	    put(*root, "time_floor", json_object_new_int64(0)) ||
	    put(*root, "packages", json_object_new_object())) {
		*why = "out of memory";
		return -ENOMEM;
	}
	return 0;
}

static int save_tree(int state_fd, json_object *root, const char **why)
{
	const char *json;
	char *text = NULL;
	int r = -ENOMEM;

	*why = "out of memory";
	json = json_object_to_json_string_ext(
		root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!json)
		goto out;
	text = sk_asprintf("%s\n", json);
	if (!text)
		goto out;
	/* Members kept from a newer installer could push it over. */
	if (strlen(text) > SK_INSTALLED_MAX_BYTES) {
		r = bad(why, SK_INSTALLED_NAME " would be larger than 4 MiB");
		goto out;
	}
	r = sk_write_file_atomic_at(state_fd, SK_INSTALLED_NAME, text,
				    strlen(text), 0644);
	if (r)
		*why = "cannot write " SK_INSTALLED_NAME;
out:
	free(text);
	return r;
}

int sk_installed_record(int state_fd, const char *name, const char *version,
			unsigned long long sv, const char **why)
{
	json_object *root = NULL, *pkgs, *p;
	unsigned long long old;
	char now[32];
	int r;

	if (!printable(name, strlen(name), SK_NAME_MAX))
		return bad(why, "package name is not 1-255 printable ASCII "
				"bytes");
	if (!printable(version, strlen(version), SK_NAME_MAX))
		return bad(why, "package version is not 1-255 printable ASCII "
				"bytes");
	r = open_tree(state_fd, &root, why);
	if (r)
		goto out;
	pkgs = member(root, "packages");
	p = member(pkgs, name);
	if (p) {
		/* Checked by open_tree(). */
		if (json_uint(member(p, "security_version"), &old) && old > sv)
			sv = old;
	} else {
		if (json_object_object_length(pkgs) >= SK_INSTALLED_MAX_PKGS) {
			r = bad(why, SK_INSTALLED_NAME " already holds 2048 "
				     "packages, the most it may");
			goto out;
		}
		p = json_object_new_object();
		r = put(pkgs, name, p);
		if (r) {
			*why = "out of memory";
			goto out;
		}
	}
	sk_utc_now(now);
	if (put(p, "version", json_object_new_string(version)) ||
	    put(p, "security_version", json_object_new_uint64(sv)) ||
	    put(p, "installed_at", json_object_new_string(now))) {
		r = -ENOMEM;
		*why = "out of memory";
		goto out;
	}
	r = save_tree(state_fd, root, why);
out:
	json_object_put(root);
	return r;
}

int sk_installed_raise_floor(int state_fd, long long t, const char **why)
{
	json_object *root = NULL;
	int r;

	if (t > SK_TIME_MAX) {
		*why = "time floor beyond 9999-12-31T23:59:59Z";
		return -ERANGE;
	}
	r = open_tree(state_fd, &root, why);
	if (r)
		goto out;
	/* Checked by open_tree(): 0 to SK_TIME_MAX. */
	if (t <= json_object_get_int64(member(root, "time_floor")))
		goto out;
	if (put(root, "time_floor", json_object_new_int64(t))) {
		r = -ENOMEM;
		*why = "out of memory";
		goto out;
	}
	r = save_tree(state_fd, root, why);
out:
	json_object_put(root);
	return r;
}
