/* SPDX-License-Identifier: MIT */
/* supfile.c - the SUP reader (libarchive over pread). */
#include "package/supfile.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/hasher.h"
#include "base/meter.h"
#include "base/util.h"
#include "package/filehash.h"
#include "verify/trust.h"

#define SK_READ_BLOCK (64 * 1024)
/* The signature entry is small; anything larger is not one. */
#define SK_SIGNATURE_MAX SK_SIGNATURE_MAX_BYTES
/* No entry header is waiting to be handled (a libarchive status never
 * goes below ARCHIVE_FATAL). */
#define NO_PENDING (ARCHIVE_FATAL - 1)
/* libarchive's code for an error without an errno (ARCHIVE_ERRNO_MISC,
 * which only its private header names). */
#define ERRNO_MISC (-1)

/* libarchive's view of the file: pread at a private offset. */
struct rd {
	int fd;
	off_t off;
	off_t size; /* of the file, or 0: unknown (not clamped) */
	struct sk_sha256 *raw; /* hash of the raw bytes, or NULL */
	unsigned char buf[SK_READ_BLOCK];
};

static la_ssize_t rd_read(struct archive *a, void *ud, const void **out)
{
	struct rd *r = ud;
	ssize_t n;

	do {
		n = pread(r->fd, r->buf, sizeof(r->buf), r->off);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "read error");
		return -1;
	}
	if (r->raw)
		sk_sha256_update(r->raw, r->buf, (size_t)n);
	r->off += n;
	*out = r->buf;
	return n;
}

/* Skipping is only offered when raw bytes are not being hashed. */
static la_int64_t rd_skip(struct archive *a, void *ud, la_int64_t request)
{
	struct rd *r = ud;

	(void)a;
	if (request < 0)
		return 0;
	/* Never past the end: libarchive then reads what is missing, and
	 * reports a truncated archive. */
	if (r->size > 0 && request > r->size - r->off)
		request = r->size > r->off ? r->size - r->off : 0;
	r->off += request;
	return request;
}

/* A tar reader of uncompressed data from read_cb (and skip_cb, when not
 * NULL) with ud; NULL when out of memory, else the caller reads any error
 * from it. Compression is handled once, by the decompressor below. */
static struct archive *tar_reader_new(void *ud, archive_read_callback *read_cb,
				      archive_skip_callback *skip_cb)
{
	struct archive *a = archive_read_new();

	if (!a)
		return NULL;
	archive_read_support_filter_none(a);
	archive_read_support_format_tar(a);
	if (archive_read_set_callback_data(a, ud) == ARCHIVE_OK &&
	    archive_read_set_read_callback(a, read_cb) == ARCHIVE_OK &&
	    (!skip_cb ||
	     archive_read_set_skip_callback(a, skip_cb) == ARCHIVE_OK))
		archive_read_open1(a);
	return a;
}

static struct archive *reader_new(struct rd *r, bool allow_skip)
{
	return tar_reader_new(r, rd_read, allow_skip ? rd_skip : NULL);
}

/* The whole file through the decompression filters, as one raw stream;
 * archive_filter_code(z, 0) says which filter applied (none: -1 after a
 * failed open, or ARCHIVE_FILTER_NONE). NULL when out of memory. */
static struct archive *decompressor_new(struct rd *r)
{
	struct archive *z = archive_read_new();

	if (!z)
		return NULL;
	archive_read_support_filter_none(z);
	archive_read_support_filter_gzip(z);
	archive_read_support_filter_xz(z);
	archive_read_support_filter_zstd(z);
	archive_read_support_format_raw(z);
	if (archive_read_set_callback_data(z, r) == ARCHIVE_OK &&
	    archive_read_set_read_callback(z, rd_read) == ARCHIVE_OK)
		archive_read_open1(z);
	return z;
}

/*
 * The spool: the decompressed stream of a compressed file, handed to the
 * tar reader of the verification pass and written on the way into an
 * unnamed file, which payload streams read afterwards. One forward pass
 * over the file, however many payloads it has.
 */
struct spool {
	struct archive *z;	  /* the decompressor */
	const char *path;	  /* the package, for messages */
	char *dir;		  /* where the copy is */
	int fd;			  /* the copy; -1 when none is kept */
	char *why;		  /* why no copy could be kept, or NULL */
	unsigned long long total; /* bytes handed to the tar reader */
	bool started;		  /* the raw entry's header was read */
	bool eof;
};

/* Stop keeping the copy (its space is freed at once), for the reason why
 * (malloc'd; NULL: out of memory). The first reason stays. */
static void spool_drop(struct spool *s, char *why)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (!s->why)
		s->why = why ? why : sk_asprintf("out of memory");
	else
		free(why);
}

static la_ssize_t spool_read(struct archive *a, void *ud, const void **out)
{
	struct spool *s = ud;
	const void *p = NULL;
	size_t n = 0;
	la_int64_t off = 0;
	int r, err;

	while (!s->eof && n == 0) {
		if (!s->started) {
			struct archive_entry *e;

			r = archive_read_next_header(s->z, &e);
			s->started = true;
		} else {
			r = archive_read_data_block(s->z, &p, &n, &off);
		}
		if (r == ARCHIVE_EOF) {
			s->eof = true;
			n = 0;
		} else if (r < ARCHIVE_WARN) {
			err = archive_errno(s->z);
			archive_set_error(a, err > 0 ? err : ERRNO_MISC,
					  "%s", archive_error_string(s->z) ?
					  archive_error_string(s->z) :
					  "decompression failed");
			return -1;
		} else if (n && (off < 0 ||
				 (unsigned long long)off != s->total)) {
			archive_set_error(a, ERRNO_MISC,
					  "decompressed data out of sequence");
			return -1;
		}
	}
	if (n == 0)
		return 0;
	if (s->fd >= 0) {
		err = sk_write_all(s->fd, p, n);
		if (err)
			spool_drop(s, sk_asprintf("cannot decompress '%s' into '%s': %s",
						  s->path, s->dir,
						  strerror(-err)));
	}
	s->total += n;
	*out = p;
	return (la_ssize_t)n;
}

/* dir's parent, in place ("/a/b" -> "/a", "a" -> "."); false when it
 * has none. */
static bool to_parent(char *dir)
{
	size_t n = strlen(dir);
	char *slash;

	while (n > 1 && dir[n - 1] == '/')
		dir[--n] = '\0';
	slash = strrchr(dir, '/');
	if (!slash) {
		if (n == 0 || strcmp(dir, ".") == 0)
			return false;
		dir[0] = '.';
		dir[1] = '\0';
		return true;
	}
	if (slash == dir) {
		if (dir[1] == '\0')
			return false;
		dir[1] = '\0';
		return true;
	}
	while (slash > dir + 1 && slash[-1] == '/')
		slash--;
	*slash = '\0';
	return true;
}

/* An unnamed file in dir, open for reading and writing, or -1 (errno). */
static int unnamed_file(const char *dir)
{
	char *name;
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600), err;

	/* File systems without O_TMPFILE: a private name, at once removed. */
	if (fd >= 0 ||
	    (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	name = sk_path_join(dir, ".sup-spool-XXXXXX");
	if (!name) {
		errno = ENOMEM;
		return -1;
	}
	fd = mkostemp(name, O_CLOEXEC);
	if (fd >= 0 && unlink(name) != 0) {
		err = errno;
		close(fd);
		fd = -1;
		errno = err;
	}
	free(name);
	return fd;
}

/* The copy's file in dir (NULL: $TMPDIR or /tmp), or in the nearest
 * existing parent of a dir not made yet (the installer's state directory
 * before the first install). Failure is kept in s->why. */
static void spool_create(struct spool *s, const char *dir)
{
	const char *tmp = secure_getenv("TMPDIR");

	if (!dir)
		dir = tmp && *tmp ? tmp : "/tmp";
	s->dir = strdup(dir);
	if (!s->dir) {
		spool_drop(s, NULL);
		return;
	}
	for (;;) {
		s->fd = unnamed_file(s->dir);
		if (s->fd >= 0 || errno != ENOENT || !to_parent(s->dir))
			break;
	}
	if (s->fd < 0)
		spool_drop(s, sk_asprintf("cannot decompress '%s': cannot create a temporary file in '%s': %s",
					  s->path, s->dir, strerror(errno)));
}

/*
 * Once the manifest says how large the payloads are: is there room for
 * them? Their entries take at least a header block each and their data
 * in 512-byte blocks; what the tar reader read ahead is on disk already.
 * When the free space cannot be known, a write error will tell.
 */
static void spool_check_room(struct spool *s, struct archive *a,
			     const struct sk_manifest *m)
{
	unsigned long long need = 1024, ahead = 0, avail;
	la_int64_t used = archive_filter_bytes(a, 0);
	struct statvfs sv;

	if (s->fd < 0)
		return;
	/* No overflow: the manifest caps the sum at 64 GiB. */
	for (size_t i = 0; i < m->n_payloads; i++)
		need += 512 + ((m->payloads[i].size + 511) & ~511ull);
	if (used >= 0 && (unsigned long long)used < s->total)
		ahead = s->total - (unsigned long long)used;
	need -= ahead < need ? ahead : need;
	if (fstatvfs(s->fd, &sv) != 0)
		return;
	avail = (unsigned long long)sv.f_bavail * sv.f_frsize;
	if (need > avail)
		spool_drop(s, sk_asprintf("not enough space in '%s' to decompress '%s': its payloads need %llu bytes, %llu are free",
					  s->dir, s->path, need, avail));
}

static void spool_release(struct spool *s)
{
	if (s->z)
		archive_read_free(s->z);
	if (s->fd >= 0)
		close(s->fd);
	free(s->dir);
	free(s->why);
}

static bool entry_is_plain_file(struct archive_entry *e)
{
	return archive_entry_filetype(e) == AE_IFREG &&
	       !archive_entry_hardlink(e) && !archive_entry_symlink(e);
}

/* Positions of payloads in the order actions first use them. */
static int compute_rank(struct sk_supfile *f)
{
	const struct sk_manifest *m = &f->manifest;
	size_t next = 0;

	f->rank = malloc((m->n_payloads ? m->n_payloads : 1) *
			 sizeof(*f->rank));
	if (!f->rank)
		return -1;
	for (size_t i = 0; i < m->n_payloads; i++)
		f->rank[i] = SIZE_MAX;
	for (size_t a = 0; a < m->n_actions; a++)
		for (size_t k = 0; k < m->actions[a].n_payloads; k++) {
			size_t p = m->actions[a].payloads[k];

			if (f->rank[p] == SIZE_MAX)
				f->rank[p] = next++;
		}
	return 0;
}

/* Read manifest.json, the first entry, into f->manifest_text. */
static int read_manifest(struct sk_supfile *f, struct archive *a,
			 struct sk_problems *d)
{
	struct archive_entry *e;
	const char *name;
	la_int64_t size;
	char *text = NULL;
	size_t got = 0;
	int r;

	r = archive_read_next_header(a, &e);
	if (r == ARCHIVE_EOF) {
		sk_problems_add(d, SK_PROBLEM_PACKAGE,
				"%s: empty archive, expected %s first", f->path,
				SK_MANIFEST_NAME);
		return -1;
	}
	if (r < ARCHIVE_WARN) {
		sk_problems_add(d, SK_PROBLEM_PACKAGE, "%s: not a SUP file: %s",
				f->path, archive_error_string(a));
		return -1;
	}
	name = archive_entry_pathname(e);
	if (!name || strcmp(name, SK_MANIFEST_NAME) != 0) {
		char shown[SK_SHOW_MAX];

		sk_problems_add(d, SK_PROBLEM_PACKAGE,
				"%s: first entry is '%s', expected %s", f->path,
				name ? sk_show(name, strlen(name), shown)
				     : "(unreadable name)",
				SK_MANIFEST_NAME);
		return -1;
	}
	if (!entry_is_plain_file(e)) {
		sk_problems_add(d, SK_PROBLEM_PACKAGE,
				"%s: %s is not a regular file", f->path,
				SK_MANIFEST_NAME);
		return -1;
	}
	size = archive_entry_size(e);
	if (size < 0 || (unsigned long long)size > f->lim->manifest_bytes) {
		sk_problems_add(d, SK_PROBLEM_PACKAGE,
				"%s: %s is %lld bytes, the limit is %zu",
				f->path, SK_MANIFEST_NAME, (long long)size,
				f->lim->manifest_bytes);
		return -1;
	}
	text = malloc((size_t)size + 1);
	if (!text) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		return -1;
	}
	while (got < (size_t)size) {
		la_ssize_t n = archive_read_data(a, text + got, (size_t)size - got);

		if (n < 0) {
			sk_problems_add(d, SK_PROBLEM_PACKAGE,
					"%s: cannot read %s: %s", f->path,
					SK_MANIFEST_NAME,
					archive_error_string(a));
			free(text);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != (size_t)size) {
		sk_problems_add(d, SK_PROBLEM_PACKAGE, "%s: %s is truncated",
				f->path, SK_MANIFEST_NAME);
		free(text);
		return -1;
	}
	text[got] = '\0';
	f->manifest_text = text;
	f->manifest_len = got;
	sk_sha256_hex_of(text, got, f->manifest_sha256);
	return 0;
}

/*
 * Entry 2: manifest.sig when it is there, read into f->sig. Otherwise the
 * entry read (a payload, or none at the end) is left for the payload
 * pass: *pending gets its header status.
 */
static int read_signature(struct sk_supfile *f, struct archive *a,
			  struct archive_entry **e, int *pending,
			  struct sk_problems *d)
{
	const char *name;
	la_int64_t size;
	size_t got = 0;
	int r = archive_read_next_header(a, e);

	name = r >= ARCHIVE_WARN ? archive_entry_pathname(*e) : NULL;
	if (!name || strcmp(name, SK_SIGNATURE_NAME) != 0) {
		*pending = r;
		return 0;
	}
	f->has_signature = true;
	*pending = NO_PENDING; /* consumed: read the next header */
	size = archive_entry_size(*e);
	if (!entry_is_plain_file(*e) || size <= 0 ||
	    size > SK_SIGNATURE_MAX) {
		sk_problems_add(d, SK_PROBLEM_PACKAGE,
				"%s: %s is not a regular file of 1 to %d bytes",
				f->path, SK_SIGNATURE_NAME, SK_SIGNATURE_MAX);
		return -1;
	}
	f->sig = malloc((size_t)size);
	if (!f->sig) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		return -1;
	}
	while (got < (size_t)size) {
		la_ssize_t n = archive_read_data(a, f->sig + got,
						 (size_t)size - got);

		if (n < 0) {
			sk_problems_add(d, SK_PROBLEM_PACKAGE,
					"%s: cannot read %s: %s", f->path,
					SK_SIGNATURE_NAME,
					archive_error_string(a));
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != (size_t)size) {
		sk_problems_add(d, SK_PROBLEM_PACKAGE, "%s: %s is truncated",
				f->path, SK_SIGNATURE_NAME);
		return -1;
	}
	f->sig_len = got;
	return 0;
}

/* Check (or, without trust, describe) the signature; false when the
 * trust policy refuses the package. */
static bool check_signature(struct sk_supfile *f, const struct sk_trust *trust,
			    unsigned int flags, struct sk_problems *d)
{
	bool quiet = flags & SK_SUPFILE_QUIET;

	if (!trust && (flags & SK_SUPFILE_NO_SIG))
		return true;
	if (!trust) {
		if (!f->sig) {
			f->sig_result.status = SK_SIG_UNSIGNED;
			return true;
		}
		/* Not checked against anything, but a signature that is not
		 * even one makes the package malformed. */
		if (sk_signature_describe(f->sig, f->sig_len,
					  &f->sig_result) == 0)
			return true;
		sk_problems_add(d, SK_PROBLEM_PACKAGE, "'%s': %s", f->path,
				f->sig_result.reason ? f->sig_result.reason
						     : "malformed signature");
		return false;
	}
	sk_signature_verify(trust->keyring, f->manifest_text, f->manifest_len,
			    f->sig, f->sig_len, &trust->params,
			    &f->sig_result);
	f->trusted = sk_trust_accepts(trust, &f->sig_result, f->path, quiet, d);
	return f->trusted;
}

static int parse_manifest(struct sk_supfile *f, struct sk_problems *d)
{
	if (sk_manifest_parse(&f->manifest, f->manifest_text, f->manifest_len,
			      f->lim, 0, d) != 0)
		return -1;
	f->manifest_ok = true;
	if (compute_rank(f) != 0) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		return -1;
	}
	return 0;
}

/* Does the entry's size in its header match the manifest? Reported if
 * not. */
static bool entry_size_ok(const struct sk_supfile *f,
			  const struct sk_payload_decl *p, la_int64_t hdr_size,
			  struct sk_problems *d)
{
	if (hdr_size >= 0 && (unsigned long long)hdr_size == p->size)
		return true;
	sk_problems_add(
		d, SK_PROBLEM_PACKAGE,
		"%s: payload '%s': archive entry is %lld bytes, the manifest says %llu",
		f->path, p->name, (long long)hdr_size, p->size);
	return false;
}

/* Read and hash one payload entry; report mismatches. */
static void verify_entry(struct sk_supfile *f, struct archive *a,
			 const struct sk_payload_decl *p, la_int64_t hdr_size,
			 struct sk_sha256 *h, unsigned char *buf,
			 struct sk_problems *d, bool *ok)
{
	unsigned long long total = 0;
	char hex[SK_SHA256_HEX_LEN + 1];

	if (!entry_size_ok(f, p, hdr_size, d)) {
		*ok = false;
		return;
	}
	sk_sha256_reset(h);
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, SK_READ_BLOCK);

		if (n < 0) {
			sk_problems_add(d, SK_PROBLEM_PACKAGE,
					"%s: payload '%s': %s", f->path,
					p->name, archive_error_string(a));
			*ok = false;
			return;
		}
		if (n == 0)
			break;
		sk_sha256_update(h, buf, (size_t)n);
		total += (unsigned long long)n;
		sk_meter_add((uint64_t)n);
	}
	if (total != p->size) {
		sk_problems_add(
			d, SK_PROBLEM_PACKAGE,
			"%s: payload '%s': %llu bytes of data, the manifest says %llu",
			f->path, p->name, total, p->size);
		*ok = false;
		return;
	}
	sk_sha256_final_hex(h, hex);
	if (strcmp(hex, p->sha256) != 0) {
		sk_problems_add(
			d, SK_PROBLEM_PACKAGE,
			"%s: payload '%s': sha256 mismatch: the manifest says %s, the data hashes to %s",
			f->path, p->name, p->sha256, hex);
		*ok = false;
	}
}

/* A deferred payload: only its size here; its data is skipped (the tar
 * reader seeks over it, as far as the file goes) and verified when it is
 * staged. */
static void check_deferred(struct sk_supfile *f, struct archive *a,
			   const struct sk_payload_decl *p, la_int64_t hdr_size,
			   struct sk_problems *d, bool *ok)
{
	if (!entry_size_ok(f, p, hdr_size, d)) {
		*ok = false;
		return;
	}
	if (archive_read_data_skip(a) != ARCHIVE_OK) {
		sk_problems_add(d, SK_PROBLEM_PACKAGE, "%s: payload '%s': %s",
				f->path, p->name, archive_error_string(a));
		*ok = false;
	}
}

/* Which payloads the caller defers (none when it defers none). -1 when
 * out of memory. */
static int mark_deferred(struct sk_supfile *f, sk_supfile_defer_fn defer,
			 void *data)
{
	const struct sk_manifest *m = &f->manifest;
	bool any = false;

	if (!defer || !m->n_payloads)
		return 0;
	f->deferred = calloc(m->n_payloads, sizeof(*f->deferred));
	if (!f->deferred)
		return -1;
	for (size_t i = 0; i < m->n_payloads; i++)
		any |= f->deferred[i] = defer(data, m, i);
	if (!any) {
		free(f->deferred);
		f->deferred = NULL;
	}
	return 0;
}

static int verify_payloads(struct sk_supfile *f, struct archive *a,
			   struct archive_entry *e, int pending,
			   struct sk_problems *d)
{
	const struct sk_manifest *m = &f->manifest;
	struct sk_sha256 *h = sk_sha256_new();
	unsigned char *buf = malloc(SK_READ_BLOCK);
	bool *seen = calloc(m->n_payloads ? m->n_payloads : 1, sizeof(*seen));
	size_t last_rank = 0, entry_no = f->has_signature ? 2 : 1;
	bool any = false, ok = true;
	uint64_t reads = 0;
	int r;

	/* What this pass reads, for progress reports (base/meter.h). */
	for (size_t i = 0; i < m->n_payloads; i++)
		if (!f->deferred || !f->deferred[i])
			reads += m->payloads[i].size;
	sk_meter_expect(reads);
	f->offset = calloc(m->n_payloads ? m->n_payloads : 1,
			   sizeof(*f->offset));
	if (!h || !buf || !seen || !f->offset) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		ok = false;
		goto out;
	}
	for (;;) {
		const char *name;
		ssize_t idx;

		if (pending >= ARCHIVE_FATAL) {
			r = pending; /* entry 2, already read */
			pending = NO_PENDING;
		} else {
			r = archive_read_next_header(a, &e);
		}
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			sk_problems_add(d, SK_PROBLEM_PACKAGE,
					"%s: archive entry %zu: %s", f->path,
					entry_no + 1, archive_error_string(a));
			ok = false;
			goto out;
		}
		entry_no++;
		name = archive_entry_pathname(e);
		if (!name) {
			sk_problems_add(
				d, SK_PROBLEM_PACKAGE,
				"%s: archive entry %zu has an unreadable name",
				f->path, entry_no);
			ok = false;
			continue;
		}
		if (strcmp(name, SK_SIGNATURE_NAME) == 0) {
			sk_problems_add(
				d, SK_PROBLEM_PACKAGE,
				"%s: %s is archive entry %zu; it may only be entry 2",
				f->path, SK_SIGNATURE_NAME, entry_no);
			ok = false;
			continue;
		}
		idx = sk_manifest_find_payload(m, name);
		if (idx < 0) {
			char shown[SK_SHOW_MAX];

			sk_problems_add(
				d, SK_PROBLEM_PACKAGE,
				"%s: archive entry '%s' is not a payload declared in the manifest",
				f->path, sk_show(name, strlen(name), shown));
			ok = false;
			continue;
		}
		if (!entry_is_plain_file(e)) {
			sk_problems_add(
				d, SK_PROBLEM_PACKAGE,
				"%s: payload '%s' is not a regular file (links, devices and directories are refused)",
				f->path, name);
			ok = false;
			continue;
		}
		if (seen[idx]) {
			sk_problems_add(
				d, SK_PROBLEM_PACKAGE,
				"%s: payload '%s' appears twice in the archive",
				f->path, name);
			ok = false;
			continue;
		}
		seen[idx] = true;
		/* Payload streams start reading here. */
		f->offset[idx] =
			(unsigned long long)archive_read_header_position(a);
		if (any && f->rank[idx] < last_rank) {
			sk_problems_add(
				d, SK_PROBLEM_PACKAGE,
				"%s: payload '%s' is out of order: payloads must follow the order in which actions first use them",
				f->path, name);
			ok = false;
		}
		any = true;
		last_rank = f->rank[idx];
		if (f->deferred && f->deferred[idx])
			check_deferred(f, a, &m->payloads[idx],
				       archive_entry_size(e), d, &ok);
		else
			verify_entry(f, a, &m->payloads[idx],
				     archive_entry_size(e), h, buf, d, &ok);
	}
	for (size_t i = 0; i < m->n_payloads; i++) {
		if (!seen[i]) {
			sk_problems_add(
				d, SK_PROBLEM_PACKAGE,
				"%s: payload '%s' is missing from the archive",
				f->path, m->payloads[i].name);
			ok = false;
		}
	}
out:
	sk_sha256_free(h);
	free(buf);
	free(seen);
	return ok ? 0 : -1;
}

/* True if a byte of fd from off to its end is not zero. */
static bool junk_after(int fd, unsigned long long off, unsigned char *buf,
		       size_t len)
{
	for (;;) {
		ssize_t n = pread(fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false; /* the hash pass reports read errors */
		for (ssize_t i = 0; i < n; i++)
			if (buf[i])
				return true;
		off += (unsigned long long)n;
	}
}

/* Hash what libarchive did not need to read (end-of-archive padding). */
static int hash_rest(struct rd *r)
{
	for (;;) {
		ssize_t n = pread(r->fd, r->buf, sizeof(r->buf), r->off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		sk_sha256_update(r->raw, r->buf, (size_t)n);
		r->off += n;
	}
}

void sk_supfile_init(struct sk_supfile *f, const char *path)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->path = strdup(path);
}

/*
 * How the file is read: a compressed file through the decompressor, the
 * spool's tee and a tar reader (*a), its copy kept unless no payload will
 * be streamed; a plain file by a tar reader (*a) from the start again
 * (what the detection read is read and hashed again). -1 when out of
 * memory.
 */
static int reader_for(struct sk_supfile *f, struct rd *r, struct spool *sp,
		      const char *spool_dir, unsigned int flags, bool hash_apart,
		      struct archive **a)
{
	sp->z = decompressor_new(r);
	if (!sp->z)
		return -1;
	if (archive_filter_code(sp->z, 0) > ARCHIVE_FILTER_NONE) {
		f->compressed = true;
		if (!(flags & SK_SUPFILE_NO_STREAMS))
			spool_create(sp, spool_dir);
		*a = tar_reader_new(sp, spool_read, NULL);
		return *a ? 0 : -1;
	}
	archive_read_free(sp->z);
	sp->z = NULL;
	r->off = 0;
	sk_sha256_reset(r->raw);
	if (hash_apart) {
		/* The whole file is hashed by a child process: this pass
		 * may seek over the data of deferred payloads. */
		f->filehash = sk_filehash_start(f->fd, f->file_size);
		if (!f->filehash)
			return -1;
		sk_sha256_free(r->raw);
		r->raw = NULL;
		r->size = (off_t)f->file_size;
		*a = reader_new(r, true);
		return *a ? 0 : -1;
	}
	*a = reader_new(r, false);
	return *a ? 0 : -1;
}

int sk_supfile_open(struct sk_supfile *f, const char *path,
		    const struct sk_limits *lim, const struct sk_trust *trust,
		    unsigned int flags, const char *spool_dir,
		    struct sk_problems *d)
{
	return sk_supfile_open_deferred(f, path, lim, trust, flags, spool_dir,
					NULL, NULL, d);
}

int sk_supfile_open_deferred(struct sk_supfile *f, const char *path,
			     const struct sk_limits *lim,
			     const struct sk_trust *trust, unsigned int flags,
			     const char *spool_dir, sk_supfile_defer_fn defer,
			     void *defer_data, struct sk_problems *d)
{
	static struct sk_limits defaults;
	struct spool sp = { .path = path, .fd = -1 };
	struct rd *r = NULL;
	struct archive *a = NULL;
	struct archive_entry *e = NULL;
	struct stat st;
	int ret = -1, err, pending = NO_PENDING;

	if (!lim) {
		sk_limits_default(&defaults);
		lim = &defaults;
	}
	sk_supfile_init(f, path);
	f->lim = lim;
	if (!f->path) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		return -1;
	}
	/* Never blocks (a FIFO), and only a regular file is read on. */
	f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (f->fd < 0) {
		sk_problems_add(d, SK_PROBLEM_PACKAGE, "cannot open '%s': %s",
				path, strerror(errno));
		return -1;
	}
	if (fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		sk_problems_add(d, SK_PROBLEM_PACKAGE,
				"'%s' is not a regular file", path);
		return -1;
	}
	f->file_size = (unsigned long long)st.st_size;

	r = calloc(1, sizeof(*r));
	if (!r || !(r->raw = sk_sha256_new())) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		goto out;
	}
	r->fd = f->fd;
	if (reader_for(f, r, &sp, spool_dir, flags, defer != NULL, &a) != 0) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		goto out;
	}
	if (read_manifest(f, a, d) != 0 ||
	    read_signature(f, a, &e, &pending, d) != 0)
		goto out;
	/* Nothing of a package the trust policy refuses is parsed. */
	if (!check_signature(f, trust, flags, d) &&
	    !(flags & SK_SUPFILE_READ_ON))
		goto out;
	if (parse_manifest(f, d) != 0)
		goto out;
	/* A compressed file is read forward once, whatever is deferred. */
	if (!f->compressed && f->filehash &&
	    mark_deferred(f, defer, defer_data) != 0) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		goto out;
	}
	spool_check_room(&sp, a, &f->manifest);
	if (verify_payloads(f, a, e, pending, d) != 0)
		goto out;
	/* Another tool would read data after the end of the archive as
	 * more entries: nothing may hide there. The end is where the tar
	 * reader stopped; in a compressed file, that is inside the
	 * decompressed stream, which ends with it. */
	if (!f->compressed &&
	    junk_after(f->fd, (unsigned long long)archive_filter_bytes(a, 0),
		       r->buf, sizeof(r->buf))) {
		sk_problems_add(d, SK_PROBLEM_PACKAGE,
				"%s: data after the end of the archive",
				f->path);
		goto out;
	}
	if (r->raw) {
		err = hash_rest(r);
		if (err) {
			sk_problems_add(d, SK_PROBLEM_SYSTEM,
					"cannot read '%s': %s", path,
					strerror(-err));
			goto out;
		}
		if ((unsigned long long)r->off != f->file_size) {
			sk_problems_add(d, SK_PROBLEM_PACKAGE,
					"'%s' changed while it was being read",
					path);
			goto out;
		}
		sk_sha256_final_hex(r->raw, f->sha256);
	} else if (!f->deferred && sk_supfile_hash_wait(f, d) != 0) {
		/* Nothing deferred: nothing to hash beside; wait now. */
		goto out;
	}
	f->payloads_ok = true;
	/* Usable only when its signature was accepted too (READ_ON). */
	if (trust && !f->trusted)
		goto out;
	/* A sound package whose copy could not be made: a system problem. */
	if (sp.why) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "%s", sp.why);
		goto out;
	}
	if (sp.fd >= 0) {
		/* From now on payloads come from the copy; the file as
		 * given is not needed any more. */
		close(f->fd);
		f->fd = sp.fd;
		sp.fd = -1;
		f->spooled = true;
	}
	f->verified = true;
	ret = 0;
out:
	if (a)
		archive_read_free(a);
	spool_release(&sp);
	if (r)
		sk_sha256_free(r->raw);
	free(r);
	return ret;
}

int sk_supfile_hash_wait(struct sk_supfile *f, struct sk_problems *d)
{
	int r;

	if (!f->filehash) {
		if (f->sha256[0])
			return 0;
		sk_problems_add(d, SK_PROBLEM_SYSTEM,
				"the SHA-256 of '%s' is not known", f->path);
		return -1;
	}
	r = sk_filehash_wait(f->filehash, f->sha256);
	f->filehash = NULL;
	if (r == -EIO)
		sk_problems_add(d, SK_PROBLEM_PACKAGE,
				"'%s' changed while it was being read",
				f->path);
	else if (r)
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "cannot read '%s': %s",
				f->path, strerror(-r));
	if (r)
		f->sha256[0] = '\0';
	return r ? -1 : 0;
}

void sk_supfile_close(struct sk_supfile *f)
{
	char ignored[SK_SHA256_HEX_LEN + 1];

	/* The hash child shares f->fd: it is waited for first. */
	if (f->filehash)
		sk_filehash_wait(f->filehash, ignored);
	if (f->fd >= 0)
		close(f->fd);
	free(f->deferred);
	free(f->path);
	free(f->manifest_text);
	free(f->sig);
	sk_sig_result_release(&f->sig_result);
	free(f->rank);
	free(f->offset);
	sk_manifest_release(&f->manifest);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

struct sk_payload_stream {
	struct rd rd;
	struct archive *a;
	const struct sk_payload_decl *p;
	struct sk_sha256 *h;
	/* Hashes h beside the reads (NULL: hashed here, in line). */
	struct sk_hasher *q;
	unsigned long long got;
	bool failed;
	bool done;
};

int sk_payload_stream_open(const struct sk_supfile *f, size_t i,
			   struct sk_payload_stream **out, char **err)
{
	struct sk_payload_stream *s;
	struct archive_entry *e;
	const char *want, *name;
	int r;

	*out = NULL;
	*err = NULL;
	if (!f->verified || i >= f->manifest.n_payloads) {
		*err = sk_asprintf("payload %zu is not available", i);
		return -1;
	}
	want = f->manifest.payloads[i].name;
	if (f->compressed && !f->spooled) {
		*err = sk_asprintf("payload '%s' is not available: '%s' is compressed and was opened without payload streams",
				   want, f->path);
		return -1;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->h = sk_sha256_new()))
		goto oom;
	/* The payload's hash overlaps its reads and the caller's writes:
	 * one pass costs its slowest part, not the sum of them. */
	s->q = sk_hasher_start(s->h);
	s->rd.fd = f->fd;
	/* Straight to the entry the verification pass found. */
	s->rd.off = (off_t)f->offset[i];
	s->p = &f->manifest.payloads[i];
	s->a = archive_read_new();
	if (!s->a)
		goto oom;
	/* Read as the verification pass read it: started in the middle of
	 * the archive, format detection would judge this entry's header by
	 * the stricter rules of a first header, and refuse a package that
	 * passed preflight. */
	archive_read_support_filter_none(s->a);
	if (archive_read_set_format(s->a, ARCHIVE_FORMAT_TAR) == ARCHIVE_OK &&
	    archive_read_set_callback_data(s->a, &s->rd) == ARCHIVE_OK &&
	    archive_read_set_read_callback(s->a, rd_read) == ARCHIVE_OK &&
	    archive_read_set_skip_callback(s->a, rd_skip) == ARCHIVE_OK)
		archive_read_open1(s->a);
	r = archive_read_next_header(s->a, &e);
	if (r < ARCHIVE_WARN && r != ARCHIVE_EOF) {
		*err = sk_asprintf("cannot read payload '%s' from '%s': %s",
				   want, f->path, archive_error_string(s->a));
		goto fail;
	}
	name = r == ARCHIVE_EOF ? NULL : archive_entry_pathname(e);
	if (!name || strcmp(name, want) != 0) {
		*err = sk_asprintf("payload '%s' is no longer in '%s'", want,
				   f->path);
		goto fail;
	}
	if (!entry_is_plain_file(e)) {
		*err = sk_asprintf("payload '%s' in '%s' is no longer a regular file",
				   want, f->path);
		goto fail;
	}
	*out = s;
	return 0;
oom:
	*err = sk_asprintf("out of memory");
fail:
	sk_payload_stream_close(s);
	return -1;
}

int64_t sk_payload_stream_read(struct sk_payload_stream *s, void *buf,
			       size_t len, char **err)
{
	la_ssize_t n;
	char hex[SK_SHA256_HEX_LEN + 1];

	*err = NULL;
	if (s->failed) {
		*err = sk_asprintf("payload '%s': read after an error",
				   s->p->name);
		return -1;
	}
	if (s->done)
		return 0;
	if (len == 0) {
		/* 0 means "verified end": never say it before it is true. */
		*err = sk_asprintf("payload '%s': read with an empty buffer",
				   s->p->name);
		return -1;
	}
	n = archive_read_data(s->a, buf, len);
	if (n < 0) {
		*err = sk_asprintf("payload '%s': %s", s->p->name,
				   archive_error_string(s->a));
		goto fail;
	}
	if (n > 0) {
		if ((unsigned long long)n > s->p->size - s->got) {
			*err = sk_asprintf("payload '%s': more data than the %llu bytes the manifest declares",
					   s->p->name, s->p->size);
			goto fail;
		}
		s->got += (unsigned long long)n;
		sk_meter_add((uint64_t)n);
		if (!s->q)
			sk_sha256_update(s->h, buf, (size_t)n);
		else if (sk_hasher_update(s->q, buf, (size_t)n) != 0) {
			*err = sk_asprintf("payload '%s': out of memory",
					   s->p->name);
			goto fail;
		}
		return n;
	}
	sk_hasher_finish(s->q);
	s->q = NULL;
	if (s->got != s->p->size) {
		*err = sk_asprintf("payload '%s': %llu bytes of data, the manifest declares %llu",
				   s->p->name, s->got, s->p->size);
		goto fail;
	}
	sk_sha256_final_hex(s->h, hex);
	if (strcmp(hex, s->p->sha256) != 0) {
		*err = sk_asprintf("payload '%s': sha256 mismatch: the manifest says %s, the data hashes to %s",
				   s->p->name, s->p->sha256, hex);
		goto fail;
	}
	s->done = true;
	return 0;
fail:
	s->failed = true;
	return -1;
}

int sk_payload_verify(const struct sk_supfile *f, size_t i, char **err)
{
	struct sk_payload_stream *s;
	unsigned char *buf = malloc(SK_READ_BLOCK);
	int64_t n = -1;

	*err = NULL;
	if (!buf) {
		*err = sk_asprintf("out of memory");
		return -1;
	}
	if (sk_payload_stream_open(f, i, &s, err) == 0) {
		do
			n = sk_payload_stream_read(s, buf, SK_READ_BLOCK, err);
		while (n > 0);
		sk_payload_stream_close(s);
	}
	free(buf);
	return n == 0 ? 0 : -1;
}

void sk_payload_stream_close(struct sk_payload_stream *s)
{
	if (!s)
		return;
	if (s->a)
		archive_read_free(s->a);
	sk_hasher_finish(s->q);
	sk_sha256_free(s->h);
	free(s);
}
