/* errand: a terminal mail user agent. See LICENSE.
 * libFuzzer target for the IMAP response parser and its interpreters: any
 * bytes, fed in chunks whose size the first byte picks, must give
 * responses or a protocol error, never a crash, a hang or a leak. Names
 * that come out are also run through the modified UTF-7 decoder. A first
 * byte of 0x80 or more also cuts literals over FUZZ_KEEP bytes. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/imap-parse.h"
#include "net/imap-utf7.h"
#include "xmalloc.h"

#define FUZZ_KEEP 64

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void fuzz_interpret(struct imap_parser *, const struct imap_resp *);

static void
fuzz_interpret(struct imap_parser *p, const struct imap_resp *r)
{
	struct imap_fetch f;
	struct imap_list_item li;
	struct imap_status_item st;
	struct imap_uidset set;
	char *s;
	int earlier;
	size_t i;

	switch (r->data) {
	case IMAP_DATA_FETCH:
		if (imap_parse_fetch(p, r, &f) == 0) {
			for (i = 0; i < f.nbody; i++) {
				if (f.body[i].data != NULL &&
				    f.body[i].data[f.body[i].len] != '\0')
					fatalx("literal not NUL-terminated");
				if (f.body[i].cut && f.body[i].len != FUZZ_KEEP)
					fatalx("literal cut to the wrong size");
			}
		}
		break;
	case IMAP_DATA_LIST:
	case IMAP_DATA_LSUB:
		if (imap_parse_list(p, r, &li) == 0) {
			s = imap_utf7_decode(li.name, li.namelen);
			free(s);
		}
		break;
	case IMAP_DATA_STATUS:
		imap_parse_status(p, r, &st);
		break;
	case IMAP_DATA_VANISHED:
		if (imap_parse_vanished(p, r, &earlier, &set) == 0 &&
		    set.n > 0 && !imap_uidset_contains(&set, set.r[0].lo))
			fatalx("uid set lost its first uid");
		break;
	case IMAP_DATA_SEARCH:
	case IMAP_DATA_ESEARCH:
		imap_parse_search(p, r, &set);
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_parse_limits lim = {0};
	struct imap_parser *p;
	const struct imap_resp *r;
	size_t chunk, off, used, n;
	int rc;

	if (size == 0)
		return 0;
	chunk = data[0] == 0 ? size : data[0];
	data++;
	size--;
	/* Small bounds, so the fuzzer reaches them. */
	lim.max_literal = 4096;
	lim.max_line = 8192;
	lim.max_response = 65536;
	lim.max_depth = 16;
	lim.max_items = 256;
	p = imap_parser_new(&lim);
	if (chunk >= 0x80)
		imap_parser_set_literal_keep(p, FUZZ_KEEP);
	for (off = 0; off < size;) {
		n = size - off < chunk ? size - off : chunk;
		rc = imap_parser_feed(p, data + off, n, &used, &r);
		if (used > n)
			fatalx("parser took more than it was given");
		off += used;
		if (rc == -1) {
			if (imap_parser_error(p) == NULL)
				fatalx("error without a message");
			break;
		}
		if (rc == 1)
			fuzz_interpret(p, r);
		else if (used != n)
			fatalx("parser left bytes without a response");
	}
	imap_parser_free(p);
	return 0;
}
