// SPDX-License-Identifier: GPL-2.0
/*
 * layoutctl list: every external reference to files' block layouts.
 *
 *   pNFS layouts     /proc/fs/nfsd/clients/N/{info,states}: client, file,
 *                    and with nfsd-ext's states format each segment's
 *                    iomode and range, the range under recall and the age
 *   layout leases    /proc/locks: LAYOUT lines (userspace layout leases and
 *                    nfsd's own), LEASE and DELEG lines for comparison
 *   DAX DMA, pins    each file's fdinfo (dax_busy: lines), with kernel-patches
 *
 * The credential a client established its lease with (nfsd-ext adds it to
 * the info file: "principal:" for RPCSEC_GSS, "uid:"/"gid:" always) is
 * given a name through libnfsidmap, as rpc.idmapd would map it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <ndctl/libndctl.h>
#include <nfsidmap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lc.h"

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static bool match(const struct filter *f, unsigned int maj, unsigned int min,
		  unsigned long ino)
{
	if (f->any)
		return true;
	return maj == f->maj && min == f->min && (!f->by_ino || ino == f->ino);
}

/* Copies v[0, n) to out (len bytes), without surrounding quotes. */
static void copy_unquoted(const char *v, size_t n, char *out, size_t len)
{
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v++;
		n -= 2;
	}
	if (n >= len)
		n = len - 1;
	memcpy(out, v, n);
	out[n] = '\0';
}

/* The value of "key: " in a line of nfsd's info file, unquoted. */
static bool info_value(const char *text, const char *key, char *out, size_t len)
{
	const char *p = text;
	size_t kl = strlen(key);

	while (p && *p) {
		if (!strncmp(p, key, kl) && p[kl] == ':' && p[kl + 1] == ' ') {
			const char *v = p + kl + 2, *e = strchr(v, '\n');
			copy_unquoted(v, e ? (size_t)(e - v) : strlen(v), out, len);
			return true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

/* In a flow mapping "{ type: layout, superblock: "fd:10:1234", ... }",
 * the text after "key: " up to the next ", " or " }" (or the whole [...]). */
static bool flow_value(const char *line, const char *key, char *out, size_t len)
{
	char pat[64];
	const char *v, *e;

	snprintf(pat, sizeof(pat), " %s: ", key);
	v = strstr(line, pat);
	if (!v)
		return false;
	v += strlen(pat);
	if (*v == '[')
		e = strchr(v, ']') ? strchr(v, ']') + 1 : v + strlen(v);
	else if (*v == '"')
		e = strchr(v + 1, '"') ? strchr(v + 1, '"') + 1 : v + strlen(v);
	else
		e = v + strcspn(v, ", }");
	copy_unquoted(v, e - v, out, len);
	return true;
}

static uint64_t parse_len(const char *s)
{
	return !strcmp(s, "eof") || !strcmp(s, "end") ? UINT64_MAX : strtoull(s, NULL, 0);
}

static void range_text(char *buf, size_t len, uint64_t off, uint64_t l)
{
	if (l == UINT64_MAX)
		snprintf(buf, len, "%llu:end", (unsigned long long)off);
	else
		snprintf(buf, len, "%llu:%llu", (unsigned long long)off,
			 (unsigned long long)l);
}

/* "[ rw:0:8388608, read:16777216:eof ]" or "[ 0:1048576 ]" */
static struct json_object *parse_ranges(const char *s, bool iomode, char *text,
					size_t tlen)
{
	struct json_object *arr = json_object_new_array();
	char buf[1024], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	text[0] = '\0';
	for (tok = strtok_r(buf, "[], ", &save); tok; tok = strtok_r(NULL, "[], ", &save)) {
		char *f[3] = { NULL }, *p = tok, r[64];
		int n = 0;
		struct json_object *o;
		uint64_t off, l;

		while (n < 3 && p) {
			f[n++] = p;
			p = strchr(p, ':');
			if (p)
				*p++ = '\0';
		}
		if (n != (iomode ? 3 : 2))
			continue;
		o = json_object_new_object();
		if (iomode)
			json_object_object_add(o, "iomode", json_object_new_string(f[0]));
		off = strtoull(f[iomode], NULL, 0);
		l = parse_len(f[iomode + 1]);
		json_object_object_add(o, "offset", json_object_new_uint64(off));
		json_object_object_add(o, "length", l == UINT64_MAX ?
				       json_object_new_string("end") : json_object_new_uint64(l));
		json_object_array_add(arr, o);
		range_text(r, sizeof(r), off, l);
		snprintf(text + strlen(text), tlen - strlen(text), "%s%s%s%s",
			 *text ? " " : "", iomode ? f[0] : "", iomode ? " " : "", r);
	}
	return arr;
}

/*
 * libnfsidmap reads idmapd.conf once per process (under LAYOUTCTL_ROOT in the
 * unit tests); without a Domain there it asks DNS for one, as rpc.idmapd does.
 */
static bool idmap_ready(void)
{
	static int state;	/* 0 not tried, 1 ready, -1 failed */
	char conf[PATH_MAX];

	if (!state) {
		lc_path(conf, sizeof(conf), "/etc/idmapd.conf");
		state = nfs4_init_name_mapping(conf) ? -1 : 1;
		if (state < 0)
			lc_notice("client names: libnfsidmap could not read %s; showing ids", conf);
	}
	return state > 0;
}

/*
 * Who a client is as far as permissions go: its GSS principal, the ids its
 * credential maps to, and the NFSv4 name of that user ("user@domain").
 */
static void client_identity(const char *info, struct json_object *c)
{
	char princ[512] = "", mech[32] = "krb5", v[32], user[512];
	uid_t uid = 0;
	gid_t gid;
	bool have_uid;

	info_value(info, "gss mechanism", mech, sizeof(mech));
	if (info_value(info, "principal", princ, sizeof(princ)))
		json_object_object_add(c, "principal", json_object_new_string(princ));
	have_uid = info_value(info, "uid", v, sizeof(v));
	if (have_uid) {
		uid = strtoul(v, NULL, 10);
		json_object_object_add(c, "uid", json_object_new_uint64(uid));
	}
	if (info_value(info, "gid", v, sizeof(v))) {
		gid = strtoul(v, NULL, 10);
		json_object_object_add(c, "gid", json_object_new_uint64(gid));
	}
	if ((!have_uid && !*princ) || !idmap_ready())
		return;
	if (*princ && nfs4_gss_princ_to_ids(mech, princ, &uid, &gid) == 0)
		have_uid = true;
	if (have_uid && nfs4_uid_to_name(uid, NULL, user, sizeof(user)) == 0)
		json_object_object_add(c, "user", json_object_new_string(user));
}

int lc_collect_nfsd(const struct filter *flt, struct json_object *refs, bool *seen)
{
	char dir[PATH_MAX], p[PATH_MAX];
	struct dirent *de;
	DIR *d;

	lc_path(dir, sizeof(dir), "/proc/fs/nfsd/clients");
	d = opendir(dir);
	if (!d)
		return 0;
	*seen = true;
	while ((de = readdir(d))) {
		char *info, *states, *line, *save = NULL;
		char id[32] = "", addr[80] = "", name[256] = "", status[32] = "";
		struct json_object *ident;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s/info", dir, de->d_name);
		info = lc_read_file(p, 1 << 16);
		if (!info)
			continue;
		info_value(info, "clientid", id, sizeof(id));
		info_value(info, "address", addr, sizeof(addr));
		info_value(info, "name", name, sizeof(name));
		info_value(info, "status", status, sizeof(status));
		ident = json_object_new_object();
		client_identity(info, ident);
		free(info);
		snprintf(p, sizeof(p), "%s/%s/states", dir, de->d_name);
		states = lc_read_file(p, 1 << 24);
		if (!states) {
			json_object_put(ident);
			continue;
		}
		for (line = strtok_r(states, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char sb[64] = "", fname[PATH_MAX] = "", v[1024], text[1024];
			struct json_object *o, *c, *f;
			unsigned int maj, min;
			unsigned long ino;

			if (!strstr(line, "type: layout"))
				continue;
			if (!flow_value(line, "superblock", sb, sizeof(sb)) ||
			    sscanf(sb, "%x:%x:%lu", &maj, &min, &ino) != 3 ||
			    !match(flt, maj, min, ino))
				continue;
			flow_value(line, "filename", fname, sizeof(fname));
			o = json_object_new_object();
			json_object_object_add(o, "kind", json_object_new_string("pnfs-layout"));
			f = json_object_new_object();
			snprintf(v, sizeof(v), "%02x:%02x", maj, min);
			json_object_object_add(f, "dev", json_object_new_string(v));
			json_object_object_add(f, "ino", json_object_new_uint64(ino));
			json_object_object_add(f, "name", json_object_new_string(fname));
			json_object_object_add(o, "file", f);
			c = json_object_new_object();
			json_object_object_add(c, "nfsd_id", json_object_new_int(atoi(de->d_name)));
			json_object_object_add(c, "clientid", json_object_new_string(id));
			json_object_object_add(c, "address", json_object_new_string(addr));
			json_object_object_add(c, "name", json_object_new_string(name));
			json_object_object_add(c, "status", json_object_new_string(status));
			json_object_object_foreach(ident, k, val)
				json_object_object_add(c, k, json_object_get(val));
			json_object_object_add(o, "client", c);
			if (line[0] == '-' && line[1] == ' ') {
				char st[64];

				snprintf(st, sizeof(st), "%.*s", (int)strcspn(line + 2, ":"), line + 2);
				json_object_object_add(o, "stateid", json_object_new_string(st));
			}
			if (flow_value(line, "layout", v, sizeof(v)))
				json_object_object_add(o, "layout_type", json_object_new_string(v));
			if (flow_value(line, "segments", v, sizeof(v))) {
				json_object_object_add(o, "segments",
						       parse_ranges(v, true, text, sizeof(text)));
				json_object_object_add(o, "ranges_text", json_object_new_string(text));
			}
			if (flow_value(line, "recall", v, sizeof(v))) {
				json_object_object_add(o, "recall",
						       parse_ranges(v, false, text, sizeof(text)));
				json_object_object_add(o, "recall_text", json_object_new_string(text));
			}
			if (strstr(line, ", fence-failed"))
				json_object_object_add(o, "fence_failed", json_object_new_boolean(1));
			if (flow_value(line, "age", v, sizeof(v)))
				json_object_object_add(o, "age", json_object_new_uint64(strtoull(v, NULL, 10)));
			json_object_array_add(refs, o);
		}
		free(states);
		json_object_put(ident);
	}
	closedir(d);
	return 0;
}

static void pid_comm(int pid, char *buf, size_t len)
{
	char p[PATH_MAX];

	lc_path(p, sizeof(p), "/proc/%d/comm", pid);
	if (lc_read_attr(p, buf, len))
		buf[0] = '\0';
}

/* The text of a /proc file under LAYOUTCTL_ROOT; *seen if it exists. */
static char *read_source(const char *path, bool *seen)
{
	char p[PATH_MAX], *text;

	lc_path(p, sizeof(p), "%s", path);
	text = lc_read_file(p, 1 << 24);
	if (text)
		*seen = true;
	return text;
}

/* /proc/locks: "1: LAYOUT ACTIVE READ 1234 fd:10:5678 0 EOF" */
static int list_locks(const struct filter *flt, struct json_object *refs, bool *seen)
{
	char p[PATH_MAX], *text, *line, *save = NULL;

	text = read_source("/proc/locks", seen);
	if (!text)
		return 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char kind[16], state[16], type[16], dev[64], start[32], end[32], comm[64];
		unsigned int maj, min;
		unsigned long ino;
		struct json_object *o, *f, *h;
		uint64_t off, len;
		int pid;

		if (strstr(line, "->"))
			continue;	/* a waiter, not a holder */
		if (sscanf(line, "%*s %15s %15s %15s %d %63s %31s %31s", kind, state, type,
			   &pid, dev, start, end) != 7)
			continue;
		if (strcmp(kind, "LAYOUT") && strcmp(kind, "LEASE") && strcmp(kind, "DELEG"))
			continue;
		if (sscanf(dev, "%x:%x:%lu", &maj, &min, &ino) != 3 || !match(flt, maj, min, ino))
			continue;
		pid_comm(pid, comm, sizeof(comm));
		/* nfsd's own layout leases: the states files say more of them */
		if (!strcmp(kind, "LAYOUT") && !strcmp(comm, "nfsd"))
			continue;
		off = strtoull(start, NULL, 10);
		len = !strcmp(end, "EOF") ? UINT64_MAX : strtoull(end, NULL, 10) - off + 1;
		o = json_object_new_object();
		json_object_object_add(o, "kind", json_object_new_string(
			!strcmp(kind, "LAYOUT") ? "layout-lease" :
			!strcmp(kind, "DELEG") ? "delegation" : "lease"));
		f = json_object_new_object();
		snprintf(p, sizeof(p), "%02x:%02x", maj, min);
		json_object_object_add(f, "dev", json_object_new_string(p));
		json_object_object_add(f, "ino", json_object_new_uint64(ino));
		json_object_object_add(o, "file", f);
		h = json_object_new_object();
		json_object_object_add(h, "pid", json_object_new_int(pid));
		json_object_object_add(h, "command", json_object_new_string(comm));
		json_object_object_add(o, "holder", h);
		json_object_object_add(o, "type", json_object_new_string(type));
		json_object_object_add(o, "state", json_object_new_string(state));
		json_object_object_add(o, "offset", json_object_new_uint64(off));
		json_object_object_add(o, "length", len == UINT64_MAX ?
				       json_object_new_string("end") : json_object_new_uint64(len));
		json_object_array_add(refs, o);
	}
	free(text);
	return 0;
}

/*
 * DAX DMA references and long-term pins, from the fdinfo of each file
 * (kernel-patches: "dax_busy:\tOFFSET LENGTH pin|ref" per run of busy
 * pages and a closing "dax_busy_pages:\tN" that says the kernel looked).
 * The page does not say whether a pin is long-term; long-term pins of DAX
 * memory are only allowed under the pinning process's layout lease, so a
 * pinned range under a layout lease is listed as that holder's "pin", any
 * other busy range as "dax-dma".
 */
struct dax_scan {
	const struct filter *flt;
	struct json_object *refs;
	struct json_object *names;	/* "dev:ino" -> path of each file looked at */
	bool *seen;
	unsigned int files, skipped;
};

static struct dax_scan *scan;

/* A reference's byte range as collected: length "end" is UINT64_MAX. */
static void ref_range(struct json_object *o, uint64_t *off, uint64_t *len)
{
	struct json_object *v;

	*off = json_object_object_get_ex(o, "offset", &v) ? json_object_get_uint64(v) : 0;
	*len = !json_object_object_get_ex(o, "length", &v) ? 0 :
	       json_object_get_type(v) == json_type_string ? UINT64_MAX :
	       json_object_get_uint64(v);
}

/* The layout lease in refs that covers [off, off + len) of dev:ino. */
static struct json_object *lease_over(struct json_object *refs, const char *dev,
				      uint64_t ino, uint64_t off, uint64_t len)
{
	size_t i, n = json_object_array_length(refs);

	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(refs, i), *f, *v;
		uint64_t lo, ll;

		if (strcmp(jstr(o, "kind"), "layout-lease") ||
		    !json_object_object_get_ex(o, "file", &f) || strcmp(jstr(f, "dev"), dev) ||
		    !json_object_object_get_ex(f, "ino", &v) || json_object_get_uint64(v) != ino)
			continue;
		ref_range(o, &lo, &ll);
		if (off >= lo && (ll == UINT64_MAX || (ll >= off - lo && len <= ll - (off - lo))))
			return o;
	}
	return NULL;
}

static void dax_file(const char *path, int fd, const struct stat *st)
{
	char p[PATH_MAX], dev[32], *text, *line, *save = NULL;
	unsigned int maj = major(st->st_dev), min = minor(st->st_dev);

	if (!match(scan->flt, maj, min, st->st_ino))
		return;
	lc_path(p, sizeof(p), "/proc/self/fdinfo/%d", fd);
	text = lc_read_file(p, 1 << 24);
	if (!text)
		return;
	scan->files++;
	snprintf(dev, sizeof(dev), "%02x:%02x", maj, min);
	snprintf(p, sizeof(p), "%s:%llu", dev, (unsigned long long)st->st_ino);
	json_object_object_add(scan->names, p, json_object_new_string(path));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long off, len;
		struct json_object *o, *f, *lease, *h;
		char how[8];

		if (!strncmp(line, "dax_busy_pages:", 15)) {
			*scan->seen = true;
			continue;
		}
		if (sscanf(line, "dax_busy: %llu %llu %7s", &off, &len, how) != 3)
			continue;
		lease = strcmp(how, "pin") ? NULL :
			lease_over(scan->refs, dev, st->st_ino, off, len);
		o = json_object_new_object();
		json_object_object_add(o, "kind", json_object_new_string(lease ? "pin" : "dax-dma"));
		f = json_object_new_object();
		json_object_object_add(f, "dev", json_object_new_string(dev));
		json_object_object_add(f, "ino", json_object_new_uint64(st->st_ino));
		json_object_object_add(f, "name", json_object_new_string(path));
		json_object_object_add(o, "file", f);
		json_object_object_add(o, "offset", json_object_new_uint64(off));
		json_object_object_add(o, "length", json_object_new_uint64(len));
		json_object_object_add(o, "references", json_object_new_string(how));
		if (lease && json_object_object_get_ex(lease, "holder", &h))
			json_object_object_add(o, "holder", json_object_get(h));
		json_object_array_add(scan->refs, o);
	}
	free(text);
}

/*
 * Open without waiting for anyone: O_NONBLOCK makes an open that would
 * break a lease or delegation fail instead, and that file is skipped.
 */
static void dax_open(const char *path)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EWOULDBLOCK)
			scan->skipped++;
		return;
	}
	if (!fstat(fd, &st) && S_ISREG(st.st_mode))
		dax_file(path, fd, &st);
	close(fd);
}

static int dax_walk(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_F && S_ISREG(st->st_mode) && st->st_size > 0)
		dax_open(path);
	return 0;
}

/*
 * PATH a file: that file. A directory: the regular files under it on the
 * same filesystem. Nothing: every XFS mounted with dax=always (files of a
 * dax=inode mount are looked at when it is named).
 */
static unsigned int list_dax(const struct filter *flt, const char *path, bool is_dir,
			     struct json_object *refs, struct json_object *names, bool *seen)
{
	struct dax_scan s = { .flt = flt, .refs = refs, .names = names, .seen = seen };
	char p[PATH_MAX], *text, *line, *save = NULL;

	scan = &s;
	if (path && !is_dir) {
		dax_open(path);
	} else if (path) {
		nftw(path, dax_walk, 16, FTW_PHYS | FTW_MOUNT);
	} else {
		lc_path(p, sizeof(p), "/proc/self/mountinfo");
		text = lc_read_file(p, 1 << 24);
		for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
		     line = strtok_r(NULL, "\n", &save)) {
			char mnt[PATH_MAX], fstype[32], *sep = strstr(line, " - ");

			/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - TYPE SOURCE SUPEROPTS */
			if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
			    sscanf(sep, " - %31s", fstype) != 1 || strcmp(fstype, "xfs") ||
			    !strstr(sep, "dax=always"))
				continue;
			nftw(mnt, dax_walk, 16, FTW_PHYS | FTW_MOUNT);
		}
		free(text);
	}
	scan = NULL;
	return s.skipped;
}

/*
 * Leases and delegations come from /proc/locks, which knows inodes, not
 * names: give them the path the DAX walk opened the inode by, or else the
 * name another reference to the same inode has.
 */
static void fill_names(struct json_object *refs, struct json_object *names)
{
	size_t i, j, n = json_object_array_length(refs);

	for (i = 0; i < n; i++) {
		struct json_object *f, *g, *v;
		char key[64];
		uint64_t ino;

		if (!json_object_object_get_ex(json_object_array_get_idx(refs, i), "file", &f) ||
		    *jstr(f, "name") || !json_object_object_get_ex(f, "ino", &v))
			continue;
		ino = json_object_get_uint64(v);
		snprintf(key, sizeof(key), "%s:%llu", jstr(f, "dev"), (unsigned long long)ino);
		if (json_object_object_get_ex(names, key, &g)) {
			json_object_object_add(f, "name", json_object_get(g));
			continue;
		}
		for (j = 0; j < n; j++) {
			if (!json_object_object_get_ex(json_object_array_get_idx(refs, j),
						       "file", &g) || !*jstr(g, "name") ||
			    strcmp(jstr(g, "dev"), jstr(f, "dev")) ||
			    !json_object_object_get_ex(g, "ino", &v) ||
			    json_object_get_uint64(v) != ino)
				continue;
			json_object_object_add(f, "name", json_object_new_string(jstr(g, "name")));
			break;
		}
	}
}

/* The pmem namespace behind a block device, through libndctl. */
static struct json_object *device_info(unsigned int maj, unsigned int min)
{
	struct json_object *o = json_object_new_object();
	struct ndctl_ctx *ctx;
	struct ndctl_bus *bus;
	char p[PATH_MAX], link[PATH_MAX], *name;
	ssize_t n;

	snprintf(p, sizeof(p), "%s/sys/dev/block/%u:%u", lc_root(), maj, min);
	n = readlink(p, link, sizeof(link) - 1);
	if (n < 0)
		return o;
	link[n] = '\0';
	name = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	json_object_object_add(o, "block_device", json_object_new_string(name));
	if (*lc_root() || ndctl_new(&ctx))
		return o;
	ndctl_bus_foreach(ctx, bus) {
		struct ndctl_region *region;

		ndctl_region_foreach(bus, region) {
			struct ndctl_namespace *ndns;

			ndctl_namespace_foreach(region, ndns) {
				const char *bdev = ndctl_namespace_get_block_device(ndns);
				enum ndctl_namespace_mode mode;
				const char *m;

				if (!bdev || strcmp(bdev, name))
					continue;
				mode = ndctl_namespace_get_mode(ndns);
				m = mode == NDCTL_NS_MODE_FSDAX ? "fsdax" :
				    mode == NDCTL_NS_MODE_DEVDAX ? "devdax" :
				    mode == NDCTL_NS_MODE_RAW ? "raw" :
				    mode == NDCTL_NS_MODE_SECTOR ? "sector" : "unknown";
				json_object_object_add(o, "namespace", json_object_new_string(
					ndctl_namespace_get_devname(ndns)));
				json_object_object_add(o, "mode", json_object_new_string(m));
			}
		}
	}
	ndctl_unref(ctx);
	return o;
}

static const char list_usage[] =
"usage: layoutctl list [PATH|MOUNTPOINT] [--json]\n"
"Every external reference to the block layout of PATH (a file), of the files\n"
"of MOUNTPOINT (a directory: its whole filesystem), or of every file: pNFS\n"
"layouts by client, layout leases, delegations and leases, DAX DMA references\n"
"and long-term pins, with their byte ranges.\n";

struct row {
	char file[PATH_MAX], holder[128], range[512], state[256];
};

/* The table's columns for one reference. */
static void table_row(struct json_object *o, const char *path, struct row *r)
{
	char *file = r->file, *holder = r->holder, *range = r->range, *state = r->state;
	const size_t fl = sizeof(r->file), hl = sizeof(r->holder), rl = sizeof(r->range),
		     sl = sizeof(r->state);
	struct json_object *f, *h, *c;

	json_object_object_get_ex(o, "file", &f);
	if (path)
		snprintf(file, fl, "%s", path);
	else if (*jstr(f, "name"))
		snprintf(file, fl, "%s", jstr(f, "name"));
	else
		snprintf(file, fl, "%s:%s", jstr(f, "dev"), jstr(f, "ino"));
	state[0] = '\0';
	if (json_object_object_get_ex(o, "client", &c)) {
		/* Who the client is: its GSS principal, or else its user. */
		const char *who = *jstr(c, "principal") ? jstr(c, "principal") : jstr(c, "user");

		snprintf(holder, hl, "%s %s%s%s", jstr(c, "address"),
			 jstr(c, "clientid"), *who ? " " : "", who);
		snprintf(range, rl, "%s", *jstr(o, "ranges_text") ?
			 jstr(o, "ranges_text") : "(whole file)");
		snprintf(state, sl, "%s%s%s%s%s%s", jstr(c, "status"),
			 *jstr(o, "recall_text") ? ", recalling " : "",
			 jstr(o, "recall_text"),
			 json_object_object_get_ex(o, "fence_failed", &h) ?
			 ", FENCE FAILED" : "",
			 *jstr(o, "age") ? ", age " : "", jstr(o, "age"));
	} else {
		uint64_t off, len;

		if (json_object_object_get_ex(o, "holder", &h))
			snprintf(holder, hl, "pid %s %s", jstr(h, "pid"),
				 jstr(h, "command"));
		else
			snprintf(holder, hl, "-");
		ref_range(o, &off, &len);
		range_text(range, rl, off, len);
		snprintf(state, sl, "%s%s%s", jstr(o, "state"),
			 *jstr(o, "type") ? " " : "", jstr(o, "type"));
		if (*jstr(o, "references"))
			snprintf(state, sl, "%s",
				 !strcmp(jstr(o, "references"), "pin") ? "pinned" :
				 "referenced");
	}
}

static void print_table(struct json_object *refs, const char *path)
{
	size_t i, n = json_object_array_length(refs);
	int wf = 4, wh = 6;
	struct row r;

	for (i = 0; i < n; i++) {
		table_row(json_object_array_get_idx(refs, i), path, &r);
		wf = (int)strlen(r.file) > wf ? (int)strlen(r.file) : wf;
		wh = (int)strlen(r.holder) > wh ? (int)strlen(r.holder) : wh;
	}
	printf("%-12s %-*s %-*s %-28s %s\n", "KIND", wf, "FILE", wh, "HOLDER", "RANGE", "STATE");
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(refs, i);

		table_row(o, path, &r);
		printf("%-12s %-*s %-*s %-28s %s\n", jstr(o, "kind"), wf, r.file, wh, r.holder,
		       r.range, r.state);
	}
	if (!n)
		printf("(no external layout references)\n");
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *top, *refs, *src, *names, *dev = NULL;
	struct filter flt = { .any = true };
	bool json = false, s_nfsd = false, s_locks = false, s_dax = false;
	bool is_dir = false;
	unsigned int skipped;
	const char *path = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': fputs(list_usage, stdout); return LC_OK;
		default: fputs(list_usage, stderr); return LC_EUSAGE;
		}
	}
	if (argc - optind > 1) {
		fputs(list_usage, stderr);
		return LC_EUSAGE;
	}
	if (argc - optind == 1) {
		struct stat st;

		path = argv[optind];
		if (stat(path, &st)) {
			lc_err("%s: %s", path, strerror(errno));
			return errno == ENOENT ? LC_ENOENT : LC_EFAIL;
		}
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
			lc_err("%s: not a regular file or a directory", path);
			return LC_EUSAGE;
		}
		flt.any = false;
		is_dir = S_ISDIR(st.st_mode);
		flt.by_ino = !is_dir;
		flt.maj = major(st.st_dev);
		flt.min = minor(st.st_dev);
		flt.ino = st.st_ino;
		dev = device_info(flt.maj, flt.min);
	}
	refs = json_object_new_array();
	lc_collect_nfsd(&flt, refs, &s_nfsd);
	list_locks(&flt, refs, &s_locks);
	names = json_object_new_object();
	skipped = list_dax(&flt, path, is_dir, refs, names, &s_dax);
	fill_names(refs, names);
	json_object_put(names);
	if (json) {
		top = json_object_new_object();
		if (path)
			json_object_object_add(top, "path", json_object_new_string(path));
		if (dev)
			json_object_object_add(top, "device", json_object_get(dev));
		src = json_object_new_object();
		json_object_object_add(src, "nfsd", json_object_new_boolean(s_nfsd));
		json_object_object_add(src, "locks", json_object_new_boolean(s_locks));
		json_object_object_add(src, "dax_fdinfo", json_object_new_boolean(s_dax));
		json_object_object_add(src, "dax_skipped", json_object_new_int(skipped));
		json_object_object_add(top, "sources", src);
		json_object_object_add(top, "references", refs);
		puts(json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(top);
	} else {
		if (dev && *jstr(dev, "block_device"))
			printf("device %s%s%s%s%s\n", jstr(dev, "block_device"),
			       *jstr(dev, "namespace") ? ": " : "", jstr(dev, "namespace"),
			       *jstr(dev, "mode") ? " mode " : "", jstr(dev, "mode"));
		print_table(refs, flt.by_ino ? path : NULL);
		if (skipped)
			printf("(DAX DMA references and pins: %u file%s not looked at: opening %s would break a lease or delegation)\n",
			       skipped, skipped == 1 ? "" : "s", skipped == 1 ? "it" : "them");
		else if (!s_dax)
			printf("(DAX DMA references and pins: no DAX file looked at, or not reported by this kernel)\n");
		json_object_put(refs);
	}
	if (dev) {
		if (*jstr(dev, "mode") && strcmp(jstr(dev, "mode"), "fsdax"))
			lc_err("warning: %s is in %s mode, not fsdax: no DAX", jstr(dev,
			       "block_device"), jstr(dev, "mode"));
		json_object_put(dev);
	}
	return LC_OK;
}
