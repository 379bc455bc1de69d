# NFS over RDMA. client1 mounts with proto=rdma: its pNFS metadata (OPEN,
# LAYOUTGET, LAYOUTCOMMIT, ...) goes over RDMA and its data through the
# block layout, and the server reads back what it wrote. Then client1 does
# O_DIRECT writes to that mount from a buffer mapped from a DAX file on its
# own pmem namespace, and truncates that DAX file while the DMA out of it
# is in flight: the truncate must wait for the DMA, and the NFS file must
# hold the buffer's bytes, not those of canary files that reuse the
# freed blocks.
DESC="NFS over RDMA: pNFS metadata over RDMA; O_DIRECT out of a client's DAX memory waits out a local truncate"
OURS_ONLY=
TIMEOUT=1200

scenario() {
	local before after d sum ssum out old dma_done ts te ov foreign
	server_up --fs dax --size 300m
	client_up client1 $SERVER_ADDR --proto rdma
	out=$(on client1 'grep " /mnt/pnfs " /proc/mounts')
	note "client1 mount: $out"
	check "mount-over-rdma" grep -q 'proto=rdma' <<< "$out"
	before=$(on server "$LBVM nfsd-stats")
	sum=$(client_write client1 /mnt/pnfs/rdma.dat 16)
	must "client write" test -n "$sum"
	after=$(on server "$LBVM nfsd-stats")
	d=$(nfsd_delta "$before" "$after")
	for k in LAYOUTGET LAYOUTCOMMIT WRITE WRITE_BYTES; do record "$k" "$(kv $k "$d")"; done
	out=$(on server "grep -E '^rdma' /proc/fs/nfsd/portlist; cat /proc/net/rpc/nfsd | grep -E '^(net|rpc)'")
	note "server: $(tr '\n' ';' <<< "$out")"
	check "layoutget-over-rdma" gt "$(kv LAYOUTGET "$d")" 0
	check "layoutcommit-over-rdma" gt "$(kv LAYOUTCOMMIT "$d")" 0
	check "data-through-block-layout" lt "$(( $(kv WRITE_BYTES "$d") * 100 ))" $((16 * 1048576))
	check "server-reads-client-checksum" eq "$(server_sum /srv/export/rdma.dat)" "$sum"

	# client1's own DAX filesystem, filled, with a 64 MiB buffer file.
	must "client1 pmem" on client1 "$LBVM pmem > /dev/null && mkfs.xfs -q -f -m reflink=0 /dev/pmem0 &&
		mkdir -p /mnt/dax && mount -o dax=always /dev/pmem0 /mnt/dax"
	must "buffer file" on client1 "xfs_io -f -c 'pwrite -q -S 0x71 0 64m' -c fsync /mnt/dax/buf.dat"
	old=$(extents client1 /mnt/dax/buf.dat)
	fill_canaries client1 /mnt/dax 0 > /dev/null
	must "client1 filesystem nearly full" on client1 '[ $(df -m --output=avail /mnt/dax | tail -n1) -le 1 ]'
	out=$(on client1 -t 300 "
		$HELPERS/dmawrite /mnt/pnfs/dma.dat /mnt/dax/buf.dat 67108864 > /run/dw.out 2>&1 &
		pid=\$!
		$LBVM wait-for 60 sh -c \"grep -q mapped /run/dw.out && [ \\\$(cut -d' ' -f3 /proc/\$pid/stat 2>/dev/null) = D ]\" ||
			{ echo no-inflight; cat /run/dw.out; kill \$pid; exit 1; }
		echo truncate_start \$(date +%s%N)
		truncate -s 0 /mnt/dax/buf.dat
		echo truncate_end \$(date +%s%N)
		sync
		dd if=/tmp/canary of=/mnt/dax/canary.dma bs=64k status=none 2>/dev/null
		wait \$pid
		echo dmawrite_rc=\$?
		cat /run/dw.out")
	sed 's/^/    # /' <<< "$out"
	dma_done=$(awk '/^done/ {print $2}' <<< "$out")
	ts=$(awk '/^truncate_start/ {print $2}' <<< "$out")
	te=$(awk '/^truncate_end/ {print $2}' <<< "$out")
	must "dma in flight before the truncate" test -n "$ts"
	check "o-direct-write-completed" grep -q '^dmawrite_rc=0' <<< "$out"
	record truncate_ms "$(( (te - ts) / 1000000 ))"
	record truncate_end_minus_dma_done_ms "$(( (te - ${dma_done:-0}) / 1000000 ))"
	check "truncate-waited-for-dma" ge "$(( te + 250000000 ))" "${dma_done:-99999999999999999999}"
	ssum=$(server_sum /srv/export/dma.dat)
	check "nfs-file-holds-buffer" eq "$ssum" "$(yes q | tr -d '\n' | head -c 67108864 | sha256sum | cut -d' ' -f1)"
	ov=$(overlap "$old" "$(extents client1 /mnt/dax/canary.dma)")
	record canary_bytes_on_freed_blocks "$ov"
	check "canary-on-freed-blocks" gt "$ov" 0
	foreign=$(canaries_foreign_bytes client1 /mnt/dax/canary.dma)
	check "canary-clean" eq "$foreign" 0
	on client1 "umount /mnt/dax" > /dev/null
}
