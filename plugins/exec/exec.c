/* SPDX-License-Identifier: MIT */
/*
 * exec.c - the "exec" plugin: run a command of the host system
 * (exec.command) or a script shipped as the action's payload (exec.script).
 *
 * Commands run on the host system, NOT inside --root: argv[0] and the
 * "interpreter" parameter are host paths, and a bare name is looked up in
 * the PATH the command gets. Only "cwd" is a gateway path (mapped under the
 * root): execute opens it by descriptor from the root (host->path_dir(),
 * ABI 1.1: links of other users and unsafe path transitions refused) and
 * the child enters it with fchdir(), so a component swapped for a link
 * after the walk leads the command nowhere else. A command learns the root
 * it works on from SUP_ROOT, and also gets SUP_ACTION_ID and
 * SUP_STAGING_DIR.
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
 *
 * The running is done by spl_cmd_run() (plugins/lib/cmd.h); this file
 * reads the parameters, stages the script and words the outcome.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <sup/plugin.h>

#include "cmd.h"
#include "util.h"

#define EXEC_TIMEOUT_MAX_S 86400
/* What execvp() searches when PATH is unset. */
#define EXEC_DEFAULT_PATH "/bin:/usr/bin"

/* Parameters shared by both action types. */
struct exec_opts {
	const char *const *env_keys;
	const char *const *env_values;
	size_t env_count;
	const char *cwd;  /* gateway path as given, or the root dir */
	const char *cwd_gw; /* gateway path as given, or "/" */
	int64_t timeout_s; /* 0: only the installer's limit */
};

/* One command to run. */
struct exec_job {
	const struct sup_host_api *host;
	struct sup_action_ctx *ctx;
	const char *noun;   /* "command" or "script", for messages */
	const char *name;   /* argv[0] or the payload name, for messages */
	const char *path;   /* host path given to execve() */
	const char *const *argv;
};

/* The env param as "NAME=value" entries, NULL-terminated (malloc'd). */
struct exec_env {
	char **entries;
	size_t count;
};

/* Set by the host for the command; a manifest may not override them. */
static const char *const exec_reserved_env[] = {
	"SUP_ROOT", "SUP_ACTION_ID", "SUP_STAGING_DIR", NULL
};

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
 * Read and validate env, cwd and timeout_s. Every problem is recorded;
 * returns SUP_OK or SUP_ERR. o borrows the host's strings: nothing to
 * release.
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
		char *cwd_host = NULL;

		/* Validated as a string here (check writes nothing);
		 * exec_run() walks it. */
		o->cwd_gw = o->cwd;
		if (host->resolve_path(ctx, o->cwd, SUP_PATH_FOLLOW_LAST,
				       &cwd_host) != SUP_OK)
			ret = SUP_ERR;
		else
			host->free(cwd_host);
	} else {
		o->cwd = host->root_dir(ctx);
		o->cwd_gw = "/";
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
	/* Relative and empty PATH entries are skipped: the installer's
	 * working directory means nothing to a package. */
	err = spl_cmd_find_program(argv0, exec_search_path(o), out);
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
	err = spl_cmd_check_runnable(*out);
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


static void exec_env_release(struct exec_env *env)
{
	for (size_t i = 0; i < env->count; i++)
		free(env->entries[i]);
	free(env->entries);
	memset(env, 0, sizeof(*env));
}

/* The env param as spl_cmd_run() takes it; it adds the SUP_* variables.
 * Returns 0 or an errno value. */
static int exec_env_build(const struct exec_opts *o, struct exec_env *env)
{
	memset(env, 0, sizeof(*env));
	if (o->env_count > SIZE_MAX / sizeof(*env->entries) - 1)
		return EOVERFLOW;
	env->entries = calloc(o->env_count + 1, sizeof(*env->entries));
	if (!env->entries)
		return ENOMEM;
	for (size_t i = 0; i < o->env_count; i++) {
		if (asprintf(&env->entries[i], "%s=%s", o->env_keys[i],
			     o->env_values[i]) < 0) {
			env->entries[i] = NULL;
			exec_env_release(env);
			return ENOMEM;
		}
		env->count++;
	}
	return 0;
}

/* Say the command runs, with its pid (spl_cmd's started hook). */
static void exec_started(void *data, pid_t pid)
{
	const struct exec_job *job = data;

	job->host->log(job->ctx, SUP_LOG_INFO, "running %s '%s' (pid %d)", job->noun, job->name, (int)pid);
}

/* Record why the command never ran. */
static int exec_report_spawn(const struct exec_job *job,
			     const struct spl_cmd_result *res,
			     const char *cwd)
{
	const struct sup_host_api *host = job->host;
	struct sup_action_ctx *ctx = job->ctx;
	const char *noun = job->noun, *name = job->name;
	int err = res->err;

	switch (res->stage) {
	case SPL_CMD_STAGE_ENV:
		return host->fail(ctx, err, "cannot build the environment of %s '%s'", noun, name);
	case SPL_CMD_STAGE_STDIN:
		return host->fail(ctx, err, "cannot open '/dev/null'");
	case SPL_CMD_STAGE_PIPE:
		return host->fail(ctx, err, "cannot create a pipe for %s '%s'", noun, name);
	case SPL_CMD_STAGE_SIGNALS:
		return host->fail(ctx, err, "cannot block signals for %s '%s'", noun, name);
	case SPL_CMD_STAGE_CHDIR:
		return host->fail(ctx, err, "cannot run '%s' in directory '%s'", name, cwd);
	case SPL_CMD_STAGE_EXEC:
		/* The file is there: what is missing is its "#!"
		 * interpreter or its ELF loader. */
		if (err == ENOENT && access(job->path, F_OK) == 0)
			return host->fail(ctx, err, "cannot run the interpreter of '%s'", name);
		break;
	default:
		break;
	}
	return host->fail(ctx, err, "cannot run '%s'", name);
}

/* Record how the command ended; SUP_OK if it exited with status 0. */
static int exec_report(const struct exec_job *job,
		       const struct spl_cmd_result *res, const char *cwd)
{
	const struct sup_host_api *host = job->host;
	struct sup_action_ctx *ctx = job->ctx;
	const char *noun = job->noun, *name = job->name;
	long long ms = res->elapsed_ms;
	char sname[32];

	switch (res->end) {
	case SPL_CMD_SPAWN_ERROR:
		return exec_report_spawn(job, res, cwd);
	case SPL_CMD_WAIT_ERROR:
		return host->fail(ctx, res->err, "cannot wait for %s '%s'", noun, name);
	case SPL_CMD_STOPPED:
		return host->fail(ctx, 0, "%s '%s' stopped: the installer sent signal %d (%s)", noun, name, res->status, spl_cmd_signame(res->status, sname, sizeof(sname)));
	case SPL_CMD_TIMEOUT:
		return host->fail(ctx, 0, "%s '%s' timed out after %lld s", noun, name, (long long)((res->timeout_ms + 999) / 1000));
	case SPL_CMD_SIGNALED:
		return host->fail(ctx, 0, "%s '%s' killed by signal %d (%s)", noun, name, res->status, spl_cmd_signame(res->status, sname, sizeof(sname)));
	case SPL_CMD_EXITED:
	default:
		break;
	}
	if (res->status != 0)
		return host->fail(ctx, 0, "%s '%s' exited with status %d", noun, name, res->status);
	host->log(ctx, SUP_LOG_INFO, "%s '%s' exited with status 0 in %lld.%03lld s", noun, name, ms / 1000, ms % 1000);
	return SUP_OK;
}

/*
 * Run job with the options o and wait for it. Records every failure;
 * returns SUP_OK or SUP_ERR. If the installer sent a stop signal meanwhile,
 * it is raised again once the outcome is recorded.
 */
static int exec_run(const struct exec_opts *o, const struct exec_job *job)
{
	const struct sup_host_api *host = job->host;
	struct sup_action_ctx *ctx = job->ctx;
	struct exec_env env;
	struct spl_cmd cmd = {
		.path = job->path,
		.argv = job->argv,
		.has_cwd_fd = true,
		.timeout_ms = o->timeout_s > 0 ? o->timeout_s * 1000 : -1,
		.started = exec_started,
		.started_data = (void *)job,
		.defer_stop = true,
	};
	struct spl_cmd_result res;
	int err, ret;

	if (!SUP_HOST_HAS(host, path_dir))
		return host->fail(ctx, 0, "this installer lacks path_dir (plugin ABI 1.1)");
	if (host->path_dir(ctx, o->cwd_gw, 0, &cmd.cwd_fd) != SUP_OK)
		return SUP_ERR; /* recorded by the host: "path '...': ..." */
	err = exec_env_build(o, &env);
	if (err) {
		close(cmd.cwd_fd);
		return host->fail(ctx, err, "cannot build the environment of %s '%s'", job->noun, job->name);
	}
	cmd.env = (const char *const *)env.entries;
	spl_cmd_run(host, ctx, &cmd, &res);
	close(cmd.cwd_fd);
	exec_env_release(&env);
	if (res.output_left_open)
		host->log(ctx, SUP_LOG_WARNING, "%s '%s' exited but left processes that keep its output open; their output is not captured", job->noun, job->name);
	ret = exec_report(job, &res, o->cwd);
	spl_cmd_raise_stop(&res);
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
	return ret;
}

static int exec_command_execute(const struct sup_host_api *host,
				struct sup_action_ctx *ctx)
{
	struct exec_opts o;
	struct exec_job job = { .host = host, .ctx = ctx, .noun = "command" };
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
	job.argv = argv;
	ret = exec_run(&o, &job);
out:
	free(prog);
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
	return ret;
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
	int fd = -1, werr, ret = SUP_ERR;

	*shebang = false;
	buf = malloc(SPL_BUF_SIZE);
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
		int64_t n = host->payload_read(pl, buf, SPL_BUF_SIZE);

		if (n == 0)
			break;
		if (n < 0)
			goto out;
		if (n > SPL_BUF_SIZE) {
			host->fail(ctx, 0, "payload '%s' returned more data than asked for", name);
			goto out;
		}
		for (int64_t i = 0; i < n && head_len < sizeof(head); i++)
			head[head_len++] = buf[i];
		werr = spl_write_all(fd, buf, (size_t)n);
		if (werr) {
			host->fail(ctx, werr, "cannot write '%s'", path);
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
	struct exec_job job = { .host = host, .ctx = ctx, .noun = "script" };
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
	if (asprintf(&path, "%s/%s", staging, base) < 0) {
		path = NULL;
		host->fail(ctx, ENOMEM, "cannot stage script '%s'", name);
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
	job.argv = argv;
	ret = exec_run(&o, &job);
out:
	free(argv);
	free(path);
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
