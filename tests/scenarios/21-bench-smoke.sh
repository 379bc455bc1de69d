# The bench measures (bench/measures/), once each with small sizes, on the
# test kernel, and bench/report.py over what they recorded: make bench
# keeps working. No figure is judged here; speed is for make bench.
DESC="bench smoke: every bench measure runs once, small, and the report is written"
TIMEOUT=1800

scenario() {
	local m name dir=$LB_SCEN_DIR rc
	for m in "$LB_TOP"/bench/measures/*.sh; do
		name=$(basename "$m" .sh)
		mkdir -p "$dir/r1-$LB_KERNEL/$name"
		(
			export LB_SCEN_DIR=$dir/r1-$LB_KERNEL/$name LB_BENCH_SMOKE=1
			. "$m"
			scenario
		) 2>&1 | sed -u 's/^/  /'
		rc=${PIPESTATUS[0]}
		[ $rc = 0 ] || note "$name failed at: $(cat "$dir/r1-$LB_KERNEL/$name/failed" 2>/dev/null)"
		check "measure-$name" eq "$rc" 0
		check "measure-$name-sampled" test -s "$dir/r1-$LB_KERNEL/$name/samples.csv"
	done
	python3 "$LB_TOP/bench/report.py" --results "$dir" --out "$dir/report" 2>&1 | sed 's/^/    # /'
	check "report-written" test -s "$dir/report/results.json"
	record bench_smoke_samples "$(( $(wc -l < "$dir/report/samples.csv") - 1 ))"
	record bench_smoke_plots "$(ls "$dir/report/plots" 2>/dev/null | wc -l)"
}
