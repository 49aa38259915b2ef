/* SPDX-License-Identifier: MIT */
/*
 * rtprobe.c - one look at the product runtime: its pidfile, its systemd
 * unit or its health command (see rtprobe.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "rtprobe.h"
#include "util.h"

/* What is read of systemctl's answers, and the longest state name. */
#define RT_SYSTEMCTL_KEEP 256
#define RT_STATE_MAX 64
/* A probe's command gets at least this long, even at the deadline. */
#define RT_PROBE_MIN_MS 1000
/* Longest pidfile accepted: a pid and some white space. */
#define RT_PIDFILE_MAX 64

void spl_rt_seen_release(struct spl_rt_seen *s)
{
	free(s->what);
	memset(s, 0, sizeof(*s));
}

static void rt_seen_set(struct spl_rt_seen *s, enum spl_rt_verdict v,
			const char *fmt, ...) SUP_PRINTF(3, 4);

/* Say what was seen; the text is lost only when memory is. */
static void rt_seen_set(struct spl_rt_seen *s, enum spl_rt_verdict v,
			const char *fmt, ...)
{
	va_list ap;

	s->verdict = v;
	free(s->what);
	s->what = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s->what, fmt, ap) < 0)
		s->what = NULL;
	va_end(ap);
}

static void rt_capture_sink(void *data, const char *buf, size_t n)
{
	struct spl_rt_capture *c = data;

	if (!c->tail) {
		if (n > c->cap - c->len)
			n = c->cap - c->len;
		memcpy(c->buf + c->len, buf, n);
		c->len += n;
		return;
	}
	if (n >= c->cap) {
		memcpy(c->buf, buf + (n - c->cap), c->cap);
		c->len = c->cap;
		return;
	}
	if (n > c->cap - c->len) {
		size_t drop = n - (c->cap - c->len);

		memmove(c->buf, c->buf + drop, c->len - drop);
		c->len -= drop;
	}
	memcpy(c->buf + c->len, buf, n);
	c->len += n;
}

/* Alive, and not a zombie: a zombie's parent (maybe an init that does not
 * reap) has not waited for it yet, but it runs no more. */
static bool rt_pid_alive(long pid)
{
	char path[64], buf[512];
	const char *paren;
	ssize_t n;
	int fd;

	if (kill((pid_t)pid, 0) != 0 && errno != EPERM)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno != ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold anything, even ") ". */
	paren = strrchr(buf, ')');
	if (!paren || paren[1] != ' ')
		return true;
	return paren[2] != 'Z' && paren[2] != 'X';
}

/* A pid and white space; 0 if the text is anything else. The white space
 * at the end is cut off (s is written to). */
static long rt_parse_pid(char *s)
{
	size_t len;
	int64_t pid;

	s += strspn(s, " \t");
	len = strlen(s);
	while (len > 0 && strchr(" \t\n\r", s[len - 1]))
		len--;
	s[len] = '\0';
	return spl_parse_num(s, 0, INT_MAX, &pid) ? (long)pid : 0;
}

/*
 * Is the pidfile's directory there? Told by its path under the root only
 * so that a missing one (a runtime directory removed at stop) means "no
 * pidfile" instead of a failed walk, which host->path_parent() records as
 * the action's failure. The pidfile itself is opened by descriptor.
 */
static bool rt_pidfile_dir_there(const struct spl_rt *rt)
{
	const char *slash = strrchr(rt->pidfile_host, '/');
	struct stat st;
	bool there;
	char *dir;

	if (!slash || slash == rt->pidfile_host)
		return true;
	dir = strndup(rt->pidfile_host, (size_t)(slash - rt->pidfile_host));
	if (!dir)
		return true;
	if (stat(dir, &st) == 0)
		there = S_ISDIR(st.st_mode);
	else
		there = errno != ENOENT && errno != ENOTDIR;
	free(dir);
	return there;
}

/*
 * SPL_RT_YES: the pidfile holds a live pid; SPL_RT_NO: no pidfile, or its pid
 * is dead; SPL_RT_UNKNOWN: it cannot be read or holds no pid. Its directory is
 * walked from the root (host->path_parent(): links of other users and
 * unsafe path transitions refused, and recorded, once: the walk is not
 * tried again), the file opened in it without following a link or
 * blocking on a fifo.
 */
static void rt_probe_pidfile(struct spl_rt *rt, struct spl_rt_seen *s)
{
	char buf[RT_PIDFILE_MAX + 1];
	struct stat st;
	char *name = NULL;
	ssize_t n;
	long pid;
	int dfd, fd, err;

	if (!rt->pidfile_refused && !rt_pidfile_dir_there(rt)) {
		rt_seen_set(s, SPL_RT_NO, "no pidfile '%s'", rt->pidfile);
		return;
	}
	if (rt->pidfile_refused ||
	    rt->host->path_parent(rt->ctx, rt->pidfile, SUP_PATH_FOLLOW_LAST,
				  &dfd, &name) != SUP_OK) {
		rt->pidfile_refused = true;
		rt_seen_set(s, SPL_RT_UNKNOWN, "cannot reach pidfile '%s'", rt->pidfile);
		return;
	}
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	err = fd < 0 ? errno : 0;
	close(dfd);
	rt->host->free(name);
	if (err == ENOENT || err == ENOTDIR) {
		rt_seen_set(s, SPL_RT_NO, "no pidfile '%s'", rt->pidfile);
		return;
	}
	if (err) {
		rt_seen_set(s, SPL_RT_UNKNOWN, "cannot read pidfile '%s': %s", rt->pidfile, strerror(err));
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		rt_seen_set(s, SPL_RT_UNKNOWN, "pidfile '%s' is not a regular file", rt->pidfile);
		return;
	}
	do {
		n = read(fd, buf, RT_PIDFILE_MAX + 1);
	} while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0) {
		rt_seen_set(s, SPL_RT_UNKNOWN, "cannot read pidfile '%s': %s", rt->pidfile, strerror(errno));
		return;
	}
	buf[n > RT_PIDFILE_MAX ? RT_PIDFILE_MAX : n] = '\0';
	pid = n > RT_PIDFILE_MAX || memchr(buf, '\0', (size_t)n) ?
		      0 : rt_parse_pid(buf);
	if (pid <= 0) {
		rt_seen_set(s, SPL_RT_UNKNOWN, "pidfile '%s' does not hold a pid", rt->pidfile);
		return;
	}
	if (!rt_pid_alive(pid)) {
		rt_seen_set(s, SPL_RT_NO, "pid %ld from pidfile '%s' is not running", pid, rt->pidfile);
		return;
	}
	s->verdict = SPL_RT_YES;
	s->pid = pid;
	free(s->what);
	s->what = NULL;
}

/* Command timeout of a probe: what is left of the wait, but enough for a
 * last look at the deadline. */
static int64_t rt_probe_timeout(int64_t deadline)
{
	int64_t left = deadline - spl_now_ms();

	return left > RT_PROBE_MIN_MS ? left : RT_PROBE_MIN_MS;
}

/* Run systemctl with args into *cap; SUP_OK if it exited 0. */
static int rt_systemctl(const struct spl_rt *rt, const char *verb,
			const char *opt1, const char *opt2, int64_t deadline,
			struct spl_rt_capture *cap, struct spl_cmd_result *res)
{
	const char *argv[6] = { "systemctl", verb };
	size_t n = 2;
	struct spl_cmd cmd = {
		.path = rt->systemctl,
		.argv = argv,
		.timeout_ms = rt_probe_timeout(deadline),
		.sink = rt_capture_sink,
		.sink_data = cap,
	};

	if (opt1)
		argv[n++] = opt1;
	if (opt2)
		argv[n++] = opt2;
	argv[n++] = rt->unit;
	argv[n] = NULL;
	cap->len = 0;
	cap->cap = RT_SYSTEMCTL_KEEP;
	cap->tail = false;
	return spl_cmd_run(rt->host, rt->ctx, &cmd, res);
}

/* The first line of cap if it is a word of [a-z-], else "". */
static void rt_capture_word(const struct spl_rt_capture *cap, char *out,
			    size_t len)
{
	size_t n = 0;

	while (n < cap->len && n + 1 < len &&
	       ((cap->buf[n] >= 'a' && cap->buf[n] <= 'z') ||
		cap->buf[n] == '-'))
		n++;
	if (n < cap->len && cap->buf[n] != '\n')
		n = 0;
	memcpy(out, cap->buf, n);
	out[n] = '\0';
}

/* The unit's state ("active", "inactive", ...) in state, and its main
 * pid. s->verdict is left SPL_RT_UNKNOWN when the state cannot be told. */
static void rt_probe_unit(const struct spl_rt *rt, int64_t deadline,
			  char *state, size_t len, struct spl_rt_seen *s)
{
	struct spl_rt_capture *cap;
	struct spl_cmd_result res;
	char desc[SPL_CMD_DESC_LEN];
	char line[RT_SYSTEMCTL_KEEP + 1];
	size_t n;

	state[0] = '\0';
	s->verdict = SPL_RT_UNKNOWN;
	cap = malloc(sizeof(*cap));
	if (!cap) {
		rt_seen_set(s, SPL_RT_UNKNOWN, "cannot ask systemd about unit '%s': %s", rt->unit, strerror(ENOMEM));
		return;
	}
	/* is-active exits non-zero for every state but active. */
	rt_systemctl(rt, "is-active", NULL, NULL, deadline, cap, &res);
	rt_capture_word(cap, state, len);
	if (res.end != SPL_CMD_EXITED || state[0] == '\0') {
		/* Its first line says why ("Failed to connect to bus"). */
		for (n = 0; n < cap->len && cap->buf[n] != '\n'; n++)
			line[n] = cap->buf[n] >= ' ' && cap->buf[n] < 127 ?
					     cap->buf[n] : '?';
		line[n] = '\0';
		spl_cmd_describe(&res, desc, sizeof(desc));
		if (n)
			rt_seen_set(s, SPL_RT_UNKNOWN, "'systemctl is-active %s' %s: %s", rt->unit, desc, line);
		else
			rt_seen_set(s, SPL_RT_UNKNOWN, "'systemctl is-active %s' %s", rt->unit, desc);
		state[0] = '\0';
		goto out;
	}
	if (strcmp(state, "inactive") != 0 && strcmp(state, "failed") != 0 &&
	    rt_systemctl(rt, "show", "--property=MainPID", "--value",
			 deadline, cap, &res) == SUP_OK) {
		memcpy(line, cap->buf, cap->len);
		line[cap->len] = '\0';
		s->pid = rt_parse_pid(line);
	}
	rt_seen_set(s, SPL_RT_UNKNOWN, "unit '%s' is %s", rt->unit, state);
out:
	free(cap);
}

/* Run the health command; its output tail goes to *cap. */
static void rt_probe_health_command(const struct spl_rt *rt, int64_t deadline,
				    struct spl_rt_capture *cap,
				    struct spl_rt_seen *s,
				    struct spl_cmd_result *res)
{
	struct spl_cmd cmd = {
		.script = rt->health_command,
		.timeout_ms = rt_probe_timeout(deadline),
		.sink = rt_capture_sink,
		.sink_data = cap,
	};
	char desc[SPL_CMD_DESC_LEN];

	cap->len = 0;
	cap->cap = SPL_RT_OUTPUT_KEEP;
	cap->tail = true;
	spl_cmd_run(rt->host, rt->ctx, &cmd, res);
	rt_seen_set(s, SPL_RT_UNKNOWN, "health command %s",
		    spl_cmd_describe(res, desc, sizeof(desc)));
}

/* The pid from the pidfile, for messages only. */
static void rt_pid_from_pidfile(struct spl_rt *rt,
				struct spl_rt_seen *s)
{
	struct spl_rt_seen p = { 0 };

	if (!rt->pidfile_host)
		return;
	rt_probe_pidfile(rt, &p);
	if (p.verdict == SPL_RT_YES)
		s->pid = p.pid;
	spl_rt_seen_release(&p);
}

/* Is the runtime healthy? cap (may be NULL) receives the health
 * command's output. */
void spl_rt_look_healthy(struct spl_rt *rt, int64_t deadline,
			 struct spl_rt_capture *cap, struct spl_rt_seen *s)
{
	struct spl_cmd_result res;
	char state[RT_STATE_MAX];

	spl_rt_seen_release(s);
	switch (rt->health) {
	case SPL_RT_HEALTH_PIDFILE:
		rt_probe_pidfile(rt, s);
		if (s->verdict == SPL_RT_UNKNOWN)
			s->verdict = SPL_RT_NO;
		break;
	case SPL_RT_HEALTH_SYSTEMD:
		rt_probe_unit(rt, deadline, state, sizeof(state), s);
		s->verdict = strcmp(state, "active") == 0 ? SPL_RT_YES : SPL_RT_NO;
		break;
	case SPL_RT_HEALTH_COMMAND:
		if (cap) {
			rt_probe_health_command(rt, deadline, cap, s, &res);
		} else {
			struct spl_rt_capture *tmp = malloc(sizeof(*tmp));

			if (!tmp) {
				rt_seen_set(s, SPL_RT_NO, "cannot run the health command: %s", strerror(ENOMEM));
				return;
			}
			rt_probe_health_command(rt, deadline, tmp, s, &res);
			free(tmp);
		}
		s->verdict = res.end == SPL_CMD_EXITED && res.status == 0 ?
				     SPL_RT_YES : SPL_RT_NO;
		rt_pid_from_pidfile(rt, s);
		break;
	}
}

/* Is the runtime down? SPL_RT_UNKNOWN counts as no. */
void spl_rt_look_down(struct spl_rt *rt, int64_t deadline,
		      struct spl_rt_seen *s)
{
	struct spl_cmd_result res;
	struct spl_rt_capture *cap;
	char state[RT_STATE_MAX];

	spl_rt_seen_release(s);
	if (rt->unit) {
		rt_probe_unit(rt, deadline, state, sizeof(state), s);
		if (state[0])
			s->verdict = strcmp(state, "inactive") == 0 ||
					     strcmp(state, "failed") == 0 ?
					     SPL_RT_YES : SPL_RT_NO;
		return;
	}
	if (rt->pidfile_host) {
		rt_probe_pidfile(rt, s);
		/* Alive is "not down"; no pidfile is down. */
		if (s->verdict != SPL_RT_UNKNOWN)
			s->verdict = s->verdict == SPL_RT_YES ? SPL_RT_NO
							      : SPL_RT_YES;
		return;
	}
	cap = malloc(sizeof(*cap));
	if (!cap) {
		rt_seen_set(s, SPL_RT_UNKNOWN, "cannot run the health command: %s", strerror(ENOMEM));
		return;
	}
	rt_probe_health_command(rt, deadline, cap, s, &res);
	free(cap);
	if (res.end == SPL_CMD_EXITED)
		s->verdict = res.status != 0 ? SPL_RT_YES : SPL_RT_NO;
}

/* The answer of one look: yes or no, and what was seen (into *pid and
 * *seen when asked for); s is released. */
static bool rt_answer(struct spl_rt_seen *s, long *pid, char **seen)
{
	bool yes = s->verdict == SPL_RT_YES;

	if (pid)
		*pid = s->pid;
	if (seen) {
		*seen = s->what;
		s->what = NULL;
	}
	spl_rt_seen_release(s);
	return yes;
}

bool spl_rt_is_healthy(struct spl_rt *rt, long *pid, char **seen)
{
	struct spl_rt_seen s = { 0 };

	spl_rt_look_healthy(rt, spl_now_ms() + rt->start_timeout_ms, NULL, &s);
	return rt_answer(&s, pid, seen);
}

bool spl_rt_is_down(struct spl_rt *rt, long *pid, char **seen)
{
	struct spl_rt_seen s = { 0 };

	spl_rt_look_down(rt, spl_now_ms() + rt->stop_timeout_ms, &s);
	return rt_answer(&s, pid, seen);
}
