// SPDX-License-Identifier: GPL-2.0
/*
 * dioself - direct I/O whose buffer is a shared mapping of the same file.
 *
 *   dioself FILE
 *
 * FILE must be at least 4 MiB. Maps its first MiB shared and, with an
 * O_DIRECT descriptor of the same file, writes that mapping to [2M, 3M),
 * reads [2M, 3M) back into the mapping, and writes the mapping over the very
 * range it maps, [0, 1M). Each copy faults on the buffer while the I/O path
 * holds the file's I/O lock: a filesystem that held the lock that page
 * faults take across direct I/O submission would deadlock here. Prints "ok"
 * when the data read back matches what was written.
 *
 * Exit status: 0 ok, 1 a system call failed or the data differ, 2 bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB (1024 * 1024)

static int fail(const char *what, const char *file)
{
	fprintf(stderr, "dioself: %s %s: %s\n", what, file, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	unsigned char *map, *copy;
	struct stat st;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: dioself FILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_DIRECT);
	if (fd < 0)
		return fail("open", argv[1]);
	if (fstat(fd, &st) < 0)
		return fail("stat", argv[1]);
	if (st.st_size < 4 * MIB) {
		fprintf(stderr, "dioself: %s is smaller than 4 MiB\n", argv[1]);
		return 2;
	}
	map = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return fail("mmap", argv[1]);
	copy = malloc(MIB);
	if (!copy)
		return fail("malloc", "");
	memcpy(copy, map, MIB);

	if (pwrite(fd, map, MIB, 2 * MIB) != MIB)
		return fail("pwrite from own mapping", argv[1]);
	memset(map, 0, MIB);
	if (pread(fd, map, MIB, 2 * MIB) != MIB)
		return fail("pread into own mapping", argv[1]);
	if (memcmp(map, copy, MIB)) {
		fprintf(stderr, "dioself: data read back differ\n");
		return 1;
	}
	if (pwrite(fd, map, MIB, 0) != MIB)
		return fail("pwrite of own mapping over itself", argv[1]);
	if (memcmp(map, copy, MIB)) {
		fprintf(stderr, "dioself: mapping changed by writing it over itself\n");
		return 1;
	}
	printf("ok\n");
	return 0;
}
