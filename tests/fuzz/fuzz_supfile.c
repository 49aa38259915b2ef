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
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

	sk_problems_init(&d);
	if (sk_config_load(&cfg, conf_path, root, NULL, &d) ||
	    sk_trust_open(&trust, &cfg, root, keyring, &d)) {
		sk_problems_print(&d, "fuzz_supfile");
		fz_die("cannot set up the trust policy");
	}
	sk_problems_release(&d);
	sk_config_release(&cfg);
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

static void read_package(const struct sk_trust *t, unsigned int flags)
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
	} else if (sk_problems_empty(&d)) {
		abort(); /* refused without saying why */
	}
	sk_supfile_close(&f);
	sk_problems_release(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_write(sup_path, data, size, 0600);
	read_package(&trust, SK_SUPFILE_QUIET);
	read_package(NULL, SK_SUPFILE_QUIET | SK_SUPFILE_READ_ON |
				   SK_SUPFILE_NO_STREAMS);
	return 0;
}
