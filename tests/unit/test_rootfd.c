/* SPDX-License-Identifier: MIT */
/* test_rootfd.c - rootfd: gateway paths walked by descriptors. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "base/rootfd.h"
#include "base/util.h"
#include "testutil.h"

static char *tmp;   /* the test's directory */
static char *root;  /* tmp/root: the gateway root */
static int rootfd = -1;

static int suite_init(void)
{
	tmp = tu_mkdtemp();
	if (!tmp)
		return -1;
	root = tu_path(tmp, "root");
	if (mkdir(root, 0755) != 0)
		return -1;
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return rootfd < 0 ? -1 : 0;
}

static int suite_clean(void)
{
	int ret;

	close(rootfd);
	ret = tu_rm_rf(tmp);
	free(root);
	free(tmp);
	return ret;
}

/* root/rel */
static char *rp(const char *rel)
{
	return tu_path(root, rel);
}

static void mkdirs(const char *rel)
{
	char *p = rp(rel);

	CU_ASSERT_EQUAL_FATAL(sk_mkdir_p(p, 0755), 0);
	free(p);
}

static void put(const char *rel, const char *text)
{
	char *p = rp(rel);

	CU_ASSERT_EQUAL_FATAL(tu_write_str(p, text), 0);
	free(p);
}

static void link_to(const char *target, const char *rel)
{
	char *p = rp(rel);

	unlink(p);
	CU_ASSERT_EQUAL_FATAL(symlink(target, p), 0);
	free(p);
}

/* fd names the same directory as root/rel. */
static void assert_is(int fd, const char *rel, unsigned int line)
{
	char *p = rp(rel), msg[512];
	struct stat a, b;
	bool same;

	same = fstat(fd, &a) == 0 && stat(p, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	snprintf(msg, sizeof(msg), "line %u: the directory is root/%s", line,
		 rel);
	CU_assertImplementation(same, line, msg, __FILE__, "", CU_FALSE);
	free(p);
}
#define ASSERT_IS(fd, rel) assert_is((fd), (rel), __LINE__)

/* sk_rootfd_parent() of path succeeds: the directory is root/dir and
 * the name is name. */
static void parent_ok(const char *path, unsigned int flags, const char *dir,
		      const char *name, unsigned int line)
{
	char *n = NULL, *why = NULL, msg[512];
	int fd = -1, r = sk_rootfd_parent(rootfd, path, flags, &fd, &n, &why);

	snprintf(msg, sizeof(msg), "line %u: '%s' -> %d (%s)", line, path, r,
		 why ? why : "");
	CU_assertImplementation(r == 0, line, msg, __FILE__, "", CU_FALSE);
	if (r == 0) {
		assert_is(fd, dir, line);
		snprintf(msg, sizeof(msg), "line %u: name '%s', expected '%s'",
			 line, n, name);
		CU_assertImplementation(strcmp(n, name) == 0, line, msg,
					__FILE__, "", CU_FALSE);
	}
	if (fd >= 0)
		close(fd);
	free(n);
	free(why);
}
#define PARENT_OK(path, flags, dir, name)                                    \
	parent_ok((path), (flags), (dir), (name), __LINE__)

/* sk_rootfd_parent() fails with err and exactly the message why. */
static void parent_fails(const char *path, unsigned int flags, int err,
			 const char *want, unsigned int line)
{
	char *n = NULL, *why = NULL, msg[1024];
	int fd = -1, r = sk_rootfd_parent(rootfd, path, flags, &fd, &n, &why);

	snprintf(msg, sizeof(msg), "line %u: '%s' -> %d '%s', expected %d '%s'",
		 line, path, r, why ? why : "(none)", -err, want);
	CU_assertImplementation(r == -err && fd < 0 && !n && why &&
					strcmp(why, want) == 0,
				line, msg, __FILE__, "", CU_FALSE);
	if (fd >= 0)
		close(fd);
	free(n);
	free(why);
}
#define PARENT_FAILS(path, flags, err, why)                                  \
	parent_fails((path), (flags), (err), (why), __LINE__)

static void test_plain(void)
{
	mkdirs("a/b");
	PARENT_OK("/a/b/c", 0, "a/b", "c");
	PARENT_OK("/a/b", 0, "a", "b");
	PARENT_OK("/a//b/./c/", 0, "a/b", "c");
	PARENT_OK("/new", 0, ".", "new");
	PARENT_FAILS("/a/none/c", 0, ENOENT,
		     "cannot open '/a/none': No such file or directory");
	PARENT_FAILS("relative", 0, EINVAL,
		     "'relative': not an absolute path");
	PARENT_FAILS("/a/../b", 0, EINVAL,
		     "'/a/../b': '..' components are not allowed");
	PARENT_FAILS("/", 0, EINVAL, "'/' is the root directory");
	PARENT_FAILS("/./", 0, EINVAL, "'/./' is the root directory");
	/* A link to the root names no entry either. */
	link_to("/", "toroot");
	PARENT_FAILS("/toroot", SK_RFD_FOLLOW_LAST, EINVAL,
		     "'/' is a directory reached through '..' or a link, not a name in one");
}

static void test_not_dir(void)
{
	mkdirs("nd");
	put("nd/file", "x");
	PARENT_FAILS("/nd/file/x", 0, ENOTDIR, "'/nd/file' is not a directory");
	PARENT_OK("/nd/file", 0, "nd", "file");
}

/* Missing parents are made 0755 whatever the umask. */
static void test_mkparents(void)
{
	char *p = rp("mk/x/y");
	mode_t old = umask(077);
	struct stat st;

	PARENT_OK("/mk/x/y/z", SK_RFD_MKPARENTS, "mk/x/y", "z");
	umask(old);
	CU_ASSERT_EQUAL(stat(p, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0755);
	free(p);
}

/* Links resolve inside the root, whatever they say. */
static void test_links_stay_inside(void)
{
	mkdirs("in/real/sub");
	mkdirs("etc");
	link_to("/in/real", "in/abs");
	link_to("real/sub", "in/rel");
	link_to("../../../../../../etc", "in/up");
	link_to("/../../etc", "in/absup");
	PARENT_OK("/in/abs/sub/f", 0, "in/real/sub", "f");
	PARENT_OK("/in/rel/f", 0, "in/real/sub", "f");
	PARENT_OK("/in/up/passwd", 0, "etc", "passwd");
	PARENT_OK("/in/absup/passwd", 0, "etc", "passwd");
}

/* The last component: a link is the name, unless followed. */
static void test_last_link(void)
{
	mkdirs("ll/target");
	put("ll/target/file", "x");
	link_to("/ll/target/file", "ll/link");
	link_to("target", "ll/dirlink");
	PARENT_OK("/ll/link", 0, "ll", "link");
	PARENT_OK("/ll/link", SK_RFD_FOLLOW_LAST, "ll/target", "file");
	PARENT_OK("/ll/dirlink", SK_RFD_FOLLOW_LAST, "ll", "target");
	link_to("/ll/target/missing", "ll/dangling");
	PARENT_OK("/ll/dangling", SK_RFD_FOLLOW_LAST, "ll/target", "missing");
}

static void test_loop(void)
{
	mkdirs("loop");
	link_to("/loop/b", "loop/a");
	link_to("/loop/a", "loop/b");
	PARENT_FAILS("/loop/a/x", 0, ELOOP,
		     "more than 40 symbolic links on the way to '/loop/a'");
}

/*
 * Regression (issue 8, item 3): the directory is held, not its name. A
 * component swapped for a link to somewhere outside the root after the
 * walk leads nothing there.
 */
static void test_swap_after_walk(void)
{
	char *outside = tu_path(tmp, "outside"), *moved = rp("sw/moved");
	char *bdir = rp("sw/b"), *n = NULL, *why = NULL, *landed;
	int fd = -1, f;

	mkdirs("sw/b");
	CU_ASSERT_EQUAL_FATAL(mkdir(outside, 0755), 0);
	CU_ASSERT_EQUAL_FATAL(sk_rootfd_parent(rootfd, "/sw/b/new", 0, &fd,
					       &n, &why), 0);
	CU_ASSERT_EQUAL_FATAL(rename(bdir, moved), 0);
	CU_ASSERT_EQUAL_FATAL(symlink(outside, bdir), 0);
	f = openat(fd, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		   0600);
	CU_ASSERT(f >= 0);
	if (f >= 0)
		close(f);
	landed = tu_path(moved, "new");
	CU_ASSERT_TRUE(tu_exists(landed));
	CU_ASSERT_EQUAL(tu_count_entries(outside), 0);
	/* Walked again, the link is followed inside the root... which has
	 * no tmp/outside: the absolute target is the root's /tmp/... */
	close(fd);
	free(landed);
	free(n);
	free(why);
	free(bdir);
	free(moved);
	free(outside);
}

/* Links and directories of other users (as root only: files of other
 * owners need chown). */
static void test_other_owners(void)
{
	char *why_want;

	if (geteuid() != 0) {
		fprintf(stderr, "\n    skipped: needs root (files of another owner) ");
		return;
	}
	mkdirs("etc");
	mkdirs("var/lib/app");
	put("etc/shadow", "secret");
	{
		char *app = rp("var/lib/app"), *cache = rp("var/lib/app/cache");

		CU_ASSERT_EQUAL_FATAL(chown(app, 4242, 4242), 0);
		/* A service user plants cache -> /etc. */
		CU_ASSERT_EQUAL_FATAL(symlink("/etc", cache), 0);
		CU_ASSERT_EQUAL_FATAL(lchown(cache, 4242, 4242), 0);
		free(app);
		free(cache);
	}
	PARENT_FAILS("/var/lib/app/cache/shadow", 0, EPERM,
		     "'/var/lib/app/cache' is a symbolic link owned by uid 4242: only links owned by root are followed");
	PARENT_FAILS("/var/lib/app/cache", SK_RFD_FOLLOW_LAST, EPERM,
		     "'/var/lib/app/cache' is a symbolic link owned by uid 4242: only links owned by root are followed");
	/* The link itself, not followed, may be named (and replaced). */
	PARENT_OK("/var/lib/app/cache", 0, "var/lib/app", "cache");
	/* A root-owned link in the user's directory does not help: from a
	 * directory of uid 4242 into one of root is unsafe. */
	{
		char *cache = rp("var/lib/app/cache"), *d = rp("var/lib/app/d");

		unlink(cache);
		CU_ASSERT_EQUAL_FATAL(symlink("/etc", cache), 0);
		CU_ASSERT_EQUAL_FATAL(mkdir(d, 0755), 0); /* owned by root */
		free(cache);
		free(d);
	}
	why_want = sk_asprintf("unsafe path transition from '/var/lib/app' (owned by uid 4242) to '/var/lib/app/d' (owned by uid 0)");
	PARENT_FAILS("/var/lib/app/d/f", 0, EPERM, why_want);
	free(why_want);
	/* Nor is the root-owned link itself followed: the user can move
	 * one of root's links into their directory from anywhere else in
	 * it. */
	PARENT_FAILS("/var/lib/app/cache/shadow", 0, EPERM,
		     "'/var/lib/app/cache' is a symbolic link in a directory owned by uid 4242: links in other users' directories are not followed");
	PARENT_FAILS("/var/lib/app/cache", SK_RFD_FOLLOW_LAST, EPERM,
		     "'/var/lib/app/cache' is a symbolic link in a directory owned by uid 4242: links in other users' directories are not followed");
	/* No directory is made in the user's directory: the user could
	 * swap one of root's in under its name before it is opened. */
	PARENT_FAILS("/var/lib/app/new/f", SK_RFD_MKPARENTS, EPERM,
		     "unsafe path transition: '/var/lib/app/new' is missing and is not made in '/var/lib/app', a directory owned by uid 4242");
	{
		char *made = rp("var/lib/app/new");
		struct stat st;

		CU_ASSERT_EQUAL(lstat(made, &st), -1);
		free(made);
	}
	/* The user's own directories below are fine. */
	{
		char *own = rp("var/lib/app/own");

		CU_ASSERT_EQUAL_FATAL(mkdir(own, 0755), 0);
		CU_ASSERT_EQUAL_FATAL(chown(own, 4242, 4242), 0);
		free(own);
	}
	PARENT_OK("/var/lib/app/own/f", 0, "var/lib/app/own", "f");
	/* From root into the user's directory is fine too. */
	PARENT_OK("/var/lib/app/f", 0, "var/lib/app", "f");
}

static void test_dir(void)
{
	char *why = NULL;
	int fd = -1;

	mkdirs("dd/x");
	link_to("/dd/x", "dd/l");
	CU_ASSERT_EQUAL(sk_rootfd_dir(rootfd, "/", 0, &fd, &why), 0);
	ASSERT_IS(fd, ".");
	close(fd);
	CU_ASSERT_EQUAL(sk_rootfd_dir(rootfd, "/dd/l", 0, &fd, &why), 0);
	ASSERT_IS(fd, "dd/x");
	close(fd);
	CU_ASSERT_EQUAL(sk_rootfd_dir(rootfd, "/dd/none", 0, &fd, &why),
			-ENOENT);
	CU_ASSERT_EQUAL(fd, -1);
	free(why);
	why = NULL;
	CU_ASSERT_EQUAL(sk_rootfd_dir(rootfd, "/dd/made/deep",
				      SK_RFD_MKPARENTS, &fd, &why), 0);
	ASSERT_IS(fd, "dd/made/deep");
	close(fd);
	free(why);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{ "plain paths", test_plain },
		{ "not a directory", test_not_dir },
		{ "missing parents made 0755", test_mkparents },
		{ "links stay inside the root", test_links_stay_inside },
		{ "the last component", test_last_link },
		{ "link loop", test_loop },
		{ "swap after the walk", test_swap_after_walk },
		{ "links and directories of other users", test_other_owners },
		{ "directories", test_dir },
		CU_TEST_INFO_NULL,
	};
	static CU_SuiteInfo suites[] = {
		{ "rootfd", suite_init, suite_clean, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	if (tu_init() || CU_register_suites(suites) != CUE_SUCCESS)
		return tu_abort();
	return tu_run();
}
