/* SPDX-License-Identifier: MIT */
/* record.c - the install record (confirmation.json) as a job's answer. */
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"
#include "record/audit.h"
#include "record/confirm.h"

/* 1024 actions with 4 KiB of output each, and room for the rest. */
#define RECORD_MAX (64 * 1024 * 1024)
#define RECORD_DEPTH 32

static int read_all(int fd, size_t size, char **out)
{
	char *buf = malloc(size + 1);
	size_t have = 0;

	if (!buf)
		return -ENOMEM;
	while (have < size) {
		ssize_t n = read(fd, buf + have, size - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -EIO;
		}
		have += (size_t)n;
	}
	buf[have] = '\0';
	*out = buf;
	return 0;
}

int supd_record_read(const char *path, json_object **doc, const char **why)
{
	struct json_tokener *tok = NULL;
	json_object *o = NULL, *v;
	struct stat st;
	char *text = NULL;
	int fd, r;

	*doc = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*why = strerror(errno);
		return -errno;
	}
	r = -EINVAL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > RECORD_MAX) {
		*why = "not a regular file, or larger than 64 MiB";
		goto out;
	}
	r = read_all(fd, (size_t)st.st_size, &text);
	if (r) {
		*why = r == -ENOMEM ? "out of memory" : strerror(-r);
		goto out;
	}
	r = -ENOMEM;
	*why = "out of memory";
	tok = json_tokener_new_ex(RECORD_DEPTH);
	if (!tok)
		goto out;
	r = -EINVAL;
	o = json_tokener_parse_ex(tok, text, (int)st.st_size);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(o, json_type_object)) {
		*why = "not a JSON object";
		goto out;
	}
	if (!json_object_object_get_ex(o, "confirmation_format", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int(v) != SK_CONFIRM_FORMAT ||
	    !json_object_object_get_ex(o, "actions", &v) ||
	    !json_object_is_type(v, json_type_array)) {
		*why = "not a confirmation document of format 1";
		goto out;
	}
	*doc = o;
	o = NULL;
	r = 0;
out:
	if (tok)
		json_tokener_free(tok);
	json_object_put(o);
	free(text);
	close(fd);
	return r;
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

const char *supd_record_job(json_object *doc)
{
	return get_str(doc, "job_id");
}

const char *supd_record_result(json_object *doc)
{
	const char *r = get_str(doc, "result");

	return r ? r : "";
}

bool supd_record_final(json_object *doc)
{
	const char *r = supd_record_result(doc);

	return !strcmp(r, "succeeded") || !strcmp(r, "failed") ||
	       !strcmp(r, "rejected");
}

/* {"package", "version", "succeeded", "failed", "skipped"} of doc. */
static json_object *outcome_params(json_object *doc)
{
	json_object *p = json_object_new_object(), *pkg = NULL, *acts;
	long long n_ok = 0, n_failed = 0, n_skipped = 0;
	const char *name, *version;

	if (!p)
		return NULL;
	if (json_object_object_get_ex(doc, "package", &pkg) &&
	    !json_object_is_type(pkg, json_type_object))
		pkg = NULL;
	name = get_str(pkg, "name");
	version = get_str(pkg, "version");
	if (json_object_object_get_ex(doc, "actions", &acts) &&
	    json_object_is_type(acts, json_type_array)) {
		size_t n = json_object_array_length(acts);

		for (size_t i = 0; i < n; i++) {
			const char *st = get_str(
				json_object_array_get_idx(acts, i), "status");

			if (!st)
				continue;
			if (!strcmp(st, "succeeded"))
				n_ok++;
			else if (!strcmp(st, "failed"))
				n_failed++;
			else if (!strcmp(st, "skipped"))
				n_skipped++;
		}
	}
	json_object_object_add(p, "package",
			       name ? json_object_new_string(name) : NULL);
	json_object_object_add(p, "version", version ?
			       json_object_new_string(version) : NULL);
	json_object_object_add(p, "succeeded", json_object_new_int64(n_ok));
	json_object_object_add(p, "failed", json_object_new_int64(n_failed));
	json_object_object_add(p, "skipped", json_object_new_int64(n_skipped));
	return p;
}

int supd_record_outcome(json_object *doc, int *code, char **message,
			json_object **params)
{
	const char *result = supd_record_result(doc), *m = NULL;
	struct sk_audit a;
	json_object *err;
	bool have_audit;

	*message = NULL;
	*params = outcome_params(doc);
	if (!*params)
		return -ENOMEM;
	if (!strcmp(result, "succeeded")) {
		*code = SUPD_ACK_OK;
		return 0;
	}
	*code = !strcmp(result, "rejected") ? SUPD_ACK_REJECTED :
					      SUPD_ACK_FAILED;
	/* The audit summary names the failed action (or the first problem)
	 * and why, as one clean line; the record's error is the fallback. */
	have_audit = sk_audit_from_doc(&a, doc) == 0 && a.n > 0;
	if (have_audit) {
		*message = strdup(a.msgs[a.n - 1].msg);
		sk_audit_release(&a);
	} else {
		if (json_object_object_get_ex(doc, "error", &err))
			m = get_str(err, "message");
		*message = strdup(m && *m ? m : "the install did not succeed");
	}
	if (!*message) {
		json_object_put(*params);
		*params = NULL;
		return -ENOMEM;
	}
	return 0;
}
