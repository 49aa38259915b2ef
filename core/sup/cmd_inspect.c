/* SPDX-License-Identifier: MIT */
/* cmd_inspect.c - sup inspect. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "supfile.h"

static const char help[] =
	"usage: sup inspect FILE.sup [--json]\n"
	"\n"
	"Show the package, its compatibility, payloads and actions, and verify\n"
	"every payload's size and sha256. Nothing is installed.\n"
	"\n"
	"options:\n"
	"  --json       print a JSON document instead of text\n"
	"  -h, --help   show this help\n"
	"\n"
	"exit codes: 0 the package is sound, 2 usage, 3 invalid or corrupt\n"
	"package, 6 system error.\n";

static void print_text(const struct sk_supfile *f, const struct sk_diag *d)
{
	const struct sk_manifest *m = &f->manifest;

	printf("file:         %s (%llu bytes)\n", f->path, f->file_size);
	if (f->verified)
		printf("sha256:       %s\n", f->sha256);
	if (f->manifest_ok) {
		printf("package:      %s %s\n", m->name, m->version);
		if (m->description)
			printf("description:  %s\n", m->description);
		printf("format:       %d\n", m->sup_format);
		printf("products:     ");
		if (!m->n_products)
			printf("any");
		for (size_t i = 0; i < m->n_products; i++)
			printf("%s%s", i ? ", " : "", m->products[i]);
		printf("\n");
		if (m->min_installer)
			printf("min_installer: %s\n", m->min_installer);
		printf("signature:    %s\n", f->has_signature ?
			"present (not verified by this version)" : "none");
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

static void print_json(const struct sk_supfile *f, const struct sk_diag *d)
{
	json_object *o = json_object_new_object(), *probs;

	json_object_object_add(o, "file", json_object_new_string(f->path));
	json_object_object_add(o, "size", json_object_new_int64(
		(int64_t)f->file_size));
	json_object_object_add(o, "sha256", f->verified ?
		json_object_new_string(f->sha256) : NULL);
	json_object_object_add(o, "verified",
			       json_object_new_boolean(f->verified));
	json_object_object_add(o, "signature",
			       json_object_new_boolean(f->has_signature));
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
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sk_limits lim;
	struct sk_supfile f;
	struct sk_diag d;
	bool json = false;
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': fputs(help, stdout); return 0;
		default:
			return cmd_usage_error("inspect", "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cmd_usage_error("inspect", "expected one SUP file");

	sk_limits_default(&lim);
	sk_diag_init(&d);
	sk_supfile_open(&f, argv[optind], &lim, &d);
	if (json)
		print_json(&f, &d);
	else if (f.fd >= 0 || f.manifest_ok)
		print_text(&f, &d);
	if (!sk_diag_empty(&d))
		sk_diag_print(&d, "sup");
	ret = f.verified && sk_diag_empty(&d) ? 0 : sk_diag_exit_code(&d);
	sk_supfile_close(&f);
	sk_diag_release(&d);
	return ret;
}
