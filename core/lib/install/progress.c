/* SPDX-License-Identifier: MIT */
/* progress.c - the live line and the JSON events of `sup install`
 * (progress.h). */
#include "install/progress.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/meter.h"
#include "base/util.h"
#include "install/host.h"
#include "install/run.h"

/* An event other than "progress" waits this long for a full pipe to take
 * it; then the descriptor is given up: its reader is not reading. */
#define SK_PROGRESS_WAIT_MS 500
#define SK_LINE_MAX 512

enum stage { ST_NONE = -1, ST_VERIFY, ST_STAGE, ST_ACTIONS };
static const char *const stage_names[] = { "verify", "stage", "actions" };

struct reporter {
	bool on;
	int fd;	   /* events, or -1 */
	bool line; /* live line on stderr */
	bool quiet;
	bool shown; /* the live line is on the screen */
	const char *outcome; /* sk_progress_outcome(), or NULL */
	long long t0;
	/* The stage under way. */
	enum stage stage;
	bool started; /* its "stage" event was sent */
	uint64_t base;	/* meter count when it began */
	uint64_t total; /* bytes it reads */
	uint64_t done;	/* never goes back */
	uint64_t sent;	/* bytes_done of the last event */
	long long st0;
	/* The run loop: bytes per action, the one running. */
	uint64_t *abytes;
	size_t n_actions, pending, nth;
	size_t cur;	 /* index of the running action, or SIZE_MAX */
	uint64_t abase; /* stage bytes before it */
	uint64_t abase_count; /* meter count when it began */
	long long at0;
	int apct, sent_pct; /* the plugin's percent, or -1 */
};

static struct reporter P = { .fd = -1, .stage = ST_NONE, .cur = SIZE_MAX };

int sk_progress_parse_fd(const char *text, int *fd)
{
	char *end;
	long v;
	int fl;

	errno = 0;
	v = strtol(text, &end, 10);
	if (!*text || *end || errno || v < 0 || v > INT_MAX)
		return -EINVAL;
	fl = fcntl((int)v, F_GETFL);
	if (fl < 0)
		return -EBADF;
	if ((fl & O_ACCMODE) == O_RDONLY)
		return -EACCES;
	*fd = (int)v;
	return 0;
}

/* ---- the JSON events ---- */

static void give_up(int err)
{
	sk_progress_hide();
	if (!P.quiet)
		fprintf(stderr, "sup: warning: progress descriptor %d: %s; no more progress events\n",
			P.fd, err ? strerror(err) : "not read");
	close(P.fd);
	P.fd = -1;
}

/* One line, whole or not at all (a reader must never see half an
 * event); a "progress" event is dropped when the reader lags. */
static void write_event(const char *buf, size_t len, bool droppable)
{
	size_t off = 0;

	while (off < len) {
		struct pollfd p = { .fd = P.fd, .events = POLLOUT };
		int r = poll(&p, 1, droppable && !off ? 0 : SK_PROGRESS_WAIT_MS);
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 && droppable && !off)
			return;
		if (r <= 0) {
			give_up(r < 0 ? errno : 0);
			return;
		}
		if (p.revents & (POLLERR | POLLNVAL)) {
			give_up(p.revents & POLLNVAL ? EBADF : EPIPE);
			return;
		}
		n = write(P.fd, buf + off, len - off);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			give_up(errno);
			return;
		}
		off += (size_t)n;
	}
}

static json_object *event_new(const char *name)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "event", json_object_new_string(name));
	if (P.stage != ST_NONE)
		json_object_object_add(o, "stage",
				       json_object_new_string(stage_names[P.stage]));
	return o;
}

static int percent_of(uint64_t done, uint64_t total)
{
	return total ? (int)(done >= total ? 100 : done * 100 / total) : 0;
}

/* Bytes done and total, and the percent: of nothing to read, 0 until it
 * is complete, then 100. */
static void add_bytes(json_object *o, uint64_t done, uint64_t total,
		      bool complete)
{
	json_object_object_add(o, "bytes_done", json_object_new_int64((int64_t)done));
	json_object_object_add(o, "bytes_total", json_object_new_int64((int64_t)total));
	json_object_object_add(o, "percent", json_object_new_int(
		complete && !total ? 100 : percent_of(done, total)));
}

static void send_event(json_object *o, bool droppable)
{
	const char *text;
	char *line;

	if (!o)
		return;
	if (P.fd >= 0) {
		json_object_object_add(o, "elapsed_ms",
				       json_object_new_int64(sk_now_ms() - P.t0));
		text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		line = text ? sk_asprintf("%s\n", text) : NULL;
		if (line)
			write_event(line, strlen(line), droppable);
		free(line);
	}
	json_object_put(o);
}

/* The running action, as events name it. */
static json_object *action_obj(const struct run *r, size_t i)
{
	json_object *a = json_object_new_object();

	if (!a)
		return NULL;
	json_object_object_add(a, "index", json_object_new_int64((int64_t)i + 1));
	json_object_object_add(a, "count",
			       json_object_new_int64((int64_t)P.n_actions));
	if (r) {
		json_object_object_add(a, "id", json_object_new_string(
			r->f->manifest.actions[i].id));
		json_object_object_add(a, "type", json_object_new_string(
			r->f->manifest.actions[i].type));
	}
	return a;
}

/* ---- the live line ---- */

/* "D[ of T] (P%), R/s, ETA M:SS" since t0. */
static void describe(char *buf, size_t len, uint64_t done, uint64_t total,
		     long long t0, bool of)
{
	char d[SK_METER_BYTES_LEN], t[SK_METER_BYTES_LEN], pace[64];

	sk_meter_pace(done, total, sk_now_ms() - t0, pace, sizeof(pace));
	snprintf(buf, len, "%s%s%s (%d%%), %s", sk_meter_bytes(done, d),
		 of ? " of " : "", of ? sk_meter_bytes(total, t) : "",
		 percent_of(done, total), pace);
}

static void put_line(const char *text)
{
	struct winsize ws;
	char buf[SK_LINE_MAX + 16];
	size_t n = strlen(text), width = SK_LINE_MAX;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		width = ws.ws_col - 1;
	if (width > SK_LINE_MAX)
		width = SK_LINE_MAX;
	/* Never wider than the terminal: a wrapped line cannot be redrawn. */
	if (n > width)
		n = width;
	buf[0] = '\r';
	memcpy(buf + 1, text, n);
	memcpy(buf + 1 + n, "\033[K", 3);
	(void)sk_write_all(STDERR_FILENO, buf, n + 4);
	P.shown = true;
}

void sk_progress_hide(void)
{
	if (!P.on || !P.shown)
		return;
	(void)sk_write_all(STDERR_FILENO, "\r\033[K", 4);
	P.shown = false;
}

static void draw(void)
{
	char text[SK_LINE_MAX], what[160], sz[SK_METER_BYTES_LEN];

	if (!P.line || !P.started)
		return;
	if (P.stage == ST_ACTIONS) {
		uint64_t total = P.cur < P.n_actions ? P.abytes[P.cur] : 0;

		/* The action's own line is above: only what moves. */
		if (total)
			describe(what, sizeof(what), P.done - P.abase, total,
				 P.at0, true);
		else if (P.apct >= 0)
			snprintf(what, sizeof(what), "%d%%", P.apct);
		else
			return;
		snprintf(text, sizeof(text), "sup:   [%zu/%zu] %s", P.nth,
			 P.pending, what);
	} else {
		sk_meter_bytes(P.total, sz);
		describe(what, sizeof(what), P.done, P.total, P.st0, false);
		snprintf(text, sizeof(text), "sup: %s %s: %s",
			 P.stage == ST_VERIFY ? "verifying" : "staging", sz, what);
	}
	put_line(text);
}

/* ---- stages ---- */

/* Bytes done: what was read since the stage (or the running action)
 * began, never more than it reads (a plugin may read a payload twice). */
static void update_done(void)
{
	uint64_t n = sk_meter_count() - P.base;

	if (P.stage == ST_ACTIONS && P.cur >= P.n_actions)
		return;
	if (P.stage == ST_ACTIONS) {
		n = sk_meter_count() - P.abase_count;
		if (n > P.abytes[P.cur])
			n = P.abytes[P.cur];
		n += P.abase;
	} else if (n > P.total) {
		n = P.total;
	}
	if (n > P.done)
		P.done = n;
}

static void start_event(void)
{
	json_object *o = event_new("stage");

	P.started = true;
	P.st0 = sk_now_ms();
	if (o)
		json_object_object_add(o, "bytes_total",
				       json_object_new_int64((int64_t)P.total));
	send_event(o, false);
}

static void on_tick(void *data)
{
	json_object *o;

	(void)data;
	if (!P.on || P.stage == ST_NONE)
		return;
	if (!P.started) {
		/* The verification pass says what it reads once it knows. */
		if (P.stage != ST_VERIFY || !sk_meter_expected(&P.total))
			return;
		start_event();
	}
	update_done();
	draw();
	if (P.fd < 0 || (P.done == P.sent && P.apct == P.sent_pct))
		return;
	o = event_new("progress");
	if (!o)
		return;
	add_bytes(o, P.done, P.total, false);
	if (P.stage == ST_ACTIONS && P.cur < P.n_actions) {
		json_object *a = action_obj(NULL, P.cur);
		uint64_t total = P.abytes[P.cur];

		if (a) {
			add_bytes(a, P.done - P.abase, total, false);
			if (P.apct >= 0 && !total)
				json_object_object_add(a, "percent",
						       json_object_new_int(P.apct));
			json_object_object_add(o, "action", a);
		}
	}
	P.sent = P.done;
	P.sent_pct = P.apct;
	send_event(o, true);
}

static void stage_begin(enum stage s, uint64_t total, bool known)
{
	P.stage = s;
	P.started = false;
	P.base = sk_meter_count();
	P.total = total;
	P.done = 0;
	P.sent = 0;
	P.apct = P.sent_pct = -1;
	if (known) {
		start_event();
		draw();
	}
}

static void stage_end(bool ok)
{
	json_object *o;
	char sz[SK_METER_BYTES_LEN], rate[SK_METER_BYTES_LEN];
	long long ms;

	if (P.stage == ST_NONE)
		return;
	if (!P.started)
		start_event();
	update_done();
	/* A stage that passed has read what it had to, whoever read it. */
	if (ok)
		P.done = P.total;
	sk_progress_hide();
	ms = sk_now_ms() - P.st0;
	if (P.line && ok && P.stage != ST_ACTIONS && P.total) {
		sk_meter_bytes(P.total, sz);
		sk_meter_bytes(ms > 0 ? P.total * 1000 / (uint64_t)ms : P.total,
			       rate);
		fprintf(stderr, "sup: %s %s in %lld.%02lld s (%s/s)\n",
			P.stage == ST_VERIFY ? "verified" : "staged", sz,
			ms / 1000, (ms % 1000) / 10, rate);
	}
	o = event_new("stage_end");
	if (o) {
		add_bytes(o, P.done, P.total, ok);
		json_object_object_add(o, "ok", json_object_new_boolean(ok));
	}
	send_event(o, false);
	P.stage = ST_NONE;
}

int sk_progress_open(int fd, bool line, bool quiet)
{
	int err;

	memset(&P, 0, sizeof(P));
	P.fd = -1;
	P.stage = ST_NONE;
	P.cur = SIZE_MAX;
	if (fd < 0 && !line)
		return 0;
	err = sk_meter_open(on_tick, NULL);
	if (err)
		return err;
	/* A reader that went away is an EPIPE, never a signal. */
	signal(SIGPIPE, SIG_IGN);
	/* Commands that plugins run must not hold the reader's pipe open. */
	if (fd >= 0)
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	P.on = true;
	P.fd = fd;
	P.line = line;
	P.quiet = quiet;
	P.t0 = sk_now_ms();
	return 0;
}

void sk_progress_outcome(const char *result)
{
	P.outcome = result;
}

static const char *result_of(int code, bool dry_run)
{
	switch (code) {
	case 0:
		if (P.outcome)
			return P.outcome;
		return dry_run ? "dry-run" : "succeeded";
	case 1: return "failed";
	case 2: return "usage";
	case 3:
	case 4:
	case 5: return "rejected";
	case 7: return "suspended";
	case 8: return "busy";
	default: return "error";
	}
}

static void close_all(void)
{
	sk_progress_hide();
	free(P.abytes);
	P.abytes = NULL;
	if (P.fd >= 0)
		close(P.fd);
	P.fd = -1;
	P.on = false;
	sk_meter_close();
}

void sk_progress_finish(int exit_code, bool dry_run)
{
	json_object *o;

	if (!P.on)
		return;
	stage_end(false);
	o = event_new("result");
	if (o) {
		json_object_object_add(o, "result", json_object_new_string(
			result_of(exit_code, dry_run)));
		json_object_object_add(o, "exit_code", json_object_new_int(exit_code));
	}
	send_event(o, false);
	close_all();
}

void sk_progress_detached(pid_t pid)
{
	json_object *o;

	if (!P.on)
		return;
	stage_end(false);
	o = event_new("result");
	if (o) {
		json_object_object_add(o, "result", json_object_new_string("detached"));
		json_object_object_add(o, "exit_code", json_object_new_int(0));
		json_object_object_add(o, "pid", json_object_new_int64((int64_t)pid));
	}
	send_event(o, false);
	close_all();
}

void sk_progress_drop(void)
{
	if (!P.on)
		return;
	P.shown = false; /* stderr is the log now */
	close_all();
}

void sk_progress_verify_begin(void)
{
	if (!P.on)
		return;
	sk_meter_expect_reset();
	stage_begin(ST_VERIFY, 0, false);
}

void sk_progress_verify_end(const struct sk_supfile *f)
{
	if (!P.on || P.stage != ST_VERIFY)
		return;
	if (!P.started && !sk_meter_expected(&P.total))
		P.total = 0;
	stage_end(f->verified);
}

/* Payload bytes of action i, or of those of its payloads not yet read
 * to a verified end by the stage pass when only_unstaged. */
static uint64_t action_bytes(const struct run *r, size_t i, bool only_unstaged)
{
	const struct sk_manifest *m = &r->f->manifest;
	const struct sk_action_decl *a = &m->actions[i];
	bool staged = only_unstaged && r->stage && r->types[i] &&
		      r->types[i]->ops.stage;
	uint64_t n = 0;

	for (size_t k = 0; k < a->n_payloads; k++) {
		size_t p = a->payloads[k];

		if (staged && p < r->stage->n_payloads && r->stage->verified[p])
			continue;
		n += m->payloads[p].size;
	}
	return n;
}

void sk_progress_stage_begin(const struct run *r, const bool *skip)
{
	const struct sk_manifest *m = &r->f->manifest;
	uint64_t total = 0;
	bool *used;

	if (!P.on)
		return;
	used = calloc(m->n_payloads + 1, sizeof(*used));
	/* What the stage() calls stream, and the deferred payloads none of
	 * them reads, which the host reads. */
	for (size_t i = 0; i < m->n_actions; i++) {
		const struct sk_action_decl *a = &m->actions[i];

		if ((skip && skip[i]) || !r->types[i] || !r->types[i]->ops.stage)
			continue;
		total += action_bytes(r, i, false);
		for (size_t k = 0; used && k < a->n_payloads; k++)
			used[a->payloads[k]] = true;
	}
	for (size_t p = 0; r->f->deferred && p < m->n_payloads; p++)
		if (r->f->deferred[p] && used && !used[p])
			total += m->payloads[p].size;
	free(used);
	stage_begin(ST_STAGE, total, true);
}

void sk_progress_stage_end(bool ok)
{
	if (P.on && P.stage == ST_STAGE)
		stage_end(ok);
}

void sk_progress_actions_begin(const struct run *r)
{
	uint64_t total = 0;

	if (!P.on)
		return;
	free(P.abytes);
	P.n_actions = r->f->manifest.n_actions;
	P.abytes = calloc(P.n_actions + 1, sizeof(*P.abytes));
	P.pending = P.nth = 0;
	P.cur = SIZE_MAX;
	for (size_t i = 0; P.abytes && i < P.n_actions; i++) {
		if (sk_confirm_status(&r->c, i) != SK_ST_PENDING)
			continue;
		P.abytes[i] = action_bytes(r, i, true);
		total += P.abytes[i];
		P.pending++;
	}
	if (!P.abytes)
		P.n_actions = 0;
	stage_begin(ST_ACTIONS, total, true);
}

void sk_progress_action_begin(const struct run *r, size_t i)
{
	json_object *o;

	if (!P.on || P.stage != ST_ACTIONS || i >= P.n_actions)
		return;
	update_done();
	P.cur = i;
	P.abase = P.done;
	P.abase_count = sk_meter_count();
	P.at0 = sk_now_ms();
	P.apct = P.sent_pct = -1;
	P.nth++;
	o = event_new("action");
	if (o) {
		json_object *a = action_obj(r, i);

		if (a)
			add_bytes(a, 0, P.abytes[i], false);
		json_object_object_add(o, "action", a);
	}
	send_event(o, false);
}

void sk_progress_action_end(const struct run *r, size_t i,
			    const struct sk_call_result *res)
{
	json_object *o;

	if (!P.on || P.stage != ST_ACTIONS || i != P.cur)
		return;
	sk_progress_hide();
	/* Its payloads are done with, read or not. */
	P.done = P.abase + P.abytes[i];
	o = event_new("action_end");
	if (o) {
		json_object *a = action_obj(r, i);

		if (a)
			add_bytes(a, P.abytes[i], P.abytes[i], true);
		json_object_object_add(o, "action", a);
		json_object_object_add(o, "result", json_object_new_string(
			res->ok ? "succeeded" : "failed"));
		if (!res->ok && res->code)
			json_object_object_add(o, "code",
					       json_object_new_string(res->code));
		add_bytes(o, P.done, P.total, false);
	}
	P.sent = P.done;
	send_event(o, false);
	P.cur = SIZE_MAX;
}

void sk_progress_actions_end(const struct run *r)
{
	(void)r;
	if (P.on && P.stage == ST_ACTIONS)
		stage_end(!r->fail_code && !r->suspended);
}

bool sk_progress_action_percent(int percent)
{
	if (!P.on || P.stage != ST_ACTIONS || P.cur == SIZE_MAX)
		return false;
	P.apct = percent < 0 ? 0 : percent > 100 ? 100 : percent;
	sk_meter_poll();
	return P.line;
}
