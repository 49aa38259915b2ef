/* SPDX-License-Identifier: MIT */
/*
 * test_state.c - the install state (install.json) read back for --resume
 * and --abandon: saved and loaded whole, a damaged one refused with a
 * reason; the sweep of the temporaries a killed installer leaves behind
 * takes those and nothing else; the installer lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "install/state.h"
#include "record/confirm.h"
#include "testutil.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define MSHA "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static void test_round_trip(void)
{
	char *dir = tu_mkdtemp();
	char *dirs[] = { "/opt/plugins-a", "/opt/plugins-b" };
	struct sk_install_state s = {
		.sup = "/var/lib/supkit/package.sup", .sup_sha256 = SHA,
		.manifest_sha256 = MSHA,
		.config = "/etc/supkit/sup.conf", .product = NULL,
		.plugin_dirs = dirs, .n_plugin_dirs = 2, .job_id = "job-7",
	}, l;
	const char *why = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	CU_ASSERT_EQUAL(sk_state_load(dir, &l, &why), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(sk_state_save(dir, &s), 0);
	CU_ASSERT_EQUAL_FATAL(sk_state_load(dir, &l, &why), 0);
	CU_ASSERT_STRING_EQUAL(l.sup, s.sup);
	CU_ASSERT_STRING_EQUAL(l.sup_sha256, SHA);
	CU_ASSERT_STRING_EQUAL(l.manifest_sha256, MSHA);
	CU_ASSERT_STRING_EQUAL(l.config, s.config);
	CU_ASSERT_PTR_NULL(l.product);
	CU_ASSERT_EQUAL_FATAL(l.n_plugin_dirs, 2);
	CU_ASSERT_STRING_EQUAL(l.plugin_dirs[0], dirs[0]);
	CU_ASSERT_STRING_EQUAL(l.plugin_dirs[1], dirs[1]);
	CU_ASSERT_STRING_EQUAL(l.job_id, "job-7");
	sk_install_state_release(&l);

	/* Cleared: install.json and the package link go, and again is no
	 * error. */
	{
		char *link = tu_path(dir, SK_STATE_SUP_NAME);

		CU_ASSERT_EQUAL(tu_write_str(link, "sup"), 0);
		CU_ASSERT_EQUAL(sk_state_clear(dir), 0);
		CU_ASSERT_FALSE(tu_exists(link));
		CU_ASSERT_EQUAL(sk_state_load(dir, &l, &why), -ENOENT);
		CU_ASSERT_EQUAL(sk_state_clear(dir), 0);
		free(link);
	}
	tu_rm_rf(dir);
	free(dir);
}

static void load_bad(const char *text, const char *why_want)
{
	char *dir = tu_mkdtemp(), *path;
	struct sk_install_state s;
	const char *why = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	path = tu_path(dir, SK_STATE_NAME);
	CU_ASSERT_EQUAL_FATAL(tu_write_str(path, text), 0);
	CU_ASSERT_EQUAL(sk_state_load(dir, &s, &why), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT_STRING_EQUAL(why, why_want);
	/* Nothing a caller could take for a package. */
	CU_ASSERT_PTR_NULL(s.sup);
	CU_ASSERT_PTR_NULL(s.sup_sha256);
	CU_ASSERT_EQUAL(s.n_plugin_dirs, 0);
	tu_rm_rf(dir);
	free(path);
	free(dir);
}

#define ST(x) "{\"state_format\": 1, \"sup\": \"/p.sup\", " x "}"
#define LACKS "install state lacks the package or has fields of the wrong type"

static void test_damaged(void)
{
	char *big;

	load_bad("", "install state is not a JSON object");
	load_bad("{\"state_format\": 1, \"sup\": ",
		 "install state is not a JSON object");
	load_bad("[1]", "install state is not a JSON object");
	load_bad("{\"sup\": \"/p.sup\"}", "install state has an unknown format");
	load_bad("{\"state_format\": 2}", "install state has an unknown format");
	load_bad("{\"state_format\": \"1\"}",
		 "install state has an unknown format");
	load_bad("{\"state_format\": 1, \"sup_sha256\": \"" SHA "\"}", LACKS);
	load_bad(ST("\"sup_sha256\": null"), LACKS);
	load_bad(ST("\"sup_sha256\": 7"), LACKS);
	load_bad(ST("\"sup_sha256\": \"" SHA "\", \"config\": 1"), LACKS);
	load_bad(ST("\"sup_sha256\": \"abc\""),
		 "install state: sup_sha256 is not a SHA-256 in hex");
	load_bad(ST("\"sup_sha256\": \"" SHA "0\""),
		 "install state: sup_sha256 is not a SHA-256 in hex");
	load_bad(ST("\"sup_sha256\": \"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\""),
		 "install state: sup_sha256 is not a SHA-256 in hex");
	load_bad(ST("\"sup_sha256\": \"" SHA "\", \"manifest_sha256\": \"abc\""),
		 "install state: manifest_sha256 is not a SHA-256 in hex");
	load_bad(ST("\"sup_sha256\": \"" SHA "\", \"manifest_sha256\": 7"), LACKS);
	load_bad(ST("\"sup_sha256\": \"" SHA "\", \"plugin_dirs\": [\"/a\", 2]"),
		 "install state: plugin_dirs holds a non-string");

	/* Larger than any state we write. */
	big = malloc(70 * 1024);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, ' ', 70 * 1024 - 1);
	big[0] = '{';
	big[70 * 1024 - 2] = '}';
	big[70 * 1024 - 1] = '\0';
	load_bad(big, "install state is unreadable or too large");
	free(big);
}

static void touch(const char *dir, const char *name)
{
	char *p = tu_path(dir, name);

	CU_ASSERT_EQUAL(tu_write_str(p, "x"), 0);
	free(p);
}

static bool present(const char *dir, const char *name)
{
	char *p = tu_path(dir, name);
	bool r = tu_exists(p);

	free(p);
	return r;
}

static void test_sweep(void)
{
	char *dir = tu_mkdtemp(), *p;
	struct sk_atomic a;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	/* What a killed installer leaves: swept. */
	touch(dir, ".install.json.Ab12Cd");
	touch(dir, ".installed.json.zzzzzz");
	touch(dir, ".confirmation.json.Q1w2E3");
	/* Everything else: kept. */
	touch(dir, SK_STATE_NAME);
	touch(dir, "installed.json");
	touch(dir, "lock");
	touch(dir, ".install.json.short");  /* 5 characters */
	touch(dir, ".install.json.abc-ef"); /* not a letter or digit */
	touch(dir, ".install.json.abcdefg");
	touch(dir, "x.install.json.abcdef");
	touch(dir, ".install.jsonXabcdef");
	touch(dir, ".package.sup.abcdef");
	p = tu_path(dir, ".install.json.DIRDIR");
	CU_ASSERT_EQUAL(mkdir(p, 0700), 0);
	free(p);
	p = tu_path(dir, ".install.json.LINKln");
	CU_ASSERT_EQUAL(symlink(SK_STATE_NAME, p), 0);
	free(p);

	CU_ASSERT_EQUAL(sk_state_sweep(dir), 2);
	CU_ASSERT_FALSE(present(dir, ".install.json.Ab12Cd"));
	CU_ASSERT_FALSE(present(dir, ".installed.json.zzzzzz"));
	CU_ASSERT_TRUE(present(dir, ".confirmation.json.Q1w2E3"));
	CU_ASSERT_EQUAL(sk_confirm_sweep(dir), 1);
	CU_ASSERT_FALSE(present(dir, ".confirmation.json.Q1w2E3"));
	CU_ASSERT_EQUAL(tu_count_entries(dir), 11);
	CU_ASSERT_TRUE(present(dir, SK_STATE_NAME));
	CU_ASSERT_TRUE(present(dir, ".install.json.DIRDIR"));
	CU_ASSERT_TRUE(present(dir, ".install.json.LINKln"));
	CU_ASSERT_EQUAL(sk_state_sweep(dir), 0);

	/* The temporary of a real durable write, never committed (the
	 * writer was killed). */
	p = tu_path(dir, SK_CONFIRM_NAME);
	CU_ASSERT_EQUAL_FATAL(sk_atomic_open(&a, p, 0644), 0);
	CU_ASSERT_TRUE(tu_exists(a.tmp));
	CU_ASSERT_EQUAL(sk_confirm_sweep(dir), 1);
	CU_ASSERT_FALSE(tu_exists(a.tmp));
	sk_atomic_release(&a);
	free(p);

	/* No directory: nothing to sweep. */
	p = tu_path(dir, "none");
	CU_ASSERT_EQUAL(sk_state_sweep(p), 0);
	CU_ASSERT_EQUAL(sk_confirm_sweep(p), 0);
	free(p);
	tu_rm_rf(dir);
	free(dir);
}

static void test_lock(void)
{
	char *dir = tu_mkdtemp(), *holder = NULL;
	int fd, fd2;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	fd = sk_lock_take(dir, "installing 'a' 1.0", &holder);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_PTR_NULL(holder);
	fd2 = sk_lock_take(dir, "resuming", &holder);
	CU_ASSERT_EQUAL(fd2, -EBUSY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(holder);
	CU_ASSERT_PTR_NOT_NULL(strstr(holder, ", installing 'a' 1.0"));
	CU_ASSERT_EQUAL(strncmp(holder, "pid ", 4), 0);
	free(holder);
	close(fd);
	fd2 = sk_lock_take(dir, "resuming", &holder);
	CU_ASSERT(fd2 >= 0);
	if (fd2 >= 0)
		close(fd2);
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	CU_pSuite s;

	if (tu_init())
		return tu_abort();
	s = CU_add_suite("state", NULL, NULL);
	if (!s || !CU_add_test(s, "saved, loaded, cleared", test_round_trip) ||
	    !CU_add_test(s, "damaged states are refused", test_damaged) ||
	    !CU_add_test(s, "temporaries of killed writes are swept",
			 test_sweep) ||
	    !CU_add_test(s, "one lock holder at a time", test_lock))
		return tu_abort();
	return tu_run();
}
