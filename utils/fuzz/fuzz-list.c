// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: everything `layoutctl list` parses - an nfsd client's
 * info and states files, /proc/locks, and a DAX file's fdinfo. The input
 * is split at lines "%%" into those four, in that order, written into a
 * fake /proc under LAYOUTCTL_ROOT; `list --json` and the table of one
 * file both read them.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static char info[4096], states[4096], locks[4096], file[4096];
static char fdinfo[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	lc_fuzz_setup();
	lc_fuzz_path(info, sizeof(info), "root/proc/fs/nfsd/clients/1/info");
	lc_fuzz_path(states, sizeof(states), "root/proc/fs/nfsd/clients/1/states");
	lc_fuzz_path(locks, sizeof(locks), "root/proc/locks");
	lc_fuzz_path(file, sizeof(file), "f.dat");
	lc_fuzz_path(fdinfo, sizeof(fdinfo), "root/proc/self/fdinfo");
	lc_fuzz_write(file, (const uint8_t *)"x", 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *json[] = { "list", "--json", NULL }, *one[] = { "list", file, NULL };
	char *parts[] = { info, states, locks, NULL };
	const uint8_t *p = data, *end = data + size, *sep;
	char fd[4200];
	size_t i;
	int n;

	for (i = 0; i < 4; i++) {
		sep = memmem(p, end - p, "\n%%\n", 4);
		if (!sep)
			sep = end;
		if (i < 3) {
			lc_fuzz_write(parts[i], p, sep - p);
		} else {
			/* the fd list opens its file with: the lowest free ones */
			for (n = 3; n < 16; n++) {
				snprintf(fd, sizeof(fd), "%s/%d", fdinfo, n);
				lc_fuzz_write(fd, p, sep - p);
			}
		}
		p = sep < end ? sep + 4 : end;
	}
	lc_fuzz_call(cmd_list, 2, json);
	lc_fuzz_call(cmd_list, 2, one);
	return 0;
}
