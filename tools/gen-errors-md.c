/* SPDX-License-Identifier: MIT */
/*
 * Writes docs/errors.md from the error table in lib/sts/errors.h:
 *   gen-errors-md docs/errors.md
 * (or to stdout without an argument). A unit test fails when the
 * committed file differs from what this writes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "util/buf.h"
#include "util/file.h"

#include "sts/errors.h"

int
main(int argc, char **argv)
{
	struct tl_buf b;
	struct tl_error err;
	int rc = EXIT_SUCCESS;

	tl_buf_init(&b, 1 << 20);
	if (tl_sts_errors_markdown(&b, &err) < 0) {
		fprintf(stderr, "gen-errors-md: %s\n", err.message);
		rc = EXIT_FAILURE;
	} else if (argc > 1) {
		if (tl_file_write_atomic(argv[1], tl_buf_str(&b), b.len, 0644, &err) < 0) {
			fprintf(stderr, "gen-errors-md: %s: %s\n", argv[1], err.message);
			rc = EXIT_FAILURE;
		}
	} else if (fwrite(tl_buf_str(&b), 1, b.len, stdout) != b.len) {
		rc = EXIT_FAILURE;
	}
	tl_buf_finish(&b);
	return rc;
}
