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

/* A plugin listing more types than this is taken as a corrupt table
 * (missing terminator). */
#define SK_MAX_TYPES_PER_PLUGIN 256

/* How long the trial load of a plugin (check_binding()) may take. */
#define SK_BIND_CHECK_TIMEOUT_MS 30000
/* The longest loader message kept from the trial load. */
#define SK_BIND_MSG_MAX 1024

/* The smallest descriptor and ops entry an ABI 1.0 plugin can have. */
#define SK_PLUGIN_MIN_SIZE \
	(offsetof(struct sup_plugin, actions) + sizeof(void *))
#define SK_OPS_MIN_SIZE \
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

static const struct sup_action_ops *ops_at(const struct sup_plugin *p,
					   size_t i)
{
	return (const struct sup_action_ops *)(const void *)((const char *)
								     p->actions +
							     i * p->ops_size);
}

/* Register the plugin's types, all or none. */
static int register_types(struct sk_registry *r, struct sk_plugin *pl,
			  struct sk_problems *d)
{
	const struct sup_plugin *p = pl->desc;
	size_t n = 0, copy = p->ops_size < sizeof(struct sup_action_ops) ?
				     p->ops_size :
				     sizeof(struct sup_action_ops);
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

/*
 * The trial load in the child: open the plugin with every symbol bound
 * now and report on fd; exit 0 if it loaded, 1 if not.
 */
static void bind_child(const char *path, int fd, pid_t parent)
	__attribute__((noreturn));

static void bind_child(const char *path, int fd, pid_t parent)
{
	const char *err;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	/* Whatever a constructor prints must not reach stdout, which may
	 * carry a --json document. */
	(void)dup2(STDERR_FILENO, STDOUT_FILENO);
	if (dlopen(path, RTLD_NOW | RTLD_LOCAL))
		_exit(0);
	err = dlerror();
	if (err)
		(void)sk_write_all(fd, err, strlen(err));
	_exit(1);
}

/* Read what the child has written so far into buf (at most
 * SK_BIND_MSG_MAX bytes kept); false at end of file or on an error. */
static bool bind_read(int fd, char *buf, size_t *len)
{
	char drop[256];
	ssize_t n;

	for (;;) {
		if (*len < SK_BIND_MSG_MAX)
			n = read(fd, buf + *len, SK_BIND_MSG_MAX - *len);
		else
			n = read(fd, drop, sizeof(drop));
		if (n > 0) {
			if (*len < SK_BIND_MSG_MAX)
				*len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && errno == EAGAIN;
	}
}

/*
 * libltdl opens a plugin with lazy binding: a symbol that resolves
 * nowhere would pass loading and preflight, and only kill the call that
 * first uses it (exit 127 of the child, at execute). So before the host
 * maps the plugin at all, a child process opens it with RTLD_NOW, which
 * the dynamic linker refuses naming the missing symbol. The dynamic
 * linker decides, not a reading of the ELF tables by us: it alone knows
 * the library search path, symbol versions, weak symbols and what the
 * plugin's own libraries provide. A child, so that a plugin that fails
 * (or crashes or hangs in a constructor) never touches the installer;
 * libltdl stays the loader, the child only tells whether it may load.
 */
static int check_binding(const char *path, struct sk_problems *d)
{
	char buf[SK_BIND_MSG_MAX + 1];
	const char *m = buf;
	size_t len = 0, plen = strlen(path);
	long long until = sk_now_ms() + SK_BIND_CHECK_TIMEOUT_MS;
	int pfd[2], status = 0, exit_fd = -1;
	bool exited = false, eof = false;
	pid_t pid, parent = getpid();
	char *shown;

	if (pipe2(pfd, O_CLOEXEC) != 0) {
		sk_problems_add(
			d, SK_PROBLEM_SYSTEM,
			"cannot load plugin '%s': cannot create a pipe: %s",
			path, strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		sk_problems_add(
			d, SK_PROBLEM_SYSTEM,
			"cannot load plugin '%s': cannot start a process: %s",
			path, strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		close(pfd[0]);
		bind_child(path, pfd[1], parent);
	}
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	/* Until the child exits: a process it left behind may hold the
	 * pipe open. Its exit wakes the wait through a pidfd, not a sleep:
	 * every enabled plugin is tried so, on every run. */
	exit_fd = sk_pidfd_open(pid);
	while (!exited && sk_now_ms() < until) {
		struct pollfd p[2] = {
			{ .fd = eof ? -1 : pfd[0], .events = POLLIN },
			{ .fd = exit_fd, .events = POLLIN },
		};
		pid_t w;

		if (eof && exit_fd < 0)
			usleep(20000);
		else if (poll(p, 2, 50) > 0 && !eof && p[0].revents &&
			 !bind_read(pfd[0], buf, &len))
			eof = true;
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			exited = true;
		} else if (w < 0 && errno != EINTR) {
			sk_problems_add(
				d, SK_PROBLEM_SYSTEM,
				"cannot load plugin '%s': cannot wait for its trial load: %s",
				path, strerror(errno));
			close(pfd[0]);
			if (exit_fd >= 0)
				close(exit_fd);
			return -1;
		}
	}
	if (exit_fd >= 0)
		close(exit_fd);
	if (!exited) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		close(pfd[0]);
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': loading it took more than %d s",
			path, SK_BIND_CHECK_TIMEOUT_MS / 1000);
		return -1;
	}
	(void)bind_read(pfd[0], buf, &len);
	close(pfd[0]);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status)) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': it crashed while loading: %s (signal %d)",
			path, strsignal(WTERMSIG(status)), WTERMSIG(status));
		return -1;
	}
	/* "PATH: undefined symbol: NAME": the message names the file
	 * already. */
	buf[len] = '\0';
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	if (strncmp(m, path, plen) == 0 && strncmp(m + plen, ": ", 2) == 0)
		m += plen + 2;
	shown = sk_show_text(m, strlen(m));
	sk_problems_add(d, SK_PROBLEM_SETUP, "cannot load plugin '%s': %s",
			path,
			!*m	? "the dynamic linker refused it"
			: shown ? shown
				: "the dynamic linker refused it");
	free(shown);
	return -1;
}

int sk_registry_load_file(struct sk_registry *r, const char *path,
			  struct sk_problems *d)
{
	lt_dladvise advise = NULL;
	lt_dlhandle h = NULL;
	sup_plugin_entry_fn entry;
	const struct sup_plugin *desc;
	struct sk_plugin *grown, *pl;
	char *stem = NULL;
	int ret = -1;

	if (check_file_safety(path, d) != 0)
		return -1;

	/* The same plugin name twice would make types collide anyway; say
	 * it plainly. */
	stem = file_stem(path);
	if (!stem) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < r->n_plugins; i++) {
		if (strcmp(r->plugins[i].desc->name, stem) == 0) {
			sk_problems_add(
				d, SK_PROBLEM_SETUP,
				"cannot load plugin '%s': plugin '%s' is already loaded from '%s'",
				path, stem, r->plugins[i].path);
			goto out;
		}
	}

	if (check_binding(path, d) != 0)
		goto out;

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
	entry = (sup_plugin_entry_fn)(uintptr_t)lt_dlsym(h,
						       SUP_PLUGIN_ENTRY_SYMBOL);
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
	free(stem);
	return ret;
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
		sk_problems_add(d, r == -ENOMEM ? SK_PROBLEM_SYSTEM : SK_PROBLEM_SETUP,
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

static int load_named(struct sk_registry *r, const char *dir, const char *name,
		      struct sk_problems *d)
{
	char *path = sk_asprintf("%s/%s.so", dir, name);
	int ret;

	if (!path) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		return -1;
	}
	ret = sk_registry_load_file(r, path, d);
	free(path);
	return ret;
}

int sk_registry_load_dirs(struct sk_registry *r, const char *const *dirs,
			  size_t n_dirs, const char *const *enabled,
			  size_t n_enabled, struct sk_problems *d)
{
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

	if (enabled) {
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
			if (loaded_name(r, name))
				continue;
			for (size_t i = 0; i < n_dirs && !found; i++) {
				struct stat st;
				char *path = sk_asprintf("%s/%s.so", dirs[i],
							 name);

				if (!path) {
					sk_problems_add(d, SK_PROBLEM_SYSTEM,
							"out of memory");
					return -1;
				}
				if (lstat(path, &st) == 0) {
					found = true;
					if (sk_registry_load_file(r, path, d))
						ret = -1;
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

	for (size_t i = 0; i < n_dirs; i++) {
		char **names;
		size_t n;

		if (list_dir(dirs[i], &names, &n, d) != 0) {
			ret = -1;
			continue;
		}
		for (size_t k = 0; k < n; k++) {
			if (!loaded_name(r, names[k]) &&
			    load_named(r, dirs[i], names[k], d) != 0)
				ret = -1;
			free(names[k]);
		}
		free(names);
	}
	return ret;
}
