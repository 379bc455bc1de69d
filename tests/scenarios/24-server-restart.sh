# Recovery: the server VM is reset (qemu system_reset, as a crash would;
# its memory, and so the emulated pmem, survive) while client1 holds a
# layout on a file it wrote through it and keeps open. The server comes
# back with the same filesystem (XFS log recovery), nfsd's client records
# kept (nfsdcld's database in the shared directory) and a grace period;
# client1 reclaims its open state, reads back what it wrote, and writes
# again through a new layout once its NVMe connection is back; the server
# reads both back.
DESC="server reset while a client holds a layout: after grace the client recovers, data intact"
TIMEOUT=900

F=/mnt/pnfs/rec.dat
STATE=/run/lb/server-nfsdcld

scenario() {
	local s1 s2 out t0 before after d ino
	on server "rm -rf $STATE" > /dev/null
	server_up --fs dax --size 300m --state $STATE
	# The host notices a dead target within seconds and keeps reconnecting
	# for 10 minutes (elsewhere 60 s and 30 s: there a fence, and nothing
	# else, must cut a client off for good).
	client_up client1 $SERVER_ADDR --ctrl-loss-tmo 600 --keep-alive-tmo 5
	on server "xfs_io -f -c 'truncate 16m' /srv/export/rec.dat" > /dev/null
	hold_open client1 $F
	s1=$(client_write_at client1 $F 0 8)
	must "client1 writes through its layout" test -n "$s1"
	out=$(on server "$LAYOUTCTL list /srv/export/rec.dat")
	sed 's/^/    # before the reset: /' <<< "$out"
	check "layout-held-before-reset" grep -q '^pnfs-layout' <<< "$out"

	t0=$(date +%s)
	must "server reset" vm_reset server
	must "server agent back" vm_wait_up server 600
	# nfsd has not started in this boot yet: an administrator's recall is
	# refused with a clear message (nfsd-ext's netlink recall once walked
	# the NFSv4 file table, which does not exist yet, and oopsed).
	out=$(on server "$LAYOUTCTL recall /etc/hostname --timeout 5 2>&1; echo rc=\$?")
	note "recall before nfsd started: $(tr '\n' ' ' <<< "$out")"
	check "recall-before-nfsd-start-refused" grep -qE "nfsd is not running|has no layout-recall command" <<< "$out"
	check "recall-before-nfsd-start-exit-1" grep -qx "rc=1" <<< "$out"
	server_up --fs dax --keep --state $STATE
	record server_back_s $(( $(date +%s) - t0 ))
	check "data-intact-after-reset" eq "$(server_range_sum /srv/export/rec.dat 0 8)" "$s1"

	# client1 recovers: its NVMe connection comes back, and its reads and
	# writes wait out the grace period.
	must "client1's NVMe connection back" on client1 "$LBVM wait-for 120 sh -c 'grep -qx live /sys/class/nvme/nvme*/state'"
	out=$(on client1 -t 300 "dd if=$F bs=1M count=8 iflag=direct status=none | sha256sum | cut -d' ' -f1")
	record client_recovered_s $(( $(date +%s) - t0 ))
	check "client-reads-after-recovery" eq "$out" "$s1"
	# The reclaimed open of the file client1 kept open (nfsd names a file
	# opened by handle "/": match the inode).
	ino=$(on server "stat -c %i /srv/export/rec.dat")
	out=$(on server "grep -h 'type: open, .*superblock: \"[0-9a-f]*:[0-9a-f]*:$ino\"' /proc/fs/nfsd/clients/*/states")
	note "open state after recovery: $out"
	note "client1: $(on client1 "grep -E '^\s+(OPEN_NOATTR|RECLAIM_COMPLETE):' /proc/self/mountstats" | awk '{ print $1, $2 }' | tr '\n' ' ')"
	check "held-open-reclaimed" test -n "$out"
	before=$(on server "$LBVM nfsd-stats")
	s2=$(client_write_at client1 $F 8 4)
	after=$(on server "$LBVM nfsd-stats")
	d=$(nfsd_delta "$before" "$after")
	note "after recovery: LAYOUTGET $(kv LAYOUTGET "$d") LAYOUTCOMMIT $(kv LAYOUTCOMMIT "$d") WRITE_BYTES $(kv WRITE_BYTES "$d")"
	check "client-writes-after-recovery" test -n "$s2"
	check "new-layout-after-recovery" gt "$(kv LAYOUTCOMMIT "$d")" 0
	check "writes-bypass-server" lt "$(( $(kv WRITE_BYTES "$d") * 100 ))" $((4 * 1048576))
	check "server-reads-new-data" eq "$(server_range_sum /srv/export/rec.dat 8 4)" "$s2"
	check "old-data-still-intact" eq "$(server_range_sum /srv/export/rec.dat 0 8)" "$s1"
	release_open client1
	on client1 "$LBVM client-down" > /dev/null
}
