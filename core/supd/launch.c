/* SPDX-License-Identifier: MIT */
/* launch.c - sup install --detach for a job, and its record. */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "outcome.h"
#include "record/confirm.h"
#include "report.h"
#include "slog.h"
#include "spool.h"

/* Output of sup kept for messages and the log. */
#define OUT_MAX (16 * 1024)
/* Reads of a missing or broken record (one per follow step) before the
 * job is answered with an internal error. */
#define RECORD_MISSES 20
/* sup processes let go and not yet collected. */
#define LET_GO_MAX 16

static pid_t let_go[LET_GO_MAX];

/* --- the process we start ------------------------------------------ */

/* This boot's id, malloc'd, or NULL. */
static char *boot_id(void)
{
	char buf[64];
	FILE *fp = fopen("/proc/sys/kernel/random/boot_id", "re");
	char *r = NULL;

	if (!fp)
		return NULL;
	if (fgets(buf, sizeof(buf), fp)) {
		buf[strcspn(buf, "\n")] = '\0';
		r = strdup(buf);
	}
	fclose(fp);
	return r;
}

/* Start time of pid in clock ticks after boot (field 22 of
 * /proc/PID/stat), 0 if unknown. */
static unsigned long long start_ticks(long long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	FILE *fp;
	size_t n;
	int field;

	snprintf(path, sizeof(path), "/proc/%lld/stat", pid);
	fp = fopen(path, "re");
	if (!fp)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* The command name (field 2) may hold spaces and ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	for (field = 2; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	if (field != 22 || sscanf(p, "%llu", &v) != 1)
		return 0;
	return v;
}

/* Is the sup recorded in j (started by an earlier supd) still there? */
static bool recorded_sup_alive(const struct supd_job *j)
{
	char *now = boot_id();
	bool same_boot = now && j->boot_id && strcmp(now, j->boot_id) == 0;

	free(now);
	return same_boot && j->sup_pid > 0 &&
	       start_ticks(j->sup_pid) == j->sup_start && j->sup_start != 0;
}

static void add_arg(char **argv, size_t *n, const char *s)
{
	argv[(*n)++] = (char *)s;
}

/*
 * The child: wait until the parent recorded our pid (it closes the pipe
 * without writing if it could not: then nothing runs), then exec sup.
 * Only async-signal-safe calls: libcurl may have started threads.
 */
static void child(int go_fd, int out_fd, int null_fd, const char *sup,
		  char **argv)
{
	static const char msg[] = "supd: error: cannot execute sup\n";
	sigset_t none;
	char c;

	if (read(go_fd, &c, 1) != 1)
		_exit(127);
	if (dup2(null_fd, STDIN_FILENO) < 0 ||
	    dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(out_fd, STDERR_FILENO) < 0)
		_exit(127);
	close_range(3, ~0U, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	execv(sup, argv);
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(127);
	_exit(127);
}

static int start(struct supd_ctx *ctx, struct supd_job *j)
{
	const struct supd_conf *c = ctx->conf;
	char **argv = NULL, *part = NULL, *final = NULL;
	int go[2] = { -1, -1 }, out[2] = { -1, -1 }, null_fd = -1;
	size_t n = 0;
	pid_t pid;
	int r = SUPD_STEP_RETRY;

	argv = calloc(14 + 2 * c->n_plugin_dirs, sizeof(*argv));
	if (!argv || supd_spool_paths(c, j->name, &part, &final))
		goto out;
	add_arg(argv, &n, c->sup_path);
	add_arg(argv, &n, "install");
	add_arg(argv, &n, final);
	add_arg(argv, &n, "--detach");
	add_arg(argv, &n, "--job-id");
	add_arg(argv, &n, j->id);
	add_arg(argv, &n, "--record-rejection");
	add_arg(argv, &n, "--root");
	add_arg(argv, &n, c->root);
	if (c->sup_config) {
		add_arg(argv, &n, "--config");
		add_arg(argv, &n, c->sup_config);
	}
	for (size_t i = 0; i < c->n_plugin_dirs; i++) {
		add_arg(argv, &n, "--plugin-dir");
		add_arg(argv, &n, c->plugin_dirs[i]);
	}
	argv[n] = NULL;

	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0 || pipe2(go, O_CLOEXEC) != 0 ||
	    pipe2(out, O_CLOEXEC) != 0) {
		supd_error("job '%s': cannot start '%s': %s", j->id,
			   c->sup_path, strerror(errno));
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		supd_error("job '%s': cannot start '%s': fork: %s", j->id,
			   c->sup_path, strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(go[0], out[1], null_fd, c->sup_path, argv);

	close(go[0]);
	go[0] = -1;
	close(out[1]);
	out[1] = -1;
	/* Recorded before sup may run, so that a supd restarted at any
	 * moment finds it instead of starting a second one. */
	j->sup_pid = pid;
	j->sup_start = start_ticks(pid);
	free(j->boot_id);
	j->boot_id = boot_id();
	if (supd_job_commit(j)) {
		j->sup_pid = 0;
		close(go[1]); /* the child exits without running sup */
		go[1] = -1;
		waitpid(pid, NULL, 0);
		goto out;
	}
	if (write(go[1], "g", 1) != 1) {
		supd_error("job '%s': cannot start '%s': %s", j->id,
			   c->sup_path, strerror(errno));
		close(go[1]);
		go[1] = -1;
		waitpid(pid, NULL, 0);
		goto out;
	}
	fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
	j->child_fd = out[0];
	out[0] = -1;
	j->child_pid = pid;
	j->out_len = 0;
	if (j->out)
		j->out[0] = '\0';
	supd_info("job '%s': started '%s install %s --detach' (pid %ld)",
		  j->id, c->sup_path, final, (long)pid);
	r = SUPD_STEP_WAIT;
out:
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	if (null_fd >= 0)
		close(null_fd);
	free(argv);
	free(part);
	free(final);
	return r;
}

/* Read what the child wrote so far (non-blocking). */
static void drain(struct supd_job *j)
{
	char buf[4096];
	ssize_t n;

	if (j->child_fd < 0)
		return;
	while ((n = read(j->child_fd, buf, sizeof(buf))) > 0) {
		size_t take = (size_t)n;
		char *g;

		if (take > OUT_MAX - j->out_len)
			take = OUT_MAX - j->out_len;
		if (!take)
			continue;
		g = realloc(j->out, j->out_len + take + 1);
		if (!g)
			continue;
		j->out = g;
		memcpy(j->out + j->out_len, buf, take);
		j->out_len += take;
		j->out[j->out_len] = '\0';
	}
}

/* len bytes of s as valid UTF-8 without control characters (those
 * become spaces), for a log line or an ack message; malloc'd. sup quotes
 * what it prints, but a plugin's check message may hold anything. */
static char *clean_line(const char *s, size_t len)
{
	char *u = sk_utf8_clean(s, len);

	for (char *p = u; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return u;
}

/* Forward sup's output to our log, line by line. */
static void log_output(const struct supd_job *j)
{
	const char *p = j->out;

	while (p && *p) {
		size_t len = strcspn(p, "\n");
		char *line = clean_line(p, len);

		if (line)
			supd_info("job '%s': %s", j->id, line);
		free(line);
		p += len;
		if (*p)
			p++;
	}
}

/* The first "sup: error: " line of the output without the prefix, else
 * its last line; malloc'd. */
static char *first_error(const struct supd_job *j)
{
	static const char tag[] = "sup: error: ";
	const size_t tlen = sizeof(tag) - 1;
	const char *p = j->out, *last = NULL;
	size_t last_len = 0;

	while (p && *p) {
		size_t len = strcspn(p, "\n");

		if (len > tlen && strncmp(p, tag, tlen) == 0)
			return clean_line(p + tlen, len - tlen);
		if (len) {
			last = p;
			last_len = len;
		}
		p += len;
		if (*p)
			p++;
	}
	return last ? clean_line(last, last_len) : strdup("no output");
}

/* Does the record name this job? Then sup got as far as writing it. */
static bool record_is_ours(struct supd_ctx *ctx, const struct supd_job *j,
			   bool *final)
{
	json_object *doc = NULL;
	const char *why, *id;
	bool ours = false;

	*final = false;
	if (sk_confirm_read(ctx->confirm_path, &doc, &why) == 0) {
		id = supd_record_job(doc);
		ours = id && strcmp(id, j->id) == 0;
		*final = ours && supd_record_final(doc);
	}
	json_object_put(doc);
	return ours;
}

static int sup_started(struct supd_job *j)
{
	j->sup_started = true;
	j->sup_pid = 0;
	return supd_job_commit(j) ? SUPD_STEP_RETRY : SUPD_STEP_NEXT;
}

/* The sup we started has exited with status. */
static int exited(struct supd_ctx *ctx, struct supd_job *j, int status)
{
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	char *line = NULL, how[64];
	bool ours, final;
	int r;

	drain(j);
	close(j->child_fd);
	j->child_fd = -1;
	j->child_pid = 0;
	log_output(j);
	if (code == 0)
		return sup_started(j);
	/* A rejection recorded for this job, or a run of this job that an
	 * earlier supd started: the record says the rest. */
	ours = record_is_ours(ctx, j, &final);
	if (ours && (final || code == 8))
		return sup_started(j);
	/* It ran nothing: the package is nobody's now. */
	j->sup_pid = 0;

	line = first_error(j);
	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "was killed by signal %d",
			 WTERMSIG(status));
	else
		snprintf(how, sizeof(how), "exited with code %d", code);
	switch (code) {
	case 8:
		r = supd_finish(ctx, j, SUPD_ACK_BUSY, NULL, "busy: %s",
				line ? line : "another installer is running");
		break;
	case 3:
	case 4:
	case 5:
		r = supd_finish(ctx, j, SUPD_ACK_REJECTED, NULL,
				"package '%s' rejected: %s", j->name,
				line ? line : "preflight failed");
		break;
	default:
		r = supd_finish(ctx, j, SUPD_ACK_INTERNAL, NULL,
				"'%s install' %s: %s", ctx->conf->sup_path, how,
				line ? line : "out of memory");
		break;
	}
	free(line);
	return r;
}

/* Wait for the sup we started (its preflight runs before it detaches). */
static int watch_child(struct supd_ctx *ctx, struct supd_job *j)
{
	int status;
	pid_t w;

	drain(j);
	w = waitpid(j->child_pid, &status, WNOHANG);
	if (w == 0)
		return SUPD_STEP_WAIT;
	if (w < 0) {
		/* Not ours to wait for (cannot happen): treat as gone. */
		supd_error("job '%s': cannot wait for sup (pid %d): %s", j->id,
			   j->child_pid, strerror(errno));
		status = 127 << 8;
	}
	return exited(ctx, j, status);
}

/* --- its record ------------------------------------------------------ */

static int keep_record(struct supd_job *j, json_object *doc)
{
	const char *text = json_object_to_json_string_ext(doc,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	int r;

	if (!text)
		return -ENOMEM;
	r = sk_write_file_atomic(j->record_path, text, strlen(text), 0600);
	if (r)
		supd_error("job '%s': cannot keep a copy of the record in '%s': %s",
			   j->id, j->record_path, strerror(-r));
	return r;
}

static int follow(struct supd_ctx *ctx, struct supd_job *j)
{
	json_object *doc = NULL, *params = NULL;
	const char *why, *id;
	char *msg = NULL;
	int r, code;

	r = sk_confirm_read(ctx->confirm_path, &doc, &why);
	if (r == -ENOMEM)
		return SUPD_STEP_RETRY;
	if (r) {
		/* Written atomically: missing or broken is not a moment in
		 * a rewrite; still, give it a few looks. */
		if (++j->record_misses < RECORD_MISSES)
			return SUPD_STEP_WAIT;
		return supd_finish(ctx, j, SUPD_ACK_INTERNAL, NULL,
				   "cannot read the install record '%s': %s",
				   ctx->confirm_path, why);
	}
	j->record_misses = 0;
	id = supd_record_job(doc);
	if (!id || strcmp(id, j->id) != 0) {
		r = supd_finish(ctx, j, SUPD_ACK_INTERNAL, NULL,
				"the install record '%s' now belongs to %s%s%s: the outcome of this job is unknown",
				ctx->confirm_path, id ? "job '" : "",
				id ? id : "a local install", id ? "'" : "");
		goto out;
	}
	if (!supd_record_final(doc)) {
		if (!strcmp(supd_record_result(doc), "suspended")) {
			if (!j->noted_suspend)
				supd_progress(ctx, j, "install suspended (reboot); waiting for it to resume");
			j->noted_suspend = true;
		} else {
			j->noted_suspend = false;
		}
		r = SUPD_STEP_WAIT;
		goto out;
	}
	if (keep_record(j, doc)) {
		r = SUPD_STEP_RETRY;
		goto out;
	}
	j->have_record = true;
	if (supd_record_outcome(doc, &code, &msg, &params)) {
		j->have_record = false;
		r = SUPD_STEP_RETRY;
		goto out;
	}
	r = msg ? supd_finish(ctx, j, code, params, "%s", msg) :
		  supd_finish(ctx, j, code, params, NULL);
out:
	free(msg);
	json_object_put(doc);
	return r;
}

int supd_install_step(struct supd_ctx *ctx, struct supd_job *j)
{
	bool final;

	if (j->sup_started)
		return follow(ctx, j);
	if (j->child_pid)
		return watch_child(ctx, j);
	if (j->sup_pid) {
		/* An earlier supd started sup and stopped before it saw
		 * the end of its preflight. */
		if (recorded_sup_alive(j))
			return SUPD_STEP_WAIT;
		if (record_is_ours(ctx, j, &final))
			return sup_started(j);
		supd_warn("job '%s': the sup started by an earlier supd (pid %lld) ended without a record of this job; starting it again",
			  j->id, j->sup_pid);
		j->sup_pid = 0;
	}
	return start(ctx, j);
}

void supd_install_let_go(struct supd_job *j)
{
	if (!j->child_pid)
		return;
	close(j->child_fd);
	j->child_fd = -1;
	for (size_t i = 0; i < LET_GO_MAX; i++) {
		if (!let_go[i]) {
			let_go[i] = j->child_pid;
			break;
		}
	}
	j->child_pid = 0;
}

void supd_install_reap(void)
{
	for (size_t i = 0; i < LET_GO_MAX; i++)
		if (let_go[i] && waitpid(let_go[i], NULL, WNOHANG) != 0)
			let_go[i] = 0;
}
