/* SPDX-License-Identifier: MIT */
/*
 * The credential sources of an SDK's default chain that a service hands
 * out (docs/credential-chain.md): static IAM users with long-term keys,
 * the ECS container-credentials endpoint of a task, and the EC2 instance
 * metadata service (IMDSv2 tokens, IMDSv1 when allowed) of an instance.
 *
 * Credentials for a task or an instance are issued only when the role's
 * trust policy allows the service principal (ecs-tasks.amazonaws.com,
 * ec2.amazonaws.com) sts:AssumeRole, evaluated by lib/policy with a trace
 * kept at /_trustlab/decisions/<id> as for web identity.
 */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/server.h"
#include "json/json.h"
#include "sts/sigv4.h"
#include "stsd-private.h"

#define EC2_SERVICE "ec2.amazonaws.com"
#define ECS_SERVICE "ecs-tasks.amazonaws.com"
/* Instance and task credentials last six hours (IMDS rotates them well
 * before; trustlab issues fresh ones on every request). */
#define SERVICE_CREDENTIALS_SECONDS (6 * 3600)
#define IMDS_TTL_MAX 21600
#define IMDS_CREDS_PREFIX "/latest/meta-data/iam/security-credentials/"

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

void
tl_stsd_creds_finish(struct tl_stsd *svc)
{
	for (size_t i = 0; i < svc->task_count; i++)
		free(svc->tasks[i].auth_token);
	svc->task_count = 0;
}

static bool
name_ok(const char *s, size_t max, const char *extra)
{
	size_t n = 0;
	if (!s || !*s)
		return false;
	for (; *s; s++, n++)
		if (n == max || !(isalnum((unsigned char)*s) || strchr(extra, *s)))
			return false;
	return true;
}

/* --- static users -------------------------------------------------------- */

int
tl_stsd_add_user(struct tl_stsd *svc, const char *name, const char *akid, const char *secret,
		 struct tl_error *err)
{
	struct stsd_user u;
	uint64_t h = 1469598103934665603u;
	size_t i;

	if (!name_ok(name, 64, "+=,.@_-"))
		return tl_error_set(err, TL_ERR_INVALID,
				    "user name '%s': 1 to 64 of A-Z a-z 0-9 +=,.@_-",
				    name ? name : "");
	if (!akid || strlen(akid) < 16 || !name_ok(akid, 128, ""))
		return tl_error_set(err, TL_ERR_INVALID,
				    "access key id of user '%s': 16 to 128 of A-Z 0-9", name);
	if (!secret || !*secret || strlen(secret) > 128)
		return tl_error_set(err, TL_ERR_INVALID,
				    "secret access key of user '%s': 1 to 128 characters", name);
	if (strcmp(akid, svc->admin_akid) == 0)
		return tl_error_set(err, TL_ERR_EXISTS, "access key id %s is the admin key", akid);
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "%s", name);
	snprintf(u.akid, sizeof(u.akid), "%s", akid);
	snprintf(u.secret, sizeof(u.secret), "%s", secret);
	/* IAM user ids are "AIDA" + 17; stable per name. */
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211u;
	memcpy(u.id, "AIDA", 4);
	for (i = 0; i < 17; i++, h = h * 6364136223846793005u + 1442695040888963407u)
		u.id[4 + i] = b32[(h >> 59) & 31];

	pthread_mutex_lock(&svc->creds_lock);
	for (i = 0; i < svc->user_count; i++)
		if (strcmp(svc->users[i].name, name) == 0 || strcmp(svc->users[i].akid, akid) == 0)
			break;
	if (i == STSD_USERS_MAX) {
		pthread_mutex_unlock(&svc->creds_lock);
		return tl_error_set(err, TL_ERR_LIMIT, "more than %d users", STSD_USERS_MAX);
	}
	svc->users[i] = u;
	if (i == svc->user_count)
		svc->user_count++;
	pthread_mutex_unlock(&svc->creds_lock);
	return 0;
}

bool
tl_stsd_user_find(struct tl_stsd *svc, const char *akid, struct stsd_user *out)
{
	bool found = false;
	pthread_mutex_lock(&svc->creds_lock);
	for (size_t i = 0; i < svc->user_count; i++)
		if (strcmp(svc->users[i].akid, akid) == 0) {
			*out = svc->users[i];
			found = true;
			break;
		}
	pthread_mutex_unlock(&svc->creds_lock);
	return found;
}

/* --- configuration ------------------------------------------------------------ */

int
tl_stsd_set_instance(struct tl_stsd *svc, const struct tl_stsd_instance *inst, struct tl_error *err)
{
	if (inst) {
		if (!name_ok(inst->id, 64, "-"))
			return tl_error_set(err, TL_ERR_INVALID,
					    "instance id '%s': 1 to 64 of A-Z a-z 0-9 -",
					    inst->id ? inst->id : "");
		if (inst->role && !name_ok(inst->role, TL_STS_ROLE_NAME_MAX, "+=,.@_-"))
			return tl_error_set(err, TL_ERR_INVALID,
					    "instance role '%s' is not a role name", inst->role);
		if (inst->hop_limit < 0 || inst->hop_limit > 64 || inst->client_hops < 0 ||
		    inst->client_hops > 64)
			return tl_error_set(err, TL_ERR_INVALID,
					    "hop limit and client hops are 1 to 64");
	}
	pthread_mutex_lock(&svc->creds_lock);
	svc->has_instance = inst != NULL;
	if (inst) {
		snprintf(svc->instance_id, sizeof(svc->instance_id), "%s", inst->id);
		snprintf(svc->instance_role, sizeof(svc->instance_role), "%s",
			 inst->role ? inst->role : "");
		svc->instance = *inst;
		svc->instance.id = svc->instance_id;
		svc->instance.role = inst->role ? svc->instance_role : NULL;
		if (!svc->instance.hop_limit)
			svc->instance.hop_limit = 1;
		if (!svc->instance.client_hops)
			svc->instance.client_hops = 1;
	}
	pthread_mutex_unlock(&svc->creds_lock);
	atomic_fetch_add(&svc->imds_generation, 1);
	return 0;
}

int
tl_stsd_set_task(struct tl_stsd *svc, const char *id, const char *role, const char *auth_token,
		 struct tl_error *err)
{
	size_t i;
	char *tok = NULL;

	if (!name_ok(id, 64, "_.-"))
		return tl_error_set(err, TL_ERR_INVALID, "task id '%s': 1 to 64 of A-Z a-z 0-9 _.-",
				    id ? id : "");
	if (role && !name_ok(role, TL_STS_ROLE_NAME_MAX, "+=,.@_-"))
		return tl_error_set(err, TL_ERR_INVALID, "task role '%s' is not a role name", role);
	if (role && (!auth_token || !*auth_token || strlen(auth_token) > 4096 ||
		     strpbrk(auth_token, "\r\n")))
		return tl_error_set(err, TL_ERR_INVALID,
				    "task '%s': the authorization token is 1 to 4,096 characters "
				    "on one line",
				    id);
	if (role && !(tok = strdup(auth_token)))
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	pthread_mutex_lock(&svc->creds_lock);
	for (i = 0; i < svc->task_count; i++)
		if (strcmp(svc->tasks[i].id, id) == 0)
			break;
	if (!role) {
		if (i < svc->task_count) {
			free(svc->tasks[i].auth_token);
			svc->tasks[i] = svc->tasks[--svc->task_count];
		}
		pthread_mutex_unlock(&svc->creds_lock);
		return 0;
	}
	if (i == STSD_TASKS_MAX) {
		pthread_mutex_unlock(&svc->creds_lock);
		free(tok);
		return tl_error_set(err, TL_ERR_LIMIT, "more than %d tasks", STSD_TASKS_MAX);
	}
	if (i == svc->task_count)
		svc->task_count++;
	else
		free(svc->tasks[i].auth_token);
	snprintf(svc->tasks[i].id, sizeof(svc->tasks[i].id), "%s", id);
	snprintf(svc->tasks[i].role, sizeof(svc->tasks[i].role), "%s", role);
	svc->tasks[i].auth_token = tok;
	pthread_mutex_unlock(&svc->creds_lock);
	return 0;
}

/* --- issuing credentials to a service principal ---------------------------------- */

struct issue {
	const char *service; /* "ec2.amazonaws.com" */
	const char *role;
	const char *session; /* instance or task id */
	const char *source_arn; /* aws:SourceArn, or NULL */
	char request_id[TL_UUID_LEN];
	char header[512];
	char role_arn[TL_STS_ARN_MAX + 1];
	struct tl_sts_credentials creds;
};

static void
ctx_add(struct tl_policy_context *ctx, json_t *keys, const char *key, const char *value,
	int *failed)
{
	if (tl_policy_context_add(ctx, key, value, NULL) < 0)
		*failed = 1;
	if (keys)
		json_object_set_new(keys, key, json_pack("[s]", value));
}

/*
 * The AssumeRole the service makes on the workload's behalf. Returns 1
 * with credentials, 0 when the role is missing or its trust policy does
 * not allow the service, -1 on allocation failure. Either way the decision
 * is stored under is->request_id and audited.
 */
static int
issue_credentials(struct tl_stsd *svc, struct issue *is, struct tl_http_exchange *ex)
{
	struct stsd_trace trace;
	struct stsd_snapshot *snap = tl_stsd_snapshot_get(svc);
	struct stsd_role *role = snap ? tl_stsd_snapshot_role(snap, is->role) : NULL;
	struct tl_policy_context *ctx = NULL;
	struct tl_policy_trace *pt = NULL;
	enum tl_policy_decision d = TL_POLICY_IMPLICIT_DENY;
	json_t *keys = json_object(), *pj = NULL, *decision = NULL;
	struct stsd_lazy lazy;
	char iso[TL_TIME_ISO8601_LEN], buf[64], assumed[256] = "";
	int64_t now = tl_clock_now(svc->clock);
	int failed = 0, rc = 0;

	tl_stsd_trace_init(&trace);
	if (tl_rng_uuid(&svc->rng, is->request_id, NULL) < 0)
		snprintf(is->request_id, sizeof(is->request_id),
			 "00000000-0000-0000-0000-000000000000");
	snprintf(is->role_arn, sizeof(is->role_arn), "arn:aws:iam::%s:role/%s", svc->account,
		 is->role);
	tl_time_format_iso8601(now, iso);
	if (!role) {
		tl_stsd_trace_step(&trace, "role", "fail", "no role named %s in account %s",
				   is->role, svc->account);
		snprintf(is->header, sizeof(is->header), "deny; check=role; reason=no-such-role");
		goto record;
	}
	snprintf(is->role_arn, sizeof(is->role_arn), "%s", role->arn);
	tl_stsd_trace_step(&trace, "role", "pass", "%s", role->arn);

	ctx = tl_policy_context_new();
	if (!ctx ||
	    tl_policy_context_set_principal(ctx, TL_PRINCIPAL_SERVICE, is->service, NULL) < 0 ||
	    tl_policy_context_set_action(ctx, "sts:AssumeRole", NULL) < 0) {
		rc = -1;
		goto out;
	}
	ctx_add(ctx, keys, "aws:PrincipalServiceName", is->service, &failed);
	ctx_add(ctx, keys, "sts:RoleSessionName", is->session, &failed);
	ctx_add(ctx, keys, "aws:SourceAccount", svc->account, &failed);
	if (is->source_arn)
		ctx_add(ctx, keys, "aws:SourceArn", is->source_arn, &failed);
	ctx_add(ctx, keys, "aws:CurrentTime", iso, &failed);
	snprintf(buf, sizeof(buf), "%" PRId64, now);
	ctx_add(ctx, keys, "aws:EpochTime", buf, &failed);
	ctx_add(ctx, keys, "aws:SecureTransport", "true", &failed);
	if (failed) {
		rc = -1;
		goto out;
	}
	tl_stsd_trace_set(&trace, "context",
			  json_pack("{s:{s:s}, s:s, s:O}", "principal", "Service", is->service,
				    "action", "sts:AssumeRole", "keys", keys ? keys : json_null()));
	d = tl_policy_eval(role->policy, ctx, &pt);
	if (pt)
		pj = tl_policy_trace_to_json(pt);
	tl_policy_trace_free(pt);
	if (pj) {
		json_object_set_new(pj, "action", json_string("sts:AssumeRole"));
		tl_stsd_trace_set(&trace, "policy", json_pack("[O]", pj));
	}
	if (d != TL_POLICY_ALLOW) {
		tl_stsd_trace_step(
			&trace, "trust-policy", "fail", "sts:AssumeRole by %s: %s", is->service,
			d == TL_POLICY_EXPLICIT_DENY ? "explicit deny" : "no statement allows it");
		snprintf(is->header, sizeof(is->header),
			 "deny; check=trust-policy; action=sts:AssumeRole; principal=%s; "
			 "decision=%s",
			 is->service, tl_policy_decision_name(d));
		goto record;
	}
	tl_stsd_trace_step(&trace, "trust-policy", "pass", "sts:AssumeRole by %s allowed",
			   is->service);
	if (tl_sts_credentials_generate(&svc->rng, now + SERVICE_CREDENTIALS_SECONDS, &is->creds,
					NULL) < 0) {
		rc = -1;
		goto out;
	}
	tl_sts_arn_format_assumed_role(assumed, sizeof(assumed), svc->account, role->name,
				       is->session);
	{
		struct stsd_session s;
		memset(&s, 0, sizeof(s));
		memcpy(s.access_key_id, is->creds.access_key_id, sizeof(s.access_key_id));
		memcpy(s.secret, is->creds.secret_access_key, sizeof(s.secret));
		tl_sts_sha256_hex(is->creds.session_token, strlen(is->creds.session_token),
				  s.token_sha256);
		s.expiration = is->creds.expiration;
		snprintf(s.arn, sizeof(s.arn), "%s", assumed);
		snprintf(s.user_id, sizeof(s.user_id), "%s:%s", role->id, is->session);
		tl_stsd_session_add(svc, &s);
	}
	tl_stsd_trace_step(&trace, "credentials", "pass", "%s until %" PRId64 " (key id %s)",
			   assumed, is->creds.expiration, is->creds.access_key_id);
	snprintf(is->header, sizeof(is->header), "allow; check=credentials; arn=%.400s", assumed);
	rc = 1;
record:
	decision = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O}", "requestId", is->request_id,
			     "eventName", "AssumeRole", "time", iso, "outcome",
			     rc == 1 ? "allow" : "deny", "decision", is->header, "invokedBy",
			     is->service, "steps", json_null());
	if (decision && trace.extra)
		json_object_update(decision, trace.extra);
	memset(&lazy, 0, sizeof(lazy));
	tl_stsd_trace_take(&trace, &lazy);
	lazy.doc = decision;
	if (decision && svc->audit) {
		const char *ua = tl_http_header(ex, "User-Agent");
		json_t *event = json_pack(
			"{s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:b, "
			"s:s, s:s, s:O}",
			"eventVersion", "1.08", "userIdentity", "type", "AWSService", "invokedBy",
			is->service, "eventTime", iso, "eventSource", "sts.amazonaws.com",
			"eventName", "AssumeRole", "awsRegion", svc->region, "sourceIPAddress",
			is->service, "userAgent", ua ? ua : is->service, "requestParameters",
			"roleArn", is->role_arn, "roleSessionName", is->session, "requestID",
			is->request_id, "readOnly", 1, "eventType", "AwsApiCall",
			"recipientAccountId", svc->account, "trustlab", json_null());
		if (event && rc == 1)
			json_object_set_new(event, "responseElements",
					    json_pack("{s:{s:s}, s:{s:s}}", "credentials",
						      "accessKeyId", is->creds.access_key_id,
						      "assumedRoleUser", "arn", assumed));
		else if (event) {
			json_object_set_new(event, "errorCode", json_string("AccessDenied"));
			json_object_set_new(event, "errorMessage",
					    json_string("An unknown error occurred"));
		}
		if (event) {
			json_object_set_new(event, "trustlab", tl_stsd_lazy_render(&lazy));
			tl_stsd_audit_write(svc, event);
		}
		json_decref(event);
	}
	tl_stsd_lazy_clear(&lazy);
	tl_stsd_decision_store(svc, is->request_id, &lazy);
out:
	json_decref(pj);
	json_decref(keys);
	tl_policy_context_free(ctx);
	tl_stsd_trace_finish(&trace);
	tl_stsd_snapshot_put(snap);
	return rc;
}

static void
explain_headers(struct tl_http_exchange *ex, const struct issue *is)
{
	tl_http_add_header(ex, "x-trustlab-decision", is->header);
	tl_http_add_header(ex, "x-trustlab-request-id", is->request_id);
}

static void
respond_json(struct tl_http_exchange *ex, unsigned status, json_t *body)
{
	if (!body) {
		tl_http_respond(ex, 500, "text/plain", "internal failure", 16);
		return;
	}
	tl_http_respond_json(ex, status, body);
	json_decref(body);
}

/* --- ECS: GET /_trustlab/ecs/<task-id> ----------------------------------------------- */

/* The ECS agent's error shape (amazon-ecs-agent, observed in aws/amazon-ecs-agent#1780). */
static void
ecs_error(struct tl_http_exchange *ex, unsigned status, const char *code, const char *message)
{
	respond_json(ex, status,
		     json_pack("{s:s, s:s, s:i}", "code", code, "message", message, "HTTPErrorCode",
			       (int)status));
}

void
tl_stsd_ecs_handle(void *ctx, struct tl_http_exchange *ex)
{
	struct tl_stsd *svc = ctx;
	const char *id = tl_http_path(ex) + strlen(STSD_ECS_PREFIX);
	const char *auth = tl_http_header(ex, "Authorization");
	struct issue is;
	char role[TL_STS_ROLE_NAME_MAX + 1] = "", source_arn[256];
	bool found = false, auth_ok = false;
	char expiration[TL_TIME_ISO8601_LEN];
	int rc;

	pthread_mutex_lock(&svc->creds_lock);
	for (size_t i = 0; i < svc->task_count; i++)
		if (strcmp(svc->tasks[i].id, id) == 0) {
			found = true;
			snprintf(role, sizeof(role), "%s", svc->tasks[i].role);
			auth_ok = auth && strlen(auth) == strlen(svc->tasks[i].auth_token) &&
				  CRYPTO_memcmp(auth, svc->tasks[i].auth_token, strlen(auth)) == 0;
			break;
		}
	pthread_mutex_unlock(&svc->creds_lock);
	if (!found) {
		tl_http_add_header(ex, "x-trustlab-decision",
				   "deny; check=task; reason=no-such-task");
		ecs_error(ex, 400, "InvalidIdInRequest", "CredentialsV2Request: ID not found");
		return;
	}
	if (!auth || !*auth) {
		tl_http_add_header(ex, "x-trustlab-decision",
				   "deny; check=authorization; reason=missing");
		ecs_error(ex, 400, "NoAuthorizationToken",
			  "CredentialsRequest: the Authorization header is missing");
		return;
	}
	if (!auth_ok) {
		tl_http_add_header(ex, "x-trustlab-decision",
				   "deny; check=authorization; reason=token-mismatch");
		ecs_error(ex, 401, "InvalidAuthorizationToken",
			  "CredentialsRequest: the Authorization header does not match the task's "
			  "token");
		return;
	}
	memset(&is, 0, sizeof(is));
	is.service = ECS_SERVICE;
	is.role = role;
	is.session = id;
	snprintf(source_arn, sizeof(source_arn), "arn:aws:ecs:%s:%s:task/trustlab/%s", svc->region,
		 svc->account, id);
	is.source_arn = source_arn;
	rc = issue_credentials(svc, &is, ex);
	if (rc < 0) {
		ecs_error(ex, 500, "InternalError", "out of memory");
		return;
	}
	explain_headers(ex, &is);
	if (rc == 0) {
		/* ECS cannot assume the role, so it holds no credentials for the
		 * task (the real service refuses to start it: "ECS was unable to
		 * assume the role ..."); the agent answers as for any id without
		 * credentials. */
		ecs_error(ex, 400, "InvalidIdInRequest",
			  "CredentialsV2Request: Credentials not found");
		return;
	}
	tl_time_format_iso8601(is.creds.expiration, expiration);
	respond_json(ex, 200,
		     json_pack("{s:s, s:s, s:s, s:s, s:s}", "RoleArn", is.role_arn, "AccessKeyId",
			       is.creds.access_key_id, "SecretAccessKey",
			       is.creds.secret_access_key, "Token", is.creds.session_token,
			       "Expiration", expiration));
}

/* --- EC2 instance metadata --------------------------------------------------------------- */

static void
imds_text(struct tl_http_exchange *ex, unsigned status, const char *text)
{
	tl_http_respond(ex, status, "text/plain", text, strlen(text));
}

static void
imds_error(void *ctx, struct tl_http_exchange *ex, unsigned status, const char *message)
{
	char text[64];
	(void)ctx;
	(void)message;
	snprintf(text, sizeof(text), "%u - %s", status, tl_http_status_text(status));
	imds_text(ex, status, text);
}

static void
imds_token(void *ctx, struct tl_http_exchange *ex)
{
	struct tl_stsd *svc = ctx;
	const char *ttl_text = tl_http_header(ex, "X-aws-ec2-metadata-token-ttl-seconds");
	struct stsd_imds_token tok;
	char *end;
	long ttl;
	bool lost;

	/* IMDS refuses token requests that went through a proxy (EC2 User
	 * Guide, "Use IMDSv2": X-Forwarded-For). */
	if (tl_http_header(ex, "X-Forwarded-For")) {
		imds_text(ex, 403, "403 - Forbidden");
		return;
	}
	if (!ttl_text || !*ttl_text) {
		imds_text(ex, 400, "400 - Bad Request");
		return;
	}
	ttl = strtol(ttl_text, &end, 10);
	if (*end || ttl < 1 || ttl > IMDS_TTL_MAX) {
		imds_text(ex, 400, "400 - Bad Request");
		return;
	}
	if (tl_rng_string(&svc->rng,
			  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
			  tok.value, sizeof(tok.value) - 1, NULL) < 0) {
		imds_text(ex, 500, "500 - Internal Server Error");
		return;
	}
	tok.value[sizeof(tok.value) - 1] = '\0';
	tok.expires = tl_clock_now(svc->clock) + ttl;
	pthread_mutex_lock(&svc->creds_lock);
	svc->imds_tokens[svc->imds_token_next] = tok;
	svc->imds_token_next = (svc->imds_token_next + 1) % STSD_IMDS_TOKENS_MAX;
	lost = svc->has_instance && svc->instance.client_hops > svc->instance.hop_limit;
	pthread_mutex_unlock(&svc->creds_lock);
	if (lost) {
		/* The token's IP packets die after HttpPutResponseHopLimit hops:
		 * the client never sees an answer. Hold it until the client has
		 * given up (its next request) so no timing decides the outcome. */
		struct timespec ts = {0, 20 * 1000000L};
		unsigned gen = atomic_load(&svc->imds_generation);
		for (int waited = 0;
		     waited < TL_STSD_IMDS_LOST_MS && atomic_load(&svc->imds_generation) == gen;
		     waited += 20)
			nanosleep(&ts, NULL);
		tl_http_add_header(ex, "x-trustlab-decision",
				   "lost; check=hop-limit; reason=client-beyond-hop-limit");
	} else {
		atomic_fetch_add(&svc->imds_generation, 1);
	}
	tl_http_add_header(ex, "X-aws-ec2-metadata-token-ttl-seconds", ttl_text);
	imds_text(ex, 200, tok.value);
}

/* 0 allowed, else the status refusing it (401). */
static unsigned
imds_check_token(struct tl_stsd *svc, struct tl_http_exchange *ex, const char **why)
{
	const char *tok = tl_http_header(ex, "X-aws-ec2-metadata-token");
	int64_t now = tl_clock_now(svc->clock);
	unsigned status = 401;

	pthread_mutex_lock(&svc->creds_lock);
	if (!tok) {
		if (svc->instance.tokens == TL_STSD_IMDS_OPTIONAL) {
			status = 0;
			*why = "imdsv1";
		} else {
			*why = "imdsv1-refused; http-tokens=required";
		}
	} else {
		*why = "unknown-token";
		for (size_t i = 0; i < STSD_IMDS_TOKENS_MAX; i++)
			if (svc->imds_tokens[i].value[0] &&
			    strcmp(svc->imds_tokens[i].value, tok) == 0) {
				if (now < svc->imds_tokens[i].expires) {
					status = 0;
					*why = "imdsv2";
				} else {
					*why = "expired-token";
				}
				break;
			}
	}
	pthread_mutex_unlock(&svc->creds_lock);
	return status;
}

static void
imds_get(void *ctx, struct tl_http_exchange *ex)
{
	struct tl_stsd *svc = ctx;
	const char *path = tl_http_path(ex), *why = "";
	char id[65], role[TL_STS_ROLE_NAME_MAX + 1], header[128];
	bool has_instance, has_role;
	unsigned refused;

	atomic_fetch_add(&svc->imds_generation, 1);
	pthread_mutex_lock(&svc->creds_lock);
	has_instance = svc->has_instance;
	has_role = has_instance && svc->instance.role;
	snprintf(id, sizeof(id), "%s", svc->instance_id);
	snprintf(role, sizeof(role), "%s", has_role ? svc->instance_role : "");
	pthread_mutex_unlock(&svc->creds_lock);
	if (!has_instance) {
		imds_text(ex, 404, "404 - Not Found");
		return;
	}
	refused = imds_check_token(svc, ex, &why);
	if (refused) {
		snprintf(header, sizeof(header), "deny; check=imds-token; reason=%s", why);
		tl_http_add_header(ex, "x-trustlab-decision", header);
		imds_text(ex, refused, "401 - Unauthorized");
		return;
	}
	if (strcmp(path, "/latest/meta-data/instance-id") == 0) {
		imds_text(ex, 200, id);
		return;
	}
	if (strcmp(path, IMDS_CREDS_PREFIX) == 0 && has_role) {
		imds_text(ex, 200, role);
		return;
	}
	if (strncmp(path, IMDS_CREDS_PREFIX, strlen(IMDS_CREDS_PREFIX)) == 0 && has_role &&
	    strcmp(path + strlen(IMDS_CREDS_PREFIX), role) == 0) {
		struct issue is;
		char updated[TL_TIME_ISO8601_LEN], expiration[TL_TIME_ISO8601_LEN];
		char message[256], source_arn[128];
		int rc;

		memset(&is, 0, sizeof(is));
		is.service = EC2_SERVICE;
		is.role = role;
		is.session = id;
		snprintf(source_arn, sizeof(source_arn), "arn:aws:ec2:%s:%s:instance/%s",
			 svc->region, svc->account, id);
		is.source_arn = source_arn;
		rc = issue_credentials(svc, &is, ex);
		if (rc < 0) {
			imds_text(ex, 500, "500 - Internal Server Error");
			return;
		}
		explain_headers(ex, &is);
		tl_time_format_iso8601(tl_clock_now(svc->clock), updated);
		if (rc == 0) {
			/* IMDS answers 200 with a Code and no credentials when EC2
			 * cannot assume the role (observed: aws/aws-cli#2060). */
			snprintf(message, sizeof(message),
				 "EC2 cannot assume the role %s.  Please see documentation at "
				 "http://docs.amazonwebservices.com/IAM/latest/UserGuide/"
				 "RolesTroubleshooting.html.",
				 role);
			respond_json(ex, 200,
				     json_pack("{s:s, s:s, s:s}", "Code",
					       "AssumeRoleUnauthorizedAccess", "Message", message,
					       "LastUpdated", updated));
			return;
		}
		tl_time_format_iso8601(is.creds.expiration, expiration);
		respond_json(ex, 200,
			     json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Code", "Success",
				       "LastUpdated", updated, "Type", "AWS-HMAC", "AccessKeyId",
				       is.creds.access_key_id, "SecretAccessKey",
				       is.creds.secret_access_key, "Token", is.creds.session_token,
				       "Expiration", expiration));
		return;
	}
	imds_text(ex, 404, "404 - Not Found");
}

int
tl_stsd_mount_imds(struct tl_stsd *svc, struct tl_http_server *srv, struct tl_error *err)
{
	if (tl_http_server_route(srv, "PUT", "/latest/api/token", imds_token, svc, err) < 0 ||
	    tl_http_server_route(srv, "GET", "/latest/*", imds_get, svc, err) < 0)
		return -1;
	tl_http_server_set_error_fn(srv, imds_error, svc);
	return 0;
}

/* --- the admin API: /_trustlab/{instance,tasks/ID,users/NAME} --------------------------- */

static void
admin_reply(struct tl_http_exchange *ex, unsigned status, const char *error, const char *message)
{
	json_t *body = error ? json_pack("{s:s, s:s}", "error", error, "message", message)
			     : json_pack("{s:b}", "ok", 1);
	respond_json(ex, status, body);
}

/* Optional string member: NULL when absent, "" on a wrong type. */
static const char *
opt_str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return NULL;
	return json_is_string(v) ? json_string_value(v) : "";
}

static int
admin_instance(struct tl_stsd *svc, const json_t *o, struct tl_error *err)
{
	static const char *const keys[] = {"id",	"role",	       "http_tokens",
					   "hop_limit", "client_hops", NULL};
	struct tl_stsd_instance inst = {0};
	const char *tokens = opt_str(o, "http_tokens");
	const json_t *h = json_object_get(o, "hop_limit"), *c = json_object_get(o, "client_hops");

	if (tl_json_only_keys(o, keys, NULL, err) < 0)
		return -1;
	inst.id = opt_str(o, "id");
	inst.role = opt_str(o, "role");
	if (tokens && strcmp(tokens, "required") && strcmp(tokens, "optional"))
		return tl_error_set(err, TL_ERR_INVALID, "http_tokens: required or optional");
	inst.tokens = tokens && strcmp(tokens, "optional") == 0 ? TL_STSD_IMDS_OPTIONAL
								: TL_STSD_IMDS_REQUIRED;
	if ((h && !json_is_integer(h)) || (c && !json_is_integer(c)))
		return tl_error_set(err, TL_ERR_INVALID, "hop_limit and client_hops are integers");
	inst.hop_limit = h ? (int)json_integer_value(h) : 0;
	inst.client_hops = c ? (int)json_integer_value(c) : 0;
	if (h && (json_integer_value(h) < 1 || json_integer_value(h) > 64))
		return tl_error_set(err, TL_ERR_INVALID, "hop_limit: 1 to 64");
	return tl_stsd_set_instance(svc, &inst, err);
}

/*
 * PUT/DELETE, authorised by `Authorization: Bearer <admin secret>` (the
 * secret of --admin-credentials): what mock-sts's flags and the runner set,
 * for `trustlab serve` and other tools (docs/credential-chain.md).
 */
static void
admin_handle(void *ctx, struct tl_http_exchange *ex)
{
	struct tl_stsd *svc = ctx;
	const char *path = tl_http_path(ex) + strlen("/_trustlab/");
	const char *method = tl_http_method(ex), *auth = tl_http_header(ex, "Authorization");
	bool del = strcmp(method, "DELETE") == 0;
	struct tl_error err;
	json_t *o = NULL;
	size_t len, want = strlen(svc->admin_secret) + 7;
	const char *body = tl_http_body(ex, &len);
	int rc = -1;

	if (!auth || strlen(auth) != want || strncmp(auth, "Bearer ", 7) != 0 ||
	    CRYPTO_memcmp(auth + 7, svc->admin_secret, want - 7) != 0) {
		admin_reply(ex, 401, "Unauthorized",
			    "Authorization: Bearer <the admin secret access key> is required");
		return;
	}
	tl_error_clear(&err);
	if (!del) {
		o = tl_json_load(body, len, &tl_json_default_limits, "request body", &err);
		if (!o || !json_is_object(o)) {
			json_decref(o);
			admin_reply(ex, 400, "InvalidRequest",
				    o ? "the body is a JSON object" : err.message);
			return;
		}
	}
	if (strcmp(path, "instance") == 0) {
		rc = del ? tl_stsd_set_instance(svc, NULL, &err) : admin_instance(svc, o, &err);
	} else if (strncmp(path, "tasks/", 6) == 0) {
		static const char *const keys[] = {"role", "authorization_token", NULL};
		if (del)
			rc = tl_stsd_set_task(svc, path + 6, NULL, NULL, &err);
		else if (tl_json_only_keys(o, keys, NULL, &err) == 0) {
			const char *role = opt_str(o, "role");
			rc = role ? tl_stsd_set_task(svc, path + 6, role,
						     opt_str(o, "authorization_token"), &err)
				  : tl_error_set(&err, TL_ERR_INVALID, "role is required");
		}
	} else if (strncmp(path, "users/", 6) == 0 && !del) {
		static const char *const keys[] = {"access_key_id", "secret_access_key", NULL};
		if (tl_json_only_keys(o, keys, NULL, &err) == 0)
			rc = tl_stsd_add_user(svc, path + 6, opt_str(o, "access_key_id"),
					      opt_str(o, "secret_access_key"), &err);
	} else {
		json_decref(o);
		admin_reply(ex, 404, "NotFound", "no such admin resource");
		return;
	}
	json_decref(o);
	if (rc < 0)
		admin_reply(ex, err.code == TL_ERR_LIMIT ? 413 : 400, "InvalidRequest",
			    err.message);
	else
		admin_reply(ex, 200, NULL, NULL);
}

int
tl_stsd_mount_admin(struct tl_stsd *svc, struct tl_http_server *srv, struct tl_error *err)
{
	static const char *const prefixes[] = {"/_trustlab/instance", "/_trustlab/tasks/*",
					       "/_trustlab/users/*"};
	for (size_t i = 0; i < 3; i++)
		if (tl_http_server_route(srv, "PUT", prefixes[i], admin_handle, svc, err) < 0 ||
		    (i < 2 &&
		     tl_http_server_route(srv, "DELETE", prefixes[i], admin_handle, svc, err) < 0))
			return -1;
	return 0;
}
