/* SPDX-License-Identifier: MIT */
/*
 * fixture.c - the well-behaved test plugin "fixture". Its action types
 * succeed, fail, crash, hang or write files on demand so that the loader,
 * runner and end-to-end tests can drive every path of the host through a
 * real shared object.
 *
 * Files are only ever written through paths from host->resolve_path(),
 * durably (temp file beside the target, fsync, rename, fsync of the
 * directory), like a real plugin must.
 */
/* Plugins build on the SDK alone, without the core's _GNU_SOURCE;
 * _DEFAULT_SOURCE adds MAP_ANONYMOUS to POSIX 2008. */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sup/plugin.h>

#include "segfault.h"

#define FIXTURE_CHUNK 65536

/* --- durable writes ------------------------------------------------ */

struct fixture_out {
	const char *path; /* resolved target, borrowed */
	char *tmp;	  /* "<path>.XXXXXX", owned */
	int fd;
};

static int fixture_out_open(const struct sup_host_api *host,
			    struct sup_action_ctx *ctx,
			    struct fixture_out *o, const char *path)
{
	static const char suffix[] = ".XXXXXX";
	size_t plen = strlen(path);

	o->path = path;
	o->fd = -1;
	if (plen > SIZE_MAX - sizeof(suffix)) {
		o->tmp = NULL;
		return host->fail(ctx, 0, "path '%s' is too long", path);
	}
	o->tmp = malloc(plen + sizeof(suffix));
	if (!o->tmp)
		return host->fail(ctx, ENOMEM, "cannot write '%s'", path);
	memcpy(o->tmp, path, plen);
	memcpy(o->tmp + plen, suffix, sizeof(suffix));
	o->fd = mkstemp(o->tmp);
	if (o->fd < 0) {
		int err = errno;

		free(o->tmp);
		o->tmp = NULL;
		return host->fail(ctx, err, "cannot create a temporary file beside '%s'",
				  path);
	}
	if (fchmod(o->fd, 0644) != 0) {
		int err = errno;

		close(o->fd);
		unlink(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
		o->fd = -1;
		return host->fail(ctx, err, "cannot set the mode of '%s'",
				  path);
	}
	return SUP_OK;
}

/* Drop the temporary file; the target stays as it was. */
static void fixture_out_abort(struct fixture_out *o)
{
	if (o->fd >= 0)
		close(o->fd);
	if (o->tmp) {
		unlink(o->tmp);
		free(o->tmp);
	}
	o->fd = -1;
	o->tmp = NULL;
}

static int fixture_out_write(const struct sup_host_api *host,
			     struct sup_action_ctx *ctx,
			     struct fixture_out *o, const void *data,
			     size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(o->fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return host->fail(ctx, errno, "cannot write '%s'",
					  o->tmp);
		}
		p += n;
		len -= (size_t)n;
	}
	return SUP_OK;
}

static int fixture_fsync_parent(const struct sup_host_api *host,
				struct sup_action_ctx *ctx, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dlen = slash && slash != path ? (size_t)(slash - path) : 1;
	char *dir = strndup(slash ? path : ".", slash ? dlen : 1);
	int fd, ret = SUP_OK;

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

/* fsync, rename over the target, fsync the directory. */
static int fixture_out_commit(const struct sup_host_api *host,
			      struct sup_action_ctx *ctx,
			      struct fixture_out *o)
{
	int err;

	if (fsync(o->fd) != 0) {
		err = errno;
		fixture_out_abort(o);
		return host->fail(ctx, err, "cannot sync '%s'", o->path);
	}
	if (close(o->fd) != 0) {
		err = errno;
		o->fd = -1;
		fixture_out_abort(o);
		return host->fail(ctx, err, "cannot close '%s'", o->path);
	}
	o->fd = -1;
	if (rename(o->tmp, o->path) != 0) {
		err = errno;
		fixture_out_abort(o);
		return host->fail(ctx, err, "cannot rename into '%s'",
				  o->path);
	}
	free(o->tmp);
	o->tmp = NULL;
	return fixture_fsync_parent(host, ctx, o->path);
}

/* Copy what the file at path holds so far, if it exists. */
static int fixture_out_copy_old(const struct sup_host_api *host,
				struct sup_action_ctx *ctx,
				struct fixture_out *o)
{
	char *buf;
	int fd, ret = SUP_OK;

	fd = open(o->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return SUP_OK;
		return host->fail(ctx, errno, "cannot open '%s'", o->path);
	}
	buf = malloc(FIXTURE_CHUNK);
	if (!buf) {
		close(fd);
		return host->fail(ctx, ENOMEM, "cannot read '%s'", o->path);
	}
	for (;;) {
		ssize_t n = read(fd, buf, FIXTURE_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = host->fail(ctx, errno, "cannot read '%s'",
					 o->path);
			break;
		}
		if (n == 0)
			break;
		ret = fixture_out_write(host, ctx, o, buf, (size_t)n);
		if (ret != SUP_OK)
			break;
	}
	free(buf);
	close(fd);
	return ret;
}

/* Resolve the gateway path in param "path" and write data there
 * durably; with append, after what the file already holds. */
static int fixture_write_path(const struct sup_host_api *host,
			      struct sup_action_ctx *ctx, const char *data,
			      size_t len, int append)
{
	struct fixture_out o;
	const char *gw;
	char *path = NULL;
	int ret;

	ret = host->param_string(ctx, "path", SUP_PARAM_REQUIRED, &gw);
	if (ret != SUP_OK)
		return SUP_ERR;
	ret = host->resolve_path(ctx, gw, SUP_PATH_FOLLOW_LAST, &path);
	if (ret != SUP_OK)
		return SUP_ERR;
	ret = fixture_out_open(host, ctx, &o, path);
	if (ret != SUP_OK)
		goto out;
	if (append)
		ret = fixture_out_copy_old(host, ctx, &o);
	if (ret == SUP_OK)
		ret = fixture_out_write(host, ctx, &o, data, len);
	if (ret == SUP_OK)
		ret = fixture_out_commit(host, ctx, &o);
	else
		fixture_out_abort(&o);
out:
	host->free(path);
	return ret == SUP_OK ? SUP_OK : SUP_ERR;
}

/* --- fixture.ok ---------------------------------------------------- */

static int fixture_ok_execute(const struct sup_host_api *host,
			      struct sup_action_ctx *ctx)
{
	host->log(ctx, SUP_LOG_INFO, "ok");
	host->output(ctx, "ok\n", 3);
	host->progress(ctx, 100);
	return SUP_OK;
}

/* --- fixture.fail -------------------------------------------------- */

static int fixture_fail_check(const struct sup_host_api *host,
			      struct sup_action_ctx *ctx)
{
	const char *msg;

	if (host->param_string(ctx, "message", SUP_PARAM_OPTIONAL, &msg) ==
	    SUP_EINVAL)
		return SUP_ERR;
	return SUP_OK;
}

static int fixture_fail_execute(const struct sup_host_api *host,
				struct sup_action_ctx *ctx)
{
	const char *msg = "no message";

	if (host->param_string(ctx, "message", SUP_PARAM_OPTIONAL, &msg) ==
	    SUP_EINVAL)
		return SUP_ERR;
	return host->fail(ctx, 0, "fixture failure: %s", msg);
}

/* --- fixture.crash, fixture.crashcheck ----------------------------- */

static int fixture_crash_execute(const struct sup_host_api *host,
				 struct sup_action_ctx *ctx)
{
	host->log(ctx, SUP_LOG_INFO, "about to crash");
	test_segfault();
	return SUP_ERR;
}

static int fixture_crashcheck_check(const struct sup_host_api *host,
				    struct sup_action_ctx *ctx)
{
	host->log(ctx, SUP_LOG_INFO, "about to crash in check");
	test_segfault();
	return SUP_ERR;
}

/* --- fixture.hang -------------------------------------------------- */

static int fixture_hang_execute(const struct sup_host_api *host,
				struct sup_action_ctx *ctx)
{
	int ignore = 0;

	if (host->param_bool(ctx, "ignore_sigterm", SUP_PARAM_OPTIONAL,
			     &ignore) == SUP_EINVAL)
		return SUP_ERR;
	if (ignore) {
		/* Forces the host to escalate to SIGKILL. */
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_IGN;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
	}
	host->log(ctx, SUP_LOG_INFO, "hanging");
	for (;;)
		sleep(1);
	return SUP_ERR;
}

/* --- fixture.slowcheck --------------------------------------------- */

/* A preflight check that takes check_ms milliseconds: lets a test hold
 * one install in preflight while another finishes. */
static int fixture_slowcheck_check(const struct sup_host_api *host,
				   struct sup_action_ctx *ctx)
{
	int64_t ms = 0;
	struct timespec ts;

	if (host->param_int(ctx, "check_ms", SUP_PARAM_REQUIRED, &ms) !=
	    SUP_OK)
		return SUP_ERR;
	if (ms < 0 || ms > 60000)
		return host->fail(ctx, 0, "check_ms %" PRId64 " is not 0..60000",
				  ms);
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	return SUP_OK;
}

/* --- fixture.checkfail --------------------------------------------- */

static int fixture_checkfail_check(const struct sup_host_api *host,
				   struct sup_action_ctx *ctx)
{
	const char *msg = "refused";

	if (host->param_string(ctx, "message", SUP_PARAM_OPTIONAL, &msg) ==
	    SUP_EINVAL)
		return SUP_ERR;
	return host->fail(ctx, 0, "fixture check failed: %s", msg);
}

/* --- fixture.pidcheck, fixture.pidcheck-own ------------------------ */

/* Fails, naming the process it ran in: checks of fixture.pidcheck
 * (SUP_ACTION_SHARED_CHECK) share one, fixture.pidcheck-own's do not. */
static int fixture_pidcheck_check(const struct sup_host_api *host,
				  struct sup_action_ctx *ctx)
{
	return host->fail(ctx, 0, "check in process %ld", (long)getpid());
}

/* --- fixture.write ------------------------------------------------- */

static int fixture_write_check(const struct sup_host_api *host,
			       struct sup_action_ctx *ctx)
{
	const char *s;
	int b, ret = SUP_OK;

	if (host->param_string(ctx, "path", SUP_PARAM_REQUIRED, &s) != SUP_OK)
		ret = SUP_ERR;
	if (host->param_string(ctx, "content", SUP_PARAM_REQUIRED, &s) !=
	    SUP_OK)
		ret = SUP_ERR;
	if (host->param_bool(ctx, "append", SUP_PARAM_OPTIONAL, &b) ==
	    SUP_EINVAL)
		ret = SUP_ERR;
	return ret;
}

/* "pause_if" (a gateway path) exists: create "paused" and sleep 30 s, for
 * a test to kill the installer in the middle of this idempotent action. */
static int fixture_write_pause(const struct sup_host_api *host,
			       struct sup_action_ctx *ctx)
{
	const char *gate = NULL, *mark = NULL;
	char *gate_path = NULL, *mark_path = NULL;
	struct timespec ts = { .tv_sec = 30 };
	int fd;

	if (host->param_string(ctx, "pause_if", SUP_PARAM_OPTIONAL, &gate) !=
		    SUP_OK ||
	    host->param_string(ctx, "paused", SUP_PARAM_OPTIONAL, &mark) !=
		    SUP_OK)
		return SUP_OK;
	if (host->resolve_path(ctx, gate, 0, &gate_path) != SUP_OK ||
	    host->resolve_path(ctx, mark, 0, &mark_path) != SUP_OK) {
		host->free(gate_path);
		return SUP_ERR;
	}
	if (access(gate_path, F_OK) == 0) {
		fd = open(mark_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
		nanosleep(&ts, NULL);
	}
	host->free(gate_path);
	host->free(mark_path);
	return SUP_OK;
}

static int fixture_write_execute(const struct sup_host_api *host,
				 struct sup_action_ctx *ctx)
{
	const char *content;
	char *line;
	size_t len;
	int append = 0, ret;

	if (fixture_write_pause(host, ctx) != SUP_OK)
		return SUP_ERR;

	if (host->param_string(ctx, "content", SUP_PARAM_REQUIRED,
			       &content) != SUP_OK)
		return SUP_ERR;
	if (host->param_bool(ctx, "append", SUP_PARAM_OPTIONAL, &append) ==
	    SUP_EINVAL)
		return SUP_ERR;
	len = strlen(content);
	if (!append)
		return fixture_write_path(host, ctx, content, len, 0);
	/* Append mode adds one line: content and a newline. */
	if (len == SIZE_MAX)
		return host->fail(ctx, 0, "parameter 'content' is too long");
	line = malloc(len + 1);
	if (!line)
		return host->fail(ctx, ENOMEM, "cannot append a line");
	memcpy(line, content, len);
	line[len] = '\n';
	ret = fixture_write_path(host, ctx, line, len + 1, 1);
	free(line);
	return ret;
}

/* --- fixture.noted ------------------------------------------------ */

/*
 * Write "content" to "path" the way a plugin that does not stage writes
 * next to its target: a temporary ".<name>.sup-XXXXXX" in the target's
 * directory (path_parent()), noted with temp_note(), then (when
 * "pause_if" exists) a pause, for a test to kill the installer while the
 * temporary is there; then a rename into place.
 */
static int fixture_noted_execute(const struct sup_host_api *host,
				 struct sup_action_ctx *ctx)
{
	static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	const char *gw, *content;
	char *name = NULL, *tmp = NULL;
	int dfd = -1, fd = -1, rc = SUP_ERR;
	size_t len;

	if (host->param_string(ctx, "path", SUP_PARAM_REQUIRED, &gw) !=
		    SUP_OK ||
	    host->param_string(ctx, "content", SUP_PARAM_REQUIRED,
			       &content) != SUP_OK)
		return SUP_ERR;
	if (!SUP_HOST_HAS(host, temp_note) ||
	    host->path_parent(ctx, gw, 0, &dfd, &name) != SUP_OK)
		return host->fail(ctx, 0, "cannot open the directory of '%s'",
				  gw);
	len = strlen(name) + 13;
	tmp = malloc(len);
	if (!tmp) {
		host->fail(ctx, ENOMEM, "cannot write '%s'", gw);
		goto out;
	}
	srand((unsigned int)getpid());
	snprintf(tmp, len, ".%s.sup-", name);
	for (size_t i = strlen(tmp); i < len - 1; i++)
		tmp[i] = digits[(size_t)rand() % (sizeof(digits) - 1)];
	tmp[len - 1] = '\0';
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		host->fail(ctx, errno, "cannot create '%s'", tmp);
		goto out;
	}
	if (host->temp_note(ctx, dfd, tmp) != SUP_OK ||
	    fixture_write_pause(host, ctx) != SUP_OK)
		goto out;
	if (write(fd, content, strlen(content)) != (ssize_t)strlen(content) ||
	    fsync(fd) != 0 || renameat(dfd, tmp, dfd, name) != 0) {
		host->fail(ctx, errno, "cannot write '%s'", gw);
		goto out;
	}
	rc = SUP_OK;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	host->free(name);
	free(tmp);
	return rc;
}

/* --- fixture.payload ----------------------------------------------- */

static int fixture_payload_check(const struct sup_host_api *host,
				 struct sup_action_ctx *ctx)
{
	const char *s, *name;
	uint64_t size;

	if (host->param_string(ctx, "path", SUP_PARAM_REQUIRED, &s) != SUP_OK)
		return SUP_ERR;
	if (host->payload_count(ctx) != 1)
		return host->fail(ctx, 0, "fixture.payload takes exactly one payload, got %zu",
				  host->payload_count(ctx));
	if (host->payload_info(ctx, 0, &name, &size) != SUP_OK)
		return SUP_ERR;
	return SUP_OK;
}

static int fixture_payload_execute(const struct sup_host_api *host,
				   struct sup_action_ctx *ctx)
{
	struct fixture_out o = { .fd = -1 };
	struct sup_payload *pl = NULL;
	const char *gw;
	char *path = NULL, *buf = NULL;
	int opened = 0, ret = SUP_ERR;
	int64_t chunk_ms = 0;
	struct timespec ts;

	if (host->param_string(ctx, "path", SUP_PARAM_REQUIRED, &gw) != SUP_OK)
		return SUP_ERR;
	/* A slow reader, for the progress tests: a pause after each chunk. */
	if (host->param_int(ctx, "chunk_ms", SUP_PARAM_OPTIONAL, &chunk_ms) !=
		    SUP_OK ||
	    chunk_ms < 0 || chunk_ms > 1000)
		chunk_ms = 0;
	if (host->resolve_path(ctx, gw, SUP_PATH_FOLLOW_LAST, &path) != SUP_OK)
		return SUP_ERR;
	buf = malloc(FIXTURE_CHUNK);
	if (!buf) {
		host->fail(ctx, ENOMEM, "cannot write '%s'", path);
		goto out;
	}
	if (fixture_out_open(host, ctx, &o, path) != SUP_OK)
		goto out;
	opened = 1;
	if (host->payload_open(ctx, 0, &pl) != SUP_OK)
		goto out;
	for (;;) {
		int64_t n = host->payload_read(pl, buf, FIXTURE_CHUNK);

		if (n < 0)
			goto out; /* recorded by the host */
		if (n == 0)
			break;
		if (fixture_out_write(host, ctx, &o, buf, (size_t)n) != SUP_OK)
			goto out;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)chunk_ms * 1000000L;
		while (chunk_ms && nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	/* Only now, with the payload verified, may the file appear. */
	opened = 0;
	ret = fixture_out_commit(host, ctx, &o) == SUP_OK ? SUP_OK : SUP_ERR;
out:
	if (opened)
		fixture_out_abort(&o);
	if (pl)
		host->payload_close(pl);
	free(buf);
	host->free(path);
	return ret;
}

/* --- fixture.params ------------------------------------------------ */

/* One line per getter: "key=value", or "key: absent" / "key: invalid"
 * when the host said so. A wrong type makes the action fail with the
 * host's own message, after the report was written. */
static const char *fixture_status_name(int rc)
{
	switch (rc) {
	case SUP_ENOENT:
		return "absent";
	case SUP_EINVAL:
		return "invalid";
	case SUP_ENOTSUP:
		return "not supported";
	default:
		return "error";
	}
}

static int fixture_params_check(const struct sup_host_api *host,
				struct sup_action_ctx *ctx)
{
	const char *s;

	if (host->param_string(ctx, "path", SUP_PARAM_REQUIRED, &s) != SUP_OK)
		return SUP_ERR;
	return SUP_OK;
}

static int fixture_params_report(const struct sup_host_api *host,
				 struct sup_action_ctx *ctx, FILE *m)
{
	const char *const *keys, *const *values, *const *list;
	const char *s;
	int64_t i;
	size_t n;
	int b, rc, invalid = 0;

	rc = host->param_string(ctx, "string", SUP_PARAM_OPTIONAL, &s);
	if (rc == SUP_OK)
		fprintf(m, "string=%s\n", s);
	else
		fprintf(m, "string: %s\n", fixture_status_name(rc));
	invalid |= rc == SUP_EINVAL;

	rc = host->param_int(ctx, "int", SUP_PARAM_OPTIONAL, &i);
	if (rc == SUP_OK)
		fprintf(m, "int=%" PRId64 "\n", i);
	else
		fprintf(m, "int: %s\n", fixture_status_name(rc));
	invalid |= rc == SUP_EINVAL;

	rc = host->param_bool(ctx, "bool", SUP_PARAM_OPTIONAL, &b);
	if (rc == SUP_OK)
		fprintf(m, "bool=%s\n", b ? "true" : "false");
	else
		fprintf(m, "bool: %s\n", fixture_status_name(rc));
	invalid |= rc == SUP_EINVAL;

	rc = host->param_strings(ctx, "strings", SUP_PARAM_OPTIONAL, &list,
				 &n);
	if (rc == SUP_OK) {
		fprintf(m, "strings=%zu\n", n);
		for (size_t k = 0; k < n; k++)
			fprintf(m, "strings[%zu]=%s\n", k, list[k]);
		fprintf(m, "strings.terminated=%s\n",
			list[n] == NULL ? "yes" : "no");
	} else {
		fprintf(m, "strings: %s\n", fixture_status_name(rc));
	}
	invalid |= rc == SUP_EINVAL;

	rc = host->param_strmap(ctx, "strmap", SUP_PARAM_OPTIONAL, &keys,
				&values, &n);
	if (rc == SUP_OK) {
		fprintf(m, "strmap=%zu\n", n);
		for (size_t k = 0; k < n; k++)
			fprintf(m, "strmap[%s]=%s\n", keys[k], values[k]);
	} else {
		fprintf(m, "strmap: %s\n", fixture_status_name(rc));
	}
	invalid |= rc == SUP_EINVAL;

	rc = host->param_json(ctx, "json", SUP_PARAM_OPTIONAL, &s);
	if (rc == SUP_OK)
		fprintf(m, "json=%s\n", s);
	else
		fprintf(m, "json: %s\n", fixture_status_name(rc));
	invalid |= rc == SUP_EINVAL;

	return invalid;
}

static int fixture_params_execute(const struct sup_host_api *host,
				  struct sup_action_ctx *ctx)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m;
	int invalid, ret;

	m = open_memstream(&text, &len);
	if (!m)
		return host->fail(ctx, errno, "cannot build the parameter report");
	invalid = fixture_params_report(host, ctx, m);
	if (fclose(m) != 0) {
		free(text);
		return host->fail(ctx, errno, "cannot build the parameter report");
	}
	ret = fixture_write_path(host, ctx, text, len, 0);
	free(text);
	if (ret != SUP_OK)
		return SUP_ERR;
	/* The host already recorded what was wrong. */
	return invalid ? SUP_ERR : SUP_OK;
}

/* --- fixture.config ------------------------------------------------ */

static int fixture_config_check(const struct sup_host_api *host,
				struct sup_action_ctx *ctx)
{
	const char *s;
	int ret = SUP_OK;

	if (host->param_string(ctx, "path", SUP_PARAM_REQUIRED, &s) != SUP_OK)
		ret = SUP_ERR;
	if (host->param_string(ctx, "key", SUP_PARAM_REQUIRED, &s) != SUP_OK)
		ret = SUP_ERR;
	return ret;
}

static int fixture_config_execute(const struct sup_host_api *host,
				  struct sup_action_ctx *ctx)
{
	const char *key, *value;
	char *line;
	size_t len;
	int ret;

	if (host->param_string(ctx, "key", SUP_PARAM_REQUIRED, &key) != SUP_OK)
		return SUP_ERR;
	ret = host->config_get(ctx, key, &value);
	if (ret == SUP_ENOENT)
		return host->fail(ctx, 0, "fixture config key '%s' is not set",
				  key);
	if (ret != SUP_OK)
		return host->fail(ctx, 0, "cannot read fixture config key '%s'",
				  key);
	len = strlen(value);
	if (len == SIZE_MAX)
		return host->fail(ctx, 0, "config value of '%s' is too long",
				  key);
	line = malloc(len + 1);
	if (!line)
		return host->fail(ctx, ENOMEM, "cannot write config value");
	memcpy(line, value, len);
	line[len] = '\n';
	ret = fixture_write_path(host, ctx, line, len + 1, 0);
	free(line);
	return ret;
}

/* --- fixture.rollback ---------------------------------------------- */

static int fixture_rollback_execute(const struct sup_host_api *host,
				    struct sup_action_ctx *ctx)
{
	return host->fail(ctx, 0, "fixture failure before rollback");
}

static int fixture_rollback_rollback(const struct sup_host_api *host,
				     struct sup_action_ctx *ctx)
{
	static const char done[] = "rolled back\n";
	int fail = 0;

	if (host->param_bool(ctx, "rollback_fail", SUP_PARAM_OPTIONAL,
			     &fail) == SUP_EINVAL)
		return SUP_ERR;
	if (fail)
		return host->fail(ctx, 0, "fixture rollback failure");
	return fixture_write_path(host, ctx, done, sizeof(done) - 1, 0);
}

/* --- descriptor ---------------------------------------------------- */

static const char *const fixture_no_params[] = { NULL };
static const char *const fixture_message_params[] = { "message", NULL };
static const char *const fixture_hang_params[] = { "ignore_sigterm", NULL };
static const char *const fixture_write_params[] = {
	"path", "content", "append", "pause_if", "paused", NULL
};
static const char *const fixture_payload_params[] = { "path", "chunk_ms",
						      NULL };
static const char *const fixture_noted_params[] = { "path", "content",
						    "pause_if", "paused",
						    NULL };
static const char *const fixture_params_params[] = {
	"path", "string", "int", "bool", "strings", "strmap", "json", NULL
};
static const char *const fixture_config_params[] = { "path", "key", NULL };
static const char *const fixture_slowcheck_params[] = { "check_ms", NULL };
static const char *const fixture_rollback_params[] = { "path",
						       "rollback_fail", NULL };

/* --- fixture.stagetamper ------------------------------------------- */

/* Write the "Threads:" line of /proc/PID/status to path. */
static int copy_threads_line(pid_t pid, const char *path)
{
	char proc[64], line[256];
	FILE *in, *out;
	int found = 0;

	snprintf(proc, sizeof(proc), "/proc/%ld/status", (long)pid);
	in = fopen(proc, "r");
	if (!in)
		return -1;
	while (!found && fgets(line, sizeof(line), in))
		found = strncmp(line, "Threads:", 8) == 0;
	fclose(in);
	if (!found) {
		errno = ENOENT;
		return -1;
	}
	out = fopen(path, "w");
	if (!out)
		return -1;
	fputs(line, out);
	return fclose(out) == 0 ? 0 : -1;
}

/* stage(): flip the byte at "offset" of "file" (a host path: the .sup
 * being installed), as a local user who can write the file would while
 * the package is staged; the actions after it stage what is now there.
 * stage() with "hang_ms": sleep that long first (to be killed).
 * With "threads_to" (a host path): first write there the "Threads:" line
 * of the installer's /proc status, as this stage call saw it. */
static int fixture_stagetamper_stage(const struct sup_host_api *host,
				     struct sup_action_ctx *ctx)
{
	const char *file = NULL, *threads_to = NULL;
	int64_t off = -1, hang = 0;
	unsigned char b;
	int fd;

	if (host->param_string(ctx, "threads_to", SUP_PARAM_OPTIONAL,
			       &threads_to) == SUP_EINVAL)
		return SUP_ERR;
	if (threads_to && copy_threads_line(getppid(), threads_to) != 0)
		return host->fail(ctx, errno, "cannot note the threads in '%s'",
				  threads_to);
	if (host->param_int(ctx, "hang_ms", SUP_PARAM_OPTIONAL, &hang) ==
		    SUP_EINVAL ||
	    host->param_string(ctx, "file", SUP_PARAM_OPTIONAL, &file) ==
		    SUP_EINVAL ||
	    host->param_int(ctx, "offset", SUP_PARAM_OPTIONAL, &off) ==
		    SUP_EINVAL)
		return SUP_ERR;
	if (hang > 0) {
		struct timespec ts = { .tv_sec = hang / 1000,
				       .tv_nsec = (hang % 1000) * 1000000 };

		nanosleep(&ts, NULL);
	}
	if (!file)
		return SUP_OK;
	fd = open(file, O_RDWR);
	if (fd < 0 || pread(fd, &b, 1, (off_t)off) != 1) {
		if (fd >= 0)
			close(fd);
		return host->fail(ctx, errno, "cannot read '%s'", file);
	}
	b ^= 1;
	if (pwrite(fd, &b, 1, (off_t)off) != 1) {
		close(fd);
		return host->fail(ctx, errno, "cannot write '%s'", file);
	}
	close(fd);
	host->log(ctx, SUP_LOG_INFO, "flipped byte %" PRId64 " of '%s'", off,
		  file);
	return SUP_OK;
}

static const char *const fixture_stagetamper_params[] = {
	"file", "offset", "hang_ms", "threads_to", NULL
};

static const struct sup_action_ops fixture_actions[] = {
	/* params NULL: accepts (and ignores) every parameter name */
	{ .type = "fixture.ok", .execute = fixture_ok_execute,
	  .flags = SUP_ACTION_IDEMPOTENT },
	{ .type = "fixture.fail", .check = fixture_fail_check,
	  .execute = fixture_fail_execute, .params = fixture_message_params },
	{ .type = "fixture.crash", .execute = fixture_crash_execute,
	  .params = fixture_no_params },
	{ .type = "fixture.hang", .execute = fixture_hang_execute,
	  .params = fixture_hang_params },
	{ .type = "fixture.crashcheck", .check = fixture_crashcheck_check,
	  .execute = fixture_ok_execute, .params = fixture_no_params },
	{ .type = "fixture.slowcheck", .check = fixture_slowcheck_check,
	  .execute = fixture_ok_execute, .params = fixture_slowcheck_params },
	{ .type = "fixture.checkfail", .check = fixture_checkfail_check,
	  .execute = fixture_ok_execute, .params = fixture_message_params },
	{ .type = "fixture.write", .check = fixture_write_check,
	  .execute = fixture_write_execute, .flags = SUP_ACTION_IDEMPOTENT,
	  .params = fixture_write_params },
	{ .type = "fixture.pidcheck", .check = fixture_pidcheck_check,
	  .execute = fixture_ok_execute, .flags = SUP_ACTION_SHARED_CHECK,
	  .params = fixture_no_params },
	{ .type = "fixture.pidcheck-own", .check = fixture_pidcheck_check,
	  .execute = fixture_ok_execute, .params = fixture_no_params },
	{ .type = "fixture.payload", .check = fixture_payload_check,
	  .execute = fixture_payload_execute, .flags = SUP_ACTION_IDEMPOTENT,
	  .params = fixture_payload_params, .min_payloads = 1,
	  .max_payloads = 1 },
	{ .type = "fixture.params", .check = fixture_params_check,
	  .execute = fixture_params_execute, .params = fixture_params_params },
	{ .type = "fixture.config", .check = fixture_config_check,
	  .execute = fixture_config_execute, .params = fixture_config_params },
	{ .type = "fixture.noted", .execute = fixture_noted_execute,
	  .flags = SUP_ACTION_IDEMPOTENT, .params = fixture_noted_params },
	{ .type = "fixture.stagetamper", .execute = fixture_ok_execute,
	  .stage = fixture_stagetamper_stage,
	  .params = fixture_stagetamper_params },
	{ .type = "fixture.rollback", .execute = fixture_rollback_execute,
	  .rollback = fixture_rollback_rollback,
	  .params = fixture_rollback_params },
	{ 0 }
};

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	static const struct sup_plugin me = {
		SUP_PLUGIN_HEADER,
		.name = "fixture",
		.version = "1.0.0",
		.description = "test plugin whose actions succeed, fail, crash, hang or write files on demand",
		.actions = fixture_actions,
	};

	return &me;
}
