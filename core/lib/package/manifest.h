/* SPDX-License-Identifier: MIT */
/*
 * manifest.h - manifest.json of a SUP, parsed (json-c) into typed structs
 * and validated. Every problem is reported with its field path, e.g.
 * "manifest.json: actions[3].payloads[0]: unknown payload 'fw.bin'".
 */
#ifndef SK_MANIFEST_H
#define SK_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/problems.h"

struct json_object;

#define SK_MANIFEST_NAME "manifest.json"
/* Reserved for the detached signature of manifest.json (second entry). */
#define SK_SIGNATURE_NAME "manifest.sig"
#define SK_SUP_FORMAT 1
/* The installer version compared with compatibility.min_installer. */
#define SK_INSTALLER_MAJOR 1
#define SK_INSTALLER_MINOR 0
/* Largest package.security_version: the largest integer every JSON
 * reader holds exactly (2^53 - 1). */
#define SK_SECURITY_VERSION_MAX 9007199254740991ULL

struct sk_limits {
	size_t manifest_bytes;		   /* default 1 MiB */
	size_t max_actions;		   /* default 1024 */
	size_t max_payloads;		   /* default 1024 */
	size_t max_name_len;		   /* payload/id/type names, 255 */
	/* JSON nesting as json-c counts it (the top-level object is 1,
	 * a scalar inside it 2), default 32 */
	int max_depth;
	unsigned long long max_total_size; /* sum of payload sizes, 64 GiB */
	unsigned long max_timeout_s;	   /* per action, default 86400 */
};

void sk_limits_default(struct sk_limits *l);

enum sk_on_error {
	SK_ON_ERROR_ABORT = 0,
	SK_ON_ERROR_CONTINUE,
};

struct sk_payload_decl {
	const char *name; /* borrowed from the manifest's JSON */
	unsigned long long size;
	char sha256[65]; /* lowercase hex; "" when absent in pack input */
};

struct sk_action_decl {
	const char *id;	  /* borrowed */
	const char *type; /* borrowed */
	/* The params object (an empty object when absent); borrowed. */
	struct json_object *params;
	size_t *payloads; /* owned; indices into sk_manifest.payloads */
	size_t n_payloads;
	enum sk_on_error on_error;
	unsigned long timeout_s; /* 0: the configured default */
};

struct sk_manifest {
	struct json_object *root; /* owned; all borrowed strings live here */
	int sup_format;
	const char *name;
	const char *version;
	const char *description; /* NULL if absent */
	/* package.security_version, 0 when absent: it never goes down on a
	 * gateway (anti-rollback, docs/security.md). */
	unsigned long long security_version;
	const char **products;	 /* owned array of borrowed strings */
	size_t n_products;
	const char *min_installer; /* NULL if absent */
	unsigned int min_installer_major;
	unsigned int min_installer_minor;
	/* Owned; in first-use order, the order of the archive entries. */
	struct sk_payload_decl *payloads;
	size_t n_payloads;
	struct sk_action_decl *actions; /* owned */
	size_t n_actions;
};

/* Flags for sk_manifest_parse(). */
/* Pack input: the payloads table may be absent or lack size/sha256;
 * payload names used by actions are then collected in first-use order
 * with size 0 and an empty sha256. */
#define SK_MANIFEST_PACK_INPUT 0x1u

/*
 * Parse and validate manifest text of len bytes. Every problem found is
 * appended to d (class SK_PROBLEM_PACKAGE), prefixed "manifest.json: PATH: ";
 * after 100 problems one last line says that more were not listed.
 * Out of memory is reported as SK_PROBLEM_SYSTEM. lim NULL means the default
 * limits. Returns 0 if the manifest is valid, -1 otherwise; after -1 the
 * fields of m may be partly filled and must not be relied on. m is always
 * initialised and must be released with sk_manifest_release().
 */
int sk_manifest_parse(struct sk_manifest *m, const char *text, size_t len,
		      const struct sk_limits *lim, unsigned int flags,
		      struct sk_problems *d);
void sk_manifest_release(struct sk_manifest *m);

/* Index of the payload named name, or -1. */
ssize_t sk_manifest_find_payload(const struct sk_manifest *m,
				 const char *name);

/* A payload name: relative, components of [A-Za-z0-9._+-] not "." or
 * "..", separated by single '/', at most maxlen bytes, not the reserved
 * names. */
bool sk_payload_name_valid(const char *name, size_t maxlen);

/* True if product matches one of the manifest's glob patterns (fnmatch),
 * or if the manifest lists no products. product NULL (product type unknown)
 * matches only the pattern "*". */
bool sk_manifest_product_matches(const struct sk_manifest *m,
				 const char *product);

#endif
