# RDMA WRITE bandwidth (perftest's ib_write_bw over the soft-RoCE link from
# client2 to the server) into a memory region on a DAX file, registered
# under a layout lease (tests/helpers/leaseshim.so takes it for
# ib_write_bw), against an anonymous memory region on the same link. Goal
# on ours: at least 0.95x. Stock refuses the DAX region; that is recorded.
. "$LB_TOP/bench/lib.sh"
DESC="ib_write_bw into a DAX memory region under a layout lease, against anonymous memory"
TIMEOUT=1800

# bw KIND SDEV CDEV: one ib_write_bw run between the server's and client2's
# rxe devices; prints the client's average MB/s, or "refused" when the
# server could not register its region.
bw() {
	local kind=$1 sdev=$2 cdev=$3 mmap="" pre="" out
	if [ "$kind" = dax ]; then
		mmap="--mmap=/srv/export/mr.dat"
		pre="LD_PRELOAD=$HELPERS/leaseshim.so"
	fi
	on server "rm -f /run/bw-srv.out
		setsid sh -c 'exec env $pre timeout 120 stdbuf -oL -eL ib_write_bw -d $sdev -R -F -s 65536 -D $BENCH_SECS $mmap' \
			< /dev/null > /run/bw-srv.out 2>&1 &
		echo \$! > /run/bw-srv.pid"
	if ! on server "$LBVM wait-for 30 grep -q 'Waiting for client' /run/bw-srv.out" > /dev/null; then
		note >&2 "ib_write_bw server: $(on server 'tail -n 3 /run/bw-srv.out; pkill -x ib_write_bw')"
		return
	fi
	out=$(on client2 -t 200 "timeout 100 ib_write_bw -d $cdev -R -F -s 65536 -D $BENCH_SECS $SERVER_ADDR2 2>&1")
	on server "$LBVM wait-for 30 sh -c '! kill -0 \$(cat /run/bw-srv.pid) 2>/dev/null' || pkill -x ib_write_bw" > /dev/null
	note >&2 "server: $(on server 'grep -iE "leaseshim|fail|couldn|error" /run/bw-srv.out | head -n 3 | tr "\n" " "')"
	if on server "grep -qiE \"couldn.t (allocate|register|create)\" /run/bw-srv.out"; then
		echo refused
		return
	fi
	awk '$1 == 65536 && NF >= 4 { print $4; exit }' <<< "$out"
}

scenario() {
	local i kind v sdev cdev
	server_up --fs dax --size 300m --dax-pins
	client_up client2 $SERVER_ADDR2 --proto rdma --no-nvme
	sdev=rxe_$(on server "awk '\$3 == \"$SERVER_ADDR2\" { print \$2 }' /run/lb-links")
	cdev=rxe_$(on client2 "awk 'NR == 1 { print \$2 }' /run/lb-links")
	on server "rm -f /srv/export/mr.dat; xfs_io -f -c 'pwrite -q 0 64m' /srv/export/mr.dat"
	for i in $(seq "$BENCH_REPEAT"); do
		for kind in anon dax; do
			progress "ib_write_bw: $kind $i/$BENCH_REPEAT"
			v=$(bw $kind "$sdev" "$cdev")
			if [ "$v" = refused ]; then
				sample ib-write-bw-refused "$kind" 1 count
				continue
			fi
			must "ib_write_bw $kind ran" test -n "$v"
			sample ib-write-bw "$kind" "$v" MB/s
		done
	done
	on server "rm -f /srv/export/mr.dat" > /dev/null
}
