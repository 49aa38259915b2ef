/* SPDX-License-Identifier: MIT */
/*
 * agentconf.h - supd.conf, the configuration of the campaign agent
 * (libinih; docs/tr50.md lists the keys). Every path in it is a host path.
 */
#ifndef SUPD_AGENTCONF_H
#define SUPD_AGENTCONF_H

#include <stdbool.h>
#include <stddef.h>

#include "base/problems.h"

#define SUPD_DEFAULT_CONF SUPKIT_SYSCONF_DIR "/supd.conf"

struct supd_conf {
	char *path; /* the file read */
	/* [portal] */
	char *endpoint; /* without trailing '/' */
	char *app_id;
	char *app_token; /* secret: never printed */
	char *thing_key;
	char *ca_bundle; /* NULL: the system's CA store */
	bool insecure;	 /* allow a plain http:// endpoint (tests) */
	/* [agent] */
	unsigned long long poll_interval_s;
	unsigned long long max_backoff_s;
	char *download_dir;
	char *state_dir;
	char *logs_dir; /* where sup writes confirmation.json */
	char *sup_path;
	char *root;	  /* passed to sup as --root */
	char *sup_config; /* passed to sup as --config, or NULL */
	char **plugin_dirs; /* each passed to sup as --plugin-dir */
	size_t n_plugin_dirs;
	unsigned long long min_free_mb;
	unsigned long long mailbox_limit;
};

/*
 * Read path into c (always initialised; release it with
 * supd_conf_release()). Every problem goes to d as "FILE:LINE: what" (or
 * "FILE: what" for a missing key or the file's mode). Refuses a file that
 * holds app_token and is readable by its group or by others, and a file
 * that others may change. Returns 0 or -1.
 */
int supd_conf_load(struct supd_conf *c, const char *path,
		   struct sk_problems *d);
void supd_conf_release(struct supd_conf *c);

#endif
