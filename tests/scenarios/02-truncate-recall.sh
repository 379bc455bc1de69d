# (b) A server-side truncate of a file on which a client holds a layout:
# the layout is recalled (CB_LAYOUTRECALL answered by LAYOUTRETURN) before
# the blocks are freed, the client's next write gets a new layout, and canary
# files that the server writes onto the freed blocks keep only their bytes.
DESC="server truncate recalls the client's layout; canaries on freed blocks stay clean"
OURS_ONLY=
TIMEOUT=900

scenario() {
	local sum old before mid after d trace t canaries ov foreign sum2 ssum
	server_up --fs dax --size 300m
	client_up client1 $SERVER_ADDR

	sum=$(client_write client1 /mnt/pnfs/b.dat 8)
	must "client write" test -n "$sum"
	old=$(extents server /srv/export/b.dat)
	must "fiemap of b.dat" test -n "$old"
	before=$(on server "$LBVM nfsd-stats")

	on server "$LBVM trace-start"
	t=$(on server -t 300 'a=$(date +%s%N); truncate -s 0 /srv/export/b.dat; b=$(date +%s%N); echo $(( (b - a) / 1000000 ))')
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
	check "recall-answered" gt "$(kv LAYOUTRETURN "$d")" 0
	check "no-recall-failure" eq "$(grep -c 'nfsd_layout_recall_fail:' <<< "$trace")" 0

	# Freed blocks go back to the allocator once the log is forced; fill the
	# small filesystem so that the canaries land on them.
	on server sync
	canaries=$(fill_canaries server /srv/export 12)
	ov=0
	for c in $canaries; do
		ov=$(( ov + $(overlap "$old" "$(extents server "$c")") ))
	done
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
}
