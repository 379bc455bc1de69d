// SPDX-License-Identifier: GPL-2.0
/*
 * layoutctl recall: recall the pNFS layouts of one file, or of one byte
 * range of it, from every client or from one, through the layout-recall
 * command of nfsd's generic netlink family; then wait until no segment of
 * those clients overlaps the range any more, as the clients' states files
 * show.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "lc.h"
#include "nfsd_nl.h"

static const char recall_usage[] =
"usage: layoutctl recall PATH [--range OFF:LEN] [--client ID] [--timeout S] [--json]\n"
"Recall the pNFS layouts of PATH that overlap OFF:LEN (default: the whole\n"
"file) from every client, or from the client with nfsd id ID (as in\n"
"/proc/fs/nfsd/clients/ID and \"layoutctl list\"), and wait at most S seconds\n"
"(default 60) for them to be returned. Needs CAP_NET_ADMIN, as nfsd's other\n"
"netlink commands do. --json prints the outcome as a JSON object.\n";

/* The outcome, for --json: what was asked, what happened (@left < 0:
 * nfsd's states could not be read after the send). */
static int recall_json(const char *path, uint64_t off, uint64_t len, unsigned int client,
		       int recalled, int left, int64_t ms, bool timed_out)
{
	struct json_object *o = json_object_new_object();
	int ret;

	if (!o)
		return LC_EFAIL;
	json_object_object_add(o, "version", json_object_new_int(1));
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "offset", json_object_new_uint64(off));
	json_object_object_add(o, "length", len == UINT64_MAX ? NULL :
			       json_object_new_uint64(len));
	json_object_object_add(o, "client", client ? json_object_new_int64(client) : NULL);
	json_object_object_add(o, "recalled", json_object_new_int(recalled));
	json_object_object_add(o, "segments_left", left < 0 ? NULL : json_object_new_int(left));
	json_object_object_add(o, "seconds", json_object_new_double(ms / 1000.0));
	json_object_object_add(o, "returned", json_object_new_boolean(!left));
	json_object_object_add(o, "timed_out", json_object_new_boolean(timed_out));
	json_object_object_add(o, "error", left < 0 ? json_object_new_string("states unreadable") :
			       NULL);
	ret = lc_print_json(o, true);
	json_object_put(o);
	return ret;
}

/*
 * Segments of the file, from the chosen clients, that overlap the range,
 * *unparsed of them states lines that did not parse (each counts as one
 * segment over the whole file: it may be a layout of this one); -1 when
 * nfsd's client states cannot be read (then nothing is known).
 */
static int segments_in_range(const struct filter *flt, uint64_t off, uint64_t len,
			     unsigned int client, int *unparsed)
{
	struct json_object *refs = json_object_new_array();
	size_t i, j;
	bool seen = false;
	int n = 0;
	uint64_t end = len == UINT64_MAX ? UINT64_MAX : off + len;

	*unparsed = 0;
	if (!refs || lc_collect_nfsd(flt, refs, &seen) || !seen) {
		json_object_put(refs);
		return -1;
	}
	for (i = 0; i < json_object_array_length(refs); i++) {
		struct json_object *o = json_object_array_get_idx(refs, i), *c, *v, *segs;

		if (client && json_object_object_get_ex(o, "client", &c) &&
		    json_object_object_get_ex(c, "nfsd_id", &v) &&
		    (unsigned int)json_object_get_int(v) != client)
			continue;
		if (json_object_object_get_ex(o, "unparsed", &v))
			(*unparsed)++;
		if (!json_object_object_get_ex(o, "segments", &segs)) {
			n++;	/* no segment detail: count the layout */
			continue;
		}
		for (j = 0; j < json_object_array_length(segs); j++) {
			struct json_object *sg = json_object_array_get_idx(segs, j);
			uint64_t so = 0, sl = UINT64_MAX, se;

			if (json_object_object_get_ex(sg, "offset", &v))
				so = json_object_get_uint64(v);
			/* null: to the end of the file */
			if (json_object_object_get_ex(sg, "length", &v) &&
			    json_object_get_type(v) != json_type_null)
				sl = json_object_get_uint64(v);
			se = sl > UINT64_MAX - so ? UINT64_MAX : so + sl;
			if (so < end && off < se)
				n++;
		}
	}
	json_object_put(refs);
	return n;
}

int cmd_recall(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "range", required_argument, NULL, 'r' },
		{ "client", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t off = 0, len = UINT64_MAX;
	unsigned int client = 0, timeout = 60;
	struct filter flt = { 0 };
	int c, fd, recalled = 0, left, unparsed, ret;
	int64_t start, deadline;
	bool tty = isatty(STDERR_FILENO), json = false;
	struct stat st;

	while ((c = lc_getopt(argc, argv, "r:c:t:jh", opts)) != -1) {
		switch (c) {
		case 'r':
			if (lc_parse_range(optarg, &off, &len)) {
				lc_usage_error("bad --range \"%s\" (OFF:LEN, LEN > 0 or \"end\", within 2^63)",
				       optarg);
				return LC_EUSAGE;
			}
			break;
		case 'c':
			if (lc_parse_u32(optarg, 1, 0x7fffffff, &client)) {
				lc_usage_error("bad --client \"%s\" (an nfsd client id)", optarg);
				return LC_EUSAGE;
			}
			break;
		case 't':
			if (lc_parse_u32(optarg, 1, LC_MAX_TIMEOUT, &timeout)) {
				lc_usage_error("bad --timeout \"%s\" (1..%d seconds)", optarg,
				       LC_MAX_TIMEOUT);
				return LC_EUSAGE;
			}
			break;
		case 'j': json = true; break;
		case 'h': fputs(recall_usage, stdout); return LC_OK;
		default: return LC_EUSAGE;
		}
	}
	if (argc - optind != 1)
		return lc_usage_error(argc == optind ? "no PATH given" : "one PATH only");
	/* O_PATH: opens no FIFO, starts no lease break, reads nothing. */
	fd = open(argv[optind], O_PATH | O_CLOEXEC);
	if (fd < 0) {
		lc_err("%s: %s", argv[optind], strerror(errno));
		return errno == ENOENT ? LC_ENOENT : LC_EFAIL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		lc_err("%s: not a regular file", argv[optind]);
		close(fd);
		return LC_EUSAGE;
	}
	if (client) {
		char p[256];

		lc_path(p, sizeof(p), "/proc/fs/nfsd/clients/%u", client);
		if (access(p, F_OK)) {
			lc_err("no nfsd client %u", client);
			close(fd);
			return LC_ENOENT;
		}
	}

	ret = lc_nfsd_layout_recall(fd, off, len, client, &recalled);
	close(fd);
	if (ret)
		return ret;
	flt.by_ino = true;
	flt.maj = major(st.st_dev);
	flt.min = minor(st.st_dev);
	flt.ino = st.st_ino;
	start = lc_now_ms();
	deadline = start + timeout * 1000LL;
	for (;;) {
		left = segments_in_range(&flt, off, len, client, &unparsed);
		flt.quiet = true;	/* unparsed lines are said on the first look */
		if (left < 0) {
			lc_err("sent, but nfsd's client states (/proc/fs/nfsd/clients) cannot be read: cannot tell when the layouts are returned");
			if (json)
				recall_json(argv[optind], off, len, client, recalled, -1,
					    lc_now_ms() - start, false);
			return LC_EFAIL;
		}
		if (tty || !left)
			fprintf(stderr, "%srecall: %d layout%s recalled, %d segment%s still in range, %.1f s%s",
				tty ? "\r" : "", recalled, recalled == 1 ? "" : "s", left,
				left == 1 ? "" : "s", (lc_now_ms() - start) / 1000.0,
				tty && left ? "" : "\n");
		if (!left)
			return json ? recall_json(argv[optind], off, len, client, recalled, 0,
						  lc_now_ms() - start, false) : LC_OK;
		if (lc_now_ms() >= deadline) {
			if (tty)
				fputc('\n', stderr);
			lc_err("%d segment%s still held after %u s%s", left,
			       left == 1 ? "" : "s", timeout, unparsed ?
			       " (counting each states line that could not be parsed as one)" : "");
			if (json)
				recall_json(argv[optind], off, len, client, recalled, left,
					    lc_now_ms() - start, true);
			return LC_ETIMEDOUT;
		}
		poll(NULL, 0, 100);
	}
}
