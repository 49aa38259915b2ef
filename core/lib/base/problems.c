/* SPDX-License-Identifier: MIT */
/* problems.c - the list of problems found while reading or checking a package. */
#include "base/problems.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

void sk_problems_init(struct sk_problems *d)
{
	memset(d, 0, sizeof(*d));
}

void sk_problems_release(struct sk_problems *d)
{
	size_t i;

	for (i = 0; i < d->count; i++)
		free(d->items[i].msg);
	free(d->items);
	memset(d, 0, sizeof(*d));
}

static int diag_grow(struct sk_problems *d)
{
	struct sk_problem *items;
	size_t cap;

	if (d->count < d->cap)
		return 0;
	cap = d->cap ? d->cap : 8;
	if (d->cap) {
		if (cap > SIZE_MAX / 2 / sizeof(*items))
			return -1;
		cap *= 2;
	}
	items = realloc(d->items, cap * sizeof(*items));
	if (!items)
		return -1;
	d->items = items;
	d->cap = cap;
	return 0;
}

void sk_problems_add(struct sk_problems *d, enum sk_problem_class cls,
		     const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = sk_vasprintf(fmt, ap);
	va_end(ap);
	if (!msg || diag_grow(d)) {
		free(msg);
		d->oom = true;
		return;
	}
	d->items[d->count].cls = cls;
	d->items[d->count].msg = msg;
	d->count++;
}

bool sk_problems_empty(const struct sk_problems *d)
{
	return d->count == 0 && !d->oom;
}

static int diag_class_code(enum sk_problem_class cls)
{
	switch (cls) {
	case SK_PROBLEM_PACKAGE: return 3;
	case SK_PROBLEM_TARGET: return 4;
	case SK_PROBLEM_SETUP: return 5;
	case SK_PROBLEM_SYSTEM: break;
	}
	return 6;
}

int sk_problems_exit_code(const struct sk_problems *d)
{
	int code = 0;
	size_t i;

	/* The lowest code wins: a corrupt package explains the rest. */
	if (d->oom)
		code = diag_class_code(SK_PROBLEM_SYSTEM);
	for (i = 0; i < d->count; i++) {
		int c = diag_class_code(d->items[i].cls);

		if (code == 0 || c < code)
			code = c;
	}
	return code;
}

void sk_problems_print(const struct sk_problems *d, const char *prog)
{
	size_t i;

	for (i = 0; i < d->count; i++) {
		const char *m = d->items[i].msg;
		/* Problems quote packages, plugins and file names: escape
		 * what could drive the terminal. */
		char *shown = sk_show_text(m, strlen(m));
		char fallback[SK_SHOW_MAX];

		fprintf(stderr, "%s: error: %s\n", prog,
			shown ? shown : sk_show(m, strlen(m), fallback));
		free(shown);
	}
	if (d->oom)
		fprintf(stderr,
			"%s: error: out of memory, some problems were not recorded\n",
			prog);
}
