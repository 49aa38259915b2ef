/* SPDX-License-Identifier: MIT */
/*
 * inifile.h - INI files read with libinih, line by line numbered: every
 * problem is reported as "FILE:LINE: what", a line longer than libinih's
 * buffer is refused whole (never read as two lines), and every problem of
 * a file is reported, not only the first.
 */
#ifndef SK_INIFILE_H
#define SK_INIFILE_H

#include <stdio.h>
#include <sys/stat.h>

#include "base/problems.h"

/* Larger is not a configuration file. */
#define SK_INI_MAX_BYTES (1024 * 1024)

struct sk_ini {
	/* Set by the caller. */
	const char *file;
	struct sk_problems *d;
	/* Called for each key (never for a section header alone); returns
	 * 1, or 0 when out of memory. Problems with the entry are reported
	 * with sk_ini_bad() and still return 1. Callers embed struct sk_ini
	 * in their own state and recover it from ini. */
	int (*key)(struct sk_ini *ini, const char *section, const char *key,
		   const char *value);
	/* Set while parsing. */
	FILE *fp;
	int line;   /* the line being read */
	int errors; /* problems reported by this parse */
};

/*
 * Parse ini->file, opened by sk_trusted_open() (base/trustfile.h). When
 * st is not NULL it gets the fstat() of the file opened (not of whatever
 * the name points to later). Returns 0 when no problem was reported, -1
 * otherwise (every problem is in ini->d: class SETUP, SYSTEM when out of
 * memory).
 */
int sk_ini_parse(struct sk_ini *ini, struct stat *st);

/* The same for the file already open as fd (checked by the caller; the
 * parse takes it over and closes it), named ini->file in messages. */
int sk_ini_parse_fd(struct sk_ini *ini, int fd, struct stat *st);

/* Report a problem at line (0: the file as a whole). */
void sk_ini_bad(struct sk_ini *ini, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
