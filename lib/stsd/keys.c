/* SPDX-License-Identifier: MIT */
/*
 * The issuers' verification keys: `<issuer>/.well-known/openid-configuration`
 * -> `jwks_uri` -> JWKS over HTTP (lib/http's client, no redirects,
 * bounded), cached per issuer with a TTL and refetched at most once per
 * `jwks_refetch_ms` when a token names an unknown kid (key rotation).
 * A failed fetch is remembered for the same `jwks_refetch_ms`: requests
 * queued behind a slow or dead issuer get its IDPCommunicationError at
 * once instead of each waiting out the fetch timeout in turn (which would
 * tie up every server thread), and the next request after the window
 * fetches again, so the service recovers when the issuer does.
 * `--issuer-map` points a real issuer URL at a local one; `--jwks-file`
 * pins an issuer's keys to a file. Keys are never taken from a URL in the
 * token (reference/reliability.md §1.9 step 5).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/client.h"
#include "json/json.h"
#include "stsd-private.h"

#define DOC_MAX (1024u * 1024)

int64_t
tl_stsd_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
tl_stsd_keys_put(struct stsd_keys *k)
{
	if (k && atomic_fetch_sub(&k->refs, 1) == 1) {
		tl_jwks_free(k->jwks);
		free(k);
	}
}

static struct stsd_keys *
keys_ref(struct stsd_keys *k)
{
	if (k)
		atomic_fetch_add(&k->refs, 1);
	return k;
}

static struct stsd_keys *
keys_new(struct tl_jwks *jwks, const char *source)
{
	struct stsd_keys *k = calloc(1, sizeof(*k));
	if (!k) {
		tl_jwks_free(jwks);
		return NULL;
	}
	atomic_init(&k->refs, 1);
	k->jwks = jwks;
	snprintf(k->source, sizeof(k->source), "%.511s", source);
	return k;
}

static struct stsd_keycache *
cache_find(struct tl_stsd *svc, const char *issuer, bool create)
{
	struct stsd_keycache *c = NULL, **grown;

	pthread_mutex_lock(&svc->cache_lock);
	for (size_t i = 0; i < svc->cache_count; i++)
		if (strcmp(svc->caches[i]->issuer, issuer) == 0) {
			c = svc->caches[i];
			goto out;
		}
	if (!create || svc->cache_count >= 1024)
		goto out;
	grown = realloc(svc->caches, (svc->cache_count + 1) * sizeof(*grown));
	if (!grown)
		goto out;
	svc->caches = grown;
	c = calloc(1, sizeof(*c));
	if (c && !(c->issuer = strdup(issuer))) {
		free(c);
		c = NULL;
	}
	if (c) {
		pthread_mutex_init(&c->lock, NULL);
		svc->caches[svc->cache_count++] = c;
	}
out:
	pthread_mutex_unlock(&svc->cache_lock);
	return c;
}

void
tl_stsd_keys_finish(struct tl_stsd *svc)
{
	for (size_t i = 0; i < svc->cache_count; i++) {
		struct stsd_keycache *c = svc->caches[i];
		tl_stsd_keys_put(c->keys);
		pthread_mutex_destroy(&c->lock);
		free(c->issuer);
		free(c->file);
		free(c);
	}
	free(svc->caches);
	svc->caches = NULL;
	svc->cache_count = 0;
	for (size_t i = 0; i < svc->client_count; i++)
		tl_http_client_free(svc->clients[i]);
	svc->client_count = 0;
}

int
tl_stsd_keys_load_files(struct tl_stsd *svc, const struct tl_stsd_config *cfg, struct tl_error *err)
{
	for (size_t i = 0; i < cfg->jwks_file_count; i++) {
		const struct tl_stsd_jwks_file *f = &cfg->jwks_files[i];
		struct stsd_keycache *c = cache_find(svc, f->issuer, true);
		struct tl_jwks *jwks;
		char src[512];

		if (!c)
			return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		jwks = tl_jwks_load_file(f->path, err);
		if (!jwks) {
			tl_error_prefix(err, "--jwks-file %s", f->issuer);
			return -1;
		}
		snprintf(src, sizeof(src), "file %s", f->path);
		tl_stsd_keys_put(c->keys);
		c->keys = keys_new(jwks, src);
		free(c->file);
		c->file = strdup(f->path);
		if (!c->keys || !c->file)
			return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	}
	return 0;
}

static struct tl_http_client *
client_get(struct tl_stsd *svc)
{
	struct tl_http_client *cl = NULL;
	struct tl_http_client_config cfg;

	pthread_mutex_lock(&svc->client_lock);
	if (svc->client_count)
		cl = svc->clients[--svc->client_count];
	pthread_mutex_unlock(&svc->client_lock);
	if (cl)
		return cl;
	tl_http_client_config_init(&cfg);
	cfg.connect_timeout_ms = svc->fetch_timeout_ms < 2000 ? svc->fetch_timeout_ms : 2000;
	cfg.timeout_ms = svc->fetch_timeout_ms;
	cfg.max_response = DOC_MAX;
	return tl_http_client_new(&cfg, NULL);
}

static void
client_put(struct tl_stsd *svc, struct tl_http_client *cl)
{
	pthread_mutex_lock(&svc->client_lock);
	if (svc->client_count < sizeof(svc->clients) / sizeof(svc->clients[0])) {
		svc->clients[svc->client_count++] = cl;
		cl = NULL;
	}
	pthread_mutex_unlock(&svc->client_lock);
	tl_http_client_free(cl);
}

/*
 * The base URL documents for `issuer` are fetched from. An entry ending
 * in '*' maps every issuer that starts with the rest: providers whose
 * `iss` carries a tenant (CircleCI's org id, an EKS cluster id) are one
 * mock issuer with one key set. Exact entries win over patterns.
 */
static const char *
mapped(const struct tl_stsd *svc, const char *issuer)
{
	const char *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < svc->map_count; i++) {
		const char *m = svc->maps[i].issuer;
		size_t n = strlen(m);
		if (strcmp(m, issuer) == 0)
			return svc->maps[i].url;
		if (n > 0 && m[n - 1] == '*' && strncmp(m, issuer, n - 1) == 0 &&
		    n - 1 >= best_len) {
			best = svc->maps[i].url;
			best_len = n - 1;
		}
	}
	return best ? best : issuer;
}

static json_t *
fetch_json(struct tl_http_client *cl, const char *url, const char *what, char *why, size_t why_size)
{
	struct tl_http_reply reply;
	struct tl_error err;
	json_t *doc = NULL;

	tl_http_reply_init(&reply);
	if (tl_http_client_request(cl, "GET", url, NULL, NULL, 0, &reply, &err) < 0) {
		snprintf(why, why_size, "%s %s: %s", what, url, err.message);
	} else if (reply.status != 200) {
		snprintf(why, why_size, "%s %s: HTTP status %ld", what, url, reply.status);
	} else {
		doc = tl_json_load(reply.body.data ? reply.body.data : "", reply.body.len, NULL,
				   what, &err);
		if (!doc)
			snprintf(why, why_size, "%s %s: %s", what, url, err.message);
		else if (!json_is_object(doc)) {
			snprintf(why, why_size, "%s %s: not a JSON object", what, url);
			json_decref(doc);
			doc = NULL;
		}
	}
	tl_http_reply_finish(&reply);
	return doc;
}

static struct stsd_keys *
fetch(struct tl_stsd *svc, const char *issuer, char *why, size_t why_size)
{
	const char *base = mapped(svc, issuer), *jwks_uri;
	size_t blen = strlen(base), ilen = strlen(issuer);
	struct tl_http_client *cl = client_get(svc);
	struct tl_jwks *jwks = NULL;
	struct stsd_keys *keys = NULL;
	struct tl_error err;
	char url[2048], jurl[2048];
	json_t *disc = NULL, *doc = NULL;

	if (!cl) {
		snprintf(why, why_size, "cannot create an HTTP client");
		return NULL;
	}
	snprintf(url, sizeof(url), "%s%s.well-known/openid-configuration", base,
		 blen && base[blen - 1] == '/' ? "" : "/");
	disc = fetch_json(cl, url, "discovery document", why, why_size);
	if (!disc)
		goto out;
	jwks_uri = json_string_value(json_object_get(disc, "jwks_uri"));
	if (!jwks_uri ||
	    (strncmp(jwks_uri, "https://", 8) != 0 && strncmp(jwks_uri, "http://", 7) != 0)) {
		snprintf(why, why_size, "discovery document %s: no http(s) \"jwks_uri\"", url);
		goto out;
	}
	/* A jwks_uri under the real issuer goes to the mapped base too. */
	if (base != issuer && strncmp(jwks_uri, issuer, ilen) == 0)
		snprintf(jurl, sizeof(jurl), "%.*s%s",
			 (int)(blen && base[blen - 1] == '/' && jwks_uri[ilen] == '/' ? blen - 1
										      : blen),
			 base, jwks_uri + ilen);
	else
		snprintf(jurl, sizeof(jurl), "%s", jwks_uri);
	doc = fetch_json(cl, jurl, "JWKS", why, why_size);
	if (!doc)
		goto out;
	jwks = tl_jwks_parse(doc, &err);
	if (!jwks) {
		snprintf(why, why_size, "JWKS %s: %s", jurl, err.message);
		goto out;
	}
	keys = keys_new(jwks, jurl);
	if (!keys)
		snprintf(why, why_size, "out of memory");
out:
	json_decref(disc);
	json_decref(doc);
	client_put(svc, cl);
	return keys;
}

struct stsd_keys *
tl_stsd_keys_get(struct tl_stsd *svc, const char *issuer, bool refresh, bool *refreshed, char *why,
		 size_t why_size)
{
	struct stsd_keycache *c = cache_find(svc, issuer, true);
	struct stsd_keys *k = NULL, *fresh;
	int64_t now = tl_stsd_monotonic_ms();

	if (refreshed)
		*refreshed = false;
	if (!c) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	pthread_mutex_lock(&c->lock);
	if (c->file) {
		k = keys_ref(c->keys); /* a pinned file is never refetched */
		goto out;
	}
	if (c->keys && !refresh && now - c->fetched_ms < svc->jwks_ttl_ms) {
		k = keys_ref(c->keys);
		goto out;
	}
	if (c->keys && refresh && now - c->refetched_ms < svc->jwks_refetch_ms) {
		k = keys_ref(c->keys); /* rate-limited: answer with what we have */
		goto out;
	}
	if (c->failed_ms && tl_stsd_monotonic_ms() - c->failed_ms < svc->jwks_refetch_ms) {
		if (refresh && c->keys)
			k = keys_ref(c->keys);
		else
			snprintf(why, why_size, "%s (failed %lld ms ago; not retried yet)",
				 c->failed_why, (long long)(tl_stsd_monotonic_ms() - c->failed_ms));
		goto out;
	}
	fresh = fetch(svc, issuer, why, why_size);
	if (refresh)
		c->refetched_ms = now;
	if (fresh) {
		tl_stsd_keys_put(c->keys);
		c->keys = fresh;
		c->fetched_ms = now;
		c->failed_ms = 0;
		if (refreshed)
			*refreshed = true;
		k = keys_ref(fresh);
	} else {
		/* Measured after the fetch: a slow failure still opens a window. */
		c->failed_ms = tl_stsd_monotonic_ms();
		snprintf(c->failed_why, sizeof(c->failed_why), "%.500s", why);
		if (refresh && c->keys)
			k = keys_ref(c->keys); /* the refetch failed: keep the old keys */
	}
out:
	pthread_mutex_unlock(&c->lock);
	return k;
}
