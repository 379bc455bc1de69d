// SPDX-License-Identifier: GPL-2.0
/*
 * layoutctl: logging, strict argument parsing, files, and running work in
 * a child process with a time limit.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "lc.h"

const char *lc_prog = "layoutctl";
bool lc_log_console;
static bool lc_syslog;

/*
 * Syslog, facility daemon. As nfsd's helper (lc_log_console), messages go
 * to the console when syslog is not running: a fence is never silent.
 */
void lc_log_open(bool to_syslog)
{
	lc_syslog = to_syslog;
	if (to_syslog)
		openlog("layoutctl", LOG_PID | (lc_log_console ? LOG_CONS : 0),
			LOG_DAEMON);
}

/*
 * In a child that closes the descriptors it inherited, syslog's socket
 * goes too: closelog() first, so that glibc never writes to (or closes)
 * whatever later gets its number; then this, and the next message
 * connects again.
 */
static void lc_log_reopen(void)
{
	if (lc_syslog)
		lc_log_open(true);
}

static void lc_vlog(int prio, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void lc_vlog(int prio, const char *fmt, va_list ap)
{
	va_list ap2;

	va_copy(ap2, ap);
	if (lc_syslog) {
		char *msg;

		/* the ident is "layoutctl": the log says which command */
		if (strncmp(lc_prog, "layoutctl ", 10) || vasprintf(&msg, fmt, ap2) < 0) {
			vsyslog(prio, fmt, ap2);
		} else {
			syslog(prio, "%s: %s", lc_prog + 10, msg);
			free(msg);
		}
	}
	va_end(ap2);
	fprintf(stderr, "%s: ", lc_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void lc_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lc_vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void lc_notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lc_vlog(LOG_NOTICE, fmt, ap);
	va_end(ap);
}

void lc_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lc_vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

/*
 * LAYOUTCTL_ROOT prefixes every system path (/proc, /sys, configfs, the
 * state directory's default), so that the test suite can run layoutctl
 * against fake trees. Unset in normal use.
 */
const char *lc_root(void)
{
	const char *r = getenv("LAYOUTCTL_ROOT");

	return r ? r : "";
}

/*
 * getopt_long() for a command, in one style for all of them: options
 * before or after the arguments (unless OPTS starts with '+'), --opt=VALUE
 * or --opt VALUE, long options spelt out in full, and a mistake said as
 * "layoutctl CMD: ..." with a pointer to --help rather than the whole
 * usage. Returns the option, -1 after the last, or '?' once said.
 */
int lc_getopt(int argc, char **argv, const char *opts, const struct option *longopts)
{
	char spec[64];
	int c, idx = -1;
	size_t n;

	/* ':' first: a missing value is told from an unknown option */
	n = (size_t)snprintf(spec, sizeof(spec), "%s:%s", *opts == '+' ? "+" : "",
			     opts + (*opts == '+'));
	if (n >= sizeof(spec))
		abort();
	opterr = 0;
	c = getopt_long(argc, argv, spec, longopts, &idx);
	if (c == '?' || c == ':') {
		const char *arg = argv[optind - 1];
		int n = (int)strcspn(arg, "=");
		bool lng = !strncmp(arg, "--", 2) && arg[2];

		/*
		 * optopt is 0 for an unknown long option, else the option's
		 * character; in a cluster of short ones (-Xj) optind has not
		 * moved past it, so arg is then an earlier word: a long option
		 * is at fault only when arg is that very option.
		 */
		if (lng && optopt) {
			const struct option *o;

			for (o = longopts; o->name; o++)
				if (o->val == optopt && (int)strlen(o->name) == n - 2 &&
				    !strncmp(arg + 2, o->name, n - 2))
					break;
			lng = o->name != NULL;
		}
		if (!lng)
			lc_err(c == ':' ? "option -%c needs a value" : "unknown option -%c", optopt);
		else if (c == ':')
			lc_err("option %.*s needs a value", n, arg);
		else if (optopt)
			lc_err("option %.*s takes no value", n, arg);
		else
			lc_err("unknown option %.*s", n, arg);
		lc_try_help();
		return '?';
	}
	/* getopt_long takes any unambiguous abbreviation; we take none */
	if (idx >= 0) {
		const char *tok = argv[optind - 1];
		size_t len;

		if (longopts[idx].has_arg && optarg && optarg == argv[optind - 1] && optind >= 2)
			tok = argv[optind - 2];
		len = strcspn(tok + 2, "=");
		if (len != strlen(longopts[idx].name) || strncmp(tok + 2, longopts[idx].name, len)) {
			lc_err("unknown option %.*s (--%s is spelt out in full)", (int)len + 2, tok,
			       longopts[idx].name);
			lc_try_help();
			return '?';
		}
	}
	return c;
}

/* After a usage mistake was said: where to read more. Returns LC_EUSAGE. */
int lc_try_help(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", lc_prog);
	return LC_EUSAGE;
}

/* A usage mistake other than an option: said, then lc_try_help(). */
int lc_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", lc_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return lc_try_help();
}

/* fmt's path under LAYOUTCTL_ROOT into buf; -ENAMETOOLONG if it does not
 * fit (buf then holds no usable path). */
int lc_vpath(char *buf, size_t len, const char *fmt, va_list ap)
{
	int n, m;

	n = snprintf(buf, len, "%s", lc_root());
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	m = vsnprintf(buf + n, len - n, fmt, ap);
	if (m < 0 || (size_t)m >= len - n)
		return -ENAMETOOLONG;
	return 0;
}

int lc_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = lc_vpath(buf, len, fmt, ap);
	va_end(ap);
	return err;
}

/* Unsigned decimal or 0x hex, with an optional binary suffix (k, m, g, t).
 * No sign, no blanks, no overflow. */
static int parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, mult = 1;
	int base = 10, digits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; *s; s++) {
		int d;

		if (isdigit((unsigned char)*s))
			d = *s - '0';
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = tolower((unsigned char)*s) - 'a' + 10;
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
		digits++;
	}
	if (!digits)
		return -EINVAL;
	if (*s && base == 10) {
		switch (tolower((unsigned char)*s)) {
		case 'k': mult = 1ULL << 10; break;
		case 'm': mult = 1ULL << 20; break;
		case 'g': mult = 1ULL << 30; break;
		case 't': mult = 1ULL << 40; break;
		default: return -EINVAL;
		}
		s++;
	}
	if (*s)
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

/*
 * OFF:LEN, both sizes as above; LEN may be "end" for the rest of the file
 * (returned as UINT64_MAX, NFS4_MAX_UINT64 on the wire). Offsets and ends
 * must fit a file offset (loff_t).
 */
int lc_parse_range(const char *s, uint64_t *off, uint64_t *len)
{
	const char *colon = strchr(s, ':');
	char head[32];
	int err;

	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(head))
		return -EINVAL;
	memcpy(head, s, colon - s);
	head[colon - s] = '\0';
	err = parse_size(head, off);
	if (err)
		return err;
	if (*off > (uint64_t)LLONG_MAX)
		return -ERANGE;
	if (!strcmp(colon + 1, "end")) {
		*len = UINT64_MAX;
		return 0;
	}
	err = parse_size(colon + 1, len);
	if (err)
		return err;
	if (*len == 0)
		return -EINVAL;
	if (*len > (uint64_t)LLONG_MAX - *off + 1)
		return -ERANGE;
	return 0;
}

int lc_parse_u32(const char *s, unsigned int min, unsigned int max,
		 unsigned int *out)
{
	uint64_t v;
	const char *p;

	for (p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
	if (parse_size(s, &v))
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static bool all_of(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

/*
 * The superblock id nfsd passes: the exported block device's name as
 * s_id holds it (pmem0, dm-3, nvme0n1p2, cciss!c0d0). At most 31
 * characters, starting with a letter or digit; never a path.
 */
bool lc_valid_sbid(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 31 && isalnum((unsigned char)s[0]) &&
	       all_of(s, "._!-") && !strstr(s, "..");
}

bool lc_valid_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n >= 1 && n <= max && isalnum((unsigned char)s[0]) &&
	       all_of(s, "._-");
}

/* NVMe Qualified Name: "nqn." and at most 223 bytes (NVMe base spec). */
bool lc_valid_nqn(const char *s)
{
	size_t n = strlen(s);

	return n > 4 && n <= 223 && !strncmp(s, "nqn.", 4) && all_of(s, ".:_-");
}

/* iSCSI name: iqn., eui. or naa. form, at most 223 bytes (RFC 3720). */
bool lc_valid_iqn(const char *s)
{
	size_t n = strlen(s);

	return n > 4 && n <= 223 &&
	       (!strncmp(s, "iqn.", 4) || !strncmp(s, "eui.", 4) ||
		!strncmp(s, "naa.", 4)) && all_of(s, ".:-");
}

/*
 * A client address as nfsd prints it (rpc_ntop): dotted IPv4, or IPv6
 * with an optional %scope. IPv4-mapped IPv6 addresses equal their IPv4
 * form. No ports, brackets, names or blanks.
 */
int lc_parse_addr(const char *s, struct lc_addr *addr)
{
	char buf[INET6_ADDRSTRLEN + 1];
	const char *pct;
	size_t n = strlen(s);

	memset(addr, 0, sizeof(*addr));
	if (n == 0 || n >= sizeof(buf) + 16)
		return -EINVAL;
	if (inet_pton(AF_INET, s, addr->a + 12) == 1) {
		addr->family = AF_INET;
		addr->a[10] = addr->a[11] = 0xff;
		inet_ntop(AF_INET, addr->a + 12, addr->text, sizeof(addr->text));
		return 0;
	}
	pct = strchr(s, '%');
	if (pct) {
		if (!lc_valid_name(pct + 1, 15) || (size_t)(pct - s) >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, s, pct - s);
		buf[pct - s] = '\0';
	} else {
		if (n >= sizeof(buf))
			return -EINVAL;
		strcpy(buf, s);
	}
	if (inet_pton(AF_INET6, buf, addr->a) != 1)
		return -EINVAL;
	if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)addr->a)) {
		addr->family = AF_INET;
		inet_ntop(AF_INET, addr->a + 12, addr->text, sizeof(addr->text));
		return 0;
	}
	addr->family = AF_INET6;
	inet_ntop(AF_INET6, addr->a, addr->text, sizeof(addr->text));
	if (pct)
		snprintf(addr->text + strlen(addr->text),
			 sizeof(addr->text) - strlen(addr->text), "%s", pct);
	return 0;
}

bool lc_addr_equal(const struct lc_addr *a, const struct lc_addr *b)
{
	return a->family == b->family && !memcmp(a->a, b->a, sizeof(a->a));
}

/* The rest of fd, NUL-terminated, at most max bytes; closes fd. NULL with
 * errno set. */
char *lc_read_fd(int fd, size_t max)
{
	size_t len;

	return lc_read_fd_len(fd, max, &len);
}

/* lc_read_fd(), also saying how many bytes were read (NULs included). */
char *lc_read_fd_len(int fd, size_t max, size_t *lenp)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap + 1);
	int err;

	if (!buf) {
		close(fd);
		return NULL;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap >= max) {
				errno = EFBIG;
				goto fail;
			}
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb)
				goto fail;
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	*lenp = len;
	return buf;
fail:
	err = errno;
	close(fd);
	free(buf);
	errno = err;
	return NULL;
}

/* The whole of a small file, NUL-terminated; NULL with errno set. */
char *lc_read_file(const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? NULL : lc_read_fd(fd, max);
}

/*
 * Files layoutctl trusts as root - its configuration, the commands that
 * names, its state directory - must be changeable by root (or by the user
 * it runs as) alone, as sshd's safe_path() and sudo demand of theirs:
 *
 *   - the object is owned by root or the effective uid, and neither group
 *     nor others may write it;
 *   - so is every directory above it, up to /, except that a directory
 *     others may write is accepted when it is sticky and root's (as /tmp
 *     is): there only its owner can remove or rename what is ours, and the
 *     entry below it is checked like the rest.
 *
 * Symbolic links in path are resolved first and the target checked, with
 * the directories above it; with LC_TRUST_NOLINK path itself may not be
 * one. The resolved name goes to real (PATH_MAX bytes) if not NULL: open
 * that, not path, so that no link changed in between is followed.
 * Returns 0, -ENOENT, -EPERM (said, naming what is wrong and where), or
 * another -errno.
 */
static bool trusted_owner(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

static int untrusted(const char *what, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int untrusted(const char *what, const char *path, const char *fmt, ...)
{
	char why[PATH_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	lc_err("refusing %s %s: %s", what, path, why);
	return -EPERM;
}

/* The object itself: its type, its owner, nobody else may write it. */
static int trust_stat(const struct stat *st, const char *what, const char *path,
		      bool dir)
{
	if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode))
		return untrusted(what, path, "not a %s", dir ? "directory" : "regular file");
	if (!trusted_owner(st->st_uid))
		return untrusted(what, path, "owned by uid %u, not by root or uid %u",
				 (unsigned int)st->st_uid, (unsigned int)geteuid());
	if (st->st_mode & 022)
		return untrusted(what, path, "writable by group or others (mode %04o)",
				 (unsigned int)(st->st_mode & 07777));
	return 0;
}

/*
 * Every directory above @file, up to /, must be changeable by root (or the
 * euid) alone, or be a sticky directory of root's. With @links, a symbolic
 * link on the way is passed over: it lies in a directory this checks, and
 * where it points is checked on the resolved path.
 */
static int trust_dirs_above(const char *what, const char *path,
			    const char *file, bool links)
{
	char dir[PATH_MAX], *slash;
	struct stat st;

	if (snprintf(dir, sizeof(dir), "%s", file) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	while (strcmp(dir, "/")) {
		slash = strrchr(dir, '/');
		if (!slash)
			break;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (lstat(dir, &st))
			return -errno;
		if (links && S_ISLNK(st.st_mode))
			continue;
		if (!S_ISDIR(st.st_mode))
			return untrusted(what, path, "%s above it is not a directory", dir);
		if (!trusted_owner(st.st_uid))
			return untrusted(what, path,
					 "directory %s above it is owned by uid %u, not by root or uid %u",
					 dir, (unsigned int)st.st_uid, (unsigned int)geteuid());
		if ((st.st_mode & 022) && !(st.st_uid == 0 && (st.st_mode & S_ISVTX)))
			return untrusted(what, path,
					 "directory %s above it is writable by group or others (mode %04o) and not a sticky directory of root's",
					 dir, (unsigned int)(st.st_mode & 07777));
	}
	return 0;
}

int lc_trust_path(const char *what, const char *path, unsigned int flags,
		  char *real)
{
	char buf[PATH_MAX], given[PATH_MAX];
	struct stat st;
	int err;

	if (flags & LC_TRUST_NOLINK) {
		if (lstat(path, &st))
			return -errno;
		if (S_ISLNK(st.st_mode))
			return untrusted(what, path, "it is a symbolic link");
	}
	if (!realpath(path, buf)) {
		int err = errno;

		/* /dev/fd/N of a pipe, say: there, but no file of a name. */
		if (err == ENOENT && stat(path, &st) == 0)
			return untrusted(what, path, "not a regular file or directory");
		return -err;
	}
	if (lstat(buf, &st))
		return -errno;
	if (S_ISREG(st.st_mode) && (flags & LC_TRUST_EXEC) && !(st.st_mode & 0111))
		return untrusted(what, path, "not executable");
	err = trust_stat(&st, what, path, flags & LC_TRUST_DIR);
	if (err)
		return err;
	/* Where it is, and where the name given leads through. */
	err = trust_dirs_above(what, path, buf, false);
	if (err)
		return err;
	if (path[0] == '/') {
		if (snprintf(given, sizeof(given), "%s", path) >= (int)sizeof(given))
			return -ENAMETOOLONG;
	} else {
		if (!getcwd(given, sizeof(given)))
			return -errno;
		if (strlen(given) + 1 + strlen(path) >= sizeof(given))
			return -ENAMETOOLONG;
		strcat(given, "/");
		strcat(given, path);
	}
	err = trust_dirs_above(what, path, given, true);
	if (err)
		return err;
	if (real)
		snprintf(real, PATH_MAX, "%s", buf);
	return 0;
}

/*
 * Checks an open file of the state directory as lc_trust_path() checks
 * the object itself, and that it has one name only (a hard link planted
 * there would let us write another file). what/path are for the message.
 */
int lc_trust_fd(int fd, const char *what, const char *path, bool dir)
{
	struct stat st;
	int err;

	if (fstat(fd, &st))
		return -errno;
	err = trust_stat(&st, what, path, dir);
	if (err)
		return err;
	if (!dir && st.st_nlink != 1)
		return untrusted(what, path, "it has %lu hard links",
				 (unsigned long)st.st_nlink);
	return 0;
}

/* One write of val to a sysfs or configfs attribute; 0 or -errno. */
int lc_write_file(const char *path, const char *val)
{
	size_t n = strlen(val);
	int fd, err = 0;
	ssize_t w;

	/* Attributes exist in configfs and sysfs; a fake tree creates them. */
	fd = open(path, O_WRONLY | O_CLOEXEC | (*lc_root() ? O_CREAT | O_TRUNC : 0), 0644);
	if (fd < 0)
		return -errno;
	w = write(fd, val, n);
	if (w < 0)
		err = -errno;
	else if ((size_t)w != n)
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

/* A small sysfs, configfs or /proc attribute, without its newline, into
 * buf; 0 or -errno. */
int lc_read_attr(const char *path, char *buf, size_t len)
{
	char *s = lc_read_file(path, 4096);

	if (!s)
		return -errno;
	lc_chomp(s);
	snprintf(buf, len, "%s", s);
	free(s);
	return 0;
}

void lc_chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
}

/* Milliseconds on the monotonic clock, for deadlines. */
int64_t lc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The lc_now_ms() time seconds from now. */
int64_t lc_deadline(unsigned int seconds)
{
	return lc_now_ms() + seconds * 1000LL;
}

static int pidfd_open_(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

static void close_fds_from(unsigned int lo, unsigned int hi)
{
	if (lo > hi)
		return;
	if (close_range(lo, hi, 0) == 0)
		return;
	/* Kernels before 5.9: one by one, up to the descriptor limit. */
	{
		struct rlimit rl;
		unsigned int max = 65536;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < max)
			max = rl.rlim_cur;
		for (; lo <= hi && lo < max; lo++)
			close(lo);
	}
}

/* Descriptors a child of lc_run() keeps: its pipe, its gate, keep[]. */
#define RUN_MAX_FDS	(LC_RUN_MAX_KEEP + 2)

/* In the child: closes every descriptor but 0, 1, 2 and keep[]. */
static void close_other_fds(const int *keep, int nkeep)
{
	int k[RUN_MAX_FDS], n = 0, i, j;
	unsigned int lo = 3;

	for (i = 0; i < nkeep && n < RUN_MAX_FDS; i++)
		if (keep[i] > 2)
			k[n++] = keep[i];
	for (i = 1; i < n; i++)		/* a handful: insertion sort */
		for (j = i; j > 0 && k[j - 1] > k[j]; j--) {
			int t = k[j];

			k[j] = k[j - 1];
			k[j - 1] = t;
		}
	for (i = 0; i < n; i++) {
		if ((unsigned int)k[i] < lo)
			continue;
		close_fds_from(lo, k[i] - 1);
		lo = k[i] + 1;
	}
	close_fds_from(lo, ~0U);
}

/*
 * The child's side of lc_run(), before fn runs. It is to hold nothing of
 * the parent's (no lock, no record, no descriptor the helper got from its
 * caller), to die with the parent, and to lead a process group of its
 * own, so that a time limit reaches whatever it starts. Then it waits at
 * its gate: it starts only once the parent can watch it (run_start()).
 */
static void child_setup(pid_t parent, int pipefd, int gate, const int *keep,
			int nkeep)
{
	int fds[RUN_MAX_FDS];
	int i, n = 0;
	ssize_t r;
	char go;

	setpgid(0, 0);
	/* Killed when the parent dies; it may have died already. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(LC_EFAIL);
	fds[n++] = pipefd;
	fds[n++] = gate;
	for (i = 0; i < nkeep && n < RUN_MAX_FDS; i++)
		fds[n++] = keep[i];
	closelog();
	close_other_fds(fds, n);
	lc_log_reopen();
	signal(SIGPIPE, SIG_DFL);
	do
		r = read(gate, &go, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1)
		_exit(LC_EFAIL);	/* not to be watched: nothing done */
	close(gate);
}

/*
 * Kills the child's process group (and the child, in case it never got to
 * setpgid). Only while the child is not reaped yet: until then its pid,
 * and so its group id, cannot be reused.
 */
static void kill_group(pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
}

/* A child of lc_run(), as its parent sees it. */
struct run {
	pid_t pid;
	int pidfd;		/* its exit, as an event */
	int pipe;		/* the read end of its fd */
	bool exited, eof;
	int64_t exit_ms;	/* when it exited */
};

/* What the child writes, kept up to max bytes; the rest is read and
 * counted, so that the child never blocks on a full pipe. */
struct outbuf {
	char *buf;
	size_t len, cap, max, dropped;
};

/* Reads what is there; false at the end of the pipe (or an error). */
static bool out_read(int fd, struct outbuf *ob)
{
	char chunk[4096];
	ssize_t r = read(fd, chunk, sizeof(chunk));
	size_t take;

	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (r <= 0)
		return false;
	take = ob->len + r <= ob->max ? (size_t)r : ob->max - ob->len;
	if (take && ob->len + take + 1 > ob->cap) {
		size_t cap = (ob->len + take + 1) * 2;
		char *nb = realloc(ob->buf, cap > ob->max + 1 ? ob->max + 1 : cap);

		if (!nb) {
			ob->dropped += r;
			return true;
		}
		ob->buf = nb;
		ob->cap = cap > ob->max + 1 ? ob->max + 1 : cap;
	}
	if (take) {
		memcpy(ob->buf + ob->len, chunk, take);
		ob->len += take;
		ob->buf[ob->len] = '\0';
	}
	ob->dropped += r - take;
	return true;
}

/*
 * Forks the child that runs fn(arg, fd). It starts fn only once its exit
 * can be waited for with a deadline (a pidfd): when that cannot be had
 * (pidfd_open() needs Linux 5.3; a seccomp filter may deny it), the child
 * is released without running fn and nothing is done. Returns 0, or
 * LC_EFAIL (said).
 */
static int run_start(struct run *r, int (*fn)(void *arg, int fd), void *arg,
		     const int *keep, int nkeep)
{
	int out[2], gate[2], err;
	pid_t parent = getpid();

	if (pipe2(out, O_CLOEXEC)) {
		lc_err("cannot start the backend process: pipe: %s", strerror(errno));
		return LC_EFAIL;
	}
	if (pipe2(gate, O_CLOEXEC)) {
		lc_err("cannot start the backend process: pipe: %s", strerror(errno));
		close(out[0]);
		close(out[1]);
		return LC_EFAIL;
	}
	fflush(NULL);
	r->pid = fork();
	if (r->pid == 0) {
		close(out[0]);
		close(gate[1]);
		child_setup(parent, out[1], gate[0], keep, nkeep);
		_exit(fn(arg, out[1]));
	}
	err = errno;
	close(out[1]);
	close(gate[0]);
	if (r->pid < 0) {
		close(out[0]);
		close(gate[1]);
		lc_err("cannot start the backend process: fork: %s", strerror(err));
		return LC_EFAIL;
	}
	/* Also here, so that the group exists before any kill of it. */
	setpgid(r->pid, r->pid);
	r->pipe = out[0];
	r->exited = r->eof = false;
	r->exit_ms = 0;
	r->pidfd = pidfd_open_(r->pid);
	if (r->pidfd < 0 || write(gate[1], "", 1) != 1) {
		err = errno;
		/* It waits at its gate (child_setup()), in an interruptible
		 * read: the kill ends it at once, and the wait is short. */
		close(gate[1]);
		kill_group(r->pid);
		waitpid(r->pid, NULL, 0);
		close(r->pipe);
		if (r->pidfd >= 0)
			close(r->pidfd);
		lc_err("cannot watch the backend process (%s: %s); it was stopped before it did anything",
		       r->pidfd < 0 ? "pidfd_open, Linux 5.3 or later needed" : "write",
		       strerror(err));
		return LC_EFAIL;
	}
	close(gate[1]);
	return 0;
}

/* After the child has exited (and what it left in its group was killed),
 * what still holds its pipe open gets this long before we stop reading. */
#define RUN_DRAIN_MS	1000

/*
 * Collects the child's output until it has exited and its pipe is closed,
 * or the deadline. Once it has exited, what it left running in its group
 * (holding the pipe, say) is killed; something outside the group that
 * keeps the pipe open is given RUN_DRAIN_MS, not the whole time limit.
 */
static void run_wait(struct run *r, int64_t deadline, struct outbuf *ob)
{
	while (!r->exited || !r->eof) {
		struct pollfd p[2] = {
			{ .fd = r->eof ? -1 : r->pipe, .events = POLLIN },
			{ .fd = r->exited ? -1 : r->pidfd, .events = POLLIN },
		};
		int64_t now = lc_now_ms(), end = deadline, left;
		int n;

		if (r->exited && r->exit_ms + RUN_DRAIN_MS < end)
			end = r->exit_ms + RUN_DRAIN_MS;
		left = end - now;
		if (left <= 0)
			break;
		n = poll(p, 2, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		if (p[0].revents && !out_read(r->pipe, ob))
			r->eof = true;
		if (p[1].revents) {
			r->exited = true;
			r->exit_ms = lc_now_ms();
			kill(-r->pid, SIGKILL);
		}
	}
}

/* Reaps the child, killed first if it has not exited by the deadline;
 * its status into res. */
static void run_finish(struct run *r, struct lc_run_result *res)
{
	int status;

	close(r->pipe);
	if (!r->exited) {
		struct pollfd p = { .fd = r->pidfd, .events = POLLIN };

		kill_group(r->pid);
		res->timed_out = true;
		/* Reap it if it dies at once; a task in D state is left. */
		if (poll(&p, 1, 1000) == 1)
			waitpid(r->pid, NULL, 0);
		close(r->pidfd);
		return;
	}
	close(r->pidfd);
	if (waitpid(r->pid, &status, 0) < 0)
		res->status = LC_EFAIL;
	else if (WIFEXITED(status))
		res->status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		res->signal = WTERMSIG(status);
	else
		res->status = LC_EFAIL;
}

/*
 * Runs fn in a child process and waits for it until deadline (a time of
 * lc_now_ms()), so that a caller can share one time limit between a lock
 * wait and the work. What the child writes to its fd goes to res->out, at
 * most max_out bytes of it (0: none kept); res says how the child ended:
 * its exit status (fn returns an LC_* code), the signal that killed it,
 * or that it was still running at the deadline and was killed.
 *
 * The child keeps only stdin, stdout, stderr, its end of the pipe and the
 * nkeep descriptors in keep (at most LC_RUN_MAX_KEEP); it dies with the
 * parent (PR_SET_PDEATHSIG), and leads a process group of its own: at the
 * deadline, or once the child has exited, whatever is left in that group
 * is killed. A task stuck in the kernel may outlive the kill: we do not
 * wait for it. Returns 0 with res filled in (lc_run_free() it), or
 * LC_EFAIL, said, when fn could not be run: then it has done nothing.
 */
int lc_run(int (*fn)(void *arg, int fd), void *arg, int64_t deadline,
	   const int *keep, int nkeep, size_t max_out, struct lc_run_result *res)
{
	struct outbuf ob = { .max = max_out };
	struct run r;

	memset(res, 0, sizeof(*res));
	if (nkeep < 0 || nkeep > LC_RUN_MAX_KEEP)
		return LC_EFAIL;
	if (run_start(&r, fn, arg, keep, nkeep))
		return LC_EFAIL;
	run_wait(&r, deadline, &ob);
	run_finish(&r, res);
	res->out = ob.buf;
	res->len = ob.len;
	res->dropped = ob.dropped;
	return 0;
}

void lc_run_free(struct lc_run_result *res)
{
	free(res->out);
	res->out = NULL;
}

/*
 * lc_run() for a child whose exit status is an LC_* code: returns it,
 * LC_ETIMEDOUT when the child was killed at the deadline, LC_EFAIL when it
 * was killed otherwise or could not be run. *out (may be NULL) receives
 * what it wrote, also after a timeout; NULL when it could not be run.
 */
int lc_run_limited(int (*fn)(void *arg, int fd), void *arg,
		   int64_t deadline, const int *keep, int nkeep, char **out)
{
	struct lc_run_result res;

	if (out)
		*out = NULL;
	if (lc_run(fn, arg, deadline, keep, nkeep, out ? LC_RUN_MAX_OUT : 0, &res))
		return LC_EFAIL;
	if (out) {
		*out = res.out;
		res.out = NULL;
	}
	lc_run_free(&res);
	if (res.timed_out)
		return LC_ETIMEDOUT;
	return res.signal ? LC_EFAIL : res.status;
}

/* What the child of lc_exec_limited() says of a failure before the
 * command ran, on a pipe that exec closes. */
struct exec_failure {
	int code;		/* an LC_* code */
	int err;		/* execve()'s errno, or 0 */
};

struct exec_args {
	const struct lc_exec *ex;
	int failpipe;
};

/* The watcher's parent, layoutctl, died: the group goes, the watcher too. */
static void watcher_orphaned(int sig)
{
	(void)sig;
	kill(0, SIGKILL);
	_exit(LC_EFAIL);
}

/*
 * The command runs in a grandchild; this child stays as its watcher.
 * PR_SET_PDEATHSIG reaches only the process it was set for, and an
 * exec'd command cannot be told to do anything on its parent's death:
 * if the command were this child, what it starts in the background would
 * outlive a layoutctl that nfsd killed. The watcher gets SIGTERM when
 * layoutctl dies and kills its whole process group (it leads it: the
 * command and what it started, unless they left the group); otherwise it
 * exits as the command did, and lc_run() kills the group once it has.
 */
static int exec_watched(struct exec_args *a)
{
	const struct lc_exec *ex = a->ex;
	struct exec_failure f = { LC_EFAIL, 0 };
	pid_t watcher = getpid(), parent = getppid(), pid;
	int status;

	signal(SIGTERM, watcher_orphaned);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() != parent)
		watcher_orphaned(0);
	pid = fork();
	if (pid < 0) {
		f.err = errno;
		if (write(a->failpipe, &f, sizeof(f)) < 0)
			f.code = LC_EFAIL;
		return LC_EFAIL;
	}
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != watcher)
			_exit(LC_EFAIL);
		execve(ex->path, ex->argv, ex->envp);
		f.err = errno;
		if (write(a->failpipe, &f, sizeof(f)) < 0)
			f.code = LC_EFAIL;
		_exit(127);
	}
	close(a->failpipe);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return LC_EFAIL;
	if (WIFSIGNALED(status)) {
		/* die of the same signal, so that lc_run() reports it */
		signal(WTERMSIG(status), SIG_DFL);
		prctl(PR_SET_PDEATHSIG, 0);
		kill(getpid(), WTERMSIG(status));
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : LC_EFAIL;
}

static int exec_child(void *arg, int fd)
{
	struct exec_args *a = arg;
	const struct lc_exec *ex = a->ex;
	struct exec_failure f = { 0, 0 };
	int devnull;

	if (ex->pre)
		f.code = ex->pre(ex->arg);
	if (f.code) {
		if (write(a->failpipe, &f, sizeof(f)) < 0)
			f.code = LC_EFAIL;
		return f.code;
	}
	/* In a process group of its own it must not read the terminal; what
	 * it prints is ours to log. */
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull >= 0)
		dup2(devnull, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	return exec_watched(a);
}

/*
 * Runs ex->path (absolute, no shell) with ex->argv and ex->envp until
 * deadline, its standard output and error collected (at most max_out
 * bytes) and its standard input /dev/null; ex->pre runs in the child
 * first, with ex->keep open (give them O_CLOEXEC: the command gets none).
 * res as for lc_run(), its status the command's own, or res->child_error
 * when pre or execve failed (res->exec_errno for execve). Returns 0, or
 * LC_EFAIL, said, when nothing could be run.
 */
int lc_exec_limited(const struct lc_exec *ex, int64_t deadline, size_t max_out,
		    struct lc_run_result *res)
{
	int fp[2], keep[LC_RUN_MAX_KEEP], n = 0, ret;
	struct exec_args a = { ex, -1 };
	struct exec_failure f;

	if (ex->nkeep < 0 || ex->nkeep >= LC_RUN_MAX_KEEP)
		return LC_EFAIL;
	if (pipe2(fp, O_CLOEXEC | O_NONBLOCK)) {
		lc_err("cannot run %s: pipe: %s", ex->path, strerror(errno));
		return LC_EFAIL;
	}
	for (n = 0; n < ex->nkeep; n++)
		keep[n] = ex->keep[n];
	keep[n++] = fp[1];
	a.failpipe = fp[1];
	ret = lc_run(exec_child, &a, deadline, keep, n, max_out, res);
	close(fp[1]);
	if (!ret && read(fp[0], &f, sizeof(f)) == (ssize_t)sizeof(f)) {
		res->child_error = f.code;
		res->exec_errno = f.err;
	}
	close(fp[0]);
	return ret;
}
