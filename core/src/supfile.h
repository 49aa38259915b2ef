/* SPDX-License-Identifier: MIT */
/*
 * supfile.h - reading a SUP file: manifest, payload verification, payload
 * streams. libarchive reads through pread() with a private offset, so any
 * number of readers (and forked children) can share the one descriptor.
 */
#ifndef SK_SUPFILE_H
#define SK_SUPFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "hash.h"
#include "manifest.h"

struct sk_supfile {
	int fd;
	char *path; /* as given; used in messages */
	unsigned long long file_size;
	/* SHA-256 of the whole file, set by a complete verification pass. */
	char sha256[SK_SHA256_HEX_LEN + 1];
	bool has_signature; /* a manifest.sig entry is present */
	bool manifest_ok;   /* the manifest parsed and validated */
	bool verified;	    /* every payload present, sizes and hashes ok */
	struct sk_manifest manifest;
	/* rank[i]: position of payload i in first-use order. */
	size_t *rank;
	const struct sk_limits *lim;
};

/*
 * Open path and read the whole archive once: the manifest (parsed and
 * validated), then every payload entry, checked against the manifest and
 * hashed (lim NULL: the default limits). Every problem goes to d (class PACKAGE, SYSTEM for I/O errors).
 * Returns 0 when the package is sound (f->verified), -1 otherwise; f is
 * always initialised and must be closed with sk_supfile_close().
 */
int sk_supfile_open(struct sk_supfile *f, const char *path,
		    const struct sk_limits *lim, struct sk_diag *d);
void sk_supfile_close(struct sk_supfile *f);

struct sk_payload_stream;

/*
 * Stream payload i of a verified file. Returns 0 or -1 with a malloc'd
 * message in *err.
 */
int sk_payload_stream_open(const struct sk_supfile *f, size_t i,
			   struct sk_payload_stream **out, char **err);
/*
 * Read up to len (> 0) bytes: returns the count, 0 at the end of a payload whose
 * size and SHA-256 matched the manifest, or -1 (with *err malloc'd) on a
 * read error or when the data does not match. After -1 the stream only
 * returns -1.
 */
int64_t sk_payload_stream_read(struct sk_payload_stream *s, void *buf,
			       size_t len, char **err);
void sk_payload_stream_close(struct sk_payload_stream *s);

#endif
