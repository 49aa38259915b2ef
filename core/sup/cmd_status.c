/* SPDX-License-Identifier: MIT */
/* cmd_status.c - sup status: what is installed, whether an install runs
 * or is pending, and the last result. */
#include <getopt.h>
#include <stdarg.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "cmd.h"
#include "record/confirm.h"
#include "status.h"

static const char help[] =
	"usage: sup status [--root DIR] [--config FILE] [--json]\n"
	"\n"
	"Show what is installed on this gateway (from installed.json, else\n"
	"from the last record), whether an install is running (an installer\n"
	"holds the lock) or pending ('sup install --resume' continues it),\n"
	"and the result of the last install (confirmation.json). It only\n"
	"reads: it is safe to run beside an installer.\n"
	"\n"
	"options:\n"
	"  --root DIR     the gateway lives under DIR instead of /\n"
	"  --config FILE  main configuration (default: SYSCONFDIR/supkit/\n"
	"                 sup.conf under the root, if present)\n"
	"  --json         print one JSON object instead of text\n"
	"  -h, --help     show this help\n"
	"\n"
	"exit codes: 0 shown, 2 usage, 5 configuration problem, or a state\n"
	"file or directory that is damaged or unsafe, 6 system error.\n";

static json_object *get(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* A string member, or dflt. */
static const char *str(json_object *o, const char *key, const char *dflt)
{
	const char *s = sk_confirm_str(o, key);

	return s ? s : dflt;
}

/* A member as text (a number, say), or "?". */
static const char *num(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v ? json_object_get_string(v) : "?";
}

/* Print "LABEL TEXT" (TEXT built from fmt, escaped for the terminal). */
static void line(const char *label, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void line(const char *label, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = sk_vasprintf(fmt, ap);
	va_end(ap);
	printf("%-13s", label);
	cmd_print_shown(text ? text : "(out of memory)", "\n");
	free(text);
}

static void print_installed(json_object *doc)
{
	json_object *arr = get(doc, "installed");
	const char *from = str(doc, "installed_from", "");
	const char *note = "";
	size_t n = 0;

	if (json_object_is_type(arr, json_type_array))
		n = json_object_array_length(arr);
	if (strcmp(from, SK_CONFIRM_NAME) == 0)
		note = " from confirmation.json: there is no installed.json";
	if (!arr)
		line("installed:", "unknown");
	else if (n == 0)
		line("installed:", "nothing");
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(arr, i);

		line(i ? "" : "installed:", "%s %s (security_version %s, %s)%s",
		     str(p, "name", "?"), str(p, "version", "?"),
		     num(p, "security_version"), str(p, "installed_at", "?"),
		     note);
	}
}

/* "pid N, WHAT" as the holder wrote it: WHAT. */
static const char *holder_what(const char *holder)
{
	const char *comma = strstr(holder, ", ");

	return strncmp(holder, "pid ", 4) == 0 && comma ? comma + 2 : holder;
}

static void print_state(json_object *doc)
{
	const char *state = str(doc, "state", "unknown");
	json_object *run = get(doc, "running"), *p = get(doc, "pending");
	json_object *next = get(p, "next_action");
	const char *reason = str(p, "reason", NULL);
	const char *holder = str(run, "holder", NULL);

	if (run) {
		line("state:", "running (pid %s)",
		     get(run, "pid") ? num(run, "pid") : "unknown");
		if (holder)
			line("installer:", "%s", holder_what(holder));
	} else if (p) {
		/* "suspended" here, and why on a line of its own. */
		const char *how = reason;

		if (reason && strcmp(str(p, "result", ""), "suspended") == 0)
			how = "suspended";
		line("state:", "pending: %s%s%s%s%s",
		     str(p, "name", str(p, "sup", "?")),
		     get(p, "version") ? " " : "", str(p, "version", ""),
		     how ? ", " : "", how ? how : "");
		if (reason && strcmp(reason, "interrupted") != 0)
			line("", "suspended by: %s", reason);
	} else {
		line("state:", "%s", state);
	}
	if (p && !run && next)
		line("next action:", "%s/%s %s (%s, %s)", num(next, "number"),
		     num(next, "total"), str(next, "id", "?"),
		     str(next, "type", "?"), str(next, "status", "?"));
	if (p && !run)
		line("",
		     "'sup install --resume' continues it, 'sup install --abandon' closes it");
}

static void print_last(json_object *doc)
{
	json_object *last = get(doc, "last"), *err = get(last, "error");
	const char *when = str(last, "finished", NULL);

	if (!last) {
		line("last result:", "none");
		return;
	}
	line("last result:", "%s %s %s%s%s%s%s", str(last, "name", "?"),
	     str(last, "version", "?"), str(last, "result", "?"),
	     err ? ": " : "", err ? str(err, "code", "?") : "", err ? ": " : "",
	     err ? str(err, "message", "") : "");
	line("", "%s %s", when ? "finished" : "started",
	     when ? when : str(last, "started", "?"));
	line("record:", "%s", str(last, "record", "?"));
}

int cmd_status(int argc, char **argv)
{
	enum { O_ROOT = 256, O_CONFIG, O_JSON };
	static const struct option opts[] = {
		{"root", required_argument, NULL, O_ROOT},
		{"config", required_argument, NULL, O_CONFIG},
		{"json", no_argument, NULL, O_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *root = NULL, *config = NULL;
	bool json = false;
	struct sk_problems d;
	json_object *doc;
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case O_ROOT: root = optarg; break;
		case O_CONFIG: config = optarg; break;
		case O_JSON: json = true; break;
		case 'h': fputs(help, stdout); return 0;
		case ':':
			return cmd_usage_error("status",
					       "option '%s' needs a value",
					       argv[optind - 1]);
		default:
			return cmd_usage_error("status", "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cmd_usage_error("status", "unexpected argument '%s'",
				       argv[optind]);
	sk_problems_init(&d);
	if (sk_status_read(root, config, &doc, &d) != 0)
		sk_problems_add(&d, SK_PROBLEM_SYSTEM, "out of memory");
	sk_problems_print(&d, "sup");
	ret = sk_problems_exit_code(&d);
	if (doc && json) {
		printf("%s\n",
		       json_object_to_json_string_ext(
			       doc, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	} else if (doc) {
		print_installed(doc);
		print_state(doc);
		print_last(doc);
	}
	json_object_put(doc);
	sk_problems_release(&d);
	return ret;
}
