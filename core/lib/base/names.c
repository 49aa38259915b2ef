/* SPDX-License-Identifier: MIT */
/* names.c - the rules for plugin names and action types. */
#include "base/names.h"

#include <string.h>

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '-';
}

bool sk_plugin_name_valid(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!name_char(*s))
			return false;
	return true;
}

bool sk_action_type_valid(const char *s)
{
	size_t seg = 0, dots = 0;

	for (; *s; s++) {
		if (*s == '.') {
			if (seg == 0)
				return false;
			dots++;
			seg = 0;
		} else if (name_char(*s)) {
			seg++;
		} else {
			return false;
		}
	}
	return dots > 0 && seg > 0;
}
