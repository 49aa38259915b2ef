/* SPDX-License-Identifier: MIT */
/* trust.c - the trust policy: keyring, unsigned packages, time, rollback. */
#include "verify/trust.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/builtindirs.h"
#include "base/rootfd.h"
#include "base/trustfile.h"
#include "base/util.h"
#include "verify/keyring.h"

/*
 * The state directory gw under the root, walked from rootfd once: a
 * missing one leaves t->state_fd -1 (nothing installed yet); a link
 * another user planted on the way, or anything else but a directory, is
 * refused.
 */
static int open_state_dir(struct sk_trust *t, const char *root, int rootfd,
			  const char *gw, struct sk_problems *d)
{
	char *why = NULL;
	int r = sk_rootfd_dir_host(rootfd, root, gw, 0, &t->state_fd,
				   &t->state_dir, &why);

	if (r == -ENOMEM)
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
	else if (r && r != -ENOENT)
		sk_problems_add(d, SK_PROBLEM_SETUP, "state directory '%s': %s",
				t->state_dir, why ? why : strerror(-r));
	free(why);
	return r && r != -ENOENT ? -1 : 0;
}

/* installed.json of t's state directory into t->installed. */
static int load_installed(struct sk_trust *t, struct sk_problems *d)
{
	const char *why;
	int r;

	sk_installed_release(&t->installed);
	/* No state directory yet: nothing was ever installed. */
	if (t->state_fd < 0)
		return 0;
	r = sk_installed_load(&t->installed, t->state_fd, &why);
	if (r) {
		sk_problems_add(
			d, r == -EINVAL ? SK_PROBLEM_SETUP : SK_PROBLEM_SYSTEM,
			"cannot read '%s/%s': %s%s%s: anti-rollback and the time floor need it (restore it, or remove it to start over)",
			t->state_dir, SK_INSTALLED_NAME, why,
			r == -EINVAL ? "" : ": ",
			r == -EINVAL ? "" : strerror(-r));
		return -1;
	}
	if (t->installed.time_floor > (long long)t->params.floor)
		t->params.floor = (time_t)t->installed.time_floor;
	return 0;
}

int sk_trust_open(struct sk_trust *t, const struct sk_config *cfg,
		  const char *root, int rootfd, const char *keyring_override,
		  struct sk_problems *d)
{
	const struct sk_trust_config *tc = &cfg->trust;
	char *keyring = NULL, *crl = NULL;
	int fd, ret = -1;

	memset(t, 0, sizeof(*t));
	t->state_fd = -1;
	t->allow_unsigned = tc->allow_unsigned;
	t->allow_downgrade = tc->allow_downgrade;
	t->params.validity = (enum sk_validity)tc->validity;
	t->params.require_code_signing = tc->require_code_signing;
	t->params.clock = time(NULL);
	/* No gateway runs a supkit built after "now": the build date is
	 * the first floor for a clock that starts in 1970. */
	t->params.floor = (time_t)SUPKIT_BUILD_EPOCH;

	if (keyring_override) {
		t->keyring = sk_keyring_load(keyring_override, NULL, d);
	} else if (cfg->no_builtin_sysconf &&
		   strcmp(tc->keyring, SK_DEFAULT_KEYRING) == 0) {
		sk_problems_add(d, SK_PROBLEM_SETUP,
				"keyring '%s': not read: %s is set (give "
				"--config with this gateway's configuration)",
				tc->keyring, SK_NO_BUILTIN_DIRS_ENV);
		goto out;
	} else {
		/* Walked from the root once, the file itself no link. */
		fd = sk_trusted_open_under("keyring", rootfd, root, tc->keyring,
					   0, SK_KEYRING_MAX_BYTES, &keyring,
					   d);
		if (fd >= 0)
			t->keyring = sk_keyring_load_fd(fd, keyring, d);
	}
	if (!t->keyring)
		goto out;
	if (tc->crl) {
		fd = sk_trusted_open_under("CRL file", rootfd, root, tc->crl, 0,
					   SK_KEYRING_MAX_BYTES, &crl, d);
		if (fd < 0 || sk_keyring_add_crls_fd(t->keyring, fd, crl, d)) {
			sk_keyring_free(t->keyring);
			t->keyring = NULL;
			goto out;
		}
	}

	if (open_state_dir(t, root, rootfd, cfg->state_dir, d) ||
	    load_installed(t, d))
		goto out;
	ret = 0;
out:
	free(keyring);
	free(crl);
	return ret;
}

int sk_trust_reload(struct sk_trust *t, int state_fd, struct sk_problems *d)
{
	int fd = fcntl(state_fd, F_DUPFD_CLOEXEC, 0);

	if (fd < 0) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM,
				"state directory '%s': %s", t->state_dir,
				strerror(errno));
		return -1;
	}
	if (t->state_fd >= 0)
		close(t->state_fd);
	t->state_fd = fd;
	return load_installed(t, d);
}

void sk_trust_close(struct sk_trust *t)
{
	/* 0: a struct zeroed and never opened (stdin is never ours). */
	if (t->state_fd > 0)
		close(t->state_fd);
	sk_keyring_free(t->keyring);
	free(t->state_dir);
	sk_installed_release(&t->installed);
	memset(t, 0, sizeof(*t));
	t->state_fd = -1;
}

bool sk_trust_accepts(const struct sk_trust *t, const struct sk_sig_result *r,
		      const char *path, bool quiet, struct sk_problems *d)
{
	if (r->status == SK_SIG_OK)
		return true;
	if (r->status == SK_SIG_UNSIGNED) {
		if (t->allow_unsigned) {
			if (!quiet)
				fprintf(stderr,
					"sup: warning: '%s' is unsigned; accepted because [trust] allow_unsigned is true\n",
					path);
			return true;
		}
		sk_problems_add(
			d, SK_PROBLEM_PACKAGE,
			"'%s': unsigned: packages must be signed by a key of the keyring '%s' ([trust] allow_unsigned is false)",
			path, sk_keyring_path(t->keyring));
		return false;
	}
	/* A broken CRL file is this gateway's problem, not the package's. */
	sk_problems_add(d,
			r->status == SK_SIG_BAD_CRL ? SK_PROBLEM_SETUP
						    : SK_PROBLEM_PACKAGE,
			"'%s': %s", path,
			r->reason ? r->reason : sk_sig_status_name(r->status));
	return false;
}

void sk_trust_check_version(const struct sk_trust *t,
			    const struct sk_manifest *m, bool allow_downgrade,
			    struct sk_problems *d)
{
	const struct sk_installed_pkg *p =
		sk_installed_find(&t->installed, m->name);

	switch (sk_rollback_check(&t->installed, m->name, m->version,
				  m->security_version)) {
	case SK_RB_NEW:
	case SK_RB_UPGRADE:
	case SK_RB_SAME: return;
	case SK_RB_SECURITY_DOWNGRADE:
		sk_problems_add(
			d, SK_PROBLEM_TARGET,
			"package '%s' %s: security_version %llu is lower than %llu, installed with version %s: refused whatever the options",
			m->name, m->version, m->security_version,
			p->security_version, p->version);
		return;
	case SK_RB_DOWNGRADE:
		if (allow_downgrade && t->allow_downgrade)
			return;
		if (allow_downgrade || !t->allow_downgrade)
			sk_problems_add(
				d, SK_PROBLEM_TARGET,
				"package '%s' %s is older than the installed %s, and [trust] allow_downgrade is false: downgrades are forbidden on this gateway",
				m->name, m->version, p->version);
		else
			sk_problems_add(
				d, SK_PROBLEM_TARGET,
				"package '%s' %s is older than the installed %s: refused as a downgrade (--allow-downgrade installs it)",
				m->name, m->version, p->version);
		return;
	}
}

void sk_trust_note_accepted(const struct sk_trust *t,
			    const struct sk_sig_result *r)
{
	time_t when = r->signing_time;
	const char *why;
	int err;

	if (r->status != SK_SIG_OK || when <= 0 || !t->state_dir)
		return;
	/* A plausible clock caps what a signer's clock may claim. */
	if (t->params.clock >= t->params.floor && when > t->params.clock)
		when = t->params.clock;
	if ((long long)when <= t->installed.time_floor)
		return;
	if (t->state_fd < 0) {
		/* No state directory (sk_trust_reload() gives one). */
		err = -ENOENT;
		why = "cannot write " SK_INSTALLED_NAME;
	} else {
		err = sk_installed_raise_floor(t->state_fd, (long long)when,
					       &why);
	}
	if (err)
		fprintf(stderr,
			"sup: warning: cannot record the time floor in '%s': %s%s%s\n",
			t->state_dir, why, err == -EINVAL ? "" : ": ",
			err == -EINVAL ? "" : strerror(-err));
}
