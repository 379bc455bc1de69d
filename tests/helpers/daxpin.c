// SPDX-License-Identifier: GPL-2.0
/*
 * daxpin: long-term pins of DAX memory under a layout lease, for the
 * RDMA scenarios.
 *
 *   daxpin reg FILE [-l|-R RLEN] [-w|-o] [-n LEN] [-H] [-i|-u] [-t S]
 *	Map LEN bytes (default 1 MiB) of FILE shared (with -o, FILE opened
 *	read-only and mapped PROT_READ), take a layout lease
 *	first with -l (on [0, RLEN) with -R, F_SETLAYOUT), and register them as an RDMA memory region on the
 *	first RDMA device: read-only, or writable with -w. With -H hold the
 *	region until the lease is broken (or S seconds, default 600, pass),
 *	then deregister it and release the lease; with -i ignore the break;
 *	with -u unmap the buffer and release the lease but keep the pins.
 *   daxpin uring FILE [-l] [-n LEN] [-H] [-i] [-t S]
 *	The same with an io_uring registered buffer, checked by reading
 *	through it (IORING_OP_READ_FIXED) from a file of known bytes.
 *   daxpin uring FILE -l|-R RLEN [-O OFF] -X [-W] [-S SLEN] [-n LEN] [-t S]
 *	Register, then (with -W once SIGUSR1 comes, "waiting" until then)
 *	let go of everything but the registered buffer:
 *	munmap, release the lease (F_UNLCK, "unlck ok" or "unlck
 *	errno=N") or with -S shrink it to [OFF, OFF + SLEN) ("shrunk ok" or
 *	"shrink errno=N"), close the file ("dropped"). Then, until S seconds pass
 *	or it is killed: on SIGUSR1, read LEN bytes of 0x5a into the buffer
 *	through the ring, as a device would DMA into the pinned pages
 *	("dma done res=N"); on SIGUSR2, unregister the buffer
 *	("unregistered NS"). A lease break is reported ("break NS
 *	ignored") and ignored. Exit 0. With -O (and -R), the mapping starts at
 *	file offset OFF and the lease covers [OFF, OFF + RLEN).
 *   daxpin reg FILE -l|-R RLEN [-O OFF] -X [-W] [-w|-o] [-n LEN] [-t S]
 *	The same with an RDMA memory region (read-only unless -w); SIGUSR2
 *	deregisters it.
 *   daxpin serve FILE -a ADDR [-p PORT] [-n LEN] [-r [-o]] [-i] [-L] [-t S]
 *	Layout lease, memory region on the mapping, and one RDMA CM
 *	connection on ADDR:PORT (default 7471) whose peer gets the region's
 *	address and key. With -r the region is registered for remote reads
 *	only, a read-only pin (and with -o the mapping is PROT_READ of a
 *	read-only fd). On a lease break: deregister, release, go on
 *	serving until the peer disconnects. With -L, wait for SIGUSR1 after
 *	each break instead, then lease, map and serve again (SIGTERM ends).
 *	A region that cannot be registered ends serve (exit 1, "reg failed").
 *   daxpin drive ADDR [-p PORT] [-L] [-t S]
 *	The peer: RDMA WRITE a numbered pattern to the region, RDMA READ it
 *	back and compare, without pause, until the region goes away. With
 *	-L, connect again each time, until SIGTERM; then print the totals.
 *   daxpin drive ADDR -C FILE [-p PORT] [-t S]
 *	RDMA READ every page of the region once, without writing, and
 *	compare it with the bytes FILE holds at the same offset now:
 *	"compared N pages: M differ, first at OFF" (exit 3 if M > 0), as a
 *	device reading the pinned pages sees the file. Again on each
 *	SIGUSR1, until SIGTERM or S seconds; the exit is the last one's.
 *
 * Lines it prints: "lease ok", "reg ok lkey=.. vmpin_kb=..",
 * "reg failed errno=N (text)", "break NS", "deregistered NS",
 * "released NS", "ops N", "stopped after N ops: STATUS", ... (NS: ns of
 * CLOCK_REALTIME, as date +%s%N).
 *
 * Exit: 0 done; 1 the pin or the lease was refused; 2 usage or setup
 * error; 3 data read back differs; 4 timed out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <infiniband/verbs.h>
#include <liburing.h>
#include <netdb.h>
#include <poll.h>
#include <rdma/rdma_cma.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "layoutlease.h"

#define PAGE 4096UL

static volatile sig_atomic_t broken, go, stop, unreg;
static sigset_t orig_mask;
static const char *prog = "daxpin";

struct region_info {
	uint64_t addr;
	uint32_t rkey;
	uint32_t len;
};

static void die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(code);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
	if (sig == SIGIO)
		broken = 1;
	else if (sig == SIGUSR1)
		go = 1;
	else if (sig == SIGUSR2)
		unreg = 1;
	else
		stop = 1;
}

/*
 * SIGIO (the lease break), SIGUSR1 (serve -L: go on) and SIGTERM/SIGINT
 * (-L: finish) are blocked except while waiting in ppoll().
 */
static void setup_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t m;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGIO, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigemptyset(&m);
	sigaddset(&m, SIGIO);
	sigaddset(&m, SIGUSR1);
	sigaddset(&m, SIGUSR2);
	sigprocmask(SIG_BLOCK, &m, &orig_mask);
}

/* Wait for an fd (or none) until the lease breaks or the deadline. */
static int wait_event(int fd, long long deadline_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	long long left = deadline_ms - mono_ms();
	struct timespec ts;

	if (broken || go || stop || unreg)
		return -EINTR;
	if (left <= 0)
		return 0;
	ts.tv_sec = left / 1000;
	ts.tv_nsec = (left % 1000) * 1000000;
	if (ppoll(fd >= 0 ? &p : NULL, fd >= 0 ? 1 : 0, &ts, &orig_mask) < 0)
		return -errno;
	return fd >= 0 && (p.revents & POLLIN) ? 1 : 0;
}

static long vmpin_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

struct opts {
	const char *file, *addr, *compare;
	const char *port;
	size_t len, lease_len, shrink, off;
	int lease, write, hold, ignore, timeout, loop, unmap, outlive, await_go;
	int rdonly_map, rdonly_mr;
};

static int lease_fd = -1;
static void *map_addr;
static size_t map_len;

/* Open and map FILE, taking the layout lease first if asked to. */
static void *map_file(struct opts *o)
{
	void *map;

	lease_fd = open(o->file, o->rdonly_map ? O_RDONLY : O_RDWR);
	if (lease_fd < 0)
		die(2, "open %s: %s", o->file, strerror(errno));
	if (o->lease && o->lease_len) {
		struct layout_lease_arg ll = {
			.start = o->off, .len = o->lease_len,
			.type = F_RDLCK | F_LAYOUT,
		};

		if (fcntl(lease_fd, F_SETLAYOUT, &ll)) {
			printf("lease failed errno=%d (%s)\n", errno, strerror(errno));
			exit(1);
		}
		printf("lease ok type=%d range=%zu:%zu\n", fcntl(lease_fd, F_GETLEASE),
		       o->off, o->lease_len);
		fflush(stdout);
	} else if (o->lease) {
		if (fcntl(lease_fd, F_SETLEASE, F_RDLCK | F_LAYOUT)) {
			printf("lease failed errno=%d (%s)\n", errno, strerror(errno));
			exit(1);
		}
		printf("lease ok type=%d\n", fcntl(lease_fd, F_GETLEASE));
		fflush(stdout);
	}
	map = mmap(NULL, o->len, o->rdonly_map ? PROT_READ : PROT_READ | PROT_WRITE,
		   MAP_SHARED, lease_fd, o->off);
	if (map == MAP_FAILED)
		die(2, "mmap %s: %s", o->file, strerror(errno));
	map_addr = map;
	map_len = o->len;
	return map;
}

static void release_lease(void)
{
	if (lease_fd >= 0 && fcntl(lease_fd, F_SETLEASE, F_UNLCK) == 0)
		printf("released %lld\n", now_ns());
	fflush(stdout);
}

/*
 * Wait until the lease breaks (1), the deadline passes (0, "timeout") or,
 * with -L, SIGTERM says stop (-1, "stopped"); with -i, a break is
 * reported and then ignored: this never returns.
 */
static int await_break(struct opts *o, long long deadline)
{
	while (!broken && !stop && mono_ms() < deadline)
		wait_event(-1, deadline);
	if (!broken && stop) {
		printf("stopped\n");
		return -1;
	}
	if (!broken) {
		printf("timeout\n");
		return 0;
	}
	printf("break %lld\n", now_ns());
	if (o->ignore) {
		printf("ignoring\n");
		for (;;)
			pause();
	}
	return 1;
}

/*
 * After the pin: hold it until the lease breaks, then let go (unpin with
 * drop(), release the lease) unless told to ignore the break.
 */
static int hold(struct opts *o, void (*drop)(void *), void *arg)
{
	printf("holding\n");
	if (await_break(o, mono_ms() + o->timeout * 1000LL) == 0)
		return 4;
	if (o->unmap) {
		/* Misbehave: let the lease go, keep the pins, unmap the buffer. */
		munmap(map_addr, map_len);
		release_lease();
		printf("kept pins\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	drop(arg);
	printf("deregistered %lld\n", now_ns());
	release_lease();
	return 0;
}

static void drop_mr(void *mr)
{
	ibv_dereg_mr(mr);
}

static void let_go(struct opts *o, char *map, long long deadline);

/*
 * reg -X: keep only the memory region, as uring -X keeps its buffer; a
 * lease break is reported and ignored, SIGUSR2 deregisters the region.
 */
static int outlive_mr(struct opts *o, struct ibv_mr *mr, char *map)
{
	long long deadline = mono_ms() + o->timeout * 1000LL;

	let_go(o, map, deadline);
	while (!stop && mono_ms() < deadline) {
		wait_event(-1, deadline);
		if (broken) {
			broken = 0;
			printf("break %lld ignored\n", now_ns());
		}
		go = 0;
		if (unreg && mr) {
			unreg = 0;
			if (ibv_dereg_mr(mr))
				printf("deregister failed errno=%d\n", errno);
			else
				printf("unregistered %lld\n", now_ns());
			mr = NULL;
		}
		fflush(stdout);
	}
	return 0;
}

static int cmd_reg(struct opts *o)
{
	struct ibv_device **list;
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_mr *mr;
	int n, access;
	char *map;

	list = ibv_get_device_list(&n);
	if (!list || n == 0)
		die(2, "no RDMA device");
	ctx = ibv_open_device(list[0]);
	if (!ctx)
		die(2, "ibv_open_device: %s", strerror(errno));
	pd = ibv_alloc_pd(ctx);
	if (!pd)
		die(2, "ibv_alloc_pd: %s", strerror(errno));
	map = map_file(o);
	access = o->write ? IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			    IBV_ACCESS_REMOTE_READ : IBV_ACCESS_REMOTE_READ;
	mr = ibv_reg_mr(pd, map, o->len, access);
	if (!mr) {
		printf("reg failed errno=%d (%s)\n", errno, strerror(errno));
		return 1;
	}
	printf("reg ok lkey=0x%x %s vmpin_kb=%ld\n", mr->lkey,
	       o->write ? "writable" : "read-only", vmpin_kb());
	fflush(stdout);
	if (o->outlive)
		return outlive_mr(o, mr, map);
	if (o->hold)
		return hold(o, drop_mr, mr);
	ibv_dereg_mr(mr);
	return 0;
}

static void drop_uring(void *ring)
{
	io_uring_unregister_buffers(ring);
}

/* A temporary file of @len bytes of @byte, for reads into the buffer. */
static int pattern_file(size_t len, int byte)
{
	char tmpl[] = "/tmp/daxpin.XXXXXX";
	char *buf = malloc(len);
	int fd = mkstemp(tmpl);

	if (!buf || fd < 0)
		die(2, "temporary file: %s", strerror(errno));
	memset(buf, byte, len);
	if (pwrite(fd, buf, len, 0) != (ssize_t)len)
		die(2, "temporary file: %s", strerror(errno));
	unlink(tmpl);
	free(buf);
	return fd;
}

/*
 * uring -X: keep only the registered buffer, the pins, and use them after
 * the mapping, the lease and the file are gone.
 */
static void let_go(struct opts *o, char *map, long long deadline)
{
	if (o->await_go) {
		/* -W: hold everything until SIGUSR1 says let go */
		printf("waiting\n");
		fflush(stdout);
		while (!go && !stop && mono_ms() < deadline) {
			wait_event(-1, deadline);
			if (broken) {
				broken = 0;
				printf("break %lld ignored\n", now_ns());
				fflush(stdout);
			}
			unreg = 0;
		}
		go = 0;
	}
	munmap(map, o->len);
	if (o->shrink) {
		struct layout_lease_arg ll = {
			.start = o->off, .len = o->shrink,
			.type = F_RDLCK | F_LAYOUT,
		};

		if (fcntl(lease_fd, F_SETLAYOUT, &ll))
			printf("shrink errno=%d (%s)\n", errno, strerror(errno));
		else
			printf("shrunk ok\n");
	} else if (fcntl(lease_fd, F_SETLEASE, F_UNLCK))
		printf("unlck errno=%d (%s)\n", errno, strerror(errno));
	else
		printf("unlck ok\n");
	close(lease_fd);
	lease_fd = -1;
	printf("dropped\nholding\n");
	fflush(stdout);
}

static int outlive(struct opts *o, struct io_uring *ring, char *map)
{
	long long deadline = mono_ms() + o->timeout * 1000LL;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int ret, src;

	src = pattern_file(o->len, 0x5a);
	let_go(o, map, deadline);
	while (!stop && mono_ms() < deadline) {
		wait_event(-1, deadline);
		if (broken) {
			/* a lease break: ignored, as a holder gone astray would */
			broken = 0;
			printf("break %lld ignored\n", now_ns());
			fflush(stdout);
		}
		if (go) {
			go = 0;
			sqe = io_uring_get_sqe(ring);
			io_uring_prep_read_fixed(sqe, src, map, o->len, 0, 0);
			io_uring_submit(ring);
			ret = io_uring_wait_cqe(ring, &cqe);
			printf("dma done res=%d\n", ret ? ret : cqe->res);
			if (!ret)
				io_uring_cqe_seen(ring, cqe);
			fflush(stdout);
		}
		if (unreg) {
			unreg = 0;
			ret = io_uring_unregister_buffers(ring);
			if (ret)
				printf("unregister failed errno=%d\n", -ret);
			else
				printf("unregistered %lld\n", now_ns());
			fflush(stdout);
		}
	}
	return 0;
}

static int cmd_uring(struct opts *o)
{
	static struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	char tmpl[] = "/tmp/daxpin.XXXXXX";
	struct iovec iov;
	char *map, *src;
	int ret, fd;

	map = map_file(o);
	ret = io_uring_queue_init(4, &ring, 0);
	if (ret)
		die(2, "io_uring_queue_init: %s", strerror(-ret));
	iov.iov_base = map;
	iov.iov_len = o->len;
	ret = io_uring_register_buffers(&ring, &iov, 1);
	if (ret) {
		printf("reg failed errno=%d (%s)\n", -ret, strerror(-ret));
		return 1;
	}
	printf("reg ok uring vmpin_kb=%ld\n", vmpin_kb());
	/* Read a page of known bytes into the registered buffer. */
	src = malloc(PAGE);
	memset(src, 0x5a, PAGE);
	fd = mkstemp(tmpl);
	if (fd < 0 || pwrite(fd, src, PAGE, 0) != (ssize_t)PAGE)
		die(2, "temporary file: %s", strerror(errno));
	unlink(tmpl);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, map, PAGE, 0, 0);
	io_uring_submit(&ring);
	ret = io_uring_wait_cqe(&ring, &cqe);
	if (ret || cqe->res != (int)PAGE)
		die(2, "read_fixed: %s", strerror(ret ? -ret : -cqe->res));
	io_uring_cqe_seen(&ring, cqe);
	if (memcmp(map, src, PAGE)) {
		printf("read_fixed data differs\n");
		return 3;
	}
	printf("read_fixed ok\n");
	fflush(stdout);
	if (o->outlive)
		return outlive(o, &ring, map);
	if (o->hold)
		return hold(o, drop_uring, &ring);
	io_uring_unregister_buffers(&ring);
	return 0;
}

/*
 * Wait for one CM event of type @want. With @soft, an unexpected event
 * (rejected, unreachable, ...) or a timeout returns NULL; without, it is
 * fatal. NULL is also returned when the lease breaks meanwhile.
 */
static struct rdma_cm_event *cm_wait(struct rdma_event_channel *ec,
				     enum rdma_cm_event_type want,
				     long long deadline, int soft)
{
	struct rdma_cm_event *ev;
	int r;

	for (;;) {
		r = wait_event(ec->fd, deadline);
		if (r == -EINTR && (broken || go || stop))
			return NULL;
		if (r == 0) {
			if (soft)
				return NULL;
			die(4, "timed out waiting for %s", rdma_event_str(want));
		}
		if (r < 0 && r != -EINTR)
			die(2, "ppoll: %s", strerror(-r));
		if (r > 0)
			break;
	}
	if (rdma_get_cm_event(ec, &ev))
		die(2, "rdma_get_cm_event: %s", strerror(errno));
	if (ev->event != want) {
		if (!soft)
			die(2, "expected %s, got %s (status %d)",
			    rdma_event_str(want), rdma_event_str(ev->event),
			    ev->status);
		rdma_ack_cm_event(ev);
		return NULL;
	}
	return ev;
}

static struct ibv_qp *make_qp(struct rdma_cm_id *id, struct ibv_pd *pd,
			      struct ibv_comp_channel **chp, struct ibv_cq **cqp)
{
	struct ibv_qp_init_attr qa = { 0 };

	*chp = ibv_create_comp_channel(id->verbs);
	*cqp = ibv_create_cq(id->verbs, 16, NULL, *chp, 0);
	if (!*chp || !*cqp)
		die(2, "completion queue: %s", strerror(errno));
	qa.send_cq = qa.recv_cq = *cqp;
	qa.qp_type = IBV_QPT_RC;
	qa.cap.max_send_wr = 8;
	qa.cap.max_recv_wr = 2;
	qa.cap.max_send_sge = qa.cap.max_recv_sge = 1;
	if (rdma_create_qp(id, pd, &qa))
		die(2, "rdma_create_qp: %s", strerror(errno));
	return id->qp;
}

static void drop_conn(struct rdma_cm_id *id, struct ibv_pd *pd,
		      struct ibv_comp_channel *ch, struct ibv_cq *cq)
{
	rdma_disconnect(id);
	rdma_destroy_qp(id);
	ibv_destroy_cq(cq);
	ibv_destroy_comp_channel(ch);
	ibv_dealloc_pd(pd);
	rdma_destroy_id(id);
}

/*
 * One round of serve: the lease and mapping are taken, a peer connects,
 * gets the region, and RDMA goes on until the lease breaks; then the
 * region is deregistered and the lease released. Returns the exit status
 * for a single round, or -1 when the round ended with the lease broken
 * and let go.
 */
static int serve_round(struct opts *o, struct rdma_event_channel *ec,
		       char *map, long long deadline)
{
	struct rdma_conn_param cp = { 0 };
	struct ibv_comp_channel *ch;
	struct rdma_cm_event *ev;
	struct region_info info;
	struct rdma_cm_id *id;
	struct ibv_cq *cq;
	struct ibv_pd *pd;
	struct ibv_mr *mr;
	int ret;

	/*
	 * A peer that gave up waiting (its request was queued while this
	 * side was between rounds) never answers: take the next request.
	 */
	for (;;) {
		ev = cm_wait(ec, RDMA_CM_EVENT_CONNECT_REQUEST, deadline, 0);
		if (!ev && stop && !broken) {
			printf("stopped\n");
			release_lease();
			return 0;
		}
		if (!ev) {
			printf("break %lld before a peer connected\n", now_ns());
			release_lease();
			return -1;
		}
		id = ev->id;
		rdma_ack_cm_event(ev);
		pd = ibv_alloc_pd(id->verbs);
		if (!pd)
			die(2, "ibv_alloc_pd: %s", strerror(errno));
		make_qp(id, pd, &ch, &cq);
		mr = ibv_reg_mr(pd, map, o->len, o->rdonly_mr ?
				IBV_ACCESS_REMOTE_READ : IBV_ACCESS_LOCAL_WRITE |
				IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);
		if (!mr) {
			printf("reg failed errno=%d (%s)\n", errno, strerror(errno));
			rdma_reject(id, NULL, 0);
			return 1;
		}
		printf("reg ok lkey=0x%x %s vmpin_kb=%ld\n", mr->lkey,
		       o->rdonly_mr ? "read-only" : "writable", vmpin_kb());
		info.addr = (uintptr_t)map;
		info.rkey = mr->rkey;
		info.len = o->len;
		cp.private_data = &info;
		cp.private_data_len = sizeof(info);
		cp.responder_resources = 1;
		cp.initiator_depth = 1;
		if (rdma_accept(id, &cp))
			die(2, "rdma_accept: %s", strerror(errno));
		ev = cm_wait(ec, RDMA_CM_EVENT_ESTABLISHED,
			     mono_ms() + 15000 < deadline ? mono_ms() + 15000 :
			     deadline, 1);
		if (ev) {
			rdma_ack_cm_event(ev);
			break;
		}
		ibv_dereg_mr(mr);
		drop_conn(id, pd, ch, cq);
		if (broken) {
			printf("break %lld before a peer connected\n", now_ns());
			release_lease();
			return -1;
		}
		printf("peer went away before the connection was established\n");
	}
	printf("serving\n");
	ret = await_break(o, deadline);
	if (ret == 0)
		return 4;
	ibv_dereg_mr(mr);
	printf("deregistered %lld\n", now_ns());
	release_lease();
	if (ret < 0) {
		/* Told to stop while serving. */
		drop_conn(id, pd, ch, cq);
		return 0;
	}
	if (o->loop) {
		drop_conn(id, pd, ch, cq);
		return -1;
	}
	/* Serve on (without the region) until the peer goes. */
	broken = 0;
	deadline = mono_ms() + 120000;
	for (;;) {
		int r = wait_event(ec->fd, deadline);

		if (r == 0) {
			printf("peer still connected\n");
			break;
		}
		if (r < 0)
			continue;
		if (rdma_get_cm_event(ec, &ev))
			break;
		r = ev->event;
		rdma_ack_cm_event(ev);
		if (r == RDMA_CM_EVENT_DISCONNECTED) {
			printf("peer disconnected\n");
			break;
		}
	}
	return 0;
}

/*
 * serve [-L]: with -L, after each break wait for SIGUSR1 (or the
 * deadline), then take the lease, map and serve again, until SIGTERM.
 */
static int cmd_serve(struct opts *o)
{
	long long deadline = mono_ms() + o->timeout * 1000LL;
	struct rdma_event_channel *ec;
	struct rdma_cm_id *lid;
	struct addrinfo *ai;
	int round, ret;
	char *map;

	ec = rdma_create_event_channel();
	if (!ec || rdma_create_id(ec, &lid, NULL, RDMA_PS_TCP))
		die(2, "rdma_create_id: %s", strerror(errno));
	if (getaddrinfo(o->addr, o->port, NULL, &ai))
		die(2, "bad address %s", o->addr);
	if (rdma_bind_addr(lid, ai->ai_addr) || rdma_listen(lid, 4))
		die(2, "listen on %s:%s: %s", o->addr, o->port, strerror(errno));
	printf("listening\n");
	for (round = 1; ; round++) {
		broken = 0;
		go = 0;
		map = map_file(o);
		ret = serve_round(o, ec, map, deadline);
		munmap(map, o->len);
		close(lease_fd);
		lease_fd = -1;
		if (ret >= 0 || !o->loop)
			return ret < 0 ? 0 : ret;
		printf("round %d done, waiting\n", round);
		broken = 0;
		while (!go && !stop && mono_ms() < deadline)
			wait_event(-1, deadline);
		if (!go)
			return 0;
	}
}

/* Post one RDMA op and wait for its completion; returns the wc status. */
static int rdma_op(struct ibv_qp *qp, struct ibv_cq *cq,
		   struct ibv_comp_channel *ch, enum ibv_wr_opcode op,
		   struct ibv_mr *lmr, void *buf, uint64_t raddr, uint32_t rkey,
		   long long deadline)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)buf, .length = PAGE, .lkey = lmr->lkey,
	};
	struct ibv_send_wr wr = {
		.opcode = op, .sg_list = &sge, .num_sge = 1,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = raddr, .rkey = rkey },
	}, *bad;
	struct ibv_wc wc;
	struct ibv_cq *ecq;
	void *ectx;
	int n;

	if (ibv_post_send(qp, &wr, &bad))
		return -errno;
	for (;;) {
		n = ibv_poll_cq(cq, 1, &wc);
		if (n < 0)
			return -EIO;
		if (n == 1)
			return wc.status;
		ibv_req_notify_cq(cq, 0);
		n = ibv_poll_cq(cq, 1, &wc);
		if (n == 1)
			return wc.status;
		n = wait_event(ch->fd, deadline);
		if (n == 0)
			return -ETIMEDOUT;
		if (n < 0 && stop)
			return -EINTR;
		if (ibv_get_cq_event(ch, &ecq, &ectx) == 0)
			ibv_ack_cq_events(ecq, 1);
	}
}

/*
 * drive -C: read the whole region through the pins, page by page, and
 * compare each page with what the file holds there now.  Returns 0 when
 * all are the same, 3 when some differ, 1 when an op failed (a work
 * completion status may be 3 too, so it is not passed on).
 */
static int compare_region(struct opts *o, struct ibv_qp *qp, struct ibv_cq *cq,
			  struct ibv_comp_channel *ch, struct ibv_mr *lmr,
			  char *rbuf, struct region_info *info,
			  long long deadline)
{
	unsigned long long pages = 0, differ = 0, first = 0;
	char fbuf[PAGE];
	uint64_t off;
	int fd, st = IBV_WC_SUCCESS;

	fd = open(o->compare, O_RDONLY);
	if (fd < 0)
		die(2, "open %s: %s", o->compare, strerror(errno));
	for (off = 0; off + PAGE <= info->len; off += PAGE) {
		ssize_t n;

		st = rdma_op(qp, cq, ch, IBV_WR_RDMA_READ, lmr, rbuf,
			     info->addr + off, info->rkey, deadline);
		if (st != IBV_WC_SUCCESS)
			break;
		n = pread(fd, fbuf, PAGE, off);
		if (n < 0)
			die(2, "read %s: %s", o->compare, strerror(errno));
		if (n < (ssize_t)PAGE)
			memset(fbuf + n, 0, PAGE - n);
		if (memcmp(rbuf, fbuf, PAGE) && differ++ == 0)
			first = off;
		pages++;
	}
	close(fd);
	if (st != IBV_WC_SUCCESS) {
		printf("read failed after %llu pages: %s\n", pages,
		       st < 0 ? strerror(-st) : ibv_wc_status_str(st));
		return 1;
	}
	printf("compared %llu pages: %llu differ, first at %llu\n", pages,
	       differ, differ ? first : 0);
	return differ ? 3 : 0;
}

/*
 * One connection of drive: connect, then WRITE/READ/compare until an
 * operation fails. Returns the status that ended it, 3 on a mismatch, or
 * -1 if no connection could be made.
 */
static int drive_round(struct opts *o, unsigned long long *ops,
		       unsigned long long *mismatches, long long deadline)
{
	struct rdma_conn_param cp = { 0 };
	struct rdma_event_channel *ec;
	struct ibv_comp_channel *ch;
	struct region_info info;
	struct rdma_cm_event *ev;
	struct rdma_cm_id *id;
	struct addrinfo *ai;
	struct ibv_qp *qp;
	struct ibv_cq *cq;
	struct ibv_pd *pd;
	struct ibv_mr *lmr;
	unsigned long long n = 0;
	char *wbuf, *rbuf;
	int st;

	ec = rdma_create_event_channel();
	if (!ec || rdma_create_id(ec, &id, NULL, RDMA_PS_TCP))
		die(2, "rdma_create_id: %s", strerror(errno));
	if (getaddrinfo(o->addr, o->port, NULL, &ai))
		die(2, "bad address %s", o->addr);
	if (rdma_resolve_addr(id, NULL, ai->ai_addr, 10000))
		die(2, "rdma_resolve_addr: %s", strerror(errno));
	freeaddrinfo(ai);
	ev = cm_wait(ec, RDMA_CM_EVENT_ADDR_RESOLVED, deadline, 0);
	if (!ev)
		goto out_id;
	rdma_ack_cm_event(ev);
	if (rdma_resolve_route(id, 10000))
		die(2, "rdma_resolve_route: %s", strerror(errno));
	ev = cm_wait(ec, RDMA_CM_EVENT_ROUTE_RESOLVED, deadline, 0);
	if (!ev)
		goto out_id;
	rdma_ack_cm_event(ev);
	pd = ibv_alloc_pd(id->verbs);
	qp = make_qp(id, pd, &ch, &cq);
	wbuf = aligned_alloc(PAGE, 2 * PAGE);
	rbuf = wbuf + PAGE;
	lmr = ibv_reg_mr(pd, wbuf, 2 * PAGE, IBV_ACCESS_LOCAL_WRITE);
	if (!lmr)
		die(2, "local ibv_reg_mr: %s", strerror(errno));
	cp.responder_resources = 1;
	cp.initiator_depth = 1;
	cp.retry_count = 3;
	if (rdma_connect(id, &cp))
		die(2, "rdma_connect: %s", strerror(errno));
	ev = cm_wait(ec, RDMA_CM_EVENT_ESTABLISHED, deadline, o->loop);
	if (!ev || ev->param.conn.private_data_len < sizeof(info)) {
		if (ev)
			rdma_ack_cm_event(ev);
		if (!o->loop)
			die(2, "no region from the server");
		st = -1;
		goto out;
	}
	memcpy(&info, ev->param.conn.private_data, sizeof(info));
	rdma_ack_cm_event(ev);
	printf("connected region len=%u\n", info.len);
	if (o->compare) {
		/* Again on each SIGUSR1, until SIGTERM or the deadline. */
		for (;;) {
			st = compare_region(o, qp, cq, ch, lmr, rbuf, &info,
					    deadline);
			if (st != 0 && st != 3)
				break;
			go = 0;
			while (!go && !stop && mono_ms() < deadline)
				wait_event(-1, deadline);
			if (!go)
				break;
		}
		goto out;
	}

	for (;;) {
		uint64_t off = (n % (info.len / PAGE)) * PAGE;
		unsigned long long i;

		if (mono_ms() >= deadline || stop) {
			st = -ETIMEDOUT;
			break;
		}
		for (i = 0; i < PAGE / 8; i++)
			((unsigned long long *)wbuf)[i] = (*ops + n) << 16 | i;
		st = rdma_op(qp, cq, ch, IBV_WR_RDMA_WRITE, lmr, wbuf,
			     info.addr + off, info.rkey, deadline);
		if (st == IBV_WC_SUCCESS)
			st = rdma_op(qp, cq, ch, IBV_WR_RDMA_READ, lmr, rbuf,
				     info.addr + off, info.rkey, deadline);
		if (st != IBV_WC_SUCCESS)
			break;
		if (memcmp(wbuf, rbuf, PAGE)) {
			printf("mismatch at op %llu offset %llu\n", *ops + n,
			       (unsigned long long)off);
			(*mismatches)++;
			if (!o->loop) {
				st = 3;
				n++;
				break;
			}
		}
		n++;
		if ((*ops + n) % 100 == 0)
			printf("ops %llu\n", *ops + n);
	}
	printf("stopped after %llu ops: %s\n", *ops + n,
	       st == 3 ? "mismatch" : st < 0 ? strerror(-st) :
	       ibv_wc_status_str(st));
	*ops += n;
out:
	rdma_disconnect(id);
	ibv_dereg_mr(lmr);
	free(wbuf);
	rdma_destroy_qp(id);
	ibv_destroy_cq(cq);
	ibv_destroy_comp_channel(ch);
	ibv_dealloc_pd(pd);
	rdma_destroy_id(id);
	rdma_destroy_event_channel(ec);
	return st;
out_id:
	/* Told to stop while resolving. */
	rdma_destroy_id(id);
	rdma_destroy_event_channel(ec);
	return -1;
}

/* drive [-L]: with -L, connect again after each lost region, until
 * SIGTERM or the deadline; then print the totals. */
static int cmd_drive(struct opts *o)
{
	long long deadline = mono_ms() + o->timeout * 1000LL;
	unsigned long long ops = 0, mismatches = 0, rounds = 0;
	int st;

	for (;;) {
		st = drive_round(o, &ops, &mismatches, deadline);
		if (st >= 0 && st != 3 && st != -ETIMEDOUT)
			rounds++;
		if (!o->loop)
			break;
		if (stop || mono_ms() >= deadline)
			break;
		if (st == -1)
			/* The server is between rounds: try again shortly. */
			wait_event(-1, mono_ms() + 200);
	}
	if (o->loop) {
		printf("total ops %llu mismatches %llu regions %llu\n", ops,
		       mismatches, rounds);
		return mismatches ? 3 : 0;
	}
	if (st == -ETIMEDOUT) {
		printf("timeout after %llu ops\n", ops);
		return 4;
	}
	if (o->compare)
		return st == 0 || st == 3 ? st : 1;
	if (st == 3)
		return 3;
	return st == IBV_WC_REM_ACCESS_ERR || st == IBV_WC_WR_FLUSH_ERR ? 0 : 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: daxpin reg|uring FILE [-l] [-w|-o] [-n LEN] [-H] [-i|-u] [-t S]\n"
		"       daxpin uring|reg FILE -l|-R RLEN [-O OFF] -X [-W] [-S SLEN] [-n LEN] [-t S]\n"
		"       daxpin serve FILE -a ADDR [-p PORT] [-n LEN] [-r [-o]] [-i] [-L] [-t S]\n"
		"       daxpin drive ADDR [-p PORT] [-L | -C FILE] [-t S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = { .len = 1 << 20, .port = "7471", .timeout = 600 };
	const char *cmd;
	int c;

	if (argc < 3)
		usage();
	cmd = argv[1];
	if (!strcmp(cmd, "drive"))
		o.addr = argv[2];
	else
		o.file = argv[2];
	optind = 3;
	while ((c = getopt(argc, argv, "lR:wn:Hiut:a:p:LXWS:roC:O:")) != -1) {
		switch (c) {
		case 'l': o.lease = 1; break;
		case 'R': o.lease = 1; o.lease_len = strtoul(optarg, NULL, 0); break;
		case 'w': o.write = 1; break;
		case 'n': o.len = strtoul(optarg, NULL, 0); break;
		case 'H': o.hold = 1; break;
		case 'i': o.ignore = 1; break;
		case 'u': o.unmap = 1; break;
		case 't': o.timeout = atoi(optarg); break;
		case 'a': o.addr = optarg; break;
		case 'p': o.port = optarg; break;
		case 'L': o.loop = 1; break;
		case 'X': o.outlive = 1; break;
		case 'W': o.await_go = 1; break;
		case 'S': o.shrink = strtoul(optarg, NULL, 0); break;
		case 'r': o.rdonly_mr = 1; break;
		case 'o': o.rdonly_map = 1; break;
		case 'C': o.compare = optarg; break;
		case 'O': o.off = strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (o.len == 0 || o.len % PAGE || o.timeout <= 0)
		usage();
	/* -O: the mapping and the ranged lease start at OFF */
	if (o.off && (o.off % PAGE || !o.lease_len ||
		      (strcmp(cmd, "uring") && strcmp(cmd, "reg"))))
		usage();
	if (o.outlive && ((strcmp(cmd, "uring") && strcmp(cmd, "reg")) ||
			  !o.lease || o.hold))
		usage();
	if (o.await_go && !o.outlive)
		usage();
	if (o.shrink && (!o.outlive || o.shrink % PAGE))
		usage();
	/* A read-only mapping: read-only pins only (reg without -w, serve -r). */
	if (o.rdonly_map && (o.write || o.outlive ||
			     (strcmp(cmd, "reg") && !o.rdonly_mr)))
		usage();
	if (o.rdonly_mr && strcmp(cmd, "serve"))
		usage();
	if (o.compare && (strcmp(cmd, "drive") || o.loop))
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	setup_signals();
	if (o.loop) {
		struct sigaction sa = { .sa_handler = on_signal };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}
	if (!strcmp(cmd, "reg"))
		return cmd_reg(&o);
	if (!strcmp(cmd, "uring"))
		return cmd_uring(&o);
	if (!strcmp(cmd, "serve")) {
		if (!o.addr)
			usage();
		o.lease = 1;
		return cmd_serve(&o);
	}
	if (!strcmp(cmd, "drive"))
		return cmd_drive(&o);
	usage();
	return 2;
}
