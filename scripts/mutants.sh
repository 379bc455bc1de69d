#!/bin/bash
# make mutants: prove the tests can fail. Each patch in tests/mutants/ removes
# one break (a recall, a wait, a range check) and names, in "Caught-by:"
# lines of its message, the scenario and the assertion that must then fail:
#
#   Caught-by: 02-truncate-recall cb-layoutrecall-sent
#
# For each mutant this builds our kernel plus that patch (incrementally, in
# our object directory), runs the named scenarios, and reports the mutant
# caught only when every named scenario failed at its named assertion. A
# boot failure, hang or timeout does not count; a kernel warning on top of
# the failed assertion is reported beside it.
#
#   scripts/mutants.sh [MUTANT...]     (names or parts of names)
# Exit status: 0 every mutant caught, 1 some mutant missed, 2 setup failed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
LB_STAGE=mutants

list=()
for m in "$LB_TOP"/tests/mutants/*.patch; do
	[ -e "$m" ] || continue
	if [ $# -eq 0 ]; then list+=("$m"); continue; fi
	for p in "$@"; do case $(basename "$m") in *"$p"*) list+=("$m"); break ;; esac; done
done
[ ${#list[@]} -gt 0 ] || { say "no mutants in tests/mutants/"; exit 2; }

echo "1..${#list[@]}"
n=0 caught=0 missed=0
for m in "${list[@]}"; do
	n=$((n + 1))
	name=$(basename "$m" .patch)
	mapfile -t want < <(sed -n 's/^Caught-by: *//p' "$m")
	if [ ${#want[@]} -eq 0 ]; then
		echo "not ok $n - $name: no Caught-by line"
		missed=$((missed + 1))
		continue
	fi
	say "building our kernel with mutant $name"
	if ! LB_MUTANT=$m "$LB_TOP/scripts/kernel.sh" ours test > /dev/null; then
		echo "not ok $n - $name: the mutant kernel did not build"
		missed=$((missed + 1))
		continue
	fi
	ok=1 why=""
	for w in "${want[@]}"; do
		read -r scen assertion <<< "$w"
		LB_MUTANT=$m LB_RESULTS_NAME=mutant-$name "$LB_TOP/tests/run" --kernel ours "$scen" |
			sed 's/^/#   /'
		got=$(python3 -c '
import json, sys
for s in json.load(open(sys.argv[1]))["scenarios"]:
    if s["scenario"].startswith(sys.argv[2]):
        print(s["status"], s.get("failed_assertion") or "-", s["failed_at"] or "-")
' "$LB_BUILD/results/mutant-$name/summary.json" "$scen" 2>/dev/null)
		read -r status at how <<< "$got"
		if [ "$status" = fail ] && [ "$at" = "$assertion" ]; then
			why+=" $scen:$assertion"
			[ "$how" = console ] && why+=" (and a kernel warning on the console)"
		else
			ok=0
			why+=" $scen: wanted failure at $assertion, got ${status:-no result} at ${at:--}"
		fi
	done
	if [ $ok = 1 ]; then
		echo "ok $n - $name caught by$why"
		caught=$((caught + 1))
	else
		echo "not ok $n - $name missed:$why"
		missed=$((missed + 1))
	fi
done
echo "# mutants: $caught caught, $missed missed"
echo "$caught passed, $missed failed"
[ $missed = 0 ]
