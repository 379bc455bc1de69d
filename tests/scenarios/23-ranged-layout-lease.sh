# Userspace layout leases on a byte range (F_SETLAYOUT), on the server
# alone. `layoutctl lease --range 2m:2m` holds one for a script: /proc/locks
# and layoutctl list show the range; a hole punch and a truncate outside it
# go on without breaking it; a punch inside it breaks it, the script gets
# SIGUSR1 and exits, and the punch completes once the lease is released.
# A holder of a whole-file lease reads the range under break from its fd's
# fdinfo ("layout_break:"), shrinks its lease to what lies below it, and
# the punch goes on at once, the rest of the lease kept.
# Long-term pins are allowed only within the lease's range. Stock has no
# ranged layout leases: layoutctl falls back to a whole-file read lease.
DESC="a layout lease on a range is broken only by changes that overlap it; pins only within it"
OURS_ONLY=ranged-lease-in-proc-locks
TIMEOUT=600

MIB=1048576
F=/srv/export/r.dat
G=/srv/export/r-pin.dat

# punch OFF LEN: hole punch of F, printing rc= and ms=.
punch() {
	on server -t 120 "s=\$(date +%s%N)
		timeout 60 xfs_io -c 'fpunch $1 $2' $F 2>&1
		echo rc=\$? ms=\$(( (\$(date +%s%N) - s) / 1000000 ))"
}

scenario() {
	local out pid ino dev
	server_up --fs dax --size 300m --no-nvmet --dax-pins
	must "lease-break-time" on server "echo 5 > /proc/sys/fs/lease-break-time"
	must "file" on server "xfs_io -f -c 'pwrite -q -S 0x61 0 8m' -c fsync $F"

	on server "
		rm -f /run/rl.sig
		setsid $LAYOUTCTL lease $F --range 2m:2m -- sh -c 'trap \"echo usr1 > /run/rl.sig; kill \\\$c; exit 0\" USR1; sleep 300 & c=\$!; wait' < /dev/null > /run/rl.out 2>&1 &
		echo \$! > /run/rl.pid
		$LBVM wait-for 30 sh -c \"grep -q ' \$(cat /run/rl.pid) ' /proc/locks\"" > /dev/null
	pid=$(on server 'cat /run/rl.pid')
	ino=$(on server "stat -c %i $F")
	out=$(on server "grep ' $pid ' /proc/locks; cat /run/rl.out")
	note "lease: $out"
	check "ranged-lease-in-proc-locks" grep -qE "LAYOUT +ACTIVE +READ +$pid [0-9a-f]+:[0-9a-f]+:$ino $((2 * MIB)) $((4 * MIB - 1))\$" <<< "$out"
	out=$(on server "$LAYOUTCTL list $F --json")
	check "list-shows-range" eq "$(jq -r "[.references[] | select(.kind == \"layout-lease\" and .holder.pid == $pid) | \"\\(.offset):\\(.length)\"] | join(\",\")" <<< "$out")" "$((2 * MIB)):$((2 * MIB))"

	# Outside the range: no break.
	out=$(punch 6m 1m)
	note "punch [6M, 7M): $out"
	check "punch-outside-completes" grep -q '^rc=0 ' <<< "$out"
	out=$(on server "truncate -s 5m $F; echo rc=\$?")
	check "truncate-outside-completes" eq "$out" rc=0
	out=$(on server "grep ' $pid ' /proc/locks; ls /run/rl.sig 2>&1")
	check "changes-outside-keep-lease" grep -qE "LAYOUT +ACTIVE +READ +$pid " <<< "$out"
	check "changes-outside-no-signal" grep -q 'No such file' <<< "$out"

	# Inside the range: broken, released, then done.
	out=$(punch 3m 64k)
	note "punch [3M, 3M+64K): $out; $(on server 'cat /run/rl.sig /run/rl.out 2>&1' | tr '\n' ' ')"
	check "punch-inside-breaks-lease" eq "$(on server 'cat /run/rl.sig 2>/dev/null')" usr1
	check "punch-inside-completes" grep -q '^rc=0 ' <<< "$out"
	on server "$LBVM wait-for 30 sh -c '! kill -0 $pid 2>/dev/null'" > /dev/null
	check "lease-released" eq "$(on server "grep -c ' $pid ' /proc/locks")" 0

	# A holder that reads the range under break from fdinfo and gives
	# just that back (leasehold ... give: shrinks to [0, START)): the
	# punch goes on at once, the rest of the lease stays.
	on server "
		setsid $HELPERS/leasehold $F layout give /run/lg.d < /dev/null > /run/lg.out 2>&1 &
		echo \$! > /run/lg.pid
		$LBVM wait-for 30 grep -q '^held' /run/lg.out" > /dev/null
	pid=$(on server 'cat /run/lg.pid')
	out=$(punch 6m 1m)
	note "punch [6M, 7M) of a whole-file lease: $out; holder: $(on server 'cat /run/lg.out' | tr '\n' ';')"
	check "holder-reads-break-range" grep -q "^break $((6 * MIB)) $((7 * MIB - 1))\$" <<< "$(on server 'cat /run/lg.out')"
	check "holder-shrinks-off-break" grep -q "^shrunk 0:$((6 * MIB))\$" <<< "$(on server 'cat /run/lg.out')"
	check "punch-goes-on-after-shrink" grep -q '^rc=0 ' <<< "$out"
	record give_back_punch_ms "$(sed -n 's/.*ms=//p' <<< "$out")"
	out=$(on server "grep ' $pid ' /proc/locks")
	note "lease after giving back: $out"
	check "lease-kept-below-break" grep -qE "LAYOUT .* $pid [0-9a-f]+:[0-9a-f]+:$ino 0 $((6 * MIB - 1))\$" <<< "$out"
	on server "kill $pid" > /dev/null

	# Pins: within the lease's range only.
	must "pin file" on server "xfs_io -f -c 'pwrite -q -S 0x62 0 4m' -c fsync $G"
	out=$(on server "$HELPERS/daxpin reg $G -R $((2 * MIB)) -n $MIB -w; $HELPERS/daxpin reg $G -R $MIB -n $((2 * MIB)) -w")
	note "pins: $(tr '\n' ';' <<< "$out")"
	check "pin-within-range" grep -q '^reg ok .* writable' <<< "$(sed -n '1,/^reg/p' <<< "$out")"
	check "pin-beyond-range-refused" grep -q '^reg failed errno=95' <<< "$out"
	on server "rm -rf $F $G /run/rl.* /run/lg.*" > /dev/null
}
