# Two clients on overlapping ranges of one file. Reading the same range
# through their read layouts, neither recalls the other: both hold read
# layouts at once. A write over that range (a read/write layout) recalls the
# other client's read layout, and a read over a range that the other client
# holds a read/write layout on recalls that; the client that asked is told
# NFS4ERR_LAYOUTTRYLATER meanwhile (a conflict with other clients, RFC 8881
# section 18.43.3), never NFS4ERR_RECALLCONFLICT (which the Linux client
# takes for a recall sent to itself and retries without end). Every read
# returns what the server holds, the write lands.
#
# Stock nfsd lets one client hold layouts on a file at a time: the second
# reader's LAYOUTGET recalls the first reader's layout.
DESC="overlapping read layouts of two clients coexist; a read/write layout recalls them and the asker is told to try later"
OURS_ONLY=read-layouts-shared
TIMEOUT=900

F=/mnt/pnfs/o.dat
SF=/srv/export/o.dat

# read_sum VM OFF_MIB MIB: checksum of an O_DIRECT read through VM's mount.
read_sum() {
	on "$1" -t 200 "timeout 150 dd if=$F bs=1M skip=$2 count=$3 iflag=direct status=none 2> /tmp/read.err | sha256sum | cut -d' ' -f1
		[ -s /tmp/read.err ] && sed 's/^/read: /' /tmp/read.err >&2; true"
}

# statuses TRACE STATUS: how many LAYOUTGETs nfsd answered with STATUS.
statuses() { grep ' nfsd_compound_status: ' <<< "$1" | grep -cE " OP_LAYOUTGET status=-?$2\$"; }

# layouts_of IOMODE: pNFS layout references on o.dat of that iomode, by client
# address, as layoutctl lists them.
layouts_of() {
	on server "$LAYOUTCTL list $SF --json" |
		jq -r --arg m "$1" '[.references[] | select(.kind == "pnfs-layout") |
			select((.ranges_text // "") | test("(^| )" + $m + " ")) |
			.client.address | split(":")[0]] | unique | join(" ")'
}

scenario() {
	local id1 id2 trace sum s1 s2 r n w
	server_up --fs dax --size 300m
	client_up client1 $SERVER_ADDR
	client_up client2 $SERVER_ADDR2
	must "o.dat" on server "xfs_io -f -c 'pwrite -q -S 0x6f 0 8m' -c fsync $SF"
	sum=$(server_range_sum $SF 0 8)
	hold_open client1 $F "3<"
	hold_open client2 $F "3<"
	id1=$(client_id client1)
	id2=$(client_id client2)
	must "client ids known" test -n "$id1" -a -n "$id2"
	note "client1 is $id1, client2 is $id2"

	# READ/READ: both read all of o.dat through their layouts.
	on server "$LBVM trace-start"
	s1=$(read_sum client1 0 8)
	s2=$(read_sum client2 0 8)
	trace=$(on server "$LBVM trace-stop")
	record read_layoutgets_client1 "$(trace_ranges nfsd_layout_get_range "$trace" | grep -c "^$id1 ")"
	record read_layoutgets_client2 "$(trace_ranges nfsd_layout_get_range "$trace" | grep -c "^$id2 ")"
	record read_read_recalls "$(trace_count nfsd_layout_recall "$trace")"
	check "reads-correct" eq "$s1 $s2" "$sum $sum"
	check "client2-read-through-layout" gt "$(trace_ranges nfsd_layout_get_range "$trace" | grep -c "^$id2 ")" 0
	check "read-layouts-shared" eq "$(trace_count nfsd_layout_recall "$trace")" 0
	r=$(layouts_of read)
	note "read layouts held by: $r"
	check "both-hold-read-layouts" eq "$(wc -w <<< "$r")" 2

	# READ/RW: client2 writes MiB 2; client1's read layout there is
	# recalled, client2 told to try later meanwhile.
	on client1 "T=/sys/kernel/tracing; echo > \$T/trace; for e in pnfs_update_layout nfs4_layoutget nfs4_layoutreturn nfs4_cb_layoutrecall_file; do
		[ -e \$T/events/nfs4/\$e/enable ] && echo 1 > \$T/events/nfs4/\$e/enable; done; echo 1 > \$T/tracing_on" > /dev/null
	on server "$LBVM trace-start"
	w=$(client_write_at client2 $F 2 1)
	trace=$(on server "$LBVM trace-stop")
	echo "$trace" > "$LB_SCEN_DIR/trace-rw-over-read"
	r=$(recalls "$trace")
	n=$(grep -c "^$id1 " <<< "$r")
	record rw_over_read_recalls_client1 "$n"
	record rw_over_read_trylater "$(statuses "$trace" 10058)"
	record rw_over_read_recallconflict "$(statuses "$trace" 10061)"
	check "client2-write-done" test -n "$w"
	check "write-recalls-read-layout" ge "$n" 1
	check "no-recall-of-writer" eq "$(grep -c "^$id2 " <<< "$r")" 0
	check "asker-told-trylater" gt "$(statuses "$trace" 10058)" 0
	check "no-recallconflict-for-others" eq "$(statuses "$trace" 10061)" 0
	check "no-recall-failure" eq "$(trace_count nfsd_layout_recall_fail "$trace")" 0
	check "write-landed" eq "$(server_range_sum $SF 2 1)" "$w"

	# RW/READ: client1 reads MiB 2 while client2 holds a read/write
	# layout there: client2's is recalled, client1 reads client2's data.
	on server "$LBVM trace-start"
	s1=$(read_sum client1 2 1)
	# The Linux client (6.12) can fail an O_DIRECT read with EAGAIN
	# when it forgets a LAYOUTGET reply (pnfs_layout_process(), "forget
	# reply") right after returning part of its layout; the data is not
	# at stake, the read is tried again once, and it is said.
	if [ "$s1" != "$w" ]; then
		note "client1's nfs4 trace: $(on client1 "grep -v '^#' /sys/kernel/tracing/trace | tail -n 30 | cut -c1-300 | tr '\n' '|'")"
		echo "$(on server "$LBVM trace-stop")" > "$LB_SCEN_DIR/trace-first-read"
		on server "$LBVM trace-start"
		record client1_read_retried 1
		s1=$(read_sum client1 2 1)
	fi
	trace=$(on server "$LBVM trace-stop")
	note "client1 read $s1, client2 wrote $w, the server has $(server_range_sum $SF 2 1)"
	note "client1's LAYOUTGETs: $(trace_ranges nfsd_layout_get_range "$trace" | tr '\n' ' ')"
	note "LAYOUTGET answers: $(grep ' OP_LAYOUTGET ' <<< "$trace" | grep -oE 'status=-?[0-9]+' | sort | uniq -c | tr '\n' ' ')"
	note "client1 holds: $(on server "$LAYOUTCTL list $SF --json" | jq -c '[.references[] | select(.kind == "pnfs-layout") | {c: .client.address, r: .ranges_text}]')"
	r=$(recalls "$trace")
	n=$(grep -c "^$id2 " <<< "$r")
	record read_over_rw_recalls_client2 "$n"
	record read_over_rw_trylater "$(statuses "$trace" 10058)"
	check "read-sees-write" eq "$s1" "$w"
	check "no-recallconflict-for-reader" eq "$(statuses "$trace" 10061)" 0
	check "no-recall-failure-2" eq "$(trace_count nfsd_layout_recall_fail "$trace")" 0
	release_open client1
	release_open client2
}
