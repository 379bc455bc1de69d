# LAYOUTGET racing truncate: client1 writes 1 MiB pieces all over a 16 MiB
# file through its layout, each piece needing a LAYOUTGET after the last
# recall, while the server truncates the file to zero back to back. Every
# truncate recalls what the client holds, and LAYOUTGETs that overlap a
# range being changed are refused (NFS4ERR_RECALLCONFLICT) and retried.
# Nothing may hang or be fenced, every write must succeed, and once both
# loops end, a full rewrite by the client reads back the same on the server.
# Stock nfsd fences the client: it polls a recall by sending it again, and
# the client, which has accepted it and is still draining its I/O, answers
# NFS4ERR_OLD_STATEID.
DESC="LAYOUTGETs racing repeated truncates: no hang, no fence, data intact"
OURS_ONLY=no-recall-failure
TIMEOUT=$(( 600 + (${LB_RACE_PIECES:-48} + ${LB_RACE_TRUNCATES:-30}) * 6 ))

F=/mnt/pnfs/r.dat
PIECES=${LB_RACE_PIECES:-48}
TRUNCATES=${LB_RACE_TRUNCATES:-30}

scenario() {
	local trace out rc sum ssum conflicts
	server_up --fs dax --size 300m
	client_up client1 $SERVER_ADDR
	on server 'xfs_io -f -c "truncate 16m" /srv/export/r.dat'
	hold_open client1 $F

	on server "$LBVM trace-start"
	# The client's writer runs in the background; the server's truncate
	# loop runs meanwhile; then the writer is waited for.
	must "start writer" on client1 "
		dd if=/dev/urandom of=/tmp/piece bs=1M count=1 status=none
		setsid sh -c 'rc=0; for i in \$(seq $PIECES); do
			dd if=/tmp/piece of=$F bs=1M seek=\$(( i % 16 )) count=1 oflag=direct conv=notrunc status=none || { rc=1; break; }
		done; echo rc=\$rc' > /run/writer.out 2>&1 < /dev/null &
		echo \$! > /run/writer.pid"
	out=$(on server -t 600 "
		for i in \$(seq $TRUNCATES); do
			timeout 60 xfs_io -c 'truncate 0' /srv/export/r.dat || exit 1
		done; echo truncated" 2>&1)
	rc=$(on client1 -t 600 'timeout 580 tail --pid=$(cat /run/writer.pid) -f /dev/null; cat /run/writer.out')
	trace=$(on server "$LBVM trace-stop")
	echo "$trace" > "$LB_SCEN_DIR/trace"
	record writer_output "$(head -n 3 <<< "$rc" | tr '\n' ' ')"
	conflicts=$(grep ' nfsd_compound_status: ' <<< "$trace" | grep -c 'status=-10061\|status=10061')
	record recalls "$(trace_count nfsd_layout_recall "$trace")"
	record layouts_granted "$(trace_count nfsd_layout_get_range "$trace")"
	record recallconflict_replies "$conflicts"
	check "recalls-happened" gt "$(trace_count nfsd_layout_recall "$trace")" 0
	# A failed recall first: it is the cause, a truncate refused because
	# the client could not be fenced its consequence.
	check "no-recall-failure" eq "$(trace_count nfsd_layout_recall_fail "$trace")" 0
	[ "$out" = truncated ] || note "truncate loop: $(tail -n 2 <<< "$out" | tr '\n' ' ')"
	check "truncates-completed" eq "$(tail -n1 <<< "$out")" truncated
	check "every-write-succeeded" eq "$(tail -n1 <<< "$rc")" rc=0

	sum=$(client_write client1 $F 16)
	must "final rewrite" test -n "$sum"
	ssum=$(server_sum /srv/export/r.dat)
	check "final-data-intact" eq "$ssum" "$sum"
	release_open client1
}
