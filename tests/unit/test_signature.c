/* SPDX-License-Identifier: MIT */
/*
 * test_signature.c - manifest.sig: CMS signatures checked against a
 * keyring (sk_signature_verify), described (sk_signature_describe) and
 * made (sk_signer_load, sk_signer_sign).
 *
 * Signatures come from two makers: sk_signer_sign and, as an independent
 * implementation, `openssl cms -sign -binary -nosmimecap -outform DER`.
 * The certificates are the test PKI of tests/pki/mkpki.sh ($SUP_TEST_PKI,
 * set by CTest). Statuses and reasons are asserted exactly: the reason is
 * what `sup install` prints.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/problems.h"
#include "base/util.h"
#include "testutil.h"
#include "verify/keyring.h"
#include "verify/signature.h"

#define DAY 86400

static char *pki, *tmp;
static char *mpath; /* the manifest text as a file, for openssl */
static unsigned int counter; /* unique names and serials */

static const char manifest[] =
	"{\"sup_format\":1,\"package\":{\"name\":\"edge-agent\","
	"\"version\":\"2.4.1\"},\"payloads\":{},\"actions\":"
	"[{\"id\":\"a\",\"type\":\"exec.command\"}]}\n";
#define MLEN (sizeof(manifest) - 1)

static const char other_text[] =
	"{\"sup_format\":1,\"package\":{\"name\":\"edge-agent\","
	"\"version\":\"9.9.9\"},\"payloads\":{},\"actions\":"
	"[{\"id\":\"a\",\"type\":\"exec.command\"}]}\n";

static int suite_init(void)
{
	const char *p = getenv("SUP_TEST_PKI");

	unsetenv("SOURCE_DATE_EPOCH");
	if (!p || !*p) {
		fprintf(stderr, "SUP_TEST_PKI is not set (run through ctest)\n");
		return -1;
	}
	pki = strdup(p);
	tmp = tu_mkdtemp();
	if (!pki || !tmp)
		return -1;
	mpath = tu_path(tmp, "manifest.json");
	return tu_write_file(mpath, manifest, MLEN);
}

static int suite_clean(void)
{
	int ret = tu_rm_rf(tmp);

	free(mpath);
	free(tmp);
	free(pki);
	return ret;
}

/* --- helpers ----------------------------------------------------------- */

static char *P(const char *name)
{
	return tu_path(pki, name);
}

/* Run a shell command (stderr to tmp/commands.log); its exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char *cmd = NULL, *full;
	va_list ap;
	int st;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	full = sk_asprintf("(%s) >>'%s/commands.log' 2>&1", cmd, tmp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(full);
	st = system(full);
	free(full);
	free(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The first line of a command's standard output, malloc'd. */
static char *capture(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *capture(const char *fmt, ...)
{
	char *cmd = NULL, line[512] = "";
	va_list ap;
	FILE *fp;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	fp = popen(cmd, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	if (!fgets(line, sizeof(line), fp))
		line[0] = '\0';
	CU_ASSERT_EQUAL(pclose(fp), 0);
	free(cmd);
	line[strcspn(line, "\n")] = '\0';
	return strdup(line);
}

/* The signature of the manifest by `openssl cms -sign` with extra
 * arguments args (signer, key, options). */
static unsigned char *ossl_sign_file(const char *in, const char *args,
				     size_t *len)
{
	char name[32];
	char *out;
	unsigned char *der;

	snprintf(name, sizeof(name), "ossl-%u.der", ++counter);
	out = tu_path(tmp, name);
	CU_ASSERT_EQUAL_FATAL(sh("openssl cms -sign -binary -nosmimecap "
				 "-outform DER -in '%s' -out '%s' %s",
				 in, out, args),
			      0);
	der = (unsigned char *)tu_read_file(out, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(der);
	free(out);
	return der;
}

static unsigned char *ossl_sign(const char *args, size_t *len)
{
	return ossl_sign_file(mpath, args, len);
}

/* "-signer PKI/NAME.pem -inkey PKI/NAME.key" plus extra, malloc'd. */
static char *by(const char *name, const char *extra)
{
	char *s = sk_asprintf("-signer '%s/%s.pem' -inkey '%s/%s.key' %s", pki,
			      name, pki, name, extra ? extra : "");

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

static unsigned char *ossl_by(const char *name, const char *extra,
			      size_t *len)
{
	char *args = by(name, extra);
	unsigned char *der = ossl_sign(args, len);

	free(args);
	return der;
}

/* "-certfile PKI/chain.pem", malloc'd. */
static char *with_chain(const char *extra)
{
	char *s = sk_asprintf("-certfile '%s/chain.pem' %s", pki,
			      extra ? extra : "");

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

static unsigned char *ossl_chain(const char *name, const char *extra,
				 size_t *len)
{
	char *e = with_chain(extra);
	unsigned char *der = ossl_by(name, e, len);

	free(e);
	return der;
}

static struct sk_signer *load_signer(const char *name, bool chain, bool pss)
{
	char *key = sk_asprintf("%s/%s.key", pki, name);
	char *cert = sk_asprintf("%s/%s.pem", pki, name);
	char *ch = chain ? P("chain.pem") : NULL;
	struct sk_signer *s;
	struct sk_problems d;

	sk_problems_init(&d);
	s = sk_signer_load(key, cert, ch, pss, &d);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	sk_problems_release(&d);
	free(key);
	free(cert);
	free(ch);
	return s;
}

static unsigned char *sign_with(const struct sk_signer *s, const void *data,
				size_t len, time_t when, size_t *der_len)
{
	unsigned char *der = NULL;
	char *err = NULL;

	CU_ASSERT_EQUAL_FATAL(sk_signer_sign(s, data, len, when, &der,
					     der_len, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(der);
	CU_ASSERT(*der_len > 0 && *der_len <= SK_SIGNATURE_MAX_BYTES);
	return der;
}

/* The manifest signed by sk_signer_sign with PKI signer name. */
static unsigned char *c_sign(const char *name, bool chain, bool pss,
			     time_t when, size_t *len)
{
	struct sk_signer *s = load_signer(name, chain, pss);
	unsigned char *der = sign_with(s, manifest, MLEN, when, len);

	sk_signer_free(s);
	return der;
}

static struct sk_verify_params params_now(void)
{
	struct sk_verify_params p = {
		.validity = SK_VALIDITY_AUTO,
		.clock = time(NULL),
		.floor = (time_t)SUPKIT_BUILD_EPOCH,
		.require_code_signing = false,
	};

	return p;
}

static struct sk_keyring *keyring(const char *name, const char *crl)
{
	char *k = P(name), *c = crl ? P(crl) : NULL;
	struct sk_keyring *kr;
	struct sk_problems d;

	sk_problems_init(&d);
	kr = sk_keyring_load(k, c, &d);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(kr);
	sk_problems_release(&d);
	free(k);
	free(c);
	return kr;
}

/* Verify data against keyring kname (and CRL crl) with p (NULL: now). */
static int verify_data(const char *kname, const char *crl, const void *data,
		       size_t len, const void *sig, size_t sig_len,
		       const struct sk_verify_params *p,
		       struct sk_sig_result *r)
{
	struct sk_verify_params now = params_now();
	struct sk_keyring *k = keyring(kname, crl);
	int ret;

	ret = sk_signature_verify(k, data, len, sig, sig_len, p ? p : &now, r);
	sk_keyring_free(k);
	return ret;
}

static int verify(const char *kname, const void *sig, size_t sig_len,
		  struct sk_sig_result *r)
{
	return verify_data(kname, NULL, manifest, MLEN, sig, sig_len, NULL, r);
}

/* r holds status st and reason why (NULL: none for SK_SIG_OK, any for
 * the others), and ret agrees. */
#define EXPECT(ret, r, st, why) expect((ret), (r), (st), (why), __LINE__)
static void expect(int ret, const struct sk_sig_result *r,
		   enum sk_sig_status st, const char *why, unsigned int line)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), "status %s (%d), expected %s (%d)",
		 sk_sig_status_name(r->status), (int)r->status,
		 sk_sig_status_name(st), (int)st);
	CU_assertImplementation(r->status == st, line, msg, __FILE__, "",
				CU_FALSE);
	CU_assertImplementation(ret == (st == SK_SIG_OK ? 0 : -1), line,
				"return value agrees with the status",
				__FILE__, "", CU_FALSE);
	if (why) {
		snprintf(msg, sizeof(msg), "reason \"%s\", expected \"%s\"",
			 r->reason ? r->reason : "(null)", why);
		CU_assertImplementation(r->reason && !strcmp(r->reason, why),
					line, msg, __FILE__, "", CU_FALSE);
	} else if (st == SK_SIG_OK) {
		snprintf(msg, sizeof(msg), "reason \"%s\", expected none",
			 r->reason ? r->reason : "(null)");
		CU_assertImplementation(r->reason == NULL, line, msg, __FILE__,
					"", CU_FALSE);
	} else {
		/* Any reason, but one. */
		CU_assertImplementation(r->reason != NULL, line,
					"a reason is given", __FILE__, "",
					CU_FALSE);
	}
}

static void utc(time_t t, char buf[32])
{
	struct tm tm;

	CU_ASSERT_PTR_NOT_NULL_FATAL(gmtime_r(&t, &tm));
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "signer not trusted: 'SUBJ' (issued by 'ISS') does not chain to an
 * anchor of the keyring 'PKI/KEYRING'", malloc'd. */
static char *untrusted(const char *subj, const char *iss, const char *kname)
{
	char *s = sk_asprintf("signer not trusted: '%s' (issued by '%s') does not chain to an anchor of the keyring '%s/%s'",
			      subj, iss, pki, kname);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

/* The digest and signature algorithm NIDs of a DER CMS's one signer. */
static void cms_algs(const unsigned char *der, size_t len, int *dig_nid,
		     int *sig_nid, int *nsigners)
{
	const unsigned char *q = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &q, (long)len);
	STACK_OF(CMS_SignerInfo) *sis;
	X509_ALGOR *dig = NULL, *sig = NULL;
	const ASN1_OBJECT *obj = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cms);
	sis = CMS_get0_SignerInfos(cms);
	*nsigners = sk_CMS_SignerInfo_num(sis);
	CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(sis, 0), NULL, NULL,
				 &dig, &sig);
	X509_ALGOR_get0(&obj, NULL, NULL, dig);
	*dig_nid = OBJ_obj2nid(obj);
	X509_ALGOR_get0(&obj, NULL, NULL, sig);
	*sig_nid = OBJ_obj2nid(obj);
	CMS_ContentInfo_free(cms);
}

/* The signing time of a PKI signer's certificate bounds. */
/* The validity of PKI certificate name (CAs too: not through a signer). */
static void cert_times(const char *name, time_t *nb, time_t *na)
{
	char *path = sk_asprintf("%s/%s.pem", pki, name);
	FILE *fp = path ? fopen(path, "r") : NULL;
	X509 *x = fp ? PEM_read_X509(fp, NULL, NULL, NULL) : NULL;
	struct sk_cert_info ci;

	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_EQUAL_FATAL(sk_cert_info_from_x509(&ci, x), 0);
	*nb = ci.not_before;
	*na = ci.not_after;
	sk_cert_info_release(&ci);
	X509_free(x);
	fclose(fp);
	free(path);
}

/*
 * A self-signed code-signing certificate made here (the PKI has none of
 * these shapes): key PREFIX.key, certificate PREFIX.pem. curve: "P-256"
 * or "P-521"; pad: bytes of an extra non-critical extension (0: none).
 */
static void make_cert(const char *prefix, const char *cn, const char *curve,
		      time_t not_before, time_t not_after, size_t pad)
{
	char *kpath = sk_asprintf("%s.key", prefix);
	char *cpath = sk_asprintf("%s.pem", prefix);
	EVP_PKEY *pk = EVP_EC_gen(curve);
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX ctx;
	FILE *fp;
	static const char *const exts[][2] = {
		{ "basicConstraints", "critical,CA:FALSE" },
		{ "keyUsage", "critical,digitalSignature" },
		{ "extendedKeyUsage", "codeSigning" },
	};

	CU_ASSERT_PTR_NOT_NULL_FATAL(pk);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_FATAL(X509_set_version(x, 2));
	CU_ASSERT_FATAL(ASN1_INTEGER_set(X509_get_serialNumber(x),
					 (long)(7000 + ++counter)));
	CU_ASSERT_FATAL(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
			(const unsigned char *)cn, -1, -1, 0));
	CU_ASSERT_FATAL(X509_set_subject_name(x, n));
	CU_ASSERT_FATAL(X509_set_issuer_name(x, n));
	CU_ASSERT_FATAL(ASN1_TIME_set(X509_getm_notBefore(x), not_before) != NULL);
	CU_ASSERT_FATAL(ASN1_TIME_set(X509_getm_notAfter(x), not_after) != NULL);
	CU_ASSERT_FATAL(X509_set_pubkey(x, pk));
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	for (size_t i = 0; i < 3; i++) {
		X509_EXTENSION *e = X509V3_EXT_conf(NULL, &ctx, exts[i][0],
						    exts[i][1]);

		CU_ASSERT_PTR_NOT_NULL_FATAL(e);
		CU_ASSERT_FATAL(X509_add_ext(x, e, -1));
		X509_EXTENSION_free(e);
	}
	if (pad) {
		ASN1_OBJECT *obj = OBJ_txt2obj("1.3.6.1.4.1.55555.1", 1);
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		unsigned char *junk = calloc(1, pad);
		X509_EXTENSION *e;

		CU_ASSERT_FATAL(obj && os && junk);
		CU_ASSERT_FATAL(ASN1_OCTET_STRING_set(os, junk, (int)pad));
		e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
		CU_ASSERT_PTR_NOT_NULL_FATAL(e);
		CU_ASSERT_FATAL(X509_add_ext(x, e, -1));
		X509_EXTENSION_free(e);
		ASN1_OCTET_STRING_free(os);
		ASN1_OBJECT_free(obj);
		free(junk);
	}
	CU_ASSERT_FATAL(X509_sign(x, pk, EVP_sha256()) > 0);
	fp = fopen(kpath, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	CU_ASSERT_FATAL(PEM_write_PrivateKey(fp, pk, NULL, NULL, 0, NULL,
					     NULL));
	fclose(fp);
	fp = fopen(cpath, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	CU_ASSERT_FATAL(PEM_write_X509(fp, x));
	fclose(fp);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(pk);
	free(kpath);
	free(cpath);
}

/* --- valid signatures -------------------------------------------------- */

/* The usual one: ECDSA P-256 under the intermediate, chain embedded. */
static void test_ok_ec256(void)
{
	struct sk_verify_params p = params_now();
	time_t when = p.clock - 3600;
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;
	int dig, sig, n;

	der = c_sign("signer-ec256", true, false, when, &len);
	EXPECT(verify_data("keyring.pem", NULL, manifest, MLEN, der, len, &p,
			   &r),
	       &r, SK_SIG_OK, NULL);
	CU_ASSERT_TRUE(r.has_signer);
	CU_ASSERT_STRING_EQUAL(r.signer.subject, "CN=supkit test signer EC256");
	CU_ASSERT_STRING_EQUAL(r.signer.issuer,
			       "CN=supkit test intermediate CA");
	CU_ASSERT_STRING_EQUAL(r.signer.key, "ECDSA P-256");
	CU_ASSERT_EQUAL(r.signing_time, when);
	CU_ASSERT_EQUAL(r.checked_at, p.clock);
	CU_ASSERT_STRING_EQUAL(sk_sig_status_name(r.status), "verified");
	cms_algs(der, len, &dig, &sig, &n);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(dig, NID_sha256);
	sk_sig_result_release(&r);
	CU_ASSERT_PTR_NULL(r.reason);
	CU_ASSERT_PTR_NULL(r.signer.subject);
	free(der);

	der = ossl_chain("signer-ec256", NULL, &len);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_OK, NULL);
	CU_ASSERT_STRING_EQUAL(r.signer.subject, "CN=supkit test signer EC256");
	/* openssl adds its own signingTime: the clock's. */
	CU_ASSERT(r.signing_time > 0);
	sk_sig_result_release(&r);
	free(der);
}

static void test_ok_ec384(void)
{
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;
	int dig, sig, n;

	der = c_sign("signer-ec384", true, false, time(NULL), &len);
	cms_algs(der, len, &dig, &sig, &n);
	CU_ASSERT_EQUAL(dig, NID_sha384);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_OK, NULL);
	CU_ASSERT_STRING_EQUAL(r.signer.key, "ECDSA P-384");
	sk_sig_result_release(&r);
	free(der);

	der = ossl_chain("signer-ec384", "-md sha384", &len);
	cms_algs(der, len, &dig, &sig, &n);
	CU_ASSERT_EQUAL(dig, NID_sha384);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_OK, NULL);
	sk_sig_result_release(&r);
	free(der);

	/* SHA-512 is accepted too. */
	der = ossl_chain("signer-ec256", "-md sha512", &len);
	cms_algs(der, len, &dig, &sig, &n);
	CU_ASSERT_EQUAL(dig, NID_sha512);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_OK, NULL);
	sk_sig_result_release(&r);
	free(der);
}

static void test_ok_rsa_pkcs1(void)
{
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;
	int dig, sig, n;

	der = c_sign("signer-rsa", true, false, time(NULL), &len);
	cms_algs(der, len, &dig, &sig, &n);
	CU_ASSERT_EQUAL(dig, NID_sha256);
	CU_ASSERT_EQUAL(sig, NID_rsaEncryption);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_OK, NULL);
	CU_ASSERT_STRING_EQUAL(r.signer.key, "RSA 2048");
	CU_ASSERT_STRING_EQUAL(r.signer.subject,
			       "CN=supkit test signer RSA2048");
	sk_sig_result_release(&r);
	free(der);

	der = ossl_chain("signer-rsa", NULL, &len);
	cms_algs(der, len, &dig, &sig, &n);
	CU_ASSERT_EQUAL(sig, NID_rsaEncryption);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_OK, NULL);
	sk_sig_result_release(&r);
	free(der);

	der = c_sign("signer-rsa3072", true, false, time(NULL), &len);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_OK, NULL);
	CU_ASSERT_STRING_EQUAL(r.signer.key, "RSA 3072");
	sk_sig_result_release(&r);
	free(der);
}

static void test_ok_rsa_pss(void)
{
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;
	int dig, sig, n;

	der = c_sign("signer-rsa", true, true, time(NULL), &len);
	cms_algs(der, len, &dig, &sig, &n);
	CU_ASSERT_EQUAL(dig, NID_sha256);
	CU_ASSERT_EQUAL(sig, NID_rsassaPss);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_OK, NULL);
	sk_sig_result_release(&r);
	free(der);

	der = ossl_chain("signer-rsa", "-keyopt rsa_padding_mode:pss", &len);
	cms_algs(der, len, &dig, &sig, &n);
	CU_ASSERT_EQUAL(sig, NID_rsassaPss);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_OK, NULL);
	sk_sig_result_release(&r);
	free(der);
}

/* Without signed attributes there is no signingTime: still valid. */
static void test_ok_no_attributes(void)
{
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;

	der = ossl_chain("signer-ec256", "-noattr", &len);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_OK, NULL);
	CU_ASSERT_EQUAL(r.signing_time, 0);
	sk_sig_result_release(&r);
	free(der);
}

/* An RSA-PSS key (restricted to PSS) signs with PSS without --pss. */
static void test_ok_rsa_pss_key(void)
{
	char *key = tu_path(tmp, "pss-only.key"), *cert = tu_path(tmp, "pss-only.pem");
	struct sk_verify_params p = params_now();
	struct sk_sig_result r;
	struct sk_keyring *k;
	struct sk_signer *s;
	struct sk_problems d;
	unsigned char *der;
	size_t len;
	int dig, sig, n;

	CU_ASSERT_EQUAL_FATAL(sh("openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out '%s' && "
				 "openssl req -x509 -key '%s' -out '%s' -days 2 -subj '/CN=supkit test PSS-only' "
				 "-addext keyUsage=critical,digitalSignature -addext extendedKeyUsage=codeSigning",
				 key, key, cert),
			      0);
	/* The certificate is valid from the second it was made: the clock
	 * is read after that. */
	p = params_now();
	sk_problems_init(&d);
	s = sk_signer_load(key, cert, NULL, false, &d);
	k = sk_keyring_load(cert, NULL, &d);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_FATAL(s && k);
	CU_ASSERT_STRING_EQUAL(sk_signer_cert(s)->key, "RSA-PSS 2048");
	der = sign_with(s, manifest, MLEN, p.clock, &len);
	cms_algs(der, len, &dig, &sig, &n);
	CU_ASSERT_EQUAL(sig, NID_rsassaPss);
	CU_ASSERT_EQUAL(sk_signature_verify(k, manifest, MLEN, der, len, &p, &r),
			0);
	EXPECT(0, &r, SK_SIG_OK, NULL);
	CU_ASSERT_STRING_EQUAL(r.signer.key, "RSA-PSS 2048");
	sk_sig_result_release(&r);
	free(der);
	sk_keyring_free(k);
	sk_signer_free(s);
	sk_problems_release(&d);
	free(key);
	free(cert);
}

/* --- does not match ------------------------------------------------------ */

static void test_mismatch_one_byte(void)
{
	static const size_t at[] = { 0, MLEN / 2, MLEN - 1 };
	unsigned char *ders[2];
	size_t lens[2];
	char changed[sizeof(manifest)];
	struct sk_sig_result r;

	ders[0] = c_sign("signer-ec256", true, false, time(NULL), &lens[0]);
	ders[1] = ossl_chain("signer-ec256", NULL, &lens[1]);
	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < 3; i++) {
			memcpy(changed, manifest, sizeof(manifest));
			changed[at[i]] ^= 0x01;
			EXPECT(verify_data("keyring.pem", NULL, changed, MLEN,
					   ders[k], lens[k], NULL, &r),
			       &r, SK_SIG_MISMATCH,
			       "signature does not match the manifest");
			/* The signer is still described. */
			CU_ASSERT_TRUE(r.has_signer);
			CU_ASSERT_STRING_EQUAL(r.signer.subject,
					       "CN=supkit test signer EC256");
			sk_sig_result_release(&r);
		}
		/* One byte more, one byte less. */
		memcpy(changed, manifest, sizeof(manifest));
		EXPECT(verify_data("keyring.pem", NULL, changed, MLEN - 1,
				   ders[k], lens[k], NULL, &r),
		       &r, SK_SIG_MISMATCH,
		       "signature does not match the manifest");
		sk_sig_result_release(&r);
		free(ders[k]);
	}
}

static void test_mismatch_other_text(void)
{
	char *other = tu_path(tmp, "other.json");
	struct sk_signer *s = load_signer("signer-ec256", true, false);
	char *args;
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;

	der = sign_with(s, other_text, strlen(other_text), time(NULL), &len);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_MISMATCH,
	       "signature does not match the manifest");
	sk_sig_result_release(&r);
	/* The same signature is good for the text it was made for. */
	EXPECT(verify_data("keyring.pem", NULL, other_text, strlen(other_text),
			   der, len, NULL, &r),
	       &r, SK_SIG_OK, NULL);
	sk_sig_result_release(&r);
	free(der);
	sk_signer_free(s);

	CU_ASSERT_EQUAL_FATAL(tu_write_str(other, other_text), 0);
	args = sk_asprintf("-signer '%s/signer-ec256.pem' -inkey '%s/signer-ec256.key' -certfile '%s/chain.pem'",
			   pki, pki, pki);
	der = ossl_sign_file(other, args, &len);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_MISMATCH,
	       "signature does not match the manifest");
	sk_sig_result_release(&r);
	free(der);
	free(args);
	free(other);
}

/* --- trust --------------------------------------------------------------- */

static void test_untrusted_other_signer(void)
{
	char *why = untrusted("CN=supkit test other signer",
			      "CN=supkit test other CA", "keyring.pem");
	char *args;
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;

	der = c_sign("other-signer", false, false, time(NULL), &len);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_UNTRUSTED, why);
	CU_ASSERT_TRUE(r.has_signer);
	sk_sig_result_release(&r);
	free(der);

	/* Its own CA embedded changes nothing: anchors come from the
	 * keyring only. */
	args = sk_asprintf("-certfile '%s/other-ca.pem'", pki);
	der = ossl_by("other-signer", args, &len);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_UNTRUSTED, why);
	sk_sig_result_release(&r);
	free(der);
	free(args);
	free(why);
}

static void test_untrusted_no_intermediate(void)
{
	char *why = untrusted("CN=supkit test signer EC256",
			      "CN=supkit test intermediate CA", "keyring.pem");
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;

	der = c_sign("signer-ec256", false, false, time(NULL), &len);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_UNTRUSTED, why);
	sk_sig_result_release(&r);
	free(der);
	der = ossl_by("signer-ec256", NULL, &len);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_UNTRUSTED, why);
	sk_sig_result_release(&r);
	free(der);
	free(why);
}

/* The intermediate as the anchor: the chain stops there. */
static void test_intermediate_anchor(void)
{
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;

	der = c_sign("signer-ec256", false, false, time(NULL), &len);
	EXPECT(verify("keyring-int.pem", der, len, &r), &r, SK_SIG_OK, NULL);
	sk_sig_result_release(&r);
	free(der);
	der = c_sign("signer-ec256", true, false, time(NULL), &len);
	EXPECT(verify("keyring-int.pem", der, len, &r), &r, SK_SIG_OK, NULL);
	sk_sig_result_release(&r);
	free(der);
	der = ossl_chain("signer-rsa", NULL, &len);
	EXPECT(verify("keyring-int.pem", der, len, &r), &r, SK_SIG_OK, NULL);
	sk_sig_result_release(&r);
	free(der);
}

static void test_selfsigned_anchor(void)
{
	char *why = untrusted("CN=supkit test self-signed signer",
			      "CN=supkit test self-signed signer",
			      "keyring.pem");
	char *why2 = untrusted("CN=supkit test signer EC256",
			       "CN=supkit test intermediate CA",
			       "keyring-selfsigned.pem");
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;

	der = c_sign("selfsigned", false, false, time(NULL), &len);
	EXPECT(verify("keyring-selfsigned.pem", der, len, &r), &r, SK_SIG_OK,
	       NULL);
	sk_sig_result_release(&r);
	/* Self-signed, but not an anchor of this keyring. */
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_UNTRUSTED, why);
	sk_sig_result_release(&r);
	free(der);
	der = ossl_by("selfsigned", NULL, &len);
	EXPECT(verify("keyring-selfsigned.pem", der, len, &r), &r, SK_SIG_OK,
	       NULL);
	sk_sig_result_release(&r);
	free(der);
	/* A self-signed anchor vouches for nobody else. */
	der = c_sign("signer-ec256", true, false, time(NULL), &len);
	EXPECT(verify("keyring-selfsigned.pem", der, len, &r), &r,
	       SK_SIG_UNTRUSTED, why2);
	sk_sig_result_release(&r);
	free(der);
	free(why);
	free(why2);
}

/* Key rotation: several anchors; a removed anchor no longer counts. */
static void test_rotation(void)
{
	char *why = untrusted("CN=supkit test release signer 2025",
			      "CN=supkit test release CA 2025",
			      "keyring-new.pem");
	struct sk_sig_result r;
	unsigned char *old, *new;
	size_t olen, nlen;

	old = c_sign("old-signer", false, false, time(NULL), &olen);
	new = c_sign("new-signer", false, false, time(NULL), &nlen);
	EXPECT(verify("keyring-both.pem", old, olen, &r), &r, SK_SIG_OK, NULL);
	sk_sig_result_release(&r);
	EXPECT(verify("keyring-both.pem", new, nlen, &r), &r, SK_SIG_OK, NULL);
	sk_sig_result_release(&r);
	EXPECT(verify("keyring-new.pem", new, nlen, &r), &r, SK_SIG_OK, NULL);
	sk_sig_result_release(&r);
	EXPECT(verify("keyring-new.pem", old, olen, &r), &r, SK_SIG_UNTRUSTED,
	       why);
	sk_sig_result_release(&r);
	free(old);
	free(new);
	free(why);
}

/* --- validity and revocation ----------------------------------------------- */

static void test_expired(void)
{
	struct sk_verify_params p = params_now();
	char at[32], *why;
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;

	utc(p.clock, at);
	why = sk_asprintf("certificate expired: 'CN=supkit test signer expired' was valid until 2021-01-01T00:00:00Z (checked at %s)",
			  at);
	der = c_sign("expired", true, false, p.clock, &len);
	EXPECT(verify_data("keyring.pem", NULL, manifest, MLEN, der, len, &p,
			   &r),
	       &r, SK_SIG_EXPIRED, why);
	CU_ASSERT_EQUAL(r.checked_at, p.clock);
	CU_ASSERT_STRING_EQUAL(sk_sig_status_name(r.status), "expired");
	sk_sig_result_release(&r);
	free(der);
	der = ossl_chain("expired", NULL, &len);
	EXPECT(verify_data("keyring.pem", NULL, manifest, MLEN, der, len, &p,
			   &r),
	       &r, SK_SIG_EXPIRED, why);
	sk_sig_result_release(&r);
	free(der);
	free(why);
}

static void test_not_yet_valid(void)
{
	struct sk_verify_params p = params_now();
	char at[32], *why;
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;

	utc(p.clock, at);
	why = sk_asprintf("certificate not yet valid: 'CN=supkit test signer not yet valid' is valid from 2098-01-01T00:00:00Z (checked at %s)",
			  at);
	der = c_sign("notyet", true, false, p.clock, &len);
	EXPECT(verify_data("keyring.pem", NULL, manifest, MLEN, der, len, &p,
			   &r),
	       &r, SK_SIG_NOT_YET_VALID, why);
	CU_ASSERT_EQUAL(r.checked_at, p.clock);
	/* signingTime was clamped up to notBefore (2098-01-01). */
	CU_ASSERT_EQUAL(r.signing_time, (time_t)4039372800LL);
	CU_ASSERT_STRING_EQUAL(sk_sig_status_name(r.status), "not_yet_valid");
	sk_sig_result_release(&r);
	free(der);
	der = ossl_chain("notyet", NULL, &len);
	EXPECT(verify_data("keyring.pem", NULL, manifest, MLEN, der, len, &p,
			   &r),
	       &r, SK_SIG_NOT_YET_VALID, why);
	sk_sig_result_release(&r);
	free(der);
	free(why);
}

static void test_revoked(void)
{
	char *crl = P("crl.pem"), *crl_full = P("crl-full.pem");
	char *why = sk_asprintf("certificate revoked: 'CN=supkit test signer revoked' is listed in the CRL '%s'",
				crl);
	char *why_full = sk_asprintf("certificate revoked: 'CN=supkit test signer revoked' is listed in the CRL '%s'",
				     crl_full);
	struct sk_sig_result r;
	unsigned char *rev, *rev_o, *good;
	size_t rlen, rolen, glen;

	rev = c_sign("revoked", true, false, time(NULL), &rlen);
	rev_o = ossl_chain("revoked", NULL, &rolen);
	good = c_sign("signer-ec256", true, false, time(NULL), &glen);

	/* No CRL: nothing is known against it. */
	EXPECT(verify("keyring.pem", rev, rlen, &r), &r, SK_SIG_OK, NULL);
	sk_sig_result_release(&r);
	EXPECT(verify_data("keyring.pem", "crl.pem", manifest, MLEN, rev,
			   rlen, NULL, &r),
	       &r, SK_SIG_REVOKED, why);
	CU_ASSERT_STRING_EQUAL(sk_sig_status_name(r.status), "revoked");
	sk_sig_result_release(&r);
	EXPECT(verify_data("keyring.pem", "crl.pem", manifest, MLEN, rev_o,
			   rolen, NULL, &r),
	       &r, SK_SIG_REVOKED, why);
	sk_sig_result_release(&r);
	EXPECT(verify_data("keyring.pem", "crl-full.pem", manifest, MLEN, rev,
			   rlen, NULL, &r),
	       &r, SK_SIG_REVOKED, why_full);
	sk_sig_result_release(&r);
	/* The CRL revokes what it lists only. */
	EXPECT(verify_data("keyring.pem", "crl.pem", manifest, MLEN, good,
			   glen, NULL, &r),
	       &r, SK_SIG_OK, NULL);
	sk_sig_result_release(&r);
	EXPECT(verify_data("keyring.pem", "crl-full.pem", manifest, MLEN, good,
			   glen, NULL, &r),
	       &r, SK_SIG_OK, NULL);
	sk_sig_result_release(&r);
	EXPECT(verify_data("keyring.pem", "crl-empty.pem", manifest, MLEN, rev,
			   rlen, NULL, &r),
	       &r, SK_SIG_OK, NULL);
	sk_sig_result_release(&r);
	/* The root's CRL says nothing about the intermediate's leaves. */
	EXPECT(verify_data("keyring.pem", "crl-root.pem", manifest, MLEN, rev,
			   rlen, NULL, &r),
	       &r, SK_SIG_OK, NULL);
	sk_sig_result_release(&r);
	free(rev);
	free(rev_o);
	free(good);
	free(why);
	free(why_full);
	free(crl);
	free(crl_full);
}

/* --- weak keys and digests ----------------------------------------------- */

static void test_weak_rsa1024(void)
{
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;

	der = ossl_chain("weak-rsa1024", NULL, &len);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_WEAK,
	       "signer key not accepted: 'CN=supkit test signer RSA1024' (RSA 1024): RSA keys need at least 2048 bits");
	CU_ASSERT_STRING_EQUAL(r.signer.key, "RSA 1024");
	CU_ASSERT_STRING_EQUAL(sk_sig_status_name(r.status), "weak");
	sk_sig_result_release(&r);
	free(der);
}

static void test_weak_digest(void)
{
	static const char *const mds[] = { "sha1", "sha224" };
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;
	int dig, sig, n;

	for (size_t i = 0; i < 2; i++) {
		char md[32];

		snprintf(md, sizeof(md), "-md %s", mds[i]);
		der = ossl_chain("signer-ec256", md, &len);
		cms_algs(der, len, &dig, &sig, &n);
		CU_ASSERT_EQUAL(dig, i == 0 ? NID_sha1 : NID_sha224);
		EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_WEAK,
		       i == 0 ? "signature digest SHA1 not accepted (SHA-256, SHA-384 or SHA-512 are)" :
				"signature digest SHA224 not accepted (SHA-256, SHA-384 or SHA-512 are)");
		sk_sig_result_release(&r);
		free(der);
	}
	der = ossl_chain("signer-rsa", "-md sha1", &len);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_WEAK,
	       "signature digest SHA1 not accepted (SHA-256, SHA-384 or SHA-512 are)");
	sk_sig_result_release(&r);
	free(der);
}

/* ECDSA P-521 is not among the accepted curves (made here: not in the
 * PKI). */
static void test_weak_p521(void)
{
	char *prefix = tu_path(tmp, "p521");
	char *args = sk_asprintf("-signer '%s.pem' -inkey '%s.key'", prefix,
				 prefix);
	char *key = sk_asprintf("%s.key", prefix);
	char *cert = sk_asprintf("%s.pem", prefix);
	char *want = sk_asprintf("signing key '%s' (ECDSA P-521) cannot sign packages: only the ECDSA curves P-256 and P-384 are accepted",
				 key);
	struct sk_sig_result r;
	struct sk_signer *s;
	struct sk_problems d;
	unsigned char *der;
	size_t len;

	make_cert(prefix, "supkit test P-521", "P-521", time(NULL) - DAY,
		  time(NULL) + 365 * DAY, 0);
	der = ossl_sign(args, &len);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_WEAK,
	       "signer key not accepted: 'CN=supkit test P-521' (ECDSA P-521): only the ECDSA curves P-256 and P-384 are accepted");
	sk_sig_result_release(&r);
	free(der);
	sk_problems_init(&d);
	s = sk_signer_load(key, cert, NULL, false, &d);
	CU_ASSERT_PTR_NULL(s);
	TU_ASSERT_DIAG(&d, want);
	sk_problems_release(&d);
	free(want);
	free(key);
	free(cert);
	free(args);
	free(prefix);
}

/* --- key usage ------------------------------------------------------------- */

static void test_server_eku(void)
{
	struct sk_verify_params p = params_now();
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;

	struct sk_problems d;
	char *key = P("server.key"), *cert = P("server.pem"), *want;

	/* sup pack and sup sign refuse it up front... */
	sk_problems_init(&d);
	CU_ASSERT_PTR_NULL(sk_signer_load(key, cert, NULL, false, &d));
	want = sk_asprintf("certificate '%s' ('CN=supkit test server') may not sign code: its extended key usage lacks codeSigning: gateways would refuse what it signs",
			   cert);
	TU_ASSERT_DIAG(&d, want);
	sk_problems_release(&d);
	free(want);
	free(key);
	free(cert);
	/* ...and gateways refuse what another tool signed with it. */
	der = ossl_chain("server", NULL, &len);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_UNTRUSTED,
	       "signer not trusted: 'CN=supkit test server' may not sign code: its extended key usage lacks codeSigning");
	sk_sig_result_release(&r);
	p.require_code_signing = true;
	EXPECT(verify_data("keyring.pem", NULL, manifest, MLEN, der, len, &p,
			   &r),
	       &r, SK_SIG_UNTRUSTED,
	       "signer not trusted: 'CN=supkit test server' may not sign code: its extended key usage lacks codeSigning");
	sk_sig_result_release(&r);
	free(der);
	der = ossl_chain("server", NULL, &len);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_UNTRUSTED,
	       "signer not trusted: 'CN=supkit test server' may not sign code: its extended key usage lacks codeSigning");
	sk_sig_result_release(&r);
	free(der);
}

static void test_no_eku(void)
{
	struct sk_verify_params p = params_now();
	struct sk_sig_result r;
	unsigned char *der, *ok;
	size_t len, oklen;

	der = c_sign("noeku", true, false, time(NULL), &len);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_OK, NULL);
	sk_sig_result_release(&r);
	p.require_code_signing = true;
	EXPECT(verify_data("keyring.pem", NULL, manifest, MLEN, der, len, &p,
			   &r),
	       &r, SK_SIG_UNTRUSTED,
	       "signer not trusted: 'CN=supkit test signer without EKU' has no codeSigning extended key usage, which [trust] require_code_signing asks for");
	sk_sig_result_release(&r);
	/* codeSigning satisfies the requirement. */
	ok = c_sign("signer-ec256", true, false, time(NULL), &oklen);
	EXPECT(verify_data("keyring.pem", NULL, manifest, MLEN, ok, oklen, &p,
			   &r),
	       &r, SK_SIG_OK, NULL);
	sk_sig_result_release(&r);
	free(ok);
	free(der);
}

/* A CA certificate (keyCertSign, cRLSign) may not sign packages. */
static void test_ca_key_usage(void)
{
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;

	der = ossl_by("int-ca", NULL, &len);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_UNTRUSTED,
	       "signer not trusted: 'CN=supkit test intermediate CA' may not sign: its key usage lacks digitalSignature");
	sk_sig_result_release(&r);
	/* Even as the anchor itself. */
	EXPECT(verify("keyring-int.pem", der, len, &r), &r, SK_SIG_UNTRUSTED,
	       "signer not trusted: 'CN=supkit test intermediate CA' may not sign: its key usage lacks digitalSignature");
	sk_sig_result_release(&r);
	free(der);
	der = ossl_by("root-ca", "-md sha384", &len);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_UNTRUSTED,
	       "signer not trusted: 'CN=supkit test root CA' may not sign: its key usage lacks digitalSignature");
	sk_sig_result_release(&r);
	free(der);
}

/* The signer identified by its subject key identifier, not by issuer
 * and serial. */
static void test_ok_keyid(void)
{
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;

	der = ossl_chain("signer-ec256", "-keyid", &len);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_OK, NULL);
	CU_ASSERT_STRING_EQUAL(r.signer.subject, "CN=supkit test signer EC256");
	sk_sig_result_release(&r);
	free(der);
}

/* CRLs with the intermediate as the anchor. */
static void test_revoked_intermediate_anchor(void)
{
	char *crl = P("crl.pem");
	char *why = sk_asprintf("certificate revoked: 'CN=supkit test signer revoked' is listed in the CRL '%s'",
				crl);
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;

	der = c_sign("revoked", false, false, time(NULL), &len);
	EXPECT(verify_data("keyring-int.pem", "crl.pem", manifest, MLEN, der,
			   len, NULL, &r),
	       &r, SK_SIG_REVOKED, why);
	sk_sig_result_release(&r);
	free(der);
	free(why);
	free(crl);
}

/* A subject made to mess up a terminal or a log is shown as printable
 * ASCII. */
static void test_hostile_subject(void)
{
	char *prefix = tu_path(tmp, "hostile");
	char *cert = sk_asprintf("%s.pem", prefix);
	char *args = sk_asprintf("-signer '%s.pem' -inkey '%s.key'", prefix,
				 prefix);
	struct sk_keyring *k;
	struct sk_sig_result r;
	struct sk_problems d;
	unsigned char *der;
	size_t len;

	make_cert(prefix, "Z\xc3\xbcrich \x1b[2J\nevil\x7f", "P-256",
		  time(NULL) - DAY, time(NULL) + DAY, 0);
	der = ossl_sign(args, &len);
	CU_ASSERT_EQUAL(sk_signature_describe(der, len, &r), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.signer.subject);
	for (const char *c = r.signer.subject; *c; c++)
		CU_ASSERT(*c >= 0x20 && *c <= 0x7e);
	for (const char *c = r.signer.issuer; *c; c++)
		CU_ASSERT(*c >= 0x20 && *c <= 0x7e);
	sk_sig_result_release(&r);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_UNTRUSTED, NULL);
	for (const char *c = r.reason; c && *c; c++)
		CU_ASSERT(*c >= 0x20 && *c <= 0x7e);
	sk_sig_result_release(&r);
	/* As its own anchor it is fine. */
	sk_problems_init(&d);
	k = sk_keyring_load(cert, NULL, &d);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	for (const char *c = sk_keyring_anchor(k, 0)->subject; *c; c++)
		CU_ASSERT(*c >= 0x20 && *c <= 0x7e);
	CU_ASSERT_EQUAL(sk_signature_verify(k, manifest, MLEN, der, len,
					    &(struct sk_verify_params){
						    .clock = time(NULL) },
					    &r),
			0);
	sk_sig_result_release(&r);
	sk_keyring_free(k);
	sk_problems_release(&d);
	free(der);
	free(args);
	free(cert);
	free(prefix);
}

/* --- malformed ------------------------------------------------------------ */

static void test_malformed_bytes(void)
{
	static const unsigned char garbage[] = "this is not DER at all";
	static const unsigned char seq[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	struct sk_sig_result r;
	unsigned char *der, *more;
	size_t len;

	EXPECT(verify("keyring.pem", garbage, sizeof(garbage) - 1, &r), &r,
	       SK_SIG_MALFORMED, "signature is not a DER CMS structure");
	CU_ASSERT_FALSE(r.has_signer);
	CU_ASSERT_STRING_EQUAL(sk_sig_status_name(r.status), "malformed");
	sk_sig_result_release(&r);
	/* An empty buffer is not "unsigned". */
	EXPECT(verify("keyring.pem", "", 0, &r), &r, SK_SIG_MALFORMED,
	       "signature is not a DER CMS structure");
	sk_sig_result_release(&r);
	/* DER, but not a ContentInfo. */
	EXPECT(verify("keyring.pem", seq, sizeof(seq), &r), &r,
	       SK_SIG_MALFORMED, "signature is not a DER CMS structure");
	sk_sig_result_release(&r);

	der = c_sign("signer-ec256", true, false, time(NULL), &len);
	/* Truncated: by one byte, and by half. */
	EXPECT(verify("keyring.pem", der, len - 1, &r), &r, SK_SIG_MALFORMED,
	       "signature is not a DER CMS structure");
	sk_sig_result_release(&r);
	EXPECT(verify("keyring.pem", der, len / 2, &r), &r, SK_SIG_MALFORMED,
	       "signature is not a DER CMS structure");
	sk_sig_result_release(&r);
	/* Trailing bytes after the DER. */
	more = malloc(len + 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(more);
	memcpy(more, der, len);
	more[len] = 0;
	more[len + 1] = 0;
	EXPECT(verify("keyring.pem", more, len + 1, &r), &r, SK_SIG_MALFORMED,
	       "signature has data after its DER structure");
	sk_sig_result_release(&r);
	EXPECT(verify("keyring.pem", more, len + 2, &r), &r, SK_SIG_MALFORMED,
	       "signature has data after its DER structure");
	sk_sig_result_release(&r);
	free(more);
	free(der);
}

static void test_malformed_too_big(void)
{
	size_t big = SK_SIGNATURE_MAX_BYTES + 1;
	unsigned char *buf = calloc(1, big);
	struct sk_sig_result r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	EXPECT(verify("keyring.pem", buf, big, &r), &r, SK_SIG_MALFORMED,
	       "signature is 65537 bytes, the limit is 65536");
	sk_sig_result_release(&r);
	CU_ASSERT_EQUAL(sk_signature_describe(buf, big, &r), -1);
	EXPECT(-1, &r, SK_SIG_MALFORMED,
	       "signature is 65537 bytes, the limit is 65536");
	sk_sig_result_release(&r);
	free(buf);
}

static void test_malformed_attached(void)
{
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;

	der = ossl_chain("signer-ec256", "-nodetach", &len);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_MALFORMED,
	       "signature is not detached: it embeds content, manifest.json must be the only signed content");
	sk_sig_result_release(&r);
	free(der);
}

static void test_malformed_two_signers(void)
{
	char *two = sk_asprintf("-signer '%s/signer-ec256.pem' -inkey '%s/signer-ec256.key' -signer '%s/signer-rsa.pem' -inkey '%s/signer-rsa.key' -certfile '%s/chain.pem'",
				pki, pki, pki, pki, pki);
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;
	int dig, sig, n;

	der = ossl_sign(two, &len);
	cms_algs(der, len, &dig, &sig, &n);
	CU_ASSERT_EQUAL(n, 2);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_MALFORMED,
	       "signature has 2 signers, exactly one is accepted");
	sk_sig_result_release(&r);
	free(der);
	free(two);
}

static void test_malformed_nocerts(void)
{
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;

	der = ossl_by("signer-ec256", "-nocerts", &len);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_MALFORMED,
	       "signature does not embed the signer's certificate");
	CU_ASSERT_FALSE(r.has_signer);
	sk_sig_result_release(&r);
	/* The signer's certificate is needed even when the keyring holds
	 * it. */
	EXPECT(verify("keyring-selfsigned.pem", der, len, &r), &r,
	       SK_SIG_MALFORMED,
	       "signature does not embed the signer's certificate");
	sk_sig_result_release(&r);
	free(der);
	/* Only the intermediate embedded, not the signer. */
	der = ossl_chain("signer-ec256", "-nocerts", &len);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_MALFORMED,
	       "signature does not embed the signer's certificate");
	sk_sig_result_release(&r);
	free(der);
}

/* Regression: a signer certificate whose key libcrypto cannot decode (its
 * algorithm OID changed from id-ecPublicKey, 1.2.840.10045.2.1, to
 * ...2.9) crashed the reader (NULL key) before any trust decision; it is
 * malformed, checked with or without a keyring. */
static void test_malformed_unreadable_key(void)
{
	static const unsigned char oid[] = { 0x06, 0x07, 0x2a, 0x86, 0x48,
					     0xce, 0x3d, 0x02, 0x01 };
	struct sk_sig_result r;
	unsigned char *der;
	size_t len, hits = 0;

	der = ossl_by("other-signer", NULL, &len);
	for (size_t i = 0; i + sizeof(oid) <= len; i++)
		if (memcmp(der + i, oid, sizeof(oid)) == 0) {
			der[i + sizeof(oid) - 1] = 0x09;
			hits++;
		}
	CU_ASSERT_FATAL(hits >= 1);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_MALFORMED,
	       "signer certificate has a public key that cannot be read");
	sk_sig_result_release(&r);
	CU_ASSERT_EQUAL(sk_signature_check_match(manifest, MLEN, der, len, &r),
			-1);
	CU_ASSERT_EQUAL(r.status, SK_SIG_MALFORMED);
	sk_sig_result_release(&r);
	CU_ASSERT_EQUAL(sk_signature_describe(der, len, &r), -1);
	CU_ASSERT_EQUAL(r.status, SK_SIG_MALFORMED);
	sk_sig_result_release(&r);
	free(der);
}

/* Regression (found by fuzz_signature): a SignedData whose digest
 * algorithms set names an unknown digest made libcrypto's CMS_verify()
 * leak its copy of the content (LeakSanitizer reports it in the
 * sanitizer build). The answer was and is "mismatch". */
static void test_regress_unknown_digest(void)
{
	const char *src = getenv("SUP_SOURCE_DIR");
	char *path = sk_asprintf("%s/tests/data/regress/leak-cms-verify-unknown-digest.der",
				 src ? src : ".");
	struct sk_sig_result r;
	size_t len = 0;
	unsigned char *der = (unsigned char *)tu_read_file(path, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(der);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(verify("keyring.pem", der, len, &r), -1);
		CU_ASSERT_EQUAL(r.status, SK_SIG_MISMATCH);
		sk_sig_result_release(&r);
		CU_ASSERT_EQUAL(sk_signature_check_match(manifest, MLEN, der,
							 len, &r),
				-1);
		sk_sig_result_release(&r);
	}
	free(der);
	free(path);
}

/* A CMS that is not SignedData: a plain Data and a DigestedData. */
static void test_malformed_not_signed_data(void)
{
	char *out = tu_path(tmp, "data.der");
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(sh("openssl cms -data_create -binary -outform DER -in '%s' -out '%s'",
				 mpath, out),
			      0);
	der = (unsigned char *)tu_read_file(out, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(der);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_MALFORMED,
	       "signature is not a CMS SignedData");
	sk_sig_result_release(&r);
	free(der);
	CU_ASSERT_EQUAL_FATAL(sh("openssl cms -digest_create -binary -outform DER -in '%s' -out '%s'",
				 mpath, out),
			      0);
	der = (unsigned char *)tu_read_file(out, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(der);
	EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_MALFORMED,
	       "signature is not a CMS SignedData");
	sk_sig_result_release(&r);
	free(der);
	free(out);
}

static void test_unsigned(void)
{
	struct sk_sig_result r;

	EXPECT(verify("keyring.pem", NULL, 0, &r), &r, SK_SIG_UNSIGNED,
	       "the package is unsigned");
	CU_ASSERT_FALSE(r.has_signer);
	CU_ASSERT_EQUAL(r.checked_at, 0);
	CU_ASSERT_STRING_EQUAL(sk_sig_status_name(r.status), "unsigned");
	sk_sig_result_release(&r);
	CU_ASSERT_EQUAL(sk_signature_describe(NULL, 0, &r), -1);
	EXPECT(-1, &r, SK_SIG_UNSIGNED, "the package is unsigned");
	sk_sig_result_release(&r);
}

/* --- the time certificates are checked at (check_time in signature.c) --- */

/*
 * AUTO: the clock when it is not behind the floor, else the later of the
 * floor and the signing time. CLOCK: the clock. OFF: not checked
 * (checked_at 0).
 */
static int verify_at(const char *name, bool chain, time_t signed_at,
		     enum sk_validity v, time_t clock, time_t floor,
		     const char *kname, struct sk_sig_result *r)
{
	struct sk_verify_params p = {
		.validity = v, .clock = clock, .floor = floor,
	};
	unsigned char *der;
	size_t len;
	int ret;

	der = c_sign(name, chain, false, signed_at, &len);
	ret = verify_data(kname, NULL, manifest, MLEN, der, len, &p, r);
	free(der);
	return ret;
}

/* No RTC: the clock says 1970, the floor says now. */
static void test_time_bad_clock(void)
{
	time_t now = time(NULL), nb, na;
	char at[32], from[32], *why;
	struct sk_sig_result r;

	cert_times("selfsigned", &nb, &na);
	/* AUTO: the floor stands in for the clock (the signature is older
	 * than the floor). */
	EXPECT(verify_at("signer-ec256", true, now - 3600, SK_VALIDITY_AUTO, 0,
			 now, "keyring.pem", &r),
	       &r, SK_SIG_OK, NULL);
	CU_ASSERT_EQUAL(r.checked_at, now);
	sk_sig_result_release(&r);
	/* CLOCK: 1970, before everything. */
	utc(0, at);
	utc(nb, from);
	why = sk_asprintf("certificate not yet valid: 'CN=supkit test self-signed signer' is valid from %s (checked at %s)",
			  from, at);
	EXPECT(verify_at("selfsigned", false, now - 3600, SK_VALIDITY_CLOCK, 0,
			 now, "keyring-selfsigned.pem", &r),
	       &r, SK_SIG_NOT_YET_VALID, why);
	CU_ASSERT_EQUAL(r.checked_at, 0);
	sk_sig_result_release(&r);
	free(why);
	/* Through a chain, the anchor is checked first (and named). */
	cert_times("root-ca", &nb, &na);
	utc(nb, from);
	why = sk_asprintf("certificate not yet valid: 'CN=supkit test root CA' is valid from %s (checked at %s)",
			  from, at);
	EXPECT(verify_at("signer-ec256", true, now - 3600, SK_VALIDITY_CLOCK,
			 0, now, "keyring.pem", &r),
	       &r, SK_SIG_NOT_YET_VALID, why);
	CU_ASSERT_EQUAL(r.checked_at, 0);
	sk_sig_result_release(&r);
	free(why);
}

/* An expired signer does not get in by dating its signature back while
 * the clock is wrong: the floor is later than its notAfter. */
static void test_time_expired_backdated(void)
{
	time_t now = time(NULL), nb, na;
	char at[32], from[32], *why;
	struct sk_sig_result r;

	utc(now, at);
	why = sk_asprintf("certificate expired: 'CN=supkit test signer expired' was valid until 2021-01-01T00:00:00Z (checked at %s)",
			  at);
	/* 2020-06-01: inside its validity. */
	EXPECT(verify_at("expired", true, 1590969600, SK_VALIDITY_AUTO, 0, now,
			 "keyring.pem", &r),
	       &r, SK_SIG_EXPIRED, why);
	CU_ASSERT_EQUAL(r.signing_time, 1590969600);
	CU_ASSERT_EQUAL(r.checked_at, now);
	sk_sig_result_release(&r);
	free(why);
	/* CLOCK takes the clock as it is, floor or not: in mid-2020 the
	 * signer was valid, but the intermediate (the anchor here) was not
	 * issued yet. */
	cert_times("int-ca", &nb, &na);
	utc(nb, from);
	utc(1590969600, at);
	why = sk_asprintf("certificate not yet valid: 'CN=supkit test intermediate CA' is valid from %s (checked at %s)",
			  from, at);
	EXPECT(verify_at("expired", true, 1590969600, SK_VALIDITY_CLOCK,
			 1590969600, now, "keyring-int.pem", &r),
	       &r, SK_SIG_NOT_YET_VALID, why);
	CU_ASSERT_EQUAL(r.checked_at, 1590969600);
	sk_sig_result_release(&r);
	free(why);
}

/* With a clock behind the floor, a signing time after the floor is the
 * time of the check: it can only make certificates expire sooner. */
static void test_time_signed_after_floor(void)
{
	time_t now = time(NULL), nb, na;
	char at[32], until[32], *why;
	struct sk_sig_result r;

	cert_times("signer-ec256", &nb, &na);
	EXPECT(verify_at("signer-ec256", true, now + DAY, SK_VALIDITY_AUTO, 0,
			 now - DAY, "keyring.pem", &r),
	       &r, SK_SIG_OK, NULL);
	CU_ASSERT_EQUAL(r.checked_at, now + DAY);
	sk_sig_result_release(&r);
	/* Signed after the signer's notAfter (the CAs are still valid). */
	utc(na + DAY, at);
	utc(na, until);
	why = sk_asprintf("certificate expired: 'CN=supkit test signer EC256' was valid until %s (checked at %s)",
			  until, at);
	EXPECT(verify_at("signer-ec256", true, na + DAY, SK_VALIDITY_AUTO, 0,
			 now, "keyring.pem", &r),
	       &r, SK_SIG_EXPIRED, why);
	CU_ASSERT_EQUAL(r.checked_at, na + DAY);
	sk_sig_result_release(&r);
	free(why);
	/* A signing time before the floor changes nothing. */
	EXPECT(verify_at("signer-ec256", true, nb + 10, SK_VALIDITY_AUTO, 0,
			 now, "keyring.pem", &r),
	       &r, SK_SIG_OK, NULL);
	CU_ASSERT_EQUAL(r.checked_at, now);
	CU_ASSERT_EQUAL(r.signing_time, nb + 10);
	sk_sig_result_release(&r);
}

/* A plausible clock (not behind the floor) is the time, whatever the
 * signature claims. */
static void test_time_plausible_clock(void)
{
	time_t now = time(NULL), nb, na;
	struct sk_sig_result r;

	cert_times("signer-ec256", &nb, &na);
	/* Signed "after the signer expired": ignored, the clock is fine. */
	EXPECT(verify_at("signer-ec256", true, na + DAY, SK_VALIDITY_AUTO, now,
			 now - DAY, "keyring.pem", &r),
	       &r, SK_SIG_OK, NULL);
	CU_ASSERT_EQUAL(r.checked_at, now);
	sk_sig_result_release(&r);
	/* clock == floor counts as plausible. */
	EXPECT(verify_at("signer-ec256", true, na + DAY, SK_VALIDITY_AUTO, now,
			 now, "keyring.pem", &r),
	       &r, SK_SIG_OK, NULL);
	CU_ASSERT_EQUAL(r.checked_at, now);
	sk_sig_result_release(&r);
	/* No floor at all: the clock, even in 1970. */
	EXPECT(verify_at("selfsigned", false, now, SK_VALIDITY_AUTO, 1000, 0,
			 "keyring-selfsigned.pem", &r),
	       &r, SK_SIG_NOT_YET_VALID, NULL);
	CU_ASSERT_EQUAL(r.checked_at, 1000);
	sk_sig_result_release(&r);
	/* Clock and floor both 0: checked at 1970 -- and checked_at is 0,
	 * which signature.h also uses for "not checked". */
	EXPECT(verify_at("selfsigned", false, now, SK_VALIDITY_AUTO, 0, 0,
			 "keyring-selfsigned.pem", &r),
	       &r, SK_SIG_NOT_YET_VALID, NULL);
	CU_ASSERT_EQUAL(r.checked_at, 0);
	CU_ASSERT_PTR_NOT_NULL(r.reason ? strstr(r.reason, "(checked at 1970-01-01T00:00:00Z)") : NULL);
	sk_sig_result_release(&r);
	/* CLOCK ignores the floor even when the clock is behind it. */
	EXPECT(verify_at("signer-ec256", true, now, SK_VALIDITY_CLOCK,
			 now - 3600, now, "keyring.pem", &r),
	       &r, SK_SIG_OK, NULL);
	CU_ASSERT_EQUAL(r.checked_at, now - 3600);
	sk_sig_result_release(&r);
}

/* notyet (2098-2099) with a floor inside its validity: the leaf would
 * pass, but every CA of the PKI has expired by then. */
static void test_time_notyet_floor_inside(void)
{
	time_t floor = (time_t)4052592000LL; /* 2098-06-03 */
	time_t nb, na;
	char at[32], until[32], *why;
	struct sk_sig_result r;

	/* The anchor is checked first, and named. */
	cert_times("root-ca", &nb, &na);
	utc(floor, at);
	utc(na, until);
	why = sk_asprintf("certificate expired: 'CN=supkit test root CA' was valid until %s (checked at %s)",
			  until, at);
	EXPECT(verify_at("notyet", true, 0, SK_VALIDITY_AUTO, 0, floor,
			 "keyring.pem", &r),
	       &r, SK_SIG_EXPIRED, why);
	free(why);
	cert_times("int-ca", &nb, &na);
	utc(na, until);
	CU_ASSERT_EQUAL(r.signing_time, (time_t)4039372800LL);
	CU_ASSERT_EQUAL(r.checked_at, floor);
	sk_sig_result_release(&r);
	/* With the intermediate as the anchor, it is the one named. */
	why = sk_asprintf("certificate expired: 'CN=supkit test intermediate CA' was valid until %s (checked at %s)",
			  until, at);
	EXPECT(verify_at("notyet", true, 0, SK_VALIDITY_AUTO, 0, floor,
			 "keyring-int.pem", &r),
	       &r, SK_SIG_EXPIRED, why);
	CU_ASSERT_EQUAL(r.checked_at, floor);
	sk_sig_result_release(&r);
	free(why);
	/* Without validity checks, it passes. */
	EXPECT(verify_at("notyet", true, 0, SK_VALIDITY_OFF, 0, floor,
			 "keyring.pem", &r),
	       &r, SK_SIG_OK, NULL);
	CU_ASSERT_EQUAL(r.checked_at, 0);
	sk_sig_result_release(&r);
}

static void test_time_off(void)
{
	time_t now = time(NULL);
	struct sk_sig_result r;

	EXPECT(verify_at("expired", true, now, SK_VALIDITY_OFF, now, now,
			 "keyring.pem", &r),
	       &r, SK_SIG_OK, NULL);
	CU_ASSERT_EQUAL(r.checked_at, 0);
	sk_sig_result_release(&r);
	EXPECT(verify_at("notyet", true, now, SK_VALIDITY_OFF, 0, 0,
			 "keyring.pem", &r),
	       &r, SK_SIG_OK, NULL);
	CU_ASSERT_EQUAL(r.checked_at, 0);
	sk_sig_result_release(&r);
	/* OFF is about time only: trust and revocation still apply. */
	EXPECT(verify_at("other-signer", false, now, SK_VALIDITY_OFF, now, now,
			 "keyring.pem", &r),
	       &r, SK_SIG_UNTRUSTED, NULL);
	sk_sig_result_release(&r);
	{
		struct sk_verify_params p = {
			.validity = SK_VALIDITY_OFF, .clock = now, .floor = now,
		};
		unsigned char *der;
		size_t len;

		der = c_sign("revoked", true, false, now, &len);
		EXPECT(verify_data("keyring.pem", "crl.pem", manifest, MLEN,
				   der, len, &p, &r),
		       &r, SK_SIG_REVOKED, NULL);
		sk_sig_result_release(&r);
		free(der);
	}
}

/*
 * A certificate that only becomes valid in 30 days, as its own anchor.
 * The gateway has no RTC (clock 1970) and its floor is now: the newest
 * trusted time says the certificate is not valid yet, but the signer's
 * own signingTime, 31 days ahead, becomes the time of the check and the
 * signature is accepted. check_time() says a later signing time "only
 * makes certificates expire sooner"; it also makes not-yet-valid ones
 * valid sooner. That is the price of accepting freshly issued
 * certificates on such gateways; asserted as the code behaves.
 */
static void test_time_future_cert_signing_time(void)
{
	time_t now = time(NULL);
	char *prefix = tu_path(tmp, "future");
	char *key = sk_asprintf("%s.key", prefix);
	char *cert = sk_asprintf("%s.pem", prefix);
	struct sk_verify_params p = {
		.validity = SK_VALIDITY_AUTO, .clock = 0, .floor = now,
	};
	struct sk_signer *s;
	struct sk_keyring *k;
	struct sk_sig_result r;
	struct sk_problems d;
	unsigned char *der;
	size_t len;

	make_cert(prefix, "supkit test future signer", "P-256",
		  now + 30 * DAY, now + 60 * DAY, 0);
	sk_problems_init(&d);
	s = sk_signer_load(key, cert, NULL, false, &d);
	k = sk_keyring_load(cert, NULL, &d);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_FATAL(s && k);
	der = sign_with(s, manifest, MLEN, now + 31 * DAY, &len);
	CU_ASSERT_EQUAL(sk_signature_verify(k, manifest, MLEN, der, len, &p,
					    &r), 0);
	CU_ASSERT_EQUAL(r.status, SK_SIG_OK);
	CU_ASSERT_EQUAL(r.checked_at, now + 31 * DAY);
	sk_sig_result_release(&r);
	/* Signed "now": sk_signer_sign clamps the time up to notBefore,
	 * so that is accepted too. */
	free(der);
	der = sign_with(s, manifest, MLEN, now, &len);
	CU_ASSERT_EQUAL(sk_signature_verify(k, manifest, MLEN, der, len, &p,
					    &r), 0);
	CU_ASSERT_EQUAL(r.signing_time, now + 30 * DAY);
	CU_ASSERT_EQUAL(r.status, SK_SIG_OK);
	CU_ASSERT_EQUAL(r.checked_at, now + 30 * DAY);
	sk_sig_result_release(&r);
	/* With a plausible clock, the clock decides. */
	p.clock = now;
	CU_ASSERT_EQUAL(sk_signature_verify(k, manifest, MLEN, der, len, &p,
					    &r), -1);
	CU_ASSERT_EQUAL(r.status, SK_SIG_NOT_YET_VALID);
	CU_ASSERT_EQUAL(r.checked_at, now);
	sk_sig_result_release(&r);
	free(der);
	sk_keyring_free(k);
	sk_signer_free(s);
	sk_problems_release(&d);
	free(key);
	free(cert);
	free(prefix);
}

/* --- signing ------------------------------------------------------------ */

static void test_sign_signing_time(void)
{
	struct sk_signer *s = load_signer("signer-ec256", true, false);
	time_t nb = sk_signer_cert(s)->not_before;
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;

	/* As given. */
	der = sign_with(s, manifest, MLEN, nb + 12345, &len);
	CU_ASSERT_EQUAL(sk_signature_describe(der, len, &r), 0);
	CU_ASSERT_EQUAL(r.signing_time, nb + 12345);
	sk_sig_result_release(&r);
	free(der);
	/* Before notBefore: notBefore. */
	der = sign_with(s, manifest, MLEN, nb - 5 * DAY, &len);
	CU_ASSERT_EQUAL(sk_signature_describe(der, len, &r), 0);
	CU_ASSERT_EQUAL(r.signing_time, nb);
	sk_sig_result_release(&r);
	free(der);
	der = sign_with(s, manifest, MLEN, 0, &len);
	CU_ASSERT_EQUAL(sk_signature_describe(der, len, &r), 0);
	CU_ASSERT_EQUAL(r.signing_time, nb);
	sk_sig_result_release(&r);
	free(der);
	/* After 2049 (GeneralizedTime in the attribute). */
	der = sign_with(s, manifest, MLEN, (time_t)2556144000LL, &len);
	CU_ASSERT_EQUAL(sk_signature_describe(der, len, &r), 0);
	CU_ASSERT_EQUAL(r.signing_time, (time_t)2556144000LL);
	sk_sig_result_release(&r);
	free(der);
	sk_signer_free(s);
}

static void test_sign_rsa_deterministic(void)
{
	struct sk_signer *s = load_signer("signer-rsa", true, false);
	struct sk_signer *s2 = load_signer("signer-rsa", true, false);
	time_t when = sk_signer_cert(s)->not_before + 1000;
	unsigned char *a, *b, *c;
	size_t alen, blen, clen;

	a = sign_with(s, manifest, MLEN, when, &alen);
	b = sign_with(s, manifest, MLEN, when, &blen);
	c = sign_with(s2, manifest, MLEN, when, &clen);
	CU_ASSERT_EQUAL_FATAL(alen, blen);
	CU_ASSERT_EQUAL_FATAL(alen, clen);
	CU_ASSERT(memcmp(a, b, alen) == 0);
	CU_ASSERT(memcmp(a, c, alen) == 0);
	free(b);
	/* A different time is a different signature. */
	b = sign_with(s, manifest, MLEN, when + 1, &blen);
	CU_ASSERT(blen != alen || memcmp(a, b, alen) != 0);
	free(a);
	free(b);
	free(c);
	sk_signer_free(s);
	sk_signer_free(s2);
}

/* ECDSA and PSS are randomised; each signature verifies. */
static void test_sign_randomised_verify(void)
{
	static const struct {
		const char *name;
		bool pss;
	} kinds[] = { { "signer-ec256", false }, { "signer-rsa", true } };
	struct sk_sig_result r;

	for (size_t k = 0; k < 2; k++) {
		struct sk_signer *s = load_signer(kinds[k].name, true,
						  kinds[k].pss);

		for (int i = 0; i < 2; i++) {
			unsigned char *der;
			size_t len;

			der = sign_with(s, manifest, MLEN, time(NULL), &len);
			EXPECT(verify("keyring.pem", der, len, &r), &r,
			       SK_SIG_OK, NULL);
			sk_sig_result_release(&r);
			free(der);
		}
		sk_signer_free(s);
	}
}

/* Load with paths; expect NULL and exactly the one SETUP problem msg. */
static void expect_load_fails(const char *key, const char *cert,
			      const char *chain, bool pss, const char *msg,
			      unsigned int line)
{
	struct sk_signer *s;
	struct sk_problems d;

	sk_problems_init(&d);
	s = sk_signer_load(key, cert, chain, pss, &d);
	CU_assertImplementation(s == NULL, line, "sk_signer_load refuses",
				__FILE__, "", CU_FALSE);
	tu_assert_diag(&d, (const char *const[]){ msg, NULL }, __FILE__, line);
	CU_assertImplementation(d.count == 1 &&
					d.items[0].cls == SK_PROBLEM_SETUP,
				line, "class SETUP", __FILE__, "", CU_FALSE);
	sk_signer_free(s);
	sk_problems_release(&d);
}
#define LOAD_FAILS(k, c, ch, pss, msg)                                       \
	expect_load_fails((k), (c), (ch), (pss), (msg), __LINE__)

static void test_signer_load_refusals(void)
{
	char *ec_key = P("signer-ec256.key"), *ec_pem = P("signer-ec256.pem");
	char *ec384_pem = P("signer-ec384.pem");
	char *weak_key = P("weak-rsa1024.key"), *weak_pem = P("weak-rsa1024.pem");
	char *missing = tu_path(tmp, "missing.pem");
	char *text = tu_path(tmp, "text.pem");
	char *empty_chain = tu_path(tmp, "empty-chain.pem");
	char *msg;

	CU_ASSERT_EQUAL_FATAL(tu_write_str(text, "not a PEM file\n"), 0);
	CU_ASSERT_EQUAL_FATAL(tu_write_str(empty_chain, "# nothing here\n"), 0);

	msg = sk_asprintf("signing key '%s' does not belong to the certificate '%s' ('CN=supkit test signer EC384')",
			  ec_key, ec384_pem);
	LOAD_FAILS(ec_key, ec384_pem, NULL, false, msg);
	free(msg);

	msg = sk_asprintf("signing key '%s': No such file or directory",
			  missing);
	LOAD_FAILS(missing, ec_pem, NULL, false, msg);
	free(msg);
	msg = sk_asprintf("certificate '%s': No such file or directory",
			  missing);
	LOAD_FAILS(ec_key, missing, NULL, false, msg);
	free(msg);
	msg = sk_asprintf("certificate chain '%s': No such file or directory",
			  missing);
	LOAD_FAILS(ec_key, ec_pem, missing, false, msg);
	free(msg);

	msg = sk_asprintf("signing key '%s' is not a PEM private key (or its passphrase was wrong)",
			  text);
	LOAD_FAILS(text, ec_pem, NULL, false, msg);
	free(msg);
	/* A certificate is not a key, nor a key a certificate. */
	msg = sk_asprintf("signing key '%s' is not a PEM private key (or its passphrase was wrong)",
			  ec_pem);
	LOAD_FAILS(ec_pem, ec_pem, NULL, false, msg);
	free(msg);
	msg = sk_asprintf("certificate '%s' is not a PEM certificate", text);
	LOAD_FAILS(ec_key, text, NULL, false, msg);
	free(msg);
	msg = sk_asprintf("certificate '%s' is not a PEM certificate", ec_key);
	LOAD_FAILS(ec_key, ec_key, NULL, false, msg);
	free(msg);
	msg = sk_asprintf("certificate chain '%s' holds no PEM certificate",
			  empty_chain);
	LOAD_FAILS(ec_key, ec_pem, empty_chain, false, msg);
	free(msg);
	msg = sk_asprintf("signing key '%s' is not a regular file",
			  tmp);
	LOAD_FAILS(tmp, ec_pem, NULL, false, msg);
	free(msg);

	msg = sk_asprintf("signing key '%s' (RSA 1024) cannot sign packages: RSA keys need at least 2048 bits",
			  weak_key);
	LOAD_FAILS(weak_key, weak_pem, NULL, false, msg);
	LOAD_FAILS(weak_key, weak_pem, NULL, true, msg);
	free(msg);

	msg = sk_asprintf("--pss applies to RSA keys; '%s' is ECDSA P-256",
			  ec_key);
	LOAD_FAILS(ec_key, ec_pem, NULL, true, msg);
	free(msg);

	free(ec_key);
	free(ec_pem);
	free(ec384_pem);
	free(weak_key);
	free(weak_pem);
	free(missing);
	free(text);
	free(empty_chain);
}

/* What the release engineer is handed is often a "fullchain.pem": the
 * signer's own certificate followed by the intermediates. As --chain it
 * must still give a valid signature (BUG when this fails: libcrypto
 * refuses to add a certificate twice to the CMS). */
static void test_signer_chain_with_leaf(void)
{
	char *full = tu_path(tmp, "fullchain.pem");
	char *leaf = P("signer-ec256.pem"), *chain = P("chain.pem");
	char *key = P("signer-ec256.key");
	char *a = tu_read_file(leaf, NULL), *b = tu_read_file(chain, NULL);
	char *both = sk_asprintf("%s%s", a, b);
	unsigned char *der = NULL;
	struct sk_sig_result r;
	struct sk_signer *s;
	struct sk_problems d;
	char *err = NULL;
	size_t len = 0;

	CU_ASSERT_EQUAL_FATAL(tu_write_str(full, both), 0);
	sk_problems_init(&d);
	s = sk_signer_load(key, leaf, full, false, &d);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(sk_signer_sign(s, manifest, MLEN, time(NULL), &der,
				       &len, &err), 0);
	if (err)
		fprintf(stderr, "\n    sk_signer_sign: %s\n", err);
	CU_ASSERT_PTR_NULL(err);
	if (der) {
		EXPECT(verify("keyring.pem", der, len, &r), &r, SK_SIG_OK,
		       NULL);
		sk_sig_result_release(&r);
	}
	free(der);
	free(err);
	sk_signer_free(s);
	sk_problems_release(&d);
	free(both);
	free(a);
	free(b);
	free(key);
	free(leaf);
	free(chain);
	free(full);
}

/* A chain that makes the signature larger than manifest.sig may be. */
static void test_sign_too_large(void)
{
	char *prefix = tu_path(tmp, "fat");
	char *chain = sk_asprintf("%s.pem", prefix);
	char *key = P("signer-ec256.key"), *cert = P("signer-ec256.pem");
	unsigned char *der = (unsigned char *)"x";
	struct sk_signer *s;
	struct sk_problems d;
	char *err = NULL;
	size_t len = 7;

	make_cert(prefix, "supkit test fat certificate", "P-256",
		  time(NULL) - DAY, time(NULL) + DAY, 70000);
	sk_problems_init(&d);
	s = sk_signer_load(key, cert, chain, false, &d);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(sk_signer_sign(s, manifest, MLEN, time(NULL), &der,
				       &len, &err), -1);
	CU_ASSERT_PTR_NULL(der);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_NSTRING_EQUAL(err, "signature of ", 13);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, " bytes exceeds the 65536-byte limit (too many chain certificates?)"));
	free(err);
	sk_signer_free(s);
	sk_problems_release(&d);
	free(key);
	free(cert);
	free(chain);
	free(prefix);
}

/* --- describing --------------------------------------------------------- */

static void test_describe(void)
{
	struct sk_signer *s = load_signer("signer-rsa", false, false);
	time_t when = sk_signer_cert(s)->not_before + 99;
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;

	/* A signer no keyring trusts is described all the same. */
	der = sign_with(s, manifest, MLEN, when, &len);
	CU_ASSERT_EQUAL(sk_signature_describe(der, len, &r), 0);
	CU_ASSERT_EQUAL(r.status, SK_SIG_NOT_CHECKED);
	CU_ASSERT_PTR_NULL(r.reason);
	CU_ASSERT_TRUE(r.has_signer);
	CU_ASSERT_STRING_EQUAL(r.signer.subject,
			       "CN=supkit test signer RSA2048");
	CU_ASSERT_STRING_EQUAL(r.signer.issuer,
			       "CN=supkit test intermediate CA");
	CU_ASSERT_STRING_EQUAL(r.signer.key, "RSA 2048");
	CU_ASSERT_STRING_EQUAL(r.signer.cert_sha256,
			       sk_signer_cert(s)->cert_sha256);
	CU_ASSERT_STRING_EQUAL(r.signer.key_sha256,
			       sk_signer_cert(s)->key_sha256);
	CU_ASSERT_EQUAL(r.signing_time, when);
	CU_ASSERT_EQUAL(r.checked_at, 0);
	CU_ASSERT_STRING_EQUAL(sk_sig_status_name(r.status), "not_checked");
	sk_sig_result_release(&r);
	free(der);
	sk_signer_free(s);

	/* openssl's, with a weak key: described, not judged. */
	der = ossl_by("weak-rsa1024", NULL, &len);
	CU_ASSERT_EQUAL(sk_signature_describe(der, len, &r), 0);
	CU_ASSERT_EQUAL(r.status, SK_SIG_NOT_CHECKED);
	CU_ASSERT_STRING_EQUAL(r.signer.key, "RSA 1024");
	sk_sig_result_release(&r);
	free(der);

	/* Malformed ones say why. */
	CU_ASSERT_EQUAL(sk_signature_describe("junk", 4, &r), -1);
	EXPECT(-1, &r, SK_SIG_MALFORMED, "signature is not a DER CMS structure");
	CU_ASSERT_FALSE(r.has_signer);
	sk_sig_result_release(&r);
	der = ossl_chain("signer-ec256", "-nodetach", &len);
	CU_ASSERT_EQUAL(sk_signature_describe(der, len, &r), -1);
	EXPECT(-1, &r, SK_SIG_MALFORMED,
	       "signature is not detached: it embeds content, manifest.json must be the only signed content");
	sk_sig_result_release(&r);
	free(der);
}

/* sk_signature_check_match: everything but the keyring. */
static void test_check_match(void)
{
	struct sk_sig_result r;
	unsigned char *der;
	size_t len;

	/* A signer no keyring knows: the match is all that is checked. */
	der = c_sign("other-signer", false, false, time(NULL), &len);
	CU_ASSERT_EQUAL(sk_signature_check_match(manifest, MLEN, der, len, &r),
			0);
	CU_ASSERT_EQUAL(r.status, SK_SIG_NOT_CHECKED);
	CU_ASSERT_PTR_NULL(r.reason);
	CU_ASSERT_TRUE(r.has_signer);
	CU_ASSERT_STRING_EQUAL(r.signer.subject, "CN=supkit test other signer");
	CU_ASSERT_EQUAL(r.checked_at, 0);
	sk_sig_result_release(&r);
	CU_ASSERT_EQUAL(sk_signature_check_match(other_text, strlen(other_text),
						 der, len, &r),
			-1);
	EXPECT(-1, &r, SK_SIG_MISMATCH, "signature does not match the manifest");
	sk_sig_result_release(&r);
	free(der);
	/* Expired, even: time is the gateway's business. */
	der = c_sign("expired", false, false, time(NULL), &len);
	CU_ASSERT_EQUAL(sk_signature_check_match(manifest, MLEN, der, len, &r),
			0);
	CU_ASSERT_EQUAL(r.status, SK_SIG_NOT_CHECKED);
	sk_sig_result_release(&r);
	free(der);
	/* Weak key and digest are refused here already. */
	der = ossl_by("weak-rsa1024", NULL, &len);
	CU_ASSERT_EQUAL(sk_signature_check_match(manifest, MLEN, der, len, &r),
			-1);
	EXPECT(-1, &r, SK_SIG_WEAK,
	       "signer key not accepted: 'CN=supkit test signer RSA1024' (RSA 1024): RSA keys need at least 2048 bits");
	sk_sig_result_release(&r);
	free(der);
	der = ossl_by("signer-ec256", "-md sha1", &len);
	CU_ASSERT_EQUAL(sk_signature_check_match(manifest, MLEN, der, len, &r),
			-1);
	EXPECT(-1, &r, SK_SIG_WEAK,
	       "signature digest SHA1 not accepted (SHA-256, SHA-384 or SHA-512 are)");
	sk_sig_result_release(&r);
	free(der);
	der = ossl_by("signer-ec256", "-nodetach", &len);
	CU_ASSERT_EQUAL(sk_signature_check_match(manifest, MLEN, der, len, &r),
			-1);
	EXPECT(-1, &r, SK_SIG_MALFORMED,
	       "signature is not detached: it embeds content, manifest.json must be the only signed content");
	sk_sig_result_release(&r);
	free(der);
	CU_ASSERT_EQUAL(sk_signature_check_match(manifest, MLEN, "junk", 4, &r),
			-1);
	EXPECT(-1, &r, SK_SIG_MALFORMED, "signature is not a DER CMS structure");
	sk_sig_result_release(&r);
	/* No signature at all: refused, never a success. */
	CU_ASSERT_EQUAL(sk_signature_check_match(manifest, MLEN, NULL, 0, &r),
			-1);
	CU_ASSERT_NOT_EQUAL(r.status, SK_SIG_NOT_CHECKED);
	CU_ASSERT_NOT_EQUAL(r.status, SK_SIG_OK);
	sk_sig_result_release(&r);
}

/* --- certificate descriptions ------------------------------------------- */

static void check_cert_info(const char *name, const struct sk_cert_info *ci)
{
	char *pem = P(name);
	char *key_hash = capture("openssl x509 -in '%s' -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum",
				 pem);
	char *cert_hash = capture("openssl x509 -in '%s' -outform DER | sha256sum",
				  pem);
	char *serial = capture("openssl x509 -in '%s' -noout -serial", pem);
	char *subject = capture("openssl x509 -in '%s' -noout -subject -nameopt RFC2253",
				pem);
	char *issuer = capture("openssl x509 -in '%s' -noout -issuer -nameopt RFC2253",
			       pem);

	CU_ASSERT_EQUAL_FATAL(strlen(key_hash), 64 + 3); /* "  -" */
	key_hash[64] = '\0';
	cert_hash[64] = '\0';
	CU_ASSERT_STRING_EQUAL(ci->key_sha256, key_hash);
	CU_ASSERT_STRING_EQUAL(ci->cert_sha256, cert_hash);
	{
		char *s = sk_asprintf("serial=%s", ci->serial);

		CU_ASSERT_STRING_EQUAL(serial, s);
		free(s);
		s = sk_asprintf("subject=%s", ci->subject);
		CU_ASSERT_STRING_EQUAL(subject, s);
		free(s);
		s = sk_asprintf("issuer=%s", ci->issuer);
		CU_ASSERT_STRING_EQUAL(issuer, s);
		free(s);
	}
	free(key_hash);
	free(cert_hash);
	free(serial);
	free(subject);
	free(issuer);
	free(pem);
}

static void test_cert_info(void)
{
	static const struct {
		const char *name;
		bool pss;
		const char *key;
	} signers[] = {
		{ "signer-ec256", false, "ECDSA P-256" },
		{ "signer-ec384", false, "ECDSA P-384" },
		{ "signer-rsa", false, "RSA 2048" },
		{ "signer-rsa3072", true, "RSA 3072" },
		{ "expired", false, "ECDSA P-256" },
	};
	struct sk_sig_result r;

	for (size_t i = 0; i < sizeof(signers) / sizeof(signers[0]); i++) {
		char pem[64];
		struct sk_signer *s = load_signer(signers[i].name, true,
						  signers[i].pss);
		const struct sk_cert_info *ci = sk_signer_cert(s);
		unsigned char *der;
		size_t len;

		snprintf(pem, sizeof(pem), "%s.pem", signers[i].name);
		CU_ASSERT_STRING_EQUAL(ci->key, signers[i].key);
		check_cert_info(pem, ci);
		/* The signer as read back from a signature: the same. */
		der = sign_with(s, manifest, MLEN, time(NULL), &len);
		CU_ASSERT_EQUAL(sk_signature_describe(der, len, &r), 0);
		check_cert_info(pem, &r.signer);
		CU_ASSERT_EQUAL(r.signer.not_before, ci->not_before);
		CU_ASSERT_EQUAL(r.signer.not_after, ci->not_after);
		sk_sig_result_release(&r);
		free(der);
		sk_signer_free(s);
	}
	/* Known dates. */
	{
		struct sk_signer *s = load_signer("expired", false, false);

		CU_ASSERT_EQUAL(sk_signer_cert(s)->not_before, 1577836800);
		CU_ASSERT_EQUAL(sk_signer_cert(s)->not_after, 1609459200);
		sk_signer_free(s);
		s = load_signer("notyet", false, false);
		CU_ASSERT_EQUAL(sk_signer_cert(s)->not_before,
				(time_t)4039372800LL);
		CU_ASSERT_EQUAL(sk_signer_cert(s)->not_after,
				(time_t)4070908800LL);
		sk_signer_free(s);
	}
}

static void test_status_names(void)
{
	CU_ASSERT_STRING_EQUAL(sk_sig_status_name(SK_SIG_NOT_CHECKED),
			       "not_checked");
	CU_ASSERT_STRING_EQUAL(sk_sig_status_name(SK_SIG_UNSIGNED), "unsigned");
	CU_ASSERT_STRING_EQUAL(sk_sig_status_name(SK_SIG_OK), "verified");
	CU_ASSERT_STRING_EQUAL(sk_sig_status_name(SK_SIG_MALFORMED),
			       "malformed");
	CU_ASSERT_STRING_EQUAL(sk_sig_status_name(SK_SIG_MISMATCH), "mismatch");
	CU_ASSERT_STRING_EQUAL(sk_sig_status_name(SK_SIG_WEAK), "weak");
	CU_ASSERT_STRING_EQUAL(sk_sig_status_name(SK_SIG_UNTRUSTED),
			       "untrusted");
	CU_ASSERT_STRING_EQUAL(sk_sig_status_name(SK_SIG_EXPIRED), "expired");
	CU_ASSERT_STRING_EQUAL(sk_sig_status_name(SK_SIG_NOT_YET_VALID),
			       "not_yet_valid");
	CU_ASSERT_STRING_EQUAL(sk_sig_status_name(SK_SIG_REVOKED), "revoked");
	CU_ASSERT_STRING_EQUAL(sk_sig_status_name((enum sk_sig_status)99),
			       "unknown");
}

static void test_signing_time_env(void)
{
	time_t before, after, t;

	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	CU_ASSERT_EQUAL(sk_signing_time(), 1700000000);
	setenv("SOURCE_DATE_EPOCH", "253402300799", 1);
	CU_ASSERT_EQUAL(sk_signing_time(), (time_t)253402300799LL);
	setenv("SOURCE_DATE_EPOCH", "0", 1);
	CU_ASSERT_EQUAL(sk_signing_time(), 0);
	/* Not a valid date: the clock. */
	static const char *const bad[] = { "253402300800", "abc", "", "-1",
					   "17e8", " 1700000000" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("SOURCE_DATE_EPOCH", bad[i], 1);
		before = time(NULL);
		t = sk_signing_time();
		after = time(NULL);
		CU_ASSERT(t >= before && t <= after);
	}
	unsetenv("SOURCE_DATE_EPOCH");
	before = time(NULL);
	t = sk_signing_time();
	after = time(NULL);
	CU_ASSERT(t >= before && t <= after);
}

static CU_TestInfo verify_tests[] = {
	{ "ok: ECDSA P-256 via the intermediate", test_ok_ec256 },
	{ "ok: ECDSA P-384, SHA-384; SHA-512", test_ok_ec384 },
	{ "ok: RSA PKCS#1 v1.5", test_ok_rsa_pkcs1 },
	{ "ok: RSA-PSS", test_ok_rsa_pss },
	{ "ok: no signed attributes", test_ok_no_attributes },
	{ "ok: RSA-PSS key", test_ok_rsa_pss_key },
	{ "mismatch: one byte changed", test_mismatch_one_byte },
	{ "mismatch: another text", test_mismatch_other_text },
	{ "untrusted: other signer", test_untrusted_other_signer },
	{ "untrusted: intermediate missing", test_untrusted_no_intermediate },
	{ "intermediate as anchor", test_intermediate_anchor },
	{ "self-signed anchor", test_selfsigned_anchor },
	{ "rotation", test_rotation },
	{ "expired", test_expired },
	{ "not yet valid", test_not_yet_valid },
	{ "revoked", test_revoked },
	{ "weak: RSA 1024", test_weak_rsa1024 },
	{ "weak: SHA-1, SHA-224", test_weak_digest },
	{ "weak: P-521", test_weak_p521 },
	{ "EKU serverAuth", test_server_eku },
	{ "no EKU", test_no_eku },
	{ "CA key usage", test_ca_key_usage },
	{ "ok: signer by key id", test_ok_keyid },
	{ "revoked, intermediate anchor", test_revoked_intermediate_anchor },
	{ "hostile subject", test_hostile_subject },
	{ "malformed bytes", test_malformed_bytes },
	{ "malformed: too big", test_malformed_too_big },
	{ "malformed: attached", test_malformed_attached },
	{ "malformed: two signers", test_malformed_two_signers },
	{ "malformed: no certificates", test_malformed_nocerts },
	{ "malformed: not SignedData", test_malformed_not_signed_data },
	{ "malformed: unreadable signer key", test_malformed_unreadable_key },
	{ "regression: unknown digest", test_regress_unknown_digest },
	{ "unsigned", test_unsigned },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo time_tests[] = {
	{ "no RTC: AUTO vs CLOCK", test_time_bad_clock },
	{ "expired, backdated", test_time_expired_backdated },
	{ "signed after the floor", test_time_signed_after_floor },
	{ "plausible clock", test_time_plausible_clock },
	{ "notyet, floor inside", test_time_notyet_floor_inside },
	{ "OFF", test_time_off },
	{ "future certificate, future signing time",
	  test_time_future_cert_signing_time },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo sign_tests[] = {
	{ "signing time", test_sign_signing_time },
	{ "RSA PKCS#1 v1.5 deterministic", test_sign_rsa_deterministic },
	{ "ECDSA, PSS randomised", test_sign_randomised_verify },
	{ "load refusals", test_signer_load_refusals },
	{ "chain holding the signer (fullchain.pem)",
	  test_signer_chain_with_leaf },
	{ "signature too large", test_sign_too_large },
	{ "describe", test_describe },
	{ "check match (no keyring)", test_check_match },
	{ "certificate info", test_cert_info },
	{ "status names", test_status_names },
	{ "SOURCE_DATE_EPOCH", test_signing_time_env },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "signature verify", suite_init, suite_clean, NULL, NULL,
	  verify_tests },
	{ "signature time", suite_init, suite_clean, NULL, NULL, time_tests },
	{ "signature sign", suite_init, suite_clean, NULL, NULL, sign_tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	if (tu_init() || CU_register_suites(suites) != CUE_SUCCESS)
		return tu_abort();
	return tu_run();
}
