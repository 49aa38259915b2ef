/* SPDX-License-Identifier: MIT */
/*
 * segfault.h - how a test plugin dies of a real SIGSEGV: a write to a
 * page mapped without access, after the default action is restored (a
 * sanitizer, or the host, may have a handler that would turn the fault
 * into an ordinary exit, and the tests need a death by signal). Not a
 * NULL write: UBSan would catch that one before the fault and exit
 * instead. Needs _DEFAULT_SOURCE (MAP_ANONYMOUS) before any header.
 */
#ifndef SK_TEST_SEGFAULT_H
#define SK_TEST_SEGFAULT_H

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static inline void test_segfault(void)
{
	struct sigaction sa;
	sigset_t set;
	void *page;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGSEGV);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page != MAP_FAILED)
		*(volatile int *)page = 1;
	raise(SIGSEGV);
	abort();
}

#endif
