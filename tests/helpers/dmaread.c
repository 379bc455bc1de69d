// SPDX-License-Identifier: GPL-2.0
/*
 * dmaread - DMA from a block device into a DAX mapping of a file.
 *
 *   dmaread DEVICE FILE LENGTH [OFFSET]
 *
 * Maps LENGTH bytes of FILE at OFFSET (default 0) shared, faults them in,
 * and reads LENGTH bytes from DEVICE with O_DIRECT straight into that
 * mapping, so the
 * device DMAs into the file's blocks while the read is in flight. Prints
 * "mapped" before the read and "done <ns> <bytes>" after it, with
 * CLOCK_REALTIME nanoseconds (date +%s%N), on stdout.
 *
 * Exit status: 0 the read completed, 1 a system call failed, 2 bad usage.
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
	char *end;
	size_t len, i;
	off_t off = 0;
	ssize_t n;
	int dev, fd;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: dmaread DEVICE FILE LENGTH [OFFSET]\n");
		return 2;
	}
	errno = 0;
	len = strtoul(argv[3], &end, 0);
	if (errno || *end || len == 0 || len % 4096) {
		fprintf(stderr, "dmaread: LENGTH must be a positive multiple of 4096\n");
		return 2;
	}
	if (argc == 5) {
		errno = 0;
		off = strtoll(argv[4], &end, 0);
		if (errno || *end || off < 0 || off % 4096) {
			fprintf(stderr, "dmaread: OFFSET must be a multiple of 4096\n");
			return 2;
		}
	}
	dev = open(argv[1], O_RDONLY | O_DIRECT);
	if (dev < 0) {
		fprintf(stderr, "dmaread: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	fd = open(argv[2], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "dmaread: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	if (map == MAP_FAILED) {
		fprintf(stderr, "dmaread: mmap %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	/* Fault every page in writable, so the read pins mapped DAX pages. */
	for (p = map, i = 0; i < len; i += 4096)
		p[i] = p[i];
	printf("mapped %llu\n", now_ns());
	fflush(stdout);
	n = pread(dev, map, len, 0);
	if (n < 0) {
		fprintf(stderr, "dmaread: read %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("done %llu %zd\n", now_ns(), n);
	fflush(stdout);
	return 0;
}
