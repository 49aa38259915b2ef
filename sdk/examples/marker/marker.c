/* SPDX-License-Identifier: MIT */
/*
 * marker.c - an example supkit plugin, written as a tutorial for vendors.
 *
 * It provides one action type, "marker.write", which writes a line of
 * text to a file on the gateway. A manifest uses it like this:
 *
 *	{ "id": "stamp", "type": "marker.write",
 *	  "params": { "path": "/etc/acme/release", "text": "2.4.1" } }
 *
 * Things every plugin does, and this one shows:
 *
 *  - Export exactly one symbol, sup_plugin_entry(), returning a static
 *    descriptor. Everything else is static (and the build hides any other
 *    symbol with -fvisibility=hidden).
 *  - Never link against the installer. Everything the plugin needs from
 *    it (parameters, paths, logging, errors) comes through the
 *    struct sup_host_api table passed to each call.
 *  - Validate in check(), act in execute(). check() runs for every action
 *    of the package before anything is installed, so a bad parameter
 *    rejects the whole package while the gateway is still untouched.
 *  - Report failures with host->fail(); the installer records the message
 *    in confirmation.json. A plugin never writes that file.
 *  - Touch only paths returned by host->resolve_path(): the installer may
 *    be installing into a root other than "/" (--root), and the gateway
 *    path "/etc/acme/release" must land inside it.
 *  - Write durably: a power cut must leave either the old file or the new
 *    one, never half of it.
 *
 * Each call runs in a child process of the installer, so a bug here
 * cannot take the installer down, but it also means nothing kept in memory
 * survives from check() to execute().
 */

/* The plugin is plain POSIX 2008 C; no other feature macros are needed. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sup/plugin.h>

/*
 * check: validate the parameters without side effects.
 *
 * SUP_PARAM_REQUIRED makes the host itself record "missing required
 * parameter 'path'" when a parameter is absent, and a parameter of the
 * wrong type (say "text": 42) is always recorded by the host, so the
 * plugin only has to return SUP_ERR.
 *
 * The path is not resolved here: check() runs before any action of the
 * package executes, and the directory may be created by an earlier
 * action. Checking that it is absolute is enough to refuse a manifest
 * that can never work; execute() resolves it.
 */
static int marker_check(const struct sup_host_api *host,
			struct sup_action_ctx *ctx)
{
	const char *path, *text;
	int ret = SUP_OK;

	/* Look at every parameter, so that one run reports all problems. */
	if (host->param_string(ctx, "path", SUP_PARAM_REQUIRED, &path) !=
	    SUP_OK)
		ret = SUP_ERR;
	else if (path[0] != '/')
		ret = host->fail(ctx, 0, "parameter 'path' must be an absolute gateway path, got '%s'",
				 path);
	if (host->param_string(ctx, "text", SUP_PARAM_REQUIRED, &text) !=
	    SUP_OK)
		ret = SUP_ERR;
	else if (strchr(text, '\n'))
		ret = host->fail(ctx, 0, "parameter 'text' must be a single line");
	return ret;
}

/*
 * Write all of buf, retrying short writes and interrupted calls. A third
 * copy of write_all (the core's sk_write_all(), the plugins'
 * spl_write_all()) on purpose: this example stands alone, built out of
 * tree against the installed SDK only, which has no such helper (see
 * plugins/lib/util.h).
 */
static int marker_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync the directory holding path, so that the rename is durable. */
static int marker_sync_dir(const struct sup_host_api *host,
			   struct sup_action_ctx *ctx, const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, ret = SUP_OK;

	/* A resolved path is absolute, so there is always a slash. */
	if (!slash)
		return host->fail(ctx, 0, "resolved path '%s' is not absolute",
				  path);
	dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (!dir)
		return host->fail(ctx, ENOMEM, "cannot sync the directory of '%s'",
				  path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		ret = host->fail(ctx, errno, "cannot sync directory '%s'", dir);
	if (fd >= 0)
		close(fd);
	free(dir);
	return ret;
}

/*
 * Replace the file at path with data, durably: write a temporary file in
 * the same directory (rename() is only atomic within one file system),
 * fsync it, rename it over the target, then fsync the directory.
 */
static int marker_replace_file(const struct sup_host_api *host,
			       struct sup_action_ctx *ctx, const char *path,
			       const char *data, size_t len)
{
	static const char suffix[] = ".XXXXXX";
	size_t plen = strlen(path);
	char *tmp;
	int fd, err, ret = SUP_ERR;

	/* Size arithmetic on anything derived from input is checked. */
	if (plen > SIZE_MAX - sizeof(suffix))
		return host->fail(ctx, 0, "path '%s' is too long", path);
	tmp = malloc(plen + sizeof(suffix));
	if (!tmp)
		return host->fail(ctx, ENOMEM, "cannot write '%s'", path);
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, suffix, sizeof(suffix));

	fd = mkstemp(tmp);
	if (fd < 0) {
		host->fail(ctx, errno, "cannot create a temporary file beside '%s'",
			   path);
		goto out;
	}
	/* mkstemp creates the file 0600; a marker is world-readable. */
	if (fchmod(fd, 0644) != 0 || marker_write_all(fd, data, len) != 0 ||
	    fsync(fd) != 0) {
		err = errno;
		close(fd);
		unlink(tmp);
		host->fail(ctx, err, "cannot write '%s'", tmp);
		goto out;
	}
	if (close(fd) != 0) {
		err = errno;
		unlink(tmp);
		host->fail(ctx, err, "cannot write '%s'", tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		err = errno;
		unlink(tmp);
		host->fail(ctx, err, "cannot rename '%s' to '%s'", tmp, path);
		goto out;
	}
	ret = marker_sync_dir(host, ctx, path);
out:
	free(tmp);
	return ret;
}

/*
 * execute: do the work.
 *
 * The parameters are read again: check() ran in another process. The
 * result is the same whether the action runs once or twice (the file is
 * replaced, not appended to), so the type is flagged idempotent and the
 * installer may repeat it when it resumes an interrupted run.
 */
static int marker_execute(const struct sup_host_api *host,
			  struct sup_action_ctx *ctx)
{
	const char *gateway_path, *text;
	char *path = NULL, *line = NULL;
	size_t len;
	int ret = SUP_ERR;

	if (host->param_string(ctx, "path", SUP_PARAM_REQUIRED,
			       &gateway_path) != SUP_OK ||
	    host->param_string(ctx, "text", SUP_PARAM_REQUIRED, &text) !=
		    SUP_OK)
		return SUP_ERR;

	/* Map the gateway path into the root being installed. The host
	 * refuses ".." and keeps symbolic links inside the root. The result
	 * is allocated by the host and released with host->free(). */
	if (host->resolve_path(ctx, gateway_path, SUP_PATH_FOLLOW_LAST,
			       &path) != SUP_OK)
		return SUP_ERR;

	len = strlen(text);
	if (len > SIZE_MAX - 1) {
		host->fail(ctx, 0, "parameter 'text' is too long");
		goto out;
	}
	line = malloc(len + 1);
	if (!line) {
		host->fail(ctx, ENOMEM, "cannot write '%s'", path);
		goto out;
	}
	memcpy(line, text, len);
	line[len] = '\n';

	host->log(ctx, SUP_LOG_INFO, "writing marker to '%s'", gateway_path);
	ret = marker_replace_file(host, ctx, path, line, len + 1);
out:
	free(line);
	host->free(path);
	return ret;
}

/* The parameters marker.write accepts; the host rejects any other name
 * during preflight, which catches typos in manifests. */
static const char *const marker_write_params[] = { "path", "text", NULL };

/* One entry per action type; the table ends with an all-zero entry. */
static const struct sup_action_ops marker_actions[] = {
	{
		.type = "marker.write",
		.check = marker_check,
		.execute = marker_execute,
		.flags = SUP_ACTION_IDEMPOTENT,
		.params = marker_write_params,
		/* min_payloads = max_payloads = 0: takes no payload */
	},
	{ 0 }
};

/*
 * The entry point. SUP_PLUGIN_HEADER fills in the ABI version, the struct
 * sizes and the build signature the host checks before using anything
 * else. The name must equal the file name without ".so".
 */
SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin marker = {
		SUP_PLUGIN_HEADER,
		.name = "marker",
		.version = "1.0.0",
		.description = "example plugin: writes a line of text to a file",
		.actions = marker_actions,
	};

	return &marker;
}
