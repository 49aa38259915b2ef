/* SPDX-License-Identifier: MIT */
/*
 * fuzz_keyring.c - the keyring (PEM trust anchors) and the CRL file:
 * sk_keyring_load(), the anchors described, then the seed signature of
 * tests/fuzz/data verified against what was loaded (anchors and CRLs as
 * the input made them).
 *
 * Input: the keyring file, optionally followed by a NUL byte and the CRL
 * file (PEM holds no NUL byte). Both are written to files of mode 0600
 * in the process's temporary directory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/problems.h"
#include "fuzzutil.h"
#include "verify/keyring.h"
#include "verify/signature.h"

static char *ring_path, *crl_path;
static char *manifest, *sig;
static size_t manifest_len, sig_len;
static time_t clock_at;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ring_path = fz_join(fz_tmpdir(), "keyring.pem");
	crl_path = fz_join(fz_tmpdir(), "crl.pem");
	manifest = fz_data("signed-manifest.json", &manifest_len);
	sig = fz_data("signed-manifest.sig", &sig_len);
	clock_at = fz_data_clock();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_verify_params p = { .validity = SK_VALIDITY_CLOCK,
				      .clock = clock_at };
	struct fz_part part[2];
	struct sk_sig_result r;
	struct sk_keyring *k;
	struct sk_problems d;
	size_t n;

	n = fz_split(data, size, "", 1, part, 2);
	fz_write(ring_path, part[0].data, part[0].len, 0600);
	if (n > 1)
		fz_write(crl_path, part[1].data, part[1].len, 0600);
	sk_problems_init(&d);
	k = sk_keyring_load(ring_path, n > 1 ? crl_path : NULL, &d);
	if (!k) {
		if (sk_problems_empty(&d))
			abort(); /* refused without saying why */
		sk_problems_release(&d);
		return 0;
	}
	if (sk_keyring_count(k) == 0)
		abort(); /* an empty keyring is refused (keyring.h) */
	for (size_t i = 0; i < sk_keyring_count(k); i++) {
		const struct sk_cert_info *ci = sk_keyring_anchor(k, i);

		if (!ci || !ci->subject || !ci->issuer || !ci->serial ||
		    !ci->key)
			abort();
	}
	sk_keyring_crl_count(k);
	sk_signature_verify(k, manifest, manifest_len, sig, sig_len, &p, &r);
	sk_sig_result_release(&r);
	sk_keyring_free(k);
	sk_problems_release(&d);
	return 0;
}
