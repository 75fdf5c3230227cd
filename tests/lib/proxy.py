#!/usr/bin/env python3
# errand: a terminal mail user agent. See LICENSE.
# A fault-injecting TCP proxy for tests: it forwards 127.0.0.1:PORT to the
# real server's port and, as the control file says, refuses connections,
# stalls them or cuts them, so a test can take the server away and bring it
# back without touching the server. Standard library only.
#
# usage: proxy.py TARGET_PORT PORTFILE CONTROL
#
# It binds a free port and writes it to PORTFILE (through a temporary file
# and rename). CONTROL holds one word, read at every change and every
# 50 ms:
#   up      forward connections (the default when the file is missing)
#   down    close the listening socket (connections are refused) and cut
#           every open connection
#   stall   accept and hold connections, forwarding nothing either way
#   slow    forward, but the server's bytes 512 at a time, 20 ms apart
#   crawl   the same, 64 bytes at a time
# It runs until killed.

import os
import select
import socket
import sys
import threading
import time


def mode(path):
    try:
        with open(path) as f:
            return f.read().strip() or "up"
    except OSError:
        return "up"


def main():
    target, portfile, control = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    lock = threading.Lock()
    conns = []  # (client, server) pairs open now
    port = None
    listener = None

    def listen():
        nonlocal listener, port
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port or 0))
        listener.listen(16)
        if port is None:
            port = listener.getsockname()[1]
            tmp = portfile + ".tmp"
            with open(tmp, "w") as f:
                f.write("%d\n" % port)
            os.rename(tmp, portfile)

    def pump(c, s):
        socks = [c, s]
        try:
            while True:
                r, _, _ = select.select(socks, [], [], 0.05)
                if mode(control) == "stall":
                    time.sleep(0.05)
                    continue
                for x in r:
                    data = x.recv(65536)
                    if not data:
                        return
                    m = mode(control)
                    if x is s and m in ("slow", "crawl"):
                        step = 512 if m == "slow" else 64
                        for i in range(0, len(data), step):
                            c.sendall(data[i:i + step])
                            time.sleep(0.02)
                        continue
                    (s if x is c else c).sendall(data)
        except OSError:
            pass
        finally:
            for x in socks:
                try:
                    x.close()
                except OSError:
                    pass
            with lock:
                if (c, s) in conns:
                    conns.remove((c, s))

    listen()
    while True:
        m = mode(control)
        if m == "down":
            if listener is not None:
                listener.close()
                listener = None
            with lock:
                for c, s in conns:
                    for x in (c, s):
                        try:
                            x.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass
            time.sleep(0.05)
            continue
        if listener is None:
            try:
                listen()
            except OSError:
                time.sleep(0.05)
                continue
        r, _, _ = select.select([listener], [], [], 0.05)
        if not r:
            continue
        c, _ = listener.accept()
        try:
            s = socket.create_connection(("127.0.0.1", target))
        except OSError:
            c.close()
            continue
        with lock:
            conns.append((c, s))
        threading.Thread(target=pump, args=(c, s), daemon=True).start()


if __name__ == "__main__":
    main()
