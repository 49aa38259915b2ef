/* SPDX-License-Identifier: MIT */
/* host.c - plugin calls in child processes; the host services. */
#include "install/host.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/rootfd.h"
#include "base/rootpath.h"
#include "base/util.h"
#include "install/temps.h"

/* One message line from a child is at most this long; plugins' texts are
 * cut to SK_MSG_MAX before they are sent. */
#define SK_LINE_MAX (64 * 1024)
#define SK_MSG_MAX (8 * 1024)
#define SK_KILL_GRACE_MS 5000
/* A check reports every failure it records, up to this many. */
#define SK_CHECK_FAILS_MAX 32

/* ------------------------------------------------------------------ */
/* child side                                                          */

struct alloc {
	void *p;
	struct alloc *next;
};

struct sup_action_ctx {
	const struct sk_call *call;
	int fd;		 /* pipe to the parent */
	int ack_fd;	 /* pipe from the parent (request_resume answers) */
	bool failed;	 /* a failure was recorded */
	long long deadline_ms;
	struct alloc *allocs; /* arrays handed to the plugin */
	int own_root_fd; /* opened here when the call brought none, or -1 */
	/* The directories path_parent()/path_dir() handed out, by device
	 * and inode, with their gateway paths: what temp_note() records. */
	struct handed_dir *dirs;
	size_t n_dirs;
};

struct handed_dir {
	dev_t dev;
	ino_t ino;
	char *gw;
};

struct sup_payload {
	struct sup_action_ctx *ctx;
	struct sk_payload_stream *s;
};

static void send_obj(struct sup_action_ctx *ctx, json_object *o)
{
	const char *text;

	if (!o)
		return;
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (text) {
		/* A parent that went away leaves nothing to report to. */
		if (sk_write_all(ctx->fd, text, strlen(text)) == 0)
			(void)sk_write_all(ctx->fd, "\n", 1);
	}
	json_object_put(o);
}

static json_object *msg_new(const char *t)
{
	json_object *o = json_object_new_object();

	if (o)
		json_object_object_add(o, "t", json_object_new_string(t));
	return o;
}

static void send_text(struct sup_action_ctx *ctx, const char *t,
		      const char *key, const char *text, size_t len)
{
	json_object *o = msg_new(t);

	if (!o)
		return;
	json_object_object_add(o, key, json_object_new_string_len(text,
								   (int)len));
	send_obj(ctx, o);
}

static void record_failure(struct sup_action_ctx *ctx, const char *code,
			   const char *msg)
{
	json_object *o = msg_new("fail");
	size_t len = strlen(msg);

	ctx->failed = true;
	if (!o)
		return;
	json_object_object_add(o, "c", json_object_new_string(code));
	json_object_object_add(o, "m", json_object_new_string_len(msg,
		(int)(len > SK_MSG_MAX ? SK_MSG_MAX : len)));
	send_obj(ctx, o);
}

static void failf(struct sup_action_ctx *ctx, const char *code,
		  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void failf(struct sup_action_ctx *ctx, const char *code,
		  const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	record_failure(ctx, code, msg ? msg : "failure (out of memory)");
	free(msg);
}

static void *ctx_keep(struct sup_action_ctx *ctx, void *p)
{
	struct alloc *a;

	if (!p)
		return NULL;
	a = malloc(sizeof(*a));
	if (!a) {
		free(p);
		return NULL;
	}
	a->p = p;
	a->next = ctx->allocs;
	ctx->allocs = a;
	return p;
}

static void h_log(struct sup_action_ctx *ctx, int level, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;
	json_object *o;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	o = msg_new("log");
	if (o) {
		json_object_object_add(o, "l", json_object_new_int(level));
		json_object_object_add(o, "m", json_object_new_string_len(msg,
			n > SK_MSG_MAX ? SK_MSG_MAX : n));
		send_obj(ctx, o);
	}
	free(msg);
}

static int h_fail(struct sup_action_ctx *ctx, int errnum, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (errnum)
		failf(ctx, "action_failed", "%s: %s",
		      msg ? msg : "failure", strerror(errnum));
	else
		record_failure(ctx, "action_failed", msg ? msg : "failure");
	free(msg);
	return SUP_ERR;
}

static void h_progress(struct sup_action_ctx *ctx, unsigned int percent)
{
	json_object *o = msg_new("progress");

	if (!o)
		return;
	json_object_object_add(o, "p", json_object_new_int(
		(int)(percent > 100 ? 100 : percent)));
	send_obj(ctx, o);
}

static void h_output(struct sup_action_ctx *ctx, const char *data, size_t len)
{
	/* Only the tail is kept; send at most its size of each chunk. */
	if (len > SK_OUTPUT_TAIL) {
		data += len - SK_OUTPUT_TAIL;
		len = SK_OUTPUT_TAIL;
	}
	if (len)
		send_text(ctx, "output", "d", data, len);
}

static const char *h_action_id(struct sup_action_ctx *ctx)
{
	return ctx->call->action->id;
}

static const char *h_action_type(struct sup_action_ctx *ctx)
{
	return ctx->call->action->type;
}

static const char *json_kind(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a number with a fraction";
	case json_type_int: return "an integer";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "an unknown value";
}

/* Look a parameter up; record absence (if required) or nothing. */
static int param_get(struct sup_action_ctx *ctx, const char *key,
		     unsigned int flags, json_object **v)
{
	if (json_object_object_get_ex(ctx->call->action->params, key, v))
		return SUP_OK;
	if (flags & SUP_PARAM_REQUIRED)
		failf(ctx, "action_failed", "missing required parameter '%s'",
		      key);
	return SUP_ENOENT;
}

static int param_wrong(struct sup_action_ctx *ctx, const char *key,
		       const char *want, json_object *v)
{
	failf(ctx, "action_failed", "parameter '%s': expected %s, got %s", key,
	      want, json_kind(v));
	return SUP_EINVAL;
}

static int h_param_string(struct sup_action_ctx *ctx, const char *key,
			  unsigned int flags, const char **out)
{
	json_object *v;
	int r = param_get(ctx, key, flags, &v);

	if (r)
		return r;
	if (!json_object_is_type(v, json_type_string))
		return param_wrong(ctx, key, "a string", v);
	if (strlen(json_object_get_string(v)) !=
	    (size_t)json_object_get_string_len(v)) {
		failf(ctx, "action_failed",
		      "parameter '%s': string contains a NUL character", key);
		return SUP_EINVAL;
	}
	*out = json_object_get_string(v);
	return SUP_OK;
}

static int h_param_int(struct sup_action_ctx *ctx, const char *key,
		       unsigned int flags, int64_t *out)
{
	json_object *v;
	int r = param_get(ctx, key, flags, &v);

	if (r)
		return r;
	if (!json_object_is_type(v, json_type_int))
		return param_wrong(ctx, key, "an integer", v);
	errno = 0;
	*out = json_object_get_int64(v);
	if (errno == ERANGE || (*out == INT64_MAX &&
				json_object_get_uint64(v) > INT64_MAX)) {
		failf(ctx, "action_failed",
		      "parameter '%s': integer out of range", key);
		return SUP_EINVAL;
	}
	return SUP_OK;
}

static int h_param_bool(struct sup_action_ctx *ctx, const char *key,
			unsigned int flags, int *out)
{
	json_object *v;
	int r = param_get(ctx, key, flags, &v);

	if (r)
		return r;
	if (!json_object_is_type(v, json_type_boolean))
		return param_wrong(ctx, key, "a boolean", v);
	*out = json_object_get_boolean(v) ? 1 : 0;
	return SUP_OK;
}

static int h_param_strings(struct sup_action_ctx *ctx, const char *key,
			   unsigned int flags, const char *const **out,
			   size_t *count)
{
	json_object *v;
	const char **arr;
	size_t n;
	int r = param_get(ctx, key, flags, &v);

	if (r)
		return r;
	if (!json_object_is_type(v, json_type_array))
		return param_wrong(ctx, key, "an array of strings", v);
	n = json_object_array_length(v);
	arr = ctx_keep(ctx, calloc(n + 1, sizeof(*arr)));
	if (!arr) {
		failf(ctx, "internal", "out of memory");
		return SUP_ERR;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);

		if (!json_object_is_type(e, json_type_string) ||
		    strlen(json_object_get_string(e)) !=
			    (size_t)json_object_get_string_len(e)) {
			failf(ctx, "action_failed",
			      "parameter '%s'[%zu]: expected a string without NUL characters, got %s",
			      key, i, json_kind(e));
			return SUP_EINVAL;
		}
		arr[i] = json_object_get_string(e);
	}
	*out = arr;
	*count = n;
	return SUP_OK;
}

static int h_param_strmap(struct sup_action_ctx *ctx, const char *key,
			  unsigned int flags, const char *const **keys,
			  const char *const **values, size_t *count)
{
	json_object *v;
	const char **k, **val;
	size_t n, i = 0;
	int r = param_get(ctx, key, flags, &v);

	if (r)
		return r;
	if (!json_object_is_type(v, json_type_object))
		return param_wrong(ctx, key, "an object of strings", v);
	n = (size_t)json_object_object_length(v);
	k = ctx_keep(ctx, calloc(n + 1, sizeof(*k)));
	val = ctx_keep(ctx, calloc(n + 1, sizeof(*val)));
	if (!k || !val) {
		failf(ctx, "internal", "out of memory");
		return SUP_ERR;
	}
	json_object_object_foreach(v, mk, mv) {
		if (!json_object_is_type(mv, json_type_string) ||
		    strlen(json_object_get_string(mv)) !=
			    (size_t)json_object_get_string_len(mv)) {
			failf(ctx, "action_failed",
			      "parameter '%s.%s': expected a string without NUL characters, got %s",
			      key, mk, json_kind(mv));
			return SUP_EINVAL;
		}
		k[i] = mk;
		val[i] = json_object_get_string(mv);
		i++;
	}
	*keys = k;
	*values = val;
	*count = n;
	return SUP_OK;
}

static int h_param_json(struct sup_action_ctx *ctx, const char *key,
			unsigned int flags, const char **out)
{
	json_object *v;
	int r = param_get(ctx, key, flags, &v);

	if (r)
		return r;
	if (!json_object_is_type(v, json_type_object))
		return param_wrong(ctx, key, "an object", v);
	*out = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
	return *out ? SUP_OK : SUP_ERR;
}

static size_t h_payload_count(struct sup_action_ctx *ctx)
{
	return ctx->call->action->n_payloads;
}

static int h_payload_info(struct sup_action_ctx *ctx, size_t index,
			  const char **name, uint64_t *size)
{
	const struct sk_payload_decl *p;

	if (index >= ctx->call->action->n_payloads)
		return SUP_ENOENT;
	p = &ctx->call->sup->manifest.payloads[ctx->call->action->payloads[index]];
	if (name)
		*name = p->name;
	if (size)
		*size = p->size;
	return SUP_OK;
}

static int h_payload_open(struct sup_action_ctx *ctx, size_t index,
			  struct sup_payload **out)
{
	struct sup_payload *p;
	char *err = NULL;

	*out = NULL;
	if (ctx->call->phase == SK_PHASE_CHECK)
		return SUP_ENOTSUP;
	if (index >= ctx->call->action->n_payloads)
		return SUP_ENOENT;
	p = calloc(1, sizeof(*p));
	if (!p) {
		failf(ctx, "internal", "out of memory");
		return SUP_ERR;
	}
	p->ctx = ctx;
	if (sk_payload_stream_open(ctx->call->sup,
				   ctx->call->action->payloads[index], &p->s,
				   &err) != 0) {
		failf(ctx, "payload_integrity", "%s",
		      err ? err : "cannot open payload");
		free(err);
		free(p);
		return SUP_ERR;
	}
	*out = p;
	return SUP_OK;
}

static int64_t h_payload_read(struct sup_payload *p, void *buf, size_t len)
{
	char *err = NULL;
	int64_t n = sk_payload_stream_read(p->s, buf, len, &err);

	if (n < 0) {
		failf(p->ctx, "payload_integrity", "%s",
		      err ? err : "payload read failed");
		free(err);
		return SUP_ERR;
	}
	return n;
}

static void h_payload_close(struct sup_payload *p)
{
	if (!p)
		return;
	sk_payload_stream_close(p->s);
	free(p);
}

static int h_resolve_path(struct sup_action_ctx *ctx, const char *gw,
			  unsigned int flags, char **out)
{
	const char *why = NULL;
	int r;

	*out = NULL;
	r = sk_root_resolve(ctx->call->root, gw ? gw : "",
			    (flags & SUP_PATH_NOFOLLOW_LAST) ?
				    SK_ROOT_NOFOLLOW_LAST : 0,
			    out, &why);
	if (r == 0)
		return SUP_OK;
	/* The reasons of these errors already say all strerror would. */
	if (r == -EINVAL || r == -ELOOP || r == -ENAMETOOLONG || r == -ENOMEM)
		failf(ctx, "action_failed", "path '%s': %s",
		      gw ? gw : "(null)", why);
	else
		failf(ctx, "action_failed", "path '%s': %s: %s",
		      gw ? gw : "(null)", why, strerror(-r));
	return SUP_EINVAL;
}

/* The root's descriptor, opened by the parent once; else (a caller that
 * set none, e.g. a unit test) the canonical root path opened here. */
static int root_fd(struct sup_action_ctx *ctx)
{
	if (ctx->call->root_fd > 0)
		return ctx->call->root_fd;
	if (ctx->own_root_fd < 0)
		ctx->own_root_fd = open(ctx->call->root,
					O_PATH | O_DIRECTORY | O_CLOEXEC);
	return ctx->own_root_fd;
}

/* A refused or failed walk, recorded; the status to return. */
static int path_failed(struct sup_action_ctx *ctx, const char *gw, int r,
		       char *why)
{
	failf(ctx, "action_failed", "path '%s': %s", gw ? gw : "(null)",
	      why ? why : strerror(-r));
	free(why);
	return r == -EINVAL || r == -EPERM || r == -ELOOP ||
			       r == -ENAMETOOLONG || r == -ENOTDIR ?
		       SUP_EINVAL :
		       SUP_ERR;
}

static unsigned int rfd_flags(unsigned int flags)
{
	return (flags & SUP_PATH_NOFOLLOW_LAST ? 0 : SK_RFD_FOLLOW_LAST) |
	       (flags & SUP_PATH_MKPARENTS ? SK_RFD_MKPARENTS : 0);
}

/* Remember a directory handed out (for temp_note()); takes dir_gw. */
static void hand_dir(struct sup_action_ctx *ctx, int fd, char *dir_gw)
{
	struct handed_dir *g;
	struct stat st;

	if (!dir_gw || fstat(fd, &st) != 0) {
		free(dir_gw);
		return;
	}
	g = realloc(ctx->dirs, (ctx->n_dirs + 1) * sizeof(*g));
	if (!g) {
		free(dir_gw);
		return;
	}
	ctx->dirs = g;
	g[ctx->n_dirs].dev = st.st_dev;
	g[ctx->n_dirs].ino = st.st_ino;
	g[ctx->n_dirs].gw = dir_gw;
	ctx->n_dirs++;
}

static int path_open(struct sup_action_ctx *ctx, const char *gw,
		     unsigned int flags, bool want_dir, int *dirfd,
		     char **name)
{
	char *why = NULL, *dir_gw = NULL;
	int rfd = root_fd(ctx), r;

	*dirfd = -1;
	if (name)
		*name = NULL;
	if (rfd < 0) {
		failf(ctx, "internal", "cannot open the root '%s': %s",
		      ctx->call->root, strerror(errno));
		return SUP_ERR;
	}
	r = sk_rootfd_open(rfd, gw ? gw : "", flags, want_dir, dirfd, name,
			   &dir_gw, &why);
	if (r)
		return path_failed(ctx, gw, r, why);
	hand_dir(ctx, *dirfd, dir_gw);
	return SUP_OK;
}

static int h_path_parent(struct sup_action_ctx *ctx, const char *gw,
			 unsigned int flags, int *dirfd, char **name)
{
	return path_open(ctx, gw, rfd_flags(flags), false, dirfd, name);
}

static int h_path_dir(struct sup_action_ctx *ctx, const char *gw,
		      unsigned int flags, int *dirfd)
{
	return path_open(ctx, gw, rfd_flags(flags) & SK_RFD_MKPARENTS, true,
			 dirfd, NULL);
}

static int h_temp_note(struct sup_action_ctx *ctx, int dirfd,
		       const char *name)
{
	struct stat st;
	int r;

	if (!ctx->call->temps)
		return SUP_ENOTSUP;
	if (!name || !sk_temps_name_valid(name)) {
		failf(ctx, "action_failed",
		      "temp_note: '%s' is not a temporary name (.BASE.sup-XXXXXX)",
		      name ? name : "(null)");
		return SUP_EINVAL;
	}
	if (fstat(dirfd, &st) != 0)
		goto not_handed;
	for (size_t i = ctx->n_dirs; i-- > 0;) {
		if (ctx->dirs[i].dev != st.st_dev ||
		    ctx->dirs[i].ino != st.st_ino)
			continue;
		r = sk_temps_note(ctx->call->temps, ctx->dirs[i].gw, name);
		if (r) {
			failf(ctx, "internal",
			      "cannot note temporary '%s' in '%s': %s", name,
			      ctx->call->temps, strerror(-r));
			return SUP_ERR;
		}
		return SUP_OK;
	}
not_handed:
	failf(ctx, "action_failed",
	      "temp_note: the directory of '%s' was not opened with path_parent() or path_dir()",
	      name);
	return SUP_EINVAL;
}

static const char *h_root_dir(struct sup_action_ctx *ctx)
{
	return ctx->call->root;
}

static const char *h_staging_dir(struct sup_action_ctx *ctx)
{
	return ctx->call->staging;
}

static int h_config_get(struct sup_action_ctx *ctx, const char *key,
			const char **out)
{
	const char *v = sk_config_plugin_key(ctx->call->config,
					     ctx->call->type->plugin->desc->name,
					     key);

	if (!v)
		return SUP_ENOENT;
	*out = v;
	return SUP_OK;
}

static int64_t h_time_left_ms(struct sup_action_ctx *ctx)
{
	long long left = ctx->deadline_ms - sk_now_ms();

	return left > 0 ? left : 0;
}

static void h_free(void *p)
{
	free(p);
}

static int h_request_resume(struct sup_action_ctx *ctx, const char *reason)
{
	json_object *o;
	char ack = 0;
	ssize_t n;

	if (ctx->call->phase != SK_PHASE_EXECUTE)
		return SUP_ENOTSUP;
	o = msg_new("resume");
	if (!o) {
		failf(ctx, "internal", "out of memory");
		return SUP_ERR;
	}
	json_object_object_add(o, "r", json_object_new_string(
		reason && *reason ? reason : "restart"));
	send_obj(ctx, o);
	do {
		n = read(ctx->ack_fd, &ack, 1);
	} while (n < 0 && errno == EINTR);
	if (n == 1 && ack == '1')
		return SUP_OK;
	failf(ctx, "internal",
	      "the installer could not make its state durable before the %s",
	      reason && *reason ? reason : "restart");
	return SUP_ERR;
}

static int h_product_get(struct sup_action_ctx *ctx, const char *section,
			 const char *key, const char **out)
{
	const char *v = sk_config_product_key(ctx->call->config, section, key);

	if (!v)
		return SUP_ENOENT;
	*out = v;
	return SUP_OK;
}

static const struct sup_host_api host_api = {
	.size = sizeof(struct sup_host_api),
	.abi_major = SUP_ABI_MAJOR,
	.abi_minor = SUP_ABI_MINOR,
	.log = h_log,
	.fail = h_fail,
	.progress = h_progress,
	.output = h_output,
	.action_id = h_action_id,
	.action_type = h_action_type,
	.param_string = h_param_string,
	.param_int = h_param_int,
	.param_bool = h_param_bool,
	.param_strings = h_param_strings,
	.param_strmap = h_param_strmap,
	.param_json = h_param_json,
	.payload_count = h_payload_count,
	.payload_info = h_payload_info,
	.payload_open = h_payload_open,
	.payload_read = h_payload_read,
	.payload_close = h_payload_close,
	.resolve_path = h_resolve_path,
	.root_dir = h_root_dir,
	.staging_dir = h_staging_dir,
	.config_get = h_config_get,
	.time_left_ms = h_time_left_ms,
	.free = h_free,
	.product_get = h_product_get,
	.request_resume = h_request_resume,
	.path_parent = h_path_parent,
	.path_dir = h_path_dir,
	.temp_note = h_temp_note,
};

static sup_action_fn phase_fn(const struct sk_call *call)
{
	switch (call->phase) {
	case SK_PHASE_CHECK: return call->type->ops.check;
	case SK_PHASE_EXECUTE: return call->type->ops.execute;
	case SK_PHASE_ROLLBACK: return call->type->ops.rollback;
	}
	return NULL;
}

static const char *phase_name(enum sk_phase p)
{
	switch (p) {
	case SK_PHASE_CHECK: return "checking";
	case SK_PHASE_EXECUTE: return "executing";
	case SK_PHASE_ROLLBACK: return "rolling back";
	}
	return "running";
}

static void child_main(const struct sk_call *call, int fd, int ack_fd,
		       long long deadline_ms, pid_t parent)
{
	struct sup_action_ctx ctx = {
		.call = call, .fd = fd, .ack_fd = ack_fd,
		.deadline_ms = deadline_ms, .own_root_fd = -1,
	};
	sup_action_fn fn = phase_fn(call);
	json_object *o;
	int status;

	/* A plugin must not outlive an installer killed with SIGKILL: a
	 * resumed run would otherwise race it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	/* Plugin output must never reach the installer's stdout, which may
	 * carry the --json document. */
	(void)dup2(STDERR_FILENO, STDOUT_FILENO);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);

	status = fn ? fn(&host_api, &ctx) : SUP_OK;
	if (status != SUP_OK && !ctx.failed)
		failf(&ctx, "action_failed",
		      "plugin '%s' reported failure %d %s action '%s' without a message",
		      call->type->plugin->desc->name, status,
		      call->phase == SK_PHASE_CHECK ? "checking" : "for",
		      call->action->id);
	/* A plugin that recorded a failure failed, whatever it returned. */
	o = msg_new("done");
	if (o) {
		json_object_object_add(o, "ok", json_object_new_boolean(
			status == SUP_OK && !ctx.failed));
		send_obj(&ctx, o);
	}
	while (ctx.allocs) {
		struct alloc *a = ctx.allocs;

		ctx.allocs = a->next;
		free(a->p);
		free(a);
	}
	for (size_t i = 0; i < ctx.n_dirs; i++)
		free(ctx.dirs[i].gw);
	free(ctx.dirs);
	if (ctx.own_root_fd >= 0)
		close(ctx.own_root_fd);
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* parent side                                                         */

struct supervise {
	const struct sk_call *call;
	struct sk_call_result *res;
	char *line;
	size_t line_len;
	bool overlong;
	bool done_seen;
	bool done_ok;
	int ack_fd; /* write end of the answer pipe */
	char *tail; /* SK_OUTPUT_TAIL ring, linearised on demand */
	size_t tail_len;
	int last_pct;
	size_t n_fails; /* failures the plugin recorded */
};

static void tail_add(struct supervise *s, const char *d, size_t n)
{
	if (n >= SK_OUTPUT_TAIL) {
		memcpy(s->tail, d + n - SK_OUTPUT_TAIL, SK_OUTPUT_TAIL);
		s->tail_len = SK_OUTPUT_TAIL;
		return;
	}
	if (s->tail_len + n > SK_OUTPUT_TAIL) {
		size_t drop = s->tail_len + n - SK_OUTPUT_TAIL;

		memmove(s->tail, s->tail + drop, s->tail_len - drop);
		s->tail_len -= drop;
	}
	memcpy(s->tail + s->tail_len, d, n);
	s->tail_len += n;
}

static void set_error(struct sk_call_result *r, const char *code,
		      const char *msg)
{
	if (r->code)
		return; /* the first failure is the one that counts */
	r->code = strdup(code);
	r->message = strdup(msg);
}

/* A check reports all its problems at once (docs/plugin-sdk.md): a later
 * failure is added to the message, "FIRST; SECOND", up to
 * SK_CHECK_FAILS_MAX of them, then "; and more" once. */
static void add_check_failure(struct supervise *s, const char *msg)
{
	struct sk_call_result *r = s->res;
	char *joined;

	if (!r->message)
		return;
	if (s->n_fails <= SK_CHECK_FAILS_MAX)
		joined = sk_asprintf("%s; %s", r->message, msg);
	else if (s->n_fails == SK_CHECK_FAILS_MAX + 1)
		joined = sk_asprintf("%s; and more", r->message);
	else
		return;
	if (joined) {
		free(r->message);
		r->message = joined;
	}
}

/* Print a line of plugin text: anything but UTF-8 text is escaped
 * (sk_show_text), so a parameter value cannot drive the terminal. */
static void print_plugin_text(const char *id, const char *plugin,
			      const char *what, const char *text)
{
	char *shown = sk_show_text(text, strlen(text));
	char fallback[SK_SHOW_MAX];

	fprintf(stderr, "sup: %s: %s: %s: %s\n", id, plugin, what,
		shown ? shown : sk_show(text, strlen(text), fallback));
	free(shown);
}

/* A string member of a message from the child, or dflt. */
static const char *member_text(json_object *o, const char *key,
			       const char *dflt)
{
	json_object *v;

	if (json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return dflt;
}

static void handle_line(struct supervise *s, const char *line, size_t len)
{
	json_object *o = json_tokener_parse(line), *v;
	const char *t;
	const char *id = s->call->action->id;
	const char *plugin = s->call->type->plugin->desc->name;

	(void)len;
	if (!o || !json_object_object_get_ex(o, "t", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		json_object_put(o);
		return;
	}
	t = json_object_get_string(v);
	if (strcmp(t, "log") == 0) {
		json_object *l;
		int level = json_object_object_get_ex(o, "l", &l) ?
				    json_object_get_int(l) : SUP_LOG_INFO;
		static const char *const names[] = { "error", "warning",
						     "info", "debug" };

		if (!s->call->quiet && level <= SUP_LOG_INFO && level >= 0)
			print_plugin_text(id, plugin, names[level],
					  member_text(o, "m", ""));
	} else if (strcmp(t, "fail") == 0) {
		const char *m = member_text(o, "m", "failure");

		s->n_fails++;
		if (s->res->code && s->call->phase == SK_PHASE_CHECK)
			add_check_failure(s, m);
		else if (s->res->code && !s->call->quiet)
			print_plugin_text(id, plugin, "error", m);
		set_error(s->res, member_text(o, "c", "action_failed"), m);
	} else if (strcmp(t, "output") == 0 &&
		   json_object_object_get_ex(o, "d", &v) &&
		   json_object_is_type(v, json_type_string)) {
		tail_add(s, json_object_get_string(v),
			 (size_t)json_object_get_string_len(v));
	} else if (strcmp(t, "progress") == 0 &&
		   json_object_object_get_ex(o, "p", &v)) {
		int pct = json_object_get_int(v);

		if (!s->call->quiet && pct / 25 != s->last_pct / 25)
			fprintf(stderr, "sup: %s: %d%%\n", id, pct);
		s->last_pct = pct;
	} else if (strcmp(t, "resume") == 0) {
		const char *reason = member_text(o, "r", "restart");
		int ok = s->call->phase == SK_PHASE_EXECUTE &&
			 s->call->on_resume && !s->res->resume_reason &&
			 s->call->on_resume(s->call->on_resume_data, reason) == 0;

		if (ok)
			s->res->resume_reason = strdup(reason);
		(void)sk_write_all(s->ack_fd, ok ? "1" : "0", 1);
	} else if (strcmp(t, "done") == 0 &&
		   json_object_object_get_ex(o, "ok", &v)) {
		s->done_seen = true;
		s->done_ok = json_object_get_boolean(v);
	}
	json_object_put(o);
}

static void feed(struct supervise *s, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			if (!s->overlong) {
				s->line[s->line_len] = '\0';
				handle_line(s, s->line, s->line_len);
			}
			s->line_len = 0;
			s->overlong = false;
			continue;
		}
		if (s->line_len + 1 >= SK_LINE_MAX) {
			s->overlong = true;
			continue;
		}
		s->line[s->line_len++] = buf[i];
	}
}

/* Read what is there; returns false at end of file. */
static bool drain(struct supervise *s, int fd)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n > 0) {
			feed(s, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && errno == EAGAIN;
	}
}

/* A descriptor that becomes readable when the child pid exits, or -1
 * where the kernel has no pidfd_open(). */
static int pidfd_of(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	return -1;
#endif
}

static void kill_group(pid_t pid, int *status)
{
	long long until = sk_now_ms() + SK_KILL_GRACE_MS;

	kill(-pid, SIGTERM);
	kill(pid, SIGTERM);
	while (sk_now_ms() < until) {
		if (waitpid(pid, status, WNOHANG) == pid) {
			kill(-pid, SIGKILL); /* leftovers of the group */
			return;
		}
		usleep(20000);
	}
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
}

/* The captured tail as UTF-8 of at most SK_OUTPUT_TAIL bytes, starting at
 * a character boundary. */
static char *output_tail(const char *tail, size_t len)
{
	char *out;
	size_t n, start = 0;

	/* A character cut by the ring: drop its continuation bytes. */
	while (start < len && start < 3 &&
	       ((unsigned char)tail[start] & 0xc0) == 0x80)
		start++;
	out = sk_utf8_clean(tail + start, len - start);
	if (!out)
		return NULL;
	/* Replacement characters may have made it longer than the tail. */
	n = strlen(out);
	if (n > SK_OUTPUT_TAIL) {
		start = n - SK_OUTPUT_TAIL;
		while (start < n && ((unsigned char)out[start] & 0xc0) == 0x80)
			start++;
		memmove(out, out + start, n - start + 1);
	}
	return out;
}

void sk_call_result_release(struct sk_call_result *r)
{
	free(r->code);
	free(r->message);
	free(r->output);
	free(r->resume_reason);
	memset(r, 0, sizeof(*r));
}

int sk_call_run(const struct sk_call *call, struct sk_call_result *res)
{
	struct supervise s = { .call = call, .res = res, .last_pct = 0 };
	int pfd[2] = { -1, -1 }, afd[2] = { -1, -1 }, status = 0;
	long long start = sk_now_ms(), deadline;
	bool exited = false, timed_out = false, eof = false;
	const char *plugin = call->type->plugin->desc->name;
	int exit_fd = -1;
	pid_t pid, parent;
	char *msg;

	memset(res, 0, sizeof(*res));
	deadline = start + (long long)call->timeout_s * 1000;
	s.line = malloc(SK_LINE_MAX);
	s.tail = malloc(SK_OUTPUT_TAIL);
	if (!s.line || !s.tail) {
		set_error(res, "internal", "out of memory");
		goto fail;
	}
	if (pipe2(pfd, O_CLOEXEC) != 0 || pipe2(afd, O_CLOEXEC) != 0) {
		msg = sk_asprintf("cannot create a pipe: %s", strerror(errno));
		set_error(res, "internal", msg ? msg : "cannot create a pipe");
		free(msg);
		goto fail;
	}
	fflush(NULL);
	parent = getpid();
	pid = fork();
	if (pid < 0) {
		msg = sk_asprintf("cannot start a process: %s", strerror(errno));
		set_error(res, "internal", msg ? msg : "cannot fork");
		free(msg);
		goto fail;
	}
	if (pid == 0) {
		close(pfd[0]);
		close(afd[1]);
		setpgid(0, 0);
		child_main(call, pfd[1], afd[0], deadline, parent);
	}
	setpgid(pid, pid); /* also here: no race with the child's own call */
	close(pfd[1]);
	pfd[1] = -1;
	close(afd[0]);
	afd[0] = -1;
	s.ack_fd = afd[1];
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);

	/* The child's exit wakes the loop through a pidfd (Linux >= 5.3)
	 * instead of a sleep: a call costs its fork, not a sleep quantum. */
	exit_fd = pidfd_of(pid);
	while (!exited) {
		struct pollfd p[2] = {
			{.fd = eof ? -1 : pfd[0], .events = POLLIN},
			{.fd = exit_fd, .events = POLLIN}};
		long long left = deadline - sk_now_ms();
		int w, pr;

		if (left <= 0) {
			timed_out = true;
			drain(&s, pfd[0]);
			kill_group(pid, &status);
			exited = true;
			break;
		}
		if (eof && exit_fd < 0) {
			usleep(1000);
		} else {
			pr = poll(p, 2, left > 100 ? 100 : (int)left);
			if (pr > 0 && !eof && p[0].revents &&
			    !drain(&s, pfd[0]))
				eof = true;
		}
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			exited = true;
			drain(&s, pfd[0]);
		}
	}
	res->duration_ms = sk_now_ms() - start;
	/* A plugin that gave up at the same deadline as ours (time_left_ms)
	 * may exit just before we look: its failure is still the timeout. */
	if (!timed_out && sk_now_ms() >= deadline &&
	    !(s.done_seen && s.done_ok && !res->code))
		timed_out = true;

	if (timed_out) {
		msg = sk_asprintf("plugin '%s' timed out after %lu s %s action '%s'",
				  plugin, call->timeout_s,
				  phase_name(call->phase), call->action->id);
		free(res->code);
		free(res->message);
		res->code = NULL;
		set_error(res, "timeout", msg ? msg : "timed out");
		free(msg);
	} else if (WIFSIGNALED(status)) {
		msg = sk_asprintf("plugin '%s' crashed %s action '%s': %s (signal %d)",
				  plugin, phase_name(call->phase),
				  call->action->id, strsignal(WTERMSIG(status)),
				  WTERMSIG(status));
		free(res->code);
		free(res->message);
		res->code = NULL;
		set_error(res, "plugin_crashed", msg ? msg : "crashed");
		free(msg);
	} else if (!s.done_seen) {
		msg = sk_asprintf("plugin '%s' exited with status %d without a result %s action '%s'",
				  plugin, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
				  phase_name(call->phase), call->action->id);
		set_error(res, "no_result", msg ? msg : "no result");
		free(msg);
	} else if (!s.done_ok && !res->code) {
		set_error(res, "action_failed", "the plugin reported a failure");
	}
	res->ok = !timed_out && s.done_seen && s.done_ok && !res->code;
	if (s.tail_len)
		res->output = output_tail(s.tail, s.tail_len);
	if (exit_fd >= 0)
		close(exit_fd);
	close(pfd[0]);
	close(afd[1]);
	free(s.line);
	free(s.tail);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (pfd[i] >= 0)
			close(pfd[i]);
		if (afd[i] >= 0)
			close(afd[i]);
	}
	free(s.line);
	free(s.tail);
	res->ok = false;
	return -1;
}
