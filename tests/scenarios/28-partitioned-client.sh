# A client cut off the network while it holds a layout (qemu set_link off
# on its only link, for 25 s: longer than its 10 s lease) must not lose its
# layout without being fenced. Today it does when it also holds a
# delegation on the file (2 of 3 runs here): the server's truncate first
# recalls the client's delegation (CB_RECALL, unanswered); once the lease
# has run out nfsd expires the courtesy client on that conflict, and its
# layout state goes with it (nfsd_layoutstate_free) with no CB_LAYOUTRECALL,
# no fence and no failed recall; the truncate then completes (9.2-9.6 s)
# and frees the blocks. Where the storage path is not the NFS path (a
# separate SAN), the partitioned client can still write through the layout
# it holds into blocks that now belong to other files. The expiry path is
# stock 6.12's (not run on stock). Without a delegation nfsd recalls the layout, the recall fails,
# and the client is fenced before the truncate goes on, as it should (the
# third run: CB_LAYOUTRECALL 1, one recall failure, fenced, 11.4 s). Skipped
# until nfsd fences (or refuses to expire) a courtesy client
# that holds layouts; run it with LB_RUN_SKIPPED=1.
DESC="a partitioned client's layout is not dropped unfenced when its lease runs out"
SKIP="known hole: courtesy client expiry drops layouts without a fence"
OURS_ONLY=
TIMEOUT=900
LINK_S=25

scenario() {
	local trace out
	server_up --fs dax --size 300m
	must "fence helper" on server "$LBVM fence-helper"
	client_up client1 $SERVER_ADDR
	on server 'xfs_io -f -c "truncate 8m" /srv/export/f.dat'
	hold_open client1 /mnt/pnfs/f.dat
	must "client1 write" test -n "$(client_write client1 /mnt/pnfs/f.dat 8)"
	must "client1 holds a layout" on server "$LAYOUTCTL list /srv/export/f.dat | grep -q '^pnfs-layout .*10.55.1.2'"
	on server "$LBVM trace-start"
	must "link down" vm_monitor client1 "set_link l1 off"
	on server "(s=\$(date +%s%N); timeout 120 xfs_io -c 'truncate 0' /srv/export/f.dat > /run/t.out 2>&1; echo rc=\$? ms=\$(( (\$(date +%s%N) - s) / 1000000 )) >> /run/t.out) > /dev/null 2>&1 &"
	# The partition lasts a fixed time: that is what is tested.
	sleep $LINK_S
	must "link up" vm_monitor client1 "set_link l1 on"
	must "truncate returned" on server "$LBVM wait-for 150 grep -q rc= /run/t.out"
	note "truncate: $(on server 'cat /run/t.out' | tr '\n' ' ')"
	trace=$(on server "$LBVM trace-stop")
	record CB_RECALL "$(trace_count nfsd_cb_recall "$trace")"
	record CB_LAYOUTRECALL "$(trace_count nfsd_layout_recall "$trace")"
	record layout_recall_failures "$(trace_count nfsd_layout_recall_fail "$trace")"
	record layoutstates_freed "$(trace_count nfsd_layoutstate_free "$trace")"
	note "path: $( [ "$(trace_count nfsd_cb_recall "$trace")" -gt 0 ] && echo 'delegation recalled first' || echo 'layout recalled')"
	out=$(on server "$LAYOUTCTL fenced --json")
	# Either the client was fenced before its layout went, or the layout
	# (and the truncate's refusal) stayed.
	if grep -q '^rc=0' <<< "$(on server 'cat /run/t.out')"; then
		check "layout-dropped-only-after-fence" eq "$(jq -r '[.[] | select(.client == "client1" and .complete == true)] | length' <<< "$out")" 1
	else
		check "layout-kept-while-unfenced" on server "$LAYOUTCTL list /srv/export/f.dat | grep -q '^pnfs-layout .*10.55.1.2'"
	fi
	release_open client1
}
