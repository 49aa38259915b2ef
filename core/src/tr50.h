/* SPDX-License-Identifier: MIT */
/*
 * tr50.h - a TR50 client over HTTP(S) with libcurl and json-c: the portal
 * commands supd uses (docs/tr50.md), file download with range resume, and
 * file upload.
 *
 * Every request is POST <endpoint>/api with a JSON body. The client
 * authenticates with api.authenticate on first use and again, once, when
 * the portal says the session is no longer valid; the session id and the
 * app token never appear in any message or log.
 */
#ifndef SK_TR50_H
#define SK_TR50_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct json_object;

struct sk_tr50_opts {
	const char *endpoint;  /* "https://portal.example:443", no trailing /api */
	const char *app_id;
	const char *app_token;
	const char *thing_key;
	const char *ca_bundle; /* CA file for TLS, or NULL: system default */
	bool insecure;	       /* allow http:// endpoints (tests only) */
	long connect_timeout_s; /* default 15 */
	/* default 60; for downloads and uploads: seconds with no byte
	 * moving (there is no limit on a transfer's total time) */
	long request_timeout_s;
	/* When not NULL and set non-zero (from a signal handler), a download
	 * or upload under way stops at once: SK_TR50_ENET, what arrived is
	 * kept. */
	volatile sig_atomic_t *cancel;
};

/* Results of the calls below. */
enum sk_tr50_status {
	SK_TR50_OK = 0,
	SK_TR50_ENET = -1,  /* transport or HTTP failure: try again later */
	SK_TR50_EAUTH = -2, /* the portal refused our credentials */
	SK_TR50_ECMD = -3,  /* the portal refused the command (see err) */
	SK_TR50_EDATA = -4, /* reply or download not as expected */
	SK_TR50_ELOCAL = -5 /* local error (memory, file system) */
};

/* Why a call failed: a message for logs (never holding secrets) and, for
 * SK_TR50_ECMD, the portal's first error code (0 if none). Every call
 * takes err NULL, and frees and replaces a message already in it. A
 * session refused again right after re-authenticating is SK_TR50_ECMD
 * with code -90008. */
struct sk_tr50_err {
	char *message; /* malloc'd, or NULL */
	int code;
};

void sk_tr50_err_release(struct sk_tr50_err *e);

struct sk_tr50; /* opaque */

/* Validates the options (endpoint scheme: https, or http with insecure).
 * Returns SK_TR50_OK or SK_TR50_ELOCAL with err set. Strings are copied. */
int sk_tr50_new(struct sk_tr50 **out, const struct sk_tr50_opts *o,
		struct sk_tr50_err *err);
void sk_tr50_free(struct sk_tr50 *t);

/*
 * Run one command. params is borrowed (may be NULL). On SK_TR50_OK, *reply
 * (if reply is not NULL) gets the reply's "params" object, owned by the
 * caller (NULL when the reply has none).
 */
int sk_tr50_call(struct sk_tr50 *t, const char *command,
		 struct json_object *params, struct json_object **reply,
		 struct sk_tr50_err *err);

/* mailbox.check {"autoComplete": false, "limit": limit}: *messages gets
 * the "messages" array (owned by the caller, possibly empty). */
int sk_tr50_mailbox_check(struct sk_tr50 *t, int limit,
			  struct json_object **messages,
			  struct sk_tr50_err *err);
/* mailbox.update {"id", "msg"}. */
int sk_tr50_mailbox_update(struct sk_tr50 *t, const char *id,
			   const char *msg, struct sk_tr50_err *err);
/* mailbox.ack {"id", "errorCode", "errorMessage", "params"}; params
 * borrowed, may be NULL. */
int sk_tr50_mailbox_ack(struct sk_tr50 *t, const char *id, int error_code,
			const char *error_message, struct json_object *params,
			struct sk_tr50_err *err);
/* log.publish {"thingKey", "msg", "level"}: 0 error, 1 warning, 2 info. */
int sk_tr50_log_publish(struct sk_tr50 *t, const char *msg, int level,
			struct sk_tr50_err *err);

struct sk_tr50_file {
	char *file_id; /* single use, expires after 300 s */
	uint64_t size;
	uint32_t crc32; /* the reply may give it signed: -1 is 0xffffffff */
};

void sk_tr50_file_release(struct sk_tr50_file *f);

/* file.get {"fileName", "global": true}. */
int sk_tr50_file_get(struct sk_tr50 *t, const char *file_name,
		     struct sk_tr50_file *out, struct sk_tr50_err *err);

/*
 * GET <endpoint>/file/<file_id> into part_path, appending to what is
 * already there with an HTTP Range request (a server that ignores the
 * range restarts the file). Never writes past expected_size. Returns
 * SK_TR50_OK when the file holds expected_size bytes (the caller then
 * checks the CRC), SK_TR50_ENET when the transfer broke off (what arrived
 * is kept for the next try), SK_TR50_EDATA when the server's reply does
 * not fit (a 206 not continuing where the file ends, a 416, too many
 * bytes), SK_TR50_ELOCAL on a local file error. progress (may be NULL)
 * gets bytes so far.
 */
int sk_tr50_download(struct sk_tr50 *t, const char *file_id,
		     const char *part_path, uint64_t expected_size,
		     void (*progress)(void *data, uint64_t done, uint64_t total),
		     void *progress_data, struct sk_tr50_err *err);

/* file.put {"fileName", "thingKey"} then the bytes of path to
 * <endpoint>/file/<fileId> (HTTP PUT). */
int sk_tr50_file_put(struct sk_tr50 *t, const char *file_name,
		     const char *path, struct sk_tr50_err *err);

/* CRC-32 (zlib) of a whole file; 0 or -errno. */
int sk_crc32_file(const char *path, uint32_t *out);

#endif
