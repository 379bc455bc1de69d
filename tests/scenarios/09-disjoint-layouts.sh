# Two clients write disjoint ranges of one file through their layouts at the
# same time; neither recalls the other. A hole punched on the server in the
# middle of client1's range recalls that range from client1 only (the
# CB_LAYOUTRECALL offset and length come from nfsd's tracepoints), client1
# keeps the rest of its layout, client2 keeps all of its own, and both
# clients' data stay intact. Then layoutctl list shows both clients'
# segments, and layoutctl recall of one range recalls it from the client
# that holds it and nobody else. Stock nfsd recalls client1's layout as soon
# as client2 asks for one.
DESC="layouts of two clients on disjoint ranges coexist; a punch recalls only its range"
OURS_ONLY=disjoint-layouts-coexist
TIMEOUT=900

MIB=1048576
F=/mnt/pnfs/d.dat

scenario() {
	local id1 id2 d1 d2 trace s1 s2 s1b t r n out w
	server_up --fs dax --size 300m
	client_up client1 $SERVER_ADDR
	client_up client2 $SERVER_ADDR2

	on server 'xfs_io -f -c "truncate 32m" /srv/export/d.dat'
	hold_open client1 $F
	hold_open client2 $F
	id1=$(client_id client1)
	id2=$(client_id client2)
	must "client ids known" test -n "$id1" -a -n "$id2"
	note "client1 is $id1, client2 is $id2"

	# client1 writes [0, 8M), then client2 [16M, 24M).
	on server "$LBVM trace-start"
	s1=$(client_write_at client1 $F 0 8)
	s2=$(client_write_at client2 $F 16 8)
	must "client writes" test -n "$s1" -a -n "$s2"
	trace=$(on server "$LBVM trace-stop")
	trace_ranges nfsd_layout_get_range "$trace" | while read -r c o l; do
		note "LAYOUTGET granted: client $c offset $o length $l"
	done
	record layoutgets_client1 "$(trace_ranges nfsd_layout_get_range "$trace" | grep -c "^$id1 ")"
	record layoutgets_client2 "$(trace_ranges nfsd_layout_get_range "$trace" | grep -c "^$id2 ")"
	record recalls_during_writes "$(trace_count nfsd_layout_recall "$trace")"
	check "disjoint-layouts-coexist" eq "$(trace_count nfsd_layout_recall "$trace")" 0

	# Punch [2M, 3M), in the middle of client1's range.
	on server "$LBVM trace-start"
	t=$(timed_ms server 'xfs_io -c "fpunch 2m 1m" /srv/export/d.dat')
	record punch_ms "$t"
	trace=$(on server "$LBVM trace-stop")
	r=$(recalls "$trace")
	n=$(grep -c . <<< "$r")
	record recalls_for_punch "$n"
	check "punch-recalls-once" eq "$n" 1
	check "punch-recalls-client1" eq "$(grep -c "^$id1 " <<< "$r")" 1
	check "recall-range-is-punched-range" eq "$(awk '{ print $2, $3 }' <<< "$r")" "$((2 * MIB)) $MIB"
	check "no-recall-failure" eq "$(trace_count nfsd_layout_recall_fail "$trace")" 0
	check "punch-completed" test -n "$t"

	# client2 rewrites its range without a new layout; client1 writes
	# [5M, 6M), outside the punched range, with what it kept.
	on server "$LBVM trace-start"
	s2=$(client_write_at client2 $F 16 8)
	must "client2 rewrite" test -n "$s2"
	s1b=$(client_write_at client1 $F 5 1)
	must "client1 write outside the hole" test -n "$s1b"
	trace=$(on server "$LBVM trace-stop")
	record layoutgets_client2_after "$(trace_ranges nfsd_layout_get_range "$trace" | grep -c "^$id2 ")"
	record layoutgets_client1_after "$(trace_ranges nfsd_layout_get_range "$trace" | grep -c "^$id1 ")"
	check "other-client-keeps-layout" eq "$(trace_ranges nfsd_layout_get_range "$trace" | grep -c "^$id2 ")" 0
	check "client1-keeps-rest" eq "$(trace_ranges nfsd_layout_get_range "$trace" | grep -c "^$id1 ")" 0
	check "no-recalls-after-punch" eq "$(trace_count nfsd_layout_recall "$trace")" 0

	# Data: client2's range is what it wrote; client1's is what it wrote
	# around the hole and at [5M, 6M); the hole reads zeros.
	check "client2-data-intact" eq "$(server_range_sum /srv/export/d.dat 16 8)" "$s2"
	check "client1-data-before-hole" eq "$(server_range_sum /srv/export/d.dat 0 2)" "$(client_sum client1 0 0 2)"
	check "hole-reads-zeros" eq "$(server_range_sum /srv/export/d.dat 2 1)" \
		"$(on server 'head -c 1048576 /dev/zero | sha256sum | cut -d" " -f1')"
	check "client1-data-after-hole" eq "$(server_range_sum /srv/export/d.dat 3 2)" "$(client_sum client1 0 3 2)"
	check "client1-new-write" eq "$(server_range_sum /srv/export/d.dat 5 1)" "$s1b"

	# The administrator's view and ranged recall: layoutctl list shows both
	# clients' segments; layoutctl recall of [16M, 17M) from every client
	# recalls that range from client2 alone and waits for it.
	out=$(on server "$LAYOUTCTL list /srv/export/d.dat")
	while read -r l; do note "list: $l"; done <<< "$out"
	check "list-shows-both-clients" eq "$(grep -c '^pnfs-layout' <<< "$out")" 2
	# layoutctl watch follows the recall as it happens.
	must "layoutctl watch" on server "
		$LAYOUTCTL watch /srv/export/d.dat --count 2 --timeout 90 > /run/watch.out 2>&1 &
		echo \$! > /run/watch.pid
		$LBVM wait-for 30 grep -q watching /run/watch.out"
	on server "$LBVM trace-start"
	out=$(on server -t 120 "$LAYOUTCTL recall /srv/export/d.dat --range 16m:1m --timeout 60 2>&1; echo rc=\$?")
	trace=$(on server "$LBVM trace-stop")
	w=$(on server -t 120 "$LBVM wait-for 90 sh -c '! kill -0 \$(cat /run/watch.pid) 2>/dev/null'; cat /run/watch.out")
	while read -r l; do note "watch: $(sed -E 's/^ +//' <<< "$l")"; done <<< "$w"
	note "layoutctl recall: $(tr '\n' ' ' <<< "$out")"
	r=$(recalls "$trace")
	check "layoutctl-recall-completes" grep -q "rc=0" <<< "$out"
	check "layoutctl-recall-only-client2" eq "$(grep -c . <<< "$r")/$(grep -c "^$id2 " <<< "$r")" "1/1"
	check "layoutctl-recall-range" eq "$(awk '{ print $2, $3 }' <<< "$r")" "$((16 * MIB)) $MIB"
	check "watch-shows-the-recall" grep -q "nfsd_layout_recall.*offset 16777216 length 1048576" <<< "$w"
	# --client names a client as its directory under /proc/fs/nfsd/clients/:
	# client1's [0, 1M) recalled from client2 is nothing, from client1 it
	# is that range of client1's alone.
	d1=$(client_dir client1) d2=$(client_dir client2)
	must "client directories known" test -n "$d1" -a -n "$d2"
	on server "$LBVM trace-start"
	out=$(on server -t 120 "$LAYOUTCTL recall /srv/export/d.dat --range 0:1m --client $d2 --timeout 30 2>&1; echo rc=\$?")
	note "recall of [0, 1M) from client2 (clients/$d2): $(tr '\n' ' ' <<< "$out")"
	check "recall-client-elsewhere-nothing" grep -q "recall: 0 layouts recalled" <<< "$out"
	out=$(on server -t 120 "$LAYOUTCTL recall /srv/export/d.dat --range 0:1m --client $d1 --timeout 60 2>&1; echo rc=\$?")
	note "recall of [0, 1M) from client1 (clients/$d1): $(tr '\n' ' ' <<< "$out")"
	r=$(recalls "$(on server "$LBVM trace-stop")")
	check "recall-client-recalls-it" grep -q "recall: 1 layout recalled" <<< "$out"
	check "recall-client-only-that-client" eq "$(grep -c . <<< "$r")/$(grep -c "^$id1 0 $MIB" <<< "$r")" "1/1"
	out=$(on server "$LAYOUTCTL list /srv/export/d.dat --json")
	note "client2 now holds: $(jq -r '.references[] | select(.kind == "pnfs-layout" and (.client.address | startswith("10.55.2.2"))) | .ranges_text' <<< "$out")"
	# Segments of client2 that overlap [16M, 17M), and that overlap [17M, 24M).
	segs() {
		jq --argjson lo "$1" --argjson hi "$2" '[.references[] | select(.kind == "pnfs-layout" and (.client.address | startswith("10.55.2.2"))) | .segments[] | select(.offset < $hi and (.length == null or .offset + .length > $lo))] | length' <<< "$out"
	}
	check "recalled-range-gone" eq "$(segs $((16 * MIB)) $((17 * MIB)))" 0
	check "client2-keeps-rest" gt "$(segs $((17 * MIB)) $((24 * MIB)))" 0
	release_open client1
	release_open client2

	# Once nfsd has stopped, the NFSv4 file table is gone: a recall is
	# refused with a clear message (it once walked the freed table).
	must "client1 down" on client1 -t 120 "$LBVM client-down"
	must "client2 down" on client2 -t 120 "$LBVM client-down"
	must "server down" on server -t 120 "$LBVM server-down"
	out=$(on server "$LAYOUTCTL recall /etc/hostname --timeout 5 2>&1; echo rc=\$?")
	note "recall after nfsd stopped: $(tr '\n' ' ' <<< "$out")"
	check "recall-after-nfsd-stop-refused" grep -q "nfsd is not running" <<< "$out"
	check "recall-after-nfsd-stop-exit-1" grep -qx "rc=1" <<< "$out"
}
