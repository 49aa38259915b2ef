/* SPDX-License-Identifier: MIT */
/* hash.h - streaming SHA-256 through OpenSSL's libcrypto. */
#ifndef SK_HASH_H
#define SK_HASH_H

#include <stddef.h>

#define SK_SHA256_HEX_LEN 64

struct sk_sha256; /* opaque */

/* Returns NULL on allocation failure. */
struct sk_sha256 *sk_sha256_new(void);
void sk_sha256_update(struct sk_sha256 *h, const void *data, size_t len);
/* Writes 64 lowercase hex digits and a NUL into hex; the context may be
 * reused after sk_sha256_reset(). If libcrypto failed at any step, hex is
 * the empty string, which never equals a digest. */
void sk_sha256_final_hex(struct sk_sha256 *h,
			 char hex[SK_SHA256_HEX_LEN + 1]);
void sk_sha256_reset(struct sk_sha256 *h);
void sk_sha256_free(struct sk_sha256 *h);
/* The SHA-256 of data[len] in hex; the empty string if libcrypto failed
 * (which never equals a digest). */
void sk_sha256_hex_of(const void *data, size_t len,
		      char hex[SK_SHA256_HEX_LEN + 1]);
/* Hash a whole regular file (-EISDIR or -EINVAL for anything else);
 * returns 0 or -errno. *size gets its length. */
int sk_sha256_file(const char *path, char hex[SK_SHA256_HEX_LEN + 1],
		   unsigned long long *size);
/* Hash what is left to read from fd, reading 64 KiB at a time, until end
 * of file; returns 0 or -errno. *size (if not NULL) gets the byte count. */
int sk_sha256_fd(int fd, char hex[SK_SHA256_HEX_LEN + 1],
		 unsigned long long *size);
/* Lowercase hex of bytes[len] into out (2 * len + 1 bytes, NUL-ended). */
void sk_hex(const unsigned char *bytes, size_t len, char *out);
/* True (1) if s is exactly 64 lowercase hex digits. */
int sk_sha256_hex_valid(const char *s);

#endif
