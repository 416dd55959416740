/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Random bytes. A `struct tl_rng` is either secure (OpenSSL's DRBG) or
 * seeded: a deterministic stream (SHA-256 in counter mode over the seed)
 * used when the clock is pinned, so golden tokens (`jti`) and request ids
 * are reproducible. Thread-safe.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct tl_rng {
	bool seeded;
	uint8_t seed[32];
	uint64_t counter;
	pthread_mutex_t lock;
};

void tl_rng_init_secure(struct tl_rng *rng);
/* `seed` is any text; the same text gives the same stream. */
void tl_rng_init_seeded(struct tl_rng *rng, const char *seed);
void tl_rng_finish(struct tl_rng *rng);

int tl_rng_bytes(struct tl_rng *rng, void *out, size_t len, struct tl_error *err);

/* A random (version 4) UUID in lower case: 36 characters plus NUL. */
#define TL_UUID_LEN 37
int tl_rng_uuid(struct tl_rng *rng, char out[TL_UUID_LEN], struct tl_error *err);

/* `len` characters from `alphabet` (uniform, no modulo bias), NUL-terminated. */
int tl_rng_string(struct tl_rng *rng, const char *alphabet, char *out, size_t len,
		  struct tl_error *err);

/* Secure bytes straight from OpenSSL, for keys and secrets. */
int tl_random_bytes(void *out, size_t len, struct tl_error *err);
