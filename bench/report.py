#!/usr/bin/env python3
"""Bench report: collects the samples of every run of bench/run (one per
kernel and round), writes build/bench/{samples,summary}.csv and
results.json, draws the plots with gnuplot, and writes BENCHMARKS.md.

  bench/report.py --results DIR --out DIR [--markdown FILE --plots DIR]
                  [--machine TEXT] [--accel kvm|tcg] [--accel-why TEXT] [--commit SHA]

DIR holds r<round>-<kernel>/<measure>/samples.csv. Without --markdown only
the CSV, JSON and plots are written (the smoke test uses that). Exit 0,
or 1 when no sample was found.
"""
import argparse
import csv
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import time


def load(results):
    rows = []
    for path in sorted(glob.glob(os.path.join(results, "r*-*", "*", "samples.csv"))):
        run = os.path.basename(os.path.dirname(os.path.dirname(path)))
        m = re.match(r"r(\d+)-(ours|stock)$", run)
        if not m:
            continue
        rnd, kernel = int(m.group(1)), m.group(2)
        for line in open(path):
            f = line.strip().split(",")
            if len(f) != 4:
                continue
            try:
                v = float(f[2])
            except ValueError:
                continue
            rows.append({"kernel": kernel, "round": rnd, "measure": f[0],
                         "param": f[1], "value": v, "unit": f[3]})
    return rows


def summarize(rows):
    groups = {}
    for r in rows:
        groups.setdefault((r["measure"], r["param"], r["unit"], r["kernel"]), []).append(r["value"])
    out = {}
    for (m, p, u, k), vs in sorted(groups.items()):
        out[(m, p, k)] = {"measure": m, "param": p, "unit": u, "kernel": k, "n": len(vs),
                          "min": min(vs), "median": statistics.median(vs), "max": max(vs)}
    return out


def med(s, m, p, k):
    e = s.get((m, p, k))
    return e["median"] if e else None


def spread(s, m, p, k):
    e = s.get((m, p, k))
    if not e or not e["median"]:
        return None
    return (e["max"] - e["min"]) / e["median"]


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt(v, digits=2):
    if v is None:
        return "-"
    if isinstance(v, float) and abs(v) < 100:
        return "%.*f" % (digits, v)
    return "%d" % round(v)


def ms(v):
    return None if v is None else v / 1e6


def goals(s):
    """Each goal of the issue: what was measured, the figure, met or not."""
    g = []
    # 1. Break latency against the round trip, per kernel.
    for k in ("ours", "stock"):
        rt = med(s, "recall-round-trip", "conflict", k)
        for op in ("truncate", "punch"):
            for n in ("1-clients", "2-clients"):
                b = med(s, "break-" + op, n, k)
                r = ratio(b, rt)
                inner = med(s, "break-%s-round-trip" % op, n, k)
                ri = ratio(b, inner)
                g.append({"goal": "break %s, %s, within 1.2x of a recall round trip" % (op, n.replace("-clients", " client(s)")),
                          "kernel": k, "value": r,
                          "figure": "%s ms / %s ms (recall on its own) = %sx; its own recall took %s ms (%sx)" % (
                              fmt(ms(b)), fmt(ms(rt)), fmt(r), fmt(ms(inner)), fmt(ri)),
                          "met": None if r is None else r <= 1.2})
    # 2. Range-aware gain.
    for k in ("ours", "stock"):
        a = med(s, "punch-outside-layouts", "2-clients", k)
        b = med(s, "punch-no-layouts", "none", k)
        rc = med(s, "punch-outside-layouts-recalls", "2-clients", k)
        r = ratio(a, b)
        g.append({"goal": "punch outside all layouts: no recalls, within 1.1x of no layouts",
                  "kernel": k, "value": r,
                  "figure": "%s ms / %s ms = %sx, %s recalls" % (fmt(ms(a)), fmt(ms(b)), fmt(r), fmt(rc, 0)),
                  "met": None if r is None or rc is None else (r <= 1.1 and rc == 0)})
    # 3. Fast path, ours against stock.
    for m, p in (("fio-randwrite-4k", "dax"), ("fio-randread-4k", "dax"), ("mmap-write-faults", "dax")):
        o, st = med(s, m, p, "ours"), med(s, m, p, "stock")
        r = ratio(o, st)
        sp = max([x for x in (spread(s, m, p, "ours"), spread(s, m, p, "stock")) if x is not None] or [0])
        noise = None if r is None else abs(1 - r) <= sp
        g.append({"goal": "%s: ours/stock at least 0.99" % m, "kernel": "ours/stock", "value": r,
                  "figure": "%sx (spread of repeats %s%%; %s)" % (
                      fmt(r, 3), fmt(sp * 100, 1),
                      "difference inside the noise" if noise else "difference outside the noise"),
                  "met": None if r is None else (r >= 0.99 or noise)})
    # 4. pNFS against NFS through the server.
    for k in ("ours", "stock"):
        base = med(s, "client-write", "server", k)
        for how in ("pnfs-rdma", "pnfs-tcp"):
            v = med(s, "client-write", how, k)
            r = ratio(v, base)
            g.append({"goal": "%s write at least 2x NFS through the server" % how, "kernel": k, "value": r,
                      "figure": "%s MB/s / %s MB/s = %sx" % (fmt(v), fmt(base), fmt(r)),
                      "met": None if r is None else r >= 2})
    # 5. ib_write_bw.
    for k in ("ours", "stock"):
        d, a = med(s, "ib-write-bw", "dax", k), med(s, "ib-write-bw", "anon", k)
        refused = med(s, "ib-write-bw-refused", "dax", k)
        r = ratio(d, a)
        fig = ("DAX region refused; anonymous %s MB/s" % fmt(a)) if refused else \
            "%s MB/s / %s MB/s = %sx" % (fmt(d), fmt(a), fmt(r))
        g.append({"goal": "ib_write_bw DAX region under a lease at least 0.95x anonymous",
                  "kernel": k, "value": r, "figure": fig,
                  "met": (None if k == "stock" else False) if refused else (None if r is None else r >= 0.95)})
    return g


def plot(s, out, plots):
    """PNG plots with gnuplot; returns the file names drawn."""
    os.makedirs(plots, exist_ok=True)
    drawn = []

    def bars(name, title, ylabel, items):
        # items: (label, ours, stock)
        dat = os.path.join(out, name + ".dat")
        with open(dat, "w") as f:
            for label, o, st in items:
                f.write('"%s" %s %s\n' % (label, "NaN" if o is None else o, "NaN" if st is None else st))
        png = os.path.join(plots, name + ".png")
        cols = [(i, t) for i, t in ((2, "ours"), (3, "stock"))
                if any(it[i - 1] is not None for it in items)]
        if not cols:
            print("report: nothing to plot for %s" % name, file=sys.stderr)
            return
        using = ", ".join("'%s' using %d%s title '%s'" % (dat if n == 0 else "", i,
                                                          ":xtic(1)" if n == 0 else "", t)
                          for n, (i, t) in enumerate(cols))
        script = """set terminal pngcairo size 900,480 font ',10'
set output '%s'
set title '%s'
set ylabel '%s'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -20
set grid ytics
set yrange [0:*]
set key top left
plot %s
""" % (png, title, ylabel, using)
        r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
        if r.returncode == 0 and os.path.exists(png) and os.path.getsize(png):
            drawn.append(os.path.basename(png))
        else:
            if os.path.exists(png):
                os.unlink(png)
            print("report: gnuplot %s: %s" % (name, r.stderr.strip()), file=sys.stderr)

    items = [("round trip", ms(med(s, "recall-round-trip", "conflict", "ours")),
              ms(med(s, "recall-round-trip", "conflict", "stock")))]
    for op in ("truncate", "punch"):
        for n in ("1-clients", "2-clients"):
            items.append(("%s, %s" % (op, n.replace("-clients", " cl")),
                          ms(med(s, "break-" + op, n, "ours")), ms(med(s, "break-" + op, n, "stock"))))
    items.append(("punch outside layouts", ms(med(s, "punch-outside-layouts", "2-clients", "ours")),
                  ms(med(s, "punch-outside-layouts", "2-clients", "stock"))))
    items.append(("punch, no layouts", ms(med(s, "punch-no-layouts", "none", "ours")),
                  ms(med(s, "punch-no-layouts", "none", "stock"))))
    bars("break-latency", "Break latency (median ms)", "ms", items)

    items = []
    for m in ("fio-randwrite-4k", "fio-randread-4k", "mmap-write-faults"):
        items.append((m, ratio(med(s, m, "dax", "ours"), med(s, m, "dax", "stock")), None))
    bars("fast-path", "Fast path on a DAX file with no references: ours/stock of the medians", "ours/stock", items)

    items = [(how, med(s, "client-write", how, "ours"), med(s, "client-write", how, "stock"))
             for how in ("pnfs-rdma", "pnfs-tcp", "server")]
    bars("pnfs-write", "Client O_DIRECT write throughput (median MB/s)", "MB/s", items)

    items = [(kind, med(s, "ib-write-bw", kind, "ours"), med(s, "ib-write-bw", kind, "stock"))
             for kind in ("anon", "dax")]
    bars("ib-write-bw", "ib_write_bw, 64 KiB messages (median MB/s; stock cannot register the DAX region)",
         "MB/s", items)

    items = [("%d region(s)" % n, ms(med(s, "break-pinned", "%d-regions" % n, "ours")),
              ms(med(s, "break-pinned", "%d-regions" % n, "stock"))) for n in (1, 2, 4, 8)]
    bars("break-vs-pins", "Truncate latency against pinned memory regions (median ms)", "ms", items)

    # The truncate's own time is mostly what is left of the device's delay;
    # what the break adds is how long after the last DMA it returned.
    items = [("%d DMA(s)" % n, ms(med(s, "break-dma-after-last", "%d-dmas" % n, "ours")),
              ms(med(s, "break-dma-after-last", "%d-dmas" % n, "stock"))) for n in (1, 2, 4, 8)]
    bars("break-vs-dma", "Truncate against N direct-I/O reads in flight into the file: "
         "returned this long after the last read did (median ms)", "ms", items)
    return drawn


def markdown(s, g, drawn, args, rows):
    rounds = sorted({r["round"] for r in rows})
    lines = ["# Benchmarks", "",
             "Written by `make bench` (bench/run, bench/report.py); do not edit by hand.",
             "",
             "| | |", "|---|---|",
             "| date | %s |" % time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
             "| commit | %s |" % (args.commit or "-"),
             "| machine | %s |" % (args.machine or "-"),
             "| acceleration | %s%s |" % ("KVM" if args.accel == "kvm" else "none (qemu TCG emulation)",
                                          ": " + args.accel_why if args.accel_why else ""),
             "| kernels | ours and stock 6.12, bench config (no lockdep or other debug options), same source and config |",
             "| rounds | %d, kernels alternating, each round a fresh boot of the same three VMs |" % len(rounds),
             "", "Medians over all samples of all rounds; spread = (max - min) / median.",
             "Under emulation every figure is slow and noisy in absolute terms;",
             "the ratios, taken in the same run, are what these numbers are for.", "",
             "Break latency is the time of the truncate or punch system call on the server.",
             "The recall round trip \"on its own\" is that of a recall no local change waits",
             "for (a second client's conflicting LAYOUTGET), from `nfsd_layout_recall` to",
             "`nfsd_layout_recall_release` in nfsd's trace; the figure after the semicolon",
             "is the same interval for the recall the break itself sent. The server",
             "holds each file open for writing while clients use it, so that nfsd grants",
             "no delegations: a delegation recalled by the truncate's own open is a cost",
             "of the open, and the client busy returning it answers the layout recall late.", "",
             "Break against DMA: N O_DIRECT reads from a device that delays each by",
             "5 s, into DAX mappings of N different MiB of the file, all in flight",
             "when the truncate starts; `break-dma-after-last` is how long after the last",
             "read returned to its process the truncate returned (negative: before).", "",
             "## Goals", "",
             "| goal | kernel | measured | met |", "|---|---|---|---|"]
    for e in g:
        met = {True: "yes", False: "**no**", None: "n/a"}[e["met"]]
        lines.append("| %s | %s | %s | %s |" % (e["goal"], e["kernel"], e["figure"], met))
    lines += ["", "## All measures", "",
              "| measure | param | unit | kernel | n | min | median | max |",
              "|---|---|---|---|---|---|---|---|"]
    for k in sorted(s):
        e = s[k]
        lines.append("| %s | %s | %s | %s | %d | %s | %s | %s |" % (
            e["measure"], e["param"], e["unit"], e["kernel"], e["n"],
            fmt(e["min"]), fmt(e["median"]), fmt(e["max"])))
    lines += ["", "## Plots", ""]
    for d in drawn:
        lines.append("![%s](bench/plots/%s)" % (d[:-4], d))
        lines.append("")
    with open(args.markdown, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--markdown")
    ap.add_argument("--plots")
    ap.add_argument("--machine", default="")
    ap.add_argument("--accel", default="")
    ap.add_argument("--accel-why", default="")
    ap.add_argument("--commit", default="")
    args = ap.parse_args()
    rows = load(args.results)
    if not rows:
        print("report: no samples under %s" % args.results, file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "samples.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["kernel", "round", "measure", "param", "value", "unit"])
        w.writeheader()
        w.writerows(rows)
    s = summarize(rows)
    with open(os.path.join(args.out, "summary.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["measure", "param", "unit", "kernel", "n", "min", "median", "max"])
        w.writeheader()
        w.writerows(s.values())
    g = goals(s)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"summary": list(s.values()), "goals": g}, f, indent=1)
    drawn = plot(s, args.out, args.plots or os.path.join(args.out, "plots"))
    if args.markdown:
        markdown(s, g, drawn, args, rows)
    for e in g:
        print("report: %-70s %-10s %s" % (e["goal"][:70], e["kernel"], e["figure"]))
    print("report: %d samples, %d plots, in %s" % (len(rows), len(drawn), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
