// SPDX-License-Identifier: GPL-2.0
/*
 * layoutctl fence / unfence / fenced, and nfsd-recall-failed: the command
 * line and the order of things. The backends are in fence-nvmet.c,
 * fence-iscsi.c and fence-command.c behind struct lc_backend_ops
 * (fence.h); the records, their journals and locks in record.c.
 *
 * nfsd runs "/sbin/nfsd-recall-failed CLIENT-ADDRESS SB-ID" when a pNFS
 * block client did not return a recalled layout in time. Before it may
 * exit 0, the client must be unable to reach the exported block device:
 * no new connection, no live one, and no write of its still in flight.
 *
 * A fence takes the record's lock, writes the record, marked incomplete,
 * and opens its journal; the backend journals how to undo each step
 * before it takes it, in a child process with a time limit that holds
 * nothing of the parent's, dies with it and leads its own process group
 * (lc_run()); last the journal is merged into the record, complete only
 * when the backend showed the client cut. An unfence undoes the record's
 * steps in reverse order, each by the backend whose verb starts it, once
 * every backend has said that all of them can be undone.
 *
 * nfsd kills its helper one lease period after starting it; as
 * nfsd-recall-failed the whole run is bounded by the lease, less a margin
 * for killing the backend and saving the record (helper_limit()), so that
 * the helper's answer is never lost to the kill.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libsmartcols.h>

#include "fence.h"

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
 * The record, locked, before the backend starts: loaded with the steps of
 * an interrupted fence (they count as done), marked incomplete, written,
 * and its journal opened into job->journal. *had: a record was there.
 */
static int fence_begin(struct fence_job *job, struct state *st, const char *name,
		       const char *what, struct record *r, bool *had)
{
	int err = record_load(st, name, r, true);

	if (err && err != -ENOENT) {
		lc_err("%s: record %s/%s unusable (%s); NOT fenced", what, st->dir, name,
		       strerror(-err));
		return errno_code(err);
	}
	*had = err == 0;
	if (*had) {
		/* What earlier fences did: the backend may find it done. */
		job->undo = r->undo;
		job->nundo = r->nundo;
		err = 0;
	} else {
		err = record_init(r, job->client->name, job->sb->id);
	}
	if (!err)
		err = record_set(r->address, sizeof(r->address), job->addr) ?:
		      record_set(r->backend, sizeof(r->backend), job->ops->name);
	/* Recorded before the first step, incomplete until the backend is done. */
	r->complete = 0;
	if (!err)
		err = record_write(st, name, r);
	if (!err) {
		job->journal = journal_open(st, name);
		if (job->journal < 0)
			err = job->journal;
	}
	if (err) {
		lc_err("%s: cannot record it in %s/%s: %s; nothing done", what, st->dir,
		       name, strerror(-err));
		if (!*had)
			state_remove(st, name, NULL);
		record_free(r);
		return errno_code(err);
	}
	return LC_OK;
}

/* After the backend (its exit code @ret): the journal merged into the
 * record, which is complete only when the fence is. Returns the code. */
static int fence_end(struct state *st, const char *name, const char *what,
		     struct record *r, bool had, int ret)
{
	bool journal;
	int err = journal_fold(st, name, r, &journal);

	if (!err) {
		r->complete = ret == LC_OK;
		/* A failure that changed nothing leaves no record behind. */
		if (!had && !r->nundo && ret != LC_OK)
			err = state_remove(st, name, NULL);
		else
			err = record_write(st, name, r);
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
	return ret;
}

/*
 * Applies the fence for (client, sb) under the record's lock; all done by
 * @deadline, which bounds the lock wait and the backend together (@limit
 * is its length, for messages).
 */
static int fence_apply(struct lc_conf *conf, struct lc_client *client,
		       struct lc_sb *sb, const char *addr, struct state *st,
		       int64_t deadline, unsigned int limit)
{
	struct fence_job job = {
		.conf = conf, .client = client, .sb = sb, .addr = addr,
		.ops = backend_ops(sb->backend), .deadline = deadline, .journal = -1,
	};
	char name[RECORD_NAME_MAX + 1], what[512];
	struct record r;
	bool had = false;
	int ret, lock;

	if (!job.ops)
		return LC_ECONF;
	if (job.ops->prepare) {
		ret = job.ops->prepare(&job);
		if (ret)
			return ret;
	}
	if (record_name(name, sizeof(name), client->name, sb->id) ||
	    fence_fmt(what, sizeof(what), "fence of client %s (%s) off %s",
		      client->name, addr, sb->id)) {
		lc_err("fence of client %s off %s: names too long", client->name, sb->id);
		return LC_ECONF;
	}
	lock = record_lock(st, name, deadline);
	if (lock < 0)
		return lock_failed(lock, what, name, limit);
	ret = fence_begin(&job, st, name, what, &r, &had);
	if (ret) {
		close(lock);
		return ret;
	}
	ret = job.ops->fence(&job);
	close(job.journal);
	ret = fence_end(st, name, what, &r, had, ret);
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

	if (fence_path(p, sizeof(p), "/proc/fs/nfsd/nfsv4leasetime") ||
	    lc_read_attr(p, v, sizeof(v)) || lc_parse_u32(v, 1, 3600, &lease)) {
		lc_err("cannot read nfsd's lease time from %s/proc/fs/nfsd/nfsv4leasetime; taking nfsd's default, %u s",
		       lc_root(), LC_LEASE_DEFAULT);
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
		lc_err("bad client address (IPv4 or IPv6 expected); nothing fenced");
		return LC_EUSAGE;
	}
	if (!lc_valid_sbid(sbid)) {
		lc_err("bad SB-ID (a block device name such as pmem0 expected); nothing fenced");
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
		return state_open_code(ret);
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

	while ((c = lc_getopt(argc, argv, "c:h", conf_opts)) != -1) {
		switch (c) {
		case 'c': conf = optarg; break;
		case 'h': fputs(fence_usage, stdout); return LC_OK;
		default: return LC_EUSAGE;
		}
	}
	if (argc - optind != 2)
		return lc_usage_error("CLIENT-ADDRESS and SB-ID expected");
	return lc_fence_main(conf, argv[optind], argv[optind + 1], false);
}

static const char unfence_usage[] =
"usage: layoutctl unfence [--config FILE] CLIENT SB-ID\n"
"Undo a fence: CLIENT is the client's name in the configuration or one of\n"
"its addresses. The steps the fence took are undone in reverse order.\n";

/* The backend that undoes an undo line; NULL, said, for one it cannot. */
static const struct lc_backend_ops *undo_backend(const char *line,
						  struct undo_line *u)
{
	const struct lc_backend_ops *ops;

	if (undo_split(line, u))
		return NULL;
	ops = backend_of_verb(u->w[0]);
	if (!ops)
		lc_err("cannot undo \"%s\"", line);
	return ops;
}

/*
 * Child of unfence: undoes the record's steps in reverse order, saying
 * "done=LINE" for each. Every line is understood and every backend's
 * check passed before the first step, so that an unfence that cannot
 * finish changes nothing.
 */
static int undo_steps(void *arg, int fd)
{
	struct fence_job *job = arg;
	const struct lc_backend_ops *ops;
	struct undo_line u;
	int i, ret;

	for (i = job->nundo - 1; i >= 0; i--) {
		ops = undo_backend(job->undo[i], &u);
		if (!ops)
			return LC_EFAIL;
		if (ops->undo_check) {
			ret = ops->undo_check(job, &u);
			if (ret)
				return ret;
		}
	}
	for (i = job->nundo - 1; i >= 0; i--) {
		ops = undo_backend(job->undo[i], &u);
		if (!ops)
			return LC_EFAIL;
		ret = ops->undo(job, &u);
		if (ret)
			return ret;
		say(fd, "done=%s\n", job->undo[i]);
	}
	return LC_OK;
}

/* In the parent, before the undo: what the record's backends need
 * (command_check() for a command, whose [sb] must still be there). */
static int unfence_prepare(struct fence_job *job, bool sb_configured,
			   const char *path)
{
	const struct lc_backend_ops *done[8];
	int ndone = 0;

	for (int i = 0; i < job->nundo; i++) {
		const struct lc_backend_ops *ops;
		char verb[16];
		size_t n = strcspn(job->undo[i], " ");
		bool seen = false;
		int ret;

		/* A line of no backend is refused by undo_steps(), before any
		 * step is undone. */
		if (n >= sizeof(verb))
			continue;
		memcpy(verb, job->undo[i], n);
		verb[n] = '\0';
		ops = backend_of_verb(verb);
		if (!ops || !ops->prepare)
			continue;
		for (int k = 0; k < ndone; k++)
			seen |= done[k] == ops;
		if (seen)
			continue;
		if (!sb_configured) {
			lc_err("[sb \"%s\"] with its %s is gone from %s",
			       job->sb->id, ops->name, path);
			return LC_ECONF;
		}
		ret = ops->prepare(job);
		if (ret)
			return ret;
		if (ndone < (int)(sizeof(done) / sizeof(done[0])))
			done[ndone++] = ops;
	}
	return LC_OK;
}

/* Undoes record r (@name, locked) of job's client; returns the exit code. */
static int unfence_record(struct fence_job *job, struct state *st,
			  const char *name, struct record *r)
{
	char *out = NULL;
	int ret, err;

	/* Once steps are undone the client may reach the device again: the
	 * record says so before the first one. */
	if (r->complete) {
		r->complete = 0;
		err = record_write(st, name, r);
		if (err) {
			lc_err("cannot update record %s/%s: %s; nothing undone",
			       st->dir, name, strerror(-err));
			return LC_EFAIL;
		}
	}
	ret = lc_run_limited(undo_steps, job, job->deadline, NULL, 0, &out);
	if (ret == LC_OK) {
		err = state_remove(st, name, NULL);
		if (err) {
			lc_err("cannot remove record %s/%s: %s", st->dir, name,
			       strerror(-err));
			ret = LC_EFAIL;
		} else {
			lc_notice("client %s unfenced from %s", job->client->name, r->sb);
		}
	} else {
		/* Keep what is still undone. */
		record_drop_done(r, out);
		err = record_write(st, name, r);
		lc_err("unfence of client %s from %s FAILED (exit %d); record kept%s",
		       job->client->name, r->sb, ret,
		       err ? ", but not updated with the steps undone" : "");
	}
	free(out);
	return ret;
}

/* The record's lock taken, the record loaded with the steps of an
 * interrupted fence (exactly those are undone), and undone. */
static int unfence_locked(struct fence_job *job, struct state *st,
			  const char *name, const char *sbid, bool sb_configured,
			  const char *path)
{
	struct lc_sb fallback;
	struct record r;
	int ret, err;

	err = record_load(st, name, &r, true);
	if (err) {
		if (err == -ENOENT)
			lc_err("client %s is not fenced off %s", job->client->name,
			       sbid);
		else
			lc_err("record %s/%s: %s", st->dir, name, strerror(-err));
		return errno_code(err);
	}
	job->addr = r.address;
	job->undo = r.undo;
	job->nundo = r.nundo;
	if (!sb_configured) {
		fallback = (struct lc_sb){ .id = r.sb, .timeout = job->conf->timeout };
		job->sb = &fallback;
	}
	ret = unfence_prepare(job, sb_configured, path);
	if (!ret)
		ret = unfence_record(job, st, name, &r);
	record_free(&r);
	return ret;
}

static int unfence_main(const char *path, const char *who, const char *sbid)
{
	struct fence_job job = { .journal = -1 };
	char name[RECORD_NAME_MAX + 1], what[512];
	struct lc_conf conf;
	struct lc_addr addr;
	struct state st;
	unsigned int limit;
	int lock, ret, err;

	lc_log_open(true);
	if (!lc_valid_sbid(sbid)) {
		lc_err("bad SB-ID");
		return LC_EUSAGE;
	}
	err = lc_conf_load(path, &conf, true);
	if (err)
		return lc_conf_exit(err);
	job.conf = &conf;
	job.client = lc_conf_client_by_name(&conf, who);
	if (!job.client && lc_parse_addr(who, &addr) == 0)
		job.client = lc_conf_client_by_addr(&conf, &addr);
	if (!job.client) {
		lc_err("no client \"%s\" in %s", who, path);
		lc_conf_free(&conf);
		return LC_ENOENT;
	}
	/* The lock wait and the undo together, in the sb's time limit. */
	job.sb = lc_conf_sb(&conf, sbid);
	limit = job.sb ? job.sb->timeout : conf.timeout;
	job.deadline = lc_deadline(limit);
	err = state_open(&conf, &st, true);
	if (err) {
		lc_conf_free(&conf);
		return state_open_code(err);
	}
	ret = LC_ECONF;
	if (record_name(name, sizeof(name), job.client->name, sbid) ||
	    fence_fmt(what, sizeof(what), "unfence of client %s from %s",
		      job.client->name, sbid))
		goto out;
	lock = record_lock(&st, name, job.deadline);
	if (lock < 0) {
		ret = lock_failed(lock, what, name, limit);
		goto out;
	}
	ret = unfence_locked(&job, &st, name, sbid, job.sb != NULL, path);
	close(lock);
out:
	state_close(&st);
	lc_conf_free(&conf);
	return ret;
}

int cmd_unfence(int argc, char **argv)
{
	const char *path = lc_conf_default();
	int c;

	while ((c = lc_getopt(argc, argv, "c:h", conf_opts)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'h': fputs(unfence_usage, stdout); return LC_OK;
		default: return LC_EUSAGE;
		}
	}
	if (argc - optind != 2)
		return lc_usage_error("CLIENT and SB-ID expected");
	return unfence_main(path, argv[optind], argv[optind + 1]);
}

static const char fenced_usage[] =
"usage: layoutctl fenced [--config FILE] [--json | --output COL,... --raw --noheadings]\n"
"       layoutctl fenced [--config FILE] [--json] --reapply\n"
"List the fences in force (columns CLIENT ADDRESS SB-ID BACKEND COMPLETE\n"
"SINCE, and STEPS with --output). --reapply cuts every recorded client off\n"
"again, for boot, after the targets' configuration has been restored.\n";

/* A record as "fenced --json" shows it: one element of "fences". */
static struct json_object *record_json(const struct record *r)
{
	struct json_object *o = json_object_new_object(), *u = json_object_new_array();
	char when[32];
	struct tm tm;
	time_t t = r->time;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_object_add(o, "client", json_object_new_string(r->client));
	json_object_object_add(o, "address", json_object_new_string(r->address));
	json_object_object_add(o, "sb_id", json_object_new_string(r->sb));
	json_object_object_add(o, "backend", json_object_new_string(r->backend));
	json_object_object_add(o, "complete", json_object_new_boolean(r->complete));
	json_object_object_add(o, "since", json_object_new_string(when));
	for (int k = 0; k < r->nundo; k++)
		json_object_array_add(u, json_object_new_string(r->undo[k]));
	json_object_object_add(o, "steps", u);
	return o;
}

enum { FC_CLIENT, FC_ADDRESS, FC_SB, FC_BACKEND, FC_COMPLETE, FC_SINCE, FC_STEPS, FC_NCOLS };

static const struct lc_col fenced_cols[FC_NCOLS] = {
	[FC_CLIENT] = { "CLIENT", "the client's name in the configuration", 0.15, 0, true },
	[FC_ADDRESS] = { "ADDRESS", "the address nfsd named it by", 0.2, 0, true },
	[FC_SB] = { "SB-ID", "the device it is cut off", 0.1, 0, true },
	[FC_BACKEND] = { "BACKEND", "nvmet, iscsi or command", 0.1, 0, true },
	[FC_COMPLETE] = { "COMPLETE", "yes, or NO: a fence that did not finish", 0.1, 0, true },
	[FC_SINCE] = { "SINCE", "when the fence was recorded (UTC)", 0.2, 0, true },
	[FC_STEPS] = { "STEPS", "how many undo steps the record holds", 0.05, SCOLS_FL_RIGHT, false },
};

static int record_row(struct lc_table *t, const struct record *r)
{
	const char *cell[FC_NCOLS];
	char when[32], steps[16];
	struct tm tm;
	time_t tt = r->time;

	gmtime_r(&tt, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(steps, sizeof(steps), "%d", r->nundo);
	cell[FC_CLIENT] = r->client;
	cell[FC_ADDRESS] = r->address;
	cell[FC_SB] = r->sb;
	cell[FC_BACKEND] = r->backend;
	cell[FC_COMPLETE] = r->complete ? "yes" : "NO";
	cell[FC_SINCE] = when;
	cell[FC_STEPS] = steps;
	return lc_table_row(t, cell);
}

/*
 * fenced --reapply of record @name: the fence applied again, and with
 * @fences, the record as it is after, with "reapply": {"exit": N}.
 * Returns the reapply's exit code (0 for a record gone meanwhile).
 */
static int fenced_reapply(struct lc_conf *conf, struct state *st, const char *name,
			  struct json_object *fences)
{
	struct lc_client *cl;
	struct lc_sb *sb;
	struct record r, after;
	struct json_object *o, *re;
	int err, one;

	/* A first look; fence_apply() reads it again, locked. */
	err = record_load(st, name, &r, false);
	if (err) {
		if (err == -ENOENT)
			return LC_OK;
		lc_err("reapply %s: record unusable (%s)", name, strerror(-err));
		return errno_code(err);
	}
	cl = lc_conf_client_by_name(conf, r.client);
	sb = lc_conf_sb(conf, r.sb);
	if (!cl || !sb) {
		lc_err("reapply %s: client or sb no longer configured", name);
		one = LC_ECONF;
	} else {
		one = fence_apply(conf, cl, sb, *r.address ? r.address : cl->addrs[0].text,
				  st, lc_deadline(sb->timeout), sb->timeout);
	}
	if (one)
		lc_err("reapply of fence %s FAILED (exit %d)", name, one);
	else
		lc_notice("fence %s applied again", name);
	if (fences) {
		if (record_load(st, name, &after, false) == 0) {
			o = record_json(&after);
			record_free(&after);
		} else {
			r.complete = 0;
			o = record_json(&r);
		}
		re = json_object_new_object();
		json_object_object_add(re, "exit", json_object_new_int(one));
		if (one)
			json_object_object_add(re, "error",
					       json_object_new_string(code_text(one)));
		json_object_object_add(o, "reapply", re);
		json_object_array_add(fences, o);
	}
	record_free(&r);
	return one;
}

/* fenced of record @name: a row, or an element of @fences. Returns an
 * exit code (0 for a record gone since the directory was read). */
static int fenced_show(struct state *st, const char *name, struct json_object *fences,
		       struct lc_table *t)
{
	struct record r;
	int err = record_peek(st, name, &r);

	if (err) {
		if (err == -ENOENT)
			return LC_OK;
		if (err != -EPERM)
			lc_err("record %s/%s: %s", st->dir, name, strerror(-err));
		return errno_code(err);
	}
	if (fences)
		json_object_array_add(fences, record_json(&r));
	else if (record_row(t, &r))
		err = -ENOMEM;
	record_free(&r);
	return err ? LC_EFAIL : LC_OK;
}

static int fenced_main(const char *path, bool json, bool reapply, struct lc_table *t)
{
	struct json_object *top = NULL, *fences = NULL;
	struct state st = { .fd = -1 };
	struct lc_conf conf;
	char **names = NULL;
	int n, i, err, ret = LC_OK;

	if (reapply)
		lc_log_open(true);
	err = lc_conf_load(path, &conf, reapply);
	if (err)
		return lc_conf_exit(err);
	err = state_open(&conf, &st, reapply);
	if (err) {
		lc_conf_free(&conf);
		return state_open_code(err);
	}
	n = record_names(&st, &names);
	if (n < 0) {
		lc_err("%s: %s", st.dir, strerror(-n));
		ret = errno_code(n);
		n = 0;
	}
	if (json) {
		top = json_object_new_object();
		fences = json_object_new_array();
		json_object_object_add(top, "version", json_object_new_int(1));
		json_object_object_add(top, "fences", fences);
	}
	for (i = 0; i < n; i++) {
		int one = reapply ? fenced_reapply(&conf, &st, names[i], fences) :
			  fenced_show(&st, names[i], fences, t);

		if (one)
			ret = one;
		free(names[i]);
	}
	free(names);
	if (json) {
		puts(json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(top);
	} else if (t && lc_table_print(t)) {
		ret = LC_EFAIL;
	}
	state_close(&st);
	lc_conf_free(&conf);
	return ret;
}

int cmd_fenced(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "reapply", no_argument, NULL, 'R' },
		{ "output", required_argument, NULL, 'o' },
		{ "raw", no_argument, NULL, 'r' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = lc_conf_default();
	struct lc_table_opts topts = { 0 };
	bool json = false, reapply = false;
	struct lc_table *t = NULL;
	int c, ret;

	while ((c = lc_getopt(argc, argv, "c:jo:rnh", opts)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'j': json = true; break;
		case 'R': reapply = true; break;
		case 'o': topts.output = optarg; break;
		case 'r': topts.raw = true; break;
		case 'n': topts.noheadings = true; break;
		case 'h': fputs(fenced_usage, stdout); return LC_OK;
		default: return LC_EUSAGE;
		}
	}
	if (argc != optind)
		return lc_usage_error("unexpected argument \"%s\"", argv[optind]);
	if ((json || reapply) && (topts.output || topts.raw || topts.noheadings))
		return lc_usage_error("--output, --raw and --noheadings are for the table");
	if (!json && !reapply) {
		t = lc_table_new(fenced_cols, FC_NCOLS, &topts);
		if (!t)
			return lc_try_help();
	}
	ret = fenced_main(path, json, reapply, t);
	lc_table_free(t);
	return ret;
}
