/* SPDX-License-Identifier: MIT */
/* jsonstrict.h - refuse JSON text that two readers could read two ways. */
#ifndef SK_JSONSTRICT_H
#define SK_JSONSTRICT_H

#include <stddef.h>

/*
 * Check that text (len bytes), which json-c has already parsed as one JSON
 * value, is strict RFC 8259 JSON with no duplicate object keys. json-c
 * stays the parser; this is a second look at the same bytes for what
 * json-c lets through even with JSON_TOKENER_STRICT |
 * JSON_TOKENER_VALIDATE_UTF8.
 *
 * Refused, each with its own message: strings not in double quotes, bare
 * words other than true/false/null (NaN, Infinity, TRUE...), -Infinity,
 * numbers outside -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, raw bytes
 * 0x00-0x1f in strings, escapes other than \" \\ \/ \b \f \n \r \t \uXXXX,
 * unpaired UTF-16 surrogates in \u escapes, bytes in strings that are not
 * RFC 3629 UTF-8 (json-c passes overlong forms, encoded surrogates and
 * code points above U+10FFFF), whitespace other than space, tab, LF, CR,
 * a UTF-8 byte order mark, keys that decode to text holding U+0000, and
 * two keys of one object that decode to the same text. Anything else that
 * is not JSON is refused too, with "unexpected ...": the scan never
 * trusts that json-c saw the same bytes.
 *
 * max_depth: the nesting limit json-c was given; a document nested deeper
 * than json-c would take (more than max_depth arrays and objects) is
 * refused. Memory grows with the nesting and with the keys of the objects
 * open at one time, never with recursion.
 *
 * Returns 0, or -1 with *err (if err is not NULL) a malloc'd one-line
 * message for the caller to free:
 *   "at byte 17: single-quoted string"         (lexical problems; bytes
 *                                                counted from 0)
 *   "actions[2].params: duplicate key 'path'"   (problems of a decoded
 *                                                key: the path of the
 *                                                object holding it, as in
 *                                                manifest.c messages;
 *                                                "(top level)" for the
 *                                                top-level object)
 * Key names pass through sk_show(). *err is NULL if memory ran out.
 */
int sk_json_strict_check(const char *text, size_t len, int max_depth,
			 char **err);

#endif
