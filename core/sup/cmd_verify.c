/* SPDX-License-Identifier: MIT */
/* cmd_verify.c - sup verify. */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "install/runner.h"
#include "package/supfile.h"

static const char help[] =
	"usage: sup verify FILE.sup [OPTIONS]\n"
	"\n"
	"Check FILE.sup as sup install does before anything runs: its signature\n"
	"against the keyring and the trust policy of [trust] in sup.conf, then\n"
	"the manifest and every payload's size and sha256. No plugin is loaded,\n"
	"nothing is installed.\n"
	"\n"
	"options:\n"
	"  --keyring FILE   trust anchors to check against (a host path;\n"
	"                   default: [trust] keyring under the root)\n"
	"  --root DIR       the gateway root whose configuration applies\n"
	"  --config FILE    main configuration (default: SYSCONFDIR/supkit/\n"
	"                   sup.conf under the root, if present)\n"
	"  -q, --quiet      print errors only\n"
	"  -h, --help       show this help\n"
	"\n"
	"exit codes: 0 verified, 2 usage, 3 unsigned, untrusted, invalid or\n"
	"corrupt package, 5 configuration or keyring problem, 6 system error.\n";

int cmd_verify(int argc, char **argv)
{
	enum { O_KEYRING = 256, O_ROOT, O_CONFIG };
	static const struct option opts[] = {
		{"keyring", required_argument, NULL, O_KEYRING},
		{"root", required_argument, NULL, O_ROOT},
		{"config", required_argument, NULL, O_CONFIG},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *keyring = NULL, *root = NULL, *config = NULL;
	struct cmd_trust ct;
	struct sk_supfile f;
	struct sk_problems d;
	bool quiet = false;
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case O_KEYRING: keyring = optarg; break;
		case O_ROOT: root = optarg; break;
		case O_CONFIG: config = optarg; break;
		case 'q': quiet = true; break;
		case 'h': fputs(help, stdout); return 0;
		default:
			return cmd_usage_error(
				"verify",
				"unknown option or missing value '%s'",
				argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cmd_usage_error("verify", "expected one SUP file");

	sk_problems_init(&d);
	if (cmd_trust_open(&ct, root, config, keyring, &d) == 0)
		sk_supfile_open(&f, argv[optind], NULL, &ct.trust,
				SK_SUPFILE_NO_STREAMS |
				(quiet ? SK_SUPFILE_QUIET : 0), NULL, &d);
	else
		sk_supfile_init(&f, argv[optind]);
	if (sk_problems_empty(&d) && f.verified) {
		const struct sk_sig_result *s = &f.sig_result;

		if (!quiet && s->status == SK_SIG_OK)
			printf("%s: verified: '%s' %s, signed by '%s' (key sha256 %s), %zu payload%s intact\n",
			       f.path, f.manifest.name, f.manifest.version,
			       s->signer.subject, s->signer.key_sha256,
			       f.manifest.n_payloads,
			       f.manifest.n_payloads == 1 ? "" : "s");
		else if (!quiet)
			printf("%s: verified: '%s' %s, unsigned (allowed by [trust] allow_unsigned), %zu payload%s intact\n",
			       f.path, f.manifest.name, f.manifest.version,
			       f.manifest.n_payloads,
			       f.manifest.n_payloads == 1 ? "" : "s");
		ret = 0;
	} else {
		sk_problems_print(&d, "sup");
		ret = sk_problems_empty(&d) ? SK_EXIT_SYSTEM
					    : sk_problems_exit_code(&d);
	}
	sk_supfile_close(&f);
	cmd_trust_close(&ct);
	sk_problems_release(&d);
	return ret;
}
