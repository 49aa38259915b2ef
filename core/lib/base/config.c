/* SPDX-License-Identifier: MIT */
/* config.c - sup.conf and product profiles through libinih. */
#include "base/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/builtindirs.h"
#include "base/inifile.h"
#include "base/names.h"
#include "base/rootpath.h"
#include "base/trustfile.h"
#include "base/util.h"

struct parse_state {
	struct sk_ini ini; /* first: the key handler gets &ps->ini */
	struct sk_config *c;
	bool profile; /* parsing a product profile, not sup.conf */
	bool product_named;
};

/* A problem with the entry on the line being read. */
#define bad(ps, ...) sk_ini_bad(&(ps)->ini, (ps)->ini.line, __VA_ARGS__)

static bool name_valid(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' ||
		      *s == '.'))
			return false;
	return true;
}

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -1;
	free(*dst);
	*dst = s;
	return 0;
}

/* "true" or "false", nothing else: a typo must not flip a trust rule. */
static int parse_bool(struct parse_state *ps, const char *key, const char *v,
		      bool *out)
{
	if (strcmp(v, "true") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0)
		*out = false;
	else
		bad(ps, "%s: '%s' is not true or false", key, v);
	return 1;
}

static int trust_key(struct parse_state *ps, const char *key, const char *v)
{
	struct sk_trust_config *t = &ps->c->trust;
	const char *why;

	if (strcmp(key, "keyring") == 0 || strcmp(key, "crl") == 0) {
		char **dst = key[0] == 'k' ? &t->keyring : &t->crl;

		if (sk_root_check_path(v, &why)) {
			bad(ps, "%s: %s", key, why);
			return 1;
		}
		return set_str(dst, v) ? 0 : 1;
	}
	if (strcmp(key, "allow_unsigned") == 0)
		return parse_bool(ps, key, v, &t->allow_unsigned);
	if (strcmp(key, "allow_downgrade") == 0)
		return parse_bool(ps, key, v, &t->allow_downgrade);
	if (strcmp(key, "require_code_signing") == 0)
		return parse_bool(ps, key, v, &t->require_code_signing);
	if (strcmp(key, "validity") == 0) {
		if (strcmp(v, "auto") == 0)
			t->validity = SK_VALIDITY_AUTO;
		else if (strcmp(v, "clock") == 0)
			t->validity = SK_VALIDITY_CLOCK;
		else if (strcmp(v, "off") == 0)
			t->validity = SK_VALIDITY_OFF;
		else
			bad(ps, "validity: '%s' is not auto, clock or off", v);
		return 1;
	}
	bad(ps, "unknown key '%s' in section [trust]", key);
	return 1;
}

static int main_key(struct parse_state *ps, const char *sec, const char *key,
		    const char *v)
{
	struct sk_config *c = ps->c;
	const char *why;

	if (strcmp(sec, "gateway") == 0 && strcmp(key, "product") == 0) {
		if (!name_valid(v)) {
			bad(ps, "product '%s' is not a valid product name", v);
			return 1;
		}
		if (!c->product && set_str(&c->product, v))
			return 0;
		return 1;
	}
	if (strcmp(sec, "paths") == 0) {
		char **dst = NULL;

		if (strcmp(key, "logs_dir") == 0)
			dst = &c->logs_dir;
		else if (strcmp(key, "state_dir") == 0)
			dst = &c->state_dir;
		else if (strcmp(key, "profiles_dir") == 0)
			dst = &c->profiles_dir;
		if (dst) {
			if (sk_root_check_path(v, &why)) {
				bad(ps, "%s: %s", key, why);
				return 1;
			}
			return set_str(dst, v) ? 0 : 1;
		}
		if (strcmp(key, "plugin_dirs") == 0) {
			char **l;
			size_t n;

			if (sk_split_list(v, &l, &n)) {
				bad(ps, "plugin_dirs: '%s' is not a comma-separated list of directories", v);
				return 1;
			}
			for (size_t i = 0; i < n; i++) {
				if (l[i][0] != '/') {
					bad(ps, "plugin_dirs: '%s' is not an absolute path", l[i]);
				}
			}
			sk_strv_free(c->plugin_dirs, c->n_plugin_dirs);
			c->plugin_dirs = l;
			c->n_plugin_dirs = n;
			return 1;
		}
	}
	if (strcmp(sec, "trust") == 0)
		return trust_key(ps, key, v);
	if (strcmp(sec, "install") == 0 && strcmp(key, "default_timeout_s") == 0) {
		unsigned long long t;

		if (!sk_parse_u64(v, &t) || t < 1 || t > 86400) {
			bad(ps, "default_timeout_s: '%s' is not a number of seconds from 1 to 86400", v);
			return 1;
		}
		c->default_timeout_s = (unsigned long)t;
		return 1;
	}
	bad(ps, "unknown key '%s' in section [%s]", key, sec);
	return 1;
}

/* The product-wide sections and their keys, documented in docs/config.md;
 * their values are checked by the plugins that use them. */
static bool product_section_key(const char *sec, const char *key)
{
	static const char *const runtime[] = {
		"control", "unit", "start_command", "stop_command", "health",
		"health_command", "pidfile", "start_timeout_s",
		"stop_timeout_s", "poll_interval_ms", NULL,
	};
	static const char *const firmware[] = {
		"method", "releases_dir", "current_link", "keep_releases",
		"health_timeout_s", "flasher_command", "min_free_mb", NULL,
	};
	static const char *const system_keys[] = { "reboot_command", NULL };
	const char *const *keys = NULL;

	if (strcmp(sec, "runtime") == 0)
		keys = runtime;
	else if (strcmp(sec, "firmware") == 0)
		keys = firmware;
	else if (strcmp(sec, "system") == 0)
		keys = system_keys;
	for (size_t i = 0; keys && keys[i]; i++)
		if (strcmp(keys[i], key) == 0)
			return true;
	return false;
}

/* Store key=v under name (the section, or the plugin of [plugin.NAME]). */
static int add_kv(struct parse_state *ps, struct sk_config_kv **list,
		  size_t *n, const char *name, const char *sec,
		  const char *key, const char *v)
{
	struct sk_config_kv *g;

	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*list)[i].plugin, name) == 0 &&
		    strcmp((*list)[i].key, key) == 0) {
			bad(ps, "key '%s' given twice in [%s]", key, sec);
			return 1;
		}
	}
	g = realloc(*list, (*n + 1) * sizeof(*g));
	if (!g)
		return 0;
	*list = g;
	g = &g[*n];
	g->plugin = strdup(name);
	g->key = strdup(key);
	g->value = strdup(v);
	(*n)++;
	if (!g->plugin || !g->key || !g->value)
		return 0;
	return 1;
}

static int profile_key(struct parse_state *ps, const char *sec,
		       const char *key, const char *v)
{
	struct sk_config *c = ps->c;

	if (strcmp(sec, "product") == 0) {
		if (strcmp(key, "name") == 0) {
			ps->product_named = true;
			if (strcmp(v, c->product) != 0)
				bad(ps, "profile is for product '%s', not '%s'", v, c->product);
			return 1;
		}
		if (strcmp(key, "description") == 0)
			return set_str(&c->product_description, v) ? 0 : 1;
		if (strcmp(key, "plugins") == 0) {
			char **l = NULL;
			size_t n = 0;

			if (*v && sk_split_list(v, &l, &n)) {
				bad(ps, "plugins: '%s' is not a comma-separated list of plugin names", v);
				return 1;
			}
			for (size_t i = 0; i < n; i++)
				if (!sk_plugin_name_valid(l[i]))
					bad(ps, "plugins: '%s' is not a valid plugin name", l[i]);
			sk_strv_free(c->enabled, c->n_enabled);
			/* An empty list enables nothing, which is not "all". */
			if (!l) {
				l = calloc(1, sizeof(*l));
				if (!l)
					return 0;
			}
			c->enabled = l;
			c->n_enabled = n;
			return 1;
		}
	}
	if (product_section_key(sec, key))
		return add_kv(ps, &c->pkv, &c->n_pkv, sec, sec, key, v);
	if (strncmp(sec, "plugin.", 7) == 0 && sk_plugin_name_valid(sec + 7))
		return add_kv(ps, &c->kv, &c->n_kv, sec + 7, sec, key, v);
	bad(ps, "unknown key '%s' in section [%s]", key, sec);
	return 1;
}

static int handler(struct sk_ini *ini, const char *sec, const char *key,
		   const char *v)
{
	struct parse_state *ps = (struct parse_state *)ini;

	return ps->profile ? profile_key(ps, sec, key, v) :
			     main_key(ps, sec, key, v);
}

/* Parse the file named file (a host path), or already open as fd when
 * fd >= 0 (then file names it in messages). */
static int parse_file(struct parse_state *ps, const char *file, int fd)
{
	ps->ini.file = file;
	ps->ini.key = handler;
	return fd >= 0 ? sk_ini_parse_fd(&ps->ini, fd, NULL)
		       : sk_ini_parse(&ps->ini, NULL);
}

/* Open gw_path, a file of the configuration under the root, by the rules
 * of sk_trusted_open_under(); *display gets its host path. */
static int open_under(const char *root, int rootfd, const char *gw_path,
		      char **display, struct sk_problems *d)
{
	return sk_trusted_open_under("configuration", rootfd, root, gw_path,
				     SK_TRUSTED_FOLLOW_LAST |
					     SK_TRUSTED_MISSING_OK,
				     SK_INI_MAX_BYTES, display, d);
}

static int defaults(struct sk_config *c)
{
	c->default_timeout_s = SK_DEFAULT_TIMEOUT_S;
	c->trust.allow_downgrade = true;
	c->trust.validity = SK_VALIDITY_AUTO;
	if (set_str(&c->trust.keyring, SK_DEFAULT_KEYRING) ||
	    set_str(&c->logs_dir, SK_DEFAULT_LOGS_DIR) ||
	    set_str(&c->state_dir, SK_DEFAULT_STATE_DIR) ||
	    set_str(&c->profiles_dir, SK_DEFAULT_PROFILES_DIR))
		return -1;
	return 0;
}

int sk_config_load(struct sk_config *c, const char *path, const char *root,
		   int rootfd, const char *product, struct sk_problems *d)
{
	struct parse_state ps = {.ini.d = d, .c = c};
	int ret = -1, r, fd;

	memset(c, 0, sizeof(*c));
	if (defaults(c))
		goto oom;
	r = sk_builtin_sysconf_ignored(root);
	if (r < 0) {
		sk_problems_add(d, SK_PROBLEM_SETUP,
				"environment variable %s: '%s' is not 0 or 1",
				SK_NO_BUILTIN_DIRS_ENV,
				secure_getenv(SK_NO_BUILTIN_DIRS_ENV));
		goto out;
	}
	c->no_builtin_sysconf = r;
	if (product) {
		if (!name_valid(product)) {
			sk_problems_add(
				d, SK_PROBLEM_SETUP,
				"product '%s' is not a valid product name",
				product);
			goto out;
		}
		if (set_str(&c->product, product))
			goto oom;
	}

	if (!path && c->no_builtin_sysconf) {
		struct stat st;

		/* A test setting that reaches a gateway would drop its
		 * policy (CRL, downgrades, profile) without a word. */
		if (stat(SUPKIT_SYSCONF_DIR "/sup.conf", &st) == 0)
			fprintf(stderr,
				"sup: warning: %s=1: '%s' is not read: its trust policy (CRL, downgrades, code signing) and product profile do not apply\n",
				SK_NO_BUILTIN_DIRS_ENV,
				SUPKIT_SYSCONF_DIR "/sup.conf");
	}
	if (path) {
		if (set_str(&c->path, path))
			goto oom;
		if (parse_file(&ps, path, -1))
			goto out;
	} else if (!c->no_builtin_sysconf) {
		/* Only a file that is not there means built-in defaults. */
		if (set_str(&c->path_gw, SUPKIT_SYSCONF_DIR "/sup.conf"))
			goto oom;
		fd = open_under(root, rootfd, c->path_gw, &c->path, d);
		if (fd == -ENOENT) {
			free(c->path);
			c->path = NULL;
			free(c->path_gw);
			c->path_gw = NULL;
		} else if (fd < 0 || parse_file(&ps, c->path, fd)) {
			goto out;
		}
	}

	if (c->product && c->no_builtin_sysconf &&
	    strcmp(c->profiles_dir, SK_DEFAULT_PROFILES_DIR) == 0) {
		/* As if the directory were empty: no profile. */
		if (!c->path) {
			ret = 0;
			goto out;
		}
		sk_problems_add(d, SK_PROBLEM_SETUP,
				"no profile for product '%s': %s is set and "
				"[paths] profiles_dir is the built-in '%s'",
				c->product, SK_NO_BUILTIN_DIRS_ENV,
				c->profiles_dir);
		goto out;
	}
	if (c->product) {
		c->profile_gw =
			sk_asprintf("%s/%s.conf", c->profiles_dir, c->product);
		if (!c->profile_gw)
			goto oom;
		fd = open_under(root, rootfd, c->profile_gw, &c->profile_path,
				d);
		if (fd == -ENOENT) {
			/* Without a config file, a profile is optional. */
			if (!c->path) {
				free(c->profile_path);
				c->profile_path = NULL;
				free(c->profile_gw);
				c->profile_gw = NULL;
				ret = 0;
				goto out;
			}
			sk_problems_add(
				d, SK_PROBLEM_SETUP,
				"no profile for product '%s': cannot read '%s': %s",
				c->product, c->profile_path, strerror(ENOENT));
			goto out;
		}
		if (fd < 0)
			goto out;
		ps.profile = true;
		if (parse_file(&ps, c->profile_path, fd))
			goto out;
		if (!ps.product_named) {
			sk_problems_add(d, SK_PROBLEM_SETUP,
					"%s: [product] name is missing",
					c->profile_path);
			goto out;
		}
	}
	ret = 0;
	goto out;
oom:
	sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
out:
	return ret;
}

int sk_config_open(const struct sk_config *c, bool profile, const char *root,
		   int rootfd, struct sk_problems *d)
{
	const char *path = profile ? c->profile_path : c->path;
	const char *gw = profile ? c->profile_gw : c->path_gw;
	char *display = NULL;
	int fd;

	if (!path)
		return -ENOENT;
	if (!gw)
		return sk_trusted_open("configuration", path, SK_INI_MAX_BYTES,
				       d);
	fd = open_under(root, rootfd, gw, &display, d);
	free(display);
	return fd;
}

void sk_config_release(struct sk_config *c)
{
	free(c->path);
	free(c->profile_path);
	free(c->path_gw);
	free(c->profile_gw);
	free(c->product);
	free(c->product_description);
	free(c->logs_dir);
	free(c->state_dir);
	free(c->profiles_dir);
	sk_strv_free(c->plugin_dirs, c->n_plugin_dirs);
	sk_strv_free(c->enabled, c->n_enabled);
	for (size_t i = 0; i < c->n_kv; i++) {
		free(c->kv[i].plugin);
		free(c->kv[i].key);
		free(c->kv[i].value);
	}
	free(c->kv);
	for (size_t i = 0; i < c->n_pkv; i++) {
		free(c->pkv[i].plugin);
		free(c->pkv[i].key);
		free(c->pkv[i].value);
	}
	free(c->pkv);
	free(c->trust.keyring);
	free(c->trust.crl);
	memset(c, 0, sizeof(*c));
}

const char *sk_config_plugin_key(const struct sk_config *c,
				 const char *plugin, const char *key)
{
	for (size_t i = 0; i < c->n_kv; i++)
		if (strcmp(c->kv[i].plugin, plugin) == 0 &&
		    strcmp(c->kv[i].key, key) == 0)
			return c->kv[i].value;
	return NULL;
}

const char *sk_config_product_key(const struct sk_config *c,
				  const char *section, const char *key)
{
	for (size_t i = 0; i < c->n_pkv; i++)
		if (strcmp(c->pkv[i].plugin, section) == 0 &&
		    strcmp(c->pkv[i].key, key) == 0)
			return c->pkv[i].value;
	return NULL;
}
