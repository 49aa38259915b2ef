/* SPDX-License-Identifier: MIT */
/* temps.c - the journal of plugin temporaries, and their removal. */
#include "install/temps.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base/rootfd.h"
#include "base/util.h"

/* The journal is the installer's own: never larger than this. */
#define TEMPS_MAX_BYTES (4 * 1024 * 1024)

bool sk_temps_name_valid(const char *name)
{
	size_t len = strlen(name);
	const char *tail;

	if (len < 1 + 5 + 6 || name[0] != '.' || strchr(name, '/'))
		return false;
	tail = name + len - 11;
	if (strncmp(tail, ".sup-", 5) != 0)
		return false;
	for (size_t i = 5; i < 11; i++) {
		char c = tail[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

int sk_temps_note(const char *path, const char *dir_gw, const char *name)
{
	json_object *o = json_object_new_object();
	const char *text;
	char *line = NULL;
	struct stat st;
	bool created;
	int fd = -1, r = -ENOMEM;

	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "dir", json_object_new_string(dir_gw));
	json_object_object_add(o, "name", json_object_new_string(name));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text || !(line = sk_asprintf("%s\n", text)))
		goto out;
	created = lstat(path, &st) != 0;
	fd = open(path,
		  O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	/* One write: entries never interleave. Durable before the plugin
	 * goes on, so that a kill right after leaves it listed. */
	r = sk_write_all(fd, line, strlen(line));
	if (!r && fsync(fd) != 0)
		r = -errno;
	if (!r && created)
		r = sk_fsync_dir(path);
out:
	if (fd >= 0)
		close(fd);
	free(line);
	json_object_put(o);
	return r;
}

/* Remove one listed temporary, if it is still there. */
static void remove_one(int rootfd, const char *dir_gw, const char *name)
{
	char *why = NULL;
	struct stat st;
	int dfd = -1, r;

	if (!sk_temps_name_valid(name))
		return;
	r = sk_rootfd_dir(rootfd, dir_gw, 0, &dfd, &why);
	if (r) {
		if (r != -ENOENT)
			fprintf(stderr, "sup: warning: cannot remove temporary '%s' in '%s': %s\n",
				name, dir_gw, why ? why : strerror(-r));
		free(why);
		return;
	}
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		r = S_ISDIR(st.st_mode) ? sk_remove_tree_at(dfd, name) :
			unlinkat(dfd, name, 0) == 0 ? 0 : -errno;
		if (r && r != -ENOENT)
			fprintf(stderr, "sup: warning: cannot remove temporary '%s' in '%s': %s\n",
				name, dir_gw, strerror(-r));
		else if (!r) {
			fprintf(stderr, "sup: removed temporary '%s' in '%s' left by an action that did not finish\n",
				name, dir_gw);
			fsync(dfd);
		}
	}
	close(dfd);
}

/* Sync the directory that held path. */
static int fsync_parent(const char *path)
{
	char *copy = strdup(path);
	int r;

	if (!copy)
		return -ENOMEM;
	r = sk_fsync_dir(dirname(copy));
	free(copy);
	return r;
}

int sk_temps_settle(int rootfd, const char *path, bool remove)
{
	char *text = NULL, *p, *nl;
	size_t len = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	r = sk_read_all(fd, TEMPS_MAX_BYTES, &text, &len);
	close(fd);
	if (r && r != -EFBIG)
		return r;
	for (p = text; remove && p && *p; p = nl ? nl + 1 : NULL) {
		json_object *o, *dir, *name;

		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		o = json_tokener_parse(p);
		if (json_object_object_get_ex(o, "dir", &dir) &&
		    json_object_object_get_ex(o, "name", &name) &&
		    json_object_is_type(dir, json_type_string) &&
		    json_object_is_type(name, json_type_string))
			remove_one(rootfd, json_object_get_string(dir),
				   json_object_get_string(name));
		json_object_put(o);
	}
	free(text);
	if (unlink(path) != 0 && errno != ENOENT)
		return -errno;
	return fsync_parent(path);
}
