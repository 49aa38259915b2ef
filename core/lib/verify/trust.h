/* SPDX-License-Identifier: MIT */
/*
 * trust.h - the gateway's trust policy, one place for every command: the
 * keyring, whether an unsigned package may run, the time certificates are
 * checked at, and anti-rollback against STATE_DIR/installed.json.
 * docs/security.md explains the rules.
 */
#ifndef SK_TRUST_H
#define SK_TRUST_H

#include <stdbool.h>

#include "base/config.h"
#include "base/problems.h"
#include "package/manifest.h"
#include "verify/rollback.h"
#include "verify/signature.h"

struct sk_keyring;

struct sk_trust {
	struct sk_keyring *keyring; /* owned */
	bool allow_unsigned;
	bool allow_downgrade; /* may --allow-downgrade be used */
	struct sk_verify_params params;
	/* The state directory, walked from the root once (base/rootfd.h),
	 * or -1 while there is none; its host path, for messages. Owned. */
	int state_fd;
	char *state_dir;
	struct sk_installed installed;
};

/*
 * Load the trust policy of a gateway: [trust] of cfg, the keyring (the
 * host path keyring_override when not NULL, else the configured gateway
 * path under root) and its CRL file, and installed.json in the state
 * directory (for the time floor and anti-rollback). root is the canonical
 * host root, open as rootfd: the keyring and the CRL file under it are
 * opened from rootfd (sk_trusted_open_under(), base/trustfile.h), and the
 * state directory walked from it (sk_rootfd_dir(): a link another user
 * planted is refused), never looked up by name again; installed.json is
 * read from that descriptor. A missing state directory is an empty
 * record. A missing, unreadable or unsafe keyring, an unsafe state
 * directory or a damaged installed.json is a configuration problem
 * (class SETUP), never "trust everything". Returns 0 or -1; t is always
 * initialised and must be closed.
 */
int sk_trust_open(struct sk_trust *t, const struct sk_config *cfg,
		  const char *root, int rootfd, const char *keyring_override,
		  struct sk_problems *d);
void sk_trust_close(struct sk_trust *t);

/*
 * The policy applied to a checked signature: true when the package may
 * be used. A valid signature passes; an unsigned package passes only with
 * [trust] allow_unsigned (a warning is printed); any signature that is
 * present and fails is refused, whatever the setting. A refusal adds one
 * problem to d (class PACKAGE): "'PATH': REASON".
 */
bool sk_trust_accepts(const struct sk_trust *t, const struct sk_sig_result *r,
		      const char *path, bool quiet, struct sk_problems *d);

/*
 * Anti-rollback for manifest m: a lower package.version than the one
 * last installed under its name is refused unless allow_downgrade (the
 * --allow-downgrade flag, itself refused when [trust] allow_downgrade is
 * false); a lower security_version is refused always. Problems go to d
 * (class TARGET).
 */
void sk_trust_check_version(const struct sk_trust *t,
			    const struct sk_manifest *m, bool allow_downgrade,
			    struct sk_problems *d);

/*
 * Read installed.json again, from the state directory open as state_fd:
 * the installer's, under its lock, right before an install starts
 * (another install may have finished since preflight, and made the
 * directory). That directory is t's from then on (a copy of the
 * descriptor): sk_trust_note_accepted() writes there. 0, or -1 with the
 * problem in d (class SETUP or SYSTEM).
 */
int sk_trust_reload(struct sk_trust *t, int state_fd, struct sk_problems *d);

/*
 * After a package was accepted for install: move the time floor up to
 * its signing time (never beyond the clock when the clock is plausible),
 * in installed.json of t's state directory. Failures (no state
 * directory among them) are reported on stderr and change nothing else.
 */
void sk_trust_note_accepted(const struct sk_trust *t,
			    const struct sk_sig_result *r);

#endif
