// SPDX-License-Identifier: GPL-2.0
/*
 * leaseshim.so - give a program that registers a mapped file as an RDMA
 * memory region (ib_write_bw --mmap=FILE) the layout lease our kernel asks
 * for before a long-term pin of DAX memory.
 *
 *   LD_PRELOAD=leaseshim.so ib_write_bw --mmap=FILE ...
 *
 * Every shared, writable mmap() of a file is followed by
 * fcntl(fd, F_SETLEASE, F_RDLCK | F_LAYOUT) on its descriptor; the lease
 * stays with the open file (the mapping keeps it) after the program closes
 * the descriptor. The outcome goes to stderr as "leaseshim: ..."; the
 * mapping is returned either way, so that on a kernel without layout
 * leases the registration itself shows what happens.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#ifndef F_LAYOUT
#define F_LAYOUT 16
#endif

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static void *(*real)(void *, size_t, int, int, int, off_t);
	struct stat st;
	void *p;
	int err;

	if (!real)
		real = (void *(*)(void *, size_t, int, int, int, off_t))
			dlsym(RTLD_NEXT, "mmap");
	if (fd >= 0 && (flags & MAP_SHARED) && (prot & PROT_WRITE) &&
	    fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		err = fcntl(fd, F_SETLEASE, F_RDLCK | F_LAYOUT) ? errno : 0;
		fprintf(stderr, "leaseshim: layout lease on fd %d: %s\n", fd,
			err ? strerror(err) : "taken");
	}
	p = real(addr, len, prot, flags, fd, off);
	return p;
}
