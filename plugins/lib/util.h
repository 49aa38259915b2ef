/* SPDX-License-Identifier: MIT */
/*
 * util.h - small helpers every plugin may need: a full write, a monotonic
 * clock, a checked decimal number, payload progress and copy.
 *
 * The core has its own util (sk_write_all() and friends in libsupcore),
 * and these repeat a few of them on purpose: plugins are built on the SDK
 * alone (sdk/include) and never link libsupcore, so that a plugin depends
 * on the plugin ABI only and the installer's internals stay free to change.
 * The rule is one copy per side: the core's in core/, the plugins' here,
 * and no plugin writes its own. The one exception is the SDK example
 * (sdk/examples/marker/marker.c): it is built out of tree against the
 * installed SDK alone, so it keeps its own marker_write_all().
 */
#ifndef SPL_UTIL_H
#define SPL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sup/plugin.h>

/* The I/O buffer size used to stream payloads. */
#define SPL_BUF_SIZE (64 * 1024)

/* Write all of buf to fd, again after a short write or EINTR: 0 or an
 * errno value. */
int spl_write_all(int fd, const void *buf, size_t len);

/* Milliseconds of CLOCK_MONOTONIC: for deadlines and elapsed times. */
int64_t spl_now_ms(void);

/*
 * A decimal number from min to max (0 <= min <= max), digits only: no
 * sign, no white space, not empty. true and *out, or false with *out
 * unchanged.
 */
bool spl_parse_num(const char *s, int64_t min, int64_t max, int64_t *out);

/* Progress of a payload stream, reported to the host in whole percent. */
struct spl_progress {
	uint64_t done;
	uint64_t total; /* the payload size; 0 reports nothing */
	unsigned int last;
};

void spl_progress_add(const struct sup_host_api *host,
		      struct sup_action_ctx *ctx, struct spl_progress *p,
		      uint64_t n);

/*
 * Copy the open payload pl (pname in messages) to fd through buf
 * (SPL_BUF_SIZE bytes), all of it, progress reported on prog. SUP_OK once
 * payload_read() returned 0: the host verified size and SHA-256. Else
 * SUP_ERR: *werr is 0 when the failure is recorded (a read), or the errno
 * value of a failed write, for the caller to record with its own words.
 */
int spl_payload_copy(const struct sup_host_api *host,
		     struct sup_action_ctx *ctx, struct sup_payload *pl,
		     const char *pname, int fd, unsigned char *buf,
		     struct spl_progress *prog, int *werr);

#endif
