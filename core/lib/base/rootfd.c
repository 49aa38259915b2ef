/* SPDX-License-Identifier: MIT */
/* rootfd.c - walking gateway paths by descriptors, inside the root. */
#include "base/rootfd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

#include "base/rootpath.h"
#include "base/util.h"

/* One directory of the walk: what ".." goes back to. */
struct level {
	int fd; /* O_PATH */
	uid_t uid;
	char *gw; /* its gateway path, for messages */
};

struct walk {
	struct level *lv;
	size_t n, cap;
	char *rest; /* what is left to walk, components split by '/' */
	unsigned int links;
	unsigned int flags;
	char **why;
};

static int fail(struct walk *w, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record why the walk stopped; returns -err. */
static int fail(struct walk *w, int err, const char *fmt, ...)
{
	va_list ap;

	free(*w->why);
	va_start(ap, fmt);
	if (vasprintf(w->why, fmt, ap) < 0)
		*w->why = NULL;
	va_end(ap);
	return -err;
}

/* The same with ": strerror(err)" after the message. */
static int fail_errno(struct walk *w, int err, const char *what,
		      const char *gw)
{
	return fail(w, err, "%s '%s': %s", what, gw, strerror(err));
}

/* The owners whose links and directories are trusted on the way. */
static bool trusted(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* Open one component (no '/') below dirfd, never through a link. */
static int open_component(int dirfd, const char *name)
{
#ifdef SYS_openat2
	static int have_openat2 = 1;

	if (have_openat2) {
		struct open_how how = {
			.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
		};
		long fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));

		if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
			return (int)fd;
		/* No openat2 (older kernel, or a seccomp filter). */
		have_openat2 = 0;
	}
#endif
	return openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
}

static char *child_gw(const char *parent, const char *name)
{
	return sk_asprintf("%s%s%s", parent, strcmp(parent, "/") ? "/" : "",
			   name);
}

static int push(struct walk *w, int fd, uid_t uid, char *gw)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct level *g = realloc(w->lv, cap * sizeof(*g));

		if (!g) {
			close(fd);
			free(gw);
			return fail(w, ENOMEM, "out of memory");
		}
		w->lv = g;
		w->cap = cap;
	}
	w->lv[w->n].fd = fd;
	w->lv[w->n].uid = uid;
	w->lv[w->n].gw = gw;
	w->n++;
	return 0;
}

static void pop(struct walk *w)
{
	w->n--;
	close(w->lv[w->n].fd);
	free(w->lv[w->n].gw);
}

/* The next component at *pos (skipping empty ones and "."), cut out
 * in place; NULL at the end. *last: nothing follows it. */
static char *next_component(char **pos, bool *last)
{
	char *p = *pos, *c, *q;

	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			return NULL;
		c = p;
		p += strcspn(p, "/");
		if (*p)
			*p++ = '\0';
		if (strcmp(c, ".") != 0)
			break;
	}
	*pos = p;
	/* Last: only slashes and "." are left. */
	*last = true;
	for (q = p; *q;) {
		size_t len;

		while (*q == '/')
			q++;
		len = strcspn(q, "/");
		if (len && !(len == 1 && q[0] == '.')) {
			*last = false;
			break;
		}
		q += len;
	}
	return c;
}

/* Continue the walk at the target of the link fd (found as gw): the
 * target's components go before what is left (pos). */
static int follow(struct walk *w, int fd, const char *gw, const char *pos)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
	char *rest;

	if (n < 0)
		return fail_errno(w, errno, "cannot read the symbolic link", gw);
	if (n == 0)
		return fail(w, ENOENT, "'%s' is an empty symbolic link", gw);
	target[n] = '\0';
	if (++w->links > SK_ROOT_MAX_LINKS)
		return fail(w, ELOOP,
			    "more than %d symbolic links on the way to '%s'",
			    SK_ROOT_MAX_LINKS, gw);
	rest = sk_asprintf("%s/%s", target, pos);
	if (!rest)
		return fail(w, ENOMEM, "out of memory");
	if (strlen(rest) > SK_ROOT_PATH_MAX * 2) {
		free(rest);
		return fail(w, ENAMETOOLONG, "the path through '%s' is too long",
			    gw);
	}
	/* An absolute target starts again at the root. */
	if (target[0] == '/')
		while (w->n > 1)
			pop(w);
	free(w->rest);
	w->rest = rest;
	return 0;
}

/*
 * A missing directory on the way, made (0755 whatever the umask) and
 * synced into its parent; its descriptor or -errno. Never in a directory
 * of another user: ours would be an unsafe transition from it, and its
 * owner could swap a directory of root's in under the name between our
 * mkdirat() and openat(). A name that appeared meanwhile is opened
 * without a change and checked by the walk like any other; only when
 * mkdirat() made it does it get mode 0755.
 */
static int make_dir(struct walk *w, const char *name, const char *gw)
{
	const struct level *top = &w->lv[w->n - 1];
	int parent, fd = -1, err = 0;
	bool made = true;

	if (!trusted(top->uid))
		return fail(w, EPERM,
			    "unsafe path transition: '%s' is missing and is not made in '%s', a directory owned by uid %lu",
			    gw, top->gw, (unsigned long)top->uid);
	parent = openat(top->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent < 0)
		return fail_errno(w, errno, "cannot open", top->gw);
	if (mkdirat(parent, name, 0700) != 0) {
		if (errno != EEXIST) {
			err = errno;
			goto out;
		}
		made = false;
	}
	fd = openat(parent, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		goto out;
	}
	if (made && fchmod(fd, 0755) != 0) {
		err = errno;
		goto out;
	}
	if (fsync(parent) != 0)
		err = errno;
out:
	close(parent);
	if (err) {
		if (fd >= 0)
			close(fd);
		return fail_errno(w, err, "cannot create directory", gw);
	}
	return fd;
}

/*
 * Walk w->rest. want_dir: every component is resolved and must be a
 * directory (the result is the top level); else the last one is left
 * (unless SK_RFD_FOLLOW_LAST and it is a link) and returned in *name.
 */
static int walk(struct walk *w, bool want_dir, char **name)
{
	char *pos = w->rest;

	for (;;) {
		struct level *top = &w->lv[w->n - 1];
		struct stat st;
		bool last;
		char *c = next_component(&pos, &last), *gw;
		int fd, r;

		if (!c) {
			if (want_dir)
				return 0;
			return fail(w, EINVAL,
				    "'%s' is a directory reached through '..' or a link, not a name in one",
				    top->gw);
		}
		if (strcmp(c, "..") == 0) {
			if (w->n > 1)
				pop(w);
			if (last && !want_dir)
				return fail(w, EINVAL,
					    "the path ends in '..'");
			continue;
		}
		if (last && !want_dir && !(w->flags & SK_RFD_FOLLOW_LAST)) {
			*name = strdup(c);
			return *name ? 0 : fail(w, ENOMEM, "out of memory");
		}
		gw = child_gw(top->gw, c);
		if (!gw)
			return fail(w, ENOMEM, "out of memory");
		fd = open_component(top->fd, c);
		if (fd < 0 && errno == ENOENT && last && !want_dir) {
			free(gw);
			*name = strdup(c);
			return *name ? 0 : fail(w, ENOMEM, "out of memory");
		}
		if (fd < 0 && errno == ENOENT && (w->flags & SK_RFD_MKPARENTS)) {
			fd = make_dir(w, c, gw);
			if (fd < 0) {
				free(gw);
				return fd;
			}
		} else if (fd < 0) {
			r = fail_errno(w, errno, "cannot open", gw);
			free(gw);
			return r;
		}
		if (fstat(fd, &st) != 0) {
			r = fail_errno(w, errno, "cannot open", gw);
			close(fd);
			free(gw);
			return r;
		}
		if (S_ISLNK(st.st_mode)) {
			/* A link of root's in a directory of another user is
			 * refused too: that user can move one there from
			 * anywhere else in their directories (systemd's
			 * CHASE_SAFE has the same rule). */
			if (!trusted(st.st_uid))
				r = fail(w, EPERM,
					 "'%s' is a symbolic link owned by uid %lu: only links owned by root are followed",
					 gw, (unsigned long)st.st_uid);
			else if (!trusted(top->uid))
				r = fail(w, EPERM,
					 "'%s' is a symbolic link in a directory owned by uid %lu: links in other users' directories are not followed",
					 gw, (unsigned long)top->uid);
			else
				r = follow(w, fd, gw, pos);
			close(fd);
			free(gw);
			if (r)
				return r;
			pos = w->rest;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			close(fd);
			if (last && !want_dir) {
				free(gw);
				*name = strdup(c);
				return *name ? 0 : fail(w, ENOMEM, "out of memory");
			}
			r = fail(w, ENOTDIR, "'%s' is not a directory", gw);
			free(gw);
			return r;
		}
		if (!trusted(top->uid) && st.st_uid != top->uid) {
			r = fail(w, EPERM,
				 "unsafe path transition from '%s' (owned by uid %lu) to '%s' (owned by uid %lu)",
				 top->gw, (unsigned long)top->uid, gw,
				 (unsigned long)st.st_uid);
			close(fd);
			free(gw);
			return r;
		}
		if (last && !want_dir) {
			/* The last component, followed, is a directory. */
			close(fd);
			free(gw);
			*name = strdup(c);
			return *name ? 0 : fail(w, ENOMEM, "out of memory");
		}
		r = push(w, fd, st.st_uid, gw);
		if (r)
			return r;
	}
}

static int start(struct walk *w, int rootfd, const char *gw_path,
		 unsigned int flags, char **why)
{
	const char *reason;
	struct stat st;
	int fd;

	memset(w, 0, sizeof(*w));
	w->flags = flags;
	w->why = why;
	*why = NULL;
	if (sk_root_check_path(gw_path, &reason))
		return fail(w, EINVAL, "'%s': %s", gw_path ? gw_path : "",
			    reason);
	w->rest = strdup(gw_path);
	fd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (!w->rest || fd < 0 || fstat(fd, &st) != 0) {
		int err = w->rest ? errno : ENOMEM;

		if (fd >= 0)
			close(fd);
		return fail_errno(w, err, "cannot open", "/");
	}
	return push(w, fd, st.st_uid, strdup("/"));
}

static void finish(struct walk *w)
{
	while (w->n)
		pop(w);
	free(w->lv);
	free(w->rest);
}

/* A usable descriptor of the walk's top directory. */
static int top_dir(struct walk *w, int *fd)
{
	*fd = openat(w->lv[w->n - 1].fd, ".",
		     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return fail_errno(w, errno, "cannot open", w->lv[w->n - 1].gw);
	return 0;
}

int sk_rootfd_open(int rootfd, const char *gw_path, unsigned int flags,
		   bool want_dir, int *fd, char **name, char **dir_gw,
		   char **why)
{
	struct walk w;
	int r;

	*fd = -1;
	if (name)
		*name = NULL;
	if (dir_gw)
		*dir_gw = NULL;
	r = start(&w, rootfd, gw_path, flags, why);
	if (!r && !want_dir && strspn(gw_path, "/.") == strlen(gw_path))
		r = fail(&w, EINVAL, "'%s' is the root directory", gw_path);
	if (!r)
		r = walk(&w, want_dir, want_dir ? NULL : name);
	if (!r)
		r = top_dir(&w, fd);
	if (!r && dir_gw && !(*dir_gw = strdup(w.lv[w.n - 1].gw))) {
		close(*fd);
		*fd = -1;
		r = fail(&w, ENOMEM, "out of memory");
	}
	if (r && name) {
		free(*name);
		*name = NULL;
	}
	finish(&w);
	return r;
}

int sk_rootfd_parent(int rootfd, const char *gw_path, unsigned int flags,
		     int *dirfd, char **name, char **why)
{
	return sk_rootfd_open(rootfd, gw_path, flags, false, dirfd, name, NULL,
			      why);
}

int sk_rootfd_dir(int rootfd, const char *gw_path, unsigned int flags,
		  int *fd, char **why)
{
	return sk_rootfd_open(rootfd, gw_path, flags, true, fd, NULL, NULL,
			      why);
}

int sk_root_dir_open(const char *root, int *fd, char **canon, char **why)
{
	char *abs = NULL, *cwd = NULL, via[64];
	int slash, r;

	*fd = -1;
	*canon = NULL;
	*why = NULL;
	if (!root || !*root)
		root = "/";
	if (root[0] == '/') {
		abs = strdup(root);
	} else if ((cwd = getcwd(NULL, 0))) {
		abs = sk_asprintf("%s/%s", cwd, root);
	} else {
		r = -errno;
		*why = sk_asprintf("cannot name the working directory: %s",
				   strerror(-r));
		return r;
	}
	free(cwd);
	if (!abs)
		return -ENOMEM;
	/* The host's own tree is the root of this walk: its links resolve
	 * as the kernel would, under the same rules as any other walk. */
	slash = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (slash < 0) {
		r = -errno;
		*why = sk_asprintf("cannot open '/': %s", strerror(errno));
		free(abs);
		return r;
	}
	r = sk_rootfd_dir(slash, abs, 0, fd, why);
	close(slash);
	free(abs);
	if (r)
		return r;
	/* Named from the descriptor: a name looked up again could lead
	 * somewhere else by then. */
	snprintf(via, sizeof(via), "/proc/self/fd/%d", *fd);
	*canon = realpath(via, NULL);
	if (!*canon) {
		r = -errno;
		*why = sk_asprintf("cannot name it: %s", strerror(errno));
		close(*fd);
		*fd = -1;
		return r;
	}
	return 0;
}

int sk_rootfd_dir_host(int rootfd, const char *root, const char *gw_path,
		       unsigned int flags, int *fd, char **host, char **why)
{
	char *dir_gw = NULL;
	int r = sk_rootfd_open(rootfd, gw_path, flags, true, fd, NULL, &dir_gw,
			       why);

	*host = sk_path_join(root, r ? (gw_path ? gw_path : "") : dir_gw);
	free(dir_gw);
	if (!*host && r != -ENOMEM) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		free(*why);
		*why = strdup("out of memory");
		r = -ENOMEM;
	}
	return r;
}
