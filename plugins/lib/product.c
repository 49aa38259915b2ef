/* SPDX-License-Identifier: MIT */
/*
 * product.c - read one setting of the product profile: its text, or a
 * checked number (see product.h).
 */
#include <inttypes.h>

#include "product.h"
#include "util.h"

const char *spl_product_get(const struct sup_host_api *host,
			    struct sup_action_ctx *ctx, const char *section,
			    const char *key)
{
	const char *v = NULL;

	if (host->product_get(ctx, section, key, &v) != SUP_OK)
		return NULL;
	return v;
}

int spl_product_num(const struct sup_host_api *host, struct sup_action_ctx *ctx,
		    const char *section, const char *key, int64_t def,
		    int64_t min, int64_t max, const char *unit, int64_t *out)
{
	const char *v = spl_product_get(host, ctx, section, key);

	*out = def;
	if (!v)
		return SUP_OK;
	if (!spl_parse_num(v, min, max, out))
		return host->fail(ctx, 0,
				  "[%s] %s: '%s' is not a number %sfrom %" PRId64 " to %" PRId64,
				  section, key, v, unit, min, max);
	return SUP_OK;
}
