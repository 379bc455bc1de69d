# (d) Fallback: the NVMe-oF target is missing (the client asks for a
# subsystem the server does not have). The client's connect fails
# within seconds instead of hanging, the mount works, and the client reads a
# file through the server (READ carries the data) with the data intact.
#
# Writes are left out here: a client whose layout device cannot be resolved
# writes through the server while it still holds the layout, nfsd's write
# then breaks that client's own layout lease, and every nfsd thread waits in
# __break_lease (xfs_file_write_checks -> xfs_break_layouts) for a recall the
# client cannot answer while those writes are outstanding. That stall is
# shown by 08-fallback-no-blkmapd and is for the kernel series to fix.
DESC="missing NVMe target: connect fails without hanging, reads go through the server"
OURS_ONLY=
TIMEOUT=900

scenario() {
	local t before after d sum csum err
	server_up --fs dax
	sum=$(on server 'dd if=/dev/urandom of=/srv/export/read.dat bs=1M count=8 status=none &&
		sha256sum < /srv/export/read.dat | cut -d" " -f1')
	must "server file" test -n "$sum"
	t=$(date +%s)
	client_up client1 $SERVER_ADDR --nqn nqn.2026-01.io.layoutbreak:missing
	record client_up_s "$(( $(date +%s) - t ))"
	err=$(on client1 'cat /run/nvme-connect.err 2>/dev/null')
	note "client1 nvme connect: ${err:-no error}"
	check "connect-failed" on client1 'test -s /run/nvme-connect.err && ! ls /dev/nvme*n1 2>/dev/null'
	check "connect-bounded" lt "$(( $(date +%s) - t ))" 120
	before=$(on server "$LBVM nfsd-stats")
	csum=$(on client1 -t 300 "dd if=/mnt/pnfs/read.dat bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1")
	after=$(on server "$LBVM nfsd-stats")
	d=$(nfsd_delta "$before" "$after")
	for k in LAYOUTGET GETDEVICEINFO READ READ_PLUS READ_BYTES; do record "$k" "$(kv $k "$d")"; done
	check "data-went-through-server" ge "$(kv READ_BYTES "$d")" $((8 * 1048576))
	check "data-intact" eq "$csum" "$sum"
	on client1 "$LBVM client-down" > /dev/null
}
