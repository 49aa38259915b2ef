/* SPDX-License-Identifier: MIT */
/*
 * util.c - small helpers of the plugins: full write, monotonic clock,
 * decimal numbers, payload progress and copy (see util.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <inttypes.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int spl_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int64_t spl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool spl_parse_num(const char *s, int64_t min, int64_t max, int64_t *out)
{
	int64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (INT64_MAX - (*s - '0')) / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

void spl_progress_add(const struct sup_host_api *host,
		      struct sup_action_ctx *ctx, struct spl_progress *p,
		      uint64_t n)
{
	unsigned int pct;

	p->done = n > UINT64_MAX - p->done ? UINT64_MAX : p->done + n;
	if (p->total == 0)
		return;
	if (p->done >= p->total)
		pct = 100;
	else if (p->total > UINT64_MAX / 100)
		pct = (unsigned int)(p->done / (p->total / 100));
	else
		pct = (unsigned int)(p->done * 100 / p->total);
	if (pct > 100)
		pct = 100;
	if (pct != p->last) {
		host->progress(ctx, pct);
		p->last = pct;
	}
}

int spl_payload_copy(const struct sup_host_api *host,
		     struct sup_action_ctx *ctx, struct sup_payload *pl,
		     const char *pname, int fd, unsigned char *buf,
		     struct spl_progress *prog, int *werr)
{
	*werr = 0;
	for (;;) {
		int64_t n = host->payload_read(pl, buf, SPL_BUF_SIZE);

		if (n < 0)
			return SUP_ERR; /* recorded by the host */
		if (n == 0)
			return SUP_OK;
		if (n > SPL_BUF_SIZE)
			return host->fail(ctx, 0,
					  "payload '%s' read returned %" PRId64
					  " bytes for a %d-byte buffer",
					  pname, n, SPL_BUF_SIZE);
		*werr = spl_write_all(fd, buf, (size_t)n);
		if (*werr)
			return SUP_ERR;
		spl_progress_add(host, ctx, prog, (uint64_t)n);
	}
}
