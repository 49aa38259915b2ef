/* SPDX-License-Identifier: MIT */
/* cmd_pack.c - sup pack. */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "package/pack.h"
#include "verify/signature.h"

static const char help[] =
	"usage: sup pack -m MANIFEST -C PAYLOAD_DIR -o OUT.sup\n"
	"                [--key KEY.pem --cert CERT.pem [--chain CHAIN.pem] [--pss]]\n"
	"\n"
	"Build a SUP (pax tar): manifest.json first, then every payload named\n"
	"by the actions, read from PAYLOAD_DIR, in the order the actions first\n"
	"use them. The input manifest may leave out the \"payloads\" table:\n"
	"sizes and sha256 are filled in from the files; where it gives them,\n"
	"they must match. Identical inputs give byte-identical output (mtime\n"
	"from SOURCE_DATE_EPOCH, or 0). OUT.sup is written atomically.\n"
	"With --key and --cert the packed manifest is signed (manifest.sig, see\n"
	"sup sign); an RSA PKCS#1 v1.5 signature is then byte-identical too\n"
	"(signing time SOURCE_DATE_EPOCH), ECDSA and PSS ones are randomised.\n"
	"\n"
	"options:\n"
	"  -m, --manifest FILE   input manifest (JSON)\n"
	"  -C, --payloads DIR    directory holding the payload files\n"
	"  -o, --output FILE     the SUP to write\n"
	"  --key FILE            sign with this private key (PEM)\n"
	"  --cert FILE           the signer's certificate (PEM)\n"
	"  --chain FILE          intermediate certificates to embed (PEM)\n"
	"  --pss                 sign RSA with PSS instead of PKCS#1 v1.5\n"
	"  -h, --help            show this help\n"
	"\n"
	"exit codes: 0 written, 2 usage, 3 invalid manifest or payloads,\n"
	"5 key or certificate problem, 6 system error.\n";

int cmd_pack(int argc, char **argv)
{
	enum { O_KEY = 256, O_CERT, O_CHAIN, O_PSS };
	static const struct option opts[] = {
		{ "key", required_argument, NULL, O_KEY },
		{ "cert", required_argument, NULL, O_CERT },
		{ "chain", required_argument, NULL, O_CHAIN },
		{ "pss", no_argument, NULL, O_PSS },
		{ "manifest", required_argument, NULL, 'm' },
		{ "payloads", required_argument, NULL, 'C' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sk_limits lim;
	struct sk_pack_opts o = { .limits = &lim };
	const char *key = NULL, *cert = NULL, *chain = NULL;
	struct sk_signer *signer = NULL;
	struct sk_problems d;
	bool pss = false;
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "m:C:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': o.manifest_path = optarg; break;
		case 'C': o.payload_dir = optarg; break;
		case 'o': o.output = optarg; break;
		case O_KEY: key = optarg; break;
		case O_CERT: cert = optarg; break;
		case O_CHAIN: chain = optarg; break;
		case O_PSS: pss = true; break;
		case 'h': fputs(help, stdout); return 0;
		default:
			return cmd_usage_error("pack", "unknown option or missing value '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cmd_usage_error("pack", "unexpected argument '%s'",
				       argv[optind]);
	if (!o.manifest_path || !o.payload_dir || !o.output)
		return cmd_usage_error("pack", "-m, -C and -o are all required");
	if (!key != !cert)
		return cmd_usage_error("pack", "--key and --cert go together");
	if (!key && (chain || pss))
		return cmd_usage_error("pack", "--chain and --pss need --key and --cert");

	sk_limits_default(&lim);
	sk_problems_init(&d);
	if (key && !(signer = sk_signer_load(key, cert, chain, pss, &d))) {
		sk_problems_print(&d, "sup");
		ret = sk_problems_exit_code(&d);
		goto out;
	}
	if (signer)
		cmd_warn_signer(signer);
	o.signer = signer;
	if (sk_pack(&o, &d) == 0) {
		fprintf(stderr, "sup: wrote '%s'\n", o.output);
		ret = 0;
	} else {
		sk_problems_print(&d, "sup");
		ret = sk_problems_exit_code(&d);
	}
out:
	sk_signer_free(signer);
	sk_problems_release(&d);
	return ret;
}
