// SPDX-License-Identifier: GPL-2.0
/*
 * What the fencing backends share: the table of backends, exit codes,
 * checked paths, configfs (and its fake stand-in under LAYOUTCTL_ROOT),
 * undo lines, and running a backend's steps in a child with a time limit.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fence.h"

static const struct lc_backend_ops *const backends[] = {
	&lc_nvmet_ops, &lc_iscsi_ops, &lc_command_ops,
};

const struct lc_backend_ops *backend_ops(enum lc_backend b)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (backends[i]->type == b)
			return backends[i];
	return NULL;
}

/* The backend whose fences journal undo lines that start with @verb. */
const struct lc_backend_ops *backend_of_verb(const char *verb)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		for (const char *const *v = backends[i]->verbs; *v; v++)
			if (!strcmp(*v, verb))
				return backends[i];
	return NULL;
}

int errno_code(int err)
{
	err = err < 0 ? -err : err;
	if (err == EACCES || err == EPERM)
		return LC_EPERM;
	if (err == ENOENT)
		return LC_ENOENT;
	if (err == ETIMEDOUT)
		return LC_ETIMEDOUT;
	return LC_EFAIL;
}

/* What an exit code means, for the last line of a fence's log. */
const char *code_text(int code)
{
	switch (code) {
	case LC_ECONF: return "configuration";
	case LC_ETIMEDOUT: return "timed out";
	case LC_EPERM: return "not permitted";
	case LC_ENOENT: return "no such target object";
	default: return "backend error";
	}
}

/* A system path under LAYOUTCTL_ROOT (lc_path()); one that does not fit
 * is said and gives -ENAMETOOLONG. */
int fence_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = lc_vpath(buf, len, fmt, ap);
	va_end(ap);
	if (err)
		lc_err("path too long: %.80s...", buf);
	return err;
}

static int vfence_fmt(char *buf, size_t len, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, len, fmt, ap);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* snprintf() that fails with -ENAMETOOLONG rather than cut the text. */
int fence_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = vfence_fmt(buf, len, fmt, ap);
	va_end(ap);
	return err;
}

/* fence_fmt() for a path under one fence_path() gave: says when it does
 * not fit. */
int fence_join(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = vfence_fmt(buf, len, fmt, ap);
	va_end(ap);
	if (err)
		lc_err("path too long: %.80s...", buf);
	return err;
}

/* Over several answers (1, 0, -1): a yes wins, then a cannot-tell. */
int any_of(int so_far, int r)
{
	return so_far > 0 || r > 0 ? 1 : so_far < 0 || r < 0 ? -1 : 0;
}

/* The names in directory @dir but dot files, for a message: "a, b" (as
 * many as fit) or "none". */
void dir_names(const char *dir, char *buf, size_t len)
{
	struct dirent *de;
	bool cut = false;
	size_t n = 0;
	DIR *d = opendir(dir);

	buf[0] = '\0';
	while (d && !cut && (de = readdir(d))) {
		int w;

		if (de->d_name[0] == '.')
			continue;
		w = snprintf(buf + n, len - n, "%s%s", n ? ", " : "", de->d_name);
		cut = w < 0 || (size_t)w >= len - n;
		if (cut)
			buf[n] = '\0';	/* what fitted, whole names only */
		else
			n += w;
	}
	if (d)
		closedir(d);
	if (!n)
		snprintf(buf, len, cut ? "(too long to show)" : "none");
}

/*
 * Is @u one of the lines a backend writes (a verb of @shapes with its
 * number of words)? Checked for every line before an unfence undoes the
 * first: LC_OK, or LC_EFAIL, said.
 */
int undo_shape_check(const struct undo_line *u, const struct undo_shape *shapes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(u->w[0], shapes[i].verb) && u->n == shapes[i].n)
			return LC_OK;
	lc_err("cannot undo \"%s\": not a step layoutctl writes; nothing undone", u->text);
	return LC_EFAIL;
}

bool path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/*
 * Whether a namespace's device_path (a backstore's udev_path) is the block
 * device SB-ID names: 1, 0, or -1 (said) when that cannot be told. By
 * device number where the path is a block device (a link to one, such as
 * /dev/disk/by-id/..., followed); another kind of file is not the device.
 * A path that does not resolve (a link udev renamed since the target
 * opened it) is the device only by name (its own, or its device-mapper
 * name); any other name may still be it, so that cannot be told.
 */
int same_device(const char *device_path, const char *sbid)
{
	char p[PATH_MAX], v[256], *copy, *base;
	unsigned int maj, min;
	struct stat st;
	int same = -1, err;

	if (fence_path(p, sizeof(p), "%s", device_path))
		return -1;
	if (stat(p, &st) == 0) {
		if (!S_ISBLK(st.st_mode))
			return 0;
		if (fence_path(p, sizeof(p), "/sys/class/block/%s/dev", sbid))
			return -1;
		if (probe_attr(p, v, sizeof(v)) <= 0 || sscanf(v, "%u:%u", &maj, &min) != 2) {
			lc_err("cannot tell whether %s is %s: no device number for %s", device_path,
			       sbid, sbid);
			return -1;
		}
		return major(st.st_rdev) == maj && minor(st.st_rdev) == min;
	}
	err = errno;
	copy = strdup(device_path);
	if (!copy)
		return -1;
	base = basename(copy);
	if (!strcmp(base, sbid))
		same = 1;
	else if (lc_path(p, sizeof(p), "/sys/class/block/%s/dm/name", sbid) == 0 &&
		 lc_read_attr(p, v, sizeof(v)) == 0 && !strcmp(base, v))
		same = 1;
	else
		lc_err("cannot tell whether %s is %s: %s", device_path, sbid, strerror(err));
	free(copy);
	return same;
}

/*
 * In a fake tree (LAYOUTCTL_ROOT, for tests) attributes are plain files and
 * the default groups configfs makes with an item (an ACL's attrib/, auth/,
 * param/) plain directories: removed here, as configfs removes them with
 * the item. Symbolic links stay, as in configfs, where they are the
 * user's and keep the rmdir from succeeding.
 */
static void fake_empty(const char *path, int depth)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char p[PATH_MAX];
	struct stat st;

	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    fence_fmt(p, sizeof(p), "%s/%s", path, de->d_name) ||
		    lstat(p, &st))
			continue;
		if (S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode)) {
			unlink(p);
		} else if (S_ISDIR(st.st_mode) && depth < 4) {
			fake_empty(p, depth + 1);
			rmdir(p);
		}
	}
	if (d)
		closedir(d);
}

/* rmdir of a configfs directory: its attributes go with it. */
int configfs_rmdir(const char *path)
{
	if (*lc_root())
		fake_empty(path, 0);
	return rmdir(path);
}

/* mkdir of a configfs item; one that is there already will do. */
int configfs_mkdir(const char *path)
{
	return mkdir(path, 0755) && errno != EEXIST ? -errno : 0;
}

int configfs_symlink(const char *target, const char *path)
{
	return symlink(target, path) && errno != EEXIST ? -errno : 0;
}

/* An attribute: in a fake tree, its default group is made as configfs
 * would have made it with the item. 0 or -errno. */
int configfs_write(const char *path, const char *val)
{
	if (*lc_root()) {
		char dir[PATH_MAX], *slash;

		if (fence_fmt(dir, sizeof(dir), "%s", path))
			return -ENAMETOOLONG;
		slash = strrchr(dir, '/');
		if (slash) {
			*slash = '\0';
			mkdir(dir, 0755);
		}
	}
	return lc_write_file(path, val);
}

/*
 * What the backends read of configfs, as answers: "there" (1), "not there"
 * (0, for ENOENT alone), or "cannot tell" (-1, said). A fence step or a
 * leak check that gets -1 fails: an entry that cannot be read cannot be
 * shown closed, and a step that cannot see what it is to cut cuts nothing.
 */
static int probe_fail(const char *path, int err)
{
	lc_err("cannot read %s: %s", path, strerror(err));
	return -1;
}

int probe_entry(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return 1;
	return errno == ENOENT ? 0 : probe_fail(path, errno);
}

int probe_attr(const char *path, char *buf, size_t len)
{
	int err = lc_read_attr(path, buf, len);

	if (!err)
		return 1;
	return err == -ENOENT ? 0 : probe_fail(path, -err);
}

int probe_dir(const char *path, DIR **d)
{
	*d = opendir(path);
	if (*d)
		return 1;
	return errno == ENOENT ? 0 : probe_fail(path, errno);
}

int probe_next(DIR *d, const char *path, struct dirent **de)
{
	for (;;) {
		errno = 0;
		*de = readdir(d);
		if (!*de)
			return errno ? probe_fail(path, errno) : 0;
		/* Only . and .. are no entries: configfs takes other names
		 * that start with a dot. */
		if (strcmp((*de)->d_name, ".") && strcmp((*de)->d_name, ".."))
			return 1;
	}
}

/*
 * The name of what the link @path leads to (its last component), into
 * @name: 1; 0 when there is no such entry or it is no link; -1 said.
 */
int probe_link(const char *path, char *name, size_t len)
{
	char t[PATH_MAX], *base;
	ssize_t n = readlink(path, t, sizeof(t) - 1);

	if (n < 0)
		return errno == ENOENT || errno == EINVAL ? 0 : probe_fail(path, errno);
	t[n] = '\0';
	while (n > 1 && t[n - 1] == '/')
		t[--n] = '\0';
	base = strrchr(t, '/');
	base = base ? base + 1 : t;
	if (fence_fmt(name, len, "%s", base))
		return probe_fail(path, ENAMETOOLONG);
	return 1;
}

/*
 * Is there, in directory @dir, a link to an entry named @name (configfs
 * takes a link under any name)? 1, with its path in @found; 0; -1 said.
 * A definite 1 wins over an entry that cannot be read.
 */
int find_link(const char *dir, const char *name, char *found, size_t len)
{
	char p[PATH_MAX], base[NAME_MAX + 1];
	struct dirent *de;
	int r, res = 0;
	DIR *d;

	r = probe_dir(dir, &d);
	if (r <= 0)
		return r;
	while ((r = probe_next(d, dir, &de)) > 0) {
		int l;

		if (fence_join(p, sizeof(p), "%s/%s", dir, de->d_name)) {
			res = -1;
			continue;
		}
		l = probe_link(p, base, sizeof(base));
		if (l < 0)
			res = -1;
		if (l > 0 && !strcmp(base, name)) {
			res = fence_join(found, len, "%s", p) ? -1 : 1;
			if (res > 0)
				break;
		}
	}
	closedir(d);
	return r < 0 && res == 0 ? -1 : res;
}

/* Is @path a directory? 1 yes, 0 something else or nothing, -1 said. */
int probe_isdir(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return S_ISDIR(st.st_mode);
	return errno == ENOENT ? 0 : probe_fail(path, errno);
}

/*
 * The top of what a leak check walks, under LAYOUTCTL_ROOT; NULL (said) when
 * it cannot be read: what cannot be read cannot be shown closed.
 */
DIR *leak_check_dir(const char *path)
{
	char p[PATH_MAX];
	DIR *d;

	if (fence_path(p, sizeof(p), "%s", path))
		return NULL;
	d = opendir(p);
	if (!d)
		lc_err("cannot read %s: %s", p, strerror(errno));
	return d;
}

/*
 * A word of an undo line names a configfs entry (a port, an NQN, an IQN, a
 * LUN, a link) or is a value (a number, hex): one path component,
 * printable, no "." or "..". Only root writes records, but an undo builds
 * paths from them as root.
 */
bool undo_word_ok(const char *w)
{
	if (!*w || !strcmp(w, ".") || !strcmp(w, ".."))
		return false;
	for (; *w; w++)
		if (*w == '/' || *(const unsigned char *)w < 0x21 ||
		    *(const unsigned char *)w > 0x7e)
			return false;
	return true;
}

/* Splits an undo line into u; a line with a word that is no configfs name,
 * or too many, is said and refused (-EINVAL). */
int undo_split(const char *line, struct undo_line *u)
{
	char *s, *save = NULL;

	u->text = line;
	u->n = 0;
	if (fence_fmt(u->buf, sizeof(u->buf), "%s", line)) {
		lc_err("cannot undo \"%.64s...\": too long", line);
		return -EINVAL;
	}
	for (s = strtok_r(u->buf, " ", &save); s; s = strtok_r(NULL, " ", &save)) {
		if (u->n == UNDO_MAX_WORDS) {
			lc_err("cannot undo \"%s\": too many words", line);
			return -EINVAL;
		}
		if (u->n && !undo_word_ok(s)) {
			lc_err("cannot undo \"%s\": \"%s\" names no configfs entry",
			       line, s);
			return -EINVAL;
		}
		u->w[u->n++] = s;
	}
	if (!u->n) {
		lc_err("cannot undo an empty step");
		return -EINVAL;
	}
	return 0;
}

void say(int fd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdprintf(fd, fmt, ap);
	va_end(ap);
}

static int cut_child(void *arg, int fd)
{
	struct fence_job *job = arg;
	int ret = job->ops->cut(job);

	/* Last, nothing else may still let the client at the device. */
	if (ret == LC_OK && job->ops->leaks && job->ops->leaks(job))
		ret = LC_EFAIL;
	return ret;
}

/*
 * A backend's fence that is a series of configfs steps: run in a child
 * that holds nothing of ours but the journal, until the job's deadline
 * (lc_run_limited()).
 */
int fence_in_child(struct fence_job *job)
{
	return lc_run_limited(cut_child, job, job->deadline, &job->journal, 1, NULL);
}
