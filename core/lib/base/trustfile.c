/* SPDX-License-Identifier: MIT */
/* trustfile.c - open a file that decides what runs as root, safely. */
#include "base/trustfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int sk_trusted_open(const char *what, const char *path, long long max,
		    struct sk_problems *d)
{
	char *copy = strdup(path), *dir;
	struct stat st;
	int dfd = -1, fd = -1;
	uid_t me = geteuid();

	if (!copy) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "out of memory");
		return -1;
	}
	dir = dirname(copy);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &st) != 0) {
		cannot_open(what, path, strerror(errno), d);
		goto out;
	}
	if ((!(st.st_mode & S_ISVTX) && (st.st_mode & (S_IWGRP | S_IWOTH))) ||
	    (st.st_uid != 0 && st.st_uid != me)) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"%s '%s': its directory '%s' may be changed by other users (mode %04o, owner %lu)",
			what, path, dir, (unsigned)(st.st_mode & 07777),
			(unsigned long)st.st_uid);
		goto out;
	}
	/* The last component as it is now, never through a link. */
	fd = openat(dfd, strrchr(path, '/') ? strrchr(path, '/') + 1 : path,
		    O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		cannot_open(what, path,
			    errno == ELOOP ? "is a symbolic link"
					   : strerror(errno),
			    d);
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > max) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"%s '%s' is not a regular file of at most %lld bytes",
			what, path, max);
		goto fail;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) ||
	    (st.st_uid != 0 && st.st_uid != me)) {
		sk_problems_add(
			d, SK_PROBLEM_SETUP,
			"%s '%s' may be changed by other users (mode %04o, owner %lu): it must be owned by root (or the user running sup) and writable by its owner only",
			what, path, (unsigned)(st.st_mode & 07777),
			(unsigned long)st.st_uid);
		goto fail;
	}
	goto out;
fail:
	close(fd);
	fd = -1;
out:
	if (dfd >= 0)
		close(dfd);
	free(copy);
	return fd;
}
