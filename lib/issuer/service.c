/* SPDX-License-Identifier: MIT */
/*
 * The issuer service: issuers, key sets with rotation, and the HTTP API.
 *
 * Concurrency: an issuer's keys are an immutable snapshot (struct keyset,
 * reference counted) that a handler takes under the issuer's mutex and
 * signs with outside it; rotation builds a new snapshot and swaps it in.
 * The JWKS text is rendered once per snapshot, so a JWKS request copies
 * bytes and nothing else. The job registry has its own lock.
 */
#include "config.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/clock.h"
#include "util/random.h"

#include "claims/claims.h"
#include "issuer/issuer-private.h"
#include "jose/jws.h"
#include "json/json.h"

#define MAX_KEYS 8
#define JOB_BUCKETS 256
/* Registered jobs are never forgotten, and anyone who reaches the port can
 * register one: a cap keeps that from growing the process without bound. */
#define JOBS_MAX 10000
#define REQUEST_TOKEN_LEN 40
#define FAULT_SHIFT 900
#define JWKS_CACHE "public, max-age=60"

struct keyset {
	int refs;
	size_t n;
	struct tl_jose_key *keys[MAX_KEYS]; /* keys[n - 1] signs */
	int64_t retired_at[MAX_KEYS]; /* 0 for the signing key */
	int64_t leaves_at; /* first time a retired key drops out; INT64_MAX none */
	char *jwks_text;
	size_t jwks_len;
};

struct issuer {
	struct tl_issuer_service *svc;
	char *prefix;
	const struct tl_claims_profile *profile;
	char *iss_override;
	json_t *org_tpl, *repo_tpl;
	unsigned header_flags;
	bool runtime; /* GitHub's token-request protocol is served */
	pthread_mutex_t lock;
	struct keyset *keys;
	char *discovery_text; /* rendered at the first request */
	size_t discovery_len;
	char *local_url;
	struct tl_jose_key *foreign; /* for the wrong-key fault, made on first use */
};

struct job {
	struct job *next;
	struct issuer *is;
	char *token;
	char *audience;
	json_t *context;
};

struct tl_issuer_service {
	struct issuer *issuers;
	size_t n;
	struct tl_http_server *srv;
	char *public_url;
	char *key_spec;
	bool local_issuer;
	struct tl_clock clock;
	char *seed; /* NULL: secure randomness */
	struct tl_rng rng; /* request tokens */
	int64_t grace;
	pthread_mutex_t jobs_lock;
	struct job *jobs[JOB_BUCKETS];
	size_t job_count, jobs_max;
};

static const char *const fault_names[] = {
#define X(id, name, reason, what) name,
	TL_ISSUER_FAULTS(X)
#undef X
};

/* --- key sets ------------------------------------------------------------ */

static void
keyset_unref(struct keyset *ks)
{
	if (!ks || __atomic_sub_fetch(&ks->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (size_t i = 0; i < ks->n; i++)
		tl_jose_key_free(ks->keys[i]);
	free(ks->jwks_text);
	free(ks);
}

/* Renders the JWKS text and the next expiry; takes over the key references. */
static int
keyset_finish(struct keyset *ks, struct tl_error *err)
{
	json_t *doc = json_object(), *arr = json_array();

	ks->leaves_at = INT64_MAX;
	if (!doc || !arr || json_object_set_new(doc, "keys", arr) < 0) {
		json_decref(doc);
		json_decref(arr);
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	}
	/* Newest first: the signing key leads, as in GitHub's document. */
	for (size_t i = ks->n; i-- > 0;) {
		json_t *jwk = tl_jose_key_to_jwk(ks->keys[i], err);
		if (!jwk || json_array_append_new(arr, jwk) < 0) {
			json_decref(doc);
			return jwk ? tl_error_set(err, TL_ERR_NOMEM, "out of memory") : -1;
		}
		if (ks->retired_at[i] && ks->retired_at[i] < ks->leaves_at)
			ks->leaves_at = ks->retired_at[i];
	}
	ks->jwks_text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!ks->jwks_text)
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	ks->jwks_len = strlen(ks->jwks_text);
	return 0;
}

static struct tl_jose_key *
make_key(struct issuer *is, const char *file, struct tl_error *err)
{
	struct tl_issuer_service *svc = is->svc;
	const struct tl_claims_profile *p = is->profile;
	struct tl_jose_key *key;
	enum tl_jose_alg alg = tl_jose_alg_from_name(p->alg);
	char cn[160];

	key = file ? tl_jose_key_load_file(file, err)
		   : tl_jose_key_generate(svc->key_spec ? svc->key_spec : "RSA-2048", err);
	if (!key)
		return NULL;
	if (!tl_jose_key_has_private(key)) {
		tl_jose_key_free(key);
		tl_error_set(err, TL_ERR_INVALID, "%s: the key has no private part", file);
		return NULL;
	}
	/* A key of another type signs with its own algorithm (P-256: ES256). */
	if (!tl_jose_key_fits(key, alg, NULL))
		alg = tl_jose_key_default_alg(key);
	if (tl_jose_key_set_alg(key, alg, err) < 0)
		goto fail;
	if (p->kid_style == TL_CLAIMS_KID_CERT_SHA1_HEX || p->x5t) {
		/* GitHub's certificates are self-signed, valid two years (§1.3). */
		if (strncmp(p->name, "github", 6) == 0)
			snprintf(cn, sizeof(cn), "vsts-vstsghrt-gh-vso-oauth.visualstudio.com");
		else
			snprintf(cn, sizeof(cn), "trustlab mock issuer %s", is->prefix);
		if (tl_jose_key_make_certificate(key, cn, tl_clock_now(&svc->clock) - 86400, 730,
						 err) < 0)
			goto fail;
	}
	if (p->kid_style == TL_CLAIMS_KID_CERT_SHA1_HEX ? tl_jose_key_set_kid_github(key, err)
							: tl_jose_key_set_kid_thumbprint(key, err))
		goto fail;
	return key;
fail:
	tl_jose_key_free(key);
	return NULL;
}

/* The current snapshot, referenced; never NULL after creation. */
static struct keyset *
keys_get(struct issuer *is)
{
	struct keyset *ks;

	pthread_mutex_lock(&is->lock);
	ks = is->keys;
	if (ks->leaves_at != INT64_MAX &&
	    tl_clock_now(&is->svc->clock) >= ks->leaves_at + is->svc->grace) {
		/* A retired key's grace period is over: drop it from the JWKS. */
		struct keyset *next = calloc(1, sizeof(*next));
		if (next) {
			int64_t now = tl_clock_now(&is->svc->clock);
			next->refs = 1;
			for (size_t i = 0; i < ks->n; i++) {
				if (ks->retired_at[i] && now >= ks->retired_at[i] + is->svc->grace)
					continue;
				next->keys[next->n] = tl_jose_key_ref(ks->keys[i]);
				next->retired_at[next->n++] = ks->retired_at[i];
			}
			if (keyset_finish(next, NULL) == 0) {
				is->keys = next;
				keyset_unref(ks);
				ks = next;
			} else {
				keyset_unref(next);
			}
		}
	}
	__atomic_add_fetch(&ks->refs, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&is->lock);
	return ks;
}

/* Adds a new signing key; the old one stays for the grace period. */
static int
keys_rotate(struct issuer *is, json_t **out, struct tl_error *err)
{
	struct tl_jose_key *key = make_key(is, NULL, err);
	struct keyset *old, *next;
	int64_t now = tl_clock_now(&is->svc->clock);
	json_t *retired;

	if (!key)
		return -1;
	if (!(next = calloc(1, sizeof(*next)))) {
		tl_jose_key_free(key);
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	}
	next->refs = 1;
	retired = json_array();
	pthread_mutex_lock(&is->lock);
	old = is->keys;
	for (size_t i = 0; i < old->n; i++) {
		/* The oldest keys go first when the set is full. */
		if (old->n - i >= MAX_KEYS)
			continue;
		if (old->retired_at[i] && now >= old->retired_at[i] + is->svc->grace)
			continue;
		next->keys[next->n] = tl_jose_key_ref(old->keys[i]);
		next->retired_at[next->n] = old->retired_at[i] ? old->retired_at[i] : now;
		json_array_append_new(retired, json_string(tl_jose_key_kid(old->keys[i])));
		next->n++;
	}
	next->keys[next->n++] = key;
	if (keyset_finish(next, err) < 0) {
		pthread_mutex_unlock(&is->lock);
		keyset_unref(next);
		json_decref(retired);
		return -1;
	}
	is->keys = next;
	pthread_mutex_unlock(&is->lock);
	keyset_unref(old);
	*out = json_pack("{s:s, s:o, s:I}", "kid", tl_jose_key_kid(key), "published", retired,
			 "grace_seconds", (json_int_t)is->svc->grace);
	return *out ? 0 : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
}

/* --- issuer URLs ----------------------------------------------------------- */

static const char *
base_url(struct tl_issuer_service *svc)
{
	if (svc->public_url)
		return svc->public_url;
	return svc->srv ? tl_http_server_url(svc->srv) : "http://127.0.0.1";
}

/* <base><prefix>, cached once the server runs. Call with is->lock held. */
static const char *
local_url_locked(struct issuer *is)
{
	if (!is->local_url && (is->svc->srv || is->svc->public_url)) {
		const char *base = base_url(is->svc);
		size_t n = strlen(base) + strlen(is->prefix) + 1;
		if ((is->local_url = malloc(n)))
			snprintf(is->local_url, n, "%s%s", base, is->prefix);
	}
	return is->local_url;
}

/* The `iss` to pass to lib/claims: NULL means the profile's own. */
static const char *
effective_iss(struct issuer *is, char *buf, size_t size)
{
	const char *url;

	if (is->iss_override)
		return is->iss_override;
	if (!is->svc->local_issuer)
		return NULL;
	pthread_mutex_lock(&is->lock);
	url = local_url_locked(is);
	if (url)
		snprintf(buf, size, "%s", url);
	pthread_mutex_unlock(&is->lock);
	return url ? buf : NULL;
}

static int
render_discovery_locked(struct issuer *is)
{
	const struct tl_claims_profile *p = is->profile;
	const char *local = local_url_locked(is);
	const char *iss;
	char jwks[1024];
	json_t *doc, *claims, *algs;
	struct keyset *ks = is->keys;

	if (!local)
		return -1;
	if (is->iss_override)
		iss = is->iss_override;
	else if (is->svc->local_issuer || strchr(p->issuer, '%'))
		iss = local; /* a templated issuer has no one value: say where we are */
	else
		iss = p->issuer;
	/* The JWKS is always fetched here, whatever `iss` says (§6.1). */
	snprintf(jwks, sizeof(jwks), "%s%s", local, p->jwks_path);
	claims = json_array();
	for (const char *const *c = p->claims_supported; c && *c; c++)
		json_array_append_new(claims, json_string(*c));
	algs = json_array();
	for (size_t i = ks->n; i-- > 0;) {
		const char *name = tl_jose_alg_name(tl_jose_key_alg(ks->keys[i]));
		bool seen = false;
		for (size_t j = 0; j < json_array_size(algs); j++)
			seen |= strcmp(json_string_value(json_array_get(algs, j)), name) == 0;
		if (!seen)
			json_array_append_new(algs, json_string(name));
	}
	doc = json_pack("{s:s, s:s, s:[ss], s:[s], s:o, s:o, s:[s]}", "issuer", iss, "jwks_uri",
			jwks, "subject_types_supported", "public", "pairwise",
			"response_types_supported", "id_token", "claims_supported", claims,
			"id_token_signing_alg_values_supported", algs, "scopes_supported",
			"openid");
	if (!doc)
		return -1;
	free(is->discovery_text);
	is->discovery_text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!is->discovery_text)
		return -1;
	is->discovery_len = strlen(is->discovery_text);
	return 0;
}

/* --- minting ------------------------------------------------------------- */

struct mint_req {
	const json_t *context;
	const json_t *audience;
	const json_t *overrides;
	const json_t *faults;
	const char *seed_text; /* what makes this request's randomness, when seeded */
};

static json_t *
answer_error(const char *error, const char *message, const char *path)
{
	json_t *o = json_pack("{s:s, s:s}", "error", error, "message", message);
	if (o && path && *path)
		json_object_set_new(o, "path", json_string(path));
	return o;
}

static json_t *
answer_bad(const struct tl_error *err)
{
	return answer_error("bad-request", err->message, err->path);
}

static int
check_audience(const json_t *aud, const char *path, struct tl_error *err)
{
	size_t i;
	json_t *v;

	if (json_is_string(aud))
		return json_string_length(aud) > 0 ? 0
						   : tl_error_set_at(err, TL_ERR_INVALID, path,
								     "the audience is empty");
	if (!json_is_array(aud) || json_array_size(aud) == 0)
		return tl_error_set_at(err, TL_ERR_INVALID, path,
				       "expected a string or a non-empty array of strings");
	json_array_foreach(aud, i, v)
	{
		if (!json_is_string(v) || json_string_length(v) == 0)
			return tl_error_set_at(err, TL_ERR_INVALID, path,
					       "audience %zu is not a non-empty string", i);
	}
	return 0;
}

static int
check_request(const json_t *req, struct mint_req *m, struct tl_error *err)
{
	static const char *const keys[] = {"context", "audience", "claims", "faults", NULL};
	struct tl_jpath path;
	json_t *v;

	memset(m, 0, sizeof(*m));
	tl_jpath_init(&path, NULL);
	if (!json_is_object(req))
		return tl_error_set(err, TL_ERR_INVALID, "the body must be a JSON object, found %s",
				    tl_json_type_name(req));
	if (tl_json_only_keys(req, keys, &path, err) < 0)
		return -1;
	if ((v = json_object_get(req, "context")) && !json_is_object(v))
		return tl_error_set_at(err, TL_ERR_INVALID, "context",
				       "expected an object, found %s", tl_json_type_name(v));
	m->context = v;
	if ((v = json_object_get(req, "audience")) && check_audience(v, "audience", err) < 0)
		return -1;
	m->audience = v;
	if ((v = json_object_get(req, "claims")) && !json_is_object(v))
		return tl_error_set_at(err, TL_ERR_INVALID, "claims",
				       "expected an object, found %s", tl_json_type_name(v));
	m->overrides = v;
	if ((v = json_object_get(req, "faults")) && !json_is_array(v))
		return tl_error_set_at(err, TL_ERR_INVALID, "faults", "expected an array, found %s",
				       tl_json_type_name(v));
	m->faults = v;
	return 0;
}

struct fault_plan {
	bool on[TL_ISSUER_FAULT_COUNT];
	int signer; /* the fault deciding the signature, or -1 */
	const char *wrong_issuer;
	const json_t *missing; /* array of claim names, or NULL for ["aud"] */
};

static int
plan_faults(const json_t *faults, struct fault_plan *plan, struct tl_error *err)
{
	size_t i;
	json_t *f;

	memset(plan, 0, sizeof(*plan));
	plan->signer = -1;
	json_array_foreach(faults, i, f)
	{
		char path[64];
		const char *name = json_string_value(f);
		int id = -1;

		snprintf(path, sizeof(path), "faults[%zu]", i);
		if (json_is_object(f)) {
			static const char *const keys[] = {"fault", "claims", "issuer", NULL};
			struct tl_jpath jp;
			json_t *c;

			tl_jpath_init(&jp, path);
			if (tl_json_only_keys(f, keys, &jp, err) < 0)
				return -1;
			name = json_string_value(json_object_get(f, "fault"));
			if (!name)
				return tl_error_set_at(err, TL_ERR_INVALID, path,
						       "a fault object needs \"fault\": NAME");
			if ((c = json_object_get(f, "claims"))) {
				size_t k;
				json_t *n;
				if (strcmp(name, "missing-claims") != 0)
					return tl_error_set_at(
						err, TL_ERR_INVALID, path,
						"\"claims\" goes with missing-claims");
				if (!json_is_array(c) || json_array_size(c) == 0)
					return tl_error_set_at(
						err, TL_ERR_INVALID, path,
						"\"claims\" must be a non-empty array of names");
				json_array_foreach(c, k, n)
				{
					if (!json_is_string(n))
						return tl_error_set_at(
							err, TL_ERR_INVALID, path,
							"\"claims\"[%zu] is not a string", k);
				}
				plan->missing = c;
			}
			if ((c = json_object_get(f, "issuer"))) {
				if (strcmp(name, "wrong-issuer") != 0 || !json_is_string(c))
					return tl_error_set_at(err, TL_ERR_INVALID, path,
							       "\"issuer\" is a string that goes "
							       "with wrong-issuer");
				plan->wrong_issuer = json_string_value(c);
			}
		} else if (!name) {
			return tl_error_set_at(err, TL_ERR_INVALID, path,
					       "expected a fault name or object, found %s",
					       tl_json_type_name(f));
		}
		for (int k = 0; k < TL_ISSUER_FAULT_COUNT; k++)
			if (strcmp(fault_names[k], name) == 0)
				id = k;
		if (id < 0)
			return tl_error_set_at(err, TL_ERR_INVALID, path,
					       "unknown fault '%s' (expected one of: expired, "
					       "not-yet-valid, wrong-issuer, missing-claims, "
					       "wrong-key, unknown-kid, bad-signature, alg-none, "
					       "hs256-public-key)",
					       name);
		if (id >= TL_ISSUER_FAULT_WRONG_KEY) {
			if (plan->signer >= 0 && plan->signer != id)
				return tl_error_set_at(err, TL_ERR_INVALID, path,
						       "'%s' cannot be combined with '%s': both "
						       "decide the signature",
						       name, fault_names[plan->signer]);
			plan->signer = id;
		}
		plan->on[id] = true;
	}
	return 0;
}

static void
shift_claim(json_t *claims, const char *name, int64_t delta)
{
	json_t *v = json_object_get(claims, name);
	if (json_is_integer(v))
		json_integer_set(v, json_integer_value(v) + delta);
}

static int
apply_claim_faults(const struct fault_plan *plan, json_t *claims, int64_t now,
		   const struct tl_claims_profile *p)
{
	if (plan->on[TL_ISSUER_FAULT_EXPIRED]) {
		int64_t delta = -(p->lifetime + FAULT_SHIFT);
		json_t *exp = json_object_get(claims, "exp");
		if (json_is_integer(exp))
			delta = now - FAULT_SHIFT - json_integer_value(exp);
		shift_claim(claims, "iat", delta);
		shift_claim(claims, "nbf", delta);
		shift_claim(claims, "exp", delta);
	}
	if (plan->on[TL_ISSUER_FAULT_NOT_YET_VALID] &&
	    json_object_set_new(claims, "nbf", json_integer(now + FAULT_SHIFT)) < 0)
		return -1;
	if (plan->on[TL_ISSUER_FAULT_WRONG_ISSUER] &&
	    json_object_set_new(claims, "iss",
				json_string(plan->wrong_issuer
						    ? plan->wrong_issuer
						    : "https://wrong-issuer.trustlab.invalid")) < 0)
		return -1;
	if (plan->on[TL_ISSUER_FAULT_MISSING_CLAIMS]) {
		if (plan->missing) {
			size_t i;
			json_t *n;
			json_array_foreach(plan->missing, i, n)
			{
				json_object_del(claims, json_string_value(n));
			}
		} else {
			json_object_del(claims, "aud");
		}
	}
	return 0;
}

static struct tl_jose_key *
foreign_key(struct issuer *is, const struct tl_jose_key *like, struct tl_error *err)
{
	struct tl_jose_key *key;

	pthread_mutex_lock(&is->lock);
	if (!is->foreign) {
		const char *spec = tl_jose_key_kty(like) == TL_JOSE_KTY_EC
					   ? tl_jose_key_curve(like)
					   : (tl_jose_key_bits(like) >= 4096   ? "RSA-4096"
					      : tl_jose_key_bits(like) >= 3072 ? "RSA-3072"
									       : "RSA-2048");
		is->foreign = tl_jose_key_generate(spec, err);
	}
	key = is->foreign ? tl_jose_key_ref(is->foreign) : NULL;
	pthread_mutex_unlock(&is->lock);
	return key;
}

/* Signs `claims` with the snapshot's signing key, with the planned fault. */
static int
sign(struct issuer *is, struct keyset *ks, const struct fault_plan *plan, const json_t *claims,
     char **token, struct tl_error *err)
{
	const struct tl_jose_key *key = ks->keys[ks->n - 1];
	enum tl_jose_alg alg = tl_jose_key_alg(key);
	json_t *header = tl_jws_header_new(key, alg, is->header_flags, err);
	struct tl_jws_forge f = {0};
	struct tl_jose_key *other = NULL;
	char *h = NULL, *pl = NULL, *pem = NULL;
	size_t pem_len = 0;
	int rc = -1;

	if (!header)
		return -1;
	if (plan->signer < 0 || plan->signer == TL_ISSUER_FAULT_BAD_SIGNATURE) {
		rc = tl_jws_sign(key, alg, header, claims, token, err);
		if (rc == 0 && plan->signer == TL_ISSUER_FAULT_BAD_SIGNATURE) {
			/* One middle character of the signature: still canonical
			 * base64url, no longer the signature. */
			char *sig = strrchr(*token, '.') + 1;
			char *c = sig + strlen(sig) / 2;
			*c = *c == 'A' ? 'B' : 'A';
		}
		json_decref(header);
		return rc;
	}
	f.alg = tl_jose_alg_name(alg);
	f.key = key;
	switch (plan->signer) {
	case TL_ISSUER_FAULT_WRONG_KEY:
		if (!(other = foreign_key(is, key, err)))
			goto out;
		f.key = other;
		break;
	case TL_ISSUER_FAULT_UNKNOWN_KID:
		json_object_set_new(header, "kid", json_string("trustlab-unknown-kid"));
		break;
	case TL_ISSUER_FAULT_ALG_NONE:
		/* The header says "none"; the signature part stays (signed by
		 * the real key), so the verifier meets the alg, not an empty
		 * segment. */
		json_object_set_new(header, "alg", json_string("none"));
		break;
	case TL_ISSUER_FAULT_HS256_PUBLIC_KEY:
		if (tl_jose_key_to_pem(key, false, &pem, &pem_len, err) < 0)
			goto out;
		json_object_set_new(header, "alg", json_string("HS256"));
		f.alg = "HS256";
		f.key = NULL;
		f.hmac_secret = pem;
		f.hmac_secret_len = pem_len;
		break;
	default:
		break;
	}
	h = json_dumps(header, JSON_COMPACT | JSON_PRESERVE_ORDER);
	pl = json_dumps(claims, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!h || !pl) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		goto out;
	}
	f.header = h;
	f.header_len = strlen(h);
	f.payload = pl;
	f.payload_len = strlen(pl);
	rc = tl_jws_forge(&f, token, err);
out:
	free(h);
	free(pl);
	free(pem);
	tl_jose_key_free(other);
	json_decref(header);
	return rc;
}

/*
 * Builds, overrides, faults and signs. Returns the HTTP status with
 * *out the answer body; 500 with *out NULL when out of memory.
 */
static unsigned
mint(struct issuer *is, const struct mint_req *m, bool runtime, json_t **out)
{
	struct tl_issuer_service *svc = is->svc;
	struct tl_claims_options opt = {0};
	struct tl_claims_refusal refusal = {{0}};
	struct tl_error err;
	struct fault_plan plan;
	struct tl_rng rng;
	struct keyset *ks;
	json_t *claims = NULL;
	char issbuf[1024], *token = NULL;
	int rc;

	*out = NULL;
	tl_error_clear(&err);
	if (plan_faults(m->faults, &plan, &err) < 0) {
		*out = answer_bad(&err);
		return 400;
	}
	if (svc->seed) {
		char text[1024];
		snprintf(text, sizeof(text), "%s\n%s\n%s", svc->seed, is->prefix,
			 m->seed_text ? m->seed_text : "");
		tl_rng_init_seeded(&rng, text);
	} else {
		/* One secure draw keys a fast stream for this token's jti and
		 * ids, instead of a DRBG call for each of them. */
		unsigned char key[32];
		char hex[65];
		if (tl_random_bytes(key, sizeof(key), &err) < 0) {
			*out = answer_error("internal", err.message, NULL);
			return 500;
		}
		for (size_t i = 0; i < sizeof(key); i++)
			snprintf(hex + 2 * i, 3, "%02x", key[i]);
		tl_rng_init_seeded(&rng, hex);
		OPENSSL_cleanse(key, sizeof(key));
		OPENSSL_cleanse(hex, sizeof(hex));
	}
	opt.issuer = effective_iss(is, issbuf, sizeof(issbuf));
	opt.audience = m->audience;
	opt.now = tl_clock_now(&svc->clock);
	opt.rng = &rng;
	opt.org_sub_template = is->org_tpl;
	opt.repo_sub_template = is->repo_tpl;
	rc = tl_claims_build(is->profile, m->context, &opt, &claims, &refusal, &err);
	tl_rng_finish(&rng);
	if (rc == 1) {
		*out = json_pack("{s:s, s:s}", "error", "no-token", "reason", refusal.reason);
		return 403;
	}
	if (rc < 0) {
		*out = err.code == TL_ERR_NOMEM ? NULL : answer_bad(&err);
		return *out ? 400 : 500;
	}
	if (m->overrides) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)m->overrides, k, v)
		{
			if (json_is_null(v))
				json_object_del(claims, k);
			else
				json_object_set(claims, k, v);
		}
	}
	if (apply_claim_faults(&plan, claims, opt.now, is->profile) < 0) {
		json_decref(claims);
		return 500;
	}
	ks = keys_get(is);
	rc = sign(is, ks, &plan, claims, &token, &err);
	keyset_unref(ks);
	if (rc < 0) {
		json_decref(claims);
		*out = answer_error("internal", err.message, NULL);
		return 500;
	}
	if (runtime)
		*out = json_pack("{s:i, s:s}", "count", 1, "value", token);
	else
		*out = json_pack("{s:s, s:o}", "token", token, "claims", claims);
	free(token);
	if (runtime)
		json_decref(claims);
	return *out ? 200 : 500;
}

/* --- jobs (GitHub's runtime protocol) --------------------------------------- */

static unsigned
hash_str(const char *s)
{
	unsigned h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % JOB_BUCKETS;
}

static void
job_free(struct job *j)
{
	if (!j)
		return;
	free(j->token);
	free(j->audience);
	json_decref(j->context);
	free(j);
}

/* The job bound to `token` on `is`, its context referenced; false if none. */
static bool
job_find(struct issuer *is, const char *token, json_t **context, char *aud, size_t aud_size)
{
	struct tl_issuer_service *svc = is->svc;
	bool found = false;

	pthread_mutex_lock(&svc->jobs_lock);
	for (struct job *j = svc->jobs[hash_str(token)]; j; j = j->next)
		if (j->is == is && strcmp(j->token, token) == 0) {
			*context = json_incref(j->context);
			snprintf(aud, aud_size, "%s", j->audience ? j->audience : "");
			found = true;
			break;
		}
	pthread_mutex_unlock(&svc->jobs_lock);
	return found;
}

static struct issuer *
issuer_find(struct tl_issuer_service *svc, const char *prefix)
{
	for (size_t i = 0; i < svc->n; i++)
		if (strcmp(svc->issuers[i].prefix, prefix) == 0)
			return &svc->issuers[i];
	return NULL;
}

static unsigned
register_job(struct issuer *is, const json_t *req, json_t **out)
{
	static const char *const keys[] = {"context", "audience", "request_token", NULL};
	struct tl_issuer_service *svc = is->svc;
	struct tl_error err;
	struct tl_jpath path;
	struct mint_req m = {0};
	const json_t *ctx, *aud, *tok;
	json_t *probe = NULL;
	char token[REQUEST_TOKEN_LEN + 1], url[1200];
	struct job *j;
	unsigned status;

	*out = NULL;
	tl_error_clear(&err);
	tl_jpath_init(&path, NULL);
	if (!is->runtime) {
		*out = answer_error("not-found",
				    "this issuer's profile has no runtime token-request protocol",
				    NULL);
		return 404;
	}
	if (!json_is_object(req)) {
		*out = answer_error("bad-request", "the body must be a JSON object", NULL);
		return 400;
	}
	if (tl_json_only_keys(req, keys, &path, &err) < 0) {
		*out = answer_bad(&err);
		return 400;
	}
	ctx = json_object_get(req, "context");
	aud = json_object_get(req, "audience");
	tok = json_object_get(req, "request_token");
	if (ctx && !json_is_object(ctx)) {
		*out = answer_error("bad-request", "expected an object", "context");
		return 400;
	}
	if (aud && (!json_is_string(aud) || json_string_length(aud) == 0)) {
		*out = answer_error("bad-request", "expected a non-empty string", "audience");
		return 400;
	}
	if (tok) {
		const char *t = json_string_value(tok);
		size_t n = t ? strlen(t) : 0;
		bool ok = t && n >= 8 && n <= REQUEST_TOKEN_LEN && n == json_string_length(tok);
		for (size_t i = 0; ok && i < n; i++)
			ok = (t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
			     (t[i] >= '0' && t[i] <= '9') || t[i] == '-' || t[i] == '_' ||
			     t[i] == '.';
		if (!ok) {
			*out = answer_error("bad-request",
					    "expected 8 to 40 characters of [A-Za-z0-9._-]",
					    "request_token");
			return 400;
		}
		snprintf(token, sizeof(token), "%s", t);
	} else if (tl_rng_string(&svc->rng,
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
				 token, REQUEST_TOKEN_LEN, &err) < 0) {
		return 500;
	}
	/* The real runner exports the variables only to jobs that can get a
	 * token (§1.10): a job the profile refuses is told so now. */
	m.context = ctx;
	m.audience = aud;
	status = mint(is, &m, true, &probe);
	if (status != 200) {
		*out = probe;
		return status;
	}
	json_decref(probe);
	if (!(j = calloc(1, sizeof(*j))))
		return 500;
	j->is = is;
	j->token = strdup(token);
	j->audience = aud ? strdup(json_string_value(aud)) : NULL;
	j->context = ctx ? json_deep_copy(ctx) : json_object();
	if (!j->token || (aud && !j->audience) || !j->context) {
		job_free(j);
		return 500;
	}
	pthread_mutex_lock(&svc->jobs_lock);
	for (struct job *o = svc->jobs[hash_str(token)]; o; o = o->next)
		if (o->is == is && strcmp(o->token, token) == 0) {
			pthread_mutex_unlock(&svc->jobs_lock);
			job_free(j);
			*out = answer_error("conflict", "this request token is registered already",
					    "request_token");
			return 409;
		}
	if (svc->job_count >= svc->jobs_max) {
		char msg[128];
		pthread_mutex_unlock(&svc->jobs_lock);
		job_free(j);
		snprintf(msg, sizeof(msg),
			 "%zu jobs are registered already; restart mock-issuer to forget them",
			 svc->jobs_max);
		*out = answer_error("too-many-jobs", msg, NULL);
		return 429;
	}
	j->next = svc->jobs[hash_str(token)];
	svc->jobs[hash_str(token)] = j;
	svc->job_count++;
	pthread_mutex_unlock(&svc->jobs_lock);
	pthread_mutex_lock(&is->lock);
	snprintf(url, sizeof(url), "%s/_apis/token?api-version=2.0",
		 local_url_locked(is) ? local_url_locked(is) : is->prefix);
	pthread_mutex_unlock(&is->lock);
	*out = json_pack("{s:s, s:s, s:{s:s, s:s}}", "request_token", token, "request_url", url,
			 "env", "ACTIONS_ID_TOKEN_REQUEST_URL", url,
			 "ACTIONS_ID_TOKEN_REQUEST_TOKEN", token);
	return *out ? 200 : 500;
}

/* --- public API ------------------------------------------------------------- */

static int
issuer_init(struct tl_issuer_service *svc, struct issuer *is, const struct tl_issuer_def *d,
	    const char *key_file, struct tl_error *err)
{
	struct tl_jose_key *key;

	is->svc = svc;
	pthread_mutex_init(&is->lock, NULL);
	is->profile = tl_claims_profile_find(d->profile);
	if (!is->profile)
		return tl_error_set(err, TL_ERR_NOT_FOUND, "unknown profile '%s'", d->profile);
	if (!(is->prefix = strdup(d->prefix)) ||
	    (d->issuer && !(is->iss_override = strdup(d->issuer))))
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	is->org_tpl = json_incref(d->org_sub_template);
	is->repo_tpl = json_incref(d->repo_sub_template);
	is->header_flags = TL_JWS_HEADER_KID | (is->profile->typ ? TL_JWS_HEADER_TYP : 0) |
			   (is->profile->x5t ? TL_JWS_HEADER_X5T : 0);
	is->runtime = strncmp(is->profile->name, "github", 6) == 0;
	if (!(key = make_key(is, d->key_file ? d->key_file : key_file, err))) {
		tl_error_prefix(err, "issuer %s", d->prefix);
		return -1;
	}
	if (!(is->keys = calloc(1, sizeof(*is->keys)))) {
		tl_jose_key_free(key);
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	}
	is->keys->refs = 1;
	is->keys->keys[0] = key;
	is->keys->n = 1;
	return keyset_finish(is->keys, err);
}

struct init_job {
	pthread_t thread;
	bool started;
	struct tl_issuer_service *svc;
	struct issuer *is;
	const struct tl_issuer_def *def;
	const char *key_file;
	struct tl_error err;
	int rc;
};

static void *
init_thread(void *arg)
{
	struct init_job *j = arg;

	tl_error_clear(&j->err);
	j->rc = issuer_init(j->svc, j->is, j->def, j->key_file, &j->err);
	return NULL;
}

/*
 * Builds the issuers in parallel: generating an RSA key takes tens of
 * milliseconds, and every issuer makes its own. Every issuer is
 * initialised (or half-built) on return, so the service frees cleanly.
 */
static int
init_all(struct tl_issuer_service *svc, const struct tl_issuer_def *defs, size_t n,
	 const char *key_file, struct tl_error *err)
{
	struct init_job *jobs = calloc(n, sizeof(*jobs));
	int rc = 0;

	if (!jobs)
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	svc->n = n;
	for (size_t i = 0; i < n; i++) {
		jobs[i] = (struct init_job){
			.svc = svc, .is = &svc->issuers[i], .def = &defs[i], .key_file = key_file};
		jobs[i].started = pthread_create(&jobs[i].thread, NULL, init_thread, &jobs[i]) == 0;
		if (!jobs[i].started)
			init_thread(&jobs[i]);
	}
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].started)
			pthread_join(jobs[i].thread, NULL);
		if (jobs[i].rc < 0 && rc == 0) {
			if (err)
				*err = jobs[i].err;
			rc = -1;
		}
	}
	free(jobs);
	return rc;
}

struct tl_issuer_service *
tl_issuer_service_new(const struct tl_issuer_config *cfg_in, struct tl_error *err)
{
	struct tl_issuer_config cfg = *cfg_in;
	struct tl_issuer_config extra;
	const struct tl_issuer_def *defs = cfg_in->issuers;
	size_t n = cfg_in->n_issuers;
	struct tl_issuer_service *svc = calloc(1, sizeof(*svc));

	tl_issuer_config_init(&extra);
	if (!svc) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&svc->jobs_lock, NULL);
	if (n == 0) {
		/* One issuer per enabled profile, from a scratch copy. */
		extra.profiles = cfg.profiles;
		extra.n_profiles = cfg.n_profiles;
		if (tl_issuer_config_expand(&extra, err) < 0)
			goto fail_extra;
		defs = extra.issuers;
		n = extra.n_issuers;
	}
	svc->local_issuer = cfg.local_issuer;
	svc->grace = cfg.rotation_grace_seconds;
	svc->jobs_max = cfg.jobs_max ? cfg.jobs_max : JOBS_MAX;
	if (cfg.clock_pinned)
		tl_clock_init_pinned(&svc->clock, cfg.now_ms);
	else
		tl_clock_init_system(&svc->clock);
	if ((cfg.public_url && !(svc->public_url = strdup(cfg.public_url))) ||
	    (cfg.key_spec && !(svc->key_spec = strdup(cfg.key_spec)))) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		goto fail_extra;
	}
	if (svc->public_url) {
		size_t len = strlen(svc->public_url);
		while (len > 0 && svc->public_url[len - 1] == '/')
			svc->public_url[--len] = '\0';
	}
	if (cfg.seed || cfg.clock_pinned) {
		if (!(svc->seed = strdup(cfg.seed ? cfg.seed : "trustlab"))) {
			tl_error_set(err, TL_ERR_NOMEM, "out of memory");
			goto fail_extra;
		}
		tl_rng_init_seeded(&svc->rng, svc->seed);
	} else {
		tl_rng_init_secure(&svc->rng);
	}
	if (!(svc->issuers = calloc(n, sizeof(*svc->issuers)))) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		goto fail_extra;
	}
	if (init_all(svc, defs, n, cfg.key_file, err) < 0)
		goto fail_extra;
	extra.profiles = NULL;
	extra.n_profiles = 0;
	tl_issuer_config_finish(&extra);
	for (size_t i = 0; i < cfg.n_jobs; i++) {
		const struct tl_issuer_job_def *jd = &cfg.jobs[i];
		struct issuer *is = issuer_find(svc, jd->prefix);
		json_t *req, *ans = NULL;
		unsigned status;

		if (!is) {
			tl_error_set_at(err, TL_ERR_NOT_FOUND, "jobs", "job %zu: no issuer at '%s'",
					i, jd->prefix);
			goto fail;
		}
		req = json_object();
		if (jd->context)
			json_object_set(req, "context", jd->context);
		if (jd->audience)
			json_object_set_new(req, "audience", json_string(jd->audience));
		if (jd->request_token)
			json_object_set_new(req, "request_token", json_string(jd->request_token));
		status = register_job(is, req, &ans);
		json_decref(req);
		if (status != 200) {
			const char *msg = json_string_value(json_object_get(ans, "message"));
			if (!msg)
				msg = json_string_value(json_object_get(ans, "reason"));
			tl_error_set_at(err, TL_ERR_INVALID, "jobs", "job %zu: %s", i,
					msg ? msg : "cannot be registered");
			json_decref(ans);
			goto fail;
		}
		json_decref(ans);
	}
	return svc;
fail_extra:
	extra.profiles = NULL;
	extra.n_profiles = 0;
	tl_issuer_config_finish(&extra);
fail:
	tl_issuer_service_free(svc);
	return NULL;
}

void
tl_issuer_service_free(struct tl_issuer_service *svc)
{
	if (!svc)
		return;
	for (size_t i = 0; i < svc->n; i++) {
		struct issuer *is = &svc->issuers[i];
		free(is->prefix);
		free(is->iss_override);
		json_decref(is->org_tpl);
		json_decref(is->repo_tpl);
		keyset_unref(is->keys);
		free(is->discovery_text);
		free(is->local_url);
		tl_jose_key_free(is->foreign);
		pthread_mutex_destroy(&is->lock);
	}
	free(svc->issuers);
	for (size_t b = 0; b < JOB_BUCKETS; b++)
		while (svc->jobs[b]) {
			struct job *j = svc->jobs[b];
			svc->jobs[b] = j->next;
			job_free(j);
		}
	pthread_mutex_destroy(&svc->jobs_lock);
	tl_rng_finish(&svc->rng);
	free(svc->public_url);
	free(svc->key_spec);
	free(svc->seed);
	free(svc);
}

size_t
tl_issuer_service_count(const struct tl_issuer_service *svc)
{
	return svc->n;
}

const char *
tl_issuer_service_prefix(const struct tl_issuer_service *svc, size_t i)
{
	return i < svc->n ? svc->issuers[i].prefix : NULL;
}

const char *
tl_issuer_service_profile(const struct tl_issuer_service *svc, size_t i)
{
	return i < svc->n ? svc->issuers[i].profile->name : NULL;
}

static char *
request_seed(const json_t *req)
{
	return json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

int
tl_issuer_service_mint(struct tl_issuer_service *svc, const char *prefix, const json_t *request,
		       unsigned *status, json_t **response)
{
	struct issuer *is = issuer_find(svc, prefix);
	struct tl_error err;
	struct mint_req m;
	char *seed;

	tl_error_clear(&err);
	if (!is) {
		*status = 404;
		*response = answer_error("not-found", "no issuer at this prefix", NULL);
		return *response ? 0 : -1;
	}
	if (check_request(request, &m, &err) < 0) {
		*status = 400;
		*response = answer_bad(&err);
		return *response ? 0 : -1;
	}
	seed = svc->seed ? request_seed(request) : NULL;
	m.seed_text = seed;
	*status = mint(is, &m, false, response);
	free(seed);
	return *response ? 0 : -1;
}

int
tl_issuer_service_register_job(struct tl_issuer_service *svc, const char *prefix,
			       const json_t *request, unsigned *status, json_t **response)
{
	struct issuer *is = issuer_find(svc, prefix);

	if (!is) {
		*status = 404;
		*response = answer_error("not-found", "no issuer at this prefix", NULL);
	} else {
		*status = register_job(is, request, response);
	}
	return *response ? 0 : -1;
}

json_t *
tl_issuer_service_jwks(struct tl_issuer_service *svc, const char *prefix)
{
	struct issuer *is = issuer_find(svc, prefix);
	struct keyset *ks;
	json_t *doc;

	if (!is)
		return NULL;
	ks = keys_get(is);
	doc = json_loadb(ks->jwks_text, ks->jwks_len, 0, NULL);
	keyset_unref(ks);
	return doc;
}

/* --- HTTP ------------------------------------------------------------------ */

static void
respond(struct tl_http_exchange *ex, unsigned status, json_t *body)
{
	if (!body) {
		tl_http_respond_error(ex, 500, "out of memory");
		return;
	}
	tl_http_add_header(ex, "Cache-Control", "no-store");
	tl_http_respond_json(ex, status, body);
	json_decref(body);
}

/* Parses a POST body; an empty body is {}. Answers 400 itself. */
static json_t *
parse_body(struct tl_http_exchange *ex)
{
	static const struct tl_json_limits limits = {.max_bytes = 64 * 1024, .max_depth = 32};
	size_t len;
	const char *body = tl_http_body(ex, &len);
	struct tl_error err;
	json_t *doc;

	if (len == 0)
		return json_object();
	tl_error_clear(&err);
	doc = tl_json_load(body, len, &limits, "request body", &err);
	if (!doc) {
		char msg[TL_ERROR_MESSAGE_MAX + 64];
		tl_error_format(&err, msg, sizeof(msg));
		respond(ex, 400, answer_error("bad-request", msg, NULL));
	}
	return doc;
}

static void
handle_discovery(struct issuer *is, struct tl_http_exchange *ex)
{
	char *copy = NULL;
	size_t len = 0;

	pthread_mutex_lock(&is->lock);
	if (is->discovery_text || render_discovery_locked(is) == 0) {
		len = is->discovery_len;
		copy = is->discovery_text; /* immutable once rendered */
	}
	pthread_mutex_unlock(&is->lock);
	if (!copy) {
		tl_http_respond_error(ex, 500, "cannot render the discovery document");
		return;
	}
	tl_http_add_header(ex, "Cache-Control", JWKS_CACHE);
	tl_http_respond(ex, 200, "application/json", copy, len);
}

static void
handle_jwks(struct issuer *is, struct tl_http_exchange *ex)
{
	struct keyset *ks = keys_get(is);

	tl_http_add_header(ex, "Cache-Control", JWKS_CACHE);
	tl_http_respond(ex, 200, "application/json", ks->jwks_text, ks->jwks_len);
	keyset_unref(ks);
}

static void
handle_tokens(struct issuer *is, struct tl_http_exchange *ex)
{
	json_t *req = parse_body(ex), *ans = NULL;
	unsigned status = 500;

	if (!req)
		return;
	tl_issuer_service_mint(is->svc, is->prefix, req, &status, &ans);
	json_decref(req);
	respond(ex, status, ans);
}

static void
handle_rotate(struct issuer *is, struct tl_http_exchange *ex)
{
	size_t len;
	struct tl_error err;
	json_t *ans = NULL;

	tl_http_body(ex, &len);
	if (len != 0 && !(len == 2 && memcmp(tl_http_body(ex, &len), "{}", 2) == 0)) {
		respond(ex, 400, answer_error("bad-request", "the body must be empty or {}", NULL));
		return;
	}
	tl_error_clear(&err);
	if (keys_rotate(is, &ans, &err) < 0) {
		respond(ex, 500, answer_error("internal", err.message, NULL));
		return;
	}
	/* New keys are made like the first one, so the discovery document
	 * (algorithms) stays as rendered. */
	respond(ex, 200, ans);
}

static void
handle_jobs(struct issuer *is, struct tl_http_exchange *ex)
{
	json_t *req = parse_body(ex), *ans = NULL;
	unsigned status;

	if (!req)
		return;
	status = register_job(is, req, &ans);
	json_decref(req);
	respond(ex, status, ans);
}

static void
unauthorized(struct tl_http_exchange *ex, const char *message)
{
	tl_http_add_header(ex, "WWW-Authenticate", "Bearer");
	respond(ex, 401, answer_error("unauthorized", message, NULL));
}

/* GET <prefix>/_apis/token?api-version=2.0&audience=... (reference §1.9). */
static void
handle_runtime_token(struct issuer *is, struct tl_http_exchange *ex)
{
	const char *auth = tl_http_header(ex, "Authorization");
	const char *aud_q;
	size_t aud_len = 0;
	json_t *context = NULL, *aud = NULL, *ans = NULL;
	char aud_default[1024], seed[1400];
	struct mint_req m = {0};
	unsigned status;

	if (!is->runtime) {
		tl_http_respond_error(ex, 404, "no such resource: %s", tl_http_path(ex));
		return;
	}
	if (!auth) {
		unauthorized(ex, "missing Authorization: Bearer <request token>");
		return;
	}
	if (strncasecmp(auth, "Bearer ", 7) != 0 || !auth[7]) {
		unauthorized(ex, "the Authorization scheme must be Bearer");
		return;
	}
	if (strlen(auth + 7) > 256 ||
	    !job_find(is, auth + 7, &context, aud_default, sizeof(aud_default))) {
		unauthorized(ex, "the request token belongs to no job");
		return;
	}
	aud_q = tl_http_query(ex, "audience", &aud_len);
	if (aud_q) {
		bool ok = aud_len > 0 && aud_len <= 255 && aud_len == strlen(aud_q);
		for (size_t i = 0; ok && i < aud_len; i++)
			ok = (unsigned char)aud_q[i] >= 0x20 && aud_q[i] != 0x7f;
		if (!ok) {
			json_decref(context);
			respond(ex, 400,
				answer_error("bad-request",
					     "audience must be 1 to 255 characters without control "
					     "characters",
					     "audience"));
			return;
		}
		aud = json_string(aud_q);
	} else if (aud_default[0]) {
		aud = json_string(aud_default);
	}
	m.context = context;
	m.audience = aud;
	snprintf(seed, sizeof(seed), "runtime\n%s\n%s", auth + 7, aud_q ? aud_q : "");
	m.seed_text = seed;
	status = mint(is, &m, true, &ans);
	json_decref(context);
	json_decref(aud);
	respond(ex, status, ans);
}

struct endpoint {
	const char *method;
	const char *sub; /* after the prefix; "" = the jwks_path of the profile */
	void (*fn)(struct issuer *is, struct tl_http_exchange *ex);
};

static const struct endpoint endpoints[] = {
	{"GET", "/.well-known/openid-configuration", handle_discovery},
	{"GET", "/.well-known/jwks", handle_jwks},
	{"GET", "/jwks", handle_jwks},
	{"GET", "", handle_jwks},
	{"POST", "/tokens", handle_tokens},
	{"POST", "/keys/rotate", handle_rotate},
	{"POST", "/runtime/jobs", handle_jobs},
	{"GET", "/_apis/token", handle_runtime_token},
};

static void
dispatch(void *ctx, struct tl_http_exchange *ex)
{
	struct issuer *is = ctx;
	const char *sub = tl_http_path(ex) + strlen(is->prefix);
	const char *method = tl_http_method(ex);
	char allow[64] = "";
	bool path_found = false;

	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
		const struct endpoint *e = &endpoints[i];
		const char *want = e->sub[0] ? e->sub : is->profile->jwks_path;
		if (strcmp(sub, want) != 0)
			continue;
		if (strcmp(method, e->method) == 0) {
			e->fn(is, ex);
			return;
		}
		path_found = true;
		snprintf(allow, sizeof(allow), "%s", e->method);
	}
	if (path_found) {
		tl_http_add_header(ex, "Allow", allow);
		tl_http_respond_error(ex, 405, "method %s is not allowed on %s", tl_http_method(ex),
				      tl_http_path(ex));
		return;
	}
	tl_http_respond_error(ex, 404, "no such resource: %s", tl_http_path(ex));
}

int
tl_issuer_service_mount(struct tl_issuer_service *svc, struct tl_http_server *srv,
			struct tl_error *err)
{
	if (svc->srv)
		return tl_error_set(err, TL_ERR_STATE, "the issuer service is mounted already");
	for (size_t i = 0; i < svc->n; i++) {
		char pattern[128];
		snprintf(pattern, sizeof(pattern), "%s/*", svc->issuers[i].prefix);
		if (tl_http_server_route(srv, "*", pattern, dispatch, &svc->issuers[i], err) < 0)
			return -1;
	}
	svc->srv = srv;
	return 0;
}
