/* SPDX-License-Identifier: MIT */
/*
 * tr50.h - a TR50 client over HTTP(S) with libcurl and json-c: the portal
 * commands supd uses (docs/tr50.md), file download with range resume, and
 * file upload.
 *
 * Every request is POST <endpoint>/api with a JSON body. The client
 * authenticates with api.authenticate on first use, and again, once per
 * call, when a failure can mean that the session is no longer valid
 * (supd_tr50_call); the session id and the app token never appear in any
 * message or log. Which replies count as such is in docs/tr50.md, with
 * the public sources of each protocol fact.
 */
#ifndef SUPD_TR50_H
#define SUPD_TR50_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct json_object;

struct supd_tr50_opts {
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
	 * or upload under way stops at once: SUPD_TR50_ENET, what arrived is
	 * kept. */
	volatile sig_atomic_t *cancel;
};

/* Results of the calls below. */
enum supd_tr50_status {
	SUPD_TR50_OK = 0,
	SUPD_TR50_ENET = -1,  /* transport or HTTP failure: try again later */
	SUPD_TR50_EAUTH = -2, /* the portal refused our credentials */
	SUPD_TR50_ECMD = -3,  /* the portal refused the command (see err) */
	SUPD_TR50_EDATA = -4, /* reply or download not as expected */
	SUPD_TR50_ELOCAL = -5, /* local error (memory, file system) */
	/* supd_tr50_mailbox_ack only: the portal refused the ack because the
	 * message is completed already (an earlier ack was accepted); err
	 * holds the refusal as for SUPD_TR50_ECMD. */
	SUPD_TR50_EDONE = -6
};

/* Why a call failed: a message for logs (never holding secrets) and, for
 * SUPD_TR50_ECMD and SUPD_TR50_EDONE, the portal's first error code (0 if
 * none). Every call takes err NULL, and frees and replaces a message
 * already in it. */
struct supd_tr50_err {
	char *message; /* malloc'd, or NULL */
	int code;
};

void supd_tr50_err_release(struct supd_tr50_err *e);

struct supd_tr50; /* opaque */

/* Validates the options (endpoint scheme: https, or http with insecure).
 * Returns SUPD_TR50_OK or SUPD_TR50_ELOCAL with err set. Strings are copied. */
int supd_tr50_new(struct supd_tr50 **out, const struct supd_tr50_opts *o,
		struct supd_tr50_err *err);
void supd_tr50_free(struct supd_tr50 *t);

/*
 * Run one command. params is borrowed (may be NULL). On SUPD_TR50_OK, *reply
 * (if reply is not NULL) gets the reply's "params" object, owned by the
 * caller (NULL when the reply has none).
 *
 * A failure that can be an authentication failure (HTTP 401 or 403, or a
 * refusal whose code or message is one of supd_tr50_is_auth_refusal's) drops
 * the session; the command is then sent once more after a new
 * api.authenticate. Should that retry fail as well, its failure is
 * returned as it is (SUPD_TR50_ECMD with the portal's code, SUPD_TR50_ENET
 * for an HTTP status) and the session is dropped again, so that the next
 * call starts with api.authenticate; should api.authenticate fail, its
 * failure is returned (SUPD_TR50_EAUTH when the credentials are refused,
 * SUPD_TR50_ENET when the portal cannot be reached). Never more than one
 * re-authentication and one retry per call.
 */
int supd_tr50_call(struct supd_tr50 *t, const char *command,
		 struct json_object *params, struct json_object **reply,
		 struct supd_tr50_err *err);

/* mailbox.check {"autoComplete": false, "limit": limit}: *messages gets
 * the "messages" array (owned by the caller, possibly empty). */
int supd_tr50_mailbox_check(struct supd_tr50 *t, int limit,
			  struct json_object **messages,
			  struct supd_tr50_err *err);
/* mailbox.update {"id", "msg"}. */
int supd_tr50_mailbox_update(struct supd_tr50 *t, const char *id,
			   const char *msg, struct supd_tr50_err *err);
/* mailbox.ack {"id", "errorCode", "errorMessage", "params"}; params
 * borrowed, may be NULL. A refusal that says the message is completed
 * already (supd_tr50_is_done_refusal) is SUPD_TR50_EDONE. */
int supd_tr50_mailbox_ack(struct supd_tr50 *t, const char *id, int error_code,
			const char *error_message, struct json_object *params,
			struct supd_tr50_err *err);
/* log.publish {"thingKey", "msg", "level"}: 0 error, 1 warning, 2 info. */
int supd_tr50_log_publish(struct supd_tr50 *t, const char *msg, int level,
			struct supd_tr50_err *err);

struct supd_tr50_file {
	char *file_id; /* single use, expires after 300 s */
	uint64_t size;
	uint32_t crc32; /* the reply may give it signed: -1 is 0xffffffff */
};

void supd_tr50_file_release(struct supd_tr50_file *f);

/* file.get {"fileName", "global": true}. */
int supd_tr50_file_get(struct supd_tr50 *t, const char *file_name,
		     struct supd_tr50_file *out, struct supd_tr50_err *err);

/*
 * GET <endpoint>/file/<file_id> into part_path, appending to what is
 * already there with an HTTP Range request (a server that ignores the
 * range restarts the file). Never writes past expected_size. Returns
 * SUPD_TR50_OK when the file holds expected_size bytes (the caller then
 * checks the CRC), SUPD_TR50_ENET when the transfer broke off (what arrived
 * is kept for the next try), SUPD_TR50_EDATA when the server's reply does
 * not fit (a 206 not continuing where the file ends, a 416, too many
 * bytes), SUPD_TR50_ELOCAL on a local file error. progress (may be NULL)
 * gets bytes so far, after every block written; it may send commands
 * through t (they use a second connection while the download runs).
 */
int supd_tr50_download(struct supd_tr50 *t, const char *file_id,
		     const char *part_path, uint64_t expected_size,
		     void (*progress)(void *data, uint64_t done, uint64_t total),
		     void *progress_data, struct supd_tr50_err *err);

/*
 * file.put {"fileName", "thingKey"}, then the bytes of path as the raw
 * body (Content-Length, no multipart) of an HTTP POST to
 * <endpoint>/file/<fileId>, read from the file as they are sent. HTTP 2xx
 * is success, unless the body is a TR50 result that says otherwise
 * (SUPD_TR50_ECMD). The POST may be stopped by the cancel flag and by
 * request_timeout_s without a byte moving (SUPD_TR50_ENET). When the POST
 * is refused in a way that can mean an expired session (HTTP 401 or 403,
 * or such a TR50 result), the session is dropped and the whole upload
 * (a new file.put, the file id being single-use) is tried once more.
 */
int supd_tr50_file_put(struct supd_tr50 *t, const char *file_name,
		     const char *path, struct supd_tr50_err *err);

/*
 * The portal dialects the client understands (docs/tr50.md, "Portal
 * dialects"), exposed for the tests. codes and msgs are the errorCodes
 * and errorMessages of one refused command (either may be NULL; members
 * of another type are ignored).
 *
 * supd_tr50_is_auth_refusal: the refusal can mean that the session is not (or
 * no longer) valid: a code of -90002 or -90008, or a message that speaks
 * of a session, of authentication or authorisation, of a login, of
 * credentials or a token, or says "forbidden", "access denied" or
 * "permission denied".
 *
 * supd_tr50_is_done_refusal: a refused mailbox.ack says the message is
 * completed already: the code -90012, or a message that says so
 * ("already" with "complete", "ack", "closed", "done", "processed" or
 * "finished"; or "is/was/been completed", "status (is) completed", "state
 * (is) completed", "not pending"), unless that message also reads as an
 * authentication failure.
 */
bool supd_tr50_is_auth_refusal(struct json_object *codes,
			     struct json_object *msgs);
bool supd_tr50_is_done_refusal(struct json_object *codes,
			     struct json_object *msgs);

/* CRC-32 (zlib) of a whole file; 0 or -errno. */
int supd_crc32_file(const char *path, uint32_t *out);

#endif
