# A local holder of a userspace layout lease that ignores a break makes the
# breaker fail with ETXTBSY after lease-break-time and keeps its lease; the
# break is then over. The lease is no longer "being broken", so nothing
# else on the file stays refused: a second layout lease is granted, and a
# pNFS client's write through a new layout completes (new leases on an inode
# with a lease under break get EAGAIN, and nfsd's layouts are leases). The
# next truncate notifies the holder again; two truncates at once both end
# within lease-break-time; once the holder is gone the truncate completes.
# A filesystem that does not break layout leases (tmpfs here, ext4 alike)
# refuses them with EOPNOTSUPP. Stock has no layout leases for userspace
# (EINVAL).
DESC="a refused layout lease break ends: other leases, pNFS layouts and later breaks go on"
OURS_ONLY=layout-lease-taken
TIMEOUT=900

F=/srv/export/r.dat
BREAK_S=5

# lease NAME MODE: leasehold on r.dat in the background, output in
# /run/NAME.out, pid in /run/NAME.pid; returns once it holds or failed.
lease() {
	on server "
		setsid $HELPERS/leasehold $F layout $2 /run/$1.d < /dev/null > /run/$1.out 2>&1 &
		echo \$! > /run/$1.pid
		$LBVM wait-for 30 grep -qE '^held|leasehold:' /run/$1.out
		cat /run/$1.out"
}

# trunc SIZE: truncate r.dat from the server; prints rc= and ms=.
trunc() {
	on server -t 120 "s=\$(date +%s%N)
		timeout 60 perl -e 'truncate(\$ARGV[0], \$ARGV[1]) or die \"truncate: \$!\\n\"' $F $1 2>&1
		echo rc=\$? ms=\$(( (\$(date +%s%N) - s) / 1000000 ))"
}

locks_of() { on server "grep -E ' $1 ' /proc/locks"; }

scenario() {
	local out pid d before after ms1 ms2 sum
	server_up --fs dax --size 300m
	client_up client1 $SERVER_ADDR
	must "lease-break-time" on server "echo $BREAK_S > /proc/sys/fs/lease-break-time"
	must "r.dat" on server "xfs_io -f -c 'pwrite -q -S 0x61 0 4m' -c fsync $F"

	out=$(lease h1 ignore)
	note "holder: $out"
	check "layout-lease-taken" grep -q '^held layout' <<< "$out"
	pid=$(on server 'cat /run/h1.pid')

	# Only a filesystem that breaks layout leases offers them: tmpfs
	# (like ext4) does not, and says so; its classic leases still work.
	out=$(on server "mkdir -p /run/lbtmp && mount -t tmpfs lbtmp /run/lbtmp &&
		head -c 1M /dev/zero > /run/lbtmp/f &&
		timeout 5 $HELPERS/leasehold /run/lbtmp/f layout ignore /run/lbtmp.d1 2>&1 | head -n 1
		timeout 5 $HELPERS/leasehold /run/lbtmp/f rd ignore /run/lbtmp.d2 2>&1 | head -n 1
		umount /run/lbtmp")
	note "tmpfs: $(tr '\n' ';' <<< "$out")"
	check "other-fs-layout-lease-refused" grep -q 'F_SETLEASE layout: Operation not supported' <<< "$out"
	check "other-fs-classic-lease-kept" grep -q '^held rd' <<< "$out"

	out=$(trunc 1048576)
	note "truncate, holder ignoring: $(tr '\n' ' ' <<< "$out")"
	record refused_truncate_ms "$(sed -n 's/.*ms=//p' <<< "$out")"
	check "ignored-break-etxtbsy" grep -q 'Text file busy' <<< "$out"
	check "file-unchanged" eq "$(on server "stat -c %s $F")" 4194304
	note "after the refusal: $(locks_of "$pid")"
	check "lease-kept" grep -qE "LAYOUT .* $pid " <<< "$(locks_of "$pid")"
	check "refused-break-ended" grep -qE "LAYOUT +ACTIVE +READ +$pid " <<< "$(locks_of "$pid")"

	out=$(lease h2 release)
	note "second holder: $out"
	check "second-layout-lease-granted" grep -q '^held layout' <<< "$out"

	# The client's write needs a layout, which nfsd takes as a lease on
	# the file: refused with EAGAIN while a lease there is being broken.
	hold_open client1 /mnt/pnfs/r.dat
	before=$(on server "$LBVM nfsd-stats")
	sum=$(on client1 -t 200 "timeout 120 dd if=/dev/urandom of=/tmp/w bs=1M count=2 status=none &&
		timeout 120 dd if=/tmp/w of=/mnt/pnfs/r.dat bs=1M seek=1 oflag=direct conv=fsync,notrunc status=none &&
		sha256sum < /tmp/w | cut -d' ' -f1")
	after=$(on server "$LBVM nfsd-stats")
	d=$(nfsd_delta "$before" "$after")
	record LAYOUTGET "$(kv LAYOUTGET "$d")"
	record LAYOUTCOMMIT "$(kv LAYOUTCOMMIT "$d")"
	check "client-write-completes" test -n "$sum"
	check "client-wrote-through-layout" gt "$(kv LAYOUTCOMMIT "$d")" 0
	check "server-reads-client-write" eq "$(server_range_sum $F 1 2)" "$sum"
	release_open client1

	# The next break notifies the holder again; so do two at once, and
	# both end within lease-break-time. The second holder lets go.
	out=$(on server -t 120 "
		for i in 1 2; do
			( s=\$(date +%s%N)
			  timeout 60 perl -e 'truncate(\$ARGV[0], 1048576) or die \"truncate: \$!\\n\"' $F > /run/t\$i.out 2>&1
			  echo rc=\$? ms=\$(( (\$(date +%s%N) - s) / 1000000 )) >> /run/t\$i.out ) &
		done
		wait
		cat /run/t1.out /run/t2.out")
	note "two truncates: $(tr '\n' ' ' <<< "$out")"
	ms1=$(sed -n 's/.*ms=//p' <<< "$out" | sort -n | tail -n1)
	record concurrent_refusal_max_ms "$ms1"
	check "concurrent-breaks-etxtbsy" eq "$(grep -c 'Text file busy' <<< "$out")" 2
	check "concurrent-breaks-bounded" lt "$ms1" $(( BREAK_S * 1000 + 3000 ))
	check "holder-notified-again" ge "$(on server 'grep -c ^sigio /run/h1.out')" 2
	check "second-holder-released" grep -q '^released' <<< "$(on server 'cat /run/h2.out')"

	on server "kill $pid; $LBVM wait-for 30 sh -c '! kill -0 $pid 2>/dev/null'" > /dev/null
	out=$(trunc 1048576)
	note "truncate, holder gone: $(tr '\n' ' ' <<< "$out")"
	check "truncate-after-holder-gone" grep -q '^rc=0' <<< "$out"
	check "size-after-truncate" eq "$(on server "stat -c %s $F")" 1048576
}
