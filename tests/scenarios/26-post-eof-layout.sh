# Blocks beyond EOF that a client has a write layout for are not trimmed as
# speculative preallocation. A 4 MiB extent size hint makes a local writer
# allocate [0, 4M) with only 64 KiB written; client1 is handed a write
# layout over those blocks (no allocation: they exist) and commits 2 MiB.
# When the local writer closes the file, xfs_file_release() frees post-EOF
# blocks of files not marked preallocated, without breaking any layout:
# on stock [2M, 4M) goes, canaries take it, and client1's next write
# through its layout lands in them. Ours marks the inode preallocated when
# a write layout reaches past EOF, as for blocks it allocates.
# Then two local O_APPEND writers race past the EOF block while client1,
# frozen, holds its layout: both wait for the recall with the iolock
# dropped, and the second appends after the first instead of over it.
DESC="post-EOF blocks under a client's write layout survive the server's close"
OURS_ONLY=post-eof-blocks-kept
TIMEOUT=900

scenario() {
	local bmap old trace canaries foreign sum kept size after out errs
	# A 90 s lease: nfsd gives a callback up after a tenth of it, and
	# client1 is frozen for a few seconds below while a recall is out
	# (given up, it would be fenced, and the writes fail with ETXTBSY).
	server_up --fs dax --size 300m --lease 90
	client_up client1 $SERVER_ADDR
	must "extent size hint" on server "xfs_io -f -c 'extsize 4m' /srv/export/e.dat"
	hold_open client1 /mnt/pnfs/e.dat
	# The local writer keeps its descriptor: its close is the trim.
	# (xfs_io opens read-write unless -r, and its close would trim too.)
	must "local writer" on server "
		setsid sh -c 'exec 3<>/srv/export/e.dat; head -c 65536 /dev/urandom >&3; exec sleep 3600' < /dev/null > /dev/null 2>&1 &
		echo \$! > /run/writer.pid
		$LBVM wait-for 10 sh -c 'test \$(stat -c %s /srv/export/e.dat) = 65536'"
	old=$(extents server /srv/export/e.dat)
	record allocated_bytes "$(awk '{ t += $2 - $1 } END { print t + 0 }' <<< "$old")"
	must "4 MiB allocated past a 64 KiB EOF" test "$(awk '{ t += $2 - $1 } END { print t + 0 }' <<< "$old")" -ge 4194304

	sum=$(client_write_at client1 /mnt/pnfs/e.dat 1 1)
	must "client write at 1M" test -n "$sum"
	note "layouts: $(on server "$LAYOUTCTL list /srv/export/e.dat" | sed -n 's/^pnfs-layout.* \(r[ow]* [0-9:]*\) .*/\1/p' | tr '\n' ' ')"
	must "client holds a layout past EOF" test "$(on server 'stat -c %s /srv/export/e.dat')" = 2097152
	note "xflags: $(on server "xfs_io -r -c stat /srv/export/e.dat" | sed -n 's/^fsxattr.xflags = //p')"

	on server "$LBVM trace-start"
	must "local writer closes" on server 'kill $(cat /run/writer.pid); '"$LBVM"' wait-for 10 sh -c "! kill -0 $(cat /run/writer.pid) 2>/dev/null"'
	trace=$(on server "$LBVM trace-stop")
	record CB_LAYOUTRECALL_on_close "$(trace_count nfsd_layout_recall "$trace")"
	bmap=$(extents server /srv/export/e.dat)
	kept=$(overlap "$old" "$bmap")
	record post_close_bytes_kept "$kept"
	check "post-eof-blocks-kept" ge "$kept" 4194304

	canaries_over "$old" 12
	canaries=$CANARIES
	record canary_bytes_on_old_blocks "$CANARY_OVERLAP"
	sum=$(client_write_at client1 /mnt/pnfs/e.dat 2 1)
	check "client-write-past-old-eof" test -n "$sum"
	foreign=$(canaries_foreign_bytes server $canaries)
	record canary_foreign_bytes "$foreign"
	check "canaries-clean" eq "$foreign" 0
	check "server-reads-client-write" eq "$(server_range_sum /srv/export/e.dat 2 1)" "$sum"

	# Two local O_APPEND writers while client1 still holds its layout
	# over the EOF block: each write breaks that range and, client1 being
	# frozen, both wait with the iolock dropped. Whichever goes second
	# must append after the first, at the size it finds after the wait,
	# not where EOF was when it started. (They sleep in __break_lease's
	# timed wait, which wchan shows as process_timeout.)
	size=$(on server "stat -c %s /srv/export/e.dat")
	frozen=client1
	trap thaw_all EXIT
	on server "$LBVM trace-start"
	must "freeze client1" vm_freeze client1
	out=$(on server -t 120 "
		rm -f /run/app.pids
		for p in 41 42; do
			setsid xfs_io -a -c \"pwrite -q -S 0x\$p 0 64k\" /srv/export/e.dat < /dev/null > /run/app.\$p 2>&1 &
			echo \$! >> /run/app.pids
		done
		$LBVM wait-for 20 sh -c 'for p in \$(cat /run/app.pids); do grep -qE \"break_lease|process_timeout\" /proc/\$p/wchan 2>/dev/null || exit 1; done' > /dev/null 2>&1 && echo both-waiting
		for p in \$(cat /run/app.pids); do echo \"\$p \$(cat /proc/\$p/wchan 2>/dev/null || echo exited) \$(cut -d' ' -f3 /proc/\$p/stat 2>/dev/null)\"; done")
	note "appenders while client1 is frozen: $(tr '\n' ' ' <<< "$out")"
	must "thaw client1" vm_thaw client1
	frozen=""
	must "appenders done" on server -t 120 "$LBVM wait-for 90 sh -c 'for p in \$(cat /run/app.pids); do ! kill -0 \$p 2>/dev/null || exit 1; done'"
	trace=$(on server "$LBVM trace-stop")
	record CB_LAYOUTRECALL_appends "$(trace_count nfsd_layout_recall "$trace")"
	errs=$(on server 'cat /run/app.41 /run/app.42')
	note "appenders: ${errs:-both wrote}"
	must "appenders wrote (client1 answered the recall)" test -z "$errs"
	# Both were seen asleep in the break at once (a second look at wchan
	# can catch one between two of its polls, running).
	check "appends-wait-for-recall" grep -q "^both-waiting" <<< "$out"
	after=$(on server "stat -c %s /srv/export/e.dat")
	record size_before_appends "$size"
	record size_after_appends "$after"
	check "appends-both-landed" eq "$after" $(( size + 131072 ))
	check "appends-intact" eq "$(on server "tail -c +$(( size + 1 )) /srv/export/e.dat | tr -cd AB | fold -w 65536 | sort | uniq -c | awk '{ print \$1 }' | tr '\n' ' '")" "1 1 "
	release_open client1
}
