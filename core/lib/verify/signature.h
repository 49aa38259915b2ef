/* SPDX-License-Identifier: MIT */
/*
 * signature.h - manifest.sig: a DER CMS SignedData, detached, over the
 * exact bytes of manifest.json (RFC 5652), checked against a keyring and
 * made with libcrypto. See docs/security.md.
 *
 * Accepted signer keys: ECDSA P-256 and P-384, RSA of 2048 bits or more
 * (PKCS#1 v1.5 or PSS); digests SHA-256, SHA-384, SHA-512. Exactly one
 * signer. Its certificate is in the signature; intermediates may be.
 */
#ifndef SK_SIGNATURE_H
#define SK_SIGNATURE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "base/config.h"
#include "base/hash.h"
#include "base/problems.h"
#include "verify/certinfo.h"

struct sk_keyring;

/* Largest manifest.sig read (docs/sup-format.md). */
#define SK_SIGNATURE_MAX_BYTES (64 * 1024)

/* The outcome of checking a package's signature. */
enum sk_sig_status {
	SK_SIG_NOT_CHECKED = 0, /* no keyring was consulted */
	SK_SIG_UNSIGNED,	/* no manifest.sig */
	SK_SIG_OK,		/* valid, from a keyring anchor */
	SK_SIG_MALFORMED,	/* not a detached CMS SignedData we accept */
	SK_SIG_MISMATCH,	/* does not match manifest.json */
	SK_SIG_WEAK,		/* key or digest not accepted */
	SK_SIG_UNTRUSTED,	/* chains to no anchor, or misused cert */
	SK_SIG_EXPIRED,
	SK_SIG_NOT_YET_VALID,
	SK_SIG_REVOKED,
	SK_SIG_BAD_CRL, /* the gateway's CRL file is broken (exit 5) */
};

/* "verified", "unsigned", "malformed", ... as recorded in documents. */
const char *sk_sig_status_name(enum sk_sig_status s);

struct sk_verify_params {
	enum sk_validity validity;
	time_t clock; /* the system clock */
	time_t floor; /* the newest trusted time known (0: none) */
	/* The leaf must carry the code-signing extended key usage (without
	 * this, an EKU that is present must still allow code signing). */
	bool require_code_signing;
};

struct sk_sig_result {
	enum sk_sig_status status;
	char *reason;	 /* one line, malloc'd; NULL when status OK */
	bool has_signer; /* signer filled (the CMS parsed) */
	struct sk_cert_info signer;
	time_t signing_time; /* the signingTime attribute, 0 if none */
	time_t checked_at;   /* the time validity was checked at, 0: not */
};

void sk_sig_result_release(struct sk_sig_result *r);

/*
 * Check sig (sig_len bytes of DER; NULL: the package is unsigned) over
 * manifest (manifest_len bytes) against keyring k. Fills *r (always
 * initialised; release it). Returns 0 when the signature is valid
 * (r->status SK_SIG_OK), -1 otherwise (r->reason says why in one line:
 * "signature does not match the manifest", "signer not trusted: ...").
 */
int sk_signature_verify(const struct sk_keyring *k, const void *manifest,
			size_t manifest_len, const void *sig, size_t sig_len,
			const struct sk_verify_params *p,
			struct sk_sig_result *r);

/*
 * Describe sig without checking it against anything (no keyring: sup
 * inspect on a build machine): fills r->signer and r->signing_time when
 * the CMS parses, status SK_SIG_NOT_CHECKED (or SK_SIG_MALFORMED, with a
 * reason). Returns 0 or -1 like sk_signature_verify().
 */
int sk_signature_describe(const void *sig, size_t sig_len,
			  struct sk_sig_result *r);

/*
 * Check what needs no keyring (sup sign --signature, for a signature made
 * elsewhere, e.g. with an HSM): sig parses as accepted above, its key and
 * digest are accepted, and it matches manifest. The signer is described;
 * status SK_SIG_NOT_CHECKED on success. 0 or -1 (r->reason).
 */
int sk_signature_check_match(const void *manifest, size_t manifest_len,
			     const void *sig, size_t sig_len,
			     struct sk_sig_result *r);

/* --- signing (release engineers: sup pack --key, sup sign) --- */

struct sk_signer; /* opaque: key, certificate, chain */

/*
 * Load a PEM private key, its certificate and optional intermediates
 * (host paths). The key must match the certificate and be of an accepted
 * kind. pss: RSA keys sign with PSS instead of PKCS#1 v1.5 (an RSA-PSS
 * key always does). Problems go to d (class SETUP for unusable input).
 */
struct sk_signer *sk_signer_load(const char *key_path, const char *cert_path,
				 const char *chain_path, bool pss,
				 struct sk_problems *d);
void sk_signer_free(struct sk_signer *s);
const struct sk_cert_info *sk_signer_cert(const struct sk_signer *s);

/*
 * Sign data: a detached DER CMS SignedData with the signingTime
 * attribute set to signing_time (clamped up to the certificate's
 * notBefore, so that a fresh certificate never looks not yet valid).
 * With an RSA PKCS#1 v1.5 key the output is a function of the inputs;
 * ECDSA and PSS signatures are randomised by libcrypto. Returns 0 and a
 * malloc'd *der, or -1 with *err malloc'd.
 */
int sk_signer_sign(const struct sk_signer *s, const void *data, size_t len,
		   time_t signing_time, unsigned char **der, size_t *der_len,
		   char **err);

/* The signing time sup uses: SOURCE_DATE_EPOCH when it is a valid date,
 * else the clock. */
time_t sk_signing_time(void);

#endif
