/* SPDX-License-Identifier: MIT */
/*
 * cmd.h - run a host command for a plugin: a shell command line
 * (/bin/sh -c SCRIPT [ARG0 ARG...]) or a program with its argv.
 *
 * The command runs on the host (not chrooted) in a new process group, with
 * stdin from /dev/null, stdout and stderr on one pipe whose chunks go to
 * host->output() (or to a caller's sink) as they come, the inherited
 * environment plus the caller's additions plus SUP_ROOT, SUP_ACTION_ID and
 * SUP_STAGING_DIR (when there is one), and no descriptor of the installer
 * beyond 0-2. It gets SIGKILL if the plugin process dies first.
 *
 * On timeout the command's process group gets SIGTERM, then SIGKILL 5 s
 * later. The command is over when its first process exits; processes it
 * left in the background (a daemon it started) keep running, and their
 * output is read for 200 ms more only.
 *
 * The installer stops a plugin with SIGTERM (SIGKILL 5 s later). Such a
 * signal (SIGTERM, SIGINT, SIGHUP) received while a command runs is
 * forwarded to the command's group, and raised again in the plugin once
 * the command is gone and the signal dispositions are restored (or, with
 * defer_stop, once the caller has recorded its verdict).
 *
 * Nothing here calls host->fail(): the caller says what failed, e.g.
 * host->fail(ctx, 0, "stop command %s", spl_cmd_describe(&res, buf, len))
 * gives "stop command exited with status 3".
 */
#ifndef SPL_CMD_H
#define SPL_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sup/plugin.h>

/* What a command needs; the strings belong to the caller. */
struct spl_cmd {
	/* A shell command line, run as /bin/sh -c script [args...]: args[0]
	 * becomes $0 and args[1] $1. NULL to run path instead. */
	const char *script;
	/* NULL-terminated; only with script, may be NULL. */
	const char *const *args;
	/* Without script: the host path of the program and its argv
	 * (NULL-terminated, argv[0] first). */
	const char *path;
	const char *const *argv;
	/* NULL-terminated "NAME=value" entries that override the inherited
	 * environment (a later entry overrides an earlier one). SUP_ROOT,
	 * SUP_ACTION_ID and SUP_STAGING_DIR are set after them and cannot be
	 * overridden. May be NULL. */
	const char *const *env;
	/* Host directory to run in; NULL for "/". */
	const char *cwd;
	/* Run in this directory instead (fchdir() in the child): a
	 * descriptor from host->path_dir(), which no swapped path component
	 * can redirect. Only when has_cwd_fd; the caller closes it. */
	bool has_cwd_fd;
	int cwd_fd;
	/* Milliseconds the command may run, < 0 for no limit of its own. The
	 * action's time left (host->time_left_ms()) limits it as well. */
	int64_t timeout_ms;
	/* Where the command's output goes; NULL sends it to host->output(). */
	void (*sink)(void *data, const char *buf, size_t len);
	void *sink_data;
	/* Called once the command's first process exists, with its pid (to
	 * say that it runs); may be NULL. */
	void (*started)(void *data, pid_t pid);
	void *started_data;
	/* Keep a stop signal of the installer from being raised again by
	 * spl_cmd_run(), so that the caller can record its verdict first and
	 * then call spl_cmd_raise_stop(). */
	bool defer_stop;
};

/* How a command ended. */
enum spl_cmd_end {
	SPL_CMD_EXITED = 0,	 /* status: its exit status */
	SPL_CMD_SIGNALED = 1,	 /* status: the signal that killed it */
	SPL_CMD_TIMEOUT = 2,	 /* killed after timeout_ms */
	SPL_CMD_STOPPED = 3,	 /* killed because the installer stopped the
				  * plugin; status: the installer's signal */
	SPL_CMD_SPAWN_ERROR = 4, /* never ran: see stage and err */
	SPL_CMD_WAIT_ERROR = 5,	 /* could not be watched (err); it was
				  * killed */
};

/* Where a command that never ran failed. */
enum spl_cmd_stage {
	SPL_CMD_STAGE_PREPARE = 1, /* its argv, memory */
	SPL_CMD_STAGE_SETUP = 2,   /* in the child, before chdir */
	SPL_CMD_STAGE_CHDIR = 3,
	SPL_CMD_STAGE_EXEC = 4,
	SPL_CMD_STAGE_ENV = 5,	   /* building its environment */
	SPL_CMD_STAGE_STDIN = 6,   /* opening /dev/null */
	SPL_CMD_STAGE_PIPE = 7,
	SPL_CMD_STAGE_SIGNALS = 8, /* blocking and catching signals */
	SPL_CMD_STAGE_FORK = 9,
};

struct spl_cmd_result {
	enum spl_cmd_end end;
	int status;
	enum spl_cmd_stage stage; /* SPL_CMD_SPAWN_ERROR only */
	int err; /* errno, SPL_CMD_SPAWN_ERROR and SPL_CMD_WAIT_ERROR */
	pid_t pid;		  /* the command's first process, or -1 */
	int64_t elapsed_ms;
	int64_t timeout_ms; /* the limit applied, -1 if none */
	/* Processes the command left behind still hold its output open;
	 * what they write is not captured. */
	bool output_left_open;
	/* The installer's stop signal received while the command ran, or 0;
	 * with defer_stop, for spl_cmd_raise_stop(). */
	int stop_signal;
};

/* Longest text spl_cmd_describe() writes, with its NUL. */
#define SPL_CMD_DESC_LEN 128

/*
 * Run cmd and wait for it. Fills *res in every case. Returns SUP_OK if the
 * command exited with status 0, else SUP_ERR. Never records a failure on
 * ctx.
 */
int spl_cmd_run(const struct sup_host_api *host, struct sup_action_ctx *ctx,
		const struct spl_cmd *cmd, struct spl_cmd_result *res);

/* After a run with defer_stop: raise the installer's stop signal again if
 * it came meanwhile (which may end the plugin, as the installer asked). */
void spl_cmd_raise_stop(const struct spl_cmd_result *res);

/*
 * How res ended, as the predicate of a sentence whose subject the caller
 * gives: "exited with status 3", "was killed by signal 9 (SIGKILL)",
 * "timed out after 30 s", "was stopped: the installer sent signal 15
 * (SIGTERM)", "could not be run: cannot execute it: No such file or
 * directory". Written to buf (SPL_CMD_DESC_LEN bytes suffice); returns buf.
 */
const char *spl_cmd_describe(const struct spl_cmd_result *res, char *buf,
			     size_t len);

/* "SIGKILL" for 9, "SIGRTMIN+2", else "unknown signal"; written to buf
 * (32 bytes suffice), returned. */
const char *spl_cmd_signame(int sig, char *buf, size_t len);

/* A duration: "30 s", or "9.500 s" when not whole seconds; a negative one
 * as 0. Written to buf (32 bytes suffice), returned. */
const char *spl_cmd_secs(int64_t ms, char *buf, size_t len);

/* The PATH commands search: the installer's, else the shell's default. */
const char *spl_cmd_search_path(void);

/* 0 if path is a regular file this process may execute, else an errno
 * value (EISDIR, EACCES, ...). */
int spl_cmd_check_runnable(const char *path);

/*
 * Find the program name stands for: an absolute host path to an
 * executable regular file, or a bare name looked up in search (relative
 * and empty entries skipped). Returns 0 and a malloc'd *out, or an errno
 * value (EACCES if only unusable files were found, EINVAL for a relative
 * path with a '/').
 */
int spl_cmd_find_program(const char *name, const char *search, char **out);

/*
 * The program a shell command line starts: its first word, if that word is
 * a plain absolute path or bare name (no quotes, variables, assignments or
 * other shell syntax). Returns 0 and a malloc'd *out, EINVAL if the first
 * word cannot be told without a shell (or the line is empty), or ENOMEM.
 */
int spl_cmd_first_word(const char *script, char **out);

#endif
