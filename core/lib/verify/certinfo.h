/* SPDX-License-Identifier: MIT */
/*
 * certinfo.h - what is shown and recorded of an X.509 certificate
 * (subject, issuer, serial, fingerprints, key, validity), read with
 * libcrypto. Used by the keyring (its anchors) and the signature check
 * (the signer).
 */
#ifndef SK_CERTINFO_H
#define SK_CERTINFO_H

#include <time.h>

#include "base/hash.h"

struct x509_st;
struct X509_name_st;
struct asn1_string_st;

/* What is shown and recorded of a certificate. Strings are malloc'd,
 * printable ASCII (RFC 2253 names, non-ASCII escaped). */
struct sk_cert_info {
	char *subject;
	char *issuer;
	char *serial;				 /* hex */
	char cert_sha256[SK_SHA256_HEX_LEN + 1]; /* of the DER certificate */
	char key_sha256[SK_SHA256_HEX_LEN +
			1]; /* of the SubjectPublicKeyInfo */
	char *key;	    /* "ECDSA P-256", "RSA 3072", ... */
	time_t not_before;
	time_t not_after;
};

/* Describe a certificate (libcrypto's X509); 0 or -1 (out of memory). */
int sk_cert_info_from_x509(struct sk_cert_info *ci, struct x509_st *x);
void sk_cert_info_release(struct sk_cert_info *ci);

/* A certificate name as RFC 2253 text, every non-ASCII and control byte
 * escaped, cut after 512 bytes (malloc'd; NULL when out of memory). */
char *sk_cert_name_text(const struct X509_name_st *n);
/* An ASN.1 time as seconds since the epoch; 0 when absent or unreadable. */
time_t sk_asn1_time_epoch(const struct asn1_string_st *t);

#endif
