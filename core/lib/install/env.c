/* SPDX-License-Identifier: MIT */
/* env.c - open the root, load the configuration and the enabled plugins. */
#include "install/env.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/builtindirs.h"
#include "base/rootfd.h"

int sk_env_open(struct sk_env *e, const char *root, const char *config,
		const char *product, const char *const *dirs, size_t n_dirs,
		struct sk_problems *d)
{
	const char **all = NULL;
	size_t n_all = 0;
	char *why = NULL;
	int ret = -1, r;

	memset(e, 0, sizeof(*e));
	e->root_fd = -1;
	/* Opened once, walked from "/": plugins walk gateway paths from
	 * this descriptor (rootfd.h), and its name is read back from it. */
	r = sk_root_dir_open(root, &e->root_fd, &e->root, &why);
	if (r) {
		sk_problems_add(d, r == -ENOMEM ? SK_PROBLEM_SYSTEM :
						  SK_PROBLEM_SETUP,
				"root directory '%s': %s", root ? root : "/",
				why && r != -ENOENT ? why : strerror(-r));
		free(why);
		return -1;
	}
	e->config_ok = sk_config_load(&e->cfg, config, e->root, e->root_fd,
				      product, d) == 0;
	if (sk_registry_init(&e->reg, d) != 0)
		return -1;

	all = calloc(n_dirs + e->cfg.n_plugin_dirs + 1, sizeof(*all));
	if (!all) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n_dirs; i++)
		all[n_all++] = dirs[i];
	for (size_t i = 0; i < e->cfg.n_plugin_dirs; i++)
		all[n_all++] = e->cfg.plugin_dirs[i];
	/* The installed directory, unless SUPKIT_NO_BUILTIN_DIRS=1. */
	if (!e->cfg.n_plugin_dirs && sk_builtin_plugin_dir())
		all[n_all++] = sk_builtin_plugin_dir();
	ret = sk_registry_load_dirs(&e->reg, all, n_all,
				    (const char *const *)e->cfg.enabled,
				    e->cfg.n_enabled, d);
	if (sk_problems_empty(d))
		ret = 0;
	else
		ret = -1;
	free(all);
	return ret;
}

void sk_env_close(struct sk_env *e)
{
	if (e->root_fd >= 0)
		close(e->root_fd);
	sk_registry_release(&e->reg);
	sk_config_release(&e->cfg);
	free(e->root);
	memset(e, 0, sizeof(*e));
	e->root_fd = -1;
}
