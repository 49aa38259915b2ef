/* SPDX-License-Identifier: MIT */
/*
 * test_audit.c - audit log messages from confirmation documents, and the
 * audit.jsonl file they are appended to.
 *
 * Texts and levels are asserted exactly: supd sends the same messages to
 * the portal, where people read them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <json-c/json.h>

#include "base/util.h"
#include "record/audit.h"
#include "testutil.h"

static char *tmp;

static int suite_init(void)
{
	tmp = tu_mkdtemp();
	return tmp ? 0 : -1;
}

static int suite_clean(void)
{
	int ret = tu_rm_rf(tmp);

	free(tmp);
	tmp = NULL;
	return ret;
}

/* --- helpers --------------------------------------------------------- */

/* The document of a run of package demo 1.0 with the given result and
 * actions (JSON text of the array), finished, with a job id. */
static json_object *doc_of(const char *result, const char *actions)
{
	char *text = sk_asprintf(
		"{\"confirmation_format\": 1,"
		" \"installer\": {\"name\": \"supkit\", \"version\": \"1.0.0\"},"
		" \"package\": {\"name\": \"demo\", \"version\": \"1.0\","
		"  \"sha256\": null, \"file\": \"/tmp/demo.sup\"},"
		" \"product\": \"acme\", \"root\": \"/\","
		" \"started\": \"2025-11-27T09:14:03Z\","
		" \"finished\": \"2025-11-27T09:14:05Z\","
		" \"result\": \"%s\", \"error\": null, \"summary\": {},"
		" \"actions\": %s, \"job_id\": \"campaign-17/gw-0042\"}",
		result, actions);
	json_object *doc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	doc = json_tokener_parse(text);
	free(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	return doc;
}

static void set_error(json_object *doc, const char *code, const char *msg)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(doc, "error", e);
}

/* An action object as sup writes it. */
#define ACT(id, type, plugin, on_error, status, dur, error, rollback)        \
	"{\"id\": \"" id "\", \"type\": \"" type "\", \"plugin\": " plugin    \
	", \"plugin_version\": \"1.0.0\", \"on_error\": \"" on_error "\","    \
	" \"status\": \"" status "\", \"started\": null, \"finished\": null," \
	" \"duration_ms\": " dur ", \"error\": " error ", \"output\": null,"  \
	" \"rollback\": " rollback "}"

struct want {
	int level;
	const char *action; /* NULL: the summary */
	const char *msg;
};

#define ASSERT_MSGS(a, ...)                                                  \
	assert_msgs((a), (const struct want[]){ __VA_ARGS__, { -1, 0, 0 } }, \
		    __LINE__)

static void assert_msgs(const struct sk_audit *a, const struct want *w,
			int line)
{
	size_t n = 0;

	while (w[n].level >= 0)
		n++;
	CU_ASSERT_EQUAL(a->n, n);
	if (a->n != n)
		fprintf(stderr, "\nline %d: %zu messages, expected %zu\n", line,
			a->n, n);
	for (size_t i = 0; i < n && i < a->n; i++) {
		const struct sk_audit_msg *m = &a->msgs[i];
		bool ok = (int)m->level == w[i].level &&
			  strcmp(m->msg, w[i].msg) == 0 &&
			  (w[i].action ? m->action &&
					 strcmp(m->action, w[i].action) == 0 :
					 !m->action);

		CU_ASSERT(ok);
		if (!ok)
			fprintf(stderr, "\nline %d: message %zu:\n  got  %d %s %s\n  want %d %s %s\n",
				line, i, (int)m->level,
				m->action ? m->action : "(null)", m->msg,
				w[i].level, w[i].action ? w[i].action : "(null)",
				w[i].msg);
	}
}

/* --- messages -------------------------------------------------------- */

static void test_succeeded(void)
{
	json_object *doc = doc_of("succeeded", "["
		ACT("app-bin", "file.install", "\"file\"", "abort", "succeeded",
		    "12", "null", "null") ", "
		ACT("hello", "exec.command", "\"exec\"", "abort", "succeeded",
		    "1187", "null", "null") ", "
		ACT("reboot", "system.reboot", "\"system\"", "abort",
		    "succeeded", "null", "null", "null") "]");
	struct sk_audit a;

	CU_ASSERT_EQUAL_FATAL(sk_audit_from_doc(&a, doc), 0);
	ASSERT_MSGS(&a,
		{ 2, "app-bin", "action 'app-bin' (file.install, plugin file 1.0.0) succeeded in 12 ms" },
		{ 2, "hello", "action 'hello' (exec.command, plugin exec 1.0.0) succeeded in 1187 ms" },
		{ 2, "reboot", "action 'reboot' (system.reboot, plugin system 1.0.0) succeeded" },
		{ 2, NULL, "package demo 1.0 installed: 3 succeeded" });
	CU_ASSERT_STRING_EQUAL(a.package, "demo");
	CU_ASSERT_STRING_EQUAL(a.version, "1.0");
	CU_ASSERT_STRING_EQUAL(a.job_id, "campaign-17/gw-0042");
	CU_ASSERT_STRING_EQUAL(a.ts, "2025-11-27T09:14:05Z");
	sk_audit_release(&a);
	CU_ASSERT_EQUAL(a.n, 0);
	CU_ASSERT_PTR_NULL(a.msgs);
	json_object_put(doc);
}

/* The example of docs/confirmation.md: an abort action fails, the next
 * one is skipped. */
static void test_failed_abort(void)
{
	json_object *doc = doc_of("failed", "["
		ACT("stop-agent", "exec.command", "\"exec\"", "continue",
		    "succeeded", "1187", "null", "null") ", "
		ACT("install-agent", "file.install", "\"file\"", "abort",
		    "succeeded", "4", "null", "null") ", "
		ACT("install-console", "file.extract", "\"file\"", "abort",
		    "failed", "2",
		    "{\"code\": \"action_failed\", \"message\": \"cannot extract into '/usr/local/share/edge-agent/console': Not a directory\"}",
		    "null") ", "
		ACT("start-agent", "exec.command", "\"exec\"", "abort",
		    "skipped", "null", "null", "null") "]");
	struct sk_audit a;

	set_error(doc, "action_failed",
		  "action 'install-console' failed: cannot extract into '/usr/local/share/edge-agent/console': Not a directory");
	CU_ASSERT_EQUAL_FATAL(sk_audit_from_doc(&a, doc), 0);
	ASSERT_MSGS(&a,
		{ 2, "stop-agent", "action 'stop-agent' (exec.command, plugin exec 1.0.0) succeeded in 1187 ms" },
		{ 2, "install-agent", "action 'install-agent' (file.install, plugin file 1.0.0) succeeded in 4 ms" },
		{ 0, "install-console", "action 'install-console' (file.extract, plugin file 1.0.0) failed: action_failed: cannot extract into '/usr/local/share/edge-agent/console': Not a directory" },
		{ 1, "start-agent", "action 'start-agent' (exec.command, plugin exec 1.0.0) skipped" },
		{ 0, NULL, "package demo 1.0 failed: action 'install-console' failed: cannot extract into '/usr/local/share/edge-agent/console': Not a directory (2 succeeded, 1 failed, 1 skipped)" });
	sk_audit_release(&a);
	json_object_put(doc);
}

static void test_continue_failed(void)
{
	json_object *doc = doc_of("succeeded", "["
		ACT("stop", "exec.command", "\"exec\"", "continue", "failed",
		    "5003",
		    "{\"code\": \"timeout\", \"message\": \"action 'stop' timed out after 5 s\"}",
		    "null") ", "
		ACT("conf", "file.install", "\"file\"", "abort", "succeeded",
		    "3", "null", "null") ", "
		ACT("empty", "exec.command", "\"exec\"", "continue", "failed",
		    "7", "{\"code\": \"no_result\", \"message\": \"\"}",
		    "null") "]");
	struct sk_audit a;

	CU_ASSERT_EQUAL_FATAL(sk_audit_from_doc(&a, doc), 0);
	ASSERT_MSGS(&a,
		{ 1, "stop", "action 'stop' (exec.command, plugin exec 1.0.0) failed (on_error continue): timeout: action 'stop' timed out after 5 s" },
		{ 2, "conf", "action 'conf' (file.install, plugin file 1.0.0) succeeded in 3 ms" },
		{ 1, "empty", "action 'empty' (exec.command, plugin exec 1.0.0) failed (on_error continue): no_result" },
		{ 1, NULL, "package demo 1.0 installed: 1 succeeded, 2 failed" });
	sk_audit_release(&a);
	json_object_put(doc);
}

static void test_rolled_back(void)
{
	json_object *doc = doc_of("failed", "["
		ACT("fw-a", "firmware.update", "\"firmware\"", "continue",
		    "failed", "900",
		    "{\"code\": \"action_failed\", \"message\": \"health check failed\"}",
		    "{\"status\": \"succeeded\", \"error\": null, \"duration_ms\": 40}") ", "
		ACT("fw-b", "firmware.update", "\"firmware\"", "abort",
		    "failed", "800",
		    "{\"code\": \"action_failed\", \"message\": \"health check failed\"}",
		    "{\"status\": \"failed\", \"error\": {\"code\": \"plugin_crashed\", \"message\": \"plugin 'firmware' crashed\"}, \"duration_ms\": 3}") ", "
		ACT("fw-c", "firmware.update", "\"firmware\"", "abort",
		    "failed", "700",
		    "{\"code\": \"timeout\", \"message\": \"too slow\"}",
		    "{\"status\": \"succeeded\", \"error\": null, \"duration_ms\": 40}") "]");
	struct sk_audit a;

	set_error(doc, "action_failed",
		  "action 'fw-b' failed: health check failed");
	CU_ASSERT_EQUAL_FATAL(sk_audit_from_doc(&a, doc), 0);
	ASSERT_MSGS(&a,
		{ 1, "fw-a", "action 'fw-a' (firmware.update, plugin firmware 1.0.0) failed and was rolled back (on_error continue): action_failed: health check failed" },
		{ 0, "fw-b", "action 'fw-b' (firmware.update, plugin firmware 1.0.0) failed: action_failed: health check failed; rollback failed: plugin_crashed: plugin 'firmware' crashed" },
		{ 1, "fw-c", "action 'fw-c' (firmware.update, plugin firmware 1.0.0) failed and was rolled back: timeout: too slow" },
		{ 0, NULL, "package demo 1.0 failed: action 'fw-b' failed: health check failed (0 succeeded, 3 failed)" });
	sk_audit_release(&a);
	json_object_put(doc);
}

static void test_rejected(void)
{
	json_object *doc = doc_of("rejected", "["
		ACT("conf", "file.install", "\"file\"", "abort", "pending",
		    "null", "null", "null") ", "
		ACT("odd", "bogus.thing", "null", "abort", "pending", "null",
		    "null", "null") "]");
	json_object *problems = json_object_new_array();
	struct sk_audit a;

	json_object_array_add(problems, json_object_new_string(
		"action 'odd': no enabled plugin handles type 'bogus.thing'"));
	json_object_array_add(problems, json_object_new_string(
		"package 'demo' is for products 'x*', not for 'acme'"));
	json_object_array_add(problems, json_object_new_string(
		"action 'conf': path: not an absolute path"));
	json_object_object_add(doc, "problems", problems);
	set_error(doc, "preflight_failed",
		  "action 'odd': no enabled plugin handles type 'bogus.thing'");
	CU_ASSERT_EQUAL_FATAL(sk_audit_from_doc(&a, doc), 0);
	ASSERT_MSGS(&a,
		{ 2, "conf", "action 'conf' (file.install, plugin file 1.0.0) not run: the package was rejected" },
		{ 2, "odd", "action 'odd' (bogus.thing, no plugin) not run: the package was rejected" },
		{ 0, NULL, "package demo 1.0 rejected: action 'odd': no enabled plugin handles type 'bogus.thing' (+2 more)" });
	sk_audit_release(&a);
	json_object_put(doc);
}

/* A rejection record of a file whose manifest could not be read: no name,
 * no actions, one problem. */
static void test_rejected_unreadable(void)
{
	json_object *doc = doc_of("rejected", "[]");
	json_object *pkg, *problems = json_object_new_array();
	struct sk_audit a;

	json_object_object_get_ex(doc, "package", &pkg);
	json_object_object_add(pkg, "name", NULL);
	json_object_object_add(pkg, "version", NULL);
	json_object_object_add(doc, "job_id", NULL);
	json_object_array_add(problems, json_object_new_string(
		"manifest.json: not valid JSON"));
	json_object_object_add(doc, "problems", problems);
	CU_ASSERT_EQUAL_FATAL(sk_audit_from_doc(&a, doc), 0);
	ASSERT_MSGS(&a,
		{ 0, NULL, "package '/tmp/demo.sup' rejected: manifest.json: not valid JSON" });
	CU_ASSERT_PTR_NULL(a.package);
	CU_ASSERT_PTR_NULL(a.version);
	CU_ASSERT_PTR_NULL(a.job_id);
	sk_audit_release(&a);
	json_object_put(doc);
}

static void test_not_final(void)
{
	static const char *const results[] = {
		"running", "suspended", "dry-run", "later",
	};
	struct sk_audit a;
	json_object *doc, *v;

	for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
		doc = doc_of(results[i], "[]");
		CU_ASSERT_EQUAL(sk_audit_from_doc(&a, doc), -EAGAIN);
		CU_ASSERT_EQUAL(a.n, 0);
		json_object_put(doc);
	}

	doc = doc_of("succeeded", "[]");
	json_object_object_add(doc, "confirmation_format",
			       json_object_new_int(2));
	CU_ASSERT_EQUAL(sk_audit_from_doc(&a, doc), -EINVAL);
	json_object_object_del(doc, "confirmation_format");
	CU_ASSERT_EQUAL(sk_audit_from_doc(&a, doc), -EINVAL);
	json_object_put(doc);

	doc = doc_of("succeeded", "[{\"id\": \"x\"}]");
	CU_ASSERT_EQUAL(sk_audit_from_doc(&a, doc), -EINVAL);
	json_object_put(doc);
	doc = doc_of("succeeded", "[7]");
	CU_ASSERT_EQUAL(sk_audit_from_doc(&a, doc), -EINVAL);
	json_object_put(doc);
	doc = doc_of("succeeded", "{}");
	CU_ASSERT_EQUAL(sk_audit_from_doc(&a, doc), -EINVAL);
	json_object_put(doc);

	v = json_object_new_array();
	CU_ASSERT_EQUAL(sk_audit_from_doc(&a, v), -EINVAL);
	json_object_put(v);
	CU_ASSERT_EQUAL(sk_audit_from_doc(&a, NULL), -EINVAL);
}

/* Plugin text with controls, C1, line separators and invalid UTF-8 comes
 * out on one line, valid UTF-8, without a control character. */
static void test_control_chars(void)
{
	static const char nasty[] =
		"bad\n\x1b[31mred\x1b[0m\ttab\r\x7f\xc2\x85nel\xe2\x80\xa8ls\xff"
		"\xc3\xa9t\xc3\xa9";
	json_object *doc = doc_of("failed", "["
		ACT("x", "exec.command", "\"exec\"", "abort", "failed", "1",
		    "{\"code\": \"action_failed\", \"message\": \"\"}",
		    "null") "]");
	json_object *acts, *err;
	struct sk_audit a;
	char *dir;

	json_object_object_get_ex(doc, "actions", &acts);
	json_object_object_get_ex(json_object_array_get_idx(acts, 0), "error",
				  &err);
	json_object_object_add(err, "message",
			       json_object_new_string_len(nasty, sizeof(nasty) - 1));
	json_object_object_add(json_object_array_get_idx(acts, 0), "id",
			       json_object_new_string("x\ny"));
	set_error(doc, "action_failed", "line 1\nline 2");
	CU_ASSERT_EQUAL_FATAL(sk_audit_from_doc(&a, doc), 0);
	ASSERT_MSGS(&a,
		{ 0, "x y", "action 'x y' (exec.command, plugin exec 1.0.0) failed: action_failed: bad \xef\xbf\xbd[31mred\xef\xbf\xbd[0m tab \xef\xbf\xbd\xef\xbf\xbdnel\xef\xbf\xbdls\xef\xbf\xbd\xc3\xa9t\xc3\xa9" },
		{ 0, NULL, "package demo 1.0 failed: line 1 line 2 (0 succeeded, 1 failed)" });
	for (size_t i = 0; i < a.n; i++)
		for (const unsigned char *p = (const unsigned char *)a.msgs[i].msg;
		     *p; p++)
			CU_ASSERT(*p >= 0x20 && *p != 0x7f);

	/* ... and its line in audit.jsonl is one line. */
	dir = tu_path(tmp, "ctl");
	CU_ASSERT_EQUAL_FATAL(sk_mkdir_p(dir, 0755), 0);
	CU_ASSERT_EQUAL(sk_audit_write(&a, dir), 0);
	{
		char *path = tu_path(dir, SK_AUDIT_NAME), *text;
		size_t len, lines = 0;

		text = tu_read_file(path, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(text);
		for (size_t i = 0; i < len; i++)
			lines += text[i] == '\n';
		CU_ASSERT_EQUAL(lines, 2);
		free(text);
		free(path);
	}
	free(dir);
	sk_audit_release(&a);
	json_object_put(doc);
}

/* A message of megabytes is cut at 8 KiB, on a character boundary. */
static void test_long_text(void)
{
	json_object *doc = doc_of("failed", "["
		ACT("x", "exec.command", "\"exec\"", "abort", "failed", "1",
		    "null", "null") "]");
	json_object *acts, *err;
	struct sk_audit a;
	const char *m, *colon;
	char *big = malloc(1 << 20);

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	/* "é" is 2 bytes: 8192 falls after its first byte when odd-aligned */
	big[0] = 'a';
	for (size_t i = 1; i + 1 < (1 << 20); i += 2) {
		big[i] = '\xc3';
		big[i + 1] = '\xa9';
	}
	big[(1 << 20) - 1] = '\0';
	err = json_object_new_object();
	json_object_object_add(err, "code", json_object_new_string("action_failed"));
	json_object_object_add(err, "message", json_object_new_string(big));
	json_object_object_get_ex(doc, "actions", &acts);
	json_object_object_add(json_object_array_get_idx(acts, 0), "error", err);
	CU_ASSERT_EQUAL_FATAL(sk_audit_from_doc(&a, doc), 0);
	m = a.msgs[0].msg;
	colon = strstr(m, "action_failed: ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(colon);
	colon += strlen("action_failed: ");
	/* 'a' + 4095 whole "é" = 8191 bytes, then "..." */
	CU_ASSERT_EQUAL(strlen(colon), 8191 + 3);
	CU_ASSERT_STRING_EQUAL(colon + 8191, "...");
	CU_ASSERT_EQUAL(memcmp(colon + 8189, "\xc3\xa9", 2), 0);
	sk_audit_release(&a);
	json_object_put(doc);
	free(big);
}

/* --- audit.jsonl ----------------------------------------------------- */

static json_object *line_at(const char *text, size_t n)
{
	const char *p = text, *nl;
	char *line;
	json_object *o;

	for (size_t i = 0; i < n; i++) {
		p = strchr(p, '\n');
		if (!p)
			return NULL;
		p++;
	}
	nl = strchr(p, '\n');
	if (!nl)
		return NULL;
	line = strndup(p, (size_t)(nl - p));
	o = line ? json_tokener_parse(line) : NULL;
	free(line);
	return o;
}

static const char *jget(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

static void test_jsonl(void)
{
	json_object *doc = doc_of("failed", "["
		ACT("a", "file.install", "\"file\"", "abort", "succeeded", "5",
		    "null", "null") ", "
		ACT("b", "file.install", "\"file\"", "abort", "failed", "1",
		    "{\"code\": \"action_failed\", \"message\": \"no \\\"room\\\"\"}",
		    "null") "]");
	char *dir = tu_path(tmp, "logs"), *path, *text;
	struct sk_audit a;
	json_object *o;
	struct stat st;
	size_t len, lines = 0;
	mode_t old;

	set_error(doc, "action_failed", "action 'b' failed: no \"room\"");
	CU_ASSERT_EQUAL_FATAL(sk_mkdir_p(dir, 0755), 0);
	path = tu_path(dir, SK_AUDIT_NAME);
	CU_ASSERT_EQUAL_FATAL(sk_audit_from_doc(&a, doc), 0);
	CU_ASSERT_EQUAL_FATAL(a.n, 3);

	/* Created 0644 whatever the umask. */
	old = umask(077);
	CU_ASSERT_EQUAL(sk_audit_write(&a, dir), 0);
	umask(old);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0644);
	/* Appended, not replaced. */
	CU_ASSERT_EQUAL(sk_audit_record(&a, dir), 0);

	text = tu_read_file(path, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	CU_ASSERT_EQUAL(lines, 6);
	CU_ASSERT_EQUAL(text[len - 1], '\n');
	for (size_t i = 0; i < 6; i++) {
		json_object *v;

		o = line_at(text, i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		CU_ASSERT_EQUAL(json_object_object_length(o), 7);
		CU_ASSERT_STRING_EQUAL(jget(o, "ts"), "2025-11-27T09:14:05Z");
		CU_ASSERT_STRING_EQUAL(jget(o, "package"), "demo");
		CU_ASSERT_STRING_EQUAL(jget(o, "version"), "1.0");
		CU_ASSERT_STRING_EQUAL(jget(o, "job_id"), "campaign-17/gw-0042");
		CU_ASSERT(json_object_object_get_ex(o, "level", &v) &&
			  json_object_is_type(v, json_type_int) &&
			  json_object_get_int(v) == (int)a.msgs[i % 3].level);
		CU_ASSERT_STRING_EQUAL(jget(o, "msg"), a.msgs[i % 3].msg);
		CU_ASSERT(json_object_object_get_ex(o, "action", &v));
		if (i % 3 == 2) {
			CU_ASSERT_PTR_NULL(v);
		} else {
			CU_ASSERT_STRING_EQUAL(jget(o, "action"),
					       i % 3 ? "b" : "a");
		}
		json_object_put(o);
	}
	o = line_at(text, 1);
	CU_ASSERT_STRING_EQUAL(jget(o, "msg"),
		"action 'b' (file.install, plugin file 1.0.0) failed: action_failed: no \"room\"");
	json_object_put(o);
	free(text);

	/* A line cut by a crash: the next run starts on a line of its own. */
	CU_ASSERT_EQUAL_FATAL(truncate(path, (off_t)len - 10), 0);
	CU_ASSERT_EQUAL(sk_audit_write(&a, dir), 0);
	text = tu_read_file(path, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	o = line_at(text, 6);
	CU_ASSERT_PTR_NOT_NULL(o);
	CU_ASSERT_STRING_EQUAL(jget(o, "action"), "a");
	json_object_put(o);
	o = line_at(text, 8);
	CU_ASSERT_PTR_NOT_NULL(o);
	CU_ASSERT_PTR_NULL(jget(o, "action"));
	json_object_put(o);
	CU_ASSERT_PTR_NULL(line_at(text, 9));
	free(text);

	free(path);
	free(dir);
	sk_audit_release(&a);
	json_object_put(doc);
}

/* audit.jsonl as a symbolic link or a directory is refused, and what the
 * link points at is left alone. */
static void test_jsonl_refused(void)
{
	json_object *doc = doc_of("succeeded", "[]");
	char *dir = tu_path(tmp, "links"), *path, *target, *text;
	struct sk_audit a;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(sk_mkdir_p(dir, 0755), 0);
	CU_ASSERT_EQUAL_FATAL(sk_audit_from_doc(&a, doc), 0);
	ASSERT_MSGS(&a, { 2, NULL, "package demo 1.0 installed: 0 succeeded" });
	path = tu_path(dir, SK_AUDIT_NAME);
	target = tu_path(dir, "target");
	CU_ASSERT_EQUAL_FATAL(tu_write_str(target, "keep\n"), 0);
	CU_ASSERT_EQUAL_FATAL(symlink("target", path), 0);
	CU_ASSERT_EQUAL(sk_audit_write(&a, dir), -ELOOP);
	text = tu_read_file(target, &len);
	CU_ASSERT_STRING_EQUAL(text, "keep\n");
	free(text);
	CU_ASSERT_EQUAL_FATAL(unlink(path), 0);
	CU_ASSERT_EQUAL_FATAL(mkdir(path, 0755), 0);
	CU_ASSERT(sk_audit_write(&a, dir) < 0);
	CU_ASSERT(sk_audit_write(&a, "/nonexistent-dir-of-supkit-tests") == -ENOENT);
	free(target);
	free(path);
	free(dir);
	sk_audit_release(&a);
	json_object_put(doc);
}

static CU_TestInfo message_tests[] = {
	{ "succeeded", test_succeeded },
	{ "failed, abort and skipped", test_failed_abort },
	{ "failed, on_error continue", test_continue_failed },
	{ "rolled back", test_rolled_back },
	{ "rejected", test_rejected },
	{ "rejected, manifest unreadable", test_rejected_unreadable },
	{ "not final or not a confirmation", test_not_final },
	{ "control characters", test_control_chars },
	{ "long text", test_long_text },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo file_tests[] = {
	{ "lines parse and are appended", test_jsonl },
	{ "links and directories refused", test_jsonl_refused },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "audit messages", suite_init, suite_clean, NULL, NULL, message_tests },
	{ "audit.jsonl", suite_init, suite_clean, NULL, NULL, file_tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	if (tu_init() || CU_register_suites(suites) != CUE_SUCCESS)
		return tu_abort();
	return tu_run();
}
