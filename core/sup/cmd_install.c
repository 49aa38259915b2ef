/* SPDX-License-Identifier: MIT */
/* cmd_install.c - sup install. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "runner.h"

/* More --plugin-dir options than this is not a real setup. */
#define MAX_PLUGIN_DIRS 32

static const char help[] =
	"usage: sup install FILE.sup [OPTIONS]\n"
	"\n"
	"Verify FILE.sup completely (format, manifest, every payload's size\n"
	"and sha256, compatibility, plugins, each action's check), then run\n"
	"its actions in order and record each result in confirmation.json.\n"
	"A package that fails preflight changes nothing.\n"
	"\n"
	"options:\n"
	"  --root DIR          install under DIR instead of / (every gateway\n"
	"                      path: targets, logs, state)\n"
	"  --config FILE       main configuration (default: SYSCONFDIR/supkit/\n"
	"                      sup.conf under the root, if present)\n"
	"  --plugin-dir DIR    also load plugins from DIR (absolute; may be\n"
	"                      repeated; searched before configured ones)\n"
	"  --product NAME      this gateway's product type (overrides config)\n"
	"  --dry-run           run the whole preflight, execute nothing\n"
	"  --json              print the final confirmation document on stdout\n"
	"  --record-rejection  write confirmation.json (result \"rejected\")\n"
	"                      also when preflight fails\n"
	"  -q, --quiet         print errors only\n"
	"  -h, --help          show this help\n"
	"\n"
	"exit codes: 0 installed, 1 an action failed, 2 usage, 3 invalid\n"
	"package, 4 not installable here, 5 configuration or plugin problem,\n"
	"6 system error.\n";

int cmd_install(int argc, char **argv)
{
	enum { O_ROOT = 256, O_CONFIG, O_PLUGIN_DIR, O_PRODUCT, O_DRY,
	       O_JSON, O_RECORD };
	static const struct option opts[] = {
		{ "root", required_argument, NULL, O_ROOT },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "plugin-dir", required_argument, NULL, O_PLUGIN_DIR },
		{ "product", required_argument, NULL, O_PRODUCT },
		{ "dry-run", no_argument, NULL, O_DRY },
		{ "json", no_argument, NULL, O_JSON },
		{ "record-rejection", no_argument, NULL, O_RECORD },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dirs[MAX_PLUGIN_DIRS];
	struct sk_install_opts o = { .plugin_dirs = dirs };
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case O_ROOT: o.root = optarg; break;
		case O_CONFIG: o.config_path = optarg; break;
		case O_PLUGIN_DIR:
			if (optarg[0] != '/')
				return cmd_usage_error("install",
					"--plugin-dir '%s' is not an absolute path",
					optarg);
			if (o.n_plugin_dirs == MAX_PLUGIN_DIRS)
				return cmd_usage_error("install",
					"more than %d --plugin-dir options",
					MAX_PLUGIN_DIRS);
			dirs[o.n_plugin_dirs++] = optarg;
			break;
		case O_PRODUCT: o.product = optarg; break;
		case O_DRY: o.dry_run = true; break;
		case O_JSON: o.json = true; break;
		case O_RECORD: o.record_rejection = true; break;
		case 'q': o.quiet = true; break;
		case 'h': fputs(help, stdout); return 0;
		default:
			return cmd_usage_error("install", "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cmd_usage_error("install",
			optind == argc ? "no SUP file given" :
					 "more than one SUP file given");
	o.sup_path = argv[optind];
	return sk_install(&o);
}
