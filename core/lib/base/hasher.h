/* SPDX-License-Identifier: MIT */
/*
 * hasher.h - a SHA-256 fed to a helper thread: the caller hands over a
 * copy of each block and goes on with its I/O while the thread hashes
 * the block before. Two blocks are in flight at most, so the memory is
 * two of the caller's blocks, whatever the stream's length.
 */
#ifndef SK_HASHER_H
#define SK_HASHER_H

#include <stddef.h>

#include "base/hash.h"

struct sk_hasher;

/* A thread that feeds h (a context the caller made and still owns: a
 * context is never made in a thread, so that no libcrypto lock is held
 * when the process forks). NULL when no thread can be started. */
struct sk_hasher *sk_hasher_start(struct sk_sha256 *h);
/* Hash a copy of data[len] after what came before. 0, or -ENOMEM (the
 * data was then not hashed, and the sum will not match). */
int sk_hasher_update(struct sk_hasher *q, const void *data, size_t len);
/* Wait until every block given was hashed into h, end the thread and
 * free q. Accepts NULL. */
void sk_hasher_finish(struct sk_hasher *q);

#endif
