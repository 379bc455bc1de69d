# A WRITE, COPY or CLONE through the server that a holder of the file's
# layout keeps from happening is answered NFS4ERR_DELAY, not NFS4ERR_IO: the
# client retries, each retry breaks the layout again, and the operation
# completes once the holder lets go. Such a refusal is no storage failure:
# the write verifier stays, so no client has to send its unstable writes
# again.
#
# (a) CLONE: a local process holds a userspace layout lease on r.dat and
#     ignores its breaks (the clone's break fails with ETXTBSY after
#     lease-break-time); client1 clones into r.dat.
# (b) WRITE and COPY: client2 holds a pNFS layout on g.dat and is frozen; the
#     fence helper cannot fence it (its subsystem is left out), so each
#     break of its range fails with ETXTBSY. client1 writes into that range
#     over an NFSv4.0 mount (no pNFS: the write goes through the server)
#     and copies into it over its NFSv4.2 mount (a server-side COPY). Its
#     pNFS write there asks for a layout first: that range is held by a
#     client that could not be fenced, so it is told NFS4ERR_LAYOUTUNAVAILABLE
#     and writes through the server at once, refused like the others. All
#     complete once client2 is thawed and answers the next recall.
#
# Stock has no userspace layout leases (EINVAL) and forgets a recalled
# client's layouts, so neither request is refused there.
DESC="a write, copy or clone a layout holder blocks is retried (NFS4ERR_DELAY) and completes once it lets go"
OURS_ONLY=layout-lease-taken
TIMEOUT=1200

BREAK_S=5
TRACE_FILE=/sys/kernel/tracing/trace

# op NAME FILE PYTHON: client1 runs PYTHON (which has os, fcntl, mmap, struct
# and FILE's path as p) in the background: it opens its files, creates
# /run/NAME.opened, waits for /run/NAME.go, then does its request. Its exit
# status lands in /run/NAME.rc, its messages in /run/NAME.err.
op() {
	must "client1 prepares its $1" on client1 "rm -f /run/$1.rc /run/$1.err /run/$1.opened /run/$1.go
		cat > /run/$1.py <<'EOF'
import fcntl, mmap, os, struct, time
p = '$2'
$3
EOF
		setsid sh -c 'timeout 200 python3 /run/$1.py 2> /run/$1.err; echo \$? > /run/$1.rc' < /dev/null > /dev/null 2>&1 &
		$LBVM wait-for 30 sh -c 'test -e /run/$1.opened || test -e /run/$1.rc'
		test -e /run/$1.opened"
}

# Lines of the PYTHON that op runs.
GO='open("/run/%s.opened" % NAME, "w").close()
while not os.path.exists("/run/%s.go" % NAME): time.sleep(0.05)'
WRITE_PY="NAME = 'write'; fd = os.open(p, os.O_WRONLY | os.O_DIRECT)
m = mmap.mmap(-1, 1 << 20); m.write(open('/tmp/src', 'rb').read())
$GO
assert os.pwrite(fd, m, 1 << 20) == 1 << 20
os.fsync(fd)"
PNFS_PY="NAME = 'pnfs'; fd = os.open(p, os.O_WRONLY | os.O_DIRECT)
m = mmap.mmap(-1, 1 << 20); m.write(open('/tmp/src', 'rb').read())
$GO
assert os.pwrite(fd, m, 4 << 20) == 1 << 20
os.fsync(fd)"
COPY_PY="NAME = 'copy'; s = os.open('/mnt/pnfs/s.dat', os.O_RDONLY); d = os.open(p, os.O_WRONLY)
$GO
assert os.copy_file_range(s, d, 1 << 20, 0, 2 << 20) == 1 << 20
os.fsync(d)"
CLONE_PY="NAME = 'clone'; s = os.open('/mnt/pnfs/s.dat', os.O_RDONLY); d = os.open(p, os.O_WRONLY)
$GO
fcntl.ioctl(d, 0x4020940d, struct.pack('qQQQ', s, 0, 1 << 20, 1 << 20))  # FICLONERANGE
os.fsync(d)"

go() { must "client1 sends its $1" on client1 "touch /run/$1.go"; }

# nfs_status OP STATUS: how many times nfsd answered OP with STATUS so far.
nfs_status() { on server "grep -cE ' $1 status=-?$2\$' $TRACE_FILE || true"; }

# refused NAME OP: wait until nfsd has refused OP twice (the client sent it
# again after the first answer) or answered it NFS4ERR_IO, and check that
# it answered NFS4ERR_DELAY and the client still waits.
refused() {
	local n
	on server -t 150 "$LBVM wait-for 120 sh -c '[ \$(grep -cE \" $2 status=-?(10008|5)\$\" $TRACE_FILE) -ge 2 ] ||
		grep -qE \" $2 status=-?5\$\" $TRACE_FILE'" > /dev/null
	n=$(nfs_status "$2" 10008)
	record "${1}_delay_answers" "$n"
	record "${1}_io_answers" "$(nfs_status "$2" 5)"
	note "$1: client: $(on client1 "cat /run/$1.rc /run/$1.err 2>/dev/null | tr '\n' ' '")"
	check "$1-answered-delay" ge "$n" 2
	check "$1-not-io-error" eq "$(nfs_status "$2" 5)" 0
	check "$1-client-still-waiting" on client1 "test ! -e /run/$1.rc"
}

# completed NAME FILE SUM [MIB]: the request ends well and FILE's MiB MIB
# (default 1) is SUM.
completed() {
	local out
	on client1 -t 150 "$LBVM wait-for 120 test -s /run/$1.rc" > /dev/null
	out=$(on client1 "cat /run/$1.rc /run/$1.err 2>/dev/null")
	note "$1: done: $(tr '\n' ' ' <<< "$out")"
	check "$1-completes" eq "$(head -n1 <<< "$out")" 0
	check "$1-landed" eq "$(server_range_sum "$2" "${4:-1}" 1)" "$3"
}

scenario() {
	local out pid n resets
	trap thaw_all EXIT
	must "client1's data" on client1 "head -c 1M /dev/urandom > /tmp/src"

	# (a) CLONE into a file a local layout lease holder keeps.
	server_up --fs reflink --size 300m
	client_up client1 $SERVER_ADDR
	must "lease-break-time" on server "echo $BREAK_S > /proc/sys/fs/lease-break-time"
	must "files" on server "
		xfs_io -f -c 'pwrite -q -S 0x73 0 1m' -c fsync /srv/export/s.dat &&
		xfs_io -f -c 'pwrite -q -S 0x61 0 4m' -c fsync /srv/export/r.dat"
	out=$(on server "
		setsid $HELPERS/leasehold /srv/export/r.dat layout ignore /run/h.d < /dev/null > /run/h.out 2>&1 &
		echo \$! > /run/h.pid
		$LBVM wait-for 30 grep -qE '^held|leasehold:' /run/h.out
		cat /run/h.out")
	note "holder: $out"
	check "layout-lease-taken" grep -q '^held layout' <<< "$out"
	pid=$(on server "cat /run/h.pid")
	must "trace" on server "$LBVM trace-start"
	op clone /mnt/pnfs/r.dat "$CLONE_PY"
	go clone
	refused clone OP_CLONE
	note "clone: the holder was notified $(on server "grep -c ^sigio /run/h.out") times"
	on server "kill $pid; $LBVM wait-for 30 sh -c '! kill -0 $pid 2>/dev/null'" > /dev/null
	completed clone /srv/export/r.dat "$(server_range_sum /srv/export/s.dat 0 1)"
	resets=$(on server "grep -c ' nfsd_writeverf_reset: ' $TRACE_FILE || true")
	on server "$LBVM trace-stop" > /dev/null

	# (b) WRITE and COPY into the range of a frozen client that cannot
	# be fenced.
	server_up --fs dax --size 300m
	client_up client1 $SERVER_ADDR
	client_up client2 $SERVER_ADDR2
	must "misconfigured fence helper" on server "$LBVM fence-helper --misconfigure client2"
	must "files" on server "
		xfs_io -f -c 'pwrite -q -S 0x73 0 1m' -c fsync /srv/export/s.dat &&
		xfs_io -f -c 'truncate 8m' /srv/export/g.dat"
	hold_open client2 /mnt/pnfs/g.dat
	must "client2 write g.dat" test -n "$(client_write client2 /mnt/pnfs/g.dat 8)"
	must "client1 NFSv4.0 mount" on client1 "mkdir -p /mnt/v40 && umount /mnt/v40 2>/dev/null
		timeout 60 mount -t nfs4 -o vers=4.0 $SERVER_ADDR:/ /mnt/v40"
	op write /mnt/v40/g.dat "$WRITE_PY"
	op copy /mnt/pnfs/g.dat "$COPY_PY"
	op pnfs /mnt/pnfs/g.dat "$PNFS_PY"
	must "trace" on server "$LBVM trace-start"
	must "freeze client2" vm_freeze client2
	frozen="client2"
	go write
	refused write OP_WRITE
	go copy
	refused copy OP_COPY
	# client1's own pNFS write: its LAYOUTGET meets client2's layout,
	# whose fence failed: the layout is unavailable, and the write goes
	# through the server at once (where it is refused with NFS4ERR_DELAY
	# like the others) instead of asking for a layout for two lease periods.
	go pnfs
	on server -t 150 "$LBVM wait-for 120 grep -qE ' OP_LAYOUTGET status=-?10059\$' $TRACE_FILE" > /dev/null
	record pnfs_layoutget_answers "$(on server "grep -oE ' OP_LAYOUTGET status=-?[0-9]+' $TRACE_FILE | sort | uniq -c | tr '\n' ' '")"
	check "pnfs-layout-unavailable" gt "$(nfs_status OP_LAYOUTGET 10059)" 0
	check "pnfs-client-still-waiting" on client1 "test ! -e /run/pnfs.rc"
	must "thaw client2" vm_thaw client2
	frozen=""
	completed write /srv/export/g.dat "$(on client1 "sha256sum < /tmp/src | cut -d' ' -f1")"
	completed pnfs /srv/export/g.dat "$(on client1 "sha256sum < /tmp/src | cut -d' ' -f1")" 4
	# The copy lands at MiB 2.
	on client1 -t 150 "$LBVM wait-for 120 test -s /run/copy.rc" > /dev/null
	note "copy: done: $(on client1 "cat /run/copy.rc /run/copy.err 2>/dev/null | tr '\n' ' '")"
	note "copy: nfsd's answers: $(on server "grep -oE ' OP_COPY status=-?[0-9]+' $TRACE_FILE | sort | uniq -c | tr '\n' ' '")"
	on client1 "test -s /run/copy.rc" ||
		note "copy: client1 stack: $(on client1 "for p in \$(pgrep -f /run/copy.py); do cat /proc/\$p/stack; done 2>/dev/null | tr '\n' ' '")"
	check "copy-completes" eq "$(on client1 "head -n1 /run/copy.rc")" 0
	check "copy-landed" eq "$(server_range_sum /srv/export/g.dat 2 1)" "$(server_range_sum /srv/export/s.dat 0 1)"
	n=$(on server "grep -c ' nfsd_writeverf_reset: ' $TRACE_FILE || true")
	record writeverf_resets "$(( resets + n ))"
	check "write-verifier-kept" eq "$(( resets + n ))" 0
	on server "$LBVM trace-stop" > /dev/null
	on client1 "umount /mnt/v40" > /dev/null
	on server "$LBVM fence-helper" > /dev/null
}
