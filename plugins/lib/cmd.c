/* SPDX-License-Identifier: MIT */
/*
 * cmd.c - run a host command for a plugin (see cmd.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "util.h"

#define CMD_SHELL "/bin/sh"
/* What dash, Debian's /bin/sh, searches when PATH is unset. */
#define CMD_DEFAULT_PATH \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* From SIGTERM to SIGKILL of the command's group on timeout. */
#define CMD_KILL_GRACE_MS 5000
/* The same when the installer stops us: it SIGKILLs us 5 s after its
 * SIGTERM, and the command must be gone by then. */
#define CMD_STOP_GRACE_MS 2000
/* Output still read after the command exited, for what its background
 * processes write right then. */
#define CMD_DRAIN_MS 200
/* Longest sleep of the wait loop, whatever the deadlines. */
#define CMD_POLL_MAX_MS 1000
#define CMD_READ_BUF 16384
/* Descriptors marked close-on-exec when close_range() is unavailable. */
#define CMD_FD_SCAN_MAX 1048576

/* What the child reports on its error pipe when it cannot exec. */
struct cmd_child_err {
	int stage; /* enum spl_cmd_stage */
	int err;
};

/* What the forked child needs; all prepared before fork(). */
struct cmd_spawn {
	const char *path;
	char *const *argv;
	char *const *envp;
	const char *cwd;
	int cwd_fd; /* -1: chdir(cwd) */
	pid_t parent;
	int null_fd;
	int out_w;
	int err_w;
};

/* The running command, as the wait loop sees it. */
struct cmd_proc {
	pid_t pid;
	int out_fd; /* output read end, -1 at end of file */
	int err_fd; /* error pipe read end, -1 at end of file */
	struct cmd_child_err cerr;
	bool has_cerr;
	bool exited;
	bool timed_out;
	bool term_sent;
	bool kill_sent;
	int stop_sig;
	int64_t kill_at_ms;
	int64_t drain_until_ms;
	int wait_err;
};

/* The command's environment: envp points into environ, the caller's env
 * and owned[], which holds the SUP_* entries built here. */
struct cmd_env {
	char **envp;
	char *owned[3];
};

struct cmd_envvar {
	const char *entry;
	size_t name_len;
	size_t order; /* of equal names, the highest wins */
};

static const int cmd_stop_signals[] = { SIGTERM, SIGINT, SIGHUP };
#define CMD_STOP_SIGNALS \
	(sizeof(cmd_stop_signals) / sizeof(cmd_stop_signals[0]))

struct cmd_sigstate {
	sigset_t old_mask;
	struct sigaction old_chld;
	struct sigaction old_stop[CMD_STOP_SIGNALS];
	bool hooked[CMD_STOP_SIGNALS];
};

/* Set by the stop signal handler: a handler can reach no other state. */
static volatile sig_atomic_t cmd_stop_caught;

/* a + sep + b, malloc'd; NULL with errno set. */
static char *cmd_join3(const char *a, const char *sep, const char *b)
{
	size_t la = strlen(a), ls = strlen(sep), lb = strlen(b);
	char *s;

	if (la > SIZE_MAX - ls || la + ls > SIZE_MAX - lb - 1) {
		errno = EOVERFLOW;
		return NULL;
	}
	s = malloc(la + ls + lb + 1);
	if (!s)
		return NULL;
	memcpy(s, a, la);
	memcpy(s + la, sep, ls);
	memcpy(s + la + ls, b, lb + 1);
	return s;
}

static int cmd_envvar_cmp(const void *a, const void *b)
{
	const struct cmd_envvar *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->entry, y->entry, n);

	if (c)
		return c;
	if (x->name_len != y->name_len)
		return x->name_len < y->name_len ? -1 : 1;
	return x->order < y->order ? -1 : (x->order > y->order);
}

static void cmd_env_release(struct cmd_env *env)
{
	for (size_t i = 0; i < 3; i++)
		free(env->owned[i]);
	free(env->envp);
	memset(env, 0, sizeof(*env));
}

/* Append entry ("NAME=value") to vars unless it has no name. */
static void cmd_envvar_add(struct cmd_envvar *vars, size_t *n,
			   const char *entry)
{
	const char *eq = strchr(entry, '=');

	if (!eq || eq == entry)
		return;
	vars[*n].entry = entry;
	vars[*n].name_len = (size_t)(eq - entry);
	vars[*n].order = *n;
	(*n)++;
}

/*
 * The inherited environment, overridden by add, overridden by the SUP_*
 * variables. Sorting keeps this O(n log n) for a long env list. Returns 0
 * or an errno value.
 */
static int cmd_env_build(const struct sup_host_api *host,
			 struct sup_action_ctx *ctx, const char *const *add,
			 struct cmd_env *env)
{
	static const char *const sup_names[3] = {
		"SUP_ROOT", "SUP_ACTION_ID", "SUP_STAGING_DIR"
	};
	const char *sup_values[3] = {
		host->root_dir(ctx), host->action_id(ctx),
		host->staging_dir(ctx)
	};
	struct cmd_envvar *vars = NULL;
	size_t inherited = 0, added = 0, max, n = 0, out = 0;
	int err = 0;

	memset(env, 0, sizeof(*env));
	while (environ && environ[inherited])
		inherited++;
	while (add && add[added])
		added++;
	if (added > SIZE_MAX / sizeof(*vars) - inherited - 4) {
		err = EOVERFLOW;
		goto out;
	}
	max = inherited + added + 3;
	vars = calloc(max, sizeof(*vars));
	env->envp = calloc(max + 1, sizeof(*env->envp));
	if (!vars || !env->envp) {
		err = ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < inherited; i++)
		cmd_envvar_add(vars, &n, environ[i]);
	for (size_t i = 0; i < added; i++)
		cmd_envvar_add(vars, &n, add[i]);
	for (size_t i = 0; i < 3; i++) {
		if (!sup_values[i])
			continue;
		env->owned[i] = cmd_join3(sup_names[i], "=", sup_values[i]);
		if (!env->owned[i]) {
			err = errno;
			goto out;
		}
		cmd_envvar_add(vars, &n, env->owned[i]);
	}
	qsort(vars, n, sizeof(*vars), cmd_envvar_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && vars[i].name_len == vars[i + 1].name_len &&
		    memcmp(vars[i].entry, vars[i + 1].entry,
			   vars[i].name_len) == 0)
			continue;
		/* execve() takes char *const[], yet never writes. */
		env->envp[out++] = (char *)vars[i].entry;
	}
	env->envp[out] = NULL;
out:
	free(vars);
	if (err)
		cmd_env_release(env);
	return err;
}

static void cmd_on_stop(int sig)
{
	cmd_stop_caught = sig;
}

static void cmd_on_chld(int sig)
{
	(void)sig;
}

/*
 * Block SIGCHLD and the stop signals, and let them in only inside ppoll()
 * (*wait_mask), so that none is lost between a check and the wait. A stop
 * signal the plugin ignores stays ignored.
 */
static int cmd_signals_setup(struct cmd_sigstate *st, sigset_t *wait_mask)
{
	struct sigaction sa;
	sigset_t block;

	memset(st, 0, sizeof(*st));
	cmd_stop_caught = 0;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	for (size_t i = 0; i < CMD_STOP_SIGNALS; i++)
		sigaddset(&block, cmd_stop_signals[i]);
	if (sigprocmask(SIG_BLOCK, &block, &st->old_mask) != 0)
		return errno;
	*wait_mask = st->old_mask;
	sigdelset(wait_mask, SIGCHLD);

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = cmd_on_chld;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, &st->old_chld);
	sa.sa_handler = cmd_on_stop;
	sa.sa_flags = 0;
	for (size_t i = 0; i < CMD_STOP_SIGNALS; i++) {
		int sig = cmd_stop_signals[i];

		if (sigaction(sig, NULL, &st->old_stop[i]) != 0 ||
		    st->old_stop[i].sa_handler == SIG_IGN)
			continue;
		if (sigaction(sig, &sa, NULL) == 0) {
			st->hooked[i] = true;
			sigdelset(wait_mask, sig);
		}
	}
	return 0;
}

static void cmd_signals_restore(struct cmd_sigstate *st)
{
	sigaction(SIGCHLD, &st->old_chld, NULL);
	for (size_t i = 0; i < CMD_STOP_SIGNALS; i++) {
		if (st->hooked[i])
			sigaction(cmd_stop_signals[i], &st->old_stop[i], NULL);
	}
	sigprocmask(SIG_SETMASK, &st->old_mask, NULL);
}

/* Mark every descriptor from 3 up close-on-exec (async-signal-safe). */
static void cmd_cloexec_from_3(void)
{
	struct rlimit rl;
	rlim_t max = CMD_FD_SCAN_MAX;

	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < max)
		max = rl.rlim_cur;
	for (rlim_t fd = 3; fd < max; fd++)
		fcntl((int)fd, F_SETFD, FD_CLOEXEC);
}

/* In the forked child: async-signal-safe calls only. A failure goes to
 * the error pipe, which a successful exec closes. */
__attribute__((noreturn)) static void cmd_child(const struct cmd_spawn *sp)
{
	struct cmd_child_err ce = { .stage = SPL_CMD_STAGE_SETUP };
	struct sigaction sa;
	sigset_t none;
	int err_w = sp->err_w, in, out, cwd_fd = -1;

	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != sp->parent)
		_exit(127);
	/* Default dispositions and an empty mask, whatever the plugin
	 * ignores (an ignored SIGPIPE would break shell pipelines). */
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* Move every descriptor above 2 first: one of them may be 0, 1 or 2
	 * if the plugin runs with a standard descriptor closed. */
	err_w = fcntl(sp->err_w, F_DUPFD_CLOEXEC, 3);
	if (err_w < 0) {
		err_w = sp->err_w;
		goto fail;
	}
	in = fcntl(sp->null_fd, F_DUPFD_CLOEXEC, 3);
	out = fcntl(sp->out_w, F_DUPFD_CLOEXEC, 3);
	if (in < 0 || out < 0)
		goto fail;
	if (sp->cwd_fd >= 0) {
		cwd_fd = fcntl(sp->cwd_fd, F_DUPFD_CLOEXEC, 3);
		if (cwd_fd < 0)
			goto fail;
	}
	if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(out, STDERR_FILENO) < 0)
		goto fail;
	/* The installer's descriptors (the package, its report pipe) are
	 * none of the command's business, nor of a daemon it starts. */
	cmd_cloexec_from_3();

	ce.stage = SPL_CMD_STAGE_CHDIR;
	if (cwd_fd >= 0 ? fchdir(cwd_fd) != 0 : chdir(sp->cwd) != 0)
		goto fail;
	ce.stage = SPL_CMD_STAGE_EXEC;
	execve(sp->path, sp->argv, sp->envp);
fail:
	ce.err = errno;
	if (write(err_w, &ce, sizeof(ce)) != (ssize_t)sizeof(ce))
		_exit(127);
	_exit(127);
}

/* Has the command's first process exited? It is left a zombie, so that
 * its pid, the group id, is not reused while we may signal the group. */
static bool cmd_has_exited(pid_t pid)
{
	siginfo_t si;
	int rc;

	do {
		memset(&si, 0, sizeof(si));
		rc = waitid(P_PID, (id_t)pid, &si,
			    WEXITED | WNOHANG | WNOWAIT);
	} while (rc != 0 && errno == EINTR);
	return rc != 0 || si.si_pid == pid;
}

static void cmd_signal_group(const struct cmd_proc *p, int sig)
{
	kill(-p->pid, sig);
	if (sig == SIGTERM)
		kill(-p->pid, SIGCONT);
}

/* Enforce the deadlines and forward a stop signal to the command. */
static void cmd_wait_step(struct cmd_proc *p, int64_t deadline, int64_t now)
{
	if (!p->stop_sig && cmd_stop_caught) {
		p->stop_sig = cmd_stop_caught;
		if (p->term_sent && p->kill_at_ms > now + CMD_STOP_GRACE_MS)
			p->kill_at_ms = now + CMD_STOP_GRACE_MS;
	}
	if (p->exited) {
		/* Take down what ignored the SIGTERM with the leader gone. */
		if (p->term_sent && !p->kill_sent) {
			cmd_signal_group(p, SIGKILL);
			p->kill_sent = true;
		}
		return;
	}
	if (!p->term_sent &&
	    (p->stop_sig || (deadline >= 0 && now >= deadline))) {
		p->timed_out = !p->stop_sig;
		cmd_signal_group(p, SIGTERM);
		p->term_sent = true;
		p->kill_at_ms = now + (p->stop_sig ? CMD_STOP_GRACE_MS :
						     CMD_KILL_GRACE_MS);
	}
	if (p->term_sent && !p->kill_sent && now >= p->kill_at_ms) {
		cmd_signal_group(p, SIGKILL);
		p->kill_sent = true;
	}
}

/* Milliseconds ppoll() may sleep: until the next deadline, capped. */
static int64_t cmd_wait_ms(const struct cmd_proc *p, int64_t deadline,
			   int64_t now)
{
	int64_t next = now + CMD_POLL_MAX_MS;

	if (p->exited) {
		if (p->drain_until_ms < next)
			next = p->drain_until_ms;
	} else if (!p->term_sent) {
		if (deadline >= 0 && deadline < next)
			next = deadline;
	} else if (!p->kill_sent && p->kill_at_ms < next) {
		next = p->kill_at_ms;
	}
	return next > now ? next - now : 0;
}

/* Read what fd has; false once it is at end of file or broken. */
static bool cmd_read(const struct sup_host_api *host,
		     struct sup_action_ctx *ctx, const struct spl_cmd *cmd,
		     struct cmd_proc *p, int fd, char *buf)
{
	ssize_t n;

	if (fd == p->err_fd) {
		/* One report at most, written at once: nothing follows. */
		n = read(fd, &p->cerr, sizeof(p->cerr));
		if (n == (ssize_t)sizeof(p->cerr))
			p->has_cerr = true;
	} else {
		n = read(fd, buf, CMD_READ_BUF);
		if (n > 0) {
			if (cmd->sink)
				cmd->sink(cmd->sink_data, buf, (size_t)n);
			else
				host->output(ctx, buf, (size_t)n);
			return true;
		}
	}
	return n < 0 && (errno == EINTR || errno == EAGAIN);
}

/* Stream the output until the command exited and its output drained,
 * enforcing the deadline (-1: none). */
static void cmd_wait(const struct sup_host_api *host,
		     struct sup_action_ctx *ctx, const struct spl_cmd *cmd,
		     struct cmd_proc *p, int64_t deadline,
		     const sigset_t *wait_mask, char *buf)
{
	for (;;) {
		struct pollfd fds[2];
		struct timespec ts;
		int64_t now = spl_now_ms(), ms;
		nfds_t nfds = 0;

		if (!p->exited && cmd_has_exited(p->pid)) {
			p->exited = true;
			p->drain_until_ms = now + CMD_DRAIN_MS;
		}
		cmd_wait_step(p, deadline, now);
		if (p->exited && ((p->out_fd < 0 && p->err_fd < 0) ||
				  now >= p->drain_until_ms))
			return;
		if (p->out_fd >= 0)
			fds[nfds++] = (struct pollfd){ .fd = p->out_fd,
						       .events = POLLIN };
		if (p->err_fd >= 0)
			fds[nfds++] = (struct pollfd){ .fd = p->err_fd,
						       .events = POLLIN };
		ms = cmd_wait_ms(p, deadline, now);
		ts.tv_sec = (time_t)(ms / 1000);
		ts.tv_nsec = (long)(ms % 1000) * 1000000;
		if (ppoll(fds, nfds, &ts, wait_mask) < 0) {
			if (errno == EINTR)
				continue;
			p->wait_err = errno;
			return;
		}
		for (nfds_t i = 0; i < nfds; i++) {
			if (!fds[i].revents ||
			    cmd_read(host, ctx, cmd, p, fds[i].fd, buf))
				continue;
			close(fds[i].fd);
			if (fds[i].fd == p->out_fd)
				p->out_fd = -1;
			else
				p->err_fd = -1;
		}
	}
}

/* Reap the first process; 0 and its status, or -1 with errno set. */
static int cmd_reap(pid_t pid, int *status)
{
	pid_t rc;

	do {
		rc = waitpid(pid, status, 0);
	} while (rc < 0 && errno == EINTR);
	return rc == pid ? 0 : -1;
}

static void cmd_spawn_error(struct spl_cmd_result *res,
			    enum spl_cmd_stage stage, int err)
{
	res->end = SPL_CMD_SPAWN_ERROR;
	res->stage = stage;
	res->err = err;
}

/* The argv of a script: /bin/sh -c script args... (malloc'd array). */
static char **cmd_script_argv(const struct spl_cmd *cmd)
{
	size_t n = 0, i = 0;
	char **argv;

	while (cmd->args && cmd->args[n])
		n++;
	if (n > SIZE_MAX / sizeof(*argv) - 4) {
		errno = EOVERFLOW;
		return NULL;
	}
	argv = calloc(n + 4, sizeof(*argv));
	if (!argv)
		return NULL;
	/* execve() takes char *const[], yet never writes. */
	argv[i++] = (char *)CMD_SHELL;
	argv[i++] = (char *)"-c";
	argv[i++] = (char *)cmd->script;
	for (size_t k = 0; k < n; k++)
		argv[i++] = (char *)cmd->args[k];
	argv[i] = NULL;
	return argv;
}

static int64_t cmd_timeout(const struct sup_host_api *host,
			   struct sup_action_ctx *ctx,
			   const struct spl_cmd *cmd)
{
	int64_t timeout = cmd->timeout_ms < 0 ? -1 : cmd->timeout_ms;
	int64_t left = host->time_left_ms(ctx);

	if (left >= 0 && (timeout < 0 || left < timeout))
		timeout = left;
	/* A limit this far away is none, and must not overflow. */
	if (timeout > INT64_MAX / 4)
		timeout = -1;
	return timeout;
}

static void cmd_result_set(struct spl_cmd_result *res,
			   const struct cmd_proc *p, int status)
{
	if (p->has_cerr) {
		cmd_spawn_error(res, (enum spl_cmd_stage)p->cerr.stage,
				p->cerr.err);
	} else if (p->stop_sig) {
		res->end = SPL_CMD_STOPPED;
		res->status = p->stop_sig;
	} else if (p->timed_out) {
		res->end = SPL_CMD_TIMEOUT;
	} else if (WIFSIGNALED(status)) {
		res->end = SPL_CMD_SIGNALED;
		res->status = WTERMSIG(status);
	} else {
		res->end = SPL_CMD_EXITED;
		res->status = WEXITSTATUS(status);
	}
}

int spl_cmd_run(const struct sup_host_api *host, struct sup_action_ctx *ctx,
		const struct spl_cmd *cmd, struct spl_cmd_result *res)
{
	struct cmd_proc p = { .pid = -1, .out_fd = -1, .err_fd = -1 };
	struct cmd_spawn sp = { .cwd_fd = -1, .null_fd = -1, .out_w = -1,
				.err_w = -1 };
	struct cmd_env env = { 0 };
	struct cmd_sigstate sigst;
	sigset_t wait_mask;
	char **script_argv = NULL;
	char *buf = NULL;
	int64_t start, deadline = -1;
	bool signals_set = false;
	int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
	int err, status = 0;

	memset(res, 0, sizeof(*res));
	res->pid = -1;
	res->timeout_ms = cmd_timeout(host, ctx, cmd);
	start = spl_now_ms();

	if (cmd->script) {
		script_argv = cmd_script_argv(cmd);
		if (!script_argv) {
			cmd_spawn_error(res, SPL_CMD_STAGE_PREPARE, errno);
			goto out;
		}
		sp.path = CMD_SHELL;
		sp.argv = script_argv;
	} else if (cmd->path && cmd->argv && cmd->argv[0]) {
		sp.path = cmd->path;
		sp.argv = (char *const *)cmd->argv;
	} else {
		cmd_spawn_error(res, SPL_CMD_STAGE_PREPARE, EINVAL);
		goto out;
	}
	err = cmd_env_build(host, ctx, cmd->env, &env);
	if (err) {
		cmd_spawn_error(res, SPL_CMD_STAGE_ENV, err);
		goto out;
	}
	sp.envp = env.envp;
	sp.cwd = cmd->cwd ? cmd->cwd : "/";
	if (cmd->has_cwd_fd)
		sp.cwd_fd = cmd->cwd_fd;
	buf = malloc(CMD_READ_BUF);
	if (!buf) {
		cmd_spawn_error(res, SPL_CMD_STAGE_PREPARE, ENOMEM);
		goto out;
	}
	sp.null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (sp.null_fd < 0) {
		cmd_spawn_error(res, SPL_CMD_STAGE_STDIN, errno);
		goto out;
	}
	if (pipe2(out_pipe, O_CLOEXEC) != 0 ||
	    pipe2(err_pipe, O_CLOEXEC) != 0) {
		cmd_spawn_error(res, SPL_CMD_STAGE_PIPE, errno);
		goto out;
	}
	sp.out_w = out_pipe[1];
	sp.err_w = err_pipe[1];
	err = cmd_signals_setup(&sigst, &wait_mask);
	if (err) {
		cmd_spawn_error(res, SPL_CMD_STAGE_SIGNALS, err);
		goto out;
	}
	signals_set = true;

	sp.parent = getpid();
	start = spl_now_ms();
	p.pid = fork();
	if (p.pid < 0) {
		cmd_spawn_error(res, SPL_CMD_STAGE_FORK, errno);
		goto out;
	}
	if (p.pid == 0)
		cmd_child(&sp);
	/* Also here, so that the group exists before we may signal it. */
	setpgid(p.pid, p.pid);
	res->pid = p.pid;
	if (cmd->started)
		cmd->started(cmd->started_data, p.pid);
	close(out_pipe[1]);
	close(err_pipe[1]);
	out_pipe[1] = err_pipe[1] = -1;
	p.out_fd = out_pipe[0];
	p.err_fd = err_pipe[0];
	out_pipe[0] = err_pipe[0] = -1;

	if (res->timeout_ms >= 0)
		deadline = start + res->timeout_ms;
	cmd_wait(host, ctx, cmd, &p, deadline, &wait_mask, buf);
	if (p.wait_err)
		cmd_signal_group(&p, SIGKILL);
	else if (p.out_fd >= 0 && !p.term_sent)
		res->output_left_open = true;
	if (cmd_reap(p.pid, &status) != 0 && !p.wait_err)
		p.wait_err = errno;
	if (p.wait_err) {
		res->end = SPL_CMD_WAIT_ERROR;
		res->err = p.wait_err;
		goto out;
	}
	cmd_result_set(res, &p, status);
out:
	res->elapsed_ms = spl_now_ms() - start;
	if (p.out_fd >= 0)
		close(p.out_fd);
	if (p.err_fd >= 0)
		close(p.err_fd);
	for (int i = 0; i < 2; i++) {
		if (out_pipe[i] >= 0)
			close(out_pipe[i]);
		if (err_pipe[i] >= 0)
			close(err_pipe[i]);
	}
	if (sp.null_fd >= 0)
		close(sp.null_fd);
	free(buf);
	free(script_argv);
	cmd_env_release(&env);
	if (signals_set) {
		cmd_signals_restore(&sigst);
		res->stop_signal = p.stop_sig;
		if (!cmd->defer_stop)
			spl_cmd_raise_stop(res);
	}
	return res->end == SPL_CMD_EXITED && res->status == 0 ? SUP_OK :
								  SUP_ERR;
}

void spl_cmd_raise_stop(const struct spl_cmd_result *res)
{
	/* Die (or whatever the installer chose) as it asked. */
	if (res->stop_signal)
		raise(res->stop_signal);
}

const char *spl_cmd_signame(int sig, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, len, "unknown signal");
	return buf;
}

static const char *cmd_stage_text(enum spl_cmd_stage stage)
{
	switch (stage) {
	case SPL_CMD_STAGE_CHDIR:
		return "cannot enter its working directory";
	case SPL_CMD_STAGE_EXEC:
		return "cannot execute it";
	case SPL_CMD_STAGE_SETUP:
		return "cannot set up its process";
	case SPL_CMD_STAGE_PREPARE:
	default:
		return "cannot start a process";
	}
}

const char *spl_cmd_secs(int64_t ms, char *buf, size_t len)
{
	long long v = ms < 0 ? 0 : (long long)ms;

	if (v % 1000 == 0)
		snprintf(buf, len, "%lld s", v / 1000);
	else
		snprintf(buf, len, "%lld.%03lld s", v / 1000, v % 1000);
	return buf;
}

const char *spl_cmd_describe(const struct spl_cmd_result *res, char *buf,
			     size_t len)
{
	char sname[32], secs[32];

	switch (res->end) {
	case SPL_CMD_EXITED:
		snprintf(buf, len, "exited with status %d", res->status);
		break;
	case SPL_CMD_SIGNALED:
		snprintf(buf, len, "was killed by signal %d (%s)", res->status,
			 spl_cmd_signame(res->status, sname, sizeof(sname)));
		break;
	case SPL_CMD_TIMEOUT:
		snprintf(buf, len, "timed out after %s",
			 spl_cmd_secs(res->timeout_ms, secs, sizeof(secs)));
		break;
	case SPL_CMD_STOPPED:
		snprintf(buf, len, "was stopped: the installer sent signal %d (%s)", res->status, spl_cmd_signame(res->status, sname, sizeof(sname)));
		break;
	case SPL_CMD_WAIT_ERROR:
		snprintf(buf, len, "could not be waited for: %s",
			 strerror(res->err));
		break;
	case SPL_CMD_SPAWN_ERROR:
	default:
		snprintf(buf, len, "could not be run: %s: %s",
			 cmd_stage_text(res->stage), strerror(res->err));
		break;
	}
	return buf;
}

const char *spl_cmd_search_path(void)
{
	const char *path = getenv("PATH");

	return path ? path : CMD_DEFAULT_PATH;
}

int spl_cmd_check_runnable(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return errno;
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if (!S_ISREG(st.st_mode))
		return EACCES;
	if (access(path, X_OK) != 0)
		return errno;
	return 0;
}

int spl_cmd_find_program(const char *name, const char *search, char **out)
{
	const char *p = search;
	int last_err = ENOENT;

	*out = NULL;
	if (name[0] == '/') {
		int err = spl_cmd_check_runnable(name);

		if (err)
			return err;
		*out = strdup(name);
		return *out ? 0 : ENOMEM;
	}
	if (name[0] == '\0' || strchr(name, '/'))
		return EINVAL;
	while (*p) {
		const char *end = strchrnul(p, ':');
		size_t dir_len = (size_t)(end - p);

		if (dir_len > 0 && p[0] == '/') {
			char *dir = strndup(p, dir_len);
			char *cand;
			int err;

			if (!dir)
				return ENOMEM;
			cand = cmd_join3(dir, "/", name);
			free(dir);
			if (!cand)
				return errno;
			err = spl_cmd_check_runnable(cand);
			if (!err) {
				*out = cand;
				return 0;
			}
			free(cand);
			if (err == EACCES)
				last_err = EACCES;
		}
		p = *end ? end + 1 : end;
	}
	return last_err;
}

/* Characters of a word the shell takes literally. */
static bool cmd_is_plain(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || (c != '\0' && strchr("_./+,:@%^-", c));
}

/* Words the shell does not look up in PATH. */
static bool cmd_is_shell_word(const char *w)
{
	static const char *const words[] = {
		"!", "case", "do", "done", "elif", "else", "esac", "fi",
		"for", "if", "in", "then", "until", "while", "break", ":",
		"continue", ".", "eval", "exec", "exit", "export",
		"readonly", "return", "set", "shift", "times", "trap",
		"unset", "command", "cd", NULL
	};

	for (size_t i = 0; words[i]; i++) {
		if (strcmp(w, words[i]) == 0)
			return true;
	}
	return false;
}

int spl_cmd_first_word(const char *script, char **out)
{
	const char *s = script, *e;

	*out = NULL;
	while (*s == ' ' || *s == '\t')
		s++;
	for (e = s; *e && cmd_is_plain(*e); e++)
		;
	if (e == s || (*e && !strchr(" \t;&|", *e)))
		return EINVAL;
	*out = strndup(s, (size_t)(e - s));
	if (!*out)
		return ENOMEM;
	if (cmd_is_shell_word(*out)) {
		free(*out);
		*out = NULL;
		return EINVAL;
	}
	return 0;
}
