# Break latency against the number of pinned memory regions: N processes
# each register a writable RDMA memory region on the same DAX file under
# their own layout lease (tests/helpers/daxpin reg -l -w -H); a truncate
# breaks every lease and waits until each holder has deregistered its
# region and let its lease go. Stock refuses the regions (no layout
# leases), which is recorded. In-flight DMA without a pin is measured by
# the DMA scenarios' traces (tests/scenarios/03, 12), not here.
. "$LB_TOP/bench/lib.sh"
DESC="break latency against the number of RDMA memory regions pinned under layout leases"
TIMEOUT=1800

scenario() {
	local i n k ns got f=/srv/export/pins.dat
	server_up --fs dax --size 300m
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
}
