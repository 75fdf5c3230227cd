#!/usr/bin/env python3
# errand: a terminal mail user agent. See LICENSE.
# Writes corpus/expect.tsv from corpus/expect.jsonl: the few fields
# tests/unit/test-corpus.c compares (path, soft, subject, From name and
# address), so the C test needs no JSON reader. Run from tests/data/ after
# updating the corpus: python3 corpus-tsv.py > corpus/expect.tsv
#
# One line a message, five tab-separated fields; a missing field is empty;
# backslash, tab, newline and CR are escaped as \\ \t \n \r, and a lone
# surrogate (Python's stand-in for an undecodable byte) as \uDCxx.
import json
import sys


def esc(s):
    if s is None:
        return ""
    s = (s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
         .replace("\r", "\\r"))
    return "".join("\\u%04X" % ord(c) if 0xD800 <= ord(c) < 0xE000 else c
                   for c in s)


def main():
    out = sys.stdout
    out.write("# path\tsoft\tsubject\tfrom_name\tfrom_addr"
              " (from expect.jsonl by corpus-tsv.py)\n")
    with open("corpus/expect.jsonl", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            out.write("\t".join([esc(r["path"]), "1" if r["soft"] else "0",
                                 esc(r["subject"]),
                                 esc(r["from_display_name"]),
                                 esc(r["from_address"])]) + "\n")


if __name__ == "__main__":
    main()
