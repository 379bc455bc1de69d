/* SPDX-License-Identifier: GPL-2.0 */
/* What layoutctl's libFuzzer targets share (fuzz-common.c). */
#ifndef LC_FUZZ_H
#define LC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "../lc.h"

void lc_fuzz_setup(void);
void lc_fuzz_path(char *buf, size_t len, const char *name);
int lc_fuzz_write(const char *path, const uint8_t *data, size_t size);
int lc_fuzz_call(int (*cmd)(int argc, char **argv), int argc, char **argv);

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
