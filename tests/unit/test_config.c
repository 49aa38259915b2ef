/* SPDX-License-Identifier: MIT */
/*
 * test_config.c - sup.conf and product profiles (docs/config.md).
 *
 * Each test builds its own --root under a temporary directory. Messages are
 * asserted exactly: they are what users see after "sup: error: ".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "base/config.h"
#include "base/problems.h"
#include "base/util.h"
#include "testutil.h"
#include "verify/signature.h" /* enum sk_validity */

static char *tmp; /* canonical */

static int suite_init(void)
{
	char *t = tu_mkdtemp();

	if (!t)
		return -1;
	tmp = realpath(t, NULL);
	free(t);
	return tmp ? 0 : -1;
}

static int suite_clean(void)
{
	int ret = tu_rm_rf(tmp);

	free(tmp);
	return ret;
}

/* --- helpers --------------------------------------------------------- */

/* A fresh, empty root directory tmp/name. */
static char *new_root(const char *name)
{
	char *r = tu_path(tmp, name);

	CU_ASSERT_EQUAL_FATAL(sk_mkdir_p(r, 0755), 0);
	return r;
}

/* Write text to dir/rel (parents created); returns the path. */
static char *put(const char *dir, const char *rel, const char *text)
{
	char *p = sk_asprintf("%s%s%s", dir, rel[0] == '/' ? "" : "/", rel);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL_FATAL(tu_write_str(p, text), 0);
	return p;
}

/* "FILE:LINE: what", malloc'd. */
static char *at(const char *file, int line, const char *what)
{
	char *s = sk_asprintf("%s:%d: %s", file, line, what);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

/* Every problem is of class SETUP. */
static void assert_all_setup(const struct sk_problems *d)
{
	for (size_t i = 0; i < d->count; i++)
		CU_ASSERT_EQUAL(d->items[i].cls, SK_PROBLEM_SETUP);
}

/*
 * Load a main config holding text under a fresh root; expect failure with
 * exactly one problem "CONF:line: what".
 */
static void expect_main_error(const char *name, const char *text, int line,
			      const char *what)
{
	char *r = new_root(name);
	char *conf = sk_asprintf("%s.conf", r);
	struct sk_config c;
	struct sk_problems d;
	char *want;

	CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
	CU_ASSERT_EQUAL_FATAL(tu_write_str(conf, text), 0);
	want = at(conf, line, what);
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, conf, r, NULL, &d), -1);
	TU_ASSERT_DIAG(&d, want);
	assert_all_setup(&d);
	sk_config_release(&c);
	sk_problems_release(&d);
	free(want);
	free(conf);
	free(r);
}

/*
 * A root whose sup.conf (tmp/name.conf, a host path) names product
 * "edge-gw" and profiles_dir /cfg; the profile holds text. Load it and
 * return the profile's host path in *profile.
 */
static int load_profile(const char *name, const char *text, struct sk_config *c,
			struct sk_problems *d, char **profile)
{
	char *r = new_root(name);
	char *conf = sk_asprintf("%s.conf", r);
	int ret;

	CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
	CU_ASSERT_EQUAL_FATAL(tu_write_str(conf,
		"[gateway]\nproduct = edge-gw\n[paths]\nprofiles_dir = /cfg\n"),
		0);
	*profile = put(r, "/cfg/edge-gw.conf", text);
	sk_problems_init(d);
	ret = tu_config_load(c, conf, r, NULL, d);
	free(conf);
	free(r);
	return ret;
}

/* Regression: configuration decides what runs as root (sup.conf can turn
 * allow_unsigned on, a profile names commands), so a sup.conf or profile
 * another user can change, or a link, is refused, as the keyring is. */
static void test_config_writable_by_others(void)
{
	static const mode_t bad[] = { 0664, 0646, 0666 };
	char *r = new_root("config-perms");
	char *conf = sk_asprintf("%s.conf", r), *want, *profile, *link;
	struct sk_config c;
	struct sk_problems d;

	CU_ASSERT_EQUAL_FATAL(tu_write_str(conf, "[trust]\nallow_unsigned = true\n"),
			      0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(chmod(conf, bad[i]), 0);
		want = sk_asprintf("configuration '%s' may be changed by other users (mode %04o, owner %lu): it must be owned by root (or the user running sup) and writable by its owner only",
				   conf, (unsigned)bad[i],
				   (unsigned long)geteuid());
		sk_problems_init(&d);
		CU_ASSERT_EQUAL(tu_config_load(&c, conf, r, NULL, &d), -1);
		CU_ASSERT_FALSE(c.trust.allow_unsigned);
		TU_ASSERT_DIAG(&d, want);
		assert_all_setup(&d);
		sk_config_release(&c);
		sk_problems_release(&d);
		free(want);
	}
	CU_ASSERT_EQUAL(chmod(conf, 0644), 0);
	/* A symbolic link as the file is not followed. */
	link = sk_asprintf("%s-link.conf", r);
	CU_ASSERT_EQUAL_FATAL(symlink(conf, link), 0);
	want = sk_asprintf("cannot read '%s': is a symbolic link", link);
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, link, r, NULL, &d), -1);
	TU_ASSERT_DIAG(&d, want);
	sk_config_release(&c);
	sk_problems_release(&d);
	free(want);
	/* The product profile too. */
	CU_ASSERT_EQUAL(load_profile("profile-perms",
				     "[product]\nname = edge-gw\n", &c, &d,
				     &profile), 0);
	sk_config_release(&c);
	sk_problems_release(&d);
	CU_ASSERT_EQUAL_FATAL(chmod(profile, 0666), 0);
	free(profile);
	CU_ASSERT_EQUAL(load_profile("profile-perms",
				     "[product]\nname = edge-gw\n", &c, &d,
				     &profile), -1);
	CU_ASSERT(d.count == 1 &&
		  strstr(d.items[0].msg, "may be changed by other users"));
	sk_config_release(&c);
	sk_problems_release(&d);
	free(profile);
	free(link);
	free(conf);
	free(r);
}

/* The configuration under r must be refused with exactly want, and
 * nothing of the root-only file it would have reached read (its section,
 * its key: what a parser's complaint would show). */
static void expect_refused(const char *r, const char *product, const char *want)
{
	struct sk_config c;
	struct sk_problems d;

	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, NULL, r, product, &d), -1);
	TU_ASSERT_DIAG(&d, want);
	for (size_t i = 0; i < d.count; i++)
		CU_ASSERT_PTR_NULL(strstr(d.items[i].msg, "secret"));
	sk_config_release(&c);
	sk_problems_release(&d);
}

/* The same, file (a host path) refused for the link planted at link_gw. */
static void expect_link_refused(const char *r, const char *product,
				const char *file, const char *link_gw)
{
	char *want = sk_asprintf(
		"cannot read '%s': '%s' is a symbolic link owned by uid 4242: only links owned by root are followed",
		file, link_gw);

	expect_refused(r, product, want);
	free(want);
}

/*
 * Regression (attack review): sup.conf and the profile under --root were
 * resolved to a path string and opened again by that name, so a tree of
 * another user could lead root's sup to parse a file that user may not
 * read, and show its key names in the complaints. Now they are walked
 * once from a descriptor of the root: a link that user owns is not
 * followed, and no directory of theirs leads into one of someone else's
 * (a directory they could have moved there). The old code read the
 * root-only file in each case below. Giving files away needs root.
 */
static void test_config_planted_links(void)
{
	static const char secret[] = "[secret]\nroot_hash = x\n";
	char *r = new_root("planted"), *etc, *sysconf, *conf, *want;
	struct sk_config c;
	struct sk_problems d;

	if (geteuid() != 0) {
		fprintf(stderr, "(skipped: giving a file away needs root) ");
		free(r);
		return;
	}
	/* Root's files another user may not read: /private (0700). */
	free(put(r, "/private/sup.conf", secret));
	free(put(r, "/private/products/edge-gw.conf", secret));
	free(put(r, "/private/ok.conf", "[paths]\nlogs_dir = /ok\n"));
	etc = tu_path(r, "private");
	CU_ASSERT_EQUAL_FATAL(chmod(etc, 0700), 0);
	free(etc);
	sysconf = sk_asprintf("%s%s", r, SUPKIT_SYSCONF_DIR);
	conf = tu_path(sysconf, "sup.conf");
	CU_ASSERT_EQUAL_FATAL(sk_mkdir_p(sysconf, 0755), 0);
	CU_ASSERT_EQUAL_FATAL(rmdir(sysconf), 0);

	/* The configuration directory, a link of another user's. */
	tu_plant("/private", sysconf);
	expect_link_refused(r, NULL, conf, SUPKIT_SYSCONF_DIR);
	CU_ASSERT_EQUAL_FATAL(unlink(sysconf), 0);

	/* sup.conf itself. */
	CU_ASSERT_EQUAL_FATAL(mkdir(sysconf, 0755), 0);
	tu_plant("/private/sup.conf", conf);
	expect_link_refused(r, NULL, conf, SUPKIT_SYSCONF_DIR "/sup.conf");
	/* A link of root's is followed, inside the root. */
	CU_ASSERT_EQUAL_FATAL(unlink(conf), 0);
	CU_ASSERT_EQUAL_FATAL(symlink("/private/ok.conf", conf), 0);
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, NULL, r, NULL, &d), 0);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_STRING_EQUAL(c.logs_dir, "/ok");
	want = sk_asprintf("%s/private/ok.conf", r);
	CU_ASSERT_STRING_EQUAL(c.path, want);
	free(want);
	sk_config_release(&c);
	sk_problems_release(&d);
	CU_ASSERT_EQUAL_FATAL(unlink(conf), 0);

	/* A directory of root's in one of another user's: they could have
	 * moved it there (an unsafe path transition). */
	free(put(r, SUPKIT_SYSCONF_DIR "/sup.conf", secret));
	etc = sk_asprintf("%s", sysconf);
	*strrchr(etc, '/') = '\0';
	tu_give_away(etc);
	want = sk_asprintf(
		"cannot read '%s': unsafe path transition from '%s' (owned by uid 4242) to '%s' (owned by uid 0)",
		conf, etc + strlen(r), SUPKIT_SYSCONF_DIR);
	expect_refused(r, NULL, want);
	free(want);
	CU_ASSERT_EQUAL_FATAL(lchown(etc, 0, 0), 0);
	free(etc);

	/* The profile, through profiles_dir. */
	free(put(r, SUPKIT_SYSCONF_DIR "/sup.conf",
		 "[gateway]\nproduct = edge-gw\n"
		 "[paths]\nprofiles_dir = /cfg/products\n"));
	etc = tu_path(r, "cfg");
	tu_plant("/private", etc);
	free(etc);
	etc = tu_path(r, "cfg/products/edge-gw.conf");
	expect_link_refused(r, NULL, etc, "/cfg");
	free(etc);
	/* Also when the profile is optional (no sup.conf, --product). */
	CU_ASSERT_EQUAL_FATAL(unlink(conf), 0);
	etc = tu_path(sysconf, "products");
	tu_plant("/private/products", etc);
	free(etc);
	etc = tu_path(sysconf, "products/edge-gw.conf");
	expect_link_refused(r, "edge-gw", etc, SUPKIT_SYSCONF_DIR "/products");
	free(etc);
	free(conf);
	free(sysconf);
	free(r);
}

/*
 * sk_config_open(): the files the loader read, opened again by the same
 * rules (sup diag bundles them): under the root walked from its
 * descriptor, so that a link another user planted since is refused, not
 * followed to what c->path names; a given host path as it was given.
 */
static void test_config_open(void)
{
	char *r = new_root("reopen"), *sysconf, *conf, *given, *want;
	int rootfd = open(r, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct sk_config c;
	struct sk_problems d;
	char buf[64];
	ssize_t n;
	int fd;

	CU_ASSERT_FATAL(rootfd >= 0);
	sysconf = sk_asprintf("%s%s", r, SUPKIT_SYSCONF_DIR);
	conf = put(sysconf, "sup.conf",
		   "[gateway]\nproduct = edge-gw\n"
		   "[paths]\nprofiles_dir = /cfg\n");
	free(put(r, "/cfg/edge-gw.conf", "[product]\nname = edge-gw\n"));
	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_config_load(&c, NULL, r, rootfd, NULL, &d), 0);
	CU_ASSERT_STRING_EQUAL(c.path_gw, SUPKIT_SYSCONF_DIR "/sup.conf");
	CU_ASSERT_STRING_EQUAL(c.profile_gw, "/cfg/edge-gw.conf");
	fd = sk_config_open(&c, false, r, rootfd, &d);
	CU_ASSERT_FATAL(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	CU_ASSERT_FATAL(n > 0);
	buf[n] = '\0';
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "product = edge-gw"));
	fd = sk_config_open(&c, true, r, rootfd, &d);
	CU_ASSERT(fd >= 0);
	if (fd >= 0)
		close(fd);
	TU_ASSERT_DIAG_EMPTY(&d);

	if (geteuid() == 0) {
		char *cfg = tu_path(r, "cfg"), *moved = tu_path(r, "private");

		/* The profile's directory swapped for a link of another
		 * user's since the load: refused. */
		CU_ASSERT_EQUAL_FATAL(rename(cfg, moved), 0);
		CU_ASSERT_EQUAL_FATAL(chmod(moved, 0700), 0);
		tu_plant("/private", cfg);
		CU_ASSERT_EQUAL(sk_config_open(&c, true, r, rootfd, &d),
				-EPERM);
		want = sk_asprintf(
			"cannot read '%s/cfg/edge-gw.conf': '/cfg' is a symbolic link owned by uid 4242: only links owned by root are followed",
			r);
		TU_ASSERT_DIAG(&d, want);
		free(want);
		free(moved);
		free(cfg);
	}
	sk_config_release(&c);
	sk_problems_release(&d);

	/* A given host path: opened as given; no profile read, none opened. */
	given = put(r, "/given.conf", "[paths]\nlogs_dir = /given\n");
	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(sk_config_load(&c, given, r, rootfd, NULL, &d),
			      0);
	CU_ASSERT_PTR_NULL(c.path_gw);
	fd = sk_config_open(&c, false, r, rootfd, &d);
	CU_ASSERT(fd >= 0);
	if (fd >= 0)
		close(fd);
	CU_ASSERT_EQUAL(sk_config_open(&c, true, r, rootfd, &d), -ENOENT);
	TU_ASSERT_DIAG_EMPTY(&d);
	sk_config_release(&c);
	sk_problems_release(&d);
	close(rootfd);
	free(given);
	free(conf);
	free(sysconf);
	free(r);
}

/* A profile holding text is refused with exactly "PROFILE:line: what". */
static void expect_profile_error(const char *name, const char *text,
				 int line, const char *what)
{
	struct sk_config c;
	struct sk_problems d;
	char *profile, *want;

	CU_ASSERT_EQUAL(load_profile(name, text, &c, &d, &profile), -1);
	want = at(profile, line, what);
	TU_ASSERT_DIAG(&d, want);
	assert_all_setup(&d);
	sk_config_release(&c);
	sk_problems_release(&d);
	free(want);
	free(profile);
}

static void assert_defaults(const struct sk_config *c)
{
	CU_ASSERT_STRING_EQUAL(c->logs_dir, "/var/log/supkit");
	CU_ASSERT_STRING_EQUAL(c->state_dir, "/var/lib/supkit");
	CU_ASSERT_STRING_EQUAL(c->profiles_dir, SUPKIT_SYSCONF_DIR "/products");
	CU_ASSERT_EQUAL(c->default_timeout_s, 3600);
	CU_ASSERT_PTR_NULL(c->plugin_dirs);
	CU_ASSERT_EQUAL(c->n_plugin_dirs, 0);
}

/* --- without configuration ------------------------------------------- */

static void test_defaults(void)
{
	char *r = new_root("defaults");
	struct sk_config c;
	struct sk_problems d;

	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, NULL, r, NULL, &d), 0);
	TU_ASSERT_DIAG_EMPTY(&d);
	assert_defaults(&c);
	CU_ASSERT_PTR_NULL(c.path);
	CU_ASSERT_PTR_NULL(c.profile_path);
	CU_ASSERT_PTR_NULL(c.product);
	CU_ASSERT_PTR_NULL(c.product_description);
	CU_ASSERT_PTR_NULL(c.enabled);
	CU_ASSERT_EQUAL(c.n_enabled, 0);
	CU_ASSERT_EQUAL(c.n_kv, 0);
	CU_ASSERT_PTR_NULL(sk_config_plugin_key(&c, "file", "mode"));
	sk_config_release(&c);
	/* Released twice is harmless: release zeroes the struct. */
	sk_config_release(&c);
	sk_problems_release(&d);
	free(r);
}

/* --product without any config file and without a profile. */
static void test_defaults_product(void)
{
	char *r = new_root("defaults-product");
	struct sk_config c;
	struct sk_problems d;

	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, NULL, r, "edge-gw", &d), 0);
	TU_ASSERT_DIAG_EMPTY(&d);
	assert_defaults(&c);
	CU_ASSERT_PTR_NULL(c.path);
	CU_ASSERT_PTR_NULL(c.profile_path);
	CU_ASSERT_STRING_EQUAL(c.product, "edge-gw");
	CU_ASSERT_PTR_NULL(c.enabled);
	sk_config_release(&c);
	sk_problems_release(&d);
	free(r);
}

/* --product without a config file: the default profile is read if there. */
static void test_defaults_product_profile(void)
{
	char *r = new_root("defaults-profile");
	char *profile = put(r, SUPKIT_SYSCONF_DIR "/products/edge-gw.conf",
			    "[product]\nname = edge-gw\nplugins = file\n"
			    "[plugin.file]\nmode = strict\n");
	struct sk_config c;
	struct sk_problems d;

	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, NULL, r, "edge-gw", &d), 0);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_PTR_NULL(c.path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c.profile_path);
	CU_ASSERT_STRING_EQUAL(c.profile_path, profile);
	CU_ASSERT_EQUAL_FATAL(c.n_enabled, 1);
	CU_ASSERT_STRING_EQUAL(c.enabled[0], "file");
	CU_ASSERT_STRING_EQUAL(sk_config_plugin_key(&c, "file", "mode"),
			       "strict");
	sk_config_release(&c);
	sk_problems_release(&d);
	free(profile);
	free(r);
}

/* An invalid --product is refused before anything is read. */
static void test_bad_product_option(void)
{
	static const char *const bad[] = { "a/b", "", "has space", "..x/",
					   "p\n" };
	char *r = new_root("bad-product-option");

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sk_config c;
		struct sk_problems d;
		char *want = sk_asprintf("product '%s' is not a valid product name",
					 bad[i]);

		sk_problems_init(&d);
		CU_ASSERT_EQUAL(tu_config_load(&c, NULL, r, bad[i], &d), -1);
		TU_ASSERT_DIAG(&d, want);
		sk_config_release(&c);
		sk_problems_release(&d);
		free(want);
	}
	free(r);
}

/* --- a full configuration -------------------------------------------- */

static const char full_conf[] =
	"; supkit test configuration\n"
	"[gateway]\n"
	"product = edge-gw\n"
	"\n"
	"[paths]\n"
	"logs_dir = /data/logs\n"
	"state_dir = /data/state\n"
	"profiles_dir = /cfg/products\n"
	"plugin_dirs = /opt/a/plugins, /opt/b ,/opt/c\n"
	"\n"
	"# timeouts\n"
	"[install]\n"
	"default_timeout_s = 120\n";

static const char full_profile[] =
	"[product]\n"
	"name = edge-gw\n"
	"description = Edge gateway, model 7\n"
	"plugins = file, exec,fixture\n"
	"\n"
	"[plugin.fixture]\n"
	"greeting = hello there\n"
	"answer = 42\n"
	"[plugin.file]\n"
	"mode = strict\n"
	"answer = 7\n";

static void test_full(void)
{
	char *r = new_root("full");
	char *conf = put(tmp, "full.conf", full_conf);
	char *profile = put(r, "/cfg/products/edge-gw.conf", full_profile);
	struct sk_config c;
	struct sk_problems d;

	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, conf, r, NULL, &d), 0);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_STRING_EQUAL(c.path, conf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c.profile_path);
	CU_ASSERT_STRING_EQUAL(c.profile_path, profile);
	CU_ASSERT_STRING_EQUAL(c.product, "edge-gw");
	CU_ASSERT_STRING_EQUAL(c.product_description, "Edge gateway, model 7");
	/* Gateway paths stay gateway paths: the caller maps them. */
	CU_ASSERT_STRING_EQUAL(c.logs_dir, "/data/logs");
	CU_ASSERT_STRING_EQUAL(c.state_dir, "/data/state");
	CU_ASSERT_STRING_EQUAL(c.profiles_dir, "/cfg/products");
	CU_ASSERT_EQUAL_FATAL(c.n_plugin_dirs, 3);
	CU_ASSERT_STRING_EQUAL(c.plugin_dirs[0], "/opt/a/plugins");
	CU_ASSERT_STRING_EQUAL(c.plugin_dirs[1], "/opt/b");
	CU_ASSERT_STRING_EQUAL(c.plugin_dirs[2], "/opt/c");
	CU_ASSERT_EQUAL(c.default_timeout_s, 120);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c.enabled);
	CU_ASSERT_EQUAL_FATAL(c.n_enabled, 3);
	CU_ASSERT_STRING_EQUAL(c.enabled[0], "file");
	CU_ASSERT_STRING_EQUAL(c.enabled[1], "exec");
	CU_ASSERT_STRING_EQUAL(c.enabled[2], "fixture");
	CU_ASSERT_EQUAL(c.n_kv, 4);
	CU_ASSERT_STRING_EQUAL(sk_config_plugin_key(&c, "fixture", "greeting"),
			       "hello there");
	CU_ASSERT_STRING_EQUAL(sk_config_plugin_key(&c, "fixture", "answer"),
			       "42");
	CU_ASSERT_STRING_EQUAL(sk_config_plugin_key(&c, "file", "mode"),
			       "strict");
	CU_ASSERT_STRING_EQUAL(sk_config_plugin_key(&c, "file", "answer"), "7");
	/* A plugin sees only its own section. */
	CU_ASSERT_PTR_NULL(sk_config_plugin_key(&c, "file", "greeting"));
	CU_ASSERT_PTR_NULL(sk_config_plugin_key(&c, "exec", "mode"));
	CU_ASSERT_PTR_NULL(sk_config_plugin_key(&c, "fixture", "missing"));
	sk_config_release(&c);
	sk_problems_release(&d);
	free(profile);
	free(conf);
	free(r);
}

/* profiles_dir is a gateway path: links in it resolve inside the root. */
static void test_profiles_dir_link(void)
{
	char *r = new_root("profiles-link");
	char *conf = put(tmp, "profiles-link.conf",
			 "[gateway]\nproduct = edge-gw\n"
			 "[paths]\nprofiles_dir = /cfg/products\n");
	char *profile = put(r, "/real/products/edge-gw.conf",
			    "[product]\nname = edge-gw\n");
	char *link = tu_path(r, "cfg");
	struct sk_config c;
	struct sk_problems d;

	CU_ASSERT_EQUAL_FATAL(symlink("/real", link), 0);
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, conf, r, NULL, &d), 0);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c.profile_path);
	CU_ASSERT_STRING_EQUAL(c.profile_path, profile);
	/* Without "plugins" every plugin found is enabled. */
	CU_ASSERT_PTR_NULL(c.enabled);
	sk_config_release(&c);
	sk_problems_release(&d);
	free(link);
	free(profile);
	free(conf);
	free(r);
}

static void test_product_override(void)
{
	char *r = new_root("override");
	char *conf = put(tmp, "override.conf", full_conf);
	char *p1 = put(r, "/cfg/products/edge-gw.conf", full_profile);
	char *p2 = put(r, "/cfg/products/other.conf",
		       "[product]\nname = other\nplugins = exec\n");
	struct sk_config c;
	struct sk_problems d;

	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, conf, r, "other", &d), 0);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_STRING_EQUAL(c.product, "other");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c.profile_path);
	CU_ASSERT_STRING_EQUAL(c.profile_path, p2);
	CU_ASSERT_EQUAL_FATAL(c.n_enabled, 1);
	CU_ASSERT_STRING_EQUAL(c.enabled[0], "exec");
	CU_ASSERT_EQUAL(c.n_kv, 0);
	/* The rest of sup.conf still applies. */
	CU_ASSERT_STRING_EQUAL(c.logs_dir, "/data/logs");
	CU_ASSERT_EQUAL(c.default_timeout_s, 120);
	sk_config_release(&c);
	sk_problems_release(&d);
	free(p1);
	free(p2);
	free(conf);
	free(r);
}

/* The overridden [gateway] product is still checked for syntax. */
static void test_product_override_checked(void)
{
	char *r = new_root("override-checked");
	char *conf = put(tmp, "override-checked.conf",
			 "[gateway]\nproduct = bad/name\n");
	char *p = put(r, SUPKIT_SYSCONF_DIR "/products/other.conf",
		      "[product]\nname = other\n");
	char *want = at(conf, 2,
			"product 'bad/name' is not a valid product name");
	struct sk_config c;
	struct sk_problems d;

	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, conf, r, "other", &d), -1);
	TU_ASSERT_DIAG(&d, want);
	sk_config_release(&c);
	sk_problems_release(&d);
	free(want);
	free(p);
	free(conf);
	free(r);
}

/* sup.conf found under the root when no --config is given. */
static void test_default_config_under_root(void)
{
	char *r = new_root("default-conf");
	char *conf = put(r, SUPKIT_SYSCONF_DIR "/sup.conf",
			 "[paths]\nlogs_dir = /from/default\n"
			 "[install]\ndefault_timeout_s = 86400\n");
	struct sk_config c;
	struct sk_problems d;

	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, NULL, r, NULL, &d), 0);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c.path);
	CU_ASSERT_STRING_EQUAL(c.path, conf);
	CU_ASSERT_STRING_EQUAL(c.logs_dir, "/from/default");
	CU_ASSERT_STRING_EQUAL(c.state_dir, "/var/lib/supkit");
	CU_ASSERT_EQUAL(c.default_timeout_s, 86400);
	CU_ASSERT_PTR_NULL(c.product);
	CU_ASSERT_PTR_NULL(c.profile_path);
	sk_config_release(&c);
	sk_problems_release(&d);
	free(conf);
	free(r);
}

/* A sup.conf found under the root makes the profile mandatory. */
static void test_default_config_needs_profile(void)
{
	char *r = new_root("default-conf-profile");
	char *conf = put(r, SUPKIT_SYSCONF_DIR "/sup.conf",
			 "[gateway]\nproduct = edge-gw\n");
	char *want = sk_asprintf("no profile for product 'edge-gw': cannot read '%s"
				 SUPKIT_SYSCONF_DIR
				 "/products/edge-gw.conf': No such file or directory",
				 r);
	struct sk_config c;
	struct sk_problems d;

	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, NULL, r, NULL, &d), -1);
	TU_ASSERT_DIAG(&d, want);
	assert_all_setup(&d);
	sk_config_release(&c);
	sk_problems_release(&d);
	free(want);
	free(conf);
	free(r);
}

/* --config names a host path that must exist. */
static void test_config_missing(void)
{
	char *r = new_root("config-missing");
	char *conf = tu_path(tmp, "does-not-exist.conf");
	char *want = sk_asprintf("cannot read '%s': No such file or directory",
				 conf);
	struct sk_config c;
	struct sk_problems d;

	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, conf, r, NULL, &d), -1);
	TU_ASSERT_DIAG(&d, want);
	sk_config_release(&c);
	sk_problems_release(&d);
	free(want);
	free(conf);
	free(r);
}

static void test_missing_profile(void)
{
	char *r = new_root("missing-profile");
	char *conf = put(tmp, "missing-profile.conf",
			 "[gateway]\nproduct = edge-gw\n"
			 "[paths]\nprofiles_dir = /cfg\n");
	char *want = sk_asprintf("no profile for product 'edge-gw': cannot read '%s/cfg/edge-gw.conf': No such file or directory",
				 r);
	struct sk_config c;
	struct sk_problems d;

	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, conf, r, NULL, &d), -1);
	TU_ASSERT_DIAG(&d, want);
	assert_all_setup(&d);
	sk_config_release(&c);
	sk_problems_release(&d);
	free(want);
	free(conf);
	free(r);
}

/* Same with the product from --product. */
static void test_missing_profile_override(void)
{
	char *r = new_root("missing-profile-override");
	char *conf = put(tmp, "missing-profile-override.conf",
			 "[paths]\nprofiles_dir = /cfg\n");
	char *want = sk_asprintf("no profile for product 'x1': cannot read '%s/cfg/x1.conf': No such file or directory",
				 r);
	struct sk_config c;
	struct sk_problems d;

	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, conf, r, "x1", &d), -1);
	TU_ASSERT_DIAG(&d, want);
	sk_config_release(&c);
	sk_problems_release(&d);
	free(want);
	free(conf);
	free(r);
}

/* A config without a product reads no profile at all. */
static void test_config_without_product(void)
{
	char *r = new_root("no-product");
	char *conf = put(tmp, "no-product.conf",
			 "[paths]\nstate_dir = /st\n");
	struct sk_config c;
	struct sk_problems d;

	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, conf, r, NULL, &d), 0);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_PTR_NULL(c.product);
	CU_ASSERT_PTR_NULL(c.profile_path);
	CU_ASSERT_PTR_NULL(c.enabled);
	CU_ASSERT_STRING_EQUAL(c.state_dir, "/st");
	sk_config_release(&c);
	sk_problems_release(&d);
	free(conf);
	free(r);
}

/* --- unknown keys and sections --------------------------------------- */

static void test_unknown_key(void)
{
	expect_main_error("unknown-key",
			  "[paths]\nlogs_dir = /x\nlog_dir = /y\n", 3,
			  "unknown key 'log_dir' in section [paths]");
	expect_main_error("unknown-section",
			  "; comment\n\n[gateway]\nproduct = a\n[extra]\nk = v\n",
			  6, "unknown key 'k' in section [extra]");
	/* A key from another section. */
	expect_main_error("wrong-section",
			  "[gateway]\nlogs_dir = /x\n", 2,
			  "unknown key 'logs_dir' in section [gateway]");
	/* Profile sections do not belong in sup.conf. */
	expect_main_error("plugin-in-main",
			  "[plugin.file]\nmode = strict\n", 2,
			  "unknown key 'mode' in section [plugin.file]");
	/* Keys before any section. */
	expect_main_error("no-section", "product = a\n", 1,
			  "unknown key 'product' in section []");
}

static void test_unknown_key_profile(void)
{
	expect_profile_error("profile-unknown-key",
			     "[product]\nname = edge-gw\ncolour = red\n", 3,
			     "unknown key 'colour' in section [product]");
	expect_profile_error("profile-unknown-section",
			     "[product]\nname = edge-gw\n\n[gateway]\nproduct = edge-gw\n",
			     5, "unknown key 'product' in section [gateway]");
	/* [plugin.NAME] needs a valid plugin name. */
	expect_profile_error("profile-bad-plugin-section",
			     "[product]\nname = edge-gw\n[plugin.Fixture]\nk = v\n",
			     4, "unknown key 'k' in section [plugin.Fixture]");
	expect_profile_error("profile-empty-plugin-section",
			     "[product]\nname = edge-gw\n[plugin.]\nk = v\n",
			     4, "unknown key 'k' in section [plugin.]");
}

static void test_syntax_error(void)
{
	expect_main_error("syntax-section", "[paths]\n[gateway\n", 2,
			  "syntax error or unusable line");
	expect_main_error("syntax-no-equals", "[paths]\n\njust text\n", 3,
			  "syntax error or unusable line");
}

/* A syntax error is reported along with the other problems of the file. */
static void test_syntax_error_with_others(void)
{
	char *r = new_root("syntax-and-more");
	char *conf = put(tmp, "syntax-and-more.conf",
			 "[paths]\nlogs_dir = rel\njust text\n");
	char *w1 = at(conf, 2, "logs_dir: not an absolute path");
	char *w2 = at(conf, 3, "syntax error or unusable line");
	struct sk_config c;
	struct sk_problems d;

	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, conf, r, NULL, &d), -1);
	TU_ASSERT_DIAG(&d, w1, w2);
	sk_config_release(&c);
	sk_problems_release(&d);
	free(w1);
	free(w2);
	free(conf);
	free(r);
}

/* --- bad values -------------------------------------------------------- */

static void test_bad_paths(void)
{
	expect_main_error("relative-logs", "[paths]\nlogs_dir = var/log\n", 2,
			  "logs_dir: not an absolute path");
	expect_main_error("dotdot-state",
			  "[paths]\nstate_dir = /var/../../lib\n", 2,
			  "state_dir: '..' components are not allowed");
	expect_main_error("relative-profiles",
			  "[paths]\nprofiles_dir = ./products\n", 2,
			  "profiles_dir: not an absolute path");
	expect_main_error("empty-logs", "[paths]\nlogs_dir =\n", 2,
			  "logs_dir: not an absolute path");
	expect_main_error("relative-plugin-dir",
			  "[paths]\nplugin_dirs = /opt/a, plugins\n", 2,
			  "plugin_dirs: 'plugins' is not an absolute path");
	expect_main_error("empty-plugin-dir",
			  "[paths]\nplugin_dirs = /opt/a,,/opt/b\n", 2,
			  "plugin_dirs: '/opt/a,,/opt/b' is not a comma-separated list of directories");
	expect_main_error("trailing-comma-plugin-dir",
			  "[paths]\nplugin_dirs = /opt/a,\n", 2,
			  "plugin_dirs: '/opt/a,' is not a comma-separated list of directories");
}

static void test_bad_timeout(void)
{
	static const char *const bad[] = { "0", "86401", "-1", "abc", "1.5",
					   "60s", "0x10", "",
					   "99999999999999999999999" };
	static const struct {
		const char *text;
		unsigned long want;
	} good[] = { { "1", 1 }, { "86400", 86400 }, { "0600", 600 } };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[32];
		char *text = sk_asprintf("[install]\ndefault_timeout_s = %s\n",
					 bad[i]);
		char *what = sk_asprintf("default_timeout_s: '%s' is not a number of seconds from 1 to 86400",
					 bad[i]);

		snprintf(name, sizeof(name), "bad-timeout-%zu", i);
		expect_main_error(name, text, 2, what);
		free(text);
		free(what);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char name[32];
		char *r, *conf, *text;
		struct sk_config c;
		struct sk_problems d;

		snprintf(name, sizeof(name), "good-timeout-%zu", i);
		r = new_root(name);
		text = sk_asprintf("[install]\ndefault_timeout_s = %s\n",
				   good[i].text);
		conf = put(r, "/sup.conf", text);
		sk_problems_init(&d);
		CU_ASSERT_EQUAL(tu_config_load(&c, conf, r, NULL, &d), 0);
		TU_ASSERT_DIAG_EMPTY(&d);
		CU_ASSERT_EQUAL(c.default_timeout_s, good[i].want);
		sk_config_release(&c);
		sk_problems_release(&d);
		free(text);
		free(conf);
		free(r);
	}
}

static void test_bad_product_name(void)
{
	expect_main_error("bad-product", "[gateway]\nproduct = edge gw\n", 2,
			  "product 'edge gw' is not a valid product name");
	expect_main_error("long-product",
			  "[gateway]\nproduct = "
			  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
			  2,
			  "product 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is not a valid product name");
}

static void test_bad_plugins_list(void)
{
	struct sk_config c;
	struct sk_problems d;
	char *profile, *w1, *w2;

	CU_ASSERT_EQUAL(load_profile("bad-plugin-names",
				     "[product]\nname = edge-gw\n"
				     "plugins = file, Exec, ../x, fixture\n",
				     &c, &d, &profile),
			-1);
	w1 = at(profile, 3, "plugins: 'Exec' is not a valid plugin name");
	w2 = at(profile, 3, "plugins: '../x' is not a valid plugin name");
	TU_ASSERT_DIAG(&d, w1, w2);
	sk_config_release(&c);
	sk_problems_release(&d);
	free(w1);
	free(w2);
	free(profile);

	expect_profile_error("empty-plugin-name",
			     "[product]\nname = edge-gw\nplugins = file,,exec\n",
			     3, "plugins: 'file,,exec' is not a comma-separated list of plugin names");
	expect_profile_error("trailing-comma-plugins",
			     "[product]\nname = edge-gw\nplugins = file,\n",
			     3, "plugins: 'file,' is not a comma-separated list of plugin names");
}

/* "plugins =" enables nothing, which is not "every plugin". */
static void test_empty_plugins(void)
{
	struct sk_config c;
	struct sk_problems d;
	char *profile;

	CU_ASSERT_EQUAL(load_profile("empty-plugins",
				     "[product]\nname = edge-gw\nplugins =\n",
				     &c, &d, &profile),
			0);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_PTR_NOT_NULL(c.enabled);
	CU_ASSERT_EQUAL(c.n_enabled, 0);
	sk_config_release(&c);
	sk_problems_release(&d);
	free(profile);
}

static void test_profile_other_product(void)
{
	expect_profile_error("other-product",
			     "[product]\nname = other-gw\n", 2,
			     "profile is for product 'other-gw', not 'edge-gw'");
}

static void test_profile_name_missing(void)
{
	struct sk_config c;
	struct sk_problems d;
	char *profile, *want;

	CU_ASSERT_EQUAL(load_profile("name-missing",
				     "[product]\ndescription = nameless\n",
				     &c, &d, &profile),
			-1);
	want = sk_asprintf("%s: [product] name is missing", profile);
	TU_ASSERT_DIAG(&d, want);
	assert_all_setup(&d);
	sk_config_release(&c);
	sk_problems_release(&d);
	free(want);
	free(profile);
}

static void test_plugin_key_twice(void)
{
	expect_profile_error("key-twice",
			     "[product]\nname = edge-gw\n[plugin.fixture]\n"
			     "a = 1\nb = 2\n[plugin.file]\na = 3\n"
			     "[plugin.fixture]\na = 4\n",
			     9, "key 'a' given twice in [plugin.fixture]");
	/* An indented line continues the key: given twice as well. */
	expect_profile_error("key-continued",
			     "[product]\nname = edge-gw\n[plugin.fixture]\n"
			     "a = 1\n  more\n",
			     5, "key 'a' given twice in [plugin.fixture]");
}

/* Every problem of a file is reported, each with its own line. */
static void test_several_problems(void)
{
	char *r = new_root("several");
	char *conf = put(tmp, "several.conf",
			 "[gateway]\n"
			 "product = no/good\n"
			 "[paths]\n"
			 "logs_dir = logs\n"
			 "colour = blue\n"
			 "plugin_dirs = /ok, rel\n"
			 "[install]\n"
			 "default_timeout_s = 0\n");
	char *w[5];
	struct sk_config c;
	struct sk_problems d;

	w[0] = at(conf, 2, "product 'no/good' is not a valid product name");
	w[1] = at(conf, 4, "logs_dir: not an absolute path");
	w[2] = at(conf, 5, "unknown key 'colour' in section [paths]");
	w[3] = at(conf, 6, "plugin_dirs: 'rel' is not an absolute path");
	w[4] = at(conf, 8,
		  "default_timeout_s: '0' is not a number of seconds from 1 to 86400");
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, conf, r, NULL, &d), -1);
	TU_ASSERT_DIAG(&d, w[0], w[1], w[2], w[3], w[4]);
	assert_all_setup(&d);
	sk_config_release(&c);
	sk_problems_release(&d);
	for (size_t i = 0; i < 5; i++)
		free(w[i]);
	free(conf);
	free(r);
}

/* Comments, inline comments and whitespace around values. */
static void test_syntax_details(void)
{
	char *r = new_root("details");
	char *conf = put(tmp, "details.conf",
			 "# comment\n"
			 "; comment\n"
			 "[paths]\n"
			 "logs_dir   =   /with/spaces   ; inline comment\n"
			 "state_dir: /colon\n");
	struct sk_config c;
	struct sk_problems d;

	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, conf, r, NULL, &d), 0);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_STRING_EQUAL(c.logs_dir, "/with/spaces");
	CU_ASSERT_STRING_EQUAL(c.state_dir, "/colon");
	sk_config_release(&c);
	sk_problems_release(&d);
	free(conf);
	free(r);
}

/*
 * Lines are limited to 199 characters (docs/config.md). A longer line must
 * be refused as a whole, at its own line number: its tail must never be
 * read as a line of its own, and later lines keep their numbers.
 */
static void test_long_comment(void)
{
	char *r = new_root("long-comment");
	char *text, *conf;
	struct sk_config c;
	struct sk_problems d;
	char pad[200];
	int ret;

	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	/* The tail after 199 characters looks like a setting. */
	text = sk_asprintf("[paths]\n# %s logs_dir = /tmp/evil\n", pad + 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	conf = put(tmp, "long-comment.conf", text);
	sk_problems_init(&d);
	ret = tu_config_load(&c, conf, r, NULL, &d);
	/* Never a setting out of a comment. */
	CU_ASSERT_STRING_EQUAL(c.logs_dir, "/var/log/supkit");
	if (ret == -1) {
		char *want = at(conf, 2, "");

		CU_ASSERT_FATAL(d.count >= 1);
		CU_ASSERT_NSTRING_EQUAL(d.items[0].msg, want, strlen(want));
		free(want);
	} else {
		TU_ASSERT_DIAG_EMPTY(&d);
	}
	sk_config_release(&c);
	sk_problems_release(&d);
	free(conf);
	free(text);
	free(r);
}

static void test_long_line_numbers(void)
{
	char *r = new_root("long-line");
	char *text, *conf, *want;
	struct sk_config c;
	struct sk_problems d;
	char pad[260];

	memset(pad, 'a', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	text = sk_asprintf("[paths]\nlogs_dir = /%s\nnope = 1\n", pad);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	conf = put(tmp, "long-line.conf", text);
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, conf, r, NULL, &d), -1);
	/* Neither the cut value nor a setting from the tail. */
	CU_ASSERT_STRING_EQUAL(c.logs_dir, "/var/log/supkit");
	/* The long line is reported at line 2 and the unknown key at 3. */
	CU_ASSERT_FATAL(d.count >= 1);
	want = at(conf, 2, "");
	CU_ASSERT_NSTRING_EQUAL(d.items[0].msg, want, strlen(want));
	free(want);
	want = at(conf, 3, "unknown key 'nope' in section [paths]");
	CU_ASSERT_STRING_EQUAL(d.items[d.count - 1].msg, want);
	free(want);
	sk_config_release(&c);
	sk_problems_release(&d);
	free(conf);
	free(text);
	free(r);
}

/* --- [trust] (issue 7) -------------------------------------------------- */

/* Load a main config holding text under a fresh root; expect success. */
static void load_main(const char *name, const char *text, struct sk_config *c)
{
	char *r = new_root(name);
	char *conf = sk_asprintf("%s.conf", r);
	struct sk_problems d;

	CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
	CU_ASSERT_EQUAL_FATAL(tu_write_str(conf, text), 0);
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(c, conf, r, NULL, &d), 0);
	TU_ASSERT_DIAG_EMPTY(&d);
	sk_problems_release(&d);
	free(conf);
	free(r);
}

static void assert_trust_defaults(const struct sk_trust_config *t)
{
	CU_ASSERT_STRING_EQUAL(t->keyring, SUPKIT_SYSCONF_DIR "/keyring.pem");
	CU_ASSERT_PTR_NULL(t->crl);
	CU_ASSERT_FALSE(t->allow_unsigned);
	CU_ASSERT_TRUE(t->allow_downgrade);
	CU_ASSERT_FALSE(t->require_code_signing);
	CU_ASSERT_EQUAL(t->validity, SK_VALIDITY_AUTO);
}

static void test_trust_defaults(void)
{
	char *r = new_root("trust-defaults");
	struct sk_config c;
	struct sk_problems d;

	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, NULL, r, NULL, &d), 0);
	assert_trust_defaults(&c.trust);
	sk_config_release(&c);
	sk_problems_release(&d);
	/* A config without [trust] keeps the defaults too. */
	load_main("trust-none", "[paths]\nlogs_dir = /x\n", &c);
	assert_trust_defaults(&c.trust);
	sk_config_release(&c);
	/* An empty [trust] section as well. */
	load_main("trust-empty", "[trust]\n", &c);
	assert_trust_defaults(&c.trust);
	sk_config_release(&c);
	free(r);
}

static void test_trust_keys(void)
{
	struct sk_config c;

	load_main("trust-all",
		  "[trust]\n"
		  "keyring = /etc/supkit/release-keys.pem\n"
		  "crl = /etc/supkit/revoked.pem\n"
		  "allow_unsigned = true\n"
		  "allow_downgrade = false\n"
		  "require_code_signing = true\n"
		  "validity = clock\n",
		  &c);
	CU_ASSERT_STRING_EQUAL(c.trust.keyring, "/etc/supkit/release-keys.pem");
	CU_ASSERT_STRING_EQUAL(c.trust.crl, "/etc/supkit/revoked.pem");
	CU_ASSERT_TRUE(c.trust.allow_unsigned);
	CU_ASSERT_FALSE(c.trust.allow_downgrade);
	CU_ASSERT_TRUE(c.trust.require_code_signing);
	CU_ASSERT_EQUAL(c.trust.validity, SK_VALIDITY_CLOCK);
	/* Nothing else changes. */
	assert_defaults(&c);
	sk_config_release(&c);

	/* Each key alone. */
	load_main("trust-keyring", "[trust]\nkeyring = /k.pem\n", &c);
	CU_ASSERT_STRING_EQUAL(c.trust.keyring, "/k.pem");
	CU_ASSERT_PTR_NULL(c.trust.crl);
	sk_config_release(&c);
	load_main("trust-crl", "[trust]\ncrl = /c.pem\n", &c);
	CU_ASSERT_STRING_EQUAL(c.trust.crl, "/c.pem");
	CU_ASSERT_STRING_EQUAL(c.trust.keyring,
			       SUPKIT_SYSCONF_DIR "/keyring.pem");
	sk_config_release(&c);
	load_main("trust-unsigned", "[trust]\nallow_unsigned = true\n", &c);
	CU_ASSERT_TRUE(c.trust.allow_unsigned);
	CU_ASSERT_TRUE(c.trust.allow_downgrade);
	sk_config_release(&c);
	load_main("trust-unsigned-false", "[trust]\nallow_unsigned = false\n",
		  &c);
	CU_ASSERT_FALSE(c.trust.allow_unsigned);
	sk_config_release(&c);
	load_main("trust-downgrade", "[trust]\nallow_downgrade = false\n", &c);
	CU_ASSERT_FALSE(c.trust.allow_downgrade);
	CU_ASSERT_FALSE(c.trust.allow_unsigned);
	sk_config_release(&c);
	load_main("trust-downgrade-true", "[trust]\nallow_downgrade = true\n",
		  &c);
	CU_ASSERT_TRUE(c.trust.allow_downgrade);
	sk_config_release(&c);
	load_main("trust-eku", "[trust]\nrequire_code_signing = true\n", &c);
	CU_ASSERT_TRUE(c.trust.require_code_signing);
	sk_config_release(&c);
	load_main("trust-auto", "[trust]\nvalidity = auto\n", &c);
	CU_ASSERT_EQUAL(c.trust.validity, SK_VALIDITY_AUTO);
	sk_config_release(&c);
	load_main("trust-off", "[trust]\nvalidity = off\n", &c);
	CU_ASSERT_EQUAL(c.trust.validity, SK_VALIDITY_OFF);
	sk_config_release(&c);
	/* Spaces around the value, and comments, as elsewhere. */
	load_main("trust-spaces",
		  "; release keys\n[trust]\n  allow_unsigned   =   true  \n"
		  "# and\nvalidity=off\n",
		  &c);
	CU_ASSERT_TRUE(c.trust.allow_unsigned);
	CU_ASSERT_EQUAL(c.trust.validity, SK_VALIDITY_OFF);
	sk_config_release(&c);
}

static void test_trust_bad_boolean(void)
{
	static const char *const keys[] = { "allow_unsigned", "allow_downgrade",
					    "require_code_signing" };
	static const char *const bad[] = { "yes", "True", "TRUE", "1", "0",
					   "on", "", "false!", "t" };

	for (size_t k = 0; k < 3; k++) {
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char name[64], *text, *what;

			snprintf(name, sizeof(name), "trust-bool-%zu-%zu", k, i);
			text = sk_asprintf("[paths]\nlogs_dir = /x\n[trust]\n%s = %s\n",
					   keys[k], bad[i]);
			what = sk_asprintf("%s: '%s' is not true or false",
					   keys[k], bad[i]);
			expect_main_error(name, text, 4, what);
			free(text);
			free(what);
		}
	}
}

static void test_trust_bad_validity(void)
{
	static const char *const bad[] = { "sometimes", "AUTO", "Clock", "",
					   "none", "0", "auto,clock" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[64], *text, *what;

		snprintf(name, sizeof(name), "trust-validity-%zu", i);
		text = sk_asprintf("[trust]\n\nvalidity = %s\n", bad[i]);
		what = sk_asprintf("validity: '%s' is not auto, clock or off",
				   bad[i]);
		expect_main_error(name, text, 3, what);
		free(text);
		free(what);
	}
}

static void test_trust_unknown_key(void)
{
	expect_main_error("trust-unknown", "[trust]\nkeyrings = /k.pem\n", 2,
			  "unknown key 'keyrings' in section [trust]");
	expect_main_error("trust-unknown-2",
			  "[trust]\nallow_unsigned = false\nverify = no\n", 3,
			  "unknown key 'verify' in section [trust]");
	/* A [trust] key in another section. */
	expect_main_error("trust-wrong-section",
			  "[paths]\nallow_unsigned = true\n", 2,
			  "unknown key 'allow_unsigned' in section [paths]");
}

static void test_trust_bad_paths(void)
{
	expect_main_error("trust-relative-keyring",
			  "[trust]\nkeyring = etc/keyring.pem\n", 2,
			  "keyring: not an absolute path");
	expect_main_error("trust-dot-keyring",
			  "[trust]\nkeyring = ./keyring.pem\n", 2,
			  "keyring: not an absolute path");
	expect_main_error("trust-empty-keyring", "[trust]\nkeyring =\n", 2,
			  "keyring: not an absolute path");
	expect_main_error("trust-dotdot-keyring",
			  "[trust]\nkeyring = /etc/../keyring.pem\n", 2,
			  "keyring: '..' components are not allowed");
	expect_main_error("trust-relative-crl", "[trust]\ncrl = crl.pem\n", 2,
			  "crl: not an absolute path");
	expect_main_error("trust-dotdot-crl",
			  "[trust]\ncrl = /etc/supkit/../../crl.pem\n", 2,
			  "crl: '..' components are not allowed");
}

/* Every [trust] problem of a file is reported, each at its line. */
static void test_trust_several_problems(void)
{
	char *r = new_root("trust-several");
	char *conf = sk_asprintf("%s.conf", r);
	struct sk_config c;
	struct sk_problems d;
	char *w1, *w2, *w3;

	CU_ASSERT_EQUAL_FATAL(tu_write_str(conf,
		"[trust]\n"
		"keyring = keyring.pem\n"
		"allow_unsigned = maybe\n"
		"validity = auto\n"
		"validity = later\n"),
		0);
	w1 = at(conf, 2, "keyring: not an absolute path");
	w2 = at(conf, 3, "allow_unsigned: 'maybe' is not true or false");
	w3 = at(conf, 5, "validity: 'later' is not auto, clock or off");
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(tu_config_load(&c, conf, r, NULL, &d), -1);
	TU_ASSERT_DIAG(&d, w1, w2, w3);
	assert_all_setup(&d);
	sk_config_release(&c);
	sk_problems_release(&d);
	free(w1);
	free(w2);
	free(w3);
	free(conf);
	free(r);
}

int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
		{"no config: defaults", test_defaults},
		{"no config, --product, no profile", test_defaults_product},
		{"no config, --product, default profile",
		 test_defaults_product_profile},
		{"invalid --product", test_bad_product_option},
		{"config and profile", test_full},
		{"profiles_dir through a link", test_profiles_dir_link},
		{"--product overrides [gateway] product",
		 test_product_override},
		{"overridden product still checked",
		 test_product_override_checked},
		{"default sup.conf under the root",
		 test_default_config_under_root},
		{"default sup.conf needs the profile",
		 test_default_config_needs_profile},
		{"--config file missing", test_config_missing},
		{"config writable by others", test_config_writable_by_others},
		{"links and directories another user planted",
		 test_config_planted_links},
		{"files opened again by the rules they were loaded by",
		 test_config_open},
		{"profile missing", test_missing_profile},
		{"profile missing, --product", test_missing_profile_override},
		{"config without a product", test_config_without_product},
		{"unknown keys and sections", test_unknown_key},
		{"unknown keys in a profile", test_unknown_key_profile},
		{"syntax errors", test_syntax_error},
		{"syntax error among other problems",
		 test_syntax_error_with_others},
		{"bad paths", test_bad_paths},
		{"bad timeouts", test_bad_timeout},
		{"bad product names", test_bad_product_name},
		{"bad plugins lists", test_bad_plugins_list},
		{"empty plugins list", test_empty_plugins},
		{"profile of another product", test_profile_other_product},
		{"profile without a name", test_profile_name_missing},
		{"plugin key given twice", test_plugin_key_twice},
		{"several problems", test_several_problems},
		{"comments and whitespace", test_syntax_details},
		{"long comment line", test_long_comment},
		{"line numbers after a long line", test_long_line_numbers},
		{"[trust] defaults", test_trust_defaults},
		{"[trust] keys", test_trust_keys},
		{"[trust] bad booleans", test_trust_bad_boolean},
		{"[trust] bad validity", test_trust_bad_validity},
		{"[trust] unknown keys", test_trust_unknown_key},
		{"[trust] bad paths", test_trust_bad_paths},
		{"[trust] several problems", test_trust_several_problems},
	};
	CU_pSuite suite;

	if (tu_init())
		return tu_abort();
	suite = CU_add_suite("config", suite_init, suite_clean);
	if (!suite)
		return tu_abort();
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (!CU_add_test(suite, tests[i].name, tests[i].fn))
			return tu_abort();
	return tu_run();
}
