# (d) Fallback: the NVMe-oF target is missing. The client's connect fails
# within its timeout instead of hanging, and its I/O goes through the
# server with the data intact.
DESC="missing NVMe target: connect fails without hanging, I/O through the server"
OURS_ONLY=
TIMEOUT=900

scenario() {
	local t
	server_up --fs dax --no-nvmet
	t=$(date +%s)
	fallback_check "no NVMe target" client1 $SERVER_ADDR
	record client_up_and_write_s "$(( $(date +%s) - t ))"
	check "connect-failed" on client1 'test -s /run/nvme-connect.err && ! ls /dev/nvme*n1 2>/dev/null'
	note "client1 connect error: $(on client1 'cat /run/nvme-connect.err')"
	on client1 "$LBVM client-down" > /dev/null
}
