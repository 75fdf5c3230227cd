#!/usr/bin/env python3
# errand: a terminal mail user agent. See LICENSE.
# The benchmark's mailbox: writes N generated messages straight into a
# Maildir's cur/ (Dovecot file names with S= and W= sizes and :2, flags,
# file mtime = Date), fast and deterministic. Threads, six charsets with
# RFC 2047 names and subjects, sizes from 1 KB to 200 KB (most a few KB),
# some multipart/alternative and some with attachments. Standard library
# only; the same -n and --seed give the same bytes and names.

import argparse
import base64
import binascii
import bisect
import json
import math
import os
import random
import sys
import time

# Bump when the output changes, so that cached mailboxes are rebuilt.
GEN_VERSION = 1

NOW = 1748736000                # 2025-06-01 00:00:00 UTC, the newest date
SPAN = 6 * 365 * 86400          # dates spread over six years before NOW

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

# Phrases in each charset's script, mixed into its body text.
LATIN = ["Grüße aus Köln", "très utile", "à bientôt", "Straße", "Größe",
         "¡Nos vemos el miércoles!", "Tak for hjælpen", "déjà vu", "naïve",
         "Spørgsmål", "Çà et là", "über", "año", "Ñandú", "señor"]
CP1252 = ["“quoted”", "– en dash –", "… and so on", "price 120 €",
          "Œuvre", "Šárka Žáková", "‘single’", "™", "•"]
RUSSIAN = ["Спасибо, всё получилось.", "Встреча в пятницу", "отчёт",
           "сервер", "резервная копия", "бюджет команды", "до завтра",
           "пожалуйста", "вопрос", "ответ", "неделя", "план работ"]
JAPANESE = ["ありがとうございます。", "よろしくお願いします。", "会議",
            "議事録", "来週の予定", "サーバー移行", "見積書", "確認します",
            "承知しました。", "資料を添付します。"]
UTF8 = LATIN + CP1252 + RUSSIAN + JAPANESE + ["🍮", "Zürich – itinerary",
                                              "Ана Јовановић", "Łódź"]

ASCII_SUBJECTS = [
    "Lunch on Thursday?", "Draft agenda for the planning meeting",
    "Quarterly report numbers", "Question about the backup schedule",
    "Re-scheduling the design review", "Train tickets for the conference",
    "Server migration: weekend plan", "Photos from the hike",
    "Your invoice 2024-117", "Broken link on the website",
    "Proposal: move stand-up to 9:30", "Book club: next title",
    "Holiday rota", "Minutes of Tuesday's call", "New laptop setup",
    "Budget for the workshop", "Thanks!", "Welcome to the team",
    "Flaky test in the parser suite", "Release 1.4 checklist",
]
LATIN_SUBJECTS = ["Café opening hours", "Résumé for the open position",
                  "Übersetzung der Anleitung", "Señales del sensor",
                  "Spørgsmål om fakturaen", "Réunion de lundi",
                  "Straße und Hausnummer", "Größe der Dateien"]
CP1252_SUBJECTS = LATIN_SUBJECTS + ["“Final” plan – draft…",
                                    "Price: 120 € per seat"]
KOI8_SUBJECTS = ["Встреча в пятницу", "Отчёт за квартал",
                 "Вопрос по серверу", "План на выходные"]
JIS_SUBJECTS = ["会議の議事録", "来週の予定について", "見積書の送付",
                "サーバー移行の件"]
UTF8_SUBJECTS = (LATIN_SUBJECTS + KOI8_SUBJECTS + JIS_SUBJECTS +
                 ["Crème brûlée recipe 🍮", "Zürich trip – itinerary",
                  "Naïve question about IMAP IDLE", "Łódź office move"])

ASCII_NAMES = ["Alice Martin", "Bob Okafor", "Carol Nguyen", "Frank O'Neill",
               "Grace Hopkins", "Hiro Tanaka", "Priya Raman", "Mateo Rossi",
               "Nadia El-Amin", "Release Bot", ""]
LATIN_NAMES = ["Zoë Müller", "François Dubois", "Søren Kjær", "José García",
               "Ingrid Bergström"]
CP1252_NAMES = LATIN_NAMES + ["Šárka Žáková", "Œdipe Ÿvon"]
KOI8_NAMES = ["Ольга Петрова", "Дмитрий Волков", "Наталья Смирнова"]
JIS_NAMES = ["田中 花子", "鈴木 一郎", "佐藤 美咲"]
UTF8_NAMES = LATIN_NAMES + KOI8_NAMES + JIS_NAMES + ["Łukasz Wróbel",
                                                     "Ана Јовановић"]

DOMAINS = ["example.org", "example.com", "example.net", "lists.example.org"]
ME = b"Demo User <demo@example.org>"

# charset: (share, subjects, names, phrases, body encodings, 2047 mode)
CHARSETS = {
    "us-ascii": (0.20, ASCII_SUBJECTS, ASCII_NAMES, [], ["7bit"], None),
    "utf-8": (0.45, UTF8_SUBJECTS, UTF8_NAMES, UTF8,
              ["8bit", "quoted-printable", "base64"], "B"),
    "iso-8859-1": (0.12, LATIN_SUBJECTS, LATIN_NAMES, LATIN,
                   ["quoted-printable", "8bit"], "Q"),
    "windows-1252": (0.10, CP1252_SUBJECTS, CP1252_NAMES, CP1252 + LATIN,
                     ["quoted-printable", "8bit"], "Q"),
    "koi8-r": (0.07, KOI8_SUBJECTS, KOI8_NAMES, RUSSIAN,
               ["8bit", "base64"], "B"),
    "iso-2022-jp": (0.06, JIS_SUBJECTS, JIS_NAMES, JAPANESE, ["7bit"], "B"),
}

ATTACHMENTS = [
    ("application/pdf", "report.pdf"),
    ("application/pdf", "Protokoll-März.pdf"),
    ("image/jpeg", "IMG_%04d.jpg"),
    ("image/png", "screenshot.png"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
     "budget.xlsx"),
    ("application/zip", "logs-%04d.zip"),
    ("text/calendar", "invite.ics"),
]

MAILERS = [b"", b"", b"User-Agent: Mutt/2.2.12\n",
           b"User-Agent: Thunderbird/115.6\n", b"X-Mailer: Evolution 3.50\n",
           b"User-Agent: K-9 Mail/6.7\n", b"X-Mailer: Microsoft Outlook 16.0\n"]

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
          "Oct", "Nov", "Dec"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def encoded_words(text, charset, mode):
    """RFC 2047: TEXT as encoded words of at most 75 characters, folded."""
    if mode is None or all(ord(c) < 128 for c in text):
        return text.encode("ascii")
    words, chunk = [], ""

    def ew(s):
        raw = s.encode(charset)
        if mode == "B":
            data = base64.b64encode(raw).decode()
        else:
            data = "".join(chr(b) if (chr(b).isalnum() and b < 128)
                           else "_" if b == 32 else "=%02X" % b for b in raw)
        return "=?%s?%s?%s?=" % (charset, mode, data)
    for c in text:
        if chunk and len(ew(chunk + c)) > 75:
            words.append(ew(chunk))
            chunk = ""
        chunk += c
    words.append(ew(chunk))
    return "\n ".join(words).encode("ascii")


def rfc2231(name):
    return "filename*=utf-8''" + "".join(
        c if (c.isalnum() and ord(c) < 128) or c in ".-_"
        else "".join("%%%02X" % b for b in c.encode()) for c in name)


class Corpus:
    """Encoded body text of one charset and transfer encoding, cut at line
    ends: one blob and the offset of each line."""

    def __init__(self, lines):
        self.blob = b"".join(lines)
        self.offs = []
        o = 0
        for ln in lines:
            self.offs.append(o)
            o += len(ln)

    def take(self, rng, length):
        """About LENGTH bytes of whole lines from a random place."""
        length = min(length, len(self.blob) // 2)
        s = bisect.bisect_left(self.offs,
                               rng.randrange(len(self.blob) - length))
        s = min(s, len(self.offs) - 1)
        start = self.offs[s]
        e = bisect.bisect_left(self.offs, start + length)
        end = self.offs[e] if e < len(self.offs) else len(self.blob)
        return self.blob[start:end]


class Generator:
    def __init__(self, n, seed):
        self.n = n
        self.rng = random.Random(seed)
        rng = random.Random(seed ^ 0x5eed)
        self.step = max(2, SPAN // max(n, 1))
        self.start = NOW - self.step * n
        self.charsets = list(CHARSETS)
        self.weights = [CHARSETS[c][0] for c in self.charsets]
        # Text corpora: about 260 KB of lines a charset, then one blob per
        # transfer encoding (base64 is encoded per message, from raw).
        self.raw = {}
        self.text = {}
        for cs, (_, _, _, phrases, ctes, _) in CHARSETS.items():
            lines = []
            width = 36 if cs == "iso-2022-jp" else 72
            total = 0
            while total < 260000:
                words = []
                ln = 0
                while ln < width:
                    if phrases and rng.random() < 0.3:
                        w = rng.choice(phrases)
                    else:
                        w = rng.choice(WORDS)
                    words.append(w)
                    ln += len(w) + 1
                line = " ".join(words)
                if rng.random() < 0.12:
                    line = ""        # paragraph break
                enc = line.encode(cs)
                lines.append(enc)
                total += len(enc) + 1
            self.raw[cs] = Corpus([ln + b"\n" for ln in lines])
            for cte in ctes:
                if cte == "quoted-printable":
                    qp = [binascii.b2a_qp(ln) + b"\n" for ln in lines]
                    self.text[cs, cte] = Corpus(qp)
                elif cte != "base64":
                    self.text[cs, cte] = self.raw[cs]
        # Attachment data: 4,000 base64 lines of 76 characters.
        b64 = base64.encodebytes(rng.randbytes(57 * 4000))
        self.b64 = b64
        self.subjects = {
            cs: [encoded_words(s, cs, v[5]) for s in v[1]]
            for cs, v in CHARSETS.items()}
        self.names = {
            cs: [encoded_words(s, cs, v[5]) if s else b"" for s in v[2]]
            for cs, v in CHARSETS.items()}
        self.threads = []        # open threads, newest last
        self.thread_no = 0

    def person(self, cs):
        rng = self.rng
        i = rng.randrange(len(self.names[cs]))
        name = self.names[cs][i]
        local = b"user%d" % (i * 7 + len(cs))
        dom = rng.choice(DOMAINS).encode()
        if not name:
            return b"%s@%s" % (local, dom)
        if b"=?" in name or b" " not in name or rng.random() < 0.7:
            return b"%s <%s@%s>" % (name, local, dom)
        return b"\"%s\" <%s@%s>" % (name, local, dom)

    @staticmethod
    def date(t, off):
        tm = time.gmtime(t + off * 60)
        sign = "+" if off >= 0 else "-"
        off = abs(off)
        return ("%s, %d %s %d %02d:%02d:%02d %s%02d%02d" % (
            DAYS[tm.tm_wday], tm.tm_mday, MONTHS[tm.tm_mon - 1], tm.tm_year,
            tm.tm_hour, tm.tm_min, tm.tm_sec, sign, off // 60,
            off % 60)).encode()

    def size(self, kind):
        """The message's target size in bytes."""
        rng = self.rng
        if kind == "plain":
            s = rng.lognormvariate(math.log(2600), 0.6)
            return int(min(max(s, 1024), 60000))
        if kind == "alternative":
            s = rng.lognormvariate(math.log(6000), 0.6)
            return int(min(max(s, 2048), 120000))
        return int(math.exp(rng.uniform(math.log(6000),
                                        math.log(200 * 1024))))

    def text_part(self, cs, length, ctype=b"text/plain"):
        """Headers and body of one text part of about LENGTH bytes."""
        rng = self.rng
        cte = rng.choice(CHARSETS[cs][4])
        if cte == "base64":
            body = base64.encodebytes(self.raw[cs].take(rng,
                                                        length * 3 // 4))
        else:
            body = self.text[cs, cte].take(rng, length)
        return (b"Content-Type: %s; charset=%s\n"
                b"Content-Transfer-Encoding: %s\n" % (ctype, cs.encode(),
                                                      cte.encode()), body)

    def message(self, i, t=None):
        """Message number I (0-based): (bytes, maildir flags, time)."""
        rng = self.rng
        if t is None:
            t = self.start + i * self.step + rng.randrange(self.step)
        # A reply to an open thread, or a new thread.
        if self.threads and rng.random() < 0.55:
            th = self.threads[-1 - int(rng.expovariate(0.08)) %
                              len(self.threads)]
            parent = th["ids"][-1 - int(rng.expovariate(1.5)) %
                               len(th["ids"])]
        else:
            th = None
        if th is None:
            self.thread_no += 1
            cs = rng.choices(self.charsets, self.weights)[0]
            subj = rng.choice(self.subjects[cs])
            if rng.random() < 0.5:
                subj += b" (#%d)" % self.thread_no
            th = {"cs": cs, "subj": subj, "ids": [], "refs": {}}
            self.threads.append(th)
            if len(self.threads) > 400:
                del self.threads[:100]
            subject = subj
            refs = []
            parent = None
        else:
            cs = th["cs"]
            subject = b"Re: " + th["subj"]
            refs = th["refs"].get(parent, []) + [parent]
        domain = rng.choice(DOMAINS).encode()
        mid = b"<%d.%016x@%s>" % (t, rng.getrandbits(64), domain)
        th["refs"][mid] = refs[-20:]
        th["ids"].append(mid)
        if len(th["ids"]) > 60:
            old = th["ids"].pop(0)
            th["refs"].pop(old, None)

        off = rng.choice([0, 0, 60, 120, -300, -420, 330, 540])
        sender = self.person(cs)
        h = [b"Return-Path: <bounce-%d@%s>\n" % (i, domain),
             b"Received: from mx%d.%s (mx%d.%s [192.0.2.%d])\n"
             b"\tby imap.example.org (Postfix) with ESMTPS id %X\n"
             b"\tfor <demo@example.org>; %s\n" % (
                 i % 7, domain, i % 7, domain, i % 250, t * 7 + i,
                 self.date(t + 3, 0)),
             b"Date: %s\n" % self.date(t, off),
             b"From: %s\n" % sender,
             b"To: %s\n" % (ME if rng.random() < 0.85
                            else self.person(cs))]
        if rng.random() < 0.3:
            h.append(b"Cc: %s\n" % b",\n ".join(
                self.person(cs) for _ in range(rng.randint(1, 4))))
        h.append(b"Subject: %s\n" % subject)
        h.append(b"Message-ID: %s\n" % mid)
        if parent:
            h.append(b"In-Reply-To: %s\n" % parent)
            h.append(b"References: %s\n" % b"\n ".join(refs[-20:]))
        h.append(rng.choice(MAILERS))
        h.append(b"MIME-Version: 1.0\n")
        head = b"".join(h)

        r = rng.random()
        kind = "plain" if r < 0.75 else "alternative" if r < 0.90 else "mixed"
        room = max(self.size(kind) - len(head) - 60, 300)
        if kind == "plain":
            ph, pb = self.text_part(cs, room)
            data = head + ph + b"\n" + pb
        elif kind == "alternative":
            bd = b"=_alt_%08x" % rng.getrandbits(32)
            ph, pb = self.text_part(cs, room * 2 // 5)
            hh, hb = self.text_part(cs, room * 3 // 5 - 120, b"text/html")
            data = b"".join([
                head, b"Content-Type: multipart/alternative; "
                b"boundary=\"%s\"\n\n--%s\n" % (bd, bd), ph, b"\n", pb,
                b"--%s\n" % bd, hh, b"\n<html><body><pre>\n", hb,
                b"</pre></body></html>\n--%s--\n" % bd])
        else:
            bd = b"=_mix_%08x" % rng.getrandbits(32)
            ph, pb = self.text_part(cs, rng.randint(600, 3000))
            parts = [head, b"Content-Type: multipart/mixed; "
                     b"boundary=\"%s\"\n\nThis is a multi-part message in "
                     b"MIME format.\n\n--%s\n" % (bd, bd), ph, b"\n", pb]
            left = room - len(pb)
            nfiles = 1 if rng.random() < 0.8 else 2
            for _ in range(nfiles):
                ctype, name = rng.choice(ATTACHMENTS)
                if "%" in name:
                    name = name % rng.randrange(10000)
                if all(ord(c) < 128 for c in name):
                    disp = ("filename=\"%s\"" % name).encode()
                    pname = disp[4:]
                else:
                    disp = rfc2231(name).encode()
                    pname = b"name=\"%s\"" % encoded_words(name, "utf-8",
                                                           "B")
                nl = max(left // nfiles // 77, 4)
                s = rng.randrange(len(self.b64) // 77 - nl) * 77
                parts += [b"--%s\nContent-Type: %s; %s\n"
                          b"Content-Disposition: attachment; %s\n"
                          b"Content-Transfer-Encoding: base64\n\n" % (
                              bd, ctype.encode(), pname, disp),
                          self.b64[s:s + nl * 77]]
            parts.append(b"--%s--\n" % bd)
            data = b"".join(parts)

        # Flags: old mail mostly read, the newest 3% mostly not.
        age = i / max(self.n, 1)
        f = ""
        if rng.random() < 0.02:
            f += "F"
        if rng.random() < 0.10:
            f += "R"
        if rng.random() < (0.97 if age < 0.97 else 0.3):
            f += "S"
        return data, f, t


def mailbox_stats(path):
    try:
        with open(os.path.join(path, ".complete")) as fp:
            return json.load(fp)
    except (OSError, ValueError):
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("maildir", nargs="?",
                    help="the Maildir to fill (its cur/); left alone if it "
                    "is complete for the same -n, --seed and version")
    ap.add_argument("-n", type=int, default=100000,
                    help="how many messages (100000)")
    ap.add_argument("--seed", type=int, default=1729, help="random seed")
    ap.add_argument("--owner", help="UID:GID to give the files (as root)")
    ap.add_argument("--version", action="store_true",
                    help="print the generator version and exit")
    a = ap.parse_args()
    if a.version:
        print(GEN_VERSION)
        return 0
    if not a.maildir:
        ap.error("no maildir given")
    want = {"version": GEN_VERSION, "messages": a.n, "seed": a.seed}
    st = mailbox_stats(a.maildir)
    if st and all(st.get(k) == v for k, v in want.items()):
        print("gen-mailbox: %s is up to date (%d messages, %.0f MB)" % (
            a.maildir, st["messages"], st["bytes"] / 1e6))
        return 0
    owner = tuple(int(x) for x in a.owner.split(":")) if a.owner else None

    # Build beside the target and rename, so that a broken run leaves no
    # half mailbox that looks complete.
    tmpdir = a.maildir.rstrip("/") + ".tmp"
    if os.path.exists(tmpdir):
        import shutil
        shutil.rmtree(tmpdir)
    cur = os.path.join(tmpdir, "cur")
    for d in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(tmpdir, d))
    t0 = time.time()
    g = Generator(a.n, a.seed)
    total = 0
    sizes = [0, 0, 0, 0]        # < 4 KB, < 16 KB, < 64 KB, larger
    for i in range(a.n):
        data, flags, t = g.message(i)
        vsize = len(data) + data.count(b"\n")
        name = "%d.M%dP1729.bench,S=%d,W=%d:2,%s" % (
            t, i % 1000000, len(data), vsize, flags)
        path = os.path.join(cur, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, data)
        os.utime(fd, (t, t))
        if owner:
            os.fchown(fd, *owner)
        os.close(fd)
        total += len(data)
        n = len(data)
        sizes[0 if n < 4096 else 1 if n < 16384 else 2 if n < 65536
              else 3] += 1
    if owner:
        for d in ("", "cur", "new", "tmp"):
            os.chown(os.path.join(tmpdir, d), *owner)
    if os.path.exists(a.maildir):
        import shutil
        shutil.rmtree(a.maildir)
    stats = dict(want, bytes=total, seconds=round(time.time() - t0, 1),
                 sizes={"<4K": sizes[0], "<16K": sizes[1], "<64K": sizes[2],
                        ">=64K": sizes[3]})
    with open(os.path.join(tmpdir, ".complete"), "w") as fp:
        json.dump(stats, fp)
    os.rename(tmpdir, a.maildir)
    print("gen-mailbox: wrote %d messages, %.0f MB in %.1f s into %s" % (
        a.n, total / 1e6, time.time() - t0, a.maildir))
    print("gen-mailbox: sizes %s" % json.dumps(stats["sizes"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
