# Remote RDMA into DAX memory while the server truncates. On the server,
# daxpin takes a layout lease on a 1 MiB DAX file, registers a memory
# region on its mapping and gives its key to client1 over RDMA CM (rxe);
# client1 RDMA WRITEs a numbered pattern page by page and RDMA READs each
# page back, without pause. The server truncates the file: the lease
# breaks, daxpin deregisters the region and lets the lease go, and only
# then does the truncate complete; client1's next operation fails (remote
# access error). Canary files written into the freed blocks afterwards
# hold nothing but canary bytes. Stock cannot register the region at all.
DESC="remote RDMA WRITE/READ into a DAX MR; truncate breaks the lease, MR deregistered first, freed blocks clean"
OURS_ONLY=mr-registered-under-lease
TIMEOUT=1200

F=/srv/export/mr.dat
PORT=7471

scenario() {
	local old srv drv out end dereg ov foreign canaries
	server_up --fs dax --size 300m --no-nvmet --dax-pins
	must "client1 rxe" on client1 "$LBVM rxe-up"
	must "mr.dat" on server "xfs_io -f -c 'pwrite -q -S 0x61 0 1m' -c fsync $F"
	old=$(extents server $F)
	must "fiemap of mr.dat" test -n "$old"
	# Fill the filesystem, so that canaries written after the truncate can
	# only go to the blocks it freed.
	fill_canaries server /srv/export 0 > /dev/null
	must "filesystem nearly full" on server '[ $(df -m --output=avail /srv/export | tail -n1) -le 1 ]'

	must "daxpin serve" on server "
		setsid $HELPERS/daxpin serve $F -a $SERVER_ADDR -p $PORT -t 900 < /dev/null > /run/srv.out 2>&1 &
		echo \$! > /run/srv.pid
		$LBVM wait-for 60 grep -q '^listening' /run/srv.out"
	must "daxpin drive" on client1 "
		setsid $HELPERS/daxpin drive $SERVER_ADDR -p $PORT -t 900 < /dev/null > /run/drv.out 2>&1 &
		echo \$! > /run/drv.pid
		$LBVM wait-for 120 grep -qE '^(ops 200|stopped|timeout)' /run/drv.out ||
			$LBVM wait-for 5 grep -q . /run/drv.out"
	srv=$(on server "cat /run/srv.out")
	drv=$(on client1 "cat /run/drv.out")
	note "server: $(grep -E '^(lease|reg)' <<< "$srv" | tr '\n' ';')"
	note "client1: $(tail -n 1 <<< "$drv")"
	check "mr-registered-under-lease" grep -q '^reg ok' <<< "$srv"
	check "remote-rdma-verified" grep -q '^ops 200$' <<< "$drv"

	out=$(on server -t 180 "
		s=\$(date +%s%N)
		timeout 120 truncate -s 0 $F; echo rc=\$? start=\$s end=\$(date +%s%N)")
	note "truncate: $(tr '\n' ' ' <<< "$out")"
	on client1 "$LBVM wait-for 120 grep -qE '^(stopped|mismatch|timeout)' /run/drv.out" > /dev/null
	srv=$(on server "cat /run/srv.out")
	drv=$(on client1 "cat /run/drv.out")
	note "server: $(grep -E '^(break|deregistered|released)' <<< "$srv" | tr '\n' ' ')"
	note "client1: $(grep -vE '^ops' <<< "$drv" | tr '\n' ';')"
	record rdma_ops_before_break "$(sed -n 's/^stopped after \([0-9]*\) ops.*/\1/p' <<< "$drv")"
	check "lease-broken" grep -q '^break' <<< "$srv"
	check "mr-deregistered" grep -q '^deregistered' <<< "$srv"
	check "truncate-completes" grep -q '^rc=0 ' <<< "$out"
	end=$(sed -n 's/.* end=\([0-9]*\).*/\1/p' <<< "$out")
	dereg=$(awk '/^deregistered/ {print $2}' <<< "$srv")
	record truncate_end_minus_dereg_ms "$(( (end - ${dereg:-0}) / 1000000 ))"
	check "truncate-after-deregistration" ge "$end" "${dereg:-99999999999999999}"
	check "rdma-stopped-by-deregistration" grep -qE '^stopped after [0-9]+ ops: (remote access error|Work Request Flushed Error)' <<< "$drv"
	check "no-mismatch" eq "$(grep -c mismatch <<< "$drv")" 0

	canaries=$(on server "sync; dd if=/tmp/canary of=/srv/export/canary.mr bs=64k status=none 2>/dev/null; echo /srv/export/canary.mr")
	ov=$(overlap "$old" "$(extents server /srv/export/canary.mr)")
	record canary_bytes_on_freed_blocks "$ov"
	check "canary-on-freed-blocks" gt "$ov" 0
	# The client keeps trying to connect and write for a moment: nothing
	# is served any more.
	out=$(on client1 "timeout 30 $HELPERS/daxpin drive $SERVER_ADDR -p $PORT -t 20 2>&1; echo rc=\$?")
	note "reconnect: $(tr '\n' ' ' <<< "$out")"
	foreign=$(canaries_foreign_bytes server $canaries)
	record canary_foreign_bytes "$foreign"
	check "canary-clean" eq "$foreign" 0
	on server "kill \$(cat /run/srv.pid) 2>/dev/null; rm -f /srv/export/canary* $F" > /dev/null
}
