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

# The acceleration probe (lb_accel_decide), with stand-ins for qemu: one
# that aborts under KVM as qemu does on a nested host that cannot set an
# MSR, one that prints nothing under KVM, one whose guest boots, one whose
# guest boots only without arch-capabilities. Each call is bounded; under
# tcg a stand-in only records its arguments.
standin=$LB_SCEN_DIR/qemu-standin
cat > "$standin" <<'Q'
#!/bin/bash
[ "$1" = --version ] && { echo "QEMU emulator version 0.0 (stand-in $STANDIN_MODE)"; exit 0; }
echo "$*" >> "$STANDIN_LOG"
serial="" accel="" cpu=""
while [ $# -gt 0 ]; do
	case $1 in
	-serial) serial=${2#file:}; shift ;;
	-machine) accel=${2#*accel=}; shift ;;
	-cpu) cpu=$2; shift ;;
	esac
	shift
done
[ "$accel" = kvm ] || exit 0
case $STANDIN_MODE:$cpu in
abort:*|minus:host|minus:max)
	echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69" >&2
	echo "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: Assertion \`ret == cpu->kvm_msr_buf->nmsrs' failed." >&2
	kill -ABRT $$ ;;
hang:*) exec sleep 1000 ;;
boots:*|minus:*) printf 'Linux version 6.12\r\nlb-accel-probe: init reached\r\n' > "$serial"; exec sleep 1000 ;;
esac
Q
chmod +x "$standin"
mkdir -p "$LB_SCEN_DIR/k"
: > "$LB_SCEN_DIR/k/bzImage"
: > "$LB_SCEN_DIR/kvm"
# probe MODE [VAR=VALUE...]: decide in a fresh shell; prints
# "exit-status|accel|cpu|why|seconds|stand-in runs under kvm".
probe() {
	local mode=$1
	shift
	rm -rf "$LB_SCEN_DIR/cache"
	: > "$LB_SCEN_DIR/standin.log"
	env -u LB_ACCEL_USED "$@" STANDIN_MODE="$mode" STANDIN_LOG="$LB_SCEN_DIR/standin.log" \
		LB_QEMU="$standin" LB_KVM_DEV="${KVMDEV:-$LB_SCEN_DIR/kvm}" LB_ACCEL_CACHE="$LB_SCEN_DIR/cache" \
		LB_ACCEL_FIRST_SECS=2 LB_ACCEL_PROBE_SECS=4 \
		timeout 40 bash -c '. "$1/scripts/lib.sh"; . "$1/tests/lib/vm.sh"; t0=$(date +%s)
			lb_accel_decide "$2" 2> "$3/decide.err"; rc=$?
			echo "$rc|${LB_ACCEL_USED:-}|${LB_ACCEL_CPU:-}|${LB_ACCEL_WHY:-}$(cat "$3/decide.err")|$(( $(date +%s) - t0 ))|$(grep -c accel=kvm "$3/standin.log")"' \
		_ "$LB_TOP" "$LB_SCEN_DIR/k" "$LB_SCEN_DIR"
}
field() { cut -d'|' -f"$1" <<< "$2"; }

r=$(probe abort)
t "qemu aborting under kvm: tcg" eq "$(field 1 "$r")|$(field 2 "$r")|$(field 3 "$r")" "0|tcg|max"
t "qemu aborting under kvm: says why, with qemu's message" \
	grep -q "kvm present but a test guest did not boot: -cpu host: qemu exited with status 134: qemu-system-x86_64: error: failed to set MSR 0x10a" <<< "$(field 4 "$r")"
t "qemu aborting under kvm: every CPU model tried, in seconds" eq "$(field 6 "$r"):$(( $(field 5 "$r") < 5 ))" "3:1"
r=$(probe hang)
t "silent guest under kvm: tcg" eq "$(field 1 "$r")|$(field 2 "$r")" "0|tcg"
t "silent guest under kvm: says why" grep -q "^kvm present but a test guest did not boot: -cpu host: no console output in 2 s; " <<< "$(field 4 "$r")"
t "silent guest under kvm: within the bound (3 models x 2 s)" eq "$(( $(field 5 "$r") <= 9 ))" 1
r=$(probe boots)
t "guest boots under kvm: kvm -cpu host, one probe" eq "$(field 1 "$r")|$(field 2 "$r")|$(field 3 "$r")|$(field 6 "$r")" "0|kvm|host|1"
r=$(probe minus)
t "guest boots without arch-capabilities: that model" eq "$(field 1 "$r")|$(field 2 "$r")|$(field 3 "$r")|$(field 6 "$r")" "0|kvm|host,-arch-capabilities|2"
r=$(probe abort LB_ACCEL=kvm)
t "LB_ACCEL=kvm where kvm does not boot: a clear error" eq "$(field 1 "$r")|$(field 2 "$r")" "1|tcg"
t "LB_ACCEL=kvm error names the cause" grep -q "LB_ACCEL=kvm, but KVM cannot run the test guests here: kvm present but .*failed to set MSR" <<< "$(field 4 "$r")"
r=$(probe hang LB_ACCEL=kvm)
t "LB_ACCEL=kvm with a silent guest: an error within the bound" eq "$(field 1 "$r")|$(( $(field 5 "$r") <= 9 ))" "1|1"
r=$(probe abort LB_ACCEL=tcg)
t "LB_ACCEL=tcg: no probe" eq "$(field 1 "$r")|$(field 2 "$r")|$(field 6 "$r")" "0|tcg|0"
r=$(KVMDEV=$LB_SCEN_DIR/nokvm probe boots)
t "no /dev/kvm: tcg without a probe" eq "$(field 1 "$r")|$(field 2 "$r")|$(field 6 "$r")" "0|tcg|0"
r=$(probe boots LB_ACCEL=fast)
t "LB_ACCEL=fast: a usage error" eq "$(field 1 "$r")" 1
# The verdict is kept: a second decision in the same cache does not probe.
r=$(env -u LB_ACCEL_USED STANDIN_MODE=abort STANDIN_LOG="$LB_SCEN_DIR/standin.log" LB_QEMU="$standin" \
	LB_KVM_DEV="$LB_SCEN_DIR/kvm" LB_ACCEL_CACHE="$LB_SCEN_DIR/cache2" LB_ACCEL_FIRST_SECS=2 \
	timeout 40 bash -c '. "$1/scripts/lib.sh"; . "$1/tests/lib/vm.sh"
		lb_accel_decide "$2"; (unset LB_ACCEL_USED; lb_accel_decide "$2"; echo "$LB_ACCEL_USED")
		grep -c accel=kvm "$3/standin.log"' _ "$LB_TOP" "$LB_SCEN_DIR/k" "$LB_SCEN_DIR")
t "the verdict is probed once per host boot" eq "$(echo $r)" "tcg 3"
# And the VMs then start under TCG with the same stand-in.
: > "$LB_SCEN_DIR/standin.log"
(
	export STANDIN_MODE=abort STANDIN_LOG="$LB_SCEN_DIR/standin.log" LB_QEMU="$standin"
	export LB_KVM_DEV="$LB_SCEN_DIR/kvm" LB_ACCEL_CACHE="$LB_SCEN_DIR/cache2" LB_RUN=$LB_SCEN_DIR/run
	unset LB_ACCEL_USED
	mkdir -p "$LB_RUN"
	vm_start vmx 1 512M "$LB_SCEN_DIR/k" "" > /dev/null 2>&1
	wait
)
t "a VM started after a failed probe runs under tcg" grep -q -- "-machine pc,accel=tcg -cpu max" "$LB_SCEN_DIR/standin.log"
# A VM that does not come up is shown with its console and qemu's log.
printf 'Linux version 6.12\r\nKernel panic - not syncing: VFS: Unable to mount root fs\r\n' > "$LB_SCEN_DIR/run/vmx.console"
echo "qemu-system-x86_64: terminating on signal 15" > "$LB_SCEN_DIR/run/vmx.qemu.log"
r=$(LB_RUN=$LB_SCEN_DIR/run vm_boot_failure vmx 600)
t "a failed boot shows the console's last lines" grep -q "|.*Unable to mount root fs" <<< "$r"
t "a failed boot shows qemu's log" grep -q "|.*terminating on signal 15" <<< "$r"

echo "$pass passed, $fail failed"
[ $fail = 0 ]
