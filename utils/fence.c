// SPDX-License-Identifier: GPL-2.0
/*
 * layoutctl fence / unfence / fenced, and nfsd-recall-failed.
 *
 * nfsd runs "/sbin/nfsd-recall-failed CLIENT-ADDRESS SB-ID" when a pNFS
 * block client did not return a recalled layout in time. Before it may
 * exit 0, the client must be unable to reach the exported block device:
 * no new connection, no live one, and no write of its still in flight.
 *
 * A backend runs in a child process with a time limit and journals how to
 * undo each step ("undo=...") before it takes it, synced (journal_step());
 * the parent writes the record before the backend starts and merges the
 * journal into it after, so that a fence survives a reboot (fenced
 * --reapply) and can be undone (unfence) - also one killed half-way:
 * its journal is merged by the next fence, unfence or fenced of the
 * record, which stays incomplete until a fence completes it.
 *
 * Each record, fenced/CLIENT@SB-ID, has a lock of its own, .CLIENT@SB-ID.lock,
 * which the parent takes (never a backend child) for a fence, an unfence
 * or a reapply: fences of different clients run side by side. The wait
 * for it counts in the operation's time limit, the backend gets what is
 * left, so nothing waits without end. The child holds nothing of the
 * parent's, dies with it and leads its own process group, which the time
 * limit kills (lc_run_limited()).
 *
 * The state directory is trusted only when root (or the user we run as)
 * alone can change it and every directory above it (state_open(),
 * lc_trust_path()); every file in it is opened relative to it, never
 * through a symbolic link, never a FIFO, and only a regular file of ours
 * with one name (state_openat()).
 *
 * nfsd kills its helper one lease period after starting it; as
 * nfsd-recall-failed the whole run is bounded by the lease, less a margin
 * for killing the backend and saving the record (helper_limit()), so that
 * the helper's answer is never lost to the kill.
 *
 * nvmet: each client reaches the device through a subsystem of its own
 * (nvmet-subsystem in its [client] section). Fencing unlinks that
 * subsystem from every port, which deletes the client's live controllers,
 * removes the host from allowed_hosts, and disables the subsystem's
 * namespaces, which waits for the client's requests still in flight.
 * Removing a host from allowed_hosts alone would not do: nvmet checks it
 * only when a host connects. Last it checks that no other subsystem
 * linked to a port still exposes the same device to this host.
 *
 * iscsi (LIO): the initiator's node ACL under the target portal group is
 * removed with its LUN mappings, which ends its sessions; a portal group
 * in demo mode (generate_node_acls) cannot be fenced this way. An ACL that
 * is not there counts as cut only when a recorded fence of ours removed
 * it: otherwise the configured name may be wrong and the client's own ACL
 * stand, and the fence fails. A session LIO lists under a dynamic ACL for
 * the initiator fails it too. Last, as for nvmet, every portal group of
 * every target with a LUN on the device must keep the client out
 * (iscsi_leaks()): no demo mode, no ACL of the initiator, no connection
 * from the client's addresses under any name.
 *
 * command: an administrator's program, run without a shell as
 * "COMMAND fence|unfence CLIENT-NAME CLIENT-ADDRESS SB-ID", only when root
 * (or the user we run as) alone can change it and the directories above
 * it (command_check()), as for the configuration file (conf.c).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "lc.h"

#define NVMET	"/sys/kernel/config/nvmet"
#define LIO	"/sys/kernel/config/target/iscsi"

struct fence_job {
	struct lc_conf *conf;
	struct lc_client *client;
	struct lc_sb *sb;
	const char *addr;
	char **undo;		/* the record's undo lines: what earlier fences did */
	int nundo;
	int64_t deadline;	/* lc_now_ms() time by which it must be done */
	int journal;		/* fence: the record's journal, for journal_step() */
	char command[PATH_MAX];	/* command: the checked, resolved sb->command */
};

static int errno_code(int err)
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
static const char *code_text(int code)
{
	switch (code) {
	case LC_ECONF: return "configuration";
	case LC_ETIMEDOUT: return "timed out";
	case LC_EPERM: return "not permitted";
	case LC_ENOENT: return "no such target object";
	default: return "backend error";
	}
}

static void say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int fd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdprintf(fd, fmt, ap);
	va_end(ap);
}

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
static int journal_step(struct fence_job *job, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int journal_step(struct fence_job *job, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	ssize_t w;
	int n, m;

	n = snprintf(line, sizeof(line), "undo=");
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

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static const char *client_nqn(struct lc_client *c, const char *sbid)
{
	int i;

	for (i = 0; i < c->nsubsys; i++)
		if (!strcmp(c->subsys[i].sbid, sbid))
			return c->subsys[i].nqn;
	return NULL;
}

/*
 * Whether a namespace's device_path is the block device SB-ID names: by
 * device number where the path is a block device, otherwise by name (the
 * device's own name, or its device-mapper name).
 */
static bool same_device(const char *device_path, const char *sbid)
{
	char p[PATH_MAX], v[256], *copy, *base;
	unsigned int maj, min;
	struct stat st;
	bool same = false;

	if (lc_path(p, sizeof(p), "%s", device_path) == 0 &&
	    stat(p, &st) == 0 && S_ISBLK(st.st_mode) &&
	    lc_path(p, sizeof(p), "/sys/class/block/%s/dev", sbid) == 0 &&
	    lc_read_attr(p, v, sizeof(v)) == 0 &&
	    sscanf(v, "%u:%u", &maj, &min) == 2)
		return major(st.st_rdev) == maj && minor(st.st_rdev) == min;
	copy = strdup(device_path);
	if (!copy)
		return true;	/* assume the worst */
	base = basename(copy);
	if (!strcmp(base, sbid))
		same = true;
	else if (lc_path(p, sizeof(p), "/sys/class/block/%s/dm/name", sbid) == 0 &&
		 lc_read_attr(p, v, sizeof(v)) == 0 && !strcmp(base, v))
		same = true;
	free(copy);
	return same;
}

/*
 * rmdir of a configfs directory: its attributes go with it. In a fake tree
 * (LAYOUTCTL_ROOT, for tests) they are plain files and are removed first.
 */
static int configfs_rmdir(const char *path)
{
	if (*lc_root()) {
		DIR *d = opendir(path);
		struct dirent *de;
		char p[PATH_MAX];
		struct stat st;

		while (d && (de = readdir(d))) {
			snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
			if (lstat(p, &st) == 0 && S_ISREG(st.st_mode))
				unlink(p);
		}
		if (d)
			closedir(d);
	}
	return rmdir(path);
}

/* Is subsystem nqn linked to any port? */
static bool subsys_on_port(const char *nqn)
{
	char p[PATH_MAX];
	struct dirent *de;
	bool on = false;
	DIR *d;

	if (lc_path(p, sizeof(p), NVMET "/ports"))
		return true;
	d = opendir(p);
	if (!d)
		return false;
	while (!on && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (lc_path(p, sizeof(p), NVMET "/ports/%s/subsystems/%s",
			    de->d_name, nqn) == 0 && exists(p))
			on = true;
	}
	closedir(d);
	return on;
}

/*
 * The top of what a leak check walks, under LAYOUTCTL_ROOT; NULL (said) when
 * it cannot be read: what cannot be read cannot be shown closed.
 */
static DIR *leak_check_dir(const char *path)
{
	char p[PATH_MAX];
	DIR *d;

	if (lc_path(p, sizeof(p), "%s", path))
		return NULL;
	d = opendir(p);
	if (!d)
		lc_err("cannot read %s: %s", p, strerror(errno));
	return d;
}

/*
 * After a fence: does any subsystem still expose sbid's device, through
 * an enabled namespace and a port, to this host? Prints each one found.
 */
static int nvmet_leaks(const char *host, const char *sbid)
{
	char p[PATH_MAX], v[PATH_MAX];
	struct dirent *de, *ne;
	int leaks = 0;
	DIR *d, *nd;

	d = leak_check_dir(NVMET "/subsystems");
	if (!d)
		return 1;
	while ((de = readdir(d))) {
		bool exposes = false, allowed;

		if (de->d_name[0] == '.')
			continue;
		if (lc_path(p, sizeof(p), NVMET "/subsystems/%s/namespaces", de->d_name))
			continue;
		nd = opendir(p);
		if (!nd)
			exposes = true;	/* cannot tell: assume it does */
		while (nd && (ne = readdir(nd))) {
			if (ne->d_name[0] == '.')
				continue;
			if (lc_path(p, sizeof(p), NVMET "/subsystems/%s/namespaces/%s/enable",
				    de->d_name, ne->d_name) || lc_read_attr(p, v, sizeof(v)) ||
			    strcmp(v, "1"))
				continue;
			if (lc_path(p, sizeof(p), NVMET "/subsystems/%s/namespaces/%s/device_path",
				    de->d_name, ne->d_name) == 0 &&
			    lc_read_attr(p, v, sizeof(v)) == 0 && same_device(v, sbid))
				exposes = true;
		}
		if (nd)
			closedir(nd);
		if (!exposes || !subsys_on_port(de->d_name))
			continue;
		allowed = false;
		if (lc_path(p, sizeof(p), NVMET "/subsystems/%s/attr_allow_any_host",
			    de->d_name) == 0 && lc_read_attr(p, v, sizeof(v)) == 0 &&
		    !strcmp(v, "1"))
			allowed = true;
		if (lc_path(p, sizeof(p), NVMET "/subsystems/%s/allowed_hosts/%s",
			    de->d_name, host) == 0 && exists(p))
			allowed = true;
		if (allowed) {
			lc_err("subsystem %s still exposes %s to host %s", de->d_name,
			       sbid, host);
			leaks++;
		}
	}
	closedir(d);
	return leaks;
}

static int nvmet_fence(void *arg, int fd)
{
	struct fence_job *job = arg;
	const char *nqn = client_nqn(job->client, job->sb->id);
	const char *host = job->client->nvme_host;
	char p[PATH_MAX], v[64];
	struct dirent *de;
	int err;
	DIR *d;

	if (!nqn || !host) {
		lc_err("client \"%s\" needs nvme-host and nvmet-subsystem = %s NQN in %s",
		       job->client->name, job->sb->id, job->conf->path);
		return LC_ECONF;
	}
	if (lc_path(p, sizeof(p), NVMET "/subsystems/%s", nqn) || !exists(p)) {
		lc_err("nvmet subsystem %s does not exist", nqn);
		return LC_ENOENT;
	}

	/* 1. Off every port: deletes the host's live controllers, whose
	 *    queues flush what they still hold. */
	lc_path(p, sizeof(p), NVMET "/ports");
	d = opendir(p);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		lc_path(p, sizeof(p), NVMET "/ports/%s/subsystems/%s", de->d_name, nqn);
		if (!exists(p))
			continue;
		if (journal_step(job, "port %s %s", de->d_name, nqn)) {
			closedir(d);
			return LC_EFAIL;
		}
		if (unlink(p)) {
			err = errno;
			lc_err("unlink %s from port %s: %s", nqn, de->d_name, strerror(err));
			closedir(d);
			return errno_code(err);
		}
	}
	if (d)
		closedir(d);

	/* 2. No reconnect, should the subsystem be linked again by hand. */
	lc_path(p, sizeof(p), NVMET "/subsystems/%s/allowed_hosts/%s", nqn, host);
	if (exists(p)) {
		if (journal_step(job, "host %s %s", nqn, host))
			return LC_EFAIL;
		if (unlink(p)) {
			err = errno;
			lc_err("remove host %s from %s: %s", host, nqn, strerror(err));
			return errno_code(err);
		}
	}
	lc_path(p, sizeof(p), NVMET "/subsystems/%s/attr_allow_any_host", nqn);
	if (lc_read_attr(p, v, sizeof(v)) == 0 && !strcmp(v, "1")) {
		if (journal_step(job, "anyhost %s", nqn))
			return LC_EFAIL;
		err = lc_write_file(p, "0");
		if (err) {
			lc_err("clear allow_any_host of %s: %s", nqn, strerror(-err));
			return errno_code(err);
		}
	}

	/* 3. Namespaces off: nvmet_ns_disable() waits for the requests still
	 *    in flight, so none of the client's writes lands after we return. */
	lc_path(p, sizeof(p), NVMET "/subsystems/%s/namespaces", nqn);
	d = opendir(p);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		lc_path(p, sizeof(p), NVMET "/subsystems/%s/namespaces/%s/enable",
			nqn, de->d_name);
		if (lc_read_attr(p, v, sizeof(v)) || strcmp(v, "1"))
			continue;
		if (journal_step(job, "ns %s %s", nqn, de->d_name)) {
			closedir(d);
			return LC_EFAIL;
		}
		err = lc_write_file(p, "0");
		if (err) {
			lc_err("disable namespace %s of %s: %s", de->d_name, nqn,
			       strerror(-err));
			closedir(d);
			return errno_code(err);
		}
	}
	if (d)
		closedir(d);

	/* 4. Nothing else may still reach the device. */
	if (nvmet_leaks(host, job->sb->id))
		return LC_EFAIL;
	return LC_OK;
}

/* Does LIO list a session of @ini that no configured ACL explains? */
static bool iscsi_dynamic_session(const char *tgt, unsigned int tpg,
				  const char *ini)
{
	char p[PATH_MAX], *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	bool found = false;
	FILE *f;

	if (lc_path(p, sizeof(p), LIO "/%s/tpgt_%u/dynamic_sessions", tgt, tpg))
		return false;
	f = fopen(p, "re");
	if (!f)
		return false;
	if (getdelim(&buf, &len, '\0', f) > 0)
		for (line = strtok_r(buf, "\n", &save); line && !found;
		     line = strtok_r(NULL, "\n", &save))
			found = !strcmp(line, ini);
	free(buf);
	fclose(f);
	return found;
}

/* Did a fence of ours, recorded, remove @ini's ACL from this group? */
static bool iscsi_acl_removed_by_us(const struct fence_job *job,
				    const char *tgt, unsigned int tpg,
				    const char *ini)
{
	char want[PATH_MAX];
	int i;

	snprintf(want, sizeof(want), "acl %s %u %s", tgt, tpg, ini);
	for (i = 0; i < job->nundo; i++)
		if (!strcmp(job->undo[i], want))
			return true;
	return false;
}

/* The ACLs of a portal group, for a message: "a, b" or "none". */
static void iscsi_acl_names(const char *tgt, unsigned int tpg, char *buf,
			    size_t len)
{
	char p[PATH_MAX];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(buf, len, "none");
	if (lc_path(p, sizeof(p), LIO "/%s/tpgt_%u/acls", tgt, tpg))
		return;
	d = opendir(p);
	while (d && (de = readdir(d))) {
		int w;

		if (de->d_name[0] == '.')
			continue;
		w = snprintf(buf + n, len - n, "%s%s", n ? ", " : "", de->d_name);
		if (w < 0 || (size_t)w >= len - n)
			break;
		n += w;
	}
	if (d)
		closedir(d);
}

/* Is a LUN of this portal group backed by the device @sbid? */
static bool iscsi_tpg_exports(const char *tgt, const char *tpg,
			      const char *sbid)
{
	char p[PATH_MAX], v[PATH_MAX];
	struct dirent *le, *ke;
	bool found = false;
	DIR *ld, *kd;

	if (lc_path(p, sizeof(p), LIO "/%s/%s/lun", tgt, tpg))
		return true;	/* assume the worst */
	ld = opendir(p);
	if (!ld)
		return true;	/* cannot tell: assume it does */
	while (!found && (le = readdir(ld))) {
		if (strncmp(le->d_name, "lun_", 4))
			continue;
		if (lc_path(p, sizeof(p), LIO "/%s/%s/lun/%s", tgt, tpg, le->d_name))
			continue;
		kd = opendir(p);
		/* The LUN's link to its backstore, whose udev_path names it. */
		while (kd && !found && (ke = readdir(kd))) {
			struct stat st;

			if (ke->d_name[0] == '.' ||
			    lc_path(p, sizeof(p), LIO "/%s/%s/lun/%s/%s", tgt, tpg,
				    le->d_name, ke->d_name) ||
			    lstat(p, &st) || !S_ISLNK(st.st_mode) ||
			    lc_path(p, sizeof(p), LIO "/%s/%s/lun/%s/%s/udev_path", tgt,
				    tpg, le->d_name, ke->d_name) ||
			    lc_read_attr(p, v, sizeof(v)))
				continue;
			found = same_device(v, sbid);
		}
		if (kd)
			closedir(kd);
	}
	closedir(ld);
	return found;
}

/* Does an ACL's info show a connection from one of the client's addresses?
 * LIO prints each as "   Address ADDR TRANSPORT". */
static bool iscsi_acl_from_client(const char *path, const struct lc_client *c)
{
	char *text = lc_read_file(path, 1 << 16), *line, *save = NULL;
	bool found = false;

	if (!text)
		return false;
	for (line = strtok_r(text, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		char a[64];
		struct lc_addr addr;

		if (sscanf(line, " Address %63s", a) != 1 || lc_parse_addr(a, &addr))
			continue;
		for (int i = 0; i < c->naddrs && !found; i++)
			found = lc_addr_equal(&addr, &c->addrs[i]);
	}
	free(text);
	return found;
}

/*
 * After the fence, what still lets the client at @sbid: any portal group
 * of any target with a LUN on the device that is in demo mode, still has
 * an ACL of @ini, or has a session from one of the client's addresses under
 * whatever name (a renamed initiator, another client's ACL). Multipath
 * setups export a device through several groups; each must be cut.
 * Returns the number of ways in, each said.
 */
static int iscsi_leaks(const struct lc_client *c, const char *ini,
		       const char *sbid)
{
	char p[PATH_MAX], v[64];
	struct dirent *te, *ge, *ae;
	DIR *td, *gd, *ad;
	int leaks = 0;

	td = leak_check_dir(LIO);
	if (!td)
		return 1;
	while ((te = readdir(td))) {
		if (te->d_name[0] == '.' || lc_path(p, sizeof(p), LIO "/%s", te->d_name))
			continue;
		gd = opendir(p);
		while (gd && (ge = readdir(gd))) {
			if (strncmp(ge->d_name, "tpgt_", 5) ||
			    !iscsi_tpg_exports(te->d_name, ge->d_name, sbid))
				continue;
			if (lc_path(p, sizeof(p), LIO "/%s/%s/attrib/generate_node_acls",
				    te->d_name, ge->d_name) == 0 &&
			    lc_read_attr(p, v, sizeof(v)) == 0 && strcmp(v, "0")) {
				lc_err("%s %s exports %s in demo mode: any initiator may log in",
				       te->d_name, ge->d_name, sbid);
				leaks++;
				continue;
			}
			if (lc_path(p, sizeof(p), LIO "/%s/%s/acls/%s", te->d_name,
				    ge->d_name, ini) == 0 && exists(p)) {
				lc_err("%s %s still exports %s to initiator %s", te->d_name,
				       ge->d_name, sbid, ini);
				leaks++;
			}
			if (lc_path(p, sizeof(p), LIO "/%s/%s/acls", te->d_name, ge->d_name))
				continue;
			ad = opendir(p);
			if (!ad) {
				lc_err("cannot read %s: %s", p, strerror(errno));
				leaks++;
			}
			while (ad && (ae = readdir(ad))) {
				if (ae->d_name[0] == '.' ||
				    lc_path(p, sizeof(p), LIO "/%s/%s/acls/%s/info", te->d_name,
					    ge->d_name, ae->d_name) ||
				    !iscsi_acl_from_client(p, c))
					continue;
				lc_err("%s %s has a session from client \"%s\" as initiator %s, exporting %s",
				       te->d_name, ge->d_name, c->name, ae->d_name, sbid);
				leaks++;
			}
			if (ad)
				closedir(ad);
		}
		if (gd)
			closedir(gd);
	}
	closedir(td);
	return leaks;
}

static int iscsi_fence(void *arg, int fd)
{
	struct fence_job *job = arg;
	const char *ini = job->client->iscsi_initiator;
	const char *tgt = job->sb->iscsi_target;
	unsigned int tpg = job->sb->iscsi_tpg;
	char p[PATH_MAX], q[PATH_MAX], v[64], link[PATH_MAX];
	struct dirent *de, *le;
	int err;
	DIR *d, *ld;

	if (!ini) {
		lc_err("client \"%s\" needs iscsi-initiator in %s", job->client->name,
		       job->conf->path);
		return LC_ECONF;
	}
	if (lc_path(p, sizeof(p), LIO "/%s/tpgt_%u", tgt, tpg) || !exists(p)) {
		lc_err("iSCSI target %s portal group %u does not exist", tgt, tpg);
		return LC_ENOENT;
	}
	snprintf(v, sizeof(v), "tpgt_%u", tpg);
	if (!iscsi_tpg_exports(tgt, v, job->sb->id)) {
		lc_err("%s tpgt_%u has no LUN backed by %s: are iscsi-target and iscsi-tpg of [sb \"%s\"] in %s right? NOT fenced",
		       tgt, tpg, job->sb->id, job->sb->id, job->conf->path);
		return LC_ECONF;
	}
	lc_path(p, sizeof(p), LIO "/%s/tpgt_%u/attrib/generate_node_acls", tgt, tpg);
	if (lc_read_attr(p, v, sizeof(v)) == 0 && strcmp(v, "0")) {
		lc_err("%s tpgt_%u is in demo mode (generate_node_acls=1): any initiator may log in, it cannot be fenced by ACL",
		       tgt, tpg);
		return LC_EFAIL;
	}
	if (iscsi_dynamic_session(tgt, tpg, ini)) {
		lc_err("initiator %s has a session on %s tpgt_%u through a dynamic ACL; it cannot be cut by ACL, NOT fenced",
		       ini, tgt, tpg);
		return LC_EFAIL;
	}
	lc_path(p, sizeof(p), LIO "/%s/tpgt_%u/acls/%s", tgt, tpg, ini);
	if (!exists(p)) {
		char names[1024];

		/*
		 * Without an ACL no session of @ini can log in; but that shows
		 * the client cut only if @ini is its name, which we know only
		 * when a fence of ours removed the ACL. Otherwise it may be a
		 * misspelled iscsi-initiator, and the client's own ACL stands.
		 */
		if (iscsi_acl_removed_by_us(job, tgt, tpg, ini))
			return iscsi_leaks(job->client, ini, job->sb->id) ?
				LC_EFAIL : LC_OK;
		iscsi_acl_names(tgt, tpg, names, sizeof(names));
		lc_err("initiator %s (client \"%s\" in %s) has no ACL on %s tpgt_%u, and no fence recorded removing one: is iscsi-initiator right? ACLs there: %s; NOT fenced",
		       ini, job->client->name, job->conf->path, tgt, tpg, names);
		return LC_ENOENT;
	}
	d = opendir(p);
	while (d && (de = readdir(d))) {
		char lname[NAME_MAX + 1] = "", wp[16] = "0";
		ssize_t n;

		if (strncmp(de->d_name, "lun_", 4))
			continue;
		lc_path(q, sizeof(q), LIO "/%s/tpgt_%u/acls/%s/%s", tgt, tpg, ini,
			de->d_name);
		ld = opendir(q);
		while (ld && (le = readdir(ld))) {
			struct stat st;
			char l[PATH_MAX];

			snprintf(l, sizeof(l), "%s/%s", q, le->d_name);
			if (lstat(l, &st) == 0 && S_ISLNK(st.st_mode)) {
				snprintf(lname, sizeof(lname), "%s", le->d_name);
				n = readlink(l, link, sizeof(link) - 1);
				link[n < 0 ? 0 : n] = '\0';
			}
		}
		if (ld)
			closedir(ld);
		snprintf(link, sizeof(link), "%s", *lname ? basename(link) : "-");
		snprintf(p, sizeof(p), "%s/write_protect", q);
		lc_read_attr(p, wp, sizeof(wp));
		if (journal_step(job, "lun %s %u %s %s %s %s %s", tgt, tpg, ini,
				 de->d_name, link, *lname ? lname : "-", wp)) {
			closedir(d);
			return LC_EFAIL;
		}
		if (*lname) {
			snprintf(p, sizeof(p), "%s/%s", q, lname);
			if (unlink(p)) {
				err = errno;
				lc_err("unmap %s %s: %s", ini, de->d_name, strerror(err));
				closedir(d);
				return errno_code(err);
			}
		}
		if (configfs_rmdir(q)) {
			err = errno;
			lc_err("remove %s %s: %s", ini, de->d_name, strerror(err));
			closedir(d);
			return errno_code(err);
		}
	}
	if (d)
		closedir(d);
	lc_path(p, sizeof(p), LIO "/%s/tpgt_%u/acls/%s", tgt, tpg, ini);
	if (journal_step(job, "acl %s %u %s", tgt, tpg, ini))
		return LC_EFAIL;
	if (configfs_rmdir(p)) {
		err = errno;
		lc_err("remove ACL %s: %s", ini, strerror(err));
		return errno_code(err);
	}
	/* Last, no other group or session may still let the client in. */
	return iscsi_leaks(job->client, ini, job->sb->id) ? LC_EFAIL : LC_OK;
}

static char **command_env(struct fence_job *job)
{
	static char *env[8];
	static char b[4][512];
	int n = 0;

	env[n++] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	snprintf(b[0], sizeof(b[0]), "LAYOUTCTL_CLIENT=%s", job->client->name);
	env[n++] = b[0];
	if (job->client->nvme_host) {
		snprintf(b[1], sizeof(b[1]), "LAYOUTCTL_NVME_HOST=%s", job->client->nvme_host);
		env[n++] = b[1];
	}
	if (job->client->iscsi_initiator) {
		snprintf(b[2], sizeof(b[2]), "LAYOUTCTL_ISCSI_INITIATOR=%s",
			 job->client->iscsi_initiator);
		env[n++] = b[2];
	}
	env[n] = NULL;
	return env;
}

/*
 * The command of an sb runs as root: only when root (or the user we run
 * as) alone can change it and the directories above it. Resolved into
 * job->command, which is what runs. Returns an exit code.
 */
static int command_check(struct fence_job *job)
{
	int err = lc_trust_path("command", job->sb->command, LC_TRUST_EXEC,
				job->command);

	if (err && err != -EPERM)
		lc_err("command %s: %s", job->sb->command, strerror(-err));
	return err ? errno_code(err) : LC_OK;
}

static int command_run(struct fence_job *job, const char *verb)
{
	char *argv[] = { job->sb->command, (char *)verb, job->client->name,
			 (char *)job->addr, job->sb->id, NULL };
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

	/* In a process group of its own it must not read the terminal. */
	if (devnull >= 0)
		dup2(devnull, STDIN_FILENO);
	execve(job->command, argv, command_env(job));
	lc_err("cannot run %s: %s", job->command, strerror(errno));
	return 127;
}

static int command_fence(void *arg, int fd)
{
	/* The command itself gets neither the pipe nor the journal. */
	close(fd);
	if (journal_step(arg, "command"))
		return LC_EFAIL;
	return command_run(arg, "fence");
}

/*
 * A word of an undo line names a configfs entry (a port, an NQN, an IQN, a
 * LUN, a link, a number): one path component, printable, no "." or "..".
 * Only root writes records, but an undo builds paths from them as root.
 */
static bool undo_word_ok(const char *w)
{
	if (!*w || !strcmp(w, ".") || !strcmp(w, ".."))
		return false;
	for (; *w; w++)
		if (*w == '/' || *(const unsigned char *)w < 0x21 ||
		    *(const unsigned char *)w > 0x7e)
			return false;
	return true;
}

/* Child of unfence: undoes the record's steps in reverse order. */
static int undo_steps(void *arg, int fd)
{
	struct fence_job *job = arg;
	char p[PATH_MAX], q[PATH_MAX];
	int i, err = 0;

	for (i = job->nundo - 1; i >= 0; i--) {
		char a[6][256];
		const char *u = job->undo[i];
		int n;

		memset(a, 0, sizeof(a));
		n = sscanf(u, "%255s %255s %255s %255s %255s %255s", a[0], a[1], a[2],
			   a[3], a[4], a[5]);
		for (int k = 1; k < n; k++) {
			if (!undo_word_ok(a[k])) {
				lc_err("cannot undo \"%s\": \"%s\" names no configfs entry",
				       u, a[k]);
				return LC_EFAIL;
			}
		}
		if (!strcmp(a[0], "ns") && n == 3) {
			lc_path(p, sizeof(p), NVMET "/subsystems/%s/namespaces/%s/enable",
				a[1], a[2]);
			err = lc_write_file(p, "1");
		} else if (!strcmp(a[0], "port") && n == 3) {
			lc_path(p, sizeof(p), NVMET "/ports/%s/subsystems/%s", a[1], a[2]);
			lc_path(q, sizeof(q), NVMET "/subsystems/%s", a[2]);
			err = symlink(q, p) && errno != EEXIST ? -errno : 0;
		} else if (!strcmp(a[0], "host") && n == 3) {
			lc_path(p, sizeof(p), NVMET "/subsystems/%s/allowed_hosts/%s",
				a[1], a[2]);
			lc_path(q, sizeof(q), NVMET "/hosts/%s", a[2]);
			err = symlink(q, p) && errno != EEXIST ? -errno : 0;
		} else if (!strcmp(a[0], "anyhost") && n == 2) {
			lc_path(p, sizeof(p), NVMET "/subsystems/%s/attr_allow_any_host", a[1]);
			err = lc_write_file(p, "1");
		} else if (!strcmp(a[0], "acl") && n == 4) {
			lc_path(p, sizeof(p), LIO "/%s/tpgt_%s/acls/%s", a[1], a[2], a[3]);
			err = mkdir(p, 0755) && errno != EEXIST ? -errno : 0;
		} else if (!strcmp(a[0], "lun") && n == 6) {
			/* lun TGT TPG INI LUN_N TPGLUN LINKNAME WP */
			char wp[16] = "0", lname[256] = "";
			const char *rest = u;

			for (int k = 0; k < 6 && rest; k++) {
				rest = strchr(rest, ' ');
				if (rest)
					rest++;
			}
			if (rest)
				sscanf(rest, "%255s %15s", lname, wp);
			if ((*lname && !undo_word_ok(lname)) ||
			    strspn(wp, "0123456789") != strlen(wp) || !*wp) {
				lc_err("cannot undo \"%s\": bad link name or write_protect", u);
				return LC_EFAIL;
			}
			lc_path(p, sizeof(p), LIO "/%s/tpgt_%s/acls/%s/%s", a[1], a[2],
				a[3], a[4]);
			err = mkdir(p, 0755) && errno != EEXIST ? -errno : 0;
			if (!err && strcmp(a[5], "-") && *lname && strcmp(lname, "-")) {
				lc_path(q, sizeof(q), LIO "/%s/tpgt_%s/lun/%s", a[1], a[2], a[5]);
				snprintf(p + strlen(p), sizeof(p) - strlen(p), "/%s", lname);
				err = symlink(q, p) && errno != EEXIST ? -errno : 0;
			}
			if (!err) {
				lc_path(p, sizeof(p), LIO "/%s/tpgt_%s/acls/%s/%s/write_protect",
					a[1], a[2], a[3], a[4]);
				err = lc_write_file(p, wp);
			}
		} else if (!strcmp(a[0], "command") && n == 1) {
			char *argv[] = { job->command, "unfence", job->client->name,
					 (char *)job->addr, job->sb->id, NULL };

			err = lc_exec_limited(argv, command_env(job), job->deadline);
			if (err) {
				lc_err("%s unfence failed", job->sb->command);
				return err;
			}
		} else {
			lc_err("cannot undo \"%s\"", u);
			return LC_EFAIL;
		}
		if (err) {
			lc_err("undo \"%s\": %s", u, strerror(-err));
			return errno_code(err);
		}
		say(fd, "done=%s\n", u);
	}
	return LC_OK;
}

/* ---- Records ---- */

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

struct record {
	char client[128], address[80], sb[64], backend[16];
	long long time;
	int complete;
	char **undo;
	int nundo;
};

static void record_free(struct record *r)
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

static int record_parse(char *text, struct record *r)
{
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (!eq)
			continue;
		*eq++ = '\0';
		if (!strcmp(line, "client"))
			snprintf(r->client, sizeof(r->client), "%s", eq);
		else if (!strcmp(line, "address"))
			snprintf(r->address, sizeof(r->address), "%s", eq);
		else if (!strcmp(line, "sb"))
			snprintf(r->sb, sizeof(r->sb), "%s", eq);
		else if (!strcmp(line, "backend"))
			snprintf(r->backend, sizeof(r->backend), "%s", eq);
		else if (!strcmp(line, "time"))
			r->time = atoll(eq);
		else if (!strcmp(line, "complete"))
			r->complete = atoi(eq);
		else if (!strcmp(line, "undo") && add_undo(&r->undo, &r->nundo, eq))
			return -ENOMEM;
	}
	return 0;
}

/* The state directory's fenced/ subdirectory, where the records are. */
struct state {
	char dir[PATH_MAX];	/* its name, for messages */
	int fd;			/* open on it, or -1 */
};

static void record_name(char *buf, size_t len, const char *client, const char *sb)
{
	snprintf(buf, len, "%s@%s", client, sb);
}

/* .NAME.SUFFIX: the record's lock, journal or temporary file. Names are
 * at most 64 + 1 + 31 characters (conf.c), far within NAME_MAX. */
static void side_name(char *buf, size_t len, const char *name, const char *suffix)
{
	snprintf(buf, len, ".%s.%s", name, suffix);
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

	snprintf(path, sizeof(path), "%s/%s", st->dir, name);
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
static int record_write(struct state *st, const char *name, struct record *r)
{
	char tmp[NAME_MAX + 1];
	FILE *f;
	int fd, err = 0;

	side_name(tmp, sizeof(tmp), name, "tmp");
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
static int state_remove(struct state *st, const char *name, const char *suffix)
{
	char side[NAME_MAX + 1];

	if (suffix)
		side_name(side, sizeof(side), name, suffix);
	if (unlinkat(st->fd, suffix ? side : name, 0) && errno != ENOENT)
		return -errno;
	return dir_sync(st);
}

/* A new, empty journal for a fence about to start; its descriptor. */
static int journal_open(struct state *st, const char *name)
{
	char jn[NAME_MAX + 1];
	int fd, err;

	side_name(jn, sizeof(jn), name, "journal");
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
static int journal_fold(struct state *st, const char *name, struct record *r,
			bool *found)
{
	char jn[NAME_MAX + 1], *text, *end;
	int fd, err;

	*found = false;
	side_name(jn, sizeof(jn), name, "journal");
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
static int record_load(struct state *st, const char *name, struct record *r,
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

		snprintf(r->client, sizeof(r->client), "%.*s", (int)(at - name), name);
		snprintf(r->sb, sizeof(r->sb), "%s", at + 1);
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

	snprintf(buf, sizeof(buf), "%s", path);
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
static int state_open(struct lc_conf *conf, struct state *st, bool create)
{
	char real[PATH_MAX];
	int err = 0, sfd = -1;

	st->fd = -1;
	if (snprintf(st->dir, sizeof(st->dir), "%s/fenced", conf->state_dir) >=
	    (int)sizeof(st->dir)) {
		lc_err("state directory %s: name too long", conf->state_dir);
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

static void state_close(struct state *st)
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
static int record_names(struct state *st, char ***out)
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
static int record_lock(struct state *st, const char *name, int64_t deadline)
{
	char lock[NAME_MAX + 1];
	int64_t nap = 5;
	int fd, err;

	side_name(lock, sizeof(lock), name, "lock");
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

/* The message for a record_lock() that failed; returns the exit code. */
static int lock_failed(int err, const char *what, const char *name,
		       unsigned int limit)
{
	if (err == -ETIMEDOUT)
		lc_err("%s: timed out after %u s waiting for the lock on record %s: a fence or unfence of it is still running",
		       what, limit, name);
	return errno_code(err);
}

/*
 * Applies the fence for (client, sb) under the record's lock; all done by
 * @deadline, which bounds the lock wait and the backend together (@limit
 * is its length, for messages). The record is written, incomplete,
 * before the backend starts; the backend journals each step before it
 * takes it; the journal is merged into the record at the end.
 */
static int fence_apply(struct lc_conf *conf, struct lc_client *client,
		       struct lc_sb *sb, const char *addr, struct state *st,
		       int64_t deadline, unsigned int limit)
{
	struct fence_job job = { conf, client, sb, addr, NULL, 0, deadline, -1, "" };
	int (*fn)(void *, int);
	struct record r;
	char name[256], what[512];
	bool had, journal;
	int ret, err, lock;

	switch (sb->backend) {
	case LC_BACKEND_NVMET: fn = nvmet_fence; break;
	case LC_BACKEND_ISCSI: fn = iscsi_fence; break;
	case LC_BACKEND_COMMAND: fn = command_fence; break;
	default: return LC_ECONF;
	}
	if (sb->backend == LC_BACKEND_COMMAND) {
		ret = command_check(&job);
		if (ret)
			return ret;
	}
	record_name(name, sizeof(name), client->name, sb->id);
	snprintf(what, sizeof(what), "fence of client %s (%s) off %s", client->name,
		 addr, sb->id);
	lock = record_lock(st, name, deadline);
	if (lock < 0)
		return lock_failed(lock, what, name, limit);
	/* The steps of an interrupted fence of it count as done. */
	err = record_load(st, name, &r, true);
	if (err && err != -ENOENT) {
		lc_err("%s: record %s/%s unusable (%s); NOT fenced", what, st->dir, name,
		       strerror(-err));
		close(lock);
		return errno_code(err);
	}
	had = err == 0;
	if (had) {
		/* What earlier fences did: the backend may find it done. */
		job.undo = r.undo;
		job.nundo = r.nundo;
	} else {
		snprintf(r.client, sizeof(r.client), "%s", client->name);
		snprintf(r.sb, sizeof(r.sb), "%s", sb->id);
		r.time = time(NULL);
	}
	snprintf(r.address, sizeof(r.address), "%s", addr);
	snprintf(r.backend, sizeof(r.backend), "%s", lc_backend_name(sb->backend));

	/* Recorded before the first step, incomplete until the backend is done. */
	r.complete = 0;
	err = record_write(st, name, &r);
	if (!err) {
		job.journal = journal_open(st, name);
		if (job.journal < 0)
			err = job.journal;
	}
	if (err) {
		lc_err("%s: cannot record it in %s/%s: %s; nothing done", what, st->dir,
		       name, strerror(-err));
		if (!had)
			state_remove(st, name, NULL);
		record_free(&r);
		close(lock);
		return errno_code(err);
	}

	ret = lc_run_limited(fn, &job, deadline, &job.journal, 1, NULL);
	close(job.journal);
	/* An administrator's command: anything but 0 is a failure. */
	if (sb->backend == LC_BACKEND_COMMAND && ret != LC_OK && ret != LC_ETIMEDOUT)
		ret = LC_EFAIL;

	err = journal_fold(st, name, &r, &journal);
	if (!err) {
		r.complete = ret == LC_OK;
		/* A failure that changed nothing leaves no record behind. */
		if (!had && !r.nundo && ret != LC_OK)
			err = state_remove(st, name, NULL);
		else
			err = record_write(st, name, &r);
	}
	/* The journal goes once the record has its steps; else it is merged
	 * next time. */
	if (!err)
		err = state_remove(st, name, "journal");
	if (err) {
		lc_err("%s: cannot save its record %s/%s: %s", what, st->dir, name,
		       strerror(-err));
		if (ret == LC_OK)
			ret = LC_EFAIL;
	}
	record_free(&r);
	close(lock);
	return ret;
}

/*
 * As nfsd's helper: nfsd kills it (SIGKILL) one lease period after it
 * started it, and counts that as a failed fence. Its whole run, the wait
 * for the record's lock and the backend, is bounded by the lease less
 * LC_HELPER_MARGIN, which is for killing the backend and saving the
 * record, so that the helper always has its say.
 */
static unsigned int helper_limit(const struct lc_sb *sb)
{
	unsigned int lease, limit;
	char p[PATH_MAX], v[32];

	if (lc_path(p, sizeof(p), "/proc/fs/nfsd/nfsv4leasetime") ||
	    lc_read_attr(p, v, sizeof(v)) || lc_parse_u32(v, 1, 3600, &lease)) {
		lc_err("cannot read nfsd's lease time from %s; taking nfsd's default, %u s",
		       p, LC_LEASE_DEFAULT);
		lease = LC_LEASE_DEFAULT;
	}
	limit = lease > LC_HELPER_MARGIN + 1 ? lease - LC_HELPER_MARGIN : 1;
	if (sb->timeout <= limit)
		return sb->timeout;
	lc_notice("timeout of [sb \"%s\"] shortened from %u s to %u s: nfsd kills its helper after one lease period (%u s)",
		  sb->id, sb->timeout, limit, lease);
	return limit;
}

int lc_fence_main(const char *conf_path, const char *addr_s, const char *sbid,
		  bool as_helper)
{
	int64_t start = lc_now_ms();
	struct lc_conf conf;
	struct lc_client *client;
	struct lc_addr addr;
	struct lc_sb *sb;
	struct state st;
	unsigned int limit;
	int ret;

	lc_log_open(true);
	if (lc_parse_addr(addr_s, &addr)) {
		lc_err("fence: bad client address (IPv4 or IPv6 expected); nothing fenced");
		return LC_EUSAGE;
	}
	if (!lc_valid_sbid(sbid)) {
		lc_err("fence: bad SB-ID (a block device name such as pmem0 expected); nothing fenced");
		return LC_EUSAGE;
	}
	ret = lc_conf_load(conf_path, &conf, true);
	if (ret) {
		lc_err("fence %s %s: configuration %s unusable; NOT fenced", addr.text,
		       sbid, conf_path);
		return lc_conf_exit(ret);
	}
	client = lc_conf_client_by_addr(&conf, &addr);
	sb = lc_conf_sb(&conf, sbid);
	if (!client || !sb) {
		lc_err("fence %s %s: no %s in %s; NOT fenced", addr.text, sbid,
		       !client ? "[client] with this address" : "[sb] for this device",
		       conf_path);
		lc_conf_free(&conf);
		return !client ? LC_ENOENT : LC_ECONF;
	}
	ret = state_open(&conf, &st, true);
	if (ret) {
		lc_err("fence %s %s: NOT fenced", addr.text, sbid);
		lc_conf_free(&conf);
		return errno_code(ret);
	}
	limit = as_helper ? helper_limit(sb) : sb->timeout;
	lc_notice("%sfencing client %s (%s) off %s with %s, limit %u s",
		  as_helper ? "nfsd recall failed: " : "", client->name, addr.text,
		  sb->id, lc_backend_name(sb->backend), limit);
	/* From the start: what loading the configuration took counts too. */
	ret = fence_apply(&conf, client, sb, addr.text, &st,
			  start + limit * 1000LL, limit);
	if (ret == LC_OK)
		lc_notice("client %s (%s) fenced off %s", client->name, addr.text, sb->id);
	else
		lc_err("fence of client %s (%s) off %s FAILED (%s, exit %d)",
		       client->name, addr.text, sb->id, code_text(ret), ret);
	state_close(&st);
	lc_conf_free(&conf);
	return ret;
}

static const struct option conf_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "json", no_argument, NULL, 'j' },
	{ "reapply", no_argument, NULL, 'r' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char fence_usage[] =
"usage: layoutctl fence [--config FILE] CLIENT-ADDRESS SB-ID\n"
"       nfsd-recall-failed CLIENT-ADDRESS SB-ID\n"
"Cut the NFS client at CLIENT-ADDRESS off the block device SB-ID (as nfsd\n"
"names it, e.g. pmem0) with the backend /etc/layoutctl.conf gives. Exits 0\n"
"only when the client can no longer reach the device.\n";

int cmd_fence(int argc, char **argv)
{
	const char *conf = lc_conf_default();
	int c;

	while ((c = getopt_long(argc, argv, "+c:h", conf_opts, NULL)) != -1) {
		switch (c) {
		case 'c': conf = optarg; break;
		case 'h': fputs(fence_usage, stdout); return LC_OK;
		default: fputs(fence_usage, stderr); return LC_EUSAGE;
		}
	}
	if (argc - optind != 2) {
		fputs(fence_usage, stderr);
		return LC_EUSAGE;
	}
	return lc_fence_main(conf, argv[optind], argv[optind + 1], false);
}

static const char unfence_usage[] =
"usage: layoutctl unfence [--config FILE] CLIENT SB-ID\n"
"Undo a fence: CLIENT is the client's name in the configuration or one of\n"
"its addresses. The steps the fence took are undone in reverse order.\n";

int cmd_unfence(int argc, char **argv)
{
	const char *path = lc_conf_default();
	struct fence_job job = { .journal = -1 };
	struct lc_client *client;
	struct lc_sb *sb, fallback;
	struct lc_conf conf;
	struct lc_addr addr;
	struct state st;
	struct record r;
	char name[256], what[512], *out = NULL;
	unsigned int limit;
	int64_t deadline;
	int c, lock, ret, err;

	while ((c = getopt_long(argc, argv, "+c:h", conf_opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'h': fputs(unfence_usage, stdout); return LC_OK;
		default: fputs(unfence_usage, stderr); return LC_EUSAGE;
		}
	}
	if (argc - optind != 2) {
		fputs(unfence_usage, stderr);
		return LC_EUSAGE;
	}
	lc_log_open(true);
	if (!lc_valid_sbid(argv[optind + 1])) {
		lc_err("unfence: bad SB-ID");
		return LC_EUSAGE;
	}
	err = lc_conf_load(path, &conf, true);
	if (err)
		return lc_conf_exit(err);
	client = lc_conf_client_by_name(&conf, argv[optind]);
	if (!client && lc_parse_addr(argv[optind], &addr) == 0)
		client = lc_conf_client_by_addr(&conf, &addr);
	if (!client) {
		lc_err("unfence: no client \"%s\" in %s", argv[optind], path);
		lc_conf_free(&conf);
		return LC_ENOENT;
	}
	/* The lock wait and the undo together, in the sb's time limit. */
	sb = lc_conf_sb(&conf, argv[optind + 1]);
	limit = sb ? sb->timeout : conf.timeout;
	deadline = lc_deadline(limit);
	err = state_open(&conf, &st, true);
	if (err) {
		lc_conf_free(&conf);
		return errno_code(err);
	}
	record_name(name, sizeof(name), client->name, argv[optind + 1]);
	snprintf(what, sizeof(what), "unfence of client %s from %s", client->name,
		 argv[optind + 1]);
	lock = record_lock(&st, name, deadline);
	if (lock < 0) {
		state_close(&st);
		lc_conf_free(&conf);
		return lock_failed(lock, what, name, limit);
	}
	/* With the steps of an interrupted fence: exactly those are undone. */
	err = record_load(&st, name, &r, true);
	if (err) {
		if (err == -ENOENT)
			lc_err("unfence: client %s is not fenced off %s", client->name,
			       argv[optind + 1]);
		else
			lc_err("unfence: record %s/%s: %s", st.dir, name, strerror(-err));
		ret = errno_code(err);
		goto out;
	}
	job.deadline = deadline;
	job.conf = &conf;
	job.client = client;
	job.addr = r.address;
	job.sb = sb;
	job.undo = r.undo;
	job.nundo = r.nundo;
	if (!job.sb) {
		for (int i = 0; i < r.nundo; i++)
			if (!strcmp(r.undo[i], "command")) {
				lc_err("unfence: [sb \"%s\"] with its command is gone from %s",
				       r.sb, path);
				ret = LC_ECONF;
				goto out_record;
			}
		fallback = (struct lc_sb){ .id = r.sb, .timeout = conf.timeout };
		job.sb = &fallback;
	}
	for (int i = 0; i < r.nundo; i++)
		if (!strcmp(r.undo[i], "command")) {
			ret = command_check(&job);
			if (ret)
				goto out_record;
			break;
		}
	/* Once steps are undone the client may reach the device again: the
	 * record says so before the first one. */
	if (r.complete) {
		r.complete = 0;
		err = record_write(&st, name, &r);
		if (err) {
			lc_err("unfence: cannot update record %s/%s: %s; nothing undone",
			       st.dir, name, strerror(-err));
			ret = LC_EFAIL;
			goto out_record;
		}
	}
	ret = lc_run_limited(undo_steps, &job, deadline, NULL, 0, &out);
	if (ret == LC_OK) {
		err = state_remove(&st, name, NULL);
		if (err) {
			lc_err("unfence: cannot remove record %s/%s: %s", st.dir, name,
			       strerror(-err));
			ret = LC_EFAIL;
		} else {
			lc_notice("client %s unfenced from %s", client->name, r.sb);
		}
	} else {
		/* Keep what is still undone. */
		char *line, *save = NULL;

		for (line = out ? strtok_r(out, "\n", &save) : NULL; line;
		     line = strtok_r(NULL, "\n", &save)) {
			if (strncmp(line, "done=", 5))
				continue;
			for (int i = 0; i < r.nundo; i++)
				if (!strcmp(r.undo[i], line + 5)) {
					free(r.undo[i]);
					memmove(&r.undo[i], &r.undo[i + 1],
						(r.nundo - i - 1) * sizeof(char *));
					r.nundo--;
					break;
				}
		}
		record_write(&st, name, &r);
		lc_err("unfence of client %s from %s FAILED (exit %d); record kept",
		       client->name, r.sb, ret);
	}
	free(out);
out_record:
	record_free(&r);
out:
	close(lock);
	state_close(&st);
	lc_conf_free(&conf);
	return ret;
}

static const char fenced_usage[] =
"usage: layoutctl fenced [--config FILE] [--json] [--reapply]\n"
"List the fences in force. --reapply cuts every recorded client off again,\n"
"for boot, after the targets' configuration has been restored.\n";

/*
 * For the listing: record @name with a leftover journal merged in, for
 * good when its lock is free (and ours to take), else only in *r.
 */
static int record_peek(struct state *st, const char *name, struct record *r)
{
	int lock = -1, err;

	if (faccessat(st->fd, ".", W_OK, AT_EACCESS) == 0)
		lock = record_lock(st, name, lc_now_ms());
	err = record_load(st, name, r, lock >= 0);
	if (lock >= 0)
		close(lock);
	return err;
}

int cmd_fenced(int argc, char **argv)
{
	const char *path = lc_conf_default();
	bool json = false, reapply = false;
	struct json_object *arr = NULL;
	struct lc_conf conf;
	struct state st = { .fd = -1 };
	char **names = NULL;
	int c, n, i, err, ret = LC_OK;

	while ((c = getopt_long(argc, argv, "+c:jrh", conf_opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'j': json = true; break;
		case 'r': reapply = true; break;
		case 'h': fputs(fenced_usage, stdout); return LC_OK;
		default: fputs(fenced_usage, stderr); return LC_EUSAGE;
		}
	}
	if (argc != optind) {
		fputs(fenced_usage, stderr);
		return LC_EUSAGE;
	}
	if (reapply)
		lc_log_open(true);
	err = lc_conf_load(path, &conf, reapply);
	if (err)
		return lc_conf_exit(err);
	err = state_open(&conf, &st, reapply);
	if (err) {
		lc_conf_free(&conf);
		return errno_code(err);
	}
	n = record_names(&st, &names);
	if (n < 0) {
		lc_err("%s: %s", st.dir, strerror(-n));
		ret = errno_code(n);
		n = 0;
	}
	if (json)
		arr = json_object_new_array();
	else if (!reapply)
		printf("%-16s %-24s %-10s %-8s %-9s %s\n", "CLIENT", "ADDRESS", "SB-ID",
		       "BACKEND", "COMPLETE", "SINCE");
	for (i = 0; i < n; i++) {
		char when[32];
		struct record r;
		struct tm tm;
		time_t t;

		if (reapply) {
			struct lc_client *cl;
			struct lc_sb *sb;
			int one;

			/* A first look; fence_apply() reads it again, locked. */
			err = record_load(&st, names[i], &r, false);
			if (err) {
				if (err != -ENOENT) {
					lc_err("reapply %s: record unusable (%s)", names[i],
					       strerror(-err));
					ret = errno_code(err);
				}
				continue;
			}
			cl = lc_conf_client_by_name(&conf, r.client);
			sb = lc_conf_sb(&conf, r.sb);
			if (!cl || !sb) {
				lc_err("reapply %s: client or sb no longer configured", names[i]);
				one = LC_ECONF;
			} else {
				one = fence_apply(&conf, cl, sb,
						  *r.address ? r.address : cl->addrs[0].text,
						  &st, lc_deadline(sb->timeout), sb->timeout);
			}
			if (one) {
				lc_err("reapply of fence %s FAILED (exit %d)", names[i], one);
				ret = one;
			} else {
				lc_notice("fence %s applied again", names[i]);
			}
			record_free(&r);
			continue;
		}
		err = record_peek(&st, names[i], &r);
		if (err) {
			/* Gone since the directory was read: nothing to say. */
			if (err != -ENOENT) {
				if (err != -EPERM)
					lc_err("record %s/%s: %s", st.dir, names[i],
					       strerror(-err));
				ret = errno_code(err);
			}
			continue;
		}
		t = r.time;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (json) {
			struct json_object *o = json_object_new_object(), *u;

			json_object_object_add(o, "client", json_object_new_string(r.client));
			json_object_object_add(o, "address", json_object_new_string(r.address));
			json_object_object_add(o, "sb_id", json_object_new_string(r.sb));
			json_object_object_add(o, "backend", json_object_new_string(r.backend));
			json_object_object_add(o, "complete", json_object_new_boolean(r.complete));
			json_object_object_add(o, "since", json_object_new_string(when));
			u = json_object_new_array();
			for (int k = 0; k < r.nundo; k++)
				json_object_array_add(u, json_object_new_string(r.undo[k]));
			json_object_object_add(o, "steps", u);
			json_object_array_add(arr, o);
		} else {
			printf("%-16s %-24s %-10s %-8s %-9s %s\n", r.client,
			       *r.address ? r.address : "-", r.sb,
			       *r.backend ? r.backend : "-", r.complete ? "yes" : "NO", when);
		}
		record_free(&r);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (json) {
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
	}
	state_close(&st);
	lc_conf_free(&conf);
	return ret;
}
