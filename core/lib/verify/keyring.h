/* SPDX-License-Identifier: MIT */
/*
 * keyring.h - the gateway's trust anchors (a PEM file of certificates)
 * and the optional certificate revocation lists, loaded with libcrypto.
 *
 * Every certificate in the keyring is a trust anchor: a root CA, an
 * intermediate, or a self-signed signer certificate. The files are
 * configuration that decides what runs as root: they must be regular
 * files, not writable by group or others, owned by root or by the user
 * running sup, and the keyring must hold certificates only (a private key
 * in it is refused, so it never ends up in a support bundle).
 */
#ifndef SK_KEYRING_H
#define SK_KEYRING_H

#include <stddef.h>

#include "base/problems.h"
#include "verify/certinfo.h"

/* Largest keyring or CRL file read. */
#define SK_KEYRING_MAX_BYTES (1024 * 1024)

struct sk_keyring; /* opaque */

/*
 * Load the anchors of keyring_path and, when crl_path is not NULL, the
 * CRLs of crl_path (host paths; PEM; text between the PEM blocks is
 * ignored, so anchors may be annotated). Problems go to d, class SETUP:
 * a missing, unreadable, unsafe, empty or malformed file; class SYSTEM
 * for allocation failures. Returns the keyring or NULL.
 */
struct sk_keyring *sk_keyring_load(const char *keyring_path,
				   const char *crl_path, struct sk_problems *d);

/* The same from a keyring already open as fd and checked by the caller
 * (sk_trusted_open_under() of base/trustfile.h, for a keyring under the
 * root); keyring_path names it. fd is taken over (closed). */
struct sk_keyring *sk_keyring_load_fd(int fd, const char *keyring_path,
				      struct sk_problems *d);

/* And the CRLs of the file open as fd (taken over; crl_path names it),
 * once per keyring. 0, or -1 with the problem in d (k is then fit only
 * for sk_keyring_free()). */
int sk_keyring_add_crls_fd(struct sk_keyring *k, int fd, const char *crl_path,
			   struct sk_problems *d);

void sk_keyring_free(struct sk_keyring *k);

/* The files it was loaded from (borrowed; crl NULL when none). */
const char *sk_keyring_path(const struct sk_keyring *k);
const char *sk_keyring_crl_path(const struct sk_keyring *k);

/* The anchors, in file order, and the number of CRLs. */
size_t sk_keyring_count(const struct sk_keyring *k);
const struct sk_cert_info *sk_keyring_anchor(const struct sk_keyring *k,
					     size_t i);
size_t sk_keyring_crl_count(const struct sk_keyring *k);

/* The rest of fd (a PEM file: at most SK_KEYRING_MAX_BYTES) in a memory
 * BIO; fd is closed. what and path name it in problems (d). The bytes
 * read are wiped from memory but the BIO's. NULL on failure. */
struct bio_st *sk_pem_read_fd(int fd, const char *what, const char *path,
			      struct sk_problems *d);

/* For signature.c: the X509_STORE holding anchors and CRLs, and whether
 * CRLs were loaded (borrowed). */
struct x509_store_st *sk_keyring_store(const struct sk_keyring *k);

#endif
