/* errand: a terminal mail user agent. See LICENSE.
 * libFuzzer target for the draft file reader (src/content/compose.c): any
 * bytes give a draft of UTF-8 strings or a FILE:LINE error, never a crash
 * or a leak. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "content/compose.h"
#include "content/text.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_utf8(const char *what, const char *s)
{
	if (s != NULL && !text_utf8_valid(s, strlen(s)))
		fatalx("draft %s is not UTF-8", what);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct draft d;
	char *err = NULL, *s;
	size_t i;

	if (compose_draft_parse(
	        (const char *)data, size, "fuzz.eml", &d, &err) == 0) {
		if (d.body == NULL)
			fatalx("parsed draft without a body");
		fuzz_utf8("To", d.to);
		fuzz_utf8("Subject", d.subject);
		fuzz_utf8("body", d.body);
		for (i = 0; i < d.nattach; i++) {
			if (d.attach[i].path == NULL || *d.attach[i].path == 0)
				fatalx("attachment without a path");
			fuzz_utf8("Attach", d.attach[i].path);
		}
		if (d.subject != NULL) {
			s = compose_reply_subject(d.subject);
			if (strncmp(s, "Re: ", 4) != 0)
				fatalx("reply subject '%s'", s);
			free(s);
		}
	} else {
		if (err == NULL || strncmp(err, "fuzz.eml:", 9) != 0)
			fatalx("error without the file name: %s",
			    err != NULL ? err : "(null)");
		free(err);
	}
	compose_draft_free(&d);
	return 0;
}
