/* SPDX-License-Identifier: MIT */
/* testutil.c - helpers shared by the CUnit unit tests. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "base/config.h"
#include "base/problems.h"
#include "verify/trust.h"

int tu_init(void)
{
	return CU_initialize_registry() == CUE_SUCCESS ? 0 : -1;
}

int tu_abort(void)
{
	fprintf(stderr, "test setup failed: %s\n", CU_get_error_msg());
	CU_cleanup_registry();
	return 2;
}

int tu_run(void)
{
	unsigned int failures;
	CU_ErrorCode err;

	CU_basic_set_mode(CU_BRM_VERBOSE);
	err = CU_basic_run_tests();
	failures = CU_get_number_of_failures();
	/* A suite whose init failed counts as a failure too. */
	if (CU_get_run_summary()->nSuitesFailed)
		failures++;
	CU_cleanup_registry();
	if (err != CUE_SUCCESS || failures)
		return 1;
	/* CTest passes a unit test on this line, not on its exit status: a
	 * test that ends the process early (a plugin that calls exit(0))
	 * must not pass. */
	printf("%s\n", TU_ALL_RAN);
	return 0;
}

char *tu_mkdtemp(void)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (!base || !*base)
		base = "/tmp";
	if (asprintf(&path, "%s/supkit-test.XXXXXX", base) < 0)
		return NULL;
	if (!mkdtemp(path)) {
		free(path);
		return NULL;
	}
	return path;
}

char *tu_path(const char *dir, const char *name)
{
	char *path;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		abort();
	return path;
}

static int mkdir_parents(const char *path)
{
	char *copy = strdup(path);
	char *p;

	if (!copy)
		return -1;
	for (p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
			free(copy);
			return -1;
		}
		*p = '/';
	}
	free(copy);
	return 0;
}

int tu_write_file(const char *path, const void *data, size_t len)
{
	const char *p = data;
	int fd;

	if (mkdir_parents(path))
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return close(fd);
}

int tu_write_str(const char *path, const char *s)
{
	return tu_write_file(path, s, strlen(s));
}

char *tu_read_file(const char *path, size_t *len)
{
	size_t cap = 4096, used = 0;
	char *buf = NULL, *nbuf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t n;

		if (!buf || used + 1 >= cap) {
			cap *= 2;
			nbuf = realloc(buf, cap);
			if (!nbuf)
				goto fail;
			buf = nbuf;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	buf[used] = '\0';
	if (len)
		*len = used;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path) == 0 ? 0 : -1;
	return unlink(path) == 0 ? 0 : -1;
}

int tu_rm_rf(const char *path)
{
	if (!tu_exists(path))
		return 0;
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

bool tu_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

void tu_give_away(const char *path)
{
	CU_ASSERT_EQUAL_FATAL(lchown(path, 4242, 4242), 0);
}

void tu_plant(const char *target, const char *path)
{
	CU_ASSERT_EQUAL_FATAL(symlink(target, path), 0);
	tu_give_away(path);
}

int tu_count_entries(const char *dir)
{
	struct dirent *de;
	int n = 0;
	DIR *dp;

	dp = opendir(dir);
	if (!dp)
		return -1;
	while ((de = readdir(dp)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(dp);
	return n;
}

static void report(bool ok, unsigned int line, const char *file,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void report(bool ok, unsigned int line, const char *file,
		   const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	/* CUnit copies the condition text into its failure record. */
	CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, line,
				text ? text : fmt, file, "", CU_FALSE);
	free(text);
}

void tu_assert_diag(const struct sk_problems *d, const char *const *msgs,
		    const char *file, unsigned int line)
{
	size_t i, n = 0;

	while (msgs[n])
		n++;
	report(!d->oom, line, file, "diag lost messages (oom)");
	report(d->count == n, line, file, "diag has %zu messages, expected %zu",
	       d->count, n);
	for (i = 0; i < d->count || i < n; i++) {
		const char *got = i < d->count ? d->items[i].msg : "(none)";
		const char *want = i < n ? msgs[i] : "(none)";

		report(!strcmp(got, want), line, file,
		       "diag[%zu] is \"%s\", expected \"%s\"", i, got, want);
	}
}

int tu_config_load(struct sk_config *c, const char *path, const char *root,
		   const char *product, struct sk_problems *d)
{
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int ret = sk_config_load(c, path, root, fd, product, d);

	if (fd >= 0)
		close(fd);
	return ret;
}

int tu_trust_open(struct sk_trust *t, const struct sk_config *c,
		  const char *root, const char *keyring_override,
		  struct sk_problems *d)
{
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int ret = sk_trust_open(t, c, root, fd, keyring_override, d);

	if (fd >= 0)
		close(fd);
	return ret;
}
