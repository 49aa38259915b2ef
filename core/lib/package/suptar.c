/* SPDX-License-Identifier: MIT */
/* suptar.c - the SUP archive writer: fixed headers, atomic output. */
#include "package/suptar.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

/* 9999-12-31T23:59:59Z: a larger SOURCE_DATE_EPOCH is not a date. */
#define MAX_EPOCH 253402300799ULL

time_t sk_suptar_mtime(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	unsigned long long v;

	if (s && sk_parse_u64(s, &v) && v <= MAX_EPOCH)
		return (time_t)v;
	return 0;
}

static int archive_fail(struct sk_suptar *w)
{
	const char *msg = archive_error_string(w->a);

	sk_problems_add(w->d, SK_PROBLEM_SYSTEM, "cannot write '%s': %s",
			w->path, msg ? msg : "archive error");
	return -1;
}

int sk_suptar_open(struct sk_suptar *w, const char *path, struct sk_problems *d)
{
	int r;

	memset(w, 0, sizeof(*w));
	w->path = path;
	w->d = d;
	w->mtime = sk_suptar_mtime();
	r = sk_atomic_open(&w->out, path, 0644);
	if (r) {
		if (r == -ENOMEM)
			sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		else if (r == -EISDIR)
			sk_problems_add(d, SK_PROBLEM_SYSTEM,
					"cannot write '%s': %s", path,
					strerror(EISDIR));
		else
			sk_problems_add(
				d, SK_PROBLEM_SYSTEM,
				"cannot create a temporary file in '%s': %s",
				w->out.dir ? w->out.dir : ".", strerror(-r));
		return -1;
	}
	w->a = archive_write_new();
	if (!w->a) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		return -1;
	}
	/* No padding of the last block: the same bytes whatever the output
	 * is (libarchive would pad for a device). */
	if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(w->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(w->a, w->out.fd) != ARCHIVE_OK)
		return archive_fail(w);
	return 0;
}

int sk_suptar_entry(struct sk_suptar *w, const char *name,
		    unsigned long long size)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	if (!e) {
		sk_problems_add(w->d, SK_PROBLEM_SYSTEM, "out of memory");
		return -1;
	}
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_mtime(e, w->mtime, 0);
	r = archive_write_header(w->a, e);
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : archive_fail(w);
}

int sk_suptar_write(struct sk_suptar *w, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		la_ssize_t n = archive_write_data(w->a, p, len);

		if (n <= 0)
			return archive_fail(w);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int sk_suptar_commit(struct sk_suptar *w)
{
	int r;

	if (archive_write_close(w->a) != ARCHIVE_OK)
		return archive_fail(w);
	r = sk_atomic_commit(&w->out);
	if (r && w->out.tmp) {
		sk_problems_add(w->d, SK_PROBLEM_SYSTEM,
				"cannot write '%s': %s", w->path, strerror(-r));
		return -1;
	}
	if (r) {
		/* Renamed but not durable, and not durable is not done. */
		sk_problems_add(w->d, SK_PROBLEM_SYSTEM,
				"cannot sync directory '%s': %s", w->out.dir,
				strerror(-r));
		unlink(w->path);
		return -1;
	}
	return 0;
}

void sk_suptar_release(struct sk_suptar *w)
{
	if (w->a)
		archive_write_free(w->a);
	/* A zeroed writer (never opened) holds nothing, no descriptor 0. */
	if (w->path)
		sk_atomic_release(&w->out);
	memset(w, 0, sizeof(*w));
}
