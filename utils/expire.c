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
#include <unistd.h>

#include "lc.h"

static const char expire_usage[] =
"usage: layoutctl expire CLIENT --yes\n"
"Tell nfsd that CLIENT is gone: it drops all of the client's state, its\n"
"opens, locks, delegations and pNFS layouts, WITHOUT fencing it. Only for a\n"
"client known to be down or cut off from the shared storage: one that still\n"
"writes through its layouts then writes to blocks that other files may be\n"
"given. CLIENT is the client's nfsd id (ID in /proc/fs/nfsd/clients/ID, the\n"
"\"nfsd_id\" of \"layoutctl list --json\"), its clientid (0x..., as \"layoutctl\n"
"list\" shows it), or its address, with or without its port (ADDR:PORT,\n"
"[ADDR]:PORT); an address that several clients have is refused. --yes,\n"
"spelt out, says that you know the client is gone. The expiry is logged.\n"
"Exit status: 0 expired, 1 failed, 2 usage, 5 not permitted, 6 no such\n"
"client.\n";

/*
 * An address as nfsd's info file prints it, "ADDR:PORT" or "[ADDR]:PORT",
 * or as the administrator gives it, also without the port: the address
 * into *addr, the port (-1: none) into *port.
 */
static int split_addr(const char *v, struct lc_addr *addr, long *port)
{
	const char *e = NULL, *p = NULL;
	char buf[128];
	size_t n;

	*port = -1;
	if (*v == '[') {
		v++;
		e = strchr(v, ']');
		if (!e || (e[1] && e[1] != ':'))
			return -EINVAL;
		if (e[1])
			p = e + 2;
	} else if (strchr(v, ':') == strrchr(v, ':')) {
		/* IPv4, or a name: one colon at most, before the port */
		e = strchr(v, ':');
		if (e)
			p = e + 1;
	}
	n = e ? (size_t)(e - v) : strlen(v);
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	if (p) {
		char *end;

		if (!*p || *p < '0' || *p > '9')
			return -EINVAL;
		errno = 0;
		*port = strtol(p, &end, 10);
		if (errno || *end || *port > 65535)
			return -EINVAL;
	}
	memcpy(buf, v, n);
	buf[n] = '\0';
	/* nfsd prints no scope, so none can be matched */
	if (strchr(buf, '%'))
		return -EINVAL;
	return lc_parse_addr(buf, addr);
}

int cmd_expire(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char dir[PATH_MAX], p[PATH_MAX], id[32] = "", match_addr[128] = "";
	char match_name[256] = "", clid[32] = "";
	const char *client = NULL;
	struct lc_addr want;
	bool yes = false, by_id = false, by_clid = false;
	long want_port = -1;
	struct dirent *de;
	int i, err, n = 0;
	char *info;
	DIR *d;

	/* lc_getopt() takes no abbreviation: --ye does not confirm this */
	while ((i = lc_getopt(argc, argv, "h", opts)) != -1) {
		switch (i) {
		case 'y': yes = true; break;
		case 'h': fputs(expire_usage, stdout); return LC_OK;
		default: return LC_EUSAGE;
		}
	}
	if (argc - optind != 1)
		return lc_usage_error(argc == optind ? "no CLIENT given" : "one CLIENT only");
	client = argv[optind];
	if (lc_all_digits(client)) {
		by_id = true;
		if (strlen(client) > 10 || (client[0] == '0' && client[1])) {
			lc_err("%s: not an nfsd client id", client);
			return LC_EUSAGE;
		}
	} else if (!strncmp(client, "0x", 2) && strlen(client) <= 18 && client[2] &&
		   strspn(client + 2, "0123456789abcdef") == strlen(client + 2)) {
		by_clid = true;
	} else if (split_addr(client, &want, &want_port)) {
		lc_err("%s: neither an nfsd client id, a clientid nor an address",
		       client);
		return LC_EUSAGE;
	}
	if (!yes) {
		lc_err("this drops the client's layouts without fencing it; "
		       "say --yes once you know it is down or cut off from the storage");
		return LC_EUSAGE;
	}
#ifndef LC_TEST_ENV
	/* what is written is nfsd's, never a file a variable points at */
	if (*lc_root()) {
		lc_err("refusing to run with LAYOUTCTL_ROOT set");
		return LC_EPERM;
	}
#endif

	if (lc_path(dir, sizeof(dir), "/proc/fs/nfsd/clients")) {
		lc_err("LAYOUTCTL_ROOT is too long");
		return LC_EFAIL;
	}
	d = opendir(dir);
	if (!d) {
		err = errno;
		if (err == ENOENT) {
			lc_err("%s: the nfsd filesystem is not mounted, or nfsd is not running",
			       dir);
			return LC_ENOENT;
		}
		lc_err("%s: %s", dir, strerror(err));
		return err == EACCES || err == EPERM ? LC_EPERM : LC_EFAIL;
	}
	while ((de = readdir(d))) {
		char a[128], c[32];
		struct lc_addr got;
		long got_port;

		if (!lc_all_digits(de->d_name) || strlen(de->d_name) > 10)
			continue;
		if (by_id && strcmp(de->d_name, client))
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s/info", dir, de->d_name) >= sizeof(p))
			continue;
		info = lc_read_file(p, 1 << 20);
		if (!info) {
			if (by_id && errno != ENOENT) {
				err = errno;
				closedir(d);
				lc_err("%s: %s", p, strerror(err));
				return err == EACCES || err == EPERM ? LC_EPERM : LC_EFAIL;
			}
			continue;	/* gone meanwhile */
		}
		if (by_clid && (!lc_info_value(info, "clientid", c, sizeof(c)) ||
				strcmp(c, client))) {
			free(info);
			continue;
		}
		if (!by_id && !by_clid &&
		    (!lc_info_value(info, "address", a, sizeof(a)) ||
		     split_addr(a, &got, &got_port) || !lc_addr_equal(&got, &want) ||
		     (want_port >= 0 && got_port != want_port))) {
			free(info);
			continue;
		}
		if (!lc_info_value(info, "address", match_addr, sizeof(match_addr)))
			snprintf(match_addr, sizeof(match_addr), "?");
		if (!lc_info_value(info, "name", match_name, sizeof(match_name)))
			match_name[0] = '\0';
		if (!lc_info_value(info, "clientid", clid, sizeof(clid)))
			clid[0] = '\0';
		free(info);
		if (n++)
			lc_err("nfsd clients %s and %s both have address %s",
			       id, de->d_name, client);
		/* an nfsd id: at most 10 digits (checked above), id has room */
		memcpy(id, de->d_name, strlen(de->d_name) + 1);
	}
	closedir(d);
	if (n == 0) {
		lc_err("no nfsd client %s", client);
		return LC_ENOENT;
	}
	if (n > 1) {
		lc_err("give the nfsd id (or clientid, or ADDR:PORT) of the client to expire");
		return LC_EUSAGE;
	}

	if ((size_t)snprintf(p, sizeof(p), "%s/%s/ctl", dir, id) >= sizeof(p)) {
		lc_err("LAYOUTCTL_ROOT is too long");
		return LC_EFAIL;
	}
	/* nfsd takes exactly "expire\n", and answers once the client is gone */
	err = lc_write_file(p, "expire\n");
	if (err == -ENOENT || err == -ENXIO) {
		lc_err("nfsd client %s went away meanwhile", id);
		return LC_ENOENT;
	}
	if (err) {
		lc_err("%s: %s", p, strerror(-err));
		return err == -EACCES || err == -EPERM ? LC_EPERM : LC_EFAIL;
	}
	/* the kernel escapes names: nothing in it is a control character */
	lc_log_open(true);
	lc_notice("expired nfsd client %s (clientid %s, address %s, name \"%s\") unfenced, as uid %u said it is gone",
		  id, clid, match_addr, match_name, (unsigned int)getuid());
	printf("expired nfsd client %s (%s): its state and layouts are dropped, unfenced\n",
	       id, match_addr);
	return LC_OK;
}
