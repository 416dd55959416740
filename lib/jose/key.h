/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Signing and verification keys (RSA, EC P-256/384/521) on OpenSSL 3 EVP.
 *
 * A key is built (generated, loaded from PEM or JWK), configured (kid,
 * alg, use, certificate) and then shared: after the last setter it is
 * immutable and may be used from any number of threads at once. Keys are
 * reference counted (tl_jose_key_ref / tl_jose_key_free), so a JWKS, an
 * issuer and a verifier can hold the same parsed key; nothing re-parses
 * PEM per token.
 */

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

enum tl_jose_kty {
	TL_JOSE_KTY_NONE = 0,
	TL_JOSE_KTY_RSA,
	TL_JOSE_KTY_EC,
};

/*
 * The signature algorithms trustlab signs and verifies (RFC 7518 §3):
 * X(enum suffix, JOSE name, key type, digest bits, PSS, EC curve or NULL).
 * HS* and `none` are deliberately absent: an OIDC issuer shares no secret
 * with AWS, so a MAC can never be a valid web-identity signature.
 */
#define TL_JOSE_ALGS(X)                                        \
	X(RS256, "RS256", TL_JOSE_KTY_RSA, 256, false, NULL)   \
	X(RS384, "RS384", TL_JOSE_KTY_RSA, 384, false, NULL)   \
	X(RS512, "RS512", TL_JOSE_KTY_RSA, 512, false, NULL)   \
	X(PS256, "PS256", TL_JOSE_KTY_RSA, 256, true, NULL)    \
	X(PS384, "PS384", TL_JOSE_KTY_RSA, 384, true, NULL)    \
	X(PS512, "PS512", TL_JOSE_KTY_RSA, 512, true, NULL)    \
	X(ES256, "ES256", TL_JOSE_KTY_EC, 256, false, "P-256") \
	X(ES384, "ES384", TL_JOSE_KTY_EC, 384, false, "P-384") \
	X(ES512, "ES512", TL_JOSE_KTY_EC, 512, false, "P-521")

enum tl_jose_alg {
	TL_JOSE_ALG_INVALID = 0,
#define X(id, name, kty, bits, pss, crv) TL_JOSE_ALG_##id,
	TL_JOSE_ALGS(X)
#undef X
		TL_JOSE_ALG_COUNT,
};

/* Bit sets of algorithms, for allowlists. */
#define TL_JOSE_ALG_BIT(a) (1u << (unsigned)(a))
#define TL_JOSE_ALGS_ALL (((1u << TL_JOSE_ALG_COUNT) - 1u) & ~1u)

/* "RS256", ...; NULL for an invalid value. */
const char *tl_jose_alg_name(enum tl_jose_alg alg);
/* Exact, case-sensitive (RFC 7515 §4.1.1); TL_JOSE_ALG_INVALID otherwise. */
enum tl_jose_alg tl_jose_alg_from_name(const char *name);
enum tl_jose_kty tl_jose_alg_kty(enum tl_jose_alg alg);
/* "P-256" for ES256, ...; NULL for RSA algorithms. */
const char *tl_jose_alg_curve(enum tl_jose_alg alg);
/* Digest for the algorithm (borrowed); NULL for an invalid value. */
const EVP_MD *tl_jose_alg_md(enum tl_jose_alg alg);
bool tl_jose_alg_is_pss(enum tl_jose_alg alg);

/* Minimum RSA modulus for any use (RFC 7518 §3.3, §3.5). */
#define TL_JOSE_RSA_MIN_BITS 2048
/* Larger moduli are refused when a key is built: a JWKS entry must not
 * make every verification arbitrarily slow. */
#define TL_JOSE_RSA_MAX_BITS 8192

struct tl_jose_key;

/*
 * Generates a key: `spec` is "RSA-2048", "RSA-3072", "RSA-4096", "P-256",
 * "P-384" or "P-521". Caller frees with tl_jose_key_free().
 */
struct tl_jose_key *tl_jose_key_generate(const char *spec, struct tl_error *err);

/* Wraps an EVP_PKEY (RSA or EC on a supported curve); takes a new reference. */
struct tl_jose_key *tl_jose_key_from_pkey(EVP_PKEY *pkey, struct tl_error *err);

/*
 * Loads a PEM private key (PKCS#8 or traditional, never encrypted: there is
 * no passphrase prompt) or a PEM public key (SubjectPublicKeyInfo).
 */
struct tl_jose_key *tl_jose_key_load_pem(const char *pem, size_t len, struct tl_error *err);

/*
 * Builds a key from a JWK object (RFC 7517/7518 §6): RSA `n`/`e` (plus
 * `d`, `p`, `q`, `dp`, `dq`, `qi` for a private key), EC `crv`/`x`/`y`
 * (plus `d`). Base64urlUInt values must be canonical and minimal, EC
 * coordinates full length, the point on the curve. `kid`, `alg` and `use`
 * are taken over; an `alg` that does not fit the key is an error.
 */
struct tl_jose_key *tl_jose_key_from_jwk(const json_t *jwk, struct tl_error *err);

/* Reads a PEM or JWK (JSON object) file; the format is recognised. */
struct tl_jose_key *tl_jose_key_load_file(const char *path, struct tl_error *err);

/* Another reference to `key` (returned). Safe from any thread. */
struct tl_jose_key *tl_jose_key_ref(struct tl_jose_key *key);
/* Drops a reference; frees on the last one. Accepts NULL. */
void tl_jose_key_free(struct tl_jose_key *key);

/* --- configuration, before the key is shared -------------------------- */

/* Sets the `kid` (printable ASCII, 1..256 bytes). */
int tl_jose_key_set_kid(struct tl_jose_key *key, const char *kid, struct tl_error *err);
/* Pins the key to one algorithm (published as the JWK `alg`); must fit. */
int tl_jose_key_set_alg(struct tl_jose_key *key, enum tl_jose_alg alg, struct tl_error *err);
/* The JWK `use` ("sig" by default); NULL removes it. */
int tl_jose_key_set_use(struct tl_jose_key *key, const char *use, struct tl_error *err);

/* RFC 7638 JWK thumbprint (SHA-256, base64url, 43 characters + NUL). */
#define TL_JOSE_THUMBPRINT_LEN 44
int tl_jose_key_thumbprint(const struct tl_jose_key *key, char out[TL_JOSE_THUMBPRINT_LEN],
			   struct tl_error *err);
/* Sets the kid to the RFC 7638 thumbprint. */
int tl_jose_key_set_kid_thumbprint(struct tl_jose_key *key, struct tl_error *err);

/*
 * Creates a self-signed X.509 certificate for the key (needs the private
 * key) with subject CN=`common_name`, valid from `not_before` (Unix
 * seconds) for `days`, serial 1, SHA-256. Afterwards the JWK carries
 * `x5c` and `x5t` and tl_jose_key_set_kid_github() may be used. With an
 * RSA key the certificate is deterministic (PKCS#1 v1.5 is).
 */
int tl_jose_key_make_certificate(struct tl_jose_key *key, const char *common_name,
				 int64_t not_before, int days, struct tl_error *err);
/*
 * GitHub's scheme (reference/issuer.md §1.3): kid = upper-case hex SHA-1
 * of the certificate DER; x5t = base64url of the same 20 bytes.
 */
int tl_jose_key_set_kid_github(struct tl_jose_key *key, struct tl_error *err);

/* --- accessors (thread-safe once configured) --------------------------- */

const char *tl_jose_key_kid(const struct tl_jose_key *key); /* NULL when none */
enum tl_jose_alg tl_jose_key_alg(const struct tl_jose_key *key); /* INVALID when not pinned */
const char *tl_jose_key_use(const struct tl_jose_key *key); /* NULL when none */
enum tl_jose_kty tl_jose_key_kty(const struct tl_jose_key *key);
const char *tl_jose_key_curve(const struct tl_jose_key *key); /* "P-256", ... or NULL */
unsigned tl_jose_key_bits(const struct tl_jose_key *key);
bool tl_jose_key_has_private(const struct tl_jose_key *key);
const char *tl_jose_key_x5t(const struct tl_jose_key *key); /* NULL without certificate */
/* Borrowed; valid as long as the key. Read-only use from many threads. */
EVP_PKEY *tl_jose_key_pkey(const struct tl_jose_key *key);

/* The pinned alg, else RS256 for RSA and ES256/384/512 by curve. */
enum tl_jose_alg tl_jose_key_default_alg(const struct tl_jose_key *key);

/*
 * Whether `alg` may be used with `key`: key type, EC curve, RSA size
 * >= 2048 and the pinned alg. On false, *why (if not NULL) says which
 * ("kty", "curve", "size", "alg").
 */
bool tl_jose_key_fits(const struct tl_jose_key *key, enum tl_jose_alg alg, const char **why);

/*
 * The public JWK: `kty`, `n`/`e` or `crv`/`x`/`y`, then `kid`, `alg`,
 * `use`, `x5t`, `x5c` when set. New reference, caller decrefs.
 */
json_t *tl_jose_key_to_jwk(const struct tl_jose_key *key, struct tl_error *err);

/* PEM text of the public (SPKI) or private (PKCS#8) key; caller frees. */
int tl_jose_key_to_pem(const struct tl_jose_key *key, bool private_key, char **pem, size_t *len,
		       struct tl_error *err);
