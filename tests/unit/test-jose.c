/* SPDX-License-Identifier: MIT */
/*
 * lib/jose unit tests: base64url, keys and JWKs, JWKS parsing, signing,
 * the reason table and verifier settings. The must-reject catalogue lives
 * in the file corpus (test-jose-corpus.c); libjwt interop in
 * test-jose-interop.c.
 */
#include "config.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jose/base64url.h"
#include "jose/jws.h"
#include "test-common.h"

#define NOW 1795435200

static struct tl_jose_key *
load_key(const char *stem)
{
	char path[1024];
	struct tl_error err;
	struct tl_jose_key *key;

	snprintf(path, sizeof path, "%s/%s", tl_test_arg(0), stem);
	tl_error_clear(&err);
	key = tl_jose_key_load_file(path, &err);
	ck_assert_msg(key != NULL, "%s: %s", path, err.message);
	return key;
}

/*
 * Signs the test claims (iss https://i.example, aud "a", sub "s", iat,
 * exp = iat + ttl) under a header made with `flags`. Caller frees.
 */
static char *
sign_test_token(const struct tl_jose_key *k, enum tl_jose_alg alg, unsigned flags, int64_t iat,
		int64_t ttl)
{
	struct tl_error err;
	json_t *h = tl_jws_header_new(k, alg, flags, &err);
	json_t *claims =
		json_pack("{ss ss ss sI sI}", "iss", "https://i.example", "aud", "a", "sub", "s",
			  "iat", (json_int_t)iat, "exp", (json_int_t)(iat + ttl));
	char *token = NULL;

	tl_error_clear(&err);
	ck_assert_msg(h && claims && tl_jws_sign(k, alg, h, claims, &token, &err) == 0,
		      "signing %s: %s", tl_jose_alg_name(alg), err.message);
	json_decref(h);
	json_decref(claims);
	return token;
}

/* Defaults plus the test claims' issuer and audience. */
static void
expect_test(struct tl_jws_expect *e)
{
	tl_jws_expect_init(e);
	e->issuer = "https://i.example";
	e->audience = "a";
}

/* --- base64url ------------------------------------------------------------ */

START_TEST(b64_vectors)
{
	/* RFC 4648 §10 test vectors, without padding. */
	static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const out[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
	char buf[16];
	unsigned char dec[16];
	size_t n;

	for (size_t i = 0; i < 7; i++) {
		tl_b64url_encode(in[i], strlen(in[i]), buf);
		ck_assert_msg(strcmp(buf, out[i]) == 0, "vector %zu: %s", i, buf);
		ck_assert_int_eq(tl_b64url_decode(out[i], strlen(out[i]), dec, &n, NULL),
				 TL_B64URL_OK);
		ck_assert_msg(n == strlen(in[i]) && memcmp(dec, in[i], n) == 0, "vector %zu", i);
	}
	/* The URL alphabet: 0xfb 0xff -> "-_8". */
	tl_b64url_encode("\xfb\xff", 2, buf);
	ck_assert_str_eq(buf, "-_8");
}
END_TEST

static const struct {
	const char *text;
	enum tl_b64url_status status;
	size_t pos;
} b64_bad[] = {
	{"Zg==", TL_B64URL_PADDING, 2},	    {"Zm9v+A", TL_B64URL_ALPHABET, 4},
	{"Zm9v/A", TL_B64URL_ALPHABET, 4},  {"Zm 9", TL_B64URL_ALPHABET, 2},
	{"Zm9vY", TL_B64URL_LENGTH, 4},	    {"Zh", TL_B64URL_NONCANONICAL, 1},
	{"Zm9", TL_B64URL_NONCANONICAL, 2}, {"Zm8.", TL_B64URL_ALPHABET, 3},
};

START_TEST(b64_rejects)
{
	unsigned char dec[16];
	size_t n, pos = 99;
	enum tl_b64url_status s =
		tl_b64url_decode(b64_bad[_i].text, strlen(b64_bad[_i].text), dec, &n, &pos);

	ck_assert_msg(s == b64_bad[_i].status, "case %d '%s': status %s", _i, b64_bad[_i].text,
		      tl_b64url_status_str(s));
	ck_assert_msg(pos == b64_bad[_i].pos, "case %d '%s': pos %zu", _i, b64_bad[_i].text, pos);
}
END_TEST

START_TEST(b64_roundtrip)
{
	unsigned char in[70], dec[70];
	char enc[100];
	size_t n;

	for (size_t len = 0; len < sizeof in; len++) {
		for (size_t i = 0; i < len; i++)
			in[i] = (unsigned char)(i * 37 + len * 11);
		ck_assert_uint_eq(tl_b64url_encode(in, len, enc), tl_b64url_encoded_len(len));
		ck_assert_int_eq(tl_b64url_decode(enc, strlen(enc), dec, &n, NULL), TL_B64URL_OK);
		ck_assert_msg(n == len && memcmp(in, dec, len) == 0, "length %zu", len);
		ck_assert_uint_eq(tl_b64url_decoded_len(strlen(enc)), len);
	}
}
END_TEST

/* --- keys ------------------------------------------------------------------ */

START_TEST(key_generate)
{
	static const struct {
		const char *spec;
		enum tl_jose_kty kty;
		unsigned bits;
		enum tl_jose_alg alg;
	} specs[] = {
		{"RSA-2048", TL_JOSE_KTY_RSA, 2048, TL_JOSE_ALG_RS256},
		{"P-256", TL_JOSE_KTY_EC, 256, TL_JOSE_ALG_ES256},
		{"P-384", TL_JOSE_KTY_EC, 384, TL_JOSE_ALG_ES384},
		{"P-521", TL_JOSE_KTY_EC, 521, TL_JOSE_ALG_ES512},
	};
	struct tl_error err;

	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		struct tl_jose_key *k = tl_jose_key_generate(specs[i].spec, &err);
		ck_assert_msg(k != NULL, "%s", specs[i].spec);
		ck_assert_int_eq(tl_jose_key_kty(k), specs[i].kty);
		ck_assert_uint_eq(tl_jose_key_bits(k), specs[i].bits);
		ck_assert_int_eq(tl_jose_key_default_alg(k), specs[i].alg);
		ck_assert(tl_jose_key_has_private(k));
		ck_assert_str_eq(tl_jose_key_use(k), "sig");
		tl_jose_key_free(k);
	}
	tl_error_clear(&err);
	ck_assert_ptr_null(tl_jose_key_generate("RSA-1024", &err));
	ck_assert_int_eq(err.code, TL_ERR_INVALID);
	ck_assert_ptr_null(tl_jose_key_generate(NULL, NULL));
}
END_TEST

/* No passphrase prompt, no oversized modulus, no garbage. */
START_TEST(key_load_refuses)
{
	static const struct {
		const char *file;
		enum tl_errcode code;
		const char *fragment;
	} files[] = {
		{"p256-encrypted.pem", TL_ERR_CRYPTO, "not a PEM"},
		{"rsa8200-too-big.pem", TL_ERR_LIMIT, "8200 bits"},
		{"no-such-key.pem", TL_ERR_NOT_FOUND, "cannot open"},
	};
	struct tl_error err;
	char path[1024];

	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", tl_test_arg(0), files[i].file);
		tl_error_clear(&err);
		ck_assert_msg(tl_jose_key_load_file(path, &err) == NULL, "%s loaded",
			      files[i].file);
		ck_assert_msg(err.code == files[i].code && strstr(err.message, files[i].fragment),
			      "%s: %s: %s", files[i].file, tl_errcode_name(err.code), err.message);
		ck_assert_str_eq(err.file, path);
	}
	tl_error_clear(&err);
	ck_assert_ptr_null(tl_jose_key_load_pem("junk", 4, &err));
	ck_assert_int_eq(err.code, TL_ERR_CRYPTO);
}
END_TEST

START_TEST(key_thumbprint_rfc7638)
{
	/* RFC 7638 §3.1: the example key and its thumbprint. */
	json_t *jwk = json_pack(
		"{ss ss ss}", "kty", "RSA", "e", "AQAB", "n",
		"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6"
		"tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5"
		"v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD0"
		"8qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-"
		"kEgU8"
		"awapJzKnqDKgw");
	struct tl_error err;
	struct tl_jose_key *k = tl_jose_key_from_jwk(jwk, &err);
	char tp[TL_JOSE_THUMBPRINT_LEN];

	ck_assert_msg(k != NULL, "%s", err.message);
	ck_assert_int_eq(tl_jose_key_thumbprint(k, tp, &err), 0);
	ck_assert_str_eq(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	ck_assert_int_eq(tl_jose_key_set_kid_thumbprint(k, &err), 0);
	ck_assert_str_eq(tl_jose_key_kid(k), tp);
	ck_assert(!tl_jose_key_has_private(k));
	tl_jose_key_free(k);
	json_decref(jwk);
}
END_TEST

/* Public JWK out, key back in: the same public key, for every kind. */
START_TEST(key_jwk_roundtrip)
{
	static const char *const stems[] = {"rsa2048.pem",    "rsa3072.pem", "rsa4096.pem",
					    "p256.pem",	      "p384.pem",    "p521.pem",
					    "rsa2048.pub.pem"};
	struct tl_error err;

	for (size_t i = 0; i < sizeof stems / sizeof stems[0]; i++) {
		struct tl_jose_key *k = load_key(stems[i]), *back;
		json_t *jwk;

		ck_assert_int_eq(tl_jose_key_set_kid(k, "k1", &err), 0);
		jwk = tl_jose_key_to_jwk(k, &err);
		ck_assert_msg(jwk != NULL, "%s: %s", stems[i], err.message);
		ck_assert_str_eq(json_string_value(json_object_get(jwk, "use")), "sig");
		ck_assert_str_eq(json_string_value(json_object_get(jwk, "kid")), "k1");
		ck_assert_ptr_null(json_object_get(jwk, "d"));
		back = tl_jose_key_from_jwk(jwk, &err);
		ck_assert_msg(back != NULL, "%s: %s", stems[i], err.message);
		ck_assert_msg(EVP_PKEY_eq(tl_jose_key_pkey(k), tl_jose_key_pkey(back)) == 1, "%s",
			      stems[i]);
		ck_assert(!tl_jose_key_has_private(back));
		ck_assert_str_eq(tl_jose_key_kid(back), "k1");
		if (tl_jose_key_kty(k) == TL_JOSE_KTY_EC) {
			/* coordinates are full length (reference/issuer.md §6.2) */
			size_t want = tl_b64url_encoded_len(
				strcmp(tl_jose_key_curve(k), "P-521") == 0   ? 66
				: strcmp(tl_jose_key_curve(k), "P-384") == 0 ? 48
									     : 32);
			ck_assert_uint_eq(json_string_length(json_object_get(jwk, "x")), want);
			ck_assert_uint_eq(json_string_length(json_object_get(jwk, "y")), want);
		} else {
			ck_assert_str_eq(json_string_value(json_object_get(jwk, "e")), "AQAB");
		}
		json_decref(jwk);
		tl_jose_key_free(back);
		tl_jose_key_free(k);
	}
}
END_TEST

START_TEST(key_private_jwk_file)
{
	struct tl_jose_key *k = load_key("p256-private.jwk.json");
	struct tl_error err;
	struct tl_jwks *jwks = tl_jwks_new(&err);
	char *token;
	struct tl_jws_expect e;
	struct tl_clock clock;
	struct tl_jws_result res;

	ck_assert(tl_jose_key_has_private(k));
	ck_assert_str_eq(tl_jose_key_kid(k), "p256-jwk");
	ck_assert_str_eq(tl_jose_key_curve(k), "P-256");
	token = sign_test_token(k, TL_JOSE_ALG_ES256, TL_JWS_HEADER_TYP | TL_JWS_HEADER_KID, NOW,
				60);
	ck_assert_int_eq(tl_jwks_add(jwks, k, &err), 0);
	expect_test(&e);
	tl_clock_init_pinned(&clock, (int64_t)NOW * 1000);
	ck_assert_msg(tl_jws_verify(token, strlen(token), jwks, &e, &clock, &res) == TL_JWS_OK,
		      "%s", res.message);
	tl_jws_result_finish(&res);
	free(token);
	tl_jwks_free(jwks);
	tl_jose_key_free(k);
}
END_TEST

static const struct {
	const char *name;
	const char *jwk;
	const char *fragment;
} bad_jwks[] = {
	{"unknown kty", "{\"kty\":\"oct\",\"k\":\"AAAA\"}", "unsupported kty"},
	{"no kty", "{\"n\":\"AQAB\",\"e\":\"AQAB\"}", "kty"},
	{"rsa without e", "{\"kty\":\"RSA\",\"n\":\"AQAB\"}", "'e'"},
	{"rsa n leading zero", "{\"kty\":\"RSA\",\"n\":\"AAEB\",\"e\":\"AQAB\"}", "minimal"},
	{"rsa e padded", "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB==\"}", "padding"},
	{"ec short x", "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQAB\",\"y\":\"AQAB\"}",
	 "expected 32"},
	{"ec unknown curve", "{\"kty\":\"EC\",\"crv\":\"P-192\",\"x\":\"AA\",\"y\":\"AA\"}",
	 "unsupported curve"},
	{"ec alg mismatch",
	 "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ES384\",\"x\":"
	 "\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":"
	 "\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
	 "does not fit"},
	{"ec unknown alg",
	 "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"HS256\",\"x\":"
	 "\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":"
	 "\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
	 "not a supported"},
	{"kid not a string",
	 "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":1,\"x\":"
	 "\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":"
	 "\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
	 "kid"},
	{"not an object", "[]", "JSON object"},
	/* RFC 7515 A.3's public key with another key's d: a pairwise mismatch */
	{"ec d of another key",
	 "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":"
	 "\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":"
	 "\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\",\"d\":"
	 "\"jpsQnnGQmL-YBIffH1136cLyG2rNg-KnNcrP_1tG-Vk\"}",
	 "does not match"},
	{"ec point not on curve",
	 "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":"
	 "\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":"
	 "\"y_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
	 "not describe a valid key"},
	{"ec y non-canonical",
	 "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":"
	 "\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":"
	 "\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1\"}",
	 "non-canonical"},
};

START_TEST(key_jwk_rejects)
{
	struct tl_error err;
	json_t *jwk = json_loads(bad_jwks[_i].jwk, 0, NULL);
	struct tl_jose_key *k;

	ck_assert_msg(jwk != NULL, "case %s: test JSON", bad_jwks[_i].name);
	tl_error_clear(&err);
	k = tl_jose_key_from_jwk(jwk, &err);
	ck_assert_msg(k == NULL, "case %s: accepted", bad_jwks[_i].name);
	ck_assert_msg(strstr(err.message, bad_jwks[_i].fragment), "case %s: '%s'",
		      bad_jwks[_i].name, err.message);
	json_decref(jwk);
}
END_TEST

START_TEST(key_github_kid)
{
	struct tl_jose_key *a = load_key("rsa2048.pem"), *b = load_key("rsa2048.pem");
	struct tl_error err;
	json_t *jwk;
	unsigned char x5t[20], md[20], *der;
	size_t n;
	const char *kid, *x5c;
	int der_len;

	tl_error_clear(&err);
	ck_assert_int_eq(tl_jose_key_set_kid_github(a, &err), -1);
	ck_assert_int_eq(err.code, TL_ERR_STATE);
	ck_assert_int_eq(tl_jose_key_make_certificate(a, "trustlab-mock", NOW, 730, &err), 0);
	ck_assert_int_eq(tl_jose_key_make_certificate(b, "trustlab-mock", NOW, 730, &err), 0);
	ck_assert_int_eq(tl_jose_key_set_kid_github(a, &err), 0);
	ck_assert_int_eq(tl_jose_key_set_kid_github(b, &err), 0);
	kid = tl_jose_key_kid(a);
	/* deterministic for a fixed key and date */
	ck_assert_str_eq(kid, tl_jose_key_kid(b));
	ck_assert_uint_eq(strlen(kid), 40);
	for (size_t i = 0; i < 40; i++)
		ck_assert_msg((kid[i] >= '0' && kid[i] <= '9') || (kid[i] >= 'A' && kid[i] <= 'F'),
			      "kid '%s' is not upper-case hex", kid);
	/* x5t is the same 20 bytes, base64url */
	ck_assert_int_eq(
		tl_b64url_decode(tl_jose_key_x5t(a), strlen(tl_jose_key_x5t(a)), x5t, &n, NULL),
		TL_B64URL_OK);
	ck_assert_uint_eq(n, 20);
	for (size_t i = 0; i < 20; i++) {
		unsigned v;
		sscanf(kid + 2 * i, "%2X", &v);
		ck_assert_uint_eq(v, x5t[i]);
	}
	/* x5c[0] is standard base64 of the certificate whose SHA-1 is the kid */
	jwk = tl_jose_key_to_jwk(a, &err);
	x5c = json_string_value(json_array_get(json_object_get(jwk, "x5c"), 0));
	ck_assert_ptr_nonnull(x5c);
	der = malloc(strlen(x5c));
	der_len = EVP_DecodeBlock(der, (const unsigned char *)x5c, (int)strlen(x5c));
	ck_assert_int_gt(der_len, 0);
	/* EVP_DecodeBlock counts the bytes that '=' padding stands for */
	for (n = strlen(x5c); n > 0 && x5c[n - 1] == '='; n--)
		der_len--;
	EVP_Digest(der, (size_t)der_len, md, NULL, EVP_sha1(), NULL);
	ck_assert_msg(memcmp(md, x5t, 20) == 0, "x5c SHA-1 differs from x5t");
	ck_assert_str_eq(json_string_value(json_object_get(jwk, "x5t")), tl_jose_key_x5t(a));
	free(der);
	json_decref(jwk);
	tl_jose_key_free(a);
	tl_jose_key_free(b);
}
END_TEST

/* --- JWKS ------------------------------------------------------------------- */

START_TEST(jwks_limits)
{
	struct tl_error err;
	json_t *doc = json_pack("{s[]}", "keys");
	struct tl_jwks *jwks;

	for (int i = 0; i < 101; i++)
		json_array_append_new(json_object_get(doc, "keys"), json_object());
	tl_error_clear(&err);
	ck_assert_ptr_null(tl_jwks_parse(doc, &err));
	ck_assert_int_eq(err.code, TL_ERR_LIMIT);
	json_decref(doc);

	ck_assert_ptr_null(tl_jwks_load("[]", 2, &err));
	ck_assert_ptr_null(tl_jwks_load("{\"keys\":{}}", 11, &err));
	ck_assert_ptr_null(tl_jwks_load("{\"keys\":[],\"keys\":[]}", 21, &err));
	jwks = tl_jwks_load("{\"keys\":[]}", 11, &err);
	ck_assert_ptr_nonnull(jwks);
	ck_assert_uint_eq(tl_jwks_count(jwks), 0);
	tl_jwks_free(jwks);
	tl_jwks_free(NULL);
}
END_TEST

START_TEST(jwks_set_aside)
{
	struct tl_jose_key *rsa = load_key("rsa2048.pem"), *weak = load_key("rsa1024.pem");
	struct tl_error err;
	json_t *doc = json_pack("{s[]}", "keys"), *keys = json_object_get(doc, "keys"), *j;
	struct tl_jwks *jwks;
	enum tl_jwks_reject why;
	const char *msg = NULL, *kid;

	tl_jose_key_set_kid(rsa, "good", &err);
	tl_jose_key_set_kid(weak, "weak", &err);
	json_array_append_new(keys, tl_jose_key_to_jwk(rsa, &err));
	json_array_append_new(keys, tl_jose_key_to_jwk(weak, &err));
	j = tl_jose_key_to_jwk(rsa, &err);
	json_object_set_new(j, "kid", json_string("enc"));
	json_object_set_new(j, "use", json_string("enc"));
	json_array_append_new(keys, j);
	json_array_append_new(keys, json_string("not a key"));
	tl_error_clear(&err);
	jwks = tl_jwks_parse(doc, &err);
	ck_assert_msg(jwks != NULL, "%s", err.message);
	ck_assert_uint_eq(tl_jwks_count(jwks), 1);
	ck_assert_uint_eq(tl_jwks_rejected_count(jwks), 3);
	ck_assert_ptr_nonnull(tl_jwks_find(jwks, "good", NULL, NULL));
	ck_assert_ptr_null(tl_jwks_find(jwks, "weak", &why, &msg));
	ck_assert_int_eq(why, TL_JWKS_REJECT_WEAK);
	ck_assert_msg(strstr(msg, "1024 bits"), "%s", msg);
	ck_assert_ptr_null(tl_jwks_find(jwks, "enc", &why, NULL));
	ck_assert_int_eq(why, TL_JWKS_REJECT_USE);
	ck_assert_ptr_null(tl_jwks_find(jwks, "other", &why, NULL));
	ck_assert_int_eq(why, 0);
	ck_assert_int_eq(tl_jwks_rejected(jwks, 2, &kid, &msg), TL_JWKS_REJECT_INVALID);
	ck_assert_ptr_null(kid);
	ck_assert_msg(strstr(msg, "keys[3]"), "%s", msg);
	/* building: duplicates and weak keys are refused */
	ck_assert_int_eq(tl_jwks_add(jwks, rsa, &err), -1);
	ck_assert_int_eq(err.code, TL_ERR_EXISTS);
	ck_assert_int_eq(tl_jwks_add(jwks, weak, &err), -1);
	ck_assert_int_eq(err.code, TL_ERR_INVALID);
	/* export: only usable keys */
	json_decref(doc);
	doc = tl_jwks_to_json(jwks, &err);
	ck_assert_uint_eq(json_array_size(json_object_get(doc, "keys")), 1);
	json_decref(doc);
	tl_jwks_free(jwks);
	tl_jose_key_free(rsa);
	tl_jose_key_free(weak);
}
END_TEST

/* --- signing ------------------------------------------------------------- */

static const struct {
	const char *key;
	enum tl_jose_alg alg;
} sign_cases[] = {
	{"rsa2048.pem", TL_JOSE_ALG_RS256}, {"rsa3072.pem", TL_JOSE_ALG_RS384},
	{"rsa4096.pem", TL_JOSE_ALG_RS512}, {"rsa2048.pem", TL_JOSE_ALG_PS256},
	{"rsa3072.pem", TL_JOSE_ALG_PS384}, {"rsa4096.pem", TL_JOSE_ALG_PS512},
	{"p256.pem", TL_JOSE_ALG_ES256},    {"p384.pem", TL_JOSE_ALG_ES384},
	{"p521.pem", TL_JOSE_ALG_ES512},
};

START_TEST(sign_verify_each_alg)
{
	struct tl_jose_key *k = load_key(sign_cases[_i].key);
	enum tl_jose_alg alg = sign_cases[_i].alg;
	unsigned flags = TL_JWS_HEADER_TYP | TL_JWS_HEADER_KID | TL_JWS_HEADER_X5T;
	struct tl_error err;
	struct tl_jwks *jwks = tl_jwks_new(&err);
	json_t *h;
	char *token, *h_text;
	struct tl_jws_expect e;
	struct tl_jws_result res;
	size_t sig_len;

	tl_jose_key_set_kid(k, "k", &err);
	ck_assert_int_eq(tl_jose_key_make_certificate(k, "t", NOW, 1, &err), 0);
	h = tl_jws_header_new(k, alg, flags, &err);
	h_text = json_dumps(h, JSON_COMPACT);
	/* GitHub's member order: typ, alg, x5t, kid */
	ck_assert_msg(strncmp(h_text, "{\"typ\":\"JWT\",\"alg\":\"", 20) == 0 &&
			      strstr(h_text, "\"x5t\":") < strstr(h_text, "\"kid\":\"k\"}"),
		      "case %d: header %s", _i, h_text);
	free(h_text);
	json_decref(h);
	token = sign_test_token(k, alg, flags, (int64_t)time(NULL), 60);
	/* ES signatures are raw R||S: 64, 96, 132 bytes */
	sig_len = tl_b64url_decoded_len(strlen(strrchr(token, '.') + 1));
	if (tl_jose_key_kty(k) == TL_JOSE_KTY_EC)
		ck_assert_uint_eq(sig_len, alg == TL_JOSE_ALG_ES256   ? 64
					   : alg == TL_JOSE_ALG_ES384 ? 96
								      : 132);
	else
		ck_assert_uint_eq(sig_len, tl_jose_key_bits(k) / 8);
	tl_jwks_add(jwks, k, &err);
	expect_test(&e);
	/* NULL clock: the system's time */
	ck_assert_msg(tl_jws_verify(token, strlen(token), jwks, &e, NULL, &res) == TL_JWS_OK,
		      "case %d: %s", _i, res.message);
	ck_assert_int_eq(res.alg, alg);
	ck_assert_ptr_eq(res.key, tl_jwks_get(jwks, 0));
	ck_assert_str_eq(json_string_value(json_object_get(res.claims, "sub")), "s");
	tl_jws_result_finish(&res);
	/* the allowlist is honoured for a valid token */
	e.algs = TL_JOSE_ALGS_ALL & ~TL_JOSE_ALG_BIT(alg);
	ck_assert_int_eq(tl_jws_verify(token, strlen(token), jwks, &e, NULL, &res),
			 TL_JWS_ALG_NOT_ALLOWED);
	tl_jws_result_finish(&res);
	free(token);
	tl_jwks_free(jwks);
	tl_jose_key_free(k);
}
END_TEST

START_TEST(sign_refuses)
{
	struct tl_jose_key *rsa = load_key("rsa2048.pem"), *pub = load_key("rsa2048.pub.pem");
	struct tl_jose_key *weak = load_key("rsa1024.pem"), *ec = load_key("p256.pem");
	struct tl_error err;
	json_t *claims = json_object();
	json_t *h = json_pack("{ss}", "alg", "RS256");
	json_t *h_none = json_pack("{ss}", "alg", "none");
	char *token = NULL;

	ck_assert_int_eq(tl_jws_sign(rsa, TL_JOSE_ALG_RS256, h_none, claims, &token, &err), -1);
	ck_assert_int_eq(tl_jws_sign(rsa, TL_JOSE_ALG_RS384, h, claims, &token, &err), -1);
	ck_assert_int_eq(tl_jws_sign(pub, TL_JOSE_ALG_RS256, h, claims, &token, &err), -1);
	ck_assert_int_eq(err.code, TL_ERR_STATE);
	ck_assert_int_eq(tl_jws_sign(weak, TL_JOSE_ALG_RS256, h, claims, &token, &err), -1);
	ck_assert_msg(strstr(err.message, "size"), "%s", err.message);
	ck_assert_int_eq(tl_jws_sign(ec, TL_JOSE_ALG_RS256, h, claims, &token, &err), -1);
	ck_assert_int_eq(tl_jose_key_set_alg(ec, TL_JOSE_ALG_ES384, &err), -1);
	ck_assert_int_eq(tl_jose_key_set_alg(ec, TL_JOSE_ALG_ES256, &err), 0);
	ck_assert_int_eq(tl_jose_key_alg(ec), TL_JOSE_ALG_ES256);
	ck_assert_ptr_null(token);
	json_decref(h);
	json_decref(h_none);
	json_decref(claims);
	tl_jose_key_free(rsa);
	tl_jose_key_free(pub);
	tl_jose_key_free(weak);
	tl_jose_key_free(ec);
}
END_TEST

/* --- reasons and settings --------------------------------------------------- */

START_TEST(reason_table)
{
	for (int r = 0; r < TL_JWS_REASON_COUNT; r++) {
		const char *name = tl_jws_reason_name((enum tl_jws_reason)r);
		ck_assert_int_eq(tl_jws_reason_from_name(name), r);
		ck_assert_msg(strlen(tl_jws_reason_message((enum tl_jws_reason)r)) > 5, "%s", name);
		for (int q = 0; q < r; q++)
			ck_assert_msg(strcmp(name, tl_jws_reason_name((enum tl_jws_reason)q)) != 0,
				      "reason id %s twice", name);
	}
	ck_assert_str_eq(tl_jws_reason_name(TL_JWS_ALG_NONE), "alg-none");
	ck_assert_str_eq(tl_jws_reason_name(TL_JWS_REASON_COUNT), "unknown");
	ck_assert_int_eq(tl_jws_reason_from_name("nope"), -1);
}
END_TEST

/* A zero-initialised expectation is the strictest, and NULL means that too. */
START_TEST(expect_zero_is_strict)
{
	struct tl_jose_key *k = load_key("p256.pem");
	struct tl_error err;
	struct tl_jwks *jwks = tl_jwks_new(&err);
	char *token = sign_test_token(k, TL_JOSE_ALG_ES256, 0, NOW, 10);
	struct tl_jws_expect e = {0};
	struct tl_clock clock;
	struct tl_jws_result res;

	tl_jwks_add(jwks, k, &err);
	tl_clock_init_pinned(&clock, (int64_t)NOW * 1000);
	ck_assert_int_eq(tl_jws_verify(token, strlen(token), jwks, &e, &clock, &res),
			 TL_JWS_KID_MISSING);
	tl_jws_result_finish(&res);
	ck_assert_int_eq(tl_jws_verify(token, strlen(token), jwks, NULL, &clock, &res),
			 TL_JWS_KID_MISSING);
	tl_jws_result_finish(&res);
	e.allow_kidless_single_key = true;
	ck_assert_int_eq(tl_jws_verify(token, strlen(token), jwks, &e, &clock, &res), TL_JWS_OK);
	tl_jws_result_finish(&res);
	/* no skew: expired exactly at exp */
	tl_clock_init_pinned(&clock, ((int64_t)NOW + 10) * 1000);
	ck_assert_int_eq(tl_jws_verify(token, strlen(token), jwks, &e, &clock, &res),
			 TL_JWS_EXPIRED);
	ck_assert_msg(strstr(res.message, "must be before the expiration date/time"), "%s",
		      res.message);
	/* claims stay available for the explanation trace */
	ck_assert_ptr_nonnull(res.claims);
	tl_jws_result_finish(&res);
	tl_jws_result_finish(NULL);
	/* no JWKS at all is an empty one */
	ck_assert_int_eq(tl_jws_verify(token, strlen(token), NULL, &e, &clock, &res),
			 TL_JWS_JWKS_EMPTY);
	tl_jws_result_finish(&res);
	free(token);
	tl_jwks_free(jwks);
	tl_jose_key_free(k);
}
END_TEST

/* --- allocation failure: never an accept (reliability.md §1.6, libjwt's OOM fail-open) --- */

static int alloc_countdown;

static void *
failing_malloc(size_t n)
{
	if (alloc_countdown > 0 && --alloc_countdown == 0)
		return NULL;
	return malloc(n);
}

START_TEST(oom_never_accepts)
{
	struct tl_jose_key *k = load_key("p256.pem");
	struct tl_error err;
	struct tl_jwks *jwks = tl_jwks_new(&err);
	char *good = sign_test_token(k, TL_JOSE_ALG_ES256, TL_JWS_HEADER_KID, NOW, 60);
	char *expired = sign_test_token(k, TL_JOSE_ALG_ES256, TL_JWS_HEADER_KID, NOW - 3600, 60);
	struct tl_jws_expect e;
	struct tl_clock clock;
	struct tl_jws_result res;
	int failed_runs = 0;

	tl_jose_key_set_kid(k, "k", &err);
	tl_jwks_add(jwks, k, &err);
	expect_test(&e);
	tl_clock_init_pinned(&clock, (int64_t)NOW * 1000);
	/*
	 * Fail the 1st, 2nd, ... jansson allocation until a run needs none.
	 * The expired token must never pass. The good one must not pass with
	 * claims other than those signed: jansson 2.14 ignores a failed
	 * append while lexing a string (lex_save) and silently returns a
	 * shorter string, so "iss" can lose a character. Here every claim is
	 * checked, so that shows up as a refusal, which is what is asserted.
	 */
	for (int n = 1; n < 400; n++) {
		enum tl_jws_reason rg, rx;
		json_set_alloc_funcs(failing_malloc, free);
		alloc_countdown = n;
		rx = tl_jws_verify(expired, strlen(expired), jwks, &e, &clock, &res);
		tl_jws_result_finish(&res);
		alloc_countdown = n;
		rg = tl_jws_verify(good, strlen(good), jwks, &e, &clock, &res);
		json_set_alloc_funcs(malloc, free);
		ck_assert_msg(rx != TL_JWS_OK, "allocation %d failed: expired token accepted", n);
		if (alloc_countdown == 0) {
			failed_runs++;
			ck_assert_msg(rg != TL_JWS_OK, "allocation %d failed, still accepted", n);
		} else {
			ck_assert_msg(rg == TL_JWS_OK, "allocation %d: %s", n, res.message);
			tl_jws_result_finish(&res);
			break;
		}
		tl_jws_result_finish(&res);
	}
	ck_assert_int_gt(failed_runs, 3);
	free(good);
	free(expired);
	tl_jwks_free(jwks);
	tl_jose_key_free(k);
}
END_TEST

/*
 * reliability.md §4.6 F3: every byte of a valid token changed by +1, -1
 * or replaced by '=', '.', '!', '\n'; prefixes, suffixes and part swaps.
 * Not one mutant may verify.
 */
static int
sweep(const char *token, const struct tl_jwks *jwks, const struct tl_jws_expect *e,
      const struct tl_clock *clock)
{
	static const char repl[] = {'=', '.', '!', '\n'};
	size_t n = strlen(token);
	char *m = malloc(n + 2);
	struct tl_jws_result res;
	int mutants = 0;

	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 6; k++) {
			memcpy(m, token, n + 1);
			m[i] = k == 0	? (char)(token[i] + 1)
			       : k == 1 ? (char)(token[i] - 1)
					: repl[k - 2];
			if (m[i] == token[i])
				continue;
			ck_assert_msg(tl_jws_verify(m, n, jwks, e, clock, &res) != TL_JWS_OK,
				      "mutant accepted: byte %zu -> 0x%02x", i,
				      (unsigned char)m[i]);
			tl_jws_result_finish(&res);
			mutants++;
		}
	}
	for (const char *c = "A.=- "; *c; c++) {
		/* append and prepend one character */
		m[0] = *c;
		memcpy(m + 1, token, n + 1);
		ck_assert(tl_jws_verify(m, n + 1, jwks, e, clock, &res) != TL_JWS_OK);
		tl_jws_result_finish(&res);
		memcpy(m, token, n);
		m[n] = *c;
		ck_assert(tl_jws_verify(m, n + 1, jwks, e, clock, &res) != TL_JWS_OK);
		tl_jws_result_finish(&res);
		mutants += 2;
	}
	/* header and payload swapped */
	{
		const char *d1 = strchr(token, '.'), *d2 = strchr(d1 + 1, '.');
		size_t hl = (size_t)(d1 - token), pl = (size_t)(d2 - d1 - 1);
		memcpy(m, d1 + 1, pl);
		m[pl] = '.';
		memcpy(m + pl + 1, token, hl);
		memcpy(m + pl + 1 + hl, d2, strlen(d2) + 1);
		ck_assert(tl_jws_verify(m, n, jwks, e, clock, &res) != TL_JWS_OK);
		tl_jws_result_finish(&res);
		mutants++;
	}
	/* the unmutated token does verify: the sweep is not vacuous */
	ck_assert_int_eq(tl_jws_verify(token, n, jwks, e, clock, &res), TL_JWS_OK);
	tl_jws_result_finish(&res);
	free(m);
	return mutants;
}

START_TEST(mutation_sweep)
{
	static const struct {
		const char *key;
		enum tl_jose_alg alg;
	} tokens[] = {{"rsa2048.pem", TL_JOSE_ALG_RS256}, {"p256.pem", TL_JOSE_ALG_ES256}};
	struct tl_jose_key *k = load_key(tokens[_i].key);
	struct tl_error err;
	struct tl_jwks *jwks = tl_jwks_new(&err);
	char *token;
	struct tl_jws_expect e;
	struct tl_clock clock;

	tl_jose_key_set_kid(k, "k", &err);
	tl_jwks_add(jwks, k, &err);
	token = sign_test_token(k, tokens[_i].alg, TL_JWS_HEADER_TYP | TL_JWS_HEADER_KID, NOW, 60);
	expect_test(&e);
	tl_clock_init_pinned(&clock, (int64_t)NOW * 1000);
	ck_assert_int_gt(sweep(token, jwks, &e, &clock), 5 * (int)strlen(token));
	free(token);
	tl_jwks_free(jwks);
	tl_jose_key_free(k);
}
END_TEST

/* --- OpenSSL allocation failure (reliability.md §4.6 F16) ---------------- */

static int crypto_countdown;
static bool crypto_hooked;

static void *
crypto_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	if (crypto_countdown > 0 && --crypto_countdown == 0)
		return NULL;
	return malloc(n);
}

static void *
crypto_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	if (crypto_countdown > 0 && --crypto_countdown == 0)
		return NULL;
	return realloc(p, n);
}

static void
crypto_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

/*
 * Failing the n-th OpenSSL allocation inside a verification never turns
 * a bad token into an accept, and (under ASan and valgrind) the error
 * paths leak and corrupt nothing.
 */
START_TEST(crypto_oom_never_accepts)
{
	struct tl_jose_key *k;
	struct tl_error err;
	struct tl_jwks *jwks;
	char *good, *bad;
	struct tl_jws_expect e;
	struct tl_clock clock;
	struct tl_jws_result res;
	int failed_runs = 0;

	ck_assert_msg(crypto_hooked, "OpenSSL allocated before the hook could be set");
	k = load_key("p256.pem");
	jwks = tl_jwks_new(&err);
	tl_jose_key_set_kid(k, "k", &err);
	tl_jwks_add(jwks, k, &err);
	good = sign_test_token(k, TL_JOSE_ALG_ES256, TL_JWS_HEADER_KID, NOW, 60);
	bad = strdup(good);
	bad[strlen(bad) - 10] = bad[strlen(bad) - 10] == 'A' ? 'B' : 'A';
	expect_test(&e);
	tl_clock_init_pinned(&clock, (int64_t)NOW * 1000);
	for (int n = 1; n < 1000; n++) {
		enum tl_jws_reason rg, rb;
		crypto_countdown = n;
		rb = tl_jws_verify(bad, strlen(bad), jwks, &e, &clock, &res);
		tl_jws_result_finish(&res);
		crypto_countdown = n;
		rg = tl_jws_verify(good, strlen(good), jwks, &e, &clock, &res);
		tl_jws_result_finish(&res);
		ck_assert_msg(rb != TL_JWS_OK, "OpenSSL allocation %d failed: bad token accepted",
			      n);
		if (crypto_countdown != 0) {
			crypto_countdown = 0;
			ck_assert_int_eq(rg, TL_JWS_OK);
			break;
		}
		failed_runs++;
	}
	crypto_countdown = 0;
	ck_assert_int_gt(failed_runs, 3);
	free(good);
	free(bad);
	tl_jwks_free(jwks);
	tl_jose_key_free(k);
}
END_TEST

/* --- threads: one JWKS, many verifiers --------------------------------------- */

struct thread_arg {
	const struct tl_jwks *jwks;
	const char *good;
	const char *bad;
	int failures;
};

static void *
verify_loop(void *p)
{
	struct thread_arg *a = p;
	struct tl_jws_expect e;
	struct tl_jws_result res;

	expect_test(&e);
	for (int i = 0; i < 50; i++) {
		if (tl_jws_verify(a->good, strlen(a->good), a->jwks, &e, NULL, &res) != TL_JWS_OK)
			a->failures++;
		tl_jws_result_finish(&res);
		if (tl_jws_verify(a->bad, strlen(a->bad), a->jwks, &e, NULL, &res) !=
		    TL_JWS_SIGNATURE_INVALID)
			a->failures++;
		tl_jws_result_finish(&res);
	}
	return NULL;
}

START_TEST(threads_share_jwks)
{
	struct tl_jose_key *k = load_key("p256.pem");
	struct tl_error err;
	struct tl_jwks *jwks = tl_jwks_new(&err);
	char *good, *bad;
	pthread_t t[4];
	struct thread_arg args[4];

	tl_jose_key_set_kid(k, "k", &err);
	tl_jwks_add(jwks, k, &err);
	good = sign_test_token(k, TL_JOSE_ALG_ES256, TL_JWS_HEADER_KID, (int64_t)time(NULL), 600);
	bad = strdup(good);
	bad[strlen(bad) - 10] = bad[strlen(bad) - 10] == 'A' ? 'B' : 'A';
	for (int i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){jwks, good, bad, 0};
		pthread_create(&t[i], NULL, verify_loop, &args[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(args[i].failures, 0);
	}
	free(good);
	free(bad);
	tl_jwks_free(jwks);
	tl_jose_key_free(k);
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("jose");
	TCase *tc;

	/* Must come before OpenSSL's first allocation in this process. */
	crypto_hooked = CRYPTO_set_mem_functions(crypto_malloc, crypto_realloc, crypto_free) == 1;

	tc = tcase_create("base64url");
	tcase_add_test(tc, b64_vectors);
	tcase_add_loop_test(tc, b64_rejects, 0, sizeof b64_bad / sizeof b64_bad[0]);
	tcase_add_test(tc, b64_roundtrip);
	suite_add_tcase(s, tc);

	tc = tcase_create("keys");
	tcase_add_test(tc, key_generate);
	tcase_add_test(tc, key_load_refuses);
	tcase_add_test(tc, key_thumbprint_rfc7638);
	tcase_add_test(tc, key_jwk_roundtrip);
	tcase_add_test(tc, key_private_jwk_file);
	tcase_add_loop_test(tc, key_jwk_rejects, 0, sizeof bad_jwks / sizeof bad_jwks[0]);
	tcase_add_test(tc, key_github_kid);
	suite_add_tcase(s, tc);

	tc = tcase_create("jwks");
	tcase_add_test(tc, jwks_limits);
	tcase_add_test(tc, jwks_set_aside);
	suite_add_tcase(s, tc);

	tc = tcase_create("jws");
	tcase_add_loop_test(tc, sign_verify_each_alg, 0, sizeof sign_cases / sizeof sign_cases[0]);
	tcase_add_test(tc, sign_refuses);
	tcase_add_test(tc, reason_table);
	tcase_add_test(tc, expect_zero_is_strict);
	tcase_add_test(tc, threads_share_jwks);
	tcase_add_test(tc, oom_never_accepts);
	tcase_add_test(tc, crypto_oom_never_accepts);
	tcase_add_loop_test(tc, mutation_sweep, 0, 2);
	suite_add_tcase(s, tc);

	srunner_add_suite(sr, s);
}
