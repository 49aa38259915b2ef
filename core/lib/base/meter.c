/* SPDX-License-Identifier: MIT */
/* meter.c - payload bytes read, counted across forked children (meter.h). */
#include "base/meter.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/util.h"

struct shared {
	_Atomic uint64_t bytes;
	_Atomic uint64_t expected;
	_Atomic bool expected_set;
};

static struct shared *sh; /* NULL: no meter */
static pid_t owner;	  /* the process that ticks */
static bool in_child;	  /* this process is not the owner */
static void (*tick_fn)(void *data);
static void *tick_data;
static long long next_ms;
static bool ticking; /* no tick from inside a tick */

int sk_meter_open(void (*tick)(void *data), void *data)
{
	void *p = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	sh = p;
	atomic_init(&sh->bytes, 0);
	atomic_init(&sh->expected, 0);
	atomic_init(&sh->expected_set, false);
	owner = getpid();
	in_child = false;
	tick_fn = tick;
	tick_data = data;
	next_ms = 0;
	return 0;
}

void sk_meter_close(void)
{
	if (sh)
		munmap(sh, sizeof(*sh));
	sh = NULL;
	tick_fn = NULL;
	tick_data = NULL;
}

bool sk_meter_is_open(void)
{
	return sh != NULL;
}

static void tick(void)
{
	if (ticking || !tick_fn)
		return;
	ticking = true;
	tick_fn(tick_data);
	ticking = false;
}

void sk_meter_poll(void)
{
	long long now;

	if (!sh || in_child || !tick_fn)
		return;
	/* clock_gettime() is a vDSO call: no system call per block. */
	now = sk_now_ms();
	if (now < next_ms)
		return;
	next_ms = now + SK_METER_TICK_MS;
	/* A forked child inherits the meter and its statics: the first time
	 * it is due, it finds out (one getpid() per child), and from then
	 * on only counts. */
	if (getpid() != owner) {
		in_child = true;
		return;
	}
	tick();
}

void sk_meter_add(uint64_t n)
{
	if (!sh)
		return;
	atomic_fetch_add_explicit(&sh->bytes, n, memory_order_relaxed);
	sk_meter_poll();
}

void sk_meter_tick_now(void)
{
	if (!sh || in_child || getpid() != owner)
		return;
	next_ms = sk_now_ms() + SK_METER_TICK_MS;
	tick();
}

uint64_t sk_meter_count(void)
{
	return sh ? atomic_load_explicit(&sh->bytes, memory_order_relaxed) : 0;
}

void sk_meter_expect(uint64_t total)
{
	if (!sh)
		return;
	atomic_store(&sh->expected, total);
	atomic_store(&sh->expected_set, true);
	sk_meter_tick_now();
}

bool sk_meter_expected(uint64_t *total)
{
	if (!sh || !atomic_load(&sh->expected_set))
		return false;
	*total = atomic_load(&sh->expected);
	return true;
}

void sk_meter_expect_reset(void)
{
	if (sh)
		atomic_store(&sh->expected_set, false);
}

const char *sk_meter_bytes(uint64_t n, char buf[SK_METER_BYTES_LEN])
{
	if (n < 1024)
		snprintf(buf, SK_METER_BYTES_LEN, "%" PRIu64 " B", n);
	else if (n < 1024 * 1024)
		snprintf(buf, SK_METER_BYTES_LEN, "%.1f KiB", (double)n / 1024);
	else if (n < 1024ull * 1024 * 1024)
		snprintf(buf, SK_METER_BYTES_LEN, "%.1f MiB",
			 (double)n / (1024 * 1024));
	else
		snprintf(buf, SK_METER_BYTES_LEN, "%.2f GiB",
			 (double)n / (1024.0 * 1024 * 1024));
	return buf;
}

void sk_meter_pace(uint64_t done, uint64_t total, long long ms, char *buf,
		   size_t len)
{
	double rate = ms > 0 ? (double)done * 1000.0 / (double)ms : 0;
	char r[SK_METER_BYTES_LEN];
	unsigned long long s;

	sk_meter_bytes((uint64_t)rate, r);
	if (rate < 1 || done > total) {
		snprintf(buf, len, "%s/s, ETA -:--", r);
		return;
	}
	s = (unsigned long long)((double)(total - done) / rate + 0.5);
	snprintf(buf, len, "%s/s, ETA %llu:%02llu", r, s / 60, s % 60);
}
