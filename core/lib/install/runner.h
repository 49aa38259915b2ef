/* SPDX-License-Identifier: MIT */
/*
 * runner.h - `sup install`: preflight, then the actions in sequence, with
 * durable state so that an interrupted or suspended (reboot) run can be
 * resumed, one installer at a time, optionally detached from its caller.
 */
#ifndef SK_RUNNER_H
#define SK_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "install/env.h"

/* Exit codes beyond the preflight classes of base/problems.h (docs/cli.md). */
#define SK_EXIT_OK 0
#define SK_EXIT_FAILED 1
#define SK_EXIT_SYSTEM 6
#define SK_EXIT_SUSPENDED 7 /* stopped for a reboot or a signal: resume */
#define SK_EXIT_BUSY 8	    /* another installer runs, or a run is pending */

enum sk_install_mode {
	SK_MODE_INSTALL = 0,
	SK_MODE_RESUME,	 /* continue the pending run, if any */
	SK_MODE_ABANDON, /* close the pending run as failed */
};

struct sk_install_opts {
	enum sk_install_mode mode;
	const char *sup_path;	 /* SK_MODE_INSTALL only */
	const char *root;	 /* NULL: "/" */
	const char *config_path; /* NULL: default lookup */
	const char *product;	 /* overrides the config, or NULL */
	const char *const *plugin_dirs;
	size_t n_plugin_dirs;
	const char *job_id; /* campaign job this run belongs to, or NULL */
	const char *keyring; /* host path overriding [trust] keyring, or NULL */
	bool allow_downgrade; /* --allow-downgrade */
	bool dry_run;
	bool json;
	bool record_rejection;
	bool quiet;
	bool detach; /* run the actions in a new session, return at once */
};

/* Run `sup install`; returns the exit code. */
int sk_install(const struct sk_install_opts *o);

#endif
