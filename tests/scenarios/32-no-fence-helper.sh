# No fence helper installed, as on most systems: a client that ignores a
# recall cannot be fenced. By default (nfsd's pnfs_forget_unfenced=N) it
# keeps its layouts as after any failed fence: the truncate of its file
# fails with ETXTBSY, the file stays, and the log names the missing helper
# and what ends the wait. "layoutctl expire", the administrator's word that
# the client is gone, ends it: the truncate then completes. Set to Y, nfsd
# forgets such a client's layouts as if it had been fenced and the truncate
# completes at once (what stock does, helper or none).
DESC="no fence helper: the client keeps its layouts until expired (default), or they are forgotten (pnfs_forget_unfenced=Y)"
OURS_ONLY=unfenced-truncate-refused
TIMEOUT=1200

PARAM=/sys/module/nfsd/parameters/pnfs_forget_unfenced

# trunc FILE: truncate FILE to 0 on the server; prints its messages and rc=.
trunc() {
	on server -t 180 "timeout 120 perl -e 'truncate(\$ARGV[0], 0) or die \"truncate: \$!\\n\"' $1 2>&1; echo rc=\$?"
}

# layouts_of VM FILE: how many pNFS layout references VM's client holds on FILE.
layouts_of() {
	on server "$LAYOUTCTL list $2 --json" |
		jq --arg a "$(vm_addr "$1")" '[.references[] | select(.kind == "pnfs-layout" and (.client.address | startswith($a + ":")))] | length'
}

# hold_frozen VM NAME: VM holds /mnt/pnfs/NAME open with a layout (8 MiB
# written through it), and is frozen.
hold_frozen() {
	hold_open "$1" "/mnt/pnfs/$2"
	must "$1 write $2" test -n "$(client_write "$1" "/mnt/pnfs/$2" 8)"
	must "freeze $1" vm_freeze "$1"
	frozen="$frozen $1"
}

# trunc_noted NAME WHAT: truncate /srv/export/NAME, noting the result as WHAT
# and the server's fence lines; sets out and d.
trunc_noted() {
	out=$(trunc "/srv/export/$1")
	note "truncate, $2: $(tr '\n' ' ' <<< "$out")"
	d=$(on server "dmesg | grep -E 'nfsd: (fence|client|no )' | tail -n 3")
	while read -r l; do [ -n "$l" ] && note "server: ${l#*] }"; done <<< "$d"
}

cleanup() {
	thaw_all
	on server "[ -e $PARAM ] && echo N > $PARAM; $LBVM fence-helper" > /dev/null 2>&1
}

scenario() {
	local before
	trap cleanup EXIT
	server_up --fs dax --size 300m
	client_up client1 $SERVER_ADDR
	client_up client2 $SERVER_ADDR2
	must "no fence helper" on server "$LBVM fence-helper --none; [ ! -e $PARAM ] || echo N > $PARAM"
	on server 'xfs_io -f -c "truncate 8m" /srv/export/g.dat' > /dev/null
	on server 'xfs_io -f -c "truncate 8m" /srv/export/h.dat' > /dev/null

	# Default: the unfenced client keeps its layouts.
	hold_frozen client2 g.dat
	before=$(server_sum /srv/export/g.dat)
	trunc_noted g.dat "no helper"
	check "unfenced-truncate-refused" grep -q "Text file busy" <<< "$out"
	check "file-unchanged" eq "$(server_sum /srv/export/g.dat)" "$before"
	check "layout-kept" eq "$(layouts_of client2 /srv/export/g.dat)" 1
	check "log-names-missing-helper" grep -q "no /sbin/nfsd-recall-failed; install a fence helper" <<< "$d"

	# The administrator says client2 is gone.
	out=$(on server "$LAYOUTCTL expire $(vm_addr client2) 2>&1; echo rc=\$?")
	note "expire without --yes: $(tr '\n' ' ' <<< "$out")"
	check "expire-needs-yes" grep -q "rc=2" <<< "$out"
	out=$(on server -t 120 "timeout 90 $LAYOUTCTL expire $(vm_addr client2) --yes 2>&1; echo rc=\$?")
	note "expire: $(tr '\n' ' ' <<< "$out")"
	check "admin-expire" grep -q "rc=0" <<< "$out"
	trunc_noted g.dat "after expire"
	check "truncate-after-expire" grep -q "^rc=0" <<< "$out"
	check "size-after-expire" eq "$(on server 'stat -c %s /srv/export/g.dat')" 0

	# pnfs_forget_unfenced=Y: client1's layouts are forgotten unfenced.
	check "forget-policy-settable" on server "echo Y > $PARAM"
	hold_frozen client1 h.dat
	trunc_noted h.dat "no helper, pnfs_forget_unfenced=Y"
	check "forget-policy-truncate-completes" grep -q "^rc=0" <<< "$out"
	check "forget-policy-logged" grep -q "forgetting the layouts of client $(vm_addr client1)" <<< "$d"
	check "forget-policy-layout-gone" eq "$(layouts_of client1 /srv/export/h.dat)" 0
}
