# The matrix, the pNFS column (make matrix): every operation that frees or
# moves blocks, run on the server while client1 holds a pNFS block layout of
# [1M, 2M) of f.dat and has written it straight to the shared device; then
# client1 writes it again. See tests/lib/matrix.sh.
DESC="matrix, pNFS column: every block-freeing or -moving operation against a client's layout of [1M, 2M)"
OURS_ONLY=swapext/pnfs-moved-only-after-recall
TIMEOUT=2400

. "$LB_TOP/tests/lib/matrix.sh"

scenario() {
	mx_columns pnfs
}
