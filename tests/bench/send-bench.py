#!/usr/bin/env python3
# errand benchmark: sending a large message (issue 14's figures). Drives the
# real errand in tmux: m, a 20 MB attachment, y; times y until the index is
# back (queue latency), then, while the message streams to a loopback SMTP
# sink that reads at a fixed rate, the time from a key (j/k) to the screen's
# change, and errand's peak RSS. Run by tests/bench/send-run.

import argparse
import json
import os
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time

A = None


def die(msg):
    print("send-bench: " + msg, file=sys.stderr)
    sys.exit(1)


# --- the sink: SMTPS, AUTH PLAIN accepted, DATA read at --rate bytes/s -----

def sink_conn(conn, log, keep):
    t0 = time.monotonic()
    f = conn.makefile("rb")

    def say(s):
        conn.sendall(s.encode() + b"\r\n")

    say("220 sink ESMTP")
    ev = {"accept": t0}
    while True:
        line = f.readline(1000)
        if not line:
            break
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            conn.sendall(b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
                         b"250-SIZE 200000000\r\n250 AUTH PLAIN\r\n")
        elif verb == b"AUTH":
            if len(line.split()) < 3:
                say("334 ")
                f.readline(1000)
            say("235 ok")
        elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
            say("250 ok")
        elif verb == b"DATA":
            say("354 go on")
            ev["data"] = time.monotonic()
            with open(log, "a") as lf:
                lf.write(json.dumps({"data": ev["data"]}) + "\n")
            n, tail, out = 0, b"", open(keep, "wb") if keep else None
            chunk, start = 65536, time.monotonic()
            while True:
                b = f.read1(chunk)
                if not b:
                    break
                n += len(b)
                if out:
                    out.write(b)
                tail = (tail + b)[-5:]
                if tail == b"\r\n.\r\n":
                    break
                # The rate: sleep until n bytes are due.
                due = start + n / A.rate
                d = due - time.monotonic()
                if d > 0:
                    time.sleep(d)
            if out:
                out.close()
            ev["end"], ev["bytes"] = time.monotonic(), n
            say("250 queued")
        elif verb == b"QUIT":
            say("221 bye")
            break
        else:
            say("500 what")
    conn.close()
    with open(log, "a") as lf:
        lf.write(json.dumps(ev) + "\n")


def sink():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(A.cert, A.key)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", A.port))
    s.listen(4)
    n = 0
    while True:
        c, _ = s.accept()
        try:
            c = ctx.wrap_socket(c, server_side=True)
        except (ssl.SSLError, OSError):
            continue
        n += 1
        keep = A.keep if n == 1 else None
        threading.Thread(target=sink_conn, args=(c, A.log, keep),
                         daemon=True).start()


# --- the floor: the same bytes through the same sink, by a bare client ----

def floor(raw):
    ctx = ssl.create_default_context(cafile=A.ca)
    t0 = time.monotonic()
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", A.port)),
                        server_hostname="127.0.0.1")
    f = s.makefile("rb")

    def reply():
        while True:
            line = f.readline()
            if line[3:4] != b"-":
                return line

    reply()
    for cmd in (b"EHLO floor", b"AUTH PLAIN AGZsb29yAHg=",
                b"MAIL FROM:<f@example.org>", b"RCPT TO:<x@example.org>",
                b"DATA"):
        s.sendall(cmd + b"\r\n")
        reply()
    with open(raw, "rb") as r:
        while True:
            b = r.read(1 << 20)
            if not b:
                break
            s.sendall(b)
    reply()
    t1 = time.monotonic()
    s.sendall(b"QUIT\r\n")
    s.close()
    return t1 - t0


# --- the interface ----------------------------------------------------------

def tmux(*args, out=False):
    p = subprocess.run(["tmux", "-S", A.sock] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return p.stdout.decode("utf-8", "replace") if out else p.returncode


def screen(attrs=False):
    return tmux("capture-pane", "-p", "-t", "send", *(["-e"] if attrs else []),
                out=True)


def until(pred, secs=30, what="", attrs=False):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        text = screen(attrs)
        if pred(text):
            return time.monotonic()
        time.sleep(0.002)
    die("no %s in %d s:\n%s" % (what, secs, screen()))


def keys(*k):
    tmux("send-keys", "-t", "send", *k)


def status(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def key_latency(n, busy=None):
    """n presses of j then k alternately: from send-keys until the screen
    (with attributes, so that the selection shows) differs. In ms."""
    out = []
    key = "j"
    for _ in range(n):
        if busy is not None and not busy():
            break
        before = screen(True)
        t0 = time.monotonic()
        keys(key)
        t1 = until(lambda t: t != before, 10, "change after " + key, True)
        out.append(((t1 - t0) * 1000, t0))
        key = "k" if key == "j" else "j"
        time.sleep(0.05)
    return out


def sink_events():
    try:
        with open(A.log) as f:
            return [json.loads(x) for x in f if x.strip()]
    except OSError:
        return []


def verdict(v, target):
    return "PASS" if v <= target else "MISS"


def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("--sink", action="store_true")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--rate", type=float, default=25e6 / 8)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--ca")
    ap.add_argument("--log")
    ap.add_argument("--keep")
    ap.add_argument("--errand")
    ap.add_argument("--conf")
    ap.add_argument("--work")
    ap.add_argument("--size", type=int, default=20)
    # A profiler to run errand under ("strace -f -T -o FILE"), not timed.
    ap.add_argument("--perf", default=os.environ.get("SEND_BENCH_PERF"))
    ap.add_argument("--wrap", default=os.environ.get("SEND_BENCH_WRAP"))
    ap.add_argument("--presses", type=int, default=1000)
    A = ap.parse_args()
    if A.sink:
        sink()
        return
    w = A.work
    A.sock = os.path.join(w, "tmux.sock")
    att = os.path.join(w, "attachment.bin")
    with open(att, "wb") as f:
        f.write(os.urandom(A.size << 20))
    size_kb = (A.size << 20) // 1024
    editor = os.path.join(w, "editor")
    with open(editor, "w") as f:
        f.write('#!/bin/sh\nprintf "The attachment, for the bench.\\n" '
                '>>"$1"\n')
    os.chmod(editor, 0o755)
    cmd = ("exec env XDG_CACHE_HOME=%s/cache XDG_STATE_HOME=%s/state "
           "XDG_DATA_HOME=%s/data HOME=%s EDITOR=%s VISUAL= TERM=xterm "
           "LANG=C.UTF-8 LC_ALL=C.UTF-8 %s%s -c %s -d %s/errand.log"
           % (w, w, w, w, editor, A.wrap + " " if A.wrap else "", A.errand,
              A.conf, w))
    subprocess.run(["tmux", "-S", A.sock, "-f", "/dev/null", "new-session",
                    "-d", "-s", "send", "-x", "100", "-y", "30", cmd],
                   check=True)
    try:
        run(att, size_kb)
    finally:
        tmux("kill-server")


def run(att, size_kb):
    pid = int(tmux("display-message", "-p", "-t", "send", "#{pane_pid}",
                   out=True).strip())
    until(lambda t: "Filler 01" in t, 30, "index")
    idle = [v for v, _ in key_latency(20)]

    keys("m")
    until(lambda t: "To:" in t, 10, "To prompt")
    keys("-l", "one@example.org")
    keys("Enter")
    until(lambda t: "Subject:" in t, 10, "Subject prompt")
    keys("-l", "Big attachment")
    keys("Enter")
    until(lambda t: "The attachment, for the bench." in t, 20,
          "compose screen")
    keys("a")
    time.sleep(0.2)
    keys("-l", att)
    keys("Enter")
    until(lambda t: "attachment.bin [" in t, 30, "attachment listed")
    hwm_before = status(pid, "VmHWM")

    # y: until the index is back (under perf record -p, with --perf).
    prof = None
    if A.perf:
        prof = subprocess.Popen(["perf", "record", "-q", "-F", "5000", "-p",
                                 str(pid), "-o", A.perf],
                                stderr=subprocess.DEVNULL)
        time.sleep(0.5)
    t0 = time.monotonic()
    keys("y")
    t1 = until(lambda t: "Filler 01" in t and
               "The attachment, for the bench." not in t, 60, "index after y")
    queue_ms = (t1 - t0) * 1000
    if prof is not None:
        prof.send_signal(2)
        prof.wait()

    # While the message is built and written into the outbox in the
    # background ("outbox: 1 queuing"): j and k, back to back. A press
    # whose change is the end of queuing itself is not counted.
    queuing = []
    key = "j"
    while "queuing" in screen():
        before = screen(True)
        ts = time.monotonic()
        keys(key)
        te = until(lambda t: t != before, 10, "change after " + key, True)
        if "queuing" in screen():
            queuing.append((te - ts) * 1000)
        key = "k" if key == "j" else "j"

    # While the sink receives: key latency and RSS.
    rss = [0]
    stop = threading.Event()

    def sampler():
        while not stop.is_set():
            rss[0] = max(rss[0], status(pid, "VmRSS"))
            time.sleep(0.01)
    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    end = time.monotonic() + 60
    while time.monotonic() < end and not any(
            "data" in e for e in sink_events()):
        time.sleep(0.005)
    # Busy until the outbox is empty: the copy to Sent (save-sent) after
    # the SMTP transaction is part of sending, and of the peak.
    obox = os.path.join(A.work, "data", "errand", "demo", "outbox")
    smtp_hwm = [0]

    def busy():
        if not smtp_hwm[0] and any("end" in e for e in sink_events()):
            smtp_hwm[0] = status(pid, "VmHWM")
        return any(n.endswith(".eml") for n in os.listdir(obox))
    presses = key_latency(A.presses, busy)
    end = time.monotonic() + 300
    while time.monotonic() < end and not any(
            "end" in e for e in sink_events()):
        time.sleep(0.01)
    busy()
    end = time.monotonic() + 120
    while time.monotonic() < end and any(
            n.endswith(".eml") for n in os.listdir(obox)):
        time.sleep(0.02)
    done_s = time.monotonic() - t0
    stop.set()
    th.join()
    hwm = status(pid, "VmHWM")
    evs = [e for e in sink_events() if "end" in e]
    if not evs:
        die("the sink never got the message")
    e = evs[0]
    during = [v for v, t in presses if t < e["end"]]
    copying = [v for v, t in presses if t >= e["end"]]
    send_s = e["end"] - t0
    wire_s = e["end"] - e["accept"]
    floor_s = floor(A.keep)

    def ms(v):
        w = sorted(v)
        return "median %.1f ms, p90 %.1f, worst %s (%d presses)" % (
            statistics.median(v), w[max(0, int(len(w) * 0.9) - 1)],
            ", ".join("%.1f" % x for x in w[-3:][::-1]), len(v))

    limit_kb = 64 * 1024 + size_kb
    print("attachment: %d MB of random bytes, %d bytes on the wire, sink "
          "reading at %.1f Mbit/s" % (A.size, e["bytes"], A.rate * 8 / 1e6))
    print("queue (y until the index is back): %.1f ms  [target 50 ms: %s]"
          % (queue_ms, verdict(queue_ms, 50)))
    print("key latency, idle: %s" % ms(idle))
    if queuing:
        print("key latency while queuing: %s  [max 50 ms: %s]"
              % (ms(queuing), verdict(max(queuing), 50)))
    else:
        print("key latency while queuing: no press fitted in it")
    if during:
        p90 = sorted(during)[max(0, int(len(during) * 0.9) - 1)]
        print("key latency while sending: %s  [target 50 ms: p90 %s, "
              "max %s]" % (ms(during), verdict(p90, 50),
                           verdict(max(during), 50)))
    else:
        print("key latency while sending: no press fitted in the send")
    if copying:
        print("key latency during the copy to Sent: %s  [max %s]"
              % (ms(copying), verdict(max(copying), 50)))
    print("peak RSS: %d kB before y, %d kB after the send (sampled VmRSS max "
          "%d kB)  [target 64 MB + %d MB = %d kB: %s]"
          % (hwm_before, hwm, rss[0], A.size, limit_kb,
             verdict(hwm, limit_kb)))
    print("peak RSS at the sink's last byte (SMTP only, before the copy to "
          "Sent): %d kB  [%s]" % (smtp_hwm[0], verdict(smtp_hwm[0], limit_kb)))
    print("send: y to the sink's last byte %.2f s; connect to last byte "
          "%.2f s; floor (same bytes, bare client, same sink) %.2f s; "
          "ratio %.2f" % (send_s, wire_s, floor_s, wire_s / floor_s))
    print("outbox empty (the copy to Sent done) %.2f s after y" % done_s)


if __name__ == "__main__":
    main()
