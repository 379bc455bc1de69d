// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the fence records and their journals, as `layoutctl
 * fenced` (table and --json) reads them. The input is split at a line
 * "%%" into the record of client1 off pmem0 and its journal, written into
 * the state directory of a configuration that names both.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static char conf[4096], rec[4096], journal[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char text[8192], state[4096];

	lc_fuzz_setup();
	lc_fuzz_path(conf, sizeof(conf), "layoutctl.conf");
	lc_fuzz_path(state, sizeof(state), "state");
	lc_fuzz_path(rec, sizeof(rec), "state/fenced/client1@pmem0");
	lc_fuzz_path(journal, sizeof(journal), "state/fenced/.client1@pmem0.journal");
	snprintf(text, sizeof(text),
		 "[global]\nstate-dir = %s\n[client \"client1\"]\naddress = 10.0.0.2\n"
		 "nvme-host = nqn.2014-08.org.nvmexpress:uuid:1\n"
		 "nvmet-subsystem = pmem0 nqn.2026-01.io.layoutbreak:pmem0-client1\n"
		 "[sb \"pmem0\"]\nbackend = nvmet\n", state);
	lc_fuzz_write(conf, (const uint8_t *)text, strlen(text));
	lc_fuzz_write(rec, (const uint8_t *)"", 0);
	chmod(state, 0755);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *json[] = { "fenced", "--config", conf, "--json", NULL };
	char *table[] = { "fenced", "--config", conf, NULL };
	const uint8_t *sep = memmem(data, size, "\n%%\n", 4);
	size_t n = sep ? (size_t)(sep - data) : size;

	lc_fuzz_write(rec, data, n);
	if (sep)
		lc_fuzz_write(journal, sep + 4, size - n - 4);
	else
		remove(journal);
	lc_fuzz_call(cmd_fenced, 4, json);
	lc_fuzz_call(cmd_fenced, 3, table);
	return 0;
}
