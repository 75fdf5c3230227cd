/* errand: a terminal mail user agent. See LICENSE.
 * libFuzzer target for the POP3 response parser: any bytes, fed in chunks
 * whose size the first byte picks, against expectations the next two bytes
 * pick, must give events or a protocol error, never a crash, a hang, a leak
 * or an event that breaks the parser's promises. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "net/pop3-parse.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void fuzz_check(const struct pop3_event *, size_t);

/* What every event promises. */
static void
fuzz_check(const struct pop3_event *ev, size_t fed)
{
	switch (ev->type) {
	case POP3_EV_STATUS:
		if (ev->line == NULL || ev->text == NULL ||
		    ev->code_name == NULL)
			fatalx("status without its strings");
		if ((ev->code == POP3_CODE_NONE) != (*ev->code_name == '\0') &&
		    ev->code != POP3_CODE_OTHER)
			fatalx("code and code name disagree");
		if (ev->more && !ev->ok)
			fatalx("-ERR with more to come");
		break;
	case POP3_EV_CONTINUE:
		if (ev->text == NULL || ev->line == NULL)
			fatalx("continuation without its text");
		break;
	case POP3_EV_LINE:
		if (ev->len != strlen(ev->text) || ev->data != ev->text)
			fatalx("listing line length is wrong");
		break;
	case POP3_EV_DATA:
		if (ev->len == 0 || (ev->len > fed && ev->len != 1))
			fatalx("body piece of %zu bytes from %zu fed", ev->len,
			    fed);
		break;
	case POP3_EV_END:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pop3_parse_limits lim = {0};
	struct pop3_parser *p;
	struct pop3_event ev;
	size_t chunk, off, used, n, k = 0;
	unsigned int pattern;
	int rc;

	if (size < 3)
		return 0;
	chunk = data[0] == 0 ? size : data[0];
	pattern = (unsigned int)data[1] << 8 | data[2];
	data += 3;
	size -= 3;
	/* Small bounds, so the fuzzer reaches them. */
	lim.max_line = 256;
	lim.max_listing = 4096;
	p = pop3_parser_new(&lim);
	for (off = 0; off < size;) {
		/* Always one reply expected: the next kind from the pattern. */
		if (pop3_parser_queued(p) == 0)
			pop3_parser_expect(p,
			    (enum pop3_expect)(
			        (pattern >> (2 * (k++ % 8))) & 3));
		n = size - off < chunk ? size - off : chunk;
		rc = pop3_parser_feed(p, data + off, n, &used, &ev);
		if (used > n)
			fatalx("parser took more than it was given");
		off += used;
		if (rc == -1) {
			if (pop3_parser_error(p) == NULL)
				fatalx("error without a message");
			if (pop3_parser_feed(p, data, size, &used, &ev) != -1)
				fatalx("parser recovered from an error");
			break;
		}
		if (rc == 1)
			fuzz_check(&ev, n);
		else if (used != n)
			fatalx("parser left bytes without an event");
	}
	pop3_parser_free(p);
	return 0;
}
