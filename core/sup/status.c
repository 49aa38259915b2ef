/* SPDX-License-Identifier: MIT */
/* status.c - the document of `sup status`: what is installed, a running
 * or pending install, the last result (status.h). */
#include "status.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/config.h"
#include "base/rootfd.h"
#include "base/util.h"
#include "cmd.h"
#include "install/state.h"
#include "record/confirm.h"
#include "verify/rollback.h"

/* A gateway directory opened for reading. */
struct dir {
	int fd;	    /* -1: absent, or not read (bad) */
	bool bad;   /* there, but not read: a problem was added */
	char *host; /* its host path, links resolved, for messages */
	char *via;  /* "/proc/self/fd/N": how the readers get in */
};

struct status {
	char *root; /* canonical host root */
	int rootfd;
	struct sk_problems *d;
	struct dir state, logs;
	json_object *record; /* confirmation.json, NULL when none */
	char *record_path;
	struct sk_install_state ist;
	bool ist_read; /* install.json read into ist */
	bool pending;  /* install.json is there */
	int locked;    /* sk_lock_probe(): 1 an installer runs */
	long pid;
	char *holder;
};

/* Damaged or unsafe (the administrator repairs it: exit 5), or the
 * system failed (exit 6). */
static enum sk_problem_class class_of(int err)
{
	if (err == -EINVAL || err == -EPROTO || err == -EPERM ||
	    err == -ELOOP || err == -ENOTDIR)
		return SK_PROBLEM_SETUP;
	return SK_PROBLEM_SYSTEM;
}

static json_object *member(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* The string member key of o as a JSON string, or null. */
static json_object *text_of(json_object *o, const char *key)
{
	return sk_json_str(sk_confirm_str(o, key));
}

static bool result_is(const char *result, const char *what)
{
	return result && strcmp(result, what) == 0;
}

/* Open the configured gateway directory gw ("state directory"). */
static void open_dir(struct status *s, struct dir *dir, const char *what,
		     const char *gw)
{
	char *why = NULL;
	struct stat st;
	int r = sk_rootfd_dir_host(s->rootfd, s->root, gw, 0, &dir->fd,
				   &dir->host, &why);

	if (r == -ENOENT)
		goto out;
	dir->bad = true;
	if (r) {
		sk_problems_add(s->d, class_of(r), "%s '%s': %s", what, gw,
				why ? why : strerror(-r));
		goto out;
	}
	dir->via = sk_asprintf("/proc/self/fd/%d", dir->fd);
	if (!dir->host || !dir->via) {
		sk_problems_add(s->d, SK_PROBLEM_SYSTEM, "out of memory");
	} else if (fstat(dir->fd, &st) != 0) {
		sk_problems_add(s->d, SK_PROBLEM_SYSTEM, "%s '%s': %s", what,
				dir->host, strerror(errno));
	} else if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
		   (st.st_mode & 022)) {
		/* Anyone who may write there may put a link to anything,
		 * a device say, under a name read here. */
		sk_problems_add(
			s->d, SK_PROBLEM_SETUP,
			"%s '%s' may be changed by other users (mode %04o, owner %lu): its files are not read",
			what, dir->host, (unsigned int)(st.st_mode & 07777),
			(unsigned long)st.st_uid);
	} else {
		dir->bad = false;
	}
	if (dir->bad) {
		close(dir->fd);
		dir->fd = -1;
	}
out:
	free(why);
}

static void close_dir(struct dir *dir)
{
	if (dir->fd >= 0)
		close(dir->fd);
	free(dir->host);
	free(dir->via);
}

/* Is name in dir a regular file: 1; 0 when absent; -1 when it cannot be
 * told or something else is there (a problem was added). */
static int entry(struct status *s, const struct dir *dir, const char *name)
{
	struct stat st;

	if (dir->bad)
		return -1;
	if (dir->fd < 0)
		return 0;
	if (fstatat(dir->fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			return 0;
		sk_problems_add(s->d, SK_PROBLEM_SYSTEM,
				"cannot read '%s/%s': %s", dir->host, name,
				strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		/* sup writes its files by rename: never a link. */
		sk_problems_add(s->d, SK_PROBLEM_SETUP,
				"'%s/%s' is %s: not read", dir->host, name,
				S_ISLNK(st.st_mode) ? "a symbolic link"
						    : "not a regular file");
		return -1;
	}
	return 1;
}

/* A reader's failure: why is the whole story of a damaged file. */
static void read_failed(struct status *s, const struct dir *dir,
			const char *name, int err, const char *why)
{
	sk_problems_add(
		s->d, class_of(err), "cannot read '%s/%s': %s", dir->host, name,
		class_of(err) == SK_PROBLEM_SETUP ? why : strerror(-err));
}

/* The record's package as installed, when the run succeeded (no
 * installed.json: the best there is). */
static json_object *installed_from_record(json_object *rec)
{
	json_object *pkg = member(rec, "package"), *o, *arr, *sv;

	if (!result_is(sk_confirm_str(rec, "result"), "succeeded") ||
	    !sk_confirm_str(pkg, "name"))
		return NULL;
	arr = json_object_new_array();
	o = json_object_new_object();
	if (!arr || !o) {
		json_object_put(arr);
		json_object_put(o);
		return NULL;
	}
	sv = member(pkg, "security_version");
	json_object_object_add(o, "name", text_of(pkg, "name"));
	json_object_object_add(o, "version", text_of(pkg, "version"));
	json_object_object_add(o, "security_version",
			       json_object_is_type(sv, json_type_int)
				       ? json_object_get(sv)
				       : NULL);
	json_object_object_add(o, "installed_at", text_of(rec, "finished"));
	json_object_array_add(arr, o);
	return arr;
}

/* "installed" and "installed_from" of doc. */
static void add_installed(struct status *s, json_object *doc)
{
	struct sk_installed in;
	json_object *arr = NULL;
	const char *why = NULL, *from = NULL;
	int r = entry(s, &s->state, SK_INSTALLED_NAME);

	if (r == 0 && s->record) {
		arr = installed_from_record(s->record);
		from = arr ? SK_CONFIRM_NAME : NULL;
	}
	if (r == 0 && !arr)
		arr = json_object_new_array();
	if (r != 1)
		goto out;
	r = sk_installed_load(&in, s->state.fd, &why);
	if (r) {
		read_failed(s, &s->state, SK_INSTALLED_NAME, r, why);
	} else if ((arr = json_object_new_array()) != NULL) {
		from = SK_INSTALLED_NAME;
		for (size_t i = 0; i < in.n; i++) {
			const struct sk_installed_pkg *p = &in.pkgs[i];
			json_object *o = json_object_new_object();

			if (!o)
				break;
			json_object_object_add(o, "name",
					       sk_json_str(p->name));
			json_object_object_add(o, "version",
					       sk_json_str(p->version));
			json_object_object_add(
				o, "security_version",
				json_object_new_uint64(p->security_version));
			json_object_object_add(o, "installed_at",
					       sk_json_str(p->installed_at));
			json_object_array_add(arr, o);
		}
	}
	sk_installed_release(&in);
out:
	json_object_object_add(doc, "installed", arr);
	json_object_object_add(doc, "installed_from",
			       from ? json_object_new_string(from) : NULL);
}

/* Read the install state, the lock and the record. */
static void read_state(struct status *s)
{
	const char *why;
	char *via;
	int r;

	r = s->state.fd >= 0 ? sk_lock_probe(s->state.fd, &s->pid, &s->holder)
			     : 0;
	if (r < 0)
		read_failed(s, &s->state, SK_LOCK_NAME, r,
			    "not a regular file");
	s->locked = r;
	r = entry(s, &s->state, SK_STATE_NAME);
	s->pending = r == 1;
	if (r == 1) {
		r = sk_state_load(s->state.via, &s->ist, &why);
		s->ist_read = r == 0;
		/* install.json is root's alone (mode 0600): another user
		 * learns the pending package from the record. */
		if (r && r != -EACCES)
			read_failed(s, &s->state, SK_STATE_NAME, r, why);
	}
	if (entry(s, &s->logs, SK_CONFIRM_NAME) != 1)
		return;
	s->record_path = sk_path_join(s->logs.host, SK_CONFIRM_NAME);
	via = sk_path_join(s->logs.via, SK_CONFIRM_NAME);
	r = via && s->record_path ? sk_confirm_read(via, &s->record, &why)
				  : -ENOMEM;
	free(via);
	if (r)
		read_failed(s, &s->logs, SK_CONFIRM_NAME, r,
			    r == -ENOMEM ? "out of memory" : why);
}

/* The first action of the record not done yet, or null. */
static json_object *next_action(json_object *rec)
{
	json_object *acts = member(rec, "actions"), *o;
	size_t n = json_object_is_type(acts, json_type_array)
			   ? json_object_array_length(acts)
			   : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *a = json_object_array_get_idx(acts, i);
		const char *st = sk_confirm_str(a, "status");

		if (!result_is(st, "pending") && !result_is(st, "running"))
			continue;
		o = json_object_new_object();
		if (!o)
			return NULL;
		json_object_object_add(o, "number",
				       json_object_new_int64((int64_t)i + 1));
		json_object_object_add(o, "total",
				       json_object_new_int64((int64_t)n));
		json_object_object_add(o, "id", text_of(a, "id"));
		json_object_object_add(o, "type", text_of(a, "type"));
		json_object_object_add(o, "status", text_of(a, "status"));
		return o;
	}
	return NULL;
}

/* "pending": the install that install.json names, and how far its own
 * record got. */
static json_object *pending_json(struct status *s)
{
	json_object *o, *pkg = member(s->record, "package");
	const char *result = sk_confirm_str(s->record, "result");
	const char *sha = sk_confirm_str(pkg, "sha256");
	const char *reason = NULL;
	bool open =
		result_is(result, "running") || result_is(result, "suspended");
	/* The record is the pending run's own when it is of the package
	 * whose hash the state pinned; without the state, when it is not
	 * final (a new install replaces the record only once no install
	 * is pending). */
	bool own = s->record &&
		   (s->ist_read ? sha && strcmp(sha, s->ist.sup_sha256) == 0
				: open);

	if (!s->pending || !(o = json_object_new_object()))
		return NULL;
	if (own && result_is(result, "suspended"))
		reason = sk_confirm_str(member(s->record, "suspended"),
					"reason");
	else if (own && result_is(result, "running") && s->locked != 1)
		reason = "interrupted";
	json_object_object_add(o, "name", own ? text_of(pkg, "name") : NULL);
	json_object_object_add(o, "version",
			       own ? text_of(pkg, "version") : NULL);
	json_object_object_add(o, "sup", sk_json_str(s->ist.sup));
	json_object_object_add(o, "job_id", sk_json_str(s->ist.job_id));
	json_object_object_add(o, "result", own ? sk_json_str(result) : NULL);
	json_object_object_add(o, "reason", sk_json_str(reason));
	json_object_object_add(o, "next_action",
			       own && open ? next_action(s->record) : NULL);
	return o;
}

/* "last": the record's package, result, error and times. */
static json_object *last_json(struct status *s)
{
	json_object *o, *pkg = member(s->record, "package");
	json_object *err = member(s->record, "error"), *e = NULL;

	if (!s->record || !(o = json_object_new_object()))
		return NULL;
	if (json_object_is_type(err, json_type_object) &&
	    (e = json_object_new_object()) != NULL) {
		json_object_object_add(e, "code", text_of(err, "code"));
		json_object_object_add(e, "message", text_of(err, "message"));
	}
	json_object_object_add(o, "name", text_of(pkg, "name"));
	json_object_object_add(o, "version", text_of(pkg, "version"));
	json_object_object_add(o, "result", text_of(s->record, "result"));
	json_object_object_add(o, "error", e);
	json_object_object_add(o, "started", text_of(s->record, "started"));
	json_object_object_add(o, "finished", text_of(s->record, "finished"));
	json_object_object_add(o, "job_id", text_of(s->record, "job_id"));
	json_object_object_add(o, "record", sk_json_str(s->record_path));
	return o;
}

static json_object *running_json(struct status *s)
{
	json_object *o;

	if (s->locked != 1 || !(o = json_object_new_object()))
		return NULL;
	json_object_object_add(
		o, "pid", s->pid > 0 ? json_object_new_int64(s->pid) : NULL);
	json_object_object_add(o, "holder", sk_json_str(s->holder));
	return o;
}

static const char *state_name(const struct status *s)
{
	if (s->locked == 1)
		return "running";
	if (s->state.bad || s->locked < 0)
		return NULL;
	return s->pending ? "pending" : "idle";
}

/* Find the directories through the configuration, and open them. */
static void open_dirs(struct status *s, const char *root, const char *config)
{
	struct sk_config cfg;

	char *why = NULL;
	int r;

	/* Opened once, walked from "/"; its name is the descriptor's (a
	 * name looked up again could lead somewhere else by then). */
	r = sk_root_dir_open(root, &s->rootfd, &s->root, &why);
	if (r) {
		sk_problems_add(s->d, SK_PROBLEM_SETUP,
				"root directory '%s': %s", root ? root : "/",
				why && r != -ENOENT ? why : strerror(-r));
		free(why);
		s->state.bad = s->logs.bad = true;
		return;
	}
	if (sk_config_load(&cfg, config, s->root, s->rootfd, NULL, s->d) == 0) {
		open_dir(s, &s->state, "state directory", cfg.state_dir);
		open_dir(s, &s->logs, "logs directory", cfg.logs_dir);
	} else {
		s->state.bad = s->logs.bad = true;
	}
	sk_config_release(&cfg);
}

static json_object *problems_json(const struct sk_problems *d)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; arr && i < d->count; i++)
		json_object_array_add(arr, sk_json_str(d->items[i].msg));
	return arr;
}

int sk_status_read(const char *root, const char *config,
		   struct json_object **doc, struct sk_problems *d)
{
	struct status s = {
		.rootfd = -1,
		.d = d,
		.state = {.fd = -1},
		.logs = {.fd = -1},
	};
	const char *state;
	json_object *o = json_object_new_object();

	*doc = NULL;
	if (!o)
		return -1;
	open_dirs(&s, root, config);
	read_state(&s);
	state = state_name(&s);
	json_object_object_add(o, "root", sk_json_str(s.root));
	add_installed(&s, o);
	json_object_object_add(o, "state",
			       state ? json_object_new_string(state) : NULL);
	json_object_object_add(o, "running", running_json(&s));
	json_object_object_add(o, "pending", pending_json(&s));
	json_object_object_add(o, "last", last_json(&s));
	json_object_object_add(o, "problems", problems_json(d));
	*doc = o;
	close_dir(&s.state);
	close_dir(&s.logs);
	if (s.rootfd >= 0)
		close(s.rootfd);
	json_object_put(s.record);
	sk_install_state_release(&s.ist);
	free(s.record_path);
	free(s.holder);
	free(s.root);
	return 0;
}
