// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim for the unit tests: pidfd_open() fails with ENOSYS, as
 * on a kernel before 5.3 or under a seccomp filter that denies it. The
 * failure comes late (NOPIDFD_DELAY_MS, default 300), so that a backend
 * child started before its parent can watch it would have done its work
 * by then: the tests show that it does none.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>

static int fail_late(void)
{
	const char *s = getenv("NOPIDFD_DELAY_MS");
	long ms = s ? atol(s) : 300;
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
	errno = ENOSYS;
	return -1;
}

int pidfd_open(pid_t pid, unsigned int flags);
int pidfd_open(pid_t pid, unsigned int flags)
{
	(void)pid;
	(void)flags;
	return fail_late();
}

long syscall(long n, ...)
{
	static long (*real)(long, ...);
	long a[6];
	va_list ap;

	if (n == SYS_pidfd_open)
		return fail_late();
	va_start(ap, n);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	return real(n, a[0], a[1], a[2], a[3], a[4], a[5]);
}
