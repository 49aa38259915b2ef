/* SPDX-License-Identifier: MIT */
/*
 * rtctl.c - runtime control from the [runtime] product settings (see
 * rtctl.h).
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
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "rtctl.h"
#include "say.h"

#define RT_SECTION "runtime"
/* The health command's output kept for the final verdict. */
#define RT_OUTPUT_KEEP 4096
/* What is read of systemctl's answers, and the longest state name. */
#define RT_SYSTEMCTL_KEEP 256
#define RT_STATE_MAX 64
/* A probe's command gets at least this long, even at the deadline. */
#define RT_PROBE_MIN_MS 1000
/* Of the action's time left, kept back to report a failure in time. */
#define RT_MARGIN_MAX_MS 1000
/* Longest pidfile accepted: a pid and some white space. */
#define RT_PIDFILE_MAX 64
#define RT_UNIT_MAX 255

enum rt_verdict {
	RT_NO = 0,
	RT_YES = 1,
	RT_UNKNOWN = 2,
};

/* One look at the runtime. */
struct rt_seen {
	enum rt_verdict verdict;
	long pid;   /* 0: unknown */
	char *what; /* NULL when the pid says it all */
};

/* Bytes of a command's output: its head or its tail, at most cap. */
struct rt_capture {
	char buf[RT_OUTPUT_KEEP];
	size_t len;
	size_t cap;
	bool tail;
};

static const char *const rt_keys[] = {
	"control", "unit", "start_command", "stop_command", "health",
	"health_command", "pidfile", "start_timeout_s", "stop_timeout_s",
	"poll_interval_ms", NULL
};

static int64_t rt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void rt_sleep_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000),
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void rt_seen_release(struct rt_seen *s)
{
	free(s->what);
	memset(s, 0, sizeof(*s));
}

static void rt_seen_set(struct rt_seen *s, enum rt_verdict v, const char *fmt,
			...) SUP_PRINTF(3, 4);

/* Say what was seen; the text is lost only when memory is. */
static void rt_seen_set(struct rt_seen *s, enum rt_verdict v, const char *fmt,
			...)
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
	struct rt_capture *c = data;

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

/* --- loading ------------------------------------------------------------ */

static const char *rt_get(const struct spc_rtctl *rt, const char *key)
{
	const char *v = NULL;

	if (rt->host->product_get(rt->ctx, RT_SECTION, key, &v) != SUP_OK)
		return NULL;
	return v;
}

/* A decimal number from min to max, digits only. */
static bool rt_parse_num(const char *s, int64_t min, int64_t max,
			 int64_t *out)
{
	int64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (max - (*s - '0')) / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	if (v < min)
		return false;
	*out = v;
	return true;
}

static int rt_load_num(struct spc_rtctl *rt, const char *key, int64_t def,
		       int64_t min, int64_t max, int64_t unit_ms,
		       int64_t *out)
{
	const char *v = rt_get(rt, key);
	int64_t n;

	*out = def * unit_ms;
	if (!v)
		return SUP_OK;
	if (!rt_parse_num(v, min, max, &n)) {
		if (unit_ms == 1)
			return rt->host->fail(rt->ctx, 0, "[runtime] %s: '%s' is not a number of milliseconds from %lld to %lld", key, v, (long long)min, (long long)max);
		return rt->host->fail(rt->ctx, 0, "[runtime] %s: '%s' is not a number of seconds from %lld to %lld", key, v, (long long)min, (long long)max);
	}
	*out = n * unit_ms;
	return SUP_OK;
}

static bool rt_is_blank(const char *s)
{
	for (; *s; s++) {
		if (*s != ' ' && *s != '\t')
			return false;
	}
	return true;
}

/* What systemd accepts in a unit name; a leading '-' would be taken for
 * an option of systemctl. */
static bool rt_is_unit_name(const char *s)
{
	size_t n = 0;

	if (s[0] == '-')
		return false;
	for (; s[n]; n++) {
		char c = s[n];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || strchr(":_.\\@-", c)))
			return false;
	}
	return n > 0 && n <= RT_UNIT_MAX;
}

/* Absolute, and no ".." component. */
static bool rt_is_gateway_path(const char *p)
{
	if (p[0] != '/')
		return false;
	for (const char *c = p; *c; c++) {
		if (c[0] == '/' && c[1] == '.' && c[2] == '.' &&
		    (c[3] == '/' || c[3] == '\0'))
			return false;
	}
	return true;
}

static int rt_load_control(struct spc_rtctl *rt)
{
	const char *v = rt_get(rt, "control");

	if (!v || strcmp(v, "commands") == 0)
		rt->control = SPC_RT_CONTROL_COMMANDS;
	else if (strcmp(v, "systemd") == 0)
		rt->control = SPC_RT_CONTROL_SYSTEMD;
	else
		return rt->host->fail(rt->ctx, 0, "[runtime] control: '%s' is not one of commands, systemd", v);
	return SUP_OK;
}

static int rt_load_health(struct spc_rtctl *rt, bool *defaulted)
{
	const char *v = rt_get(rt, "health");

	*defaulted = !v;
	if (!v) {
		if (rt->control == SPC_RT_CONTROL_SYSTEMD)
			rt->health = SPC_RT_HEALTH_SYSTEMD;
		else if (rt_get(rt, "pidfile"))
			rt->health = SPC_RT_HEALTH_PIDFILE;
		else
			rt->health = SPC_RT_HEALTH_COMMAND;
	} else if (strcmp(v, "command") == 0) {
		rt->health = SPC_RT_HEALTH_COMMAND;
	} else if (strcmp(v, "pidfile") == 0) {
		rt->health = SPC_RT_HEALTH_PIDFILE;
	} else if (strcmp(v, "systemd") == 0) {
		rt->health = SPC_RT_HEALTH_SYSTEMD;
	} else {
		return rt->host->fail(rt->ctx, 0, "[runtime] health: '%s' is not one of command, pidfile, systemd", v);
	}
	return SUP_OK;
}

static const char *rt_health_name(enum spc_rt_health h)
{
	switch (h) {
	case SPC_RT_HEALTH_PIDFILE:
		return "pidfile";
	case SPC_RT_HEALTH_SYSTEMD:
		return "systemd";
	case SPC_RT_HEALTH_COMMAND:
	default:
		return "command";
	}
}

/* A command key: required (non-blank) when needed, refused when not. */
static int rt_load_command(struct spc_rtctl *rt, const char *key,
			   bool needed, const char *why, const char **out)
{
	const char *v = rt_get(rt, key);

	*out = NULL;
	if (!needed) {
		if (v)
			return rt->host->fail(rt->ctx, 0, "[runtime] %s: not used with %s", key, why);
		return SUP_OK;
	}
	if (!v)
		return rt->host->fail(rt->ctx, 0, "[runtime] %s: not set, but %s needs it", key, why);
	if (rt_is_blank(v))
		return rt->host->fail(rt->ctx, 0, "[runtime] %s: empty, but %s needs a command", key, why);
	*out = v;
	return SUP_OK;
}

static int rt_load_commands(struct spc_rtctl *rt, bool health_defaulted)
{
	bool cmds = rt->control == SPC_RT_CONTROL_COMMANDS;
	const char *why = cmds ? "control = commands" :
				 "control = systemd (set control = commands to use it)";
	char hwhy[64];
	int ret = SUP_OK;

	if (rt_load_command(rt, "start_command", cmds, why,
			    &rt->start_command) != SUP_OK)
		ret = SUP_ERR;
	if (rt_load_command(rt, "stop_command", cmds, why,
			    &rt->stop_command) != SUP_OK)
		ret = SUP_ERR;
	if (rt->health == SPC_RT_HEALTH_COMMAND && health_defaulted)
		snprintf(hwhy, sizeof(hwhy), "health = command (the default without pidfile)");
	else if (rt->health == SPC_RT_HEALTH_COMMAND)
		snprintf(hwhy, sizeof(hwhy), "health = command");
	else
		snprintf(hwhy, sizeof(hwhy), "health = %s (set health = command to use it)", rt_health_name(rt->health));
	if (rt_load_command(rt, "health_command",
			    rt->health == SPC_RT_HEALTH_COMMAND, hwhy,
			    &rt->health_command) != SUP_OK)
		ret = SUP_ERR;
	return ret;
}

static int rt_load_unit(struct spc_rtctl *rt)
{
	const char *search;
	int err;

	rt->unit = rt_get(rt, "unit");
	if (!rt->unit) {
		if (rt->control == SPC_RT_CONTROL_SYSTEMD)
			return rt->host->fail(rt->ctx, 0, "[runtime] unit: not set, but control = systemd needs it");
		if (rt->health == SPC_RT_HEALTH_SYSTEMD)
			return rt->host->fail(rt->ctx, 0, "[runtime] unit: not set, but health = systemd needs it");
		return SUP_OK;
	}
	if (!rt_is_unit_name(rt->unit))
		return rt->host->fail(rt->ctx, 0, "[runtime] unit: '%s' is not a systemd unit name", rt->unit);
	search = spc_cmd_search_path();
	err = spc_cmd_find_program("systemctl", search, &rt->systemctl);
	if (err == ENOMEM)
		return rt->host->fail(rt->ctx, err, "[runtime] unit: cannot look for systemctl");
	if (err)
		return rt->host->fail(rt->ctx, 0, "[runtime] unit: '%s' needs systemctl, which is not found in PATH '%s'", rt->unit, search);
	return SUP_OK;
}

static int rt_load_pidfile(struct spc_rtctl *rt)
{
	rt->pidfile = rt_get(rt, "pidfile");
	if (!rt->pidfile) {
		if (rt->health == SPC_RT_HEALTH_PIDFILE)
			return rt->host->fail(rt->ctx, 0, "[runtime] pidfile: not set, but health = pidfile needs it");
		return SUP_OK;
	}
	if (!rt_is_gateway_path(rt->pidfile))
		return rt->host->fail(rt->ctx, 0, "[runtime] pidfile: '%s' is not an absolute gateway path without '..'", rt->pidfile);
	if (!SUP_HOST_HAS(rt->host, path_parent))
		return rt->host->fail(rt->ctx, 0, "[runtime] pidfile: this installer lacks path_parent (plugin ABI 1.1)");
	if (rt->host->resolve_path(rt->ctx, rt->pidfile, SUP_PATH_FOLLOW_LAST,
				   &rt->pidfile_host) != SUP_OK) {
		rt->pidfile_host = NULL;
		return SUP_ERR;
	}
	return SUP_OK;
}

int spc_rtctl_load(struct spc_rtctl *rt, const struct sup_host_api *host,
		   struct sup_action_ctx *ctx)
{
	bool any = false, health_defaulted = false;
	int ret = SUP_OK;

	memset(rt, 0, sizeof(*rt));
	rt->host = host;
	rt->ctx = ctx;
	if (!SUP_HOST_HAS(host, product_get))
		return host->fail(ctx, 0, "this installer does not pass product settings to plugins (no product_get in its plugin API)");
	for (size_t i = 0; rt_keys[i] && !any; i++)
		any = rt_get(rt, rt_keys[i]) != NULL;
	if (!any)
		return host->fail(ctx, 0, "product profile has no [runtime] section: set control and start_command/stop_command (see docs/config.md)");

	/* The other keys are checked against control and health. */
	if (rt_load_control(rt) != SUP_OK ||
	    rt_load_health(rt, &health_defaulted) != SUP_OK) {
		ret = SUP_ERR;
	} else {
		if (rt_load_commands(rt, health_defaulted) != SUP_OK)
			ret = SUP_ERR;
		if (rt_load_unit(rt) != SUP_OK)
			ret = SUP_ERR;
		if (rt_load_pidfile(rt) != SUP_OK)
			ret = SUP_ERR;
	}
	if (rt_load_num(rt, "start_timeout_s", SPC_RT_TIMEOUT_S_DEFAULT, 1,
			SPC_RT_TIMEOUT_S_MAX, 1000,
			&rt->start_timeout_ms) != SUP_OK)
		ret = SUP_ERR;
	if (rt_load_num(rt, "stop_timeout_s", SPC_RT_TIMEOUT_S_DEFAULT, 1,
			SPC_RT_TIMEOUT_S_MAX, 1000,
			&rt->stop_timeout_ms) != SUP_OK)
		ret = SUP_ERR;
	if (rt_load_num(rt, "poll_interval_ms", SPC_RT_POLL_MS_DEFAULT,
			SPC_RT_POLL_MS_MIN, SPC_RT_POLL_MS_MAX, 1,
			&rt->poll_interval_ms) != SUP_OK)
		ret = SUP_ERR;
	return ret;
}

void spc_rtctl_release(struct spc_rtctl *rt)
{
	if (rt->host)
		rt->host->free(rt->pidfile_host);
	free(rt->systemctl);
	rt->pidfile_host = NULL;
	rt->systemctl = NULL;
}

/* --- probes ------------------------------------------------------------- */

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

/* A pid and white space; 0 if the text is anything else. */
static long rt_parse_pid(const char *s)
{
	long pid = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (pid > (INT_MAX - (*s - '0')) / 10)
			return 0;
		pid = pid * 10 + (*s - '0');
	}
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return *s ? 0 : pid;
}

/*
 * Is the pidfile's directory there? Told by its path under the root only
 * so that a missing one (a runtime directory removed at stop) means "no
 * pidfile" instead of a failed walk, which host->path_parent() records as
 * the action's failure. The pidfile itself is opened by descriptor.
 */
static bool rt_pidfile_dir_there(const struct spc_rtctl *rt)
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
 * RT_YES: the pidfile holds a live pid; RT_NO: no pidfile, or its pid is
 * dead; RT_UNKNOWN: it cannot be read or holds no pid. Its directory is
 * walked from the root (host->path_parent(): links of other users and
 * unsafe path transitions refused, and recorded, once: the walk is not
 * tried again), the file opened in it without following a link or
 * blocking on a fifo.
 */
static void rt_probe_pidfile(struct spc_rtctl *rt, struct rt_seen *s)
{
	char buf[RT_PIDFILE_MAX + 1];
	struct stat st;
	char *name = NULL;
	ssize_t n;
	long pid;
	int dfd, fd, err;

	if (!rt->pidfile_refused && !rt_pidfile_dir_there(rt)) {
		rt_seen_set(s, RT_NO, "no pidfile '%s'", rt->pidfile);
		return;
	}
	if (rt->pidfile_refused ||
	    rt->host->path_parent(rt->ctx, rt->pidfile, SUP_PATH_FOLLOW_LAST,
				  &dfd, &name) != SUP_OK) {
		rt->pidfile_refused = true;
		rt_seen_set(s, RT_UNKNOWN, "cannot reach pidfile '%s'", rt->pidfile);
		return;
	}
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	err = fd < 0 ? errno : 0;
	close(dfd);
	rt->host->free(name);
	if (err == ENOENT || err == ENOTDIR) {
		rt_seen_set(s, RT_NO, "no pidfile '%s'", rt->pidfile);
		return;
	}
	if (err) {
		rt_seen_set(s, RT_UNKNOWN, "cannot read pidfile '%s': %s", rt->pidfile, strerror(err));
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		rt_seen_set(s, RT_UNKNOWN, "pidfile '%s' is not a regular file", rt->pidfile);
		return;
	}
	do {
		n = read(fd, buf, RT_PIDFILE_MAX + 1);
	} while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0) {
		rt_seen_set(s, RT_UNKNOWN, "cannot read pidfile '%s': %s", rt->pidfile, strerror(errno));
		return;
	}
	buf[n > RT_PIDFILE_MAX ? RT_PIDFILE_MAX : n] = '\0';
	pid = n > RT_PIDFILE_MAX || memchr(buf, '\0', (size_t)n) ?
		      0 : rt_parse_pid(buf);
	if (pid <= 0) {
		rt_seen_set(s, RT_UNKNOWN, "pidfile '%s' does not hold a pid", rt->pidfile);
		return;
	}
	if (!rt_pid_alive(pid)) {
		rt_seen_set(s, RT_NO, "pid %ld from pidfile '%s' is not running", pid, rt->pidfile);
		return;
	}
	s->verdict = RT_YES;
	s->pid = pid;
	free(s->what);
	s->what = NULL;
}

/* Command timeout of a probe: what is left of the wait, but enough for a
 * last look at the deadline. */
static int64_t rt_probe_timeout(int64_t deadline)
{
	int64_t left = deadline - rt_now_ms();

	return left > RT_PROBE_MIN_MS ? left : RT_PROBE_MIN_MS;
}

/* Run systemctl with args into *cap; SUP_OK if it exited 0. */
static int rt_systemctl(const struct spc_rtctl *rt, const char *verb,
			const char *opt1, const char *opt2, int64_t deadline,
			struct rt_capture *cap, struct spc_cmd_result *res)
{
	const char *argv[6] = { "systemctl", verb };
	size_t n = 2;
	struct spc_cmd cmd = {
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
	return spc_cmd_run(rt->host, rt->ctx, &cmd, res);
}

/* The first line of cap if it is a word of [a-z-], else "". */
static void rt_capture_word(const struct rt_capture *cap, char *out,
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
 * pid. s->verdict is left RT_UNKNOWN when the state cannot be told. */
static void rt_probe_unit(const struct spc_rtctl *rt, int64_t deadline,
			  char *state, size_t len, struct rt_seen *s)
{
	struct rt_capture *cap;
	struct spc_cmd_result res;
	char desc[SPC_CMD_DESC_LEN];
	char line[RT_SYSTEMCTL_KEEP + 1];
	size_t n;

	state[0] = '\0';
	s->verdict = RT_UNKNOWN;
	cap = malloc(sizeof(*cap));
	if (!cap) {
		rt_seen_set(s, RT_UNKNOWN, "cannot ask systemd about unit '%s': %s", rt->unit, strerror(ENOMEM));
		return;
	}
	/* is-active exits non-zero for every state but active. */
	rt_systemctl(rt, "is-active", NULL, NULL, deadline, cap, &res);
	rt_capture_word(cap, state, len);
	if (res.end != SPC_CMD_EXITED || state[0] == '\0') {
		/* Its first line says why ("Failed to connect to bus"). */
		for (n = 0; n < cap->len && cap->buf[n] != '\n'; n++)
			line[n] = cap->buf[n] >= ' ' && cap->buf[n] < 127 ?
					     cap->buf[n] : '?';
		line[n] = '\0';
		spc_cmd_describe(&res, desc, sizeof(desc));
		if (n)
			rt_seen_set(s, RT_UNKNOWN, "'systemctl is-active %s' %s: %s", rt->unit, desc, line);
		else
			rt_seen_set(s, RT_UNKNOWN, "'systemctl is-active %s' %s", rt->unit, desc);
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
	rt_seen_set(s, RT_UNKNOWN, "unit '%s' is %s", rt->unit, state);
out:
	free(cap);
}

/* Run the health command; its output tail goes to *cap. */
static void rt_probe_health_command(const struct spc_rtctl *rt,
				    int64_t deadline, struct rt_capture *cap,
				    struct rt_seen *s,
				    struct spc_cmd_result *res)
{
	struct spc_cmd cmd = {
		.script = rt->health_command,
		.timeout_ms = rt_probe_timeout(deadline),
		.sink = rt_capture_sink,
		.sink_data = cap,
	};
	char desc[SPC_CMD_DESC_LEN];

	cap->len = 0;
	cap->cap = RT_OUTPUT_KEEP;
	cap->tail = true;
	spc_cmd_run(rt->host, rt->ctx, &cmd, res);
	rt_seen_set(s, RT_UNKNOWN, "health command %s",
		    spc_cmd_describe(res, desc, sizeof(desc)));
}

/* The pid from the pidfile, for messages only. */
static void rt_pid_from_pidfile(struct spc_rtctl *rt,
				struct rt_seen *s)
{
	struct rt_seen p = { 0 };

	if (!rt->pidfile_host)
		return;
	rt_probe_pidfile(rt, &p);
	if (p.verdict == RT_YES)
		s->pid = p.pid;
	rt_seen_release(&p);
}

/* Is the runtime healthy? cap (may be NULL) receives the health
 * command's output. */
static void rt_look_healthy(struct spc_rtctl *rt, int64_t deadline,
			    struct rt_capture *cap, struct rt_seen *s)
{
	struct spc_cmd_result res;
	char state[RT_STATE_MAX];

	rt_seen_release(s);
	switch (rt->health) {
	case SPC_RT_HEALTH_PIDFILE:
		rt_probe_pidfile(rt, s);
		if (s->verdict == RT_UNKNOWN)
			s->verdict = RT_NO;
		break;
	case SPC_RT_HEALTH_SYSTEMD:
		rt_probe_unit(rt, deadline, state, sizeof(state), s);
		s->verdict = strcmp(state, "active") == 0 ? RT_YES : RT_NO;
		break;
	case SPC_RT_HEALTH_COMMAND:
		if (cap) {
			rt_probe_health_command(rt, deadline, cap, s, &res);
		} else {
			struct rt_capture *tmp = malloc(sizeof(*tmp));

			if (!tmp) {
				rt_seen_set(s, RT_NO, "cannot run the health command: %s", strerror(ENOMEM));
				return;
			}
			rt_probe_health_command(rt, deadline, tmp, s, &res);
			free(tmp);
		}
		s->verdict = res.end == SPC_CMD_EXITED && res.status == 0 ?
				     RT_YES : RT_NO;
		rt_pid_from_pidfile(rt, s);
		break;
	}
}

/* Is the runtime down? RT_UNKNOWN counts as no. */
static void rt_look_down(struct spc_rtctl *rt, int64_t deadline,
			 struct rt_seen *s)
{
	struct spc_cmd_result res;
	struct rt_capture *cap;
	char state[RT_STATE_MAX];

	rt_seen_release(s);
	if (rt->unit) {
		rt_probe_unit(rt, deadline, state, sizeof(state), s);
		if (state[0])
			s->verdict = strcmp(state, "inactive") == 0 ||
					     strcmp(state, "failed") == 0 ?
					     RT_YES : RT_NO;
		return;
	}
	if (rt->pidfile_host) {
		rt_probe_pidfile(rt, s);
		/* Alive is "not down"; no pidfile is down. */
		if (s->verdict != RT_UNKNOWN)
			s->verdict = s->verdict == RT_YES ? RT_NO : RT_YES;
		return;
	}
	cap = malloc(sizeof(*cap));
	if (!cap) {
		rt_seen_set(s, RT_UNKNOWN, "cannot run the health command: %s", strerror(ENOMEM));
		return;
	}
	rt_probe_health_command(rt, deadline, cap, s, &res);
	free(cap);
	if (res.end == SPC_CMD_EXITED)
		s->verdict = res.status != 0 ? RT_YES : RT_NO;
}

bool spc_rtctl_is_healthy(struct spc_rtctl *rt, long *pid, char **seen)
{
	struct rt_seen s = { 0 };
	bool yes;

	rt_look_healthy(rt, rt_now_ms() + rt->start_timeout_ms, NULL, &s);
	yes = s.verdict == RT_YES;
	if (pid)
		*pid = s.pid;
	if (seen) {
		*seen = s.what;
		s.what = NULL;
	}
	rt_seen_release(&s);
	return yes;
}

bool spc_rtctl_is_down(struct spc_rtctl *rt, long *pid, char **seen)
{
	struct rt_seen s = { 0 };
	bool yes;

	rt_look_down(rt, rt_now_ms() + rt->stop_timeout_ms, &s);
	yes = s.verdict == RT_YES;
	if (pid)
		*pid = s.pid;
	if (seen) {
		*seen = s.what;
		s.what = NULL;
	}
	rt_seen_release(&s);
	return yes;
}

/* --- stop and start ----------------------------------------------------- */

/*
 * How long to wait: want, or less when the action's time runs out first
 * (then *capped), keeping a margin to report the failure.
 */
static int64_t rt_budget(const struct spc_rtctl *rt, int64_t want,
			 bool *capped)
{
	int64_t left = rt->host->time_left_ms(rt->ctx), margin;

	*capped = false;
	if (left < 0)
		return want;
	margin = left / 10 < RT_MARGIN_MAX_MS ? left / 10 : RT_MARGIN_MAX_MS;
	if (left - margin < want) {
		*capped = true;
		return left - margin;
	}
	return want;
}

/* Said after the time waited when the action's time cut the wait. */
static const char *rt_capped_text(bool capped)
{
	return capped ? ", when the action's time was up" : "";
}

/* Run the start or stop command with what is left until deadline; how it
 * ended goes to *res, nothing is recorded. */
static int rt_control_run(const struct spc_rtctl *rt, bool start,
			  int64_t deadline, struct spc_cmd_result *res)
{
	const char *verb = start ? "start" : "stop";
	const char *argv[] = { "systemctl", verb, rt->unit, NULL };
	struct spc_cmd cmd = { .timeout_ms = deadline - rt_now_ms() };
	char secs[32];

	if (cmd.timeout_ms < 0)
		cmd.timeout_ms = 0;
	if (rt->control == SPC_RT_CONTROL_COMMANDS) {
		cmd.script = start ? rt->start_command : rt->stop_command;
		rt->host->log(rt->ctx, SUP_LOG_INFO, "running the %s command: %s", verb, cmd.script);
	} else {
		cmd.path = rt->systemctl;
		cmd.argv = argv;
		rt->host->log(rt->ctx, SUP_LOG_INFO, "running 'systemctl %s %s'", verb, rt->unit);
	}
	if (spc_cmd_run(rt->host, rt->ctx, &cmd, res) != SUP_OK)
		return SUP_ERR;
	if (res->output_left_open)
		rt->host->log(rt->ctx, SUP_LOG_WARNING, "the %s command left processes that keep its output open; their output is not captured", verb);
	rt->host->log(rt->ctx, SUP_LOG_INFO, "the %s command exited with status 0 in %s", verb, spc_cmd_secs(res->elapsed_ms, secs, sizeof(secs)));
	return SUP_OK;
}

/* Record how the start or stop command failed. */
static int rt_control_fail(const struct spc_rtctl *rt, bool start,
			   const struct spc_cmd_result *res, const char *lead)
{
	const char *verb = start ? "start" : "stop";
	char desc[SPC_CMD_DESC_LEN];

	spc_cmd_describe(res, desc, sizeof(desc));
	if (rt->control == SPC_RT_CONTROL_COMMANDS)
		return rt->host->fail(rt->ctx, 0, "%s%s command %s", lead, verb, desc);
	return rt->host->fail(rt->ctx, 0, "%s'systemctl %s %s' %s", lead, verb, rt->unit, desc);
}

/* " (pid 4242)" or "". */
static const char *rt_pid_text(long pid, char *buf, size_t len)
{
	if (pid > 0)
		snprintf(buf, len, " (pid %ld)", pid);
	else
		buf[0] = '\0';
	return buf;
}

int spc_rtctl_stop(struct spc_rtctl *rt)
{
	struct rt_seen s = { 0 };
	struct spc_cmd_result res;
	char secs[32], pidt[40];
	int64_t start = rt_now_ms(), budget, deadline;
	bool capped;
	long pid0;
	int ret = SUP_ERR;

	budget = rt_budget(rt, rt->stop_timeout_ms, &capped);
	deadline = start + budget;
	rt_look_down(rt, deadline, &s);
	/* Recorded: its path leads nowhere the runtime can be watched. */
	if (rt->pidfile_refused)
		goto out;
	if (s.verdict == RT_YES) {
		spc_say(rt->host, rt->ctx, "runtime already down (%s): nothing to stop", s.what ? s.what : "as seen");
		ret = SUP_OK;
		goto out;
	}
	pid0 = s.pid;
	rt->host->log(rt->ctx, SUP_LOG_INFO, "stopping the runtime%s%s%s", rt_pid_text(pid0, pidt, sizeof(pidt)), s.what ? ": " : "", s.what ? s.what : "");
	/* The wait starts with the stop command, within the time left. */
	budget = rt_budget(rt, rt->stop_timeout_ms, &capped);
	start = rt_now_ms();
	deadline = start + budget;
	if (rt_control_run(rt, false, deadline, &res) != SUP_OK) {
		rt_control_fail(rt, false, &res, "");
		goto out;
	}
	for (;;) {
		rt_look_down(rt, deadline, &s);
		if (s.verdict == RT_YES)
			break;
		if (s.pid > 0)
			pid0 = s.pid;
		if (rt_now_ms() >= deadline) {
			spc_cmd_secs(budget, secs, sizeof(secs));
			rt_pid_text(s.pid, pidt, sizeof(pidt));
			if (s.verdict == RT_UNKNOWN)
				rt->host->fail(rt->ctx, 0, "runtime not seen down%s %s after the stop command%s: %s", pidt, secs, rt_capped_text(capped), s.what ? s.what : "unknown state");
			else if (s.what)
				rt->host->fail(rt->ctx, 0, "runtime still running%s %s after the stop command%s: %s", pidt, secs, rt_capped_text(capped), s.what);
			else
				rt->host->fail(rt->ctx, 0, "runtime still running%s %s after the stop command%s", pidt, secs, rt_capped_text(capped));
			goto out;
		}
		rt_sleep_ms(deadline - rt_now_ms() < rt->poll_interval_ms ?
				    deadline - rt_now_ms() :
				    rt->poll_interval_ms);
	}
	spc_say(rt->host, rt->ctx,
		"runtime stopped%s %s after the stop command: %s",
		rt_pid_text(pid0, pidt, sizeof(pidt)),
		spc_cmd_secs(rt_now_ms() - start, secs, sizeof(secs)),
		s.what ? s.what : "down");
	ret = SUP_OK;
out:
	rt_seen_release(&s);
	return ret;
}

/* Pass the health command's last output on, once. */
static void rt_output_capture(const struct spc_rtctl *rt,
			      const struct rt_capture *cap)
{
	if (!cap->len)
		return;
	rt->host->output(rt->ctx, cap->buf, cap->len);
	if (cap->buf[cap->len - 1] != '\n')
		rt->host->output(rt->ctx, "\n", 1);
}

/* Poll until healthy or st->budget_ms from start (when the wait began):
 * the verdict into *st, nothing recorded; the health command's last
 * output goes to the action's output once. cap may be NULL. */
static void rt_poll_healthy(struct spc_rtctl *rt, int64_t start,
			    struct rt_capture *cap, struct spc_rtctl_start *st)
{
	struct rt_seen s = { 0 };
	int64_t deadline = start + st->budget_ms;

	for (;;) {
		rt_look_healthy(rt, deadline, cap, &s);
		if (s.verdict == RT_YES || rt_now_ms() >= deadline)
			break;
		rt_sleep_ms(deadline - rt_now_ms() < rt->poll_interval_ms ?
				    deadline - rt_now_ms() :
				    rt->poll_interval_ms);
	}
	if (cap)
		rt_output_capture(rt, cap);
	st->healthy = s.verdict == RT_YES;
	st->pid = s.pid;
	st->seen = s.what;
	s.what = NULL;
	st->elapsed_ms = rt_now_ms() - start;
	rt_seen_release(&s);
}

/* Record the verdict of a wait: "runtime healthy (pid 4318) 2.214 s
 * <since>", or "<lead><subject> did not become healthy within ...". */
static int rt_healthy_verdict(const struct spc_rtctl *rt,
			      const struct spc_rtctl_start *st,
			      const char *since, const char *lead,
			      const char *subject)
{
	char secs[32], pidt[40];

	if (!st->healthy)
		return rt->host->fail(rt->ctx, 0, "%s%s did not become healthy within %s%s: %s", lead, subject, spc_cmd_secs(st->budget_ms, secs, sizeof(secs)), rt_capped_text(st->capped), st->seen ? st->seen : "unknown state");
	spc_say(rt->host, rt->ctx, "runtime healthy%s %s %s",
		rt_pid_text(st->pid, pidt, sizeof(pidt)),
		spc_cmd_secs(st->elapsed_ms, secs, sizeof(secs)), since);
	return SUP_OK;
}

/* The start command, then the wait until healthy, want ms at most (less
 * if the action's time runs out first): into *st, nothing recorded. */
static int rt_start_run(struct spc_rtctl *rt, int64_t want,
			struct rt_capture *cap, struct spc_rtctl_start *st)
{
	int64_t start;

	memset(st, 0, sizeof(*st));
	/* The wait starts with the start command, within the time left. */
	st->budget_ms = rt_budget(rt, want, &st->capped);
	start = rt_now_ms();
	if (rt_control_run(rt, true, start + st->budget_ms, &st->cmd) !=
	    SUP_OK) {
		st->elapsed_ms = rt_now_ms() - start;
		return SUP_ERR;
	}
	st->started = true;
	rt_poll_healthy(rt, start, cap, st);
	return st->healthy ? SUP_OK : SUP_ERR;
}

void spc_rtctl_start_release(struct spc_rtctl_start *st)
{
	free(st->seen);
	st->seen = NULL;
}

int spc_rtctl_start_seen(struct spc_rtctl *rt, int64_t timeout_ms,
			 struct spc_rtctl_start *st)
{
	/* Without memory for the capture, the health output is not kept. */
	struct rt_capture *cap = calloc(1, sizeof(*cap));
	int ret;

	ret = rt_start_run(rt, timeout_ms > 0 ? timeout_ms :
						rt->start_timeout_ms,
			   cap, st);
	free(cap);
	return ret;
}

int spc_rtctl_wait_healthy(struct spc_rtctl *rt, int64_t timeout_ms)
{
	struct spc_rtctl_start st = { .started = true };
	struct rt_capture *cap;
	int ret;

	cap = calloc(1, sizeof(*cap));
	if (!cap)
		return rt->host->fail(rt->ctx, ENOMEM, "cannot watch the runtime");
	st.budget_ms = rt_budget(rt, timeout_ms > 0 ? timeout_ms :
						   rt->start_timeout_ms,
				 &st.capped);
	rt_poll_healthy(rt, rt_now_ms(), cap, &st);
	ret = rt_healthy_verdict(rt, &st, "after waiting", "", "runtime");
	spc_rtctl_start_release(&st);
	free(cap);
	return ret;
}

int spc_rtctl_start(struct spc_rtctl *rt, int64_t timeout_ms)
{
	return spc_rtctl_start_as(rt, timeout_ms, "", "runtime");
}

int spc_rtctl_start_as(struct spc_rtctl *rt, int64_t timeout_ms,
		       const char *lead, const char *subject)
{
	struct rt_seen s = { 0 };
	struct spc_rtctl_start st = { 0 };
	struct rt_capture *cap;
	int64_t budget, want;
	char pidt[40];
	bool capped;
	int ret = SUP_ERR;

	cap = calloc(1, sizeof(*cap));
	if (!cap)
		return rt->host->fail(rt->ctx, ENOMEM, "cannot start the runtime");
	want = timeout_ms > 0 ? timeout_ms : rt->start_timeout_ms;
	budget = rt_budget(rt, want, &capped);
	rt_look_healthy(rt, rt_now_ms() + budget, cap, &s);
	/* Recorded: its path leads nowhere the runtime can be watched. */
	if (rt->pidfile_refused)
		goto out;
	if (s.verdict == RT_YES) {
		rt_output_capture(rt, cap);
		spc_say(rt->host, rt->ctx,
			"runtime already healthy%s: nothing to start",
			rt_pid_text(s.pid, pidt, sizeof(pidt)));
		ret = SUP_OK;
		goto out;
	}
	rt->host->log(rt->ctx, SUP_LOG_INFO, "starting the runtime: %s", s.what ? s.what : "not healthy");
	if (rt_start_run(rt, want, cap, &st) == SUP_OK || st.started)
		ret = rt_healthy_verdict(rt, &st, "after the start command",
					 lead, subject);
	else
		rt_control_fail(rt, true, &st.cmd, lead);
out:
	spc_rtctl_start_release(&st);
	rt_seen_release(&s);
	free(cap);
	return ret;
}
