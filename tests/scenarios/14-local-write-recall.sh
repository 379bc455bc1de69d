# A local write on the server into a range a pNFS client holds a layout on
# recalls that range only, through the write path's weaker break. With
# RWF_NOWAIT the write fails with EAGAIN instead of waiting, having started
# the recall of its range. Stock XFS recalls the whole file on any write.
DESC="local writes recall only the range they write; RWF_NOWAIT gets EAGAIN"
OURS_ONLY=write-recalls-its-range
TIMEOUT=900

MIB=1048576
F=/mnt/pnfs/w.dat

scenario() {
	local id1 trace s1 out r
	layout_on_file w.dat 16m
	id1=$ID1

	# A blocking write of 64 KiB at 4M.
	on server "$LBVM trace-start"
	out=$(on server -t 120 'timeout 60 xfs_io -c "pwrite -b 64k -q -S 0x78 4m 64k" /srv/export/w.dat && echo written')
	trace=$(on server "$LBVM trace-stop")
	check "write-completed" eq "$out" written
	r=$(recalls "$trace")
	check "write-recalls-its-range" eq "$(awk '{ print $1, $2, $3 }' <<< "$r")" "$id1 $((4 * MIB)) 65536"

	# RWF_NOWAIT at 2M: EAGAIN, and the recall of its range has started.
	on server "$LBVM trace-start"
	out=$(on server -t 120 "$HELPERS/pwnowait /srv/export/w.dat 2097152 65536 2>&1; echo rc=\$?")
	# The recall it started completes without anyone waiting for it.
	on server -t 60 "$LBVM wait-for 50 sh -c 'grep -q \" nfsd_layout_recall_release: \" /sys/kernel/tracing/trace'" > /dev/null
	trace=$(on server "$LBVM trace-stop")
	echo "$trace" > "$LB_SCEN_DIR/trace-nowait"
	note "RWF_NOWAIT write: $(tr '\n' ' ' <<< "$out")"
	check "nowait-write-eagain" eq "$(tr '\n' ' ' <<< "$out")" "EAGAIN rc=3 "
	r=$(recalls "$trace")
	check "nowait-write-recalls-its-range" eq "$(awk '{ print $1, $2, $3 }' <<< "$r")" "$id1 $((2 * MIB)) 65536"
	check "no-recall-failure" eq "$(trace_count nfsd_layout_recall_fail "$trace")" 0

	# The client keeps the rest: rewriting [6M, 7M) needs no LAYOUTGET.
	on server "$LBVM trace-start"
	s1=$(client_write_at client1 $F 6 1)
	must "client rewrite" test -n "$s1"
	trace=$(on server "$LBVM trace-stop")
	check "client-keeps-rest" eq "$(trace_count nfsd_layout_get_range "$trace")" 0
	check "server-write-landed" eq "$(on server 'od -An -tx1 -j 4194304 -N 4 /srv/export/w.dat' | tr -d ' ')" 78787878
	check "client-data-around" eq "$(server_range_sum /srv/export/w.dat 0 2)" "$(client_sum client1 0 0 2)"
	release_open client1
}
