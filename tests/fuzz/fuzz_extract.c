/* SPDX-License-Identifier: MIT */
/*
 * fuzz_extract.c - archive extraction as file.extract and firmware.update
 * do it (plugins/lib/extract.h: spl_extract_begin(), spl_extract_payload(),
 * spl_extract_commit()), into a fresh directory of a private sandbox, with a
 * minimal host (struct sup_host_api) that streams the input as the
 * action's payload. Its path services (path_parent, path_dir: ABI 1.1)
 * are the installer's own walk from a descriptor of the root (rootfd.c).
 *
 * Input: the payload, an archive (tar, cpio or zip, optionally gzip, bzip2,
 * xz, lzma, zstd or lz4 compressed). It is extracted three times: to a new
 * directory, merged into that directory, then replacing it. The sandbox
 * is removed after each input.
 *
 * Checked after each extraction (findings abort): nothing was created
 * beside the target; the target holds only directories, regular files
 * and symbolic links; no symbolic link, followed through the tree as the
 * kernel would, leads outside the target (extract.h); a failure recorded
 * a message.
 *
 * CI runs as root. So that an escape found by the fuzzer cannot write
 * outside the sandbox, the process restricts itself with Landlock (when
 * the kernel has it) to writing under its temporary directory, the
 * corpus and artifact directories named on the command line, and /dev.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/landlock.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <dirent.h>

#include "base/rootfd.h"
#include "extract.h"
#include "fuzzutil.h"

#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

static char *box, *root, *out;
static int root_fd = -1;

/* ---- the host ---------------------------------------------------- */

struct sup_action_ctx {
	char *failure; /* the first failure recorded */
};

struct sup_payload {
	const uint8_t *data;
	size_t size, off, chunk;
};

static const uint8_t *in_data;
static size_t in_size;

static void h_log(struct sup_action_ctx *ctx, int level, const char *fmt, ...)
	SUP_PRINTF(3, 4);
static int h_fail(struct sup_action_ctx *ctx, int errnum, const char *fmt, ...)
	SUP_PRINTF(3, 4);

static void h_log(struct sup_action_ctx *ctx, int level, const char *fmt, ...)
{
	(void)ctx;
	(void)level;
	(void)fmt;
}

static int h_fail(struct sup_action_ctx *ctx, int errnum, const char *fmt, ...)
{
	va_list ap;

	(void)errnum;
	if (!ctx->failure) {
		va_start(ap, fmt);
		if (vasprintf(&ctx->failure, fmt, ap) < 0)
			fz_die("out of memory");
		va_end(ap);
	}
	return SUP_ERR;
}

static void h_progress(struct sup_action_ctx *ctx, unsigned int pct)
{
	(void)ctx;
	if (pct > 100)
		abort();
}

static void h_output(struct sup_action_ctx *ctx, const char *d, size_t len)
{
	(void)ctx;
	(void)d;
	(void)len;
}

static const char *h_action_id(struct sup_action_ctx *ctx)
{
	(void)ctx;
	return "unpack";
}

static const char *h_action_type(struct sup_action_ctx *ctx)
{
	(void)ctx;
	return "file.extract";
}

static size_t h_payload_count(struct sup_action_ctx *ctx)
{
	(void)ctx;
	return 1;
}

static int h_payload_info(struct sup_action_ctx *ctx, size_t i,
			  const char **name, uint64_t *size)
{
	(void)ctx;
	if (i != 0)
		return SUP_ENOENT;
	*name = "data.tar";
	*size = in_size;
	return SUP_OK;
}

static int h_payload_open(struct sup_action_ctx *ctx, size_t i,
			  struct sup_payload **out_pl)
{
	struct sup_payload *p;

	(void)ctx;
	if (i != 0)
		return SUP_ENOENT;
	p = calloc(1, sizeof(*p));
	if (!p)
		fz_die("out of memory");
	p->data = in_data;
	p->size = in_size;
	/* Short reads of a size that depends on the input. */
	p->chunk = 1 + in_size % 8191;
	*out_pl = p;
	return SUP_OK;
}

static int64_t h_payload_read(struct sup_payload *p, void *buf, size_t len)
{
	size_t n = p->size - p->off;

	if (n > len)
		n = len;
	if (n > p->chunk)
		n = p->chunk;
	if (n)
		memcpy(buf, p->data + p->off, n);
	p->off += n;
	return (int64_t)n; /* 0 at the end: "verified" */
}

static void h_payload_close(struct sup_payload *p)
{
	free(p);
}

/* As host.c: a refused walk is SUP_EINVAL, an I/O failure SUP_ERR; both
 * recorded. */
static int path_failed(struct sup_action_ctx *ctx, const char *gw, int r,
		       char *why)
{
	h_fail(ctx, 0, "path '%s': %s", gw ? gw : "(null)",
	       why ? why : strerror(-r));
	free(why);
	return r == -EINVAL || r == -EPERM || r == -ELOOP ||
			       r == -ENAMETOOLONG || r == -ENOTDIR ?
		       SUP_EINVAL :
		       SUP_ERR;
}

static unsigned int rfd_flags(unsigned int flags)
{
	return (flags & SUP_PATH_NOFOLLOW_LAST ? 0 : SK_RFD_FOLLOW_LAST) |
	       (flags & SUP_PATH_MKPARENTS ? SK_RFD_MKPARENTS : 0);
}

static int h_path_parent(struct sup_action_ctx *ctx, const char *gw,
			 unsigned int flags, int *dirfd, char **name)
{
	char *why = NULL;
	int r;

	*dirfd = -1;
	*name = NULL;
	r = sk_rootfd_parent(root_fd, gw ? gw : "", rfd_flags(flags), dirfd,
			     name, &why);
	return r ? path_failed(ctx, gw, r, why) : SUP_OK;
}

static int h_path_dir(struct sup_action_ctx *ctx, const char *gw,
		      unsigned int flags, int *dirfd)
{
	char *why = NULL;
	int r;

	*dirfd = -1;
	r = sk_rootfd_dir(root_fd, gw ? gw : "",
			  rfd_flags(flags) & SK_RFD_MKPARENTS, dirfd, &why);
	return r ? path_failed(ctx, gw, r, why) : SUP_OK;
}

static const char *h_root_dir(struct sup_action_ctx *ctx)
{
	(void)ctx;
	return root;
}

static const char *h_staging_dir(struct sup_action_ctx *ctx)
{
	(void)ctx;
	return NULL;
}

static int h_resolve_path(struct sup_action_ctx *ctx, const char *gw,
			  unsigned int flags, char **res)
{
	(void)ctx;
	(void)flags;
	*res = fz_join(root, gw);
	return SUP_OK;
}

static int h_config_get(struct sup_action_ctx *ctx, const char *key,
			const char **v)
{
	(void)ctx;
	(void)key;
	(void)v;
	return SUP_ENOENT;
}

static int64_t h_time_left_ms(struct sup_action_ctx *ctx)
{
	(void)ctx;
	return -1;
}

static int h_product_get(struct sup_action_ctx *ctx, const char *section,
			 const char *key, const char **v)
{
	(void)ctx;
	(void)section;
	(void)key;
	(void)v;
	return SUP_ENOENT;
}

static int h_request_resume(struct sup_action_ctx *ctx, const char *reason)
{
	(void)ctx;
	(void)reason;
	return SUP_ERR;
}

/* Members added after this was written stay NULL: SUP_HOST_HAS() is
 * false for them, as with an older host. */
static const struct sup_host_api fake_host = {
	.size = sizeof(struct sup_host_api),
	.abi_major = SUP_ABI_MAJOR,
	.abi_minor = SUP_ABI_MINOR,
	.log = h_log,
	.fail = h_fail,
	.progress = h_progress,
	.output = h_output,
	.action_id = h_action_id,
	.action_type = h_action_type,
	.payload_count = h_payload_count,
	.payload_info = h_payload_info,
	.payload_open = h_payload_open,
	.payload_read = h_payload_read,
	.payload_close = h_payload_close,
	.resolve_path = h_resolve_path,
	.root_dir = h_root_dir,
	.staging_dir = h_staging_dir,
	.config_get = h_config_get,
	.time_left_ms = h_time_left_ms,
	.free = free,
	.product_get = h_product_get,
	.request_resume = h_request_resume,
	.path_parent = h_path_parent,
	.path_dir = h_path_dir,
};

/* ---- confinement ------------------------------------------------- */

static void allow(int ruleset, const char *dir, uint64_t access)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = access };

	pb.parent_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pb.parent_fd < 0)
		return;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH,
		    &pb, 0) != 0)
		fz_die("landlock_add_rule '%s': %s", dir, strerror(errno));
	close(pb.parent_fd);
}

/* The directory a libFuzzer output path (prefix or file) is in. */
static void allow_output_of(int ruleset, const char *path, uint64_t access)
{
	char *copy = fz_strndup(path, strlen(path));
	size_t len = strlen(copy);

	if (len && copy[len - 1] == '/')
		allow(ruleset, copy, access);
	else
		allow(ruleset, dirname(copy), access);
	free(copy);
}

static void confine(int argc, char **argv)
{
	struct landlock_ruleset_attr attr = { 0 };
	uint64_t w = LANDLOCK_ACCESS_FS_WRITE_FILE |
		     LANDLOCK_ACCESS_FS_REMOVE_DIR |
		     LANDLOCK_ACCESS_FS_REMOVE_FILE |
		     LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
		     LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
		     LANDLOCK_ACCESS_FS_MAKE_FIFO |
		     LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
	bool prefix = false;
	long abi;
	int rs;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
		      LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1) {
		if (geteuid() == 0)
			fprintf(stderr, "fuzz_extract: warning: no Landlock in this kernel: extraction runs unconfined as root\n");
		return;
	}
	if (abi >= 2)
		w |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		w |= LANDLOCK_ACCESS_FS_TRUNCATE;
	attr.handled_access_fs = w;
	rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (rs < 0)
		fz_die("landlock_create_ruleset: %s", strerror(errno));
	allow(rs, fz_tmpdir(), w);
	allow(rs, "/dev", LANDLOCK_ACCESS_FS_WRITE_FILE |
				  (abi >= 3 ? LANDLOCK_ACCESS_FS_TRUNCATE : 0));
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (!strncmp(argv[i], "-artifact_prefix=", 17)) {
			allow_output_of(rs, argv[i] + 17, w);
			prefix = true;
		} else if (!strncmp(argv[i], "-exact_artifact_path=", 21)) {
			allow_output_of(rs, argv[i] + 21, w);
			prefix = true;
		} else if (argv[i][0] != '-' && stat(argv[i], &st) == 0 &&
			   S_ISDIR(st.st_mode)) {
			allow(rs, argv[i], w); /* a corpus directory */
		}
	}
	if (!prefix)
		allow(rs, ".", w); /* artifacts go to the working directory */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_landlock_restrict_self, rs, 0) != 0)
		fz_die("landlock_restrict_self: %s", strerror(errno));
	close(rs);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* Deep below the temporary directory: a relative escape that the
	 * checks below would catch lands in the sandbox's parents first. */
	box = fz_join(fz_tmpdir(), "a/b/c/d/e/f/box");
	root = fz_join(box, "root");
	out = fz_join(root, "out");
	confine(*argc, *argv);
	return 0;
}

/* ---- the checks --------------------------------------------------- */

static void finding(const char *what, const char *path)
{
	fprintf(stderr, "finding: %s: '%s'\n", what, path);
	abort();
}

/* Only name in dir (or nothing when name is NULL or absent). */
static void only(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		fz_die("cannot read '%s': %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!name || strcmp(e->d_name, name) != 0) {
			char *p = fz_join(dir, e->d_name);

			finding("an entry appeared beside the target", p);
		}
	}
	closedir(d);
}

/*
 * Follow target from directory rel (both relative to out, rel "" for out
 * itself) as path resolution would, symbolic links inside out included.
 * A step above out is a finding; a missing component ends the walk (the
 * link dangles inside); hops bounds link loops.
 */
static void follow(const char *link, const char *rel, const char *target,
		   int hops)
{
	char path[8192];
	size_t len = strlen(rel);
	const char *p = target;

	if (target[0] == '/')
		finding("a symbolic link is absolute", link);
	if (len >= sizeof(path) || hops > 40)
		return;
	memcpy(path, rel, len + 1);
	while (*p) {
		size_t n = strcspn(p, "/");
		char host[8192 + 64], next[4096];
		struct stat st;
		ssize_t tl;

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(path, '/');

			if (!path[0])
				finding("a symbolic link leads outside the target",
					link);
			if (slash)
				*slash = '\0';
			else
				path[0] = '\0';
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			size_t at = strlen(path);

			if (at + n + 2 >= sizeof(path))
				return;
			if (at)
				path[at++] = '/';
			memcpy(path + at, p, n);
			path[at + n] = '\0';
			snprintf(host, sizeof(host), "%s/%s", out, path);
			if (lstat(host, &st) != 0)
				return;
			if (S_ISLNK(st.st_mode)) {
				char *slash, *rest;

				tl = readlink(host, next, sizeof(next) - 1);
				if (tl < 0)
					return;
				next[tl] = '\0';
				slash = strrchr(path, '/');
				if (slash)
					*slash = '\0';
				else
					path[0] = '\0';
				/* The link's target, then the rest of this
				 * one, from the link's directory. */
				if (asprintf(&rest, "%s/%s", next, p + n) < 0)
					fz_die("out of memory");
				follow(link, path, rest, hops + 1);
				free(rest);
				return;
			}
		}
		p += n;
		if (*p == '/')
			p++;
	}
}

/* Every entry below out (rel relative to it). */
static void check_tree(const char *rel)
{
	char *dir = rel[0] ? fz_join(out, rel) : fz_strndup(out, strlen(out));
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		fz_die("cannot read '%s': %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		char *host, *sub, target[4096];
		struct stat st;
		ssize_t n;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		host = fz_join(dir, e->d_name);
		sub = rel[0] ? fz_join(rel, e->d_name) :
			       fz_strndup(e->d_name, strlen(e->d_name));
		if (lstat(host, &st) != 0)
			fz_die("cannot stat '%s': %s", host, strerror(errno));
		if (S_ISDIR(st.st_mode)) {
			check_tree(sub);
		} else if (S_ISLNK(st.st_mode)) {
			n = readlink(host, target, sizeof(target) - 1);
			if (n < 0)
				fz_die("cannot read link '%s'", host);
			target[n] = '\0';
			follow(host, rel, target, 0);
		} else if (!S_ISREG(st.st_mode)) {
			finding("an entry is not a directory, file or link", host);
		} else if (st.st_nlink != 1) {
			finding("a file has another hard link", host);
		}
		free(host);
		free(sub);
	}
	closedir(d);
	free(dir);
}

static void check_result(int rc, const struct sup_action_ctx *ctx)
{
	struct stat st;

	if (rc != SUP_OK && !ctx->failure)
		finding("an extraction failed without a message", out);
	if (getenv("FUZZ_VERBOSE")) /* what a seed reaches */
		fprintf(stderr, "extract: %s\n",
			rc == SUP_OK ? "ok" : ctx->failure);
	only(box, "root");
	/* The temporary trees are gone, whatever happened. */
	only(root, "out");
	if (lstat(out, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			finding("the target is not a directory", out);
		check_tree("");
	}
}

static void extract(enum spl_extract_mode mode)
{
	struct sup_action_ctx ctx = { 0 };
	struct spl_extract x;
	int rc = SUP_ERR;

	if (spl_extract_begin(&x, &fake_host, &ctx, "/out", mode) == SUP_OK &&
	    spl_extract_payload(&x, 0) == SUP_OK &&
	    spl_extract_commit(&x) == SUP_OK)
		rc = SUP_OK;
	/* The old tree of a replace is left to spl_extract_release(). */
	spl_extract_release(&x);
	check_result(rc, &ctx);
	free(ctx.failure);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int err;

	in_data = data;
	in_size = size;
	fz_mkdirs(root);
	root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		fz_die("cannot open '%s': %s", root, strerror(errno));
	extract(SPL_EXTRACT_MERGE); /* into a new directory */
	extract(SPL_EXTRACT_MERGE);
	extract(SPL_EXTRACT_REPLACE);
	close(root_fd);
	err = fz_rmtree(box);
	if (err)
		fz_die("cannot remove the sandbox: %s", strerror(err));
	return 0;
}
