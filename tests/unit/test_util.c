/* SPDX-License-Identifier: MIT */
/* test_util.c - util, the problems list and hash: the small core helpers. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "base/hash.h"
#include "base/problems.h"
#include "base/util.h"
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

/* --- strings and paths --- */

static void test_asprintf(void)
{
	char *s = sk_asprintf("%s-%d-%05.1f", "a", 42, 3.14159);

	CU_ASSERT_STRING_EQUAL(s, "a-42-003.1");
	free(s);
	s = sk_asprintf("%s", "");
	CU_ASSERT_STRING_EQUAL(s, "");
	free(s);
}

static void test_path_join(void)
{
	static const char *const cases[][3] = {
		{ "a", "b", "a/b" },	   { "a/", "b", "a/b" },
		{ "a", "/b", "a/b" },	   { "a//", "//b/c", "a/b/c" },
		{ "/", "b", "/b" },	   { "/x/y", "z/", "/x/y/z/" },
		{ "", "b", "b" },	   { "a", "", "a/" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = sk_path_join(cases[i][0], cases[i][1]);

		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_STRING_EQUAL(s, cases[i][2]);
		free(s);
	}
}

static void test_parse_u64(void)
{
	static const char *const bad[] = {
		"", "-1", "+1", " 1", "1 ", "1x", "0x10", "18446744073709551616",
		"99999999999999999999999",
	};
	unsigned long long v = 7;
	size_t i;

	CU_ASSERT_TRUE(sk_parse_u64("0", &v));
	CU_ASSERT_EQUAL(v, 0);
	CU_ASSERT_TRUE(sk_parse_u64("007", &v));
	CU_ASSERT_EQUAL(v, 7);
	CU_ASSERT_TRUE(sk_parse_u64("18446744073709551615", &v));
	CU_ASSERT_EQUAL(v, 18446744073709551615ULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 5;
		CU_ASSERT_FALSE(sk_parse_u64(bad[i], &v));
		CU_ASSERT_EQUAL(v, 5);
	}
	CU_ASSERT_FALSE(sk_parse_u64(NULL, &v));
}

static void test_time(void)
{
	char buf[32];
	struct tm tm;
	time_t before, after, t;
	long long a, b;
	const char *end;

	before = time(NULL);
	sk_utc_now(buf);
	after = time(NULL);
	CU_ASSERT_EQUAL(strlen(buf), 20);
	memset(&tm, 0, sizeof(tm));
	end = strptime(buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	CU_ASSERT_FATAL(end != NULL);
	CU_ASSERT_EQUAL(*end, '\0');
	t = timegm(&tm);
	CU_ASSERT(t >= before && t <= after);

	a = sk_now_ms();
	b = sk_now_ms();
	CU_ASSERT(a > 0);
	CU_ASSERT(b >= a);
}

/* --- directories --- */

static void test_mkdir_p(void)
{
	char *p = tu_path(tmp, "mk/a/b//c/"), *f = tu_path(tmp, "mk/file");
	char *under = tu_path(tmp, "mk/file/x"), *mid = tu_path(tmp, "mk/a");
	mode_t mask = umask(022);
	struct stat st;

	CU_ASSERT_EQUAL(sk_mkdir_p(p, 0750), 0);
	umask(mask);
	CU_ASSERT_EQUAL_FATAL(stat(p, &st), 0);
	CU_ASSERT_TRUE(S_ISDIR(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0750);
	CU_ASSERT_EQUAL_FATAL(stat(mid, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0750);
	/* Existing directories are fine. */
	CU_ASSERT_EQUAL(sk_mkdir_p(p, 0750), 0);
	CU_ASSERT_EQUAL(sk_mkdir_p(tmp, 0750), 0);
	/* A file in the way is not a directory. */
	CU_ASSERT_EQUAL_FATAL(tu_write_str(f, "x"), 0);
	CU_ASSERT_EQUAL(sk_mkdir_p(f, 0755), -ENOTDIR);
	CU_ASSERT_EQUAL(sk_mkdir_p(under, 0755), -ENOTDIR);
	CU_ASSERT_EQUAL(sk_mkdir_p("", 0755), -ENOENT);
	free(p);
	free(f);
	free(under);
	free(mid);
}

static void test_remove_tree(void)
{
	char *root = tu_path(tmp, "rt"), *outside = tu_path(tmp, "outside");
	char *keep = tu_path(tmp, "outside/keep.txt");
	char *link_dir = tu_path(tmp, "rt/a/link-to-outside");
	char *link_file = tu_path(tmp, "rt/link-to-keep");
	char *f1 = tu_path(tmp, "rt/a/b/c/f1"), *f2 = tu_path(tmp, "rt/f2");
	char *top_link = tu_path(tmp, "top-link");
	char *empty = tu_path(tmp, "rt/empty");

	CU_ASSERT_EQUAL_FATAL(tu_write_str(keep, "keep"), 0);
	CU_ASSERT_EQUAL_FATAL(tu_write_str(f1, "1"), 0);
	CU_ASSERT_EQUAL_FATAL(tu_write_str(f2, "2"), 0);
	CU_ASSERT_EQUAL_FATAL(symlink(outside, link_dir), 0);
	CU_ASSERT_EQUAL_FATAL(symlink(keep, link_file), 0);
	CU_ASSERT_EQUAL_FATAL(mkdir(empty, 0700), 0);

	CU_ASSERT_EQUAL(sk_remove_tree(root), 0);
	CU_ASSERT_FALSE(tu_exists(root));
	/* Links were removed, not followed. */
	CU_ASSERT_TRUE(tu_exists(keep));
	CU_ASSERT_EQUAL(tu_count_entries(outside), 1);

	/* A link given as the path is removed itself. */
	CU_ASSERT_EQUAL_FATAL(symlink(outside, top_link), 0);
	CU_ASSERT_EQUAL(sk_remove_tree(top_link), 0);
	CU_ASSERT_FALSE(tu_exists(top_link));
	CU_ASSERT_TRUE(tu_exists(keep));

	/* A plain file; a trailing slash on a directory. */
	CU_ASSERT_EQUAL(sk_remove_tree(keep), 0);
	CU_ASSERT_FALSE(tu_exists(keep));
	{
		char *slash = tu_path(tmp, "outside/");

		CU_ASSERT_EQUAL(sk_remove_tree(slash), 0);
		CU_ASSERT_FALSE(tu_exists(outside));
		free(slash);
	}

	CU_ASSERT_EQUAL(sk_remove_tree(root), -ENOENT);
	CU_ASSERT_EQUAL(sk_remove_tree("."), -EINVAL);
	CU_ASSERT_EQUAL(sk_remove_tree("a/.."), -EINVAL);
	free(root);
	free(outside);
	free(keep);
	free(link_dir);
	free(link_file);
	free(f1);
	free(f2);
	free(top_link);
	free(empty);
}

/* --- durable writes --- */

static void test_write_atomic(void)
{
	char *dir = tu_path(tmp, "aw"), *path = tu_path(tmp, "aw/conf.json");
	struct stat st1, st2;
	size_t len;
	char *got;

	CU_ASSERT_EQUAL_FATAL(sk_mkdir_p(dir, 0755), 0);
	CU_ASSERT_EQUAL(sk_write_file_atomic(path, "first", 5, 0640), 0);
	got = tu_read_file(path, &len);
	CU_ASSERT_EQUAL(len, 5);
	CU_ASSERT_STRING_EQUAL(got, "first");
	free(got);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st1), 0);
	/* The mode is the one asked for, not the umask's. */
	CU_ASSERT_EQUAL(st1.st_mode & 07777, 0640);

	/* Replacing: a new inode takes the name; nothing else is left. */
	CU_ASSERT_EQUAL(sk_write_file_atomic(path, "second\n", 7, 0600), 0);
	got = tu_read_file(path, &len);
	CU_ASSERT_EQUAL(len, 7);
	CU_ASSERT_STRING_EQUAL(got, "second\n");
	free(got);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st2), 0);
	CU_ASSERT_NOT_EQUAL(st1.st_ino, st2.st_ino);
	CU_ASSERT_EQUAL(st2.st_mode & 07777, 0600);
	CU_ASSERT_EQUAL(tu_count_entries(dir), 1);

	/* Empty content is a valid file. */
	CU_ASSERT_EQUAL(sk_write_file_atomic(path, "", 0, 0644), 0);
	got = tu_read_file(path, &len);
	CU_ASSERT_EQUAL(len, 0);
	free(got);
	free(dir);
	free(path);
}

static void test_write_atomic_no_parent(void)
{
	char *path = tu_path(tmp, "nodir/sub/file");
	char *parent = tu_path(tmp, "nodir");

	CU_ASSERT_EQUAL(sk_write_file_atomic(path, "x", 1, 0644), -ENOENT);
	CU_ASSERT_FALSE(tu_exists(parent));
	free(path);
	free(parent);
}

/* Renaming over a directory fails after the data was written: the temp
 * file must go and the directory stay as it was. */
static void test_write_atomic_rename_fails(void)
{
	char *dir = tu_path(tmp, "rf"), *target = tu_path(tmp, "rf/target");
	char *inner = tu_path(tmp, "rf/target/inner");

	CU_ASSERT_EQUAL_FATAL(tu_write_str(inner, "inner"), 0);
	CU_ASSERT_EQUAL(sk_write_file_atomic(target, "data", 4, 0644),
			-EISDIR);
	CU_ASSERT_EQUAL(tu_count_entries(dir), 1);
	CU_ASSERT_EQUAL(tu_count_entries(target), 1);
	free(dir);
	free(target);
	free(inner);
}

/* A write that fails half way (file size limit) leaves the old file. */
static void test_write_atomic_short_write(void)
{
	char *dir = tu_path(tmp, "sw"), *path = tu_path(tmp, "sw/state");
	struct rlimit old, small;
	static char big[65536];
	void (*prev)(int);
	size_t len;
	char *got;
	int ret;

	CU_ASSERT_EQUAL_FATAL(tu_write_str(path, "old"), 0);
	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 1024;
	prev = signal(SIGXFSZ, SIG_IGN);
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &small), 0);
	memset(big, 'n', sizeof(big));
	ret = sk_write_file_atomic(path, big, sizeof(big), 0644);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, prev);
	CU_ASSERT_EQUAL(ret, -EFBIG);
	got = tu_read_file(path, &len);
	CU_ASSERT_STRING_EQUAL(got, "old");
	CU_ASSERT_EQUAL(tu_count_entries(dir), 1);
	free(got);
	free(dir);
	free(path);
}

/* The same in a directory descriptor: the directory opened is written,
 * whatever its name leads to by then, and a link at the name is
 * replaced, never written through. */
static void test_write_atomic_at(void)
{
	char *dir = tu_path(tmp, "at"), *moved = tu_path(tmp, "at-moved");
	char *path = tu_path(moved, "rec.json"), *outside;
	char *link = tu_path(moved, "link.json"), *got;
	struct stat st;
	size_t len;
	int fd;

	CU_ASSERT_EQUAL_FATAL(sk_mkdir_p(dir, 0755), 0);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(rename(dir, moved), 0);
	CU_ASSERT_EQUAL(sk_write_file_atomic_at(fd, "rec.json", "abc", 3, 0640),
			0);
	CU_ASSERT_FALSE(tu_exists(dir));
	got = tu_read_file(path, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL(len, 3);
	CU_ASSERT_STRING_EQUAL(got, "abc");
	free(got);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0640);

	outside = tu_path(tmp, "at-outside");
	CU_ASSERT_EQUAL_FATAL(tu_write_str(outside, "keep"), 0);
	CU_ASSERT_EQUAL_FATAL(symlink(outside, link), 0);
	CU_ASSERT_EQUAL(
		sk_write_file_atomic_at(fd, "link.json", "new", 3, 0644), 0);
	CU_ASSERT_EQUAL_FATAL(lstat(link, &st), 0);
	CU_ASSERT_TRUE(S_ISREG(st.st_mode));
	got = tu_read_file(outside, NULL);
	CU_ASSERT_STRING_EQUAL(got, "keep");
	free(got);
	/* Only the two files: no temporary left. */
	CU_ASSERT_EQUAL(tu_count_entries(moved), 2);
	/* One component only. */
	CU_ASSERT_EQUAL(sk_write_file_atomic_at(fd, "a/b", "x", 1, 0644),
			-EINVAL);
	CU_ASSERT_EQUAL(sk_write_file_atomic_at(fd, "", "x", 1, 0644), -EISDIR);
	close(fd);
	free(outside);
	free(link);
	free(path);
	free(moved);
	free(dir);
}

static void test_fsync_dir(void)
{
	char *file = tu_path(tmp, "fs/f"), *missing = tu_path(tmp, "nope");

	CU_ASSERT_EQUAL_FATAL(tu_write_str(file, "x"), 0);
	CU_ASSERT_EQUAL(sk_fsync_dir(tmp), 0);
	/* A file: its directory is synced. */
	CU_ASSERT_EQUAL(sk_fsync_dir(file), 0);
	CU_ASSERT_EQUAL(sk_fsync_dir(missing), -ENOENT);
	free(file);
	free(missing);
}

static void test_write_all(void)
{
	char buf[16] = "";
	int fds[2];

	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	CU_ASSERT_EQUAL(sk_write_all(fds[1], "hello", 5), 0);
	CU_ASSERT_EQUAL(read(fds[0], buf, sizeof(buf) - 1), 5);
	CU_ASSERT_STRING_EQUAL(buf, "hello");
	close(fds[0]);
	/* No reader: EPIPE comes back as -EPIPE (SIGPIPE ignored). */
	signal(SIGPIPE, SIG_IGN);
	CU_ASSERT_EQUAL(sk_write_all(fds[1], "x", 1), -EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(fds[1]);
	CU_ASSERT_EQUAL(sk_write_all(-1, "x", 1), -EBADF);
}

/* --- diag --- */

static void test_diag_list(void)
{
	struct sk_problems d;

	sk_problems_init(&d);
	CU_ASSERT_TRUE(sk_problems_empty(&d));
	CU_ASSERT_EQUAL(sk_problems_exit_code(&d), 0);
	sk_problems_add(&d, SK_PROBLEM_SYSTEM, "cannot open '%s': %s", "/x",
			"No such file or directory");
	sk_problems_add(&d, SK_PROBLEM_SETUP, "plugin %d", 7);
	CU_ASSERT_FALSE(sk_problems_empty(&d));
	TU_ASSERT_DIAG(&d, "cannot open '/x': No such file or directory",
		       "plugin 7");
	CU_ASSERT_EQUAL(d.items[0].cls, SK_PROBLEM_SYSTEM);
	CU_ASSERT_EQUAL(d.items[1].cls, SK_PROBLEM_SETUP);
	sk_problems_release(&d);
	CU_ASSERT_EQUAL(d.count, 0);
	CU_ASSERT_PTR_NULL(d.items);

	/* Many items: the list grows. */
	sk_problems_init(&d);
	for (int i = 0; i < 1000; i++)
		sk_problems_add(&d, SK_PROBLEM_PACKAGE, "p%d", i);
	CU_ASSERT_EQUAL(d.count, 1000);
	CU_ASSERT_STRING_EQUAL(d.items[999].msg, "p999");
	sk_problems_release(&d);
}

static void test_diag_exit_code(void)
{
	struct sk_problems d;

	sk_problems_init(&d);
	sk_problems_add(&d, SK_PROBLEM_SYSTEM, "s");
	CU_ASSERT_EQUAL(sk_problems_exit_code(&d), 6);
	sk_problems_add(&d, SK_PROBLEM_SETUP, "c");
	CU_ASSERT_EQUAL(sk_problems_exit_code(&d), 5);
	sk_problems_add(&d, SK_PROBLEM_TARGET, "t");
	CU_ASSERT_EQUAL(sk_problems_exit_code(&d), 4);
	sk_problems_add(&d, SK_PROBLEM_PACKAGE, "p");
	CU_ASSERT_EQUAL(sk_problems_exit_code(&d), 3);
	sk_problems_release(&d);

	/* A lost message counts as a system error, and only as that. */
	sk_problems_init(&d);
	d.oom = true;
	CU_ASSERT_FALSE(sk_problems_empty(&d));
	CU_ASSERT_EQUAL(sk_problems_exit_code(&d), 6);
	sk_problems_add(&d, SK_PROBLEM_TARGET, "t");
	CU_ASSERT_EQUAL(sk_problems_exit_code(&d), 4);
	sk_problems_release(&d);
}

static void test_diag_print(void)
{
	char *path = tu_path(tmp, "stderr.txt"), *got;
	struct sk_problems d;
	int saved, fd;

	sk_problems_init(&d);
	sk_problems_add(&d, SK_PROBLEM_PACKAGE, "manifest.json: %s", "bad");
	sk_problems_add(&d, SK_PROBLEM_TARGET, "product 'x' is not supported");
	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_FATAL(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	sk_problems_print(&d, "sup");
	d.oom = true;
	sk_problems_print(&d, "supd");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	got = tu_read_file(path, NULL);
	CU_ASSERT_STRING_EQUAL(
		got, "sup: error: manifest.json: bad\n"
		     "sup: error: product 'x' is not supported\n"
		     "supd: error: manifest.json: bad\n"
		     "supd: error: product 'x' is not supported\n"
		     "supd: error: out of memory, some problems were not "
		     "recorded\n");
	free(got);
	free(path);
	sk_problems_release(&d);
}

/* A problem quoting hostile text is printed escaped; the item keeps the
 * original (it goes into confirmation.json). */
static void test_diag_print_escaped(void)
{
	char *path = tu_path(tmp, "stderr-esc.txt"), *got;
	struct sk_problems d;
	int saved, fd;

	sk_problems_init(&d);
	sk_problems_add(&d, SK_PROBLEM_TARGET, "action 'a': check failed: %s",
			"bad '\x1b[2J\x1b]0;x\x07' \xc2\x9b caf\xc3\xa9\n\xff");
	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_FATAL(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	sk_problems_print(&d, "sup");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	got = tu_read_file(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got,
		"sup: error: action 'a': check failed: bad '\\x1b[2J\\x1b]0;x\\x07' "
		"\\u009b caf\xc3\xa9\\n\\xff\n");
	CU_ASSERT_STRING_EQUAL(d.items[0].msg,
		"action 'a': check failed: bad '\x1b[2J\x1b]0;x\x07' \xc2\x9b caf\xc3\xa9\n\xff");
	free(got);
	free(path);
	sk_problems_release(&d);
}

/* --- text for a terminal --- */

static void test_show_text(void)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} cases[] = {
		{ "plain text, 'quoted' \\ back", 0,
		  "plain text, 'quoted' \\ back" },
		/* UTF-8 stays readable: 2, 3 and 4 byte characters. */
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 0,
		  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
		/* C0 controls and DEL. */
		{ "a\x1b[2Jb\x07\x7f\x01", 0, "a\\x1b[2Jb\\x07\\x7f\\x01" },
		{ "l1\nl2\rl3\tend", 0, "l1\\nl2\\rl3\\tend" },
		/* C1 controls as code points; U+00A0 is text. */
		{ "\xc2\x9b" "31m \xc2\x80 \xc2\x9f \xc2\xa0", 0,
		  "\\u009b31m \\u0080 \\u009f \xc2\xa0" },
		/* Invalid UTF-8: a stray continuation, a lone lead byte, an
		 * overlong ESC, a surrogate, a cut sequence at the end. */
		{ "\x80x\xc3y\xc0\x9b\xed\xa0\x80\xe2\x82", 0,
		  "\\x80x\\xc3y\\xc0\\x9b\\xed\\xa0\\x80\\xe2\\x82" },
		/* NUL inside the length. */
		{ "a\0b", 3, "a\\x00b" },
		{ "", 0, "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
		char *got = sk_show_text(cases[i].in, len);

		CU_ASSERT_PTR_NOT_NULL_FATAL(got);
		if (strcmp(got, cases[i].out) != 0)
			fprintf(stderr, "\ncase %zu: got '%s'\n", i, got);
		CU_ASSERT_STRING_EQUAL(got, cases[i].out);
		free(got);
	}
}

/* The worst case grows 4 times and still fits. */
static void test_show_text_worst(void)
{
	char in[256], *got;

	memset(in, 0x1b, sizeof(in));
	got = sk_show_text(in, sizeof(in));
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL(strlen(got), 4 * sizeof(in));
	CU_ASSERT_EQUAL(strncmp(got, "\\x1b\\x1b", 8), 0);
	free(got);
}

/* --- hash --- */

#define SHA_EMPTY \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_ABC \
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/* SHA-256 of "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq" */
#define SHA_448 \
	"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"

static void test_sha256_vectors(void)
{
	char hex[SK_SHA256_HEX_LEN + 1];
	struct sk_sha256 *h = sk_sha256_new();
	const char *msg =
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	sk_sha256_final_hex(h, hex);
	CU_ASSERT_STRING_EQUAL(hex, SHA_EMPTY);
	sk_sha256_reset(h);
	sk_sha256_update(h, "abc", 3);
	sk_sha256_final_hex(h, hex);
	CU_ASSERT_STRING_EQUAL(hex, SHA_ABC);
	/* Streaming in odd pieces gives the same digest. */
	sk_sha256_reset(h);
	for (size_t i = 0, len = strlen(msg), n; i < len; i += n) {
		n = len - i < 5 ? len - i : 5;
		sk_sha256_update(h, msg + i, n);
	}
	sk_sha256_final_hex(h, hex);
	CU_ASSERT_STRING_EQUAL(hex, SHA_448);
	sk_sha256_free(h);
	sk_sha256_free(NULL);
}

static void test_sha256_file(void)
{
	char *path = tu_path(tmp, "hash/data.bin"), *dir = tu_path(tmp, "hash");
	char *missing = tu_path(tmp, "hash/missing");
	char hex[SK_SHA256_HEX_LEN + 1], want[SK_SHA256_HEX_LEN + 1];
	unsigned long long size = 0;
	size_t len = 200003, i;
	struct sk_sha256 *h;
	unsigned char *data;

	/* Longer than the 64 KiB read buffer, and not a multiple of it. */
	data = malloc(len);
	CU_ASSERT_FATAL(data != NULL);
	for (i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	CU_ASSERT_EQUAL_FATAL(tu_write_file(path, data, len), 0);
	h = sk_sha256_new();
	sk_sha256_update(h, data, len);
	sk_sha256_final_hex(h, want);
	sk_sha256_free(h);

	CU_ASSERT_EQUAL(sk_sha256_file(path, hex, &size), 0);
	CU_ASSERT_STRING_EQUAL(hex, want);
	CU_ASSERT_EQUAL(size, len);
	CU_ASSERT_EQUAL(sk_sha256_file(path, hex, NULL), 0);

	CU_ASSERT_EQUAL(tu_write_str(path, "abc"), 0);
	CU_ASSERT_EQUAL(sk_sha256_file(path, hex, &size), 0);
	CU_ASSERT_STRING_EQUAL(hex, SHA_ABC);
	CU_ASSERT_EQUAL(size, 3);

	CU_ASSERT_EQUAL(sk_sha256_file(dir, hex, &size), -EISDIR);
	CU_ASSERT_EQUAL(sk_sha256_file(missing, hex, &size), -ENOENT);
	CU_ASSERT_STRING_EQUAL(hex, "");
	free(data);
	free(path);
	free(dir);
	free(missing);
}

static void test_sha256_fifo(void)
{
	char *path = tu_path(tmp, "fifo");
	char hex[SK_SHA256_HEX_LEN + 1];

	CU_ASSERT_EQUAL_FATAL(mkfifo(path, 0600), 0);
	/* Refused without blocking on the open. */
	CU_ASSERT_EQUAL(sk_sha256_file(path, hex, NULL), -EINVAL);
	free(path);
}

static void test_sha256_hex_valid(void)
{
	CU_ASSERT_TRUE(sk_sha256_hex_valid(SHA_ABC));
	CU_ASSERT_FALSE(sk_sha256_hex_valid(
		"BA7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	CU_ASSERT_FALSE(sk_sha256_hex_valid(
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a"));
	CU_ASSERT_FALSE(sk_sha256_hex_valid(
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0"));
	CU_ASSERT_FALSE(sk_sha256_hex_valid(
		"ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	CU_ASSERT_FALSE(sk_sha256_hex_valid(""));
	CU_ASSERT_FALSE(sk_sha256_hex_valid(NULL));
}

static CU_TestInfo util_tests[] = {
	{"asprintf", test_asprintf},
	{"path join", test_path_join},
	{"parse u64", test_parse_u64},
	{"time", test_time},
	{"mkdir -p", test_mkdir_p},
	{"remove tree", test_remove_tree},
	{"atomic write", test_write_atomic},
	{"atomic write, no parent", test_write_atomic_no_parent},
	{"atomic write, rename fails", test_write_atomic_rename_fails},
	{"atomic write, short write", test_write_atomic_short_write},
	{"atomic write in a directory descriptor", test_write_atomic_at},
	{"fsync dir", test_fsync_dir},
	{"write all", test_write_all},
	{"show text", test_show_text},
	{"show text, worst case", test_show_text_worst},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo diag_tests[] = {
	{ "list", test_diag_list },
	{ "exit code", test_diag_exit_code },
	{ "print", test_diag_print },
	{ "print escaped", test_diag_print_escaped },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo hash_tests[] = {
	{ "vectors", test_sha256_vectors },
	{ "file", test_sha256_file },
	{ "fifo", test_sha256_fifo },
	{ "hex valid", test_sha256_hex_valid },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "util", suite_init, suite_clean, NULL, NULL, util_tests },
	{ "diag", suite_init, suite_clean, NULL, NULL, diag_tests },
	{ "hash", suite_init, suite_clean, NULL, NULL, hash_tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	if (tu_init() || CU_register_suites(suites) != CUE_SUCCESS)
		return tu_abort();
	return tu_run();
}
