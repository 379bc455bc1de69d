# A client that accepted a recall but whose answer never reached the server
# is not a client that ignored it. client1 holds layouts on [0, 1M) and
# [4M, 5M) of f.dat; everything it sends is dropped (netem loss 100% on its
# link) from just before the server punches [0, 1M) until the server has
# given up waiting for the answer to the CB_LAYOUTRECALL (nfsd_cb_restart
# in the trace); then its link works again. The recall sent again is
# answered NFS4ERR_RETRY_UNCACHED_REP (the client processed the lost one
# and kept no copy of its answer), then NFS4ERR_OLD_STATEID: the client has
# the recall. It is not fenced before the recall's deadline (two lease
# periods from the first send, 20 s here); the punch waits for it.
#
# On the series before nfsd-ext 0023, nfsd fenced client1 at the
# RETRY_UNCACHED_REP answer: the punch completed after 6.2 s. Measured
# with 0023: fenced only at the deadline (punch 22.3 s), because the Linux
# client, whose LAYOUTRETURN was lost with its session (it reset the
# session: DESTROY_SESSION, CREATE_SESSION), never sends it again and
# answers every poll NFS4ERR_OLD_STATEID: it keeps a layout it was told
# to return, which is what the deadline is for.
DESC="a client whose answer to a recall was lost is not fenced before the recall's deadline"
OURS_ONLY=""

TIMEOUT=600

scenario() {
	local out trace dev n
	server_up --fs dax --size 300m
	must "fence helper" on server "$LBVM fence-helper"
	client_up client1 $SERVER_ADDR
	on server 'xfs_io -f -c "truncate 8m" /srv/export/f.dat' > /dev/null
	hold_open client1 /mnt/pnfs/f.dat
	must "client1 write [0, 1M)" test -n "$(client_write_at client1 /mnt/pnfs/f.dat 0 1)"
	must "client1 write [4M, 5M)" test -n "$(client_write_at client1 /mnt/pnfs/f.dat 4 1)"
	must "client1 holds a layout" on server "$LAYOUTCTL list /srv/export/f.dat | grep -q '^pnfs-layout .*10.55.1.2'"
	# (a delegation is recalled first, as in 29)
	recall_delegation /srv/export/f.dat
	on server "$LBVM trace-start; for e in nfsd_cb_restart nfsd_cb_seq_status nfsd_cb_rpc_done; do
		[ -e /sys/kernel/tracing/events/nfsd/\$e/enable ] && echo 1 > /sys/kernel/tracing/events/nfsd/\$e/enable; done; true"
	dev=$(on client1 "awk '\$1 == \"l1\" { print \$2 }' /run/lb-links")
	must "client1 link" test -n "$dev"
	must "client1 loses what it sends" on client1 "tc qdisc add dev $dev root netem loss 100%"
	server_bg punch "xfs_io -c 'fpunch 0 1m' /srv/export/f.dat"
	out=$(on server -t 60 "$LBVM wait-for 40 grep -qE 'nfsd_cb_restart|nfsd_layout_recall_requeue|nfsd_cb_layout_done' /sys/kernel/tracing/trace && grep -E 'nfsd_cb_restart|nfsd_layout_recall_requeue|nfsd_cb_layout_done' /sys/kernel/tracing/trace | head -n 3")
	note "while client1's packets were lost: $(tr '\n' ';' <<< "$out")"
	must "client1 sends again" on client1 "tc qdisc del dev $dev root"
	out=$(server_bg_wait punch 120)
	note "punch: $(tr '\n' ' ' <<< "$out")"
	record punch_ms "$(sed -n 's/.*ms=//p' <<< "$out")"
	trace=$(on server "$LBVM trace-stop")
	echo "$trace" > "$LB_SCEN_DIR/trace"
	record CB_LAYOUTRECALL "$(trace_count nfsd_layout_recall "$trace")"
	record recall_failures "$(trace_count nfsd_layout_recall_fail "$trace")"
	note "answers: $(grep -o 'nfsd_cb_layout_done: .*status=[-0-9]*' <<< "$trace" | sed 's/.*status=/status=/' | sort | uniq -c | tr -s ' \n' ' ')"
	n=$(client_fences client1)
	check "punch-completed" grep -q "rc=0" <<< "$out"
	# not fenced at all, or only once the deadline had passed
	record client1_fences "$n"
	check "answer-lost-not-fenced-before-deadline" test "$n" = 0 -o "$(sed -n 's/.*ms=//p' <<< "$out")" -ge 20000
	release_open client1
	# a fence at the deadline cut client1 off the device: the next
	# scenario's client1 must be able to connect again
	[ "$n" = 0 ] || on server "$LAYOUTCTL unfence client1 pmem0" > /dev/null
}
