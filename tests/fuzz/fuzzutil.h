/* SPDX-License-Identifier: MIT */
/*
 * fuzzutil.h - what the libFuzzer targets share: a private temporary
 * directory per process, writing an input to a file, splitting an input
 * into parts, removing a tree.
 *
 * A harness problem (a temporary file that cannot be written) is not a
 * finding of the code under test: these helpers print why and abort, so
 * that it is seen at once, not taken for a rejected input.
 */
#ifndef FUZZUTIL_H
#define FUZZUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* The process's private directory (mode 0700) under $TMPDIR (or /tmp),
 * made on first use and removed when the process exits. */
const char *fz_tmpdir(void);

/* "dir/name", malloc'd; aborts when out of memory. */
char *fz_join(const char *dir, const char *name);

/* Create dir and its parents (mode 0700). */
void fz_mkdirs(const char *dir);

/* Replace the file at path with len bytes of data, mode exactly mode. */
void fz_write(const char *path, const void *data, size_t len, mode_t mode);

/* Remove path and everything below it without following symbolic links,
 * making directories writable first; a missing path is fine. Returns 0
 * or an errno value. */
int fz_rmtree(const char *path);

/* One part of an input; not NUL-terminated. */
struct fz_part {
	const uint8_t *data;
	size_t len;
};

/* Split data at each occurrence of sep (seplen > 0) into at most max
 * parts (the last takes the rest, separators included). Returns the
 * number of parts, at least 1. */
size_t fz_split(const uint8_t *data, size_t size, const char *sep,
		size_t seplen, struct fz_part *parts, size_t max);

/* A file of tests/fuzz/data (FUZZ_DATA_DIR), whole, malloc'd and
 * NUL-terminated (the NUL not counted in *len). */
char *fz_data(const char *name, size_t *len);

/* The time the targets check certificates at (tests/fuzz/data/clock,
 * written by mkcorpus.py with the data): fixed, so that an input gives the
 * same result whenever it runs, and inside the validity of the data. */
time_t fz_data_clock(void);

/* A NUL-terminated malloc'd copy of len bytes; aborts when out of
 * memory. */
char *fz_strndup(const void *data, size_t len);

/* Print "fuzz harness: MSG" and abort (a harness failure). */
void fz_die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						   noreturn));

#endif
