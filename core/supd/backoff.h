/* SPDX-License-Identifier: MIT */
/* backoff.h - jittered exponential backoff. */
#ifndef SUPD_BACKOFF_H
#define SUPD_BACKOFF_H

/*
 * Milliseconds to wait before try number n + 1 after n failures in a row
 * (n >= 1): base_s * 2^(n-1), at most max_s, then "equal jitter": a
 * random value between half of that and all of it, so that gateways that
 * failed together do not come back together.
 */
long long supd_backoff_ms(unsigned long long base_s, unsigned n,
			  unsigned long long max_s);

#endif
