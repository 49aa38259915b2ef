/* SPDX-License-Identifier: MIT */
/*
 * env.h - the environment every stage of an install works in: the root
 * (opened once), the configuration and the loaded plugins.
 */
#ifndef SK_ENV_H
#define SK_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include "base/config.h"
#include "base/problems.h"
#include "install/loader.h"

/* Configuration and plugins, as every command that runs actions needs. */
struct sk_env {
	char *root;  /* canonical host root */
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
		struct sk_problems *d);
void sk_env_close(struct sk_env *e);

#endif
