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

/* Static checks of one action against its type, then its check(). */
static void check_action(const struct sk_env *e, const struct sk_supfile *f,
			 size_t i, const struct sk_action_type *t,
			 struct sk_problems *d)
{
	const struct sk_action_decl *a = &f->manifest.actions[i];
	const struct sup_action_ops *o = &t->ops;
	struct sk_call call;
	struct sk_call_result res;
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
	if (!ok || !o->check)
		return;

	sk_call_init(&call, SK_PHASE_CHECK, e, f, i, t);
	if (call.timeout_s > SK_CHECK_TIMEOUT_S)
		call.timeout_s = SK_CHECK_TIMEOUT_S;
	call.quiet = true;
	sk_call_run(&call, &res);
	if (!res.ok)
		sk_problems_add(d, SK_PROBLEM_TARGET,
				"action '%s': check failed: %s", a->id,
				res.message ? res.message : "unknown error");
	sk_call_result_release(&res);
}

void sk_preflight(const struct sk_env *e, const struct sk_supfile *f,
		  const struct sk_action_type **types, struct sk_problems *d)
{
	const struct sk_manifest *m = &f->manifest;

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
		/* A package that failed verification runs no plugin code. */
		if (f->verified)
			check_action(e, f, i, types[i], d);
	}
}

