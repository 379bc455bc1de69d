# The io_uring column of the matrix (make matrix runs every column): every
# operation that frees or moves blocks, on a DAX file whose [1M, 2M) an
# io_uring fixed buffer pins under a layout lease on [1M, 3M), the holder
# keeping nothing but the buffer and ignoring breaks. Each operation must
# be refused (ETXTBSY after lease-break-time) or leave the pinned blocks
# where they are: canaries filling the filesystem afterwards take none of
# them, the buffer's DMA then lands in the file and in no other file, and
# a refused operation succeeds once the buffer is unregistered. See
# tests/lib/matrix.sh. Also two read-only-pin cells: a write into a CoW
# reservation (cow-prealloc/ro) and online repair (repair/ro). Stock
# refuses the pins.
DESC="matrix, io_uring column: truncate, punch, zero, collapse, insert, unshare, swapext, reflink, dedupe, exchange, unlink, repair, write, CoW against a pin"
OURS_ONLY=pins-allowed
TIMEOUT=1500

. "$LB_TOP/tests/lib/matrix.sh"

scenario() {
	mx_columns uring
	# and the one cell where a read-only pin takes no write fault: a
	# write into a leftover CoW reservation over a block the file owns
	# alone must not move the file off the pinned block (0027)
	mx_progress "matrix: cow-prealloc/ro"
	mx_cell cow-prealloc ro
	# and online repair against a read-only pin: the repair invalidates
	# the mapping, which must keep the pinned pages' clean entries (0028)
	mx_progress "matrix: repair/ro"
	mx_cell repair ro
}
