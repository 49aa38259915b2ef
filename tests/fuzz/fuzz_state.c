/* SPDX-License-Identifier: MIT */
/*
 * fuzz_state.c - install.json, the durable install state that
 * `sup install --resume` reads (sk_state_load()).
 *
 * Input: the file, written to STATE_DIR/install.json of a private state
 * directory. A state that loads is saved and loaded again: it must come
 * back the same (the round trip --resume relies on).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "install/state.h"

static char *state_dir, *state_path;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	state_dir = fz_join(fz_tmpdir(), "state");
	fz_mkdirs(state_dir);
	state_path = fz_join(state_dir, SK_STATE_NAME);
	return 0;
}

static int same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_install_state s, t;
	const char *why = NULL;
	int r;

	fz_write(state_path, data, size, 0600);
	r = sk_state_load(state_dir, &s, &why);
	if (r != 0) {
		if (!why)
			abort(); /* refused without saying why */
		return 0;
	}
	if (!s.sup || !s.sup_sha256)
		abort(); /* loaded without the package */
	if (sk_state_save(state_dir, &s) != 0)
		fz_die("cannot save the state again");
	if (sk_state_load(state_dir, &t, &why) != 0)
		abort(); /* what was saved does not load */
	if (!same(s.sup, t.sup) || !same(s.sup_sha256, t.sup_sha256) ||
	    !same(s.config, t.config) || !same(s.product, t.product) ||
	    !same(s.job_id, t.job_id) || s.n_plugin_dirs != t.n_plugin_dirs)
		abort(); /* the round trip changed the state */
	for (size_t i = 0; i < s.n_plugin_dirs; i++)
		if (!same(s.plugin_dirs[i], t.plugin_dirs[i]))
			abort();
	sk_install_state_release(&s);
	sk_install_state_release(&t);
	return 0;
}
