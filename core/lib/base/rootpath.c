/* SPDX-License-Identifier: MIT */
/* rootpath.c - gateway path resolution inside a root directory. */
#include "base/rootpath.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sk_root_check_path(const char *gw_path, const char **why)
{
	const char *p;

	if (!gw_path || gw_path[0] != '/') {
		*why = "not an absolute path";
		return -EINVAL;
	}
	if (strlen(gw_path) > SK_ROOT_PATH_MAX) {
		*why = "path too long";
		return -EINVAL;
	}
	for (p = gw_path; *p;) {
		size_t len;

		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			*why = "'..' components are not allowed";
			return -EINVAL;
		}
		p += len;
	}
	return 0;
}

/* A growable string. */
struct buf {
	char *s;
	size_t len, cap;
};

static int buf_put(struct buf *b, const char *s, size_t n)
{
	if (n > SIZE_MAX - b->len - 1)
		return -ENOMEM;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *g;

		while (cap < b->len + n + 1)
			cap *= 2;
		g = realloc(b->s, cap);
		if (!g)
			return -ENOMEM;
		b->s = g;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int sk_root_resolve(const char *root, const char *gw_path, unsigned int flags,
		    char **out, const char **why)
{
	struct buf res = { 0 };	 /* host path: root + resolved components */
	struct buf rest = { 0 }; /* components still to walk */
	size_t root_len, pos = 0;
	int links = 0, ret;
	char *link = NULL;

	*out = NULL;
	ret = sk_root_check_path(gw_path, why);
	if (ret)
		return ret;
	root_len = strcmp(root, "/") == 0 ? 0 : strlen(root);
	if ((ret = buf_put(&res, root, root_len)) ||
	    (ret = buf_put(&rest, gw_path, strlen(gw_path))))
		goto nomem;

	while (pos < rest.len) {
		const char *c;
		size_t clen;
		bool last;
		struct stat st;
		size_t mark;

		while (pos < rest.len && rest.s[pos] == '/')
			pos++;
		if (pos >= rest.len)
			break;
		c = rest.s + pos;
		clen = strcspn(c, "/");
		pos += clen;
		last = rest.s[pos + strspn(rest.s + pos, "/")] == '\0';

		if (clen == 1 && c[0] == '.')
			continue;
		if (clen == 2 && c[0] == '.' && c[1] == '.') {
			/* Only link targets get here; stop at the root. */
			while (res.len > root_len && res.s[res.len - 1] != '/')
				res.len--;
			if (res.len > root_len)
				res.len--;
			res.s[res.len] = '\0';
			continue;
		}
		mark = res.len;
		if ((ret = buf_put(&res, "/", 1)) || (ret = buf_put(&res, c, clen)))
			goto nomem;
		if (res.len - root_len > SK_ROOT_PATH_MAX) {
			*why = "path too long";
			ret = -ENAMETOOLONG;
			goto fail;
		}
		if (last && (flags & SK_ROOT_NOFOLLOW_LAST))
			break;
		if (lstat(res.s, &st) != 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue; /* the rest does not exist yet */
			ret = -errno;
			*why = "cannot examine a path component";
			goto fail;
		}
		if (!S_ISLNK(st.st_mode))
			continue;

		if (++links > SK_ROOT_MAX_LINKS) {
			*why = "too many levels of symbolic links";
			ret = -ELOOP;
			goto fail;
		}
		link = malloc(PATH_MAX);
		if (!link)
			goto nomem;
		{
			ssize_t n = readlink(res.s, link, PATH_MAX - 1);
			struct buf next = { 0 };

			if (n < 0) {
				ret = -errno;
				*why = "cannot read a symbolic link";
				goto fail;
			}
			link[n] = '\0';
			/* Replace the link component by its target. */
			res.len = mark;
			res.s[res.len] = '\0';
			if (link[0] == '/') {
				res.len = root_len;
				res.s[res.len] = '\0';
			}
			if ((ret = buf_put(&next, link, (size_t)n)) ||
			    (ret = buf_put(&next, "/", 1)) ||
			    (ret = buf_put(&next, rest.s + pos, rest.len - pos))) {
				free(next.s);
				goto nomem;
			}
			free(rest.s);
			rest = next;
			pos = 0;
		}
		free(link);
		link = NULL;
	}
	if (res.len == 0 && (ret = buf_put(&res, "/", 1)))
		goto nomem;
	free(rest.s);
	*out = res.s;
	return 0;
nomem:
	*why = "out of memory";
	ret = -ENOMEM;
fail:
	free(link);
	free(res.s);
	free(rest.s);
	return ret;
}
