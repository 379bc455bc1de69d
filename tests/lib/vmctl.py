#!/usr/bin/env python3
"""Run a shell script in a test VM through its agent (tests/lib/agent.py).

  vmctl.py PORT [--timeout S] [--connect-timeout S] SCRIPT
  vmctl.py PORT --wait-up S

Output is streamed to stdout; the exit status is the script's, 124 when it
timed out in the VM, 125 when the agent could not be reached or the
connection broke.
"""
import argparse
import json
import socket
import sys
import time


def connect(port, deadline):
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


def run(port, script, timeout, connect_timeout, margin=30):
    deadline = time.monotonic() + connect_timeout
    try:
        s = connect(port, deadline)
    except OSError as e:
        print("vmctl: cannot reach agent on port %d: %s" % (port, e), file=sys.stderr)
        return 125
    # The VM enforces the timeout; allow it a margin to report back.
    s.settimeout(timeout + margin)
    s.sendall(json.dumps({"script": script, "timeout": timeout}).encode() + b"\n")
    tail = b""
    out = sys.stdout.buffer
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data = tail + chunk
            i = data.rfind(b"\0LB-RC ")
            if i >= 0 and data.endswith(b"\n"):
                out.write(data[:i])
                out.flush()
                return int(data[i + 7:].strip())
            keep = 16
            out.write(data[:-keep] if len(data) > keep else b"")
            tail = data[-keep:] if len(data) > keep else data
            out.flush()
    except OSError as e:
        print("vmctl: connection to agent broke: %s" % e, file=sys.stderr)
        return 125
    out.write(tail)
    out.flush()
    print("vmctl: agent closed the connection without a status", file=sys.stderr)
    return 125


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("script", nargs="?")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--connect-timeout", type=float, default=10)
    ap.add_argument("--wait-up", type=float)
    a = ap.parse_intermixed_args()
    if a.wait_up is not None:
        # qemu's host forward accepts before the guest listens: retry until
        # a whole command went through. While the guest boots, the forward
        # may hold a connection open without an answer; give each try a
        # few seconds, not a command's full margin, or one such try can
        # cost a minute after the guest is up.
        deadline = time.monotonic() + a.wait_up
        while True:
            rc = run(a.port, "true", 5, max(deadline - time.monotonic(), 1), margin=5)
            if rc == 0 or time.monotonic() >= deadline:
                return rc
            time.sleep(1)
    script = a.script if a.script is not None else sys.stdin.read()
    return run(a.port, script, a.timeout, a.connect_timeout)


if __name__ == "__main__":
    sys.exit(main())
