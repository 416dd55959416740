/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"

#include "jose/base64url.h"
#include "jose/key.h"
#include "json/json.h"

#define KID_MAX 256
#define KEY_FILE_MAX (64 * 1024)

struct tl_jose_key {
	atomic_int refs;
	EVP_PKEY *pkey;
	enum tl_jose_kty kty;
	const char *curve; /* static string */
	unsigned bits;
	bool has_private;
	char *kid;
	char *use;
	enum tl_jose_alg alg;
	unsigned char *cert_der; /* self-signed certificate, when made */
	int cert_len;
	char x5t[32];
};

static const struct alg_info {
	const char *name;
	enum tl_jose_kty kty;
	int bits;
	bool pss;
	const char *curve;
} algs[TL_JOSE_ALG_COUNT] = {
#define X(id, name_, kty_, bits_, pss_, crv_) [TL_JOSE_ALG_##id] = {name_, kty_, bits_, pss_, crv_},
	TL_JOSE_ALGS(X)
#undef X
};

static bool
alg_valid(enum tl_jose_alg alg)
{
	return alg > TL_JOSE_ALG_INVALID && alg < TL_JOSE_ALG_COUNT;
}

const char *
tl_jose_alg_name(enum tl_jose_alg alg)
{
	return alg_valid(alg) ? algs[alg].name : NULL;
}

enum tl_jose_alg
tl_jose_alg_from_name(const char *name)
{
	if (!name)
		return TL_JOSE_ALG_INVALID;
	for (int a = 1; a < TL_JOSE_ALG_COUNT; a++)
		if (strcmp(algs[a].name, name) == 0)
			return (enum tl_jose_alg)a;
	return TL_JOSE_ALG_INVALID;
}

enum tl_jose_kty
tl_jose_alg_kty(enum tl_jose_alg alg)
{
	return alg_valid(alg) ? algs[alg].kty : TL_JOSE_KTY_NONE;
}

const char *
tl_jose_alg_curve(enum tl_jose_alg alg)
{
	return alg_valid(alg) ? algs[alg].curve : NULL;
}

bool
tl_jose_alg_is_pss(enum tl_jose_alg alg)
{
	return alg_valid(alg) && algs[alg].pss;
}

const EVP_MD *
tl_jose_alg_md(enum tl_jose_alg alg)
{
	if (!alg_valid(alg))
		return NULL;
	switch (algs[alg].bits) {
	case 256:
		return EVP_sha256();
	case 384:
		return EVP_sha384();
	default:
		return EVP_sha512();
	}
}

/* --- construction -------------------------------------------------------- */

static int
crypto_error(struct tl_error *err, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return tl_error_set(err, TL_ERR_CRYPTO, "%s%s%s", what, buf[0] ? ": " : "", buf);
}

static const char *
curve_of(EVP_PKEY *pkey)
{
	char group[64];

	if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
					    NULL))
		return NULL;
	if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
		return "P-256";
	if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
		return "P-384";
	if (strcmp(group, "secp521r1") == 0 || strcmp(group, "P-521") == 0)
		return "P-521";
	return NULL;
}

static bool
pkey_has_private(EVP_PKEY *pkey, enum tl_jose_kty kty)
{
	BIGNUM *bn = NULL;
	bool ok = EVP_PKEY_get_bn_param(
		pkey, kty == TL_JOSE_KTY_RSA ? OSSL_PKEY_PARAM_RSA_D : OSSL_PKEY_PARAM_PRIV_KEY,
		&bn);
	BN_clear_free(bn);
	ERR_clear_error();
	return ok;
}

struct tl_jose_key *
tl_jose_key_from_pkey(EVP_PKEY *pkey, struct tl_error *err)
{
	struct tl_jose_key *key;
	enum tl_jose_kty kty;
	const char *curve = NULL;

	if (!pkey) {
		tl_error_set(err, TL_ERR_INVALID, "no key");
		return NULL;
	}
	if (EVP_PKEY_is_a(pkey, "RSA")) {
		kty = TL_JOSE_KTY_RSA;
		if (EVP_PKEY_get_bits(pkey) > TL_JOSE_RSA_MAX_BITS) {
			tl_error_set(err, TL_ERR_LIMIT, "RSA key of %d bits, more than %d",
				     EVP_PKEY_get_bits(pkey), TL_JOSE_RSA_MAX_BITS);
			return NULL;
		}
	} else if (EVP_PKEY_is_a(pkey, "EC")) {
		kty = TL_JOSE_KTY_EC;
		curve = curve_of(pkey);
		if (!curve) {
			tl_error_set(err, TL_ERR_INVALID,
				     "unsupported EC curve (expected P-256, P-384 or P-521)");
			return NULL;
		}
	} else {
		tl_error_set(err, TL_ERR_INVALID, "unsupported key type %s (expected RSA or EC)",
			     EVP_PKEY_get0_type_name(pkey));
		return NULL;
	}
	key = calloc(1, sizeof *key);
	if (!key || !EVP_PKEY_up_ref(pkey)) {
		free(key);
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	atomic_init(&key->refs, 1);
	key->pkey = pkey;
	key->kty = kty;
	key->curve = curve;
	key->bits = (unsigned)EVP_PKEY_get_bits(pkey);
	key->has_private = pkey_has_private(pkey, kty);
	key->use = strdup("sig");
	if (!key->use) {
		tl_jose_key_free(key);
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	return key;
}

static struct tl_jose_key *
adopt(EVP_PKEY *pkey, struct tl_error *err)
{
	struct tl_jose_key *key = tl_jose_key_from_pkey(pkey, err);
	EVP_PKEY_free(pkey);
	return key;
}

struct tl_jose_key *
tl_jose_key_generate(const char *spec, struct tl_error *err)
{
	static const struct {
		const char *spec;
		const char *type;
		size_t bits;
		const char *curve;
	} specs[] = {
		{"RSA-2048", "RSA", 2048, NULL}, {"RSA-3072", "RSA", 3072, NULL},
		{"RSA-4096", "RSA", 4096, NULL}, {"P-256", "EC", 0, "P-256"},
		{"P-384", "EC", 0, "P-384"},	 {"P-521", "EC", 0, "P-521"},
	};
	EVP_PKEY *pkey = NULL;

	for (size_t i = 0; spec && i < sizeof specs / sizeof specs[0]; i++) {
		if (strcmp(spec, specs[i].spec) != 0)
			continue;
		if (specs[i].curve)
			pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", specs[i].curve);
		else
			pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", specs[i].bits);
		if (!pkey) {
			crypto_error(err, "key generation failed");
			return NULL;
		}
		return adopt(pkey, err);
	}
	tl_error_set(err, TL_ERR_INVALID,
		     "unknown key spec '%s' (expected RSA-2048, RSA-3072, RSA-4096, P-256, P-384 "
		     "or P-521)",
		     spec ? spec : "(null)");
	return NULL;
}

/* Never prompt for a passphrase: an encrypted key is an error (reliability.md §1.6). */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

struct tl_jose_key *
tl_jose_key_load_pem(const char *pem, size_t len, struct tl_error *err)
{
	BIO *bio;
	EVP_PKEY *pkey;

	if (len > INT32_MAX) {
		tl_error_set(err, TL_ERR_LIMIT, "PEM text too large");
		return NULL;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	if (!pkey) {
		ERR_clear_error();
		BIO_reset(bio);
		pkey = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
	}
	BIO_free(bio);
	if (!pkey) {
		crypto_error(err, "not a PEM private or public key");
		return NULL;
	}
	return adopt(pkey, err);
}

/* --- JWK ----------------------------------------------------------------- */

/* Decodes a Base64urlUInt member; `exact` > 0 demands that length, else minimal. */
static BIGNUM *
jwk_bn(const json_t *jwk, const char *name, size_t exact, bool required, struct tl_error *err)
{
	const json_t *v = json_object_get(jwk, name);
	unsigned char *bytes;
	size_t n;
	BIGNUM *bn;

	if (!v) {
		if (required)
			tl_error_set_at(err, TL_ERR_INVALID, name, "missing JWK member '%s'", name);
		return NULL;
	}
	if (!json_is_string(v)) {
		tl_error_set_at(err, TL_ERR_INVALID, name, "JWK member '%s' is not a string", name);
		return NULL;
	}
	bytes = tl_b64url_decode_alloc(json_string_value(v), json_string_length(v), &n, err);
	if (!bytes) {
		tl_error_prefix(err, "JWK member '%s'", name);
		tl_error_locate_path(err, name);
		return NULL;
	}
	if (n == 0 || (exact && n != exact) || (!exact && n > 1 && bytes[0] == 0)) {
		free(bytes);
		if (exact)
			tl_error_set_at(err, TL_ERR_INVALID, name,
					"JWK member '%s' is %zu bytes, expected %zu", name, n,
					exact);
		else
			tl_error_set_at(err, TL_ERR_INVALID, name,
					"JWK member '%s' is empty or not minimal (leading zero "
					"byte)",
					name);
		return NULL;
	}
	bn = BN_bin2bn(bytes, (int)n, NULL);
	OPENSSL_cleanse(bytes, n);
	free(bytes);
	if (!bn)
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	return bn;
}

static EVP_PKEY *
pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld, bool priv, struct tl_error *err)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *check = NULL;

	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) <=
		    0) {
		crypto_error(err, "JWK does not describe a valid key");
		goto out;
	}
	/* The point must be on the curve; a private part must belong to the
	 * public one (OpenSSL's fromdata checks neither). */
	check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!check || EVP_PKEY_public_check(check) <= 0 ||
	    (priv && EVP_PKEY_pairwise_check(check) <= 0)) {
		crypto_error(err, priv ? "JWK private key does not match its public key or is "
					 "invalid"
				       : "JWK public key fails validation");
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
out:
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static EVP_PKEY *
rsa_from_jwk(const json_t *jwk, struct tl_error *err)
{
	static const char *const priv_names[] = {"p", "q", "dp", "dq", "qi"};
	static const char *const priv_params[] = {
		OSSL_PKEY_PARAM_RSA_FACTOR1,	  OSSL_PKEY_PARAM_RSA_FACTOR2,
		OSSL_PKEY_PARAM_RSA_EXPONENT1,	  OSSL_PKEY_PARAM_RSA_EXPONENT2,
		OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	};
	BIGNUM *bns[8] = {NULL};
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pkey = NULL;
	bool priv = json_object_get(jwk, "d") != NULL;

	if (!bld) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (!(bns[0] = jwk_bn(jwk, "n", 0, true, err)) ||
	    !(bns[1] = jwk_bn(jwk, "e", 0, true, err)))
		goto out;
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bns[0]);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bns[1]);
	if (priv) {
		if (!(bns[2] = jwk_bn(jwk, "d", 0, true, err)))
			goto out;
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, bns[2]);
		for (size_t i = 0; i < 5; i++) {
			if (!(bns[3 + i] = jwk_bn(jwk, priv_names[i], 0, true, err)))
				goto out;
			OSSL_PARAM_BLD_push_BN(bld, priv_params[i], bns[3 + i]);
		}
	}
	pkey = pkey_fromdata("RSA", bld, priv, err);
out:
	for (size_t i = 0; i < 8; i++)
		BN_clear_free(bns[i]);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

static EVP_PKEY *
ec_from_jwk(const json_t *jwk, struct tl_error *err)
{
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	size_t clen;
	BIGNUM *x = NULL, *y = NULL, *d = NULL;
	unsigned char point[1 + 2 * 66];
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;

	if (!crv) {
		tl_error_set_at(err, TL_ERR_INVALID, "crv", "EC JWK without a string 'crv'");
		return NULL;
	}
	if (strcmp(crv, "P-256") == 0)
		clen = 32;
	else if (strcmp(crv, "P-384") == 0)
		clen = 48;
	else if (strcmp(crv, "P-521") == 0)
		clen = 66;
	else {
		tl_error_set_at(err, TL_ERR_INVALID, "crv",
				"unsupported curve '%s' (expected P-256, P-384 or P-521)", crv);
		return NULL;
	}
	if (!(x = jwk_bn(jwk, "x", clen, true, err)) || !(y = jwk_bn(jwk, "y", clen, true, err)))
		goto out;
	if (json_object_get(jwk, "d") && !(d = jwk_bn(jwk, "d", clen, true, err)))
		goto out;
	point[0] = 0x04;
	BN_bn2binpad(x, point + 1, (int)clen);
	BN_bn2binpad(y, point + 1 + clen, (int)clen);
	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, crv, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * clen) ||
	    (d && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d))) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		goto out;
	}
	pkey = pkey_fromdata("EC", bld, d != NULL, err);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(x);
	BN_free(y);
	BN_clear_free(d);
	return pkey;
}

struct tl_jose_key *
tl_jose_key_from_jwk(const json_t *jwk, struct tl_error *err)
{
	const char *kty;
	const json_t *v;
	EVP_PKEY *pkey;
	struct tl_jose_key *key;

	if (!json_is_object(jwk)) {
		tl_error_set(err, TL_ERR_INVALID, "a JWK must be a JSON object");
		return NULL;
	}
	kty = json_string_value(json_object_get(jwk, "kty"));
	if (!kty) {
		tl_error_set_at(err, TL_ERR_INVALID, "kty", "JWK without a string 'kty'");
		return NULL;
	}
	if (strcmp(kty, "RSA") == 0)
		pkey = rsa_from_jwk(jwk, err);
	else if (strcmp(kty, "EC") == 0)
		pkey = ec_from_jwk(jwk, err);
	else {
		tl_error_set_at(err, TL_ERR_INVALID, "kty",
				"unsupported kty '%s' (expected RSA or EC)", kty);
		return NULL;
	}
	if (!pkey)
		return NULL;
	key = adopt(pkey, err);
	if (!key)
		return NULL;

	if ((v = json_object_get(jwk, "kid"))) {
		if (!json_is_string(v) || tl_jose_key_set_kid(key, json_string_value(v), err) < 0) {
			if (!json_is_string(v))
				tl_error_set(err, TL_ERR_INVALID, "JWK 'kid' is not a string");
			tl_error_locate_path(err, "kid");
			goto fail;
		}
	}
	if ((v = json_object_get(jwk, "use"))) {
		if (!json_is_string(v)) {
			tl_error_set_at(err, TL_ERR_INVALID, "use", "JWK 'use' is not a string");
			goto fail;
		}
		if (tl_jose_key_set_use(key, json_string_value(v), err) < 0)
			goto fail;
	}
	if ((v = json_object_get(jwk, "alg"))) {
		enum tl_jose_alg alg = tl_jose_alg_from_name(json_string_value(v));
		if (alg == TL_JOSE_ALG_INVALID) {
			tl_error_set_at(err, TL_ERR_INVALID, "alg",
					"JWK 'alg' is not a supported signature algorithm");
			goto fail;
		}
		if (tl_jose_key_set_alg(key, alg, err) < 0) {
			tl_error_locate_path(err, "alg");
			goto fail;
		}
	}
	return key;
fail:
	tl_jose_key_free(key);
	return NULL;
}

struct tl_jose_key *
tl_jose_key_load_file(const char *path, struct tl_error *err)
{
	char *data = NULL;
	size_t len = 0, i = 0;
	struct tl_jose_key *key;

	if (tl_file_read(path, KEY_FILE_MAX, &data, &len, err) < 0) {
		tl_error_locate_file(err, path, 0, 0);
		return NULL;
	}
	while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\t' || data[i] == '\r'))
		i++;
	if (i < len && data[i] == '{') {
		json_t *jwk = tl_json_load(data, len, NULL, path, err);
		key = jwk ? tl_jose_key_from_jwk(jwk, err) : NULL;
		json_decref(jwk);
	} else {
		key = tl_jose_key_load_pem(data, len, err);
	}
	OPENSSL_cleanse(data, len);
	free(data);
	if (!key)
		tl_error_locate_file(err, path, 0, 0);
	return key;
}

struct tl_jose_key *
tl_jose_key_ref(struct tl_jose_key *key)
{
	if (key)
		atomic_fetch_add_explicit(&key->refs, 1, memory_order_relaxed);
	return key;
}

void
tl_jose_key_free(struct tl_jose_key *key)
{
	if (!key || atomic_fetch_sub_explicit(&key->refs, 1, memory_order_acq_rel) != 1)
		return;
	EVP_PKEY_free(key->pkey);
	free(key->kid);
	free(key->use);
	OPENSSL_free(key->cert_der);
	free(key);
}

/* --- configuration ------------------------------------------------------- */

int
tl_jose_key_set_kid(struct tl_jose_key *key, const char *kid, struct tl_error *err)
{
	size_t n = kid ? strlen(kid) : 0;
	char *copy;

	if (n == 0 || n > KID_MAX)
		return tl_error_set(err, TL_ERR_INVALID, "a kid must be 1 to %d bytes", KID_MAX);
	for (size_t i = 0; i < n; i++)
		if (kid[i] < 0x20 || kid[i] > 0x7e)
			return tl_error_set(err, TL_ERR_INVALID,
					    "a kid must be printable ASCII (byte %zu is not)", i);
	copy = strdup(kid);
	if (!copy)
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	free(key->kid);
	key->kid = copy;
	return 0;
}

int
tl_jose_key_set_use(struct tl_jose_key *key, const char *use, struct tl_error *err)
{
	char *copy = NULL;

	if (use && !(copy = strdup(use)))
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	free(key->use);
	key->use = copy;
	return 0;
}

bool
tl_jose_key_fits(const struct tl_jose_key *key, enum tl_jose_alg alg, const char **why)
{
	const char *w = NULL;

	if (!alg_valid(alg) || algs[alg].kty != key->kty)
		w = "kty";
	else if (key->kty == TL_JOSE_KTY_EC && strcmp(algs[alg].curve, key->curve) != 0)
		w = "curve";
	else if (key->kty == TL_JOSE_KTY_RSA && key->bits < TL_JOSE_RSA_MIN_BITS)
		w = "size";
	else if (key->alg != TL_JOSE_ALG_INVALID && key->alg != alg)
		w = "alg";
	if (why)
		*why = w;
	return w == NULL;
}

int
tl_jose_key_set_alg(struct tl_jose_key *key, enum tl_jose_alg alg, struct tl_error *err)
{
	enum tl_jose_alg old = key->alg;
	const char *why;

	key->alg = TL_JOSE_ALG_INVALID;
	/* Size is a use-time rule (tl_jose_key_fits, the JWKS): a weak key
	 * keeps its published alg so the refusal can say "too small". */
	if (!tl_jose_key_fits(key, alg, &why) && strcmp(why, "size") != 0) {
		key->alg = old;
		return tl_error_set(err, TL_ERR_INVALID, "algorithm %s does not fit a %s key (%s)",
				    alg_valid(alg) ? algs[alg].name : "(invalid)",
				    key->kty == TL_JOSE_KTY_RSA ? "RSA" : key->curve, why);
	}
	key->alg = alg;
	return 0;
}

static int
bn_member(json_t *obj, const char *name, EVP_PKEY *pkey, const char *param, int pad,
	  struct tl_error *err)
{
	BIGNUM *bn = NULL;
	unsigned char *bytes = NULL;
	char *text = NULL;
	int n, rc = -1;

	if (!EVP_PKEY_get_bn_param(pkey, param, &bn))
		return crypto_error(err, "cannot read key parameter");
	n = pad ? pad : BN_num_bytes(bn);
	bytes = malloc((size_t)n + 1);
	if (!bytes || BN_bn2binpad(bn, bytes, n) != n) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		goto out;
	}
	text = tl_b64url_encode_alloc(bytes, (size_t)n);
	if (!text || json_object_set_new(obj, name, json_string(text)) < 0) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(text);
	free(bytes);
	BN_free(bn);
	return rc;
}

static int
coord_len(const char *curve)
{
	return strcmp(curve, "P-256") == 0 ? 32 : strcmp(curve, "P-384") == 0 ? 48 : 66;
}

/* The required members only, in RFC 7638 lexicographic order. */
static json_t *
jwk_required(const struct tl_jose_key *key, struct tl_error *err)
{
	json_t *o = json_object();

	if (!o) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (key->kty == TL_JOSE_KTY_RSA) {
		if (bn_member(o, "e", key->pkey, OSSL_PKEY_PARAM_RSA_E, 0, err) < 0 ||
		    json_object_set_new(o, "kty", json_string("RSA")) < 0 ||
		    bn_member(o, "n", key->pkey, OSSL_PKEY_PARAM_RSA_N, 0, err) < 0)
			goto fail;
	} else {
		int clen = coord_len(key->curve);
		if (json_object_set_new(o, "crv", json_string(key->curve)) < 0 ||
		    json_object_set_new(o, "kty", json_string("EC")) < 0 ||
		    bn_member(o, "x", key->pkey, OSSL_PKEY_PARAM_EC_PUB_X, clen, err) < 0 ||
		    bn_member(o, "y", key->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, clen, err) < 0)
			goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

int
tl_jose_key_thumbprint(const struct tl_jose_key *key, char out[TL_JOSE_THUMBPRINT_LEN],
		       struct tl_error *err)
{
	json_t *o = jwk_required(key, err);
	char *text;
	unsigned char md[32];

	if (!o)
		return -1;
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (!text)
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	if (!EVP_Digest(text, strlen(text), md, NULL, EVP_sha256(), NULL)) {
		free(text);
		return crypto_error(err, "SHA-256 failed");
	}
	free(text);
	tl_b64url_encode(md, sizeof md, out);
	return 0;
}

int
tl_jose_key_set_kid_thumbprint(struct tl_jose_key *key, struct tl_error *err)
{
	char tp[TL_JOSE_THUMBPRINT_LEN];

	if (tl_jose_key_thumbprint(key, tp, err) < 0)
		return -1;
	return tl_jose_key_set_kid(key, tp, err);
}

int
tl_jose_key_make_certificate(struct tl_jose_key *key, const char *common_name, int64_t not_before,
			     int days, struct tl_error *err)
{
	X509 *x = NULL;
	X509_NAME *name;
	unsigned char *der = NULL;
	unsigned char md[20];
	int len, rc = -1;

	if (!key->has_private)
		return tl_error_set(err, TL_ERR_STATE, "a certificate needs the private key");
	if (days <= 0 || days > 36500)
		return tl_error_set(err, TL_ERR_INVALID, "certificate validity out of range");
	x = X509_new();
	if (!x || !X509_set_version(x, X509_VERSION_3) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 1) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(not_before + (int64_t)days * 86400)) ||
	    !X509_set_pubkey(x, key->pkey)) {
		crypto_error(err, "cannot build certificate");
		goto out;
	}
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					(const unsigned char *)common_name, -1, -1, 0) ||
	    !X509_set_issuer_name(x, name) || !X509_sign(x, key->pkey, EVP_sha256())) {
		crypto_error(err, "cannot sign certificate");
		goto out;
	}
	len = i2d_X509(x, &der);
	if (len <= 0 || !EVP_Digest(der, (size_t)len, md, NULL, EVP_sha1(), NULL)) {
		OPENSSL_free(der);
		crypto_error(err, "cannot encode certificate");
		goto out;
	}
	OPENSSL_free(key->cert_der);
	key->cert_der = der;
	key->cert_len = len;
	tl_b64url_encode(md, sizeof md, key->x5t);
	rc = 0;
out:
	X509_free(x);
	return rc;
}

int
tl_jose_key_set_kid_github(struct tl_jose_key *key, struct tl_error *err)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char md[20];
	char kid[41];

	if (!key->cert_der)
		return tl_error_set(err, TL_ERR_STATE,
				    "a GitHub-style kid needs a certificate (make one first)");
	if (!EVP_Digest(key->cert_der, (size_t)key->cert_len, md, NULL, EVP_sha1(), NULL))
		return crypto_error(err, "SHA-1 failed");
	for (size_t i = 0; i < sizeof md; i++) {
		kid[2 * i] = hex[md[i] >> 4];
		kid[2 * i + 1] = hex[md[i] & 15];
	}
	kid[40] = '\0';
	return tl_jose_key_set_kid(key, kid, err);
}

/* --- accessors ----------------------------------------------------------- */

const char *
tl_jose_key_kid(const struct tl_jose_key *key)
{
	return key->kid;
}

enum tl_jose_alg
tl_jose_key_alg(const struct tl_jose_key *key)
{
	return key->alg;
}

const char *
tl_jose_key_use(const struct tl_jose_key *key)
{
	return key->use;
}

enum tl_jose_kty
tl_jose_key_kty(const struct tl_jose_key *key)
{
	return key->kty;
}

const char *
tl_jose_key_curve(const struct tl_jose_key *key)
{
	return key->curve;
}

unsigned
tl_jose_key_bits(const struct tl_jose_key *key)
{
	return key->bits;
}

bool
tl_jose_key_has_private(const struct tl_jose_key *key)
{
	return key->has_private;
}

const char *
tl_jose_key_x5t(const struct tl_jose_key *key)
{
	return key->cert_der ? key->x5t : NULL;
}

EVP_PKEY *
tl_jose_key_pkey(const struct tl_jose_key *key)
{
	return key->pkey;
}

enum tl_jose_alg
tl_jose_key_default_alg(const struct tl_jose_key *key)
{
	if (key->alg != TL_JOSE_ALG_INVALID)
		return key->alg;
	if (key->kty == TL_JOSE_KTY_RSA)
		return TL_JOSE_ALG_RS256;
	if (strcmp(key->curve, "P-256") == 0)
		return TL_JOSE_ALG_ES256;
	if (strcmp(key->curve, "P-384") == 0)
		return TL_JOSE_ALG_ES384;
	return TL_JOSE_ALG_ES512;
}

json_t *
tl_jose_key_to_jwk(const struct tl_jose_key *key, struct tl_error *err)
{
	json_t *o = jwk_required(key, err);
	json_t *ordered = json_object();
	const char *k;
	json_t *v;
	int bad = 0;

	if (!o || !ordered) {
		json_decref(o);
		json_decref(ordered);
		if (o)
			tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	/* kty first, then the key material, then the metadata. */
	bad |= json_object_set(ordered, "kty", json_object_get(o, "kty"));
	json_object_foreach(o, k, v)
	{
		if (strcmp(k, "kty") != 0)
			bad |= json_object_set(ordered, k, v);
	}
	json_decref(o);
	if (key->kid)
		bad |= json_object_set_new(ordered, "kid", json_string(key->kid));
	if (key->alg)
		bad |= json_object_set_new(ordered, "alg", json_string(algs[key->alg].name));
	if (key->use)
		bad |= json_object_set_new(ordered, "use", json_string(key->use));
	if (key->cert_der) {
		/* x5c is standard base64 with padding (RFC 7517 §4.7). */
		int n = 4 * ((key->cert_len + 2) / 3);
		char *b64 = malloc((size_t)n + 1);
		if (!b64) {
			bad = -1;
		} else {
			EVP_EncodeBlock((unsigned char *)b64, key->cert_der, key->cert_len);
			bad |= json_object_set_new(ordered, "x5c", json_pack("[s]", b64));
			free(b64);
		}
		bad |= json_object_set_new(ordered, "x5t", json_string(key->x5t));
	}
	if (bad) {
		json_decref(ordered);
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	return ordered;
}

int
tl_jose_key_to_pem(const struct tl_jose_key *key, bool private_key, char **pem, size_t *len,
		   struct tl_error *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int ok;

	if (!bio)
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	if (private_key && !key->has_private) {
		BIO_free(bio);
		return tl_error_set(err, TL_ERR_STATE, "the key has no private part");
	}
	ok = private_key ? PEM_write_bio_PrivateKey(bio, key->pkey, NULL, NULL, 0, NULL, NULL)
			 : PEM_write_bio_PUBKEY(bio, key->pkey);
	if (!ok) {
		BIO_free(bio);
		return crypto_error(err, "cannot write PEM");
	}
	n = BIO_get_mem_data(bio, &data);
	*pem = malloc((size_t)n + 1);
	if (!*pem) {
		BIO_free(bio);
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	}
	memcpy(*pem, data, (size_t)n);
	(*pem)[n] = '\0';
	if (len)
		*len = (size_t)n;
	BIO_free(bio);
	return 0;
}
