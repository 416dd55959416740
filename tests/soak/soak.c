/* SPDX-License-Identifier: MIT */
/*
 * soak: mixed IAM and STS load against the real mock-issuer and mock-sts
 * programs on 127.0.0.1, bounded in time, every answer checked.
 *
 *   soak --mock-sts PATH --mock-issuer PATH [--duration SECONDS] [--threads N]
 *        [--warmup SECONDS] [--sample SECONDS] [--rss-growth-max-kb N]
 *        [--fd-growth-max N] [--no-rss-check] [--flood N]
 *
 * Each thread (its own lib/exchange client and libcurl handle, both kept
 * alive) runs a fixed mix: AssumeRoleWithWebIdentity allowed (200 with
 * credentials for the role), denied by the trust policy (403
 * AccessDenied), with a bad signature and with garbage (400
 * InvalidIdentityToken), GetCallerIdentity signed with the issued session
 * credentials (200, the assumed-role ARN), and an IAM cycle CreateRole ->
 * GetRole -> DeleteRole -> GetRole (200, 200, 200, 404 NoSuchEntity),
 * plus token minting from mock-issuer (200). A sampler reads VmRSS and the
 * open fds of both servers every --sample seconds. After --warmup, RSS may
 * grow by at most --rss-growth-max-kb and fds by --fd-growth-max. Near the
 * end a flood of idle connections (twice mock-sts's --max-connections)
 * must leave the server within its limit, be closed by it (idle timeout),
 * and a new client must then be served. mock-sts runs with --state (every
 * IAM write is an fsync'ed state file) and small --decisions-max and
 * --sessions-max so its bounded caches are full before the warm-up ends:
 * what grows after that is a leak.
 *
 * Exit 0 when every answer was the expected one, no 5xx, no transport
 * error, growth within bounds, the flood handled, and both servers exit 0
 * on SIGTERM; 1 otherwise; 2 on bad usage. The figures go to stdout.
 */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exchange/exchange.h"
#include "http/client.h"
#include "sts/sigv4.h"

#define ACCOUNT "123456789012"
#define GITHUB "token.actions.githubusercontent.com"
#define PROVIDER_ARN "arn:aws:iam::" ACCOUNT ":oidc-provider/" GITHUB
#define ROLE "soak-deploy"
#define ROLE_ARN "arn:aws:iam::" ACCOUNT ":role/" ROLE
#define MAX_CONNECTIONS 64
#define IDLE_TIMEOUT "3"
#define CACHE_MAX "2000"

static const char policy[] =
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{"
	"\"Federated\":\"" PROVIDER_ARN "\"},\"Action\":\"sts:AssumeRoleWithWebIdentity\","
	"\"Condition\":{\"StringEquals\":{\"" GITHUB ":aud\":\"sts.amazonaws.com\"},"
	"\"StringLike\":{\"" GITHUB ":sub\":\"repo:acme/app:*\"}}}]}";

struct proc {
	pid_t pid;
	int out_fd;
	char url[128];
	uint16_t port;
};

enum op {
	OP_MINT,
	OP_ALLOW,
	OP_DENY,
	OP_BAD_SIGNATURE,
	OP_GARBAGE,
	OP_CALLER_IDENTITY,
	OP_CREATE_ROLE,
	OP_GET_ROLE,
	OP_DELETE_ROLE,
	OP_GET_DELETED,
	OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
	"mint token",	 "ARWWI allow",	      "ARWWI deny", "ARWWI bad signature",
	"ARWWI garbage", "GetCallerIdentity", "CreateRole", "GetRole",
	"DeleteRole",	 "GetRole (deleted)",
};

static struct {
	const char *sts_path, *issuer_path;
	long duration, warmup, sample, threads, flood;
	long rss_growth_max_kb, fd_growth_max;
	bool rss_check;
	struct proc issuer, sts;
	char dir[128];
	atomic_bool stop;
	atomic_long sent[OP_COUNT], wrong[OP_COUNT];
	atomic_long sent_total, checked, wrong_total, five_xx, transport;
	pthread_mutex_t print_lock;
	int printed;
} G = {
	.duration = 20,
	.warmup = 5,
	.sample = 2,
	.threads = 4,
	.rss_growth_max_kb = 8192,
	.fd_growth_max = 4,
	.rss_check = true,
};

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

/* --- processes --------------------------------------------------------------- */

static int
spawn(struct proc *p, char *const argv[])
{
	int fds[2];
	char line[512];
	size_t got = 0;
	long deadline = now_ms() + 30000;

	memset(p, 0, sizeof(*p));
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (p->pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	p->out_fd = fds[0];
	while (now_ms() < deadline) {
		struct pollfd pfd = {p->out_fd, POLLIN, 0};
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (read(p->out_fd, line + got, 1) != 1)
			break;
		if (line[got] == '\n' || got + 2 >= sizeof(line)) {
			line[got] = '\0';
			if (sscanf(line, "listening on %127s", p->url) == 1) {
				const char *colon = strrchr(p->url, ':');
				p->port = colon ? (uint16_t)atoi(colon + 1) : 0;
				return 0;
			}
			got = 0;
		} else {
			got++;
		}
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, NULL, 0);
	p->pid = 0;
	return -1;
}

/* SIGTERM, then the exit status (-1 when it had to be killed). */
static int
stop(struct proc *p, long timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	int status;

	if (p->pid <= 0)
		return -1;
	kill(p->pid, SIGTERM);
	while (waitpid(p->pid, &status, WNOHANG) != p->pid) {
		if (now_ms() > deadline) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &status, 0);
			p->pid = 0;
			return -1;
		}
		sleep_ms(20);
	}
	close(p->out_fd);
	p->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static long
rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
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

/* --- checking ---------------------------------------------------------------- */

static void wrong(enum op op, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
wrong(enum op op, const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&G.wrong[op], 1);
	atomic_fetch_add(&G.wrong_total, 1);
	pthread_mutex_lock(&G.print_lock);
	if (G.printed++ < 20) {
		fprintf(stderr, "soak: WRONG %s: ", op_names[op]);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	pthread_mutex_unlock(&G.print_lock);
}

/* Counts one answer; true when it is the expected one. */
static bool
check(enum op op, int rc, long status, const char *code, long want_status, const char *want_code,
      const char *detail)
{
	atomic_fetch_add(&G.sent[op], 1);
	atomic_fetch_add(&G.sent_total, 1);
	if (rc < 0) {
		atomic_fetch_add(&G.transport, 1);
		wrong(op, "no answer (%s)", detail ? detail : "");
		return false;
	}
	atomic_fetch_add(&G.checked, 1);
	if (status >= 500)
		atomic_fetch_add(&G.five_xx, 1);
	if (status != want_status || strcmp(code ? code : "", want_code) != 0) {
		wrong(op, "got %ld %s, want %ld %s (%s)", status, code ? code : "", want_status,
		      want_code, detail ? detail : "");
		return false;
	}
	return true;
}

/* --- one worker ---------------------------------------------------------------- */

struct worker {
	int id;
	struct tl_exchange *xc;
	struct tl_http_client *http; /* GetCallerIdentity, signed by hand */
	char *allow, *deny, *bad;
	long minted_ms;
	struct tl_assumed creds;
	bool have_creds;
	long serial;
};

static char *
mint(struct worker *w, const char *repository, const char *fault)
{
	json_t *req =
		json_pack("{s:{s:s, s:s, s:s}, s:s}", "context", "repository", repository, "event",
			  "push", "ref", "refs/heads/main", "audience", "sts.amazonaws.com");
	struct tl_mint_result res = {0};
	struct tl_error err;
	char *tok = NULL;
	int rc;

	if (fault)
		json_object_set_new(req, "faults", json_pack("[s]", fault));
	rc = tl_exchange_mint(w->xc, "/github", req, &res, &err);
	if (check(OP_MINT, rc, res.status, "", 200, "", rc < 0 ? err.message : res.reason) &&
	    res.token)
		tok = strdup(res.token);
	tl_mint_result_finish(&res);
	json_decref(req);
	return tok;
}

static void
remint(struct worker *w)
{
	free(w->allow);
	free(w->deny);
	free(w->bad);
	w->allow = mint(w, "acme/app", NULL);
	w->deny = mint(w, "evil/app", NULL);
	w->bad = mint(w, "acme/app", "bad-signature");
	w->minted_ms = now_ms();
}

static void
assume(struct worker *w, enum op op, const char *token)
{
	struct tl_aws_reply r;
	struct tl_assumed out;
	struct tl_error err;
	int rc;

	if (!token) /* the mint failed and was counted */
		return;
	tl_aws_reply_init(&r);
	rc = tl_exchange_assume(w->xc, ROLE_ARN, "soak", token, 0, &r, &out, &err);
	switch (op) {
	case OP_ALLOW:
		if (check(op, rc, r.status, r.code, 200, "", rc < 0 ? err.message : r.decision)) {
			if (strncmp(out.assumed_role_arn,
				    "arn:aws:sts::" ACCOUNT ":assumed-role/" ROLE "/soak", 60) != 0)
				wrong(op, "assumed %s", out.assumed_role_arn);
			w->creds = out;
			w->have_creds = true;
		}
		break;
	case OP_DENY:
		check(op, rc, r.status, r.code, 403, "AccessDenied",
		      rc < 0 ? err.message : r.decision);
		break;
	default:
		check(op, rc, r.status, r.code, 400, "InvalidIdentityToken",
		      rc < 0 ? err.message : r.decision);
		break;
	}
	tl_aws_reply_finish(&r);
}

static void
caller_identity(struct worker *w)
{
	static const char body[] = "Action=GetCallerIdentity&Version=2011-06-15";
	char host[64], url[160], date[TL_STS_AMZ_DATE_LEN + 1], auth[1024], hd[3][2200];
	struct tl_sts_http_header hs[4];
	struct tl_sts_http_request req;
	struct tl_http_reply r;
	struct tl_error err;
	const char *lines[5];
	char arn[512] = "", code[128] = "";
	int rc;

	if (!w->have_creds)
		return;
	snprintf(host, sizeof(host), "127.0.0.1:%u", G.sts.port);
	snprintf(url, sizeof(url), "%s/", G.sts.url);
	tl_sts_sigv4_format_date((int64_t)time(NULL), date);
	hs[0] = (struct tl_sts_http_header){"Content-Type",
					    "application/x-www-form-urlencoded; charset=utf-8"};
	hs[1] = (struct tl_sts_http_header){"Host", host};
	hs[2] = (struct tl_sts_http_header){"X-Amz-Date", date};
	hs[3] = (struct tl_sts_http_header){"X-Amz-Security-Token", w->creds.session_token};
	req = (struct tl_sts_http_request){"POST", "/", "", hs, 4, body, sizeof(body) - 1};
	if (tl_sts_sigv4_sign(&req, w->creds.access_key_id, w->creds.secret_access_key, "us-east-1",
			      "sts", auth, sizeof(auth), NULL) < 0) {
		wrong(OP_CALLER_IDENTITY, "cannot sign");
		return;
	}
	snprintf(hd[0], sizeof(hd[0]), "X-Amz-Date: %s", date);
	snprintf(hd[1], sizeof(hd[1]), "Authorization: %s", auth);
	snprintf(hd[2], sizeof(hd[2]), "X-Amz-Security-Token: %s", w->creds.session_token);
	lines[0] = "Content-Type: application/x-www-form-urlencoded; charset=utf-8";
	lines[1] = hd[0];
	lines[2] = hd[1];
	lines[3] = hd[2];
	lines[4] = NULL;
	tl_http_reply_init(&r);
	rc = tl_http_client_request(w->http, "POST", url, lines, body, sizeof(body) - 1, &r, &err);
	if (rc == 0) {
		tl_xml_element_text(tl_buf_str(&r.body), "Code", code, sizeof(code));
		tl_xml_element_text(tl_buf_str(&r.body), "Arn", arn, sizeof(arn));
	}
	if (check(OP_CALLER_IDENTITY, rc, r.status, code, 200, "", rc < 0 ? err.message : code) &&
	    strcmp(arn, w->creds.assumed_role_arn) != 0)
		wrong(OP_CALLER_IDENTITY, "Arn %s, want %s", arn, w->creds.assumed_role_arn);
	tl_http_reply_finish(&r);
}

static void
iam(struct worker *w, enum op op, const char *name, long want_status, const char *want_code)
{
	const char *action = op == OP_CREATE_ROLE   ? "CreateRole"
			     : op == OP_DELETE_ROLE ? "DeleteRole"
						    : "GetRole";
	const char *params[] = {"Action",
				action,
				"Version",
				"2010-05-08",
				"RoleName",
				name,
				op == OP_CREATE_ROLE ? "AssumeRolePolicyDocument" : NULL,
				policy,
				NULL};
	struct tl_aws_reply r;
	struct tl_error err;
	char got[128] = "";
	int rc;

	tl_aws_reply_init(&r);
	rc = tl_exchange_aws_call(w->xc, "iam", params, &r, &err);
	if (check(op, rc, r.status, r.code, want_status, want_code,
		  rc < 0 ? err.message : r.message) &&
	    want_status == 200 && op != OP_DELETE_ROLE) {
		tl_xml_element_text(tl_buf_str(&r.body), "RoleName", got, sizeof(got));
		if (strcmp(got, name) != 0)
			wrong(op, "RoleName %s, want %s", got, name);
	}
	tl_aws_reply_finish(&r);
}

static void *
work(void *arg)
{
	/* The mix, one slot a step: 6 allow, 3 deny, 2 bad signature, 1
	 * garbage, 3 GetCallerIdentity, 1 IAM cycle (4 calls), 1 token minted. */
	static const enum op mix[] = {
		OP_ALLOW,	    OP_DENY,	      OP_CALLER_IDENTITY,
		OP_ALLOW,	    OP_BAD_SIGNATURE, OP_ALLOW,
		OP_CREATE_ROLE,	    OP_DENY,	      OP_ALLOW,
		OP_CALLER_IDENTITY, OP_ALLOW,	      OP_GARBAGE,
		OP_BAD_SIGNATURE,   OP_DENY,	      OP_ALLOW,
		OP_CALLER_IDENTITY, OP_MINT,
	};
	struct worker *w = arg;
	size_t step = 0;

	while (!atomic_load(&G.stop)) {
		enum op op = mix[step++ % (sizeof(mix) / sizeof(mix[0]))];
		char name[64];
		if (now_ms() - w->minted_ms > 60000)
			remint(w);
		switch (op) {
		case OP_ALLOW:
			assume(w, op, w->allow);
			break;
		case OP_DENY:
			assume(w, op, w->deny);
			break;
		case OP_BAD_SIGNATURE:
			assume(w, op, w->bad);
			break;
		case OP_GARBAGE:
			assume(w, op, "eyJhbGciOiJub25lIn0.e30.");
			break;
		case OP_CALLER_IDENTITY:
			caller_identity(w);
			break;
		case OP_MINT: {
			char *fresh = mint(w, "acme/app", NULL);
			if (fresh) {
				free(w->allow);
				w->allow = fresh;
			}
			break;
		}
		default:
			snprintf(name, sizeof(name), "soak-%d-%ld", w->id, w->serial++);
			iam(w, OP_CREATE_ROLE, name, 200, "");
			iam(w, OP_GET_ROLE, name, 200, "");
			iam(w, OP_DELETE_ROLE, name, 200, "");
			iam(w, OP_GET_DELETED, name, 404, "NoSuchEntity");
			break;
		}
	}
	return NULL;
}

/* --- sampling ------------------------------------------------------------------- */

struct series {
	long rss_warm, rss_end, rss_max, rss_first;
	int fd_warm, fd_end, fd_max, fd_first;
};

static struct series S_sts, S_issuer;

static void
sample_one(struct series *s, pid_t pid, bool warm, bool first)
{
	long rss = rss_kb(pid);
	int fds = fd_count(pid);

	if (first) {
		s->rss_first = rss;
		s->fd_first = fds;
	}
	if (warm && s->rss_warm == 0) {
		s->rss_warm = rss;
		s->fd_warm = fds;
	}
	if (warm) {
		s->rss_end = rss;
		s->fd_end = fds;
	}
	if (rss > s->rss_max)
		s->rss_max = rss;
	if (fds > s->fd_max)
		s->fd_max = fds;
}

/* --- the flood -------------------------------------------------------------------- */

static int
connect_port(uint16_t port)
{
	struct sockaddr_in sin = {0};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Returns true when the flood was handled: bounded, closed, recovered. */
static bool
flood(long n, int *peak_fds, int *opened, int *closed, long *closed_ms)
{
	int *fds = calloc((size_t)n, sizeof(int)), base = fd_count(G.sts.pid);
	long start = now_ms(), deadline = start + 120000;
	bool ok = true;
	struct tl_exchange_config cfg = {0};
	struct tl_exchange *fresh;
	struct tl_aws_reply r;

	*opened = *closed = 0;
	*peak_fds = base;
	if (!fds)
		return false;
	for (long i = 0; i < n; i++) {
		fds[i] = connect_port(G.sts.port);
		if (fds[i] >= 0)
			(*opened)++;
	}
	while (now_ms() < deadline && *closed < *opened) {
		int f = fd_count(G.sts.pid);
		if (f > *peak_fds)
			*peak_fds = f;
		*closed = 0;
		for (long i = 0; i < n; i++) {
			char c;
			if (fds[i] >= 0 && recv(fds[i], &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
				(*closed)++;
		}
		sleep_ms(100);
	}
	*closed_ms = now_ms() - start;
	for (long i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	if (*closed < *opened) {
		fprintf(stderr, "soak: flood: %d of %d connections closed by the server\n", *closed,
			*opened);
		ok = false;
	}
	if (*peak_fds > base + MAX_CONNECTIONS) {
		fprintf(stderr, "soak: flood: %d fds, more than %d + the limit %d\n", *peak_fds,
			base, MAX_CONNECTIONS);
		ok = false;
	}
	/* A new client is served afterwards. */
	cfg.sts_url = G.sts.url;
	cfg.timeout_ms = 30000;
	fresh = tl_exchange_new(&cfg, NULL);
	tl_aws_reply_init(&r);
	{
		const char *params[] = {"Action",   "GetRole", "Version", "2010-05-08",
					"RoleName", ROLE,      NULL};
		if (!fresh || tl_exchange_aws_call(fresh, "iam", params, &r, NULL) < 0 ||
		    r.status != 200) {
			fprintf(stderr, "soak: flood: a new client was not served after (%ld)\n",
				r.status);
			ok = false;
		}
	}
	tl_aws_reply_finish(&r);
	tl_exchange_free(fresh);
	return ok;
}

/* --- main --------------------------------------------------------------------------- */

static void
usage(FILE *out)
{
	fprintf(out,
		"Usage: soak --mock-sts PATH --mock-issuer PATH [--duration SECONDS (<= 900)]\n"
		"            [--threads N] [--warmup SECONDS] [--sample SECONDS]\n"
		"            [--rss-growth-max-kb N] [--fd-growth-max N] [--no-rss-check]\n"
		"            [--flood N]\n");
}

static long
number(const char *name, const char *v, long min, long max)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (*end || end == v || n < min || n > max) {
		fprintf(stderr, "soak: --%s: expected %ld-%ld, got '%s'\n", name, min, max, v);
		exit(2);
	}
	return n;
}

static bool
setup_iam(void)
{
	struct tl_exchange_config cfg = {0};
	struct tl_exchange *x;
	struct tl_aws_reply r;
	const char *ids[] = {"sts.amazonaws.com", NULL};
	bool ok;

	cfg.sts_url = G.sts.url;
	x = tl_exchange_new(&cfg, NULL);
	if (!x)
		return false;
	tl_aws_reply_init(&r);
	ok = tl_exchange_create_provider(x, "https://" GITHUB, ids, NULL, 0, &r, NULL) == 0 &&
	     r.status == 200;
	tl_aws_reply_finish(&r);
	tl_aws_reply_init(&r);
	ok = ok && tl_exchange_create_role(x, ROLE, policy, 0, NULL, 0, &r, NULL) == 0 &&
	     r.status == 200;
	if (!ok)
		fprintf(stderr, "soak: IAM setup failed: %ld %s %s\n", r.status, r.code, r.message);
	tl_aws_reply_finish(&r);
	tl_exchange_free(x);
	return ok;
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{"mock-sts", required_argument, NULL, 's'},
		{"mock-issuer", required_argument, NULL, 'i'},
		{"duration", required_argument, NULL, 'd'},
		{"threads", required_argument, NULL, 't'},
		{"warmup", required_argument, NULL, 'w'},
		{"sample", required_argument, NULL, 'p'},
		{"rss-growth-max-kb", required_argument, NULL, 'r'},
		{"fd-growth-max", required_argument, NULL, 'f'},
		{"no-rss-check", no_argument, NULL, 'n'},
		{"flood", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char map[256], state[256], cmd[300];
	struct worker *workers;
	pthread_t *threads;
	long start, warm_at, end_at, elapsed;
	bool ok = true, flood_ok = true;
	int opt, flood_peak = 0, flood_opened = 0, flood_closed = 0, sts_exit, issuer_exit;
	long flood_ms = 0;

	pthread_mutex_init(&G.print_lock, NULL);
	G.flood = 2 * MAX_CONNECTIONS;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			G.sts_path = optarg;
			break;
		case 'i':
			G.issuer_path = optarg;
			break;
		case 'd':
			G.duration = number("duration", optarg, 5, 900);
			break;
		case 't':
			G.threads = number("threads", optarg, 1, 32);
			break;
		case 'w':
			G.warmup = number("warmup", optarg, 0, 600);
			break;
		case 'p':
			G.sample = number("sample", optarg, 1, 60);
			break;
		case 'r':
			G.rss_growth_max_kb = number("rss-growth-max-kb", optarg, 0, 1 << 22);
			break;
		case 'f':
			G.fd_growth_max = number("fd-growth-max", optarg, 0, 1000);
			break;
		case 'n':
			G.rss_check = false;
			break;
		case 'F':
			G.flood = number("flood", optarg, 0, 1000);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!G.sts_path || !G.issuer_path || optind < argc || G.warmup >= G.duration) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(G.dir, sizeof(G.dir), "/tmp/trustlab-soak-%d", (int)getpid());
	if (mkdir(G.dir, 0700) < 0) {
		perror("soak: mkdir");
		return 1;
	}
	snprintf(state, sizeof(state), "%s/state.json", G.dir);
	{
		char *iv[] = {(char *)G.issuer_path,
			      "--listen",
			      "127.0.0.1:0",
			      "--profiles",
			      "github",
			      "--quiet",
			      NULL};
		if (spawn(&G.issuer, iv) < 0) {
			fprintf(stderr, "soak: mock-issuer did not start\n");
			return 1;
		}
	}
	snprintf(map, sizeof(map), "https://" GITHUB "=%s/github", G.issuer.url);
	{
		char mc[16];
		snprintf(mc, sizeof(mc), "%d", MAX_CONNECTIONS);
		char *sv[] = {(char *)G.sts_path,
			      "--listen",
			      "127.0.0.1:0",
			      "--quiet",
			      "--issuer-map",
			      map,
			      "--state",
			      state,
			      "--max-connections",
			      mc,
			      "--timeout",
			      IDLE_TIMEOUT,
			      "--decisions-max",
			      CACHE_MAX,
			      "--sessions-max",
			      CACHE_MAX,
			      NULL};
		if (spawn(&G.sts, sv) < 0) {
			fprintf(stderr, "soak: mock-sts did not start\n");
			stop(&G.issuer, 10000);
			return 1;
		}
	}
	if (!setup_iam()) {
		stop(&G.sts, 10000);
		stop(&G.issuer, 10000);
		return 1;
	}

	workers = calloc((size_t)G.threads, sizeof(*workers));
	threads = calloc((size_t)G.threads, sizeof(*threads));
	if (!workers || !threads)
		return 1;
	for (long i = 0; i < G.threads; i++) {
		struct tl_exchange_config cfg = {0};
		struct tl_http_client_config hc;
		cfg.issuer_url = G.issuer.url;
		cfg.sts_url = G.sts.url;
		cfg.timeout_ms = 30000;
		workers[i].id = (int)i;
		workers[i].xc = tl_exchange_new(&cfg, NULL);
		tl_http_client_config_init(&hc);
		hc.timeout_ms = 30000;
		workers[i].http = tl_http_client_new(&hc, NULL);
		if (!workers[i].xc || !workers[i].http)
			return 1;
		remint(&workers[i]);
	}
	start = now_ms();
	warm_at = start + G.warmup * 1000;
	end_at = start + G.duration * 1000;
	sample_one(&S_sts, G.sts.pid, false, true);
	sample_one(&S_issuer, G.issuer.pid, false, true);
	for (long i = 0; i < G.threads; i++)
		pthread_create(&threads[i], NULL, work, &workers[i]);
	printf("soak: %ld threads for %ld s (warm-up %ld s) against mock-sts pid %d, "
	       "mock-issuer pid %d\n",
	       G.threads, G.duration, G.warmup, (int)G.sts.pid, (int)G.issuer.pid);
	fflush(stdout);
	{
		bool flooded = G.flood == 0;
		long next = start;
		while (now_ms() < end_at) {
			long t = now_ms();
			if (t >= next) {
				bool warm = t >= warm_at;
				sample_one(&S_sts, G.sts.pid, warm, false);
				sample_one(&S_issuer, G.issuer.pid, warm, false);
				next = t + G.sample * 1000;
			}
			/* The flood in the middle of the measured part, under load. */
			if (!flooded && t >= warm_at + (end_at - warm_at) / 3) {
				flooded = true;
				flood_ok = flood(G.flood, &flood_peak, &flood_opened, &flood_closed,
						 &flood_ms);
				continue;
			}
			sleep_ms(100);
		}
	}
	atomic_store(&G.stop, true);
	for (long i = 0; i < G.threads; i++)
		pthread_join(threads[i], NULL);
	elapsed = now_ms() - start;
	/* Idle keep-alive connections close after the idle timeout: sample
	 * the end state once the load is gone and they had time to. */
	sleep_ms(200);
	sample_one(&S_sts, G.sts.pid, true, false);
	sample_one(&S_issuer, G.issuer.pid, true, false);
	for (long i = 0; i < G.threads; i++) {
		tl_exchange_free(workers[i].xc);
		tl_http_client_free(workers[i].http);
		free(workers[i].allow);
		free(workers[i].deny);
		free(workers[i].bad);
	}
	free(workers);
	free(threads);
	sts_exit = stop(&G.sts, 30000);
	issuer_exit = stop(&G.issuer, 30000);

	printf("soak: %ld ms, %ld requests sent (%.0f/s), %ld checked, %ld wrong, %ld 5xx, %ld "
	       "without an answer\n",
	       elapsed, atomic_load(&G.sent_total),
	       (double)atomic_load(&G.sent_total) * 1000.0 / (double)(elapsed ? elapsed : 1),
	       atomic_load(&G.checked), atomic_load(&G.wrong_total), atomic_load(&G.five_xx),
	       atomic_load(&G.transport));
	for (int op = 0; op < OP_COUNT; op++)
		printf("soak:   %-20s %9ld sent %6ld wrong\n", op_names[op],
		       atomic_load(&G.sent[op]), atomic_load(&G.wrong[op]));
	printf("soak: mock-sts    RSS kB: start %ld, after warm-up %ld, end %ld, max %ld "
	       "(growth after warm-up %+ld kB = %+ld bytes); fds: start %d, after warm-up %d, "
	       "end %d, max %d\n",
	       S_sts.rss_first, S_sts.rss_warm, S_sts.rss_end, S_sts.rss_max,
	       S_sts.rss_end - S_sts.rss_warm, (S_sts.rss_end - S_sts.rss_warm) * 1024,
	       S_sts.fd_first, S_sts.fd_warm, S_sts.fd_end, S_sts.fd_max);
	printf("soak: mock-issuer RSS kB: start %ld, after warm-up %ld, end %ld, max %ld "
	       "(growth after warm-up %+ld kB = %+ld bytes); fds: start %d, after warm-up %d, "
	       "end %d, max %d\n",
	       S_issuer.rss_first, S_issuer.rss_warm, S_issuer.rss_end, S_issuer.rss_max,
	       S_issuer.rss_end - S_issuer.rss_warm, (S_issuer.rss_end - S_issuer.rss_warm) * 1024,
	       S_issuer.fd_first, S_issuer.fd_warm, S_issuer.fd_end, S_issuer.fd_max);
	if (G.flood)
		printf("soak: flood: %d idle connections against --max-connections %d: peak %d "
		       "fds, all %d closed by the server after %ld ms, a new client served: %s\n",
		       flood_opened, MAX_CONNECTIONS, flood_peak, flood_closed, flood_ms,
		       flood_ok ? "yes" : "NO");
	printf("soak: exit status on SIGTERM: mock-sts %d, mock-issuer %d\n", sts_exit,
	       issuer_exit);

	if (atomic_load(&G.wrong_total) || atomic_load(&G.five_xx) || atomic_load(&G.transport) ||
	    atomic_load(&G.sent_total) == 0)
		ok = false;
	if (G.rss_check && (S_sts.rss_end - S_sts.rss_warm > G.rss_growth_max_kb ||
			    S_issuer.rss_end - S_issuer.rss_warm > G.rss_growth_max_kb)) {
		fprintf(stderr, "soak: RSS grew by more than %ld kB after the warm-up\n",
			G.rss_growth_max_kb);
		ok = false;
	}
	if (S_sts.fd_end - S_sts.fd_warm > G.fd_growth_max ||
	    S_issuer.fd_end - S_issuer.fd_warm > G.fd_growth_max) {
		fprintf(stderr, "soak: open fds grew by more than %ld after the warm-up\n",
			G.fd_growth_max);
		ok = false;
	}
	if (!flood_ok || sts_exit != 0 || issuer_exit != 0)
		ok = false;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", G.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "soak: could not remove %s\n", G.dir);
	printf("soak: %s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}
