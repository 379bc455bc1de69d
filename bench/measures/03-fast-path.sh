# Fast-path cost: I/O and page faults on a DAX file that has no external
# references, where ours adds only the checks that find nothing to break.
# fio (psync, 4 KiB random writes and reads) and mmap write-fault
# throughput (tests/helpers/timeop faults). Goal: ours/stock at least 0.99;
# under emulation the spread of the repeats is reported next to the ratio.
. "$LB_TOP/bench/lib.sh"
DESC="fast path: fio and mmap faults on a DAX file without external references"
TIMEOUT=1800

scenario() {
	local i rw out iops per
	server_up --fs dax --size 300m
	on server "xfs_io -f -c 'pwrite -q 0 64m' /srv/export/fp.dat; xfs_io -f -c 'truncate 64m' /srv/export/fault.dat"
	for i in $(seq "$BENCH_REPEAT"); do
		for rw in randwrite randread; do
			progress "fast path: fio $rw $i/$BENCH_REPEAT"
			out=$(on server -t 600 "fio --name=fp --filename=/srv/export/fp.dat --size=64m --rw=$rw \
				--bs=4k --ioengine=psync --runtime=$BENCH_SECS --time_based --output-format=json" 2>/dev/null)
			iops=$(jq -r ".jobs[0].${rw#rand}.iops | floor" <<< "$out" 2>/dev/null)
			must "fio $rw ran" test -n "$iops" -a "$iops" != null
			sample "fio-$rw-4k" dax "$iops" iops
		done
		progress "fast path: mmap faults $i/$BENCH_REPEAT"
		per=$(on server -t 600 "timeout 500 $HELPERS/timeop faults /srv/export/fault.dat $((64 << 20)) $((BENCH_SECS / 2 + 1))" |
			sed -n 's/.* per_s //p')
		must "faults timed" test -n "$per"
		sample mmap-write-faults dax "$per" faults/s
	done
	on server "rm -f /srv/export/fp.dat /srv/export/fault.dat" > /dev/null
}
