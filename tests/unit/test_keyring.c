/* SPDX-License-Identifier: MIT */
/*
 * test_keyring.c - the gateway's trust anchors and CRLs (keyring.c): what
 * is loaded, and every file that is refused, with its exact message.
 *
 * The certificates are the test PKI of tests/pki/mkpki.sh ($SUP_TEST_PKI).
 * Files made here are owned by the user running the tests, an owner the
 * keyring accepts (as it accepts root).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "base/problems.h"
#include "base/util.h"
#include "testutil.h"
#include "verify/keyring.h"
#include "verify/signature.h"

static char *pki, *tmp;
static unsigned int counter;

static int suite_init(void)
{
	const char *p = getenv("SUP_TEST_PKI");

	if (!p || !*p) {
		fprintf(stderr, "SUP_TEST_PKI is not set (run through ctest)\n");
		return -1;
	}
	pki = strdup(p);
	tmp = tu_mkdtemp();
	return pki && tmp ? 0 : -1;
}

static int suite_clean(void)
{
	int ret;

	/* Directories made read-only or odd by a test must not stop the
	 * clean-up. */
	ret = tu_rm_rf(tmp);
	free(tmp);
	free(pki);
	return ret;
}

/* --- helpers --------------------------------------------------------- */

static char *P(const char *name)
{
	return tu_path(pki, name);
}

/* The text of a PKI file, malloc'd. */
static char *pki_text(const char *name)
{
	char *p = P(name), *t = tu_read_file(p, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	free(p);
	return t;
}

/* A fresh directory tmp/dN (mode 0755); malloc'd. */
static char *new_dir(void)
{
	char name[32], *d;

	snprintf(name, sizeof(name), "d%u", ++counter);
	d = tu_path(tmp, name);
	CU_ASSERT_EQUAL_FATAL(mkdir(d, 0755), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(d, 0755), 0);
	return d;
}

/* dir/name holding len bytes of data, mode 0644; malloc'd path. */
static char *put(const char *dir, const char *name, const void *data,
		 size_t len)
{
	char *p = tu_path(dir, name);

	CU_ASSERT_EQUAL_FATAL(tu_write_file(p, data, len), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(p, 0644), 0);
	return p;
}

static char *put_str(const char *dir, const char *name, const char *s)
{
	return put(dir, name, s, strlen(s));
}

/* A file in a fresh directory holding text; malloc'd path. */
static char *file_with(const char *text)
{
	char *d = new_dir(), *p = put_str(d, "keyring.pem", text);

	free(d);
	return p;
}

static struct sk_keyring *load_ok(const char *keyring, const char *crl)
{
	struct sk_keyring *k;
	struct sk_problems d;

	sk_problems_init(&d);
	k = sk_keyring_load(keyring, crl, &d);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	sk_problems_release(&d);
	return k;
}

/* The load must fail with exactly msg, class SETUP. */
static void expect_fail(const char *keyring, const char *crl,
			const char *msg, unsigned int line)
{
	struct sk_keyring *k;
	struct sk_problems d;

	sk_problems_init(&d);
	k = sk_keyring_load(keyring, crl, &d);
	CU_assertImplementation(k == NULL, line, "sk_keyring_load refuses",
				__FILE__, "", CU_FALSE);
	tu_assert_diag(&d, (const char *const[]){ msg, NULL }, __FILE__, line);
	CU_assertImplementation(d.count == 1 &&
					d.items[0].cls == SK_PROBLEM_SETUP,
				line, "class SETUP", __FILE__, "", CU_FALSE);
	CU_assertImplementation(sk_problems_exit_code(&d) == 5, line, "exit 5",
				__FILE__, "", CU_FALSE);
	sk_keyring_free(k);
	sk_problems_release(&d);
}
#define EXPECT_FAIL(keyring, crl, msg)                                       \
	expect_fail((keyring), (crl), (msg), __LINE__)

/* EXPECT_FAIL with a message made by sk_asprintf (freed here). */
#define EXPECT_FAILF(keyring, crl, ...)                                      \
	do {                                                                 \
		char *m_ = sk_asprintf(__VA_ARGS__);                         \
		CU_ASSERT_PTR_NOT_NULL_FATAL(m_);                            \
		expect_fail((keyring), (crl), m_, __LINE__);                 \
		free(m_);                                                    \
	} while (0)

/* --- what loads -------------------------------------------------------- */

static void test_one_anchor(void)
{
	char *path = P("keyring.pem");
	struct sk_keyring *k = load_ok(path, NULL);
	const struct sk_cert_info *a;

	CU_ASSERT_EQUAL(sk_keyring_count(k), 1);
	CU_ASSERT_EQUAL(sk_keyring_crl_count(k), 0);
	CU_ASSERT_STRING_EQUAL(sk_keyring_path(k), path);
	CU_ASSERT_PTR_NULL(sk_keyring_crl_path(k));
	CU_ASSERT_PTR_NOT_NULL(sk_keyring_store(k));
	a = sk_keyring_anchor(k, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_STRING_EQUAL(a->subject, "CN=supkit test root CA");
	CU_ASSERT_STRING_EQUAL(a->issuer, "CN=supkit test root CA");
	CU_ASSERT_STRING_EQUAL(a->key, "ECDSA P-384");
	CU_ASSERT_EQUAL(strlen(a->cert_sha256), 64);
	CU_ASSERT_EQUAL(strlen(a->key_sha256), 64);
	CU_ASSERT(a->not_before < a->not_after);
	CU_ASSERT_PTR_NULL(sk_keyring_anchor(k, 1));
	sk_keyring_free(k);
	sk_keyring_free(NULL);
	free(path);
}

static void test_two_anchors(void)
{
	char *path = P("keyring-both.pem");
	struct sk_keyring *k = load_ok(path, NULL);

	CU_ASSERT_EQUAL_FATAL(sk_keyring_count(k), 2);
	/* In file order. */
	CU_ASSERT_STRING_EQUAL(sk_keyring_anchor(k, 0)->subject,
			       "CN=supkit test release CA 2025");
	CU_ASSERT_STRING_EQUAL(sk_keyring_anchor(k, 1)->subject,
			       "CN=supkit test release CA 2027");
	CU_ASSERT_STRING_NOT_EQUAL(sk_keyring_anchor(k, 0)->cert_sha256,
				   sk_keyring_anchor(k, 1)->cert_sha256);
	CU_ASSERT_PTR_NULL(sk_keyring_anchor(k, 2));
	sk_keyring_free(k);
	free(path);
}

/* Text around and between the blocks is ignored: anchors may be
 * annotated. */
static void test_annotated(void)
{
	char *a = pki_text("old-ca.pem"), *b = pki_text("new-ca.pem");
	char *c = pki_text("selfsigned.pem");
	char *text = sk_asprintf("# supkit keyring of the gw-100 fleet\n"
				 "\n"
				 "Release CA 2025 (retire after 2027-06):\n%s"
				 "Subject: CN=supkit test release CA 2027\n"
				 "   fingerprint: (whatever)\n%s\n\n"
				 "-- a line with dashes --\n%s"
				 "trailing words, no newline",
				 a, b, c);
	char *path = file_with(text);
	struct sk_keyring *k = load_ok(path, NULL);

	CU_ASSERT_EQUAL_FATAL(sk_keyring_count(k), 3);
	CU_ASSERT_STRING_EQUAL(sk_keyring_anchor(k, 0)->subject,
			       "CN=supkit test release CA 2025");
	CU_ASSERT_STRING_EQUAL(sk_keyring_anchor(k, 1)->subject,
			       "CN=supkit test release CA 2027");
	CU_ASSERT_STRING_EQUAL(sk_keyring_anchor(k, 2)->subject,
			       "CN=supkit test self-signed signer");
	sk_keyring_free(k);
	free(path);
	free(text);
	free(a);
	free(b);
	free(c);
}

/* Exactly 1 MiB is read (padding in the annotations). */
static void test_size_limit_exact(void)
{
	char *a = pki_text("keyring.pem");
	size_t alen = strlen(a), n = SK_KEYRING_MAX_BYTES;
	char *buf = malloc(n);
	char *d = new_dir(), *path;
	struct sk_keyring *k;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	memset(buf, '#', n);
	memcpy(buf, a, alen);
	buf[n - 1] = '\n';
	path = put(d, "big.pem", buf, n);
	k = load_ok(path, NULL);
	CU_ASSERT_EQUAL(sk_keyring_count(k), 1);
	sk_keyring_free(k);
	free(path);
	free(d);
	free(buf);
	free(a);
}

/* Anchors in a sticky group- or world-writable directory (/tmp-like) are
 * fine: nobody else can replace a file they do not own there. */
static void test_sticky_directory(void)
{
	static const mode_t modes[] = { 01757, 01777, 01775 };
	char *d = new_dir(), *a = pki_text("keyring.pem");
	char *path = put_str(d, "keyring.pem", a);

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct sk_keyring *k;
		struct sk_problems dg;

		CU_ASSERT_EQUAL_FATAL(chmod(d, modes[i]), 0);
		sk_problems_init(&dg);
		k = sk_keyring_load(path, NULL, &dg);
		CU_ASSERT_EQUAL(chmod(d, 0755), 0);
		TU_ASSERT_DIAG_EMPTY(&dg);
		CU_ASSERT_PTR_NOT_NULL(k);
		CU_ASSERT(k && sk_keyring_count(k) == 1);
		sk_keyring_free(k);
		sk_problems_release(&dg);
	}
	free(path);
	free(a);
	free(d);
}

/* A read-only keyring (0444, 0400) is fine. */
static void test_read_only(void)
{
	char *path = P("keyring.pem"), *text = pki_text("keyring.pem");
	char *mine = file_with(text);
	struct sk_keyring *k;

	CU_ASSERT_EQUAL_FATAL(chmod(mine, 0400), 0);
	k = load_ok(mine, NULL);
	sk_keyring_free(k);
	CU_ASSERT_EQUAL_FATAL(chmod(mine, 0444), 0);
	k = load_ok(mine, NULL);
	sk_keyring_free(k);
	free(mine);
	free(text);
	free(path);
}

/* --- what is refused --------------------------------------------------- */

static void test_missing(void)
{
	char *d = new_dir();
	char *path = tu_path(d, "keyring.pem");
	char *nodir = tu_path(d, "no/keyring.pem");

	EXPECT_FAILF(path, NULL, "keyring '%s': No such file or directory",
		     path);
	EXPECT_FAILF(nodir, NULL, "keyring '%s': No such file or directory",
		     nodir);
	free(nodir);
	free(path);
	free(d);
}

static void test_empty_and_no_pem(void)
{
	char *empty = file_with("");
	char *text = file_with("hello, this is no keyring\n");
	char *begin_only = file_with("-----BEGIN\n");

	EXPECT_FAILF(empty, NULL, "keyring '%s' holds no PEM CERTIFICATE",
		     empty);
	EXPECT_FAILF(text, NULL, "keyring '%s' holds no PEM CERTIFICATE",
		     text);
	EXPECT_FAILF(begin_only, NULL,
		     "keyring '%s' holds no PEM CERTIFICATE", begin_only);
	free(empty);
	free(text);
	free(begin_only);
}

static void test_private_key(void)
{
	char *key = pki_text("signer-ec256.key"), *cert = pki_text("keyring.pem");
	char *rsa = pki_text("signer-rsa.key");
	char *both = sk_asprintf("%s%s", cert, key);
	char *first = sk_asprintf("%s%s", key, cert);
	char *p_both = file_with(both), *p_first = file_with(first);
	char *p_rsa = file_with(rsa);

	EXPECT_FAILF(p_both, NULL,
		     "keyring '%s': PEM block 2 is a private key; it must hold CERTIFICATE blocks only (remove the key, and consider it exposed)",
		     p_both);
	EXPECT_FAILF(p_first, NULL,
		     "keyring '%s': PEM block 1 is a private key; it must hold CERTIFICATE blocks only (remove the key, and consider it exposed)",
		     p_first);
	EXPECT_FAILF(p_rsa, NULL,
		     "keyring '%s': PEM block 1 is a private key; it must hold CERTIFICATE blocks only (remove the key, and consider it exposed)",
		     p_rsa);
	free(p_both);
	free(p_first);
	free(p_rsa);
	free(both);
	free(first);
	free(key);
	free(cert);
	free(rsa);
}

/* "EC PRIVATE KEY" and "RSA PRIVATE KEY" (traditional formats) too. */
static void test_private_key_traditional(void)
{
	char *d = new_dir();
	char *out = tu_path(d, "trad.pem");
	char *key = P("signer-ec256.key"), *cmd, *text;

	cmd = sk_asprintf("openssl ec -in '%s' -out '%s' 2>/dev/null", key,
			  out);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	text = tu_read_file(out, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "BEGIN EC PRIVATE KEY"));
	CU_ASSERT_EQUAL_FATAL(chmod(out, 0644), 0);
	EXPECT_FAILF(out, NULL,
		     "keyring '%s': PEM block 1 is a private key; it must hold CERTIFICATE blocks only (remove the key, and consider it exposed)",
		     out);
	free(text);
	free(cmd);
	free(key);
	free(out);
	free(d);
}

static void test_other_blocks(void)
{
	char *crl = pki_text("crl.pem"), *cert = pki_text("keyring.pem");
	char *crl_in = sk_asprintf("%s%s", cert, crl);
	char *p_crl = file_with(crl_in);
	char *d = new_dir();
	char *pub = tu_path(d, "pub.pem");
	char *key = P("signer-ec256.key"), *cmd;
	char *p_junk = file_with("-----BEGIN SOMETHING\x1b[2J-----\n"
				 "AAAA\n"
				 "-----END SOMETHING\x1b[2J-----\n");

	EXPECT_FAILF(p_crl, NULL,
		     "keyring '%s': PEM block 2 is a 'X509 CRL', expected CERTIFICATE",
		     p_crl);
	cmd = sk_asprintf("openssl pkey -in '%s' -pubout -out '%s'", key, pub);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(pub, 0644), 0);
	EXPECT_FAILF(pub, NULL,
		     "keyring '%s': PEM block 1 is a 'PUBLIC KEY', expected CERTIFICATE",
		     pub);
	/* OpenSSL's "trusted certificate" form is not a plain one. */
	{
		char *src = P("keyring.pem"), *tc = tu_path(d, "trusted.pem");
		char *c2 = sk_asprintf("openssl x509 -in '%s' -trustout -addtrust codeSigning -out '%s' && chmod 644 '%s'",
				       src, tc, tc);

		CU_ASSERT_EQUAL_FATAL(system(c2), 0);
		EXPECT_FAILF(tc, NULL,
			     "keyring '%s': PEM block 1 is a 'TRUSTED CERTIFICATE', expected CERTIFICATE",
			     tc);
		free(c2);
		free(tc);
		free(src);
	}
	/* The block name is shown escaped. */
	EXPECT_FAILF(p_junk, NULL,
		     "keyring '%s': PEM block 1 is a 'SOMETHING\\x1b[2J', expected CERTIFICATE",
		     p_junk);
	free(cmd);
	free(key);
	free(pub);
	free(d);
	free(p_crl);
	free(p_junk);
	free(crl_in);
	free(crl);
	free(cert);
}

/* Base64 that does not decode, a block without its end, a certificate
 * block whose DER is not a certificate. */
static void test_damaged(void)
{
	char *good = pki_text("keyring.pem"), *two = pki_text("keyring-both.pem");
	char *bad64 = strdup(good), *noend = strdup(good);
	char *p, *p_bad64, *p_noend, *p_notder, *p_second;
	char *second;

	CU_ASSERT_FATAL(bad64 && noend);
	/* A character outside base64 in the middle of the body. */
	p = strchr(bad64, '\n');
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p[10] = '*';
	p_bad64 = file_with(bad64);
	EXPECT_FAILF(p_bad64, NULL, "keyring '%s': PEM block 1 is damaged",
		     p_bad64);
	/* Cut before the END line. */
	p = strstr(noend, "-----END");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	*p = '\0';
	p_noend = file_with(noend);
	EXPECT_FAILF(p_noend, NULL, "keyring '%s': PEM block 1 is damaged",
		     p_noend);
	/* Valid base64 of bytes that are no certificate. */
	p_notder = file_with("-----BEGIN CERTIFICATE-----\n"
			     "aGVsbG8gd29ybGQ=\n"
			     "-----END CERTIFICATE-----\n");
	EXPECT_FAILF(p_notder, NULL, "keyring '%s': certificate 1 cannot be read",
		     p_notder);
	/* A certificate followed by bytes inside its block. */
	{
		char *d = new_dir(), *der = tu_path(d, "x.der");
		char *pem = tu_path(d, "trailing.pem"), *src = P("keyring.pem");
		char *cmd = sk_asprintf("openssl x509 -in '%s' -outform DER -out '%s' && printf 'xx' >>'%s' && "
					"{ echo '-----BEGIN CERTIFICATE-----'; openssl base64 -in '%s'; echo '-----END CERTIFICATE-----'; } >'%s' && chmod 644 '%s'",
					src, der, der, der, pem, pem);

		CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
		EXPECT_FAILF(pem, NULL,
			     "keyring '%s': certificate 1 cannot be read", pem);
		free(cmd);
		free(src);
		free(pem);
		free(der);
		free(d);
	}
	/* The second block damaged: counted as block 2. */
	second = sk_asprintf("%s%s", good, bad64);
	p_second = file_with(second);
	EXPECT_FAILF(p_second, NULL, "keyring '%s': PEM block 2 is damaged",
		     p_second);
	free(second);
	free(p_second);
	free(p_notder);
	free(p_noend);
	free(p_bad64);
	free(bad64);
	free(noend);
	free(good);
	free(two);
}

static void test_symlink(void)
{
	char *d = new_dir(), *text = pki_text("keyring.pem");
	char *real = put_str(d, "real.pem", text);
	char *link = tu_path(d, "keyring.pem");
	char *dlink = tu_path(tmp, "dirlink");
	char *through = tu_path(dlink, "real.pem");
	struct sk_keyring *k;

	CU_ASSERT_EQUAL_FATAL(symlink("real.pem", link), 0);
	EXPECT_FAILF(link, NULL, "keyring '%s': is a symbolic link", link);
	/* A link to a directory above the file is followed (only the last
	 * component must not be a link). */
	CU_ASSERT_EQUAL_FATAL(symlink(d, dlink), 0);
	k = load_ok(through, NULL);
	sk_keyring_free(k);
	free(through);
	free(dlink);
	free(link);
	free(real);
	free(text);
	free(d);
}

static void test_writable_file(void)
{
	static const mode_t modes[] = { 0664, 0646, 0666, 0620, 0602 };
	char *text = pki_text("keyring.pem");
	char *path = file_with(text);

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(chmod(path, modes[i]), 0);
		EXPECT_FAILF(path, NULL,
			     "keyring '%s' may be changed by other users (mode %04o, owner %lu): it must be owned by root (or the user running sup) and writable by its owner only",
			     path, (unsigned)modes[i],
			     (unsigned long)geteuid());
	}
	free(path);
	free(text);
}

static void test_writable_directory(void)
{
	static const mode_t modes[] = { 0775, 0757, 0777, 0770 };
	char *d = new_dir(), *text = pki_text("keyring.pem");
	char *path = put_str(d, "keyring.pem", text);

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(chmod(d, modes[i]), 0);
		EXPECT_FAILF(path, NULL,
			     "keyring '%s': its directory '%s' may be changed by other users (mode %04o, owner %lu)",
			     path, d, (unsigned)modes[i],
			     (unsigned long)geteuid());
	}
	CU_ASSERT_EQUAL(chmod(d, 0755), 0);
	free(path);
	free(text);
	free(d);
}

/* Owned by another user (not root): refused, file or directory. Needs
 * root to give files away; skipped otherwise. */
static void test_other_owner(void)
{
	char *d = new_dir(), *text = pki_text("keyring.pem");
	char *path = put_str(d, "keyring.pem", text);

	if (geteuid() != 0) {
		fprintf(stderr, "(skipped: not root) ");
		goto out;
	}
	CU_ASSERT_EQUAL_FATAL(chown(path, 4242, 4242), 0);
	EXPECT_FAILF(path, NULL,
		     "keyring '%s' may be changed by other users (mode 0644, owner 4242): it must be owned by root (or the user running sup) and writable by its owner only",
		     path);
	CU_ASSERT_EQUAL_FATAL(chown(path, 0, 0), 0);
	CU_ASSERT_EQUAL_FATAL(chown(d, 4242, 4242), 0);
	EXPECT_FAILF(path, NULL,
		     "keyring '%s': its directory '%s' may be changed by other users (mode 0755, owner 4242)",
		     path, d);
	CU_ASSERT_EQUAL(chown(d, 0, 0), 0);
	/* root-owned, group-owned by anyone: fine. */
	CU_ASSERT_EQUAL_FATAL(chown(path, 0, 4242), 0);
	CU_ASSERT_EQUAL_FATAL(chown(d, 0, 4242), 0);
	sk_keyring_free(load_ok(path, NULL));
out:
	free(path);
	free(text);
	free(d);
}

static void test_too_large(void)
{
	size_t n = SK_KEYRING_MAX_BYTES + 1;
	char *a = pki_text("keyring.pem");
	char *buf = malloc(n), *d = new_dir(), *path;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	memset(buf, '#', n);
	memcpy(buf, a, strlen(a));
	path = put(d, "big.pem", buf, n);
	EXPECT_FAILF(path, NULL,
		     "keyring '%s' is not a regular file of at most 1048576 bytes",
		     path);
	free(path);
	free(d);
	free(buf);
	free(a);
}

/* A directory or a FIFO where the keyring should be (a FIFO must not
 * block the load). */
static void test_not_regular(void)
{
	char *d = new_dir();
	char *sub = tu_path(d, "keyring.pem");
	char *fifo = tu_path(d, "fifo.pem");

	CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0755), 0);
	EXPECT_FAILF(sub, NULL,
		     "keyring '%s' is not a regular file of at most 1048576 bytes",
		     sub);
	CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0644), 0);
	EXPECT_FAILF(fifo, NULL,
		     "keyring '%s' is not a regular file of at most 1048576 bytes",
		     fifo);
	free(fifo);
	free(sub);
	free(d);
}

/* --- CRL files ----------------------------------------------------------- */

static void test_crl(void)
{
	char *kr = P("keyring.pem"), *crl = P("crl.pem");
	char *full = P("crl-full.pem"), *empty = P("crl-empty.pem");
	struct sk_keyring *k;

	k = load_ok(kr, crl);
	CU_ASSERT_EQUAL(sk_keyring_count(k), 1);
	CU_ASSERT_EQUAL(sk_keyring_crl_count(k), 1);
	CU_ASSERT_STRING_EQUAL(sk_keyring_crl_path(k), crl);
	CU_ASSERT_STRING_EQUAL(sk_keyring_path(k), kr);
	sk_keyring_free(k);
	k = load_ok(kr, full);
	CU_ASSERT_EQUAL(sk_keyring_crl_count(k), 2);
	sk_keyring_free(k);
	/* A CRL that revokes nothing is still a CRL. */
	k = load_ok(kr, empty);
	CU_ASSERT_EQUAL(sk_keyring_crl_count(k), 1);
	sk_keyring_free(k);
	free(kr);
	free(crl);
	free(full);
	free(empty);
}

static void test_crl_refused(void)
{
	char *kr = P("keyring.pem");
	char *crl = pki_text("crl.pem"), *cert = pki_text("keyring.pem");
	char *key = pki_text("signer-ec256.key");
	char *mixed = sk_asprintf("%s%s", crl, cert);
	char *with_key = sk_asprintf("%s%s", crl, key);
	char *p_mixed = file_with(mixed), *p_cert = file_with(cert);
	char *p_key = file_with(with_key), *p_empty = file_with("");
	char *d = new_dir(), *missing = tu_path(d, "crl.pem");
	char *p_writable = file_with(crl);

	EXPECT_FAILF(kr, p_mixed,
		     "CRL file '%s': PEM block 2 is a 'CERTIFICATE', expected X509 CRL",
		     p_mixed);
	EXPECT_FAILF(kr, p_cert,
		     "CRL file '%s': PEM block 1 is a 'CERTIFICATE', expected X509 CRL",
		     p_cert);
	EXPECT_FAILF(kr, p_key,
		     "CRL file '%s': PEM block 2 is a private key; it must hold X509 CRL blocks only (remove the key, and consider it exposed)",
		     p_key);
	EXPECT_FAILF(kr, p_empty, "CRL file '%s' holds no PEM X509 CRL",
		     p_empty);
	EXPECT_FAILF(kr, missing, "CRL file '%s': No such file or directory",
		     missing);
	CU_ASSERT_EQUAL_FATAL(chmod(p_writable, 0666), 0);
	EXPECT_FAILF(kr, p_writable,
		     "CRL file '%s' may be changed by other users (mode 0666, owner %lu): it must be owned by root (or the user running sup) and writable by its owner only",
		     p_writable, (unsigned long)geteuid());
	/* A damaged CRL body. */
	{
		char *bad = sk_asprintf("-----BEGIN X509 CRL-----\n"
					"aGVsbG8gd29ybGQ=\n"
					"-----END X509 CRL-----\n");
		char *p_bad = file_with(bad);

		EXPECT_FAILF(kr, p_bad, "CRL file '%s': CRL 1 cannot be read",
			     p_bad);
		free(p_bad);
		free(bad);
	}
	free(p_writable);
	free(missing);
	free(d);
	free(p_mixed);
	free(p_cert);
	free(p_key);
	free(p_empty);
	free(mixed);
	free(with_key);
	free(crl);
	free(cert);
	free(key);
	free(kr);
}

/* The keyring is checked before the CRL file: a bad keyring is what is
 * reported, once. */
static void test_keyring_before_crl(void)
{
	char *d = new_dir();
	char *kr = tu_path(d, "keyring.pem"), *crl = tu_path(d, "crl.pem");

	EXPECT_FAILF(kr, crl, "keyring '%s': No such file or directory", kr);
	free(kr);
	free(crl);
	free(d);
}

static CU_TestInfo load_tests[] = {
	{ "one anchor", test_one_anchor },
	{ "two anchors", test_two_anchors },
	{ "annotated", test_annotated },
	{ "1 MiB exactly", test_size_limit_exact },
	{ "sticky directory", test_sticky_directory },
	{ "read-only file", test_read_only },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo refuse_tests[] = {
	{ "missing", test_missing },
	{ "empty, no PEM", test_empty_and_no_pem },
	{ "private key", test_private_key },
	{ "private key, traditional format", test_private_key_traditional },
	{ "CRL, public key, other blocks", test_other_blocks },
	{ "damaged blocks", test_damaged },
	{ "symbolic link", test_symlink },
	{ "group/world-writable file", test_writable_file },
	{ "group/world-writable directory", test_writable_directory },
	{ "owned by another user", test_other_owner },
	{ "larger than 1 MiB", test_too_large },
	{ "directory, FIFO", test_not_regular },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo crl_tests[] = {
	{ "CRL counted", test_crl },
	{ "CRL refused", test_crl_refused },
	{ "keyring first", test_keyring_before_crl },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "keyring load", suite_init, suite_clean, NULL, NULL, load_tests },
	{ "keyring refuse", suite_init, suite_clean, NULL, NULL,
	  refuse_tests },
	{ "keyring crl", suite_init, suite_clean, NULL, NULL, crl_tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	if (tu_init() || CU_register_suites(suites) != CUE_SUCCESS)
		return tu_abort();
	return tu_run();
}
