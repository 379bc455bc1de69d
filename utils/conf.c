// SPDX-License-Identifier: GPL-2.0
/*
 * layoutctl: /etc/layoutctl.conf, in the manner of nfs.conf.
 *
 *   [global]            state-dir, timeout
 *   [client "NAME"]     address (repeatable), nvme-host, iscsi-initiator,
 *                       nvmet-subsystem = SB-ID NQN (repeatable)
 *   [sb "SB-ID"]        backend = nvmet | iscsi | command, iscsi-target,
 *                       iscsi-tpg, command, timeout
 *
 * Every error names the file and line; unknown sections and keys are
 * errors, so a typo never silently disables a fence.
 *
 * It is run as root: the file is read only when no one but root (or the
 * user we run as) can change it or a directory above it (lc_trust_path()).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fence.h"

const char *lc_backend_name(enum lc_backend b)
{
	switch (b) {
	case LC_BACKEND_NVMET: return "nvmet";
	case LC_BACKEND_ISCSI: return "iscsi";
	case LC_BACKEND_COMMAND: return "command";
	default: return "none";
	}
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int grow(void **arr, int n, size_t size)
{
	void *p = realloc(*arr, (n + 1) * size);

	if (!p)
		return -ENOMEM;
	memset((char *)p + n * size, 0, size);
	*arr = p;
	return 0;
}

enum section { SEC_NONE, SEC_GLOBAL, SEC_CLIENT, SEC_SB };

/* Where the parser is: the file, its line, and the section being read. */
struct cparse {
	const char *path;
	int line;
	struct lc_conf *conf;
	enum section sec;
	struct lc_client *cl;
	struct lc_sb *sb;
};

static int conf_err(const struct cparse *ps, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int conf_err(const struct cparse *ps, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s:%d: ", lc_prog, ps->path, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -EINVAL;
}

#define PERR(ps, ...) conf_err((ps), (ps)->line, __VA_ARGS__)

/*
 * The file, if no one but root (or the user we run as) can change it, as
 * text: a NUL byte is an error at its line, not the silent end of the
 * file. Returns the text, or NULL with *err set (-EPERM already said).
 */
static char *conf_read(struct cparse *ps, int *err)
{
	char real[PATH_MAX], *text = NULL, *nul;
	size_t len = 0;
	int fd;

	*err = lc_trust_path("configuration", ps->path, LC_TRUST_FILE, real);
	if (!*err) {
		fd = open(real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		text = fd < 0 ? NULL : lc_read_fd_len(fd, 1 << 20, &len);
		*err = text ? 0 : -errno;
	}
	if (*err)
		return NULL;
	nul = memchr(text, '\0', len);
	if (nul) {
		const char *c;
		int line = 1;

		for (c = text; c < nul; c++)
			line += *c == '\n';
		*err = conf_err(ps, line, "a NUL byte: not a text file");
		free(text);
		return NULL;
	}
	return text;
}

static int conf_section(struct cparse *ps, char *cur)
{
	struct lc_conf *conf = ps->conf;
	char *end = strchr(cur, ']'), *name = NULL, *q;

	if (!end || end[1])
		return PERR(ps, "bad section header");
	*end = '\0';
	cur = trim(cur + 1);
	q = strchr(cur, '"');
	if (q) {
		char *q2 = strrchr(q + 1, '"');

		if (!q2 || q2[1])
			return PERR(ps, "bad section name quoting");
		*q2 = '\0';
		name = q + 1;
		*q = '\0';
		cur = trim(cur);
	}
	if (!strcmp(cur, "global") && !name) {
		ps->sec = SEC_GLOBAL;
	} else if (!strcmp(cur, "client") && name) {
		if (!lc_valid_name(name, 64))
			return PERR(ps, "bad client name \"%s\" (letters, digits, . _ -)", name);
		if (lc_conf_client_by_name(conf, name))
			return PERR(ps, "client \"%s\" defined twice", name);
		if (grow((void **)&conf->clients, conf->nclients, sizeof(*ps->cl)))
			return PERR(ps, "out of memory");
		ps->cl = &conf->clients[conf->nclients++];
		ps->cl->line = ps->line;
		ps->cl->name = strdup(name);
		ps->sec = SEC_CLIENT;
	} else if (!strcmp(cur, "sb") && name) {
		if (!lc_valid_sbid(name))
			return PERR(ps, "bad SB-ID \"%s\" (a block device name such as pmem0)", name);
		if (lc_conf_sb(conf, name))
			return PERR(ps, "sb \"%s\" defined twice", name);
		if (grow((void **)&conf->sbs, conf->nsbs, sizeof(*ps->sb)))
			return PERR(ps, "out of memory");
		ps->sb = &conf->sbs[conf->nsbs++];
		ps->sb->line = ps->line;
		ps->sb->id = strdup(name);
		ps->sb->timeout = 0;
		ps->sec = SEC_SB;
	} else {
		return PERR(ps, "unknown section [%s%s%s%s]", cur, name ? " \"" : "",
			    name ? name : "", name ? "\"" : "");
	}
	return 0;
}

static int conf_global(struct cparse *ps, const char *key, const char *val)
{
	struct lc_conf *conf = ps->conf;

	if (!strcmp(key, "state-dir")) {
		if (val[0] != '/' || strstr(val, ".."))
			return PERR(ps, "state-dir must be an absolute path");
		free(conf->state_dir);
		conf->state_dir = strdup(val);
	} else if (!strcmp(key, "timeout")) {
		if (lc_parse_u32(val, 1, LC_CONF_MAX_TIMEOUT, &conf->timeout))
			return PERR(ps, "timeout must be 1..%d seconds", LC_CONF_MAX_TIMEOUT);
	} else {
		return PERR(ps, "unknown key %s in [global]", key);
	}
	return 0;
}

static int conf_address(struct cparse *ps, const char *val)
{
	struct lc_conf *conf = ps->conf;
	struct lc_client *cl = ps->cl;
	struct lc_addr a;
	int i, j;

	if (lc_parse_addr(val, &a))
		return PERR(ps, "bad address \"%s\" (IPv4 or IPv6, no port or name)", val);
	for (i = 0; i < conf->nclients; i++)
		for (j = 0; j < conf->clients[i].naddrs; j++)
			if (lc_addr_equal(&conf->clients[i].addrs[j], &a))
				return PERR(ps, "address %s already belongs to client \"%s\"",
					    a.text, conf->clients[i].name);
	if (grow((void **)&cl->addrs, cl->naddrs, sizeof(a)))
		return PERR(ps, "out of memory");
	cl->addrs[cl->naddrs++] = a;
	return 0;
}

static int conf_subsystem(struct cparse *ps, char *val)
{
	struct lc_client *cl = ps->cl;
	char *sp = val + strcspn(val, " \t"), *nqn;
	int i;

	if (!*sp)
		return PERR(ps, "nvmet-subsystem = SB-ID NQN");
	*sp = '\0';
	nqn = trim(sp + 1);
	if (!lc_valid_sbid(val))
		return PERR(ps, "bad SB-ID \"%s\"", val);
	if (!lc_valid_nqn(nqn))
		return PERR(ps, "bad subsystem NQN \"%s\"", nqn);
	for (i = 0; i < cl->nsubsys; i++)
		if (!strcmp(cl->subsys[i].sbid, val))
			return PERR(ps, "client \"%s\" has two subsystems for %s", cl->name, val);
	if (grow((void **)&cl->subsys, cl->nsubsys, sizeof(*cl->subsys)))
		return PERR(ps, "out of memory");
	cl->subsys[cl->nsubsys].line = ps->line;
	cl->subsys[cl->nsubsys].sbid = strdup(val);
	cl->subsys[cl->nsubsys++].nqn = strdup(nqn);
	return 0;
}

static int conf_client(struct cparse *ps, const char *key, char *val)
{
	struct lc_client *cl = ps->cl;

	if (!strcmp(key, "address"))
		return conf_address(ps, val);
	if (!strcmp(key, "nvmet-subsystem"))
		return conf_subsystem(ps, val);
	if (!strcmp(key, "nvme-host")) {
		if (!lc_valid_nqn(val))
			return PERR(ps, "bad NVMe host NQN \"%s\"", val);
		free(cl->nvme_host);
		cl->nvme_host = strdup(val);
	} else if (!strcmp(key, "iscsi-initiator")) {
		if (!lc_valid_iqn(val))
			return PERR(ps, "bad iSCSI initiator name \"%s\"", val);
		free(cl->iscsi_initiator);
		cl->iscsi_initiator = strdup(val);
	} else {
		return PERR(ps, "unknown key %s in [client \"%s\"]", key, cl->name);
	}
	return 0;
}

static int conf_sb(struct cparse *ps, const char *key, const char *val)
{
	struct lc_sb *sb = ps->sb;

	if (!strcmp(key, "backend")) {
		if (!strcmp(val, "nvmet"))
			sb->backend = LC_BACKEND_NVMET;
		else if (!strcmp(val, "iscsi"))
			sb->backend = LC_BACKEND_ISCSI;
		else if (!strcmp(val, "command"))
			sb->backend = LC_BACKEND_COMMAND;
		else
			return PERR(ps, "backend must be nvmet, iscsi or command");
	} else if (!strcmp(key, "iscsi-target")) {
		if (!lc_valid_iqn(val))
			return PERR(ps, "bad iSCSI target name \"%s\"", val);
		free(sb->iscsi_target);
		sb->iscsi_target = strdup(val);
	} else if (!strcmp(key, "iscsi-tpg")) {
		if (lc_parse_u32(val, 1, 65535, &sb->iscsi_tpg))
			return PERR(ps, "iscsi-tpg must be 1..65535");
	} else if (!strcmp(key, "command")) {
		if (val[0] != '/' || strstr(val, "..") || strpbrk(val, " \t;|&$`<>'\"\\*?"))
			return PERR(ps, "command must be an absolute path, without arguments or shell syntax");
		free(sb->command);
		sb->command = strdup(val);
	} else if (!strcmp(key, "timeout")) {
		if (lc_parse_u32(val, 1, LC_CONF_MAX_TIMEOUT, &sb->timeout))
			return PERR(ps, "timeout must be 1..%d seconds", LC_CONF_MAX_TIMEOUT);
	} else {
		return PERR(ps, "unknown key %s in [sb \"%s\"]", key, sb->id);
	}
	return 0;
}

static int conf_line(struct cparse *ps, char *cur)
{
	char *key, *val, *eq;
	size_t n;

	cur = trim(cur);
	if (!*cur || *cur == '#' || *cur == ';')
		return 0;
	if (*cur == '[')
		return conf_section(ps, cur);
	eq = strchr(cur, '=');
	if (!eq)
		return PERR(ps, "expected KEY = VALUE");
	*eq = '\0';
	key = trim(cur);
	val = trim(eq + 1);
	n = strlen(val);
	if (val[0] == '"' && n >= 2 && val[n - 1] == '"') {
		val[n - 1] = '\0';
		val++;
	}
	if (!*val)
		return PERR(ps, "%s has no value", key);
	switch (ps->sec) {
	case SEC_NONE: return PERR(ps, "%s outside of any section", key);
	case SEC_GLOBAL: return conf_global(ps, key, val);
	case SEC_CLIENT: return conf_client(ps, key, val);
	case SEC_SB: return conf_sb(ps, key, val);
	}
	return 0;
}

/*
 * What holds only for the whole file, each error at the line that
 * defines what is wrong: every sb has a complete backend, every client
 * an address, and a client's nvmet subsystems name nvmet sbs defined
 * here and come with the client's host NQN.
 */
static int conf_check(struct cparse *ps)
{
	struct lc_conf *conf = ps->conf;
	struct lc_sb *sb;
	int i, j;

	for (i = 0; i < conf->nsbs; i++) {
		sb = &conf->sbs[i];
		switch (sb->backend) {
		case LC_BACKEND_NONE:
			return conf_err(ps, sb->line, "sb \"%s\" has no backend", sb->id);
		case LC_BACKEND_NVMET:
			break;
		case LC_BACKEND_ISCSI:
			if (!sb->iscsi_target || !sb->iscsi_tpg)
				return conf_err(ps, sb->line,
						"sb \"%s\": backend iscsi needs iscsi-target and iscsi-tpg",
						sb->id);
			break;
		case LC_BACKEND_COMMAND:
			if (!sb->command)
				return conf_err(ps, sb->line,
						"sb \"%s\": backend command needs command", sb->id);
			break;
		}
		if (!sb->timeout)
			sb->timeout = conf->timeout;
	}
	for (i = 0; i < conf->nclients; i++) {
		struct lc_client *c = &conf->clients[i];

		if (!c->naddrs)
			return conf_err(ps, c->line, "client \"%s\" has no address", c->name);
		if (c->nsubsys && !c->nvme_host)
			return conf_err(ps, c->line,
					"client \"%s\" has nvmet-subsystem but no nvme-host", c->name);
		for (j = 0; j < c->nsubsys; j++) {
			sb = lc_conf_sb(conf, c->subsys[j].sbid);
			if (!sb)
				return conf_err(ps, c->subsys[j].line,
						"nvmet-subsystem of client \"%s\": no [sb \"%s\"] in this file",
						c->name, c->subsys[j].sbid);
			if (sb->backend != LC_BACKEND_NVMET)
				return conf_err(ps, c->subsys[j].line,
						"nvmet-subsystem of client \"%s\": sb \"%s\" has backend %s, not nvmet",
						c->name, sb->id, lc_backend_name(sb->backend));
		}
	}
	return 0;
}

int lc_conf_load(const char *path, struct lc_conf *conf, bool must_exist)
{
	struct cparse ps = { .path = path, .conf = conf };
	char *text, *cur, *next;
	int err;

	memset(conf, 0, sizeof(*conf));
	conf->path = strdup(path);
	conf->timeout = LC_TIMEOUT_DEFAULT;
	text = conf_read(&ps, &err);
	if (!text) {
		if (err == -ENOENT && !must_exist)
			goto defaults;
		if (err != -EPERM && err != -EINVAL)
			fprintf(stderr, "%s: %s: %s\n", lc_prog, path, strerror(-err));
		lc_conf_free(conf);
		return err;
	}
	for (cur = text; cur && !err; cur = next) {
		next = strchr(cur, '\n');
		if (next)
			*next++ = '\0';
		ps.line++;
		err = conf_line(&ps, cur);
	}
	free(text);
	if (!err)
		err = conf_check(&ps);
	if (err) {
		lc_conf_free(conf);
		return err;
	}
defaults:
	if (!conf->state_dir) {
		char p[4096];

		if (lc_path(p, sizeof(p), "%s", LC_STATE_DEFAULT)) {
			lc_conf_free(conf);
			return -ENAMETOOLONG;
		}
		conf->state_dir = strdup(p);
	}
	if (!conf->path || !conf->state_dir) {
		lc_conf_free(conf);
		return -ENOMEM;
	}
	return 0;
}

/* The exit code for a configuration lc_conf_load() failed on. */
int lc_conf_exit(int err)
{
	return err == -EPERM ? LC_EPERM : LC_ECONF;
}

void lc_conf_free(struct lc_conf *conf)
{
	int i, j;

	for (i = 0; i < conf->nclients; i++) {
		struct lc_client *c = &conf->clients[i];

		free(c->name);
		free(c->addrs);
		free(c->nvme_host);
		free(c->iscsi_initiator);
		for (j = 0; j < c->nsubsys; j++) {
			free(c->subsys[j].sbid);
			free(c->subsys[j].nqn);
		}
		free(c->subsys);
	}
	for (i = 0; i < conf->nsbs; i++) {
		free(conf->sbs[i].id);
		free(conf->sbs[i].iscsi_target);
		free(conf->sbs[i].command);
	}
	free(conf->clients);
	free(conf->sbs);
	free(conf->state_dir);
	free(conf->path);
	memset(conf, 0, sizeof(*conf));
}

struct lc_client *lc_conf_client_by_addr(struct lc_conf *conf,
					 const struct lc_addr *addr)
{
	int i, j;

	for (i = 0; i < conf->nclients; i++)
		for (j = 0; j < conf->clients[i].naddrs; j++)
			if (lc_addr_equal(&conf->clients[i].addrs[j], addr))
				return &conf->clients[i];
	return NULL;
}

struct lc_client *lc_conf_client_by_name(struct lc_conf *conf,
					 const char *name)
{
	int i;

	for (i = 0; i < conf->nclients; i++)
		if (!strcmp(conf->clients[i].name, name))
			return &conf->clients[i];
	return NULL;
}

struct lc_sb *lc_conf_sb(struct lc_conf *conf, const char *id)
{
	int i;

	for (i = 0; i < conf->nsbs; i++)
		if (!strcmp(conf->sbs[i].id, id))
			return &conf->sbs[i];
	return NULL;
}

const char *lc_conf_default(void)
{
	static char p[4096];
	const char *env = getenv("LAYOUTCTL_CONF");

	if (env)
		return env;
	lc_path(p, sizeof(p), "%s", LC_CONF_DEFAULT);
	return p;
}

/* One problem check-config found: said, and kept for --json. */
static void problem(const struct lc_conf *conf, struct json_object *list, int line,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void problem(const struct lc_conf *conf, struct json_object *list, int line,
		    const char *fmt, ...)
{
	struct json_object *o;
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		lc_err("out of memory");
		return;
	}
	if (line)
		lc_err("%s:%d: %s", conf->path, line, msg);
	else
		lc_err("%s: %s", conf->path, msg);
	o = json_object_new_object();
	if (o) {
		json_object_object_add(o, "line", line ? json_object_new_int(line) : NULL);
		json_object_object_add(o, "problem", json_object_new_string(msg));
		json_object_array_add(list, o);
	}
	free(msg);
}

/*
 * What a fence would find wrong that the file alone does not show: a
 * command that is missing, not executable or not safe to run, a state
 * directory others could change, a client that could not be cut off an
 * sb for want of its name there. Each goes to @list, said.
 */
static void check_fenceable(const struct lc_conf *conf, struct json_object *list)
{
	struct state st = { .fd = -1 };
	char real[PATH_MAX];
	int i, j, err;

	for (i = 0; i < conf->nsbs; i++) {
		const struct lc_sb *sb = &conf->sbs[i];

		if (sb->backend != LC_BACKEND_COMMAND)
			continue;
		err = lc_trust_path("command", sb->command, LC_TRUST_EXEC, real);
		if (err)
			problem(conf, list, sb->line, "sb \"%s\": command %s: %s", sb->id,
				sb->command, err == -EPERM ? "not safe to run (said above)" :
				strerror(-err));
	}
	/* as a fence opens it (record.c), creating nothing */
	err = state_open((struct lc_conf *)conf, &st, false);
	if (err)
		problem(conf, list, 0, "state-dir %s: %s", conf->state_dir,
			err == -EPERM ? "not safe to use (said above)" : strerror(-err));
	state_close(&st);
	for (i = 0; i < conf->nclients; i++) {
		const struct lc_client *c = &conf->clients[i];

		for (j = 0; j < conf->nsbs; j++) {
			const struct lc_sb *sb = &conf->sbs[j];
			const char *why = NULL;
			int k;

			if (sb->backend == LC_BACKEND_NVMET) {
				for (k = 0; k < c->nsubsys; k++)
					if (!strcmp(c->subsys[k].sbid, sb->id))
						break;
				if (k == c->nsubsys)
					why = "no nvmet-subsystem for it";
				else if (!c->nvme_host)
					why = "no nvme-host";
			} else if (sb->backend == LC_BACKEND_ISCSI && !c->iscsi_initiator) {
				why = "no iscsi-initiator";
			}
			if (why)
				problem(conf, list, c->line,
					"client \"%s\" cannot be fenced off sb \"%s\": %s", c->name,
					sb->id, why);
		}
	}
}

static void print_conf(const struct lc_conf *conf)
{
	int i, j;

	printf("%s: %d client%s, %d sb%s, state in %s, timeout %u s\n", conf->path,
	       conf->nclients, conf->nclients == 1 ? "" : "s", conf->nsbs,
	       conf->nsbs == 1 ? "" : "s", conf->state_dir, conf->timeout);
	for (i = 0; i < conf->nclients; i++) {
		const struct lc_client *c = &conf->clients[i];

		printf("client %s:", c->name);
		for (j = 0; j < c->naddrs; j++)
			printf(" %s", c->addrs[j].text);
		if (c->nvme_host)
			printf(" nvme-host=%s", c->nvme_host);
		if (c->iscsi_initiator)
			printf(" iscsi-initiator=%s", c->iscsi_initiator);
		for (j = 0; j < c->nsubsys; j++)
			printf(" %s=%s", c->subsys[j].sbid, c->subsys[j].nqn);
		putchar('\n');
	}
	for (i = 0; i < conf->nsbs; i++) {
		const struct lc_sb *s = &conf->sbs[i];

		printf("sb %s: backend %s, timeout %u s", s->id, lc_backend_name(s->backend),
		       s->timeout);
		if (s->backend == LC_BACKEND_ISCSI)
			printf(", %s tpgt_%u", s->iscsi_target, s->iscsi_tpg);
		if (s->backend == LC_BACKEND_COMMAND)
			printf(", %s", s->command);
		putchar('\n');
	}
}

static struct json_object *jstr_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* check-config --json: what the file maps, and the problems found. */
static void print_conf_json(const struct lc_conf *conf, struct json_object *problems)
{
	struct json_object *top = json_object_new_object(), *cl = json_object_new_array();
	struct json_object *sbs = json_object_new_array();
	int i, j;

	json_object_object_add(top, "version", json_object_new_int(1));
	json_object_object_add(top, "path", json_object_new_string(conf->path));
	json_object_object_add(top, "state_dir", json_object_new_string(conf->state_dir));
	json_object_object_add(top, "timeout", json_object_new_int(conf->timeout));
	for (i = 0; i < conf->nclients; i++) {
		const struct lc_client *c = &conf->clients[i];
		struct json_object *o = json_object_new_object(), *a = json_object_new_array();
		struct json_object *sub = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(c->name));
		for (j = 0; j < c->naddrs; j++)
			json_object_array_add(a, json_object_new_string(c->addrs[j].text));
		json_object_object_add(o, "addresses", a);
		json_object_object_add(o, "nvme_host", jstr_or_null(c->nvme_host));
		json_object_object_add(o, "iscsi_initiator", jstr_or_null(c->iscsi_initiator));
		for (j = 0; j < c->nsubsys; j++)
			json_object_object_add(sub, c->subsys[j].sbid,
					       json_object_new_string(c->subsys[j].nqn));
		json_object_object_add(o, "nvmet_subsystems", sub);
		json_object_array_add(cl, o);
	}
	for (i = 0; i < conf->nsbs; i++) {
		const struct lc_sb *s = &conf->sbs[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_string(s->id));
		json_object_object_add(o, "backend",
				       json_object_new_string(lc_backend_name(s->backend)));
		json_object_object_add(o, "timeout", json_object_new_int(s->timeout));
		if (s->backend == LC_BACKEND_ISCSI) {
			json_object_object_add(o, "iscsi_target", jstr_or_null(s->iscsi_target));
			json_object_object_add(o, "iscsi_tpg", json_object_new_int(s->iscsi_tpg));
		}
		if (s->backend == LC_BACKEND_COMMAND)
			json_object_object_add(o, "command", jstr_or_null(s->command));
		json_object_array_add(sbs, o);
	}
	json_object_object_add(top, "clients", cl);
	json_object_object_add(top, "sbs", sbs);
	json_object_object_add(top, "problems", json_object_get(problems));
	puts(json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(top);
}

static const char check_usage[] =
"usage: layoutctl check-config [--config FILE] [--json]\n"
"Parse the fencing configuration, check what a fence would need (commands,\n"
"the state directory, every client's name on every sb) and print what it\n"
"maps (--json: as one object, with the problems). Exit 0 if all is usable,\n"
"3 if not (each problem said), 5 if the file itself is not safe to read.\n";

int cmd_check_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = lc_conf_default();
	struct json_object *problems;
	struct lc_conf conf;
	bool json = false;
	int c, err;

	while ((c = lc_getopt(argc, argv, "c:jh", opts)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(check_usage, stdout); return LC_OK;
		default: return LC_EUSAGE;
		}
	}
	if (optind != argc)
		return lc_usage_error("unexpected argument \"%s\"", argv[optind]);
	err = lc_conf_load(path, &conf, true);
	if (err)
		return lc_conf_exit(err);
	problems = json_object_new_array();
	if (!problems) {
		lc_conf_free(&conf);
		lc_err("out of memory");
		return LC_EFAIL;
	}
	check_fenceable(&conf, problems);
	err = (int)json_object_array_length(problems);
	if (json)
		print_conf_json(&conf, problems);
	else
		print_conf(&conf);
	lc_conf_free(&conf);
	json_object_put(problems);
	if (err)
		lc_err("%s: %d problem%s that would make a fence fail", path, err,
		       err == 1 ? "" : "s");
	return err ? LC_ECONF : LC_OK;
}
