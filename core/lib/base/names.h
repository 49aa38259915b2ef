/* SPDX-License-Identifier: MIT */
/*
 * names.h - the names supkit gives meaning to: plugin names and action
 * types. One rule each, for the manifest, the configuration and the
 * plugin loader alike.
 */
#ifndef SK_NAMES_H
#define SK_NAMES_H

#include <stdbool.h>

/* 1-64 of [a-z0-9_-]: a plugin's file name, config section and the prefix
 * of its action types. */
bool sk_plugin_name_valid(const char *s);

/* [a-z0-9_-]+(\.[a-z0-9_-]+)+, such as "file.install" (no length limit
 * here; the loader adds its own). */
bool sk_action_type_valid(const char *s);

#endif
