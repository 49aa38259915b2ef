/* SPDX-License-Identifier: MIT */
/* trialload.c - the trial load of plugin files, in one child process. */
#include "install/trialload.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"

/* What the child writes for each file, in one write() (below PIPE_BUF,
 * so never interleaved), followed by len bytes of the linker's message. */
struct trial_report {
	uint32_t index;
	uint32_t ok;
	uint32_t len;
};

#define SK_TRIAL_REPORT_MAX (sizeof(struct trial_report) + SK_TRIAL_MSG_MAX)

/* The child: open files from..n-1 in order, each with every symbol bound
 * now, report each, and exit 0 after the last. */
static void trial_child(const char *const *paths, size_t from, size_t n, int fd,
			pid_t parent) __attribute__((noreturn));

static void trial_child(const char *const *paths, size_t from, size_t n, int fd,
			pid_t parent)
{
	char out[SK_TRIAL_REPORT_MAX];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	/* Whatever a constructor prints must not reach stdout, which may
	 * carry a --json document. */
	(void)dup2(STDERR_FILENO, STDOUT_FILENO);
	for (size_t i = from; i < n; i++) {
		struct trial_report h = {.index = (uint32_t)i, .ok = 1};
		const char *err = NULL;

		if (!dlopen(paths[i], RTLD_NOW | RTLD_LOCAL)) {
			err = dlerror();
			h.ok = 0;
		}
		if (err) {
			h.len = (uint32_t)strlen(err);
			if (h.len > SK_TRIAL_MSG_MAX)
				h.len = SK_TRIAL_MSG_MAX;
			memcpy(out + sizeof(h), err, h.len);
		}
		memcpy(out, &h, sizeof(h));
		if (sk_write_all(fd, out, sizeof(h) + h.len) != 0)
			_exit(1);
	}
	_exit(0);
}

/* The refusal of file i from the linker's message ("PATH: undefined
 * symbol: NAME" names the file already). */
static void refuse_linker(const char *path, char *m, size_t len,
			  struct sk_problems *d)
{
	size_t plen = strlen(path);
	char *shown;

	m[len] = '\0';
	while (len && (m[len - 1] == '\n' || m[len - 1] == ' '))
		m[--len] = '\0';
	if (strncmp(m, path, plen) == 0 && strncmp(m + plen, ": ", 2) == 0)
		m += plen + 2;
	shown = *m ? sk_show_text(m, strlen(m)) : NULL;
	sk_problems_add(d, SK_PROBLEM_SETUP, "cannot load plugin '%s': %s",
			path, shown ? shown : "the dynamic linker refused it");
	free(shown);
}

/* The parent's side of one child: its pipe and what was read of it. */
struct trial_watch {
	const char *const *paths;
	size_t n;
	bool *ok;
	struct sk_problems *d;
	int fd;
	size_t cur;	    /* the file the child is on */
	long long deadline; /* for cur */
	bool eof, garbled;
	char buf[2 * SK_TRIAL_REPORT_MAX + 1];
	size_t have;
};

/* Take every whole report in w->buf. */
static void trial_take(struct trial_watch *w)
{
	struct trial_report h;

	while (!w->garbled && w->have >= sizeof(h)) {
		memcpy(&h, w->buf, sizeof(h));
		if (h.index != w->cur || w->cur >= w->n || h.ok > 1 ||
		    h.len > SK_TRIAL_MSG_MAX) {
			w->garbled = true;
			return;
		}
		if (w->have < sizeof(h) + h.len)
			return;
		w->ok[w->cur] = h.ok;
		if (!h.ok)
			refuse_linker(w->paths[w->cur], w->buf + sizeof(h),
				      h.len, w->d);
		w->have -= sizeof(h) + h.len;
		memmove(w->buf, w->buf + sizeof(h) + h.len, w->have);
		w->cur++;
		w->deadline = sk_now_ms() + SK_TRIAL_TIMEOUT_MS;
	}
}

/* Read what the pipe holds now and take its reports. */
static void trial_drain(struct trial_watch *w)
{
	while (!w->eof && !w->garbled) {
		ssize_t r = read(w->fd, w->buf + w->have,
				 sizeof(w->buf) - 1 - w->have);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			w->eof = true;
			return;
		}
		w->have += (size_t)r;
		trial_take(w);
	}
}

/* Blame the file the child stopped on: it was killed, ended the process,
 * hung or wrote over the reports. */
static void trial_blame(const struct trial_watch *w, bool exited, int status)
{
	const char *path = w->paths[w->cur];

	if (w->garbled)
		sk_problems_add(
			w->d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': its trial load wrote over the loader's report",
			path);
	else if (!exited)
		sk_problems_add(
			w->d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': loading it took more than %d s",
			path, SK_TRIAL_TIMEOUT_MS / 1000);
	else if (WIFSIGNALED(status))
		sk_problems_add(
			w->d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': it crashed while loading: %s (signal %d)",
			path, strsignal(WTERMSIG(status)), WTERMSIG(status));
	else
		sk_problems_add(
			w->d, SK_PROBLEM_SETUP,
			"cannot load plugin '%s': it ended the process while loading (exit status %d)",
			path, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* One child's run over files *next..n-1: sets ok[] of those it reported,
 * blames the file it died, ended or hung on, and moves *next past both.
 * -1 when no child could be started or watched. */
static int trial_run(const char *const *paths, size_t n, size_t *next, bool *ok,
		     struct sk_problems *d)
{
	struct trial_watch w = {
		.paths = paths, .n = n, .ok = ok, .d = d, .cur = *next};
	int pfd[2], status = 0, exit_fd, ret = 0;
	bool exited = false;
	pid_t pid, parent = getpid();

	if (pipe2(pfd, O_CLOEXEC) != 0) {
		sk_problems_add(
			d, SK_PROBLEM_SYSTEM,
			"cannot load plugin '%s': cannot create a pipe: %s",
			paths[w.cur], strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		sk_problems_add(
			d, SK_PROBLEM_SYSTEM,
			"cannot load plugin '%s': cannot start a process: %s",
			paths[w.cur], strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		close(pfd[0]);
		trial_child(paths, w.cur, n, pfd[1], parent);
	}
	close(pfd[1]);
	w.fd = pfd[0];
	fcntl(w.fd, F_SETFL, O_NONBLOCK);
	w.deadline = sk_now_ms() + SK_TRIAL_TIMEOUT_MS;
	/* Until the child exits, not until the pipe's end: a process it left
	 * behind may hold the pipe open. Its exit wakes the wait through a
	 * pidfd. */
	exit_fd = sk_pidfd_open(pid);
	while (!exited && !w.garbled && sk_now_ms() < w.deadline) {
		struct pollfd p[2] = {
			{.fd = w.eof ? -1 : w.fd, .events = POLLIN},
			{.fd = exit_fd, .events = POLLIN},
		};
		pid_t r;

		if (w.eof && exit_fd < 0)
			usleep(20000);
		else
			(void)poll(p, 2, 50);
		trial_drain(&w);
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid) {
			exited = true;
			/* Its last reports were written before it ended. */
			trial_drain(&w);
		} else if (r < 0 && errno != EINTR) {
			sk_problems_add(
				d, SK_PROBLEM_SYSTEM,
				"cannot load plugin '%s': cannot wait for its trial load: %s",
				paths[w.cur < n ? w.cur : n - 1],
				strerror(errno));
			ret = -1;
			break;
		}
	}
	if (exit_fd >= 0)
		close(exit_fd);
	close(w.fd);
	if (!exited) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (ret == 0 && w.cur < n) {
		trial_blame(&w, exited, status);
		ok[w.cur++] = false;
	}
	*next = w.cur;
	return ret;
}

void sk_trial_load(const char *const *paths, size_t n, bool *ok,
		   struct sk_problems *d)
{
	size_t next = 0;

	for (size_t i = 0; i < n; i++)
		ok[i] = false;
	while (next < n) {
		if (trial_run(paths, n, &next, ok, d) != 0) {
			/* Nothing more can be tried: the file named in
			 * the failure and each one after it are refused. */
			for (next++; next < n; next++)
				sk_problems_add(
					d, SK_PROBLEM_SETUP,
					"cannot load plugin '%s': its trial load could not run",
					paths[next]);
		}
	}
}
