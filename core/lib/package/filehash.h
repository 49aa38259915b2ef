/* SPDX-License-Identifier: MIT */
/*
 * filehash.h - the SHA-256 of a whole file, computed by a child process
 * from a descriptor (pread(), so the descriptor's offset is left alone),
 * while the caller goes on with other work.
 *
 * A process, not a thread: the installer forks for every plugin call,
 * and a fork while another thread holds a lock (the allocator's, a
 * sanitizer's, libcrypto's) can leave the child waiting forever. With
 * the hash in a process of its own, the installer has one thread
 * whenever it forks.
 */
#ifndef SK_FILEHASH_H
#define SK_FILEHASH_H

#include "base/hash.h"

struct sk_filehash;

/* Start hashing fd, which the child shares; size is what fstat() said
 * when the file was opened. Call it while the caller has no other thread.
 * NULL when no child could be started (errno set). */
struct sk_filehash *sk_filehash_start(int fd, unsigned long long size);
/*
 * Wait for the child, and free h. 0 and hex set; -EIO when the file was
 * not size bytes long when read (it changed), another -errno of the read,
 * or -ECHILD when the child ended without an answer.
 */
int sk_filehash_wait(struct sk_filehash *h, char hex[SK_SHA256_HEX_LEN + 1]);

#endif
