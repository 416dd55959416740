/* SPDX-License-Identifier: MIT */
/*
 * Writes what the real-client flows (test-sts-clients.sh) need into DIR,
 * without any issuer code: a fresh RSA key's JWKS (for mock-sts
 * --jwks-file), GitHub-shaped tokens signed with lib/jose, a trust policy
 * and a mock-sts --config file.
 *
 *   DIR/jwks.json            the public key set
 *   DIR/token                repo:acme/app:ref:refs/heads/main, aud sts.amazonaws.com
 *   DIR/token-wrong-aud      the same with aud "wrong.example.com"
 *   DIR/trust-policy.json    allows repo:acme/app:* with aud sts.amazonaws.com
 *   DIR/config.json          the provider and roles `deploy` (allowed) and
 *                            `locked` (a policy that denies every subject)
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/file.h"

#include "jose/jwks.h"
#include "jose/jws.h"
#include "jose/key.h"

#define ISSUER "https://token.actions.githubusercontent.com"

static int
write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	struct tl_error err;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (tl_file_write_atomic(path, text, strlen(text), 0644, &err) < 0) {
		fprintf(stderr, "sts-fixture: %s\n", err.message);
		return -1;
	}
	return 0;
}

static int
token(const char *dir, const char *name, struct tl_jose_key *key, const char *aud)
{
	struct tl_error err;
	long long now = (long long)time(NULL);
	json_t *header = tl_jws_header_new(key, TL_JOSE_ALG_RS256,
					   TL_JWS_HEADER_TYP | TL_JWS_HEADER_KID, &err);
	json_t *claims = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "jti",
				   "6f1d5e0c-1b5a-4c1e-9d55-0a7a8d5b9f11", "sub",
				   "repo:acme/app:ref:refs/heads/main", "aud", aud, "ref",
				   "refs/heads/main", "repository", "acme/app", "repository_owner",
				   "acme", "iss", ISSUER, "nbf", (json_int_t)(now - 5), "iat",
				   (json_int_t)(now - 5), "exp", (json_int_t)(now + 3600));
	char *tok = NULL;
	int rc = -1;

	if (header && claims &&
	    tl_jws_sign(key, TL_JOSE_ALG_RS256, header, claims, &tok, &err) == 0)
		rc = write_file(dir, name, tok);
	else
		fprintf(stderr, "sts-fixture: cannot sign: %s\n", err.message);
	free(tok);
	json_decref(header);
	json_decref(claims);
	return rc;
}

int
main(int argc, char **argv)
{
	static const char policy[] =
		"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
		"\"Principal\":{\"Federated\":\"arn:aws:iam::123456789012:oidc-provider/"
		"token.actions.githubusercontent.com\"},\"Action\":\"sts:"
		"AssumeRoleWithWebIdentity\","
		"\"Condition\":{\"StringEquals\":{\"token.actions.githubusercontent.com:aud\":"
		"\"sts.amazonaws.com\"},\"StringLike\":{\"token.actions.githubusercontent.com:"
		"sub\":"
		"\"repo:acme/app:*\"}}}]}\n";
	static const char locked[] =
		"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
		"\"Principal\":{\"Federated\":\"arn:aws:iam::123456789012:oidc-provider/"
		"token.actions.githubusercontent.com\"},\"Action\":\"sts:"
		"AssumeRoleWithWebIdentity\","
		"\"Condition\":{\"StringEquals\":{\"token.actions.githubusercontent.com:sub\":"
		"\"repo:someone-else/app:ref:refs/heads/main\"}}}]}\n";
	static const char config[] =
		"{\"providers\": [{\"url\": \"" ISSUER
		"\", \"client_ids\": [\"sts.amazonaws.com\"]}],\n"
		" \"roles\": [{\"name\": \"deploy\", \"trust_policy\": \"trust-policy.json\"},\n"
		"            {\"name\": \"locked\", \"trust_policy\": \"locked-policy.json\"}]}\n";
	struct tl_error err;
	struct tl_jose_key *key;
	struct tl_jwks *jwks;
	json_t *doc;
	char *text;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: sts-fixture DIR\n");
		return 2;
	}
	key = tl_jose_key_generate("RSA-2048", &err);
	if (!key || tl_jose_key_set_kid_thumbprint(key, &err) < 0) {
		fprintf(stderr, "sts-fixture: %s\n", err.message);
		tl_jose_key_free(key);
		return 1;
	}
	jwks = tl_jwks_new(&err);
	if (!jwks || tl_jwks_add(jwks, key, &err) < 0 || !(doc = tl_jwks_to_json(jwks, &err))) {
		fprintf(stderr, "sts-fixture: %s\n", err.message);
		goto out;
	}
	text = json_dumps(doc, JSON_INDENT(2));
	json_decref(doc);
	if (!text || write_file(argv[1], "jwks.json", text) < 0) {
		free(text);
		goto out;
	}
	free(text);
	if (token(argv[1], "token", key, "sts.amazonaws.com") < 0 ||
	    token(argv[1], "token-wrong-aud", key, "wrong.example.com") < 0 ||
	    write_file(argv[1], "trust-policy.json", policy) < 0 ||
	    write_file(argv[1], "locked-policy.json", locked) < 0 ||
	    write_file(argv[1], "config.json", config) < 0)
		goto out;
	rc = 0;
out:
	tl_jwks_free(jwks);
	tl_jose_key_free(key);
	return rc;
}
