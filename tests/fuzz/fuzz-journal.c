/* errand: a terminal mail user agent. See LICENSE.
 * libFuzzer target for the journal decoder (src/engine/journal.c): an operation
 * on the first line, its argument after, as a damaged or foreign journal
 * may hold them. A row that decodes encodes back to the same text; the
 * description, folder and re-targeted argument of any row come back
 * whole, never a crash or a read past the end. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/journal.h"
#include "xmalloc.h"
#include "cache/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_journal j;
	struct journal_args a, b;
	const char *nl, *err;
	char *buf, *what, *folder, *arg, *enc;
	int rc;

	/* Text columns end at the first NUL. */
	buf = xmalloc(size + 1);
	if (size > 0)
		memcpy(buf, data, size);
	buf[size] = '\0';
	memset(&j, 0, sizeof j);
	j.id = 1;
	j.folder = 1;
	j.uid = 7;
	j.uidvalidity = 42;
	j.message_id = "";
	if ((nl = strchr(buf, '\n')) != NULL) {
		buf[nl - buf] = '\0';
		j.arg = nl + 1;
	} else
		j.arg = "";
	j.op = buf;

	rc = journal_decode(j.op, j.arg, &a, &err);
	if (rc != 0 && (a.op != JOURNAL_UNKNOWN || err == NULL || *err == '\0'))
		fatalx("op '%s' refused without a reason", j.op);
	if (rc == 0) {
		/* One stored form: what decodes encodes back to itself. */
		if ((enc = journal_encode(&a)) == NULL)
			fatalx("op '%s' decodes but does not encode", j.op);
		if (strcmp(enc, j.arg) != 0)
			fatalx("'%s' encodes back as '%s'", j.arg, enc);
		if (strcmp(journal_op_name(a.op), j.op) != 0)
			fatalx("op '%s' comes back as '%s'", j.op,
			    journal_op_name(a.op));
		if (journal_decode(j.op, enc, &b, NULL) != 0 || b.op != a.op)
			fatalx("'%s' does not decode again", enc);
		journal_args_clear(&b);
		free(enc);
	}
	what = journal_describe(&j);
	if (what == NULL || *what == '\0')
		fatalx("no description for op '%s'", j.op);
	folder = journal_folder(&j);
	if (folder != NULL && *folder == '\0')
		fatalx("an empty folder for op '%s'", j.op);
	if ((folder != NULL) != (rc == 0))
		fatalx("a folder only for rows that decode: op '%s'", j.op);
	arg = journal_retarget_arg(&j, 9);
	if (arg == NULL)
		fatalx("no re-targeted argument for op '%s'", j.op);
	/* A known row names its folder in its description. */
	if (folder != NULL && strstr(what, folder) == NULL)
		fatalx("'%s' does not name '%s'", what, folder);
	journal_args_clear(&a);
	free(what);
	free(folder);
	free(arg);
	free(buf);
	return 0;
}
