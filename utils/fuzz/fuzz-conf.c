// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the fencing configuration parser and check-config's
 * report of it. Each input is written as the configuration file (mode
 * 0600 in a directory of its own) and read by `layoutctl check-config`.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz.h"

static char conf[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	lc_fuzz_setup();
	lc_fuzz_path(conf, sizeof(conf), "layoutctl.conf");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[] = { "check-config", "--config", conf, NULL };

	if (lc_fuzz_write(conf, data, size))
		return 0;
	lc_fuzz_call(cmd_check_config, 3, argv);
	return 0;
}
