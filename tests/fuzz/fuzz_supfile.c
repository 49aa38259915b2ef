/* SPDX-License-Identifier: MIT */
/*
 * fuzz_supfile.c - the SUP reader: sk_supfile_open() (tar/pax, gzip, xz,
 * zstd; manifest, signature, payload verification; a compressed file
 * spooled into the process's temporary directory), then every payload of
 * a verified package streamed to its end.
 *
 * Input: a SUP file, written to a file of the process's temporary
 * directory (the reader takes a path). Each input is read twice: with a
 * trust policy (the keyring tests/fuzz/data/keyring.pem, unsigned packages
 * allowed, so that they are read on), its payloads then streamed; and as
 * `sup verify` reads it, without one (the signature only described,
 * SK_SUPFILE_READ_ON) and without streams (SK_SUPFILE_NO_STREAMS).
 *
 * What the reader verified must stream: a payload of a verified package
 * that cannot be read to its verified end means the two passes saw
 * different archives, and is reported as a finding (abort).
 *
 * A third read defers every payload (sk_supfile_open_deferred(), as `sup
 * install` does for payloads that are staged) and then verifies each one
 * (sk_payload_verify()): it must reach the same verdict as the reader
 * that hashes them in its pass, and the same SHA-256 of the file
 * (sk_supfile_hash_wait()); a difference is a finding.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"
#include "base/problems.h"
#include "fuzzutil.h"
#include "package/supfile.h"
#include "verify/trust.h"

static struct sk_trust trust;
static char *sup_path;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char conf[] =
		"[paths]\nstate_dir = /state\n"
		"[trust]\nallow_unsigned = true\nvalidity = off\n";
	const char *tmp = fz_tmpdir();
	char *root = fz_join(tmp, "root"), *conf_path, *keyring, *state;
	struct sk_config cfg;
	struct sk_problems d;
	char *ring;
	size_t n;
	int rootfd;

	(void)argc;
	(void)argv;
	state = fz_join(root, "state");
	fz_mkdirs(state);
	conf_path = fz_join(tmp, "sup.conf");
	fz_write(conf_path, conf, strlen(conf), 0600);
	/* The keyring must not be writable by others: copy it. */
	ring = fz_data("keyring.pem", &n);
	keyring = fz_join(tmp, "keyring.pem");
	fz_write(keyring, ring, n, 0600);
	free(ring);

	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		fz_die("cannot open the root");
	sk_problems_init(&d);
	if (sk_config_load(&cfg, conf_path, root, rootfd, NULL, &d) ||
	    sk_trust_open(&trust, &cfg, root, rootfd, keyring, &d)) {
		sk_problems_print(&d, "fuzz_supfile");
		fz_die("cannot set up the trust policy");
	}
	sk_problems_release(&d);
	sk_config_release(&cfg);
	close(rootfd);
	sup_path = fz_join(tmp, "package.sup");
	free(root);
	free(state);
	free(conf_path);
	free(keyring);
	return 0;
}

/* Stream payload i to its end in pieces of an odd size. */
static void stream(const struct sk_supfile *f, size_t i)
{
	static unsigned char buf[4093];
	struct sk_payload_stream *s;
	unsigned long long total = 0;
	char *err = NULL;
	int64_t n;

	if (sk_payload_stream_open(f, i, &s, &err) != 0) {
		fprintf(stderr, "finding: verified payload %zu does not open: %s\n",
			i, err ? err : "(no message)");
		abort();
	}
	while ((n = sk_payload_stream_read(s, buf, sizeof(buf), &err)) > 0)
		total += (unsigned long long)n;
	if (n < 0 || total != f->manifest.payloads[i].size) {
		fprintf(stderr, "finding: verified payload %zu does not stream: %s\n",
			i, err ? err : "wrong size");
		abort();
	}
	free(err);
	sk_payload_stream_close(s);
}

/* Read the package; true when it was accepted, with its hash in sha. */
static bool read_package(const struct sk_trust *t, unsigned int flags,
			 char sha[SK_SHA256_HEX_LEN + 1])
{
	struct sk_supfile f;
	struct sk_problems d;
	int r;

	sk_problems_init(&d);
	r = sk_supfile_open(&f, sup_path, NULL, t, flags, fz_tmpdir(), &d);
	if (r == 0) {
		if (!f.verified || !f.manifest_ok || !f.payloads_ok)
			abort(); /* success without verification */
		for (size_t i = 0; i < f.manifest.n_payloads &&
				   !(flags & SK_SUPFILE_NO_STREAMS); i++)
			stream(&f, i);
		if (sha)
			memcpy(sha, f.sha256, SK_SHA256_HEX_LEN + 1);
	} else if (sk_problems_empty(&d)) {
		abort(); /* refused without saying why */
	}
	sk_supfile_close(&f);
	sk_problems_release(&d);
	return r == 0;
}

static bool defer_all(void *data, const struct sk_manifest *m, size_t i)
{
	(void)data;
	(void)m;
	(void)i;
	return true;
}

/* The deferred reader, then each deferred payload verified: the same
 * verdict and file hash as the reader that verified them in its pass. */
static void read_deferred(bool full_ok, const char *full_sha)
{
	struct sk_supfile f;
	struct sk_problems d;
	bool ok;

	sk_problems_init(&d);
	ok = sk_supfile_open_deferred(&f, sup_path, NULL, &trust,
				      SK_SUPFILE_QUIET, fz_tmpdir(), defer_all,
				      NULL, &d) == 0;
	if (!ok && sk_problems_empty(&d))
		abort(); /* refused without saying why */
	for (size_t i = 0; ok && f.deferred && i < f.manifest.n_payloads;
	     i++) {
		char *err = NULL;

		if (f.deferred[i] && sk_payload_verify(&f, i, &err) != 0)
			ok = false;
		free(err);
	}
	if (ok && sk_supfile_hash_wait(&f, &d) != 0)
		ok = false;
	if (ok != full_ok || (ok && strcmp(f.sha256, full_sha) != 0)) {
		fprintf(stderr, "finding: the deferred reader says %s (sha256 %s), the full reader %s (sha256 %s)\n",
			ok ? "accepted" : "refused", ok ? f.sha256 : "-",
			full_ok ? "accepted" : "refused",
			full_ok ? full_sha : "-");
		abort();
	}
	sk_supfile_close(&f);
	sk_problems_release(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char sha[SK_SHA256_HEX_LEN + 1] = "";
	bool ok;

	fz_write(sup_path, data, size, 0600);
	ok = read_package(&trust, SK_SUPFILE_QUIET, sha);
	read_deferred(ok, sha);
	read_package(NULL,
		     SK_SUPFILE_QUIET | SK_SUPFILE_READ_ON |
			     SK_SUPFILE_NO_STREAMS,
		     NULL);
	return 0;
}
