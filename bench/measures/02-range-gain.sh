# Range-aware gain: a hole punch outside every range clients hold layouts
# on. Ours recalls nothing and should take within 1.1x of the same punch on
# a file nobody holds layouts on; stock recalls every layout of the file.
. "$LB_TOP/bench/lib.sh"
DESC="range-aware gain: a punch outside every layout, against the same punch with no layouts"
TIMEOUT=1800

scenario() {
	local i ns ns0 tr f=rg.dat g=rg-none.dat
	server_up --fs dax --size 300m
	client_up client1 $SERVER_ADDR
	client_up client2 $SERVER_ADDR2
	for i in $(seq "$BENCH_REPEAT"); do
		progress "range gain: $i/$BENCH_REPEAT"
		# Sparse files with the punched range written on its own: a
		# layout covers the extent it maps, and one 64 MiB extent
		# would put every layout over the punch.
		on server "rm -f /srv/export/$f /srv/export/$g
			xfs_io -f -c 'truncate 64m' -c 'pwrite -q 48m 8m' /srv/export/$f
			xfs_io -f -c 'truncate 64m' -c 'pwrite -q 48m 8m' /srv/export/$g"
		# As in 01, the server holds the file open so that the clients
		# get no delegations for the punch's open to recall.
		hold_open server /srv/export/$f
		layouts_held client1 $f 0
		layouts_held client2 $f 16
		# Both punches in the same trace window (tracing costs the
		# same for both), in alternating order.
		on server "$LBVM trace-start"
		if [ $((i % 2)) = 1 ]; then
			ns=$(timeop server punch /srv/export/$f $((48 << 20)) $((8 << 20)))
			ns0=$(timeop server punch /srv/export/$g $((48 << 20)) $((8 << 20)))
		else
			ns0=$(timeop server punch /srv/export/$g $((48 << 20)) $((8 << 20)))
			ns=$(timeop server punch /srv/export/$f $((48 << 20)) $((8 << 20)))
		fi
		tr=$(on server "$LBVM trace-stop")
		must "punch timed" test -n "$ns"
		must "punch without layouts timed" test -n "$ns0"
		sample punch-outside-layouts 2-clients "$ns" ns
		sample punch-outside-layouts-recalls 2-clients "$(trace_count nfsd_layout_recall "$tr")" count
		sample punch-no-layouts none "$ns0" ns
		release_open client1
		release_open client2
		release_open server
	done
	on server "rm -f /srv/export/$f /srv/export/$g" > /dev/null
}
