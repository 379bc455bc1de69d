#!/bin/bash
# Build a guest kernel: Debian's linux-source at the pinned version, with
# (ours) or without (stock) the patch series, from the config fragments.
#
#   scripts/kernel.sh [ours|stock] [test|bench|kasan]
#
# Built images are kept in $LB_CACHE/kernels/, keyed by source version,
# fragments, patches and this script, so an unchanged kernel is never built
# twice, whichever checkout asks. Prints the image's directory on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
kernel=${1:-ours}
variant=${2:-test}
LB_STAGE="kernel $kernel-$variant"

out=$(lb_kernel_dir "$kernel" "$variant")
if [ -f "$out/bzImage" ]; then
	say "cached: $out" >&2
	echo "$out"
	exit 0
fi

tarball=/usr/src/linux-source-6.12.tar.xz
have=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null | sed 's/-.*//')
if [ "$have" != "$LB_KVER" ]; then
	# The archive moves on (a newer 6.12.y replaces the pinned one as
	# linux-source-6.12's candidate) but keeps earlier versions for a
	# while: install exactly the pinned one.
	full=$(apt-cache madison linux-source-6.12 2>/dev/null |
		awk -v v="$LB_KVER" '{ split($3, a, "-") } a[1] == v && !f { f = $3 } END { print f }')
	[ -n "$full" ] ||
		die "linux-source-6.12 is version '${have:-not installed}', configs/kernel-version pins $LB_KVER, and the archive offers no $LB_KVER (apt-cache madison linux-source-6.12); change the pin and re-run the tests"
	say "installing Debian's linux-source-6.12 $full, the pinned version (apt-get; '${have:-none}' was installed)" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		--allow-downgrades "linux-source-6.12=$full" > /dev/null ||
		die "apt-get install linux-source-6.12=$full failed"
	have=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null | sed 's/-.*//')
fi
[ "$have" = "$LB_KVER" ] && [ -f "$tarball" ] ||
	die "linux-source-6.12 is version '$have', but configs/kernel-version pins $LB_KVER; install that version or change the pin (and re-run the tests)"

export GIT_AUTHOR_NAME=layoutbreak GIT_AUTHOR_EMAIL=layoutbreak@localhost
export GIT_COMMITTER_NAME=layoutbreak GIT_COMMITTER_EMAIL=layoutbreak@localhost
export GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' GIT_COMMITTER_DATE='2026-01-01T00:00:00Z'

# One source tree for every kernel, at one path, so that ccache hits across
# kernels and checkouts; each kernel has its own object directory. Builds
# take turns on the tree.
src=$LB_BUILD/src
tree=$src/linux
mkdir -p "$src"
exec 9> "$src/.lock"
flock 9
if [ "$(cat "$tree/.git/lb-version" 2>/dev/null)" != "$LB_KVER" ]; then
	say "unpacking $tarball" >&2
	rm -rf "$tree" "$src/tmp"
	mkdir -p "$src/tmp"
	tar -C "$src/tmp" -xf "$tarball"
	mv "$src/tmp/linux-source-6.12" "$tree"
	rmdir "$src/tmp"
	v=$(make -s -C "$tree" kernelversion)
	[ "$v" = "$LB_KVER" ] || die "unpacked source says $v, pinned $LB_KVER"
	say "making a throwaway git tree of the source" >&2
	git -C "$tree" init -q
	git -C "$tree" add -A -f  # Debian's .gitignore hides the top level
	git -C "$tree" commit -q -m "Linux $LB_KVER (Debian linux-source-6.12)"
	git -C "$tree" tag base
	echo "$LB_KVER" > "$tree/.git/lb-version"
fi

# Every prefix of the patch list that was applied before is tagged by the
# hash of its contents. Resetting to the longest such prefix rewrites only
# the files that differ from what the tree holds now, so switching between
# mutants, or from a mutant back to ours, recompiles only what they touch.
git -C "$tree" am --abort > /dev/null 2>&1 || true
# (a series naming a missing file fails here, not with half the patches)
plist=$(lb_patches "$kernel") || exit 2
patches=()
[ -n "$plist" ] && mapfile -t patches <<< "$plist"
at=base key=base todo=()
for p in "${patches[@]}"; do
	key=$( { echo "$key"; cat "$p"; } | sha256sum | cut -c1-16)
	if [ ${#todo[@]} -eq 0 ] && git -C "$tree" rev-parse -q --verify "refs/tags/lb-$key" > /dev/null; then
		at=lb-$key
	else
		todo+=("$key:$p")
	fi
done
git -C "$tree" reset -q --hard "$at"
if [ ${#todo[@]} -gt 0 ]; then
	say "applying ${#todo[@]} of ${#patches[@]} patches with git am" >&2
	for t in "${todo[@]}"; do
		git -C "$tree" am -q --keep-cr "${t#*:}" >&2 ||
			die "git am failed; see 'git -C $tree am --show-current-patch'"
		git -C "$tree" tag -f "lb-${t%%:*}" > /dev/null
	done
fi

# A mutant is ours plus one patch, built in our object directory, so that
# only what it touches is recompiled.
obj=$LB_BUILD/obj/$kernel-$variant
mkdir -p "$obj"
export CCACHE_DIR=${CCACHE_DIR:-$LB_CACHE/ccache}
export CCACHE_BASEDIR=$LB_BUILD CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
export KBUILD_BUILD_TIMESTAMP='2026-01-01' KBUILD_BUILD_USER=layoutbreak KBUILD_BUILD_HOST=layoutbreak
command -v ccache >/dev/null || die "ccache is not installed (make deps)"
kmake() { make -C "$tree" O="$obj" ARCH=x86_64 CC="ccache gcc" "$@"; }

say "configuring from: $(lb_fragments "$variant" | xargs -n1 basename | tr '\n' ' ')" >&2
kmake -s tinyconfig >/dev/null
mapfile -t frags < <(lb_fragments "$variant")
(cd "$obj" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${frags[@]}" >/dev/null)
kmake -s olddefconfig >/dev/null
# Every option a fragment asks for must have survived olddefconfig.
bad=0
for f in "${frags[@]}"; do
	while IFS= read -r line; do
		case $line in CONFIG_*=*) ;; *) continue ;; esac
		opt=${line%%=*} want=${line#*=}
		if [ "$want" = n ]; then
			grep -qx "$opt=[ym]" "$obj/.config" && { say "$(basename "$f"): $opt is set, wanted off" >&2; bad=1; }
		else
			grep -qxF "$line" "$obj/.config" || { say "$(basename "$f"): $line did not stick ($(grep "^$opt=\|# $opt " "$obj/.config" || echo unset))" >&2; bad=1; }
		fi
	done < "$f"
done
[ $bad = 0 ] || die "config fragments do not apply cleanly; fix configs/"

jobs=$(( $(nproc) + 1 ))
log=$obj/build.log
say "building bzImage with $jobs jobs (ccache $CCACHE_DIR); log: $log" >&2
start=$(date +%s)
kmake -j"$jobs" bzImage > "$log" 2>&1 &
pid=$!
while kill -0 $pid 2>/dev/null; do
	for _ in $(seq 30); do kill -0 $pid 2>/dev/null || break; sleep 1; done
	kill -0 $pid 2>/dev/null || break
	n=$(grep -c '^  CC ' "$log" || true)
	say "$(( $(date +%s) - start ))s: $n files compiled, now: $(tail -n1 "$log" | cut -c1-60)" >&2
done
if ! wait $pid; then
	grep -E 'error|Error' "$log" | head -20 >&2
	die "kernel build failed; see $log"
fi
say "built in $(( $(date +%s) - start ))s" >&2

mkdir -p "$(dirname "$out")"
tmp=$out.tmp.$$
rm -rf "$tmp"
mkdir -p "$tmp"
cp "$obj/arch/x86/boot/bzImage" "$obj/.config" "$obj/System.map" "$tmp/"
git -C "$tree" log --oneline base..HEAD > "$tmp/patches.txt" 2>/dev/null || : > "$tmp/patches.txt"
mv "$tmp" "$out"
echo "$out"
