/* SPDX-License-Identifier: MIT */
/* cmd.h - the subcommands of `sup`. Each returns the exit code. */
#ifndef SUP_CMD_H
#define SUP_CMD_H

#define SUP_EXIT_USAGE 2

int cmd_install(int argc, char **argv);
int cmd_pack(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_plugins(int argc, char **argv);
int cmd_diag(int argc, char **argv);

/* Print "sup: error: MSG" and a hint to stderr; returns SUP_EXIT_USAGE. */
int cmd_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
