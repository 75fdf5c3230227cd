/* errand: a terminal mail user agent. See LICENSE.
 * libFuzzer target for the configuration parser: any bytes must give a
 * config or a FILE:LINE error, never a crash or a leak. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cf;
	char *err = NULL;

	if (config_parse((const char *)data, size, "fuzz.conf", &cf, &err) ==
	    0) {
		if (cf->naccounts == 0 || config_account(cf, NULL) == NULL)
			fatalx("parsed config without an account");
		config_free(cf);
	} else {
		if (err == NULL || strncmp(err, "fuzz.conf", 9) != 0)
			fatalx("error without the file name: %s",
			    err != NULL ? err : "(null)");
		free(err);
	}
	return 0;
}
