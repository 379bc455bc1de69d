#!/usr/bin/env python3
"""Soak: layout changes on the server against every kind of external
reference at once, with a model of each file's content as the oracle.

  soak.py --seconds N --run-dir DIR --top DIR --helpers DIR --out DIR

Three workers run side by side until the time is up, each on its own file:

  pnfs   client1 writes soak-pnfs.dat through its pNFS block layout (NVMe-oF
         over RDMA); the server truncates, punches, zeroes, collapses,
         inserts and extends it.
  nfsrdma  the same on soak-nfsrdma.dat from client2, whose mount is NFS over
         RDMA with no block device (its data goes as NFS WRITEs over RDMA).
  rdma-mr  daxpin on the server serves soak-mr.dat as an RDMA memory region
         under a layout lease; daxpin on client2 writes and reads it back
         without pause. The server truncates the file to 0 and extends it
         again: the lease breaks, the region goes, and the file must read
         back as zeroes before the region is served again.

client1 writes through its page cache and fsyncs; client2 writes with
O_DIRECT; both verify with O_DIRECT reads, so that what they see is what
the server holds, not what a page cache kept from before a change the
server made. Every operation of a worker is done and finished before its
next one, so the
model (a bytearray per file, updated on every write, truncate, punch, zero,
collapse and insert) says exactly what the file holds. The server's copy is
compared with it every few operations, the client's view less often; any
byte that differs is a corruption. Breaks are counted from the server's
xfs_break_layouts_done tracepoint (only breaks that waited), per kind, with
the longest wait.

A progress line every 10 s; the report goes to OUT/soak.json and stdout.
Exit status: 0 no corruption and no failed operation, 1 otherwise,
2 setup failure.
"""
import argparse
import base64
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import threading
import time

BLK = 4096
MAX_SIZE = 4 << 20


class VM:
    def __init__(self, args, name):
        self.name = name
        with open(os.path.join(args.run_dir, name + ".port")) as f:
            self.port = f.read().strip()
        self.vmctl = os.path.join(args.top, "tests/lib/vmctl.py")
        self.env = "export LB_TOP=%s LB_SHARE=/run/lb; " % args.top

    def run(self, script, timeout=120):
        p = subprocess.run(
            ["python3", self.vmctl, self.port, "--timeout", str(timeout),
             self.env + script],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout + 60)
        return p.returncode, p.stdout.decode(errors="replace")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.ops = {}
        self.corruptions = []
        self.failures = []

    def op(self, worker, kind):
        with self.lock:
            key = "%s/%s" % (worker, kind)
            self.ops[key] = self.ops.get(key, 0) + 1

    def corrupt(self, worker, what):
        with self.lock:
            self.corruptions.append({"worker": worker, "what": what})
        print("soak: CORRUPTION %s: %s" % (worker, what), flush=True)

    def fail(self, worker, what):
        with self.lock:
            self.failures.append({"worker": worker, "what": what})
        print("soak: FAILED %s: %s" % (worker, what), flush=True)


def sha(data):
    return hashlib.sha256(bytes(data)).hexdigest()


class ModelWorker(threading.Thread):
    """Client writes and server layout changes on one file, checked
    against a model of its content."""

    def __init__(self, name, server, client, spath, cpath, stats, deadline, seed,
                 direct=False, hold=False):
        super().__init__(name=name, daemon=True)
        self.direct, self.hold = direct, hold
        self.server, self.client = server, client
        self.spath, self.cpath = spath, cpath
        self.stats, self.deadline = stats, deadline
        self.rnd = random.Random(seed)
        self.model = bytearray()
        self.n = 0

    def srv(self, cmd, what):
        rc, out = self.server.run(cmd)
        if rc != 0:
            self.stats.fail(self.name, "%s: rc=%d %s" % (what, rc, out.strip()[-300:]))
        return rc == 0, out

    def aligned(self, limit):
        return self.rnd.randrange(0, max(limit // BLK, 1)) * BLK

    def step(self):
        size = len(self.model)
        kinds = ["write"] * 4 + ["truncate", "punch", "zero", "collapse",
                                 "insert", "extend"]
        kind = self.rnd.choice(kinds)
        if kind == "write" or size < 4 * BLK:
            off = self.aligned(min(size + 64 * 1024, MAX_SIZE - 256 * 1024))
            ln = self.rnd.randrange(1, 64) * BLK
            byte = self.rnd.randrange(1, 256)
            rc, out = self.client.run(
                "xfs_io -f %s -c 'pwrite -q -S 0x%02x -b 65536 %d %d' -c fsync %s"
                % ("-d" if self.direct else "", byte, off, ln, self.cpath))
            if rc != 0:
                self.stats.fail(self.name, "client write: rc=%d %s" % (rc, out.strip()[-300:]))
                return
            if off + ln > size:
                self.model.extend(bytes(off + ln - size))
            self.model[off:off + ln] = bytes([byte]) * ln
            kind = "write"
        elif kind == "truncate":
            new = min(self.aligned(size) + self.rnd.choice([0, 512, 1000]), size)
            ok, _ = self.srv("xfs_io -c 'truncate %d' %s" % (new, self.spath), "truncate")
            if not ok:
                return
            del self.model[new:]
        elif kind in ("punch", "zero"):
            off = self.aligned(size)
            ln = min(self.rnd.randrange(1, 64) * BLK, size - off)
            if ln <= 0:
                return
            ok, _ = self.srv("xfs_io -c 'f%s %d %d' %s" % (kind, off, ln, self.spath), kind)
            if not ok:
                return
            self.model[off:off + ln] = bytes(ln)
        elif kind == "collapse":
            # aligned, and ending before EOF
            if size < 3 * BLK:
                return
            off = self.aligned(size - 2 * BLK)
            ln = min(self.rnd.randrange(1, 32) * BLK, (size - off - 1) // BLK * BLK)
            if ln <= 0:
                return
            ok, _ = self.srv("xfs_io -c 'fcollapse %d %d' %s" % (off, ln, self.spath), kind)
            if not ok:
                return
            del self.model[off:off + ln]
        elif kind == "insert":
            # aligned, starting before EOF
            if size + 32 * BLK > MAX_SIZE:
                return
            off = self.aligned(size)
            ln = self.rnd.randrange(1, 32) * BLK
            ok, _ = self.srv("xfs_io -c 'finsert %d %d' %s" % (off, ln, self.spath), kind)
            if not ok:
                return
            self.model[off:off] = bytes(ln)
        elif kind == "extend":
            new = min(size + self.rnd.randrange(1, 64) * BLK, MAX_SIZE)
            ok, _ = self.srv("xfs_io -c 'truncate %d' %s" % (new, self.spath), kind)
            if not ok:
                return
            self.model.extend(bytes(new - size))
        self.stats.op(self.name, kind)
        self.n += 1

    def verify(self, where):
        vm, path = (self.server, self.spath) if where == "server" else (self.client, self.cpath)
        # The client reads with O_DIRECT: what the server has, not what its
        # page cache may still hold after a change made on the server.
        # Its size is what the read returns: stat(2) on the client may answer
        # from attributes cached before a change on the server (NFS
        # promises fresh attributes at open, not at every stat).
        rd = "cat %s" % path if where == "server" else "dd if=%s iflag=direct bs=1M status=none" % path
        if where == "server":
            cmd = "stat -c %%s %s; %s | sha256sum | cut -d' ' -f1" % (path, rd)
        else:
            tmp = "/tmp/soak-verify-%s" % self.name
            cmd = ("%s > %s && stat -c %%s %s && sha256sum < %s | cut -d' ' -f1; rc=$?; rm -f %s; exit $rc"
                   % (rd, tmp, tmp, tmp, tmp))
        rc, out = vm.run(cmd)
        lines = out.split()
        if rc != 0 or len(lines) < 2:
            self.stats.fail(self.name, "%s verify: rc=%d %s" % (where, rc, out.strip()[-300:]))
            return
        size, digest = int(lines[0]), lines[1]
        self.stats.op(self.name, "verify-" + where)
        if size == len(self.model) and digest == sha(self.model):
            return
        # Count the bytes that differ.
        rc, out = vm.run("%s | base64 -w0" % rd, timeout=300)
        try:
            data = base64.b64decode(out.strip())
        except Exception:
            data = b""
        n = min(len(data), len(self.model))
        bad = sum(1 for i in range(n) if data[i] != self.model[i]) + abs(len(data) - len(self.model))
        self.stats.corrupt(self.name, "%s view after %d ops: size %d (model %d), %d bytes differ"
                           % (where, self.n, size, len(self.model), bad))
        # Go on from what is there, so that one corruption is counted once.
        self.model = bytearray(data)

    def run(self):
        self.server.run("rm -f %s; touch %s; chmod 666 %s" % ((self.spath,) * 3))
        # Optionally keep the file open on the client, so that it keeps its
        # layouts between writes (the Linux client returns them at the last
        # close) and every change on the server has something to recall.
        if self.hold:
            self.client.run("setsid sh -c 'exec 3<>%s; exec sleep 100000' < /dev/null > /dev/null 2>&1 &"
                            " echo $! > /run/soak-hold-%s.pid" % (self.cpath, self.name))
        while time.monotonic() < self.deadline:
            self.step()
            if self.n % 4 == 0:
                self.verify("server")
            if self.n % 12 == 0:
                self.verify("client")
        self.verify("server")
        self.verify("client")
        if self.hold:
            self.client.run("kill $(cat /run/soak-hold-%s.pid)" % self.name)


class MRWorker(threading.Thread):
    """An RDMA memory region on a DAX file under a layout lease, written
    and read back by a client without pause, while the server truncates
    the file away and extends it again."""

    def __init__(self, server, client, addr, helpers, lbvm, stats, deadline, seconds):
        super().__init__(name="rdma-mr", daemon=True)
        self.server, self.client, self.addr = server, client, addr
        self.helpers, self.lbvm = helpers, lbvm
        self.stats, self.deadline, self.seconds = stats, deadline, seconds
        self.path = "/srv/export/soak-mr.dat"
        self.totals = ""

    def run(self):
        s, c, name = self.server, self.client, self.name
        t = self.seconds + 600
        rc, out = s.run(
            "rm -f {p}; xfs_io -f -c 'truncate 1m' {p}\n"
            "setsid {h}/daxpin serve {p} -a {a} -p 7472 -L -t {t} < /dev/null > /run/soak-srv.out 2>&1 &\n"
            "echo $! > /run/soak-srv.pid\n"
            "{l} wait-for 60 grep -q listening /run/soak-srv.out".format(
                p=self.path, h=self.helpers, a=self.addr, t=t, l=self.lbvm))
        if rc != 0:
            self.stats.fail(name, "daxpin serve did not start: " + out[-300:])
            return
        rc, out = c.run(
            "setsid {h}/daxpin drive {a} -p 7472 -L -t {t} < /dev/null > /run/soak-drv.out 2>&1 &\n"
            "echo $! > /run/soak-drv.pid".format(h=self.helpers, a=self.addr, t=t))
        zeros = sha(bytes(1 << 20))
        rounds = 0
        while time.monotonic() < self.deadline:
            rounds += 1
            # Served and used: the region of this round exists and the
            # client has written through it.
            rc, out = s.run("{l} wait-for 120 sh -c '[ $(grep -c ^serving /run/soak-srv.out) -ge {r} ]'"
                            .format(l=self.lbvm, r=rounds), timeout=180)
            if rc != 0:
                self.stats.fail(name, "round %d never served: %s" % (rounds, s.run("tail -n 5 /run/soak-srv.out")[1]))
                return
            self.stats.op(name, "served")
            rc, out = s.run("timeout 120 truncate -s 0 %s && stat -c %%s %s" % (self.path, self.path),
                            timeout=180)
            if rc != 0 or out.strip() != "0":
                self.stats.fail(name, "truncate under the region: rc=%d %s" % (rc, out.strip()[-300:]))
                return
            self.stats.op(name, "truncate")
            rc, out = s.run("grep -c ^deregistered /run/soak-srv.out")
            if not out.strip().isdigit() or int(out.strip()) < rounds:
                self.stats.corrupt(name, "truncate %d completed before the region was deregistered" % rounds)
            rc, out = s.run("xfs_io -c 'truncate 1m' %s && sha256sum < %s | cut -d' ' -f1"
                            % (self.path, self.path))
            self.stats.op(name, "extend")
            if out.strip() != zeros:
                self.stats.corrupt(name, "round %d: re-extended file is not all zeroes" % rounds)
            s.run("kill -USR1 $(cat /run/soak-srv.pid)")
        c.run("kill $(cat /run/soak-drv.pid); {l} wait-for 60 grep -q '^total' /run/soak-drv.out"
              .format(l=self.lbvm), timeout=90)
        rc, out = c.run("grep -E '^total' /run/soak-drv.out; grep -c ^mismatch /run/soak-drv.out")
        self.totals = out.strip()
        m = re.search(r"total ops (\d+) mismatches (\d+) regions (\d+)", out)
        if m:
            self.stats.ops["rdma-mr/rdma-write-read"] = int(m.group(1))
            if int(m.group(2)):
                self.stats.corrupt(name, "%s RDMA reads differed from what was written" % m.group(2))
        else:
            self.stats.fail(name, "no totals from daxpin drive: " + out[-300:])
        # The server's region must go with SIGTERM, wherever serve is.
        rc, out = s.run("kill $(cat /run/soak-srv.pid); "
                        "{l} wait-for 60 sh -c '! kill -0 $(cat /run/soak-srv.pid) 2>/dev/null'"
                        .format(l=self.lbvm), timeout=90)
        if rc != 0:
            self.stats.fail(name, "daxpin serve did not stop on SIGTERM: " +
                            s.run("tail -n 5 /run/soak-srv.out; kill -9 $(cat /run/soak-srv.pid)")[1][-300:])
        s.run("rm -f %s" % self.path)


def breaks(server, traced):
    """xfs_break_layouts_done events that waited: per kind, count and
    longest wait in ms; None where the kernel has no such tracepoint."""
    if not traced:
        return None
    rc, out = server.run("cat /sys/kernel/tracing/instances/lbsoak/trace; "
                         "rmdir /sys/kernel/tracing/instances/lbsoak", timeout=120)
    per = {}
    for m in re.finditer(r"kind (\w+) range \S+ refs (\d+) waited_ns (\d+) error (-?\d+)", out):
        kind, refs, ns, err = m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4))
        if refs == 0:
            continue
        d = per.setdefault(kind, {"breaks": 0, "max_wait_ms": 0.0, "errors": 0})
        d["breaks"] += 1
        d["max_wait_ms"] = max(d["max_wait_ms"], round(ns / 1e6, 1))
        if err:
            d["errors"] += 1
    return per


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--run-dir", required=True)
    ap.add_argument("--top", required=True)
    ap.add_argument("--helpers", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--hold-open", action="store_true",
                    help="client1 keeps its file open (see the README: its "
                    "writes then hang on a recall, or differ, on 6.12)")
    args = ap.parse_args()
    lbvm = os.path.join(args.top, "tests/vm/lbvm")
    server, c1, c2 = VM(args, "server"), VM(args, "client1"), VM(args, "client2")
    # Stock kernels have no xfs_break_layouts_done: the soak runs all the
    # same, without a count of breaks.
    rc, out = server.run("test -d /sys/kernel/tracing/events/xfs/xfs_break_layouts_done")
    traced = rc == 0
    if not traced:
        print("soak: this kernel does not trace layout breaks; breaks are not counted",
              flush=True)
    else:
        rc, out = server.run(
            "T=/sys/kernel/tracing/instances/lbsoak; mkdir -p $T && "
            "echo 16384 > $T/buffer_size_kb && "
            "echo 'nwaits > 0' > $T/events/xfs/xfs_break_layouts_done/filter && "
            "echo 1 > $T/events/xfs/xfs_break_layouts_done/enable")
        if rc != 0:
            print("soak: cannot trace breaks on the server: " + out, file=sys.stderr)
            return 2
    stats = Stats()
    start = time.monotonic()
    deadline = start + args.seconds
    print("soak: %d s, seed %d" % (args.seconds, args.seed), flush=True)
    workers = [
        ModelWorker("pnfs", server, c1, "/srv/export/soak-pnfs.dat", "/mnt/pnfs/soak-pnfs.dat",
                    stats, deadline, args.seed, hold=args.hold_open),
        ModelWorker("nfsrdma", server, c2, "/srv/export/soak-nfsrdma.dat",
                    "/mnt/pnfs/soak-nfsrdma.dat", stats, deadline, args.seed + 1,
                    direct=True),
        MRWorker(server, c2, "10.55.2.1", args.helpers, lbvm, stats, deadline, args.seconds),
    ]
    for w in workers:
        w.start()
    while any(w.is_alive() for w in workers):
        for w in workers:
            w.join(timeout=10)
        el = int(time.monotonic() - start)
        with stats.lock:
            tot = sum(stats.ops.values())
            ncor, nfail = len(stats.corruptions), len(stats.failures)
        print("soak: %d/%d s, %d operations, %d corruptions, %d failures"
              % (min(el, args.seconds), args.seconds, tot, ncor, nfail), flush=True)
        if el > args.seconds + 900:
            stats.fail("soak", "workers did not finish 900 s after the end")
            break
    report = {
        "seconds": args.seconds,
        "seed": args.seed,
        "operations": dict(sorted(stats.ops.items())),
        "operations_total": sum(stats.ops.values()),
        "breaks": breaks(server, traced),
        "corruptions": len(stats.corruptions),
        "corruption_details": stats.corruptions,
        "failures": stats.failures,
        "rdma_mr_totals": workers[2].totals,
    }
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "soak.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report, indent=1))
    return 0 if not stats.corruptions and not stats.failures else 1


if __name__ == "__main__":
    sys.exit(main())
