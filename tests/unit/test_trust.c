/* SPDX-License-Identifier: MIT */
/*
 * test_trust.c - the trust policy (trust.c): opening it from sup.conf and
 * a --root, which signatures it accepts, anti-rollback, the time floor;
 * and sk_supfile_open() under a trust policy.
 *
 * Each test builds its own root under a temporary directory. Keyrings,
 * CRLs and signers are the test PKI of tests/pki/mkpki.sh
 * ($SUP_TEST_PKI). Messages are asserted exactly.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <archive.h>
#include <archive_entry.h>

#include "base/config.h"
#include "base/hash.h"
#include "base/problems.h"
#include "base/util.h"
#include "package/manifest.h"
#include "package/supfile.h"
#include "testutil.h"
#include "verify/keyring.h"
#include "verify/rollback.h"
#include "verify/signature.h"
#include "verify/trust.h"

#define BUILD_FLOOR ((time_t)SUPKIT_BUILD_EPOCH)

static char *pki, *tmp; /* tmp is canonical */
static unsigned int counter;

static int suite_init(void)
{
	const char *p = getenv("SUP_TEST_PKI");
	char *t;

	if (!p || !*p) {
		fprintf(stderr, "SUP_TEST_PKI is not set (run through ctest)\n");
		return -1;
	}
	pki = strdup(p);
	t = tu_mkdtemp();
	if (!pki || !t)
		return -1;
	tmp = realpath(t, NULL);
	free(t);
	return tmp ? 0 : -1;
}

static int suite_clean(void)
{
	int ret = tu_rm_rf(tmp);

	free(tmp);
	free(pki);
	return ret;
}

/* --- helpers ----------------------------------------------------------- */

static char *P(const char *name)
{
	return tu_path(pki, name);
}

/* ROOT + gateway path, malloc'd. */
static char *in_root(const char *root, const char *gw)
{
	char *s = sk_asprintf("%s%s", root, gw);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

/* Copy PKI file name to ROOT/gw (parents made, mode 0644). */
static void install_pki(const char *root, const char *name, const char *gw)
{
	char *src = P(name), *dst = in_root(root, gw), *text;
	size_t len;

	text = tu_read_file(src, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL_FATAL(tu_write_file(dst, text, len), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(dst, 0644), 0);
	free(text);
	free(dst);
	free(src);
}

/* ROOT/gw holding text. */
static void put(const char *root, const char *gw, const char *text)
{
	char *dst = in_root(root, gw);

	CU_ASSERT_EQUAL_FATAL(tu_write_str(dst, text), 0);
	free(dst);
}

/* A fresh root; with_keyring: keyring.pem at the default place. */
static char *new_root(bool with_keyring)
{
	char name[32], *r;

	snprintf(name, sizeof(name), "root%u", ++counter);
	r = tu_path(tmp, name);
	CU_ASSERT_EQUAL_FATAL(mkdir(r, 0755), 0);
	if (with_keyring)
		install_pki(r, "keyring.pem", SK_DEFAULT_KEYRING);
	return r;
}

/* The state directory of a default config, made. */
static char *state_dir(const char *root)
{
	char *s = in_root(root, SK_DEFAULT_STATE_DIR);

	CU_ASSERT_EQUAL_FATAL(sk_mkdir_p(s, 0755), 0);
	return s;
}

/* installed.json of the default state dir. */
static void put_installed(const char *root, const char *json)
{
	char *s = state_dir(root), *p = tu_path(s, SK_INSTALLED_NAME);

	CU_ASSERT_EQUAL_FATAL(tu_write_str(p, json), 0);
	free(p);
	free(s);
}

/* The config of root: its sup.conf when there is one, else defaults. */
static void config(const char *root, struct sk_config *c)
{
	struct sk_problems d;

	sk_problems_init(&d);
	CU_ASSERT_EQUAL_FATAL(tu_config_load(c, NULL, root, NULL, &d), 0);
	TU_ASSERT_DIAG_EMPTY(&d);
	sk_problems_release(&d);
}

/* Open the trust policy of root (override: a host keyring or NULL);
 * expects success. */
static void open_ok(struct sk_trust *t, const char *root,
		    const char *override)
{
	struct sk_config c;
	struct sk_problems d;
	int ret;

	config(root, &c);
	sk_problems_init(&d);
	ret = tu_trust_open(t, &c, root, override, &d);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_EQUAL_FATAL(ret, 0);
	sk_problems_release(&d);
	sk_config_release(&c);
}

/* sk_trust_open of root into t (its config c, problems d: release
 * them, and close t) must fail with exactly msg, of class cls. */
static void open_refused(struct sk_trust *t, struct sk_config *c,
			 struct sk_problems *d, const char *root,
			 const char *override, enum sk_problem_class cls,
			 const char *msg, unsigned int line)
{
	config(root, c);
	sk_problems_init(d);
	CU_assertImplementation(tu_trust_open(t, c, root, override, d) == -1,
				line, "sk_trust_open fails", __FILE__, "",
				CU_FALSE);
	tu_assert_diag(d, (const char *const[]){msg, NULL}, __FILE__, line);
	CU_assertImplementation(d->count == 1 && d->items[0].cls == cls, line,
				"problem class", __FILE__, "", CU_FALSE);
}

/* sk_trust_open must fail with exactly msg, of class cls. */
static void open_fails(const char *root, const char *override,
		       enum sk_problem_class cls, const char *msg,
		       unsigned int line)
{
	struct sk_config c;
	struct sk_trust t;
	struct sk_problems d;

	open_refused(&t, &c, &d, root, override, cls, msg, line);
	sk_trust_close(&t);
	CU_assertImplementation(t.keyring == NULL && t.state_dir == NULL,
				line, "closed", __FILE__, "", CU_FALSE);
	sk_problems_release(&d);
	sk_config_release(&c);
}
#define OPEN_FAILSF(root, override, cls, ...)                                \
	do {                                                                 \
		char *m_ = sk_asprintf(__VA_ARGS__);                         \
		CU_ASSERT_PTR_NOT_NULL_FATAL(m_);                            \
		open_fails((root), (override), (cls), m_, __LINE__);         \
		free(m_);                                                    \
	} while (0)

/* Run fn(arg) with stderr going to a file; what it wrote, malloc'd. */
static char *with_stderr(void (*fn)(void *), void *arg)
{
	char *path = tu_path(tmp, "stderr.txt"), *text;
	int saved, fd;

	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CU_ASSERT_FATAL(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	text = tu_read_file(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	unlink(path);
	free(path);
	return text;
}

/* --- opening ------------------------------------------------------------ */

static void test_open_default(void)
{
	char *root = new_root(true);
	char *kr = in_root(root, SK_DEFAULT_KEYRING);
	char *sd = in_root(root, SK_DEFAULT_STATE_DIR);
	struct sk_trust t;
	time_t before = time(NULL), after;

	open_ok(&t, root, NULL);
	after = time(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t.keyring);
	CU_ASSERT_STRING_EQUAL(sk_keyring_path(t.keyring), kr);
	CU_ASSERT_PTR_NULL(sk_keyring_crl_path(t.keyring));
	CU_ASSERT_EQUAL(sk_keyring_count(t.keyring), 1);
	CU_ASSERT_STRING_EQUAL(sk_keyring_anchor(t.keyring, 0)->subject,
			       "CN=supkit test root CA");
	CU_ASSERT_STRING_EQUAL(t.state_dir, sd);
	/* The defaults: mandatory signatures, downgrades possible with the
	 * flag, validity AUTO, no EKU required. */
	CU_ASSERT_FALSE(t.allow_unsigned);
	CU_ASSERT_TRUE(t.allow_downgrade);
	CU_ASSERT_EQUAL(t.params.validity, SK_VALIDITY_AUTO);
	CU_ASSERT_FALSE(t.params.require_code_signing);
	CU_ASSERT(t.params.clock >= before && t.params.clock <= after);
	/* No installed.json: the build date is the floor. */
	CU_ASSERT_EQUAL(t.params.floor, BUILD_FLOOR);
	CU_ASSERT_EQUAL(t.installed.n, 0);
	CU_ASSERT_EQUAL(t.installed.time_floor, 0);
	sk_trust_close(&t);
	CU_ASSERT_PTR_NULL(t.keyring);
	sk_trust_close(&t); /* twice is harmless */
	free(sd);
	free(kr);
	free(root);
}

/* --keyring FILE: a host path, the configured one is not looked at. */
static void test_open_override(void)
{
	char *root = new_root(false);
	char *kr = P("keyring-both.pem");
	struct sk_trust t;

	open_ok(&t, root, kr);
	CU_ASSERT_STRING_EQUAL(sk_keyring_path(t.keyring), kr);
	CU_ASSERT_EQUAL(sk_keyring_count(t.keyring), 2);
	sk_trust_close(&t);
	free(kr);
	free(root);
}

/* [trust] of sup.conf, each key. */
static void test_open_config(void)
{
	char *root = new_root(false);
	char *kr = in_root(root, "/etc/keys/ring.pem");
	char *crl = in_root(root, "/etc/keys/crl.pem");
	char *conf = sk_asprintf("%s/sup.conf", SUPKIT_SYSCONF_DIR);
	struct sk_trust t;

	install_pki(root, "keyring-int.pem", "/etc/keys/ring.pem");
	install_pki(root, "crl-full.pem", "/etc/keys/crl.pem");
	put(root, conf,
	    "[trust]\n"
	    "keyring = /etc/keys/ring.pem\n"
	    "crl = /etc/keys/crl.pem\n"
	    "allow_unsigned = true\n"
	    "allow_downgrade = false\n"
	    "require_code_signing = true\n"
	    "validity = clock\n");
	open_ok(&t, root, NULL);
	CU_ASSERT_STRING_EQUAL(sk_keyring_path(t.keyring), kr);
	CU_ASSERT_STRING_EQUAL(sk_keyring_crl_path(t.keyring), crl);
	CU_ASSERT_EQUAL(sk_keyring_crl_count(t.keyring), 2);
	CU_ASSERT_STRING_EQUAL(sk_keyring_anchor(t.keyring, 0)->subject,
			       "CN=supkit test intermediate CA");
	CU_ASSERT_TRUE(t.allow_unsigned);
	CU_ASSERT_FALSE(t.allow_downgrade);
	CU_ASSERT_TRUE(t.params.require_code_signing);
	CU_ASSERT_EQUAL(t.params.validity, SK_VALIDITY_CLOCK);
	sk_trust_close(&t);

	put(root, conf, "[trust]\nkeyring = /etc/keys/ring.pem\nvalidity = off\n");
	open_ok(&t, root, NULL);
	CU_ASSERT_EQUAL(t.params.validity, SK_VALIDITY_OFF);
	CU_ASSERT_PTR_NULL(sk_keyring_crl_path(t.keyring));
	sk_trust_close(&t);

	/* With an override, the configured CRL still applies. */
	put(root, conf, "[trust]\ncrl = /etc/keys/crl.pem\n");
	{
		char *over = P("keyring.pem");

		open_ok(&t, root, over);
		CU_ASSERT_STRING_EQUAL(sk_keyring_path(t.keyring), over);
		CU_ASSERT_STRING_EQUAL(sk_keyring_crl_path(t.keyring), crl);
		sk_trust_close(&t);
		free(over);
	}
	free(conf);
	free(crl);
	free(kr);
	free(root);
}

/* Links under the root are resolved as the gateway would see them, but
 * the keyring itself must not be one (keyring.c opens it O_NOFOLLOW). */
static void test_open_keyring_link(void)
{
	char *root = new_root(false);
	char *link = in_root(root, SK_DEFAULT_KEYRING);
	char *parent = in_root(root, SUPKIT_SYSCONF_DIR);
	char *real = in_root(root, "/data/keys/keyring.pem");
	struct sk_trust t;

	install_pki(root, "keyring.pem", "/data/keys/keyring.pem");
	CU_ASSERT_EQUAL_FATAL(sk_mkdir_p(parent, 0755), 0);
	/* An absolute link, to be resolved inside the root. */
	CU_ASSERT_EQUAL_FATAL(symlink("/data/keys/keyring.pem", link), 0);
	OPEN_FAILSF(root, NULL, SK_PROBLEM_SETUP,
		    "keyring '%s': is a symbolic link", link);
	/* The configuration directory as a link: followed. */
	CU_ASSERT_EQUAL_FATAL(unlink(link), 0);
	CU_ASSERT_EQUAL_FATAL(rmdir(parent), 0);
	CU_ASSERT_EQUAL_FATAL(symlink("/data/keys", parent), 0);
	open_ok(&t, root, NULL);
	CU_ASSERT_STRING_EQUAL(sk_keyring_path(t.keyring), real);
	sk_trust_close(&t);
	free(real);
	free(parent);
	free(link);
	free(root);
}

/*
 * Regression (attack review): the keyring and the CRL file under --root
 * were resolved to a path string and opened again by that name, through
 * links another user owns. Now they are walked once from a descriptor of
 * the root, and such a link is not followed: a keyring of root's that
 * user may not read is not loaded (the old code loaded it). Giving files
 * away needs root.
 */
static void test_open_planted_links(void)
{
	static const struct {
		const char *what, *key, *link, *path;
	} cases[] = {
		{"keyring", "keyring", "/ring", "/ring/keyring.pem"},
		{"CRL file", "crl", "/crl", "/crl/crl.pem"},
	};
	char *root = new_root(true);
	char *keys = in_root(root, "/keys");
	char *conf = sk_asprintf("%s/sup.conf", SUPKIT_SYSCONF_DIR);

	if (geteuid() != 0) {
		fprintf(stderr, "(skipped: giving a file away needs root) ");
		goto out;
	}
	install_pki(root, "keyring.pem", "/keys/keyring.pem");
	install_pki(root, "crl-full.pem", "/keys/crl.pem");
	CU_ASSERT_EQUAL_FATAL(chmod(keys, 0700), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *link = in_root(root, cases[i].link);
		char *text = sk_asprintf("[trust]\n%s = %s\n", cases[i].key,
					 cases[i].path);

		tu_plant("/keys", link);
		put(root, conf, text);
		OPEN_FAILSF(
			root, NULL, SK_PROBLEM_SETUP,
			"%s '%s%s': '%s' is a symbolic link owned by uid 4242: only links owned by root are followed",
			cases[i].what, root, cases[i].path, cases[i].link);
		free(text);
		free(link);
	}
out:
	free(conf);
	free(keys);
	free(root);
}

static void test_open_missing_keyring(void)
{
	char *root = new_root(false);
	char *kr = in_root(root, SK_DEFAULT_KEYRING);
	char *over = tu_path(tmp, "no-such-keyring.pem");
	char *conf = sk_asprintf("%s/sup.conf", SUPKIT_SYSCONF_DIR);

	OPEN_FAILSF(root, NULL, SK_PROBLEM_SETUP,
		    "keyring '%s': No such file or directory", kr);
	OPEN_FAILSF(root, over, SK_PROBLEM_SETUP,
		    "keyring '%s': No such file or directory", over);
	/* An empty keyring is no keyring. */
	put(root, SK_DEFAULT_KEYRING, "");
	OPEN_FAILSF(root, NULL, SK_PROBLEM_SETUP,
		    "keyring '%s' holds no PEM CERTIFICATE", kr);
	/* A configured CRL that is missing. */
	install_pki(root, "keyring.pem", SK_DEFAULT_KEYRING);
	put(root, conf, "[trust]\ncrl = /etc/crl.pem\n");
	{
		char *crl = in_root(root, "/etc/crl.pem");

		OPEN_FAILSF(root, NULL, SK_PROBLEM_SETUP,
			    "CRL file '%s': No such file or directory", crl);
		free(crl);
	}
	free(conf);
	free(over);
	free(kr);
	free(root);
}

static void test_open_damaged_installed(void)
{
	char *root = new_root(true);
	char *sd = in_root(root, SK_DEFAULT_STATE_DIR);

	put_installed(root, "{\"format\": 2, \"time_floor\": 0, \"packages\": {}}");
	OPEN_FAILSF(
		root, NULL, SK_PROBLEM_SETUP,
		"cannot read '%s/installed.json': installed.json: unknown format (this installer reads format 1): anti-rollback and the time floor need it (restore it, or remove it to start over)",
		sd);
	put_installed(root, "{\"format\": 1, \"time_floor\": 0, \"packa");
	OPEN_FAILSF(
		root, NULL, SK_PROBLEM_SETUP,
		"cannot read '%s/installed.json': installed.json is not valid JSON (or is truncated): anti-rollback and the time floor need it (restore it, or remove it to start over)",
		sd);
	put_installed(root, "");
	OPEN_FAILSF(
		root, NULL, SK_PROBLEM_SETUP,
		"cannot read '%s/installed.json': installed.json is not valid JSON (or is truncated): anti-rollback and the time floor need it (restore it, or remove it to start over)",
		sd);
	free(sd);
	free(root);
}

/* The floor: the later of the build date and installed.json's. */
static void test_open_floor(void)
{
	char *root = new_root(true);
	char json[256];
	struct sk_trust t;

	snprintf(json, sizeof(json),
		 "{\"format\": 1, \"time_floor\": %lld, \"packages\": {}}",
		 (long long)BUILD_FLOOR + 1000);
	put_installed(root, json);
	open_ok(&t, root, NULL);
	CU_ASSERT_EQUAL(t.params.floor, BUILD_FLOOR + 1000);
	CU_ASSERT_EQUAL(t.installed.time_floor, BUILD_FLOOR + 1000);
	sk_trust_close(&t);
	snprintf(json, sizeof(json),
		 "{\"format\": 1, \"time_floor\": %lld, \"packages\": {}}",
		 (long long)BUILD_FLOOR - 1000);
	put_installed(root, json);
	open_ok(&t, root, NULL);
	CU_ASSERT_EQUAL(t.params.floor, BUILD_FLOOR);
	CU_ASSERT_EQUAL(t.installed.time_floor, BUILD_FLOOR - 1000);
	sk_trust_close(&t);
	free(root);
}

/* --- sk_trust_accepts ----------------------------------------------------- */

struct accepts_call {
	const struct sk_trust *t;
	const struct sk_sig_result *r;
	bool quiet;
	struct sk_problems *d;
	bool ret;
};

static void call_accepts(void *arg)
{
	struct accepts_call *c = arg;

	c->ret = sk_trust_accepts(c->t, c->r, "/x/p.sup", c->quiet, c->d);
}

static void test_accepts(void)
{
	static const struct {
		enum sk_sig_status st;
		const char *reason;
	} refused[] = {
		{ SK_SIG_MALFORMED, "signature is not a DER CMS structure" },
		{ SK_SIG_MISMATCH, "signature does not match the manifest" },
		{ SK_SIG_WEAK, "signer key not accepted: x" },
		{ SK_SIG_UNTRUSTED, "signer not trusted: 'CN=x'" },
		{ SK_SIG_EXPIRED, "certificate expired: x" },
		{ SK_SIG_NOT_YET_VALID, "certificate not yet valid: x" },
		{ SK_SIG_REVOKED, "certificate revoked: x" },
		{ SK_SIG_NOT_CHECKED, NULL },
		{ SK_SIG_MISMATCH, NULL },
	};
	char *root = new_root(true);
	char *kr = in_root(root, SK_DEFAULT_KEYRING);
	struct sk_sig_result r;
	struct sk_trust t;
	struct sk_problems d;
	struct accepts_call c = { .t = &t, .r = &r, .d = &d };
	char *err, *want;

	open_ok(&t, root, NULL);
	memset(&r, 0, sizeof(r));

	/* Verified: accepted, silently. */
	r.status = SK_SIG_OK;
	for (int u = 0; u < 2; u++) {
		t.allow_unsigned = u;
		sk_problems_init(&d);
		err = with_stderr(call_accepts, &c);
		CU_ASSERT_TRUE(c.ret);
		TU_ASSERT_DIAG_EMPTY(&d);
		CU_ASSERT_STRING_EQUAL(err, "");
		free(err);
		sk_problems_release(&d);
	}

	/* Unsigned, by default: refused. */
	t.allow_unsigned = false;
	r.status = SK_SIG_UNSIGNED;
	r.reason = "the package is unsigned";
	want = sk_asprintf("'/x/p.sup': unsigned: packages must be signed by a key of the keyring '%s' ([trust] allow_unsigned is false)",
			   kr);
	sk_problems_init(&d);
	err = with_stderr(call_accepts, &c);
	CU_ASSERT_FALSE(c.ret);
	TU_ASSERT_DIAG(&d, want);
	CU_ASSERT_EQUAL(d.items[0].cls, SK_PROBLEM_PACKAGE);
	CU_ASSERT_EQUAL(sk_problems_exit_code(&d), 3);
	CU_ASSERT_STRING_EQUAL(err, "");
	free(err);
	free(want);
	sk_problems_release(&d);

	/* Unsigned, allow_unsigned: accepted with a warning (unless
	 * quiet). */
	t.allow_unsigned = true;
	sk_problems_init(&d);
	err = with_stderr(call_accepts, &c);
	CU_ASSERT_TRUE(c.ret);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_STRING_EQUAL(err, "sup: warning: '/x/p.sup' is unsigned; accepted because [trust] allow_unsigned is true\n");
	free(err);
	c.quiet = true;
	err = with_stderr(call_accepts, &c);
	CU_ASSERT_TRUE(c.ret);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_STRING_EQUAL(err, "");
	free(err);
	c.quiet = false;
	sk_problems_release(&d);

	/* A signature that is there and fails: refused, allow_unsigned or
	 * not. */
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		for (int u = 0; u < 2; u++) {
			t.allow_unsigned = u;
			r.status = refused[i].st;
			r.reason = (char *)refused[i].reason;
			want = sk_asprintf("'/x/p.sup': %s",
					   refused[i].reason ?
						   refused[i].reason :
						   sk_sig_status_name(refused[i].st));
			sk_problems_init(&d);
			err = with_stderr(call_accepts, &c);
			CU_ASSERT_FALSE(c.ret);
			TU_ASSERT_DIAG(&d, want);
			CU_ASSERT_EQUAL(d.items[0].cls, SK_PROBLEM_PACKAGE);
			CU_ASSERT_STRING_EQUAL(err, "");
			free(err);
			free(want);
			sk_problems_release(&d);
		}
	}
	r.reason = NULL;
	sk_trust_close(&t);
	free(kr);
	free(root);
}

/* --- anti-rollback ------------------------------------------------------ */

static const char installed_edge[] =
	"{\"format\": 1, \"time_floor\": 0, \"packages\": {"
	"\"edge\": {\"version\": \"2.0\", \"security_version\": 3,"
	" \"installed_at\": \"2026-01-01T00:00:00Z\"},"
	"\"plain\": {\"version\": \"1.0-1\", \"security_version\": 0,"
	" \"installed_at\": \"2026-01-01T00:00:00Z\"}}}";

/* Check name/version/sv with the flag; expect the messages given. */
static void check_version(const struct sk_trust *t, const char *name,
			  const char *version, unsigned long long sv,
			  bool flag, const char *msg, unsigned int line)
{
	struct sk_manifest m;
	struct sk_problems d;

	memset(&m, 0, sizeof(m));
	m.name = name;
	m.version = version;
	m.security_version = sv;
	sk_problems_init(&d);
	sk_trust_check_version(t, &m, flag, &d);
	if (msg) {
		tu_assert_diag(&d, (const char *const[]){ msg, NULL }, __FILE__,
			       line);
		CU_assertImplementation(
			d.count == 1 && d.items[0].cls == SK_PROBLEM_TARGET,
			line, "class TARGET", __FILE__, "", CU_FALSE);
		CU_assertImplementation(sk_problems_exit_code(&d) == 4, line,
					"exit 4", __FILE__, "", CU_FALSE);
	} else {
		tu_assert_diag(&d, (const char *const[]){ NULL }, __FILE__,
			       line);
	}
	sk_problems_release(&d);
}
#define VERSION_OK(t, n, v, sv, flag)                                        \
	check_version((t), (n), (v), (sv), (flag), NULL, __LINE__)
#define VERSION_BAD(t, n, v, sv, flag, msg)                                  \
	check_version((t), (n), (v), (sv), (flag), (msg), __LINE__)

static void test_check_version(void)
{
	char *root = new_root(true);
	struct sk_trust t;

	put_installed(root, installed_edge);
	open_ok(&t, root, NULL);
	CU_ASSERT_EQUAL_FATAL(t.installed.n, 2);
	for (int flag = 0; flag < 2; flag++) {
		/* New name, upgrade, same version (a re-install). */
		VERSION_OK(&t, "other", "0.1", 0, flag);
		VERSION_OK(&t, "edge", "2.1", 3, flag);
		VERSION_OK(&t, "edge", "10.0", 3, flag);
		VERSION_OK(&t, "edge", "2.0", 3, flag);
		VERSION_OK(&t, "edge", "2.0", 4, flag);
		VERSION_OK(&t, "plain", "1.0-2", 0, flag);
		VERSION_OK(&t, "plain", "1.0-1", 0, flag);
	}
	/* A downgrade: refused without the flag, allowed with it. */
	VERSION_BAD(&t, "edge", "1.9", 3, false,
		    "package 'edge' 1.9 is older than the installed 2.0: refused as a downgrade (--allow-downgrade installs it)");
	VERSION_BAD(&t, "edge", "2.0~rc1", 5, false,
		    "package 'edge' 2.0~rc1 is older than the installed 2.0: refused as a downgrade (--allow-downgrade installs it)");
	VERSION_BAD(&t, "plain", "1.0", 0, false,
		    "package 'plain' 1.0 is older than the installed 1.0-1: refused as a downgrade (--allow-downgrade installs it)");
	VERSION_OK(&t, "edge", "1.9", 3, true);
	VERSION_OK(&t, "edge", "1.9", 4, true);
	/* A lower security_version: refused whatever the flags, even with
	 * a higher version. */
	VERSION_BAD(&t, "edge", "2.1", 2, true,
		    "package 'edge' 2.1: security_version 2 is lower than 3, installed with version 2.0: refused whatever the options");
	VERSION_BAD(&t, "edge", "2.1", 2, false,
		    "package 'edge' 2.1: security_version 2 is lower than 3, installed with version 2.0: refused whatever the options");
	VERSION_BAD(&t, "edge", "1.0", 0, true,
		    "package 'edge' 1.0: security_version 0 is lower than 3, installed with version 2.0: refused whatever the options");
	VERSION_BAD(&t, "edge", "2.0", 2, true,
		    "package 'edge' 2.0: security_version 2 is lower than 3, installed with version 2.0: refused whatever the options");

	/* [trust] allow_downgrade = false: the flag no longer helps. */
	t.allow_downgrade = false;
	VERSION_BAD(&t, "edge", "1.9", 3, true,
		    "package 'edge' 1.9 is older than the installed 2.0, and [trust] allow_downgrade is false: downgrades are forbidden on this gateway");
	/* Without the flag too: the message must not suggest a flag
	 * this gateway refuses. */
	VERSION_BAD(&t, "edge", "1.9", 3, false,
		    "package 'edge' 1.9 is older than the installed 2.0, and [trust] allow_downgrade is false: downgrades are forbidden on this gateway");
	VERSION_OK(&t, "edge", "2.0", 3, true);
	VERSION_OK(&t, "edge", "2.1", 3, false);
	VERSION_BAD(&t, "edge", "2.1", 1, true,
		    "package 'edge' 2.1: security_version 1 is lower than 3, installed with version 2.0: refused whatever the options");
	sk_trust_close(&t);
	free(root);
}

/* allow_downgrade = false read from sup.conf. */
static void test_check_version_config(void)
{
	char *root = new_root(true);
	char *conf = sk_asprintf("%s/sup.conf", SUPKIT_SYSCONF_DIR);
	struct sk_trust t;

	put_installed(root, installed_edge);
	put(root, conf, "[trust]\nallow_downgrade = false\n");
	open_ok(&t, root, NULL);
	CU_ASSERT_FALSE(t.allow_downgrade);
	VERSION_BAD(&t, "edge", "1.9", 3, true,
		    "package 'edge' 1.9 is older than the installed 2.0, and [trust] allow_downgrade is false: downgrades are forbidden on this gateway");
	sk_trust_close(&t);
	free(conf);
	free(root);
}

/* --- the time floor ------------------------------------------------------ */

static long long floor_of(const char *root)
{
	char *sd = in_root(root, SK_DEFAULT_STATE_DIR);
	int fd = open(sd, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct sk_installed s;
	const char *why = NULL;
	long long f;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(sk_installed_load(&s, fd, &why), 0);
	close(fd);
	f = s.time_floor;
	sk_installed_release(&s);
	free(sd);
	return f;
}

struct note_call {
	const struct sk_trust *t;
	const struct sk_sig_result *r;
};

static void call_note(void *arg)
{
	struct note_call *c = arg;

	sk_trust_note_accepted(c->t, c->r);
}

/* Open root's trust, set the clock, note r; what stderr got. */
static char *note(const char *root, time_t clock, enum sk_sig_status st,
		  time_t signed_at)
{
	struct sk_sig_result r;
	struct sk_trust t;
	struct note_call c = { &t, &r };
	char *err;

	open_ok(&t, root, NULL);
	t.params.clock = clock;
	memset(&r, 0, sizeof(r));
	r.status = st;
	r.signing_time = signed_at;
	err = with_stderr(call_note, &c);
	sk_trust_close(&t);
	return err;
}

#define NOTE_QUIET(root, clock, st, at)                                      \
	do {                                                                 \
		char *e_ = note((root), (clock), (st), (at));                \
		CU_ASSERT_STRING_EQUAL(e_, "");                              \
		free(e_);                                                    \
	} while (0)

static void test_note_accepted(void)
{
	char *root = new_root(true);
	char *sd = state_dir(root);
	time_t plausible = BUILD_FLOOR + 100 * 86400;

	/* No installed.json yet: the first accepted package writes it. */
	NOTE_QUIET(root, plausible, SK_SIG_OK, BUILD_FLOOR + 5000);
	CU_ASSERT_EQUAL(floor_of(root), BUILD_FLOOR + 5000);
	/* Up to the signing time. */
	NOTE_QUIET(root, plausible, SK_SIG_OK, BUILD_FLOOR + 6000);
	CU_ASSERT_EQUAL(floor_of(root), BUILD_FLOOR + 6000);
	/* Never lowered. */
	NOTE_QUIET(root, plausible, SK_SIG_OK, BUILD_FLOOR + 10);
	CU_ASSERT_EQUAL(floor_of(root), BUILD_FLOOR + 6000);
	/* Only a verified signature moves it, and only with a time. */
	NOTE_QUIET(root, plausible, SK_SIG_UNSIGNED, BUILD_FLOOR + 9000);
	NOTE_QUIET(root, plausible, SK_SIG_NOT_CHECKED, BUILD_FLOOR + 9000);
	NOTE_QUIET(root, plausible, SK_SIG_EXPIRED, BUILD_FLOOR + 9000);
	NOTE_QUIET(root, plausible, SK_SIG_OK, 0);
	CU_ASSERT_EQUAL(floor_of(root), BUILD_FLOOR + 6000);
	/* A plausible clock caps it: never beyond the clock. */
	NOTE_QUIET(root, plausible, SK_SIG_OK, plausible + 86400);
	CU_ASSERT_EQUAL(floor_of(root), plausible);
	/* A clock behind the floor is not plausible: the signing time
	 * counts as it is. */
	NOTE_QUIET(root, 0, SK_SIG_OK, plausible + 7 * 86400);
	CU_ASSERT_EQUAL(floor_of(root), plausible + 7 * 86400);
	/* And the floor so recorded stands in the next trust opened. */
	{
		struct sk_trust t;

		open_ok(&t, root, NULL);
		CU_ASSERT_EQUAL(t.params.floor, plausible + 7 * 86400);
		sk_trust_close(&t);
	}
	free(sd);
	free(root);
}

/* A state directory that does not exist: a warning, nothing else. */
static void test_note_accepted_no_state_dir(void)
{
	char *root = new_root(true);
	char *sd = in_root(root, SK_DEFAULT_STATE_DIR), *want, *err;

	err = note(root, BUILD_FLOOR + 1000, SK_SIG_OK, BUILD_FLOOR + 500);
	want = sk_asprintf("sup: warning: cannot record the time floor in '%s': cannot write installed.json: No such file or directory\n",
			   sd);
	CU_ASSERT_STRING_EQUAL(err, want);
	CU_ASSERT_FALSE(tu_exists(sd));
	free(want);
	free(err);
	free(sd);
	free(root);
}

static char *refused_then_note(const char *root, unsigned int line,
			       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Open root's trust expecting exactly the message fmt makes (class
 * SETUP); then note a package accepted, signed at BUILD_FLOOR + 5000
 * (the installer never does after a refusal: nothing may be written
 * anyway). What the note printed on stderr, malloc'd. */
static char *refused_then_note(const char *root, unsigned int line,
			       const char *fmt, ...)
{
	struct sk_config c;
	struct sk_trust t;
	struct sk_problems d;
	struct sk_sig_result r;
	struct note_call nc = {&t, &r};
	char *err, *msg;
	va_list ap;

	va_start(ap, fmt);
	msg = sk_vasprintf(fmt, ap);
	va_end(ap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	open_refused(&t, &c, &d, root, NULL, SK_PROBLEM_SETUP, msg, line);
	CU_assertImplementation(t.installed.n == 0, line,
				"nothing of the record read", __FILE__, "",
				CU_FALSE);
	memset(&r, 0, sizeof(r));
	r.status = SK_SIG_OK;
	r.signing_time = BUILD_FLOOR + 5000;
	t.params.clock = BUILD_FLOOR + 10000;
	err = with_stderr(call_note, &nc);
	sk_trust_close(&t);
	sk_problems_release(&d);
	sk_config_release(&c);
	free(msg);
	return err;
}

/*
 * Regression (attack review): the state directory was resolved to a path
 * string under --root, and installed.json read and rewritten by that name
 * (sk_installed_load/raise_floor), through links another user owns. A
 * root tree of another user (here: its /var/lib is theirs) could lead
 * root's sup to take the record of a directory that user may not read
 * (and there, raise its time floor), or read a file of root's as the
 * record. Now the state directory is walked once from a descriptor of the
 * root, and installed.json is opened in it, never through a link: the
 * old code read /private/installed.json in each case below, and wrote
 * its time floor. Giving files away needs root.
 */
static void test_state_planted_links(void)
{
	char *root = new_root(true);
	char *private = in_root(root, "/private");
	char *record = in_root(root, "/private/installed.json");
	char *lib = in_root(root, "/var/lib");
	char *sd = in_root(root, SK_DEFAULT_STATE_DIR);
	char *link = in_root(root, SK_DEFAULT_STATE_DIR "/installed.json");
	char *want, *err, *text;
	struct sk_trust t;
	struct stat st;

	if (geteuid() != 0) {
		fprintf(stderr, "(skipped: giving a file away needs root) ");
		goto out;
	}
	/* Root's record, in a directory another user may not read. */
	put(root, "/private/installed.json", installed_edge);
	CU_ASSERT_EQUAL_FATAL(chmod(private, 0700), 0);
	CU_ASSERT_EQUAL_FATAL(sk_mkdir_p(lib, 0755), 0);
	tu_give_away(lib);

	/* The state directory, a link of theirs to root's directory. */
	tu_plant("/private", sd);
	free(refused_then_note(
		root, __LINE__,
		"state directory '%s': '%s' is a symbolic link owned by uid 4242: only links owned by root are followed",
		sd, SK_DEFAULT_STATE_DIR));
	CU_ASSERT_EQUAL_FATAL(unlink(sd), 0);

	/* A directory of root's in theirs: they could have moved it there
	 * (an unsafe path transition). */
	CU_ASSERT_EQUAL_FATAL(rename(private, sd), 0);
	free(refused_then_note(
		root, __LINE__,
		"state directory '%s': unsafe path transition from '/var/lib' (owned by uid 4242) to '%s' (owned by uid 0)",
		sd, SK_DEFAULT_STATE_DIR));
	CU_ASSERT_EQUAL_FATAL(rename(sd, private), 0);

	/* Their state directory, installed.json in it a link of theirs to
	 * root's record: not followed, and not written through. */
	CU_ASSERT_EQUAL_FATAL(mkdir(sd, 0755), 0);
	tu_give_away(sd);
	tu_plant("/private/installed.json", link);
	err = refused_then_note(
		root, __LINE__,
		"cannot read '%s': installed.json is a symbolic link: anti-rollback and the time floor need it (restore it, or remove it to start over)",
		link);
	want = sk_asprintf(
		"sup: warning: cannot record the time floor in '%s': installed.json is a symbolic link\n",
		sd);
	CU_ASSERT_STRING_EQUAL(err, want);
	free(want);
	free(err);
	CU_ASSERT_TRUE(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));

	/* Root's record, neither changed nor joined by a temporary. */
	text = tu_read_file(record, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_STRING_EQUAL(text, installed_edge);
	free(text);
	CU_ASSERT_EQUAL(tu_count_entries(private), 1);

	/* A link of root's, in a directory of root's, is followed. */
	CU_ASSERT_EQUAL_FATAL(unlink(link), 0);
	CU_ASSERT_EQUAL_FATAL(rmdir(sd), 0);
	CU_ASSERT_EQUAL_FATAL(lchown(lib, 0, 0), 0);
	CU_ASSERT_EQUAL_FATAL(symlink("/private", sd), 0);
	open_ok(&t, root, NULL);
	CU_ASSERT_STRING_EQUAL(t.state_dir, private);
	CU_ASSERT_EQUAL(t.installed.n, 2);
	sk_trust_close(&t);
out:
	free(link);
	free(sd);
	free(lib);
	free(record);
	free(private);
	free(root);
}

/* --- sk_supfile_open under a trust policy ------------------------------- */

struct ent {
	const char *name;
	const void *data;
	size_t len;
};

/* A pax tar of the entries (after test_supfile.c). */
static void write_sup(const char *path, const struct ent *e, size_t n)
{
	struct archive *a = archive_write_new();

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL_FATAL(archive_write_set_format_pax(a), ARCHIVE_OK);
	CU_ASSERT_EQUAL_FATAL(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();

		CU_ASSERT_PTR_NOT_NULL_FATAL(ae);
		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_mtime(ae, 0, 0);
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, 0644);
		archive_entry_set_size(ae, (la_int64_t)e[i].len);
		CU_ASSERT_EQUAL_FATAL(archive_write_header(a, ae), ARCHIVE_OK);
		if (e[i].len)
			CU_ASSERT_EQUAL_FATAL(archive_write_data(a, e[i].data,
								 e[i].len),
					      (la_ssize_t)e[i].len);
		archive_entry_free(ae);
	}
	CU_ASSERT_EQUAL_FATAL(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

static const char payload[] = "firmware image\n";

/* The manifest of one payload fw.bin holding payload (version v). */
static char *manifest_of(const char *v)
{
	struct sk_sha256 *h = sk_sha256_new();
	char hex[SK_SHA256_HEX_LEN + 1], *m;

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	sk_sha256_update(h, payload, sizeof(payload) - 1);
	sk_sha256_final_hex(h, hex);
	sk_sha256_free(h);
	m = sk_asprintf("{\"sup_format\":1,\"package\":{\"name\":\"edge\","
			"\"version\":\"%s\"},\"payloads\":{\"fw.bin\":"
			"{\"size\":%zu,\"sha256\":\"%s\"}},\"actions\":"
			"[{\"id\":\"fw\",\"type\":\"fixture.payload\","
			"\"payloads\":[\"fw.bin\"]}]}",
			v, sizeof(payload) - 1, hex);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	return m;
}

/* The signature of text by PKI signer name (chain.pem embedded). */
static unsigned char *sign(const char *name, const char *text, size_t *len)
{
	char *key = sk_asprintf("%s/%s.key", pki, name);
	char *cert = sk_asprintf("%s/%s.pem", pki, name);
	char *chain = P("chain.pem"), *err = NULL;
	unsigned char *der = NULL;
	struct sk_signer *s;
	struct sk_problems d;

	sk_problems_init(&d);
	s = sk_signer_load(key, cert, chain, false, &d);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL_FATAL(sk_signer_sign(s, text, strlen(text),
					     time(NULL), &der, len, &err),
			      0);
	sk_signer_free(s);
	sk_problems_release(&d);
	free(key);
	free(cert);
	free(chain);
	return der;
}

/* tmp/NAME.sup: manifest m, signature sig (NULL: none), the payload. */
static char *make_sup(const char *name, const char *m,
		      const unsigned char *sig, size_t sig_len)
{
	char *path = sk_asprintf("%s/%s.sup", tmp, name);
	struct ent e[3];
	size_t n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	e[n++] = (struct ent){ "manifest.json", m, strlen(m) };
	if (sig)
		e[n++] = (struct ent){ "manifest.sig", sig, sig_len };
	e[n++] = (struct ent){ "fw.bin", payload, sizeof(payload) - 1 };
	write_sup(path, e, n);
	return path;
}

static void test_supfile_accepted(void)
{
	char *root = new_root(true);
	char *m = manifest_of("2.0"), *path;
	unsigned char *sig;
	size_t len;
	struct sk_supfile f;
	struct sk_trust t;
	struct sk_problems d;

	open_ok(&t, root, NULL);
	sig = sign("signer-ec256", m, &len);
	path = make_sup("signed", m, sig, len);
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(sk_supfile_open(&f, path, NULL, &t, 0, NULL, &d), 0);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_TRUE(f.has_signature);
	CU_ASSERT_TRUE(f.trusted);
	CU_ASSERT_TRUE(f.manifest_ok);
	CU_ASSERT_TRUE(f.payloads_ok);
	CU_ASSERT_TRUE(f.verified);
	CU_ASSERT_EQUAL(f.sig_result.status, SK_SIG_OK);
	CU_ASSERT_STRING_EQUAL(f.sig_result.signer.subject,
			       "CN=supkit test signer EC256");
	CU_ASSERT_EQUAL(f.sig_len, len);
	CU_ASSERT(memcmp(f.sig, sig, len) == 0);
	CU_ASSERT_EQUAL(f.manifest_len, strlen(m));
	CU_ASSERT_STRING_EQUAL(f.manifest_text, m);
	CU_ASSERT_STRING_EQUAL(f.manifest.version, "2.0");
	CU_ASSERT_EQUAL(strlen(f.sha256), 64);
	sk_supfile_close(&f);
	sk_problems_release(&d);

	/* Without a trust policy the signature is only described. */
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(sk_supfile_open(&f, path, NULL, NULL, 0, NULL, &d), 0);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_TRUE(f.verified);
	CU_ASSERT_FALSE(f.trusted);
	CU_ASSERT_EQUAL(f.sig_result.status, SK_SIG_NOT_CHECKED);
	CU_ASSERT_TRUE(f.sig_result.has_signer);
	CU_ASSERT_STRING_EQUAL(f.sig_result.signer.subject,
			       "CN=supkit test signer EC256");
	sk_supfile_close(&f);
	sk_problems_release(&d);

	sk_trust_close(&t);
	free(sig);
	free(path);
	free(m);
	free(root);
}

/* A refused package: nothing past the signature is parsed; with
 * SK_SUPFILE_READ_ON everything is, but it is still not verified. */
static void expect_refused(const struct sk_trust *t, const char *path,
			   enum sk_sig_status st, const char *msg,
			   unsigned int line)
{
	struct sk_supfile f;
	struct sk_problems d;
	char *want = sk_asprintf("'%s': %s", path, msg);

	CU_ASSERT_PTR_NOT_NULL_FATAL(want);
	for (int read_on = 0; read_on < 2; read_on++) {
		sk_problems_init(&d);
		CU_assertImplementation(
			sk_supfile_open(&f, path, NULL, t,
					read_on ? SK_SUPFILE_READ_ON : 0, NULL,
					&d) == -1,
			line, "sk_supfile_open fails", __FILE__, "", CU_FALSE);
		tu_assert_diag(&d, (const char *const[]){ want, NULL },
			       __FILE__, line);
		CU_assertImplementation(
			d.count >= 1 && d.items[0].cls == SK_PROBLEM_PACKAGE,
			line, "class PACKAGE", __FILE__, "", CU_FALSE);
		CU_assertImplementation(f.sig_result.status == st, line,
					"signature status", __FILE__, "",
					CU_FALSE);
		CU_assertImplementation(!f.trusted && !f.verified, line,
					"neither trusted nor verified",
					__FILE__, "", CU_FALSE);
		CU_assertImplementation(f.manifest_ok == (read_on == 1), line,
					"manifest parsed only with READ_ON",
					__FILE__, "", CU_FALSE);
		CU_assertImplementation(f.payloads_ok == (read_on == 1), line,
					"payloads checked only with READ_ON",
					__FILE__, "", CU_FALSE);
		if (!read_on)
			CU_assertImplementation(f.manifest.name == NULL, line,
						"nothing parsed", __FILE__, "",
						CU_FALSE);
		else
			CU_assertImplementation(
				f.manifest.name &&
					!strcmp(f.manifest.name, "edge"),
				line, "parsed with READ_ON", __FILE__, "",
				CU_FALSE);
		sk_supfile_close(&f);
		sk_problems_release(&d);
	}
	free(want);
}
#define EXPECT_REFUSED(t, path, st, msg)                                     \
	expect_refused((t), (path), (st), (msg), __LINE__)

static void test_supfile_refused(void)
{
	char *root = new_root(true);
	char *kr = in_root(root, SK_DEFAULT_KEYRING);
	char *m = manifest_of("2.0"), *m2 = manifest_of("2.1");
	char *path, *why;
	unsigned char *sig;
	size_t len;
	struct sk_trust t;

	open_ok(&t, root, NULL);

	/* Unsigned, by default. */
	path = make_sup("unsigned", m, NULL, 0);
	why = sk_asprintf("unsigned: packages must be signed by a key of the keyring '%s' ([trust] allow_unsigned is false)",
			  kr);
	EXPECT_REFUSED(&t, path, SK_SIG_UNSIGNED, why);
	free(why);
	free(path);

	/* Signed by a stranger. */
	sig = sign("other-signer", m, &len);
	path = make_sup("stranger", m, sig, len);
	why = sk_asprintf("signer not trusted: 'CN=supkit test other signer' (issued by 'CN=supkit test other CA') does not chain to an anchor of the keyring '%s'",
			  kr);
	EXPECT_REFUSED(&t, path, SK_SIG_UNTRUSTED, why);
	free(why);
	free(path);
	free(sig);

	/* The manifest changed after signing. */
	sig = sign("signer-ec256", m, &len);
	path = make_sup("changed", m2, sig, len);
	EXPECT_REFUSED(&t, path, SK_SIG_MISMATCH,
		       "signature does not match the manifest");
	free(path);
	free(sig);

	/* Not a signature at all: refused, even with allow_unsigned. */
	t.allow_unsigned = true;
	path = make_sup("junk-sig", m, (const unsigned char *)"junk", 4);
	EXPECT_REFUSED(&t, path, SK_SIG_MALFORMED,
		       "signature is not a DER CMS structure");
	free(path);
	sig = sign("expired", m, &len);
	path = make_sup("expired", m, sig, len);
	{
		char at[32];
		struct tm tm;

		gmtime_r(&t.params.clock, &tm);
		strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
		why = sk_asprintf("certificate expired: 'CN=supkit test signer expired' was valid until 2021-01-01T00:00:00Z (checked at %s)",
				  at);
	}
	EXPECT_REFUSED(&t, path, SK_SIG_EXPIRED, why);
	free(why);
	free(path);
	free(sig);

	sk_trust_close(&t);
	free(m);
	free(m2);
	free(kr);
	free(root);
}

/* allow_unsigned: an unsigned package is accepted (trusted, verified). */
static void test_supfile_unsigned_allowed(void)
{
	char *root = new_root(true);
	char *m = manifest_of("2.0"), *path = make_sup("dev", m, NULL, 0);
	struct sk_supfile f;
	struct sk_trust t;
	struct sk_problems d;

	open_ok(&t, root, NULL);
	t.allow_unsigned = true;
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(sk_supfile_open(&f, path, NULL, &t, SK_SUPFILE_QUIET,
					NULL, &d), 0);
	TU_ASSERT_DIAG_EMPTY(&d);
	CU_ASSERT_FALSE(f.has_signature);
	CU_ASSERT_EQUAL(f.sig_result.status, SK_SIG_UNSIGNED);
	CU_ASSERT_TRUE(f.trusted);
	CU_ASSERT_TRUE(f.manifest_ok);
	CU_ASSERT_TRUE(f.verified);
	sk_supfile_close(&f);
	sk_problems_release(&d);
	sk_trust_close(&t);
	free(path);
	free(m);
	free(root);
}

/* A refused signature and a broken payload: with READ_ON both are
 * reported, the signature first. */
static void test_supfile_read_on_reports_all(void)
{
	char *root = new_root(true);
	char *m = manifest_of("2.0"), *path;
	unsigned char *sig;
	size_t len;
	struct sk_supfile f;
	struct sk_trust t;
	struct sk_problems d;
	struct ent e[2];

	open_ok(&t, root, NULL);
	sig = sign("other-signer", m, &len);
	path = sk_asprintf("%s/nopayload.sup", tmp);
	e[0] = (struct ent){ "manifest.json", m, strlen(m) };
	e[1] = (struct ent){ "manifest.sig", sig, len };
	write_sup(path, e, 2);
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(sk_supfile_open(&f, path, NULL, &t, SK_SUPFILE_READ_ON,
					NULL, &d), -1);
	CU_ASSERT_EQUAL_FATAL(d.count, 2);
	CU_ASSERT_NSTRING_EQUAL(d.items[0].msg, "'", 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.items[0].msg, "signer not trusted"));
	CU_ASSERT_PTR_NOT_NULL(strstr(d.items[1].msg,
				      "payload 'fw.bin' is missing from the archive"));
	CU_ASSERT_TRUE(f.manifest_ok);
	CU_ASSERT_FALSE(f.payloads_ok);
	CU_ASSERT_FALSE(f.verified);
	sk_supfile_close(&f);
	sk_problems_release(&d);
	/* Without READ_ON, only the signature. */
	sk_problems_init(&d);
	CU_ASSERT_EQUAL(sk_supfile_open(&f, path, NULL, &t, 0, NULL, &d), -1);
	CU_ASSERT_EQUAL(d.count, 1);
	sk_supfile_close(&f);
	sk_problems_release(&d);
	sk_trust_close(&t);
	free(sig);
	free(path);
	free(m);
	free(root);
}

static CU_TestInfo open_tests[] = {
	{ "defaults", test_open_default },
	{ "--keyring override", test_open_override },
	{ "[trust] keys", test_open_config },
	{ "keyring and links under the root", test_open_keyring_link },
	{ "links another user planted", test_open_planted_links },
	{ "missing keyring, CRL", test_open_missing_keyring },
	{ "damaged installed.json", test_open_damaged_installed },
	{ "time floor", test_open_floor },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo policy_tests[] = {
	{"accepts", test_accepts},
	{"check version", test_check_version},
	{"check version, config", test_check_version_config},
	{"note accepted", test_note_accepted},
	{"note accepted, no state dir", test_note_accepted_no_state_dir},
	{"state directory links another user planted",
	 test_state_planted_links},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo supfile_tests[] = {
	{ "accepted", test_supfile_accepted },
	{ "refused", test_supfile_refused },
	{ "unsigned allowed", test_supfile_unsigned_allowed },
	{ "READ_ON reports all", test_supfile_read_on_reports_all },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "trust open", suite_init, suite_clean, NULL, NULL, open_tests },
	{ "trust policy", suite_init, suite_clean, NULL, NULL, policy_tests },
	{ "trust supfile", suite_init, suite_clean, NULL, NULL,
	  supfile_tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	unsetenv("SOURCE_DATE_EPOCH");
	if (tu_init() || CU_register_suites(suites) != CUE_SUCCESS)
		return tu_abort();
	return tu_run();
}
