/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * JWS compact serialization: signing, a fault-injection "forge", and the
 * strict verifier that is trustlab's security boundary.
 *
 * Verification follows reference/reliability.md §1.9 and rejects every
 * class of §2.1–2.4: the algorithm comes from an allowlist and must fit
 * the key found by `kid`, never from the token alone; `none`, HS*, `crit`,
 * `jku`, `x5u`, `jwk`, `x5c` and `cty` are refused; base64url must be
 * canonical; JSON may not repeat a member; claim types are checked. Each
 * refusal has its own reason (one table below) and a message naming the
 * values involved, which feeds STS errors and the decision trace.
 *
 * Thread safety: tl_jws_verify and tl_jws_sign only read the key and JWKS
 * and allocate per call, so one parsed JWKS serves many threads.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/clock.h"
#include "util/error.h"

#include "jose/jwks.h"
#include "jose/key.h"

/* AWS's WebIdentityToken maximum (reference/sts.md, reliability.md §2.1 T2). */
#define TL_JWS_MAX_TOKEN 20000
#define TL_JWS_MAX_HEADER 2048 /* decoded bytes */
#define TL_JWS_MAX_PAYLOAD 8192 /* decoded bytes; GitHub's claims are ~1.5 KiB */
#define TL_JWS_MAX_DEPTH 16 /* JSON nesting in header and payload */
#define TL_JWS_MAX_SUB 255

/* The algorithms STS accepts for web identity tokens (RS* and ES*). */
#define TL_JWS_ALGS_STS                                                            \
	(TL_JOSE_ALG_BIT(TL_JOSE_ALG_RS256) | TL_JOSE_ALG_BIT(TL_JOSE_ALG_RS384) | \
	 TL_JOSE_ALG_BIT(TL_JOSE_ALG_RS512) | TL_JOSE_ALG_BIT(TL_JOSE_ALG_ES256) | \
	 TL_JOSE_ALG_BIT(TL_JOSE_ALG_ES384) | TL_JOSE_ALG_BIT(TL_JOSE_ALG_ES512))

/*
 * Every verification outcome: X(enum suffix, stable id, default message).
 * The id is what tests, traces and the corpus use; never renumber or
 * rename an id, add new ones.
 */
#define TL_JWS_REASONS(X)                                                                          \
	X(OK, "ok", "token verified")                                                              \
	X(TOKEN_EMPTY, "token-empty", "the token is empty")                                        \
	X(TOKEN_TOO_LONG, "token-too-long", "the token is longer than 20000 characters")           \
	X(TOKEN_CHARSET, "token-charset",                                                          \
	  "the token contains a byte that is not printable ASCII (whitespace, NUL, control, "      \
	  "non-ASCII)")                                                                            \
	X(TOKEN_SEGMENTS, "token-segments",                                                        \
	  "the token is not three dot-separated parts (JWS compact serialization)")                \
	X(SEGMENT_EMPTY, "segment-empty", "a part of the token is empty")                          \
	X(B64_ALPHABET, "b64-alphabet", "a part contains a character outside base64url")           \
	X(B64_PADDING, "b64-padding", "a part carries '=' padding")                                \
	X(B64_LENGTH, "b64-length", "a part has a length no base64url text can have")              \
	X(B64_NONCANONICAL, "b64-noncanonical", "a part is not canonical base64url")               \
	X(HEADER_TOO_LARGE, "header-too-large", "the header is too large")                         \
	X(HEADER_TOO_DEEP, "header-too-deep", "the header nests too deeply")                       \
	X(HEADER_JSON, "header-json", "the header is not valid JSON")                              \
	X(HEADER_DUPLICATE, "header-duplicate", "the header repeats a member")                     \
	X(HEADER_NOT_OBJECT, "header-not-object", "the header is not a JSON object")               \
	X(ALG_MISSING, "alg-missing", "the header has no 'alg'")                                   \
	X(ALG_TYPE, "alg-type", "the header's 'alg' is not a string")                              \
	X(ALG_NONE, "alg-none", "unsigned tokens (alg 'none') are not accepted")                   \
	X(ALG_HMAC, "alg-hmac", "HMAC algorithms (HS*) are not accepted for identity tokens")      \
	X(ALG_CASE, "alg-case", "'alg' is case-sensitive")                                         \
	X(ALG_UNKNOWN, "alg-unknown", "the signature algorithm is not supported")                  \
	X(ALG_NOT_ALLOWED, "alg-not-allowed", "the signature algorithm is not in the allowlist")   \
	X(HEADER_CRIT, "header-crit", "the header has 'crit' (no extension is understood)")        \
	X(HEADER_JKU, "header-jku", "the header has 'jku' (keys are never fetched from a token)")  \
	X(HEADER_X5U, "header-x5u", "the header has 'x5u' (keys are never fetched from a token)")  \
	X(HEADER_JWK, "header-jwk", "the header embeds a 'jwk' (keys never come from a token)")    \
	X(HEADER_X5C, "header-x5c", "the header embeds 'x5c' (keys never come from a token)")      \
	X(HEADER_CTY, "header-cty", "the header has 'cty' (nested tokens are not accepted)")       \
	X(TYP_INVALID, "typ-invalid", "the header's 'typ' is not \"JWT\"")                         \
	X(KID_INVALID, "kid-invalid",                                                              \
	  "the header's 'kid' is not a printable string of 1-256 bytes")                           \
	X(PAYLOAD_TOO_LARGE, "payload-too-large", "the claims set is too large")                   \
	X(PAYLOAD_TOO_DEEP, "payload-too-deep", "the claims set nests too deeply")                 \
	X(PAYLOAD_JSON, "payload-json", "the claims set is not valid JSON")                        \
	X(PAYLOAD_DUPLICATE, "claims-duplicate", "the claims set repeats a claim")                 \
	X(PAYLOAD_NOT_OBJECT, "payload-not-object", "the claims set is not a JSON object")         \
	X(JWKS_EMPTY, "jwks-empty", "the issuer publishes no usable key")                          \
	X(KID_MISSING, "kid-missing", "the token has no 'kid' and the JWKS has several keys")      \
	X(KID_UNKNOWN, "kid-unknown", "no key in the JWKS has the token's 'kid'")                  \
	X(KID_AMBIGUOUS, "kid-ambiguous", "several keys in the JWKS share the token's 'kid'")      \
	X(KEY_UNUSABLE, "key-unusable", "the JWKS entry for the token's 'kid' is not a valid key") \
	X(KEY_USE, "key-use", "the key for the token's 'kid' is not a signing key")                \
	X(KEY_TYPE, "key-type-mismatch", "the algorithm does not fit the key type")                \
	X(KEY_CURVE, "key-curve-mismatch", "the algorithm does not fit the key's curve")           \
	X(KEY_TOO_SMALL, "key-too-small", "the RSA key is shorter than 2048 bits")                 \
	X(KEY_ALG, "key-alg-mismatch", "the key is published for a different algorithm")           \
	X(SIGNATURE_LENGTH, "signature-length", "the signature has the wrong length for the key")  \
	X(SIGNATURE_INVALID, "signature-invalid", "the signature does not verify")                 \
	X(EXP_MISSING, "exp-missing", "the token has no 'exp' claim")                              \
	X(EXP_TYPE, "exp-type", "'exp' is not an integer NumericDate")                             \
	X(EXP_RANGE, "exp-range", "'exp' is out of range")                                         \
	X(EXPIRED, "expired", "the token has expired")                                             \
	X(NBF_TYPE, "nbf-type", "'nbf' is not an integer NumericDate")                             \
	X(NBF_RANGE, "nbf-range", "'nbf' is out of range")                                         \
	X(NBF_FUTURE, "nbf-future", "the token is not valid yet ('nbf')")                          \
	X(IAT_MISSING, "iat-missing", "the token has no 'iat' claim")                              \
	X(IAT_TYPE, "iat-type", "'iat' is not an integer NumericDate")                             \
	X(IAT_RANGE, "iat-range", "'iat' is out of range")                                         \
	X(IAT_FUTURE, "iat-future", "the token was issued in the future ('iat')")                  \
	X(IAT_TOO_OLD, "iat-too-old", "the token is too old ('iat')")                              \
	X(ISS_MISSING, "iss-missing", "the token has no 'iss' claim")                              \
	X(ISS_TYPE, "iss-type", "'iss' is not a non-empty string")                                 \
	X(ISS_MISMATCH, "iss-mismatch", "'iss' is not the expected issuer")                        \
	X(AUD_MISSING, "aud-missing", "Missing a required claim: aud")                             \
	X(AUD_TYPE, "aud-type", "'aud' is not a string or a non-empty array of strings")           \
	X(AUD_MISMATCH, "aud-mismatch", "Incorrect token audience")                                \
	X(AZP_MISMATCH, "azp-mismatch", "several audiences and 'azp' is not the expected one")     \
	X(SUB_MISSING, "sub-missing", "the token has no 'sub' claim")                              \
	X(SUB_TYPE, "sub-type", "'sub' is not a string")                                           \
	X(SUB_LENGTH, "sub-length", "'sub' is empty or longer than 255 bytes")                     \
	X(INTERNAL, "internal", "the verifier failed (out of memory or a crypto library error)")

enum tl_jws_reason {
#define X(id, name, msg) TL_JWS_##id,
	TL_JWS_REASONS(X)
#undef X
		TL_JWS_REASON_COUNT,
};

/* The stable id ("alg-none"); "unknown" for an out-of-range value. */
const char *tl_jws_reason_name(enum tl_jws_reason r);
/* The default one-line message. */
const char *tl_jws_reason_message(enum tl_jws_reason r);
/* Reverse of tl_jws_reason_name; -1 when unknown. */
int tl_jws_reason_from_name(const char *name);

/*
 * What a verifier expects. Zero-initialised it is the strictest form
 * (no skew, kid always required, iat and sub required, every supported
 * algorithm); tl_jws_expect_init() sets the documented defaults.
 */
struct tl_jws_expect {
	const char *issuer; /* exact byte match; NULL: any non-empty string */
	const char *audience; /* must be `aud` or in it; NULL: not checked */
	int64_t skew_seconds; /* leeway for exp/nbf/iat (AWS: 300, reference/sts.md) */
	int64_t max_age_seconds; /* now - iat beyond this is "iat-too-old"; 0: no limit */
	unsigned algs; /* TL_JOSE_ALG_BIT set; 0 means TL_JOSE_ALGS_ALL */
	/*
	 * The documented rule for a token without `kid`: it is accepted only
	 * when this is true AND the JWKS has exactly one usable key (what
	 * go-oidc and AWS do for single-key issuers such as Kubernetes); with
	 * several keys a kid is always required (never "try every key").
	 */
	bool allow_kidless_single_key;
	bool allow_missing_iat;
	bool allow_missing_sub;
	/* With several audiences require `azp` == audience (OIDC Core §3.1.3.7). */
	bool require_azp_for_many_aud;
};

/*
 * Defaults: skew 300 s, every algorithm, kid-less token accepted against a
 * single-key JWKS, iat and sub required, no maximum age, azp not required.
 */
void tl_jws_expect_init(struct tl_jws_expect *e);

#define TL_JWS_MESSAGE_MAX 384

struct tl_jws_result {
	enum tl_jws_reason reason;
	char message[TL_JWS_MESSAGE_MAX]; /* reason plus the values involved */
	enum tl_jose_alg alg; /* set once the header's alg was accepted */
	const struct tl_jose_key *key; /* borrowed from the JWKS, once selected */
	json_t *header; /* owned; set on success (and on claim failures) */
	json_t *claims; /* owned; set on success (and on claim failures) */
};

/* Frees header and claims; the result can be reused. Accepts NULL. */
void tl_jws_result_finish(struct tl_jws_result *res);

/*
 * Verifies a compact token of `len` bytes (it need not be NUL-terminated
 * and may contain NUL, which is refused). `clock` may be NULL (system
 * time). Returns res->reason: TL_JWS_OK or why the token was refused.
 * `res` is always filled; call tl_jws_result_finish() afterwards.
 */
enum tl_jws_reason tl_jws_verify(const char *token, size_t len, const struct tl_jwks *jwks,
				 const struct tl_jws_expect *expect, const struct tl_clock *clock,
				 struct tl_jws_result *res);

/*
 * Decodes a token WITHOUT verifying it, for showing one to a person
 * (`trustlab explain --no-verify`): the same size, charset, base64url,
 * strict-JSON and header-policy checks as tl_jws_verify (a token refused
 * there is refused here, with the same reason), then the claims set. No
 * signature, key, time or audience check: never trust the result. Returns
 * TL_JWS_OK with res->header and res->claims set, or the reason.
 */
enum tl_jws_reason tl_jws_decode_unverified(const char *token, size_t len,
					    struct tl_jws_result *res);

/* Header flags for tl_jws_header_new. */
enum {
	TL_JWS_HEADER_TYP = 1 << 0, /* "typ": "JWT" */
	TL_JWS_HEADER_KID = 1 << 1, /* "kid" from the key */
	TL_JWS_HEADER_X5T = 1 << 2, /* "x5t" from the key's certificate (GitHub) */
};

/*
 * A protected header in GitHub's member order: typ, alg, x5t, kid (each
 * when its flag is set and the key has it). New reference.
 */
json_t *tl_jws_header_new(const struct tl_jose_key *key, enum tl_jose_alg alg, unsigned flags,
			  struct tl_error *err);

/*
 * Signs `claims` (an object) under `header` (an object whose "alg" must be
 * the name of `alg`; members are written in the object's order) with a
 * private key that fits `alg`. *token is a new NUL-terminated string the
 * caller frees. ES* signatures are JOSE raw R||S.
 */
int tl_jws_sign(const struct tl_jose_key *key, enum tl_jose_alg alg, const json_t *header,
		const json_t *claims, char **token, struct tl_error *err);

/*
 * FOR FAULT INJECTION AND TESTS ONLY: produces tokens no correct issuer
 * would, so the issuer's fault profiles and the negative corpus can show
 * that the verifier refuses them. Header and payload are arbitrary bytes
 * (duplicate members, bad UTF-8, non-objects); `alg` names how to sign
 * "header.payload":
 *   - any TL_JOSE_ALGS name, with `key` (curve/size/kind not checked),
 *   - "HS256"/"HS384"/"HS512" with `hmac_secret` (may be empty),
 *   - "none" or NULL: empty signature.
 * `der_ecdsa` writes an ECDSA signature as DER instead of R||S.
 */
struct tl_jws_forge {
	const void *header;
	size_t header_len;
	const void *payload;
	size_t payload_len;
	const char *alg;
	const struct tl_jose_key *key;
	const void *hmac_secret;
	size_t hmac_secret_len;
	bool der_ecdsa;
};

int tl_jws_forge(const struct tl_jws_forge *f, char **token, struct tl_error *err);
