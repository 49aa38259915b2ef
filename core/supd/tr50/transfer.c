/* SPDX-License-Identifier: MIT */
/* transfer.c - file transfers with the portal: download with HTTP range
 * resume, upload (file.put, HTTP PUT), and the CRC-32 of a file (zlib). */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <zlib.h>

/* --- download --- */

struct dl {
	struct supd_tr50 *t;
	int fd;
	const char *path;
	const char *url;
	uint64_t have; /* bytes in the file */
	uint64_t expected;
	long status;  /* HTTP status of the reply */
	bool started; /* the reply's status was looked at */
	bool discard; /* not file data: an error page */
	uint64_t discarded;
	int fail;  /* why the write callback stopped the transfer */
	char *why; /* its message */
	void (*progress)(void *data, uint64_t done, uint64_t total);
	void *progress_data;
};

static void dl_stop(struct dl *d, int status, char *why)
{
	d->fail = status;
	free(d->why);
	d->why = why;
}

/* Digits to a number; false on none or overflow. */
static bool take_u64(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*out = v;
	return true;
}

/* A 206 must continue exactly where the file ends: "bytes S-E/T" with
 * S = have, E < expected, T = expected (or "*"). */
static bool range_matches(struct dl *d)
{
	struct curl_header *h;
	const char *p;
	uint64_t first, last, total;

	if (curl_easy_header(d->t->curl, "Content-Range", 0, CURLH_HEADER, -1,
			     &h) != CURLHE_OK)
		return false;
	p = h->value;
	if (strncasecmp(p, "bytes ", 6) != 0)
		return false;
	p += 6;
	if (!take_u64(&p, &first) || *p++ != '-' || !take_u64(&p, &last) ||
	    *p++ != '/')
		return false;
	if (*p == '*' && p[1] == '\0')
		total = d->expected;
	else if (!take_u64(&p, &total) || *p != '\0')
		return false;
	return first == d->have && first <= last && last < d->expected &&
	       total == d->expected;
}

/* Decide what the reply's body is, once its headers are in. */
static bool dl_begin(struct dl *d)
{
	d->started = true;
	curl_easy_getinfo(d->t->curl, CURLINFO_RESPONSE_CODE, &d->status);
	if (d->status == 206) {
		if (!range_matches(d)) {
			dl_stop(d, SUPD_TR50_EDATA,
				sk_asprintf(
					"download to '%s': the 206 reply from %s does not continue at byte %" PRIu64
					" of %" PRIu64,
					d->path, d->url, d->have, d->expected));
			return false;
		}
	} else if (d->status == 200) {
		/* The whole file again: start over. */
		if (d->have > 0 && ftruncate(d->fd, 0) != 0) {
			dl_stop(d, SUPD_TR50_ELOCAL,
				sk_asprintf(
					"download to '%s': cannot truncate: %s",
					d->path, strerror(errno)));
			return false;
		}
		d->have = 0;
	} else {
		d->discard = true;
	}
	return true;
}

/* Tell the caller how far the download is. Its callback may send a
 * command (a progress note): the download's handle is busy, so commands
 * go through a second one meanwhile, and the time they take is not
 * counted as a stall of the download. */
static void dl_progress(struct dl *d)
{
	struct supd_tr50 *t = d->t;
	CURL *busy = t->curl;

	/* A request made meanwhile replaces t->curl (tr50_setup_request). */
	t->curl = t->side;
	d->progress(d->progress_data, d->have, d->expected);
	t->side = t->curl;
	t->curl = busy;
	t->moved_ms = sk_now_ms();
}

static size_t dl_write(char *ptr, size_t size, size_t n, void *data)
{
	struct dl *d = data;
	size_t len = size * n, take = len;
	int e;

	if (!d->started && !dl_begin(d))
		return 0;
	if (d->discard) {
		/* An error page is dropped, but not an endless one. */
		d->discarded += len;
		return d->discarded <= TR50_MAX_REPLY ? len : 0;
	}
	if (len > d->expected - d->have)
		take = (size_t)(d->expected - d->have);
	e = sk_write_all(d->fd, ptr, take);
	if (e) {
		dl_stop(d, SUPD_TR50_ELOCAL,
			sk_asprintf("download to '%s': cannot write: %s",
				    d->path, strerror(-e)));
		return 0;
	}
	d->have += take;
	if (d->progress)
		dl_progress(d);
	if (take < len) {
		dl_stop(d, SUPD_TR50_EDATA,
			sk_asprintf(
				"download to '%s': %s sent more than the expected %" PRIu64
				" bytes",
				d->path, d->url, d->expected));
		return 0;
	}
	return len;
}

/* The file server answered with an error status: try again later. A
 * 401 or 403 may mean that the portal wants a live session behind the
 * file id (the sources are silent): the session is renewed before the
 * next command, which is the next try's file.get. */
static int dl_refused(struct dl *d, struct supd_tr50_err *err)
{
	struct supd_tr50 *t = d->t;
	bool renew = tr50_http_auth_status(d->status);

	if (renew)
		tr50_drop_session(t);
	return tr50_fail(t, err, SUPD_TR50_ENET, 0,
			 "download to '%s': HTTP %ld from %s%s", d->path,
			 d->status, d->url,
			 renew ? " (a new session for the next try)" : "");
}

/* After the transfer: what the result is. */
static int dl_finish(struct dl *d, CURLcode r, struct supd_tr50_err *err)
{
	struct supd_tr50 *t = d->t;

	if (d->fail) {
		/* The message holds no secret: only path, URL, sizes. */
		if (!d->why)
			return tr50_fail(t, err, d->fail, 0,
					 "download to '%s': out of memory",
					 d->path);
		tr50_fail(t, err, d->fail, 0, "%s", d->why);
		return d->fail;
	}
	if (d->discard && d->status != 416)
		return dl_refused(d, err);
	if (r != CURLE_OK)
		return tr50_fail(
			t, err, SUPD_TR50_ENET, 0,
			"download to '%s': GET %s broke off at byte %" PRIu64
			" of %" PRIu64 ": %s",
			d->path, d->url, d->have, d->expected,
			tr50_curl_why(t, r));
	if (!d->started) {
		curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &d->status);
		if ((d->status == 200 || d->status == 206) && !dl_begin(d))
			return dl_finish(d, r, err);
	}
	if (d->status == 416) {
		/* What we have is no prefix of the portal's file. */
		if (ftruncate(d->fd, 0) != 0)
			return tr50_fail(
				t, err, SUPD_TR50_ELOCAL, 0,
				"download to '%s': cannot truncate: %s",
				d->path, strerror(errno));
		return tr50_fail(
			t, err, SUPD_TR50_EDATA, 0,
			"download to '%s': HTTP 416 from %s for byte %" PRIu64
			" on: the partial file was discarded",
			d->path, d->url, d->have);
	}
	if (d->status != 200 && d->status != 206)
		return dl_refused(d, err);
	if (d->have != d->expected)
		return tr50_fail(t, err, SUPD_TR50_EDATA, 0,
				 "download to '%s': %s ended at byte %" PRIu64
				 " of %" PRIu64,
				 d->path, d->url, d->have, d->expected);
	return SUPD_TR50_OK;
}

int supd_tr50_download(struct supd_tr50 *t, const char *file_id,
		     const char *part_path, uint64_t expected_size,
		     void (*progress)(void *data, uint64_t done,
				      uint64_t total),
		     void *progress_data, struct supd_tr50_err *err)
{
	struct dl d = {.t = t,
		       .fd = -1,
		       .path = part_path,
		       .expected = expected_size,
		       .progress = progress,
		       .progress_data = progress_data};
	char *url = NULL, *range = NULL;
	struct stat st;
	CURLcode r;
	int rc;

	/* O_APPEND: every byte lands after what the last try kept. */
	d.fd = open(part_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (d.fd < 0)
		return tr50_fail(t, err, SUPD_TR50_ELOCAL, 0,
				 "download to '%s': cannot open: %s", part_path,
				 strerror(errno));
	if (fstat(d.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0,
			       "download to '%s': not a regular file",
			       part_path);
		goto out;
	}
	d.have = (uint64_t)st.st_size;
	/* More than the portal's file: not ours to continue. */
	if (d.have > expected_size) {
		if (ftruncate(d.fd, 0) != 0) {
			rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0,
				       "download to '%s': cannot truncate: %s",
				       part_path, strerror(errno));
			goto out;
		}
		d.have = 0;
	}
	if (d.have == expected_size) {
		rc = SUPD_TR50_OK;
		goto out_sync;
	}
	url = tr50_file_url(t, file_id);
	range = d.have ? sk_asprintf("%" PRIu64 "-", d.have) : NULL;
	d.url = url;
	if (!url || (d.have && !range)) {
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0,
			       "download to '%s': out of memory", part_path);
		goto out;
	}
	if (tr50_setup_request(t, url, true, NULL) ||
	    (range && curl_easy_setopt(t->curl, CURLOPT_RANGE, range)) ||
	    curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, dl_write) ||
	    curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, &d)) {
		rc = tr50_fail(
			t, err, SUPD_TR50_ELOCAL, 0,
			"download to '%s': cannot set up the request to %s",
			part_path, url);
		goto out;
	}
	r = curl_easy_perform(t->curl);
	rc = dl_finish(&d, r, err);
out_sync:
	/* Keep what arrived, whatever happened: the next try resumes. */
	if (fsync(d.fd) != 0 && rc == SUPD_TR50_OK)
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0,
			       "download to '%s': cannot fsync: %s", part_path,
			       strerror(errno));
out:
	if (close(d.fd) != 0 && rc == SUPD_TR50_OK)
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0,
			       "download to '%s': cannot close: %s", part_path,
			       strerror(errno));
	free(d.why);
	free(range);
	free(url);
	return rc;
}

/* --- upload --- */

struct ul {
	int fd;
	int err_no;
};

static size_t ul_read(char *buf, size_t size, size_t n, void *data)
{
	struct ul *u = data;
	ssize_t got;

	do
		got = read(u->fd, buf, size * n);
	while (got < 0 && errno == EINTR);
	if (got < 0) {
		u->err_no = errno;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)got;
}

/* The reply to a POST that the portal took (HTTP 2xx): an empty or
 * non-JSON body, or one too big to keep, is success; a TR50 result object
 * may still say the portal refused the bytes (*auth_like: in words that
 * can mean an expired session). */
static int post_result(struct supd_tr50 *t, const char *what,
		       const struct tr50_membuf *sink, bool *auth_like,
		       struct supd_tr50_err *err)
{
	struct json_object *res;
	char buf[SK_SHOW_MAX];
	const char *why;
	int code, s, rc = SUPD_TR50_OK;

	if (sink->too_big || !sink->len)
		return SUPD_TR50_OK;
	res = tr50_parse_reply(sink->data, sink->len, &why);
	if (!res)
		return SUPD_TR50_OK;
	/* Some portals wrap the result like a command reply. */
	s = tr50_result_status(res, &code, buf);
	if (s < 0) {
		struct json_object *inner;

		if (json_object_object_get_ex(res, "1", &inner) ||
		    json_object_object_get_ex(res, "cmd", &inner)) {
			json_object_get(inner);
			json_object_put(res);
			res = inner;
			s = tr50_result_status(res, &code, buf);
		}
	}
	if (s == 0) {
		*auth_like = tr50_result_is_auth_refusal(res);
		rc = tr50_fail(t, err, SUPD_TR50_ECMD, code,
			       "%s: portal error %d: %s", what, code, buf);
	}
	json_object_put(res);
	return rc;
}

/*
 * One upload: file.put for a file id, then the POST of the bytes of u->fd
 * (size bytes, from its start). *auth_like tells whether a refusal of the
 * POST can mean an expired session.
 */
static int put_once(struct supd_tr50 *t, const char *what,
		    struct json_object *params, const char *path, struct ul *u,
		    curl_off_t size, bool *auth_like, struct supd_tr50_err *err)
{
	struct json_object *reply = NULL;
	struct curl_slist *headers = NULL, *h;
	struct tr50_membuf sink = {0};
	char *url = NULL;
	const char *id;
	long status = 0;
	CURLcode r;
	int rc;

	*auth_like = false;
	rc = tr50_call(t, what, "file.put", params, &reply, NULL, err);
	if (rc)
		goto out;
	id = reply ? tr50_get_str(reply, "fileId", 1024) : NULL;
	if (!id) {
		rc = tr50_fail(t, err, SUPD_TR50_EDATA, 0,
			       "%s: reply from %s has no fileId", what,
			       t->api_url);
		goto out;
	}
	url = tr50_file_url(t, id);
	/* The bytes as they are: the sources send a raw body, no form. */
	h = curl_slist_append(NULL, "Content-Type: application/octet-stream");
	headers = h;
	/* No "Expect: 100-continue" round trip (a record is small). */
	h = h ? curl_slist_append(headers, "Expect:") : NULL;
	if (!url || !h) {
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0, "%s: out of memory",
			       what);
		goto out;
	}
	if (lseek(u->fd, 0, SEEK_SET) != 0) {
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0,
			       "%s: cannot read '%s': %s", what, path,
			       strerror(errno));
		goto out;
	}
	/* POST with a read callback and a known size: libcurl streams the
	 * file with a Content-Length, it never holds it in memory. */
	if (tr50_setup_request(t, url, true, headers) ||
	    curl_easy_setopt(t->curl, CURLOPT_POST, 1L) ||
	    curl_easy_setopt(t->curl, CURLOPT_READFUNCTION, ul_read) ||
	    curl_easy_setopt(t->curl, CURLOPT_READDATA, u) ||
	    curl_easy_setopt(t->curl, CURLOPT_POSTFIELDSIZE_LARGE, size) ||
	    curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION,
			     tr50_membuf_write) ||
	    curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, &sink)) {
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0,
			       "%s: cannot set up the request to %s", what,
			       url);
		goto out;
	}
	r = curl_easy_perform(t->curl);
	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
	if (u->err_no) {
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0,
			       "%s: cannot read '%s': %s", what, path,
			       strerror(u->err_no));
	} else if (r != CURLE_OK && !sink.too_big) {
		rc = tr50_fail(t, err, SUPD_TR50_ENET, 0,
			       "%s: POST %s failed: %s", what, url,
			       tr50_curl_why(t, r));
	} else if (status < 200 || status > 299) {
		*auth_like = tr50_http_auth_status(status);
		rc = tr50_fail(t, err, SUPD_TR50_ENET, 0,
			       "%s: HTTP %ld from POST %s", what, status, url);
	} else {
		rc = post_result(t, what, &sink, auth_like, err);
	}
out:
	curl_slist_free_all(headers);
	free(sink.data);
	free(url);
	json_object_put(reply);
	return rc;
}

int supd_tr50_file_put(struct supd_tr50 *t, const char *file_name, const char *path,
		     struct supd_tr50_err *err)
{
	struct json_object *p = json_object_new_object();
	struct ul u = {.fd = -1};
	char buf[SK_SHOW_MAX], *what;
	bool ok = true, auth_like = false;
	struct stat st;
	int rc;

	what = sk_asprintf("file.put '%s'", tr50_show(file_name, buf));
	tr50_add(p, "fileName", json_object_new_string(file_name), &ok);
	tr50_add(p, "thingKey", json_object_new_string(t->thing_key), &ok);
	if (!ok || !what) {
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0,
			       "file.put: out of memory");
		goto out;
	}
	/* Open first: no portal file id is spent on a file we cannot
	 * read. */
	u.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (u.fd < 0 || fstat(u.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = tr50_fail(t, err, SUPD_TR50_ELOCAL, 0,
			       "%s: cannot read '%s': %s", what, path,
			       u.fd < 0 ? strerror(errno)
					: "not a regular file");
		goto out;
	}
	rc = put_once(t, what, p, path, &u, (curl_off_t)st.st_size, &auth_like,
		      err);
	/* A POST refused as if the session had expired: a new session and
	 * a new file id (single-use), once. */
	if (rc != SUPD_TR50_OK && auth_like && !(t->cancel && *t->cancel)) {
		tr50_drop_session(t);
		supd_tr50_err_release(err);
		rc = put_once(t, what, p, path, &u, (curl_off_t)st.st_size,
			      &auth_like, err);
		if (rc != SUPD_TR50_OK && auth_like)
			tr50_drop_session(t);
	}
out:
	if (u.fd >= 0)
		close(u.fd);
	free(what);
	json_object_put(p);
	return rc;
}

/* --- CRC --- */

int supd_crc32_file(const char *path, uint32_t *out)
{
	unsigned char *buf;
	uLong crc = crc32(0L, Z_NULL, 0);
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(TR50_CHUNK);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		n = read(fd, buf, TR50_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		crc = crc32(crc, buf, (uInt)n);
	}
	*out = (uint32_t)crc;
out:
	free(buf);
	close(fd);
	return rc;
}
