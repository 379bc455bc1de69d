// SPDX-License-Identifier: GPL-2.0
/*
 * layoutctl watch: break events as they happen, from a tracefs instance of
 * layoutctl's own (so that the global trace buffer is left alone): XFS's
 * xfs_break_layouts_start/_done and nfsd's layout recall, return, get and
 * recall-failure events, whichever this kernel has.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lc.h"

static const char *const events[] = {
	"xfs/xfs_break_layouts_start",
	"xfs/xfs_break_layouts_done",
	"nfsd/nfsd_layout_recall_range",
	"nfsd/nfsd_layout_return_range",
	"nfsd/nfsd_layout_get_range",
	"nfsd/nfsd_layout_recall",
	"nfsd/nfsd_layout_recall_done",
	"nfsd/nfsd_layout_recall_fail",
	"nfsd/nfsd_layout_recall_release",
	"nfsd/nfsd_cb_layout_done",
};

static const char watch_usage[] =
"usage: layoutctl watch [PATH] [--count N] [--timeout S]\n"
"Print break events (XFS breaks of external layout references, nfsd\n"
"recalls, returns, grants and recall failures) as they happen, for PATH's\n"
"inode or for every file, until interrupted, N events or S seconds.\n";

static char inst[256];

static void cleanup(void)
{
	char p[512];

	if (!inst[0])
		return;
	snprintf(p, sizeof(p), "%s/tracing_on", inst);
	lc_write_file(p, "0");
	rmdir(inst);
	inst[0] = '\0';
}

int cmd_watch(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int count = 0, timeout = 0, seen = 0;
	char p[512], filter[64] = "", base[256];
	int c, enabled = 0, tfd, sfd;
	int64_t deadline = 0;
	struct stat st;
	sigset_t mask;
	size_t i;

	while ((c = getopt_long(argc, argv, "n:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (lc_parse_u32(optarg, 1, 1000000000, &count)) {
				lc_err("watch: bad --count");
				return LC_EUSAGE;
			}
			break;
		case 't':
			if (lc_parse_u32(optarg, 1, 86400 * 365, &timeout)) {
				lc_err("watch: bad --timeout");
				return LC_EUSAGE;
			}
			break;
		case 'h': fputs(watch_usage, stdout); return LC_OK;
		default: fputs(watch_usage, stderr); return LC_EUSAGE;
		}
	}
	if (argc - optind > 1) {
		fputs(watch_usage, stderr);
		return LC_EUSAGE;
	}
	if (argc - optind == 1) {
		if (stat(argv[optind], &st)) {
			lc_err("watch: %s: %s", argv[optind], strerror(errno));
			return errno == ENOENT ? LC_ENOENT : LC_EFAIL;
		}
		if (S_ISREG(st.st_mode))
			snprintf(filter, sizeof(filter), "ino == %lu", (unsigned long)st.st_ino);
	}
	lc_path(base, sizeof(base), "/sys/kernel/tracing");
	snprintf(p, sizeof(p), "%s/instances", base);
	if (access(p, W_OK)) {
		lc_err("watch: %s: %s (tracefs mounted? root?)", p, strerror(errno));
		return errno == EACCES || errno == EPERM ? LC_EPERM : LC_EFAIL;
	}
	snprintf(inst, sizeof(inst), "%s/instances/layoutctl-%d", base, getpid());
	if (mkdir(inst, 0700)
#ifdef LC_TEST_ENV
	    /* the unit tests prepare it, as tracefs fills a new instance */
	    && errno != EEXIST
#endif
	    ) {
		lc_err("watch: %s: %s", inst, strerror(errno));
		return LC_EFAIL;
	}
	atexit(cleanup);
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		snprintf(p, sizeof(p), "%s/events/%s/enable", inst, events[i]);
		if (access(p, F_OK))
			continue;
		if (filter[0]) {
			char f[600];

			snprintf(f, sizeof(f), "%s/events/%s/format", inst, events[i]);
			char *fmt = lc_read_file(f, 1 << 16);

			if (fmt && strstr(fmt, " ino;")) {
				snprintf(f, sizeof(f), "%s/events/%s/filter", inst, events[i]);
				lc_write_file(f, filter);
			}
			free(fmt);
		}
		if (lc_write_file(p, "1") == 0)
			enabled++;
	}
	if (!enabled) {
		lc_err("watch: this kernel has none of the break events");
		cleanup();
		return LC_EFAIL;
	}
	fprintf(stderr, "layoutctl: watching %d event%s%s%s\n", enabled,
		enabled == 1 ? "" : "s", filter[0] ? " for " : "",
		filter[0] ? argv[optind] : "");
	snprintf(p, sizeof(p), "%s/trace_pipe", inst);
	tfd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (tfd < 0) {
		lc_err("watch: %s: %s", p, strerror(errno));
		cleanup();
		return LC_EFAIL;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (timeout)
		deadline = lc_now_ms() + timeout * 1000LL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		struct pollfd pf[2] = { { tfd, POLLIN, 0 }, { sfd, POLLIN, 0 } };
		char buf[8192];
		ssize_t n;
		int ms = -1;

		if (deadline) {
			int64_t left = deadline - lc_now_ms();

			if (left <= 0)
				break;
			ms = left > INT_MAX ? INT_MAX : (int)left;
		}
		if (poll(pf, 2, ms) <= 0)
			continue;
		if (pf[1].revents)
			break;
		n = read(tfd, buf, sizeof(buf) - 1);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		for (char *l = buf, *e; *l; l = e) {
			e = strchr(l, '\n');
			if (e)
				*e++ = '\0';
			else
				e = l + strlen(l);
			if (*l) {
				puts(l);
				seen++;
			}
			if (count && seen >= count)
				goto out;
		}
	}
out:
	cleanup();
	return LC_OK;
}
