/* SPDX-License-Identifier: MIT */
/* spool.c - names and files of downloaded packages in download_dir. */
#include "spool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "slog.h"

#define NAME_MAX_LEN 200

bool supd_spool_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > NAME_MAX_LEN || name[0] == '.')
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		      *p == '+' || *p == '-'))
			return false;
	return true;
}

int supd_spool_paths(const struct supd_conf *c, const char *name, char **part,
		     char **final)
{
	size_t len = strlen(name);
	bool has_ext = len > 4 && strcmp(name + len - 4, ".sup") == 0;

	*part = sk_asprintf("%s/%s.part", c->download_dir, name);
	*final = sk_asprintf("%s/%s%s", c->download_dir, name,
			     has_ext ? "" : ".sup");
	if (*part && *final)
		return 0;
	free(*part);
	free(*final);
	*part = *final = NULL;
	return -ENOMEM;
}

void supd_spool_remove(const struct supd_ctx *ctx, const struct supd_job *j)
{
	char *part, *final;

	if (!j->name || supd_spool_paths(ctx->conf, j->name, &part, &final))
		return;
	if (unlink(part) != 0 && errno != ENOENT)
		supd_warn("cannot remove '%s': %s", part, strerror(errno));
	if (unlink(final) != 0 && errno != ENOENT)
		supd_warn("cannot remove '%s': %s", final, strerror(errno));
	free(part);
	free(final);
}
