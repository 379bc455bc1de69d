# A client cannot make the server track any number of layout segments. Each
# ranged recall that a client answers by returning that range out of the
# middle of one of its segments splits that segment in two; 80 recalls of
# 4 KiB ranges spread over client1's layout would leave 81 segments, every
# one of which each later break and LAYOUTGET walks under a spinlock. The
# server keeps at most 64 per client and file, recording more than the
# client holds beyond that (a segment kept whole, a new layout merged into
# one): the client's later write through a new layout lands, and a
# truncate over all of it recalls once and completes with no fence.
#
# Stock nfsd returns whole layouts only (no ranged recall to split them).
DESC="layout segments per client and file are bounded; what the server records beyond is a superset and recalls still end"
OURS_ONLY=ranged-recalls-done
TIMEOUT=1200

F=/srv/export/s.dat
N=80

# segments: how many segments nfsd records for client1's layout on s.dat.
segments() {
	on server "$LAYOUTCTL list $F --json" |
		jq '[.references[] | select(.kind == "pnfs-layout" and (.client.address | startswith("10.55.1.2:"))) | .segments | length] | add // 0'
}

scenario() {
	local out n s1 s0 t trace
	server_up --fs dax --size 300m
	client_up client1 $SERVER_ADDR
	on server "xfs_io -f -c 'truncate 8m' $F" > /dev/null
	hold_open client1 /mnt/pnfs/s.dat
	s0=$(client_write client1 /mnt/pnfs/s.dat 8)
	must "client1 write s.dat" test -n "$s0"
	note "segments after the write: $(segments)"

	# N recalls of 4 KiB, 64 KiB apart, each waited for.
	out=$(on server -t 1000 "fail=0
		for i in \$(seq $N); do
			timeout 60 $LAYOUTCTL recall $F --range \$((i * 65536)):4096 --timeout 30 > /dev/null 2>> /run/recalls.err ||
				fail=\$((fail + 1))
		done; echo fail=\$fail; tail -n 3 /run/recalls.err")
	note "$N ranged recalls: $(tr '\n' ' ' <<< "$out")"
	check "ranged-recalls-done" grep -q "^fail=0" <<< "$out"
	n=$(segments)
	record segments_after_recalls "$n"
	check "segments-bounded" lt "$n" 65

	# client1 writes MiB 1 again: LAYOUTGETs over the holes it returned.
	on server "$LBVM trace-start"
	s1=$(client_write_at client1 /mnt/pnfs/s.dat 1 1)
	must "client1 rewrite" test -n "$s1"
	record segments_after_rewrite "$(segments)"
	check "rewrite-landed" eq "$(server_range_sum $F 1 1)" "$s1"
	check "segments-still-bounded" lt "$(segments)" 65

	# A truncate over all of it: one recall, answered, no fence.
	t=$(timed_ms server "perl -e 'truncate(\$ARGV[0], 1048576) or die \"truncate: \$!\\n\"' $F")
	trace=$(on server "$LBVM trace-stop")
	record truncate_ms "$t"
	record truncate_recalls "$(trace_count nfsd_layout_recall "$trace")"
	check "truncate-completes" test -n "$t"
	check "no-recall-failure" eq "$(trace_count nfsd_layout_recall_fail "$trace")" 0
	check "size" eq "$(on server "stat -c %s $F")" 1048576
	check "data-intact" eq "$(server_range_sum $F 0 1)" "$(client_sum client1 0 0 1)"
	release_open client1
}
