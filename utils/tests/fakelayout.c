// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim for the unit tests: fcntl() numbers F_GETLAYOUT and
 * F_SETLAYOUT (1042, 1041) answered as a kernel with the series would
 * (FAKELAYOUT=good: no lease held, F_UNLCK and a zero range), or as one
 * where those numbers mean something else (FAKELAYOUT=bad: an answer no
 * F_GETLAYOUT gives). Each F_SETLAYOUT call is logged to FAKELAYOUT_LOG and
 * succeeds. Every other fcntl() goes to libc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fake_layout_lease {
	uint64_t start, len;
	uint32_t type, flags;
};

static int fake(int fd, int cmd, void *arg, const char *sym)
{
	const char *mode = getenv("FAKELAYOUT"), *log = getenv("FAKELAYOUT_LOG");
	struct fake_layout_lease *ll = arg;
	int (*real)(int, int, ...);

	if (cmd == 1042) {
		ll->start = 0;
		ll->len = 0;
		ll->flags = 0;
		ll->type = mode && !strcmp(mode, "good") ? F_UNLCK : 7;
		return 0;
	}
	if (cmd == 1041) {
		FILE *f = log ? fopen(log, "a") : NULL;

		if (f) {
			fprintf(f, "setlayout %llu %llu\n", (unsigned long long)ll->start,
				(unsigned long long)ll->len);
			fclose(f);
		}
		return 0;
	}
	real = (int (*)(int, int, ...))dlsym(RTLD_NEXT, sym);
	return real(fd, cmd, arg);
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fake(fd, cmd, arg, "fcntl");
}

int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fake(fd, cmd, arg, "fcntl64");
}
