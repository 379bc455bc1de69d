# Helpers for the bench measures (bench/measures/*.sh). The measures are
# run by tests/run as scenarios of their own, on the bench kernels (no
# lockdep or other debug options), and by tests/scenarios/21-bench-smoke.sh
# with LB_BENCH_SMOKE=1 on the test kernel, small and once, so that they
# keep working. Sourced after tests/lib/scenario.sh.

# Repeats of each sample inside one boot, and sizes; smaller for the smoke.
if [ -n "${LB_BENCH_SMOKE:-}" ]; then
	BENCH_REPEAT=1 BENCH_MIB=2 BENCH_SECS=2
else
	BENCH_REPEAT=${LB_BENCH_REPEAT:-5} BENCH_MIB=${LB_BENCH_MIB:-16} BENCH_SECS=${LB_BENCH_SECS:-10}
fi

# sample MEASURE PARAM VALUE UNIT: one measured value, to samples.csv in the
# measure's result directory; bench/report.py reads them from every run.
sample() {
	echo "    # sample $1 $2 = $3 $4"
	echo "$1,$2,$3,$4" >> "$LB_SCEN_DIR/samples.csv"
}

# progress TEXT: where a long measure is: in the log, and on the runner's
# stderr when tests/run gives its descriptor (LB_PROGRESS_FD).
progress() {
	echo "    # progress: $*"
	[ -n "${LB_PROGRESS_FD:-}" ] && echo "[bench] $LB_KERNEL: $*" >&"$LB_PROGRESS_FD"
	true
}

# timeop VM ARGS...: tests/helpers/timeop in VM; prints its nanoseconds.
timeop() {
	local vm=$1
	shift
	on "$vm" -t 300 "timeout 240 $HELPERS/timeop $*" | sed -n 's/^ns //p'
}

# trace_ts EVENT TRACE: the timestamp (s.us) of each EVENT line.
trace_ts() {
	grep -E " $1: " <<< "$2" | sed -nE 's/.* ([0-9]+\.[0-9]+): [a-z_]+: .*/\1/p'
}

# recall_round_trip_ns TRACE: from the first CB_LAYOUTRECALL nfsd queued
# (nfsd_layout_recall) to the end of that callback (nfsd_layout_recall_release:
# the client answered and its layouts are returned, or it said it had none),
# in ns; nothing if either is missing.
recall_round_trip_ns() {
	local t0
	t0=$(trace_ts nfsd_layout_recall "$1" | head -n1)
	[ -n "$t0" ] || return 0
	trace_ts nfsd_layout_recall_release "$1" |
		awk -v t0="$t0" '$1 >= t0 { printf "%d\n", ($1 - t0) * 1e9; exit }'
}

# recall_delays TRACE: how many "not yet" answers (NFS4ERR_DELAY) to a
# CB_LAYOUTRECALL nfsd polled through.
recall_delays() { grep -c 'nfsd_cb_layout_done: .*status=-10008' <<< "$1"; }

# log_recall_trace TRACE: the recall, delegation and compound events of a
# trace (SEQUENCE left out), into the log, to show where a recall's time went.
log_recall_trace() {
	grep -E ' (nfsd_layout_recall|nfsd_layout_recall_release|nfsd_cb_layout_done|nfsd_cb_recall|nfsd_cb_recall_done|nfsd_compound_status): ' <<< "$1" |
		grep -v SEQUENCE | sed -E 's/^ *[^ ]+ +\[[0-9]+\] [^ ]+ +/    # trace: /' | head -40
}

# layouts_held VM FILE MIB_OFFSET: VM holds FILE open and has written 1 MiB
# at MIB_OFFSET through its pNFS layout.
layouts_held() {
	hold_open "$1" "/mnt/pnfs/$2"
	must "$1 writes at ${3} MiB" test -n "$(client_write_at "$1" "/mnt/pnfs/$2" "$3" 1)"
}
