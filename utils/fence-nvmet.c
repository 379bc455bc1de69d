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

/*
 * The answers below are 1 (yes), 0 (no) or -1 (cannot tell, said): see
 * probe_entry(). A leak check counts -1 as a way in, a step as a failure.
 * Over several entries a yes wins, then a cannot-tell (any_of()).
 *
 * nvmet takes a link of any name in a port's subsystems/ and in a
 * subsystem's allowed_hosts/ (and refuses a second one to the same
 * subsystem or host), so a link is known by what it leads to, never by
 * its name (find_link()).
 */
/* Is subsystem @nqn linked to any port? */
static int subsys_on_port(const char *nqn)
{
	char dir[PATH_MAX], p[PATH_MAX], link[PATH_MAX];
	struct dirent *de;
	int on = 0, r;
	DIR *d;

	if (fence_path(dir, sizeof(dir), NVMET "/ports"))
		return -1;
	r = probe_dir(dir, &d);
	if (r <= 0)
		return r;	/* no ports: on none */
	while (on <= 0 && (r = probe_next(d, dir, &de)) > 0) {
		/* A name that does not fit cannot be shown off the port. */
		if (fence_join(p, sizeof(p), "%s/%s/subsystems", dir, de->d_name))
			on = -1;
		else
			on = any_of(on, find_link(p, nqn, link, sizeof(link)));
	}
	closedir(d);
	return any_of(on, r < 0 ? -1 : 0);
}

/*
 * Is namespace @ns of @subsys enabled? 0 also for what is not a namespace
 * (no enable attribute). @p then names its enable attribute.
 */
static int ns_enabled(const char *subsys, const char *ns, char *p, size_t len)
{
	char v[64];
	int r;

	if (fence_path(p, len, NVMET "/subsystems/%s/namespaces/%s/enable", subsys, ns))
		return -1;
	r = probe_attr(p, v, sizeof(v));
	return r <= 0 ? r : !strcmp(v, "1");
}

/* Does subsystem @subsys have an enabled namespace on sbid's device? */
static int subsys_exposes(const char *subsys, const char *sbid)
{
	char dir[PATH_MAX], p[PATH_MAX], v[PATH_MAX];
	struct dirent *ne;
	int exposes = 0, r;
	DIR *nd;

	if (fence_path(dir, sizeof(dir), NVMET "/subsystems/%s/namespaces", subsys))
		return -1;
	r = probe_dir(dir, &nd);
	if (r <= 0)
		return r;	/* no namespaces: exposes nothing */
	while (exposes <= 0 && (r = probe_next(nd, dir, &ne)) > 0) {
		int on = ns_enabled(subsys, ne->d_name, p, sizeof(p));

		if (on <= 0) {
			exposes = any_of(exposes, on);
			continue;
		}
		/* An enabled namespace has a device_path: without one, the
		 * device it exposes cannot be told. */
		if (fence_join(p, sizeof(p), "%s/%s/device_path", dir, ne->d_name) ||
		    probe_attr(p, v, sizeof(v)) <= 0)
			exposes = -1;
		else
			exposes = any_of(exposes, same_device(v, sbid));
	}
	closedir(nd);
	return any_of(exposes, r < 0 ? -1 : 0);
}

/* May @host connect to subsystem @subsys? */
static int subsys_allows(const char *subsys, const char *host)
{
	char p[PATH_MAX], v[64], link[PATH_MAX];
	int any;

	if (fence_path(p, sizeof(p), NVMET "/subsystems/%s/attr_allow_any_host", subsys))
		return -1;
	any = probe_attr(p, v, sizeof(v));
	if (any > 0)
		any = !strcmp(v, "1");
	if (fence_path(p, sizeof(p), NVMET "/subsystems/%s/allowed_hosts", subsys))
		return -1;
	return any_of(any, find_link(p, host, link, sizeof(link)));
}

/*
 * After a fence: does any subsystem still expose sbid's device, through
 * an enabled namespace and a port, to this host? Says each one found, and
 * each one it cannot tell of.
 */
static int nvmet_leaks(struct fence_job *job)
{
	const char *host = job->client->nvme_host, *sbid = job->sb->id;
	char dir[PATH_MAX];
	struct dirent *de;
	int leaks = 0, r;
	DIR *d;

	if (fence_path(dir, sizeof(dir), NVMET "/subsystems"))
		return 1;
	d = leak_check_dir(NVMET "/subsystems");
	if (!d)
		return 1;
	while ((r = probe_next(d, dir, &de)) > 0) {
		int e, o = 0, a = 0;

		e = subsys_exposes(de->d_name, sbid);
		if (e)
			o = subsys_on_port(de->d_name);
		if (o)
			a = subsys_allows(de->d_name, host);
		if (!a)
			continue;
		if (e > 0 && o > 0 && a > 0)
			lc_err("subsystem %s still exposes %s to host %s", de->d_name, sbid, host);
		else
			lc_err("cannot tell whether subsystem %s still exposes %s to host %s",
			       de->d_name, sbid, host);
		leaks++;
	}
	closedir(d);
	return leaks + (r < 0);
}

/* 1. Off every port: deletes the host's live controllers, whose queues
 *    flush what they still hold. */
static int unlink_ports(struct fence_job *job, const char *nqn)
{
	char dir[PATH_MAX], p[PATH_MAX], link[PATH_MAX];
	struct dirent *de;
	int ret = LC_OK, r, linked;
	DIR *d;

	if (fence_path(dir, sizeof(dir), NVMET "/ports"))
		return LC_EFAIL;
	r = probe_dir(dir, &d);
	if (r <= 0)
		return r ? LC_EFAIL : LC_OK;	/* no ports: on none */
	while (ret == LC_OK && (r = probe_next(d, dir, &de)) > 0) {
		if (fence_join(p, sizeof(p), "%s/%s/subsystems", dir, de->d_name)) {
			ret = LC_EFAIL;
			break;
		}
		/* Under any name; unfence links it again under the NQN's. */
		linked = find_link(p, nqn, link, sizeof(link));
		if (linked < 0)
			ret = LC_EFAIL;
		if (linked <= 0)
			continue;
		if (journal_step(job, "port %s %s", de->d_name, nqn)) {
			ret = LC_EFAIL;
		} else if (unlink(link)) {
			int err = errno;

			lc_err("unlink %s from port %s: %s", nqn, de->d_name, strerror(err));
			ret = errno_code(err);
		}
	}
	closedir(d);
	return ret ?: (r < 0 ? LC_EFAIL : LC_OK);
}

/* 2. No reconnect, should the subsystem be linked again by hand. */
static int disallow_host(struct fence_job *job, const char *nqn, const char *host)
{
	char p[PATH_MAX], v[64], link[PATH_MAX];
	int err, r;

	if (fence_path(p, sizeof(p), NVMET "/subsystems/%s/allowed_hosts", nqn))
		return LC_EFAIL;
	r = find_link(p, host, link, sizeof(link));
	if (r < 0)
		return LC_EFAIL;
	if (r) {
		if (journal_step(job, "host %s %s", nqn, host))
			return LC_EFAIL;
		if (unlink(link)) {
			err = errno;
			lc_err("remove host %s from %s: %s", host, nqn, strerror(err));
			return errno_code(err);
		}
	}
	if (fence_path(p, sizeof(p), NVMET "/subsystems/%s/attr_allow_any_host", nqn))
		return LC_EFAIL;
	r = probe_attr(p, v, sizeof(v));
	if (r < 0)
		return LC_EFAIL;
	if (r && !strcmp(v, "1")) {
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
	char dir[PATH_MAX], p[PATH_MAX];
	struct dirent *de;
	int ret = LC_OK, r;
	DIR *d;

	if (fence_path(dir, sizeof(dir), NVMET "/subsystems/%s/namespaces", nqn))
		return LC_EFAIL;
	r = probe_dir(dir, &d);
	if (r <= 0)
		return r ? LC_EFAIL : LC_OK;	/* no namespaces: none to disable */
	while (ret == LC_OK && (r = probe_next(d, dir, &de)) > 0) {
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
	closedir(d);
	return ret ?: (r < 0 ? LC_EFAIL : LC_OK);
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
	char p[PATH_MAX], v[64], names[1024], link[PATH_MAX];
	int r;

	if (fence_path(p, sizeof(p), NVMET "/subsystems/%s/allowed_hosts", nqn))
		return LC_EFAIL;
	r = find_link(p, host, link, sizeof(link));
	if (r < 0)
		return LC_EFAIL;
	if (r || host_removed_by_us(job, nqn, host))
		return LC_OK;
	if (fence_path(p, sizeof(p), NVMET "/subsystems/%s/attr_allow_any_host", nqn))
		return LC_EFAIL;
	r = probe_attr(p, v, sizeof(v));
	if (r < 0)
		return LC_EFAIL;
	if (r && !strcmp(v, "1"))
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
	if (fence_path(p, sizeof(p), NVMET "/subsystems/%s", nqn))
		return LC_EFAIL;
	ret = probe_entry(p);
	if (ret < 0)
		return LC_EFAIL;
	if (!ret) {
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
