#!/usr/bin/env python3
# errand tests: a small OAuth2 authorization server on loopback, standard
# library only. It answers the device-authorization and token endpoints
# (RFC 8628, RFC 6749) and the authorization endpoint of the browser flow
# (RFC 7636 PKCE) for tools/errand-oauth2, and token introspection
# (RFC 7662) for Dovecot's oauth2 passdb, and logs every request to a file
# the test reads (no sleeps: the test counts lines).
#
#   oauth2-server.py DIR
#
# It binds 127.0.0.1 on a free port, writes the port to DIR/port, and
# reads on every request (so a test changes them as it goes):
#   DIR/tokens   "TOKEN STATE" lines; STATE valid, expired or revoked (an
#                unknown token is inactive too)
#   DIR/device   the answers of the device-code polls, one word a line,
#                in order, the last one repeated: pending, slow_down,
#                expired, denied or ok
#   DIR/config   "KEY VALUE" lines: interval (seconds, default 0),
#                access (the access token the grants give, default
#                "access-1"), refresh (the refresh token, default
#                "refresh-1"), rotate (a new refresh token on the refresh
#                grant, or none), expires_in (default 3600), user
#                (the introspection's username, default "demo"),
#                authorize (ok, or an OAuth error code the authorization
#                endpoint redirects with, default ok)
# and appends to DIR/requests.log one line a request:
#   TIME device CLIENT_ID SCOPE
#   TIME authorize CLIENT_ID S256|- (GET /authorize: the browser flow)
#   TIME code ok|invalid (the authorization-code grant)
#   TIME poll ANSWER
#   TIME refresh REFRESH_TOKEN ok|invalid
#   TIME introspect TOKEN STATE
# TIME is seconds since the epoch with a fraction.

import base64
import hashlib
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIR = sys.argv[1]
LOCK = threading.Lock()
POLLS = [0]
CODES = {}  # authorization code -> (code_challenge, redirect_uri)


def read_lines(name):
    try:
        with open(os.path.join(DIR, name)) as f:
            return [ln.split() for ln in f if ln.strip()]
    except FileNotFoundError:
        return []


def config():
    c = {"interval": "0", "access": "access-1", "refresh": "refresh-1",
         "rotate": "", "expires_in": "3600", "user": "demo"}
    for words in read_lines("config"):
        c[words[0]] = " ".join(words[1:])
    return c


def log(*words):
    with LOCK, open(os.path.join(DIR, "requests.log"), "a") as f:
        f.write("%.3f %s\n" % (time.time(), " ".join(words)))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def form(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode() if n > 0 else ""
        return dict(urllib.parse.parse_qsl(body, keep_blank_values=True))

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if u.path == "/introspect":
            self.introspect(q.get("token", ""))
        elif u.path == "/authorize":
            self.authorize(q)
        else:
            self.reply(404, {"error": "not_found"})

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        f = self.form()
        if path == "/device/code":
            self.device(f)
        elif path == "/token":
            self.token(f)
        elif path == "/introspect":
            self.introspect(f.get("token", ""))
        else:
            self.reply(404, {"error": "not_found"})

    def device(self, f):
        c = config()
        log("device", f.get("client_id", "-"),
            f.get("scope", "-").replace(" ", "+"))
        if f.get("client_id") == "bad-client":
            self.reply(401, {"error": "invalid_client",
                             "error_description": "no such client"})
            return
        self.reply(200, {
            "device_code": "dev-code-1",
            "user_code": "WDJB-MJHT",
            "verification_uri": "http://127.0.0.1:%d/device"
                                % self.server.server_address[1],
            "expires_in": 600,
            "interval": int(c["interval"]),
        })

    def authorize(self, q):
        c = config()
        log("authorize", q.get("client_id", "-"),
            q.get("code_challenge_method", "-"))
        back = {"state": q.get("state", "")}
        if c.get("authorize", "ok") == "ok":
            code = "auth-code-%d" % (len(CODES) + 1)
            CODES[code] = (q.get("code_challenge"), q.get("redirect_uri"))
            back["code"] = code
        else:
            back["error"] = c["authorize"]
        self.send_response(302)
        self.send_header("Location", q.get("redirect_uri", "/") + "?" +
                         urllib.parse.urlencode(back))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def grant(self, c):
        self.reply(200, {"access_token": c["access"],
                         "refresh_token": c["refresh"],
                         "expires_in": int(c["expires_in"]),
                         "token_type": "Bearer"})

    def token(self, f):
        c = config()
        grant = f.get("grant_type", "")
        if grant == "authorization_code":
            want = CODES.pop(f.get("code", ""), None)
            v = f.get("code_verifier", "").encode()
            got = base64.urlsafe_b64encode(
                hashlib.sha256(v).digest()).rstrip(b"=").decode()
            if (want is None or want[0] != got or
                    want[1] != f.get("redirect_uri")):
                log("code", "invalid")
                self.reply(400, {"error": "invalid_grant"})
                return
            log("code", "ok")
            self.grant(c)
        elif grant == "urn:ietf:params:oauth:grant-type:device_code":
            script = [w[0] for w in read_lines("device")] or ["ok"]
            with LOCK:
                i = POLLS[0]
                POLLS[0] += 1
            answer = script[min(i, len(script) - 1)]
            log("poll", answer)
            errors = {"pending": "authorization_pending",
                      "slow_down": "slow_down",
                      "expired": "expired_token",
                      "denied": "access_denied"}
            if answer in errors:
                self.reply(400, {"error": errors[answer]})
                return
            self.grant(c)
        elif grant == "refresh_token":
            rt = f.get("refresh_token", "")
            known = [c["refresh"]] + ([c["rotate"]] if c["rotate"] else [])
            if rt not in known:
                log("refresh", rt, "invalid")
                self.reply(400, {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked."})
                return
            log("refresh", rt, "ok")
            r = {"access_token": c["access"], "token_type": "Bearer",
                 "expires_in": int(c["expires_in"])}
            if c["rotate"]:
                r["refresh_token"] = c["rotate"]
            self.reply(200, r)
        else:
            self.reply(400, {"error": "unsupported_grant_type"})

    def introspect(self, token):
        states = {w[0]: w[1] for w in read_lines("tokens") if len(w) >= 2}
        state = states.get(token, "unknown")
        log("introspect", token, state)
        if state == "valid":
            self.reply(200, {"active": "true", "username": config()["user"],
                             "scope": "mail"})
        else:
            self.reply(200, {"active": "false", "error": state})


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    tmp = os.path.join(DIR, "port.tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, os.path.join(DIR, "port"))
    srv.serve_forever()


if __name__ == "__main__":
    main()
