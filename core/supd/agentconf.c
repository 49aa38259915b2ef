/* SPDX-License-Identifier: MIT */
/* agentconf.c - supd.conf through libinih. */
#include "agentconf.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/inifile.h"
#include "base/util.h"

#define SUPD_DEFAULT_DOWNLOAD_DIR "/var/lib/supkit/downloads"
#define SUPD_DEFAULT_STATE_DIR "/var/lib/supkit"
#define SUPD_DEFAULT_LOGS_DIR "/var/log/supkit"
/* As many --plugin-dir options as `sup install` takes. */
#define SUPD_MAX_PLUGIN_DIRS 32
#define SUPD_TEXT_MAX 256
#define SUPD_TOKEN_MAX 1024
#define SUPD_URL_MAX 2048

enum kind {
	K_TEXT,	  /* printable ASCII, 1..SUPD_TEXT_MAX bytes */
	K_SECRET, /* printable ASCII, never shown */
	K_URL,
	K_BOOL,
	K_UINT,
	K_PATH, /* absolute */
	K_PATHS /* comma-separated absolute paths */
};

struct key {
	const char *sec;
	const char *name;
	enum kind kind;
	size_t off; /* of the member in struct supd_conf */
	unsigned long long min, max;
};

#define STR(m) offsetof(struct supd_conf, m)
static const struct key keys[] = {
	{ "portal", "endpoint", K_URL, STR(endpoint), 0, 0 },
	{ "portal", "app_id", K_TEXT, STR(app_id), 0, 0 },
	{ "portal", "app_token", K_SECRET, STR(app_token), 0, 0 },
	{ "portal", "thing_key", K_TEXT, STR(thing_key), 0, 0 },
	{ "portal", "ca_bundle", K_PATH, STR(ca_bundle), 0, 0 },
	{ "portal", "insecure", K_BOOL, STR(insecure), 0, 0 },
	{ "agent", "poll_interval_s", K_UINT, STR(poll_interval_s), 1, 86400 },
	{ "agent", "max_backoff_s", K_UINT, STR(max_backoff_s), 1, 86400 },
	{ "agent", "download_dir", K_PATH, STR(download_dir), 0, 0 },
	{ "agent", "state_dir", K_PATH, STR(state_dir), 0, 0 },
	{ "agent", "logs_dir", K_PATH, STR(logs_dir), 0, 0 },
	{ "agent", "sup_path", K_PATH, STR(sup_path), 0, 0 },
	{ "agent", "root", K_PATH, STR(root), 0, 0 },
	{ "agent", "sup_config", K_PATH, STR(sup_config), 0, 0 },
	{ "agent", "plugin_dirs", K_PATHS, STR(plugin_dirs), 0, 0 },
	{ "agent", "min_free_mb", K_UINT, STR(min_free_mb), 0, 1048576 },
	{ "agent", "mailbox_limit", K_UINT, STR(mailbox_limit), 1, 100 },
};
#undef STR
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

enum { KEY_ENDPOINT = 0, KEY_APP_ID, KEY_APP_TOKEN, KEY_THING_KEY,
       KEY_CA_BUNDLE, KEY_INSECURE, KEY_POLL, KEY_BACKOFF, KEY_DOWNLOAD,
       KEY_STATE, KEY_LOGS, KEY_SUP_PATH, KEY_ROOT, KEY_SUP_CONFIG };

struct parse_state {
	struct sk_ini ini; /* first: the key handler gets &ps->ini */
	struct supd_conf *c;
	int seen[NKEYS]; /* line of each key, 0 if absent */
};

/* A problem at line (0: the file as a whole). */
#define bad(ps, line, ...) sk_ini_bad(&(ps)->ini, (line), __VA_ARGS__)

static bool printable(const char *s, bool space_ok)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch > 0x7e || ch < 0x20 || (ch == ' ' && !space_ok))
			return false;
	}
	return true;
}

static bool path_ok(const char *v, const char **why)
{
	if (v[0] != '/') {
		*why = "is not an absolute path";
		return false;
	}
	if (strlen(v) >= PATH_MAX) {
		*why = "is too long";
		return false;
	}
	if (!printable(v, true)) {
		*why = "holds a control or non-ASCII character";
		return false;
	}
	return true;
}

/* Split "a, b,c" into trimmed absolute paths. */
static int set_paths(struct parse_state *ps, const struct key *k,
		     const char *v)
{
	struct supd_conf *c = ps->c;
	char **l = NULL;
	size_t n = 0;
	const char *why;
	int ret = 1, r;

	r = sk_split_list(v, &l, &n);
	if (r == -ENOMEM)
		return 0;
	if (r) {
		bad(ps, ps->ini.line, "%s: '%s' is not a comma-separated list of directories",
		    k->name, v);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (i == SUPD_MAX_PLUGIN_DIRS) {
			bad(ps, ps->ini.line, "%s: more than %d directories",
			    k->name, SUPD_MAX_PLUGIN_DIRS);
			goto out;
		}
		if (!path_ok(l[i], &why)) {
			bad(ps, ps->ini.line, "%s: '%s' %s", k->name, l[i], why);
			goto out;
		}
	}
	sk_strv_free(c->plugin_dirs, c->n_plugin_dirs);
	c->plugin_dirs = l;
	c->n_plugin_dirs = n;
	return 1;
out:
	sk_strv_free(l, n);
	return ret;
}

static int set_str(struct parse_state *ps, const struct key *k,
		   const char *v)
{
	char **dst = (char **)((char *)ps->c + k->off);
	char *s = strdup(v);

	if (!s)
		return 0;
	if (k->kind == K_SECRET && *dst)
		explicit_bzero(*dst, strlen(*dst));
	free(*dst);
	*dst = s;
	return 1;
}

static int set_value(struct parse_state *ps, const struct key *k,
		     const char *v)
{
	const char *why;
	unsigned long long u;

	switch (k->kind) {
	case K_TEXT:
		if (strlen(v) > SUPD_TEXT_MAX || !printable(v, false)) {
			bad(ps, ps->ini.line, "%s: '%s' is not 1-%d printable ASCII characters without spaces",
			    k->name, v, SUPD_TEXT_MAX);
			return 1;
		}
		return set_str(ps, k, v);
	case K_SECRET:
		/* The value itself never goes into a message. */
		if (strlen(v) > SUPD_TOKEN_MAX || !printable(v, false)) {
			bad(ps, ps->ini.line, "%s is not 1-%d printable ASCII characters without spaces",
			    k->name, SUPD_TOKEN_MAX);
			return 1;
		}
		return set_str(ps, k, v);
	case K_URL:
		/* Credentials in the URL would end up in messages. */
		if (strchr(v, '@')) {
			bad(ps, ps->ini.line, "%s must not hold user credentials (no '@')",
			    k->name);
			return 1;
		}
		if (strlen(v) > SUPD_URL_MAX || !printable(v, false) ||
		    (strncasecmp(v, "https://", 8) != 0 &&
		     strncasecmp(v, "http://", 7) != 0)) {
			bad(ps, ps->ini.line, "%s: '%s' is not an https:// URL",
			    k->name, v);
			return 1;
		}
		if (!set_str(ps, k, v))
			return 0;
		for (size_t n = strlen(ps->c->endpoint);
		     n > 0 && ps->c->endpoint[n - 1] == '/'; n--)
			ps->c->endpoint[n - 1] = '\0';
		return 1;
	case K_BOOL: {
		bool *dst = (bool *)((char *)ps->c + k->off);

		if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
		    !strcasecmp(v, "on") || !strcmp(v, "1"))
			*dst = true;
		else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") ||
			 !strcasecmp(v, "off") || !strcmp(v, "0"))
			*dst = false;
		else
			bad(ps, ps->ini.line, "%s: '%s' is not true or false",
			    k->name, v);
		return 1;
	}
	case K_UINT:
		if (!sk_parse_u64(v, &u) || u < k->min || u > k->max) {
			bad(ps, ps->ini.line, "%s: '%s' is not a number from %llu to %llu",
			    k->name, v, k->min, k->max);
			return 1;
		}
		*(unsigned long long *)((char *)ps->c + k->off) = u;
		return 1;
	case K_PATH:
		if (!path_ok(v, &why)) {
			bad(ps, ps->ini.line, "%s: '%s' %s", k->name, v, why);
			return 1;
		}
		return set_str(ps, k, v);
	case K_PATHS:
		return set_paths(ps, k, v);
	}
	return 1;
}

static int handler(struct sk_ini *ini, const char *sec, const char *name,
		   const char *v)
{
	struct parse_state *ps = (struct parse_state *)ini;
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].sec, sec) != 0 ||
		    strcmp(keys[i].name, name) != 0)
			continue;
		if (ps->seen[i]) {
			bad(ps, ps->ini.line, "key '%s' given twice in [%s] (first on line %d)",
			    name, sec, ps->seen[i]);
			return 1;
		}
		ps->seen[i] = ps->ini.line;
		if (!*v) {
			bad(ps, ps->ini.line, "key '%s' has no value", name);
			return 1;
		}
		return set_value(ps, &keys[i], v);
	}
	bad(ps, ps->ini.line, "unknown key '%s' in section [%s]", name, sec);
	return 1;
}

static int defaults(struct supd_conf *c)
{
	c->poll_interval_s = 30;
	c->max_backoff_s = 600;
	c->min_free_mb = 16;
	c->mailbox_limit = 10;
	c->download_dir = strdup(SUPD_DEFAULT_DOWNLOAD_DIR);
	c->state_dir = strdup(SUPD_DEFAULT_STATE_DIR);
	c->logs_dir = strdup(SUPD_DEFAULT_LOGS_DIR);
	c->sup_path = strdup(SUPKIT_SUP_PATH);
	c->root = strdup("/");
	return c->download_dir && c->state_dir && c->logs_dir && c->sup_path &&
			       c->root ? 0 : -1;
}

/*
 * The file's owner and mode. A file others can change could point the
 * agent at another portal (and hand it the token) or at another sup_path
 * (run as root): refused whatever it holds. A file holding the token must
 * be readable by its owner only.
 */
static void check_mode(struct parse_state *ps, const struct stat *st)
{
	unsigned mode = (unsigned)(st->st_mode & 07777);

	if (!S_ISREG(st->st_mode)) {
		bad(ps, 0, "is not a regular file");
		return;
	}
	if (st->st_uid != 0 && st->st_uid != geteuid())
		bad(ps, 0, "is owned by uid %u, neither root nor the user supd runs as (uid %u)",
		    (unsigned)st->st_uid, (unsigned)geteuid());
	if (mode & 022)
		bad(ps, 0, "is writable by %s (mode %04o): chmod 600 it",
		    mode & 002 ? "others" : "its group", mode);
	if (ps->seen[KEY_APP_TOKEN] && (mode & 044))
		bad(ps, 0, "holds app_token and is readable by %s (mode %04o): chmod 600 it",
		    mode & 004 ? "others" : "its group", mode);
}

/* Checks of values that depend on each other or on the system. */
static void check_values(struct parse_state *ps)
{
	struct supd_conf *c = ps->c;
	struct stat st;

	for (size_t i = KEY_ENDPOINT; i <= KEY_THING_KEY; i++)
		if (!ps->seen[i])
			bad(ps, 0, "[portal] %s is missing", keys[i].name);
	if (c->endpoint && strncasecmp(c->endpoint, "http://", 7) == 0 &&
	    !c->insecure)
		bad(ps, ps->seen[KEY_ENDPOINT],
		    "endpoint '%s' is plain http: use https, or set insecure = true (tests only)",
		    c->endpoint);
	if (c->max_backoff_s < c->poll_interval_s)
		bad(ps, ps->seen[KEY_BACKOFF] ? ps->seen[KEY_BACKOFF] :
						ps->seen[KEY_POLL],
		    "max_backoff_s %llu is less than poll_interval_s %llu",
		    c->max_backoff_s, c->poll_interval_s);
	if (c->ca_bundle && access(c->ca_bundle, R_OK) != 0)
		bad(ps, ps->seen[KEY_CA_BUNDLE], "ca_bundle '%s': %s",
		    c->ca_bundle, strerror(errno));
	if (c->sup_config && access(c->sup_config, R_OK) != 0)
		bad(ps, ps->seen[KEY_SUP_CONFIG], "sup_config '%s': %s",
		    c->sup_config, strerror(errno));
	if (access(c->sup_path, X_OK) != 0) {
		if (ps->seen[KEY_SUP_PATH])
			bad(ps, ps->seen[KEY_SUP_PATH],
			    "sup_path '%s' cannot be run: %s", c->sup_path,
			    strerror(errno));
		else
			bad(ps, 0, "the default sup_path '%s' cannot be run: %s; set sup_path in [agent]",
			    c->sup_path, strerror(errno));
	}
	if (stat(c->root, &st) != 0)
		bad(ps, ps->seen[KEY_ROOT], "root '%s': %s", c->root,
		    strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		bad(ps, ps->seen[KEY_ROOT], "root '%s' is not a directory",
		    c->root);
}

int supd_conf_load(struct supd_conf *c, const char *path, struct sk_problems *d)
{
	struct parse_state ps = { .ini.d = d, .c = c };
	struct stat st;

	memset(c, 0, sizeof(*c));
	c->path = strdup(path);
	if (!c->path || defaults(c))
		goto oom;
	ps.ini.file = c->path;
	ps.ini.key = handler;
	/* Mode and owner of the file read, not of whatever the name points
	 * to a moment later. */
	if (sk_ini_parse(&ps.ini, &st) != 0 && !ps.ini.errors)
		return -1; /* unreadable, or out of memory */
	check_mode(&ps, &st);
	check_values(&ps);
	return ps.ini.errors ? -1 : 0;
oom:
	sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
	return -1;
}

void supd_conf_release(struct supd_conf *c)
{
	free(c->path);
	free(c->endpoint);
	free(c->app_id);
	if (c->app_token) {
		explicit_bzero(c->app_token, strlen(c->app_token));
		free(c->app_token);
	}
	free(c->thing_key);
	free(c->ca_bundle);
	free(c->download_dir);
	free(c->state_dir);
	free(c->logs_dir);
	free(c->sup_path);
	free(c->root);
	free(c->sup_config);
	sk_strv_free(c->plugin_dirs, c->n_plugin_dirs);
	memset(c, 0, sizeof(*c));
}
