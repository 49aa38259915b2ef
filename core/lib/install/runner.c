/* SPDX-License-Identifier: MIT */
/* runner.c - a package installed: preflight, lock, record and state,
 * then its actions in order (the run loop, shared with resume.c). */
#include "install/run.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/rootfd.h"
#include "base/rootpath.h"
#include "base/util.h"
#include "install/host.h"
#include "install/preflight.h"
#include "install/progress.h"
#include "install/state.h"
#include "install/temps.h"
#include "package/supfile.h"
#include "record/audit.h"
#include "record/confirm.h"
#include "verify/trust.h"

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	stop_requested = sig;
}

/*
 * A configured gateway directory under the root, walked once from the
 * root's descriptor and made where it is missing (base/rootfd.h: a link
 * another user planted is refused): its host path (links resolved), and
 * its descriptor in *fd unless fd is NULL; NULL with the problem in d.
 */
static char *prepare_dir(const struct sk_env *e, const char *gw, int *fd,
			 struct sk_problems *d)
{
	char *why = NULL, *host = NULL;
	int dfd = -1;
	int r = sk_rootfd_dir_host(e->root_fd, e->root, gw, SK_RFD_MKPARENTS,
				   &dfd, &host, &why);

	if (r) {
		sk_problems_add(d,
				r == -EPERM || r == -ELOOP || r == -ENOTDIR ||
						r == -EINVAL
					? SK_PROBLEM_SETUP
					: SK_PROBLEM_SYSTEM,
				"directory '%s': %s", host ? host : gw,
				why ? why : strerror(-r));
		free(host);
		host = NULL;
	} else if (fd) {
		*fd = dfd;
	} else {
		close(dfd);
	}
	free(why);
	return host;
}

/* The topmost directory of gw under root that does not exist yet: what
 * prepare_dir() would create, from there down; NULL when none (or when
 * it cannot tell). */
static char *first_missing(const char *root, const char *gw)
{
	char *host = NULL, *top = NULL, *slash;
	const char *why;
	struct stat st;

	if (sk_root_resolve(root, gw, 0, &host, &why) != 0)
		return NULL;
	while (lstat(host, &st) != 0 && errno == ENOENT) {
		free(top);
		top = strdup(host);
		slash = strrchr(host, '/');
		if (!top || !slash || slash == host)
			break;
		*slash = '\0';
	}
	free(host);
	return top;
}

/* Remove dir and its parents up to top, which this run created, as long
 * as they are empty (another installer may have put something there
 * meanwhile: it stays). */
static void remove_made_dirs(const char *dir, const char *top)
{
	char *p = dir && top ? strdup(dir) : NULL, *slash;
	size_t top_len = top ? strlen(top) : 0;

	while (p && strlen(p) >= top_len && rmdir(p) == 0 &&
	       strlen(p) > top_len && (slash = strrchr(p, '/')) != NULL)
		*slash = '\0';
	free(p);
}

int run_write_record(struct sk_confirm *c)
{
	int r = sk_confirm_write(c);

	if (r)
		fprintf(stderr, "sup: error: cannot write '%s': %s\n", c->path,
			strerror(-r));
	return r;
}

/* The audit messages of a run that ended (its record written with result
 * succeeded, failed or rejected): appended to audit.jsonl in the logs
 * directory and sent to syslog. confirmation.json stays the record: a
 * failure here is reported and changes no exit code. */
void run_audit(struct sk_confirm *c, const char *logs)
{
	struct sk_audit a;
	int r = sk_audit_from_doc(&a, c->doc);

	if (r == 0) {
		r = sk_audit_record(&a, logs);
		sk_audit_release(&a);
	}
	if (r == -EINVAL)
		fprintf(stderr, "sup: warning: no audit log: '%s' is not a confirmation document of format %d\n",
			c->path, SK_CONFIRM_FORMAT);
	else if (r)
		fprintf(stderr, "sup: warning: cannot append to '%s/%s': %s\n",
			logs, SK_AUDIT_NAME, strerror(-r));
}

int run_take_lock(const char *state, const char *what)
{
	char *holder = NULL;
	int fd = sk_lock_take(state, what, &holder);

	if (fd == -EBUSY)
		fprintf(stderr, "sup: error: another installer is running (%s)\n",
			holder ? holder : "its pid is unknown");
	else if (fd < 0)
		fprintf(stderr, "sup: error: cannot take the installer lock in '%s': %s\n",
			state, strerror(-fd));
	free(holder);
	return fd;
}

/* STATE_DIR/temps.jsonl: the temporaries plugins noted (temps.h). */
static char *temps_path(const char *state)
{
	return sk_path_join(state, SK_TEMPS_NAME);
}

/* Remove (or, for an action that succeeded, forget) the temporaries
 * noted in the journal. */
static void settle_temps(int root_fd, const char *state, bool remove)
{
	char *path = temps_path(state);
	int r = path ? sk_temps_settle(root_fd, path, remove) : -ENOMEM;

	if (r)
		fprintf(stderr, "sup: warning: cannot settle the temporaries noted in '%s': %s\n",
			path ? path : SK_TEMPS_NAME, strerror(-r));
	free(path);
}

/*
 * Under the installer lock no installer file is being written: remove
 * what killed installers left in the state and logs directories, that is
 * the temporaries of their durable writes and the staging directories of
 * interrupted plugin calls (each call gets a fresh one anyway), and what
 * plugins noted they left next to targets (an action that was running is
 * not running now: anything it noted is garbage; it sweeps its own when
 * it runs again).
 */
void run_tidy(const char *root, const char *state, const char *logs)
{
	char *staging = sk_path_join(state, "staging");
	char *stage = sk_path_join(state, SK_STAGE_DIR_NAME);
	int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r = sk_state_sweep(state);

	if (root_fd >= 0) {
		settle_temps(root_fd, state, true);
		close(root_fd);
	}

	if (r < 0)
		fprintf(stderr, "sup: warning: cannot remove temporaries in '%s': %s\n",
			state, strerror(-r));
	r = logs ? sk_confirm_sweep(logs) : 0;
	if (r < 0)
		fprintf(stderr, "sup: warning: cannot remove temporaries in '%s': %s\n",
			logs, strerror(-r));
	r = staging ? sk_remove_tree(staging) : -ENOMEM;
	if (r && r != -ENOENT)
		fprintf(stderr, "sup: warning: cannot remove '%s': %s\n",
			staging ? staging : "staging", strerror(-r));
	/* What a run that did not finish staged: --resume stages again. */
	r = stage ? sk_remove_tree(stage) : -ENOMEM;
	if (r && r != -ENOENT)
		fprintf(stderr, "sup: warning: cannot remove '%s': %s\n",
			stage ? stage : SK_STAGE_DIR_NAME, strerror(-r));
	free(staging);
	free(stage);
}

/* The SHA-256 of the package a record names, or NULL. */
const char *run_record_sha256(const struct sk_confirm *c)
{
	json_object *pkg, *v;

	if (!c->doc || !json_object_object_get_ex(c->doc, "package", &pkg) ||
	    !json_object_object_get_ex(pkg, "sha256", &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Is c the record of a run still under way ("running" or "suspended"),
 * and, when sha256 is given, of that package? A final record is the
 * story of a run that ended, and is never rewritten. */
bool run_record_open(const struct sk_confirm *c, const char *sha256)
{
	const char *result, *sha;

	if (!c->doc)
		return false;
	result = sk_confirm_result(c);
	if (strcmp(result, "running") != 0 && strcmp(result, "suspended") != 0)
		return false;
	if (!sha256)
		return true;
	sha = run_record_sha256(c);
	return sha && strcmp(sha, sha256) == 0;
}

/* End a record that stays open: the running action failed with act_code
 * and act_msg, pending ones skipped, the run failed with code and msg. */
void run_close_record(struct sk_confirm *c, const char *act_code,
			 const char *act_msg, const char *code,
			 const char *msg)
{
	for (size_t i = 0; i < c->n; i++) {
		enum sk_action_status s = sk_confirm_status(c, i);

		if (s == SK_ST_RUNNING)
			sk_confirm_action_error(c, i, act_code, act_msg);
		else if (s == SK_ST_PENDING)
			sk_confirm_action_skip(c, i);
	}
	sk_confirm_finish(c, "failed", code, msg);
}

/*
 * No install is pending (the lock is held and there is no install.json),
 * yet the record may still say "running" or "suspended": start_install()
 * writes the first record before the install state, so an installer
 * killed between the two leaves such a record, and nothing of its run
 * was done. Such a run was never pending and cannot be resumed: close
 * its record, so that it does not claim to go on, and drop the package
 * link it may have made.
 */
void run_settle_no_state(const char *state, const char *logs, bool quiet)
{
	struct sk_confirm c;
	char *path = sk_path_join(logs, SK_CONFIRM_NAME), *msg = NULL;
	const char *why;

	sk_state_clear(state);
	if (!path)
		return;
	if (sk_confirm_load(&c, path, NULL, &why) == 0 &&
	    run_record_open(&c, NULL)) {
		msg = sk_asprintf("there is no install state in '%s': the installer stopped before it saved it, or it was removed; the run cannot be resumed",
				  state);
		run_close_record(&c, "interrupted", msg ? msg : "no install state",
			     "interrupted", msg ? msg : "no install state");
		if (run_write_record(&c) == 0) {
			run_audit(&c, logs);
			if (!quiet)
				fprintf(stderr, "sup: closed the record of a run that was never pending: %s\n",
					msg ? msg : "no install state");
		}
	}
	sk_confirm_release(&c);
	free(path);
	free(msg);
}

/* The "rejected" record of f, written under the installer lock when no
 * install is pending. */
static void write_rejection(const struct sk_env *e, const struct sk_supfile *f,
			    const struct sk_action_type **types,
			    const struct sk_install_opts *o,
			    const struct sk_problems *d, const char *logs)
{
	struct sk_confirm c;

	memset(&c, 0, sizeof(c));
	if (sk_confirm_init(&c, f, types, e->cfg.product, e->root,
			    "rejected") != 0)
		goto out;
	c.path = sk_path_join(logs, SK_CONFIRM_NAME);
	sk_confirm_job(&c, o->job_id);
	sk_confirm_problems(&c, d);
	sk_confirm_finish(&c, "rejected", "preflight_failed",
			  d->count ? d->items[0].msg : "preflight failed");
	if (c.path && run_write_record(&c) == 0)
		run_audit(&c, logs);
out:
	sk_confirm_release(&c);
}

/* Write a "rejected" record when asked to; the root is otherwise left as
 * it was. */
static void record_rejection(const struct sk_env *e, const struct sk_supfile *f,
			     const struct sk_action_type **types,
			     const struct sk_install_opts *o,
			     const struct sk_problems *d)
{
	struct sk_problems d2;
	char *logs;

	struct sk_install_state st;
	char *state = NULL;
	const char *why;
	int lock_fd = -1;

	sk_problems_init(&d2);
	logs = prepare_dir(e, e->cfg.logs_dir, NULL, &d2);
	state = logs ? prepare_dir(e, e->cfg.state_dir, NULL, &d2) : NULL;
	if (!state) {
		sk_problems_print(&d2, "sup");
		goto out;
	}
	/* confirmation.json belongs to the running or pending install, if
	 * any: the rejection is then only reported, not recorded. */
	lock_fd = run_take_lock(state, "recording a rejected package");
	if (lock_fd < 0)
		goto out;
	run_tidy(e->root, state, logs);
	if (sk_state_load(state, &st, &why) != -ENOENT) {
		fprintf(stderr, "sup: error: not recording the rejection: an install is pending ('sup install --resume')\n");
		sk_install_state_release(&st);
		goto out;
	}
	run_settle_no_state(state, logs, o->quiet);
	write_rejection(e, f, types, o, d, logs);
out:
	if (lock_fd >= 0)
		close(lock_fd);
	free(logs);
	free(state);
	sk_problems_release(&d2);
}

/* "sup: ID: failed: TEXT" with the plugin's text escaped (sk_show_text):
 * no control sequence reaches the operator's terminal. */
static void print_failed(const char *id, const char *text)
{
	char *t = sk_show_text(text, strlen(text));

	fprintf(stderr, "sup: %s: failed: %s\n", id, t ? t : "(out of memory)");
	free(t);
}

/* Who vouched for the package, before anything runs. */
static void print_signer(const struct sk_supfile *f)
{
	const struct sk_sig_result *s = &f->sig_result;

	if (s->status == SK_SIG_OK)
		fprintf(stderr, "sup: signature verified: signed by '%s' (key sha256 %s)\n",
			s->signer.subject, s->signer.key_sha256);
	else
		fprintf(stderr, "sup: signature: %s\n",
			sk_sig_status_name(s->status));
}

static void print_plan(const struct sk_supfile *f,
		       const struct sk_action_type **types)
{
	const struct sk_manifest *m = &f->manifest;

	print_signer(f);
	fprintf(stderr, "sup: preflight passed for '%s' %s: %zu action%s would run\n",
		m->name, m->version, m->n_actions, m->n_actions == 1 ? "" : "s");
	for (size_t i = 0; i < m->n_actions; i++)
		fprintf(stderr, "sup:   %zu. %s (%s, plugin %s %s)\n", i + 1,
			m->actions[i].id, m->actions[i].type,
			types[i]->plugin->desc->name,
			types[i]->plugin->desc->version);
}

/* The plugin announced a reboot: record it before it happens. */
static int on_resume(void *data, const char *reason)
{
	struct run *r = data;

	sk_confirm_action_resume_point(&r->c, r->current, reason);
	sk_confirm_suspend(&r->c, reason, r->f->manifest.actions[r->current].id);
	if (run_write_record(&r->c)) {
		/* Not durable: the plugin will not reboot; the record in
		 * memory must not say otherwise. */
		sk_confirm_unsuspend(&r->c);
		sk_confirm_action_start(&r->c, r->current);
		return -1;
	}
	r->suspended = true;
	return 0;
}

/* Run one action: execute, rollback on failure, record both. */
static void run_action(struct run *r, size_t i, struct sk_call_result *res)
{
	const struct sk_action_decl *a = &r->f->manifest.actions[i];
	const struct sk_action_type *t = r->types[i];
	struct sk_call call;
	char *staging = sk_asprintf("%s/staging/%s", r->state, a->id);
	char *temps = temps_path(r->state);
	int err;

	memset(res, 0, sizeof(*res));
	if (!staging || !temps) {
		res->code = strdup("internal");
		res->message = strdup("out of memory");
		sk_confirm_action_error(&r->c, i, "internal", "out of memory");
		free(staging);
		free(temps);
		return;
	}
	/* A staging dir left by an earlier, interrupted run is stale. */
	sk_remove_tree(staging);
	err = sk_mkdir_p(staging, 0700);
	if (err) {
		char *msg = sk_asprintf("cannot create staging directory '%s': %s",
					staging, strerror(-err));

		res->code = strdup("internal");
		res->message = msg;
		sk_confirm_action_error(&r->c, i, "internal",
					msg ? msg : "staging");
		free(staging);
		free(temps);
		return;
	}

	sk_call_init(&call, SK_PHASE_EXECUTE, r->e, r->f, i, t);
	call.staging = staging;
	call.temps = temps;
	call.stage = r->stage;
	call.quiet = r->o->quiet;
	call.on_resume = on_resume;
	call.on_resume_data = r;
	r->current = i;
	sk_call_run(&call, res);
	if (!res->ok && r->suspended) {
		/* It asked for the stop, then failed to do it. */
		sk_confirm_unsuspend(&r->c);
		r->suspended = false;
	}
	sk_confirm_action_finish(&r->c, i, res);

	if (!res->ok && t->ops.rollback) {
		struct sk_call_result rb;

		if (!r->o->quiet)
			fprintf(stderr, "sup: %s: rolling back\n", a->id);
		call.phase = SK_PHASE_ROLLBACK;
		call.on_resume = NULL;
		sk_call_run(&call, &rb);
		sk_confirm_action_rollback(&r->c, i, &rb);
		sk_call_result_release(&rb);
	}
	/* Failed (crashed, timed out): what it left next to its targets
	 * goes. Succeeded: it put everything in place. */
	settle_temps(r->e->root_fd, r->state, !res->ok);
	/* What it did not move into place is of no further use. */
	if (r->stage)
		sk_stage_drop(r->stage, i);
	sk_remove_tree(staging);
	free(staging);
	free(temps);
}

void run_set_failure(struct run *r, const char *code, char *msg)
{
	free(r->fail_code);
	free(r->fail_msg);
	r->fail_code = strdup(code);
	r->fail_msg = msg;
}

/* Skip what is left once an aborting action failed. */
void run_skip_pending(struct run *r)
{
	for (size_t i = 0; i < r->c.n; i++)
		if (sk_confirm_status(&r->c, i) == SK_ST_PENDING)
			sk_confirm_action_skip(&r->c, i);
}

int run_stage(struct run *r, const bool *skip, struct sk_problems *d)
{
	const struct sk_manifest *m = &r->f->manifest;
	bool any = false;
	int err;

	for (size_t i = 0; i < m->n_actions && !any; i++)
		any = (!skip || !skip[i]) && r->types[i] &&
		      r->types[i]->ops.stage;
	if (!any)
		return 0;
	r->stage = calloc(1, sizeof(*r->stage));
	if (!r->stage) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		return sk_problems_exit_code(d);
	}
	err = sk_stage_open(r->stage, r->state, m->n_payloads);
	if (err) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM,
				"cannot make the staging directory '%s': %s",
				r->stage->dir ? r->stage->dir : SK_STAGE_DIR_NAME,
				strerror(-err));
		return sk_problems_exit_code(d);
	}
	sk_progress_stage_begin(r, skip);
	if (sk_stage_run(r->stage, r->e, r->f, r->types, skip, d) != 0) {
		sk_progress_stage_end(false);
		if (sk_problems_empty(d))
			sk_problems_add(d, SK_PROBLEM_SYSTEM, "staging failed");
		return sk_problems_exit_code(d);
	}
	sk_progress_stage_end(true);
	return 0;
}

/* Anti-rollback: what is installed now under this package name. */
void run_record_installed_as(int state_fd, const char *state, const char *name,
			     const char *version, unsigned long long sv)
{
	const char *why;
	int err = sk_installed_record(state_fd, name, version, sv, &why);

	if (err)
		fprintf(stderr, "sup: warning: cannot record '%s' %s in '%s/%s' (anti-rollback): %s%s%s\n",
			name, version, state, SK_INSTALLED_NAME, why,
			err == -EINVAL ? "" : ": ",
			err == -EINVAL ? "" : strerror(-err));
}

static void record_installed(struct run *r)
{
	const struct sk_manifest *m = &r->f->manifest;

	run_record_installed_as(r->state_fd, r->state, m->name, m->version,
				m->security_version);
}

/* The actions still pending, in order; then the final record. */
int run_loop(struct run *r)
{
	const struct sk_manifest *m = &r->f->manifest;
	struct sigaction sa, old_int, old_term;
	int ret = SK_EXIT_SYSTEM;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	sk_progress_actions_begin(r);
	for (size_t i = 0; i < m->n_actions && !r->fail_code; i++) {
		const struct sk_action_decl *a = &m->actions[i];
		struct sk_call_result res;

		if (sk_confirm_status(&r->c, i) != SK_ST_PENDING)
			continue;
		if (stop_requested) {
			char *why = sk_asprintf("signal %d", (int)stop_requested);

			sk_confirm_suspend(&r->c, why ? why : "signal",
					   i ? m->actions[i - 1].id : NULL);
			free(why);
			r->suspended = true;
			break;
		}
		if (!r->o->quiet)
			fprintf(stderr, "sup: [%zu/%zu] %s (%s)\n", i + 1,
				m->n_actions, a->id, a->type);
		sk_confirm_action_start(&r->c, i);
		if (run_write_record(&r->c))
			goto out;
		sk_progress_action_begin(r, i);
		run_action(r, i, &res);
		sk_progress_action_end(r, i, &res);
		if (!res.ok && !r->o->quiet)
			print_failed(a->id, res.message ? res.message : "");
		if (!res.ok && a->on_error == SK_ON_ERROR_ABORT)
			run_set_failure(r, res.code ? res.code : "action_failed",
				    sk_asprintf("action '%s' failed: %s", a->id,
						res.message ? res.message : ""));
		sk_call_result_release(&res);
		if (r->fail_code)
			run_skip_pending(r);
		if (run_write_record(&r->c))
			goto out;
		if (r->suspended)
			break;
	}
	sk_progress_actions_end(r);

	if (r->suspended) {
		if (run_write_record(&r->c))
			goto out;
		if (!r->o->quiet)
			fprintf(stderr, "sup: '%s' %s suspended (%s); 'sup install --resume' continues it\n",
				m->name, m->version,
				sk_confirm_suspend_reason(&r->c));
		ret = SK_EXIT_SUSPENDED;
		goto out;
	}
	if (r->fail_code) {
		sk_confirm_finish(&r->c, "failed", r->fail_code,
				  r->fail_msg ? r->fail_msg : "out of memory");
		ret = SK_EXIT_FAILED;
	} else {
		sk_confirm_finish(&r->c, "succeeded", NULL, NULL);
		ret = SK_EXIT_OK;
	}
	if (run_write_record(&r->c)) {
		ret = SK_EXIT_SYSTEM;
		goto out;
	}
	run_audit(&r->c, r->logs);
	if (ret == SK_EXIT_OK)
		record_installed(r);
	/* The record is final: nothing is left to resume. */
	sk_state_clear(r->state);
	if (!r->o->quiet) {
		if (ret == SK_EXIT_OK)
			fprintf(stderr, "sup: installed '%s' %s; record in %s\n",
				m->name, m->version, r->c.path);
		else
		{
			/* The failure text comes from a plugin: escaped. */
			char *t = r->fail_msg ? sk_show_text(r->fail_msg,
							     strlen(r->fail_msg)) :
						NULL;

			fprintf(stderr, "sup: error: install of '%s' %s failed: %s; record in %s\n",
				m->name, m->version,
				t ? t : r->fail_msg ? "(out of memory)" : "",
				r->c.path);
			free(t);
		}
	}
	if (r->o->json)
		printf("%s\n", sk_confirm_text(&r->c));
out:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return ret;
}

/*
 * Leave the caller: a new session (so that stopping the runtime or the
 * agent that started us, or closing their terminal, does not stop the
 * install), output to the installer log. Returns in the child only; the
 * parent prints where to look and exits.
 */
int run_detach(struct run *r, int lock_fd, const char *what)
{
	char *log = sk_path_join(r->logs, "installer.log");
	pid_t pid;
	int fd;

	if (!log)
		return -ENOMEM;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		free(log);
		return -errno;
	}
	if (pid > 0) {
		sk_progress_detached(pid);
		fprintf(stderr, "sup: installing in the background (pid %ld); log %s, record %s\n",
			(long)pid, log, r->c.path);
		free(log);
		exit(SK_EXIT_OK);
	}
	sk_progress_drop();
	setsid();
	signal(SIGHUP, SIG_IGN);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY,
		  0644);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	free(log);
	if (chdir("/") != 0)
		return -errno;
	sk_lock_describe(lock_fd, what);
	fprintf(stderr, "sup: detached installer, pid %ld\n", (long)getpid());
	return 0;
}

/*
 * Keep the package for a resume: a hard link STATE_DIR/package.sup to the
 * file that was opened and verified, made from its descriptor (another
 * user could have swapped the path since), or, when the state dir is on
 * another file system, the package's real path. A compressed package
 * was read through a decompressed spool: its own descriptor is gone, and
 * it is linked by its path (a resume checks its SHA-256 either way).
 */
static char *keep_package(const struct sk_supfile *f, const char *state)
{
	char *link_path = sk_path_join(state, SK_STATE_SUP_NAME), *src;

	if (!link_path)
		return NULL;
	unlink(link_path);
	if (!f->spooled) {
		if (linkat(f->fd, "", AT_FDCWD, link_path, AT_EMPTY_PATH) == 0)
			return link_path;
		/* Without CAP_DAC_READ_SEARCH (tests as a user): /proc. */
		src = sk_asprintf("/proc/self/fd/%d", f->fd);
		if (src && linkat(AT_FDCWD, src, AT_FDCWD, link_path,
				  AT_SYMLINK_FOLLOW) == 0) {
			free(src);
			return link_path;
		}
		free(src);
	}
	src = realpath(f->path, NULL);
	if (src && !f->spooled) {
		free(link_path);
		return src;
	}
	if (src && link(src, link_path) == 0) {
		free(src);
		return link_path;
	}
	free(link_path);
	return src;
}

static int start_install(const struct sk_install_opts *o,
			 const struct sk_env *e, struct sk_trust *t,
			 struct sk_supfile *f,
			 const struct sk_action_type **types)
{
	const struct sk_manifest *m = &f->manifest;
	struct run r = {.e = e, .f = f, .types = types, .o = o, .state_fd = -1};
	struct sk_install_state st = { 0 };
	struct sk_problems d;
	char *what = NULL, *config_abs = NULL;
	char *made_logs = NULL, *made_state = NULL;
	const char *why;
	int lock_fd = -1, ret = SK_EXIT_SYSTEM, err;

	sk_problems_init(&d);
	/* A package refused by staging leaves the root as it found it, the
	 * installer's directories included. */
	made_logs = first_missing(e->root, e->cfg.logs_dir);
	made_state = first_missing(e->root, e->cfg.state_dir);
	r.logs = prepare_dir(e, e->cfg.logs_dir, NULL, &d);
	r.state = r.logs ? prepare_dir(e, e->cfg.state_dir, &r.state_fd, &d)
			 : NULL;
	what = sk_asprintf("installing '%s' %s from '%s'", m->name, m->version,
			   f->path);
	if (!r.state || !what) {
		sk_problems_print(&d, "sup");
		goto out;
	}
	lock_fd = run_take_lock(r.state, what);
	if (lock_fd < 0) {
		ret = lock_fd == -EBUSY ? SK_EXIT_BUSY : SK_EXIT_SYSTEM;
		goto out;
	}
	run_tidy(e->root, r.state, r.logs);
	err = sk_state_load(r.state, &st, &why);
	if (err != -ENOENT) {
		fprintf(stderr, "sup: error: an unfinished install is pending (%s): run 'sup install --resume' to finish it or 'sup install --abandon' to close it\n",
			err ? why : st.sup);
		ret = SK_EXIT_BUSY;
		goto out;
	}
	run_settle_no_state(r.state, r.logs, o->quiet);

	/* Anti-rollback again, now that no other install can finish: one
	 * may have since preflight read installed.json. */
	if (sk_trust_reload(t, r.state_fd, &d) == 0)
		sk_trust_check_version(t, m, o->allow_downgrade, &d);
	if (!sk_problems_empty(&d)) {
		sk_problems_print(&d, "sup");
		fprintf(stderr, "sup: error: '%s' was not installed; nothing was changed\n",
			f->path);
		ret = sk_problems_exit_code(&d);
		goto out;
	}
	/*
	 * Stage, then commit: every payload is staged or verified before
	 * the first action runs, so a bad one anywhere changes nothing. A
	 * failure here is a rejection, like one found in preflight.
	 */
	ret = run_stage(&r, NULL, &d);
	if (!ret && sk_supfile_hash_wait(f, &d) != 0)
		ret = sk_problems_exit_code(&d);
	if (ret) {
		sk_problems_print(&d, "sup");
		fprintf(stderr, "sup: error: '%s' was not installed: %zu problem%s found; %s\n",
			f->path, d.count, d.count == 1 ? "" : "s",
			o->record_rejection ? "recording the rejection" :
					      "nothing was changed");
		if (o->record_rejection) {
			write_rejection(e, f, types, o, &d, r.logs);
			goto out;
		}
		if (r.stage) {
			sk_stage_close(r.stage);
			free(r.stage);
			r.stage = NULL;
		}
		if (made_state) {
			char *lock = sk_path_join(r.state, SK_LOCK_NAME);

			if (lock)
				unlink(lock);
			free(lock);
			remove_made_dirs(r.state, made_state);
		}
		remove_made_dirs(r.logs, made_logs);
		goto out;
	}
	ret = SK_EXIT_SYSTEM;
	if (!o->quiet)
		print_signer(f);
	/* Accepted: its signing time is now a lower bound of the clock. */
	sk_trust_note_accepted(t, &f->sig_result);
	st.sup = keep_package(f, r.state);
	st.sup_sha256 = strdup(f->sha256);
	/* The bytes the signature was checked over: the file's hash comes
	 * from a child's own reads (package/filehash.c), which an owner
	 * rewriting the file could make the hash of other bytes. */
	st.manifest_sha256 = strdup(f->manifest_sha256);
	if (o->config_path) {
		config_abs = realpath(o->config_path, NULL);
		st.config = config_abs;
		config_abs = NULL;
	}
	st.product = o->product ? strdup(o->product) : NULL;
	st.job_id = o->job_id ? strdup(o->job_id) : NULL;
	st.plugin_dirs = (char **)o->plugin_dirs;
	st.n_plugin_dirs = o->n_plugin_dirs;
	if (!st.sup || !st.sup_sha256 || !st.manifest_sha256 ||
	    !f->manifest_sha256[0]) {
		fprintf(stderr, "sup: error: cannot record the package path of '%s': %s\n",
			f->path, strerror(errno));
		st.plugin_dirs = NULL;
		st.n_plugin_dirs = 0;
		sk_state_clear(r.state);
		goto out;
	}

	/*
	 * The first record before the install state: once install.json
	 * exists, the record of the same run exists, so a resume never
	 * finds a pending install without its record (it could not tell
	 * how far that one got). An installer killed between the two
	 * writes leaves a "running" record and nothing pending; no action
	 * ran, a new install may start, and the next installer to take
	 * the lock closes that record (settle_no_state).
	 */
	if (sk_confirm_init(&r.c, f, types, e->cfg.product, e->root,
			    "running") != 0 ||
	    !(r.c.path = sk_path_join(r.logs, SK_CONFIRM_NAME))) {
		fprintf(stderr, "sup: error: out of memory\n");
		st.plugin_dirs = NULL;
		st.n_plugin_dirs = 0;
		sk_state_clear(r.state);
		goto out;
	}
	sk_confirm_job(&r.c, o->job_id);
	if (run_write_record(&r.c)) {
		st.plugin_dirs = NULL;
		st.n_plugin_dirs = 0;
		sk_state_clear(r.state);
		goto out;
	}
	err = sk_state_save(r.state, &st);
	st.plugin_dirs = NULL; /* borrowed from o */
	st.n_plugin_dirs = 0;
	if (err) {
		char *msg = sk_asprintf("cannot write the install state in '%s': %s",
					r.state, strerror(-err));

		fprintf(stderr, "sup: error: %s\n", msg ? msg : "cannot write the install state");
		/* Nothing ran, and nothing is pending: say so in the record
		 * that was just written. */
		run_skip_pending(&r);
		sk_confirm_finish(&r.c, "failed", "internal",
				  msg ? msg : "cannot write the install state");
		if (run_write_record(&r.c) == 0)
			run_audit(&r.c, r.logs);
		sk_state_clear(r.state);
		free(msg);
		goto out;
	}
	if (o->detach && (err = run_detach(&r, lock_fd, what)) != 0) {
		char *msg = sk_asprintf("cannot detach the installer: %s",
					strerror(-err));

		fprintf(stderr, "sup: error: %s\n", msg ? msg : "cannot detach");
		/* Nothing ran: close the record instead of leaving a run
		 * that every later install would find pending. */
		run_skip_pending(&r);
		sk_confirm_finish(&r.c, "failed", "internal",
				  msg ? msg : "cannot detach");
		if (run_write_record(&r.c) == 0)
			sk_state_clear(r.state);
		free(msg);
		goto out;
	}
	ret = run_loop(&r);
out:
	if (r.stage) {
		sk_stage_close(r.stage);
		free(r.stage);
	}
	if (lock_fd >= 0)
		close(lock_fd);
	if (r.state_fd >= 0)
		close(r.state_fd);
	sk_install_state_release(&st);
	sk_confirm_release(&r.c);
	sk_problems_release(&d);
	free(r.logs);
	free(r.state);
	free(r.fail_code);
	free(r.fail_msg);
	free(what);
	free(config_abs);
	free(made_logs);
	free(made_state);
	return ret;
}

/* A payload whose every user stages it is left to the stage pass. */
static bool defer_to_stage(void *data, const struct sk_manifest *m, size_t p)
{
	const struct sk_env *e = data;
	bool used = false;

	for (size_t i = 0; i < m->n_actions; i++) {
		const struct sk_action_decl *a = &m->actions[i];

		for (size_t k = 0; k < a->n_payloads; k++) {
			const struct sk_action_type *t;

			if (a->payloads[k] != p)
				continue;
			t = sk_registry_find(&e->reg, a->type);
			if (!t || !t->ops.stage)
				return false;
			used = true;
		}
	}
	return used;
}

static int install(const struct sk_install_opts *o)
{
	struct sk_limits lim;
	struct sk_problems d;
	struct sk_supfile f;
	struct sk_env e;
	struct sk_trust t;
	const struct sk_action_type **types = NULL;
	bool trust_ok = false;
	char *spool = NULL; /* where a compressed package is decompressed */
	const char *why;
	int ret;

	sk_limits_default(&lim);
	sk_problems_init(&d);
	memset(&t, 0, sizeof(t));
	sk_env_open(&e, o->root, o->config_path, o->product, o->plugin_dirs,
		    o->n_plugin_dirs, &d);
	/* Without the gateway's trust policy nothing of the package is
	 * read: a configuration problem is never "trust everything". */
	if (e.root && e.config_ok)
		trust_ok = sk_trust_open(&t, &e.cfg, e.root, e.root_fd,
					 o->keyring, &d) == 0;
	if (trust_ok &&
	    sk_root_resolve(e.root, e.cfg.state_dir, 0, &spool, &why) != 0)
		spool = NULL;
	/* A dry run stages nothing: it verifies every payload here. */
	sk_progress_verify_begin();
	if (trust_ok)
		sk_supfile_open_deferred(&f, o->sup_path, &lim, &t,
					 o->quiet ? SK_SUPFILE_QUIET : 0, spool,
					 o->dry_run ? NULL : defer_to_stage, &e,
					 &d);
	else
		sk_supfile_init(&f, o->sup_path);
	sk_progress_verify_end(&f);

	if (f.manifest_ok) {
		types = calloc(f.manifest.n_actions + 1, sizeof(*types));
		if (!types)
			sk_problems_add(&d, SK_PROBLEM_SYSTEM, "out of memory");
		else if (e.root)
			sk_preflight(&e, &f, types, &d);
		if (f.verified)
			sk_trust_check_version(&t, &f.manifest,
					       o->allow_downgrade, &d);
	}

	if (!sk_problems_empty(&d)) {
		sk_problems_print(&d, "sup");
		fprintf(stderr, "sup: error: '%s' was not installed: %zu problem%s found; %s\n",
			o->sup_path, d.count, d.count == 1 ? "" : "s",
			o->record_rejection && e.root ?
				"recording the rejection" :
				"nothing was changed");
		if (o->record_rejection && e.root) {
			struct sk_problems ignored;

			/* The record names the file by its hash, which a
			 * child may still be computing. */
			sk_problems_init(&ignored);
			sk_supfile_hash_wait(&f, &ignored);
			sk_problems_release(&ignored);
			record_rejection(&e, &f, types, o, &d);
		}
		ret = sk_problems_exit_code(&d);
		goto out;
	}
	if (o->dry_run) {
		struct sk_confirm c;

		if (!o->quiet)
			print_plan(&f, types);
		if (o->json) {
			if (sk_confirm_init(&c, &f, types, e.cfg.product, e.root,
					    "dry-run") == 0)
				printf("%s\n", sk_confirm_text(&c));
			sk_confirm_release(&c);
		}
		ret = SK_EXIT_OK;
		goto out;
	}
	ret = start_install(o, &e, &t, &f, types);
out:
	free(types);
	free(spool);
	sk_trust_close(&t);
	sk_env_close(&e);
	sk_supfile_close(&f);
	sk_problems_release(&d);
	return ret;
}

int sk_install(const struct sk_install_opts *o)
{
	/* The caller (an agent, the runtime) may go away: writes to its
	 * pipes must fail, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	switch (o->mode) {
	case SK_MODE_RESUME: return run_resume(o);
	case SK_MODE_ABANDON: return run_abandon(o);
	case SK_MODE_INSTALL: break;
	}
	return install(o);
}
