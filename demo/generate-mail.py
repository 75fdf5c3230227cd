#!/usr/bin/env python3
# errand: a terminal mail user agent. See LICENSE.
# Generated demo mail: writes N plausible messages (threads with In-Reply-To
# and References, varied senders, dates over the two years before --now,
# UTF-8 and RFC 2047 headers, some multipart with a small attachment) into a
# directory, one file a message, named in date order. Standard library only;
# the same --seed and --now give the same bytes.

import argparse
import base64
import datetime
import email.header
import email.utils
import os
import quopri
import random
import struct
import sys
import zlib

DOMAINS = ["example.org", "example.com", "example.net", "lists.example.org"]

# (display name, local part, domain): ASCII and not.
PEOPLE = [
    ("Alice Martin", "alice", "example.org"),
    ("Bob Okafor", "bob", "example.com"),
    ("Carol Nguyen", "carol.nguyen", "example.net"),
    ("Dmitri Volkov", "dvolkov", "example.com"),
    ("Eve Lindqvist", "eve", "example.org"),
    ("Frank O'Neill", "frank", "example.net"),
    ("Grace Hopkins", "ghopkins", "example.org"),
    ("Hiro Tanaka", "hiro", "example.com"),
    ("Ingrid Bergström", "ingrid", "example.net"),
    ("José García", "jose.garcia", "example.com"),
    ("Zoë Müller", "zoe", "example.org"),
    ("François Dubois", "fdubois", "example.net"),
    ("Łukasz Wróbel", "lukasz", "example.com"),
    ("Ольга Петрова", "olga", "example.org"),
    ("田中 花子", "hanako", "example.net"),
    ("Søren Kjær", "soren", "example.com"),
    ("Priya Raman", "priya", "example.org"),
    ("Mateo Rossi", "mateo", "example.net"),
    ("Nadia El-Amin", "nadia", "example.com"),
    ("", "noreply", "builds.example.com"),
    ("Release Bot", "release-bot", "example.org"),
    ("Ана Јовановић", "ana", "example.net"),
]

ME = ("Demo User", "demo", "example.org")

SUBJECTS = [
    "Lunch on Thursday?",
    "Draft agenda for the planning meeting",
    "Quarterly report numbers",
    "Question about the backup schedule",
    "Re-scheduling the design review",
    "Train tickets for the conference",
    "Server migration: weekend plan",
    "Photos from the hike",
    "Your invoice 2024-117",
    "Broken link on the website",
    "Proposal: move stand-up to 9:30",
    "Book club: next title",
    "Holiday rota",
    "Minutes of Tuesday's call",
    "New laptop setup",
    "Budget for the workshop",
    "Thanks!",
    "Welcome to the team",
    "Flaky test in the parser suite",
    "Release 1.4 checklist",
    "Café opening hours",
    "Résumé for the open position",
    "Übersetzung der Anleitung",
    "Встреча в пятницу",
    "会議の議事録",
    "Naïve question about IMAP IDLE",
    "Crème brûlée recipe 🍮",
    "Zürich trip – itinerary",
    "Señales del sensor de temperatura",
    "Spørgsmål om fakturaen",
]

WORDS = (
    "the a we should could maybe tomorrow next week meeting plan draft "
    "report numbers server backup schedule team budget review notes idea "
    "change release test list item question answer time place agenda "
    "document version update patch issue fix build deploy weekend office "
    "coffee lunch train ticket hotel slides demo feedback deadline friday "
    "monday morning afternoon evening quick short long detail summary "
    "option choice proposal decision follow-up reminder thanks please "
    "looks good works fine broken again soon later earlier today"
).split()

OPENERS = ["Hi {n},", "Hello {n},", "Dear {n},", "{n},", "Hey {n}!",
           "Hi all,", "Good morning,"]
CLOSERS = ["Thanks,", "Cheers,", "Best,", "Regards,", "See you,", "--"]
UTF8_LINES = [
    "Grüße aus Köln — wir sehen uns nächste Woche.",
    "Merci beaucoup, c'était très utile !",
    "Спасибо, всё получилось.",
    "ありがとうございます。よろしくお願いします。",
    "¡Nos vemos el miércoles en la cafetería!",
    "Tak for hjælpen — det virker nu.",
    "The total is 1 250 € (≈ £1 080).",
]
LIST_IDS = ["<dev.lists.example.org>", "<announce.lists.example.org>"]


def sentence(rng):
    n = rng.randint(6, 16)
    w = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(w).capitalize() + rng.choice([".", ".", ".", "?", "!"])


def paragraph(rng):
    text = " ".join(sentence(rng) for _ in range(rng.randint(1, 4)))
    return wrap(text)


def wrap(text, width=72):
    out, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = (line + " " + word) if line else word
    if line:
        out.append(line)
    return "\n".join(out)


def first_name(person):
    return person[0].split()[0] if person[0] else person[1]


def addr(person):
    name, local, domain = person
    address = "%s@%s" % (local, domain)
    if not name:
        return address
    if all(ord(c) < 128 for c in name):
        return email.utils.formataddr((name, address))
    return "%s <%s>" % (encode_words(name, "utf-8"), address)


def encode_words(text, charset):
    # Header.encode folds long text into several encoded words; utf-8
    # comes out as B, iso-8859-1 as Q encoding.
    return email.header.Header(text, charset).encode(linesep="\n ")


def subject_header(text, rng):
    if all(ord(c) < 128 for c in text):
        return text
    try:
        text.encode("iso-8859-1")
        latin = True
    except UnicodeEncodeError:
        latin = False
    if latin and rng.random() < 0.5:
        return encode_words(text, "iso-8859-1")
    return encode_words(text, "utf-8")


def tiny_png(rng):
    w, h = 8, 8
    r, g, b = rng.randrange(256), rng.randrange(256), rng.randrange(256)
    raw = b"".join(b"\0" + bytes([r, g, b]) * w for _ in range(h))

    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def attachment(rng):
    kind = rng.choice(["csv", "png", "txt", "ics"])
    if kind == "csv":
        rows = ["date,item,amount"] + [
            "2024-%02d-%02d,%s,%d.%02d" % (rng.randint(1, 12),
                                           rng.randint(1, 28),
                                           rng.choice(WORDS),
                                           rng.randint(1, 900),
                                           rng.randint(0, 99))
            for _ in range(rng.randint(3, 12))]
        return ("text/csv", "numbers.csv", ("\n".join(rows) + "\n").encode())
    if kind == "png":
        return ("image/png", "picture.png", tiny_png(rng))
    if kind == "ics":
        return ("text/calendar", "invite.ics",
                b"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//errand demo//EN\n"
                b"BEGIN:VEVENT\nSUMMARY:Planning\n"
                b"DTSTART:20240301T100000Z\nEND:VEVENT\nEND:VCALENDAR\n")
    name = rng.choice(["notes.txt", "Protokoll-März.txt", "todo.txt"])
    body = "\n".join(sentence(rng) for _ in range(rng.randint(2, 6)))
    return ("text/plain", name, (body + "\n").encode())


def b64_lines(data):
    s = base64.b64encode(data).decode()
    return "\n".join(s[i:i + 76] for i in range(0, len(s), 76))


def text_part(body, rng):
    """Headers and encoded body of a text/plain part."""
    if all(ord(c) < 128 for c in body):
        return (["Content-Type: text/plain; charset=us-ascii",
                 "Content-Transfer-Encoding: 7bit"], body)
    choice = rng.random()
    try:
        latin = body.encode("iso-8859-1")
    except UnicodeEncodeError:
        latin = None
    if latin is not None and choice < 0.3:
        qp = quopri.encodestring(latin).decode("ascii")
        return (["Content-Type: text/plain; charset=iso-8859-1",
                 "Content-Transfer-Encoding: quoted-printable"], qp)
    if choice < 0.6:
        qp = quopri.encodestring(body.encode()).decode("ascii")
        return (["Content-Type: text/plain; charset=utf-8",
                 "Content-Transfer-Encoding: quoted-printable"], qp)
    return (["Content-Type: text/plain; charset=utf-8",
             "Content-Transfer-Encoding: 8bit"], body)


def html_of(body):
    esc = body.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    paras = "".join("<p>%s</p>\n" % p.replace("\n", "<br>\n")
                    for p in esc.split("\n\n"))
    return ("<html><head><meta charset=\"utf-8\"></head>\n<body>\n%s"
            "</body></html>" % paras)


def render(msg, rng):
    """The message's bytes, LF line ends."""
    h = ["Return-Path: <%s@%s>" % (msg["from"][1], msg["from"][2]),
         "From: " + addr(msg["from"]),
         "To: " + ", ".join(addr(p) for p in msg["to"])]
    if msg["cc"]:
        h.append("Cc: " + ", ".join(addr(p) for p in msg["cc"]))
    h += ["Subject: " + subject_header(msg["subject"], rng),
          "Date: " + email.utils.format_datetime(msg["date"]),
          "Message-ID: " + msg["id"]]
    if msg["parent"]:
        h.append("In-Reply-To: " + msg["parent"]["id"])
        refs = msg["parent"]["refs"] + [msg["parent"]["id"]]
        h.append("References: " + "\n ".join(refs[-8:]))
    if msg["list"]:
        h.append("List-Id: " + msg["list"])
    if rng.random() < 0.3:
        h.append("User-Agent: " + rng.choice(
            ["errand/0.1", "Mutt/2.2.12", "Thunderbird/115.6",
             "Evolution 3.50", "K-9 Mail/6.7"]))
    h.append("MIME-Version: 1.0")

    body = msg["body"]
    kind = msg["kind"]
    if kind == "plain":
        ph, pb = text_part(body, rng)
        lines = h + ph + ["", pb]
    elif kind == "alternative":
        bd = "=_alt_%08x" % rng.getrandbits(32)
        ph, pb = text_part(body, rng)
        html = quopri.encodestring(html_of(body).encode()).decode("ascii")
        lines = h + ['Content-Type: multipart/alternative; boundary="%s"' % bd,
                     "", "--" + bd] + ph + ["", pb, "--" + bd,
                     "Content-Type: text/html; charset=utf-8",
                     "Content-Transfer-Encoding: quoted-printable", "", html,
                     "--%s--" % bd]
    else:
        bd = "=_mix_%08x" % rng.getrandbits(32)
        ph, pb = text_part(body, rng)
        lines = h + ['Content-Type: multipart/mixed; boundary="%s"' % bd, "",
                     "This is a multi-part message in MIME format.", "",
                     "--" + bd] + ph + ["", pb]
        for ctype, name, data in msg["files"]:
            if all(ord(c) < 128 for c in name):
                fname = 'filename="%s"' % name
                ctname = 'name="%s"' % name
            else:
                # RFC 2231 for the parameter, RFC 2047 in name= as many
                # senders still do.
                fname = "filename*=utf-8''" + "".join(
                    c if c.isalnum() and ord(c) < 128 or c in ".-_"
                    else "".join("%%%02X" % b for b in c.encode())
                    for c in name)
                ctname = 'name="%s"' % encode_words(name, "utf-8")
            lines += ["--" + bd, "Content-Type: %s; %s" % (ctype, ctname),
                      "Content-Disposition: attachment; " + fname,
                      "Content-Transfer-Encoding: base64", "",
                      b64_lines(data)]
        lines.append("--%s--" % bd)
    text = "\n".join(lines)
    if not text.endswith("\n"):
        text += "\n"
    return text.encode("utf-8", "surrogateescape")


def quote(parent):
    name = parent["from"][0] or parent["from"][1]
    when = email.utils.format_datetime(parent["date"])
    quoted = "\n".join(("> " + l) if l else ">"
                       for l in parent["body"].split("\n")[:12])
    return "On %s, %s wrote:\n%s" % (when, name, quoted)


def make_body(rng, to, parent):
    parts = [rng.choice(OPENERS).format(n=first_name(to))]
    if parent and rng.random() < 0.4:
        parts.append(quote(parent))
    for _ in range(rng.randint(1, 3)):
        parts.append(paragraph(rng))
    if rng.random() < 0.25:
        parts.append(rng.choice(UTF8_LINES))
    if parent and rng.random() >= 0.4 and rng.random() < 0.5:
        parts.append(quote(parent))
    parts.append(rng.choice(CLOSERS))
    return "\n\n".join(parts)


def generate(n, seed, now):
    rng = random.Random(seed)
    span = 730 * 86400
    msgs = []
    serial = 0
    while len(msgs) < n:
        size = min(n - len(msgs), rng.choice([1, 1, 1, 2, 2, 3, 4, 5, 7]))
        subject = rng.choice(SUBJECTS)
        people = rng.sample(PEOPLE, rng.randint(1, 4))
        listid = rng.choice(LIST_IDS) if rng.random() < 0.2 else None
        t = now - datetime.timedelta(seconds=rng.randrange(span))
        thread = []
        for i in range(size):
            if i == 0:
                parent = None
                sender = people[0]
            else:
                parent = rng.choice(thread[-2:])
                pool = [p for p in people + [ME] if p != parent["from"]]
                sender = rng.choice(pool)
                t = t + datetime.timedelta(minutes=rng.randint(5, 4000))
            if t > now:
                break
            to = [ME] if sender != ME else [parent["from"]]
            cc = [p for p in people if p not in (sender, to[0])]
            cc = cc[:rng.randint(0, len(cc))]
            serial += 1
            domain = sender[2] if rng.random() < 0.8 else rng.choice(DOMAINS)
            mid = "<%d.%016x@%s>" % (int(t.timestamp()), rng.getrandbits(64),
                                     domain)
            r = rng.random()
            kind = "plain" if r < 0.6 else "alternative" if r < 0.8 else "mixed"
            files = ([attachment(rng) for _ in range(rng.randint(1, 2))]
                     if kind == "mixed" else [])
            subj = subject if i == 0 else "Re: " + subject
            offset = datetime.timedelta(minutes=rng.choice(
                [0, 60, 120, -300, -420, 330, 540]))
            m = {
                "from": sender, "to": to, "cc": cc, "subject": subj,
                "date": t.astimezone(datetime.timezone(offset)),
                "utc": t, "id": mid, "parent": parent,
                "refs": (parent["refs"] + [parent["id"]]) if parent else [],
                "list": listid, "kind": kind, "files": files,
            }
            m["body"] = make_body(rng, to[0], parent)
            thread.append(m)
            msgs.append(m)
    msgs.sort(key=lambda m: (m["utc"], m["id"]))
    # Render in date order from a second stream, so the layout choices do
    # not shift the content of later threads.
    out = []
    rrng = random.Random(seed + 1)
    for m in msgs:
        out.append(render(m, rrng))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("outdir", help="directory to write the messages into")
    ap.add_argument("-n", type=int, default=300, help="how many (300)")
    ap.add_argument("--seed", type=int, default=1729, help="random seed")
    ap.add_argument("--now", help="newest date, YYYY-MM-DD (default: today)")
    a = ap.parse_args()
    if a.now:
        now = datetime.datetime.strptime(a.now, "%Y-%m-%d")
    else:
        now = datetime.datetime.now(datetime.timezone.utc).replace(
            tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    now = now.replace(tzinfo=datetime.timezone.utc)
    os.makedirs(a.outdir, exist_ok=True)
    for i, data in enumerate(generate(a.n, a.seed, now), 1):
        with open(os.path.join(a.outdir, "gen-%04d.eml" % i), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
