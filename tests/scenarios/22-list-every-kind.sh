# layoutctl list shows every kind of external reference to a file's layout
# at once, on the server: a pNFS client's layout (l.dat), a layout lease
# held by a script under `layoutctl lease` (q.dat), a long-term pin - an
# RDMA memory region under daxpin's layout lease (p.dat) - and DMA in
# flight: an O_DIRECT read from a slow device into a DAX mapping (m.dat).
# DMA references and pins come from the dax_busy lines of the file's
# fdinfo. A file whose name spells out other fields of nfsd's states line
# (and a newline) forges nothing in the listing. Stock has no userspace
# layout leases and no such lines.
DESC="layoutctl list shows a pNFS layout, a layout lease, a pin and DMA in flight together"
OURS_ONLY=list-shows-layout-lease
TIMEOUT=900

MIB=1048576
E=/srv/export

scenario() {
	local out pin_pid lease_pid kinds
	server_up --fs dax --size 300m --dax-pins
	client_up client1 $SERVER_ADDR
	slow_device 20000

	# A pNFS layout: client1 writes [0, 4M) of l.dat through it and keeps
	# the file open.
	on server "xfs_io -f -c 'truncate 16m' $E/l.dat" > /dev/null
	hold_open client1 /mnt/pnfs/l.dat
	must "client1 writes through its layout" test -n "$(client_write_at client1 /mnt/pnfs/l.dat 0 4)"

	must "files" on server "
		xfs_io -f -c 'pwrite -q -S 0x61 0 4m' -c fsync $E/p.dat
		xfs_io -f -c 'pwrite -q -S 0x62 0 1m' -c fsync $E/q.dat
		xfs_io -f -c 'pwrite -q -S 0x63 0 2m' -c fsync $E/m.dat"

	# A pin: 1 MiB of p.dat registered as a writable memory region under a
	# layout lease, held until the lease breaks.
	on server "
		setsid $HELPERS/daxpin reg $E/p.dat -l -w -n $MIB -H -t 300 < /dev/null > /run/pin.out 2>&1 &
		echo \$! > /run/pin.pid
		$LBVM wait-for 60 grep -qE '^(holding|reg failed|lease failed)' /run/pin.out" > /dev/null
	pin_pid=$(on server 'cat /run/pin.pid')
	note "daxpin: $(on server 'cat /run/pin.out' | tr '\n' ';')"

	# A layout lease on q.dat held by layoutctl for a script.
	on server "
		setsid $LAYOUTCTL lease $E/q.dat -- sleep 300 < /dev/null > /run/lease.out 2>&1 &
		echo \$! > /run/lease.pid
		$LBVM wait-for 30 sh -c \"grep -q ' \$(cat /run/lease.pid) ' /proc/locks\"" > /dev/null
	lease_pid=$(on server 'cat /run/lease.pid')

	# DMA in flight into the second MiB of m.dat: the read sleeps in D
	# state while dm-delay holds its bio.
	must "dma in flight" on server "
		$HELPERS/dmaread /dev/mapper/lbslow $E/m.dat $MIB $MIB > /run/dmaread.out 2>&1 &
		echo \$! > /run/dmaread.pid
		$LBVM wait-for 30 sh -c \"grep -q mapped /run/dmaread.out && [ \\\$(cut -d' ' -f3 /proc/\$!/stat) = D ]\""

	out=$(on server "$LAYOUTCTL list $E")
	sed 's/^/    # /' <<< "$out"
	out=$(on server "$LAYOUTCTL list $E --json")
	kinds=$(jq -c '[.references[] | {kind, file: (.file.name // "" | split("/") | last), offset, length, pid: .holder.pid, client: .client.address}]' <<< "$out")
	note "list --json: $kinds"

	check "list-shows-pnfs-layout" eq "$(jq '[.references[] | select(.kind == "pnfs-layout" and (.file.name | endswith("/l.dat")))] | length' <<< "$out")" 1
	check "list-shows-layout-lease" eq "$(jq "[.references[] | select(.kind == \"layout-lease\" and .holder.pid == $lease_pid)] | length" <<< "$out")" 1
	check "list-shows-pin" eq "$(jq -r "[.references[] | select(.kind == \"pin\" and .holder.pid == $pin_pid) | \"\\(.file.name) \\(.offset) \\(.length)\"] | join(\",\")" <<< "$out")" "$E/p.dat 0 $MIB"
	check "list-shows-dax-dma" eq "$(jq -r '[.references[] | select(.kind == "dax-dma") | "\(.file.name) \(.offset) \(.length)"] | join(",")' <<< "$out")" "$E/m.dat $MIB $MIB"
	check "list-dax-reported" eq "$(jq '.sources.dax_fdinfo' <<< "$out")" true
	# The client's lease credential, and its NFSv4 name through libnfsidmap.
	note "pNFS client identity: $(jq -c '[.references[] | select(.kind == "pnfs-layout") | .client | {name, principal, uid, gid, user}] | unique' <<< "$out")"
	check "list-names-pnfs-client" eq "$(jq -r '[.references[] | select(.kind == "pnfs-layout") | .client | "\(.uid | type) \(.user | type)"] | unique | join(",")' <<< "$out")" "number string"
	out=$(on server "$LAYOUTCTL list $E/m.dat --json")
	check "list-file-only-its-own" eq "$(jq -r '[.references[].kind] | join(",")' <<< "$out")" dax-dma

	# Let everything go: the DMA completes, the holders end.
	on server -t 120 "
		kill \$(cat /run/pin.pid) \$(cat /run/lease.pid) 2>/dev/null
		$LBVM wait-for 60 sh -c '! kill -0 \$(cat /run/dmaread.pid) 2>/dev/null'
		$LBVM wait-for 30 sh -c '! kill -0 \$(cat /run/pin.pid) 2>/dev/null && ! kill -0 \$(cat /run/lease.pid) 2>/dev/null'
		dmsetup remove lbslow" > /dev/null
	out=$(on server "$LAYOUTCTL list $E/m.dat --json")
	check "nothing-busy-after-dma" eq "$(jq '[.references[] | select(.kind == "dax-dma" or .kind == "pin")] | length' <<< "$out")" 0

	# A file name is the client's to choose: one that spells out other
	# fields of the states line, and a newline and a stateid of its own,
	# forges nothing. nfsd quotes it (\xHH); layoutctl reads the real
	# segment, no failed fence, and one layout for the file.
	must "client1 writes a file with a forged name" on client1 -t 300 "
		cd /mnt/pnfs && n=\$(printf 'evil\\042, segments: [ rw:0:1 ], fence-failed, x: \\042\\n- 0x01: { type: layout, filename: \\042y\\042 }')
		setsid sh -c 'exec 3<>\"\$0\"; exec sleep 3600' \"\$n\" < /dev/null > /dev/null 2>&1 &
		echo \$! > /run/forged.pid
		dd if=/dev/urandom of=\"\$n\" bs=1M count=2 oflag=direct conv=fsync,notrunc status=none"
	must "client1 holds a layout on the forged name" on server "$LBVM wait-for 30 sh -c 'grep -h evil /proc/fs/nfsd/clients/*/states | grep -q \"type: layout\"'"
	out=$(on server 'cat /proc/fs/nfsd/clients/*/states')
	sed -n 's/^/    # states: /p' <<< "$out"
	out=$(grep evil <<< "$out")
	check "forged-name-quoted" eq "$(grep -cF '/evil\x22, segments: [ rw:0:1 ], fence-failed, x: \x22\x0a- 0x01: { type: layout, filename: \x22y\x22 }"' <<< "$out")" "$(wc -l <<< "$out")"
	out=$(on server "$LAYOUTCTL list $E --json")
	note "forged: $(jq -c '[.references[] | select(.kind == "pnfs-layout" and (.file.name | contains("evil"))) | {name: .file.name, segments, fence_failed}]' <<< "$out")"
	check "forged-name-one-layout" eq "$(jq '[.references[] | select(.kind == "pnfs-layout" and ((.file.name | contains("evil")) or (.file.name | endswith("y"))))] | length' <<< "$out")" 1
	check "forged-name-true-segment" eq "$(jq -r '[.references[] | select(.kind == "pnfs-layout" and (.file.name | contains("evil"))) | .segments[] | select(.offset < 2097152) | .length] | add == 2097152 and min >= 4096' <<< "$out")" true
	check "forged-name-no-fence-failed" eq "$(jq '[.references[] | select(.fence_failed == true)] | length' <<< "$out")" 0
	on client1 'kill $(cat /run/forged.pid) 2>/dev/null' > /dev/null
	release_open client1
	on client1 "$LBVM client-down" > /dev/null
}
