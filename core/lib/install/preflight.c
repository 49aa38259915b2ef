/* SPDX-License-Identifier: MIT */
/* preflight.c - every check made before the first action runs. */
#include "install/preflight.h"

#include <errno.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "install/host.h"

/* A check must not hold preflight for long, whatever the action's own
 * timeout. */
#define SK_CHECK_TIMEOUT_S 300UL

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
			 struct sk_problems *d)
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
			sk_problems_add(
				d, SK_PROBLEM_TARGET,
				"package '%s' is for products %s, not for '%s'",
				m->name, list ? list : "?", product);
		else
			sk_problems_add(
				d, SK_PROBLEM_TARGET,
				"package '%s' is for products %s, and this gateway's product type is unknown (set [gateway] product in sup.conf, or --product)",
				m->name, list ? list : "?");
		free(list);
	}
	if (m->min_installer &&
	    (m->min_installer_major > SK_INSTALLER_MAJOR ||
	     (m->min_installer_major == SK_INSTALLER_MAJOR &&
	      m->min_installer_minor > SK_INSTALLER_MINOR)))
		sk_problems_add(
			d, SK_PROBLEM_TARGET,
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

/* Static checks of one action against its type: true when they pass and
 * the type has a check() to call. */
static bool check_action(const struct sk_supfile *f, size_t i,
			 const struct sk_action_type *t, struct sk_problems *d)
{
	const struct sk_action_decl *a = &f->manifest.actions[i];
	const struct sup_action_ops *o = &t->ops;
	bool ok = true;

	if (a->n_payloads < o->min_payloads || a->n_payloads > o->max_payloads) {
		if (o->min_payloads == o->max_payloads)
			sk_problems_add(
				d, SK_PROBLEM_TARGET,
				"action '%s': type '%s' takes exactly %u payload%s, %zu given",
				a->id, a->type, o->min_payloads,
				o->min_payloads == 1 ? "" : "s", a->n_payloads);
		else
			sk_problems_add(
				d, SK_PROBLEM_TARGET,
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

				sk_problems_add(
					d, SK_PROBLEM_TARGET,
					"action '%s': unknown parameter '%s' for type '%s' (accepted: %s)",
					a->id, key, a->type,
					list && *list ? list : "none");
				free(list);
				ok = false;
			}
		}
	}
	return ok && o->check;
}

/* The check() calls of the actions marked in need, in action order: a
 * type with SUP_ACTION_SHARED_CHECK shares one child with the plugin's
 * other such checks (its first one's place decides when), any other check
 * has a child of its own. Each failure goes to d, in action order. */
static void run_checks(const struct sk_env *e, const struct sk_supfile *f,
		       const struct sk_action_type **types, const bool *need,
		       struct sk_problems *d)
{
	size_t n = f->manifest.n_actions, n_calls = 0;
	struct sk_call *calls = calloc(n ? n : 1, sizeof(*calls));
	struct sk_call_result *res = calloc(n ? n : 1, sizeof(*res));
	/* slot[i]: 1 + the index of action i's call, 0 for none. */
	size_t *slot = calloc(n ? n : 1, sizeof(*slot));

	if (!calls || !res || !slot) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		size_t first = n_calls;
		bool shared;

		if (!need[i] || slot[i])
			continue;
		/* Action i, then the later shared checks of its plugin. */
		shared = types[i]->ops.flags & SUP_ACTION_SHARED_CHECK;
		for (size_t j = i; j < (shared ? n : i + 1); j++) {
			if (!need[j] || slot[j] ||
			    (j != i && (!(types[j]->ops.flags &
					  SUP_ACTION_SHARED_CHECK) ||
					types[j]->plugin != types[i]->plugin)))
				continue;
			sk_call_init(&calls[n_calls], SK_PHASE_CHECK, e, f, j,
				     types[j]);
			if (calls[n_calls].timeout_s > SK_CHECK_TIMEOUT_S)
				calls[n_calls].timeout_s = SK_CHECK_TIMEOUT_S;
			calls[n_calls].quiet = true;
			slot[j] = ++n_calls;
		}
		sk_call_run_many(calls + first, n_calls - first, res + first);
	}
	/* Reported in action order. */
	for (size_t i = 0; i < n; i++) {
		const struct sk_call_result *r =
			slot[i] ? &res[slot[i] - 1] : NULL;

		if (r && !r->ok)
			sk_problems_add(d, SK_PROBLEM_TARGET,
					"action '%s': check failed: %s",
					f->manifest.actions[i].id,
					r->message ? r->message
						   : "unknown error");
	}
out:
	for (size_t k = 0; k < n_calls; k++)
		sk_call_result_release(&res[k]);
	free(calls);
	free(res);
	free(slot);
}

void sk_preflight(const struct sk_env *e, const struct sk_supfile *f,
		  const struct sk_action_type **types, struct sk_problems *d)
{
	const struct sk_manifest *m = &f->manifest;
	bool *need = calloc(m->n_actions ? m->n_actions : 1, sizeof(*need));

	if (!need) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		return;
	}
	check_compat(m, e->cfg.product, d);
	for (size_t i = 0; i < m->n_actions; i++) {
		types[i] = sk_registry_find(&e->reg, m->actions[i].type);
		if (!types[i]) {
			sk_problems_add(
				d, SK_PROBLEM_TARGET,
				"action '%s': no enabled plugin handles type '%s'",
				m->actions[i].id, m->actions[i].type);
			continue;
		}
		/* A package that failed verification runs no plugin
		 * code, and is not checked further. */
		if (f->verified)
			need[i] = check_action(f, i, types[i], d);
	}
	if (f->verified)
		run_checks(e, f, types, need, d);
	free(need);
}

