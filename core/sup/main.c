/* SPDX-License-Identifier: MIT */
/* main.c - the sup command: options and dispatch to one cmd_*.c per
 * subcommand (pack, sign, verify, inspect, install, status, plugins,
 * diag). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static const char usage[] =
	"usage: sup COMMAND [OPTIONS]\n"
	"\n"
	"Software Update Package (SUP) tool of supkit " SUPKIT_VERSION ".\n"
	"\n"
	"commands:\n"
	"  pack      build a SUP from a manifest and a payload directory\n"
	"  sign      sign a SUP (again) with a release key\n"
	"  verify    check a SUP's signature and payloads against the keyring\n"
	"  inspect   show and verify the contents of a SUP\n"
	"  install   verify a SUP and run its actions on this gateway\n"
	"  status    what is installed, a running or pending install, the last result\n"
	"  plugins   list the enabled plugins and their action types\n"
	"  diag      write a diagnostic bundle for support\n"
	"\n"
	"Run 'sup COMMAND --help' for the options of a command, and see\n"
	"sup(1) for exit codes and files.\n";

int cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("sup: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'sup %s --help'.\n", cmd);
	return SUP_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "pack", cmd_pack },
		{ "sign", cmd_sign },
		{ "verify", cmd_verify },
		{ "inspect", cmd_inspect },
		{ "install", cmd_install },
		{ "status", cmd_status },
		{ "plugins", cmd_plugins },
		{ "diag", cmd_diag },
	};

	if (argc < 2) {
		fputs(usage, stderr);
		return SUP_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("sup (supkit) %s\n", SUPKIT_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "sup: error: unknown command '%s'\n\n%s", argv[1],
		usage);
	return SUP_EXIT_USAGE;
}
