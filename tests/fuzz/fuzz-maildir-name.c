/* errand: a terminal mail user agent. See LICENSE.
 * libFuzzer target for the Maildir file-name parser: any name another
 * program can leave in new/ or cur/ splits into a unique part and flag
 * letters, and a flag change keeps the unique part, never a crash or leak.
 * Input: a byte (bit 0: the file is in new/), the file name, a LF, the
 * flag letters to set. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/maildir-index.h"
#include "engine/maildir.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The letters errand sets, and other tools' keywords, in ASCII order. */
#define KNOWN "DFPRSTabcdefghijklmnopqrstuvwxyz"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl;
	char *file, *set, *path, *name, *flags, *rel, *name2, *flags2, *again;
	char letters[8];
	unsigned int bits;
	size_t i, len;
	int in_new, ok;

	if (size == 0)
		return 0;
	in_new = data[0] & 1;
	data++;
	size--;
	/* File names are C strings: a NUL ends them, as readdir() would. */
	nl = memchr(data, '\n', size);
	len = nl != NULL ? (size_t)(nl - (const char *)data) : size;
	file = xstrndup((const char *)data, len);
	set = nl != NULL ? xstrndup(nl + 1, size - len - 1) : xstrdup("");

	ok = maildir_name_parse(file, in_new, &name, &flags) == 0;
	if (ok != (*file != '\0' && *file != '.' && strchr(file, '/') == NULL))
		fatalx("'%s' parsed as %d", file, ok);
	if (!ok) {
		if (name != NULL || flags != NULL)
			fatalx("a refused name left results");
		free(file);
		free(set);
		return 0;
	}
	/* The unique part starts the name, never empty; the rest is the
	 * info, whose letters are the flags in cur/ and none in new/. */
	len = strlen(name);
	if (len == 0 || strncmp(file, name, len) != 0 ||
	    (file[len] != '\0' && strncmp(file + len, ":2,", 3) != 0) ||
	    strstr(name + 1, ":2,") != NULL)
		fatalx("'%s': unique part '%s'", file, name);
	if (strcmp(flags, in_new || file[len] == '\0' ? "" : file + len + 3) !=
	    0)
		fatalx("'%s': flags '%s'", file, flags);

	/* The cache's flags of the letters and back: a fixed point. */
	bits = maildir_index_flags(flags);
	maildir_index_letters(bits, letters);
	if (maildir_index_flags(letters) != bits)
		fatalx("'%s': flags %#x give '%s'", flags, bits, letters);
	for (i = 0; letters[i] != '\0'; i++) {
		if (strchr("DFPRST", letters[i]) == NULL ||
		    (i > 0 && letters[i - 1] >= letters[i]))
			fatalx("letters '%s' not sorted or unknown", letters);
	}

	/* A flag change: into cur/, the same unique part, the letters
	 * sorted once each; again with the same letters, the same path. */
	xasprintf(&path, "%s/%s", in_new ? "new" : "cur", file);
	rel = maildir_flags_path(path, set);
	if ((rel != NULL) != (strspn(set, KNOWN) == strlen(set)))
		fatalx("'%s' with '%s': %s", path, set, rel ? rel : "refused");
	if (rel != NULL) {
		if (strncmp(rel, "cur/", 4) != 0 ||
		    maildir_name_parse(rel + 4, 0, &name2, &flags2) != 0)
			fatalx("'%s' became '%s'", path, rel);
		if (strcmp(name, name2) != 0)
			fatalx("'%s' became '%s': unique part '%s'", path, rel,
			    name2);
		for (i = 0; flags2[i] != '\0'; i++) {
			if (strchr(set, flags2[i]) == NULL ||
			    (i > 0 && flags2[i - 1] >= flags2[i]))
				fatalx("'%s' got letters '%s' for '%s'", path,
				    flags2, set);
		}
		for (i = 0; set[i] != '\0'; i++) {
			if (strchr(flags2, set[i]) == NULL)
				fatalx("'%s' lost '%c'", rel, set[i]);
		}
		if ((again = maildir_flags_path(rel, set)) == NULL ||
		    strcmp(again, rel) != 0)
			fatalx("'%s' set again: %s", rel,
			    again != NULL ? again : "refused");
		free(again);
		free(name2);
		free(flags2);
		free(rel);
	}
	free(path);
	free(name);
	free(flags);
	free(file);
	free(set);
	return 0;
}
