/* SPDX-License-Identifier: MIT */
/*
 * test_confirm.c - confirmation.json read back for --resume and --abandon:
 * a damaged record is refused with a reason, never half loaded.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "record/confirm.h"
#include "testutil.h"

static void load_bad(const char *text, const char *why_want)
{
	char *dir = tu_mkdtemp(), *path;
	struct sk_confirm c;
	const char *why = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	path = tu_path(dir, "confirmation.json");
	CU_ASSERT_EQUAL_FATAL(tu_write_str(path, text), 0);
	CU_ASSERT_EQUAL(sk_confirm_load(&c, path, NULL, &why), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT_STRING_EQUAL(why, why_want);
	/* Nothing a caller could walk into. */
	CU_ASSERT_EQUAL(c.n, 0);
	sk_confirm_release(&c);
	tu_rm_rf(dir);
	free(path);
	free(dir);
}

#define ACTS(x) "{\"confirmation_format\": 1, \"result\": \"running\", " \
		"\"actions\": [" x "]}"
#define OTHER "confirmation.json lists other actions than the package"

static void test_damaged(void)
{
	load_bad("not json", "confirmation.json is missing or does not parse");
	load_bad("[1, 2]", "confirmation.json is missing or does not parse");
	load_bad("{\"confirmation_format\": 2, \"actions\": []}",
		 "confirmation.json has an unknown format");
	load_bad(ACTS("{\"id\": \"a\", \"status\": null}"), OTHER);
	load_bad(ACTS("{\"id\": null, \"status\": \"pending\"}"), OTHER);
	load_bad(ACTS("{\"id\": \"a\", \"status\": 3}"), OTHER);
	load_bad(ACTS("{\"id\": \"a\", \"status\": \"done\"}"), OTHER);
	load_bad(ACTS("{\"id\": \"a\", \"status\": \"pending\"}, 7"), OTHER);
	load_bad(ACTS("{\"id\": \"a\"}"), OTHER);
}

static void test_good(void)
{
	char *dir = tu_mkdtemp(), *path;
	struct sk_confirm c;
	const char *why = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	path = tu_path(dir, "confirmation.json");
	CU_ASSERT_EQUAL_FATAL(tu_write_str(path, ACTS(
		"{\"id\": \"a\", \"status\": \"succeeded\"},"
		"{\"id\": \"b\", \"status\": \"running\"},"
		"{\"id\": \"c\", \"status\": \"pending\"}")), 0);
	CU_ASSERT_EQUAL_FATAL(sk_confirm_load(&c, path, NULL, &why), 0);
	CU_ASSERT_EQUAL(c.n, 3);
	CU_ASSERT_EQUAL(sk_confirm_status(&c, 0), SK_ST_SUCCEEDED);
	CU_ASSERT_EQUAL(sk_confirm_status(&c, 1), SK_ST_RUNNING);
	CU_ASSERT_EQUAL(sk_confirm_status(&c, 2), SK_ST_PENDING);
	CU_ASSERT_STRING_EQUAL(sk_confirm_result(&c), "running");
	sk_confirm_release(&c);
	tu_rm_rf(dir);
	free(path);
	free(dir);
}

/* The text of the record equals json-c's own serialization of it: each
 * action's kept text (confirm.c) is in place, indented, and current. */
static void assert_text_fresh(struct sk_confirm *c)
{
	const char *text = sk_confirm_text(c);
	json_object *again;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	again = json_tokener_parse(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(again);
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(again,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE |
		JSON_C_TO_STRING_SPACED), text);
	json_object_put(again);
}

static void test_text(void)
{
	char *dir = tu_mkdtemp(), *path;
	struct sk_confirm c;
	const char *why = NULL;
	struct sk_call_result r = { .ok = false, .code = "action_failed",
				    .message = "line 1\nline \"2\"",
				    .output = "out\n", .duration_ms = 7 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	path = tu_path(dir, "confirmation.json");
	CU_ASSERT_EQUAL_FATAL(tu_write_str(path, ACTS(
		"{\"id\": \"a\", \"status\": \"succeeded\"},"
		"{\"id\": \"b\", \"status\": \"pending\", \"error\": {\"k\": [1, {\"x\": null}]}},"
		"{\"id\": \"c\", \"status\": \"pending\"}")), 0);
	CU_ASSERT_EQUAL_FATAL(sk_confirm_load(&c, path, NULL, &why), 0);
	assert_text_fresh(&c);
	sk_confirm_action_start(&c, 1);
	assert_text_fresh(&c);
	CU_ASSERT_PTR_NOT_NULL(strstr(sk_confirm_text(&c), "\"running\""));
	sk_confirm_action_finish(&c, 1, &r);
	assert_text_fresh(&c);
	CU_ASSERT_PTR_NOT_NULL(strstr(sk_confirm_text(&c),
				      "line 1\\nline \\\"2\\\""));
	sk_confirm_action_requeue(&c, 2);
	assert_text_fresh(&c);
	CU_ASSERT_PTR_NOT_NULL(strstr(sk_confirm_text(&c), "\"interrupted\": true"));
	CU_ASSERT_EQUAL(sk_confirm_status(&c, 1), SK_ST_FAILED);
	sk_confirm_release(&c);
	tu_rm_rf(dir);
	free(path);
	free(dir);
}

int main(void)
{
	CU_pSuite s;

	if (tu_init())
		return tu_abort();
	s = CU_add_suite("confirm", NULL, NULL);
	if (!s || !CU_add_test(s, "damaged records are refused", test_damaged) ||
	    !CU_add_test(s, "a record is read back", test_good) ||
	    !CU_add_test(s, "the text is current after each change", test_text))
		return tu_abort();
	return tu_run();
}
