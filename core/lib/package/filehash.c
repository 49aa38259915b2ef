/* SPDX-License-Identifier: MIT */
/* filehash.c - a whole file hashed by a thread (see filehash.h). */
#include "package/filehash.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

/* Large reads: the thread competes with nobody for this buffer. */
#define SK_FILEHASH_BLOCK (256 * 1024)
/* Enough for the hash and a few calls; the buffer is on the heap. */
#define SK_FILEHASH_STACK (128 * 1024)

struct sk_filehash {
	pthread_t thread;
	int fd;
	unsigned long long size;
	/* Made by the caller's thread: no libcrypto lock is ever held by
	 * this thread when the process forks. */
	struct sk_sha256 *sha;
	unsigned char *buf;
	int err;
	char hex[SK_SHA256_HEX_LEN + 1];
};

static void *filehash_main(void *arg)
{
	struct sk_filehash *h = arg;
	struct sk_sha256 *sha = h->sha;
	unsigned char *buf = h->buf;
	unsigned long long off = 0;

	for (;;) {
		ssize_t n = pread(h->fd, buf, SK_FILEHASH_BLOCK, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			h->err = -errno;
			goto out;
		}
		if (n == 0)
			break;
		sk_sha256_update(sha, buf, (size_t)n);
		off += (unsigned long long)n;
	}
	h->err = off == h->size ? 0 : -EIO;
	if (!h->err)
		sk_sha256_final_hex(sha, h->hex);
out:
	return NULL;
}

static void filehash_free(struct sk_filehash *h)
{
	sk_sha256_free(h->sha);
	free(h->buf);
	free(h);
}

struct sk_filehash *sk_filehash_start(int fd, unsigned long long size)
{
	struct sk_filehash *h = calloc(1, sizeof(*h));
	pthread_attr_t attr;
	int r;

	if (!h)
		return NULL;
	h->fd = fd;
	h->size = size;
	h->sha = sk_sha256_new();
	h->buf = malloc(SK_FILEHASH_BLOCK);
	if (!h->sha || !h->buf || pthread_attr_init(&attr) != 0) {
		filehash_free(h);
		return NULL;
	}
	pthread_attr_setstacksize(&attr, SK_FILEHASH_STACK);
	r = pthread_create(&h->thread, &attr, filehash_main, h);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		filehash_free(h);
		return NULL;
	}
	return h;
}

int sk_filehash_wait(struct sk_filehash *h, char hex[SK_SHA256_HEX_LEN + 1])
{
	int r;

	pthread_join(h->thread, NULL);
	r = h->err;
	if (!r)
		for (size_t i = 0; i <= SK_SHA256_HEX_LEN; i++)
			hex[i] = h->hex[i];
	filehash_free(h);
	return r;
}
