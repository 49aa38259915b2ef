/* SPDX-License-Identifier: MIT */
/*
 * sign.h - sup sign: give an existing SUP a new signature. The package is
 * checked whole first (manifest, every payload's size and sha256): a
 * release engineer vouches only for what the manifest pins.
 */
#ifndef SK_SIGN_H
#define SK_SIGN_H

#include "diag.h"

struct sk_signer;

/*
 * Write the package at in to out (which may be in: replaced atomically):
 * manifest.json byte for byte, a new manifest.sig made by s (any old one
 * is dropped), then the payloads as they are, in an uncompressed pax tar
 * with the headers of sup pack. Returns 0, or -1 with every problem in d
 * (class PACKAGE for a package that fails its checks, SETUP for a signing
 * failure, SYSTEM for I/O).
 */
int sk_sign_package(const char *in, const char *out,
		    const struct sk_signer *s, struct sk_diag *d);

#endif
