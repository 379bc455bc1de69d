// SPDX-License-Identifier: GPL-2.0
/*
 * timeop - time one layout change, or page faults, from inside the process.
 *
 *   timeop truncate FILE LENGTH
 *   timeop punch FILE OFFSET LENGTH
 *   timeop faults FILE LENGTH ROUNDS
 *
 * truncate and punch (fallocate PUNCH_HOLE|KEEP_SIZE) print "ns N": the
 * nanoseconds the system call took (CLOCK_MONOTONIC), without the cost of
 * starting a program, which under emulation is larger than what is
 * measured; then "end N": when it returned, in CLOCK_REALTIME nanoseconds
 * (date +%s%N), to set against other programs' clocks. faults maps LENGTH
 * bytes of FILE shared, writes one byte per page, unmaps, ROUNDS times, and
 * prints "faults N ns N per_s N".
 *
 * Exit status: 0 done, 1 a system call failed, 2 bad usage.
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

static long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: timeop truncate FILE LENGTH\n"
		"       timeop punch FILE OFFSET LENGTH\n"
		"       timeop faults FILE LENGTH ROUNDS\n");
	exit(2);
}

static long long num(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || *end || v < 0) {
		fprintf(stderr, "timeop: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

static int open_file(const char *path)
{
	int fd = open(path, O_RDWR);

	if (fd < 0) {
		fprintf(stderr, "timeop: open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static int faults(int fd, size_t len, long rounds)
{
	long page = sysconf(_SC_PAGESIZE), r;
	unsigned long long n = 0;
	long long t0, ns;
	size_t i;
	char *p;

	t0 = mono_ns();
	for (r = 0; r < rounds; r++) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			fprintf(stderr, "timeop: mmap: %s\n", strerror(errno));
			return 1;
		}
		for (i = 0; i < len; i += page, n++)
			((volatile char *)p)[i] = (char)r;
		munmap(p, len);
	}
	ns = mono_ns() - t0;
	printf("faults %llu ns %lld per_s %.0f\n", n, ns, n * 1e9 / (ns ? ns : 1));
	return 0;
}

int main(int argc, char **argv)
{
	long long t0, t1;
	struct timespec end;
	int fd, ret;

	if (argc < 4)
		usage();
	if (!strcmp(argv[1], "faults")) {
		if (argc != 5)
			usage();
		fd = open_file(argv[2]);
		return faults(fd, num(argv[3]), num(argv[4]));
	}
	fd = open_file(argv[2]);
	if (!strcmp(argv[1], "truncate") && argc == 4) {
		off_t len = num(argv[3]);

		t0 = mono_ns();
		ret = ftruncate(fd, len);
		t1 = mono_ns();
	} else if (!strcmp(argv[1], "punch") && argc == 5) {
		off_t off = num(argv[3]), len = num(argv[4]);

		t0 = mono_ns();
		ret = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				off, len);
		t1 = mono_ns();
	} else {
		usage();
	}
	clock_gettime(CLOCK_REALTIME, &end);
	if (ret) {
		fprintf(stderr, "timeop: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("ns %lld\nend %lld\n", t1 - t0,
	       end.tv_sec * 1000000000LL + end.tv_nsec);
	return 0;
}
