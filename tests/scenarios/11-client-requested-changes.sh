# Layout changes asked for by NFS clients: client2 punches a hole
# (NFSv4.2 DEALLOCATE) and then truncates (SETATTR size) a file on which
# client1 holds a layout. nfsd's own call into XFS breaks the layouts: each
# change recalls from client1 only the range it changes, completes, and
# leaves client1's other data alone. Stock nfsd recalls the whole file.
DESC="DEALLOCATE and SETATTR from one client recall only their ranges from another"
OURS_ONLY=deallocate-recalls-its-range
TIMEOUT=900

MIB=1048576
F=/mnt/pnfs/c.dat

scenario() {
	local id1 before after d trace s1 t r
	server_up --fs dax --size 300m
	client_up client1 $SERVER_ADDR
	client_up client2 $SERVER_ADDR2

	on server 'xfs_io -f -c "truncate 16m" /srv/export/c.dat'
	hold_open client1 $F
	id1=$(client_id client1)
	must "client id known" test -n "$id1"
	s1=$(client_write_at client1 $F 0 8)
	must "client1 write" test -n "$s1"

	# DEALLOCATE [2M, 3M) from client2.
	before=$(on server "$LBVM nfsd-stats")
	on server "$LBVM trace-start"
	t=$(timed_ms client2 "xfs_io -c 'fpunch 2m 1m' $F")
	trace=$(on server "$LBVM trace-stop")
	after=$(on server "$LBVM nfsd-stats")
	d=$(nfsd_delta "$before" "$after")
	record DEALLOCATE "$(kv DEALLOCATE "$d")"
	record deallocate_ms "$t"
	check "deallocate-completed" test -n "$t"
	check "deallocate-reached-nfsd" gt "$(kv DEALLOCATE "$d")" 0
	r=$(recalls "$trace")
	check "deallocate-recalls-its-range" eq "$(awk '{ print $1, $2, $3 }' <<< "$r")" "$id1 $((2 * MIB)) $MIB"
	check "no-recall-failure" eq "$(trace_count nfsd_layout_recall_fail "$trace")" 0

	# SETATTR size 6M from client2.
	on server "$LBVM trace-start"
	t=$(timed_ms client2 "xfs_io -c 'truncate 6m' $F")
	trace=$(on server "$LBVM trace-stop")
	record setattr_ms "$t"
	check "setattr-completed" test -n "$t"
	r=$(recalls "$trace")
	check "setattr-recalls-from-new-size" eq "$(awk '{ print $1, $2, $3 }' <<< "$r")" "$id1 $((6 * MIB)) 18446744073709551615"
	check "no-recall-failure-setattr" eq "$(trace_count nfsd_layout_recall_fail "$trace")" 0

	check "size-is-6m" eq "$(on server 'stat -c %s /srv/export/c.dat')" $((6 * MIB))
	check "data-before-hole" eq "$(server_range_sum /srv/export/c.dat 0 2)" "$(client_sum client1 0 0 2)"
	check "data-after-hole" eq "$(server_range_sum /srv/export/c.dat 3 3)" "$(client_sum client1 0 3 3)"
	release_open client1
}
