# The other lease managers keep their behaviour. The series gives leases a
# byte range and tells ->lm_break() the range being changed, but breaks for
# opens and for truncate(2) pass the whole file, and the classic lease and
# delegation managers ignore the range. On the server: F_SETLEASE read and
# write leases are broken by the opens that conflict with them (SIGIO; the
# opener waits for the holder's answer), not by those that do not; a
# non-blocking open gets EWOULDBLOCK and starts the break; a lease whose
# holder does not answer is taken away after lease-break-time and the opener
# goes on (only layout leases refuse the change instead); /proc/locks shows
# them as before. Over NFS: a read delegation is recalled (CB_RECALL) by a
# local write open on the server, which then completes; no layout is
# recalled for it. Both kernels must pass.
DESC="F_SETLEASE leases and NFS delegations are broken as on stock"
OURS_ONLY=
TIMEOUT=900

F=/srv/export/lease.dat

# holder NAME TYPE ANSWER: leasehold on F in the background, its output in
# /run/NAME.out, its pid in /run/NAME.pid, once the lease is held.
holder() {
	must "$1 holds a $2 lease" on server "
		rm -rf /run/$1 /run/$1.out
		setsid $HELPERS/leasehold $F $2 $3 /run/$1 < /dev/null > /run/$1.out 2>&1 &
		echo \$! > /run/$1.pid
		$LBVM wait-for 30 grep -q '^held' /run/$1.out"
}

# lease_line NAME: the holder's line in /proc/locks, without its number.
lease_line() { on server "grep \" LEASE .* \$(cat /run/$1.pid) \" /proc/locks | sed 's/^[0-9]*: //'"; }

# open_against NAME REDIR: a blocking open of F by the shell redirection
# REDIR ("3<" or "3>>"); prints after-answer when it returned only after the
# holder NAME had answered the break.
open_against() {
	on server -t 60 "timeout 30 sh -c 'exec $2 $F; test -e /run/$1/answered && echo after-answer'"
}

# holder_out NAME: what the holder printed, also shown as a note.
holder_out() {
	local out
	out=$(on server "cat /run/$1.out")
	note "holder $1: $(tr '\n' ';' <<< "$out")" >&2
	echo "$out"
}

scenario() {
	local out ino re d before after trace cb lr
	server_up --fs dax --size 300m
	client_up client1 $SERVER_ADDR
	must "lease-break-time" on server "echo 3 > /proc/sys/fs/lease-break-time"
	must "file" on server "xfs_io -f -c 'pwrite -q -S 0x61 0 1m' -c fsync $F"
	ino=$(on server "stat -c %i $F")
	re="[0-9a-f]+:[0-9a-f]+:$ino 0 EOF"

	# A write lease: a read open asks for a downgrade and returns only
	# after the holder has answered.
	holder w wr downgrade
	out=$(lease_line w)
	note "write lease: $out"
	check "write-lease-in-proc-locks" grep -qE "^LEASE +ACTIVE +WRITE +$(on server 'cat /run/w.pid') $re\$" <<< "$out"
	check "read-open-waits-for-downgrade" eq "$(open_against w '3<')" after-answer
	check "write-lease-break-asks-read" grep -qx 'sigio getlease=RDLCK' <<< "$(holder_out w)"
	check "downgraded-lease-stays" grep -qE "^LEASE +ACTIVE +READ " <<< "$(lease_line w)"
	on server 'kill $(cat /run/w.pid)' > /dev/null

	# A read lease: read opens leave it alone, a write open breaks it and
	# returns only after the holder has given it up.
	holder r rd release
	out=$(on server "cat $F > /dev/null && echo rc=\$?; cat /run/r.out")
	check "read-open-keeps-read-lease" eq "$(tr '\n' ' ' <<< "$out")" "rc=0 held rd "
	check "read-lease-active" grep -qE "^LEASE +ACTIVE +READ " <<< "$(lease_line r)"
	check "write-open-waits-for-release" eq "$(open_against r '3>>')" after-answer
	check "read-lease-break-asks-unlock" grep -qx 'sigio getlease=UNLCK' <<< "$(holder_out r)"
	check "released-lease-gone" eq "$(lease_line r)" ""
	on server 'kill $(cat /run/r.pid)' > /dev/null

	# A holder that never answers: a non-blocking open fails with
	# EWOULDBLOCK and starts the break; a blocking one goes on once
	# lease-break-time has passed, and the lease is gone.
	holder i rd ignore
	out=$(on server "truncate -s 1m $F 2>&1; echo rc=\$?")
	note "truncate(1), which opens O_NONBLOCK: $(tr '\n' ' ' <<< "$out")"
	check "nonblocking-open-ewouldblock" grep -q 'Resource temporarily unavailable' <<< "$out"
	check "break-started" grep -qE "^LEASE +BREAKING " <<< "$(lease_line i)"
	out=$(on server -t 60 "timeout 30 sh -c 'exec 3>> $F' && echo rc=0")
	check "unanswered-lease-times-out" eq "$out" rc=0
	check "timed-out-lease-gone" eq "$(lease_line i)" ""
	check "holder-saw-break" grep -qx 'sigio getlease=UNLCK' <<< "$(holder_out i)"
	on server 'kill $(cat /run/i.pid)' > /dev/null

	# An NFS read delegation, recalled by a local write open.
	must "deleg file" on server "xfs_io -f -c 'pwrite -q -S 0x62 0 64k' -c fsync /srv/export/deleg.dat"
	hold_open client1 /mnt/pnfs/deleg.dat '3<'
	d=$(on server "$LBVM wait-for 30 sh -c 'grep -l \"type: deleg\" /proc/fs/nfsd/clients/*/states' && echo yes")
	check "client-holds-read-delegation" grep -q yes <<< "$d"
	before=$(on server "$LBVM nfsd-stats")
	on server "$LBVM trace-start"
	out=$(on server -t 120 "timeout 90 xfs_io -c 'pwrite -q -S 0x63 0 4k' /srv/export/deleg.dat && echo rc=0")
	trace=$(on server "$LBVM trace-stop")
	after=$(on server "$LBVM nfsd-stats")
	cb=$(trace_count nfsd_cb_recall "$trace")
	lr=$(trace_count nfsd_layout_recall "$trace")
	record CB_RECALL "$cb"
	record CB_LAYOUTRECALL "$lr"
	record DELEGRETURN "$(kv DELEGRETURN "$(nfsd_delta "$before" "$after")")"
	check "local-write-completes" eq "$out" rc=0
	check "delegation-recalled" gt "$cb" 0
	check "no-layout-recall" eq "$lr" 0
	out=$(on server "$LBVM wait-for 30 sh -c '! grep -q \"type: deleg\" /proc/fs/nfsd/clients/*/states' && echo returned")
	check "delegation-returned" eq "$out" returned
	release_open client1
	on server "rm -f $F /srv/export/deleg.dat /run/[wri].out /run/[wri].pid; rm -rf /run/w /run/r /run/i" > /dev/null
}
