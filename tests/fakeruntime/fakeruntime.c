/* SPDX-License-Identifier: MIT */
/*
 * fakeruntime - a stand-in for a product runtime, for the tests of the
 * runtime, firmware and system plugins. Everything lives under --root R:
 *
 *   R/opt/acme/current/VERSION   the version it runs (read at start)
 *   R/opt/acme/current/BROKEN    if present at start: it runs, but never
 *                                becomes healthy
 *   R/run/fakeruntime.pid        its pid, while it runs
 *   R/run/fakeruntime.version    the version it runs, while it runs
 *   R/run/fakeruntime.health     "healthy VERSION\n", ~100 ms after start
 *   R/var/log/fakeruntime.log    its stdout and stderr
 *
 * Commands:
 *   fakeruntime start --root R    daemonize (double fork, setsid) and return
 *                                 once the pidfile is written; nothing if it
 *                                 already runs
 *   fakeruntime stop --root R     send SIGTERM to the pid of the pidfile and
 *                                 return at once (no error if not running);
 *                                 on SIGTERM the daemon removes its files
 *                                 and exits
 *   fakeruntime health --root R   exit 0 iff it runs and is healthy, and
 *                                 print "healthy VERSION"
 *   fakeruntime version --root R  print the version it runs
 * Exit status 0 on success, 1 on failure, 2 on usage errors.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FR_VERSION_MAX 256
#define FR_HEALTHY_AFTER_MS 100

/* The files of one root; all malloc'd. */
struct fr_paths {
	char *root;
	char *version_src;
	char *broken;
	char *run_dir;
	char *pidfile;
	char *versionfile;
	char *healthfile;
	char *log_dir;
	char *logfile;
};

static void fr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fr_err(const char *fmt, ...)
{
	va_list ap;

	fputs("fakeruntime: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static char *fr_join(const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, "%s/%s", a, b) < 0)
		return NULL;
	return s;
}

static void fr_paths_release(struct fr_paths *p)
{
	free(p->root);
	free(p->version_src);
	free(p->broken);
	free(p->run_dir);
	free(p->pidfile);
	free(p->versionfile);
	free(p->healthfile);
	free(p->log_dir);
	free(p->logfile);
	memset(p, 0, sizeof(*p));
}

static int fr_paths_init(struct fr_paths *p, const char *root)
{
	memset(p, 0, sizeof(*p));
	/* The daemon works from "/": the root must be absolute. */
	p->root = realpath(root, NULL);
	if (!p->root) {
		fr_err("cannot use root '%s': %s", root, strerror(errno));
		return -1;
	}
	p->version_src = fr_join(p->root, "opt/acme/current/VERSION");
	p->broken = fr_join(p->root, "opt/acme/current/BROKEN");
	p->run_dir = fr_join(p->root, "run");
	p->pidfile = fr_join(p->root, "run/fakeruntime.pid");
	p->versionfile = fr_join(p->root, "run/fakeruntime.version");
	p->healthfile = fr_join(p->root, "run/fakeruntime.health");
	p->log_dir = fr_join(p->root, "var/log");
	p->logfile = fr_join(p->root, "var/log/fakeruntime.log");
	if (!p->version_src || !p->broken || !p->run_dir || !p->pidfile ||
	    !p->versionfile || !p->healthfile || !p->log_dir ||
	    !p->logfile) {
		fr_err("out of memory");
		return -1;
	}
	return 0;
}

/* Up to max bytes of path, without trailing white space; NULL (errno
 * set) if it cannot be read or is longer. */
static char *fr_read_small(const char *path, size_t max)
{
	char *buf = malloc(max + 2);
	ssize_t n;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	n = read(fd, buf, max + 1);
	close(fd);
	if (n < 0 || (size_t)n > max) {
		if (n >= 0)
			errno = EFBIG;
		free(buf);
		return NULL;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' ||
			 buf[n - 1] == '\t' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	return buf;
}

/* Write text to path atomically (temporary file, rename). */
static int fr_write_file(const char *path, const char *text)
{
	char *tmp = NULL;
	size_t len = strlen(text);
	int fd, ret = -1;

	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto out;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		goto out;
	}
	ret = 0;
out:
	free(tmp);
	return ret;
}

static int fr_mkdir_p(const char *path)
{
	char *copy = strdup(path);
	int ret = 0;

	if (!copy)
		return -1;
	for (char *c = copy + 1; *c && ret == 0; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdir(copy, 0755) != 0 && errno != EEXIST)
			ret = -1;
		*c = '/';
	}
	if (ret == 0 && mkdir(copy, 0755) != 0 && errno != EEXIST)
		ret = -1;
	free(copy);
	return ret;
}

/* Alive and not a zombie (a container's init may not reap it). */
static bool fr_pid_alive(long pid)
{
	char path[64], buf[512];
	const char *paren;
	ssize_t n;
	int fd;

	if (pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno != EPERM))
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return !paren || paren[1] != ' ' ||
	       (paren[2] != 'Z' && paren[2] != 'X');
}

/* The pid of the pidfile, 0 if there is none or it holds no pid. */
static long fr_read_pid(const struct fr_paths *p)
{
	char *text = fr_read_small(p->pidfile, 32);
	long pid = 0;

	if (!text)
		return 0;
	for (const char *c = text; *c; c++) {
		if (*c < '0' || *c > '9' || pid > (INT_MAX - (*c - '0')) / 10) {
			pid = 0;
			break;
		}
		pid = pid * 10 + (*c - '0');
	}
	free(text);
	return pid;
}

/* The daemon's files go when it does, unless a newer one took over. */
static void fr_cleanup(const struct fr_paths *p)
{
	if (fr_read_pid(p) != (long)getpid())
		return;
	unlink(p->healthfile);
	unlink(p->versionfile);
	unlink(p->pidfile);
}

/* The daemon: pidfile, then health after a while, until SIGTERM. */
__attribute__((noreturn)) static void fr_daemon(const struct fr_paths *p,
						const char *version,
						bool broken, int ready_w)
{
	struct timespec wait = { .tv_sec = 0,
				 .tv_nsec = FR_HEALTHY_AFTER_MS * 1000000L };
	char text[FR_VERSION_MAX + 32];
	sigset_t set;
	int sig, fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (chdir("/") != 0)
		_exit(1);
	umask(022);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
		_exit(1);
	close(fd);
	fd = open(p->logfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		  0644);
	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
	    dup2(fd, STDERR_FILENO) < 0)
		_exit(1);
	close(fd);
	setvbuf(stdout, NULL, _IOLBF, 0);

	snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (fr_write_file(p->pidfile, text) != 0 ||
	    fr_write_file(p->versionfile, version) != 0) {
		printf("cannot write '%s': %s\n", p->pidfile, strerror(errno));
		_exit(1);
	}
	if (write(ready_w, "1", 1) != 1)
		_exit(1);
	close(ready_w);
	printf("started: pid %ld, version %s%s\n", (long)getpid(), version,
	       broken ? ", broken: never healthy" : "");

	sig = broken ? -1 : sigtimedwait(&set, NULL, &wait);
	if (sig < 0) {
		if (!broken) {
			snprintf(text, sizeof(text), "healthy %s\n", version);
			if (fr_write_file(p->healthfile, text) != 0)
				printf("cannot write '%s': %s\n",
				       p->healthfile, strerror(errno));
			else
				printf("healthy\n");
		}
		do {
			sig = sigwaitinfo(&set, NULL);
		} while (sig < 0);
	}
	printf("stopping on signal %d\n", sig);
	fr_cleanup(p);
	_exit(0);
}

static int fr_start(const struct fr_paths *p)
{
	char *version;
	bool broken;
	long pid = fr_read_pid(p);
	int ready[2], status;
	char byte;
	pid_t child;
	ssize_t n;

	if (fr_pid_alive(pid)) {
		printf("fakeruntime already running (pid %ld)\n", pid);
		return 0;
	}
	version = fr_read_small(p->version_src, FR_VERSION_MAX);
	if (!version) {
		fr_err("cannot read '%s': %s", p->version_src, strerror(errno));
		return 1;
	}
	broken = access(p->broken, F_OK) == 0;
	if (fr_mkdir_p(p->run_dir) != 0 || fr_mkdir_p(p->log_dir) != 0) {
		fr_err("cannot create the directories under '%s': %s", p->root, strerror(errno));
		free(version);
		return 1;
	}
	if (pipe2(ready, O_CLOEXEC) != 0) {
		fr_err("cannot create a pipe: %s", strerror(errno));
		free(version);
		return 1;
	}
	fflush(NULL);
	child = fork();
	if (child < 0) {
		fr_err("cannot fork: %s", strerror(errno));
		free(version);
		return 1;
	}
	if (child == 0) {
		close(ready[0]);
		if (setsid() < 0)
			_exit(1);
		child = fork();
		if (child != 0)
			_exit(child < 0 ? 1 : 0);
		fr_daemon(p, version, broken, ready[1]);
	}
	close(ready[1]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	do {
		n = read(ready[0], &byte, 1);
	} while (n < 0 && errno == EINTR);
	close(ready[0]);
	if (n != 1) {
		fr_err("the daemon did not start (see '%s')", p->logfile);
		free(version);
		return 1;
	}
	printf("fakeruntime %s started (pid %ld)%s\n", version, fr_read_pid(p),
	       broken ? ", broken: it will never be healthy" : "");
	free(version);
	return 0;
}

static int fr_stop(const struct fr_paths *p)
{
	long pid = fr_read_pid(p);

	if (!fr_pid_alive(pid)) {
		printf("fakeruntime not running\n");
		return 0;
	}
	if (kill((pid_t)pid, SIGTERM) != 0) {
		fr_err("cannot signal pid %ld: %s", pid, strerror(errno));
		return 1;
	}
	printf("sent SIGTERM to fakeruntime (pid %ld)\n", pid);
	return 0;
}

static int fr_health(const struct fr_paths *p)
{
	long pid = fr_read_pid(p);
	char *health;

	if (!fr_pid_alive(pid)) {
		fr_err("not healthy: not running");
		return 1;
	}
	health = fr_read_small(p->healthfile, FR_VERSION_MAX + 16);
	if (!health || strncmp(health, "healthy ", 8) != 0) {
		fr_err("not healthy: pid %ld runs, but '%s' does not say healthy", pid, p->healthfile);
		free(health);
		return 1;
	}
	printf("%s\n", health);
	free(health);
	return 0;
}

static int fr_version(const struct fr_paths *p)
{
	long pid = fr_read_pid(p);
	char *version;

	if (!fr_pid_alive(pid)) {
		fr_err("not running");
		return 1;
	}
	version = fr_read_small(p->versionfile, FR_VERSION_MAX);
	if (!version) {
		fr_err("cannot read '%s': %s", p->versionfile, strerror(errno));
		return 1;
	}
	printf("%s\n", version);
	free(version);
	return 0;
}

static int fr_usage(void)
{
	fprintf(stderr, "usage: fakeruntime start|stop|health|version --root DIR\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct fr_paths p;
	const char *cmd, *root = NULL;
	int ret;

	if (argc < 2)
		return fr_usage();
	cmd = argv[1];
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
			root = argv[++i];
		else
			return fr_usage();
	}
	if (!root)
		return fr_usage();
	if (fr_paths_init(&p, root) != 0) {
		fr_paths_release(&p);
		return 1;
	}
	if (strcmp(cmd, "start") == 0)
		ret = fr_start(&p);
	else if (strcmp(cmd, "stop") == 0)
		ret = fr_stop(&p);
	else if (strcmp(cmd, "health") == 0)
		ret = fr_health(&p);
	else if (strcmp(cmd, "version") == 0)
		ret = fr_version(&p);
	else
		ret = fr_usage();
	fr_paths_release(&p);
	return ret;
}
