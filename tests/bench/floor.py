#!/usr/bin/env python3
# errand: a terminal mail user agent. See LICENSE.
# The floor in Python, to compare with floor.c (the one the benchmark
# uses): LOGIN, SELECT, one UID FETCH 1:* of errand's fields over imaps,
# reading until the tagged OK and counting bytes and messages.
# Usage: floor.py [-f] PORT USER PASSFILE CAFILE [MAILBOX]

import socket
import ssl
import sys
import time

FULL = (b"UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE MODSEQ "
        b"BODY.PEEK[HEADER.FIELDS (DATE FROM TO CC SUBJECT MESSAGE-ID "
        b"IN-REPLY-TO REFERENCES CONTENT-TYPE)])")
FLAGS = b"UID FETCH 1:* (UID FLAGS)"


class Conn:
    def __init__(self, sock):
        self.s = sock
        self.buf = b""
        self.off = 0
        self.bytes = 0
        self.tag = 0

    def more(self):
        data = self.s.recv(262144)
        if not data:
            raise SystemExit("floor.py: connection closed")
        self.bytes += len(data)
        self.buf = self.buf[self.off:] + data
        self.off = 0

    def response(self):
        """One response's first 64 bytes, its literals skipped."""
        head = None
        while True:
            nl = self.buf.find(b"\n", self.off)
            while nl < 0:
                self.more()
                nl = self.buf.find(b"\n", self.off)
            line = self.buf[self.off:nl]
            self.off = nl + 1
            if head is None:
                head = line[:64]
            if line.endswith(b"}\r"):
                i = line.rfind(b"{")
                n = int(line[i + 1:-2])
                while len(self.buf) - self.off < n:
                    self.more()
                self.off += n
                continue
            return head

    def cmd(self, line):
        self.tag += 1
        tag = b"a%d " % self.tag
        self.s.sendall(tag + line + b"\r\n")
        fetches = 0
        while True:
            head = self.response()
            if head.startswith(b"* "):
                if b" FETCH " in head:
                    fetches += 1
            elif head.startswith(tag):
                if not head[len(tag):].startswith(b"OK"):
                    raise SystemExit("floor.py: %r" % head)
                return fetches


def main():
    args = sys.argv[1:]
    flags_only = args[:1] == ["-f"]
    if flags_only:
        args = args[1:]
    if len(args) not in (4, 5):
        raise SystemExit(__doc__)
    port, user, passfile, cafile = args[:4]
    mailbox = args[4] if len(args) > 4 else "INBOX"
    with open(passfile) as f:
        password = f.readline().strip()
    t0 = time.monotonic()
    ctx = ssl.create_default_context(cafile=cafile)
    raw = socket.create_connection(("127.0.0.1", int(port)))
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c = Conn(ctx.wrap_socket(raw, server_hostname="127.0.0.1"))
    if not c.response().startswith(b"* OK"):
        raise SystemExit("floor.py: no greeting")
    c.cmd(b'LOGIN %s "%s"' % (user.encode(), password.encode()))
    c.cmd(b'SELECT "%s"' % mailbox.encode())
    n = c.cmd(FLAGS if flags_only else FULL)
    c.s.sendall(b"z LOGOUT\r\n")
    print("messages %d bytes %d seconds %.3f" % (n, c.bytes,
                                                 time.monotonic() - t0))


if __name__ == "__main__":
    main()
