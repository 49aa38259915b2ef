/* SPDX-License-Identifier: MIT */
/* trustfile.c - open a file that decides what runs as root, safely. */
#include "base/trustfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/rootfd.h"
#include "base/util.h"

static void cannot_open(const char *what, const char *path, const char *why,
			struct sk_problems *d)
{
	if (strcmp(what, "configuration") == 0)
		sk_problems_add(d, SK_PROBLEM_SETUP, "cannot read '%s': %s",
				path, why);
	else
		sk_problems_add(d, SK_PROBLEM_SETUP, "%s '%s': %s", what, path,
				why);
}

static void out_of_memory(struct sk_problems *d)
{
	sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
}

/* Owned by root or by us, and only they may add or swap its entries. */
static bool dir_safe(const struct stat *st)
{
	return !((!(st->st_mode & S_ISVTX) &&
		  (st->st_mode & (S_IWGRP | S_IWOTH))) ||
		 (st->st_uid != 0 && st->st_uid != geteuid()));
}

static void dir_unsafe(const char *what, const char *display,
		       const struct stat *st, struct sk_problems *d)
{
	char *copy = strdup(display);

	if (!copy) {
		out_of_memory(d);
		return;
	}
	sk_problems_add(
		d, SK_PROBLEM_SETUP,
		"%s '%s': its directory '%s' may be changed by other users (mode %04o, owner %lu)",
		what, display, dirname(copy), (unsigned)(st->st_mode & 07777),
		(unsigned long)st->st_uid);
	free(copy);
}

/*
 * name in the directory open as dfd (display: the file's host path),
 * checked by the rules of trustfile.h: the descriptor, or -errno with the
 * problem in d; missing_ok: -ENOENT alone for a file that does not exist.
 */
static int open_in(const char *what, const char *display, int dfd,
		   const char *name, long long max, bool missing_ok,
		   struct sk_problems *d)
{
	struct stat st;
	uid_t me = geteuid();
	int fd, err;

	if (fstat(dfd, &st) != 0) {
		err = errno;
		cannot_open(what, display, strerror(err), d);
		return -err;
	}
	if (!dir_safe(&st)) {
		struct stat fst;

		/* Nothing there is no configuration, wherever it is not. */
		if (missing_ok &&
		    fstatat(dfd, name, &fst, AT_SYMLINK_NOFOLLOW) != 0 &&
		    errno == ENOENT)
			return -ENOENT;
		dir_unsafe(what, display, &st, d);
		return -EPERM;
	}
	/* The last component as it is now, never through a link. */
	fd = openat(dfd, name,
		    O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		err = errno;
		if (err == ENOENT && missing_ok)
			return -ENOENT;
		cannot_open(what, display,
			    err == ELOOP ? "is a symbolic link" : strerror(err),
			    d);
		return -err;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > max) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"%s '%s' is not a regular file of at most %lld bytes",
			what, display, max);
		close(fd);
		return -EINVAL;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) ||
	    (st.st_uid != 0 && st.st_uid != me)) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"%s '%s' may be changed by other users (mode %04o, owner %lu): it must be owned by root (or the user running sup) and writable by its owner only",
			what, display, (unsigned)(st.st_mode & 07777),
			(unsigned long)st.st_uid);
		close(fd);
		return -EPERM;
	}
	return fd;
}

int sk_trusted_open(const char *what, const char *path, long long max,
		    struct sk_problems *d)
{
	char *copy = strdup(path);
	const char *slash = strrchr(path, '/');
	int dfd, fd = -1;

	if (!copy) {
		out_of_memory(d);
		return -1;
	}
	dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		cannot_open(what, path, strerror(errno), d);
	else
		fd = open_in(what, path, dfd, slash ? slash + 1 : path, max,
			     false, d);
	if (dfd >= 0)
		close(dfd);
	free(copy);
	return fd < 0 ? -1 : fd;
}

int sk_trusted_open_under(const char *what, int rootfd, const char *root,
			  const char *gw_path, unsigned int flags,
			  long long max, char **display, struct sk_problems *d)
{
	bool missing_ok = flags & SK_TRUSTED_MISSING_OK;
	char *name = NULL, *dir_gw = NULL, *why = NULL, *gw = NULL;
	int dfd = -1, r;

	r = sk_rootfd_open(rootfd, gw_path,
			   flags & SK_TRUSTED_FOLLOW_LAST ? SK_RFD_FOLLOW_LAST
							  : 0,
			   false, &dfd, &name, &dir_gw, &why);
	/* Where the walk got to: the file, or the path as given. */
	if (r == 0 && (gw = sk_path_join(dir_gw, name)) != NULL)
		*display = sk_path_join(root, gw);
	else
		*display =
			r ? sk_path_join(root, gw_path ? gw_path : "") : NULL;
	if (!*display || r == -ENOMEM) {
		out_of_memory(d);
		r = -ENOMEM;
	} else if (r == -ENOENT) {
		if (!missing_ok)
			cannot_open(what, *display, strerror(ENOENT), d);
	} else if (r) {
		cannot_open(what, *display, why ? why : strerror(-r), d);
	} else {
		r = open_in(what, *display, dfd, name, max, missing_ok, d);
	}
	if (dfd >= 0)
		close(dfd);
	free(gw);
	free(why);
	free(dir_gw);
	free(name);
	return r;
}
