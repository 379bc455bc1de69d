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
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lc.h"

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

#define CONF_ERR(fmt, ...) do { \
	fprintf(stderr, "%s: %s:%d: " fmt "\n", lc_prog, path, line, \
		##__VA_ARGS__); \
	err = -EINVAL; \
	goto out; \
} while (0)

enum section { SEC_NONE, SEC_GLOBAL, SEC_CLIENT, SEC_SB };

int lc_conf_load(const char *path, struct lc_conf *conf, bool must_exist)
{
	enum section sec = SEC_NONE;
	struct lc_client *cl = NULL;
	struct lc_sb *sb = NULL;
	char *text = NULL, *cur, *next, real[PATH_MAX];
	int line = 0, err = 0, i, j, fd;

	memset(conf, 0, sizeof(*conf));
	conf->path = strdup(path);
	conf->state_dir = NULL;
	conf->timeout = LC_TIMEOUT_DEFAULT;
	/* Safe from others, or not read at all (-EPERM, said). */
	err = lc_trust_path("configuration", path, LC_TRUST_FILE, real);
	if (!err) {
		fd = open(real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		text = fd < 0 ? NULL : lc_read_fd(fd, 1 << 20);
		err = text ? 0 : -errno;
	}
	if (err) {
		if (err == -ENOENT && !must_exist) {
			err = 0;
			goto defaults;
		}
		if (err != -EPERM)
			fprintf(stderr, "%s: %s: %s\n", lc_prog, path, strerror(-err));
		lc_conf_free(conf);
		return err;
	}
	for (cur = text; cur; cur = next) {
		char *key, *val, *eq;

		next = strchr(cur, '\n');
		if (next)
			*next++ = '\0';
		line++;
		cur = trim(cur);
		if (!*cur || *cur == '#' || *cur == ';')
			continue;
		if (*cur == '[') {
			char *end = strchr(cur, ']'), *name = NULL, *q;

			if (!end || end[1])
				CONF_ERR("bad section header");
			*end = '\0';
			cur = trim(cur + 1);
			q = strchr(cur, '"');
			if (q) {
				char *q2 = strrchr(q + 1, '"');

				if (!q2 || q2[1])
					CONF_ERR("bad section name quoting");
				*q2 = '\0';
				name = q + 1;
				*q = '\0';
				cur = trim(cur);
			}
			if (!strcmp(cur, "global") && !name) {
				sec = SEC_GLOBAL;
			} else if (!strcmp(cur, "client") && name) {
				if (!lc_valid_name(name, 64))
					CONF_ERR("bad client name \"%s\" (letters, digits, . _ -)", name);
				if (lc_conf_client_by_name(conf, name))
					CONF_ERR("client \"%s\" defined twice", name);
				if (grow((void **)&conf->clients, conf->nclients, sizeof(*cl)))
					CONF_ERR("out of memory");
				cl = &conf->clients[conf->nclients++];
				cl->name = strdup(name);
				sec = SEC_CLIENT;
			} else if (!strcmp(cur, "sb") && name) {
				if (!lc_valid_sbid(name))
					CONF_ERR("bad SB-ID \"%s\" (a block device name such as pmem0)", name);
				if (lc_conf_sb(conf, name))
					CONF_ERR("sb \"%s\" defined twice", name);
				if (grow((void **)&conf->sbs, conf->nsbs, sizeof(*sb)))
					CONF_ERR("out of memory");
				sb = &conf->sbs[conf->nsbs++];
				sb->id = strdup(name);
				sb->timeout = 0;
				sec = SEC_SB;
			} else {
				CONF_ERR("unknown section [%s%s%s%s]", cur,
					 name ? " \"" : "", name ? name : "",
					 name ? "\"" : "");
			}
			continue;
		}
		eq = strchr(cur, '=');
		if (!eq)
			CONF_ERR("expected KEY = VALUE");
		*eq = '\0';
		key = trim(cur);
		val = trim(eq + 1);
		if (val[0] == '"' && strlen(val) >= 2 && val[strlen(val) - 1] == '"') {
			val[strlen(val) - 1] = '\0';
			val++;
		}
		if (!*val)
			CONF_ERR("%s has no value", key);
		switch (sec) {
		case SEC_NONE:
			CONF_ERR("%s outside of any section", key);
		case SEC_GLOBAL:
			if (!strcmp(key, "state-dir")) {
				if (val[0] != '/' || strstr(val, ".."))
					CONF_ERR("state-dir must be an absolute path");
				free(conf->state_dir);
				conf->state_dir = strdup(val);
			} else if (!strcmp(key, "timeout")) {
				if (lc_parse_u32(val, 1, LC_CONF_MAX_TIMEOUT, &conf->timeout))
					CONF_ERR("timeout must be 1..%d seconds", LC_CONF_MAX_TIMEOUT);
			} else {
				CONF_ERR("unknown key %s in [global]", key);
			}
			break;
		case SEC_CLIENT:
			if (!strcmp(key, "address")) {
				struct lc_addr a;

				if (lc_parse_addr(val, &a))
					CONF_ERR("bad address \"%s\" (IPv4 or IPv6, no port or name)", val);
				for (i = 0; i < conf->nclients; i++)
					for (j = 0; j < conf->clients[i].naddrs; j++)
						if (lc_addr_equal(&conf->clients[i].addrs[j], &a))
							CONF_ERR("address %s already belongs to client \"%s\"",
								 a.text, conf->clients[i].name);
				if (grow((void **)&cl->addrs, cl->naddrs, sizeof(a)))
					CONF_ERR("out of memory");
				cl->addrs[cl->naddrs++] = a;
			} else if (!strcmp(key, "nvme-host")) {
				if (!lc_valid_nqn(val))
					CONF_ERR("bad NVMe host NQN \"%s\"", val);
				free(cl->nvme_host);
				cl->nvme_host = strdup(val);
			} else if (!strcmp(key, "iscsi-initiator")) {
				if (!lc_valid_iqn(val))
					CONF_ERR("bad iSCSI initiator name \"%s\"", val);
				free(cl->iscsi_initiator);
				cl->iscsi_initiator = strdup(val);
			} else if (!strcmp(key, "nvmet-subsystem")) {
				char *sp = val + strcspn(val, " \t"), *nqn;

				if (!*sp)
					CONF_ERR("nvmet-subsystem = SB-ID NQN");
				*sp = '\0';
				nqn = trim(sp + 1);
				if (!lc_valid_sbid(val))
					CONF_ERR("bad SB-ID \"%s\"", val);
				if (!lc_valid_nqn(nqn))
					CONF_ERR("bad subsystem NQN \"%s\"", nqn);
				for (i = 0; i < cl->nsubsys; i++)
					if (!strcmp(cl->subsys[i].sbid, val))
						CONF_ERR("client \"%s\" has two subsystems for %s",
							 cl->name, val);
				if (grow((void **)&cl->subsys, cl->nsubsys, sizeof(*cl->subsys)))
					CONF_ERR("out of memory");
				cl->subsys[cl->nsubsys].sbid = strdup(val);
				cl->subsys[cl->nsubsys++].nqn = strdup(nqn);
			} else {
				CONF_ERR("unknown key %s in [client \"%s\"]", key, cl->name);
			}
			break;
		case SEC_SB:
			if (!strcmp(key, "backend")) {
				if (!strcmp(val, "nvmet"))
					sb->backend = LC_BACKEND_NVMET;
				else if (!strcmp(val, "iscsi"))
					sb->backend = LC_BACKEND_ISCSI;
				else if (!strcmp(val, "command"))
					sb->backend = LC_BACKEND_COMMAND;
				else
					CONF_ERR("backend must be nvmet, iscsi or command");
			} else if (!strcmp(key, "iscsi-target")) {
				if (!lc_valid_iqn(val))
					CONF_ERR("bad iSCSI target name \"%s\"", val);
				free(sb->iscsi_target);
				sb->iscsi_target = strdup(val);
			} else if (!strcmp(key, "iscsi-tpg")) {
				if (lc_parse_u32(val, 1, 65535, &sb->iscsi_tpg))
					CONF_ERR("iscsi-tpg must be 1..65535");
			} else if (!strcmp(key, "command")) {
				if (val[0] != '/' || strstr(val, "..") ||
				    strpbrk(val, " \t;|&$`<>'\"\\*?"))
					CONF_ERR("command must be an absolute path, without arguments or shell syntax");
				free(sb->command);
				sb->command = strdup(val);
			} else if (!strcmp(key, "timeout")) {
				if (lc_parse_u32(val, 1, LC_CONF_MAX_TIMEOUT, &sb->timeout))
					CONF_ERR("timeout must be 1..%d seconds", LC_CONF_MAX_TIMEOUT);
			} else {
				CONF_ERR("unknown key %s in [sb \"%s\"]", key, sb->id);
			}
			break;
		}
	}

	/* Whole-file checks. */
	for (i = 0; i < conf->nsbs; i++) {
		sb = &conf->sbs[i];
		line = 0;
		switch (sb->backend) {
		case LC_BACKEND_NONE:
			CONF_ERR("sb \"%s\" has no backend", sb->id);
		case LC_BACKEND_NVMET:
			break;
		case LC_BACKEND_ISCSI:
			if (!sb->iscsi_target || !sb->iscsi_tpg)
				CONF_ERR("sb \"%s\": backend iscsi needs iscsi-target and iscsi-tpg", sb->id);
			break;
		case LC_BACKEND_COMMAND:
			if (!sb->command)
				CONF_ERR("sb \"%s\": backend command needs command", sb->id);
			break;
		}
		if (!sb->timeout)
			sb->timeout = conf->timeout;
	}
	for (i = 0; i < conf->nclients; i++) {
		line = 0;
		if (!conf->clients[i].naddrs)
			CONF_ERR("client \"%s\" has no address", conf->clients[i].name);
	}
defaults:
	if (!conf->state_dir) {
		char p[4096];

		lc_path(p, sizeof(p), "%s", LC_STATE_DEFAULT);
		conf->state_dir = strdup(p);
	}
out:
	free(text);
	if (err)
		lc_conf_free(conf);
	return err;
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

int cmd_check_config(int argc, char **argv)
{
	const char *path = lc_conf_default();
	struct lc_conf conf;
	int i, j;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		puts("usage: layoutctl check-config [--config FILE]\n"
		     "Parse the fencing configuration and print what it maps.");
		return LC_OK;
	}
	if (argc == 3 && !strcmp(argv[1], "--config"))
		path = argv[2];
	else if (argc != 1) {
		fputs("usage: layoutctl check-config [--config FILE]\n", stderr);
		return LC_EUSAGE;
	}
	i = lc_conf_load(path, &conf, true);
	if (i)
		return lc_conf_exit(i);
	printf("%s: %d client%s, %d sb%s, state in %s, timeout %u s\n", path,
	       conf.nclients, conf.nclients == 1 ? "" : "s", conf.nsbs,
	       conf.nsbs == 1 ? "" : "s", conf.state_dir, conf.timeout);
	for (i = 0; i < conf.nclients; i++) {
		struct lc_client *c = &conf.clients[i];

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
	for (i = 0; i < conf.nsbs; i++) {
		struct lc_sb *s = &conf.sbs[i];

		printf("sb %s: backend %s, timeout %u s", s->id, lc_backend_name(s->backend),
		       s->timeout);
		if (s->backend == LC_BACKEND_ISCSI)
			printf(", %s tpgt_%u", s->iscsi_target, s->iscsi_tpg);
		if (s->backend == LC_BACKEND_COMMAND)
			printf(", %s", s->command);
		putchar('\n');
	}
	lc_conf_free(&conf);
	return LC_OK;
}
