/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jose/jwks.h"
#include "json/json.h"

#define JWKS_MAX_BYTES (1024 * 1024)

struct rejected {
	char *kid;
	enum tl_jwks_reject why;
	char message[TL_ERROR_MESSAGE_MAX];
};

struct tl_jwks {
	struct tl_jose_key *keys[TL_JWKS_MAX_KEYS];
	size_t count;
	struct rejected rejected[TL_JWKS_MAX_KEYS];
	size_t rejected_count;
};

struct tl_jwks *
tl_jwks_new(struct tl_error *err)
{
	struct tl_jwks *jwks = calloc(1, sizeof *jwks);
	if (!jwks)
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	return jwks;
}

void
tl_jwks_free(struct tl_jwks *jwks)
{
	if (!jwks)
		return;
	for (size_t i = 0; i < jwks->count; i++)
		tl_jose_key_free(jwks->keys[i]);
	for (size_t i = 0; i < jwks->rejected_count; i++)
		free(jwks->rejected[i].kid);
	free(jwks);
}

static const struct tl_jose_key *
find_usable(const struct tl_jwks *jwks, const char *kid)
{
	for (size_t i = 0; i < jwks->count; i++) {
		const char *k = tl_jose_key_kid(jwks->keys[i]);
		if (k && strcmp(k, kid) == 0)
			return jwks->keys[i];
	}
	return NULL;
}

int
tl_jwks_add(struct tl_jwks *jwks, struct tl_jose_key *key, struct tl_error *err)
{
	const char *kid = tl_jose_key_kid(key);

	if (jwks->count >= TL_JWKS_MAX_KEYS)
		return tl_error_set(err, TL_ERR_LIMIT, "a JWKS holds at most %d keys",
				    TL_JWKS_MAX_KEYS);
	if (kid && find_usable(jwks, kid))
		return tl_error_set(err, TL_ERR_EXISTS, "kid '%s' is already in the JWKS", kid);
	if (tl_jose_key_kty(key) == TL_JOSE_KTY_RSA && tl_jose_key_bits(key) < TL_JOSE_RSA_MIN_BITS)
		return tl_error_set(err, TL_ERR_INVALID,
				    "RSA key of %u bits is below the minimum of %d",
				    tl_jose_key_bits(key), TL_JOSE_RSA_MIN_BITS);
	jwks->keys[jwks->count++] = tl_jose_key_ref(key);
	return 0;
}

static int set_aside(struct tl_jwks *jwks, const json_t *jwk, enum tl_jwks_reject why,
		     const char *fmt, ...) TL_PRINTF(4, 5);

static int
set_aside(struct tl_jwks *jwks, const json_t *jwk, enum tl_jwks_reject why, const char *fmt, ...)
{
	struct rejected *r = &jwks->rejected[jwks->rejected_count];
	const char *kid = json_string_value(json_object_get(jwk, "kid"));
	va_list ap;

	/* Out of memory here only loses the explanation: still no key (fails closed). */
	r->kid = kid ? strdup(kid) : NULL;
	r->why = why;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof r->message, fmt, ap);
	va_end(ap);
	jwks->rejected_count++;
	return 0;
}

/* Members that only a private JWK carries (RFC 7518 §6.2.2, §6.3.2). */
static bool
has_private_members(const json_t *jwk)
{
	static const char *const names[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (json_object_get(jwk, names[i]))
			return true;
	return false;
}

static int
add_entry(struct tl_jwks *jwks, const json_t *jwk, size_t index, struct tl_error *err)
{
	struct tl_error kerr;
	struct tl_jose_key *key;
	const char *use, *kid;
	int rc;

	tl_error_clear(&kerr);
	if (!json_is_object(jwk))
		return set_aside(jwks, jwk, TL_JWKS_REJECT_INVALID, "keys[%zu] is not an object",
				 index);
	if (has_private_members(jwk))
		return set_aside(jwks, jwk, TL_JWKS_REJECT_PRIVATE,
				 "keys[%zu] carries private key material", index);
	use = json_string_value(json_object_get(jwk, "use"));
	if (json_object_get(jwk, "use") && (!use || strcmp(use, "sig") != 0))
		return set_aside(jwks, jwk, TL_JWKS_REJECT_USE, "keys[%zu] has use '%s', not 'sig'",
				 index, use ? use : "(non-string)");
	key = tl_jose_key_from_jwk(jwk, &kerr);
	if (!key) {
		if (kerr.code == TL_ERR_NOMEM)
			return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		return set_aside(jwks, jwk, TL_JWKS_REJECT_INVALID, "keys[%zu]: %s", index,
				 kerr.message);
	}
	kid = tl_jose_key_kid(key);
	if (tl_jose_key_kty(key) == TL_JOSE_KTY_RSA && tl_jose_key_bits(key) < TL_JOSE_RSA_MIN_BITS)
		rc = set_aside(jwks, jwk, TL_JWKS_REJECT_WEAK,
			       "keys[%zu] is an RSA key of %u bits, below the minimum of %d", index,
			       tl_jose_key_bits(key), TL_JOSE_RSA_MIN_BITS);
	else if (kid && find_usable(jwks, kid))
		rc = set_aside(jwks, jwk, TL_JWKS_REJECT_DUPLICATE, "keys[%zu] repeats kid '%s'",
			       index, kid);
	else
		rc = tl_jwks_add(jwks, key, err);
	tl_jose_key_free(key);
	return rc;
}

struct tl_jwks *
tl_jwks_parse(const json_t *doc, struct tl_error *err)
{
	const json_t *keys = json_object_get(doc, "keys");
	struct tl_jwks *jwks;
	size_t i;
	json_t *jwk;

	if (!json_is_object(doc) || !json_is_array(keys)) {
		tl_error_set(err, TL_ERR_INVALID, "a JWKS must be an object with a 'keys' array");
		return NULL;
	}
	if (json_array_size(keys) > TL_JWKS_MAX_KEYS) {
		tl_error_set_at(err, TL_ERR_LIMIT, "keys", "a JWKS holds at most %d keys, not %zu",
				TL_JWKS_MAX_KEYS, json_array_size(keys));
		return NULL;
	}
	jwks = tl_jwks_new(err);
	if (!jwks)
		return NULL;
	json_array_foreach(keys, i, jwk)
	{
		if (add_entry(jwks, jwk, i, err) < 0) {
			tl_jwks_free(jwks);
			return NULL;
		}
	}
	/* A kid seen twice names no key at all: drop the first holder too. */
	for (size_t r = 0; r < jwks->rejected_count; r++) {
		if (jwks->rejected[r].why != TL_JWKS_REJECT_DUPLICATE)
			continue;
		for (size_t k = 0; k < jwks->count; k++) {
			const char *kid = tl_jose_key_kid(jwks->keys[k]);
			if (kid && strcmp(kid, jwks->rejected[r].kid) == 0) {
				tl_jose_key_free(jwks->keys[k]);
				memmove(&jwks->keys[k], &jwks->keys[k + 1],
					(jwks->count - k - 1) * sizeof jwks->keys[0]);
				jwks->count--;
				break;
			}
		}
	}
	return jwks;
}

struct tl_jwks *
tl_jwks_load(const char *text, size_t len, struct tl_error *err)
{
	const struct tl_json_limits limits = {.max_bytes = JWKS_MAX_BYTES, .max_depth = 8};
	json_t *doc = tl_json_load(text, len, &limits, "JWKS", err);
	struct tl_jwks *jwks;

	if (!doc)
		return NULL;
	jwks = tl_jwks_parse(doc, err);
	json_decref(doc);
	return jwks;
}

struct tl_jwks *
tl_jwks_load_file(const char *path, struct tl_error *err)
{
	const struct tl_json_limits limits = {.max_bytes = JWKS_MAX_BYTES, .max_depth = 8};
	json_t *doc = tl_json_load_file(path, &limits, err);
	struct tl_jwks *jwks;

	if (!doc)
		return NULL;
	jwks = tl_jwks_parse(doc, err);
	json_decref(doc);
	if (!jwks)
		tl_error_locate_file(err, path, 0, 0);
	return jwks;
}

size_t
tl_jwks_count(const struct tl_jwks *jwks)
{
	return jwks->count;
}

const struct tl_jose_key *
tl_jwks_get(const struct tl_jwks *jwks, size_t i)
{
	return i < jwks->count ? jwks->keys[i] : NULL;
}

const struct tl_jose_key *
tl_jwks_find(const struct tl_jwks *jwks, const char *kid, enum tl_jwks_reject *reject,
	     const char **message)
{
	const struct tl_jose_key *key = find_usable(jwks, kid);

	if (reject)
		*reject = 0;
	if (key)
		return key;
	/* The first set-aside entry with that kid explains the miss. */
	for (size_t i = 0; i < jwks->rejected_count; i++) {
		if (jwks->rejected[i].kid && strcmp(jwks->rejected[i].kid, kid) == 0) {
			if (reject)
				*reject = jwks->rejected[i].why;
			if (message)
				*message = jwks->rejected[i].message;
			for (size_t j = i; j < jwks->rejected_count; j++)
				if (jwks->rejected[j].why == TL_JWKS_REJECT_DUPLICATE &&
				    strcmp(jwks->rejected[j].kid, kid) == 0) {
					if (reject)
						*reject = TL_JWKS_REJECT_DUPLICATE;
					if (message)
						*message = jwks->rejected[j].message;
				}
			break;
		}
	}
	return NULL;
}

size_t
tl_jwks_rejected_count(const struct tl_jwks *jwks)
{
	return jwks->rejected_count;
}

enum tl_jwks_reject
tl_jwks_rejected(const struct tl_jwks *jwks, size_t i, const char **kid, const char **message)
{
	if (i >= jwks->rejected_count)
		return 0;
	if (kid)
		*kid = jwks->rejected[i].kid;
	if (message)
		*message = jwks->rejected[i].message;
	return jwks->rejected[i].why;
}

json_t *
tl_jwks_to_json(const struct tl_jwks *jwks, struct tl_error *err)
{
	json_t *keys = json_array();
	json_t *doc;

	if (!keys) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < jwks->count; i++) {
		json_t *jwk = tl_jose_key_to_jwk(jwks->keys[i], err);
		if (!jwk || json_array_append_new(keys, jwk) < 0) {
			json_decref(keys);
			return NULL;
		}
	}
	doc = json_pack("{so}", "keys", keys);
	if (!doc)
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	return doc;
}
