/* SPDX-License-Identifier: MIT */
/*
 * loader.h - plugin loading through libltdl, and the registry of action
 * types they provide.
 *
 * A plugin file is accepted only if: its path is absolute; neither the file
 * nor its directory is a symbolic link; neither is writable by group or
 * others; both are owned by root or by the user running the installer;
 * every symbol it uses resolves (a trial load with RTLD_NOW in a child
 * process, before libltdl maps it in this one); it exports
 * sup_plugin_entry; its descriptor has this host's ABI major, a minor not
 * newer than the host's, a sane size and the host's build signature; its
 * name equals the file name without ".so" and is 1-64 of [a-z0-9_-]; and
 * every action type it lists is well formed, starts with "NAME." and is
 * not claimed by another plugin. Each refusal names the file and the
 * reason.
 */
#ifndef SK_LOADER_H
#define SK_LOADER_H

#include <stddef.h>

#include <sup/plugin.h>

#include "base/problems.h"

struct sk_plugin {
	char *path; /* owned, absolute */
	void *handle; /* lt_dlhandle */
	const struct sup_plugin *desc; /* points into the loaded object */
};

struct sk_action_type {
	const char *type; /* borrowed from the plugin */
	/* Copy of the plugin's entry, zero-filled past the plugin's
	 * ops_size so members added later read as absent. */
	struct sup_action_ops ops;
	const struct sk_plugin *plugin;
	size_t plugin_index; /* index of plugin in sk_registry.plugins */
};

struct sk_registry {
	struct sk_plugin *plugins; /* owned */
	size_t n_plugins;
	struct sk_action_type *types; /* owned */
	size_t n_types;
	int ltdl_ready;
};

/* 0, or -1 if libltdl cannot start (reported in d). */
int sk_registry_init(struct sk_registry *r, struct sk_problems *d);
/* Plugins stay loaded until here. */
void sk_registry_release(struct sk_registry *r);

/* Load one plugin file. 0, or -1 with the reason in d (class SETUP). */
int sk_registry_load_file(struct sk_registry *r, const char *path,
			  struct sk_problems *d);

/*
 * Load plugins from dirs (absolute paths, searched in order; the first
 * directory holding NAME.so wins for plugin NAME, as with PATH). With
 * enabled == NULL every "*.so" found is loaded; otherwise exactly the
 * named plugins, and a named plugin found nowhere is an error. A directory
 * that does not exist is skipped. Returns 0, or -1 if anything was
 * reported.
 */
int sk_registry_load_dirs(struct sk_registry *r, const char *const *dirs,
			  size_t n_dirs, const char *const *enabled,
			  size_t n_enabled, struct sk_problems *d);

const struct sk_action_type *sk_registry_find(const struct sk_registry *r,
					      const char *type);

#endif
