# (d) Fallback: a file with shared extents on a reflink-enabled XFS exported
# with pnfs. XFS refuses block layouts for reflinked inodes, so the client's
# I/O must go through the server, with the data intact.
DESC="reflinked file on pnfs export: layouts refused, I/O through the server"
OURS_ONLY=
TIMEOUT=900

scenario() {
	server_up --fs reflink
	must "reflinked file" on server '
		xfs_io -f -c "pwrite -q 0 8m" -c fsync /srv/export/orig.dat &&
		xfs_io -f -c "reflink /srv/export/orig.dat" -c fsync /srv/export/fallback.dat'
	fallback_check "reflink inode" client1 $SERVER_ADDR
}
