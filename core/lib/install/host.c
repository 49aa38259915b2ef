/* SPDX-License-Identifier: MIT */
/* host.c - the host services a plugin gets (struct sup_host_api), in the
 * child process of a plugin call, and that child's main function. */
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
#include <sys/statvfs.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/rootfd.h"
#include "base/rootpath.h"
#include "base/util.h"
#include "install/stage.h"
#include "install/temps.h"

/* Plugins' texts are cut to this before they are sent (a message line
 * is at most SK_LINE_MAX, call.c). */
#define SK_MSG_MAX (8 * 1024)

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
	/* The gateway paths stage_dir() made a directory for. */
	char **staged;
	size_t n_staged;
};

struct handed_dir {
	dev_t dev;
	ino_t ino;
	char *gw;
};

struct sup_payload {
	struct sup_action_ctx *ctx;
	struct sk_payload_stream *s;
	size_t index; /* in the manifest */
	bool told;    /* its verified end was reported */
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
	p->index = ctx->call->action->payloads[index];
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
	/* Staged and verified: the host need not read it again. */
	if (n == 0 && !p->told && p->ctx->call->phase == SK_PHASE_STAGE) {
		json_object *o = msg_new("verified");

		if (o) {
			json_object_object_add(o, "i",
					       json_object_new_int64((int64_t)p->index));
			send_obj(p->ctx, o);
		}
		p->told = true;
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

/*
 * The device of the file system gw lives on: gw itself when it exists (a
 * mount point is its own), else its nearest directory that does. false
 * when the walk fails or is refused: staging is then not offered, and
 * execute() meets the same path when it runs, after the actions before
 * it (which may well have changed it), and judges it then.
 */
static bool stage_dev(struct sup_action_ctx *ctx, const char *gw,
		      unsigned int flags, dev_t *dev)
{
	char *why = NULL, *name = NULL, *up = NULL, *slash;
	struct stat st;
	int rfd = root_fd(ctx), dfd = -1, r;
	bool ok = false;

	if (rfd < 0)
		return false;
	r = sk_rootfd_parent(rfd, gw, rfd_flags(flags) & SK_RFD_FOLLOW_LAST,
			     &dfd, &name, &why);
	if (r == 0) {
		ok = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
		     fstat(dfd, &st) == 0;
		goto out;
	}
	/* The root itself has no parent; or a directory on the way is
	 * missing (execute() makes it, inside the nearest one that
	 * exists). */
	up = r == -EINVAL || r == -ENOENT ? strdup(gw) : NULL;
	if (up && r == -EINVAL) {
		free(why);
		why = NULL;
		r = sk_rootfd_dir(rfd, up, 0, &dfd, &why);
	}
	while (up && r == -ENOENT && (slash = strrchr(up, '/')) != NULL) {
		free(why);
		why = NULL;
		slash[slash == up ? 1 : 0] = '\0';
		r = sk_rootfd_dir(rfd, up, 0, &dfd, &why);
		if (slash == up)
			break;
	}
	ok = r == 0 && fstat(dfd, &st) == 0;
out:
	if (ok)
		*dev = st.st_dev;
	if (dfd >= 0)
		close(dfd);
	free(name);
	free(why);
	free(up);
	return ok;
}

static int h_stage_dir(struct sup_action_ctx *ctx, const char *gw,
		       unsigned int flags, uint64_t need, int *dirfd)
{
	struct sk_stage *s = ctx->call->stage;
	struct statvfs vfs;
	unsigned long long avail;
	struct stat st;
	json_object *o;
	char name[64], **l;
	dev_t dev = 0;
	int fd;

	*dirfd = -1;
	if (ctx->call->phase != SK_PHASE_STAGE || !s || s->fd < 0)
		return SUP_ENOTSUP;
	if (!gw) {
		failf(ctx, "action_failed", "stage_dir: no path");
		return SUP_EINVAL;
	}
	for (size_t i = 0; i < ctx->n_staged; i++)
		if (strcmp(ctx->staged[i], gw) == 0) {
			failf(ctx, "action_failed",
			      "stage_dir: '%s' was staged already", gw);
			return SUP_EINVAL;
		}
	/* A rename commits it only on the same file system. */
	if (!stage_dev(ctx, gw, flags, &dev) || dev != s->dev)
		return SUP_ENOTSUP;
	if (fstatvfs(s->fd, &vfs) != 0) {
		failf(ctx, "internal", "cannot stage for '%s': '%s': %s", gw,
		      s->dir, strerror(errno));
		return SUP_ERR;
	}
	avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
	/* need comes from the plugin: no sum that could wrap. */
	if (avail < SK_STAGE_SPARE || need > avail - SK_STAGE_SPARE) {
		failf(ctx, "no_space",
		      "not enough space to stage '%s': %llu bytes needed, %llu free on the file system of '%s'",
		      gw, (unsigned long long)need, avail, s->dir);
		return SUP_ERR;
	}
	snprintf(name, sizeof(name), "%zu-%zu", ctx->call->action_index,
		 ctx->n_staged);
	l = realloc(ctx->staged, (ctx->n_staged + 1) * sizeof(*l));
	if (!l || !(l[ctx->n_staged] = strdup(gw))) {
		if (l)
			ctx->staged = l;
		failf(ctx, "internal", "out of memory");
		return SUP_ERR;
	}
	ctx->staged = l;
	ctx->n_staged++;
	if (mkdirat(s->fd, name, 0700) != 0 ||
	    (fd = openat(s->fd, name,
			 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		failf(ctx, "internal", "cannot make '%s/%s': %s", s->dir, name,
		      strerror(errno));
		return SUP_ERR;
	}
	if (fstat(fd, &st) != 0 || fchmod(fd, 0700) != 0) {
		failf(ctx, "internal", "cannot make '%s/%s': %s", s->dir, name,
		      strerror(errno));
		close(fd);
		return SUP_ERR;
	}
	o = msg_new("staged");
	if (!o) {
		close(fd);
		failf(ctx, "internal", "out of memory");
		return SUP_ERR;
	}
	json_object_object_add(o, "p", json_object_new_string(gw));
	json_object_object_add(o, "n", json_object_new_string(name));
	json_object_object_add(o, "d", json_object_new_int64((int64_t)st.st_dev));
	json_object_object_add(o, "i", json_object_new_int64((int64_t)st.st_ino));
	send_obj(ctx, o);
	*dirfd = fd;
	return SUP_OK;
}

static int h_staged_dir(struct sup_action_ctx *ctx, const char *gw,
			int *dirfd)
{
	const struct sk_stage *s = ctx->call->stage;
	const struct sk_staged *e;
	struct stat st;
	int fd;

	*dirfd = -1;
	if (ctx->call->phase != SK_PHASE_EXECUTE &&
	    ctx->call->phase != SK_PHASE_ROLLBACK)
		return SUP_ENOTSUP;
	e = gw && s && s->fd >= 0 ?
		    sk_stage_find(s, ctx->call->action_index, gw) :
		    NULL;
	if (!e)
		return SUP_ENOENT;
	fd = openat(s->fd, e->name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return SUP_ENOENT;
	if (fd < 0 || fstat(fd, &st) != 0) {
		failf(ctx, "internal", "cannot open '%s/%s': %s", s->dir,
		      e->name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return SUP_ERR;
	}
	if (st.st_dev != e->dev || st.st_ino != e->ino ||
	    st.st_uid != geteuid() || (st.st_mode & 077)) {
		failf(ctx, "internal",
		      "'%s/%s', staged for '%s', is not the directory staging made",
		      s->dir, e->name, gw);
		close(fd);
		return SUP_ERR;
	}
	*dirfd = fd;
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
	.stage_dir = h_stage_dir,
	.staged_dir = h_staged_dir,
};

static sup_action_fn phase_fn(const struct sk_call *call)
{
	switch (call->phase) {
	case SK_PHASE_CHECK: return call->type->ops.check;
	case SK_PHASE_EXECUTE: return call->type->ops.execute;
	case SK_PHASE_ROLLBACK: return call->type->ops.rollback;
	case SK_PHASE_STAGE: return call->type->ops.stage;
	}
	return NULL;
}

unsigned long sk_action_timeout(const struct sk_action_decl *a,
				const struct sk_config *cfg)
{
	return a->timeout_s ? a->timeout_s : cfg->default_timeout_s;
}

void sk_call_init(struct sk_call *call, enum sk_phase phase,
		  const struct sk_env *e, const struct sk_supfile *f, size_t i,
		  const struct sk_action_type *t)
{
	memset(call, 0, sizeof(*call));
	call->phase = phase;
	call->type = t;
	call->action = &f->manifest.actions[i];
	call->action_index = i;
	call->sup = f;
	call->config = &e->cfg;
	call->root = e->root;
	call->root_fd = e->root_fd;
	call->timeout_s = sk_action_timeout(call->action, &e->cfg);
}

const char *sk_phase_name(enum sk_phase p)
{
	switch (p) {
	case SK_PHASE_CHECK: return "checking";
	case SK_PHASE_EXECUTE: return "executing";
	case SK_PHASE_ROLLBACK: return "rolling back";
	case SK_PHASE_STAGE: return "staging";
	}
	return "running";
}

/* One call in the child: the plugin's function, its result line, and
 * what the host handed out for it freed. */
static void child_call(const struct sk_call *call, int fd, int ack_fd,
		       long long deadline_ms)
{
	struct sup_action_ctx ctx = {
		.call = call, .fd = fd, .ack_fd = ack_fd,
		.deadline_ms = deadline_ms, .own_root_fd = -1,
	};
	sup_action_fn fn = phase_fn(call);
	json_object *o;
	int status;

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
	sk_strv_free(ctx.staged, ctx.n_staged);
	if (ctx.own_root_fd >= 0)
		close(ctx.own_root_fd);
}

void sk_host_child_main(const struct sk_call *calls, size_t n, int fd,
			int ack_fd, long long deadline_ms, pid_t parent)
{
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

	/* Each call's time starts when it does (the parent's clock for it
	 * starts at the previous call's result, a little later). */
	for (size_t k = 0; k < n; k++)
		child_call(&calls[k], fd, ack_fd,
			   k == 0 ? deadline_ms
				  : sk_now_ms() +
					    (long long)calls[k].timeout_s *
						    1000);
	_exit(0);
}
