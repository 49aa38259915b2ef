/* SPDX-License-Identifier: MIT */
/*
 * test_rootpath.c - gateway paths mapped under --root: lexical checks,
 * normalisation, and symbolic links resolved as if the root were "/".
 *
 * Every successful resolution is also checked for the promise of
 * rootpath.h: the result lies under the root and names no symbolic link
 * in any existing component (but the last one with SK_ROOT_NOFOLLOW_LAST).
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "base/rootpath.h"
#include "base/util.h"
#include "testutil.h"

static char *tmp;  /* canonical temporary directory */
static char *root; /* tmp/root: the --root of most tests */

static int suite_init(void)
{
	char *t = tu_mkdtemp();

	if (!t)
		return -1;
	/* The root must be canonical: $TMPDIR may hold a link. */
	tmp = realpath(t, NULL);
	free(t);
	if (!tmp)
		return -1;
	root = tu_path(tmp, "root");
	return sk_mkdir_p(root, 0755) ? -1 : 0;
}

static int suite_clean(void)
{
	int ret = tu_rm_rf(tmp);

	free(root);
	free(tmp);
	return ret;
}

/* --- helpers --------------------------------------------------------- */

/* malloc'd root + rel ("" gives the root itself). */
static char *under(const char *rel)
{
	char *s = sk_asprintf("%s%s", root, rel);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

/* mkdir -p root/rel. */
static void mkdirs(const char *rel)
{
	char *p = under(rel);

	CU_ASSERT_EQUAL_FATAL(sk_mkdir_p(p, 0755), 0);
	free(p);
}

/* A symbolic link root/rel -> target (parents created). */
static void mklink(const char *rel, const char *target)
{
	char *p = under(rel);
	char *slash = strrchr(p, '/');

	*slash = '\0';
	CU_ASSERT_EQUAL_FATAL(sk_mkdir_p(p, 0755), 0);
	*slash = '/';
	unlink(p);
	CU_ASSERT_EQUAL_FATAL(symlink(target, p), 0);
	free(p);
}

/* A regular file root/rel. */
static void mkfile(const char *rel)
{
	char *p = under(rel);

	CU_ASSERT_EQUAL_FATAL(tu_write_str(p, "x\n"), 0);
	free(p);
}

/*
 * The result r of resolving under rt lies under rt, and no existing
 * component of it below rt is a symbolic link, except the last one when
 * last_may_link.
 */
static bool no_link_on_the_way(const char *rt, const char *r,
			       bool last_may_link)
{
	size_t rlen = strcmp(rt, "/") == 0 ? 0 : strlen(rt);
	char *copy;
	bool ok = true;

	if (strncmp(r, rt, rlen) != 0 || (r[rlen] != '/' && r[rlen] != '\0'))
		return false;
	if (r[rlen] == '\0')
		return true; /* the root itself */
	copy = strdup(r);
	if (!copy)
		return false;
	for (size_t i = rlen + 1; ok; i++) {
		bool end = copy[i] == '\0';
		struct stat st;

		if (copy[i] != '/' && !end)
			continue;
		copy[i] = '\0';
		if (lstat(copy, &st) == 0 && S_ISLNK(st.st_mode) &&
		    !(end && last_may_link)) {
			fprintf(stderr, "\n'%s' is a symbolic link\n", copy);
			ok = false;
		}
		if (end)
			break;
		copy[i] = '/';
	}
	free(copy);
	return ok;
}

/* Resolve gw under rt; expect success and exactly want. */
static void expect_in(const char *rt, const char *gw, unsigned int flags,
		      const char *want)
{
	const char *why = NULL;
	char *out = (char *)"unchanged";
	int r;

	r = sk_root_resolve(rt, gw, flags, &out, &why);
	if (r != 0)
		fprintf(stderr, "\nresolving '%s': %d (%s)\n", gw, r,
			why ? why : "no reason");
	CU_ASSERT_EQUAL_FATAL(r, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	if (strcmp(out, want) != 0)
		fprintf(stderr, "\n'%s' resolved to '%s', expected '%s'\n", gw,
			out, want);
	CU_ASSERT_STRING_EQUAL(out, want);
	CU_ASSERT(no_link_on_the_way(rt, out,
				     (flags & SK_ROOT_NOFOLLOW_LAST) != 0));
	free(out);
}

/* Resolve gw under the test root; expect root + want_rel. */
static void expect(const char *gw, unsigned int flags, const char *want_rel)
{
	char *want = under(want_rel);

	expect_in(root, gw, flags, want);
	free(want);
}

/* Resolve gw; expect the error err with reason why_want. */
static void expect_error(const char *gw, unsigned int flags, int err,
			 const char *why_want)
{
	const char *why = NULL;
	char *out = (char *)"unchanged";
	int r;

	r = sk_root_resolve(root, gw, flags, &out, &why);
	if (r != err)
		fprintf(stderr, "\nresolving '%.60s': %d, expected %d\n", gw,
			r, err);
	CU_ASSERT_EQUAL(r, err);
	CU_ASSERT_PTR_NULL(out);
	if (r == 0)
		free(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT_STRING_EQUAL(why, why_want);
}

/* --- lexical checks ---------------------------------------------------- */

static void test_relative_refused(void)
{
	static const char *const bad[] = { "", "etc/x", "./etc", "..", "x/" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;

		expect_error(bad[i], 0, -EINVAL, "not an absolute path");
		CU_ASSERT_EQUAL(sk_root_check_path(bad[i], &why), -EINVAL);
		CU_ASSERT_STRING_EQUAL(why, "not an absolute path");
	}
}

static void test_dotdot_refused(void)
{
	static const char *const bad[] = {
		"/..", "/../etc", "/etc/..", "/etc/../x", "/a//..//b",
		"/a/./../b", "/a/../", "/a/b/c/../../../..",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;

		expect_error(bad[i], 0, -EINVAL,
			     "'..' components are not allowed");
		expect_error(bad[i], SK_ROOT_NOFOLLOW_LAST, -EINVAL,
			     "'..' components are not allowed");
		CU_ASSERT_EQUAL(sk_root_check_path(bad[i], &why), -EINVAL);
		CU_ASSERT_STRING_EQUAL(why, "'..' components are not allowed");
	}
}

/* Names that only look like "..": ordinary components. */
static void test_dots_in_names(void)
{
	const char *why = NULL;

	CU_ASSERT_EQUAL(sk_root_check_path("/a/..b/c..", &why), 0);
	CU_ASSERT_EQUAL(sk_root_check_path("/.../x", &why), 0);
	CU_ASSERT_EQUAL(sk_root_check_path("/.hidden", &why), 0);
	expect("/a/..b/c..", 0, "/a/..b/c..");
	expect("/.../.x", 0, "/.../.x");
}

static void test_absolute_ok(void)
{
	const char *why = NULL;

	CU_ASSERT_EQUAL(sk_root_check_path("/", &why), 0);
	CU_ASSERT_EQUAL(sk_root_check_path("/etc/supkit/sup.conf", &why), 0);
	mkdirs("/etc/supkit");
	expect("/etc/supkit", 0, "/etc/supkit");
	expect("/etc/supkit/sup.conf", 0, "/etc/supkit/sup.conf");
}

static void test_dot_and_slashes(void)
{
	mkdirs("/opt/app");
	expect("/opt/./app", 0, "/opt/app");
	expect("//opt///app//", 0, "/opt/app");
	expect("/./opt/.", 0, "/opt");
	expect("/opt/app/./new/.//file", 0, "/opt/app/new/file");
	/* Only separators and dots: the root itself. */
	expect("/", 0, "");
	expect("///", 0, "");
	expect("/./.", 0, "");
	expect("/", SK_ROOT_NOFOLLOW_LAST, "");
}

/* --- the root ------------------------------------------------------------ */

/* With root "/" the gateway path is the host path. */
static void test_root_slash(void)
{
	char *real = tu_path(tmp, "plain/dir");
	char *link = tu_path(tmp, "plain/link");
	char *via = tu_path(tmp, "plain/link/f");
	char *want = tu_path(tmp, "plain/dir/f");
	char *abs_link = tu_path(tmp, "plain/abs");
	char *via_abs = tu_path(tmp, "plain/abs/g");
	char *want_abs = tu_path(tmp, "plain/dir/g");
	char *dotted = sk_asprintf("%s/./plain//dir/", tmp);

	CU_ASSERT_EQUAL_FATAL(sk_mkdir_p(real, 0755), 0);
	CU_ASSERT_EQUAL_FATAL(symlink("dir", link), 0);
	CU_ASSERT_EQUAL_FATAL(symlink(real, abs_link), 0);
	expect_in("/", "/", 0, "/");
	expect_in("/", "//", 0, "/");
	expect_in("/", real, 0, real);
	expect_in("/", dotted, 0, real);
	expect_in("/", via, 0, want);
	expect_in("/", via_abs, 0, want_abs);
	expect_in("/", link, SK_ROOT_NOFOLLOW_LAST, link);
	free(real);
	free(link);
	free(via);
	free(want);
	free(abs_link);
	free(via_abs);
	free(want_abs);
	free(dotted);
}

/* A gateway path is placed under the root, never used as is. */
static void test_root_prefix(void)
{
	expect("/etc/passwd", 0, "/etc/passwd");
	expect("/nonexistent/deep/path", 0, "/nonexistent/deep/path");
}

/* --- symbolic links --------------------------------------------------- */

static void test_absolute_link(void)
{
	mkdirs("/real/lib");
	mkfile("/real/lib/libx.so");
	mklink("/usr/lib", "/real/lib");
	/* Absolute targets restart at the root, not at the host's "/". */
	expect("/usr/lib", 0, "/real/lib");
	expect("/usr/lib/libx.so", 0, "/real/lib/libx.so");
	expect("/usr/lib/new/file", 0, "/real/lib/new/file");
	/* A link to a host directory stays inside the root. */
	mklink("/hostetc", "/etc");
	expect("/hostetc/passwd", 0, "/etc/passwd");
	mklink("/abs-up", "/../../../../etc");
	expect("/abs-up/shadow", 0, "/etc/shadow");
}

static void test_relative_link(void)
{
	mkdirs("/srv/www/v2");
	mklink("/srv/www/current", "v2");
	expect("/srv/www/current/index.html", 0, "/srv/www/v2/index.html");
	mklink("/srv/www/dotted", "./v2/.");
	expect("/srv/www/dotted/a", 0, "/srv/www/v2/a");
	mklink("/srv/up", "../srv/www");
	expect("/srv/up/v2", 0, "/srv/www/v2");
}

/* ".." in a link target climbs, but never above the root. */
static void test_relative_link_clamped(void)
{
	mkdirs("/a/b/c");
	mklink("/a/b/c/escape", "../../../../../../../../etc");
	expect("/a/b/c/escape/passwd", 0, "/etc/passwd");
	expect("/a/b/c/escape", 0, "/etc");
	mklink("/a/b/c/up2", "../../x");
	expect("/a/b/c/up2/y", 0, "/a/x/y");
	mklink("/a/top", "..");
	expect("/a/top", 0, "");
	expect("/a/top/a/b", 0, "/a/b");
	mklink("/a/b/mixed", "../../../a/./b/../b//c");
	expect("/a/b/mixed/z", 0, "/a/b/c/z");
}

/* A link resolved under root "/" climbs at most to "/". */
static void test_relative_link_clamped_slash(void)
{
	char *link = tu_path(tmp, "climb");
	char *gw = tu_path(tmp, "climb/etc");
	char *target = NULL;
	size_t depth = 0;

	for (const char *p = tmp; *p; p++)
		depth += *p == '/';
	/* More ".." than tmp is deep. */
	target = strdup("..");
	for (size_t i = 0; i < depth + 3; i++) {
		char *t = sk_asprintf("%s/..", target);

		free(target);
		target = t;
	}
	CU_ASSERT_EQUAL_FATAL(symlink(target, link), 0);
	expect_in("/", gw, 0, "/etc");
	free(link);
	free(gw);
	free(target);
}

static void test_link_chain(void)
{
	mkdirs("/chain/end");
	mklink("/chain/l1", "l2");
	mklink("/chain/l2", "/chain/l3");
	mklink("/chain/l3", "../chain/./l4");
	mklink("/chain/l4", "end");
	expect("/chain/l1", 0, "/chain/end");
	expect("/chain/l1/f", 0, "/chain/end/f");
	/* A link in the middle of a target that itself holds links. */
	mklink("/chain/m", "/chain/l1/sub");
	mkdirs("/chain/end/sub");
	expect("/chain/m/x", 0, "/chain/end/sub/x");
	/* Links in several components of one path. */
	mklink("/chain/end/sub/back", "/chain/l2");
	expect("/chain/m/back/sub", 0, "/chain/end/sub");
	/* ".." after a link climbs from where the link led (physically),
	 * as the kernel does. */
	mkdirs("/deep/dir");
	mklink("/phys/sub", "/deep/dir");
	mklink("/phys/x", "sub/../y");
	expect("/phys/x", 0, "/deep/y");
}

/* The longest chain followed is SK_ROOT_MAX_LINKS links. */
static void test_link_chain_limit(void)
{
	char rel[64], target[64];
	int i;

	mkdirs("/long/end");
	for (i = 0; i <= SK_ROOT_MAX_LINKS; i++) {
		snprintf(rel, sizeof(rel), "/long/l%d", i);
		if (i == 0)
			snprintf(target, sizeof(target), "end");
		else
			snprintf(target, sizeof(target), "l%d", i - 1);
		mklink(rel, target);
	}
	snprintf(rel, sizeof(rel), "/long/l%d/f", SK_ROOT_MAX_LINKS - 1);
	expect(rel, 0, "/long/end/f");
	snprintf(rel, sizeof(rel), "/long/l%d/f", SK_ROOT_MAX_LINKS);
	expect_error(rel, 0, -ELOOP, "too many levels of symbolic links");
}

static void test_loop(void)
{
	mklink("/loop/a", "b");
	mklink("/loop/b", "/loop/a");
	mklink("/loop/self", "self");
	mklink("/loop/dir", "../loop/dir/x");
	expect_error("/loop/a", 0, -ELOOP, "too many levels of symbolic links");
	expect_error("/loop/a/file", 0, -ELOOP,
		     "too many levels of symbolic links");
	expect_error("/loop/self", 0, -ELOOP,
		     "too many levels of symbolic links");
	expect_error("/loop/dir/y", 0, -ELOOP,
		     "too many levels of symbolic links");
	/* The last component is not followed: no loop met. */
	expect("/loop/a", SK_ROOT_NOFOLLOW_LAST, "/loop/a");
}

static void test_nofollow_last(void)
{
	mkdirs("/nf/dir");
	mklink("/nf/dir/l", "/nf/target");
	mklink("/nf/via", "dir");
	mklink("/nf/dangling", "/does/not/exist");
	expect("/nf/dir/l", SK_ROOT_NOFOLLOW_LAST, "/nf/dir/l");
	expect("/nf/dir/l", 0, "/nf/target");
	/* Links before the last component are still followed. */
	expect("/nf/via/l", SK_ROOT_NOFOLLOW_LAST, "/nf/dir/l");
	expect("/nf/dangling", SK_ROOT_NOFOLLOW_LAST, "/nf/dangling");
	expect("/nf/dangling", 0, "/does/not/exist");
	expect("/nf/dangling/x", SK_ROOT_NOFOLLOW_LAST, "/does/not/exist/x");
	/* A plain last component is the same either way. */
	expect("/nf/dir", SK_ROOT_NOFOLLOW_LAST, "/nf/dir");
}

static void test_nonexistent_tail(void)
{
	mkdirs("/ne/exists");
	mkfile("/ne/file");
	expect("/ne/exists/new/deeper/file", 0, "/ne/exists/new/deeper/file");
	expect("/ne/missing", 0, "/ne/missing");
	/* Below a regular file nothing exists (ENOTDIR), still mapped. */
	expect("/ne/file/below", 0, "/ne/file/below");
	/* A link to a place that does not exist yet. */
	mklink("/ne/future", "/ne/later/dir");
	expect("/ne/future/f", 0, "/ne/later/dir/f");
}

/* A link to "/" inside the root means the root. */
static void test_link_to_slash(void)
{
	mkdirs("/etc");
	mklink("/rootlink", "/");
	mklink("/deep/rl", "/");
	expect("/rootlink", 0, "");
	expect("/rootlink/etc", 0, "/etc");
	expect("/deep/rl/deep/rl/rootlink/etc/x", 0, "/etc/x");
	expect("/rootlink", SK_ROOT_NOFOLLOW_LAST, "/rootlink");
	mklink("/slashes", "//.//");
	expect("/slashes/etc", 0, "/etc");
}

/* --- length ------------------------------------------------------------ */

/* "/xxx...x/xxx..." of exactly len bytes, components of 100 bytes. */
static char *long_path(size_t len)
{
	char *p = malloc(len + 1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (size_t i = 0; i < len; i++)
		p[i] = i % 101 == 0 ? '/' : 'x';
	p[len] = '\0';
	if (p[len - 1] == '/')
		p[len - 1] = 'y';
	return p;
}

static void test_long_path(void)
{
	char *max = long_path(SK_ROOT_PATH_MAX);
	char *over = long_path(SK_ROOT_PATH_MAX + 1);
	char *huge = long_path(100000);
	char *want;
	const char *why = NULL;

	CU_ASSERT_EQUAL(sk_root_check_path(max, &why), 0);
	/* Under "/" the longest gateway path is one byte more than the
	 * kernel takes (PATH_MAX counts the NUL): refused, not cut. */
	{
		char *out = NULL;
		int r = sk_root_resolve("/", max, 0, &out, &why);

		CU_ASSERT_EQUAL(r, -ENAMETOOLONG);
		CU_ASSERT_PTR_NULL(out);
		free(out);
	}
	/* Shorter ones map under the root whole. */
	max[3000] = '\0';
	want = under(max);
	expect_in(root, max, 0, want);
	free(want);
	CU_ASSERT_EQUAL(sk_root_check_path(over, &why), -EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "path too long");
	expect_error(over, 0, -EINVAL, "path too long");
	expect_error(huge, 0, -EINVAL, "path too long");
	free(max);
	free(over);
	free(huge);
}

/* A short path can grow past the limit through links. */
static void test_long_through_links(void)
{
	char *target = long_path(3000);
	char *gw;

	mklink("/grow/l", target);
	gw = sk_asprintf("/grow/l/%s", target + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(gw);
	CU_ASSERT(strlen(gw) < SK_ROOT_PATH_MAX);
	/* 3000 + 3000 bytes after the link: over the limit, whichever
	 * check meets it first (the resolver's or the kernel's). */
	{
		const char *why = NULL;
		char *out = NULL;

		CU_ASSERT_EQUAL(sk_root_resolve(root, gw, 0, &out, &why),
				-ENAMETOOLONG);
		CU_ASSERT_PTR_NULL(out);
		CU_ASSERT_PTR_NOT_NULL(why);
		free(out);
	}
	free(gw);
	/* A link to itself through a longer name grows too, and stops. */
	mklink("/grow/g", "/grow/g/g/g/g/g/g/g/g");
	{
		const char *why = NULL;
		char *out = NULL;
		int r = sk_root_resolve(root, "/grow/g", 0, &out, &why);

		CU_ASSERT(r == -ELOOP || r == -ENAMETOOLONG);
		CU_ASSERT_PTR_NULL(out);
		free(out);
	}
	free(target);
}

int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
		{ "relative paths refused", test_relative_refused },
		{ "'..' refused", test_dotdot_refused },
		{ "dots inside names", test_dots_in_names },
		{ "absolute paths", test_absolute_ok },
		{ "'.' and '//' normalised", test_dot_and_slashes },
		{ "root '/'", test_root_slash },
		{ "temporary root", test_root_prefix },
		{ "absolute link target", test_absolute_link },
		{ "relative link target", test_relative_link },
		{ "'..' in a link clamped at the root",
		  test_relative_link_clamped },
		{ "'..' in a link clamped at '/'",
		  test_relative_link_clamped_slash },
		{ "link chains", test_link_chain },
		{ "link chain limit", test_link_chain_limit },
		{ "link loops", test_loop },
		{ "SK_ROOT_NOFOLLOW_LAST", test_nofollow_last },
		{ "non-existent tails", test_nonexistent_tail },
		{ "link to '/'", test_link_to_slash },
		{ "long paths", test_long_path },
		{ "paths grown long through links", test_long_through_links },
	};
	CU_pSuite suite;

	if (tu_init())
		return tu_abort();
	suite = CU_add_suite("rootpath", suite_init, suite_clean);
	if (!suite)
		return tu_abort();
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (!CU_add_test(suite, tests[i].name, tests[i].fn))
			return tu_abort();
	return tu_run();
}
