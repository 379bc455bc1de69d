# Break latency against the number of pinned memory regions: N processes
# each register a writable RDMA memory region on the same DAX file under
# their own layout lease (tests/helpers/daxpin reg -l -w -H); a truncate
# breaks every lease and waits until each holder has deregistered its
# region and let its lease go. Stock refuses the regions (no layout
# leases), which is recorded.
#
# And against the number of DMAs in flight: N O_DIRECT reads from a slow
# device (dm-delay, 5 s) into DAX mappings of N different MiB of
# the file (tests/helpers/dmaread); once all are in flight the file is
# truncated to zero, which must wait for every one of them. Recorded: the
# truncate's time, and how long after the last DMA's read returned to its
# process the truncate returned (negative: before it; the break wakes when
# the bio lets go of its pages, a moment before the read returns). Both
# kernels wait for these DMAs (stock for any DMA into the file).
. "$LB_TOP/bench/lib.sh"
DESC="break latency against the number of RDMA memory regions pinned under layout leases, and of DMAs in flight"
TIMEOUT=2400
DMA_DELAY_MS=5000

scenario() {
	local i n k ns got f=/srv/export/pins.dat
	server_up --fs dax --size 300m --dax-pins
	for n in 1 2 4 8; do
		for i in $(seq "$BENCH_REPEAT"); do
			progress "break vs pins: $n region(s), $i/$BENCH_REPEAT"
			on server "rm -f $f /run/pin.*.out; xfs_io -f -c 'pwrite -q 0 8m' $f
				for k in \$(seq $n); do
					setsid $HELPERS/daxpin reg $f -l -w -H -n $((1 << 20)) -t 120 < /dev/null > /run/pin.\$k.out 2>&1 &
				done"
			if ! on server "$LBVM wait-for 60 sh -c '[ \$(cat /run/pin.*.out | grep -c -e ^holding -e \"failed\") -ge $n ]'" > /dev/null ||
				on server "grep -q failed /run/pin.*.out" > /dev/null; then
				note "$(on server 'grep -h failed /run/pin.*.out | head -n 1')"
				sample break-pinned-refused "$n-regions" 1 count
				on server "pkill -x daxpin; true"
				break
			fi
			got=$(on server "grep -l ^holding /run/pin.*.out | wc -l")
			must "$n regions registered" test "$got" = "$n"
			ns=$(timeop server truncate $f 0)
			must "truncate timed" test -n "$ns"
			sample break-pinned "$n-regions" "$ns" ns
			on server "$LBVM wait-for 30 sh -c '! pgrep -x daxpin > /dev/null'" > /dev/null
		done
	done
	on server "rm -f $f" > /dev/null

	slow_device $DMA_DELAY_MS
	for n in 1 2 4 8; do
		for i in $(seq "$BENCH_REPEAT"); do
			progress "break vs DMA in flight: $n DMA(s), $i/$BENCH_REPEAT"
			break_vs_dma $n $f
		done
	done
	on server "rm -f $f /run/dma.*.out; dmsetup remove lbslow" > /dev/null
}

# break_vs_dma N FILE: one truncate against N DMAs in flight, sampled. A
# try counts only if the truncate began before the first DMA's read
# returned (every one in flight); starting a program in the VM can take a
# good part of a second under emulation, hence the long device delay, and a
# late try is run again, up to 3 tries.
break_vs_dma() {
	local n=$1 f=$2 out ns end first last try
	for try in 1 2 3; do
		out=$(on server -t 300 "
			rm -f $f /run/dma.*.out
			xfs_io -f -c 'pwrite -q 0 8m' -c fsync $f || exit 1
			for k in \$(seq $n); do
				$HELPERS/dmaread /dev/mapper/lbslow $f 1048576 \$(( (k - 1) << 20 )) > /run/dma.\$k.out 2>&1 &
			done
			# Every reader has mapped its range and sleeps in the read.
			$LBVM wait-for 30 sh -c '[ \$(grep -l mapped /run/dma.*.out | wc -l) = $n ] &&
				[ \$(pgrep -x dmaread | wc -l) = $n ] &&
				for p in \$(pgrep -x dmaread); do read -r a b st c < /proc/\$p/stat; [ \$st = D ] || exit 1; done' || exit 1
			$HELPERS/timeop truncate $f 0 || exit 1
			wait
			cat /run/dma.*.out")
		ns=$(sed -n 's/^ns //p' <<< "$out")
		end=$(sed -n 's/^end //p' <<< "$out")
		must "truncate against $n DMA(s) timed" test -n "$ns"
		must "every DMA returned" test "$(grep -c '^done' <<< "$out")" = "$n"
		read -r first last < <(awk '$1 == "done" { if (lo == "" || $2 < lo) lo = $2; if ($2 > hi) hi = $2 }
			END { print lo, hi }' <<< "$out")
		if [ $(( end - ns )) -lt "$first" ]; then
			sample break-dma "$n-dmas" "$ns" ns
			sample break-dma-after-last "$n-dmas" "$(( end - last ))" ns
			return 0
		fi
		note "try $try: the truncate began after a DMA had returned; again"
	done
	must "a truncate began with $n DMA(s) in flight" false
}
