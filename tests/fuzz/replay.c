/* SPDX-License-Identifier: MIT */
/*
 * The plain-program side of a fuzz target: linked instead of libFuzzer
 * (or AFL++'s driver), it feeds every file of the directories (or files)
 * it is given, in name order, through LLVMFuzzerTestOneInput once and
 * prints TAP, so a committed corpus runs as a regular test under gcc, the
 * sanitizers and valgrind. A target's abort() fails the whole test; the
 * last "replaying NAME" line on stderr names the input.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional, as for libFuzzer: a target defines it when it has set-up. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
replay(const char *path, const char *label, int *n)
{
	char *buf = NULL, *exact;
	size_t len = 0;
	struct tl_error err;

	if (tl_file_read(path, 1 << 20, &buf, &len, &err) < 0) {
		printf("not ok %d - %s (%s)\n", ++*n, label, err.message);
		return -1;
	}
	fprintf(stderr, "replaying %s\n", path);
	/* Exactly len bytes, no NUL after them, as libFuzzer passes its input:
	 * a target that reads past the end fails here under ASan and valgrind. */
	exact = malloc(len ? len : 1);
	if (!exact) {
		free(buf);
		printf("not ok %d - %s (out of memory)\n", ++*n, label);
		return -1;
	}
	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput((const uint8_t *)exact, len);
	printf("ok %d - %s\n", ++*n, label);
	free(exact);
	return 0;
}

int
main(int argc, char **argv)
{
	int n = 0, failed = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int a = 1; a < argc; a++) {
		struct stat st;
		DIR *d;
		struct dirent *de;
		char **names = NULL;
		size_t count = 0;

		if (stat(argv[a], &st) < 0) {
			printf("Bail out! cannot open %s\n", argv[a]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			failed |= replay(argv[a], argv[a], &n) < 0;
			continue;
		}
		if (!(d = opendir(argv[a]))) {
			printf("Bail out! cannot open %s\n", argv[a]);
			return 1;
		}
		while ((de = readdir(d))) {
			char **grown;
			if (de->d_name[0] == '.')
				continue;
			if (!(grown = realloc(names, (count + 1) * sizeof *names)))
				abort();
			names = grown;
			names[count++] = strdup(de->d_name);
		}
		closedir(d);
		qsort(names, count, sizeof *names, cmp_str);
		for (size_t i = 0; i < count; i++) {
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", argv[a], names[i]);
			failed |= replay(path, names[i], &n) < 0;
			free(names[i]);
		}
		free(names);
	}
	printf("1..%d\n", n);
	return failed || n == 0 ? 1 : 0;
}
