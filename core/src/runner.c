/* SPDX-License-Identifier: MIT */
/* runner.c - preflight and the sequential run of a package's actions. */
#include "runner.h"

#include <errno.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confirm.h"
#include "host.h"
#include "rootpath.h"
#include "supfile.h"
#include "util.h"

/* A check must not hold preflight for long, whatever the action's own
 * timeout. */
#define SK_CHECK_TIMEOUT_S 300UL

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	stop_requested = sig;
}

int sk_env_open(struct sk_env *e, const char *root, const char *config,
		const char *product, const char *const *dirs, size_t n_dirs,
		struct sk_diag *d)
{
	const char **all = NULL;
	size_t n_all = 0;
	struct stat st;
	int ret = -1;

	memset(e, 0, sizeof(*e));
	e->root = realpath(root ? root : "/", NULL);
	if (!e->root) {
		sk_diag_add(d, SK_DIAG_SETUP, "root directory '%s': %s",
			    root ? root : "/", strerror(errno));
		return -1;
	}
	if (stat(e->root, &st) != 0 || !S_ISDIR(st.st_mode)) {
		sk_diag_add(d, SK_DIAG_SETUP,
			    "root directory '%s' is not a directory", root);
		return -1;
	}
	if (sk_config_load(&e->cfg, config, e->root, product, d) != 0)
		ret = -1;
	if (sk_registry_init(&e->reg, d) != 0)
		return -1;

	all = calloc(n_dirs + e->cfg.n_plugin_dirs + 1, sizeof(*all));
	if (!all) {
		sk_diag_add(d, SK_DIAG_SYSTEM, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n_dirs; i++)
		all[n_all++] = dirs[i];
	for (size_t i = 0; i < e->cfg.n_plugin_dirs; i++)
		all[n_all++] = e->cfg.plugin_dirs[i];
	if (!e->cfg.n_plugin_dirs)
		all[n_all++] = SUPKIT_PLUGIN_DIR;
	ret = sk_registry_load_dirs(&e->reg, all, n_all,
				    (const char *const *)e->cfg.enabled,
				    e->cfg.n_enabled, d);
	if (sk_diag_empty(d))
		ret = 0;
	else
		ret = -1;
	free(all);
	return ret;
}

void sk_env_close(struct sk_env *e)
{
	sk_registry_release(&e->reg);
	sk_config_release(&e->cfg);
	free(e->root);
	memset(e, 0, sizeof(*e));
}

/* "a, b, c" of the manifest's product patterns, for messages. */
static char *products_text(const struct sk_manifest *m)
{
	char *s = strdup("");

	for (size_t i = 0; s && i < m->n_products; i++) {
		char *n = sk_asprintf("%s%s'%s'", s, i ? ", " : "",
				      m->products[i]);

		free(s);
		s = n;
	}
	return s;
}

static void check_compat(const struct sk_manifest *m, const char *product,
			 struct sk_diag *d)
{
	bool ok = m->n_products == 0;

	for (size_t i = 0; !ok && i < m->n_products; i++) {
		if (product ? fnmatch(m->products[i], product, 0) == 0 :
			      strcmp(m->products[i], "*") == 0)
			ok = true;
	}
	if (!ok) {
		char *list = products_text(m);

		if (product)
			sk_diag_add(d, SK_DIAG_TARGET,
				    "package '%s' is for products %s, not for '%s'",
				    m->name, list ? list : "?", product);
		else
			sk_diag_add(d, SK_DIAG_TARGET,
				    "package '%s' is for products %s, and this gateway's product type is unknown (set [gateway] product in sup.conf, or --product)",
				    m->name, list ? list : "?");
		free(list);
	}
	if (m->min_installer &&
	    (m->min_installer_major > SK_INSTALLER_MAJOR ||
	     (m->min_installer_major == SK_INSTALLER_MAJOR &&
	      m->min_installer_minor > SK_INSTALLER_MINOR)))
		sk_diag_add(d, SK_DIAG_TARGET,
			    "package '%s' needs installer %s or newer, this is %d.%d",
			    m->name, m->min_installer, SK_INSTALLER_MAJOR,
			    SK_INSTALLER_MINOR);
}

static char *accepted_params(const char *const *list)
{
	char *s = strdup("");

	for (size_t i = 0; s && list[i]; i++) {
		char *n = sk_asprintf("%s%s%s", s, i ? ", " : "", list[i]);

		free(s);
		s = n;
	}
	return s;
}

static unsigned long action_timeout(const struct sk_action_decl *a,
				    const struct sk_config *cfg)
{
	return a->timeout_s ? a->timeout_s : cfg->default_timeout_s;
}

/* Static checks of one action against its type, then its check(). */
static void check_action(const struct sk_env *e, const struct sk_supfile *f,
			 size_t i, const struct sk_action_type *t,
			 struct sk_diag *d)
{
	const struct sk_action_decl *a = &f->manifest.actions[i];
	const struct sup_action_ops *o = &t->ops;
	struct sk_call call;
	struct sk_call_result res;
	bool ok = true;

	if (a->n_payloads < o->min_payloads || a->n_payloads > o->max_payloads) {
		if (o->min_payloads == o->max_payloads)
			sk_diag_add(d, SK_DIAG_TARGET,
				    "action '%s': type '%s' takes exactly %u payload%s, %zu given",
				    a->id, a->type, o->min_payloads,
				    o->min_payloads == 1 ? "" : "s",
				    a->n_payloads);
		else
			sk_diag_add(d, SK_DIAG_TARGET,
				    "action '%s': type '%s' takes %u to %u payloads, %zu given",
				    a->id, a->type, o->min_payloads,
				    o->max_payloads, a->n_payloads);
		ok = false;
	}
	if (o->params) {
		json_object_object_foreach(a->params, key, val) {
			bool known = false;

			(void)val;
			for (size_t k = 0; o->params[k] && !known; k++)
				known = strcmp(o->params[k], key) == 0;
			if (!known) {
				char *list = accepted_params(o->params);

				sk_diag_add(d, SK_DIAG_TARGET,
					    "action '%s': unknown parameter '%s' for type '%s' (accepted: %s)",
					    a->id, key, a->type,
					    list && *list ? list : "none");
				free(list);
				ok = false;
			}
		}
	}
	if (!ok || !o->check)
		return;

	memset(&call, 0, sizeof(call));
	call.phase = SK_PHASE_CHECK;
	call.type = t;
	call.action = a;
	call.action_index = i;
	call.sup = f;
	call.config = &e->cfg;
	call.root = e->root;
	call.timeout_s = action_timeout(a, &e->cfg);
	if (call.timeout_s > SK_CHECK_TIMEOUT_S)
		call.timeout_s = SK_CHECK_TIMEOUT_S;
	call.quiet = true;
	sk_call_run(&call, &res);
	if (!res.ok)
		sk_diag_add(d, SK_DIAG_TARGET, "action '%s': check failed: %s",
			    a->id, res.message ? res.message : "unknown error");
	sk_call_result_release(&res);
}

static void preflight(const struct sk_env *e, const struct sk_supfile *f,
		      const struct sk_action_type **types, struct sk_diag *d)
{
	const struct sk_manifest *m = &f->manifest;

	check_compat(m, e->cfg.product, d);
	for (size_t i = 0; i < m->n_actions; i++) {
		types[i] = sk_registry_find(&e->reg, m->actions[i].type);
		if (!types[i]) {
			sk_diag_add(d, SK_DIAG_TARGET,
				    "action '%s': no enabled plugin handles type '%s'",
				    m->actions[i].id, m->actions[i].type);
			continue;
		}
		/* A package that failed verification runs no plugin code. */
		if (f->verified)
			check_action(e, f, i, types[i], d);
	}
}

/* Resolve a configured gateway directory under the root and create it. */
static char *prepare_dir(const struct sk_env *e, const char *gw,
			 struct sk_diag *d)
{
	const char *why;
	char *host = NULL;
	int r = sk_root_resolve(e->root, gw, 0, &host, &why);

	if (r) {
		sk_diag_add(d, SK_DIAG_SETUP, "directory '%s': %s", gw, why);
		return NULL;
	}
	r = sk_mkdir_p(host, 0755);
	if (r) {
		sk_diag_add(d, SK_DIAG_SYSTEM, "cannot create directory '%s': %s",
			    host, strerror(-r));
		free(host);
		return NULL;
	}
	return host;
}

static int write_or_report(struct sk_confirm *c)
{
	int r = sk_confirm_write(c);

	if (r)
		fprintf(stderr, "sup: error: cannot write '%s': %s\n", c->path,
			strerror(-r));
	return r;
}

/* Write a "rejected" record when asked to; the root is otherwise left as
 * it was. */
static void record_rejection(const struct sk_env *e,
			     const struct sk_supfile *f,
			     const struct sk_action_type **types,
			     const struct sk_diag *d)
{
	struct sk_diag d2;
	struct sk_confirm c;
	char *logs;

	sk_diag_init(&d2);
	logs = e->root ? prepare_dir(e, e->cfg.logs_dir ? e->cfg.logs_dir :
					      SK_DEFAULT_LOGS_DIR, &d2) :
			 NULL;
	if (!logs || sk_confirm_init(&c, f, types, e->cfg.product, e->root,
				     "rejected") != 0) {
		sk_diag_print(&d2, "sup");
		free(logs);
		sk_diag_release(&d2);
		return;
	}
	c.path = sk_path_join(logs, SK_CONFIRM_NAME);
	sk_confirm_problems(&c, d);
	sk_confirm_finish(&c, "rejected", "preflight_failed",
			  d->count ? d->items[0].msg : "preflight failed");
	if (c.path)
		write_or_report(&c);
	sk_confirm_release(&c);
	free(logs);
	sk_diag_release(&d2);
}

static void print_plan(const struct sk_supfile *f,
		       const struct sk_action_type **types)
{
	const struct sk_manifest *m = &f->manifest;

	fprintf(stderr, "sup: preflight passed for '%s' %s: %zu action%s would run\n",
		m->name, m->version, m->n_actions, m->n_actions == 1 ? "" : "s");
	for (size_t i = 0; i < m->n_actions; i++)
		fprintf(stderr, "sup:   %zu. %s (%s, plugin %s %s)\n", i + 1,
			m->actions[i].id, m->actions[i].type,
			types[i]->plugin->desc->name,
			types[i]->plugin->desc->version);
}

/* Run one action: execute, rollback on failure, record both. */
static void run_action(const struct sk_env *e, const struct sk_supfile *f,
		       size_t i, const struct sk_action_type *t,
		       const char *state_dir, const bool quiet,
		       struct sk_confirm *c, struct sk_call_result *res)
{
	const struct sk_action_decl *a = &f->manifest.actions[i];
	struct sk_call call;
	char *staging = sk_asprintf("%s/staging/%s", state_dir, a->id);
	int r;

	memset(res, 0, sizeof(*res));
	if (!staging) {
		res->code = strdup("internal");
		res->message = strdup("out of memory");
		sk_confirm_action_error(c, i, "internal", "out of memory");
		return;
	}
	/* A staging dir left by an earlier, interrupted run is stale. */
	sk_remove_tree(staging);
	r = sk_mkdir_p(staging, 0700);
	if (r) {
		char *msg = sk_asprintf("cannot create staging directory '%s': %s",
					staging, strerror(-r));

		res->code = strdup("internal");
		res->message = msg;
		sk_confirm_action_error(c, i, "internal", msg ? msg : "staging");
		free(staging);
		return;
	}

	memset(&call, 0, sizeof(call));
	call.phase = SK_PHASE_EXECUTE;
	call.type = t;
	call.action = a;
	call.action_index = i;
	call.sup = f;
	call.config = &e->cfg;
	call.root = e->root;
	call.staging = staging;
	call.timeout_s = action_timeout(a, &e->cfg);
	call.quiet = quiet;
	sk_call_run(&call, res);
	sk_confirm_action_finish(c, i, res);

	if (!res->ok && t->ops.rollback) {
		struct sk_call_result rb;

		if (!quiet)
			fprintf(stderr, "sup: %s: rolling back\n", a->id);
		call.phase = SK_PHASE_ROLLBACK;
		sk_call_run(&call, &rb);
		sk_confirm_action_rollback(c, i, &rb);
		sk_call_result_release(&rb);
	}
	sk_remove_tree(staging);
	free(staging);
}

static int run_all(const struct sk_env *e, const struct sk_supfile *f,
		   const struct sk_action_type **types,
		   const struct sk_install_opts *o)
{
	const struct sk_manifest *m = &f->manifest;
	struct sk_diag d;
	struct sk_confirm c;
	char *logs = NULL, *state = NULL, *fail_code = NULL, *fail_msg = NULL;
	struct sigaction sa, old_int, old_term;
	size_t i;
	int ret = 6;

	memset(&c, 0, sizeof(c));
	sk_diag_init(&d);
	logs = prepare_dir(e, e->cfg.logs_dir, &d);
	state = logs ? prepare_dir(e, e->cfg.state_dir, &d) : NULL;
	if (!state) {
		sk_diag_print(&d, "sup");
		goto out;
	}
	if (sk_confirm_init(&c, f, types, e->cfg.product, e->root,
			    "running") != 0 ||
	    !(c.path = sk_path_join(logs, SK_CONFIRM_NAME))) {
		fprintf(stderr, "sup: error: out of memory\n");
		goto out;
	}
	if (write_or_report(&c))
		goto out;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	for (i = 0; i < m->n_actions; i++) {
		const struct sk_action_decl *a = &m->actions[i];
		struct sk_call_result res;

		if (stop_requested) {
			fail_code = strdup("interrupted");
			fail_msg = sk_asprintf("the installer was stopped by signal %d before action '%s'",
					       (int)stop_requested, a->id);
			break;
		}
		if (!o->quiet)
			fprintf(stderr, "sup: [%zu/%zu] %s (%s)\n", i + 1,
				m->n_actions, a->id, a->type);
		sk_confirm_action_start(&c, i);
		if (write_or_report(&c))
			goto restore;
		run_action(e, f, i, types[i], state, o->quiet, &c, &res);
		if (write_or_report(&c)) {
			sk_call_result_release(&res);
			goto restore;
		}
		if (!res.ok) {
			if (!o->quiet)
				fprintf(stderr, "sup: %s: failed: %s\n", a->id,
					res.message ? res.message : "");
			if (a->on_error == SK_ON_ERROR_ABORT) {
				fail_code = strdup(res.code ? res.code :
							      "action_failed");
				fail_msg = sk_asprintf("action '%s' failed: %s",
						       a->id,
						       res.message ? res.message : "");
				sk_call_result_release(&res);
				i++;
				break;
			}
		}
		sk_call_result_release(&res);
	}
	for (; i < m->n_actions; i++)
		sk_confirm_action_skip(&c, i);

	if (fail_code || fail_msg) {
		sk_confirm_finish(&c, "failed", fail_code ? fail_code : "internal",
				  fail_msg ? fail_msg : "out of memory");
		ret = 1;
	} else {
		sk_confirm_finish(&c, "succeeded", NULL, NULL);
		ret = 0;
	}
	if (write_or_report(&c)) {
		ret = 6;
		goto restore;
	}
	if (!o->quiet) {
		if (ret == 0)
			fprintf(stderr, "sup: installed '%s' %s; record in %s\n",
				m->name, m->version, c.path);
		else
			fprintf(stderr, "sup: error: install of '%s' %s failed: %s; record in %s\n",
				m->name, m->version, fail_msg ? fail_msg : "",
				c.path);
	}
	if (o->json)
		printf("%s\n", sk_confirm_text(&c));
restore:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out:
	sk_confirm_release(&c);
	sk_diag_release(&d);
	free(fail_code);
	free(fail_msg);
	free(logs);
	free(state);
	return ret;
}

int sk_install(const struct sk_install_opts *o)
{
	struct sk_limits lim;
	struct sk_diag d;
	struct sk_supfile f;
	struct sk_env e;
	const struct sk_action_type **types = NULL;
	int ret;

	signal(SIGPIPE, SIG_IGN);
	sk_limits_default(&lim);
	sk_diag_init(&d);
	sk_supfile_open(&f, o->sup_path, &lim, &d);
	sk_env_open(&e, o->root, o->config_path, o->product, o->plugin_dirs,
		    o->n_plugin_dirs, &d);

	if (f.manifest_ok) {
		types = calloc(f.manifest.n_actions + 1, sizeof(*types));
		if (!types) {
			sk_diag_add(&d, SK_DIAG_SYSTEM, "out of memory");
		} else if (e.root) {
			preflight(&e, &f, types, &d);
		}
	}

	if (!sk_diag_empty(&d)) {
		sk_diag_print(&d, "sup");
		fprintf(stderr, "sup: error: '%s' was not installed: %zu problem%s found; nothing was changed\n",
			o->sup_path, d.count, d.count == 1 ? "" : "s");
		if (o->record_rejection && e.root)
			record_rejection(&e, &f, types, &d);
		ret = sk_diag_exit_code(&d);
		goto out;
	}
	if (o->dry_run) {
		struct sk_confirm c;

		if (!o->quiet)
			print_plan(&f, types);
		if (o->json) {
			if (sk_confirm_init(&c, &f, types, e.cfg.product, e.root,
					    "dry-run") == 0)
				printf("%s\n", sk_confirm_text(&c));
			sk_confirm_release(&c);
		}
		ret = 0;
		goto out;
	}
	ret = run_all(&e, &f, types, o);
out:
	free(types);
	sk_env_close(&e);
	sk_supfile_close(&f);
	sk_diag_release(&d);
	return ret;
}
