# The matrix: every operation that frees or moves blocks, crossed with every
# kind of reference a server-local holder can have on the range, each cell
# measured and recorded (cell_OP_REF=OUTCOME in the scenario's metrics).
# Sourced by tests/matrix/local.sh (make matrix: every column) and by
# tests/scenarios/36-matrix-uring.sh (make check: the io_uring column).
#
# The file: f.dat, 4 MiB of 0x61 (for "hole", [1M, 2M) a hole). The
# reference covers [1M, 2M), at an offset that is not 0:
#   uring  an io_uring fixed buffer (a writable long-term pin) under a
#          layout lease on [1M, 3M) that does not start at 0; the holder
#          unmaps, is refused F_UNLCK (EBUSY), closes, keeps the buffer and
#          ignores every break (daxpin uring -O -X)
#   mr     an RDMA memory region, writable, the same way (daxpin reg -w)
#   hole   a read-only RDMA region over a hole (daxpin reg): the pin
#          write-faults the hole first
#   ro     a read-only RDMA region over written blocks (daxpin reg): no
#          write fault, the pin holds the blocks as they are
#   dma    DMA in flight with no lease: an O_DIRECT read from a 20 s
#          dm-delay device into the file's DAX mapping (dmaread)
# Each cell: the operation (at most 60 s), then the filesystem is filled
# with canaries (forced reuse of whatever it freed), then the "device"
# writes: uring reads 1 MiB of 0x5a into its buffer, dma's read ends.
# Nothing may have landed elsewhere: no canary on the pinned blocks, no
# canary byte changed, no other file (donor, source, clone) changed by the
# DMA. If the operation was refused, the DMA landed in the file and the
# operation succeeds once the reference is gone.
#
#   pnfs   a pNFS block layout of client1 (39-matrix-pnfs):
#          client1 holds f.dat open and has written [1M, 2M) through its
#          layout, directly to the shared device; after the operation (and
#          the canaries) it writes [1M, 2M) again. A layout that was not
#          recalled before the blocks were freed, moved or shared puts that
#          write into a canary or another file; a recalled one makes the
#          client ask again (or write through the server) and the write
#          lands in f.dat. Moving the range is allowed here, but only after
#          a CB_LAYOUTRECALL to client1.
# OUTCOME: refused-ETXTBSY-<ms> (with "+then-done" once let go), done-<ms>,
# waited-<ms> (it completed once the DMA was over: the blocks it freed were
# no longer referenced, so canaries may take them),
# failed-<errno text>, no-ref-<why> (the reference could not be taken: stock
# refuses long-term pins of fsdax memory), LOST-... (what landed where).

MX=/srv/export/mx
F=$MX/f.dat
MX_BREAK_S=5

MX_OPS="truncate punch zero collapse insert unshare swapext reflink-onto reflink-from dedupe-onto exchange unlink repair write-eof cow-other cow-prealloc post-eof"

# mx_phys FILE OFF LEN: the physical byte ranges ("start end") that hold
# [OFF, OFF + LEN) of FILE.
mx_phys() {
	on server "xfs_io -r -c 'fiemap -v' '$1'" | awk -v o=$(( $2 / 512 )) -v e=$(( ($2 + $3) / 512 )) '
		$1 ~ /^[0-9]+:$/ && $3 !~ /hole/ {
			l = $2; gsub(/[^0-9.]/, "", l); split(l, lr, /\.\./)
			p = $3; gsub(/[^0-9.]/, "", p); split(p, pr, /\.\./)
			ls = lr[1]; le = lr[2] + 1; ps = pr[1]
			s = ls > o ? ls : o; t = le < e ? le : e
			if (t > s) print (ps + s - ls) * 512, (ps + t - ls) * 512
		}'
}

# mx_sums FILES: "NAME SUM" of those that exist.
mx_sums() {
	on server "for f in $*; do [ -e \$f ] && echo \"\$f \$(sha256sum < \$f | cut -d' ' -f1)\"; done; true"
}

# mx_dma_sum REF: the sha256 of the 1 MiB REF's device writes (uring: 0x5a
# through the ring; dma: the slow device's first MiB); fails for the
# references that write nothing.
mx_dma_sum() {
	case $1 in
	uring) on server "head -c 1048576 /dev/zero | tr '\\0' '\\132' | sha256sum | cut -d' ' -f1" ;;
	dma) on server "head -c 1048576 /dev/ram0 | sha256sum | cut -d' ' -f1" ;;
	*) return 1 ;;
	esac
}

mx_cleanup() { on server "kill \$(cat /run/mx.pid) 2>/dev/null; rm -rf $MX" > /dev/null 2>&1; }

# mx_prepare OP REF: f.dat and what OP needs beside it, before the reference.
# Sets MX_OTHERS (files that must change only as OP changes them).
mx_prepare() {
	local op=$1 ref=$2
	on server "rm -rf $MX; mkdir -p $MX" > /dev/null
	if [ "$ref" = hole ]; then
		must "f.dat" on server "xfs_io -f -c 'pwrite -q -S 0x61 0 1m' -c 'pwrite -q -S 0x61 2m 2m' -c fsync $F"
	else
		must "f.dat" on server "xfs_io -f -c 'pwrite -q -S 0x61 0 4m' -c fsync $F"
	fi
	# MX_SHARED: f.dat has shared extents before the operation
	MX_OTHERS="" MX_SHARED=no
	case $op in
	unshare|cow-other)
		must "clone" on server "cp --reflink=always $F $MX/g.dat"
		MX_OTHERS="$MX/g.dat" MX_SHARED=yes ;;
	swapext|reflink-onto|reflink-from|exchange)
		must "other file" on server "xfs_io -f -c 'pwrite -q -S 0x6f 0 4m' -c fsync $MX/o.dat"
		MX_OTHERS="$MX/o.dat" ;;
	dedupe-onto)
		must "copy" on server "cp --reflink=never $F $MX/o.dat && sync"
		MX_OTHERS="$MX/o.dat" ;;
	cow-prealloc)
		# A copy-on-write of 4 KiB at 1M leaves the rest of its
		# cowextsize (128 KiB) reserved in the CoW fork; the clone then
		# writes 1M + 64K, so that block is the file's alone, with a
		# CoW reservation over it; the operation writes it.
		must "CoW reservation" on server "cp --reflink=always $F $MX/g.dat &&
			xfs_io -c 'pwrite -q -S 0x61 1m 4k' -c fsync $F &&
			xfs_io -c 'pwrite -q -S 0x67 1088k 4k' -c fsync $MX/g.dat && sync"
		MX_OTHERS="$MX/g.dat" MX_SHARED=yes ;;
	esac
}

# mx_op_cmd OP: the shell command that performs OP on f.dat.
mx_op_cmd() {
	case $1 in
	truncate)	echo "truncate -s 524288 $F" ;;
	punch)		echo "xfs_io -c 'fpunch 1m 1m' $F" ;;
	zero)		echo "xfs_io -c 'fzero 1m 1m' $F" ;;
	collapse)	echo "xfs_io -c 'fcollapse 0 1m' $F" ;;
	insert)		echo "xfs_io -c 'finsert 0 1m' $F" ;;
	unshare)	echo "xfs_io -c 'funshare 0 4m' $F" ;;
	swapext)	echo "xfs_io -c 'swapext $MX/o.dat' $F" ;;
	reflink-onto)	echo "xfs_io -c 'reflink -q $MX/o.dat 1m 1m 1m' $F" ;;
	reflink-from)	echo "xfs_io -c 'reflink -q $F 1m 1m 1m' $MX/o.dat" ;;
	dedupe-onto)	echo "xfs_io -c 'dedupe -q $MX/o.dat 1m 1m 1m' $F" ;;
	exchange)	echo "$HELPERS/xchgrange $MX/o.dat 1048576 $F 1048576 1048576" ;;
	unlink)		echo "rm $F" ;;
	repair)		echo "xfs_io -x -c 'repair bmapbtd' $F" ;;
	write-eof)	echo "xfs_io -c 'pwrite -q -S 0x65 8m 64k' -c fsync $F" ;;
	cow-other)	echo "xfs_io -c 'pwrite -q -S 0x67 1m 1m' -c fsync $MX/g.dat && truncate -s 0 $MX/g.dat" ;;
	cow-prealloc)	echo "xfs_io -c 'pwrite -q -S 0x63 1088k 4k' -c fsync $F" ;;
	esac
}

# mx_ref_up REF: take the reference on [1M, 2M) of f.dat. Prints nothing
# and returns 0 once it holds; prints why not and returns 1 otherwise.
mx_ref_up() {
	local out
	case $1 in
	uring)	daxpin_bg mx uring $F -O 1048576 -R 2097152 -X -n 1048576 -t 900 ;;
	mr)	daxpin_bg mx reg $F -O 1048576 -R 2097152 -X -w -n 1048576 -t 900 ;;
	hole|ro) daxpin_bg mx reg $F -O 1048576 -R 2097152 -X -n 1048576 -t 900 ;;
	dma)
		slow_device 20000 > /dev/null
		on server "
			$HELPERS/dmaread /dev/mapper/lbslow $F 1048576 1048576 > /run/mx.out 2>&1 &
			echo \$! > /run/mx.pid
			$LBVM wait-for 30 sh -c \"grep -q mapped /run/mx.out && [ \\\$(cut -d' ' -f3 /proc/\$!/stat) = D ]\"" > /dev/null
		;;
	esac
	out=$(daxpin_out mx)
	case $1 in
	dma) grep -q '^mapped' <<< "$out" && return 0 ;;
	*) grep -q '^dropped' <<< "$out" && return 0 ;;
	esac
	sed -nE 's/^(reg|lease) failed errno=([0-9]+) \((.*)\)$/\1-\3/p' <<< "$out" | head -n1 | tr ' ' '-'
	return 1
}

# mx_dma REF: the device writes (uring) or the in-flight read ends (dma).
mx_dma() {
	case $1 in
	uring) on server -t 90 "kill -USR1 \$(cat /run/mx.pid); $LBVM wait-for 60 grep -q '^dma done' /run/mx.out" > /dev/null ;;
	dma) on server -t 90 "$LBVM wait-for 60 grep -q '^done' /run/mx.out" > /dev/null ;;
	esac
}

# mx_ref_down REF: the reference goes (unregistered, or the DMA is over).
mx_ref_down() {
	case $1 in
	dma) on server -t 90 "$LBVM wait-for 60 grep -q '^done' /run/mx.out; dmsetup remove lbslow" > /dev/null 2>&1 ;;
	*) on server -t 60 "kill -USR2 \$(cat /run/mx.pid); $LBVM wait-for 30 grep -q '^unregistered' /run/mx.out; kill \$(cat /run/mx.pid)" > /dev/null 2>&1 ;;
	esac
}

# mx_run OP: perform OP; sets MX_RC, MX_MS and MX_ERR. Every command prints
# nothing when it succeeds; xfs_io exits 0 when its command failed, so
# anything printed counts as failure (MX_RC 1 if the exit said 0).
mx_run() {
	local out
	out=$(on server -t 120 "s=\$(date +%s%N)
		timeout 60 sh -c \"$(mx_op_cmd "$1")\" > /run/mx.op 2>&1; rc=\$?
		echo rc=\$rc ms=\$(( (\$(date +%s%N) - s) / 1000000 ))
		tr '\n' ' ' < /run/mx.op")
	MX_RC=$(sed -n 's/^rc=\([0-9]*\).*/\1/p' <<< "$out")
	MX_MS=$(sed -n 's/.*ms=\([0-9]*\).*/\1/p' <<< "$out")
	# (xfs_io's repair says so when it found nothing to repair)
	MX_ERR=$(sed -n '2p' <<< "$out" | sed 's/Metadata did not need repair or optimization\.//; s/ *$//')
	[ "$MX_RC" = 0 ] && [ -n "$MX_ERR" ] && MX_RC=1
	return 0
}

# mx_retry OP: OP again until it succeeds, for at most 30 s.
mx_retry() {
	local t=0
	while :; do
		mx_run "$1"
		[ "$MX_RC" = 0 ] || [ $t -ge 30 ] && return 0
		on server "sleep 1" > /dev/null
		t=$((t + 1 + MX_MS / 1000))
	done
}

# mx_outcome: what mx_run's MX_RC, MX_MS and MX_ERR say.
mx_outcome() {
	if [ "$MX_RC" = 0 ]; then
		echo "done-${MX_MS}ms"
	elif grep -q 'Text file busy' <<< "$MX_ERR"; then
		echo "refused-ETXTBSY-${MX_MS}ms"
	elif grep -q 'Device or resource busy' <<< "$MX_ERR"; then
		echo "refused-EBUSY-${MX_MS}ms"
	elif [ "$MX_RC" = 124 ]; then
		echo "hung-60s"
	else
		echo "failed-$(sed 's/.*: //; s/ *$//; s/ /-/g' <<< "$MX_ERR" | cut -c1-40)"
	fi
}

# mx_cell OP REF: one cell of the matrix.
mx_cell() {
	local op=$1 ref=$2 c="$1/$2" why pinned after_op after_dma foreign outcome lands="" gone moved now seen
	local expect
	if [ "$op" = post-eof ]; then
		record "cell_${op}_$ref" "n/a"
		note "$c: a mapping ends at EOF, so no pin or DMA reaches post-EOF blocks (pNFS layouts do: 26-post-eof-layout)"
		return
	fi
	mx_prepare "$op" "$ref"
	if ! why=$(mx_ref_up "$ref"); then
		record "cell_${op}_$ref" "no-ref-${why:-unknown}"
		note "$c: the reference could not be taken: ${why:-unknown}"
		# (stock refuses long-term pins of fsdax memory: its expected
		# failure)
		check "pins-allowed" false
		mx_cleanup
		return
	fi
	pinned=$(mx_phys "$F" 1048576 1048576)
	mx_run "$op"
	# Did the reference end before the operation did (the DMA was over:
	# the operation waited for it)? Then what it freed is free to reuse.
	gone=no
	[ "$ref" = dma ] && on server "grep -q '^done' /run/mx.out" && gone=yes
	if [ "$op" = exchange ] && [ "$MX_RC" = 3 ]; then
		record "cell_${op}_$ref" "n/a-EOPNOTSUPP"
		note "$c: the filesystem cannot exchange ranges ($MX_ERR): Debian 12's mkfs.xfs (xfsprogs 6.1) cannot set the exchange-range feature; XFS_IOC_EXCHANGE_RANGE takes the same two-inode break as swapext and reflink (xfs_ilock2_io_mmap)"
		mx_ref_down "$ref"
		mx_cleanup
		return
	fi
	after_op=$(mx_sums $MX_OTHERS)
	# Still the file's blocks at the same offsets, if the file is there
	# and the reference still holds them? (A moved block is freed, or
	# another file's, whether or not a canary can show it.)
	moved=no
	if [ "$gone" = no ] && on server "test -e $F"; then
		now=$(mx_phys "$F" 1048576 1048576)
		if [ "$now" != "$pinned" ]; then
			moved=yes
			note "$c: the referenced range moved: $(tr '\n' ' ' <<< "$pinned")-> $(tr '\n' ' ' <<< "$now")"
		fi
	fi
	# The references still seen where the operation left the range: a pin
	# whose DAX entries went (an invalidation that drops clean entries)
	# is one no F_UNLCK check, break or watcher sees any more.
	seen=-
	if [ "$gone" = no ] && [ "$moved" = no ] && on server "test -e $F"; then
		seen=$(busy_pages "$F")
		note "$c: pages seen busy after the operation: $seen (of 256)"
	fi
	canaries_over "$pinned" 0
	mx_dma "$ref"
	foreign=$(canaries_foreign_bytes server $CANARIES)
	after_dma=$(mx_sums $MX_OTHERS)
	must "canaries removed" on server "rm -f $(echo $CANARIES)"
	[ "$gone" = yes ] && CANARY_OVERLAP=0
	if [ "$MX_RC" = 0 ] && [ "$gone" = yes ]; then
		outcome="waited-${MX_MS}ms"
	else
		outcome=$(mx_outcome)
	fi
	# Where the device's bytes went, if the file still has the range.
	if [ "$MX_RC" != 0 ] && expect=$(mx_dma_sum "$ref"); then
		[ "$(server_range_sum "$F" 1 1)" = "$expect" ] && lands=yes || lands=no
	fi
	note "$c: rc=$MX_RC ${MX_MS}ms ${MX_ERR:+($MX_ERR)} reference_gone_first=$gone canaries_on_pinned=$CANARY_OVERLAP foreign=$foreign lands=${lands:--}"
	[ "$after_op" = "$after_dma" ] || note "$c: other files changed by the DMA: $after_op -> $after_dma"
	if [ "$CANARY_OVERLAP" != 0 ] || [ "$foreign" != 0 ] || [ "$after_op" != "$after_dma" ] || [ "$lands" = no ] || [ "$moved" = yes ]; then
		outcome="LOST-$outcome"
	fi
	check "$c-bounded" test "$MX_RC" != 124
	check "$c-referenced-blocks-stay" eq "$moved" no
	[ "$seen" = - ] || check "$c-references-still-seen" ge "$seen" 256
	check "$c-no-canary-on-pinned-blocks" eq "$CANARY_OVERLAP" 0
	check "$c-canaries-intact" eq "$foreign" 0
	check "$c-other-files-untouched-by-dma" eq "$after_op" "$after_dma"
	[ -n "$lands" ] && check "$c-dma-lands-in-file" eq "$lands" yes
	mx_ref_down "$ref"
	if [ "$MX_RC" != 0 ]; then
		# The DMA changed f.dat: what a dedupe compares must match again.
		[ "$op" = dedupe-onto ] && on server "dd if=$F of=$MX/o.dat bs=1M skip=1 seek=1 count=1 conv=notrunc,fsync status=none" > /dev/null
		# (an unregistered buffer's pins may go a moment later)
		mx_retry "$op"
		[ "$MX_RC" = 0 ] && outcome="$outcome+then-done" || outcome="$outcome+then-rc$MX_RC"
		[ "$MX_RC" = 0 ] || note "$c: once let go: rc=$MX_RC ($MX_ERR)"
		check "$c-done-once-let-go" eq "$MX_RC" 0
	fi
	record "cell_${op}_$ref" "$outcome"
	mx_cleanup
}

# The pNFS column. MX_CF: f.dat as client1 sees it.
MX_CF=/mnt/pnfs/mx/f.dat

# mx_pnfs_write: client1 writes 1 MiB of random data to [1M, 2M) of f.dat
# (O_DIRECT, fsync); sets MX_CSUM (its sha256, empty if the write failed)
# and MX_WBYTES (the bytes nfsd's WRITEs carried meanwhile: about 0 when
# the data went through a layout).
mx_pnfs_write() {
	local before after
	before=$(on server "$LBVM nfsd-stats")
	MX_CSUM=$(client_write_at client1 "$MX_CF" 1 1 2> /dev/null)
	after=$(on server "$LBVM nfsd-stats")
	MX_WBYTES=$(kv WRITE_BYTES "$(nfsd_delta "$before" "$after")")
}

# mx_cell_pnfs OP: one cell of the pNFS column.
mx_cell_pnfs() {
	local op=$1 c="$1/pnfs" why old now trace n after_op after_write foreign lands=- moved=no outcome id
	if [ "$op" = post-eof ]; then
		record "cell_${op}_pnfs" "n/a"
		note "$c: post-EOF layouts and their trim are 26-post-eof-layout's"
		return
	fi
	mx_prepare "$op" pnfs
	hold_open client1 "$MX_CF"
	mx_pnfs_write
	if [ -z "$MX_CSUM" ] || [ "${MX_WBYTES:-0}" -ge 1048576 ]; then
		# XFS hands out no block layout of a file with shared extents
		# (xfs_fs_map_blocks: -ENXIO); client1 writes through nfsd.
		[ "$MX_SHARED" = yes ] && why=layout-refused-reflinked-inode || why=layout-refused
		[ -z "$MX_CSUM" ] && why=client-write-failed
		record "cell_${op}_pnfs" "no-ref-$why"
		note "$c: client1 holds no layout of [1M, 2M): $why (nfsd WRITE bytes $MX_WBYTES)"
		[ "$why" = layout-refused-reflinked-inode ] || check "$c-layout-taken" false
		release_open client1
		mx_cleanup
		return
	fi
	# what a dedupe compares must match client1's data
	[ "$op" = dedupe-onto ] && must "dedupe source" on server "dd if=$F of=$MX/o.dat bs=1M skip=1 seek=1 count=1 conv=notrunc,fsync status=none"
	old=$(mx_phys "$F" 1048576 1048576)
	id=$(client_id client1)
	on server "$LBVM trace-start"
	mx_run "$op"
	trace=$(on server "$LBVM trace-stop")
	n=$(grep ' nfsd_layout_recall: ' <<< "$trace" | grep -c "client $id ")
	if [ "$op" = exchange ] && [ "$MX_RC" = 3 ]; then
		record "cell_${op}_pnfs" "n/a-EOPNOTSUPP"
		note "$c: the filesystem cannot exchange ranges ($MX_ERR); see exchange/uring"
		release_open client1
		mx_cleanup
		return
	fi
	after_op=$(mx_sums $MX_OTHERS)
	if on server "test -e $F"; then
		now=$(mx_phys "$F" 1048576 1048576)
		[ "$now" = "$old" ] || moved=yes
	fi
	# Freed blocks back to the allocator, then canaries over them; 2 MiB
	# stay free for client1's write (truncate and punch need new blocks).
	canaries_over "$old" 2
	mx_pnfs_write
	foreign=$(canaries_foreign_bytes server $CANARIES)
	after_write=$(mx_sums $MX_OTHERS)
	must "canaries removed" on server "rm -f $(echo $CANARIES)"
	if [ -n "$MX_CSUM" ] && on server "test -e $F"; then
		[ "$(server_range_sum "$F" 1 1)" = "$MX_CSUM" ] && lands=yes || lands=no
	fi
	outcome=$(mx_outcome)
	outcome="recalled-$n-$outcome"
	note "$c: rc=$MX_RC ${MX_MS}ms ${MX_ERR:+($MX_ERR)} CB_LAYOUTRECALL=$n moved=$moved canaries_on_old_blocks=$CANARY_OVERLAP foreign=$foreign write_through_nfsd=$MX_WBYTES lands=$lands"
	[ "$after_op" = "$after_write" ] || note "$c: other files changed by client1's write: $after_op -> $after_write"
	if [ "$foreign" != 0 ] || [ "$after_op" != "$after_write" ] || [ "$lands" = no ] ||
	   { [ "$moved" = yes ] && [ "$n" = 0 ]; }; then
		outcome="LOST-$outcome"
	fi
	check "$c-bounded" test "$MX_RC" != 124
	check "$c-done" eq "$MX_RC" 0
	check "$c-moved-only-after-recall" test "$moved" = no -o "$n" -gt 0
	check "$c-canaries-intact" eq "$foreign" 0
	check "$c-other-files-untouched-by-client" eq "$after_op" "$after_write"
	check "$c-client-write-done" test -n "$MX_CSUM"
	[ "$lands" = - ] || check "$c-client-write-lands-in-file" eq "$lands" yes
	record "cell_${op}_pnfs" "$outcome"
	release_open client1
	mx_cleanup
}

mx_progress() { { echo "#   $*" >&7; } 2> /dev/null || true; }

# mx_columns REF...: every operation (LB_MX_OPS: some of them) against
# each of REF.
mx_columns() {
	local ref op
	LB_KEEP_GOING=1
	if [[ " $* " = *" pnfs "* ]]; then
		server_up --fs daxreflink --size 300m --dax-pins
		client_up client1 $SERVER_ADDR
	else
		server_up --fs daxreflink --size 300m --no-nvmet --dax-pins
	fi
	must "lease-break-time" on server "echo $MX_BREAK_S > /proc/sys/fs/lease-break-time"
	# Ballast (allocated, never written), so that each cell's canaries
	# fill only the last 48 MiB, and whatever the operation freed.
	ballast 48
	for ref in "$@"; do
		for op in ${LB_MX_OPS:-$MX_OPS}; do
			mx_progress "matrix: $op/$ref"
			if [ "$ref" = pnfs ]; then
				mx_cell_pnfs "$op"
			else
				mx_cell "$op" "$ref"
			fi
		done
	done
}
