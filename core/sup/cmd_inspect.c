/* SPDX-License-Identifier: MIT */
/* cmd_inspect.c - sup inspect. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/util.h"
#include "cmd.h"
#include "package/supfile.h"
#include "record/confirm.h"
#include "verify/keyring.h"

static const char help[] =
	"usage: sup inspect FILE.sup [OPTIONS]\n"
	"\n"
	"Show the package, its signer, compatibility, payloads and actions;\n"
	"check its signature against the keyring (when one is configured or\n"
	"given) and every payload's size and sha256. Nothing is installed.\n"
	"Everything is shown even when the signature is refused.\n"
	"\n"
	"options:\n"
	"  --json           print a JSON document instead of text\n"
	"  --keyring FILE   check the signature against these anchors (a host\n"
	"                   path; without it: [trust] keyring under the root,\n"
	"                   if it exists, else the signature is only shown)\n"
	"  --root DIR       the gateway root whose configuration applies\n"
	"  --config FILE    main configuration (default: SYSCONFDIR/supkit/\n"
	"                   sup.conf under the root, if present)\n"
	"  -h, --help       show this help\n"
	"\n"
	"exit codes: 0 the package is sound (and its signature accepted, when\n"
	"checked), 2 usage, 3 invalid, corrupt, unsigned or untrusted package,\n"
	"5 configuration or keyring problem, 6 system error.\n";

static const char *utc(time_t t, char buf[32])
{
	if (t <= 0 || !sk_utc_format(t, buf))
		snprintf(buf, 32, "-");
	return buf;
}

static void print_signature(const struct sk_supfile *f, const char *why)
{
	const struct sk_sig_result *r = &f->sig_result;
	char a[32], b[32];

	if (!f->has_signature && r->status == SK_SIG_UNSIGNED)
		printf("signature:    none (unsigned)\n");
	else if (r->status == SK_SIG_OK)
		printf("signature:    verified\n");
	else if (r->status == SK_SIG_NOT_CHECKED)
		printf("signature:    present, not checked (%s)\n",
		       why ? why : "no keyring");
	else
		printf("signature:    REFUSED: %s\n",
		       r->reason ? r->reason : sk_sig_status_name(r->status));
	if (!r->has_signer)
		return;
	printf("  signer:     %s\n", r->signer.subject);
	printf("  issuer:     %s\n", r->signer.issuer);
	printf("  key:        %s, sha256 %s\n", r->signer.key,
	       r->signer.key_sha256);
	printf("  cert:       serial %s, sha256 %s\n", r->signer.serial,
	       r->signer.cert_sha256);
	printf("  valid:      %s to %s\n", utc(r->signer.not_before, a),
	       utc(r->signer.not_after, b));
	if (r->signing_time)
		printf("  signed at:  %s\n", utc(r->signing_time, a));
	if (r->checked_at)
		printf("  checked at: %s\n", utc(r->checked_at, a));
}

static void print_text(const struct sk_supfile *f, const char *why,
		       const struct sk_problems *d)
{
	const struct sk_manifest *m = &f->manifest;
	char shown[SK_SHOW_MAX];

	printf("file:         %s (%llu bytes)\n", f->path, f->file_size);
	if (f->payloads_ok)
		printf("sha256:       %s\n", f->sha256);
	if (f->manifest_text)
		print_signature(f, why);
	if (f->manifest_ok) {
		printf("package:      %s %s\n", m->name, m->version);
		/* Any text: no control sequence reaches the terminal. */
		if (m->description)
			printf("description:  %s\n",
			       sk_show(m->description, strlen(m->description),
				       shown));
		printf("format:       %d\n", m->sup_format);
		printf("products:     ");
		if (!m->n_products)
			printf("any");
		for (size_t i = 0; i < m->n_products; i++)
			printf("%s%s", i ? ", " : "", m->products[i]);
		printf("\n");
		if (m->min_installer)
			printf("min_installer: %s\n", m->min_installer);
		printf("payloads:     %zu\n", m->n_payloads);
		for (size_t i = 0; i < m->n_payloads; i++)
			printf("  %-24s %12llu  %s\n", m->payloads[i].name,
			       m->payloads[i].size, m->payloads[i].sha256);
		printf("actions:      %zu\n", m->n_actions);
		for (size_t i = 0; i < m->n_actions; i++) {
			const struct sk_action_decl *a = &m->actions[i];

			printf("  %zu. %-20s %-16s on_error=%s", i + 1, a->id,
			       a->type, a->on_error == SK_ON_ERROR_CONTINUE ?
					 "continue" : "abort");
			if (a->timeout_s)
				printf(" timeout=%lus", a->timeout_s);
			for (size_t k = 0; k < a->n_payloads; k++)
				printf("%s%s", k ? ", " : " payloads: ",
				       m->payloads[a->payloads[k]].name);
			printf("\n");
		}
	}
	printf("verification: %s\n", f->verified ? "ok" : "FAILED");
	for (size_t i = 0; i < d->count; i++)
		printf("  %s\n", d->items[i].msg);
}

static void print_json(const struct sk_supfile *f, const char *keyring,
		       const char *why, const struct sk_problems *d)
{
	json_object *o = json_object_new_object(), *probs, *sig;

	json_object_object_add(o, "file", json_object_new_string(f->path));
	json_object_object_add(o, "size", json_object_new_int64(
		(int64_t)f->file_size));
	json_object_object_add(o, "sha256", f->payloads_ok ?
		json_object_new_string(f->sha256) : NULL);
	json_object_object_add(o, "verified",
			       json_object_new_boolean(f->verified));
	sig = f->manifest_text ? sk_confirm_signature_json(f) : NULL;
	if (sig) {
		json_object_object_add(sig, "present",
				       json_object_new_boolean(f->has_signature));
		json_object_object_add(sig, "keyring",
				       keyring ? json_object_new_string(keyring) :
						 NULL);
		if (why && f->sig_result.status == SK_SIG_NOT_CHECKED)
			json_object_object_add(sig, "reason",
					       json_object_new_string(why));
	}
	json_object_object_add(o, "signature", sig);
	probs = json_object_new_array();
	for (size_t i = 0; i < d->count; i++)
		json_object_array_add(probs,
			json_object_new_string(d->items[i].msg));
	json_object_object_add(o, "problems", probs);
	json_object_object_add(o, "manifest", f->manifest_ok ?
		json_object_get(f->manifest.root) : NULL);
	printf("%s\n", json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE |
		JSON_C_TO_STRING_SPACED));
	json_object_put(o);
}

int cmd_inspect(int argc, char **argv)
{
	enum { O_KEYRING = 256, O_ROOT, O_CONFIG };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "keyring", required_argument, NULL, O_KEYRING },
		{ "root", required_argument, NULL, O_ROOT },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *keyring = NULL, *root = NULL, *config = NULL;
	const char *why = NULL;
	struct cmd_trust ct;
	struct sk_limits lim;
	struct sk_supfile f;
	struct sk_problems d, td;
	bool json = false;
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case O_KEYRING: keyring = optarg; break;
		case O_ROOT: root = optarg; break;
		case O_CONFIG: config = optarg; break;
		case 'h': fputs(help, stdout); return 0;
		default:
			return cmd_usage_error("inspect", "unknown option or missing value '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cmd_usage_error("inspect", "expected one SUP file");

	sk_limits_default(&lim);
	sk_problems_init(&d);
	sk_problems_init(&td);
	/* A keyring, configuration or root asked for must load; without
	 * any, the configured keyring is used when it is there, and its
	 * absence only means "not checked" (inspect also runs on build
	 * machines). */
	cmd_trust_open(&ct, root, config, keyring,
		       keyring || config || root ? &d : &td);
	if (!ct.ok && !sk_problems_empty(&td))
		why = td.items[0].msg;
	if (sk_problems_empty(&d))
		sk_supfile_open(&f, argv[optind], &lim, ct.ok ? &ct.trust : NULL,
				SK_SUPFILE_READ_ON | SK_SUPFILE_QUIET |
				SK_SUPFILE_NO_STREAMS, NULL, &d);
	else
		sk_supfile_init(&f, argv[optind]);
	if (json)
		print_json(&f, ct.ok ? sk_keyring_path(ct.trust.keyring) : NULL,
			   why, &d);
	else if (f.fd >= 0 || f.manifest_ok)
		print_text(&f, why, &d);
	if (!sk_problems_empty(&d))
		sk_problems_print(&d, "sup");
	ret = f.payloads_ok && sk_problems_empty(&d)
		      ? 0
		      : sk_problems_exit_code(&d);
	if (ret == 0 && !f.payloads_ok)
		ret = 6;
	sk_supfile_close(&f);
	cmd_trust_close(&ct);
	sk_problems_release(&td);
	sk_problems_release(&d);
	return ret;
}
