/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "claims/claims.h"
#include "issuer/issuer.h"
#include "runner.h"
#include "serve.h"
#include "stsd/stsd.h"

static struct tl_http_server *
new_server(const char *listen, struct tl_error *err)
{
	struct tl_http_server_config cfg;

	tl_http_server_config_init(&cfg);
	if (listen)
		cfg.listen = listen;
	cfg.log_fn = tl_serve_log_line;
	return tl_http_server_new(&cfg, err);
}

/*
 * The `iss` each issuer's tokens carry, mapped to its local prefix. A
 * profile whose issuer has a tenant part ("%s": CircleCI's org, an EKS
 * cluster) maps as a pattern: everything before the "%s", then '*'.
 */
static int
add_maps(struct tl_embedded *e, struct tl_error *err)
{
	size_t n = tl_issuer_service_count(e->issuer);

	for (size_t i = 0; i < n; i++) {
		const struct tl_claims_profile *p =
			tl_claims_profile_find(tl_issuer_service_profile(e->issuer, i));
		const char *tenant;
		if (!p || !p->issuer)
			continue;
		if (e->map_count == TL_EMBEDDED_MAPS_MAX)
			return tl_error_set(err, TL_ERR_LIMIT, "more than %d issuers",
					    TL_EMBEDDED_MAPS_MAX);
		tenant = strstr(p->issuer, "%s");
		if (tenant)
			snprintf(e->map_issuer[e->map_count], sizeof(e->map_issuer[0]), "%.*s*",
				 (int)(tenant - p->issuer), p->issuer);
		else
			snprintf(e->map_issuer[e->map_count], sizeof(e->map_issuer[0]), "%s",
				 p->issuer);
		snprintf(e->map_url[e->map_count], sizeof(e->map_url[0]), "%s%s", e->issuer_url,
			 tl_issuer_service_prefix(e->issuer, i));
		e->map_count++;
	}
	return 0;
}

int
tl_embedded_start(struct tl_embedded *e, const struct tl_embedded_options *opt,
		  struct tl_error *err)
{
	static const struct tl_embedded_options defaults = {0};
	struct tl_issuer_config icfg;
	struct tl_stsd_config scfg;
	struct tl_stsd_issuer_map maps[TL_EMBEDDED_MAPS_MAX];

	if (!opt)
		opt = &defaults;
	memset(e, 0, sizeof(*e));

	tl_issuer_config_init(&icfg);
	e->issuer = tl_issuer_service_new(&icfg, err);
	tl_issuer_config_finish(&icfg);
	if (!e->issuer)
		goto fail;
	e->issuer_server = new_server(opt->issuer_listen, err);
	if (!e->issuer_server ||
	    tl_http_server_route(e->issuer_server, "GET", "/_trustlab/health", tl_serve_health,
				 (void *)"mock-issuer", err) < 0 ||
	    tl_issuer_service_mount(e->issuer, e->issuer_server, err) < 0 ||
	    tl_http_server_start(e->issuer_server, err) < 0)
		goto fail;
	snprintf(e->issuer_url, sizeof(e->issuer_url), "%s", tl_http_server_url(e->issuer_server));

	if (add_maps(e, err) < 0)
		goto fail;
	for (size_t i = 0; i < e->map_count; i++) {
		maps[i].issuer = e->map_issuer[i];
		maps[i].url = e->map_url[i];
	}
	tl_stsd_config_init(&scfg);
	scfg.issuer_maps = maps;
	scfg.issuer_map_count = e->map_count;
	scfg.audit_log_path = opt->audit_log;
	e->sts = tl_stsd_new(&scfg, err);
	if (!e->sts)
		goto fail;
	e->sts_server = new_server(opt->sts_listen, err);
	if (!e->sts_server ||
	    tl_http_server_route(e->sts_server, "GET", "/_trustlab/health", tl_serve_health,
				 (void *)"mock-sts", err) < 0 ||
	    tl_stsd_mount(e->sts, e->sts_server, err) < 0 ||
	    tl_http_server_start(e->sts_server, err) < 0)
		goto fail;
	snprintf(e->sts_url, sizeof(e->sts_url), "%s", tl_http_server_url(e->sts_server));
	e->imds_server = new_server(NULL, err);
	if (!e->imds_server || tl_stsd_mount_imds(e->sts, e->imds_server, err) < 0 ||
	    tl_http_server_start(e->imds_server, err) < 0)
		goto fail;
	snprintf(e->imds_url, sizeof(e->imds_url), "%s", tl_http_server_url(e->imds_server));
	return 0;
fail:
	tl_embedded_stop(e);
	return -1;
}

void
tl_embedded_stop(struct tl_embedded *e)
{
	/* Servers first: the services must outlive every request. */
	tl_http_server_free(e->imds_server);
	tl_http_server_free(e->sts_server);
	tl_http_server_free(e->issuer_server);
	tl_stsd_free(e->sts);
	tl_issuer_service_free(e->issuer);
	e->sts_server = NULL;
	e->imds_server = NULL;
	e->issuer_server = NULL;
	e->sts = NULL;
	e->issuer = NULL;
}

void
tl_embedded_prefix(const struct tl_embedded *e, const char *profile, char *out, size_t size)
{
	if (e && e->issuer) {
		for (size_t i = 0; i < tl_issuer_service_count(e->issuer); i++)
			if (strcmp(tl_issuer_service_profile(e->issuer, i), profile) == 0) {
				snprintf(out, size, "%s", tl_issuer_service_prefix(e->issuer, i));
				return;
			}
	}
	snprintf(out, size, "/%s", profile);
}
