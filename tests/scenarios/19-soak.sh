# Soak: every kind of external layout reference at once while the server
# changes the files' layouts (tests/lib/soak.py). client1 writes through
# its pNFS block layout (NVMe-oF over RDMA); client2 mounts over NFS/RDMA
# without a block device, so its data goes as NFS WRITEs over RDMA, and
# also drives RDMA WRITE/READ into a DAX memory region that the server
# serves under a layout lease. The server truncates, punches, zeroes,
# collapses, inserts and extends the same files. A model of each file's
# content is the oracle: any byte that differs is a corruption. make check
# runs 2 minutes; make soak DURATION=... (default 10 minutes) runs it alone.
DESC="soak: pNFS block, NFS/RDMA and RDMA MR traffic against truncate/punch/collapse/insert, checked against a model"
OURS_ONLY=soak-clean
TIMEOUT=$(( ${LB_SOAK_SECONDS:-120} + 1800 ))

scenario() {
	local secs=${LB_SOAK_SECONDS:-120} out rc vm splats=0 n
	declare -A mark
	server_up --fs dax --size 300m --dax-pins
	client_up client1 $SERVER_ADDR
	client_up client2 $SERVER_ADDR2 --proto rdma --no-nvme
	note "client2: $(on client2 'grep " /mnt/pnfs " /proc/mounts')"
	must "client2 mount over rdma" on client2 'grep " /mnt/pnfs " /proc/mounts | grep -q "proto=rdma"'
	for vm in server client1 client2; do mark[$vm]=$(console_mark "$vm"); done
	python3 "$LB_TOP/tests/lib/soak.py" --seconds "$secs" --run-dir "$LB_RUN" ${LB_SOAK_ARGS:-} \
		--top "$LB_TOP" --helpers "$HELPERS" --out "$LB_SCEN_DIR" 2>&1 |
		sed -u 's/^/    # /'
	rc=${PIPESTATUS[0]}
	for vm in server client1 client2; do
		n=$(console_splats "$vm" "${mark[$vm]}" | wc -l)
		splats=$((splats + n))
	done
	out=$LB_SCEN_DIR/soak.json
	must "soak report" test -s "$out"
	record soak_seconds "$secs"
	record soak_operations "$(jq .operations_total "$out")"
	record soak_corruptions "$(jq .corruptions "$out")"
	record soak_failures "$(jq '.failures | length' "$out")"
	record soak_breaks "$(jq -c .breaks "$out")"
	record soak_console_splats "$splats"
	check "soak-clean" eq "$rc" 0
	check "soak-no-corruption" eq "$(jq .corruptions "$out")" 0
	# Breaks of RDMA regions' leases must have been waited for; pNFS
	# recalls and DAX DMA waits are counted when they happen (client1
	# returns its layouts when it closes the file; pinned pages are
	# usually unpinned by the time the lease break returns).
	check "soak-waited-for-pins" eq "$(jq '.breaks // {} | has("pin")' "$out")" true
	check "soak-no-console-splat" eq "$splats" 0
	on server "rm -f /srv/export/soak-*" > /dev/null
}
