/* SPDX-License-Identifier: MIT */
/*
 * preflight.h - what must hold before the first action of a package runs:
 * configuration and plugins loaded, package compatible with this gateway,
 * every action handled by an enabled plugin, its payload count and
 * parameters accepted by its type, and its check() passed.
 */
#ifndef SK_PREFLIGHT_H
#define SK_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/config.h"
#include "base/problems.h"
#include "install/env.h"
#include "install/loader.h"
#include "package/supfile.h"

/*
 * Check the package f (its manifest valid) against e; types[i] gets the
 * registered type of action i (NULL if none). Every problem goes to d.
 * Plugin checks run only for a package that passed verification.
 */
void sk_preflight(const struct sk_env *e, const struct sk_supfile *f,
		  const struct sk_action_type **types, struct sk_problems *d);

#endif
