/* SPDX-License-Identifier: MIT */
/* test_pack.c - `sup pack`: the SUP writer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <archive.h>
#include <archive_entry.h>

#include "base/hash.h"
#include "base/problems.h"
#include "base/util.h"
#include "package/manifest.h"
#include "package/pack.h"
#include "package/supfile.h"
#include "testutil.h"
#include "verify/keyring.h"
#include "verify/signature.h"
#include "verify/trust.h"

#define SHA_FIRMWARE \
	"179c23f41ee27a7474df0662f97023168ddcf837989573fcddd5941adca62a68"
#define SHA_ZERO \
	"0000000000000000000000000000000000000000000000000000000000000000"

#define BIG_LEN 200003

static const char manifest_text[] =
	"{\n"
	"  \"sup_format\": 1,\n"
	"  \"package\": {\"name\": \"demo\", \"version\": \"1.0\"},\n"
	"  \"x-build\": {\"url\": \"https://example.com/a/b\", \"n\": 1.50},\n"
	"  \"actions\": [\n"
	"    {\"id\": \"cfg\", \"type\": \"file.install\",\n"
	"     \"payloads\": [\"sub/cfg.txt\"]},\n"
	"    {\"id\": \"fw\", \"type\": \"file.install\",\n"
	"     \"params\": {\"dest\": \"/opt/fw\"},\n"
	"     \"payloads\": [\"fw.bin\", \"big.bin\"]},\n"
	"    {\"id\": \"again\", \"type\": \"exec.script\",\n"
	"     \"payloads\": [\"fw.bin\"], \"on_error\": \"continue\"}\n"
	"  ]\n"
	"}\n";

static char *tmp, *pdir;
static unsigned char *big;

static int suite_init(void)
{
	char *p;
	size_t i;
	int ret = 0;

	/* The default mtime is 0; the environment must not change it. */
	unsetenv("SOURCE_DATE_EPOCH");
	tmp = tu_mkdtemp();
	if (!tmp)
		return -1;
	pdir = tu_path(tmp, "payloads");
	big = malloc(BIG_LEN);
	if (!big)
		return -1;
	for (i = 0; i < BIG_LEN; i++)
		big[i] = (unsigned char)(i * 31 + i / 977);
	p = tu_path(pdir, "fw.bin");
	ret |= tu_write_str(p, "firmware\n");
	free(p);
	p = tu_path(pdir, "big.bin");
	ret |= tu_write_file(p, big, BIG_LEN);
	free(p);
	p = tu_path(pdir, "sub/cfg.txt");
	ret |= tu_write_str(p, "key=value\n");
	free(p);
	/* Files no action names are not packed. */
	p = tu_path(pdir, "ignored.txt");
	ret |= tu_write_str(p, "not packed\n");
	free(p);
	return ret;
}

static int suite_clean(void)
{
	int ret = tu_rm_rf(tmp);

	free(pdir);
	free(tmp);
	free(big);
	return ret;
}

/* A fresh work directory for one test, with the manifest text in it. */
static char *workdir(const char *name, const char *text)
{
	char *dir = tu_path(tmp, name), *m = tu_path(dir, "manifest.json");

	if (tu_write_str(m, text))
		abort();
	free(m);
	return dir;
}

static int pack_in(const char *dir, const char *payload_dir, const char *out,
		   struct sk_problems *d)
{
	char *m = tu_path(dir, "manifest.json");
	struct sk_pack_opts o = {
		.manifest_path = m,
		.payload_dir = payload_dir,
		.output = out,
		.limits = NULL,
	};
	int ret;

	sk_problems_init(d);
	ret = sk_pack(&o, d);
	free(m);
	return ret;
}

struct entry {
	char *name;
	unsigned char *data;
	size_t size;
	int filetype, perm;
	long long uid, gid, mtime;
	bool uname, gname, atime, ctime, birthtime;
};

/* Read every entry of a SUP with libarchive; the count or -1. */
static int read_sup(const char *path, struct entry *e, int max)
{
	struct archive_entry *ae;
	struct archive *a;
	int n = 0, r;

	a = archive_read_new();
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 10240) != ARCHIVE_OK) {
		archive_read_free(a);
		return -1;
	}
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK &&
	       n < max) {
		struct entry *x = &e[n++];
		la_ssize_t got;

		memset(x, 0, sizeof(*x));
		x->name = strdup(archive_entry_pathname(ae));
		x->size = (size_t)archive_entry_size(ae);
		x->filetype = (int)archive_entry_filetype(ae);
		x->perm = (int)archive_entry_perm(ae);
		x->uid = archive_entry_uid(ae);
		x->gid = archive_entry_gid(ae);
		x->mtime = archive_entry_mtime(ae);
		/* libarchive reads an empty field as "". */
		x->uname = archive_entry_uname(ae) && *archive_entry_uname(ae);
		x->gname = archive_entry_gname(ae) && *archive_entry_gname(ae);
		x->atime = archive_entry_atime_is_set(ae);
		x->ctime = archive_entry_ctime_is_set(ae);
		x->birthtime = archive_entry_birthtime_is_set(ae);
		x->data = malloc(x->size + 1);
		got = archive_read_data(a, x->data, x->size + 1);
		if (got < 0 || (size_t)got != x->size)
			x->size = (size_t)-1;
		else
			x->data[x->size] = '\0';
	}
	archive_read_free(a);
	return r == ARCHIVE_EOF ? n : -1;
}

static void free_entries(struct entry *e, int n)
{
	for (int i = 0; i < n; i++) {
		free(e[i].name);
		free(e[i].data);
	}
}

static void assert_header(const struct entry *e, long long mtime)
{
	CU_ASSERT_EQUAL(e->filetype, AE_IFREG);
	CU_ASSERT_EQUAL(e->perm, 0644);
	CU_ASSERT_EQUAL(e->uid, 0);
	CU_ASSERT_EQUAL(e->gid, 0);
	CU_ASSERT_EQUAL(e->mtime, mtime);
	CU_ASSERT_FALSE(e->uname);
	CU_ASSERT_FALSE(e->gname);
	CU_ASSERT_FALSE(e->atime);
	CU_ASSERT_FALSE(e->ctime);
	CU_ASSERT_FALSE(e->birthtime);
}

static void test_pack_layout(void)
{
	char *dir = workdir("layout", manifest_text);
	char *out = tu_path(dir, "demo.sup");
	char big_sha[SK_SHA256_HEX_LEN + 1], cfg_sha[SK_SHA256_HEX_LEN + 1];
	struct sk_manifest m;
	struct sk_sha256 *h;
	struct entry e[8];
	struct sk_problems d;
	struct stat st;
	int n;

	CU_ASSERT_EQUAL_FATAL(pack_in(dir, pdir, out, &d), 0);
	TU_ASSERT_DIAG_EMPTY(&d);
	sk_problems_release(&d);
	CU_ASSERT_EQUAL_FATAL(stat(out, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0644);
	/* Only the output was added: no temp file is left. */
	CU_ASSERT_EQUAL(tu_count_entries(dir), 2);

	n = read_sup(out, e, 8);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	/* manifest.json first, then payloads in first-use order. */
	CU_ASSERT_STRING_EQUAL(e[0].name, "manifest.json");
	CU_ASSERT_STRING_EQUAL(e[1].name, "sub/cfg.txt");
	CU_ASSERT_STRING_EQUAL(e[2].name, "fw.bin");
	CU_ASSERT_STRING_EQUAL(e[3].name, "big.bin");
	for (int i = 0; i < n; i++)
		assert_header(&e[i], 0);
	CU_ASSERT_EQUAL(e[1].size, 10);
	CU_ASSERT_STRING_EQUAL((char *)e[1].data, "key=value\n");
	CU_ASSERT_EQUAL(e[2].size, 9);
	CU_ASSERT_STRING_EQUAL((char *)e[2].data, "firmware\n");
	CU_ASSERT_EQUAL_FATAL(e[3].size, BIG_LEN);
	CU_ASSERT(memcmp(e[3].data, big, BIG_LEN) == 0);

	h = sk_sha256_new();
	sk_sha256_update(h, big, BIG_LEN);
	sk_sha256_final_hex(h, big_sha);
	sk_sha256_reset(h);
	sk_sha256_update(h, "key=value\n", 10);
	sk_sha256_final_hex(h, cfg_sha);
	sk_sha256_free(h);

	/* The manifest in the SUP: the input, key order kept, with the
	 * filled table where "payloads" goes and a trailing newline. */
	{
		char *want;

		if (asprintf(&want,
			     "{\n"
			     "  \"sup_format\": 1,\n"
			     "  \"package\": {\n"
			     "    \"name\": \"demo\",\n"
			     "    \"version\": \"1.0\"\n"
			     "  },\n"
			     "  \"x-build\": {\n"
			     "    \"url\": \"https://example.com/a/b\",\n"
			     "    \"n\": 1.50\n"
			     "  },\n"
			     "  \"payloads\": {\n"
			     "    \"sub/cfg.txt\": {\n"
			     "      \"size\": 10,\n"
			     "      \"sha256\": \"%s\"\n"
			     "    },\n"
			     "    \"fw.bin\": {\n"
			     "      \"size\": 9,\n"
			     "      \"sha256\": \"" SHA_FIRMWARE "\"\n"
			     "    },\n"
			     "    \"big.bin\": {\n"
			     "      \"size\": 200003,\n"
			     "      \"sha256\": \"%s\"\n"
			     "    }\n"
			     "  },\n"
			     "  \"actions\": [\n"
			     "    {\n"
			     "      \"id\": \"cfg\",\n"
			     "      \"type\": \"file.install\",\n"
			     "      \"payloads\": [\n"
			     "        \"sub/cfg.txt\"\n"
			     "      ]\n"
			     "    },\n"
			     "    {\n"
			     "      \"id\": \"fw\",\n"
			     "      \"type\": \"file.install\",\n"
			     "      \"params\": {\n"
			     "        \"dest\": \"/opt/fw\"\n"
			     "      },\n"
			     "      \"payloads\": [\n"
			     "        \"fw.bin\",\n"
			     "        \"big.bin\"\n"
			     "      ]\n"
			     "    },\n"
			     "    {\n"
			     "      \"id\": \"again\",\n"
			     "      \"type\": \"exec.script\",\n"
			     "      \"payloads\": [\n"
			     "        \"fw.bin\"\n"
			     "      ],\n"
			     "      \"on_error\": \"continue\"\n"
			     "    }\n"
			     "  ]\n"
			     "}\n",
			     cfg_sha, big_sha) < 0)
			abort();
		CU_ASSERT_STRING_EQUAL(e[0].data, want);
		CU_ASSERT_EQUAL(e[0].size, strlen(want));
		free(want);
	}

	/* And it reads back as a valid manifest with those values. */
	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_manifest_parse(&m, (char *)e[0].data,
						e[0].size, NULL, 0, &d),
			      0);
	CU_ASSERT_EQUAL_FATAL(m.n_payloads, 3);
	CU_ASSERT_STRING_EQUAL(m.payloads[1].name, "fw.bin");
	CU_ASSERT_STRING_EQUAL(m.payloads[1].sha256, SHA_FIRMWARE);
	CU_ASSERT_EQUAL(m.payloads[2].size, BIG_LEN);
	CU_ASSERT_STRING_EQUAL(m.payloads[2].sha256, big_sha);
	sk_manifest_release(&m);
	sk_problems_release(&d);
	free_entries(e, n);
	free(out);
	free(dir);
}

/* The header block is plain ustar: no pax records for short names. */
static void test_pack_ustar(void)
{
	char *dir = workdir("ustar", manifest_text);
	char *out = tu_path(dir, "x.sup");
	struct sk_problems d;
	unsigned char *raw;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(pack_in(dir, pdir, out, &d), 0);
	sk_problems_release(&d);
	raw = (unsigned char *)tu_read_file(out, &len);
	CU_ASSERT_FATAL(raw != NULL && len > 1024);
	CU_ASSERT(len % 512 == 0);
	CU_ASSERT(memcmp(raw, "manifest.json\0", 14) == 0);
	CU_ASSERT(memcmp(raw + 257, "ustar\0" "00", 8) == 0);
	/* uname and gname fields empty. */
	CU_ASSERT_EQUAL(raw[265], 0);
	CU_ASSERT_EQUAL(raw[297], 0);
	/* Two zero blocks end the archive, and nothing pads after them. */
	for (size_t i = len - 1024; i < len; i++)
		if (raw[i]) {
			CU_FAIL("non-zero byte in the end-of-archive blocks");
			break;
		}
	free(raw);
	free(out);
	free(dir);
}

static void test_pack_deterministic(void)
{
	char *dir = workdir("det", manifest_text);
	char *out1 = tu_path(dir, "1.sup"), *out2 = tu_path(dir, "2.sup");
	char *out3 = tu_path(dir, "3.sup"), *out4 = tu_path(dir, "4.sup");
	char *fw = tu_path(pdir, "fw.bin");
	struct timespec times[2] = { { 1000, 0 }, { 2000, 0 } };
	char *a, *b;
	size_t alen, blen;
	struct entry e[8];
	struct sk_problems d;
	int n;

	CU_ASSERT_EQUAL_FATAL(pack_in(dir, pdir, out1, &d), 0);
	sk_problems_release(&d);
	/* Payload file times and the clock do not matter. */
	CU_ASSERT_EQUAL(utimensat(AT_FDCWD, fw, times, 0), 0);
	sleep(1);
	CU_ASSERT_EQUAL_FATAL(pack_in(dir, pdir, out2, &d), 0);
	sk_problems_release(&d);
	a = tu_read_file(out1, &alen);
	b = tu_read_file(out2, &blen);
	CU_ASSERT_FATAL(a && b);
	CU_ASSERT_EQUAL(alen, blen);
	CU_ASSERT(alen == blen && memcmp(a, b, alen) == 0);
	free(b);

	/* SOURCE_DATE_EPOCH sets every mtime, again reproducibly. */
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	CU_ASSERT_EQUAL_FATAL(pack_in(dir, pdir, out3, &d), 0);
	sk_problems_release(&d);
	CU_ASSERT_EQUAL_FATAL(pack_in(dir, pdir, out4, &d), 0);
	sk_problems_release(&d);
	unsetenv("SOURCE_DATE_EPOCH");
	n = read_sup(out3, e, 8);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	for (int i = 0; i < n; i++)
		assert_header(&e[i], 1700000000);
	free_entries(e, n);
	b = tu_read_file(out3, &blen);
	CU_ASSERT(alen != blen || memcmp(a, b, alen) != 0);
	free(a);
	a = tu_read_file(out4, &alen);
	CU_ASSERT(alen == blen && memcmp(a, b, alen) == 0);
	free(a);
	free(b);

	/* An invalid SOURCE_DATE_EPOCH falls back to 0. */
	setenv("SOURCE_DATE_EPOCH", "soon", 1);
	CU_ASSERT_EQUAL_FATAL(pack_in(dir, pdir, out3, &d), 0);
	sk_problems_release(&d);
	unsetenv("SOURCE_DATE_EPOCH");
	a = tu_read_file(out1, &alen);
	b = tu_read_file(out3, &blen);
	CU_ASSERT(alen == blen && memcmp(a, b, alen) == 0);
	free(a);
	free(b);
	free(out1);
	free(out2);
	free(out3);
	free(out4);
	free(fw);
	free(dir);
}

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Names over 100 bytes need a pax header; it must not carry a pid, a
 * time or anything else that changes between runs. */
static void test_pack_long_name(void)
{
	char name[256], *text, *dir, *out1, *out2, *file, *a, *b;
	size_t alen, blen;
	pid_t pid;
	struct entry e[4];
	struct sk_problems d;
	int n;

	memset(name, 'd', 120);
	name[120] = '/';
	memset(name + 121, 'f', 134);
	name[255] = '\0';
	CU_ASSERT_FATAL(sk_payload_name_valid(name, 255));
	if (asprintf(&text,
		     "{\"sup_format\":1,\"package\":{\"name\":\"n\","
		     "\"version\":\"1\"},\"actions\":[{\"id\":\"a\","
		     "\"type\":\"x.y\",\"payloads\":[\"%s\"]}]}",
		     name) < 0)
		abort();
	dir = workdir("long", text);
	file = tu_path(pdir, name);
	CU_ASSERT_EQUAL_FATAL(tu_write_str(file, "long\n"), 0);
	out1 = tu_path(dir, "1.sup");
	out2 = tu_path(dir, "2.sup");
	CU_ASSERT_EQUAL_FATAL(pack_in(dir, pdir, out1, &d), 0);
	sk_problems_release(&d);
	n = read_sup(out1, e, 4);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(e[1].name, name);
	CU_ASSERT_STRING_EQUAL((char *)e[1].data, "long\n");
	assert_header(&e[1], 0);
	free_entries(e, n);

	sleep(1);
	/* In a child, so that the pid differs too. */
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		struct sk_problems cd;
		int ret = pack_in(dir, pdir, out2, &cd);

		/* Tidy, so that leak checkers stay quiet in the child. */
		sk_problems_release(&cd);
		free(file);
		free(out1);
		free(out2);
		free(text);
		free(dir);
		_exit(ret ? 1 : 0);
	}
	CU_ASSERT_EQUAL(wait_child(pid), 0);
	a = tu_read_file(out1, &alen);
	b = tu_read_file(out2, &blen);
	CU_ASSERT_FATAL(a && b);
	CU_ASSERT(alen == blen && memcmp(a, b, alen) == 0);
	free(a);
	free(b);
	tu_rm_rf(file);
	free(file);
	free(out1);
	free(out2);
	free(text);
	free(dir);
}

/* --- refusals: an error naming the problem, and no output --- */

static void expect_refusal(const char *name, const char *text,
			   const char *payload_dir, const char *msg,
			   unsigned int line)
{
	char *dir = workdir(name, text), *out = tu_path(dir, "out.sup");
	struct sk_problems d;

	CU_assertImplementation(pack_in(dir, payload_dir, out, &d) == -1,
				line, "pack fails", __FILE__, "", CU_FALSE);
	tu_assert_diag(&d, (const char *const[]){ msg, NULL }, __FILE__, line);
	/* Nothing is left: just the manifest in the work directory. */
	CU_assertImplementation(tu_count_entries(dir) == 1, line,
				"no output and no temp file", __FILE__, "",
				CU_FALSE);
	sk_problems_release(&d);
	free(out);
	free(dir);
}
#define EXPECT_REFUSAL(name, text, pd, msg) \
	expect_refusal((name), (text), (pd), (msg), __LINE__)

#define ONE_PAYLOAD(p)                                                 \
	"{\"sup_format\":1,\"package\":{\"name\":\"n\",\"version\":\"1\"}," \
	"\"actions\":[{\"id\":\"a\",\"type\":\"x.y\",\"payloads\":[\"" p  \
	"\"]}]}"

static void test_pack_missing(void)
{
	char *msg;

	if (asprintf(&msg,
		     "payload 'missing.bin': cannot open '%s/missing.bin': No "
		     "such file or directory",
		     pdir) < 0)
		abort();
	EXPECT_REFUSAL("missing", ONE_PAYLOAD("missing.bin"), pdir, msg);
	free(msg);
	if (asprintf(&msg,
		     "payload 'nodir/x.bin': cannot open '%s/nodir/x.bin': No "
		     "such file or directory",
		     pdir) < 0)
		abort();
	EXPECT_REFUSAL("missing2", ONE_PAYLOAD("nodir/x.bin"), pdir, msg);
	free(msg);
}

static void test_pack_symlink(void)
{
	char *link = tu_path(pdir, "link.bin"), *dlink = tu_path(pdir, "dl");
	char *msg;

	CU_ASSERT_EQUAL_FATAL(symlink("fw.bin", link), 0);
	CU_ASSERT_EQUAL_FATAL(symlink("sub", dlink), 0);
	if (asprintf(&msg, "payload 'link.bin': '%s/link.bin' is a symbolic "
			   "link",
		     pdir) < 0)
		abort();
	EXPECT_REFUSAL("symlink", ONE_PAYLOAD("link.bin"), pdir, msg);
	free(msg);
	/* A link on the way to the file is refused too. */
	if (asprintf(&msg, "payload 'dl/cfg.txt': '%s/dl' is a symbolic link",
		     pdir) < 0)
		abort();
	EXPECT_REFUSAL("symlink2", ONE_PAYLOAD("dl/cfg.txt"), pdir, msg);
	free(msg);
	unlink(link);
	unlink(dlink);
	free(link);
	free(dlink);
}

static void test_pack_not_regular(void)
{
	char *fifo = tu_path(pdir, "fifo"), *msg;

	if (asprintf(&msg, "payload 'sub': '%s/sub' is not a regular file",
		     pdir) < 0)
		abort();
	EXPECT_REFUSAL("notreg", ONE_PAYLOAD("sub"), pdir, msg);
	free(msg);
	/* A FIFO is refused without hanging on the open. */
	CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
	if (asprintf(&msg, "payload 'fifo': '%s/fifo' is not a regular file",
		     pdir) < 0)
		abort();
	EXPECT_REFUSAL("fifo", ONE_PAYLOAD("fifo"), pdir, msg);
	free(msg);
	unlink(fifo);
	free(fifo);
}

#define DECLARED(size, sha)                                               \
	"{\"sup_format\":1,\"package\":{\"name\":\"n\",\"version\":\"1\"}," \
	"\"payloads\":{\"fw.bin\":{\"size\":" size ",\"sha256\":\"" sha    \
	"\",\"origin\":\"build 7\"}},\"actions\":[{\"id\":\"a\","           \
	"\"type\":\"x.y\",\"payloads\":[\"fw.bin\"]}]}"

static void test_pack_declared(void)
{
	char *dir, *out;
	struct entry e[4];
	struct sk_problems d;
	int n;

	EXPECT_REFUSAL("wrongsha", DECLARED("9", SHA_ZERO), pdir,
		       "payload 'fw.bin': the file has sha256 " SHA_FIRMWARE
		       ", the manifest says " SHA_ZERO);
	EXPECT_REFUSAL("wrongsize", DECLARED("8", SHA_FIRMWARE), pdir,
		       "payload 'fw.bin': the file has 9 bytes, the manifest "
		       "says 8");

	/* Declared and right: packed, extra fields of the entry kept. */
	dir = workdir("declared", DECLARED("9", SHA_FIRMWARE));
	out = tu_path(dir, "ok.sup");
	CU_ASSERT_EQUAL_FATAL(pack_in(dir, pdir, out, &d), 0);
	sk_problems_release(&d);
	n = read_sup(out, e, 4);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr((char *)e[0].data,
				      "  \"payloads\": {\n"
				      "    \"fw.bin\": {\n"
				      "      \"size\": 9,\n"
				      "      \"sha256\": \"" SHA_FIRMWARE "\",\n"
				      "      \"origin\": \"build 7\"\n"
				      "    }\n"
				      "  },\n"));
	free_entries(e, n);
	free(out);
	free(dir);
}

static void test_pack_bad_manifest(void)
{
	char *m = tu_path(tmp, "nothere.json"), *msg;
	struct sk_pack_opts o = { m, pdir, "/nonexistent/out.sup", NULL, NULL };
	struct sk_problems d;

	/* Manifest problems come from the manifest checks. */
	EXPECT_REFUSAL("badtype",
		       "{\"sup_format\":1,\"package\":{\"name\":\"n\","
		       "\"version\":\"1\"},\"actions\":[{\"id\":\"a\","
		       "\"type\":\"X\",\"payloads\":[\"fw.bin\"]}]}",
		       pdir,
		       "manifest.json: actions[0].type: invalid type 'X', "
		       "expected PLUGIN.VERB of a-z 0-9 _ -");
	EXPECT_REFUSAL("unused",
		       "{\"sup_format\":1,\"package\":{\"name\":\"n\","
		       "\"version\":\"1\"},\"payloads\":{\"fw.bin\":{}},"
		       "\"actions\":[{\"id\":\"a\",\"type\":\"x.y\"}]}",
		       pdir,
		       "manifest.json: payloads.fw.bin: not used by any action");

	sk_problems_init(&d);
	CU_ASSERT_EQUAL(sk_pack(&o, &d), -1);
	if (asprintf(&msg, "cannot open manifest '%s': No such file or "
			   "directory",
		     m) < 0)
		abort();
	TU_ASSERT_DIAG(&d, msg);
	CU_ASSERT_EQUAL(sk_problems_exit_code(&d), 6);
	sk_problems_release(&d);
	free(msg);
	free(m);
}

static void test_pack_bad_paths(void)
{
	char *dir = workdir("paths", ONE_PAYLOAD("fw.bin"));
	char *out = tu_path(dir, "nodir/out.sup"), *nop = tu_path(dir, "nop");
	char *msg, *outdir = tu_path(dir, "nodir");
	struct sk_problems d;

	CU_ASSERT_EQUAL(pack_in(dir, pdir, out, &d), -1);
	if (asprintf(&msg, "cannot create a temporary file in '%s': No such "
			   "file or directory",
		     outdir) < 0)
		abort();
	TU_ASSERT_DIAG(&d, msg);
	sk_problems_release(&d);
	free(msg);

	CU_ASSERT_EQUAL(pack_in(dir, nop, out, &d), -1);
	if (asprintf(&msg, "cannot open payload directory '%s': No such file "
			   "or directory",
		     nop) < 0)
		abort();
	TU_ASSERT_DIAG(&d, msg);
	sk_problems_release(&d);
	free(msg);
	free(out);
	free(outdir);
	free(nop);
	free(dir);
}

/* A failed pack leaves an existing output as it was. */
static void test_pack_keeps_old_output(void)
{
	char *dir = workdir("keep", ONE_PAYLOAD("gone.bin"));
	char *out = tu_path(dir, "out.sup"), *got;
	struct sk_problems d;

	CU_ASSERT_EQUAL_FATAL(tu_write_str(out, "old"), 0);
	CU_ASSERT_EQUAL(pack_in(dir, pdir, out, &d), -1);
	CU_ASSERT_EQUAL(d.count, 1);
	sk_problems_release(&d);
	got = tu_read_file(out, NULL);
	CU_ASSERT_STRING_EQUAL(got, "old");
	CU_ASSERT_EQUAL(tu_count_entries(dir), 2);
	free(got);
	free(out);
	free(dir);
}

/* What pack writes must pass the reader's checks, limits included: a
 * manifest that fits only before the table is filled is refused. */
static void test_pack_revalidates(void)
{
	char *dir = workdir("reval", ONE_PAYLOAD("fw.bin"));
	char *m = tu_path(dir, "manifest.json"), *out = tu_path(dir, "o.sup");
	struct sk_limits lim;
	struct sk_pack_opts o = { m, pdir, out, &lim, NULL };
	struct entry e[2];
	struct sk_problems d;
	size_t full;
	char *msg;
	int n;

	/* The filled manifest's size, from a normal pack. */
	CU_ASSERT_EQUAL_FATAL(pack_in(dir, pdir, out, &d), 0);
	sk_problems_release(&d);
	n = read_sup(out, e, 2);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	full = e[0].size;
	free_entries(e, n);
	unlink(out);

	sk_limits_default(&lim);
	lim.manifest_bytes = full - 1;
	CU_ASSERT(strlen(ONE_PAYLOAD("fw.bin")) < lim.manifest_bytes);
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(sk_pack(&o, &d), -1);
	if (asprintf(&msg, "manifest.json: %zu bytes, the limit is %zu", full,
		     full - 1) < 0)
		abort();
	TU_ASSERT_DIAG(&d, msg);
	CU_ASSERT_FALSE(tu_exists(out));
	sk_problems_release(&d);
	free(msg);
	free(m);
	free(out);
	free(dir);
}

/* Actions without payloads still give a (empty) payloads table. */
static void test_pack_no_payloads(void)
{
	char *dir = workdir("nopay", "{\"sup_format\":1,\"package\":{\"name\":"
				     "\"n\",\"version\":\"1\"},\"actions\":"
				     "[{\"id\":\"a\",\"type\":\"exec.command\"}]}");
	char *out = tu_path(dir, "o.sup");
	struct entry e[2];
	struct sk_problems d;
	int n;

	CU_ASSERT_EQUAL_FATAL(pack_in(dir, pdir, out, &d), 0);
	sk_problems_release(&d);
	n = read_sup(out, e, 2);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(e[0].data, "{\n"
					  "  \"sup_format\": 1,\n"
					  "  \"package\": {\n"
					  "    \"name\": \"n\",\n"
					  "    \"version\": \"1\"\n"
					  "  },\n"
					  "  \"payloads\": {\n"
					  "  },\n"
					  "  \"actions\": [\n"
					  "    {\n"
					  "      \"id\": \"a\",\n"
					  "      \"type\": \"exec.command\"\n"
					  "    }\n"
					  "  ]\n"
					  "}\n");
	free_entries(e, n);
	free(out);
	free(dir);
}

/* --- signing while packing (issue 7) ---------------------------------- */

/* PKI/name, malloc'd; the test PKI comes from CTest ($SUP_TEST_PKI). */
static char *pki_path(const char *name)
{
	const char *pki = getenv("SUP_TEST_PKI");

	CU_ASSERT_PTR_NOT_NULL_FATAL(pki);
	return tu_path(pki, name);
}

/* The PKI signer name (with chain.pem when chain), or a key/cert pair
 * given as paths. */
static struct sk_signer *signer_paths(const char *key, const char *cert,
				      const char *chain)
{
	struct sk_signer *s;
	struct sk_problems d;

	sk_problems_init(&d);
	s = sk_signer_load(key, cert, chain, false, &d);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	sk_problems_release(&d);
	return s;
}

static struct sk_signer *signer(const char *name, bool chain)
{
	char *key = sk_asprintf("%s.key", name), *cert = sk_asprintf("%s.pem", name);
	char *k = pki_path(key), *c = pki_path(cert);
	char *ch = chain ? pki_path("chain.pem") : NULL;
	struct sk_signer *s = signer_paths(k, c, ch);

	free(key);
	free(cert);
	free(k);
	free(c);
	free(ch);
	return s;
}

static int pack_signed(const char *dir, const char *out,
		       const struct sk_signer *s, struct sk_problems *d)
{
	char *m = tu_path(dir, "manifest.json");
	struct sk_pack_opts o = {
		.manifest_path = m,
		.payload_dir = pdir,
		.output = out,
		.limits = NULL,
		.signer = s,
	};
	int ret;

	sk_problems_init(d);
	ret = sk_pack(&o, d);
	free(m);
	return ret;
}

/* A trust policy of the PKI keyring name, made by hand. */
static void trust_of(struct sk_trust *t, const char *name)
{
	char *k = pki_path(name);
	struct sk_problems d;

	memset(t, 0, sizeof(*t));
	sk_problems_init(&d);
	t->keyring = sk_keyring_load(k, NULL, &d);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->keyring);
	sk_problems_release(&d);
	t->params.validity = SK_VALIDITY_AUTO;
	t->params.clock = time(NULL);
	t->params.floor = (time_t)SUPKIT_BUILD_EPOCH;
	free(k);
}

static void test_pack_signed(void)
{
	char *dir = workdir("signed", manifest_text);
	char *out = tu_path(dir, "signed.sup");
	char *plain = tu_path(dir, "plain.sup");
	struct sk_signer *s = signer("signer-ec256", true);
	struct sk_verify_params p = {
		.validity = SK_VALIDITY_AUTO,
		.clock = time(NULL),
		.floor = (time_t)SUPKIT_BUILD_EPOCH,
	};
	struct entry e[8], u[8];
	struct sk_sig_result r;
	struct sk_supfile f;
	struct sk_trust t;
	struct sk_problems d;
	int n, nu;

	CU_ASSERT_EQUAL_FATAL(pack_signed(dir, out, s, &d), 0);
	TU_ASSERT_DIAG_EMPTY(&d);
	sk_problems_release(&d);
	CU_ASSERT_EQUAL_FATAL(pack_in(dir, pdir, plain, &d), 0);
	sk_problems_release(&d);
	/* The output, nothing else (no temp file left). */
	CU_ASSERT_EQUAL(tu_count_entries(dir), 3);

	n = read_sup(out, e, 8);
	CU_ASSERT_EQUAL_FATAL(n, 5);
	CU_ASSERT_STRING_EQUAL(e[0].name, "manifest.json");
	CU_ASSERT_STRING_EQUAL(e[1].name, "manifest.sig");
	CU_ASSERT_STRING_EQUAL(e[2].name, "sub/cfg.txt");
	CU_ASSERT_STRING_EQUAL(e[3].name, "fw.bin");
	CU_ASSERT_STRING_EQUAL(e[4].name, "big.bin");
	for (int i = 0; i < n; i++)
		assert_header(&e[i], 0);
	/* The manifest is the one an unsigned pack writes. */
	nu = read_sup(plain, u, 8);
	CU_ASSERT_EQUAL_FATAL(nu, 4);
	CU_ASSERT_EQUAL_FATAL(e[0].size, u[0].size);
	CU_ASSERT(memcmp(e[0].data, u[0].data, e[0].size) == 0);
	CU_ASSERT(e[1].size > 0 && e[1].size <= SK_SIGNATURE_MAX_BYTES);

	/* The signature is over manifest.json, by the signer. */
	trust_of(&t, "keyring.pem");
	CU_ASSERT_EQUAL(sk_signature_verify(t.keyring, e[0].data, e[0].size,
					    e[1].data, e[1].size, &p, &r),
			0);
	CU_ASSERT_EQUAL(r.status, SK_SIG_OK);
	CU_ASSERT_STRING_EQUAL(r.signer.subject, "CN=supkit test signer EC256");
	sk_sig_result_release(&r);

	/* The reader takes it as a trusted, verified package. */
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(sk_supfile_open(&f, out, NULL, &t, 0, NULL, &d), 0);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_TRUE(f.has_signature);
	CU_ASSERT_TRUE(f.trusted);
	CU_ASSERT_TRUE(f.verified);
	CU_ASSERT_EQUAL(f.sig_result.status, SK_SIG_OK);
	sk_supfile_close(&f);
	sk_problems_release(&d);
	/* Not by a keyring of other anchors. */
	sk_keyring_free(t.keyring);
	trust_of(&t, "keyring-both.pem");
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(sk_supfile_open(&f, out, NULL, &t, 0, NULL, &d), -1);
	CU_ASSERT_EQUAL(d.count, 1);
	CU_ASSERT_FALSE(f.verified);
	CU_ASSERT_EQUAL(f.sig_result.status, SK_SIG_UNTRUSTED);
	sk_supfile_close(&f);
	sk_problems_release(&d);
	sk_keyring_free(t.keyring);

	free_entries(e, n);
	free_entries(u, nu);
	sk_signer_free(s);
	free(plain);
	free(out);
	free(dir);
}

/* With RSA PKCS#1 v1.5 and SOURCE_DATE_EPOCH, a signed pack is
 * byte-identical; the signing time is SOURCE_DATE_EPOCH (clamped up to
 * the certificate's notBefore). */
static void test_pack_signed_deterministic(void)
{
	char *dir = workdir("signed-det", manifest_text);
	char *a = tu_path(dir, "a.sup"), *b = tu_path(dir, "b.sup");
	struct sk_signer *s = signer("signer-rsa", true);
	time_t nb = sk_signer_cert(s)->not_before;
	char *da, *db, sde[32];
	size_t la, lb;
	struct entry e[8];
	struct sk_sig_result r;
	struct sk_problems d;
	int n;

	snprintf(sde, sizeof(sde), "%lld", (long long)nb + 86400);
	setenv("SOURCE_DATE_EPOCH", sde, 1);
	CU_ASSERT_EQUAL_FATAL(pack_signed(dir, a, s, &d), 0);
	sk_problems_release(&d);
	CU_ASSERT_EQUAL_FATAL(pack_signed(dir, b, s, &d), 0);
	sk_problems_release(&d);
	da = tu_read_file(a, &la);
	db = tu_read_file(b, &lb);
	CU_ASSERT_FATAL(da && db);
	CU_ASSERT_EQUAL(la, lb);
	CU_ASSERT(la == lb && memcmp(da, db, la) == 0);
	n = read_sup(a, e, 8);
	CU_ASSERT_EQUAL_FATAL(n, 5);
	assert_header(&e[1], (long long)nb + 86400);
	CU_ASSERT_EQUAL(sk_signature_describe(e[1].data, e[1].size, &r), 0);
	CU_ASSERT_EQUAL(r.signing_time, nb + 86400);
	sk_sig_result_release(&r);
	free_entries(e, n);
	free(da);
	free(db);

	/* SOURCE_DATE_EPOCH before notBefore: notBefore. */
	setenv("SOURCE_DATE_EPOCH", "0", 1);
	CU_ASSERT_EQUAL_FATAL(pack_signed(dir, a, s, &d), 0);
	sk_problems_release(&d);
	n = read_sup(a, e, 8);
	CU_ASSERT_EQUAL_FATAL(n, 5);
	assert_header(&e[1], 0);
	CU_ASSERT_EQUAL(sk_signature_describe(e[1].data, e[1].size, &r), 0);
	CU_ASSERT_EQUAL(r.signing_time, nb);
	sk_sig_result_release(&r);
	free_entries(e, n);
	unsetenv("SOURCE_DATE_EPOCH");

	sk_signer_free(s);
	free(a);
	free(b);
	free(dir);
}

/* A signature that cannot be made (a chain making it larger than
 * manifest.sig may be): no output, no temp file, an old output kept. */
static void test_pack_sign_failure(void)
{
	char *dir = workdir("sign-fail", manifest_text);
	char *out = tu_path(dir, "out.sup"), *old = tu_path(dir, "old.sup");
	char *fat_key = tu_path(dir, "fat.key"), *fat = tu_path(dir, "fat.pem");
	char *key = pki_path("signer-ec256.key");
	char *cert = pki_path("signer-ec256.pem");
	char *cmd, *got;
	struct sk_signer *s;
	struct sk_problems d;
	const char *prefix;

	/* One certificate of 70 kB: its nsComment. */
	cmd = sk_asprintf("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout '%s' -out '%s' -days 2 -subj /CN=fat -addext \"nsComment=$(head -c 70000 /dev/zero | tr '\\0' a)\" >/dev/null 2>&1",
			  fat_key, fat);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	free(cmd);
	unlink(fat_key);
	s = signer_paths(key, cert, fat);

	CU_ASSERT_EQUAL(pack_signed(dir, out, s, &d), -1);
	CU_ASSERT_EQUAL_FATAL(d.count, 1);
	CU_ASSERT_EQUAL(d.items[0].cls, SK_PROBLEM_SETUP);
	cmd = sk_asprintf("cannot sign '%s': signature of ", out);
	CU_ASSERT_NSTRING_EQUAL(d.items[0].msg, cmd, strlen(cmd));
	prefix = " bytes exceeds the 65536-byte limit (too many chain certificates?)";
	CU_ASSERT(strlen(d.items[0].msg) > strlen(prefix) &&
		  strcmp(d.items[0].msg + strlen(d.items[0].msg) -
				 strlen(prefix),
			 prefix) == 0);
	free(cmd);
	sk_problems_release(&d);
	CU_ASSERT_FALSE(tu_exists(out));
	/* manifest.json and fat.pem only. */
	CU_ASSERT_EQUAL(tu_count_entries(dir), 2);

	CU_ASSERT_EQUAL_FATAL(tu_write_str(old, "old"), 0);
	CU_ASSERT_EQUAL(pack_signed(dir, old, s, &d), -1);
	sk_problems_release(&d);
	got = tu_read_file(old, NULL);
	CU_ASSERT_STRING_EQUAL(got, "old");
	CU_ASSERT_EQUAL(tu_count_entries(dir), 3);
	free(got);

	sk_signer_free(s);
	free(key);
	free(cert);
	free(fat);
	free(fat_key);
	free(old);
	free(out);
	free(dir);
}

static CU_TestInfo pack_tests[] = {
	{ "layout", test_pack_layout },
	{ "ustar", test_pack_ustar },
	{ "deterministic", test_pack_deterministic },
	{ "long name", test_pack_long_name },
	{ "missing payload", test_pack_missing },
	{ "symlink payload", test_pack_symlink },
	{ "not a regular file", test_pack_not_regular },
	{ "declared size and sha256", test_pack_declared },
	{ "bad manifest", test_pack_bad_manifest },
	{ "bad paths", test_pack_bad_paths },
	{ "old output kept", test_pack_keeps_old_output },
	{ "revalidates", test_pack_revalidates },
	{ "no payloads", test_pack_no_payloads },
	{ "signed", test_pack_signed },
	{ "signed, deterministic", test_pack_signed_deterministic },
	{ "signing failure", test_pack_sign_failure },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "pack", suite_init, suite_clean, NULL, NULL, pack_tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	if (tu_init() || CU_register_suites(suites) != CUE_SUCCESS)
		return tu_abort();
	return tu_run();
}
