/* SPDX-License-Identifier: MIT */
/*
 * fuzz_installed.c - installed.json, the anti-rollback record
 * (sk_installed_load(), and its rewrite by sk_installed_record() and
 * sk_installed_raise_floor()), with the version comparison it relies on
 * (sk_version_cmp()).
 *
 * Input: the file, written to STATE_DIR/installed.json of a private state
 * directory.
 *
 * Checked: every package of a record that loads compares as the same
 * version to itself and refuses a lower security_version; the version
 * comparison is antisymmetric on the record's versions; recording an
 * install keeps every other package and never lowers a security_version;
 * the time floor never goes down.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/version.h"
#include "fuzzutil.h"
#include "verify/rollback.h"

static char *state_dir, *record_path;
static int state_fd; /* the state directory, as the installer opens it */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	state_dir = fz_join(fz_tmpdir(), "state");
	fz_mkdirs(state_dir);
	record_path = fz_join(state_dir, SK_INSTALLED_NAME);
	state_fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (state_fd < 0)
		fz_die("cannot open the state directory");
	return 0;
}

static int sign(int c)
{
	return (c > 0) - (c < 0);
}

static void finding(const char *what)
{
	fprintf(stderr, "finding: %s\n", what);
	abort();
}

static void check_versions(const struct sk_installed *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct sk_installed_pkg *p = &s->pkgs[i];

		if (sk_rollback_check(s, p->name, p->version,
				      p->security_version) != SK_RB_SAME)
			finding("a recorded package is not the same as itself");
		if (p->security_version > 0 &&
		    sk_rollback_check(s, p->name, p->version,
				      p->security_version - 1) !=
			    SK_RB_SECURITY_DOWNGRADE)
			finding("a lower security_version is not refused");
		for (size_t k = 0; k < s->n && k < 8; k++)
			if (sign(sk_version_cmp(p->version, s->pkgs[k].version)) !=
			    -sign(sk_version_cmp(s->pkgs[k].version, p->version)))
				finding("sk_version_cmp is not antisymmetric");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_installed s, t;
	const struct sk_installed_pkg *p;
	const char *why = NULL;
	int r;

	fz_write(record_path, data, size, 0644);
	r = sk_installed_load(&s, state_fd, &why);
	if (r != 0) {
		if (!why)
			abort(); /* refused without saying why */
		sk_installed_release(&s);
		return 0;
	}
	check_versions(&s);

	r = sk_installed_record(state_fd, "edge-agent", "2.4.1", 3, &why);
	if (r == 0) {
		if (sk_installed_load(&t, state_fd, &why) != 0)
			finding("a record written by sk_installed_record does not load");
		p = sk_installed_find(&t, "edge-agent");
		if (!p || strcmp(p->version, "2.4.1") != 0 ||
		    p->security_version < 3)
			finding("the install was not recorded");
		for (size_t i = 0; i < s.n; i++) {
			const struct sk_installed_pkg *q =
				sk_installed_find(&t, s.pkgs[i].name);

			if (!q || q->security_version < s.pkgs[i].security_version)
				finding("recording an install lost or lowered a package");
		}
		if (t.time_floor != s.time_floor)
			finding("recording an install moved the time floor");
		sk_installed_release(&t);
	}
	r = sk_installed_raise_floor(state_fd, 1796428800, &why);
	if (r == 0) {
		if (sk_installed_load(&t, state_fd, &why) != 0)
			finding("a record with a raised floor does not load");
		if (t.time_floor < s.time_floor || t.time_floor < 1796428800)
			finding("the time floor went down");
		sk_installed_release(&t);
	}
	sk_installed_release(&s);
	return 0;
}
