/* SPDX-License-Identifier: MIT */
/*
 * suptar.h - writing a SUP archive (sup pack, sup sign): an uncompressed
 * pax tar whose entries all carry the same header (mode 0644, uid and gid
 * 0, no user or group name, mtime SOURCE_DATE_EPOCH or 0), so that the
 * same entries always give the same bytes; the file appears at its path
 * only when complete and durable (docs/sup-format.md).
 */
#ifndef SK_SUPTAR_H
#define SK_SUPTAR_H

#include <stddef.h>
#include <time.h>

#include "base/problems.h"
#include "base/util.h"

struct archive;

struct sk_suptar {
	struct archive *a;
	struct sk_atomic out;
	time_t mtime;
	const char *path; /* borrowed, for messages */
	struct sk_problems *d;
};

/* Start path (a temporary sibling until committed). 0, or -1 with the
 * problem in d (class SYSTEM). w must be released either way. */
int sk_suptar_open(struct sk_suptar *w, const char *path,
		   struct sk_problems *d);
/* The header of a regular file entry of size bytes; then exactly size
 * bytes of data through sk_suptar_write(). 0 or -1 (d). */
int sk_suptar_entry(struct sk_suptar *w, const char *name,
		    unsigned long long size);
int sk_suptar_write(struct sk_suptar *w, const void *data, size_t len);
/* Finish the archive, sync it and rename it over path. 0 or -1 (d); after
 * -1 nothing is left at path that was not there before. */
int sk_suptar_commit(struct sk_suptar *w);
/* Remove the temporary file unless committed; free everything. A writer
 * zeroed with memset and never opened may be released too. */
void sk_suptar_release(struct sk_suptar *w);

/* SOURCE_DATE_EPOCH when it is a decimal date up to 9999-12-31, else 0. */
time_t sk_suptar_mtime(void);

#endif
