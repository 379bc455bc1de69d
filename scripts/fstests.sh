#!/bin/bash
# make fstests: regressions. Unpacks fstests from ../shared/third_party/ into
# the cache (~/.cache/layoutbreak/fstests/, never into the repository),
# builds it on the host once per tarball, boots one
# VM with two emulated pmem devices (TEST_DEV and SCRATCH_DEV, XFS without
# reflink, mounted dax=always) and runs the tests in tests/fstests.list (or
# the ones given) on our kernel and on stock 6.12, then compares: a test that
# passes on stock and fails on ours is a regression.
#
#   scripts/fstests.sh [--kernels "ours stock"] [--quick] [--if-available] [TEST...]
#
# --quick runs the tests marked "quick" in tests/fstests.list (make check
# runs those on the kernel it tests). --if-available skips (exit 0) when
# the fstests tarball is not there. Results: build/results/fstests-<kernel>/.
# Exit status: 0 no regression, 1 a regression (or, with one kernel, a
# failure), 2 setup failed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$LB_TOP/tests/lib/vm.sh"
LB_STAGE=fstests

kernels="ours stock" quick=0 optional=0 pick=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernels) kernels=$2; shift ;;
	--quick) quick=1 ;;
	--if-available) optional=1 ;;
	-h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) say "unknown option $1"; exit 2 ;;
	*) pick+=("$1") ;;
	esac
	shift
done

list=$LB_TOP/tests/fstests.list
if [ ${#pick[@]} -eq 0 ]; then
	if [ $quick = 1 ]; then
		mapfile -t pick < <(awk '!/^#/ && $2 == "quick" { print $1 }' "$list")
	else
		mapfile -t pick < <(awk '!/^#/ && NF { print $1 }' "$list")
	fi
fi
[ ${#pick[@]} -gt 0 ] || { say "no tests to run"; exit 2; }

# The tarball sits beside the repository's parent, as ../shared/third_party/.
tarball=$(ls "$LB_TOP"/../shared/third_party/fstests-*.tar.* 2>/dev/null | head -n1)
if [ -z "$tarball" ]; then
	say "no fstests tarball in ../shared/third_party/"
	[ $optional = 1 ] && { echo "1..0 # SKIP no fstests tarball"; exit 0; }
	exit 2
fi
# Built once per tarball content and kept beside the kernel cache: the build
# takes minutes and depends on nothing in the repository.
src=$LB_BUILD/fstests/$(basename "$tarball" | sed 's/\.tar\..*//')-$(sha256sum "$tarball" | cut -c1-12)
if [ ! -e "$src/built" ] || [ ! -x "$src/fstests/ltp/fsx" ]; then
	say "unpacking $(basename "$tarball") into $src"
	rm -rf "$src"
	mkdir -p "$src"
	tar -C "$src" -xf "$tarball" || exit 2
	say "building fstests on the host (log: $src/build.log)"
	make -C "$src/fstests" -j"$(nproc)" > "$src/build.log" 2>&1 ||
		{ tail -n 20 "$src/build.log"; say "fstests build failed"; exit 2; }
	touch "$src/built"
else
	say "built: $src"
fi
fst=$src/fstests

# run_kernel KERNEL: boots the fstests VM, runs the tests, leaves
# build/results/fstests-KERNEL/status with "TEST pass|fail|notrun" lines.
run_kernel() {
	local kernel=$1 kdir res mark start
	kdir=$("$LB_TOP/scripts/kernel.sh" "$kernel" test) || return 2
	res=$LB_BUILD/results/fstests-$kernel
	rm -rf "$res"
	mkdir -p "$res"
	export LB_RUN=$LB_BUILD/run/fstests
	mkdir -p "$LB_RUN"
	vm_stop fstests
	# Two 640 MiB pmem regions: /dev/pmem0 (TEST_DEV), /dev/pmem1 (SCRATCH_DEV).
	vm_start fstests 4 2560M "$kdir" "memmap=640M!1G memmap=640M!1664M" || return 2
	vm_wait_up fstests "${LB_BOOT_TIMEOUT:-600}" || { vm_stop fstests; return 2; }
	mark=$(console_mark fstests)
	start=$(date +%s)
	say "$kernel: running ${#pick[@]} tests: ${pick[*]}"
	# Progress: fstests logs "run fstests TEST at ..." to the kernel log as
	# each test starts; follow the console until the VM goes.
	tail --pid="$(cat "$LB_RUN/fstests.pid")" -n0 -F "$LB_RUN/fstests.console" 2>/dev/null |
		awk -v k="$kernel" -v n=${#pick[@]} 'match($0, /run fstests [^ ]+/) {
			printf "[fstests] %s: %d/%d %s\n", k, ++i, n, substr($0, RSTART + 12, RLENGTH - 12)
			fflush() }' >&2 &
	on fstests -t "${LB_FSTESTS_TIMEOUT:-5400}" "
		set -e
		for d in pmem0 pmem1; do test -b /dev/\$d; done
		mkdir -p /run/fst/upper /run/fst/work /run/fst/tree /mnt/test /mnt/scratch
		mount -t overlay overlay -o lowerdir=$fst,upperdir=/run/fst/upper,workdir=/run/fst/work /run/fst/tree
		mkfs.xfs -q -f -m reflink=0 /dev/pmem0
		# The users fstests' permission tests switch to; the root over 9p
		# is read-only, so extend copies of passwd and group (no password: su
		# from root needs no shadow entry then).
		if ! id fsgqa > /dev/null 2>&1; then
			cp /etc/passwd /run/fst/passwd
			cp /etc/group /run/fst/group
			for u in fsgqa:1500 fsgqa2:1501 123456-fsgqa:1502; do
				echo \"\${u%:*}:*:\${u#*:}:\${u#*:}::/tmp:/bin/sh\" >> /run/fst/passwd
				echo \"\${u%:*}:x:\${u#*:}:\" >> /run/fst/group
			done
			mount --bind /run/fst/passwd /etc/passwd
			mount --bind /run/fst/group /etc/group
		fi
		cat > /run/fst/tree/local.config <<-EOF
		FSTYP=xfs
		TEST_DEV=/dev/pmem0
		TEST_DIR=/mnt/test
		SCRATCH_DEV=/dev/pmem1
		SCRATCH_MNT=/mnt/scratch
		MKFS_OPTIONS='-m reflink=0'
		MOUNT_OPTIONS='-o dax=always'
		TEST_FS_MOUNT_OPTS='-o dax=always'
		RESULT_BASE=/run/fst/results
		EOF
		cd /run/fst/tree
		set +e
		./check ${pick[*]} > /run/fst/check.out 2>&1
		echo check-exit=\$?
		cp /run/fst/check.out \$LB_SHARE/fstests-check.out
		tar -C /run/fst -cf \$LB_SHARE/fstests-results.tar results" > "$res/run.log" 2>&1
	cp "$LB_RUN/share/fstests-check.out" "$res/check.out" 2>/dev/null
	tar -C "$res" -xf "$LB_RUN/share/fstests-results.tar" 2>/dev/null
	console_splats fstests "$mark" > "$res/splats"
	cp "$LB_RUN/fstests.console" "$res/console.log"
	vm_stop fstests
	[ -s "$res/check.out" ] || { say "$kernel: check produced no output; see $res/run.log"; return 2; }
	# Each test's outcome from check's summary lines.
	python3 - "$res/check.out" "${pick[@]}" > "$res/status" <<-'EOF'
	import re, sys
	out = open(sys.argv[1]).read()
	tests = sys.argv[2:]
	def listed(key):
	    m = re.findall(r'^%s: (.*)$' % key, out, re.M)
	    return set(" ".join(m).split())
	failed, notrun = listed("Failures"), listed("Not run")
	ran = set(re.findall(r'^(\S+/\d+)\s', out, re.M))
	for t in tests:
	    if t in failed:
	        print(t, "fail")
	    elif t in notrun:
	        print(t, "notrun")
	    elif t in ran:
	        print(t, "pass")
	    else:
	        print(t, "missing")
	EOF
	say "$kernel: $(awk '{ n[$2]++ } END { for (k in n) printf "%s %d  ", k, n[k] }' "$res/status")in $(( $(date +%s) - start ))s"
	if [ -s "$res/splats" ]; then
		say "$kernel: kernel warnings on the console:"
		head -n 5 "$res/splats" >&2
		echo "console splat" > "$res/splat-failed"
	fi
}

rc=0
for k in $kernels; do
	run_kernel "$k" || exit 2
done

echo "1..${#pick[@]}"
# status TEST KERNEL: pass, fail, notrun or missing, as run_kernel left it.
status() { awk -v t="$1" '$1 == t { print $2 }' "$LB_BUILD/results/fstests-$2/status" 2>/dev/null; }
set -- $kernels
n=0 bad=0
for t in "${pick[@]}"; do
	n=$((n + 1))
	if [ $# -gt 1 ]; then
		# Both kernels: a test that passes on stock must pass on ours.
		o=$(status "$t" ours) s=$(status "$t" stock)
		line="$t ours=${o:-none} stock=${s:-none}"
		if [ "$s" = pass ] && [ "$o" != pass ]; then echo "not ok $n - $line (regression)"; bad=$((bad + 1)); continue; fi
	else
		# One kernel: its failures fail.
		o=$(status "$t" "$1")
		line="$t $1=${o:-none}"
		case $o in pass|notrun) ;; *) echo "not ok $n - $line"; bad=$((bad + 1)); continue ;; esac
	fi
	echo "ok $n - $line"
done
for k in $kernels; do
	[ -e "$LB_BUILD/results/fstests-$k/splat-failed" ] && { echo "# $k: kernel warning on the console"; bad=$((bad + 1)); }
done
echo "$((n - bad)) passed, $bad failed"
[ $bad = 0 ] || rc=1
exit $rc
