/* SPDX-License-Identifier: MIT */
/*
 * fuzz_tr50.c - the TR50 client against a hostile portal: every reply
 * body it parses (api.authenticate, the command results, mailbox.check
 * messages, file.get fields, the answer to an upload) and the HTTP reply
 * of a download (status, Content-Range, body), through the public calls
 * of tr50.h, over HTTP on the loopback.
 *
 * Why a server and not a call into the parser: the replies are parsed in
 * static functions of tr50.c, and what matters is what the client makes
 * of them in sequence (authenticate, command, session refused, log in
 * again, retry). A thread of this process answers each request with the
 * next part of the input, so tr50.c is fuzzed unchanged.
 *
 * Input: byte 0 picks the call (see run()), bytes 1 and 2 are its
 * parameters, then the replies, separated by "\n---\n", one per request
 * in the order the client sends them:
 *   POST /api, PUT or POST /file/ID:  the part is the reply body (HTTP 200,
 *                                     Content-Length, application/json);
 *   GET /file/ID (download), and any   the part is the whole HTTP reply,
 *   request whose part starts with    status line and headers included,
 *   "HTTP/":                          and the connection is closed.
 * A request with no part left gets its connection closed.
 *
 * Checked (findings abort): the app token and a session id the portal
 * gave never appear in an error message unless the portal sent them
 * elsewhere too (tr50.h); a download never writes past the expected size,
 * and succeeds only with the whole file; a file.get that succeeds gives
 * a file id.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "fuzzutil.h"
#include "tr50/tr50.h"

#define SEP "\n---\n"
#define MAX_PARTS 8
#define TOKEN "tok3n-S3CRET-f00zz"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle = PTHREAD_COND_INITIALIZER;
/* The replies point into the input: connections still being served are
 * counted, and an input ends only when none is left. */
static struct fz_part parts[MAX_PARTS];
static size_t n_parts, next_part, active;
static char endpoint[64];
static char *part_path, *upload_path;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next reply of the script, or false when there is none. */
static bool take_part(struct fz_part *out)
{
	bool ok;

	pthread_mutex_lock(&lock);
	ok = next_part < n_parts;
	if (ok)
		*out = parts[next_part++];
	pthread_mutex_unlock(&lock);
	return ok;
}

static bool send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

struct conn {
	int fd;
	char buf[64 * 1024];
	size_t len;
};

/* Read more into c->buf; false at the end or on an error. */
static bool fill(struct conn *c)
{
	ssize_t n;

	if (c->len == sizeof(c->buf))
		return false;
	do
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return false;
	c->len += (size_t)n;
	return true;
}

static void drop(struct conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

/* The value of header name in the header block head, or NULL. */
static const char *header(const char *head, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = strstr(head, "\r\n"); p && p[2];
	     p = strstr(p + 2, "\r\n")) {
		if (!strncasecmp(p + 2, name, len) && p[2 + len] == ':') {
			p += 3 + len;
			while (*p == ' ')
				p++;
			return p;
		}
	}
	return NULL;
}

/* Read one request (and discard its body); false when the connection is
 * done. *download: it is a GET of a file. */
static bool read_request(struct conn *c, bool *download)
{
	char *end, head[8192];
	const char *v;
	size_t hlen;

	while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4)))
		if (!fill(c))
			return false;
	hlen = (size_t)(end - c->buf) + 4;
	if (hlen >= sizeof(head))
		return false;
	memcpy(head, c->buf, hlen);
	head[hlen] = '\0';
	drop(c, hlen);
	*download = !strncmp(head, "GET /file/", 10);
	v = header(head, "Expect");
	if (v && !strncasecmp(v, "100-continue", 12) &&
	    !send_all(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25))
		return false;
	v = header(head, "Content-Length");
	if (v) {
		unsigned long long left = strtoull(v, NULL, 10);

		while (left > 0) {
			size_t n;

			if (!c->len && !fill(c))
				return false;
			n = c->len < left ? c->len : (size_t)left;
			drop(c, n);
			left -= n;
		}
	} else if ((v = header(head, "Transfer-Encoding")) &&
		   !strncasecmp(v, "chunked", 7)) {
		/* Enough for the uploads of tr50.c: up to the last chunk. */
		while (!(end = memmem(c->buf, c->len, "0\r\n\r\n", 5)))
			if (!fill(c))
				return false;
		drop(c, (size_t)(end - c->buf) + 5);
	}
	return true;
}

static void *serve(void *arg)
{
	struct conn *c = arg;
	struct fz_part p;
	bool download, ok;
	char head[160], *reply;
	int len;

	while (read_request(c, &download) && take_part(&p)) {
		/* A whole HTTP reply is sent as it is (an error status, a
		 * reply cut short), then the connection is closed. */
		if (download || (p.len >= 5 && !memcmp(p.data, "HTTP/", 5))) {
			send_all(c->fd, p.data, p.len);
			break;
		}
		/* One write: a reply in two small segments waits for the
		 * client's delayed ACK. The body may hold NUL bytes. */
		len = snprintf(head, sizeof(head),
			       "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			       "Content-Length: %zu\r\n\r\n", p.len);
		reply = malloc((size_t)len + p.len);
		if (!reply)
			fz_die("out of memory");
		memcpy(reply, head, (size_t)len);
		if (p.len)
			memcpy(reply + len, p.data, p.len);
		len += (int)p.len;
		ok = send_all(c->fd, reply, (size_t)len);
		free(reply);
		if (!ok)
			break;
	}
	close(c->fd);
	free(c);
	pthread_mutex_lock(&lock);
	if (--active == 0)
		pthread_cond_broadcast(&idle);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void *listener(void *arg)
{
	int lfd = (int)(intptr_t)arg;
	struct timeval tv = { .tv_sec = 10 };
	int one = 1;

	for (;;) {
		struct conn *c;
		pthread_t th;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			continue;
		/* A client that stops talking must not keep a thread. */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = calloc(1, sizeof(*c));
		if (!c)
			fz_die("out of memory");
		c->fd = fd;
		pthread_mutex_lock(&lock);
		active++;
		pthread_mutex_unlock(&lock);
		if (pthread_create(&th, NULL, serve, c) != 0)
			fz_die("cannot start a connection thread");
		pthread_detach(th);
	}
	return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	pthread_t th;
	int lfd;

	(void)argc;
	(void)argv;
	/* The portal is on the loopback, whatever proxy the environment
	 * names. */
	setenv("NO_PROXY", "127.0.0.1", 1);
	setenv("no_proxy", "127.0.0.1", 1);
	/* Held for the process: each client's init and cleanup would
	 * otherwise set up and tear down libcurl and OpenSSL every time. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fz_die("cannot initialise libcurl");
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(lfd, 64) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen) != 0)
		fz_die("cannot listen on the loopback: %s", strerror(errno));
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%u",
		 (unsigned)ntohs(a.sin_port));
	if (pthread_create(&th, NULL, listener, (void *)(intptr_t)lfd) != 0)
		fz_die("cannot start the server thread");
	pthread_detach(th);
	part_path = fz_join(fz_tmpdir(), "download.part");
	upload_path = fz_join(fz_tmpdir(), "confirmation.json");
	fz_write(upload_path, "{\"confirmation_format\": 1}\n", 27, 0600);
	return 0;
}

/* How often needle occurs in the input. */
static size_t count_in(const uint8_t *data, size_t size, const char *needle)
{
	size_t len = strlen(needle), n = 0;

	for (size_t i = 0; len && i + len <= size; i++)
		n += memcmp(data + i, needle, len) == 0;
	return n;
}

static void finding(const char *what, const char *detail)
{
	fprintf(stderr, "finding: %s: %s\n", what, detail ? detail : "");
	abort();
}

/* The dialect classifiers of tr50.h on the refusal in o, if any. */
static void classify(json_object *o)
{
	json_object *r, *codes = NULL, *msgs = NULL;

	if (!json_object_object_get_ex(o, "1", &r) &&
	    !json_object_object_get_ex(o, "auth", &r))
		r = o;
	if (!json_object_is_type(r, json_type_object))
		return;
	json_object_object_get_ex(r, "errorCodes", &codes);
	json_object_object_get_ex(r, "errorMessages", &msgs);
	supd_tr50_is_auth_refusal(codes, msgs);
	supd_tr50_is_done_refusal(codes, msgs);
}

/* No secret in the error message (see the header comment); the
 * classifiers on every reply. */
static void check_replies(const struct supd_tr50_err *err, const uint8_t *data,
			  size_t size)
{
	if (err->message && strstr(err->message, TOKEN) &&
	    count_in(data, size, TOKEN) == 0)
		finding("the app token is in a message", err->message);
	for (size_t i = 0; i < n_parts; i++) {
		char *text = fz_strndup(parts[i].data, parts[i].len);
		json_object *o = json_tokener_parse(text), *r, *p, *s;
		const char *sid;

		free(text);
		/* As authenticate() finds it. */
		if (!o || !json_object_is_type(o, json_type_object)) {
			json_object_put(o);
			continue;
		}
		classify(o);
		if (!err->message) {
			json_object_put(o);
			continue;
		}
		if (!json_object_object_get_ex(o, "auth", &r))
			r = o;
		if (json_object_is_type(r, json_type_object) &&
		    json_object_object_get_ex(r, "params", &p) &&
		    json_object_is_type(p, json_type_object) &&
		    json_object_object_get_ex(p, "sessionId", &s) &&
		    json_object_is_type(s, json_type_string)) {
			sid = json_object_get_string(s);
			if (strlen(sid) >= 8 && count_in(data, size, sid) == 1 &&
			    strstr(err->message, sid))
				finding("a session id is in a message",
					err->message);
		}
		json_object_put(o);
	}
}

static void check_download(int rc, uint64_t expected)
{
	struct stat st;

	if (stat(part_path, &st) != 0)
		return;
	if ((uint64_t)st.st_size > expected)
		finding("a download wrote past the expected size", part_path);
	if (rc == SUPD_TR50_OK && (uint64_t)st.st_size != expected)
		finding("a download succeeded without the whole file", part_path);
}

static int run(struct supd_tr50 *t, unsigned op, unsigned a, unsigned b,
	       struct supd_tr50_err *err)
{
	struct json_object *o = NULL;
	struct supd_tr50_file f = { 0 };
	uint64_t expected;
	int rc;

	switch (op % 8) {
	case 0:
		rc = supd_tr50_mailbox_check(t, (int)(a % 100) + 1, &o, err);
		if (rc == SUPD_TR50_OK && !json_object_is_type(o, json_type_array))
			finding("mailbox.check gave no array", NULL);
		json_object_put(o);
		return rc;
	case 1:
		rc = supd_tr50_file_get(t, "pkg.sup", &f, err);
		if (rc == SUPD_TR50_OK && (!f.file_id || !*f.file_id))
			finding("file.get succeeded without a file id", NULL);
		supd_tr50_file_release(&f);
		return rc;
	case 2:
		o = json_object_new_object();
		json_object_object_add(o, "package",
				       json_object_new_string("edge-agent"));
		rc = supd_tr50_mailbox_ack(t, "msg-1", (int)(a % 9), "failed", o,
					 err);
		json_object_put(o);
		return rc;
	case 3:
		return supd_tr50_mailbox_update(t, "msg-1", "downloading", err);
	case 4:
		return supd_tr50_log_publish(t, "hello", (int)(a % 3), err);
	case 5: {
		/* A partial file of b bytes (mod expected + 2) is there. */
		char have[64 + 2];

		expected = a % 64 + 1;
		memset(have, 'x', sizeof(have));
		fz_write(part_path, have, b % (expected + 2), 0600);
		rc = supd_tr50_download(t, "fid-1", part_path, expected, NULL,
				      NULL, err);
		check_download(rc, expected);
		return rc;
	}
	case 6:
		return supd_tr50_file_put(t, "confirmation.json", upload_path, err);
	default:
		/* Two calls on one session: the second may find it expired. */
		rc = supd_tr50_mailbox_check(t, 10, &o, err);
		json_object_put(o);
		if (rc == SUPD_TR50_OK) {
			rc = supd_tr50_file_get(t, "pkg.sup", &f, err);
			supd_tr50_file_release(&f);
		}
		return rc;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct supd_tr50_opts opts = {
		.endpoint = endpoint,
		.app_id = "app",
		.app_token = TOKEN,
		.thing_key = "gw1",
		.insecure = true,
		.connect_timeout_s = 2,
		.request_timeout_s = 3,
	};
	struct supd_tr50_err err = { 0 };
	struct supd_tr50 *t;
	unsigned op, a, b;

	if (size < 3)
		return -1; /* not an input of this format: not kept */
	op = data[0];
	a = data[1];
	b = data[2];
	pthread_mutex_lock(&lock);
	n_parts = fz_split(data + 3, size - 3, SEP, strlen(SEP), parts,
			   MAX_PARTS);
	next_part = 0;
	pthread_mutex_unlock(&lock);

	if (supd_tr50_new(&t, &opts, &err) != SUPD_TR50_OK)
		fz_die("supd_tr50_new: %s", err.message ? err.message : "?");
	if (run(t, op, a, b, &err) != SUPD_TR50_OK && !err.message)
		finding("a call failed without a message", NULL);
	check_replies(&err, data, size);
	supd_tr50_free(t);
	supd_tr50_err_release(&err);

	/* Nothing of this input may answer the next one, and no thread may
	 * still read it: the client is gone, so its connections end. */
	pthread_mutex_lock(&lock);
	n_parts = 0;
	while (active > 0)
		pthread_cond_wait(&idle, &lock);
	pthread_mutex_unlock(&lock);
	return 0;
}
