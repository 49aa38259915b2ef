/* SPDX-License-Identifier: MIT */
/* util.h - small helpers shared by the core: strings, paths, durable
 * writes. */
#ifndef SK_UTIL_H
#define SK_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* Split "a, b,c" into a list of trimmed items (each malloc'd, *out too;
 * free with sk_strv_free()): 0, or -EINVAL for an empty item or a
 * trailing comma, -ENOMEM; *out is NULL and *n 0 on failure and for "". */
int sk_split_list(const char *value, char ***out, size_t *n);
/* The names in the directory open as dfd (consumed: closed), but "." and
 * "..", sorted by strcmp(); free with sk_strv_free(). 0 or -errno. */
int sk_list_dir(int dfd, char ***names, size_t *n);
/* Free the n strings of l, then l. */
void sk_strv_free(char **l, size_t n);
/* malloc'd printf; NULL on failure. */
char *sk_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same with a va_list (ap is used up). */
char *sk_vasprintf(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));
/* malloc'd "a/b" with exactly one slash between (a copy of b if a is
 * empty); NULL on failure. */
char *sk_path_join(const char *a, const char *b);
/* mkdir -p with mode for created directories; 0 or -errno. */
int sk_mkdir_p(const char *path, mode_t mode);
/* Write len bytes to path durably: temp file in the same directory,
 * fsync, rename over path, fsync of the directory. The file is never seen
 * half written. 0 or -errno. */
int sk_write_file_atomic(const char *path, const void *data, size_t len,
			 mode_t mode);
/* sk_write_file_atomic() of name (one component) in the directory open
 * as dirfd (O_RDONLY): the directory is never looked up by a path. */
int sk_write_file_atomic_at(int dirfd, const char *name, const void *data,
			    size_t len, mode_t mode);
/*
 * A file that appears at path only when complete: sk_atomic_open()
 * creates a temporary sibling ".<base>.XXXXXX" (O_EXCL, never through a
 * link; mode applied) to write through a.fd; sk_atomic_commit() fsyncs
 * it, renames it over path and fsyncs the directory (a failure of that
 * last step is returned after the rename); sk_atomic_release() removes
 * the temporary unless it was committed. sk_atomic_open_at() does the
 * same for name (one component) in the directory open as dirfd, every
 * step relative to it (a copy of the descriptor is kept), never by a
 * path. a is always initialised by open and must be released. All
 * return 0 or -errno.
 */
struct sk_atomic {
	char *path; /* as given (sk_atomic_open_at(): the name) */
	char *dir;  /* the directory of path, for messages; NULL from _at */
	char *tmp;  /* the temporary, under dir; NULL once committed */
	int fd;
	/* Private: where the steps happen (AT_FDCWD: by path), and the
	 * names there. */
	int dirfd;
	const char *name, *tmp_name;
};

/*
 * Remove from dir the temporaries ".<name>.XXXXXX" (six letters or
 * digits) that sk_atomic_open() makes for dir/name and that an installer
 * killed before its commit leaves behind. Only regular files are
 * removed; links and directories of that name are left alone. Call it
 * only while holding the installer lock: every write of the installer's
 * files happens under it, so no such temporary is then in use. Returns
 * how many were removed, or -errno.
 */
int sk_atomic_sweep(const char *dir, const char *name);
int sk_atomic_open(struct sk_atomic *a, const char *path, mode_t mode);
int sk_atomic_open_at(struct sk_atomic *a, int dirfd, const char *name,
		      mode_t mode);
int sk_atomic_commit(struct sk_atomic *a);
void sk_atomic_release(struct sk_atomic *a);

/* fsync the directory holding path (or path itself if a directory). */
int sk_fsync_dir(const char *dir);
/* Remove a directory tree (or a single file) without following symbolic
 * links: a link, even path itself, is removed, not followed. 0 or -errno:
 * -ENOENT if path does not exist, -ELOOP if the tree is nested more than
 * 4096 levels deep. */
int sk_remove_tree(const char *path);
/* Read what is left of fd, at most max bytes, into a malloc'd buffer
 * with a NUL after the data (not counted in *len). 0; -EFBIG when fd holds
 * more than max bytes; -ENOMEM; or another -errno from read. */
int sk_read_all(int fd, size_t max, char **out, size_t *len);
/*
 * A small regular file read whole, as sk_read_all(): path opened
 * read-only, non-blocking (a FIFO never hangs the reader), with flags
 * added (e.g. O_NOFOLLOW); *st (if not NULL) gets its fstat(). 0; -EINVAL
 * for anything but a regular file; -EFBIG for more than max bytes, also
 * when it grew while read; -ENOMEM; another -errno from open or read.
 */
struct stat;
int sk_read_small_file(const char *path, int flags, size_t max, char **out,
		       size_t *len, struct stat *st);
/* The same for path relative to the directory open as dirfd (openat()). */
int sk_read_small_file_at(int dirfd, const char *path, int flags, size_t max,
			  char **out, size_t *len, struct stat *st);
/* The same for the file already open as fd (read from where it is; not
 * closed). */
int sk_read_small_fd(int fd, size_t max, char **out, size_t *len,
		     struct stat *st);
/* sk_remove_tree() of the entry name (one component) in dirfd. */
int sk_remove_tree_at(int dirfd, const char *name);
/* A full write loop that retries on EINTR; 0 or -errno. */
int sk_write_all(int fd, const void *buf, size_t len);
/* Milliseconds of CLOCK_MONOTONIC. */
long long sk_now_ms(void);

/* A descriptor (close-on-exec) that becomes readable when the child pid
 * exits, so that a wait can poll() it with other descriptors instead of
 * sleeping; -1 where the kernel has no pidfd_open() (Linux < 5.3). */
int sk_pidfd_open(pid_t pid);
/* t as RFC 3339 UTC ("2026-12-05T07:04:18Z") in buf: true, or false when
 * it cannot be shown (buf then undefined). */
bool sk_utc_format(time_t t, char buf[32]);
/* The same, or "@SECONDS" when it cannot be shown; returns buf. */
const char *sk_utc_text(time_t t, char buf[32]);
/* Current UTC time as RFC 3339 "2026-11-27T07:13:28Z" into buf[32]. */
void sk_utc_now(char buf[32]);
/* Parse a non-negative decimal integer that fits in unsigned long long;
 * false on any other text. */
bool sk_parse_u64(const char *s, unsigned long long *out);


/* Room sk_show() needs: a 255-byte name fits whole. */
#define SK_SHOW_MAX 320
/*
 * Hostile text quoted in a message: printable ASCII is kept, every other
 * byte (and ' and \) becomes \xHH, so no control sequence reaches a
 * terminal or log. Text longer than fits is cut and ends in "...".
 * Returns out.
 */
const char *sk_show(const char *s, size_t len, char out[SK_SHOW_MAX]);
/*
 * A copy of len bytes of s that is valid UTF-8 without NUL: every byte
 * that is not part of a valid sequence, and NUL, becomes U+FFFD. For text
 * from plugins and commands that goes into JSON documents. NULL on
 * allocation failure.
 */
char *sk_utf8_clean(const char *s, size_t len);
struct json_object;
/* s as a JSON string (NULL: JSON null), made valid UTF-8 by
 * sk_utf8_clean() so that a document holding it always parses: for text
 * that may come from a plugin, a command or the file system. NULL when
 * out of memory. */
struct json_object *sk_json_str(const char *s);
/*
 * Text for a terminal or syslog, whoever wrote it (a plugin, a package,
 * a file name): a malloc'd copy of len bytes of s on one line, in which
 * valid UTF-8 stays as it is and only these are escaped, so that no
 * control sequence reaches the reader:
 *   - C0 controls and DEL: \n, \r, \t, or \xHH (ESC is \x1b);
 *   - C1 controls (U+0080..U+009F): \u00HH;
 *   - bytes that are not part of valid UTF-8, and NUL: \xHH.
 * Other text, a backslash included, is kept. NULL on allocation failure
 * (print sk_show() of the text then). Documents such as
 * confirmation.json keep the original, JSON-escaped: use this only for
 * what is printed.
 */
char *sk_show_text(const char *s, size_t len);

#endif
