// SPDX-License-Identifier: GPL-2.0
/*
 * dmawrite - DMA out of a DAX mapping of a file, into another file.
 *
 *   dmawrite TARGET FILE LENGTH
 *
 * Maps the first LENGTH bytes of FILE shared, faults them in, and writes
 * them with O_DIRECT to the start of TARGET (a file on NFS, say), so the
 * transport DMAs out of FILE's blocks while the write is in flight. Prints
 * "mapped <ns>" before the write and "done <ns> <bytes>" after it, with
 * CLOCK_REALTIME nanoseconds (date +%s%N), on stdout.
 *
 * Exit status: 0 the write completed, 1 a system call failed, 2 bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	volatile unsigned char *p;
	unsigned char *map;
	unsigned char sum = 0;
	char *end;
	size_t len, i;
	ssize_t n;
	int out, fd;

	if (argc != 4) {
		fprintf(stderr, "usage: dmawrite TARGET FILE LENGTH\n");
		return 2;
	}
	errno = 0;
	len = strtoul(argv[3], &end, 0);
	if (errno || *end || len == 0 || len % 4096) {
		fprintf(stderr, "dmawrite: LENGTH must be a positive multiple of 4096\n");
		return 2;
	}
	out = open(argv[1], O_WRONLY | O_CREAT | O_DIRECT, 0644);
	if (out < 0) {
		fprintf(stderr, "dmawrite: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	fd = open(argv[2], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "dmawrite: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, "dmawrite: mmap %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	/* Fault every page in, so the write pins mapped DAX pages. */
	for (p = map, i = 0; i < len; i += 4096)
		sum += p[i];
	printf("mapped %llu %u\n", now_ns(), sum);
	fflush(stdout);
	n = pwrite(out, map, len, 0);
	if (n < 0) {
		fprintf(stderr, "dmawrite: write %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("done %llu %zd\n", now_ns(), n);
	fflush(stdout);
	return 0;
}
