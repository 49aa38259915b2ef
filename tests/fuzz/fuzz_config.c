/* SPDX-License-Identifier: MIT */
/*
 * fuzz_config.c - sup.conf and the product profile it selects
 * (sk_config_load(): config.c on inifile.c and libinih), in a private
 * root directory.
 *
 * Input: sup.conf, optionally followed by a NUL byte and the product
 * profile of product "fuzz" (INI text holds no NUL byte). sup.conf goes to
 * ROOT/SUPKIT_SYSCONF_DIR/sup.conf, the profile to the default profiles
 * directory below ROOT. The configuration is loaded twice: named, with
 * product "fuzz" given (as --config and --product do), and found by
 * default with no product given (then [gateway] product decides).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"
#include "base/problems.h"
#include "fuzzutil.h"

static char *root, *conf_path, *profile_path;
static int rootfd;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *dir;

	(void)argc;
	(void)argv;
	root = fz_join(fz_tmpdir(), "root");
	dir = fz_join(root, SK_DEFAULT_PROFILES_DIR);
	fz_mkdirs(dir);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		fz_die("cannot open the root");
	conf_path = fz_join(root, SUPKIT_SYSCONF_DIR "/sup.conf");
	profile_path = fz_join(dir, "fuzz.conf");
	free(dir);
	return 0;
}

static void check(const struct sk_config *c)
{
	if (c->default_timeout_s < 1 || c->default_timeout_s > 86400 ||
	    !c->logs_dir || !c->state_dir || !c->profiles_dir ||
	    !c->trust.keyring)
		abort();
	for (size_t i = 0; i < c->n_plugin_dirs; i++)
		if (c->plugin_dirs[i][0] != '/')
			abort(); /* relative plugin directory accepted */
	for (size_t i = 0; i < c->n_kv; i++)
		if (sk_config_plugin_key(c, c->kv[i].plugin, c->kv[i].key) !=
		    c->kv[i].value)
			abort(); /* a key given twice was accepted */
	for (size_t i = 0; i < c->n_pkv; i++)
		if (sk_config_product_key(c, c->pkv[i].plugin,
					  c->pkv[i].key) != c->pkv[i].value)
			abort();
}

static void load(const char *path, const char *product)
{
	struct sk_config c;
	struct sk_problems d;

	sk_problems_init(&d);
	if (sk_config_load(&c, path, root, rootfd, product, &d) == 0)
		check(&c);
	else if (sk_problems_empty(&d))
		abort(); /* refused without saying why */
	sk_config_release(&c);
	sk_problems_release(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_part part[2];
	size_t n;

	n = fz_split(data, size, "", 1, part, 2);
	fz_write(conf_path, part[0].data, part[0].len, 0600);
	if (n > 1)
		fz_write(profile_path, part[1].data, part[1].len, 0600);
	else
		unlink(profile_path);
	load(conf_path, "fuzz");
	load(NULL, NULL);
	return 0;
}
