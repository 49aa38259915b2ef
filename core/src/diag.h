/* SPDX-License-Identifier: MIT */
/*
 * diag.h - a list of problems found while reading or checking a package.
 *
 * Preflight reports every problem it finds, not only the first, so the
 * checks append to a list instead of returning at the first error. Each
 * problem has a class that decides the exit code.
 */
#ifndef SK_DIAG_H
#define SK_DIAG_H

#include <stdbool.h>
#include <stddef.h>

enum sk_diag_class {
	SK_DIAG_PACKAGE = 0, /* malformed or corrupt package (exit 3) */
	SK_DIAG_TARGET,	     /* valid package, not installable here (exit 4) */
	SK_DIAG_SETUP,	     /* configuration or plugin problem (exit 5) */
	SK_DIAG_SYSTEM,	     /* I/O or resource failure (exit 6) */
};

struct sk_diag_item {
	enum sk_diag_class cls;
	char *msg; /* owned; "where: what" */
};

struct sk_diag {
	struct sk_diag_item *items; /* owned */
	size_t count;
	size_t cap;
	bool oom; /* an item could not be recorded */
};

void sk_diag_init(struct sk_diag *d);
void sk_diag_release(struct sk_diag *d);
/* Append a formatted problem. Never fails: on allocation failure the
 * list remembers that something was lost (d->oom). */
void sk_diag_add(struct sk_diag *d, enum sk_diag_class cls, const char *fmt,
		 ...) __attribute__((format(printf, 3, 4)));
bool sk_diag_empty(const struct sk_diag *d);
/* Exit code for the problems present: 0 if none, else the lowest of
 * PACKAGE 3, TARGET 4, SETUP 5, SYSTEM 6 (d->oom counts as SYSTEM). */
int sk_diag_exit_code(const struct sk_diag *d);
/* Print every problem as "PROG: error: MSG" lines to stderr, and a last
 * line if some problems were lost to an allocation failure. Control
 * characters and invalid UTF-8 in MSG are escaped (sk_show_text()); the
 * items keep the original text. */
void sk_diag_print(const struct sk_diag *d, const char *prog);

#endif
