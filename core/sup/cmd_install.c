/* SPDX-License-Identifier: MIT */
/* cmd_install.c - sup install. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "install/progress.h"
#include "install/runner.h"

/* More --plugin-dir options than this is not a real setup. */
#define MAX_PLUGIN_DIRS 32

static const char help[] =
	"usage: sup install FILE.sup [OPTIONS]\n"
	"       sup install --resume [OPTIONS]\n"
	"       sup install --abandon [OPTIONS]\n"
	"\n"
	"Verify FILE.sup completely (its signature against the keyring, format,\n"
	"manifest, every payload's size and sha256, compatibility, version,\n"
	"plugins, each action's check), then run\n"
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
	"  --keyring FILE      trust anchors to check the signature against\n"
	"                      (a host path; default: [trust] keyring)\n"
	"  --allow-downgrade   install a version older than the installed one\n"
	"                      (unless [trust] allow_downgrade = false; a lower\n"
	"                      security_version is refused always)\n"
	"  --dry-run           run the whole preflight, execute nothing\n"
	"  --json              print the final confirmation document on stdout\n"
	"  --record-rejection  write confirmation.json (result \"rejected\")\n"
	"                      also when preflight fails\n"
	"  --detach            after preflight, run the actions in a new session\n"
	"                      (log: LOGS_DIR/installer.log) and return at once\n"
	"  --job-id ID         record the campaign job ID in confirmation.json\n"
	"  --resume            continue the interrupted or suspended install, if\n"
	"                      any (finished actions are not run again); with\n"
	"                      none pending, exit 0\n"
	"  --abandon           close the pending install as failed (exit 0 if\n"
	"                      none is pending)\n"
	"  --progress-fd N     write progress as JSON lines (one event each:\n"
	"                      stage, action, bytes done and total, percent,\n"
	"                      result) to the open descriptor N\n"
	"  -q, --quiet         print errors only (and no live progress line)\n"
	"  -h, --help          show this help\n"
	"\n"
	"exit codes: 0 installed, 1 an action failed, 2 usage, 3 invalid,\n"
	"unsigned or untrusted package, 4 not installable here (product,\n"
	"downgrade, ...), 5 configuration, keyring or plugin problem,\n"
	"6 system error, 7 suspended (reboot or signal; resume with --resume),\n"
	"8 another installer is running or an install is pending.\n";

/* The install with its progress: a live line on a terminal (unless
 * quiet, or TERM=dumb), JSON events on progress_fd (-1: none). */
static int install(const struct sk_install_opts *o, int progress_fd)
{
	const char *term = getenv("TERM");
	bool line = !o->quiet && isatty(STDERR_FILENO) &&
		    !(term && strcmp(term, "dumb") == 0);
	int ret, err = sk_progress_open(progress_fd, line, o->quiet);

	if (err)
		fprintf(stderr, "sup: warning: no progress reports: %s\n",
			strerror(-err));
	ret = sk_install(o);
	sk_progress_finish(ret, o->dry_run);
	return ret;
}

int cmd_install(int argc, char **argv)
{
	enum { O_ROOT = 256, O_CONFIG, O_PLUGIN_DIR, O_PRODUCT, O_DRY,
	       O_JSON, O_RECORD, O_DETACH, O_JOB, O_RESUME, O_ABANDON,
	       O_KEYRING, O_DOWNGRADE, O_PROGRESS_FD };
	static const struct option opts[] = {
		{ "root", required_argument, NULL, O_ROOT },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "plugin-dir", required_argument, NULL, O_PLUGIN_DIR },
		{ "product", required_argument, NULL, O_PRODUCT },
		{ "keyring", required_argument, NULL, O_KEYRING },
		{ "allow-downgrade", no_argument, NULL, O_DOWNGRADE },
		{ "dry-run", no_argument, NULL, O_DRY },
		{ "json", no_argument, NULL, O_JSON },
		{ "record-rejection", no_argument, NULL, O_RECORD },
		{ "detach", no_argument, NULL, O_DETACH },
		{ "job-id", required_argument, NULL, O_JOB },
		{ "resume", no_argument, NULL, O_RESUME },
		{ "abandon", no_argument, NULL, O_ABANDON },
		{ "progress-fd", required_argument, NULL, O_PROGRESS_FD },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dirs[MAX_PLUGIN_DIRS];
	struct sk_install_opts o = { .plugin_dirs = dirs };
	int c, progress_fd = -1, err;

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
		case O_KEYRING: o.keyring = optarg; break;
		case O_DOWNGRADE: o.allow_downgrade = true; break;
		case O_DRY: o.dry_run = true; break;
		case O_JSON: o.json = true; break;
		case O_RECORD: o.record_rejection = true; break;
		case O_DETACH: o.detach = true; break;
		case O_JOB: o.job_id = optarg; break;
		case O_RESUME: o.mode = SK_MODE_RESUME; break;
		case O_ABANDON: o.mode = SK_MODE_ABANDON; break;
		case O_PROGRESS_FD:
			err = sk_progress_parse_fd(optarg, &progress_fd);
			if (err)
				return cmd_usage_error("install",
					"--progress-fd '%s': %s", optarg,
					err == -EINVAL ? "not a descriptor number" :
					err == -EBADF ? "not an open descriptor" :
							"not open for writing");
			break;
		case 'q': o.quiet = true; break;
		case 'h': fputs(help, stdout); return 0;
		default:
			return cmd_usage_error("install", "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (o.detach && o.json)
		return cmd_usage_error("install",
			"--json cannot be used with --detach");
	if (o.json && progress_fd == STDOUT_FILENO)
		return cmd_usage_error("install",
			"--progress-fd 1 cannot be used with --json (standard output carries the document)");
	if (o.mode != SK_MODE_INSTALL) {
		if (optind != argc)
			return cmd_usage_error("install",
				"--resume and --abandon take no SUP file");
		if (o.dry_run || o.record_rejection || o.json ||
		    o.n_plugin_dirs || o.job_id || o.keyring ||
		    o.allow_downgrade)
			return cmd_usage_error("install",
				"--resume and --abandon take no --dry-run, --json, --record-rejection, --plugin-dir, --job-id, --keyring or --allow-downgrade (the pending install was accepted with its own)");
		return install(&o, progress_fd);
	}
	if (optind != argc - 1)
		return cmd_usage_error("install",
			optind == argc ? "no SUP file given" :
					 "more than one SUP file given");
	o.sup_path = argv[optind];
	return install(&o, progress_fd);
}
