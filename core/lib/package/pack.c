/* SPDX-License-Identifier: MIT */
/* pack.c - `sup pack`: a deterministic pax tar from a manifest and files. */
#include "package/pack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base/hash.h"
#include "base/util.h"
#include "package/suptar.h"
#include "verify/signature.h"

#define PACK_CHUNK (64 * 1024)

struct pack {
	const struct sk_pack_opts *o;
	const struct sk_limits *lim;
	struct sk_problems *d;
	int errors;
	int dirfd;		  /* the payload directory */
	char *text;		  /* the input manifest */
	size_t text_len;
	struct sk_manifest in;	  /* parsed as pack input */
	struct sk_payload_decl *files; /* what the files hold, as in.payloads */
	char *out_text;		  /* the manifest written to the SUP */
	size_t out_len;
	unsigned char *sig;	  /* its signature, when signing */
	size_t sig_len;
	char *buf;		  /* PACK_CHUNK bytes */
};

static void fail(struct pack *p, enum sk_problem_class cls, const char *fmt,
		 ...) __attribute__((format(printf, 3, 4)));

static void fail(struct pack *p, enum sk_problem_class cls, const char *fmt,
		 ...)
{
	va_list ap;
	char *msg;

	p->errors++;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg) {
		sk_problems_add(p->d, SK_PROBLEM_SYSTEM, "out of memory");
		return;
	}
	sk_problems_add(p->d, cls, "%s", msg);
	free(msg);
}

static int read_manifest(struct pack *p)
{
	const char *path = p->o->manifest_path;
	size_t cap, len = 0;
	struct stat st;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		fail(p, SK_PROBLEM_SYSTEM, "cannot open manifest '%s': %s",
		     path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		fail(p, SK_PROBLEM_SYSTEM, "cannot read manifest '%s': %s",
		     path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fail(p, SK_PROBLEM_SYSTEM,
		     "manifest '%s' is not a regular file", path);
		goto out;
	}
	if ((unsigned long long)st.st_size > p->lim->manifest_bytes) {
		fail(p, SK_PROBLEM_PACKAGE,
		     "manifest '%s': %lld bytes, the limit is %zu", path,
		     (long long)st.st_size, p->lim->manifest_bytes);
		goto out;
	}
	/* One byte more than the size seen: a file that grew meanwhile reads
	 * as too long or broken, never past the limit. */
	cap = (size_t)st.st_size + 1;
	p->text = malloc(cap);
	if (!p->text) {
		fail(p, SK_PROBLEM_SYSTEM, "out of memory");
		goto out;
	}
	while (len < cap) {
		ssize_t n = read(fd, p->text + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail(p, SK_PROBLEM_SYSTEM,
			     "cannot read manifest '%s': %s", path,
			     strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	p->text_len = len;
	ret = 0;
out:
	close(fd);
	return ret;
}

/*
 * Open dirfd/name without following any symbolic link on the way. Returns
 * the descriptor or -errno; *fail_len gets the length of the prefix of name
 * that could not be opened.
 */
static int open_nofollow(int dirfd, const char *name, size_t *fail_len)
{
	char *copy, *part;
	int cur = -1, fd;

	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	part = copy;
	for (;;) {
		char *slash = strchr(part, '/');
		int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW;
		int err;

		if (slash) {
			*slash = '\0';
			flags |= O_DIRECTORY;
		} else {
			/* A FIFO must not block the open; it is refused
			 * after fstat. */
			flags |= O_NONBLOCK;
		}
		fd = openat(cur >= 0 ? cur : dirfd, part, flags);
		err = errno;
		/* Linux says ENOTDIR for a link opened with O_DIRECTORY and
		 * O_NOFOLLOW; call it what it is. */
		if (fd < 0 && err == ENOTDIR && slash) {
			struct stat st;

			if (fstatat(cur >= 0 ? cur : dirfd, part, &st,
				    AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode))
				err = ELOOP;
		}
		if (cur >= 0)
			close(cur);
		if (fd < 0) {
			*fail_len = slash ? (size_t)(slash - copy) :
					    strlen(name);
			free(copy);
			return -err;
		}
		if (!slash)
			break;
		cur = fd;
		part = slash + 1;
	}
	free(copy);
	return fd;
}

/* Open payload name as a regular file; -1 after reporting why not. On
 * success *pathp gets its malloc'd path for later messages. */
static int open_payload(struct pack *p, const char *name, char **pathp)
{
	size_t fail_len = 0;
	char *path, *prefix = NULL;
	struct stat st;
	int fd;

	*pathp = NULL;
	path = sk_path_join(p->o->payload_dir, name);
	if (!path) {
		fail(p, SK_PROBLEM_SYSTEM, "out of memory");
		return -1;
	}
	fd = open_nofollow(p->dirfd, name, &fail_len);
	if (fd == -ELOOP) {
		prefix = strndup(path, strlen(path) - strlen(name) + fail_len);
		fail(p, SK_PROBLEM_PACKAGE,
		     "payload '%s': '%s' is a symbolic link", name,
		     prefix ? prefix : path);
	} else if (fd == -ENOENT || fd == -ENOTDIR) {
		fail(p, SK_PROBLEM_PACKAGE,
		     "payload '%s': cannot open '%s': %s", name, path,
		     strerror(-fd));
	} else if (fd < 0) {
		fail(p, SK_PROBLEM_SYSTEM, "payload '%s': cannot open '%s': %s",
		     name, path, strerror(-fd));
	} else if (fstat(fd, &st) != 0) {
		fail(p, SK_PROBLEM_SYSTEM, "payload '%s': cannot read '%s': %s",
		     name, path, strerror(errno));
		close(fd);
		fd = -1;
	} else if (!S_ISREG(st.st_mode)) {
		fail(p, SK_PROBLEM_PACKAGE,
		     "payload '%s': '%s' is not a regular file", name, path);
		close(fd);
		fd = -1;
	}
	free(prefix);
	if (fd < 0) {
		free(path);
		return -1;
	}
	*pathp = path;
	return fd;
}

/* The size the input manifest declares for name, if it does. */
static bool declared_size(struct pack *p, const char *name,
			  unsigned long long *size)
{
	struct json_object *table, *entry, *v;

	if (!json_object_object_get_ex(p->in.root, "payloads", &table) ||
	    !json_object_object_get_ex(table, name, &entry) ||
	    !json_object_object_get_ex(entry, "size", &v))
		return false;
	*size = (unsigned long long)json_object_get_uint64(v);
	return true;
}

/* Hash every payload file and check it against what the input says. */
static void scan_payloads(struct pack *p)
{
	size_t i;

	for (i = 0; i < p->in.n_payloads; i++) {
		const struct sk_payload_decl *want = &p->in.payloads[i];
		struct sk_payload_decl *got = &p->files[i];
		unsigned long long size;
		char *path;
		int fd, ret;

		got->name = want->name;
		fd = open_payload(p, want->name, &path);
		if (fd < 0)
			continue;
		ret = sk_sha256_fd(fd, got->sha256, &got->size);
		close(fd);
		if (ret)
			fail(p, SK_PROBLEM_SYSTEM,
			     "payload '%s': cannot read '%s': %s", want->name,
			     path, strerror(-ret));
		free(path);
		if (ret)
			continue;
		if (declared_size(p, want->name, &size) && size != got->size)
			fail(p, SK_PROBLEM_PACKAGE,
			     "payload '%s': the file has %llu bytes, the manifest says %llu",
			     want->name, got->size, size);
		if (want->sha256[0] && strcmp(want->sha256, got->sha256))
			fail(p, SK_PROBLEM_PACKAGE,
			     "payload '%s': the file has sha256 %s, the manifest says %s",
			     want->name, got->sha256, want->sha256);
	}
}

/* The "payloads" table of the output: the input's entries (extra fields
 * kept) with size and sha256 from the files, in first-use order. */
static struct json_object *payload_table(struct pack *p,
					 struct json_object *root)
{
	struct json_object *table, *old = NULL;
	size_t i;

	table = json_object_new_object();
	if (!table)
		return NULL;
	json_object_object_get_ex(root, "payloads", &old);
	for (i = 0; i < p->in.n_payloads; i++) {
		const struct sk_payload_decl *f = &p->files[i];
		struct json_object *entry = NULL, *size, *sha;

		if (old && json_object_object_get_ex(old, f->name, &entry))
			json_object_get(entry);
		else
			entry = json_object_new_object();
		size = json_object_new_int64((int64_t)f->size);
		sha = json_object_new_string(f->sha256);
		if (!entry || !size || !sha ||
		    json_object_object_add(entry, "size", size)) {
			json_object_put(sha);
			json_object_put(size);
			goto fail;
		}
		if (json_object_object_add(entry, "sha256", sha)) {
			json_object_put(sha);
			goto fail;
		}
		if (json_object_object_add(table, f->name, entry))
			goto fail;
		continue;
fail:
		json_object_put(entry);
		json_object_put(table);
		return NULL;
	}
	return table;
}

/* A fresh tree of the input (m.root has params filled in), with the
 * payloads table replaced where it stood, or put before "actions". */
static int build_manifest(struct pack *p)
{
	struct json_object *orig = NULL, *out = NULL, *table = NULL;
	struct json_tokener *tok;
	struct json_object_iter it;
	const char *s;
	int ret = -1;

	tok = json_tokener_new_ex(p->lim->max_depth);
	if (!tok)
		goto out;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	orig = json_tokener_parse_ex(tok, p->text, (int)p->text_len);
	json_tokener_free(tok);
	out = json_object_new_object();
	if (!orig || !out)
		goto out;
	table = payload_table(p, orig);
	if (!table)
		goto out;
	json_object_object_foreachC(orig, it)
	{
		bool here = !strcmp(it.key, "payloads");

		if (table && (here || !strcmp(it.key, "actions"))) {
			if (json_object_object_add(out, "payloads", table))
				goto out;
			table = NULL;
		}
		if (here)
			continue;
		if (json_object_object_add(out, it.key,
					   json_object_get(it.val))) {
			json_object_put(it.val);
			goto out;
		}
	}
	s = json_object_to_json_string_ext(out,
					   JSON_C_TO_STRING_PRETTY |
						   JSON_C_TO_STRING_SPACED |
						   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s)
		goto out;
	p->out_text = sk_asprintf("%s\n", s);
	if (!p->out_text)
		goto out;
	p->out_len = strlen(p->out_text);
	ret = 0;
out:
	if (ret)
		fail(p, SK_PROBLEM_SYSTEM, "out of memory");
	json_object_put(table);
	json_object_put(out);
	json_object_put(orig);
	return ret;
}

/* Copy payload i into the archive, hashing again: a file that changed
 * since it was scanned must not go out under the old hash. */
static int write_payload(struct pack *p, struct sk_suptar *w,
			 struct sk_sha256 *h, size_t i)
{
	const struct sk_payload_decl *f = &p->files[i];
	unsigned long long total = 0;
	char hex[SK_SHA256_HEX_LEN + 1];
	char *path;
	int fd, ret = -1;

	fd = open_payload(p, f->name, &path);
	if (fd < 0)
		return -1;
	if (sk_suptar_entry(w, f->name, f->size))
		goto out;
	sk_sha256_reset(h);
	for (;;) {
		ssize_t n = read(fd, p->buf, PACK_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail(p, SK_PROBLEM_SYSTEM,
			     "payload '%s': cannot read '%s': %s", f->name,
			     path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if ((unsigned long long)n > f->size - total)
			goto changed;
		sk_sha256_update(h, p->buf, (size_t)n);
		if (sk_suptar_write(w, p->buf, (size_t)n))
			goto out;
		total += (unsigned long long)n;
	}
	sk_sha256_final_hex(h, hex);
	if (total != f->size || strcmp(hex, f->sha256))
		goto changed;
	ret = 0;
	goto out;
changed:
	fail(p, SK_PROBLEM_SYSTEM, "payload '%s': '%s' changed while packing",
	     f->name, path);
out:
	close(fd);
	free(path);
	return ret;
}

/* The archive: manifest.json, manifest.sig when signing, the payloads;
 * written to a temporary file and renamed: a failed pack leaves no
 * output. */
static int write_output(struct pack *p)
{
	struct sk_suptar w;
	struct sk_sha256 *h = sk_sha256_new();
	int ret = -1;

	if (!h) {
		fail(p, SK_PROBLEM_SYSTEM, "out of memory");
		return -1;
	}
	if (sk_suptar_open(&w, p->o->output, p->d) ||
	    sk_suptar_entry(&w, SK_MANIFEST_NAME, p->out_len) ||
	    sk_suptar_write(&w, p->out_text, p->out_len))
		goto out;
	if (p->sig && (sk_suptar_entry(&w, SK_SIGNATURE_NAME, p->sig_len) ||
		       sk_suptar_write(&w, p->sig, p->sig_len)))
		goto out;
	for (size_t i = 0; i < p->in.n_payloads; i++)
		if (write_payload(p, &w, h, i))
			goto out;
	if (sk_suptar_commit(&w))
		goto out;
	ret = 0;
out:
	if (ret)
		p->errors++;
	sk_suptar_release(&w);
	sk_sha256_free(h);
	return ret;
}

/* manifest.sig over the exact manifest text written. */
static int sign_manifest(struct pack *p)
{
	char *err = NULL;

	if (sk_signer_sign(p->o->signer, p->out_text, p->out_len,
			   sk_signing_time(), &p->sig, &p->sig_len, &err)) {
		fail(p, SK_PROBLEM_SETUP, "cannot sign '%s': %s", p->o->output,
		     err ? err : "out of memory");
		free(err);
		return -1;
	}
	return 0;
}

int sk_pack(const struct sk_pack_opts *o, struct sk_problems *d)
{
	struct sk_manifest check;
	struct sk_limits defaults;
	struct pack p;

	memset(&p, 0, sizeof(p));
	memset(&check, 0, sizeof(check));
	p.o = o;
	p.d = d;
	p.dirfd = -1;
	p.lim = o->limits;
	if (!p.lim) {
		sk_limits_default(&defaults);
		p.lim = &defaults;
	}
	if (read_manifest(&p))
		goto out;
	if (sk_manifest_parse(&p.in, p.text, p.text_len, p.lim,
			      SK_MANIFEST_PACK_INPUT, d)) {
		p.errors++;
		goto out;
	}
	p.dirfd = open(o->payload_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p.dirfd < 0) {
		fail(&p, SK_PROBLEM_SYSTEM,
		     "cannot open payload directory '%s': %s", o->payload_dir,
		     strerror(errno));
		goto out;
	}
	p.files = calloc(p.in.n_payloads ? p.in.n_payloads : 1,
			 sizeof(*p.files));
	p.buf = malloc(PACK_CHUNK);
	if (!p.files || !p.buf) {
		fail(&p, SK_PROBLEM_SYSTEM, "out of memory");
		goto out;
	}
	scan_payloads(&p);
	if (p.errors || build_manifest(&p))
		goto out;
	/* What we write, we can read: the output passes the same checks as
	 * an installed package (limits included). */
	if (sk_manifest_parse(&check, p.out_text, p.out_len, p.lim, 0, d)) {
		p.errors++;
		goto out;
	}
	if (o->signer && sign_manifest(&p))
		goto out;
	if (write_output(&p))
		goto out;
out:
	sk_manifest_release(&check);
	sk_manifest_release(&p.in);
	if (p.dirfd >= 0)
		close(p.dirfd);
	free(p.buf);
	free(p.files);
	free(p.out_text);
	free(p.sig);
	free(p.text);
	return p.errors ? -1 : 0;
}
