#!/usr/bin/env python3
# errand: a terminal mail user agent. See LICENSE.
# The benchmark's measuring half, run by tests/bench/run once the private
# Dovecot holds the mailbox: times each command K times as a whole process
# (wall clock, peak RSS from wait4), alternating with the raw floor, and
# prints the table of medians against the targets. Exits 0 when it measured,
# whatever the figures; 1 when a command failed.

import argparse
import imaplib
import importlib.util
import os
import random
import shutil
import ssl
import statistics
import subprocess
import sys
import time

TARGET_MESSAGES = 100000
RSS_LIMIT_MB = 64
PATTERN = "~f alice ~s report !~F"
PATTERN_TARGET_MS = 50      # in the process, CPU, for 100,000 headers
FLAG_MESSAGES = 10000       # errand flag --offline +read on this many
FLAG_TARGET = 0.3           # seconds, the whole process


def die(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.exit(1)


def run(cmd, env=None, out=None):
    """Run CMD as one process under measure: (wall seconds, peak RSS KB,
    its stdout if OUT names a file to keep it in)."""
    stat = os.path.join(A.work, "measure.out")
    err = os.path.join(A.work, "last.err")
    with open(out or os.devnull, "wb") as outf, open(err, "wb") as errf:
        rc = subprocess.call([A.measure, stat] + cmd, env=env,
                             stdin=subprocess.DEVNULL, stdout=outf,
                             stderr=errf)
    if rc != 0:
        with open(err, "rb") as f:
            die("%s exited %d:\n%s" % (" ".join(cmd), rc,
                                       f.read().decode("utf-8", "replace")))
    with open(stat) as f:
        wall, rss, _ = f.read().split()
    text = b""
    if out:
        with open(out, "rb") as f:
            text = f.read()
    return float(wall), int(rss), text


class Figure:
    def __init__(self, name, target=None):
        self.name = name
        self.target = target    # seconds, or "1.3x" for a floor ratio
        self.walls = []
        self.rss = []
        self.said = []          # what errand printed on the last run

    def add(self, wall, rss):
        self.walls.append(wall)
        self.rss.append(rss)

    def median(self):
        return statistics.median(self.walls)


def floor(flags_only=False):
    cmd = [A.floor, "-p", A.port, "-u", A.user, "-w", A.passfile,
           "-C", A.ca]
    if flags_only:
        cmd.insert(1, "-f")
    wall, rss, out = run(cmd, out=os.path.join(A.work, "floor.out"))
    f = dict(zip(*[iter(out.split())] * 2))
    return wall, rss, int(f[b"messages"]), int(f[b"bytes"])


def errand(*args, said=None):
    """Run errand ARGS; with SAID, keep the first line it printed there."""
    out = os.path.join(A.work, "errand.out") if said is not None else None
    wall, rss, text = run([A.errand, "-c", A.conf] + list(args), env=ENV,
                          out=out)
    if said is not None:
        said[:] = [text.split(b"\n", 1)[0].decode("utf-8", "replace")]
    return wall, rss


def cold_reset():
    shutil.rmtree(A.xdg, ignore_errors=True)
    os.makedirs(A.xdg)


def imap():
    imaplib._MAXLINE = 64 << 20     # UID SEARCH ALL of 100,000 and more
    ctx = ssl.create_default_context(cafile=A.ca)
    m = imaplib.IMAP4_SSL("127.0.0.1", int(A.port), ssl_context=ctx)
    with open(A.passfile) as f:
        m.login(A.user, f.readline().strip())
    m.select("INBOX")
    return m


def ok(reply, what):
    if reply[0] != "OK":
        die("%s: %s" % (what, reply[1]))
    return reply[1]


def uidset(uids):
    return ",".join(str(u) for u in sorted(uids))


def mutate(r):
    """Another device: toggle \\Seen or \\Flagged on 1% of the messages
    (different ones each run) and deliver 100 new ones."""
    m = imap()
    data = ok(m.uid("SEARCH", "ALL"), "UID SEARCH")
    uids = [int(u) for u in data[0].split()]
    rng = random.Random(4711 + r)
    pick = rng.sample(uids, max(1, len(uids) // 100))
    data = ok(m.uid("FETCH", uidset(pick), "(FLAGS)"), "UID FETCH")
    flags = {}
    for item in data:
        if isinstance(item, tuple):
            item = item[0]
        s = item.decode()
        uid = int(s.split("UID ", 1)[1].split()[0].rstrip(")"))
        flags[uid] = s.split("FLAGS (", 1)[1].split(")", 1)[0].split()
    ops = {}
    for i, uid in enumerate(pick):
        flag = "\\Seen" if i % 2 == 0 else "\\Flagged"
        sign = "-" if flag in flags.get(uid, []) else "+"
        ops.setdefault((sign, flag), []).append(uid)
    changed = 0
    for (sign, flag), us in ops.items():
        ok(m.uid("STORE", uidset(us), sign + "FLAGS.SILENT",
                 "(%s)" % flag), "UID STORE")
        changed += len(us)
    g = GEN.Generator(A.new, 99991 + r)
    now = int(time.time())
    for i in range(A.new):
        data, f, _ = g.message(i, t=now - A.new + i)
        ok(m.append("INBOX", None, None, data), "APPEND")
    m.logout()
    return changed


def cell(f, floor_s):
    med = f.median()
    rss = max(f.rss) / 1024
    ratio = med / floor_s
    ok = []
    tgt = []
    if f.target is not None:
        if isinstance(f.target, str):
            lim = float(f.target.rstrip("x"))
            tgt.append("<= %sx floor" % f.target.rstrip("x"))
            ok.append(ratio <= lim)
        else:
            tgt.append("<= %.2f s" % f.target)
            ok.append(med <= f.target)
    if f.name.startswith(("cold", "warm", "list")):
        tgt.append("< %d MB" % RSS_LIMIT_MB)
        ok.append(rss < RSS_LIMIT_MB)
    verdict = "" if not ok else "PASS" if all(ok) else "MISS"
    return "%-34s %8.3f %7.2fx %8.1f   %-24s %s" % (
        f.name, med, ratio, rss, ", ".join(tgt) or "-", verdict), verdict


def main():
    global A, ENV, GEN
    ap = argparse.ArgumentParser()
    for o in ("errand", "conf", "floor", "measure", "xdg", "port", "user", "passfile",
              "ca", "work"):
        ap.add_argument("--" + o, required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--messages", type=int, required=True)
    ap.add_argument("--new", type=int, default=100)
    ap.add_argument("--pattern-time")
    A = ap.parse_args()
    ENV = dict(os.environ, XDG_CACHE_HOME=A.xdg)
    sys.dont_write_bytecode = True      # no __pycache__ in the source tree
    spec = importlib.util.spec_from_file_location(
        "gen_mailbox", os.path.join(os.path.dirname(__file__),
                                    "gen-mailbox.py"))
    GEN = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(GEN)
    K = A.runs

    ffull = Figure("floor: raw UID FETCH of the fields")
    fflags = Figure("floor: raw UID FETCH (UID FLAGS)")
    cold = Figure("cold sync (cache written)", "1.3x")
    warm = Figure("warm sync, nothing changed", 0.15)
    listf = Figure("list --offline", 0.4)
    searchf = Figure("search --offline PATTERN")
    changed = Figure("warm sync, 1%% flags + %d new" % A.new)
    if A.messages != TARGET_MESSAGES:
        for f in (warm, listf):
            f.target = None

    # Cold sync alternates with the floors, so that both see the same load
    # on the machine.
    fbytes = flbytes = 0
    for r in range(K):
        w, rss, n, fbytes = floor()
        if n != A.messages:
            die("the floor fetched %d messages, not %d" % (n, A.messages))
        ffull.add(w, rss)
        cold_reset()
        cold.add(*errand("sync", "demo", "INBOX", said=cold.said))
        w, rss, n, flbytes = floor(flags_only=True)
        fflags.add(w, rss)
        print("  run %d: floor %.3f s, cold sync %.3f s, flags floor %.3f s"
              % (r + 1, ffull.walls[-1], cold.walls[-1], fflags.walls[-1]),
              flush=True)

    out = os.path.join(A.work, "list.out")
    run([A.errand, "-c", A.conf, "list", "--offline", "INBOX"], env=ENV,
        out=out)
    with open(out, "rb") as f:
        lines = sum(1 for _ in f)
    if lines != A.messages:
        print("  warning: list --offline printed %d lines for %d messages"
              % (lines, A.messages))

    for r in range(K):
        warm.add(*errand("sync", "demo", "INBOX", said=warm.said))
    print("  warm sync: %s" % " ".join("%.3f" % w for w in warm.walls))
    for r in range(K):
        listf.add(*errand("list", "--offline", "INBOX"))
    print("  list --offline: %s" % " ".join("%.3f" % w for w in listf.walls))
    for r in range(K):
        searchf.add(*errand("search", "--offline", PATTERN))
    print("  search --offline: %s" % " ".join("%.3f" % w
                                              for w in searchf.walls))
    pline = fline = None
    if A.pattern_time:
        # errand flag --offline +read on 10,000 unread messages, journaled:
        # a cache of them made by pattern-time, a fresh journal each run.
        fx = os.path.join(A.work, "flag-cache")
        fd = os.path.join(A.work, "flag-data")
        fenv = dict(os.environ, XDG_CACHE_HOME=fx, XDG_DATA_HOME=fd)
        flagf = Figure("flag --offline +read (%d)" % FLAG_MESSAGES,
                       FLAG_TARGET)
        for r in range(K):
            for d in (fx, fd):
                shutil.rmtree(d, ignore_errors=True)
            os.makedirs(os.path.join(fx, "errand"))
            run([A.pattern_time, "-r", "1", "-u", "-n", str(FLAG_MESSAGES),
                 "-o", os.path.join(fx, "errand", "demo.db"), "~A"],
                out=os.path.join(A.work, "flag-make.out"))
            w, rss, text = run([A.errand, "-c", A.conf, "flag", "--offline",
                                "+read", "~A"], env=fenv,
                               out=os.path.join(A.work, "flag.out"))
            flagf.add(w, rss)
            flagf.said = [text.split(b"\n", 1)[0].decode("utf-8",
                                                          "replace")]
        med = flagf.median()
        fline = ("errand flag --offline +read ~A on %d unread messages, "
                 "journaled: %.3f s wall (target %.1f s: %s); it said '%s'"
                 % (FLAG_MESSAGES, med, FLAG_TARGET,
                    "ok" if med <= FLAG_TARGET else "MISS",
                    "".join(flagf.said)))
        print("  " + fline)

        out = os.path.join(A.work, "pattern.out")
        run([A.pattern_time, "-r", str(K), "-c",
             os.path.join(A.xdg, "errand", "demo.db"), PATTERN], out=out)
        with open(out) as f:
            p = dict(zip(*[iter(f.read().split())] * 2))
        ms = float(p["scan_cpu_ms"])
        verdict = "-"
        if A.messages == TARGET_MESSAGES:
            verdict = "ok" if ms <= PATTERN_TARGET_MS else "MISS"
        pline = ("pattern '%s' in the process over %s cached headers "
                 "(%s match): %.1f ms CPU reading and matching (target "
                 "%d ms: %s), %.1f ms matching alone, %.1f ms wall" % (
                     PATTERN, p["rows"], p["matches"], ms,
                     PATTERN_TARGET_MS, verdict, float(p["match_ms"]),
                     float(p["scan_ms"])))
        print("  " + pline)

    nchanged = 0
    for r in range(K):
        errand("sync", "demo", "INBOX")     # catch up, untimed
        nchanged = mutate(r)
        changed.add(*errand("sync", "demo", "INBOX", said=changed.said))
    print("  warm sync after %d flag changes + %d new: %s" % (
        nchanged, A.new, " ".join("%.3f" % w for w in changed.walls)))

    for f in (cold, warm, changed):
        print("  %s: errand said '%s'" % (f.name, "".join(f.said)))
    floor_s = ffull.median()
    print()
    print("floor fetch: %d messages, %d bytes (%.1f MB) over TLS; "
          "flags only: %d bytes" % (A.messages, fbytes, fbytes / 1e6,
                                    flbytes))
    print("median of %d runs, whole processes; ratio to the raw fetch floor"
          % K)
    if A.messages != TARGET_MESSAGES:
        print("(time targets are for %d messages; at %d only the ratio and "
              "RSS are judged)" % (TARGET_MESSAGES, A.messages))
    print()
    print("%-34s %8s %8s %8s   %-24s %s" % ("figure", "median s", "ratio",
                                             "RSS MB", "target", "result"))
    misses = 0
    for f in (ffull, fflags, cold, warm, changed, listf, searchf):
        line, verdict = cell(f, floor_s)
        misses += verdict == "MISS"
        print(line)
    if pline is not None:
        print(pline)
        misses += ": MISS)" in pline
    if fline is not None:
        print(fline)
        misses += ": MISS)" in fline
    print()
    print("targets: %s" % ("all met" if misses == 0
                           else "%d missed" % misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
