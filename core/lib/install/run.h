/* SPDX-License-Identifier: MIT */
/*
 * run.h - what a fresh install (runner.c) and the continuation or
 * closing of an interrupted one (resume.c) share: one run of a package's
 * actions, its record, lock and state. Private to core/lib/install/.
 */
#ifndef SK_RUN_H
#define SK_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "install/env.h"
#include "install/runner.h"
#include "install/stage.h"
#include "package/supfile.h"
#include "record/confirm.h"

/* One run of the actions of a package. */
struct run {
	const struct sk_env *e;
	const struct sk_supfile *f;
	const struct sk_action_type **types;
	const struct sk_install_opts *o;
	struct sk_stage *stage; /* what the stage pass staged, or NULL */
	struct sk_confirm c;
	char *logs;  /* host paths */
	char *state;
	int state_fd;	/* the state directory, walked once; -1: none */
	size_t current; /* action being executed */
	bool suspended;
	char *fail_code;
	char *fail_msg;
};

/* The record: write it (a failure is reported on stderr; 0 or -1), the
 * audit messages of a run that ended, the package it names (SHA-256),
 * whether it is still under way for that package, and closing one left
 * open (the running action failed with act_code, the run with code). */
int run_write_record(struct sk_confirm *c);
void run_audit(struct sk_confirm *c, const char *logs);
const char *run_record_sha256(const struct sk_confirm *c);
bool run_record_open(const struct sk_confirm *c, const char *sha256);
void run_close_record(struct sk_confirm *c, const char *act_code,
		      const char *act_msg, const char *code, const char *msg);

/* The installer lock of state (its descriptor, or -1 with the refusal
 * printed), and the sweeps every holder of it makes: leftover
 * temporaries, a record left without state (run_settle_no_state). */
int run_take_lock(const char *state, const char *what);
void run_tidy(const char *root, const char *state, const char *logs);
void run_settle_no_state(const char *state, const char *logs, bool quiet);

/* The run itself: its failure, the actions skipped after an aborting
 * one, what is now installed under the package's name (anti-rollback),
 * detaching (--detach), and the loop over the pending actions, which
 * writes the final record and returns the exit code. */
void run_set_failure(struct run *r, const char *code, char *msg);
void run_skip_pending(struct run *r);
void run_record_installed_as(int state_fd, const char *state, const char *name,
			     const char *version, unsigned long long sv);
int run_detach(struct run *r, int lock_fd, const char *what);
int run_loop(struct run *r);

/* The stage pass (stage.h) over the actions not yet run (skip: those
 * that are; NULL: none), into r->stage, which it opens; problems are
 * printed. 0, or the exit code of the failure. */
int run_stage(struct run *r, const bool *skip, struct sk_problems *d);

/* Continue (--resume) or close (--abandon) a pending install. */
int run_resume(const struct sk_install_opts *o);
int run_abandon(const struct sk_install_opts *o);

#endif
