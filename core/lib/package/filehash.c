/* SPDX-License-Identifier: MIT */
/* filehash.c - a whole file hashed by a child process (see filehash.h). */
#include "package/filehash.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Large reads: the child competes with nobody for this buffer. */
#define SK_FILEHASH_BLOCK (256 * 1024)

struct sk_filehash {
	pid_t pid;
	int answer; /* read end of the pipe the child answers on */
};

/* What the child writes, once, when it is done. */
struct filehash_answer {
	int err;
	char hex[SK_SHA256_HEX_LEN + 1];
};

/* Close every descriptor but 0-2, a and b. */
static void keep_only(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;

	if (lo > 3)
		close_range(3, (unsigned int)lo - 1, 0);
	if (hi > lo + 1)
		close_range((unsigned int)lo + 1, (unsigned int)hi - 1, 0);
	close_range((unsigned int)hi + 1, ~0U, 0);
}

/* True when nobody reads the pipe any more: the installer is gone. */
static int reader_gone(int out)
{
	struct pollfd p = { .fd = out, .events = 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

static void filehash_child(int fd, unsigned long long size, int out,
			   struct sk_sha256 *sha)
{
	struct filehash_answer a;
	unsigned long long off = 0;
	unsigned char *buf = malloc(SK_FILEHASH_BLOCK);
	size_t done = 0;

	/* The installer decides what an interrupt means; this child ends
	 * when it has answered or when nobody waits for the answer. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_DFL);
	keep_only(fd, out);
	memset(&a, 0, sizeof(a));
	if (!buf) {
		a.err = -ENOMEM;
		goto answer;
	}
	for (;;) {
		ssize_t n = pread(fd, buf, SK_FILEHASH_BLOCK, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			a.err = -errno;
			goto answer;
		}
		if (n == 0)
			break;
		sk_sha256_update(sha, buf, (size_t)n);
		off += (unsigned long long)n;
		if (reader_gone(out))
			_exit(1);
	}
	a.err = off == size ? 0 : -EIO;
	if (!a.err)
		sk_sha256_final_hex(sha, a.hex);
answer:
	while (done < sizeof(a)) {
		ssize_t n = write(out, (char *)&a + done, sizeof(a) - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(1);
		done += (size_t)n;
	}
	_exit(0);
}

struct sk_filehash *sk_filehash_start(int fd, unsigned long long size)
{
	struct sk_filehash *h = calloc(1, sizeof(*h));
	struct sk_sha256 *sha = sk_sha256_new();
	int p[2] = { -1, -1 };

	if (!h || !sha || pipe2(p, O_CLOEXEC) != 0)
		goto fail;
	h->pid = fork();
	if (h->pid == 0) {
		close(p[0]);
		filehash_child(fd, size, p[1], sha);
	}
	if (h->pid < 0)
		goto fail;
	close(p[1]);
	sk_sha256_free(sha);
	h->answer = p[0];
	return h;
fail:
	if (p[0] >= 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		errno = e;
	}
	sk_sha256_free(sha);
	free(h);
	return NULL;
}

int sk_filehash_wait(struct sk_filehash *h, char hex[SK_SHA256_HEX_LEN + 1])
{
	struct filehash_answer a;
	size_t done = 0;
	int r = 0;

	while (done < sizeof(a)) {
		ssize_t n = read(h->answer, (char *)&a + done,
				 sizeof(a) - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = -ECHILD;
			break;
		}
		done += (size_t)n;
	}
	close(h->answer);
	while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (!r)
		r = a.err;
	if (!r) {
		a.hex[SK_SHA256_HEX_LEN] = '\0';
		if (strlen(a.hex) != SK_SHA256_HEX_LEN)
			r = -ECHILD;
		else
			memcpy(hex, a.hex, sizeof(a.hex));
	}
	free(h);
	return r;
}
