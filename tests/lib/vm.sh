# Host side of the test VMs: boot, run commands through the agent, watch the
# consoles. Sourced by tests/run and the scenarios; needs lib.sh first.
#
# A run directory ($LB_RUN) holds, per VM: <name>.console, <name>.port,
# <name>.pid, <name>.mon (qemu monitor socket), and share/ (the guest's /run/lb).

LB_QEMU=${LB_QEMU:-qemu-system-x86_64}

# Acceleration: LB_ACCEL=auto (default) uses KVM only where a test guest
# boots under it, kvm insists on it (an error where it does not boot), tcg
# never tries it. A /dev/kvm that opens is not enough: under some nested
# hypervisors qemu aborts ("failed to set MSR 0x10a") or the guest never
# prints a line. So the probe boots the kernel about to be used, with a
# tiny init (tests/vm/accel-probe), under each CPU model that may work,
# and takes the first that reaches the init's marker on the console. The
# verdict is kept for the host's boot (under /run), per qemu binary.
LB_ACCEL=${LB_ACCEL:-auto}
LB_KVM_DEV=${LB_KVM_DEV:-/dev/kvm}
# CPU models to try under KVM, in order: all of the host's features, the
# host's without those nested hypervisors often cannot set, qemu's max.
LB_ACCEL_CPUS=${LB_ACCEL_CPUS:-host host,-arch-capabilities max}
# Bounds of one probe boot: the first console output, and the marker.
LB_ACCEL_FIRST_SECS=${LB_ACCEL_FIRST_SECS:-20}
LB_ACCEL_PROBE_SECS=${LB_ACCEL_PROBE_SECS:-60}
LB_ACCEL_MARKER="lb-accel-probe: init reached"

lb_accel_file() {
	local dir=${LB_ACCEL_CACHE:-} q
	if [ -z "$dir" ]; then
		if [ -w /run ]; then dir=/run/layoutbreak
		else dir=${XDG_RUNTIME_DIR:-${TMPDIR:-/tmp}}/layoutbreak-$(id -u); fi
	fi
	q=$(command -v "$LB_QEMU") || q=$LB_QEMU
	echo "$dir/accel-$( { cat /proc/sys/kernel/random/boot_id
		readlink -f "$q"; "$q" --version 2>&1 | head -n 1
		echo "$LB_KVM_DEV $LB_ACCEL_CPUS"; } | sha256sum | cut -c1-16)"
}

# lb_accel_probe_one KERNEL_DIR CPU: boot the probe under KVM with CPU;
# succeeds if the marker shows within the bounds, else prints why not.
lb_accel_probe_one() {
	local kdir=$1 cpu=$2 d pid start now rc why=""
	d=$(mktemp -d)
	: > "$d/console"
	"$LB_QEMU" -name accel-probe -machine pc,accel=kvm -cpu "$cpu" -smp 1 -m 512M \
		-display none -vga none -no-reboot -nic none \
		-kernel "$kdir/bzImage" \
		-append "console=ttyS0 earlyprintk=serial panic=-1 root=/dev/root rootfstype=9p rootflags=trans=virtio,version=9p2000.L ro init=$LB_TOP/tests/vm/accel-probe" \
		-fsdev "local,id=rootfs,path=/,security_model=none,readonly=on,multidevs=remap" \
		-device "virtio-9p-pci,fsdev=rootfs,mount_tag=/dev/root" \
		-serial "file:$d/console" > "$d/qemu.log" 2>&1 < /dev/null &
	pid=$!
	start=$(date +%s)
	while :; do
		grep -qF "$LB_ACCEL_MARKER" "$d/console" && break
		now=$(( $(date +%s) - start ))
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"; rc=$?
			why="qemu exited with status $rc: $(grep -v '^$' "$d/qemu.log" | head -n 1)"
			break
		fi
		if [ ! -s "$d/console" ] && [ $now -ge "$LB_ACCEL_FIRST_SECS" ]; then
			why="no console output in ${LB_ACCEL_FIRST_SECS} s"
		elif [ $now -ge "$LB_ACCEL_PROBE_SECS" ]; then
			why="no init in ${LB_ACCEL_PROBE_SECS} s; console ended: $(tr -d '\r' < "$d/console" | grep -v '^$' | tail -n 1)"
		fi
		[ -z "$why" ] || break
		sleep 0.2
	done
	kill -9 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$d"
	[ -z "$why" ] || { echo "$why"; return 1; }
}

# lb_accel_decide [KERNEL_DIR]: sets and exports LB_ACCEL_USED (kvm|tcg),
# LB_ACCEL_CPU and LB_ACCEL_WHY, probing with KERNEL_DIR's image unless a
# verdict for this host boot exists. Fails, saying why, where LB_ACCEL=kvm
# and KVM does not boot a guest, or no verdict exists and no kernel was
# given.
lb_accel_decide() {
	local kdir=${1:-} f fd cpu w why verdict="" t0
	case $LB_ACCEL in
	tcg) LB_ACCEL_USED=tcg LB_ACCEL_CPU=max LB_ACCEL_WHY="LB_ACCEL=tcg" ;;
	auto|kvm)
		if [ ! -c "$LB_KVM_DEV" ] && [ ! -f "$LB_KVM_DEV" ] || [ ! -w "$LB_KVM_DEV" ]; then
			verdict="tcg max no usable $LB_KVM_DEV"
		else
			f=$(lb_accel_file)
			mkdir -p "$(dirname "$f")" || return 1
			exec {fd}> "$f.lock"
			flock "$fd"
			if [ -s "$f" ]; then
				verdict=$(cat "$f")
			elif [ -z "$kdir" ]; then
				exec {fd}>&-
				echo "accel: no verdict for this host boot yet and no kernel to probe with" >&2
				return 1
			else
				t0=$(date +%s)
				why=""
				for cpu in $LB_ACCEL_CPUS; do
					if w=$(lb_accel_probe_one "$kdir" "$cpu"); then
						verdict="kvm $cpu a test guest booted under KVM with -cpu $cpu in $(( $(date +%s) - t0 )) s${why:+ (before: $why)}"
						break
					fi
					why+=${why:+; }"-cpu $cpu: $w"
				done
				[ -n "$verdict" ] || verdict="tcg max kvm present but a test guest did not boot: $why"
				echo "$verdict" > "$f.tmp" && mv "$f.tmp" "$f"
			fi
			exec {fd}>&-
		fi
		read -r LB_ACCEL_USED LB_ACCEL_CPU LB_ACCEL_WHY <<< "$verdict"
		if [ "$LB_ACCEL" = kvm ] && [ "$LB_ACCEL_USED" != kvm ]; then
			echo "accel: LB_ACCEL=kvm, but KVM cannot run the test guests here: $LB_ACCEL_WHY" >&2
			return 1
		fi ;;
	*) echo "accel: LB_ACCEL=$LB_ACCEL: use auto, kvm or tcg" >&2; return 1 ;;
	esac
	export LB_ACCEL_USED LB_ACCEL_CPU LB_ACCEL_WHY
}

# lb_accel_ensure [KERNEL_DIR]: lb_accel_decide unless this process, or
# the one that started it, has decided already.
lb_accel_ensure() { [ -n "${LB_ACCEL_USED:-}" ] || lb_accel_decide "$@"; }

# lb_accel_line [KERNEL_DIR]: the acceleration used, the CPU model and why,
# in one line ("tcg (-cpu max): kvm present but ...").
lb_accel_line() {
	lb_accel_ensure "$@" || return 1
	echo "$LB_ACCEL_USED (-cpu $LB_ACCEL_CPU): $LB_ACCEL_WHY"
}

lb_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# vm_start NAME INDEX MEM KERNEL_DIR "EXTRA CMDLINE" LINK...
#   LINK is name:listen|connect:port:addr/len; the MAC is derived from INDEX.
vm_start() {
	local name=$1 idx=$2 mem=$3 kdir=$4 extra=$5
	shift 5
	local port links="" nic=1 l lname mode lport addr mac ctlmac accel cpu
	local -a net=()
	port=$(lb_free_port)
	for l in "$@"; do
		IFS=: read -r lname mode lport addr <<< "$l"
		mac=$(printf '52:54:00:4c:%02x:%02x' "$idx" "$nic")
		net+=(-netdev "socket,id=$lname,$mode=127.0.0.1:$lport"
		      -device "virtio-net-pci,netdev=$lname,mac=$mac")
		links+=${links:+,}$lname:$mac:$addr
		nic=$((nic + 1))
	done
	ctlmac=$(printf '52:54:00:4c:%02x:00' "$idx")
	lb_accel_ensure "$kdir" || return 1
	accel=$LB_ACCEL_USED cpu=$LB_ACCEL_CPU
	mkdir -p "$LB_RUN/share"
	: > "$LB_RUN/$name.console"
	echo "$port" > "$LB_RUN/$name.port"
	# Slow emulation: generous watchdogs, so that only real hangs are reported.
	local cmdline="console=ttyS0 root=/dev/root rootfstype=9p"
	cmdline+=" rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=readahead ro"
	cmdline+=" init=$LB_TOP/tests/vm/init panic=-1 mitigations=off"
	cmdline+=" watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=300"
	cmdline+=" sysctl.kernel.hung_task_timeout_secs=${LB_HUNG_TASK_SECS:-120}"
	cmdline+=" nvme_core.io_timeout=120 nvme_core.admin_timeout=120"
	cmdline+=" lb.name=$name lb.top=$LB_TOP lb.links=$links lb.ctlmac=$ctlmac $extra"
	"$LB_QEMU" -name "$name" -machine "pc,accel=$accel" -cpu "$cpu" -smp 1 -m "$mem" \
		-display none -vga none -no-reboot \
		-kernel "$kdir/bzImage" -append "$cmdline" \
		-fsdev "local,id=rootfs,path=/,security_model=none,readonly=on,multidevs=remap" \
		-device "virtio-9p-pci,fsdev=rootfs,mount_tag=/dev/root" \
		-fsdev "local,id=share,path=$LB_RUN/share,security_model=none" \
		-device "virtio-9p-pci,fsdev=share,mount_tag=lbshare" \
		-netdev "user,id=ctl,restrict=on,hostfwd=tcp:127.0.0.1:$port-10.0.2.15:7000" \
		-device "virtio-net-pci,netdev=ctl,mac=$ctlmac" \
		"${net[@]}" \
		-object rng-random,filename=/dev/urandom,id=rng \
		-device virtio-rng-pci,rng=rng \
		-serial "file:$LB_RUN/$name.console" \
		-monitor "unix:$LB_RUN/$name.mon,server=on,wait=off" \
		-qmp "unix:$LB_RUN/$name.qmp,server=on,wait=off" \
		> "$LB_RUN/$name.qemu.log" 2>&1 &
	echo $! > "$LB_RUN/$name.pid"
}

vm_alive() { kill -0 "$(cat "$LB_RUN/$1.pid" 2>/dev/null)" 2>/dev/null; }

# vm_monitor NAME COMMAND: one qemu monitor command ("stop", "cont", "info
# status"); prints the monitor's answer. Bounded to 10 s.
vm_monitor() {
	python3 - "$LB_RUN/$1.mon" "$2" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
buf = b""
while b"(qemu)" not in buf:
    buf += s.recv(4096)
s.sendall(sys.argv[2].encode() + b"\n")
buf = b""
while buf.count(b"(qemu)") < 1:
    buf += s.recv(4096)
out = buf.decode(errors="replace").replace("\r", "")
lines = [l for l in out.split("\n") if l and "(qemu)" not in l and sys.argv[2] not in l]
print("\n".join(lines))
PY
}

# vm_qmp NAME COMMAND [JSON-ARGUMENTS]: one QMP command; prints its return
# value as JSON, fails on an error. Bounded to 10 s.
vm_qmp() {
	local none='{}'
	python3 - "$LB_RUN/$1.qmp" "$2" "${3:-$none}" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
f = s.makefile("rw")
def call(cmd, args):
    f.write(json.dumps({"execute": cmd, "arguments": args}) + "\n")
    f.flush()
    while True:
        m = json.loads(f.readline())
        if "return" in m or "error" in m:
            return m
json.loads(f.readline())  # greeting
call("qmp_capabilities", {})
m = call(sys.argv[2], json.loads(sys.argv[3]))
if "error" in m:
    sys.exit("qmp %s: %s" % (sys.argv[2], m["error"].get("desc")))
print(json.dumps(m["return"]))
PY
}

# vm_reset NAME: reset the VM as a crash would, without qemu exiting (it
# runs with -no-reboot, which a reset would otherwise obey); its memory,
# emulated pmem included, survives. Then the guest's own reboots exit
# qemu again.
vm_reset() {
	vm_qmp "$1" set-action '{"reboot": "reset"}' > /dev/null &&
		vm_qmp "$1" system_reset > /dev/null &&
		vm_qmp "$1" set-action '{"reboot": "shutdown"}' > /dev/null
}

# vm_freeze NAME / vm_thaw NAME: stop and resume a VM's CPUs, as a client
# that hangs would; the guest sees time jump when it resumes.
vm_freeze() { vm_monitor "$1" stop > /dev/null && vm_monitor "$1" "info status" | grep -q paused; }
vm_thaw() { vm_monitor "$1" cont > /dev/null && vm_monitor "$1" "info status" | grep -q running; }

# vm_wait_up NAME TIMEOUT: until the agent answers, the VM dies, or timeout.
vm_wait_up() {
	local name=$1 timeout=$2
	python3 "$LB_TOP/tests/lib/vmctl.py" "$(cat "$LB_RUN/$name.port")" \
		--wait-up "$timeout" > /dev/null 2>&1 && return 0
	vm_boot_failure "$name" "$timeout" >&2
	return 1
}

# vm_boot_failure NAME TIMEOUT: why a VM did not come up, with the last
# lines of its console and of qemu's log, whatever the cause.
vm_boot_failure() {
	local name=$1
	if vm_alive "$name"; then
		echo "# $name: agent did not answer within $2 s (accel ${LB_ACCEL_USED:-?}, -cpu ${LB_ACCEL_CPU:-?})"
	else
		echo "# $name: qemu exited during boot (accel ${LB_ACCEL_USED:-?}, -cpu ${LB_ACCEL_CPU:-?})"
	fi
	echo "# $name: last console lines ($LB_RUN/$name.console):"
	tr -d '\r' < "$LB_RUN/$name.console" 2>/dev/null | grep -v '^$' | tail -n 15 | sed 's/^/#   | /'
	echo "# $name: qemu's log ($LB_RUN/$name.qemu.log):"
	grep -v '^$' "$LB_RUN/$name.qemu.log" 2>/dev/null | tail -n 5 | sed 's/^/#   | /'
}

# on NAME [-t TIMEOUT] SCRIPT...: run a script in a VM, output to stdout.
on() {
	local name=$1 timeout=300
	shift
	if [ "$1" = -t ]; then timeout=$2; shift 2; fi
	python3 "$LB_TOP/tests/lib/vmctl.py" "$(cat "$LB_RUN/$name.port")" \
		--timeout "$timeout" "export LB_TOP=$LB_TOP LB_SHARE=/run/lb; $*"
}

vm_stop() {
	local name=$1 pid
	pid=$(cat "$LB_RUN/$name.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || return 0
	timeout 20 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -9 "$pid" 2>/dev/null
	true
}

# Console lines that fail a scenario: any kernel warning, bug, oops, lockdep
# report, hung task, soft lockup or panic. A user program's crash ("traps:
# prog[pid] general protection fault ip:...") is not the kernel's.
LB_SPLAT='WARNING:|BUG:|Oops|Kernel panic|general protection fault[,:]|INFO: task .* blocked for more than|possible circular locking|possible recursive locking|inconsistent lock state|lockdep is turned off|DEBUG_LOCKS_WARN_ON|suspicious RCU usage|soft lockup|hard LOCKUP|UBSAN:|KASAN:|kernel BUG at|Call Trace:'

# console_mark NAME: current size of the console, for console_splats.
console_mark() { stat -c %s "$LB_RUN/$1.console" 2>/dev/null || echo 0; }

# console_splats NAME FROM: print splat lines written after offset FROM.
console_splats() {
	tail -c +"$(( $2 + 1 ))" "$LB_RUN/$1.console" 2>/dev/null | tr -d '\r' | grep -E -- "$LB_SPLAT"
}

# wait_listening PORT TIMEOUT: until a socket listens on 127.0.0.1:PORT.
wait_listening() {
	local end=$(( $(date +%s) + $2 ))
	until ss -Htln "sport = :$1" | grep -q .; do
		[ "$(date +%s)" -lt $end ] || return 1
		sleep 0.2
	done
}

# boot_vms KERNEL_DIR VM...: the standard topology, or part of it. The server
# has emulated pmem (1 GiB at 1 GiB; client1 has 320 MiB of its own) and one
# point-to-point link per client:
# client1 on 10.55.1.0/24, client2 on 10.55.2.0/24. Waits until every agent
# answers.
boot_vms() {
	local kdir=$1 vm start p1 p2
	shift
	start=$(date +%s)
	for vm in server client1 client2; do vm_stop "$vm"; done
	p1=$(lb_free_port)
	p2=$(lb_free_port)
	for vm in "$@"; do
		case $vm in
		server) vm_start server 1 2560M "$kdir" "memmap=1G!1G" \
				"l1:listen:$p1:10.55.1.1/24" "l2:listen:$p2:10.55.2.1/24"
			# The clients' qemu connects at start: the server must listen.
			wait_listening "$p1" 30 && wait_listening "$p2" 30 ||
				{ say "server qemu did not open its links: $(cat "$LB_RUN/server.qemu.log")"; return 1; } ;;
		# client1 has a pmem namespace of its own (320 MiB at 1 GiB), for
		# DMA out of its DAX memory into NFS (20-nfs-rdma).
		client1) vm_start client1 2 1536M "$kdir" "memmap=320M!1G" "l1:connect:$p1:10.55.1.2/24" ;;
		client2) vm_start client2 3 1024M "$kdir" "" "l2:connect:$p2:10.55.2.2/24" ;;
		esac
	done
	for vm in "$@"; do
		vm_wait_up "$vm" "${LB_BOOT_TIMEOUT:-600}" || { say "$vm did not come up; console: $LB_RUN/$vm.console"; return 1; }
	done
	say "$* up in $(( $(date +%s) - start ))s"
}
