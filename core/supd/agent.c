/* SPDX-License-Identifier: MIT */
/* agent.c - the poll loop, mailbox messages and the job state machine. */
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "base/util.h"
#include "ctx.h"
#include "fetch.h"
#include "job.h"
#include "launch.h"
#include "report.h"
#include "slog.h"
#include "spool.h"
#include "tr50/tr50.h"

#define UPDATE_METHOD "gateway.sup.update"
/* How often a job waiting for sup looks again. */
#define WAIT_MS 250
/* First delay of a job step that failed; doubles up to max_backoff_s. */
#define JOB_RETRY_BASE_S 1
/* --once gives up after this many failed polls in a row. */
#define ONCE_POLL_TRIES 5
/* Longest job timeout a message may ask for: 30 days. */
#define TIMEOUT_MAX (30LL * 86400)
/* Jobs that are done are forgotten after 30 days: by then the portal
 * does not deliver their message again. */
#define DONE_KEEP_S (30LL * 86400)

struct agent {
	struct supd_ctx ctx;
	struct supd_job **jobs; /* not done; at most one not yet reporting */
	size_t n_jobs;
	unsigned poll_failures;
	long long next_poll; /* monotonic ms */
	bool polled; /* a mailbox.check succeeded, or --once gave up */
	bool once;
};

/* --- the job list ---------------------------------------------------- */

static struct supd_job *find_job(struct agent *a, const char *id)
{
	for (size_t i = 0; i < a->n_jobs; i++)
		if (strcmp(a->jobs[i]->id, id) == 0)
			return a->jobs[i];
	return NULL;
}

/* The job that holds the gateway: accepted as an install, not done. */
static struct supd_job *install_job(struct agent *a)
{
	for (size_t i = 0; i < a->n_jobs; i++)
		if (a->jobs[i]->name && a->jobs[i]->phase != SUPD_PH_DONE)
			return a->jobs[i];
	return NULL;
}

static int add_job(struct agent *a, struct supd_job *j)
{
	struct supd_job **g = realloc(a->jobs, (a->n_jobs + 1) * sizeof(*g));

	if (!g)
		return -ENOMEM;
	a->jobs = g;
	a->jobs[a->n_jobs++] = j;
	j->next_ms = sk_now_ms();
	return 0;
}

static void drop_done(struct agent *a)
{
	size_t o = 0;

	for (size_t i = 0; i < a->n_jobs; i++) {
		if (a->jobs[i]->phase == SUPD_PH_DONE)
			supd_job_free(a->jobs[i]);
		else
			a->jobs[o++] = a->jobs[i];
	}
	a->n_jobs = o;
}

/* --- messages -------------------------------------------------------- */

/* A string member without NUL bytes, or NULL. */
static const char *str_member(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) !=
		    (size_t)json_object_get_string_len(v))
		return NULL;
	return json_object_get_string(v);
}

/* params.timeout: absent or null is none (0); an integer, or a string of
 * digits, of seconds up to TIMEOUT_MAX. */
static bool get_timeout(json_object *p, long long *out)
{
	json_object *v;
	unsigned long long u;

	*out = 0;
	if (!json_object_object_get_ex(p, "timeout", &v) || !v)
		return true;
	if (json_object_is_type(v, json_type_int)) {
		errno = 0;
		*out = json_object_get_int64(v);
		return errno == 0 && *out >= 0 && *out <= TIMEOUT_MAX;
	}
	if (json_object_is_type(v, json_type_double)) {
		double x = json_object_get_double(v);

		if (!(x >= 0 && x <= (double)TIMEOUT_MAX) || x != (long long)x)
			return false;
		*out = (long long)x;
		return true;
	}
	if (json_object_is_type(v, json_type_string) &&
	    sk_parse_u64(json_object_get_string(v), &u) && u <= TIMEOUT_MAX) {
		*out = (long long)u;
		return true;
	}
	return false;
}

/*
 * What the message asks: 0 with *params (borrowed) the parameters of a
 * gateway.sup.update, else an ack code with *why (malloc'd).
 */
static int classify(json_object *m, json_object **params, char **why)
{
	char buf[SK_SHOW_MAX];
	const char *cmd, *method;
	json_object *p = NULL, *inner = NULL;

	*params = NULL;
	*why = NULL;
	cmd = str_member(m, "command");
	if (!cmd) {
		*why = strdup("the message has no command");
		return SUPD_ACK_BAD_REQUEST;
	}
	if (json_object_object_get_ex(m, "params", &p) && p &&
	    !json_object_is_type(p, json_type_object)) {
		*why = strdup("the message's params is not an object");
		return SUPD_ACK_BAD_REQUEST;
	}
	if (strcmp(cmd, "method.exec") == 0) {
		method = p ? str_member(p, "method") : NULL;
		if (!method) {
			*why = strdup("method.exec without a method");
			return SUPD_ACK_BAD_REQUEST;
		}
		if (strcmp(method, UPDATE_METHOD) != 0) {
			*why = sk_asprintf("unsupported method '%s'",
				sk_show(method, strlen(method), buf));
			return SUPD_ACK_BAD_REQUEST;
		}
		if (json_object_object_get_ex(p, "params", &inner) && inner &&
		    !json_object_is_type(inner, json_type_object)) {
			*why = strdup("the params of method gateway.sup.update is not an object");
			return SUPD_ACK_BAD_REQUEST;
		}
	} else if (strcmp(cmd, UPDATE_METHOD) == 0) {
		inner = p;
	} else {
		*why = sk_asprintf("unsupported method '%s'",
				   sk_show(cmd, strlen(cmd), buf));
		return SUPD_ACK_BAD_REQUEST;
	}
	*params = inner;
	return 0;
}

/* Check name and timeout of an update into j; an ack code and *why when
 * they are not usable. */
static int take_update(struct supd_job *j, json_object *p, char **why)
{
	char buf[SK_SHOW_MAX];
	const char *name = p ? str_member(p, "name") : NULL;

	*why = NULL;
	if (!name) {
		*why = strdup("params.name (the package file) is missing or not a string");
		return SUPD_ACK_BAD_REQUEST;
	}
	if (!supd_spool_name_valid(name)) {
		*why = sk_asprintf("params.name '%s' is not a package file name (1-200 characters of A-Z a-z 0-9 . _ + -, not starting with '.')",
				   sk_show(name, strlen(name), buf));
		return SUPD_ACK_BAD_REQUEST;
	}
	if (!get_timeout(p, &j->timeout_s)) {
		*why = sk_asprintf("params.timeout is not a number of seconds from 0 to %lld",
				   TIMEOUT_MAX);
		return SUPD_ACK_BAD_REQUEST;
	}
	j->name = strdup(name);
	return j->name ? 0 : SUPD_ACK_INTERNAL;
}

/* An answer given at once (bad request, busy). */
static void answer_now(struct agent *a, struct supd_job *j, int code,
		       const char *name, const char *why)
{
	json_object *params = json_object_new_object();

	if (params && name)
		json_object_object_add(params, "file",
				       json_object_new_string(name));
	supd_finish(&a->ctx, j, code, params, "%s", why ? why : "out of memory");
}

static void handle_message(struct agent *a, json_object *m)
{
	struct supd_job *j = NULL, *busy;
	json_object *params;
	char buf[SK_SHOW_MAX], *file = NULL, *why = NULL;
	const char *id, *reason;
	int code, r;

	if (!json_object_is_type(m, json_type_object)) {
		supd_warn("mailbox.check: a message that is not an object was ignored");
		return;
	}
	id = str_member(m, "id");
	if (!id || supd_job_file(id, &file) != 0) {
		supd_warn("mailbox.check: a message without a usable id (1-%d printable ASCII characters) was ignored: it cannot be acked",
			  SUPD_ID_MAX);
		return;
	}
	if (find_job(a, id))
		goto out; /* in progress: the portal sent it again */
	r = supd_job_load(a->ctx.supd_dir, file, &j, &reason);
	if (r == 0 && j->phase == SUPD_PH_DONE)
		goto out; /* answered before: never again */
	if (r == 0) {
		/* Recorded, but dropped from memory by an allocation
		 * failure: take it up again. */
		if (add_job(a, j) == 0)
			j = NULL;
		goto out;
	}
	if (r != -ENOENT) {
		supd_error("message '%s' ignored: its job state in '%s/%s/%s' is unreadable: %s",
			   sk_show(id, strlen(id), buf), a->ctx.supd_dir,
			   SUPD_JOBS, file, reason);
		goto out;
	}
	j = supd_job_new(a->ctx.supd_dir, id);
	if (!j) {
		supd_error("message '%s': out of memory",
			   sk_show(id, strlen(id), buf));
		goto out;
	}
	code = classify(m, &params, &why);
	if (code == 0) {
		code = take_update(j, params, &why);
		busy = code == 0 ? install_job(a) : NULL;
		if (busy) {
			free(why);
			why = sk_asprintf("busy: job '%s' for '%s' is %s",
					  busy->id, busy->name,
					  supd_phase_name(busy->phase));
			code = SUPD_ACK_BUSY;
			free(j->name);
			j->name = NULL;
			answer_now(a, j, code, json_object_get_string(
				json_object_object_get(params, "name")), why);
		} else if (code) {
			answer_now(a, j, code, NULL, why);
		} else if (supd_job_commit(j)) {
			/* Not recorded: not started; the portal sends the
			 * message again. */
			supd_job_free(j);
			j = NULL;
			goto out;
		} else {
			supd_info("job '%s': %s of '%s' received (timeout %lld s)",
				  j->id, UPDATE_METHOD, j->name, j->timeout_s);
		}
	} else {
		answer_now(a, j, code, NULL, why);
	}
	if (add_job(a, j) == 0)
		j = NULL;
out:
	supd_job_free(j);
	free(file);
	free(why);
}

static int poll_mailbox(struct agent *a)
{
	struct supd_tr50_err err = { 0 };
	json_object *msgs = NULL;
	int r;

	r = supd_tr50_mailbox_check(a->ctx.tr50,
				  (int)a->ctx.conf->mailbox_limit, &msgs, &err);
	if (r != SUPD_TR50_OK) {
		supd_warn("%s", err.message ? err.message : "mailbox.check failed");
		supd_tr50_err_release(&err);
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(msgs); i++)
		handle_message(a, json_object_array_get_idx(msgs, i));
	json_object_put(msgs);
	return 0;
}

/* --- steps ------------------------------------------------------------ */

static bool timed_out(struct supd_job *j)
{
	return j->timeout_s > 0 && j->phase < SUPD_PH_REPORTING &&
	       supd_job_elapsed_s(j) >= j->timeout_s;
}

static int time_out(struct agent *a, struct supd_job *j)
{
	static const char *const doing[] = {
		[SUPD_PH_RECEIVED] = "starting",
		[SUPD_PH_DOWNLOADING] = "downloading",
		[SUPD_PH_INSTALLING] = "installing",
	};
	bool running = j->phase == SUPD_PH_INSTALLING &&
		       (j->sup_started || j->sup_pid);

	supd_install_let_go(j);
	return supd_finish(&a->ctx, j, SUPD_ACK_TIMEOUT, NULL,
			   "job timed out after %lld s while %s '%s'%s",
			   j->timeout_s, doing[j->phase], j->name,
			   running ? "; the install goes on, its record is confirmation.json in the logs directory" : "");
}

static void step_job(struct agent *a, struct supd_job *j)
{
	long long now;
	int r;

	if (timed_out(j)) {
		r = time_out(a, j);
	} else {
		switch (j->phase) {
		case SUPD_PH_RECEIVED:
			r = supd_fetch_start(&a->ctx, j);
			break;
		case SUPD_PH_DOWNLOADING:
			r = supd_fetch_step(&a->ctx, j);
			break;
		case SUPD_PH_INSTALLING:
			r = supd_install_step(&a->ctx, j);
			break;
		case SUPD_PH_REPORTING:
			r = supd_report_step(&a->ctx, j);
			break;
		default:
			return;
		}
	}
	now = sk_now_ms();
	if (r == SUPD_STEP_RETRY) {
		j->retries++;
		j->next_ms = now + supd_backoff_ms(JOB_RETRY_BASE_S, j->retries,
						   a->ctx.conf->max_backoff_s);
	} else {
		j->retries = 0;
		j->next_ms = r == SUPD_STEP_WAIT ? now + WAIT_MS : now;
	}
}

/* --- setup ------------------------------------------------------------ */

/*
 * Create a directory supd writes as root, and make sure nobody else can
 * write it: whoever could would plant a symbolic link where a download
 * or a job file is about to be written.
 */
static int make_dir(const char *path)
{
	struct stat st;
	int r = sk_mkdir_p(path, 0700);

	if (r) {
		supd_error("cannot create directory '%s': %s", path,
			   strerror(-r));
		return r;
	}
	if (lstat(path, &st) != 0) {
		supd_error("cannot stat directory '%s': %s", path,
			   strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		supd_error("'%s' is not a directory", path);
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		supd_error("directory '%s' is owned by uid %u, neither root nor the user supd runs as",
			   path, (unsigned)st.st_uid);
		return -1;
	}
	if (st.st_mode & 022) {
		supd_error("directory '%s' is writable by others (mode %04o): use a directory only its owner can write",
			   path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* A job file that does not parse: its message is answered as an internal
 * error rather than run a second time. The file is kept aside. */
static struct supd_job *salvage(struct agent *a, const char *file,
				const char *why)
{
	char *id = supd_job_id_of(file);
	struct supd_job *j = id ? supd_job_new(a->ctx.supd_dir, id) : NULL;
	char *aside = j ? sk_asprintf("%s.corrupt", j->path) : NULL;

	if (!aside || rename(j->path, aside) != 0) {
		supd_error("job file '%s/%s/%s' is unreadable (%s) and cannot be set aside",
			   a->ctx.supd_dir, SUPD_JOBS, file, why);
		supd_job_free(j);
		j = NULL;
	} else {
		supd_error("job file '%s' is unreadable (%s): kept as '%s'; its message is answered with an internal error",
			   j->path, why, aside);
		supd_finish(&a->ctx, j, SUPD_ACK_INTERNAL, NULL,
			    "supd lost the state of this job (%s): its outcome is unknown",
			    why);
	}
	free(id);
	free(aside);
	return j;
}

/* Jobs that were not done when supd last stopped; prune old done ones. */
static int load_jobs(struct agent *a)
{
	char *dir = sk_path_join(a->ctx.supd_dir, SUPD_JOBS);
	long long now = (long long)time(NULL);
	struct dirent *de;
	DIR *d = dir ? opendir(dir) : NULL;
	int ret = -1;

	if (!d) {
		supd_error("cannot read directory '%s': %s", dir ? dir : "",
			   strerror(errno));
		goto out;
	}
	while ((de = readdir(d))) {
		struct supd_job *j = NULL;
		const char *why;
		int r;

		if (!supd_job_is_file(de->d_name))
			continue;
		r = supd_job_load(a->ctx.supd_dir, de->d_name, &j, &why);
		if (r == -ENOMEM)
			goto out;
		if (r == -ENOENT)
			continue;
		if (r) {
			j = salvage(a, de->d_name, why);
		} else if (j->phase == SUPD_PH_DONE) {
			if (now - j->finished > DONE_KEEP_S) {
				unlink(j->path);
				unlink(j->record_path);
			}
			supd_job_free(j);
			continue;
		} else {
			supd_info("job '%s': continuing in phase %s", j->id,
				  supd_phase_name(j->phase));
		}
		if (j && add_job(a, j) != 0) {
			supd_job_free(j);
			goto out;
		}
	}
	ret = 0;
out:
	if (d)
		closedir(d);
	free(dir);
	return ret;
}

static int setup(struct agent *a, const struct supd_conf *conf)
{
	struct supd_tr50_opts o = {
		.endpoint = conf->endpoint,
		.app_id = conf->app_id,
		.app_token = conf->app_token,
		.thing_key = conf->thing_key,
		.ca_bundle = conf->ca_bundle,
		.insecure = conf->insecure,
		/* SIGTERM must not wait for a large download to end. */
		.cancel = a->ctx.stop,
	};
	struct supd_tr50_err err = { 0 };
	char *jobs = NULL, *records = NULL;
	int r;

	a->ctx.conf = conf;
	a->ctx.supd_dir = sk_path_join(conf->state_dir, SUPD_SUBDIR);
	a->ctx.confirm_path = sk_path_join(conf->logs_dir, "confirmation.json");
	if (a->ctx.supd_dir) {
		jobs = sk_path_join(a->ctx.supd_dir, SUPD_JOBS);
		records = sk_path_join(a->ctx.supd_dir, SUPD_RECORDS);
	}
	r = -1;
	if (!jobs || !records || !a->ctx.confirm_path) {
		supd_error("out of memory");
		goto out;
	}
	if (make_dir(jobs) || make_dir(records) ||
	    make_dir(conf->download_dir))
		goto out;
	if (supd_tr50_new(&a->ctx.tr50, &o, &err) != SUPD_TR50_OK) {
		supd_error("cannot set up the portal client for '%s': %s",
			   conf->endpoint, err.message ? err.message : "");
		goto out;
	}
	r = load_jobs(a);
out:
	supd_tr50_err_release(&err);
	free(jobs);
	free(records);
	return r;
}

/* A mailbox check, and when the next one is due. Returns true when
 * --once gives up on the mailbox (the jobs of earlier runs still finish,
 * then supd exits 1). */
static bool poll_step(struct agent *a)
{
	const struct supd_conf *c = a->ctx.conf;
	long long now = sk_now_ms();

	if (poll_mailbox(a) == 0) {
		a->poll_failures = 0;
		a->polled = true;
		a->next_poll = now + (long long)c->poll_interval_s * 1000;
		return false;
	}
	a->poll_failures++;
	a->next_poll = now + supd_backoff_ms(c->poll_interval_s,
					     a->poll_failures,
					     c->max_backoff_s);
	if (a->once && a->poll_failures >= ONCE_POLL_TRIES) {
		supd_error("--once: the mailbox could not be checked %d times in a row",
			   ONCE_POLL_TRIES);
		a->polled = true;
		return true;
	}
	supd_info("next mailbox check in %lld ms", a->next_poll - now);
	return false;
}

/*
 * Sleep until the earliest thing to do, in one wait: no wake-up between
 * polls. The stop signals are blocked while the flag is checked and let
 * in only by ppoll() itself, so one that comes just before the wait ends
 * it at once instead of being noticed at the next poll.
 */
static void nap(struct agent *a)
{
	long long until = a->once && a->polled ? -1 : a->next_poll, now;
	sigset_t stops, old;

	for (size_t i = 0; i < a->n_jobs; i++)
		if (until < 0 || a->jobs[i]->next_ms < until)
			until = a->jobs[i]->next_ms;
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGHUP);
	sigprocmask(SIG_BLOCK, &stops, &old);
	while (!*a->ctx.stop && (now = sk_now_ms()) < until) {
		long long ms = until - now;
		struct timespec ts = { (time_t)(ms / 1000),
				       (long)(ms % 1000) * 1000000L };

		ppoll(NULL, 0, &ts, &old);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int supd_agent_run(const struct supd_conf *conf, bool once,
		   volatile sig_atomic_t *stop)
{
	struct agent a = { .once = once };
	bool failed = false;
	int ret = SUPD_EXIT_FAILURE;

	a.ctx.stop = stop;
	if (setup(&a, conf))
		goto out;
	supd_info("portal %s, thing '%s', mailbox checked every %llu s%s",
		  conf->endpoint, conf->thing_key, conf->poll_interval_s,
		  once ? " (once)" : "");
	a.next_poll = sk_now_ms();
	while (!*stop) {
		supd_install_reap();
		if (!(once && a.polled) && sk_now_ms() >= a.next_poll &&
		    poll_step(&a))
			failed = true;
		for (size_t i = 0; i < a.n_jobs && !*stop; i++)
			if (sk_now_ms() >= a.jobs[i]->next_ms)
				step_job(&a, a.jobs[i]);
		drop_done(&a);
		if (once && a.polled && a.n_jobs == 0) {
			ret = failed ? SUPD_EXIT_FAILURE : SUPD_EXIT_OK;
			goto out;
		}
		nap(&a);
	}
	supd_info("stopping on signal %d", (int)*stop);
	ret = SUPD_EXIT_OK;
out:
	for (size_t i = 0; i < a.n_jobs; i++)
		supd_job_free(a.jobs[i]);
	free(a.jobs);
	supd_tr50_free(a.ctx.tr50);
	free(a.ctx.supd_dir);
	free(a.ctx.confirm_path);
	return ret;
}
