# (d) Fallback: a client that cannot reach the shared storage. First without
# the shared NVMe namespace (blkmapd finds no device with the XFS
# signature), then with the namespace but no blkmapd. Either way the client's
# I/O must go through the server, with the data intact.
DESC="client without the shared namespace, or without blkmapd: I/O through the server"
OURS_ONLY=
TIMEOUT=1200

scenario() {
	server_up --fs dax
	note "client2 without the shared namespace"
	fallback_check "no shared namespace" client2 $SERVER_ADDR2 --no-nvme
	on client2 "$LBVM client-down" > /dev/null
	note "client2 with the namespace but no blkmapd"
	on server 'rm -f /srv/export/fallback.dat'
	fallback_check "no blkmapd" client2 $SERVER_ADDR2 --no-blkmapd
	on client2 "$LBVM client-down" > /dev/null
}
