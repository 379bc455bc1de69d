// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: watch --json's reading of a trace_pipe line (its
 * context columns, a task name that may hold anything) and the escaping of
 * what it makes of it. The input, up to its first NUL, is one line.
 */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *o;
	char *l = malloc(size + 1);

	if (!l)
		return 0;
	memcpy(l, data, size);
	l[size] = '\0';
	o = lc_watch_event_json(l);
	if (o)
		lc_print_json(o, false);
	json_object_put(o);
	free(l);
	return 0;
}
