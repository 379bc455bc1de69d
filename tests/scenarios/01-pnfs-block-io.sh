# (a) pNFS block I/O is real: the client writes through its layout straight
# to the shared NVMe-oF namespace, and the server's DAX file holds the data.
DESC="pNFS block I/O on DAX XFS bypasses the server"
OURS_ONLY=
TIMEOUT=900

scenario() {
	pnfs_write_check dax
}
