/* SPDX-License-Identifier: MIT */
/* job.c - job files (json-c). */
#include "job.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "slog.h"

#define JOB_FORMAT 1
/* Far bigger than any job file we write; bounds what a corrupt one
 * costs. */
#define JOB_MAX (256 * 1024)

static const char *const phase_names[] = {
	[SUPD_PH_RECEIVED] = "received",
	[SUPD_PH_DOWNLOADING] = "downloading",
	[SUPD_PH_INSTALLING] = "installing",
	[SUPD_PH_REPORTING] = "reporting",
	[SUPD_PH_DONE] = "done",
};

const char *supd_phase_name(enum supd_phase p)
{
	return (unsigned)p <= SUPD_PH_DONE ? phase_names[p] : "unknown";
}

static bool safe_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

int supd_job_file(const char *id, char **out)
{
	static const char hex[] = "0123456789abcdef";
	size_t len = strlen(id), i;
	bool safe = id[0] != '.';
	char *s;

	*out = NULL;
	if (len == 0 || len > SUPD_ID_MAX)
		return -EINVAL;
	/* Ids go into log lines: no control or non-ASCII bytes. */
	for (i = 0; i < len; i++)
		if ((unsigned char)id[i] < 0x20 || (unsigned char)id[i] > 0x7e)
			return -EINVAL;
	for (i = 0; i < len && safe; i++)
		safe = safe_char(id[i]);
	if (safe) {
		*out = sk_asprintf("m-%s.json", id);
		return *out ? 0 : -ENOMEM;
	}
	/* "x-" + 2 hex digits a byte + ".json": at most 247 bytes. */
	s = malloc(2 + 2 * len + 6);
	if (!s)
		return -ENOMEM;
	memcpy(s, "x-", 2);
	for (i = 0; i < len; i++) {
		s[2 + 2 * i] = hex[(unsigned char)id[i] >> 4];
		s[3 + 2 * i] = hex[(unsigned char)id[i] & 15];
	}
	memcpy(s + 2 + 2 * len, ".json", 6);
	*out = s;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

char *supd_job_id_of(const char *name)
{
	size_t len = strlen(name), n;
	char *id;

	if (len < 8 || name[1] != '-' || strcmp(name + len - 5, ".json") != 0)
		return NULL;
	n = len - 7; /* between "m-" / "x-" and ".json" */
	if (name[0] == 'm') {
		if (n > SUPD_ID_MAX || name[2] == '.')
			return NULL;
		for (size_t i = 0; i < n; i++)
			if (!safe_char(name[2 + i]))
				return NULL;
		return strndup(name + 2, n);
	}
	if (name[0] != 'x' || n % 2 || n / 2 > SUPD_ID_MAX)
		return NULL;
	id = malloc(n / 2 + 1);
	if (!id)
		return NULL;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(name[2 + 2 * i]), lo = hexval(name[3 + 2 * i]);

		if (hi < 0 || lo < 0 || (hi << 4 | lo) < 0x20 ||
		    (hi << 4 | lo) > 0x7e) {
			free(id);
			return NULL;
		}
		id[i] = (char)(hi << 4 | lo);
	}
	id[n / 2] = '\0';
	return id;
}

bool supd_job_is_file(const char *name)
{
	char *id = supd_job_id_of(name);
	bool ok = id != NULL;

	free(id);
	return ok;
}

/* Paths of the job file and of the record copy. */
static int set_paths(struct supd_job *j, const char *supd_dir,
		     const char *file)
{
	j->path = sk_asprintf("%s/%s/%s", supd_dir, SUPD_JOBS, file);
	j->record_path = sk_asprintf("%s/%s/%s", supd_dir, SUPD_RECORDS, file);
	return j->path && j->record_path ? 0 : -ENOMEM;
}

struct supd_job *supd_job_new(const char *supd_dir, const char *id)
{
	struct supd_job *j = calloc(1, sizeof(*j));
	char *file = NULL;

	if (j)
		j->child_fd = -1;
	if (!j || supd_job_file(id, &file) || !(j->id = strdup(id)) ||
	    set_paths(j, supd_dir, file)) {
		free(file);
		supd_job_free(j);
		return NULL;
	}
	free(file);
	j->received = (long long)time(NULL);
	j->mono_ms = sk_now_ms();
	j->phase = SUPD_PH_RECEIVED;
	return j;
}

long long supd_job_elapsed_s(struct supd_job *j)
{
	long long now = sk_now_ms();

	/* elapsed_ms comes from the job file: saturate, never wrap. */
	if (now > j->mono_ms)
		j->elapsed_ms = now - j->mono_ms > LLONG_MAX - j->elapsed_ms ?
					LLONG_MAX :
					j->elapsed_ms + (now - j->mono_ms);
	j->mono_ms = now;
	return j->elapsed_ms / 1000;
}

void supd_job_free(struct supd_job *j)
{
	if (!j)
		return;
	free(j->id);
	free(j->name);
	free(j->boot_id);
	free(j->message);
	json_object_put(j->params);
	free(j->path);
	free(j->record_path);
	free(j->out);
	if (j->child_fd >= 0)
		close(j->child_fd);
	free(j);
}

int supd_job_set_result(struct supd_job *j, int code, const char *message,
			struct json_object *params)
{
	char *m = NULL;

	if (message && !(m = strdup(message))) {
		json_object_put(params);
		return -ENOMEM;
	}
	free(j->message);
	j->message = m;
	json_object_put(j->params);
	j->params = params;
	j->code = code;
	j->phase = SUPD_PH_REPORTING;
	return 0;
}

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

int supd_job_save(struct supd_job *j)
{
	json_object *o = json_object_new_object(), *dl, *in, *rep;
	const char *text;
	int r = -ENOMEM;

	dl = json_object_new_object();
	in = json_object_new_object();
	rep = json_object_new_object();
	if (!o || !dl || !in || !rep) {
		json_object_put(dl);
		json_object_put(in);
		json_object_put(rep);
		goto out;
	}
	json_object_object_add(o, "job_format", json_object_new_int(JOB_FORMAT));
	json_object_object_add(o, "id", json_object_new_string(j->id));
	json_object_object_add(o, "name", str_or_null(j->name));
	json_object_object_add(o, "timeout_s", json_object_new_int64(j->timeout_s));
	json_object_object_add(o, "received", json_object_new_int64(j->received));
	supd_job_elapsed_s(j);
	json_object_object_add(o, "elapsed_ms", json_object_new_int64(j->elapsed_ms));
	json_object_object_add(o, "phase", json_object_new_string(
						   supd_phase_name(j->phase)));
	json_object_object_add(o, "finished", json_object_new_int64(j->finished));

	json_object_object_add(dl, "net_failures",
			       json_object_new_int64(j->net_failures));
	json_object_object_add(dl, "verify_failures",
			       json_object_new_int64(j->verify_failures));
	json_object_object_add(o, "download", dl);

	json_object_object_add(in, "sup_started",
			       json_object_new_boolean(j->sup_started));
	json_object_object_add(in, "sup_pid", json_object_new_int64(j->sup_pid));
	json_object_object_add(in, "sup_start",
			       json_object_new_uint64(j->sup_start));
	json_object_object_add(in, "boot_id", str_or_null(j->boot_id));
	json_object_object_add(o, "install", in);

	json_object_object_add(rep, "code", json_object_new_int(j->code));
	json_object_object_add(rep, "message", str_or_null(j->message));
	json_object_object_add(rep, "params", json_object_get(j->params));
	json_object_object_add(rep, "have_record",
			       json_object_new_boolean(j->have_record));
	json_object_object_add(rep, "audit_sent",
			       json_object_new_boolean(j->audit_sent));
	json_object_object_add(rep, "uploaded",
			       json_object_new_boolean(j->uploaded));
	json_object_object_add(rep, "upload_failures",
			       json_object_new_int64(j->upload_failures));
	json_object_object_add(rep, "ack_refusals",
			       json_object_new_int64(j->ack_refusals));
	json_object_object_add(o, "report", rep);

	text = json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text)
		r = sk_write_file_atomic(j->path, text, strlen(text), 0600);
out:
	json_object_put(o);
	return r;
}

int supd_job_commit(struct supd_job *j)
{
	int r = supd_job_save(j);

	if (r)
		supd_error("cannot write the state of job '%s' to '%s': %s",
			   j->id, j->path, strerror(-r));
	return r;
}

/* Typed members; each returns false when the member has the wrong type or
 * range (absent members keep their zero value). */
static bool get_member(json_object *o, const char *key, json_type type,
		       json_object **v)
{
	if (!json_object_object_get_ex(o, key, v) || !*v)
		return true;
	return json_object_is_type(*v, type);
}

static bool get_str(json_object *o, const char *key, char **out, bool *oom)
{
	json_object *v = NULL;

	if (!get_member(o, key, json_type_string, &v))
		return false;
	if (!v)
		return true;
	*out = strdup(json_object_get_string(v));
	if (!*out)
		*oom = true;
	return *out != NULL;
}

static bool get_ll(json_object *o, const char *key, long long min,
		   long long max, long long *out)
{
	json_object *v = NULL;
	int64_t x;

	if (!get_member(o, key, json_type_int, &v))
		return false;
	if (!v)
		return true;
	errno = 0;
	x = json_object_get_int64(v);
	if (errno || x < min || x > max)
		return false;
	*out = x;
	return true;
}

static bool get_uint(json_object *o, const char *key, unsigned *out)
{
	long long x = 0;

	if (!get_ll(o, key, 0, 1000000, &x))
		return false;
	*out = (unsigned)x;
	return true;
}

static bool get_bool(json_object *o, const char *key, bool *out)
{
	json_object *v = NULL;

	if (!get_member(o, key, json_type_boolean, &v))
		return false;
	if (v)
		*out = json_object_get_boolean(v);
	return true;
}

static bool get_obj(json_object *o, const char *key, json_object **out)
{
	*out = NULL;
	return get_member(o, key, json_type_object, out) && *out;
}

static bool get_phase(json_object *o, enum supd_phase *out)
{
	json_object *v = NULL;

	if (!get_member(o, "phase", json_type_string, &v) || !v)
		return false;
	for (size_t i = 0; i <= SUPD_PH_DONE; i++) {
		if (strcmp(json_object_get_string(v), phase_names[i]) == 0) {
			*out = (enum supd_phase)i;
			return true;
		}
	}
	return false;
}

/* The whole file, at most JOB_MAX bytes. */
static int read_text(const char *path, char **out, const char **why)
{
	size_t len;
	int r = sk_read_small_file(path, O_NOFOLLOW, JOB_MAX, out, &len, NULL);

	if (r == -ENOMEM)
		*why = "out of memory";
	else if (r == -EINVAL || r == -EFBIG)
		*why = "not a regular file, or larger than 256 KiB";
	else if (r)
		*why = strerror(-r);
	return r == -EFBIG ? -EINVAL : r;
}

int supd_job_load(const char *supd_dir, const char *file,
		  struct supd_job **out, const char **why)
{
	struct supd_job *j = calloc(1, sizeof(*j));
	json_object *o = NULL, *dl, *in, *rep, *v;
	char *text = NULL, *path_id = supd_job_id_of(file);
	long long x = 0;
	bool oom = false;
	int r = -ENOMEM;

	*out = NULL;
	*why = "out of memory";
	if (j) {
		j->child_fd = -1;
		/* Counting starts again now: time while supd was down is
		 * not counted. */
		j->mono_ms = sk_now_ms();
	}
	if (!j || set_paths(j, supd_dir, file))
		goto out;
	r = read_text(j->path, &text, why);
	if (r)
		goto out;
	r = -EINVAL;
	o = json_tokener_parse(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		*why = "not a JSON object";
		goto out;
	}
	if (!get_ll(o, "job_format", JOB_FORMAT, JOB_FORMAT, &x) ||
	    x != JOB_FORMAT) {
		*why = "unknown job_format";
		goto out;
	}
	*why = "a member is missing or has the wrong type";
	if (!get_str(o, "id", &j->id, &oom) || !j->id ||
	    !get_str(o, "name", &j->name, &oom) ||
	    !get_ll(o, "timeout_s", 0, INT64_MAX, &j->timeout_s) ||
	    !get_ll(o, "received", 0, INT64_MAX, &j->received) ||
	    !get_ll(o, "elapsed_ms", 0, INT64_MAX, &j->elapsed_ms) ||
	    !get_ll(o, "finished", 0, INT64_MAX, &j->finished) ||
	    !get_phase(o, &j->phase) || !get_obj(o, "download", &dl) ||
	    !get_obj(o, "install", &in) || !get_obj(o, "report", &rep))
		goto out;
	if (!get_uint(dl, "net_failures", &j->net_failures) ||
	    !get_uint(dl, "verify_failures", &j->verify_failures) ||
	    !get_bool(in, "sup_started", &j->sup_started) ||
	    !get_ll(in, "sup_pid", 0, INT32_MAX, &j->sup_pid) ||
	    !get_str(in, "boot_id", &j->boot_id, &oom) ||
	    !get_ll(rep, "code", 0, 1000, &x) ||
	    !get_str(rep, "message", &j->message, &oom) ||
	    !get_bool(rep, "have_record", &j->have_record) ||
	    !get_bool(rep, "audit_sent", &j->audit_sent) ||
	    !get_bool(rep, "uploaded", &j->uploaded) ||
	    !get_uint(rep, "upload_failures", &j->upload_failures) ||
	    !get_uint(rep, "ack_refusals", &j->ack_refusals))
		goto out;
	j->code = (int)x;
	v = NULL;
	if (!get_member(in, "sup_start", json_type_int, &v))
		goto out;
	if (v)
		j->sup_start = json_object_get_uint64(v);
	v = NULL;
	if (!get_member(rep, "params", json_type_object, &v))
		goto out;
	j->params = json_object_get(v);
	if (!path_id || strcmp(path_id, j->id) != 0) {
		*why = "its id does not match its file name";
		goto out;
	}
	r = 0;
out:
	if (oom) {
		r = -ENOMEM;
		*why = "out of memory";
	}
	if (r)
		supd_job_free(j);
	else
		*out = j;
	json_object_put(o);
	free(text);
	free(path_id);
	return r;
}
