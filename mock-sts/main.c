/* SPDX-License-Identifier: MIT */
/* mock-sts: AWS STS and the IAM subset it needs. Flags and start-up only. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#include "http/server.h"
#include "serve.h"
#include "stsd/stsd.h"

#define MAPS_MAX 32

enum {
	OPT_CONFIG = 256,
	OPT_STATE,
	OPT_AUDIT_LOG,
	OPT_ACCOUNT,
	OPT_ADMIN,
	OPT_ISSUER_MAP,
	OPT_JWKS_FILE,
	OPT_NOW,
	OPT_SEED,
	OPT_POLICY_MAX,
	OPT_SKEW,
	OPT_ADMIN_USER,
	OPT_USER,
	OPT_TASK,
	OPT_INSTANCE,
	OPT_IMDS_LISTEN,
	OPT_IMDS_TOKENS,
	OPT_IMDS_HOP_LIMIT,
	OPT_MAX_ROLES,
	OPT_MAX_PROVIDERS,
	OPT_FETCH_TIMEOUT,
	OPT_DECISIONS_MAX,
	OPT_SESSIONS_MAX,
};

#define CREDS_MAX 64

struct state {
	struct tl_stsd_config cfg;
	const char *config_file;
	char admin[512];
	struct tl_clock clock;
	struct tl_stsd_issuer_map maps[MAPS_MAX];
	struct tl_stsd_jwks_file files[MAPS_MAX];
	char *owned[2 * MAPS_MAX];
	size_t owned_count;
	struct tl_stsd *svc;
	/* credential endpoints: "NAME=AKID:SECRET" users, "ID=ROLE:TOKEN" tasks */
	const char *users[CREDS_MAX];
	size_t user_count;
	const char *tasks[CREDS_MAX];
	size_t task_count;
	const char *instance; /* "ID=ROLE" */
	const char *imds_listen;
	struct tl_stsd_instance inst;
	struct tl_http_server *imds;
};

/* Splits "ISSUER=VALUE" at the last '=' (issuer URLs carry none). */
static int
split_pair(struct state *st, const char *arg, const char *flag, const char **left,
	   const char **right, struct tl_error *err)
{
	char *copy, *eq;

	if (st->owned_count == 2 * MAPS_MAX)
		return tl_error_set(err, TL_ERR_LIMIT, "--%s: at most %d", flag, MAPS_MAX);
	copy = strdup(arg);
	if (!copy)
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	eq = strrchr(copy, '=');
	if (!eq || eq == copy || !eq[1]) {
		free(copy);
		return tl_error_set(err, TL_ERR_INVALID, "--%s: expected ISSUER=VALUE, got '%s'",
				    flag, arg);
	}
	*eq = '\0';
	st->owned[st->owned_count++] = copy;
	*left = copy;
	*right = eq + 1;
	return 0;
}

static int
option(void *state, int val, const char *arg, struct tl_error *err)
{
	struct state *st = state;
	int64_t ms;
	char *end;
	long n;

	switch (val) {
	case OPT_CONFIG:
		st->config_file = arg;
		return 0;
	case OPT_STATE:
		st->cfg.state_path = arg;
		return 0;
	case OPT_AUDIT_LOG:
		st->cfg.audit_log_path = arg;
		return 0;
	case OPT_ACCOUNT:
		st->cfg.account = arg;
		return 0;
	case OPT_ADMIN: {
		char *colon;
		snprintf(st->admin, sizeof(st->admin), "%s", arg);
		colon = strchr(st->admin, ':');
		if (!colon || colon == st->admin || !colon[1])
			return tl_error_set(err, TL_ERR_INVALID,
					    "--admin-credentials: expected AKID:SECRET");
		*colon = '\0';
		st->cfg.admin_access_key_id = st->admin;
		st->cfg.admin_secret = colon + 1;
		return 0;
	}
	case OPT_ISSUER_MAP:
		if (st->cfg.issuer_map_count == MAPS_MAX)
			return tl_error_set(err, TL_ERR_LIMIT, "--issuer-map: at most %d",
					    MAPS_MAX);
		return split_pair(st, arg, "issuer-map", &st->maps[st->cfg.issuer_map_count].issuer,
				  &st->maps[st->cfg.issuer_map_count].url, err) < 0
			       ? -1
			       : (int)(st->cfg.issuer_map_count++ * 0);
	case OPT_JWKS_FILE:
		if (st->cfg.jwks_file_count == MAPS_MAX)
			return tl_error_set(err, TL_ERR_LIMIT, "--jwks-file: at most %d", MAPS_MAX);
		return split_pair(st, arg, "jwks-file", &st->files[st->cfg.jwks_file_count].issuer,
				  &st->files[st->cfg.jwks_file_count].path, err) < 0
			       ? -1
			       : (int)(st->cfg.jwks_file_count++ * 0);
	case OPT_NOW:
		if (tl_time_parse(arg, &ms, err) < 0) {
			tl_error_prefix(err, "--now");
			return -1;
		}
		tl_clock_init_pinned(&st->clock, ms);
		st->cfg.clock = &st->clock;
		return 0;
	case OPT_SEED:
		st->cfg.seed = arg;
		return 0;
	case OPT_FETCH_TIMEOUT:
		n = strtol(arg, &end, 10);
		if (*end || end == arg || n < 100 || n > 60000)
			return tl_error_set(err, TL_ERR_INVALID,
					    "--fetch-timeout: 100-60000 milliseconds, got '%s'",
					    arg);
		st->cfg.fetch_timeout_ms = n;
		return 0;
	case OPT_DECISIONS_MAX:
	case OPT_SESSIONS_MAX:
		n = strtol(arg, &end, 10);
		if (*end || end == arg || n < 1 || n > 10000000)
			return tl_error_set(
				err, TL_ERR_INVALID, "--%s: 1-10000000, got '%s'",
				val == OPT_DECISIONS_MAX ? "decisions-max" : "sessions-max", arg);
		if (val == OPT_DECISIONS_MAX)
			st->cfg.decisions_max = (size_t)n;
		else
			st->cfg.sessions_max = (size_t)n;
		return 0;
	case OPT_POLICY_MAX:
	case OPT_SKEW:
		n = strtol(arg, &end, 10);
		if (*end || end == arg || n < 0 || n > 86400)
			return tl_error_set(err, TL_ERR_INVALID, "expected a number, got '%s'",
					    arg);
		if (val == OPT_SKEW)
			st->cfg.skew_seconds = n;
		else if (n < 1 || n > 4096)
			return tl_error_set(err, TL_ERR_INVALID,
					    "--policy-max-size: 1-4096 characters");
		else
			st->cfg.policy_max_chars = (size_t)n;
		return 0;
	case OPT_ADMIN_USER:
		st->cfg.admin_user = arg;
		return 0;
	case OPT_USER:
	case OPT_TASK:
		if ((val == OPT_USER ? st->user_count : st->task_count) == CREDS_MAX)
			return tl_error_set(err, TL_ERR_LIMIT, "at most %d", CREDS_MAX);
		if (val == OPT_USER)
			st->users[st->user_count++] = arg;
		else
			st->tasks[st->task_count++] = arg;
		return 0;
	case OPT_INSTANCE:
		st->instance = arg;
		return 0;
	case OPT_IMDS_LISTEN:
		st->imds_listen = arg;
		return 0;
	case OPT_IMDS_TOKENS:
		if (strcmp(arg, "required") == 0)
			st->inst.tokens = TL_STSD_IMDS_REQUIRED;
		else if (strcmp(arg, "optional") == 0)
			st->inst.tokens = TL_STSD_IMDS_OPTIONAL;
		else
			return tl_error_set(err, TL_ERR_INVALID,
					    "--imds-tokens: required or optional, got '%s'", arg);
		return 0;
	case OPT_IMDS_HOP_LIMIT:
		n = strtol(arg, &end, 10);
		if (*end || end == arg || n < 1 || n > 64)
			return tl_error_set(err, TL_ERR_INVALID, "--imds-hop-limit: 1 to 64");
		st->inst.hop_limit = (int)n;
		return 0;
	case OPT_MAX_ROLES:
	case OPT_MAX_PROVIDERS:
		n = strtol(arg, &end, 10);
		if (*end || end == arg || n < 1 || n > 1000000)
			return tl_error_set(err, TL_ERR_INVALID, "expected 1-1000000, got '%s'",
					    arg);
		if (val == OPT_MAX_ROLES)
			st->cfg.roles_max = (size_t)n;
		else
			st->cfg.providers_max = (size_t)n;
		return 0;
	default:
		return tl_error_set(err, TL_ERR_INVALID, "unknown option");
	}
}

/* "LEFT=A:B" -> LEFT, A, B (B may hold ':'); copies into buf. */
static int
split3(const char *arg, const char *flag, char *buf, size_t size, const char **left, const char **a,
       const char **b, struct tl_error *err)
{
	char *eq, *colon;

	snprintf(buf, size, "%s", arg);
	eq = strchr(buf, '=');
	colon = eq ? strchr(eq + 1, ':') : NULL;
	if (!eq || eq == buf || (b && (!colon || colon == eq + 1 || !colon[1])) || (!b && !eq[1]))
		return tl_error_set(err, TL_ERR_INVALID, "--%s: expected %s, got '%s'", flag,
				    b ? "NAME=A:B" : "NAME=VALUE", arg);
	*eq = '\0';
	*left = buf;
	*a = eq + 1;
	if (b) {
		*colon = '\0';
		*b = colon + 1;
	}
	return 0;
}

/* Users, tasks and the instance; the IMDS listener. */
static int
setup_credentials(struct state *st, struct tl_error *err)
{
	char buf[4096];
	const char *name = NULL, *a = NULL, *b = NULL;

	for (size_t i = 0; i < st->user_count; i++)
		if (split3(st->users[i], "user", buf, sizeof(buf), &name, &a, &b, err) < 0 ||
		    tl_stsd_add_user(st->svc, name, a, b, err) < 0)
			return -1;
	for (size_t i = 0; i < st->task_count; i++)
		if (split3(st->tasks[i], "task", buf, sizeof(buf), &name, &a, &b, err) < 0 ||
		    tl_stsd_set_task(st->svc, name, a, b, err) < 0)
			return -1;
	if (st->instance) {
		if (split3(st->instance, "instance", buf, sizeof(buf), &name, &a, NULL, err) < 0)
			return -1;
		st->inst.id = name;
		st->inst.role = a;
		if (tl_stsd_set_instance(st->svc, &st->inst, err) < 0)
			return -1;
	}
	if (st->imds_listen) {
		struct tl_http_server_config hc;

		tl_http_server_config_init(&hc);
		hc.listen = st->imds_listen;
		st->imds = tl_http_server_new(&hc, err);
		if (!st->imds || tl_stsd_mount_imds(st->svc, st->imds, err) < 0 ||
		    tl_http_server_start(st->imds, err) < 0) {
			tl_error_prefix(err, "--imds-listen");
			return -1;
		}
		printf("imds listening on %s\n", tl_http_server_url(st->imds));
		fflush(stdout);
	}
	return 0;
}

static int
setup(void *state, struct tl_http_server *srv, struct tl_error *err)
{
	struct state *st = state;

	st->cfg.issuer_maps = st->maps;
	st->cfg.jwks_files = st->files;
	st->svc = tl_stsd_new(&st->cfg, err);
	if (!st->svc)
		return -1;
	if (st->config_file && tl_stsd_load_config(st->svc, st->config_file, err) < 0)
		return -1;
	if (setup_credentials(st, err) < 0)
		return -1;
	tl_log(TL_LOG_INFO, "account %s, %zu provider(s), %zu role(s)%s%s", st->cfg.account,
	       tl_stsd_provider_count(st->svc), tl_stsd_role_count(st->svc),
	       st->cfg.state_path ? ", state in " : "",
	       st->cfg.state_path ? st->cfg.state_path : "");
	return tl_stsd_mount(st->svc, srv, err);
}

static void
teardown(void *state)
{
	struct state *st = state;
	tl_http_server_free(st->imds);
	st->imds = NULL;
	tl_stsd_free(st->svc);
	st->svc = NULL;
	for (size_t i = 0; i < st->owned_count; i++)
		free(st->owned[i]);
	st->owned_count = 0;
}

int
main(int argc, char **argv)
{
	static const struct option extra[] = {
		{"config", required_argument, NULL, OPT_CONFIG},
		{"state", required_argument, NULL, OPT_STATE},
		{"audit-log", required_argument, NULL, OPT_AUDIT_LOG},
		{"account", required_argument, NULL, OPT_ACCOUNT},
		{"admin-credentials", required_argument, NULL, OPT_ADMIN},
		{"issuer-map", required_argument, NULL, OPT_ISSUER_MAP},
		{"jwks-file", required_argument, NULL, OPT_JWKS_FILE},
		{"now", required_argument, NULL, OPT_NOW},
		{"seed", required_argument, NULL, OPT_SEED},
		{"policy-max-size", required_argument, NULL, OPT_POLICY_MAX},
		{"skew", required_argument, NULL, OPT_SKEW},
		{"admin-user", required_argument, NULL, OPT_ADMIN_USER},
		{"user", required_argument, NULL, OPT_USER},
		{"task", required_argument, NULL, OPT_TASK},
		{"instance", required_argument, NULL, OPT_INSTANCE},
		{"imds-listen", required_argument, NULL, OPT_IMDS_LISTEN},
		{"imds-tokens", required_argument, NULL, OPT_IMDS_TOKENS},
		{"imds-hop-limit", required_argument, NULL, OPT_IMDS_HOP_LIMIT},
		{"max-roles", required_argument, NULL, OPT_MAX_ROLES},
		{"max-providers", required_argument, NULL, OPT_MAX_PROVIDERS},
		{"fetch-timeout", required_argument, NULL, OPT_FETCH_TIMEOUT},
		{"decisions-max", required_argument, NULL, OPT_DECISIONS_MAX},
		{"sessions-max", required_argument, NULL, OPT_SESSIONS_MAX},
		{NULL, 0, NULL, 0},
	};
	static struct state st;
	struct tl_server_program prog = {
		.name = "mock-sts",
		.summary = "A local AWS STS (AssumeRoleWithWebIdentity, GetCallerIdentity) and the "
			   "IAM\n"
			   "subset to set it up; verifies tokens strictly and evaluates real trust "
			   "policies.",
		.options =
			"  --config FILE            preload providers and roles (JSON, "
			"docs/mock-sts.md)\n"
			"  --state FILE             keep state in FILE (atomic writes, "
			"reloaded at start)\n"
			"  --audit-log FILE         append one CloudTrail-shaped JSON event "
			"per call\n"
			"  --account ID             the account (default 123456789012)\n"
			"  --admin-credentials K:S  IAM admin credentials (default test:test)\n"
			"  --issuer-map ISS=URL     fetch ISS's discovery and JWKS from URL "
			"(repeatable;\n"
			"                           ISS ending in '*' matches every iss it "
			"prefixes)\n"
			"  --jwks-file ISS=FILE     ISS's keys from FILE, offline (repeatable)\n"
			"  --now TIME               pin the clock (ISO 8601 or Unix seconds)\n"
			"  --seed TEXT              reproducible ids and credentials\n"
			"  --policy-max-size N      trust-policy quota (default 2048, max "
			"4096)\n"
			"  --skew SECONDS           leeway for exp/nbf/iat (default 300)\n"
			"  --admin-user NAME        the IAM user of the admin key (default "
			"admin)\n"
			"  --user NAME=AKID:SECRET  a static IAM user key (repeatable)\n"
			"  --task ID=ROLE:TOKEN     an ECS task and its Authorization token "
			"(repeatable)\n"
			"  --instance ID=ROLE       the EC2 instance IMDS stands for\n"
			"  --imds-listen HOST:PORT  serve instance metadata there\n"
			"  --imds-tokens MODE       required (IMDSv2 only, default) or "
			"optional\n"
			"  --imds-hop-limit N       HttpPutResponseHopLimit (default 1)\n"
			"  --max-roles N            RolesPerAccount quota (default 5000; more "
			"only\n"
			"                           for load tests)\n"
			"  --max-providers N        OpenIdConnectProvidersPerAccount quota "
			"(default 100)\n"
			"  --fetch-timeout MS       discovery/JWKS fetch timeout (default 5000)\n"
			"  --decisions-max N        decision traces kept (default 10000)\n"
			"  --sessions-max N         issued sessions remembered (default 100000)\n",
		.endpoints = "  POST / , GET /?Action=...     STS and IAM query protocol\n"
			     "  GET /_trustlab/decisions/ID   the decision trace of a request\n"
			     "  GET /_trustlab/ecs/TASK       ECS container credentials\n"
			     "  GET /_trustlab/health         liveness\n",
		.exposed =
			"- call the IAM API to create, change or delete providers and roles if "
			"they "
			"know the\n"
			"  admin credentials (--admin-credentials; the default test:test is "
			"public)\n"
			"- call AssumeRoleWithWebIdentity (unauthenticated, as in AWS)\n"
			"- read /_trustlab/decisions/<RequestId> (unauthenticated): the verified "
			"claims and\n"
			"  request context of the last 10,000 decisions (never a token or a "
			"secret)\n"
			"- read the instance role's credentials from the metadata listener "
			"(--imds-listen), as\n"
			"  on EC2: an IMDSv2 token is not authentication",
		.extra = extra,
		.option = option,
		.setup = setup,
		.teardown = teardown,
		.state = &st,
	};

	tl_stsd_config_init(&st.cfg);
	return tl_server_program_main(&prog, argc, argv);
}
