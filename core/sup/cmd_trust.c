/* SPDX-License-Identifier: MIT */
/* cmd_trust.c - the gateway's trust policy for sup verify and inspect. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

int cmd_trust_open(struct cmd_trust *ct, const char *root, const char *config,
		   const char *keyring, struct sk_diag *d)
{
	memset(ct, 0, sizeof(*ct));
	ct->root = realpath(root ? root : "/", NULL);
	if (!ct->root) {
		sk_diag_add(d, SK_DIAG_SETUP, "root directory '%s': %s",
			    root ? root : "/", strerror(errno));
		return -1;
	}
	if (sk_config_load(&ct->cfg, config, ct->root, NULL, d) != 0)
		return -1;
	if (sk_trust_open(&ct->trust, &ct->cfg, ct->root, keyring, d) != 0)
		return -1;
	ct->ok = true;
	return 0;
}

void cmd_trust_close(struct cmd_trust *ct)
{
	sk_trust_close(&ct->trust);
	sk_config_release(&ct->cfg);
	free(ct->root);
	memset(ct, 0, sizeof(*ct));
}
