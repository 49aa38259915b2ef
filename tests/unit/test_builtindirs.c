/* SPDX-License-Identifier: MIT */
/*
 * test_builtindirs.c - SUPKIT_NO_BUILTIN_DIRS (base/builtindirs.c): the
 * installed plugin directory and this host's configuration directory are
 * ignored under it.
 *
 * This test is built with its own copy of builtindirs.c whose installed
 * plugin directory is the decoy $SUP_FIXTURE_DIR/good (DECOY_PLUGIN_DIR,
 * tests/CMakeLists.txt): the fixture plugin there is loaded when the
 * variable is unset, so the test fails if the variable stops working.
 */
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "base/builtindirs.h"
#include "base/config.h"
#include "base/problems.h"
#include "install/env.h"
#include "testutil.h"
#include "verify/trust.h"

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
	unsetenv(SK_NO_BUILTIN_DIRS_ENV);
	return ret;
}

/* Set the variable (NULL: unset). */
static void set_var(const char *v)
{
	int r = v ? setenv(SK_NO_BUILTIN_DIRS_ENV, v, 1) :
		    unsetenv(SK_NO_BUILTIN_DIRS_ENV);

	CU_ASSERT_EQUAL_FATAL(r, 0);
}

/* Whether sk_env_open() on an empty root, without configuration or
 * --plugin-dir, loads the decoy's fixture plugin; its problems go to d. */
static bool decoy_loaded(struct sk_problems *d)
{
	struct sk_env e;
	bool found;

	sk_env_open(&e, tmp, NULL, NULL, NULL, 0, d);
	found = sk_registry_find(&e.reg, "fixture.ok") != NULL;
	sk_env_close(&e);
	return found;
}

static void test_value(void)
{
	static const char *const off[] = { "", "0" };

	set_var(NULL);
	CU_ASSERT_EQUAL(sk_builtin_dirs_ignored(), 0);
	CU_ASSERT_STRING_EQUAL(sk_builtin_plugin_dir(), DECOY_PLUGIN_DIR);
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		set_var(off[i]);
		CU_ASSERT_EQUAL(sk_builtin_dirs_ignored(), 0);
		CU_ASSERT_PTR_NOT_NULL(sk_builtin_plugin_dir());
	}
	set_var("1");
	CU_ASSERT_EQUAL(sk_builtin_dirs_ignored(), 1);
	CU_ASSERT_PTR_NULL(sk_builtin_plugin_dir());
	CU_ASSERT_EQUAL(sk_builtin_sysconf_ignored("/"), 1);
	CU_ASSERT_EQUAL(sk_builtin_sysconf_ignored(tmp), 0);
	set_var("yes");
	CU_ASSERT(sk_builtin_dirs_ignored() < 0);
	CU_ASSERT_PTR_NULL(sk_builtin_plugin_dir());
	set_var(NULL);
}

static void test_plugins(void)
{
	struct sk_problems d;

	/* The decoy is reached without the variable: else this test
	 * could not fail. */
	sk_problems_init(&d);
	set_var(NULL);
	CU_ASSERT_TRUE(decoy_loaded(&d));
	TU_ASSERT_DIAG_EMPTY(&d);
	sk_problems_release(&d);

	sk_problems_init(&d);
	set_var("1");
	CU_ASSERT_FALSE(decoy_loaded(&d));
	TU_ASSERT_DIAG_EMPTY(&d);
	sk_problems_release(&d);

	sk_problems_init(&d);
	set_var("yes");
	CU_ASSERT_FALSE(decoy_loaded(&d));
	TU_ASSERT_DIAG(&d, "environment variable SUPKIT_NO_BUILTIN_DIRS: "
			   "'yes' is not 0 or 1");
	sk_problems_release(&d);
	set_var(NULL);
}

/* On the host's root, no default sup.conf, profile or keyring. */
static void test_sysconf(void)
{
	struct sk_problems d;
	struct sk_config c;
	struct sk_trust t;

	sk_problems_init(&d);
	set_var("1");
	CU_ASSERT_EQUAL(tu_config_load(&c, NULL, "/", "edge-gw", &d), 0);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_TRUE(c.no_builtin_sysconf);
	CU_ASSERT_PTR_NULL(c.path);
	CU_ASSERT_PTR_NULL(c.profile_path);
	CU_ASSERT_EQUAL(tu_trust_open(&t, &c, "/", NULL, &d), -1);
	TU_ASSERT_DIAG(&d, "keyring '" SUPKIT_SYSCONF_DIR "/keyring.pem': "
			   "not read: SUPKIT_NO_BUILTIN_DIRS is set (give "
			   "--config with this gateway's configuration)");
	sk_trust_close(&t);
	sk_config_release(&c);
	sk_problems_release(&d);

	/* Under another root the directory is that tree's. */
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, NULL, tmp, "edge-gw", &d), 0);
	CU_ASSERT_FALSE(c.no_builtin_sysconf);
	sk_config_release(&c);
	sk_problems_release(&d);
	set_var(NULL);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{ "value of the variable", test_value },
		{ "installed plugin directory", test_plugins },
		{ "configuration directory of the host", test_sysconf },
		CU_TEST_INFO_NULL,
	};
	static CU_SuiteInfo suites[] = {
		{ "builtindirs", suite_init, suite_clean, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	if (tu_init() || CU_register_suites(suites) != CUE_SUCCESS)
		return tu_abort();
	return tu_run();
}
