/* SPDX-License-Identifier: MIT */
/*
 * nulldesc.c - a plugin whose sup_plugin_entry() returns NULL (e.g. one
 * that refuses to run on this system). The host must refuse it cleanly
 * instead of dereferencing the pointer.
 */
#include <stddef.h>

#include <sup/plugin.h>

SUP_EXPORT const struct sup_plugin *sup_plugin_entry(void)
{
	return NULL;
}
