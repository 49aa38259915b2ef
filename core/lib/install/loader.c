/* SPDX-License-Identifier: MIT */
/* loader.c - plugin loading (libltdl) and the action-type registry. */
#include "install/loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <ltdl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/names.h"
#include "base/util.h"
#include "install/trialload.h"

/* A plugin listing more types than this is taken as a corrupt table
 * (missing terminator). */
#define SK_MAX_TYPES_PER_PLUGIN 256

/* The smallest descriptor and ops entry an ABI 1.0 plugin can have. */
#define SK_PLUGIN_MIN_SIZE                                                     \
	(offsetof(struct sup_plugin, actions) + sizeof(void *))
#define SK_OPS_MIN_SIZE                                                        \
	(offsetof(struct sup_action_ops, max_payloads) + sizeof(unsigned int))

int sk_registry_init(struct sk_registry *r, struct sk_problems *d)
{
	memset(r, 0, sizeof(*r));
	if (lt_dlinit() != 0) {
		sk_problems_add(d, SK_PROBLEM_SETUP, "cannot start libltdl: %s",
				lt_dlerror());
		return -1;
	}
	r->ltdl_ready = 1;
	return 0;
}

void sk_registry_release(struct sk_registry *r)
{
	for (size_t i = 0; i < r->n_plugins; i++) {
		if (r->plugins[i].handle)
			lt_dlclose(r->plugins[i].handle);
		free(r->plugins[i].path);
	}
	free(r->plugins);
	free(r->types);
	if (r->ltdl_ready)
		lt_dlexit();
	memset(r, 0, sizeof(*r));
}

const struct sk_action_type *sk_registry_find(const struct sk_registry *r,
					      const char *type)
{
	for (size_t i = 0; i < r->n_types; i++)
		if (strcmp(r->types[i].type, type) == 0)
			return &r->types[i];
	return NULL;
}

/* "plugin.verb", at most 255 bytes. */
static bool type_valid(const char *t)
{
	return t && strlen(t) <= 255 && sk_action_type_valid(t);
}

/* Does type t start with "name."? */
static bool type_owned_by(const char *t, const char *name)
{
	size_t n = strlen(name);

	return strncmp(t, name, n) == 0 && t[n] == '.';
}

static bool owner_trusted(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* File and directory checks before any code of the plugin runs. */
static int check_file_safety(const char *path, struct sk_problems *d)
{
	struct stat st;
	char *dcopy = NULL;
	const char *dir;
	int ret = -1;

	if (path[0] != '/') {
		sk_problems_add(d, SK_PROBLEM_SETUP,
				"cannot load plugin '%s': not an absolute path",
				path);
		return -1;
	}
	if (lstat(path, &st) != 0) {
		sk_problems_add(d, SK_PROBLEM_SETUP,
				"cannot load plugin '%s': %s", path,
				strerror(errno));
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		sk_problems_add(d, SK_PROBLEM_SETUP,
				"cannot load plugin '%s': is a symbolic link",
				path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		sk_problems_add(d, SK_PROBLEM_SETUP,
				"cannot load plugin '%s': not a regular file",
				path);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': file is %s-writable (mode %04o)",
			path, (st.st_mode & S_IWOTH) ? "world" : "group",
			(unsigned int)(st.st_mode & 07777));
		return -1;
	}
	if (!owner_trusted(st.st_uid)) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': file is owned by uid %u, not by root or the current user",
			path, (unsigned int)st.st_uid);
		return -1;
	}

	dcopy = strdup(path);
	if (!dcopy) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		return -1;
	}
	dir = dirname(dcopy);
	if (lstat(dir, &st) != 0) {
		sk_problems_add(d, SK_PROBLEM_SETUP,
				"cannot load plugin '%s': directory '%s': %s",
				path, dir, strerror(errno));
		goto out;
	}
	if (S_ISLNK(st.st_mode)) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': directory '%s' is a symbolic link",
			path, dir);
		goto out;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': directory '%s' is %s-writable (mode %04o)",
			path, dir, (st.st_mode & S_IWOTH) ? "world" : "group",
			(unsigned int)(st.st_mode & 07777));
		goto out;
	}
	if (!owner_trusted(st.st_uid)) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': directory '%s' is owned by uid %u, not by root or the current user",
			path, dir, (unsigned int)st.st_uid);
		goto out;
	}
	ret = 0;
out:
	free(dcopy);
	return ret;
}

/* The plugin name a file must carry: its base name without ".so". */
static char *file_stem(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 3 && strcmp(base + len - 3, ".so") == 0)
		len -= 3;
	return strndup(base, len);
}

static int check_descriptor(const char *path, const struct sup_plugin *p,
			    struct sk_problems *d)
{
	char *stem = NULL;
	int ret = -1;

	if (!p) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': sup_plugin_entry returned NULL",
			path);
		return -1;
	}
	if (p->abi_major != SUP_ABI_MAJOR) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': wrong ABI major %u, this host speaks %u",
			path, (unsigned int)p->abi_major, SUP_ABI_MAJOR);
		return -1;
	}
	if (p->abi_minor > SUP_ABI_MINOR) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': ABI %u.%u is newer than this host's %u.%u",
			path, (unsigned int)p->abi_major,
			(unsigned int)p->abi_minor, SUP_ABI_MAJOR,
			SUP_ABI_MINOR);
		return -1;
	}
	if (p->size < SK_PLUGIN_MIN_SIZE) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': descriptor size %u is smaller than ABI 1.0's %zu",
			path, (unsigned int)p->size, SK_PLUGIN_MIN_SIZE);
		return -1;
	}
	if (p->build_signature != SUP_BUILD_SIGNATURE) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': build signature 0x%08x does not match this host's 0x%08x (built for another architecture or data model)",
			path, (unsigned int)p->build_signature,
			(unsigned int)SUP_BUILD_SIGNATURE);
		return -1;
	}
	if (p->ops_size < SK_OPS_MIN_SIZE) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': action table entry size %u is smaller than ABI 1.0's %zu",
			path, (unsigned int)p->ops_size, SK_OPS_MIN_SIZE);
		return -1;
	}
	stem = file_stem(path);
	if (!stem) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		return -1;
	}
	if (!p->name || strcmp(p->name, stem) != 0) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': plugin name '%s' does not match the file name '%s.so'",
			path, p->name ? p->name : "(null)", stem);
		goto out;
	}
	/* The name prefixes the plugin's action types: it must not hold a
	 * '.' (plugin "a.b" could claim the types of plugin "a"). */
	if (!sk_plugin_name_valid(p->name)) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': plugin name '%s' is not 1 to 64 of lowercase letters, digits, '_' and '-'",
			path, p->name);
		goto out;
	}
	if (!p->version || !*p->version) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': descriptor has no version",
			path);
		goto out;
	}
	if (!p->actions) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': descriptor lists no action types",
			path);
		goto out;
	}
	ret = 0;
out:
	free(stem);
	return ret;
}

static const struct sup_action_ops *ops_at(const struct sup_plugin *p, size_t i)
{
	return (const struct sup_action_ops *)(const void *)((const char *)p
								     ->actions +
							     i * p->ops_size);
}

/* Register the plugin's types, all or none. */
static int register_types(struct sk_registry *r, struct sk_plugin *pl,
			  struct sk_problems *d)
{
	const struct sup_plugin *p = pl->desc;
	size_t n = 0, copy = p->ops_size < sizeof(struct sup_action_ops)
				     ? p->ops_size
				     : sizeof(struct sup_action_ops);
	struct sk_action_type *grown;
	int bad = 0;

	while (n < SK_MAX_TYPES_PER_PLUGIN && ops_at(p, n)->type)
		n++;
	if (n == SK_MAX_TYPES_PER_PLUGIN) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': action table has no end (more than %d types)",
			pl->path, SK_MAX_TYPES_PER_PLUGIN);
		return -1;
	}
	if (n == 0) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': descriptor lists no action types",
			pl->path);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct sup_action_ops *o = ops_at(p, i);
		const struct sk_action_type *other;

		if (!type_valid(o->type)) {
			sk_problems_add(
				d, SK_PROBLEM_SETUP,
				"cannot load plugin '%s': action type '%s' is not of the form plugin.verb (lowercase letters, digits, '_', '-')",
				pl->path, o->type);
			bad = 1;
			continue;
		}
		/* A type is its plugin's: no plugin can take another's types,
		 * whichever loads first. */
		if (!type_owned_by(o->type, p->name)) {
			sk_problems_add(
				d, SK_PROBLEM_SETUP,
				"cannot load plugin '%s': action type '%s' does not start with the plugin's name and a dot ('%s.')",
				pl->path, o->type, p->name);
			bad = 1;
			continue;
		}
		if (!o->execute) {
			sk_problems_add(
				d, SK_PROBLEM_SETUP,
				"cannot load plugin '%s': action type '%s' has no execute function",
				pl->path, o->type);
			bad = 1;
		}
		if (o->min_payloads > o->max_payloads) {
			sk_problems_add(
				d, SK_PROBLEM_SETUP,
				"cannot load plugin '%s': action type '%s' takes at least %u and at most %u payloads",
				pl->path, o->type, o->min_payloads,
				o->max_payloads);
			bad = 1;
		}
		other = sk_registry_find(r, o->type);
		if (other) {
			sk_problems_add(
				d, SK_PROBLEM_SETUP,
				"action type '%s' is claimed by both '%s' and '%s'",
				o->type, other->plugin->path, pl->path);
			bad = 1;
		}
		for (size_t j = 0; j < i; j++) {
			if (type_valid(ops_at(p, j)->type) &&
			    strcmp(ops_at(p, j)->type, o->type) == 0) {
				sk_problems_add(
					d, SK_PROBLEM_SETUP,
					"cannot load plugin '%s': action type '%s' is listed twice",
					pl->path, o->type);
				bad = 1;
				break;
			}
		}
	}
	if (bad)
		return -1;

	if (r->n_types > SIZE_MAX / sizeof(*grown) - n)
		goto oom;
	grown = realloc(r->types, (r->n_types + n) * sizeof(*grown));
	if (!grown)
		goto oom;
	r->types = grown;
	for (size_t i = 0; i < n; i++) {
		struct sk_action_type *t = &r->types[r->n_types++];

		memset(t, 0, sizeof(*t));
		memcpy(&t->ops, ops_at(p, i), copy);
		t->type = t->ops.type;
		t->plugin = pl;
		t->plugin_index = r->n_plugins;
	}
	return 0;
oom:
	sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
	return -1;
}

/* Whether a file may be tried at all: its place and modes, and no plugin
 * of its name loaded already or listed before it (earlier). */
static int admit(const struct sk_registry *r, const char *path,
		 const char *const *earlier, size_t n_earlier,
		 struct sk_problems *d)
{
	char *stem, *other;
	const char *by = NULL;

	if (check_file_safety(path, d) != 0)
		return -1;
	/* The same plugin name twice would make types collide anyway; say
	 * it plainly. */
	stem = file_stem(path);
	if (!stem) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < r->n_plugins && !by; i++)
		if (strcmp(r->plugins[i].desc->name, stem) == 0)
			by = r->plugins[i].path;
	for (size_t i = 0; i < n_earlier && !by; i++) {
		other = file_stem(earlier[i]);
		if (!other) {
			sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
			free(stem);
			return -1;
		}
		if (strcmp(other, stem) == 0)
			by = earlier[i];
		free(other);
	}
	if (by)
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': plugin '%s' is already loaded from '%s'",
			path, stem, by);
	free(stem);
	return by ? -1 : 0;
}

/* Map a file that passed its trial load, check its descriptor and
 * register its types. */
static int attach(struct sk_registry *r, const char *path,
		  struct sk_problems *d)
{
	lt_dladvise advise = NULL;
	lt_dlhandle h = NULL;
	sup_plugin_entry_fn entry;
	const struct sup_plugin *desc;
	struct sk_plugin *grown, *pl;
	int ret = -1;

	/* RTLD_LOCAL: plugins must not see each other's symbols. */
	if (lt_dladvise_init(&advise) != 0 || lt_dladvise_local(&advise) != 0) {
		sk_problems_add(d, SK_PROBLEM_SETUP,
				"cannot load plugin '%s': %s", path,
				lt_dlerror());
		goto out;
	}
	h = lt_dlopenadvise(path, advise);
	if (!h) {
		sk_problems_add(d, SK_PROBLEM_SETUP,
				"cannot load plugin '%s': %s", path,
				lt_dlerror());
		goto out;
	}
	entry = (sup_plugin_entry_fn)(uintptr_t)lt_dlsym(
		h, SUP_PLUGIN_ENTRY_SYMBOL);
	if (!entry) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': it does not export %s", path,
			SUP_PLUGIN_ENTRY_SYMBOL);
		goto out;
	}
	desc = entry();
	if (check_descriptor(path, desc, d) != 0)
		goto out;

	grown = realloc(r->plugins, (r->n_plugins + 1) * sizeof(*grown));
	if (!grown) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		goto out;
	}
	r->plugins = grown;
	/* Types point at their plugin: re-point them after the move. */
	for (size_t i = 0; i < r->n_types; i++)
		r->types[i].plugin = &r->plugins[r->types[i].plugin_index];
	pl = &r->plugins[r->n_plugins];
	memset(pl, 0, sizeof(*pl));
	pl->path = strdup(path);
	if (!pl->path) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		goto out;
	}
	pl->handle = h;
	pl->desc = desc;
	if (register_types(r, pl, d) != 0) {
		free(pl->path);
		pl->path = NULL;
		goto out;
	}
	r->n_plugins++;
	h = NULL;
	ret = 0;
out:
	if (h)
		lt_dlclose(h);
	if (advise)
		lt_dladvise_destroy(&advise);
	return ret;
}

/* Load the n files of paths in that order: each admitted one is tried in
 * one trial load (trialload.h), then mapped. 0, or -1 when anything was
 * refused. */
static int load_files(struct sk_registry *r, const char *const *paths, size_t n,
		      struct sk_problems *d)
{
	const char **tried = calloc(n ? n : 1, sizeof(*tried));
	bool *ok = calloc(n ? n : 1, sizeof(*ok));
	size_t n_tried = 0;
	int ret = 0;

	if (!tried || !ok) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		free(tried);
		free(ok);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (admit(r, paths[i], tried, n_tried, d) == 0)
			tried[n_tried++] = paths[i];
		else
			ret = -1;
	}
	sk_trial_load(tried, n_tried, ok, d);
	for (size_t i = 0; i < n_tried; i++)
		if (!ok[i] || attach(r, tried[i], d) != 0)
			ret = -1;
	free(tried);
	free(ok);
	return ret;
}

int sk_registry_load_file(struct sk_registry *r, const char *path,
			  struct sk_problems *d)
{
	return load_files(r, &path, 1, d);
}

static bool loaded_name(const struct sk_registry *r, const char *name)
{
	for (size_t i = 0; i < r->n_plugins; i++)
		if (strcmp(r->plugins[i].desc->name, name) == 0)
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collect the "*.so" names of one directory (without ".so"), sorted. */
static int list_dir(const char *dir, char ***out, size_t *n,
		    struct sk_problems *d)
{
	char **names = NULL;
	size_t count = 0, kept = 0;
	int fd, r;

	*out = NULL;
	*n = 0;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = fd < 0 ? -errno : sk_list_dir(fd, &names, &count);
	if (r == -ENOENT)
		return 0;
	if (r) {
		sk_problems_add(
			d, r == -ENOMEM ? SK_PROBLEM_SYSTEM : SK_PROBLEM_SETUP,
			"cannot read plugin directory '%s': %s", dir,
			strerror(-r));
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		size_t len = strlen(names[i]);

		if (len <= 3 || strcmp(names[i] + len - 3, ".so") != 0 ||
		    names[i][0] == '.') {
			free(names[i]);
			continue;
		}
		names[i][len - 3] = '\0';
		names[kept++] = names[i];
	}
	if (kept)
		qsort(names, kept, sizeof(*names), cmp_str);
	*out = names;
	*n = kept;
	return 0;
}

/* The files a directory search found, in the order they load. */
struct found {
	char **paths;
	size_t n;
};

/* Queue DIR/NAME.so: 0, or -1 when out of memory (reported). */
static int found_add(struct found *f, const char *dir, const char *name,
		     struct sk_problems *d)
{
	char **grown = realloc(f->paths, (f->n + 1) * sizeof(*grown));

	if (grown)
		f->paths = grown;
	if (!grown || !(f->paths[f->n] = sk_asprintf("%s/%s.so", dir, name))) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		return -1;
	}
	f->n++;
	return 0;
}

/* Whether plugin name is loaded or queued already: the first directory
 * holding NAME.so wins. */
static bool taken_name(const struct sk_registry *r, const struct found *f,
		       const char *name)
{
	size_t len = strlen(name);

	if (loaded_name(r, name))
		return true;
	for (size_t i = 0; i < f->n; i++) {
		const char *base = strrchr(f->paths[i], '/') + 1;

		if (strncmp(base, name, len) == 0 &&
		    strcmp(base + len, ".so") == 0)
			return true;
	}
	return false;
}

/* Every enabled plugin, from the first directory that holds it. */
static int find_enabled(const struct sk_registry *r, const char *const *dirs,
			size_t n_dirs, const char *const *enabled,
			size_t n_enabled, struct found *f,
			struct sk_problems *d)
{
	int ret = 0;

	for (size_t e = 0; e < n_enabled; e++) {
		const char *name = enabled[e];
		bool found = false;

		if (!sk_plugin_name_valid(name)) {
			sk_problems_add(
				d, SK_PROBLEM_SETUP,
				"enabled plugin '%s' is not a valid plugin name",
				name);
			ret = -1;
			continue;
		}
		if (taken_name(r, f, name))
			continue;
		for (size_t i = 0; i < n_dirs && !found; i++) {
			struct stat st;
			char *path = sk_asprintf("%s/%s.so", dirs[i], name);

			if (!path) {
				sk_problems_add(d, SK_PROBLEM_SYSTEM,
						"out of memory");
				return -1;
			}
			if (lstat(path, &st) == 0) {
				found = true;
				if (found_add(f, dirs[i], name, d) != 0) {
					free(path);
					return -1;
				}
			}
			free(path);
		}
		if (!found) {
			sk_problems_add(
				d, SK_PROBLEM_SETUP,
				"plugin '%s' is enabled but no '%s.so' was found in the plugin directories",
				name, name);
			ret = -1;
		}
	}
	return ret;
}

/* Every "*.so" of the directories, the first directory's for each name. */
static int find_all(const struct sk_registry *r, const char *const *dirs,
		    size_t n_dirs, struct found *f, struct sk_problems *d)
{
	int ret = 0;

	for (size_t i = 0; i < n_dirs; i++) {
		char **names;
		size_t n;

		if (list_dir(dirs[i], &names, &n, d) != 0) {
			ret = -1;
			continue;
		}
		for (size_t k = 0; k < n; k++) {
			if (ret != -2 && !taken_name(r, f, names[k]) &&
			    found_add(f, dirs[i], names[k], d) != 0)
				ret = -2;
			free(names[k]);
		}
		free(names);
	}
	return ret == -2 ? -1 : ret;
}

int sk_registry_load_dirs(struct sk_registry *r, const char *const *dirs,
			  size_t n_dirs, const char *const *enabled,
			  size_t n_enabled, struct sk_problems *d)
{
	struct found f = {0};
	int ret = 0;

	for (size_t i = 0; i < n_dirs; i++) {
		if (dirs[i][0] != '/') {
			sk_problems_add(
				d, SK_PROBLEM_SETUP,
				"plugin directory '%s' is not an absolute path",
				dirs[i]);
			ret = -1;
		}
	}
	if (ret)
		return ret;

	ret = enabled ? find_enabled(r, dirs, n_dirs, enabled, n_enabled, &f, d)
		      : find_all(r, dirs, n_dirs, &f, d);
	/* All that were found load, whatever else was wrong. */
	if (load_files(r, (const char *const *)f.paths, f.n, d) != 0)
		ret = -1;
	for (size_t i = 0; i < f.n; i++)
		free(f.paths[i]);
	free(f.paths);
	return ret;
}
