# (d) Fallback: a client that cannot reach the shared storage: without the
# shared NVMe namespace blkmapd finds no device with the XFS signature, and
# the client's I/O must go through the server, with the data intact.
# (The same client with the namespace but no blkmapd is 08-fallback-no-blkmapd.)
DESC="client without the shared namespace: I/O through the server"
OURS_ONLY=
TIMEOUT=900

scenario() {
	server_up --fs dax
	note "client2 without the shared namespace"
	fallback_check "no shared namespace" client2 $SERVER_ADDR2 --no-nvme
	on client2 "$LBVM client-down" > /dev/null
}
