# A truncate that frees only blocks beyond every layout a client holds
# recalls nothing; a truncate into the layout recalls the range from the new
# size on, and the client keeps what lies below it. Stock nfsd recalls the
# whole file on any truncate.
DESC="truncate beyond every layout recalls nothing; into a layout, only its tail"
OURS_ONLY=truncate-beyond-recalls-nothing
TIMEOUT=900

MIB=1048576
F=/mnt/pnfs/t.dat

scenario() {
	local id1 trace s1 t r n
	layout_on_file t.dat 32m
	id1=$ID1

	# 32M -> 16M frees nothing the client has a layout for.
	on server "$LBVM trace-start"
	t=$(timed_ms server 'xfs_io -c "truncate 16m" /srv/export/t.dat')
	check "truncate-completed" test -n "$t"
	record truncate_beyond_ms "$t"
	trace=$(on server "$LBVM trace-stop")
	record recalls_beyond "$(trace_count nfsd_layout_recall "$trace")"
	check "truncate-beyond-recalls-nothing" eq "$(trace_count nfsd_layout_recall "$trace")" 0

	# 16M -> 6M: the client's [6M, 8M) is recalled, from 6M to the end.
	on server "$LBVM trace-start"
	t=$(timed_ms server 'xfs_io -c "truncate 6m" /srv/export/t.dat')
	check "truncate-into-layout-completed" test -n "$t"
	record truncate_into_ms "$t"
	trace=$(on server "$LBVM trace-stop")
	r=$(recalls "$trace")
	n=$(grep -c . <<< "$r")
	check "truncate-recalls-once" eq "$n" 1
	check "recall-from-new-size" eq "$(awk '{ print $1, $2, $3 }' <<< "$r")" "$id1 $((6 * MIB)) 18446744073709551615"
	check "no-recall-failure" eq "$(trace_count nfsd_layout_recall_fail "$trace")" 0

	# The client rewrites [1M, 2M) with the layout it kept.
	on server "$LBVM trace-start"
	s1=$(client_write_at client1 $F 1 1)
	must "client rewrite" test -n "$s1"
	trace=$(on server "$LBVM trace-stop")
	record layoutgets_after "$(trace_count nfsd_layout_get_range "$trace")"
	check "client-keeps-layout-below-size" eq "$(trace_count nfsd_layout_get_range "$trace")" 0
	check "rewrite-on-server" eq "$(server_range_sum /srv/export/t.dat 1 1)" "$s1"
	release_open client1
}
