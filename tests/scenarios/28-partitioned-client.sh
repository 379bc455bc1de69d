# A client cut off the network past its lease is kept as a courtesy client
# until its state is in the way; nfsd then expires it, which frees its
# layouts with no recall. A client that is only cut off (not dead) can go on
# writing through them to a separate SAN, so it must be fenced before it is
# expired, or not expired at all.
#
# client1 and client2 each hold a layout and a POSIX lock on their own file
# (f.dat, g.dat); their only links go down (qemu set_link off) and the
# server waits until nfsd calls both courtesy clients. The fence helper
# (layoutctl) can fence client1 but not client2 (no subsystem configured
# for it). A local process then asks for a conflicting lock on each file
# (opening the file breaks a delegation the client may hold instead; either
# conflict expires a courtesy client):
#   - f.dat: client1 is fenced first, then expired; the lock is granted and
#     a truncate completes.
#   - g.dat: fencing client2 fails, so it is kept with its layout; the lock
#     is not granted and the truncate fails with ETXTBSY, in bounded time.
# Links up, client2 is a live client with its layout; client1 stays fenced.
#
# Stock 6.12 (and this series before "nfsd: fence a client that holds
# layouts before expiring it") expires both clients on the conflict and
# frees their layouts unfenced: both locks granted, both truncates complete,
# no fence recorded.
DESC="a courtesy client holding layouts is fenced before it is expired, and kept if the fence fails"
OURS_ONLY=expired-client-fenced-first
TIMEOUT=900

# take_lock VM FILE: a process in VM holds a write lock on all of FILE.
take_lock() {
	must "lock $2 on $1" on "$1" "
		rm -f /run/lock.ok
		setsid perl -MFcntl -e '
			open(my \$f, \"+<\", \$ARGV[0]) or die \"open: \$!\\n\";
			my \$l = pack(\"s s x4 q q i x4\", F_WRLCK, 0, 0, 0, 0);
			fcntl(\$f, F_SETLKW, \$l) or die \"lock: \$!\\n\";
			open(my \$o, \">\", \"/run/lock.ok\"); close(\$o); sleep 3600' '$2' < /dev/null > /run/lock.err 2>&1 &
		echo \$! > /run/lock.pid
		$LBVM wait-for 20 test -e /run/lock.ok"
}

# local_lock FILE SECONDS: the server asks for a read lock on FILE, waiting
# at most SECONDS; prints "locked ms=N" or the error, then "rc=N".
local_lock() {
	on server -t $(($2 + 60)) "timeout $2 perl -MFcntl -MTime::HiRes=time -e '
		open(my \$f, \"<\", \$ARGV[0]) or die \"open: \$!\\n\";
		my \$t = time;
		my \$l = pack(\"s s x4 q q i x4\", F_RDLCK, 0, 0, 0, 0);
		fcntl(\$f, F_SETLKW, \$l) or die \"lock: \$!\\n\";
		printf(\"locked ms=%d\\n\", (time - \$t) * 1000)' '$1' 2>&1; echo rc=\$?"
}

# holds_layout VM FILE: layoutctl lists a layout of VM's on FILE.
holds_layout() {
	on server "$LAYOUTCTL list /srv/export/$2 | grep -q '^pnfs-layout .*$(vm_addr "$1")'"
}

lacks_layout() { ! holds_layout "$@"; }

# truncate_to_zero FILE: the server truncates FILE, waiting at most 120 s;
# prints the error if any, then "rc=N ms=N".
truncate_to_zero() {
	on server -t 150 "s=\$(date +%s%N); timeout 120 perl -e 'truncate(\$ARGV[0], 0) or die \"truncate: \$!\\n\"' '$1' 2>&1; echo rc=\$? ms=\$(( (\$(date +%s%N) - s) / 1000000 ))"
}

scenario() {
	local d1 d2 out trace fenced t lock2
	trap 'vm_monitor client1 "set_link l1 on" > /dev/null 2>&1; vm_monitor client2 "set_link l2 on" > /dev/null 2>&1' EXIT
	server_up --fs dax --size 300m
	must "fence helper (none for client2)" on server "$LBVM fence-helper --misconfigure client2"
	client_up client1 $SERVER_ADDR
	client_up client2 $SERVER_ADDR2
	on server 'xfs_io -f -c "truncate 8m" /srv/export/f.dat; xfs_io -f -c "truncate 8m" /srv/export/g.dat'
	hold_open client1 /mnt/pnfs/f.dat
	hold_open client2 /mnt/pnfs/g.dat
	take_lock client1 /mnt/pnfs/f.dat
	take_lock client2 /mnt/pnfs/g.dat
	must "client1 write" test -n "$(client_write client1 /mnt/pnfs/f.dat 8)"
	must "client2 write" test -n "$(client_write client2 /mnt/pnfs/g.dat 8)"
	must "client1 holds a layout" holds_layout client1 f.dat
	must "client2 holds a layout" holds_layout client2 g.dat
	d1=$(client_dir client1) d2=$(client_dir client2)
	must "client directories" test -n "$d1" -a -n "$d2"
	note "client1 states: $(on server "grep -ho 'type: [a-z]*' /proc/fs/nfsd/clients/$d1/states | sort | uniq -c | tr -s ' \n' ' '")"
	note "client2 states: $(on server "grep -ho 'type: [a-z]*' /proc/fs/nfsd/clients/$d2/states | sort | uniq -c | tr -s ' \n' ' '")"
	# A client holding a write delegation keeps its locks to itself: then
	# the server's open breaks the delegation, and the lock has no conflict.
	lock2=$(on server "grep -c 'type: lock' /proc/fs/nfsd/clients/$d2/states")

	on server "$LBVM trace-start"
	must "links down" vm_monitor client1 "set_link l1 off"
	must "links down" vm_monitor client2 "set_link l2 off"
	must "both clients are courtesy clients" on server -t 150 "$LBVM wait-for 120 sh -c 'grep -q \"status: courtesy\" /proc/fs/nfsd/clients/$d1/info && grep -q \"status: courtesy\" /proc/fs/nfsd/clients/$d2/info'"

	# client1: fenced, then expired.
	out=$(local_lock /srv/export/f.dat 120)
	note "local lock on f.dat: $(tr '\n' ' ' <<< "$out")"
	record lock_f_ms "$(sed -n 's/^locked ms=//p' <<< "$out")"
	fenced=$(client_fences client1 complete)
	check "lock-granted-after-expiry" grep -q "^locked" <<< "$out"
	check "expired-client-fenced-first" eq "$fenced" 1
	check "fenced-client-layout-gone" lacks_layout client1 f.dat
	out=$(truncate_to_zero /srv/export/f.dat)
	note "truncate f.dat: $(tr '\n' ' ' <<< "$out")"
	check "truncate-after-fence" grep -q "rc=0" <<< "$out"

	# client2: the fence fails; it keeps its state.
	out=$(local_lock /srv/export/g.dat 30)
	note "local lock on g.dat: $(tr '\n' ' ' <<< "$out")"
	check "unfenced-client-kept" holds_layout client2 g.dat
	check "unfenced-client-not-expired" on server "test -e /proc/fs/nfsd/clients/$d2/info"
	if [ "${lock2:-0}" -gt 0 ]; then
		check "lock-not-granted-while-unfenced" grep -q "^rc=124" <<< "$out"
	else
		note "client2 held a delegation, not a lock on the server: it is revoked"
		check "recalled-delegation-revoked" grep -q "^locked" <<< "$out"
	fi
	out=$(truncate_to_zero /srv/export/g.dat)
	note "truncate g.dat: $(tr '\n' ' ' <<< "$out")"
	t=$(sed -n 's/.*ms=//p' <<< "$out")
	record truncate_g_unfenced_ms "$t"
	check "truncate-refused-while-unfenced" grep -q "Text file busy" <<< "$out"
	check "g-dat-unchanged" eq "$(on server 'stat -c %s /srv/export/g.dat')" 8388608

	trace=$(on server "$LBVM trace-stop")
	record CB_RECALL "$(trace_count nfsd_cb_recall "$trace")"
	record CB_LAYOUTRECALL "$(trace_count nfsd_layout_recall "$trace")"
	record expiry_fences "$(trace_count nfsd_layout_expiry_fence "$trace")"
	out=$(on server "dmesg | grep -E 'nfsd: (client|fence)' | tail -n 4")
	while read -r l; do [ -n "$l" ] && note "server: ${l#*] }"; done <<< "$out"

	# Links up: client2 is a live client again, with its layout.
	must "link up" vm_monitor client1 "set_link l1 on"
	must "link up" vm_monitor client2 "set_link l2 on"
	check "client2-back-with-layout" on server -t 150 "$LBVM wait-for 120 sh -c 'grep -q \"status: confirmed\" /proc/fs/nfsd/clients/$d2/info'"
	check "client2-layout-after-return" holds_layout client2 g.dat
	on client1 'kill $(cat /run/lock.pid) 2>/dev/null' > /dev/null
	on client2 'kill $(cat /run/lock.pid) 2>/dev/null' > /dev/null
	release_open client1
	release_open client2
	on server "$LAYOUTCTL unfence client1 pmem0" > /dev/null
}
