#!/usr/bin/env python3
# errand: a terminal mail user agent. See LICENSE.
# A WAN-shaped TCP forwarder for the benchmark: listens on 127.0.0.1 and
# relays each connection to a target port, delaying every byte by a fixed
# one-way delay and pacing each direction to a rate, as a long link with a
# bottleneck would (a chunk leaves when the link is free, arrives a delay
# later). Standard library only.
#
# usage: wan.py TARGET-PORT PORTFILE [--delay MS] [--rate MBIT]
#               [--up-delay MS] [--up-rate MBIT]
#
# --delay/--rate shape server to client, --up-* client to server (default:
# the same). 80 ms round trip is --delay 40. It writes the port it listens
# on to PORTFILE (through a temporary file and rename) and runs until
# killed.

import argparse
import collections
import os
import socket
import sys
import threading
import time

CHUNK = 16384


class Pipe:
    """One direction: a reader stamps each chunk with the time it will
    have crossed the link; a writer sends it then."""

    def __init__(self, src, dst, delay, rate):
        self.src, self.dst = src, dst
        self.delay = delay
        self.rate = rate            # bytes per second, 0: unlimited
        self.free = 0.0             # when the link is free again
        self.q = collections.deque()
        self.cv = threading.Condition()
        self.eof = False

    def reader(self):
        try:
            while True:
                data = self.src.recv(CHUNK)
                now = time.monotonic()
                if not data:
                    break
                start = max(now, self.free)
                self.free = start + (len(data) / self.rate if self.rate else 0)
                with self.cv:
                    self.q.append((self.free + self.delay, data))
                    self.cv.notify()
        except OSError:
            pass
        with self.cv:
            self.eof = True
            self.cv.notify()

    def writer(self):
        try:
            while True:
                with self.cv:
                    while not self.q and not self.eof:
                        self.cv.wait()
                    if not self.q:
                        break
                    due, data = self.q.popleft()
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                self.dst.sendall(data)
            self.dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve(client, target, A):
    try:
        server = socket.create_connection(("127.0.0.1", target))
    except OSError:
        client.close()
        return
    for s in (client, server):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # The connect itself crosses the link: one round trip.
    time.sleep(A.delay + A.up_delay)
    pipes = [Pipe(client, server, A.up_delay, A.up_rate),
             Pipe(server, client, A.delay, A.rate)]
    threads = []
    for p in pipes:
        for fn in (p.reader, p.writer):
            t = threading.Thread(target=fn, daemon=True)
            t.start()
            threads.append(t)
    for t in threads:
        t.join()
    client.close()
    server.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("target", type=int)
    ap.add_argument("portfile")
    ap.add_argument("--delay", type=float, default=40.0)
    ap.add_argument("--rate", type=float, default=25.0)
    ap.add_argument("--up-delay", type=float)
    ap.add_argument("--up-rate", type=float)
    A = ap.parse_args()
    A.up_delay = A.delay if A.up_delay is None else A.up_delay
    A.up_rate = A.rate if A.up_rate is None else A.up_rate
    A.delay /= 1000.0
    A.up_delay /= 1000.0
    A.rate = A.rate * 1e6 / 8
    A.up_rate = A.up_rate * 1e6 / 8

    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    tmp = A.portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % lsock.getsockname()[1])
    os.rename(tmp, A.portfile)
    while True:
        client, _ = lsock.accept()
        threading.Thread(target=serve, args=(client, A.target, A),
                         daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
