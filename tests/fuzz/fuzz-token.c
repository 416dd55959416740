/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the token parser and verifier (and the JWKS parser,
 * for inputs that look like JSON). Two builds from this one file:
 *
 *   - with -Dfuzz=enabled (clang): a libFuzzer binary, fuzz-token;
 *     run: build/tests/fuzz/fuzz-token tests/fuzz/corpus/token
 *   - always: fuzz-token-replay, a plain program that feeds every file of
 *     the directories it is given through the same function and prints
 *     TAP, so the committed corpus runs as a regular (and valgrind) test.
 *
 * The JWKS is tests/fuzz/token-jwks.json (the corpus keys, kid = file
 * stem), the clock is pinned to the corpus's "now", so seeds from
 * tests/data/tokens reach the claim checks. Invariant checked on every
 * input: a verdict always names a reason with a message, and an accepted
 * token has a header, claims and key.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"

#include "jose/jws.h"

static struct tl_jwks *jwks;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("TL_FUZZ_JWKS") ? getenv("TL_FUZZ_JWKS") : TL_FUZZ_JWKS;
	struct tl_error err;

	(void)argc;
	(void)argv;
	jwks = tl_jwks_load_file(path, &err);
	if (!jwks) {
		fprintf(stderr, "fuzz-token: %s: %s\n", path, err.message);
		abort();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_jws_expect e;
	struct tl_clock clock;
	struct tl_jws_result res;
	enum tl_jws_reason r;

	tl_jws_expect_init(&e);
	e.issuer = "https://token.actions.githubusercontent.com";
	e.audience = "sts.amazonaws.com";
	tl_clock_init_pinned(&clock, 1795435200LL * 1000);
	r = tl_jws_verify((const char *)data, size, jwks, &e, &clock, &res);
	if (r >= TL_JWS_REASON_COUNT || res.message[0] == '\0' || r != res.reason)
		abort();
	if (r == TL_JWS_OK && (!res.header || !res.claims || !res.key))
		abort();
	tl_jws_result_finish(&res);

	if (size > 0 && data[0] == '{') {
		struct tl_jwks *other = tl_jwks_load((const char *)data, size, NULL);
		tl_jwks_free(other);
	}
	return 0;
}

#ifdef TL_FUZZ_REPLAY
static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
	int n = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	for (int a = 1; a < argc; a++) {
		DIR *d = opendir(argv[a]);
		struct dirent *de;
		char **names = NULL;
		size_t count = 0;

		if (!d) {
			printf("Bail out! cannot open %s\n", argv[a]);
			return 1;
		}
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			names = realloc(names, (count + 1) * sizeof *names);
			names[count++] = strdup(de->d_name);
		}
		closedir(d);
		qsort(names, count, sizeof *names, cmp_str);
		for (size_t i = 0; i < count; i++) {
			char path[4096];
			char *buf = NULL;
			size_t len = 0;
			snprintf(path, sizeof path, "%s/%s", argv[a], names[i]);
			if (tl_file_read(path, 1 << 20, &buf, &len, NULL) < 0) {
				printf("not ok %d - %s (unreadable)\n", ++n, names[i]);
				free(names[i]);
				continue;
			}
			/* an abort() here fails the whole test, naming the last file */
			fprintf(stderr, "replaying %s\n", names[i]);
			LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
			printf("ok %d - %s\n", ++n, names[i]);
			free(buf);
			free(names[i]);
		}
		free(names);
	}
	printf("1..%d\n", n);
	tl_jwks_free(jwks);
	return n > 0 ? 0 : 1;
}
#endif
