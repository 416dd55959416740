/* SPDX-License-Identifier: MIT */
/* mock-issuer: a local OIDC issuer. Flags and start-up only; the service lives in libtrustlab. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "issuer/issuer.h"
#include "serve.h"

enum {
	OPT_CONFIG = 256,
	OPT_KEY,
	OPT_KEY_SPEC,
	OPT_NOW,
	OPT_SEED,
	OPT_LOCAL_ISSUER,
	OPT_PROFILES,
	OPT_ISSUER,
	OPT_PUBLIC_URL,
};

struct state {
	const char *config_file;
	const char *profiles;
	const char *overrides[64];
	size_t n_overrides;
	struct tl_issuer_config cfg;
	struct tl_issuer_service *svc;
};

static int
option(void *ctx, int val, const char *arg, struct tl_error *err)
{
	struct state *st = ctx;

	switch (val) {
	case OPT_CONFIG:
		st->config_file = arg;
		return 0;
	case OPT_KEY:
		return tl_issuer_config_set_string(&st->cfg.key_file, arg, err);
	case OPT_KEY_SPEC:
		return tl_issuer_config_set_string(&st->cfg.key_spec, arg, err);
	case OPT_NOW:
		return tl_issuer_config_set_now(&st->cfg, arg, err);
	case OPT_SEED:
		return tl_issuer_config_set_string(&st->cfg.seed, arg, err);
	case OPT_LOCAL_ISSUER:
		st->cfg.local_issuer = true;
		return 0;
	case OPT_PROFILES:
		st->profiles = arg;
		return 0;
	case OPT_ISSUER:
		if (st->n_overrides == sizeof(st->overrides) / sizeof(st->overrides[0]))
			return tl_error_set(err, TL_ERR_LIMIT, "too many --issuer options");
		st->overrides[st->n_overrides++] = arg;
		return 0;
	case OPT_PUBLIC_URL:
		return tl_issuer_config_set_string(&st->cfg.public_url, arg, err);
	default:
		return tl_error_set(err, TL_ERR_INVALID, "unknown option");
	}
}

/* The config file first, then the command line on top of it. */
static int
setup(void *ctx, struct tl_http_server *srv, struct tl_error *err)
{
	struct state *st = ctx;
	struct tl_issuer_config file_cfg;

	if (st->config_file) {
		tl_issuer_config_init(&file_cfg);
		if (tl_issuer_config_load_file(&file_cfg, st->config_file, err) < 0) {
			tl_issuer_config_finish(&file_cfg);
			return -1;
		}
		/* Command-line values win over the file's. */
		if (st->cfg.key_file)
			tl_issuer_config_set_string(&file_cfg.key_file, st->cfg.key_file, err);
		if (st->cfg.key_spec)
			tl_issuer_config_set_string(&file_cfg.key_spec, st->cfg.key_spec, err);
		if (st->cfg.seed)
			tl_issuer_config_set_string(&file_cfg.seed, st->cfg.seed, err);
		if (st->cfg.public_url)
			tl_issuer_config_set_string(&file_cfg.public_url, st->cfg.public_url, err);
		if (st->cfg.clock_pinned) {
			file_cfg.clock_pinned = true;
			file_cfg.now_ms = st->cfg.now_ms;
		}
		file_cfg.local_issuer |= st->cfg.local_issuer;
		tl_issuer_config_finish(&st->cfg);
		st->cfg = file_cfg;
	}
	if (st->profiles && tl_issuer_config_set_profiles(&st->cfg, st->profiles, err) < 0)
		return -1;
	for (size_t i = 0; i < st->n_overrides; i++)
		if (tl_issuer_config_override_issuer(&st->cfg, st->overrides[i], err) < 0)
			return -1;
	st->svc = tl_issuer_service_new(&st->cfg, err);
	return st->svc ? tl_issuer_service_mount(st->svc, srv, err) : -1;
}

static void
teardown(void *ctx)
{
	struct state *st = ctx;

	tl_issuer_service_free(st->svc);
	tl_issuer_config_finish(&st->cfg);
}

int
main(int argc, char **argv)
{
	static const struct option extra[] = {
		{"config", required_argument, NULL, OPT_CONFIG},
		{"key", required_argument, NULL, OPT_KEY},
		{"key-spec", required_argument, NULL, OPT_KEY_SPEC},
		{"now", required_argument, NULL, OPT_NOW},
		{"seed", required_argument, NULL, OPT_SEED},
		{"local-issuer", no_argument, NULL, OPT_LOCAL_ISSUER},
		{"profiles", required_argument, NULL, OPT_PROFILES},
		{"issuer", required_argument, NULL, OPT_ISSUER},
		{"public-url", required_argument, NULL, OPT_PUBLIC_URL},
		{NULL, 0, NULL, 0},
	};
	static struct state st;
	struct tl_server_program prog = {
		.name = "mock-issuer",
		.summary = "A local OIDC issuer for offline tests of CI trust policies: discovery\n"
			   "document, JWKS, and tokens shaped like each CI provider's.",
		.options = "  --config FILE        issuers, keys and jobs from a JSON file "
			   "(docs/issuer.md)\n"
			   "  --profiles LIST      enable these profiles only (github,gitlab,...)\n"
			   "  --issuer PREFIX=URL  the `iss` of the issuer at PREFIX\n"
			   "  --local-issuer       `iss` is the local URL (strict OIDC discovery)\n"
			   "  --public-url URL     base URL in discovery and local `iss`\n"
			   "  --key FILE           signing key (PEM or JWK); default: generated\n"
			   "  --key-spec SPEC      generated keys: RSA-2048 (default), P-256, ...\n"
			   "  --now TIME           pin the clock (ISO 8601 or Unix seconds)\n"
			   "  --seed TEXT          deterministic jti and ids (implied by --now)\n",
		.endpoints = "  GET  /PREFIX/.well-known/openid-configuration   discovery\n"
			     "  GET  /PREFIX/.well-known/jwks, /PREFIX/jwks     JWKS\n"
			     "  POST /PREFIX/tokens                             mint a token\n"
			     "  POST /PREFIX/keys/rotate                        add a signing key\n"
			     "  POST /PREFIX/runtime/jobs                       register a job "
			     "(GitHub)\n"
			     "  GET  /PREFIX/_apis/token?audience=A             runtime token "
			     "(GitHub)\n",
		.exposed = "- mint tokens for any job and audience (POST /PREFIX/tokens, "
			   "/PREFIX/runtime/jobs;\n"
			   "  unauthenticated): every STS that trusts this issuer accepts them, so "
			   "never register\n"
			   "  it as an identity provider in a real AWS account\n"
			   "- rotate its signing keys (POST /PREFIX/keys/rotate, unauthenticated)",
		.extra = extra,
		.option = option,
		.setup = setup,
		.teardown = teardown,
		.state = &st,
	};

	tl_issuer_config_init(&st.cfg);
	return tl_server_program_main(&prog, argc, argv);
}
