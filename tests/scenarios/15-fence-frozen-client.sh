# A client that stops answering while it holds a layout is fenced by
# layoutctl, running as nfsd's /sbin/nfsd-recall-failed. client1 writes
# f.dat through its layout and is frozen (qemu "stop"); a server truncate
# waits for the recall, nfsd runs the helper after two lease periods, the
# helper cuts client1's NVMe-oF subsystem off, and the truncate completes.
# client2's data stay intact. Resumed, client1 cannot reconnect to the
# target, its block writes aimed at the freed blocks fail, and canary files
# the server wrote there keep only their pattern.
#
# Then a fence that fails (the helper's configuration lacks client2's
# subsystem): client2 is frozen holding a layout on g.dat, and the server's
# truncate of g.dat fails with ETXTBSY; the file and client2's layout stay.
# Stock nfsd ignores the helper's exit status, returns the layout and lets
# the truncate free the blocks. Once client2 is resumed, a truncate after
# the lease period recalls the layout again and completes. Last, a helper
# that hangs is killed after one lease period and counts as a failed fence.
DESC="a client that ignores a recall is fenced by layoutctl; a failed fence keeps the layout and refuses the truncate"
OURS_ONLY=failed-fence-refuses-truncate
TIMEOUT=1500

SUB=nqn.2026-01.io.layoutbreak:pmem0

frozen=""
thaw_all() { for vm in $frozen; do vm_thaw "$vm" || true; done; }

scenario() {
	local sum2 old t canaries ov foreign out rc d size before tries list
	trap thaw_all EXIT
	server_up --fs dax --size 300m
	must "fence helper" on server "$LBVM fence-helper"
	client_up client1 $SERVER_ADDR
	client_up client2 $SERVER_ADDR2

	on server 'xfs_io -f -c "truncate 8m" /srv/export/f.dat; xfs_io -f -c "truncate 8m" /srv/export/two.dat'
	hold_open client1 /mnt/pnfs/f.dat
	sum2=$(client_write client2 /mnt/pnfs/two.dat 4)
	must "client2 write" test -n "$sum2"
	must "client1 write" test -n "$(client_write client1 /mnt/pnfs/f.dat 8)"
	old=$(extents server /srv/export/f.dat)
	must "fiemap of f.dat" test -n "$old"

	list=$(on server "layoutctl list /srv/export/f.dat")
	while read -r l; do note "list: $l"; done <<< "$list"
	check "list-shows-client1-layout" grep -q "^pnfs-layout .*10.55.1.2" <<< "$list"

	# client1 hangs holding its layout.
	must "freeze client1" vm_freeze client1
	frozen="client1"
	on server "$LBVM trace-start"
	t=$(timed_ms server 'xfs_io -c "truncate 0" /srv/export/f.dat')
	trace=$(on server "$LBVM trace-stop")
	record truncate_with_frozen_client_ms "$t"
	record recall_failures "$(trace_count nfsd_layout_recall_fail "$trace")"
	check "truncate-completed" test -n "$t"
	check "recall-failed" gt "$(trace_count nfsd_layout_recall_fail "$trace")" 0
	out=$(on server "layoutctl fenced --json")
	note "fenced: $(jq -c '[.[] | {client, sb_id, complete}]' <<< "$out")"
	check "client1-fenced" eq "$(jq -r '.[] | select(.client == "client1") | .complete' <<< "$out")" true
	d=$(on server "dmesg | grep -E 'nfsd: (client|fence)' | tail -n 3")
	while read -r l; do [ -n "$l" ] && note "server: ${l#*] }"; done <<< "$d"
	check "subsystem-off-the-port" on server "! test -e /sys/kernel/config/nvmet/ports/1/subsystems/$SUB-client1"
	check "client2-data-intact" eq "$(server_range_sum /srv/export/two.dat 0 4)" "$sum2"

	# The freed blocks now hold canaries.
	on server sync
	canaries=$(fill_canaries server /srv/export 40)
	ov=0
	for c in $canaries; do
		ov=$(( ov + $(overlap "$old" "$(extents server "$c")") ))
	done
	record canary_bytes_on_freed_blocks "$ov"
	must "canaries on the freed blocks" test "$ov" -gt 0

	# Resumed, client1 writes straight at the freed blocks: refused.
	must "thaw client1" vm_thaw client1
	frozen=""
	out=$(on client1 -t 120 "
		dev=\$(ls /dev/nvme*n1 2>/dev/null | head -n1)
		[ -n \"\$dev\" ] || { echo 'no namespace: rc=nodev'; exit 0; }
		timeout 60 dd if=/dev/urandom of=\$dev bs=4k count=16 seek=$(( $(head -n1 <<< "$old" | cut -d' ' -f1) / 4096 )) oflag=direct conv=fsync 2>&1
		echo rc=\$?")
	note "client1 block write after fence: $(tr '\n' ' ' <<< "$out")"
	check "fenced-client-block-write-fails" grep -qE "rc=([1-9]|nodev)" <<< "$out"
	out=$(on client1 -t 60 "echo 'transport=rdma,traddr=$SERVER_ADDR,trsvcid=4420,nqn=$SUB-client1,hostnqn=nqn.2026-01.io.layoutbreak:client1,duplicate_connect' > /dev/nvme-fabrics 2>&1; echo rc=\$?")
	note "client1 reconnect: $(tr '\n' ' ' <<< "$out")"
	check "fenced-client-reconnect-refused" grep -q "rc=[1-9]" <<< "$out"
	foreign=$(canaries_foreign_bytes server $canaries)
	record canary_foreign_bytes "$foreign"
	check "canaries-clean" eq "$foreign" 0
	on server "rm -f $canaries; layoutctl unfence client1 pmem0" > /dev/null
	on client1 "$LBVM client-down" > /dev/null

	# A fence that fails.
	must "misconfigured fence helper" on server "$LBVM fence-helper --misconfigure client2"
	on server 'xfs_io -f -c "truncate 8m" /srv/export/g.dat'
	hold_open client2 /mnt/pnfs/g.dat
	must "client2 write g.dat" test -n "$(client_write client2 /mnt/pnfs/g.dat 8)"
	before=$(server_sum /srv/export/g.dat)
	must "freeze client2" vm_freeze client2
	frozen="client2"
	out=$(on server -t 180 "timeout 120 perl -e 'truncate(\$ARGV[0], 0) or die \"truncate: \$!\\n\"' /srv/export/g.dat 2>&1; echo rc=\$?")
	note "truncate with a failed fence: $(tr '\n' ' ' <<< "$out")"
	size=$(on server "stat -c %s /srv/export/g.dat")
	record size_after_failed_fence "$size"
	d=$(on server "dmesg | grep -E 'nfsd: (client|fence)' | tail -n 2")
	while read -r l; do [ -n "$l" ] && note "server: ${l#*] }"; done <<< "$d"
	check "failed-fence-refuses-truncate" grep -q "Text file busy" <<< "$out"
	check "file-unchanged" eq "$(server_sum /srv/export/g.dat)" "$before"
	list=$(on server "layoutctl list /srv/export/g.dat --json")
	note "list: $(jq -c '[.references[] | select(.kind == "pnfs-layout") | {client: .client.address, ranges: .ranges_text}]' <<< "$list")"
	check "layout-kept" eq "$(jq '[.references[] | select(.kind == "pnfs-layout" and (.client.address | startswith("10.55.2.2")))] | length' <<< "$list")" 1

	# Resumed, client2 answers the next recall: a truncate after the lease
	# period completes (each try before that fails at once).
	must "thaw client2" vm_thaw client2
	frozen=""
	tries=$(on server -t 200 "
		for i in \$(seq 60); do
			if timeout 60 perl -e 'truncate(\$ARGV[0], 0) or die' /srv/export/g.dat 2>/dev/null; then
				echo \$i; exit 0
			fi
			sleep 1	# the lease period is a time, not an event
		done; echo 0")
	record truncate_tries_after_thaw "$tries"
	check "truncate-after-client-returns" gt "$tries" 0

	# A helper that hangs is killed after one lease period: a failed fence.
	must "hanging fence helper" on server "$LBVM fence-helper --hang"
	must "client2 rewrite g.dat" test -n "$(client_write client2 /mnt/pnfs/g.dat 8)"
	must "freeze client2" vm_freeze client2
	frozen="client2"
	out=$(on server -t 180 "timeout 120 perl -e 'truncate(\$ARGV[0], 0) or die \"truncate: \$!\\n\"' /srv/export/g.dat 2>&1; echo rc=\$?")
	note "truncate with a hanging helper: $(tr '\n' ' ' <<< "$out")"
	d=$(on server "dmesg | grep -E 'nfsd: fence' | tail -n 1")
	[ -n "$d" ] && note "server: ${d#*] }"
	check "hung-helper-killed" grep -q "Text file busy" <<< "$out"
	must "thaw client2" vm_thaw client2
	frozen=""
	on server "$LBVM fence-helper" > /dev/null
}
