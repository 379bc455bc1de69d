# A fence that fails must not let the layout change go on. The fencing
# helper (layoutctl as /sbin/nfsd-recall-failed) is configured without
# client2's NVMe-oF subsystem, so it exits non-zero; client2 is frozen while
# it holds a layout on g.dat, and the server's truncate of g.dat fails with
# ETXTBSY: the file and client2's layout stay. Once client2 is resumed, a
# truncate after the lease period recalls the layout again and completes.
# Last, a helper that hangs is killed after one lease period and counts as a
# failed fence the same way.
#
# Stock nfsd returns the layout whatever the helper did (or, with the
# client's lease run out, without running it at all) and the truncate
# frees the blocks.
DESC="a failed or hung fence keeps the layout and refuses the truncate; a later truncate recalls again"
OURS_ONLY=failed-fence-refuses-truncate
TIMEOUT=1200

scenario() {
	local out d size before tries list
	trap thaw_all EXIT
	server_up --fs dax --size 300m
	client_up client2 $SERVER_ADDR2

	must "misconfigured fence helper" on server "$LBVM fence-helper --misconfigure client2"
	on server 'xfs_io -f -c "truncate 8m" /srv/export/g.dat'
	hold_open client2 /mnt/pnfs/g.dat
	must "client2 write g.dat" test -n "$(client_write client2 /mnt/pnfs/g.dat 8)"
	before=$(server_sum /srv/export/g.dat)
	must "freeze client2" vm_freeze client2
	frozen="client2"
	out=$(on server -t 180 "timeout 120 perl -e 'truncate(\$ARGV[0], 0) or die \"truncate: \$!\\n\"' /srv/export/g.dat 2>&1; echo rc=\$?")
	note "truncate with a failed fence: $(tr '\n' ' ' <<< "$out")"
	size=$(on server "stat -c %s /srv/export/g.dat")
	record size_after_failed_fence "$size"
	d=$(on server "dmesg | grep -E 'nfsd: (client|fence)' | tail -n 2")
	while read -r l; do [ -n "$l" ] && note "server: ${l#*] }"; done <<< "$d"
	check "failed-fence-refuses-truncate" grep -q "Text file busy" <<< "$out"
	check "file-unchanged" eq "$(server_sum /srv/export/g.dat)" "$before"
	list=$(on server "$LAYOUTCTL list /srv/export/g.dat --json")
	note "list: $(jq -c '[.references[] | select(.kind == "pnfs-layout") | {client: .client.address, ranges: .ranges_text}]' <<< "$list")"
	check "layout-kept" eq "$(jq '[.references[] | select(.kind == "pnfs-layout" and (.client.address | startswith("10.55.2.2")))] | length' <<< "$list")" 1

	# Resumed, client2 answers the next recall: a truncate after the lease
	# period completes (each try before that fails at once).
	must "thaw client2" vm_thaw client2
	frozen=""
	tries=$(on server -t 200 "
		for i in \$(seq 60); do
			if timeout 60 perl -e 'truncate(\$ARGV[0], 0) or die' /srv/export/g.dat 2>/dev/null; then
				echo \$i; exit 0
			fi
			sleep 1	# the lease period is a time, not an event
		done; echo 0")
	record truncate_tries_after_thaw "$tries"
	check "truncate-after-client-returns" gt "$tries" 0

	# A helper that hangs is killed after one lease period: a failed fence.
	must "hanging fence helper" on server "$LBVM fence-helper --hang"
	must "client2 rewrite g.dat" test -n "$(client_write client2 /mnt/pnfs/g.dat 8)"
	must "freeze client2" vm_freeze client2
	frozen="client2"
	out=$(on server -t 180 "timeout 120 perl -e 'truncate(\$ARGV[0], 0) or die \"truncate: \$!\\n\"' /srv/export/g.dat 2>&1; echo rc=\$?")
	note "truncate with a hanging helper: $(tr '\n' ' ' <<< "$out")"
	d=$(on server "dmesg | grep -E 'nfsd: fence' | tail -n 1")
	[ -n "$d" ] && note "server: ${d#*] }"
	check "hung-helper-killed" grep -q "Text file busy" <<< "$out"
	must "thaw client2" vm_thaw client2
	frozen=""
	on server "$LBVM fence-helper" > /dev/null
}
