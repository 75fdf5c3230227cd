/* errand: a terminal mail user agent. See LICENSE.
 * Runs a fuzz target over its seed corpus (CORPUS_DIR, or the directories
 * given) as an ordinary test, one TAP line per input. */

#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int run_dir(const char *, int *);

static int
run_dir(const char *dir, int *n)
{
	struct dirent **names;
	char path[4096];
	unsigned char *buf;
	FILE *f;
	long size;
	int i, count, failed = 0;

	if ((count = scandir(dir, &names, NULL, alphasort)) == -1) {
		printf("not ok %d - cannot read %s\n", ++*n, dir);
		return 1;
	}
	for (i = 0; i < count; i++) {
		if (names[i]->d_name[0] == '.') {
			free(names[i]);
			continue;
		}
		snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
		free(names[i]);
		if ((f = fopen(path, "rb")) == NULL ||
		    fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
		    fseek(f, 0, SEEK_SET) != 0) {
			printf("not ok %d - cannot read %s\n", ++*n, path);
			failed++;
			if (f != NULL)
				fclose(f);
			continue;
		}
		buf = malloc(size > 0 ? (size_t)size : 1);
		if (buf == NULL || fread(buf, 1, size, f) != (size_t)size) {
			printf("not ok %d - cannot read %s\n", ++*n, path);
			failed++;
		} else {
			/* A crash ends the test: the driver reports it. */
			LLVMFuzzerTestOneInput(buf, (size_t)size);
			printf("ok %d - %s\n", ++*n, path);
		}
		free(buf);
		fclose(f);
	}
	free(names);
	return failed;
}

int
main(int argc, char **argv)
{
	int i, n = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1) {
		for (i = 1; i < argc; i++)
			failed += run_dir(argv[i], &n);
	} else
		failed += run_dir(CORPUS_DIR, &n);
	printf("1..%d\n", n);
	return failed == 0 ? 0 : 1;
}
