/* errand: a terminal mail user agent. See LICENSE.
 * libFuzzer target for the SMTP reply parser and the DATA encoder: any
 * bytes, fed in chunks whose size the first byte picks, must give replies
 * or a protocol error, never a crash, a hang, a leak or a reply that breaks
 * the parser's promises; the encoder's output must never hold a bare line
 * end nor a line starting with a single dot. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/smtp-parse.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_parser *p;
	struct smtp_reply r;
	struct smtp_ext e;
	struct smtp_stuff st;
	size_t chunk, off, n, used, o, i;
	char *out;
	int rc;

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] % 64 + 1;
	data++;
	size--;

	p = smtp_parser_new(64 + chunk, 8);
	off = 0;
	while (off < size) {
		n = size - off < chunk ? size - off : chunk;
		rc = smtp_parser_feed(p, data + off, n, &used, &r);
		if (used > n)
			fatalx("took more than it was given");
		off += used;
		if (rc == -1) {
			if (smtp_parser_error(p) == NULL)
				fatalx("error without a message");
			break;
		}
		if (rc == 1) {
			if (r.code < 200 || r.code > 599 || r.nlines < 1 ||
			    r.text == NULL || r.enhanced == NULL)
				fatalx("a reply without its parts");
			if (strlen(r.enhanced) != 0 &&
			    r.enhanced[0] != '0' + r.code / 100)
				fatalx("enhanced code of another class");
			smtp_ext_parse(&r, &e);
		} else if (used == 0)
			fatalx("no progress");
	}
	smtp_parser_free(p);

	out = xmalloc(2 * size + 8);
	smtp_stuff_init(&st);
	o = smtp_stuff(&st, (const char *)data, size, out);
	o += smtp_stuff_end(&st, out + o);
	for (i = 0; i < o; i++) {
		if (out[i] == '\n' && (i == 0 || out[i - 1] != '\r'))
			fatalx("bare LF");
		if (out[i] == '\r' && (i + 1 == o || out[i + 1] != '\n'))
			fatalx("bare CR");
		if ((i == 0 || out[i - 1] == '\n') && out[i] == '.' &&
		    i + 3 != o && (i + 1 == o || out[i + 1] != '.'))
			fatalx("unstuffed dot");
	}
	free(out);
	return 0;
}
