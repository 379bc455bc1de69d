# (c) Local DMA into a DAX mapping: an O_DIRECT read from a slow device
# (dm-delay over a RAM disk) lands in a shared DAX mapping of the file being
# truncated. The truncate must wait for the DMA, and a canary file that
# reuses the freed blocks must never receive the DMA's data.
DESC="truncate waits for DMA into a DAX mapping; canary on freed blocks stays clean"
OURS_ONLY=
TIMEOUT=900

scenario() {
	local old out dma_done trunc_start trunc_end ov foreign
	server_up --fs dax --size 300m --no-nvmet
	slow_device 3000
	must "target file" on server 'xfs_io -f -c "pwrite -q -S 0x61 0 1m" -c fsync /srv/export/c.dat'
	old=$(extents server /srv/export/c.dat)
	must "fiemap of c.dat" test -n "$old"
	# Fill the filesystem first, so that the canary written right after the
	# truncate can only go to the blocks the truncate freed.
	fill_canaries server /srv/export 0 > /dev/null
	must "filesystem nearly full" on server '[ $(df -m --output=avail /srv/export | tail -n1) -le 1 ]'

	out=$(on server -t 300 "
		$HELPERS/dmaread /dev/mapper/lbslow /srv/export/c.dat 1048576 > /run/dmaread.out 2>&1 &
		pid=\$!
		# The read is in flight once dmaread has mapped the file and sleeps
		# uninterruptibly in pread (dm-delay holds the bio; bio-based dm
		# does not count it in inflight).
		$LBVM wait-for 30 sh -c \"grep -q mapped /run/dmaread.out && [ \\\$(cut -d' ' -f3 /proc/\$pid/stat) = D ]\" ||
			{ echo no-inflight; cat /run/dmaread.out; kill \$pid; exit 1; }
		echo truncate_start \$(date +%s%N)
		truncate -s 0 /srv/export/c.dat
		echo truncate_end \$(date +%s%N)
		sync
		# ENOSPC ends it: it takes whatever is free, the freed blocks too.
		# (/tmp/canary is the pattern fill_canaries left behind.)
		dd if=/tmp/canary of=/srv/export/canary.dma bs=64k status=none 2>/dev/null
		wait \$pid
		echo dmaread_rc=\$?
		cat /run/dmaread.out")
	sed 's/^/    # /' <<< "$out"
	dma_done=$(awk '/^done/ {print $2}' <<< "$out")
	trunc_start=$(awk '/^truncate_start/ {print $2}' <<< "$out")
	trunc_end=$(awk '/^truncate_end/ {print $2}' <<< "$out")
	must "dma in flight before the truncate" test -n "$trunc_start"
	must "dma completed" test -n "$dma_done"
	record truncate_ms "$(( (trunc_end - trunc_start) / 1000000 ))"
	record truncate_end_minus_dma_done_ms "$(( (trunc_end - dma_done) / 1000000 ))"
	# The truncate wakes when the read's bio drops its page references,
	# a moment before the read returns to dmaread: allow 250 ms for that.
	# Without the wait the truncate returns seconds before the read does.
	check "truncate-waited-for-dma" ge "$(( trunc_end + 250000000 ))" "$dma_done"

	ov=$(overlap "$old" "$(extents server /srv/export/canary.dma)")
	record canary_bytes_on_freed_blocks "$ov"
	check "canary-on-freed-blocks" gt "$ov" 0
	foreign=$(canaries_foreign_bytes server /srv/export/canary.dma)
	record canary_foreign_bytes "$foreign"
	check "canary-clean" eq "$foreign" 0
	on server 'rm -f /srv/export/canary*; dmsetup remove lbslow' > /dev/null
}
