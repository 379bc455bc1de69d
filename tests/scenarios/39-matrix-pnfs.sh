# The matrix's pNFS column (make matrix tabulates it beside the local
# columns, ours and stock): every operation that frees or moves blocks, run
# on the server while client1 holds a pNFS block layout of [1M, 2M) of the
# file and has written it straight to the shared device. Each must recall
# the layout before it frees, moves or shares the blocks: client1's next
# write of [1M, 2M) then lands in the file, not in canaries that took the
# freed blocks nor in the donor or clone that now holds them. Files with
# shared extents get no layout (XFS refuses them), so their cells say so.
# See tests/lib/matrix.sh. Stock breaks no layout in swapext.
DESC="matrix, pNFS column: every block-freeing or -moving operation against a client's layout of [1M, 2M)"
OURS_ONLY=swapext/pnfs-moved-only-after-recall
TIMEOUT=1500

. "$LB_TOP/tests/lib/matrix.sh"

scenario() {
	mx_columns pnfs
}
