# A client that stops answering while it holds a layout is fenced by
# layoutctl, running as nfsd's /sbin/nfsd-recall-failed. client1 writes
# f.dat through its layout and is frozen (qemu "stop"); a server truncate
# waits for the recall, nfsd runs the helper, the helper cuts client1's
# NVMe-oF subsystem off, and only then does the truncate complete. client2's
# data stay intact. Resumed, client1 cannot reconnect to the target, its
# block writes aimed at the freed blocks fail, and canary files the server
# wrote there keep only their pattern. The fence cut client1 off the whole
# device: its layout on a second file, h.dat, is forgotten with it, and a
# truncate of h.dat recalls nothing and does not fence client1 again.
#
# Stock nfsd never fences here: by the time the recall is sent client1's
# lease has run out, it is a courtesy client, nfsd gives the callback up
# and forgets the layout, and the truncate frees blocks client1 may still
# write to.
DESC="a frozen client holding a layout is fenced by layoutctl before the truncate completes"
OURS_ONLY=frozen-client-fenced
TIMEOUT=1200

SUB=nqn.2026-01.io.layoutbreak:pmem0

scenario() {
	local sum2 old t canaries ov foreign out d list trace
	trap thaw_all EXIT
	server_up --fs dax --size 300m
	must "fence helper" on server "$LBVM fence-helper"
	client_up client1 $SERVER_ADDR
	client_up client2 $SERVER_ADDR2

	on server 'xfs_io -f -c "truncate 8m" /srv/export/f.dat; xfs_io -f -c "truncate 8m" /srv/export/two.dat; xfs_io -f -c "truncate 4m" /srv/export/h.dat'
	hold_open client1 /mnt/pnfs/h.dat
	must "client1 write h.dat" test -n "$(client_write client1 /mnt/pnfs/h.dat 2)"
	hold_open client1 /mnt/pnfs/f.dat
	sum2=$(client_write client2 /mnt/pnfs/two.dat 4)
	must "client2 write" test -n "$sum2"
	must "client1 write" test -n "$(client_write client1 /mnt/pnfs/f.dat 8)"
	old=$(extents server /srv/export/f.dat)
	must "fiemap of f.dat" test -n "$old"

	list=$(on server "$LAYOUTCTL list /srv/export/f.dat")
	while read -r l; do note "list: $l"; done <<< "$list"
	check "list-shows-client1-layout" grep -q "^pnfs-layout .*10.55.1.2" <<< "$list"
	must "client1 holds a layout on h.dat" on server "$LAYOUTCTL list /srv/export/h.dat | grep -q '^pnfs-layout .*10.55.1.2'"

	# client1 hangs holding its layout. Marks in the server's kernel log
	# give the timeline.
	must "freeze client1" vm_freeze client1
	frozen="client1"
	on server "echo 'lb: client1 frozen' > /dev/kmsg"
	on server "$LBVM trace-start"
	on server "echo 'lb: truncate starts' > /dev/kmsg"
	t=$(timed_ms server 'xfs_io -c "truncate 0" /srv/export/f.dat')
	on server "echo 'lb: truncate returned' > /dev/kmsg"
	trace=$(on server "$LBVM trace-stop")
	d=$(on server "dmesg | sed -n '/lb: client1 frozen/,/lb: truncate returned/p' | grep -E 'lb: |nfsd|nvmet'")
	while read -r l; do [ -n "$l" ] && note "timeline: $l"; done <<< "$d"
	record truncate_with_frozen_client_ms "$t"
	record recall_failures "$(trace_count nfsd_layout_recall_fail "$trace")"
	# The truncate waited for the recall as long as it took: woken when
	# it was over, and about once a second before, not polled.
	record breaker_wakeups "$(trace_count break_lease_unblock "$trace")"
	check "breaker-not-polling" lt "$(trace_count break_lease_unblock "$trace")" $(( ${t:-0} / 500 + 10 ))
	out=$(on server "$LAYOUTCTL fenced --json")
	note "fenced: $(jq -c '[.fences[] | {client, sb_id, complete}]' <<< "$out" 2>/dev/null)"
	check "frozen-client-fenced" eq "$(jq -r '.fences[] | select(.client == "client1") | .complete' <<< "$out")" true
	check "truncate-completed" test -n "$t"
	# The fence was for the device: client1's layout on h.dat went with it.
	check "fenced-client-forgotten-on-device" on server "! $LAYOUTCTL list /srv/export/h.dat | grep -q '^pnfs-layout .*10.55.1.2'"
	on server "$LBVM trace-start"
	t=$(timed_ms server 'xfs_io -c "truncate 0" /srv/export/h.dat')
	trace=$(on server "$LBVM trace-stop")
	record truncate_second_file_ms "$t"
	record second_file_recalls "$(trace_count nfsd_layout_recall "$trace")"
	check "second-file-no-second-recall" eq "$(trace_count nfsd_layout_recall "$trace")" 0
	check "subsystem-off-the-port" on server "! test -e /sys/kernel/config/nvmet/ports/1/subsystems/$SUB-client1"
	check "client2-data-intact" eq "$(server_range_sum /srv/export/two.dat 0 4)" "$sum2"
	# The freed blocks now hold canaries.
	canaries_over "$old" 40
	canaries=$CANARIES ov=$CANARY_OVERLAP
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
	on server "rm -f $canaries; $LAYOUTCTL unfence client1 pmem0" > /dev/null
	on client1 "$LBVM client-down" > /dev/null

}
