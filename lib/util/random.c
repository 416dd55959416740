/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "util/random.h"

/*
 * SHA-256 through a digest fetched once: OpenSSL 3's one-shot SHA256()
 * fetches the algorithm on every call (a locked provider lookup), which
 * made the seeded stream the largest cost of building a token's claims.
 * Same bytes either way.
 */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static void
sha256(const void *in, size_t len, uint8_t out[SHA256_DIGEST_LENGTH])
{
	pthread_once(&sha256_once, sha256_fetch);
	if (!sha256_md || EVP_Digest(in, len, out, NULL, sha256_md, NULL) != 1)
		SHA256(in, len, out);
}

int
tl_random_bytes(void *out, size_t len, struct tl_error *err)
{
	if (len > INT32_MAX)
		return tl_error_set(err, TL_ERR_LIMIT, "too many random bytes requested");
	if (RAND_bytes(out, (int)len) != 1)
		return tl_error_set(err, TL_ERR_CRYPTO, "the system random generator failed");
	return 0;
}

void
tl_rng_init_secure(struct tl_rng *rng)
{
	memset(rng, 0, sizeof(*rng));
	pthread_mutex_init(&rng->lock, NULL);
}

void
tl_rng_init_seeded(struct tl_rng *rng, const char *seed)
{
	tl_rng_init_secure(rng);
	rng->seeded = true;
	sha256(seed, strlen(seed), rng->seed);
}

void
tl_rng_finish(struct tl_rng *rng)
{
	if (!rng)
		return;
	pthread_mutex_destroy(&rng->lock);
	OPENSSL_cleanse(rng->seed, sizeof(rng->seed));
}

int
tl_rng_bytes(struct tl_rng *rng, void *out, size_t len, struct tl_error *err)
{
	uint8_t *dst = out;

	if (!rng->seeded)
		return tl_random_bytes(out, len, err);

	pthread_mutex_lock(&rng->lock);
	while (len > 0) {
		uint8_t block[SHA256_DIGEST_LENGTH], input[sizeof(rng->seed) + 8];
		size_t n = len < sizeof(block) ? len : sizeof(block);

		memcpy(input, rng->seed, sizeof(rng->seed));
		for (int i = 0; i < 8; i++)
			input[sizeof(rng->seed) + i] = (uint8_t)(rng->counter >> (8 * i));
		rng->counter++;
		sha256(input, sizeof(input), block);
		memcpy(dst, block, n);
		dst += n;
		len -= n;
	}
	pthread_mutex_unlock(&rng->lock);
	return 0;
}

int
tl_rng_uuid(struct tl_rng *rng, char out[TL_UUID_LEN], struct tl_error *err)
{
	uint8_t b[16];

	if (tl_rng_bytes(rng, b, sizeof(b), err) < 0)
		return -1;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, TL_UUID_LEN,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
	return 0;
}

int
tl_rng_string(struct tl_rng *rng, const char *alphabet, char *out, size_t len, struct tl_error *err)
{
	size_t n = strlen(alphabet);
	size_t i = 0;

	if (n == 0 || n > 256)
		return tl_error_set(err, TL_ERR_INVALID, "alphabet must have 1 to 256 characters");
	/* Rejection sampling: drop bytes at or above the largest multiple of n. */
	const unsigned limit = 256 - (256 % (unsigned)n);
	while (i < len) {
		uint8_t chunk[64];
		if (tl_rng_bytes(rng, chunk, sizeof(chunk), err) < 0)
			return -1;
		for (size_t k = 0; k < sizeof(chunk) && i < len; k++)
			if (chunk[k] < limit)
				out[i++] = alphabet[chunk[k] % n];
	}
	out[len] = '\0';
	return 0;
}
