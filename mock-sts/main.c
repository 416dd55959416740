/* SPDX-License-Identifier: MIT */
/* mock-sts: AWS STS and the IAM subset it needs. Flags and start-up only. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"

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
	OPT_FETCH_TIMEOUT,
	OPT_DECISIONS_MAX,
	OPT_SESSIONS_MAX,
};

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
	default:
		return tl_error_set(err, TL_ERR_INVALID, "unknown option");
	}
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
			"  --fetch-timeout MS       discovery/JWKS fetch timeout (default 5000)\n"
			"  --decisions-max N        decision traces kept (default 10000)\n"
			"  --sessions-max N         issued sessions remembered (default 100000)\n",
		.endpoints = "  POST / , GET /?Action=...     STS and IAM query protocol\n"
			     "  GET /_trustlab/decisions/ID   the decision trace of a request\n"
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
			"secret)",
		.extra = extra,
		.option = option,
		.setup = setup,
		.teardown = teardown,
		.state = &st,
	};

	tl_stsd_config_init(&st.cfg);
	return tl_server_program_main(&prog, argc, argv);
}
