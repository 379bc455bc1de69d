// SPDX-License-Identifier: GPL-2.0
/*
 * leasehold - hold a classic F_SETLEASE lease (read or write) on FILE and
 * answer its breaks as told, printing what happens, one line each:
 *
 *   leasehold FILE rd|wr|layout release|downgrade|ignore DIR
 *   leasehold FILE layout give DIR
 *
 * "layout" is a userspace layout lease (F_SETLEASE with F_RDLCK | F_LAYOUT)
 * on the whole file, which a truncate or punch breaks; ignored, the
 * breaker fails with ETXTBSY after lease-break-time and the lease stays.
 *
 *   held rd|wr|layout              the lease was granted
 *   sigio getlease=RDLCK|UNLCK     a break: SIGIO, and what F_GETLEASE then
 *                                  reports (the type the breaker asks for)
 *   released / downgraded          the answer: F_UNLCK or F_RDLCK
 *   break START END                "give": the range being broken, read
 *                                  from the fd's fdinfo ("layout_break:")
 *   shrunk 0:START                 "give": the lease then shrunk to
 *                                  [0, START) with F_SETLAYOUT, giving
 *                                  back what the break needs (released if
 *                                  START is 0; "break unknown" and no
 *                                  answer if fdinfo shows no range)
 *
 * Before it answers a break it creates DIR/answered, so that a breaker can
 * tell whether its open returned only after the answer. "ignore" never
 * answers; the kernel takes the lease back after lease-break-time. It exits
 * on SIGTERM, or 300 s after the last event.
 * Exit status: 0 done, 1 an error, 2 bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "layoutlease.h"

/* "give": the start of the range fdinfo says the lease is broken for. */
static int break_start(int fd, long long *start)
{
	char path[64], line[256], end[32];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "layout_break: %lld %31s", start, end) == 2) {
			printf("break %lld %s\n", *start, end);
			found = 1;
			break;
		}
	fclose(f);
	return found;
}

static int give(int fd)
{
	struct layout_lease_arg ll = { .type = F_RDLCK | F_LAYOUT };
	long long start;

	if (!break_start(fd, &start)) {
		printf("break unknown\n");
		return 0;
	}
	if (start == 0) {
		if (fcntl(fd, F_SETLEASE, F_UNLCK | F_LAYOUT) < 0)
			return fprintf(stderr, "leasehold: F_UNLCK: %s\n", strerror(errno)), 1;
		printf("released\n");
		return 0;
	}
	ll.len = start;
	if (fcntl(fd, F_SETLAYOUT, &ll) < 0)
		return fprintf(stderr, "leasehold: F_SETLAYOUT 0:%lld: %s\n", start, strerror(errno)), 1;
	printf("shrunk 0:%lld\n", start);
	return 0;
}

static const char *lease_name(int type)
{
	switch (type) {
	case F_RDLCK:
		return "RDLCK";
	case F_WRLCK:
		return "WRLCK";
	case F_UNLCK:
		return "UNLCK";
	case F_RDLCK | F_LAYOUT:
		return "LAYOUT";
	case F_UNLCK | F_LAYOUT:
		return "LAYOUT-UNLCK";
	}
	return "?";
}

int main(int argc, char **argv)
{
	struct timespec timeout = { .tv_sec = 300 };
	int type, answer = -1, fd, sig, giving = 0;
	char path[4096];
	sigset_t set;

	/* answer: the type to set on a break, or -1 to ignore it. */
	if (argc == 5 && !strcmp(argv[3], "release"))
		answer = F_UNLCK;
	else if (argc == 5 && !strcmp(argv[3], "downgrade"))
		answer = F_RDLCK;
	else if (argc == 5 && !strcmp(argv[3], "give") && !strcmp(argv[2], "layout"))
		giving = 1;
	if (argc != 5 || (strcmp(argv[2], "rd") && strcmp(argv[2], "wr") &&
			  strcmp(argv[2], "layout")) ||
	    (answer < 0 && !giving && strcmp(argv[3], "ignore"))) {
		fprintf(stderr, "usage: leasehold FILE rd|wr|layout release|downgrade|ignore DIR\n"
				"       leasehold FILE layout give DIR\n");
		return 2;
	}
	if (!strcmp(argv[2], "layout")) {
		type = F_RDLCK | F_LAYOUT;
		if (answer == F_UNLCK)
			answer = F_UNLCK | F_LAYOUT;
		else if (answer >= 0)
			return fprintf(stderr, "leasehold: a layout lease is only released\n"), 2;
	} else {
		type = strcmp(argv[2], "rd") ? F_WRLCK : F_RDLCK;
	}
	if (snprintf(path, sizeof(path), "%s/answered", argv[4]) >= (int)sizeof(path))
		return fprintf(stderr, "leasehold: DIR too long\n"), 2;
	if (mkdir(argv[4], 0755) && errno != EEXIST) {
		fprintf(stderr, "leasehold: %s: %s\n", argv[4], strerror(errno));
		return 1;
	}
	unlink(path);

	/* Take SIGIO, the signal a lease break sends, synchronously. */
	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);

	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "leasehold: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (fcntl(fd, F_SETLEASE, type) < 0) {
		fprintf(stderr, "leasehold: F_SETLEASE %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	printf("held %s\n", argv[2]);
	fflush(stdout);

	for (;;) {
		sig = sigtimedwait(&set, NULL, &timeout);
		if (sig < 0 && errno == EINTR)
			continue;
		if (sig < 0 || sig == SIGTERM)
			break;
		printf("sigio getlease=%s\n", lease_name(fcntl(fd, F_GETLEASE)));
		fflush(stdout);
		if (giving) {
			if (give(fd))
				return 1;
			fflush(stdout);
			continue;
		}
		if (answer < 0)
			continue;
		if (close(open(path, O_CREAT | O_WRONLY, 0644)) < 0) {
			fprintf(stderr, "leasehold: %s: %s\n", path, strerror(errno));
			return 1;
		}
		if (fcntl(fd, F_SETLEASE, answer) < 0) {
			fprintf(stderr, "leasehold: F_SETLEASE %s: %s\n",
				lease_name(answer), strerror(errno));
			return 1;
		}
		printf(answer == F_RDLCK ? "downgraded\n" : "released\n");
		fflush(stdout);
	}
	return 0;
}
