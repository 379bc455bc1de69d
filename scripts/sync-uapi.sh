#!/bin/bash
# The uapi headers layoutctl compiles against (utils/uapi/) are copies of
# what the kernel series generates. This makes the series' version of each
# from the prepared tree's base (the unpacked release, git tag "base" in
# $LB_BUILD/src/linux, see scripts/kernel.sh) and the patches of
# kernel-patches/series and nfsd-ext/series that touch it, applied in order
# in a scratch directory (the tree is only read, whatever is checked out in
# it), and compares it with the copy.
#
#   scripts/sync-uapi.sh [--update] [TREE]
#
# --update rewrites the copies that differ. TREE defaults to
# $LB_BUILD/src/linux.
# Exit status: 0 the copies match, 1 a copy differs (the diff is printed) or
# a patch does not apply, 2 no prepared tree (nothing compared), 3 usage.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
LB_STAGE=sync-uapi

update=0
if [ "${1:-}" = --update ]; then
	update=1
	shift
fi
[ $# -le 1 ] || { echo "usage: scripts/sync-uapi.sh [--update] [TREE]" >&2; exit 3; }
tree=${1:-$LB_BUILD/src/linux}
headers=(include/uapi/linux/nfsd_netlink.h)

if ! git -C "$tree" rev-parse -q --verify 'base^{commit}' > /dev/null 2>&1; then
	say "no prepared kernel tree at $tree (scripts/kernel.sh makes one): nothing compared"
	exit 2
fi
# (a series naming a missing file fails here, not with half the patches)
plist=$(lb_patches ours) || exit 2
patches=()
[ -n "$plist" ] && mapfile -t patches <<< "$plist"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bad=0
for h in "${headers[@]}"; do
	copy=$LB_TOP/utils/uapi/${h#include/uapi/}
	mkdir -p "$tmp/$(dirname "$h")"
	git -C "$tree" show "base:$h" > "$tmp/$h" 2> /dev/null || : > "$tmp/$h"
	for p in "${patches[@]}"; do
		grep -qxF -e "+++ b/$h" "$p" || continue
		# git apply outside a repository patches the files under the
		# current directory; --include keeps it to this header.
		if ! (cd "$tmp" && GIT_CEILING_DIRECTORIES=$(dirname "$tmp") git apply --include="$h" "$p"); then
			say "$(basename "$p") does not apply to $h"
			exit 1
		fi
	done
	if cmp -s "$tmp/$h" "$copy"; then
		say "utils/uapi/${h#include/uapi/} is the series' $h"
		continue
	fi
	if [ $update = 1 ]; then
		mkdir -p "$(dirname "$copy")"
		cp "$tmp/$h" "$copy"
		say "utils/uapi/${h#include/uapi/} updated from the series' $h"
		continue
	fi
	say "utils/uapi/${h#include/uapi/} differs from the series' $h (scripts/sync-uapi.sh --update copies it):"
	diff -u "$copy" "$tmp/$h" | sed 's/^/#   /'
	bad=1
done
exit $bad
