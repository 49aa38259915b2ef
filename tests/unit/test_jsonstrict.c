/* SPDX-License-Identifier: MIT */
/* test_jsonstrict.c - the strict RFC 8259 / duplicate-key check. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/CUnit.h>
#include <json-c/json.h>

#include "base/jsonstrict.h"
#include "base/util.h"
#include "testutil.h"

#define DEPTH 32

/* The check on an exact-size heap copy of text, so that a read past len
 * shows under valgrind and ASan. *err as the check left it. */
static int check_depth(const char *text, size_t len, int depth, char **err)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	if (!copy)
		abort();
	memcpy(copy, text, len);
	rc = sk_json_strict_check(copy, len, depth, err);
	free(copy);
	return rc;
}

/* True if json-c, strict as manifest.c sets it, takes text as one value. */
static bool jsonc_accepts(const char *text, size_t len, int depth)
{
	struct json_tokener *tok = json_tokener_new_ex(depth);
	struct json_object *o;
	enum json_tokener_error e;
	size_t end;

	if (!tok)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (e == json_tokener_continue) {
		o = json_tokener_parse_ex(tok, "", 1);
		e = json_tokener_get_error(tok);
		end = len;
	}
	json_object_put(o);
	json_tokener_free(tok);
	return e == json_tokener_success && end == len;
}

static void report(bool ok, unsigned int line, const char *what,
		   const char *text, size_t len, const char *got,
		   const char *want)
{
	char shown[SK_SHOW_MAX];
	char *msg = NULL;

	if (!ok &&
	    asprintf(&msg, "%s: text '%s' gave \"%s\", expected \"%s\"", what,
		     sk_show(text, len, shown), got ? got : "(accepted)",
		     want ? want : "(accepted)") < 0)
		msg = NULL;
	CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, line, msg ? msg : what,
				__FILE__, "", CU_FALSE);
	free(msg);
}

static void expect(const char *text, size_t len, int depth, const char *want,
		   unsigned int line)
{
	char *err = (char *)"untouched";
	int rc = check_depth(text, len, depth, &err);

	if (want) {
		report(rc == -1 && err && !strcmp(err, want), line, "refused",
		       text, len, err, want);
	} else {
		report(rc == 0 && !err, line, "accepted", text, len, err, NULL);
		/* What we accept, json-c accepts too: the check narrows.
		 * (json_tokener_new_ex(0) crashes json-c 0.16.) */
		report(depth < 1 || jsonc_accepts(text, len, depth), line,
		       "json-c accepts too", text, len, "(json-c refused)",
		       NULL);
	}
	if (rc == -1)
		free(err);
}

/* String literals, embedded NUL bytes included. */
#define OK(lit) expect((lit), sizeof(lit) - 1, DEPTH, NULL, __LINE__)
#define BAD(lit, msg) expect((lit), sizeof(lit) - 1, DEPTH, (msg), __LINE__)
#define OK_D(lit, d) expect((lit), sizeof(lit) - 1, (d), NULL, __LINE__)
#define BAD_D(lit, d, msg) expect((lit), sizeof(lit) - 1, (d), (msg), __LINE__)

/* --- what json-c lets through --- */

/* Every one of these is taken by json-c 0.16 in strict mode: the reason
 * this module exists. Checked so that a json-c that changes shows up. */
static void test_jsonc_gaps(void)
{
	static const char *const gaps[] = {
		"{'a':1}",
		"[NaN]",
		"[Infinity]",
		"[-Infinity]",
		"[\"a\tb\"]",
		"[1.]",
		"[1.e5]",
		"[00]",
		"[-01]",
		"[\"\\ud800\"]",
		"[\"\\udc00\"]",
		"{\"a\":1,\"a\":2}",
		"[\"\xc0\xaf\"]",
		"[\"\xed\xa0\x80\"]",
		"[\"\xf4\x90\x80\x80\"]",
	};
	size_t i;

	if (json_c_version_num() >> 8 != 0x0010)
		return;
	for (i = 0; i < sizeof(gaps) / sizeof(gaps[0]); i++) {
		char *err = NULL;

		CU_ASSERT(jsonc_accepts(gaps[i], strlen(gaps[i]), DEPTH));
		CU_ASSERT_EQUAL(
			check_depth(gaps[i], strlen(gaps[i]), DEPTH, &err), -1);
		CU_ASSERT_PTR_NOT_NULL(err);
		free(err);
	}
}

/* --- lexical refusals --- */

static void test_quotes(void)
{
	BAD("{'a':1}", "at byte 1: single-quoted string");
	BAD("{\"a\":'b'}", "at byte 5: single-quoted string");
	BAD("[\"x\",'y']", "at byte 5: single-quoted string");
	BAD("{\"a\":1,'b':2}", "at byte 7: single-quoted string");
	BAD("'a'", "at byte 0: single-quoted string");
}

static void test_bare_words(void)
{
	BAD("[NaN]",
	    "at byte 1: bare word 'NaN', only true, false and null are allowed");
	BAD("{\"a\":Infinity}",
	    "at byte 5: bare word 'Infinity', only true, false and null are allowed");
	BAD("[TRUE]",
	    "at byte 1: bare word 'TRUE', only true, false and null are allowed");
	BAD("[True]",
	    "at byte 1: bare word 'True', only true, false and null are allowed");
	BAD("[nan]",
	    "at byte 1: bare word 'nan', only true, false and null are allowed");
	BAD("[truex]",
	    "at byte 1: bare word 'truex', only true, false and null are allowed");
	BAD("[nul]",
	    "at byte 1: bare word 'nul', only true, false and null are allowed");
	BAD("undefined",
	    "at byte 0: bare word 'undefined', only true, false and null are allowed");
	OK("[true,false,null]");
	OK("true");
	OK("null");
}

static void test_minus_infinity(void)
{
	BAD("[-Infinity]", "at byte 1: '-Infinity' is not a number");
	BAD("{\"x\":{\"y\":-Infinity}}",
	    "at byte 10: '-Infinity' is not a number");
	BAD("[-NaN]", "at byte 1: '-NaN' is not a number");
}

static void test_numbers(void)
{
	BAD("[1.]", "at byte 1: invalid number '1.': digit expected after '.'");
	BAD("[1.e5]",
	    "at byte 1: invalid number '1.e5': digit expected after '.'");
	BAD("[-1.]",
	    "at byte 1: invalid number '-1.': digit expected after '.'");
	BAD("[00]", "at byte 1: invalid number '00': leading zero");
	BAD("[-01]", "at byte 1: invalid number '-01': leading zero");
	BAD("[01]", "at byte 1: invalid number '01': leading zero");
	BAD("[1e]",
	    "at byte 1: invalid number '1e': digit expected in exponent");
	BAD("[1E+]",
	    "at byte 1: invalid number '1E+': digit expected in exponent");
	BAD("[-]", "at byte 1: invalid number '-': digit expected after '-'");
	BAD("[-.5]",
	    "at byte 1: invalid number '-.5': digit expected after '-'");
	BAD("[+1]",
	    "at byte 1: invalid number '+1': must start with '-' or a digit");
	BAD("[.5]",
	    "at byte 1: invalid number '.5': must start with '-' or a digit");
	BAD("[0x10]",
	    "at byte 1: invalid number '0x10': junk after the number");
	BAD("[1.5.3]",
	    "at byte 1: invalid number '1.5.3': junk after the number");
	BAD("[1e5e5]",
	    "at byte 1: invalid number '1e5e5': junk after the number");
	BAD("[1-2]", "at byte 1: invalid number '1-2': junk after the number");
	BAD("1.", "at byte 0: invalid number '1.': digit expected after '.'");
	OK("[-0]");
	OK("-0");
	OK("[1E+5]");
	OK("[0.5e-3]");
	OK("[0,-0,1,-1,10,0.0,-0.0,1e5,1E-5,1.5e+10,10.01e01]");
	OK("[123456789012345678901234567890]");
	OK("0");
	OK(" 7 ");
}

static void test_control_chars(void)
{
	BAD("[\"a\tb\"]", "at byte 3: raw control character 0x09 in string");
	BAD("[\"a\nb\"]", "at byte 3: raw control character 0x0a in string");
	BAD("[\"\x1f\"]", "at byte 2: raw control character 0x1f in string");
	BAD("[\"\x01\"]", "at byte 2: raw control character 0x01 in string");
	BAD("[\"a\0b\"]", "at byte 3: raw control character 0x00 in string");
	BAD("{\"k\x7f\ry\":1}",
	    "at byte 4: raw control character 0x0d in string");
	/* DEL is not a control character to JSON. */
	OK("[\"\x7f\"]");
	OK("[\"\\t\\n\\u0000\\u001f\"]");
}

static void test_escapes(void)
{
	BAD("[\"\\x41\"]",
	    "at byte 2: invalid escape character 'x' after backslash");
	BAD("[\"\\'\"]",
	    "at byte 2: invalid escape character '\\x27' after backslash");
	BAD("[\"\\a\"]",
	    "at byte 2: invalid escape character 'a' after backslash");
	BAD("[\"\\U0041\"]",
	    "at byte 2: invalid escape character 'U' after backslash");
	BAD("[\"\\\x01\"]",
	    "at byte 2: invalid escape character '\\x01' after backslash");
	BAD("[\"\\u12\"]", "at byte 2: \\u not followed by four hex digits");
	BAD("[\"\\u12G4\"]", "at byte 2: \\u not followed by four hex digits");
	BAD("[\"\\u", "at byte 2: \\u not followed by four hex digits");
	BAD("[\"\\", "at byte 1: unterminated string");
	OK("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\uFFFF\\uabcd\"]");
}

static void test_surrogates(void)
{
	BAD("[\"\\ud800\"]",
	    "at byte 2: high surrogate \\ud800 not followed by a low surrogate");
	BAD("[\"x\\uDBFFy\"]",
	    "at byte 3: high surrogate \\uDBFF not followed by a low surrogate");
	BAD("[\"\\ud800\\ud800\"]",
	    "at byte 2: high surrogate \\ud800 not followed by a low surrogate");
	BAD("[\"\\ud800\\u0041\"]",
	    "at byte 2: high surrogate \\ud800 not followed by a low surrogate");
	BAD("[\"\\ud800\\n\"]",
	    "at byte 2: high surrogate \\ud800 not followed by a low surrogate");
	BAD("[\"\\ud83d\\ude0\"]",
	    "at byte 2: high surrogate \\ud83d not followed by a low surrogate");
	BAD("[\"\\ud83d\\ude0",
	    "at byte 2: high surrogate \\ud83d not followed by a low surrogate");
	BAD("[\"\\udc00\"]",
	    "at byte 2: low surrogate \\udc00 without a high surrogate before it");
	BAD("[\"\\ud83d\\ude00\\ude00\"]",
	    "at byte 14: low surrogate \\ude00 without a high surrogate before it");
	BAD("{\"a\":{\"b\":[\"\\uDFFF\"]}}",
	    "at byte 12: low surrogate \\uDFFF without a high surrogate before it");
	BAD("{\"\\ud800\":1}",
	    "at byte 2: high surrogate \\ud800 not followed by a low surrogate");
	OK("[\"\\ud800\\udc00\\udbff\\udfff\\uD83D\\uDE00\"]");
	OK("{\"\\ud83d\\ude00\":\"\\ud83d\\ude00\"}");
	OK("[\"\\ud7ff\\ue000\"]");
}

static void test_utf8(void)
{
	BAD("[\"\xc0\xaf\"]", "at byte 2: invalid UTF-8 in string");
	BAD("[\"\xc1\xbf\"]", "at byte 2: invalid UTF-8 in string");
	BAD("[\"\xe0\x80\xaf\"]", "at byte 2: invalid UTF-8 in string");
	BAD("[\"\xed\xa0\x80\"]", "at byte 2: invalid UTF-8 in string");
	BAD("[\"ab\xf4\x90\x80\x80\"]", "at byte 4: invalid UTF-8 in string");
	BAD("[\"\xf5\x80\x80\x80\"]", "at byte 2: invalid UTF-8 in string");
	BAD("[\"\x80\"]", "at byte 2: invalid UTF-8 in string");
	BAD("[\"\xc3\"]", "at byte 2: invalid UTF-8 in string");
	BAD("[\"\xe2\x82\"]", "at byte 2: invalid UTF-8 in string");
	BAD("[\"\xe2\x82", "at byte 2: invalid UTF-8 in string");
	BAD("[\xc3\xa9]",
	    "at byte 1: unexpected '\\xc3', expected a value or ']'");
	OK("[\"\xc2\x80\xc3\xa9\xdf\xbf\"]");
	OK("[\"\xe0\xa0\x80\xe2\x82\xac\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\"]");
	OK("[\"\xf0\x90\x80\x80\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"]");
}

static void test_whitespace(void)
{
	BAD("{\v}",
	    "at byte 1: whitespace 0x0b is not allowed, only space, tab, LF and CR");
	BAD("[1,\f2]",
	    "at byte 3: whitespace 0x0c is not allowed, only space, tab, LF and CR");
	BAD("\f{}",
	    "at byte 0: whitespace 0x0c is not allowed, only space, tab, LF and CR");
	BAD("{}\v",
	    "at byte 2: whitespace 0x0b is not allowed, only space, tab, LF and CR");
	BAD("{\"a\"\f:1}",
	    "at byte 4: whitespace 0x0c is not allowed, only space, tab, LF and CR");
	BAD("\xef\xbb\xbf{}", "at byte 0: UTF-8 byte order mark");
	BAD("[1,\0 2]", "at byte 3: unexpected '\\x00', expected a value");
	BAD("[1,\xc2\xa0 2]",
	    "at byte 3: unexpected '\\xc2', expected a value");
	OK(" \t\r\n{ \t\r\n\"a\" \t\r\n: \t\r\n[ \t\r\n1 \t\r\n, 2 ] } \t\r\n");
}

/* Not JSON at all: json-c refuses these itself, the check must too. */
static void test_structure(void)
{
	BAD("", "at byte 0: unexpected end of text, expected a value");
	BAD("  ", "at byte 2: unexpected end of text, expected a value");
	BAD("{",
	    "at byte 1: unexpected end of text, expected a string key or '}'");
	BAD("{\"a\":1",
	    "at byte 6: unexpected end of text, expected ',' or '}'");
	BAD("[1", "at byte 2: unexpected end of text, expected ',' or ']'");
	BAD("[", "at byte 1: unexpected end of text, expected a value or ']'");
	BAD("{\"a\"", "at byte 4: unexpected end of text, expected ':'");
	BAD("{\"a\":", "at byte 5: unexpected end of text, expected a value");
	BAD("{\"a\":1,",
	    "at byte 7: unexpected end of text, expected a string key");
	BAD("\"abc", "at byte 0: unterminated string");
	BAD("{\"ab", "at byte 1: unterminated string");
	BAD("[1,]", "at byte 3: unexpected ']', expected a value");
	BAD("{\"a\":1,}", "at byte 7: unexpected '}', expected a string key");
	BAD("{a:1}", "at byte 1: unexpected 'a', expected a string key or '}'");
	BAD("{\"a\" 1}", "at byte 5: unexpected '1', expected ':'");
	BAD("[1 2]", "at byte 3: unexpected '2', expected ',' or ']'");
	BAD("{\"a\":1]", "at byte 6: unexpected ']', expected ',' or '}'");
	BAD("[}", "at byte 1: unexpected '}', expected a value or ']'");
	BAD("{} x", "at byte 3: unexpected data after the JSON value");
	BAD("{}{}", "at byte 2: unexpected data after the JSON value");
	BAD("{}\0", "at byte 2: unexpected data after the JSON value");
	BAD("{/*c*/}",
	    "at byte 1: unexpected '/', expected a string key or '}'");
	BAD("[1]//c", "at byte 3: unexpected data after the JSON value");
	BAD("[:]", "at byte 1: unexpected ':', expected a value or ']'");
}

static void test_depth(void)
{
	OK_D("[[[]]]", 3);
	BAD_D("[[[[]]]]", 3, "at byte 3: nested deeper than 3 levels");
	BAD_D("{\"a\":[{\"b\":{}}]}", 3,
	      "at byte 11: nested deeper than 3 levels");
	OK_D("[]", 1);
	BAD_D("[[]]", 1, "at byte 1: nested deeper than 1 levels");
	OK_D("1", 0);
	BAD_D("[]", 0, "at byte 0: nested deeper than 0 levels");
	BAD_D("{}", -5, "at byte 0: nested deeper than 0 levels");
	/* The limit is the one json-c applies. */
	CU_ASSERT(jsonc_accepts("[[[]]]", 6, 3));
	CU_ASSERT(!jsonc_accepts("[[[[]]]]", 8, 3));
}

/* Nesting a hundred thousand deep is a loop, not a recursion:
 * [{"":[{"":[ ... 1 ... ]}]}] */
static void test_deep_no_recursion(void)
{
	size_t n = 100000, i, len = 0;
	char *text = malloc(5 * n + 1), *err = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	for (i = 0; i < n; i++) {
		if (i % 2) {
			memcpy(text + len, "{\"\":", 4);
			len += 4;
		} else {
			text[len++] = '[';
		}
	}
	text[len++] = '1';
	for (i = n; i-- > 0;)
		text[len++] = i % 2 ? '}' : ']';
	CU_ASSERT_EQUAL(sk_json_strict_check(text, len, INT_MAX, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_EQUAL(sk_json_strict_check(text, len, DEPTH, &err), -1);
	CU_ASSERT_STRING_EQUAL(err ? err : "",
			       "at byte 80: nested deeper than 32 levels");
	free(err);
	free(text);
}

/* --- duplicate keys --- */

static void test_dup_top(void)
{
	BAD("{\"a\":1,\"a\":2}", "(top level): duplicate key 'a'");
	BAD("{\"a\":1,\"b\":2,\"a\":1}", "(top level): duplicate key 'a'");
	BAD("{\"\":1,\"\":2}", "(top level): duplicate key ''");
	BAD("{\"sup_format\":1,\"package\":{},\"sup_format\":2}",
	    "(top level): duplicate key 'sup_format'");
}

static void test_dup_deep(void)
{
	BAD("{\"a\":{\"b\":[{\"c\":1,\"c\":2}]}}", "a.b[0]: duplicate key 'c'");
	BAD("{\"actions\":[{},{},{\"params\":{\"path\":1,\"path\":2}}]}",
	    "actions[2].params: duplicate key 'path'");
	BAD("[{\"x\":1},{\"y\":{\"z\":0,\"z\":0}}]",
	    "[1].y: duplicate key 'z'");
	BAD("[[],[[{\"k\":1,\"k\":1}]]]", "[1][0][0]: duplicate key 'k'");
	BAD("{\"package\":{\"name\":\"a\",\"name\":\"b\"}}",
	    "package: duplicate key 'name'");
	/* The path is the one of the second, failing, object. */
	BAD("{\"a\":{\"x\":1},\"b\":{\"x\":1,\"x\":1}}",
	    "b: duplicate key 'x'");
	/* The value of the first key being a container changes nothing. */
	BAD("{\"a\":{\"a\":{}},\"a\":[]}", "(top level): duplicate key 'a'");
}

static void test_dup_escaped(void)
{
	BAD("{\"a\":1,\"\\u0061\":2}", "(top level): duplicate key 'a'");
	BAD("{\"\\u0061\":1,\"a\":2}", "(top level): duplicate key 'a'");
	BAD("{\"/\":1,\"\\/\":2}", "(top level): duplicate key '/'");
	BAD("{\"a\\\"b\":1,\"a\\u0022b\":2}",
	    "(top level): duplicate key 'a\"b'");
	BAD("{\"\xc3\xa9\":1,\"\\u00e9\":2}",
	    "(top level): duplicate key '\\xc3\\xa9'");
	BAD("{\"\\u00E9\":1,\"\\u00e9\":2}",
	    "(top level): duplicate key '\\xc3\\xa9'");
	BAD("{\"x\":{\"\\t\":1,\"\\u0009\":2}}", "x: duplicate key '\\x09'");
}

static void test_dup_surrogates(void)
{
	BAD("{\"\xf0\x9f\x98\x80\":1,\"\\ud83d\\ude00\":2}",
	    "(top level): duplicate key '\\xf0\\x9f\\x98\\x80'");
	BAD("{\"\\uD83D\\uDE00\":1,\"\\ud83d\\ude00\":2}",
	    "(top level): duplicate key '\\xf0\\x9f\\x98\\x80'");
	BAD("{\"a\":[{\"\\udbff\\udfff\":0,\"\xf4\x8f\xbf\xbf\":0}]}",
	    "a[0]: duplicate key '\\xf4\\x8f\\xbf\\xbf'");
	/* Different pairs are different keys. */
	OK("{\"\\ud83d\\ude00\":1,\"\\ud83d\\ude01\":2}");
}

static void test_not_dup(void)
{
	OK("{\"a\":{\"a\":1},\"b\":{\"a\":2}}");
	OK("[{\"a\":1},{\"a\":1}]");
	OK("{\"a\":1,\"A\":2,\"a \":3,\" a\":4}");
	/* Equal only after Unicode normalisation: not equal to JSON. */
	OK("{\"\\u00e9\":1,\"e\\u0301\":2}");
	OK("{\"a\":{\"b\":{\"c\":1}},\"b\":{\"c\":{\"a\":1}},\"c\":[{\"c\":1}]}");
	OK("{\"a\":{},\"b\":[],\"c\":[{},[[]],{\"d\":{}}],\"e\":[[],{}]}");
	OK("{}");
	OK("[]");
	OK("[[],[{}],{\"\":{}}]");
}

static void test_key_nul(void)
{
	BAD("{\"a\\u0000b\":1}", "(top level): key 'a\\x00b' contains U+0000");
	BAD("{\"x\":[{\"\\u0000\":1}]}", "x[0]: key '\\x00' contains U+0000");
	/* "a" and "a\0" must not pass for one key nor for two. */
	BAD("{\"a\":1,\"a\\u0000\":2}",
	    "(top level): key 'a\\x00' contains U+0000");
	/* In values it is a matter for the reader of the value. */
	OK("{\"a\":\"\\u0000\"}");
}

static void test_hostile_names(void)
{
	char *text, *err = NULL;
	size_t i, n = 400;

	BAD("{\"\\u001b[31m\":1,\"\\u001b[31m\":2}",
	    "(top level): duplicate key '\\x1b[31m'");
	BAD("{\"it's\":1,\"it's\":2}", "(top level): duplicate key 'it\\x27s'");
	BAD("{\"\\u001b]0;x\\u0007\":{\"a\":1,\"a\":1}}",
	    "\\x1b]0;x\\x07: duplicate key 'a'");
	BAD("{\"a.b\":{\"c\\\\d\":[{\"e\":1,\"e\":1}]}}",
	    "a.b.c\\x5cd[0]: duplicate key 'e'");

	/* A long key is cut in the message. */
	text = malloc(2 * n + 16);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	text[0] = '{';
	for (i = 0; i < 2; i++) {
		char *p = text + 1 + i * (n + 5);

		p[0] = '"';
		memset(p + 1, 'k', n);
		memcpy(p + 1 + n, i ? "\":1}" : "\":1,", 4);
	}
	CU_ASSERT_EQUAL(check_depth(text, 2 * n + 11, DEPTH, &err), -1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_NSTRING_EQUAL(err, "(top level): duplicate key 'kkkk", 32);
	CU_ASSERT(strlen(err) < 40 + 320);
	CU_ASSERT_STRING_EQUAL(err + strlen(err) - 5, "k...'");
	free(err);
	free(text);
}

/* --- valid documents --- */

static void test_valid_manifests(void)
{
	const char *src = getenv("SUP_SOURCE_DIR");
	struct dirent *de;
	int seen = 0;
	char *dir;
	DIR *dh;

	CU_ASSERT_PTR_NOT_NULL_FATAL(src);
	dir = tu_path(src, "tests/data/manifests");
	dh = opendir(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dh);
	while ((de = readdir(dh))) {
		char *path, *text, *err = NULL;
		size_t len;

		if (strncmp(de->d_name, "valid-", 6))
			continue;
		path = tu_path(dir, de->d_name);
		text = tu_read_file(path, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(text);
		CU_ASSERT(jsonc_accepts(text, len, DEPTH));
		CU_ASSERT_EQUAL(check_depth(text, len, DEPTH, &err), 0);
		if (err)
			fprintf(stderr, "%s: %s\n", de->d_name, err);
		CU_ASSERT_PTR_NULL(err);
		free(err);
		free(text);
		free(path);
		seen++;
	}
	closedir(dh);
	free(dir);
	CU_ASSERT(seen >= 3);
}

static void test_valid_misc(void)
{
	OK("\"\"");
	OK("\"x\"");
	OK("{\"a\":\"\",\"b\":\"\\u0000\",\"c\":true,\"d\":null,\"e\":-1.5}");
	OK("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]");
	OK("{\"\\\"\\\\\\/\\b\\f\\n\\r\\t\":1,\"\\\"\\\\/\\b\\f\\n\\r\\t \":1}");
	OK("[\"'\",\"NaN\",\"-Infinity\",\"\\u00e9\xc3\xa9\"]");
}

/* Null err is allowed; a refused text leaves *err set and 0 clears it. */
static void test_err_out(void)
{
	char *err = (char *)"stale";

	CU_ASSERT_EQUAL(
		sk_json_strict_check("{\"a\":1,\"a\":1}", 13, DEPTH, NULL), -1);
	CU_ASSERT_EQUAL(sk_json_strict_check("{}", 2, DEPTH, NULL), 0);
	CU_ASSERT_EQUAL(sk_json_strict_check("{}", 2, DEPTH, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_EQUAL(sk_json_strict_check(NULL, 5, DEPTH, &err), -1);
	CU_ASSERT_STRING_EQUAL(
		err ? err : "",
		"at byte 0: unexpected end of text, expected a value");
	free(err);
	/* len, not a NUL, ends the text. */
	CU_ASSERT_EQUAL(sk_json_strict_check("{}x", 2, DEPTH, NULL), 0);
}

/* Every proper prefix of a document is refused, and read no further than
 * its length (the copy is exact-size: valgrind or ASan catch the rest). */
static void test_prefixes(void)
{
	static const char doc[] =
		"{\"a\":[1,-2.5e+3,true,false,null,\"x\\u00e9\\ud83d\\ude00\xc3\xa9\"],"
		"\"b\":{\"c\":{}},\"\\u0064\":[[],{}]}";
	size_t len = sizeof(doc) - 1, i;

	CU_ASSERT_EQUAL(check_depth(doc, len, DEPTH, NULL), 0);
	for (i = 0; i < len; i++) {
		char *err = NULL;

		CU_ASSERT_EQUAL(check_depth(doc, i, DEPTH, &err), -1);
		CU_ASSERT_PTR_NOT_NULL(err);
		free(err);
	}
}

/* Random damage to a document: never a crash, always an answer, and
 * whatever passes is JSON json-c takes too. */
static void test_mutations(void)
{
	static const char doc[] =
		"{\"a\":[1,-2.5e+3,true,false,null,\"x\\u00e9\\ud83d\\ude00\xc3\xa9\"],"
		"\"b\":{\"c\":{},\"d\":0},\"\\u0064\":[[],{}],\"e\":\"\\n\"}";
	static const char bytes[] = "{}[]\",:\\'0123456789.-+eEu \t\n\v\f"
				    "\x01\x80\xc3\xed\xf4\xef\xbb\xbf"
				    "truefalsenullNaNInfinity";
	unsigned int seed = 12345;
	char buf[sizeof(doc) + 8];
	int round, accepted = 0, disagree = 0;

	for (round = 0; round < 20000; round++) {
		size_t len = sizeof(doc) - 1;
		int edits = 1 + rand_r(&seed) % 3, e;
		char *err = NULL;
		int rc;

		memcpy(buf, doc, len);
		for (e = 0; e < edits; e++) {
			size_t at = (size_t)rand_r(&seed) % len;
			char b = bytes[rand_r(&seed) % (sizeof(bytes) - 1)];

			switch (rand_r(&seed) % 3) {
			case 0: buf[at] = b; break;
			case 1:
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
				break;
			default:
				if (len + 1 >= sizeof(buf))
					break;
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = b;
				len++;
			}
		}
		rc = check_depth(buf, len, DEPTH, &err);
		CU_ASSERT(rc == 0 || rc == -1);
		CU_ASSERT((rc == 0) == (err == NULL));
		if (rc == 0) {
			accepted++;
			disagree += !jsonc_accepts(buf, len, DEPTH);
		}
		free(err);
	}
	CU_ASSERT_EQUAL(disagree, 0);
	/* Some damage leaves valid JSON (a digit for a digit). */
	CU_ASSERT(accepted > 0);
}

/* --- size --- */

/* {"00000":1,"00001":1,...}: 10 bytes a key, just under 1 MiB. */
#define BIG_KEYS 104000

static char *big_object(size_t *len, bool dup_last)
{
	char *text = malloc(BIG_KEYS * 10 + 2), *p;
	size_t i;

	if (!text)
		abort();
	p = text;
	*p++ = '{';
	for (i = 0; i < BIG_KEYS; i++) {
		snprintf(p, 11, "\"%05zx\":1,",
			 dup_last && i == BIG_KEYS - 1
				 ? (size_t)0x12345 % BIG_KEYS
				 : i);
		p += 10;
	}
	p[-1] = '}';
	*len = (size_t)(p - text);
	return text;
}

static void test_big(void)
{
	char *text, *err = NULL;
	size_t len;

	/* Behaviour only: speed is measured by scripts, not unit tests. */
	text = big_object(&len, false);
	CU_ASSERT(len <= 1024 * 1024 && len > 1000 * 1000);
	CU_ASSERT(jsonc_accepts(text, len, DEPTH));
	CU_ASSERT_EQUAL(sk_json_strict_check(text, len, DEPTH, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	free(err);
	err = NULL;
	free(text);

	text = big_object(&len, true);
	CU_ASSERT_EQUAL(sk_json_strict_check(text, len, DEPTH, &err), -1);
	CU_ASSERT_STRING_EQUAL(err ? err : "",
			       "(top level): duplicate key '12345'");
	free(err);
	free(text);
}

/* A long string and many small objects are linear too. */
static void test_big_other(void)
{
	size_t n = 1024 * 1024, i, len;
	char *text = malloc(n), *err = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	text[0] = '"';
	for (i = 1; i + 1 < n; i++)
		text[i] = (char)('a' + i % 26);
	text[n - 1] = '"';
	CU_ASSERT_EQUAL(sk_json_strict_check(text, n, DEPTH, &err), 0);
	CU_ASSERT_PTR_NULL(err);

	/* [{"k":0,"k2":0},...] */
	len = 0;
	text[len++] = '[';
	while (len + 18 < n) {
		memcpy(text + len, "{\"k\":0,\"k2\":0},", 15);
		len += 15;
	}
	text[len - 1] = ']';
	CU_ASSERT_EQUAL(sk_json_strict_check(text, len, DEPTH, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	/* The last object's "k2" becomes "k". */
	memcpy(text + len - 7, "k\":0}]", 6);
	len -= 1;
	CU_ASSERT_EQUAL(sk_json_strict_check(text, len, DEPTH, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(err);
	if (err)
		CU_ASSERT_NSTRING_EQUAL(err, "[", 1);
	if (err)
		CU_ASSERT_STRING_EQUAL(strstr(err, "]: "),
				       "]: duplicate key 'k'");
	free(err);
	free(text);
}

static CU_TestInfo lexical_tests[] = {
	{"json-c gaps", test_jsonc_gaps},
	{"quotes", test_quotes},
	{"bare words", test_bare_words},
	{"-Infinity", test_minus_infinity},
	{"numbers", test_numbers},
	{"control characters", test_control_chars},
	{"escapes", test_escapes},
	{"surrogates", test_surrogates},
	{"utf-8", test_utf8},
	{"whitespace", test_whitespace},
	{"structure", test_structure},
	{"depth", test_depth},
	{"deep without recursion", test_deep_no_recursion},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo key_tests[] = {
	{"duplicate at top level", test_dup_top},
	{"duplicate deep", test_dup_deep},
	{"duplicate escaped", test_dup_escaped},
	{"duplicate surrogate pair", test_dup_surrogates},
	{"not duplicates", test_not_dup},
	{"key with U+0000", test_key_nul},
	{"hostile names", test_hostile_names},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo valid_tests[] = {
	{"manifests", test_valid_manifests}, {"misc", test_valid_misc},
	{"err out", test_err_out},	     {"prefixes", test_prefixes},
	{"mutations", test_mutations},	     {"1 MiB object", test_big},
	{"1 MiB others", test_big_other},    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"jsonstrict lexical", NULL, NULL, NULL, NULL, lexical_tests},
	{"jsonstrict keys", NULL, NULL, NULL, NULL, key_tests},
	{"jsonstrict valid", NULL, NULL, NULL, NULL, valid_tests},
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	if (tu_init() || CU_register_suites(suites) != CUE_SUCCESS)
		return tu_abort();
	return tu_run();
}
