/* SPDX-License-Identifier: MIT */
/*
 * The service on the wire: one endpoint for STS and IAM (dispatched by
 * Action and Version), SigV4 for every action but AssumeRoleWithWebIdentity,
 * issued sessions for GetCallerIdentity, and the explanations: the
 * x-trustlab-decision header, the recent traces under
 * /_trustlab/decisions/<RequestId>, and the CloudTrail-shaped audit log.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http/server.h"
#include "sts/arn.h"
#include "sts/iam.h"
#include "sts/query.h"
#include "sts/sigv4.h"
#include "stsd-private.h"

#define RESPONSE_MAX (4u * 1024 * 1024)
#define HEADERS_MAX 64
#define DECISIONS_PREFIX "/_trustlab/decisions/"

void
tl_stsd_config_init(struct tl_stsd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->account = "123456789012";
	cfg->admin_access_key_id = "test";
	cfg->admin_secret = "test";
	cfg->region = "us-east-1";
	cfg->skew_seconds = 300;
	cfg->jwks_ttl_seconds = 3600;
	cfg->jwks_refetch_ms = 1000;
	cfg->fetch_timeout_ms = 5000;
	cfg->decisions_max = 10000;
	cfg->sessions_max = 100000;
	cfg->admin_user = "admin";
	cfg->roles_max = 5000;
	cfg->providers_max = 100;
}

/* --- sessions -------------------------------------------------------------- */

static size_t
hash(const char *s, size_t buckets)
{
	uint64_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return (size_t)(h % buckets);
}

static void
session_unlink(struct tl_stsd *svc, struct stsd_session *s)
{
	struct stsd_session **pp =
		&svc->session_table[hash(s->access_key_id, svc->session_buckets)];
	for (; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			return;
		}
}

void
tl_stsd_session_add(struct tl_stsd *svc, const struct stsd_session *in)
{
	struct stsd_session *s = malloc(sizeof(*s));
	size_t slot, b;

	if (!s)
		return; /* the credentials then fail as unknown, never as valid */
	*s = *in;
	pthread_mutex_lock(&svc->session_lock);
	slot = (svc->session_head + svc->session_count) % svc->sessions_max;
	if (svc->session_count == svc->sessions_max) {
		struct stsd_session *old = svc->session_fifo[svc->session_head];
		session_unlink(svc, old);
		free(old);
		svc->session_head = (svc->session_head + 1) % svc->sessions_max;
		svc->session_count--;
	}
	svc->session_fifo[slot] = s;
	svc->session_count++;
	b = hash(s->access_key_id, svc->session_buckets);
	s->next = svc->session_table[b];
	svc->session_table[b] = s;
	pthread_mutex_unlock(&svc->session_lock);
}

static bool
session_find(struct tl_stsd *svc, const char *akid, struct stsd_session *out)
{
	bool found = false;
	pthread_mutex_lock(&svc->session_lock);
	for (struct stsd_session *s = svc->session_table[hash(akid, svc->session_buckets)]; s;
	     s = s->next)
		if (strcmp(s->access_key_id, akid) == 0) {
			*out = *s;
			found = true;
			break;
		}
	pthread_mutex_unlock(&svc->session_lock);
	return found;
}

/* --- decisions and audit ---------------------------------------------------- */

/*
 * Keeps the decision unrendered (stsd-private.h, struct stsd_lazy): it is
 * rendered when fetched, under the lock, so one thread renders it at a time.
 */
void
tl_stsd_decision_store(struct tl_stsd *svc, const char *request_id, struct stsd_lazy *lazy)
{
	struct decision *d;
	struct stsd_lazy old;

	if (!svc->decisions_max || !lazy->doc) {
		tl_stsd_lazy_finish(lazy);
		return;
	}
	pthread_mutex_lock(&svc->decision_lock);
	d = &svc->decisions[svc->decision_next];
	old = d->lazy;
	d->lazy = *lazy;
	memset(lazy, 0, sizeof(*lazy));
	snprintf(d->request_id, sizeof(d->request_id), "%s", request_id);
	svc->decision_next = (svc->decision_next + 1) % svc->decisions_max;
	pthread_mutex_unlock(&svc->decision_lock);
	tl_stsd_lazy_finish(&old);
}

static char *
decision_find(struct tl_stsd *svc, const char *request_id)
{
	char *text = NULL;
	pthread_mutex_lock(&svc->decision_lock);
	for (size_t i = 0; i < svc->decisions_max; i++)
		if (svc->decisions[i].lazy.doc &&
		    strcmp(svc->decisions[i].request_id, request_id) == 0) {
			json_t *doc = tl_stsd_lazy_render(&svc->decisions[i].lazy);
			if (doc)
				text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
			json_decref(doc);
			tl_stsd_lazy_clear(&svc->decisions[i].lazy);
			break;
		}
	pthread_mutex_unlock(&svc->decision_lock);
	return text;
}

void
tl_stsd_audit_write(struct tl_stsd *svc, const json_t *event)
{
	char *text;
	if (!svc->audit)
		return;
	text = json_dumps(event, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		return;
	pthread_mutex_lock(&svc->audit_lock);
	fputs(text, svc->audit);
	fputc('\n', svc->audit);
	fflush(svc->audit);
	pthread_mutex_unlock(&svc->audit_lock);
	free(text);
}

/* --- lifecycle --------------------------------------------------------------- */

static char *
dupstr(const char *s)
{
	return s ? strdup(s) : NULL;
}

struct tl_stsd *
tl_stsd_new(const struct tl_stsd_config *cfg, struct tl_error *err)
{
	struct tl_stsd *svc = calloc(1, sizeof(*svc));

	if (!svc) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&svc->cache_lock, NULL);
	pthread_mutex_init(&svc->client_lock, NULL);
	pthread_mutex_init(&svc->session_lock, NULL);
	pthread_mutex_init(&svc->decision_lock, NULL);
	pthread_mutex_init(&svc->audit_lock, NULL);
	pthread_mutex_init(&svc->creds_lock, NULL);
	if (cfg->seed)
		tl_rng_init_seeded(&svc->rng, cfg->seed);
	else
		tl_rng_init_secure(&svc->rng);
	if (tl_stsd_store_init(svc, err) < 0)
		goto fail;
	if (!cfg->account || !tl_sts_account_valid(cfg->account)) {
		tl_error_set(err, TL_ERR_INVALID, "account '%s' is not 12 digits",
			     cfg->account ? cfg->account : "");
		goto fail;
	}
	snprintf(svc->account, sizeof(svc->account), "%s", cfg->account);
	if (!cfg->admin_access_key_id || !cfg->admin_access_key_id[0] || !cfg->admin_secret ||
	    !cfg->admin_secret[0]) {
		tl_error_set(err, TL_ERR_INVALID, "the admin credentials are empty");
		goto fail;
	}
	svc->admin_akid = dupstr(cfg->admin_access_key_id);
	svc->admin_secret = dupstr(cfg->admin_secret);
	svc->region = dupstr(cfg->region ? cfg->region : "us-east-1");
	svc->admin_user = dupstr(cfg->admin_user && cfg->admin_user[0] ? cfg->admin_user : "admin");
	/* A stable IAM user id for the admin user ("AIDA" + 17), whatever the seed. */
	{
		static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
		uint64_t h = 1469598103934665603u;
		for (const char *p = svc->admin_akid ? svc->admin_akid : ""; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211u;
		memcpy(svc->admin_user_id, "AIDA", 4);
		for (int i = 0; i < 17; i++, h = h * 6364136223846793005u + 1442695040888963407u)
			svc->admin_user_id[4 + i] = b32[(h >> 59) & 31];
		svc->admin_user_id[21] = '\0';
	}
	svc->state_path = dupstr(cfg->state_path);
	svc->clock = cfg->clock;
	svc->limits.max_chars =
		cfg->policy_max_chars ? cfg->policy_max_chars : TL_POLICY_SIZE_DEFAULT;
	if (svc->limits.max_chars > TL_POLICY_SIZE_MAX)
		svc->limits.max_chars = TL_POLICY_SIZE_MAX;
	svc->skew_seconds = cfg->skew_seconds;
	svc->jwks_ttl_ms = cfg->jwks_ttl_seconds * 1000;
	svc->jwks_refetch_ms = cfg->jwks_refetch_ms;
	svc->fetch_timeout_ms = cfg->fetch_timeout_ms > 0 ? cfg->fetch_timeout_ms : 5000;
	svc->sessions_max = cfg->sessions_max ? cfg->sessions_max : 100000;
	svc->session_buckets = svc->sessions_max / 2 + 1;
	svc->session_table = calloc(svc->session_buckets, sizeof(*svc->session_table));
	svc->session_fifo = calloc(svc->sessions_max, sizeof(*svc->session_fifo));
	svc->decisions_max = cfg->decisions_max;
	svc->roles_max = cfg->roles_max ? cfg->roles_max : 5000;
	svc->providers_max = cfg->providers_max ? cfg->providers_max : 100;
	svc->decisions = calloc(svc->decisions_max + 1, sizeof(*svc->decisions));
	svc->maps = calloc(cfg->issuer_map_count + 1, sizeof(*svc->maps));
	if (!svc->admin_akid || !svc->admin_secret || !svc->region || !svc->admin_user ||
	    (cfg->state_path && !svc->state_path) || !svc->session_table || !svc->session_fifo ||
	    !svc->decisions || !svc->maps) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < cfg->issuer_map_count; i++) {
		svc->maps[i].issuer = dupstr(cfg->issuer_maps[i].issuer);
		svc->maps[i].url = dupstr(cfg->issuer_maps[i].url);
		svc->map_count++;
		if (!svc->maps[i].issuer || !svc->maps[i].url) {
			tl_error_set(err, TL_ERR_NOMEM, "out of memory");
			goto fail;
		}
	}
	if (tl_stsd_keys_load_files(svc, cfg, err) < 0)
		goto fail;
	if (svc->state_path && tl_stsd_state_load(svc, err) < 0)
		goto fail;
	if (cfg->audit_log_path) {
		svc->audit = fopen(cfg->audit_log_path, "ae");
		if (!svc->audit) {
			tl_error_set(err, TL_ERR_IO, "cannot open the audit log '%s': %s",
				     cfg->audit_log_path, strerror(errno));
			goto fail;
		}
	}
	return svc;
fail:
	tl_stsd_free(svc);
	return NULL;
}

void
tl_stsd_free(struct tl_stsd *svc)
{
	if (!svc)
		return;
	tl_stsd_keys_finish(svc);
	tl_stsd_store_finish(svc);
	for (size_t i = 0; svc->session_fifo && i < svc->session_count; i++)
		free(svc->session_fifo[(svc->session_head + i) % svc->sessions_max]);
	free(svc->session_fifo);
	free(svc->session_table);
	for (size_t i = 0; svc->decisions && i < svc->decisions_max; i++)
		tl_stsd_lazy_finish(&svc->decisions[i].lazy);
	free(svc->decisions);
	for (size_t i = 0; i < svc->map_count; i++) {
		free((char *)(uintptr_t)svc->maps[i].issuer);
		free((char *)(uintptr_t)svc->maps[i].url);
	}
	free(svc->maps);
	if (svc->audit)
		fclose(svc->audit);
	free(svc->admin_akid);
	free(svc->admin_secret);
	free(svc->region);
	free(svc->state_path);
	free(svc->admin_user);
	tl_stsd_creds_finish(svc);
	pthread_mutex_destroy(&svc->creds_lock);
	tl_rng_finish(&svc->rng);
	pthread_mutex_destroy(&svc->cache_lock);
	pthread_mutex_destroy(&svc->client_lock);
	pthread_mutex_destroy(&svc->session_lock);
	pthread_mutex_destroy(&svc->decision_lock);
	pthread_mutex_destroy(&svc->audit_lock);
	free(svc);
}

/* --- one call ------------------------------------------------------------------ */

struct call {
	struct tl_stsd *svc;
	struct tl_http_exchange *ex;
	char request_id[TL_UUID_LEN];
	enum tl_sts_service service;
	const char *action; /* name, or "Unknown" */
	struct stsd_trace trace;
	struct tl_sts_fault fault;
	struct tl_buf out;
	json_t *user_identity; /* for the audit event */
	json_t *request_parameters;
	json_t *response_elements;
	char stage[32]; /* where a failure happened */
};

static void
respond_xml(struct call *c, unsigned status)
{
	tl_http_add_header(c->ex, "x-amzn-RequestId", c->request_id);
	if (c->trace.header[0])
		tl_http_add_header(c->ex, "x-trustlab-decision", c->trace.header);
	tl_http_respond(c->ex, status, "text/xml", tl_buf_str(&c->out), c->out.len);
}

static void
respond_fault(struct call *c)
{
	const struct tl_sts_error_info *info = tl_sts_error_info(c->fault.code);

	if (!c->trace.header[0])
		snprintf(c->trace.header, sizeof(c->trace.header), "error; check=%s; code=%s",
			 c->stage[0] ? c->stage : "request", info ? info->name : "?");
	tl_buf_reset(&c->out);
	if (tl_sts_fault_xml(&c->out, &c->fault, c->request_id, c->service, NULL) < 0) {
		tl_http_respond(c->ex, 500, "text/plain", "internal failure", 16);
		return;
	}
	respond_xml(c, info ? (unsigned)info->status : 500);
}

static int
fail(struct call *c, const char *stage)
{
	snprintf(c->stage, sizeof(c->stage), "%s", stage);
	return -1;
}

struct header_list {
	struct tl_sts_http_header h[HEADERS_MAX];
	size_t n;
	bool overflow;
};

static bool
collect_header(void *ctx, const char *key, size_t key_len, const char *value, size_t value_len)
{
	struct header_list *l = ctx;
	(void)key_len;
	(void)value_len;
	if (l->n == HEADERS_MAX) {
		l->overflow = true;
		return false;
	}
	l->h[l->n].name = key;
	l->h[l->n].value = value;
	l->n++;
	return true;
}

/* Who signed: 0 admin, 1 session (filled), -1 fault. */
static int
authenticate(struct call *c, const struct tl_sts_action_info *ai, struct stsd_session *session)
{
	struct header_list hl = {.n = 0};
	struct tl_sts_http_request req;
	struct tl_sts_sigv4 sig;
	size_t body_len;
	const char *body = tl_http_body(c->ex, &body_len);
	const char *service = ai->service == TL_STS_SERVICE_IAM ? "iam" : "sts";
	int64_t now = tl_clock_now(c->svc->clock);
	char token_sha[65] = "";
	bool known;
	int who;

	tl_http_header_foreach(c->ex, collect_header, &hl);
	if (hl.overflow) {
		tl_sts_fault_set(&c->fault, TL_STS_INCOMPLETE_SIGNATURE, "Too many headers.");
		return fail(c, "signature");
	}
	req.method = tl_http_method(c->ex);
	req.path = tl_http_path(c->ex);
	req.query = tl_http_query_string(c->ex);
	req.headers = hl.h;
	req.header_count = hl.n;
	req.body = body;
	req.body_len = body_len;
	if (tl_sts_sigv4_parse(&req, &sig, &c->fault) < 0)
		return fail(c, "signature");
	if (strcmp(sig.access_key_id, c->svc->admin_akid) == 0) {
		who = 0;
		if (tl_sts_sigv4_verify(&req, &sig, c->svc->admin_secret, service, now, &c->fault) <
		    0)
			return fail(c, "signature");
		snprintf(session->arn, sizeof(session->arn), "arn:aws:iam::%s:user/%.64s",
			 c->svc->account, c->svc->admin_user);
		snprintf(session->user_id, sizeof(session->user_id), "%s", c->svc->admin_user_id);
		c->user_identity = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", "IAMUser",
					     "principalId", session->user_id, "arn", session->arn,
					     "accountId", c->svc->account, "accessKeyId",
					     sig.access_key_id, "userName", c->svc->admin_user);
		tl_stsd_trace_step(&c->trace, "authentication", "pass", "admin key %s (user %s)",
				   sig.access_key_id, c->svc->admin_user);
		return who;
	}
	{
		struct stsd_user u;
		if (tl_stsd_user_find(c->svc, sig.access_key_id, &u)) {
			/* A long-term key: IAM answers it for its user (GetCallerIdentity
			 * only; IAM actions need the admin key). */
			if (tl_sts_sigv4_verify(&req, &sig, u.secret, service, now, &c->fault) <
			    0) {
				tl_stsd_trace_step(&c->trace, "authentication", "fail", "%s",
						   c->fault.message);
				return fail(c, "signature");
			}
			snprintf(session->arn, sizeof(session->arn), "arn:aws:iam::%s:user/%s",
				 c->svc->account, u.name);
			snprintf(session->user_id, sizeof(session->user_id), "%s", u.id);
			c->user_identity = json_pack(
				"{s:s, s:s, s:s, s:s, s:s, s:s}", "type", "IAMUser", "principalId",
				u.id, "arn", session->arn, "accountId", c->svc->account,
				"accessKeyId", sig.access_key_id, "userName", u.name);
			tl_stsd_trace_step(&c->trace, "authentication", "pass",
					   "long-term key %s of user %s", sig.access_key_id,
					   u.name);
			return 2;
		}
	}
	known = session_find(c->svc, sig.access_key_id, session);
	if (known && sig.has_security_token)
		tl_sts_sha256_hex(sig.security_token, strlen(sig.security_token), token_sha);
	if (!known || !sig.has_security_token ||
	    CRYPTO_memcmp(token_sha, session->token_sha256, sizeof(token_sha)) != 0) {
		tl_stsd_trace_step(&c->trace, "authentication", "fail", "access key id %.32s %s",
				   sig.access_key_id,
				   !known ? "was never issued (or was evicted)"
					  : "was sent without its session token");
		tl_sts_fault_set(&c->fault, TL_STS_INVALID_CLIENT_TOKEN_ID, NULL);
		return fail(c, "authentication");
	}
	if (tl_sts_sigv4_verify(&req, &sig, session->secret, service, now, &c->fault) < 0) {
		tl_stsd_trace_step(&c->trace, "authentication", "fail", "%s", c->fault.message);
		return fail(c, "signature");
	}
	if (now >= session->expiration) {
		tl_stsd_trace_step(&c->trace, "authentication", "fail",
				   "session %s expired at %" PRId64 " (now %" PRId64 ")",
				   session->arn, session->expiration, now);
		tl_sts_fault_set(&c->fault, TL_STS_EXPIRED_TOKEN, NULL);
		return fail(c, "authentication");
	}
	c->user_identity =
		json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "AssumedRole", "principalId",
			  session->user_id, "arn", session->arn, "accountId", c->svc->account,
			  "accessKeyId", sig.access_key_id);
	tl_stsd_trace_step(&c->trace, "authentication", "pass", "session %s", session->arn);
	return 1;
}

static int
do_arwwi(struct call *c, const struct tl_sts_query *q)
{
	struct tl_sts_arwwi_request req;
	struct stsd_arwwi_out out;
	struct tl_sts_arwwi_response r;
	int rc;

	memset(&out, 0, sizeof(out));
	if (tl_sts_arwwi_parse(q, NULL, &req, &c->fault) < 0) {
		tl_stsd_trace_step(&c->trace, "parameters", "fail", "%s", c->fault.message);
		snprintf(c->trace.header, sizeof(c->trace.header),
			 "deny; check=parameters; code=%s", tl_sts_error_info(c->fault.code)->name);
		return fail(c, "parameters");
	}
	tl_stsd_trace_step(
		&c->trace, "parameters", "pass",
		"RoleArn %s, RoleSessionName %s, DurationSeconds %d, token %zu characters",
		req.role_arn, req.role_session_name, req.duration_seconds,
		strlen(req.web_identity_token));
	c->request_parameters =
		json_pack("{s:s, s:s, s:i}", "roleArn", req.role_arn, "roleSessionName",
			  req.role_session_name, "durationSeconds", req.duration_seconds);
	rc = tl_stsd_arwwi(c->svc, &req, &out, &c->trace, &c->fault);
	if (out.subject[0] && out.provider_arn[0]) {
		char pid[TL_STS_ARN_MAX + 600];
		snprintf(pid, sizeof(pid), "%s:%s:%s", out.provider_arn, out.audience, out.subject);
		c->user_identity = json_pack("{s:s, s:s, s:s, s:s}", "type", "WebIdentityUser",
					     "principalId", pid, "userName", out.subject,
					     "identityProvider", out.provider_arn);
	}
	if (out.has_source_identity && c->request_parameters)
		json_object_set_new(c->request_parameters, "sourceIdentity",
				    json_string(out.source_identity));
	if (rc < 0) {
		tl_stsd_arwwi_out_finish(&out);
		return fail(c, "decision");
	}
	if (out.principal_tags && c->request_parameters) {
		json_object_set(c->request_parameters, "principalTags", out.principal_tags);
		json_object_set(c->request_parameters, "transitiveTagKeys", out.transitive_tags);
	}
	memset(&r, 0, sizeof(r));
	r.subject = out.subject;
	r.audience = out.audience;
	r.provider = out.provider_arn;
	r.source_identity = out.has_source_identity ? out.source_identity : NULL;
	r.assumed_role_arn = out.assumed_arn;
	r.assumed_role_id = out.assumed_id;
	r.access_key_id = out.creds.access_key_id;
	r.secret_access_key = out.creds.secret_access_key;
	r.session_token = out.creds.session_token;
	r.expiration = out.creds.expiration;
	r.packed_policy_size = out.packed_policy_size;
	if (tl_sts_arwwi_response_xml(&c->out, &r, c->request_id, NULL) < 0) {
		tl_stsd_arwwi_out_finish(&out);
		tl_sts_fault_set(&c->fault, TL_STS_INTERNAL_FAILURE, NULL);
		return fail(c, "response");
	}
	{
		/* CloudTrail writes the expiry Java-style, "Jul 9, 2024, 4:41:37 PM"
		 * (reference/sts.md §6.1). No secret key, no session token. */
		char iso[64];
		time_t t = (time_t)out.creds.expiration;
		struct tm tm;
		static const char months[][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
						 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
		if (gmtime_r(&t, &tm))
			snprintf(iso, sizeof(iso), "%s %d, %d, %d:%02d:%02d %s", months[tm.tm_mon],
				 tm.tm_mday, tm.tm_year + 1900,
				 tm.tm_hour % 12 ? tm.tm_hour % 12 : 12, tm.tm_min, tm.tm_sec,
				 tm.tm_hour < 12 ? "AM" : "PM");
		else
			snprintf(iso, sizeof(iso), "%lld", (long long)out.creds.expiration);
		c->response_elements = json_pack(
			"{s:{s:s, s:s}, s:s, s:{s:s, s:s}, s:s, s:s}", "credentials", "accessKeyId",
			out.creds.access_key_id, "expiration", iso, "subjectFromWebIdentityToken",
			out.subject, "assumedRoleUser", "assumedRoleId", out.assumed_id, "arn",
			out.assumed_arn, "provider", out.provider_arn, "audience", out.audience);
		if (c->response_elements && out.has_source_identity)
			json_object_set_new(c->response_elements, "sourceIdentity",
					    json_string(out.source_identity));
	}
	tl_stsd_arwwi_out_finish(&out);
	return 0;
}

static int
do_caller_identity(struct call *c, const struct tl_sts_action_info *ai)
{
	struct stsd_session s;
	int who;

	/* Every kind of credentials the mock knows answers with its identity:
	 * the admin key and static keys as IAM users, issued sessions
	 * (web identity, ECS task, EC2 instance) as assumed roles. */
	memset(&s, 0, sizeof(s));
	who = authenticate(c, ai, &s);
	if (who < 0)
		return -1;
	if (tl_sts_caller_identity_xml(&c->out, s.arn, s.user_id, c->svc->account, c->request_id,
				       NULL) < 0) {
		tl_sts_fault_set(&c->fault, TL_STS_INTERNAL_FAILURE, NULL);
		return fail(c, "response");
	}
	snprintf(c->trace.header, sizeof(c->trace.header), "allow; check=credentials; arn=%.400s",
		 s.arn);
	c->response_elements = json_pack("{s:s, s:s, s:s}", "arn", s.arn, "userId", s.user_id,
					 "account", c->svc->account);
	return 0;
}

/* --- IAM ------------------------------------------------------------------------ */

static void
role_view(const struct stsd_role *r, struct tl_sts_iam_tag *tags, struct tl_sts_iam_role *v)
{
	for (size_t i = 0; i < r->tag_count; i++) {
		tags[i].key = r->tags[i].key;
		tags[i].value = r->tags[i].value;
	}
	v->path = r->path;
	v->name = r->name;
	v->id = r->id;
	v->arn = r->arn;
	v->assume_role_policy = r->policy_text;
	v->description = r->description;
	v->max_session_duration = r->max_session_duration;
	v->create_date = r->create_date;
	v->tags = tags;
	v->tag_count = r->tag_count;
}

static int
provider_of(struct call *c, const struct tl_sts_iam_request *req)
{
	if (strcmp(req->provider_account, c->svc->account) != 0) {
		tl_sts_fault_set(&c->fault, TL_STS_NO_SUCH_ENTITY,
				 "OpenIDConnect Provider not found for arn %s", req->provider_arn);
		return -1;
	}
	return 0;
}

static int
iam_xml(struct call *c, int rc)
{
	if (rc < 0) {
		tl_sts_fault_set(&c->fault, TL_STS_SERVICE_FAILURE, NULL);
		return fail(c, "response");
	}
	return 0;
}

static int
do_iam(struct call *c, const struct tl_sts_query *q, const struct tl_sts_action_info *ai)
{
	struct tl_sts_iam_request req;
	struct stsd_session s;
	struct stsd_snapshot *snap = NULL;
	int who = authenticate(c, ai, &s), rc = -1;

	if (who < 0)
		return -1;
	if (who != 0) {
		tl_sts_fault_set(&c->fault, TL_STS_ACCESS_DENIED,
				 "User: %s is not authorized to perform: iam:%s", s.arn, ai->name);
		tl_stsd_trace_step(&c->trace, "authorization", "fail",
				   "only the admin credentials may call IAM");
		return fail(c, "authorization");
	}
	memset(&req, 0, sizeof(req));
	if (tl_sts_iam_parse(q, ai->action, &req, &c->fault) < 0) {
		tl_stsd_trace_step(&c->trace, "parameters", "fail", "%s", c->fault.message);
		return fail(c, "parameters");
	}
	tl_stsd_trace_step(&c->trace, "parameters", "pass", "%s", ai->name);
	switch (ai->action) {
	case TL_STS_ACTION_CREATE_OPEN_ID_CONNECT_PROVIDER: {
		struct stsd_tag tags[TL_STS_IAM_TAGS_MAX];
		char *arn = NULL;
		for (size_t i = 0; i < req.tag_count; i++) {
			tags[i].key = (char *)(uintptr_t)req.tags[i].key;
			tags[i].value = (char *)(uintptr_t)req.tags[i].value;
		}
		if (tl_stsd_iam_create_provider(c->svc, req.url_host_path, req.client_ids,
						req.client_id_count, req.thumbprints,
						req.thumbprint_count, tags, req.tag_count, &arn,
						&c->fault) < 0)
			break;
		rc = iam_xml(
			c, tl_sts_iam_create_oidc_provider_xml(&c->out, arn, c->request_id, NULL));
		c->response_elements = json_pack("{s:s}", "openIDConnectProviderArn", arn);
		free(arn);
		break;
	}
	case TL_STS_ACTION_GET_OPEN_ID_CONNECT_PROVIDER: {
		struct stsd_provider *p;
		struct tl_sts_iam_oidc_provider v;
		struct tl_sts_iam_tag tags[TL_STS_IAM_TAGS_MAX];
		char url[TL_STS_ARN_MAX + 1], acct[TL_STS_ACCOUNT_LEN + 1];
		if (provider_of(c, &req) < 0)
			break;
		tl_sts_arn_oidc_provider(req.provider_arn, acct, url, sizeof(url));
		snap = tl_stsd_snapshot_get(c->svc);
		p = tl_stsd_snapshot_provider(snap, url);
		if (!p) {
			tl_sts_fault_set(&c->fault, TL_STS_NO_SUCH_ENTITY,
					 "OpenIDConnect Provider not found for arn %s",
					 req.provider_arn);
			break;
		}
		for (size_t i = 0; i < p->tag_count; i++) {
			tags[i].key = p->tags[i].key;
			tags[i].value = p->tags[i].value;
		}
		v.url = p->url;
		v.client_ids = (const char *const *)p->client_ids;
		v.client_id_count = p->client_id_count;
		v.thumbprints = (const char *const *)p->thumbprints;
		v.thumbprint_count = p->thumbprint_count;
		v.create_date = p->create_date;
		v.tags = tags;
		v.tag_count = p->tag_count;
		rc = iam_xml(c, tl_sts_iam_get_oidc_provider_xml(&c->out, &v, c->request_id, NULL));
		break;
	}
	case TL_STS_ACTION_LIST_OPEN_ID_CONNECT_PROVIDERS: {
		const char **arns;
		snap = tl_stsd_snapshot_get(c->svc);
		arns = calloc(snap->provider_count + 1, sizeof(*arns));
		if (!arns) {
			rc = iam_xml(c, -1);
			break;
		}
		for (size_t i = 0; i < snap->provider_count; i++)
			arns[i] = snap->providers[i]->arn;
		rc = iam_xml(c, tl_sts_iam_list_oidc_providers_xml(
					&c->out, arns, snap->provider_count, c->request_id, NULL));
		free(arns);
		break;
	}
	case TL_STS_ACTION_DELETE_OPEN_ID_CONNECT_PROVIDER:
	case TL_STS_ACTION_ADD_CLIENT_ID_TO_OPEN_ID_CONNECT_PROVIDER: {
		char url[TL_STS_ARN_MAX + 1], acct[TL_STS_ACCOUNT_LEN + 1];
		if (provider_of(c, &req) < 0)
			break;
		tl_sts_arn_oidc_provider(req.provider_arn, acct, url, sizeof(url));
		if (ai->action == TL_STS_ACTION_DELETE_OPEN_ID_CONNECT_PROVIDER
			    ? tl_stsd_iam_delete_provider(c->svc, url, &c->fault) < 0
			    : tl_stsd_iam_add_client_id(c->svc, url, req.client_id, &c->fault) < 0)
			break;
		rc = iam_xml(c, tl_sts_iam_empty_xml(&c->out, ai->action, c->request_id, NULL));
		break;
	}
	case TL_STS_ACTION_CREATE_ROLE: {
		struct stsd_tag tags[TL_STS_IAM_TAGS_MAX];
		struct tl_sts_iam_tag vt[TL_STS_IAM_TAGS_MAX];
		struct tl_sts_iam_role v;
		struct stsd_role *r = NULL;
		for (size_t i = 0; i < req.tag_count; i++) {
			tags[i].key = (char *)(uintptr_t)req.tags[i].key;
			tags[i].value = (char *)(uintptr_t)req.tags[i].value;
		}
		if (tl_stsd_iam_create_role(c->svc, req.role_name, req.path, req.policy_document,
					    req.description, req.max_session_duration, tags,
					    req.tag_count, &r, &c->fault) < 0)
			break;
		role_view(r, vt, &v);
		rc = iam_xml(c, tl_sts_iam_role_xml(&c->out, ai->action, &v, c->request_id, NULL));
		c->response_elements = json_pack("{s:{s:s, s:s, s:s}}", "role", "roleName", r->name,
						 "roleId", r->id, "arn", r->arn);
		tl_stsd_role_put(r);
		break;
	}
	case TL_STS_ACTION_GET_ROLE: {
		struct tl_sts_iam_tag vt[TL_STS_IAM_TAGS_MAX];
		struct tl_sts_iam_role v;
		struct stsd_role *r;
		snap = tl_stsd_snapshot_get(c->svc);
		r = tl_stsd_snapshot_role(snap, req.role_name);
		if (!r) {
			tl_sts_fault_set(&c->fault, TL_STS_NO_SUCH_ENTITY,
					 "The role with name %s cannot be found.", req.role_name);
			break;
		}
		role_view(r, vt, &v);
		rc = iam_xml(c, tl_sts_iam_role_xml(&c->out, ai->action, &v, c->request_id, NULL));
		break;
	}
	case TL_STS_ACTION_LIST_ROLES: {
		struct tl_sts_iam_role *views;
		struct tl_sts_iam_tag(*vt)[TL_STS_IAM_TAGS_MAX];
		size_t start = 0, n = 0, i;
		char next[32] = "";
		snap = tl_stsd_snapshot_get(c->svc);
		if (req.marker) {
			char *end;
			unsigned long m = strtoul(req.marker, &end, 10);
			if (*end || m > snap->role_count) {
				tl_sts_fault_set(&c->fault, TL_STS_INVALID_INPUT,
						 "Invalid Marker: %s", req.marker);
				break;
			}
			start = m;
		}
		views = calloc(snap->role_count + 1, sizeof(*views));
		vt = calloc(snap->role_count + 1, sizeof(*vt));
		if (!views || !vt) {
			free(views);
			free(vt);
			rc = iam_xml(c, -1);
			break;
		}
		for (i = start; i < snap->role_count; i++) {
			const struct stsd_role *r = snap->roles[i];
			if (strncmp(r->path, req.path_prefix, strlen(req.path_prefix)) != 0)
				continue;
			if (n == (size_t)req.max_items) {
				snprintf(next, sizeof(next), "%zu", i);
				break;
			}
			role_view(r, vt[n], &views[n]);
			n++;
		}
		rc = iam_xml(c, tl_sts_iam_list_roles_xml(&c->out, views, n, next[0] ? next : NULL,
							  c->request_id, NULL));
		free(views);
		free(vt);
		break;
	}
	case TL_STS_ACTION_DELETE_ROLE:
		if (tl_stsd_iam_delete_role(c->svc, req.role_name, &c->fault) < 0)
			break;
		rc = iam_xml(c, tl_sts_iam_empty_xml(&c->out, ai->action, c->request_id, NULL));
		break;
	case TL_STS_ACTION_UPDATE_ASSUME_ROLE_POLICY:
	case TL_STS_ACTION_UPDATE_ROLE:
		if (tl_stsd_iam_update_role(c->svc, req.role_name,
					    ai->action == TL_STS_ACTION_UPDATE_ASSUME_ROLE_POLICY
						    ? req.policy_document
						    : NULL,
					    req.max_session_duration, req.description,
					    &c->fault) < 0)
			break;
		rc = iam_xml(c, tl_sts_iam_empty_xml(&c->out, ai->action, c->request_id, NULL));
		break;
	default:
		tl_sts_fault_set(&c->fault, TL_STS_INVALID_ACTION, NULL);
		break;
	}
	tl_stsd_snapshot_put(snap);
	tl_sts_iam_request_finish(&req);
	if (rc < 0) {
		if (!c->stage[0])
			tl_stsd_trace_step(&c->trace, "iam", "fail", "%s", c->fault.message);
		return c->stage[0] ? -1 : fail(c, "iam");
	}
	tl_stsd_trace_step(&c->trace, "iam", "pass", "%s done", ai->name);
	snprintf(c->trace.header, sizeof(c->trace.header), "ok; action=%s", ai->name);
	return 0;
}

/* Every parameter but the token and the SigV4 ones, for the audit event. */
static json_t *
params_json(const struct tl_sts_query *q)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < q->count; i++) {
		const char *k = q->params[i].key;
		if (strcmp(k, "Action") == 0 || strcmp(k, "Version") == 0 ||
		    strcmp(k, "WebIdentityToken") == 0 || strncmp(k, "X-Amz-", 6) == 0)
			continue;
		json_object_set_new(o, k, json_string(q->params[i].value));
	}
	return o;
}

static void
finish_call(struct call *c, bool ok)
{
	const struct tl_sts_error_info *info = ok ? NULL : tl_sts_error_info(c->fault.code);
	char iso[TL_TIME_ISO8601_LEN], event_id[TL_UUID_LEN];
	const char *ua = tl_http_header(c->ex, "User-Agent");
	struct stsd_lazy lazy;
	json_t *decision, *event;

	tl_time_format_iso8601(tl_clock_now(c->svc->clock), iso);
	decision = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O}", "requestId", c->request_id,
			     "eventName", c->action, "time", iso, "outcome", ok ? "allow" : "deny",
			     "decision", c->trace.header, "steps", json_null());
	if (decision && info)
		json_object_set_new(decision, "error",
				    json_pack("{s:s, s:s, s:i}", "code", info->name, "message",
					      c->fault.message, "status", info->status));
	if (decision && c->trace.extra)
		json_object_update(decision, c->trace.extra);
	memset(&lazy, 0, sizeof(lazy));
	tl_stsd_trace_take(&c->trace, &lazy);
	lazy.doc = decision;
	if (c->svc->audit && decision) {
		if (tl_rng_uuid(&c->svc->rng, event_id, NULL) < 0)
			event_id[0] = '\0';
		event = json_pack(
			"{s:s, s:O, s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:s, s:s, s:b, s:s, "
			"s:b, s:s, s:s}",
			"eventVersion", "1.08", "userIdentity",
			c->user_identity ? c->user_identity : json_null(), "eventTime", iso,
			"eventSource",
			c->service == TL_STS_SERVICE_IAM ? "iam.amazonaws.com"
							 : "sts.amazonaws.com",
			"eventName", c->action, "awsRegion", c->svc->region, "sourceIPAddress",
			tl_http_peer(c->ex), "userAgent", ua ? ua : "", "requestParameters",
			c->request_parameters ? c->request_parameters : json_null(),
			"responseElements",
			ok && c->response_elements ? c->response_elements : json_null(),
			"requestID", c->request_id, "eventID", event_id, "readOnly",
			c->service == TL_STS_SERVICE_STS, "eventType", "AwsApiCall",
			"managementEvent", 1, "recipientAccountId", c->svc->account,
			"eventCategory", "Management");
		if (event && info) {
			/* CloudTrail hides why a trust policy denied (reference/sts.md §6.2). */
			json_object_set_new(event, "errorCode", json_string(info->name));
			json_object_set_new(
				event, "errorMessage",
				json_string(c->fault.code == TL_STS_ACCESS_DENIED &&
							    strcmp(c->action,
								   "AssumeRoleWithWebIdentity") == 0
						    ? "An unknown error occurred"
						    : c->fault.message));
		}
		if (event) {
			json_object_set_new(event, "trustlab", tl_stsd_lazy_render(&lazy));
			tl_stsd_audit_write(c->svc, event);
		}
		json_decref(event);
	}
	tl_stsd_lazy_clear(&lazy);
	tl_stsd_decision_store(c->svc, c->request_id, &lazy);
}

static void
handle(void *ctx, struct tl_http_exchange *ex)
{
	struct call c;
	struct tl_sts_query q;
	const struct tl_sts_action_info *ai = NULL;
	const char *data, *method = tl_http_method(ex), *ctype;
	size_t len;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	c.svc = ctx;
	c.ex = ex;
	c.action = "Unknown";
	c.service = TL_STS_SERVICE_STS;
	tl_stsd_trace_init(&c.trace);
	tl_buf_init(&c.out, RESPONSE_MAX);
	tl_sts_query_init(&q);
	if (tl_rng_uuid(&c.svc->rng, c.request_id, NULL) < 0)
		snprintf(c.request_id, sizeof(c.request_id),
			 "00000000-0000-0000-0000-000000000000");

	if (strcmp(method, "POST") == 0) {
		data = tl_http_body(ex, &len);
		ctype = tl_http_header(ex, "Content-Type");
		if (ctype && strncasecmp(ctype, "application/x-www-form-urlencoded", 33) != 0) {
			tl_sts_fault_set(
				&c.fault, TL_STS_MALFORMED_QUERY_STRING,
				"The request body must be application/x-www-form-urlencoded.");
			fail(&c, "request");
			goto out;
		}
		if (len == 0) {
			data = tl_http_query_string(ex);
			len = strlen(data);
		}
	} else {
		data = tl_http_query_string(ex);
		len = strlen(data);
	}
	if (tl_sts_query_parse(&q, data, len, NULL, &c.fault) < 0 ||
	    tl_sts_query_action(&q, &ai, &c.fault) < 0) {
		tl_stsd_trace_step(&c.trace, "request", "fail", "%s", c.fault.message);
		fail(&c, "request");
		if (ai)
			c.action = ai->name;
		goto out;
	}
	c.action = ai->name;
	c.service = ai->service;
	switch (ai->action) {
	case TL_STS_ACTION_ASSUME_ROLE_WITH_WEB_IDENTITY:
		rc = do_arwwi(&c, &q);
		break;
	case TL_STS_ACTION_GET_CALLER_IDENTITY:
		rc = do_caller_identity(&c, ai);
		break;
	default:
		c.request_parameters = params_json(&q);
		rc = do_iam(&c, &q, ai);
		break;
	}
out:
	if (rc == 0)
		respond_xml(&c, 200);
	else
		respond_fault(&c);
	finish_call(&c, rc == 0);
	json_decref(c.user_identity);
	json_decref(c.request_parameters);
	json_decref(c.response_elements);
	tl_stsd_trace_finish(&c.trace);
	tl_buf_finish(&c.out);
	tl_sts_query_finish(&q);
}

static void
handle_decision(void *ctx, struct tl_http_exchange *ex)
{
	struct tl_stsd *svc = ctx;
	const char *id = tl_http_path(ex) + strlen(DECISIONS_PREFIX);
	char *text = decision_find(svc, id);

	if (!text) {
		json_t *body = json_pack("{s:s, s:s}", "error", "NotFound", "message",
					 "no decision with that request id (only the most recent "
					 "ones are kept)");
		tl_http_respond_json(ex, 404, body);
		json_decref(body);
		return;
	}
	tl_http_respond(ex, 200, "application/json", text, strlen(text));
	free(text);
}

void
tl_stsd_http_error(void *ctx, struct tl_http_exchange *ex, unsigned status, const char *message)
{
	struct tl_stsd *svc = ctx;
	enum tl_sts_error code = status == 413	 ? TL_STS_REQUEST_ENTITY_TOO_LARGE
				 : status >= 500 ? TL_STS_INTERNAL_FAILURE
				 : status == 404 || status == 405 || status == 501
					 ? TL_STS_INVALID_ACTION
					 : TL_STS_MALFORMED_QUERY_STRING;
	char request_id[TL_UUID_LEN];
	struct tl_buf out;

	if (!svc || tl_rng_uuid(&svc->rng, request_id, NULL) < 0)
		snprintf(request_id, sizeof(request_id), "00000000-0000-0000-0000-000000000000");
	tl_buf_init(&out, 64 * 1024);
	if (tl_sts_error_xml(&out, code, message, request_id, TL_STS_SERVICE_STS, NULL) < 0) {
		tl_http_respond(ex, status, "text/plain", message, strlen(message));
	} else {
		tl_http_add_header(ex, "x-amzn-RequestId", request_id);
		tl_http_respond(ex, status, "text/xml", tl_buf_str(&out), out.len);
	}
	tl_buf_finish(&out);
}

int
tl_stsd_mount(struct tl_stsd *svc, struct tl_http_server *srv, struct tl_error *err)
{
	if (tl_http_server_route(srv, "POST", "/", handle, svc, err) < 0 ||
	    tl_http_server_route(srv, "GET", "/", handle, svc, err) < 0 ||
	    tl_http_server_route(srv, "GET", DECISIONS_PREFIX "*", handle_decision, svc, err) < 0 ||
	    tl_http_server_route(srv, "GET", STSD_ECS_PREFIX "*", tl_stsd_ecs_handle, svc, err) <
		    0 ||
	    tl_stsd_mount_admin(svc, srv, err) < 0)
		return -1;
	tl_http_server_set_error_fn(srv, tl_stsd_http_error, svc);
	return 0;
}
