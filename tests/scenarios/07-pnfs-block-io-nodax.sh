# Scenario (a) on a non-DAX XFS on the same pmem: the pNFS block setup users
# run today, and the baseline for the DAX numbers.
DESC="pNFS block I/O on non-DAX XFS (baseline)"
OURS_ONLY=
TIMEOUT=900

scenario() {
	pnfs_write_check nodax
}
