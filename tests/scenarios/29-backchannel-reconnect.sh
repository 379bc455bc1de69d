# A client whose connection drops and comes back while a recall is
# outstanding is not a client that ignored the recall. client1 holds a
# layout on f.dat; its NFS transport is forced to disconnect (the sunrpc
# sysfs dstaddr knob drops and reconnects it), and the server truncates
# f.dat at once. nfsd then has no back channel for client1 until the client
# binds its new connection (on its next SEQUENCE, told CB_PATH_DOWN), and
# gives the CB_LAYOUTRECALL up. A recall given up is retried until its
# deadline (two lease periods from the first send); the client answers it
# once its back channel is back (the Linux client says it holds no matching
# layout by then), and is not fenced.
#
# Before "nfsd: send a layout recall again while the client's back channel
# is down" the given-up recall fenced client1 about a second after the
# disconnect (the truncate then completed in 1030 ms). Stock nfsd does not
# fence here either: it forgets the layout of the recall it gave up, as if
# returned, and the truncate goes on without the client having been asked.
DESC="a client reconnecting during a recall is not fenced; it answers the recall"
OURS_ONLY=client-answered-the-recall
TIMEOUT=600

SUB=nqn.2026-01.io.layoutbreak:pmem0

scenario() {
	local out trace n t
	server_up --fs dax --size 300m
	must "fence helper" on server "$LBVM fence-helper"
	client_up client1 $SERVER_ADDR
	on server 'xfs_io -f -c "truncate 8m" /srv/export/f.dat'
	hold_open client1 /mnt/pnfs/f.dat
	must "client1 write" test -n "$(client_write client1 /mnt/pnfs/f.dat 8)"
	must "client1 holds a layout" on server "$LAYOUTCTL list /srv/export/f.dat | grep -q '^pnfs-layout .*10.55.1.2'"

	# (the truncate's open would otherwise recall it with the back channel
	# down: see recall_delegation)
	recall_delegation /srv/export/f.dat
	on server "$LBVM trace-start"
	out=$(on client1 "for x in /sys/kernel/sunrpc/xprt-switches/switch-*/xprt-*/dstaddr; do
		[ \"\$(cat \$x)\" = $SERVER_ADDR ] && echo $SERVER_ADDR > \$x && echo dropped \$x; done")
	note "client1: $out"
	must "client1 transport dropped" grep -q dropped <<< "$out"
	out=$(on server -t 150 "s=\$(date +%s%N); timeout 120 xfs_io -c 'truncate 0' /srv/export/f.dat 2>&1; echo rc=\$? ms=\$(( (\$(date +%s%N) - s) / 1000000 ))")
	note "truncate: $(tr '\n' ' ' <<< "$out")"
	t=$(sed -n 's/.*ms=//p' <<< "$out")
	record truncate_ms "$t"
	trace=$(on server "$LBVM trace-stop")
	echo "$trace" > "$LB_SCEN_DIR/trace"
	record CB_RECALL "$(trace_count nfsd_cb_recall "$trace")"
	record CB_LAYOUTRECALL "$(trace_count nfsd_layout_recall "$trace")"
	record recall_failures "$(trace_count nfsd_layout_recall_fail "$trace")"
	record recall_releases "$(trace_count nfsd_layout_recall_release "$trace")"
	record recall_requeues "$(trace_count nfsd_layout_recall_requeue "$trace")"
	n=$(client_fences client1)
	check "truncate-completed" grep -q "rc=0" <<< "$out"
	check "reconnecting-client-not-fenced" eq "$n" 0
	check "no-recall-failure" eq "$(trace_count nfsd_layout_recall_fail "$trace")" 0
	# The client's answer (here NFS4ERR_NOMATCHING_LAYOUT, or a return),
	# not a recall given up, ended it.
	note "answers: $(grep -o 'nfsd_cb_layout_done: .*status=[-0-9]*' <<< "$trace" | sed 's/.*status=/status=/' | sort | uniq -c | tr -s ' \n' ' ')"
	check "client-answered-the-recall" gt "$(trace_count nfsd_cb_layout_done "$trace")" 0
	check "subsystem-still-on-port" on server "test -e /sys/kernel/config/nvmet/ports/1/subsystems/$SUB-client1"
	release_open client1
}
