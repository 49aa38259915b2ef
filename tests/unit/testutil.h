/* SPDX-License-Identifier: MIT */
/*
 * testutil.h - helpers shared by the CUnit unit tests.
 *
 * Each tests/unit/test_NAME.c has its own main():
 *
 *	int main(void)
 *	{
 *		if (tu_init() || CU_register_suites(suites) != CUE_SUCCESS)
 *			return tu_abort();
 *		return tu_run();
 *	}
 *
 * Paths returned by these helpers are malloc'd; the caller frees them.
 */
#ifndef TU_TESTUTIL_H
#define TU_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <CUnit/CUnit.h>

struct sk_config;
struct sk_problems;
struct sk_trust;

/* Initialise the CUnit registry; 0 or -1. */
int tu_init(void);
/* Clean up after a failed setup; returns the exit status to use (2). */
int tu_abort(void);
/* Run every registered suite with the basic runner (verbose) and clean
 * the registry. Returns 0 if every test passed, after printing
 * TU_ALL_RAN (what CTest passes a unit test on), 1 otherwise. */
int tu_run(void);
#define TU_ALL_RAN "supkit-unit: every test ran and passed"

/* A new empty directory under $TMPDIR (or /tmp); NULL on failure. */
char *tu_mkdtemp(void);
/* "dir/name"; aborts the program if memory runs out. */
char *tu_path(const char *dir, const char *name);
/* Create or truncate path (mode 0644) with len bytes of data, creating
 * missing parent directories; 0 or -1. */
int tu_write_file(const char *path, const void *data, size_t len);
int tu_write_str(const char *path, const char *s);
/* The whole file, NUL-terminated (not counted in *len); NULL on failure. */
char *tu_read_file(const char *path, size_t *len);
/* rm -rf without following symbolic links; 0 or -1. */
int tu_rm_rf(const char *path);
/* True if path exists (a dangling link counts). */
bool tu_exists(const char *path);
/* Number of entries in a directory other than . and ..; -1 on error. */
int tu_count_entries(const char *dir);
/* Make path (a link or a directory) another user's (uid 4242: needs
 * root); a failure is fatal to the test. */
void tu_give_away(const char *path);
/* A symbolic link to target at path, another user's (tu_give_away()). */
void tu_plant(const char *target, const char *path);

/* sk_config_load() and sk_trust_open() with root (canonical) opened for
 * the call; a root that does not open gives rootfd -1 (the loader then
 * reports it). */
int tu_config_load(struct sk_config *c, const char *path, const char *root,
		   const char *product, struct sk_problems *d);
int tu_trust_open(struct sk_trust *t, const struct sk_config *c,
		  const char *root, const char *keyring_override,
		  struct sk_problems *d);

/* Assert that d holds exactly the given messages, in order. */
#define TU_ASSERT_DIAG(d, ...)                                               \
	tu_assert_diag((d), (const char *const[]){ __VA_ARGS__, NULL },     \
		       __FILE__, __LINE__)
/* Assert that d holds no problem at all. */
#define TU_ASSERT_DIAG_EMPTY(d)                                              \
	tu_assert_diag((d), (const char *const[]){ NULL }, __FILE__, __LINE__)
void tu_assert_diag(const struct sk_problems *d, const char *const *msgs,
		    const char *file, unsigned int line);

#endif
