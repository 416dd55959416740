/* SPDX-License-Identifier: MIT */
#pragma once

/* The service's room: shared between its files, not part of its contract. */

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "util/buf.h"
#include "util/random.h"

#include "jose/jwks.h"
#include "policy/policy.h"
#include "sts/arn.h"
#include "sts/arwwi.h"
#include "sts/errors.h"
#include "stsd/stsd.h"

struct tl_http_client;

struct stsd_tag {
	char *key;
	char *value;
};

/* Immutable once published; replaced (copy on write), never changed. */
struct stsd_provider {
	atomic_int refs;
	char *url; /* host/path, as IAM stores it */
	char *issuer; /* "https://" + url: the iss it accepts */
	char *arn;
	char **client_ids;
	size_t client_id_count;
	char **thumbprints;
	size_t thumbprint_count;
	struct stsd_tag *tags;
	size_t tag_count;
	int64_t create_date;
};

struct stsd_role {
	atomic_int refs;
	char *name;
	char *path;
	char *arn;
	char *id;
	char *policy_text;
	char *description; /* NULL when none */
	struct tl_policy *policy;
	int max_session_duration;
	int64_t create_date;
	struct stsd_tag *tags;
	size_t tag_count;
};

/* Providers and roles as one immutable version of the state. */
struct stsd_snapshot {
	atomic_int refs;
	struct stsd_provider **providers;
	size_t provider_count;
	struct stsd_role **roles;
	size_t role_count;
	/* Name indexes (store.c): slot = position + 1, 0 empty. */
	size_t *provider_slots, *role_slots;
	size_t provider_cap, role_cap;
};

struct stsd_session {
	char access_key_id[TL_STS_ACCESS_KEY_ID_LEN + 1];
	char secret[TL_STS_SECRET_ACCESS_KEY_LEN + 1];
	char token_sha256[65]; /* hex; the session token itself is not kept */
	int64_t expiration;
	char arn[256]; /* arn:aws:sts::ACCOUNT:assumed-role/NAME(64)/SESSION(64) */
	char user_id[128];
	struct stsd_session *next; /* hash chain */
};

/* One parsed JWKS, shared by the requests that verify with it. */
struct stsd_keys {
	atomic_int refs;
	struct tl_jwks *jwks;
	char source[512]; /* where it came from, for the trace */
};

struct stsd_keycache {
	char *issuer;
	char *file; /* --jwks-file, or NULL */
	pthread_mutex_t lock;
	struct stsd_keys *keys;
	int64_t fetched_ms; /* monotonic */
	int64_t refetched_ms; /* last unknown-kid refetch, monotonic */
	int64_t failed_ms; /* end of the last failed fetch, monotonic; 0: none */
	char failed_why[512]; /* its detail, answered until the retry window ends */
};

struct stsd_user {
	char name[65];
	char akid[129];
	char secret[129];
	char id[22]; /* AIDA... */
};

struct stsd_task {
	char id[65];
	char role[TL_STS_ROLE_NAME_MAX + 1];
	char *auth_token;
};

struct stsd_imds_token {
	char value[57];
	int64_t expires; /* Unix seconds */
};

#define STSD_USERS_MAX 64
#define STSD_TASKS_MAX 256
#define STSD_IMDS_TOKENS_MAX 1024

/*
 * A kept decision, rendered as JSON only when fetched (bench/README.md:
 * rendering it on every call cost about a fifth of an ARWWI): the document
 * with "steps", "context" and "policy" as null placeholders, the packed
 * steps and context keys, and the role: the context is rebuilt from the
 * keys and the trust policy evaluated again, with a trace.
 */
struct stsd_lazy {
	json_t *doc;
	char *steps; /* packed "check\0outcome\0detail\0" triples */
	size_t steps_len;
	char *keys; /* packed context keys (arwwi.c ctx_add), or NULL */
	size_t keys_len;
	char *principal; /* the context's principal, or NULL */
	struct stsd_role *role; /* a reference, or NULL */
	unsigned actions; /* bit a: tl_stsd_policy_actions[a] was evaluated */
};

struct decision {
	char request_id[TL_UUID_LEN];
	struct stsd_lazy lazy;
};

struct tl_stsd {
	char account[16];
	char *admin_akid;
	char *admin_secret;
	char *region;
	const struct tl_clock *clock; /* borrowed; NULL: system time */
	struct tl_rng rng;
	char *state_path;
	struct tl_policy_limits limits;
	size_t roles_max, providers_max;
	int64_t skew_seconds;
	int64_t jwks_ttl_ms;
	int64_t jwks_refetch_ms;
	long fetch_timeout_ms;

	struct tl_stsd_issuer_map *maps;
	size_t map_count;

	/* The state: readers ref the snapshot under snap_lock; writers are
	 * serialised by write_lock and publish a new snapshot. */
	pthread_mutex_t snap_lock;
	struct stsd_snapshot *snap;
	pthread_mutex_t write_lock;

	/* JWKS caches, one per issuer; the array only grows. */
	pthread_mutex_t cache_lock;
	struct stsd_keycache **caches;
	size_t cache_count;

	/* HTTP clients for issuer fetches (a client is single-threaded). */
	pthread_mutex_t client_lock;
	struct tl_http_client *clients[8];
	size_t client_count;

	/* Issued sessions: a hash table plus a FIFO for eviction. */
	pthread_mutex_t session_lock;
	struct stsd_session **session_table;
	size_t session_buckets;
	struct stsd_session **session_fifo;
	size_t sessions_max;
	size_t session_head;
	size_t session_count;

	/* Recent decision traces. */
	pthread_mutex_t decision_lock;
	struct decision *decisions;
	size_t decisions_max;
	size_t decision_next;

	pthread_mutex_t audit_lock;
	FILE *audit;

	/* Credential endpoints (creds.c), guarded by creds_lock. */
	char *admin_user;
	char admin_user_id[22];
	pthread_mutex_t creds_lock;
	struct stsd_user users[STSD_USERS_MAX];
	size_t user_count;
	struct stsd_task tasks[STSD_TASKS_MAX];
	size_t task_count;
	bool has_instance;
	char instance_id[65];
	char instance_role[TL_STS_ROLE_NAME_MAX + 1];
	struct tl_stsd_instance instance; /* strings point at the arrays above */
	struct stsd_imds_token imds_tokens[STSD_IMDS_TOKENS_MAX];
	size_t imds_token_next;
	/* Bumped by every metadata request and instance change: a held
	 * (lost) token answer waits for the client to move on. */
	atomic_uint imds_generation;
};

/* A request's explanation: ordered checks, then details. */
struct stsd_trace {
	struct tl_buf steps; /* packed "check\0outcome\0detail\0" triples */
	json_t *extra; /* object: token, context and policy (null placeholders), ... */
	struct tl_buf keys; /* the context keys, packed */
	char *principal; /* the context's principal */
	char header[512]; /* x-trustlab-decision */
	/* The trust-policy evaluation, replayed with a trace when rendered. */
	struct stsd_role *role; /* a reference, or NULL */
	unsigned actions;
};

/* The actions a web-identity request is evaluated for, in order. */
extern const char *const tl_stsd_policy_actions[3];

void tl_stsd_trace_init(struct stsd_trace *t);
void tl_stsd_trace_finish(struct stsd_trace *t);
/* outcome: "pass", "fail", "skip", "info". */
void tl_stsd_trace_step(struct stsd_trace *t, const char *check, const char *outcome,
			const char *fmt, ...) TL_PRINTF(4, 5);
/* Steals `value`. */
void tl_stsd_trace_set(struct stsd_trace *t, const char *key, json_t *value);
/* Moves the trace's lazy parts into `lazy` (whose doc the caller sets). */
void tl_stsd_trace_take(struct stsd_trace *t, struct stsd_lazy *lazy);
/* Fills the placeholders of lazy->doc (steps, policy) and returns it (a new
 * reference); tl_stsd_lazy_clear puts the placeholders back. Not thread-safe
 * for one decision: callers serialise. */
json_t *tl_stsd_lazy_render(struct stsd_lazy *lazy);
void tl_stsd_lazy_clear(struct stsd_lazy *lazy);
void tl_stsd_lazy_finish(struct stsd_lazy *lazy);

/* store.c */
struct stsd_snapshot *tl_stsd_snapshot_get(struct tl_stsd *svc);
void tl_stsd_snapshot_put(struct stsd_snapshot *s);
struct stsd_provider *tl_stsd_provider_ref(struct stsd_provider *p);
void tl_stsd_provider_put(struct stsd_provider *p);
struct stsd_role *tl_stsd_role_ref(struct stsd_role *r);
void tl_stsd_role_put(struct stsd_role *r);
struct stsd_provider *tl_stsd_snapshot_provider(const struct stsd_snapshot *s, const char *url);
struct stsd_role *tl_stsd_snapshot_role(const struct stsd_snapshot *s, const char *name);
int tl_stsd_store_init(struct tl_stsd *svc, struct tl_error *err);
void tl_stsd_store_finish(struct tl_stsd *svc);
int tl_stsd_state_load(struct tl_stsd *svc, struct tl_error *err);

/*
 * IAM writes. Each takes the write lock, builds a new snapshot, saves the
 * state file and publishes; on any failure nothing changes. The fault
 * carries IAM's answer.
 */
int tl_stsd_iam_create_provider(struct tl_stsd *svc, const char *url_host_path,
				const char *const *client_ids, size_t nclient,
				const char *const *thumbprints, size_t nthumb,
				const struct stsd_tag *tags, size_t ntags, char **arn_out,
				struct tl_sts_fault *fault);
int tl_stsd_iam_delete_provider(struct tl_stsd *svc, const char *url, struct tl_sts_fault *fault);
int tl_stsd_iam_add_client_id(struct tl_stsd *svc, const char *url, const char *client_id,
			      struct tl_sts_fault *fault);
int tl_stsd_iam_create_role(struct tl_stsd *svc, const char *name, const char *path,
			    const char *policy, const char *description, int max_session,
			    const struct stsd_tag *tags, size_t ntags, struct stsd_role **out,
			    struct tl_sts_fault *fault);
int tl_stsd_iam_delete_role(struct tl_stsd *svc, const char *name, struct tl_sts_fault *fault);
/* `policy` NULL keeps it, `max_session` 0 keeps it, `description` NULL keeps it. */
int tl_stsd_iam_update_role(struct tl_stsd *svc, const char *name, const char *policy,
			    int max_session, const char *description, struct tl_sts_fault *fault);

/* keys.c: the issuer's keys (a new reference) or NULL with the
 * IDPCommunicationError detail in `why`. `refresh` forces a refetch
 * (rate-limited; *refreshed says whether it happened). */
struct stsd_keys *tl_stsd_keys_get(struct tl_stsd *svc, const char *issuer, bool refresh,
				   bool *refreshed, char *why, size_t why_size);
void tl_stsd_keys_put(struct stsd_keys *k);
void tl_stsd_keys_finish(struct tl_stsd *svc);
int tl_stsd_keys_load_files(struct tl_stsd *svc, const struct tl_stsd_config *cfg,
			    struct tl_error *err);
int64_t tl_stsd_monotonic_ms(void);

/* arwwi.c */
struct stsd_arwwi_out {
	struct tl_sts_credentials creds;
	char assumed_arn[TL_STS_ARN_MAX + 1];
	char assumed_id[128];
	char provider_arn[TL_STS_ARN_MAX + 1];
	char subject[256];
	char audience[256];
	char source_identity[128];
	bool has_source_identity;
	int packed_policy_size; /* percent of the packed limit; -1 without session policies */
	json_t *principal_tags; /* for the audit log, or NULL */
	json_t *transitive_tags;
};

int tl_stsd_arwwi(struct tl_stsd *svc, const struct tl_sts_arwwi_request *req,
		  struct stsd_arwwi_out *out, struct stsd_trace *trace, struct tl_sts_fault *fault);
void tl_stsd_arwwi_out_finish(struct stsd_arwwi_out *out);

/* service.c */
void tl_stsd_session_add(struct tl_stsd *svc, const struct stsd_session *s);
/* Takes the lazy decision (its doc and packed parts); renders on fetch. */
void tl_stsd_decision_store(struct tl_stsd *svc, const char *request_id, struct stsd_lazy *lazy);
void tl_stsd_audit_write(struct tl_stsd *svc, const json_t *event);

/* creds.c: a static user by access key id (copied out), for SigV4. */
bool tl_stsd_user_find(struct tl_stsd *svc, const char *akid, struct stsd_user *out);
void tl_stsd_creds_finish(struct tl_stsd *svc);
void tl_stsd_ecs_handle(void *svc, struct tl_http_exchange *ex);
int tl_stsd_mount_admin(struct tl_stsd *svc, struct tl_http_server *srv, struct tl_error *err);
#define STSD_ECS_PREFIX "/_trustlab/ecs/"
