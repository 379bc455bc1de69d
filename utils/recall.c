// SPDX-License-Identifier: GPL-2.0
/*
 * layoutctl recall: recall the pNFS layouts of one file, or of one byte
 * range of it, from every client or from one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lc.h"

static const char recall_usage[] =
"usage: layoutctl recall PATH [--range OFF:LEN] [--client ID] [--timeout S]\n"
"Recall the pNFS layouts of PATH that overlap OFF:LEN (default: the whole\n"
"file) from every client, or from the client with nfsd id ID (as in\n"
"/proc/fs/nfsd/clients/ID and \"layoutctl list\"), and wait at most S seconds\n"
"(default 60) for them to be returned. Needs CAP_SYS_ADMIN.\n";

int cmd_recall(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "range", required_argument, NULL, 'r' },
		{ "client", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t off = 0, len = UINT64_MAX;
	unsigned int client = 0, timeout = 60;
	struct stat st;
	int c, fd;

	while ((c = getopt_long(argc, argv, "r:c:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (lc_parse_range(optarg, &off, &len)) {
				lc_err("recall: bad --range \"%s\" (OFF:LEN, LEN > 0 or \"end\", within 2^63)",
				       optarg);
				return LC_EUSAGE;
			}
			break;
		case 'c':
			if (lc_parse_u32(optarg, 1, 0x7fffffff, &client)) {
				lc_err("recall: bad --client \"%s\" (an nfsd client id)", optarg);
				return LC_EUSAGE;
			}
			break;
		case 't':
			if (lc_parse_u32(optarg, 1, LC_MAX_TIMEOUT, &timeout)) {
				lc_err("recall: bad --timeout \"%s\" (1..%d seconds)", optarg,
				       LC_MAX_TIMEOUT);
				return LC_EUSAGE;
			}
			break;
		case 'h': fputs(recall_usage, stdout); return LC_OK;
		default: fputs(recall_usage, stderr); return LC_EUSAGE;
		}
	}
	if (argc - optind != 1) {
		fputs(recall_usage, stderr);
		return LC_EUSAGE;
	}
	fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		lc_err("recall: %s: %s", argv[optind], strerror(errno));
		return errno == ENOENT ? LC_ENOENT : LC_EFAIL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		lc_err("recall: %s: not a regular file", argv[optind]);
		close(fd);
		return LC_EUSAGE;
	}
	close(fd);
	lc_err("recall: this kernel has no nfsd layout-recall interface");
	return LC_EFAIL;
}
