# (d) Fallback: a client with the shared namespace but no blkmapd running.
# Its writes should go through the server, with the data intact. On 6.12
# they stall instead: the client got a layout it cannot use and writes
# through the server while holding it; nfsd's WRITE breaks that client's own
# layout lease (xfs_file_write_checks -> xfs_break_layouts, BREAK_WRITE) and
# every nfsd thread sleeps in __break_lease for a recall the client does not
# complete while those writes are outstanding ("nfs: server not responding"
# for minutes). Skipped until the kernel series stops a client's own writes
# from recalling its own layout; run it with LB_RUN_SKIPPED=1.
DESC="client with the namespace but no blkmapd: I/O through the server"
OURS_ONLY=
SKIP="6.12: the client's own MDS writes recall its own layout and stall every nfsd thread"
TIMEOUT=600

scenario() {
	server_up --fs dax
	fallback_check "no blkmapd" client2 $SERVER_ADDR2 --no-blkmapd
	on client2 "$LBVM client-down" > /dev/null
}
