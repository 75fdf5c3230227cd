#!/usr/bin/env python3
# errand: a terminal mail user agent. See LICENSE.
# A scripted mail server on 127.0.0.1 for protocol tests: it plays what a
# real server will not do on request (no STARTTLS, a cut greeting, garbage,
# a stall) and records what the client sent. Standard library only.
#
# usage: scripted-server.py SCRIPT TRANSCRIPT PORTFILE [--cert C --key K]
#
# It binds port 0, writes the port to PORTFILE (through a temporary file and
# rename, so a reader never sees half of it), accepts one connection and
# plays SCRIPT, one directive a line:
#   S: text     send text and CRLF
#   RAW: text   send text as is, with \r \n \\ and \xHH escapes, no CRLF
#   REPEAT n text  send text (escaped as RAW) n times, no CRLF; the
#               transcript shows "S: <text x n>"
#   C: regex    read one line from the client; it must match (re.search)
#   TLS         wrap the connection in TLS, server side (needs --cert/--key)
#   TLS12       the same, at most TLS 1.2 (for tls-unique channel binding)
#   SLEEP n     stall n seconds
#   CLOSE       close the connection now
#   DEFLATE     RFC 4978: from here on what is sent is compressed and what
#               is read inflated (after "S: tag OK" to COMPRESS)
#   WIRE: text  send text (escaped as RAW) on the wire as is, compressed
#               or not: a corrupt deflate stream
#   ACCEPT      close this connection and play the rest of the script on
#               the next one (a client that connects again)
#   SCRAM hash password [tamper] [plus] [nofinal] [defer]
#               the server side of SCRAM-SHA-1 or -256 (hash sha1 or
#               sha256, RFC 5802): the client-first is the last word of
#               the line last read (SASL-IR, AUTH with a response); sends
#               "+ server-first", reads and checks the client's proof,
#               sends "+ v=..." (with tamper: a signature with one bit
#               flipped). With plus: -PLUS, the client must bind to this
#               TLS connection's tls-unique (RFC 5929). With nofinal:
#               no server-final at all (the script says OK at once).
#               With defer: the server-final is kept for PROOF.
#   PROOF       send the server-final a SCRAM ... defer kept: the script
#               reads what the client sent with its proof first, or
#               answers it before the proof
#   HOLD        gather what is sent from here (S:, RAW:, PROOF) ...
#   FLUSH       ... and send it in one write: the client reads it at once
# Blank lines and lines starting with '#' are skipped. Every line received
# is written to TRANSCRIPT as "C: line", every line sent as "S: line". It
# exits when the script ends or the client closes, and after 20 seconds in
# all whatever happens. Exit status: 0 if the script ran to its end (or
# CLOSE), 1 if the client sent something else or went away first.

import argparse
import base64
import hashlib
import hmac
import os
import re
import socket
import ssl
import sys
import time
import zlib

DEADLINE = 20.0


class ScriptError(Exception):
    pass


class Session:
    def __init__(self, sock, transcript, deadline):
        self.sock = sock
        self.buf = b""
        self.transcript = transcript
        self.deadline = deadline
        self.zc = None
        self.zd = None
        # A client need not wait for the answer to LOGOUT: once it was
        # sent, a closed connection ends the script as if it had run.
        self.logout_seen = False
        # The script's next client line is its LOGOUT: a client that does
        # not wait may have sent it and gone while we still answer the
        # commands it pipelined before it.
        self.logout_next = False
        self.gone = False
        self.last = b""  # the last line read
        self.proof = None  # SCRAM ... defer: (server-final, shown)
        self.held = None  # HOLD: the bytes gathered for FLUSH

    def note(self, prefix, data):
        text = data.decode("utf-8", "backslashreplace")
        self.transcript.write("%s %s\n" % (prefix, text))
        self.transcript.flush()

    def remaining(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ScriptError("deadline passed")
        return left

    def send(self, data, shown):
        if self.gone:
            return
        self.sock.settimeout(self.remaining())
        if self.zc is not None:
            data = self.zc.compress(data) + self.zc.flush(zlib.Z_SYNC_FLUSH)
        try:
            if self.held is not None:
                self.held += data
            else:
                self.sock.sendall(data)
        except OSError:
            if not (self.logout_seen or self.logout_next):
                raise
            self.gone = True
            self.note("*", b"client gone after LOGOUT")
            return
        for line in shown.split(b"\n"):
            if line.endswith(b"\r"):
                line = line[:-1]
            if line:
                self.note("S:", line)

    def readline(self):
        while b"\n" not in self.buf:
            self.sock.settimeout(self.remaining())
            chunk = self.sock.recv(65536)
            if not chunk:
                if self.buf:
                    self.note("C:", self.buf)
                    self.buf = b""
                raise ScriptError("client closed the connection")
            if self.zd is not None:
                try:
                    chunk = self.zd.decompress(chunk)
                except zlib.error as e:
                    raise ScriptError("client sent a bad deflate stream: %s" % e)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        if line.endswith(b"\r"):
            line = line[:-1]
        self.note("C:", line)
        self.last = line
        if re.match(rb"^\S+ LOGOUT$", line):
            self.logout_seen = True
        return line

    def drain(self):
        """Record what the client still sends until it closes."""
        try:
            while True:
                self.readline()
        except (ScriptError, OSError):
            pass


def unescape(text):
    out = bytearray()
    raw = text.encode("utf-8")
    i = 0
    while i < len(raw):
        ch = raw[i : i + 1]
        nxt = raw[i + 1 : i + 2]
        if ch == b"\\" and nxt == b"r":
            out += b"\r"
            i += 2
        elif ch == b"\\" and nxt == b"n":
            out += b"\n"
            i += 2
        elif ch == b"\\" and nxt == b"\\":
            out += b"\\"
            i += 2
        elif ch == b"\\" and nxt == b"x":
            out += bytes([int(raw[i + 2 : i + 4], 16)])
            i += 4
        else:
            out += ch
            i += 1
    return bytes(out)


def scram(sess, args, lineno):
    name, password = args[0], args[1].encode("utf-8")
    tamper = "tamper" in args[2:]
    plus = "plus" in args[2:]
    nofinal = "nofinal" in args[2:]
    defer = "defer" in args[2:]
    h = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}[name]

    def mac(key, msg):
        return hmac.new(key, msg, h).digest()

    words = sess.last.split()
    first = base64.b64decode(words[-1]) if words else b""
    gs2, _, bare = first.partition(b"n=")
    bare = b"n=" + bare
    cbind = gs2
    if plus:
        if not gs2.startswith(b"p=tls-unique,"):
            raise ScriptError("line %d: SCRAM gs2 header %r, want p=tls-unique" % (lineno, gs2))
        cbind = gs2 + sess.sock.get_channel_binding("tls-unique")
    elif not gs2.startswith(b"n,"):
        raise ScriptError("line %d: SCRAM gs2 header %r, want n," % (lineno, gs2))
    attrs = dict(a.split(b"=", 1) for a in bare.split(b","))
    salt, iters = b"errand-salt-0123", 4096
    nonce = attrs[b"r"] + b"scripted3rv3rn0nc3"
    sfirst = b"r=%s,s=%s,i=%d" % (nonce, base64.b64encode(salt), iters)
    sess.send(b"+ " + base64.b64encode(sfirst) + b"\r\n", b"+ " + sfirst)
    final = base64.b64decode(sess.readline())
    without, _, proof = final.rpartition(b",p=")
    if b"r=" + nonce not in without.split(b","):
        raise ScriptError("line %d: SCRAM client-final with a wrong nonce" % lineno)
    if b"c=" + base64.b64encode(cbind) not in without.split(b","):
        raise ScriptError("line %d: SCRAM channel binding differs" % lineno)
    salted = hashlib.pbkdf2_hmac(name, password, salt, iters)
    ckey = mac(salted, b"Client Key")
    skey = mac(salted, b"Server Key")
    auth = bare + b"," + sfirst + b"," + without
    csig = mac(h(ckey).digest(), auth)
    if bytes(a ^ b for a, b in zip(ckey, csig)) != base64.b64decode(proof):
        raise ScriptError("line %d: SCRAM client proof is wrong" % lineno)
    if nofinal:
        return
    sig = bytearray(mac(skey, auth))
    if tamper:
        sig[0] ^= 1
    sfinal = b"v=" + base64.b64encode(bytes(sig))
    if defer:
        sess.proof = (b"+ " + base64.b64encode(sfinal) + b"\r\n", b"+ " + sfinal)
        return
    sess.send(b"+ " + base64.b64encode(sfinal) + b"\r\n", b"+ " + sfinal)


def play(script, sess, tls_context, listener):
    # For each line, whether the next C: line after it expects a LOGOUT.
    logout_next = [False] * len(script)
    upcoming = False
    for i in range(len(script) - 1, -1, -1):
        logout_next[i] = upcoming
        if script[i].startswith("C:"):
            upcoming = "LOGOUT" in script[i]
    for lineno, directive in enumerate(script, 1):
        directive = directive.rstrip("\r\n")
        if not directive.strip() or directive.startswith("#"):
            continue
        sess.logout_next = logout_next[lineno - 1]
        if directive.startswith("S:"):
            text = directive[2:]
            if text.startswith(" "):
                text = text[1:]
            data = text.encode("utf-8")
            sess.send(data + b"\r\n", data)
        elif directive.startswith("RAW:"):
            text = directive[4:]
            if text.startswith(" "):
                text = text[1:]
            data = unescape(text)
            sess.send(data, data)
        elif directive.startswith("C:"):
            if sess.gone:
                continue
            pattern = directive[2:].strip()
            line = sess.readline().decode("utf-8", "backslashreplace")
            if not re.search(pattern, line):
                raise ScriptError(
                    "line %d: client sent %r, want /%s/" % (lineno, line, pattern)
                )
        elif directive.startswith("REPEAT "):
            _, count, text = directive.split(" ", 2)
            data = unescape(text)
            left = int(count)
            while left > 0:
                k = min(left, max(1, 65536 // max(1, len(data))))
                sess.sock.settimeout(sess.remaining())
                sess.sock.sendall(data * k)
                left -= k
            sess.note("S:", b"<%s x %d>" % (text.encode("utf-8"), int(count)))
        elif directive in ("TLS", "TLS12"):
            if tls_context is None:
                raise ScriptError("line %d: TLS without --cert" % lineno)
            if sess.buf:
                raise ScriptError("client sent bytes before the TLS handshake")
            sess.sock.settimeout(sess.remaining())
            if directive == "TLS12":
                tls_context.maximum_version = ssl.TLSVersion.TLSv1_2
            sess.sock = tls_context.wrap_socket(sess.sock, server_side=True)
            sess.note("*", b"TLS established")
        elif directive.startswith("SLEEP"):
            time.sleep(min(float(directive.split()[1]), sess.remaining()))
        elif directive == "CLOSE":
            return
        elif directive == "DEFLATE":
            if sess.buf:
                raise ScriptError("client sent bytes before compression began")
            sess.zc = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
            sess.zd = zlib.decompressobj(-15)
            sess.note("*", b"DEFLATE on")
        elif directive.startswith("WIRE:"):
            data = unescape(directive[5:].lstrip(" "))
            sess.sock.settimeout(sess.remaining())
            sess.sock.sendall(data)
            sess.note("S:", b"<wire> " + data)
        elif directive.startswith("SCRAM "):
            scram(sess, directive.split()[1:], lineno)
        elif directive == "PROOF":
            if sess.proof is None:
                raise ScriptError("line %d: PROOF without SCRAM ... defer" % lineno)
            sess.send(*sess.proof)
            sess.proof = None
        elif directive == "HOLD":
            sess.held = b""
        elif directive == "FLUSH":
            data, sess.held = sess.held or b"", None
            sess.sock.settimeout(sess.remaining())
            sess.sock.sendall(data)
            sess.note("*", b"%d bytes sent in one write" % len(data))
        elif directive == "ACCEPT":
            try:
                sess.sock.close()
            except OSError:
                pass
            listener.settimeout(sess.remaining())
            sess.sock, _ = listener.accept()
            sess.buf = b""
            sess.zc = sess.zd = None
            sess.note("*", b"new connection")
        else:
            raise ScriptError("line %d: bad directive %r" % (lineno, directive))
    sess.drain()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("script")
    ap.add_argument("transcript")
    ap.add_argument("portfile")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    args = ap.parse_args()
    deadline = time.monotonic() + DEADLINE

    with open(args.script, encoding="utf-8") as f:
        script = f.readlines()
    tls_context = None
    if args.cert:
        tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_context.load_cert_chain(args.cert, args.key)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    tmp = args.portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % listener.getsockname()[1])
    os.rename(tmp, args.portfile)

    status = 0
    with open(args.transcript, "w") as transcript:
        listener.settimeout(DEADLINE)
        try:
            conn, _ = listener.accept()
        except OSError as e:
            transcript.write("* no connection: %s\n" % e)
            return 1
        sess = Session(conn, transcript, deadline)
        try:
            play(script, sess, tls_context, listener)
        except (ScriptError, OSError, ssl.SSLError) as e:
            transcript.write("* %s\n" % e)
            status = 1
        finally:
            try:
                sess.sock.close()
            except OSError:
                pass
            listener.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
