/* SPDX-License-Identifier: MIT */
/* trust.c - what the sup commands share about trust: the policy that
 * verify and inspect load, and the warnings about a signer of pack and sign. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/rootfd.h"
#include "base/util.h"
#include "cmd.h"
#include "verify/signature.h"

int cmd_trust_open(struct cmd_trust *ct, const char *root, const char *config,
		   const char *keyring, struct sk_problems *d)
{
	char *why = NULL;
	int r;

	memset(ct, 0, sizeof(*ct));
	ct->root_fd = -1;
	/* Opened once, walked from "/": the files under the root are
	 * walked from this descriptor. */
	r = sk_root_dir_open(root, &ct->root_fd, &ct->root, &why);
	if (r) {
		sk_problems_add(d, SK_PROBLEM_SETUP, "root directory '%s': %s",
				root ? root : "/", why && r != -ENOENT ? why : strerror(-r));
		free(why);
		return -1;
	}
	if (sk_config_load(&ct->cfg, config, ct->root, ct->root_fd, NULL, d) !=
	    0)
		return -1;
	if (sk_trust_open(&ct->trust, &ct->cfg, ct->root, ct->root_fd, keyring,
			  d) != 0)
		return -1;
	ct->ok = true;
	return 0;
}

void cmd_trust_close(struct cmd_trust *ct)
{
	sk_trust_close(&ct->trust);
	sk_config_release(&ct->cfg);
	if (ct->root_fd >= 0)
		close(ct->root_fd);
	free(ct->root);
	memset(ct, 0, sizeof(*ct));
}

/* RFC 3339 UTC of t into buf[32]. */
void cmd_warn_signer(const struct sk_signer *s)
{
	const struct sk_cert_info *ci = sk_signer_cert(s);
	time_t now = time(NULL);
	char when[32];

	if (now > ci->not_after)
		fprintf(stderr,
			"sup: warning: the certificate '%s' expired at %s: gateways refuse what it signs\n",
			ci->subject, sk_utc_text(ci->not_after, when));
	else if (ci->not_after - now < 30 * 24 * 3600)
		fprintf(stderr,
			"sup: warning: the certificate '%s' expires at %s\n",
			ci->subject, sk_utc_text(ci->not_after, when));
	if (now < ci->not_before)
		fprintf(stderr,
			"sup: warning: the certificate '%s' is not valid before %s\n",
			ci->subject, sk_utc_text(ci->not_before, when));
}
