/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#include "serve.h"

const char tl_serve_options_help[] =
	"  --listen HOST:PORT       address to bind (default 127.0.0.1:0: loopback, a free port)\n"
	"  --threads N              worker threads (default 2)\n"
	"  --timeout SECONDS        idle connection timeout (default 10)\n"
	"  --max-connections N      concurrent connections (default 256)\n"
	"  --max-body BYTES         request body limit (default 65536)\n";

static int
parse_unsigned(const char *name, const char *value, unsigned long min, unsigned long max,
	       unsigned long *out, struct tl_error *err)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (!value || !*value || *value == '-' || *value == '+')
		return tl_error_set(err, TL_ERR_INVALID, "--%s needs a number from %lu to %lu",
				    name, min, max);
	v = strtoul(value, &end, 10);
	if (errno || *end || v < min || v > max)
		return tl_error_set(err, TL_ERR_INVALID,
				    "--%s '%s': expected a number from %lu to %lu", name, value,
				    min, max);
	*out = v;
	return 0;
}

int
tl_serve_apply_option(struct tl_http_server_config *cfg, const char *name, const char *value,
		      struct tl_error *err)
{
	unsigned long v;

	if (strcmp(name, "listen") == 0) {
		char host[64];
		uint16_t port;
		if (tl_http_parse_listen(value, host, sizeof(host), &port, err) < 0)
			return -1;
		cfg->listen = value;
		return 1;
	}
	if (strcmp(name, "threads") == 0) {
		if (parse_unsigned(name, value, 1, 64, &v, err) < 0)
			return -1;
		cfg->threads = (unsigned)v;
		return 1;
	}
	if (strcmp(name, "timeout") == 0) {
		if (parse_unsigned(name, value, 1, 3600, &v, err) < 0)
			return -1;
		cfg->timeout_seconds = (unsigned)v;
		return 1;
	}
	if (strcmp(name, "max-connections") == 0) {
		if (parse_unsigned(name, value, 1, 10000, &v, err) < 0)
			return -1;
		cfg->connection_limit = (unsigned)v;
		return 1;
	}
	if (strcmp(name, "max-body") == 0) {
		if (parse_unsigned(name, value, 1024, 64ul * 1024 * 1024, &v, err) < 0)
			return -1;
		cfg->body_max = (size_t)v;
		return 1;
	}
	return 0;
}

int
tl_serve_until_signal(int (*start)(void *ctx, struct tl_error *err), void (*stop)(void *ctx),
		      void *ctx, struct tl_error *err)
{
	sigset_t set, old;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	if (start(ctx, err) < 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	while (sigwait(&set, &sig) != 0)
		;
	stop(ctx);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return sig;
}

bool
tl_serve_listen_is_loopback(const char *listen)
{
	char host[64];
	uint16_t port;
	struct in_addr a4;
	struct in6_addr a6;

	if (!listen)
		return true; /* the default, 127.0.0.1:0 */
	if (tl_http_parse_listen(listen, host, sizeof(host), &port, NULL) < 0)
		return false;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) != 1)
		return false;
	if (IN6_IS_ADDR_LOOPBACK(&a6))
		return true;
	return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
}

void
tl_serve_warn_exposure(const char *listen, const char *exposed)
{
	const char *line = exposed;

	if (tl_serve_listen_is_loopback(listen))
		return;
	tl_log(TL_LOG_WARNING,
	       "SECURITY: --listen %s is reachable from other machines. This is a test "
	       "mock: anyone who can connect can",
	       listen);
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		int n = nl ? (int)(nl - line) : (int)strlen(line);
		tl_log(TL_LOG_WARNING, "  %.*s", n, line);
		line = nl ? nl + 1 : NULL;
	}
	tl_log(TL_LOG_WARNING, "Bind 127.0.0.1 unless every peer on that network is trusted "
			       "(docs/security.md).");
}

void
tl_serve_announce(const struct tl_http_server *srv)
{
	printf("listening on %s\n", tl_http_server_url(srv));
	fflush(stdout);
}

void
tl_serve_log_line(void *ctx, const char *line)
{
	(void)ctx;
	tl_log(TL_LOG_WARNING, "http: %s", line);
}

void
tl_serve_health(void *service_name, struct tl_http_exchange *ex)
{
	json_t *body = json_pack("{s:s, s:s, s:s}", "status", "ok", "service",
				 (const char *)service_name, "version", TL_VERSION);
	if (!body) {
		tl_http_respond_error(ex, 500, "out of memory");
		return;
	}
	tl_http_respond_json(ex, 200, body);
	json_decref(body);
}

static void
usage(const struct tl_server_program *prog, FILE *out)
{
	fprintf(out, "Usage: %s [OPTIONS]\n\n%s\n", prog->name, prog->summary);
	fprintf(out,
		"Prints 'listening on http://HOST:PORT' once ready; stops on SIGINT/SIGTERM.\n");
	fprintf(out, "\nOptions:\n%s", tl_serve_options_help);
	if (prog->options)
		fputs(prog->options, out);
	fprintf(out, "  -q, --quiet              log errors only\n"
		     "  -h, --help               show this help and exit\n"
		     "  -V, --version            show the version and exit\n");
	fprintf(out,
		"\nEndpoints:\n  GET /_trustlab/health    liveness: {\"status\":\"ok\",...}\n");
	if (prog->endpoints)
		fputs(prog->endpoints, out);
}

static int
start_one(void *ctx, struct tl_error *err)
{
	struct tl_http_server *srv = ctx;
	if (tl_http_server_start(srv, err) < 0)
		return -1;
	tl_serve_announce(srv);
	return 0;
}

static void
stop_one(void *ctx)
{
	tl_http_server_stop(ctx);
}

#define MAX_OPTIONS 64

int
tl_server_program_main(const struct tl_server_program *prog, int argc, char **argv)
{
	static const struct option common[] = {
		{"listen", required_argument, NULL, 0},
		{"threads", required_argument, NULL, 0},
		{"timeout", required_argument, NULL, 0},
		{"max-connections", required_argument, NULL, 0},
		{"max-body", required_argument, NULL, 0},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
	};
	struct option options[MAX_OPTIONS];
	size_t n = 0;
	struct tl_http_server_config cfg;
	struct tl_http_server *srv = NULL;
	struct tl_error err;
	int opt, index, sig, status = 1;

	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		options[n++] = common[i];
	for (const struct option *o = prog->extra; o && o->name && n + 1 < MAX_OPTIONS; o++)
		options[n++] = *o;
	memset(&options[n], 0, sizeof(options[n]));

	tl_log_setup(prog->name, TL_LOG_INFO, 50);
	tl_http_server_config_init(&cfg);
	cfg.log_fn = tl_serve_log_line;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":qhV", options, &index)) != -1) {
		int rc = 0;
		switch (opt) {
		case 0:
			rc = tl_serve_apply_option(&cfg, options[index].name, optarg, &err);
			break;
		case 'q':
			tl_log_setup(prog->name, TL_LOG_ERROR, 50);
			break;
		case 'h':
			usage(prog, stdout);
			return 0;
		case 'V':
			printf("%s %s\n", prog->name, TL_VERSION);
			return 0;
		case ':':
			fprintf(stderr, "%s: option '%s' needs a value\nTry '%s --help'.\n",
				prog->name, argv[optind - 1], prog->name);
			return 2;
		case '?':
			fprintf(stderr, "%s: unknown option '%s'\nTry '%s --help'.\n", prog->name,
				argv[optind - 1], prog->name);
			return 2;
		default:
			rc = prog->option ? prog->option(prog->state, opt, optarg, &err) : -1;
			break;
		}
		if (rc < 0) {
			fprintf(stderr, "%s: %s\n", prog->name, err.message);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\nTry '%s --help'.\n", prog->name,
			argv[optind], prog->name);
		return 2;
	}

	tl_serve_warn_exposure(cfg.listen, prog->exposed);
	srv = tl_http_server_new(&cfg, &err);
	if (!srv ||
	    tl_http_server_route(srv, "GET", "/_trustlab/health", tl_serve_health,
				 (void *)prog->name, &err) < 0 ||
	    (prog->setup && prog->setup(prog->state, srv, &err) < 0)) {
		tl_log_error("cannot set up the server", &err);
		goto out;
	}
	sig = tl_serve_until_signal(start_one, stop_one, srv, &err);
	if (sig < 0) {
		tl_log_error("cannot start", &err);
		goto out;
	}
	tl_log(TL_LOG_INFO, "stopped on signal %d after %llu requests", sig,
	       (unsigned long long)tl_http_server_requests(srv));
	status = 0;
out:
	tl_http_server_free(srv);
	if (prog->teardown)
		prog->teardown(prog->state);
	return status;
}
