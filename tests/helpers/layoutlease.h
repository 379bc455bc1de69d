/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The userspace layout lease interface of kernel-patches/, for the helpers
 * built where <linux/fcntl.h> may predate it.
 */
#ifndef LAYOUTLEASE_H
#define LAYOUTLEASE_H

#ifndef F_LAYOUT
#define F_LAYOUT 16
#endif

#ifndef F_SETLAYOUT
#define F_SETLAYOUT (1024 + 17)
#endif

/* struct layout_lease of <linux/fcntl.h> with kernel-patches */
struct layout_lease_arg {
	unsigned long long start, len;
	unsigned int type, flags;
};

#endif
