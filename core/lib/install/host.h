/* SPDX-License-Identifier: MIT */
/*
 * host.h - running one plugin call (check, stage, execute or rollback) in a
 * child process, with the host services of sup/plugin.h implemented on
 * the child side and reported to the parent over a pipe as JSON lines.
 */
#ifndef SK_HOST_H
#define SK_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "base/config.h"
#include "install/env.h"
#include "install/loader.h"
#include "package/manifest.h"
#include "package/supfile.h"

enum sk_phase {
	SK_PHASE_CHECK = 0,
	SK_PHASE_EXECUTE,
	SK_PHASE_ROLLBACK,
	SK_PHASE_STAGE,
};

struct sk_stage;

/* Everything a plugin call needs; all borrowed. */
struct sk_call {
	enum sk_phase phase;
	const struct sk_action_type *type;
	const struct sk_action_decl *action;
	size_t action_index;
	const struct sk_supfile *sup;
	const struct sk_config *config;
	const char *root;    /* canonical host root */
	/* A descriptor of root (O_PATH), opened once by the caller; 0 or
	 * less: none (the child opens root by name). */
	int root_fd;
	const char *staging; /* NULL during check and stage */
	/* The journal of temporaries (temps.h), or NULL: temp_note() then
	 * refuses (check). */
	const char *temps;
	/* Stage, then commit (stage.h): during stage where directories are
	 * made, and what the call staged and verified is added to it (in
	 * the parent); during execute and rollback what was staged. NULL:
	 * nothing is staged. */
	struct sk_stage *stage;
	unsigned long timeout_s;
	/* Do not echo plugin log lines and later failures to stderr. They
	 * are printed escaped (sk_show_text()). */
	bool quiet;
	/* Called in the parent when the plugin calls request_resume()
	 * during execute; makes the state durable and returns 0, or -1. */
	int (*on_resume)(void *data, const char *reason);
	void *on_resume_data;
};

/* Size of the captured output tail kept for confirmation.json. */
#define SK_OUTPUT_TAIL 4096

struct sk_call_result {
	bool ok;
	char *code;    /* error code (see docs/confirmation.md), or NULL */
	/* Error message, or NULL: the first failure the plugin recorded
	 * (later ones are printed unless quiet), or for a check every one,
	 * joined by "; ". The plugin's text as it was: escape it
	 * (sk_show_text()) to print it. */
	char *message;
	char *output;  /* tail of the captured output, or NULL */
	long long duration_ms;
	/* The plugin announced that the run stops after this action (a
	 * reboot); the reason it gave, or NULL. */
	char *resume_reason;
};

void sk_call_result_release(struct sk_call_result *r);

/* The timeout of an action: its own, or the configured default. */
unsigned long sk_action_timeout(const struct sk_action_decl *a,
				const struct sk_config *cfg);

/* call zeroed, then set for phase of action i of f, of type t, in e,
 * with the action's timeout; the caller sets the rest. */
void sk_call_init(struct sk_call *call, enum sk_phase phase,
		  const struct sk_env *e, const struct sk_supfile *f, size_t i,
		  const struct sk_action_type *t);

/*
 * Run the call in a child process in its own process group and wait for
 * it, at most call->timeout_s seconds (then SIGTERM to the group, SIGKILL
 * 5 s later). Always fills *res; returns 0, or -1 if no child could be
 * started (res then says why, code "internal").
 */
int sk_call_run(const struct sk_call *call, struct sk_call_result *res);

/*
 * Run the n calls in order in one child process, each with its own
 * timeout, as sk_call_run() runs one: for checks whose types allow it
 * (SUP_ACTION_SHARED_CHECK). A call that crashes, ends the child or
 * times out gets that result and a new child goes on with the next. Fills
 * every res[k]; returns 0, or -1 if a child could not be started (the
 * calls left then say why, code "internal").
 */
int sk_call_run_many(const struct sk_call *calls, size_t n,
		     struct sk_call_result *res);

/* For call.c: the name of a phase in messages ("checking", ...), and the
 * main function of the child that runs the calls in order (never
 * returns); deadline_ms is the first call's. */
const char *sk_phase_name(enum sk_phase p);
void sk_host_child_main(const struct sk_call *calls, size_t n, int fd,
			int ack_fd, long long deadline_ms, pid_t parent)
	__attribute__((noreturn));

#endif
