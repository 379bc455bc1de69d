// SPDX-License-Identifier: GPL-2.0
/*
 * The nvmet backend: each client reaches the device through a subsystem
 * of its own (nvmet-subsystem in its [client] section). Fencing unlinks
 * that subsystem from every port, which deletes the client's live
 * controllers, removes the host from allowed_hosts, and disables the
 * subsystem's namespaces, which waits for the client's requests still in
 * flight. Removing a host from allowed_hosts alone would not do: nvmet
 * checks it only when a host connects. Last it checks that no other
 * subsystem linked to a port still exposes the same device to this host.
 *
 * Undo lines: "port PORT NQN", "host NQN HOST", "anyhost NQN", "ns NQN NSID".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fence.h"

static const char *client_nqn(const struct lc_client *c, const char *sbid)
{
	for (int i = 0; i < c->nsubsys; i++)
		if (!strcmp(c->subsys[i].sbid, sbid))
			return c->subsys[i].nqn;
	return NULL;
}

/* Is subsystem nqn linked to any port? */
static bool subsys_on_port(const char *nqn)
{
	char p[PATH_MAX];
	struct dirent *de;
	bool on = false;
	DIR *d;

	if (fence_path(p, sizeof(p), NVMET "/ports"))
		return true;
	d = opendir(p);
	if (!d)
		return false;
	while (!on && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		/* A name that does not fit cannot be shown off the port. */
		if (fence_path(p, sizeof(p), NVMET "/ports/%s/subsystems/%s",
			       de->d_name, nqn) || path_exists(p))
			on = true;
	}
	closedir(d);
	return on;
}

/*
 * Is namespace @ns of @subsys enabled? 1 yes (@p then names its enable
 * attribute), 0 no or not a namespace, -1 its path does not fit (said).
 */
static int ns_enabled(const char *subsys, const char *ns, char *p, size_t len)
{
	char v[64];

	if (ns[0] == '.')
		return 0;
	if (fence_path(p, len, NVMET "/subsystems/%s/namespaces/%s/enable", subsys, ns))
		return -1;
	return !lc_read_attr(p, v, sizeof(v)) && !strcmp(v, "1");
}

/* Does subsystem @subsys have an enabled namespace on sbid's device? */
static bool subsys_exposes(const char *subsys, const char *sbid)
{
	char p[PATH_MAX], v[PATH_MAX];
	struct dirent *ne;
	bool exposes = false;
	DIR *nd;

	if (fence_path(p, sizeof(p), NVMET "/subsystems/%s/namespaces", subsys))
		return true;
	nd = opendir(p);
	if (!nd)
		return true;	/* cannot tell: assume it does */
	while (!exposes && (ne = readdir(nd))) {
		int on = ns_enabled(subsys, ne->d_name, p, sizeof(p));

		if (on < 0) {
			exposes = true;
			break;
		}
		if (!on)
			continue;
		if (fence_path(p, sizeof(p), NVMET "/subsystems/%s/namespaces/%s/device_path",
			       subsys, ne->d_name))
			exposes = true;
		else if (lc_read_attr(p, v, sizeof(v)) == 0 && same_device(v, sbid))
			exposes = true;
	}
	closedir(nd);
	return exposes;
}

/* May @host connect to subsystem @subsys? */
static bool subsys_allows(const char *subsys, const char *host)
{
	char p[PATH_MAX], v[64];

	if (fence_path(p, sizeof(p), NVMET "/subsystems/%s/attr_allow_any_host", subsys))
		return true;
	if (lc_read_attr(p, v, sizeof(v)) == 0 && !strcmp(v, "1"))
		return true;
	if (fence_path(p, sizeof(p), NVMET "/subsystems/%s/allowed_hosts/%s",
		       subsys, host))
		return true;
	return path_exists(p);
}

/*
 * After a fence: does any subsystem still expose sbid's device, through
 * an enabled namespace and a port, to this host? Says each one found.
 */
static int nvmet_leaks(struct fence_job *job)
{
	const char *host = job->client->nvme_host, *sbid = job->sb->id;
	struct dirent *de;
	int leaks = 0;
	DIR *d;

	d = leak_check_dir(NVMET "/subsystems");
	if (!d)
		return 1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (!subsys_exposes(de->d_name, sbid) || !subsys_on_port(de->d_name) ||
		    !subsys_allows(de->d_name, host))
			continue;
		lc_err("subsystem %s still exposes %s to host %s", de->d_name, sbid, host);
		leaks++;
	}
	closedir(d);
	return leaks;
}

/* 1. Off every port: deletes the host's live controllers, whose queues
 *    flush what they still hold. */
static int unlink_ports(struct fence_job *job, const char *nqn)
{
	char p[PATH_MAX];
	struct dirent *de;
	int ret = LC_OK;
	DIR *d;

	if (fence_path(p, sizeof(p), NVMET "/ports"))
		return LC_EFAIL;
	d = opendir(p);
	while (d && ret == LC_OK && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (fence_path(p, sizeof(p), NVMET "/ports/%s/subsystems/%s",
			       de->d_name, nqn)) {
			ret = LC_EFAIL;
			break;
		}
		if (!path_exists(p))
			continue;
		if (journal_step(job, "port %s %s", de->d_name, nqn)) {
			ret = LC_EFAIL;
		} else if (unlink(p)) {
			int err = errno;

			lc_err("unlink %s from port %s: %s", nqn, de->d_name, strerror(err));
			ret = errno_code(err);
		}
	}
	if (d)
		closedir(d);
	return ret;
}

/* 2. No reconnect, should the subsystem be linked again by hand. */
static int disallow_host(struct fence_job *job, const char *nqn, const char *host)
{
	char p[PATH_MAX], v[64];
	int err;

	if (fence_path(p, sizeof(p), NVMET "/subsystems/%s/allowed_hosts/%s", nqn, host))
		return LC_EFAIL;
	if (path_exists(p)) {
		if (journal_step(job, "host %s %s", nqn, host))
			return LC_EFAIL;
		if (unlink(p)) {
			err = errno;
			lc_err("remove host %s from %s: %s", host, nqn, strerror(err));
			return errno_code(err);
		}
	}
	if (fence_path(p, sizeof(p), NVMET "/subsystems/%s/attr_allow_any_host", nqn))
		return LC_EFAIL;
	if (lc_read_attr(p, v, sizeof(v)) == 0 && !strcmp(v, "1")) {
		if (journal_step(job, "anyhost %s", nqn))
			return LC_EFAIL;
		err = lc_write_file(p, "0");
		if (err) {
			lc_err("clear allow_any_host of %s: %s", nqn, strerror(-err));
			return errno_code(err);
		}
	}
	return LC_OK;
}

/* 3. Namespaces off: nvmet_ns_disable() waits for the requests still in
 *    flight, so none of the client's writes lands after we return. */
static int disable_namespaces(struct fence_job *job, const char *nqn)
{
	char p[PATH_MAX];
	struct dirent *de;
	int ret = LC_OK;
	DIR *d;

	if (fence_path(p, sizeof(p), NVMET "/subsystems/%s/namespaces", nqn))
		return LC_EFAIL;
	d = opendir(p);
	while (d && ret == LC_OK && (de = readdir(d))) {
		int err, on = ns_enabled(nqn, de->d_name, p, sizeof(p));

		if (on < 0) {
			ret = LC_EFAIL;
			break;
		}
		if (!on)
			continue;
		if (journal_step(job, "ns %s %s", nqn, de->d_name)) {
			ret = LC_EFAIL;
			break;
		}
		err = lc_write_file(p, "0");
		if (err) {
			lc_err("disable namespace %s of %s: %s", de->d_name, nqn,
			       strerror(-err));
			ret = errno_code(err);
		}
	}
	if (d)
		closedir(d);
	return ret;
}

/* Did a fence of ours, recorded, remove @host from @nqn's allowed hosts? */
static bool host_removed_by_us(const struct fence_job *job, const char *nqn, const char *host)
{
	char want[1024];

	if (fence_fmt(want, sizeof(want), "host %s %s", nqn, host))
		return false;
	for (int i = 0; i < job->nundo; i++)
		if (!strcmp(job->undo[i], want))
			return true;
	return false;
}

/* The allowed hosts of a subsystem, for a message: "a, b" or "none". */
static void allowed_names(const char *nqn, char *buf, size_t len)
{
	char p[PATH_MAX];

	if (fence_path(p, sizeof(p), NVMET "/subsystems/%s/allowed_hosts", nqn))
		snprintf(buf, len, "none");
	else
		dir_names(p, buf, len);
}

/*
 * Is @host the one the client connects to its subsystem with? Its name
 * in allowed_hosts says so, or a recorded fence of ours that removed it.
 * Otherwise nvme-host is wrong (a typo, another host's NQN): cutting that
 * name off would leave the client's real one, and the leak check, which
 * looks for the configured name, would not see another subsystem that
 * lets the real one in. A subsystem that allows any host names none: the
 * fence turns that off, and the leak check counts any subsystem that
 * allows any host on the device as a way in.
 */
static int host_known(const struct fence_job *job, const char *nqn, const char *host)
{
	char p[PATH_MAX], v[64], names[1024];

	if (fence_path(p, sizeof(p), NVMET "/subsystems/%s/allowed_hosts/%s", nqn, host))
		return LC_EFAIL;
	if (path_exists(p) || host_removed_by_us(job, nqn, host))
		return LC_OK;
	if (fence_path(p, sizeof(p), NVMET "/subsystems/%s/attr_allow_any_host", nqn))
		return LC_EFAIL;
	if (!lc_read_attr(p, v, sizeof(v)) && !strcmp(v, "1"))
		return LC_OK;
	allowed_names(nqn, names, sizeof(names));
	lc_err("host %s (client \"%s\" in %s) is not an allowed host of %s, and no fence recorded removing it: is nvme-host right? allowed hosts there: %s; NOT fenced",
	       host, job->client->name, job->conf->path, nqn, names);
	return LC_ENOENT;
}

static int nvmet_cut(struct fence_job *job)
{
	const char *nqn = client_nqn(job->client, job->sb->id);
	const char *host = job->client->nvme_host;
	char p[PATH_MAX];
	int ret;

	if (!nqn || !host) {
		lc_err("client \"%s\" needs nvme-host and nvmet-subsystem = %s NQN in %s",
		       job->client->name, job->sb->id, job->conf->path);
		return LC_ECONF;
	}
	if (fence_path(p, sizeof(p), NVMET "/subsystems/%s", nqn) || !path_exists(p)) {
		lc_err("nvmet subsystem %s does not exist", nqn);
		return LC_ENOENT;
	}
	ret = host_known(job, nqn, host);
	if (!ret)
		ret = unlink_ports(job, nqn);
	if (!ret)
		ret = disallow_host(job, nqn, host);
	if (!ret)
		ret = disable_namespaces(job, nqn);
	return ret;
}

/* Before the first step of an unfence is undone: every line one of ours. */
static int nvmet_undo_check(struct fence_job *job, const struct undo_line *u)
{
	static const struct undo_shape shapes[] = {
		{ "ns", 3 }, { "port", 3 }, { "host", 3 }, { "anyhost", 2 },
	};

	return undo_shape_check(u, shapes, sizeof(shapes) / sizeof(shapes[0]));
}

static int nvmet_undo(struct fence_job *job, const struct undo_line *u)
{
	char *const *a = u->w;
	char p[PATH_MAX], q[PATH_MAX];
	int err;

	if (!strcmp(a[0], "ns") && u->n == 3) {
		err = fence_path(p, sizeof(p), NVMET "/subsystems/%s/namespaces/%s/enable",
				 a[1], a[2]);
		if (!err)
			err = lc_write_file(p, "1");
	} else if (!strcmp(a[0], "port") && u->n == 3) {
		err = fence_path(p, sizeof(p), NVMET "/ports/%s/subsystems/%s", a[1], a[2]);
		if (!err)
			err = fence_path(q, sizeof(q), NVMET "/subsystems/%s", a[2]);
		if (!err)
			err = configfs_symlink(q, p);
	} else if (!strcmp(a[0], "host") && u->n == 3) {
		err = fence_path(p, sizeof(p), NVMET "/subsystems/%s/allowed_hosts/%s",
				 a[1], a[2]);
		if (!err)
			err = fence_path(q, sizeof(q), NVMET "/hosts/%s", a[2]);
		if (!err)
			err = configfs_symlink(q, p);
	} else if (!strcmp(a[0], "anyhost") && u->n == 2) {
		err = fence_path(p, sizeof(p), NVMET "/subsystems/%s/attr_allow_any_host", a[1]);
		if (!err)
			err = lc_write_file(p, "1");
	} else {
		lc_err("cannot undo \"%s\"", u->text);
		return LC_EFAIL;
	}
	if (err) {
		lc_err("undo \"%s\": %s", u->text, strerror(-err));
		return errno_code(err);
	}
	return LC_OK;
}

static const char *const nvmet_verbs[] = { "port", "host", "anyhost", "ns", NULL };

const struct lc_backend_ops lc_nvmet_ops = {
	.name = "nvmet",
	.type = LC_BACKEND_NVMET,
	.verbs = nvmet_verbs,
	.fence = fence_in_child,
	.cut = nvmet_cut,
	.leaks = nvmet_leaks,
	.undo_check = nvmet_undo_check,
	.undo = nvmet_undo,
};
