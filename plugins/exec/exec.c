/* SPDX-License-Identifier: MIT */
/*
 * exec.c - the "exec" plugin: run a command of the host system
 * (exec.command) or a script shipped as the action's payload (exec.script).
 *
 * Commands run on the host system, NOT inside --root: argv[0] and the
 * "interpreter" parameter are host paths, and a bare name is looked up in
 * the PATH the command gets. Only "cwd" is a gateway path (mapped under the
 * root). A command learns the root it works on from SUP_ROOT, and also gets
 * SUP_ACTION_ID and SUP_STAGING_DIR.
 *
 * The command runs in a new process group with stdin from /dev/null and
 * stdout and stderr on one pipe whose chunks go to host->output() as they
 * come. On timeout the whole group gets SIGTERM, then SIGKILL 5 s later.
 * The command is over when its first process exits: processes it left in
 * the background keep running, but their output is no longer read.
 *
 * The installer stops a plugin with SIGTERM (and SIGKILL 5 s later). As its
 * signals to our process group do not reach the command's own group, such a
 * signal is forwarded to the command, which is killed before we die.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sup/plugin.h>

#define EXEC_TIMEOUT_MAX_S 86400
/* From SIGTERM to SIGKILL of the command's process group on timeout. */
#define EXEC_KILL_GRACE_MS 5000
/* The same when the installer stops us: it SIGKILLs us 5 s after its
 * SIGTERM, and the command must be gone by then. */
#define EXEC_STOP_GRACE_MS 2000
/* How long output is still read after the command exited, for what its
 * background processes write right then. */
#define EXEC_DRAIN_MS 200
/* Longest sleep of the wait loop, whatever the deadlines. */
#define EXEC_POLL_MAX_MS 1000
#define EXEC_IO_BUF 65536
/* What execvp() searches when PATH is unset. */
#define EXEC_DEFAULT_PATH "/bin:/usr/bin"
/* Descriptors marked close-on-exec when close_range() is unavailable. */
#define EXEC_FD_SCAN_MAX 1048576

/* What the child reports on its error pipe when it cannot exec. */
enum exec_stage {
	EXEC_STAGE_SETUP = 1,
	EXEC_STAGE_CHDIR = 2,
	EXEC_STAGE_EXEC = 3,
};

struct exec_child_err {
	int stage; /* enum exec_stage */
	int err;   /* errno */
};

/* Parameters shared by both action types. */
struct exec_opts {
	const char *const *env_keys;
	const char *const *env_values;
	size_t env_count;
	const char *cwd;  /* gateway path as given, or the root dir */
	char *cwd_host;   /* host path, from host->resolve_path() or NULL */
	int64_t timeout_s; /* 0: only the installer's limit */
};

/* One command to run. */
struct exec_job {
	const char *noun;   /* "command" or "script", for messages */
	const char *name;   /* argv[0] or the payload name, for messages */
	const char *path;   /* host path given to execve() */
	char *const *argv;
};

/* What the forked child needs; all prepared before fork(). */
struct exec_spawn {
	const struct exec_job *job;
	char *const *envp;
	const char *cwd;
	pid_t parent;
	int null_fd;
	int out_w;
	int err_w;
};

/* The running command, as the wait loop sees it. */
struct exec_proc {
	pid_t pid;
	int out_fd; /* stdout+stderr read end, -1 once at end of file */
	int err_fd; /* error pipe read end, -1 once at end of file */
	struct exec_child_err cerr;
	bool has_cerr;
	bool exited;
	bool timed_out;
	bool term_sent;
	bool kill_sent;
	int stop_sig; /* signal the installer stopped us with, or 0 */
	int64_t start_ms;
	int64_t kill_at_ms;
	int64_t drain_until_ms;
	int wait_err; /* errno of a failed ppoll(), or 0 */
};

/* Environment built for the command: envp points into environ and into
 * owned[], which holds the strings built here. */
struct exec_env {
	char **envp;
	char **owned;
	size_t owned_count;
};

struct exec_envvar {
	const char *entry; /* "NAME=value" */
	size_t name_len;
	size_t order; /* later entries override earlier ones */
};

static const int exec_stop_signals[] = { SIGTERM, SIGINT, SIGHUP };
#define EXEC_STOP_SIGNAL_COUNT \
	(sizeof(exec_stop_signals) / sizeof(exec_stop_signals[0]))

/* Signal dispositions and mask to restore after the command ran. */
struct exec_sigstate {
	sigset_t old_mask;
	struct sigaction old_chld;
	struct sigaction old_stop[EXEC_STOP_SIGNAL_COUNT];
	bool stop_hooked[EXEC_STOP_SIGNAL_COUNT];
};

/* Set by the handler of the installer's stop signals: a signal handler can
 * reach no other state. */
static volatile sig_atomic_t exec_stop_caught;

/* Set by the host for the command; a manifest may not override them. */
static const char *const exec_reserved_env[] = {
	"SUP_ROOT", "SUP_ACTION_ID", "SUP_STAGING_DIR", NULL
};

static int64_t exec_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* a + sep + b, malloc'd; NULL with errno set on failure. */
static char *exec_join3(const char *a, const char *sep, const char *b)
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

/* [A-Za-z_][A-Za-z0-9_]*, without the locale's idea of a letter. */
static bool exec_is_env_name(const char *s)
{
	for (const char *c = s; *c; c++) {
		bool letter = (*c >= 'A' && *c <= 'Z') ||
			      (*c >= 'a' && *c <= 'z') || *c == '_';

		if (!letter && (c == s || *c < '0' || *c > '9'))
			return false;
	}
	return *s != '\0';
}

static bool exec_is_reserved_env(const char *name)
{
	for (size_t i = 0; exec_reserved_env[i]; i++) {
		if (strcmp(name, exec_reserved_env[i]) == 0)
			return true;
	}
	return false;
}

/* "SIGKILL" for 9; buf receives names glibc does not know. */
static const char *exec_signame(int sig, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, len, "%s", strsignal(sig));
	return buf;
}

/* 0 if path is a regular file we may execute, else an errno value. */
static int exec_check_runnable(const char *path)
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

/* The PATH the command gets: from the env param, else inherited. */
static const char *exec_search_path(const struct exec_opts *o)
{
	const char *path = NULL;

	for (size_t i = 0; i < o->env_count; i++) {
		if (strcmp(o->env_keys[i], "PATH") == 0)
			path = o->env_values[i];
	}
	if (!path)
		path = getenv("PATH");
	return path ? path : EXEC_DEFAULT_PATH;
}

/*
 * Find the program for name: an absolute host path, or a bare name looked
 * up in search (relative and empty PATH entries are skipped: the
 * installer's working directory means nothing to a package). Returns 0 and
 * a malloc'd *out, or an errno value (EACCES if only unusable files were
 * found, like execvp()).
 */
static int exec_find_program(const char *name, const char *search,
			     char **out)
{
	const char *p = search;
	int last_err = ENOENT;
	int err;

	*out = NULL;
	if (name[0] == '/') {
		err = exec_check_runnable(name);
		if (err)
			return err;
		*out = strdup(name);
		return *out ? 0 : ENOMEM;
	}
	while (*p) {
		const char *end = strchrnul(p, ':');
		size_t dir_len = (size_t)(end - p);

		if (dir_len > 0 && p[0] == '/') {
			char *dir = strndup(p, dir_len);
			char *cand;

			if (!dir)
				return ENOMEM;
			cand = exec_join3(dir, "/", name);
			free(dir);
			if (!cand)
				return errno;
			err = exec_check_runnable(cand);
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

static void exec_opts_release(const struct sup_host_api *host,
			      struct exec_opts *o)
{
	host->free(o->cwd_host);
	o->cwd_host = NULL;
}

/*
 * Read and validate env, cwd and timeout_s. Every problem is recorded;
 * returns SUP_OK or SUP_ERR. Release o with exec_opts_release() either way.
 */
static int exec_opts_get(const struct sup_host_api *host,
			 struct sup_action_ctx *ctx, struct exec_opts *o)
{
	int ret = SUP_OK;
	int rc;

	memset(o, 0, sizeof(*o));
	rc = host->param_strmap(ctx, "env", SUP_PARAM_OPTIONAL, &o->env_keys,
				&o->env_values, &o->env_count);
	if (rc != SUP_OK) {
		o->env_keys = NULL;
		o->env_values = NULL;
		o->env_count = 0;
		if (rc != SUP_ENOENT)
			ret = SUP_ERR;
	}
	for (size_t i = 0; i < o->env_count; i++) {
		const char *key = o->env_keys[i];

		if (!exec_is_env_name(key))
			ret = host->fail(ctx, 0, "invalid environment variable name '%s' in parameter 'env'", key);
		else if (exec_is_reserved_env(key))
			ret = host->fail(ctx, 0, "environment variable '%s' in parameter 'env' is reserved", key);
	}

	rc = host->param_string(ctx, "cwd", SUP_PARAM_OPTIONAL, &o->cwd);
	if (rc == SUP_OK) {
		if (host->resolve_path(ctx, o->cwd, SUP_PATH_FOLLOW_LAST,
				       &o->cwd_host) != SUP_OK) {
			o->cwd_host = NULL;
			ret = SUP_ERR;
		}
	} else {
		o->cwd = host->root_dir(ctx);
		if (rc != SUP_ENOENT)
			ret = SUP_ERR;
	}

	rc = host->param_int(ctx, "timeout_s", SUP_PARAM_OPTIONAL,
			     &o->timeout_s);
	if (rc == SUP_OK && (o->timeout_s < 1 ||
			     o->timeout_s > EXEC_TIMEOUT_MAX_S)) {
		ret = host->fail(ctx, 0, "parameter 'timeout_s' must be between 1 and %d, not %lld", EXEC_TIMEOUT_MAX_S, (long long)o->timeout_s);
		o->timeout_s = 0;
	} else if (rc != SUP_OK) {
		o->timeout_s = 0;
		if (rc != SUP_ENOENT)
			ret = SUP_ERR;
	}
	return ret;
}

/* Find the program argv0 names; records the failure. */
static int exec_program_get(const struct sup_host_api *host,
			    struct sup_action_ctx *ctx,
			    const struct exec_opts *o, const char *argv0,
			    char **out)
{
	int err;

	*out = NULL;
	if (argv0[0] == '\0')
		return host->fail(ctx, 0, "parameter 'argv' must not start with an empty string");
	if (argv0[0] != '/' && strchr(argv0, '/'))
		return host->fail(ctx, 0, "command '%s' is neither an absolute path nor a bare name", argv0);
	err = exec_find_program(argv0, exec_search_path(o), out);
	if (err)
		return host->fail(ctx, err, "cannot run '%s'", argv0);
	return SUP_OK;
}

static int exec_argv_get(const struct sup_host_api *host,
			 struct sup_action_ctx *ctx, const char *const **argv,
			 size_t *argc)
{
	if (host->param_strings(ctx, "argv", SUP_PARAM_REQUIRED, argv,
				argc) != SUP_OK)
		return SUP_ERR;
	if (*argc == 0)
		return host->fail(ctx, 0, "parameter 'argv' must not be empty");
	return SUP_OK;
}

/* Optional interpreter: an absolute path to an executable host file. */
static int exec_interpreter_get(const struct sup_host_api *host,
				struct sup_action_ctx *ctx, const char **out)
{
	int rc;
	int err;

	*out = NULL;
	rc = host->param_string(ctx, "interpreter", SUP_PARAM_OPTIONAL, out);
	if (rc == SUP_ENOENT) {
		*out = NULL;
		return SUP_OK;
	}
	if (rc != SUP_OK)
		return SUP_ERR;
	if ((*out)[0] != '/')
		return host->fail(ctx, 0, "interpreter '%s' is not an absolute path", *out);
	err = exec_check_runnable(*out);
	if (err)
		return host->fail(ctx, err, "cannot use interpreter '%s'", *out);
	return SUP_OK;
}

static int exec_args_get(const struct sup_host_api *host,
			 struct sup_action_ctx *ctx, const char *const **args,
			 size_t *count)
{
	int rc;

	rc = host->param_strings(ctx, "args", SUP_PARAM_OPTIONAL, args, count);
	if (rc == SUP_ENOENT) {
		*args = NULL;
		*count = 0;
		return SUP_OK;
	}
	return rc == SUP_OK ? SUP_OK : SUP_ERR;
}

/* The script payload's name and the file name it is staged under. */
static int exec_script_name_get(const struct sup_host_api *host,
				struct sup_action_ctx *ctx, const char **name,
				const char **base)
{
	size_t count = host->payload_count(ctx);
	uint64_t size;
	const char *slash;

	if (count != 1)
		return host->fail(ctx, 0, "action '%s' takes exactly one payload, not %zu", host->action_id(ctx), count);
	if (host->payload_info(ctx, 0, name, &size) != SUP_OK)
		return SUP_ERR;
	slash = strrchr(*name, '/');
	*base = slash ? slash + 1 : *name;
	if ((*base)[0] == '\0' || strcmp(*base, ".") == 0 ||
	    strcmp(*base, "..") == 0)
		return host->fail(ctx, 0, "payload name '%s' has no usable file name", *name);
	return SUP_OK;
}

static int exec_envvar_cmp(const void *a, const void *b)
{
	const struct exec_envvar *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->entry, y->entry, n);

	if (c)
		return c;
	if (x->name_len != y->name_len)
		return x->name_len < y->name_len ? -1 : 1;
	return x->order < y->order ? -1 : (x->order > y->order);
}

static void exec_env_release(struct exec_env *env)
{
	for (size_t i = 0; i < env->owned_count; i++)
		free(env->owned[i]);
	free(env->owned);
	free(env->envp);
	memset(env, 0, sizeof(*env));
}

static int exec_env_add(struct exec_env *env, struct exec_envvar *vars,
			size_t *n, const char *name, const char *value)
{
	char *entry = exec_join3(name, "=", value);

	if (!entry)
		return errno;
	env->owned[env->owned_count++] = entry;
	vars[*n].entry = entry;
	vars[*n].name_len = strlen(name);
	vars[*n].order = *n;
	(*n)++;
	return 0;
}

/*
 * The command's environment: the inherited one, overridden by the env
 * param, overridden by the SUP_* variables. Sorting keeps this
 * O(n log n) for a hostile env of many keys. Returns 0 or an errno value.
 */
static int exec_env_build(const struct sup_host_api *host,
			  struct sup_action_ctx *ctx,
			  const struct exec_opts *o, struct exec_env *env)
{
	const char *staging = host->staging_dir(ctx);
	struct exec_envvar *vars = NULL;
	size_t inherited = 0, max, n = 0, out = 0;
	int err = 0;

	memset(env, 0, sizeof(*env));
	while (environ && environ[inherited])
		inherited++;
	if (o->env_count > SIZE_MAX - 4 - inherited)
		return EOVERFLOW;
	max = inherited + o->env_count + 3;
	vars = calloc(max, sizeof(*vars));
	env->owned = calloc(o->env_count + 3, sizeof(*env->owned));
	env->envp = calloc(max + 1, sizeof(*env->envp));
	if (!vars || !env->owned || !env->envp) {
		err = ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < inherited; i++) {
		const char *eq = strchr(environ[i], '=');

		if (!eq || eq == environ[i])
			continue;
		vars[n].entry = environ[i];
		vars[n].name_len = (size_t)(eq - environ[i]);
		vars[n].order = n;
		n++;
	}
	for (size_t i = 0; i < o->env_count && !err; i++)
		err = exec_env_add(env, vars, &n, o->env_keys[i],
				   o->env_values[i]);
	if (!err)
		err = exec_env_add(env, vars, &n, "SUP_ROOT",
				   host->root_dir(ctx));
	if (!err)
		err = exec_env_add(env, vars, &n, "SUP_ACTION_ID",
				   host->action_id(ctx));
	if (!err && staging)
		err = exec_env_add(env, vars, &n, "SUP_STAGING_DIR", staging);
	if (err)
		goto out;
	qsort(vars, n, sizeof(*vars), exec_envvar_cmp);
	for (size_t i = 0; i < n; i++) {
		/* Of equal names, keep the last one set. */
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
		exec_env_release(env);
	return err;
}

static void exec_on_stop(int sig)
{
	exec_stop_caught = sig;
}

static void exec_on_chld(int sig)
{
	(void)sig;
}

/*
 * Block SIGCHLD and the stop signals, catching them only inside ppoll()
 * (*wait_mask), so that none is lost between a check and the wait. A stop
 * signal the caller ignores stays ignored.
 */
static int exec_signals_setup(struct exec_sigstate *st, sigset_t *wait_mask)
{
	struct sigaction sa;
	sigset_t block;

	memset(st, 0, sizeof(*st));
	exec_stop_caught = 0;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	for (size_t i = 0; i < EXEC_STOP_SIGNAL_COUNT; i++)
		sigaddset(&block, exec_stop_signals[i]);
	if (sigprocmask(SIG_BLOCK, &block, &st->old_mask) != 0)
		return errno;
	*wait_mask = st->old_mask;
	sigdelset(wait_mask, SIGCHLD);

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = exec_on_chld;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, &st->old_chld);
	sa.sa_handler = exec_on_stop;
	sa.sa_flags = 0;
	for (size_t i = 0; i < EXEC_STOP_SIGNAL_COUNT; i++) {
		int sig = exec_stop_signals[i];

		if (sigaction(sig, NULL, &st->old_stop[i]) != 0 ||
		    st->old_stop[i].sa_handler == SIG_IGN)
			continue;
		if (sigaction(sig, &sa, NULL) == 0) {
			st->stop_hooked[i] = true;
			sigdelset(wait_mask, sig);
		}
	}
	return 0;
}

static void exec_signals_restore(struct exec_sigstate *st)
{
	sigaction(SIGCHLD, &st->old_chld, NULL);
	for (size_t i = 0; i < EXEC_STOP_SIGNAL_COUNT; i++) {
		if (st->stop_hooked[i])
			sigaction(exec_stop_signals[i], &st->old_stop[i], NULL);
	}
	sigprocmask(SIG_SETMASK, &st->old_mask, NULL);
}

/* Mark every descriptor from 3 up close-on-exec (async-signal-safe). */
static void exec_cloexec_from_3(void)
{
	struct rlimit rl;
	rlim_t max = EXEC_FD_SCAN_MAX;

	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < max)
		max = rl.rlim_cur;
	for (rlim_t fd = 3; fd < max; fd++)
		fcntl((int)fd, F_SETFD, FD_CLOEXEC);
}

/*
 * In the forked child: only async-signal-safe calls. Any failure is
 * written to the error pipe, which exec closes on success.
 */
__attribute__((noreturn)) static void exec_child(const struct exec_spawn *sp)
{
	struct exec_child_err ce = { .stage = EXEC_STAGE_SETUP, .err = 0 };
	struct sigaction sa;
	sigset_t none;
	int err_w = sp->err_w, in, out;

	setpgid(0, 0);
	/* Kill the command if we die without stopping it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != sp->parent)
		_exit(127);
	/* The command gets default dispositions and an empty mask, whatever
	 * the installer ignores (SIGPIPE would break shell pipelines). */
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* Move every descriptor above 2 first: one of them may be 0, 1 or 2
	 * if the installer runs with a standard descriptor closed. */
	err_w = fcntl(sp->err_w, F_DUPFD_CLOEXEC, 3);
	if (err_w < 0) {
		err_w = sp->err_w;
		goto fail;
	}
	in = fcntl(sp->null_fd, F_DUPFD_CLOEXEC, 3);
	out = fcntl(sp->out_w, F_DUPFD_CLOEXEC, 3);
	if (in < 0 || out < 0)
		goto fail;
	if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(out, STDERR_FILENO) < 0)
		goto fail;
	/* Descriptors the installer left open (the package, its report
	 * pipe) are none of the command's business. */
	exec_cloexec_from_3();

	ce.stage = EXEC_STAGE_CHDIR;
	if (chdir(sp->cwd) != 0)
		goto fail;
	ce.stage = EXEC_STAGE_EXEC;
	execve(sp->job->path, sp->job->argv, sp->envp);
fail:
	ce.err = errno;
	if (write(err_w, &ce, sizeof(ce)) != (ssize_t)sizeof(ce))
		_exit(127);
	_exit(127);
}

/* Has the command's first process exited? It is left a zombie, so that
 * its pid, the process group id, is not reused while we may still signal
 * the group. */
static bool exec_has_exited(pid_t pid)
{
	siginfo_t si;
	int rc;

	do {
		memset(&si, 0, sizeof(si));
		rc = waitid(P_PID, (id_t)pid, &si,
			    WEXITED | WNOHANG | WNOWAIT);
	} while (rc != 0 && errno == EINTR);
	if (rc != 0)
		return true;
	return si.si_pid == pid;
}

static void exec_signal_group(struct exec_proc *p, int sig)
{
	kill(-p->pid, sig);
	if (sig == SIGTERM)
		kill(-p->pid, SIGCONT);
}

/* Read what one pipe has: 0, or -1 once it is at end of file or broken. */
static int exec_pipe_read(const struct sup_host_api *host,
			   struct sup_action_ctx *ctx, struct exec_proc *p,
			   int fd, char *buf, size_t len)
{
	ssize_t n;

	if (fd == p->err_fd) {
		/* One report at most, written at once: nothing follows. */
		n = read(fd, &p->cerr, sizeof(p->cerr));
		if (n == (ssize_t)sizeof(p->cerr))
			p->has_cerr = true;
		return n < 0 && (errno == EINTR || errno == EAGAIN) ? 0 : -1;
	}
	n = read(fd, buf, len);
	if (n > 0) {
		host->output(ctx, buf, (size_t)n);
		return 0;
	}
	return n < 0 && (errno == EINTR || errno == EAGAIN) ? 0 : -1;
}

/* Milliseconds ppoll() may sleep: until the next deadline, capped. */
static int64_t exec_wait_ms(const struct exec_proc *p, int64_t deadline,
			    int64_t now)
{
	int64_t next = now + EXEC_POLL_MAX_MS;

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

/* Enforce the deadlines and forward a stop signal to the command. */
static void exec_wait_step(struct exec_proc *p, int64_t deadline,
			   int64_t now)
{
	if (!p->stop_sig && exec_stop_caught) {
		p->stop_sig = exec_stop_caught;
		if (p->term_sent && p->kill_at_ms > now + EXEC_STOP_GRACE_MS)
			p->kill_at_ms = now + EXEC_STOP_GRACE_MS;
	}
	if (p->exited) {
		/* Take down what ignored the SIGTERM with the leader gone. */
		if (p->term_sent && !p->kill_sent) {
			exec_signal_group(p, SIGKILL);
			p->kill_sent = true;
		}
		return;
	}
	if (!p->term_sent &&
	    (p->stop_sig || (deadline >= 0 && now >= deadline))) {
		p->timed_out = !p->stop_sig;
		exec_signal_group(p, SIGTERM);
		p->term_sent = true;
		p->kill_at_ms = now + (p->stop_sig ? EXEC_STOP_GRACE_MS :
					EXEC_KILL_GRACE_MS);
	}
	if (p->term_sent && !p->kill_sent && now >= p->kill_at_ms) {
		exec_signal_group(p, SIGKILL);
		p->kill_sent = true;
	}
}

/*
 * Stream the command's output until it exited (and its output drained),
 * enforcing the deadline (-1: none).
 */
static void exec_wait(const struct sup_host_api *host,
		      struct sup_action_ctx *ctx, struct exec_proc *p,
		      int64_t deadline, const sigset_t *wait_mask)
{
	char buf[16384];

	for (;;) {
		struct pollfd fds[2];
		struct timespec ts;
		int64_t now = exec_now_ms(), wait_ms;
		nfds_t nfds = 0;
		int rc;

		if (!p->exited && exec_has_exited(p->pid)) {
			p->exited = true;
			p->drain_until_ms = now + EXEC_DRAIN_MS;
		}
		exec_wait_step(p, deadline, now);
		if (p->exited && ((p->out_fd < 0 && p->err_fd < 0) ||
				  now >= p->drain_until_ms))
			return;

		if (p->out_fd >= 0)
			fds[nfds++] = (struct pollfd){ .fd = p->out_fd,
						       .events = POLLIN };
		if (p->err_fd >= 0)
			fds[nfds++] = (struct pollfd){ .fd = p->err_fd,
						       .events = POLLIN };
		wait_ms = exec_wait_ms(p, deadline, now);
		ts.tv_sec = (time_t)(wait_ms / 1000);
		ts.tv_nsec = (long)(wait_ms % 1000) * 1000000;
		rc = ppoll(fds, nfds, &ts, wait_mask);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			p->wait_err = errno;
			return;
		}
		for (nfds_t i = 0; i < nfds; i++) {
			int fd = fds[i].fd;

			if (!fds[i].revents)
				continue;
			if (exec_pipe_read(host, ctx, p, fd, buf,
					   sizeof(buf)) == 0)
				continue;
			close(fd);
			if (fd == p->out_fd)
				p->out_fd = -1;
			else
				p->err_fd = -1;
		}
	}
}

/* Record how the command ended; SUP_OK if it exited with status 0. */
static int exec_report(const struct sup_host_api *host,
		       struct sup_action_ctx *ctx, const struct exec_job *job,
		       const struct exec_proc *p, const char *cwd,
		       int64_t timeout_ms, int status)
{
	const char *noun = job->noun, *name = job->name;
	int64_t ms = exec_now_ms() - p->start_ms;
	char sname[32];

	if (p->has_cerr) {
		int err = p->cerr.err;

		if (p->cerr.stage == EXEC_STAGE_CHDIR)
			return host->fail(ctx, err, "cannot run '%s' in directory '%s'", name, cwd);
		/* The file is there: what is missing is its "#!"
		 * interpreter or its ELF loader. */
		if (p->cerr.stage == EXEC_STAGE_EXEC && err == ENOENT &&
		    access(job->path, F_OK) == 0)
			return host->fail(ctx, err, "cannot run the interpreter of '%s'", name);
		return host->fail(ctx, err, "cannot run '%s'", name);
	}
	if (p->stop_sig)
		return host->fail(ctx, 0, "%s '%s' stopped: the installer sent signal %d (%s)", noun, name, p->stop_sig, exec_signame(p->stop_sig, sname, sizeof(sname)));
	if (p->timed_out)
		return host->fail(ctx, 0, "%s '%s' timed out after %lld s", noun, name, (long long)((timeout_ms + 999) / 1000));
	if (WIFSIGNALED(status))
		return host->fail(ctx, 0, "%s '%s' killed by signal %d (%s)", noun, name, WTERMSIG(status), exec_signame(WTERMSIG(status), sname, sizeof(sname)));
	if (!WIFEXITED(status))
		return host->fail(ctx, 0, "%s '%s' ended with wait status %d", noun, name, status);
	if (WEXITSTATUS(status) != 0)
		return host->fail(ctx, 0, "%s '%s' exited with status %d", noun, name, WEXITSTATUS(status));
	host->log(ctx, SUP_LOG_INFO, "%s '%s' exited with status 0 in %lld.%03lld s", noun, name, (long long)(ms / 1000), (long long)(ms % 1000));
	return SUP_OK;
}

/* Reap the command's first process; its status, or -1 with errno set. */
static int exec_reap(pid_t pid, int *status)
{
	pid_t rc;

	do {
		rc = waitpid(pid, status, 0);
	} while (rc < 0 && errno == EINTR);
	return rc == pid ? 0 : -1;
}

/*
 * Run job with the options o and wait for it. Records every failure;
 * returns SUP_OK or SUP_ERR. If the installer sent a stop signal meanwhile,
 * it is raised again once the command is gone.
 */
static int exec_run(const struct sup_host_api *host,
		    struct sup_action_ctx *ctx, const struct exec_opts *o,
		    const struct exec_job *job)
{
	struct exec_proc p = { .pid = -1, .out_fd = -1, .err_fd = -1 };
	struct exec_spawn sp = { .job = job, .null_fd = -1, .out_w = -1,
				 .err_w = -1 };
	struct exec_env env = { 0 };
	struct exec_sigstate sigst;
	sigset_t wait_mask;
	int64_t timeout_ms = -1, left, deadline = -1;
	bool signals_set = false;
	int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
	int ret = SUP_ERR, err, status = 0;

	err = exec_env_build(host, ctx, o, &env);
	if (err) {
		host->fail(ctx, err, "cannot build the environment of %s '%s'", job->noun, job->name);
		goto out;
	}
	sp.envp = env.envp;
	sp.cwd = o->cwd_host ? o->cwd_host : host->root_dir(ctx);

	if (o->timeout_s > 0)
		timeout_ms = o->timeout_s * 1000;
	left = host->time_left_ms(ctx);
	if (left >= 0 && (timeout_ms < 0 || left < timeout_ms))
		timeout_ms = left;
	/* A limit this far away is none, and must not overflow. */
	if (timeout_ms > INT64_MAX / 4)
		timeout_ms = -1;

	sp.null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (sp.null_fd < 0) {
		host->fail(ctx, errno, "cannot open '/dev/null'");
		goto out;
	}
	if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC)) {
		host->fail(ctx, errno, "cannot create a pipe for %s '%s'", job->noun, job->name);
		goto out;
	}
	sp.out_w = out_pipe[1];
	sp.err_w = err_pipe[1];
	err = exec_signals_setup(&sigst, &wait_mask);
	if (err) {
		host->fail(ctx, err, "cannot block signals for %s '%s'", job->noun, job->name);
		goto out;
	}
	signals_set = true;

	sp.parent = getpid();
	p.start_ms = exec_now_ms();
	p.pid = fork();
	if (p.pid < 0) {
		host->fail(ctx, errno, "cannot run '%s'", job->name);
		goto out;
	}
	if (p.pid == 0)
		exec_child(&sp);
	/* Also here, so that the group exists before we may signal it. */
	setpgid(p.pid, p.pid);
	close(out_pipe[1]);
	close(err_pipe[1]);
	out_pipe[1] = err_pipe[1] = -1;
	p.out_fd = out_pipe[0];
	p.err_fd = err_pipe[0];
	out_pipe[0] = err_pipe[0] = -1;
	host->log(ctx, SUP_LOG_INFO, "running %s '%s' (pid %d)", job->noun, job->name, (int)p.pid);

	if (timeout_ms >= 0)
		deadline = p.start_ms + timeout_ms;
	exec_wait(host, ctx, &p, deadline, &wait_mask);
	if (p.wait_err) {
		exec_signal_group(&p, SIGKILL);
		host->fail(ctx, p.wait_err, "cannot wait for %s '%s'", job->noun, job->name);
	} else if (p.out_fd >= 0 && !p.term_sent) {
		host->log(ctx, SUP_LOG_WARNING, "%s '%s' exited but left processes that keep its output open; their output is not captured", job->noun, job->name);
	}
	if (exec_reap(p.pid, &status) != 0) {
		host->fail(ctx, errno, "cannot wait for %s '%s'", job->noun, job->name);
		goto out;
	}
	if (p.wait_err)
		goto out;
	ret = exec_report(host, ctx, job, &p, o->cwd, timeout_ms, status);
out:
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
	exec_env_release(&env);
	if (signals_set) {
		exec_signals_restore(&sigst);
		/* Die (or whatever the installer chose) as it asked. */
		if (p.stop_sig)
			raise(p.stop_sig);
	}
	return ret;
}

static int exec_command_check(const struct sup_host_api *host,
			      struct sup_action_ctx *ctx)
{
	struct exec_opts o;
	const char *const *argv;
	size_t argc;
	char *prog = NULL;
	int ret;

	ret = exec_opts_get(host, ctx, &o);
	if (exec_argv_get(host, ctx, &argv, &argc) != SUP_OK ||
	    exec_program_get(host, ctx, &o, argv[0], &prog) != SUP_OK)
		ret = SUP_ERR;
	free(prog);
	exec_opts_release(host, &o);
	return ret;
}

static int exec_command_execute(const struct sup_host_api *host,
				struct sup_action_ctx *ctx)
{
	struct exec_opts o;
	struct exec_job job = { .noun = "command" };
	const char *const *argv;
	size_t argc;
	char *prog = NULL;
	int ret = SUP_ERR;

	if (exec_opts_get(host, ctx, &o) != SUP_OK ||
	    exec_argv_get(host, ctx, &argv, &argc) != SUP_OK ||
	    exec_program_get(host, ctx, &o, argv[0], &prog) != SUP_OK)
		goto out;
	job.name = argv[0];
	job.path = prog;
	/* execve() takes char *const[] for historical reasons only. */
	job.argv = (char *const *)argv;
	ret = exec_run(host, ctx, &o, &job);
out:
	free(prog);
	exec_opts_release(host, &o);
	return ret;
}

static int exec_script_check(const struct sup_host_api *host,
			     struct sup_action_ctx *ctx)
{
	struct exec_opts o;
	const char *const *args;
	const char *interp, *name, *base;
	size_t count;
	int ret;

	ret = exec_opts_get(host, ctx, &o);
	if (exec_args_get(host, ctx, &args, &count) != SUP_OK)
		ret = SUP_ERR;
	if (exec_interpreter_get(host, ctx, &interp) != SUP_OK)
		ret = SUP_ERR;
	if (exec_script_name_get(host, ctx, &name, &base) != SUP_OK)
		ret = SUP_ERR;
	exec_opts_release(host, &o);
	return ret;
}

static int exec_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Copy the payload to path (mode 0700), all of it: the payload's integrity
 * is only known once payload_read() returned 0, and nothing may run before.
 * *shebang tells whether it starts with "#!". On failure path is removed.
 */
static int exec_stage_script(const struct sup_host_api *host,
			     struct sup_action_ctx *ctx, const char *name,
			     const char *path, bool *shebang)
{
	struct sup_payload *pl = NULL;
	char head[2];
	size_t head_len = 0;
	bool created = false;
	char *buf;
	int fd = -1, ret = SUP_ERR;

	*shebang = false;
	buf = malloc(EXEC_IO_BUF);
	if (!buf) {
		host->fail(ctx, ENOMEM, "cannot stage script '%s'", name);
		goto out;
	}
	if (host->payload_open(ctx, 0, &pl) != SUP_OK) {
		pl = NULL;
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0700);
	if (fd < 0) {
		host->fail(ctx, errno, "cannot create '%s'", path);
		goto out;
	}
	created = true;
	/* Whatever the umask. */
	if (fchmod(fd, 0700) != 0) {
		host->fail(ctx, errno, "cannot set the mode of '%s'", path);
		goto out;
	}
	for (;;) {
		int64_t n = host->payload_read(pl, buf, EXEC_IO_BUF);

		if (n == 0)
			break;
		if (n < 0)
			goto out;
		if (n > EXEC_IO_BUF) {
			host->fail(ctx, 0, "payload '%s' returned more data than asked for", name);
			goto out;
		}
		for (int64_t i = 0; i < n && head_len < sizeof(head); i++)
			head[head_len++] = buf[i];
		if (exec_write_all(fd, buf, (size_t)n) != 0) {
			host->fail(ctx, errno, "cannot write '%s'", path);
			goto out;
		}
	}
	if (close(fd) != 0) {
		fd = -1;
		host->fail(ctx, errno, "cannot write '%s'", path);
		goto out;
	}
	fd = -1;
	*shebang = head_len == 2 && head[0] == '#' && head[1] == '!';
	ret = SUP_OK;
out:
	if (fd >= 0)
		close(fd);
	if (ret != SUP_OK && created)
		unlink(path);
	if (pl)
		host->payload_close(pl);
	free(buf);
	return ret;
}

static int exec_script_execute(const struct sup_host_api *host,
			       struct sup_action_ctx *ctx)
{
	struct exec_opts o;
	struct exec_job job = { .noun = "script" };
	const char *const *args;
	const char *interp, *name, *base, *staging;
	const char **argv = NULL;
	char *path = NULL;
	size_t count, argc = 0;
	bool shebang;
	int ret = SUP_ERR;

	if (exec_opts_get(host, ctx, &o) != SUP_OK ||
	    exec_args_get(host, ctx, &args, &count) != SUP_OK ||
	    exec_interpreter_get(host, ctx, &interp) != SUP_OK ||
	    exec_script_name_get(host, ctx, &name, &base) != SUP_OK)
		goto out;
	staging = host->staging_dir(ctx);
	if (!staging) {
		host->fail(ctx, 0, "no staging directory for script '%s'", name);
		goto out;
	}
	path = exec_join3(staging, "/", base);
	if (!path) {
		host->fail(ctx, errno, "cannot stage script '%s'", name);
		goto out;
	}
	if (count > SIZE_MAX / sizeof(*argv) - 3) {
		host->fail(ctx, EOVERFLOW, "cannot run '%s'", name);
		goto out;
	}
	argv = calloc(count + 3, sizeof(*argv));
	if (!argv) {
		host->fail(ctx, ENOMEM, "cannot run '%s'", name);
		goto out;
	}
	if (exec_stage_script(host, ctx, name, path, &shebang) != SUP_OK)
		goto out;
	if (!interp && !shebang) {
		host->fail(ctx, 0, "script '%s' does not start with '#!' and no interpreter is given", name);
		goto out;
	}
	if (interp)
		argv[argc++] = interp;
	argv[argc++] = path;
	for (size_t i = 0; i < count; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;
	job.name = name;
	job.path = interp ? interp : path;
	job.argv = (char *const *)argv;
	ret = exec_run(host, ctx, &o, &job);
out:
	free(argv);
	free(path);
	exec_opts_release(host, &o);
	return ret;
}

static const char *const exec_command_params[] = {
	"argv", "env", "cwd", "timeout_s", NULL
};

static const char *const exec_script_params[] = {
	"args", "interpreter", "env", "cwd", "timeout_s", NULL
};

/* Neither type is idempotent: a command may do anything, twice. */
static const struct sup_action_ops exec_actions[] = {
	{
		.type = "exec.command",
		.check = exec_command_check,
		.execute = exec_command_execute,
		.rollback = NULL,
		.flags = 0,
		.params = exec_command_params,
		.min_payloads = 0,
		.max_payloads = 0,
	},
	{
		.type = "exec.script",
		.check = exec_script_check,
		.execute = exec_script_execute,
		.rollback = NULL,
		.flags = 0,
		.params = exec_script_params,
		.min_payloads = 1,
		.max_payloads = 1,
	},
	{ .type = NULL },
};

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin me = {
		SUP_PLUGIN_HEADER,
		.name = "exec",
		.version = "1.0.0",
		.description = "run host commands and packaged scripts",
		.actions = exec_actions,
	};

	return &me;
}
