/* SPDX-License-Identifier: MIT */
/*
 * fuzz_manifest.c - manifest.json: sk_manifest_parse() (json-c, the strict
 * JSON check, the validation) as a package is read, as `sup pack` reads
 * its input, and with tight limits; then sk_json_strict_check() alone, on
 * text json-c may not have accepted.
 *
 * Input: the manifest text. It is passed as it is, not NUL-terminated:
 * both functions take a length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonstrict.h"
#include "base/problems.h"
#include "package/manifest.h"

static void walk(const struct sk_manifest *m)
{
	for (size_t i = 0; i < m->n_payloads; i++)
		if (sk_manifest_find_payload(m, m->payloads[i].name) !=
		    (ssize_t)i)
			abort(); /* names are unique: each finds itself */
	for (size_t i = 0; i < m->n_actions; i++)
		for (size_t k = 0; k < m->actions[i].n_payloads; k++)
			if (m->actions[i].payloads[k] >= m->n_payloads)
				abort();
	sk_manifest_product_matches(m, "edge-gw");
	sk_manifest_product_matches(m, NULL);
}

static void parse(const uint8_t *data, size_t size,
		  const struct sk_limits *lim, unsigned int flags)
{
	struct sk_manifest m;
	struct sk_problems d;

	sk_problems_init(&d);
	if (sk_manifest_parse(&m, (const char *)data, size, lim, flags,
			      &d) == 0) {
		if (!sk_problems_empty(&d))
			abort(); /* valid, yet a problem was reported */
		walk(&m);
	} else if (sk_problems_empty(&d)) {
		abort(); /* refused without saying why */
	}
	sk_manifest_release(&m);
	sk_problems_release(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_limits tight;
	char *why = NULL;

	parse(data, size, NULL, 0);
	parse(data, size, NULL, SK_MANIFEST_PACK_INPUT);
	sk_limits_default(&tight);
	tight.manifest_bytes = 4096;
	tight.max_actions = 3;
	tight.max_payloads = 2;
	tight.max_name_len = 16;
	tight.max_depth = 4;
	tight.max_total_size = 1024;
	tight.max_timeout_s = 60;
	parse(data, size, &tight, 0);

	if (sk_json_strict_check((const char *)data, size, 32, &why) == 0 &&
	    why)
		abort(); /* accepted with a message */
	free(why);
	return 0;
}
