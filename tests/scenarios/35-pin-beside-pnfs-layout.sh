# Long-term pins and pNFS layouts on the same file. On the server, a
# read-only RDMA memory region (daxpin reg -X -W) pins [0, 1M) of p.dat and
# an io_uring fixed buffer (a writable pin, daxpin uring -X -W) pins
# [0, 1M) of q.dat, each under a layout lease; client1 then writes [1M, 3M)
# of both files through pNFS (LAYOUTGET, LAYOUTCOMMIT), and [0, 1M) of q.dat
# over its pinned pages. A LAYOUTGET must leave the file's DAX entries
# alone (they are how every break finds the pins):
#  - the DAX kind in fdinfo still shows the pinned pages afterwards;
#  - the holder's F_UNLCK of its lease is still refused (EBUSY), and once
#    it has unmapped, unlocked and closed, an rm of the file frees none of
#    its blocks until the pin goes; then the space comes back;
#  - the writes go through the layout (LAYOUTCOMMIT) and land: the server
#    reads what the client wrote, the pinned pages included; no warning.
# On the series before 0024, xfs_fs_map_blocks() invalidated the DAX
# entries: the read-only pin's clean ones were dropped (the DAX kind saw
# 0 pages, F_UNLCK succeeded, rm freed the pinned blocks at once), and the
# writable pin's dirty ones made the invalidation fail with EBUSY: a
# WARNING in xfs_fs_map_blocks() and no layout for the client. Stock
# refuses the pins.
DESC="pins beside pNFS layouts on one file: a LAYOUTGET keeps the DAX entries, the pins stay seen, F_UNLCK refused, rm frees nothing pinned"
OURS_ONLY=ro-pin-registered
TIMEOUT=900

D=/srv/export

# pin_bg NAME ARGS: daxpin ARGS -X -W in the background; returns once it
# waits for SIGUSR1 (or has failed).
pin_bg() {
	local name=$1
	shift
	on server "
		setsid $HELPERS/daxpin $* -X -W -t 600 < /dev/null > /run/$name.out 2>&1 &
		echo \$! > /run/$name.pid
		$LBVM wait-for 60 grep -qE '^(waiting|reg failed|lease failed)' /run/$name.out
		cat /run/$name.out"
}

# let_go NAME: SIGUSR1, then what the holder printed once it has let go.
let_go() {
	on server -t 60 "
		kill -USR1 \$(cat /run/$1.pid)
		$LBVM wait-for 30 grep -q '^holding' /run/$1.out
		cat /run/$1.out"
}

avail() { on server "sync; df -B1 --output=avail $D | tail -n1 | tr -d ' '"; }

# client_write FILE SEEK-MIB COUNT-MIB: O_DIRECT write of random bytes by
# client1 through pNFS; prints their sha256.
client_write() {
	on client1 -t 200 "timeout 120 dd if=/dev/urandom of=/tmp/w bs=1M count=$3 status=none &&
		timeout 120 dd if=/tmp/w of=/mnt/pnfs/$1 bs=1M seek=$2 oflag=direct conv=fsync,notrunc status=none &&
		sha256sum < /tmp/w | cut -d' ' -f1"
}

scenario() {
	local out before after d sum sum0 n
	server_up --fs dax --size 300m --dax-pins
	client_up client1 $SERVER_ADDR
	for f in p q; do
		must "$f.dat" on server "xfs_io -f -c 'pwrite -q -S 0x61 0 4m' -c fsync $D/$f.dat"
	done

	# 1. A read-only region: its entries are clean.
	out=$(pin_bg ro reg $D/p.dat -R 1048576 -n 1048576)
	note "read-only region: $(tr '\n' ';' <<< "$out")"
	check "ro-pin-registered" grep -q '^reg ok .* read-only' <<< "$out"
	n=$(busy_pages $D/p.dat)
	record ro_busy_pages_before "$n"
	check "ro-pin-seen" ge "$n" 256
	hold_open client1 /mnt/pnfs/p.dat
	before=$(on server "$LBVM nfsd-stats")
	sum=$(client_write p.dat 1 2)
	after=$(on server "$LBVM nfsd-stats")
	release_open client1
	d=$(nfsd_delta "$before" "$after")
	record ro_LAYOUTGET "$(kv LAYOUTGET "$d")"
	record ro_LAYOUTCOMMIT "$(kv LAYOUTCOMMIT "$d")"
	check "ro-client-write-completes" test -n "$sum"
	check "ro-client-wrote-through-layout" gt "$(kv LAYOUTCOMMIT "$d")" 0
	check "ro-server-reads-client-write" eq "$(server_range_sum $D/p.dat 1 2)" "$sum"
	n=$(busy_pages $D/p.dat)
	record ro_busy_pages_after_layoutget "$n"
	check "ro-pin-seen-after-layoutget" ge "$n" 256
	out=$(let_go ro)
	note "read-only holder lets go: $(grep -E '^(unlck|dropped)' <<< "$out" | tr '\n' ';')"
	check "ro-unlck-refused-after-layoutget" grep -q '^unlck errno=16 ' <<< "$out"
	before=$(avail)
	must "rm p.dat" on server "rm $D/p.dat"
	after=$(avail)
	record ro_freed_by_rm_bytes "$(( after - before ))"
	check "ro-rm-frees-no-pinned-block" lt "$(( after - before ))" 1048576
	on server "kill -USR2 \$(cat /run/ro.pid); $LBVM wait-for 30 grep -q '^unregistered' /run/ro.out" > /dev/null
	out=$(on server -t 60 "$LBVM wait-for 30 sh -c '[ \$(sync; df -B1 --output=avail $D | tail -n1) -ge $(( before + 4194304 )) ]' && echo back || echo not-back")
	check "ro-space-back-after-unpin" eq "$out" back
	on server "kill \$(cat /run/ro.pid) 2>/dev/null" > /dev/null

	# 2. A writable pin (io_uring): its entries stay dirty across writeback.
	out=$(pin_bg rw uring $D/q.dat -R 1048576 -n 1048576)
	note "io_uring buffer: $(tr '\n' ';' <<< "$out")"
	check "rw-pin-registered" grep -q '^reg ok uring' <<< "$out"
	hold_open client1 /mnt/pnfs/q.dat
	before=$(on server "$LBVM nfsd-stats")
	sum=$(client_write q.dat 1 2)
	sum0=$(client_write q.dat 0 1)
	after=$(on server "$LBVM nfsd-stats")
	release_open client1
	d=$(nfsd_delta "$before" "$after")
	record rw_LAYOUTGET "$(kv LAYOUTGET "$d")"
	record rw_LAYOUTCOMMIT "$(kv LAYOUTCOMMIT "$d")"
	check "rw-client-writes-complete" test -n "$sum" -a -n "$sum0"
	check "rw-client-wrote-through-layout" gt "$(kv LAYOUTCOMMIT "$d")" 0
	check "rw-server-reads-client-write" eq "$(server_range_sum $D/q.dat 1 2)" "$sum"
	check "rw-server-reads-write-over-pin" eq "$(server_range_sum $D/q.dat 0 1)" "$sum0"
	n=$(busy_pages $D/q.dat)
	record rw_busy_pages_after_layoutget "$n"
	check "rw-pin-seen-after-layoutget" ge "$n" 256
	out=$(let_go rw)
	note "io_uring holder lets go: $(grep -E '^(unlck|dropped)' <<< "$out" | tr '\n' ';')"
	check "rw-unlck-refused-after-layoutget" grep -q '^unlck errno=16 ' <<< "$out"
	on server "kill -USR2 \$(cat /run/rw.pid); $LBVM wait-for 30 grep -q '^unregistered' /run/rw.out; kill \$(cat /run/rw.pid)" > /dev/null
	on server "rm -f $D/q.dat" > /dev/null
}
