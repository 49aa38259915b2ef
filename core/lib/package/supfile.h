/* SPDX-License-Identifier: MIT */
/*
 * supfile.h - reading a SUP file: manifest, payload verification, payload
 * streams. libarchive reads through pread() with a private offset, so any
 * number of readers (and forked children) can share the one descriptor.
 *
 * A file compressed as a whole is read forward once: the verification
 * pass decompresses it into a private unnamed file (the spool) while it
 * parses and hashes it, and payload streams then read the spool. So every
 * payload costs its own bytes, never a decompression from the start.
 */
#ifndef SK_SUPFILE_H
#define SK_SUPFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/hash.h"
#include "base/problems.h"
#include "package/manifest.h"
#include "verify/signature.h"

struct sk_trust;
struct sk_filehash;

struct sk_supfile {
	/* The tar the payloads are streamed from: the file itself, or, for a
	 * compressed file that passed verification, the spool (spooled). */
	int fd;
	char *path; /* as given; used in messages */
	unsigned long long file_size; /* of the file as given */
	bool compressed; /* the file is compressed as a whole */
	bool spooled;	 /* fd is the decompressed copy of the file */
	/* SHA-256 of the whole file as given (compressed or not), set by a
	 * complete verification pass. */
	char sha256[SK_SHA256_HEX_LEN + 1];
	bool has_signature; /* a manifest.sig entry is present */
	/* The exact bytes of manifest.json (NUL-terminated, not counted) and
	 * of manifest.sig (NULL when absent); owned. */
	char *manifest_text;
	size_t manifest_len;
	/* SHA-256 of those exact bytes: what the signature was checked over
	 * and what pins every payload. A resume requires the same. */
	char manifest_sha256[SK_SHA256_HEX_LEN + 1];
	unsigned char *sig;
	size_t sig_len;
	/* The signature as checked against a keyring, or only described
	 * (status SK_SIG_NOT_CHECKED) when no trust policy was given. */
	struct sk_sig_result sig_result;
	bool trusted;	    /* the trust policy accepted the package */
	bool manifest_ok;   /* the manifest parsed and validated */
	bool payloads_ok;   /* every payload present, sizes and hashes ok */
	/* payloads_ok, and the trust policy (when given) accepted it: only
	 * then are payloads streamed. */
	bool verified;
	struct sk_manifest manifest;
	/* rank[i]: position of payload i in first-use order. */
	size_t *rank;
	/* offset[i]: where the headers of payload i's entry start in fd. */
	unsigned long long *offset;
	/* deferred[i]: payload i's data was not hashed by the verification
	 * pass (sk_supfile_open_deferred()): whoever streams it verifies
	 * it, and it must be verified before any action runs. NULL when no
	 * payload was deferred. */
	bool *deferred;
	/* The SHA-256 of the whole file, hashed beside the verification
	 * pass when payloads were deferred (sk_supfile_hash_wait()). */
	struct sk_filehash *filehash;
	const struct sk_limits *lim;
};

/* Flags of sk_supfile_open(). */
/* Read on after a signature the trust policy refuses (sup inspect shows
 * everything); without it nothing past the signature is parsed. */
#define SK_SUPFILE_READ_ON 0x1u
/* No warning on stderr for an unsigned package that is allowed. */
#define SK_SUPFILE_QUIET 0x2u
/* Without a trust policy: leave manifest.sig alone, not even parsed (sup
 * sign, which drops it). */
#define SK_SUPFILE_NO_SIG 0x4u
/* No payload will be streamed (sup verify, sup inspect): a compressed
 * file is verified without keeping a decompressed copy. */
#define SK_SUPFILE_NO_STREAMS 0x8u

/*
 * Open path and read the whole archive once: manifest.json, then
 * manifest.sig; the signature is checked against trust before the
 * manifest is parsed (trust NULL: not checked, only described, for tools
 * and for a package whose hash was pinned when it was first accepted);
 * then the manifest is parsed and validated, and every payload entry is
 * checked against it and hashed (lim NULL: the default limits). Every
 * problem goes to d (class PACKAGE, SYSTEM for I/O errors). Returns 0
 * when the package is sound (f->verified, and f->trusted when trust was
 * given), -1 otherwise; f is always initialised and must be closed with
 * sk_supfile_close().
 *
 * A compressed file is decompressed on the way into an unnamed file (mode
 * 0600, gone when the last descriptor closes: nothing to clean up, even
 * after a crash) in spool_dir (NULL: $TMPDIR, else /tmp; a directory that
 * does not exist yet stands for its nearest existing parent). Once the
 * manifest is parsed, the space its payloads need is checked; a copy that
 * cannot be made (no space, a write error) fails the open with a SYSTEM
 * problem, after the rest of the verification, so that the package's own
 * problems are still all reported. Not with SK_SUPFILE_NO_STREAMS.
 */
int sk_supfile_open(struct sk_supfile *f, const char *path,
		    const struct sk_limits *lim, const struct sk_trust *trust,
		    unsigned int flags, const char *spool_dir,
		    struct sk_problems *d);
void sk_supfile_close(struct sk_supfile *f);

/* Whether the verification pass may leave payload i of m to the stage
 * pass (stage.h), which hashes it while it writes it. */
typedef bool (*sk_supfile_defer_fn)(void *data, const struct sk_manifest *m,
				    size_t i);

/*
 * sk_supfile_open(), except that the data of the payloads defer() names
 * is checked for its place, type and size in the archive but not read:
 * f->deferred says which, and each must be verified (streamed to its
 * end, or sk_payload_verify()) before any action runs. The SHA-256 of the
 * whole file is then computed by a child process, beside the rest
 * (package/filehash.c):
 * f->sha256 is set by sk_supfile_hash_wait(), which must be called
 * before it is used. Only for a file that is not compressed (a
 * compressed one is read as sk_supfile_open() reads it).
 */
int sk_supfile_open_deferred(struct sk_supfile *f, const char *path,
			     const struct sk_limits *lim,
			     const struct sk_trust *trust, unsigned int flags,
			     const char *spool_dir, sk_supfile_defer_fn defer,
			     void *defer_data, struct sk_problems *d);
/* Wait for the hash of the whole file (nothing to wait for after
 * sk_supfile_open()) and set f->sha256: 0, or -1 with the problem in d
 * (the file changed size or could not be read). */
int sk_supfile_hash_wait(struct sk_supfile *f, struct sk_problems *d);
/* Read payload i of a verified file to its end: 0 when its size and
 * SHA-256 match the manifest, else -1 and *err (malloc'd). */
int sk_payload_verify(const struct sk_supfile *f, size_t i, char **err);
/* f as a package that was not read at all (no trust policy could be set
 * up): only f->path is set (NULL when out of memory). Close it. */
void sk_supfile_init(struct sk_supfile *f, const char *path);

struct sk_payload_stream;

/*
 * Stream payload i of a verified file (not of a compressed one opened with
 * SK_SUPFILE_NO_STREAMS). Returns 0 or -1 with a malloc'd message in *err.
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
