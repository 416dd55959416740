/* SPDX-License-Identifier: MIT */
/*
 * trustlab token: mints one token the way a CI job would get it, and
 * prints it with its claims. Context fields are given as options in the
 * provider's vocabulary (docs/providers.md): --event push --ref
 * refs/heads/main ... (dashes in a name stand for underscores).
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange/exchange.h"
#include "runner.h"

#define MAX_RETYPES 16

static void
usage(FILE *out)
{
	fprintf(out,
		"Usage: trustlab token --provider PROFILE [--FIELD VALUE]... [OPTIONS]\n"
		"\n"
		"Mints one token as the provider would give it to a CI job and prints it, then\n"
		"its claims. FIELDs are the provider's context vocabulary (docs/providers.md),\n"
		"e.g. --repository acme/app --event push --ref refs/heads/main --environment\n"
		"prod; a dash in a name stands for an underscore (--job-workflow-ref).\n"
		"\n"
		"Options:\n"
		"  --provider PROFILE   github, gitlab, buildkite, circleci, terraform-cloud,\n"
		"                       kubernetes, bitbucket, spacelift, "
		"github-enterprise-server\n"
		"  --audience AUD       the aud to request (default: the profile's)\n"
		"  --claims JSON        raw claim overrides, an object (null removes a claim)\n"
		"  --fault NAME         a deliberately bad token (repeatable; docs/issuer.md)\n"
		"  --issuer-url URL     a running mock-issuer (default: one embedded)\n"
		"  --token-only         print only the token\n"
		"  -h, --help           show this help\n"
		"\n"
		"Exit status: 0 a token, 1 the provider gives this job no token (the reason is\n"
		"printed), 2 invalid input (the field at fault is named).\n");
}

/* "true"/"false"/"null" and integers typed; everything else a string. */
static json_t *
typed(const char *text)
{
	char *end;
	long long v;

	if (strcmp(text, "true") == 0)
		return json_true();
	if (strcmp(text, "false") == 0)
		return json_false();
	if (strcmp(text, "null") == 0)
		return json_null();
	v = strtoll(text, &end, 10);
	if (*text && *end == '\0' && (text[0] != '0' || text[1] == '\0'))
		return json_integer(v);
	return json_string(text);
}

/*
 * The issuer named a context field of the wrong type ("context.ref:
 * expected a string ..."): retype it from its text. Returns whether it did.
 */
static bool
retype(json_t *context, json_t *texts, const char *message)
{
	char field[128];
	const char *at = strstr(message, "context.");
	const char *text;
	size_t n;

	if (!at)
		return false;
	at += strlen("context.");
	n = strcspn(at, ".:[ ");
	if (n == 0 || n >= sizeof(field))
		return false;
	memcpy(field, at, n);
	field[n] = '\0';
	text = json_string_value(json_object_get(texts, field));
	if (!text)
		return false;
	if (strstr(message, "expected a string") &&
	    !json_is_string(json_object_get(context, field)))
		return json_object_set_new(context, field, json_string(text)) == 0;
	if (strstr(message, "expected a boolean") || strstr(message, "expected an integer") ||
	    strstr(message, "expected a number")) {
		json_t *v = typed(text);
		if (json_is_string(v)) {
			json_decref(v);
			return false;
		}
		return json_object_set_new(context, field, v) == 0;
	}
	return false;
}

int
tl_cmd_token(int argc, char **argv)
{
	const char *provider = NULL, *issuer_url = NULL;
	bool token_only = false;
	json_t *context = json_object(), *texts = json_object(), *faults = json_array();
	json_t *request = NULL, *claims = NULL;
	struct tl_embedded servers = {0};
	struct tl_exchange *ex = NULL;
	struct tl_mint_result mint = {0};
	struct tl_exchange_config xcfg = {0};
	struct tl_error err;
	char prefix[128];
	int status = TL_EXIT_USAGE;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			status = TL_EXIT_OK;
			goto out;
		}
		if (strcmp(a, "--token-only") == 0) {
			token_only = true;
			continue;
		}
		if (strncmp(a, "--", 2) != 0 || !a[2]) {
			fprintf(stderr, "trustlab token: unexpected argument '%s'\n", a);
			goto usage;
		}
		if (!v) {
			fprintf(stderr, "trustlab token: option '%s' needs a value\n", a);
			goto usage;
		}
		i++;
		if (strcmp(a, "--provider") == 0) {
			provider = v;
		} else if (strcmp(a, "--issuer-url") == 0) {
			issuer_url = v;
		} else if (strcmp(a, "--audience") == 0) {
			json_object_set_new(texts, "\x01audience", json_string(v));
		} else if (strcmp(a, "--fault") == 0) {
			json_array_append_new(faults, json_string(v));
		} else if (strcmp(a, "--claims") == 0) {
			json_error_t jerr;
			json_decref(claims);
			claims = json_loads(v, JSON_REJECT_DUPLICATES, &jerr);
			if (!json_is_object(claims)) {
				fprintf(stderr,
					"trustlab token: --claims: expected a JSON object (%s)\n",
					claims ? "found another value" : jerr.text);
				goto out;
			}
		} else {
			char field[128];
			size_t n = strlen(a + 2);
			if (n >= sizeof(field)) {
				fprintf(stderr, "trustlab token: option '%s' is too long\n", a);
				goto out;
			}
			for (size_t k = 0; k <= n; k++)
				field[k] = a[2 + k] == '-' ? '_' : a[2 + k];
			json_object_set_new(context, field, typed(v));
			json_object_set_new(texts, field, json_string(v));
		}
	}
	if (!provider) {
		fprintf(stderr, "trustlab token: --provider is required\n");
		goto usage;
	}

	status = TL_EXIT_FAILED;
	if (!issuer_url) {
		if (tl_embedded_start(&servers, NULL, &err) < 0) {
			fprintf(stderr, "trustlab token: %s\n", err.message);
			goto out;
		}
		issuer_url = servers.issuer_url;
	}
	xcfg.issuer_url = issuer_url;
	xcfg.sts_url = issuer_url; /* unused: only the issuer is asked */
	ex = tl_exchange_new(&xcfg, &err);
	if (!ex) {
		fprintf(stderr, "trustlab token: %s\n", err.message);
		goto out;
	}
	tl_embedded_prefix(servers.issuer ? &servers : NULL, provider, prefix, sizeof(prefix));
	for (int attempt = 0;; attempt++) {
		const char *aud = json_string_value(json_object_get(texts, "\x01audience"));
		json_decref(request);
		request = json_pack("{s:O}", "context", context);
		if (aud)
			json_object_set_new(request, "audience", json_string(aud));
		if (claims)
			json_object_set(request, "claims", claims);
		if (json_array_size(faults))
			json_object_set(request, "faults", faults);
		tl_mint_result_finish(&mint);
		if (tl_exchange_mint(ex, prefix, request, &mint, &err) < 0) {
			fprintf(stderr, "trustlab token: %s\n", err.message);
			goto out;
		}
		if (mint.status == 400 && attempt < MAX_RETYPES &&
		    retype(context, texts, mint.reason))
			continue;
		break;
	}
	if (mint.status == 200) {
		printf("%s\n", mint.token);
		if (!token_only) {
			char *text = json_dumps(mint.claims, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			printf("%s\n", text ? text : "");
			free(text);
		}
		status = TL_EXIT_OK;
	} else if (mint.status == 403) {
		printf("no-token: %s\n", mint.reason);
		status = TL_EXIT_FAILED;
	} else if (mint.status == 404) {
		fprintf(stderr, "trustlab token: no issuer for provider '%s' at %s%s\n", provider,
			issuer_url, prefix);
		status = TL_EXIT_USAGE;
	} else {
		fprintf(stderr, "trustlab token: %s\n", mint.reason);
		status = TL_EXIT_USAGE;
	}
	goto out;
usage:
	fprintf(stderr, "Try 'trustlab token --help'.\n");
	status = TL_EXIT_USAGE;
out:
	tl_mint_result_finish(&mint);
	json_decref(request);
	json_decref(claims);
	json_decref(context);
	json_decref(texts);
	json_decref(faults);
	tl_exchange_free(ex);
	tl_embedded_stop(&servers);
	return status;
}
