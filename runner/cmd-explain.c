/* SPDX-License-Identifier: MIT */
/*
 * trustlab explain: evaluates a trust policy for one request context and
 * prints the decision with its trace. Exit 0 allow, 1 deny, 2 bad input.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "util/buf.h"
#include "util/clock.h"
#include "util/file.h"

#include "claims/claims.h"
#include "jose/jwks.h"
#include "jose/jws.h"
#include "json/json.h"
#include "policy/policy.h"
#include "runner.h"

#define POLICY_FILE_MAX (1024 * 1024)

static void
usage(FILE *out)
{
	fprintf(out,
		"Usage: trustlab explain --policy FILE --context FILE [--format text|json]\n"
		"                        [--max-size N] [--shared-provider-controls]\n"
		"       trustlab explain --token JWT|FILE --role-policy FILE\n"
		"                        (--jwks FILE | --no-verify) [--audience AUD]\n"
		"                        [--now TIME] [--format text|json]\n"
		"\n"
		"Evaluates a role trust policy for one sts:AssumeRoleWithWebIdentity request, as\n"
		"IAM would, and prints the decision and why: each statement, each condition, the\n"
		"key, the operator, the policy and request values.\n"
		"\n"
		"  --policy FILE    the trust policy JSON (also the output of 'aws iam get-role')\n"
		"  --context FILE   the request as JSON:\n"
		"                     {\"principal\": {\"Federated\": \"arn:aws:iam::123456789012:"
		"oidc-provider/HOST\"},\n"
		"                      \"action\": \"sts:AssumeRoleWithWebIdentity\",\n"
		"                      \"keys\": {\"HOST:sub\": "
		"\"repo:acme/app:ref:refs/heads/main\",\n"
		"                               \"HOST:aud\": [\"sts.amazonaws.com\"]}}\n"
		"                   principal: exactly one of Federated, AWS, Service; action\n"
		"                   defaults to sts:AssumeRoleWithWebIdentity; a key's value is a\n"
		"                   string, number or boolean, or a list of them (multivalued)\n"
		"  --token JWT|FILE a real token (or a file holding one, e.g. copied from a CI\n"
		"                   log): decoded, verified offline, turned into the condition\n"
		"                   keys AWS would see, and evaluated instead of --context\n"
		"  --role-policy FILE  the same as --policy\n"
		"  --jwks FILE      the issuer's JWKS (saved from its jwks_uri) to verify the\n"
		"                   token as STS does: signature, algorithm allowlist, kid,\n"
		"                   exp/nbf/iat with 300 s leeway, aud when --audience is given\n"
		"  --no-verify      skip verification; the output says UNVERIFIED\n"
		"  --audience AUD   the client id the token must be for\n"
		"  --now TIME       the clock for exp/nbf (ISO 8601 or Unix seconds)\n"
		"  --format FORMAT  text (default) or json\n"
		"  --max-size N     policy size quota in non-whitespace characters (default 2048,\n"
		"                   at most 4096)\n"
		"  --shared-provider-controls\n"
		"                   also refuse what AWS refuses for shared OIDC providers\n"
		"                   (GitHub, GitLab.com, HCP Terraform, ...): an Allow without\n"
		"                   a StringEquals/StringLike condition pinning :sub\n"
		"\n"
		"Exit status: 0 allow, 1 deny (explicit or implicit), 2 invalid input (a policy\n"
		"IAM would refuse: MalformedPolicyDocument or LimitExceeded, a bad context, or a\n"
		"token STS would refuse, named by its reason: expired, signature-invalid, ...).\n"
		"See docs/explain.md.\n");
}

/* The document itself, or Role.AssumeRolePolicyDocument of `aws iam get-role`. */
static char *
policy_document(const char *path, size_t *len, struct tl_error *err)
{
	char *data = NULL;
	json_t *doc, *inner;

	if (tl_file_read(path, POLICY_FILE_MAX, &data, len, err) < 0)
		return NULL;
	doc = json_loadb(data, *len, 0, NULL);
	inner = json_object_get(json_object_get(doc, "Role"), "AssumeRolePolicyDocument");
	if (json_is_object(inner)) {
		char *text = json_dumps(inner, JSON_COMPACT | JSON_PRESERVE_ORDER);
		free(data);
		data = text;
		*len = text ? strlen(text) : 0;
		if (!text)
			tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	}
	json_decref(doc);
	return data;
}

static int
bad_policy(const char *path, const struct tl_error *err, bool json_out)
{
	if (json_out) {
		json_t *j = json_pack("{s:{s:s, s:s, s:s, s:s, s:i, s:i}}", "error", "code",
				      tl_policy_aws_error(err), "path", err->path, "message",
				      err->message, "file", path, "line", err->line, "column",
				      err->column);
		if (j) {
			json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			fputc('\n', stdout);
			json_decref(j);
		}
	}
	if (err->line > 0)
		fprintf(stderr, "trustlab explain: %s:%d:%d: %s: %s\n", path, err->line,
			err->column, tl_policy_aws_error(err), err->message);
	else if (err->path[0])
		fprintf(stderr, "trustlab explain: %s: %s: %s: %s\n", path,
			tl_policy_aws_error(err), err->path, err->message);
	else
		fprintf(stderr, "trustlab explain: %s: %s: %s\n", path, tl_policy_aws_error(err),
			err->message);
	return TL_EXIT_USAGE;
}

/* --- --token: a real token, verified offline -------------------------------- */

struct token_opts {
	const char *token; /* the token or a file holding it */
	const char *jwks;
	const char *audience;
	const char *now;
	bool no_verify;
};

/* The token text: the file `arg` names (whitespace around it trimmed), or `arg`. */
static char *
read_token(const char *arg, struct tl_error *err)
{
	char *data = NULL;
	size_t len, start = 0;
	struct stat st;

	/* base64url and '.' never name a file by accident; a path does. */
	if (stat(arg, &st) != 0)
		return strdup(arg);
	if (tl_file_read(arg, TL_JWS_MAX_TOKEN + 4096, &data, &len, err) < 0)
		return NULL;
	while (len > 0 && strchr(" \t\r\n", data[len - 1]))
		data[--len] = '\0';
	while (start < len && strchr(" \t\r\n", data[start]))
		start++;
	memmove(data, data + start, len - start + 1);
	return data;
}

/* The provider ARN: the policy's own for this provider when it names one. */
static void
provider_arn(const json_t *policy, const char *provider, char *out, size_t size)
{
	const json_t *stmts = json_object_get(policy, "Statement"), *st, *fed, *v;
	size_t i, j, n = strlen(provider);

	snprintf(out, size, "arn:aws:iam::123456789012:oidc-provider/%s", provider);
	for (i = 0; i < (json_is_array(stmts) ? json_array_size(stmts) : 1); i++) {
		st = json_is_array(stmts) ? json_array_get(stmts, i) : stmts;
		fed = json_object_get(json_object_get(st, "Principal"), "Federated");
		for (j = 0; j < (json_is_array(fed) ? json_array_size(fed) : 1); j++) {
			v = json_is_array(fed) ? json_array_get(fed, j) : fed;
			const char *a = json_string_value(v),
				   *o = a ? strstr(a, ":oidc-provider/") : NULL;
			if (o && strlen(o + 15) == n && strncasecmp(o + 15, provider, n) == 0) {
				snprintf(out, size, "%s", a);
				return;
			}
		}
	}
}

struct key_sink {
	struct tl_policy_context *ctx;
	json_t *keys; /* key -> [values], for the output */
	bool failed;
};

static void
add_key(void *p, const char *key, const char *value)
{
	struct key_sink *k = p;
	json_t *have = json_object_get(k->keys, key);

	if (tl_policy_context_add(k->ctx, key, value, NULL) < 0)
		k->failed = true;
	if (!have) {
		have = json_array();
		json_object_set_new(k->keys, key, have);
	}
	if (value)
		json_array_append_new(have, json_string(value));
}

/*
 * Verifies (or, with --no-verify, only decodes) the token and builds the
 * request context STS would evaluate. Returns the context and *info (what
 * to show), or NULL with the error printed and *rc set.
 */
static struct tl_policy_context *
token_context(const struct token_opts *o, const char *policy_text, size_t policy_len, json_t **info,
	      int *rc)
{
	struct tl_error err = {0};
	struct tl_jws_result res = {0};
	struct tl_jws_expect expect;
	struct tl_jwks *jwks = NULL;
	struct tl_clock clock;
	struct key_sink sink = {0};
	enum tl_jws_reason r;
	char *token = NULL, arn[700], buf[64], iso[TL_TIME_ISO8601_LEN];
	const char *iss, *provider;
	json_t *policy = NULL;
	int64_t now_ms;

	*rc = TL_EXIT_USAGE;
	*info = NULL;
	tl_clock_init_system(&clock);
	if (o->now) {
		if (tl_time_parse(o->now, &now_ms, &err) < 0) {
			fprintf(stderr, "trustlab explain: --now '%s': %s\n", o->now, err.message);
			return NULL;
		}
		tl_clock_init_pinned(&clock, now_ms);
	}
	if (!o->no_verify && !o->jwks) {
		fprintf(stderr, "trustlab explain: --token needs --jwks FILE (the issuer's keys) "
				"or --no-verify\n");
		return NULL;
	}
	if (o->jwks && !(jwks = tl_jwks_load_file(o->jwks, &err))) {
		char msg[1024];
		tl_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "trustlab explain: --jwks %s: %s\n", o->jwks, msg);
		return NULL;
	}
	token = read_token(o->token, &err);
	if (!token) {
		fprintf(stderr, "trustlab explain: --token %s: %s\n", o->token, err.message);
		goto fail;
	}
	if (o->no_verify) {
		fprintf(stderr, "trustlab explain: UNVERIFIED token (--no-verify): its signature "
				"and time claims are not checked\n");
		r = tl_jws_decode_unverified(token, strlen(token), &res);
	} else {
		/* STS's checks (reference/sts.md §2.2): RSA and EC algorithms, kid, 300 s leeway. */
		tl_jws_expect_init(&expect);
		expect.skew_seconds = 300;
		expect.algs = TL_JWS_ALGS_STS;
		expect.audience = o->audience;
		r = tl_jws_verify(token, strlen(token), jwks, &expect, &clock, &res);
	}
	if (r != TL_JWS_OK) {
		fprintf(stderr, "trustlab explain: token refused: %s: %s (STS: %s)\n",
			tl_jws_reason_name(r), res.message,
			r == TL_JWS_EXPIRED || r == TL_JWS_NBF_FUTURE || r == TL_JWS_IAT_FUTURE
				? "ExpiredTokenException"
				: "InvalidIdentityToken");
		goto fail;
	}
	if (o->no_verify && o->audience) {
		const json_t *aud = json_object_get(res.claims, "aud"), *e;
		bool found =
			json_is_string(aud) && strcmp(json_string_value(aud), o->audience) == 0;
		size_t i;
		json_array_foreach(aud, i, e) found |=
			json_is_string(e) && strcmp(json_string_value(e), o->audience) == 0;
		if (!found) {
			fprintf(stderr,
				"trustlab explain: token refused: %s: \"%s\" is not in aud "
				"(STS: InvalidIdentityToken)\n",
				tl_jws_reason_name(TL_JWS_AUD_MISMATCH), o->audience);
			goto fail;
		}
	}
	iss = json_string_value(json_object_get(res.claims, "iss"));
	if (!iss || !*iss) {
		fprintf(stderr, "trustlab explain: token refused: %s (STS: InvalidIdentityToken)\n",
			tl_jws_reason_name(TL_JWS_ISS_MISSING));
		goto fail;
	}
	/* The provider is the issuer URL without its scheme (reference/sts.md §3.9). */
	provider = strncmp(iss, "https://", 8) == 0 ? iss + 8 : iss;
	policy = json_loadb(policy_text, policy_len, 0, NULL);
	provider_arn(policy, provider, arn, sizeof(arn));

	sink.ctx = tl_policy_context_new();
	sink.keys = json_object();
	if (!sink.ctx || !sink.keys ||
	    tl_policy_context_set_principal(sink.ctx, TL_PRINCIPAL_FEDERATED, arn, NULL) < 0 ||
	    tl_policy_context_set_action(sink.ctx, "sts:AssumeRoleWithWebIdentity", NULL) < 0) {
		fprintf(stderr, "trustlab explain: out of memory\n");
		goto fail;
	}
	tl_claims_aws_keys(provider, res.claims, add_key, &sink);
	/* The request keys mock-sts adds besides the token's (docs/mock-sts.md). */
	add_key(&sink, "aws:FederatedProvider", arn);
	if (json_is_integer(json_object_get(res.claims, "iat"))) {
		tl_time_format_iso8601(json_integer_value(json_object_get(res.claims, "iat")), iso);
		add_key(&sink, "aws:TokenIssueTime", iso);
	}
	tl_time_format_iso8601(tl_clock_now(&clock), iso);
	add_key(&sink, "aws:CurrentTime", iso);
	snprintf(buf, sizeof(buf), "%lld", (long long)tl_clock_now(&clock));
	add_key(&sink, "aws:EpochTime", buf);
	add_key(&sink, "aws:SecureTransport", "true");
	if (sink.failed) {
		fprintf(stderr, "trustlab explain: out of memory\n");
		goto fail;
	}
	*info = json_pack("{s:b, s:s, s:s, s:O, s:O, s:{s:s}, s:O}", "verified", !o->no_verify,
			  "verification", o->no_verify ? "UNVERIFIED (--no-verify)" : "verified",
			  "kid",
			  json_string_value(json_object_get(res.header, "kid"))
				  ? json_string_value(json_object_get(res.header, "kid"))
				  : "",
			  "header", res.header, "claims", res.claims, "principal", "Federated", arn,
			  "keys", sink.keys);
	json_decref(sink.keys);
	json_decref(policy);
	tl_jws_result_finish(&res);
	tl_jwks_free(jwks);
	free(token);
	*rc = TL_EXIT_OK;
	return sink.ctx;
fail:
	tl_policy_context_free(sink.ctx);
	json_decref(sink.keys);
	json_decref(policy);
	tl_jws_result_finish(&res);
	tl_jwks_free(jwks);
	free(token);
	return NULL;
}

static void
print_json_block(const char *title, const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", title);
	for (char *line = s, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		printf("  %s\n", line);
		if (!next)
			break;
	}
	free(s);
}

/* The token part of the text output: banner, header, claims, keys. */
static void
print_token(const json_t *info)
{
	const char *k;
	const json_t *vals, *e;
	size_t i;

	if (json_is_true(json_object_get(info, "verified")))
		printf("token: verified offline against the JWKS (kid \"%s\": signature, "
		       "algorithm, exp/nbf/iat, aud when given)\n",
		       json_string_value(json_object_get(info, "kid")));
	else
		printf("*** UNVERIFIED TOKEN (--no-verify): the signature, issuer keys and time "
		       "claims were NOT checked; anyone can write these claims ***\n");
	print_json_block("header:", json_object_get(info, "header"));
	print_json_block("claims:", json_object_get(info, "claims"));
	printf("condition keys AWS would see (principal %s):\n",
	       json_string_value(json_object_get(json_object_get(info, "principal"), "Federated")));
	json_object_foreach((json_t *)json_object_get(info, "keys"), k, vals)
		json_array_foreach(vals, i, e) printf("  %s = %s\n", k, json_string_value(e));
	printf("\n");
}

int
tl_cmd_explain(int argc, char **argv)
{
	static const struct option options[] = {
		{"policy", required_argument, NULL, 'p'},
		{"context", required_argument, NULL, 'c'},
		{"format", required_argument, NULL, 'f'},
		{"max-size", required_argument, NULL, 'm'},
		{"shared-provider-controls", no_argument, NULL, 's'},
		{"token", required_argument, NULL, 't'},
		{"role-policy", required_argument, NULL, 'p'},
		{"jwks", required_argument, NULL, 'j'},
		{"no-verify", no_argument, NULL, 'n'},
		{"audience", required_argument, NULL, 'a'},
		{"now", required_argument, NULL, 'N'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *policy_path = NULL, *context_path = NULL, *format = "text";
	struct tl_policy_limits limits = {0};
	struct tl_error err = {0};
	struct token_opts tok = {0};
	json_t *token_info = NULL;
	int opt, rc = TL_EXIT_USAGE;
	char *end;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'p':
			policy_path = optarg;
			break;
		case 'c':
			context_path = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'm':
			limits.max_chars = strtoul(optarg, &end, 10);
			if (*end || !*optarg || limits.max_chars < 1 ||
			    limits.max_chars > TL_POLICY_SIZE_MAX) {
				fprintf(stderr,
					"trustlab explain: --max-size '%s': expected a number from "
					"1 to %d\n",
					optarg, TL_POLICY_SIZE_MAX);
				return TL_EXIT_USAGE;
			}
			break;
		case 's':
			limits.shared_provider_controls = true;
			break;
		case 't':
			tok.token = optarg;
			break;
		case 'j':
			tok.jwks = optarg;
			break;
		case 'n':
			tok.no_verify = true;
			break;
		case 'a':
			tok.audience = optarg;
			break;
		case 'N':
			tok.now = optarg;
			break;
		case 'h':
			usage(stdout);
			return TL_EXIT_OK;
		default:
			fprintf(stderr, "Try 'trustlab explain --help'.\n");
			return TL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "trustlab explain: unexpected argument '%s'\n", argv[optind]);
		return TL_EXIT_USAGE;
	}
	if (!policy_path || (!context_path == !tok.token)) {
		fprintf(stderr, "trustlab explain: --policy and --context are required (or --token "
				"instead of --context)\n"
				"Try 'trustlab explain --help'.\n");
		return TL_EXIT_USAGE;
	}
	if (!tok.token && (tok.jwks || tok.no_verify || tok.audience || tok.now)) {
		fprintf(stderr, "trustlab explain: --jwks, --no-verify, --audience and --now go "
				"with --token\n");
		return TL_EXIT_USAGE;
	}
	if (tok.jwks && tok.no_verify) {
		fprintf(stderr, "trustlab explain: --jwks and --no-verify exclude each other\n");
		return TL_EXIT_USAGE;
	}
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
		fprintf(stderr, "trustlab explain: --format '%s': expected text or json\n", format);
		return TL_EXIT_USAGE;
	}
	bool json_out = strcmp(format, "json") == 0;

	size_t len;
	char *text = policy_document(policy_path, &len, &err);
	if (!text) {
		fprintf(stderr, "trustlab explain: %s\n", err.message);
		return TL_EXIT_USAGE;
	}
	struct tl_policy *policy = tl_policy_parse(text, len, &limits, &err);
	if (!policy) {
		free(text);
		return bad_policy(policy_path, &err, json_out);
	}

	struct tl_policy_context *ctx;
	if (tok.token) {
		ctx = token_context(&tok, text, len, &token_info, &rc);
		free(text);
		if (!ctx) {
			tl_policy_free(policy);
			return rc;
		}
	} else {
		free(text);
	}
	json_t *cj =
		tok.token ? NULL : tl_json_load_file(context_path, &tl_json_default_limits, &err);
	bool loaded = cj != NULL;
	if (!tok.token)
		ctx = cj ? tl_policy_context_from_json(cj, &err) : NULL;
	json_decref(cj);
	if (!ctx) {
		char msg[1024];
		/* A load error names the file itself; a shape error does not. */
		tl_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "trustlab explain: %s%s%s\n", loaded ? context_path : "",
			loaded ? ": " : "", msg);
		tl_policy_free(policy);
		return TL_EXIT_USAGE;
	}

	struct tl_policy_trace *trace = NULL;
	enum tl_policy_decision d = tl_policy_eval(policy, ctx, &trace);
	if (!trace) {
		fprintf(stderr, "trustlab explain: out of memory\n");
		rc = TL_EXIT_FAILED;
		goto out;
	}
	if (json_out) {
		json_t *j = tl_policy_trace_to_json(trace);
		if (j && token_info)
			json_object_set(j, "token", token_info);
		if (!j || json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0) {
			fprintf(stderr, "trustlab explain: out of memory\n");
			json_decref(j);
			rc = TL_EXIT_FAILED;
			goto out;
		}
		fputc('\n', stdout);
		json_decref(j);
	} else {
		struct tl_buf buf;
		if (token_info)
			print_token(token_info);
		tl_buf_init(&buf, 16 * 1024 * 1024);
		if (tl_policy_trace_render_text(trace, &buf, &err) < 0) {
			fprintf(stderr, "trustlab explain: %s\n", err.message);
			tl_buf_finish(&buf);
			rc = TL_EXIT_FAILED;
			goto out;
		}
		fputs(tl_buf_str(&buf), stdout);
		tl_buf_finish(&buf);
	}
	rc = d == TL_POLICY_ALLOW ? TL_EXIT_OK : TL_EXIT_FAILED;
out:
	json_decref(token_info);
	tl_policy_trace_free(trace);
	tl_policy_context_free(ctx);
	tl_policy_free(policy);
	return rc;
}
