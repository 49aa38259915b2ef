/* SPDX-License-Identifier: MIT */
/*
 * sign.h - sup sign: give an existing SUP a new signature. The package is
 * checked whole first (manifest, every payload's size and sha256): a
 * release engineer vouches only for what the manifest pins.
 */
#ifndef SK_SIGN_H
#define SK_SIGN_H

#include "base/problems.h"

struct sk_signer;

#include <stddef.h>

/*
 * Write the package at in to out (which may be in: replaced atomically):
 * manifest.json byte for byte, a new manifest.sig (any old one is
 * dropped), then the payloads as they are, in an uncompressed pax tar
 * with the headers of sup pack. The signature is made by s, or, when s is
 * NULL, is the DER signature sig (sig_len bytes) made elsewhere, which
 * must match the manifest (sk_signature_check_match()). Returns 0, or -1
 * with every problem in d (class PACKAGE for a package that fails its
 * checks or a signature that does not fit it, SETUP for a signing
 * failure, SYSTEM for I/O).
 */
int sk_sign_package(const char *in, const char *out, const struct sk_signer *s,
		    const unsigned char *sig, size_t sig_len,
		    struct sk_problems *d);

#endif
