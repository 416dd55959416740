/* SPDX-License-Identifier: MIT */
/*
 * Faults against the real mock-sts program (issue 11, item 3): the
 * issuer's discovery/JWKS endpoint down, slow past --fetch-timeout,
 * answering garbage, oversized or rotating keys; the state file's
 * directory unwritable and the disk full (RLIMIT_FSIZE); kill -9 during a
 * stream of IAM writes; clients leaving mid-request; SIGTERM while a
 * request is in flight.
 *
 * The issuer is in this process: a lib/http server whose answers each
 * test bends (one issuer per path /v<N>, so every fault starts with an
 * empty JWKS cache), plus a raw-socket server for what a well-behaved
 * HTTP server cannot send (an endless body without Content-Length, a
 * body dripping one byte at a time). mock-sts maps each fault issuer's
 * real-looking `iss` to it with --issuer-map.
 *
 * Facts pinned: reference/sts.md §1.5 (IDPCommunicationError 400 "Couldn't
 * retrieve verification key...", InvalidIdentityToken 400), §2.2 (key
 * retrieval through discovery -> jwks_uri -> JWKS, cached, refetched);
 * reference/reliability.md §4.6 F13 (abuse answered, process alive), F15
 * (kill -9 never leaves a half-written state), §5.2 (connection limit,
 * timeouts).
 */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/file.h"

#include "exchange/exchange.h"
#include "http/server.h"
#include "jose/jwks.h"
#include "jose/jws.h"
#include "jose/key.h"
#include "json/json.h"
#include "test-common.h"

#define ACCOUNT "123456789012"
#define NISS 24 /* fault issuers /v0 .. /v23 */
#define HOST "fault.example.com"
#define RAW_HOST "raw.example.com"
#define FETCH_TIMEOUT_MS "800"

enum { RAW_HUGE, RAW_DRIP, RAW_EOF, RAW_NOT_HTTP, RAW_COUNT };
static const char *const raw_names[RAW_COUNT] = {"huge", "drip", "eof", "nothttp"};

struct variant {
	unsigned disc_status, jwks_status; /* 0: 200 */
	char *disc_body; /* NULL: the normal document */
	char *jwks_body; /* NULL: the published keys */
	size_t disc_len, jwks_len;
	int slow_ms; /* JWKS handler sleeps this long first */
};

static struct world {
	struct tl_http_server *issuer;
	uint16_t issuer_port;
	char issuer_listen[32];
	pthread_mutex_t lock;
	struct variant v[NISS];
	char *jwks_text; /* the published keys, for every variant without a body */
	atomic_int disc_hits[NISS], jwks_hits[NISS], jwks_inside[NISS];

	int raw_fd;
	uint16_t raw_port;
	pthread_t raw_thread;
	atomic_bool raw_stop;
	atomic_int raw_conns;

	struct tl_jose_key *key; /* signs the tokens of every issuer */
	struct tl_test_proc sts;
	struct tl_exchange *xc;
	char dir[128]; /* scratch directory of the test */
} W;

static long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

static void
iss_of(int i, char *out, size_t size)
{
	snprintf(out, size, "https://" HOST "/v%d", i);
}

/* --- the fault issuer ------------------------------------------------------------ */

static void
issuer_handler(void *ctx, struct tl_http_exchange *ex)
{
	const char *path = tl_http_path(ex);
	char iss[128], body[512], tail[64] = "";
	struct variant v;
	int i = -1;
	(void)ctx;

	if (sscanf(path, "/v%d/.well-known/%63s", &i, tail) != 2 || i < 0 || i >= NISS) {
		tl_http_respond(ex, 404, "text/plain", "no", 2);
		return;
	}
	iss_of(i, iss, sizeof(iss));
	if (strcmp(tail, "openid-configuration") == 0) {
		atomic_fetch_add(&W.disc_hits[i], 1);
		pthread_mutex_lock(&W.lock);
		v = W.v[i];
		if (v.disc_body)
			tl_http_respond(ex, v.disc_status ? v.disc_status : 200, "application/json",
					v.disc_body, v.disc_len);
		else {
			snprintf(body, sizeof(body),
				 "{\"issuer\":\"%s\",\"jwks_uri\":\"%s/.well-known/jwks\"}", iss,
				 iss);
			tl_http_respond(ex, v.disc_status ? v.disc_status : 200, "application/json",
					body, strlen(body));
		}
		pthread_mutex_unlock(&W.lock);
		return;
	}
	if (strcmp(tail, "jwks") != 0) {
		tl_http_respond(ex, 404, "text/plain", "no", 2);
		return;
	}
	atomic_fetch_add(&W.jwks_hits[i], 1);
	atomic_fetch_add(&W.jwks_inside[i], 1);
	pthread_mutex_lock(&W.lock);
	v = W.v[i];
	pthread_mutex_unlock(&W.lock);
	if (v.slow_ms)
		sleep_ms(v.slow_ms);
	pthread_mutex_lock(&W.lock);
	v = W.v[i];
	if (v.jwks_body)
		tl_http_respond(ex, v.jwks_status ? v.jwks_status : 200, "application/json",
				v.jwks_body, v.jwks_len);
	else
		tl_http_respond(ex, v.jwks_status ? v.jwks_status : 200, "application/json",
				W.jwks_text, strlen(W.jwks_text));
	pthread_mutex_unlock(&W.lock);
	atomic_fetch_sub(&W.jwks_inside[i], 1);
}

static void
issuer_start(const char *listen)
{
	struct tl_http_server_config hc;
	struct tl_error err;

	tl_http_server_config_init(&hc);
	hc.threads = 8;
	hc.listen = listen;
	hc.drain_ms = 200;
	W.issuer = tl_http_server_new(&hc, &err);
	ck_assert_ptr_nonnull(W.issuer);
	ck_assert_int_eq(tl_http_server_route(W.issuer, "GET", "/*", issuer_handler, NULL, &err),
			 0);
	ck_assert_msg(tl_http_server_start(W.issuer, &err) == 0, "issuer: %s", err.message);
	W.issuer_port = tl_http_server_port(W.issuer);
	snprintf(W.issuer_listen, sizeof(W.issuer_listen), "127.0.0.1:%u", W.issuer_port);
}

static void
issuer_stop(void)
{
	tl_http_server_free(W.issuer);
	W.issuer = NULL;
}

/* Publishes `keys` (public parts) as the JWKS of every normal variant. */
static void
publish(struct tl_jose_key *const *keys, size_t n)
{
	struct tl_jwks *jwks = tl_jwks_new(NULL);
	json_t *doc;

	ck_assert_ptr_nonnull(jwks);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(tl_jwks_add(jwks, keys[i], NULL), 0);
	doc = tl_jwks_to_json(jwks, NULL);
	ck_assert_ptr_nonnull(doc);
	pthread_mutex_lock(&W.lock);
	free(W.jwks_text);
	W.jwks_text = json_dumps(doc, JSON_COMPACT);
	pthread_mutex_unlock(&W.lock);
	json_decref(doc);
	tl_jwks_free(jwks);
}

static void
variant_set(int i, const struct variant *v)
{
	pthread_mutex_lock(&W.lock);
	free(W.v[i].disc_body);
	free(W.v[i].jwks_body);
	W.v[i] = *v;
	pthread_mutex_unlock(&W.lock);
}

static char *
bytes(const char *s, size_t len)
{
	char *p = malloc(len + 1);
	ck_assert_ptr_nonnull(p);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* --- the raw issuer: what lib/http would never send ------------------------------ */

static void
send_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void *
raw_conn(void *arg)
{
	int fd = (int)(intptr_t)arg, kind = -1;
	char req[4096], path[256] = "", body[512];
	ssize_t n = recv(fd, req, sizeof(req) - 1, 0);

	if (n > 0) {
		req[n] = '\0';
		sscanf(req, "GET %255s", path);
	}
	for (int k = 0; k < RAW_COUNT; k++) {
		char prefix[64];
		snprintf(prefix, sizeof(prefix), "/%s/", raw_names[k]);
		if (strncmp(path, prefix, strlen(prefix)) == 0)
			kind = k;
	}
	if (kind >= 0 && strstr(path, "openid-configuration")) {
		int len =
			snprintf(body, sizeof(body),
				 "{\"issuer\":\"https://" RAW_HOST
				 "/%s\",\"jwks_uri\":\"https://" RAW_HOST "/%s/.well-known/jwks\"}",
				 raw_names[kind], raw_names[kind]);
		char head[256];
		int hl = snprintf(head, sizeof(head),
				  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				  "Content-Length: %d\r\nConnection: close\r\n\r\n",
				  len);
		send_all(fd, head, (size_t)hl);
		send_all(fd, body, (size_t)len);
	} else if (kind == RAW_HUGE) {
		/* No Content-Length: only the client's running count can stop it. */
		static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
					   "Connection: close\r\n\r\n{\"keys\":[],\"pad\":\"";
		char chunk[16384];
		memset(chunk, 'x', sizeof(chunk));
		send_all(fd, head, sizeof(head) - 1);
		for (int k = 0; k < 1024 && !atomic_load(&W.raw_stop); k++) /* 16 MiB */
			if (send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL) <= 0)
				break;
	} else if (kind == RAW_DRIP) {
		static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
					   "Content-Length: 100000\r\n\r\n{";
		send_all(fd, head, sizeof(head) - 1);
		for (int k = 0; k < 600 && !atomic_load(&W.raw_stop); k++) { /* 60 s at most */
			sleep_ms(100);
			if (send(fd, " ", 1, MSG_NOSIGNAL) <= 0)
				break;
		}
	} else if (kind == RAW_NOT_HTTP) {
		static const char junk[] = "SSH-2.0-OpenSSH_9.2\r\n\x01\x02\x03\r\n\r\n";
		send_all(fd, junk, sizeof(junk) - 1);
	}
	/* RAW_EOF and the rest: close without a word. */
	close(fd);
	atomic_fetch_sub(&W.raw_conns, 1);
	return NULL;
}

static void *
raw_accept(void *arg)
{
	(void)arg;
	while (!atomic_load(&W.raw_stop)) {
		struct pollfd pfd = {W.raw_fd, POLLIN, 0};
		pthread_t t;
		int fd;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		fd = accept4(W.raw_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		atomic_fetch_add(&W.raw_conns, 1);
		if (pthread_create(&t, NULL, raw_conn, (void *)(intptr_t)fd) != 0) {
			close(fd);
			atomic_fetch_sub(&W.raw_conns, 1);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

static void
raw_start(void)
{
	struct sockaddr_in sin = {0};
	socklen_t len = sizeof(sin);

	W.raw_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(W.raw_fd, 0);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(W.raw_fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(W.raw_fd, 64), 0);
	ck_assert_int_eq(getsockname(W.raw_fd, (struct sockaddr *)&sin, &len), 0);
	W.raw_port = ntohs(sin.sin_port);
	atomic_store(&W.raw_stop, false);
	ck_assert_int_eq(pthread_create(&W.raw_thread, NULL, raw_accept, NULL), 0);
}

static void
raw_stop(void)
{
	long deadline = now_ms() + 10000;
	atomic_store(&W.raw_stop, true);
	pthread_join(W.raw_thread, NULL);
	close(W.raw_fd);
	while (atomic_load(&W.raw_conns) > 0 && now_ms() < deadline)
		sleep_ms(20);
}

/* --- mock-sts ---------------------------------------------------------------------- */

/* Starts mock-sts mapped to both issuers; `extra` ends with NULL. `wrap`
 * (NULL or a shell line) runs it through /bin/sh -c with "$@" = mock-sts ... */
static void
sts_spawn(const char *wrap, const char *fetch_timeout, const char *const *extra)
{
	static char maps[NISS + RAW_COUNT][256];
	char *argv[128];
	size_t n = 0;

	if (wrap) {
		argv[n++] = "/bin/sh";
		argv[n++] = "-c";
		argv[n++] = (char *)wrap;
	}
	argv[n++] = (char *)tl_test_program("MOCK_STS");
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--fetch-timeout";
	argv[n++] = (char *)(fetch_timeout ? fetch_timeout : FETCH_TIMEOUT_MS);
	for (int i = 0; i < NISS; i++) {
		snprintf(maps[i], sizeof(maps[i]), "https://" HOST "/v%d=http://127.0.0.1:%u/v%d",
			 i, W.issuer_port, i);
		argv[n++] = "--issuer-map";
		argv[n++] = maps[i];
	}
	for (int k = 0; k < RAW_COUNT; k++) {
		snprintf(maps[NISS + k], sizeof(maps[0]),
			 "https://" RAW_HOST "/%s=http://127.0.0.1:%u/%s", raw_names[k], W.raw_port,
			 raw_names[k]);
		argv[n++] = "--issuer-map";
		argv[n++] = maps[NISS + k];
	}
	for (; extra && *extra && n < 126; extra++)
		argv[n++] = (char *)*extra;
	argv[n] = NULL;
	ck_assert_msg(tl_test_spawn_server(&W.sts, argv, 20000) == 0, "mock-sts did not start");
}

static struct tl_exchange *
xc_new(void)
{
	struct tl_exchange_config cfg = {0};
	struct tl_exchange *x;
	struct tl_error err;

	cfg.sts_url = W.sts.url;
	cfg.timeout_ms = 60000; /* "never hangs": far beyond every server-side timeout */
	x = tl_exchange_new(&cfg, &err);
	ck_assert_msg(x != NULL, "%s", err.message);
	return x;
}

/* An AWS query call: key, value, ..., NULL. Returns the status (-1: no reply). */
static long
call(struct tl_exchange *x, const char *service, struct tl_aws_reply *r, ...)
{
	const char *params[64];
	size_t n = 0;
	struct tl_error err;
	va_list ap;

	va_start(ap, r);
	while (n < 63 && (params[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	params[n] = NULL;
	tl_aws_reply_finish(r);
	tl_aws_reply_init(r);
	if (tl_exchange_aws_call(x, service, params, r, &err) < 0)
		return -1;
	return r->status;
}

static void
policy_for(const char *provider_host_path, char *out, size_t size)
{
	snprintf(out, size,
		 "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{"
		 "\"Federated\":\"arn:aws:iam::" ACCOUNT ":oidc-provider/%s\"},\"Action\":"
		 "\"sts:AssumeRoleWithWebIdentity\",\"Condition\":{\"StringEquals\":{\"%s:aud\":"
		 "\"sts.amazonaws.com\"},\"StringLike\":{\"%s:sub\":\"repo:acme/*\"}}}]}",
		 provider_host_path, provider_host_path, provider_host_path);
}

/* A provider and a role r-<name> trusting it, through the IAM API. */
static void
setup_issuer(const char *host_path, const char *role)
{
	struct tl_aws_reply r;
	char url[256], policy[1024];

	tl_aws_reply_init(&r);
	snprintf(url, sizeof(url), "https://%s", host_path);
	policy_for(host_path, policy, sizeof(policy));
	ck_assert_msg(call(W.xc, "iam", &r, "Action", "CreateOpenIDConnectProvider", "Version",
			   "2010-05-08", "Url", url, "ClientIDList.member.1", "sts.amazonaws.com",
			   NULL) == 200,
		      "provider %s: %ld %s", url, r.status, r.message);
	ck_assert_msg(call(W.xc, "iam", &r, "Action", "CreateRole", "Version", "2010-05-08",
			   "RoleName", role, "AssumeRolePolicyDocument", policy, NULL) == 200,
		      "role %s: %ld %s", role, r.status, r.message);
	tl_aws_reply_finish(&r);
}

static char *
mint(const struct tl_jose_key *key, const char *iss, const char *sub)
{
	int64_t now = (int64_t)time(NULL);
	json_t *claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "iss", iss, "sub", sub, "aud",
				   "sts.amazonaws.com", "iat", (json_int_t)(now - 5), "nbf",
				   (json_int_t)(now - 5), "exp", (json_int_t)(now + 900));
	json_t *header = tl_jws_header_new(key, TL_JOSE_ALG_ES256,
					   TL_JWS_HEADER_TYP | TL_JWS_HEADER_KID, NULL);
	char *token = NULL;

	ck_assert_int_eq(tl_jws_sign(key, TL_JOSE_ALG_ES256, header, claims, &token, NULL), 0);
	json_decref(claims);
	json_decref(header);
	return token;
}

static long
assume(struct tl_exchange *x, const char *role, const char *token, struct tl_aws_reply *r)
{
	char arn[256];
	struct tl_error err;

	snprintf(arn, sizeof(arn), "arn:aws:iam::" ACCOUNT ":role/%s", role);
	tl_aws_reply_finish(r);
	tl_aws_reply_init(r);
	if (tl_exchange_assume(x, arn, "ci", token, 0, r, NULL, &err) < 0)
		return -1;
	return r->status;
}

static long
assume_v(struct tl_exchange *x, int i, const struct tl_jose_key *key, struct tl_aws_reply *r)
{
	char iss[128], role[32];
	char *tok;
	long st;

	iss_of(i, iss, sizeof(iss));
	snprintf(role, sizeof(role), "r-v%d", i);
	tok = mint(key, iss, "repo:acme/app:ref:refs/heads/main");
	st = assume(x, role, tok, r);
	free(tok);
	return st;
}

/* The decision trace of a reply, as text ("" when it cannot be had). */
static void
trace_text(struct tl_exchange *x, const struct tl_aws_reply *r, char *out, size_t size)
{
	json_t *d = r->request_id[0] ? tl_exchange_decision(x, r->request_id, NULL) : NULL;
	char *s = d ? json_dumps(d, JSON_COMPACT) : NULL;
	snprintf(out, size, "%s", s ? s : "");
	free(s);
	json_decref(d);
}

/* "Recovers": retried as an SDK retries IDPCommunicationError, it must
 * succeed within the bound (generous: the verdict must not hang on speed). */
static void
assert_recovers(int i, const char *what)
{
	struct tl_aws_reply r;
	long deadline = now_ms() + 30000, st = -1;

	tl_aws_reply_init(&r);
	while (now_ms() < deadline) {
		st = assume_v(W.xc, i, W.key, &r);
		if (st == 200)
			break;
		ck_assert_msg(st == 400 && strcmp(r.code, "IDPCommunicationError") == 0,
			      "%s: while recovering: %ld %s %s", what, st, r.code, r.message);
		sleep_ms(250);
	}
	ck_assert_msg(st == 200, "%s: no recovery: %ld %s %s", what, st, r.code, r.decision);
	tl_aws_reply_finish(&r);
}

static int
health(void)
{
	char req[128];
	int n = snprintf(req, sizeof(req),
			 "GET /_trustlab/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	return tl_test_raw_http(W.sts.port, req, (size_t)n, false, 30000, NULL, 0);
}

static int
fd_count(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
setup(void)
{
	struct tl_error err;

	memset(&W, 0, sizeof(W));
	pthread_mutex_init(&W.lock, NULL);
	W.key = tl_jose_key_generate("P-256", &err);
	ck_assert_ptr_nonnull(W.key);
	ck_assert_int_eq(tl_jose_key_set_kid(W.key, "stable", NULL), 0);
	publish(&W.key, 1);
	issuer_start("127.0.0.1:0");
	raw_start();
	snprintf(W.dir, sizeof(W.dir), "/tmp/test-faults-%d", (int)getpid());
	mkdir(W.dir, 0700);
}

static void
teardown(void)
{
	char cmd[512];

	tl_exchange_free(W.xc);
	if (W.sts.pid > 0)
		tl_test_stop(&W.sts, SIGKILL, 5000);
	issuer_stop();
	raw_stop();
	for (int i = 0; i < NISS; i++) {
		free(W.v[i].disc_body);
		free(W.v[i].jwks_body);
	}
	free(W.jwks_text);
	tl_jose_key_free(W.key);
	snprintf(cmd, sizeof(cmd),
		 "chattr -R -i %s 2>/dev/null; chmod -R u+w %s 2>/dev/null; rm -rf %s", W.dir,
		 W.dir, W.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", W.dir);
}

/* mock-sts with providers and roles r-v<i> for the issuers `from`..`to`. */
static void
start_with_issuers(int from, int to, const char *fetch_timeout)
{
	sts_spawn(NULL, fetch_timeout, NULL);
	W.xc = xc_new();
	for (int i = from; i <= to; i++) {
		char hp[128], role[32];
		snprintf(hp, sizeof(hp), HOST "/v%d", i);
		snprintf(role, sizeof(role), "r-v%d", i);
		setup_issuer(hp, role);
	}
}

#define ASSERT_AWS(r, st, want_status, want_code, what)                                            \
	ck_assert_msg((st) == (want_status) && strcmp((r)->code, (want_code)) == 0,                \
		      "%s: got %ld %s (%s), want %d %s; decision %s", what, (long)(st), (r)->code, \
		      (r)->message, want_status, want_code, (r)->decision)

/* --- issuer faults ----------------------------------------------------------------- */

START_TEST(issuer_down_then_back)
{
	struct tl_aws_reply r;
	char trace[16384], listen[32];
	long st;

	tl_aws_reply_init(&r);
	start_with_issuers(0, 0, NULL);
	snprintf(listen, sizeof(listen), "%s", W.issuer_listen);
	issuer_stop(); /* connection refused */
	for (int k = 0; k < 3; k++) {
		st = assume_v(W.xc, 0, W.key, &r);
		ASSERT_AWS(&r, st, 400, "IDPCommunicationError", "issuer down");
		ck_assert_msg(strstr(r.message, "Couldn't retrieve verification key"), "%s",
			      r.message);
	}
	trace_text(W.xc, &r, trace, sizeof(trace));
	ck_assert_msg(strstr(trace, "openid-configuration"), "trace names the URL: %s", trace);
	ck_assert_int_eq(health(), 200); /* the rest of the service is unaffected */
	issuer_start(listen); /* back, on the same port */
	assert_recovers(0, "issuer back");
	tl_aws_reply_finish(&r);
}
END_TEST

START_TEST(issuer_http_errors_then_back)
{
	static const struct {
		unsigned disc_status, jwks_status;
		const char *disc_body;
	} cases[] = {
		{500, 0, NULL}, {404, 0, NULL}, {0, 500, NULL},
		{0, 503, NULL}, {0, 403, NULL}, {302, 0, "{}"}, /* a redirect is not followed */
		{0, 204, NULL},
	};
	struct tl_aws_reply r;
	size_t n = sizeof(cases) / sizeof(cases[0]);

	tl_aws_reply_init(&r);
	start_with_issuers(0, (int)n - 1, NULL);
	for (size_t c = 0; c < n; c++) {
		struct variant v = {0};
		char what[64];
		long st;
		v.disc_status = cases[c].disc_status;
		v.jwks_status = cases[c].jwks_status;
		if (cases[c].disc_body) {
			v.disc_body = bytes(cases[c].disc_body, strlen(cases[c].disc_body));
			v.disc_len = strlen(cases[c].disc_body);
		}
		variant_set((int)c, &v);
		snprintf(what, sizeof(what), "case %zu (discovery %u, jwks %u)", c, v.disc_status,
			 v.jwks_status);
		st = assume_v(W.xc, (int)c, W.key, &r);
		ASSERT_AWS(&r, st, 400, "IDPCommunicationError", what);
		memset(&v, 0, sizeof(v));
		variant_set((int)c, &v);
		assert_recovers((int)c, what);
	}
	tl_aws_reply_finish(&r);
}
END_TEST

struct par {
	int issuer;
	long status;
	char code[128];
};

static void *
par_assume(void *arg)
{
	struct par *p = arg;
	struct tl_exchange *x = xc_new();
	struct tl_aws_reply r;

	tl_aws_reply_init(&r);
	p->status = assume_v(x, p->issuer, W.key, &r);
	snprintf(p->code, sizeof(p->code), "%s", r.code);
	tl_aws_reply_finish(&r);
	tl_exchange_free(x);
	return NULL;
}

/*
 * A JWKS slower than --fetch-timeout: IDPCommunicationError, and the
 * requests queued behind the slow fetch get the error at once instead of
 * each waiting out the timeout in turn (the regression: 6 concurrent
 * requests made 6 sequential fetches, holding every server thread).
 */
START_TEST(issuer_slow_past_timeout)
{
	enum { N = 6 };
	struct par p[N];
	pthread_t t[N];
	struct variant v = {0};
	struct tl_aws_reply r;
	long st;

	tl_aws_reply_init(&r);
	start_with_issuers(0, 1, NULL);
	v.slow_ms = 3000; /* --fetch-timeout is 800 ms */
	variant_set(0, &v);
	for (int k = 0; k < N; k++) {
		p[k] = (struct par){.issuer = 0};
		ck_assert_int_eq(pthread_create(&t[k], NULL, par_assume, &p[k]), 0);
	}
	ck_assert_int_eq(health(), 200);
	for (int k = 0; k < N; k++) {
		pthread_join(t[k], NULL);
		ck_assert_msg(p[k].status == 400 && strcmp(p[k].code, "IDPCommunicationError") == 0,
			      "request %d: %ld %s", k, p[k].status, p[k].code);
	}
	ck_assert_msg(atomic_load(&W.jwks_hits[0]) < N,
		      "%d JWKS fetches for %d queued requests: failures are not remembered",
		      atomic_load(&W.jwks_hits[0]), N);
	/* Another issuer is not held up by the slow one. */
	st = assume_v(W.xc, 1, W.key, &r);
	ck_assert_msg(st == 200, "other issuer: %ld %s", st, r.code);
	memset(&v, 0, sizeof(v));
	variant_set(0, &v);
	assert_recovers(0, "slow issuer fast again");
	tl_aws_reply_finish(&r);
}
END_TEST

/* Bodies that are not a discovery document or a JWKS. */
START_TEST(issuer_garbage_then_back)
{
	static const char binary[] = "\x00\xff\xfe{\"keys\"\x01\x80\x81 \xc3\x28";
	char deep[20001];
	struct {
		bool disc; /* the discovery document, else the JWKS */
		const char *body;
		size_t len;
		const char *code;
		int status;
	} cases[] = {
		{true, binary, sizeof(binary) - 1, "IDPCommunicationError", 400},
		{true, "[1,2]", 5, "IDPCommunicationError", 400},
		{true, "{\"issuer\":\"x\"}", 14, "IDPCommunicationError", 400},
		{true, "{\"jwks_uri\":\"file:///etc/passwd\"}", 34, "IDPCommunicationError", 400},
		{true, "{\"jwks_uri\":42}", 15, "IDPCommunicationError", 400},
		{true, "<html>503</html>", 16, "IDPCommunicationError", 400},
		{false, binary, sizeof(binary) - 1, "IDPCommunicationError", 400},
		{false, "{\"keys\":\"nope\"}", 15, "IDPCommunicationError", 400},
		{false, "{\"keys\":[],\"keys\":[]}", 21, "IDPCommunicationError", 400},
		{false, "{\"keys\":[", 9, "IDPCommunicationError", 400},
		{false, "", 0, "IDPCommunicationError", 400},
		{false, "null", 4, "IDPCommunicationError", 400},
		{false, deep, sizeof(deep) - 1, "IDPCommunicationError", 400},
		{false,
		 "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"stable\",\"crv\":\"P-256\",\"x\":\"AA\","
		 "\"y\":\"AA\"}]}",
		 72, "InvalidIdentityToken", 400},
		{false, "{\"keys\":[]}", 11, "InvalidIdentityToken", 400},
	};
	size_t n = sizeof(cases) / sizeof(cases[0]);
	struct tl_aws_reply r;

	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	ck_assert_uint_le(n, NISS);
	tl_aws_reply_init(&r);
	start_with_issuers(0, (int)n - 1, NULL);
	for (size_t c = 0; c < n; c++) {
		struct variant v = {0};
		char what[128];
		long st;
		if (cases[c].body != binary)
			cases[c].len = strlen(cases[c].body);
		if (cases[c].disc) {
			v.disc_body = bytes(cases[c].body, cases[c].len);
			v.disc_len = cases[c].len;
		} else {
			v.jwks_body = bytes(cases[c].body, cases[c].len);
			v.jwks_len = cases[c].len;
		}
		variant_set((int)c, &v);
		snprintf(what, sizeof(what), "case %zu (%s %.30s)", c,
			 cases[c].disc ? "discovery" : "jwks",
			 cases[c].body == binary ? "<binary>" : cases[c].body);
		st = assume_v(W.xc, (int)c, W.key, &r);
		ASSERT_AWS(&r, st, cases[c].status, cases[c].code, what);
		memset(&v, 0, sizeof(v));
		variant_set((int)c, &v);
		if (strcmp(cases[c].code, "IDPCommunicationError") == 0)
			assert_recovers((int)c, what);
	}
	tl_aws_reply_finish(&r);
}
END_TEST

/* Over the 1 MiB document cap, with and without Content-Length, a body
 * that never ends in time, a peer that is not HTTP. */
START_TEST(issuer_huge_drip_and_not_http)
{
	struct tl_aws_reply r;
	size_t big = 2u * 1024 * 1024;
	char *pad = malloc(big + 64), trace[16384];
	struct variant v = {0};
	long st;
	int fds;

	ck_assert_ptr_nonnull(pad);
	tl_aws_reply_init(&r);
	start_with_issuers(0, 1, NULL);
	for (int k = 0; k < RAW_COUNT; k++) {
		char hp[128], role[32];
		snprintf(hp, sizeof(hp), RAW_HOST "/%s", raw_names[k]);
		snprintf(role, sizeof(role), "r-%s", raw_names[k]);
		setup_issuer(hp, role);
	}
	/* A valid JWKS, 2 MiB long. */
	{
		int len = snprintf(pad, big + 64, "%s", W.jwks_text);
		pad[len - 1] = '\0'; /* drop the closing brace */
		len = (int)strlen(pad);
		len += snprintf(pad + len, big + 64 - (size_t)len, ",\"pad\":\"");
		memset(pad + len, 'x', big - (size_t)len);
		snprintf(pad + big, 64, "\"}");
	}
	v.jwks_body = bytes(pad, strlen(pad));
	v.jwks_len = strlen(pad);
	variant_set(0, &v);
	v.jwks_body = NULL;
	v.disc_body = bytes(pad, strlen(pad));
	v.disc_len = strlen(pad);
	variant_set(1, &v);
	free(pad);
	for (int i = 0; i < 2; i++) {
		st = assume_v(W.xc, i, W.key, &r);
		ASSERT_AWS(&r, st, 400, "IDPCommunicationError",
			   i ? "huge discovery" : "huge JWKS");
		trace_text(W.xc, &r, trace, sizeof(trace));
		ck_assert_msg(strstr(trace, "larger than the limit"), "issuer %d: %s", i, trace);
		memset(&v, 0, sizeof(v));
		variant_set(i, &v);
		assert_recovers(i, "huge document replaced");
	}
	for (int k = 0; k < RAW_COUNT; k++) {
		char iss[128], role[32];
		char *tok;
		snprintf(iss, sizeof(iss), "https://" RAW_HOST "/%s", raw_names[k]);
		snprintf(role, sizeof(role), "r-%s", raw_names[k]);
		tok = mint(W.key, iss, "repo:acme/app");
		st = assume(W.xc, role, tok, &r);
		free(tok);
		ASSERT_AWS(&r, st, 400, "IDPCommunicationError", raw_names[k]);
	}
	ck_assert_int_eq(health(), 200);
	/* Nothing is left open towards the issuers once they are done. */
	fds = fd_count(W.sts.pid);
	ck_assert_msg(fds > 0 && fds < 64, "mock-sts holds %d fds", fds);
	tl_aws_reply_finish(&r);
}
END_TEST

struct steady {
	atomic_bool stop;
	long ok, bad;
	char last[512];
};

static void *
steady_load(void *arg)
{
	struct steady *s = arg;
	struct tl_exchange *x = xc_new();
	struct tl_aws_reply r;

	tl_aws_reply_init(&r);
	while (!atomic_load(&s->stop)) {
		long st = assume_v(x, 0, W.key, &r);
		if (st == 200)
			s->ok++;
		else {
			s->bad++;
			snprintf(s->last, sizeof(s->last), "%ld %.100s %.300s", st, r.code,
				 r.decision);
		}
	}
	tl_aws_reply_finish(&r);
	tl_exchange_free(x);
	return NULL;
}

/*
 * Keys rotate while tokens stream in: a key that stays published never
 * fails, a new key works as soon as the refetch window allows (one second),
 * a retired key is refused once a refetch has dropped it.
 */
START_TEST(issuer_rotates_keys_mid_run)
{
	enum { ROUNDS = 4 };
	struct tl_jose_key *k[ROUNDS + 2];
	struct steady s[2];
	pthread_t t[2];
	struct tl_aws_reply r;

	tl_aws_reply_init(&r);
	for (int i = 0; i < ROUNDS + 2; i++) {
		char kid[16];
		k[i] = tl_jose_key_generate("P-256", NULL);
		ck_assert_ptr_nonnull(k[i]);
		snprintf(kid, sizeof(kid), "rot-%d", i);
		ck_assert_int_eq(tl_jose_key_set_kid(k[i], kid, NULL), 0);
	}
	{
		struct tl_jose_key *pub[2] = {W.key, k[0]};
		publish(pub, 2);
	}
	start_with_issuers(0, 0, NULL);
	ck_assert_int_eq(assume_v(W.xc, 0, k[0], &r), 200);
	for (int i = 0; i < 2; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		ck_assert_int_eq(pthread_create(&t[i], NULL, steady_load, &s[i]), 0);
	}
	for (int round = 1; round <= ROUNDS; round++) {
		struct tl_jose_key *pub[3] = {W.key, k[round - 1], k[round]};
		long st;
		publish(pub, 3); /* the new key appears beside the current one */
		sleep_ms(1100); /* past the refetch window of the previous round */
		st = assume_v(W.xc, 0, k[round], &r);
		ck_assert_msg(st == 200, "round %d: new key: %ld %s %s", round, st, r.code,
			      r.decision);
		if (round >= 2) {
			/* k[round-2] left the JWKS a round ago; this refetch dropped it. */
			st = assume_v(W.xc, 0, k[round - 2], &r);
			ASSERT_AWS(&r, st, 400, "InvalidIdentityToken", "retired key");
			ck_assert_msg(strstr(r.decision, "kid-unknown"), "round %d: %s", round,
				      r.decision);
		}
		{
			struct tl_jose_key *now[2] = {W.key, k[round]};
			publish(now, 2); /* the old key retires */
		}
	}
	for (int i = 0; i < 2; i++) {
		atomic_store(&s[i].stop, true);
		pthread_join(t[i], NULL);
		ck_assert_msg(s[i].bad == 0 && s[i].ok > 0,
			      "steady load %d: %ld ok, %ld failed (last: %s)", i, s[i].ok, s[i].bad,
			      s[i].last);
	}
	for (int i = 0; i < ROUNDS + 2; i++)
		tl_jose_key_free(k[i]);
	tl_aws_reply_finish(&r);
}
END_TEST

/* --- the state file -------------------------------------------------------------- */

static char *
read_text(const char *path)
{
	char *data = NULL;
	size_t len;
	if (tl_file_read(path, 64u << 20, &data, &len, NULL) < 0)
		return NULL;
	return data;
}

static void
assert_state_loadable(const char *path, const char *const *present, const char *const *absent)
{
	struct tl_error err;
	json_t *doc = tl_json_load_file(path, NULL, &err);
	char *text;

	ck_assert_msg(doc != NULL, "%s does not parse: %s", path, err.message);
	json_decref(doc);
	text = read_text(path);
	ck_assert_ptr_nonnull(text);
	for (; present && *present; present++)
		ck_assert_msg(strstr(text, *present), "%s lacks %s", path, *present);
	for (; absent && *absent; absent++)
		ck_assert_msg(!strstr(text, *absent), "%s holds %s", path, *absent);
	free(text);
}

static void
no_temporaries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		ck_assert_msg(!strstr(e->d_name, ".tmp-"), "temporary file left: %s/%s", dir,
			      e->d_name);
	closedir(d);
}

static long
create_role(struct tl_exchange *x, const char *name, const char *policy, struct tl_aws_reply *r)
{
	return call(x, "iam", r, "Action", "CreateRole", "Version", "2010-05-08", "RoleName", name,
		    "AssumeRolePolicyDocument", policy, NULL);
}

static long
get_role(struct tl_exchange *x, const char *name, struct tl_aws_reply *r)
{
	return call(x, "iam", r, "Action", "GetRole", "Version", "2010-05-08", "RoleName", name,
		    NULL);
}

static void
stop_sts_cleanly(const char *what)
{
	int status = tl_test_stop(&W.sts, SIGTERM, 30000);
	ck_assert_msg(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "%s: mock-sts did not exit 0 on SIGTERM (status %d)", what, status);
	tl_exchange_free(W.xc);
	W.xc = NULL;
}

/*
 * Makes `dir` unwritable (chmod for a user; root ignores modes, so the
 * immutable attribute, chattr +i, for root) and checks that it worked.
 */
static bool
make_read_only(const char *dir, bool ro)
{
	char cmd[512], probe[400];
	int fd;

	if (geteuid() != 0) {
		if (chmod(dir, ro ? 0500 : 0700) < 0)
			return false;
	} else {
		snprintf(cmd, sizeof(cmd), "chattr %ci '%s' 2>/dev/null", ro ? '+' : '-', dir);
		if (system(cmd) != 0)
			return false;
	}
	if (!ro)
		return true;
	snprintf(probe, sizeof(probe), "%s/probe", dir);
	fd = open(probe, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		unlink(probe);
		make_read_only(dir, false);
		return false;
	}
	return true;
}

/* The state file's directory turns read-only: the write fails with IAM's
 * ServiceFailure, nothing is published, the old file stays whole. */
START_TEST(state_directory_unwritable)
{
	char sub[256], state[300], policy[1024];
	const char *args[] = {"--state", state, NULL};
	const char *keep[] = {"\"keep\"", NULL}, *lost[] = {"\"lost\"", NULL};
	struct tl_aws_reply r;
	long st;

	tl_aws_reply_init(&r);
	snprintf(sub, sizeof(sub), "%s/ro", W.dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	snprintf(state, sizeof(state), "%s/state.json", sub);
	policy_for(HOST "/v0", policy, sizeof(policy));
	sts_spawn(NULL, NULL, args);
	W.xc = xc_new();
	ck_assert_int_eq(create_role(W.xc, "keep", policy, &r), 200);
	if (!make_read_only(sub, true)) {
		fprintf(stderr, "# skipped: cannot make %s read-only here\n", sub);
		stop_sts_cleanly("skipped");
		tl_aws_reply_finish(&r);
		return;
	}
	st = create_role(W.xc, "lost", policy, &r);
	ASSERT_AWS(&r, st, 500, "ServiceFailure", "CreateRole, directory read-only");
	ck_assert_msg(strstr(r.message, "state"), "%s", r.message);
	st = call(W.xc, "iam", &r, "Action", "DeleteRole", "Version", "2010-05-08", "RoleName",
		  "keep", NULL);
	ASSERT_AWS(&r, st, 500, "ServiceFailure", "DeleteRole, directory read-only");
	st = get_role(W.xc, "lost", &r);
	ASSERT_AWS(&r, st, 404, "NoSuchEntity", "the failed role was not published");
	ck_assert_int_eq(get_role(W.xc, "keep", &r), 200);
	ck_assert_int_eq(health(), 200);
	stop_sts_cleanly("read-only directory");
	make_read_only(sub, false);
	assert_state_loadable(state, keep, lost);
	no_temporaries(sub);
	sts_spawn(NULL, NULL, args);
	W.xc = xc_new();
	ck_assert_int_eq(get_role(W.xc, "keep", &r), 200);
	ck_assert_int_eq(create_role(W.xc, "after", policy, &r), 200); /* writable again */
	stop_sts_cleanly("writable again");
	tl_aws_reply_finish(&r);
}
END_TEST

/*
 * Disk full, simulated with RLIMIT_FSIZE in the child (SIGXFSZ ignored, so
 * the write fails with EFBIG instead of killing the process): the bigger
 * new state cannot be written; the request fails, the old file is
 * unchanged byte for byte and no temporary file is left behind.
 */
START_TEST(state_disk_full)
{
	char state[300], policy[1024], big_policy[4096], *before, *after;
	const char *args[] = {"--state", state, "--policy-max-size", "4096", NULL};
	const char *absent[] = {"\"big-0\"", NULL};
	struct tl_aws_reply r;
	struct stat sb;
	long st, blocks;

	tl_aws_reply_init(&r);
	snprintf(state, sizeof(state), "%s/state.json", W.dir);
	policy_for(HOST "/v0", policy, sizeof(policy));
	sts_spawn(NULL, NULL, args);
	W.xc = xc_new();
	for (int i = 0; i < 3; i++) {
		char name[16];
		snprintf(name, sizeof(name), "small-%d", i);
		ck_assert_int_eq(create_role(W.xc, name, policy, &r), 200);
	}
	stop_sts_cleanly("before the limit");
	ck_assert_int_eq(stat(state, &sb), 0);
	before = read_text(state);
	ck_assert_ptr_nonnull(before);
	/* Room for the current state plus a little: a 3 KB policy does not fit. */
	blocks = (long)(sb.st_size + 1024) / 512 + 1;
	{
		/* A valid policy of about 3,000 characters. */
		char sub_list[3200] = "";
		size_t used = 0;
		for (int i = 0; used + 40 < 2900; i++)
			used += (size_t)snprintf(sub_list + used, sizeof(sub_list) - used,
						 "%s\"repo:acme/app-%04d:*\"", i ? "," : "", i);
		snprintf(big_policy, sizeof(big_policy),
			 "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
			 "\"Principal\":{\"Federated\":\"arn:aws:iam::" ACCOUNT
			 ":oidc-provider/" HOST
			 "/v0\"},\"Action\":\"sts:AssumeRoleWithWebIdentity\","
			 "\"Condition\":{\"StringLike\":{\"" HOST "/v0:sub\":[%s]}}}]}",
			 sub_list);
	}
	{
		/* sh -c 'script' mock-sts ...: $0 = mock-sts, "$@" = the flags. */
		char script[300];
		snprintf(script, sizeof(script),
			 "trap '' XFSZ; ulimit -f %ld && exec \"$0\" \"$@\"", blocks);
		sts_spawn(script, NULL, args);
	}
	W.xc = xc_new();
	st = create_role(W.xc, "big-0", big_policy, &r);
	ASSERT_AWS(&r, st, 500, "ServiceFailure", "CreateRole on a full disk");
	ck_assert_msg(strstr(r.message, "state") && strstr(r.message, "large"),
		      "the message says why: %s", r.message);
	st = get_role(W.xc, "big-0", &r);
	ASSERT_AWS(&r, st, 404, "NoSuchEntity", "the failed role was not published");
	ck_assert_int_eq(get_role(W.xc, "small-1", &r), 200);
	ck_assert_int_eq(health(), 200);
	stop_sts_cleanly("full disk");
	after = read_text(state);
	ck_assert_ptr_nonnull(after);
	ck_assert_msg(strcmp(before, after) == 0, "the old state changed");
	assert_state_loadable(state, NULL, absent);
	no_temporaries(W.dir);
	free(before);
	free(after);
	/* Room again: the same write succeeds. */
	sts_spawn(NULL, NULL, args);
	W.xc = xc_new();
	ck_assert_int_eq(create_role(W.xc, "big-0", big_policy, &r), 200);
	stop_sts_cleanly("room again");
	tl_aws_reply_finish(&r);
}
END_TEST

/* --- kill -9 during IAM writes ---------------------------------------------------- */

enum op_kind { OP_CREATE_ROLE, OP_CREATE_PROVIDER, OP_DELETE_ROLE };

struct op {
	enum op_kind kind;
	char name[64];
};

#define SET_MAX 2048

struct model {
	char roles[SET_MAX][64];
	size_t nroles;
	char providers[SET_MAX][128];
	size_t nproviders;
};

static void
model_apply(struct model *m, const struct op *o)
{
	if (o->kind == OP_CREATE_ROLE)
		snprintf(m->roles[m->nroles++], 64, "%s", o->name);
	else if (o->kind == OP_CREATE_PROVIDER)
		snprintf(m->providers[m->nproviders++], 128, "%s", o->name);
	else
		for (size_t i = 0; i < m->nroles; i++)
			if (strcmp(m->roles[i], o->name) == 0) {
				memmove(m->roles[i], m->roles[i + 1],
					(m->nroles - i - 1) * sizeof(m->roles[0]));
				m->nroles--;
				break;
			}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted, joined names of a model, for comparison. */
static void
model_text(const struct model *m, struct tl_buf *out)
{
	const char *v[SET_MAX];
	tl_buf_reset(out);
	for (size_t i = 0; i < m->nroles; i++)
		v[i] = m->roles[i];
	qsort(v, m->nroles, sizeof(v[0]), cmp_str);
	for (size_t i = 0; i < m->nroles; i++)
		tl_buf_printf(out, NULL, "role %s\n", v[i]);
	for (size_t i = 0; i < m->nproviders; i++)
		v[i] = m->providers[i];
	qsort(v, m->nproviders, sizeof(v[0]), cmp_str);
	for (size_t i = 0; i < m->nproviders; i++)
		tl_buf_printf(out, NULL, "provider %s\n", v[i]);
}

/* What the restarted server holds, read over the IAM API. */
static void
server_model(struct model *m)
{
	struct tl_aws_reply r;
	const char *p;

	memset(m, 0, sizeof(*m));
	tl_aws_reply_init(&r);
	ck_assert_int_eq(call(W.xc, "iam", &r, "Action", "ListRoles", "Version", "2010-05-08",
			      "MaxItems", "1000", NULL),
			 200);
	ck_assert_msg(!strstr(tl_buf_str(&r.body), "<IsTruncated>true"), "ListRoles truncated");
	for (p = tl_buf_str(&r.body); (p = strstr(p, "<RoleName>")); p++) {
		const char *s = p + 10, *e = strstr(s, "</RoleName>");
		ck_assert_ptr_nonnull(e);
		snprintf(m->roles[m->nroles++], 64, "%.*s", (int)(e - s), s);
	}
	ck_assert_int_eq(call(W.xc, "iam", &r, "Action", "ListOpenIDConnectProviders", "Version",
			      "2010-05-08", NULL),
			 200);
	for (p = tl_buf_str(&r.body); (p = strstr(p, "<Arn>")); p++) {
		const char *s = strstr(p, ":oidc-provider/"), *e = strstr(p, "</Arn>");
		ck_assert_msg(s && e && s < e, "provider ARN");
		s += strlen(":oidc-provider/");
		snprintf(m->providers[m->nproviders++], 128, "https://%.*s", (int)(e - s), s);
	}
	tl_aws_reply_finish(&r);
}

struct killer {
	pid_t pid;
	long delay_ms;
};

static void *
killer_run(void *arg)
{
	struct killer *k = arg;
	sleep_ms(k->delay_ms);
	kill(k->pid, SIGKILL);
	return NULL;
}

/*
 * A stream of IAM writes (CreateRole, CreateOpenIDConnectProvider,
 * DeleteRole), SIGKILL at a different moment each round, restart on the
 * same state file: what the server holds is exactly the writes of some
 * prefix of the stream that contains every acknowledged one (the write in
 * flight at the kill may or may not have landed), and the file parses.
 */
START_TEST(kill_9_during_iam_writes)
{
	enum { ROUNDS = 6 };
	static struct model done, with_next, got;
	char state[300], policy[1024];
	/* More providers than the default quota of 100: the stream outlasts it. */
	const char *args[] = {"--state", state, "--max-providers", "100000", NULL};
	struct tl_buf a, b, c;
	struct tl_aws_reply r;
	long total_acked = 0;

	tl_aws_reply_init(&r);
	tl_buf_init(&a, 1 << 20);
	tl_buf_init(&b, 1 << 20);
	tl_buf_init(&c, 1 << 20);
	memset(&done, 0, sizeof(done));
	snprintf(state, sizeof(state), "%s/state.json", W.dir);
	policy_for(HOST "/v0", policy, sizeof(policy));
	for (int round = 0; round < ROUNDS; round++) {
		struct killer k;
		pthread_t kt;
		struct op o;
		int acked = 0;

		sts_spawn(NULL, NULL, args);
		W.xc = xc_new();
		server_model(&got);
		model_text(&got, &a);
		model_text(&done, &b);
		ck_assert_msg(strcmp(tl_buf_str(&a), tl_buf_str(&b)) == 0,
			      "round %d: restart holds\n%s\nexpected\n%s", round, tl_buf_str(&a),
			      tl_buf_str(&b));
		k = (struct killer){W.sts.pid, 30 + round * 70};
		ck_assert_int_eq(pthread_create(&kt, NULL, killer_run, &k), 0);
		for (int i = 0; i < 400; i++) {
			long st;
			memset(&o, 0, sizeof(o));
			if (i % 5 == 4) {
				o.kind = OP_CREATE_PROVIDER;
				snprintf(o.name, sizeof(o.name), "https://p%d-%d.example.com",
					 round, i);
				st = call(W.xc, "iam", &r, "Action", "CreateOpenIDConnectProvider",
					  "Version", "2010-05-08", "Url", o.name,
					  "ClientIDList.member.1", "sts.amazonaws.com", NULL);
			} else if (i % 7 == 6 && done.nroles > 0) {
				o.kind = OP_DELETE_ROLE;
				snprintf(o.name, sizeof(o.name), "%s", done.roles[0]);
				st = call(W.xc, "iam", &r, "Action", "DeleteRole", "Version",
					  "2010-05-08", "RoleName", o.name, NULL);
			} else {
				o.kind = OP_CREATE_ROLE;
				snprintf(o.name, sizeof(o.name), "r%d-%d", round, i);
				st = create_role(W.xc, o.name, policy, &r);
			}
			if (st != 200) {
				ck_assert_msg(st < 0, "round %d write %d: %ld %s %s", round, i, st,
					      r.code, r.message);
				break; /* the server is gone */
			}
			model_apply(&done, &o);
			acked++;
		}
		pthread_join(kt, NULL);
		tl_test_stop(&W.sts, SIGKILL, 5000);
		tl_exchange_free(W.xc);
		W.xc = NULL;
		total_acked += acked;
		/* The one write that was in flight may have landed. */
		with_next = done;
		model_apply(&with_next, &o);
		sts_spawn(NULL, NULL, args);
		W.xc = xc_new();
		server_model(&got);
		model_text(&got, &a);
		model_text(&done, &b);
		model_text(&with_next, &c);
		if (strcmp(tl_buf_str(&a), tl_buf_str(&c)) == 0 &&
		    strcmp(tl_buf_str(&b), tl_buf_str(&c)) != 0)
			done = with_next;
		else
			ck_assert_msg(
				strcmp(tl_buf_str(&a), tl_buf_str(&b)) == 0,
				"round %d (%d acknowledged): restart holds\n%s\nexpected\n%s\n"
				"or\n%s",
				round, acked, tl_buf_str(&a), tl_buf_str(&b), tl_buf_str(&c));
		assert_state_loadable(state, NULL, NULL);
		tl_test_stop(&W.sts, SIGKILL, 5000);
		tl_exchange_free(W.xc);
		W.xc = NULL;
	}
	fprintf(stderr,
		"# kill -9: %d rounds, %ld acknowledged writes, %zu roles and %zu "
		"providers at the end\n",
		ROUNDS, total_acked, done.nroles, done.nproviders);
	tl_buf_finish(&a);
	tl_buf_finish(&b);
	tl_buf_finish(&c);
	tl_aws_reply_finish(&r);
}
END_TEST

/* --- clients that leave, SIGTERM with work in flight ------------------------------ */

static int
connect_sts(void)
{
	struct sockaddr_in sin = {0};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(W.sts.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
abortive_close(int fd)
{
	struct linger l = {1, 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

START_TEST(clients_disconnect_mid_request)
{
	struct tl_aws_reply r;
	char full[16384], *tok;
	int base, fds = -1, n;
	long deadline;

	tl_aws_reply_init(&r);
	start_with_issuers(0, 0, NULL);
	ck_assert_int_eq(assume_v(W.xc, 0, W.key, &r), 200);
	base = fd_count(W.sts.pid);
	{
		char iss[128], body[12000];
		iss_of(0, iss, sizeof(iss));
		tok = mint(W.key, iss, "repo:acme/app");
		snprintf(body, sizeof(body),
			 "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%%3Aaws"
			 "%%3Aiam%%3A%%3A" ACCOUNT "%%3Arole%%2Fr-v0&RoleSessionName=ci&"
			 "WebIdentityToken=%s",
			 tok);
		n = snprintf(full, sizeof(full),
			     "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: "
			     "application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
			     strlen(body), body);
		free(tok);
	}
	for (int round = 0; round < 40; round++) {
		static const char partial_line[] = "POST / HT";
		static const char partial_headers[] = "POST / HTTP/1.1\r\nHost: x\r\nContent-Le";
		static const char partial_body[] =
			"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: "
			"application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\n"
			"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=";
		const struct {
			const char *data;
			size_t len;
		} sends[] = {
			{partial_line, sizeof(partial_line) - 1},
			{partial_headers, sizeof(partial_headers) - 1},
			{partial_body, sizeof(partial_body) - 1},
			{full, (size_t)n}, /* whole request, gone before the answer */
			{"", 0}, /* connect and leave */
		};
		for (size_t s = 0; s < sizeof(sends) / sizeof(sends[0]); s++) {
			int fd = connect_sts();
			ck_assert_msg(fd >= 0, "round %d: connect refused", round);
			if (sends[s].len)
				send_all(fd, sends[s].data, sends[s].len);
			if ((round + (int)s) % 2)
				abortive_close(fd); /* RST */
			else
				close(fd); /* FIN */
		}
	}
	/* Still serving, and every abandoned connection is released. */
	ck_assert_int_eq(health(), 200);
	ck_assert_int_eq(assume_v(W.xc, 0, W.key, &r), 200);
	deadline = now_ms() + 30000;
	while (now_ms() < deadline) {
		fds = fd_count(W.sts.pid);
		if (fds <= base + 2)
			break;
		sleep_ms(100);
	}
	ck_assert_msg(fds <= base + 2, "fds: %d before, %d after", base, fds);
	stop_sts_cleanly("after abandoned requests");
	tl_aws_reply_finish(&r);
}
END_TEST

struct bg {
	atomic_bool stop;
	long ok, refused, bad;
	char last[512];
};

static void *
bg_load(void *arg)
{
	struct bg *b = arg;
	struct tl_exchange *x = xc_new();
	struct tl_aws_reply r;

	tl_aws_reply_init(&r);
	while (!atomic_load(&b->stop)) {
		long st = assume_v(x, 1, W.key, &r);
		if (st == 200)
			b->ok++;
		else if (st < 0)
			b->refused++; /* after the stop: the port is closed */
		else {
			b->bad++;
			snprintf(b->last, sizeof(b->last), "%ld %s", st, r.code);
		}
		if (st < 0)
			break;
	}
	tl_aws_reply_finish(&r);
	tl_exchange_free(x);
	return NULL;
}

/*
 * SIGTERM while one request waits on a slow (but in-time) JWKS fetch and
 * others stream in: the waiting request completes with credentials, then
 * mock-sts exits 0.
 */
START_TEST(sigterm_finishes_in_flight_requests)
{
	struct par slow = {.issuer = 0};
	struct variant v = {0};
	struct bg b[3];
	pthread_t t, bt[3];
	long deadline;
	int status;

	start_with_issuers(0, 1, "10000");
	{
		struct tl_aws_reply r;
		tl_aws_reply_init(&r);
		ck_assert_int_eq(assume_v(W.xc, 1, W.key, &r), 200); /* issuer 1 cached */
		tl_aws_reply_finish(&r);
	}
	v.slow_ms = 1500;
	variant_set(0, &v);
	for (int i = 0; i < 3; i++) {
		memset(&b[i], 0, sizeof(b[i]));
		ck_assert_int_eq(pthread_create(&bt[i], NULL, bg_load, &b[i]), 0);
	}
	ck_assert_int_eq(pthread_create(&t, NULL, par_assume, &slow), 0);
	deadline = now_ms() + 30000;
	while (atomic_load(&W.jwks_inside[0]) == 0 && now_ms() < deadline)
		sleep_ms(5);
	ck_assert_msg(atomic_load(&W.jwks_inside[0]) > 0, "the slow fetch never started");
	status = tl_test_stop(&W.sts, SIGTERM, 30000);
	pthread_join(t, NULL);
	for (int i = 0; i < 3; i++) {
		atomic_store(&b[i].stop, true);
		pthread_join(bt[i], NULL);
		ck_assert_msg(b[i].bad == 0, "load %d: %ld wrong answers (last %s)", i, b[i].bad,
			      b[i].last);
		ck_assert_msg(b[i].ok > 0, "load %d: nothing served", i);
	}
	ck_assert_msg(slow.status == 200, "the in-flight request: %ld %s", slow.status, slow.code);
	ck_assert_msg(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "exit status %d", status);
}
END_TEST

/*
 * More connections than --max-connections (idle ones, as a slowloris sends):
 * mock-sts never holds more than the limit (the rest wait in the kernel's
 * listen backlog, libmicrohttpd stops accepting at the limit), the idle
 * ones are closed by the server after --timeout, a real request gets
 * through once a slot frees, and the process stays well.
 */
START_TEST(connection_flood_is_bounded_then_recovers)
{
	enum { FLOOD = 100, LIMIT = 16 };
	const char *args[] = {"--max-connections", "16", "--timeout", "2", NULL};
	int fds[FLOOD], open_fds = 0, closed_by_server = 0, base, peak = 0;
	struct tl_aws_reply r;
	long deadline, st;

	tl_aws_reply_init(&r);
	sts_spawn(NULL, NULL, args);
	W.xc = xc_new();
	setup_issuer(HOST "/v0", "r-v0");
	ck_assert_int_eq(assume_v(W.xc, 0, W.key, &r), 200);
	tl_exchange_free(W.xc); /* its keep-alive connection would hold a slot */
	W.xc = NULL;
	sleep_ms(2500);
	base = fd_count(W.sts.pid);
	for (int i = 0; i < FLOOD; i++) {
		fds[i] = connect_sts();
		if (fds[i] >= 0)
			open_fds++;
	}
	ck_assert_int_gt(open_fds, LIMIT);
	/* A real request behind the flood is served once idle slots time out. */
	W.xc = xc_new();
	st = assume_v(W.xc, 0, W.key, &r);
	ck_assert_msg(st == 200, "during the flood: %ld %s", st, r.code);
	/* Every flood connection is closed by the server (idle timeout), and
	 * it never holds more than the limit at once. */
	deadline = now_ms() + 120000;
	while (now_ms() < deadline && closed_by_server < open_fds) {
		int fdn = fd_count(W.sts.pid);
		if (fdn > peak)
			peak = fdn;
		closed_by_server = 0;
		for (int i = 0; i < FLOOD; i++) {
			char c;
			if (fds[i] >= 0 && recv(fds[i], &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
				closed_by_server++;
		}
		sleep_ms(100);
	}
	ck_assert_msg(closed_by_server == open_fds, "%d of %d flood connections closed",
		      closed_by_server, open_fds);
	ck_assert_msg(peak <= base + LIMIT + 2, "mock-sts held %d fds (%d before the flood)", peak,
		      base);
	for (int i = 0; i < FLOOD; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	st = assume_v(W.xc, 0, W.key, &r);
	ck_assert_msg(st == 200, "after the flood: %ld %s", st, r.code);
	ck_assert_int_eq(health(), 200);
	fprintf(stderr, "# flood: %d connections against a limit of %d, peak %d fds (base %d)\n",
		open_fds, LIMIT, peak, base);
	stop_sts_cleanly("after the flood");
	tl_aws_reply_finish(&r);
}
END_TEST

/* --- what is exposed, what is logged ----------------------------------------------- */

/* Beyond loopback the programs say loudly what anyone can do; on loopback
 * they say nothing. 192.0.2.1 (TEST-NET-1) never binds here, so nothing
 * is ever exposed by the test itself. */
START_TEST(exposure_is_announced_beyond_loopback)
{
	static const struct {
		const char *var, *listen, *needle;
		bool warns;
	} cases[] = {
		{"MOCK_STS", "192.0.2.1:0", "admin credentials", true},
		{"MOCK_ISSUER", "192.0.2.1:0", "mint tokens", true},
		{"MOCK_STS", "127.0.0.1:0", NULL, false},
		{"MOCK_STS", "127.0.0.2:0", NULL, false},
		{"MOCK_ISSUER", "[::1]:0", NULL, false},
	};
	static char out[8192], errb[8192];

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		char *argv[] = {(char *)tl_test_program(cases[c].var), "--listen",
				(char *)cases[c].listen, NULL};
		int rc = tl_test_run(argv, cases[c].warns ? 20000 : 1500, out, sizeof(out), errb,
				     sizeof(errb));
		if (cases[c].warns) {
			ck_assert_msg(rc == 1, "case %zu (%s %s): exit %d", c, cases[c].var,
				      cases[c].listen, rc);
			ck_assert_msg(strstr(errb, "SECURITY") && strstr(errb, cases[c].needle),
				      "case %zu (%s %s): stderr %s", c, cases[c].var,
				      cases[c].listen, errb);
		} else {
			ck_assert_msg(!strstr(errb, "SECURITY"), "case %zu (%s %s): stderr %s", c,
				      cases[c].var, cases[c].listen, errb);
		}
	}
}
END_TEST

/* The flags this suite relies on refuse values outside their range. */
START_TEST(fault_flags_are_validated)
{
	static const struct {
		const char *flag, *value, *message;
	} cases[] = {
		{"--fetch-timeout", "50", "100-60000"}, {"--fetch-timeout", "60001", "100-60000"},
		{"--fetch-timeout", "1s", "100-60000"}, {"--decisions-max", "0", "1-10000000"},
		{"--sessions-max", "-1", "1-10000000"}, {"--sessions-max", "many", "1-10000000"},
	};
	static char out[4096], errb[4096];

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		char *argv[] = {(char *)tl_test_program("MOCK_STS"), (char *)cases[c].flag,
				(char *)cases[c].value, NULL};
		int rc = tl_test_run(argv, 20000, out, sizeof(out), errb, sizeof(errb));
		ck_assert_msg(rc == 2 && strstr(errb, cases[c].message),
			      "case %zu (%s %s): exit %d, stderr %s", c, cases[c].flag,
			      cases[c].value, rc, errb);
	}
}
END_TEST

/* No token, secret key, session token or admin secret in the log, the
 * audit log or a decision trace, whatever the outcome. */
START_TEST(secrets_never_logged)
{
	char log[300], audit[300], script[400], iss[128], *tok, *bad, *texts[3];
	char trace[65536];
	const char *args[] = {"--audit-log", audit, "--admin-credentials",
			      "AKIDADMIN:adminSecretValue123", NULL};
	struct tl_exchange_config cfg = {0};
	struct tl_assumed creds;
	struct tl_aws_reply r;
	struct tl_error err;
	struct tl_buf all;
	const char *sig;

	tl_aws_reply_init(&r);
	tl_buf_init(&all, 0);
	snprintf(log, sizeof(log), "%s/stderr.log", W.dir);
	snprintf(audit, sizeof(audit), "%s/audit.log", W.dir);
	snprintf(script, sizeof(script), "exec \"$0\" \"$@\" 2>%s", log);
	sts_spawn(script, NULL, args);
	cfg.sts_url = W.sts.url;
	cfg.access_key_id = "AKIDADMIN";
	cfg.secret = "adminSecretValue123";
	W.xc = tl_exchange_new(&cfg, &err);
	ck_assert_ptr_nonnull(W.xc);
	setup_issuer(HOST "/v0", "r-v0");
	iss_of(0, iss, sizeof(iss));
	tok = mint(W.key, iss, "repo:acme/app:ref:refs/heads/main");
	bad = strdup(tok);
	bad[strlen(bad) - 3] = bad[strlen(bad) - 3] == 'A' ? 'B' : 'A'; /* a bad signature */
	ck_assert_int_eq(tl_exchange_assume(W.xc, "arn:aws:iam::" ACCOUNT ":role/r-v0", "ci", tok,
					    0, &r, &creds, &err),
			 0);
	ck_assert_int_eq(r.status, 200);
	trace_text(W.xc, &r, trace, sizeof(trace));
	tl_buf_append_str(&all, trace, NULL);
	ck_assert_int_eq(assume(W.xc, "r-v0", bad, &r), 400);
	trace_text(W.xc, &r, trace, sizeof(trace));
	tl_buf_append_str(&all, trace, NULL);
	{
		/* a denied subject, and an IAM call with a wrong secret */
		char *deny = mint(W.key, iss, "repo:evil/app:ref:refs/heads/main");
		struct tl_exchange_config wrong = cfg;
		struct tl_exchange *wx;
		ck_assert_int_eq(assume(W.xc, "r-v0", deny, &r), 403);
		trace_text(W.xc, &r, trace, sizeof(trace));
		tl_buf_append_str(&all, trace, NULL);
		free(deny);
		wrong.secret = "wrongSecretValue456";
		wx = tl_exchange_new(&wrong, NULL);
		ck_assert_int_eq(
			call(wx, "iam", &r, "Action", "ListRoles", "Version", "2010-05-08", NULL),
			403);
		tl_exchange_free(wx);
	}
	stop_sts_cleanly("secrets");
	texts[0] = read_text(log);
	texts[1] = read_text(audit);
	texts[2] = tl_buf_steal(&all, NULL);
	ck_assert_ptr_nonnull(texts[0]);
	ck_assert_ptr_nonnull(texts[1]);
	ck_assert_ptr_nonnull(texts[2]);
	ck_assert_msg(strstr(texts[1], "AssumeRoleWithWebIdentity"), "audit log: %s", texts[1]);
	sig = strrchr(tok, '.') + 1;
	for (int i = 0; i < 3; i++) {
		static const char *const names[] = {"stderr", "audit log", "decision traces"};
		const char *secrets[] = {sig,
					 strrchr(bad, '.') + 1,
					 creds.secret_access_key,
					 creds.session_token,
					 "adminSecretValue123",
					 "wrongSecretValue456",
					 NULL};
		for (int k = 0; secrets[k]; k++)
			ck_assert_msg(!strstr(texts[i], secrets[k]),
				      "%s holds secret %d (%.20s...)", names[i], k, secrets[k]);
		free(texts[i]);
	}
	free(tok);
	free(bad);
	tl_aws_reply_finish(&r);
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("faults");
	TCase *issuer = tcase_create("issuer"), *state = tcase_create("state"),
	      *proc = tcase_create("process");

	tcase_add_checked_fixture(issuer, setup, teardown);
	tcase_set_timeout(issuer, 240);
	tcase_add_test(issuer, issuer_down_then_back);
	tcase_add_test(issuer, issuer_http_errors_then_back);
	tcase_add_test(issuer, issuer_slow_past_timeout);
	tcase_add_test(issuer, issuer_garbage_then_back);
	tcase_add_test(issuer, issuer_huge_drip_and_not_http);
	tcase_add_test(issuer, issuer_rotates_keys_mid_run);
	suite_add_tcase(s, issuer);

	tcase_add_checked_fixture(state, setup, teardown);
	tcase_set_timeout(state, 240);
	tcase_add_test(state, state_directory_unwritable);
	tcase_add_test(state, state_disk_full);
	tcase_add_test(state, kill_9_during_iam_writes);
	suite_add_tcase(s, state);

	tcase_add_checked_fixture(proc, setup, teardown);
	tcase_set_timeout(proc, 240);
	tcase_add_test(proc, clients_disconnect_mid_request);
	tcase_add_test(proc, sigterm_finishes_in_flight_requests);
	tcase_add_test(proc, connection_flood_is_bounded_then_recovers);
	tcase_add_test(proc, exposure_is_announced_beyond_loopback);
	tcase_add_test(proc, secrets_never_logged);
	tcase_add_test(proc, fault_flags_are_validated);
	suite_add_tcase(s, proc);
	srunner_add_suite(sr, s);
}
