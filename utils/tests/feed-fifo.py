#!/usr/bin/env python3
# feed-fifo.py FIFO CHUNK...: writes each CHUNK (Python string escapes,
# \n for a newline) to FIFO, and before the next one waits until the reader
# has read all of it: each chunk reaches the reader in a read of its own,
# as trace_pipe hands out a line in parts when it is cut between two reads.
# The wait is on inotify's IN_ACCESS for the FIFO (a read of it), not on a
# clock; it gives up after 10 seconds. Then closes FIFO (end of file).
import ctypes
import fcntl
import os
import select
import struct
import sys
import termios
import time

IN_ACCESS = 0x1
libc = ctypes.CDLL(None, use_errno=True)


def unread(fd):
    return struct.unpack('i', fcntl.ioctl(fd, termios.FIONREAD, b'\0' * 4))[0]


def main():
    path = sys.argv[1]
    ino = libc.inotify_init1(os.O_CLOEXEC)
    if ino < 0 or libc.inotify_add_watch(ino, path.encode(), IN_ACCESS) < 0:
        sys.exit('feed-fifo: inotify: %s' % os.strerror(ctypes.get_errno()))
    fd = os.open(path, os.O_WRONLY)	# once the reader has it open
    for chunk in sys.argv[2:]:
        try:
            os.write(fd, chunk.encode().decode('unicode_escape').encode('latin-1'))
        except BrokenPipeError:
            sys.exit('feed-fifo: the reader closed FIFO before %r' % chunk)
        end = time.monotonic() + 10
        while unread(fd):
            left = end - time.monotonic()
            if left <= 0 or not select.select([ino], [], [], left)[0]:
                sys.exit('feed-fifo: %r was not read' % chunk)
            os.read(ino, 4096)
    os.close(fd)


main()
