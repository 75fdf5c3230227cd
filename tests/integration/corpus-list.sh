# errand tests: every message of the real-world corpus (tests/data/corpus),
# appended to a Dovecot folder, synced and listed, shows the Subject and
# From (name, else address) that expect.jsonl gives, after the cleaning
# errand does (src/content/text.h). Records marked soft may differ: counted, shown.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

command -v python3 >/dev/null 2>&1 || tap_skip_all "no python3"
corpus=$top_srcdir/tests/data/corpus
[ -r "$corpus/expect.jsonl" ] || tap_skip_all "no $corpus/expect.jsonl"
dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/work
mkdir -p "$work/seed"

# tap_todo DESC [DETAIL...]: a failure that is a known bug, counted by the
# harness as an expected failure (TAP "# TODO"), not as a failure.
tap_todo()
{
	_desc=$1
	shift
	_tap_n=$((_tap_n + 1))
	echo "not ok $_tap_n - $_desc # TODO errand bug, see the diagnostics"
	for _d in "$@"; do
		printf '%s\n' "$_d" | sed 's/^/# /'
	done
}

# One file a message, named by its line in expect.jsonl, so dovecot_seed
# gives message i of expect.jsonl UID i.
python3 - "$corpus" "$work/seed" <<'EOF'
import json, os, shutil, sys
corpus, seed = sys.argv[1], sys.argv[2]
with open(os.path.join(corpus, "expect.jsonl"), encoding="utf-8") as f:
    for i, line in enumerate(f, 1):
        r = json.loads(line)
        shutil.copyfile(os.path.join(corpus, "messages", r["path"]),
                        os.path.join(seed, "%05d" % i))
EOF
[ $? -eq 0 ] || { echo "Bail out! cannot copy the corpus"; exit 1; }
nmsg=$(ls "$work/seed" | wc -l | tr -d ' ')
dovecot_seed "$work/seed" Corpus
tap_like "the folder holds all $nmsg messages" \
    "$(dv_doveadm -f flow mailbox status -u demo messages Corpus)" \
    "messages=$nmsg\$"

conf=$work/errand.conf
errand_write_config "$conf" imaps
export XDG_CACHE_HOME=$work/cache
out=$("$ERRAND" -c "$conf" -d "$work/proto.log" sync demo Corpus 2>&1)
tap_eq "sync exits 0" "$?" 0
tap_like "sync stores every message" "$out" "^Corpus: $nmsg new, "
"$ERRAND" -c "$conf" list --offline Corpus >"$work/list" 2>"$work/err"
tap_eq "list exits 0" "$?" 0
tap_eq "list shows every message" "$(wc -l <"$work/list" | tr -d ' ')" \
    "$nmsg"

# Compare. One record a message on stdout: "R<TAB>STATUS<TAB>PATH" with
# STATUS ok, fail, todo or soft, then "D<TAB>TEXT" lines of detail.
python3 - "$corpus/expect.jsonl" "$work/list" >"$work/results" <<'EOF'
import json, sys

# Non-soft records where errand is right and Python is not, with errand's
# value (as in tests/unit/test-corpus.c): "From: addr (Full Name)", the
# name is in a comment; GMime, mutt and Thunderbird show it, Python not.
COMMENT = "the name is in a comment"
EXCEPTIONS = {
    "mimekit/UnitTests/TestData/mbox/content-length.mbox.txt.split/0020.eml":
        "Dan Werbel",
    "mimekit/UnitTests/TestData/mbox/content-length.mbox.txt.split/0024.eml":
        "John T. Gildred",
    "mimekit/UnitTests/TestData/mbox/content-length.mbox.txt.split/0027.eml":
        "John T. Gildred",
    "mimekit/UnitTests/TestData/mbox/content-length.mbox.txt.split/0029.eml":
        "Dr. Mark K. Joseph",
    "mimekit/UnitTests/TestData/messages/bounce.txt": "Mail Delivery System",
    "postal-mime/test/fixtures/bounce.eml": "Mail Delivery System",
    "ruby-mail/spec/fixtures/emails/multipart_report_emails/"
    "multi_address_bounce1.eml": "Mail Delivery System",
    "spamassassin-tdata/t/data/nice.mbox.split/0002.eml":
        "Nathaniel Borenstein",
    "spamassassin-tdata/t/data/nice/mime2": "Nathaniel Borenstein",
    "spamassassin-tdata/t/data/nice/mime3": "Nathaniel Borenstein",
    "spamassassin-tdata/t/data/nice/mime5": "Stephen A Uhler",
    "spamassassin-tdata/t/data/nice/mime6": "Nathaniel Borenstein",
    "spamassassin-tdata/t/data/nice/mime7": "Nathaniel Borenstein",
}

# Hard records errand decodes wrongly, with the cause suspected: shown as
# TAP TODO. One that starts to match fails, so the list stays true.
KNOWN_BUGS = {
}


def utf8_char(b, i):
    """The code point and length of the UTF-8 character at b[i], or
    (None, 0) when it is not valid (as text_decode in src/content/text.c)."""
    c = b[i]
    if c < 0x80:
        return c, 1
    if c < 0xC2:
        return None, 0
    if c < 0xE0:
        n, c, lo = 2, c & 0x1F, 0x80
    elif c < 0xF0:
        n, c, lo = 3, c & 0x0F, 0x800
    elif c < 0xF5:
        n, c, lo = 4, c & 0x07, 0x10000
    else:
        return None, 0
    if len(b) - i < n:
        return None, 0
    for k in range(1, n):
        if b[i + k] & 0xC0 != 0x80:
            return None, 0
        c = (c << 6) | (b[i + k] & 0x3F)
    if c < lo or c > 0x10FFFF or 0xD800 <= c <= 0xDFFF:
        return None, 0
    return c, n


def skip_csi(b, i):
    while i < len(b) and 0x30 <= b[i] <= 0x3F:
        i += 1
    while i < len(b) and 0x20 <= b[i] <= 0x2F:
        i += 1
    if i < len(b) and 0x40 <= b[i] <= 0x7E:
        i += 1
    return i


def skip_string(b, i):
    while i < len(b):
        if b[i] == 0x07:
            return i + 1
        if b[i] == 0x1B:
            return i + 2 if i + 1 < len(b) and b[i + 1] == 0x5C else i
        if b[i] == 0xC2 and i + 1 < len(b) and b[i + 1] == 0x9C:
            return i + 2
        if b[i] == 0x0A:
            return i
        i += 1
    return i


def skip_escape(b, i):
    if i == len(b):
        return i
    c = b[i]
    if c == 0x5B:
        return skip_csi(b, i + 1)
    if c in b"]PX^_":
        return skip_string(b, i + 1)
    if 0x20 <= c <= 0x2F:
        while i < len(b) and 0x20 <= b[i] <= 0x2F:
            i += 1
        if i < len(b) and 0x30 <= b[i] <= 0x7E:
            i += 1
        return i
    if 0x30 <= c <= 0x7E:
        return i + 1
    return i


def clean(s):
    """text_clean(s, len, 0) of src/content/text.c, on s as UTF-8 (a lone surrogate,
    Python's stand-in for an undecodable byte, as that byte)."""
    b = (s or "").encode("utf-8", "surrogateescape")
    out = bytearray()
    i = 0
    while i < len(b):
        c = b[i]
        if 0x20 <= c < 0x7F:
            out.append(c)
            i += 1
            continue
        if c == 0x1B:
            i = skip_escape(b, i + 1)
            continue
        if c < 0x80:
            if c in (0x09, 0x0A):
                out.append(0x20)
            elif c == 0x0D and (i + 1 == len(b) or b[i + 1] != 0x0A):
                out.append(0x20)
            i += 1
            continue
        cp, n = utf8_char(b, i)
        if n == 0:
            out += "\ufffd".encode()
            i += 1
            continue
        i += n
        if cp < 0xA0:
            if cp == 0x9B:
                i = skip_csi(b, i)
            elif cp in (0x90, 0x98, 0x9D, 0x9E, 0x9F):
                i = skip_string(b, i)
            continue
        if 0x202A <= cp <= 0x202E or 0x2066 <= cp <= 0x2069:
            continue
        if cp in (0x2028, 0x2029):
            out.append(0x20)
            continue
        out += b[i - n:i]
    return out.decode("utf-8")


listed = {}
with open(sys.argv[2], encoding="utf-8", errors="surrogateescape") as f:
    for line in f:
        fields = line.rstrip("\n").split("\t", 4)
        if len(fields) == 5:
            listed[int(fields[0])] = (fields[3], fields[4])

out = []
with open(sys.argv[1], encoding="utf-8") as f:
    for uid, line in enumerate(f, 1):
        r = json.loads(line)
        path = r["path"]
        name = clean(r["from_display_name"])
        want_from = EXCEPTIONS.get(path) or name or clean(r["from_address"])
        want = (want_from, clean(r["subject"]))
        got = listed.get(uid)
        diffs = []
        if got is None:
            diffs.append("not listed (UID %d)" % uid)
        else:
            for what, w, g in (("From", want[0], got[0]),
                               ("Subject", want[1], got[1])):
                if w != g:
                    diffs.append("%s: expected '%s' got '%s'" % (what, w, g))
        if not diffs:
            status = "fail" if path in KNOWN_BUGS else "ok"
            if path in KNOWN_BUGS:
                diffs = ["listed as a known bug but now matches: "
                         "take it out of KNOWN_BUGS"]
        elif r["soft"]:
            status = "soft"
        elif path in KNOWN_BUGS:
            status = "todo"
            diffs.append("suspected cause: " + KNOWN_BUGS[path])
        else:
            status = "fail"
        out.append("R\t%s\t%s" % (status, path))
        out += ["D\t" + d.encode("utf-8", "surrogateescape")
                .decode("utf-8", "replace") for d in diffs]
print("\n".join(out))
EOF
tap_eq "the comparison ran" "$?" 0

soft=0 softdiff=0 status= path= diags=
# flush: the result of the record read so far.
flush()
{
	case $status in
	ok) tap_ok "$path" ;;
	fail) tap_fail "$path" "$diags" ;;
	todo) tap_todo "$path" "$diags" ;;
	soft)
		softdiff=$((softdiff + 1))
		tap_ok "$path (soft, differs)"
		printf '%s\n' "$diags" | while IFS= read -r d; do
			printf '# soft: %s: %s\n' "$path" "$d"
		done
		;;
	esac
	status=
}
while IFS= read -r line; do
	case $line in
	R"	"*)
		flush
		line=${line#R	}
		status=${line%%	*}
		path=${line#*	}
		diags=
		;;
	D"	"*)
		diags=${diags:+$diags
}${line#D	}
		;;
	esac
done <"$work/results"
flush
soft=$(grep -c '"soft": true' "$corpus/expect.jsonl")
echo "# soft records: $softdiff of $soft differ from Python's"

tap_done
