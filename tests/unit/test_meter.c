/* SPDX-License-Identifier: MIT */
/* test_meter.c - meter: the byte count shared with forked children, its
 * ticks, and how bytes are shown. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "base/meter.h"
#include "testutil.h"

static int ticks;

static void on_tick(void *data)
{
	(void)data;
	ticks++;
}

static void test_closed_is_noop(void)
{
	uint64_t total = 1;

	sk_meter_add(100);
	sk_meter_expect(5);
	CU_ASSERT_FALSE(sk_meter_is_open());
	CU_ASSERT_EQUAL(sk_meter_count(), 0);
	CU_ASSERT_FALSE(sk_meter_expected(&total));
	CU_ASSERT_EQUAL(total, 1);
}

/* A forked child's adds reach the parent; the child never ticks. */
static void test_children_count(void)
{
	int status = -1;
	pid_t pid;

	ticks = 0;
	CU_ASSERT_EQUAL_FATAL(sk_meter_open(on_tick, NULL), 0);
	sk_meter_add(10); /* the first add ticks at once */
	CU_ASSERT_EQUAL(ticks, 1);
	sk_meter_add(5); /* within SK_METER_TICK_MS: no tick */
	CU_ASSERT_EQUAL(ticks, 1);
	pid = fork();
	if (pid == 0) {
		int before = ticks;

		for (int i = 0; i < 1000; i++)
			sk_meter_add(1000);
		usleep((SK_METER_TICK_MS + 20) * 1000);
		sk_meter_add(1);
		sk_meter_tick_now();
		_exit(ticks == before ? 0 : 1);
	}
	CU_ASSERT_FATAL(pid > 0);
	waitpid(pid, &status, 0);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CU_ASSERT_EQUAL(sk_meter_count(), 15 + 1000 * 1000 + 1);
	usleep((SK_METER_TICK_MS + 20) * 1000);
	sk_meter_poll();
	CU_ASSERT_EQUAL(ticks, 2);
	sk_meter_tick_now();
	CU_ASSERT_EQUAL(ticks, 3);
	sk_meter_close();
	CU_ASSERT_FALSE(sk_meter_is_open());
}

static void test_expect(void)
{
	uint64_t total = 0;

	CU_ASSERT_EQUAL_FATAL(sk_meter_open(NULL, NULL), 0);
	CU_ASSERT_FALSE(sk_meter_expected(&total));
	sk_meter_expect(42);
	CU_ASSERT_TRUE(sk_meter_expected(&total));
	CU_ASSERT_EQUAL(total, 42);
	sk_meter_expect_reset();
	CU_ASSERT_FALSE(sk_meter_expected(&total));
	sk_meter_close();
}

static void test_format(void)
{
	char b[SK_METER_BYTES_LEN], pace[64];

	CU_ASSERT_STRING_EQUAL(sk_meter_bytes(0, b), "0 B");
	CU_ASSERT_STRING_EQUAL(sk_meter_bytes(1023, b), "1023 B");
	CU_ASSERT_STRING_EQUAL(sk_meter_bytes(1536, b), "1.5 KiB");
	CU_ASSERT_STRING_EQUAL(sk_meter_bytes(200ull << 20, b), "200.0 MiB");
	CU_ASSERT_STRING_EQUAL(sk_meter_bytes(5ull << 30, b), "5.00 GiB");
	CU_ASSERT_STRING_EQUAL(sk_meter_bytes(UINT64_MAX, b),
			       "17179869184.00 GiB");
	sk_meter_pace(0, 100, 0, pace, sizeof(pace));
	CU_ASSERT_STRING_EQUAL(pace, "0 B/s, ETA -:--");
	/* 10 MiB of 100 MiB in 1 s: 90 MiB, 9 s to go. */
	sk_meter_pace(10ull << 20, 100ull << 20, 1000, pace, sizeof(pace));
	CU_ASSERT_STRING_EQUAL(pace, "10.0 MiB/s, ETA 0:09");
	/* 1 MiB of 1 GiB in 1 s: 1023 s to go. */
	sk_meter_pace(1ull << 20, 1ull << 30, 1000, pace, sizeof(pace));
	CU_ASSERT_STRING_EQUAL(pace, "1.0 MiB/s, ETA 17:03");
	sk_meter_pace(200, 100, 1000, pace, sizeof(pace));
	CU_ASSERT_STRING_EQUAL(pace, "200 B/s, ETA -:--");
}

static CU_TestInfo meter_tests[] = {
	{ "a closed meter counts nothing", test_closed_is_noop },
	{ "children count, only the parent ticks", test_children_count },
	{ "the verification pass says what it reads", test_expect },
	{ "bytes and pace for people", test_format },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "meter", NULL, NULL, NULL, NULL, meter_tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	if (tu_init() || CU_register_suites(suites) != CUE_SUCCESS)
		return tu_abort();
	return tu_run();
}
