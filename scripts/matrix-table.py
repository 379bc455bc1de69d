#!/usr/bin/env python3
# matrix-table.py RESULTS_DIR...: the matrix's cells (cell_OP_REF=OUTCOME
# in each scenario's metrics under each RESULTS_DIR, named by its kernel)
# as one Markdown table, rows the operations, columns the references, each
# cell "ours / stock" when both were run.
import os
import sys

OPS = ("truncate punch zero collapse insert unshare swapext reflink-onto "
       "reflink-from dedupe-onto exchange unlink repair write-eof cow-other "
       "cow-prealloc post-eof").split()
REFS = "uring mr hole ro dma pnfs".split()


def cells(results):
    found = {}
    for scen in sorted(os.listdir(results)):
        path = os.path.join(results, scen, "metrics")
        if not os.path.isfile(path):
            continue
        for line in open(path):
            key, _, value = line.strip().partition("=")
            if not key.startswith("cell_"):
                continue
            for ref in REFS:
                if key.endswith("_" + ref):
                    found[(key[5:-len(ref) - 1], ref)] = value
    return found


def short(v):
    if v is None:
        return "-"
    v = v.replace("+then-done", ", then done").replace("+then-rc", ", then exit ")
    v = v.replace("no-ref-lease-Invalid-argument", "no lease (EINVAL)")
    v = v.replace("no-ref-reg-Operation-not-supported", "no pin (EOPNOTSUPP)")
    v = v.replace("n/a-EOPNOTSUPP", "n/a (EOPNOTSUPP)")
    v = v.replace("no-ref-layout-refused-reflinked-inode", "no layout (reflinked file)")
    if v.startswith("recalled-") or v.startswith("LOST-recalled-"):
        # recalled-N-OUTCOME: N CB_LAYOUTRECALLs
        head, _, rest = v.partition("recalled-")
        n, _, rest = rest.partition("-")
        v = head + rest + (", %s recall%s" % (n, "" if n == "1" else "s"))
    for word in ("refused", "done", "waited", "failed"):
        v = v.replace(word + "-", word + " ")
    v = v.replace("-ETXTBSY-", " ETXTBSY ").replace("ETXTBSY-", "ETXTBSY ").replace("EBUSY-", "EBUSY ")
    if v.startswith("LOST-"):
        v = "**LOST** (" + v[5:] + ")"
    return v.replace("ms", " ms")


def main():
    # matrix-ours, matrix-ours-ro, ...: one kernel's runs, merged
    merged = {}
    for d in sys.argv[1:]:
        name = os.path.basename(d.rstrip("/")).replace("matrix-", "").split("-")[0]
        merged.setdefault(name, {}).update(cells(d))
    runs = list(merged.items())
    refs = [r for r in REFS if any((op, r) in c for _, c in runs for op in OPS)]
    print("| operation | " + " | ".join(refs) + " |")
    print("|---|" + "---|" * len(refs))
    for op in OPS:
        row = []
        for r in refs:
            row.append(" / ".join(short(c.get((op, r))) for _, c in runs))
        print("| " + op + " | " + " | ".join(row) + " |")
    print()
    print("Each cell: " + " / ".join(n for n, _ in runs) + ".")
    lost = [(n, k) for n, c in runs for k, v in c.items() if v.startswith("LOST")]
    for n, (op, r) in lost:
        print(f"- {n}: {op}/{r} LOST")


if __name__ == "__main__":
    main()
