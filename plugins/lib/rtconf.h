/* SPDX-License-Identifier: MIT */
/*
 * rtconf.h - the [runtime] settings of the product profile, read and checked.
 * struct spl_rt holds them, SPL_RT_* are their defaults and limits, and
 * spl_rt_load() (rtconf.c) fills it from host->product_get() (keys in
 * docs/config.md). The looks at the runtime are in rtprobe.h, stop and
 * start in rtctl.h.
 */
#ifndef SPL_RTCONF_H
#define SPL_RTCONF_H

#include <stdbool.h>
#include <stdint.h>

#include <sup/plugin.h>

enum spl_rt_control {
	SPL_RT_CONTROL_COMMANDS = 0, /* start_command, stop_command */
	SPL_RT_CONTROL_SYSTEMD = 1,  /* systemctl start/stop UNIT */
};

enum spl_rt_health {
	SPL_RT_HEALTH_COMMAND = 0,
	SPL_RT_HEALTH_PIDFILE = 1,
	SPL_RT_HEALTH_SYSTEMD = 2,
};

/*
 * The [runtime] settings, checked. Filled by spl_rt_load() and valid
 * during the plugin call whose host and ctx it was loaded with (the
 * strings belong to the host); release it with spl_rt_release().
 */
struct spl_rt {
	const struct sup_host_api *host;
	struct sup_action_ctx *ctx;
	enum spl_rt_control control;
	enum spl_rt_health health;
	const char *unit;	    /* NULL if not set */
	const char *start_command;  /* NULL with control = systemd */
	const char *stop_command;   /* NULL with control = systemd */
	const char *health_command; /* NULL unless health = command */
	const char *pidfile;	    /* gateway path, or NULL */
	/* pidfile under the root (host->free): validated in check, and
	 * tells a probe whether its directory is there at all; the file is
	 * read through host->path_parent(). */
	char *pidfile_host;
	/* The walk to the pidfile was refused (recorded on the action): not
	 * tried again, nothing started or stopped. */
	bool pidfile_refused;
	char *systemctl;	    /* host path of systemctl (free), or NULL */
	int64_t start_timeout_ms;
	int64_t stop_timeout_ms;
	int64_t poll_interval_ms;
};

/* Default and limits of the [runtime] numbers. */
#define SPL_RT_TIMEOUT_S_DEFAULT 60
#define SPL_RT_TIMEOUT_S_MAX 3600
#define SPL_RT_POLL_MS_DEFAULT 200
#define SPL_RT_POLL_MS_MIN 10
#define SPL_RT_POLL_MS_MAX 60000

/*
 * Read and check the [runtime] section; every problem is recorded on ctx
 * with a message naming section and key. Returns SUP_OK or SUP_ERR;
 * release rt either way. No side effects: check() may call it.
 */
int spl_rt_load(struct spl_rt *rt, const struct sup_host_api *host,
		struct sup_action_ctx *ctx);
void spl_rt_release(struct spl_rt *rt);

#endif
