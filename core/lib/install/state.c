/* SPDX-License-Identifier: MIT */
/* state.c - install state file (json-c) and installer lock (flock). */
#include "install/state.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "verify/rollback.h"

#define SK_STATE_FORMAT 1
/* Bigger than any state file we write; bounds what a corrupt one costs. */
#define SK_STATE_MAX (64 * 1024)

void sk_install_state_release(struct sk_install_state *s)
{
	free(s->sup);
	free(s->sup_sha256);
	free(s->manifest_sha256);
	free(s->config);
	free(s->product);
	for (size_t i = 0; i < s->n_plugin_dirs; i++)
		free(s->plugin_dirs[i]);
	free(s->plugin_dirs);
	free(s->job_id);
	memset(s, 0, sizeof(*s));
}

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

int sk_state_save(const char *state_dir, const struct sk_install_state *s)
{
	json_object *o = json_object_new_object(), *dirs;
	char *path = sk_path_join(state_dir, SK_STATE_NAME);
	const char *text;
	int r = -ENOMEM;

	if (!o || !path)
		goto out;
	json_object_object_add(o, "state_format",
			       json_object_new_int(SK_STATE_FORMAT));
	json_object_object_add(o, "sup", str_or_null(s->sup));
	json_object_object_add(o, "sup_sha256", str_or_null(s->sup_sha256));
	json_object_object_add(o, "manifest_sha256",
			       str_or_null(s->manifest_sha256));
	json_object_object_add(o, "config", str_or_null(s->config));
	json_object_object_add(o, "product", str_or_null(s->product));
	dirs = json_object_new_array();
	for (size_t i = 0; dirs && i < s->n_plugin_dirs; i++)
		json_object_array_add(dirs,
				      json_object_new_string(s->plugin_dirs[i]));
	json_object_object_add(o, "plugin_dirs", dirs);
	json_object_object_add(o, "job_id", str_or_null(s->job_id));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						 JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text)
		r = sk_write_file_atomic(path, text, strlen(text), 0600);
out:
	json_object_put(o);
	free(path);
	return r;
}

/* A string member, or NULL when null/absent; false when of another type. */
static bool get_str(json_object *o, const char *key, char **out)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return true;
	if (!json_object_is_type(v, json_type_string))
		return false;
	*out = strdup(json_object_get_string(v));
	return *out != NULL;
}

/* 64 lowercase hex digits, as sk_supfile records a package's hash. */
static bool is_sha256_hex(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n == 64;
}

int sk_state_load(const char *state_dir, struct sk_install_state *s,
		  const char **why)
{
	char *path = sk_path_join(state_dir, SK_STATE_NAME);
	json_object *o = NULL, *v, *dirs;
	char *buf = NULL;
	size_t n;
	int r = -EINVAL;

	memset(s, 0, sizeof(*s));
	*why = "unreadable install state";
	if (!path)
		return -ENOMEM;
	r = sk_read_small_file(path, 0, SK_STATE_MAX, &buf, &n, NULL);
	if (r == -EINVAL || r == -EFBIG) {
		r = -EINVAL;
		*why = "install state is unreadable or too large";
		goto out;
	}
	if (r) {
		*why = strerror(-r);
		goto out;
	}
	r = -EINVAL;
	o = json_tokener_parse(buf);
	if (!o || !json_object_is_type(o, json_type_object)) {
		*why = "install state is not a JSON object";
		goto out;
	}
	if (!json_object_object_get_ex(o, "state_format", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int(v) != SK_STATE_FORMAT) {
		*why = "install state has an unknown format";
		goto out;
	}
	if (!get_str(o, "sup", &s->sup) || !s->sup ||
	    !get_str(o, "sup_sha256", &s->sup_sha256) || !s->sup_sha256 ||
	    !get_str(o, "manifest_sha256", &s->manifest_sha256) ||
	    !get_str(o, "config", &s->config) ||
	    !get_str(o, "product", &s->product) ||
	    !get_str(o, "job_id", &s->job_id)) {
		*why = "install state lacks the package or has fields of the wrong type";
		goto out;
	}
	if (!is_sha256_hex(s->sup_sha256)) {
		*why = "install state: sup_sha256 is not a SHA-256 in hex";
		goto out;
	}
	if (s->manifest_sha256 && !is_sha256_hex(s->manifest_sha256)) {
		*why = "install state: manifest_sha256 is not a SHA-256 in hex";
		goto out;
	}
	if (json_object_object_get_ex(o, "plugin_dirs", &dirs) &&
	    json_object_is_type(dirs, json_type_array)) {
		size_t len = json_object_array_length(dirs);

		s->plugin_dirs = calloc(len + 1, sizeof(*s->plugin_dirs));
		if (!s->plugin_dirs) {
			r = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < len; i++) {
			json_object *e = json_object_array_get_idx(dirs, i);

			if (!json_object_is_type(e, json_type_string)) {
				*why = "install state: plugin_dirs holds a non-string";
				goto out;
			}
			s->plugin_dirs[i] = strdup(json_object_get_string(e));
			if (!s->plugin_dirs[i]) {
				r = -ENOMEM;
				goto out;
			}
			s->n_plugin_dirs++;
		}
	}
	r = 0;
out:
	free(buf);
	if (r)
		sk_install_state_release(s);
	json_object_put(o);
	free(path);
	return r;
}

int sk_state_clear(const char *state_dir)
{
	char *path = sk_path_join(state_dir, SK_STATE_NAME);
	char *sup = sk_path_join(state_dir, SK_STATE_SUP_NAME);
	int r = 0;

	if (!path || !sup) {
		r = -ENOMEM;
		goto out;
	}
	if (unlink(path) != 0 && errno != ENOENT)
		r = -errno;
	if (unlink(sup) != 0 && errno != ENOENT && !r)
		r = -errno;
	if (!r)
		r = sk_fsync_dir(state_dir);
out:
	free(path);
	free(sup);
	return r;
}


int sk_state_sweep(const char *state_dir)
{
	int a = sk_atomic_sweep(state_dir, SK_STATE_NAME);
	int b = sk_atomic_sweep(state_dir, SK_INSTALLED_NAME);

	if (a < 0)
		return a;
	if (b < 0)
		return b;
	return a + b;
}

void sk_lock_describe(int fd, const char *what)
{
	char *text = sk_asprintf("pid %ld, %s\n", (long)getpid(), what);

	if (!text)
		return;
	/* Informative only: the lock holds with or without the text. */
	if (ftruncate(fd, 0) == 0) {
		ssize_t ignored = pwrite(fd, text, strlen(text), 0);

		(void)ignored;
	}
	free(text);
}

/* More than sk_lock_describe() writes with any sane package path; the
 * rest of a longer text is not needed. */
#define HOLDER_MAX 1024

char *sk_lock_holder(int fd)
{
	char buf[HOLDER_MAX];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] ? strdup(buf) : NULL;
}

int sk_lock_take(const char *state_dir, const char *what, char **holder)
{
	char *path = sk_path_join(state_dir, SK_LOCK_NAME);
	int fd, r;

	*holder = NULL;
	if (!path)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	free(path);
	if (fd < 0)
		return -errno;
	/* flock() needs only a descriptor open for reading: a lock that
	 * others may read, they may hold, and no install would run. A lock
	 * made by an older sup (0644) is closed here. */
	if (fchmod(fd, 0600) != 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		*holder = sk_lock_holder(fd);
		close(fd);
		return r;
	}
	sk_lock_describe(fd, what);
	return fd;
}
