/* SPDX-License-Identifier: MIT */
/*
 * config.h - the main configuration (sup.conf) and the product profile it
 * selects, read with libinih. See docs/config.md.
 */
#ifndef SK_CONFIG_H
#define SK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "base/problems.h"

#define SK_DEFAULT_LOGS_DIR "/var/log/supkit"
#define SK_DEFAULT_STATE_DIR "/var/lib/supkit"
#define SK_DEFAULT_PROFILES_DIR SUPKIT_SYSCONF_DIR "/products"
#define SK_DEFAULT_TIMEOUT_S 3600UL
#define SK_DEFAULT_KEYRING SUPKIT_SYSCONF_DIR "/keyring.pem"

/* How certificate validity periods are checked (docs/security.md). */
enum sk_validity {
	SK_VALIDITY_AUTO = 0, /* clock when plausible, else time floor */
	SK_VALIDITY_CLOCK,    /* the system clock only */
	SK_VALIDITY_OFF,      /* not checked */
};

/* [trust] of sup.conf (docs/config.md, docs/security.md). */
struct sk_trust_config {
	char *keyring; /* gateway path */
	char *crl;     /* gateway path, or NULL */
	bool allow_unsigned;
	bool allow_downgrade; /* false: --allow-downgrade is refused */
	bool require_code_signing;
	enum sk_validity validity;
};

struct sk_config_kv {
	char *plugin; /* NAME of [plugin.NAME] */
	char *key;
	char *value;
};

struct sk_config {
	/* Host paths of the files read, for messages and records (under
	 * the root: the root, then the gateway path, links resolved). */
	char *path;	    /* main config, NULL: built-in defaults */
	char *profile_path; /* the profile, or NULL */
	/* Their gateway paths, to open them again by the same rules
	 * (sk_config_open()); path_gw NULL when path was given (a host
	 * path, --config). */
	char *path_gw;
	char *profile_gw;
	char *product;	    /* product type, NULL if unknown */
	char *product_description;
	/* Gateway paths, resolved under the root by the caller. */
	char *logs_dir;
	char *state_dir;
	char *profiles_dir;
	/* Host paths of the installer's plugins from the config. */
	char **plugin_dirs;
	size_t n_plugin_dirs;
	/* Plugins enabled by the product profile; NULL: all found. */
	char **enabled;
	size_t n_enabled;
	unsigned long default_timeout_s;
	struct sk_config_kv *kv; /* [plugin.NAME] keys */
	size_t n_kv;
	/* Keys of the product-wide sections [runtime], [firmware], [system];
	 * .plugin holds the section name. */
	struct sk_config_kv *pkv;
	size_t n_pkv;
	struct sk_trust_config trust;
	/* SUPKIT_NO_BUILTIN_DIRS=1 on the host's root (base/builtindirs.h):
	 * the configuration directory is not read (sup.conf, profiles,
	 * keyring). */
	bool no_builtin_sysconf;
};

/*
 * Load the configuration. path: the main config file (a host path), or
 * NULL to use "<root>" SUPKIT_SYSCONF_DIR "/sup.conf" when it exists and
 * built-in defaults otherwise (on the root "/" under
 * SUPKIT_NO_BUILTIN_DIRS=1: neither that file nor a profile of the
 * built-in profiles_dir). product: overrides [gateway] product when
 * not NULL. root: canonical host root ("/" for the host itself), open as
 * rootfd (O_PATH is enough). The files under the root (the default
 * sup.conf, the profile) are opened from rootfd by
 * sk_trusted_open_under() (base/trustfile.h): walked once, never looked
 * up by name again; only a file that is not there counts as missing.
 * Every problem goes to d (class SETUP) as "FILE:LINE: what". Returns 0
 * or -1. c is always initialised; release it with sk_config_release().
 */
int sk_config_load(struct sk_config *c, const char *path, const char *root,
		   int rootfd, const char *product, struct sk_problems *d);
void sk_config_release(struct sk_config *c);

/*
 * Open again the main configuration (profile false) or the profile that
 * sk_config_load() read into c (c->path, c->profile_path), for a reader
 * of its bytes (sup diag): by the rules it was first opened by, a given
 * host path by sk_trusted_open(), a file under the root walked again from
 * rootfd (root, rootfd: as given to sk_config_load()), never by the host
 * path c shows. Returns the descriptor (read-only, close-on-exec); -ENOENT
 * when c read no such file or it is no longer there, nothing added to d;
 * or -errno with the problem in d ("cannot read 'PATH': WHY").
 */
int sk_config_open(const struct sk_config *c, bool profile, const char *root,
		   int rootfd, struct sk_problems *d);

/* A key of [plugin.NAME] in the product profile, or NULL. */
const char *sk_config_plugin_key(const struct sk_config *c,
				 const char *plugin, const char *key);

/* A key of a product-wide section ("runtime", "firmware", "system") of the
 * product profile, or NULL. */
const char *sk_config_product_key(const struct sk_config *c,
				  const char *section, const char *key);

#endif
