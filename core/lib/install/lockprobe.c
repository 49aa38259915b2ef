/* SPDX-License-Identifier: MIT */
/* lockprobe.c - whether an installer holds the installer lock, asked
 * without taking it (sup status). */
#include "install/state.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/*
 * The device number the kernel gives the file system of fd in
 * /proc/locks and /proc/self/mountinfo (its superblock's): stat()'s
 * st_dev differs on btrfs, where it is a subvolume's own number. The
 * mount comes from /proc/self/fdinfo (mnt_id). 0, or -1 when /proc
 * cannot say.
 */
static int sb_dev(int fd, dev_t *dev)
{
	char path[64], line[512];
	FILE *f;
	int mnt = -1, found = -1;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (mnt < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "mnt_id: %d", &mnt) != 1)
			mnt = -1;
	fclose(f);
	if (mnt < 0 || !(f = fopen("/proc/self/mountinfo", "re")))
		return -1;
	/* "36 35 98:0 /mnt1 /mnt2 rw ...": mount id, parent, MAJ:MIN. A
	 * line longer than the buffer goes on in the next read, which
	 * starts with no such triple unless the path makes one: so the
	 * id must also be at the start of a whole line. */
	for (bool start = true; found < 0 && fgets(line, sizeof(line), f);) {
		unsigned int maj, min;
		int id;

		if (start && sscanf(line, "%d %*d %u:%u", &id, &maj, &min) == 3 &&
		    id == mnt) {
			*dev = makedev(maj, min);
			found = 0;
		}
		start = strchr(line, '\n') != NULL;
	}
	fclose(f);
	return found;
}

/*
 * Look for a flock() lock on the inode ino of the device dev (or alt,
 * the same file system as stat() numbers it) in /proc/locks, which lists
 * every lock on the machine without touching any. 1: there is one (*pid:
 * its pid there, 0 when the kernel cannot say); 0: there is none; -1: no
 * /proc/locks. A lock on the same inode number of another device is
 * another file: anyone can make one (a pipe, say) and it says nothing.
 */
static int proc_locks_find(dev_t dev, dev_t alt, ino_t ino, long *pid)
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
		if (makedev(maj, min) == dev || makedev(maj, min) == alt) {
			*pid = p > 0 ? p : 0;
			found = 1;
		}
	}
	fclose(f);
	return found;
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
	dev_t dev;
	long lpid = 0;
	int fd, held;

	*pid = 0;
	*holder = NULL;
	fd = openat(dirfd, SK_LOCK_NAME,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == EACCES) {
		/* The lock is root's alone (0600): another user asks
		 * /proc/locks only, and learns nothing of the holder. */
		if (fstatat(dirfd, SK_LOCK_NAME, &st, AT_SYMLINK_NOFOLLOW) != 0)
			return errno == ENOENT ? 0 : -errno;
		if (!S_ISREG(st.st_mode))
			return -EINVAL;
		if (sb_dev(dirfd, &dev) != 0)
			dev = st.st_dev;
		held = proc_locks_find(dev, st.st_dev, st.st_ino, pid);
		return held < 0 ? -EACCES : held;
	}
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
	if (sb_dev(fd, &dev) != 0)
		dev = st.st_dev;
	held = proc_locks_find(dev, st.st_dev, st.st_ino, &lpid);
	if (held < 0) {
		/* No /proc/locks: taking the lock shared for an instant
		 * would make an installer that starts in that instant give
		 * up (it never waits), but there is no other way to tell. */
		if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
			flock(fd, LOCK_UN);
			held = 0;
		} else {
			held = errno == EWOULDBLOCK ? 1 : -errno;
		}
	}
	if (held == 1) {
		*holder = sk_lock_holder(fd);
		*pid = holder_pid(*holder);
		if (!*pid)
			*pid = lpid;
	}
out:
	close(fd);
	return held;
}
