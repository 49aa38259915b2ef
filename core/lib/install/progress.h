/* SPDX-License-Identifier: MIT */
/*
 * progress.h - what `sup install` shows of its progress: a live line on a
 * terminal, and JSON events on a descriptor (--progress-fd) for a local
 * UI or a supervisor (docs/cli.md, "Progress"). Bytes come from the
 * shared meter (base/meter.h), which the readers of package/ feed.
 *
 * An install goes through stages: "verify" (the package opened and its
 * payloads read and hashed), "stage" (the stage pass, stage.h) and
 * "actions" (the run loop). Each stage that begins also ends. Progress
 * never changes an exit code or a record: a descriptor that breaks or
 * stops reading is given up, with one warning.
 *
 * One reporter per process (sk_progress_open() to sk_progress_finish());
 * every other call is a no-op without it, and in a forked child.
 */
#ifndef SK_PROGRESS_H
#define SK_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct run;
struct sk_supfile;
struct sk_call_result;

/* --progress-fd TEXT: an open descriptor this process may write. 0 with
 * *fd set, or -EINVAL (not a number from 0 to INT_MAX), -EBADF (not
 * open), -EACCES (open read-only). */
int sk_progress_parse_fd(const char *text, int *fd);

/* Report on fd (-1: no events) and, when line, with a live line on
 * stderr (a terminal; the caller decides, quiet excluded). Nothing is
 * opened when neither is asked. 0 or -errno (progress is then off). */
int sk_progress_open(int fd, bool line, bool quiet);
/* End what is open and send the last event, the result of exit code
 * (dry_run: a clean --dry-run); then close. */
void sk_progress_finish(int exit_code, bool dry_run);
/* What a clean end (exit code 0) of this run is called when it is not
 * an install's "succeeded": "abandoned" (--abandon closed the pending
 * install), "nothing-pending" (--resume or --abandon found none). A
 * literal; the last call wins. */
void sk_progress_outcome(const char *result);
/* --detach: the caller's process says where the install went (result
 * "detached", pid) and ends; the detached installer reports nothing. */
void sk_progress_detached(pid_t pid);
void sk_progress_drop(void);

/* Clear the live line before a line is printed on stderr; the next tick
 * draws it again. */
void sk_progress_hide(void);

/* The verification pass over f (ok: it passed). */
void sk_progress_verify_begin(void);
void sk_progress_verify_end(const struct sk_supfile *f);
/* The stage pass of r over the actions not skipped (skip as run_stage). */
void sk_progress_stage_begin(const struct run *r, const bool *skip);
void sk_progress_stage_end(bool ok);
/* The run loop of r: its pending actions, each one's start and end. */
void sk_progress_actions_begin(const struct run *r);
void sk_progress_action_begin(const struct run *r, size_t i);
void sk_progress_action_end(const struct run *r, size_t i,
			    const struct sk_call_result *res);
void sk_progress_actions_end(const struct run *r);
/* A plugin's percent (host->progress) for the running action: true when
 * the live line shows it (the caller then prints no line of its own). */
bool sk_progress_action_percent(int percent);

#endif
