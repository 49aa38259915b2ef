/* SPDX-License-Identifier: MIT */
/*
 * filehash.h - the SHA-256 of a whole file, computed by a thread of its
 * own from a descriptor (pread(), so the descriptor's offset is left
 * alone), while the caller goes on with other work.
 */
#ifndef SK_FILEHASH_H
#define SK_FILEHASH_H

#include "base/hash.h"

struct sk_filehash;

/* Start hashing fd, which must stay open until sk_filehash_wait(); size
 * is what fstat() said when the file was opened. NULL when no thread
 * could be started (out of memory or threads). */
struct sk_filehash *sk_filehash_start(int fd, unsigned long long size);
/*
 * Wait for the thread, and free h. 0 and hex set; -EIO when the file was
 * not size bytes long when read (it changed), or another -errno of the
 * read.
 */
int sk_filehash_wait(struct sk_filehash *h, char hex[SK_SHA256_HEX_LEN + 1]);

#endif
