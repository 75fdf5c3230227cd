#!/usr/bin/env python3
# errand: a terminal mail user agent. See LICENSE.
# Another process on errand's cache, for the tests of two processes on one
# cache. Standard library only.
#
# usage: cachelock.py hold DB READY UNTIL
#   take the write lock (BEGIN IMMEDIATE), create READY, hold the lock
#   while the file UNTIL exists, then roll back and exit
# usage: cachelock.py probe DB RESULT UNTIL
#   while UNTIL exists, try to take the write lock every 2 ms without
#   waiting (and let it go at once); then write to RESULT the longest time
#   in milliseconds that it could not, i.e. the longest write transaction
#   of the other processes, and how many tries failed

import os
import sqlite3
import sys
import time


def hold(db, ready, until):
    c = sqlite3.connect(db, timeout=30, isolation_level=None)
    c.execute("BEGIN IMMEDIATE")
    with open(ready, "w") as f:
        f.write("%d\n" % os.getpid())
    while os.path.exists(until):
        time.sleep(0.02)
    c.execute("ROLLBACK")
    c.close()


def probe(db, result, until):
    c = sqlite3.connect(db, timeout=0, isolation_level=None)
    longest = 0.0
    since = None
    failed = 0
    while os.path.exists(until):
        now = time.monotonic()
        try:
            c.execute("BEGIN IMMEDIATE")
            c.execute("ROLLBACK")
            if since is not None:
                longest = max(longest, now - since)
            since = None
        except sqlite3.OperationalError:
            failed += 1
            if since is None:
                since = now
        time.sleep(0.002)
    if since is not None:
        longest = max(longest, time.monotonic() - since)
    c.close()
    tmp = result + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d %d\n" % (int(longest * 1000), failed))
    os.rename(tmp, result)


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("hold", "probe"):
        sys.stderr.write("usage: cachelock.py hold|probe DB FILE UNTIL\n")
        sys.exit(2)
    (hold if sys.argv[1] == "hold" else probe)(*sys.argv[2:])


if __name__ == "__main__":
    main()
