// SPDX-License-Identifier: GPL-2.0
/*
 * layoutctl - list, recall and fence external references to the block
 * layout of files: pNFS layouts, layout leases, DAX DMA references and
 * long-term pins. See layoutctl(8).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "lc.h"

#ifndef LC_VERSION
#define LC_VERSION "0"
#endif

static const char usage[] =
"usage: layoutctl COMMAND [ARGS]\n"
"\n"
"  list    [PATH|MOUNTPOINT] [--json]    every external layout reference\n"
"  recall  PATH [--range OFF:LEN] [--client ID] [--timeout S]\n"
"  lease   PATH [--range OFF:LEN] -- CMD  hold a layout lease while CMD runs\n"
"  watch   [PATH]                        follow break events\n"
"  fence   CLIENT-ADDRESS SB-ID          cut a client off the shared storage\n"
"  unfence CLIENT SB-ID                  undo a fence\n"
"  fenced  [--json] [--reapply]          the fences in force\n"
"  check-config [--config FILE]          parse the configuration and report\n"
"  expire  CLIENT --yes                  nfsd drops a client known to be gone\n"
"  version                               also -V, --version\n"
"\n"
"\"layoutctl COMMAND --help\" describes each command. Invoked as\n"
"nfsd-recall-failed, layoutctl is nfsd's fencing helper (layoutctl fence).\n"
"Exit status: 0 done, 1 failed, 2 usage, 3 configuration, 4 timed out,\n"
"5 not permitted, 6 no such client, file or target object; lease exits\n"
"with CMD's status, or 124 broken, 125 no lease, 126/127 CMD not run.\n";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "list", cmd_list },
	{ "recall", cmd_recall },
	{ "lease", cmd_lease },
	{ "watch", cmd_watch },
	{ "fence", cmd_fence },
	{ "unfence", cmd_unfence },
	{ "fenced", cmd_fenced },
	{ "check-config", cmd_check_config },
	{ "expire", cmd_expire },
};

/*
 * nfsd starts its helper with no open files; make sure 0, 1 and 2 are
 * open, so that nothing we open later is mistaken for stderr.
 */
static void std_fds(void)
{
	int fd;

	do {
		fd = open("/dev/null", O_RDWR);
	} while (fd >= 0 && fd <= 2);
	if (fd > 2)
		close(fd);
}

/*
 * What a command printed on standard output (a table, a report) reached
 * it: a full disk or a closed pipe is an error, not exit 0. lease's status
 * is its command's and stays so.
 */
static int output_written(const char *cmd, int ret)
{
	if ((fflush(stdout) == EOF || ferror(stdout)) && ret == LC_OK &&
	    strcmp(cmd, "lease")) {
		lc_err("standard output: %s", strerror(errno ? errno : EIO));
		return LC_EFAIL;
	}
	return ret;
}

int main(int argc, char **argv)
{
	char *me = basename(argv[0]), prog[32];
	size_t i;

	std_fds();
	/*
	 * A parent that left SIGCHLD ignored would have our backend children
	 * reaped behind our back: their pids could be reused before we kill
	 * their groups, and their status would be lost.
	 */
	signal(SIGCHLD, SIG_DFL);
	if (!strcmp(me, "nfsd-recall-failed")) {
		lc_prog = "nfsd-recall-failed";
		lc_log_console = true;
		if (argc != 3) {
			lc_log_open(true);
			lc_err("usage: nfsd-recall-failed CLIENT-ADDRESS SB-ID; NOT fenced");
			return LC_EUSAGE;
		}
#ifndef LC_TEST_ENV
		/*
		 * nfsd runs the helper with an environment of its own, which
		 * names neither; a helper that finds them was started by
		 * something else, and would fence by a fake tree or config.
		 */
		if (getenv("LAYOUTCTL_ROOT") || getenv("LAYOUTCTL_CONF")) {
			lc_log_open(true);
			lc_err("LAYOUTCTL_ROOT or LAYOUTCTL_CONF is set, which only tests may set; NOT fenced");
			return LC_EPERM;
		}
#endif
		return lc_fence_main(lc_conf_default(), argv[1], argv[2], true);
	}
	if (argc < 2)
		return lc_usage_error("no command given");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return LC_OK;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version") ||
	    !strcmp(argv[1], "-V")) {
		printf("layoutctl %s\n", LC_VERSION);
		return LC_OK;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		/* messages say which command: "layoutctl list: ..." */
		snprintf(prog, sizeof(prog), "layoutctl %s", cmds[i].name);
		lc_prog = prog;
		return output_written(cmds[i].name, cmds[i].fn(argc - 1, argv + 1));
	}
	return lc_usage_error("unknown command \"%s\"", argv[1]);
}
