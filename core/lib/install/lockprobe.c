/* SPDX-License-Identifier: MIT */
/* lockprobe.c - whether an installer holds the installer lock, asked
 * without taking it (sup status). */
#include "install/state.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* More than sk_lock_describe() writes with any sane package path; the
 * rest of a longer text is not needed. */
#define HOLDER_MAX 1024

/*
 * Look for a flock() lock on the inode (dev, ino) in /proc/locks, which
 * lists every lock on the machine without touching any. 1: there is one
 * (*pid: its pid there, 0 when the kernel cannot say); 0: there is none;
 * -1: cannot tell (no /proc/locks, or a lock on that inode number on a
 * device numbered otherwise: btrfs shows stat() a subvolume's own device
 * number, /proc/locks the file system's).
 */
static int proc_locks_find(dev_t dev, ino_t ino, long *pid)
{
	FILE *f = fopen("/proc/locks", "re");
	char line[256];
	int found = 0;

	if (!f)
		return -1;
	while (found != 1 && fgets(line, sizeof(line), f)) {
		/* "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; a
		 * waiter's line has "->" after the number. */
		char kind[16];
		unsigned int maj, min;
		unsigned long long i;
		long p;

		if (sscanf(line, "%*d: %15s %*s %*s %ld %x:%x:%llu", kind, &p,
			   &maj, &min, &i) != 5 ||
		    strcmp(kind, "FLOCK") != 0 || i != (unsigned long long)ino)
			continue;
		if (maj == major(dev) && min == minor(dev)) {
			*pid = p > 0 ? p : 0;
			found = 1;
		} else {
			found = -1;
		}
	}
	fclose(f);
	return found;
}

/* The first line of the lock file: who holds it, as its holder wrote
 * (sk_lock_describe), or NULL. */
static char *read_holder(int fd)
{
	char buf[HOLDER_MAX];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] ? strdup(buf) : NULL;
}

/* The pid in "pid N, ..." when that process exists. */
static long holder_pid(const char *holder)
{
	char *end;
	long pid;

	if (!holder || strncmp(holder, "pid ", 4) != 0)
		return 0;
	errno = 0;
	pid = strtol(holder + 4, &end, 10);
	if (errno || pid <= 0 || end == holder + 4 || *end != ',')
		return 0;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM ? pid : 0;
}

int sk_lock_probe(int dirfd, long *pid, char **holder)
{
	struct stat st;
	long lpid = 0;
	int fd, held;

	*pid = 0;
	*holder = NULL;
	fd = openat(dirfd, SK_LOCK_NAME,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) != 0) {
		held = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		held = -EINVAL;
		goto out;
	}
	held = proc_locks_find(st.st_dev, st.st_ino, &lpid);
	if (held < 0) {
		/* Taking the lock shared for an instant would make an
		 * installer that starts in that instant give up (it never
		 * waits): only when /proc/locks cannot tell. */
		if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
			flock(fd, LOCK_UN);
			held = 0;
		} else {
			held = errno == EWOULDBLOCK ? 1 : -errno;
		}
	}
	if (held == 1) {
		*holder = read_holder(fd);
		*pid = holder_pid(*holder);
		if (!*pid)
			*pid = lpid;
	}
out:
	close(fd);
	return held;
}
