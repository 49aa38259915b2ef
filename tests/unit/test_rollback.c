/* SPDX-License-Identifier: MIT */
/* test_rollback.c - installed.json and the anti-rollback verdict. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "testutil.h"
#include "verify/rollback.h"

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

/* A fresh state directory tmp/name. */
static char *state_dir(const char *name)
{
	char *dir = tu_path(tmp, name);

	if (mkdir(dir, 0755) != 0)
		abort();
	return dir;
}

static char *installed_path(const char *dir)
{
	return tu_path(dir, SK_INSTALLED_NAME);
}

/* The functions under test work in a descriptor of the state directory
 * (the installer's walk from the root opens it); these open dir for
 * them, or give -errno when it cannot be opened. */
static int open_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int load(struct sk_installed *s, const char *dir, const char **why)
{
	int fd = open_dir(dir), r;

	if (fd < 0) {
		memset(s, 0, sizeof(*s));
		return fd;
	}
	r = sk_installed_load(s, fd, why);
	close(fd);
	return r;
}

static int record(const char *dir, const char *name, const char *version,
		  unsigned long long sv, const char **why)
{
	int fd = open_dir(dir), r;

	if (fd < 0)
		return fd;
	r = sk_installed_record(fd, name, version, sv, why);
	close(fd);
	return r;
}

static int raise_floor(const char *dir, long long t, const char **why)
{
	int fd = open_dir(dir), r;

	if (fd < 0)
		return fd;
	r = sk_installed_raise_floor(fd, t, why);
	close(fd);
	return r;
}

/* --- loading --- */

static void test_missing(void)
{
	char *dir = state_dir("missing");
	struct sk_installed s;
	const char *why = NULL;

	CU_ASSERT_EQUAL(load(&s, dir, &why), 0);
	CU_ASSERT_EQUAL(s.n, 0);
	CU_ASSERT_PTR_NULL(s.pkgs);
	CU_ASSERT_EQUAL(s.time_floor, 0);
	CU_ASSERT_PTR_NULL(sk_installed_find(&s, "edge-agent"));
	CU_ASSERT_EQUAL(sk_rollback_check(&s, "edge-agent", "1.0", 0),
			SK_RB_NEW);
	sk_installed_release(&s);
	/* Loading creates nothing. (No state directory at all is the
	 * caller's: unit.trust.) */
	CU_ASSERT_EQUAL(tu_count_entries(dir), 0);
	free(dir);
}

static void test_load_sample(void)
{
	char *dir = state_dir("sample"), *path = installed_path(dir);
	const struct sk_installed_pkg *p;
	struct sk_installed s;
	const char *why = NULL;

	CU_ASSERT_EQUAL_FATAL(
		tu_write_str(path,
			     "{\"format\": 1, \"time_floor\": 1764201600, "
			     "\"packages\": {\"edge-agent\": {\"version\": "
			     "\"2.4.1\", \"security_version\": 3, "
			     "\"installed_at\": \"2026-12-04T17:00:00Z\"}, "
			     "\"fw\": {\"version\": \"1:0.9~rc1-2\", "
			     "\"security_version\": 0, \"installed_at\": "
			     "\"2026-12-01T08:00:00Z\", \"later\": [1]}}, "
			     "\"unknown\": {\"a\": null}}\n"),
		0);
	CU_ASSERT_EQUAL_FATAL(load(&s, dir, &why), 0);
	CU_ASSERT_EQUAL(s.time_floor, 1764201600LL);
	CU_ASSERT_EQUAL_FATAL(s.n, 2);
	CU_ASSERT_STRING_EQUAL(s.pkgs[0].name, "edge-agent");
	CU_ASSERT_STRING_EQUAL(s.pkgs[1].name, "fw");
	p = sk_installed_find(&s, "edge-agent");
	CU_ASSERT_PTR_EQUAL_FATAL(p, &s.pkgs[0]);
	CU_ASSERT_STRING_EQUAL(p->version, "2.4.1");
	CU_ASSERT_EQUAL(p->security_version, 3);
	CU_ASSERT_STRING_EQUAL(p->installed_at, "2026-12-04T17:00:00Z");
	p = sk_installed_find(&s, "fw");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_STRING_EQUAL(p->version, "1:0.9~rc1-2");
	CU_ASSERT_EQUAL(p->security_version, 0);
	CU_ASSERT_PTR_NULL(sk_installed_find(&s, "edge"));
	CU_ASSERT_PTR_NULL(sk_installed_find(&s, "edge-agent "));
	sk_installed_release(&s);
	CU_ASSERT_EQUAL(s.n, 0);
	CU_ASSERT_PTR_NULL(s.pkgs);
	free(dir);
	free(path);
}

/* --- verdicts --- */

static void test_check(void)
{
	struct sk_installed_pkg pkgs[] = {
		{ "edge-agent", "2.4.1", "2026-12-04T17:00:00Z", 3 },
		{ "fw", "1:1.0-1", "2026-12-04T17:00:00Z", 0 },
	};
	struct sk_installed s = { pkgs, 2, 0 };
	static const struct {
		const char *name, *version;
		unsigned long long sv;
		enum sk_rollback want;
	} cases[] = {
		{ "other", "0.1", 0, SK_RB_NEW },
		{ "Edge-agent", "0.1", 0, SK_RB_NEW },
		{ "edge-agent", "2.4.2", 3, SK_RB_UPGRADE },
		{ "edge-agent", "2.4.10", 4, SK_RB_UPGRADE },
		{ "edge-agent", "1:0.1", 3, SK_RB_UPGRADE },
		{ "edge-agent", "2.4.1", 3, SK_RB_SAME },
		{ "edge-agent", "2.4.01", 3, SK_RB_SAME },
		{ "edge-agent", "0:2.4.1-0", 9, SK_RB_SAME },
		{ "edge-agent", "2.4.1~rc1", 3, SK_RB_DOWNGRADE },
		{ "edge-agent", "2.4.0", 99, SK_RB_DOWNGRADE },
		/* A lower security_version wins over every other verdict. */
		{ "edge-agent", "2.4.0", 2, SK_RB_SECURITY_DOWNGRADE },
		{ "edge-agent", "2.4.1", 2, SK_RB_SECURITY_DOWNGRADE },
		{ "edge-agent", "9.0", 0, SK_RB_SECURITY_DOWNGRADE },
		{ "fw", "1:1.0-2", 0, SK_RB_UPGRADE },
		{ "fw", "2.0", 0, SK_RB_DOWNGRADE },
		{ "fw", "1:1.0", 0, SK_RB_DOWNGRADE },
		{ "fw", "1:1.0-1", 0, SK_RB_SAME },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum sk_rollback got = sk_rollback_check(
			&s, cases[i].name, cases[i].version, cases[i].sv);

		if (got != cases[i].want)
			fprintf(stderr, "\ncase %zu: %s, want %s", i,
				sk_rollback_str(got),
				sk_rollback_str(cases[i].want));
		CU_ASSERT_EQUAL(got, cases[i].want);
	}
	CU_ASSERT_STRING_EQUAL(sk_rollback_str(SK_RB_SECURITY_DOWNGRADE),
			       "security downgrade");
	CU_ASSERT_STRING_EQUAL(sk_rollback_str(SK_RB_NEW), "new");
}

/* --- recording --- */

static void test_record_round_trip(void)
{
	char *dir = state_dir("record"), *path = installed_path(dir);
	const struct sk_installed_pkg *p;
	time_t before = time(NULL), at;
	struct sk_installed s;
	const char *why = NULL;
	struct stat st;
	struct tm tm;
	char *end;

	CU_ASSERT_EQUAL(record(dir, "edge-agent", "2.4.1", 3, &why), 0);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0644);
	/* Atomic: no temporary file left beside it. */
	CU_ASSERT_EQUAL(tu_count_entries(dir), 1);

	CU_ASSERT_EQUAL_FATAL(load(&s, dir, &why), 0);
	CU_ASSERT_EQUAL(s.time_floor, 0);
	CU_ASSERT_EQUAL_FATAL(s.n, 1);
	p = &s.pkgs[0];
	CU_ASSERT_STRING_EQUAL(p->name, "edge-agent");
	CU_ASSERT_STRING_EQUAL(p->version, "2.4.1");
	CU_ASSERT_EQUAL(p->security_version, 3);
	memset(&tm, 0, sizeof(tm));
	end = strptime(p->installed_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
	CU_ASSERT_FATAL(end != NULL);
	CU_ASSERT_EQUAL(*end, '\0');
	at = timegm(&tm);
	CU_ASSERT(at >= before && at <= time(NULL));
	CU_ASSERT_EQUAL(sk_rollback_check(&s, "edge-agent", "2.4.1", 3),
			SK_RB_SAME);
	sk_installed_release(&s);

	/* The hostile-looking but valid: printable ASCII of any kind. */
	CU_ASSERT_EQUAL(record(dir, "a \"q\" \\ /b", "2.4.1 beta", 0, &why), 0);
	CU_ASSERT_EQUAL_FATAL(load(&s, dir, &why), 0);
	CU_ASSERT_EQUAL_FATAL(s.n, 2);
	p = sk_installed_find(&s, "a \"q\" \\ /b");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_STRING_EQUAL(p->version, "2.4.1 beta");
	sk_installed_release(&s);
	CU_ASSERT_EQUAL(tu_count_entries(dir), 1);
	free(dir);
	free(path);
}

static void test_record_keeps_others(void)
{
	char *dir = state_dir("others"), *path = installed_path(dir);
	const struct sk_installed_pkg *p;
	struct sk_installed s;
	const char *why = NULL;
	char *text;

	CU_ASSERT_EQUAL(record(dir, "a", "1.0", 1, &why), 0);
	CU_ASSERT_EQUAL(record(dir, "b", "2.0", 2, &why), 0);
	CU_ASSERT_EQUAL(raise_floor(dir, 1764201600LL, &why), 0);
	CU_ASSERT_EQUAL(record(dir, "c", "3.0", 0, &why), 0);
	CU_ASSERT_EQUAL(record(dir, "b", "2.1", 2, &why), 0);
	CU_ASSERT_EQUAL_FATAL(load(&s, dir, &why), 0);
	CU_ASSERT_EQUAL(s.time_floor, 1764201600LL);
	CU_ASSERT_EQUAL_FATAL(s.n, 3);
	/* In first-recorded order. */
	CU_ASSERT_STRING_EQUAL(s.pkgs[0].name, "a");
	CU_ASSERT_STRING_EQUAL(s.pkgs[1].name, "b");
	CU_ASSERT_STRING_EQUAL(s.pkgs[2].name, "c");
	p = sk_installed_find(&s, "a");
	CU_ASSERT_STRING_EQUAL(p->version, "1.0");
	CU_ASSERT_EQUAL(p->security_version, 1);
	p = sk_installed_find(&s, "b");
	CU_ASSERT_STRING_EQUAL(p->version, "2.1");
	CU_ASSERT_EQUAL(p->security_version, 2);
	p = sk_installed_find(&s, "c");
	CU_ASSERT_STRING_EQUAL(p->version, "3.0");
	CU_ASSERT_EQUAL(p->security_version, 0);
	sk_installed_release(&s);

	/* Members a newer installer added are kept on rewrite. */
	CU_ASSERT_EQUAL_FATAL(
		tu_write_str(path,
			     "{\"format\":1,\"time_floor\":5,\"extra\":[1,2],"
			     "\"packages\":{\"a\":{\"version\":\"1\","
			     "\"security_version\":0,\"installed_at\":\"x\","
			     "\"slot\":\"B\"}}}"),
		0);
	CU_ASSERT_EQUAL(record(dir, "a", "2", 0, &why), 0);
	text = tu_read_file(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"extra\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"slot\":\"B\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"version\":\"2\""));
	free(text);
	CU_ASSERT_EQUAL(tu_count_entries(dir), 1);
	free(dir);
	free(path);
}

static void test_record_security_version(void)
{
	char *dir = state_dir("sv");
	const struct sk_installed_pkg *p;
	struct sk_installed s;
	const char *why = NULL;

	CU_ASSERT_EQUAL(record(dir, "x", "1.0", 5, &why), 0);
	/* An allowed downgrade with a lower security_version: the version
	 * is what is installed now, the security_version stays. */
	CU_ASSERT_EQUAL(record(dir, "x", "0.9", 2, &why), 0);
	CU_ASSERT_EQUAL_FATAL(load(&s, dir, &why), 0);
	p = sk_installed_find(&s, "x");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_STRING_EQUAL(p->version, "0.9");
	CU_ASSERT_EQUAL(p->security_version, 5);
	CU_ASSERT_EQUAL(sk_rollback_check(&s, "x", "1.0", 4),
			SK_RB_SECURITY_DOWNGRADE);
	CU_ASSERT_EQUAL(sk_rollback_check(&s, "x", "1.0", 5), SK_RB_UPGRADE);
	sk_installed_release(&s);

	CU_ASSERT_EQUAL(record(dir, "x", "1.1", 7, &why), 0);
	CU_ASSERT_EQUAL_FATAL(load(&s, dir, &why), 0);
	CU_ASSERT_EQUAL(sk_installed_find(&s, "x")->security_version, 7);
	sk_installed_release(&s);

	/* The whole unsigned 64-bit range round-trips. */
	CU_ASSERT_EQUAL(record(dir, "x", "1.2", ULLONG_MAX, &why), 0);
	CU_ASSERT_EQUAL_FATAL(load(&s, dir, &why), 0);
	CU_ASSERT_EQUAL(sk_installed_find(&s, "x")->security_version,
			ULLONG_MAX);
	CU_ASSERT_EQUAL(sk_rollback_check(&s, "x", "9", ULLONG_MAX - 1),
			SK_RB_SECURITY_DOWNGRADE);
	sk_installed_release(&s);
	free(dir);
}

static void test_record_refuses(void)
{
	char *dir = state_dir("refuse");
	char long_name[257];
	const char *why = NULL;

	memset(long_name, 'n', 256);
	long_name[256] = '\0';
	CU_ASSERT_EQUAL(record(dir, "", "1", 0, &why), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(why);
	why = NULL;
	CU_ASSERT_EQUAL(record(dir, long_name, "1", 0, &why), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(why);
	CU_ASSERT_EQUAL(record(dir, "a\tb", "1", 0, &why), -EINVAL);
	CU_ASSERT_EQUAL(record(dir, "caf\xc3\xa9", "1", 0, &why), -EINVAL);
	CU_ASSERT_EQUAL(record(dir, "x", "", 0, &why), -EINVAL);
	CU_ASSERT_EQUAL(record(dir, "x", "1\n", 0, &why), -EINVAL);
	CU_ASSERT_EQUAL(record(dir, "x", long_name, 0, &why), -EINVAL);
	/* 255 bytes is fine. */
	long_name[255] = '\0';
	CU_ASSERT_EQUAL(record(dir, long_name, long_name, 0, &why), 0);
	CU_ASSERT_EQUAL(tu_count_entries(dir), 1);
	free(dir);
}

/* The largest name of package i: "%011d" and 244 backslashes. */
static void big_name(char name[256], int i)
{
	snprintf(name, 12, "%011d", i);
	memset(name + 11, '\\', 244);
	name[255] = '\0';
}

/* The record holds at most 2048 packages, and the fullest file of the
 * longest names and versions (every byte escaped in JSON) still reads
 * back after the installer rewrites it. */
static void test_record_full(void)
{
	char *dir = state_dir("full"), *path = installed_path(dir), *text;
	size_t cap = 2048 * 1200 + 100, used = 0, k;
	char name[256], version[256], esc[600];
	struct sk_installed s;
	const char *why = NULL;

	memset(version, '"', 255);
	version[255] = '\0';
	text = malloc(cap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	used += (size_t)snprintf(text, cap, "{\"format\":1,\"time_floor\":0,"
						 "\"packages\":{");
	for (int i = 0; i < 2048; i++) {
		big_name(name, i);
		k = (size_t)snprintf(esc, sizeof(esc), "%.11s", name);
		for (int j = 11; j < 255; j++) {
			esc[k++] = '\\';
			esc[k++] = '\\';
		}
		esc[k] = '\0';
		used += (size_t)snprintf(text + used, cap - used,
					 "%s\"%s\":{\"version\":\"", i ? "," : "",
					 esc);
		for (int j = 0; j < 255; j++) {
			text[used++] = '\\';
			text[used++] = '"';
		}
		used += (size_t)snprintf(text + used, cap - used,
					 "\",\"security_version\":1,"
					 "\"installed_at\":"
					 "\"2026-12-04T17:00:00Z\"}");
	}
	used += (size_t)snprintf(text + used, cap - used, "}}");
	CU_ASSERT_FATAL(used < cap);
	CU_ASSERT_EQUAL_FATAL(tu_write_file(path, text, used), 0);
	free(text);

	CU_ASSERT_EQUAL_FATAL(load(&s, dir, &why), 0);
	CU_ASSERT_EQUAL(s.n, 2048);
	big_name(name, 2047);
	CU_ASSERT_STRING_EQUAL(s.pkgs[2047].name, name);
	CU_ASSERT_STRING_EQUAL(s.pkgs[5].version, version);
	sk_installed_release(&s);

	/* Full: a new name is refused, a known one is updated. */
	why = NULL;
	CU_ASSERT_EQUAL(record(dir, "one-more", "1", 0, &why), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(why);
	CU_ASSERT_EQUAL(record(dir, name, version, 2, &why), 0);
	CU_ASSERT_EQUAL(raise_floor(dir, 1, &why), 0);
	CU_ASSERT_EQUAL_FATAL(load(&s, dir, &why), 0);
	CU_ASSERT_EQUAL(s.n, 2048);
	CU_ASSERT_EQUAL(s.time_floor, 1);
	CU_ASSERT_EQUAL(sk_installed_find(&s, name)->security_version, 2);
	sk_installed_release(&s);
	CU_ASSERT_EQUAL(tu_count_entries(dir), 1);
	free(dir);
	free(path);
}

/* --- damaged files --- */

#define PKG(v, sv, at)                                                       \
	"{\"format\":1,\"time_floor\":0,\"packages\":{\"p\":{\"version\":" v \
	",\"security_version\":" sv ",\"installed_at\":" at "}}}"
#define GOOD PKG("\"1.0\"", "3", "\"2026-12-04T17:00:00Z\"")

static const char *const damaged[] = {
	"",
	"\n",
	"not json",
	"{",
	"{\"format\":1,\"time_floor\":0,\"packages\":{\"p\":{\"version\":\"1",
	"[]",
	"null",
	"1",
	"\"installed\"",
	"{\"format\":1,\"time_floor\":0,\"packages\":{}} trailing",
	"{\"format\":1,\"time_floor\":0,\"packages\":{}}{}",
	"{\"format\":1,\"time_floor\":0,\"packages\":{},}",
	/* format */
	"{\"time_floor\":0,\"packages\":{}}",
	"{\"format\":2,\"time_floor\":0,\"packages\":{}}",
	"{\"format\":0,\"time_floor\":0,\"packages\":{}}",
	"{\"format\":\"1\",\"time_floor\":0,\"packages\":{}}",
	"{\"format\":1.0,\"time_floor\":0,\"packages\":{}}",
	"{\"format\":true,\"time_floor\":0,\"packages\":{}}",
	"{\"format\":4294967297,\"time_floor\":0,\"packages\":{}}",
	/* time_floor */
	"{\"format\":1,\"packages\":{}}",
	"{\"format\":1,\"time_floor\":-1,\"packages\":{}}",
	"{\"format\":1,\"time_floor\":null,\"packages\":{}}",
	"{\"format\":1,\"time_floor\":\"0\",\"packages\":{}}",
	"{\"format\":1,\"time_floor\":1.5,\"packages\":{}}",
	"{\"format\":1,\"time_floor\":253402300800,\"packages\":{}}",
	"{\"format\":1,\"time_floor\":99999999999999999999999,\"packages\":{}}",
	/* packages */
	"{\"format\":1,\"time_floor\":0}",
	"{\"format\":1,\"time_floor\":0,\"packages\":[]}",
	"{\"format\":1,\"time_floor\":0,\"packages\":null}",
	"{\"format\":1,\"time_floor\":0,\"packages\":{\"p\":\"1.0\"}}",
	"{\"format\":1,\"time_floor\":0,\"packages\":{\"p\":null}}",
	/* package names */
	"{\"format\":1,\"time_floor\":0,\"packages\":{\"\":{\"version\":\"1\","
	"\"security_version\":0,\"installed_at\":\"x\"}}}",
	"{\"format\":1,\"time_floor\":0,\"packages\":{\"a\\u0001\":{\"version\":"
	"\"1\",\"security_version\":0,\"installed_at\":\"x\"}}}",
	"{\"format\":1,\"time_floor\":0,\"packages\":{\"caf\\u00e9\":{\"version\":"
	"\"1\",\"security_version\":0,\"installed_at\":\"x\"}}}",
	"{\"format\":1,\"time_floor\":0,\"packages\":{\"caf\xc3\xa9\":{\"version\":"
	"\"1\",\"security_version\":0,\"installed_at\":\"x\"}}}",
	/* version */
	PKG("5", "3", "\"x\""),
	PKG("1.0", "3", "\"x\""),
	PKG("null", "3", "\"x\""),
	PKG("\"\"", "3", "\"x\""),
	PKG("\"1\\u0000\"", "3", "\"x\""),
	PKG("\"1\\n\"", "3", "\"x\""),
	PKG("\"1\\u00ff\"", "3", "\"x\""),
	"{\"format\":1,\"time_floor\":0,\"packages\":{\"p\":{"
	"\"security_version\":0,\"installed_at\":\"x\"}}}",
	/* security_version */
	PKG("\"1.0\"", "-1", "\"x\""),
	PKG("\"1.0\"", "-9223372036854775808", "\"x\""),
	PKG("\"1.0\"", "1.5", "\"x\""),
	PKG("\"1.0\"", "3.0", "\"x\""),
	PKG("\"1.0\"", "1e3", "\"x\""),
	PKG("\"1.0\"", "\"3\"", "\"x\""),
	PKG("\"1.0\"", "null", "\"x\""),
	PKG("\"1.0\"", "false", "\"x\""),
	"{\"format\":1,\"time_floor\":0,\"packages\":{\"p\":{\"version\":\"1\","
	"\"installed_at\":\"x\"}}}",
	/* installed_at */
	PKG("\"1.0\"", "3", "0"),
	PKG("\"1.0\"", "3", "\"\""),
	PKG("\"1.0\"", "3",
	    "\"2026-12-04T17:00:00Z2026-12-04T17:00:00Z2026-12-04T17:00:00Z"
	    "_____\""),
	"{\"format\":1,\"time_floor\":0,\"packages\":{\"p\":{\"version\":\"1\","
	"\"security_version\":0}}}",
};

/* A damaged file: -EINVAL with a reason, from every entry point, and the
 * file stays as it was. */
static void expect_damaged(const char *dir, const char *path,
			   const void *data, size_t len, const char *label)
{
	struct sk_installed s;
	const char *why = NULL;
	size_t got_len;
	char *got;
	int r;

	r = load(&s, dir, &why);
	if (r != -EINVAL)
		fprintf(stderr, "\n%s: load gives %d", label, r);
	CU_ASSERT_EQUAL(r, -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(why);
	CU_ASSERT(why && strlen(why) > 0);
	CU_ASSERT_EQUAL(s.n, 0);
	CU_ASSERT_PTR_NULL(s.pkgs);
	sk_installed_release(&s);
	why = NULL;
	CU_ASSERT_EQUAL(record(dir, "p", "9", 9, &why), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(why);
	why = NULL;
	CU_ASSERT_EQUAL(raise_floor(dir, 4102444800LL, &why), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(why);
	if (data) {
		got = tu_read_file(path, &got_len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(got);
		CU_ASSERT_EQUAL(got_len, len);
		CU_ASSERT(memcmp(got, data, len) == 0);
		free(got);
	}
}

static void test_damaged(void)
{
	char *dir = state_dir("damaged"), *path = installed_path(dir);
	struct sk_installed s;
	const char *why = NULL;
	size_t good_len = strlen(GOOD);

	/* The well-formed base of the table parses. */
	CU_ASSERT_EQUAL_FATAL(tu_write_str(path, GOOD), 0);
	CU_ASSERT_EQUAL_FATAL(load(&s, dir, &why), 0);
	CU_ASSERT_EQUAL(s.n, 1);
	sk_installed_release(&s);

	for (size_t i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(tu_write_str(path, damaged[i]), 0);
		expect_damaged(dir, path, damaged[i], strlen(damaged[i]),
			       damaged[i]);
	}
	/* Truncated anywhere. */
	for (size_t cut = 0; cut < good_len; cut++) {
		CU_ASSERT_EQUAL_FATAL(tu_write_file(path, GOOD, cut), 0);
		expect_damaged(dir, path, GOOD, cut, "truncated");
	}
	/* A NUL byte inside or after the JSON. */
	{
		char buf[512];

		memcpy(buf, GOOD, good_len);
		buf[good_len] = '\0';
		buf[good_len + 1] = 'x';
		CU_ASSERT_EQUAL_FATAL(tu_write_file(path, buf, good_len + 2), 0);
		expect_damaged(dir, path, buf, good_len + 2, "NUL after");
		CU_ASSERT_EQUAL_FATAL(tu_write_file(path, buf, good_len + 1), 0);
		expect_damaged(dir, path, buf, good_len + 1, "NUL at end");
		memcpy(buf, GOOD, good_len);
		buf[10] = '\0';
		CU_ASSERT_EQUAL_FATAL(tu_write_file(path, buf, good_len), 0);
		expect_damaged(dir, path, buf, good_len, "NUL inside");
	}
	CU_ASSERT_EQUAL(tu_count_entries(dir), 1);
	free(dir);
	free(path);
}

/* Hostile sizes and shapes: refused without crashing or hanging. */
static void test_hostile(void)
{
	char *dir = state_dir("hostile"), *path = installed_path(dir);
	size_t big = 4 * 1024 * 1024 + 1, deep = 100000, used;
	struct sk_installed s;
	const char *why = NULL;
	char *text, *target;
	struct stat st;

	/* Over 4 MiB, even if valid JSON. */
	text = malloc(big);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	memset(text, ' ', big);
	memcpy(text, "{\"format\":1,\"time_floor\":0,\"packages\":{}}", 41);
	CU_ASSERT_EQUAL_FATAL(tu_write_file(path, text, big), 0);
	expect_damaged(dir, path, NULL, 0, "4 MiB + 1");
	/* Exactly 4 MiB is fine. */
	CU_ASSERT_EQUAL_FATAL(tu_write_file(path, text, big - 1), 0);
	CU_ASSERT_EQUAL(load(&s, dir, &why), 0);
	sk_installed_release(&s);
	free(text);

	/* Nested deep inside an unknown member. */
	text = malloc(2 * deep + 100);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	used = (size_t)sprintf(text, "{\"format\":1,\"time_floor\":0,"
				     "\"packages\":{},\"x\":");
	memset(text + used, '[', deep);
	memset(text + used + deep, ']', deep);
	used += 2 * deep;
	text[used++] = '}';
	CU_ASSERT_EQUAL_FATAL(tu_write_file(path, text, used), 0);
	expect_damaged(dir, path, text, used, "deep");
	free(text);

	/* 2049 packages. */
	text = malloc(2049 * 100 + 100);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	used = (size_t)sprintf(text,
			       "{\"format\":1,\"time_floor\":0,\"packages\":{");
	for (int i = 0; i < 2049; i++)
		used += (size_t)sprintf(text + used,
					"%s\"p%d\":{\"version\":\"1\","
					"\"security_version\":0,"
					"\"installed_at\":\"x\"}",
					i ? "," : "", i);
	used += (size_t)sprintf(text + used, "}}");
	CU_ASSERT_EQUAL_FATAL(tu_write_file(path, text, used), 0);
	expect_damaged(dir, path, text, used, "2049 packages");
	free(text);

	/* Not a regular file: a directory, a FIFO (must not block). */
	CU_ASSERT_EQUAL_FATAL(unlink(path), 0);
	CU_ASSERT_EQUAL_FATAL(mkdir(path, 0755), 0);
	expect_damaged(dir, path, NULL, 0, "directory");
	CU_ASSERT_EQUAL_FATAL(rmdir(path), 0);
	CU_ASSERT_EQUAL_FATAL(mkfifo(path, 0644), 0);
	expect_damaged(dir, path, NULL, 0, "fifo");
	CU_ASSERT_EQUAL_FATAL(unlink(path), 0);

	/* A symbolic link, even to a good record: the installer writes the
	 * file by rename, so a link there is planted. It is not followed,
	 * and not written through or replaced. */
	target = tu_path(tmp, "hostile-target.json");
	CU_ASSERT_EQUAL_FATAL(tu_write_str(target, GOOD), 0);
	CU_ASSERT_EQUAL_FATAL(symlink(target, path), 0);
	expect_damaged(dir, path, GOOD, strlen(GOOD), "link");
	CU_ASSERT_EQUAL(load(&s, dir, &why), -EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "installed.json is a symbolic link");
	sk_installed_release(&s);
	CU_ASSERT_EQUAL(lstat(path, &st), 0);
	CU_ASSERT_TRUE(S_ISLNK(st.st_mode));
	CU_ASSERT_EQUAL_FATAL(unlink(path), 0);
	free(target);

	/* A number past 64 bits clamps to the maximum: refuses more. */
	CU_ASSERT_EQUAL_FATAL(
		tu_write_str(path, PKG("\"1.0\"", "99999999999999999999999",
				       "\"x\"")),
		0);
	CU_ASSERT_EQUAL_FATAL(load(&s, dir, &why), 0);
	CU_ASSERT_EQUAL(s.pkgs[0].security_version, ULLONG_MAX);
	CU_ASSERT_EQUAL(sk_rollback_check(&s, "p", "2.0", 1000),
			SK_RB_SECURITY_DOWNGRADE);
	sk_installed_release(&s);
	free(dir);
	free(path);
}

/* Unreadable: an error, not an empty record. */
static void test_unreadable(void)
{
	char *dir = state_dir("unreadable"), *path = installed_path(dir);
	struct sk_installed s;
	const char *why = NULL;
	int r;

	CU_ASSERT_EQUAL_FATAL(tu_write_str(path, GOOD), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(path, 0), 0);
	r = load(&s, dir, &why);
	/* root reads anyway. */
	if (geteuid() != 0) {
		CU_ASSERT_EQUAL(r, -EACCES);
		CU_ASSERT_PTR_NOT_NULL(why);
	} else {
		CU_ASSERT_EQUAL(r, 0);
	}
	sk_installed_release(&s);
	free(dir);
	free(path);
}

/* --- time floor --- */

static void test_floor(void)
{
	char *dir = state_dir("floor"), *path = installed_path(dir);
	struct sk_installed s;
	const char *why = NULL;
	struct stat st1, st2;

	/* Nothing to raise: no file written. */
	CU_ASSERT_EQUAL(raise_floor(dir, 0, &why), 0);
	CU_ASSERT_EQUAL(raise_floor(dir, -5, &why), 0);
	CU_ASSERT_FALSE(tu_exists(path));

	CU_ASSERT_EQUAL(raise_floor(dir, 1764201600LL, &why), 0);
	CU_ASSERT_EQUAL_FATAL(load(&s, dir, &why), 0);
	CU_ASSERT_EQUAL(s.time_floor, 1764201600LL);
	CU_ASSERT_EQUAL(s.n, 0);
	sk_installed_release(&s);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st1), 0);
	CU_ASSERT_EQUAL(st1.st_mode & 07777, 0644);

	/* Never lowered, and not rewritten (same inode). */
	CU_ASSERT_EQUAL(raise_floor(dir, 1764201599LL, &why), 0);
	CU_ASSERT_EQUAL(raise_floor(dir, 1764201600LL, &why), 0);
	CU_ASSERT_EQUAL(raise_floor(dir, 0, &why), 0);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st2), 0);
	CU_ASSERT_EQUAL(st1.st_ino, st2.st_ino);
	CU_ASSERT_EQUAL_FATAL(load(&s, dir, &why), 0);
	CU_ASSERT_EQUAL(s.time_floor, 1764201600LL);
	sk_installed_release(&s);

	/* Raised: packages kept. */
	CU_ASSERT_EQUAL(record(dir, "a", "1", 1, &why), 0);
	CU_ASSERT_EQUAL(raise_floor(dir, 1764201601LL, &why), 0);
	CU_ASSERT_EQUAL(raise_floor(dir, 253402300799LL, &why), 0);
	CU_ASSERT_EQUAL_FATAL(load(&s, dir, &why), 0);
	CU_ASSERT_EQUAL(s.time_floor, 253402300799LL);
	CU_ASSERT_EQUAL(s.n, 1);
	sk_installed_release(&s);

	/* Past year 9999: refused, nothing changes. */
	why = NULL;
	CU_ASSERT_EQUAL(raise_floor(dir, 253402300800LL, &why), -ERANGE);
	CU_ASSERT_PTR_NOT_NULL(why);
	CU_ASSERT_EQUAL(raise_floor(dir, LLONG_MAX, &why), -ERANGE);
	CU_ASSERT_EQUAL_FATAL(load(&s, dir, &why), 0);
	CU_ASSERT_EQUAL(s.time_floor, 253402300799LL);
	sk_installed_release(&s);
	/* Atomic writes: nothing but the record in the directory. */
	CU_ASSERT_EQUAL(tu_count_entries(dir), 1);
	free(dir);
	free(path);
}

static CU_TestInfo rollback_tests[] = {
	{ "missing file", test_missing },
	{ "load sample", test_load_sample },
	{ "verdicts", test_check },
	{ "record round trip", test_record_round_trip },
	{ "record keeps others", test_record_keeps_others },
	{ "security_version never lowered", test_record_security_version },
	{ "record refuses bad input", test_record_refuses },
	{ "record full", test_record_full },
	{ "damaged files", test_damaged },
	{ "hostile files", test_hostile },
	{ "unreadable", test_unreadable },
	{ "time floor", test_floor },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "rollback", suite_init, suite_clean, NULL, NULL, rollback_tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	if (tu_init() || CU_register_suites(suites) != CUE_SUCCESS)
		return tu_abort();
	return tu_run();
}
