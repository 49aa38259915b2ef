/* SPDX-License-Identifier: MIT */
/* test_manifest.c - manifest.json parsing and validation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <json-c/json.h>

#include "base/problems.h"
#include "package/manifest.h"
#include "testutil.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEAD "{\"sup_format\":1,\"package\":{\"name\":\"p\",\"version\":\"1\"},"
#define PAY_FW "\"payloads\":{\"fw.bin\":{\"size\":3,\"sha256\":\"" H64 "\"}},"
#define ACT_FW "{\"id\":\"a\",\"type\":\"file.install\",\"payloads\":[\"fw.bin\"]}"
/* A valid manifest but for what X, placed before "actions", changes. */
#define DOC_WITH(x) HEAD x PAY_FW "\"actions\":[" ACT_FW "]}"
/* A valid manifest with actions list a. */
#define DOC_ACTS(a) HEAD PAY_FW "\"actions\":[" a "]}"

static struct sk_limits lim;

static int parse_lim(const char *text, size_t len, const struct sk_limits *l,
		     unsigned int flags, struct sk_manifest *m,
		     struct sk_problems *d)
{
	sk_problems_init(d);
	return sk_manifest_parse(m, text, len, l, flags, d);
}

static int parse(const char *text, struct sk_manifest *m, struct sk_problems *d)
{
	sk_limits_default(&lim);
	return parse_lim(text, strlen(text), &lim, 0, m, d);
}

static void done(struct sk_manifest *m, struct sk_problems *d)
{
	sk_manifest_release(m);
	sk_problems_release(d);
}

/* text must fail with exactly the one message msg. */
static void expect_one(const char *text, const char *msg, unsigned int line)
{
	struct sk_manifest m;
	struct sk_problems d;
	int ret = parse(text, &m, &d);

	CU_assertImplementation(ret == -1, line, "parse fails", __FILE__, "",
				CU_FALSE);
	tu_assert_diag(&d, (const char *const[]){ msg, NULL }, __FILE__, line);
	CU_assertImplementation(sk_problems_exit_code(&d) == 3, line,
				"exit code 3", __FILE__, "", CU_FALSE);
	done(&m, &d);
}
#define EXPECT_ONE(text, msg) expect_one((text), (msg), __LINE__)

static void expect_ok(const char *text, unsigned int line)
{
	struct sk_manifest m;
	struct sk_problems d;
	int ret = parse(text, &m, &d);

	CU_assertImplementation(ret == 0, line, "parse succeeds", __FILE__, "",
				CU_FALSE);
	tu_assert_diag(&d, (const char *const[]){ NULL }, __FILE__, line);
	done(&m, &d);
}
#define EXPECT_OK(text) expect_ok((text), __LINE__)

/* --- valid manifests --- */

static void test_minimal(void)
{
	struct sk_manifest m;
	struct sk_problems d;

	CU_ASSERT_EQUAL(parse(HEAD "\"payloads\":{},\"actions\":[{\"id\":\"a\","
				   "\"type\":\"exec.command\"}]}",
			      &m, &d),
			0);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_EQUAL(m.sup_format, 1);
	CU_ASSERT_STRING_EQUAL(m.name, "p");
	CU_ASSERT_STRING_EQUAL(m.version, "1");
	CU_ASSERT_PTR_NULL(m.description);
	CU_ASSERT_EQUAL(m.n_products, 0);
	CU_ASSERT_PTR_NULL(m.min_installer);
	CU_ASSERT_EQUAL(m.n_payloads, 0);
	CU_ASSERT_EQUAL_FATAL(m.n_actions, 1);
	CU_ASSERT_STRING_EQUAL(m.actions[0].id, "a");
	CU_ASSERT_STRING_EQUAL(m.actions[0].type, "exec.command");
	/* Absent params read as an empty object owned by the tree. */
	CU_ASSERT_FATAL(json_object_is_type(m.actions[0].params,
					    json_type_object));
	CU_ASSERT_EQUAL(json_object_object_length(m.actions[0].params), 0);
	CU_ASSERT_EQUAL(m.actions[0].n_payloads, 0);
	CU_ASSERT_EQUAL(m.actions[0].on_error, SK_ON_ERROR_ABORT);
	CU_ASSERT_EQUAL(m.actions[0].timeout_s, 0);
	/* No products: every product type, even an unknown one. */
	CU_ASSERT_TRUE(sk_manifest_product_matches(&m, "gw-100"));
	CU_ASSERT_TRUE(sk_manifest_product_matches(&m, NULL));
	CU_ASSERT_EQUAL(sk_problems_exit_code(&d), 0);
	done(&m, &d);
}

static void test_full(void)
{
	static const char text[] =
		"{\n"
		"  \"sup_format\": 1,\n"
		"  \"x-vendor\": {\"anything\": [1, 2.5, null]},\n"
		"  \"package\": {\"name\": \"Gateway FW\", \"version\": "
		"\"2.4.1-rc1\",\n"
		"    \"description\": \"Line one\\nline two\"},\n"
		"  \"compatibility\": {\"products\": [\"gw-*\", \"edge\"],\n"
		"    \"min_installer\": \"1.0\"},\n"
		"  \"payloads\": {\n"
		"    \"b/cfg.tar\": {\"size\": 0, \"sha256\": \"" H64 "\"},\n"
		"    \"a.bin\": {\"size\": 1048576, \"sha256\": \"" H64 "\","
		" \"note\": \"x\"}\n"
		"  },\n"
		"  \"actions\": [\n"
		"    {\"id\": \"stop\", \"type\": \"exec.command\", \"params\":"
		" {\"argv\": [\"systemctl\", \"stop\", \"x\"]},\n"
		"     \"on_error\": \"continue\", \"timeout_s\": 60},\n"
		"    {\"id\": \"fw.1_A-b\", \"type\": \"file.install\","
		" \"payloads\": [\"a.bin\", \"b/cfg.tar\"],\n"
		"     \"on_error\": \"abort\", \"timeout_s\": 86400},\n"
		"    {\"id\": \"cfg\", \"type\": \"my-vendor.do_it.now\","
		" \"payloads\": [\"b/cfg.tar\"]}\n"
		"  ]\n"
		"}\n";
	struct sk_manifest m;
	struct json_object *argv;
	struct sk_problems d;

	CU_ASSERT_EQUAL_FATAL(parse(text, &m, &d), 0);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_STRING_EQUAL(m.name, "Gateway FW");
	CU_ASSERT_STRING_EQUAL(m.version, "2.4.1-rc1");
	CU_ASSERT_STRING_EQUAL(m.description, "Line one\nline two");
	CU_ASSERT_EQUAL_FATAL(m.n_products, 2);
	CU_ASSERT_STRING_EQUAL(m.products[0], "gw-*");
	CU_ASSERT_STRING_EQUAL(m.products[1], "edge");
	CU_ASSERT_STRING_EQUAL(m.min_installer, "1.0");
	CU_ASSERT_EQUAL(m.min_installer_major, 1);
	CU_ASSERT_EQUAL(m.min_installer_minor, 0);

	/* Payloads come in first-use order, not in table order. */
	CU_ASSERT_EQUAL_FATAL(m.n_payloads, 2);
	CU_ASSERT_STRING_EQUAL(m.payloads[0].name, "a.bin");
	CU_ASSERT_EQUAL(m.payloads[0].size, 1048576);
	CU_ASSERT_STRING_EQUAL(m.payloads[0].sha256, H64);
	CU_ASSERT_STRING_EQUAL(m.payloads[1].name, "b/cfg.tar");
	CU_ASSERT_EQUAL(m.payloads[1].size, 0);
	CU_ASSERT_EQUAL(sk_manifest_find_payload(&m, "a.bin"), 0);
	CU_ASSERT_EQUAL(sk_manifest_find_payload(&m, "b/cfg.tar"), 1);
	CU_ASSERT_EQUAL(sk_manifest_find_payload(&m, "c"), -1);

	CU_ASSERT_EQUAL_FATAL(m.n_actions, 3);
	CU_ASSERT_STRING_EQUAL(m.actions[0].id, "stop");
	CU_ASSERT_EQUAL(m.actions[0].on_error, SK_ON_ERROR_CONTINUE);
	CU_ASSERT_EQUAL(m.actions[0].timeout_s, 60);
	CU_ASSERT_EQUAL(m.actions[0].n_payloads, 0);
	CU_ASSERT_FATAL(json_object_object_get_ex(m.actions[0].params, "argv",
						  &argv));
	CU_ASSERT_EQUAL(json_object_array_length(argv), 3);
	CU_ASSERT_STRING_EQUAL(m.actions[1].id, "fw.1_A-b");
	CU_ASSERT_EQUAL(m.actions[1].on_error, SK_ON_ERROR_ABORT);
	CU_ASSERT_EQUAL(m.actions[1].timeout_s, 86400);
	CU_ASSERT_EQUAL_FATAL(m.actions[1].n_payloads, 2);
	CU_ASSERT_EQUAL(m.actions[1].payloads[0], 0);
	CU_ASSERT_EQUAL(m.actions[1].payloads[1], 1);
	CU_ASSERT_STRING_EQUAL(m.actions[2].type, "my-vendor.do_it.now");
	CU_ASSERT_EQUAL_FATAL(m.actions[2].n_payloads, 1);
	CU_ASSERT_EQUAL(m.actions[2].payloads[0], 1);

	CU_ASSERT_TRUE(sk_manifest_product_matches(&m, "gw-100"));
	CU_ASSERT_TRUE(sk_manifest_product_matches(&m, "edge"));
	CU_ASSERT_FALSE(sk_manifest_product_matches(&m, "edge2"));
	CU_ASSERT_FALSE(sk_manifest_product_matches(&m, "gw"));
	CU_ASSERT_FALSE(sk_manifest_product_matches(&m, NULL));
	done(&m, &d);
}

static void test_products_star(void)
{
	struct sk_manifest m;
	struct sk_problems d;

	CU_ASSERT_EQUAL_FATAL(
		parse(DOC_WITH("\"compatibility\":{\"products\":[\"x\",\"*\"]},"),
		      &m, &d),
		0);
	CU_ASSERT_TRUE(sk_manifest_product_matches(&m, NULL));
	CU_ASSERT_TRUE(sk_manifest_product_matches(&m, "anything"));
	done(&m, &d);
}

static void test_min_installer(void)
{
	struct sk_manifest m;
	struct sk_problems d;

	CU_ASSERT_EQUAL_FATAL(
		parse(DOC_WITH("\"compatibility\":{\"min_installer\":\"10.20\"},"),
		      &m, &d),
		0);
	CU_ASSERT_EQUAL(m.min_installer_major, 10);
	CU_ASSERT_EQUAL(m.min_installer_minor, 20);
	CU_ASSERT_EQUAL(m.n_products, 0);
	done(&m, &d);

	EXPECT_ONE(DOC_WITH("\"compatibility\":{\"min_installer\":\"1\"},"),
		   "manifest.json: compatibility.min_installer: must be "
		   "MAJOR.MINOR, got '1'");
	EXPECT_ONE(DOC_WITH("\"compatibility\":{\"min_installer\":\"1.2.3\"},"),
		   "manifest.json: compatibility.min_installer: must be "
		   "MAJOR.MINOR, got '1.2.3'");
	EXPECT_ONE(DOC_WITH("\"compatibility\":{\"min_installer\":\"1.x\"},"),
		   "manifest.json: compatibility.min_installer: must be "
		   "MAJOR.MINOR, got '1.x'");
	EXPECT_ONE(DOC_WITH("\"compatibility\":{\"min_installer\":\".1\"},"),
		   "manifest.json: compatibility.min_installer: must be "
		   "MAJOR.MINOR, got '.1'");
	EXPECT_ONE(DOC_WITH("\"compatibility\":{\"min_installer\":\"1.\"},"),
		   "manifest.json: compatibility.min_installer: must be "
		   "MAJOR.MINOR, got '1.'");
	EXPECT_ONE(DOC_WITH("\"compatibility\":{\"min_installer\":\"+1.0\"},"),
		   "manifest.json: compatibility.min_installer: must be "
		   "MAJOR.MINOR, got '+1.0'");
	EXPECT_ONE(DOC_WITH("\"compatibility\":{\"min_installer\":"
			    "\"99999999999.0\"},"),
		   "manifest.json: compatibility.min_installer: must be "
		   "MAJOR.MINOR, got '99999999999.0'");
	EXPECT_ONE(DOC_WITH("\"compatibility\":{\"min_installer\":1.0},"),
		   "manifest.json: compatibility.min_installer: must be a "
		   "string");
}

static void test_valid_variants(void)
{
	/* Unknown extra fields are allowed everywhere. */
	EXPECT_OK(HEAD "\"x\":1," PAY_FW "\"actions\":[{\"id\":\"a\","
		       "\"type\":\"a.b\",\"payloads\":[\"fw.bin\"],"
		       "\"extra\":{}}]}");
	EXPECT_OK(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"a_1-2.b-3_c\"}"));
	EXPECT_OK(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"x.y\","
				  "\"payloads\":[]}"));
	EXPECT_OK(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"x.y\","
				  "\"timeout_s\":1}"));
	/* Trailing white space after the object is fine. */
	EXPECT_OK(DOC_ACTS(ACT_FW) "\n\r\n\t ");
}

/* --- the JSON text --- */

static void test_json_text(void)
{
	struct sk_manifest m;
	struct sk_problems d;
	static const char nul_after[] = "{}\0";

	EXPECT_ONE("", "manifest.json: unexpected end of JSON text");
	EXPECT_ONE("   ", "manifest.json: unexpected end of JSON text");
	EXPECT_ONE("{\"sup_format\":1,",
		   "manifest.json: unexpected end of JSON text");
	EXPECT_ONE("[]", "manifest.json: top level is not an object");
	EXPECT_ONE("null", "manifest.json: top level is not an object");
	EXPECT_ONE("\"x\"", "manifest.json: top level is not an object");
	EXPECT_ONE("{} x",
		   "manifest.json: invalid JSON at byte 3: unexpected character");
	EXPECT_ONE("{}{}",
		   "manifest.json: invalid JSON at byte 2: unexpected character");
	EXPECT_ONE("{\"a\":1,}",
		   "manifest.json: invalid JSON at byte 7: unexpected character");
	EXPECT_ONE("{\"a\":\"\xff\"}",
		   "manifest.json: invalid JSON at byte 6: invalid utf-8 string");

	/* A NUL byte after the value: json-c stops there, we must not. */
	sk_limits_default(&lim);
	CU_ASSERT_EQUAL(parse_lim(nul_after, 3, &lim, 0, &m, &d), -1);
	TU_ASSERT_DIAG(&d, "manifest.json: unexpected data after the JSON "
			   "value at byte 2");
	done(&m, &d);
}

static void test_size_limit(void)
{
	struct sk_manifest m;
	struct sk_problems d;
	char *text;
	size_t len;

	sk_limits_default(&lim);
	len = lim.manifest_bytes + 1;
	text = malloc(len);
	CU_ASSERT_FATAL(text != NULL);
	memset(text, ' ', len);
	memcpy(text, "{}", 2);
	CU_ASSERT_EQUAL(parse_lim(text, len, &lim, 0, &m, &d), -1);
	TU_ASSERT_DIAG(&d, "manifest.json: 1048577 bytes, the limit is 1048576");
	done(&m, &d);

	/* Exactly at the limit, the text is read (and then checked). */
	CU_ASSERT_EQUAL(parse_lim(text, len - 1, &lim, 0, &m, &d), -1);
	TU_ASSERT_DIAG(&d, "manifest.json: sup_format: missing required field",
		       "manifest.json: package: missing required field",
		       "manifest.json: payloads: missing required field",
		       "manifest.json: actions: missing required field");
	done(&m, &d);
	free(text);
}

/* A valid manifest whose params hold an array nested k deep: the JSON
 * depth is k + 5 (top object, actions, action, params, arrays, scalar). */
static char *nested_doc(int k)
{
	char *open = malloc((size_t)k + 1), *close = malloc((size_t)k + 1);
	char *text;

	if (!open || !close)
		abort();
	memset(open, '[', (size_t)k);
	memset(close, ']', (size_t)k);
	open[k] = close[k] = '\0';
	if (asprintf(&text,
		     DOC_ACTS("{\"id\":\"a\",\"type\":\"x.y\",\"payloads\":"
			      "[\"fw.bin\"],\"params\":{\"v\":%s1%s}}"),
		     open, close) < 0)
		abort();
	free(open);
	free(close);
	return text;
}

static void test_depth_limit(void)
{
	char *text = nested_doc(27);

	EXPECT_OK(text);
	free(text);
	text = nested_doc(28);
	EXPECT_ONE(text, "manifest.json: JSON nested deeper than 32 levels");
	free(text);
	/* Far deeper than the limit: refused, no stack trouble. */
	text = nested_doc(100000);
	EXPECT_ONE(text, "manifest.json: JSON nested deeper than 32 levels");
	free(text);
}

/* --- top-level fields --- */

static void test_format(void)
{
	EXPECT_ONE("{\"package\":{\"name\":\"p\",\"version\":\"1\"}," PAY_FW
		   "\"actions\":[" ACT_FW "]}",
		   "manifest.json: sup_format: missing required field");
	EXPECT_ONE("{\"sup_format\":\"1\",\"package\":{\"name\":\"p\","
		   "\"version\":\"1\"}," PAY_FW "\"actions\":[" ACT_FW "]}",
		   "manifest.json: sup_format: must be an integer");
	EXPECT_ONE("{\"sup_format\":1.0,\"package\":{\"name\":\"p\","
		   "\"version\":\"1\"}," PAY_FW "\"actions\":[" ACT_FW "]}",
		   "manifest.json: sup_format: must be an integer");
	/* An unknown format is not checked further: nothing else is said
	 * about a document this installer cannot read. */
	EXPECT_ONE("{\"sup_format\":2,\"actions\":7}",
		   "manifest.json: sup_format: unsupported format 2, this "
		   "installer reads 1");
	EXPECT_ONE("{\"sup_format\":-1}",
		   "manifest.json: sup_format: unsupported format -1, this "
		   "installer reads 1");
}

static void test_package(void)
{
	char name256[300], *text;

	EXPECT_ONE("{\"sup_format\":1," PAY_FW "\"actions\":[" ACT_FW "]}",
		   "manifest.json: package: missing required field");
	EXPECT_ONE("{\"sup_format\":1,\"package\":[]," PAY_FW
		   "\"actions\":[" ACT_FW "]}",
		   "manifest.json: package: must be an object");
	EXPECT_ONE("{\"sup_format\":1,\"package\":{\"version\":\"1\"}," PAY_FW
		   "\"actions\":[" ACT_FW "]}",
		   "manifest.json: package.name: missing required field");
	EXPECT_ONE("{\"sup_format\":1,\"package\":{\"name\":\"\",\"version\":"
		   "\"1\"}," PAY_FW "\"actions\":[" ACT_FW "]}",
		   "manifest.json: package.name: must not be empty");
	EXPECT_ONE("{\"sup_format\":1,\"package\":{\"name\":5,\"version\":"
		   "\"1\"}," PAY_FW "\"actions\":[" ACT_FW "]}",
		   "manifest.json: package.name: must be a string");
	EXPECT_ONE("{\"sup_format\":1,\"package\":{\"name\":null,\"version\":"
		   "\"1\"}," PAY_FW "\"actions\":[" ACT_FW "]}",
		   "manifest.json: package.name: must be a string");
	EXPECT_ONE("{\"sup_format\":1,\"package\":{\"name\":\"a\\u001b[2J\","
		   "\"version\":\"1\"}," PAY_FW "\"actions\":[" ACT_FW "]}",
		   "manifest.json: package.name: must contain only printable "
		   "ASCII characters");
	EXPECT_ONE("{\"sup_format\":1,\"package\":{\"name\":\"p\",\"version\":"
		   "\"1\\u0000x\"}," PAY_FW "\"actions\":[" ACT_FW "]}",
		   "manifest.json: package.version: must not contain NUL bytes");
	EXPECT_ONE("{\"sup_format\":1,\"package\":{\"name\":\"p\",\"version\":"
		   "\"1\",\"description\":3}," PAY_FW "\"actions\":[" ACT_FW
		   "]}",
		   "manifest.json: package.description: must be a string");

	memset(name256, 'n', 256);
	name256[256] = '\0';
	if (asprintf(&text,
		     "{\"sup_format\":1,\"package\":{\"name\":\"%s\","
		     "\"version\":\"1\"}," PAY_FW "\"actions\":[" ACT_FW "]}",
		     name256) < 0)
		abort();
	EXPECT_ONE(text, "manifest.json: package.name: longer than 255 bytes");
	free(text);
	name256[255] = '\0';
	if (asprintf(&text,
		     "{\"sup_format\":1,\"package\":{\"name\":\"%s\","
		     "\"version\":\"1\"}," PAY_FW "\"actions\":[" ACT_FW "]}",
		     name256) < 0)
		abort();
	EXPECT_OK(text);
	free(text);
}

static void test_compatibility(void)
{
	EXPECT_ONE(DOC_WITH("\"compatibility\":[],"),
		   "manifest.json: compatibility: must be an object");
	EXPECT_ONE(DOC_WITH("\"compatibility\":{\"products\":\"gw\"},"),
		   "manifest.json: compatibility.products: must be an array");
	EXPECT_ONE(DOC_WITH("\"compatibility\":{\"products\":[]},"),
		   "manifest.json: compatibility.products: must not be empty");
	EXPECT_ONE(DOC_WITH("\"compatibility\":{\"products\":[\"a\",\"\"]},"),
		   "manifest.json: compatibility.products[1]: must not be "
		   "empty");
	EXPECT_ONE(DOC_WITH("\"compatibility\":{\"products\":[\"a\",1]},"),
		   "manifest.json: compatibility.products[1]: must be a string");
	EXPECT_ONE(DOC_WITH("\"compatibility\":{\"products\":[\"a\\tb\"]},"),
		   "manifest.json: compatibility.products[0]: must contain "
		   "only printable ASCII characters");
}

static void test_payload_table(void)
{
	EXPECT_ONE(HEAD "\"actions\":[{\"id\":\"a\",\"type\":\"x.y\"}]}",
		   "manifest.json: payloads: missing required field");
	EXPECT_ONE(HEAD "\"payloads\":[],\"actions\":[" ACT_FW "]}",
		   "manifest.json: payloads: must be an object");
	EXPECT_ONE(HEAD "\"payloads\":{\"fw.bin\":[]},\"actions\":[" ACT_FW
			"]}",
		   "manifest.json: payloads.fw.bin: must be an object");
	EXPECT_ONE(HEAD "\"payloads\":{\"fw.bin\":{\"sha256\":\"" H64 "\"}},"
			"\"actions\":[" ACT_FW "]}",
		   "manifest.json: payloads.fw.bin.size: missing required "
		   "field");
	EXPECT_ONE(HEAD "\"payloads\":{\"fw.bin\":{\"size\":-1,\"sha256\":\""
			H64 "\"}},\"actions\":[" ACT_FW "]}",
		   "manifest.json: payloads.fw.bin.size: must be a "
		   "non-negative integer");
	EXPECT_ONE(HEAD "\"payloads\":{\"fw.bin\":{\"size\":3.0,\"sha256\":\""
			H64 "\"}},\"actions\":[" ACT_FW "]}",
		   "manifest.json: payloads.fw.bin.size: must be a "
		   "non-negative integer");
	EXPECT_ONE(HEAD "\"payloads\":{\"fw.bin\":{\"size\":\"3\",\"sha256\":\""
			H64 "\"}},\"actions\":[" ACT_FW "]}",
		   "manifest.json: payloads.fw.bin.size: must be a "
		   "non-negative integer");
	EXPECT_ONE(HEAD "\"payloads\":{\"fw.bin\":{\"size\":3}},"
			"\"actions\":[" ACT_FW "]}",
		   "manifest.json: payloads.fw.bin.sha256: missing required "
		   "field");
	EXPECT_ONE(HEAD "\"payloads\":{\"fw.bin\":{\"size\":3,\"sha256\":"
			"\"0123456789ABCDEF0123456789abcdef0123456789abcdef"
			"0123456789abcdef\"}},\"actions\":[" ACT_FW "]}",
		   "manifest.json: payloads.fw.bin.sha256: must be 64 "
		   "lowercase hex digits");
	EXPECT_ONE(HEAD "\"payloads\":{\"fw.bin\":{\"size\":3,\"sha256\":"
			"\"abc\"}},\"actions\":[" ACT_FW "]}",
		   "manifest.json: payloads.fw.bin.sha256: must be 64 "
		   "lowercase hex digits");
	EXPECT_ONE(HEAD "\"payloads\":{\"fw.bin\":{\"size\":3,\"sha256\":"
			"[]}},\"actions\":[" ACT_FW "]}",
		   "manifest.json: payloads.fw.bin.sha256: must be a string");
	EXPECT_ONE(HEAD PAY_FW "\"actions\":[{\"id\":\"a\",\"type\":\"x.y\"}]}",
		   "manifest.json: payloads.fw.bin: not used by any action");
}

static void test_total_size(void)
{
	/* 2 x 40 GiB is over the 64 GiB default. */
	EXPECT_ONE(HEAD "\"payloads\":{\"a\":{\"size\":42949672960,\"sha256\":"
			"\"" H64 "\"},\"b\":{\"size\":42949672960,\"sha256\":"
			"\"" H64 "\"}},\"actions\":[{\"id\":\"a\",\"type\":"
			"\"x.y\",\"payloads\":[\"a\",\"b\"]}]}",
		   "manifest.json: payloads: total size is over the limit of "
		   "68719476736 bytes");
	/* Sizes that would wrap the sum around. */
	EXPECT_ONE(HEAD "\"payloads\":{\"a\":{\"size\":18446744073709551615,"
			"\"sha256\":\"" H64 "\"},\"b\":{\"size\":2,\"sha256\":"
			"\"" H64 "\"}},\"actions\":[{\"id\":\"a\",\"type\":"
			"\"x.y\",\"payloads\":[\"a\",\"b\"]}]}",
		   "manifest.json: payloads: total size is over the limit of "
		   "68719476736 bytes");
	/* Exactly 64 GiB is fine. */
	EXPECT_OK(HEAD "\"payloads\":{\"a\":{\"size\":34359738368,\"sha256\":"
		       "\"" H64 "\"},\"b\":{\"size\":34359738368,\"sha256\":"
		       "\"" H64 "\"}},\"actions\":[{\"id\":\"a\",\"type\":"
		       "\"x.y\",\"payloads\":[\"a\",\"b\"]}]}");
}

/* --- actions --- */

static void test_actions_list(void)
{
	EXPECT_ONE(HEAD "\"payloads\":{}}",
		   "manifest.json: actions: missing required field");
	EXPECT_ONE(HEAD "\"payloads\":{},\"actions\":{}}",
		   "manifest.json: actions: must be an array");
	EXPECT_ONE(HEAD "\"payloads\":{},\"actions\":[]}",
		   "manifest.json: actions: must not be empty");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",1"),
		   "manifest.json: actions[1]: must be an object");
}

static void test_action_id(void)
{
	char id[300], *text;

	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"type\":\"x.y\"}"),
		   "manifest.json: actions[1].id: missing required field");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":7,\"type\":\"x.y\"}"),
		   "manifest.json: actions[1].id: must be a string");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"\",\"type\":\"x.y\"}"),
		   "manifest.json: actions[1].id: must not be empty");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"a b\",\"type\":\"x.y\"}"),
		   "manifest.json: actions[1].id: invalid id 'a b', use only "
		   "A-Z a-z 0-9 . _ - (not '.' or '..')");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"x/y\",\"type\":\"x.y\"}"),
		   "manifest.json: actions[1].id: invalid id 'x/y', use only "
		   "A-Z a-z 0-9 . _ - (not '.' or '..')");
	/* An id names the action's staging directory. */
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"..\",\"type\":\"x.y\"}"),
		   "manifest.json: actions[1].id: invalid id '..', use only "
		   "A-Z a-z 0-9 . _ - (not '.' or '..')");
	/* Control bytes never reach the message raw. */
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"\\u001b[31m'\\\\\","
				   "\"type\":\"x.y\"}"),
		   "manifest.json: actions[1].id: invalid id "
		   "'\\x1b[31m\\x27\\x5c', use only A-Z a-z 0-9 . _ - "
		   "(not '.' or '..')");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"\xc3\xa9\",\"type\":\"x.y\"}"),
		   "manifest.json: actions[1].id: invalid id '\\xc3\\xa9', use "
		   "only A-Z a-z 0-9 . _ - (not '.' or '..')");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"x.y\"},"
				   "{\"id\":\"a\",\"type\":\"x.y\"}"),
		   "manifest.json: actions[2].id: duplicate id 'a', also used "
		   "by actions[0]");

	memset(id, 'i', 256);
	id[256] = '\0';
	if (asprintf(&text, DOC_ACTS(ACT_FW ",{\"id\":\"%s\",\"type\":\"x.y\"}"),
		     id) < 0)
		abort();
	EXPECT_ONE(text, "manifest.json: actions[1].id: longer than 255 bytes");
	free(text);
}

static void test_action_type(void)
{
	static const char *const bad[] = {
		"file", "File.install", "file.", ".file", "file..x",
		"file.in stall", "file.x/y", "",
	};
	char *text, *msg;
	size_t i;

	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"b\"}"),
		   "manifest.json: actions[1].type: missing required field");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":[]}"),
		   "manifest.json: actions[1].type: must be a string");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (asprintf(&text,
			     DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"%s\"}"),
			     bad[i]) < 0)
			abort();
		if (!*bad[i])
			msg = strdup("manifest.json: actions[1].type: must not "
				     "be empty");
		else if (asprintf(&msg,
				  "manifest.json: actions[1].type: invalid type "
				  "'%s', expected PLUGIN.VERB of a-z 0-9 _ -",
				  bad[i]) < 0)
			abort();
		EXPECT_ONE(text, msg);
		free(text);
		free(msg);
	}
}

static void test_action_fields(void)
{
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"x.y\","
				   "\"params\":[]}"),
		   "manifest.json: actions[1].params: must be an object");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"x.y\","
				   "\"on_error\":\"ignore\"}"),
		   "manifest.json: actions[1].on_error: must be \"abort\" or "
		   "\"continue\"");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"x.y\","
				   "\"on_error\":true}"),
		   "manifest.json: actions[1].on_error: must be \"abort\" or "
		   "\"continue\"");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"x.y\","
				   "\"on_error\":\"continue\\u0000x\"}"),
		   "manifest.json: actions[1].on_error: must be \"abort\" or "
		   "\"continue\"");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"x.y\","
				   "\"timeout_s\":0}"),
		   "manifest.json: actions[1].timeout_s: must be an integer "
		   "from 1 to 86400");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"x.y\","
				   "\"timeout_s\":86401}"),
		   "manifest.json: actions[1].timeout_s: must be an integer "
		   "from 1 to 86400");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"x.y\","
				   "\"timeout_s\":-5}"),
		   "manifest.json: actions[1].timeout_s: must be an integer "
		   "from 1 to 86400");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"x.y\","
				   "\"timeout_s\":1.5}"),
		   "manifest.json: actions[1].timeout_s: must be an integer "
		   "from 1 to 86400");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"x.y\","
				   "\"timeout_s\":\"10\"}"),
		   "manifest.json: actions[1].timeout_s: must be an integer "
		   "from 1 to 86400");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"x.y\","
				   "\"timeout_s\":99999999999999999999999}"),
		   "manifest.json: actions[1].timeout_s: must be an integer "
		   "from 1 to 86400");
}

static void test_action_payloads(void)
{
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"x.y\","
				   "\"payloads\":\"fw.bin\"}"),
		   "manifest.json: actions[1].payloads: must be an array");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"x.y\","
				   "\"payloads\":[1]}"),
		   "manifest.json: actions[1].payloads[0]: must be a string");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"x.y\","
				   "\"payloads\":[\"fw.bin\",\"other.bin\"]}"),
		   "manifest.json: actions[1].payloads[1]: unknown payload "
		   "'other.bin'");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"x.y\","
				   "\"payloads\":[\"fw.bin\",\"fw.bin\"]}"),
		   "manifest.json: actions[1].payloads[1]: payload 'fw.bin' "
		   "listed twice");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"x.y\","
				   "\"payloads\":[\"../fw.bin\"]}"),
		   "manifest.json: actions[1].payloads[0]: invalid payload "
		   "name '../fw.bin'");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"x.y\","
				   "\"payloads\":[\"fw.bin\\u0000x\"]}"),
		   "manifest.json: actions[1].payloads[0]: invalid payload "
		   "name 'fw.bin\\x00x'");
	/* The same payload in two actions is fine. */
	EXPECT_OK(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"x.y\","
				  "\"payloads\":[\"fw.bin\"]}"));
	/* The brief's example, verbatim. */
	EXPECT_ONE(HEAD "\"payloads\":{},\"actions\":["
			"{\"id\":\"a\",\"type\":\"x.y\"},"
			"{\"id\":\"b\",\"type\":\"x.y\"},"
			"{\"id\":\"c\",\"type\":\"x.y\"},"
			"{\"id\":\"d\",\"type\":\"x.y\",\"payloads\":"
			"[\"fw.bin\"]}]}",
		   "manifest.json: actions[3].payloads[0]: unknown payload "
		   "'fw.bin'");
}

/* Every problem is reported, in document order, not just the first. */
static void test_many_problems(void)
{
	struct sk_manifest m;
	struct sk_problems d;

	CU_ASSERT_EQUAL(
		parse("{\"sup_format\":1,\"package\":{\"name\":\"\"},"
		      "\"compatibility\":{\"min_installer\":\"x\"},"
		      "\"payloads\":{\"fw.bin\":{\"size\":-1,\"sha256\":\"" H64
		      "\"},\"/etc/passwd\":{},\"unused\":{\"size\":1,"
		      "\"sha256\":\"" H64 "\"}},"
		      "\"actions\":[{\"id\":\"a\",\"type\":\"bad\","
		      "\"payloads\":[\"fw.bin\",\"nope\"]},"
		      "{\"id\":\"a\",\"type\":\"x.y\",\"on_error\":\"x\","
		      "\"timeout_s\":0}]}",
		      &m, &d),
		-1);
	TU_ASSERT_DIAG(
		&d, "manifest.json: package.name: must not be empty",
		"manifest.json: package.version: missing required field",
		"manifest.json: compatibility.min_installer: must be "
		"MAJOR.MINOR, got 'x'",
		"manifest.json: payloads.fw.bin.size: must be a non-negative "
		"integer",
		"manifest.json: payloads: invalid payload name '/etc/passwd'",
		"manifest.json: actions[0].type: invalid type 'bad', expected "
		"PLUGIN.VERB of a-z 0-9 _ -",
		"manifest.json: actions[0].payloads[1]: unknown payload 'nope'",
		"manifest.json: actions[1].id: duplicate id 'a', also used by "
		"actions[0]",
		"manifest.json: actions[1].on_error: must be \"abort\" or "
		"\"continue\"",
		"manifest.json: actions[1].timeout_s: must be an integer from 1 "
		"to 86400",
		"manifest.json: payloads.unused: not used by any action");
	CU_ASSERT_EQUAL(sk_problems_exit_code(&d), 3);
	done(&m, &d);
}

/* A flood of problems is cut after 100, with a line saying so. */
static void test_problem_cap(void)
{
	size_t i, cap = 8192, len;
	struct sk_manifest m;
	struct sk_problems d;
	char *text = malloc(cap);

	CU_ASSERT_FATAL(text != NULL);
	len = (size_t)snprintf(text, cap, DOC_ACTS("{\"id\":\"a\",\"type\":"
						   "\"x.y\",\"payloads\":["
						   "\"fw.bin\""));
	/* Drop the "]}" DOC_ACTS closed the document with. */
	len -= strlen("]}");
	for (i = 0; i < 150; i++)
		len += (size_t)snprintf(text + len, cap - len, ",\"u%zu\"", i);
	snprintf(text + len, cap - len, "]}]}");
	CU_ASSERT_EQUAL(parse(text, &m, &d), -1);
	CU_ASSERT_EQUAL_FATAL(d.count, 101);
	CU_ASSERT_STRING_EQUAL(d.items[0].msg,
			       "manifest.json: actions[0].payloads[1]: unknown "
			       "payload 'u0'");
	CU_ASSERT_STRING_EQUAL(d.items[99].msg,
			       "manifest.json: actions[0].payloads[100]: unknown "
			       "payload 'u99'");
	CU_ASSERT_STRING_EQUAL(d.items[100].msg,
			       "manifest.json: more than 100 problems, the rest "
			       "are not listed");
	done(&m, &d);
	free(text);
}

/* --- limits --- */

static char *many_actions(size_t n)
{
	size_t i, cap = 64 + n * 48, len;
	char *text = malloc(cap);

	if (!text)
		abort();
	len = (size_t)snprintf(text, cap, HEAD "\"payloads\":{},\"actions\":[");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"%s{\"id\":\"a%zu\",\"type\":\"x.y\"}",
					i ? "," : "", i);
	snprintf(text + len, cap - len, "]}");
	return text;
}

static void test_action_limit(void)
{
	char *text = many_actions(2000);

	EXPECT_ONE(text, "manifest.json: actions: 2000 actions, the limit is "
			 "1024");
	free(text);
	text = many_actions(1024);
	EXPECT_OK(text);
	free(text);
}

static void test_payload_limits(void)
{
	static const char three[] =
		HEAD "\"payloads\":{\"a\":{\"size\":1,\"sha256\":\"" H64 "\"},"
		"\"b\":{\"size\":1,\"sha256\":\"" H64 "\"},"
		"\"c\":{\"size\":1,\"sha256\":\"" H64 "\"}},"
		"\"actions\":[{\"id\":\"x\",\"type\":\"x.y\","
		"\"payloads\":[\"a\",\"b\"]},{\"id\":\"y\",\"type\":"
		"\"x.y\",\"payloads\":[\"c\"]}]}";
	static const char list3[] =
		HEAD "\"payloads\":{\"a\":{\"size\":1,\"sha256\":\"" H64 "\"},"
		"\"b\":{\"size\":1,\"sha256\":\"" H64 "\"}},"
		"\"actions\":[{\"id\":\"x\",\"type\":\"x.y\","
		"\"payloads\":[\"a\",\"b\",\"b\"]}]}";
	static const char collect3[] =
		HEAD "\"actions\":[{\"id\":\"x\",\"type\":\"x.y\","
		"\"payloads\":[\"a\",\"b\"]},{\"id\":\"y\",\"type\":\"x.y\","
		"\"payloads\":[\"c\"]},{\"id\":\"z\",\"type\":\"x.y\","
		"\"payloads\":[\"d\"]}]}";
	struct sk_manifest m;
	struct sk_problems d;

	sk_limits_default(&lim);
	lim.max_payloads = 2;
	/* One error naming the limit; the references are not chased. */
	CU_ASSERT_EQUAL(parse_lim(three, strlen(three), &lim, 0, &m, &d), -1);
	TU_ASSERT_DIAG(&d, "manifest.json: payloads: 3 payloads, the limit is "
			   "2");
	done(&m, &d);

	CU_ASSERT_EQUAL(parse_lim(list3, strlen(list3), &lim, 0, &m, &d), -1);
	TU_ASSERT_DIAG(&d,
		       "manifest.json: actions[0].payloads: 3 payloads, the "
		       "limit is 2",
		       "manifest.json: payloads.a: not used by any action",
		       "manifest.json: payloads.b: not used by any action");
	done(&m, &d);

	CU_ASSERT_EQUAL(parse_lim(collect3, strlen(collect3), &lim,
				  SK_MANIFEST_PACK_INPUT, &m, &d),
			-1);
	TU_ASSERT_DIAG(&d, "manifest.json: actions: more than 2 distinct "
			   "payloads, the limit is 2");
	done(&m, &d);

}

static void test_custom_limits(void)
{
	static const char text[] =
		HEAD "\"payloads\":{\"a\":{\"size\":100,\"sha256\":\"" H64 "\"}},"
		"\"actions\":[{\"id\":\"abcd\",\"type\":\"x.y\","
		"\"payloads\":[\"a\"],\"timeout_s\":61}]}";
	struct sk_manifest m;
	struct sk_problems d;
	char *msg;

	sk_limits_default(&lim);
	lim.max_total_size = 99;
	lim.max_timeout_s = 60;
	lim.max_name_len = 3;
	lim.manifest_bytes = strlen(text);
	CU_ASSERT_EQUAL(parse_lim(text, strlen(text), &lim, 0, &m, &d), -1);
	TU_ASSERT_DIAG(&d,
		       "manifest.json: payloads: total size is over the limit "
		       "of 99 bytes",
		       "manifest.json: actions[0].id: longer than 3 bytes",
		       "manifest.json: actions[0].timeout_s: must be an integer "
		       "from 1 to 60");
	done(&m, &d);

	/* Over the size limit: refused before any parsing. */
	lim.manifest_bytes = strlen(text) - 1;
	if (asprintf(&msg, "manifest.json: %zu bytes, the limit is %zu",
		     strlen(text), strlen(text) - 1) < 0)
		abort();
	CU_ASSERT_EQUAL(parse_lim(text, strlen(text), &lim, 0, &m, &d), -1);
	TU_ASSERT_DIAG(&d, msg);
	CU_ASSERT_PTR_NULL(m.root);
	done(&m, &d);
	free(msg);
}

/* --- pack input --- */

static void test_pack_input(void)
{
	static const char text[] =
		HEAD "\"actions\":[{\"id\":\"a\",\"type\":\"x.y\","
		"\"payloads\":[\"x.bin\",\"d/y.bin\"]},{\"id\":\"b\","
		"\"type\":\"x.y\",\"payloads\":[\"d/y.bin\",\"z.bin\"]}]}";
	static const char partial[] =
		HEAD "\"payloads\":{\"z\":{},\"y\":{\"size\":5},\"x\":{\"sha256\":"
		"\"" H64 "\"}},\"actions\":[{\"id\":\"a\",\"type\":\"x.y\","
		"\"payloads\":[\"x\",\"y\",\"z\"]}]}";
	struct sk_manifest m;
	struct sk_problems d;

	sk_limits_default(&lim);
	CU_ASSERT_EQUAL_FATAL(parse_lim(text, strlen(text), &lim,
					SK_MANIFEST_PACK_INPUT, &m, &d),
			      0);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_EQUAL_FATAL(m.n_payloads, 3);
	CU_ASSERT_STRING_EQUAL(m.payloads[0].name, "x.bin");
	CU_ASSERT_STRING_EQUAL(m.payloads[1].name, "d/y.bin");
	CU_ASSERT_STRING_EQUAL(m.payloads[2].name, "z.bin");
	CU_ASSERT_EQUAL(m.payloads[0].size, 0);
	CU_ASSERT_STRING_EQUAL(m.payloads[0].sha256, "");
	CU_ASSERT_EQUAL(m.actions[1].n_payloads, 2);
	CU_ASSERT_EQUAL(m.actions[1].payloads[0], 1);
	CU_ASSERT_EQUAL(m.actions[1].payloads[1], 2);
	done(&m, &d);

	/* Not pack input: the table is required. */
	CU_ASSERT_EQUAL(parse_lim(text, strlen(text), &lim, 0, &m, &d), -1);
	TU_ASSERT_DIAG(&d, "manifest.json: payloads: missing required field");
	done(&m, &d);

	/* A table in pack input may leave size and sha256 out. */
	CU_ASSERT_EQUAL_FATAL(parse_lim(partial, strlen(partial), &lim,
					SK_MANIFEST_PACK_INPUT, &m, &d),
			      0);
	CU_ASSERT_EQUAL_FATAL(m.n_payloads, 3);
	CU_ASSERT_STRING_EQUAL(m.payloads[0].name, "x");
	CU_ASSERT_STRING_EQUAL(m.payloads[0].sha256, H64);
	CU_ASSERT_EQUAL(m.payloads[1].size, 5);
	CU_ASSERT_STRING_EQUAL(m.payloads[1].sha256, "");
	done(&m, &d);
	CU_ASSERT_EQUAL(parse_lim(partial, strlen(partial), &lim, 0, &m, &d),
			-1);
	TU_ASSERT_DIAG(&d,
		       "manifest.json: payloads.z.size: missing required field",
		       "manifest.json: payloads.z.sha256: missing required "
		       "field",
		       "manifest.json: payloads.y.sha256: missing required "
		       "field",
		       "manifest.json: payloads.x.size: missing required field");
	done(&m, &d);

	/* With a table, pack input still resolves names against it. */
	CU_ASSERT_EQUAL(parse_lim(DOC_ACTS("{\"id\":\"a\",\"type\":\"x.y\","
					   "\"payloads\":[\"fw.bin\",\"q\"]}"),
				  strlen(DOC_ACTS("{\"id\":\"a\",\"type\":"
						  "\"x.y\",\"payloads\":"
						  "[\"fw.bin\",\"q\"]}")),
				  &lim, SK_MANIFEST_PACK_INPUT, &m, &d),
			-1);
	TU_ASSERT_DIAG(&d, "manifest.json: actions[0].payloads[1]: unknown "
			   "payload 'q'");
	done(&m, &d);
}

/* --- payload names --- */

static void test_payload_names(void)
{
	static const char *const good[] = {
		"a", "fw.bin", "dir/fw.bin", "a+b-c_d.E9", "..a", "a..",
		".hidden", "a/.b/c", "dir/manifest.json", "manifest.json.bak",
		"x/manifest.sig",
	};
	static const char *const bad[] = {
		"", "/abs", "a/", "a//b", ".", "..", "./a", "a/./b", "a/../b",
		"../a", "a/..", "a b", "a\\b", "\xc3\xa9", "a:b", "a*", "a\tb",
		"manifest.json", "manifest.sig",
	};
	char long_name[300];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CU_ASSERT_TRUE(sk_payload_name_valid(good[i], 255));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_FALSE(sk_payload_name_valid(bad[i], 255));
	CU_ASSERT_FALSE(sk_payload_name_valid(NULL, 255));

	memset(long_name, 'x', 256);
	long_name[256] = '\0';
	CU_ASSERT_FALSE(sk_payload_name_valid(long_name, 255));
	long_name[255] = '\0';
	CU_ASSERT_TRUE(sk_payload_name_valid(long_name, 255));
	CU_ASSERT_FALSE(sk_payload_name_valid("abcd", 3));
	CU_ASSERT_TRUE(sk_payload_name_valid("abc", 3));

	/* In a manifest, bad keys are named once, quoted and escaped. */
	EXPECT_ONE(HEAD "\"payloads\":{\"manifest.sig\":{\"size\":1,"
			"\"sha256\":\"" H64 "\"}},\"actions\":[{\"id\":\"a\","
			"\"type\":\"x.y\"}]}",
		   "manifest.json: payloads: invalid payload name "
		   "'manifest.sig'");
	EXPECT_ONE(HEAD "\"payloads\":{\"a\\nb\":{\"size\":1,"
			"\"sha256\":\"" H64 "\"}},\"actions\":[{\"id\":\"a\","
			"\"type\":\"x.y\"}]}",
		   "manifest.json: payloads: invalid payload name 'a\\x0ab'");
}

static void test_limits_default(void)
{
	sk_limits_default(&lim);
	CU_ASSERT_EQUAL(lim.manifest_bytes, 1048576);
	CU_ASSERT_EQUAL(lim.max_actions, 1024);
	CU_ASSERT_EQUAL(lim.max_payloads, 1024);
	CU_ASSERT_EQUAL(lim.max_name_len, 255);
	CU_ASSERT_EQUAL(lim.max_depth, 32);
	CU_ASSERT_EQUAL(lim.max_total_size, 68719476736ULL);
	CU_ASSERT_EQUAL(lim.max_timeout_s, 86400);
}

/* --- strict JSON (issue 7): what json-c takes and a signed manifest must
 * not hold --- */

/* HEAD + before + bad + after must fail with exactly "manifest.json: not
 * strict JSON: at byte N: what", N = the offset of bad plus delta. */
static void expect_strict_at(const char *before, const char *bad,
			     const char *after, size_t delta,
			     const char *what, unsigned int line)
{
	char *text, *msg;
	size_t at = strlen(HEAD) + strlen(before) + delta;

	if (asprintf(&text, HEAD "%s%s%s", before, bad, after) < 0 ||
	    asprintf(&msg, "manifest.json: not strict JSON: at byte %zu: %s",
		     at, what) < 0)
		abort();
	expect_one(text, msg, line);
	free(msg);
	free(text);
}
#define STRICT_AT(before, bad, after, delta, what)                           \
	expect_strict_at((before), (bad), (after), (delta), (what), __LINE__)
/* The rest of a valid manifest after HEAD. */
#define REST PAY_FW "\"actions\":[" ACT_FW "]}"

static void test_strict_lexical(void)
{
	/* A single-quoted key: json-c takes it, the strict check does not
	 * (a single-quoted value json-c refuses itself, below). */
	STRICT_AT("", "'x-a'", ":1," REST, 0, "single-quoted string");
	STRICT_AT("\"x-a\":", "NaN", "," REST, 0,
		  "bare word 'NaN', only true, false and null are allowed");
	STRICT_AT("\"x-a\":", "Infinity", "," REST, 0,
		  "bare word 'Infinity', only true, false and null are allowed");
	STRICT_AT("\"x-a\":", "-Infinity", "," REST, 0,
		  "'-Infinity' is not a number");
	/* A raw tab inside a string: at the tab. */
	STRICT_AT("\"x-a\":", "\"a\tb\"", "," REST, 2,
		  "raw control character 0x09 in string");
	STRICT_AT("\"x-a\":", "1.", "," REST, 0,
		  "invalid number '1.': digit expected after '.'");
	/* A lone high surrogate: at its backslash. */
	STRICT_AT("\"x-a\":", "\"\\ud800\"", "," REST, 1,
		  "high surrogate \\ud800 not followed by a low surrogate");
	/* In values the installer reads, and in keys. */
	STRICT_AT("\"x-a\":1," PAY_FW "\"actions\":[{\"id\":\"a\",\"type\":"
		  "\"x.y\",\"params\":{\"n\":",
		  "NaN", "}}]}", 0,
		  "bare word 'NaN', only true, false and null are allowed");
	/* A single-quoted value: json-c refuses it itself. */
	{
		char *text, *msg;

		if (asprintf(&text, HEAD "\"x-a\":'q'," REST) < 0 ||
		    asprintf(&msg, "manifest.json: invalid JSON at byte %zu: unexpected character",
			     strlen(HEAD) + 6) < 0)
			abort();
		EXPECT_ONE(text, msg);
		free(text);
		free(msg);
	}
	STRICT_AT("\"x-a\":[1,", "Infinity", "]," REST, 0,
		  "bare word 'Infinity', only true, false and null are allowed");
	STRICT_AT("\"description\":", "\"a\tb\"", "," REST, 2,
		  "raw control character 0x09 in string");
}

static void test_strict_duplicates(void)
{
	/* At the top level, an unknown key or a known one. */
	EXPECT_ONE(HEAD "\"x-a\":1,\"x-a\":2," REST,
		   "manifest.json: not strict JSON: (top level): duplicate key 'x-a'");
	EXPECT_ONE(HEAD "\"sup_format\":1," REST,
		   "manifest.json: not strict JSON: (top level): duplicate key 'sup_format'");
	/* Equal once decoded. */
	EXPECT_ONE(HEAD "\"x-a\":1,\"x\\u002da\":1," REST,
		   "manifest.json: not strict JSON: (top level): duplicate key 'x-a'");
	/* Inside actions[0].params, and deeper. */
	EXPECT_ONE(DOC_ACTS("{\"id\":\"a\",\"type\":\"x.y\",\"params\":"
			    "{\"path\":\"/a\",\"path\":\"/b\"}}"),
		   "manifest.json: not strict JSON: actions[0].params: duplicate key 'path'");
	EXPECT_ONE(DOC_ACTS(ACT_FW ",{\"id\":\"b\",\"type\":\"x.y\",\"params\":"
				   "{\"o\":{\"k\":1,\"k\":1}}}"),
		   "manifest.json: not strict JSON: actions[1].params.o: duplicate key 'k'");
	EXPECT_ONE(DOC_ACTS("{\"id\":\"a\",\"type\":\"x.y\",\"params\":"
			    "{\"l\":[{},{\"k\":1,\"k\":2}]}}"),
		   "manifest.json: not strict JSON: actions[0].params.l[1]: duplicate key 'k'");
	/* The keys that decide what runs: an action's fields, a payload's
	 * digest, the payload table, the package. */
	EXPECT_ONE(DOC_ACTS("{\"id\":\"a\",\"type\":\"x.y\",\"type\":\"exec.command\"}"),
		   "manifest.json: not strict JSON: actions[0]: duplicate key 'type'");
	EXPECT_ONE(HEAD "\"payloads\":{\"fw.bin\":{\"size\":3,\"sha256\":\"" H64
			"\",\"sha256\":\"" H64 "\"}},\"actions\":[" ACT_FW "]}",
		   "manifest.json: not strict JSON: payloads.fw.bin: duplicate key 'sha256'");
	EXPECT_ONE(HEAD "\"payloads\":{\"fw.bin\":{\"size\":3,\"sha256\":\"" H64
			"\"},\"fw.bin\":{\"size\":3,\"sha256\":\"" H64
			"\"}},\"actions\":[" ACT_FW "]}",
		   "manifest.json: not strict JSON: payloads: duplicate key 'fw.bin'");
	EXPECT_ONE("{\"sup_format\":1,\"package\":{\"name\":\"p\",\"version\":"
		   "\"1\",\"version\":\"2\"}," REST,
		   "manifest.json: not strict JSON: package: duplicate key 'version'");
	/* Same key in different objects is fine. */
	EXPECT_OK(DOC_ACTS("{\"id\":\"a\",\"type\":\"x.y\",\"payloads\":"
			   "[\"fw.bin\"],\"params\":{\"id\":1,\"o\":{\"id\":2},\"l\":[{\"id\":3},"
			   "{\"id\":4}]}}"));
}

/* package.security_version (issue 7): an integer from 0 to 2^53 - 1. */
static void security_version_is(const char *v, unsigned long long want,
				unsigned int line)
{
	struct sk_manifest m;
	struct sk_problems d;
	char *text;
	int ret;

	if (asprintf(&text, "{\"sup_format\":1,\"package\":{\"name\":\"p\","
			    "\"version\":\"1\"%s%s}," REST,
		     v ? ",\"security_version\":" : "", v ? v : "") < 0)
		abort();
	ret = parse(text, &m, &d);
	CU_assertImplementation(ret == 0, line, "parse succeeds", __FILE__, "",
				CU_FALSE);
	tu_assert_diag(&d, (const char *const[]){ NULL }, __FILE__, line);
	CU_assertImplementation(m.security_version == want, line,
				"security_version", __FILE__, "", CU_FALSE);
	done(&m, &d);
	free(text);
}
#define SV_IS(v, want) security_version_is((v), (want), __LINE__)

static void security_version_bad(const char *v, unsigned int line)
{
	char *text;

	if (asprintf(&text, "{\"sup_format\":1,\"package\":{\"name\":\"p\","
			    "\"version\":\"1\",\"security_version\":%s}," REST,
		     v) < 0)
		abort();
	expect_one(text,
		   "manifest.json: package.security_version: must be an integer from 0 to 9007199254740991",
		   line);
	free(text);
}
#define SV_BAD(v) security_version_bad((v), __LINE__)

static void test_security_version(void)
{
	SV_IS(NULL, 0);
	SV_IS("0", 0);
	SV_IS("7", 7);
	SV_IS("9007199254740991", 9007199254740991ULL);
	SV_BAD("-1");
	SV_BAD("1.5");
	SV_BAD("7.0");
	SV_BAD("1e3");
	SV_BAD("\"7\"");
	SV_BAD("null");
	SV_BAD("true");
	SV_BAD("[7]");
	SV_BAD("9007199254740992");
	SV_BAD("9223372036854775807");
	SV_BAD("18446744073709551615");
	SV_BAD("-9223372036854775808");
}

static CU_TestInfo signing_tests[] = {
	{ "strict JSON: lexical", test_strict_lexical },
	{ "strict JSON: duplicate keys", test_strict_duplicates },
	{ "security_version", test_security_version },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo valid_tests[] = {
	{ "minimal", test_minimal },
	{ "full", test_full },
	{ "products star", test_products_star },
	{ "min_installer", test_min_installer },
	{ "variants", test_valid_variants },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo invalid_tests[] = {
	{ "json text", test_json_text },
	{ "sup_format", test_format },
	{ "package", test_package },
	{ "compatibility", test_compatibility },
	{ "payload table", test_payload_table },
	{ "total size", test_total_size },
	{ "actions list", test_actions_list },
	{ "action id", test_action_id },
	{ "action type", test_action_type },
	{ "action fields", test_action_fields },
	{ "action payloads", test_action_payloads },
	{ "many problems", test_many_problems },
	{ "problem cap", test_problem_cap },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo limit_tests[] = {
	{ "defaults", test_limits_default },
	{ "size", test_size_limit },
	{ "depth", test_depth_limit },
	{ "actions", test_action_limit },
	{ "payloads", test_payload_limits },
	{ "custom", test_custom_limits },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo other_tests[] = {
	{ "pack input", test_pack_input },
	{ "payload names", test_payload_names },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "manifest valid", NULL, NULL, NULL, NULL, valid_tests },
	{ "manifest invalid", NULL, NULL, NULL, NULL, invalid_tests },
	{ "manifest limits", NULL, NULL, NULL, NULL, limit_tests },
	{ "manifest misc", NULL, NULL, NULL, NULL, other_tests },
	{ "manifest strict and security_version", NULL, NULL, NULL, NULL,
	  signing_tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	if (tu_init() || CU_register_suites(suites) != CUE_SUCCESS)
		return tu_abort();
	return tu_run();
}
