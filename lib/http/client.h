/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * An HTTP client over libcurl: bounded (connect and total timeouts, a cap
 * on the response size), http/https only, no redirects followed (the STS
 * fetches issuer documents: a redirect must not take it elsewhere), and
 * connections kept alive between calls on the same client. One client per
 * thread: a client is not safe to share.
 */

#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

struct tl_http_client;

struct tl_http_client_config {
	long connect_timeout_ms; /* default 2000 */
	long timeout_ms; /* whole request; default 10000 */
	size_t max_response; /* body cap; default 1 MiB */
};

void tl_http_client_config_init(struct tl_http_client_config *cfg);

struct tl_http_client *tl_http_client_new(const struct tl_http_client_config *cfg,
					  struct tl_error *err);
void tl_http_client_free(struct tl_http_client *cl);

struct tl_http_reply {
	long status;
	struct tl_buf body;
	struct tl_buf headers; /* raw response header block */
	char content_type[128];
	long new_connections; /* 0 when an open connection was reused */
};

void tl_http_reply_init(struct tl_http_reply *r);
void tl_http_reply_finish(struct tl_http_reply *r);

/*
 * Sends a request and waits for the whole reply. `headers` is NULL or a
 * NULL-terminated list of "Name: value" lines; `body` may be NULL. Any
 * HTTP status is a success here (read reply->status); -1 means no reply:
 * TL_ERR_NETWORK (refused, reset), TL_ERR_TIMEOUT, TL_ERR_LIMIT (reply
 * larger than max_response).
 */
int tl_http_client_request(struct tl_http_client *cl, const char *method, const char *url,
			   const char *const *headers, const void *body, size_t body_len,
			   struct tl_http_reply *reply, struct tl_error *err);

/*
 * Copies the value of the last response header `name` (case-insensitive)
 * into `out`; returns false when absent.
 */
int tl_http_reply_header(const struct tl_http_reply *r, const char *name, char *out, size_t size);
