/* SPDX-License-Identifier: MIT */
/*
 * builtindirs.h - whether the directories compiled into supkit (the
 * installed plugin directory and the configuration directory of this
 * host) are used, or ignored under SUPKIT_NO_BUILTIN_DIRS=1
 * (docs/config.md): what keeps a test suite away from an installed
 * supkit.
 */
#ifndef SK_BUILTINDIRS_H
#define SK_BUILTINDIRS_H

#define SK_NO_BUILTIN_DIRS_ENV "SUPKIT_NO_BUILTIN_DIRS"

/*
 * 1 when SUPKIT_NO_BUILTIN_DIRS is "1", 0 when it is unset, empty or "0",
 * -EINVAL for any other value. Read with secure_getenv(): in a setuid or
 * setgid process it is always unset (0).
 */
int sk_builtin_dirs_ignored(void);

/*
 * The installed plugin directory (SUPKIT_PLUGIN_DIR, compiled in here
 * only), or NULL when the compiled-in directories are ignored or the
 * variable is invalid (which sk_config_load() reports).
 */
const char *sk_builtin_plugin_dir(void);

/*
 * The same for a gateway path of the configuration directory resolved
 * under root (canonical): 1 only when they are ignored and root is "/",
 * the host itself; under any other root that directory belongs to the
 * tree being installed, not to this host.
 */
int sk_builtin_sysconf_ignored(const char *root);

#endif
