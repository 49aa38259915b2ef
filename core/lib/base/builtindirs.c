/* SPDX-License-Identifier: MIT */
/* builtindirs.c - SUPKIT_NO_BUILTIN_DIRS: are the compiled-in directories
 * used? */
#include "base/builtindirs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int sk_builtin_dirs_ignored(void)
{
	const char *v = secure_getenv(SK_NO_BUILTIN_DIRS_ENV);

	if (!v || !*v || strcmp(v, "0") == 0)
		return 0;
	return strcmp(v, "1") == 0 ? 1 : -EINVAL;
}

int sk_builtin_sysconf_ignored(const char *root)
{
	int r = sk_builtin_dirs_ignored();

	if (r <= 0)
		return r;
	return strcmp(root, "/") == 0;
}

const char *sk_builtin_plugin_dir(void)
{
	return sk_builtin_dirs_ignored() == 0 ? SUPKIT_PLUGIN_DIR : NULL;
}
