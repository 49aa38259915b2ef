/* SPDX-License-Identifier: MIT */
/* jsonstrict.c - refuse JSON text that two readers could read two ways. */
#include "base/jsonstrict.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/linkhash.h>

#include "base/util.h"

/* One open array or object. */
struct frame {
	bool is_obj;
	/* Decoded key -> the json-c string holding it; NULL in arrays and
	 * until an object's first key. */
	struct lh_table *keys;
	/* The key of the member being read, borrowed from keys. */
	const char *key;
	/* The element of an array being read. */
	size_t index;
};

/* What may come next. */
enum want {
	WANT_VALUE,
	WANT_VALUE_OR_CLOSE, /* just after '[' */
	WANT_KEY,
	WANT_KEY_OR_CLOSE, /* just after '{' */
	WANT_COLON,
	WANT_COMMA_OR_CLOSE,
	WANT_END,
};

struct scan {
	const char *text;
	size_t len;
	size_t pos;
	size_t max_depth;
	struct frame *stack;
	size_t depth, cap;
	/* Decodes keys; made at the first key. */
	struct json_tokener *tok;
	char **err;
};

/* Set *err to "at byte AT: <fmt...>"; always -1. */
static int fail_at(struct scan *s, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(struct scan *s, size_t at, const char *fmt, ...)
{
	char *detail;
	va_list ap;
	int n;

	if (!s->err)
		return -1;
	va_start(ap, fmt);
	n = vasprintf(&detail, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	*s->err = sk_asprintf("at byte %zu: %s", at, detail);
	free(detail);
	return -1;
}

/* The path component saying where in frame f the scan is: "key",
 * ".key" or "[3]", into out; its length. */
static size_t path_part(const struct frame *f, bool first,
			char out[SK_SHOW_MAX + 32])
{
	char shown[SK_SHOW_MAX];
	int n;

	if (f->is_obj)
		n = snprintf(out, SK_SHOW_MAX + 32, "%s%s", first ? "" : ".",
			     sk_show(f->key, strlen(f->key), shown));
	else
		n = snprintf(out, SK_SHOW_MAX + 32, "[%zu]", f->index);
	return n > 0 ? (size_t)n : 0;
}

/* malloc'd path of the innermost open object, as manifest.c names
 * fields: "actions[2].params", "(top level)"; NULL on OOM. */
static char *object_path(const struct scan *s)
{
	char part[SK_SHOW_MAX + 32];
	size_t i, total = 0, used = 0;
	char *path;

	if (s->depth <= 1)
		return strdup("(top level)");
	/* Two passes rather than a bound of depth * SK_SHOW_MAX bytes. */
	for (i = 0; i + 1 < s->depth; i++)
		total += path_part(&s->stack[i], i == 0, part);
	path = malloc(total + 1);
	if (!path)
		return NULL;
	for (i = 0; i + 1 < s->depth; i++) {
		size_t n = path_part(&s->stack[i], i == 0, part);

		memcpy(path + used, part, n);
		used += n;
	}
	path[used] = '\0';
	return path;
}

/* Set *err to "<path of the innermost object>: <fmt...>"; always -1. */
static int fail_key(struct scan *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail_key(struct scan *s, const char *fmt, ...)
{
	char *detail = NULL, *path;
	va_list ap;
	int n;

	if (!s->err)
		return -1;
	path = object_path(s);
	va_start(ap, fmt);
	n = vasprintf(&detail, fmt, ap);
	va_end(ap);
	if (path && n >= 0)
		*s->err = sk_asprintf("%s: %s", path, detail);
	if (n >= 0)
		free(detail);
	free(path);
	return -1;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Value of 4 hex digits at p (4 bytes readable), or -1. */
static long hex4(const char *p)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (is_digit(c))
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* Length of the RFC 3629 UTF-8 sequence at p (left bytes readable), or 0:
 * json-c's VALIDATE_UTF8 checks only the shape, so overlong forms (a
 * second "/" or '"'), encoded surrogates and code points above U+10FFFF
 * get through it. */
static size_t utf8_len(const unsigned char *p, size_t left)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (left < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Check the \uXXXX escape at pos (the backslash); its length, 6 or 12
 * for a surrogate pair, or 0 after failing. */
static size_t check_u_escape(struct scan *s, size_t pos)
{
	const char *t = s->text;
	long cp, lo;

	if (s->len - pos < 6 || (cp = hex4(t + pos + 2)) < 0) {
		fail_at(s, pos, "\\u not followed by four hex digits");
		return 0;
	}
	if (cp >= 0xdc00 && cp <= 0xdfff) {
		fail_at(s, pos,
			"low surrogate \\u%.4s without a high surrogate before it",
			t + pos + 2);
		return 0;
	}
	if (cp < 0xd800 || cp > 0xdbff)
		return 6;
	if (s->len - pos < 12 || t[pos + 6] != '\\' || t[pos + 7] != 'u' ||
	    (lo = hex4(t + pos + 8)) < 0xdc00 || lo > 0xdfff) {
		fail_at(s, pos,
			"high surrogate \\u%.4s not followed by a low surrogate",
			t + pos + 2);
		return 0;
	}
	return 12;
}

/* Check the string whose opening '"' is at s->pos and move past it. */
static int scan_string(struct scan *s)
{
	const unsigned char *t = (const unsigned char *)s->text;
	size_t start = s->pos, i = s->pos + 1, n;
	char shown[SK_SHOW_MAX];

	for (;;) {
		if (i >= s->len)
			return fail_at(s, start, "unterminated string");
		if (t[i] == '"')
			break;
		if (t[i] < 0x20)
			return fail_at(s, i,
				       "raw control character 0x%02x in string",
				       t[i]);
		if (t[i] < 0x80 && t[i] != '\\') {
			i++;
			continue;
		}
		if (t[i] >= 0x80) {
			n = utf8_len(t + i, s->len - i);
			if (!n)
				return fail_at(s, i, "invalid UTF-8 in string");
			i += n;
			continue;
		}
		if (i + 1 >= s->len)
			return fail_at(s, start, "unterminated string");
		switch (t[i + 1]) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't': i += 2; break;
		case 'u':
			n = check_u_escape(s, i);
			if (!n)
				return -1;
			i += n;
			break;
		default:
			return fail_at(
				s, i,
				"invalid escape character '%s' after backslash",
				sk_show(s->text + i + 1, 1, shown));
		}
	}
	s->pos = i + 1;
	return 0;
}

/* Check the number (or the word that starts like one) at s->pos against
 * RFC 8259 and move past it. */
static int scan_number(struct scan *s)
{
	const char *t = s->text;
	size_t start = s->pos, end = s->pos, p;
	char shown[SK_SHOW_MAX];
	const char *why = NULL;

	/* The token as a reader would cut it, for the message. */
	while (end < s->len &&
	       (is_digit(t[end]) || is_alpha(t[end]) || t[end] == '.' ||
		t[end] == '+' || t[end] == '-' || t[end] == '_'))
		end++;
	p = start;
	if (t[p] == '-')
		p++;
	if (p < end && is_alpha(t[p]) && p > start)
		return fail_at(s, start, "'%s' is not a number",
			       sk_show(t + start, end - start, shown));
	if (p == end || !is_digit(t[p])) {
		why = t[start] == '-' ? "digit expected after '-'"
				      : "must start with '-' or a digit";
		goto bad;
	}
	if (t[p] == '0') {
		p++;
		if (p < end && is_digit(t[p])) {
			why = "leading zero";
			goto bad;
		}
	} else {
		while (p < end && is_digit(t[p]))
			p++;
	}
	if (p < end && t[p] == '.') {
		p++;
		if (p == end || !is_digit(t[p])) {
			why = "digit expected after '.'";
			goto bad;
		}
		while (p < end && is_digit(t[p]))
			p++;
	}
	if (p < end && (t[p] == 'e' || t[p] == 'E')) {
		p++;
		if (p < end && (t[p] == '+' || t[p] == '-'))
			p++;
		if (p == end || !is_digit(t[p])) {
			why = "digit expected in exponent";
			goto bad;
		}
		while (p < end && is_digit(t[p]))
			p++;
	}
	if (p != end) {
		why = "junk after the number";
		goto bad;
	}
	s->pos = end;
	return 0;
bad:
	return fail_at(s, start, "invalid number '%s': %s",
		       sk_show(t + start, end - start, shown), why);
}

/* Check the bare word at s->pos: true, false or null. */
static int scan_word(struct scan *s)
{
	static const char *const ok[] = {"true", "false", "null"};
	const char *t = s->text;
	size_t start = s->pos, end = s->pos, i;
	char shown[SK_SHOW_MAX];

	while (end < s->len &&
	       (is_alpha(t[end]) || is_digit(t[end]) || t[end] == '_'))
		end++;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (end - start == strlen(ok[i]) &&
		    !memcmp(t + start, ok[i], end - start)) {
			s->pos = end;
			return 0;
		}
	}
	return fail_at(s, start,
		       "bare word '%s', only true, false and null are allowed",
		       sk_show(t + start, end - start, shown));
}

/* lh_table entries own their json-c string, whose text is the key. */
static void key_entry_free(struct lh_entry *e)
{
	json_object_put((struct json_object *)lh_entry_v(e));
}

/* Decode the key token [start, s->pos) with json-c and add it to the set
 * of the innermost object, which must not hold it yet. */
static int add_key(struct scan *s, size_t start)
{
	struct frame *f = &s->stack[s->depth - 1];
	size_t n = s->pos - start;
	struct json_object *key;
	char shown[SK_SHOW_MAX];
	const char *k;
	unsigned long h;

	if (n > INT_MAX)
		return fail_at(s, start, "key longer than %d bytes", INT_MAX);
	if (!s->tok) {
		s->tok = json_tokener_new_ex(1);
		if (!s->tok)
			return -1;
		json_tokener_set_flags(s->tok,
				       JSON_TOKENER_STRICT |
					       JSON_TOKENER_VALIDATE_UTF8);
	}
	json_tokener_reset(s->tok);
	key = json_tokener_parse_ex(s->tok, s->text + start, (int)n);
	/* The token was checked above: json-c failing here is a bug or a
	 * lack of memory, not a bad document. */
	if (!key || !json_object_is_type(key, json_type_string) ||
	    json_tokener_get_parse_end(s->tok) != n) {
		enum json_tokener_error e = json_tokener_get_error(s->tok);

		json_object_put(key);
		if (e == json_tokener_success)
			return -1;
		return fail_at(s, start, "json-c cannot decode the key: %s",
			       json_tokener_error_desc(e));
	}
	k = json_object_get_string(key);
	if (strlen(k) != (size_t)json_object_get_string_len(key)) {
		fail_key(s, "key '%s' contains U+0000",
			 sk_show(k, (size_t)json_object_get_string_len(key),
				 shown));
		goto out;
	}
	if (!f->keys) {
		f->keys = lh_kchar_table_new(8, key_entry_free);
		if (!f->keys)
			goto out;
	}
	h = lh_get_hash(f->keys, k);
	if (lh_table_lookup_entry_w_hash(f->keys, k, h)) {
		fail_key(s, "duplicate key '%s'", sk_show(k, strlen(k), shown));
		goto out;
	}
	if (lh_table_insert_w_hash(f->keys, k, key, h, 0))
		goto out;
	/* The table owns key now. */
	f->key = k;
	return 0;
out:
	json_object_put(key);
	return -1;
}

static int push(struct scan *s, bool is_obj)
{
	struct frame *f;

	if (s->depth >= s->max_depth)
		return fail_at(s, s->pos, "nested deeper than %zu levels",
			       s->max_depth);
	if (s->depth == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;

		if (cap > s->max_depth)
			cap = s->max_depth;
		if (cap > SIZE_MAX / sizeof(*f))
			return -1;
		f = realloc(s->stack, cap * sizeof(*f));
		if (!f)
			return -1;
		s->stack = f;
		s->cap = cap;
	}
	f = &s->stack[s->depth++];
	memset(f, 0, sizeof(*f));
	f->is_obj = is_obj;
	s->pos++;
	return 0;
}

/* Forget the innermost container; what may follow it. */
static enum want pop(struct scan *s)
{
	struct frame *f = &s->stack[--s->depth];

	if (f->keys)
		lh_table_free(f->keys);
	f->keys = NULL;
	return s->depth ? WANT_COMMA_OR_CLOSE : WANT_END;
}

/* Skip JSON whitespace, refusing the other bytes json-c's isspace() would
 * skip. */
static int skip_ws(struct scan *s)
{
	for (; s->pos < s->len; s->pos++) {
		char c = s->text[s->pos];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c == '\v' || c == '\f')
			return fail_at(
				s, s->pos,
				"whitespace 0x%02x is not allowed, only space, tab, LF and CR",
				(unsigned int)c);
		break;
	}
	return 0;
}

static const char *wanted(const struct scan *s, enum want w)
{
	switch (w) {
	case WANT_VALUE: return "a value";
	case WANT_VALUE_OR_CLOSE: return "a value or ']'";
	case WANT_KEY: return "a string key";
	case WANT_KEY_OR_CLOSE: return "a string key or '}'";
	case WANT_COLON: return "':'";
	case WANT_COMMA_OR_CLOSE:
		return s->stack[s->depth - 1].is_obj ? "',' or '}'"
						     : "',' or ']'";
	case WANT_END: break;
	}
	return "the end of the text";
}

static int unexpected(struct scan *s, enum want w)
{
	char shown[SK_SHOW_MAX];

	if (w == WANT_END)
		return fail_at(s, s->pos,
			       "unexpected data after the JSON value");
	return fail_at(s, s->pos, "unexpected '%s', expected %s",
		       sk_show(s->text + s->pos, 1, shown), wanted(s, w));
}

/* Check the value starting at s->pos: a scalar is passed over, a
 * container opened. */
static int scan_value(struct scan *s, enum want *w)
{
	enum want was = *w;
	char c = s->text[s->pos];

	if (c == '{') {
		*w = WANT_KEY_OR_CLOSE;
		return push(s, true);
	}
	if (c == '[') {
		*w = WANT_VALUE_OR_CLOSE;
		return push(s, false);
	}
	*w = s->depth ? WANT_COMMA_OR_CLOSE : WANT_END;
	if (c == '"')
		return scan_string(s);
	if (c == '\'')
		return fail_at(s, s->pos, "single-quoted string");
	if (c == '-' || c == '+' || c == '.' || is_digit(c))
		return scan_number(s);
	if (is_alpha(c) || c == '_')
		return scan_word(s);
	return unexpected(s, was);
}

/* Check the key at s->pos and add it to the innermost object. */
static int scan_key(struct scan *s, enum want w)
{
	size_t start = s->pos;

	if (s->text[start] == '\'')
		return fail_at(s, start, "single-quoted string");
	if (s->text[start] != '"')
		return unexpected(s, w);
	if (scan_string(s))
		return -1;
	return add_key(s, start);
}

static int scan_all(struct scan *s)
{
	enum want w = WANT_VALUE;
	struct frame *top;
	char c;

	if (s->len >= 3 && !memcmp(s->text, "\xef\xbb\xbf", 3))
		return fail_at(s, 0, "UTF-8 byte order mark");
	for (;;) {
		if (skip_ws(s))
			return -1;
		if (s->pos == s->len) {
			if (w == WANT_END)
				return 0;
			return fail_at(s, s->pos,
				       "unexpected end of text, expected %s",
				       wanted(s, w));
		}
		c = s->text[s->pos];
		top = s->depth ? &s->stack[s->depth - 1] : NULL;
		switch (w) {
		case WANT_KEY_OR_CLOSE:
			if (c == '}') {
				s->pos++;
				w = pop(s);
				break;
			}
			/* fall through */
		case WANT_KEY:
			if (scan_key(s, w))
				return -1;
			w = WANT_COLON;
			break;
		case WANT_COLON:
			if (c != ':')
				return unexpected(s, w);
			s->pos++;
			w = WANT_VALUE;
			break;
		case WANT_COMMA_OR_CLOSE:
			if (c == ',') {
				s->pos++;
				if (top->is_obj) {
					w = WANT_KEY;
				} else {
					top->index++;
					w = WANT_VALUE;
				}
			} else if (c == (top->is_obj ? '}' : ']')) {
				s->pos++;
				w = pop(s);
			} else {
				return unexpected(s, w);
			}
			break;
		case WANT_VALUE_OR_CLOSE:
			if (c == ']') {
				s->pos++;
				w = pop(s);
				break;
			}
			/* fall through */
		case WANT_VALUE:
			if (scan_value(s, &w))
				return -1;
			break;
		case WANT_END: return unexpected(s, w);
		}
	}
}

int sk_json_strict_check(const char *text, size_t len, int max_depth,
			 char **err)
{
	struct scan s;
	int rc;

	if (err)
		*err = NULL;
	memset(&s, 0, sizeof(s));
	s.text = text ? text : "";
	s.len = text ? len : 0;
	s.max_depth = max_depth > 0 ? (size_t)max_depth : 0;
	s.err = err;
	rc = scan_all(&s);
	while (s.depth)
		pop(&s);
	free(s.stack);
	if (s.tok)
		json_tokener_free(s.tok);
	return rc;
}
