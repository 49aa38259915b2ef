/* SPDX-License-Identifier: MIT */
/*
 * test_loader.c - the plugin loader against real fixture .so files
 * (tests/plugins, built into $SUP_FIXTURE_DIR/<case>/<name>.so).
 *
 * Every refusal must name the file and the reason; the messages asserted
 * here are the ones users see after "sup: error: ".
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "base/problems.h"
#include "base/util.h"
#include "install/loader.h"
#include "testutil.h"

/* --- helpers --------------------------------------------------------- */

/* malloc'd "$SUP_FIXTURE_DIR/<sub>", or "$SUP_FIXTURE_DIR" for NULL. */
static char *fixture(const char *sub)
{
	const char *dir = getenv("SUP_FIXTURE_DIR");

	if (!dir || dir[0] != '/') {
		fprintf(stderr, "SUP_FIXTURE_DIR must name the fixture directory\n");
		return NULL;
	}
	return sub ? sk_path_join(dir, sub) : strdup(dir);
}

/* True if one problem in d contains every non-NULL needle; otherwise
 * prints the problems, so a failed assertion shows what was said. */
static bool diag_has(const struct sk_problems *d, const char *a, const char *b,
		     const char *c)
{
	for (size_t i = 0; i < d->count; i++) {
		const char *m = d->items[i].msg;

		if ((!a || strstr(m, a)) && (!b || strstr(m, b)) &&
		    (!c || strstr(m, c)))
			return true;
	}
	fprintf(stderr, "\nno problem contains '%s' '%s' '%s'; got %zu:\n",
		a ? a : "", b ? b : "", c ? c : "", d->count);
	for (size_t i = 0; i < d->count; i++)
		fprintf(stderr, "  [class %d] %s\n", (int)d->items[i].cls,
			d->items[i].msg);
	return false;
}

static bool diag_all_setup(const struct sk_problems *d)
{
	for (size_t i = 0; i < d->count; i++)
		if (d->items[i].cls != SK_PROBLEM_SETUP)
			return false;
	return d->count > 0;
}

static int copy_file(const char *src, const char *dst, mode_t mode)
{
	char buf[65536];
	int in, out, ret = -1;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0)
		goto out_in;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (sk_write_all(out, buf, (size_t)n) != 0)
			goto out_out;
	if (n < 0)
		goto out_out;
	/* fchmod, not the open mode: the umask must not matter. */
	if (fchmod(out, mode) != 0)
		goto out_out;
	ret = 0;
out_out:
	if (close(out) != 0)
		ret = -1;
out_in:
	close(in);
	return ret;
}

/* A fresh temporary directory (mode 0755) holding a copy of the good
 * fixture as fixture.so with the given mode; *so gets its path. */
static char *good_copy(mode_t mode, char **so)
{
	char *src = fixture("good/fixture.so");
	char *dir = tu_mkdtemp();

	*so = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(src);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	CU_ASSERT_EQUAL_FATAL(chmod(dir, 0755), 0);
	*so = sk_path_join(dir, "fixture.so");
	CU_ASSERT_PTR_NOT_NULL_FATAL(*so);
	CU_ASSERT_EQUAL_FATAL(copy_file(src, *so, mode), 0);
	free(src);
	return dir;
}

/*
 * Load path into a fresh registry and expect a refusal whose message
 * names the file ("cannot load plugin '<path>'" unless named is NULL)
 * and contains reason. Nothing may stay registered.
 */
static void expect_refused(const char *path, const char *named,
			   const char *reason)
{
	struct sk_registry r;
	struct sk_problems d;

	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_registry_init(&r, &d), 0);
	CU_ASSERT_EQUAL(sk_registry_load_file(&r, path, &d), -1);
	CU_ASSERT_EQUAL(r.n_plugins, 0);
	CU_ASSERT_EQUAL(r.n_types, 0);
	CU_ASSERT(diag_all_setup(&d));
	CU_ASSERT(diag_has(&d, named, reason, NULL));
	sk_registry_release(&r);
	sk_problems_release(&d);
}

/* The refusal of fixture <case>/<file>, with reason. */
static void expect_fixture_refused(const char *sub, const char *reason)
{
	char *path = fixture(sub);
	char *named;

	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	named = sk_asprintf("cannot load plugin '%s': ", path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(named);
	expect_refused(path, named, reason);
	free(named);
	free(path);
}

/* --- the good plugin ------------------------------------------------- */

static void test_good_loads(void)
{
	static const char *const types[] = {
		"fixture.ok", "fixture.fail", "fixture.crash",
		"fixture.hang", "fixture.crashcheck", "fixture.slowcheck",
		"fixture.checkfail",
		"fixture.write", "fixture.pidcheck", "fixture.pidcheck-own",
		"fixture.payload", "fixture.params",
		"fixture.config", "fixture.noted", "fixture.stagetamper",
		"fixture.rollback",
	};
	const size_t n = sizeof(types) / sizeof(types[0]);
	const struct sk_action_type *t;
	struct sk_registry r;
	struct sk_problems d;
	char *path = fixture("good/fixture.so");

	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_registry_init(&r, &d), 0);
	CU_ASSERT_EQUAL(sk_registry_load_file(&r, path, &d), 0);
	CU_ASSERT(sk_problems_empty(&d));
	CU_ASSERT_EQUAL_FATAL(r.n_plugins, 1);
	CU_ASSERT_STRING_EQUAL(r.plugins[0].path, path);
	CU_ASSERT_PTR_NOT_NULL(r.plugins[0].handle);
	CU_ASSERT_STRING_EQUAL(r.plugins[0].desc->name, "fixture");
	CU_ASSERT_STRING_EQUAL(r.plugins[0].desc->version, "1.0.0");
	CU_ASSERT_EQUAL(r.n_types, n);

	for (size_t i = 0; i < n; i++) {
		t = sk_registry_find(&r, types[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(t);
		CU_ASSERT_STRING_EQUAL(t->type, types[i]);
		CU_ASSERT_PTR_EQUAL(t->plugin, &r.plugins[0]);
		CU_ASSERT_PTR_NOT_NULL(t->ops.execute);
	}
	/* ABI 1.2: the stage op is copied where the plugin has one, and
	 * reads as absent where it has none. */
	t = sk_registry_find(&r, "fixture.stagetamper");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_NOT_NULL(t->ops.stage);
	t = sk_registry_find(&r, "fixture.ok");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_NULL(t->ops.stage);

	t = sk_registry_find(&r, "fixture.ok");
	CU_ASSERT_PTR_NULL(t->ops.check);
	CU_ASSERT_PTR_NULL(t->ops.params);
	t = sk_registry_find(&r, "fixture.crashcheck");
	CU_ASSERT_PTR_NOT_NULL(t->ops.check);
	t = sk_registry_find(&r, "fixture.write");
	CU_ASSERT(t->ops.flags & SUP_ACTION_IDEMPOTENT);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->ops.params);
	CU_ASSERT_STRING_EQUAL(t->ops.params[0], "path");
	t = sk_registry_find(&r, "fixture.payload");
	CU_ASSERT_EQUAL(t->ops.min_payloads, 1);
	CU_ASSERT_EQUAL(t->ops.max_payloads, 1);
	CU_ASSERT_EQUAL(sk_registry_find(&r, "fixture.write")->ops.min_payloads,
			0);
	t = sk_registry_find(&r, "fixture.rollback");
	CU_ASSERT_PTR_NOT_NULL(t->ops.rollback);

	CU_ASSERT_PTR_NULL(sk_registry_find(&r, "fixture.nope"));
	CU_ASSERT_PTR_NULL(sk_registry_find(&r, "fixture"));
	CU_ASSERT_PTR_NULL(sk_registry_find(&r, "file.install"));

	sk_registry_release(&r);
	sk_problems_release(&d);
	free(path);
}

/* Type entries keep pointing at their plugin as the plugin array
 * grows. */
static void test_types_follow_plugins(void)
{
	struct sk_registry r;
	struct sk_problems d;
	char *a = fixture("duplicate/dupa.so");
	char *g = fixture("good/fixture.so");
	const struct sk_action_type *t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_registry_init(&r, &d), 0);
	CU_ASSERT_EQUAL(sk_registry_load_file(&r, a, &d), 0);
	CU_ASSERT_EQUAL(sk_registry_load_file(&r, g, &d), 0);
	CU_ASSERT(sk_problems_empty(&d));
	CU_ASSERT_EQUAL_FATAL(r.n_plugins, 2);
	t = sk_registry_find(&r, "dupa.same");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_STRING_EQUAL(t->plugin->desc->name, "dupa");
	CU_ASSERT_STRING_EQUAL(t->plugin->path, a);
	t = sk_registry_find(&r, "fixture.ok");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_STRING_EQUAL(t->plugin->desc->name, "fixture");
	sk_registry_release(&r);
	sk_problems_release(&d);
	free(a);
	free(g);
}

static void test_same_file_twice(void)
{
	struct sk_registry r;
	struct sk_problems d;
	char *path = fixture("good/fixture.so");
	char *msg;

	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	msg = sk_asprintf("cannot load plugin '%s': plugin 'fixture' is already loaded from '%s'",
			  path, path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_registry_init(&r, &d), 0);
	CU_ASSERT_EQUAL(sk_registry_load_file(&r, path, &d), 0);
	CU_ASSERT_EQUAL(sk_registry_load_file(&r, path, &d), -1);
	CU_ASSERT(diag_has(&d, msg, NULL, NULL));
	CU_ASSERT_EQUAL(r.n_plugins, 1);
	CU_ASSERT_EQUAL(r.n_types, 16);
	sk_registry_release(&r);
	sk_problems_release(&d);
	free(msg);
	free(path);
}

/* --- descriptors the loader refuses ---------------------------------- */

/* Only the host's own major is accepted: an older one (0) as much as a
 * newer one (2), so a check of "newer than" alone fails here. */
static void test_wrong_abi_major(void)
{
	expect_fixture_refused("wrong-abi-major/wrongmajor.so",
			       "wrong ABI major 2, this host speaks 1");
	expect_fixture_refused("zero-abi-major/zeromajor.so",
			       "wrong ABI major 0, this host speaks 1");
}

static void test_newer_minor(void)
{
	char *reason = sk_asprintf("ABI %d.%d is newer than this host's %d.%d",
				   SUP_ABI_MAJOR, SUP_ABI_MINOR + 1,
				   SUP_ABI_MAJOR, SUP_ABI_MINOR);

	CU_ASSERT_PTR_NOT_NULL_FATAL(reason);
	expect_fixture_refused("newer-minor/newerminor.so", reason);
	free(reason);
}

static void test_missing_entry(void)
{
	expect_fixture_refused("missing-entry/noentry.so",
			       "does not export sup_plugin_entry");
}

static void test_bad_signature(void)
{
	char *reason = sk_asprintf("build signature 0x04040408 does not match this host's 0x%08x",
				   (unsigned int)SUP_BUILD_SIGNATURE);

	CU_ASSERT_PTR_NOT_NULL_FATAL(reason);
	expect_fixture_refused("bad-signature/badsig.so", reason);
	free(reason);
}

static void test_name_mismatch(void)
{
	expect_fixture_refused("name-mismatch/othername.so",
			       "plugin name 'different' does not match the file name 'othername.so'");
}

static void test_null_execute(void)
{
	expect_fixture_refused("null-execute/nullexec.so",
			       "action type 'nullexec.nothing' has no execute function");
}

static void test_bad_type(void)
{
	expect_fixture_refused("bad-type/badtype.so",
			       "action type 'Bad Type!' is not of the form plugin.verb");
}

static void test_null_descriptor(void)
{
	expect_fixture_refused("null-descriptor/nulldesc.so",
			       "sup_plugin_entry returned NULL");
}

static void test_small_size(void)
{
	char *reason = sk_asprintf("descriptor size %zu is smaller than ABI 1.0's",
				   offsetof(struct sup_plugin, actions));

	CU_ASSERT_PTR_NOT_NULL_FATAL(reason);
	expect_fixture_refused("small-size/smallsize.so", reason);
	free(reason);
}

static void test_missing_file(void)
{
	char *path = fixture("good/nosuch.so");

	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	expect_refused(path, path, strerror(ENOENT));
	free(path);
}

/* A plugin may claim only types that start with its name and a dot:
 * dupb lists dupa.same besides its own dupb.only. It is refused alone,
 * after dupa and before it, and none of its types is registered. */
static void test_foreign_type(void)
{
	struct sk_registry r;
	struct sk_problems d;
	char *a = fixture("duplicate/dupa.so");
	char *b = fixture("duplicate/dupb.so");
	char *msg;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	msg = sk_asprintf("cannot load plugin '%s': action type 'dupa.same' does not start with the plugin's name and a dot ('dupb.')",
			  b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	expect_refused(b, msg, NULL);

	/* After dupa: refused for the same reason, dupa keeps its type. */
	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_registry_init(&r, &d), 0);
	CU_ASSERT_EQUAL(sk_registry_load_file(&r, a, &d), 0);
	CU_ASSERT(sk_problems_empty(&d));
	CU_ASSERT_EQUAL(sk_registry_load_file(&r, b, &d), -1);
	CU_ASSERT(diag_all_setup(&d));
	CU_ASSERT(diag_has(&d, msg, NULL, NULL));
	CU_ASSERT_EQUAL(d.count, 1);
	CU_ASSERT_EQUAL(r.n_plugins, 1);
	CU_ASSERT_PTR_NOT_NULL(sk_registry_find(&r, "dupa.only"));
	CU_ASSERT_PTR_NULL(sk_registry_find(&r, "dupb.only"));
	CU_ASSERT_STRING_EQUAL(sk_registry_find(&r, "dupa.same")->plugin->path,
			       a);
	sk_registry_release(&r);
	sk_problems_release(&d);

	/* Before dupa: dupb cannot take dupa's type by loading first. */
	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_registry_init(&r, &d), 0);
	CU_ASSERT_EQUAL(sk_registry_load_file(&r, b, &d), -1);
	CU_ASSERT(diag_has(&d, msg, NULL, NULL));
	CU_ASSERT_EQUAL(sk_registry_load_file(&r, a, &d), 0);
	CU_ASSERT_EQUAL(d.count, 1);
	CU_ASSERT_EQUAL_FATAL(r.n_plugins, 1);
	CU_ASSERT_STRING_EQUAL(sk_registry_find(&r, "dupa.same")->plugin->path,
			       a);
	sk_registry_release(&r);
	sk_problems_release(&d);
	free(msg);
	free(a);
	free(b);
}

/* The same through a directory scan: the run fails naming dupb and the
 * type; dupa is loaded. */
static void test_foreign_type_dir(void)
{
	struct sk_registry r;
	struct sk_problems d;
	char *dir = fixture("duplicate");
	char *b = fixture("duplicate/dupb.so");
	const char *dirs[1];

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	dirs[0] = dir;
	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_registry_init(&r, &d), 0);
	CU_ASSERT_EQUAL(sk_registry_load_dirs(&r, dirs, 1, NULL, 0, &d), -1);
	CU_ASSERT(diag_has(&d, b, "action type 'dupa.same' does not start with the plugin's name and a dot ('dupb.')",
			   NULL));
	CU_ASSERT_EQUAL(r.n_plugins, 1);
	CU_ASSERT_PTR_NOT_NULL(sk_registry_find(&r, "dupa.same"));
	sk_registry_release(&r);
	sk_problems_release(&d);
	free(dir);
	free(b);
}

/* A plugin name is a type prefix: "dupa.evil" (file dupa.evil.so, types
 * dupa.evil.*) would reach into dupa's types. */
static void test_dotted_name(void)
{
	expect_fixture_refused("dotted-name/dupa.evil.so",
			       "plugin name 'dupa.evil' is not 1 to 64 of lowercase letters, digits, '_' and '-'");
}

/*
 * A symbol that resolves nowhere: refused at load with the symbol's name,
 * not at the first call of execute. The installer process never maps the
 * plugin (the trial load runs in a child).
 */
static void test_unresolved_symbol(void)
{
	char *path = fixture("unresolved-symbol/unresolved.so");
	char *named;

	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	named = sk_asprintf("cannot load plugin '%s': ", path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(named);
	expect_refused(path, named,
		       "undefined symbol: supkit_fixture_no_such_function");
	CU_ASSERT_PTR_NULL(dlopen(path, RTLD_LAZY | RTLD_NOLOAD));
	free(named);
	free(path);
}

/* The trial load opens nothing that stays: the good plugin is mapped
 * once, by libltdl, and gone after release. */
static void test_trial_load_leaves_nothing(void)
{
	struct sk_registry r;
	struct sk_problems d;
	char *path = fixture("good/fixture.so");
	void *h;

	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_registry_init(&r, &d), 0);
	CU_ASSERT_EQUAL(sk_registry_load_file(&r, path, &d), 0);
	h = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
	CU_ASSERT_PTR_NOT_NULL(h);
	if (h)
		dlclose(h);
	sk_registry_release(&r);
	CU_ASSERT_PTR_NULL(dlopen(path, RTLD_LAZY | RTLD_NOLOAD));
	sk_problems_release(&d);
	free(path);
}

/* --- file system checks ---------------------------------------------- */

static void test_relative_path(void)
{
	expect_refused("good/fixture.so",
		       "cannot load plugin 'good/fixture.so': not an absolute path",
		       NULL);
	expect_refused("fixture.so",
		       "cannot load plugin 'fixture.so': not an absolute path",
		       NULL);
}

/* The copy loads with safe modes: the refusals below are about the
 * mode, nothing else. */
static void test_copy_loads(void)
{
	struct sk_registry r;
	struct sk_problems d;
	char *so, *dir = good_copy(0644, &so);

	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_registry_init(&r, &d), 0);
	CU_ASSERT_EQUAL(sk_registry_load_file(&r, so, &d), 0);
	CU_ASSERT(sk_problems_empty(&d));
	CU_ASSERT_PTR_NOT_NULL(sk_registry_find(&r, "fixture.ok"));
	sk_registry_release(&r);
	sk_problems_release(&d);
	tu_rm_rf(dir);
	free(so);
	free(dir);
}

static void test_world_writable_dir(void)
{
	char *so, *dir = good_copy(0644, &so);
	char *reason;

	reason = sk_asprintf("directory '%s' is world-writable", dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(reason);
	CU_ASSERT_EQUAL_FATAL(chmod(dir, 0777), 0);
	expect_refused(so, so, reason);
	/* Sticky (like /tmp) does not make it acceptable either. */
	CU_ASSERT_EQUAL_FATAL(chmod(dir, 01777), 0);
	expect_refused(so, so, reason);
	tu_rm_rf(dir);
	free(reason);
	free(so);
	free(dir);
}

static void test_group_writable_dir(void)
{
	char *so, *dir = good_copy(0644, &so);
	char *named;

	named = sk_asprintf("directory '%s'", dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(named);
	CU_ASSERT_EQUAL_FATAL(chmod(dir, 0775), 0);
	expect_refused(so, named, "writable");
	tu_rm_rf(dir);
	free(named);
	free(so);
	free(dir);
}

static void test_world_writable_file(void)
{
	char *so, *dir = good_copy(0646, &so);

	expect_refused(so, so, "file is world-writable (mode 0646)");
	tu_rm_rf(dir);
	free(so);
	free(dir);
}

static void test_group_writable_file(void)
{
	char *so, *dir = good_copy(0664, &so);

	expect_refused(so, so, "writable");
	tu_rm_rf(dir);
	free(so);
	free(dir);
}

/*
 * A file, or a directory, owned by someone else than root or us. Giving a
 * file away needs root: run as root, a copy is chowned to uid 65534;
 * otherwise the test says it was skipped rather than pass unseen.
 */
static void test_foreign_owner(void)
{
	char *so, *dir, *reason;

	if (geteuid() != 0) {
		fprintf(stderr, "(skipped: giving a file away needs root) ");
		return;
	}
	dir = good_copy(0644, &so);
	CU_ASSERT_EQUAL_FATAL(chown(so, 65534, 65534), 0);
	expect_refused(so, so,
		       "file is owned by uid 65534, not by root or the current user");
	CU_ASSERT_EQUAL_FATAL(chown(so, 0, 0), 0);
	CU_ASSERT_EQUAL_FATAL(chown(dir, 65534, 65534), 0);
	reason = sk_asprintf("directory '%s' is owned by uid 65534, not by root or the current user",
			     dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(reason);
	expect_refused(so, so, reason);
	CU_ASSERT_EQUAL(chown(dir, 0, 0), 0);
	tu_rm_rf(dir);
	free(reason);
	free(so);
	free(dir);
}

static void test_symlink_file(void)
{
	char *src = fixture("good/fixture.so");
	char *dir = tu_mkdtemp();
	char *link;

	CU_ASSERT_PTR_NOT_NULL_FATAL(src);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	CU_ASSERT_EQUAL_FATAL(chmod(dir, 0755), 0);
	link = sk_path_join(dir, "fixture.so");
	CU_ASSERT_PTR_NOT_NULL_FATAL(link);
	CU_ASSERT_EQUAL_FATAL(symlink(src, link), 0);
	expect_refused(link, link, "is a symbolic link");
	tu_rm_rf(dir);
	free(link);
	free(dir);
	free(src);
}

static void test_symlink_dir(void)
{
	char *good = fixture("good");
	char *dir = tu_mkdtemp();
	char *link, *so, *reason;

	CU_ASSERT_PTR_NOT_NULL_FATAL(good);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	CU_ASSERT_EQUAL_FATAL(chmod(dir, 0755), 0);
	link = sk_path_join(dir, "plugins");
	CU_ASSERT_PTR_NOT_NULL_FATAL(link);
	CU_ASSERT_EQUAL_FATAL(symlink(good, link), 0);
	so = sk_path_join(link, "fixture.so");
	reason = sk_asprintf("directory '%s' is a symbolic link", link);
	CU_ASSERT_PTR_NOT_NULL_FATAL(so);
	CU_ASSERT_PTR_NOT_NULL_FATAL(reason);
	expect_refused(so, so, reason);
	tu_rm_rf(dir);
	free(reason);
	free(so);
	free(link);
	free(dir);
	free(good);
}

/* --- directories and the enabled list -------------------------------- */

static void test_dirs_all(void)
{
	struct sk_registry r;
	struct sk_problems d;
	char *good = fixture("good");
	const char *dirs[2];

	CU_ASSERT_PTR_NOT_NULL_FATAL(good);
	/* A directory that does not exist is skipped. */
	dirs[0] = "/nonexistent/supkit-test-plugins";
	dirs[1] = good;
	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_registry_init(&r, &d), 0);
	CU_ASSERT_EQUAL(sk_registry_load_dirs(&r, dirs, 2, NULL, 0, &d), 0);
	CU_ASSERT(sk_problems_empty(&d));
	CU_ASSERT_EQUAL(r.n_plugins, 1);
	CU_ASSERT_PTR_NOT_NULL(sk_registry_find(&r, "fixture.write"));
	sk_registry_release(&r);
	sk_problems_release(&d);
	free(good);
}

/* A bad plugin in a scanned directory fails the load, named. */
static void test_dirs_bad_plugin(void)
{
	struct sk_registry r;
	struct sk_problems d;
	char *good = fixture("good");
	char *bad = fixture("wrong-abi-major");
	char *so = fixture("wrong-abi-major/wrongmajor.so");
	const char *dirs[2];

	CU_ASSERT_PTR_NOT_NULL_FATAL(good);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
	CU_ASSERT_PTR_NOT_NULL_FATAL(so);
	dirs[0] = good;
	dirs[1] = bad;
	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_registry_init(&r, &d), 0);
	CU_ASSERT_EQUAL(sk_registry_load_dirs(&r, dirs, 2, NULL, 0, &d), -1);
	CU_ASSERT(diag_has(&d, so, "wrong ABI major 2, this host speaks 1",
			   NULL));
	sk_registry_release(&r);
	sk_problems_release(&d);
	free(good);
	free(bad);
	free(so);
}

static void test_dirs_relative(void)
{
	struct sk_registry r;
	struct sk_problems d;
	const char *dirs[1] = { "plugins" };

	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_registry_init(&r, &d), 0);
	CU_ASSERT_EQUAL(sk_registry_load_dirs(&r, dirs, 1, NULL, 0, &d), -1);
	CU_ASSERT(diag_has(&d,
			   "plugin directory 'plugins' is not an absolute path",
			   NULL, NULL));
	CU_ASSERT_EQUAL(r.n_plugins, 0);
	sk_registry_release(&r);
	sk_problems_release(&d);
}

/* Only the enabled plugin is loaded, though the directory has two (the
 * other, dupb, would be refused if it were loaded). */
static void test_enabled_only(void)
{
	struct sk_registry r;
	struct sk_problems d;
	char *dup = fixture("duplicate");
	const char *dirs[1];
	const char *enabled[1] = { "dupa" };
	const struct sk_action_type *t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dup);
	dirs[0] = dup;
	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_registry_init(&r, &d), 0);
	CU_ASSERT_EQUAL(sk_registry_load_dirs(&r, dirs, 1, enabled, 1, &d), 0);
	CU_ASSERT(sk_problems_empty(&d));
	CU_ASSERT_EQUAL_FATAL(r.n_plugins, 1);
	CU_ASSERT_STRING_EQUAL(r.plugins[0].desc->name, "dupa");
	CU_ASSERT_PTR_NULL(sk_registry_find(&r, "dupb.only"));
	t = sk_registry_find(&r, "dupa.same");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_STRING_EQUAL(t->plugin->desc->name, "dupa");
	sk_registry_release(&r);
	sk_problems_release(&d);
	free(dup);
}

/* Each enabled plugin from the first directory that has it. */
static void test_enabled_across_dirs(void)
{
	struct sk_registry r;
	struct sk_problems d;
	char *dup = fixture("duplicate");
	char *good = fixture("good");
	const char *dirs[2];
	const char *enabled[2] = { "fixture", "dupa" };

	CU_ASSERT_PTR_NOT_NULL_FATAL(dup);
	CU_ASSERT_PTR_NOT_NULL_FATAL(good);
	dirs[0] = dup;
	dirs[1] = good;
	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_registry_init(&r, &d), 0);
	CU_ASSERT_EQUAL(sk_registry_load_dirs(&r, dirs, 2, enabled, 2, &d), 0);
	CU_ASSERT(sk_problems_empty(&d));
	CU_ASSERT_EQUAL(r.n_plugins, 2);
	CU_ASSERT_PTR_NOT_NULL(sk_registry_find(&r, "fixture.ok"));
	CU_ASSERT_PTR_NOT_NULL(sk_registry_find(&r, "dupa.only"));
	CU_ASSERT_PTR_NULL(sk_registry_find(&r, "dupb.only"));
	sk_registry_release(&r);
	sk_problems_release(&d);
	free(dup);
	free(good);
}

static void test_enabled_missing(void)
{
	struct sk_registry r;
	struct sk_problems d;
	char *good = fixture("good");
	const char *dirs[1];
	const char *enabled[2] = { "fixture", "nosuch" };

	CU_ASSERT_PTR_NOT_NULL_FATAL(good);
	dirs[0] = good;
	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_registry_init(&r, &d), 0);
	CU_ASSERT_EQUAL(sk_registry_load_dirs(&r, dirs, 1, enabled, 2, &d), -1);
	CU_ASSERT(diag_all_setup(&d));
	CU_ASSERT(diag_has(&d,
			   "plugin 'nosuch' is enabled but no 'nosuch.so' was found in the plugin directories",
			   NULL, NULL));
	sk_registry_release(&r);
	sk_problems_release(&d);
	free(good);
}

/* An enabled name is a file name: no path tricks. */
static void test_enabled_bad_name(void)
{
	struct sk_registry r;
	struct sk_problems d;
	char *good = fixture("good");
	const char *dirs[1];
	const char *enabled[1] = { "../good/fixture" };

	CU_ASSERT_PTR_NOT_NULL_FATAL(good);
	dirs[0] = good;
	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_registry_init(&r, &d), 0);
	CU_ASSERT_EQUAL(sk_registry_load_dirs(&r, dirs, 1, enabled, 1, &d), -1);
	CU_ASSERT(diag_has(&d, "enabled plugin '../good/fixture' is not a valid plugin name",
			   NULL, NULL));
	CU_ASSERT_EQUAL(r.n_plugins, 0);
	sk_registry_release(&r);
	sk_problems_release(&d);
	free(good);
}

/* The same plugin name in two directories: the first one is loaded, the
 * second is not an error. */
static void first_dir_wins(bool use_enabled)
{
	struct sk_registry r;
	struct sk_problems d;
	char *good = fixture("good");
	char *so, *dir = good_copy(0644, &so);
	const char *dirs[2];
	const char *enabled[1] = { "fixture" };

	CU_ASSERT_PTR_NOT_NULL_FATAL(good);
	dirs[0] = dir;
	dirs[1] = good;
	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_registry_init(&r, &d), 0);
	CU_ASSERT_EQUAL(sk_registry_load_dirs(&r, dirs, 2,
					      use_enabled ? enabled : NULL,
					      use_enabled ? 1 : 0, &d),
			0);
	CU_ASSERT(sk_problems_empty(&d));
	CU_ASSERT_EQUAL_FATAL(r.n_plugins, 1);
	CU_ASSERT_STRING_EQUAL(r.plugins[0].path, so);
	CU_ASSERT_STRING_EQUAL(sk_registry_find(&r, "fixture.ok")->plugin->path,
			       so);
	sk_registry_release(&r);
	sk_problems_release(&d);
	tu_rm_rf(dir);
	free(so);
	free(dir);
	free(good);
}

/*
 * Plugins whose constructors crash the process and end it (status 0),
 * before and after a good one: the trial load refuses each, names why,
 * and goes on with the next file, so the good plugin loads in either
 * order. The host never maps the other two: one would crash this test,
 * the other end it with status 0.
 */
static void constructor_failures(bool good_first)
{
	struct sk_registry r;
	struct sk_problems d;
	char *good = fixture("good");
	char *cexit = fixture("ctor-exit");
	char *ccrash = fixture("ctor-crash");
	char *exit_so = fixture("ctor-exit/ctorexit.so");
	char *crash_so = fixture("ctor-crash/ctorcrash.so");
	const char *dirs[3];
	static const char *const enabled[] = { "fixture", "ctorexit",
					       "ctorcrash" };
	char *crashed = sk_asprintf("it crashed while loading: %s (signal %d)",
				    strsignal(SIGSEGV), SIGSEGV);

	CU_ASSERT_PTR_NOT_NULL_FATAL(good);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cexit);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ccrash);
	CU_ASSERT_PTR_NOT_NULL_FATAL(exit_so);
	CU_ASSERT_PTR_NOT_NULL_FATAL(crash_so);
	CU_ASSERT_PTR_NOT_NULL_FATAL(crashed);
	dirs[0] = cexit;
	dirs[1] = ccrash;
	dirs[2] = good;
	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_registry_init(&r, &d), 0);
	/* The enabled list sets the order: the good plugin first. */
	CU_ASSERT_EQUAL(sk_registry_load_dirs(&r, dirs, 3,
					      good_first ? enabled : NULL,
					      good_first ? 3 : 0, &d),
			-1);
	CU_ASSERT_EQUAL(r.n_plugins, 1);
	CU_ASSERT_PTR_NOT_NULL(sk_registry_find(&r, "fixture.write"));
	CU_ASSERT_PTR_NULL(sk_registry_find(&r, "ctorexit.run"));
	CU_ASSERT_PTR_NULL(sk_registry_find(&r, "ctorcrash.run"));
	CU_ASSERT(diag_has(&d, exit_so,
			   "it ended the process while loading (exit status 0)",
			   NULL));
	CU_ASSERT(diag_has(&d, crash_so, crashed, NULL));
	CU_ASSERT_PTR_NULL(dlopen(exit_so, RTLD_LAZY | RTLD_NOLOAD));
	CU_ASSERT_PTR_NULL(dlopen(crash_so, RTLD_LAZY | RTLD_NOLOAD));
	sk_registry_release(&r);
	sk_problems_release(&d);
	free(crashed);
	free(good);
	free(cexit);
	free(ccrash);
	free(exit_so);
	free(crash_so);
}

static void test_constructor_failures(void)
{
	constructor_failures(false);
}

static void test_constructor_failures_after_good(void)
{
	constructor_failures(true);
}

static void test_first_dir_wins(void)
{
	first_dir_wins(false);
}

static void test_first_dir_wins_enabled(void)
{
	first_dir_wins(true);
}

int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
		{ "good plugin loads", test_good_loads },
		{ "types follow their plugin", test_types_follow_plugins },
		{ "same file twice", test_same_file_twice },
		{ "wrong ABI major", test_wrong_abi_major },
		{ "newer ABI minor", test_newer_minor },
		{ "missing entry point", test_missing_entry },
		{ "bad build signature", test_bad_signature },
		{ "name mismatch", test_name_mismatch },
		{ "NULL execute", test_null_execute },
		{ "bad action type", test_bad_type },
		{ "NULL descriptor", test_null_descriptor },
		{ "descriptor too small", test_small_size },
		{ "missing file", test_missing_file },
		{ "type of another plugin", test_foreign_type },
		{ "type of another plugin in a directory",
		  test_foreign_type_dir },
		{ "plugin name with a dot", test_dotted_name },
		{ "unresolved symbol", test_unresolved_symbol },
		{ "trial load leaves nothing loaded",
		  test_trial_load_leaves_nothing },
		{ "relative path", test_relative_path },
		{ "safe copy loads", test_copy_loads },
		{ "world-writable directory", test_world_writable_dir },
		{ "group-writable directory", test_group_writable_dir },
		{ "world-writable file", test_world_writable_file },
		{ "group-writable file", test_group_writable_file },
		{ "foreign owner", test_foreign_owner },
		{ "symlinked file", test_symlink_file },
		{ "symlinked directory", test_symlink_dir },
		{ "all plugins of directories", test_dirs_all },
		{ "bad plugin in a directory", test_dirs_bad_plugin },
		{ "relative directory", test_dirs_relative },
		{ "enabled list", test_enabled_only },
		{ "enabled list across directories", test_enabled_across_dirs },
		{ "enabled plugin missing", test_enabled_missing },
		{ "enabled name with a path", test_enabled_bad_name },
		{ "constructors that crash or exit", test_constructor_failures },
		{ "constructors that crash or exit, after a good one",
		  test_constructor_failures_after_good },
		{ "first directory wins", test_first_dir_wins },
		{ "first directory wins, enabled",
		  test_first_dir_wins_enabled },
	};
	CU_pSuite suite;

	if (tu_init())
		return tu_abort();
	suite = CU_add_suite("loader", NULL, NULL);
	if (!suite)
		return tu_abort();
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (!CU_add_test(suite, tests[i].name, tests[i].fn))
			return tu_abort();
	return tu_run();
}
