/* SPDX-License-Identifier: MIT */
/* main.c - supd, the campaign agent of supkit (docs/man/supd.8). */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "agentconf.h"
#include "base/builtindirs.h"
#include "base/problems.h"

static const char help[] =
	"usage: supd [--config FILE] [--once]\n"
	"\n"
	"Campaign agent of supkit " SUPKIT_VERSION ": polls the portal's\n"
	"mailbox over TR50, downloads the package of each gateway.sup.update\n"
	"message, installs it with 'sup install --detach', sends the audit\n"
	"messages and the record, and acks the message exactly once.\n"
	"\n"
	"options:\n"
	"  -c, --config FILE  configuration (default " SUPD_DEFAULT_CONF ")\n"
	"      --once         check the mailbox once, finish the jobs that\n"
	"                     are open (until acked), then exit\n"
	"  -h, --help         show this help\n"
	"  -V, --version      show the version\n"
	"\n"
	"SIGTERM, SIGINT and SIGHUP stop supd between two steps; every job\n"
	"continues where it was at the next start.\n"
	"\n"
	"exit codes: 0 stopped or done, 1 cannot run or --once did not\n"
	"complete, 2 usage, 3 configuration invalid or refused.\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

static void set_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	/* No SA_RESTART: a sleep ends at once. */
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A portal that closes the connection must not kill us. */
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	struct supd_conf conf;
	struct sk_problems d;
	bool once = false;
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'o': once = true; break;
		case 'h': fputs(help, stdout); return SUPD_EXIT_OK;
		case 'V': printf("supd (supkit) %s\n", SUPKIT_VERSION);
			return SUPD_EXIT_OK;
		default:
			fprintf(stderr, "supd: error: %s '%s'\nTry 'supd --help'.\n",
				optopt == 'c' ? "option needs a value:" :
						"unknown option",
				argv[optind - 1]);
			return SUPD_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "supd: error: unexpected argument '%s'\nTry 'supd --help'.\n",
			argv[optind]);
		return SUPD_EXIT_USAGE;
	}

	sk_problems_init(&d);
	if (!path) {
		/* SUPKIT_NO_BUILTIN_DIRS=1: no configuration from this host's
		 * configuration directory (docs/config.md). */
		switch (sk_builtin_dirs_ignored()) {
		case 0: path = SUPD_DEFAULT_CONF; break;
		case 1:
			fprintf(stderr, "supd: error: no --config given and %s is set: the default '%s' is not read\n",
				SK_NO_BUILTIN_DIRS_ENV, SUPD_DEFAULT_CONF);
			ret = SUPD_EXIT_CONFIG;
			goto out_problems;
		default:
			fprintf(stderr, "supd: error: environment variable %s: '%s' is not 0 or 1\n",
				SK_NO_BUILTIN_DIRS_ENV,
				secure_getenv(SK_NO_BUILTIN_DIRS_ENV));
			ret = SUPD_EXIT_CONFIG;
			goto out_problems;
		}
	}
	if (supd_conf_load(&conf, path, &d) != 0) {
		sk_problems_print(&d, "supd");
		fprintf(stderr, "supd: error: configuration '%s' refused; nothing was done\n",
			path);
		ret = SUPD_EXIT_CONFIG;
		goto out;
	}
	set_signals();
	ret = supd_agent_run(&conf, once, &stop);
out:
	supd_conf_release(&conf);
out_problems:
	sk_problems_release(&d);
	return ret;
}
