# (b) A server-side truncate of a file on which a client holds a layout:
# the layout is recalled (CB_LAYOUTRECALL answered by LAYOUTRETURN) before
# the blocks are freed, the client's next write gets a new layout, and canary
# files that the server writes onto the freed blocks keep only their bytes.
# Online repair of the block map recalls it too, and so does xfs_fsr's
# extent swap (XFS_IOC_SWAPEXT), after which the client's next write lands
# in the file, not in the donor that now holds its old blocks.
DESC="server truncate recalls the client's layout; canaries on freed blocks stay clean"
OURS_ONLY=swapext-recalls-layout
TIMEOUT=900

scenario() {
	local sum old before mid after d trace t canaries ov foreign sum2 sum3 ssum n out
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

	# xfs_fsr's extent swap (XFS_IOC_SWAPEXT) moves every block of a file
	# to a donor and the donor's to it. s.dat is fragmented (1 MiB pieces
	# between those of a spacer file), the donor one contiguous extent, as
	# xfs_fsr would make it. The swap recalls client1's layout of s.dat;
	# client1's next write then lands in s.dat's new blocks, not in the
	# donor, which now holds s.dat's old ones and its content.
	must "room for the donor" on server "rm -f $(tr '\n' ' ' <<< "$canaries")"
	must "fragmented s.dat" on server "for i in 0 1 2 3 4 5 6 7; do
			xfs_io -f -c \"pwrite -q \$((i << 20)) 1m\" -c fsync /srv/export/s.dat &&
			xfs_io -f -c \"pwrite -q \$((i << 20)) 1m\" -c fsync /srv/export/s.spacer || exit 1
		done"
	release_open client1
	hold_open client1 /mnt/pnfs/s.dat
	sum=$(client_write client1 /mnt/pnfs/s.dat 8)
	must "client1 writes s.dat" test -n "$sum"
	must "donor" on server "rm -f /srv/export/s.spacer; xfs_io -f -c 'pwrite -q -S 0x5a 0 8m' -c fsync /srv/export/s.donor"
	note "extents of s.dat: $(extents server /srv/export/s.dat | wc -l), of the donor: $(extents server /srv/export/s.donor | wc -l)"
	on server "$LBVM trace-start"
	out=$(on server "xfs_io -c 'swapext /srv/export/s.donor' /srv/export/s.dat 2>&1")
	trace=$(on server "$LBVM trace-stop")
	note "swapext: ${out:-done}"
	must "swapext done" test -z "$out"
	n=$(trace_count nfsd_layout_recall "$trace")
	record CB_LAYOUTRECALL_swapext "$n"
	check "swapext-recalls-layout" gt "$n" 0
	check "swapext-moved-data" eq "$(server_sum /srv/export/s.donor)" "$sum"
	sum3=$(client_write client1 /mnt/pnfs/s.dat 8)
	must "client write after swapext" test -n "$sum3"
	check "swapext-donor-untouched" eq "$(server_sum /srv/export/s.donor)" "$sum"
	check "swapext-client-write-in-file" eq "$(server_sum /srv/export/s.dat)" "$sum3"
	release_open client1
}
