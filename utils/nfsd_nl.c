// SPDX-License-Identifier: GPL-2.0
/*
 * layoutctl recall's netlink side: the layout-recall command of nfsd's
 * generic netlink family, numbered as in the uapi header the series
 * generates (a copy in uapi/, checked against the series by
 * scripts/sync-uapi.sh).
 *
 * nfsd's family grows upstream, and a kernel without the series may give
 * our command's number to another command, or to none. So before sending
 * it, the kernel is asked whether its nfsd family has the command
 * (CTRL_CMD_GETFAMILY, its CTRL_ATTR_OPS) and whether the command takes
 * the attributes we send, with the types we send them as
 * (CTRL_CMD_GETPOLICY of that command).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lc.h"
#include "nfsd_nl.h"
#include "uapi/linux/nfsd_netlink.h"

/* What layoutctl sends, and the types nfsd's policy must give it. */
static const struct {
	int attr;
	unsigned int nl_type;	/* enum netlink_attribute_type */
	const char *name;
} lr_attrs[] = {
	{ NFSD_A_LAYOUT_RECALL_FD,	NL_ATTR_TYPE_U32, "fd" },
	{ NFSD_A_LAYOUT_RECALL_OFFSET,	NL_ATTR_TYPE_U64, "offset" },
	{ NFSD_A_LAYOUT_RECALL_LENGTH,	NL_ATTR_TYPE_U64, "length" },
	{ NFSD_A_LAYOUT_RECALL_CLIENTID, NL_ATTR_TYPE_U32, "clientid" },
};

static const char *const nl_type_names[] = {
	[NL_ATTR_TYPE_INVALID] = "invalid",
	[NL_ATTR_TYPE_FLAG] = "flag",
	[NL_ATTR_TYPE_U8] = "u8",
	[NL_ATTR_TYPE_U16] = "u16",
	[NL_ATTR_TYPE_U32] = "u32",
	[NL_ATTR_TYPE_U64] = "u64",
	[NL_ATTR_TYPE_S8] = "s8",
	[NL_ATTR_TYPE_S16] = "s16",
	[NL_ATTR_TYPE_S32] = "s32",
	[NL_ATTR_TYPE_S64] = "s64",
	[NL_ATTR_TYPE_BINARY] = "binary",
	[NL_ATTR_TYPE_STRING] = "string",
	[NL_ATTR_TYPE_NUL_STRING] = "nul-string",
	[NL_ATTR_TYPE_NESTED] = "nested",
	[NL_ATTR_TYPE_NESTED_ARRAY] = "nested-array",
	[NL_ATTR_TYPE_BITFIELD32] = "bitfield32",
};

static const char *nl_type_name(unsigned int t, char *buf, size_t len)
{
	if (t < sizeof(nl_type_names) / sizeof(nl_type_names[0]) && nl_type_names[t])
		return nl_type_names[t];
	snprintf(buf, len, "type %u", t);
	return buf;
}

#define NO_LAYOUT_RECALL "this kernel's nfsd has no layout-recall netlink command"
#define NEEDS_SERIES "(needs the layoutbreak nfsd series)"

/*
 * One request and the kernel's answer: each reply message goes to
 * valid(msg, arg); an NLMSG_ERROR ends it with its error, an ack or
 * NLMSG_DONE without one.
 */
struct answer {
	int (*valid)(struct nl_msg *msg, void *arg);
	void *arg;
	bool done;
	int error;		/* an NLMSG_ERROR's negative errno */
	char why[256];		/* the kernel's extended ack message, if any */
};

/* The message of an NLMSG_ERROR's extended ack, into a->why. */
static void read_extack(struct nlmsghdr *h, struct answer *a)
{
	static const struct nla_policy pol[NLMSGERR_ATTR_MAX + 1] = {
		[NLMSGERR_ATTR_MSG] = { .type = NLA_STRING, .minlen = 1 },
	};
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct nlmsgerr *e = nlmsg_data(h);
	size_t off = NLMSG_HDRLEN + sizeof(*e);

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS) || h->nlmsg_len < off)
		return;
	/* the request follows, whole unless capped to its header */
	if (!(h->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < NLMSG_HDRLEN)
			return;
		off += NLMSG_ALIGN((size_t)e->msg.nlmsg_len - NLMSG_HDRLEN);
	}
	if (off >= h->nlmsg_len)
		return;
	if (!nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)h + off),
		       h->nlmsg_len - off, pol) && tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(a->why, tb[NLMSGERR_ATTR_MSG], sizeof(a->why));
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct answer *a = arg;

	return a->valid ? a->valid(msg, a->arg) : NL_OK;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
	struct answer *a = arg;

	/* libnl hands over the NLMSG_ERROR's payload: its header precedes it */
	read_extack((struct nlmsghdr *)((char *)err - NLMSG_HDRLEN), a);
	a->error = err->error;
	a->done = true;
	return NL_STOP;
}

static int on_end(struct nl_msg *msg, void *arg)
{
	struct answer *a = arg;

	a->done = true;
	return NL_STOP;
}

#ifdef LC_TEST_ENV
static char *read_all(const char *path, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *b;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf)
		goto fail;
	while ((r = read(fd, buf + n, cap - n)) > 0) {
		n += r;
		if (n == cap) {
			if (cap >= 1 << 20)
				goto fail;
			b = realloc(buf, cap *= 2);
			if (!b)
				goto fail;
			buf = b;
		}
	}
	if (r < 0)
		goto fail;
	close(fd);
	*len = n;
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/*
 * The unit tests have no nfsd: the kernel's answer to a request, raw
 * netlink messages as a recv() would give them, comes from the file NAME
 * in $LAYOUTCTL_TEST_NETLINK, and the request is written to NAME.req
 * there for the tests to read.
 */
static int replay(struct nl_msg *req, const char *name, struct answer *a)
{
	const char *dir = getenv("LAYOUTCTL_TEST_NETLINK");
	struct nlmsghdr *h = nlmsg_hdr(req);
	char p[PATH_MAX];
	size_t n;
	char *buf;
	FILE *f;
	int left, ret = 0;

	snprintf(p, sizeof(p), "%s/%s.req", dir, name);
	f = fopen(p, "we");
	if (!f || fwrite(h, 1, h->nlmsg_len, f) != h->nlmsg_len) {
		if (f)
			fclose(f);
		return -NLE_FAILURE;
	}
	fclose(f);
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	buf = read_all(p, &n);
	if (!buf)
		return -NLE_FAILURE;
	left = (int)n;
	for (h = (struct nlmsghdr *)buf; !a->done && nlmsg_ok(h, left);
	     h = nlmsg_next(h, &left)) {
		struct nl_msg *msg;

		if (h->nlmsg_type == NLMSG_DONE) {
			a->done = true;
		} else if (h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = nlmsg_data(h);

			if (h->nlmsg_len < (unsigned int)nlmsg_size(sizeof(*e))) {
				ret = -NLE_MSG_TRUNC;
				break;
			}
			if (e->error)
				read_extack(h, a);
			a->error = e->error;
			a->done = true;
		} else {
			msg = nlmsg_convert(h);
			if (!msg) {
				ret = -NLE_NOMEM;
				break;
			}
			if (on_valid(msg, a) == NL_STOP)
				a->done = true;
			nlmsg_free(msg);
		}
	}
	if (!ret && !a->done)
		ret = -NLE_MSG_TRUNC;	/* the answer ends before its end */
	free(buf);
	return ret;
}
#endif

/* Sends req and reads the answer into a: 0, or a negative libnl error. */
static int exchange(struct nl_sock *sk, struct nl_msg *req, const char *name,
		    struct answer *a)
{
	int err;

#ifdef LC_TEST_ENV
	if (getenv("LAYOUTCTL_TEST_NETLINK"))
		return replay(req, name, a);
#endif
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_valid, a);
	nl_socket_modify_cb(sk, NL_CB_ACK, NL_CB_CUSTOM, on_end, a);
	nl_socket_modify_cb(sk, NL_CB_FINISH, NL_CB_CUSTOM, on_end, a);
	nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, on_error, a);
	err = nl_send_auto(sk, req);
	if (err < 0)
		return err;
	/* a reply comes before its ack, and a dump in parts: read to the end */
	while (!a->done) {
		err = nl_recvmsgs_default(sk);
		if (err < 0 && !a->done)
			return err;
	}
	return 0;
}

static struct nl_msg *new_request(int family, int flags, uint8_t cmd,
				  uint8_t version)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
				flags, cmd, version)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

/* What CTRL_CMD_GETFAMILY says of nfsd and of its layout-recall command. */
struct family {
	int id;			/* -1 until a reply gives it */
	bool has_op;		/* lists NFSD_CMD_LAYOUT_RECALL */
	uint32_t op_flags;	/* that command's GENL_* flags */
	bool bad;		/* a reply that did not parse */
};

static int on_family(struct nl_msg *msg, void *arg)
{
	static const struct nla_policy pol[CTRL_ATTR_MAX + 1] = {
		[CTRL_ATTR_FAMILY_ID] = { .type = NLA_U16 },
		[CTRL_ATTR_FAMILY_NAME] = { .type = NLA_STRING, .minlen = 1,
					    .maxlen = GENL_NAMSIZ },
		[CTRL_ATTR_OPS] = { .type = NLA_NESTED },
	};
	static const struct nla_policy op_pol[CTRL_ATTR_OP_MAX + 1] = {
		[CTRL_ATTR_OP_ID] = { .type = NLA_U32 },
		[CTRL_ATTR_OP_FLAGS] = { .type = NLA_U32 },
	};
	struct nlattr *tb[CTRL_ATTR_MAX + 1], *otb[CTRL_ATTR_OP_MAX + 1], *op;
	struct family *fam = arg;
	int rem;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, CTRL_ATTR_MAX, pol) ||
	    !tb[CTRL_ATTR_FAMILY_ID] || !tb[CTRL_ATTR_FAMILY_NAME] ||
	    strcmp(nla_get_string(tb[CTRL_ATTR_FAMILY_NAME]), NFSD_FAMILY_NAME))
		goto bad;
	fam->id = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (!tb[CTRL_ATTR_OPS])
		return NL_OK;
	nla_for_each_nested(op, tb[CTRL_ATTR_OPS], rem) {
		if (nla_parse_nested(otb, CTRL_ATTR_OP_MAX, op, op_pol) ||
		    !otb[CTRL_ATTR_OP_ID])
			goto bad;
		if (nla_get_u32(otb[CTRL_ATTR_OP_ID]) != NFSD_CMD_LAYOUT_RECALL)
			continue;
		fam->has_op = true;
		fam->op_flags = otb[CTRL_ATTR_OP_FLAGS] ?
				nla_get_u32(otb[CTRL_ATTR_OP_FLAGS]) : 0;
	}
	return NL_OK;
bad:
	fam->bad = true;
	return NL_STOP;
}

/* nfsd's family id, once it is known to list our command; else an LC_* code. */
static int find_command(struct nl_sock *sk, int *family)
{
	struct family fam = { .id = -1 };
	struct answer a = { .valid = on_family, .arg = &fam };
	struct nl_msg *req;
	int err;

	req = new_request(GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY, 1);
	if (!req || nla_put_string(req, CTRL_ATTR_FAMILY_NAME, NFSD_FAMILY_NAME)) {
		nlmsg_free(req);
		lc_err("out of memory");
		return LC_EFAIL;
	}
	err = exchange(sk, req, "getfamily", &a);
	nlmsg_free(req);
	if (err < 0) {
		lc_err("asking the kernel for nfsd's netlink family: %s",
		       nl_geterror(err));
		return LC_EFAIL;
	}
	if (a.error == -ENOENT) {
		lc_err("this kernel has no nfsd netlink family (is nfsd loaded?)");
		return LC_EFAIL;
	}
	if (a.error) {
		lc_err("asking the kernel for nfsd's netlink family: %s",
		       strerror(-a.error));
		return LC_EFAIL;
	}
	if (fam.bad || fam.id < 0) {
		lc_err("the kernel's description of nfsd's netlink family could not be read");
		return LC_EFAIL;
	}
	if (!fam.has_op) {
		lc_err(NO_LAYOUT_RECALL " " NEEDS_SERIES);
		return LC_EFAIL;
	}
	if (!(fam.op_flags & GENL_CMD_CAP_DO) || !(fam.op_flags & GENL_CMD_CAP_HASPOL)) {
		lc_err(NO_LAYOUT_RECALL ": its command %d %s " NEEDS_SERIES,
		       NFSD_CMD_LAYOUT_RECALL, !(fam.op_flags & GENL_CMD_CAP_DO) ?
		       "takes no request" : "takes no attributes");
		return LC_EFAIL;
	}
	*family = fam.id;
	return LC_OK;
}

/*
 * What CTRL_CMD_GETPOLICY says of our command: the index of its request
 * policy, and the type of attributes 1 to NFSD_A_LAYOUT_RECALL_MAX in
 * each of the first policies (NL_ATTR_TYPE_INVALID, 0: not taken).
 */
#define LC_POLICIES	4
struct policy {
	bool has_do;
	uint32_t do_idx;
	uint32_t type[LC_POLICIES][NFSD_A_LAYOUT_RECALL_MAX + 1];
	bool bad;
};

static int read_policy_attrs(struct policy *p, struct nlattr *policies)
{
	static const struct nla_policy pol[NL_POLICY_TYPE_ATTR_MAX + 1] = {
		[NL_POLICY_TYPE_ATTR_TYPE] = { .type = NLA_U32 },
	};
	struct nlattr *tb[NL_POLICY_TYPE_ATTR_MAX + 1], *one, *attr;
	int rem, rem2, idx, nr;

	nla_for_each_nested(one, policies, rem) {
		idx = nla_type(one);
		nla_for_each_nested(attr, one, rem2) {
			nr = nla_type(attr);
			if (nla_parse_nested(tb, NL_POLICY_TYPE_ATTR_MAX, attr, pol) ||
			    !tb[NL_POLICY_TYPE_ATTR_TYPE])
				return -1;
			if (idx < LC_POLICIES && nr >= 1 && nr <= NFSD_A_LAYOUT_RECALL_MAX)
				p->type[idx][nr] = nla_get_u32(tb[NL_POLICY_TYPE_ATTR_TYPE]);
		}
	}
	return 0;
}

static int on_policy(struct nl_msg *msg, void *arg)
{
	static const struct nla_policy pol[CTRL_ATTR_MAX + 1] = {
		[CTRL_ATTR_FAMILY_ID] = { .type = NLA_U16 },
		[CTRL_ATTR_POLICY] = { .type = NLA_NESTED },
		[CTRL_ATTR_OP_POLICY] = { .type = NLA_NESTED },
	};
	static const struct nla_policy op_pol[CTRL_ATTR_POLICY_DUMP_MAX + 1] = {
		[CTRL_ATTR_POLICY_DO] = { .type = NLA_U32 },
		[CTRL_ATTR_POLICY_DUMP] = { .type = NLA_U32 },
	};
	struct nlattr *tb[CTRL_ATTR_MAX + 1], *otb[CTRL_ATTR_POLICY_DUMP_MAX + 1], *op;
	struct policy *p = arg;
	int rem;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, CTRL_ATTR_MAX, pol))
		goto bad;
	if (tb[CTRL_ATTR_OP_POLICY]) {
		nla_for_each_nested(op, tb[CTRL_ATTR_OP_POLICY], rem) {
			if (nla_type(op) != NFSD_CMD_LAYOUT_RECALL)
				continue;
			if (nla_parse_nested(otb, CTRL_ATTR_POLICY_DUMP_MAX, op, op_pol))
				goto bad;
			if (otb[CTRL_ATTR_POLICY_DO]) {
				p->has_do = true;
				p->do_idx = nla_get_u32(otb[CTRL_ATTR_POLICY_DO]);
			}
		}
	}
	if (tb[CTRL_ATTR_POLICY] && read_policy_attrs(p, tb[CTRL_ATTR_POLICY]))
		goto bad;
	return NL_OK;
bad:
	p->bad = true;
	return NL_STOP;
}

/* Whether the policy is not layout-recall's request, and then why. */
static bool policy_differs(const struct policy *p, char *why, size_t len)
{
	char t1[32], t2[32];
	uint32_t t;
	size_t i;

	if (!p->has_do) {
		snprintf(why, len, "has no request policy");
		return true;
	}
	if (p->do_idx >= LC_POLICIES) {
		snprintf(why, len, "has a request policy that cannot be checked (index %u)",
			 p->do_idx);
		return true;
	}
	for (i = 0; i < sizeof(lr_attrs) / sizeof(lr_attrs[0]); i++) {
		t = p->type[p->do_idx][lr_attrs[i].attr];
		if (t == lr_attrs[i].nl_type)
			continue;
		if (t == NL_ATTR_TYPE_INVALID)
			snprintf(why, len, "takes no attribute %d (layout-recall's %s, %s)",
				 lr_attrs[i].attr, lr_attrs[i].name,
				 nl_type_name(lr_attrs[i].nl_type, t1, sizeof(t1)));
		else
			snprintf(why, len, "takes attribute %d as %s, where layout-recall's %s is %s",
				 lr_attrs[i].attr, nl_type_name(t, t2, sizeof(t2)),
				 lr_attrs[i].name,
				 nl_type_name(lr_attrs[i].nl_type, t1, sizeof(t1)));
		return true;
	}
	return false;
}

/* LC_OK when the command takes what we send as we send it. */
static int check_policy(struct nl_sock *sk, int family)
{
	struct policy p = { .has_do = false };
	struct answer a = { .valid = on_policy, .arg = &p };
	struct nl_msg *req;
	char why[160];
	int err;

	req = new_request(GENL_ID_CTRL, NLM_F_DUMP, CTRL_CMD_GETPOLICY, 1);
	if (!req || nla_put_u16(req, CTRL_ATTR_FAMILY_ID, family) ||
	    nla_put_u32(req, CTRL_ATTR_OP, NFSD_CMD_LAYOUT_RECALL)) {
		nlmsg_free(req);
		lc_err("out of memory");
		return LC_EFAIL;
	}
	err = exchange(sk, req, "getpolicy", &a);
	nlmsg_free(req);
	if (err < 0) {
		lc_err("asking the kernel for nfsd's layout-recall policy: %s",
		       nl_geterror(err));
		return LC_EFAIL;
	}
	if (a.error == -ENODATA) {
		snprintf(why, sizeof(why), "takes no attributes");
	} else if (a.error) {
		snprintf(why, sizeof(why), "cannot be checked (CTRL_CMD_GETPOLICY: %s)",
			 strerror(-a.error));
	} else if (p.bad) {
		snprintf(why, sizeof(why), "has a policy that could not be read");
	} else if (!policy_differs(&p, why, sizeof(why))) {
		return LC_OK;
	}
	lc_err(NO_LAYOUT_RECALL ": its command %d %s " NEEDS_SERIES,
	       NFSD_CMD_LAYOUT_RECALL, why);
	return LC_EFAIL;
}

struct reply {
	bool got;
	uint32_t recalled;
};

static int on_recalled(struct nl_msg *msg, void *arg)
{
	static const struct nla_policy pol[NFSD_A_LAYOUT_RECALL_MAX + 1] = {
		[NFSD_A_LAYOUT_RECALL_RECALLED] = { .type = NLA_U32,
						    .maxlen = sizeof(uint32_t) },
	};
	struct nlattr *tb[NFSD_A_LAYOUT_RECALL_MAX + 1];
	struct reply *r = arg;

	if (!genlmsg_parse(nlmsg_hdr(msg), 0, tb, NFSD_A_LAYOUT_RECALL_MAX, pol) &&
	    genlmsg_hdr(nlmsg_hdr(msg))->cmd == NFSD_CMD_LAYOUT_RECALL &&
	    tb[NFSD_A_LAYOUT_RECALL_RECALLED]) {
		r->recalled = nla_get_u32(tb[NFSD_A_LAYOUT_RECALL_RECALLED]);
		r->got = true;
	}
	return NL_OK;
}

static void say_refused(const struct answer *a)
{
	const char *why = a->why[0] ? a->why : strerror(-a->error);

	switch (-a->error) {
	case EOPNOTSUPP:
		lc_err(NO_LAYOUT_RECALL " " NEEDS_SERIES);
		break;
	case EPERM:
	case EACCES:
		lc_err("not permitted (CAP_NET_ADMIN needed)");
		break;
	case ENODEV:
		lc_err("nfsd is not running in this network namespace");
		break;
	default:
		lc_err("nfsd refused the recall: %s", why);
		break;
	}
}

static int send_recall(struct nl_sock *sk, int family, int fd, uint64_t off,
		       uint64_t len, unsigned int client, int *recalled)
{
	struct reply r = { .got = false };
	struct answer a = { .valid = on_recalled, .arg = &r };
	struct nl_msg *req;
	int err;

	req = new_request(family, NLM_F_ACK, NFSD_CMD_LAYOUT_RECALL, NFSD_FAMILY_VERSION);
	if (!req || nla_put_u32(req, NFSD_A_LAYOUT_RECALL_FD, fd) ||
	    nla_put_u64(req, NFSD_A_LAYOUT_RECALL_OFFSET, off) ||
	    nla_put_u64(req, NFSD_A_LAYOUT_RECALL_LENGTH, len) ||
	    (client && nla_put_u32(req, NFSD_A_LAYOUT_RECALL_CLIENTID, client))) {
		nlmsg_free(req);
		lc_err("out of memory");
		return LC_EFAIL;
	}
	err = exchange(sk, req, "recall", &a);
	nlmsg_free(req);
	if (err < 0) {
		lc_err("netlink: %s", nl_geterror(err));
		return LC_EFAIL;
	}
	if (a.error) {
		say_refused(&a);
		return a.error == -EPERM || a.error == -EACCES ? LC_EPERM : LC_EFAIL;
	}
	if (!r.got) {
		lc_err("sent, but nfsd's answer does not say how many layouts it recalls");
		return LC_EFAIL;
	}
	*recalled = r.recalled > INT_MAX ? INT_MAX : (int)r.recalled;
	return LC_OK;
}

int lc_nfsd_layout_recall(int fd, uint64_t off, uint64_t len,
			  unsigned int client, int *recalled)
{
	struct nl_sock *sk = NULL;
	int family, one = 1, ret;

#ifdef LC_TEST_ENV
	/* The unit tests have no nfsd: this stands in for its reply. */
	if (getenv("LAYOUTCTL_TEST_RECALLED") && !getenv("LAYOUTCTL_TEST_NETLINK")) {
		*recalled = atoi(getenv("LAYOUTCTL_TEST_RECALLED"));
		return LC_OK;
	}
	if (!getenv("LAYOUTCTL_TEST_NETLINK"))
#endif
	{
		sk = nl_socket_alloc();
		if (!sk || genl_connect(sk)) {
			lc_err("cannot open a generic netlink socket");
			if (sk)
				nl_socket_free(sk);
			return LC_EFAIL;
		}
		/* the kernel's reason with an error, without our request */
		setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK,
			   &one, sizeof(one));
		setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK,
			   &one, sizeof(one));
	}
	ret = find_command(sk, &family);
	if (!ret)
		ret = check_policy(sk, family);
	if (!ret)
		ret = send_recall(sk, family, fd, off, len, client, recalled);
	if (sk)
		nl_socket_free(sk);
	return ret;
}
