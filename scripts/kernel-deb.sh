#!/bin/bash
# Installable Debian packages of our kernel for a real server: Debian's own
# amd64 config (package linux-config-6.12) with the feature fragments merged
# on top (not the VM-only base and debug fragments), the patch series
# applied, built with `make bindeb-pkg`. Slow: hours on two cores.
#
#   scripts/kernel-deb.sh        packages land in build/deb/
set -euo pipefail
. "$(dirname "$0")/lib.sh"
LB_STAGE=kernel-deb

for p in linux-config-6.12 debhelper rsync; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || {
		say "installing $p (apt-get)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" > /dev/null
	}
done
cfg=$(ls /usr/src/linux-config-6.12/config.amd64_none_amd64.xz 2>/dev/null) ||
	die "Debian's amd64 config not found in linux-config-6.12"

# Reuse the source tree and patches that scripts/kernel.sh prepares.
"$LB_TOP/scripts/kernel.sh" ours test > /dev/null
tree=$LB_BUILD/src/ours
obj=$LB_BUILD/obj/deb
mkdir -p "$obj" "$LB_BUILD/deb"
xz -dc "$cfg" > "$obj/.config"
# Debian signs its modules with its own key; a local build cannot.
sed -i -e '/CONFIG_SYSTEM_TRUSTED_KEYS/d' -e '/CONFIG_MODULE_SIG_KEY/d' "$obj/.config"
(cd "$obj" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
	"$LB_TOP"/configs/{pmem,xfs,nfs,rdma}.config > /dev/null)
make -C "$tree" O="$obj" olddefconfig > /dev/null
say "building Debian packages in $obj (log: $obj/build.log)"
make -C "$tree" O="$obj" -j"$(( $(nproc) + 1 ))" CC="ccache gcc" \
	LOCALVERSION=-layoutbreak KDEB_PKGVERSION="$LB_KVER-1layoutbreak" bindeb-pkg > "$obj/build.log" 2>&1 ||
	die "build failed; see $obj/build.log"
mv "$LB_BUILD"/obj/*.deb "$LB_BUILD/deb/"
say "packages: $(ls "$LB_BUILD"/deb/*.deb | xargs -n1 basename | tr '\n' ' ')"
