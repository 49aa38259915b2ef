/* SPDX-License-Identifier: MIT */
/* version.c - Debian version comparison (dpkg's verrevcmp). */
#include "base/version.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* A part of a version: not NUL-terminated. */
struct span {
	const char *s;
	size_t len;
};

/* ASCII only, whatever the locale. */
static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_letter(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Sort weight of the byte at p in a non-digit run; p == end (or a digit,
 * where the run ends too) weighs 0: after '~', before the letters. */
static int weight(const char *p, const char *end)
{
	unsigned char c;

	if (p == end || is_digit(*p))
		return 0;
	c = (unsigned char)*p;
	if (c == '~')
		return -1;
	if (is_letter(*p))
		return c;
	return c + 256;
}

/* Two runs of decimal digits as numbers of any size. */
static int number_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c;

	while (alen > 0 && *a == '0') {
		a++;
		alen--;
	}
	while (blen > 0 && *b == '0') {
		b++;
		blen--;
	}
	if (alen != blen)
		return alen < blen ? -1 : 1;
	c = memcmp(a, b, alen);
	return (c > 0) - (c < 0);
}

static int part_cmp(struct span x, struct span y)
{
	const char *a = x.s, *ae = x.s + x.len, *b = y.s, *be = y.s + y.len;

	while (a < ae || b < be) {
		const char *da, *db;
		int c;

		while ((a < ae && !is_digit(*a)) || (b < be && !is_digit(*b))) {
			int wa = weight(a, ae), wb = weight(b, be);

			if (wa != wb)
				return wa < wb ? -1 : 1;
			/* Equal weights are never 0 here: both are bytes of
			 * their runs, not ends. */
			a++;
			b++;
		}
		for (da = a; a < ae && is_digit(*a); a++)
			;
		for (db = b; b < be && is_digit(*b); b++)
			;
		c = number_cmp(da, (size_t)(a - da), db, (size_t)(b - db));
		if (c)
			return c;
	}
	return 0;
}

struct parsed {
	struct span epoch, upstream, revision;
};

static void parse(const char *v, struct parsed *p)
{
	const char *s = v, *dash;

	while (is_digit(*s))
		s++;
	if (s > v && *s == ':') {
		p->epoch = (struct span){ v, (size_t)(s - v) };
		v = s + 1;
	} else {
		p->epoch = (struct span){ v, 0 };
	}
	dash = strrchr(v, '-');
	if (dash) {
		p->upstream = (struct span){ v, (size_t)(dash - v) };
		p->revision = (struct span){ dash + 1, strlen(dash + 1) };
	} else {
		p->upstream = (struct span){ v, strlen(v) };
		p->revision = (struct span){ v + p->upstream.len, 0 };
	}
}

int sk_version_cmp(const char *a, const char *b)
{
	struct parsed pa, pb;
	int c;

	parse(a, &pa);
	parse(b, &pb);
	c = number_cmp(pa.epoch.s, pa.epoch.len, pb.epoch.s, pb.epoch.len);
	if (!c)
		c = part_cmp(pa.upstream, pb.upstream);
	if (!c)
		c = part_cmp(pa.revision, pb.revision);
	return c;
}
