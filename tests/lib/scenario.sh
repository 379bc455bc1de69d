# Assertions and records for scenarios. Sourced by tests/lib/driver.sh.
#
# A scenario file sets:
#   DESC        one line, what it shows
#   OURS_ONLY   the assertion stock 6.12 must fail at (empty: both must pass)
#   TIMEOUT     seconds for the whole scenario (default 600)
#   VMS         the VMs it uses (default "server client1")
# and defines scenario(), which uses on/check/record below.

LBVM=$LB_TOP/tests/vm/lbvm
SERVER_ADDR=10.55.1.1        # the server as client1 sees it
SERVER_ADDR2=10.55.2.1       # the server as client2 sees it
HELPERS=$LB_BUILD/tests/bin
LAYOUTCTL=$LB_BUILD/utils/layoutctl   # built by tests/run

# check NAME CMD...: a named assertion. The first one that fails ends the
# scenario; its name is what the runner compares with OURS_ONLY on stock.
# With LB_KEEP_GOING=1 (to see every assertion a kernel without some fix
# fails) the scenario goes on, and the first failure is the one reported.
check() {
	local name=$1
	shift
	if "$@"; then
		echo "    ok - $name"
	else
		echo "    not ok - $name"
		[ "${LB_KEEP_GOING:-0}" = 1 ] && [ -e "$LB_SCEN_DIR/failed" ] && return 0
		echo "$name" > "$LB_SCEN_DIR/failed"
		[ "${LB_KEEP_GOING:-0}" = 1 ] && return 0
		exit 1
	fi
}

# must NAME CMD...: a setup step; failing it is a harness failure, never an
# expected failure.
must() {
	local name=$1
	shift
	if ! "$@"; then
		echo "    not ok - setup: $name"
		echo "setup:$name" > "$LB_SCEN_DIR/failed"
		exit 1
	fi
}

# record KEY VALUE: a figure for summary.json and the log.
record() {
	echo "    # $1=$2"
	echo "$1=$2" >> "$LB_SCEN_DIR/metrics"
}

note() { echo "    # $*"; }

# kv KEY TEXT: the value of KEY in "KEY=VALUE" lines.
kv() { sed -n "s/^$1=//p" <<< "$2" | head -n1; }

ge() { [ "${1:-0}" -ge "$2" ] 2>/dev/null; }
gt() { [ "${1:-0}" -gt "$2" ] 2>/dev/null; }
lt() { [ -n "$1" ] && [ "$1" -lt "$2" ] 2>/dev/null; }
lt() { [ "${1:-0}" -lt "$2" ] 2>/dev/null; }
eq() { [ "$1" = "$2" ]; }

# nfsd_delta BEFORE AFTER: per-counter differences of two nfsd-stats outputs.
nfsd_delta() {
	local k v b
	while IFS== read -r k v; do
		b=$(kv "$k" "$1")
		echo "$k=$(( v - ${b:-0} ))"
	done <<< "$2"
}

# server_up ARGS / client_up VM ADDR ARGS: the pNFS topology, fresh.
server_up() { must "server-up $*" on server -t 300 "$LBVM server-up $*"; }
client_up() {
	local vm=$1 addr=$2
	shift 2
	must "$vm client-up" on "$vm" -t 300 "$LBVM client-up --server $addr $*"
}

# extents VM FILE: the file's physical extents as "start end" byte pairs.
extents() {
	on "$1" "xfs_io -r -c 'fiemap' '$2'" |
		sed -nE 's/^[[:space:]]*[0-9]+: \[[0-9]+\.\.[0-9]+\]: ([0-9]+)\.\.([0-9]+).*/\1 \2/p' |
		awk '{ print $1 * 512, ($2 + 1) * 512 }'
}

# overlap "A-EXTENTS" "B-EXTENTS": bytes the two extent lists share.
overlap() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		na = split(a, al, "\n"); nb = split(b, bl, "\n"); t = 0
		for (i = 1; i <= na; i++) {
			if (split(al[i], x, " ") < 2) continue
			for (j = 1; j <= nb; j++) {
				if (split(bl[j], y, " ") < 2) continue
				s = x[1] > y[1] ? x[1] : y[1]; e = x[2] < y[2] ? x[2] : y[2]
				if (e > s) t += e - s
			}
		}
		print t }'
}

# Canary files: a known pattern, CANARY_MIB each (the last one smaller).
CANARY_MIB=16

# fill_canaries VM DIR KEEP_MIB: fill the filesystem with canary files until
# about KEEP_MIB are free; prints their names.
fill_canaries() {
	on "$1" -t 900 "
		yes LAYOUTBREAK-CANARY | head -c ${CANARY_MIB}M > /tmp/canary
		sync
		avail() { df -m --output=avail '$2' | tail -n1 | tr -d ' '; }
		i=0
		while [ \$(avail) -gt \$(( $3 + $CANARY_MIB )) ]; do
			dd if=/tmp/canary of='$2/canary.'\$i bs=1M status=none || exit 1
			echo '$2/canary.'\$i
			i=\$((i + 1))
		done
		n=\$(( \$(avail) - $3 ))
		if [ \$n -gt 0 ]; then
			dd if=/tmp/canary of='$2/canary.'\$i bs=1M count=\$n status=none 2>/dev/null
			echo '$2/canary.'\$i
		fi
		true"
}

# canaries_over EXTENTS KEEP_MIB: on the server, forces the log so that the
# blocks freed from EXTENTS ("start end" pairs from extents) go back to the
# allocator, then fills /srv/export with canaries until KEEP_MIB are free.
# Sets CANARIES (their names) and CANARY_OVERLAP (bytes of EXTENTS they
# occupy).
canaries_over() {
	local c
	on server sync
	CANARIES=$(fill_canaries server /srv/export "$2")
	CANARY_OVERLAP=0
	for c in $CANARIES; do
		CANARY_OVERLAP=$(( CANARY_OVERLAP + $(overlap "$1" "$(extents server "$c")") ))
	done
}

# canaries_foreign_bytes VM FILES: bytes in the canaries that are not the
# pattern.
canaries_foreign_bytes() {
	local vm=$1
	shift
	on "$vm" -t 300 "
		yes LAYOUTBREAK-CANARY | head -c ${CANARY_MIB}M > /tmp/canary
		bad=0
		for f in $*; do
			n=\$(cmp -l /tmp/canary \"\$f\" 2>/dev/null | wc -l)
			bad=\$((bad + n))
		done
		echo \$bad"
}

# client_write VM FILE MIB: write MIB MiB of random data to FILE through the
# client's NFS mount with O_DIRECT and fsync; prints the data's sha256.
client_write() { client_write_at "$1" "$2" 0 "$3"; }

server_sum() { on server "sha256sum < '$1' | cut -d' ' -f1"; }

# client_write_at VM FILE OFF_MIB MIB: like client_write, at a MiB offset;
# the data stays in /tmp/data.OFF for client_sum.
client_write_at() {
	on "$1" -t 900 "
		set -e
		dd if=/dev/urandom of=/tmp/data.$3 bs=1M count=$4 status=none
		dd if=/tmp/data.$3 of='$2' bs=1M seek=$3 oflag=direct conv=fsync,notrunc status=none
		sha256sum < /tmp/data.$3 | cut -d' ' -f1"
}

# client_sum VM OFF_MIB SKIP_MIB MIB: checksum of MIB MiB, SKIP_MIB into what
# client_write_at wrote at OFF_MIB.
client_sum() {
	on "$1" "dd if=/tmp/data.$2 bs=1M skip=$3 count=$4 status=none | sha256sum | cut -d' ' -f1"
}

# server_range_sum FILE OFF_MIB MIB: checksum of part of a file on the server.
server_range_sum() {
	on server "dd if='$1' bs=1M skip=$2 count=$3 status=none | sha256sum | cut -d' ' -f1"
}

# vm_addr VM: a client VM's address on its link to the server.
vm_addr() { case $1 in client1) echo 10.55.1.2 ;; client2) echo 10.55.2.2 ;; esac; }

# nfsd_client VM COLUMN: a column of "lbvm nfsd-clients" for a client VM.
nfsd_client() {
	on server "$LBVM nfsd-clients" | awk -v a="$(vm_addr "$1")" -v c="$2" '$2 == a { print $c; exit }'
}

# client_id VM: the NFSv4 client id of a client VM, as nfsd's tracepoints
# print it.
client_id() { nfsd_client "$1" 1; }

# client_dir VM: the number of a client VM's directory under
# /proc/fs/nfsd/clients/ (what layoutctl's --client takes).
client_dir() { nfsd_client "$1" 3; }

# layout_on_file NAME SIZE: server and client1 up; client1 holds open a
# SIZE-byte file /srv/export/NAME and writes its first 8 MiB through its
# layout. Sets ID1 (client1's client id) and SUM1 (the checksum written).
layout_on_file() {
	server_up --fs dax --size 300m
	client_up client1 $SERVER_ADDR
	on server "xfs_io -f -c 'truncate $2' /srv/export/$1"
	hold_open client1 "/mnt/pnfs/$1"
	ID1=$(client_id client1)
	must "client id known" test -n "$ID1"
	SUM1=$(client_write_at client1 "/mnt/pnfs/$1" 0 8)
	must "client write" test -n "$SUM1"
}

# slow_device MS: on the server, /dev/mapper/lbslow, a dm-delay device over
# /dev/ram0 (1 MiB of "DMA-DATA" lines) that holds every I/O for MS ms.
slow_device() {
	must "slow device" on server "
		set -e
		dmsetup remove lbslow 2>/dev/null || true
		yes DMA-DATA | head -c 1M | dd of=/dev/ram0 bs=1M oflag=direct status=none
		dmsetup create lbslow --table \"0 \$(blockdev --getsz /dev/ram0) delay /dev/ram0 0 $1\"
		dmsetup mknodes lbslow
		test -b /dev/mapper/lbslow"
}

# timed_ms VM COMMAND: runs COMMAND in VM (at most 60 s) and prints how many
# ms it took, or nothing if it failed.
timed_ms() {
	on "$1" -t 120 "a=\$(date +%s%N); timeout 60 $2 || exit 1; b=\$(date +%s%N); echo \$(( (b - a) / 1000000 ))"
}

# recalls TRACE: "CLIENTID OFFSET LENGTH" of each ranged CB_LAYOUTRECALL in
# TRACE, each also shown as a note (on stderr, which the log keeps).
recalls() {
	local r c o l
	r=$(trace_ranges nfsd_layout_recall_range "$1")
	while read -r c o l; do
		[ -n "$c" ] && note "CB_LAYOUTRECALL: client $c offset $o length $l" >&2
	done <<< "$r"
	[ -z "$r" ] || echo "$r"
}

# trace_count EVENT TRACE / trace_ranges EVENT TRACE: how many EVENT lines;
# their "CLIENTID OFFSET LENGTH" triples.
trace_count() { grep -c " $1: " <<< "$2"; }
trace_ranges() {
	grep " $1: " <<< "$2" |
		sed -n 's/.*client \([0-9a-f:]*\) stateid [0-9a-f:]* iomode [0-9]* offset \([0-9]*\) length \([0-9]*\).*/\1 \2 \3/p'
}

# pnfs_write_check FS: a client writes 32 MiB through its pNFS mount of an
# FS-type export; the data must bypass the server (LAYOUTCOMMIT, no WRITE
# bytes to speak of) and the server must read back the same checksum.
pnfs_write_check() {
	local fs=$1 mib=32 before after d sum ssum bytes
	server_up --fs "$fs"
	client_up client1 $SERVER_ADDR
	before=$(on server "$LBVM nfsd-stats")
	sum=$(client_write client1 /mnt/pnfs/pnfs.dat $mib)
	must "client write" test -n "$sum"
	after=$(on server "$LBVM nfsd-stats")
	d=$(nfsd_delta "$before" "$after")
	bytes=$((mib * 1048576))
	record bytes_written $bytes
	for k in LAYOUTGET GETDEVICEINFO LAYOUTCOMMIT LAYOUTRETURN WRITE WRITE_BYTES; do
		record "$k" "$(kv $k "$d")"
	done
	on client1 "grep -A60 'pnfs.*\|fstype nfs4' /proc/self/mountstats | grep -E '^\s+(WRITE|LAYOUTGET|LAYOUTCOMMIT):'" |
		sed 's/^[[:space:]]*/client1 mountstats /' | while read -r l; do note "$l"; done
	ssum=$(server_sum /srv/export/pnfs.dat)
	check "layoutget-issued" gt "$(kv LAYOUTGET "$d")" 0
	check "layoutcommit-issued" gt "$(kv LAYOUTCOMMIT "$d")" 0
	check "write-bytes-under-1pct" lt "$(( $(kv WRITE_BYTES "$d") * 100 ))" "$bytes"
	check "server-reads-client-checksum" eq "$ssum" "$sum"
}

# nfs4err N: the name of an NFSv4 status code (RFC 8881 section 15.1).
nfs4err() {
	case $1 in
	0) echo NFS4_OK ;; 5) echo NFS4ERR_IO ;; 6) echo NFS4ERR_NXIO ;;
	10008) echo NFS4ERR_DELAY ;; 10013) echo NFS4ERR_GRACE ;;
	10050) echo NFS4ERR_BADLAYOUT ;; 10058) echo NFS4ERR_LAYOUTTRYLATER ;;
	10059) echo NFS4ERR_LAYOUTUNAVAILABLE ;; 10060) echo NFS4ERR_NOMATCHING_LAYOUT ;;
	10061) echo NFS4ERR_RECALLCONFLICT ;; 10062) echo NFS4ERR_UNKNOWN_LAYOUTTYPE ;;
	*) echo "status $1" ;;
	esac
}

# fallback_check WHY CLIENT ADDR CLIENT-UP-ARGS...: the client's I/O must go
# through the server (NFS WRITEs carry the data), the data must be intact,
# and the reason must be visible: nfsd's failed layout operations and the
# client's kernel log.
fallback_check() {
	local why=$1 vm=$2 addr=$3 mib=8 before after d sum ssum trace reasons evidence
	shift 3
	client_up "$vm" "$addr" "$@"
	on "$vm" 'dmesg -c > /dev/null'
	on server "$LBVM trace-start"
	before=$(on server "$LBVM nfsd-stats")
	sum=$(client_write "$vm" /mnt/pnfs/fallback.dat $mib)
	must "client write" test -n "$sum"
	after=$(on server "$LBVM nfsd-stats")
	trace=$(on server "$LBVM trace-stop")
	d=$(nfsd_delta "$before" "$after")
	for k in LAYOUTGET GETDEVICEINFO LAYOUTCOMMIT WRITE WRITE_BYTES; do
		record "$k" "$(kv $k "$d")"
	done
	reasons=$(grep -oE '(LAYOUTGET|GETDEVICEINFO) status=[1-9][0-9]*' <<< "$trace" | sort | uniq -c |
		while read -r n op st; do echo "$op ${st#status=} x$n"; done)
	note "fallback ($why): LAYOUTGET=$(kv LAYOUTGET "$d") WRITE_BYTES=$(kv WRITE_BYTES "$d")"
	while read -r op st n; do
		[ -n "$op" ] && note "server: $op answered $(nfs4err "$st") $n"
	done <<< "$reasons"
	evidence=$(on "$vm" "
		dmesg | grep -iE 'pnfs|blocklayout|deviceid|layout' | sed 's/^/kernel: /'
		grep -iE 'error|fail|no |not ' /run/blkmapd.log 2>/dev/null | sed 's/^/blkmapd: /'
		pgrep -x blkmapd > /dev/null || echo 'blkmapd is not running: block devices cannot be resolved'
		[ -s /run/nvme-connect.err ] && echo \"nvme connect: \$(cat /run/nvme-connect.err)\"
		true" | head -n 6)
	while read -r l; do [ -n "$l" ] && note "$vm $l"; done <<< "$evidence"
	ssum=$(server_sum /srv/export/fallback.dat)
	check "data-went-through-server" ge "$(kv WRITE_BYTES "$d")" $((mib * 1048576))
	check "data-intact" eq "$ssum" "$sum"
	check "fallback-reason-visible" test -n "$reasons$evidence"
}

# frozen: the VMs a scenario froze (vm_freeze) and has not thawed yet;
# thaw_all, set as an EXIT trap, thaws them however the scenario ends.
frozen=""
thaw_all() { local vm; for vm in $frozen; do vm_thaw "$vm" || true; done; }

# hold_open VM FILE [REDIR]: keep FILE open in the VM until release_open,
# read-write unless REDIR (a shell redirection of fd 3, such as "3<") says
# otherwise, so that the NFS client keeps its layout (it returns layouts
# when the last open of a file is closed).
hold_open() {
	must "hold $2 open on $1" on "$1" "
		setsid sh -c 'exec ${3:-3<>}\"$2\"; exec sleep 3600' < /dev/null > /dev/null 2>&1 &
		echo \$! > /run/hold.pid
		$LBVM wait-for 10 sh -c \"ls -l /proc/\$(cat /run/hold.pid)/fd 2>/dev/null | grep -q '$2'\""
}

release_open() { on "$1" 'kill $(cat /run/hold.pid) 2>/dev/null; rm -f /run/hold.pid'; }

# daxpin_bg NAME ARGS: tests/helpers/daxpin ARGS in the background on the
# server; output in /run/NAME.out, pid in /run/NAME.pid. Returns once it
# holds or has failed. daxpin_out NAME, daxpin_pid NAME: what it printed,
# its pid.
daxpin_bg() {
	local name=$1
	shift
	on server "
		setsid $HELPERS/daxpin $* < /dev/null > /run/$name.out 2>&1 &
		echo \$! > /run/$name.pid
		$LBVM wait-for 60 grep -qE '^(holding|reg failed|lease failed)' /run/$name.out
		cat /run/$name.out" > /dev/null
}

# recall_delegation FILE: a delegation a client holds on FILE (a server
# path) is recalled now, while its back channel is up: an open of FILE
# for write (it waits for the return). Scenarios that then take the back
# channel away do this first: a CB_RECALL given up before it is prepared
# is never timed out (6.12: the delegation is not put on the recall list,
# so the laundromat never revokes it), a stock hang of its own.
recall_delegation() {
	must "delegation recalled" on server -t 120 "timeout 90 sh -c ': >> $1'"
}

# client_fences VM [complete]: how many fences "layoutctl fenced" lists for
# a client VM (with "complete": only those that cut it off); every fence
# listed is shown as a note.
client_fences() {
	local fenced sel='.client == $c'
	[ "${2:-}" = complete ] && sel='.client == $c and .complete == true'
	fenced=$(on server "$LAYOUTCTL fenced --json")
	note "fenced: $(jq -c '[.fences[] | {client, sb_id, complete}]' <<< "$fenced" 2>/dev/null)" >&2
	jq -r --arg c "$1" "[.fences[] | select($sel)] | length" <<< "$fenced"
}

# server_bg NAME COMMAND: COMMAND on the server in the background, for at
# most 120 s; its output, then "rc=N ms=N", go to /run/NAME.out.
# server_bg_wait NAME SECONDS: waits for that line, prints the file.
server_bg() {
	on server "s=\$(date +%s%N); (timeout 120 $2 > /run/$1.out 2>&1; echo rc=\$? ms=\$(( (\$(date +%s%N) - s) / 1000000 )) >> /run/$1.out) > /dev/null 2>&1 &" > /dev/null
}
server_bg_wait() {
	on server -t $(( $2 + 30 )) "$LBVM wait-for $2 grep -q '^rc=' /run/$1.out; cat /run/$1.out"
}

# ballast MIB: an allocated, never written file takes all of /srv/export but
# MIB MiB, so that canaries fill only those and whatever is freed later.
ballast() {
	must "ballast" on server "fallocate -l \$(( \$(df -B1 --output=avail /srv/export | tail -n1) - $1 * 1048576 )) /srv/export/ballast"
}

# busy_pages FILE: the pages of a server DAX file that pins or DMA hold, as
# fdinfo of a new open of it counts them (dax_busy_pages).
busy_pages() {
	on server "exec 3< '$1'; n=\$(sed -n 's/^dax_busy_pages:[[:space:]]*//p' /proc/\$\$/fdinfo/3); echo \${n:-0}"
}

daxpin_out() { on server "cat /run/$1.out"; }
daxpin_pid() { on server "cat /run/$1.pid"; }
