/* SPDX-License-Identifier: MIT */
/* inifile.c - numbered INI parsing on top of libinih. */
#include "base/inifile.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/trustfile.h"

void sk_ini_bad(struct sk_ini *ini, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (line > 0)
		sk_problems_add(ini->d, SK_PROBLEM_SETUP, "%s:%d: %s",
				ini->file, line, msg ? msg : "invalid entry");
	else
		sk_problems_add(ini->d, SK_PROBLEM_SETUP, "%s: %s", ini->file,
				msg ? msg : "invalid entry");
	free(msg);
	ini->errors++;
}

/* libinih reads through this, so that the line number is known to the
 * key handler, and so that an over-long line is refused whole. */
static char *reader(char *str, int num, void *stream)
{
	struct sk_ini *ini = stream;
	char *r = fgets(str, num, ini->fp);
	size_t len;
	int ch;

	if (!r)
		return NULL;
	ini->line++;
	len = strlen(str);
	if (len > 0 && str[len - 1] == '\n')
		return r;
	if (feof(ini->fp))
		return r; /* last line, no newline */
	while ((ch = fgetc(ini->fp)) != EOF && ch != '\n')
		;
	sk_ini_bad(ini, ini->line, "line is longer than %d characters",
		   num - 2);
	str[0] = '\0';
	return r;
}

static int handler(void *user, const char *section, const char *key,
		   const char *value)
{
	struct sk_ini *ini = user;

	if (!key)
		return 1; /* a section header alone */
	return ini->key(ini, section, key, value);
}

int sk_ini_parse(struct sk_ini *ini, struct stat *st)
{
	int fd;

	ini->line = 0;
	ini->errors = 0;
	/* Configuration decides what runs as root: nobody else may be able
	 * to change it. */
	fd = sk_trusted_open("configuration", ini->file, SK_INI_MAX_BYTES,
			     ini->d);
	if (fd < 0)
		return -1;
	return sk_ini_parse_fd(ini, fd, st);
}

int sk_ini_parse_fd(struct sk_ini *ini, int fd, struct stat *st)
{
	int r;

	ini->line = 0;
	ini->errors = 0;
	ini->fp = fdopen(fd, "r");
	if (!ini->fp) {
		sk_problems_add(ini->d, SK_PROBLEM_SYSTEM,
				"cannot read '%s': %s", ini->file,
				strerror(errno));
		close(fd);
		return -1;
	}
	if (st && fstat(fileno(ini->fp), st) != 0) {
		sk_problems_add(ini->d, SK_PROBLEM_SETUP,
				"cannot stat '%s': %s", ini->file,
				strerror(errno));
		fclose(ini->fp);
		ini->fp = NULL;
		return -1;
	}
	r = ini_parse_stream(reader, ini, handler, ini);
	fclose(ini->fp);
	ini->fp = NULL;
	if (r == -2) {
		sk_problems_add(ini->d, SK_PROBLEM_SYSTEM, "out of memory");
		return -1;
	}
	/* A syntax error libinih found itself, or a handler out of memory. */
	if (r > 0)
		sk_ini_bad(ini, r, "syntax error or unusable line");
	return ini->errors ? -1 : 0;
}
