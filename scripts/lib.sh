# Shared helpers for the build and test scripts. Sourced, not run.

LB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LB_BUILD=${LB_BUILD:-$LB_TOP/build}
LB_CACHE=${LB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/layoutbreak}
LB_KVER=$(sed -n '1{s/[[:space:]]//g;p}' "$LB_TOP/configs/kernel-version")

say() { printf '[%s] %s\n' "${LB_STAGE:-layoutbreak}" "$*"; }
die() { printf '[%s] error: %s\n' "${LB_STAGE:-layoutbreak}" "$*" >&2; exit 1; }

# Fragments merged for a kernel variant, in merge order.
lb_fragments() {
	local variant=$1 f
	for f in base pmem xfs nfs rdma; do echo "$LB_TOP/configs/$f.config"; done
	case $variant in
	test)  echo "$LB_TOP/configs/debug.config" ;;
	kasan) echo "$LB_TOP/configs/debug.config"; echo "$LB_TOP/configs/kasan.config" ;;
	bench) echo "$LB_TOP/configs/trace.config" ;;
	*) die "unknown kernel variant '$variant' (test, bench, kasan)" ;;
	esac
}

# Patches applied for a kernel, in order, one path per line.
lb_patches() {
	local kernel=$1 s p
	case $kernel in
	stock) return 0 ;;
	ours) ;;
	*) die "unknown kernel '$kernel' (ours, stock)" ;;
	esac
	for s in kernel-patches nfsd-ext; do
		while read -r p; do
			case $p in ''|'#'*) continue ;; esac
			[ -f "$LB_TOP/$s/$p" ] || die "$s/series names $p, which does not exist"
			echo "$LB_TOP/$s/$p"
		done < "$LB_TOP/$s/series"
	done
	if [ -n "${LB_MUTANT:-}" ]; then
		[ -f "$LB_MUTANT" ] || die "mutant $LB_MUTANT does not exist"
		echo "$LB_MUTANT"
	fi
}

# Bump when scripts/kernel.sh changes what it builds from the same inputs.
LB_KERNEL_FORMAT=1

# Cache key: source version, fragments and patches.
lb_kernel_key() {
	local kernel=$1 variant=$2
	{
		echo "format $LB_KERNEL_FORMAT version $LB_KVER"
		echo "kernel $kernel variant $variant"
		lb_fragments "$variant" | xargs cat
		lb_patches "$kernel" | xargs -r cat
	} | sha256sum | cut -c1-16
}

lb_kernel_dir() {
	local kernel=$1 variant=${2:-test} name
	name=$kernel-$variant
	[ -n "${LB_MUTANT:-}" ] && name=$name-$(basename "$LB_MUTANT" .patch)
	echo "$LB_CACHE/kernels/$name-$LB_KVER-$(lb_kernel_key "$kernel" "$variant")"
}
