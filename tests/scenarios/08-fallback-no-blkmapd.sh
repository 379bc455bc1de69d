# (d) Fallback: a client with the shared namespace but no blkmapd running.
# Its I/O should go through the server, with the data intact. On 6.12 the
# client's writes stall instead ("nfs: server not responding" for minutes,
# the server idle), so the scenario is skipped until that is understood and
# fixed; run it by hand with LB_RUN_SKIPPED=1.
DESC="client with the namespace but no blkmapd: I/O through the server"
OURS_ONLY=
SKIP="6.12 NFS client stalls without blkmapd instead of falling back; under investigation"
TIMEOUT=600

scenario() {
	server_up --fs dax
	fallback_check "no blkmapd" client2 $SERVER_ADDR2 --no-blkmapd
	on client2 "$LBVM client-down" > /dev/null
}
