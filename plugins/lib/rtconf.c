/* SPDX-License-Identifier: MIT */
/*
 * rtconf.c - the [runtime] settings of the product profile, read and
 * checked (spl_rt_load(), see rtconf.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "fs.h"
#include "product.h"
#include "rtconf.h"

#define RT_SECTION "runtime"
#define RT_UNIT_MAX 255

static const char *const rt_keys[] = {
	"control", "unit", "start_command", "stop_command", "health",
	"health_command", "pidfile", "start_timeout_s", "stop_timeout_s",
	"poll_interval_ms", NULL
};

static const char *rt_get(const struct spl_rt *rt, const char *key)
{
	return spl_product_get(rt->host, rt->ctx, RT_SECTION, key);
}

static int rt_load_num(struct spl_rt *rt, const char *key, int64_t def,
		       int64_t min, int64_t max, int64_t unit_ms,
		       int64_t *out)
{
	int64_t n;
	int ret;

	ret = spl_product_num(rt->host, rt->ctx, RT_SECTION, key, def, min, max,
			      unit_ms == 1 ? "of milliseconds " : "of seconds ",
			      &n);
	*out = n * unit_ms;
	return ret;
}

static bool rt_is_blank(const char *s)
{
	for (; *s; s++) {
		if (*s != ' ' && *s != '\t')
			return false;
	}
	return true;
}

/* What systemd accepts in a unit name; a leading '-' would be taken for
 * an option of systemctl. */
static bool rt_is_unit_name(const char *s)
{
	size_t n = 0;

	if (s[0] == '-')
		return false;
	for (; s[n]; n++) {
		char c = s[n];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || strchr(":_.\\@-", c)))
			return false;
	}
	return n > 0 && n <= RT_UNIT_MAX;
}

static int rt_load_control(struct spl_rt *rt)
{
	const char *v = rt_get(rt, "control");

	if (!v || strcmp(v, "commands") == 0)
		rt->control = SPL_RT_CONTROL_COMMANDS;
	else if (strcmp(v, "systemd") == 0)
		rt->control = SPL_RT_CONTROL_SYSTEMD;
	else
		return rt->host->fail(rt->ctx, 0, "[runtime] control: '%s' is not one of commands, systemd", v);
	return SUP_OK;
}

static int rt_load_health(struct spl_rt *rt, bool *defaulted)
{
	const char *v = rt_get(rt, "health");

	*defaulted = !v;
	if (!v) {
		if (rt->control == SPL_RT_CONTROL_SYSTEMD)
			rt->health = SPL_RT_HEALTH_SYSTEMD;
		else if (rt_get(rt, "pidfile"))
			rt->health = SPL_RT_HEALTH_PIDFILE;
		else
			rt->health = SPL_RT_HEALTH_COMMAND;
	} else if (strcmp(v, "command") == 0) {
		rt->health = SPL_RT_HEALTH_COMMAND;
	} else if (strcmp(v, "pidfile") == 0) {
		rt->health = SPL_RT_HEALTH_PIDFILE;
	} else if (strcmp(v, "systemd") == 0) {
		rt->health = SPL_RT_HEALTH_SYSTEMD;
	} else {
		return rt->host->fail(rt->ctx, 0, "[runtime] health: '%s' is not one of command, pidfile, systemd", v);
	}
	return SUP_OK;
}

static const char *rt_health_name(enum spl_rt_health h)
{
	switch (h) {
	case SPL_RT_HEALTH_PIDFILE:
		return "pidfile";
	case SPL_RT_HEALTH_SYSTEMD:
		return "systemd";
	case SPL_RT_HEALTH_COMMAND:
	default:
		return "command";
	}
}

/* A command key: required (non-blank) when needed, refused when not. */
static int rt_load_command(struct spl_rt *rt, const char *key,
			   bool needed, const char *why, const char **out)
{
	const char *v = rt_get(rt, key);

	*out = NULL;
	if (!needed) {
		if (v)
			return rt->host->fail(rt->ctx, 0, "[runtime] %s: not used with %s", key, why);
		return SUP_OK;
	}
	if (!v)
		return rt->host->fail(rt->ctx, 0, "[runtime] %s: not set, but %s needs it", key, why);
	if (rt_is_blank(v))
		return rt->host->fail(rt->ctx, 0, "[runtime] %s: empty, but %s needs a command", key, why);
	*out = v;
	return SUP_OK;
}

static int rt_load_commands(struct spl_rt *rt, bool health_defaulted)
{
	bool cmds = rt->control == SPL_RT_CONTROL_COMMANDS;
	const char *why = cmds ? "control = commands" :
				 "control = systemd (set control = commands to use it)";
	char hwhy[64];
	int ret = SUP_OK;

	if (rt_load_command(rt, "start_command", cmds, why,
			    &rt->start_command) != SUP_OK)
		ret = SUP_ERR;
	if (rt_load_command(rt, "stop_command", cmds, why,
			    &rt->stop_command) != SUP_OK)
		ret = SUP_ERR;
	if (rt->health == SPL_RT_HEALTH_COMMAND && health_defaulted)
		snprintf(hwhy, sizeof(hwhy), "health = command (the default without pidfile)");
	else if (rt->health == SPL_RT_HEALTH_COMMAND)
		snprintf(hwhy, sizeof(hwhy), "health = command");
	else
		snprintf(hwhy, sizeof(hwhy), "health = %s (set health = command to use it)", rt_health_name(rt->health));
	if (rt_load_command(rt, "health_command",
			    rt->health == SPL_RT_HEALTH_COMMAND, hwhy,
			    &rt->health_command) != SUP_OK)
		ret = SUP_ERR;
	return ret;
}

static int rt_load_unit(struct spl_rt *rt)
{
	const char *search;
	int err;

	rt->unit = rt_get(rt, "unit");
	if (!rt->unit) {
		if (rt->control == SPL_RT_CONTROL_SYSTEMD)
			return rt->host->fail(rt->ctx, 0, "[runtime] unit: not set, but control = systemd needs it");
		if (rt->health == SPL_RT_HEALTH_SYSTEMD)
			return rt->host->fail(rt->ctx, 0, "[runtime] unit: not set, but health = systemd needs it");
		return SUP_OK;
	}
	if (!rt_is_unit_name(rt->unit))
		return rt->host->fail(rt->ctx, 0, "[runtime] unit: '%s' is not a systemd unit name", rt->unit);
	search = spl_cmd_search_path();
	err = spl_cmd_find_program("systemctl", search, &rt->systemctl);
	if (err == ENOMEM)
		return rt->host->fail(rt->ctx, err, "[runtime] unit: cannot look for systemctl");
	if (err)
		return rt->host->fail(rt->ctx, 0, "[runtime] unit: '%s' needs systemctl, which is not found in PATH '%s'", rt->unit, search);
	return SUP_OK;
}

static int rt_load_pidfile(struct spl_rt *rt)
{
	rt->pidfile = rt_get(rt, "pidfile");
	if (!rt->pidfile) {
		if (rt->health == SPL_RT_HEALTH_PIDFILE)
			return rt->host->fail(rt->ctx, 0, "[runtime] pidfile: not set, but health = pidfile needs it");
		return SUP_OK;
	}
	if (!spl_fs_is_gateway_path(rt->pidfile))
		return rt->host->fail(rt->ctx, 0, "[runtime] pidfile: '%s' is not an absolute gateway path without '..'", rt->pidfile);
	if (!SUP_HOST_HAS(rt->host, path_parent))
		return rt->host->fail(rt->ctx, 0, "[runtime] pidfile: this installer lacks path_parent (plugin ABI 1.1)");
	if (rt->host->resolve_path(rt->ctx, rt->pidfile, SUP_PATH_FOLLOW_LAST,
				   &rt->pidfile_host) != SUP_OK) {
		rt->pidfile_host = NULL;
		return SUP_ERR;
	}
	return SUP_OK;
}

int spl_rt_load(struct spl_rt *rt, const struct sup_host_api *host,
		struct sup_action_ctx *ctx)
{
	bool any = false, health_defaulted = false;
	int ret = SUP_OK;

	memset(rt, 0, sizeof(*rt));
	rt->host = host;
	rt->ctx = ctx;
	if (!SUP_HOST_HAS(host, product_get))
		return host->fail(ctx, 0, "this installer does not pass product settings to plugins (no product_get in its plugin API)");
	for (size_t i = 0; rt_keys[i] && !any; i++)
		any = rt_get(rt, rt_keys[i]) != NULL;
	if (!any)
		return host->fail(ctx, 0, "product profile has no [runtime] section: set control and start_command/stop_command (see docs/config.md)");

	/* The other keys are checked against control and health. */
	if (rt_load_control(rt) != SUP_OK ||
	    rt_load_health(rt, &health_defaulted) != SUP_OK) {
		ret = SUP_ERR;
	} else {
		if (rt_load_commands(rt, health_defaulted) != SUP_OK)
			ret = SUP_ERR;
		if (rt_load_unit(rt) != SUP_OK)
			ret = SUP_ERR;
		if (rt_load_pidfile(rt) != SUP_OK)
			ret = SUP_ERR;
	}
	if (rt_load_num(rt, "start_timeout_s", SPL_RT_TIMEOUT_S_DEFAULT, 1,
			SPL_RT_TIMEOUT_S_MAX, 1000,
			&rt->start_timeout_ms) != SUP_OK)
		ret = SUP_ERR;
	if (rt_load_num(rt, "stop_timeout_s", SPL_RT_TIMEOUT_S_DEFAULT, 1,
			SPL_RT_TIMEOUT_S_MAX, 1000,
			&rt->stop_timeout_ms) != SUP_OK)
		ret = SUP_ERR;
	if (rt_load_num(rt, "poll_interval_ms", SPL_RT_POLL_MS_DEFAULT,
			SPL_RT_POLL_MS_MIN, SPL_RT_POLL_MS_MAX, 1,
			&rt->poll_interval_ms) != SUP_OK)
		ret = SUP_ERR;
	return ret;
}

void spl_rt_release(struct spl_rt *rt)
{
	if (rt->host)
		rt->host->free(rt->pidfile_host);
	free(rt->systemctl);
	rt->pidfile_host = NULL;
	rt->systemctl = NULL;
}
