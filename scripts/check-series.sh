#!/bin/bash
# make check-series: what upstream reviewers check before reading a series.
# For each patch of kernel-patches/series then nfsd-ext/series, in order:
# scripts/checkpatch.pl --strict, then the tree with the series applied up
# to and including it is built (incrementally, in our test object directory),
# so that every patch builds on its own; on the last one, sparse (make C=2)
# runs over every file the series touches.
#
#   scripts/check-series.sh [--no-build]
#
# checkpatch CHECKs for the idioms of the files touched (XFS's function
# definitions with the name on its own line, TRACE_EVENT macro layout) are
# listed but do not fail; errors and warnings do.
# Exit status: 0 clean, 1 a patch has checkpatch errors or warnings, does not
# build, or sparse warns on a touched file; 2 setup failed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
LB_STAGE=check-series

build=1
[ "${1:-}" = --no-build ] && build=0

# (a series naming a missing file fails here, not with half the patches)
plist=$(lb_patches ours) || exit 2
patches=()
[ -n "$plist" ] && mapfile -t patches <<< "$plist"
[ ${#patches[@]} -gt 0 ] || { say "the series is empty"; exit 0; }
# kernel.sh prepares the tree (and builds the whole series) first.
"$LB_TOP/scripts/kernel.sh" ours test > /dev/null || exit 2
tree=$LB_BUILD/src/linux
obj=$LB_BUILD/obj/ours-test
export CCACHE_DIR=${CCACHE_DIR:-$LB_CACHE/ccache}
export CCACHE_BASEDIR=$LB_BUILD CCACHE_NOHASHDIR=1
export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
kmake() { make -C "$tree" O="$obj" ARCH=x86_64 CC="ccache gcc" "$@"; }

bad=0 n=0
echo "1..$(( ${#patches[@]} + 2 ))"
git -C "$tree" reset -q --hard base
for p in "${patches[@]}"; do
	n=$((n + 1))
	name=$(basename "$p")
	out=$("$tree/scripts/checkpatch.pl" --strict --no-tree -q "$p" 2>&1)
	errs=$(grep -cE '^(ERROR|WARNING):' <<< "$out")
	checks=$(grep -cE '^CHECK:' <<< "$out")
	git -C "$tree" am -q --keep-cr "$p" || { echo "not ok $n - $name: does not apply"; exit 1; }
	built=skipped
	if [ $build = 1 ]; then
		say "building with $name"
		if kmake -s -j"$(( $(nproc) + 1 ))" bzImage > "$obj/check-series.log" 2>&1; then
			built=ok
		else
			built=FAILED
			grep -E 'error' "$obj/check-series.log" | head -n 5 | sed 's/^/#   /'
		fi
	fi
	if [ "$errs" -gt 0 ] || [ "$built" = FAILED ]; then
		echo "not ok $n - $name: checkpatch $errs errors/warnings, $checks checks; build $built"
		grep -E '^(ERROR|WARNING):' -A2 <<< "$out" | sed 's/^/#   /'
		bad=$((bad + 1))
	else
		echo "ok $n - $name: checkpatch 0 errors/warnings, $checks checks; build $built"
	fi
	grep -E '^CHECK:' -A1 <<< "$out" | grep -E '^CHECK|FILE:' | paste - - | sed 's/^/#   /'
done

# sparse over the C files the series touches.
n=$((n + 1))
mapfile -t files < <(git -C "$tree" diff --name-only base HEAD -- '*.c')
objs=()
for f in "${files[@]}"; do
	[ -f "$obj/${f%.c}.o" ] && objs+=("${f%.c}.o")
done
if [ ${#objs[@]} -gt 0 ]; then
	touch "${files[@]/#/$tree/}"
	sp=$(kmake -s C=1 CHECK="sparse" "${objs[@]}" 2>&1 | grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error)' )
	# Only lines the series added count; sparse's complaints about untouched
	# code are upstream's.
	mine=0
	while IFS= read -r l; do
		[ -n "$l" ] || continue
		f=${l%%:*} ln=$(cut -d: -f2 <<< "$l")
		f=${f#../../src/linux/}
		if git -C "$tree" blame -L "$ln,$ln" base..HEAD -- "$f" 2>/dev/null | grep -qv "^^"; then
			echo "#   $l"
			mine=$((mine + 1))
		fi
	done <<< "$sp"
	if [ $mine = 0 ]; then
		echo "ok $n - sparse: no warning on lines the series adds (${#objs[@]} objects)"
	else
		echo "not ok $n - sparse: $mine warnings on lines the series adds"
		bad=$((bad + 1))
	fi
else
	echo "ok $n - sparse: no object to check # SKIP"
fi

# every mutant applies on top of the whole series
n=$((n + 1))
stale=()
for m in "$LB_TOP"/tests/mutants/*.patch; do
	[ -e "$m" ] || continue
	git -C "$tree" apply --check "$m" 2> /dev/null || stale+=("$(basename "$m" .patch)")
done
if [ ${#stale[@]} = 0 ]; then
	echo "ok $n - mutants: every one applies to the series"
else
	echo "not ok $n - mutants: ${#stale[@]} no longer apply to the series: ${stale[*]}"
	bad=$((bad + 1))
fi
echo "$((n - bad)) passed, $bad failed"
[ $bad = 0 ]
