/* SPDX-License-Identifier: MIT */
/* signature.c - CMS signatures over manifest.json: check and make them. */
#include "verify/signature.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/util.h"
#include "verify/certinfo.h"
#include "verify/keyring.h"

/* 9999-12-31T23:59:59Z */
#define MAX_EPOCH 253402300799LL

/* NULL when the key may sign packages, else why not (static). */
static const char *key_refusal(EVP_PKEY *pk)
{
	char group[64];
	size_t glen = 0;

	if (!pk)
		return "the key cannot be read";
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen) &&
		    (strcmp(group, "prime256v1") == 0 ||
		     strcmp(group, "secp384r1") == 0))
			return NULL;
		return "only the ECDSA curves P-256 and P-384 are accepted";
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		if (EVP_PKEY_get_bits(pk) >= 2048)
			return NULL;
		return "RSA keys need at least 2048 bits";
	default:
		return "only ECDSA P-256/P-384 and RSA keys of 2048 bits or more are accepted";
	}
}

const char *sk_sig_status_name(enum sk_sig_status s)
{
	switch (s) {
	case SK_SIG_NOT_CHECKED: return "not_checked";
	case SK_SIG_UNSIGNED: return "unsigned";
	case SK_SIG_OK: return "verified";
	case SK_SIG_MALFORMED: return "malformed";
	case SK_SIG_MISMATCH: return "mismatch";
	case SK_SIG_WEAK: return "weak";
	case SK_SIG_UNTRUSTED: return "untrusted";
	case SK_SIG_EXPIRED: return "expired";
	case SK_SIG_NOT_YET_VALID: return "not_yet_valid";
	case SK_SIG_REVOKED: return "revoked";
	case SK_SIG_BAD_CRL: return "bad_crl";
	}
	return "unknown";
}

void sk_sig_result_release(struct sk_sig_result *r)
{
	free(r->reason);
	sk_cert_info_release(&r->signer);
	memset(r, 0, sizeof(*r));
}

static int set_result(struct sk_sig_result *r, enum sk_sig_status st,
		      char *reason)
{
	r->status = st;
	free(r->reason);
	r->reason = reason ? reason : strdup("out of memory");
	return -1;
}

/* RFC 3339 UTC of t into buf[32]. */
/* --- reading the CMS --- */

struct parsed {
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si;
	X509 *signer;	 /* borrowed from cms */
	EVP_PKEY *pkey;	 /* borrowed */
	X509_ALGOR *dig; /* borrowed */
};

/* Parse sig into p and describe its signer in r. 0 or -1 (r says why). */
static int parse_sig(const void *sig, size_t sig_len, struct parsed *p,
		     struct sk_sig_result *r)
{
	const unsigned char *q = sig;
	STACK_OF(CMS_SignerInfo) * sis;
	const ASN1_OBJECT *type;
	X509_ALGOR *sigalg;
	int n, idx;

	memset(p, 0, sizeof(*p));
	if (sig_len > SK_SIGNATURE_MAX_BYTES || sig_len > LONG_MAX)
		return set_result(
			r, SK_SIG_MALFORMED,
			sk_asprintf("signature is %zu bytes, the limit is %d",
				    sig_len, SK_SIGNATURE_MAX_BYTES));
	p->cms = d2i_CMS_ContentInfo(NULL, &q, (long)sig_len);
	if (!p->cms)
		return set_result(
			r, SK_SIG_MALFORMED,
			strdup("signature is not a DER CMS structure"));
	if ((size_t)(q - (const unsigned char *)sig) != sig_len)
		return set_result(
			r, SK_SIG_MALFORMED,
			strdup("signature has data after its DER structure"));
	type = CMS_get0_type(p->cms);
	if (OBJ_obj2nid(type) != NID_pkcs7_signed)
		return set_result(r, SK_SIG_MALFORMED,
				  strdup("signature is not a CMS SignedData"));
	if (CMS_is_detached(p->cms) != 1)
		return set_result(
			r, SK_SIG_MALFORMED,
			strdup("signature is not detached: it embeds content, manifest.json must be the only signed content"));
	if (OBJ_obj2nid(CMS_get0_eContentType(p->cms)) != NID_pkcs7_data)
		return set_result(r, SK_SIG_MALFORMED,
				  strdup("signature is not over plain data"));
	sis = CMS_get0_SignerInfos(p->cms);
	n = sis ? sk_CMS_SignerInfo_num(sis) : 0;
	if (n != 1)
		return set_result(
			r, SK_SIG_MALFORMED,
			sk_asprintf(
				"signature has %d signers, exactly one is accepted",
				n));
	p->si = sk_CMS_SignerInfo_value(sis, 0);
	/* Find the signer's certificate among those embedded. */
	ERR_set_mark();
	CMS_set1_signers_certs(p->cms, NULL, 0);
	ERR_pop_to_mark();
	CMS_SignerInfo_get0_algs(p->si, &p->pkey, &p->signer, &p->dig, &sigalg);
	if (!p->signer)
		return set_result(
			r, SK_SIG_MALFORMED,
			strdup("signature does not embed the signer's certificate"));
	/* libcrypto keeps a certificate whose key it cannot decode (an
	 * unknown algorithm, a point not on the curve): no key, no check. */
	if (!p->pkey)
		return set_result(
			r, SK_SIG_MALFORMED,
			strdup("signer certificate has a public key that cannot be read"));
	if (sk_cert_info_from_x509(&r->signer, p->signer))
		return set_result(r, SK_SIG_MALFORMED,
				  strdup("signer certificate cannot be read"));
	r->has_signer = true;
	idx = CMS_signed_get_attr_by_NID(p->si, NID_pkcs9_signingTime, -1);
	if (idx >= 0) {
		X509_ATTRIBUTE *at = CMS_signed_get_attr(p->si, idx);
		ASN1_TYPE *v = at ? X509_ATTRIBUTE_get0_type(at, 0) : NULL;

		/* signingTime is UTCTime or GeneralizedTime (RFC 5652
		 * 11.3); anything else is ignored, never trusted. */
		if (v && (v->type == V_ASN1_UTCTIME ||
			  v->type == V_ASN1_GENERALIZEDTIME))
			r->signing_time = sk_asn1_time_epoch(v->value.utctime);
	}
	return 0;
}

static void parsed_release(struct parsed *p)
{
	CMS_ContentInfo_free(p->cms);
	memset(p, 0, sizeof(*p));
}

int sk_signature_describe(const void *sig, size_t sig_len,
			  struct sk_sig_result *r)
{
	struct parsed p;
	int ret;

	memset(r, 0, sizeof(*r));
	if (!sig) {
		r->status = SK_SIG_UNSIGNED;
		r->reason = strdup("the package is unsigned");
		return -1;
	}
	ret = parse_sig(sig, sig_len, &p, r);
	if (ret == 0)
		r->status = SK_SIG_NOT_CHECKED;
	parsed_release(&p);
	ERR_clear_error();
	return ret;
}

/* --- checking --- */

static int digest_accepted(const X509_ALGOR *dig)
{
	const ASN1_OBJECT *obj = NULL;
	int nid;

	X509_ALGOR_get0(&obj, NULL, NULL, dig);
	nid = OBJ_obj2nid(obj);
	return nid == NID_sha256 || nid == NID_sha384 || nid == NID_sha512;
}

/* Revocation lists only ever take trust away: a certificate whose issuer
 * has no list in the CRL file is not checked, and a list past its
 * nextUpdate still revokes what it lists. */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	if (ok)
		return 1;
	switch (X509_STORE_CTX_get_error(ctx)) {
	case X509_V_ERR_UNABLE_TO_GET_CRL:
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID: return 1;
	default: return 0;
	}
}

/* The time certificates are checked at (docs/security.md); 0: none. */
static time_t check_time(const struct sk_verify_params *p, time_t signed_at)
{
	switch (p->validity) {
	case SK_VALIDITY_OFF: return 0;
	case SK_VALIDITY_CLOCK: return p->clock;
	case SK_VALIDITY_AUTO: break;
	}
	/* A clock behind what this gateway already knows to be past is
	 * wrong (no RTC, booted in 1970): then the latest trusted time
	 * stands in, or the package's own signing time when it is later
	 * (it only makes certificates expire sooner, never later than the
	 * floor). */
	if (p->clock >= p->floor)
		return p->clock;
	return signed_at > p->floor ? signed_at : p->floor;
}

static int verify_chain(const struct sk_keyring *k, struct parsed *ps,
			const struct sk_verify_params *p,
			struct sk_sig_result *r)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = CMS_get1_certs(ps->cms);
	X509_VERIFY_PARAM *vp;
	unsigned long flags = X509_V_FLAG_PARTIAL_CHAIN;
	char when[32], at[32];
	X509 *bad;
	char *who = NULL;
	int err, ret = -1;

	if (!ctx || !X509_STORE_CTX_init(ctx, sk_keyring_store(k), ps->signer,
					 untrusted)) {
		set_result(r, SK_SIG_UNTRUSTED, strdup("out of memory"));
		goto out;
	}
	vp = X509_STORE_CTX_get0_param(ctx);
	if (sk_keyring_crl_count(k))
		flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
	r->checked_at = check_time(p, r->signing_time);
	if (p->validity == SK_VALIDITY_OFF)
		flags |= X509_V_FLAG_NO_CHECK_TIME;
	else
		X509_VERIFY_PARAM_set_time(vp, r->checked_at);
	X509_VERIFY_PARAM_set_flags(vp, flags);
	/* 112-bit security for every certificate signature in the chain:
	 * no MD5 or SHA-1, no RSA under 2048 bits. */
	X509_VERIFY_PARAM_set_auth_level(vp, 2);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	if (X509_verify_cert(ctx) == 1) {
		ret = 0;
		goto out;
	}
	err = X509_STORE_CTX_get_error(ctx);
	bad = X509_STORE_CTX_get_current_cert(ctx);
	who = bad ? sk_cert_name_text(X509_get_subject_name(bad)) : NULL;
	if (!who)
		who = strdup(r->signer.subject);
	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		set_result(
			r, SK_SIG_EXPIRED,
			sk_asprintf(
				"certificate expired: '%s' was valid until %s (checked at %s)",
				who,
				sk_utc_text(sk_asn1_time_epoch(X509_get0_notAfter(bad)),
				    when),
				sk_utc_text(r->checked_at, at)));
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		set_result(
			r, SK_SIG_NOT_YET_VALID,
			sk_asprintf(
				"certificate not yet valid: '%s' is valid from %s (checked at %s)",
				who,
				sk_utc_text(sk_asn1_time_epoch(
					    X509_get0_notBefore(bad)),
				    when),
				sk_utc_text(r->checked_at, at)));
		break;
	case X509_V_ERR_CRL_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
		/* The gateway's CRL file is broken, not the package. */
		set_result(r, SK_SIG_BAD_CRL,
			   sk_asprintf("the CRL file '%s' holds a CRL whose signature does not verify (checking '%s'): repair the gateway's CRL file",
				       sk_keyring_crl_path(k), who));
		break;
	case X509_V_ERR_CERT_REVOKED:
		set_result(
			r, SK_SIG_REVOKED,
			sk_asprintf(
				"certificate revoked: '%s' is listed in the CRL '%s'",
				who, sk_keyring_crl_path(k)));
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED:
		set_result(
			r, SK_SIG_UNTRUSTED,
			sk_asprintf(
				"signer not trusted: '%s' (issued by '%s') does not chain to an anchor of the keyring '%s'",
				r->signer.subject, r->signer.issuer,
				sk_keyring_path(k)));
		break;
	default:
		set_result(
			r, SK_SIG_UNTRUSTED,
			sk_asprintf("signer not trusted: certificate '%s': %s",
				    who, X509_verify_cert_error_string(err)));
		break;
	}
out:
	free(who);
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(untrusted, X509_free);
	return ret;
}

/* Why certificate x may not sign packages (static text), or NULL. */
static const char *usage_refusal(X509 *x, bool require_code_signing)
{
	uint32_t xf = X509_get_extension_flags(x);

	if ((xf & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(x) &
	      (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)))
		return "may not sign: its key usage lacks digitalSignature";
	if (xf & EXFLAG_XKUSAGE) {
		if (!(X509_get_extended_key_usage(x) &
		      (XKU_CODE_SIGN | XKU_ANYEKU)))
			return "may not sign code: its extended key usage lacks codeSigning";
	} else if (require_code_signing) {
		return "has no codeSigning extended key usage, which [trust] require_code_signing asks for";
	}
	return NULL;
}

/* Key usage of the signer itself. */
static int check_usage(X509 *x, const struct sk_verify_params *p,
		       struct sk_sig_result *r)
{
	const char *why = usage_refusal(x, p->require_code_signing);

	if (!why)
		return 0;
	return set_result(r, SK_SIG_UNTRUSTED,
			  sk_asprintf("signer not trusted: '%s' %s",
				      r->signer.subject, why));
}

/*
 * The manifest as CMS_verify() reads it: a memory BIO behind a buffering
 * filter. Given a bare memory BIO, libcrypto (3.0) copies it and leaks
 * the copy when the signature names a digest it cannot set up (found by
 * fuzz_signature); through a filter it reads the data in place.
 */
static BIO *content_bio(const void *data, size_t len)
{
	BIO *mem = BIO_new_mem_buf(data, (int)len);
	BIO *buf = mem ? BIO_new(BIO_f_buffer()) : NULL;

	if (!buf) {
		BIO_free(mem);
		return NULL;
	}
	return BIO_push(buf, mem);
}

/* Everything that needs no keyring: the signer's key and digest are
 * accepted and the signature matches the manifest. 0 or -1 (r says). */
static int check_math(struct parsed *ps, const void *manifest,
		      size_t manifest_len, struct sk_sig_result *r)
{
	const char *why = key_refusal(ps->pkey);
	BIO *content = NULL;
	int ret = -1;

	if (why) {
		set_result(
			r, SK_SIG_WEAK,
			sk_asprintf(
				"signer key not accepted: '%s' (%s): %s",
				r->signer.subject, r->signer.key, why));
		goto out;
	}
	if (!digest_accepted(ps->dig)) {
		const ASN1_OBJECT *obj = NULL;

		X509_ALGOR_get0(&obj, NULL, NULL, ps->dig);
		set_result(r, SK_SIG_WEAK,
			   sk_asprintf("signature digest %s not accepted (SHA-256, SHA-384 or SHA-512 are)",
				       OBJ_nid2sn(OBJ_obj2nid(obj))));
		goto out;
	}
	if (manifest_len > INT_MAX ||
	    !(content = content_bio(manifest, manifest_len))) {
		set_result(r, SK_SIG_MISMATCH, strdup("out of memory"));
		goto out;
	}
	if (CMS_verify(ps->cms, NULL, NULL, content, NULL,
		       CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
		set_result(r, SK_SIG_MISMATCH,
			   strdup("signature does not match the manifest"));
		goto out;
	}
	ret = 0;
out:
	BIO_free_all(content);
	return ret;
}

int sk_signature_verify(const struct sk_keyring *k, const void *manifest,
			size_t manifest_len, const void *sig, size_t sig_len,
			const struct sk_verify_params *p,
			struct sk_sig_result *r)
{
	struct parsed ps;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	memset(&ps, 0, sizeof(ps));
	if (!sig) {
		r->status = SK_SIG_UNSIGNED;
		r->reason = strdup("the package is unsigned");
		return -1;
	}
	/* The signature itself first; the signer's chain next, with the
	 * gateway's own rules. */
	if (parse_sig(sig, sig_len, &ps, r) ||
	    check_math(&ps, manifest, manifest_len, r) ||
	    verify_chain(k, &ps, p, r) || check_usage(ps.signer, p, r))
		goto out;
	r->status = SK_SIG_OK;
	ret = 0;
out:
	parsed_release(&ps);
	ERR_clear_error();
	return ret;
}

int sk_signature_check_match(const void *manifest, size_t manifest_len,
			     const void *sig, size_t sig_len,
			     struct sk_sig_result *r)
{
	struct parsed ps;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	if (parse_sig(sig, sig_len, &ps, r) == 0 &&
	    check_math(&ps, manifest, manifest_len, r) == 0) {
		r->status = SK_SIG_NOT_CHECKED;
		ret = 0;
	}
	parsed_release(&ps);
	ERR_clear_error();
	return ret;
}

/* --- signing --- */

struct sk_signer {
	EVP_PKEY *key;
	X509 *cert;
	STACK_OF(X509) * chain;
	bool pss;
	struct sk_cert_info info;
};

/* A signer's PEM file (key, certificate, chain) in a memory BIO; NULL
 * with d filled. */
static BIO *read_pem(const char *what, const char *path, struct sk_problems *d)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		sk_problems_add(d, SK_PROBLEM_SETUP, "%s '%s': %s", what, path,
				strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		sk_problems_add(d, SK_PROBLEM_SETUP,
				"%s '%s' is not a regular file", what, path);
		close(fd);
		return NULL;
	}
	return sk_pem_read_fd(fd, what, path, d);
}

static bool in_chain(STACK_OF(X509) *chain, X509 *x)
{
	for (int i = 0; i < sk_X509_num(chain); i++)
		if (X509_cmp(sk_X509_value(chain, i), x) == 0)
			return true;
	return false;
}

struct sk_signer *sk_signer_load(const char *key_path, const char *cert_path,
				 const char *chain_path, bool pss,
				 struct sk_problems *d)
{
	struct sk_signer *s = calloc(1, sizeof(*s));
	BIO *b = NULL;
	const char *why;

	if (!s) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		return NULL;
	}
	b = read_pem("signing key", key_path, d);
	if (!b)
		goto fail;
	s->key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (!s->key) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"signing key '%s' is not a PEM private key (or its passphrase was wrong)",
			key_path);
		goto fail;
	}
	b = read_pem("certificate", cert_path, d);
	if (!b)
		goto fail;
	s->cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (!s->cert) {
		sk_problems_add(d, SK_PROBLEM_SETUP,
				"certificate '%s' is not a PEM certificate",
				cert_path);
		goto fail;
	}
	if (sk_cert_info_from_x509(&s->info, s->cert)) {
		sk_problems_add(d, SK_PROBLEM_SETUP,
				"certificate '%s' cannot be read", cert_path);
		goto fail;
	}
	if (X509_check_private_key(s->cert, s->key) != 1) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"signing key '%s' does not belong to the certificate '%s' ('%s')",
			key_path, cert_path, s->info.subject);
		goto fail;
	}
	why = key_refusal(s->key);
	if (why) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"signing key '%s' (%s) cannot sign packages: %s",
			key_path, s->info.key, why);
		goto fail;
	}
	why = usage_refusal(s->cert, false);
	if (why) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"certificate '%s' ('%s') %s: gateways would refuse what it signs",
			cert_path, s->info.subject, why);
		goto fail;
	}
	s->pss = pss || EVP_PKEY_get_base_id(s->key) == EVP_PKEY_RSA_PSS;
	if (s->pss && EVP_PKEY_get_base_id(s->key) == EVP_PKEY_EC) {
		sk_problems_add(d, SK_PROBLEM_SETUP,
				"--pss applies to RSA keys; '%s' is %s",
				key_path, s->info.key);
		goto fail;
	}
	s->chain = sk_X509_new_null();
	if (!s->chain) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		goto fail;
	}
	if (chain_path) {
		X509 *x;
		int n_read = 0;

		b = read_pem("certificate chain", chain_path, d);
		if (!b)
			goto fail;
		/* A "full chain" file holds the signer too, and a
		 * certificate twice is an error to libcrypto's CMS: each
		 * goes in once, the signer not at all. */
		while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
			n_read++;
			if (X509_cmp(x, s->cert) == 0 ||
			    in_chain(s->chain, x)) {
				X509_free(x);
				continue;
			}
			if (!sk_X509_push(s->chain, x)) {
				X509_free(x);
				BIO_free(b);
				sk_problems_add(d, SK_PROBLEM_SYSTEM,
						"out of memory");
				goto fail;
			}
		}
		BIO_free(b);
		ERR_clear_error();
		if (sk_X509_num(s->chain) == 0) {
			sk_problems_add(
				d, SK_PROBLEM_SETUP,
				"certificate chain '%s' holds no PEM certificate",
				chain_path);
			goto fail;
		}
	}
	ERR_clear_error();
	return s;
fail:
	ERR_clear_error();
	sk_signer_free(s);
	return NULL;
}

void sk_signer_free(struct sk_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
	sk_X509_pop_free(s->chain, X509_free);
	sk_cert_info_release(&s->info);
	free(s);
}

const struct sk_cert_info *sk_signer_cert(const struct sk_signer *s)
{
	return &s->info;
}

static char *ssl_error(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	if (!e)
		return sk_asprintf("%s", what);
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return sk_asprintf("%s: %s", what, buf);
}

int sk_signer_sign(const struct sk_signer *s, const void *data, size_t len,
		   time_t signing_time, unsigned char **der, size_t *der_len,
		   char **err)
{
	const unsigned int flags =
		CMS_DETACHED | CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
	const EVP_MD *md = EVP_sha256();
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	ASN1_TIME *t = NULL;
	BIO *in = NULL;
	unsigned char *out = NULL;
	int n, ret = -1;

	*der = NULL;
	*der_len = 0;
	*err = NULL;
	if (len > INT_MAX) {
		*err = sk_asprintf("manifest of %zu bytes is too large to sign",
				   len);
		return -1;
	}
	if (signing_time < s->info.not_before)
		signing_time = s->info.not_before;
	if (strcmp(s->info.key, "ECDSA P-384") == 0)
		md = EVP_sha384();
	cms = CMS_sign(NULL, NULL, s->chain, NULL, flags);
	if (!cms) {
		*err = ssl_error("cannot start the signature");
		goto out;
	}
	si = CMS_add1_signer(cms, s->cert, s->key, md,
			     flags | (s->pss ? CMS_KEY_PARAM : 0));
	if (!si) {
		*err = ssl_error("cannot add the signer");
		goto out;
	}
	if (s->pss) {
		EVP_PKEY_CTX *pctx = CMS_SignerInfo_get0_pkey_ctx(si);

		if (!pctx ||
		    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <=
			    0 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(
			    pctx, RSA_PSS_SALTLEN_DIGEST) <= 0) {
			*err = ssl_error("cannot select RSA-PSS");
			goto out;
		}
	}
	/* Our own signingTime: libcrypto adds the clock's only when none is
	 * there, and the time must be the one given. */
	t = ASN1_TIME_set(NULL, signing_time);
	if (!t || !CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime,
					       ASN1_STRING_type(t), t, -1)) {
		*err = ssl_error("cannot set the signing time");
		goto out;
	}
	in = BIO_new_mem_buf(data, (int)len);
	if (!in || CMS_final(cms, in, NULL, CMS_DETACHED | CMS_BINARY) != 1) {
		*err = ssl_error("cannot sign");
		goto out;
	}
	n = i2d_CMS_ContentInfo(cms, &out);
	if (n <= 0 || n > SK_SIGNATURE_MAX_BYTES) {
		*err = n <= 0 ? ssl_error("cannot encode the signature")
			      : sk_asprintf(
					"signature of %d bytes exceeds the %d-byte limit (too many chain certificates?)",
					n, SK_SIGNATURE_MAX_BYTES);
		goto out;
	}
	*der = malloc((size_t)n);
	if (!*der) {
		*err = sk_asprintf("out of memory");
		goto out;
	}
	memcpy(*der, out, (size_t)n);
	*der_len = (size_t)n;
	ret = 0;
out:
	OPENSSL_free(out);
	ASN1_TIME_free(t);
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return ret;
}

time_t sk_signing_time(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	unsigned long long v;

	if (s && sk_parse_u64(s, &v) && v <= (unsigned long long)MAX_EPOCH)
		return (time_t)v;
	return time(NULL);
}
