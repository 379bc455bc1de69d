# pNFS block I/O against the same client with pnfs off (every byte through
# the server), with the shared storage over NVMe/RDMA (soft-RoCE) and over
# NVMe/TCP. A client writes with O_DIRECT and fsync. Goal: pNFS at least 2x.
. "$LB_TOP/bench/lib.sh"
DESC="pNFS block I/O over NVMe/RDMA and NVMe/TCP against NFS through the server"
TIMEOUT=2400

# write_ns: client1 writes BENCH_MIB MiB; prints the ns it took.
write_ns() {
	on client1 -t 900 "
		dd if=/dev/urandom of=/tmp/bw.dat bs=1M count=$BENCH_MIB status=none
		rm -f /mnt/pnfs/bw.dat
		a=\$(date +%s%N)
		timeout 800 dd if=/tmp/bw.dat of=/mnt/pnfs/bw.dat bs=1M oflag=direct conv=fsync status=none || exit 1
		b=\$(date +%s%N)
		echo \$(( b - a ))"
}

scenario() {
	local i how ns before after d
	for how in pnfs-rdma pnfs-tcp server; do
		case $how in
		pnfs-rdma) server_up --fs dax --size 300m; client_up client1 $SERVER_ADDR ;;
		pnfs-tcp) must "nvmet tcp" on server "$LBVM nvmet-tcp"
			client_up client1 $SERVER_ADDR --nvme-transport tcp ;;
		server) server_up --fs dax --size 300m --no-pnfs; client_up client1 $SERVER_ADDR --no-nvme ;;
		esac
		for i in $(seq "$BENCH_REPEAT"); do
			progress "pNFS vs server: $how $i/$BENCH_REPEAT ($BENCH_MIB MiB)"
			before=$(on server "$LBVM nfsd-stats")
			ns=$(write_ns)
			after=$(on server "$LBVM nfsd-stats")
			must "write timed" test -n "$ns"
			d=$(nfsd_delta "$before" "$after")
			sample client-write "$how" "$(awk -v b=$((BENCH_MIB * 1048576)) -v ns="$ns" 'BEGIN { printf "%.3f", b * 1000 / ns }')" MB/s
			sample client-write-server-bytes "$how" "$(kv WRITE_BYTES "$d")" bytes
		done
	done
	on server "rm -f /srv/export/bw.dat" > /dev/null
}
