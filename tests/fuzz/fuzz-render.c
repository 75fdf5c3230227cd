/* errand: a terminal mail user agent. See LICENSE.
 * libFuzzer target for the pager's renderer (src/content/render.c): any bytes, as a
 * whole RFC 5322 / MIME message, must give lines of terminal-safe UTF-8 no
 * wider than asked, and never a crash, a hang or a leak. */

#include <locale.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "content/render.h"
#include "content/text.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void fuzz_check(const struct render_doc *, size_t);

/* Stop on a line that is not clean UTF-8 within cols columns. */
static void
fuzz_check(const struct render_doc *doc, size_t cols)
{
	const struct render_line *l;
	const unsigned char *p;
	size_t i;

	for (i = 0; i < render_nlines(doc); i++) {
		l = render_line(doc, i);
		if (l == NULL || l->text == NULL || strlen(l->text) != l->len)
			fatalx("line %zu: bad text", i);
		if (!text_utf8_valid(l->text, l->len))
			fatalx("line %zu: not UTF-8", i);
		if (l->width != text_width(l->text) || l->width > cols)
			fatalx("line %zu: %zu columns", i, l->width);
		for (p = (const unsigned char *)l->text; *p != '\0'; p++) {
			if (*p < 0x20 || *p == 0x7f)
				fatalx("line %zu: control 0x%02x", i, *p);
			if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0)
				fatalx("line %zu: C1 control", i);
		}
	}
	for (i = 0; i < render_nattachments(doc); i++) {
		if (!text_utf8_valid(render_attachment(doc, i)->filename,
		        strlen(render_attachment(doc, i)->filename)))
			fatalx("attachment %zu: name not UTF-8", i);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *charsets[] = {
	    NULL, "shift_jis", "utf-8", "iso-2022-jp", "no-such-charset"};
	static int ready;
	struct render_opts o;
	struct render_doc *doc;

	if (!ready) {
		if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
			(void)setlocale(LC_CTYPE, "en_US.UTF-8");
		ready = 1;
	}
	/* The first byte picks the width and the fallback charset. */
	memset(&o, 0, sizeof o);
	o.width = size > 0 ? 10 + data[0] % 100 : 80;
	o.charset = charsets[size > 0 ? data[0] % 5 : 0];
	doc = render_message((const char *)data, size, &o);
	fuzz_check(doc, o.width);
	(void)render_search(doc, 0, "a\xc3\x89", RENDER_FORWARD);
	(void)render_search(doc, render_nlines(doc), "x", RENDER_BACKWARD);
	render_free(doc);
	return 0;
}
