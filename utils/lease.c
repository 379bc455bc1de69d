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
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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
#ifndef F_GETLAYOUT
#define F_GETLAYOUT	(1024 + 18)	/* read it back */
#endif

/* struct layout_lease of <linux/fcntl.h> with kernel-patches */
struct lc_layout_lease {
	uint64_t start;
	uint64_t len;		/* 0: to the end of the file */
	uint32_t type;
	uint32_t flags;
};

/*
 * lease's own exit statuses, as timeout(1) and env(1) have them, apart
 * from any CMD may exit with: otherwise lease exits with CMD's status.
 */
#define LEASE_BROKEN	124	/* the lease was broken; CMD was told to stop */
#define LEASE_FAILED	125	/* no lease: usage, the file, the kernel */
#define LEASE_NOEXEC	126	/* CMD could not be run */
#define LEASE_NOCMD	127	/* CMD was not found */

static const char lease_usage[] =
"usage: layoutctl lease PATH [--range OFF:LEN] [--signal SIG] [--grace S] -- CMD [ARG...]\n"
"Hold a layout lease on PATH while CMD runs. When a layout change breaks it,\n"
"CMD gets SIG (default USR1), SIGTERM after S seconds (default 5) and SIGKILL\n"
"after S more; the lease is released when CMD has exited.\n"
"Exit status: CMD's (128+N if signal N killed it), or 124 the lease was\n"
"broken, 125 no lease was taken (usage, PATH, the kernel refused), 126 CMD\n"
"could not be run, 127 CMD was not found.\n";

/* What the command line asks for. */
struct lease_req {
	const char *path;
	char **cmd;
	uint64_t off, len;
	bool have_range;
	int sig;
	unsigned int grace;
};

/* A lease taken and the command run under it. */
struct lease_run {
	const struct lease_req *req;
	int fd, sfd;
	bool layout, ranged;
	pid_t pid;
	bool broken, released;
	int stage;
	int64_t deadline, release_at;
	unsigned int lbt;
};

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

static int lease_args(int argc, char **argv, struct lease_req *req)
{
	static const struct option opts[] = {
		{ "range", required_argument, NULL, 'r' },
		{ "signal", required_argument, NULL, 's' },
		{ "grace", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*req = (struct lease_req){ .len = UINT64_MAX, .sig = SIGUSR1, .grace = 5 };
	while ((c = lc_getopt(argc, argv, "r:s:g:h", opts)) != -1) {
		switch (c) {
		case 'r':
			if (lc_parse_range(optarg, &req->off, &req->len)) {
				lc_usage_error("bad --range \"%s\" (OFF:LEN, LEN > 0 or \"end\", within 2^63)",
					       optarg);
				return LEASE_FAILED;
			}
			req->have_range = true;
			break;
		case 's':
			req->sig = parse_signal(optarg);
			if (req->sig < 0) {
				lc_usage_error("bad --signal \"%s\"", optarg);
				return LEASE_FAILED;
			}
			break;
		case 'g':
			if (lc_parse_u32(optarg, 0, LC_MAX_TIMEOUT, &req->grace)) {
				lc_usage_error("bad --grace \"%s\"", optarg);
				return LEASE_FAILED;
			}
			break;
		case 'h':
			fputs(lease_usage, stdout);
			return -1;
		default:
			return LEASE_FAILED;
		}
	}
	if (argc - optind < 2) {
		lc_usage_error(argc == optind ? "no PATH given" : "no command given (-- CMD [ARG...])");
		return LEASE_FAILED;
	}
	req->path = argv[optind];
	req->cmd = argv + optind + 1;
	return 0;
}

/*
 * Does /proc/locks show a write lease or delegation on @st's inode? Even
 * an O_NONBLOCK open for reading starts the break of such a lease before
 * it fails, so that is looked at first.
 */
static bool write_leased(const struct stat *st)
{
	char p[PATH_MAX], *line = NULL;
	size_t cap = 0;
	bool found = false;
	FILE *fp;

	if (lc_path(p, sizeof(p), "/proc/locks"))
		return false;
	fp = fopen(p, "re");
	while (fp && !found && getline(&line, &cap, fp) > 0) {
		char kind[16], type[16];
		unsigned int maj, min;
		unsigned long ino;

		if (strstr(line, "->") ||
		    sscanf(line, "%*s %15s %*s %15s %*d %x:%x:%lu", kind, type, &maj, &min,
			   &ino) != 5)
			continue;
		found = (!strcmp(kind, "LEASE") || !strcmp(kind, "DELEG")) &&
			!strcmp(type, "WRITE") && maj == major(st->st_dev) &&
			min == minor(st->st_dev) && ino == st->st_ino;
	}
	free(line);
	if (fp)
		fclose(fp);
	return found;
}

/*
 * PATH, opened without waiting on anything and without breaking anyone's
 * lease: a FIFO would block the open for as long as no writer comes, and
 * a plain open breaks a write lease someone else holds. Only a regular
 * file is kept.
 */
static int lease_open(const char *path)
{
	struct stat st;
	int fd, e;

	if (!stat(path, &st) && S_ISREG(st.st_mode) && write_leased(&st)) {
		lc_err("%s: someone else holds a write lease or delegation on it", path);
		return -1;
	}

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		lc_err("%s: %s%s", path, strerror(e),
		       e == EWOULDBLOCK ? " (someone else holds a write lease on it)" : "");
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		lc_err("%s: not a regular file", path);
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/* Break signals to a signalfd, with SIGCHLD and what should reach CMD. */
static int lease_signals(struct lease_run *run, sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGIO);
	sigaddset(mask, SIGCHLD);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGHUP);
	sigprocmask(SIG_BLOCK, mask, NULL);
	run->sfd = signalfd(-1, mask, SFD_CLOEXEC);
	if (run->sfd < 0 || fcntl(run->fd, F_SETSIG, SIGIO) ||
	    fcntl(run->fd, F_SETOWN, getpid())) {
		lc_err("signal set-up: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Does this kernel have the series' ranged layout leases? Their fcntl
 * numbers are the series' own, not mainline's, where they may one day mean
 * something else; so F_SETLAYOUT is used only once F_GETLAYOUT, which
 * only reads, has answered as the series' does on a file with no lease:
 * F_UNLCK, a zero range, no flags, over a struct filled with other values.
 */
static bool have_ranged_layouts(int fd)
{
	struct lc_layout_lease ll;

	memset(&ll, 0xa5, sizeof(ll));
	if (fcntl(fd, F_GETLAYOUT, &ll)) {
		errno = 0;
		return false;
	}
	if (ll.type == F_UNLCK && !ll.start && !ll.len && !ll.flags)
		return true;
	lc_info("fcntl %d answered unlike F_GETLAYOUT: not asking for a ranged layout lease",
		F_GETLAYOUT);
	return false;
}

/*
 * A layout lease on the range where the kernel has ranged ones, else on
 * the whole file, else a read lease.
 */
static int lease_take(struct lease_run *run)
{
	const struct lease_req *req = run->req;

	errno = 0;
	run->layout = true;
	if (req->have_range && have_ranged_layouts(run->fd)) {
		struct lc_layout_lease ll = {
			.start = req->off,
			.len = req->len == UINT64_MAX ? 0 : req->len,
			.type = F_RDLCK | F_LAYOUT,
		};

		if (!fcntl(run->fd, F_SETLAYOUT, &ll))
			run->ranged = true;
		else if (errno == EINVAL)
			errno = 0;
	}
	if (!run->ranged && !errno && fcntl(run->fd, F_SETLEASE, F_LAYOUT) && errno == EINVAL) {
		run->layout = false;
		errno = 0;
		fcntl(run->fd, F_SETLEASE, F_RDLCK);
	}
	if (errno) {
		int e = errno;

		lc_err("%s: %s%s", req->path, strerror(e),
		       e == EAGAIN ? " (the file is open for writing elsewhere)" : "");
		return -1;
	}
	if (req->have_range && !run->ranged)
		lc_info("%s lease on all of %s (ranged layout leases are not in this kernel)",
			run->layout ? "layout" : "read", req->path);
	return 0;
}

/*
 * CMD, started once the lease is held. Whether it could be run is known
 * before this returns: the child reports a failed exec through a pipe
 * that closes on a successful one.
 */
static int lease_start(struct lease_run *run, const sigset_t *mask)
{
	int pfd[2], e = 0;
	ssize_t n;

	if (pipe2(pfd, O_CLOEXEC)) {
		lc_err("pipe: %s", strerror(errno));
		return LEASE_FAILED;
	}
	run->pid = fork();
	if (run->pid < 0) {
		lc_err("fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return LEASE_FAILED;
	}
	if (run->pid == 0) {
		close(pfd[0]);
		sigprocmask(SIG_UNBLOCK, mask, NULL);
		execvp(run->req->cmd[0], run->req->cmd);
		e = errno;
		if (write(pfd[1], &e, sizeof(e)) < 0)
			_exit(LEASE_NOEXEC);
		_exit(e == ENOENT ? LEASE_NOCMD : LEASE_NOEXEC);
	}
	close(pfd[1]);
	do
		n = read(pfd[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == sizeof(e)) {
		lc_err("%s: %s", run->req->cmd[0], strerror(e));
		waitpid(run->pid, NULL, 0);
		return e == ENOENT ? LEASE_NOCMD : LEASE_NOEXEC;
	}
	return 0;
}

/* How long poll() may wait for the next signal: -1 for ever. */
static int lease_wait_ms(const struct lease_run *run)
{
	int64_t left = -1, now = lc_now_ms();

	if (run->deadline)
		left = run->deadline - now;
	if (run->release_at && !run->released) {
		int64_t r = run->release_at - now;

		if (left < 0 || r < left)
			left = r;
	}
	if (!run->deadline && (!run->release_at || run->released))
		return -1;
	return left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

/* A deadline came: release the lease, or press CMD harder. */
static void lease_timer(struct lease_run *run)
{
	int64_t now = lc_now_ms();

	if (run->release_at && !run->released && now >= run->release_at) {
		fcntl(run->fd, F_SETLEASE, F_UNLCK);
		run->released = true;
		lc_err("released at the end of lease-break-time; %s still running",
		       run->req->cmd[0]);
	}
	if (run->deadline && now >= run->deadline) {
		run->stage++;
		kill(run->pid, run->stage == 1 ? SIGTERM : SIGKILL);
		run->deadline = run->stage == 1 ? now + run->req->grace * 1000LL : 0;
	}
}

/* Returns CMD's exit status (or ours) once it has exited, else -1. */
static int lease_signal(struct lease_run *run, const struct signalfd_siginfo *si)
{
	int status;

	switch (si->ssi_signo) {
	case SIGIO:
		if (run->broken)
			break;
		run->broken = true;
		lc_info("lease on %s broken: sending %s signal %d", run->req->path,
			run->req->cmd[0], run->req->sig);
		kill(run->pid, run->req->sig);
		run->deadline = lc_now_ms() + run->req->grace * 1000LL;
		run->release_at = lc_now_ms() + (run->lbt - 1) * 1000LL;
		break;
	case SIGCHLD:
		if (waitpid(run->pid, &status, WNOHANG) != run->pid)
			break;
		fcntl(run->fd, F_SETLEASE, F_UNLCK);
		close(run->fd);
		if (run->broken)
			return LEASE_BROKEN;
		if (WIFEXITED(status))
			return WEXITSTATUS(status);
		return 128 + WTERMSIG(status);
	default:
		kill(run->pid, si->ssi_signo);
		break;
	}
	return -1;
}

int cmd_lease(int argc, char **argv)
{
	struct lease_req req;
	struct lease_run run = { .req = &req };
	sigset_t mask;
	int ret;

	ret = lease_args(argc, argv, &req);
	if (ret)
		return ret < 0 ? LC_OK : ret;
	run.fd = lease_open(req.path);
	if (run.fd < 0)
		return LEASE_FAILED;
	run.lbt = lease_break_time();
	if (req.grace * 2 + 1 > run.lbt)
		req.grace = run.lbt > 2 ? (run.lbt - 1) / 2 : 0;
	if (lease_signals(&run, &mask) || lease_take(&run))
		return LEASE_FAILED;
	ret = lease_start(&run, &mask);
	if (ret)
		return ret;
	for (;;) {
		struct signalfd_siginfo si;
		struct pollfd p = { .fd = run.sfd, .events = POLLIN };

		if (poll(&p, 1, lease_wait_ms(&run)) == 0) {
			lease_timer(&run);
			continue;
		}
		if (read(run.sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		ret = lease_signal(&run, &si);
		if (ret >= 0)
			return ret;
	}
}
