# Read-only long-term pins of DAX pages the file does not own alone. On a
# reflink=1 DAX filesystem, daxpin serve registers a read-only RDMA memory
# region (remote read only, a pin without FOLL_WRITE) on a file's shared
# mapping under a layout lease, and daxpin drive, on the same machine
# through rxe, reads the whole region through the pins and compares it
# with what the file holds at that moment, first at once, then again after
# each change below:
#  - a hole (2 MiB, sparse): the pin must not be of the shared zero page.
#    The pin allocates the blocks (the file has them once the region is
#    registered), fdinfo's DAX kind sees the pinned pages, and a write
#    through another mapping afterwards is what the device reads;
#  - a hole through a read-only mapping (O_RDONLY, PROT_READ): nothing can
#    allocate the blocks, so the pin is refused (EFAULT); over written data
#    the same read-only pin is allowed;
#  - a block shared by reflink with another file: the pin copies it first,
#    so a later write to the file through another mapping lands in the
#    pinned block (the device reads it), the DAX kind still sees the pin
#    after it, and removing the other file, then filling the filesystem
#    with canaries, puts no canary bytes where the device reads;
#  - a block that a write through the mapping already copied from a
#    reflinked one: the file owns it alone, so the pin takes it as it is,
#    with no write fault (the file's mtime, set to a past date, stays).
# On the series before 0022/0023 the region pinned the zero page and the shared
# block: the device read zeroes and old data after the writes, the DAX
# kind saw nothing, and after the other file's removal it read the
# canaries that reused that file's freed blocks; before 0022 alone, the
# copied block was still marked shared and the pin write-faulted it again.
# Stock refuses the pins.
DESC="read-only DAX pins of holes and reflinked blocks: allocated or copied first, the device sees later writes, no foreign bytes"
OURS_ONLY=hole-pin-registered
TIMEOUT=1200

D=/srv/export/ro

# ro_pin NAME FILE LEN PORT [SERVE-ARGS]: the region on FILE (daxpin
# serve -r) and the reader (daxpin drive -C) on the server; returns once
# the reader's first comparison (or its failure) is printed.
ro_pin() {
	local name=$1 file=$2 len=$3 port=$4
	shift 4
	on server -t 240 "
		setsid $HELPERS/daxpin serve $file -a $SERVER_ADDR -p $port -n $len -r $* -t 900 < /dev/null > /run/$name.srv 2>&1 &
		echo \$! > /run/$name.srv.pid
		$LBVM wait-for 60 grep -q '^listening' /run/$name.srv || exit 0
		setsid $HELPERS/daxpin drive $SERVER_ADDR -p $port -C $file -t 900 < /dev/null > /run/$name.drv 2>&1 &
		echo \$! > /run/$name.drv.pid
		$LBVM wait-for 120 sh -c 'grep -qE \"^(compared|read failed|timeout)\" /run/$name.drv || ! kill -0 \$(cat /run/$name.drv.pid) 2>/dev/null'
		true" > /dev/null
}

# compare_again NAME: the reader's next comparison; prints its line.
compare_again() {
	on server -t 120 "
		n=\$(grep -c '^compared' /run/$1.drv)
		kill -USR1 \$(cat /run/$1.drv.pid)
		$LBVM wait-for 60 sh -c '[ \$(grep -cE \"^(compared|read failed)\" /run/$1.drv) -gt '\$n' ]'
		grep -E '^(compared|read failed)' /run/$1.drv | tail -n1"
}

# ro_unpin NAME: end both; the region goes with the serving process.
ro_unpin() {
	on server -t 60 "
		for p in \$(cat /run/$1.drv.pid /run/$1.srv.pid 2>/dev/null); do
			kill \$p 2>/dev/null
			$LBVM wait-for 30 sh -c '! kill -0 '\$p' 2>/dev/null'
		done
		true" > /dev/null
}

# pinned NAME LABEL REG-CHECK READ-CHECK: after ro_pin NAME, the region
# was registered read-only and its first read matches the file.
pinned() {
	local srv drv
	srv=$(on server "cat /run/$1.srv")
	drv=$(on server "cat /run/$1.drv")
	note "$2: server: $(grep -E '^(lease|reg)' <<< "$srv" | tr '\n' ';') reader: $(tr '\n' ';' <<< "$drv")"
	check "$3" grep -q '^reg ok .* read-only' <<< "$srv"
	check "$4" eq "$(differ "$(grep '^compared' <<< "$drv" | head -n1)")" 0
}

# differ LINE: the count of a "compared N pages: M differ" line, or -1.
differ() { sed -n 's/^compared [0-9]* pages: \([0-9]*\) differ.*/\1/p' <<< "$1" | grep . || echo -1; }

scenario() {
	local srv out blocks old
	server_up --fs daxreflink --size 300m --no-nvmet --dax-pins
	must "dir" on server "mkdir -p $D && chmod 777 $D"

	# 1. A hole, through a writable mapping.
	must "h.dat" on server "truncate -s 2m $D/h.dat"
	ro_pin h $D/h.dat 2097152 7473
	pinned h hole hole-pin-registered hole-read-through-pin
	blocks=$(on server "stat -c %b $D/h.dat")
	record hole_bytes_allocated_by_pin "$(( blocks * 512 ))"
	check "hole-allocated-by-pin" ge "$(( blocks * 512 ))" 2097152
	out=$(busy_pages $D/h.dat)
	record hole_busy_pages "$out"
	check "hole-pin-seen-by-dax-kind" ge "$out" 512
	must "mwrite h.dat" on server "xfs_io -c 'mmap -w 0 2m' -c 'mwrite -S 0x62 0 2m' -c 'msync -s 0 2m' $D/h.dat"
	out=$(compare_again h)
	note "hole after the write: $out"
	record hole_pages_stale_after_write "$(differ "$out")"
	check "hole-pin-sees-later-write" eq "$(differ "$out")" 0
	ro_unpin h

	# 2. A hole through a read-only mapping: refused; written data: allowed.
	must "r.dat" on server "truncate -s 1m $D/r.dat"
	ro_pin r $D/r.dat 1048576 7474 -o
	srv=$(on server "cat /run/r.srv")
	note "read-only mapping of a hole: $(grep -E '^(lease|reg)' <<< "$srv" | tr '\n' ';')"
	check "ro-map-hole-pin-refused" grep -q '^reg failed errno=14 ' <<< "$srv"
	ro_unpin r
	must "d.dat" on server "xfs_io -f -c 'pwrite -q -S 0x64 0 1m' -c fsync $D/d.dat"
	ro_pin d $D/d.dat 1048576 7475 -o
	pinned d "read-only mapping of data" ro-map-data-pin-allowed ro-map-data-read-through-pin
	ro_unpin d

	# 3. A block shared by reflink.
	must "a.dat" on server "xfs_io -f -c 'pwrite -q -S 0x61 0 1m' -c fsync $D/a.dat"
	must "b.dat, reflinked" on server "cp --reflink=always $D/a.dat $D/b.dat && sync"
	old=$(extents server $D/b.dat)
	must "fiemap of b.dat" test -n "$old"
	record shared_bytes_before_pin "$(overlap "$old" "$(extents server $D/a.dat)")"
	ro_pin a $D/a.dat 1048576 7476
	pinned a reflinked shared-pin-registered shared-read-through-pin
	record shared_bytes_after_pin "$(overlap "$old" "$(extents server $D/a.dat)")"
	must "mwrite a.dat" on server "xfs_io -c 'mmap -w 0 1m' -c 'mwrite -S 0x63 0 1m' -c 'msync -s 0 1m' $D/a.dat"
	out=$(compare_again a)
	note "reflinked after the write: $out"
	record shared_pages_stale_after_write "$(differ "$out")"
	check "shared-pin-sees-later-write" eq "$(differ "$out")" 0
	out=$(busy_pages $D/a.dat)
	record shared_busy_pages_after_write "$out"
	check "shared-pin-seen-after-write" ge "$out" 256
	# The other sharer goes and its freed blocks are reused.
	must "rm b.dat" on server "rm $D/b.dat && sync"
	canaries_over "$old" 0
	record canary_bytes_on_b_blocks "$CANARY_OVERLAP"
	out=$(compare_again a)
	note "after rm b.dat and canaries: $out"
	record foreign_pages_read_through_pin "$(differ "$out")"
	check "no-foreign-bytes-through-pin" eq "$(differ "$out")" 0
	ro_unpin a
	on server "rm -f /srv/export/canary*" > /dev/null

	# 4. A block a write fault already copied from a reflinked one.
	must "c.dat" on server "xfs_io -f -c 'pwrite -q -S 0x65 0 1m' -c fsync $D/c.dat"
	must "e.dat, reflinked" on server "cp --reflink=always $D/c.dat $D/e.dat && sync"
	old=$(extents server $D/e.dat)
	must "mwrite c.dat" on server "xfs_io -c 'mmap -w 0 1m' -c 'mwrite -S 0x66 0 1m' -c 'msync -s 0 1m' $D/c.dat"
	out=$(overlap "$old" "$(extents server $D/c.dat)")
	record copied_bytes_still_shared "$out"
	check "copied-block-owned" eq "$out" 0
	must "past mtime" on server "touch -m -d @1000000000 $D/c.dat"
	ro_pin c $D/c.dat 1048576 7477
	pinned c "copied by a write" copied-block-pin-registered copied-block-read-through-pin
	out=$(on server "stat -c %Y $D/c.dat")
	record copied_block_mtime_after_pin "$out"
	check "copied-block-pin-no-write-fault" eq "$out" 1000000000
	ro_unpin c
	on server "rm -f $D/*.dat" > /dev/null
}
