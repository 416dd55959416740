/* SPDX-License-Identifier: MIT */
/*
 * Providers and roles: immutable objects in immutable snapshots. A reader
 * (every AssumeRoleWithWebIdentity) takes a reference to the current
 * snapshot under a mutex held for two instructions, then works lock-free;
 * a writer (an IAM call) copies the snapshot, changes the copy, saves the
 * state file and only then publishes, so a failed save changes nothing.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <unistd.h>

#include "util/file.h"

#include "json/json.h"
#include "sts/arn.h"
#include "sts/iam.h"
#include "stsd-private.h"

#define STATE_MAX (64u * 1024 * 1024)

static char *
sdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void
tags_free(struct stsd_tag *tags, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(tags[i].key);
		free(tags[i].value);
	}
	free(tags);
}

static int
tags_copy(const struct stsd_tag *in, size_t n, struct stsd_tag **out)
{
	*out = NULL;
	if (n == 0)
		return 0;
	*out = calloc(n, sizeof(**out));
	if (!*out)
		return -1;
	for (size_t i = 0; i < n; i++) {
		(*out)[i].key = sdup(in[i].key);
		(*out)[i].value = sdup(in[i].value);
		if (!(*out)[i].key || !(*out)[i].value) {
			tags_free(*out, n);
			*out = NULL;
			return -1;
		}
	}
	return 0;
}

static void
strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static char **
strv_copy(const char *const *in, size_t n, size_t extra)
{
	char **v = calloc(n + extra + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(v[i] = strdup(in[i]))) {
			strv_free(v, n);
			return NULL;
		}
	return v;
}

struct stsd_provider *
tl_stsd_provider_ref(struct stsd_provider *p)
{
	if (p)
		atomic_fetch_add(&p->refs, 1);
	return p;
}

void
tl_stsd_provider_put(struct stsd_provider *p)
{
	if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	free(p->url);
	free(p->issuer);
	free(p->arn);
	strv_free(p->client_ids, p->client_id_count);
	strv_free(p->thumbprints, p->thumbprint_count);
	tags_free(p->tags, p->tag_count);
	free(p);
}

struct stsd_role *
tl_stsd_role_ref(struct stsd_role *r)
{
	if (r)
		atomic_fetch_add(&r->refs, 1);
	return r;
}

void
tl_stsd_role_put(struct stsd_role *r)
{
	if (!r || atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	free(r->name);
	free(r->path);
	free(r->arn);
	free(r->id);
	free(r->policy_text);
	free(r->description);
	tl_policy_free(r->policy);
	tags_free(r->tags, r->tag_count);
	free(r);
}

static void
snapshot_free(struct stsd_snapshot *s)
{
	for (size_t i = 0; i < s->provider_count; i++)
		tl_stsd_provider_put(s->providers[i]);
	for (size_t i = 0; i < s->role_count; i++)
		tl_stsd_role_put(s->roles[i]);
	free(s->providers);
	free(s->roles);
	free(s->provider_slots);
	free(s->role_slots);
	free(s);
}

void
tl_stsd_snapshot_put(struct stsd_snapshot *s)
{
	if (s && atomic_fetch_sub(&s->refs, 1) == 1)
		snapshot_free(s);
}

struct stsd_snapshot *
tl_stsd_snapshot_get(struct tl_stsd *svc)
{
	struct stsd_snapshot *s;
	pthread_mutex_lock(&svc->snap_lock);
	s = svc->snap;
	atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&svc->snap_lock);
	return s;
}

/* A copy sharing every object, with room for one more of each. */
static struct stsd_snapshot *
snapshot_copy(const struct stsd_snapshot *old)
{
	struct stsd_snapshot *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	atomic_init(&s->refs, 1);
	s->providers = calloc(old->provider_count + 1, sizeof(*s->providers));
	s->roles = calloc(old->role_count + 1, sizeof(*s->roles));
	if (!s->providers || !s->roles) {
		free(s->providers);
		free(s->roles);
		free(s);
		return NULL;
	}
	for (size_t i = 0; i < old->provider_count; i++)
		s->providers[s->provider_count++] = tl_stsd_provider_ref(old->providers[i]);
	for (size_t i = 0; i < old->role_count; i++)
		s->roles[s->role_count++] = tl_stsd_role_ref(old->roles[i]);
	return s;
}

/*
 * Name indexes: open addressing, slot = position + 1 (0 empty), at most
 * half full. Built when a snapshot is published (and while a state file
 * loads), so a lookup costs the same with 10 roles or 100,000
 * (bench/README.md, the scaling curve). Without one (no memory), lookups
 * fall back to a scan.
 */
static size_t
name_hash(const char *s, bool fold)
{
	uint64_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)(fold ? tolower((unsigned char)*s) : *s)) * 1099511628211u;
	return (size_t)h;
}

static const char *
slot_name(const struct stsd_snapshot *s, bool roles, size_t i)
{
	return roles ? s->roles[i]->name : s->providers[i]->url;
}

static void
index_put(size_t *slots, size_t cap, size_t hash, size_t i)
{
	size_t at = hash & (cap - 1);
	while (slots[at])
		at = (at + 1) & (cap - 1);
	slots[at] = i + 1;
}

/* Adds entry i (already in the array), growing the index as needed. */
static void
index_add(struct stsd_snapshot *s, bool roles, size_t i)
{
	size_t **slots = roles ? &s->role_slots : &s->provider_slots;
	size_t *cap = roles ? &s->role_cap : &s->provider_cap;
	size_t count = roles ? s->role_count : s->provider_count;

	if (!*slots && *cap == SIZE_MAX)
		return; /* gave up: no memory */
	if (count * 2 > *cap) {
		size_t ncap = 64;
		while (ncap < count * 4)
			ncap *= 2;
		free(*slots);
		*slots = calloc(ncap, sizeof(**slots));
		*cap = *slots ? ncap : SIZE_MAX;
		for (size_t k = 0; *slots && k < count; k++)
			index_put(*slots, ncap, name_hash(slot_name(s, roles, k), roles), k);
		return;
	}
	index_put(*slots, *cap, name_hash(slot_name(s, roles, i), roles), i);
}

static void
snapshot_index(struct stsd_snapshot *s)
{
	free(s->role_slots);
	free(s->provider_slots);
	s->role_slots = s->provider_slots = NULL;
	s->role_cap = s->provider_cap = 0;
	if (s->role_count)
		index_add(s, true, s->role_count - 1);
	if (s->provider_count)
		index_add(s, false, s->provider_count - 1);
}

static ssize_t
index_find(const struct stsd_snapshot *s, bool roles, const char *name)
{
	const size_t *slots = roles ? s->role_slots : s->provider_slots;
	size_t cap = roles ? s->role_cap : s->provider_cap;
	size_t count = roles ? s->role_count : s->provider_count;

	if (slots) {
		for (size_t at = name_hash(name, roles) & (cap - 1); slots[at];
		     at = (at + 1) & (cap - 1)) {
			const char *have = slot_name(s, roles, slots[at] - 1);
			if (roles ? strcasecmp(have, name) == 0 : strcmp(have, name) == 0)
				return (ssize_t)slots[at] - 1;
		}
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		const char *have = slot_name(s, roles, i);
		if (roles ? strcasecmp(have, name) == 0 : strcmp(have, name) == 0)
			return (ssize_t)i;
	}
	return -1;
}

static ssize_t
find_provider(const struct stsd_snapshot *s, const char *url)
{
	return index_find(s, false, url);
}

/* IAM role names are unique case-insensitively. */
static ssize_t
find_role(const struct stsd_snapshot *s, const char *name)
{
	return index_find(s, true, name);
}

struct stsd_provider *
tl_stsd_snapshot_provider(const struct stsd_snapshot *s, const char *url)
{
	ssize_t i = find_provider(s, url);
	return i < 0 ? NULL : s->providers[i];
}

struct stsd_role *
tl_stsd_snapshot_role(const struct stsd_snapshot *s, const char *name)
{
	ssize_t i = find_role(s, name);
	return i < 0 ? NULL : s->roles[i];
}

/* --- state file --------------------------------------------------------- */

static json_t *
tags_json(const struct stsd_tag *tags, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_pack("{s:s, s:s}", "Key", tags[i].key, "Value",
						       tags[i].value)) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *
strv_json(char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *
snapshot_json(const struct tl_stsd *svc, const struct stsd_snapshot *s)
{
	json_t *providers = json_array(), *roles = json_array();

	for (size_t i = 0; providers && i < s->provider_count; i++) {
		const struct stsd_provider *p = s->providers[i];
		if (json_array_append_new(
			    providers,
			    json_pack("{s:s, s:o, s:o, s:I, s:o}", "url", p->url, "client_ids",
				      strv_json(p->client_ids, p->client_id_count), "thumbprints",
				      strv_json(p->thumbprints, p->thumbprint_count), "create_date",
				      (json_int_t)p->create_date, "tags",
				      tags_json(p->tags, p->tag_count))) < 0)
			goto fail;
	}
	for (size_t i = 0; roles && i < s->role_count; i++) {
		const struct stsd_role *r = s->roles[i];
		if (json_array_append_new(
			    roles, json_pack("{s:s, s:s, s:s, s:s, s:s?, s:i, s:I, s:o}", "name",
					     r->name, "path", r->path, "id", r->id, "trust_policy",
					     r->policy_text, "description", r->description,
					     "max_session_duration", r->max_session_duration,
					     "create_date", (json_int_t)r->create_date, "tags",
					     tags_json(r->tags, r->tag_count))) < 0)
			goto fail;
	}
	if (!providers || !roles)
		goto fail;
	return json_pack("{s:i, s:s, s:o, s:o}", "version", 1, "account", svc->account, "providers",
			 providers, "roles", roles);
fail:
	json_decref(providers);
	json_decref(roles);
	return NULL;
}

static int
state_save(struct tl_stsd *svc, const struct stsd_snapshot *s, struct tl_error *err)
{
	json_t *doc;
	char *text;
	int rc;

	if (!svc->state_path)
		return 0;
	doc = snapshot_json(svc, s);
	if (!doc)
		return tl_error_set(err, TL_ERR_NOMEM, "cannot serialise the state");
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!text)
		return tl_error_set(err, TL_ERR_NOMEM, "cannot serialise the state");
	rc = tl_file_write_atomic(svc->state_path, text, strlen(text), 0600, err);
	free(text);
	return rc;
}

/* Saves `next` and publishes it; consumes the caller's reference either
 * way. Called with write_lock held. */
static int
commit(struct tl_stsd *svc, struct stsd_snapshot *next, struct tl_sts_fault *fault)
{
	struct tl_error err;
	struct stsd_snapshot *old;

	snapshot_index(next);
	if (state_save(svc, next, &err) < 0) {
		tl_stsd_snapshot_put(next);
		return tl_sts_fault_set(fault, TL_STS_SERVICE_FAILURE,
					"The state could not be saved: %s", err.message);
	}
	pthread_mutex_lock(&svc->snap_lock);
	old = svc->snap;
	svc->snap = next;
	pthread_mutex_unlock(&svc->snap_lock);
	tl_stsd_snapshot_put(old);
	return 0;
}

static int
nomem(struct tl_sts_fault *fault)
{
	return tl_sts_fault_set(fault, TL_STS_SERVICE_FAILURE, NULL);
}

static struct stsd_provider *
provider_new(const char *account, const char *url, const char *const *client_ids, size_t nclient,
	     size_t extra_clients, const char *const *thumbprints, size_t nthumb,
	     const struct stsd_tag *tags, size_t ntags, int64_t create_date)
{
	struct stsd_provider *p = calloc(1, sizeof(*p));
	char arn[TL_STS_ARN_MAX + 1];

	if (!p)
		return NULL;
	atomic_init(&p->refs, 1);
	tl_sts_arn_format_oidc_provider(arn, sizeof(arn), account, url);
	p->url = sdup(url);
	p->arn = sdup(arn);
	p->issuer = malloc(strlen(url) + 9);
	if (p->issuer)
		sprintf(p->issuer, "https://%s", url);
	p->client_ids = strv_copy(client_ids, nclient, extra_clients);
	p->client_id_count = nclient;
	p->thumbprints = strv_copy(thumbprints, nthumb, 0);
	p->thumbprint_count = nthumb;
	p->create_date = create_date;
	if (!p->url || !p->arn || !p->issuer || !p->client_ids || !p->thumbprints ||
	    tags_copy(tags, ntags, &p->tags) < 0) {
		p->client_id_count = p->client_ids ? nclient : 0;
		p->thumbprint_count = p->thumbprints ? nthumb : 0;
		tl_stsd_provider_put(p);
		return NULL;
	}
	p->tag_count = ntags;
	return p;
}

static int64_t
now_s(const struct tl_stsd *svc)
{
	return tl_clock_now(svc->clock);
}

int
tl_stsd_iam_create_provider(struct tl_stsd *svc, const char *url, const char *const *client_ids,
			    size_t nclient, const char *const *thumbprints, size_t nthumb,
			    const struct stsd_tag *tags, size_t ntags, char **arn_out,
			    struct tl_sts_fault *fault)
{
	struct stsd_snapshot *next;
	struct stsd_provider *p;
	int rc = -1;

	pthread_mutex_lock(&svc->write_lock);
	if (find_provider(svc->snap, url) >= 0) {
		tl_sts_fault_set(fault, TL_STS_ENTITY_ALREADY_EXISTS,
				 "Provider with url https://%s already exists.", url);
		goto out;
	}
	if (svc->snap->provider_count >= svc->providers_max) {
		tl_sts_fault_set(fault, TL_STS_LIMIT_EXCEEDED,
				 "Cannot exceed quota for OpenIdConnectProvidersPerAccount: %zu",
				 svc->providers_max);
		goto out;
	}
	for (size_t i = 0; i < nclient; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(client_ids[i], client_ids[j]) == 0) {
				tl_sts_fault_set(fault, TL_STS_INVALID_INPUT,
						 "Duplicate client id: %s", client_ids[i]);
				goto out;
			}
	p = provider_new(svc->account, url, client_ids, nclient, 0, thumbprints, nthumb, tags,
			 ntags, now_s(svc));
	next = p ? snapshot_copy(svc->snap) : NULL;
	if (!next) {
		tl_stsd_provider_put(p);
		nomem(fault);
		goto out;
	}
	next->providers[next->provider_count++] = p;
	if (arn_out && !(*arn_out = sdup(p->arn))) {
		tl_stsd_snapshot_put(next);
		nomem(fault);
		goto out;
	}
	rc = commit(svc, next, fault);
	if (rc < 0 && arn_out) {
		free(*arn_out);
		*arn_out = NULL;
	}
out:
	pthread_mutex_unlock(&svc->write_lock);
	return rc;
}

static int
no_provider(struct tl_stsd *svc, const char *url, struct tl_sts_fault *fault)
{
	char arn[TL_STS_ARN_MAX + 1];
	tl_sts_arn_format_oidc_provider(arn, sizeof(arn), svc->account, url);
	return tl_sts_fault_set(fault, TL_STS_NO_SUCH_ENTITY,
				"OpenIDConnect Provider not found for arn %s", arn);
}

int
tl_stsd_iam_delete_provider(struct tl_stsd *svc, const char *url, struct tl_sts_fault *fault)
{
	struct stsd_snapshot *next;
	ssize_t i;
	int rc = -1;

	pthread_mutex_lock(&svc->write_lock);
	i = find_provider(svc->snap, url);
	if (i < 0) {
		no_provider(svc, url, fault);
		goto out;
	}
	next = snapshot_copy(svc->snap);
	if (!next) {
		nomem(fault);
		goto out;
	}
	tl_stsd_provider_put(next->providers[i]);
	memmove(&next->providers[i], &next->providers[i + 1],
		(next->provider_count - (size_t)i - 1) * sizeof(*next->providers));
	next->provider_count--;
	rc = commit(svc, next, fault);
out:
	pthread_mutex_unlock(&svc->write_lock);
	return rc;
}

int
tl_stsd_iam_add_client_id(struct tl_stsd *svc, const char *url, const char *client_id,
			  struct tl_sts_fault *fault)
{
	struct stsd_snapshot *next;
	struct stsd_provider *old, *p;
	ssize_t i;
	int rc = -1;

	pthread_mutex_lock(&svc->write_lock);
	i = find_provider(svc->snap, url);
	if (i < 0) {
		no_provider(svc, url, fault);
		goto out;
	}
	old = svc->snap->providers[i];
	for (size_t k = 0; k < old->client_id_count; k++)
		if (strcmp(old->client_ids[k], client_id) == 0) {
			rc = 0; /* IAM: adding a present client id is a no-op */
			goto out;
		}
	if (old->client_id_count >= TL_STS_IAM_CLIENT_IDS_MAX) {
		tl_sts_fault_set(fault, TL_STS_LIMIT_EXCEEDED,
				 "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d",
				 TL_STS_IAM_CLIENT_IDS_MAX);
		goto out;
	}
	p = provider_new(svc->account, old->url, (const char *const *)old->client_ids,
			 old->client_id_count, 1, (const char *const *)old->thumbprints,
			 old->thumbprint_count, old->tags, old->tag_count, old->create_date);
	if (p && !(p->client_ids[p->client_id_count] = strdup(client_id))) {
		tl_stsd_provider_put(p);
		p = NULL;
	}
	next = p ? snapshot_copy(svc->snap) : NULL;
	if (!next) {
		tl_stsd_provider_put(p);
		nomem(fault);
		goto out;
	}
	p->client_id_count++;
	tl_stsd_provider_put(next->providers[i]);
	next->providers[i] = p;
	rc = commit(svc, next, fault);
out:
	pthread_mutex_unlock(&svc->write_lock);
	return rc;
}

/* IAM's write-time policy checks: LimitExceeded for size, then grammar. */
static struct tl_policy *
parse_policy(struct tl_stsd *svc, const char *text, struct tl_sts_fault *fault)
{
	struct tl_error err;
	struct tl_policy *p;

	if (tl_sts_iam_check_policy_size(text, svc->limits.max_chars, fault) < 0)
		return NULL;
	p = tl_policy_parse(text, strlen(text), &svc->limits, &err);
	if (p)
		return p;
	if (err.code == TL_ERR_NOMEM)
		nomem(fault);
	else if (strcmp(tl_policy_aws_error(&err), "LimitExceeded") == 0)
		tl_sts_fault_set(fault, TL_STS_LIMIT_EXCEEDED, "%s", err.message);
	else if (err.path[0])
		tl_sts_fault_set(fault, TL_STS_MALFORMED_POLICY_DOCUMENT, "%s: %s", err.path,
				 err.message);
	else
		tl_sts_fault_set(fault, TL_STS_MALFORMED_POLICY_DOCUMENT, "%s", err.message);
	return NULL;
}

static struct stsd_role *
role_new(void)
{
	struct stsd_role *r = calloc(1, sizeof(*r));
	if (r)
		atomic_init(&r->refs, 1);
	return r;
}

int
tl_stsd_iam_create_role(struct tl_stsd *svc, const char *name, const char *path, const char *policy,
			const char *description, int max_session, const struct stsd_tag *tags,
			size_t ntags, struct stsd_role **out, struct tl_sts_fault *fault)
{
	struct stsd_snapshot *next = NULL;
	struct stsd_role *r = NULL;
	char arn[TL_STS_ARN_MAX + 1], id[TL_STS_ROLE_ID_LEN + 1];
	int rc = -1;

	if (!path)
		path = "/";
	if (!max_session)
		max_session = TL_STS_IAM_SESSION_MIN;
	pthread_mutex_lock(&svc->write_lock);
	if (find_role(svc->snap, name) >= 0) {
		tl_sts_fault_set(fault, TL_STS_ENTITY_ALREADY_EXISTS,
				 "Role with name %s already exists.", name);
		goto out;
	}
	if (svc->snap->role_count >= svc->roles_max) {
		tl_sts_fault_set(fault, TL_STS_LIMIT_EXCEEDED,
				 "Cannot exceed quota for RolesPerAccount: %zu", svc->roles_max);
		goto out;
	}
	r = role_new();
	if (!r) {
		nomem(fault);
		goto out;
	}
	r->policy = parse_policy(svc, policy, fault);
	if (!r->policy)
		goto out;
	if (tl_sts_role_id_generate(&svc->rng, id, NULL) < 0) {
		nomem(fault);
		goto out;
	}
	tl_sts_arn_format_role(arn, sizeof(arn), svc->account, path, name);
	r->name = sdup(name);
	r->path = sdup(path);
	r->arn = sdup(arn);
	r->id = sdup(id);
	r->policy_text = sdup(policy);
	r->description = sdup(description);
	r->max_session_duration = max_session;
	r->create_date = now_s(svc);
	if (!r->name || !r->path || !r->arn || !r->id || !r->policy_text ||
	    (description && !r->description) || tags_copy(tags, ntags, &r->tags) < 0) {
		nomem(fault);
		goto out;
	}
	r->tag_count = ntags;
	next = snapshot_copy(svc->snap);
	if (!next) {
		nomem(fault);
		goto out;
	}
	next->roles[next->role_count++] = tl_stsd_role_ref(r);
	rc = commit(svc, next, fault);
out:
	pthread_mutex_unlock(&svc->write_lock);
	if (rc == 0 && out)
		*out = r;
	else
		tl_stsd_role_put(r);
	return rc;
}

static int
no_role(const char *name, struct tl_sts_fault *fault)
{
	return tl_sts_fault_set(fault, TL_STS_NO_SUCH_ENTITY,
				"The role with name %s cannot be found.", name);
}

int
tl_stsd_iam_delete_role(struct tl_stsd *svc, const char *name, struct tl_sts_fault *fault)
{
	struct stsd_snapshot *next;
	ssize_t i;
	int rc = -1;

	pthread_mutex_lock(&svc->write_lock);
	i = find_role(svc->snap, name);
	if (i < 0) {
		no_role(name, fault);
		goto out;
	}
	next = snapshot_copy(svc->snap);
	if (!next) {
		nomem(fault);
		goto out;
	}
	tl_stsd_role_put(next->roles[i]);
	memmove(&next->roles[i], &next->roles[i + 1],
		(next->role_count - (size_t)i - 1) * sizeof(*next->roles));
	next->role_count--;
	rc = commit(svc, next, fault);
out:
	pthread_mutex_unlock(&svc->write_lock);
	return rc;
}

int
tl_stsd_iam_update_role(struct tl_stsd *svc, const char *name, const char *policy, int max_session,
			const char *description, struct tl_sts_fault *fault)
{
	struct stsd_snapshot *next = NULL;
	struct stsd_role *old, *r = NULL;
	ssize_t i;
	int rc = -1;

	pthread_mutex_lock(&svc->write_lock);
	i = find_role(svc->snap, name);
	if (i < 0) {
		no_role(name, fault);
		goto out;
	}
	old = svc->snap->roles[i];
	r = role_new();
	if (!r) {
		nomem(fault);
		goto out;
	}
	if (policy) {
		r->policy = parse_policy(svc, policy, fault);
		if (!r->policy)
			goto out;
	} else {
		struct tl_error err;
		r->policy = tl_policy_parse(old->policy_text, strlen(old->policy_text),
					    &svc->limits, &err);
		if (!r->policy) {
			nomem(fault);
			goto out;
		}
	}
	r->name = sdup(old->name);
	r->path = sdup(old->path);
	r->arn = sdup(old->arn);
	r->id = sdup(old->id);
	r->policy_text = sdup(policy ? policy : old->policy_text);
	r->description = sdup(description ? description : old->description);
	r->max_session_duration = max_session ? max_session : old->max_session_duration;
	r->create_date = old->create_date;
	if (!r->name || !r->path || !r->arn || !r->id || !r->policy_text ||
	    tags_copy(old->tags, old->tag_count, &r->tags) < 0) {
		nomem(fault);
		goto out;
	}
	r->tag_count = old->tag_count;
	next = snapshot_copy(svc->snap);
	if (!next) {
		nomem(fault);
		goto out;
	}
	tl_stsd_role_put(next->roles[i]);
	next->roles[i] = r;
	r = NULL;
	rc = commit(svc, next, fault);
out:
	tl_stsd_role_put(r);
	pthread_mutex_unlock(&svc->write_lock);
	return rc;
}

/* --- start-up ----------------------------------------------------------- */

int
tl_stsd_store_init(struct tl_stsd *svc, struct tl_error *err)
{
	svc->snap = calloc(1, sizeof(*svc->snap));
	if (!svc->snap)
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	atomic_init(&svc->snap->refs, 1);
	pthread_mutex_init(&svc->snap_lock, NULL);
	pthread_mutex_init(&svc->write_lock, NULL);
	return 0;
}

void
tl_stsd_store_finish(struct tl_stsd *svc)
{
	if (!svc->snap)
		return;
	tl_stsd_snapshot_put(svc->snap);
	svc->snap = NULL;
	pthread_mutex_destroy(&svc->snap_lock);
	pthread_mutex_destroy(&svc->write_lock);
}

static int
load_fail(struct tl_error *err, const char *file, struct tl_jpath *path, const char *what)
{
	tl_error_set_at(err, TL_ERR_INVALID, tl_jpath_str(path), "%s", what);
	tl_error_prefix(err, "%s", file);
	return -1;
}

/* Strings of an array member into a NULL-padded vector (borrowed). */
static int
load_strings(const json_t *obj, const char *key, const char **out, size_t max, size_t *n,
	     const char *file, struct tl_jpath *path)
{
	const json_t *a = json_object_get(obj, key), *v;
	size_t i, mark = tl_jpath_push_key(path, key);

	*n = 0;
	if (!a) {
		tl_jpath_pop(path, mark);
		return 0;
	}
	if (!json_is_array(a) || json_array_size(a) > max)
		return -1;
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v))
			return -1;
		out[(*n)++] = json_string_value(v);
	}
	tl_jpath_pop(path, mark);
	return 0;
}

static int
load_tags(const json_t *obj, struct stsd_tag *tags, size_t *n)
{
	const json_t *a = json_object_get(obj, "tags"), *v;
	size_t i;

	*n = 0;
	if (!a)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > TL_STS_IAM_TAGS_MAX)
		return -1;
	json_array_foreach(a, i, v)
	{
		const char *k = json_string_value(json_object_get(v, "Key"));
		const char *val = json_string_value(json_object_get(v, "Value"));
		if (!k || !val || json_object_size(v) != 2)
			return -1;
		tags[*n].key = (char *)(uintptr_t)k;
		tags[*n].value = (char *)(uintptr_t)val;
		(*n)++;
	}
	return 0;
}

/* Puts a loaded role or provider in place, keeping its id and date. */
int
tl_stsd_state_load(struct tl_stsd *svc, struct tl_error *err)
{
	static const char *const top_keys[] = {"version", "account", "providers", "roles", NULL};
	static const char *const prov_keys[] = {"url",	       "client_ids", "thumbprints",
						"create_date", "tags",	     NULL};
	static const char *const role_keys[] = {
		"name",	       "path", "id", "trust_policy", "description", "max_session_duration",
		"create_date", "tags", NULL};
	const char *file = svc->state_path;
	struct tl_json_limits lim = {STATE_MAX, 16};
	struct tl_jpath path;
	struct stsd_snapshot *s = svc->snap;
	json_t *doc, *a, *v;
	size_t i;
	int rc = -1;

	if (access(file, F_OK) != 0)
		return 0; /* a new state file */
	doc = tl_json_load_file(file, &lim, err);
	if (!doc) {
		tl_error_prefix(err, "state file %s", file);
		return -1;
	}
	tl_jpath_init(&path, "$");
	if (tl_json_expect(doc, JSON_OBJECT, &path, err) < 0 ||
	    tl_json_only_keys(doc, top_keys, &path, err) < 0) {
		tl_error_prefix(err, "%s", file);
		goto out;
	}
	if (json_integer_value(json_object_get(doc, "version")) != 1) {
		load_fail(err, file, &path, "\"version\" must be 1");
		goto out;
	}
	if (!json_is_string(json_object_get(doc, "account")) ||
	    strcmp(json_string_value(json_object_get(doc, "account")), svc->account) != 0) {
		load_fail(err, file, &path,
			  "\"account\" differs from the service's account (--account)");
		goto out;
	}
	a = json_object_get(doc, "providers");
	json_array_foreach(a, i, v)
	{
		size_t mark = tl_jpath_push_key(&path, "providers"), m2;
		const char *ids[TL_STS_IAM_CLIENT_IDS_MAX], *th[TL_STS_IAM_THUMBPRINTS_MAX];
		struct stsd_tag tags[TL_STS_IAM_TAGS_MAX];
		size_t nid, nth, ntag;
		const char *url = json_string_value(json_object_get(v, "url"));
		struct stsd_provider *p;

		m2 = tl_jpath_push_index(&path, i);
		(void)m2;
		if (tl_json_expect(v, JSON_OBJECT, &path, err) < 0 ||
		    tl_json_only_keys(v, prov_keys, &path, err) < 0) {
			tl_error_prefix(err, "%s", file);
			goto out;
		}
		if (!url || find_provider(s, url) >= 0 || s->provider_count >= svc->providers_max ||
		    load_strings(v, "client_ids", ids, TL_STS_IAM_CLIENT_IDS_MAX, &nid, file,
				 &path) < 0 ||
		    load_strings(v, "thumbprints", th, TL_STS_IAM_THUMBPRINTS_MAX, &nth, file,
				 &path) < 0 ||
		    load_tags(v, tags, &ntag) < 0) {
			load_fail(err, file, &path,
				  "not a provider (url, client_ids, thumbprints, tags) or a "
				  "duplicate url");
			goto out;
		}
		p = provider_new(svc->account, url, ids, nid, 0, th, nth, tags, ntag,
				 json_integer_value(json_object_get(v, "create_date")));
		if (!p) {
			tl_error_set(err, TL_ERR_NOMEM, "out of memory");
			goto out;
		}
		s->providers =
			realloc(s->providers, (s->provider_count + 1) * sizeof(*s->providers));
		if (!s->providers) {
			tl_stsd_provider_put(p);
			s->provider_count = 0;
			tl_error_set(err, TL_ERR_NOMEM, "out of memory");
			goto out;
		}
		s->providers[s->provider_count++] = p;
		index_add(s, false, s->provider_count - 1);
		tl_jpath_pop(&path, mark);
	}
	a = json_object_get(doc, "roles");
	json_array_foreach(a, i, v)
	{
		size_t mark = tl_jpath_push_key(&path, "roles");
		struct stsd_tag tags[TL_STS_IAM_TAGS_MAX];
		size_t ntag;
		const char *name = json_string_value(json_object_get(v, "name"));
		const char *rpath = json_string_value(json_object_get(v, "path"));
		const char *id = json_string_value(json_object_get(v, "id"));
		const char *pol = json_string_value(json_object_get(v, "trust_policy"));
		const char *desc = json_string_value(json_object_get(v, "description"));
		json_int_t msd = json_integer_value(json_object_get(v, "max_session_duration"));
		struct tl_sts_fault fault;
		struct stsd_role *r;
		char arn[TL_STS_ARN_MAX + 1];

		tl_jpath_push_index(&path, i);
		if (tl_json_expect(v, JSON_OBJECT, &path, err) < 0 ||
		    tl_json_only_keys(v, role_keys, &path, err) < 0) {
			tl_error_prefix(err, "%s", file);
			goto out;
		}
		if (!name || !tl_sts_role_name_valid(name) || !rpath ||
		    !tl_sts_role_path_valid(rpath) || !id || strlen(id) != TL_STS_ROLE_ID_LEN ||
		    !pol || msd < TL_STS_IAM_SESSION_MIN || msd > TL_STS_IAM_SESSION_MAX ||
		    find_role(s, name) >= 0 || s->role_count >= svc->roles_max ||
		    load_tags(v, tags, &ntag) < 0) {
			load_fail(err, file, &path,
				  "not a role (name, path, id, trust_policy, "
				  "max_session_duration 3600-43200) or a duplicate name");
			goto out;
		}
		r = role_new();
		if (!r) {
			tl_error_set(err, TL_ERR_NOMEM, "out of memory");
			goto out;
		}
		r->policy = parse_policy(svc, pol, &fault);
		if (!r->policy) {
			tl_stsd_role_put(r);
			tl_jpath_push_key(&path, "trust_policy");
			load_fail(err, file, &path, fault.message);
			goto out;
		}
		tl_sts_arn_format_role(arn, sizeof(arn), svc->account, rpath, name);
		r->name = sdup(name);
		r->path = sdup(rpath);
		r->arn = sdup(arn);
		r->id = sdup(id);
		r->policy_text = sdup(pol);
		r->description = sdup(desc);
		r->max_session_duration = (int)msd;
		r->create_date = json_integer_value(json_object_get(v, "create_date"));
		s->roles = realloc(s->roles, (s->role_count + 1) * sizeof(*s->roles));
		if (!r->name || !r->path || !r->arn || !r->id || !r->policy_text || !s->roles ||
		    tags_copy(tags, ntag, &r->tags) < 0) {
			tl_stsd_role_put(r);
			if (!s->roles)
				s->role_count = 0;
			tl_error_set(err, TL_ERR_NOMEM, "out of memory");
			goto out;
		}
		r->tag_count = ntag;
		s->roles[s->role_count++] = r;
		index_add(s, true, s->role_count - 1);
		tl_jpath_pop(&path, mark);
	}
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

/* --- in-process API ------------------------------------------------------ */

static int
fault_to_error(const struct tl_sts_fault *f, struct tl_error *err)
{
	const struct tl_sts_error_info *info = tl_sts_error_info(f->code);
	return tl_error_set(err,
			    f->code == TL_STS_ENTITY_ALREADY_EXISTS ? TL_ERR_EXISTS
			    : f->code == TL_STS_LIMIT_EXCEEDED	    ? TL_ERR_LIMIT
								    : TL_ERR_INVALID,
			    "%s: %s", info ? info->name : "Error", f->message);
}

int
tl_stsd_create_provider(struct tl_stsd *svc, const char *url, const char *const *client_ids,
			size_t client_id_count, struct tl_error *err)
{
	struct tl_sts_fault fault;
	const char *hp;

	if (!url || strncmp(url, "https://", 8) != 0 || !url[8] || strlen(url) > 255 ||
	    strpbrk(url + 8, "?#@ ") || strchr(url + 8, ':'))
		return tl_error_set(err, TL_ERR_INVALID,
				    "provider url '%s' is not https://HOST[/PATH]", url ? url : "");
	if (client_id_count > TL_STS_IAM_CLIENT_IDS_MAX)
		return tl_error_set(err, TL_ERR_LIMIT, "more than %d client ids",
				    TL_STS_IAM_CLIENT_IDS_MAX);
	hp = url + 8;
	if (tl_stsd_iam_create_provider(svc, hp, client_ids, client_id_count, NULL, 0, NULL, 0,
					NULL, &fault) < 0)
		return fault_to_error(&fault, err);
	return 0;
}

int
tl_stsd_create_role(struct tl_stsd *svc, const char *name, const char *path,
		    const char *trust_policy, int max_session_duration, struct tl_error *err)
{
	struct tl_sts_fault fault;

	if (!name || !tl_sts_role_name_valid(name))
		return tl_error_set(err, TL_ERR_INVALID, "role name '%s' is not valid",
				    name ? name : "");
	if (path && !tl_sts_role_path_valid(path))
		return tl_error_set(err, TL_ERR_INVALID, "role path '%s' is not valid", path);
	if (max_session_duration && (max_session_duration < TL_STS_IAM_SESSION_MIN ||
				     max_session_duration > TL_STS_IAM_SESSION_MAX))
		return tl_error_set(err, TL_ERR_INVALID,
				    "max session duration %d is outside 3600-43200",
				    max_session_duration);
	if (!trust_policy)
		return tl_error_set(err, TL_ERR_INVALID, "no trust policy");
	if (tl_stsd_iam_create_role(svc, name, path, trust_policy, NULL, max_session_duration, NULL,
				    0, NULL, &fault) < 0)
		return fault_to_error(&fault, err);
	return 0;
}

int
tl_stsd_load_config(struct tl_stsd *svc, const char *file, struct tl_error *err)
{
	static const char *const top_keys[] = {"providers", "roles", NULL};
	static const char *const prov_keys[] = {"url", "client_ids", NULL};
	static const char *const role_keys[] = {"name", "path", "trust_policy",
						"max_session_duration", NULL};
	struct tl_jpath path;
	json_t *doc, *v;
	size_t i;
	int rc = -1;

	doc = tl_json_load_file(file, NULL, err);
	if (!doc)
		return -1;
	tl_jpath_init(&path, "$");
	if (tl_json_expect(doc, JSON_OBJECT, &path, err) < 0 ||
	    tl_json_only_keys(doc, top_keys, &path, err) < 0)
		goto bad;
	json_array_foreach(json_object_get(doc, "providers"), i, v)
	{
		const char *ids[TL_STS_IAM_CLIENT_IDS_MAX];
		size_t nid, mark = tl_jpath_push_key(&path, "providers");
		tl_jpath_push_index(&path, i);
		if (tl_json_expect(v, JSON_OBJECT, &path, err) < 0 ||
		    tl_json_only_keys(v, prov_keys, &path, err) < 0)
			goto bad;
		if (!json_is_string(json_object_get(v, "url")) ||
		    load_strings(v, "client_ids", ids, TL_STS_IAM_CLIENT_IDS_MAX, &nid, file,
				 &path) < 0) {
			load_fail(err, file, &path,
				  "a provider needs \"url\" (string) and \"client_ids\" (strings)");
			goto out;
		}
		/* With --state, what the state holds already wins (a restart). */
		if (tl_stsd_create_provider(svc, json_string_value(json_object_get(v, "url")), ids,
					    nid, err) < 0 &&
		    err->code != TL_ERR_EXISTS) {
			tl_error_locate_path(err, tl_jpath_str(&path));
			goto bad;
		}
		tl_jpath_pop(&path, mark);
	}
	json_array_foreach(json_object_get(doc, "roles"), i, v)
	{
		size_t mark = tl_jpath_push_key(&path, "roles");
		const char *pf;
		char full[4096], *text = NULL;
		size_t len;
		json_t *msd;

		tl_jpath_push_index(&path, i);
		if (tl_json_expect(v, JSON_OBJECT, &path, err) < 0 ||
		    tl_json_only_keys(v, role_keys, &path, err) < 0)
			goto bad;
		pf = json_string_value(json_object_get(v, "trust_policy"));
		msd = json_object_get(v, "max_session_duration");
		if (!json_is_string(json_object_get(v, "name")) || !pf ||
		    (json_object_get(v, "path") && !json_is_string(json_object_get(v, "path"))) ||
		    (msd && !json_is_integer(msd))) {
			load_fail(err, file, &path,
				  "a role needs \"name\" and \"trust_policy\" (a file path), "
				  "optional \"path\" and \"max_session_duration\" (integer)");
			goto out;
		}
		if (tl_path_join_relative(file, pf, full, sizeof(full), err) < 0 ||
		    tl_file_read(full, 64 * 1024, &text, &len, err) < 0)
			goto bad;
		if (tl_stsd_create_role(svc, json_string_value(json_object_get(v, "name")),
					json_string_value(json_object_get(v, "path")), text,
					(int)json_integer_value(msd), err) < 0 &&
		    err->code != TL_ERR_EXISTS) {
			free(text);
			tl_error_prefix(err, "%s", full);
			tl_error_locate_path(err, tl_jpath_str(&path));
			goto bad;
		}
		free(text);
		tl_jpath_pop(&path, mark);
	}
	rc = 0;
	goto out;
bad:
	tl_error_prefix(err, "%s", file);
out:
	json_decref(doc);
	return rc;
}

size_t
tl_stsd_provider_count(struct tl_stsd *svc)
{
	struct stsd_snapshot *s = tl_stsd_snapshot_get(svc);
	size_t n = s->provider_count;
	tl_stsd_snapshot_put(s);
	return n;
}

size_t
tl_stsd_role_count(struct tl_stsd *svc)
{
	struct stsd_snapshot *s = tl_stsd_snapshot_get(svc);
	size_t n = s->role_count;
	tl_stsd_snapshot_put(s);
	return n;
}
