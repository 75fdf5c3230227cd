/* errand: a terminal mail user agent. See LICENSE.
 * libFuzzer target for the header decoder: any bytes must give a struct of
 * terminal-safe UTF-8 strings, never a crash, a leak or a control byte. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "content/mime.h"
#include "content/text.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void fuzz_check(const char *, const char *);

/* Stop on a string that is not one line of clean UTF-8. */
static void
fuzz_check(const char *what, const char *s)
{
	const unsigned char *p;

	if (s == NULL)
		fatalx("%s is NULL", what);
	if (!text_utf8_valid(s, strlen(s)))
		fatalx("%s is not UTF-8", what);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fatalx("%s has control 0x%02x", what, *p);
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0)
			fatalx("%s has a C1 control", what);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *charsets[] = {
	    NULL, "shift_jis", "utf-8", "iso-2022-jp", "no-such-charset"};
	struct mime_headers *h;
	char *s;

	/* The first byte picks the fallback charset; the whole is the block. */
	h = mime_headers_decode(
	    (const char *)data, size, charsets[size > 0 ? data[0] % 5 : 0]);
	fuzz_check("subject", h->subject);
	fuzz_check("from_name", h->from_name);
	fuzz_check("from_addr", h->from_addr);
	fuzz_check("to", h->to);
	fuzz_check("cc", h->cc);
	fuzz_check("message_id", h->message_id);
	fuzz_check("in_reply_to", h->in_reply_to);
	fuzz_check("references", h->references);
	mime_headers_free(h);

	s = mime_decode_words((const char *)data, size, NULL);
	fuzz_check("words", s);
	free(s);
	s = text_clean((const char *)data, size, TEXT_KEEP_NEWLINE);
	if (!text_utf8_valid(s, strlen(s)))
		fatalx("text_clean gave invalid UTF-8");
	(void)text_width(s);
	free(s);
	return 0;
}
