/* SPDX-License-Identifier: MIT */
/*
 * product.h - read one setting of the product profile (host->product_get()):
 * its text, or a number checked against a range, with the message that
 * names section and key when it is not one.
 */
#ifndef SPL_PRODUCT_H
#define SPL_PRODUCT_H

#include <stdint.h>

#include <sup/plugin.h>

/* The value of key in [section], or NULL if it is not set (or the host
 * cannot tell). The text belongs to the host. */
const char *spl_product_get(const struct sup_host_api *host,
			    struct sup_action_ctx *ctx, const char *section,
			    const char *key);

/*
 * A number from min to max (spl_parse_num()) in [section] key: *out is
 * def if it is not set. Else a value that is not such a number leaves
 * *out at def and is recorded on ctx: "[section] key: 'v' is not a number
 * <unit>from min to max", unit a few words with a trailing space ("of
 * seconds ") or "". Returns SUP_OK or SUP_ERR.
 */
int spl_product_num(const struct sup_host_api *host, struct sup_action_ctx *ctx,
		    const char *section, const char *key, int64_t def,
		    int64_t min, int64_t max, const char *unit, int64_t *out);

#endif
