/* SPDX-License-Identifier: MIT */
/* bundle.c - the diagnostic bundle of sup diag. */
#include "bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "base/builtindirs.h"
#include "base/config.h"
#include "base/rootfd.h"
#include "base/util.h"
#include "install/env.h"
#include "record/confirm.h"
#include "redact.h"
#include "verify/keyring.h"
#include "verify/trust.h"

#define CHUNK 65536
/* Configuration files and os-release are read whole, up to these. */
#define CONFIG_MAX (1024u * 1024)
#define OS_RELEASE_MAX (64u * 1024)

struct bundle {
	const struct sk_bundle_opts *o;
	struct sk_problems *d;
	struct archive *a;
	/* MANIFEST.txt in two parts: what is in, what is not. */
	FILE *inc, *exc;
	char *inc_buf, *exc_buf;
	size_t inc_len, exc_len;
	time_t now;
	/* The temporary output and the bundle it replaces: never bundled,
	 * even when written to the logs directory. */
	dev_t out_dev, old_dev;
	ino_t out_ino, old_ino;
	bool has_old;
	char *buf; /* CHUNK bytes */
};

/* ---- MANIFEST.txt ------------------------------------------------- */

static void note_inc(struct bundle *b, const char *name,
		     unsigned long long size, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void note_exc(struct bundle *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note_inc(struct bundle *b, const char *name,
		     unsigned long long size, const char *fmt, ...)
{
	va_list ap;

	fprintf(b->inc, "  %-28s %10llu bytes", name, size);
	if (fmt) {
		fputs("  ", b->inc);
		va_start(ap, fmt);
		vfprintf(b->inc, fmt, ap);
		va_end(ap);
	}
	fputc('\n', b->inc);
}

static void note_exc(struct bundle *b, const char *fmt, ...)
{
	va_list ap;

	fputs("  ", b->exc);
	va_start(ap, fmt);
	vfprintf(b->exc, fmt, ap);
	va_end(ap);
	fputc('\n', b->exc);
}

/* ---- archive ------------------------------------------------------ */

static int archive_fail(struct bundle *b)
{
	const char *msg = archive_error_string(b->a);

	sk_problems_add(b->d, SK_PROBLEM_SYSTEM, "cannot write '%s': %s",
			b->o->output, msg ? msg : "archive error");
	return -1;
}

static int oom(struct bundle *b)
{
	sk_problems_add(b->d, SK_PROBLEM_SYSTEM, "out of memory");
	return -1;
}

static int entry_header(struct bundle *b, const char *name,
			unsigned long long size, time_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	char *path = sk_path_join(SK_BUNDLE_DIR, name);
	int r;

	if (!e || !path) {
		archive_entry_free(e);
		free(path);
		return oom(b);
	}
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_mtime(e, mtime, 0);
	r = archive_write_header(b->a, e);
	archive_entry_free(e);
	free(path);
	return r == ARCHIVE_OK ? 0 : archive_fail(b);
}

static int entry_data(struct bundle *b, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		la_ssize_t n = archive_write_data(b->a, p, len);

		if (n <= 0)
			return archive_fail(b);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A generated entry; note: the MANIFEST.txt comment, or NULL. */
static int add_mem(struct bundle *b, const char *name, const char *data,
		   size_t len, const char *note)
{
	if (entry_header(b, name, len, b->now) || entry_data(b, data, len))
		return -1;
	note_inc(b, name, len, note ? "%s" : NULL, note);
	return 0;
}

/* ---- reading files ------------------------------------------------ */

static const char *file_kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISLNK(m) ? "a symbolic link" :
	       S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" :
	       S_ISCHR(m) || S_ISBLK(m) ? "a device" : "not a regular file";
}

/* The text of a read_small() or sk_read_small_fd() error. */
static const char *read_error(int r, const struct stat *st)
{
	if (r == -EINVAL)
		return file_kind(st->st_mode);
	if (r == -EFBIG)
		return "too big";
	return strerror(-r);
}

/*
 * Read the regular file path (following links: a host path the
 * administrator chose) whole, NUL-terminated, at most max bytes. 0, or
 * -errno (-EFBIG: too big, -EINVAL: not a regular file) with *why set to
 * a static text.
 */
static int read_small(const char *path, size_t max, char **out, size_t *len,
		      struct stat *st, const char **why)
{
	int r = sk_read_small_file(path, 0, max, out, len, st);

	if (r)
		*why = read_error(r, st);
	return r;
}

/* Bundle the configuration file open as fd (closed here), shown as path,
 * as entry name. */
static int add_config_fd(struct bundle *b, const char *name, int fd,
			 const char *path, const char *what)
{
	char show[SK_SHOW_MAX], *text = NULL, *copy = NULL, *note = NULL;
	struct stat st;
	size_t len, copy_len;
	int ret;

	sk_show(path, strlen(path), show);
	ret = sk_read_small_fd(fd, CONFIG_MAX, &text, &len, &st);
	close(fd);
	if (ret == -ENOMEM)
		return oom(b);
	if (ret) {
		note_exc(b, "%s '%s': cannot read: %s", what, show,
			 read_error(ret, &st));
		return 0;
	}
	if (sk_redact_ini(path, text, len, &copy, &copy_len) != 0) {
		ret = oom(b);
		goto out;
	}
	note = sk_asprintf("%s '%s' (mode %04o, uid %ld), secrets redacted",
			   what, show, (unsigned int)(st.st_mode & 07777),
			   (long)st.st_uid);
	if (!note) {
		ret = oom(b);
		goto out;
	}
	ret = add_mem(b, name, copy, copy_len, note);
out:
	free(text);
	free(copy);
	free(note);
	return ret;
}

/* Bundle the configuration file path (a host path, NULL: none) as entry
 * name. */
static int add_config(struct bundle *b, const char *name, const char *path,
		      const char *what, bool missing_ok)
{
	char show[SK_SHOW_MAX];
	int fd;

	if (!path) {
		note_exc(b, "%s: none is used", what);
		return 0;
	}
	/* O_NONBLOCK: a FIFO there must not hang diag. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd >= 0)
		return add_config_fd(b, name, fd, path, what);
	sk_show(path, strlen(path), show);
	if (missing_ok && errno == ENOENT)
		note_exc(b, "%s '%s': not present", what, show);
	else
		note_exc(b, "%s '%s': cannot read: %s", what, show,
			 strerror(errno));
	return 0;
}

/*
 * Bundle sup.conf (profile false) or the product profile that the
 * configuration of e was loaded from, as entry name: opened again by the
 * rules it was loaded by (sk_config_open(): under the root, walked from
 * the root's descriptor), never by the host path it is shown as. A root
 * tree of another user cannot make this copy a file of root's.
 */
static int add_loaded_config(struct bundle *b, const struct sk_env *e,
			     bool profile, const char *name, const char *what)
{
	const char *path = profile ? e->cfg.profile_path : e->cfg.path;
	struct sk_problems pd;
	char show[SK_SHOW_MAX];
	int fd, ret = 0;

	if (!path) {
		note_exc(b, "%s: none is used", what);
		return 0;
	}
	sk_problems_init(&pd);
	fd = e->root ? sk_config_open(&e->cfg, profile, e->root, e->root_fd,
				      &pd)
		     : -EBADF;
	if (fd >= 0)
		return add_config_fd(b, name, fd, path, what);
	if (pd.count) {
		/* Its own words: what was refused, where and why. */
		char *msg =
			sk_show_text(pd.items[0].msg, strlen(pd.items[0].msg));

		if (!msg)
			ret = oom(b);
		else
			note_exc(b, "%s: %s", what, msg);
		free(msg);
	} else if (fd == -ENOMEM || pd.oom) {
		ret = oom(b);
	} else {
		note_exc(b, "%s '%s': cannot read: %s", what,
			 sk_show(path, strlen(path), show), strerror(-fd));
	}
	sk_problems_release(&pd);
	return ret;
}

/* ---- logs --------------------------------------------------------- */

/* Copy the regular file open as fd (its tail, if too big). Read errors
 * are noted and the rest of the entry is filled with zeros. */
static int add_fd(struct bundle *b, const char *name, int fd,
		  const struct stat *st)
{
	unsigned long long size = (unsigned long long)st->st_size;
	unsigned long long off = 0, len, done = 0;
	const char *problem = NULL;

	if (size > SK_BUNDLE_FILE_MAX)
		off = size - SK_BUNDLE_FILE_MAX;
	len = size - off;
	if (entry_header(b, name, len, st->st_mtime))
		return -1;
	while (done < len) {
		size_t want = len - done > CHUNK ? CHUNK : (size_t)(len - done);
		ssize_t n = problem ? 0 :
			pread(fd, b->buf, want, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			problem = strerror(errno);
		else if (n == 0 && !problem)
			problem = "the file shrank while it was read";
		if (n <= 0) {
			memset(b->buf, 0, want);
			n = (ssize_t)want;
		}
		if (entry_data(b, b->buf, (size_t)n))
			return -1;
		done += (unsigned long long)n;
	}
	if (problem)
		note_inc(b, name, len, "%s; the rest is zeros", problem);
	else if (off)
		note_inc(b, name, len,
			 "the last %llu bytes of %llu: the first %llu are left out",
			 len, size, off);
	else
		note_inc(b, name, len, NULL);
	return 0;
}

/* One entry of the logs directory: regular files only, never followed. */
static int add_log(struct bundle *b, int dfd, const char *fname)
{
	char show[SK_SHOW_MAX], *name;
	struct stat st, st2;
	int fd, ret = 0;

	/* Odd bytes of a name become \xHH: entry names stay ASCII. */
	name = sk_asprintf("logs/%s", sk_show(fname, strlen(fname), show));
	if (!name)
		return oom(b);
	if (fstatat(dfd, fname, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		note_exc(b, "%s: %s", name, strerror(errno));
		goto out;
	}
	if ((st.st_dev == b->out_dev && st.st_ino == b->out_ino) ||
	    (b->has_old && st.st_dev == b->old_dev && st.st_ino == b->old_ino))
		goto out; /* the bundle being written, or the one it replaces */
	if (!S_ISREG(st.st_mode)) {
		note_exc(b, "%s: %s", name, file_kind(st.st_mode));
		goto out;
	}
	fd = openat(dfd, fname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
				O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		note_exc(b, "%s: cannot read: %s", name, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st2) != 0 || !S_ISREG(st2.st_mode) ||
	    st2.st_ino != st.st_ino || st2.st_dev != st.st_dev)
		note_exc(b, "%s: replaced while it was read", name);
	else
		ret = add_fd(b, name, fd, &st2);
	close(fd);
out:
	free(name);
	return ret;
}

/* The logs directory open as dfd (logs: its host path, for notes). */
static int add_logs(struct bundle *b, const char *logs, int dfd)
{
	char show[SK_SHOW_MAX], **names = NULL;
	size_t n = 0;
	int r, ret = 0;

	sk_show(logs, strlen(logs), show);
	/* The listing consumes its descriptor; dfd stays for the *at()
	 * calls. */
	r = sk_list_dir(fcntl(dfd, F_DUPFD_CLOEXEC, 0), &names, &n);
	if (r == -ENOMEM) {
		ret = oom(b);
		goto out;
	}
	if (r) {
		note_exc(b, "logs directory '%s': %s", show, strerror(-r));
		goto out;
	}
	if (n == 0)
		note_exc(b, "logs directory '%s': empty", show);
	for (size_t i = 0; i < n && !ret; i++)
		ret = add_log(b, dfd, names[i]);
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

/* ---- system.json and plugins.json --------------------------------- */

static void jset(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

static unsigned long long blocks_bytes(unsigned long long blocks,
				       unsigned long long size)
{
	if (size && blocks > ULLONG_MAX / size)
		return ULLONG_MAX;
	return blocks * size;
}

/* A gateway directory of the bundle: its host path (NULL: unknown) and
 * its descriptor (-1: not open, err saying why). */
struct gw_dir {
	char *host;
	int fd;
	int err;
};

/* Size and free space of the file system holding dir. */
static json_object *disk_obj(struct bundle *b, const char *what,
			     const struct gw_dir *dir)
{
	json_object *o = json_object_new_object();
	struct statvfs vfs;
	int err;

	if (!o)
		return NULL;
	jset(o, "path", sk_json_str(dir->host));
	if (!dir->host)
		return o;
	if (dir->fd < 0)
		err = dir->err ? dir->err : EBADF;
	else
		err = fstatvfs(dir->fd, &vfs) == 0 ? 0 : errno;
	if (err) {
		char show[SK_SHOW_MAX];

		jset(o, "error", json_object_new_string(strerror(err)));
		note_exc(b, "system.json: free space of the %s '%s': %s", what,
			 sk_show(dir->host, strlen(dir->host), show),
			 strerror(err));
		return o;
	}
	jset(o, "size_bytes", json_object_new_uint64(
		blocks_bytes(vfs.f_blocks, vfs.f_frsize)));
	jset(o, "free_bytes", json_object_new_uint64(
		blocks_bytes(vfs.f_bavail, vfs.f_frsize)));
	return o;
}

/*
 * A configured gateway directory, walked from the root's descriptor once
 * (base/rootfd.h: a link another user planted is refused): what is read
 * in it is read from that descriptor. One that is not there is still
 * named (dir->err ENOENT); one refused is noted, its host path NULL.
 */
static int open_gw_dir(struct bundle *b, const struct sk_env *e, const char *gw,
		       const char *what, struct gw_dir *dir)
{
	char show[SK_SHOW_MAX], *why = NULL;
	int r;

	dir->host = NULL;
	dir->fd = -1;
	dir->err = 0;
	if (!e->root || e->root_fd < 0 || !gw) {
		note_exc(b, "%s: unknown (no usable root)", what);
		return 0;
	}
	r = sk_rootfd_dir_host(e->root_fd, e->root, gw, 0, &dir->fd, &dir->host,
			       &why);
	if (r == -ENOMEM) {
		free(why);
		return oom(b);
	}
	dir->err = -r;
	if (r && r != -ENOENT) {
		note_exc(b, "%s '%s': %s", what, sk_show(gw, strlen(gw), show),
			 why ? why : strerror(-r));
		free(dir->host);
		dir->host = NULL;
	}
	free(why);
	return 0;
}

static void close_gw_dir(struct gw_dir *dir)
{
	if (dir->fd >= 0)
		close(dir->fd);
	free(dir->host);
}

static int add_json(struct bundle *b, const char *name, json_object *o,
		    const char *note)
{
	const char *text = json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		JSON_C_TO_STRING_NOSLASHESCAPE);
	char *withnl;
	int ret;

	if (!text)
		return oom(b);
	withnl = sk_asprintf("%s\n", text);
	if (!withnl)
		return oom(b);
	ret = add_mem(b, name, withnl, strlen(withnl), note);
	free(withnl);
	return ret;
}

static int add_system(struct bundle *b, const struct sk_env *e,
		      const struct gw_dir *logs, const struct gw_dir *state)
{
	json_object *o = json_object_new_object(), *u, *disk;
	struct utsname un;
	struct sysinfo si;
	struct stat st;
	char ts[32], *osr = NULL;
	const char *why;
	size_t len;
	int ret;

	if (!o)
		return oom(b);
	sk_utc_now(ts);
	jset(o, "supkit_version", json_object_new_string(SUPKIT_VERSION));
	jset(o, "created", json_object_new_string(ts));
	jset(o, "product", sk_json_str(e->cfg.product));
	jset(o, "product_description", sk_json_str(e->cfg.product_description));
	jset(o, "root", sk_json_str(e->root));
	jset(o, "config", sk_json_str(e->cfg.path));
	jset(o, "profile", sk_json_str(e->cfg.profile_path));
	if (uname(&un) == 0) {
		u = json_object_new_object();
		if (u) {
			jset(u, "sysname", sk_json_str(un.sysname));
			jset(u, "nodename", sk_json_str(un.nodename));
			jset(u, "release", sk_json_str(un.release));
			jset(u, "version", sk_json_str(un.version));
			jset(u, "machine", sk_json_str(un.machine));
		}
		jset(o, "uname", u);
	} else {
		jset(o, "uname", NULL);
		note_exc(b, "system.json: uname: %s", strerror(errno));
	}
	if (read_small("/etc/os-release", OS_RELEASE_MAX, &osr, &len, &st,
		       &why) == 0) {
		jset(o, "os_release", sk_json_str(osr));
	} else {
		jset(o, "os_release", NULL);
		note_exc(b, "system.json: '/etc/os-release': %s", why);
	}
	free(osr);
	if (sysinfo(&si) == 0) {
		jset(o, "uptime_s", json_object_new_int64((int64_t)si.uptime));
	} else {
		jset(o, "uptime_s", NULL);
		note_exc(b, "system.json: uptime: %s", strerror(errno));
	}
	disk = json_object_new_object();
	if (disk) {
		struct gw_dir root = {.host = e->root, .fd = e->root_fd};

		jset(disk, "root", disk_obj(b, "root", &root));
		jset(disk, "logs", disk_obj(b, "logs directory", logs));
		jset(disk, "state", disk_obj(b, "state directory", state));
	}
	jset(o, "disk", disk);
	ret = add_json(b, "system.json", o, "system information");
	json_object_put(o);
	return ret;
}

static int add_plugins(struct bundle *b, const struct sk_env *e,
		       const struct sk_problems *env_d)
{
	json_object *o = json_object_new_object(), *arr, *probs;
	int ret;

	if (!o)
		return oom(b);
	arr = json_object_new_array();
	for (size_t i = 0; arr && i < e->reg.n_plugins; i++) {
		const struct sk_plugin *p = &e->reg.plugins[i];
		json_object *po = json_object_new_object(), *types;

		if (!po)
			break;
		jset(po, "name", sk_json_str(p->desc->name));
		jset(po, "version", sk_json_str(p->desc->version));
		jset(po, "path", sk_json_str(p->path));
		types = json_object_new_array();
		for (size_t t = 0; types && t < e->reg.n_types; t++)
			if (e->reg.types[t].plugin == p)
				json_object_array_add(types,
					sk_json_str(e->reg.types[t].type));
		jset(po, "types", types);
		json_object_array_add(arr, po);
	}
	jset(o, "plugins", arr);
	probs = json_object_new_array();
	for (size_t i = 0; probs && i < env_d->count; i++)
		json_object_array_add(probs, sk_json_str(env_d->items[i].msg));
	jset(o, "problems", probs);
	ret = add_json(b, "plugins.json", o, "loaded plugins");
	json_object_put(o);
	return ret;
}

/* trust.json: the trust policy, the keyring's anchors (certificates
 * only: what is parsed, never the file, so nothing else in it leaks) and
 * what anti-rollback recorded. */
static int add_trust(struct bundle *b, const struct sk_env *e)
{
	static const char *const validity[] = { "auto", "clock", "off" };
	const struct sk_trust_config *tc = &e->cfg.trust;
	json_object *o = json_object_new_object(), *arr, *probs, *inst;
	struct sk_problems td;
	struct sk_trust t;
	int ret;

	if (!o)
		return oom(b);
	sk_problems_init(&td);
	memset(&t, 0, sizeof(t));
	if (e->root && e->root_fd >= 0)
		sk_trust_open(&t, &e->cfg, e->root, e->root_fd, NULL, &td);
	jset(o, "keyring", sk_json_str(tc->keyring));
	jset(o, "crl", sk_json_str(tc->crl));
	jset(o, "allow_unsigned", json_object_new_boolean(tc->allow_unsigned));
	jset(o, "allow_downgrade",
	     json_object_new_boolean(tc->allow_downgrade));
	jset(o, "require_code_signing",
	     json_object_new_boolean(tc->require_code_signing));
	jset(o, "validity", sk_json_str(tc->validity >= 0 && tc->validity < 3 ?
				 validity[tc->validity] : NULL));
	arr = json_object_new_array();
	for (size_t i = 0; arr && t.keyring && i < sk_keyring_count(t.keyring);
	     i++)
		json_object_array_add(arr, sk_confirm_cert_json(
						   sk_keyring_anchor(t.keyring, i)));
	jset(o, "anchors", arr);
	jset(o, "crls", t.keyring ? json_object_new_int64((int64_t)
					sk_keyring_crl_count(t.keyring)) : NULL);
	jset(o, "time_floor", t.installed.time_floor ?
		json_object_new_int64(t.installed.time_floor) : NULL);
	inst = json_object_new_array();
	for (size_t i = 0; inst && i < t.installed.n; i++) {
		const struct sk_installed_pkg *p = &t.installed.pkgs[i];
		json_object *po = json_object_new_object();

		if (!po)
			break;
		jset(po, "name", sk_json_str(p->name));
		jset(po, "version", sk_json_str(p->version));
		jset(po, "security_version",
		     json_object_new_uint64(p->security_version));
		jset(po, "installed_at", sk_json_str(p->installed_at));
		json_object_array_add(inst, po);
	}
	jset(o, "installed", inst);
	probs = json_object_new_array();
	for (size_t i = 0; probs && i < td.count; i++)
		json_object_array_add(probs, sk_json_str(td.items[i].msg));
	jset(o, "problems", probs);
	ret = add_json(b, "trust.json", o,
		       "trust policy, keyring anchors, installed versions");
	json_object_put(o);
	sk_trust_close(&t);
	sk_problems_release(&td);
	return ret;
}

/* ---- the whole bundle --------------------------------------------- */

static int add_manifest(struct bundle *b, const struct sk_env *e,
			const struct sk_problems *env_d)
{
	char ts[32], show[SK_SHOW_MAX], *text = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	if (fclose(b->inc) != 0 || fclose(b->exc) != 0) {
		b->inc = b->exc = NULL;
		return oom(b);
	}
	b->inc = b->exc = NULL;
	f = open_memstream(&text, &len);
	if (!f)
		return oom(b);
	sk_utc_now(ts);
	fprintf(f, "supkit diagnostic bundle\n");
	fprintf(f, "created: %s by sup diag (supkit %s)\n", ts, SUPKIT_VERSION);
	fprintf(f, "root: %s\n", e->root ?
		sk_show(e->root, strlen(e->root), show) : "(unusable)");
	fprintf(f, "product: %s\n", e->cfg.product ?
		sk_show(e->cfg.product, strlen(e->cfg.product), show) :
		"(unknown)");
	fprintf(f, "\nincluded (under %s/):\n%s", SK_BUNDLE_DIR,
		b->inc_buf ? b->inc_buf : "");
	fprintf(f, "\nnot included:\n%s",
		b->exc_len ? b->exc_buf : "  nothing\n");
	if (env_d->count || env_d->oom) {
		fprintf(f, "\nconfiguration and plugin problems:\n");
		for (size_t i = 0; i < env_d->count; i++)
			fprintf(f, "  %s\n", env_d->items[i].msg);
		if (env_d->oom)
			fprintf(f, "  (more were lost: out of memory)\n");
	}
	if (fclose(f) != 0) {
		free(text);
		return oom(b);
	}
	/* Not add_mem(): the index is closed, and does not list itself. */
	ret = entry_header(b, "MANIFEST.txt", len, b->now) ||
	      entry_data(b, text, len) ? -1 : 0;
	free(text);
	return ret;
}

static int add_all(struct bundle *b)
{
	const struct sk_bundle_opts *o = b->o;
	struct sk_problems env_d;
	struct sk_env e;
	struct gw_dir logs = {.fd = -1}, state = {.fd = -1};
	char *profile_name = NULL;
	const char *supd = o->supd_config;
	int ret = -1;

	sk_problems_init(&env_d);
	sk_env_open(&e, o->root, o->config, NULL, o->plugin_dirs,
		    o->n_plugin_dirs, &env_d);
	if (open_gw_dir(b, &e, e.cfg.logs_dir, "logs directory", &logs) ||
	    open_gw_dir(b, &e, e.cfg.state_dir, "state directory", &state))
		goto out;
	if (add_system(b, &e, &logs, &state) || add_plugins(b, &e, &env_d) ||
	    add_trust(b, &e))
		goto out;
	if (add_loaded_config(b, &e, false, "config/sup.conf",
			      "main configuration"))
		goto out;
	if (e.cfg.profile_path) {
		const char *slash = strrchr(e.cfg.profile_path, '/');

		profile_name = sk_asprintf("config/products/%s", slash ?
					   slash + 1 : e.cfg.profile_path);
		if (!profile_name) {
			oom(b);
			goto out;
		}
	}
	if (add_loaded_config(b, &e, true, profile_name ? profile_name : "",
			      "product profile"))
		goto out;
	/* SUPKIT_NO_BUILTIN_DIRS=1: not this host's supd.conf either. */
	if ((supd || sk_builtin_dirs_ignored() == 0) &&
	    add_config(b, "config/supd.conf",
		       supd ? supd : SUPKIT_SYSCONF_DIR "/supd.conf",
		       "supd configuration", !supd))
		goto out;
	if (logs.fd >= 0 && add_logs(b, logs.host, logs.fd))
		goto out;
	if (logs.host && logs.fd < 0) {
		char show[SK_SHOW_MAX];

		note_exc(b, "logs directory '%s': %s",
			 sk_show(logs.host, strlen(logs.host), show),
			 strerror(logs.err));
	}
	ret = add_manifest(b, &e, &env_d);
out:
	free(profile_name);
	close_gw_dir(&logs);
	close_gw_dir(&state);
	sk_env_close(&e);
	sk_problems_release(&env_d);
	return ret;
}

/* Write the archive to the temporary file open as fd. */
static int write_archive(struct bundle *b, int fd)
{
	int ret = -1;

	b->a = archive_write_new();
	if (!b->a)
		return oom(b);
	if (archive_write_set_format_pax_restricted(b->a) != ARCHIVE_OK ||
	    archive_write_add_filter_gzip(b->a) != ARCHIVE_OK ||
	    archive_write_open_fd(b->a, fd) != ARCHIVE_OK) {
		archive_fail(b);
		goto out;
	}
	if (add_all(b))
		goto out;
	if (archive_write_close(b->a) != ARCHIVE_OK) {
		archive_fail(b);
		goto out;
	}
	ret = 0;
out:
	archive_write_free(b->a);
	b->a = NULL;
	return ret;
}

int sk_bundle_write(const struct sk_bundle_opts *o, struct sk_problems *d)
{
	struct bundle b = { .o = o, .d = d, .now = time(NULL) };
	struct sk_atomic f;
	struct stat st;
	int ret = -1, r;

	/* Logs and configs of the gateway: for its owner only. */
	r = sk_atomic_open(&f, o->output, 0600);
	b.buf = malloc(CHUNK);
	b.inc = open_memstream(&b.inc_buf, &b.inc_len);
	b.exc = open_memstream(&b.exc_buf, &b.exc_len);
	if (r == -ENOMEM || !b.buf || !b.inc || !b.exc) {
		oom(&b);
		goto out;
	}
	if (r == -EISDIR) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "cannot write '%s': %s",
				o->output, strerror(EISDIR));
		goto out;
	}
	if (r) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM,
				"cannot create a file in '%s': %s",
				f.dir ? f.dir : ".", strerror(-r));
		goto out;
	}
	/* The bundle must not take in itself, nor the one it replaces. */
	if (fstat(f.fd, &st) != 0) {
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "cannot write '%s': %s",
				f.tmp, strerror(errno));
		goto out;
	}
	b.out_dev = st.st_dev;
	b.out_ino = st.st_ino;
	if (stat(o->output, &st) == 0) {
		b.has_old = true;
		b.old_dev = st.st_dev;
		b.old_ino = st.st_ino;
	}
	if (write_archive(&b, f.fd))
		goto out;
	r = sk_atomic_commit(&f);
	if (r && f.tmp)
		sk_problems_add(d, SK_PROBLEM_SYSTEM, "cannot write '%s': %s",
				o->output, strerror(-r));
	else if (r)
		sk_problems_add(d, SK_PROBLEM_SYSTEM,
				"cannot sync directory '%s': %s", f.dir,
				strerror(-r));
	else
		ret = 0;
out:
	sk_atomic_release(&f);
	if (b.inc)
		fclose(b.inc);
	if (b.exc)
		fclose(b.exc);
	free(b.inc_buf);
	free(b.exc_buf);
	free(b.buf);
	return ret;
}
