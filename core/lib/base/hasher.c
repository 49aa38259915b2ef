/* SPDX-License-Identifier: MIT */
/* hasher.c - SHA-256 in a helper thread (see hasher.h). */
#include "base/hasher.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SK_HASHER_STACK (128 * 1024)

struct slot {
	unsigned char *buf;
	size_t cap;
	size_t len;
	bool full;
};

struct sk_hasher {
	struct sk_sha256 *h;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot slot[2];
	unsigned int put; /* the slot the caller fills next */
	bool stop;
};

static void *hasher_main(void *arg)
{
	struct sk_hasher *q = arg;
	unsigned int take = 0;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		struct slot *s = &q->slot[take];

		while (!s->full && !q->stop)
			pthread_cond_wait(&q->cv, &q->mu);
		if (!s->full)
			break; /* stopped, nothing left */
		pthread_mutex_unlock(&q->mu);
		sk_sha256_update(q->h, s->buf, s->len);
		pthread_mutex_lock(&q->mu);
		s->full = false;
		pthread_cond_broadcast(&q->cv);
		take ^= 1;
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct sk_hasher *sk_hasher_start(struct sk_sha256 *h)
{
	struct sk_hasher *q = calloc(1, sizeof(*q));
	pthread_attr_t attr;
	int r;

	if (!q)
		return NULL;
	q->h = h;
	if (pthread_mutex_init(&q->mu, NULL) != 0)
		goto fail_free;
	if (pthread_cond_init(&q->cv, NULL) != 0)
		goto fail_mu;
	if (pthread_attr_init(&attr) != 0)
		goto fail_cv;
	pthread_attr_setstacksize(&attr, SK_HASHER_STACK);
	r = pthread_create(&q->thread, &attr, hasher_main, q);
	pthread_attr_destroy(&attr);
	if (r == 0)
		return q;
fail_cv:
	pthread_cond_destroy(&q->cv);
fail_mu:
	pthread_mutex_destroy(&q->mu);
fail_free:
	free(q);
	return NULL;
}

int sk_hasher_update(struct sk_hasher *q, const void *data, size_t len)
{
	struct slot *s = &q->slot[q->put];

	if (len == 0)
		return 0;
	pthread_mutex_lock(&q->mu);
	while (s->full)
		pthread_cond_wait(&q->cv, &q->mu);
	pthread_mutex_unlock(&q->mu);
	/* Empty: the thread does not touch it until it is full again. */
	if (s->cap < len) {
		unsigned char *b = realloc(s->buf, len);

		if (!b)
			return -ENOMEM;
		s->buf = b;
		s->cap = len;
	}
	memcpy(s->buf, data, len);
	s->len = len;
	pthread_mutex_lock(&q->mu);
	s->full = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	q->put ^= 1;
	return 0;
}

void sk_hasher_finish(struct sk_hasher *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	/* The thread hashes what is full before it sees stop. */
	pthread_join(q->thread, NULL);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q->slot[0].buf);
	free(q->slot[1].buf);
	free(q);
}
