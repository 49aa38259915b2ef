/* SPDX-License-Identifier: MIT */
/* show.c - text of any origin (a file, a plugin, a package) as the sup
 * commands print it on a terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "cmd.h"

void cmd_print_shown(const char *s, const char *sep)
{
	char *shown = sk_show_text(s, strlen(s));
	char fallback[SK_SHOW_MAX];

	printf("%s%s", shown ? shown : sk_show(s, strlen(s), fallback), sep);
	free(shown);
}
