// SPDX-License-Identifier: GPL-2.0
/*
 * The command backend: an administrator's program, run without a shell as
 * "COMMAND fence|unfence CLIENT-NAME CLIENT-ADDRESS SB-ID", only when root
 * (or the user we run as) alone can change it and the directories above
 * it (command_check()), as for the configuration file (conf.c).
 *
 * Exit status 0 means the client is cut off; any other is a failure,
 * reported with the status itself or the signal that killed it, and a
 * timeout only when it was still running at the deadline and was killed.
 * What it prints on its standard output and error (as nfsd's helper
 * those are /dev/null) is logged, line by line and escaped, up to
 * CMD_LOG_MAX bytes.
 *
 * Undo line: "command".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fence.h"

#define CMD_LOG_MAX	8192

static char **command_env(struct fence_job *job)
{
	static char *env[8];
	static char b[3][512];
	int n = 0;

	env[n++] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	if (fence_fmt(b[0], sizeof(b[0]), "LAYOUTCTL_CLIENT=%s", job->client->name))
		return NULL;
	env[n++] = b[0];
	if (job->client->nvme_host) {
		if (fence_fmt(b[1], sizeof(b[1]), "LAYOUTCTL_NVME_HOST=%s",
			      job->client->nvme_host))
			return NULL;
		env[n++] = b[1];
	}
	if (job->client->iscsi_initiator) {
		if (fence_fmt(b[2], sizeof(b[2]), "LAYOUTCTL_ISCSI_INITIATOR=%s",
			      job->client->iscsi_initiator))
			return NULL;
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

/* One line of the command's output, its control characters and bytes
 * outside ASCII as \xHH; an error when it failed. */
static void log_line(const char *what, const char *line, size_t len, bool failed)
{
	char *esc = malloc(len * 4 + 1), *o = esc;

	if (!esc)
		return;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = line[i];

		if (c < 0x20 || c > 0x7e || c == '\\')
			o += sprintf(o, "\\x%02x", c);
		else
			*o++ = c;
	}
	*o = '\0';
	if (failed)
		lc_err("%s: %s", what, esc);
	else
		lc_info("%s: %s", what, esc);
	free(esc);
}

static void log_output(const char *what, const struct lc_run_result *res,
		       bool failed)
{
	const char *s = res->out, *end = s ? s + res->len : NULL;

	/* by its length: a NUL byte is logged as \x00, not the end */
	while (s && s < end) {
		const char *nl = memchr(s, '\n', end - s);
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);

		log_line(what, s, n, failed);
		s += n + (nl != NULL);
	}
	if (res->dropped)
		lc_err("%s: %zu more bytes of its output not logged", what, res->dropped);
}

/* What became of the command, said; the exit code it gives. */
static int command_report(struct fence_job *job, const char *verb,
			  const struct lc_run_result *res)
{
	char what[PATH_MAX + 16];
	bool failed = res->child_error || res->timed_out || res->signal || res->status;

	if (fence_fmt(what, sizeof(what), "%s %s", job->sb->command, verb))
		memcpy(what, "command", sizeof("command"));
	log_output(what, res, failed);
	if (res->child_error) {
		if (res->exec_errno)
			lc_err("cannot run %s: %s", job->command, strerror(res->exec_errno));
		return res->child_error;
	}
	if (res->timed_out) {
		lc_err("%s timed out: killed, with what it started", what);
		return LC_ETIMEDOUT;
	}
	if (res->signal) {
		lc_err("%s was killed by signal %d (%s)", what, res->signal,
		       strsignal(res->signal));
		return LC_EFAIL;
	}
	if (res->status) {
		lc_err("%s exited with status %d", what, res->status);
		return LC_EFAIL;
	}
	return LC_OK;
}

static int command_pre(void *arg)
{
	return journal_step(arg, "command");
}

/* Runs the command with @verb until the job's deadline; @journal: the
 * step is journaled first, in the child. */
static int command_run(struct fence_job *job, const char *verb, bool journal)
{
	char *argv[] = { job->sb->command, (char *)verb, job->client->name,
			 (char *)job->addr, job->sb->id, NULL };
	struct lc_exec ex = {
		.path = job->command, .argv = argv, .envp = command_env(job),
		.pre = journal ? command_pre : NULL, .arg = job,
		.keep = &job->journal, .nkeep = journal,
	};
	struct lc_run_result res;
	int ret;

	if (!ex.envp) {
		lc_err("command %s: client names too long for its environment",
		       job->sb->command);
		return LC_EFAIL;
	}
	if (lc_exec_limited(&ex, job->deadline, CMD_LOG_MAX, &res))
		return LC_EFAIL;	/* said; it did not run */
	ret = command_report(job, verb, &res);
	lc_run_free(&res);
	return ret;
}

static int command_fence(struct fence_job *job)
{
	return command_run(job, "fence", true);
}

/* Before the first step of an unfence is undone: the line is ours. */
static int command_undo_check(struct fence_job *job, const struct undo_line *u)
{
	static const struct undo_shape shape = { "command", 1 };

	return undo_shape_check(u, &shape, 1);
}

static int command_undo(struct fence_job *job, const struct undo_line *u)
{
	return command_run(job, "unfence", false);
}

static const char *const command_verbs[] = { "command", NULL };

const struct lc_backend_ops lc_command_ops = {
	.name = "command",
	.type = LC_BACKEND_COMMAND,
	.verbs = command_verbs,
	.prepare = command_check,
	.fence = command_fence,
	.undo_check = command_undo_check,
	.undo = command_undo,
};
