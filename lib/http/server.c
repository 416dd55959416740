/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"

#include "http/server.h"

#define MAX_ROUTES 64
#define MAX_RESPONSE_HEADERS 16
#define RESPONSE_BODY_MAX (16u * 1024 * 1024)

struct route {
	char method[16];
	char pattern[128];
	bool prefix;
	tl_http_handler_fn fn;
	void *ctx;
};

struct tl_http_server {
	struct tl_http_server_config cfg;
	char host[64];
	uint16_t port;
	char url[96];
	struct route routes[MAX_ROUTES];
	size_t nroutes;
	struct MHD_Daemon *daemon;
	atomic_uint in_flight;
	atomic_uint_fast64_t requests;
	bool stopped;
};

struct header {
	char *name;
	char *value;
};

struct tl_http_exchange {
	struct tl_http_server *srv;
	struct MHD_Connection *conn;
	const char *method;
	char *uri; /* owned: the request target as sent, up to a NUL byte */
	char *path; /* owned: `uri` up to '?' */
	const char *uri_in_line; /* MHD's line buffer, to find NUL bytes in the URI */
	bool started;
	struct tl_buf body;
	bool close_connection; /* answer early, skip the body, then close */
	bool counted;
	char peer[64];
	/* response */
	bool responded;
	unsigned status;
	char content_type[96];
	struct tl_buf response;
	struct header headers[MAX_RESPONSE_HEADERS];
	size_t nheaders;
};

void
tl_http_server_config_init(struct tl_http_server_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->listen = "127.0.0.1:0";
	cfg->threads = 2;
	cfg->connection_limit = 256;
	cfg->timeout_seconds = 10;
	cfg->body_max = 64 * 1024;
	cfg->memory_limit = 64 * 1024;
	cfg->drain_ms = 5000;
}

const char *
tl_http_status_text(unsigned status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 411:
		return "Length Required";
	case 413:
		return "Payload Too Large";
	case 414:
		return "URI Too Long";
	case 415:
		return "Unsupported Media Type";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	default:
		return "";
	}
}

int
tl_http_parse_listen(const char *listen, char *host, size_t host_size, uint16_t *port,
		     struct tl_error *err)
{
	const char *colon, *port_text;
	size_t host_len;
	char *end;
	long p;

	if (!listen || !*listen)
		return tl_error_set(err, TL_ERR_INVALID, "empty listen address");
	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');
		if (!close || close[1] != ':')
			return tl_error_set(err, TL_ERR_INVALID,
					    "listen address '%s': expected [IPV6]:PORT", listen);
		host_len = (size_t)(close - listen - 1);
		if (host_len == 0 || host_len >= host_size)
			return tl_error_set(err, TL_ERR_INVALID, "listen address '%s': bad host",
					    listen);
		memcpy(host, listen + 1, host_len);
		host[host_len] = '\0';
		port_text = close + 2;
	} else if ((colon = strrchr(listen, ':'))) {
		if (strchr(listen, ':') != colon)
			return tl_error_set(err, TL_ERR_INVALID,
					    "listen address '%s': write IPv6 hosts as [ADDR]:PORT",
					    listen);
		host_len = (size_t)(colon - listen);
		if (host_len >= host_size)
			return tl_error_set(err, TL_ERR_INVALID, "listen address '%s': bad host",
					    listen);
		if (host_len == 0)
			snprintf(host, host_size, "127.0.0.1");
		else {
			memcpy(host, listen, host_len);
			host[host_len] = '\0';
		}
		port_text = colon + 1;
	} else {
		snprintf(host, host_size, "127.0.0.1");
		port_text = listen;
	}
	if (!*port_text || *port_text == '-' || *port_text == '+')
		return tl_error_set(err, TL_ERR_INVALID, "listen address '%s': missing port",
				    listen);
	p = strtol(port_text, &end, 10);
	if (*end || p < 0 || p > 65535)
		return tl_error_set(err, TL_ERR_INVALID,
				    "listen address '%s': port must be a number from 0 to 65535",
				    listen);
	*port = (uint16_t)p;
	{
		struct in_addr a4;
		struct in6_addr a6;
		if (inet_pton(AF_INET, host, &a4) != 1 && inet_pton(AF_INET6, host, &a6) != 1)
			return tl_error_set(err, TL_ERR_INVALID,
					    "listen address '%s': host must be a numeric IPv4 or "
					    "IPv6 address",
					    listen);
	}
	return 0;
}

struct tl_http_server *
tl_http_server_new(const struct tl_http_server_config *cfg, struct tl_error *err)
{
	struct tl_http_server *srv = calloc(1, sizeof(*srv));

	if (!srv) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory creating a server");
		return NULL;
	}
	if (cfg)
		srv->cfg = *cfg;
	else
		tl_http_server_config_init(&srv->cfg);
	if (!srv->cfg.listen)
		srv->cfg.listen = "127.0.0.1:0";
	if (srv->cfg.threads == 0)
		srv->cfg.threads = 1;
	if (tl_http_parse_listen(srv->cfg.listen, srv->host, sizeof(srv->host), &srv->port, err) <
	    0) {
		free(srv);
		return NULL;
	}
	atomic_init(&srv->in_flight, 0);
	atomic_init(&srv->requests, 0);
	return srv;
}

int
tl_http_server_route(struct tl_http_server *srv, const char *method, const char *pattern,
		     tl_http_handler_fn fn, void *ctx, struct tl_error *err)
{
	struct route *r;
	size_t plen = strlen(pattern);

	if (srv->daemon)
		return tl_error_set(err, TL_ERR_STATE,
				    "routes must be added before the server starts");
	if (srv->nroutes == MAX_ROUTES)
		return tl_error_set(err, TL_ERR_LIMIT, "more than %d routes", MAX_ROUTES);
	if (strlen(method) >= sizeof(r->method) || plen >= sizeof(r->pattern) || plen == 0 ||
	    pattern[0] != '/')
		return tl_error_set(err, TL_ERR_INVALID, "bad route '%s %s'", method, pattern);
	r = &srv->routes[srv->nroutes++];
	snprintf(r->method, sizeof(r->method), "%s", method);
	snprintf(r->pattern, sizeof(r->pattern), "%s", pattern);
	r->prefix = pattern[plen - 1] == '*';
	if (r->prefix)
		r->pattern[plen - 1] = '\0';
	r->fn = fn;
	r->ctx = ctx;
	return 0;
}

/* --- exchange accessors --------------------------------------------- */

const char *
tl_http_method(const struct tl_http_exchange *ex)
{
	return ex->method;
}

const char *
tl_http_path(const struct tl_http_exchange *ex)
{
	return ex->path;
}

const char *
tl_http_header(const struct tl_http_exchange *ex, const char *name)
{
	return MHD_lookup_connection_value(ex->conn, MHD_HEADER_KIND, name);
}

const char *
tl_http_query(const struct tl_http_exchange *ex, const char *name, size_t *len)
{
	const char *value = NULL;
	size_t value_len = 0;

	if (MHD_lookup_connection_value_n(ex->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name),
					  &value, &value_len) != MHD_YES)
		return NULL;
	if (len)
		*len = value ? value_len : 0;
	/* A key without '=' has a NULL value; present it as empty. */
	return value ? value : "";
}

struct foreach_ctx {
	tl_http_arg_fn fn;
	void *ctx;
};

static enum MHD_Result
foreach_arg(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size, const char *value,
	    size_t value_size)
{
	struct foreach_ctx *fc = cls;
	(void)kind;
	return fc->fn(fc->ctx, key, key_size, value ? value : "", value ? value_size : 0) ? MHD_YES
											  : MHD_NO;
}

void
tl_http_query_foreach(const struct tl_http_exchange *ex, tl_http_arg_fn fn, void *ctx)
{
	struct foreach_ctx fc = {fn, ctx};
	MHD_get_connection_values_n(ex->conn, MHD_GET_ARGUMENT_KIND, foreach_arg, &fc);
}

const char *
tl_http_query_string(const struct tl_http_exchange *ex)
{
	const char *q = ex->uri ? strchr(ex->uri, '?') : NULL;
	return q ? q + 1 : "";
}

struct header_walk {
	tl_http_arg_fn fn;
	void *ctx;
};

static enum MHD_Result
header_walk_one(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
		const char *value, size_t value_size)
{
	struct header_walk *w = cls;
	(void)kind;
	return w->fn(w->ctx, key, key_size, value ? value : "", value ? value_size : 0) ? MHD_YES
											: MHD_NO;
}

void
tl_http_header_foreach(const struct tl_http_exchange *ex, tl_http_arg_fn fn, void *ctx)
{
	struct header_walk w = {fn, ctx};
	MHD_get_connection_values_n(ex->conn, MHD_HEADER_KIND, header_walk_one, &w);
}

void
tl_http_server_set_error_fn(struct tl_http_server *srv, tl_http_error_fn fn, void *ctx)
{
	srv->cfg.error_fn = fn;
	srv->cfg.error_ctx = ctx;
}

const char *
tl_http_body(const struct tl_http_exchange *ex, size_t *len)
{
	if (len)
		*len = ex->body.len;
	return tl_buf_str(&ex->body);
}

const char *
tl_http_peer(const struct tl_http_exchange *ex)
{
	return ex->peer;
}

/* --- responses ------------------------------------------------------- */

int
tl_http_add_header(struct tl_http_exchange *ex, const char *name, const char *value)
{
	struct header *h;

	if (ex->nheaders == MAX_RESPONSE_HEADERS)
		return -1;
	/* Header injection guard: names and values never carry CR or LF. */
	if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
		return -1;
	h = &ex->headers[ex->nheaders];
	h->name = strdup(name);
	h->value = strdup(value);
	if (!h->name || !h->value) {
		free(h->name);
		free(h->value);
		return -1;
	}
	ex->nheaders++;
	return 0;
}

void
tl_http_respond(struct tl_http_exchange *ex, unsigned status, const char *content_type,
		const void *body, size_t len)
{
	ex->responded = true;
	ex->status = status;
	snprintf(ex->content_type, sizeof(ex->content_type), "%s",
		 content_type ? content_type : "text/plain; charset=utf-8");
	tl_buf_reset(&ex->response);
	if (tl_buf_append(&ex->response, body, len, NULL) < 0) {
		static const char oops[] =
			"{\"error\":\"internal\",\"message\":\"response too large\"}";
		ex->status = 500;
		snprintf(ex->content_type, sizeof(ex->content_type), "application/json");
		tl_buf_reset(&ex->response);
		tl_buf_append(&ex->response, oops, sizeof(oops) - 1, NULL);
	}
}

void
tl_http_respond_json(struct tl_http_exchange *ex, unsigned status, const json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);

	if (!text) {
		tl_http_respond_error(ex, 500, "cannot serialise the response");
		return;
	}
	tl_http_respond(ex, status, "application/json", text, strlen(text));
	free(text);
}

static void
default_error(void *ctx, struct tl_http_exchange *ex, unsigned status, const char *message)
{
	json_t *body =
		json_pack("{s:s, s:s}", "error", tl_http_status_text(status), "message", message);
	(void)ctx;
	if (body) {
		tl_http_respond_json(ex, status, body);
		json_decref(body);
	} else {
		tl_http_respond(ex, status, "text/plain", message, strlen(message));
	}
}

void
tl_http_respond_error(struct tl_http_exchange *ex, unsigned status, const char *fmt, ...)
{
	char message[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (ex->srv->cfg.error_fn)
		ex->srv->cfg.error_fn(ex->srv->cfg.error_ctx, ex, status, message);
	else
		default_error(NULL, ex, status, message);
	if (!ex->responded)
		default_error(NULL, ex, status, message);
}

static enum MHD_Result
queue(struct tl_http_exchange *ex)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;
	bool head = strcmp(ex->method, "HEAD") == 0;

	resp = MHD_create_response_from_buffer(head ? 0 : ex->response.len,
					       (void *)tl_buf_str(&ex->response),
					       MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ex->content_type);
	for (size_t i = 0; i < ex->nheaders; i++)
		MHD_add_response_header(resp, ex->headers[i].name, ex->headers[i].value);
	if (ex->close_connection || ex->status == 413)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	rc = MHD_queue_response(ex->conn, ex->status, resp);
	MHD_destroy_response(resp);
	atomic_fetch_add(&ex->srv->requests, 1);
	return rc;
}

/* --- dispatch -------------------------------------------------------- */

static bool
known_method(const char *m)
{
	static const char *const methods[] = {"GET",	"HEAD",	 "POST",    "PUT",
					      "DELETE", "PATCH", "OPTIONS", NULL};
	for (const char *const *k = methods; *k; k++)
		if (strcmp(*k, m) == 0)
			return true;
	return false;
}

static bool
route_matches_path(const struct route *r, const char *path)
{
	if (r->prefix)
		return strncmp(path, r->pattern, strlen(r->pattern)) == 0;
	return strcmp(path, r->pattern) == 0;
}

static bool
route_matches_method(const struct route *r, const char *method)
{
	return strcmp(r->method, "*") == 0 || strcmp(r->method, method) == 0 ||
	       (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0);
}

static void
dispatch(struct tl_http_exchange *ex)
{
	struct tl_http_server *srv = ex->srv;
	char allow[128] = "";
	size_t allow_len = 0;
	bool path_found = false;

	if (!known_method(ex->method)) {
		tl_http_respond_error(ex, 501, "method '%s' is not supported", ex->method);
		return;
	}
	for (size_t i = 0; i < srv->nroutes; i++) {
		const struct route *r = &srv->routes[i];
		if (!route_matches_path(r, ex->path))
			continue;
		if (route_matches_method(r, ex->method)) {
			r->fn(r->ctx, ex);
			if (!ex->responded)
				tl_http_respond_error(ex, 500, "the handler gave no answer");
			return;
		}
		path_found = true;
		if (allow_len + strlen(r->method) + 3 < sizeof(allow) &&
		    !strstr(allow, r->method)) {
			int n = snprintf(allow + allow_len, sizeof(allow) - allow_len, "%s%s",
					 allow_len ? ", " : "", r->method);
			if (n > 0)
				allow_len += (size_t)n;
		}
	}
	if (path_found) {
		tl_http_respond_error(ex, 405, "method %s is not allowed on %s", ex->method,
				      ex->path);
		tl_http_add_header(ex, "Allow", allow);
		return;
	}
	tl_http_respond_error(ex, 404, "no such resource: %s", ex->path);
}

static void
exchange_free(struct tl_http_exchange *ex)
{
	if (!ex)
		return;
	tl_buf_finish(&ex->body);
	tl_buf_finish(&ex->response);
	for (size_t i = 0; i < ex->nheaders; i++) {
		free(ex->headers[i].name);
		free(ex->headers[i].value);
	}
	free(ex->uri);
	free(ex->path);
	free(ex);
}

/*
 * Called by MHD with the request target before it splits off the query or
 * percent-decodes it, pointing into its copy of the request line. The
 * exchange starts here so the raw target is kept (routing never sees
 * decoded bytes) and a NUL inside it can be found later.
 */
static void *
uri_logged(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct tl_http_server *srv = cls;
	struct tl_http_exchange *ex = calloc(1, sizeof(*ex));

	if (!ex)
		return NULL;
	ex->srv = srv;
	ex->conn = conn;
	ex->uri_in_line = uri;
	ex->uri = strdup(uri);
	ex->path = strndup(uri, strcspn(uri, "?"));
	tl_buf_init(&ex->body, srv->cfg.body_max);
	tl_buf_init(&ex->response, RESPONSE_BODY_MAX);
	atomic_fetch_add(&srv->in_flight, 1);
	ex->counted = true;
	return ex;
}

/*
 * MHD 0.9.75 hands out C strings, so a NUL byte sent inside the target or
 * a header value would silently cut it ("/jwks\0junk" served as "/jwks").
 * The target ends right before the space that precedes the version string
 * in MHD's line buffer: a shorter C string means a NUL inside it.
 */
static bool
uri_has_nul(const struct tl_http_exchange *ex, const char *version)
{
	if (!version || !*version || version <= ex->uri_in_line)
		return false; /* HTTP/0.9 style line: MHD refuses it anyway */
	return (size_t)(version - 1 - ex->uri_in_line) != strlen(ex->uri);
}

static enum MHD_Result
header_name_bad(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
		const char *value, size_t value_size)
{
	bool *bad = cls;
	(void)kind;
	(void)value;
	(void)value_size;
	if (key_size == 0 || strlen(key) != key_size || strpbrk(key, " \t")) {
		*bad = true;
		return MHD_NO;
	}
	return MHD_YES;
}

/*
 * What MHD's strict mode would refuse, plus NUL bytes: returns the reason
 * for a 400, or NULL. (A NUL inside a header value stays invisible:
 * MHD 0.9.75 measures values with strlen; docs/security.md says so.)
 */
static const char *
reject_malformed(const struct tl_http_exchange *ex, const char *version)
{
	bool bad_header = false;

	if (uri_has_nul(ex, version))
		return "NUL byte in the request target";
	if (strpbrk(ex->uri, " \t"))
		return "whitespace in the request target";
	if (ex->uri[0] != '/')
		return "the request target must start with '/'";
	MHD_get_connection_values_n(ex->conn, MHD_HEADER_KIND, header_name_bad, &bad_header);
	if (bad_header)
		return "malformed header name";
	if (strcmp(version, MHD_HTTP_VERSION_1_1) == 0 &&
	    !MHD_lookup_connection_value(ex->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST))
		return "HTTP/1.1 request without a Host header";
	return NULL;
}

static void
peer_address(struct MHD_Connection *conn, char *out, size_t size)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, size, "?");
	if (!info || !info->client_addr)
		return;
	if (info->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET,
			  &((const struct sockaddr_in *)(const void *)info->client_addr)->sin_addr,
			  out, (socklen_t)size);
	else if (info->client_addr->sa_family == AF_INET6)
		inet_ntop(
			AF_INET6,
			&((const struct sockaddr_in6 *)(const void *)info->client_addr)->sin6_addr,
			out, (socklen_t)size);
}

static enum MHD_Result
access_handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	       const char *version, const char *upload_data, size_t *upload_data_size,
	       void **con_cls)
{
	struct tl_http_server *srv = cls;
	struct tl_http_exchange *ex = *con_cls;

	if (!ex)
		return MHD_NO; /* out of memory in uri_logged */
	if (!ex->started) {
		const char *cl, *malformed;

		ex->started = true;
		ex->method = method;
		if (!ex->uri || !ex->path)
			return MHD_NO;
		peer_address(conn, ex->peer, sizeof(ex->peer));
		malformed = reject_malformed(ex, version);
		if (malformed) {
			ex->close_connection = true;
			tl_http_respond_error(ex, 400, "malformed request: %s", malformed);
			return queue(ex);
		}

		/* Refuse an oversized declared body before reading a byte of it. */
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						 MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl) {
			char *end;
			unsigned long long n = strtoull(cl, &end, 10);
			if (*end == '\0' && n > srv->cfg.body_max) {
				ex->close_connection = true;
				tl_http_respond_error(
					ex, 413,
					"request body of %llu bytes exceeds the limit of "
					"%zu bytes",
					n, srv->cfg.body_max);
				return queue(ex);
			}
		}
		return MHD_YES;
	}

	if (*upload_data_size > 0) {
		if (!ex->close_connection &&
		    tl_buf_append(&ex->body, upload_data, *upload_data_size, NULL) < 0) {
			/* A chunked body past the cap: no response can be queued
			 * mid-upload in MHD 0.9.75, so close the connection. */
			ex->close_connection = true;
			if (srv->cfg.log_fn)
				srv->cfg.log_fn(
					srv->cfg.log_ctx,
					"closing a connection whose chunked body exceeded the cap");
			return MHD_NO;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}

	if (ex->responded) /* the 413 above was queued already */
		return MHD_YES;
	dispatch(ex);
	return queue(ex);
}

static void
request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		  enum MHD_RequestTerminationCode toe)
{
	struct tl_http_server *srv = cls;
	struct tl_http_exchange *ex = *con_cls;
	(void)conn;
	(void)toe;

	if (!ex)
		return;
	if (ex->counted)
		atomic_fetch_sub(&srv->in_flight, 1);
	exchange_free(ex);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) TL_PRINTF(2, 0);

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct tl_http_server *srv = cls;
	char line[512];
	size_t n;

	if (!srv->cfg.log_fn)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	srv->cfg.log_fn(srv->cfg.log_ctx, line);
}

int
tl_http_server_start(struct tl_http_server *srv, struct tl_error *err)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;

	if (srv->daemon)
		return tl_error_set(err, TL_ERR_STATE, "server already started");
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, srv->host, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(srv->port);
		sa = (struct sockaddr *)&sin;
	} else {
		inet_pton(AF_INET6, srv->host, &sin6.sin6_addr);
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(srv->port);
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	}

	/* One typed table (reliability.md §5.2: vararg types must match exactly).
	 * LISTENING_ADDRESS_REUSE stays unset: MHD's default SO_REUSEADDR is what
	 * a restart needs, and SO_REUSEPORT would let a stale instance answer. */
	struct MHD_OptionItem options[] = {
		/* First, or MHD warns that earlier options may log to stderr. */
		{MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, srv},
		{MHD_OPTION_SOCK_ADDR, 0, sa},
		{MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)srv->cfg.threads, NULL},
		{MHD_OPTION_CONNECTION_LIMIT, (intptr_t)srv->cfg.connection_limit, NULL},
		{MHD_OPTION_PER_IP_CONNECTION_LIMIT, 0, NULL},
		{MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)srv->cfg.timeout_seconds, NULL},
		{MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)srv->cfg.memory_limit, NULL},
		{MHD_OPTION_LISTEN_BACKLOG_SIZE, 128, NULL},
		/* Strictness is enforced in access_handler instead (reject_malformed):
		 * MHD's own strict mode drops a bad request line without any answer
		 * once a URI log callback is set. */
		{MHD_OPTION_STRICT_FOR_CLIENT, 0, NULL},
		{MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)request_completed, srv},
		{MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)uri_logged, srv},
		{MHD_OPTION_END, 0, NULL},
	};

	/* Sockets written to after the peer left must not kill the process. */
	signal(SIGPIPE, SIG_IGN);

	srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, access_handler, srv, MHD_OPTION_ARRAY,
				       options, MHD_OPTION_END);
	if (!srv->daemon)
		return tl_error_set(err, TL_ERR_IO,
				    "cannot listen on %s (address in use or not "
				    "available?)",
				    srv->cfg.listen);
	info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (info && info->port)
		srv->port = info->port;
	snprintf(srv->url, sizeof(srv->url),
		 flags & MHD_USE_IPv6 ? "http://[%s]:%u" : "http://%s:%u", srv->host,
		 (unsigned)srv->port);
	srv->stopped = false;
	return 0;
}

uint16_t
tl_http_server_port(const struct tl_http_server *srv)
{
	return srv->port;
}

const char *
tl_http_server_url(const struct tl_http_server *srv)
{
	return srv->url;
}

uint64_t
tl_http_server_requests(const struct tl_http_server *srv)
{
	return atomic_load(&((struct tl_http_server *)srv)->requests);
}

void
tl_http_server_stop(struct tl_http_server *srv)
{
	struct timespec start, now, pause = {0, 10 * 1000 * 1000};
	MHD_socket listen_fd;

	if (!srv || !srv->daemon || srv->stopped)
		return;
	srv->stopped = true;
	/* Stop accepting, then give requests already inside a handler or
	 * waiting for their body the drain period to finish. */
	listen_fd = MHD_quiesce_daemon(srv->daemon);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (atomic_load(&srv->in_flight) > 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long elapsed_ms = (now.tv_sec - start.tv_sec) * 1000 +
				  (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed_ms >= (long)srv->cfg.drain_ms)
			break;
		nanosleep(&pause, NULL);
	}
	MHD_stop_daemon(srv->daemon);
	srv->daemon = NULL;
	if (listen_fd != MHD_INVALID_SOCKET)
		close(listen_fd);
}

void
tl_http_server_free(struct tl_http_server *srv)
{
	if (!srv)
		return;
	tl_http_server_stop(srv);
	free(srv);
}
