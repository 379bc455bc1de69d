#!/bin/bash
# Host-only checks of the harness's own parsers, without VMs: fiemap
# extents, extent overlap, nfsd counter deltas, the console splat filter.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
. "$LB_TOP/tests/lib/vm.sh"
LB_SCEN_DIR=$(mktemp -d)
trap 'rm -rf "$LB_SCEN_DIR"' EXIT
. "$LB_TOP/tests/lib/scenario.sh"

n=0 pass=0 fail=0
t() {
	local name=$1
	shift
	n=$((n + 1))
	if "$@"; then echo "ok $n - $name"; pass=$((pass + 1)); else echo "not ok $n - $name"; fail=$((fail + 1)); fi
}

# extents parses xfs_io's fiemap output; fake the VM with a function.
on() { cat <<'X'
/srv/export/b.dat:
	0: [0..16383]: 96..16479
	1: [16384..20479]: hole
	2: [20480..20487]: 40000..40007
X
}
ext=$(extents server /srv/export/b.dat)
t "fiemap extents in bytes" eq "$ext" "$(printf '49152 8437760\n20480000 20484096')"
unset -f on
t "overlap of disjoint extents is 0" eq "$(overlap "0 4096" "4096 8192")" 0
t "overlap counts shared bytes" eq "$(overlap "$(printf '0 8192\n16384 20480')" "$(printf '4096 18432')")" 6144
t "overlap of nothing is 0" eq "$(overlap "" "0 4096")" 0

d=$(nfsd_delta "$(printf 'LAYOUTGET=3\nWRITE_BYTES=100')" "$(printf 'LAYOUTGET=5\nWRITE_BYTES=100')")
t "nfsd_delta LAYOUTGET" eq "$(kv LAYOUTGET "$d")" 2
t "nfsd_delta unchanged" eq "$(kv WRITE_BYTES "$d")" 0

LB_RUN=$LB_SCEN_DIR
printf '[  1.0] ok line\n[  2.0] WARNING: CPU: 0 PID: 1 at fs/xfs/xfs_inode.c:3000\n' > "$LB_RUN/x.console"
t "splat after the mark is found" test -n "$(console_splats x 0)"
t "splat before the mark is ignored" test -z "$(console_splats x "$(console_mark x)")"
printf '[  3.0] INFO: task truncate:99 blocked for more than 120 seconds.\n' >> "$LB_RUN/x.console"
t "hung task is a splat" test -n "$(console_splats x 60)"
printf '[  4.0] ======================================================\n[  4.0] WARNING: possible circular locking dependency detected\n' > "$LB_RUN/y.console"
t "lockdep report is a splat" test -n "$(console_splats y 0)"
printf 'lbvm: server: nfsd up\nlb-init: server up\n' > "$LB_RUN/z.console"
t "normal console is clean" test -z "$(console_splats z 0)"
printf '[  5.0] traps: ib_write_bw[445] general protection fault ip:7fe48e9c8472 sp:7fff4d320dd0 error:0 in librdmacm.so\n' > "$LB_RUN/u.console"
t "a user program's crash is not a splat" test -z "$(console_splats u 0)"
printf '[  6.0] Oops: general protection fault, probably for non-canonical address 0xdead: 0000 [#1] SMP\n[  6.0] general protection fault: 0000 [#1] SMP\n' > "$LB_RUN/k.console"
t "a kernel general protection fault is a splat" eq "$(console_splats k 0 | wc -l)" 2
# The boot log of a debug kernel (a VM reset during a scenario boots again).
printf '[  0.0] Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar\n[  0.0] ... MAX_LOCKDEP_SUBCLASSES:  8\n[  3.4] rcu: \tRCU lockdep checking is enabled.\n' > "$LB_RUN/b.console"
t "a debug kernel's boot log is not a splat" test -z "$(console_splats b 0)"
printf '[  7.0] INFO: lockdep is turned off.\n' > "$LB_RUN/l.console"
t "lockdep turning itself off is a splat" test -n "$(console_splats l 0)"
t "nfs4err names LAYOUTUNAVAILABLE" eq "$(nfs4err 10059)" NFS4ERR_LAYOUTUNAVAILABLE

echo "$pass passed, $fail failed"
[ $fail = 0 ]
