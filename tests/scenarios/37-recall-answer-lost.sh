# A client that accepted a recall but whose answer never reached the server
# is not a client that ignored it. client1 holds layouts on [0, 1M) and
# [4M, 5M) of f.dat; everything it sends is dropped (netem loss 100% on its
# link) from just before the server punches [0, 1M) until the server has
# given up waiting for the answer to the CB_LAYOUTRECALL (nfsd_cb_restart
# or a requeue in the trace); then its link works again. The client got
# the recall and answered it, its answer and its LAYOUTRETURN were lost;
# TCP delivers the LAYOUTRETURN later, and the recall sent again carries a
# seqid the client has seen (it answers NFS4ERR_OLD_STATEID or DELAY, or
# that it holds no such layout). Expected: the punch completes, client1 is
# not fenced, no recall failure, and it writes through its layout
# afterwards.
#
# Measured on the series: the send again was answered
# NFS4ERR_RETRY_UNCACHED_REP (the client had processed the lost one) and
# nfsd fenced client1 at once; with nfsd-ext/proposed/0023 it polls, but
# client1 then answers NFS4ERR_OLD_STATEID for the rest of the deadline
# (898 times) and the range it should have returned stays held: fenced
# after about 22 s. Skipped until that is understood and fixed.
DESC="a client whose answer to a recall was lost is not fenced: the punch completes, the client keeps its storage"
OURS_ONLY=""
SKIP="fails on our series (client1 fenced): the fix in nfsd-ext/proposed/ is not complete yet"

TIMEOUT=600

scenario() {
	local out trace fenced dev before
	server_up --fs dax --size 300m
	must "fence helper" on server "$LBVM fence-helper"
	client_up client1 $SERVER_ADDR
	on server 'xfs_io -f -c "truncate 8m" /srv/export/f.dat' > /dev/null
	hold_open client1 /mnt/pnfs/f.dat
	must "client1 write [0, 1M)" test -n "$(client_write_at client1 /mnt/pnfs/f.dat 0 1)"
	must "client1 write [4M, 5M)" test -n "$(client_write_at client1 /mnt/pnfs/f.dat 4 1)"
	must "client1 holds a layout" on server "$LAYOUTCTL list /srv/export/f.dat | grep -q '^pnfs-layout .*10.55.1.2'"
	# (a delegation is recalled first, as in 29)
	must "delegation recalled" on server -t 120 "timeout 90 sh -c ': >> /srv/export/f.dat'"
	on server "$LBVM trace-start; for e in nfsd_cb_restart nfsd_cb_seq_status nfsd_cb_rpc_done; do
		[ -e /sys/kernel/tracing/events/nfsd/\$e/enable ] && echo 1 > /sys/kernel/tracing/events/nfsd/\$e/enable; done; true"
	dev=$(on client1 "awk '\$1 == \"l1\" { print \$2 }' /run/lb-links")
	must "client1 link" test -n "$dev"
	must "client1 loses what it sends" on client1 "tc qdisc add dev $dev root netem loss 100%"
	on server "s=\$(date +%s%N); (timeout 120 xfs_io -c 'fpunch 0 1m' /srv/export/f.dat > /run/punch.out 2>&1; echo rc=\$? ms=\$(( (\$(date +%s%N) - s) / 1000000 )) >> /run/punch.out) > /dev/null 2>&1 &" > /dev/null
	out=$(on server -t 60 "$LBVM wait-for 40 grep -qE 'nfsd_cb_restart|nfsd_layout_recall_requeue|nfsd_cb_layout_done' /sys/kernel/tracing/trace && grep -E 'nfsd_cb_restart|nfsd_layout_recall_requeue|nfsd_cb_layout_done' /sys/kernel/tracing/trace | head -n 3")
	note "while client1's packets were lost: $(tr '\n' ';' <<< "$out")"
	must "client1 sends again" on client1 "tc qdisc del dev $dev root"
	out=$(on server -t 150 "$LBVM wait-for 120 grep -q '^rc=' /run/punch.out; cat /run/punch.out")
	note "punch: $(tr '\n' ' ' <<< "$out")"
	record punch_ms "$(sed -n 's/.*ms=//p' <<< "$out")"
	trace=$(on server "$LBVM trace-stop")
	echo "$trace" > "$LB_SCEN_DIR/trace"
	record CB_LAYOUTRECALL "$(trace_count nfsd_layout_recall "$trace")"
	record recall_failures "$(trace_count nfsd_layout_recall_fail "$trace")"
	note "answers: $(grep -o 'nfsd_cb_layout_done: .*status=[-0-9]*' <<< "$trace" | sed 's/.*status=/status=/' | sort | uniq -c | tr -s ' \n' ' ')"
	fenced=$(on server "$LAYOUTCTL fenced --json")
	note "fenced: $(jq -c '[.fences[] | {client, sb_id, complete}]' <<< "$fenced" 2>/dev/null)"
	check "punch-completed" grep -q "rc=0" <<< "$out"
	check "answer-lost-client-not-fenced" eq "$(jq -r '[.fences[] | select(.client == "client1")] | length' <<< "$fenced")" 0
	check "answer-lost-no-recall-failure" eq "$(trace_count nfsd_layout_recall_fail "$trace")" 0
	before=$(on server "$LBVM nfsd-stats")
	check "client-writes-after" test -n "$(client_write_at client1 /mnt/pnfs/f.dat 4 1)"
	check "client-wrote-through-layout-after" gt "$(kv LAYOUTCOMMIT "$(nfsd_delta "$before" "$(on server "$LBVM nfsd-stats")")")" 0
	release_open client1
}
