#!/usr/bin/python3
"""Command agent inside a test VM.

Listens on the control NIC (qemu user networking, forwarded from a port on
the host's 127.0.0.1 only). Each connection carries one command: a JSON line
{"script": "...", "timeout": seconds}; the agent runs it with bash in its own
process group, streams stdout and stderr back, and ends with a line
"\\0LB-RC <status>". A command that outlives its timeout, or whose caller
hangs up, is killed with its whole process group (status 124).
"""
import json
import os
import signal
import socketserver
import subprocess
import sys
import threading


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        try:
            req = json.loads(self.rfile.readline())
            script = req["script"]
            timeout = float(req.get("timeout", 300))
        except (ValueError, KeyError, TypeError) as e:
            self.wfile.write(b"agent: bad request: %s\n\0LB-RC 2\n" % str(e).encode())
            return
        proc = subprocess.Popen(["/bin/bash", "-c", script], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        timer = threading.Timer(timeout, self.kill, (proc, b"timed out"))
        timer.start()
        try:
            for chunk in iter(lambda: proc.stdout.read1(65536), b""):
                self.wfile.write(chunk)
                self.wfile.flush()
        except OSError:
            self.kill(proc, b"caller hung up")
        status = proc.wait()
        timer.cancel()
        if getattr(proc, "lb_killed", False):
            status = 124
        elif status < 0:
            status = 128 - status
        try:
            self.wfile.write(b"\0LB-RC %d\n" % status)
        except OSError:
            pass

    @staticmethod
    def kill(proc, why):
        proc.lb_killed = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        try:
            with open("/dev/kmsg", "wb") as k:
                k.write(b"lb-agent: killed command " + why + b"\n")
        except OSError:
            pass


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    addr, port = sys.argv[1], int(sys.argv[2])
    with Server((addr, port), Handler) as srv:
        with open("/dev/kmsg", "w") as k:
            k.write("lb-agent: listening on %s:%d\n" % (addr, port))
        srv.serve_forever()
