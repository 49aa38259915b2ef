/* SPDX-License-Identifier: MIT */
/* cmd_sign.c - sup sign. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "package/sign.h"
#include "verify/signature.h"

static const char help[] =
	"usage: sup sign FILE.sup --key KEY.pem --cert CERT.pem [OPTIONS]\n"
	"       sup sign FILE.sup --signature SIG.der [-o OUT.sup]\n"
	"\n"
	"Sign FILE.sup, or sign it again with another key: check it whole\n"
	"(manifest, every payload's size and sha256), then write it with a new\n"
	"manifest.sig, a detached CMS signature over its manifest.json; any old\n"
	"signature is dropped. The manifest and the payloads are copied byte for\n"
	"byte; the output is an uncompressed pax tar, written atomically (FILE.sup\n"
	"itself without -o). The signing time is SOURCE_DATE_EPOCH when set,\n"
	"else now (never before the certificate's notBefore).\n"
	"\n"
	"options:\n"
	"  --key FILE     the signer's private key (PEM; ECDSA P-256/P-384 or\n"
	"                 RSA of 2048 bits or more)\n"
	"  --cert FILE    its certificate (PEM)\n"
	"  --chain FILE   intermediate certificates to embed (PEM)\n"
	"  --pss          sign RSA with PSS instead of PKCS#1 v1.5\n"
	"  --signature FILE  put in this DER signature of manifest.json, made\n"
	"                 elsewhere (openssl cms with an HSM); it must match\n"
	"                 the manifest\n"
	"  -o, --output FILE  write here instead of replacing FILE.sup\n"
	"  -h, --help     show this help\n"
	"\n"
	"exit codes: 0 written, 2 usage, 3 invalid or corrupt package, 5 key\n"
	"or certificate problem, 6 system error.\n";

/* The whole signature file (at most SK_SIGNATURE_MAX_BYTES); d says why
 * not. */
static void read_signature(const char *path, unsigned char **sig, size_t *len,
			   struct sk_problems *d)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf = malloc(SK_SIGNATURE_MAX_BYTES + 1);
	size_t n = 0;

	if (!fp) {
		sk_problems_add(d, SK_PROBLEM_SETUP, "signature '%s': %s", path,
				strerror(errno));
		goto out;
	}
	if (!buf) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		goto out;
	}
	n = fread(buf, 1, SK_SIGNATURE_MAX_BYTES + 1, fp);
	if (ferror(fp) || n == 0 || n > SK_SIGNATURE_MAX_BYTES) {
		sk_problems_add(d, SK_PROBLEM_SETUP,
				"signature '%s' is not a file of 1 to %d bytes",
				path, SK_SIGNATURE_MAX_BYTES);
		goto out;
	}
	*sig = buf;
	*len = n;
	buf = NULL;
out:
	if (fp)
		fclose(fp);
	free(buf);
}

int cmd_sign(int argc, char **argv)
{
	enum { O_KEY = 256, O_CERT, O_CHAIN, O_PSS, O_SIG };
	static const struct option opts[] = {
		{"key", required_argument, NULL, O_KEY},
		{"cert", required_argument, NULL, O_CERT},
		{"chain", required_argument, NULL, O_CHAIN},
		{"pss", no_argument, NULL, O_PSS},
		{"signature", required_argument, NULL, O_SIG},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *key = NULL, *cert = NULL, *chain = NULL, *out = NULL;
	const char *sigfile = NULL;
	unsigned char *sig = NULL;
	size_t sig_len = 0;
	struct sk_signer *s = NULL;
	struct sk_problems d;
	bool pss = false;
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case O_KEY: key = optarg; break;
		case O_CERT: cert = optarg; break;
		case O_CHAIN: chain = optarg; break;
		case O_PSS: pss = true; break;
		case O_SIG: sigfile = optarg; break;
		case 'o': out = optarg; break;
		case 'h': fputs(help, stdout); return 0;
		default:
			return cmd_usage_error(
				"sign", "unknown option or missing value '%s'",
				argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cmd_usage_error("sign", "expected one SUP file");
	if (sigfile && (key || cert || chain || pss))
		return cmd_usage_error(
			"sign",
			"--signature takes no --key, --cert, --chain or --pss");
	if (!sigfile && (!key || !cert))
		return cmd_usage_error(
			"sign",
			"--key and --cert (or --signature) are required");

	sk_problems_init(&d);
	if (sigfile)
		read_signature(sigfile, &sig, &sig_len, &d);
	else if ((s = sk_signer_load(key, cert, chain, pss, &d)))
		cmd_warn_signer(s);
	if ((s || sig) &&
	    sk_sign_package(argv[optind], out ? out : argv[optind], s, sig,
			    sig_len, &d) == 0) {
		if (s)
			fprintf(stderr,
				"sup: signed '%s' as '%s' (key sha256 %s)\n",
				out ? out : argv[optind],
				sk_signer_cert(s)->subject,
				sk_signer_cert(s)->key_sha256);
		else
			fprintf(stderr,
				"sup: wrote '%s' with the signature '%s'\n",
				out ? out : argv[optind], sigfile);
		ret = 0;
	} else {
		sk_problems_print(&d, "sup");
		ret = sk_problems_exit_code(&d);
	}
	sk_signer_free(s);
	free(sig);
	sk_problems_release(&d);
	return ret;
}
