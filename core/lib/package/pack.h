/* SPDX-License-Identifier: MIT */
/* pack.h - build a SUP file from a manifest and a payload directory. */
#ifndef SK_PACK_H
#define SK_PACK_H

#include "base/problems.h"
#include "package/manifest.h"

struct sk_signer;

struct sk_pack_opts {
	const char *manifest_path; /* input manifest (JSON) */
	const char *payload_dir;   /* payload NAME is payload_dir/NAME */
	const char *output;	   /* the .sup to write */
	const struct sk_limits *limits; /* NULL: the defaults */
	/* Sign the packed manifest (manifest.sig, entry 2), or NULL. */
	const struct sk_signer *signer;
};

/*
 * Validate the manifest, fill in (or check) the payloads table from the
 * files, and write a pax tar: manifest.json first, then each payload in
 * first-use order. Output is byte-identical for identical inputs (fixed
 * mtime from SOURCE_DATE_EPOCH or 0, uid/gid 0, mode 0644, no user names;
 * a SOURCE_DATE_EPOCH that is not a decimal date up to year 9999 counts as
 * unset). The output manifest is the input with the filled payloads table,
 * and is checked again as a reader would check it. Written to a temp file
 * (mode 0644) and renamed: a failed pack leaves no output.
 * Returns 0, or -1 with every problem in d.
 */
int sk_pack(const struct sk_pack_opts *o, struct sk_problems *d);

#endif
