# Long-term pins of DAX memory under userspace layout leases, on the server
# alone (daxpin registers RDMA memory regions on its rxe device and io_uring
# buffers). Without a layout lease the pins are refused, as on stock 6.12;
# under one (F_SETLEASE with F_RDLCK | F_LAYOUT) they work, read-only and
# writable, show in /proc/locks and layoutctl list, survive writes, and a
# truncate breaks the lease: the holder deregisters and lets go, and the
# truncate completes after that. A holder that ignores the break makes the
# truncate fail with ETXTBSY after lease-break-time, file unchanged; one
# killed during the break lets it complete. A user who neither owns the
# file nor has CAP_LEASE gets no lease, and pins count against
# RLIMIT_MEMLOCK. All of that with fs.layout-lease-pins=1: at 0, the
# kernel's default, a lease allows no pin. Stock has no layout leases for
# userspace (EINVAL).
DESC="DAX pins need a layout lease; truncate breaks it, waits for the unpin, ETXTBSY if ignored"
OURS_ONLY=layout-lease-taken
TIMEOUT=900

F=/srv/export/pin.dat
G=/srv/export/pin-nobody.dat
BREAK_S=5
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all"

# fresh: pin.dat back to 4 MiB of 0x61, fsynced.
fresh() {
	must "fresh $F" on server "rm -f $F; xfs_io -f -c 'pwrite -q -S 0x61 0 4m' -c fsync $F && chmod 666 $F"
}

# trunc SIZE: truncate pin.dat, printing rc=, start=, end= (ns) and errors.
trunc() {
	on server -t 120 "s=\$(date +%s%N)
		timeout 60 perl -e 'truncate(\$ARGV[0], \$ARGV[1]) or die \"truncate: \$!\\n\"' $F $1 2>&1
		echo rc=\$? start=\$s end=\$(date +%s%N)"
}

scenario() {
	local out pid rel end before size ms
	server_up --fs dax --size 300m --no-nvmet
	must "lease-break-time" on server "echo $BREAK_S > /proc/sys/fs/lease-break-time"
	fresh

	# Without a lease: refused on both kernels (EOPNOTSUPP for RDMA).
	out=$(on server "$HELPERS/daxpin reg $F; $HELPERS/daxpin reg $F -w; $HELPERS/daxpin uring $F")
	note "no lease: $(grep -E '^reg' <<< "$out" | tr '\n' ';')"
	check "no-lease-pins-refused" eq "$(head -n 2 <<< "$out" | grep -c '^reg failed errno=95')" 2
	check "no-lease-uring-refused" grep -q '^reg failed' <<< "$(sed -n 3p <<< "$out")"

	# Under a layout lease, with fs.layout-lease-pins as the kernel boots
	# (0) and as server-up leaves it without --dax-pins: still refused.
	# A pin can outlive its lease and its file (munmap, F_UNLCK, close,
	# unlink: the blocks are freed under it), so until the kernel ties the
	# pin's lifetime to the lease, allowing it is the administrator's
	# explicit and unsafe choice.
	boot=$(on server "cat /run/lb-boot-layout-lease-pins 2>/dev/null || echo absent")
	off=$(on server "cat /proc/sys/fs/layout-lease-pins 2>/dev/null; $HELPERS/daxpin reg $F -l -w; $HELPERS/daxpin uring $F -l")
	note "fs.layout-lease-pins at boot: $boot; at 0, under a lease: $(tr '\n' ';' <<< "$off")"
	must "fs.layout-lease-pins=1" on server "[ ! -e /proc/sys/fs/layout-lease-pins ] || echo 1 > /proc/sys/fs/layout-lease-pins"

	# Under a layout lease, pins allowed.
	out=$(on server "$HELPERS/daxpin reg $F -l; $HELPERS/daxpin reg $F -l -w")
	note "lease: $(grep -E '^(lease|reg)' <<< "$out" | tr '\n' ';')"
	check "layout-lease-taken" grep -q '^lease ok type=16$' <<< "$out"
	check "pins-off-at-boot" eq "$boot" 0
	check "pins-off-lease-taken" eq "$(grep -c '^lease ok type=16$' <<< "$off")" 2
	check "pins-off-reg-refused" grep -q '^reg failed errno=95' <<< "$off"
	check "pins-off-uring-refused" eq "$(grep -c '^reg failed' <<< "$off")" 2
	check "lease-read-only-pin" grep -q '^reg ok .* read-only' <<< "$out"
	check "lease-writable-pin" grep -q '^reg ok .* writable' <<< "$out"

	# Held: visible, kept across writes, broken by a truncate.
	daxpin_bg h1 reg $F -l -w -H -t 300
	pid=$(daxpin_pid h1)
	check "holder-holds" grep -q '^holding' <<< "$(daxpin_out h1)"
	out=$(on server "grep ' $pid ' /proc/locks")
	note "/proc/locks: $out"
	check "proc-locks-layout" grep -qE "LAYOUT +ACTIVE +READ +$pid [0-9a-f:]+ 0 EOF" <<< "$out"
	out=$(on server "$LAYOUTCTL list $F --json")
	note "layoutctl list: $(jq -c '[.references[] | select(.kind == "layout-lease") | {pid: .holder.pid, command: .holder.command, offset, length}]' <<< "$out" 2>/dev/null)"
	check "layoutctl-lists-lease" eq "$(jq "[.references[] | select(.kind == \"layout-lease\" and .holder.pid == $pid)] | length" <<< "$out")" 1
	must "write while pinned" on server "xfs_io -c 'pwrite -q -S 0x62 0 4k' $F"
	check "write-keeps-pin" eq "$(grep -c '^break' <<< "$(daxpin_out h1)")" 0
	out=$(trunc 2097152)
	on server "$LBVM wait-for 30 sh -c '! kill -0 $pid 2>/dev/null'" > /dev/null
	note "truncate: $(tr '\n' ' ' <<< "$out")"
	note "holder: $(daxpin_out h1 | grep -E '^(break|deregistered|released)' | tr '\n' ' ')"
	check "truncate-breaks-lease" grep -q '^break' <<< "$(daxpin_out h1)"
	check "truncate-completes" grep -q '^rc=0 ' <<< "$out"
	rel=$(daxpin_out h1 | awk '/^released/ {print $2}')
	end=$(sed -n 's/.* end=\([0-9]*\).*/\1/p' <<< "$out")
	record truncate_end_minus_release_ms "$(( (end - ${rel:-0}) / 1000000 ))"
	check "truncate-after-unpin" ge "$end" "${rel:-99999999999999999}"
	check "size-after-truncate" eq "$(on server "stat -c %s $F")" 2097152

	# A holder that ignores the break: ETXTBSY after lease-break-time.
	fresh
	daxpin_bg h2 reg $F -l -w -H -i -t 300
	pid=$(daxpin_pid h2)
	before=$(server_sum $F)
	out=$(trunc 4096)
	note "truncate, holder ignoring: $(tr '\n' ' ' <<< "$out")"
	ms=$(( ($(sed -n 's/.* end=\([0-9]*\).*/\1/p' <<< "$out") - $(sed -n 's/.* start=\([0-9]*\).*/\1/p' <<< "$out")) / 1000000 ))
	record refused_truncate_ms "$ms"
	check "ignored-break-etxtbsy" grep -q 'Text file busy' <<< "$out"
	check "refused-after-break-time" ge "$ms" $(( BREAK_S * 1000 - 500 ))
	check "file-unchanged" eq "$(server_sum $F)" "$before"
	check "lease-kept" grep -qE "LAYOUT +ACTIVE +READ +$pid " <<< "$(on server 'cat /proc/locks')"
	# Killed during a break: its pins and lease go, the truncate completes.
	on server "kill -9 $pid; $LBVM wait-for 30 sh -c '! kill -0 $pid 2>/dev/null'" > /dev/null
	daxpin_bg h3 reg $F -l -w -H -i -t 300
	pid=$(daxpin_pid h3)
	out=$(on server -t 120 "
		timeout 60 perl -e 'truncate(\$ARGV[0], 4096) or die \"truncate: \$!\\n\"' $F > /run/t.out 2>&1 &
		t=\$!
		$LBVM wait-for 30 grep -q '^break' /run/h3.out || echo no-break
		kill -9 $pid
		wait \$t; echo rc=\$?; cat /run/t.out")
	note "truncate, holder killed: $(tr '\n' ' ' <<< "$out")"
	check "killed-holder-truncate-completes" grep -q '^rc=0' <<< "$out"
	check "size-after-kill" eq "$(on server "stat -c %s $F")" 4096

	# A holder that lets the lease go but keeps its pins, its buffer
	# unmapped: the truncate waits for the pinned pages although nothing
	# maps the file, and completes once they are unpinned.
	fresh
	daxpin_bg h7 reg $F -l -w -H -u -t 300
	pid=$(daxpin_pid h7)
	out=$(on server -t 60 "timeout 15 perl -e 'truncate(\$ARGV[0], 4096) or die \"truncate: \$!\\n\"' $F 2>&1; echo rc=\$?")
	note "truncate, pins kept unmapped: $(tr '\n' ' ' <<< "$out") holder: $(daxpin_out h7 | grep -E '^(break|released|kept)' | tr '\n' ' ')"
	size=$(on server "stat -c %s $F")
	check "truncate-waits-for-unmapped-pins" eq "$size" 4194304
	on server "kill -9 $pid; $LBVM wait-for 30 sh -c '! kill -0 $pid 2>/dev/null'" > /dev/null
	out=$(trunc 4096)
	check "truncate-after-pins-gone" grep -q '^rc=0 ' <<< "$out"

	# Permissions and RLIMIT_MEMLOCK.
	fresh
	# A copy nobody can run wherever the checkout lives (a clone in a
	# 0700 directory is not searchable by uid 65534).
	must "daxpin for nobody" on server "install -m 0755 $HELPERS/daxpin /tmp/daxpin"
	out=$(on server "$NOBODY /tmp/daxpin reg $F -l")
	note "non-owner: $out"
	check "non-owner-lease-refused" grep -q '^lease failed errno=13' <<< "$out"
	must "file of nobody" on server "rm -f $G; xfs_io -f -c 'pwrite -q 0 1m' -c fsync $G && chown 65534:65534 $G"
	out=$(on server "$NOBODY bash -c 'ulimit -l 64; /tmp/daxpin reg $G -l -w -n 1048576; /tmp/daxpin reg $G -l -w -n 32768'")
	note "ulimit -l 64: $(tr '\n' ';' <<< "$out")"
	check "memlock-limit-enforced" grep -q '^reg failed errno=12' <<< "$out"
	check "pin-counted-as-pinned" grep -q '^reg ok .* vmpin_kb=32$' <<< "$out"

	# io_uring registered buffers, same rules.
	out=$(on server "$HELPERS/daxpin uring $F -l")
	note "uring: $(tr '\n' ';' <<< "$out")"
	check "uring-under-lease" grep -q '^read_fixed ok' <<< "$out"
	daxpin_bg h4 uring $F -l -H -t 300
	pid=$(daxpin_pid h4)
	out=$(trunc 8192)
	on server "$LBVM wait-for 30 sh -c '! kill -0 $pid 2>/dev/null'" > /dev/null
	note "truncate under uring: $(tr '\n' ' ' <<< "$out"); holder: $(daxpin_out h4 | grep -E '^(break|released)' | tr '\n' ' ')"
	check "uring-truncate-breaks" grep -q '^break' <<< "$(daxpin_out h4)"
	check "uring-truncate-completes" grep -q '^rc=0 ' <<< "$out"
	on server "$LBVM wait-for 30 sh -c '! kill -0 $pid 2>/dev/null'" > /dev/null

	# fsync keeps flushing a writably pinned range: a device may have
	# written it since, without a fault to mark it dirty again.
	fresh
	daxpin_bg h5 reg $F -l -w -H -t 300
	pid=$(daxpin_pid h5)
	out=$(on server "
		T=/sys/kernel/tracing/instances/lb17
		mkdir -p \$T && echo 1 > \$T/events/fs_dax/dax_writeback_one/enable
		xfs_io -c fsync $F; echo > \$T/trace
		xfs_io -c fsync $F; grep -c dax_writeback_one \$T/trace
		echo 0 > \$T/events/fs_dax/dax_writeback_one/enable; rmdir \$T")
	record pinned_entries_flushed_by_second_fsync "$out"
	check "fsync-flushes-pinned-range" gt "$out" 0
	on server "kill $pid; $LBVM wait-for 30 sh -c '! kill -0 $pid 2>/dev/null'" > /dev/null

	# An NFS client's truncate that a local holder blocks is retried
	# (NFS4ERR_DELAY, not NFS4ERR_IO) and completes once the holder goes.
	client_up client1 $SERVER_ADDR --no-nvme --no-blkmapd
	fresh
	daxpin_bg h6 reg $F -l -w -H -i -t 300
	pid=$(daxpin_pid h6)
	must "trace" on server "$LBVM trace-start"
	must "client truncate" on client1 "
		setsid sh -c 'timeout 180 truncate -s 4096 /mnt/pnfs/pin.dat; echo rc=\$?' < /dev/null > /run/nt.out 2>&1 &"
	out=$(on server -t 90 "$LBVM wait-for 60 grep -q 'kind pin .* error -26' /sys/kernel/tracing/trace && echo refused")
	check "nfs-truncate-refused-once" eq "$out" refused
	check "nfs-client-still-retrying" eq "$(on client1 'cat /run/nt.out')" ""
	on server "kill -9 $pid" > /dev/null
	out=$(on client1 -t 200 "$LBVM wait-for 180 grep -q rc= /run/nt.out; cat /run/nt.out")
	note "client truncate: $(tr '\n' ' ' <<< "$out")"
	on server "$LBVM trace-stop" > /dev/null
	check "nfs-truncate-retried-and-completed" grep -q '^rc=0' <<< "$out"
	check "nfs-truncate-size" eq "$(on server "stat -c %s $F")" 4096
	on server "rm -f $F $G" > /dev/null
}
