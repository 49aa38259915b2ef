/* SPDX-License-Identifier: MIT */
/*
 * redact.h - a configuration file (INI) as sup diag shows it: key = value
 * lines under their sections, as libinih parsed them, with the values of
 * secret keys replaced by "<redacted>" and the password of a URL value by
 * "redacted"; comments and lines that do not parse are left out, and
 * named in a comment at the end (docs/cli.md, "sup diag").
 */
#ifndef SK_REDACT_H
#define SK_REDACT_H

#include <stddef.h>

/* The redacted copy of the INI text in[len] read from path (named in its
 * first line): 0 and *out (malloc'd, *out_len bytes), or -1 (out of
 * memory, or libinih could not run). */
int sk_redact_ini(const char *path, const char *in, size_t len, char **out,
		  size_t *out_len);

#endif
