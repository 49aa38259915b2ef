/* SPDX-License-Identifier: MIT */
/*
 * test_schema_agree.c - the C manifest parser accepts every
 * tests/data/manifests/valid-*.json and rejects every invalid-*.json, the
 * same verdicts tests/schema/check-schema.py gets from the JSON Schema.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "base/problems.h"
#include "package/manifest.h"
#include "testutil.h"

static void test_verdicts(void)
{
	const char *src = getenv("SUP_SOURCE_DIR");
	char *dir;
	DIR *dh;
	struct dirent *de;
	int valid = 0, invalid = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(src);
	dir = tu_path(src, "tests/data/manifests");
	dh = opendir(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dh);
	while ((de = readdir(dh))) {
		bool want_ok = strncmp(de->d_name, "valid-", 6) == 0;
		bool want_bad = strncmp(de->d_name, "invalid-", 8) == 0;
		struct sk_manifest m;
		struct sk_problems d;
		char *path, *text;
		size_t len;
		int r;

		if (!want_ok && !want_bad)
			continue;
		path = tu_path(dir, de->d_name);
		text = tu_read_file(path, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(text);
		sk_problems_init(&d);
		r = sk_manifest_parse(&m, text, len, NULL, 0, &d);
		if (want_ok && r != 0)
			fprintf(stderr, "%s: rejected: %s\n", de->d_name,
				d.count ? d.items[0].msg : "?");
		if (want_bad && r == 0)
			fprintf(stderr, "%s: accepted\n", de->d_name);
		CU_ASSERT_EQUAL(r, want_ok ? 0 : -1);
		CU_ASSERT_EQUAL(sk_problems_empty(&d), want_ok);
		valid += want_ok;
		invalid += want_bad;
		sk_manifest_release(&m);
		sk_problems_release(&d);
		free(text);
		free(path);
	}
	closedir(dh);
	free(dir);
	CU_ASSERT(valid >= 3);
	CU_ASSERT(invalid >= 6);
}

int main(void)
{
	CU_pSuite s;

	if (tu_init())
		return tu_abort();
	s = CU_add_suite("schema_agree", NULL, NULL);
	if (!s || !CU_add_test(s, "sample manifests", test_verdicts))
		return tu_abort();
	return tu_run();
}
