/* SPDX-License-Identifier: MIT */
/*
 * stage.h - stage, then commit: before the first action of a package
 * executes, every action whose type has a stage() op (ABI 1.2) streams
 * its payloads into private directories under STATE_DIR/stage (0700,
 * the installer's), verifying them on the way; payloads no stage() read
 * to their end are verified by the host. Only then do the actions run,
 * and execute() moves what was staged into place. So each payload byte
 * is read, hashed and written once, a bad payload anywhere changes
 * nothing, and the bytes verified are the bytes installed.
 *
 * Staging is only offered for targets on the state directory's file
 * system (a rename then commits it); for others the plugin's execute()
 * streams the payload as before, after the host verified it here.
 * STATE_DIR/stage is removed whenever an installer takes the lock
 * (run_tidy()), so a crash during staging leaves nothing, and --resume
 * stages the pending actions again.
 */
#ifndef SK_STAGE_H
#define SK_STAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/problems.h"
#include "install/env.h"
#include "install/loader.h"
#include "package/supfile.h"

#define SK_STAGE_DIR_NAME "stage"
/* Left free on the state directory's file system for the records. */
#define SK_STAGE_SPARE (1024ull * 1024)

/* One directory a stage() call got (host->stage_dir()). */
struct sk_staged {
	size_t action;
	char *gw;   /* the gateway path the plugin gave */
	char *name; /* in the stage directory */
	dev_t dev;
	ino_t ino;
};

struct sk_stage {
	char *dir;  /* host path of STATE_DIR/stage */
	int fd;	    /* of dir (O_DIRECTORY); -1 when closed */
	dev_t dev;  /* its file system */
	struct sk_staged *e;
	size_t n;
	/* Per payload of the package: a stage() read it to its verified
	 * end. */
	bool *verified;
	size_t n_payloads;
};

/* Make STATE_DIR/stage afresh (0700) and open it. 0 or -errno. */
int sk_stage_open(struct sk_stage *s, const char *state, size_t n_payloads);
/* Remove STATE_DIR/stage and all in it (a failure is a warning), and
 * free s. Accepts a zeroed s. */
void sk_stage_close(struct sk_stage *s);

/* What a stage() call reported (the parent's side of call.c): a
 * directory made, a payload verified. 0 or -ENOMEM / -EINVAL. */
int sk_stage_add(struct sk_stage *s, size_t action, const char *gw,
		 const char *name, dev_t dev, ino_t ino);
void sk_stage_verified(struct sk_stage *s, size_t payload);

/* The directory action staged for gw, or NULL. */
const struct sk_staged *sk_stage_find(const struct sk_stage *s,
				      size_t action, const char *gw);
/* Remove what is left of the directories action staged (after it ran). */
void sk_stage_drop(struct sk_stage *s, size_t action);

/*
 * The stage pass: stage() of every action i (skip NULL or skip[i] false)
 * whose type has one, in order, then the payloads f deferred that no
 * stage() verified, read and hashed here. 0, or -1 with the problem in
 * d: class PACKAGE for a payload that does not match the manifest,
 * SYSTEM for a lack of room or an I/O failure of the host, TARGET for
 * any other failure of a stage() (the package cannot go on this
 * gateway as it is). Nothing outside STATE_DIR/stage was changed either
 * way.
 */
int sk_stage_run(struct sk_stage *s, const struct sk_env *e,
		 const struct sk_supfile *f,
		 const struct sk_action_type **types, const bool *skip,
		 struct sk_problems *d);

#endif
