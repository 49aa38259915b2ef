/* SPDX-License-Identifier: MIT */
/*
 * test_host.c - sk_call_run(): plugin calls in child processes, driven
 * through the real fixture plugin ($SUP_FIXTURE_DIR/good/fixture.so) and a
 * small SUP built here whose manifest names fixture action types.
 *
 * What is asserted is what the runner copies into confirmation.json:
 * ok, error code, error message and the output tail.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <archive.h>
#include <archive_entry.h>

#include "base/config.h"
#include "base/hash.h"
#include "base/problems.h"
#include "base/util.h"
#include "install/host.h"
#include "install/loader.h"
#include "package/manifest.h"
#include "package/supfile.h"
#include "testutil.h"

static char *tmp;     /* canonical temporary directory */
static char *root;    /* tmp/root: --root */
static char *staging; /* tmp/staging */
static struct sk_registry reg;
static struct sk_config cfg;
static struct sk_limits lim;
static struct sk_supfile sup;
static bool reg_ready, cfg_ready, sup_ready;

/* The payload of action "payload": several 64 KiB reads long. */
#define DATA_LEN (200 * 1024 + 3)
static unsigned char *data;

static const char actions_text[] =
	"{\"id\":\"ok\",\"type\":\"fixture.ok\"},"
	"{\"id\":\"fail\",\"type\":\"fixture.fail\","
	" \"params\":{\"message\":\"boom\"}},"
	"{\"id\":\"fail-default\",\"type\":\"fixture.fail\"},"
	"{\"id\":\"fail-badmsg\",\"type\":\"fixture.fail\","
	" \"params\":{\"message\":3}},"
	"{\"id\":\"crash\",\"type\":\"fixture.crash\"},"
	"{\"id\":\"crashcheck\",\"type\":\"fixture.crashcheck\"},"
	"{\"id\":\"hang\",\"type\":\"fixture.hang\"},"
	"{\"id\":\"hang-term\",\"type\":\"fixture.hang\","
	" \"params\":{\"ignore_sigterm\":true}},"
	"{\"id\":\"pid1\",\"type\":\"fixture.pidcheck\"},"
	"{\"id\":\"pid2\",\"type\":\"fixture.pidcheck\"},"
	"{\"id\":\"pid3\",\"type\":\"fixture.pidcheck\"},"
	"{\"id\":\"slow\",\"type\":\"fixture.slowcheck\","
	" \"params\":{\"check_ms\":10000}},"
	"{\"id\":\"checkfail\",\"type\":\"fixture.checkfail\","
	" \"params\":{\"message\":\"not today\"}},"
	"{\"id\":\"p-good\",\"type\":\"fixture.params\",\"params\":{"
	" \"path\":\"/out/p-good.txt\",\"string\":\"s p\",\"int\":-42,"
	" \"bool\":true,\"strings\":[\"a\",\"b\"],\"strmap\":{\"k\":\"v\"},"
	" \"json\":{\"x\":[1,2]}}},"
	"{\"id\":\"p-absent\",\"type\":\"fixture.params\","
	" \"params\":{\"path\":\"/out/p-absent.txt\"}},"
	"{\"id\":\"p-string\",\"type\":\"fixture.params\","
	" \"params\":{\"path\":\"/out/p-string.txt\",\"string\":5}},"
	"{\"id\":\"p-int\",\"type\":\"fixture.params\","
	" \"params\":{\"path\":\"/out/p-int.txt\",\"int\":\"7\"}},"
	"{\"id\":\"p-int-frac\",\"type\":\"fixture.params\","
	" \"params\":{\"path\":\"/out/p-int-frac.txt\",\"int\":1.5}},"
	"{\"id\":\"p-int-range\",\"type\":\"fixture.params\","
	" \"params\":{\"path\":\"/out/p-int-range.txt\","
	" \"int\":18446744073709551615}},"
	"{\"id\":\"p-bool\",\"type\":\"fixture.params\","
	" \"params\":{\"path\":\"/out/p-bool.txt\",\"bool\":1}},"
	"{\"id\":\"p-bool-str\",\"type\":\"fixture.params\","
	" \"params\":{\"path\":\"/out/p-bool-str.txt\",\"bool\":\"true\"}},"
	"{\"id\":\"p-strings\",\"type\":\"fixture.params\","
	" \"params\":{\"path\":\"/out/p-strings.txt\",\"strings\":\"a\"}},"
	"{\"id\":\"p-strings-item\",\"type\":\"fixture.params\","
	" \"params\":{\"path\":\"/out/p-strings-item.txt\","
	" \"strings\":[\"a\",null]}},"
	"{\"id\":\"p-strmap\",\"type\":\"fixture.params\","
	" \"params\":{\"path\":\"/out/p-strmap.txt\",\"strmap\":{\"k\":1}}},"
	"{\"id\":\"p-json\",\"type\":\"fixture.params\","
	" \"params\":{\"path\":\"/out/p-json.txt\",\"json\":[1]}},"
	"{\"id\":\"p-nul\",\"type\":\"fixture.params\","
	" \"params\":{\"path\":\"/out/p-nul.txt\",\"string\":\"a\\u0000b\"}},"
	"{\"id\":\"p-multi\",\"type\":\"fixture.params\","
	" \"params\":{\"path\":\"/out/p-multi.txt\",\"string\":{},"
	" \"int\":true}},"
	"{\"id\":\"p-missing\",\"type\":\"fixture.params\"},"
	"{\"id\":\"write-nocontent\",\"type\":\"fixture.write\","
	" \"params\":{\"path\":\"/out/nocontent.txt\"}},"
	"{\"id\":\"payload\",\"type\":\"fixture.payload\","
	" \"params\":{\"path\":\"/out/payload.bin\"},"
	" \"payloads\":[\"data.bin\"]},"
	"{\"id\":\"dotdot\",\"type\":\"fixture.write\","
	" \"params\":{\"path\":\"/out/../escape.txt\",\"content\":\"x\"}},"
	"{\"id\":\"relative\",\"type\":\"fixture.write\","
	" \"params\":{\"path\":\"out/rel.txt\",\"content\":\"x\"}},"
	"{\"id\":\"write-link\",\"type\":\"fixture.write\","
	" \"params\":{\"path\":\"/link/w.txt\",\"content\":\"via a link\"}},"
	"{\"id\":\"config\",\"type\":\"fixture.config\","
	" \"params\":{\"path\":\"/out/config.txt\",\"key\":\"greeting\"}},"
	"{\"id\":\"rb\",\"type\":\"fixture.rollback\","
	" \"params\":{\"path\":\"/out/rb.txt\"}},"
	"{\"id\":\"rb-fail\",\"type\":\"fixture.rollback\","
	" \"params\":{\"path\":\"/out/rb-fail.txt\",\"rollback_fail\":true}},"
	"{\"id\":\"config-missing\",\"type\":\"fixture.config\","
	" \"params\":{\"path\":\"/out/nokey.txt\",\"key\":\"absent\"}},"
	"{\"id\":\"n-log\",\"type\":\"noisy.log\",\"params\":{\"text\":"
	" \"\\u001b[2J\\u001b]0;owned\\u0007 \\u009b31m caf\\u00e9 \\\\ \\t end\"}},"
	"{\"id\":\"n-fails\",\"type\":\"noisy.fails\","
	" \"params\":{\"a\":\"A\",\"b\":\"B\\u001b[1m\"}},"
	"{\"id\":\"n-fails-type\",\"type\":\"noisy.fails\","
	" \"params\":{\"a\":1,\"b\":[]}},"
	"{\"id\":\"n-fails-40\",\"type\":\"noisy.fails\","
	" \"params\":{\"n\":40}}";

/* --- building the SUP --------------------------------------------------- */

static int write_sup(const char *path, const char *manifest,
		     const char *pname, const void *pdata, size_t plen)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e;
	int ret = -1;

	if (!a)
		return -1;
	if (archive_write_set_format_pax(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, path) != ARCHIVE_OK)
		goto out;
	for (int i = 0; i < 2; i++) {
		const char *name = i ? pname : "manifest.json";
		const void *d = i ? pdata : manifest;
		size_t len = i ? plen : strlen(manifest);

		e = archive_entry_new();
		if (!e)
			goto out;
		archive_entry_set_pathname(e, name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)len);
		if (archive_write_header(a, e) != ARCHIVE_OK ||
		    archive_write_data(a, d, len) != (la_ssize_t)len) {
			archive_entry_free(e);
			goto out;
		}
		archive_entry_free(e);
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		goto out;
	ret = 0;
out:
	archive_write_free(a);
	return ret;
}

/* A manifest with the given actions and the one payload "data.bin". */
static char *manifest_text(const char *actions)
{
	struct sk_sha256 *h = sk_sha256_new();
	char hex[SK_SHA256_HEX_LEN + 1];

	if (!h)
		return NULL;
	sk_sha256_update(h, data, DATA_LEN);
	sk_sha256_final_hex(h, hex);
	sk_sha256_free(h);
	return sk_asprintf("{\"sup_format\":1,"
			   "\"package\":{\"name\":\"host-test\",\"version\":\"1\"},"
			   "\"payloads\":{\"data.bin\":{\"size\":%d,\"sha256\":\"%s\"}},"
			   "\"actions\":[%s]}",
			   DATA_LEN, hex, actions);
}

static int open_sup(struct sk_supfile *f, const char *name,
		    const char *actions)
{
	char *path = tu_path(tmp, name);
	char *m = manifest_text(actions);
	struct sk_problems d;
	int ret = -1;

	sk_problems_init(&d);
	if (!m || write_sup(path, m, "data.bin", data, DATA_LEN))
		goto out;
	ret = sk_supfile_open(f, path, &lim, NULL, 0, NULL, &d);
	if (ret)
		sk_problems_print(&d, "test_host");
out:
	sk_problems_release(&d);
	free(m);
	free(path);
	return ret;
}

/* --- suite -------------------------------------------------------------- */

static int suite_init(void)
{
	const char *fixtures = getenv("SUP_FIXTURE_DIR");
	char *t, *so, *noisy = NULL, *conf, *profile, *out, *link;
	struct sk_problems d;
	int ret = -1;

	if (!fixtures || fixtures[0] != '/') {
		fprintf(stderr, "SUP_FIXTURE_DIR must name the fixture directory\n");
		return -1;
	}
	sk_limits_default(&lim);
	t = tu_mkdtemp();
	if (!t)
		return -1;
	tmp = realpath(t, NULL);
	free(t);
	if (!tmp)
		return -1;
	root = tu_path(tmp, "root");
	staging = tu_path(tmp, "staging");
	out = tu_path(root, "out");
	link = tu_path(root, "link");
	conf = tu_path(tmp, "sup.conf");
	profile = tu_path(root, "cfg/gw.conf");
	so = sk_path_join(fixtures, "good/fixture.so");
	noisy = sk_path_join(fixtures, "noisy/noisy.so");
	data = malloc(DATA_LEN);
	sk_problems_init(&d);
	if (!so || !noisy || !data || sk_mkdir_p(out, 0755) ||
	    sk_mkdir_p(staging, 0700) || symlink("/out", link))
		goto out;
	for (size_t i = 0; i < DATA_LEN; i++)
		data[i] = (unsigned char)(i * 7 + (i >> 10));

	if (sk_registry_init(&reg, &d))
		goto out;
	reg_ready = true;
	if (sk_registry_load_file(&reg, so, &d) ||
	    sk_registry_load_file(&reg, noisy, &d))
		goto out;

	if (tu_write_str(conf, "[gateway]\nproduct = gw\n"
			       "[paths]\nprofiles_dir = /cfg\n") ||
	    tu_write_str(profile, "[product]\nname = gw\n"
				  "[plugin.fixture]\ngreeting = hello there\n"
				  "[plugin.other]\nsecret = not for fixture\n"))
		goto out;
	cfg_ready = true;
	if (tu_config_load(&cfg, conf, root, NULL, &d))
		goto out;

	sup_ready = true;
	if (open_sup(&sup, "host.sup", actions_text))
		goto out;
	ret = 0;
out:
	if (!sk_problems_empty(&d))
		sk_problems_print(&d, "test_host");
	sk_problems_release(&d);
	free(so);
	free(noisy);
	free(conf);
	free(profile);
	free(out);
	free(link);
	return ret;
}

static int suite_clean(void)
{
	int ret;

	if (sup_ready)
		sk_supfile_close(&sup);
	if (cfg_ready)
		sk_config_release(&cfg);
	if (reg_ready)
		sk_registry_release(&reg);
	ret = tu_rm_rf(tmp);
	free(root);
	free(staging);
	free(tmp);
	free(data);
	return ret;
}

/* --- helpers ------------------------------------------------------------ */

/* Index of the action with this id in f's manifest. */
static size_t action_index(const struct sk_supfile *f, const char *id)
{
	for (size_t i = 0; i < f->manifest.n_actions; i++)
		if (strcmp(f->manifest.actions[i].id, id) == 0)
			return i;
	fprintf(stderr, "\nno action '%s' in the test manifest\n", id);
	CU_FAIL_FATAL("unknown action id");
	return 0;
}

/* Run action id of f in phase with the timeout given; quiet or not. */
static void run_call(const struct sk_supfile *f, const char *id,
		     enum sk_phase phase, unsigned long timeout_s, bool quiet,
		     struct sk_call_result *res)
{
	size_t i = action_index(f, id);
	const struct sk_action_decl *a = &f->manifest.actions[i];
	struct sk_call call = {
		.phase = phase,
		.type = sk_registry_find(&reg, a->type),
		.action = a,
		.action_index = i,
		.sup = f,
		.config = &cfg,
		.root = root,
		.staging = phase == SK_PHASE_CHECK ? NULL : staging,
		.timeout_s = timeout_s,
		.quiet = quiet,
	};

	CU_ASSERT_PTR_NOT_NULL_FATAL(call.type);
	CU_ASSERT_EQUAL_FATAL(sk_call_run(&call, res), 0);
}

static void run_in(const struct sk_supfile *f, const char *id,
		   enum sk_phase phase, unsigned long timeout_s,
		   struct sk_call_result *res)
{
	run_call(f, id, phase, timeout_s, true, res);
}

/* Run action id, not quiet, with what the host prints on stderr in
 * *printed (malloc'd). */
static void run_loud(const char *id, enum sk_phase phase,
		     struct sk_call_result *res, char **printed)
{
	char *path = tu_path(tmp, "stderr.txt");
	int saved, fd;

	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CU_ASSERT_FATAL(saved >= 0 && fd >= 0);
	CU_ASSERT_FATAL(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
	close(fd);
	run_call(&sup, id, phase, 30, false, res);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	*printed = tu_read_file(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*printed);
	free(path);
}

static void run(const char *id, enum sk_phase phase,
		struct sk_call_result *res)
{
	run_in(&sup, id, phase, 30, res);
}

/* The call succeeded, with no error recorded. */
static void expect_ok(const char *id, enum sk_phase phase)
{
	struct sk_call_result res;

	run(id, phase, &res);
	if (!res.ok)
		fprintf(stderr, "\naction '%s' failed: %s: %s\n", id,
			res.code ? res.code : "(no code)",
			res.message ? res.message : "(no message)");
	CU_ASSERT_TRUE(res.ok);
	CU_ASSERT_PTR_NULL(res.code);
	CU_ASSERT_PTR_NULL(res.message);
	CU_ASSERT(res.duration_ms >= 0);
	sk_call_result_release(&res);
}

/* The call failed with exactly this code and message. */
static void expect_fail(const char *id, enum sk_phase phase,
			const char *code, const char *message)
{
	struct sk_call_result res;

	run(id, phase, &res);
	CU_ASSERT_FALSE(res.ok);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res.code);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res.message);
	if (strcmp(res.code, code) || strcmp(res.message, message))
		fprintf(stderr, "\naction '%s': got %s: %s\n", id, res.code,
			res.message);
	CU_ASSERT_STRING_EQUAL(res.code, code);
	CU_ASSERT_STRING_EQUAL(res.message, message);
	sk_call_result_release(&res);
}

/* The checks of actions ids[0..n-1] (timeout_s each) in one
 * sk_call_run_many(). */
static void run_many(const char *const *ids, size_t n, unsigned long timeout_s,
		     struct sk_call_result *res)
{
	struct sk_call calls[8];

	CU_ASSERT_FATAL(n <= 8);
	for (size_t k = 0; k < n; k++) {
		size_t i = action_index(&sup, ids[k]);
		const struct sk_action_decl *a = &sup.manifest.actions[i];

		calls[k] = (struct sk_call){
			.phase = SK_PHASE_CHECK,
			.type = sk_registry_find(&reg, a->type),
			.action = a,
			.action_index = i,
			.sup = &sup,
			.config = &cfg,
			.root = root,
			.timeout_s = timeout_s,
			.quiet = true,
		};
		CU_ASSERT_PTR_NOT_NULL_FATAL(calls[k].type);
	}
	CU_ASSERT_EQUAL_FATAL(sk_call_run_many(calls, n, res), 0);
}

/* The process a fixture.pidcheck result names, or -1. */
static long check_pid(const struct sk_call_result *r)
{
	long pid = -1;

	if (r->ok || !r->code || strcmp(r->code, "action_failed") != 0 ||
	    !r->message ||
	    sscanf(r->message, "check in process %ld", &pid) != 1)
		return -1;
	return pid;
}

/* The text of root/rel, or NULL. */
static char *read_out(const char *rel)
{
	char *p = tu_path(root, rel);
	char *s = tu_read_file(p, NULL);

	free(p);
	return s;
}

/* --- results -------------------------------------------------------- */

static void test_ok(void)
{
	struct sk_call_result res;

	run("ok", SK_PHASE_EXECUTE, &res);
	CU_ASSERT_TRUE(res.ok);
	CU_ASSERT_PTR_NULL(res.code);
	CU_ASSERT_PTR_NULL(res.message);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res.output);
	CU_ASSERT_STRING_EQUAL(res.output, "ok\n");
	CU_ASSERT(res.duration_ms >= 0 && res.duration_ms < 10000);
	sk_call_result_release(&res);
	/* No check function: the check passes. */
	expect_ok("ok", SK_PHASE_CHECK);
}

static void test_fail(void)
{
	expect_fail("fail", SK_PHASE_EXECUTE, "action_failed",
		    "fixture failure: boom");
	expect_fail("fail-default", SK_PHASE_EXECUTE, "action_failed",
		    "fixture failure: no message");
	expect_ok("fail", SK_PHASE_CHECK);
	/* The check of a wrong parameter type fails with the host's words. */
	expect_fail("fail-badmsg", SK_PHASE_CHECK, "action_failed",
		    "parameter 'message': expected a string, got an integer");
}

static void test_crash(void)
{
	struct sk_call_result res;

	run("crash", SK_PHASE_EXECUTE, &res);
	CU_ASSERT_FALSE(res.ok);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res.code);
	CU_ASSERT_STRING_EQUAL(res.code, "plugin_crashed");
	CU_ASSERT_PTR_NOT_NULL_FATAL(res.message);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.message, "Segmentation fault"));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.message, "'crash'"));
	CU_ASSERT_STRING_EQUAL(res.message,
			       "plugin 'fixture' crashed executing action 'crash': Segmentation fault (signal 11)");
	sk_call_result_release(&res);
	/* The installer (this process) lives on and can run more. */
	expect_ok("ok", SK_PHASE_EXECUTE);
}

static void test_crash_in_check(void)
{
	expect_fail("crashcheck", SK_PHASE_CHECK, "plugin_crashed",
		    "plugin 'fixture' crashed checking action 'crashcheck': Segmentation fault (signal 11)");
	/* Its execute is fixture.ok's. */
	expect_ok("crashcheck", SK_PHASE_EXECUTE);
}

static void test_checkfail(void)
{
	expect_fail("checkfail", SK_PHASE_CHECK, "action_failed",
		    "fixture check failed: not today");
	expect_ok("checkfail", SK_PHASE_EXECUTE);
}

static void test_rollback(void)
{
	char *got, *p;

	expect_fail("rb", SK_PHASE_EXECUTE, "action_failed",
		    "fixture failure before rollback");
	expect_ok("rb", SK_PHASE_ROLLBACK);
	got = read_out("out/rb.txt");
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, "rolled back\n");
	free(got);
	expect_fail("rb-fail", SK_PHASE_ROLLBACK, "action_failed",
		    "fixture rollback failure");
	p = tu_path(root, "out/rb-fail.txt");
	CU_ASSERT_FALSE(tu_exists(p));
	free(p);
	/* A type without rollback: nothing to undo, nothing fails. */
	expect_ok("ok", SK_PHASE_ROLLBACK);
}

/* --- timeouts ------------------------------------------------------- */

/*
 * Checks run in one child, in order, each with its own result; a check
 * that crashes fails alone, and a new child goes on with the next.
 */
static void test_many_checks(void)
{
	static const char *const ids[] = {"pid1", "checkfail", "pid2",
					  "crashcheck", "pid3"};
	struct sk_call_result res[5];
	long p1, p2, p3;

	run_many(ids, 5, 30, res);
	p1 = check_pid(&res[0]);
	p2 = check_pid(&res[2]);
	p3 = check_pid(&res[4]);
	CU_ASSERT(p1 > 0);
	CU_ASSERT_EQUAL(p1, p2);
	CU_ASSERT(p3 > 0 && p3 != p1);
	CU_ASSERT_FALSE(res[1].ok);
	CU_ASSERT_STRING_EQUAL(res[1].code, "action_failed");
	CU_ASSERT_STRING_EQUAL(res[1].message,
			       "fixture check failed: not today");
	CU_ASSERT_FALSE(res[3].ok);
	CU_ASSERT_STRING_EQUAL(res[3].code, "plugin_crashed");
	CU_ASSERT_STRING_EQUAL(
		res[3].message,
		"plugin 'fixture' crashed checking action 'crashcheck': Segmentation fault (signal 11)");
	for (size_t k = 0; k < 5; k++)
		sk_call_result_release(&res[k]);
}

/* A check that runs out of time fails alone: the next one runs in a new
 * child, with its own full time. */
static void test_many_checks_timeout(void)
{
	static const char *const ids[] = {"pid1", "slow", "pid2"};
	struct sk_call_result res[3];
	long p1, p2;

	run_many(ids, 3, 1, res);
	p1 = check_pid(&res[0]);
	p2 = check_pid(&res[2]);
	CU_ASSERT(p1 > 0 && p2 > 0 && p1 != p2);
	CU_ASSERT_FALSE(res[1].ok);
	CU_ASSERT_STRING_EQUAL(res[1].code, "timeout");
	CU_ASSERT_STRING_EQUAL(
		res[1].message,
		"plugin 'fixture' timed out after 1 s checking action 'slow'");
	CU_ASSERT(res[1].duration_ms >= 1000);
	for (size_t k = 0; k < 3; k++)
		sk_call_result_release(&res[k]);
}

static void test_hang(void)
{
	struct sk_call_result res;
	long long t0 = sk_now_ms(), took;

	run_in(&sup, "hang", SK_PHASE_EXECUTE, 1, &res);
	took = sk_now_ms() - t0;
	CU_ASSERT_FALSE(res.ok);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res.code);
	CU_ASSERT_STRING_EQUAL(res.code, "timeout");
	CU_ASSERT_STRING_EQUAL(res.message,
			       "plugin 'fixture' timed out after 1 s executing action 'hang'");
	/* SIGTERM ends it at once. */
	CU_ASSERT(took >= 1000 && took < 4000);
	CU_ASSERT(res.duration_ms >= 1000 && res.duration_ms < 4000);
	sk_call_result_release(&res);
}

/* A plugin that ignores SIGTERM gets SIGKILL after the grace period. */
static void test_hang_ignoring_sigterm(void)
{
	struct sk_call_result res;
	long long t0 = sk_now_ms(), took;

	run_in(&sup, "hang-term", SK_PHASE_EXECUTE, 1, &res);
	took = sk_now_ms() - t0;
	CU_ASSERT_FALSE(res.ok);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res.code);
	CU_ASSERT_STRING_EQUAL(res.code, "timeout");
	CU_ASSERT_STRING_EQUAL(res.message,
			       "plugin 'fixture' timed out after 1 s executing action 'hang-term'");
	CU_ASSERT(took >= 1000 && took < 8000);
	CU_ASSERT(res.duration_ms < 8000);
	sk_call_result_release(&res);
}

/* --- parameters ----------------------------------------------------- */

static void test_params_good(void)
{
	char *report;

	expect_ok("p-good", SK_PHASE_CHECK);
	expect_ok("p-good", SK_PHASE_EXECUTE);
	report = read_out("out/p-good.txt");
	CU_ASSERT_PTR_NOT_NULL_FATAL(report);
	CU_ASSERT_STRING_EQUAL(report,
			       "string=s p\n"
			       "int=-42\n"
			       "bool=true\n"
			       "strings=2\n"
			       "strings[0]=a\n"
			       "strings[1]=b\n"
			       "strings.terminated=yes\n"
			       "strmap=1\n"
			       "strmap[k]=v\n"
			       "json={\"x\":[1,2]}\n");
	free(report);
}

/* Optional parameters that are absent are reported as such, not failed. */
static void test_params_absent(void)
{
	char *report;

	expect_ok("p-absent", SK_PHASE_EXECUTE);
	report = read_out("out/p-absent.txt");
	CU_ASSERT_PTR_NOT_NULL_FATAL(report);
	CU_ASSERT_STRING_EQUAL(report,
			       "string: absent\n"
			       "int: absent\n"
			       "bool: absent\n"
			       "strings: absent\n"
			       "strmap: absent\n"
			       "json: absent\n");
	free(report);
}

static void test_params_wrong_types(void)
{
	static const struct {
		const char *id, *msg;
	} cases[] = {
		{ "p-string", "parameter 'string': expected a string, got an integer" },
		{ "p-int", "parameter 'int': expected an integer, got a string" },
		{ "p-int-frac", "parameter 'int': expected an integer, got a number with a fraction" },
		{ "p-int-range", "parameter 'int': integer out of range" },
		{ "p-bool", "parameter 'bool': expected a boolean, got an integer" },
		{ "p-bool-str", "parameter 'bool': expected a boolean, got a string" },
		{ "p-strings", "parameter 'strings': expected an array of strings, got a string" },
		{ "p-strings-item", "parameter 'strings'[1]: expected a string without NUL characters, got null" },
		{ "p-strmap", "parameter 'strmap.k': expected a string without NUL characters, got an integer" },
		{ "p-json", "parameter 'json': expected an object, got an array" },
		{ "p-nul", "parameter 'string': string contains a NUL character" },
		/* Two wrong: the first recorded is the action's error. */
		{ "p-multi", "parameter 'string': expected a string, got an object" },
	};

	/* The runner adds "action 'ID'": the host's words do not. */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_fail(cases[i].id, SK_PHASE_EXECUTE, "action_failed",
			    cases[i].msg);
}

/* The getter said "invalid" to the plugin, and it wrote that down. */
static void test_params_wrong_type_report(void)
{
	char *report = read_out("out/p-string.txt");

	CU_ASSERT_PTR_NOT_NULL_FATAL(report);
	CU_ASSERT_PTR_NOT_NULL(strstr(report, "string: invalid\n"));
	free(report);
}

static void test_params_missing(void)
{
	expect_fail("p-missing", SK_PHASE_CHECK, "action_failed",
		    "missing required parameter 'path'");
	expect_fail("write-nocontent", SK_PHASE_CHECK, "action_failed",
		    "missing required parameter 'content'");
}

/* --- payloads ------------------------------------------------------- */

static void test_payload(void)
{
	char *p = tu_path(root, "out/payload.bin");
	size_t len = 0;
	char *got;

	expect_ok("payload", SK_PHASE_CHECK);
	expect_ok("payload", SK_PHASE_EXECUTE);
	got = tu_read_file(p, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL(len, DATA_LEN);
	CU_ASSERT(len == DATA_LEN && memcmp(got, data, DATA_LEN) == 0);
	free(got);
	free(p);
}

/* The SUP changes after verification: the payload read fails with the
 * integrity error and the plugin commits nothing. */
static void test_payload_integrity(void)
{
	char *path = tu_path(tmp, "changed.sup");
	char *target = tu_path(root, "out/changed.bin");
	char *want;
	char hex[SK_SHA256_HEX_LEN + 1], bad[SK_SHA256_HEX_LEN + 1];
	struct sk_call_result res;
	struct sk_supfile f;
	struct sk_sha256 *h;
	size_t flen;
	char *all;
	off_t at = -1;
	unsigned char byte;
	int fd;

	CU_ASSERT_EQUAL_FATAL(open_sup(&f, "changed.sup",
		"{\"id\":\"changed\",\"type\":\"fixture.payload\","
		"\"params\":{\"path\":\"/out/changed.bin\"},"
		"\"payloads\":[\"data.bin\"]}"), 0);
	all = tu_read_file(path, &flen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(all);
	for (size_t i = 0; i + 4096 <= flen; i++) {
		if (memcmp(all + i, data, 4096) == 0) {
			at = (off_t)i;
			break;
		}
	}
	free(all);
	CU_ASSERT_FATAL(at > 0);
	byte = (unsigned char)(data[DATA_LEN - 1] ^ 0xff);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(pwrite(fd, &byte, 1, at + DATA_LEN - 1), 1);
	close(fd);

	h = sk_sha256_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	sk_sha256_update(h, data, DATA_LEN - 1);
	sk_sha256_update(h, &byte, 1);
	sk_sha256_final_hex(h, bad);
	sk_sha256_reset(h);
	sk_sha256_update(h, data, DATA_LEN);
	sk_sha256_final_hex(h, hex);
	sk_sha256_free(h);
	want = sk_asprintf("payload 'data.bin': sha256 mismatch: the manifest says %s, the data hashes to %s",
			   hex, bad);

	run_in(&f, "changed", SK_PHASE_EXECUTE, 30, &res);
	CU_ASSERT_FALSE(res.ok);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res.code);
	CU_ASSERT_STRING_EQUAL(res.code, "payload_integrity");
	CU_ASSERT_STRING_EQUAL(res.message, want);
	CU_ASSERT_FALSE(tu_exists(target));
	sk_call_result_release(&res);
	sk_supfile_close(&f);
	free(want);
	free(target);
	free(path);
}

/* --- paths and configuration ---------------------------------------- */

static void test_resolve_path_dotdot(void)
{
	char *escape = tu_path(tmp, "escape.txt");
	char *inside = tu_path(root, "escape.txt");

	expect_fail("dotdot", SK_PHASE_EXECUTE, "action_failed",
		    "path '/out/../escape.txt': '..' components are not allowed");
	expect_fail("relative", SK_PHASE_EXECUTE, "action_failed",
		    "path 'out/rel.txt': not an absolute path");
	CU_ASSERT_FALSE(tu_exists(escape));
	CU_ASSERT_FALSE(tu_exists(inside));
	free(escape);
	free(inside);
}

/* A link inside the root (/link -> /out) leads to root/out. */
static void test_resolve_path_link(void)
{
	char *got;

	expect_ok("write-link", SK_PHASE_EXECUTE);
	got = read_out("out/w.txt");
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, "via a link");
	free(got);
}

static void test_config(void)
{
	char *got;

	expect_ok("config", SK_PHASE_EXECUTE);
	got = read_out("out/config.txt");
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, "hello there\n");
	free(got);
	expect_fail("config-missing", SK_PHASE_EXECUTE, "action_failed",
		    "fixture config key 'absent' is not set");
	{
		char *p = tu_path(root, "out/nokey.txt");

		CU_ASSERT_FALSE(tu_exists(p));
		free(p);
	}
}

/* --- several failures, and text for the terminal --------------------- */

/* A check that records two failures reports both, the plugin's own and
 * the host's parameter errors alike; execute keeps the first as the
 * error. The message keeps the plugin's text as it was (confirmation.json
 * stores it JSON-escaped). */
static void test_check_reports_all(void)
{
	expect_fail("n-fails", SK_PHASE_CHECK, "action_failed",
		    "first: A; second: B\x1b[1m");
	expect_fail("n-fails-type", SK_PHASE_CHECK, "action_failed",
		    "parameter 'a': expected a string, got an integer; "
		    "parameter 'b': expected a string, got an array");
	expect_fail("n-fails", SK_PHASE_EXECUTE, "action_failed", "first: A");
}

/* Many failures: the first 32, then a mark that there were more. */
static void test_check_reports_many(void)
{
	struct sk_call_result res;
	char *want = strdup("problem 1"), *next;

	CU_ASSERT_PTR_NOT_NULL_FATAL(want);
	for (int i = 2; i <= 32; i++) {
		next = sk_asprintf("%s; problem %d", want, i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(next);
		free(want);
		want = next;
	}
	next = sk_asprintf("%s; and more", want);
	CU_ASSERT_PTR_NOT_NULL_FATAL(next);
	free(want);
	want = next;
	run("n-fails-40", SK_PHASE_CHECK, &res);
	CU_ASSERT_FALSE(res.ok);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res.message);
	CU_ASSERT_STRING_EQUAL(res.message, want);
	sk_call_result_release(&res);
	free(want);
}

/* Log lines and later failures reach the terminal with every control
 * character escaped, UTF-8 text kept; the output tail is the original. */
static void test_printed_text_escaped(void)
{
	static const char raw[] =
		"\x1b[2J\x1b]0;owned\x07 \xc2\x9b" "31m caf\xc3\xa9 \\ \t end";
	static const char shown[] =
		"said: \\x1b[2J\\x1b]0;owned\\x07 \\u009b31m caf\xc3\xa9 \\ \\t end";
	struct sk_call_result res;
	char *printed, *want;

	run_loud("n-log", SK_PHASE_EXECUTE, &res, &printed);
	CU_ASSERT_TRUE(res.ok);
	want = sk_asprintf("sup: n-log: noisy: info: %s\n"
			   "sup: n-log: noisy: warning: %s\n", shown, shown);
	CU_ASSERT_PTR_NOT_NULL_FATAL(want);
	if (strcmp(printed, want) != 0)
		fprintf(stderr, "\nprinted:\n%s", printed);
	CU_ASSERT_STRING_EQUAL(printed, want);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res.output);
	CU_ASSERT_STRING_EQUAL(res.output, raw);
	free(want);
	free(printed);
	sk_call_result_release(&res);

	run_loud("n-fails", SK_PHASE_EXECUTE, &res, &printed);
	CU_ASSERT_FALSE(res.ok);
	CU_ASSERT_STRING_EQUAL(printed,
			       "sup: n-fails: noisy: error: second: B\\x1b[1m\n");
	CU_ASSERT_STRING_EQUAL(res.message, "first: A");
	free(printed);
	sk_call_result_release(&res);
}

int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
		{ "fixture.ok", test_ok },
		{ "fixture.fail", test_fail },
		{ "fixture.crash", test_crash },
		{ "fixture.crashcheck", test_crash_in_check },
		{ "fixture.checkfail", test_checkfail },
		{ "fixture.rollback", test_rollback },
		{ "checks in one child", test_many_checks },
		{ "checks in one child: a timeout", test_many_checks_timeout },
		{ "fixture.hang: SIGTERM", test_hang },
		{ "fixture.hang: SIGKILL", test_hang_ignoring_sigterm },
		{ "parameters of every kind", test_params_good },
		{ "absent optional parameters", test_params_absent },
		{ "parameters of the wrong type", test_params_wrong_types },
		{ "wrong type seen by the plugin",
		  test_params_wrong_type_report },
		{ "missing required parameters", test_params_missing },
		{ "payload streamed to a file", test_payload },
		{ "payload changed after verification",
		  test_payload_integrity },
		{ "resolve_path refuses '..'", test_resolve_path_dotdot },
		{ "resolve_path follows links in the root",
		  test_resolve_path_link },
		{ "config_get", test_config },
		{ "a check reports every failure", test_check_reports_all },
		{ "a check with many failures", test_check_reports_many },
		{ "printed plugin text is escaped",
		  test_printed_text_escaped },
	};
	CU_pSuite suite;

	if (tu_init())
		return tu_abort();
	suite = CU_add_suite("host", suite_init, suite_clean);
	if (!suite)
		return tu_abort();
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (!CU_add_test(suite, tests[i].name, tests[i].fn))
			return tu_abort();
	return tu_run();
}
