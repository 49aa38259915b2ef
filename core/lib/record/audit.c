/* SPDX-License-Identifier: MIT */
/* audit.c - audit log messages from a confirmation document. */
#include "record/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "base/util.h"
#include "record/confirm.h"

/* Longest text taken from one field of the document. */
#define AUDIT_FIELD_MAX 8192

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

/*
 * A single-line copy of s that is valid UTF-8: cut at AUDIT_FIELD_MAX
 * bytes (on a character boundary, marked "..."), invalid bytes and NUL
 * as U+FFFD (sk_utf8_clean), white-space controls as a space, other
 * controls, C1 and the Unicode line and paragraph separators as U+FFFD.
 */
static char *clean(const char *s)
{
	size_t len = strlen(s), i, o = 0;
	bool cut = false;
	char *u, *out;

	if (len > AUDIT_FIELD_MAX) {
		len = AUDIT_FIELD_MAX;
		/* Do not split a character: back over continuation bytes. */
		for (i = 0; i < 3 && ((unsigned char)s[len] & 0xc0) == 0x80;
		     i++)
			len--;
		cut = true;
	}
	u = sk_utf8_clean(s, len);
	if (!u)
		return NULL;
	len = strlen(u);
	/* A control byte grows to 3 bytes; the separators keep their size. */
	if (len > (SIZE_MAX - 4) / 3) {
		free(u);
		return NULL;
	}
	out = malloc(len * 3 + 4);
	if (!out) {
		free(u);
		return NULL;
	}
	for (i = 0; i < len;) {
		unsigned char c = (unsigned char)u[i];

		if (c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
		    c == '\f') {
			out[o++] = ' ';
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(out + o, replacement, 3);
			o += 3;
			i++;
		} else if (c == 0xc2 && i + 1 < len &&
			   (unsigned char)u[i + 1] >= 0x80 &&
			   (unsigned char)u[i + 1] <= 0x9f) {
			memcpy(out + o, replacement, 3);
			o += 3;
			i += 2;
		} else if (c == 0xe2 && i + 2 < len &&
			   (unsigned char)u[i + 1] == 0x80 &&
			   ((unsigned char)u[i + 2] == 0xa8 ||
			    (unsigned char)u[i + 2] == 0xa9)) {
			memcpy(out + o, replacement, 3);
			o += 3;
			i += 3;
		} else {
			out[o++] = (char)c;
			i++;
		}
	}
	if (cut) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	free(u);
	return out;
}

static json_object *get_obj(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

static bool get_int(json_object *o, const char *key, int64_t *out)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

/* A cleaned copy of a string member, or NULL when absent. *oom is set
 * when it is present and could not be copied. */
static char *clean_member(json_object *o, const char *key, bool *oom)
{
	const char *s = sk_confirm_str(o, key);
	char *c;

	if (!s)
		return NULL;
	c = clean(s);
	if (!c)
		*oom = true;
	return c;
}

/* Cleaned fields of one action, all owned. */
struct act {
	char *id, *type, *plugin, *plugin_version, *status, *on_error;
	char *code, *message;	    /* error */
	char *rb_status, *rb_code, *rb_message; /* rollback */
	bool has_error, has_rollback, has_duration;
	int64_t duration_ms;
};

static void act_release(struct act *a)
{
	free(a->id);
	free(a->type);
	free(a->plugin);
	free(a->plugin_version);
	free(a->status);
	free(a->on_error);
	free(a->code);
	free(a->message);
	free(a->rb_status);
	free(a->rb_code);
	free(a->rb_message);
}

/* Read action o; -EINVAL if it has no id or status, -ENOMEM. */
static int act_read(struct act *a, json_object *o)
{
	json_object *err, *rb;
	bool oom = false;

	memset(a, 0, sizeof(*a));
	if (!sk_confirm_str(o, "id") || !sk_confirm_str(o, "status"))
		return -EINVAL;
	a->id = clean_member(o, "id", &oom);
	a->type = clean_member(o, "type", &oom);
	a->plugin = clean_member(o, "plugin", &oom);
	a->plugin_version = clean_member(o, "plugin_version", &oom);
	a->status = clean_member(o, "status", &oom);
	a->on_error = clean_member(o, "on_error", &oom);
	a->has_duration = get_int(o, "duration_ms", &a->duration_ms);
	err = get_obj(o, "error");
	if (err) {
		a->has_error = true;
		a->code = clean_member(err, "code", &oom);
		a->message = clean_member(err, "message", &oom);
	}
	rb = get_obj(o, "rollback");
	if (rb) {
		a->has_rollback = true;
		a->rb_status = clean_member(rb, "status", &oom);
		err = get_obj(rb, "error");
		a->rb_code = clean_member(err, "code", &oom);
		a->rb_message = clean_member(err, "message", &oom);
	}
	return oom ? -ENOMEM : 0;
}

/* "CODE: MESSAGE", "CODE" or "MESSAGE" of an error object. */
static char *error_text(const char *code, const char *message)
{
	if (!code && (!message || !*message))
		return strdup("unknown error");
	if (!code)
		return strdup(message);
	if (!message || !*message)
		return strdup(code);
	return sk_asprintf("%s: %s", code, message);
}

/* The message of action a; *level gets its level. rejected: the run was
 * refused by preflight, so nothing ran. */
static char *act_message(const struct act *a, bool rejected,
			 enum sk_audit_level *level)
{
	const char *type = a->type ? a->type : "unknown type";
	const char *st = a->status;
	char *desc, *what = NULL, *err = NULL, *rb_err = NULL, *msg = NULL;

	if (a->plugin && a->plugin_version)
		desc = sk_asprintf("(%s, plugin %s %s)", type, a->plugin,
				   a->plugin_version);
	else if (a->plugin)
		desc = sk_asprintf("(%s, plugin %s)", type, a->plugin);
	else
		desc = sk_asprintf("(%s, no plugin)", type);
	if (!desc)
		return NULL;

	if (strcmp(st, "succeeded") == 0) {
		*level = SK_AUDIT_INFO;
		what = a->has_duration ?
			       sk_asprintf("succeeded in %lld ms",
					   (long long)a->duration_ms) :
			       strdup("succeeded");
	} else if (strcmp(st, "failed") == 0) {
		bool cont = a->on_error && strcmp(a->on_error, "continue") == 0;
		bool rb_ok = a->has_rollback && a->rb_status &&
			     strcmp(a->rb_status, "succeeded") == 0;
		bool rb_bad = a->has_rollback && !rb_ok;

		err = error_text(a->code, a->message);
		if (rb_bad)
			rb_err = error_text(a->rb_code, a->rb_message);
		if (!err || (rb_bad && !rb_err))
			goto out;
		if (rb_bad)
			*level = SK_AUDIT_ERROR;
		else if (rb_ok || cont)
			*level = SK_AUDIT_WARNING;
		else
			*level = SK_AUDIT_ERROR;
		what = sk_asprintf("failed%s%s: %s%s%s",
				   rb_ok ? " and was rolled back" : "",
				   cont ? " (on_error continue)" : "", err,
				   rb_bad ? "; rollback failed: " : "",
				   rb_bad ? rb_err : "");
	} else if (strcmp(st, "skipped") == 0) {
		*level = SK_AUDIT_WARNING;
		what = strdup("skipped");
	} else if (strcmp(st, "pending") == 0) {
		*level = rejected ? SK_AUDIT_INFO : SK_AUDIT_WARNING;
		what = strdup(rejected ? "not run: the package was rejected" :
					 "not run");
	} else if (strcmp(st, "running") == 0) {
		*level = SK_AUDIT_ERROR;
		what = strdup("did not finish");
	} else {
		*level = SK_AUDIT_WARNING;
		what = sk_asprintf("has an unknown status '%s'", st);
	}
	if (what)
		msg = sk_asprintf("action '%s' %s %s", a->id, desc, what);
out:
	free(desc);
	free(what);
	free(err);
	free(rb_err);
	return msg;
}

/* How the summary names the package: "NAME VERSION", "NAME", 'FILE'. */
static char *package_label(json_object *doc)
{
	json_object *pkg = get_obj(doc, "package");
	const char *name = sk_confirm_str(pkg, "name");
	const char *version = sk_confirm_str(pkg, "version");
	const char *file = sk_confirm_str(pkg, "file");
	char *raw, *out;

	if (name && version)
		raw = sk_asprintf("%s %s", name, version);
	else if (name)
		raw = strdup(name);
	else if (file)
		raw = sk_asprintf("'%s'", file);
	else
		raw = strdup("(unknown)");
	if (!raw)
		return NULL;
	out = clean(raw);
	free(raw);
	return out;
}

/* "; signed by 'SUBJECT' (key sha256 HEX)" or "; unsigned" from
 * package.signature, "" when the record has none (or, for a rejected
 * package, when the signature is why: the reason says it already). */
static char *signature_part(json_object *doc, bool rejected)
{
	json_object *sig = get_obj(get_obj(doc, "package"), "signature");
	json_object *signer = get_obj(sig, "signer");
	const char *status = sk_confirm_str(sig, "status");
	const char *subject = sk_confirm_str(signer, "subject");
	const char *key = sk_confirm_str(signer, "key_sha256");
	char *raw, *out;

	if (!status)
		return strdup("");
	if (strcmp(status, "verified") == 0 && subject && key)
		raw = sk_asprintf("; signed by '%s' (key sha256 %s)", subject,
				  key);
	else if (strcmp(status, "unsigned") == 0 && !rejected)
		raw = strdup("; unsigned");
	else
		return strdup("");
	if (!raw)
		return NULL;
	out = clean(raw);
	free(raw);
	return out;
}

struct counts {
	size_t succeeded, failed, skipped, other;
};

/* ", N WHAT" when n is not 0, else "". */
static char *count_part(size_t n, const char *what)
{
	return n ? sk_asprintf(", %zu %s", n, what) : strdup("");
}

static char *summary_message(json_object *doc, const char *result,
			     const struct counts *k, enum sk_audit_level *level)
{
	json_object *err = get_obj(doc, "error"), *problems;
	char *label = package_label(doc), *text = NULL, *msg = NULL;
	char *sig = signature_part(doc, strcmp(result, "rejected") == 0);
	char *f = count_part(k->failed, "failed");
	char *s = count_part(k->skipped, "skipped");
	char *p = count_part(k->other, "not run");
	const char *first;
	size_t n_problems = 0;

	if (!label || !f || !s || !p || !sig)
		goto out;
	if (strcmp(result, "succeeded") == 0) {
		*level = k->failed || k->skipped || k->other ?
				 SK_AUDIT_WARNING : SK_AUDIT_INFO;
		msg = sk_asprintf("package %s installed: %zu succeeded%s%s%s%s",
				  label, k->succeeded, f, s, p, sig);
	} else if (strcmp(result, "failed") == 0) {
		const char *m = sk_confirm_str(err, "message");

		*level = SK_AUDIT_ERROR;
		text = clean(m && *m ? m :
			     sk_confirm_str(err, "code") ? sk_confirm_str(err, "code") :
						    "unknown error");
		if (text)
			msg = sk_asprintf("package %s failed: %s (%zu succeeded%s%s%s)%s",
					  label, text, k->succeeded, f, s, p,
					  sig);
	} else {
		*level = SK_AUDIT_ERROR;
		if (json_object_object_get_ex(doc, "problems", &problems) &&
		    json_object_is_type(problems, json_type_array))
			n_problems = json_object_array_length(problems);
		first = sk_confirm_str(err, "message");
		if (n_problems)
			first = json_object_get_string(
				json_object_array_get_idx(problems, 0));
		text = clean(first && *first ? first : "preflight failed");
		if (text && n_problems > 1)
			msg = sk_asprintf("package %s rejected: %s (+%zu more)%s",
					  label, text, n_problems - 1, sig);
		else if (text)
			msg = sk_asprintf("package %s rejected: %s%s", label,
					  text, sig);
	}
out:
	free(sig);
	free(label);
	free(text);
	free(f);
	free(s);
	free(p);
	return msg;
}

void sk_audit_release(struct sk_audit *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->msgs[i].action);
		free(a->msgs[i].msg);
	}
	free(a->msgs);
	free(a->package);
	free(a->version);
	free(a->job_id);
	free(a->ts);
	memset(a, 0, sizeof(*a));
}

int sk_audit_from_doc(struct sk_audit *out, json_object *doc)
{
	struct sk_audit a = { 0 };
	struct counts k = { 0 };
	json_object *actions, *v;
	const char *result;
	bool rejected, oom = false;
	size_t n;
	int64_t format;
	int ret = -ENOMEM;

	memset(out, 0, sizeof(*out));
	if (!get_int(doc, "confirmation_format", &format) ||
	    format != SK_CONFIRM_FORMAT ||
	    !json_object_object_get_ex(doc, "actions", &actions) ||
	    !json_object_is_type(actions, json_type_array) ||
	    !(result = sk_confirm_str(doc, "result")))
		return -EINVAL;
	if (strcmp(result, "succeeded") != 0 && strcmp(result, "failed") != 0 &&
	    strcmp(result, "rejected") != 0)
		return -EAGAIN;
	rejected = strcmp(result, "rejected") == 0;

	n = json_object_array_length(actions);
	if (n > SIZE_MAX / sizeof(*a.msgs) - 1)
		return -ENOMEM;
	a.msgs = calloc(n + 1, sizeof(*a.msgs));
	if (!a.msgs)
		return -ENOMEM;
	v = get_obj(doc, "package");
	a.package = clean_member(v, "name", &oom);
	a.version = clean_member(v, "version", &oom);
	a.job_id = clean_member(doc, "job_id", &oom);
	a.ts = clean_member(doc, "finished", &oom);
	if (oom)
		goto out;

	for (size_t i = 0; i < n; i++) {
		struct sk_audit_msg *m = &a.msgs[a.n];
		struct act act;
		int r = act_read(&act, json_object_array_get_idx(actions, i));

		if (r == 0) {
			m->msg = act_message(&act, rejected, &m->level);
			m->action = strdup(act.id);
			if (m->msg && m->action) {
				if (strcmp(act.status, "succeeded") == 0)
					k.succeeded++;
				else if (strcmp(act.status, "failed") == 0)
					k.failed++;
				else if (strcmp(act.status, "skipped") == 0)
					k.skipped++;
				else
					k.other++;
			} else {
				r = -ENOMEM;
			}
		}
		act_release(&act);
		a.n++; /* m is released with a, even when half made */
		if (r) {
			ret = r;
			goto out;
		}
	}
	a.msgs[a.n].msg = summary_message(doc, result, &k, &a.msgs[a.n].level);
	if (!a.msgs[a.n].msg)
		goto out;
	a.n++;
	*out = a;
	return 0;
out:
	sk_audit_release(&a);
	return ret;
}

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* The JSON line of message i, with its "\n", appended to buf. */
static int append_line(const struct sk_audit *a, size_t i, char **buf,
		       size_t *len)
{
	const struct sk_audit_msg *m = &a->msgs[i];
	json_object *o = json_object_new_object();
	const char *text;
	size_t tlen;
	char *g;
	int ret = -ENOMEM;

	if (!o)
		return -ENOMEM;
	if (json_object_object_add(o, "ts", str_or_null(a->ts)) ||
	    json_object_object_add(o, "package", str_or_null(a->package)) ||
	    json_object_object_add(o, "version", str_or_null(a->version)) ||
	    json_object_object_add(o, "job_id", str_or_null(a->job_id)) ||
	    json_object_object_add(o, "level",
				   json_object_new_int((int)m->level)) ||
	    json_object_object_add(o, "action", str_or_null(m->action)) ||
	    json_object_object_add(o, "msg", json_object_new_string(m->msg)))
		goto out;
	text = json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		goto out;
	tlen = strlen(text);
	if (tlen > SIZE_MAX - 2 || *len > SIZE_MAX - 2 - tlen)
		goto out;
	g = realloc(*buf, *len + tlen + 2);
	if (!g)
		goto out;
	*buf = g;
	memcpy(g + *len, text, tlen);
	*len += tlen;
	g[(*len)++] = '\n';
	g[*len] = '\0';
	ret = 0;
out:
	json_object_put(o);
	return ret;
}

/* Open path for appending without following a link; *created tells
 * whether this call made the file. */
static int open_append(const char *path, bool *created)
{
	/* Read too: the last byte is checked (ends_in_newline). */
	const int flags = O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW |
			  O_NOCTTY | O_NONBLOCK;
	struct stat st;
	int fd;

	*created = true;
	fd = open(path, flags | O_CREAT | O_EXCL, 0644);
	if (fd < 0 && errno == EEXIST) {
		*created = false;
		fd = open(path, flags);
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	/* The mode must not depend on the umask of whoever ran first. */
	if (*created && fchmod(fd, 0644) != 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

/* True if the file open as fd is empty or ends in "\n". A line cut by an
 * earlier crash or full disk must not swallow our first line. */
static bool ends_in_newline(int fd)
{
	struct stat st;
	char c;

	if (fstat(fd, &st) != 0 || st.st_size == 0)
		return true;
	return pread(fd, &c, 1, st.st_size - 1) == 1 && c == '\n';
}

int sk_audit_write(const struct sk_audit *a, const char *logs_dir)
{
	char *path = sk_path_join(logs_dir, SK_AUDIT_NAME);
	char *buf = NULL;
	size_t len = 0, done = 0;
	bool created = false;
	int fd = -1, ret;
	ssize_t n;

	if (!path)
		return -ENOMEM;
	buf = strdup("\n"); /* dropped below unless a line was cut */
	len = 1;
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < a->n; i++) {
		ret = append_line(a, i, &buf, &len);
		if (ret)
			goto out;
	}
	fd = open_append(path, &created);
	if (fd < 0) {
		ret = fd;
		goto out;
	}
	if (ends_in_newline(fd))
		done = 1;
	/* One write() for the whole run; the rest of a short write (full
	 * disk, signal) is completed so that no line stays cut. */
	do
		n = write(fd, buf + done, len - done);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		ret = -errno;
		goto out;
	}
	ret = sk_write_all(fd, buf + done + n, len - done - (size_t)n);
	if (ret)
		goto out;
	if (fsync(fd) != 0) {
		ret = -errno;
		goto out;
	}
	ret = created ? sk_fsync_dir(logs_dir) : 0;
out:
	if (fd >= 0 && close(fd) != 0 && !ret)
		ret = -errno;
	free(buf);
	free(path);
	return ret;
}

void sk_audit_syslog(const struct sk_audit *a)
{
	static const int prio[] = {
		[SK_AUDIT_ERROR] = LOG_ERR,
		[SK_AUDIT_WARNING] = LOG_WARNING,
		[SK_AUDIT_INFO] = LOG_INFO,
	};

	openlog("supkit", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	for (size_t i = 0; i < a->n; i++) {
		enum sk_audit_level l = a->msgs[i].level;
		const char *m = a->msgs[i].msg;
		/* sk_audit_from_doc() made the text clean already; a message
		 * from anywhere else must not carry controls into the log
		 * either. */
		char *shown = sk_show_text(m, strlen(m));
		char fallback[SK_SHOW_MAX];

		syslog(l <= SK_AUDIT_INFO ? prio[l] : LOG_INFO, "%s",
		       shown ? shown : sk_show(m, strlen(m), fallback));
		free(shown);
	}
	closelog();
}

int sk_audit_record(const struct sk_audit *a, const char *logs_dir)
{
	int ret = sk_audit_write(a, logs_dir);

	sk_audit_syslog(a);
	return ret;
}
