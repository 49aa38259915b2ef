/* SPDX-License-Identifier: MIT */
/*
 * trialload.h - the trial load of plugin files: before the host maps a
 * plugin, a child process opens it with every symbol bound now, so that a
 * plugin the dynamic linker refuses (or that crashes or hangs in a
 * constructor) is refused with the linker's reason and never touches the
 * installer.
 *
 * One child tries every file of a list in order, as the host then loads
 * them (RTLD_NOW | RTLD_LOCAL, one after the other in one process), and
 * reports on each before it opens the next; a file that kills the child,
 * ends it or takes too long is blamed, and a new child goes on with the
 * rest. A process start per plugin cost about 4 ms each, on every run.
 */
#ifndef SK_TRIALLOAD_H
#define SK_TRIALLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "base/problems.h"

/* How long the trial load of one plugin may take. */
#define SK_TRIAL_TIMEOUT_MS 30000
/* The longest loader message kept from the trial load. */
#define SK_TRIAL_MSG_MAX 1024

/*
 * Try the n files of paths (absolute). ok[i] says whether file i opened;
 * each refusal is in d (class SETUP: "cannot load plugin 'PATH': WHY"),
 * a failure to start or watch the child too (class SYSTEM), and every
 * file not tried then is refused.
 */
void sk_trial_load(const char *const *paths, size_t n, bool *ok,
		   struct sk_problems *d);

#endif
