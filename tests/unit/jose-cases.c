/* SPDX-License-Identifier: MIT */
/*
 * Builds the cases of the token corpus tests/data/tokens (the format is
 * described in test-jose-corpus.c): the committed keys, the standard JWKS,
 * and for one case file its token, JWKS, verifier settings and clock.
 * Shared by test-jose-corpus.c (every case's verdict) and
 * test-jose-differential.c (mutants of every case).
 */
#include "config.h"

#include <dirent.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jose-cases.h"
#include "jose/base64url.h"
#include "json/json.h"

#define MAX_KEYS 32

static const char *cases_keys_dir;

static struct {
	char name[64];
	struct tl_jose_key *key;
} keys[MAX_KEYS];
static int key_count;
static struct tl_jwks *default_jwks;

/* Keys of the default JWKS: every usable kind plus a weak one, by kid = stem. */
static const char *const default_jwks_keys[] = {"rsa2048", "rsa3072", "rsa4096", "p256",
						"p384",	   "p521",    "rsa1024"};

static struct tl_jose_key *
key_named(const char *name)
{
	for (int i = 0; i < key_count; i++)
		if (strcmp(keys[i].name, name) == 0)
			return keys[i].key;
	return NULL;
}

static json_t *
jwks_doc(const json_t *names, struct tl_error *err)
{
	json_t *arr = json_array();
	size_t i;
	json_t *n;

	json_array_foreach(names, i, n)
	{
		struct tl_jose_key *k = key_named(json_string_value(n));
		json_t *jwk;
		if (!k) {
			tl_error_set(err, TL_ERR_NOT_FOUND, "no key '%s'", json_string_value(n));
			json_decref(arr);
			return NULL;
		}
		jwk = tl_jose_key_to_jwk(k, err);
		ck_assert_ptr_nonnull(jwk);
		json_object_set_new(jwk, "kid", json_string(json_string_value(n)));
		json_array_append_new(arr, jwk);
	}
	return json_pack("{so}", "keys", arr);
}

void
jose_cases_setup(const char *keys_dir)
{
	struct tl_error err;
	DIR *d;
	struct dirent *de;
	json_t *names, *doc;

	ck_assert_msg(keys_dir != NULL, "no keys directory");
	cases_keys_dir = keys_dir;
	d = opendir(keys_dir);
	ck_assert_msg(d != NULL, "cannot open %s", keys_dir);
	while ((de = readdir(d)) && key_count < MAX_KEYS) {
		char path[1024];
		size_t n = strlen(de->d_name);
		if (n < 5 || strcmp(de->d_name + n - 4, ".pem") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", keys_dir, de->d_name);
		tl_error_clear(&err);
		keys[key_count].key = tl_jose_key_load_file(path, &err);
		if (!keys[key_count].key) {
			/* k256 (secp256k1) is not a supported curve: only its absence is tested. */
			continue;
		}
		snprintf(keys[key_count].name, sizeof keys[key_count].name, "%.*s", (int)(n - 4),
			 de->d_name);
		key_count++;
	}
	closedir(d);
	names = json_array();
	for (size_t i = 0; i < sizeof default_jwks_keys / sizeof default_jwks_keys[0]; i++)
		json_array_append_new(names, json_string(default_jwks_keys[i]));
	tl_error_clear(&err);
	doc = jwks_doc(names, &err);
	ck_assert_msg(doc != NULL, "default JWKS: %s", err.message);
	default_jwks = tl_jwks_parse(doc, &err);
	ck_assert_msg(default_jwks != NULL, "default JWKS: %s", err.message);
	/* rsa1024 is set aside as weak, so it yields "key-too-small". */
	ck_assert_uint_eq(tl_jwks_count(default_jwks), 6);
	json_decref(doc);
	json_decref(names);
}

void
jose_cases_teardown(void)
{
	tl_jwks_free(default_jwks);
	default_jwks = NULL;
	for (int i = 0; i < key_count; i++)
		tl_jose_key_free(keys[i].key);
	key_count = 0;
}

static json_t *
default_claims(void)
{
	return json_pack(
		"{ss ss ss ss sI sI sI}", "iss", "https://token.actions.githubusercontent.com",
		"sub", "repo:octo-org/octo-repo:ref:refs/heads/main", "aud", "sts.amazonaws.com",
		"repository", "octo-org/octo-repo", "nbf", (json_int_t)(JOSE_CASES_NOW - 660),
		"iat", (json_int_t)(JOSE_CASES_NOW - 60), "exp",
		(json_int_t)(JOSE_CASES_NOW + 240));
}

static void
apply_set_del(json_t *obj, const json_t *set, const json_t *del)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)set, k, v)
	{
		json_object_set(obj, k, v);
	}
	json_array_foreach(del, i, v)
	{
		json_object_del(obj, json_string_value(v));
	}
}

static unsigned char *
hex_decode(const char *hex, size_t *len)
{
	size_t n = strlen(hex) / 2;
	unsigned char *out = malloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (unsigned char)v;
	}
	*len = n;
	return out;
}

static char *
read_text(const char *dir, const char *name, size_t *len)
{
	char path[1024];
	FILE *f;
	char *buf = malloc(65536);

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	*len = fread(buf, 1, 65535, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* Builds the token a case describes (without "mutate"). Caller frees. */
char *
jose_case_build_token(const char *name, const json_t *c)
{
	struct tl_error err;
	struct tl_jws_forge f = {0};
	const char *sign_with = json_string_value(json_object_get(c, "sign_with"));
	const char *alg = json_string_value(json_object_get(c, "alg"));
	const json_t *v;
	json_t *header, *claims;
	char *h = NULL, *p = NULL, *secret = NULL, *token = NULL;
	size_t h_len = 0;
	unsigned char *pbytes = NULL;

	if (!sign_with)
		sign_with = "rsa2048";
	f.key = key_named(sign_with);
	ck_assert_msg(f.key != NULL, "case %s: no key '%s'", name, sign_with);
	if (!alg && (v = json_object_get(c, "header")))
		alg = json_string_value(json_object_get(v, "alg"));
	if (!alg && (v = json_object_get(c, "header_set")))
		alg = json_string_value(json_object_get(v, "alg"));
	if (!alg)
		alg = tl_jose_alg_name(tl_jose_key_default_alg(f.key));
	f.alg = alg;
	f.der_ecdsa = json_is_true(json_object_get(c, "der_ecdsa"));

	/* header */
	if ((v = json_object_get(c, "header_raw"))) {
		h = strdup(json_string_value(v));
	} else if ((v = json_object_get(c, "header_hex"))) {
		size_t n;
		unsigned char *b = hex_decode(json_string_value(v), &n);
		h = (char *)b;
		h[n] = '\0';
		h_len = n;
	} else {
		if ((v = json_object_get(c, "header")))
			header = json_deep_copy(v);
		else
			header =
				json_pack("{ss ss ss}", "typ", "JWT", "alg", alg, "kid", sign_with);
		apply_set_del(header, json_object_get(c, "header_set"),
			      json_object_get(c, "header_del"));
		h = json_dumps(header, JSON_COMPACT);
		json_decref(header);
	}
	f.header = h;
	f.header_len = h_len ? h_len : strlen(h);

	/* payload */
	if ((v = json_object_get(c, "payload_raw"))) {
		f.payload = json_string_value(v);
		f.payload_len = json_string_length(v);
	} else if ((v = json_object_get(c, "payload_hex"))) {
		pbytes = hex_decode(json_string_value(v), &f.payload_len);
		f.payload = pbytes;
	} else {
		if ((v = json_object_get(c, "claims")))
			claims = json_deep_copy(v);
		else
			claims = default_claims();
		apply_set_del(claims, json_object_get(c, "claims_set"),
			      json_object_get(c, "claims_del"));
		if ((v = json_object_get(c, "filler"))) {
			size_t n = (size_t)json_integer_value(json_object_get(v, "bytes"));
			char *s = malloc(n + 1);
			memset(s, 'a', n);
			s[n] = '\0';
			json_object_set_new(claims, json_string_value(json_object_get(v, "claim")),
					    json_string(s));
			free(s);
		}
		p = json_dumps(claims, JSON_COMPACT);
		json_decref(claims);
		f.payload = p;
		f.payload_len = strlen(p);
	}

	/* HMAC secrets for the confusion cases */
	if ((v = json_object_get(c, "hmac_secret"))) {
		f.hmac_secret = json_string_value(v);
		f.hmac_secret_len = json_string_length(v);
	} else if ((v = json_object_get(c, "hmac_secret_file"))) {
		size_t n;
		secret = read_text(cases_keys_dir, json_string_value(v), &n);
		f.hmac_secret = secret;
		f.hmac_secret_len = n;
	}

	tl_error_clear(&err);
	ck_assert_msg(tl_jws_forge(&f, &token, &err) == 0, "case %s: forge: %s", name, err.message);
	free(h);
	free(p);
	free(pbytes);
	free(secret);
	return token;
}

/* Start and length of part `n` (0..) of a compact string. */
void
jose_case_part_span(const char *t, int n, size_t *start, size_t *len)
{
	size_t s = 0;
	for (int i = 0; i < n; i++) {
		const char *dot = strchr(t + s, '.');
		ck_assert_msg(dot != NULL, "no part %d in token", n);
		s = (size_t)(dot - t) + 1;
	}
	*start = s;
	*len = strcspn(t + s, ".");
}

char *
jose_case_splice(char *t, size_t at, size_t remove, const char *insert)
{
	size_t n = strlen(t), il = strlen(insert);
	char *out = malloc(n - remove + il + 1);
	memcpy(out, t, at);
	memcpy(out + at, insert, il);
	memcpy(out + at + il, t + at + remove, n - at - remove + 1);
	free(t);
	return out;
}

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/*
 * Replaces the S half of a raw ECDSA signature (part 2 at s, l) by n - S:
 * the other valid signature of the same message (reference/reliability.md
 * §2.3 S7, ECDSA malleability).
 */
static char *
high_s(const char *name, char *t, size_t s, size_t l, const char *curve)
{
	int nid = strcmp(curve, "P-256") == 0	? NID_X9_62_prime256v1
		  : strcmp(curve, "P-384") == 0 ? NID_secp384r1
						: NID_secp521r1;
	EC_GROUP *group = EC_GROUP_new_by_curve_name(nid);
	unsigned char sig[132];
	size_t n = 0, half;
	BIGNUM *bs;
	char enc[200];

	ck_assert_msg(group != NULL, "case %s: curve %s", name, curve);
	ck_assert_int_eq(tl_b64url_decode(t + s, l, sig, &n, NULL), TL_B64URL_OK);
	half = n / 2;
	bs = BN_bin2bn(sig + half, (int)half, NULL);
	BN_sub(bs, EC_GROUP_get0_order(group), bs);
	BN_bn2binpad(bs, sig + half, (int)half);
	BN_free(bs);
	EC_GROUP_free(group);
	tl_b64url_encode(sig, n, enc);
	return jose_case_splice(t, s, l, enc);
}

static char *
mutate(const char *name, char *t, const json_t *op)
{
	const char *o = json_string_value(json_object_get(op, "op"));
	const char *text = json_string_value(json_object_get(op, "text"));
	int part = (int)json_integer_value(json_object_get(op, "part"));
	json_int_t at = json_integer_value(json_object_get(op, "at"));
	size_t s, l;

	ck_assert_msg(o != NULL, "case %s: mutate op without 'op'", name);
	if (strcmp(o, "append") == 0)
		return jose_case_splice(t, strlen(t), 0, text);
	if (strcmp(o, "prepend") == 0)
		return jose_case_splice(t, 0, 0, text);
	jose_case_part_span(t, part, &s, &l);
	if (strcmp(o, "insert") == 0) {
		size_t pos = at < 0 ? l : (size_t)at;
		ck_assert_msg(pos <= l, "case %s: insert past the part", name);
		return jose_case_splice(t, s + pos, 0, text);
	}
	if (strcmp(o, "replace_part") == 0)
		return jose_case_splice(t, s, l, text);
	if (strcmp(o, "drop_part") == 0) {
		/* remove the part and the dot before it (or after it for part 0) */
		return part ? jose_case_splice(t, s - 1, l + 1, "")
			    : jose_case_splice(t, 0, l + 1, "");
	}
	if (strcmp(o, "truncate_part") == 0)
		return jose_case_splice(t, s + l - (size_t)at, (size_t)at, "");
	if (strcmp(o, "std_alphabet") == 0) {
		bool changed = false;
		for (size_t i = s; i < s + l; i++) {
			if (t[i] == '-' || t[i] == '_') {
				t[i] = t[i] == '-' ? '+' : '/';
				changed = true;
			}
		}
		ck_assert_msg(changed, "case %s: part %d has no '-' or '_'", name, part);
		return t;
	}
	if (strcmp(o, "noncanonical") == 0) {
		char *c = &t[s + l - 1];
		ck_assert_msg(l % 4 == 2 || l % 4 == 3, "case %s: part %d has no unused bits", name,
			      part);
		*c = b64chars[(strchr(b64chars, *c) - b64chars) ^ 1];
		return t;
	}
	if (strcmp(o, "flip") == 0) {
		size_t pos = s + (size_t)at;
		ck_assert_msg((size_t)at + 1 < l, "case %s: flip must not touch the last char",
			      name);
		t[pos] = t[pos] == 'A' ? 'B' : 'A';
		return t;
	}
	if (strcmp(o, "high_s") == 0)
		return high_s(name, t, s, l, json_string_value(json_object_get(op, "curve")));
	ck_abort_msg("case %s: unknown mutate op '%s'", name, o);
	return t;
}

static void
fill_expect(const json_t *c, struct tl_jws_expect *e)
{
	const json_t *x = json_object_get(c, "expect"), *v;

	tl_jws_expect_init(e);
	e->issuer = "https://token.actions.githubusercontent.com";
	e->audience = "sts.amazonaws.com";
	if (!x)
		return;
	if ((v = json_object_get(x, "issuer")))
		e->issuer = json_string_value(v);
	if ((v = json_object_get(x, "audience")))
		e->audience = json_string_value(v);
	if ((v = json_object_get(x, "skew")))
		e->skew_seconds = json_integer_value(v);
	if ((v = json_object_get(x, "max_age")))
		e->max_age_seconds = json_integer_value(v);
	if ((v = json_object_get(x, "allow_kidless_single_key")))
		e->allow_kidless_single_key = json_is_true(v);
	if ((v = json_object_get(x, "allow_missing_iat")))
		e->allow_missing_iat = json_is_true(v);
	if ((v = json_object_get(x, "allow_missing_sub")))
		e->allow_missing_sub = json_is_true(v);
	if ((v = json_object_get(x, "require_azp_for_many_aud")))
		e->require_azp_for_many_aud = json_is_true(v);
	if ((v = json_object_get(x, "algs"))) {
		size_t i;
		const json_t *a;
		e->algs = 0;
		json_array_foreach(v, i, a)
		{
			e->algs |= TL_JOSE_ALG_BIT(tl_jose_alg_from_name(json_string_value(a)));
		}
	}
}

const struct tl_jwks *
jose_cases_default_jwks(void)
{
	return default_jwks;
}

struct tl_jose_key *
jose_cases_key(const char *stem)
{
	return key_named(stem);
}

void
jose_case_load(const char *tokens_dir, const char *name, struct jose_case *jc)
{
	char path[1024];
	struct tl_error err;
	json_t *c, *v;
	char *token;

	memset(jc, 0, sizeof(*jc));
	jc->name = name;
	snprintf(path, sizeof path, "%s/%s", tokens_dir, name);
	tl_error_clear(&err);
	c = tl_json_load_file(path, NULL, &err);
	ck_assert_msg(c != NULL, "case %s: %s", name, err.message);
	jc->doc = c;
	jc->result = json_string_value(json_object_get(c, "result"));
	ck_assert_msg(jc->result != NULL, "case %s: no result", name);

	if ((v = json_object_get(c, "token"))) {
		token = strdup(json_string_value(v));
	} else {
		token = jose_case_build_token(name, c);
		if ((v = json_object_get(c, "signature_from"))) {
			json_t *c2 = json_deep_copy(c);
			const char *k;
			json_t *x;
			char *t2;
			size_t s1, l1, s2, l2;
			json_object_del(c2, "signature_from");
			json_object_foreach(v, k, x)
			{
				json_object_set(c2, k, x);
			}
			t2 = jose_case_build_token(name, c2);
			json_decref(c2);
			jose_case_part_span(token, 2, &s1, &l1);
			jose_case_part_span(t2, 2, &s2, &l2);
			t2[s2 + l2] = '\0';
			token = jose_case_splice(token, s1, l1, t2 + s2);
			free(t2);
		}
	}
	if ((v = json_object_get(c, "mutate"))) {
		size_t i;
		json_t *op;
		json_array_foreach(v, i, op)
		{
			token = mutate(name, token, op);
		}
	}
	jc->token = token;
	jc->len = strlen(token) + (json_is_true(json_object_get(c, "nul_suffix")) ? 1 : 0);

	jc->jwks = default_jwks;
	if ((v = json_object_get(c, "jwks"))) {
		json_t *doc = json_is_array(v) ? jwks_doc(v, &err) : json_incref(v);
		const json_t *set = json_object_get(c, "jwks_set");
		ck_assert_msg(doc != NULL, "case %s: jwks: %s", name, err.message);
		/* jwks_set: {"kid": {member: value}} edits the listed JWKs. */
		if (set) {
			size_t i;
			json_t *jwk;
			json_array_foreach(json_object_get(doc, "keys"), i, jwk)
			{
				const json_t *m = json_object_get(
					set, json_string_value(json_object_get(jwk, "kid")));
				if (m)
					json_object_update(jwk, (json_t *)m);
			}
		}
		jc->own_jwks = tl_jwks_parse(doc, &err);
		json_decref(doc);
		ck_assert_msg(jc->own_jwks != NULL, "case %s: jwks: %s", name, err.message);
		jc->jwks = jc->own_jwks;
	}
	fill_expect(c, &jc->expect);
	v = json_object_get(c, "now");
	tl_clock_init_pinned(&jc->clock, (v ? json_integer_value(v) : JOSE_CASES_NOW) * 1000);
}

void
jose_case_finish(struct jose_case *jc)
{
	tl_jwks_free(jc->own_jwks);
	free(jc->token);
	json_decref(jc->doc);
	memset(jc, 0, sizeof(*jc));
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
jose_cases_list(const char *tokens_dir, char **names, int max)
{
	DIR *d = tokens_dir ? opendir(tokens_dir) : NULL;
	struct dirent *de;
	int count = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && count < max) {
		size_t n = strlen(de->d_name);
		if (n > 5 && strcmp(de->d_name + n - 5, ".json") == 0)
			names[count++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, (size_t)count, sizeof names[0], cmp_str);
	return count;
}
