// SPDX-License-Identifier: GPL-2.0
/*
 * pwnowait - one pwritev2(RWF_NOWAIT) of LENGTH bytes of 0x77 at OFFSET.
 *
 *   pwnowait FILE OFFSET LENGTH
 *
 * Prints "written N" or "EAGAIN" (the write would have had to wait).
 * Exit status: 0 written, 3 EAGAIN, 1 another error, 2 bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct iovec iov;
	long long off, len;
	char *end;
	ssize_t n;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: pwnowait FILE OFFSET LENGTH\n");
		return 2;
	}
	errno = 0;
	off = strtoll(argv[2], &end, 0);
	if (errno || *end || off < 0)
		return fprintf(stderr, "pwnowait: bad OFFSET\n"), 2;
	len = strtoll(argv[3], &end, 0);
	if (errno || *end || len <= 0 || len > 64 << 20)
		return fprintf(stderr, "pwnowait: bad LENGTH\n"), 2;
	fd = open(argv[1], O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "pwnowait: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	iov.iov_len = len;
	iov.iov_base = malloc(len);
	if (!iov.iov_base)
		return fprintf(stderr, "pwnowait: out of memory\n"), 1;
	memset(iov.iov_base, 0x77, len);
	n = pwritev2(fd, &iov, 1, off, RWF_NOWAIT);
	if (n < 0 && errno == EAGAIN) {
		printf("EAGAIN\n");
		return 3;
	}
	if (n < 0) {
		fprintf(stderr, "pwnowait: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("written %zd\n", n);
	return 0;
}
