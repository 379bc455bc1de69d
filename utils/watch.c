// SPDX-License-Identifier: GPL-2.0
/*
 * layoutctl watch: break events as they happen, from a tracefs instance of
 * layoutctl's own (so that the global trace buffer is left alone): XFS's
 * xfs_break_layouts_start/_done and nfsd's layout recall, return, get and
 * recall-failure events, whichever this kernel has. libtracefs finds the
 * tracing directory and makes the instance; libtraceevent reads the
 * events' formats.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <event-parse.h>
#include <json-c/json.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <tracefs.h>
#include <unistd.h>

#include "lc.h"

static const struct {
	const char *system;
	const char *name;
} events[] = {
	{ "xfs", "xfs_break_layouts_start" },
	{ "xfs", "xfs_break_layouts_done" },
	{ "nfsd", "nfsd_layout_recall_range" },
	{ "nfsd", "nfsd_layout_return_range" },
	{ "nfsd", "nfsd_layout_get_range" },
	{ "nfsd", "nfsd_layout_recall" },
	{ "nfsd", "nfsd_layout_recall_done" },
	{ "nfsd", "nfsd_layout_recall_fail" },
	{ "nfsd", "nfsd_layout_recall_release" },
	{ "nfsd", "nfsd_cb_layout_done" },
};

static const char watch_usage[] =
"usage: layoutctl watch [PATH] [--count N] [--timeout S] [--json]\n"
"Print break events (XFS breaks of external layout references, nfsd\n"
"recalls, returns, grants and recall failures) as they happen, for PATH's\n"
"inode or for every file, until interrupted, N events or S seconds.\n"
"--json prints each as a JSON object on a line of its own (JSON Lines).\n";

struct watch {
	const char *path;		/* PATH, or NULL for every file */
	bool by_file;			/* PATH is a regular file: filter */
	unsigned int kdev;		/* its device as the kernel's dev_t */
	unsigned long ino;
	unsigned int count;		/* stop after so many lines (0: never) */
	unsigned int seen;
	bool json;			/* --json: JSON Lines */
	int64_t deadline;		/* lc_now_ms() time, or 0 */
	struct tracefs_instance *inst;
	struct tep_handle *tep;		/* the events' formats */
	int pipe_fd;			/* the instance's trace_pipe */
	int sig_fd;
	int enabled;
	char line[16384];		/* read from trace_pipe, w->len of it */
	size_t len;
};

static int watch_options(struct watch *w, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int timeout = 0;
	int c;

	while ((c = lc_getopt(argc, argv, "n:t:jh", opts)) != -1) {
		switch (c) {
		case 'n':
			if (lc_parse_u32(optarg, 1, 1000000000, &w->count)) {
				lc_usage_error("bad --count");
				return LC_EUSAGE;
			}
			break;
		case 't':
			if (lc_parse_u32(optarg, 1, 86400 * 365, &timeout)) {
				lc_usage_error("bad --timeout");
				return LC_EUSAGE;
			}
			break;
		case 'j': w->json = true; break;
		case 'h': fputs(watch_usage, stdout); return -1;
		default: return LC_EUSAGE;
		}
	}
	if (argc - optind > 1)
		return lc_usage_error("one PATH at most");
	if (argc - optind == 1)
		w->path = argv[optind];
	if (timeout)
		w->deadline = lc_now_ms() + timeout * 1000LL;
	return LC_OK;
}

/*
 * The break events record the inode's sb->s_dev, a kernel dev_t: MKDEV()'s
 * 12 bits of major above 20 bits of minor (include/linux/kdev_t.h), which
 * is not the encoding of stat()'s st_dev.
 */
#define KDEV_MINORBITS	20

static int kernel_dev(dev_t dev, unsigned int *kdev)
{
	unsigned int ma = major(dev), mi = minor(dev);

	if (ma >= 1U << (32 - KDEV_MINORBITS) || mi >= 1U << KDEV_MINORBITS)
		return -1;
	*kdev = ma << KDEV_MINORBITS | mi;
	return 0;
}

/* The file whose events are wanted: a regular file's are filtered. */
static int watch_target(struct watch *w)
{
	struct stat st;

	if (!w->path)
		return LC_OK;
	if (stat(w->path, &st)) {
		lc_err("%s: %s", w->path, strerror(errno));
		return errno == ENOENT ? LC_ENOENT : LC_EFAIL;
	}
	if (S_ISREG(st.st_mode)) {
		if (kernel_dev(st.st_dev, &w->kdev)) {
			lc_err("%s: its device %u:%u is no kernel dev_t", w->path,
			       major(st.st_dev), minor(st.st_dev));
			return LC_EFAIL;
		}
		w->by_file = true;
		w->ino = st.st_ino;
	}
	return LC_OK;
}

/*
 * The tracing directory (under LAYOUTCTL_ROOT for the tests, else where
 * libtracefs finds tracefs mounted) and an instance of our own in it.
 */
static int open_instance(struct watch *w)
{
	char dir[PATH_MAX], name[64];
	const char *tdir;

	tracefs_set_loglevel(TEP_LOG_NONE);
	if (*lc_root()) {
		if (lc_path(dir, sizeof(dir), "/sys/kernel/tracing") ||
		    tracefs_set_tracing_dir(dir)) {
			lc_err("LAYOUTCTL_ROOT is too long");
			return LC_EFAIL;
		}
	}
	tdir = tracefs_tracing_dir();
	if (!tdir) {
		lc_err("tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)");
		return LC_EFAIL;
	}
	/*
	 * Said before libtracefs tries: it gives only a NULL instance (and
	 * 1.6.4 leaks the path it tried) when it cannot make one.
	 */
	errno = ENAMETOOLONG;
	if (snprintf(dir, sizeof(dir), "%s/instances", tdir) >= (int)sizeof(dir) ||
	    access(dir, W_OK)) {
		int e = errno;

		lc_err("%s: %s%s", dir, strerror(e),
		       e == ENOENT ? " (is tracefs mounted there?)" :
		       e == EACCES || e == EPERM ? " (root?)" : "");
		return e == EACCES || e == EPERM ? LC_EPERM : LC_EFAIL;
	}
	snprintf(name, sizeof(name), "layoutctl-%d", (int)getpid());
	errno = 0;
	w->inst = tracefs_instance_create(name);
	if (!w->inst) {
		int e = errno;

		lc_err("%s/instances/%s: %s%s", tdir, name,
		       e ? strerror(e) : "cannot be made",
		       e == EACCES || e == EPERM ? " (root?)" : "");
		return e == EACCES || e == EPERM ? LC_EPERM : LC_EFAIL;
	}
#ifndef LC_TEST_ENV
	/* the unit tests prepare the instance, as tracefs fills a new one */
	if (!tracefs_instance_is_new(w->inst)) {
		lc_err("%s/instances/%s exists already (left by a watch that was killed?)",
		       tdir, name);
		tracefs_instance_free(w->inst);
		w->inst = NULL;
		return LC_EFAIL;
	}
#endif
	return LC_OK;
}

/*
 * The event's format, parsed into w->tep; NULL when it cannot be read or
 * parsed.
 */
static struct tep_event *event_format(struct watch *w, const char *sys,
				      const char *name)
{
	char *fmt;
	int size;

	fmt = tracefs_event_file_read(w->inst, sys, name, "format", &size);
	if (!fmt)
		return NULL;
	tep_parse_event(w->tep, fmt, size, sys);
	free(fmt);
	return tep_find_event_by_name(w->tep, sys, name);
}

/*
 * The filter that keeps the event to the file's, in buf: its device and
 * inode; "" when the event names no file (nfsd's name stateids: they are
 * shown for every file). -1 when its format cannot be read, or it names
 * files otherwise than by a kernel dev_t "dev" and an "ino": an inode
 * number alone would let in other filesystems' inodes of that number.
 */
static int event_filter(struct watch *w, struct tep_event *ev, char *buf,
			size_t len)
{
	struct tep_format_field *dev, *ino;

	buf[0] = '\0';
	if (!w->by_file)
		return 0;
	if (!ev)
		return -1;
	dev = tep_find_field(ev, "dev");
	ino = tep_find_field(ev, "ino");
	if (!dev && !ino)
		return 0;
	if (!dev || !ino || strcmp(dev->type, "dev_t") || dev->size != 4 ||
	    (ino->flags & TEP_FIELD_IS_ARRAY))
		return -1;
	snprintf(buf, len, "dev == %u && ino == %lu", w->kdev, w->ino);
	return 0;
}

/* Filters and enables the events this kernel has; w->enabled of them. */
static int enable_events(struct watch *w)
{
	char filter[128];
	size_t i;

	w->tep = tep_alloc();
	if (!w->tep) {
		lc_err("out of memory");
		return LC_EFAIL;
	}
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		const char *sys = events[i].system, *name = events[i].name;

		if (!tracefs_event_file_exists(w->inst, sys, name, "enable"))
			continue;
		if (event_filter(w, event_format(w, sys, name), filter,
				 sizeof(filter))) {
			lc_err("%s/%s: not watched: its format gives no kernel dev_t \"dev\" and \"ino\" to filter by",
			       sys, name);
			continue;
		}
		if (filter[0] &&
		    tracefs_event_file_write(w->inst, sys, name, "filter", filter) < 0) {
			lc_err("%s/%s: the filter \"%s\" is refused: not watched",
			       sys, name, filter);
			continue;
		}
		if (tracefs_event_file_write(w->inst, sys, name, "enable", "1") >= 0)
			w->enabled++;
	}
	if (!w->enabled) {
		lc_err("this kernel has none of the break events");
		return LC_EFAIL;
	}
	return LC_OK;
}

/*
 * The signals that end the watch, from a signalfd: blocked before the
 * instance is made, so that one of them ends the watch through the
 * cleanup, not before it.
 */
static int block_signals(struct watch *w)
{
	/* a reader that went away ends the watch through EPIPE, cleaned up */
	signal(SIGPIPE, SIG_IGN);
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	w->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (w->sig_fd < 0) {
		lc_err("signalfd: %s", strerror(errno));
		return LC_EFAIL;
	}
	return LC_OK;
}

static int open_pipe(struct watch *w)
{
	w->pipe_fd = tracefs_instance_file_open(w->inst, "trace_pipe",
						O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (w->pipe_fd < 0) {
		lc_err("trace_pipe: %s", strerror(errno));
		return LC_EFAIL;
	}
	return LC_OK;
}

/* The system of one of our events, by its name. */
static const char *event_system(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (strlen(events[i].name) == len && !memcmp(events[i].name, name, len))
			return events[i].system;
	return NULL;
}

/* The token at *p up to a space; *p moves past it and the spaces after. */
static const char *token(const char **p, size_t *len)
{
	const char *t = *p;

	*len = strcspn(t, " ");
	for (*p = t + *len; **p == ' '; (*p)++)
		;
	return t;
}

static bool timestamp_token(const char *t, size_t len)
{
	return len > 1 && t[len - 1] == ':' && strspn(t, "0123456789.") == len - 1;
}

/*
 * A trace_pipe line as JSON. The kernel writes each event's context
 * (trace_print_context()) as "%16s-%-7d ", the task's name (at most 15
 * bytes, TASK_COMM_LEN) right-aligned in 16 columns; "(TGID) " with the
 * record-tgid option; "[%03d] " the CPU; the latency flags with irq-info
 * (the default); " SECS.USECS: "; then "EVENT: " and the event's own text.
 * The name may hold anything, so it is taken by its columns, not by
 * searching; a line not in that shape is given whole as "line".
 */
struct json_object *lc_watch_event_json(const char *l)
{
	struct json_object *o = json_object_new_object();
	const char *p, *task = l, *flags = NULL, *ts, *ev, *sys;
	size_t tlen = 16, flen = 0, tslen, elen;
	unsigned long pid, cpu;
	char *end;

	if (!o)
		return NULL;
	json_object_object_add(o, "version", json_object_new_int(1));
	if (strnlen(l, 18) < 18 || l[16] != '-' || !(l[17] >= '0' && l[17] <= '9'))
		goto raw;
	p = l + 17;
	pid = strtoul(p, &end, 10);
	for (p = end; *p == ' '; p++)
		;
	if (*p == '(') {		/* record-tgid */
		p = strchr(p, ')');
		if (!p || p[1] != ' ')
			goto raw;
		for (p++; *p == ' '; p++)
			;
	}
	if (*p != '[')
		goto raw;
	cpu = strtoul(p + 1, &end, 10);
	if (end == p + 1 || *end != ']' || end[1] != ' ')
		goto raw;
	/* " %5lu.%06lu" follows the CPU at once without irq-info */
	for (p = end + 2; *p == ' '; p++)
		;
	ts = token(&p, &tslen);
	if (!timestamp_token(ts, tslen)) {
		flags = ts;
		flen = tslen;
		ts = token(&p, &tslen);
		if (!timestamp_token(ts, tslen))
			goto raw;
	}
	ev = token(&p, &elen);
	if (elen < 2 || ev[elen - 1] != ':')
		goto raw;
	while (tlen && *task == ' ') {
		task++;
		tlen--;
	}
	json_object_object_add(o, "task", json_object_new_string_len(task, tlen));
	json_object_object_add(o, "pid", json_object_new_int64(pid));
	json_object_object_add(o, "cpu", json_object_new_int64(cpu));
	json_object_object_add(o, "flags", flags ? json_object_new_string_len(flags, flen) : NULL);
	json_object_object_add(o, "timestamp", json_object_new_string_len(ts, tslen - 1));
	sys = event_system(ev, elen - 1);
	json_object_object_add(o, "system", sys ? json_object_new_string(sys) : NULL);
	json_object_object_add(o, "event", json_object_new_string_len(ev, elen - 1));
	json_object_object_add(o, "fields", json_object_new_string(p));
	return o;
raw:
	json_object_object_add(o, "line", json_object_new_string(l));
	return o;
}

/*
 * Prints a line, what is not printable ASCII (and a backslash) as \xHH:
 * every event carries the name of the task that caused it, which any
 * user sets (PR_SET_NAME) and which must not reach a terminal as escape
 * sequences. False once --count lines are out, or when the reader went
 * away (EPIPE: SIGPIPE is ignored, so that the instance is removed).
 */
static bool print_line(struct watch *w, const char *l)
{
	const unsigned char *c;
	int err = 0;

	if (!*l)
		return true;
	if (w->json) {
		struct json_object *o = lc_watch_event_json(l);

		/* lc_print_json() makes names that are not UTF-8 \xHH */
		err = o ? lc_print_json(o, false) : -1;
		json_object_put(o);
		if (err || fflush(stdout) == EOF)
			return false;
		w->seen++;
		return !w->count || w->seen < w->count;
	}
	for (c = (const unsigned char *)l; *c && err >= 0; c++)
		err = *c == '\\' || *c == 0x7f || (*c < 0x20 && *c != '\t') || *c >= 0x80 ?
		      printf("\\x%02x", *c) : putchar(*c);
	if (err < 0 || putchar('\n') == EOF || fflush(stdout) == EOF)
		return false;
	w->seen++;
	return !w->count || w->seen < w->count;
}

/*
 * Prints the whole lines read into w->line and keeps the part-line that
 * ends it for the next read: trace_pipe gives what it has, which may end
 * in the middle of a line. A line that fills the buffer on its own is
 * printed as it is. False once --count lines are out.
 */
static bool print_lines(struct watch *w)
{
	char *l = w->line, *end = w->line + w->len, *e;

	while ((e = memchr(l, '\n', end - l))) {
		*e = '\0';
		if (!print_line(w, l))
			return false;
		l = e + 1;
	}
	w->len = end - l;
	if (l != w->line)
		memmove(w->line, l, w->len);
	if (w->len == sizeof(w->line) - 1) {
		w->line[w->len] = '\0';
		w->len = 0;
		return print_line(w, w->line);
	}
	return true;
}

/* The part-line read last, when trace_pipe, a signal or --timeout ends it. */
static void print_rest(struct watch *w)
{
	if (!w->len)
		return;
	w->line[w->len] = '\0';
	w->len = 0;
	print_line(w, w->line);
}

/*
 * Prints what trace_pipe gives until it ends (tracing turned off: a read
 * of 0), a signal, --count or --timeout.
 */
static void follow(struct watch *w)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		struct pollfd pf[2] = { { w->pipe_fd, POLLIN, 0 }, { w->sig_fd, POLLIN, 0 } };
		ssize_t n;
		int ms = -1;

		if (w->deadline) {
			int64_t left = w->deadline - lc_now_ms();

			if (left <= 0)
				break;
			ms = left > INT_MAX ? INT_MAX : (int)left;
		}
		if (poll(pf, 2, ms) <= 0)
			continue;
		if (pf[1].revents)
			break;
		n = read(w->pipe_fd, w->line + w->len, sizeof(w->line) - 1 - w->len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			lc_err("trace_pipe: %s", strerror(errno));
		if (n <= 0)
			break;
		w->len += n;
		if (!print_lines(w))
			return;
	}
	print_rest(w);
}

/* Tracing off, the instance removed (once nothing holds it open). */
static void watch_cleanup(struct watch *w)
{
	if (w->pipe_fd >= 0)
		close(w->pipe_fd);
	if (w->sig_fd >= 0)
		close(w->sig_fd);
	if (w->inst) {
		tracefs_trace_off(w->inst);
		if (tracefs_instance_is_new(w->inst))
			tracefs_instance_destroy(w->inst);
		tracefs_instance_free(w->inst);
	}
	if (w->tep)
		tep_free(w->tep);
}

int cmd_watch(int argc, char **argv)
{
	struct watch w = { .pipe_fd = -1, .sig_fd = -1 };
	int ret;

	ret = watch_options(&w, argc, argv);
	if (ret)
		return ret < 0 ? LC_OK : ret;
	ret = watch_target(&w);
	if (!ret)
		ret = block_signals(&w);
	if (!ret)
		ret = open_instance(&w);
	if (!ret)
		ret = enable_events(&w);
	if (!ret)
		ret = open_pipe(&w);
	if (!ret) {
		fprintf(stderr, "layoutctl: watching %d event%s%s%s\n", w.enabled,
			w.enabled == 1 ? "" : "s", w.by_file ? " for " : "",
			w.by_file ? w.path : "");
		follow(&w);
	}
	watch_cleanup(&w);
	return ret;
}
