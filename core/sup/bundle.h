/* SPDX-License-Identifier: MIT */
/*
 * bundle.h - the diagnostic bundle of `sup diag`: what support needs to
 * understand a gateway, in one gzip-compressed pax archive.
 *
 * Every entry lies under "supkit-diag/":
 *   MANIFEST.txt       index: what is in the bundle, what could not be
 *                      read and why (written last)
 *   system.json        supkit version, product type, uname, os-release,
 *                      uptime, free disk space of the root, logs and state
 *                      directories
 *   plugins.json       {"plugins": [{"name", "version", "path", "types"}],
 *                       "problems": [configuration and plugin problems]}
 *   config/sup.conf    the main configuration  } re-emitted from what
 *   config/products/P  the product profile     } libinih parsed, secret
 *   config/supd.conf   the supd configuration  } values redacted
 *   logs/NAME          every regular file of the logs directory
 *                      (confirmation.json, audit.jsonl, installer.log...),
 *                      the last 16 MiB of a bigger one
 *
 * Redaction: a value is replaced by "<redacted>" when its key (or its
 * section name) contains "token", "secret", "password", "passwd", "key"
 * (but the key "thing_key" is kept) or "credential", in any case; when it
 * is on an indented line (libinih reads it as the continuation of an
 * earlier key); and the password of a URL value is replaced. Empty values
 * stay empty, so that a missing secret shows. Comments and lines that do
 * not parse are left out.
 *
 * An item that cannot be read is named in MANIFEST.txt with the reason;
 * only a failure to write the bundle itself is an error.
 */
#ifndef SK_BUNDLE_H
#define SK_BUNDLE_H

#include <stddef.h>

#include "base/problems.h"

/* Largest file copied whole; the tail of a bigger one is taken. */
#define SK_BUNDLE_FILE_MAX (16u * 1024 * 1024)
#define SK_BUNDLE_DIR "supkit-diag"

struct sk_bundle_opts {
	const char *output; /* host path of the .tar.gz to write */
	const char *root;   /* NULL: "/" */
	const char *config; /* main config, NULL: the default under root */
	const char *const *plugin_dirs; /* extra --plugin-dir, absolute */
	size_t n_plugin_dirs;
	/* Host path of supd.conf; NULL: SUPKIT_SYSCONF_DIR "/supd.conf",
	 * listed as not present when missing. */
	const char *supd_config;
};

/*
 * Write the bundle to o->output: a temporary file in the same directory
 * (mode 0600), fsync, rename over the output, fsync of the directory;
 * the output is never seen half written. Returns 0, or -1 with the
 * reason in d (class SYSTEM) when the bundle could not be written;
 * nothing is left behind then.
 */
int sk_bundle_write(const struct sk_bundle_opts *o, struct sk_problems *d);

#endif
