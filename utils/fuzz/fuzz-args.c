// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the validators of what a command line (or nfsd, for
 * the helper) hands layoutctl: ranges, numbers, superblock ids, names,
 * NQNs, IQNs and client addresses. The first byte picks the validator.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lc_addr a, b;
	uint64_t off, len;
	unsigned int u;
	char *s;

	if (!size)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 8) {
	case 0: lc_parse_range(s, &off, &len); break;
	case 1: lc_parse_u32(s, 0, 3600, &u); break;
	case 2: lc_valid_sbid(s); break;
	case 3: lc_valid_name(s, 64); break;
	case 4: lc_valid_nqn(s); break;
	case 5: lc_valid_iqn(s); break;
	case 6:
		if (!lc_parse_addr(s, &a) && !lc_parse_addr(s, &b) && !lc_addr_equal(&a, &b))
			abort();	/* the same text must give the same address */
		break;
	case 7: lc_all_digits(s); break;
	}
	free(s);
	return 0;
}
