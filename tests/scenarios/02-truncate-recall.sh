# (b) A server-side truncate of a file on which a client holds a layout:
# the layout is recalled (CB_LAYOUTRECALL answered by LAYOUTRETURN) before
# the blocks are freed, the client's next write gets a new layout, and canary
# files that the server writes onto the freed blocks keep only their bytes.
DESC="server truncate recalls the client's layout; canaries on freed blocks stay clean"
OURS_ONLY=
TIMEOUT=900

scenario() {
	local sum old before mid after d trace t canaries ov foreign sum2 ssum n
	server_up --fs dax --size 300m
	client_up client1 $SERVER_ADDR

	on client1 'touch /mnt/pnfs/b.dat'
	hold_open client1 /mnt/pnfs/b.dat
	sum=$(client_write client1 /mnt/pnfs/b.dat 8)
	must "client write" test -n "$sum"
	old=$(extents server /srv/export/b.dat)
	must "fiemap of b.dat" test -n "$old"
	before=$(on server "$LBVM nfsd-stats")

	on server "$LBVM trace-start"
	# xfs_io, not truncate(1): coreutils opens with O_NONBLOCK and gets
	# EAGAIN while nfsd recalls the client's delegation.
	t=$(timed_ms server 'xfs_io -c "truncate 0" /srv/export/b.dat')
	trace=$(on server "$LBVM trace-stop")
	mid=$(on server "$LBVM nfsd-stats")
	d=$(nfsd_delta "$before" "$mid")
	record truncate_ms "$t"
	record CB_LAYOUTRECALL "$(grep -c 'nfsd_layout_recall:' <<< "$trace")"
	record CB_LAYOUTRECALL_DONE "$(grep -c 'nfsd_cb_layout_done:' <<< "$trace")"
	record LAYOUTRETURN "$(kv LAYOUTRETURN "$d")"
	grep -E 'nfsd_(layout_recall|cb_layout_done|layout_recall_fail)' <<< "$trace" | head -n 5 |
		while read -r l; do note "trace: ${l#*: }"; done
	check "cb-layoutrecall-sent" gt "$(grep -c 'nfsd_layout_recall:' <<< "$trace")" 0
	# Answered: the callback completed, with LAYOUTRETURN to follow or
	# NFS4ERR_NOMATCHING_LAYOUT when the client had nothing left to return.
	grep -o 'nfsd_cb_layout_done:.*status=[-0-9]*' <<< "$trace" | sed 's/.*status=//' | sort | uniq -c |
		while read -r n st; do note "CB_LAYOUTRECALL answered: $(nfs4err "${st#-}") x$n"; done
	check "recall-answered" gt "$(grep -c 'nfsd_layout_recall_done:' <<< "$trace")" 0
	check "no-recall-failure" eq "$(grep -c 'nfsd_layout_recall_fail:' <<< "$trace")" 0
	check "truncate-completed" test -n "$t"

	# Fill the small filesystem so that canaries land on the freed blocks.
	canaries_over "$old" 12
	canaries=$CANARIES ov=$CANARY_OVERLAP
	record canary_files "$(wc -w <<< "$canaries")"
	record canary_bytes_on_freed_blocks "$ov"
	check "canary-on-freed-blocks" gt "$ov" 0

	sum2=$(client_write client1 /mnt/pnfs/b.dat 8)
	must "client rewrite" test -n "$sum2"
	after=$(on server "$LBVM nfsd-stats")
	d=$(nfsd_delta "$mid" "$after")
	record LAYOUTGET_after_truncate "$(kv LAYOUTGET "$d")"
	record LAYOUTCOMMIT_after_truncate "$(kv LAYOUTCOMMIT "$d")"
	check "new-layout-after-truncate" gt "$(kv LAYOUTGET "$d")" 0
	foreign=$(canaries_foreign_bytes server $canaries)
	record canary_foreign_bytes "$foreign"
	check "canaries-clean" eq "$foreign" 0
	ssum=$(server_sum /srv/export/b.dat)
	check "server-reads-client-rewrite" eq "$ssum" "$sum2"

	# Online repair of the file's block map breaks its layouts too (the
	# scrub call site), whether or not the map needs repairing.
	on server "$LBVM trace-start"
	note "repair bmapbtd: $(on server "xfs_io -x -c 'repair bmapbtd' /srv/export/b.dat 2>&1; echo exit \$?" | tr '\n' ' ')"
	trace=$(on server "$LBVM trace-stop")
	n=$(trace_count nfsd_layout_recall "$trace")
	record CB_LAYOUTRECALL_repair "$n"
	check "repair-recalls-layout" gt "$n" 0
	check "data-intact-after-repair" eq "$(server_sum /srv/export/b.dat)" "$sum2"
	release_open client1
}
