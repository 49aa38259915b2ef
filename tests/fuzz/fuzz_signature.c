/* SPDX-License-Identifier: MIT */
/*
 * fuzz_signature.c - manifest.sig, a DER CMS SignedData: described without
 * a keyring (sk_signature_describe), checked without one
 * (sk_signature_check_match), and verified against the keyring and CRLs of
 * tests/fuzz/data (sk_signature_verify) at the fixed time of
 * tests/fuzz/data/clock, so that an input gives the same result whenever
 * it is run.
 *
 * Input: the DER bytes of the signature. The manifest signed is always
 * tests/fuzz/data/signed-manifest.json, the one the seed signatures were
 * made over, so that mutations of a valid signature get past the match.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/problems.h"
#include "fuzzutil.h"
#include "verify/keyring.h"
#include "verify/signature.h"

/* 2026-12-05T00:00:00Z: inside the validity of the seed signers and of
 * the CRLs in tests/fuzz/data (they were made the day before). */

static struct sk_keyring *keyring;
static time_t clock_at;
static char *manifest;
static size_t manifest_len;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A private copy (keyring files must not be writable by others). */
static char *private_copy(const char *name)
{
	size_t len;
	char *text = fz_data(name, &len), *path = fz_join(fz_tmpdir(), name);

	fz_write(path, text, len, 0600);
	free(text);
	return path;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *ring = private_copy("keyring.pem");
	char *crl = private_copy("crl.pem");
	struct sk_problems d;

	(void)argc;
	(void)argv;
	sk_problems_init(&d);
	keyring = sk_keyring_load(ring, crl, &d);
	if (!keyring) {
		sk_problems_print(&d, "fuzz_signature");
		fz_die("cannot load the keyring");
	}
	sk_problems_release(&d);
	manifest = fz_data("signed-manifest.json", &manifest_len);
	clock_at = fz_data_clock();
	free(ring);
	free(crl);
	return 0;
}

/* The result agrees with the return value, and says why it failed.
 * FUZZ_VERBOSE set in the environment prints it (to see what a seed
 * reaches). */
static void check(int ret, const struct sk_sig_result *r,
		  enum sk_sig_status ok, const char *what)
{
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "%s: %s%s%s\n", what,
			sk_sig_status_name(r->status), r->reason ? ": " : "",
			r->reason ? r->reason : "");
	if ((ret == 0) != (r->status == ok) || (ret != 0 && !r->reason)) {
		fprintf(stderr, "finding: %s returned %d with status %s, reason %s\n",
			what, ret, sk_sig_status_name(r->status),
			r->reason ? r->reason : "(none)");
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_verify_params clock = {
		.validity = SK_VALIDITY_CLOCK,
		.clock = clock_at,
	};
	/* A gateway without a real-time clock: 1970 and a time floor. */
	struct sk_verify_params floor = {
		.validity = SK_VALIDITY_AUTO,
		.clock = 1000,
		.floor = clock_at,
		.require_code_signing = true,
	};
	struct sk_sig_result r;
	int ret;

	ret = sk_signature_describe(data, size, &r);
	check(ret, &r, SK_SIG_NOT_CHECKED, "describe");
	sk_sig_result_release(&r);

	ret = sk_signature_check_match(manifest, manifest_len, data, size, &r);
	check(ret, &r, SK_SIG_NOT_CHECKED, "check_match");
	sk_sig_result_release(&r);

	ret = sk_signature_verify(keyring, manifest, manifest_len, data, size,
				  &clock, &r);
	check(ret, &r, SK_SIG_OK, "verify (clock)");
	sk_sig_result_release(&r);

	ret = sk_signature_verify(keyring, manifest, manifest_len, data, size,
				  &floor, &r);
	check(ret, &r, SK_SIG_OK, "verify (floor)");
	sk_sig_result_release(&r);
	return 0;
}
