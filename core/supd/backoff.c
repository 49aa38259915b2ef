/* SPDX-License-Identifier: MIT */
/* backoff.c - jittered exponential backoff. */
#include "backoff.h"

#include <stdint.h>
#include <stdlib.h>

long long supd_backoff_ms(unsigned long long base_s, unsigned n,
			  unsigned long long max_s)
{
	/* Both at most 86400 s (agentconf.c): no overflow below. */
	unsigned long long max_ms = max_s * 1000, d = base_s * 1000;

	if (n == 0)
		n = 1;
	for (unsigned i = 1; i < n && d < max_ms; i++)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	if (d < 2)
		return (long long)d;
	return (long long)(d / 2 + arc4random_uniform((uint32_t)(d / 2 + 1)));
}
