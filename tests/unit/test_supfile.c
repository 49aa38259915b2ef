/* SPDX-License-Identifier: MIT */
/*
 * test_supfile.c - the SUP reader: verification pass and payload streams.
 *
 * SUP files are built here with libarchive's pax writer, so that every
 * malformed layout can be produced on purpose. Messages are asserted
 * exactly (see supfile.c); they are what users see after "sup: error: ".
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <archive.h>
#include <archive_entry.h>

#include "base/hash.h"
#include "base/problems.h"
#include "base/util.h"
#include "package/manifest.h"
#include "package/supfile.h"
#include "testutil.h"

static char *tmp;
static struct sk_limits lim_default;

static int suite_init(void)
{
	sk_limits_default(&lim_default);
	tmp = tu_mkdtemp();
	return tmp ? 0 : -1;
}

static int suite_clean(void)
{
	int ret = tu_rm_rf(tmp);

	free(tmp);
	return ret;
}

/* --- building SUP files ----------------------------------------------- */

enum kind { K_FILE, K_SYMLINK, K_HARDLINK, K_DIR };

enum filter { F_NONE, F_GZIP, F_XZ, F_ZSTD };

/* Fill buf with n bytes of generated data starting at offset off. */
typedef void (*gen_fn)(unsigned char *buf, uint64_t off, size_t n);

struct ent {
	const char *name;
	const void *data; /* K_FILE: len bytes (or gen) */
	size_t len;
	enum kind kind;
	const char *link; /* K_SYMLINK, K_HARDLINK */
	gen_fn gen;	  /* K_FILE: data made on the fly, len bytes */
	uint64_t gen_len;
};

static void write_sup(const char *path, enum filter f, const struct ent *e,
		      size_t n)
{
	struct archive *a = archive_write_new();
	unsigned char *chunk = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL_FATAL(archive_write_set_format_pax(a), ARCHIVE_OK);
	switch (f) {
	case F_NONE:
		break;
	case F_GZIP:
		CU_ASSERT_EQUAL_FATAL(archive_write_add_filter_gzip(a),
				      ARCHIVE_OK);
		break;
	case F_XZ:
		CU_ASSERT_EQUAL_FATAL(archive_write_add_filter_xz(a),
				      ARCHIVE_OK);
		break;
	case F_ZSTD:
		CU_ASSERT_EQUAL_FATAL(archive_write_add_filter_zstd(a),
				      ARCHIVE_OK);
		break;
	}
	CU_ASSERT_EQUAL_FATAL(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();
		uint64_t size = e[i].gen ? e[i].gen_len : e[i].len;

		CU_ASSERT_PTR_NOT_NULL_FATAL(ae);
		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_mtime(ae, 0, 0);
		switch (e[i].kind) {
		case K_FILE:
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_perm(ae, 0644);
			archive_entry_set_size(ae, (la_int64_t)size);
			break;
		case K_SYMLINK:
			archive_entry_set_filetype(ae, AE_IFLNK);
			archive_entry_set_perm(ae, 0777);
			archive_entry_set_symlink(ae, e[i].link);
			break;
		case K_HARDLINK:
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_perm(ae, 0644);
			archive_entry_set_hardlink(ae, e[i].link);
			archive_entry_set_size(ae, 0);
			break;
		case K_DIR:
			archive_entry_set_filetype(ae, AE_IFDIR);
			archive_entry_set_perm(ae, 0755);
			break;
		}
		CU_ASSERT_EQUAL_FATAL(archive_write_header(a, ae), ARCHIVE_OK);
		if (e[i].kind == K_FILE && e[i].gen) {
			const size_t step = 1 << 20;

			if (!chunk)
				chunk = malloc(step);
			CU_ASSERT_PTR_NOT_NULL_FATAL(chunk);
			for (uint64_t off = 0; off < size; off += step) {
				size_t m = size - off < step ?
						   (size_t)(size - off) : step;

				e[i].gen(chunk, off, m);
				CU_ASSERT_EQUAL_FATAL(archive_write_data(a,
						chunk, m), (la_ssize_t)m);
			}
		} else if (e[i].kind == K_FILE && e[i].len) {
			CU_ASSERT_EQUAL_FATAL(archive_write_data(a, e[i].data,
								 e[i].len),
					      (la_ssize_t)e[i].len);
		}
		archive_entry_free(ae);
	}
	free(chunk);
	CU_ASSERT_EQUAL_FATAL(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

static void sha_of(const void *data, size_t len, char hex[65])
{
	struct sk_sha256 *h = sk_sha256_new();

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	sk_sha256_update(h, data, len);
	sk_sha256_final_hex(h, hex);
	sk_sha256_free(h);
}

/* "NAME":{"size":SIZE,"sha256":"HEX"} */
static char *decl(const char *name, unsigned long long size, const char *hex)
{
	char *s = sk_asprintf("\"%s\":{\"size\":%llu,\"sha256\":\"%s\"}", name,
			      size, hex);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

static char *manifest(const char *payloads, const char *actions)
{
	char *s = sk_asprintf("{\"sup_format\":1,"
			      "\"package\":{\"name\":\"t\",\"version\":\"1\"},"
			      "\"payloads\":{%s},\"actions\":[%s]}",
			      payloads, actions);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

static struct ent file_ent(const char *name, const void *data, size_t len)
{
	struct ent e = { .name = name, .data = data, .len = len };

	return e;
}

/* The two payloads of most tests. */
static const char A[] = "alpha payload: the first one the actions use\n";
static const char B[] = "bravo\n";
#define LA (sizeof(A) - 1)
#define LB (sizeof(B) - 1)
static const char two_actions[] =
	"{\"id\":\"one\",\"type\":\"fixture.payload\",\"payloads\":[\"a.bin\"]},"
	"{\"id\":\"two\",\"type\":\"fixture.payload\","
	"\"payloads\":[\"dir/b.txt\",\"a.bin\"]}";

/* The manifest of a.bin and dir/b.txt, sizes and hashes as given (NULL:
 * the real ones). */
static char *manifest_ab(const unsigned long long *size_a, const char *sha_a,
			 const unsigned long long *size_b, const char *sha_b)
{
	char ha[65], hb[65];
	char *da, *db, *both, *m;

	sha_of(A, LA, ha);
	sha_of(B, LB, hb);
	da = decl("a.bin", size_a ? *size_a : LA, sha_a ? sha_a : ha);
	db = decl("dir/b.txt", size_b ? *size_b : LB, sha_b ? sha_b : hb);
	both = sk_asprintf("%s,%s", da, db);
	CU_ASSERT_PTR_NOT_NULL_FATAL(both);
	m = manifest(both, two_actions);
	free(da);
	free(db);
	free(both);
	return m;
}

/* tmp/name, malloc'd. */
static char *sup_path(const char *name)
{
	return tu_path(tmp, name);
}

/* Open path, expecting failure with exactly the problems given (each
 * prefixed "PATH: "), all of class PACKAGE. */
#define EXPECT_BAD(path, manifest_ok, ...)                                   \
	expect_bad((path), (manifest_ok),                                    \
		   (const char *const[]){ __VA_ARGS__, NULL })

/* Flags of sk_supfile_open() in expect_bad() and expect_good(): the
 * placement tests below carry signature bytes that are not signatures,
 * and look at where they are, not at what they hold (SK_SUPFILE_NO_SIG). */
static unsigned int open_flags;

static void expect_bad(const char *path, bool manifest_ok,
		       const char *const *msgs)
{
	struct sk_supfile f;
	struct sk_problems d;
	char *want[8] = { 0 };
	size_t n = 0;

	while (msgs[n])
		n++;
	CU_ASSERT_FATAL(n <= 7);
	for (size_t i = 0; i < n; i++) {
		want[i] = sk_asprintf("%s: %s", path, msgs[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(want[i]);
	}
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(sk_supfile_open(&f, path, &lim_default, NULL,
					open_flags, NULL, &d), -1);
	CU_ASSERT_FALSE(f.verified);
	CU_ASSERT_EQUAL(f.manifest_ok, manifest_ok);
	CU_ASSERT_STRING_EQUAL(f.sha256, "");
	tu_assert_diag(&d, (const char *const *)want, __FILE__, __LINE__);
	for (size_t i = 0; i < d.count; i++)
		CU_ASSERT_EQUAL(d.items[i].cls, SK_PROBLEM_PACKAGE);
	sk_supfile_close(&f);
	sk_problems_release(&d);
	for (size_t i = 0; i < n; i++)
		free(want[i]);
}

/* Open a sound file and check what the verification pass recorded. */
static void expect_good(const char *path, struct sk_supfile *f)
{
	char hex[65];
	unsigned long long size = 0;
	struct sk_problems d;
	struct stat st;

	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_supfile_open(f, path, &lim_default, NULL,
					      open_flags, NULL, &d), 0);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_TRUE(f->verified);
	CU_ASSERT_TRUE(f->manifest_ok);
	CU_ASSERT_EQUAL_FATAL(sk_sha256_file(path, hex, &size), 0);
	CU_ASSERT_STRING_EQUAL(f->sha256, hex);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(f->file_size, (unsigned long long)st.st_size);
	CU_ASSERT_EQUAL(size, f->file_size);
	CU_ASSERT_STRING_EQUAL(f->path, path);
	sk_problems_release(&d);
}

/* The usual two-payload package, in the right order. */
static char *good_ab(const char *name, enum filter flt)
{
	char *path = sup_path(name);
	char *m = manifest_ab(NULL, NULL, NULL, NULL);
	struct ent e[] = {
		file_ent("manifest.json", m, strlen(m)),
		file_ent("a.bin", A, LA),
		file_ent("dir/b.txt", B, LB),
	};

	write_sup(path, flt, e, 3);
	free(m);
	return path;
}

/* --- sound packages --------------------------------------------------- */

/* Regression (found by fuzz_supfile): a package whose second payload
 * header has a numeric field libarchive reads leniently passed the
 * verification pass, then its stream, opened at that header, was refused
 * by format detection ("Unrecognized archive format"). Every payload of a
 * verified package streams. */
static void test_stream_lenient_header(void)
{
	const char *src = getenv("SUP_SOURCE_DIR");
	char *path = sk_asprintf("%s/tests/data/regress/stream-rebids-tar-header.sup",
				 src ? src : ".");
	unsigned char buf[4096];
	struct sk_supfile f;
	struct sk_problems d;

	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_supfile_open(&f, path, &lim_default, NULL,
					      SK_SUPFILE_NO_SIG, NULL, &d),
			      0);
	CU_ASSERT_FATAL(f.manifest.n_payloads >= 2);
	for (size_t i = 0; i < f.manifest.n_payloads; i++) {
		struct sk_payload_stream *st = NULL;
		char *err = NULL;
		int64_t n;

		CU_ASSERT_EQUAL(sk_payload_stream_open(&f, i, &st, &err), 0);
		if (err)
			fprintf(stderr, "\n    payload %zu: %s ", i, err);
		free(err);
		err = NULL;
		if (!st)
			continue;
		do
			n = sk_payload_stream_read(st, buf, sizeof(buf), &err);
		while (n > 0);
		CU_ASSERT_EQUAL(n, 0);
		free(err);
		sk_payload_stream_close(st);
	}
	sk_supfile_close(&f);
	sk_problems_release(&d);
	free(path);
}

/* Regression: bytes after a plain archive's end were ignored, though other
 * tar readers take them for more entries; zero padding is fine. */
static void test_data_after_end(void)
{
	char *path = good_ab("after-end.sup", F_NONE);
	static const char zeros[4096];
	struct sk_supfile f;
	FILE *fp;

	fp = fopen(path, "ab");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	CU_ASSERT_EQUAL(fwrite(zeros, 1, sizeof(zeros), fp), sizeof(zeros));
	fclose(fp);
	expect_good(path, &f);
	sk_supfile_close(&f);
	fp = fopen(path, "ab");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	CU_ASSERT_EQUAL(fwrite("x", 1, 1, fp), 1);
	fclose(fp);
	EXPECT_BAD(path, true, "data after the end of the archive");
	free(path);
}

static void good_with(const char *name, enum filter flt)
{
	char *path = good_ab(name, flt);
	struct sk_supfile f;

	expect_good(path, &f);
	CU_ASSERT_FALSE(f.has_signature);
	CU_ASSERT_EQUAL_FATAL(f.manifest.n_payloads, 2);
	CU_ASSERT_STRING_EQUAL(f.manifest.payloads[0].name, "a.bin");
	CU_ASSERT_STRING_EQUAL(f.manifest.payloads[1].name, "dir/b.txt");
	CU_ASSERT_EQUAL(f.manifest.payloads[0].size, LA);
	CU_ASSERT_EQUAL(f.rank[0], 0);
	CU_ASSERT_EQUAL(f.rank[1], 1);
	CU_ASSERT_EQUAL(f.manifest.n_actions, 2);
	sk_supfile_close(&f);
	CU_ASSERT_EQUAL(f.fd, -1);
	free(path);
}

static void test_good(void)
{
	good_with("good.sup", F_NONE);
}

static void test_good_gzip(void)
{
	good_with("good.sup.gz", F_GZIP);
}

static void test_good_xz(void)
{
	good_with("good.sup.xz", F_XZ);
}

static void test_good_zstd(void)
{
	good_with("good.sup.zst", F_ZSTD);
}

/* Payloads of size 0 and a package without payloads. */
static void test_good_empty_payloads(void)
{
	char *path = sup_path("empty-payload.sup");
	char h0[65], *d, *m;
	struct sk_supfile f;
	struct ent e[2];

	sha_of("", 0, h0);
	d = decl("zero", 0, h0);
	m = manifest(d, "{\"id\":\"z\",\"type\":\"fixture.payload\","
			"\"payloads\":[\"zero\"]}");
	e[0] = file_ent("manifest.json", m, strlen(m));
	e[1] = file_ent("zero", "", 0);
	write_sup(path, F_NONE, e, 2);
	expect_good(path, &f);
	sk_supfile_close(&f);
	free(m);
	free(d);

	m = manifest("", "{\"id\":\"only\",\"type\":\"fixture.ok\"}");
	e[0] = file_ent("manifest.json", m, strlen(m));
	write_sup(path, F_NONE, e, 1);
	expect_good(path, &f);
	CU_ASSERT_EQUAL(f.manifest.n_payloads, 0);
	sk_supfile_close(&f);
	free(m);
	free(path);
}

/* manifest.sig as entry 2 is accepted (reserved for signing). */
static void test_signature_second(void)
{
	char *path = sup_path("sig2.sup");
	char *m = manifest_ab(NULL, NULL, NULL, NULL);
	struct ent e[] = {
		file_ent("manifest.json", m, strlen(m)),
		file_ent("manifest.sig", "signature bytes", 15),
		file_ent("a.bin", A, LA),
		file_ent("dir/b.txt", B, LB),
	};
	struct sk_supfile f;

	struct sk_problems d;

	write_sup(path, F_NONE, e, 4);
	open_flags = SK_SUPFILE_NO_SIG;
	expect_good(path, &f);
	open_flags = 0;
	CU_ASSERT_TRUE(f.has_signature);
	CU_ASSERT_EQUAL(f.sig_len, 15);
	sk_supfile_close(&f);
	/* Looked at, bytes that are not a signature make the package
	 * malformed: nothing after them is parsed. */
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(sk_supfile_open(&f, path, &lim_default, NULL,
					0, NULL, &d),
			-1);
	CU_ASSERT_FALSE(f.manifest_ok);
	CU_ASSERT_EQUAL(d.count, 1);
	if (d.count)
		CU_ASSERT_PTR_NOT_NULL(strstr(d.items[0].msg,
					      "signature is not a DER CMS structure"));
	sk_supfile_close(&f);
	sk_problems_release(&d);
	free(m);
	free(path);
}

/* --- malformed packages ----------------------------------------------- */

static void test_cannot_open(void)
{
	char *path = sup_path("missing.sup");
	char *want = sk_asprintf("cannot open '%s': No such file or directory",
				 path);
	char *want_dir = sk_asprintf("'%s' is not a regular file", tmp);
	struct sk_supfile f;
	struct sk_problems d;

	sk_problems_init(&d);
	CU_ASSERT_EQUAL(sk_supfile_open(&f, path, &lim_default, NULL,
					0, NULL, &d), -1);
	TU_ASSERT_DIAG(&d, want);
	sk_supfile_close(&f);
	sk_problems_release(&d);
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(sk_supfile_open(&f, tmp, &lim_default, NULL,
					0, NULL, &d), -1);
	TU_ASSERT_DIAG(&d, want_dir);
	sk_supfile_close(&f);
	sk_problems_release(&d);
	free(want);
	free(want_dir);
	free(path);
	/* Regression: a FIFO is refused at once; it blocked the open (and
	 * with it inspect, install and a resume at boot). */
	path = sup_path("fifo.sup");
	want = sk_asprintf("'%s' is not a regular file", path);
	CU_ASSERT_EQUAL_FATAL(mkfifo(path, 0600), 0);
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(sk_supfile_open(&f, path, &lim_default, NULL,
					0, NULL, &d),
			-1);
	TU_ASSERT_DIAG(&d, want);
	sk_supfile_close(&f);
	sk_problems_release(&d);
	unlink(path);
	free(want);
	free(path);
}

static void test_empty_file(void)
{
	char *path = sup_path("empty.sup");

	/* Not even the end-of-archive blocks: libarchive finds no format. */
	CU_ASSERT_EQUAL_FATAL(tu_write_file(path, "", 0), 0);
	EXPECT_BAD(path, false,
		   "not a SUP file: Unrecognized archive format");
	free(path);
}

/* An archive of no entries at all (just the end-of-archive blocks). */
static void test_no_entries(void)
{
	char *path = sup_path("no-entries.sup");

	write_sup(path, F_NONE, NULL, 0);
	EXPECT_BAD(path, false, "empty archive, expected manifest.json first");
	free(path);
}

static void test_not_an_archive(void)
{
	char *path = sup_path("text.sup");
	char junk[2048];

	memset(junk, 'j', sizeof(junk));
	CU_ASSERT_EQUAL_FATAL(tu_write_file(path, junk, sizeof(junk)), 0);
	EXPECT_BAD(path, false,
		   "not a SUP file: Unrecognized archive format");
	free(path);
}

static void test_first_not_manifest(void)
{
	char *path = sup_path("first.sup");
	char *m = manifest_ab(NULL, NULL, NULL, NULL);
	struct ent e[] = {
		file_ent("a.bin", A, LA),
		file_ent("manifest.json", m, strlen(m)),
		file_ent("dir/b.txt", B, LB),
	};
	struct ent e2[] = {
		file_ent("./manifest.json", m, strlen(m)),
		file_ent("a.bin", A, LA),
		file_ent("dir/b.txt", B, LB),
	};
	struct ent e3[] = {
		file_ent("evil\x1b[2J\\name", "x", 1),
	};

	write_sup(path, F_NONE, e, 3);
	EXPECT_BAD(path, false,
		   "first entry is 'a.bin', expected manifest.json");
	write_sup(path, F_NONE, e2, 3);
	EXPECT_BAD(path, false,
		   "first entry is './manifest.json', expected manifest.json");
	/* A hostile name is shown escaped. */
	write_sup(path, F_NONE, e3, 1);
	EXPECT_BAD(path, false,
		   "first entry is 'evil\\x1b[2J\\x5cname', expected manifest.json");
	free(m);
	free(path);
}

static void test_manifest_not_file(void)
{
	char *path = sup_path("manifest-link.sup");
	struct ent e[] = {
		{ .name = "manifest.json", .kind = K_SYMLINK,
		  .link = "/etc/passwd" },
	};

	write_sup(path, F_NONE, e, 1);
	EXPECT_BAD(path, false, "manifest.json is not a regular file");
	free(path);
}

static void test_manifest_too_big(void)
{
	char *path = sup_path("big-manifest.sup");
	char *m = manifest_ab(NULL, NULL, NULL, NULL);
	size_t mlen = strlen(m), big = (1u << 20) + 1;
	char *padded = malloc(big);
	struct ent e[] = {
		file_ent("manifest.json", padded, big),
		file_ent("a.bin", A, LA),
		file_ent("dir/b.txt", B, LB),
	};
	struct sk_limits lim;
	struct sk_supfile f;
	struct sk_problems d;
	char *want;

	CU_ASSERT_PTR_NOT_NULL_FATAL(padded);
	/* Valid JSON followed by white space: only the size is wrong. */
	memcpy(padded, m, mlen);
	memset(padded + mlen, ' ', big - mlen);
	write_sup(path, F_NONE, e, 3);
	EXPECT_BAD(path, false,
		   "manifest.json is 1048577 bytes, the limit is 1048576");

	/* Exactly at the limit is fine. */
	e[0].len = big - 1;
	write_sup(path, F_NONE, e, 3);
	expect_good(path, &f);
	sk_supfile_close(&f);

	/* The limit comes from the caller's limits. */
	sk_limits_default(&lim);
	lim.manifest_bytes = 100;
	e[0].len = mlen;
	write_sup(path, F_NONE, e, 3);
	want = sk_asprintf("%s: manifest.json is %zu bytes, the limit is 100",
			   path, mlen);
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(sk_supfile_open(&f, path, &lim, NULL, 0, NULL, &d), -1);
	TU_ASSERT_DIAG(&d, want);
	sk_supfile_close(&f);
	sk_problems_release(&d);
	free(want);
	free(padded);
	free(m);
	free(path);
}

static void test_manifest_invalid(void)
{
	char *path = sup_path("bad-json.sup");
	struct ent e[] = {
		file_ent("manifest.json", "{\"sup_format\": 1,", 17),
	};
	struct sk_supfile f;
	struct sk_problems d;

	write_sup(path, F_NONE, e, 1);
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(sk_supfile_open(&f, path, &lim_default, NULL,
					0, NULL, &d), -1);
	CU_ASSERT_FALSE(f.manifest_ok);
	CU_ASSERT_FALSE(f.verified);
	CU_ASSERT_FATAL(d.count >= 1);
	CU_ASSERT_NSTRING_EQUAL(d.items[0].msg, "manifest.json: ", 15);
	CU_ASSERT_EQUAL(d.items[0].cls, SK_PROBLEM_PACKAGE);
	sk_supfile_close(&f);
	sk_problems_release(&d);
	free(path);
}

static void test_missing_payload(void)
{
	char *path = sup_path("missing-payload.sup");
	char *m = manifest_ab(NULL, NULL, NULL, NULL);
	struct ent e[] = {
		file_ent("manifest.json", m, strlen(m)),
		file_ent("a.bin", A, LA),
	};

	write_sup(path, F_NONE, e, 2);
	EXPECT_BAD(path, true,
		   "payload 'dir/b.txt' is missing from the archive");
	write_sup(path, F_NONE, e, 1);
	EXPECT_BAD(path, true, "payload 'a.bin' is missing from the archive",
		   "payload 'dir/b.txt' is missing from the archive");
	free(m);
	free(path);
}

static void test_unreferenced_entry(void)
{
	char *path = sup_path("unreferenced.sup");
	char *m = manifest_ab(NULL, NULL, NULL, NULL);
	struct ent e[] = {
		file_ent("manifest.json", m, strlen(m)),
		file_ent("a.bin", A, LA),
		file_ent("junk.txt", "junk", 4),
		file_ent("dir/b.txt", B, LB),
		file_ent("dir/b.txt.orig", B, LB),
	};

	write_sup(path, F_NONE, e, 5);
	EXPECT_BAD(path, true,
		   "archive entry 'junk.txt' is not a payload declared in the manifest",
		   "archive entry 'dir/b.txt.orig' is not a payload declared in the manifest");
	free(m);
	free(path);
}

static void test_duplicate_entry(void)
{
	char *path = sup_path("duplicate.sup");
	char *m = manifest_ab(NULL, NULL, NULL, NULL);
	struct ent e[] = {
		file_ent("manifest.json", m, strlen(m)),
		file_ent("a.bin", A, LA),
		file_ent("a.bin", A, LA),
		file_ent("dir/b.txt", B, LB),
	};

	write_sup(path, F_NONE, e, 4);
	EXPECT_BAD(path, true, "payload 'a.bin' appears twice in the archive");
	free(m);
	free(path);
}

/* Links and directories are refused; the payload then counts as missing. */
static void test_not_regular_payload(void)
{
	char *path = sup_path("links.sup");
	char *m = manifest_ab(NULL, NULL, NULL, NULL);
	struct ent sym[] = {
		file_ent("manifest.json", m, strlen(m)),
		{ .name = "a.bin", .kind = K_SYMLINK, .link = "/etc/shadow" },
		file_ent("dir/b.txt", B, LB),
	};
	struct ent hard[] = {
		file_ent("manifest.json", m, strlen(m)),
		file_ent("a.bin", A, LA),
		{ .name = "dir/b.txt", .kind = K_HARDLINK, .link = "a.bin" },
	};
	struct ent dir[] = {
		file_ent("manifest.json", m, strlen(m)),
		{ .name = "a.bin", .kind = K_DIR },
		file_ent("dir/b.txt", B, LB),
	};

	write_sup(path, F_NONE, sym, 3);
	EXPECT_BAD(path, true,
		   "payload 'a.bin' is not a regular file (links, devices and directories are refused)",
		   "payload 'a.bin' is missing from the archive");
	write_sup(path, F_NONE, hard, 3);
	EXPECT_BAD(path, true,
		   "payload 'dir/b.txt' is not a regular file (links, devices and directories are refused)",
		   "payload 'dir/b.txt' is missing from the archive");
	write_sup(path, F_NONE, dir, 3);
	EXPECT_BAD(path, true,
		   "archive entry 'a.bin/' is not a payload declared in the manifest",
		   "payload 'a.bin' is missing from the archive");
	free(m);
	free(path);
}

static void test_size_mismatch(void)
{
	char *path = sup_path("size.sup");
	unsigned long long more = LA + 1, less = LB - 1;
	char *m = manifest_ab(&more, NULL, &less, NULL);
	struct ent e[] = {
		file_ent("manifest.json", m, strlen(m)),
		file_ent("a.bin", A, LA),
		file_ent("dir/b.txt", B, LB),
	};
	char *w1 = sk_asprintf("payload 'a.bin': archive entry is %zu bytes, the manifest says %llu",
			       LA, more);
	char *w2 = sk_asprintf("payload 'dir/b.txt': archive entry is %zu bytes, the manifest says %llu",
			       LB, less);

	write_sup(path, F_NONE, e, 3);
	EXPECT_BAD(path, true, w1, w2);
	free(w1);
	free(w2);
	free(m);
	free(path);
}

static void test_sha_mismatch(void)
{
	static const char zero[] =
		"0000000000000000000000000000000000000000000000000000000000000000";
	char *path = sup_path("sha.sup");
	char *m = manifest_ab(NULL, zero, NULL, NULL);
	char ha[65], *want;
	struct ent e[] = {
		file_ent("manifest.json", m, strlen(m)),
		file_ent("a.bin", A, LA),
		file_ent("dir/b.txt", B, LB),
	};

	sha_of(A, LA, ha);
	want = sk_asprintf("payload 'a.bin': sha256 mismatch: the manifest says %s, the data hashes to %s",
			   zero, ha);
	write_sup(path, F_NONE, e, 3);
	EXPECT_BAD(path, true, want);
	/* Same data, one byte changed, compressed: still caught. */
	free(m);
	free(want);
	{
		char other[sizeof(A)];

		memcpy(other, A, sizeof(A));
		other[3] ^= 1;
		e[1].data = other;
		m = manifest_ab(NULL, NULL, NULL, NULL);
		e[0] = file_ent("manifest.json", m, strlen(m));
		sha_of(other, LA, ha);
		{
			char real[65];

			sha_of(A, LA, real);
			want = sk_asprintf("payload 'a.bin': sha256 mismatch: the manifest says %s, the data hashes to %s",
					   real, ha);
		}
		write_sup(path, F_ZSTD, e, 3);
		EXPECT_BAD(path, true, want);
	}
	free(want);
	free(m);
	free(path);
}

static void test_out_of_order(void)
{
	char *path = sup_path("order.sup");
	char *m = manifest_ab(NULL, NULL, NULL, NULL);
	struct ent e[] = {
		file_ent("manifest.json", m, strlen(m)),
		file_ent("dir/b.txt", B, LB),
		file_ent("a.bin", A, LA),
	};

	write_sup(path, F_NONE, e, 3);
	EXPECT_BAD(path, true,
		   "payload 'a.bin' is out of order: payloads must follow the order in which actions first use them");
	free(m);
	free(path);
}

/* manifest.sig anywhere but entry 2 is refused, naming where it is. */
static void test_signature_elsewhere(void)
{
	char *path = sup_path("sig-late.sup");
	char *m = manifest_ab(NULL, NULL, NULL, NULL);
	struct ent third[] = {
		file_ent("manifest.json", m, strlen(m)),
		file_ent("a.bin", A, LA),
		file_ent("manifest.sig", "sig", 3),
		file_ent("dir/b.txt", B, LB),
	};
	struct ent last[] = {
		file_ent("manifest.json", m, strlen(m)),
		file_ent("a.bin", A, LA),
		file_ent("dir/b.txt", B, LB),
		file_ent("manifest.sig", "sig", 3),
	};
	struct ent twice[] = {
		file_ent("manifest.json", m, strlen(m)),
		file_ent("manifest.sig", "sig", 3),
		file_ent("manifest.sig", "sig", 3),
		file_ent("a.bin", A, LA),
		file_ent("dir/b.txt", B, LB),
	};
	struct sk_supfile f;
	struct sk_problems d;

	open_flags = SK_SUPFILE_NO_SIG;
	write_sup(path, F_NONE, third, 4);
	EXPECT_BAD(path, true,
		   "manifest.sig is archive entry 3; it may only be entry 2");
	sk_problems_init(&d);
	sk_supfile_open(&f, path, &lim_default, NULL, 0, NULL, &d);
	CU_ASSERT_FALSE(f.has_signature);
	sk_supfile_close(&f);
	sk_problems_release(&d);
	write_sup(path, F_NONE, last, 4);
	EXPECT_BAD(path, true,
		   "manifest.sig is archive entry 4; it may only be entry 2");
	write_sup(path, F_NONE, twice, 5);
	EXPECT_BAD(path, true,
		   "manifest.sig is archive entry 3; it may only be entry 2");
	open_flags = 0;
	free(m);
	free(path);
}

static void test_signature_too_big(void)
{
	char *path = sup_path("sig-big.sup");
	char *m = manifest_ab(NULL, NULL, NULL, NULL);
	size_t big = 64 * 1024 + 1;
	char *sig = calloc(1, big);
	struct ent e[] = {
		file_ent("manifest.json", m, strlen(m)),
		file_ent("manifest.sig", sig, big),
		file_ent("a.bin", A, LA),
		file_ent("dir/b.txt", B, LB),
	};
	struct ent link[] = {
		file_ent("manifest.json", m, strlen(m)),
		{ .name = "manifest.sig", .kind = K_SYMLINK, .link = "x" },
		file_ent("a.bin", A, LA),
		file_ent("dir/b.txt", B, LB),
	};
	struct sk_supfile f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sig);
	open_flags = SK_SUPFILE_NO_SIG;
	write_sup(path, F_NONE, e, 4);
	/* Nothing after a signature that is not one is read. */
	EXPECT_BAD(path, false,
		   "manifest.sig is not a regular file of 1 to 65536 bytes");
	write_sup(path, F_NONE, link, 4);
	/* Nothing after a signature that is not one is read. */
	EXPECT_BAD(path, false,
		   "manifest.sig is not a regular file of 1 to 65536 bytes");
	/* 64 KiB exactly is fine. */
	e[1].len = big - 1;
	write_sup(path, F_NONE, e, 4);
	expect_good(path, &f);
	CU_ASSERT_TRUE(f.has_signature);
	sk_supfile_close(&f);
	open_flags = 0;
	free(sig);
	free(m);
	free(path);
}

/* Every problem of the archive is listed, in archive order, then the
 * missing payloads. */
static void test_several_problems(void)
{
	static const char zero[] =
		"0000000000000000000000000000000000000000000000000000000000000000";
	char *path = sup_path("several.sup");
	char *m = manifest_ab(NULL, zero, NULL, NULL);
	char ha[65], *w;
	struct ent e[] = {
		file_ent("manifest.json", m, strlen(m)),
		file_ent("a.bin", A, LA),
		file_ent("junk", "j", 1),
		file_ent("a.bin", A, LA),
	};

	sha_of(A, LA, ha);
	w = sk_asprintf("payload 'a.bin': sha256 mismatch: the manifest says %s, the data hashes to %s",
			zero, ha);
	write_sup(path, F_GZIP, e, 4);
	EXPECT_BAD(path, true, w,
		   "archive entry 'junk' is not a payload declared in the manifest",
		   "payload 'a.bin' appears twice in the archive",
		   "payload 'dir/b.txt' is missing from the archive");
	free(w);
	free(m);
	free(path);
}

/* A file cut short inside a payload: refused, whatever libarchive says. */
static void test_truncated(void)
{
	char *path = good_ab("truncated.sup", F_NONE);
	off_t at = 0;
	struct sk_supfile f;
	struct sk_problems d;
	char *prefix;
	size_t flen;
	char *all = tu_read_file(path, &flen);

	CU_ASSERT_PTR_NOT_NULL_FATAL(all);
	for (size_t i = 0; i + LA <= flen; i++) {
		if (memcmp(all + i, A, LA) == 0) {
			at = (off_t)i;
			break;
		}
	}
	free(all);
	CU_ASSERT_FATAL(at > 0);
	CU_ASSERT_EQUAL_FATAL(truncate(path, at + 10), 0);
	prefix = sk_asprintf("%s: payload 'a.bin': ", path);
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(sk_supfile_open(&f, path, &lim_default, NULL,
					0, NULL, &d), -1);
	CU_ASSERT_TRUE(f.manifest_ok);
	CU_ASSERT_FALSE(f.verified);
	CU_ASSERT_FATAL(d.count >= 1);
	CU_ASSERT_NSTRING_EQUAL(d.items[0].msg, prefix, strlen(prefix));
	CU_ASSERT_EQUAL(d.items[0].cls, SK_PROBLEM_PACKAGE);
	sk_supfile_close(&f);
	sk_problems_release(&d);
	free(prefix);
	free(path);
}

/* --- payload streams ------------------------------------------------ */

/* Read payload i of f whole in chunks of step bytes; the data must equal
 * want, and the end (0) must come only after all of it. */
static void stream_all(const struct sk_supfile *f, size_t i, size_t step,
		       const void *want, size_t want_len)
{
	struct sk_payload_stream *s = NULL;
	unsigned char *buf = malloc(step), *got = malloc(want_len + 1);
	size_t used = 0;
	char *err = NULL;
	int64_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL_FATAL(sk_payload_stream_open(f, i, &s, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	for (;;) {
		n = sk_payload_stream_read(s, buf, step, &err);
		CU_ASSERT_FATAL(n >= 0);
		CU_ASSERT_PTR_NULL(err);
		if (n == 0)
			break;
		CU_ASSERT_FATAL((size_t)n <= step);
		CU_ASSERT_FATAL(used + (size_t)n <= want_len);
		memcpy(got + used, buf, (size_t)n);
		used += (size_t)n;
	}
	CU_ASSERT_EQUAL(used, want_len);
	CU_ASSERT(memcmp(got, want, want_len) == 0);
	/* The end stays the end. */
	CU_ASSERT_EQUAL(sk_payload_stream_read(s, buf, step, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	sk_payload_stream_close(s);
	free(buf);
	free(got);
}

static void test_stream(void)
{
	char *path = good_ab("stream.sup", F_NONE);
	struct sk_supfile f;

	expect_good(path, &f);
	stream_all(&f, 0, 1, A, LA);
	stream_all(&f, 0, 7, A, LA);
	stream_all(&f, 0, 4096, A, LA);
	/* The second entry: the reader skips the first. */
	stream_all(&f, 1, 2, B, LB);
	stream_all(&f, 1, 100, B, LB);
	/* Streams are independent of each other. */
	{
		struct sk_payload_stream *s1, *s2;
		char b1[4], b2[4], *err;

		CU_ASSERT_EQUAL_FATAL(sk_payload_stream_open(&f, 0, &s1,
							     &err), 0);
		CU_ASSERT_EQUAL_FATAL(sk_payload_stream_open(&f, 0, &s2,
							     &err), 0);
		CU_ASSERT_EQUAL(sk_payload_stream_read(s1, b1, 4, &err), 4);
		CU_ASSERT_EQUAL(sk_payload_stream_read(s2, b2, 4, &err), 4);
		CU_ASSERT(memcmp(b1, A, 4) == 0);
		CU_ASSERT(memcmp(b2, A, 4) == 0);
		sk_payload_stream_close(s1);
		sk_payload_stream_close(s2);
	}
	sk_supfile_close(&f);
	free(path);
}

static void test_stream_compressed(void)
{
	static const enum filter flts[] = { F_GZIP, F_XZ, F_ZSTD };

	for (size_t k = 0; k < 3; k++) {
		char name[32];
		char *path;
		struct sk_supfile f;

		snprintf(name, sizeof(name), "stream-%zu.sup", k);
		path = good_ab(name, flts[k]);
		expect_good(path, &f);
		stream_all(&f, 0, 5, A, LA);
		stream_all(&f, 1, 5, B, LB);
		sk_supfile_close(&f);
		free(path);
	}
}

static void test_stream_not_available(void)
{
	char *path = good_ab("unavailable.sup", F_NONE);
	char *bad = sup_path("unavailable-bad.sup");
	struct sk_payload_stream *s = NULL;
	struct sk_supfile f;
	struct sk_problems d;
	char *err = NULL;

	expect_good(path, &f);
	CU_ASSERT_EQUAL(sk_payload_stream_open(&f, 2, &s, &err), -1);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_STRING_EQUAL(err, "payload 2 is not available");
	free(err);
	sk_supfile_close(&f);

	/* A file that failed verification offers no payload. */
	{
		char *m = manifest_ab(NULL, NULL, NULL, NULL);
		struct ent e[] = {
			file_ent("manifest.json", m, strlen(m)),
			file_ent("a.bin", A, LA),
		};

		write_sup(bad, F_NONE, e, 2);
		free(m);
	}
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(sk_supfile_open(&f, bad, &lim_default, NULL,
					0, NULL, &d), -1);
	CU_ASSERT_EQUAL(sk_payload_stream_open(&f, 0, &s, &err), -1);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_STRING_EQUAL(err, "payload 0 is not available");
	free(err);
	sk_supfile_close(&f);
	sk_problems_release(&d);
	free(bad);
	free(path);
}

/* A read of 0 bytes before the end must not look like the verified end. */
static void test_stream_zero_length_read(void)
{
	char *path = good_ab("zero-read.sup", F_NONE);
	struct sk_payload_stream *s;
	struct sk_supfile f;
	char buf[8], *err = NULL;
	int64_t n;

	expect_good(path, &f);
	CU_ASSERT_EQUAL_FATAL(sk_payload_stream_open(&f, 0, &s, &err), 0);
	n = sk_payload_stream_read(s, buf, 0, &err);
	CU_ASSERT_NOT_EQUAL(n, 0);
	free(err);
	sk_payload_stream_close(s);
	sk_supfile_close(&f);
	free(path);
}

/* Data of the modified-file test: large enough for several reads. */
#define MOD_LEN (300 * 1024 + 17)

static void gen_mod(unsigned char *buf, uint64_t off, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t x = off + i;

		buf[i] = (unsigned char)((x * 2654435761u) >> 11);
	}
}

/* Offset of needle in the file, or -1. */
static off_t find_in_file(const char *path, const void *needle, size_t len)
{
	size_t flen;
	char *all = tu_read_file(path, &flen);
	off_t at = -1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(all);
	for (size_t i = 0; i + len <= flen; i++) {
		if (memcmp(all + i, needle, len) == 0) {
			at = (off_t)i;
			break;
		}
	}
	free(all);
	return at;
}

/*
 * The file changes on disk after it was verified (a byte of a payload
 * overwritten in place): the stream hands out the data, but the read that
 * would end it fails with the sha256 mismatch, and never returns 0.
 */
static void test_stream_modified_after_open(void)
{
	char *path = sup_path("modified.sup");
	unsigned char *data = malloc(MOD_LEN);
	char hex[65], bad_hex[65], *d, *m, *want, *err = NULL;
	struct sk_payload_stream *s;
	unsigned char buf[4096];
	struct sk_supfile f;
	uint64_t total = 0;
	off_t where, flip;
	unsigned char byte;
	int fd;
	int64_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(data);
	gen_mod(data, 0, MOD_LEN);
	sha_of(data, MOD_LEN, hex);
	d = decl("fw.bin", MOD_LEN, hex);
	m = manifest(d, "{\"id\":\"fw\",\"type\":\"fixture.payload\","
			"\"payloads\":[\"fw.bin\"]}");
	{
		struct ent e[] = {
			file_ent("manifest.json", m, strlen(m)),
			file_ent("fw.bin", data, MOD_LEN),
		};

		write_sup(path, F_NONE, e, 2);
	}
	expect_good(path, &f);

	/* Flip a byte near the end of the payload, in place. */
	where = find_in_file(path, data, 4096);
	CU_ASSERT_FATAL(where > 0);
	flip = where + MOD_LEN - 100;
	byte = (unsigned char)(data[MOD_LEN - 100] ^ 0x40);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(pwrite(fd, &byte, 1, flip), 1);
	close(fd);
	data[MOD_LEN - 100] = byte;
	sha_of(data, MOD_LEN, bad_hex);

	CU_ASSERT_EQUAL_FATAL(sk_payload_stream_open(&f, 0, &s, &err), 0);
	for (;;) {
		n = sk_payload_stream_read(s, buf, sizeof(buf), &err);
		CU_ASSERT_NOT_EQUAL_FATAL(n, 0);
		if (n < 0)
			break;
		CU_ASSERT(memcmp(buf, data + total, (size_t)n) == 0);
		total += (uint64_t)n;
		CU_ASSERT_FATAL(total <= MOD_LEN);
	}
	CU_ASSERT_EQUAL(n, -1);
	CU_ASSERT_EQUAL(total, MOD_LEN);
	want = sk_asprintf("payload 'fw.bin': sha256 mismatch: the manifest says %s, the data hashes to %s",
			   hex, bad_hex);
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_STRING_EQUAL(err, want);
	free(err);
	free(want);
	/* After an error, only errors. */
	n = sk_payload_stream_read(s, buf, sizeof(buf), &err);
	CU_ASSERT_EQUAL(n, -1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_STRING_EQUAL(err, "payload 'fw.bin': read after an error");
	free(err);
	sk_payload_stream_close(s);

	/* Truncated after open: an error, never the end. */
	CU_ASSERT_EQUAL_FATAL(truncate(path, where + MOD_LEN / 2), 0);
	CU_ASSERT_EQUAL_FATAL(sk_payload_stream_open(&f, 0, &s, &err), 0);
	total = 0;
	for (;;) {
		n = sk_payload_stream_read(s, buf, sizeof(buf), &err);
		CU_ASSERT_NOT_EQUAL_FATAL(n, 0);
		if (n < 0)
			break;
		total += (uint64_t)n;
		CU_ASSERT_FATAL(total <= MOD_LEN);
	}
	CU_ASSERT_PTR_NOT_NULL(err);
	free(err);
	sk_payload_stream_close(s);

	sk_supfile_close(&f);
	free(d);
	free(m);
	free(data);
	free(path);
}

/* --- a large payload -------------------------------------------------- */

#define BIG_LEN (64ull << 20)

static void gen_big(unsigned char *buf, uint64_t off, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t x = off + i;

		buf[i] = (unsigned char)(x ^ (x >> 8) ^ (x >> 19));
	}
}

/* 64 MiB streamed through a 4 KiB buffer, checked byte for byte. */
static void test_big_payload(void)
{
	char *path = sup_path("big.sup");
	struct sk_sha256 *h = sk_sha256_new();
	unsigned char *chunk = malloc(1 << 20), buf[4096], want[4096];
	char hex[65], *d, *m, *err = NULL;
	struct sk_payload_stream *s;
	struct sk_supfile f;
	uint64_t total = 0;
	bool same = true;
	int64_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(chunk);
	for (uint64_t off = 0; off < BIG_LEN; off += 1 << 20) {
		gen_big(chunk, off, 1 << 20);
		sk_sha256_update(h, chunk, 1 << 20);
	}
	sk_sha256_final_hex(h, hex);
	sk_sha256_free(h);
	free(chunk);
	d = decl("big.img", BIG_LEN, hex);
	m = manifest(d, "{\"id\":\"img\",\"type\":\"fixture.payload\","
			"\"payloads\":[\"big.img\"]}");
	{
		struct ent e[] = {
			file_ent("manifest.json", m, strlen(m)),
			{ .name = "big.img", .gen = gen_big,
			  .gen_len = BIG_LEN },
		};

		write_sup(path, F_NONE, e, 2);
	}
	expect_good(path, &f);
	CU_ASSERT_EQUAL(f.manifest.payloads[0].size, BIG_LEN);

	CU_ASSERT_EQUAL_FATAL(sk_payload_stream_open(&f, 0, &s, &err), 0);
	for (;;) {
		n = sk_payload_stream_read(s, buf, sizeof(buf), &err);
		CU_ASSERT_FATAL(n >= 0);
		if (n == 0)
			break;
		CU_ASSERT_FATAL(total + (uint64_t)n <= BIG_LEN);
		gen_big(want, total, (size_t)n);
		if (memcmp(buf, want, (size_t)n) != 0)
			same = false;
		total += (uint64_t)n;
	}
	CU_ASSERT_TRUE(same);
	CU_ASSERT_EQUAL(total, BIG_LEN);
	sk_payload_stream_close(s);
	sk_supfile_close(&f);
	unlink(path);
	free(d);
	free(m);
	free(path);
}

/* --- compressed files: one forward pass ------------------------------ */

/*
 * Reads of one file, counted: this pread() is the one the reader's calls
 * bind to (the library is static), and it counts the bytes that come from
 * the watched file (device and inode), whatever descriptor reads them.
 */
static bool watching;
static dev_t watch_dev;
static ino_t watch_ino;
static unsigned long long watch_read;

ssize_t pread(int fd, void *buf, size_t count, off_t offset)
{
	long n = syscall(SYS_pread64, fd, buf, count, offset);
	struct stat st;

	if (n > 0 && watching && fstat(fd, &st) == 0 &&
	    st.st_dev == watch_dev && st.st_ino == watch_ino)
		watch_read += (unsigned long long)n;
	return (ssize_t)n;
}

static void watch(const char *path)
{
	struct stat st;

	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	watch_dev = st.st_dev;
	watch_ino = st.st_ino;
	watch_read = 0;
	watching = true;
}

/* Payload data that compresses a little, different for each seed. */
static void fill(unsigned char *buf, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (unsigned char)(i % 3 ? 'a' + x % 16 : x >> 24);
	}
}

/* A package of n payloads p000, p001, ... of len bytes each (data[i]),
 * one action each, in path with filter flt. */
static void write_many(const char *path, enum filter flt, size_t n,
		       size_t len, unsigned char **data)
{
	struct ent *e = calloc(n + 1, sizeof(*e));
	char **names = calloc(n, sizeof(*names));
	char *decls = NULL, *acts = NULL, *m, hex[65];

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(names);
	for (size_t i = 0; i < n; i++) {
		char *d, *t;

		names[i] = sk_asprintf("p%03zu", i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(names[i]);
		sha_of(data[i], len, hex);
		d = decl(names[i], len, hex);
		t = sk_asprintf("%s%s%s", decls ? decls : "", decls ? "," : "",
				d);
		free(decls);
		free(d);
		decls = t;
		t = sk_asprintf("%s%s{\"id\":\"a%zu\",\"type\":\"fixture.payload\",\"payloads\":[\"%s\"]}",
				acts ? acts : "", acts ? "," : "", i, names[i]);
		free(acts);
		acts = t;
		CU_ASSERT_FATAL(decls && acts);
		e[i + 1] = file_ent(names[i], data[i], len);
	}
	m = manifest(decls, acts);
	e[0] = file_ent("manifest.json", m, strlen(m));
	write_sup(path, flt, e, n + 1);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(decls);
	free(acts);
	free(m);
	free(e);
}

#define PASS_N 50
#define PASS_LEN (20 * 1024 + 3)
/* The reader's read size: a stream reads at least one block. */
#define READ_BLOCK (64 * 1024)

/*
 * Regression (issue 8): every payload stream of a compressed file
 * decompressed it again from byte 0, so installing n payloads read the
 * file about n/2 times. Counted, not timed: the file is read exactly once
 * (by the verification pass) and never again however many payloads are
 * streamed; a plain file is read once by the pass and then each stream
 * reads its own entry, not the entries before it (the old reader walked
 * every header from the start).
 */
static void test_one_pass(void)
{
	static const enum filter flts[] = { F_NONE, F_GZIP, F_XZ, F_ZSTD };
	unsigned char *data[PASS_N];
	char *spool = sup_path("pass-spool");

	CU_ASSERT_EQUAL_FATAL(mkdir(spool, 0700), 0);
	for (size_t i = 0; i < PASS_N; i++) {
		data[i] = malloc(PASS_LEN);
		CU_ASSERT_PTR_NOT_NULL_FATAL(data[i]);
		fill(data[i], PASS_LEN, (uint32_t)i);
	}
	for (size_t k = 0; k < 4; k++) {
		char name[32], *path;
		unsigned long long verify_read, worst = 0, all = 0;
		struct sk_supfile f;
		struct sk_problems d;

		snprintf(name, sizeof(name), "pass-%zu.sup", k);
		path = sup_path(name);
		write_many(path, flts[k], PASS_N, PASS_LEN, data);
		sk_problems_init(&d);
		watch(path);
		CU_ASSERT_EQUAL_FATAL(sk_supfile_open(&f, path, &lim_default,
						      NULL, 0, spool, &d), 0);
		verify_read = watch_read;
		CU_ASSERT_TRUE_FATAL(watch_read > 0); /* the count works */
		for (size_t i = 0; i < PASS_N; i++) {
			watch_read = 0;
			stream_all(&f, i, 4096, data[i], PASS_LEN);
			all += watch_read;
			if (watch_read > worst)
				worst = watch_read;
		}
		watching = false;
		printf("\n    %s: %llu bytes; read %llu by the verification, %llu by %d payload streams (%llu at most by one) ",
		       name, f.file_size, verify_read, all, PASS_N, worst);
		CU_ASSERT_EQUAL(f.compressed, flts[k] != F_NONE);
		CU_ASSERT_EQUAL(f.spooled, flts[k] != F_NONE);
		if (flts[k] == F_NONE) {
			/* Detecting the compression reads the start twice. */
			CU_ASSERT(verify_read <= f.file_size + READ_BLOCK);
			CU_ASSERT(worst <= PASS_LEN + 2 * READ_BLOCK);
		} else {
			CU_ASSERT_EQUAL(verify_read, f.file_size);
			CU_ASSERT_EQUAL(worst, 0);
		}
		/* The copy has no name: nothing to clean up, ever. */
		CU_ASSERT_EQUAL(tu_count_entries(spool), 0);
		sk_supfile_close(&f);
		sk_problems_release(&d);
		free(path);
	}
	for (size_t i = 0; i < PASS_N; i++)
		free(data[i]);
	free(spool);
}

/* What /proc says fd is. */
static void fd_target(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	CU_ASSERT_FATAL(n > 0);
	buf[n] = '\0';
}

/* The copy: unnamed, private (0600), in the directory given, or in its
 * nearest existing parent when it is not made yet, or in $TMPDIR. */
static void test_spool_where(void)
{
	char *path = good_ab("where.sup.gz", F_GZIP);
	char *dir = sup_path("where"), *later, *tmpdir = sup_path("tmpdir");
	char *prefix, *old_tmpdir = getenv("TMPDIR");
	char target[PATH_MAX];
	struct sk_supfile f;
	struct sk_problems d;
	struct stat st;

	old_tmpdir = old_tmpdir ? strdup(old_tmpdir) : NULL;
	later = tu_path(dir, "state/supkit");
	prefix = sk_asprintf("%s/", dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(prefix);
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0755), 0);
	CU_ASSERT_EQUAL_FATAL(mkdir(tmpdir, 0755), 0);

	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_supfile_open(&f, path, &lim_default, NULL, 0,
					      dir, &d), 0);
	CU_ASSERT_TRUE(f.spooled);
	CU_ASSERT_EQUAL_FATAL(fstat(f.fd, &st), 0);
	CU_ASSERT_TRUE(S_ISREG(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	CU_ASSERT_EQUAL(st.st_nlink, 0);
	CU_ASSERT(fcntl(f.fd, F_GETFD) & FD_CLOEXEC);
	fd_target(f.fd, target, sizeof(target));
	CU_ASSERT_NSTRING_EQUAL(target, prefix, strlen(prefix));
	CU_ASSERT_EQUAL(tu_count_entries(dir), 0);
	stream_all(&f, 1, 64, B, LB);
	sk_supfile_close(&f);

	/* The installer's state directory before the first install. */
	CU_ASSERT_EQUAL_FATAL(sk_supfile_open(&f, path, &lim_default, NULL, 0,
					      later, &d), 0);
	fd_target(f.fd, target, sizeof(target));
	CU_ASSERT_NSTRING_EQUAL(target, prefix, strlen(prefix));
	CU_ASSERT_PTR_NULL(strstr(target, "state"));
	CU_ASSERT_FALSE(tu_exists(later));
	stream_all(&f, 0, 64, A, LA);
	sk_supfile_close(&f);

	/* Tools: $TMPDIR. */
	CU_ASSERT_EQUAL_FATAL(setenv("TMPDIR", tmpdir, 1), 0);
	CU_ASSERT_EQUAL_FATAL(sk_supfile_open(&f, path, &lim_default, NULL, 0,
					      NULL, &d), 0);
	fd_target(f.fd, target, sizeof(target));
	CU_ASSERT_NSTRING_EQUAL(target, tmpdir, strlen(tmpdir));
	sk_supfile_close(&f);
	if (old_tmpdir)
		setenv("TMPDIR", old_tmpdir, 1);
	else
		unsetenv("TMPDIR");

	/* Nowhere to put it: a system problem, after the verification. */
	free(later);
	later = tu_path(path, "below-a-file");
	CU_ASSERT_EQUAL(sk_supfile_open(&f, path, &lim_default, NULL, 0,
					later, &d), -1);
	CU_ASSERT_TRUE(f.payloads_ok);
	CU_ASSERT_FALSE(f.verified);
	CU_ASSERT_EQUAL_FATAL(d.count, 1);
	CU_ASSERT_EQUAL(d.items[0].cls, SK_PROBLEM_SYSTEM);
	{
		char *want = sk_asprintf("cannot decompress '%s': cannot create a temporary file in '%s': Not a directory",
					 path, later);

		CU_ASSERT_STRING_EQUAL(d.items[0].msg, want);
		free(want);
	}
	sk_supfile_close(&f);
	sk_problems_release(&d);
	free(old_tmpdir);
	free(prefix);
	free(later);
	free(tmpdir);
	free(dir);
	free(path);
}

/* Once verified, the copy is what is streamed: the file given may change
 * or go, the payloads verified are the payloads streamed. */
static void test_spool_is_verified_copy(void)
{
	char *path = good_ab("swap.sup.xz", F_XZ);
	char junk[4096];
	struct sk_supfile f;

	memset(junk, 'j', sizeof(junk));
	expect_good(path, &f);
	CU_ASSERT_TRUE(f.spooled);
	CU_ASSERT_EQUAL_FATAL(tu_write_file(path, junk, sizeof(junk)), 0);
	stream_all(&f, 0, 3, A, LA);
	CU_ASSERT_EQUAL_FATAL(unlink(path), 0);
	stream_all(&f, 1, 3, B, LB);
	sk_supfile_close(&f);
	free(path);
}

/* sup verify and sup inspect stream nothing: no copy is made. */
static void test_spool_not_for_verify(void)
{
	char *path = good_ab("verify-only.sup.zst", F_ZSTD);
	char *dir = sup_path("verify-only"), target[PATH_MAX], *want;
	struct sk_payload_stream *s = NULL;
	struct sk_supfile f;
	struct sk_problems d;
	char *err = NULL;

	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0755), 0);
	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_supfile_open(&f, path, &lim_default, NULL,
					      SK_SUPFILE_NO_STREAMS, dir, &d),
			      0);
	CU_ASSERT_TRUE(f.verified);
	CU_ASSERT_TRUE(f.compressed);
	CU_ASSERT_FALSE(f.spooled);
	fd_target(f.fd, target, sizeof(target));
	CU_ASSERT_STRING_EQUAL(target, path);
	CU_ASSERT_EQUAL(sk_payload_stream_open(&f, 0, &s, &err), -1);
	CU_ASSERT_PTR_NULL(s);
	want = sk_asprintf("payload 'a.bin' is not available: '%s' is compressed and was opened without payload streams",
			   path);
	CU_ASSERT_STRING_EQUAL(err, want);
	free(want);
	free(err);
	sk_supfile_close(&f);
	sk_problems_release(&d);
	free(dir);
	free(path);
}

/*
 * The disk fills while the copy is written (here: the file size limit):
 * a system problem (exit 6), named, reported after the verification so
 * that a package's own problems still come first; nothing is left.
 */
static void test_spool_write_fails(void)
{
	char *path = sup_path("nospace.sup.gz");
	char *dir = sup_path("nospace"), *want;
	unsigned char *data = malloc(MOD_LEN);
	char hex[65], *dcl, *m;
	struct rlimit old, small;
	struct sk_supfile f;
	struct sk_problems d;
	void (*old_xfsz)(int);

	CU_ASSERT_PTR_NOT_NULL_FATAL(data);
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0755), 0);
	gen_mod(data, 0, MOD_LEN);
	sha_of(data, MOD_LEN, hex);
	dcl = decl("fw.bin", MOD_LEN, hex);
	m = manifest(dcl, "{\"id\":\"fw\",\"type\":\"fixture.payload\","
			  "\"payloads\":[\"fw.bin\"]}");
	{
		struct ent e[] = {
			file_ent("manifest.json", m, strlen(m)),
			file_ent("fw.bin", data, MOD_LEN),
		};

		write_sup(path, F_GZIP, e, 2);
	}
	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 100 * 1024;
	old_xfsz = signal(SIGXFSZ, SIG_IGN);
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &small), 0);
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(sk_supfile_open(&f, path, &lim_default, NULL, 0, dir,
					&d), -1);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, old_xfsz);
	CU_ASSERT_TRUE(f.payloads_ok);
	CU_ASSERT_FALSE(f.verified);
	CU_ASSERT_FALSE(f.spooled);
	CU_ASSERT_EQUAL_FATAL(d.count, 1);
	CU_ASSERT_EQUAL(d.items[0].cls, SK_PROBLEM_SYSTEM);
	CU_ASSERT_EQUAL(sk_problems_exit_code(&d), 6);
	want = sk_asprintf("cannot decompress '%s' into '%s': File too large",
			   path, dir);
	CU_ASSERT_STRING_EQUAL(d.items[0].msg, want);
	free(want);
	CU_ASSERT_EQUAL(tu_count_entries(dir), 0);
	sk_supfile_close(&f);
	sk_problems_release(&d);

	/* A package with a problem of its own: that problem, alone. */
	data[10] ^= 1;
	{
		struct ent e[] = {
			file_ent("manifest.json", m, strlen(m)),
			file_ent("fw.bin", data, MOD_LEN),
		};

		write_sup(path, F_GZIP, e, 2);
	}
	old_xfsz = signal(SIGXFSZ, SIG_IGN);
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &small), 0);
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(sk_supfile_open(&f, path, &lim_default, NULL, 0, dir,
					&d), -1);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, old_xfsz);
	CU_ASSERT_EQUAL_FATAL(d.count, 1);
	CU_ASSERT_EQUAL(d.items[0].cls, SK_PROBLEM_PACKAGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.items[0].msg, "sha256 mismatch"));
	sk_supfile_close(&f);
	sk_problems_release(&d);
	free(dcl);
	free(m);
	free(data);
	free(dir);
	free(path);
}

/* In a child: a 128 KiB tmpfs at mnt (in new namespaces), then open pkg
 * spooling there. 0: refused for lack of space, as expected; 77: no
 * tmpfs could be mounted; 1: anything else (printed). */
static int no_room_child(const char *pkg, const char *mnt)
{
	struct sk_supfile f;
	struct sk_problems d;
	char *want;
	int ok;

	if (unshare(CLONE_NEWNS) != 0) {
		char map[64];
		uid_t uid = getuid();
		gid_t gid = getgid();

		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
			return 77;
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
		if (tu_write_str("/proc/self/setgroups", "deny") != 0 ||
		    tu_write_str("/proc/self/uid_map", map) != 0)
			return 77;
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
		if (tu_write_str("/proc/self/gid_map", map) != 0)
			return 77;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", mnt, "tmpfs", 0, "size=128k,mode=0700") != 0)
		return 77;
	sk_problems_init(&d);
	ok = sk_supfile_open(&f, pkg, &lim_default, NULL, 0, mnt, &d) == -1 &&
	     d.count == 1 && d.items[0].cls == SK_PROBLEM_SYSTEM;
	want = sk_asprintf("not enough space in '%s' to decompress '%s': its payloads need ",
			   mnt, pkg);
	ok = ok && want && strncmp(d.items[0].msg, want, strlen(want)) == 0 &&
	     strstr(d.items[0].msg, " bytes, ") &&
	     tu_count_entries(mnt) == 0;
	if (!ok)
		for (size_t i = 0; i < d.count; i++)
			fprintf(stderr, "no_room_child: %s\n", d.items[i].msg);
	free(want);
	sk_supfile_close(&f);
	sk_problems_release(&d);
	return ok ? 0 : 1;
}

/* Not enough free space for the payloads the manifest declares: refused
 * before they are decompressed, naming the space needed and free. */
static void test_spool_no_room(void)
{
	char *path = sup_path("noroom.sup.xz");
	char *mnt = sup_path("small");
	unsigned char *data = malloc(MOD_LEN);
	char hex[65], *dcl, *m;
	int status = 0;
	pid_t pid;

	CU_ASSERT_PTR_NOT_NULL_FATAL(data);
	CU_ASSERT_EQUAL_FATAL(mkdir(mnt, 0755), 0);
	gen_mod(data, 0, MOD_LEN);
	sha_of(data, MOD_LEN, hex);
	dcl = decl("fw.bin", MOD_LEN, hex);
	m = manifest(dcl, "{\"id\":\"fw\",\"type\":\"fixture.payload\","
			  "\"payloads\":[\"fw.bin\"]}");
	{
		struct ent e[] = {
			file_ent("manifest.json", m, strlen(m)),
			file_ent("fw.bin", data, MOD_LEN),
		};

		write_sup(path, F_XZ, e, 2);
	}
	fflush(NULL);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0)
		_exit(no_room_child(path, mnt));
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_TRUE(WIFEXITED(status));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		printf("\n    SKIPPED: no tmpfs can be mounted here (no mount or user namespace) ");
	else
		CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
	free(dcl);
	free(m);
	free(data);
	free(mnt);
	free(path);
}

/* Entries with pax headers (long names) before their data: streams go
 * straight to them, in a plain file and in the copy. */
static void test_stream_long_names(void)
{
	static const enum filter flts[] = { F_NONE, F_GZIP };
	char n1[201], n2[251];
	char *path, ha[65], hb[65], *da, *db, *both, *m;
	struct sk_supfile f;

	memset(n1, 'x', sizeof(n1) - 1);
	n1[sizeof(n1) - 1] = '\0';
	n1[100] = '/';
	memset(n2, 'y', sizeof(n2) - 1);
	n2[sizeof(n2) - 1] = '\0';
	sha_of(A, LA, ha);
	sha_of(B, LB, hb);
	da = decl(n1, LA, ha);
	db = decl(n2, LB, hb);
	both = sk_asprintf("%s,%s", da, db);
	CU_ASSERT_PTR_NOT_NULL_FATAL(both);
	{
		char *acts = sk_asprintf("{\"id\":\"one\",\"type\":\"fixture.payload\",\"payloads\":[\"%s\",\"%s\"]}",
					 n1, n2);

		m = manifest(both, acts);
		free(acts);
	}
	for (size_t k = 0; k < 2; k++) {
		struct ent e[] = {
			file_ent("manifest.json", m, strlen(m)),
			file_ent(n1, A, LA),
			file_ent(n2, B, LB),
		};

		path = sup_path(k ? "long.sup.gz" : "long.sup");
		write_sup(path, flts[k], e, 3);
		expect_good(path, &f);
		stream_all(&f, 1, 5, B, LB);
		stream_all(&f, 0, 5, A, LA);
		sk_supfile_close(&f);
		free(path);
	}
	free(da);
	free(db);
	free(both);
	free(m);
}

/* A compressed file cut short: a package problem, not a system one. */
static void test_compressed_truncated(void)
{
	static const enum filter flts[] = { F_GZIP, F_XZ, F_ZSTD };
	unsigned char *data = malloc(MOD_LEN);
	char hex[65], *dcl, *m;

	CU_ASSERT_PTR_NOT_NULL_FATAL(data);
	gen_mod(data, 0, MOD_LEN);
	sha_of(data, MOD_LEN, hex);
	dcl = decl("fw.bin", MOD_LEN, hex);
	m = manifest(dcl, "{\"id\":\"fw\",\"type\":\"fixture.payload\","
			  "\"payloads\":[\"fw.bin\"]}");
	for (size_t k = 0; k < 3; k++) {
		struct ent e[] = {
			file_ent("manifest.json", m, strlen(m)),
			file_ent("fw.bin", data, MOD_LEN),
		};
		char name[32], *path;
		struct sk_supfile f;
		struct sk_problems d;
		struct stat st;

		snprintf(name, sizeof(name), "cut-%zu.sup", k);
		path = sup_path(name);
		write_sup(path, flts[k], e, 2);
		CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
		CU_ASSERT_EQUAL_FATAL(truncate(path, st.st_size / 2), 0);
		sk_problems_init(&d);
		CU_ASSERT_EQUAL(sk_supfile_open(&f, path, &lim_default, NULL,
						0, tmp, &d), -1);
		CU_ASSERT_FALSE(f.spooled);
		CU_ASSERT_FATAL(d.count >= 1);
		for (size_t i = 0; i < d.count; i++)
			CU_ASSERT_EQUAL(d.items[i].cls, SK_PROBLEM_PACKAGE);
		sk_supfile_close(&f);
		sk_problems_release(&d);
		free(path);
	}
	free(dcl);
	free(m);
	free(data);
}

int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
		{ "good package", test_good },
		{ "good package, gzip", test_good_gzip },
		{ "good package, xz", test_good_xz },
		{ "good package, zstd", test_good_zstd },
		{ "empty payloads, no payloads", test_good_empty_payloads },
		{ "manifest.sig as entry 2", test_signature_second },
		{ "cannot open", test_cannot_open },
		{ "empty file", test_empty_file },
		{ "archive without entries", test_no_entries },
		{ "not an archive", test_not_an_archive },
		{ "first entry not manifest.json", test_first_not_manifest },
		{ "manifest.json not a file", test_manifest_not_file },
		{ "manifest too big", test_manifest_too_big },
		{ "manifest invalid", test_manifest_invalid },
		{ "missing payload", test_missing_payload },
		{ "unreferenced entry", test_unreferenced_entry },
		{ "duplicate entry", test_duplicate_entry },
		{ "symlink, hardlink, directory payloads",
		  test_not_regular_payload },
		{ "size mismatch", test_size_mismatch },
		{ "sha256 mismatch", test_sha_mismatch },
		{ "out of order", test_out_of_order },
		{ "manifest.sig elsewhere", test_signature_elsewhere },
		{ "manifest.sig too big", test_signature_too_big },
		{ "several problems", test_several_problems },
		{ "truncated file", test_truncated },
		{ "data after the end", test_data_after_end },
		{ "regression: stream at a lenient header",
		  test_stream_lenient_header },
		{ "payload streams", test_stream },
		{ "payload streams, compressed", test_stream_compressed },
		{ "payload not available", test_stream_not_available },
		{ "zero-length read", test_stream_zero_length_read },
		{ "file modified after open", test_stream_modified_after_open },
		{ "64 MiB payload, 4 KiB reads", test_big_payload },
		{ "compressed: read once, payloads from the copy",
		  test_one_pass },
		{ "the copy: unnamed, 0600, where", test_spool_where },
		{ "the copy is what was verified",
		  test_spool_is_verified_copy },
		{ "no copy without payload streams",
		  test_spool_not_for_verify },
		{ "the copy cannot be written", test_spool_write_fails },
		{ "no room for the copy", test_spool_no_room },
		{ "streams of entries with long names",
		  test_stream_long_names },
		{ "compressed file cut short", test_compressed_truncated },
	};
	CU_pSuite suite;

	if (tu_init())
		return tu_abort();
	suite = CU_add_suite("supfile", suite_init, suite_clean);
	if (!suite)
		return tu_abort();
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (!CU_add_test(suite, tests[i].name, tests[i].fn))
			return tu_abort();
	return tu_run();
}
