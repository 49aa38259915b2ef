/* SPDX-License-Identifier: MIT */
/* certinfo.c - what is shown and recorded of an X.509 certificate. */
#include "verify/certinfo.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/util.h"

/* A name longer than this is cut in messages and records. */
#define NAME_MAX_SHOWN 512

char *sk_cert_name_text(const struct X509_name_st *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *out = NULL, *p;
	long len;

	if (!b)
		return NULL;
	/* RFC 2253 with every non-ASCII and control byte escaped: the
	 * result is printable ASCII, safe for terminals, logs and JSON. */
	if (X509_NAME_print_ex(
		    b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_UTF8_CONVERT) < 0)
		goto out;
	len = BIO_get_mem_data(b, &p);
	if (len < 0)
		goto out;
	if (len > NAME_MAX_SHOWN)
		out = sk_asprintf("%.*s...", NAME_MAX_SHOWN, p);
	else
		out = strndup(p, (size_t)len);
out:
	BIO_free(b);
	return out;
}

time_t sk_asn1_time_epoch(const struct asn1_string_st *t)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return timegm(&tm);
}

/* SHA-256 of a DER encoding made by i2d; 0 or -1. */
static int der_sha256(const unsigned char *der, int len, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (len <= 0 ||
	    !EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != 32)
		return -1;
	sk_hex(md, mdlen, hex);
	return 0;
}

static char *key_text(EVP_PKEY *pk)
{
	char group[64];
	size_t glen = 0;

	if (!pk)
		return strdup("(unreadable key)");
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen))
			return strdup("ECDSA (unknown curve)");
		if (strcmp(group, "prime256v1") == 0)
			return strdup("ECDSA P-256");
		if (strcmp(group, "secp384r1") == 0)
			return strdup("ECDSA P-384");
		if (strcmp(group, "secp521r1") == 0)
			return strdup("ECDSA P-521");
		return sk_asprintf("ECDSA %s", group);
	case EVP_PKEY_RSA: return sk_asprintf("RSA %d", EVP_PKEY_get_bits(pk));
	case EVP_PKEY_RSA_PSS:
		return sk_asprintf("RSA-PSS %d", EVP_PKEY_get_bits(pk));
	default: return sk_asprintf("%s", OBJ_nid2sn(EVP_PKEY_get_base_id(pk)));
	}
}

int sk_cert_info_from_x509(struct sk_cert_info *ci, struct x509_st *x)
{
	unsigned char *der = NULL;
	EVP_PKEY *pk;
	BIGNUM *bn = NULL;
	char *hex;
	int len, ret = -1;

	memset(ci, 0, sizeof(*ci));
	ci->subject = sk_cert_name_text(X509_get_subject_name(x));
	ci->issuer = sk_cert_name_text(X509_get_issuer_name(x));
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	hex = bn ? BN_bn2hex(bn) : NULL;
	if (hex) {
		ci->serial = strdup(hex);
		OPENSSL_free(hex);
	}
	BN_free(bn);
	pk = X509_get0_pubkey(x);
	ci->key = pk ? key_text(pk) : strdup("(unreadable key)");
	ci->not_before = sk_asn1_time_epoch(X509_get0_notBefore(x));
	ci->not_after = sk_asn1_time_epoch(X509_get0_notAfter(x));
	len = i2d_X509(x, &der);
	if (der_sha256(der, len, ci->cert_sha256))
		goto out;
	OPENSSL_free(der);
	der = NULL;
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (der_sha256(der, len, ci->key_sha256))
		goto out;
	if (ci->subject && ci->issuer && ci->serial && ci->key)
		ret = 0;
out:
	OPENSSL_free(der);
	if (ret)
		sk_cert_info_release(ci);
	return ret;
}

void sk_cert_info_release(struct sk_cert_info *ci)
{
	free(ci->subject);
	free(ci->issuer);
	free(ci->serial);
	free(ci->key);
	memset(ci, 0, sizeof(*ci));
}
