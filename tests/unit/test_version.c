/* SPDX-License-Identifier: MIT */
/* test_version.c - Debian version comparison. */
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "base/version.h"
#include "testutil.h"

struct pair {
	const char *a, *b;
	int want; /* sign of cmp(a, b) */
};

/* Each pair agrees with `dpkg --compare-versions` (dpkg 1.21). Many come
 * from deb-version(5), Debian Policy 5.6.12 and apt's versions.lst. */
static const struct pair dpkg_pairs[] = {
	/* equal, spelled differently */
	{ "1.0", "1.0", 0 },
	{ "1.0", "1.00", 0 },
	{ "1.0", "1.000", 0 },
	{ "01.0", "1.0", 0 },
	{ "1.001", "1.1", 0 },
	{ "0:1.0", "1.0", 0 },
	{ "00:1.0", "0:1.0", 0 },
	{ "0001:1", "1:1", 0 },
	{ "1.0-0", "1.0", 0 },
	{ "1.0-00", "1.0", 0 },
	{ "0:1.2.3-1", "1.2.3-1", 0 },
	{ "0:1.18.36", "1.18.36", 0 },
	{ "2.2.4-47978_Debian_lenny", "2.2.4-47978_Debian_lenny", 0 },
	/* '~' before everything, even the end */
	{ "1.0~rc1", "1.0", -1 },
	{ "1.0~rc1", "1.0~rc2", -1 },
	{ "1.0~rc2", "1.0~rc10", -1 },
	{ "1.0~~", "1.0~~a", -1 },
	{ "1.0~~a", "1.0~", -1 },
	{ "1.0~", "1.0", -1 },
	{ "1.0~~", "1.0~", -1 },
	{ "1.0~rc1-1", "1.0-1", -1 },
	{ "1.0-1~bpo1", "1.0-1", -1 },
	{ "1.0-1", "1.0-1+b1", -1 },
	{ "2.0~beta1", "1.9", 1 },
	{ "1.0~alpha", "1.0~beta", -1 },
	{ "1.0~", "1.0~a", -1 },
	/* the end, then letters, then everything else by ASCII */
	{ "1.0", "1.0a", -1 },
	{ "1.0a", "1.0b", -1 },
	{ "1.0A", "1.0a", -1 },
	{ "1.0Z", "1.0a", -1 },
	{ "1.0z", "1.0+", -1 },
	{ "1.0a", "1.0.1", -1 },
	{ "1.0+", "1.0.", -1 },
	{ "1.0+b1", "1.0.1", -1 },
	{ "1.0.a", "1.0.1", 1 },
	{ "1.0a1", "1.0a", 1 },
	{ "1.0a", "1.0", 1 },
	{ "1.0", "1.0.1", -1 },
	{ "1.0.0", "1.0", 1 },
	{ "7.6p2-4", "7.6-0", 1 },
	{ "1.0.3-3", "1.0-1", 1 },
	{ "1.3", "1.2.2-2", 1 },
	{ "a", "1", 1 },
	/* digit runs as numbers, of any length */
	{ "1.10", "1.9", 1 },
	{ "1.2.10", "1.2.9", 1 },
	{ "10", "9", 1 },
	{ "1.99999999999999999999999", "1.99999999999999999999998", 1 },
	{ "1.100000000000000000000000", "1.99999999999999999999999", 1 },
	{ "1.000000000000000000000000000001", "1.1", 0 },
	{ "18446744073709551616", "18446744073709551615", 1 },
	{ "9223372036854775808", "9223372036854775807", 1 },
	/* epochs first */
	{ "1:0.1", "9.9", 1 },
	{ "2:0.1", "1:9.9", 1 },
	{ "1:1.0", "0:2.0", 1 },
	{ "10:1", "9:1", 1 },
	{ "1:0.4", "10.3", 1 },
	{ "1:1.25-4", "1:1.25-8", -1 },
	{ "9:1.18.36:5.4-20", "10:0.5.1-22", -1 },
	{ "9:1.18.36:5.4-20", "9:1.18.36:5.5-1", -1 },
	{ "9:1.18.36:5.4-20", "9:1.18.37:4.3-22", -1 },
	/* revisions: after the last '-' */
	{ "1.0-1", "1.0-2", -1 },
	{ "1.0-10", "1.0-9", 1 },
	{ "1.0-1", "1.0", 1 },
	{ "1.0-1.1", "1.0-1", 1 },
	{ "1.0-1-2", "1.0-1-1", 1 },
	{ "1.0-2-1", "1.0-1-2", 1 },
	{ "1.0-1", "1.0a-1", -1 },
	{ "1.18.36-0.17.35-18", "1.18.36-19", 1 },
	{ "1:1.2.13-3", "1:1.2.13-22", -1 },
	{ "1.2.4-1", "1.2.4-11", -1 },
};

/* dpkg refuses these strings; the comparison must still be defined. */
static const struct pair other_pairs[] = {
	{ "2.4.1 beta", "2.4.1", 1 },	   /* ' ' after the end */
	{ "2.4.1 beta", "2.4.1beta", 1 },  /* ' ' after letters */
	{ "2.4.1 beta", "2.4.2", -1 },
	{ "2.4.1 beta", "2.4.1 beta", 0 },
	{ "a:1", "1", 1 },		   /* not an epoch */
	{ ":1", "1", 1 },
	{ "1.0:2", "1.0", 1 },
	{ "1.0-", "1.0", 0 },		   /* empty revision */
	{ "", "0", 0 },
	{ "", "~", 1 },
	{ "-1", "0-1", 0 },
	/* epochs past any integer type */
	{ "99999999999999999999:1", "99999999999999999998:9", 1 },
	{ "18446744073709551616:0", "18446744073709551615:9", 1 },
	{ "0000000000000000000000001:1", "1:1", 0 },
	{ "100000000000000000000000000000000000000:0", "9:9", 1 },
	{ "1!\"#$%&'()*+,./", "1!\"#$%&'()*+,./", 0 },
	{ "1{", "1|", -1 },
	{ "1@", "1[", -1 },
};

static int sign(int c)
{
	return (c > 0) - (c < 0);
}

static void check_pairs(const struct pair *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int ab = sign(sk_version_cmp(p[i].a, p[i].b));
		int ba = sign(sk_version_cmp(p[i].b, p[i].a));

		if (ab != p[i].want)
			fprintf(stderr, "\n'%s' vs '%s': %d, want %d", p[i].a,
				p[i].b, ab, p[i].want);
		CU_ASSERT_EQUAL(ab, p[i].want);
		/* antisymmetric */
		CU_ASSERT_EQUAL(ba, -p[i].want);
		CU_ASSERT_EQUAL(sk_version_cmp(p[i].a, p[i].a), 0);
		CU_ASSERT_EQUAL(sk_version_cmp(p[i].b, p[i].b), 0);
	}
}

static void test_dpkg_pairs(void)
{
	check_pairs(dpkg_pairs, sizeof(dpkg_pairs) / sizeof(dpkg_pairs[0]));
}

static void test_other_pairs(void)
{
	check_pairs(other_pairs, sizeof(other_pairs) / sizeof(other_pairs[0]));
}

/* A strictly increasing chain: every earlier one is older than every later
 * one (deb-version(5): "~~" < "~~a" < "~" < "" < "a"). dpkg agrees on all
 * but the last, whose epoch it finds too big. */
static void test_chain(void)
{
	static const char *const chain[] = {
		"0.9", "1.0~~", "1.0~~a", "1.0~", "1.0~a", "1.0", "1.0-1",
		"1.0A", "1.0Z", "1.0a", "1.0a-1", "1.0a1", "1.0b", "1.0z",
		"1.0+", "1.0+b1", "1.0.", "1.0.0.1", "1.0.1", "1.1~rc1",
		"1.1", "1.1-0.1", "1.1-1~bpo1", "1.1-1", "1.1-1.1", "1.1-2",
		"1.1-10", "1.2", "1.9", "1.10", "1.99999999999999999999",
		"1.100000000000000000000", "2", "1:0~", "1:0", "2:0",
		"10:0", "99999999999999999999:0",
	};
	size_t n = sizeof(chain) / sizeof(chain[0]);

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int want = (i > j) - (i < j);
			int got = sign(sk_version_cmp(chain[i], chain[j]));

			if (got != want)
				fprintf(stderr, "\n'%s' vs '%s': %d, want %d",
					chain[i], chain[j], got, want);
			CU_ASSERT_EQUAL(got, want);
		}
}

/* Over every printable byte in every position that matters, the
 * comparison is reflexive, antisymmetric and transitive. */
static void test_total_preorder(void)
{
	enum { N = 95 * 3 };
	static char v[N][8];
	static signed char c[N][N];
	size_t bad = 0;

	for (int i = 0; i < 95; i++) {
		snprintf(v[i], sizeof(v[i]), "1.0%c", 0x20 + i);
		snprintf(v[95 + i], sizeof(v[0]), "%c1-1", 0x20 + i);
		snprintf(v[190 + i], sizeof(v[0]), "1-%c0", 0x20 + i);
	}
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++)
			c[i][j] = (signed char)sign(sk_version_cmp(v[i], v[j]));
	for (int i = 0; i < N; i++) {
		CU_ASSERT_EQUAL(c[i][i], 0);
		for (int j = 0; j < N; j++) {
			if (c[i][j] != -c[j][i])
				bad++;
			for (int k = 0; k < N; k++)
				if (c[i][j] <= 0 && c[j][k] <= 0 &&
				    c[i][k] > 0)
					bad++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* Long inputs: no recursion, no overflow. */
static void test_long(void)
{
	static char a[4097], b[4097];

	memset(a, '9', sizeof(a) - 1);
	memset(b, '9', sizeof(b) - 1);
	b[4095] = '8';
	CU_ASSERT_EQUAL(sign(sk_version_cmp(a, b)), 1);
	memset(a, '~', sizeof(a) - 1);
	memset(b, '~', sizeof(b) - 2);
	b[4095] = '\0';
	/* More tildes: older. */
	CU_ASSERT_EQUAL(sign(sk_version_cmp(a, b)), -1);
	memset(a, '0', sizeof(a) - 1);
	CU_ASSERT_EQUAL(sk_version_cmp(a, "0"), 0);
	a[4095] = ':';
	CU_ASSERT_EQUAL(sk_version_cmp(a, ""), 0);
}

static CU_TestInfo version_tests[] = {
	{ "dpkg pairs", test_dpkg_pairs },
	{ "pairs dpkg refuses", test_other_pairs },
	{ "chain", test_chain },
	{ "total preorder", test_total_preorder },
	{ "long", test_long },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "version", NULL, NULL, NULL, NULL, version_tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	if (tu_init() || CU_register_suites(suites) != CUE_SUCCESS)
		return tu_abort();
	return tu_run();
}
