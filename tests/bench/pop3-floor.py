#!/usr/bin/env python3
# errand: a terminal mail user agent. See LICENSE.
# The POP3 floor: a raw lock-step client over pop3s that logs in and, for
# each message, sends RETR, reads it to the end, writes it into a Maildir's
# tmp/, fsyncs the file, renames it into new/ and fsyncs the directory:
# what "safely at home" costs without pipelining. RFC 1939.
# Usage: pop3-floor.py PORT USER PASSFILE CAFILE MAILDIR

import os
import socket
import ssl
import sys


def main():
    port, user, passfile, ca, maildir = sys.argv[1:6]
    with open(passfile) as f:
        password = f.read().strip()
    for d in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(maildir, d), exist_ok=True)
    ctx = ssl.create_default_context(cafile=ca)
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(port))),
                        server_hostname="127.0.0.1")
    f = s.makefile("rb")

    def line():
        ln = f.readline()
        if not ln:
            raise SystemExit("pop3-floor: connection closed")
        return ln

    def cmd(c):
        s.sendall(c.encode() + b"\r\n")
        ln = line()
        if not ln.startswith(b"+OK"):
            raise SystemExit("pop3-floor: %s: %r" % (c.split()[0], ln))
        return ln

    line()
    cmd("USER " + user)
    cmd("PASS " + password)
    count = int(cmd("STAT").split()[1])
    newdir = os.open(os.path.join(maildir, "new"), os.O_RDONLY)
    total = 0
    for i in range(1, count + 1):
        cmd("RETR %d" % i)
        parts = []
        while True:
            ln = line()
            if ln == b".\r\n":
                break
            if ln.startswith(b".."):
                ln = ln[1:]
            parts.append(ln[:-2] + b"\n" if ln.endswith(b"\r\n") else ln)
        data = b"".join(parts)
        total += len(data)
        name = "floor.%d" % i
        tmp = os.path.join(maildir, "tmp", name)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        os.rename(tmp, os.path.join(maildir, "new", name))
        os.fsync(newdir)
    cmd("QUIT")
    print("messages %d bytes %d" % (count, total))


if __name__ == "__main__":
    main()
