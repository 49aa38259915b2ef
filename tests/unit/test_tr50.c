/* SPDX-License-Identifier: MIT */
/* test_tr50.c - the TR50 client against the portal simulator
 * (tests/portal/portal_sim.py), one simulator per suite. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "base/hash.h"
#include "testutil.h"
#include "tr50/tr50.h"

#define TOKEN "s3cret-app-token"
#define FILE_SIZE 300000

static struct {
	pid_t pid;
	char *dir;	/* port file, files/ (the Developer Files) */
	char *endpoint; /* http://127.0.0.1:PORT, or https:// with TLS */
	char *api_url;
	char *ca;	/* with TLS: its self-signed certificate */
} sim = { .pid = -1 };

/* --- the simulator --- */

static void fill(unsigned char *buf, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (unsigned char)(seed >> 16);
	}
}

/* A self-signed certificate for 127.0.0.1 and its key, as PEM files. */
static int make_cert(const char *cert_path, const char *key_path)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_EXTENSION *ext = NULL;
	X509_NAME *name;
	X509V3_CTX ctx;
	FILE *f;
	int rc = -1;

	if (!key || !x)
		goto out;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)"127.0.0.1", -1, -1,
				   0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
				  "IP:127.0.0.1");
	if (!ext || !X509_add_ext(x, ext, -1) ||
	    !X509_sign(x, key, EVP_sha256()))
		goto out;
	f = fopen(key_path, "w");
	if (!f || !PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) ||
	    fclose(f))
		goto out;
	f = fopen(cert_path, "w");
	if (!f || !PEM_write_X509(f, x) || fclose(f))
		goto out;
	rc = 0;
out:
	X509_EXTENSION_free(ext);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

static int sim_start(bool tls)
{
	const char *src = getenv("SUP_SOURCE_DIR");
	char *script = NULL, *port_file = NULL, *files = NULL, *update = NULL;
	char *text = NULL, *key = NULL;
	unsigned char *data = NULL;
	long port = 0;
	pid_t parent;
	int rc = -1;

	/* A proxy from the environment must not get in the way. */
	setenv("no_proxy", "*", 1);
	if (!src || !*src) {
		fprintf(stderr, "SUP_SOURCE_DIR is not set\n");
		return -1;
	}
	sim.dir = tu_mkdtemp();
	if (!sim.dir)
		return -1;
	script = tu_path(src, "tests/portal/portal_sim.py");
	port_file = tu_path(sim.dir, "port");
	files = tu_path(sim.dir, "files");
	update = tu_path(files, "update.sup");
	data = malloc(FILE_SIZE);
	if (!data)
		goto out;
	fill(data, FILE_SIZE, 42);
	if (tu_write_file(update, data, FILE_SIZE))
		goto out;
	if (tls) {
		sim.ca = tu_path(sim.dir, "cert.pem");
		key = tu_path(sim.dir, "key.pem");
		if (make_cert(sim.ca, key))
			goto out;
	}
	parent = getpid();
	sim.pid = fork();
	if (sim.pid < 0)
		goto out;
	if (sim.pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		/* No simulator outlives a crashed test. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 ||
		    getppid() != parent)
			_exit(127);

		if (null >= 0)
			dup2(null, 0);
		if (tls)
			execlp("python3", "python3", script, "--port-file",
			       port_file, "--files-dir", files, "--app-id",
			       "app", "--app-token", TOKEN, "--thing-key",
			       "gw1", "--tls", sim.ca, key, (char *)NULL);
		else
			execlp("python3", "python3", script, "--port-file",
			       port_file, "--files-dir", files, "--app-id",
			       "app", "--app-token", TOKEN, "--thing-key",
			       "gw1", (char *)NULL);
		perror("python3");
		_exit(127);
	}
	/* Up to 20 s for the port file. */
	for (int i = 0; i < 2000 && !tu_exists(port_file); i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		if (waitpid(sim.pid, NULL, WNOHANG) == sim.pid) {
			sim.pid = -1;
			goto out;
		}
		nanosleep(&ts, NULL);
	}
	text = tu_read_file(port_file, NULL);
	if (text)
		port = strtol(text, NULL, 10);
	if (port <= 0 || port > 65535)
		goto out;
	if (asprintf(&sim.endpoint, "%s://127.0.0.1:%ld",
		     tls ? "https" : "http", port) < 0 ||
	    asprintf(&sim.api_url, "%s/api", sim.endpoint) < 0)
		goto out;
	rc = 0;
out:
	free(script);
	free(port_file);
	free(files);
	free(update);
	free(text);
	free(data);
	free(key);
	return rc;
}

static int sim_stop(void)
{
	int ret = 0;

	if (sim.pid > 0) {
		kill(sim.pid, SIGTERM);
		waitpid(sim.pid, NULL, 0);
	}
	sim.pid = -1;
	if (sim.dir)
		ret = tu_rm_rf(sim.dir);
	free(sim.dir);
	free(sim.endpoint);
	free(sim.api_url);
	free(sim.ca);
	sim.dir = sim.endpoint = sim.api_url = sim.ca = NULL;
	return ret;
}

static size_t collect(char *p, size_t size, size_t n, void *data)
{
	FILE *f = data;

	return fwrite(p, size, n, f);
}

static size_t discard(char *p, size_t size, size_t n, void *data)
{
	(void)p;
	(void)data;
	return size * n;
}

/* GET (body NULL) or POST a simulator path; the reply body, or NULL. */
static char *sim_http(const char *path, const char *body)
{
	CURL *c = curl_easy_init();
	char *url = NULL, *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	long status = 0;
	CURLcode r = CURLE_FAILED_INIT;

	if (c && f && asprintf(&url, "%s%s", sim.endpoint, path) >= 0) {
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
		if (sim.ca)
			curl_easy_setopt(c, CURLOPT_CAINFO, sim.ca);
		if (body)
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		r = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	}
	if (f)
		fclose(f);
	if (c)
		curl_easy_cleanup(c);
	free(url);
	if (r != CURLE_OK || status != 200) {
		free(out);
		return NULL;
	}
	return out;
}

static void sim_control(const char *json)
{
	char *r = sim_http("/_control", json);

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	free(r);
}

/* Everything the simulator received; the caller puts it. */
static struct json_object *sim_log(void)
{
	char *text = sim_http("/_log", NULL);
	struct json_object *log = text ? json_tokener_parse(text) : NULL;

	free(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	return log;
}

static struct json_object *log_list(struct json_object *log, const char *key)
{
	struct json_object *a = NULL;

	json_object_object_get_ex(log, key, &a);
	CU_ASSERT_FATAL(json_object_is_type(a, json_type_array));
	return a;
}

/* How many connections carried an api call so far. */
static int64_t api_connections(void)
{
	struct json_object *log = sim_log(), *n = NULL;
	int64_t v;

	json_object_object_get_ex(log, "api_connections", &n);
	CU_ASSERT_FATAL(json_object_is_type(n, json_type_int));
	v = json_object_get_int64(n);
	json_object_put(log);
	return v;
}

static size_t log_count(const char *key)
{
	struct json_object *log = sim_log();
	size_t n = json_object_array_length(log_list(log, key));

	json_object_put(log);
	return n;
}

/* Member key of the last item of list; borrowed from log. */
static struct json_object *last(struct json_object *log, const char *list,
				const char *key)
{
	struct json_object *a = log_list(log, list), *v = NULL;
	size_t n = json_object_array_length(a);

	CU_ASSERT_FATAL(n > 0);
	json_object_object_get_ex(json_object_array_get_idx(a, n - 1), key, &v);
	return v;
}

static const char *last_str(struct json_object *log, const char *list,
			    const char *key)
{
	const char *s = json_object_get_string(last(log, list, key));

	return s ? s : "(null)";
}

/* Member key of the item idx places before the end of list (0: the
 * last); borrowed from log. */
static struct json_object *nth_last(struct json_object *log, const char *list,
				    size_t idx, const char *key)
{
	struct json_object *a = log_list(log, list), *v = NULL;
	size_t n = json_object_array_length(a);

	CU_ASSERT_FATAL(n > idx);
	json_object_object_get_ex(json_object_array_get_idx(a, n - 1 - idx),
				  key, &v);
	return v;
}

/* The first of the errorCodes of an api log entry, or 0. */
static int nth_last_code(struct json_object *log, size_t idx)
{
	struct json_object *codes = nth_last(log, "api", idx, "errorCodes");

	if (!json_object_is_type(codes, json_type_array) ||
	    json_object_array_length(codes) == 0)
		return 0;
	return json_object_get_int(json_object_array_get_idx(codes, 0));
}

/* How many api log entries are the command cmd. */
static size_t api_count(const char *cmd)
{
	struct json_object *log = sim_log(), *a = log_list(log, "api"), *c;
	size_t n = 0;

	for (size_t i = 0; i < json_object_array_length(a); i++) {
		if (json_object_object_get_ex(json_object_array_get_idx(a, i),
					      "command", &c) &&
		    strcmp(json_object_get_string(c), cmd) == 0)
			n++;
	}
	json_object_put(log);
	return n;
}

/* Every injected fault was used (a retry that did not happen leaves
 * one); then none is left for the next test either way. */
static void assert_faults_used(void)
{
	struct json_object *log = sim_log();

	CU_ASSERT_EQUAL(json_object_array_length(log_list(log, "faults")), 0);
	json_object_put(log);
	sim_control("{\"clear_faults\": true}");
}

/* Switch the simulator's dialects ("session", "ack", "upload"). */
static void sim_dialect(const char *json)
{
	char *c;

	CU_ASSERT_FATAL(asprintf(&c, "{\"dialect\": %s}", json) >= 0);
	sim_control(c);
	free(c);
}

/* --- the client --- */

static struct supd_tr50 *client_with(const char *token, long timeout_s)
{
	struct supd_tr50_opts o = {
		.endpoint = sim.endpoint, .app_id = "app", .app_token = token,
		.thing_key = "gw1", .insecure = !sim.ca, .ca_bundle = sim.ca,
		.connect_timeout_s = 5, .request_timeout_s = timeout_s,
	};
	struct supd_tr50_err err = { 0 };
	struct supd_tr50 *t = NULL;

	CU_ASSERT_EQUAL_FATAL(supd_tr50_new(&t, &o, &err), SUPD_TR50_OK);
	CU_ASSERT_PTR_NULL(err.message);
	return t;
}

static struct supd_tr50 *client(void)
{
	return client_with(TOKEN, 10);
}

/* err holds no secret and says exactly want (if not NULL), where "{api}"
 * stands for the simulator's API URL. */
static void assert_err(const struct supd_tr50_err *err, const char *want)
{
	const char *at;
	char *full;
	int n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(err->message);
	CU_ASSERT_PTR_NULL(strstr(err->message, TOKEN));
	if (!want)
		return;
	at = strstr(want, "{api}");
	if (at)
		n = asprintf(&full, "%.*s%s%s", (int)(at - want), want,
			     sim.api_url, at + 5);
	else
		n = asprintf(&full, "%s", want);
	CU_ASSERT_FATAL(n >= 0);
	if (strcmp(err->message, full) != 0)
		fprintf(stderr, "\n  got:  %s\n  want: %s\n", err->message,
			full);
	CU_ASSERT_STRING_EQUAL(err->message, full);
	free(full);
}

/* --- options (no simulator) --- */

static void test_new_refuses(void)
{
	static const struct {
		const char *endpoint;
		bool insecure;
		const char *msg;
	} cases[] = {
		{ "http://127.0.0.1:1", false,
		  "endpoint 'http://127.0.0.1:1' is plain http: https is required unless insecure is set" },
		{ "ftp://portal", true,
		  "endpoint 'ftp://portal' is not an https:// URL" },
		{ "https://user:pw@portal", false,
		  "endpoint must not hold user credentials" },
		{ "https://", false, "endpoint 'https://' has no host" },
		{ "https://portal/a b", false,
		  "endpoint 'https://portal/a b' holds a space or control character" },
		{ "https://portal?x=1", false,
		  "endpoint 'https://portal?x=1' has a query or fragment" },
		{ "", false, "no portal endpoint" },
	};
	struct supd_tr50_opts o = { .app_id = "a", .app_token = TOKEN,
				  .thing_key = "gw1" };
	struct supd_tr50_err err = { 0 };
	struct supd_tr50 *t;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o.endpoint = cases[i].endpoint;
		o.insecure = cases[i].insecure;
		/* Any old value of *out is replaced by NULL. */
		t = (struct supd_tr50 *)&o;
		CU_ASSERT_EQUAL(supd_tr50_new(&t, &o, &err), SUPD_TR50_ELOCAL);
		CU_ASSERT_PTR_NULL(t);
		CU_ASSERT_STRING_EQUAL(err.message, cases[i].msg);
		supd_tr50_err_release(&err);
	}
	o.endpoint = "https://portal.example/";
	o.app_token = NULL;
	CU_ASSERT_EQUAL(supd_tr50_new(&t, &o, &err), SUPD_TR50_ELOCAL);
	CU_ASSERT_STRING_EQUAL(err.message,
			       "no app_token in the portal options");
	supd_tr50_err_release(&err);
	CU_ASSERT_PTR_NULL(err.message);

	o.app_token = TOKEN;
	CU_ASSERT_EQUAL(supd_tr50_new(&t, &o, &err), SUPD_TR50_OK);
	supd_tr50_free(t);
	supd_tr50_free(NULL);
}

static void test_crc32_file(void)
{
	char *dir = tu_mkdtemp(), *p, *missing;
	uint32_t crc = 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	p = tu_path(dir, "f");
	missing = tu_path(dir, "missing");
	CU_ASSERT_EQUAL(tu_write_str(p, "123456789"), 0);
	CU_ASSERT_EQUAL(supd_crc32_file(p, &crc), 0);
	CU_ASSERT_EQUAL(crc, 0xCBF43926u);
	CU_ASSERT_EQUAL(tu_write_str(p, ""), 0);
	CU_ASSERT_EQUAL(supd_crc32_file(p, &crc), 0);
	CU_ASSERT_EQUAL(crc, 0);
	CU_ASSERT_EQUAL(supd_crc32_file(missing, &crc), -ENOENT);
	CU_ASSERT_EQUAL(supd_crc32_file(dir, &crc), -EISDIR);
	tu_rm_rf(dir);
	free(missing);
	free(p);
	free(dir);
}

/* --- API calls --- */

static void test_auth_and_session_expiry(void)
{
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };
	struct json_object *msgs = NULL, *log;
	size_t auths = log_count("auth");

	/* Lazy authentication on the first call. */
	CU_ASSERT_EQUAL(supd_tr50_log_publish(t, "hello", 2, &err), SUPD_TR50_OK);
	CU_ASSERT_EQUAL(log_count("auth"), auths + 1);
	CU_ASSERT_EQUAL(supd_tr50_log_publish(t, "again", 2, &err), SUPD_TR50_OK);
	CU_ASSERT_EQUAL(log_count("auth"), auths + 1);

	/* The portal forgets the session: a new one, the command repeated. */
	sim_control("{\"expire_sessions\": true}");
	CU_ASSERT_EQUAL(supd_tr50_mailbox_check(t, 5, &msgs, &err), SUPD_TR50_OK);
	CU_ASSERT_PTR_NULL(err.message);
	CU_ASSERT(json_object_is_type(msgs, json_type_array));
	json_object_put(msgs);
	log = sim_log();
	CU_ASSERT_EQUAL(json_object_array_length(log_list(log, "auth")),
			auths + 2);
	CU_ASSERT(json_object_get_boolean(last(log, "auth", "success")));
	CU_ASSERT_STRING_EQUAL(last_str(log, "api", "command"),
			       "mailbox.check");
	CU_ASSERT(json_object_get_boolean(last(log, "api", "success")));
	/* The simulator never records the token; the client never sends it
	 * outside api.authenticate. */
	CU_ASSERT_PTR_NULL(strstr(json_object_to_json_string(log), TOKEN));
	json_object_put(log);
	supd_tr50_free(t);
}

static void test_reauth_only_once(void)
{
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };
	struct json_object *msgs = NULL;
	size_t auths, calls;

	CU_ASSERT_EQUAL(supd_tr50_log_publish(t, "x", 2, &err), SUPD_TR50_OK);
	auths = log_count("auth");
	calls = log_count("api");
	sim_control("{\"faults\": [{\"type\": \"cmd_error\", \"command\": "
		    "\"mailbox.check\", \"code\": -90008, \"message\": "
		    "\"session expired\", \"count\": 2}]}");
	CU_ASSERT_EQUAL(supd_tr50_mailbox_check(t, 5, &msgs, &err),
			SUPD_TR50_ECMD);
	CU_ASSERT_PTR_NULL(msgs);
	CU_ASSERT_EQUAL(err.code, -90008);
	assert_err(&err, "mailbox.check: portal error -90008: session expired");
	/* One new session; two tries of the command. */
	CU_ASSERT_EQUAL(log_count("auth"), auths + 1);
	CU_ASSERT_EQUAL(log_count("api"), calls + 3);
	supd_tr50_err_release(&err);
	supd_tr50_free(t);
}

/* --- portal dialects (docs/tr50.md) --- */

/* Every way the simulator refuses an expired session gets one new
 * session and the command once more. */
static void test_session_dialects(void)
{
	static const struct {
		const char *name;
		int code;   /* errorCodes[0] of the refused command, or 0 */
		int status; /* HTTP status of the refused request, or 0 */
	} cases[] = {
		{ "tr50", -90008, 0 },	{ "expired", -90000, 0 },
		{ "unauth", -90001, 0 }, { "http401", 0, 401 },
		{ "http403", 0, 403 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct supd_tr50 *t = client();
		struct supd_tr50_err err = { 0 };
		struct json_object *msgs = NULL, *log, *http;
		char *d;
		size_t auths, calls;

		CU_ASSERT_FATAL(asprintf(&d, "{\"session\": \"%s\"}",
					 cases[i].name) >= 0);
		sim_dialect(d);
		free(d);
		CU_ASSERT_EQUAL(supd_tr50_log_publish(t, "x", 2, &err),
				SUPD_TR50_OK);
		sim_control("{\"expire_sessions\": true}");
		auths = log_count("auth");
		calls = log_count("api");
		if (supd_tr50_mailbox_check(t, 5, &msgs, &err) != SUPD_TR50_OK)
			fprintf(stderr, "\n  dialect %s: %s\n", cases[i].name,
				err.message ? err.message : "?");
		CU_ASSERT_PTR_NULL(err.message);
		CU_ASSERT(json_object_is_type(msgs, json_type_array));
		json_object_put(msgs);
		log = sim_log();
		/* Refused, a new session, the same command again. */
		CU_ASSERT_EQUAL(json_object_array_length(log_list(log, "auth")),
				auths + 1);
		/* Not fatal: the dialect is set back below in any case. */
		CU_ASSERT_EQUAL(json_object_array_length(log_list(log, "api")),
				calls + 3);
		if (json_object_array_length(log_list(log, "api")) !=
		    calls + 3) {
			json_object_put(log);
			supd_tr50_err_release(&err);
			supd_tr50_free(t);
			continue;
		}
		CU_ASSERT_STRING_EQUAL(json_object_get_string(nth_last(
					       log, "api", 2, "command")),
				       "mailbox.check");
		CU_ASSERT_FALSE(json_object_get_boolean(
			nth_last(log, "api", 2, "success")));
		CU_ASSERT_EQUAL(nth_last_code(log, 2), cases[i].code);
		http = nth_last(log, "api", 2, "http");
		CU_ASSERT_EQUAL(http ? json_object_get_int(http) : 0,
				cases[i].status);
		CU_ASSERT_STRING_EQUAL(json_object_get_string(nth_last(
					       log, "api", 1, "command")),
				       "api.authenticate");
		CU_ASSERT_STRING_EQUAL(last_str(log, "api", "command"),
				       "mailbox.check");
		CU_ASSERT(json_object_get_boolean(last(log, "api", "success")));
		json_object_put(log);
		supd_tr50_err_release(&err);
		supd_tr50_free(t);
	}
	sim_dialect("{\"session\": \"tr50\"}");
}

/* Whatever its code: one new session and one retry for a refusal that
 * can mean an expired session, then the error stands; none for another
 * refusal. */
static void test_reauth_any_code(void)
{
	static const struct {
		int code;
		const char *msg;
		bool auth;
	} cases[] = {
		{ -90000, "invalid or expired session", true },
		{ -90001, "Not authenticated", true },
		{ -90002, "denied", true },
		{ -90008, "gone", true },
		{ -4711, "Unauthorized", true },
		{ -4711, "Token expired", true },
		{ -4711, "access denied: please log in", true },
		{ -90010, "file not found", false },
		{ -90011, "message not found", false },
	};
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };
	struct json_object *msgs = NULL;

	CU_ASSERT_EQUAL(supd_tr50_log_publish(t, "x", 2, &err), SUPD_TR50_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t auths = log_count("auth"), calls = log_count("api");
		char *f, *want;

		CU_ASSERT_FATAL(asprintf(&f,
					 "{\"faults\": [{\"type\": \"cmd_error\", "
					 "\"command\": \"mailbox.check\", \"code\": %d, "
					 "\"message\": \"%s\", \"count\": 2}]}",
					 cases[i].code, cases[i].msg) >= 0);
		sim_control(f);
		free(f);
		CU_ASSERT_EQUAL(supd_tr50_mailbox_check(t, 5, &msgs, &err),
				SUPD_TR50_ECMD);
		CU_ASSERT_PTR_NULL(msgs);
		/* The portal's error, as it said it. */
		CU_ASSERT_EQUAL(err.code, cases[i].code);
		CU_ASSERT_FATAL(asprintf(&want,
					 "mailbox.check: portal error %d: %s",
					 cases[i].code, cases[i].msg) >= 0);
		assert_err(&err, want);
		free(want);
		supd_tr50_err_release(&err);
		if (cases[i].auth) {
			/* Refused, api.authenticate, refused again. */
			CU_ASSERT_EQUAL(log_count("auth"), auths + 1);
			CU_ASSERT_EQUAL(log_count("api"), calls + 3);
			assert_faults_used();
		} else {
			CU_ASSERT_EQUAL(log_count("auth"), auths);
			CU_ASSERT_EQUAL(log_count("api"), calls + 1);
			/* The unused fault. */
			sim_control("{\"clear_faults\": true}");
		}
		/* The next call works (after a new session, if the last one
		 * was dropped). */
		CU_ASSERT_EQUAL(supd_tr50_mailbox_check(t, 5, &msgs, &err),
				SUPD_TR50_OK);
		json_object_put(msgs);
		msgs = NULL;
	}
	supd_tr50_free(t);
}

/* A portal that echoes the session in its refusals: neither the stale
 * session nor the new one reaches a message. */
static void test_reauth_no_session_in_messages(void)
{
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };
	struct json_object *msgs = NULL;
	const char *hex = "0123456789abcdef", *p;
	size_t run = 0;

	CU_ASSERT_EQUAL(supd_tr50_log_publish(t, "x", 2, &err), SUPD_TR50_OK);
	sim_control("{\"faults\": [{\"type\": \"cmd_error\", \"command\": "
		    "\"mailbox.check\", \"code\": -90000, \"message\": "
		    "\"invalid or expired session\", \"echo_session\": true, "
		    "\"count\": 2}]}");
	CU_ASSERT_EQUAL(supd_tr50_mailbox_check(t, 5, &msgs, &err),
			SUPD_TR50_ECMD);
	assert_err(&err,
		   "mailbox.check: portal error -90000: invalid or expired session (session [redacted])");
	assert_faults_used();
	/* No run of 32 hex digits (a simulator session id) anywhere. */
	for (p = err.message; p && *p; p++) {
		run = strchr(hex, *p) ? run + 1 : 0;
		CU_ASSERT_FATAL(run < 32);
	}
	supd_tr50_err_release(&err);
	supd_tr50_free(t);
}

/* HTTP 401 or 403 from /api: one new session, one retry; a new session
 * refused with 401 is a refusal of the credentials, and no loop. */
static void test_reauth_http(void)
{
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };
	struct json_object *msgs = NULL;
	size_t auths;

	CU_ASSERT_EQUAL(supd_tr50_log_publish(t, "x", 2, &err), SUPD_TR50_OK);
	auths = log_count("auth");
	sim_control("{\"faults\": [{\"type\": \"http_error\", \"status\": 403, "
		    "\"path\": \"api\"}]}");
	CU_ASSERT_EQUAL(supd_tr50_mailbox_check(t, 5, &msgs, &err), SUPD_TR50_OK);
	CU_ASSERT_PTR_NULL(err.message);
	json_object_put(msgs);
	msgs = NULL;
	CU_ASSERT_EQUAL(log_count("auth"), auths + 1);

	/* The command and the new api.authenticate both get 401. */
	sim_control("{\"faults\": [{\"type\": \"http_error\", \"status\": 401, "
		    "\"path\": \"api\", \"count\": 2}]}");
	CU_ASSERT_EQUAL(supd_tr50_mailbox_check(t, 5, &msgs, &err),
			SUPD_TR50_EAUTH);
	CU_ASSERT_PTR_NULL(msgs);
	assert_err(&err,
		   "mailbox.check: api.authenticate: {api} refused the credentials of thing 'gw1': HTTP 401");
	supd_tr50_err_release(&err);
	assert_faults_used();
	/* Nothing left over: the next call logs in and works. */
	CU_ASSERT_EQUAL(supd_tr50_mailbox_check(t, 5, &msgs, &err), SUPD_TR50_OK);
	json_object_put(msgs);
	CU_ASSERT_EQUAL(log_count("auth"), auths + 2);
	supd_tr50_free(t);
}

/* The ack of a completed message, in every wording the simulator has. */
static void test_ack_done_dialects(void)
{
	static const struct {
		const char *name;
		int code;
		const char *msg;
	} cases[] = {
		{ "tr50", -90012, "message already completed" },
		{ "acknowledged", -90020,
		  "Mailbox message has already been acknowledged" },
		{ "status", -90000, "mailbox message status is COMPLETED" },
	};
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *c, *want;

		CU_ASSERT_FATAL(asprintf(&c,
					 "{\"dialect\": {\"ack\": \"%s\"}, "
					 "\"enqueue\": {\"id\": \"ad-%s\", "
					 "\"command\": \"gateway.sup.update\"}}",
					 cases[i].name, cases[i].name) >= 0);
		sim_control(c);
		free(c);
		CU_ASSERT_FATAL(asprintf(&c, "ad-%s", cases[i].name) >= 0);
		CU_ASSERT_EQUAL(supd_tr50_mailbox_ack(t, c, 0, NULL, NULL, &err),
				SUPD_TR50_OK);
		CU_ASSERT_EQUAL(supd_tr50_mailbox_ack(t, c, 0, NULL, NULL, &err),
				SUPD_TR50_EDONE);
		CU_ASSERT_EQUAL(err.code, cases[i].code);
		CU_ASSERT_FATAL(asprintf(&want,
					 "mailbox.ack '%s': portal error %d: %s",
					 c, cases[i].code, cases[i].msg) >= 0);
		assert_err(&err, want);
		supd_tr50_err_release(&err);
		free(want);
		free(c);
	}
	sim_dialect("{\"ack\": \"tr50\"}");

	/* Not found is not done. */
	CU_ASSERT_EQUAL(supd_tr50_mailbox_ack(t, "nope", 0, NULL, NULL, &err),
			SUPD_TR50_ECMD);
	CU_ASSERT_EQUAL(err.code, -90011);
	supd_tr50_err_release(&err);
	/* Nor is a session that is "already closed" (one new session, one
	 * more try, then the refusal stands). */
	sim_control("{\"enqueue\": {\"id\": \"ad-s\", \"command\": \"x\"}, "
		    "\"faults\": [{\"type\": \"cmd_error\", \"command\": "
		    "\"mailbox.ack\", \"code\": -4711, \"message\": "
		    "\"session already closed\", \"count\": 2}]}");
	CU_ASSERT_EQUAL(supd_tr50_mailbox_ack(t, "ad-s", 0, NULL, NULL, &err),
			SUPD_TR50_ECMD);
	CU_ASSERT_EQUAL(err.code, -4711);
	supd_tr50_err_release(&err);
	assert_faults_used();
	/* The message was never acked: the first real ack is taken. */
	CU_ASSERT_EQUAL(supd_tr50_mailbox_ack(t, "ad-s", 0, NULL, NULL, &err),
			SUPD_TR50_OK);
	supd_tr50_free(t);
}

/* JSON arrays of codes and messages, as a portal's refusal has them. */
static bool refusal(bool (*f)(struct json_object *, struct json_object *),
		    const char *codes, const char *msgs)
{
	struct json_object *c = codes ? json_tokener_parse(codes) : NULL;
	struct json_object *m = msgs ? json_tokener_parse(msgs) : NULL;
	bool r = f(c, m);

	json_object_put(c);
	json_object_put(m);
	return r;
}

static void test_refusal_words(void)
{
	static const struct {
		const char *codes, *msgs;
		bool auth, done;
	} cases[] = {
		{ "[-90008]", "[\"session expired\"]", true, false },
		{ "[-90000]", "[\"invalid or expired session\"]", true, false },
		{ "[-90002]", NULL, true, false },
		{ "[1]", "[\"Authentication failed\"]", true, false },
		{ "[1]", "[\"NOT AUTHENTICATED\"]", true, false },
		{ "[1]", "[\"unauthorised\"]", true, false },
		{ "[1]", "[\"login required\"]", true, false },
		{ "[1]", "[\"Invalid credentials\"]", true, false },
		{ "[1]", "[\"403 Forbidden\"]", true, false },
		{ NULL, "[\"x\", \"Session not found\"]", true, false },
		{ "[-90012]", "[\"message already completed\"]", false, true },
		{ "[-90012]", NULL, false, true },
		{ "[-1]", "[\"Message already acknowledged\"]", false, true },
		{ "[-1]", "[\"mailbox message was already acked\"]", false,
		  true },
		{ "[-1]", "[\"message has already been processed\"]", false,
		  true },
		{ "[-1]", "[\"message 'm-1' is completed\"]", false, true },
		{ "[-1]", "[\"Message status is COMPLETED\"]", false, true },
		{ "[-1]", "[\"message state completed\"]", false, true },
		{ "[-1]", "[\"message is not pending\"]", false, true },
		{ "[-1]", "[\"session already closed\"]", true, false },
		{ "[-90011]", "[\"message not found\"]", false, false },
		{ "[-90004]", "[\"bad errorCode\"]", false, false },
		{ "[-1]", "[\"could not be completed\"]", false, false },
		{ "\"-90008\"", "\"session expired\"", false, false },
		{ "[\"-90012\"]", "[7]", false, false },
		{ NULL, NULL, false, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool a = refusal(supd_tr50_is_auth_refusal, cases[i].codes,
				 cases[i].msgs);
		bool d = refusal(supd_tr50_is_done_refusal, cases[i].codes,
				 cases[i].msgs);

		if (a != cases[i].auth || d != cases[i].done)
			fprintf(stderr, "\n  case %zu (%s, %s): auth %d done %d\n",
				i, cases[i].codes ? cases[i].codes : "-",
				cases[i].msgs ? cases[i].msgs : "-", a, d);
		CU_ASSERT_EQUAL(a, cases[i].auth);
		CU_ASSERT_EQUAL(d, cases[i].done);
	}
}

static void test_bad_credentials(void)
{
	struct supd_tr50 *t = client_with("wrong-token", 10);
	struct supd_tr50_err err = { 0 };
	struct json_object *msgs = NULL, *log;

	CU_ASSERT_EQUAL(supd_tr50_mailbox_check(t, 5, &msgs, &err),
			SUPD_TR50_EAUTH);
	CU_ASSERT_EQUAL(err.code, -90002);
	assert_err(&err,
		   "mailbox.check: api.authenticate: {api} refused the credentials of thing 'gw1': portal error -90002: authentication failed");
	CU_ASSERT_PTR_NULL(strstr(err.message, "wrong-token"));
	log = sim_log();
	CU_ASSERT_FALSE(json_object_get_boolean(last(log, "auth", "success")));
	CU_ASSERT_PTR_NULL(strstr(json_object_to_json_string(log),
				  "wrong-token"));
	json_object_put(log);
	supd_tr50_err_release(&err);
	supd_tr50_free(t);
}

static void test_mailbox(void)
{
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };
	struct json_object *msgs = NULL, *m, *v, *params, *log;
	const char *id;

	sim_control("{\"enqueue\": [{\"id\": \"m1\", \"command\": "
		    "\"method.exec\", \"params\": {\"method\": "
		    "\"gateway.sup.update\", \"params\": {\"name\": "
		    "\"update.sup\", \"timeout\": 600}}}, {\"id\": \"m2\", "
		    "\"command\": \"gateway.sup.update\", \"params\": "
		    "{\"name\": \"b.sup\"}}]}");
	CU_ASSERT_EQUAL(supd_tr50_mailbox_check(t, 10, &msgs, &err), SUPD_TR50_OK);
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(msgs), 2);
	m = json_object_array_get_idx(msgs, 0);
	CU_ASSERT(json_object_object_get_ex(m, "id", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "m1");
	CU_ASSERT(json_object_object_get_ex(m, "command", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "method.exec");
	CU_ASSERT(json_object_object_get_ex(m, "thingKey", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "gw1");
	json_object_put(msgs);

	/* limit is passed on; autoComplete is false. */
	CU_ASSERT_EQUAL(supd_tr50_mailbox_check(t, 1, &msgs, &err), SUPD_TR50_OK);
	CU_ASSERT_EQUAL(json_object_array_length(msgs), 1);
	json_object_put(msgs);
	log = sim_log();
	v = last(log, "api", "params");
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(
				       v, JSON_C_TO_STRING_PLAIN),
			       "{\"autoComplete\":false,\"limit\":1}");
	json_object_put(log);

	CU_ASSERT_EQUAL(supd_tr50_mailbox_update(t, "m1", "downloading", &err),
			SUPD_TR50_OK);
	log = sim_log();
	CU_ASSERT_STRING_EQUAL(last_str(log, "updates", "id"), "m1");
	CU_ASSERT_STRING_EQUAL(last_str(log, "updates", "msg"), "downloading");
	json_object_put(log);

	params = json_object_new_object();
	json_object_object_add(params, "package", json_object_new_string("p"));
	CU_ASSERT_EQUAL(supd_tr50_mailbox_ack(t, "m1", 1, "action 'a' failed",
					    params, &err),
			SUPD_TR50_OK);
	log = sim_log();
	CU_ASSERT_STRING_EQUAL(last_str(log, "acks", "id"), "m1");
	CU_ASSERT_EQUAL(json_object_get_int(last(log, "acks", "errorCode")), 1);
	CU_ASSERT_STRING_EQUAL(last_str(log, "acks", "errorMessage"),
			       "action 'a' failed");
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(
				       last(log, "acks", "params"),
				       JSON_C_TO_STRING_PLAIN),
			       "{\"package\":\"p\"}");
	json_object_put(log);

	/* A second ack of the same message is refused: already done. */
	CU_ASSERT_EQUAL(supd_tr50_mailbox_ack(t, "m1", 0, NULL, NULL, &err),
			SUPD_TR50_EDONE);
	CU_ASSERT_EQUAL(err.code, -90012);
	assert_err(&err,
		   "mailbox.ack 'm1': portal error -90012: message already completed");
	supd_tr50_err_release(&err);
	json_object_put(params);

	/* Only the un-acked message comes back. */
	CU_ASSERT_EQUAL(supd_tr50_mailbox_check(t, 10, &msgs, &err), SUPD_TR50_OK);
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(msgs), 1);
	m = json_object_array_get_idx(msgs, 0);
	json_object_object_get_ex(m, "id", &v);
	id = json_object_get_string(v);
	CU_ASSERT_STRING_EQUAL(id, "m2");
	json_object_put(msgs);

	CU_ASSERT_EQUAL(supd_tr50_mailbox_update(t, "nope", "x", &err),
			SUPD_TR50_ECMD);
	CU_ASSERT_EQUAL(err.code, -90011);
	assert_err(&err,
		   "mailbox.update 'nope': portal error -90011: message not found");
	supd_tr50_err_release(&err);
	supd_tr50_free(t);
}

static void test_log_publish(void)
{
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };
	struct json_object *log;

	CU_ASSERT_EQUAL(supd_tr50_log_publish(t, "action 'a': failed", 0, &err),
			SUPD_TR50_OK);
	log = sim_log();
	CU_ASSERT_STRING_EQUAL(last_str(log, "logs", "thingKey"), "gw1");
	CU_ASSERT_STRING_EQUAL(last_str(log, "logs", "msg"),
			       "action 'a': failed");
	CU_ASSERT_EQUAL(json_object_get_int(last(log, "logs", "level")), 0);
	json_object_put(log);
	supd_tr50_free(t);
}

static void test_call_unknown_command(void)
{
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };
	struct json_object *reply = (struct json_object *)&err;

	CU_ASSERT_EQUAL(supd_tr50_call(t, "thing.frobnicate", NULL, &reply, &err),
			SUPD_TR50_ECMD);
	CU_ASSERT_PTR_NULL(reply);
	CU_ASSERT_EQUAL(err.code, -90006);
	assert_err(&err,
		   "thing.frobnicate: portal error -90006: unknown command");
	supd_tr50_err_release(&err);
	supd_tr50_free(t);
}

static void test_http_500(void)
{
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };
	struct json_object *msgs = NULL;

	CU_ASSERT_EQUAL(supd_tr50_log_publish(t, "x", 2, &err), SUPD_TR50_OK);
	sim_control("{\"faults\": [{\"type\": \"http_error\", \"status\": 500}]}");
	CU_ASSERT_EQUAL(supd_tr50_mailbox_check(t, 5, &msgs, &err),
			SUPD_TR50_ENET);
	CU_ASSERT_PTR_NULL(msgs);
	assert_err(&err, "mailbox.check: HTTP 500 from {api}");
	supd_tr50_err_release(&err);
	/* Only the next call was hit. */
	CU_ASSERT_EQUAL(supd_tr50_mailbox_check(t, 5, &msgs, &err), SUPD_TR50_OK);
	json_object_put(msgs);
	supd_tr50_free(t);
}

static void test_slow_reply(void)
{
	struct supd_tr50 *t = client_with(TOKEN, 1);
	struct supd_tr50_err err = { 0 };

	CU_ASSERT_EQUAL(supd_tr50_log_publish(t, "x", 2, &err), SUPD_TR50_OK);
	sim_control("{\"faults\": [{\"type\": \"slow\", \"seconds\": 3}]}");
	CU_ASSERT_EQUAL(supd_tr50_log_publish(t, "y", 2, &err), SUPD_TR50_ENET);
	assert_err(&err, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "log.publish: request to "));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "timed out"));
	supd_tr50_err_release(&err);
	supd_tr50_free(t);
}

/* The next count api calls (of command only, if not NULL) get HTTP 200
 * with body (repeat times) as it is. */
static void sim_raw_replies(const char *body, int repeat, int count,
			    const char *command)
{
	struct json_object *c = json_object_new_object();
	struct json_object *faults = json_object_new_array();
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "type", json_object_new_string("raw_reply"));
	json_object_object_add(f, "body", json_object_new_string(body));
	json_object_object_add(f, "repeat", json_object_new_int(repeat));
	json_object_object_add(f, "count", json_object_new_int(count));
	if (command)
		json_object_object_add(f, "command",
				       json_object_new_string(command));
	json_object_array_add(faults, f);
	json_object_object_add(c, "faults", faults);
	sim_control(json_object_to_json_string(c));
	json_object_put(c);
}

static void sim_raw_reply(const char *body, int repeat)
{
	sim_raw_replies(body, repeat, 1, NULL);
}

/* Replies that are not what TR50 promises. */
static void test_hostile_replies(void)
{
	static const struct {
		const char *body;
		int repeat;
		const char *msg;
	} cases[] = {
		{ "<html>oops</html>", 1,
		  "mailbox.check: reply from {api} is not valid JSON: unexpected character" },
		{ "[1]", 1,
		  "mailbox.check: reply from {api} is not valid JSON: it is not an object" },
		{ "{} x", 1,
		  "mailbox.check: reply from {api} is not valid JSON: unexpected character" },
		{ "{\"1\": ", 1,
		  "mailbox.check: reply from {api} is not valid JSON: it ends early" },
		{ "[", 40,
		  "mailbox.check: reply from {api} is not valid JSON: nesting too deep" },
		{ "                ", 270000,
		  "mailbox.check: reply from {api} is larger than 4194304 bytes" },
		{ "{\"2\": {}}", 1,
		  "mailbox.check: reply from {api} has no result for the command" },
		{ "{\"1\": {\"success\": true, \"params\": {\"messages\": 5}}}", 1,
		  "mailbox.check: reply from {api} has a messages member that is not an array" },
	};
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };
	struct supd_tr50_file f = { 0 };
	struct json_object *msgs = NULL;

	CU_ASSERT_EQUAL(supd_tr50_log_publish(t, "x", 2, &err), SUPD_TR50_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sim_raw_reply(cases[i].body, cases[i].repeat);
		CU_ASSERT_EQUAL(supd_tr50_mailbox_check(t, 5, &msgs, &err),
				SUPD_TR50_EDATA);
		CU_ASSERT_PTR_NULL(msgs);
		assert_err(&err, cases[i].msg);
		supd_tr50_err_release(&err);
	}

	/* An empty mailbox may come without params at all. */
	sim_raw_reply("{\"1\": {\"success\": true}}\r\n", 1);
	CU_ASSERT_EQUAL(supd_tr50_mailbox_check(t, 5, &msgs, &err), SUPD_TR50_OK);
	CU_ASSERT_EQUAL(json_object_array_length(msgs), 0);
	json_object_put(msgs);

	/* A portal that answers a bad session for the whole request. */
	sim_raw_reply("{\"success\": false, \"errorCodes\": [-90008], "
		      "\"errorMessages\": [\"invalid session\"]}", 1);
	CU_ASSERT_EQUAL(supd_tr50_mailbox_check(t, 5, &msgs, &err), SUPD_TR50_OK);
	json_object_put(msgs);

	/* file.get with a crc32 that is no number, then a negative one (the
	 * same bits as unsigned). */
	sim_raw_reply("{\"1\": {\"success\": true, \"params\": {\"fileId\": "
		      "\"ab\", \"fileSize\": 3, \"crc32\": \"1\"}}}", 1);
	CU_ASSERT_EQUAL(supd_tr50_file_get(t, "a.sup", &f, &err),
			SUPD_TR50_EDATA);
	CU_ASSERT_PTR_NULL(f.file_id);
	assert_err(&err,
		   "file.get 'a.sup': reply from {api} lacks a valid fileId, fileSize or crc32");
	supd_tr50_err_release(&err);
	sim_raw_reply("{\"1\": {\"success\": true, \"params\": {\"fileId\": "
		      "\"ab\", \"fileSize\": 3, \"crc32\": -1}}}", 1);
	CU_ASSERT_EQUAL(supd_tr50_file_get(t, "a.sup", &f, &err), SUPD_TR50_OK);
	CU_ASSERT_EQUAL(f.crc32, 0xFFFFFFFFu);
	CU_ASSERT_EQUAL(f.size, 3);
	supd_tr50_file_release(&f);

	/* A portal error message with control characters and our token
	 * (a message about a token may mean an expired session: the same
	 * answer twice, to a new session too). */
	sim_raw_replies("{\"1\": {\"success\": false, \"errorCodes\": [7], "
			"\"errorMessages\": [\"bad\\u001b[2J " TOKEN "\"]}}", 1,
			2, "mailbox.check");
	CU_ASSERT_EQUAL(supd_tr50_mailbox_check(t, 5, &msgs, &err),
			SUPD_TR50_ECMD);
	CU_ASSERT_EQUAL(err.code, 7);
	assert_err(&err,
		   "mailbox.check: portal error 7: bad\\x1b[2J [redacted]");
	supd_tr50_err_release(&err);
	supd_tr50_free(t);
}

/*
 * Regression (fuzz_tr50): a reply whose first header line is folded, after
 * a reply on the same client. libcurl before 8.1.0 joined the fold to the
 * previous reply's last header, freed by then (curl issue 11101): a
 * use-after-free under ASan, a success built on garbage without it. The
 * call must fail with a message, and the client must go on working.
 */
static void test_folded_first_header(void)
{
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };
	struct json_object *msgs = NULL, *c, *faults, *f;
	int64_t conns = api_connections();

	CU_ASSERT_EQUAL(supd_tr50_log_publish(t, "x", 2, &err), SUPD_TR50_OK);
	CU_ASSERT_EQUAL(api_connections(), conns + 1);
	c = json_object_new_object();
	faults = json_object_new_array();
	f = json_object_new_object();
	json_object_object_add(f, "type", json_object_new_string("raw_reply"));
	json_object_object_add(f, "body",
			       json_object_new_string("{\"1\": {\"success\": "
						      "true}}"));
	json_object_object_add(f, "fold", json_object_new_boolean(1));
	json_object_array_add(faults, f);
	json_object_object_add(c, "faults", faults);
	sim_control(json_object_to_json_string(c));
	json_object_put(c);

	CU_ASSERT_EQUAL(supd_tr50_mailbox_check(t, 5, &msgs, &err),
			SUPD_TR50_ENET);
	CU_ASSERT_PTR_NULL(msgs);
	assert_err(&err, NULL);
	if (err.message)
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message,
					      "mailbox.check: request to "));
	supd_tr50_err_release(&err);

	CU_ASSERT_EQUAL(supd_tr50_mailbox_check(t, 5, &msgs, &err),
			SUPD_TR50_OK);
	CU_ASSERT_PTR_NOT_NULL(msgs);
	json_object_put(msgs);
	supd_tr50_free(t);
}

/* A handle per request, one connection for all of them (the share). */
static void test_connection_reused(void)
{
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };
	struct json_object *msgs = NULL;
	int64_t conns = api_connections();

	for (int i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(supd_tr50_mailbox_check(t, 5, &msgs, &err),
				SUPD_TR50_OK);
		json_object_put(msgs);
		msgs = NULL;
	}
	CU_ASSERT_EQUAL(api_connections(), conns + 1);
	supd_tr50_free(t);
}

static void test_unreachable(void)
{
	struct supd_tr50_opts o = { .endpoint = "http://127.0.0.1:1",
				  .app_id = "app", .app_token = TOKEN,
				  .thing_key = "gw1", .insecure = true };
	struct supd_tr50_err err = { 0 };
	struct supd_tr50 *t;

	CU_ASSERT_EQUAL_FATAL(supd_tr50_new(&t, &o, &err), SUPD_TR50_OK);
	CU_ASSERT_EQUAL(supd_tr50_log_publish(t, "x", 2, &err), SUPD_TR50_ENET);
	CU_ASSERT_PTR_NOT_NULL(err.message);
	CU_ASSERT_PTR_NOT_NULL(strstr(
		err.message,
		"log.publish: api.authenticate: request to http://127.0.0.1:1/api failed: "));
	supd_tr50_err_release(&err);
	supd_tr50_free(t);
}

/* --- files --- */

struct progress {
	uint64_t done, total;
	int calls;
};

static void on_progress(void *data, uint64_t done, uint64_t total)
{
	struct progress *p = data;

	p->done = done;
	p->total = total;
	p->calls++;
}

static unsigned char *expected_data(void)
{
	unsigned char *d = malloc(FILE_SIZE);

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	fill(d, FILE_SIZE, 42);
	return d;
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void test_file_get(void)
{
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };
	struct supd_tr50_file f = { 0 };
	unsigned char *d = expected_data();
	char *src = tu_path(sim.dir, "files/update.sup");
	uint32_t crc;

	CU_ASSERT_EQUAL(supd_tr50_file_get(t, "update.sup", &f, &err),
			SUPD_TR50_OK);
	CU_ASSERT_PTR_NOT_NULL(f.file_id);
	CU_ASSERT_EQUAL(f.size, FILE_SIZE);
	CU_ASSERT_EQUAL(supd_crc32_file(src, &crc), 0);
	CU_ASSERT_EQUAL(f.crc32, crc);
	supd_tr50_file_release(&f);
	CU_ASSERT_PTR_NULL(f.file_id);

	CU_ASSERT_EQUAL(supd_tr50_file_get(t, "nope.sup", &f, &err),
			SUPD_TR50_ECMD);
	CU_ASSERT_EQUAL(err.code, -90010);
	assert_err(&err,
		   "file.get 'nope.sup': portal error -90010: file not found");
	supd_tr50_err_release(&err);

	/* A wrong crc32 from the portal is passed on as it is. */
	sim_control("{\"faults\": [{\"type\": \"bad_crc\", \"file\": "
		    "\"update.sup\"}]}");
	CU_ASSERT_EQUAL(supd_tr50_file_get(t, "update.sup", &f, &err),
			SUPD_TR50_OK);
	CU_ASSERT_NOT_EQUAL(f.crc32, crc);
	supd_tr50_file_release(&f);
	sim_control("{\"clear_faults\": true}");
	free(src);
	free(d);
	supd_tr50_free(t);
}

static void test_download_resume(void)
{
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };
	struct supd_tr50_file f = { 0 };
	struct progress pr = { 0 };
	unsigned char *d = expected_data();
	char *dir = tu_mkdtemp(), *part, *want;
	struct json_object *log;
	size_t len;
	char *got;
	uint32_t crc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	part = tu_path(dir, "update.sup.part");
	CU_ASSERT_EQUAL(supd_tr50_file_get(t, "update.sup", &f, &err),
			SUPD_TR50_OK);

	/* The connection drops after 100000 bytes: they are kept. */
	sim_control("{\"faults\": [{\"type\": \"drop\", \"after\": 100000}]}");
	CU_ASSERT_EQUAL(supd_tr50_download(t, f.file_id, part, f.size,
					 on_progress, &pr, &err),
			SUPD_TR50_ENET);
	CU_ASSERT_PTR_NOT_NULL_FATAL(err.message);
	CU_ASSERT_EQUAL(file_size(part), 100000);
	CU_ASSERT_EQUAL(pr.done, 100000);
	CU_ASSERT_EQUAL(pr.total, FILE_SIZE);
	CU_ASSERT_FATAL(asprintf(&want,
				 "download to '%s': GET %s/file/%s broke off at byte 100000 of 300000: ",
				 part, sim.endpoint, f.file_id) >= 0);
	CU_ASSERT_NSTRING_EQUAL(err.message, want, strlen(want));
	free(want);
	supd_tr50_err_release(&err);

	/* The file id was single use. */
	CU_ASSERT_EQUAL(supd_tr50_download(t, f.file_id, part, f.size, NULL,
					 NULL, &err),
			SUPD_TR50_ENET);
	CU_ASSERT_FATAL(asprintf(&want,
				 "download to '%s': HTTP 410 from %s/file/%s",
				 part, sim.endpoint, f.file_id) >= 0);
	CU_ASSERT_STRING_EQUAL(err.message, want);
	free(want);
	supd_tr50_err_release(&err);
	CU_ASSERT_EQUAL(file_size(part), 100000);
	supd_tr50_file_release(&f);

	/* A new file id resumes where the file ends. */
	CU_ASSERT_EQUAL(supd_tr50_file_get(t, "update.sup", &f, &err),
			SUPD_TR50_OK);
	pr.calls = 0;
	CU_ASSERT_EQUAL(supd_tr50_download(t, f.file_id, part, f.size,
					 on_progress, &pr, &err),
			SUPD_TR50_OK);
	CU_ASSERT_PTR_NULL(err.message);
	CU_ASSERT(pr.calls > 0);
	CU_ASSERT_EQUAL(pr.done, FILE_SIZE);
	CU_ASSERT_EQUAL(supd_crc32_file(part, &crc), 0);
	CU_ASSERT_EQUAL(crc, f.crc32);
	got = tu_read_file(part, &len);
	CU_ASSERT_FATAL(got && len == FILE_SIZE);
	CU_ASSERT(memcmp(got, d, FILE_SIZE) == 0);
	free(got);
	log = sim_log();
	CU_ASSERT_EQUAL(json_object_get_int(last(log, "downloads", "status")),
			206);
	CU_ASSERT_EQUAL(json_object_get_int(last(log, "downloads", "start")),
			100000);
	json_object_put(log);

	/* A complete file needs no transfer at all. */
	CU_ASSERT_EQUAL(supd_tr50_download(t, "unused", part, f.size, NULL, NULL,
					 &err),
			SUPD_TR50_OK);
	supd_tr50_file_release(&f);
	tu_rm_rf(dir);
	free(part);
	free(dir);
	free(d);
	supd_tr50_free(t);
}

static void test_download_restart_on_200(void)
{
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };
	struct supd_tr50_file f = { 0 };
	unsigned char *d = expected_data();
	char *dir = tu_mkdtemp(), *part, *got;
	struct json_object *log;
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	part = tu_path(dir, "update.sup.part");
	CU_ASSERT_EQUAL(tu_write_str(part, "stale bytes from another file"), 0);
	sim_control("{\"faults\": [{\"type\": \"ignore_range\"}]}");
	CU_ASSERT_EQUAL(supd_tr50_file_get(t, "update.sup", &f, &err),
			SUPD_TR50_OK);
	CU_ASSERT_EQUAL(supd_tr50_download(t, f.file_id, part, f.size, NULL,
					 NULL, &err),
			SUPD_TR50_OK);
	got = tu_read_file(part, &len);
	CU_ASSERT_FATAL(got && len == FILE_SIZE);
	CU_ASSERT(memcmp(got, d, FILE_SIZE) == 0);
	free(got);
	log = sim_log();
	CU_ASSERT_EQUAL(json_object_get_int(last(log, "downloads", "status")),
			200);
	json_object_put(log);
	supd_tr50_file_release(&f);
	tu_rm_rf(dir);
	free(part);
	free(dir);
	free(d);
	supd_tr50_free(t);
}

static void test_download_too_long(void)
{
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };
	struct supd_tr50_file f = { 0 };
	char *dir = tu_mkdtemp(), *part, *want;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	part = tu_path(dir, "update.sup.part");
	CU_ASSERT_EQUAL(supd_tr50_file_get(t, "update.sup", &f, &err),
			SUPD_TR50_OK);
	/* Never a byte past the size we were told. */
	CU_ASSERT_EQUAL(supd_tr50_download(t, f.file_id, part, 1000, NULL, NULL,
					 &err),
			SUPD_TR50_EDATA);
	CU_ASSERT_EQUAL(file_size(part), 1000);
	CU_ASSERT_FATAL(asprintf(&want,
				 "download to '%s': %s/file/%s sent more than the expected 1000 bytes",
				 part, sim.endpoint, f.file_id) >= 0);
	CU_ASSERT_STRING_EQUAL(err.message, want);
	free(want);
	supd_tr50_err_release(&err);
	supd_tr50_file_release(&f);
	tu_rm_rf(dir);
	free(part);
	free(dir);
	supd_tr50_free(t);
}

static void test_download_range_refused(void)
{
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };
	struct supd_tr50_file f = { 0 };
	unsigned char *d = expected_data();
	char *dir = tu_mkdtemp(), *part, *want;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	part = tu_path(dir, "update.sup.part");
	/* We were told of more bytes than the portal has: it cannot serve
	 * the rest, and what we have is dropped. */
	CU_ASSERT_EQUAL(tu_write_file(part, d, FILE_SIZE), 0);
	CU_ASSERT_EQUAL(supd_tr50_file_get(t, "update.sup", &f, &err),
			SUPD_TR50_OK);
	CU_ASSERT_EQUAL(supd_tr50_download(t, f.file_id, part, FILE_SIZE + 10,
					 NULL, NULL, &err),
			SUPD_TR50_EDATA);
	CU_ASSERT_FATAL(asprintf(&want,
				 "download to '%s': HTTP 416 from %s/file/%s for byte 300000 on: the partial file was discarded",
				 part, sim.endpoint, f.file_id) >= 0);
	CU_ASSERT_STRING_EQUAL(err.message, want);
	free(want);
	CU_ASSERT_EQUAL(file_size(part), 0);
	supd_tr50_err_release(&err);
	supd_tr50_file_release(&f);
	tu_rm_rf(dir);
	free(part);
	free(dir);
	free(d);
	supd_tr50_free(t);
}

static void test_download_local_errors(void)
{
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };
	char *dir = tu_mkdtemp(), *part, *want;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	part = tu_path(dir, "no/such/dir.part");
	CU_ASSERT_EQUAL(supd_tr50_download(t, "ab", part, 10, NULL, NULL, &err),
			SUPD_TR50_ELOCAL);
	CU_ASSERT_FATAL(asprintf(&want,
				 "download to '%s': cannot open: No such file or directory",
				 part) >= 0);
	CU_ASSERT_STRING_EQUAL(err.message, want);
	free(want);
	free(part);
	supd_tr50_err_release(&err);

	/* A file id from the portal goes into the URL escaped. */
	part = tu_path(dir, "x.part");
	CU_ASSERT_EQUAL(supd_tr50_download(t, "a/../b?c", part, 10, NULL, NULL,
					 &err),
			SUPD_TR50_ENET);
	CU_ASSERT_FATAL(asprintf(&want,
				 "download to '%s': HTTP 404 from %s/file/a%%2F..%%2Fb%%3Fc",
				 part, sim.endpoint) >= 0);
	CU_ASSERT_STRING_EQUAL(err.message, want);
	free(want);
	CU_ASSERT_EQUAL(file_size(part), 0);
	supd_tr50_err_release(&err);
	tu_rm_rf(dir);
	free(part);
	free(dir);
	supd_tr50_free(t);
}

static void test_download_stall(void)
{
	struct supd_tr50 *t = client_with(TOKEN, 1);
	struct supd_tr50_err err = { 0 };
	struct supd_tr50_file f = { 0 };
	char *dir = tu_mkdtemp(), *part, *want;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	part = tu_path(dir, "update.sup.part");
	CU_ASSERT_EQUAL(supd_tr50_file_get(t, "update.sup", &f, &err),
			SUPD_TR50_OK);
	sim_control("{\"faults\": [{\"type\": \"stall\", \"after\": 5000, "
		    "\"seconds\": 4}]}");
	CU_ASSERT_EQUAL(supd_tr50_download(t, f.file_id, part, f.size, NULL,
					 NULL, &err),
			SUPD_TR50_ENET);
	CU_ASSERT_FATAL(asprintf(&want,
				 "download to '%s': GET %s/file/%s broke off at byte 5000 of 300000: no data for 1 s",
				 part, sim.endpoint, f.file_id) >= 0);
	CU_ASSERT_STRING_EQUAL(err.message, want);
	free(want);
	CU_ASSERT_EQUAL(file_size(part), 5000);
	supd_tr50_err_release(&err);
	supd_tr50_file_release(&f);
	tu_rm_rf(dir);
	free(part);
	free(dir);
	supd_tr50_free(t);
}

static void test_file_put(void)
{
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };
	char *dir = tu_mkdtemp(), *path, *missing;
	char hex[SK_SHA256_HEX_LEN + 1];
	unsigned char *d = malloc(200001);
	struct json_object *log;
	unsigned long long size;
	size_t uploads = log_count("uploads");

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	path = tu_path(dir, "confirmation.json");
	missing = tu_path(dir, "missing.json");
	fill(d, 200001, 7);
	CU_ASSERT_EQUAL(tu_write_file(path, d, 200001), 0);
	CU_ASSERT_EQUAL(sk_sha256_file(path, hex, &size), 0);
	CU_ASSERT_EQUAL(supd_tr50_file_put(t, "confirmation-gw1-m1.json", path,
					 &err),
			SUPD_TR50_OK);
	CU_ASSERT_PTR_NULL(err.message);
	log = sim_log();
	CU_ASSERT_EQUAL(json_object_array_length(log_list(log, "uploads")),
			uploads + 1);
	CU_ASSERT_STRING_EQUAL(last_str(log, "uploads", "fileName"),
			       "confirmation-gw1-m1.json");
	CU_ASSERT_STRING_EQUAL(last_str(log, "uploads", "thingKey"), "gw1");
	CU_ASSERT_EQUAL(json_object_get_int64(last(log, "uploads", "size")),
			200001);
	CU_ASSERT_STRING_EQUAL(last_str(log, "uploads", "sha256"), hex);
	json_object_put(log);

	/* An empty file too. */
	CU_ASSERT_EQUAL(tu_write_str(path, ""), 0);
	CU_ASSERT_EQUAL(supd_tr50_file_put(t, "empty.json", path, &err),
			SUPD_TR50_OK);
	log = sim_log();
	CU_ASSERT_EQUAL(json_object_get_int64(last(log, "uploads", "size")), 0);
	json_object_put(log);

	/* Nothing to read: no file id is asked for. */
	CU_ASSERT_EQUAL(supd_tr50_file_put(t, "x.json", missing, &err),
			SUPD_TR50_ELOCAL);
	CU_ASSERT_FATAL(err.message != NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "file.put 'x.json': cannot read '"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "No such file or directory"));
	supd_tr50_err_release(&err);

	/* The portal refuses the upload itself. */
	CU_ASSERT_EQUAL(tu_write_str(path, "{}"), 0);
	sim_control("{\"faults\": [{\"type\": \"http_error\", \"status\": 503, "
		    "\"path\": \"file\"}]}");
	CU_ASSERT_EQUAL(supd_tr50_file_put(t, "c.json", path, &err),
			SUPD_TR50_ENET);
	CU_ASSERT_PTR_NOT_NULL(err.message);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "file.put 'c.json': "));
	supd_tr50_err_release(&err);

	tu_rm_rf(dir);
	free(missing);
	free(path);
	free(dir);
	free(d);
	supd_tr50_free(t);
}

/* The upload is a POST of the raw bytes (docs/tr50.md: the sources);
 * the simulator, like a real portal, refuses PUT. */
static void test_file_put_post(void)
{
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };
	char *dir = tu_mkdtemp(), *path, *url = NULL;
	struct json_object *log;
	struct curl_slist *h;
	CURL *c;
	long status = 0;
	size_t auths, puts, attempts;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	path = tu_path(dir, "confirmation.json");
	CU_ASSERT_EQUAL(tu_write_str(path, "{\"result\": \"succeeded\"}\n"), 0);
	CU_ASSERT_EQUAL(supd_tr50_file_put(t, "post.json", path, &err),
			SUPD_TR50_OK);
	CU_ASSERT_PTR_NULL(err.message);
	log = sim_log();
	CU_ASSERT_STRING_EQUAL(last_str(log, "uploads", "fileName"),
			       "post.json");
	CU_ASSERT_STRING_EQUAL(last_str(log, "uploads", "method"), "POST");
	CU_ASSERT_STRING_EQUAL(last_str(log, "uploads", "contentType"),
			       "application/octet-stream");
	CU_ASSERT_EQUAL(json_object_get_int(last(log, "uploads", "size")), 24);
	CU_ASSERT_STRING_EQUAL(last_str(log, "upload_attempts", "method"),
			       "POST");
	json_object_put(log);

	/* PUT: 405, Allow: POST. */
	c = curl_easy_init();
	CU_ASSERT_FATAL(c && asprintf(&url, "%s/file/0123abcd",
				      sim.endpoint) >= 0);
	h = curl_slist_append(NULL, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, "x");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	if (sim.ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, sim.ca);
	CU_ASSERT_EQUAL(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	CU_ASSERT_EQUAL(status, 405);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	free(url);

	/* 401 from the POST: a new session, a new file id, POST again. */
	auths = log_count("auth");
	puts = api_count("file.put");
	attempts = log_count("upload_attempts");
	sim_control("{\"faults\": [{\"type\": \"http_error\", \"status\": 401, "
		    "\"path\": \"file\"}]}");
	CU_ASSERT_EQUAL(supd_tr50_file_put(t, "retry.json", path, &err),
			SUPD_TR50_OK);
	CU_ASSERT_PTR_NULL(err.message);
	CU_ASSERT_EQUAL(log_count("auth"), auths + 1);
	CU_ASSERT_EQUAL(api_count("file.put"), puts + 2);
	CU_ASSERT_EQUAL(log_count("upload_attempts"), attempts + 2);
	log = sim_log();
	CU_ASSERT_EQUAL(json_object_get_int(
				nth_last(log, "upload_attempts", 1, "status")),
			401);
	CU_ASSERT_EQUAL(json_object_get_int(
				last(log, "upload_attempts", "status")),
			200);
	CU_ASSERT_STRING_EQUAL(last_str(log, "uploads", "fileName"),
			       "retry.json");
	json_object_put(log);

	/* 403 twice: one retry, then the error stands; the next upload
	 * starts with a new session. */
	auths = log_count("auth");
	sim_control("{\"faults\": [{\"type\": \"http_error\", \"status\": 403, "
		    "\"path\": \"file\", \"count\": 2}]}");
	CU_ASSERT_EQUAL(supd_tr50_file_put(t, "no.json", path, &err),
			SUPD_TR50_ENET);
	assert_err(&err, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "file.put 'no.json': HTTP 403 from POST "));
	supd_tr50_err_release(&err);
	assert_faults_used();
	CU_ASSERT_EQUAL(log_count("auth"), auths + 1);
	CU_ASSERT_EQUAL(supd_tr50_file_put(t, "yes.json", path, &err),
			SUPD_TR50_OK);
	CU_ASSERT_EQUAL(log_count("auth"), auths + 2);

	tu_rm_rf(dir);
	free(path);
	free(dir);
	supd_tr50_free(t);
}

/* The POST stops when nothing moves for request_timeout_s, and at once
 * when cancelled; a cancelled upload is not tried again. */
static void test_file_put_stall_cancel(void)
{
	volatile sig_atomic_t stop = 0;
	struct supd_tr50_opts o = {
		.endpoint = sim.endpoint, .app_id = "app", .app_token = TOKEN,
		.thing_key = "gw1", .insecure = !sim.ca, .ca_bundle = sim.ca,
		.connect_timeout_s = 5, .request_timeout_s = 1, .cancel = &stop,
	};
	struct supd_tr50_err err = { 0 };
	struct supd_tr50 *t = NULL;
	char *dir = tu_mkdtemp(), *path;
	size_t uploads = log_count("uploads"), puts;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	CU_ASSERT_EQUAL_FATAL(supd_tr50_new(&t, &o, &err), SUPD_TR50_OK);
	path = tu_path(dir, "confirmation.json");
	CU_ASSERT_EQUAL(tu_write_str(path, "{}"), 0);
	sim_control("{\"faults\": [{\"type\": \"upload_stall\", "
		    "\"seconds\": 3}]}");
	CU_ASSERT_EQUAL(supd_tr50_file_put(t, "slow.json", path, &err),
			SUPD_TR50_ENET);
	assert_err(&err, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "file.put 'slow.json': POST "));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "failed: no data for 1 s"));
	supd_tr50_err_release(&err);

	stop = 1;
	puts = api_count("file.put");
	CU_ASSERT_EQUAL(supd_tr50_file_put(t, "stop.json", path, &err),
			SUPD_TR50_ENET);
	assert_err(&err, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "cancelled: stopping"));
	supd_tr50_err_release(&err);
	CU_ASSERT_EQUAL(api_count("file.put"), puts + 1);
	/* The stalled one arrived after we gave up; the cancelled one not. */
	CU_ASSERT(log_count("uploads") <= uploads + 1);
	tu_rm_rf(dir);
	free(path);
	free(dir);
	supd_tr50_free(t);
}

/* A 401 from the file server: the session is renewed before the next
 * try's file.get. */
static void test_download_401(void)
{
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };
	struct supd_tr50_file f = { 0 };
	char *dir = tu_mkdtemp(), *part;
	size_t auths;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	part = tu_path(dir, "update.sup.part");
	CU_ASSERT_EQUAL(supd_tr50_file_get(t, "update.sup", &f, &err),
			SUPD_TR50_OK);
	auths = log_count("auth");
	sim_control("{\"faults\": [{\"type\": \"http_error\", \"status\": 401, "
		    "\"path\": \"file\"}]}");
	CU_ASSERT_EQUAL(supd_tr50_download(t, f.file_id, part, f.size, NULL,
					 NULL, &err),
			SUPD_TR50_ENET);
	assert_err(&err, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "HTTP 401 from "));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "(a new session for the next try)"));
	supd_tr50_err_release(&err);
	supd_tr50_file_release(&f);
	CU_ASSERT_EQUAL(supd_tr50_file_get(t, "update.sup", &f, &err),
			SUPD_TR50_OK);
	CU_ASSERT_EQUAL(log_count("auth"), auths + 1);
	CU_ASSERT_EQUAL(supd_tr50_download(t, f.file_id, part, f.size, NULL,
					 NULL, &err),
			SUPD_TR50_OK);
	supd_tr50_file_release(&f);
	tu_rm_rf(dir);
	free(part);
	free(dir);
	supd_tr50_free(t);
}

/* --- TLS --- */

static void test_tls_verified(void)
{
	struct supd_tr50 *t = client();
	struct supd_tr50_err err = { 0 };
	struct supd_tr50_file f = { 0 };
	char *dir = tu_mkdtemp(), *part;
	uint32_t crc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	part = tu_path(dir, "update.sup.part");
	CU_ASSERT_EQUAL(supd_tr50_log_publish(t, "over tls", 2, &err),
			SUPD_TR50_OK);
	CU_ASSERT_EQUAL(supd_tr50_file_get(t, "update.sup", &f, &err),
			SUPD_TR50_OK);
	sim_control("{\"faults\": [{\"type\": \"drop\", \"after\": 70000}]}");
	CU_ASSERT_EQUAL(supd_tr50_download(t, f.file_id, part, f.size, NULL,
					 NULL, &err),
			SUPD_TR50_ENET);
	supd_tr50_err_release(&err);
	supd_tr50_file_release(&f);
	CU_ASSERT_EQUAL(supd_tr50_file_get(t, "update.sup", &f, &err),
			SUPD_TR50_OK);
	CU_ASSERT_EQUAL(supd_tr50_download(t, f.file_id, part, f.size, NULL,
					 NULL, &err),
			SUPD_TR50_OK);
	CU_ASSERT_EQUAL(supd_crc32_file(part, &crc), 0);
	CU_ASSERT_EQUAL(crc, f.crc32);
	CU_ASSERT_EQUAL(supd_tr50_file_put(t, "c.json", part, &err), SUPD_TR50_OK);
	supd_tr50_file_release(&f);
	tu_rm_rf(dir);
	free(part);
	free(dir);
	supd_tr50_free(t);
}

static void test_tls_unknown_ca(void)
{
	/* insecure only allows http: certificates are checked regardless. */
	struct supd_tr50_opts o = { .endpoint = sim.endpoint, .app_id = "app",
				  .app_token = TOKEN, .thing_key = "gw1",
				  .insecure = true, .connect_timeout_s = 5,
				  .request_timeout_s = 10 };
	struct supd_tr50_err err = { 0 };
	struct supd_tr50 *t;
	size_t auths = log_count("auth");

	CU_ASSERT_EQUAL_FATAL(supd_tr50_new(&t, &o, &err), SUPD_TR50_OK);
	CU_ASSERT_EQUAL(supd_tr50_log_publish(t, "x", 2, &err), SUPD_TR50_ENET);
	assert_err(&err, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message,
				      "log.publish: api.authenticate: request to "));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "certificate"));
	/* Nothing reached the portal. */
	CU_ASSERT_EQUAL(log_count("auth"), auths);
	supd_tr50_err_release(&err);
	supd_tr50_free(t);
}

static int suite_sim_init(void)
{
	return sim_start(false);
}

static int suite_tls_init(void)
{
	return sim_start(true);
}

static int suite_sim_clean(void)
{
	return sim_stop();
}

static CU_TestInfo local_tests[] = {
	{ "new refuses bad options", test_new_refuses },
	{ "crc32 of a file", test_crc32_file },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo api_tests[] = {
	{ "auth and session expiry", test_auth_and_session_expiry },
	{ "re-auth only once", test_reauth_only_once },
	{ "session dialects", test_session_dialects },
	{ "re-auth whatever the code", test_reauth_any_code },
	{ "re-auth after HTTP 401/403", test_reauth_http },
	{ "re-auth: no session in messages",
	  test_reauth_no_session_in_messages },
	{ "ack of a completed message", test_ack_done_dialects },
	{ "refusal words", test_refusal_words },
	{ "bad credentials", test_bad_credentials },
	{ "mailbox", test_mailbox },
	{ "log.publish", test_log_publish },
	{ "unknown command", test_call_unknown_command },
	{ "http 500", test_http_500 },
	{ "slow reply", test_slow_reply },
	{ "hostile replies", test_hostile_replies },
	{ "regression: folded first header", test_folded_first_header },
	{ "connection reused", test_connection_reused },
	{ "unreachable", test_unreachable },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo file_tests[] = {
	{ "file.get", test_file_get },
	{ "download resume", test_download_resume },
	{ "download restart on 200", test_download_restart_on_200 },
	{ "download too long", test_download_too_long },
	{ "download range refused", test_download_range_refused },
	{ "download local errors", test_download_local_errors },
	{ "download stall", test_download_stall },
	{ "file.put", test_file_put },
	{ "file.put is a POST", test_file_put_post },
	{ "file.put stall and cancel", test_file_put_stall_cancel },
	{ "download 401", test_download_401 },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo tls_tests[] = {
	{ "verified", test_tls_verified },
	{ "unknown CA", test_tls_unknown_ca },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "tr50 local", NULL, NULL, NULL, NULL, local_tests },
	{ "tr50 api", suite_sim_init, suite_sim_clean, NULL, NULL, api_tests },
	{ "tr50 files", suite_sim_init, suite_sim_clean, NULL, NULL,
	  file_tests },
	{ "tr50 tls", suite_tls_init, suite_sim_clean, NULL, NULL, tls_tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	if (tu_init() || CU_register_suites(suites) != CUE_SUCCESS)
		return tu_abort();
	return tu_run();
}
