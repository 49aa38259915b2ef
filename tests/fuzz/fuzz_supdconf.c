/* SPDX-License-Identifier: MIT */
/*
 * fuzz_supdconf.c - supd.conf, the campaign agent's configuration
 * (supd_conf_load(): agentconf.c on inifile.c and libinih).
 *
 * Input: the file, written with mode 0600 (a file others can read or
 * change is refused whatever it holds).
 *
 * The app token never goes into a message (agentconf.c): a token that was
 * accepted, and that cannot be mistaken for anything else in the input,
 * the file name or the fixed text of a message, must not appear in any
 * problem reported. Seeing it is a finding (abort).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentconf.h"
#include "base/problems.h"
#include "fuzzutil.h"

static char *conf_path;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	conf_path = fz_join(fz_tmpdir(), "supd.conf");
	return 0;
}

/* A token no message can contain by chance: 10 bytes or more, with
 * three digits and three letters at least, found once in the input and
 * not in the file name. */
static int distinctive(const char *tok, const uint8_t *data, size_t size)
{
	size_t len = strlen(tok), digits = 0, letters = 0, seen = 0;

	for (const char *s = tok; *s; s++) {
		digits += isdigit((unsigned char)*s) != 0;
		letters += isalpha((unsigned char)*s) != 0;
	}
	if (len < 10 || digits < 3 || letters < 3 || strstr(conf_path, tok))
		return 0;
	for (size_t i = 0; i + len <= size; i++)
		seen += memcmp(data + i, tok, len) == 0;
	return seen == 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct supd_conf c;
	struct sk_problems d;
	int r;

	fz_write(conf_path, data, size, 0600);
	sk_problems_init(&d);
	r = supd_conf_load(&c, conf_path, &d);
	if (r != 0 && sk_problems_empty(&d))
		abort(); /* refused without saying why */
	if (r == 0 && (!c.endpoint || !c.app_id || !c.app_token ||
		       !c.thing_key || c.poll_interval_s < 1 ||
		       c.max_backoff_s < c.poll_interval_s))
		abort(); /* accepted without what it needs */
	for (size_t i = 0; i < c.n_plugin_dirs; i++)
		if (c.plugin_dirs[i][0] != '/')
			abort();
	if (c.app_token && distinctive(c.app_token, data, size)) {
		for (size_t i = 0; i < d.count; i++) {
			if (strstr(d.items[i].msg, c.app_token)) {
				fprintf(stderr, "finding: the app token is in a message: %s\n",
					d.items[i].msg);
				abort();
			}
		}
	}
	supd_conf_release(&c);
	sk_problems_release(&d);
	return 0;
}
