#!/usr/bin/env python3
# errand: a terminal mail user agent. See LICENSE.
# Holds what errand shows of each corpus message (JSON lines from
# corpus-dump on stdin) against Python's email package (policy.default):
# Subject, From, To, the first inline text/plain part's text (it must be in
# what the pager shows) and the attachment names. Every difference must be
# in the known-differences file with its reason, and every entry there must
# still be a difference. Writes TAP, one test a message.
#
# usage: corpus-python.py MESSAGES-DIR KNOWN-FILE < dump.jsonl
import email
import email.policy
import json
import re
import sys


def clean(s, keep_newline=False):
    """What errand's text_clean() makes of s: one line (unless
    keep_newline), controls in caret notation, bidi overrides gone,
    undecodable bytes as U+FFFD."""
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        o = ord(c)
        i += 1
        if c == "\r":
            if not keep_newline and not (i < len(s) and s[i] == "\n"):
                out.append(" ")
            continue
        if c == "\n":
            out.append("\n" if keep_newline else " ")
        elif c == "\t":
            out.append(" ")
        elif o < 0x20 or o == 0x7F:
            out.append("^" + chr(o ^ 0x40))
        elif 0x80 <= o < 0xA0:
            out.append("^[" + chr(o - 0x40))
        elif 0x202A <= o <= 0x202E or 0x2066 <= o <= 0x2069:
            continue
        elif o in (0x2028, 0x2029):
            out.append("\n" if keep_newline else " ")
        elif 0xD800 <= o < 0xE000:
            out.append("\uFFFD")
        else:
            out.append(c)
    return "".join(out)


def squeeze(s):
    """s with every run of white space one space, trimmed."""
    return re.sub(r"\s+", " ", s).strip()


def header(msg, name):
    try:
        v = msg[name]
    except Exception as e:  # Python gives up on some broken fields
        return None, "python: %s" % e
    return v, None


def address_text(groups):
    """Addresses as errand's To shows them: 'Name <addr>', 'addr', a name
    quoted when it holds specials, a group as 'Name: members;'."""
    out = []
    for g in groups:
        members = ", ".join(str(a) for a in g.addresses)
        if g.display_name is None:
            out.append(members)
        else:
            out.append("%s: %s;" % (g.display_name, members))
    return ", ".join(out)


def inline_text(part, ctype):
    """Whether errand shows part inline (src/render.c render_leaf())."""
    if not (ctype.startswith("text/") or ctype in (
            "message/delivery-status", "message/disposition-notification")):
        return False
    if part.get_content_disposition() == "attachment":
        return False
    return part.get_filename() is None or ctype in ("text/plain",
                                                    "text/html")


def walk(part, depth, out):
    """The leaf parts errand looks at, in order, with their types:
    multipart/alternative shows only the part render_pick() picks."""
    if depth > 16:
        return
    ctype = part.get_content_type()
    if part.is_multipart():
        subs = part.get_payload()
        if not isinstance(subs, list):
            return
        if ctype == "message/rfc822" or ctype == "message/global":
            for s in subs:
                walk(s, depth + 1, out)
            return
        if ctype == "multipart/alternative" and subs:
            plain = html = other = None
            for s in subs:
                if has_plain(s, 4):
                    plain = s
                elif (s.get_content_type() == "text/html" or
                      s.is_multipart()):
                    html = s
                else:
                    other = s
            # (a Message with no header fields is false: test for None)
            for pick in (plain, html, other):
                if pick is not None:
                    walk(pick, depth + 1, out)
                    break
            return
        for s in subs:
            walk(s, depth + 1, out)
        return
    out.append((part, ctype))


def has_plain(part, depth):
    if part.is_multipart() and depth > 0:
        subs = part.get_payload()
        return isinstance(subs, list) and any(
            has_plain(s, depth - 1) for s in subs[:64])
    return (not part.is_multipart() and
            part.get_content_type() == "text/plain" and
            part.get_content_disposition() != "attachment")


def python_fields(raw):
    """The fields as Python's email decodes them; a field Python cannot
    decode is None, with the reason in the second dict."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    f, why = {}, {}
    v, e = header(msg, "subject")
    f["subject"] = clean(str(v)) if v is not None else ("" if e is None
                                                         else None)
    if e:
        why["subject"] = e
    v, e = header(msg, "from")
    try:
        a = v.addresses[0] if v is not None and v.addresses else None
        # (Python's addr_spec of a null sender "<>" is "<>" itself)
        addr = "" if a is None or a.addr_spec == "<>" else a.addr_spec
        f["from"] = (clean(a.display_name) + " <" + clean(addr) +
                     ">") if a else ""
    except Exception as ex:
        f["from"], why["from"] = None, "python: %s" % ex
    v, e = header(msg, "to")
    try:
        f["to"] = clean(address_text(v.groups)) if v is not None else ""
    except Exception as ex:
        f["to"], why["to"] = None, "python: %s" % ex
    leaves = []
    walk(msg, 0, leaves)
    body, names = None, []
    for part, ctype in leaves:
        if inline_text(part, ctype):
            if body is None and ctype == "text/plain":
                try:
                    body = part.get_content()
                except Exception:
                    payload = part.get_payload(decode=True) or b""
                    body = payload.decode("utf-8", "replace")
                if not isinstance(body, str):
                    body = body.decode("utf-8", "replace")
            continue
        try:
            names.append(clean(part.get_filename() or ""))
        except Exception:
            names.append("")
    f["body"] = squeeze(clean(body, True)) if body is not None else ""
    # The names: an unnamed part of a broken multipart is a matter of
    # how a parser mends it, not of what a reader sees.
    f["attachments"] = [n for n in names if n]
    return f, why


def errand_fields(r):
    return {
        "subject": r["subject"],
        "from": r["from_name"] + " <" + r["from_addr"] + ">"
        if r["from_addr"] or r["from_name"] else "",
        "to": r["to"],
        "body": squeeze(r["body"]),
        "attachments": [n for n in r["attachments"] if n],
    }


def differs(field, mine, theirs):
    if theirs is None:
        return True
    if field in ("subject", "from", "to"):  # trailing blanks show nothing
        return mine.strip() != theirs.strip()
    if field == "body":  # Python's text must be in what the pager shows
        return theirs not in mine
    return mine != theirs


def body_report(mine, theirs):
    """Where Python's text stops being in errand's, with some of each."""
    lo, hi = 0, len(theirs)
    while lo < hi:  # the longest start of theirs that is in mine
        mid = (lo + hi + 1) // 2
        if theirs[:mid] in mine:
            lo = mid
        else:
            hi = mid - 1
    at = mine.find(theirs[:lo]) + lo if lo else 0
    return ("body: python's text (%d characters) is in errand's only up to "
            "%d: python ...%r..., errand ...%r..." % (
                len(theirs), lo, theirs[max(0, lo - 30):lo + 50],
                mine[max(0, at - 30):at + 50]))


def main():
    msgdir, known_file = sys.argv[1], sys.argv[2]
    known = {}
    with open(known_file, encoding="utf-8") as kf:
        for n, line in enumerate(kf, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 3 or not parts[2].strip():
                print("Bail out! %s:%d: want path<TAB>field<TAB>reason" %
                      (known_file, n))
                return 1
            known[(parts[0], parts[1])] = parts[2]
    records = [json.loads(line) for line in sys.stdin]
    print("1..%d" % len(records))
    seen, failed, listed = set(), 0, 0
    for i, r in enumerate(records, 1):
        path = r["path"]
        with open("%s/%s" % (msgdir, path), "rb") as mf:
            theirs, why = python_fields(mf.read())
        mine = errand_fields(r)
        bad = []
        for field in ("subject", "from", "to", "body", "attachments"):
            d = differs(field, mine[field], theirs[field])
            k = (path, field)
            if k in known:
                seen.add(k)
                if d:
                    listed += 1
                else:
                    bad.append("%s: listed as a known difference but "
                               "errand and Python agree now: remove it"
                               % field)
            elif d and field == "body":
                bad.append(body_report(mine[field], theirs[field]))
            elif d:
                bad.append("%s: errand %r, python %r%s" % (
                    field, mine[field], theirs[field],
                    " (%s)" % why[field] if field in why else ""))
        if bad:
            failed += 1
            print("not ok %d - %s" % (i, path))
            for b in bad:
                print("# " + b[:2000])
        else:
            print("ok %d - %s" % (i, path))
    for k in sorted(set(known) - seen):
        print("# %s: %s: listed but not in the corpus" % k)
    print("# %d messages, %d differences listed as known, %d failed" %
          (len(records), listed, failed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
