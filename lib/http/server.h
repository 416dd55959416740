/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * An HTTP server over libmicrohttpd with the hardening of
 * reference/reliability.md §5 applied by default: loopback bind, port 0
 * with the bound port read back, thread pool + epoll, per-connection
 * timeout, connection limit, header/URL memory cap (431/414), request body
 * cap (413), strict request parsing, a method + path router, and a drain
 * of in-flight requests on stop.
 *
 * Handlers run concurrently on the pool's threads: whatever they share
 * needs a lock.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct tl_http_server;
/* One request and its response; valid only during the handler call. */
struct tl_http_exchange;

typedef void (*tl_http_handler_fn)(void *ctx, struct tl_http_exchange *ex);

/*
 * Formats a framework-level error (400, 404, 405, 413, 500, 501) in the
 * service's own dialect (STS answers XML, the issuer JSON). `message` says
 * what was wrong. Must call one of the tl_http_respond* functions.
 */
typedef void (*tl_http_error_fn)(void *ctx, struct tl_http_exchange *ex, unsigned status,
				 const char *message);

/* Receives libmicrohttpd's own diagnostics (one line, no newline). */
typedef void (*tl_http_log_fn)(void *ctx, const char *line);

struct tl_http_server_config {
	const char *listen; /* "HOST:PORT", "[::1]:PORT"; default "127.0.0.1:0" */
	unsigned threads; /* worker threads; default 2 */
	unsigned connection_limit; /* concurrent connections; default 256 */
	unsigned timeout_seconds; /* idle connection timeout; default 10 */
	size_t body_max; /* request body cap; default 64 KiB */
	size_t memory_limit; /* per-connection request line + headers; default 64 KiB */
	unsigned drain_ms; /* how long stop waits for in-flight requests; default 5000 */
	tl_http_error_fn error_fn; /* default: JSON {"error": ..., "message": ...} */
	void *error_ctx;
	tl_http_log_fn log_fn; /* default: discard */
	void *log_ctx;
};

/* Fills the defaults above. */
void tl_http_server_config_init(struct tl_http_server_config *cfg);

/*
 * Parses "HOST:PORT" / "[V6]:PORT" / ":PORT" / "PORT". HOST must be a
 * numeric address (no name lookups); a missing host means 127.0.0.1.
 */
int tl_http_parse_listen(const char *listen, char *host, size_t host_size, uint16_t *port,
			 struct tl_error *err);

/* The config is copied; strings in it must outlive the server. */
struct tl_http_server *tl_http_server_new(const struct tl_http_server_config *cfg,
					  struct tl_error *err);

/*
 * Adds a route, tried in the order added. `method` is "GET", "POST", ...
 * or "*" for any; `pattern` is an exact path, or a prefix ending in "*"
 * ("/github/" followed by "*"). HEAD is served by GET routes. Only before start.
 */
int tl_http_server_route(struct tl_http_server *srv, const char *method, const char *pattern,
			 tl_http_handler_fn fn, void *ctx, struct tl_error *err);

/*
 * Replaces the framework error formatter (a service mounted on a server
 * created elsewhere brings its own dialect). Only before start.
 */
void tl_http_server_set_error_fn(struct tl_http_server *srv, tl_http_error_fn fn, void *ctx);
/* Binds and starts serving. On return the port is bound and accepting. */
int tl_http_server_start(struct tl_http_server *srv, struct tl_error *err);

/* The bound port, and "http://HOST:PORT" (IPv6 hosts in brackets). */
uint16_t tl_http_server_port(const struct tl_http_server *srv);
const char *tl_http_server_url(const struct tl_http_server *srv);

/*
 * Stops accepting, lets in-flight requests finish (up to drain_ms), then
 * closes every connection. Safe to call twice.
 */
void tl_http_server_stop(struct tl_http_server *srv);
/* Stops if needed and frees. Accepts NULL. */
void tl_http_server_free(struct tl_http_server *srv);

/* Requests answered since start (any status), for tests and stats. */
uint64_t tl_http_server_requests(const struct tl_http_server *srv);

/* --- Request side ---------------------------------------------------- */

const char *tl_http_method(const struct tl_http_exchange *ex);
/* The path without the query string, as sent (not percent-decoded). */
const char *tl_http_path(const struct tl_http_exchange *ex);
/* Header value (case-insensitive name) or NULL. */
const char *tl_http_header(const struct tl_http_exchange *ex, const char *name);
/*
 * Query argument (percent-decoded) or NULL; `len` (may be NULL) receives
 * its length, so a decoded NUL byte can be detected (len != strlen).
 */
const char *tl_http_query(const struct tl_http_exchange *ex, const char *name, size_t *len);

/* Calls `fn` for every query argument; stops early when it returns false. */
typedef bool (*tl_http_arg_fn)(void *ctx, const char *key, size_t key_len, const char *value,
			       size_t value_len);
void tl_http_query_foreach(const struct tl_http_exchange *ex, tl_http_arg_fn fn, void *ctx);

/* The raw query string after '?', still percent-encoded; "" if none. */
const char *tl_http_query_string(const struct tl_http_exchange *ex);
/* Calls `fn` for every request header (name as sent); stops when it returns false. */
void tl_http_header_foreach(const struct tl_http_exchange *ex, tl_http_arg_fn fn, void *ctx);
/* The whole request body (NUL-terminated, not counted in len); "" if none. */
const char *tl_http_body(const struct tl_http_exchange *ex, size_t *len);
/* The peer address as text ("127.0.0.1"). */
const char *tl_http_peer(const struct tl_http_exchange *ex);

/* --- Response side --------------------------------------------------- */

/* Adds a response header (copied). At most 16 per response. */
int tl_http_add_header(struct tl_http_exchange *ex, const char *name, const char *value);

/* Sets status and body (copied). A second respond replaces the first. */
void tl_http_respond(struct tl_http_exchange *ex, unsigned status, const char *content_type,
		     const void *body, size_t len);
/* Serialises `body` (borrowed) compactly as application/json. */
void tl_http_respond_json(struct tl_http_exchange *ex, unsigned status, const json_t *body);
/* Answers through the server's error formatter. */
void tl_http_respond_error(struct tl_http_exchange *ex, unsigned status, const char *fmt, ...)
	TL_PRINTF(3, 4);

/* The reason phrase of a status ("Payload Too Large"), "" if unknown. */
const char *tl_http_status_text(unsigned status);
