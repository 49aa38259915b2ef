/* SPDX-License-Identifier: MIT */
/* cmd_diag.c - sup diag: a diagnostic bundle for support. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bundle.h"
#include "cmd.h"
#include "install/runner.h"

#define MAX_PLUGIN_DIRS 32

static const char help[] =
	"usage: sup diag -o FILE.tar.gz [--root DIR] [--config FILE]\n"
	"                [--plugin-dir DIR]... [--supd-config FILE]\n"
	"\n"
	"Collect what support needs to understand this gateway into one\n"
	"gzip-compressed pax archive: the logs directory (confirmation.json,\n"
	"audit.jsonl, installer.log and every other regular file, the last\n"
	"16 MiB of a bigger one), the main configuration, the product profile\n"
	"and the supd configuration with secret values redacted, the loaded\n"
	"plugins (plugins.json), system information (system.json) and an\n"
	"index (MANIFEST.txt). An item that cannot be read is named in\n"
	"MANIFEST.txt and does not stop the bundle.\n"
	"\n"
	"Values of keys whose name contains token, secret, password, passwd,\n"
	"key (but not thing_key) or credential are written as \"<redacted>\",\n"
	"and so are passwords in URLs. Comments are left out. Other values,\n"
	"and the logs, are copied as they are: read the bundle before you\n"
	"send it.\n"
	"\n"
	"options:\n"
	"  -o, --output FILE   the bundle to write (replaced atomically;\n"
	"                      readable by its owner only)\n"
	"  --root DIR          the gateway lives under DIR instead of /\n"
	"  --config FILE       main configuration (default: SYSCONFDIR/supkit/\n"
	"                      sup.conf under the root, if present)\n"
	"  --plugin-dir DIR    also load plugins from DIR (absolute; may be\n"
	"                      repeated)\n"
	"  --supd-config FILE  supd configuration, a host path (default:\n"
	"                      SYSCONFDIR/supkit/supd.conf, if present)\n"
	"  -h, --help          show this help\n"
	"\n"
	"exit codes: 0 written, 2 usage, 6 the bundle could not be written.\n";

int cmd_diag(int argc, char **argv)
{
	enum { O_ROOT = 256, O_CONFIG, O_PLUGIN_DIR, O_SUPD_CONFIG };
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "root", required_argument, NULL, O_ROOT },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "plugin-dir", required_argument, NULL, O_PLUGIN_DIR },
		{ "supd-config", required_argument, NULL, O_SUPD_CONFIG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dirs[MAX_PLUGIN_DIRS];
	struct sk_bundle_opts o = { .plugin_dirs = dirs };
	struct sk_problems d;
	int c, ret = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': o.output = optarg; break;
		case O_ROOT: o.root = optarg; break;
		case O_CONFIG: o.config = optarg; break;
		case O_PLUGIN_DIR:
			if (optarg[0] != '/' ||
			    o.n_plugin_dirs == MAX_PLUGIN_DIRS)
				return cmd_usage_error("diag",
					"--plugin-dir '%s': not an absolute path, or too many",
					optarg);
			dirs[o.n_plugin_dirs++] = optarg;
			break;
		case O_SUPD_CONFIG: o.supd_config = optarg; break;
		case 'h': fputs(help, stdout); return 0;
		case ':':
			return cmd_usage_error("diag",
					       "option '%s' needs a value",
					       argv[optind - 1]);
		default:
			return cmd_usage_error("diag", "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cmd_usage_error("diag", "unexpected argument '%s'",
				       argv[optind]);
	if (!o.output || !*o.output)
		return cmd_usage_error("diag",
				       "no output file: give -o FILE.tar.gz");
	sk_problems_init(&d);
	if (sk_bundle_write(&o, &d) != 0) {
		sk_problems_print(&d, "sup");
		ret = SK_EXIT_SYSTEM;
	} else {
		fprintf(stderr, "sup: wrote '%s'\n", o.output);
	}
	sk_problems_release(&d);
	return ret;
}
