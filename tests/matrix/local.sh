# The matrix, every server-local column (make matrix): every operation that
# frees or moves blocks against an io_uring fixed buffer, a writable RDMA
# region, a read-only RDMA region over a hole, one over written blocks (each a long-term pin of
# [1M, 2M) under a layout lease on [1M, 3M)) and DMA in flight with no
# lease. See tests/lib/matrix.sh for what each cell does and records.
DESC="matrix: every block-freeing or -moving operation against pins and DMA on [1M, 2M)"
OURS_ONLY=pins-allowed
TIMEOUT=4800

. "$LB_TOP/tests/lib/matrix.sh"

scenario() {
	mx_columns ${LB_MX_REFS:-uring mr hole ro dma}
}
