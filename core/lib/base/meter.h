/* SPDX-License-Identifier: MIT */
/*
 * meter.h - the count of payload bytes read during an install, shared with
 * the forked children that run plugins, for progress reports
 * (install/progress.h).
 *
 * The count lives in one MAP_SHARED page made before any child is
 * forked: a child's read adds to it with one atomic add, no system call
 * and no message, and the parent looks at it when it wakes anyway. One
 * meter per process (an install is one per process), so the readers in
 * package/ need no handle passed down to them. Without sk_meter_open()
 * every call is a no-op. Also how byte counts are shown (the live line
 * of sup install, supd's download notes).
 */
#ifndef SK_METER_H
#define SK_METER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The parent looks at the count at most this often. */
#define SK_METER_TICK_MS 100

/*
 * Make the shared count (0) and call tick(data) in this process, at most
 * every SK_METER_TICK_MS, from sk_meter_add() and sk_meter_poll(); never
 * in a child. 0 or -errno.
 */
int sk_meter_open(void (*tick)(void *data), void *data);
/* Unmap the count (children keep their mapping until they exit). */
void sk_meter_close(void);
/* Whether a meter is open in this process. */
bool sk_meter_is_open(void);

/* n bytes of payload read (any process, any thread). */
void sk_meter_add(uint64_t n);
/* The parent's waiting loops: tick, when one is due. */
void sk_meter_poll(void);
/* Tick now, whatever the time (a stage began or ended). */
void sk_meter_tick_now(void);
/* The bytes read so far, by this process and its children. */
uint64_t sk_meter_count(void);

/* The verification pass: how many bytes it will read, once it knows
 * (after the manifest is parsed); ticks now. sk_meter_expected() returns
 * it, and whether it was said since sk_meter_expect_reset(). */
void sk_meter_expect(uint64_t total);
bool sk_meter_expected(uint64_t *total);
void sk_meter_expect_reset(void);

/* How bytes are shown to people: "512 B", "12.5 KiB", "200.0 MiB",
 * "1.25 GiB" (returns buf); and the pace of done of total bytes moved in
 * ms: "R/s, ETA M:SS" ("ETA -:--" before anything moved). */
#define SK_METER_BYTES_LEN 32
const char *sk_meter_bytes(uint64_t n, char buf[SK_METER_BYTES_LEN]);
void sk_meter_pace(uint64_t done, uint64_t total, long long ms, char *buf,
		   size_t len);

#endif
