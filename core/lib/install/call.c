/* SPDX-License-Identifier: MIT */
/* call.c - one plugin call: fork a child that runs the plugin (host.c),
 * read its messages, enforce the timeout, and turn how it ended into a
 * result. */
#include "install/host.h"
#include "install/progress.h"
#include "install/stage.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/meter.h"
#include "base/util.h"

/* One message line from a child is at most this long (host.c cuts
 * plugins' texts well below it). */
#define SK_LINE_MAX (64 * 1024)
#define SK_KILL_GRACE_MS 5000
/* A check reports every failure it records, up to this many. */
#define SK_CHECK_FAILS_MAX 32

struct supervise {
	const struct sk_call *calls; /* all of them, n */
	struct sk_call_result *results;
	size_t n;
	size_t cur; /* the call running: call and res */
	const struct sk_call *call;
	struct sk_call_result *res;
	long long start, deadline; /* of cur, on our clock */
	char *line;
	size_t line_len;
	bool overlong;
	bool done_seen;
	bool done_ok;
	int ack_fd; /* write end of the answer pipe */
	char *tail; /* SK_OUTPUT_TAIL ring, linearised on demand */
	size_t tail_len;
	int last_pct;
	size_t n_fails; /* failures the plugin recorded */
};

static void tail_add(struct supervise *s, const char *d, size_t n)
{
	if (n >= SK_OUTPUT_TAIL) {
		memcpy(s->tail, d + n - SK_OUTPUT_TAIL, SK_OUTPUT_TAIL);
		s->tail_len = SK_OUTPUT_TAIL;
		return;
	}
	if (s->tail_len + n > SK_OUTPUT_TAIL) {
		size_t drop = s->tail_len + n - SK_OUTPUT_TAIL;

		memmove(s->tail, s->tail + drop, s->tail_len - drop);
		s->tail_len -= drop;
	}
	memcpy(s->tail + s->tail_len, d, n);
	s->tail_len += n;
}

static void set_error(struct sk_call_result *r, const char *code,
		      const char *msg)
{
	if (r->code)
		return; /* the first failure is the one that counts */
	r->code = strdup(code);
	r->message = strdup(msg);
}

/* A check reports all its problems at once (docs/plugin-sdk.md): a later
 * failure is added to the message, "FIRST; SECOND", up to
 * SK_CHECK_FAILS_MAX of them, then "; and more" once. */
static void add_check_failure(struct supervise *s, const char *msg)
{
	struct sk_call_result *r = s->res;
	char *joined;

	if (!r->message)
		return;
	if (s->n_fails <= SK_CHECK_FAILS_MAX)
		joined = sk_asprintf("%s; %s", r->message, msg);
	else if (s->n_fails == SK_CHECK_FAILS_MAX + 1)
		joined = sk_asprintf("%s; and more", r->message);
	else
		return;
	if (joined) {
		free(r->message);
		r->message = joined;
	}
}

/* Print a line of plugin text: anything but UTF-8 text is escaped
 * (sk_show_text), so a parameter value cannot drive the terminal. */
static void print_plugin_text(const char *id, const char *plugin,
			      const char *what, const char *text)
{
	char *shown = sk_show_text(text, strlen(text));
	char fallback[SK_SHOW_MAX];

	sk_progress_hide();
	fprintf(stderr, "sup: %s: %s: %s: %s\n", id, plugin, what,
		shown ? shown : sk_show(text, strlen(text), fallback));
	free(shown);
}

/* A string member of a message from the child, or dflt. */
static const char *member_text(json_object *o, const char *key,
			       const char *dflt)
{
	json_object *v;

	if (json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return dflt;
}

static void handle_line(struct supervise *s, const char *line, size_t len)
{
	json_object *o = json_tokener_parse(line), *v;
	const char *t;
	const char *id = s->call->action->id;
	const char *plugin = s->call->type->plugin->desc->name;

	(void)len;
	if (!o || !json_object_object_get_ex(o, "t", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		json_object_put(o);
		return;
	}
	t = json_object_get_string(v);
	if (strcmp(t, "log") == 0) {
		json_object *l;
		int level = json_object_object_get_ex(o, "l", &l) ?
				    json_object_get_int(l) : SUP_LOG_INFO;
		static const char *const names[] = { "error", "warning",
						     "info", "debug" };

		if (!s->call->quiet && level <= SUP_LOG_INFO && level >= 0)
			print_plugin_text(id, plugin, names[level],
					  member_text(o, "m", ""));
	} else if (strcmp(t, "fail") == 0) {
		const char *m = member_text(o, "m", "failure");

		s->n_fails++;
		if (s->res->code && s->call->phase == SK_PHASE_CHECK)
			add_check_failure(s, m);
		else if (s->res->code && !s->call->quiet)
			print_plugin_text(id, plugin, "error", m);
		set_error(s->res, member_text(o, "c", "action_failed"), m);
	} else if (strcmp(t, "output") == 0 &&
		   json_object_object_get_ex(o, "d", &v) &&
		   json_object_is_type(v, json_type_string)) {
		tail_add(s, json_object_get_string(v),
			 (size_t)json_object_get_string_len(v));
	} else if (strcmp(t, "progress") == 0 &&
		   json_object_object_get_ex(o, "p", &v)) {
		int pct = json_object_get_int(v);

		/* On a terminal, the live line shows it (progress.h). */
		if (!sk_progress_action_percent(pct) && !s->call->quiet &&
		    pct / 25 != s->last_pct / 25)
			fprintf(stderr, "sup: %s: %d%%\n", id, pct);
		s->last_pct = pct;
	} else if (strcmp(t, "resume") == 0) {
		const char *reason = member_text(o, "r", "restart");
		int ok = s->call->phase == SK_PHASE_EXECUTE &&
			 s->call->on_resume && !s->res->resume_reason &&
			 s->call->on_resume(s->call->on_resume_data, reason) == 0;

		if (ok)
			s->res->resume_reason = strdup(reason);
		(void)sk_write_all(s->ack_fd, ok ? "1" : "0", 1);
	} else if (strcmp(t, "staged") == 0 &&
		   s->call->phase == SK_PHASE_STAGE && s->call->stage) {
		json_object *dv, *iv;

		/* Not kept (out of memory): execute() finds nothing staged
		 * and streams the payload, verified again. */
		if (json_object_object_get_ex(o, "d", &dv) &&
		    json_object_object_get_ex(o, "i", &iv))
			(void)sk_stage_add(s->call->stage,
					   s->call->action_index,
					   member_text(o, "p", ""),
					   member_text(o, "n", ""),
					   (dev_t)json_object_get_int64(dv),
					   (ino_t)json_object_get_int64(iv));
	} else if (strcmp(t, "verified") == 0 &&
		   s->call->phase == SK_PHASE_STAGE && s->call->stage &&
		   json_object_object_get_ex(o, "i", &v)) {
		sk_stage_verified(s->call->stage,
				  (size_t)json_object_get_int64(v));
	} else if (strcmp(t, "done") == 0 &&
		   json_object_object_get_ex(o, "ok", &v)) {
		s->done_seen = true;
		s->done_ok = json_object_get_boolean(v);
	}
	json_object_put(o);
}

static char *output_tail(const char *tail, size_t len);

/* Call k starts: its result, clock and per-call state from scratch. */
static void begin(struct supervise *s, size_t k)
{
	s->cur = k;
	s->call = &s->calls[k];
	s->res = &s->results[k];
	memset(s->res, 0, sizeof(*s->res));
	s->start = sk_now_ms();
	s->deadline = s->start + (long long)s->call->timeout_s * 1000;
	s->done_seen = false;
	s->done_ok = false;
	s->tail_len = 0;
	s->last_pct = 0;
	s->n_fails = 0;
}

/* The result of call cur: from its result line, or, when the child ended
 * (status) or its time ran out (timed_out) first, from that. */
static void finish(struct supervise *s, bool timed_out, int status)
{
	struct sk_call_result *res = s->res;
	const struct sk_call *call = s->call;
	const char *plugin = call->type->plugin->desc->name;
	char *msg;

	res->duration_ms = sk_now_ms() - s->start;
	/* What the caller prints next starts on a clean line. */
	sk_progress_hide();
	/* A plugin that gave up at the same deadline as ours (time_left_ms)
	 * may exit just before we look: its failure is still the timeout. */
	if (!timed_out && sk_now_ms() >= s->deadline &&
	    !(s->done_seen && s->done_ok && !res->code))
		timed_out = true;

	if (timed_out) {
		msg = sk_asprintf(
			"plugin '%s' timed out after %lu s %s action '%s'",
			plugin, call->timeout_s, sk_phase_name(call->phase),
			call->action->id);
		free(res->code);
		free(res->message);
		res->code = NULL;
		set_error(res, "timeout", msg ? msg : "timed out");
		free(msg);
	} else if (WIFSIGNALED(status)) {
		msg = sk_asprintf(
			"plugin '%s' crashed %s action '%s': %s (signal %d)",
			plugin, sk_phase_name(call->phase), call->action->id,
			strsignal(WTERMSIG(status)), WTERMSIG(status));
		free(res->code);
		free(res->message);
		res->code = NULL;
		set_error(res, "plugin_crashed", msg ? msg : "crashed");
		free(msg);
	} else if (!s->done_seen) {
		msg = sk_asprintf(
			"plugin '%s' exited with status %d without a result %s action '%s'",
			plugin, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			sk_phase_name(call->phase), call->action->id);
		set_error(res, "no_result", msg ? msg : "no result");
		free(msg);
	} else if (!s->done_ok && !res->code) {
		set_error(res, "action_failed",
			  "the plugin reported a failure");
	}
	res->ok = !timed_out && s->done_seen && s->done_ok && !res->code;
	if (s->tail_len)
		res->output = output_tail(s->tail, s->tail_len);
}

static void feed(struct supervise *s, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			if (!s->overlong) {
				s->line[s->line_len] = '\0';
				handle_line(s, s->line, s->line_len);
				/* The lines after a result are the next
				 * call's; the last one ends with the child. */
				if (s->done_seen && s->cur + 1 < s->n) {
					finish(s, false, 0);
					begin(s, s->cur + 1);
				}
			}
			s->line_len = 0;
			s->overlong = false;
			continue;
		}
		if (s->line_len + 1 >= SK_LINE_MAX) {
			s->overlong = true;
			continue;
		}
		s->line[s->line_len++] = buf[i];
	}
}

/* Read what is there; returns false at end of file. */
static bool drain(struct supervise *s, int fd)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n > 0) {
			feed(s, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && errno == EAGAIN;
	}
}

static void kill_group(pid_t pid, int *status)
{
	long long until = sk_now_ms() + SK_KILL_GRACE_MS;

	kill(-pid, SIGTERM);
	kill(pid, SIGTERM);
	while (sk_now_ms() < until) {
		if (waitpid(pid, status, WNOHANG) == pid) {
			kill(-pid, SIGKILL); /* leftovers of the group */
			return;
		}
		usleep(20000);
	}
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
}

/* The captured tail as UTF-8 of at most SK_OUTPUT_TAIL bytes, starting at
 * a character boundary. */
static char *output_tail(const char *tail, size_t len)
{
	char *out;
	size_t n, start = 0;

	/* A character cut by the ring: drop its continuation bytes. */
	while (start < len && start < 3 &&
	       ((unsigned char)tail[start] & 0xc0) == 0x80)
		start++;
	out = sk_utf8_clean(tail + start, len - start);
	if (!out)
		return NULL;
	/* Replacement characters may have made it longer than the tail. */
	n = strlen(out);
	if (n > SK_OUTPUT_TAIL) {
		start = n - SK_OUTPUT_TAIL;
		while (start < n && ((unsigned char)out[start] & 0xc0) == 0x80)
			start++;
		memmove(out, out + start, n - start + 1);
	}
	return out;
}

void sk_call_result_release(struct sk_call_result *r)
{
	free(r->code);
	free(r->message);
	free(r->output);
	free(r->resume_reason);
	memset(r, 0, sizeof(*r));
}

/* Every call from k on failed to start: why, in each result. */
static void fail_from(struct supervise *s, size_t k, const char *why)
{
	for (; k < s->n; k++) {
		struct sk_call_result *r = &s->results[k];

		sk_call_result_release(r);
		set_error(r, "internal", why);
		r->ok = false;
	}
}

/*
 * One child for the calls from s->cur on: run it until it ends or the
 * running call's time is up. Every call it gave a result for is finished,
 * and the one running when it ended or ran out of time too. 0, or -1
 * when no child could be started (the calls left say why).
 */
static int run_child(struct supervise *s)
{
	int pfd[2] = {-1, -1}, afd[2] = {-1, -1}, status = 0;
	bool exited = false, timed_out = false, eof = false;
	int exit_fd = -1;
	pid_t pid, parent;
	char *msg;

	if (pipe2(pfd, O_CLOEXEC) != 0 || pipe2(afd, O_CLOEXEC) != 0) {
		msg = sk_asprintf("cannot create a pipe: %s", strerror(errno));
		fail_from(s, s->cur, msg ? msg : "cannot create a pipe");
		free(msg);
		goto fail;
	}
	fflush(NULL);
	parent = getpid();
	begin(s, s->cur);
	pid = fork();
	if (pid < 0) {
		msg = sk_asprintf("cannot start a process: %s",
				  strerror(errno));
		fail_from(s, s->cur, msg ? msg : "cannot fork");
		free(msg);
		goto fail;
	}
	if (pid == 0) {
		close(pfd[0]);
		close(afd[1]);
		setpgid(0, 0);
		sk_host_child_main(s->call, s->n - s->cur, pfd[1], afd[0],
				   s->deadline, parent);
	}
	setpgid(pid, pid); /* also here: no race with the child's own call */
	close(pfd[1]);
	close(afd[0]);
	s->ack_fd = afd[1];
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);

	/* The child's exit wakes the loop through a pidfd (Linux >= 5.3)
	 * instead of a sleep: a call costs its fork, not a sleep quantum. */
	exit_fd = sk_pidfd_open(pid);
	while (!exited) {
		struct pollfd p[2] = {
			{.fd = eof ? -1 : pfd[0], .events = POLLIN},
			{.fd = exit_fd, .events = POLLIN}};
		long long left = s->deadline - sk_now_ms();
		int w, pr;

		if (left <= 0) {
			timed_out = true;
			drain(s, pfd[0]);
			kill_group(pid, &status);
			exited = true;
			break;
		}
		if (eof && exit_fd < 0) {
			usleep(1000);
		} else {
			pr = poll(p, 2, left > 100 ? 100 : (int)left);
			if (pr > 0 && !eof && p[0].revents && !drain(s, pfd[0]))
				eof = true;
		}
		/* Bytes the child read (base/meter.h): shown at most every
		 * SK_METER_TICK_MS, the poll's own timeout. */
		sk_meter_poll();
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			exited = true;
			drain(s, pfd[0]);
		}
	}
	/* Lines cut by the end are not a result. */
	s->line_len = 0;
	s->overlong = false;
	finish(s, timed_out, status);
	s->cur++;
	if (exit_fd >= 0)
		close(exit_fd);
	close(pfd[0]);
	close(afd[1]);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (pfd[i] >= 0)
			close(pfd[i]);
		if (afd[i] >= 0)
			close(afd[i]);
	}
	return -1;
}

int sk_call_run_many(const struct sk_call *calls, size_t n,
		     struct sk_call_result *res)
{
	struct supervise s = {.calls = calls, .results = res, .n = n};
	int ret = 0;

	for (size_t k = 0; k < n; k++)
		memset(&res[k], 0, sizeof(res[k]));
	s.line = malloc(SK_LINE_MAX);
	s.tail = malloc(SK_OUTPUT_TAIL);
	if (!s.line || !s.tail) {
		fail_from(&s, 0, "out of memory");
		ret = -1;
	}
	while (ret == 0 && s.cur < n)
		ret = run_child(&s);
	free(s.line);
	free(s.tail);
	return ret;
}

int sk_call_run(const struct sk_call *call, struct sk_call_result *res)
{
	return sk_call_run_many(call, 1, res);
}
