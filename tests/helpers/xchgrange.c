// SPDX-License-Identifier: GPL-2.0
/*
 * xchgrange - exchange a range of two files' contents (XFS_IOC_EXCHANGE_RANGE,
 * Linux 6.10 and later), for which Debian 12's xfs_io has no command.
 *
 *   xchgrange FILE1 OFFSET1 FILE2 OFFSET2 LENGTH
 *
 * Exchanges LENGTH bytes of FILE1 at OFFSET1 with those of FILE2 at
 * OFFSET2: FILE2's blocks move to FILE1 and FILE1's to FILE2.
 * Prints nothing, or the error ("xchgrange: ...: Text file busy").
 * Exit status: 0 exchanged, 1 the call failed, 3 the filesystem cannot
 * exchange (EOPNOTSUPP), 2 bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* include/uapi xfs_fs.h of Linux 6.10 (fs/xfs/libxfs/xfs_fs.h) */
struct xfs_exchange_range {
	__s32 file1_fd;
	__u32 pad;
	__u64 file1_offset;
	__u64 file2_offset;
	__u64 length;
	__u64 flags;
};

#ifndef XFS_IOC_EXCHANGE_RANGE
#define XFS_IOC_EXCHANGE_RANGE _IOW('X', 129, struct xfs_exchange_range)
#endif

static int number(const char *s, __u64 *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end || *s == '-' || !*s ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct xfs_exchange_range xr = { 0 };
	int fd1, fd2;

	if (argc != 6 || number(argv[2], &xr.file1_offset) ||
	    number(argv[4], &xr.file2_offset) || number(argv[5], &xr.length)) {
		fprintf(stderr, "usage: xchgrange FILE1 OFFSET1 FILE2 OFFSET2 LENGTH\n");
		return 2;
	}
	fd1 = open(argv[1], O_RDWR);
	if (fd1 < 0) {
		fprintf(stderr, "xchgrange: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	fd2 = open(argv[3], O_RDWR);
	if (fd2 < 0) {
		fprintf(stderr, "xchgrange: %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	xr.file1_fd = fd1;
	if (ioctl(fd2, XFS_IOC_EXCHANGE_RANGE, &xr)) {
		int e = errno;

		fprintf(stderr, "xchgrange: %s, %s: %s\n", argv[1], argv[3],
			strerror(e));
		return e == EOPNOTSUPP || e == ENOTTY ? 3 : 1;
	}
	return 0;
}
