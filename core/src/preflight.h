/* SPDX-License-Identifier: MIT */
/*
 * preflight.h - what must hold before the first action of a package runs:
 * configuration and plugins loaded, package compatible with this gateway,
 * every action handled by an enabled plugin, its payload count and
 * parameters accepted by its type, and its check() passed.
 */
#ifndef SK_PREFLIGHT_H
#define SK_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "diag.h"
#include "loader.h"
#include "supfile.h"

/* Configuration and plugins, as every command that runs actions needs. */
struct sk_env {
	char *root; /* canonical host root */
	int root_fd; /* of root (O_PATH), opened once; -1 when none */
	struct sk_config cfg;
	bool config_ok; /* cfg loaded without a problem */
	struct sk_registry reg;
};

/*
 * Canonicalise root (NULL: "/"), load the configuration and the enabled
 * plugins: dirs (from --plugin-dir) first, then the config's plugin_dirs,
 * or the installed plugin directory when the config names none. Problems
 * go to d. Returns 0 or -1; e must be closed with sk_env_close() either
 * way.
 */
int sk_env_open(struct sk_env *e, const char *root, const char *config,
		const char *product, const char *const *dirs, size_t n_dirs,
		struct sk_diag *d);
void sk_env_close(struct sk_env *e);

/*
 * Check the package f (its manifest valid) against e; types[i] gets the
 * registered type of action i (NULL if none). Every problem goes to d.
 * Plugin checks run only for a package that passed verification.
 */
void sk_preflight(const struct sk_env *e, const struct sk_supfile *f,
		  const struct sk_action_type **types, struct sk_diag *d);

/* The timeout of an action: its own, or the configured default. */
unsigned long sk_action_timeout(const struct sk_action_decl *a,
				const struct sk_config *cfg);

#endif
