// SPDX-License-Identifier: GPL-2.0
/*
 * layoutctl expire: the administrator's word that an NFS client is gone.
 * Writes "expire" to the client's ctl file under /proc/fs/nfsd/clients/,
 * so that nfsd drops all of its state, its pNFS layouts included, without
 * fencing it. This ends the wait of the layout changes that a client that
 * ignored a recall and could not be fenced (no fence helper installed, or
 * a helper that failed) keeps from happening.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lc.h"

static const char expire_usage[] =
"usage: layoutctl expire CLIENT --yes\n"
"Tell nfsd that CLIENT is gone: it drops all of the client's state, its\n"
"opens, locks, delegations and pNFS layouts, WITHOUT fencing it. Only for a\n"
"client known to be down or cut off from the shared storage: one that still\n"
"writes through its layouts then writes to blocks that other files may be\n"
"given. CLIENT is the client's nfsd id (as in /proc/fs/nfsd/clients/ID and\n"
"\"layoutctl list\") or its address; an address that several clients have is\n"
"refused (give the id). --yes says that you know the client is gone.\n"
"Exit status: 0 expired, 1 failed, 2 usage, 5 not permitted, 6 no such\n"
"client.\n";

static bool digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/*
 * The address in an nfsd info file's "address" line, "ADDR:PORT" or
 * "[ADDR]:PORT", quotes already removed, as an lc_addr.
 */
static int info_addr(const char *v, struct lc_addr *addr)
{
	char buf[128];
	const char *e;
	size_t n;

	if (*v == '[') {
		v++;
		e = strchr(v, ']');
	} else {
		e = strrchr(v, ':');
	}
	n = e ? (size_t)(e - v) : strlen(v);
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return lc_parse_addr(buf, addr);
}

/* The value of "key: " in nfsd's info text, without its quotes. */
static bool info_get(const char *text, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key), n;
	const char *p = text, *v, *e;

	while (p && *p) {
		if (!strncmp(p, key, kl) && p[kl] == ':' && p[kl + 1] == ' ') {
			v = p + kl + 2;
			e = strchr(v, '\n');
			n = e ? (size_t)(e - v) : strlen(v);
			if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
				v++;
				n -= 2;
			}
			if (n >= len)
				return false;
			memcpy(out, v, n);
			out[n] = '\0';
			return true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

int cmd_expire(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char dir[PATH_MAX], p[PATH_MAX], id[32] = "", match_addr[128] = "";
	struct lc_addr want;
	bool yes = false, by_id;
	struct dirent *de;
	int c, err, n = 0;
	char *info;
	DIR *d;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'y':
			yes = true;
			break;
		case 'h':
			fputs(expire_usage, stdout);
			return LC_OK;
		default:
			fputs(expire_usage, stderr);
			return LC_EUSAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(expire_usage, stderr);
		return LC_EUSAGE;
	}
	by_id = digits(argv[optind]);
	if (by_id) {
		if (strlen(argv[optind]) > 10) {
			lc_err("expire: %s: not an nfsd client id", argv[optind]);
			return LC_EUSAGE;
		}
	} else if (lc_parse_addr(argv[optind], &want)) {
		lc_err("expire: %s: neither an nfsd client id nor an address", argv[optind]);
		return LC_EUSAGE;
	}
	if (!yes) {
		lc_err("expire: this drops the client's layouts without fencing it; "
		       "say --yes once you know it is down or cut off from the storage");
		return LC_EUSAGE;
	}

	lc_path(dir, sizeof(dir), "/proc/fs/nfsd/clients");
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT) {
			lc_err("expire: %s: nfsd is not running, or has no NFSv4 clients", dir);
			return LC_ENOENT;
		}
		lc_err("expire: %s: %s", dir, strerror(errno));
		return errno == EACCES || errno == EPERM ? LC_EPERM : LC_EFAIL;
	}
	while ((de = readdir(d))) {
		char a[128];
		struct lc_addr got;

		if (!digits(de->d_name) || strlen(de->d_name) > 10)
			continue;
		if (by_id && strcmp(de->d_name, argv[optind]))
			continue;
		snprintf(p, sizeof(p), "%s/%s/info", dir, de->d_name);
		info = lc_read_file(p, 1 << 16);
		if (!info)
			continue;	/* gone meanwhile */
		if (!by_id && (!info_get(info, "address", a, sizeof(a)) ||
			       info_addr(a, &got) || !lc_addr_equal(&got, &want))) {
			free(info);
			continue;
		}
		if (!info_get(info, "address", match_addr, sizeof(match_addr)))
			snprintf(match_addr, sizeof(match_addr), "?");
		free(info);
		if (n++)
			lc_err("expire: nfsd clients %s and %s both have address %s",
			       id, de->d_name, argv[optind]);
		snprintf(id, sizeof(id), "%s", de->d_name);
	}
	closedir(d);
	if (n == 0) {
		lc_err("expire: no nfsd client %s", argv[optind]);
		return LC_ENOENT;
	}
	if (n > 1) {
		lc_err("expire: give the nfsd id of the client to expire");
		return LC_EUSAGE;
	}

	snprintf(p, sizeof(p), "%s/%s/ctl", dir, id);
	/* nfsd answers once the client's state is gone */
	err = lc_write_file(p, "expire");
	if (err == -ENOENT) {
		lc_err("expire: nfsd client %s went away meanwhile", id);
		return LC_ENOENT;
	}
	if (err) {
		lc_err("expire: %s: %s", p, strerror(-err));
		return err == -EACCES || err == -EPERM ? LC_EPERM : LC_EFAIL;
	}
	printf("expired nfsd client %s (%s): its state and layouts are dropped, unfenced\n",
	       id, match_addr);
	return LC_OK;
}
