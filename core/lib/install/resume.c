/* SPDX-License-Identifier: MIT */
/* resume.c - an interrupted install continued (--resume) or closed
 * (--abandon), from its state and its record. */
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
#include "verify/trust.h"

/*
 * Where the state of this gateway lives: the configuration given on the
 * command line decides, as for a new install. The state directory is
 * walked from the root once (base/rootfd.h: a link another user planted
 * is refused): *state_fd is its descriptor, or -1 when there is none (a
 * fresh root, or one that never installed: nothing can be pending there,
 * and nothing is created to say so). Returns its host path, or NULL.
 */
static char *find_state_dir(const struct sk_install_opts *o, char **root,
			    char **logs, int *state_fd)
{
	struct sk_config cfg;
	struct sk_problems d;
	const char *why;
	char *state = NULL, *why_root = NULL, *walk_why = NULL;
	int rootfd, r;

	sk_problems_init(&d);
	*logs = NULL;
	*state_fd = -1;
	r = sk_root_dir_open(o->root, &rootfd, root, &why_root);
	if (r) {
		fprintf(stderr, "sup: error: root directory '%s': %s\n",
			o->root ? o->root : "/",
			why_root && r != -ENOENT ? why_root : strerror(-r));
		free(why_root);
		return NULL;
	}
	if (sk_config_load(&cfg, o->config_path, *root, rootfd, o->product,
			   &d) == 0 &&
	    sk_root_resolve(*root, cfg.logs_dir, 0, logs, &why) == 0) {
		r = sk_rootfd_dir_host(rootfd, *root, cfg.state_dir, 0,
				       state_fd, &state, &walk_why);
		if (r && r != -ENOENT) {
			sk_problems_add(&d, SK_PROBLEM_SETUP,
					"state directory '%s': %s",
					state ? state : cfg.state_dir,
					walk_why ? walk_why : strerror(-r));
			free(state);
			state = NULL;
		}
	}
	sk_problems_print(&d, "sup");
	sk_config_release(&cfg);
	sk_problems_release(&d);
	free(walk_why);
	close(rootfd);
	return state;
}

/*
 * End a pending run that cannot go on: record why, drop the state. The
 * record closed is an open one: while install.json exists, that can only
 * be the pending run's (start_install writes it first, and a new install
 * closes or replaces any other before). The final record of an earlier
 * run is never rewritten.
 */
static int resume_failed(struct sk_confirm *c, const char *state,
			 const char *logs, const char *code, const char *msg)
{
	fprintf(stderr, "sup: error: cannot resume: %s\n", msg);
	if (run_record_open(c, NULL)) {
		run_close_record(c, "interrupted", msg, code, msg);
		if (run_write_record(c))
			return SK_EXIT_SYSTEM;
		run_audit(c, logs);
	}
	sk_state_clear(state);
	return SK_EXIT_FAILED;
}

/* Prepare the statuses of an interrupted run for continuing it. */
static void requeue(struct run *r)
{
	const struct sk_manifest *m = &r->f->manifest;

	for (size_t i = 0; i < r->c.n; i++) {
		enum sk_action_status s = sk_confirm_status(&r->c, i);

		if (s == SK_ST_RUNNING) {
			if (r->types[i]->ops.flags & SUP_ACTION_IDEMPOTENT) {
				sk_confirm_action_requeue(&r->c, i);
				continue;
			}
			sk_confirm_action_error(&r->c, i, "interrupted",
				"the installer stopped during this action; it is not idempotent, so it is not run again");
			s = SK_ST_FAILED;
		}
		if (s == SK_ST_FAILED &&
		    m->actions[i].on_error == SK_ON_ERROR_ABORT && !r->fail_code)
			run_set_failure(r, "interrupted",
				    sk_asprintf("action '%s' failed: it was interrupted",
						m->actions[i].id));
	}
	if (r->fail_code)
		run_skip_pending(r);
}

/* Is c the final record ("succeeded" or "failed") of package sha256? */
static bool record_ended(const struct sk_confirm *c, const char *sha256)
{
	const char *result = sk_confirm_result(c), *sha = run_record_sha256(c);

	return (strcmp(result, "succeeded") == 0 ||
		strcmp(result, "failed") == 0) &&
	       sha && strcmp(sha, sha256) == 0;
}

/* A string member of the record's "package" object, or NULL. */
static const char *record_package(const struct sk_confirm *c, const char *key)
{
	json_object *pkg, *v;

	if (!json_object_object_get_ex(c->doc, "package", &pkg) ||
	    !json_object_object_get_ex(pkg, key, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

/*
 * The pending run's own record is final: the run ended, and the
 * installer was stopped before it removed the install state. (With the
 * state present, a final record of this package can be no other run's:
 * a new run replaces the record before it saves its state.) Do again
 * what run_loop() does after the final record, from the record alone
 * (the package may be gone by now): the audit log (whose lines of this
 * run may then be written twice, never lost), installed.json (the same
 * values again), the removal of the state.
 */
static int resume_ended(struct sk_confirm *c, int state_fd, const char *state,
			const char *logs, bool quiet)
{
	const char *name = record_package(c, "name");
	const char *version = record_package(c, "version");
	const char *sv_text = record_package(c, "security_version");
	unsigned long long sv = 0;
	bool ok = strcmp(sk_confirm_result(c), "succeeded") == 0;

	if (!quiet)
		fprintf(stderr, "sup: the pending install of '%s' %s had ended (%s) before its install state was removed; record in %s\n",
			name ? name : "?", version ? version : "?",
			sk_confirm_result(c), c->path);
	run_audit(c, logs);
	if (ok && name && version && (!sv_text || sk_parse_u64(sv_text, &sv)))
		run_record_installed_as(state_fd, state, name, version, sv);
	sk_state_clear(state);
	return ok ? SK_EXIT_OK : SK_EXIT_FAILED;
}

int run_resume(const struct sk_install_opts *o)
{
	struct sk_limits lim;
	struct sk_problems d;
	struct sk_supfile f = { .fd = -1 };
	struct sk_env e = { 0 };
	struct sk_install_state st = { 0 };
	struct run r = {.o = o, .f = &f, .e = &e, .state_fd = -1};
	char *root = NULL, *what = NULL, *conf_path = NULL, *msg = NULL;
	const struct sk_action_type **types = NULL;
	bool *skip = NULL;
	const char *why, *reason;
	int lock_fd = -1, ret = SK_EXIT_SYSTEM, err;

	sk_limits_default(&lim);
	sk_problems_init(&d);
	r.state = find_state_dir(o, &root, &r.logs, &r.state_fd);
	if (!r.state)
		goto out;
	if (r.state_fd < 0) {
		if (!o->quiet)
			fprintf(stderr, "sup: nothing to resume\n");
		sk_progress_outcome("nothing-pending");
		ret = SK_EXIT_OK;
		goto out;
	}
	/* The lock first: a run that ends meanwhile clears its state, and
	 * its final record must then be left alone. */
	lock_fd = run_take_lock(r.state, "resuming an install");
	if (lock_fd < 0) {
		ret = lock_fd == -EBUSY ? SK_EXIT_BUSY : SK_EXIT_SYSTEM;
		goto out;
	}
	run_tidy(root, r.state, r.logs);
	err = sk_state_load(r.state, &st, &why);
	if (err == -ENOENT) {
		run_settle_no_state(r.state, r.logs, o->quiet);
		if (!o->quiet)
			fprintf(stderr, "sup: nothing to resume\n");
		sk_progress_outcome("nothing-pending");
		ret = SK_EXIT_OK;
		goto out;
	}
	conf_path = sk_path_join(r.logs, SK_CONFIRM_NAME);
	if (!conf_path)
		goto out;
	if (err) {
		msg = sk_asprintf("install state in '%s': %s", r.state, why);
		/* Only a record that loads whole is closed. */
		if (sk_confirm_load(&r.c, conf_path, NULL, &why) != 0)
			sk_confirm_release(&r.c);
		ret = resume_failed(&r.c, r.state, r.logs, "resume_failed",
				    msg ? msg : why);
		goto out;
	}
	if (sk_confirm_load(&r.c, conf_path, NULL, &why) == 0 &&
	    record_ended(&r.c, st.sup_sha256)) {
		ret = resume_ended(&r.c, r.state_fd, r.state, r.logs, o->quiet);
		goto out;
	}
	sk_confirm_release(&r.c);
	/* The package whose hash was pinned when it was accepted: its
	 * signature is not checked again (the package itself may have
	 * changed the keyring meanwhile), its bytes are. */
	sk_progress_verify_begin();
	err = sk_supfile_open(&f, st.sup, &lim, NULL, 0, r.state, &d);
	sk_progress_verify_end(&f);
	if (err != 0 ||
	    strcmp(f.sha256, st.sup_sha256) != 0 ||
	    (st.manifest_sha256 &&
	     strcmp(f.manifest_sha256, st.manifest_sha256) != 0)) {
		sk_problems_print(&d, "sup");
		msg = sk_asprintf("package '%s' is gone or changed since the install started",
				  st.sup);
		/* Only a record that loads whole is closed. */
		if (sk_confirm_load(&r.c, conf_path, NULL, &why) != 0)
			sk_confirm_release(&r.c);
		ret = resume_failed(&r.c, r.state, r.logs, "package_changed",
				    msg ? msg : "package changed");
		goto out;
	}
	if (sk_confirm_load(&r.c, conf_path, &f, &why) != 0) {
		fprintf(stderr, "sup: error: cannot resume: '%s': %s; 'sup install --abandon' closes the pending run\n",
			conf_path, why);
		goto out;
	}
	/* The record is written before the state (start_install), so a
	 * pending install always has its own record: open, or final once
	 * the run ended (resume_ended, above). Any other record (the final
	 * one of an earlier run, say) tells nothing of how far this run
	 * got: continuing from it could skip actions, or mark the package
	 * installed with none of them run. */
	if (!run_record_open(&r.c, st.sup_sha256)) {
		fprintf(stderr, "sup: error: cannot resume: '%s' is not the record of the pending install (its result is '%s', its package sha256 %s); 'sup install --abandon' closes the pending run\n",
			conf_path, sk_confirm_result(&r.c),
			run_record_sha256(&r.c) ? run_record_sha256(&r.c) : "unknown");
		goto out;
	}
	sk_env_open(&e, root, st.config, st.product,
		    (const char *const *)st.plugin_dirs, st.n_plugin_dirs, &d);
	types = calloc(f.manifest.n_actions + 1, sizeof(*types));
	if (!types)
		goto out;
	for (size_t i = 0; i < f.manifest.n_actions; i++) {
		types[i] = sk_registry_find(&e.reg, f.manifest.actions[i].type);
		if (!types[i])
			sk_problems_add(
				&d, SK_PROBLEM_SETUP,
				"action '%s': no enabled plugin handles type '%s'",
				f.manifest.actions[i].id,
				f.manifest.actions[i].type);
	}
	if (!sk_problems_empty(&d)) {
		sk_problems_print(&d, "sup");
		ret = resume_failed(&r.c, r.state, r.logs, "resume_failed",
				    d.items[0].msg);
		goto out;
	}
	r.types = types;
	reason = strcmp(sk_confirm_result(&r.c), "suspended") == 0 ?
			 sk_confirm_suspend_reason(&r.c) : NULL;
	reason = reason ? reason : "interrupted";
	if (!o->quiet)
		fprintf(stderr, "sup: resuming '%s' %s (%s)\n",
			f.manifest.name, f.manifest.version, reason);
	sk_confirm_resumed(&r.c, reason);
	requeue(&r);
	/* What the interrupted run staged went with run_tidy(): the actions
	 * left are staged again before the first of them runs. */
	skip = calloc(r.c.n + 1, sizeof(*skip));
	if (!skip)
		goto out;
	for (size_t i = 0; i < r.c.n; i++)
		skip[i] = sk_confirm_status(&r.c, i) != SK_ST_PENDING;
	if (run_stage(&r, skip, &d) != 0) {
		sk_problems_print(&d, "sup");
		ret = resume_failed(&r.c, r.state, r.logs, "resume_failed",
				    d.items[0].msg);
		goto out;
	}
	if (run_write_record(&r.c))
		goto out;
	what = sk_asprintf("resuming '%s' %s", f.manifest.name,
			   f.manifest.version);
	if (o->detach && (err = run_detach(&r, lock_fd, what ? what : "")) != 0) {
		fprintf(stderr, "sup: error: cannot detach: %s\n", strerror(-err));
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
	free(skip);
	free(types);
	sk_install_state_release(&st);
	sk_confirm_release(&r.c);
	sk_env_close(&e);
	if (f.path)
		sk_supfile_close(&f);
	sk_problems_release(&d);
	free(root);
	free(r.logs);
	free(r.state);
	free(r.fail_code);
	free(r.fail_msg);
	free(conf_path);
	free(what);
	free(msg);
	return ret;
}

int run_abandon(const struct sk_install_opts *o)
{
	struct sk_install_state st = { 0 };
	struct sk_confirm c = { 0 };
	char *root = NULL, *logs = NULL, *state, *conf_path = NULL;
	const char *why;
	int lock_fd = -1, ret = SK_EXIT_SYSTEM, err, state_fd = -1;
	bool loaded;

	state = find_state_dir(o, &root, &logs, &state_fd);
	if (!state)
		goto out;
	if (state_fd < 0) {
		if (!o->quiet)
			fprintf(stderr, "sup: no pending install to abandon\n");
		sk_progress_outcome("nothing-pending");
		ret = SK_EXIT_OK;
		goto out;
	}
	lock_fd = run_take_lock(state, "abandoning an install");
	if (lock_fd < 0) {
		ret = lock_fd == -EBUSY ? SK_EXIT_BUSY : SK_EXIT_SYSTEM;
		goto out;
	}
	run_tidy(root, state, logs);
	err = sk_state_load(state, &st, &why);
	if (err == -ENOENT) {
		run_settle_no_state(state, logs, o->quiet);
		if (!o->quiet)
			fprintf(stderr, "sup: no pending install to abandon\n");
		sk_progress_outcome("nothing-pending");
		ret = SK_EXIT_OK;
		goto out;
	}
	conf_path = sk_path_join(logs, SK_CONFIRM_NAME);
	if (!conf_path)
		goto out;
	loaded = sk_confirm_load(&c, conf_path, NULL, &why) == 0;
	if (loaded && !err && record_ended(&c, st.sup_sha256)) {
		/* Nothing to abandon: the run ended; finish its end. */
		resume_ended(&c, state_fd, state, logs, o->quiet);
		sk_progress_outcome("nothing-pending");
		ret = SK_EXIT_OK;
		goto out;
	}
	/* The open record is the pending run's (see resume_failed); the
	 * final record of an earlier run is left as it is. */
	if (loaded && run_record_open(&c, NULL)) {
		run_close_record(&c, "abandoned",
			     "the pending install was abandoned by the operator",
			     "abandoned",
			     "the pending install was abandoned by the operator");
		if (run_write_record(&c))
			goto out;
		run_audit(&c, logs);
	}
	err = sk_state_clear(state);
	if (err) {
		fprintf(stderr, "sup: error: cannot remove the install state in '%s': %s\n",
			state, strerror(-err));
		goto out;
	}
	if (!o->quiet)
		fprintf(stderr, "sup: abandoned the pending install of '%s'\n",
			st.sup ? st.sup : "(unreadable install state)");
	sk_progress_outcome("abandoned");
	ret = SK_EXIT_OK;
out:
	if (lock_fd >= 0)
		close(lock_fd);
	if (state_fd >= 0)
		close(state_fd);
	sk_install_state_release(&st);
	sk_confirm_release(&c);
	free(root);
	free(logs);
	free(state);
	free(conf_path);
	return ret;
}
