/* SPDX-License-Identifier: MIT */
/*
 * The HTTP layer against real sockets on 127.0.0.1, port 0: the router,
 * the limits, a table of malformed requests with the exact status each
 * must get (h2o's 40bad-request.t), a slow client, and the libcurl
 * client's timeouts and caps. After every bad request the server must
 * still answer a good one.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/client.h"
#include "http/server.h"
#include "test-common.h"

#define BODY_MAX 1024

static struct tl_http_server *srv;

static void
echo(void *ctx, struct tl_http_exchange *ex)
{
	size_t len;
	const char *body = tl_http_body(ex, &len);
	(void)ctx;
	tl_http_add_header(ex, "X-Body-Length", len ? "nonzero" : "zero");
	tl_http_respond(ex, 200, "application/octet-stream", body, len);
}

static void
hello(void *ctx, struct tl_http_exchange *ex)
{
	size_t len = 0;
	const char *who = tl_http_query(ex, "who", &len);
	char text[128];

	snprintf(text, sizeof(text), "hello %s (%zu)", who ? who : "nobody", len);
	tl_http_respond(ex, 200, "text/plain", text, strlen(text));
}

static void
prefixed(void *ctx, struct tl_http_exchange *ex)
{
	(void)ctx;
	tl_http_respond(ex, 200, "text/plain", tl_http_path(ex), strlen(tl_http_path(ex)));
}

static void
slow(void *ctx, struct tl_http_exchange *ex)
{
	struct timespec ts = {0, 600 * 1000 * 1000};
	(void)ctx;
	nanosleep(&ts, NULL);
	tl_http_respond(ex, 200, "text/plain", "late", 4);
}

static void
big(void *ctx, struct tl_http_exchange *ex)
{
	static char blob[64 * 1024];
	(void)ctx;
	memset(blob, 'x', sizeof(blob));
	tl_http_respond(ex, 200, "text/plain", blob, sizeof(blob));
}

static void
silent(void *ctx, struct tl_http_exchange *ex)
{
	(void)ctx;
	(void)ex; /* gives no answer: the server must answer 500 for it */
}

static void
start_server(void)
{
	struct tl_http_server_config cfg;
	struct tl_error err;

	tl_http_server_config_init(&cfg);
	cfg.body_max = BODY_MAX;
	cfg.timeout_seconds = 1;
	cfg.memory_limit = 16 * 1024;
	cfg.drain_ms = 2000;
	srv = tl_http_server_new(&cfg, &err);
	ck_assert_msg(srv != NULL, "%s", err.message);
	ck_assert_int_eq(tl_http_server_route(srv, "POST", "/echo", echo, NULL, &err), 0);
	ck_assert_int_eq(tl_http_server_route(srv, "GET", "/hello", hello, NULL, &err), 0);
	ck_assert_int_eq(tl_http_server_route(srv, "GET", "/files/*", prefixed, NULL, &err), 0);
	ck_assert_int_eq(tl_http_server_route(srv, "GET", "/slow", slow, NULL, &err), 0);
	ck_assert_int_eq(tl_http_server_route(srv, "GET", "/big", big, NULL, &err), 0);
	ck_assert_int_eq(tl_http_server_route(srv, "GET", "/silent", silent, NULL, &err), 0);
	ck_assert_msg(tl_http_server_start(srv, &err) == 0, "%s", err.message);
	ck_assert_int_gt(tl_http_server_port(srv), 0);
}

static void
stop_server(void)
{
	tl_http_server_free(srv);
	srv = NULL;
}

static int
raw(const char *req, size_t len, char *reply, size_t size)
{
	return tl_test_raw_http(tl_http_server_port(srv), req, len, true, 5000, reply, size);
}

static void
assert_still_serving(const char *after)
{
	static const char ok[] =
		"GET /hello?who=x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	char reply[1024];
	int status = raw(ok, sizeof(ok) - 1, reply, sizeof(reply));
	ck_assert_msg(status == 200, "after %s the server answered %d: %s", after, status, reply);
}

START_TEST(url_and_port_read_back)
{
	char expect[64];
	snprintf(expect, sizeof(expect), "http://127.0.0.1:%u", tl_http_server_port(srv));
	ck_assert_str_eq(tl_http_server_url(srv), expect);
}
END_TEST

/* clang-format off */
enum body_kind { PLAIN, HUGE_CL, MANY_HEADERS, LONG_URL, CHUNKED_OVER, SLOW_TRUNCATED, WITH_NUL_URL, WITH_NUL_HEADER, BODY_AT_CAP, BODY_OVER_CAP };
static const struct {
	const char *name;
	enum body_kind kind;
	const char *request; /* for PLAIN */
	int status;          /* 0: closed without an answer */
	const char *in_reply;
} bad_requests[] = {
	{"good request", PLAIN, "GET /hello?who=ann HTTP/1.1\r\nHost: t\r\n\r\n", 200, "hello ann (3)"},
	{"HEAD served by GET route", PLAIN, "HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n", 200, NULL},
	{"unknown path", PLAIN, "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n", 404, "no such resource: /nope"},
	{"wrong method for path", PLAIN, "DELETE /hello HTTP/1.1\r\nHost: t\r\n\r\n", 405, "Allow: GET"},
	{"unknown method", PLAIN, "BREW /hello HTTP/1.1\r\nHost: t\r\n\r\n", 501, "method 'BREW' is not supported"},
	{"garbage request line", PLAIN, "hello there\r\n\r\n", 400, NULL},
	{"HTTP/1.1 without Host", PLAIN, "GET /hello HTTP/1.1\r\n\r\n", 400, "without a Host header"},
	{"HTTP/1.0 without Host", PLAIN, "GET /hello HTTP/1.0\r\n\r\n", 200, NULL},
	{"unsupported HTTP version", PLAIN, "GET /hello HTTP/9.9\r\nHost: t\r\n\r\n", 505, NULL},
	{"space in URL", PLAIN, "GET /hel lo HTTP/1.1\r\nHost: t\r\n\r\n", 400, "whitespace in the request target"},
	{"bad Content-Length", PLAIN, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\n\r\n", 400, NULL},
	{"header without colon", PLAIN, "GET /hello HTTP/1.1\r\nHost: t\r\nNoColonHere\r\n\r\n", 400, NULL},
	{"handler without answer", PLAIN, "GET /silent HTTP/1.1\r\nHost: t\r\n\r\n", 500, "the handler gave no answer"},
	{"prefix route", PLAIN, "GET /files/a/b.txt HTTP/1.1\r\nHost: t\r\n\r\n", 200, "/files/a/b.txt"},
	{"query NUL byte decoded", PLAIN, "GET /hello?who=a%00b HTTP/1.1\r\nHost: t\r\n\r\n", 200, "hello a (3)"},
	{"NUL byte in URL", WITH_NUL_URL, NULL, 400, "NUL byte in the request target"},
	/* MHD 0.9.75 cuts header values at a NUL and gives no way to see it:
	 * the value is "b". Pinned so a change is noticed (docs/security.md). */
	{"NUL byte in header value", WITH_NUL_HEADER, NULL, 200, NULL},
	{"whitespace before header colon", PLAIN, "GET /hello HTTP/1.1\r\nHost: t\r\nX-A : b\r\n\r\n", 400, "malformed header name"},
	{"absolute-form target", PLAIN, "GET http://x/hello HTTP/1.1\r\nHost: t\r\n\r\n", 400, "must start with '/'"},
	{"declared huge body", HUGE_CL, NULL, 413, "exceeds the limit of 1024 bytes"},
	{"body exactly at the cap", BODY_AT_CAP, NULL, 200, NULL},
	{"body one byte over the cap", BODY_OVER_CAP, NULL, 413, NULL},
	{"chunked body over the cap", CHUNKED_OVER, NULL, 0, NULL},
	{"10k headers", MANY_HEADERS, NULL, 431, NULL},
	{"100 KiB URL", LONG_URL, NULL, 414, NULL},
	{"truncated body, then EOF", SLOW_TRUNCATED, NULL, 0, NULL},
};
/* clang-format on */

START_TEST(bad_request_table)
{
	struct tl_buf req;
	char *reply = malloc(65536);
	int status;

	tl_buf_init(&req, 4 * 1024 * 1024);
	switch (bad_requests[_i].kind) {
	case PLAIN:
		tl_buf_append_str(&req, bad_requests[_i].request, NULL);
		break;
	case WITH_NUL_URL:
		tl_buf_append(&req, "GET /hel\0lo HTTP/1.1\r\nHost: t\r\n\r\n", 33, NULL);
		break;
	case WITH_NUL_HEADER:
		tl_buf_append(&req, "GET /hello HTTP/1.1\r\nHost: t\r\nX-A: b\0c\r\n\r\n", 42,
			      NULL);
		break;
	case HUGE_CL:
		tl_buf_append_str(
			&req, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n",
			NULL);
		for (int k = 0; k < 4096; k++)
			tl_buf_putc(&req, 'a', NULL);
		break;
	case BODY_AT_CAP:
	case BODY_OVER_CAP: {
		size_t n = BODY_MAX + (bad_requests[_i].kind == BODY_OVER_CAP);
		tl_buf_printf(&req, NULL,
			      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n", n);
		for (size_t k = 0; k < n; k++)
			tl_buf_putc(&req, 'b', NULL);
		break;
	}
	case CHUNKED_OVER:
		tl_buf_append_str(
			&req,
			"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
			NULL);
		for (int k = 0; k < 8; k++) {
			tl_buf_append_str(&req, "200\r\n", NULL);
			for (int j = 0; j < 0x200; j++)
				tl_buf_putc(&req, 'c', NULL);
			tl_buf_append_str(&req, "\r\n", NULL);
		}
		tl_buf_append_str(&req, "0\r\n\r\n", NULL);
		break;
	case MANY_HEADERS:
		tl_buf_append_str(&req, "GET /hello HTTP/1.1\r\nHost: t\r\n", NULL);
		for (int k = 0; k < 10000; k++)
			tl_buf_printf(&req, NULL, "X-H%d: v\r\n", k);
		tl_buf_append_str(&req, "\r\n", NULL);
		break;
	case LONG_URL:
		tl_buf_append_str(&req, "GET /hello?who=", NULL);
		for (int k = 0; k < 100 * 1024; k++)
			tl_buf_putc(&req, 'u', NULL);
		tl_buf_append_str(&req, " HTTP/1.1\r\nHost: t\r\n\r\n", NULL);
		break;
	case SLOW_TRUNCATED:
		tl_buf_append_str(&req,
				  "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n"
				  "only ten b",
				  NULL);
		break;
	}
	status = raw(req.data, req.len, reply, 65536);
	ck_assert_msg(status == bad_requests[_i].status, "case %d (%s): status %d, want %d: %.200s",
		      _i, bad_requests[_i].name, status, bad_requests[_i].status, reply);
	if (bad_requests[_i].in_reply)
		ck_assert_msg(strstr(reply, bad_requests[_i].in_reply) != NULL,
			      "case %d (%s): '%s' not in reply: %.300s", _i, bad_requests[_i].name,
			      bad_requests[_i].in_reply, reply);
	assert_still_serving(bad_requests[_i].name);
	tl_buf_finish(&req);
	free(reply);
}
END_TEST

static int
connect_raw(uint16_t port)
{
	struct sockaddr_in sin = {0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

START_TEST(slow_client_is_cut_off_and_others_served)
{
	static const char partial[] = "GET /hello HTTP/1.1\r\nHo";
	struct pollfd pfd;
	char buf[256];
	int fd = connect_raw(tl_http_server_port(srv));

	ck_assert_int_eq(send(fd, partial, sizeof(partial) - 1, MSG_NOSIGNAL),
			 (ssize_t)sizeof(partial) - 1);
	/* While it dawdles, others are served. */
	assert_still_serving("a slow client connected");
	/* The 1 s idle timeout closes it: EOF well within 5 s, no response. */
	pfd.fd = fd;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
	ck_assert_int_le(recv(fd, buf, sizeof(buf), 0), 0);
	close(fd);
	assert_still_serving("a slow client was cut off");
}
END_TEST

START_TEST(client_keepalive_headers_and_query)
{
	struct tl_http_client *cl = tl_http_client_new(NULL, NULL);
	struct tl_http_reply reply;
	struct tl_error err;
	char url[128], value[64];
	static const char *const headers[] = {"Content-Type: text/plain", NULL};

	ck_assert_ptr_nonnull(cl);
	tl_http_reply_init(&reply);
	snprintf(url, sizeof(url), "%s/echo", tl_http_server_url(srv));
	ck_assert_int_eq(tl_http_client_request(cl, "POST", url, headers, "ping", 4, &reply, &err),
			 0);
	ck_assert_int_eq(reply.status, 200);
	ck_assert_str_eq(tl_buf_str(&reply.body), "ping");
	ck_assert_str_eq(reply.content_type, "application/octet-stream");
	ck_assert_int_eq(tl_http_reply_header(&reply, "x-body-length", value, sizeof(value)), 1);
	ck_assert_str_eq(value, "nonzero");
	ck_assert_int_eq(tl_http_reply_header(&reply, "x-missing", value, sizeof(value)), 0);
	ck_assert_int_eq(reply.new_connections, 1);

	/* The second request reuses the connection. */
	snprintf(url, sizeof(url), "%s/hello?who=b%%20c", tl_http_server_url(srv));
	ck_assert_int_eq(tl_http_client_request(cl, "GET", url, NULL, NULL, 0, &reply, &err), 0);
	ck_assert_str_eq(tl_buf_str(&reply.body), "hello b c (3)");
	ck_assert_int_eq(reply.new_connections, 0);

	/* A JSON error body from the default formatter. */
	snprintf(url, sizeof(url), "%s/nope", tl_http_server_url(srv));
	ck_assert_int_eq(tl_http_client_request(cl, "GET", url, NULL, NULL, 0, &reply, &err), 0);
	ck_assert_int_eq(reply.status, 404);
	ck_assert_str_eq(reply.content_type, "application/json");
	ck_assert_str_eq(tl_buf_str(&reply.body),
			 "{\"error\":\"Not Found\",\"message\":\"no such resource: /nope\"}");
	tl_http_reply_finish(&reply);
	tl_http_client_free(cl);
}
END_TEST

START_TEST(client_limits)
{
	struct tl_http_client_config cfg;
	struct tl_http_client *cl;
	struct tl_http_reply reply;
	struct tl_error err;
	char url[128];

	tl_http_client_config_init(&cfg);
	cfg.timeout_ms = 200;
	cfg.max_response = 1000;
	cl = tl_http_client_new(&cfg, NULL);
	tl_http_reply_init(&reply);

	snprintf(url, sizeof(url), "%s/slow", tl_http_server_url(srv));
	ck_assert_int_eq(tl_http_client_request(cl, "GET", url, NULL, NULL, 0, &reply, &err), -1);
	ck_assert_msg(err.code == TL_ERR_TIMEOUT, "%s: %s", tl_errcode_name(err.code), err.message);

	snprintf(url, sizeof(url), "%s/big", tl_http_server_url(srv));
	ck_assert_int_eq(tl_http_client_request(cl, "GET", url, NULL, NULL, 0, &reply, &err), -1);
	ck_assert_msg(err.code == TL_ERR_LIMIT, "%s: %s", tl_errcode_name(err.code), err.message);

	/* Refused: a port nothing listens on (the server's, after it stopped). */
	snprintf(url, sizeof(url), "%s/hello", tl_http_server_url(srv));
	stop_server();
	ck_assert_int_eq(tl_http_client_request(cl, "GET", url, NULL, NULL, 0, &reply, &err), -1);
	ck_assert_msg(err.code == TL_ERR_NETWORK, "%s: %s", tl_errcode_name(err.code), err.message);

	/* Only http and https. */
	ck_assert_int_eq(tl_http_client_request(cl, "GET", "file:///etc/passwd", NULL, NULL, 0,
						&reply, &err),
			 -1);
	tl_http_reply_finish(&reply);
	tl_http_client_free(cl);
	start_server(); /* the fixture's teardown expects one */
}
END_TEST

START_TEST(stop_drains_in_flight_request)
{
	/* A request inside its handler when stop begins still gets its answer. */
	static const char req[] = "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n";
	char reply[512] = "";
	int fd = connect_raw(tl_http_server_port(srv)), status = 0;
	struct timespec ts = {0, 100 * 1000 * 1000};
	ssize_t n;

	ck_assert_int_eq(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(req) - 1);
	nanosleep(&ts, NULL); /* the handler is now sleeping */
	tl_http_server_stop(srv);
	n = recv(fd, reply, sizeof(reply) - 1, 0);
	if (n > 12) {
		reply[n] = '\0';
		status = atoi(reply + 9);
	}
	close(fd);
	ck_assert_msg(status == 200, "in-flight request got %d: %s", status, reply);
	ck_assert_ptr_nonnull(strstr(reply, "late"));
}
END_TEST

START_TEST(connection_limit_refuses_then_recovers)
{
	/* A server that takes 2 connections at a time. */
	struct tl_http_server_config cfg;
	struct tl_http_server *small;
	struct tl_error err;
	struct pollfd pfd;
	char buf[64];
	int a, b, c;
	static const char ok[] = "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	static const char keep[] = "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n";

	tl_http_server_config_init(&cfg);
	cfg.connection_limit = 2;
	cfg.threads = 1;
	small = tl_http_server_new(&cfg, &err);
	ck_assert_ptr_nonnull(small);
	ck_assert_int_eq(tl_http_server_route(small, "GET", "/hello", hello, NULL, &err), 0);
	ck_assert_int_eq(tl_http_server_start(small, &err), 0);

	a = connect_raw(tl_http_server_port(small));
	b = connect_raw(tl_http_server_port(small));
	/* Both are accepted: they can be served... */
	ck_assert_int_eq(send(a, keep, sizeof(keep) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(keep) - 1);
	pfd.fd = a;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
	ck_assert_int_gt(recv(a, buf, sizeof(buf), 0), 0);
	/* ...while the third waits in the listen backlog: MHD does not accept
	 * past the limit, so it gets no answer while both slots are taken... */
	c = connect_raw(tl_http_server_port(small));
	ck_assert_int_eq(send(c, ok, sizeof(ok) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(ok) - 1);
	pfd.fd = c;
	ck_assert_int_eq(poll(&pfd, 1, 700), 0);
	/* ...and is served as soon as a slot frees: the server recovers. */
	close(a);
	close(b);
	{
		char reply[512] = "";
		ssize_t n;
		ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
		n = recv(c, reply, sizeof(reply) - 1, 0);
		ck_assert_int_gt(n, 12);
		reply[n] = '\0';
		ck_assert_msg(strncmp(reply, "HTTP/1.1 200", 12) == 0, "%s", reply);
	}
	close(c);
	tl_http_server_free(small);
}
END_TEST

START_TEST(listen_address_parsing)
{
	/* clang-format off */
	static const struct { const char *text; const char *host; int port; } ok[] = {
		{"127.0.0.1:8080", "127.0.0.1", 8080}, {":0", "127.0.0.1", 0},
		{"9000", "127.0.0.1", 9000}, {"[::1]:5", "::1", 5}, {"0.0.0.0:1", "0.0.0.0", 1},
	};
	static const char *const bad[] = {"", "localhost:80", "1.2.3.4:70000", "1.2.3.4:",
		"1.2.3.4:-1", "::1:80", "[::1]80", "1.2.3.4:8x", NULL};
	/* clang-format on */
	char host[64];
	uint16_t port;
	struct tl_error err;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(tl_http_parse_listen(ok[i].text, host, sizeof(host), &port, &err) ==
				      0,
			      "'%s': %s", ok[i].text, err.message);
		ck_assert_str_eq(host, ok[i].host);
		ck_assert_int_eq(port, ok[i].port);
	}
	for (size_t i = 0; bad[i]; i++) {
		ck_assert_msg(tl_http_parse_listen(bad[i], host, sizeof(host), &port, &err) == -1,
			      "'%s' accepted", bad[i]);
		ck_assert_msg(strstr(err.message, bad[i]) || !*bad[i], "'%s': message '%s'", bad[i],
			      err.message);
	}
}
END_TEST

START_TEST(port_in_use_is_an_error)
{
	struct tl_http_server_config cfg;
	struct tl_http_server *second;
	struct tl_error err;
	char listen[32];

	snprintf(listen, sizeof(listen), "127.0.0.1:%u", tl_http_server_port(srv));
	tl_http_server_config_init(&cfg);
	cfg.listen = listen;
	second = tl_http_server_new(&cfg, &err);
	ck_assert_ptr_nonnull(second);
	ck_assert_int_eq(tl_http_server_start(second, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.message, listen));
	tl_http_server_free(second);
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("server");

	tcase_add_checked_fixture(tc, start_server, stop_server);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, url_and_port_read_back);
	tcase_add_loop_test(tc, bad_request_table, 0,
			    sizeof(bad_requests) / sizeof(bad_requests[0]));
	tcase_add_test(tc, slow_client_is_cut_off_and_others_served);
	tcase_add_test(tc, stop_drains_in_flight_request);
	tcase_add_test(tc, port_in_use_is_an_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("client");
	tcase_add_checked_fixture(tc, start_server, stop_server);
	tcase_add_test(tc, client_keepalive_headers_and_query);
	tcase_add_test(tc, client_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, connection_limit_refuses_then_recovers);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_test(tc, listen_address_parsing);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
