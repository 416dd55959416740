/* SPDX-License-Identifier: MIT */
/*
 * trustlab roles: what a role source holds (docs/roles-from-iac.md): each
 * role with the providers it trusts, its account, its trust policy's size
 * against IAM's quota and where it was found; then the OIDC providers.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "rolesrc/rolesrc.h"
#include "runner.h"

#define MAX_GLOBS 32

static void
usage(FILE *out)
{
	fprintf(out,
		"Usage: trustlab roles [OPTIONS] SOURCE...\n"
		"\n"
		"Lists the IAM roles and OIDC providers in role sources: trust policy files,\n"
		"aws iam get-role / get-account-authorization-details / OIDC provider output,\n"
		"Terraform plans and state (terraform show -json), CloudFormation templates\n"
		"(JSON or YAML) and CDK's cdk.out. For each role: the providers it trusts,\n"
		"the account, the policy's size against the ACLSizePerRole quota (whitespace\n"
		"not counted) and where it was found.\n"
		"\n"
		"  -r, --role GLOB          only roles whose name or address matches (repeatable)\n"
		"  -f, --format FMT         text (default) or json\n"
		"  -s, --source-format FMT  read every SOURCE as FMT: policy, get-role,\n"
		"                           account-details, oidc-providers, oidc-provider,\n"
		"                           terraform-plan, terraform-state, cloudformation\n"
		"                           (default: detected)\n"
		"  -a, --account ID         the account for ARNs left to AWS (default "
		"123456789012,\n"
		"                           as scenarios)\n"
		"      --region REGION      ${AWS::Region} (default us-east-1)\n"
		"  -p, --parameter K=V      a CloudFormation parameter value (repeatable)\n"
		"      --quota N            the quota to check against (default 2048, at most "
		"4096)\n"
		"  -v, --verbose            also list the resources skipped\n"
		"\n"
		"Exit status: 0 listed, 1 a policy exceeds the quota, 2 invalid input or no\n"
		"role matched. See docs/roles-from-iac.md.\n");
}

/* "token.actions.githubusercontent.com" for an OIDC provider ARN. */
static const char *
short_principal(const char *p)
{
	const char *h = strstr(p, ":oidc-provider/");
	return h ? h + strlen(":oidc-provider/") : p;
}

static bool
selected(const struct tl_rolesrc_role *r, char **globs, size_t n)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (tl_rolesrc_role_matches(r, globs[i]))
			return true;
	return false;
}

static void
print_text(const struct tl_rolesrc *set, char **globs, size_t n_globs, size_t quota, bool verbose,
	   size_t *over)
{
	size_t w_name = 4, w_trust = 6;
	for (size_t i = 0; i < tl_rolesrc_role_count(set); i++) {
		const struct tl_rolesrc_role *r = tl_rolesrc_role(set, i);
		if (!selected(r, globs, n_globs))
			continue;
		if (strlen(r->name) > w_name)
			w_name = strlen(r->name);
		json_t *fed = tl_rolesrc_role_federated(r);
		size_t len = 0;
		for (size_t k = 0; k < json_array_size(fed); k++)
			len += strlen(short_principal(json_string_value(json_array_get(fed, k)))) +
			       (k ? 1 : 0);
		if (len > w_trust)
			w_trust = len;
		json_decref(fed);
	}
	printf("%-*s  %-*s  %-12s  %-10s  %s\n", (int)w_name, "ROLE", (int)w_trust, "TRUSTS",
	       "ACCOUNT", "SIZE", "SOURCE");
	for (size_t i = 0; i < tl_rolesrc_role_count(set); i++) {
		const struct tl_rolesrc_role *r = tl_rolesrc_role(set, i);
		if (!selected(r, globs, n_globs))
			continue;
		json_t *fed = tl_rolesrc_role_federated(r);
		char trusts[1024] = "", size[64];
		for (size_t k = 0; k < json_array_size(fed); k++) {
			size_t used = strlen(trusts);
			snprintf(trusts + used, sizeof(trusts) - used, "%s%s", k ? "," : "",
				 short_principal(json_string_value(json_array_get(fed, k))));
		}
		json_decref(fed);
		size_t chars = tl_rolesrc_policy_size(r->policy);
		snprintf(size, sizeof(size), "%zu/%zu", chars, quota);
		printf("%-*s  %-*s  %-12s  %-10s  %s%s%s%s\n", (int)w_name, r->name, (int)w_trust,
		       *trusts ? trusts : "-", r->account ? r->account : "-", size, r->file,
		       *r->where ? ": " : "", r->where, chars > quota ? "  OVER QUOTA" : "");
		if (chars > quota)
			(*over)++;
	}
	if (tl_rolesrc_provider_count(set)) {
		printf("\n%-44s  %-24s  %s\n", "OIDC PROVIDER", "CLIENT IDS", "SOURCE");
		for (size_t i = 0; i < tl_rolesrc_provider_count(set); i++) {
			const struct tl_rolesrc_provider *p = tl_rolesrc_provider(set, i);
			char ids[1024] = "";
			for (size_t k = 0; k < p->n_client_ids; k++) {
				size_t used = strlen(ids);
				snprintf(ids + used, sizeof(ids) - used, "%s%s", k ? "," : "",
					 p->client_ids[k]);
			}
			printf("%-44s  %-24s  %s%s%s\n", p->url, *ids ? ids : "-", p->file,
			       *p->where ? ": " : "", p->where);
		}
	}
	size_t notes = tl_rolesrc_note_count(set);
	if (verbose)
		for (size_t i = 0; i < notes; i++)
			fprintf(stderr, "note: %s\n", tl_rolesrc_note(set, i));
	else if (notes)
		fprintf(stderr,
			"note: %zu resource%s of other types skipped (--verbose lists them)\n",
			notes, notes == 1 ? "" : "s");
}

static json_t *
strv_json(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static int
print_json(const struct tl_rolesrc *set, char **globs, size_t n_globs, size_t quota, size_t *over)
{
	json_t *out = json_object(), *roles = json_array(), *provs = json_array(),
	       *notes = json_array();
	if (!out || !roles || !provs || !notes)
		goto nomem;
	json_object_set_new(out, "roles", roles);
	json_object_set_new(out, "providers", provs);
	json_object_set_new(out, "notes", notes);
	for (size_t i = 0; i < tl_rolesrc_role_count(set); i++) {
		const struct tl_rolesrc_role *r = tl_rolesrc_role(set, i);
		if (!selected(r, globs, n_globs))
			continue;
		size_t chars = tl_rolesrc_policy_size(r->policy);
		json_t *o =
			json_pack("{s:s, s:s, s:s, s:o?, s:o?, s:i, s:o, s:I, s:I, s:o?}", "name",
				  r->name, "file", r->file, "where", r->where, "account",
				  r->account ? json_string(r->account) : NULL, "arn",
				  r->arn ? json_string(r->arn) : NULL, "max_session_duration",
				  r->max_session_duration, "trusts", tl_rolesrc_role_federated(r),
				  "size", (json_int_t)chars, "quota", (json_int_t)quota, "policy",
				  json_loads(r->policy, 0, NULL));
		if (!o || json_array_append_new(roles, o) < 0)
			goto nomem;
		if (chars > quota)
			(*over)++;
	}
	for (size_t i = 0; i < tl_rolesrc_provider_count(set); i++) {
		const struct tl_rolesrc_provider *p = tl_rolesrc_provider(set, i);
		json_t *o = json_pack("{s:s, s:o?, s:o, s:o, s:s, s:s}", "url", p->url, "arn",
				      p->arn ? json_string(p->arn) : NULL, "client_ids",
				      strv_json(p->client_ids, p->n_client_ids), "thumbprints",
				      strv_json(p->thumbprints, p->n_thumbprints), "file", p->file,
				      "where", p->where);
		if (!o || json_array_append_new(provs, o) < 0)
			goto nomem;
	}
	for (size_t i = 0; i < tl_rolesrc_note_count(set); i++)
		json_array_append_new(notes, json_string(tl_rolesrc_note(set, i)));
	char *text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(out);
	if (!text)
		goto nomem_done;
	printf("%s\n", text);
	free(text);
	return 0;
nomem:
	json_decref(out);
nomem_done:
	fprintf(stderr, "trustlab roles: out of memory\n");
	return -1;
}

int
tl_cmd_roles(int argc, char **argv)
{
	static const struct option options[] = {
		{"role", required_argument, NULL, 'r'},
		{"format", required_argument, NULL, 'f'},
		{"source-format", required_argument, NULL, 's'},
		{"account", required_argument, NULL, 'a'},
		{"region", required_argument, NULL, 'R'},
		{"parameter", required_argument, NULL, 'p'},
		{"quota", required_argument, NULL, 'Q'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct tl_rolesrc_options ro = {.account = "123456789012"};
	char *globs[MAX_GLOBS];
	size_t n_globs = 0, quota = TL_POLICY_SIZE_DEFAULT, over = 0;
	bool json = false, verbose = false;
	json_t *params = json_object();
	struct tl_error err;
	int opt, status = TL_EXIT_USAGE;
	struct tl_rolesrc *set = NULL;

	tl_error_clear(&err);
	if (!params)
		return TL_EXIT_USAGE;
	while ((opt = getopt_long(argc, argv, "r:f:s:a:p:vh", options, NULL)) != -1) {
		switch (opt) {
		case 'r':
			if (n_globs == MAX_GLOBS) {
				fprintf(stderr, "trustlab roles: at most %d --role globs\n",
					MAX_GLOBS);
				goto out;
			}
			globs[n_globs++] = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
				fprintf(stderr,
					"trustlab roles: unknown format '%s' (text or json)\n",
					optarg);
				goto out;
			}
			json = strcmp(optarg, "json") == 0;
			break;
		case 's':
			if (tl_rolesrc_format_parse(optarg, &ro.format, &err) < 0) {
				fprintf(stderr, "trustlab roles: %s\n", err.message);
				goto out;
			}
			break;
		case 'a':
			if (strlen(optarg) != 12 || strspn(optarg, "0123456789") != 12) {
				fprintf(stderr,
					"trustlab roles: '%s' is not an AWS account id (12 "
					"digits)\n",
					optarg);
				goto out;
			}
			ro.account = optarg;
			break;
		case 'R':
			ro.region = optarg;
			break;
		case 'p': {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg) {
				fprintf(stderr, "trustlab roles: --parameter takes NAME=VALUE\n");
				goto out;
			}
			*eq = '\0';
			json_object_set_new(params, optarg, json_string(eq + 1));
			break;
		}
		case 'Q': {
			char *end;
			unsigned long q = strtoul(optarg, &end, 10);
			if (*end || q < 1 || q > TL_POLICY_SIZE_MAX) {
				fprintf(stderr, "trustlab roles: --quota takes 1 to %d\n",
					TL_POLICY_SIZE_MAX);
				goto out;
			}
			quota = q;
			break;
		}
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			status = TL_EXIT_OK;
			goto out;
		default:
			fprintf(stderr, "Try 'trustlab roles --help'.\n");
			goto out;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "trustlab roles: no SOURCE given\nTry 'trustlab roles --help'.\n");
		goto out;
	}
	ro.parameters = params;
	if (!(set = tl_rolesrc_new()))
		goto out;
	for (int i = optind; i < argc; i++) {
		if (tl_rolesrc_load_file(set, argv[i], &ro, &err) < 0) {
			char line[TL_ERROR_FILE_MAX + TL_ERROR_PATH_MAX + TL_ERROR_MESSAGE_MAX +
				  64];
			tl_error_format(&err, line, sizeof(line));
			fprintf(stderr, "%s\n", line);
			goto out;
		}
	}
	size_t matched = 0;
	for (size_t i = 0; i < tl_rolesrc_role_count(set); i++)
		matched += selected(tl_rolesrc_role(set, i), globs, n_globs);
	if (n_globs && !matched) {
		fprintf(stderr, "trustlab roles: no role matches --role %s", globs[0]);
		for (size_t i = 1; i < n_globs; i++)
			fprintf(stderr, ", %s", globs[i]);
		fprintf(stderr, "\n");
		goto out;
	}
	if (json) {
		if (print_json(set, globs, n_globs, quota, &over) < 0)
			goto out;
	} else {
		print_text(set, globs, n_globs, quota, verbose, &over);
	}
	if (over)
		fprintf(stderr,
			"trustlab roles: %zu polic%s exceed%s the quota of %zu characters "
			"(ACLSizePerRole; IAM would answer LimitExceeded)\n",
			over, over == 1 ? "y" : "ies", over == 1 ? "s" : "", quota);
	status = over ? TL_EXIT_FAILED : TL_EXIT_OK;
out:
	tl_rolesrc_free(set);
	json_decref(params);
	return status;
}
