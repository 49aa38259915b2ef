/* SPDX-License-Identifier: MIT */
/* runner.h - `sup install`: preflight, then actions in sequence. */
#ifndef SK_RUNNER_H
#define SK_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "diag.h"
#include "loader.h"

/* Configuration and plugins, as every command that runs actions needs. */
struct sk_env {
	char *root; /* canonical host root */
	struct sk_config cfg;
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

struct sk_install_opts {
	const char *sup_path;
	const char *root;	 /* NULL: "/" */
	const char *config_path; /* NULL: default lookup */
	const char *product;	 /* overrides the config, or NULL */
	const char *const *plugin_dirs;
	size_t n_plugin_dirs;
	bool dry_run;
	bool json;
	bool record_rejection;
	bool quiet;
};

/* Run `sup install`; returns the exit code (docs/cli.md). */
int sk_install(const struct sk_install_opts *o);

#endif
