/* SPDX-License-Identifier: MIT */
/*
 * trustlab smoke: starts both servers embedded (or uses running ones) and
 * checks over real HTTP that each answers, as a quick health check.
 */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "http/client.h"
#include "runner.h"

static int
check_service(struct tl_http_client *cl, const char *name, const char *base)
{
	char url[512];
	struct tl_http_reply reply;
	struct tl_error err;
	json_t *body = NULL;
	const char *status = NULL, *service = NULL;
	int ok = 0;

	snprintf(url, sizeof(url), "%s/_trustlab/health", base);
	tl_http_reply_init(&reply);
	if (tl_http_client_request(cl, "GET", url, NULL, NULL, 0, &reply, &err) < 0) {
		printf("FAIL %-12s %s: %s\n", name, url, err.message);
		goto out;
	}
	body = json_loads(tl_buf_str(&reply.body), 0, NULL);
	if (reply.status != 200 || !body ||
	    json_unpack(body, "{s:s, s:s}", "status", &status, "service", &service) < 0 ||
	    strcmp(status, "ok") != 0 || strcmp(service, name) != 0) {
		printf("FAIL %-12s %s: HTTP %ld %s\n", name, url, reply.status,
		       tl_buf_str(&reply.body));
		goto out;
	}
	printf("ok   %-12s %s (HTTP %ld)\n", name, url, reply.status);
	ok = 1;
out:
	json_decref(body);
	tl_http_reply_finish(&reply);
	return ok;
}

int
tl_cmd_smoke(int argc, char **argv)
{
	static const struct option options[] = {
		{"issuer-url", required_argument, NULL, 'i'},
		{"sts-url", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *issuer_url = NULL, *sts_url = NULL;
	struct tl_embedded servers = {0};
	struct tl_http_client *cl = NULL;
	struct tl_error err;
	int opt, passed = 0, status = TL_EXIT_FAILED;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'i':
			issuer_url = optarg;
			break;
		case 's':
			sts_url = optarg;
			break;
		case 'h':
			printf("Usage: trustlab smoke [--issuer-url URL] [--sts-url URL]\n\n"
			       "Starts mock-issuer and mock-sts embedded on 127.0.0.1 (or uses "
			       "the\n"
			       "running ones given) and checks over HTTP that both answer.\n");
			return TL_EXIT_OK;
		default:
			fprintf(stderr, "Try 'trustlab smoke --help'.\n");
			return TL_EXIT_USAGE;
		}
	}
	if (!issuer_url || !sts_url) {
		if (tl_embedded_start(&servers, NULL, NULL, &err) < 0) {
			fprintf(stderr, "trustlab smoke: %s\n", err.message);
			return TL_EXIT_FAILED;
		}
		if (!issuer_url)
			issuer_url = servers.issuer_url;
		if (!sts_url)
			sts_url = servers.sts_url;
	}
	cl = tl_http_client_new(NULL, &err);
	if (!cl) {
		fprintf(stderr, "trustlab smoke: %s\n", err.message);
		goto out;
	}
	passed += check_service(cl, "mock-issuer", issuer_url);
	passed += check_service(cl, "mock-sts", sts_url);
	printf("%d passed, %d failed\n", passed, 2 - passed);
	status = passed == 2 ? TL_EXIT_OK : TL_EXIT_FAILED;
out:
	tl_http_client_free(cl);
	tl_embedded_stop(&servers);
	return status;
}
