/* SPDX-License-Identifier: MIT */
/* test_temps.c - temps: the journal of plugin temporaries. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "base/util.h"
#include "install/temps.h"
#include "testutil.h"

static char *tmp, *root, *journal;
static int rootfd = -1;

static int suite_init(void)
{
	tmp = tu_mkdtemp();
	if (!tmp)
		return -1;
	root = tu_path(tmp, "root");
	journal = tu_path(tmp, SK_TEMPS_NAME);
	if (sk_mkdir_p(root, 0755))
		return -1;
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return rootfd < 0 ? -1 : 0;
}

static int suite_clean(void)
{
	int ret;

	close(rootfd);
	ret = tu_rm_rf(tmp);
	free(journal);
	free(root);
	free(tmp);
	return ret;
}

static char *rp(const char *rel)
{
	return tu_path(root, rel);
}

static void put(const char *rel)
{
	char *p = rp(rel);

	CU_ASSERT_EQUAL_FATAL(tu_write_str(p, "x"), 0);
	free(p);
}

static bool there(const char *rel)
{
	char *p = rp(rel);
	bool e = tu_exists(p);

	free(p);
	return e;
}

static void test_names(void)
{
	CU_ASSERT_TRUE(sk_temps_name_valid(".app.conf.sup-aB3xY9"));
	CU_ASSERT_TRUE(sk_temps_name_valid("..sup-aB3xY9"));
	CU_ASSERT_FALSE(sk_temps_name_valid("app.conf.sup-aB3xY9"));
	CU_ASSERT_FALSE(sk_temps_name_valid(".app.conf"));
	CU_ASSERT_FALSE(sk_temps_name_valid(".app.sup-aB3x/9"));
	CU_ASSERT_FALSE(sk_temps_name_valid(".app.sup-aB3x.9"));
	CU_ASSERT_FALSE(sk_temps_name_valid(".a/b.sup-aB3xY9"));
	CU_ASSERT_FALSE(sk_temps_name_valid(".sup-aB3xY9"));
}

/* Removed when the action did not finish; a tree too. */
static void test_remove(void)
{
	char *tree = rp("etc/.d.sup-TREE01/sub");

	put("etc/.app.conf.sup-abc123");
	CU_ASSERT_EQUAL_FATAL(sk_mkdir_p(tree, 0700), 0);
	put("etc/.d.sup-TREE01/sub/f");
	put("etc/app.conf");
	CU_ASSERT_EQUAL(sk_temps_note(journal, "/etc", ".app.conf.sup-abc123"), 0);
	CU_ASSERT_EQUAL(sk_temps_note(journal, "/etc", ".d.sup-TREE01"), 0);
	/* Gone already (renamed into place): nothing to do. */
	CU_ASSERT_EQUAL(sk_temps_note(journal, "/etc", ".gone.sup-abc123"), 0);
	CU_ASSERT_EQUAL(sk_temps_settle(rootfd, journal, true), 0);
	CU_ASSERT_FALSE(there("etc/.app.conf.sup-abc123"));
	CU_ASSERT_FALSE(there("etc/.d.sup-TREE01"));
	CU_ASSERT_TRUE(there("etc/app.conf"));
	CU_ASSERT_FALSE(tu_exists(journal));
	free(tree);
}

/* Forgotten when the action succeeded. */
static void test_forget(void)
{
	put("etc/.keep.sup-abc123");
	CU_ASSERT_EQUAL(sk_temps_note(journal, "/etc", ".keep.sup-abc123"), 0);
	CU_ASSERT_EQUAL(sk_temps_settle(rootfd, journal, false), 0);
	CU_ASSERT_TRUE(there("etc/.keep.sup-abc123"));
	CU_ASSERT_FALSE(tu_exists(journal));
	/* No journal: nothing to do. */
	CU_ASSERT_EQUAL(sk_temps_settle(rootfd, journal, true), 0);
}

/* A damaged or forged journal removes nothing that is not a temporary,
 * and nothing outside the root. */
static void test_hostile_journal(void)
{
	char *outside = tu_path(tmp, ".x.sup-abc123");

	put("etc/passwd");
	CU_ASSERT_EQUAL_FATAL(tu_write_str(outside, "x"), 0);
	CU_ASSERT_EQUAL_FATAL(tu_write_str(journal,
		"{\"dir\": \"/etc\", \"name\": \"passwd\"}\n"
		"{\"dir\": \"/\", \"name\": \"../.x.sup-abc123\"}\n"
		"{\"dir\": \"/../..\", \"name\": \".x.sup-abc123\"}\n"
		"not json\n{\"dir\": 1}\n"), 0);
	CU_ASSERT_EQUAL(sk_temps_settle(rootfd, journal, true), 0);
	CU_ASSERT_TRUE(there("etc/passwd"));
	CU_ASSERT_TRUE(tu_exists(outside));
	CU_ASSERT_FALSE(tu_exists(journal));
	free(outside);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{ "temporary names", test_names },
		{ "removed when unfinished", test_remove },
		{ "forgotten when done", test_forget },
		{ "hostile journal", test_hostile_journal },
		CU_TEST_INFO_NULL,
	};
	static CU_SuiteInfo suites[] = {
		{ "temps", suite_init, suite_clean, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	if (tu_init() || CU_register_suites(suites) != CUE_SUCCESS)
		return tu_abort();
	return tu_run();
}
