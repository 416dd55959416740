/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The replay program of a fuzz target built without libFuzzer: every file
 * of the directories named on the command line (hidden entries and
 * subdirectories skipped) goes through the target once, so the committed
 * corpus runs as a regular test with any compiler. Exit status 1 when a
 * file cannot be read or no file was replayed.
 */

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/file.h"

static inline int
tl_fuzz_replay(int argc, char **argv, int (*one)(const uint8_t *data, size_t size))
{
	int files = 0, failed = 0;

	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *e;
		if (!d) {
			perror(argv[i]);
			return 1;
		}
		while ((e = readdir(d))) {
			char path[4096];
			char *data = NULL;
			size_t len = 0;
			struct tl_error err;
			if (e->d_name[0] == '.' || e->d_type == DT_DIR)
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			if (tl_file_read(path, 1 << 24, &data, &len, &err) < 0) {
				fprintf(stderr, "%s: %s\n", path, err.message);
				failed = 1;
				continue;
			}
			one((const uint8_t *)data, len);
			free(data);
			files++;
		}
		closedir(d);
	}
	printf("replayed %d inputs\n", files);
	return failed || files == 0 ? 1 : 0;
}
