// SPDX-License-Identifier: GPL-2.0
/*
 * layoutctl lease: hold a layout lease on a file while a command runs.
 *
 * The lease is taken on layoutctl's own open file. When a layout change
 * breaks it, the command gets the break signal (SIGUSR1 unless --signal
 * says otherwise), SIGTERM after the grace period and SIGKILL after a
 * second one; the lease is released once the command has exited, and at
 * the latest one second before the kernel's lease-break-time runs out.
 *
 * A layout lease is asked for first: on the --range with F_SETLAYOUT, or on
 * the whole file with F_SETLEASE and F_LAYOUT (kernels with kernel-patches).
 * Elsewhere a read lease stands in: it is broken by every open for writing
 * and every truncate, which is more often than a layout lease, never less;
 * it always covers the whole file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lc.h"

#ifndef F_LAYOUT
#define F_LAYOUT	16	/* userspace layout lease, see kernel-patches */
#endif
#ifndef F_SETLAYOUT
#define F_SETLAYOUT	(1024 + 17)	/* a layout lease on a byte range */
#endif

/* struct layout_lease of <linux/fcntl.h> with kernel-patches */
struct lc_layout_lease {
	uint64_t start;
	uint64_t len;		/* 0: to the end of the file */
	uint32_t type;
	uint32_t flags;
};

#define LC_BROKEN	7	/* the lease was broken and the command stopped */

static const char lease_usage[] =
"usage: layoutctl lease PATH [--range OFF:LEN] [--signal SIG] [--grace S] -- CMD [ARG...]\n"
"Hold a layout lease on PATH while CMD runs. When a layout change breaks it,\n"
"CMD gets SIG (default USR1), SIGTERM after S seconds (default 5) and SIGKILL\n"
"after S more; the lease is released when CMD has exited. Exit status: CMD's,\n"
"or 7 when the lease was broken and CMD had to be stopped.\n";

static int parse_signal(const char *s)
{
	static const struct { const char *n; int sig; } sigs[] = {
		{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "HUP", SIGHUP },
		{ "INT", SIGINT }, { "TERM", SIGTERM }, { "KILL", SIGKILL },
	};
	unsigned int v;

	if (!strncmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!strcmp(s, sigs[i].n))
			return sigs[i].sig;
	if (!lc_parse_u32(s, 1, 64, &v))
		return v;
	return -1;
}

static unsigned int lease_break_time(void)
{
	char p[256], s[32];
	unsigned int v;

	lc_path(p, sizeof(p), "/proc/sys/fs/lease-break-time");
	if (lc_read_attr(p, s, sizeof(s)) || lc_parse_u32(s, 1, 1000000, &v))
		v = 45;
	return v;
}

int cmd_lease(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "range", required_argument, NULL, 'r' },
		{ "signal", required_argument, NULL, 's' },
		{ "grace", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t off = 0, len = UINT64_MAX;
	unsigned int grace = 5, lbt;
	int c, sig = SIGUSR1, fd, sfd, status = 0, stage = 0;
	bool have_range = false, layout = true, broken = false, released = false;
	bool ranged = false;
	int64_t deadline = 0, release_at = 0;
	struct stat st;
	sigset_t mask;
	pid_t pid;

	while ((c = getopt_long(argc, argv, "r:s:g:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (lc_parse_range(optarg, &off, &len)) {
				lc_err("lease: bad --range \"%s\" (OFF:LEN, LEN > 0 or \"end\", within 2^63)",
				       optarg);
				return LC_EUSAGE;
			}
			have_range = true;
			break;
		case 's':
			sig = parse_signal(optarg);
			if (sig < 0) {
				lc_err("lease: bad --signal \"%s\"", optarg);
				return LC_EUSAGE;
			}
			break;
		case 'g':
			if (lc_parse_u32(optarg, 0, LC_MAX_TIMEOUT, &grace)) {
				lc_err("lease: bad --grace \"%s\"", optarg);
				return LC_EUSAGE;
			}
			break;
		case 'h': fputs(lease_usage, stdout); return LC_OK;
		default: fputs(lease_usage, stderr); return LC_EUSAGE;
		}
	}
	if (argc - optind < 2) {
		fputs(lease_usage, stderr);
		return LC_EUSAGE;
	}
	fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		lc_err("lease: %s: %s", argv[optind], strerror(errno));
		return errno == ENOENT ? LC_ENOENT : errno == EACCES ? LC_EPERM : LC_EFAIL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		lc_err("lease: %s: not a regular file", argv[optind]);
		return LC_EUSAGE;
	}
	lbt = lease_break_time();
	if (grace * 2 + 1 > lbt)
		grace = lbt > 2 ? (lbt - 1) / 2 : 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGIO);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0 || fcntl(fd, F_SETSIG, SIGIO) || fcntl(fd, F_SETOWN, getpid())) {
		lc_err("lease: signal set-up: %s", strerror(errno));
		return LC_EFAIL;
	}

	/*
	 * A layout lease on the range where the kernel has ranged ones, else
	 * on the whole file, else a read lease.
	 */
	errno = 0;
	if (have_range) {
		struct lc_layout_lease ll = {
			.start = off,
			.len = len == UINT64_MAX ? 0 : len,
			.type = F_RDLCK | F_LAYOUT,
		};

		if (!fcntl(fd, F_SETLAYOUT, &ll))
			ranged = true;
		else if (errno == EINVAL)
			errno = 0;
	}
	if (!ranged && !errno && fcntl(fd, F_SETLEASE, F_LAYOUT) && errno == EINVAL) {
		layout = false;
		errno = 0;
		fcntl(fd, F_SETLEASE, F_RDLCK);
	}
	if (errno) {
		int e = errno;

		lc_err("lease: %s: %s%s", argv[optind], strerror(e),
		       e == EAGAIN ? " (the file is open for writing elsewhere)" : "");
		return e == EACCES || e == EPERM ? LC_EPERM : LC_EFAIL;
	}
	if (have_range && !ranged)
		lc_info("lease: %s lease on all of %s (ranged layout leases are not in this kernel)",
			layout ? "layout" : "read", argv[optind]);

	pid = fork();
	if (pid < 0) {
		lc_err("lease: fork: %s", strerror(errno));
		return LC_EFAIL;
	}
	if (pid == 0) {
		sigprocmask(SIG_UNBLOCK, &mask, NULL);
		execvp(argv[optind + 1], argv + optind + 1);
		lc_err("lease: %s: %s", argv[optind + 1], strerror(errno));
		_exit(127);
	}

	for (;;) {
		struct signalfd_siginfo si;
		struct pollfd p = { .fd = sfd, .events = POLLIN };
		int64_t left = -1;

		if (deadline)
			left = deadline - lc_now_ms();
		if (release_at && !released) {
			int64_t r = release_at - lc_now_ms();

			if (left < 0 || r < left)
				left = r;
		}
		if (deadline || (release_at && !released)) {
			if (left < 0)
				left = 0;
		}
		if (poll(&p, 1, (int)left) == 0) {
			if (release_at && !released && lc_now_ms() >= release_at) {
				fcntl(fd, F_SETLEASE, F_UNLCK);
				released = true;
				lc_err("lease: released at the end of lease-break-time; %s still running",
				       argv[optind + 1]);
			}
			if (deadline && lc_now_ms() >= deadline) {
				stage++;
				kill(pid, stage == 1 ? SIGTERM : SIGKILL);
				deadline = stage == 1 ? lc_now_ms() + grace * 1000LL : 0;
			}
			continue;
		}
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		switch (si.ssi_signo) {
		case SIGIO:
			if (broken)
				break;
			broken = true;
			lc_info("lease on %s broken: sending %s signal %d", argv[optind],
				argv[optind + 1], sig);
			kill(pid, sig);
			deadline = lc_now_ms() + grace * 1000LL;
			release_at = lc_now_ms() + (lbt - 1) * 1000LL;
			break;
		case SIGCHLD:
			if (waitpid(pid, &status, WNOHANG) != pid)
				break;
			fcntl(fd, F_SETLEASE, F_UNLCK);
			close(fd);
			if (broken)
				return LC_BROKEN;
			if (WIFEXITED(status))
				return WEXITSTATUS(status);
			return 128 + WTERMSIG(status);
		default:
			kill(pid, si.ssi_signo);
			break;
		}
	}
}
