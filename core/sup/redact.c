/* SPDX-License-Identifier: MIT */
/* redact.c - a configuration file as sup diag shows it: re-emitted from
 * what libinih parsed, secret values redacted (docs/cli.md, "sup diag"). */
#include "redact.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>
#include <uriparser/Uri.h>

#include "base/util.h"

#define REDACTED "<redacted>"

static bool secret_name(const char *name)
{
	static const char *const words[] = {
		"token", "secret", "password", "passwd", "key", "credential",
	};

	/* Names that hold no secret although they contain a word above:
	 * the portal's device key, the path of the trust anchors. */
	if (strcasecmp(name, "thing_key") == 0 ||
	    strcasecmp(name, "keyring") == 0)
		return false;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(name, words[i]))
			return true;
	return false;
}

/*
 * A URL value with its password replaced (malloc'd), or NULL when the
 * value needs no change. A value that looks like a URL with user
 * information but that uriparser cannot parse (RFC 3986) is redacted
 * whole.
 */
static char *redact_url(const char *value, bool *oom_flag)
{
	const char *err, *colon;
	char *out = NULL;
	UriUriA u;

	if (!strstr(value, "://"))
		return NULL;
	/* No uriFreeUriMembersA() after a failed parse: nothing is kept. */
	if (uriParseSingleUriA(&u, value, &err) != URI_SUCCESS) {
		if (!strchr(value, '@'))
			return NULL;
		out = strdup(REDACTED);
		goto out;
	}
	colon = u.userInfo.first ? memchr(u.userInfo.first, ':',
					  (size_t)(u.userInfo.afterLast -
						   u.userInfo.first))
				 : NULL;
	if (colon && asprintf(&out, "%.*s:redacted%s", (int)(colon - value),
			      value, u.userInfo.afterLast) < 0)
		out = NULL;
	uriFreeUriMembersA(&u);
	if (!colon)
		return NULL;
out:
	if (!out)
		*oom_flag = true;
	return out;
}

struct ini_copy {
	FILE *f;
	const char *in; /* the file's text */
	size_t len, pos;
	int line;
	bool indented;	  /* the line being parsed */
	int first_long;	  /* first line refused for its length, or 0 */
	char *section;	  /* last section written */
	bool oom;
};

/* Lines for libinih from the text read; a line longer than inih's buffer
 * is handed over empty rather than cut in two (its rest would be read as
 * a line of its own). */
static char *copy_reader(char *str, int num, void *stream)
{
	struct ini_copy *c = stream;
	const char *start = c->in + c->pos, *nl;
	size_t n;

	if (c->pos >= c->len || num < 2)
		return NULL;
	c->line++;
	nl = memchr(start, '\n', c->len - c->pos);
	n = nl ? (size_t)(nl - start) + 1 : c->len - c->pos;
	c->pos += n;
	c->indented = start[0] == ' ' || start[0] == '\t';
	if (n > (size_t)num - 1) {
		if (!c->first_long)
			c->first_long = c->line;
		c->indented = false;
		str[0] = '\0';
		return str;
	}
	memcpy(str, start, n);
	str[n] = '\0';
	return str;
}

static int copy_handler(void *user, const char *section, const char *name,
		       const char *value)
{
	struct ini_copy *c = user;
	const char *v = value;
	char *url = NULL;

	if (!name)
		return 1;
	if (!c->section || strcmp(c->section, section) != 0) {
		free(c->section);
		c->section = strdup(section);
		if (!c->section) {
			c->oom = true;
			return 0;
		}
		if (*section)
			fprintf(c->f, "\n[%s]\n", section);
	}
	/* An indented line continues an earlier key for libinih, which may
	 * not be the one written on the line before it. */
	if (*value && (c->indented || secret_name(name) ||
		       secret_name(section)))
		v = REDACTED;
	else if ((url = redact_url(value, &c->oom)) != NULL)
		v = url;
	fprintf(c->f, "%s = %s\n", name, v);
	free(url);
	return c->oom ? 0 : 1;
}

int sk_redact_ini(const char *path, const char *in, size_t len, char **out,
		  size_t *out_len)
{
	struct ini_copy c = { .in = in, .len = len };
	char show[SK_SHOW_MAX];
	int r;

	c.f = open_memstream(out, out_len);
	if (!c.f)
		return -1;
	fprintf(c.f, "# '%s' as read by sup diag: secret values are \"%s\"; comments and lines that do not parse are left out\n",
		sk_show(path, strlen(path), show), REDACTED);
	r = ini_parse_stream(copy_reader, &c, copy_handler, &c);
	if (r > 0 && !c.oom)
		fprintf(c.f, "\n# sup diag: line %d does not parse (nor, maybe, later ones)\n",
			r);
	if (c.first_long)
		fprintf(c.f, "# sup diag: line %d is too long and was left out\n",
			c.first_long);
	free(c.section);
	if (fclose(c.f) != 0 || c.oom || r == -2) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}
