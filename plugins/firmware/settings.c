/* SPDX-License-Identifier: MIT */
/*
 * settings.c - the firmware action's parameters and [firmware] settings, read
 * and checked (fw_load()), and the names and paths made of them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <sup/plugin.h>

#include "fs.h"
#include "product.h"
#include "rtconf.h"

#include "firmware.h"

char *fw_strf(const char *fmt, ...)
{
	va_list ap;
	char *out;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&out, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : out;
}

char *fw_last_name(const char *p)
{
	const char *end = p + strlen(p), *s;

	while (end > p && end[-1] == '/')
		end--;
	for (s = end; s > p && s[-1] != '/';)
		s--;
	return strndup(s, (size_t)(end - s));
}

char *fw_normalize(const char *p)
{
	char *n = malloc(strlen(p) + 2);
	size_t len = 0;

	if (!n)
		return NULL;
	if (*p == '/')
		n[len++] = '/';
	while (*p) {
		size_t clen;

		p += strspn(p, "/");
		clen = strcspn(p, "/");
		if (clen > 0 && !(clen == 1 && p[0] == '.')) {
			if (len > 0 && n[len - 1] != '/')
				n[len++] = '/';
			memcpy(n + len, p, clen);
			len += clen;
		}
		p += clen;
	}
	n[len] = '\0';
	return n;
}

bool fw_is_version(const char *v)
{
	size_t i, len = strlen(v);

	if (len == 0 || len > FW_VERSION_MAX || v[0] == '.')
		return false;
	for (i = 0; i < len; i++) {
		char c = v[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '+' || c == '-'))
			return false;
	}
	return true;
}

static const char *fw_get(const struct fw *fw, const char *key)
{
	return spl_product_get(fw->host, fw->ctx, FW_SECTION, key);
}

/* Absolute, no ".." component, not the root; normalised into *out. */
static int fw_load_gw_path(struct fw *fw, const char *key, char **out)
{
	const char *v = fw_get(fw, key);

	*out = NULL;
	if (!v)
		return fw->host->fail(fw->ctx, 0,
				      "[firmware] %s: not set, but method = release needs it",
				      key);
	if (!spl_fs_is_gateway_path(v))
		return fw->host->fail(fw->ctx, 0,
				      "[firmware] %s: '%s' is not an absolute gateway path without '..'",
				      key, v);
	*out = fw_normalize(v);
	if (!*out)
		return fw->host->fail(fw->ctx, ENOMEM,
				      "[firmware] %s: cannot read '%s'", key,
				      v);
	if (!strcmp(*out, "/"))
		return fw->host->fail(fw->ctx, 0,
				      "[firmware] %s: '%s' is the root directory",
				      key, v);
	return SUP_OK;
}

/*
 * The link text for releases_gw/version: relative ("releases/2.1.0") when
 * current_link sits in the parent directory of releases_dir, so that the
 * link means the same under any root; else the absolute gateway path.
 */
static char *fw_link_target(const struct fw *fw)
{
	size_t rdir = (size_t)(strrchr(fw->releases_gw, '/') -
			       fw->releases_gw) + 1;
	size_t cdir = (size_t)(strrchr(fw->current_gw, '/') -
			       fw->current_gw) + 1;

	if (rdir == cdir && !strncmp(fw->releases_gw, fw->current_gw, rdir))
		return fw_strf("%s/%s", fw->releases_gw + rdir, fw->version);
	return spl_fs_join(fw->releases_gw, fw->version);
}

static int fw_load_release(struct fw *fw)
{
	const struct sup_host_api *host = fw->host;
	struct sup_action_ctx *ctx = fw->ctx;
	int ret = SUP_OK;

	if (fw_load_gw_path(fw, "releases_dir", &fw->releases_gw))
		ret = SUP_ERR;
	if (fw_load_gw_path(fw, "current_link", &fw->current_gw))
		ret = SUP_ERR;
	if (ret)
		return ret;
	if (!strcmp(fw->releases_gw, fw->current_gw))
		return host->fail(ctx, 0,
				  "[firmware] current_link: '%s' is also releases_dir",
				  fw->current_gw);
	fw->release_gw = spl_fs_join(fw->releases_gw, fw->version);
	fw->target = fw_link_target(fw);
	fw->current_dir_gw = strndup(fw->current_gw,
				     (size_t)(strrchr(fw->current_gw, '/') -
					      fw->current_gw));
	if (!fw->release_gw || !fw->target || !fw->current_dir_gw)
		return host->fail(ctx, ENOMEM, "cannot read [firmware]");
	if (!fw->current_dir_gw[0]) {
		free(fw->current_dir_gw);
		fw->current_dir_gw = strdup("/");
		if (!fw->current_dir_gw)
			return host->fail(ctx, ENOMEM,
					  "cannot read [firmware]");
	}
	return SUP_OK;
}

static void fw_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void fw_release(struct fw *fw)
{
	spl_rt_release(&fw->rt);
	if (fw->host)
		fw->host->free(fw->releases_host);
	fw_close(&fw->releases_fd);
	fw_close(&fw->link_dfd);
	fw_close(&fw->release_dfd);
	fw_close(&fw->stage_fd);
	free(fw->releases_gw);
	free(fw->current_gw);
	free(fw->current_dir_gw);
	free(fw->release_gw);
	free(fw->target);
	free(fw->link_name);
	free(fw->release_name);
	memset(fw, 0, sizeof(*fw));
	fw->releases_fd = fw->link_dfd = fw->release_dfd = fw->stage_fd = -1;
}

int fw_load(struct fw *fw, const struct sup_host_api *host,
	    struct sup_action_ctx *ctx)
{
	const char *method = NULL, *v;
	int64_t n;
	int ret = SUP_OK, r;

	memset(fw, 0, sizeof(*fw));
	fw->releases_fd = fw->link_dfd = fw->release_dfd = fw->stage_fd = -1;
	fw->host = host;
	fw->ctx = ctx;
	if (host->param_string(ctx, "version", SUP_PARAM_REQUIRED,
			       &fw->version) != SUP_OK)
		return SUP_ERR;
	if (!fw_is_version(fw->version))
		return host->fail(ctx, 0,
				  "parameter 'version' must be 1 to %d characters of A-Z a-z 0-9 . _ + - not starting with '.', got '%s'",
				  FW_VERSION_MAX, fw->version);
	r = host->param_string(ctx, "method", SUP_PARAM_OPTIONAL, &method);
	if (r != SUP_OK && r != SUP_ENOENT)
		return SUP_ERR;
	if (host->payload_count(ctx) != 1 ||
	    host->payload_info(ctx, 0, &fw->pname, &fw->psize) != SUP_OK)
		return host->fail(ctx, 0,
				  "action type '%s' takes 1 payload, got %zu",
				  host->action_type(ctx),
				  host->payload_count(ctx));
	/* Also checks that the host passes product settings at all. */
	if (spl_rt_load(&fw->rt, host, ctx) != SUP_OK) {
		if (!SUP_HOST_HAS(host, product_get))
			return SUP_ERR;
		ret = SUP_ERR;
	}

	if (method) {
		v = method;
	} else {
		v = fw_get(fw, "method");
		if (!v)
			v = "release";
	}
	if (!strcmp(v, "release")) {
		fw->method = FW_METHOD_RELEASE;
	} else if (!strcmp(v, "flasher")) {
		fw->method = FW_METHOD_FLASHER;
	} else {
		if (method)
			host->fail(ctx, 0,
				   "parameter 'method' must be release or flasher, got '%s'",
				   method);
		else
			host->fail(ctx, 0,
				   "[firmware] method: '%s' is not one of release, flasher",
				   v);
		ret = SUP_ERR;
	}

	n = fw->rt.start_timeout_ms > 0 ? fw->rt.start_timeout_ms / 1000 :
					  SPL_RT_TIMEOUT_S_DEFAULT;
	if (spl_product_num(host, ctx, FW_SECTION, "health_timeout_s", n, 1,
			    SPL_RT_TIMEOUT_S_MAX, "of seconds ", &n))
		ret = SUP_ERR;
	fw->health_timeout_ms = n * 1000;
	if (spl_product_num(host, ctx, FW_SECTION, "min_free_mb",
			    FW_MIN_FREE_MB_DEFAULT, 0, FW_MIN_FREE_MB_MAX,
			    "of MiB ", &n))
		ret = SUP_ERR;
	fw->min_free_mb = (uint64_t)n;
	if (spl_product_num(host, ctx, FW_SECTION, "keep_releases",
			    FW_KEEP_DEFAULT, 1, FW_KEEP_MAX, "",
			    &fw->keep_releases))
		ret = SUP_ERR;

	/* The method's own settings only make sense for a known method. */
	if (ret)
		return ret;
	if (fw->method == FW_METHOD_FLASHER) {
		fw->flasher_command = fw_get(fw, "flasher_command");
		if (!fw->flasher_command)
			ret = host->fail(ctx, 0,
					 "[firmware] flasher_command: not set, but method = flasher needs it");
		else if (!fw->flasher_command[strspn(fw->flasher_command,
						     " \t")])
			ret = host->fail(ctx, 0,
					 "[firmware] flasher_command: empty, but method = flasher needs a command");
		return ret;
	}
	if (fw_load_release(fw))
		ret = SUP_ERR;
	return ret;
}
