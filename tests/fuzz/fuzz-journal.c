/* errand: a terminal mail user agent. See LICENSE.
 * libFuzzer target for the journal row decoder (src/live.c): an operation
 * on the first line, its argument after, as a damaged or foreign cache may
 * hold them; the description, folder and re-targeted argument of any row
 * must come back whole, never a crash or a read past the end. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "live.h"
#include "xmalloc.h"
#include "cache/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_journal j;
	const char *nl;
	char *buf, *what, *folder, *arg;

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

	what = live_journal_describe(&j);
	if (what == NULL || *what == '\0')
		fatalx("no description for op '%s'", j.op);
	folder = live_journal_folder(&j);
	if (folder != NULL && *folder == '\0')
		fatalx("an empty folder for op '%s'", j.op);
	arg = live_journal_retarget_arg(&j, 9);
	if (arg == NULL)
		fatalx("no re-targeted argument for op '%s'", j.op);
	/* A known row names its folder in its description. */
	if (folder != NULL && strcmp(j.op, "flags") == 0 &&
	    strstr(what, folder) == NULL)
		fatalx("'%s' does not name '%s'", what, folder);
	free(what);
	free(folder);
	free(arg);
	free(buf);
	return 0;
}
