/* SPDX-License-Identifier: GPL-2.0 */
/*
 * layoutctl's fencing, inside: the job a backend is given, the table each
 * backend fills in (fence-nvmet.c, fence-iscsi.c, fence-command.c), the
 * helpers they share (fence-common.c) and the record store (record.c).
 */
#ifndef LAYOUTCTL_FENCE_H
#define LAYOUTCTL_FENCE_H

#include <dirent.h>
#include <limits.h>

#include "lc.h"

#define NVMET	"/sys/kernel/config/nvmet"
#define LIO	"/sys/kernel/config/target/iscsi"

#define LC_CLIENT_NAME_MAX	64	/* conf.c: [client "NAME"] */
#define LC_SBID_MAX		31	/* lc_valid_sbid() */
/* A record's name, CLIENT@SB-ID, and the longest name beside it,
 * .CLIENT@SB-ID.journal: what the state directory must leave room for. */
#define RECORD_NAME_MAX		(LC_CLIENT_NAME_MAX + 1 + LC_SBID_MAX)
#define STATE_NAME_MAX		(1 + RECORD_NAME_MAX + sizeof(".journal") - 1)

struct lc_backend_ops;

struct fence_job {
	struct lc_conf *conf;
	struct lc_client *client;
	struct lc_sb *sb;
	const char *addr;
	const struct lc_backend_ops *ops;
	char **undo;		/* the record's undo lines: what earlier fences did */
	int nundo;
	int64_t deadline;	/* lc_now_ms() time by which it must be done */
	int journal;		/* fence: the record's journal, for journal_step() */
	char command[PATH_MAX];	/* command: the checked, resolved sb->command */
};

/* An undo line split into its words; every word after the verb names a
 * configfs entry or is a value (undo_word_ok()). */
#define UNDO_MAX_WORDS	8
struct undo_line {
	const char *text;	/* the whole line, for messages */
	char buf[2048];
	char *w[UNDO_MAX_WORDS];
	int n;
};

/*
 * A fencing backend. fence runs in the parent (lc_fence_main() and
 * fenced --reapply), with the record written and locked; the others say
 * where they run. The undo lines a backend journals start with one of
 * its verbs, which is how unfence finds the backend that undoes each.
 */
struct lc_backend_ops {
	const char *name;
	enum lc_backend type;
	const char *const *verbs;
	/* In the parent, before the record's lock is taken, for a fence and
	 * for an unfence of the backend's steps: what it needs checked. */
	int (*prepare)(struct fence_job *job);
	/* In the parent: cuts the client off, each step journaled first;
	 * fence_in_child() for a backend that does it with cut and leaks. */
	int (*fence)(struct fence_job *job);
	/* In the backend's child: the steps, then the ways in still left
	 * (a count, each said), which fail the fence. */
	int (*cut)(struct fence_job *job);
	int (*leaks)(struct fence_job *job);
	/* In unfence's child, before any step is undone: whether this one
	 * can be, so that an unfence that cannot finish changes nothing. */
	int (*undo_check)(struct fence_job *job, const struct undo_line *u);
	/* In unfence's child: undoes one step; an LC_* code, said. */
	int (*undo)(struct fence_job *job, const struct undo_line *u);
};

extern const struct lc_backend_ops lc_nvmet_ops;
extern const struct lc_backend_ops lc_iscsi_ops;
extern const struct lc_backend_ops lc_command_ops;

/* fence-common.c */
const struct lc_backend_ops *backend_ops(enum lc_backend b);
const struct lc_backend_ops *backend_of_verb(const char *verb);
int errno_code(int err);
const char *code_text(int code);
int fence_path(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), warn_unused_result));
int fence_fmt(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), warn_unused_result));
int fence_join(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), warn_unused_result));
bool path_exists(const char *path);
/* An undo line's verb and its number of words, as a backend writes it. */
struct undo_shape {
	const char *verb;
	int n;
};
int undo_shape_check(const struct undo_line *u, const struct undo_shape *shapes, size_t n);
void dir_names(const char *dir, char *buf, size_t len);
int configfs_rmdir(const char *path);
int configfs_write(const char *path, const char *val);
int configfs_mkdir(const char *path);
int configfs_symlink(const char *target, const char *path);
int same_device(const char *device_path, const char *sbid);
DIR *leak_check_dir(const char *path);
int probe_entry(const char *path);
int probe_attr(const char *path, char *buf, size_t len);
int probe_dir(const char *path, DIR **d);
int probe_next(DIR *d, const char *path, struct dirent **de);
int probe_isdir(const char *path);
int any_of(int so_far, int r);
int probe_link(const char *path, char *name, size_t len);
int find_link(const char *dir, const char *name, char *found, size_t len);
bool undo_word_ok(const char *w);
int undo_split(const char *line, struct undo_line *u);
int fence_in_child(struct fence_job *job);
void say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* record.c: the state directory's fenced/ and what is in it */
struct record {
	char client[128], address[80], sb[64], backend[16];
	long long time;
	int complete;
	char **undo;
	int nundo;
};

struct state {
	char dir[PATH_MAX];	/* state-dir/fenced, for messages */
	int fd;			/* open on it, or -1 */
};

int journal_step(struct fence_job *job, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void record_free(struct record *r);
int record_name(char *buf, size_t len, const char *client, const char *sb)
	__attribute__((warn_unused_result));
int record_init(struct record *r, const char *client, const char *sb);
int record_set(char *field, size_t len, const char *val);
int record_write(struct state *st, const char *name, struct record *r);
int record_load(struct state *st, const char *name, struct record *r, bool fix);
int record_peek(struct state *st, const char *name, struct record *r);
int record_names(struct state *st, char ***out);
int record_lock(struct state *st, const char *name, int64_t deadline);
int record_drop_done(struct record *r, char *out);
int state_remove(struct state *st, const char *name, const char *suffix);
int journal_open(struct state *st, const char *name);
int journal_fold(struct state *st, const char *name, struct record *r,
		 bool *found);
int state_open(struct lc_conf *conf, struct state *st, bool create);
int state_open_code(int err);
void state_close(struct state *st);

#endif
