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

#include "util/buf.h"
#include "util/file.h"

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
		"  --format FORMAT  text (default) or json\n"
		"  --max-size N     policy size quota in non-whitespace characters (default 2048,\n"
		"                   at most 4096)\n"
		"  --shared-provider-controls\n"
		"                   also refuse what AWS refuses for shared OIDC providers\n"
		"                   (GitHub, GitLab.com, HCP Terraform, ...): an Allow without\n"
		"                   a StringEquals/StringLike condition pinning :sub\n"
		"\n"
		"Exit status: 0 allow, 1 deny (explicit or implicit), 2 invalid input (a policy\n"
		"IAM would refuse: MalformedPolicyDocument or LimitExceeded, or a bad context).\n"
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

int
tl_cmd_explain(int argc, char **argv)
{
	static const struct option options[] = {
		{"policy", required_argument, NULL, 'p'},
		{"context", required_argument, NULL, 'c'},
		{"format", required_argument, NULL, 'f'},
		{"max-size", required_argument, NULL, 'm'},
		{"shared-provider-controls", no_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *policy_path = NULL, *context_path = NULL, *format = "text";
	struct tl_policy_limits limits = {0};
	struct tl_error err = {0};
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
	if (!policy_path || !context_path) {
		fprintf(stderr, "trustlab explain: --policy and --context are required\n"
				"Try 'trustlab explain --help'.\n");
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
	free(text);
	if (!policy)
		return bad_policy(policy_path, &err, json_out);

	json_t *cj = tl_json_load_file(context_path, &tl_json_default_limits, &err);
	bool loaded = cj != NULL;
	struct tl_policy_context *ctx = cj ? tl_policy_context_from_json(cj, &err) : NULL;
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
	tl_policy_trace_free(trace);
	tl_policy_context_free(ctx);
	tl_policy_free(policy);
	return rc;
}
