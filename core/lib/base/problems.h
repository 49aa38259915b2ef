/* SPDX-License-Identifier: MIT */
/*
 * problems.h - a list of problems found while reading or checking a package.
 *
 * Preflight reports every problem it finds, not only the first, so the
 * checks append to a list instead of returning at the first error. Each
 * problem has a class that decides the exit code.
 */
#ifndef SK_PROBLEMS_H
#define SK_PROBLEMS_H

#include <stdbool.h>
#include <stddef.h>

enum sk_problem_class {
	SK_PROBLEM_PACKAGE = 0, /* malformed or corrupt package (exit 3) */
	SK_PROBLEM_TARGET, /* valid package, not installable here (exit 4) */
	SK_PROBLEM_SETUP,  /* configuration or plugin problem (exit 5) */
	SK_PROBLEM_SYSTEM, /* I/O or resource failure (exit 6) */
};

struct sk_problem {
	enum sk_problem_class cls;
	char *msg; /* owned; "where: what" */
};

struct sk_problems {
	struct sk_problem *items; /* owned */
	size_t count;
	size_t cap;
	bool oom; /* an item could not be recorded */
};

void sk_problems_init(struct sk_problems *d);
void sk_problems_release(struct sk_problems *d);
/* Append a formatted problem. Never fails: on allocation failure the
 * list remembers that something was lost (d->oom). */
void sk_problems_add(struct sk_problems *d, enum sk_problem_class cls,
		     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool sk_problems_empty(const struct sk_problems *d);
/* Exit code for the problems present: 0 if none, else the lowest of
 * PACKAGE 3, TARGET 4, SETUP 5, SYSTEM 6 (d->oom counts as SYSTEM). */
int sk_problems_exit_code(const struct sk_problems *d);
/* Print every problem as "PROG: error: MSG" lines to stderr, and a last
 * line if some problems were lost to an allocation failure. Control
 * characters and invalid UTF-8 in MSG are escaped (sk_show_text()); the
 * items keep the original text. */
void sk_problems_print(const struct sk_problems *d, const char *prog);

#endif
