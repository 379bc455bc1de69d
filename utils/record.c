// SPDX-License-Identifier: GPL-2.0
/*
 * layoutctl's record store: the state directory's fenced/, one record per
 * fence in force, each with its journal and its lock.
 *
 * A backend journals how to undo each step ("undo=...") before it takes
 * it, synced (journal_step()); the parent writes the record before the
 * backend starts and merges the journal into it after, so that a fence
 * survives a reboot (fenced --reapply) and can be undone (unfence) - also
 * one killed half-way: its journal is merged by the next fence, unfence or
 * fenced of the record, which stays incomplete until a fence completes it.
 *
 * Each record, fenced/CLIENT@SB-ID, has a lock of its own, .CLIENT@SB-ID.lock,
 * which the parent takes (never a backend child) for a fence, an unfence
 * or a reapply: fences of different clients run side by side. The wait
 * for it counts in the operation's time limit, so nothing waits without
 * end (record_lock()).
 *
 * The state directory is trusted only when root (or the user we run as)
 * alone can change it and every directory above it (state_open(),
 * lc_trust_path()), and only when the names of the files in it fit
 * PATH_MAX; every file in it is opened relative to it, never through a
 * symbolic link, never a FIFO, and only a regular file of ours with one
 * name (state_openat()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fence.h"

/*
 * A fence's backend calls this before each step it takes: the step's undo
 * line goes to the record's journal, synced, before the step starts. If
 * the fence is killed at any point (nfsd kills its helper after one lease
 * period), the journal holds every step it may have taken, and the next
 * fence, unfence or fenced of the record merges it in.
 *
 * Written ahead rather than after the step, so that no kill between a
 * step and its line can lose it: every undo restores what the fence saw
 * before the step (a link that was there, an attribute's old value) and is
 * harmless where the step never happened (the link exists, the value is
 * already that). One write(), O_APPEND; a line torn by a kill has no
 * newline and is not read, and its step had not started.
 */
int journal_step(struct fence_job *job, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	ssize_t w;
	int n, m;

	memcpy(line, "undo=", 5);
	n = 5;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= sizeof(line) - n - 1) {
		lc_err("undo step too long for the journal; stopped before it");
		return LC_EFAIL;
	}
	n += m;
	line[n++] = '\n';
	w = write(job->journal, line, n);
	if (w != n || fdatasync(job->journal)) {
		lc_err("cannot journal the next step (%s); stopped before it",
		       w < 0 || w == n ? strerror(errno) : "short write");
		return LC_EFAIL;
	}
	return LC_OK;
}

/*
 * The state directory's fenced/ holds, for each client and device:
 *
 *   CLIENT@SB-ID           the record: the client, its address, the
 *                          backend, whether the fence is complete, and
 *                          one "undo=" line per step taken
 *   .CLIENT@SB-ID.lock     its lock (record_lock())
 *   .CLIENT@SB-ID.journal  the steps of a fence in progress, or of one
 *                          that was killed (journal_step())
 *   .CLIENT@SB-ID.tmp      the record being rewritten (record_write())
 *
 * A fence writes the record, marked incomplete, before its backend
 * starts; then it writes it again with the journal's steps and removes the
 * journal. A journal found on the next fence, unfence or fenced of the
 * record is what a killed fence did: it is merged in the same way, and
 * the record stays incomplete until a fence completes it.
 */

void record_free(struct record *r)
{
	for (int i = 0; i < r->nundo; i++)
		free(r->undo[i]);
	free(r->undo);
	memset(r, 0, sizeof(*r));
}

static int add_undo(char ***undo, int *n, const char *line)
{
	char **u, *copy;

	for (int i = 0; i < *n; i++)
		if (!strcmp((*undo)[i], line))
			return 0;
	copy = strdup(line);
	if (!copy)
		return -ENOMEM;
	u = realloc(*undo, (*n + 1) * sizeof(*u));
	if (!u) {
		free(copy);
		return -ENOMEM;
	}
	*undo = u;
	u[(*n)++] = copy;
	return 0;
}

/* Adds the "undo=" lines of text to r. */
static int undo_lines(char *text, struct record *r)
{
	char *line, *save = NULL;
	int err = 0;

	for (line = strtok_r(text, "\n", &save); line && !err;
	     line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, "undo=", 5))
			err = add_undo(&r->undo, &r->nundo, line + 5);
	return err;
}

/* One of the record's fields; a value that does not fit is -EINVAL: the
 * record was not written by us. */
int record_set(char *field, size_t len, const char *val)
{
	return fence_fmt(field, len, "%s", val) ? -EINVAL : 0;
}

static int record_parse(char *text, struct record *r)
{
	char *line, *save = NULL;
	int err = 0;

	for (line = strtok_r(text, "\n", &save); line && !err;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (!eq)
			continue;
		*eq++ = '\0';
		if (!strcmp(line, "client"))
			err = record_set(r->client, sizeof(r->client), eq);
		else if (!strcmp(line, "address"))
			err = record_set(r->address, sizeof(r->address), eq);
		else if (!strcmp(line, "sb"))
			err = record_set(r->sb, sizeof(r->sb), eq);
		else if (!strcmp(line, "backend"))
			err = record_set(r->backend, sizeof(r->backend), eq);
		else if (!strcmp(line, "time"))
			r->time = atoll(eq);
		else if (!strcmp(line, "complete"))
			r->complete = atoi(eq);
		else if (!strcmp(line, "undo"))
			err = add_undo(&r->undo, &r->nundo, eq);
	}
	return err;
}

/* A new record for client off sb, of now. */
int record_init(struct record *r, const char *client, const char *sb)
{
	memset(r, 0, sizeof(*r));
	r->time = time(NULL);
	return record_set(r->client, sizeof(r->client), client) ?:
	       record_set(r->sb, sizeof(r->sb), sb);
}

/* CLIENT@SB-ID; -ENAMETOOLONG if it does not fit. */
int record_name(char *buf, size_t len, const char *client, const char *sb)
{
	return fence_fmt(buf, len, "%s@%s", client, sb);
}

/* .NAME.SUFFIX: the record's lock, journal or temporary file. Names are
 * at most RECORD_NAME_MAX characters (conf.c), far within NAME_MAX. */
static int side_name(char *buf, size_t len, const char *name, const char *suffix)
{
	return fence_fmt(buf, len, ".%s.%s", name, suffix);
}

static int dir_sync(struct state *st)
{
	return fsync(st->fd) ? -errno : 0;
}

/*
 * Opens file @name of the state directory (flags: the access mode, O_CREAT,
 * O_EXCL, O_APPEND): never through a symbolic link (O_NOFOLLOW), never
 * waiting on a FIFO (O_NONBLOCK until it is known to be a regular file),
 * and only a regular file of root's or ours with one name, that others
 * cannot write (lc_trust_fd()). A file that is not is refused with -EPERM,
 * said; the directory itself was checked by state_open().
 */
static int state_openat(struct state *st, const char *name, int flags, mode_t mode)
{
	char path[PATH_MAX];
	int fd, err;

	/* For messages; state_open() made sure that it fits. */
	if (fence_fmt(path, sizeof(path), "%s/%s", st->dir, name))
		return -ENAMETOOLONG;
	fd = openat(st->fd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
		    mode);
	if (fd < 0) {
		err = -errno;
		if (err == -ELOOP) {
			lc_err("refusing %s: it is a symbolic link", path);
			return -EPERM;
		}
		if (err == -EEXIST && (flags & O_EXCL)) {
			struct stat sb;

			if (fstatat(st->fd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(sb.st_mode)) {
				lc_err("refusing %s: it is a symbolic link", path);
				return -EPERM;
			}
		}
		return err;
	}
	err = lc_trust_fd(fd, "state file", path, false);
	if (err) {
		close(fd);
		return err;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

static int record_read(struct state *st, const char *name, struct record *r)
{
	char *text;
	int fd, err;

	memset(r, 0, sizeof(*r));
	fd = state_openat(st, name, O_RDONLY, 0);
	if (fd < 0)
		return fd;
	text = lc_read_fd(fd, 1 << 20);
	if (!text)
		return -errno;
	err = record_parse(text, r);
	free(text);
	if (err)
		record_free(r);
	return err;
}

/* Written to a temporary file, synced, renamed over the old one. */
int record_write(struct state *st, const char *name, struct record *r)
{
	char tmp[NAME_MAX + 1];
	FILE *f;
	int fd, err = 0;

	if (side_name(tmp, sizeof(tmp), name, "tmp"))
		return -ENAMETOOLONG;
	fd = state_openat(st, tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd == -EEXIST) {
		/* Left by a write that was killed: removed if it is a file of
		 * ours (state_openat() refuses anything else), and made anew. */
		fd = state_openat(st, tmp, O_RDONLY, 0);
		if (fd >= 0) {
			close(fd);
			fd = unlinkat(st->fd, tmp, 0) ? -errno :
			     state_openat(st, tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
		}
	}
	if (fd < 0)
		return fd;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		unlinkat(st->fd, tmp, 0);
		return err;
	}
	fprintf(f, "client=%s\naddress=%s\nsb=%s\nbackend=%s\ntime=%lld\ncomplete=%d\n",
		r->client, r->address, r->sb, r->backend, r->time, r->complete);
	for (int i = 0; i < r->nundo; i++)
		fprintf(f, "undo=%s\n", r->undo[i]);
	if (fflush(f) || fsync(fileno(f)))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && renameat(st->fd, tmp, st->fd, name))
		err = -errno;
	if (err) {
		unlinkat(st->fd, tmp, 0);
		return err;
	}
	return dir_sync(st);
}

/* Removes the file NAME or .NAME.SUFFIX, if it is there. */
int state_remove(struct state *st, const char *name, const char *suffix)
{
	char side[NAME_MAX + 1];

	if (suffix && side_name(side, sizeof(side), name, suffix))
		return -ENAMETOOLONG;
	if (unlinkat(st->fd, suffix ? side : name, 0) && errno != ENOENT)
		return -errno;
	return dir_sync(st);
}

/* A new, empty journal for a fence about to start; its descriptor. */
int journal_open(struct state *st, const char *name)
{
	char jn[NAME_MAX + 1];
	int fd, err;

	if (side_name(jn, sizeof(jn), name, "journal"))
		return -ENAMETOOLONG;
	fd = state_openat(st, jn, O_WRONLY | O_APPEND | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return fd;
	/* Found after a crash, or the steps in it are lost. */
	err = dir_sync(st);
	if (err) {
		close(fd);
		unlinkat(st->fd, jn, 0);
		return err;
	}
	return fd;
}

/*
 * Adds the steps in record @name's journal, if there is one, to r; *found
 * says whether there was. A last line without its newline was torn by a
 * kill: its step had not started (journal_step()).
 */
int journal_fold(struct state *st, const char *name, struct record *r,
		 bool *found)
{
	char jn[NAME_MAX + 1], *text, *end;
	int fd, err;

	*found = false;
	if (side_name(jn, sizeof(jn), name, "journal"))
		return -ENAMETOOLONG;
	fd = state_openat(st, jn, O_RDONLY, 0);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	text = lc_read_fd(fd, 1 << 20);
	if (!text)
		return -errno;
	*found = true;
	end = strrchr(text, '\n');
	if (end)
		end[1] = '\0';
	else
		text[0] = '\0';
	err = undo_lines(text, r);
	free(text);
	return err;
}

/*
 * Reads record @name with the steps of a leftover journal: those of a
 * fence killed before it could merge them (nfsd kills its helper after
 * one lease period). Such a record is incomplete: "fence" again completes
 * it, "unfence" undoes exactly the steps it took. With @fix, for a caller
 * that holds the record's lock, the merged record is written and the
 * journal removed. Returns 0, -ENOENT when there is neither record nor
 * journal, or another -errno.
 */
int record_load(struct state *st, const char *name, struct record *r,
		bool fix)
{
	bool had, journal;
	int err;

	err = record_read(st, name, r);
	if (err && err != -ENOENT)
		return err;
	had = !err;
	err = journal_fold(st, name, r, &journal);
	if (err) {
		record_free(r);
		return err;
	}
	if (!journal)
		return had ? 0 : -ENOENT;
	if (!had) {
		/* Killed before its first record_write(): names only. */
		const char *at = strrchr(name, '@');

		if (!at || fence_fmt(r->client, sizeof(r->client), "%.*s",
				     (int)(at - name), name) ||
		    record_set(r->sb, sizeof(r->sb), at + 1)) {
			record_free(r);
			return -EINVAL;
		}
		r->time = time(NULL);
	}
	r->complete = 0;
	if (!fix)
		return 0;
	err = record_write(st, name, r);
	if (!err)
		err = state_remove(st, name, "journal");
	if (err) {
		lc_err("record %s/%s: cannot merge the journal of an interrupted fence: %s",
		       st->dir, name, strerror(-err));
		record_free(r);
		return err;
	}
	lc_notice("record %s: merged the %d step%s of an interrupted fence; it is incomplete",
		  name, r->nundo, r->nundo == 1 ? "" : "s");
	return 0;
}

static int mkdirs(const char *path)
{
	char buf[PATH_MAX], *s;

	if (fence_fmt(buf, sizeof(buf), "%s", path))
		return -ENAMETOOLONG;
	for (s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Opens state-dir/fenced, creating it with @create; without, a missing
 * directory gives st->fd -1 and 0: no records. Both directories, and those
 * above them, must be safe from anyone but root and us (lc_trust_path());
 * neither may be a symbolic link. Every file in fenced/ is then opened
 * relative to st->fd (state_openat()).
 */
int state_open(struct lc_conf *conf, struct state *st, bool create)
{
	char real[PATH_MAX];
	int err = 0, sfd = -1;

	st->fd = -1;
	/* Every file in it must have a name that fits, for the messages that
	 * name it and for the administrator who looks at it. */
	if (strlen(conf->state_dir) + strlen("/fenced/") + STATE_NAME_MAX >= PATH_MAX ||
	    fence_fmt(st->dir, sizeof(st->dir), "%s/fenced", conf->state_dir)) {
		lc_err("state directory %s: name too long (%zu characters): the names of the files in its fenced/ would be longer than %d; nothing done",
		       conf->state_dir, strlen(conf->state_dir), PATH_MAX - 1);
		return -ENAMETOOLONG;
	}
	if (create)
		err = mkdirs(conf->state_dir);
	if (!err)
		err = lc_trust_path("state directory", conf->state_dir,
				    LC_TRUST_DIR | LC_TRUST_NOLINK, real);
	if (err == -ENOENT && !create)
		return 0;
	if (!err) {
		sfd = open(real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		err = sfd < 0 ? -errno : lc_trust_fd(sfd, "state directory",
						      conf->state_dir, true);
	}
	if (!err && create && mkdirat(sfd, "fenced", 0755) && errno != EEXIST)
		err = -errno;
	if (!err) {
		st->fd = openat(sfd, "fenced", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				O_CLOEXEC);
		if (st->fd < 0) {
			struct stat sb;

			err = -errno;
			if (err == -ENOENT && !create) {
				close(sfd);
				return 0;
			}
			if (fstatat(sfd, "fenced", &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
			    !S_ISDIR(sb.st_mode)) {
				lc_err("refusing state directory %s: %s", st->dir,
				       S_ISLNK(sb.st_mode) ? "it is a symbolic link" :
				       "not a directory");
				err = -EPERM;
			}
		} else {
			err = lc_trust_fd(st->fd, "state directory", st->dir, true);
		}
	}
	if (sfd >= 0)
		close(sfd);
	if (err) {
		if (err != -EPERM)
			lc_err("state directory %s: %s", st->dir, strerror(-err));
		if (st->fd >= 0)
			close(st->fd);
		st->fd = -1;
	}
	return err;
}

/* The exit code for a state_open() that failed: a state directory whose
 * name is too long is a configuration that cannot work. */
int state_open_code(int err)
{
	return err == -ENAMETOOLONG ? LC_ECONF : errno_code(err);
}

void state_close(struct state *st)
{
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The records' names, sorted: those of the records, and those of the
 * journals left by fences killed before they wrote their record.
 */
int record_names(struct state *st, char ***out)
{
	struct dirent *de;
	char **v = NULL;
	int n = 0, i, k, fd;
	DIR *d;

	*out = NULL;
	if (st->fd < 0)
		return 0;
	fd = dup(st->fd);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		const char *e = de->d_name;
		size_t len = strlen(e);
		char **nv;

		if (!strchr(e, '@'))
			continue;
		if (e[0] == '.' && !(len > 9 && !strcmp(e + len - 8, ".journal")))
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[n] = e[0] == '.' ? strndup(e + 1, len - 9) : strdup(e);
		if (v[n])
			n++;
	}
	closedir(d);
	if (n)	/* v is NULL when there is none */
		qsort(v, n, sizeof(*v), cmp_names);
	for (i = k = 0; i < n; i++) {
		if (k && !strcmp(v[k - 1], v[i]))
			free(v[i]);
		else
			v[k++] = v[i];
	}
	*out = v;
	return k;
}

/*
 * Takes the lock of record @name, fenced/.NAME.lock, waiting for it until
 * @deadline at the latest: fences of different clients, or off different
 * devices, run side by side; a fence, unfence or reapply of one record
 * waits for the one in progress, but never past its own time limit. The
 * lock is held by the parent only, never by a backend child. Returns the
 * lock's descriptor, -ETIMEDOUT, or another -errno (said).
 */
int record_lock(struct state *st, const char *name, int64_t deadline)
{
	char lock[NAME_MAX + 1];
	int64_t nap = 5;
	int fd, err;

	if (side_name(lock, sizeof(lock), name, "lock"))
		return -ENAMETOOLONG;
	fd = state_openat(st, lock, O_RDWR | O_CREAT, 0600);
	if (fd < 0) {
		if (fd != -EPERM)
			lc_err("lock %s/%s: %s", st->dir, lock, strerror(-fd));
		return fd;
	}
	/* flock() cannot time out: polled, backing off to 100 ms. */
	for (;;) {
		struct timespec ts;
		int64_t left;

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			err = -errno;
			lc_err("lock %s/%s: %s", st->dir, lock, strerror(-err));
			close(fd);
			return err;
		}
		left = deadline - lc_now_ms();
		if (left <= 0) {
			close(fd);
			return -ETIMEDOUT;
		}
		if (nap > left)
			nap = left;
		ts.tv_sec = nap / 1000;
		ts.tv_nsec = (nap % 1000) * 1000000;
		nanosleep(&ts, NULL);
		if (nap < 100)
			nap *= 2;
	}
}

/*
 * For the listing: record @name with a leftover journal merged in, for
 * good when its lock is free (and ours to take), else only in *r.
 */
int record_peek(struct state *st, const char *name, struct record *r)
{
	int lock = -1, err;

	if (faccessat(st->fd, ".", W_OK, AT_EACCESS) == 0)
		lock = record_lock(st, name, lc_now_ms());
	err = record_load(st, name, r, lock >= 0);
	if (lock >= 0)
		close(lock);
	return err;
}


/*
 * After an unfence that failed: drops from r the steps that its child said
 * were undone ("done=LINE" lines of out), keeping those still to undo.
 */
int record_drop_done(struct record *r, char *out)
{
	char *line, *save = NULL;
	int dropped = 0;

	for (line = out ? strtok_r(out, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "done=", 5))
			continue;
		for (int i = 0; i < r->nundo; i++)
			if (!strcmp(r->undo[i], line + 5)) {
				free(r->undo[i]);
				memmove(&r->undo[i], &r->undo[i + 1],
					(r->nundo - i - 1) * sizeof(char *));
				r->nundo--;
				dropped++;
				break;
			}
	}
	return dropped;
}
