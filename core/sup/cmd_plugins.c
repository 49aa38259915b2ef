/* SPDX-License-Identifier: MIT */
/* cmd_plugins.c - sup plugins: what this gateway can run. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "cmd.h"
#include "install/env.h"

#define MAX_PLUGIN_DIRS 32

static const char help[] =
	"usage: sup plugins [--root DIR] [--config FILE] [--plugin-dir DIR]...\n"
	"                   [--product NAME] [--json]\n"
	"\n"
	"Load the plugins enabled for this gateway's product type, as\n"
	"'sup install' would, and list them with their action types.\n"
	"\n"
	"exit codes: 0 all loaded, 2 usage, 5 configuration or plugin problem.\n";

static void print_json(const struct sk_env *e)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < e->reg.n_plugins; i++) {
		const struct sk_plugin *p = &e->reg.plugins[i];
		json_object *o = json_object_new_object(), *types;

		json_object_object_add(o, "name", json_object_new_string(p->desc->name));
		json_object_object_add(o, "version", json_object_new_string(p->desc->version));
		json_object_object_add(o, "path", json_object_new_string(p->path));
		types = json_object_new_array();
		for (size_t t = 0; t < e->reg.n_types; t++)
			if (e->reg.types[t].plugin == p)
				json_object_array_add(types,
					json_object_new_string(e->reg.types[t].type));
		json_object_object_add(o, "types", types);
		json_object_array_add(arr, o);
	}
	printf("%s\n", json_object_to_json_string_ext(arr,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
}

static void print_text(const struct sk_env *e)
{
	printf("product: ");
	cmd_print_shown(e->cfg.product ? e->cfg.product : "(unknown)", "\n");
	for (size_t i = 0; i < e->reg.n_plugins; i++) {
		const struct sk_plugin *p = &e->reg.plugins[i];

		/* The loader checked the name and the types; the version and
		 * the path are any text. */
		printf("%s ", p->desc->name);
		cmd_print_shown(p->desc->version, "  ");
		cmd_print_shown(p->path, "\n");
		for (size_t t = 0; t < e->reg.n_types; t++) {
			const struct sk_action_type *at = &e->reg.types[t];

			if (at->plugin != p)
				continue;
			printf("  %-20s%s%s\n", at->type,
			       (at->ops.flags & SUP_ACTION_IDEMPOTENT) ?
				       " idempotent" : "",
			       (at->ops.flags & SUP_ACTION_AFFECTS_RUNTIME) ?
				       " affects-runtime" : "");
		}
	}
}

int cmd_plugins(int argc, char **argv)
{
	enum { O_ROOT = 256, O_CONFIG, O_PLUGIN_DIR, O_PRODUCT, O_JSON };
	static const struct option opts[] = {
		{ "root", required_argument, NULL, O_ROOT },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "plugin-dir", required_argument, NULL, O_PLUGIN_DIR },
		{ "product", required_argument, NULL, O_PRODUCT },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dirs[MAX_PLUGIN_DIRS];
	const char *root = NULL, *config = NULL, *product = NULL;
	size_t n_dirs = 0;
	bool json = false;
	struct sk_problems d;
	struct sk_env e;
	int c, ret = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_ROOT: root = optarg; break;
		case O_CONFIG: config = optarg; break;
		case O_PLUGIN_DIR:
			if (optarg[0] != '/' || n_dirs == MAX_PLUGIN_DIRS)
				return cmd_usage_error("plugins",
					"--plugin-dir '%s': not an absolute path, or too many",
					optarg);
			dirs[n_dirs++] = optarg;
			break;
		case O_PRODUCT: product = optarg; break;
		case O_JSON: json = true; break;
		case 'h': fputs(help, stdout); return 0;
		default:
			return cmd_usage_error("plugins", "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cmd_usage_error("plugins", "unexpected argument '%s'",
				       argv[optind]);
	sk_problems_init(&d);
	if (sk_env_open(&e, root, config, product, dirs, n_dirs, &d) != 0) {
		sk_problems_print(&d, "sup");
		ret = sk_problems_exit_code(&d);
	}
	if (json)
		print_json(&e);
	else
		print_text(&e);
	sk_env_close(&e);
	sk_problems_release(&d);
	return ret;
}
