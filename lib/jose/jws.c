/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"

#include "jose/base64url.h"
#include "jose/jws.h"
#include "json/json.h"

#define MAX_SAFE_INT 9007199254740992LL /* 2^53 */

static const struct {
	const char *name;
	const char *message;
} reasons[TL_JWS_REASON_COUNT] = {
#define X(id, name_, msg_) [TL_JWS_##id] = {name_, msg_},
	TL_JWS_REASONS(X)
#undef X
};

const char *
tl_jws_reason_name(enum tl_jws_reason r)
{
	return (unsigned)r < TL_JWS_REASON_COUNT ? reasons[r].name : "unknown";
}

const char *
tl_jws_reason_message(enum tl_jws_reason r)
{
	return (unsigned)r < TL_JWS_REASON_COUNT ? reasons[r].message : "unknown reason";
}

int
tl_jws_reason_from_name(const char *name)
{
	for (int r = 0; name && r < TL_JWS_REASON_COUNT; r++)
		if (strcmp(reasons[r].name, name) == 0)
			return r;
	return -1;
}

void
tl_jws_expect_init(struct tl_jws_expect *e)
{
	memset(e, 0, sizeof *e);
	e->skew_seconds = 300;
	e->algs = TL_JOSE_ALGS_ALL;
	e->allow_kidless_single_key = true;
}

void
tl_jws_result_finish(struct tl_jws_result *res)
{
	if (!res)
		return;
	json_decref(res->header);
	json_decref(res->claims);
	res->header = NULL;
	res->claims = NULL;
}

/* --- signature primitives ------------------------------------------------- */

static int
ec_coord_len(const struct tl_jose_key *key)
{
	const char *c = tl_jose_key_curve(key);
	return strcmp(c, "P-256") == 0 ? 32 : strcmp(c, "P-384") == 0 ? 48 : 66;
}

static int
digest_ctx(EVP_MD_CTX **mctx, const struct tl_jose_key *key, enum tl_jose_alg alg, bool sign)
{
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md = tl_jose_alg_md(alg);
	int ok;

	*mctx = EVP_MD_CTX_new();
	if (!*mctx)
		return -1;
	if (sign)
		ok = EVP_DigestSignInit(*mctx, &pctx, md, NULL, tl_jose_key_pkey(key));
	else
		ok = EVP_DigestVerifyInit(*mctx, &pctx, md, NULL, tl_jose_key_pkey(key));
	/* RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash. */
	if (ok > 0 && tl_jose_alg_is_pss(alg))
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) > 0 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0;
	if (ok <= 0) {
		EVP_MD_CTX_free(*mctx);
		*mctx = NULL;
		return -1;
	}
	return 0;
}

/* Signs with an asymmetric key; *sig is malloc'd. ECDSA as R||S unless `der`. */
static int
sign_asym(const struct tl_jose_key *key, enum tl_jose_alg alg, const void *data, size_t len,
	  bool der, unsigned char **sig, size_t *sig_len, struct tl_error *err)
{
	EVP_MD_CTX *mctx = NULL;
	unsigned char *buf = NULL;
	size_t n = 0;
	int rc = -1;

	if (!tl_jose_key_has_private(key))
		return tl_error_set(err, TL_ERR_STATE, "signing needs a private key");
	if (tl_jose_alg_kty(alg) != tl_jose_key_kty(key))
		return tl_error_set(err, TL_ERR_INVALID, "%s cannot sign with this key type",
				    tl_jose_alg_name(alg));
	if (digest_ctx(&mctx, key, alg, true) < 0 ||
	    EVP_DigestSign(mctx, NULL, &n, data, len) <= 0 || !(buf = malloc(n)) ||
	    EVP_DigestSign(mctx, buf, &n, data, len) <= 0) {
		unsigned long e = ERR_get_error();
		tl_error_set(err, TL_ERR_CRYPTO, "signing failed: %s",
			     e ? ERR_reason_error_string(e) : "out of memory");
		goto out;
	}
	if (tl_jose_key_kty(key) == TL_JOSE_KTY_EC && !der) {
		const unsigned char *p = buf;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
		int clen = ec_coord_len(key);
		unsigned char *raw = malloc((size_t)clen * 2);
		if (!es || !raw || BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, clen) != clen ||
		    BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + clen, clen) != clen) {
			ECDSA_SIG_free(es);
			free(raw);
			tl_error_set(err, TL_ERR_CRYPTO, "cannot convert the ECDSA signature");
			goto out;
		}
		ECDSA_SIG_free(es);
		free(buf);
		buf = raw;
		n = (size_t)clen * 2;
	}
	*sig = buf;
	*sig_len = n;
	buf = NULL;
	rc = 0;
out:
	ERR_clear_error();
	free(buf);
	EVP_MD_CTX_free(mctx);
	return rc;
}

static enum tl_jws_reason
verify_asym(const struct tl_jose_key *key, enum tl_jose_alg alg, const void *data, size_t len,
	    const unsigned char *sig, size_t sig_len, char *detail, size_t detail_size)
{
	EVP_MD_CTX *mctx = NULL;
	unsigned char *der = NULL;
	const unsigned char *check = sig;
	size_t check_len = sig_len;
	enum tl_jws_reason r = TL_JWS_INTERNAL;
	int ok;

	if (tl_jose_key_kty(key) == TL_JOSE_KTY_EC) {
		size_t clen = (size_t)ec_coord_len(key);
		ECDSA_SIG *es;
		BIGNUM *br, *bs;
		int n;

		if (sig_len != 2 * clen) {
			snprintf(detail, detail_size, "%zu bytes, %s needs %zu (raw R||S)", sig_len,
				 tl_jose_alg_name(alg), 2 * clen);
			return TL_JWS_SIGNATURE_LENGTH;
		}
		es = ECDSA_SIG_new();
		br = BN_bin2bn(sig, (int)clen, NULL);
		bs = BN_bin2bn(sig + clen, (int)clen, NULL);
		if (!es || !br || !bs || !ECDSA_SIG_set0(es, br, bs)) {
			ECDSA_SIG_free(es);
			BN_free(br);
			BN_free(bs);
			return TL_JWS_INTERNAL;
		}
		n = i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
		if (n <= 0)
			return TL_JWS_INTERNAL;
		check = der;
		check_len = (size_t)n;
	} else {
		size_t want = (tl_jose_key_bits(key) + 7) / 8;
		if (sig_len != want) {
			snprintf(detail, detail_size, "%zu bytes, a %u-bit RSA key signs %zu",
				 sig_len, tl_jose_key_bits(key), want);
			return TL_JWS_SIGNATURE_LENGTH;
		}
	}
	if (digest_ctx(&mctx, key, alg, false) < 0)
		goto out;
	ok = EVP_DigestVerify(mctx, check, check_len, data, len);
	r = ok == 1 ? TL_JWS_OK : TL_JWS_SIGNATURE_INVALID;
	if (r != TL_JWS_OK)
		snprintf(detail, detail_size, "%s with key '%s'", tl_jose_alg_name(alg),
			 tl_jose_key_kid(key) ? tl_jose_key_kid(key) : "(no kid)");
out:
	ERR_clear_error();
	OPENSSL_free(der);
	EVP_MD_CTX_free(mctx);
	return r;
}

/* --- token assembly ------------------------------------------------------ */

static int
assemble(const void *header, size_t header_len, const void *payload, size_t payload_len,
	 int (*signer)(const void *, const void *, size_t, unsigned char **, size_t *,
		       struct tl_error *),
	 const void *ctx, char **token, struct tl_error *err)
{
	size_t hl = tl_b64url_encoded_len(header_len), pl = tl_b64url_encoded_len(payload_len);
	unsigned char *sig = NULL;
	size_t sig_len = 0, total;
	char *out;

	/* Room for the signature of the largest key (RSA-16384) too. */
	total = hl + 1 + pl + 1 + tl_b64url_encoded_len(2048) + 1;
	out = malloc(total);
	if (!out)
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	tl_b64url_encode(header, header_len, out);
	out[hl] = '.';
	tl_b64url_encode(payload, payload_len, out + hl + 1);
	if (signer(ctx, out, hl + 1 + pl, &sig, &sig_len, err) < 0) {
		free(out);
		return -1;
	}
	if (sig_len > 2048) {
		free(sig);
		free(out);
		return tl_error_set(err, TL_ERR_LIMIT, "signature too long");
	}
	out[hl + 1 + pl] = '.';
	tl_b64url_encode(sig, sig_len, out + hl + 1 + pl + 1);
	free(sig);
	*token = out;
	return 0;
}

struct sign_ctx {
	const struct tl_jose_key *key;
	enum tl_jose_alg alg;
	bool der;
};

static int
sign_cb(const void *ctx, const void *data, size_t len, unsigned char **sig, size_t *sig_len,
	struct tl_error *err)
{
	const struct sign_ctx *c = ctx;
	return sign_asym(c->key, c->alg, data, len, c->der, sig, sig_len, err);
}

json_t *
tl_jws_header_new(const struct tl_jose_key *key, enum tl_jose_alg alg, unsigned flags,
		  struct tl_error *err)
{
	json_t *h = json_object();
	int bad = 0;

	if (!h || !tl_jose_alg_name(alg)) {
		json_decref(h);
		tl_error_set(err, h ? TL_ERR_INVALID : TL_ERR_NOMEM, "cannot build header");
		return NULL;
	}
	if (flags & TL_JWS_HEADER_TYP)
		bad |= json_object_set_new(h, "typ", json_string("JWT"));
	bad |= json_object_set_new(h, "alg", json_string(tl_jose_alg_name(alg)));
	if ((flags & TL_JWS_HEADER_X5T) && tl_jose_key_x5t(key))
		bad |= json_object_set_new(h, "x5t", json_string(tl_jose_key_x5t(key)));
	if ((flags & TL_JWS_HEADER_KID) && tl_jose_key_kid(key))
		bad |= json_object_set_new(h, "kid", json_string(tl_jose_key_kid(key)));
	if (bad) {
		json_decref(h);
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	return h;
}

int
tl_jws_sign(const struct tl_jose_key *key, enum tl_jose_alg alg, const json_t *header,
	    const json_t *claims, char **token, struct tl_error *err)
{
	struct sign_ctx ctx = {key, alg, false};
	const char *halg = json_string_value(json_object_get(header, "alg"));
	const char *why;
	char *h = NULL, *p = NULL;
	int rc;

	if (!json_is_object(header) || !json_is_object(claims))
		return tl_error_set(err, TL_ERR_INVALID, "header and claims must be objects");
	if (!halg || !tl_jose_alg_name(alg) || strcmp(halg, tl_jose_alg_name(alg)) != 0)
		return tl_error_set(err, TL_ERR_INVALID, "the header's alg must be \"%s\"",
				    tl_jose_alg_name(alg) ? tl_jose_alg_name(alg) : "(invalid)");
	if (!tl_jose_key_fits(key, alg, &why))
		return tl_error_set(err, TL_ERR_INVALID, "%s does not fit the key (%s)",
				    tl_jose_alg_name(alg), why);
	h = json_dumps(header, JSON_COMPACT);
	p = json_dumps(claims, JSON_COMPACT);
	if (!h || !p) {
		free(h);
		free(p);
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	}
	rc = assemble(h, strlen(h), p, strlen(p), sign_cb, &ctx, token, err);
	free(h);
	free(p);
	return rc;
}

/* --- forge ---------------------------------------------------------------- */

struct hmac_ctx {
	const EVP_MD *md;
	const void *secret;
	size_t len;
};

static int
hmac_cb(const void *ctx, const void *data, size_t len, unsigned char **sig, size_t *sig_len,
	struct tl_error *err)
{
	const struct hmac_ctx *c = ctx;
	static const unsigned char empty[1];
	unsigned char *out = malloc(EVP_MAX_MD_SIZE);
	unsigned int n = 0;

	if (!out)
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	if (!HMAC(c->md, c->len ? c->secret : empty, (int)c->len, data, len, out, &n)) {
		free(out);
		ERR_clear_error();
		return tl_error_set(err, TL_ERR_CRYPTO, "HMAC failed");
	}
	*sig = out;
	*sig_len = n;
	return 0;
}

static int
none_cb(const void *ctx, const void *data, size_t len, unsigned char **sig, size_t *sig_len,
	struct tl_error *err)
{
	(void)ctx;
	(void)data;
	(void)len;
	*sig = malloc(1);
	*sig_len = 0;
	return *sig ? 0 : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
}

int
tl_jws_forge(const struct tl_jws_forge *f, char **token, struct tl_error *err)
{
	enum tl_jose_alg alg = tl_jose_alg_from_name(f->alg);

	if (!f->alg || strcmp(f->alg, "none") == 0)
		return assemble(f->header, f->header_len, f->payload, f->payload_len, none_cb, NULL,
				token, err);
	if (strncmp(f->alg, "HS", 2) == 0) {
		struct hmac_ctx c = {NULL, f->hmac_secret, f->hmac_secret_len};
		if (strcmp(f->alg, "HS256") == 0)
			c.md = EVP_sha256();
		else if (strcmp(f->alg, "HS384") == 0)
			c.md = EVP_sha384();
		else if (strcmp(f->alg, "HS512") == 0)
			c.md = EVP_sha512();
		else
			return tl_error_set(err, TL_ERR_INVALID, "unknown HMAC '%s'", f->alg);
		return assemble(f->header, f->header_len, f->payload, f->payload_len, hmac_cb, &c,
				token, err);
	}
	if (alg == TL_JOSE_ALG_INVALID || !f->key)
		return tl_error_set(err, TL_ERR_INVALID, "cannot forge with alg '%s'%s", f->alg,
				    f->key ? "" : " without a key");
	struct sign_ctx c = {f->key, alg, f->der_ecdsa};
	return assemble(f->header, f->header_len, f->payload, f->payload_len, sign_cb, &c, token,
			err);
}

/* --- verification --------------------------------------------------------- */

static enum tl_jws_reason fail(struct tl_jws_result *res, enum tl_jws_reason r, const char *fmt,
			       ...) TL_PRINTF(3, 4);

static enum tl_jws_reason
fail(struct tl_jws_result *res, enum tl_jws_reason r, const char *fmt, ...)
{
	int n;

	res->reason = r;
	n = snprintf(res->message, sizeof res->message, "%s", reasons[r].message);
	if (fmt && n >= 0 && (size_t)n + 2 < sizeof res->message) {
		va_list ap;
		memcpy(res->message + n, ": ", 3);
		va_start(ap, fmt);
		vsnprintf(res->message + n + 2, sizeof res->message - (size_t)n - 2, fmt, ap);
		va_end(ap);
	}
	return r;
}

static enum tl_jws_reason
b64_reason(enum tl_b64url_status s)
{
	switch (s) {
	case TL_B64URL_ALPHABET:
		return TL_JWS_B64_ALPHABET;
	case TL_B64URL_PADDING:
		return TL_JWS_B64_PADDING;
	case TL_B64URL_LENGTH:
		return TL_JWS_B64_LENGTH;
	default:
		return TL_JWS_B64_NONCANONICAL;
	}
}

/* Header names refused outright (RFC 7515 §4.1; reliability.md §1.9 step 4). */
static const struct {
	const char *name;
	enum tl_jws_reason reason;
} refused_members[] = {
	{"crit", TL_JWS_HEADER_CRIT}, {"jku", TL_JWS_HEADER_JKU}, {"x5u", TL_JWS_HEADER_X5U},
	{"jwk", TL_JWS_HEADER_JWK},   {"x5c", TL_JWS_HEADER_X5C}, {"cty", TL_JWS_HEADER_CTY},
};

static enum tl_jws_reason
check_alg(const json_t *header, const struct tl_jws_expect *e, struct tl_jws_result *res)
{
	const json_t *v = json_object_get(header, "alg");
	const char *name;
	enum tl_jose_alg alg;
	unsigned allowed = e->algs ? e->algs : TL_JOSE_ALGS_ALL;

	if (!v)
		return fail(res, TL_JWS_ALG_MISSING, NULL);
	if (!json_is_string(v))
		return fail(res, TL_JWS_ALG_TYPE, "found %s", tl_json_type_name(v));
	name = json_string_value(v);
	if (strcasecmp(name, "none") == 0)
		return fail(res, TL_JWS_ALG_NONE, "alg \"%.32s\"", name);
	alg = tl_jose_alg_from_name(name);
	if (alg != TL_JOSE_ALG_INVALID) {
		if (!(allowed & TL_JOSE_ALG_BIT(alg)))
			return fail(res, TL_JWS_ALG_NOT_ALLOWED, "%s", name);
		res->alg = alg;
		return TL_JWS_OK;
	}
	if (strncasecmp(name, "HS", 2) == 0)
		return fail(res, TL_JWS_ALG_HMAC, "alg \"%.32s\"", name);
	for (int a = 1; a < TL_JOSE_ALG_COUNT; a++)
		if (strcasecmp(name, tl_jose_alg_name((enum tl_jose_alg)a)) == 0)
			return fail(res, TL_JWS_ALG_CASE, "\"%.32s\" is not \"%s\"", name,
				    tl_jose_alg_name((enum tl_jose_alg)a));
	return fail(res, TL_JWS_ALG_UNKNOWN, "alg \"%.32s\"", name);
}

static enum tl_jws_reason
check_header(const json_t *header, const struct tl_jws_expect *e, struct tl_jws_result *res)
{
	const json_t *v;

	if (check_alg(header, e, res) != TL_JWS_OK)
		return res->reason;
	for (size_t i = 0; i < sizeof refused_members / sizeof refused_members[0]; i++)
		if (json_object_get(header, refused_members[i].name))
			return fail(res, refused_members[i].reason, NULL);
	v = json_object_get(header, "typ");
	if (v && (!json_is_string(v) || strcmp(json_string_value(v), "JWT") != 0))
		return fail(res, TL_JWS_TYP_INVALID, "%s%.32s%s", json_is_string(v) ? "\"" : "a ",
			    json_is_string(v) ? json_string_value(v) : tl_json_type_name(v),
			    json_is_string(v) ? "\"" : "");
	v = json_object_get(header, "kid");
	if (v) {
		const char *kid = json_string_value(v);
		size_t n = kid ? json_string_length(v) : 0;
		if (!kid)
			return fail(res, TL_JWS_KID_INVALID, "found %s", tl_json_type_name(v));
		if (n == 0 || n > 256)
			return fail(res, TL_JWS_KID_INVALID, "%zu bytes", n);
		for (size_t i = 0; i < n; i++)
			if (kid[i] < 0x20 || kid[i] > 0x7e)
				return fail(res, TL_JWS_KID_INVALID, "byte %zu is not printable",
					    i);
	}
	return TL_JWS_OK;
}

static enum tl_jws_reason
select_key(const json_t *header, const struct tl_jwks *jwks, const struct tl_jws_expect *e,
	   struct tl_jws_result *res)
{
	const char *kid = json_string_value(json_object_get(header, "kid"));
	const struct tl_jose_key *key;
	const char *why, *use;

	if (!jwks)
		return fail(res, TL_JWS_JWKS_EMPTY, "no JWKS");
	if (kid) {
		enum tl_jwks_reject rej = 0;
		const char *msg = NULL;
		key = tl_jwks_find(jwks, kid, &rej, &msg);
		if (!key) {
			switch (rej) {
			case TL_JWKS_REJECT_WEAK:
				return fail(res, TL_JWS_KEY_TOO_SMALL, "%s", msg);
			case TL_JWKS_REJECT_USE:
				return fail(res, TL_JWS_KEY_USE, "%s", msg);
			case TL_JWKS_REJECT_DUPLICATE:
				return fail(res, TL_JWS_KID_AMBIGUOUS, "%s", msg);
			case TL_JWKS_REJECT_INVALID:
			case TL_JWKS_REJECT_PRIVATE:
				return fail(res, TL_JWS_KEY_UNUSABLE, "%s", msg);
			}
			return fail(res, TL_JWS_KID_UNKNOWN,
				    "kid \"%.64s\" (the JWKS has %zu keys)", kid,
				    tl_jwks_count(jwks));
		}
	} else if (tl_jwks_count(jwks) == 0) {
		return fail(res, TL_JWS_JWKS_EMPTY, NULL);
	} else if (tl_jwks_count(jwks) == 1 && e->allow_kidless_single_key) {
		key = tl_jwks_get(jwks, 0);
	} else {
		return fail(res, TL_JWS_KID_MISSING, "the JWKS has %zu key%s", tl_jwks_count(jwks),
			    tl_jwks_count(jwks) == 1 ? "" : "s");
	}
	res->key = key;
	use = tl_jose_key_use(key);
	if (use && strcmp(use, "sig") != 0)
		return fail(res, TL_JWS_KEY_USE, "use \"%.16s\"", use);
	if (!tl_jose_key_fits(key, res->alg, &why)) {
		const char *kname = tl_jose_key_kty(key) == TL_JOSE_KTY_RSA ? "RSA" : "EC";
		if (strcmp(why, "kty") == 0)
			return fail(res, TL_JWS_KEY_TYPE, "%s with an %s key",
				    tl_jose_alg_name(res->alg), kname);
		if (strcmp(why, "curve") == 0)
			return fail(res, TL_JWS_KEY_CURVE, "%s needs %s, the key is %s",
				    tl_jose_alg_name(res->alg), tl_jose_alg_curve(res->alg),
				    tl_jose_key_curve(key));
		if (strcmp(why, "size") == 0)
			return fail(res, TL_JWS_KEY_TOO_SMALL, "%u bits", tl_jose_key_bits(key));
		return fail(res, TL_JWS_KEY_ALG, "token %s, key %s", tl_jose_alg_name(res->alg),
			    tl_jose_alg_name(tl_jose_key_alg(key)));
	}
	return TL_JWS_OK;
}

/* A NumericDate as trustlab accepts it: an integer in (0, 2^53). */
static enum tl_jws_reason
numeric_date(const json_t *claims, const char *name, int64_t *out, enum tl_jws_reason type,
	     enum tl_jws_reason range, struct tl_jws_result *res)
{
	const json_t *v = json_object_get(claims, name);
	json_int_t n;

	if (!json_is_integer(v))
		return fail(res, type, "found %s", tl_json_type_name(v));
	n = json_integer_value(v);
	if (n <= 0 || n >= MAX_SAFE_INT)
		return fail(res, range, "%s = %lld", name, (long long)n);
	*out = (int64_t)n;
	return TL_JWS_OK;
}

static enum tl_jws_reason
check_claims(const json_t *claims, const struct tl_jws_expect *e, const struct tl_clock *clock,
	     struct tl_jws_result *res)
{
	const json_t *v;
	int64_t now = tl_clock_now(clock), skew = e->skew_seconds > 0 ? e->skew_seconds : 0;
	int64_t exp = 0, nbf = 0, iat = 0;
	bool has_nbf, has_iat;

	/* iss: routing to the provider comes first (DESIGN.md §6). */
	v = json_object_get(claims, "iss");
	if (!v)
		return fail(res, TL_JWS_ISS_MISSING, NULL);
	if (!json_is_string(v) || json_string_length(v) == 0)
		return fail(res, TL_JWS_ISS_TYPE, "found %s", tl_json_type_name(v));
	if (e->issuer && (json_string_length(v) != strlen(e->issuer) ||
			  memcmp(json_string_value(v), e->issuer, strlen(e->issuer)) != 0))
		return fail(res, TL_JWS_ISS_MISMATCH, "\"%.128s\", expected \"%.128s\"",
			    json_string_value(v), e->issuer);

	v = json_object_get(claims, "aud");
	if (!v)
		return fail(res, TL_JWS_AUD_MISSING, NULL);
	if (json_is_string(v)) {
		if (e->audience && strcmp(json_string_value(v), e->audience) != 0)
			return fail(res, TL_JWS_AUD_MISMATCH, "\"%.128s\", expected \"%.128s\"",
				    json_string_value(v), e->audience);
	} else if (json_is_array(v) && json_array_size(v) > 0) {
		bool found = false;
		size_t i;
		const json_t *a;
		json_array_foreach(v, i, a)
		{
			if (!json_is_string(a))
				return fail(res, TL_JWS_AUD_TYPE, "aud[%zu] is %s", i,
					    tl_json_type_name(a));
			if (e->audience && strcmp(json_string_value(a), e->audience) == 0)
				found = true;
		}
		if (e->audience && !found)
			return fail(res, TL_JWS_AUD_MISMATCH, "none of %zu values is \"%.128s\"",
				    json_array_size(v), e->audience);
		if (e->audience && e->require_azp_for_many_aud && json_array_size(v) > 1) {
			const char *azp = json_string_value(json_object_get(claims, "azp"));
			if (!azp || strcmp(azp, e->audience) != 0)
				return fail(res, TL_JWS_AZP_MISMATCH, "azp \"%.128s\"",
					    azp ? azp : "(missing)");
		}
	} else {
		return fail(res, TL_JWS_AUD_TYPE, "found %s%s", tl_json_type_name(v),
			    json_is_array(v) ? " (empty)" : "");
	}

	v = json_object_get(claims, "sub");
	if (!v) {
		if (!e->allow_missing_sub)
			return fail(res, TL_JWS_SUB_MISSING, NULL);
	} else if (!json_is_string(v)) {
		return fail(res, TL_JWS_SUB_TYPE, "found %s", tl_json_type_name(v));
	} else if (json_string_length(v) == 0 || json_string_length(v) > TL_JWS_MAX_SUB) {
		return fail(res, TL_JWS_SUB_LENGTH, "%zu bytes", json_string_length(v));
	}

	if (!json_object_get(claims, "exp"))
		return fail(res, TL_JWS_EXP_MISSING, NULL);
	if (numeric_date(claims, "exp", &exp, TL_JWS_EXP_TYPE, TL_JWS_EXP_RANGE, res))
		return res->reason;
	has_nbf = json_object_get(claims, "nbf") != NULL;
	if (has_nbf && numeric_date(claims, "nbf", &nbf, TL_JWS_NBF_TYPE, TL_JWS_NBF_RANGE, res))
		return res->reason;
	has_iat = json_object_get(claims, "iat") != NULL;
	if (!has_iat && !e->allow_missing_iat)
		return fail(res, TL_JWS_IAT_MISSING, NULL);
	if (has_iat && numeric_date(claims, "iat", &iat, TL_JWS_IAT_TYPE, TL_JWS_IAT_RANGE, res))
		return res->reason;

	/* Valid while now < exp + skew; all values < 2^53, so no overflow. */
	if (now - skew >= exp)
		return fail(res, TL_JWS_EXPIRED,
			    "current date/time %lld must be before the expiration date/time %lld "
			    "(leeway %lld s)",
			    (long long)now, (long long)exp, (long long)skew);
	if (has_nbf && nbf > now + skew)
		return fail(res, TL_JWS_NBF_FUTURE, "nbf %lld, now %lld (leeway %lld s)",
			    (long long)nbf, (long long)now, (long long)skew);
	if (has_iat && iat > now + skew)
		return fail(res, TL_JWS_IAT_FUTURE, "iat %lld, now %lld (leeway %lld s)",
			    (long long)iat, (long long)now, (long long)skew);
	if (has_iat && e->max_age_seconds > 0 && now - iat > e->max_age_seconds)
		return fail(res, TL_JWS_IAT_TOO_OLD, "Token too old: %lld s (limit %lld s)",
			    (long long)(now - iat), (long long)e->max_age_seconds);
	return TL_JWS_OK;
}

static enum tl_jws_reason
load_part(const unsigned char *text, size_t len, bool is_header, json_t **out,
	  struct tl_jws_result *res)
{
	const struct tl_json_limits limits = {
		.max_bytes = is_header ? TL_JWS_MAX_HEADER : TL_JWS_MAX_PAYLOAD,
		.max_depth = TL_JWS_MAX_DEPTH,
	};
	struct tl_error err;
	json_t *v;

	tl_error_clear(&err);
	v = tl_json_load((const char *)text, len, &limits, is_header ? "header" : "claims", &err);
	if (!v) {
		/* lib/json reports jansson's allocation failures as syntax errors */
		if (err.code == TL_ERR_NOMEM || strstr(err.message, "out of memory"))
			return fail(res, TL_JWS_INTERNAL, "out of memory");
		if (err.code == TL_ERR_LIMIT)
			return fail(res,
				    is_header ? TL_JWS_HEADER_TOO_DEEP : TL_JWS_PAYLOAD_TOO_DEEP,
				    "%s", err.message);
		/* A scalar top level is valid JSON, just not an object. */
		v = json_loadb((const char *)text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
			       NULL);
		if (v) {
			/* An object now means the first parse failed for want of
			 * memory, whatever jansson's message said. */
			if (json_is_object(v))
				fail(res, TL_JWS_INTERNAL, "JSON parser failed: %s", err.message);
			else
				fail(res,
				     is_header ? TL_JWS_HEADER_NOT_OBJECT
					       : TL_JWS_PAYLOAD_NOT_OBJECT,
				     "found %s", tl_json_type_name(v));
			json_decref(v);
			return res->reason;
		}
		if (strstr(err.message, "duplicate"))
			return fail(res,
				    is_header ? TL_JWS_HEADER_DUPLICATE : TL_JWS_PAYLOAD_DUPLICATE,
				    "%s", err.message);
		return fail(res, is_header ? TL_JWS_HEADER_JSON : TL_JWS_PAYLOAD_JSON, "%s",
			    err.message);
	}
	if (!json_is_object(v)) {
		fail(res, is_header ? TL_JWS_HEADER_NOT_OBJECT : TL_JWS_PAYLOAD_NOT_OBJECT,
		     "found %s", tl_json_type_name(v));
		json_decref(v);
		return res->reason;
	}
	*out = v;
	return TL_JWS_OK;
}

enum tl_jws_reason
tl_jws_verify(const char *token, size_t len, const struct tl_jwks *jwks,
	      const struct tl_jws_expect *expect, const struct tl_clock *clock,
	      struct tl_jws_result *res)
{
	static const char *const part_names[] = {"header", "payload", "signature"};
	struct tl_jws_expect strictest;
	size_t start[3], plen[3], dots = 0;
	unsigned char *dec[3] = {NULL, NULL, NULL};
	size_t dlen[3] = {0, 0, 0};
	char detail[128] = "";
	enum tl_jws_reason r;

	memset(res, 0, sizeof *res);
	if (!expect) {
		memset(&strictest, 0, sizeof strictest);
		expect = &strictest;
	}
	/* 1. Size and bytes, before anything else looks at the text. */
	if (!token || len == 0)
		return fail(res, TL_JWS_TOKEN_EMPTY, NULL);
	if (len > TL_JWS_MAX_TOKEN)
		return fail(res, TL_JWS_TOKEN_TOO_LONG, "%zu characters", len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)token[i];
		if (c <= 0x20 || c >= 0x7f)
			return fail(res, TL_JWS_TOKEN_CHARSET, "byte 0x%02x at offset %zu", c, i);
		if (c == '.')
			dots++;
	}
	/* 2. Exactly three canonical base64url parts. */
	if (dots != 2)
		return fail(res, TL_JWS_TOKEN_SEGMENTS, "%zu parts", dots + 1);
	start[0] = 0;
	plen[0] = (size_t)((const char *)memchr(token, '.', len) - token);
	start[1] = plen[0] + 1;
	plen[1] = (size_t)((const char *)memchr(token + start[1], '.', len - start[1]) -
			   (token + start[1]));
	start[2] = start[1] + plen[1] + 1;
	plen[2] = len - start[2];
	for (int p = 0; p < 3; p++)
		if (plen[p] == 0)
			return fail(res, TL_JWS_SEGMENT_EMPTY, "the %s", part_names[p]);
	if (tl_b64url_decoded_len(plen[0]) > TL_JWS_MAX_HEADER)
		return fail(res, TL_JWS_HEADER_TOO_LARGE, "%zu bytes, limit %d",
			    tl_b64url_decoded_len(plen[0]), TL_JWS_MAX_HEADER);
	if (tl_b64url_decoded_len(plen[1]) > TL_JWS_MAX_PAYLOAD)
		return fail(res, TL_JWS_PAYLOAD_TOO_LARGE, "%zu bytes, limit %d",
			    tl_b64url_decoded_len(plen[1]), TL_JWS_MAX_PAYLOAD);
	for (int p = 0; p < 3; p++) {
		size_t bad = 0;
		enum tl_b64url_status s;
		dec[p] = malloc(tl_b64url_decoded_len(plen[p]) + 1);
		if (!dec[p]) {
			r = fail(res, TL_JWS_INTERNAL, "out of memory");
			goto out;
		}
		s = tl_b64url_decode(token + start[p], plen[p], dec[p], &dlen[p], &bad);
		if (s != TL_B64URL_OK) {
			r = fail(res, b64_reason(s), "the %s, character %zu", part_names[p], bad);
			goto out;
		}
	}
	/* 3. Header: strict JSON object, then policy. */
	r = load_part(dec[0], dlen[0], true, &res->header, res);
	if (r != TL_JWS_OK)
		goto out;
	r = check_header(res->header, expect, res);
	if (r != TL_JWS_OK)
		goto out;
	/* 4. Key by kid; algorithm must fit it. */
	r = select_key(res->header, jwks, expect, res);
	if (r != TL_JWS_OK)
		goto out;
	/* 5. Signature over the exact received text. */
	r = verify_asym(res->key, res->alg, token, start[2] - 1, dec[2], dlen[2], detail,
			sizeof detail);
	if (r != TL_JWS_OK) {
		fail(res, r, "%s", detail[0] ? detail : "verification error");
		goto out;
	}
	/* 6. Claims, only from a verified payload. */
	r = load_part(dec[1], dlen[1], false, &res->claims, res);
	if (r != TL_JWS_OK)
		goto out;
	r = check_claims(res->claims, expect, clock, res);
	if (r != TL_JWS_OK)
		goto out;
	r = fail(res, TL_JWS_OK, NULL);
out:
	for (int p = 0; p < 3; p++)
		free(dec[p]);
	return r;
}

enum tl_jws_reason
tl_jws_decode_unverified(const char *token, size_t len, struct tl_jws_result *res)
{
	struct tl_jws_expect e;
	enum tl_jws_reason r;
	const char *a, *b;
	unsigned char *dec;
	size_t dlen;

	tl_jws_expect_init(&e);
	/* Without keys the verifier stops right after the syntax and header
	 * checks, at "jwks-empty": everything before passed. */
	r = tl_jws_verify(token, len, NULL, &e, NULL, res);
	if (r != TL_JWS_JWKS_EMPTY)
		return r;
	a = memchr(token, '.', len);
	b = memchr(a + 1, '.', len - (size_t)(a + 1 - token));
	dec = tl_b64url_decode_alloc(a + 1, (size_t)(b - a - 1), &dlen, NULL);
	if (!dec)
		return fail(res, TL_JWS_INTERNAL, "out of memory");
	r = load_part(dec, dlen, false, &res->claims, res);
	free(dec);
	if (r != TL_JWS_OK)
		return r;
	res->reason = TL_JWS_OK;
	snprintf(res->message, sizeof(res->message), "decoded, NOT verified");
	return TL_JWS_OK;
}
