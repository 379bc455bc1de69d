# A layout recall that overtakes the reply to a client's first LAYOUTGET of
# a file (issue 19, item 8). client1 writes [2M, 3M) of f.dat, a file it
# has never had a layout of; the server's replies to client1 are held back
# 3 s (netem delay on the server's link), and as soon as nfsd has handed
# out the layout the writer is frozen where it waits for the reply (cgroup
# v1 freezer: it cannot process the reply until it is thawed). The server
# then truncates f.dat to 1 MiB, which recalls the layout; the recall
# reaches client1 after the reply, which client1 cannot process yet.
#
# Stock nfsd's CB_SEQUENCE names no referring call: client1 has no layout
# it knows of and answers NFS4ERR_NOMATCHING_LAYOUT, nfsd forgets the
# layout and the truncate frees [1M, 4M) while the writer is frozen;
# canaries then take those blocks, and the thawed writer installs the
# layout it was given and writes through it into them. With nfsd-ext 0025
# the recall names the LAYOUTGET (its slot and sequence id), client1
# answers NFS4ERR_DELAY until that call is done (thawed), then returns the
# layout, and only then does the truncate free anything.
#
# Part 2: the writer of g.dat stays frozen. client1 answers every resend
# of the recall NFS4ERR_DELAY at CB_SEQUENCE, which the callback code
# resends every 2 s without end; with nfsd-ext 0024 the recall ends at its
# deadline (two lease periods, 20 s), client1 cannot be fenced (no helper)
# and the truncate fails with ETXTBSY, nothing freed; once thawed, the
# write lands in g.dat.
#
# Part 3 (issue 19, item 2): a LAYOUTGET of a disjoint range is answered
# while a recall waits. client1 holds h.dat open with a layout of [0, 1M);
# its writer of [4M, 5M) is frozen in its LAYOUTGET, and the server
# punches [0, 1M): the recall, stamped after that LAYOUTGET, waits at
# CB_SEQUENCE (it names it). Meanwhile client1 writes [6M, 7M), whose
# LAYOUTGET (disjoint from the recall) bumps the stateid's seqid past the
# recall's; the writer is thawed, and the recall sent again carries a
# seqid older than client1's: it answers NFS4ERR_OLD_STATEID, a client
# that is returning nothing wrong. nfsd-ext 0023 stamps the recall again
# then; before it, nfsd fenced client1 there.
DESC="a recall that overtakes a first LAYOUTGET's reply waits for it; nothing written into freed blocks"
OURS_ONLY=canaries-intact
TIMEOUT=600

F=/srv/export/f.dat
CF=/mnt/pnfs/f.dat

G=/srv/export/g.dat
CG=/mnt/pnfs/g.dat
H=/srv/export/h.dat
CH=/mnt/pnfs/h.dat

# frozen_writer DEV FILE [MIB]: client1 writes /tmp/piece to MIB (2) MiB
# into FILE, where it has no layout, and is frozen where it waits for its LAYOUTGET
# (the server's replies on DEV are held back 700 ms meanwhile, so that the
# freeze comes first). The LAYOUTGET is an async RPC: rpciod receives and
# completes it (the client's mountstats count it), but only the frozen
# writer would install the layout and free the session slot. Pid in
# /run/w.pid, output in /run/w.out.
frozen_writer() {
	must "replies held back" on server "tc qdisc add dev $1 root netem delay 700ms"
	must "writer frozen in LAYOUTGET" on client1 "
		lg() { awk '\$1 == \"LAYOUTGET:\" { n += \$2 } END { print n + 0 }' /proc/self/mountstats; }
		n=\$(lg)
		setsid sh -c 'echo \$\$ > /run/lbfreezer/w/tasks; exec dd if=/tmp/piece of=$2 bs=1M seek=${3:-2} count=1 oflag=direct conv=notrunc' > /run/w.out 2>&1 < /dev/null &
		echo \$! > /run/w.pid
		$LBVM wait-for 30 grep -q nfs4_proc_layoutget /proc/\$!/stack &&
		echo FROZEN > /run/lbfreezer/w/freezer.state &&
		$LBVM wait-for 10 grep -qx FROZEN /run/lbfreezer/w/freezer.state || exit 1
		i=0
		while [ \$(lg) -le \$n ]; do
			i=\$((i + 1)); [ \$i -le 300 ] || exit 1; sleep 0.1
		done"
	must "replies go through" on server "tc qdisc del dev $1 root"
}

# No fence helper here (part 2's client cannot be fenced, and so is not cut
# off the device for the scenarios after this one); the rig's usual helper
# is put back however the scenario ends.
restore_helper() { on server "$LBVM fence-helper" > /dev/null 2>&1; }

scenario() {
	local sdev old n out out2 trace frozen_done sum foreign lands
	trap restore_helper EXIT
	server_up --fs dax --size 300m
	must "no fence helper" on server "$LBVM fence-helper --none"
	client_up client1 $SERVER_ADDR
	# Ballast: canaries fill only the last 48 MiB and what was freed.
	ballast 48
	must "f.dat" on server "xfs_io -f -c 'pwrite -q -S 0x61 0 4m' -c fsync $F"
	old=$(extents server $F)
	# client1 knows the device already (GETDEVICEINFO done), so that its
	# write of f.dat needs one LAYOUTGET and nothing else from the server.
	must "client1 has the shared device" on client1 "ls /dev/nvme*n1 > /dev/null 2>&1"
	must "warm-up write" test -n "$(client_write client1 /mnt/pnfs/w.dat 1)"
	must "freezer" on client1 "mkdir -p /run/lbfreezer && { mountpoint -q /run/lbfreezer || mount -t cgroup -o freezer none /run/lbfreezer; } && mkdir -p /run/lbfreezer/w"
	must "the data" on client1 "dd if=/dev/urandom of=/tmp/piece bs=1M count=1 status=none"
	sdev=$(on server "awk '\$1 == \"l1\" { print \$2 }' /run/lb-links")
	must "server's link to client1" test -n "$sdev"

	on server "$LBVM trace-start; e=/sys/kernel/tracing/events/nfsd/nfsd_cb_seq_status/enable; [ -e \$e ] && echo 1 > \$e; true"
	frozen_writer "$sdev" "$CF"
	server_bg trunc "xfs_io -c 'truncate 1m' $F"
	# The recall has been answered: the truncate is over (the layout was
	# forgotten), or client1 has asked for time at CB_SEQUENCE.
	out=$(on server -t 60 "$LBVM wait-for 40 sh -c 'grep -q ^rc= /run/trunc.out || grep -q \"nfsd_cb_seq_status:.*seq_status=-10008\" /sys/kernel/tracing/trace'; cat /run/trunc.out")
	frozen_done=no
	grep -q '^rc=0' <<< "$out" && frozen_done=yes
	note "while the writer was frozen: truncate ${out:-still waiting}"
	record truncate_done_while_frozen "$frozen_done"
	if [ "$frozen_done" = yes ]; then
		# what the truncate freed is reused before the writer goes on
		canaries_over "$old" 2
		record canary_bytes_on_freed_blocks "$CANARY_OVERLAP"
	fi
	must "writer thawed" on client1 "echo THAWED > /run/lbfreezer/w/freezer.state"
	out=$(on client1 -t 90 "$LBVM wait-for 60 sh -c '! kill -0 \$(cat /run/w.pid) 2>/dev/null'; cat /run/w.out")
	note "writer: ${out:-done}"
	out=$(server_bg_wait trunc 60)
	note "truncate: $(tr '\n' ' ' <<< "$out")"
	record truncate_ms "$(sed -n 's/.*ms=//p' <<< "$out")"
	trace=$(on server "$LBVM trace-stop")
	echo "$trace" > "$LB_SCEN_DIR/trace"
	n=$(grep -c 'nfsd_cb_seq_status:.*seq_status=-10008' <<< "$trace")
	record cb_sequence_delay_answers "$n"
	note "recall answers: $(grep -o 'nfsd_cb_layout_done: .*status=[-0-9]*' <<< "$trace" | sed 's/.*status=/status=/' | sort | uniq -c | tr -s ' \n' ' ')"
	if [ "$frozen_done" = yes ]; then
		foreign=$(canaries_foreign_bytes server $CANARIES)
		record canary_foreign_bytes "$foreign"
		check "canaries-intact" eq "$foreign" 0
		must "canaries removed" on server "rm -f $(echo $CANARIES)"
	fi
	check "truncate-waits-for-layoutget-reply" eq "$frozen_done" no
	check "truncate-completed" grep -q '^rc=0' <<< "$out"
	check "no-recall-failure" eq "$(trace_count nfsd_layout_recall_fail "$trace")" 0
	check "size-1m" eq "$(on server "stat -c %s $F")" 1048576

	# Now that the blocks are free, canaries over them; client1 writes the
	# range again through a new layout, into f.dat only.
	canaries_over "$old" 2
	sum=$(client_write_at client1 "$CF" 2 1)
	must "client1 writes again" test -n "$sum"
	foreign=$(canaries_foreign_bytes server $CANARIES)
	check "canaries-intact-after-rewrite" eq "$foreign" 0
	[ "$(server_range_sum $F 2 1)" = "$sum" ] && lands=yes || lands=no
	check "rewrite-lands-in-file" eq "$lands" yes
	must "canaries removed" on server "rm -f $(echo $CANARIES)"

	# Part 2: the writer stays frozen past the recall's deadline.
	must "g.dat" on server "xfs_io -f -c 'pwrite -q -S 0x61 0 4m' -c fsync $G"
	frozen_writer "$sdev" "$CG"
	out=$(on server -t 150 "s=\$(date +%s%N); timeout 120 xfs_io -c 'truncate 1m' $G 2>&1; echo rc=\$? ms=\$(( (\$(date +%s%N) - s) / 1000000 ))")
	note "truncate of g.dat, its writer frozen: $(tr '\n' ' ' <<< "$out")"
	record frozen_truncate_ms "$(sed -n 's/.*ms=//p' <<< "$out")"
	must "writer thawed" on client1 "echo THAWED > /run/lbfreezer/w/freezer.state"
	out2=$(on client1 -t 90 "$LBVM wait-for 60 sh -c '! kill -0 \$(cat /run/w.pid) 2>/dev/null'; cat /run/w.out")
	note "writer: ${out2:-done}"
	check "frozen-client-truncate-bounded" test "$(sed -n 's/.*rc=\([0-9]*\).*/\1/p' <<< "$out")" != 124
	check "frozen-client-truncate-etxtbsy" grep -q 'Text file busy' <<< "$out"
	check "frozen-client-nothing-freed" eq "$(on server "stat -c %s $G")" 4194304
	[ "$(server_range_sum $G 2 1)" = "$(on client1 "sha256sum < /tmp/piece | cut -d' ' -f1")" ] && lands=yes || lands=no
	check "frozen-client-write-lands" eq "$lands" yes

	# Part 3: a disjoint LAYOUTGET answered while the recall waits.
	must "h.dat" on server "xfs_io -f -c 'pwrite -q -S 0x61 0 8m' -c fsync $H"
	hold_open client1 "$CH"
	must "client1 holds [0, 1M)" test -n "$(client_write_at client1 "$CH" 0 1)"
	on server "$LBVM trace-start; e=/sys/kernel/tracing/events/nfsd/nfsd_cb_seq_status/enable; [ -e \$e ] && echo 1 > \$e; true"
	frozen_writer "$sdev" "$CH" 4
	server_bg punch "xfs_io -c 'fpunch 0 1m' $H"
	must "recall waits at CB_SEQUENCE" on server -t 60 "$LBVM wait-for 40 grep -q 'nfsd_cb_seq_status:.*seq_status=-10008' /sys/kernel/tracing/trace"
	sum=$(client_write_at client1 "$CH" 6 1)
	must "client1 writes [6M, 7M) meanwhile" test -n "$sum"
	must "writer thawed" on client1 "echo THAWED > /run/lbfreezer/w/freezer.state"
	out=$(server_bg_wait punch 60)
	trace=$(on server "$LBVM trace-stop")
	echo "$trace" > "$LB_SCEN_DIR/trace3"
	note "punch: $(tr '\n' ' ' <<< "$out")"
	record disjoint_punch_ms "$(sed -n 's/.*ms=//p' <<< "$out")"
	note "recall answers: $(grep -o 'nfsd_cb_layout_done: .*status=[-0-9]*' <<< "$trace" | sed 's/.*status=/status=/' | sort | uniq -c | tr -s ' \n' ' ')"
	record disjoint_old_stateid_answers "$(grep -c 'nfsd_cb_layout_done: .*status=-10024' <<< "$trace")"
	check "disjoint-layoutget-recall-not-failed" eq "$(trace_count nfsd_layout_recall_fail "$trace")" 0
	check "disjoint-layoutget-punch-completed" grep -q '^rc=0' <<< "$out"
	check "disjoint-layoutget-data-kept" eq "$(server_range_sum $H 6 1)" "$sum"
	release_open client1
}
