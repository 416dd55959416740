/* SPDX-License-Identifier: MIT */
/*
 * AssumeRoleWithWebIdentity after its parameters passed: the checks in the
 * order of DESIGN.md §6 / reference/sts.md §1.6, each recorded in the
 * trace. Once the signature has verified, the remaining checks (audience,
 * time, roles claim, session tags, trust policy, duration) all run, so the
 * trace lists every failing check; the answer is the first failure.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "claims/claims.h"
#include "jose/base64url.h"
#include "jose/jws.h"
#include "json/json.h"
#include "sts/arn.h"
#include "sts/sigv4.h"
#include "stsd-private.h"

#define TAGS_CLAIM "https://aws.amazon.com/tags"
#define SOURCE_IDENTITY_CLAIM "https://aws.amazon.com/source_identity"
#define ROLES_CLAIM "https://aws.amazon.com/roles"
#define SESSION_TAGS_MAX 50

/* --- the trace ----------------------------------------------------------- */

const char *const tl_stsd_policy_actions[3] = {"sts:AssumeRoleWithWebIdentity", "sts:TagSession",
					       "sts:SetSourceIdentity"};

#define STEPS_MAX (256u * 1024)

void
tl_stsd_trace_init(struct stsd_trace *t)
{
	tl_buf_init(&t->steps, STEPS_MAX);
	tl_buf_init(&t->keys, STEPS_MAX);
	t->principal = NULL;
	t->extra = json_object();
	t->header[0] = '\0';
	t->role = NULL;
	t->actions = 0;
}

void
tl_stsd_trace_finish(struct stsd_trace *t)
{
	tl_buf_finish(&t->steps);
	tl_buf_finish(&t->keys);
	free(t->principal);
	t->principal = NULL;
	json_decref(t->extra);
	t->extra = NULL;
	tl_stsd_role_put(t->role);
	t->role = NULL;
}

void
tl_stsd_trace_step(struct stsd_trace *t, const char *check, const char *outcome, const char *fmt,
		   ...)
{
	char detail[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	/* On overflow the step is lost, as a failed json_pack lost it. */
	if (tl_buf_append(&t->steps, check, strlen(check) + 1, NULL) < 0 ||
	    tl_buf_append(&t->steps, outcome, strlen(outcome) + 1, NULL) < 0 ||
	    tl_buf_append(&t->steps, detail, strlen(detail) + 1, NULL) < 0)
		return;
}

void
tl_stsd_trace_set(struct stsd_trace *t, const char *key, json_t *value)
{
	if (t->extra && value)
		json_object_set_new(t->extra, key, value);
	else
		json_decref(value);
}

/* The buffer's bytes in an allocation of their own size (kept for long). */
static char *
steal_exact(struct tl_buf *b, size_t *len)
{
	char *p = tl_buf_steal(b, len), *q = realloc(p, *len + 1);
	return q ? q : p;
}

void
tl_stsd_trace_take(struct stsd_trace *t, struct stsd_lazy *lazy)
{
	lazy->steps = steal_exact(&t->steps, &lazy->steps_len);
	lazy->keys = t->keys.len ? steal_exact(&t->keys, &lazy->keys_len) : NULL;
	lazy->principal = t->principal;
	t->principal = NULL;
	lazy->role = t->role;
	lazy->actions = t->actions;
	t->role = NULL;
	t->actions = 0;
}

static json_t *
steps_json(const struct stsd_lazy *lazy)
{
	json_t *a = json_array();
	const char *p = lazy->steps, *end = lazy->steps + lazy->steps_len;

	while (a && p && p < end) {
		const char *check = p, *outcome = check + strlen(check) + 1;
		const char *detail = outcome + strlen(outcome) + 1;
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "check", check, "outcome",
						   outcome, "detail", detail));
		p = detail + strlen(detail) + 1;
	}
	return a;
}

static json_t *
context_json(const struct stsd_lazy *lazy)
{
	json_t *keys = json_object();
	const char *p = lazy->keys, *end = lazy->keys + lazy->keys_len;

	while (keys && p && p < end) {
		const char *key = p, *value = key + strlen(key) + 1;
		json_t *have = json_object_get(keys, key);
		if (!have) {
			have = json_array();
			json_object_set_new(keys, key, have);
		}
		if (*value == '=')
			json_array_append_new(have, json_string(value + 1));
		p = value + strlen(value) + 1;
	}
	return json_pack("{s:{s:s}, s:o}", "principal", "Federated", lazy->principal, "keys", keys);
}

/* The request context again, from the packed keys: the same ctx_add calls. */
static struct tl_policy_context *
context_again(const struct stsd_lazy *lazy)
{
	struct tl_policy_context *ctx = tl_policy_context_new();
	const char *p = lazy->keys, *end = lazy->keys + lazy->keys_len;

	if (!ctx || tl_policy_context_set_principal(ctx, TL_PRINCIPAL_FEDERATED, lazy->principal,
						    NULL) < 0) {
		tl_policy_context_free(ctx);
		return NULL;
	}
	while (p && p < end) {
		const char *key = p, *value = key + strlen(key) + 1;
		if (tl_policy_context_add(ctx, key, *value == '=' ? value + 1 : NULL, NULL) < 0) {
			tl_policy_context_free(ctx);
			return NULL;
		}
		p = value + strlen(value) + 1;
	}
	return ctx;
}

/* The trust-policy traces, evaluated again: same policy, same context. */
static json_t *
policy_json(const struct stsd_lazy *lazy)
{
	struct tl_policy_context *ctx = context_again(lazy);
	json_t *traces = ctx ? json_array() : NULL;

	for (int a = 0; traces && a < 3; a++) {
		struct tl_policy_trace *pt = NULL;
		json_t *pj = NULL;

		if (!(lazy->actions & (1u << a)))
			continue;
		if (tl_policy_context_set_action(ctx, tl_stsd_policy_actions[a], NULL) < 0)
			break;
		tl_policy_eval(lazy->role->policy, ctx, &pt);
		if (pt)
			pj = tl_policy_trace_to_json(pt);
		tl_policy_trace_free(pt);
		if (pj) {
			json_object_set_new(pj, "action", json_string(tl_stsd_policy_actions[a]));
			json_array_append_new(traces, pj);
		}
	}
	tl_policy_context_free(ctx);
	return traces;
}

json_t *
tl_stsd_lazy_render(struct stsd_lazy *lazy)
{
	if (!lazy->doc)
		return NULL;
	/* Replacing a key keeps its place: the output is in the built order. */
	json_object_set_new(lazy->doc, "steps", steps_json(lazy));
	if (lazy->principal && json_object_get(lazy->doc, "context"))
		json_object_set_new(lazy->doc, "context", context_json(lazy));
	if (lazy->role && lazy->principal && json_object_get(lazy->doc, "policy"))
		json_object_set_new(lazy->doc, "policy", policy_json(lazy));
	return json_incref(lazy->doc);
}

void
tl_stsd_lazy_clear(struct stsd_lazy *lazy)
{
	if (!lazy->doc)
		return;
	/* Only what tl_stsd_lazy_render can rebuild: a decision that was built
	 * whole (the credential endpoints' context and policy) keeps the rest. */
	json_object_set_new(lazy->doc, "steps", json_null());
	if (lazy->principal && json_object_get(lazy->doc, "context"))
		json_object_set_new(lazy->doc, "context", json_null());
	if (lazy->role && lazy->principal && json_object_get(lazy->doc, "policy"))
		json_object_set_new(lazy->doc, "policy", json_null());
}

void
tl_stsd_lazy_finish(struct stsd_lazy *lazy)
{
	json_decref(lazy->doc);
	free(lazy->steps);
	free(lazy->keys);
	free(lazy->principal);
	tl_stsd_role_put(lazy->role);
	memset(lazy, 0, sizeof(*lazy));
}

/* --- helpers ------------------------------------------------------------- */

void
tl_stsd_arwwi_out_finish(struct stsd_arwwi_out *out)
{
	json_decref(out->principal_tags);
	json_decref(out->transitive_tags);
	out->principal_tags = out->transitive_tags = NULL;
}

/* Decodes the unverified payload, only to route by `iss`. */
static json_t *
unverified_claims(const char *token)
{
	const char *a = strchr(token, '.'), *b = a ? strchr(a + 1, '.') : NULL;
	unsigned char *dec;
	size_t len;
	json_t *claims;

	if (!b)
		return NULL;
	dec = tl_b64url_decode_alloc(a + 1, (size_t)(b - a - 1), &len, NULL);
	if (!dec)
		return NULL;
	claims = tl_json_load((const char *)dec, len, NULL, "token payload", NULL);
	free(dec);
	if (claims && !json_is_object(claims)) {
		json_decref(claims);
		return NULL;
	}
	return claims;
}

static bool
is_time_reason(enum tl_jws_reason r)
{
	return r == TL_JWS_EXPIRED || r == TL_JWS_NBF_FUTURE || r == TL_JWS_IAT_TOO_OLD;
}

struct ctx_builder {
	struct tl_policy_context *ctx;
	struct tl_buf *keys; /* the same keys, packed, for the trace */
	int failed;
};

static void
ctx_add(struct ctx_builder *b, const char *key, const char *value)
{
	if (tl_policy_context_add(b->ctx, key, value, NULL) < 0)
		b->failed = 1;
	/* "key\0" then "=value\0", or "-\0" for a key without a value. */
	if (tl_buf_append(b->keys, key, strlen(key) + 1, NULL) < 0 ||
	    tl_buf_putc(b->keys, value ? '=' : '-', NULL) < 0 ||
	    tl_buf_append(b->keys, value ? value : "", value ? strlen(value) + 1 : 1, NULL) < 0)
		b->failed = 1;
}

/* tl_claims_aws_keys callback. */
static void
ctx_add_key(void *b, const char *key, const char *value)
{
	ctx_add(b, key, value);
}

static bool
tag_text_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	return n >= 1 && n <= max;
}

/* Session tags from the token (reference/sts.md §2.4). */
static int
read_tags(const json_t *claim, json_t **ptags, json_t **tkeys, char *why, size_t why_size)
{
	const json_t *pt, *tk, *v;
	const char *k;
	size_t i;

	*ptags = *tkeys = NULL;
	if (!json_is_object(claim)) {
		snprintf(why, why_size, "the %s claim is not an object", TAGS_CLAIM);
		return -1;
	}
	pt = json_object_get(claim, "principal_tags");
	tk = json_object_get(claim, "transitive_tag_keys");
	if (pt && !json_is_object(pt)) {
		snprintf(why, why_size, "principal_tags is not an object");
		return -1;
	}
	if (json_object_size(pt) > SESSION_TAGS_MAX) {
		snprintf(why, why_size, "%zu session tags, at most %d", json_object_size(pt),
			 SESSION_TAGS_MAX);
		return -1;
	}
	*ptags = json_object();
	json_object_foreach((json_t *)pt, k, v)
	{
		const json_t *s =
			json_is_array(v) && json_array_size(v) == 1 ? json_array_get(v, 0) : v;
		if (!json_is_string(s) || !tag_text_ok(k, 128) ||
		    !tag_text_ok(json_string_value(s), 256) || !json_is_string(s)) {
			snprintf(why, why_size,
				 "session tag \"%.64s\" is not a key of 1-128 and a value of "
				 "1-256 characters ([\"value\"] or \"value\")",
				 k);
			return -1;
		}
		json_object_set_new(*ptags, k, json_string(json_string_value(s)));
	}
	*tkeys = json_array();
	if (tk && !json_is_array(tk)) {
		snprintf(why, why_size, "transitive_tag_keys is not an array");
		return -1;
	}
	json_array_foreach(tk, i, v)
	{
		if (!json_is_string(v) || !json_object_get(*ptags, json_string_value(v))) {
			snprintf(why, why_size,
				 "transitive_tag_keys[%zu] is not the key of a principal tag", i);
			return -1;
		}
		json_array_append(*tkeys, (json_t *)v);
	}
	return 0;
}

struct verdict {
	struct tl_sts_fault *fault;
	bool failed;
	char check[32];
	char detail[256];
};

/* Keeps the first failure; later ones only go to the trace. */
static void
verdict_fail(struct verdict *v, const char *check, enum tl_sts_error code, const char *message,
	     const char *detail)
{
	if (v->failed)
		return;
	v->failed = true;
	snprintf(v->check, sizeof(v->check), "%s", check);
	snprintf(v->detail, sizeof(v->detail), "%s", detail);
	tl_sts_fault_set(v->fault, code, message ? "%s" : NULL, message);
}

static void
set_header(struct stsd_trace *t, const struct verdict *v)
{
	char clean[256];
	size_t j = 0;

	for (size_t i = 0; v->detail[i] && j + 1 < sizeof(clean); i++) {
		unsigned char c = (unsigned char)v->detail[i];
		clean[j++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	clean[j] = '\0';
	if (v->failed)
		snprintf(t->header, sizeof(t->header), "deny; check=%s; %s", v->check, clean);
	else
		snprintf(t->header, sizeof(t->header), "allow; check=credentials");
}

/*
 * Session policies only narrow the session; the mock checks that an inline
 * one is a JSON policy document (MalformedPolicyDocument) and reports the
 * packed size as AWS does, a percentage of the limit. The packing is
 * AWS's secret: trustlab counts the policy's non-whitespace characters
 * plus the managed policy ARNs against 2,048 (PackedPolicyTooLarge above).
 */
static int
session_policies(const struct tl_sts_arwwi_request *req, struct stsd_trace *trace,
		 struct verdict *v)
{
	size_t size = 0;
	int percent;

	if (!req->policy && req->policy_arn_count == 0)
		return -1;
	if (req->policy) {
		json_t *doc = tl_json_load(req->policy, strlen(req->policy), NULL, "Policy", NULL);
		const json_t *st = json_object_get(doc, "Statement");
		if (!json_is_object(doc) || (!json_is_array(st) && !json_is_object(st))) {
			json_decref(doc);
			tl_stsd_trace_step(trace, "session-policy", "fail",
					   "Policy is not a JSON policy document with a Statement");
			verdict_fail(v, "session-policy", TL_STS_MALFORMED_POLICY_DOCUMENT, NULL,
				     "reason=session-policy");
			return -1;
		}
		json_decref(doc);
		for (const char *p = req->policy; *p; p++)
			if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
				size++;
	}
	for (size_t i = 0; i < req->policy_arn_count; i++)
		size += strlen(req->policy_arns[i]);
	percent = (int)((size * 100 + 2047) / 2048);
	if (percent > 100) {
		tl_stsd_trace_step(trace, "session-policy", "fail", "packed size %d%%", percent);
		verdict_fail(v, "session-policy", TL_STS_PACKED_POLICY_TOO_LARGE, NULL,
			     "reason=packed-policy-too-large");
		return -1;
	}
	tl_stsd_trace_step(trace, "session-policy", "pass", "packed size %d%%", percent);
	return percent;
}

/* --- the decision --------------------------------------------------------- */

int
tl_stsd_arwwi(struct tl_stsd *svc, const struct tl_sts_arwwi_request *req,
	      struct stsd_arwwi_out *out, struct stsd_trace *trace, struct tl_sts_fault *fault)
{
	const struct tl_clock *clock = svc->clock;
	struct verdict v = {.fault = fault};
	struct stsd_snapshot *snap = tl_stsd_snapshot_get(svc);
	struct stsd_role *role = NULL;
	struct stsd_provider *prov = NULL;
	struct stsd_keys *keys = NULL;
	struct tl_jws_expect expect;
	struct tl_jws_result res;
	struct ctx_builder b = {0};
	char account[TL_STS_ACCOUNT_LEN + 1], rpath[TL_STS_ROLE_PATH_MAX + 1];
	char rname[TL_STS_ROLE_NAME_MAX + 1], why[1024], buf[64];
	const char *token = req->web_identity_token, *iss, *sub;
	size_t token_len = strlen(token);
	json_t *unverified = NULL, *claims, *aud, *e, *tags_claim, *si_claim, *roles_claim;
	json_t *ptags = NULL, *tkeys = NULL;
	enum tl_jws_reason reason;
	bool refreshed = false, aud_ok = false, role_authorized = false;
	int64_t now = tl_clock_now(clock);
	size_t i;

	memset(&res, 0, sizeof(res));
	/* 2. The role: a missing one answers exactly as a denied one. */
	if (tl_sts_arn_role(req->role_arn, account, rpath, rname) == 0 &&
	    strcmp(account, svc->account) == 0)
		role = tl_stsd_snapshot_role(snap, rname);
	if (!role || strcmp(role->arn, req->role_arn) != 0) {
		tl_stsd_trace_step(
			trace, "role", "fail",
			"no role %s in account %s (answered as AccessDenied, as AWS does)",
			req->role_arn, svc->account);
		verdict_fail(&v, "role", TL_STS_ACCESS_DENIED, NULL, "reason=no-such-role");
		goto done;
	}
	tl_stsd_trace_step(trace, "role", "pass", "%s (id %s, max session %d s)", role->arn,
			   role->id, role->max_session_duration);

	/* 3. Token syntax and header policy, before any key is needed. */
	tl_jws_expect_init(&expect);
	expect.skew_seconds = svc->skew_seconds;
	expect.algs = TL_JWS_ALGS_STS;
	reason = tl_jws_verify(token, token_len, NULL, &expect, clock, &res);
	if (reason != TL_JWS_JWKS_EMPTY) {
		tl_stsd_trace_step(trace, "token-syntax", "fail", "%s: %s",
				   tl_jws_reason_name(reason), res.message);
		snprintf(why, sizeof(why), "reason=%s", tl_jws_reason_name(reason));
		verdict_fail(&v, "token-syntax", TL_STS_INVALID_IDENTITY_TOKEN, NULL, why);
		goto done;
	}
	if (res.header)
		tl_stsd_trace_set(trace, "token_header", json_incref(res.header));
	tl_jws_result_finish(&res);
	unverified = unverified_claims(token);
	iss = json_string_value(json_object_get(unverified, "iss"));
	if (!unverified || !iss) {
		tl_stsd_trace_step(
			trace, "token-syntax", "fail", "%s",
			!unverified
				? "the payload is not a JSON object (strict: no duplicate members)"
				: "the token has no string 'iss' claim");
		verdict_fail(&v, "token-syntax", TL_STS_INVALID_IDENTITY_TOKEN, NULL,
			     !unverified ? "reason=payload-json" : "reason=iss-missing");
		goto done;
	}
	tl_stsd_trace_step(trace, "token-syntax", "pass",
			   "compact JWS, header accepted, iss \"%s\"", iss);

	/* 4. The issuer must be a registered provider, byte for byte. */
	if (strncmp(iss, "https://", 8) == 0)
		prov = tl_stsd_snapshot_provider(snap, iss + 8);
	if (!prov) {
		char msg[2300];
		snprintf(msg, sizeof(msg), "No OpenIDConnect provider found in your account for %s",
			 iss);
		tl_stsd_trace_step(trace, "issuer", "fail",
				   "no OpenID Connect provider for iss \"%s\" (%zu registered)",
				   iss, snap->provider_count);
		verdict_fail(&v, "issuer", TL_STS_INVALID_IDENTITY_TOKEN, msg,
			     "reason=no-provider");
		goto done;
	}
	tl_stsd_trace_step(trace, "issuer", "pass", "provider %s", prov->arn);
	snprintf(out->provider_arn, sizeof(out->provider_arn), "%s", prov->arn);

	/* 5. Keys from discovery + JWKS (cached). */
	why[0] = '\0';
	keys = tl_stsd_keys_get(svc, iss, false, NULL, why, sizeof(why));
	if (!keys) {
		tl_stsd_trace_step(trace, "keys", "fail", "%s", why);
		verdict_fail(&v, "keys", TL_STS_IDP_COMMUNICATION_ERROR, NULL,
			     "reason=idp-unreachable");
		goto done;
	}

	/* 6. Signature, algorithm and kid with the strict verifier. */
	expect.issuer = iss;
	reason = tl_jws_verify(token, token_len, keys->jwks, &expect, clock, &res);
	if (reason == TL_JWS_KID_UNKNOWN) {
		struct stsd_keys *again;
		tl_stsd_trace_step(trace, "keys", "info", "%s; refetching the JWKS once",
				   res.message);
		again = tl_stsd_keys_get(svc, iss, true, &refreshed, why, sizeof(why));
		if (again) {
			tl_stsd_keys_put(keys);
			keys = again;
			tl_jws_result_finish(&res);
			reason = tl_jws_verify(token, token_len, keys->jwks, &expect, clock, &res);
		} else {
			tl_stsd_trace_step(trace, "keys", "fail", "%s", why);
			verdict_fail(&v, "keys", TL_STS_IDP_COMMUNICATION_ERROR, NULL,
				     "reason=idp-unreachable");
			goto done;
		}
	}
	tl_stsd_trace_step(trace, "keys", "pass", "%zu key(s) from %s", tl_jwks_count(keys->jwks),
			   keys->source);
	if (!res.claims) {
		tl_stsd_trace_step(trace, "signature", "fail", "%s: %s", tl_jws_reason_name(reason),
				   res.message);
		snprintf(why, sizeof(why), "reason=%s", tl_jws_reason_name(reason));
		verdict_fail(&v, "signature", TL_STS_INVALID_IDENTITY_TOKEN, NULL, why);
		tl_stsd_trace_set(trace, "token_claims_unverified", json_incref(unverified));
		goto done;
	}
	claims = res.claims;
	tl_stsd_trace_set(trace, "token_claims", json_incref(claims));
	tl_stsd_trace_step(trace, "signature", "pass", "%s, kid \"%s\"", tl_jose_alg_name(res.alg),
			   res.key && tl_jose_key_kid(res.key) ? tl_jose_key_kid(res.key) : "");

	/* 7. Audience in the provider's client ids. */
	aud = json_object_get(claims, "aud");
	if (!aud) {
		tl_stsd_trace_step(trace, "audience", "fail", "the token has no 'aud'");
		verdict_fail(&v, "audience", TL_STS_INVALID_IDENTITY_TOKEN,
			     "Missing a required claim: aud", "reason=aud-missing");
	} else {
		json_t *one = json_is_string(aud) ? aud : NULL;
		json_array_foreach(aud, i, e) if (json_is_string(e) && !one) one = e;
		for (size_t k = 0; k < prov->client_id_count && !aud_ok; k++) {
			if (json_is_string(aud))
				aud_ok = strcmp(json_string_value(aud), prov->client_ids[k]) == 0;
			json_array_foreach(aud, i, e) if (json_is_string(e) &&
							  strcmp(json_string_value(e),
								 prov->client_ids[k]) == 0)
			{
				aud_ok = true;
				one = e;
			}
		}
		if (one)
			snprintf(out->audience, sizeof(out->audience), "%s",
				 json_string_value(one));
		if (aud_ok) {
			tl_stsd_trace_step(trace, "audience", "pass", "\"%s\" is a client id of %s",
					   out->audience, prov->arn);
		} else {
			char *text = json_dumps(aud, JSON_COMPACT | JSON_ENCODE_ANY);
			tl_stsd_trace_step(trace, "audience", "fail",
					   "aud %s is not among the %zu client id(s) of %s",
					   text ? text : "?", prov->client_id_count, prov->arn);
			free(text);
			verdict_fail(&v, "audience", TL_STS_INVALID_IDENTITY_TOKEN,
				     "Incorrect token audience", "reason=aud-mismatch");
		}
	}

	/* 8. Time claims (and the verifier's other claim checks). */
	if (reason == TL_JWS_OK) {
		tl_stsd_trace_step(trace, "time", "pass", "exp/iat/nbf within %" PRId64 " s leeway",
				   svc->skew_seconds);
	} else if (is_time_reason(reason)) {
		tl_stsd_trace_step(trace, "time", "fail", "%s: %s", tl_jws_reason_name(reason),
				   res.message);
		snprintf(why, sizeof(why), "reason=%s", tl_jws_reason_name(reason));
		verdict_fail(&v, "time", TL_STS_EXPIRED_TOKEN_EXCEPTION, NULL, why);
	} else {
		tl_stsd_trace_step(trace, "claims", "fail", "%s: %s", tl_jws_reason_name(reason),
				   res.message);
		snprintf(why, sizeof(why), "reason=%s", tl_jws_reason_name(reason));
		verdict_fail(&v, "claims", TL_STS_INVALID_IDENTITY_TOKEN, NULL, why);
	}
	sub = json_string_value(json_object_get(claims, "sub"));
	snprintf(out->subject, sizeof(out->subject), "%s", sub ? sub : "");

	/* 9. The roles claim, when present, must list the role. */
	roles_claim = json_object_get(claims, ROLES_CLAIM);
	if (roles_claim) {
		if (json_is_string(roles_claim))
			role_authorized = strcmp(json_string_value(roles_claim), role->arn) == 0;
		json_array_foreach(roles_claim, i, e) if (json_is_string(e) &&
							  strcmp(json_string_value(e), role->arn) ==
								  0) role_authorized = true;
		if (role_authorized) {
			tl_stsd_trace_step(trace, "roles-claim", "pass", "the token lists %s",
					   role->arn);
		} else {
			tl_stsd_trace_step(trace, "roles-claim", "fail",
					   "the token does not list %s", role->arn);
			verdict_fail(&v, "roles-claim", TL_STS_INVALID_IDENTITY_TOKEN,
				     "The target role ARN is not present in the roles claim of the "
				     "identity token",
				     "reason=roles-claim");
		}
	}

	/* 10. Session tags and source identity from the token. */
	tags_claim = json_object_get(claims, TAGS_CLAIM);
	if (tags_claim && read_tags(tags_claim, &ptags, &tkeys, why, sizeof(why)) < 0) {
		tl_stsd_trace_step(trace, "session-tags", "fail", "%s", why);
		verdict_fail(&v, "session-tags", TL_STS_INVALID_IDENTITY_TOKEN, NULL,
			     "reason=session-tags");
		json_decref(ptags);
		json_decref(tkeys);
		ptags = tkeys = NULL;
	} else if (tags_claim) {
		tl_stsd_trace_step(trace, "session-tags", "info",
				   "%zu session tag(s): sts:TagSession must be allowed too",
				   json_object_size(ptags));
	}
	si_claim = json_object_get(claims, SOURCE_IDENTITY_CLAIM);
	if (si_claim) {
		if (!json_is_string(si_claim) ||
		    !tl_sts_session_name_valid(json_string_value(si_claim))) {
			tl_stsd_trace_step(trace, "source-identity", "fail",
					   "%s is not a string of 2-64 [\\w+=,.@-]",
					   SOURCE_IDENTITY_CLAIM);
			verdict_fail(&v, "source-identity", TL_STS_INVALID_IDENTITY_TOKEN, NULL,
				     "reason=source-identity");
			si_claim = NULL;
		} else {
			out->has_source_identity = true;
			snprintf(out->source_identity, sizeof(out->source_identity), "%s",
				 json_string_value(si_claim));
			tl_stsd_trace_step(trace, "source-identity", "info",
					   "\"%s\": sts:SetSourceIdentity must be allowed too",
					   out->source_identity);
		}
	}

	/* 11. The request context and the trust policy. */
	b.ctx = tl_policy_context_new();
	b.keys = &trace->keys;
	if (!b.ctx) {
		verdict_fail(&v, "internal", TL_STS_INTERNAL_FAILURE, NULL, "reason=nomem");
		goto done;
	}
	if (tl_policy_context_set_principal(b.ctx, TL_PRINCIPAL_FEDERATED, prov->arn, NULL) < 0)
		b.failed = 1;
	tl_claims_aws_keys(prov->url, claims, ctx_add_key, &b);
	ctx_add(&b, "aws:FederatedProvider", prov->arn);
	ctx_add(&b, "sts:RoleSessionName", req->role_session_name);
	if (json_is_integer(json_object_get(claims, "iat"))) {
		char iso[TL_TIME_ISO8601_LEN];
		tl_time_format_iso8601(json_integer_value(json_object_get(claims, "iat")), iso);
		ctx_add(&b, "aws:TokenIssueTime", iso);
	}
	{
		char iso[TL_TIME_ISO8601_LEN];
		tl_time_format_iso8601(now, iso);
		ctx_add(&b, "aws:CurrentTime", iso);
		snprintf(buf, sizeof(buf), "%" PRId64, now);
		ctx_add(&b, "aws:EpochTime", buf);
		ctx_add(&b, "aws:SecureTransport", "true");
	}
	if (ptags) {
		const char *k;
		json_t *val;
		ctx_add(&b, "aws:TagKeys", NULL);
		json_object_foreach(ptags, k, val)
		{
			char key[200];
			snprintf(key, sizeof(key), "aws:RequestTag/%s", k);
			ctx_add(&b, key, json_string_value(val));
			ctx_add(&b, "aws:TagKeys", k);
		}
		ctx_add(&b, "sts:TransitiveTagKeys", NULL);
		json_array_foreach(tkeys, i, e)
			ctx_add(&b, "sts:TransitiveTagKeys", json_string_value(e));
	}
	if (out->has_source_identity)
		ctx_add(&b, "sts:SourceIdentity", out->source_identity);
	if (role_authorized)
		ctx_add(&b, "sts:RoleAuthorizedByIdp", "true");
	/* A placeholder, as "policy" below: rendered when fetched. */
	tl_stsd_trace_set(trace, "context", json_null());
	free(trace->principal);
	trace->principal = strdup(prov->arn);
	if (b.failed) {
		verdict_fail(&v, "internal", TL_STS_INTERNAL_FAILURE, NULL, "reason=nomem");
		goto done;
	}
	{
		const char *const *actions = tl_stsd_policy_actions;
		for (int a = 0; a < 3; a++) {
			struct tl_policy_trace *pt = NULL;
			enum tl_policy_decision d;
			char stmt[128];
			const char *sid;
			long at;

			if ((a == 1 && !ptags) || (a == 2 && !out->has_source_identity))
				continue;
			if (tl_policy_context_set_action(b.ctx, actions[a], NULL) < 0) {
				verdict_fail(&v, "internal", TL_STS_INTERNAL_FAILURE, NULL,
					     "reason=nomem");
				break;
			}
			/* The trace's JSON is built only if the decision is fetched. */
			d = tl_policy_eval(role->policy, b.ctx, &pt);
			at = pt ? tl_policy_trace_deciding(pt, &sid) : -1;
			if (at < 0)
				snprintf(stmt, sizeof(stmt), "none");
			else if (sid)
				snprintf(stmt, sizeof(stmt), "%s", sid);
			else
				snprintf(stmt, sizeof(stmt), "#%ld", at);
			tl_policy_trace_free(pt);
			trace->actions |= 1u << a;
			if (d == TL_POLICY_ALLOW) {
				tl_stsd_trace_step(trace, "trust-policy", "pass",
						   "%s allowed by statement %s", actions[a], stmt);
			} else {
				tl_stsd_trace_step(trace, "trust-policy", "fail",
						   "%s: %s (statement %s)", actions[a],
						   d == TL_POLICY_EXPLICIT_DENY
							   ? "explicit deny"
							   : "no statement allows it",
						   stmt);
				snprintf(why, sizeof(why), "action=%s; decision=%s; statement=%s",
					 actions[a], tl_policy_decision_name(d), stmt);
				verdict_fail(&v, "trust-policy", TL_STS_ACCESS_DENIED, NULL, why);
			}
		}
		/* A placeholder that keeps the key's place in the decision. */
		tl_stsd_trace_set(trace, "policy", json_null());
		trace->role = tl_stsd_role_ref(role);
	}

	/* 12. DurationSeconds against the role's maximum. */
	if (tl_sts_arwwi_check_duration(req, role->max_session_duration, NULL) < 0) {
		tl_stsd_trace_step(trace, "duration", "fail",
				   "DurationSeconds %d > MaxSessionDuration %d",
				   req->duration_seconds, role->max_session_duration);
		verdict_fail(&v, "duration", TL_STS_VALIDATION_ERROR,
			     "The requested DurationSeconds exceeds the MaxSessionDuration set "
			     "for this role.",
			     "reason=duration-exceeds-max");
	} else {
		tl_stsd_trace_step(trace, "duration", "pass", "%d s (role maximum %d s)",
				   req->duration_seconds, role->max_session_duration);
	}
	/* 13. Session policies (reference/sts.md §1.6 step 6). */
	out->packed_policy_size = session_policies(req, trace, &v);
	if (v.failed)
		goto done;

	/* 14. Credentials. */
	if (tl_sts_credentials_generate(&svc->rng, now + req->duration_seconds, &out->creds, NULL) <
	    0) {
		verdict_fail(&v, "credentials", TL_STS_INTERNAL_FAILURE, NULL, "reason=nomem");
		goto done;
	}
	tl_sts_arn_format_assumed_role(out->assumed_arn, sizeof(out->assumed_arn), svc->account,
				       role->name, req->role_session_name);
	snprintf(out->assumed_id, sizeof(out->assumed_id), "%s:%s", role->id,
		 req->role_session_name);
	out->principal_tags = ptags;
	out->transitive_tags = tkeys;
	ptags = tkeys = NULL;
	{
		struct stsd_session s;
		memset(&s, 0, sizeof(s));
		memcpy(s.access_key_id, out->creds.access_key_id, sizeof(s.access_key_id));
		memcpy(s.secret, out->creds.secret_access_key, sizeof(s.secret));
		tl_sts_sha256_hex(out->creds.session_token, strlen(out->creds.session_token),
				  s.token_sha256);
		s.expiration = out->creds.expiration;
		snprintf(s.arn, sizeof(s.arn), "%.255s", out->assumed_arn);
		snprintf(s.user_id, sizeof(s.user_id), "%s", out->assumed_id);
		tl_stsd_session_add(svc, &s);
	}
	tl_stsd_trace_step(trace, "credentials", "pass", "%s until %" PRId64 " (key id %s)",
			   out->assumed_arn, out->creds.expiration, out->creds.access_key_id);
done:
	(void)refreshed;
	set_header(trace, &v);
	json_decref(ptags);
	json_decref(tkeys);
	tl_policy_context_free(b.ctx);
	tl_jws_result_finish(&res);
	json_decref(unverified);
	tl_stsd_keys_put(keys);
	tl_stsd_snapshot_put(snap);
	return v.failed ? -1 : 0;
}
