#!/usr/bin/env python3
# errand: a terminal mail user agent. See LICENSE.
# The WAN benchmark's measuring half, run by tests/bench/wan-run once the
# forwarder is up: in each of K runs, one after the other (so that all see
# the same load), the raw fetch floor, errand's first and warm open with
# compress = yes and no, and mutt's with imap_deflate=yes when mutt is
# installed; then the medians, as seconds, ratios and round trips of wall
# time. Whole processes, wall clock. With tmux, also the interface's first
# message opened after start (Enter to the body shown, a second after the
# index shows, its body not cached). Exits 0 when it measured.

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time


def die(msg):
    sys.stderr.write("wan-bench: %s\n" % msg)
    sys.exit(1)


def timed(cmd, env=None, log=None):
    t = time.monotonic()
    p = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=600)
    wall = time.monotonic() - t
    if p.returncode != 0:
        die("%s exited %d:\n%s" % (" ".join(cmd), p.returncode,
                                  p.stdout.decode("utf-8", "replace")))
    return wall, p.stdout.decode("utf-8", "replace")


def floor():
    wall, out = timed([A.floor, "-p", A.port, "-u", A.user, "-w", A.passfile,
                       "-C", A.ca])
    f = dict(zip(*[iter(out.split())] * 2))
    if int(f["messages"]) != A.messages:
        die("the floor fetched %s messages, not %d" % (f["messages"],
                                                      A.messages))
    return wall


SPANS = {}     # log -> (wall clock at start, at exit) of its last run


def errand(z, cold, log):
    xdg = os.path.join(A.work, "xdg-" + z)
    if cold:
        shutil.rmtree(xdg, ignore_errors=True)
        os.makedirs(xdg)
    env = dict(os.environ, XDG_CACHE_HOME=xdg,
               XDG_DATA_HOME=os.path.join(A.work, "data-" + z))
    t0 = time.time()
    wall, out = timed([A.errand, "-c",
                       os.path.join(A.work, "errand-%s.conf" % z), "-d", log,
                       "sync", A.user, "INBOX"], env=env)
    SPANS[log] = (t0, time.time())
    want = "%d new" % A.messages if cold else "0 new, 0 changed"
    if want not in out:
        die("errand sync said '%s', want '%s'" % (out.strip(), want))
    return wall


def mutt_rc():
    with open(A.passfile) as f:
        pw = f.readline().strip()
    rc = os.path.join(A.work, "muttrc")
    with open(rc, "w") as f:
        f.write("""set imap_user = %s
set imap_pass = "%s"
set ssl_ca_certificates_file = %s
set certificate_file = %s/mutt-certs
set header_cache = %s/mutt-hcache
set imap_deflate = yes
set imap_qresync = yes
set imap_condstore = yes
set imap_check_subscribed = no
set mail_check = 3600
set sleep_time = 0
set quit = yes
set folder = imaps://127.0.0.1:%s/
set spoolfile = +INBOX
""" % (A.user, pw, A.ca, A.work, A.work, A.port))
    return rc


def mutt(rc, cold):
    hc = os.path.join(A.work, "mutt-hcache")
    if cold:
        shutil.rmtree(hc, ignore_errors=True)
        if os.path.exists(hc):
            os.unlink(hc)
    # mutt draws on a terminal: script(1) gives it one; "q" is read once
    # the folder is open. Read-only (EXAMINE), so that it changes no flag
    # that errand's next warm sync would have to fetch.
    cmd = "mutt -n -R -F %s -e 'push q'" % rc
    wall, _ = timed(["timeout", "300", "script", "-q", "-e", "-c", cmd,
                     "/dev/null"], env=dict(os.environ, TERM="xterm"))
    return wall


def screen(sock):
    p = subprocess.run(["tmux", "-S", sock, "capture-pane", "-p", "-t",
                        "wan"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    return p.stdout.decode("utf-8", "replace")


def until(sock, pred, secs=30):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        text = screen(sock)
        if pred(text):
            return time.monotonic()
        time.sleep(0.005)
    die("the interface did not get there in %d s:\n%s" % (secs, screen(sock)))


def open_first(z, think):
    """The interface on the warm cache: the index shown, then, think
    seconds later, Enter on the first message (its body not cached) until
    the pager shows it. Returns (index shown, Enter to body) in seconds."""
    xdg = os.path.join(A.work, "xdg-" + z)
    db = os.path.join(xdg, "errand", A.user + ".db")
    if not os.path.exists(db):
        db = os.path.join(xdg, "errand", "demo.db")
    with sqlite3.connect(db) as c:
        c.execute("DELETE FROM body")
    sock = os.path.join(A.work, "tmux.sock")
    log = os.path.join(A.work, "open-%s.log" % z)
    cmd = ("env XDG_CACHE_HOME=%s XDG_DATA_HOME=%s TERM=xterm LANG=C.UTF-8 "
           "%s -c %s -d %s" % (xdg, os.path.join(A.work, "data-" + z),
                               A.errand, os.path.join(A.work,
                                                      "errand-%s.conf" % z),
                               log))
    t0 = time.monotonic()
    subprocess.run(["tmux", "-S", sock, "-f", "/dev/null", "new-session",
                    "-d", "-s", "wan", "-x", "120", "-y", "40", cmd],
                   check=True)
    try:
        shown = until(sock, lambda t: sum(1 for x in t.splitlines()
                                          if x.strip()) >= 20)
        time.sleep(think)
        t1 = time.monotonic()
        subprocess.run(["tmux", "-S", sock, "send-keys", "-t", "wan",
                        "Enter"], check=True)
        t2 = until(sock, lambda t: "Subject:" in t and
                   "loading the message" not in t)
        subprocess.run(["tmux", "-S", sock, "send-keys", "-t", "wan", "q",
                        "q"], stderr=subprocess.DEVNULL)
    finally:
        time.sleep(0.2)
        subprocess.run(["tmux", "-S", sock, "kill-server"],
                       stderr=subprocess.DEVNULL)
    return shown - t0, t2 - t1


def turns(log):
    """Round trips after the TCP connect up to LOGOUT, from the log."""
    n = greeted = wait = up = sent = 0
    with open(log, errors="replace") as f:
        for line in f:
            if line.rstrip().endswith(" * connected"):
                up = 1
            elif not up:
                continue
            elif " * TLS established" in line:
                n += 1
            elif " < " in line:
                if not greeted:
                    greeted = 1
                    n += 0 if sent else 1
                wait = 0
            elif " > " in line:
                if line.rstrip().endswith(" LOGOUT"):
                    break
                sent = 1
                if not wait:
                    n += 1
                    wait = 1
    return n


def clock(line):
    """The log line's time of day in seconds, or None."""
    try:
        h, m, sec = line.split(" ", 1)[0].split(":")
        return int(h) * 3600 + int(m) * 60 + float(sec)
    except ValueError:
        return None


def timeline(log):
    """Where the wall time of the last run of LOG went: the process's
    start and exit (wall clock) and the protocol log's timestamps, as
    (offset in ms, what) pairs."""
    t0, t1 = SPANS[log]
    lt = time.localtime(t0)
    day = t0 - (lt.tm_hour * 3600 + lt.tm_min * 60 + lt.tm_sec +
                (t0 - int(t0)))
    ev = [(0.0, "process started")]
    waiting = False
    with open(log, errors="replace") as f:
        for line in f:
            t = clock(line)
            if t is None:
                continue
            ms = (day + t - t0) * 1000
            if " * connecting to " in line:
                ev.append((ms, "TCP connect"))
            elif " * TLS established" in line:
                ev.append((ms, "TLS established (connect + handshake)"))
            elif " > " in line:
                cmd = line.split(" > ", 1)[1].split()
                # "<secret>": an AUTHENTICATE response, shown as "+".
                name = (cmd[1] if len(cmd) > 1 else
                        "+" if cmd == ["<secret>"] else "?")
                if name == "LOGOUT":
                    ev.append((ms, "LOGOUT sent (not waited for)"))
                    break
                if not waiting:
                    ev.append((ms, "sent: " + name))
                    waiting = True
                else:
                    ev[-1] = (ev[-1][0], ev[-1][1] + " " + name)
            elif " < " in line and waiting:
                ev.append((ms, "first answer"))
                waiting = False
    ev.append(((t1 - t0) * 1000, "process exited"))
    return ev


def main():
    global A
    ap = argparse.ArgumentParser()
    for o in ("errand", "work", "floor", "port", "user", "passfile", "ca"):
        ap.add_argument("--" + o, required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--messages", type=int, required=True)
    ap.add_argument("--rtt", type=float, default=80)
    ap.add_argument("--think", type=float, default=1.0)
    A = ap.parse_args()
    have_mutt = shutil.which("mutt") is not None and \
        shutil.which("script") is not None
    rc = mutt_rc() if have_mutt else None
    have_tmux = shutil.which("tmux") is not None

    figs = {}

    def add(name, wall):
        figs.setdefault(name, []).append(wall)

    logs = {z: os.path.join(A.work, "warm-%s.log" % z) for z in ("yes", "no")}
    for r in range(A.runs):
        add("floor", floor())
        for z in ("yes", "no"):
            add("first-" + z, errand(z, True,
                                     os.path.join(A.work, "cold-%s.log" % z)))
        if have_mutt:
            add("mutt-first", mutt(rc, True))
        for z in ("yes", "no"):
            if os.path.exists(logs[z]):
                os.unlink(logs[z])
            add("warm-" + z, errand(z, False, logs[z]))
        if have_mutt:
            add("mutt-warm", mutt(rc, False))
        if have_tmux:
            idx, body = open_first("yes", A.think)
            add("index-shown", idx)
            add("open-first", body)
        print("  run %d: %s" % (r + 1, ", ".join(
            "%s %.3f" % (k, v[-1]) for k, v in figs.items())), flush=True)

    med = {k: statistics.median(v) for k, v in figs.items()}
    rtt = A.rtt / 1000.0
    print()
    print("%d messages, %g ms round trip; median of %d alternating runs, "
          "whole processes" % (A.messages, A.rtt, A.runs))
    if not have_mutt:
        print("mutt: not installed, skipped")
    print()
    print("%-44s %9s %9s %9s" % ("figure", "seconds", "/ floor",
                                 "RTTs"))
    rows = [("raw fetch floor (UID FETCH of the fields)", "floor"),
            ("errand first open, compress = yes", "first-yes"),
            ("errand first open, compress = no", "first-no"),
            ("mutt first open, imap_deflate=yes", "mutt-first"),
            ("errand warm open, compress = yes", "warm-yes"),
            ("errand warm open, compress = no", "warm-no"),
            ("mutt warm open, imap_deflate=yes", "mutt-warm")]
    for label, k in rows:
        if k in med:
            print("%-44s %9.3f %8.2fx %9.1f" % (label, med[k],
                                                med[k] / med["floor"],
                                                med[k] / rtt))
    print()
    for z in ("yes", "no"):
        print("errand warm open, compress = %s: %d round trips after the "
              "TCP connect in the protocol log" % (z, turns(logs[z])))
    print()
    print("where the last warm open's wall time went (compress = yes; the "
          "forwarder holds the connect a round trip):")
    last = 0.0
    for ms, what in timeline(logs["yes"]):
        print("  %8.1f ms  +%6.1f  %s" % (ms, ms - last, what))
        last = ms
    print()
    if have_mutt:
        print("errand first open (compress = yes) / mutt with deflate: "
              "%.2f (target <= 0.8)" % (med["first-yes"] / med["mutt-first"]))
        print("errand warm open (compress = yes) / mutt with deflate: %.2f"
              % (med["warm-yes"] / med["mutt-warm"]))
    print("errand warm open (compress = yes): %.1f round trips of wall time "
          "(target <= 4.5)" % (med["warm-yes"] / rtt))
    if have_tmux:
        print("interface, warm cache: index shown %.3f s after start; the "
              "first message opened %g s later shows in %.3f s (%.1f round "
              "trips)" % (med["index-shown"], A.think, med["open-first"],
                          med["open-first"] / rtt))
    else:
        print("tmux: not installed, the interface's first open skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
