# A long-term pin of DAX memory that outlives everything that allowed it.
# daxpin takes a layout lease on a 1 MiB DAX file, maps it, registers the
# mapping as an io_uring fixed buffer (fs.layout-lease-pins=1), then
# unmaps it, releases the lease (F_UNLCK) and closes the file, keeping only
# the registered buffer; later it reads 1 MiB of 0x5a into that buffer
# through the ring, as a device DMAs into pinned pages. The pinned blocks
# must stay the file's for as long as the pin lasts, whatever happens to
# the file:
#  - unlink: the file is removed, but its blocks are not freed (canaries
#    written into a full filesystem cannot reach them, and the "DMA"
#    afterwards lands in no canary); once the buffer is unregistered they
#    are freed within seconds;
#  - exit: the holder killed instead of unregistering (fds and the ring go
#    in whatever order exit takes): the blocks are freed once the ring is;
#  - F_UNLCK with pins in the lease's range fails (EBUSY): the lease stays
#    for a truncate to break;
#  - cache eviction (drop_caches) of the closed, linked file, then a
#    truncate: it fails with ETXTBSY after lease-break-time, the file
#    unchanged, and succeeds once the buffer is unregistered;
#  - a lease may not shrink (F_SETLAYOUT) away from the pinned pages
#    (EBUSY): a truncate of them breaks it and fails with ETXTBSY after
#    lease-break-time, the file unchanged;
#  - DMA with no lease to break (O_DIRECT in flight from a slow device):
#    the truncate's wait for the page ends with ETXTBSY after
#    lease-break-time.
# On the series before the pin held its file, the unlink freed the pinned
# blocks at once and the "DMA" overwrote the canaries now in them. Stock
# refuses the pin (EOPNOTSUPP), so nothing else is shown there.
DESC="a DAX pin keeps its file: unlink, exit, eviction free nothing under it; F_UNLCK and shrinks away from it EBUSY; DMA with no lease: truncate ETXTBSY"
OURS_ONLY=pin-registered
TIMEOUT=1200

D=/srv/export/outlive
BREAK_S=5

# avail: free bytes of the export, after sync (which also runs the
# inode garbage collection that frees an unlinked inode's blocks).
avail() { on server "sync; df -B1 --output=avail /srv/export | tail -n1 | tr -d ' '"; }

# space_back BYTES: wait (30 s at most) until at least BYTES are free.
space_back() {
	on server -t 60 "$LBVM wait-for 30 sh -c '[ \$(sync; df -B1 --output=avail /srv/export | tail -n1) -ge $1 ]' && echo back || echo not-back"
}

scenario() {
	local out old pid before after fill ms t0
	server_up --fs dax --size 300m --no-nvmet --dax-pins
	must "lease-break-time" on server "echo $BREAK_S > /proc/sys/fs/lease-break-time"
	must "dir" on server "mkdir -p $D && chmod 777 $D"

	# 1. unlink under the pin.
	must "a.dat" on server "xfs_io -f -c 'pwrite -q -S 0x61 0 1m' -c fsync $D/a.dat"
	old=$(extents server $D/a.dat)
	must "fiemap of a.dat" test -n "$old"
	# Full, so that files written after the unlink can only take the
	# blocks it frees.
	fill=$(fill_canaries server /srv/export 0)
	must "filesystem nearly full" on server '[ $(df -m --output=avail /srv/export | tail -n1) -le 1 ]'
	daxpin_bg u1 uring $D/a.dat -l -X -t 900
	out=$(daxpin_out u1)
	note "holder: $(tr '\n' ';' <<< "$out")"
	check "pin-registered" grep -q '^reg ok uring' <<< "$out"
	check "holder-dropped-all-but-pin" grep -q '^dropped' <<< "$out"
	pid=$(daxpin_pid u1)
	before=$(avail)
	t0=$(on server "date +%s%N")
	must "rm a.dat" on server "rm $D/a.dat"
	record rm_ms "$(( ($(on server "date +%s%N") - t0) / 1000000 ))"
	after=$(avail)
	record freed_by_rm_bytes "$(( after - before ))"
	check "rm-frees-no-pinned-block" lt "$(( after - before ))" 1048576
	canaries_over "$old" 0
	record canary_bytes_on_pinned_blocks "$CANARY_OVERLAP"
	check "no-canary-on-pinned-blocks" eq "$CANARY_OVERLAP" 0
	on server "kill -USR1 $pid; $LBVM wait-for 60 grep -q '^dma done' /run/u1.out" > /dev/null
	out=$(daxpin_out u1)
	note "dma: $(grep '^dma' <<< "$out")"
	check "dma-after-unlink-done" grep -q '^dma done res=1048576' <<< "$out"
	out=$(canaries_foreign_bytes server $fill $CANARIES)
	record foreign_canary_bytes "$out"
	check "canaries-intact" eq "$out" 0
	# The F_UNLCK before the close was refused: the lease stays, for the
	# next change to break.
	check "unlck-refused-while-pinned" grep -q '^unlck errno=16 ' <<< "$(daxpin_out u1)"
	check "lease-kept-after-close" grep -qE "LAYOUT +[A-Z]+ +READ +$pid " <<< "$(on server 'cat /proc/locks')"
	# Unpinned: the orphan goes, its blocks with it.
	before=$(avail)
	on server "kill -USR2 $pid; $LBVM wait-for 30 grep -q '^unregistered' /run/u1.out" > /dev/null
	out=$(space_back $(( before + 1048576 )))
	check "blocks-freed-after-unpin" eq "$out" back
	check "lease-gone-after-unpin" eq "$(on server "$LBVM wait-for 30 sh -c '! grep -q \" $pid \" /proc/locks' && echo gone")" gone
	on server "kill $pid" > /dev/null 2>&1
	must "canaries removed" on server "rm -f $(echo $fill $CANARIES)"

	# 2. The holder exits instead: the blocks come back once its ring goes.
	must "b.dat" on server "xfs_io -f -c 'pwrite -q -S 0x62 0 1m' -c fsync $D/b.dat"
	daxpin_bg u2 uring $D/b.dat -l -X -t 900
	pid=$(daxpin_pid u2)
	check "exit-pin-registered" grep -q '^dropped' <<< "$(daxpin_out u2)"
	before=$(avail)
	must "rm b.dat" on server "rm $D/b.dat"
	after=$(avail)
	check "exit-rm-frees-no-pinned-block" lt "$(( after - before ))" 1048576
	on server "kill -9 $pid; $LBVM wait-for 30 sh -c '! kill -0 $pid 2>/dev/null'" > /dev/null
	out=$(space_back $(( after + 1048576 )))
	check "blocks-freed-after-exit" eq "$out" back

	# 3. Eviction of the closed, linked file, then a truncate.
	must "c.dat" on server "xfs_io -f -c 'pwrite -q -S 0x63 0 1m' -c fsync $D/c.dat"
	daxpin_bg u3 uring $D/c.dat -l -X -t 900
	pid=$(daxpin_pid u3)
	# (after daxpin's own check, a read of one page into the buffer)
	before=$(server_sum $D/c.dat)
	check "evict-pin-registered" grep -q '^dropped' <<< "$(daxpin_out u3)"
	must "drop_caches" on server "sync; echo 2 > /proc/sys/vm/drop_caches"
	out=$(on server -t 120 "s=\$(date +%s%N)
		timeout 60 truncate -s 0 $D/c.dat 2>&1; echo rc=\$? ms=\$(( (\$(date +%s%N) - s) / 1000000 ))")
	note "truncate after eviction: $(tr '\n' ' ' <<< "$out")"
	ms=$(sed -n 's/.*ms=\([0-9]*\).*/\1/p' <<< "$out")
	record evicted_truncate_ms "$ms"
	check "evicted-truncate-etxtbsy" grep -q 'Text file busy' <<< "$out"
	check "evicted-file-unchanged" eq "$(server_sum $D/c.dat)" "$before"
	on server "kill -USR1 $pid; $LBVM wait-for 60 grep -q '^dma done' /run/u3.out" > /dev/null
	out=$(on server "head -c 1048576 /dev/zero | tr '\\0' Z | cmp - $D/c.dat 2>&1 && echo same")
	note "read into the buffer: $(daxpin_out u3 | grep '^dma'); file against it: $out; $(on server "od -An -tx1 -N8 $D/c.dat; od -An -tx1 -j 1040384 -N8 $D/c.dat" | tr '\n' ' ')"
	check "evicted-dma-lands-in-file" eq "$out" same
	on server "kill -USR2 $pid; $LBVM wait-for 30 grep -q '^unregistered' /run/u3.out" > /dev/null
	out=$(on server -t 120 "$LBVM wait-for 30 truncate -s 0 $D/c.dat && echo rc=0")
	check "truncate-after-unpin" eq "$out" rc=0
	on server "kill $pid" > /dev/null 2>&1

	# 4. A lease may not shrink away from its pins (F_SETLAYOUT): EBUSY,
	# so it still covers them, a truncate of the pinned part breaks it
	# (the holder, ignoring, is told) and fails with ETXTBSY after
	# lease-break-time, the file unchanged.
	must "d.dat" on server "xfs_io -f -c 'pwrite -q -S 0x64 0 1m' -c fsync $D/d.dat"
	daxpin_bg u4 uring $D/d.dat -R 1048576 -X -S 4096 -t 900
	pid=$(daxpin_pid u4)
	before=$(server_sum $D/d.dat)
	out=$(daxpin_out u4)
	note "holder: $(tr '\n' ';' <<< "$out")"
	check "shrink-off-pins-refused" grep -q '^shrink errno=16 ' <<< "$out"
	out=$(on server -t 120 "s=\$(date +%s%N)
		timeout 60 truncate -s 8192 $D/d.dat 2>&1; echo rc=\$? ms=\$(( (\$(date +%s%N) - s) / 1000000 ))")
	note "truncate of the pins the lease kept: $(tr '\n' ' ' <<< "$out")"
	ms=$(sed -n 's/.*ms=\([0-9]*\).*/\1/p' <<< "$out")
	record kept_lease_truncate_ms "$ms"
	check "kept-lease-truncate-etxtbsy" grep -q 'Text file busy' <<< "$out"
	check "kept-lease-holder-told" grep -q '^break .* ignored' <<< "$(daxpin_out u4)"
	check "kept-lease-file-unchanged" eq "$(server_sum $D/d.dat)" "$before"
	on server "kill -USR2 $pid; $LBVM wait-for 30 grep -q '^unregistered' /run/u4.out" > /dev/null
	out=$(on server -t 120 "$LBVM wait-for 30 truncate -s 8192 $D/d.dat && echo rc=0")
	check "kept-lease-truncate-after-unpin" eq "$out" rc=0
	on server "kill $pid" > /dev/null 2>&1

	# 5. DMA with no lease to break (an O_DIRECT read from a 20 s
	# dm-delay device into a DAX mapping): the truncate's wait for the
	# page ends with ETXTBSY after lease-break-time, the file unchanged;
	# once the read is done the truncate completes.
	slow_device 20000
	must "e.dat" on server "xfs_io -f -c 'pwrite -q -S 0x65 0 1m' -c fsync $D/e.dat"
	must "dma in flight" on server "
		$HELPERS/dmaread /dev/mapper/lbslow $D/e.dat 1048576 > /run/dr5.out 2>&1 &
		echo \$! > /run/dr5.pid
		$LBVM wait-for 30 sh -c \"grep -q mapped /run/dr5.out && [ \\\$(cut -d' ' -f3 /proc/\$!/stat) = D ]\""
	out=$(on server -t 120 "s=\$(date +%s%N)
		timeout 60 truncate -s 0 $D/e.dat 2>&1; echo rc=\$? ms=\$(( (\$(date +%s%N) - s) / 1000000 ))")
	note "truncate under DMA with no lease: $(tr '\n' ' ' <<< "$out")"
	ms=$(sed -n 's/.*ms=\([0-9]*\).*/\1/p' <<< "$out")
	record unleased_dma_truncate_ms "$ms"
	check "unleased-pins-truncate-etxtbsy" grep -q 'Text file busy' <<< "$out"
	out=$(on server -t 60 "$LBVM wait-for 40 grep -q '^done' /run/dr5.out && echo done")
	check "unleased-dma-completes" eq "$out" done
	# (what the read put there: the slow device's first MiB, read from
	# the ram disk under it)
	check "unleased-pins-file-unchanged" eq "$(server_sum $D/e.dat)" "$(on server "head -c 1048576 /dev/ram0 | sha256sum | cut -d' ' -f1")"
	out=$(on server -t 120 "$LBVM wait-for 30 truncate -s 0 $D/e.dat && echo rc=0")
	check "unleased-truncate-after-dma" eq "$out" rc=0
	on server "dmsetup remove lbslow" > /dev/null 2>&1
	on server "kill $pid; rm -rf $D" > /dev/null 2>&1
}
