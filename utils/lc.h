/* SPDX-License-Identifier: GPL-2.0 */
/*
 * layoutctl: list, recall and fence external references to a file's block
 * layout (pNFS layouts, layout leases, DAX DMA references, long-term pins).
 */
#ifndef LAYOUTCTL_H
#define LAYOUTCTL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Exit codes, documented in layoutctl(8). */
enum {
	LC_OK		= 0,	/* done */
	LC_EFAIL	= 1,	/* the operation failed */
	LC_EUSAGE	= 2,	/* bad command line or argument */
	LC_ECONF	= 3,	/* bad or missing configuration */
	LC_ETIMEDOUT	= 4,	/* a backend or a wait ran out of time */
	LC_EPERM	= 5,	/* not permitted */
	LC_ENOENT	= 6,	/* unknown client, file or target object */
};

#define LC_CONF_DEFAULT		"/etc/layoutctl.conf"
#define LC_STATE_DEFAULT	"/var/lib/layoutctl"
#define LC_TIMEOUT_DEFAULT	20
#define LC_MAX_TIMEOUT		3600	/* recall --timeout, lease --grace */
/* A fence's timeout in the configuration: a fence that needs more is
 * broken, and as nfsd's helper it gets one lease period at most anyway. */
#define LC_CONF_MAX_TIMEOUT	300
/* As nfsd's helper: its lease period when nfsv4leasetime cannot be read
 * (nfsd's default), and what the helper leaves of it for killing its
 * backend and saving the record. */
#define LC_LEASE_DEFAULT	90
#define LC_HELPER_MARGIN	3

/* util.c */
extern const char *lc_prog;
extern bool lc_log_console;
void lc_log_open(bool to_syslog);
void lc_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lc_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lc_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *lc_root(void);
struct option;
int lc_getopt(int argc, char **argv, const char *opts, const struct option *longopts);
int lc_try_help(void);
int lc_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int lc_path(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int lc_vpath(char *buf, size_t len, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int lc_parse_range(const char *s, uint64_t *off, uint64_t *len);
int lc_parse_u32(const char *s, unsigned int min, unsigned int max,
		 unsigned int *out);
bool lc_valid_sbid(const char *s);
bool lc_valid_name(const char *s, size_t max);
bool lc_valid_nqn(const char *s);
bool lc_valid_iqn(const char *s);

struct lc_addr {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char a[16];	/* IPv4 addresses are stored v4-mapped */
	char text[64];		/* canonical text */
};
int lc_parse_addr(const char *s, struct lc_addr *addr);
bool lc_addr_equal(const struct lc_addr *a, const struct lc_addr *b);

char *lc_read_file(const char *path, size_t max);
char *lc_read_fd(int fd, size_t max);
char *lc_read_fd_len(int fd, size_t max, size_t *len);
/* lc_trust_path() flags: what path must be, besides safe from others. */
#define LC_TRUST_FILE	0	/* a regular file */
#define LC_TRUST_DIR	1	/* a directory */
#define LC_TRUST_EXEC	2	/* an executable regular file */
#define LC_TRUST_NOLINK	4	/* not itself a symbolic link */
int lc_trust_path(const char *what, const char *path, unsigned int flags,
		  char *real);
int lc_trust_fd(int fd, const char *what, const char *path, bool dir);
int lc_write_file(const char *path, const char *val);
void lc_chomp(char *s);
int lc_read_attr(const char *path, char *buf, size_t len);
int64_t lc_now_ms(void);

/* Runs fn(arg, fd) in a child until deadline (lc_now_ms() time); fd is a
 * pipe whose contents res->out receives. The child keeps no descriptor but
 * 0-2, fd and keep[0..nkeep-1], dies with its parent, leads its own
 * process group, killed at the deadline, and starts fn only once the
 * parent can wait for it with that deadline (util.c). */
#define LC_RUN_MAX_KEEP	4
#define LC_RUN_MAX_OUT	(2 << 20)	/* lc_run_limited()'s *out */
struct lc_run_result {
	int status;		/* its exit status, when it exited */
	int signal;		/* the signal that killed it, or 0 */
	bool timed_out;		/* still running at the deadline: killed */
	int child_error;	/* lc_exec_limited(): an LC_* code when the child
				 * failed before the command ran, or 0 */
	int exec_errno;		/* ... execve()'s errno, when that failed */
	char *out;		/* what it wrote, NUL-terminated, or NULL */
	size_t len;
	size_t dropped;		/* bytes past the bound, read and not kept */
};
int lc_run(int (*fn)(void *arg, int fd), void *arg, int64_t deadline,
	   const int *keep, int nkeep, size_t max_out, struct lc_run_result *res);
void lc_run_free(struct lc_run_result *res);
/* lc_run() giving an LC_* code: fn's, or LC_ETIMEDOUT, or LC_EFAIL. */
int lc_run_limited(int (*fn)(void *arg, int fd), void *arg,
		   int64_t deadline, const int *keep, int nkeep, char **out);
struct lc_exec {
	const char *path;	/* absolute; no shell */
	char *const *argv;
	char *const *envp;
	int (*pre)(void *arg);	/* in the child first: 0 or an LC_* code */
	void *arg;
	const int *keep;	/* open for pre (O_CLOEXEC: not the command's) */
	int nkeep;		/* fewer than LC_RUN_MAX_KEEP */
};
int lc_exec_limited(const struct lc_exec *ex, int64_t deadline, size_t max_out,
		    struct lc_run_result *res);
int64_t lc_deadline(unsigned int seconds);

/* conf.c */
enum lc_backend { LC_BACKEND_NONE, LC_BACKEND_NVMET, LC_BACKEND_ISCSI,
		  LC_BACKEND_COMMAND };

struct lc_subsys {		/* nvmet-subsystem = SB-ID NQN */
	char *sbid;
	char *nqn;
	int line;		/* where it is set */
};

struct lc_client {
	char *name;
	int line;		/* of its [client] header */
	struct lc_addr *addrs;
	int naddrs;
	char *nvme_host;	/* host NQN */
	char *iscsi_initiator;	/* initiator IQN */
	struct lc_subsys *subsys;
	int nsubsys;
};

struct lc_sb {
	char *id;
	int line;		/* of its [sb] header */
	enum lc_backend backend;
	char *iscsi_target;
	unsigned int iscsi_tpg;
	char *command;
	unsigned int timeout;
};

struct lc_conf {
	char *path;
	char *state_dir;
	unsigned int timeout;
	struct lc_client *clients;
	int nclients;
	struct lc_sb *sbs;
	int nsbs;
};

const char *lc_conf_default(void);
int lc_conf_load(const char *path, struct lc_conf *conf, bool must_exist);
int lc_conf_exit(int err);
void lc_conf_free(struct lc_conf *conf);
struct lc_client *lc_conf_client_by_addr(struct lc_conf *conf,
					 const struct lc_addr *addr);
struct lc_client *lc_conf_client_by_name(struct lc_conf *conf,
					 const char *name);
struct lc_sb *lc_conf_sb(struct lc_conf *conf, const char *id);
const char *lc_backend_name(enum lc_backend b);

/* list.c */
struct filter {
	bool any;
	bool by_ino;		/* a file; otherwise a whole filesystem */
	unsigned int maj, min;
	unsigned long ino;
	bool quiet;		/* no warnings of unparsed states lines */
};
struct json_object;
/* 0, or LC_EFAIL when a client's states file could not be read (said). */
/* The value of "key: " in nfsd's info text, unquoted (cut to len). */
bool lc_info_value(const char *text, const char *key, char *out, size_t len);
bool lc_all_digits(const char *s);
int lc_collect_nfsd(const struct filter *flt, struct json_object *refs, bool *seen);
int lc_print_json(struct json_object *top, bool pretty);
struct json_object *lc_watch_event_json(const char *line);

/* Subcommands. */
/* Tables (table.c, libsmartcols). */
#define LC_TABLE_MAX_COLS 16
struct lc_col {
	const char *name;	/* header, and its name for --output */
	const char *help;
	double whint;		/* width hint, as libsmartcols takes it */
	int flags;		/* SCOLS_FL_* */
	bool dflt;		/* shown without --output */
};
struct lc_table_opts {
	const char *output;	/* --output COL,COL...; NULL: the default ones */
	bool raw, noheadings;
};
struct lc_table;
struct lc_table *lc_table_new(const struct lc_col *cols, size_t ncols,
			      const struct lc_table_opts *o);
int lc_table_row(struct lc_table *t, const char *const *vals);
int lc_table_print(struct lc_table *t);
bool lc_table_empty(const struct lc_table *t);
void lc_table_free(struct lc_table *t);

int cmd_list(int argc, char **argv);
int cmd_recall(int argc, char **argv);
int cmd_lease(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_fence(int argc, char **argv);
int cmd_unfence(int argc, char **argv);
int cmd_fenced(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_expire(int argc, char **argv);
int lc_fence_main(const char *conf_path, const char *addr, const char *sbid,
		  bool as_helper);

#endif
