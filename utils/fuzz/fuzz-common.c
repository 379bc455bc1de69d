// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzz targets run layoutctl's commands in-process, on the test build
 * (LC_TEST_ENV: LAYOUTCTL_ROOT honoured) over a fake tree in a private
 * directory; make fuzz runs them with -close_fd_mask=3, so that only a
 * crash, a sanitizer report or a leak speaks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static char dir[] = "/tmp/layoutctl-fuzz.XXXXXX";

static void cleanup(void)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "fuzz: could not remove %s\n", dir);
}

void lc_fuzz_setup(void)
{
	char root[4096];

	if (!mkdtemp(dir)) {
		perror("fuzz: mkdtemp");
		exit(1);
	}
	atexit(cleanup);
	snprintf(root, sizeof(root), "%s/root", dir);
	setenv("LAYOUTCTL_ROOT", root, 1);
	unsetenv("LAYOUTCTL_CONF");
}

void lc_fuzz_path(char *buf, size_t len, const char *name)
{
	if ((size_t)snprintf(buf, len, "%s/%s", dir, name) >= len)
		abort();
}

static int mkdirs(char *path)
{
	char *slash = strrchr(path, '/');
	int err;

	if (!slash || slash == path)
		return 0;
	*slash = '\0';
	err = mkdir(path, 0700);
	if (err && errno == ENOENT) {
		err = mkdirs(path);
		if (!err)
			err = mkdir(path, 0700);
	}
	if (err && errno == EEXIST)
		err = 0;
	*slash = '/';
	return err;
}

int lc_fuzz_write(const char *path, const uint8_t *data, size_t size)
{
	char copy[4096];
	ssize_t n;
	int fd;

	snprintf(copy, sizeof(copy), "%s", path);
	if (mkdirs(copy))
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	while (size) {
		n = write(fd, data, size);
		if (n <= 0)
			break;
		data += n;
		size -= n;
	}
	close(fd);
	return size ? -1 : 0;
}

/* A command as main() runs it: getopt from the start, a fresh argv copy. */
int lc_fuzz_call(int (*cmd)(int argc, char **argv), int argc, char **argv)
{
	char *copy[16];
	int i;

	for (i = 0; i < argc && i < 15; i++)
		copy[i] = argv[i];
	copy[i] = NULL;
	optind = 0;
	i = cmd(argc, copy);
	fflush(stdout);
	return i;
}
