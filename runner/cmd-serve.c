/* SPDX-License-Identifier: MIT */
/* trustlab serve: both servers on fixed or ephemeral ports, for other tools. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "runner.h"
#include "serve.h"

struct serve_state {
	const char *issuer_listen;
	const char *sts_listen;
	const char *audit_log;
	struct tl_embedded servers;
};

static int
start(void *ctx, struct tl_error *err)
{
	struct serve_state *s = ctx;

	const struct tl_embedded_options opt = {
		.issuer_listen = s->issuer_listen,
		.sts_listen = s->sts_listen,
		.audit_log = s->audit_log,
	};

	if (tl_embedded_start(&s->servers, &opt, err) < 0)
		return -1;
	printf("issuer listening on %s\n", s->servers.issuer_url);
	printf("sts listening on %s\n", s->servers.sts_url);
	printf("export AWS_ENDPOINT_URL_STS=%s\n", s->servers.sts_url);
	printf("export AWS_ENDPOINT_URL_IAM=%s\n", s->servers.sts_url);
	printf("export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1\n");
	printf("# instance metadata: AWS_EC2_METADATA_SERVICE_ENDPOINT=%s (no instance until\n"
	       "# PUT /_trustlab/instance; ECS tasks: PUT /_trustlab/tasks/ID)\n",
	       s->servers.imds_url);
	for (size_t i = 0; i < s->servers.map_count; i++)
		printf("# tokens with iss %s: %s (POST .../tokens to mint)\n",
		       s->servers.map_issuer[i], s->servers.map_url[i]);
	fflush(stdout);
	return 0;
}

static void
stop(void *ctx)
{
	struct serve_state *s = ctx;
	tl_embedded_stop(&s->servers);
}

static void
usage(FILE *out)
{
	fprintf(out,
		"Usage: trustlab serve [--issuer-listen HOST:PORT] [--sts-listen HOST:PORT]\n"
		"                      [--audit-log FILE]\n"
		"\n"
		"Runs mock-issuer and mock-sts in one process until SIGINT/SIGTERM and prints\n"
		"their URLs and the environment variables an AWS client needs.\n"
		"Both bind 127.0.0.1 on a free port unless told otherwise. One issuer per\n"
		"provider profile answers at /<profile> (/github, /gitlab, ...); its tokens\n"
		"carry the provider's real iss, which the STS maps to the local issuer.\n"
		"IAM admin credentials: test/test. --audit-log writes one CloudTrail-shaped\n"
		"JSON event per STS call. ECS tasks, the EC2 instance behind the imds URL and\n"
		"static IAM users are set with PUT /_trustlab/{tasks/ID,instance,users/NAME}\n"
		"(Authorization: Bearer test; docs/credential-chain.md).\n");
}

int
tl_cmd_serve(int argc, char **argv)
{
	static const struct option options[] = {
		{"issuer-listen", required_argument, NULL, 'i'},
		{"sts-listen", required_argument, NULL, 's'},
		{"audit-log", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct serve_state state = {0};
	struct tl_error err;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'i':
			state.issuer_listen = optarg;
			break;
		case 's':
			state.sts_listen = optarg;
			break;
		case 'a':
			state.audit_log = optarg;
			break;
		case 'h':
			usage(stdout);
			return TL_EXIT_OK;
		default:
			fprintf(stderr, "Try 'trustlab serve --help'.\n");
			return TL_EXIT_USAGE;
		}
	}
	tl_serve_warn_exposure(state.issuer_listen,
			       "- mint tokens for any job (POST /PROFILE/tokens, unauthenticated) "
			       "and rotate the\n"
			       "  issuer's keys; never register it as a provider in a real AWS "
			       "account");
	tl_serve_warn_exposure(state.sts_listen,
			       "- call the IAM API with the public test/test admin credentials\n"
			       "- read /_trustlab/decisions/<RequestId> (claims and request "
			       "context)");
	if (tl_serve_until_signal(start, stop, &state, &err) < 0) {
		fprintf(stderr, "trustlab serve: %s\n", err.message);
		return err.code == TL_ERR_INVALID ? TL_EXIT_USAGE : TL_EXIT_FAILED;
	}
	return TL_EXIT_OK;
}
