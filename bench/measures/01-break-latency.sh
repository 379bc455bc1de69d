# Break latency: how long a truncate or a hole punch waits for the layouts
# that clients hold on the file, with one and with two clients holding
# them, against one recall round trip (CB_LAYOUTRECALL sent to LAYOUTRETURN
# done) measured on its own, by a conflicting LAYOUTGET. Goal: the break
# within 1.2x of the round trip. Stock nfsd lets one client hold layouts on
# a file at a time, so there "2 clients" leaves one holder; the recalls
# each break sent are counted.
#
# The server holds the file open for writing throughout, so that nfsd hands
# the clients no delegations: without that, the timed truncate's own open
# recalls a client's write delegation first, and the client, still busy
# returning it, answers the layout recall that follows some 40 ms later
# under emulation, a cost of the delegation and not of the break.
. "$LB_TOP/bench/lib.sh"
DESC="break latency: truncate and punch under 1 and 2 clients' layouts, against a recall round trip"
TIMEOUT=2400

scenario() {
	local i n op ns tr rt f=bl.dat
	server_up --fs dax --size 300m
	client_up client1 $SERVER_ADDR
	client_up client2 $SERVER_ADDR2
	for i in $(seq "$BENCH_REPEAT"); do
		progress "break latency: round trip $i/$BENCH_REPEAT"
		on server "rm -f /srv/export/$f; xfs_io -f -c 'truncate 64m' /srv/export/$f"
		hold_open server /srv/export/$f
		layouts_held client1 $f 0
		on server "$LBVM trace-start"
		must "client2 writes into client1's layout" test -n "$(client_write_at client2 /mnt/pnfs/$f 0 1)"
		tr=$(on server "$LBVM trace-stop")
		rt=$(recall_round_trip_ns "$tr")
		[ -n "$rt" ] && sample recall-round-trip conflict "$rt" ns
		sample recall-round-trip-delays conflict "$(recall_delays "$tr")" count
		[ "$i" = 1 ] && log_recall_trace "$tr"
		release_open client1
		release_open server
	done
	for n in 1 2; do
		for op in truncate punch; do
			for i in $(seq "$BENCH_REPEAT"); do
				progress "break latency: $op, $n client(s), $i/$BENCH_REPEAT"
				on server "rm -f /srv/export/$f; xfs_io -f -c 'truncate 64m' /srv/export/$f"
				hold_open server /srv/export/$f
				layouts_held client1 $f 0
				[ $n = 2 ] && layouts_held client2 $f 32
				on server "$LBVM trace-start"
				if [ $op = truncate ]; then
					ns=$(timeop server truncate /srv/export/$f 0)
				else
					ns=$(timeop server punch /srv/export/$f 0 $((64 << 20)))
				fi
				tr=$(on server "$LBVM trace-stop")
				must "$op timed" test -n "$ns"
				sample "break-$op" "$n-clients" "$ns" ns
				sample "break-$op-recalls" "$n-clients" "$(trace_count nfsd_layout_recall "$tr")" count
				rt=$(recall_round_trip_ns "$tr")
				[ -n "$rt" ] && sample "break-$op-round-trip" "$n-clients" "$rt" ns
				# Answers of "not yet" (NFS4ERR_DELAY) that nfsd polled
				# through, and what happened during the break, for the log.
				sample "break-$op-recall-delays" "$n-clients" "$(recall_delays "$tr")" count
				[ "$i" = 1 ] && log_recall_trace "$tr"
				release_open client1
				[ $n = 2 ] && release_open client2
				release_open server
			done
		done
	done
	on server "rm -f /srv/export/$f" > /dev/null
}
