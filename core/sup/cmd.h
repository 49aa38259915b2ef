/* SPDX-License-Identifier: MIT */
/* cmd.h - the subcommands of `sup`. Each returns the exit code. */
#ifndef SUP_CMD_H
#define SUP_CMD_H

#include <stdbool.h>

#include "base/config.h"
#include "base/problems.h"
#include "verify/trust.h"

#define SUP_EXIT_USAGE 2

int cmd_install(int argc, char **argv);
int cmd_pack(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_plugins(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_diag(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);

/* The gateway's trust policy as sup install sees it (configuration under
 * root, keyring or its override), for commands that load no plugins. */
struct cmd_trust {
	char *root;
	int root_fd; /* of root (O_PATH), opened once; -1 when none */
	struct sk_config cfg;
	struct sk_trust trust;
	bool ok; /* everything loaded */
};

/* 0, or -1 with the problems in d; ct must be closed either way. */
int cmd_trust_open(struct cmd_trust *ct, const char *root, const char *config,
		   const char *keyring, struct sk_problems *d);
void cmd_trust_close(struct cmd_trust *ct);

struct sk_signer;
/* Warn on stderr when the signer's certificate is expired, expires
 * within 30 days or is not valid yet: gateways would refuse its work. */
void cmd_warn_signer(const struct sk_signer *s);

/* Print s for a terminal (sk_show_text: no control sequence gets
 * through), then sep. */
void cmd_print_shown(const char *s, const char *sep);

/* Print "sup: error: MSG" and a hint to stderr; returns SUP_EXIT_USAGE. */
int cmd_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
