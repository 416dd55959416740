/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "runner.h"
#include "serve.h"

static struct tl_http_server *
start_service(const char *name, const char *listen, struct tl_error *err)
{
	struct tl_http_server_config cfg;
	struct tl_http_server *srv;

	tl_http_server_config_init(&cfg);
	if (listen)
		cfg.listen = listen;
	cfg.log_fn = tl_serve_log_line;
	srv = tl_http_server_new(&cfg, err);
	if (!srv)
		return NULL;
	if (tl_http_server_route(srv, "GET", "/_trustlab/health", tl_serve_health, (void *)name,
				 err) < 0 ||
	    tl_http_server_start(srv, err) < 0) {
		tl_error_prefix(err, "%s", name);
		tl_http_server_free(srv);
		return NULL;
	}
	return srv;
}

int
tl_embedded_start(struct tl_embedded *e, const char *issuer_listen, const char *sts_listen,
		  struct tl_error *err)
{
	memset(e, 0, sizeof(*e));
	e->issuer = start_service("mock-issuer", issuer_listen, err);
	if (!e->issuer)
		return -1;
	e->sts = start_service("mock-sts", sts_listen, err);
	if (!e->sts) {
		tl_embedded_stop(e);
		return -1;
	}
	snprintf(e->issuer_url, sizeof(e->issuer_url), "%s", tl_http_server_url(e->issuer));
	snprintf(e->sts_url, sizeof(e->sts_url), "%s", tl_http_server_url(e->sts));
	return 0;
}

void
tl_embedded_stop(struct tl_embedded *e)
{
	tl_http_server_free(e->sts);
	tl_http_server_free(e->issuer);
	e->sts = NULL;
	e->issuer = NULL;
}
