// SPDX-License-Identifier: GPL-2.0
/*
 * The iscsi backend (LIO): the initiator's node ACL under the target
 * portal group is removed with its LUN mappings, which ends its sessions;
 * a portal group in demo mode (generate_node_acls) cannot be fenced this
 * way. An ACL that is not there counts as cut only when a recorded fence
 * of ours removed it: otherwise the configured name may be wrong and the
 * client's own ACL stand, and the fence fails. A session LIO lists under a
 * dynamic ACL for the initiator fails it too. Last, as for nvmet, every
 * portal group of every target with a LUN on the device must keep the
 * client out (iscsi_leaks()): no demo mode, no ACL of the initiator, no
 * connection from the client's addresses under any name.
 *
 * Before it removes an ACL, the fence journals what unfence needs to make
 * it again as it was (acl_save()): its attributes (those of attrib/, cmdsn_depth),
 * its tag, and each mapped LUN with its link and write_protect. CHAP
 * secrets (auth/) are never written to disk: that the ACL had credentials
 * is recorded ("aclauth"), and unfence refuses to make such an ACL without
 * them; once the administrator has made it again with its credentials,
 * unfence restores the rest.
 *
 * Undo lines, TGT TPG INI first after the verb:
 *   acl TGT TPG INI                              the ACL
 *   lun TGT TPG INI LUN_N TPGLUN|- LINK|- WP     a mapped LUN
 *   aclattrib TGT TPG INI NAME VALUE             attrib/NAME, a number
 *   aclattr TGT TPG INI NAME VALUE               NAME (cmdsn_depth), a number
 *   acltag TGT TPG INI HEX                       the tag, hex-encoded
 *   aclauth TGT TPG INI                          it had CHAP credentials
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fence.h"

#define ACL_TAG_MAX	64	/* LIO's MAX_ACL_TAG_SIZE */

/*
 * The answers below are 1 (yes), 0 (no) or -1 (cannot tell, said): see
 * probe_entry(). A leak check counts -1 as a way in, a step as a failure.
 */

/*
 * The sessions LIO lists in a portal group's dynamic_sessions (those of
 * dynamic ACLs, which demo mode made and which outlive turning it off),
 * each "NAME\n" and a NUL byte: 1 when @ini is one of them, else 0; -1
 * (said) when they cannot be read. *others counts the other names: a
 * dynamic session shows no address, so none of them can be shown not to
 * be the client under another name.
 */
static int iscsi_dynamic_sessions(const char *tgt, const char *tpg, const char *ini,
				  int *others)
{
	char p[PATH_MAX], *buf, *line, *save = NULL;
	int found = 0, fd;
	size_t len;

	*others = 0;
	if (fence_path(p, sizeof(p), LIO "/%s/%s/dynamic_sessions", tgt, tpg))
		return -1;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	buf = fd < 0 ? NULL : lc_read_fd_len(fd, 1 << 16, &len);
	if (!buf) {
		if (errno == ENOENT)
			return 0;
		lc_err("cannot read %s: %s", p, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		if (!buf[i])
			buf[i] = '\n';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(line, ini))
			found = 1;
		else
			(*others)++;
	}
	free(buf);
	return found;
}

/* Did a fence of ours, recorded, remove @ini's ACL from this group? */
static bool iscsi_acl_removed_by_us(const struct fence_job *job,
				    const char *tgt, unsigned int tpg,
				    const char *ini)
{
	char want[2048];

	if (fence_fmt(want, sizeof(want), "acl %s %u %s", tgt, tpg, ini))
		return false;
	for (int i = 0; i < job->nundo; i++)
		if (!strcmp(job->undo[i], want))
			return true;
	return false;
}

/* The ACLs of a portal group, for a message: "a, b" or "none". */
static void iscsi_acl_names(const char *tgt, unsigned int tpg, char *buf,
			    size_t len)
{
	char p[PATH_MAX];

	if (fence_path(p, sizeof(p), LIO "/%s/tpgt_%u/acls", tgt, tpg))
		snprintf(buf, len, "none");
	else
		dir_names(p, buf, len);
}

/* Does the LUN @lun of portal group @tpg link to a backstore on @sbid? */
static int iscsi_lun_on(const char *tgt, const char *tpg, const char *lun,
			const char *sbid)
{
	char dir[PATH_MAX], p[PATH_MAX], v[PATH_MAX];
	struct dirent *ke;
	int found = 0, r;
	DIR *kd;

	if (fence_path(dir, sizeof(dir), LIO "/%s/%s/lun/%s", tgt, tpg, lun))
		return -1;
	r = probe_dir(dir, &kd);
	if (r <= 0)
		return r ? -1 : 0;	/* gone: backed by nothing */
	/* The LUN's link to its backstore, whose udev_path names it. */
	while (found <= 0 && (r = probe_next(kd, dir, &ke)) > 0) {
		struct stat st;

		if (fence_join(p, sizeof(p), "%s/%s", dir, ke->d_name)) {
			found = -1;
			continue;
		}
		if (lstat(p, &st)) {
			if (errno != ENOENT) {
				lc_err("cannot read %s: %s", p, strerror(errno));
				found = -1;
			}
			continue;
		}
		if (!S_ISLNK(st.st_mode))
			continue;	/* an attribute, alua_tg_pt_gp, statistics */
		if (fence_join(p, sizeof(p), "%s/%s/udev_path", dir, ke->d_name) ||
		    probe_attr(p, v, sizeof(v)) <= 0)
			found = -1;	/* a backstore we cannot name */
		else
			found = any_of(found, same_device(v, sbid));
	}
	closedir(kd);
	return any_of(found, r < 0 ? -1 : 0);
}

/* Is a LUN of this portal group backed by the device @sbid? */
static int iscsi_tpg_exports(const char *tgt, const char *tpg,
			     const char *sbid)
{
	char dir[PATH_MAX];
	struct dirent *le;
	int found = 0, r;
	DIR *ld;

	if (fence_path(dir, sizeof(dir), LIO "/%s/%s/lun", tgt, tpg))
		return -1;
	r = probe_dir(dir, &ld);
	if (r <= 0)
		return r;	/* no LUNs: exports nothing */
	while (found <= 0 && (r = probe_next(ld, dir, &le)) > 0)
		if (!strncmp(le->d_name, "lun_", 4))
			found = any_of(found, iscsi_lun_on(tgt, tpg, le->d_name, sbid));
	closedir(ld);
	return any_of(found, r < 0 ? -1 : 0);
}

/*
 * Does an ACL's info show a connection from one of the client's addresses?
 * LIO prints each as "   Address ADDR TRANSPORT" under a line
 * "---[iSCSI Connections]---", after the session's InitiatorAlias, which
 * the initiator chooses and may fill with such lines: only those below
 * the last header count.
 */
static int iscsi_acl_from_client(const char *path, const struct lc_client *c)
{
	char *text = lc_read_file(path, 1 << 16), *line, *save = NULL, *conns, *h;
	int found = 0;

	if (!text) {
		if (errno == ENOENT)
			return 0;
		lc_err("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	conns = text;
	for (h = strstr(text, "[iSCSI Connections]"); h; h = strstr(h + 1, "[iSCSI Connections]"))
		conns = h;
	for (line = strtok_r(conns, "\n", &save); line && !found;
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

/* The ways into one portal group that may export the device (see below). */
static int iscsi_tpg_leaks(const struct lc_client *c, const char *ini,
			   const char *sbid, const char *tgt, const char *tpg,
			   bool exports)
{
	const char *how = exports ? "still exports" : "may export (cannot tell)";
	char dir[PATH_MAX], p[PATH_MAX], v[64];
	struct dirent *ae;
	int leaks = 0, r, others;
	DIR *ad;

	if (fence_path(p, sizeof(p), LIO "/%s/%s/attrib/generate_node_acls", tgt, tpg))
		return 1;
	r = probe_attr(p, v, sizeof(v));
	if (r < 0 || (r > 0 && strcmp(v, "0"))) {
		lc_err("%s %s %s %s %s", tgt, tpg, how, sbid,
		       r < 0 ? "and whether it is in demo mode cannot be told" :
		       "in demo mode: any initiator may log in");
		return 1;
	}
	r = iscsi_dynamic_sessions(tgt, tpg, ini, &others);
	if (r) {
		lc_err("%s %s %s %s to initiator %s through a dynamic session%s", tgt, tpg, how,
		       sbid, ini, r < 0 ? ", or cannot tell" : "");
		leaks++;
	}
	if (others) {
		lc_err("%s %s %s %s to %d dynamic session%s of other initiator names, which show no address: any may be client \"%s\"",
		       tgt, tpg, how, sbid, others, others == 1 ? "" : "s", c->name);
		leaks++;
	}
	if (fence_path(p, sizeof(p), LIO "/%s/%s/acls/%s", tgt, tpg, ini) ||
	    (r = probe_entry(p))) {
		lc_err("%s %s %s %s to initiator %s%s", tgt, tpg, how, sbid, ini,
		       r < 0 ? ", whose ACL cannot be told gone" : "");
		leaks++;
	}
	if (fence_path(dir, sizeof(dir), LIO "/%s/%s/acls", tgt, tpg))
		return leaks + 1;
	ad = opendir(dir);
	if (!ad) {
		lc_err("cannot read %s: %s", dir, strerror(errno));
		return leaks + 1;
	}
	while ((r = probe_next(ad, dir, &ae)) > 0) {
		int from;

		if (fence_join(p, sizeof(p), "%s/%s/info", dir, ae->d_name)) {
			leaks++;
			continue;
		}
		from = iscsi_acl_from_client(p, c);
		if (!from)
			continue;
		if (from > 0)
			lc_err("%s %s has a session from client \"%s\" as initiator %s, %s %s",
			       tgt, tpg, c->name, ae->d_name, how, sbid);
		else
			lc_err("%s %s: cannot tell whether initiator %s is client \"%s\"",
			       tgt, tpg, ae->d_name, c->name);
		leaks++;
	}
	closedir(ad);
	return leaks + (r < 0);
}

/*
 * After the fence, what still lets the client at the device: any portal
 * group of any target with a LUN on the device that is in demo mode, still
 * has an ACL of the initiator, or has a session from one of the client's
 * addresses under whatever name (a renamed initiator, another client's
 * ACL). Multipath setups export a device through several groups; each
 * must be cut. Returns the number of ways in, each said.
 */
static int iscsi_leaks(struct fence_job *job)
{
	const char *ini = job->client->iscsi_initiator, *sbid = job->sb->id;
	char top[PATH_MAX], p[PATH_MAX];
	struct dirent *te, *ge;
	DIR *td, *gd;
	int leaks = 0, r;

	if (fence_path(top, sizeof(top), LIO))
		return 1;
	td = leak_check_dir(LIO);
	if (!td)
		return 1;
	/* Targets are directories; LIO keeps lio_version and
	 * discovery_auth/ beside them. */
	while ((r = probe_next(td, top, &te)) > 0) {
		if (fence_join(p, sizeof(p), "%s/%s", top, te->d_name)) {
			leaks++;
			continue;
		}
		r = probe_isdir(p);
		if (r <= 0) {
			leaks += r < 0;
			continue;
		}
		r = probe_dir(p, &gd);
		if (r <= 0) {
			leaks += r < 0;
			continue;
		}
		while ((r = probe_next(gd, p, &ge)) > 0) {
			int exports;

			if (strncmp(ge->d_name, "tpgt_", 5))
				continue;
			exports = iscsi_tpg_exports(te->d_name, ge->d_name, sbid);
			if (exports)
				leaks += iscsi_tpg_leaks(job->client, ini, sbid, te->d_name,
							 ge->d_name, exports > 0);
		}
		leaks += r < 0;
		closedir(gd);
	}
	closedir(td);
	return leaks + (r < 0);
}

/* ---- What an ACL is made of, kept for unfence ---- */

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* An attribute we can keep: a regular file its owner may read and write
 * (configfs gives read-only ones 0444, write-only ones 0200). */
static bool attr_keepable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       (st.st_mode & (S_IRUSR | S_IWUSR)) == (S_IRUSR | S_IWUSR);
}

static void hex_encode(const char *s, char *out)
{
	static const char x[] = "0123456789abcdef";

	for (; *s; s++) {
		*out++ = x[(unsigned char)*s >> 4];
		*out++ = x[(unsigned char)*s & 15];
	}
	*out = '\0';
}

static int hex_decode(const char *s, char *out, size_t len)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 >= len)
		return -EINVAL;
	for (size_t i = 0; i < n; i += 2) {
		unsigned int b;

		if (sscanf(s + i, "%2x", &b) != 1 || !b)
			return -EINVAL;
		*out++ = b;
	}
	*out = '\0';
	return 0;
}

/* Journals the number attributes of directory @dir (the ACL or its
 * attrib/) as VERB lines. What cannot be kept is said. */
static int acl_save_numbers(struct fence_job *job, const char *dir,
			    const char *verb, const char *tgt, unsigned int tpg,
			    const char *ini)
{
	char p[PATH_MAX], v[64];
	struct dirent *de;
	int ret = LC_OK;
	DIR *d = opendir(dir);

	if (!d && errno != ENOENT)
		lc_notice("ACL %s of %s tpgt_%u: cannot read %s (%s), its attributes are not kept: unfence leaves them at their defaults",
			  ini, tgt, tpg, dir, strerror(errno));
	while (d && ret == LC_OK && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "tag") ||
		    fence_fmt(p, sizeof(p), "%s/%s", dir, de->d_name) ||
		    !attr_keepable(p) || !undo_word_ok(de->d_name))
			continue;
		if (lc_read_attr(p, v, sizeof(v)) || !all_digits(v)) {
			lc_notice("ACL %s of %s tpgt_%u: %s not kept, unfence leaves it at its default",
				  ini, tgt, tpg, de->d_name);
			continue;
		}
		if (journal_step(job, "%s %s %u %s %s %s", verb, tgt, tpg, ini,
				 de->d_name, v))
			ret = LC_EFAIL;
	}
	if (d)
		closedir(d);
	return ret;
}

/* Whether the ACL at @acl has CHAP credentials; when they cannot be read,
 * it is taken to have them. */
static bool acl_has_chap(const char *acl)
{
	static const char *const keys[] = {
		"userid", "password", "userid_mutual", "password_mutual",
	};
	char p[PATH_MAX], v[512];

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		int err;

		if (fence_fmt(p, sizeof(p), "%s/auth/%s", acl, keys[i]))
			return true;
		err = lc_read_attr(p, v, sizeof(v));
		if (err == -ENOENT)
			continue;
		if (err || (*v && strcmp(v, "NULL")))
			return true;
	}
	return false;
}

/*
 * Before the ACL at @acl is removed: what unfence needs to make it again,
 * journaled (see the top of this file). Reading changes nothing; a value
 * that cannot be kept is said and does not stop the fence.
 */
static int acl_save(struct fence_job *job, const char *acl, const char *tgt,
		    unsigned int tpg, const char *ini)
{
	char p[PATH_MAX], tag[ACL_TAG_MAX * 4], hex[sizeof(tag) * 2];

	if (fence_fmt(p, sizeof(p), "%s/attrib", acl) ||
	    acl_save_numbers(job, p, "aclattrib", tgt, tpg, ini) ||
	    acl_save_numbers(job, acl, "aclattr", tgt, tpg, ini))
		return LC_EFAIL;
	if (fence_fmt(p, sizeof(p), "%s/tag", acl) == 0 && attr_keepable(p) &&
	    lc_read_attr(p, tag, sizeof(tag)) == 0 && *tag) {
		hex_encode(tag, hex);
		if (journal_step(job, "acltag %s %u %s %s", tgt, tpg, ini, hex))
			return LC_EFAIL;
	}
	if (acl_has_chap(acl) && journal_step(job, "aclauth %s %u %s", tgt, tpg, ini))
		return LC_EFAIL;
	return LC_OK;
}

/*
 * A mapped LUN's link (named anything) to the portal group's LUN: its name
 * into @lname and the portal group LUN it leads to into @tpglun, "-" each
 * when there is none. -1 (said) when the mapped LUN cannot be read: the
 * link in it could not be removed.
 */
static int mapped_lun_link(const char *dir, char *lname, size_t llen,
			   char *tpglun, size_t tlen)	/* each at least 2 */
{
	char l[PATH_MAX], target[PATH_MAX], *base;
	struct dirent *le;
	ssize_t n;
	DIR *ld;
	int r;

	memcpy(lname, "-", 2);
	memcpy(tpglun, "-", 2);
	r = probe_dir(dir, &ld);
	if (!r)
		lc_err("cannot read mapped LUN %s: not there (a link to nothing?)", dir);
	if (r <= 0)
		return -1;
	while ((r = probe_next(ld, dir, &le)) > 0) {
		struct stat st;

		if (fence_fmt(l, sizeof(l), "%s/%s", dir, le->d_name) ||
		    lstat(l, &st) || !S_ISLNK(st.st_mode) ||
		    fence_fmt(lname, llen, "%s", le->d_name))
			continue;
		n = readlink(l, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		while (n > 1 && target[n - 1] == '/')
			target[--n] = '\0';
		base = strrchr(target, '/');
		base = base ? base + 1 : target;
		if (!undo_word_ok(base) || fence_fmt(tpglun, tlen, "%s", base)) {
			lc_err("mapped LUN %s: cannot tell the LUN its link %s leads to; unfence will not map it again",
			       dir, le->d_name);
			memcpy(tpglun, "-", 2);
		}
	}
	closedir(ld);
	return r;
}

/* Unmaps and removes one mapped LUN, @lun of ACL @acl, journaled first. */
static int unmap_lun(struct fence_job *job, const char *acl, const char *lun,
		     const char *tgt, unsigned int tpg, const char *ini)
{
	char q[PATH_MAX], p[PATH_MAX], lname[NAME_MAX + 1], tpglun[NAME_MAX + 1];
	char wp[16];
	int err;

	if (fence_fmt(q, sizeof(q), "%s/%s", acl, lun) ||
	    fence_fmt(p, sizeof(p), "%s/write_protect", q))
		return LC_EFAIL;
	if (mapped_lun_link(q, lname, sizeof(lname), tpglun, sizeof(tpglun)) < 0)
		return LC_EFAIL;
	/* One that cannot be read is kept as read-only: unfence then gives
	 * the client less than it had, never more. */
	if (probe_attr(p, wp, sizeof(wp)) <= 0 || !all_digits(wp)) {
		lc_notice("mapped LUN %s of ACL %s: write_protect unknown, unfence maps it read-only (write_protect=1)",
			  lun, ini);
		memcpy(wp, "1", 2);
	}
	if (journal_step(job, "lun %s %u %s %s %s %s %s", tgt, tpg, ini, lun,
			 strcmp(lname, "-") ? tpglun : "-", lname, wp))
		return LC_EFAIL;
	if (strcmp(lname, "-")) {
		if (fence_fmt(p, sizeof(p), "%s/%s", q, lname))
			return LC_EFAIL;
		if (unlink(p)) {
			err = errno;
			lc_err("unmap %s %s: %s", ini, lun, strerror(err));
			return errno_code(err);
		}
	}
	if (configfs_rmdir(q)) {
		err = errno;
		lc_err("remove %s %s: %s", ini, lun, strerror(err));
		return errno_code(err);
	}
	return LC_OK;
}

/* The configured portal group: there, exporting the device, by ACL only. */
static int iscsi_tpg_check(struct fence_job *job, const char *ini,
			   const char *tgt, unsigned int tpg)
{
	char p[PATH_MAX], v[64];
	int r, others;

	if (fence_path(p, sizeof(p), LIO "/%s/tpgt_%u", tgt, tpg))
		return LC_EFAIL;
	r = probe_entry(p);
	if (r <= 0) {
		if (!r)
			lc_err("iSCSI target %s portal group %u does not exist", tgt, tpg);
		return r ? LC_EFAIL : LC_ENOENT;
	}
	if (fence_fmt(v, sizeof(v), "tpgt_%u", tpg))
		return LC_EFAIL;
	r = iscsi_tpg_exports(tgt, v, job->sb->id);
	if (r < 0) {
		lc_err("cannot tell whether %s tpgt_%u exports %s; NOT fenced", tgt, tpg,
		       job->sb->id);
		return LC_EFAIL;
	}
	if (!r) {
		lc_err("%s tpgt_%u has no LUN backed by %s: are iscsi-target and iscsi-tpg of [sb \"%s\"] in %s right? NOT fenced",
		       tgt, tpg, job->sb->id, job->sb->id, job->conf->path);
		return LC_ECONF;
	}
	if (fence_path(p, sizeof(p), LIO "/%s/tpgt_%u/attrib/generate_node_acls", tgt, tpg))
		return LC_EFAIL;
	r = probe_attr(p, v, sizeof(v));
	if (r < 0)
		return LC_EFAIL;
	if (r && strcmp(v, "0")) {
		lc_err("%s tpgt_%u is in demo mode (generate_node_acls=1): any initiator may log in, it cannot be fenced by ACL",
		       tgt, tpg);
		return LC_EFAIL;
	}
	if (fence_fmt(v, sizeof(v), "tpgt_%u", tpg))
		return LC_EFAIL;
	r = iscsi_dynamic_sessions(tgt, v, ini, &others);
	if (r < 0)
		return LC_EFAIL;
	if (!r && others) {
		lc_err("%s tpgt_%u has %d dynamic session%s of other initiator names, left from demo mode; they show no address, so none can be shown not to be client \"%s\": NOT fenced",
		       tgt, tpg, others, others == 1 ? "" : "s", job->client->name);
		return LC_EFAIL;
	}
	if (r) {
		lc_err("initiator %s has a session on %s tpgt_%u through a dynamic ACL; it cannot be cut by ACL, NOT fenced",
		       ini, tgt, tpg);
		return LC_EFAIL;
	}
	return LC_OK;
}

/*
 * No ACL of @ini: no session of it can log in; but that shows the client
 * cut only if @ini is its name, which we know only when a fence of ours
 * removed the ACL. Otherwise it may be a misspelled iscsi-initiator, and
 * the client's own ACL stands.
 */
static int iscsi_no_acl(struct fence_job *job, const char *ini, const char *tgt,
			unsigned int tpg)
{
	char names[1024];

	if (iscsi_acl_removed_by_us(job, tgt, tpg, ini))
		return LC_OK;	/* the leak check decides */
	iscsi_acl_names(tgt, tpg, names, sizeof(names));
	lc_err("initiator %s (client \"%s\" in %s) has no ACL on %s tpgt_%u, and no fence recorded removing one: is iscsi-initiator right? ACLs there: %s; NOT fenced",
	       ini, job->client->name, job->conf->path, tgt, tpg, names);
	return LC_ENOENT;
}

static int iscsi_cut(struct fence_job *job)
{
	const char *ini = job->client->iscsi_initiator;
	const char *tgt = job->sb->iscsi_target;
	unsigned int tpg = job->sb->iscsi_tpg;
	char acl[PATH_MAX];
	struct dirent *de;
	int ret, r;
	DIR *d;

	if (!ini) {
		lc_err("client \"%s\" needs iscsi-initiator in %s", job->client->name,
		       job->conf->path);
		return LC_ECONF;
	}
	ret = iscsi_tpg_check(job, ini, tgt, tpg);
	if (ret)
		return ret;
	if (fence_path(acl, sizeof(acl), LIO "/%s/tpgt_%u/acls/%s", tgt, tpg, ini))
		return LC_EFAIL;
	ret = probe_entry(acl);
	if (ret < 0)
		return LC_EFAIL;
	if (!ret)
		return iscsi_no_acl(job, ini, tgt, tpg);
	ret = acl_save(job, acl, tgt, tpg, ini);
	if (ret)
		return ret;
	r = probe_dir(acl, &d);
	if (r <= 0)
		return r ? LC_EFAIL : iscsi_no_acl(job, ini, tgt, tpg);
	while (ret == LC_OK && (r = probe_next(d, acl, &de)) > 0)
		if (!strncmp(de->d_name, "lun_", 4))
			ret = unmap_lun(job, acl, de->d_name, tgt, tpg, ini);
	closedir(d);
	if (ret || r < 0)
		return ret ?: LC_EFAIL;
	if (journal_step(job, "acl %s %u %s", tgt, tpg, ini))
		return LC_EFAIL;
	if (configfs_rmdir(acl)) {
		int err = errno;

		lc_err("remove ACL %s: %s", ini, strerror(err));
		return errno_code(err);
	}
	return LC_OK;
}

/* The ACL an undo line names: TGT TPG INI are its words 1-3. */
static int undo_acl_path(const struct undo_line *u, char *p, size_t len)
{
	return fence_path(p, len, LIO "/%s/tpgt_%s/acls/%s", u->w[1], u->w[2], u->w[3]);
}

/* lun TGT TPG INI LUN_N TPGLUN LINKNAME WP */
static int undo_lun(const struct undo_line *u)
{
	char *const *a = u->w;
	char p[PATH_MAX], q[PATH_MAX];
	int err;

	if (!all_digits(a[7])) {
		lc_err("cannot undo \"%s\": bad link name or write_protect", u->text);
		return -EINVAL;
	}
	err = fence_path(p, sizeof(p), LIO "/%s/tpgt_%s/acls/%s/%s", a[1], a[2], a[3], a[4]);
	if (!err)
		err = configfs_mkdir(p);
	if (!err && strcmp(a[5], "-") && strcmp(a[6], "-")) {
		err = fence_path(q, sizeof(q), LIO "/%s/tpgt_%s/lun/%s", a[1], a[2], a[5]);
		if (!err)
			err = fence_path(p, sizeof(p), LIO "/%s/tpgt_%s/acls/%s/%s/%s",
					 a[1], a[2], a[3], a[4], a[6]);
		if (!err)
			err = configfs_symlink(q, p);
	}
	if (!err)
		err = fence_path(p, sizeof(p), LIO "/%s/tpgt_%s/acls/%s/%s/write_protect",
				 a[1], a[2], a[3], a[4]);
	if (!err)
		err = lc_write_file(p, a[7]);
	return err;
}

/* aclattr, aclattrib, acltag: an attribute of the ACL made again. */
static int undo_acl_attr(const struct undo_line *u)
{
	char *const *a = u->w;
	char acl[PATH_MAX], p[PATH_MAX], tag[ACL_TAG_MAX * 4];
	bool attrib = !strcmp(a[0], "aclattrib");
	int err = undo_acl_path(u, acl, sizeof(acl));

	if (err)
		return err;
	if (!strcmp(a[0], "acltag")) {
		if (hex_decode(a[4], tag, sizeof(tag))) {
			lc_err("cannot undo \"%s\": bad tag", u->text);
			return -EINVAL;
		}
		return fence_fmt(p, sizeof(p), "%s/tag", acl) ?: configfs_write(p, tag);
	}
	if (!all_digits(a[5])) {
		lc_err("cannot undo \"%s\": not a number", u->text);
		return -EINVAL;
	}
	err = fence_fmt(p, sizeof(p), "%s%s/%s", acl, attrib ? "/attrib" : "", a[4]);
	return err ?: configfs_write(p, a[5]);
}

/* How many words each of the iSCSI backend's undo lines has. */
static const struct undo_shape iscsi_shapes[] = {
	{ "acl", 4 }, { "lun", 8 }, { "aclattr", 6 }, { "aclattrib", 6 },
	{ "acltag", 5 }, { "aclauth", 4 },
};

/*
 * Before the first step of an unfence is undone, every line must be one
 * the backend can undo: its verb's number of words, a portal group number
 * for TPG; and an ACL that had CHAP credentials must have them again.
 */
static int iscsi_undo_check(struct fence_job *job, const struct undo_line *u)
{
	char acl[PATH_MAX];

	if (undo_shape_check(u, iscsi_shapes, sizeof(iscsi_shapes) / sizeof(iscsi_shapes[0])))
		return LC_EFAIL;
	if (!lc_all_digits(u->w[2])) {
		lc_err("cannot undo \"%s\": not a step layoutctl writes; nothing undone", u->text);
		return LC_EFAIL;
	}
	if (strcmp(u->w[0], "aclauth"))
		return LC_OK;
	if (u->n != 4 || undo_acl_path(u, acl, sizeof(acl)))
		return LC_EFAIL;
	if (path_exists(acl) && acl_has_chap(acl))
		return LC_OK;
	lc_err("the ACL of initiator %s on %s tpgt_%s had CHAP credentials, which layoutctl does not keep: it will not make it without them. Make the ACL again with its credentials (targetcli /iscsi/%s/tpg%s/acls create %s, then set auth userid=... password=...) and run unfence again: it restores the ACL's LUN mappings, attributes and tag. Nothing undone",
	       u->w[3], u->w[1], u->w[2], u->w[1], u->w[2], u->w[3]);
	return LC_EFAIL;
}

static int iscsi_undo(struct fence_job *job, const struct undo_line *u)
{
	const char *v = u->w[0];
	char p[PATH_MAX];
	int err;

	if (!strcmp(v, "acl") && u->n == 4) {
		err = undo_acl_path(u, p, sizeof(p));
		if (!err)
			err = configfs_mkdir(p);
	} else if (!strcmp(v, "lun") && u->n == 8) {
		err = undo_lun(u);
	} else if (((!strcmp(v, "aclattr") || !strcmp(v, "aclattrib")) && u->n == 6) ||
		   (!strcmp(v, "acltag") && u->n == 5)) {
		err = undo_acl_attr(u);
	} else if (!strcmp(v, "aclauth") && u->n == 4) {
		/* Checked before the first step (iscsi_undo_check()). */
		return iscsi_undo_check(job, u);
	} else {
		lc_err("cannot undo \"%s\"", u->text);
		return LC_EFAIL;
	}
	if (err == -EINVAL)
		return LC_EFAIL;	/* said */
	if (err) {
		lc_err("undo \"%s\": %s", u->text, strerror(-err));
		return errno_code(err);
	}
	return LC_OK;
}

static const char *const iscsi_verbs[] = {
	"acl", "lun", "aclattr", "aclattrib", "acltag", "aclauth", NULL,
};

const struct lc_backend_ops lc_iscsi_ops = {
	.name = "iscsi",
	.type = LC_BACKEND_ISCSI,
	.verbs = iscsi_verbs,
	.fence = fence_in_child,
	.cut = iscsi_cut,
	.leaks = iscsi_leaks,
	.undo_check = iscsi_undo_check,
	.undo = iscsi_undo,
};
