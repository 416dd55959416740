/* SPDX-License-Identifier: MIT */
/*
 * lib/rolesrc: URL decoding, the policy size IAM counts, format
 * detection, CloudFormation's intrinsic functions and YAML short forms,
 * every fixture under tests/data/rolesrc (the policies must equal the
 * shipped ones of scenarios/github/plan-apply.yaml), the notes, and the
 * corpus of refused sources (tests/data/rolesrc/bad, one .err per case).
 *
 * Arguments: tests/data/rolesrc, the source root.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/file.h"

#include "rolesrc/rolesrc-private.h"
#include "rolesrc/rolesrc.h"
#include "scenario/scenario.h"
#include "scenario/yaml.h"
#include "test-common.h"

#define ACCOUNT "123456789012"
#define GH_ARN "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"

static void
enter_data_dir(void)
{
	ck_assert_msg(tl_test_arg(0) && chdir(tl_test_arg(0)) == 0,
		      "cannot enter the data directory %s", tl_test_arg(0));
}

/* --- URL decoding and sizes ------------------------------------------------ */

START_TEST(url_decode_good)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"%7B%22Version%22%3A%222012-10-17%22%7D", "{\"Version\":\"2012-10-17\"}"},
		{"%7b%22a%22%7d", "{\"a\"}"}, /* lower-case hex */
		{"a+b%20c", "a+b c"}, /* RFC 3986: '+' is itself */
		{"plain", "plain"},
		{"", ""},
		{"%C3%A9", "\xc3\xa9"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tl_error err;
		char *d = tl_rolesrc_url_decode(cases[i].in, &err);
		ck_assert_msg(d && strcmp(d, cases[i].out) == 0, "case %zu '%s': got '%s'", i,
			      cases[i].in, d ? d : "(null)");
		free(d);
	}
}
END_TEST

START_TEST(url_decode_bad)
{
	static const struct {
		const char *in, *msg;
	} cases[] = {
		{"%7B%2", "bad URL encoding at offset 3: '%' must be followed by two hex digits, "
			  "found '%2'"},
		{"abc%", "bad URL encoding at offset 3: '%' must be followed by two hex digits, "
			 "found '%'"},
		{"%zz%7B", "bad URL encoding at offset 0: '%' must be followed by two hex digits, "
			   "found '%zz'"},
		{"a%00b", "bad URL encoding at offset 1: %00 (a NUL byte)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tl_error err;
		tl_error_clear(&err);
		char *d = tl_rolesrc_url_decode(cases[i].in, &err);
		ck_assert_msg(!d, "case %zu '%s' decoded", i, cases[i].in);
		ck_assert_msg(err.code == TL_ERR_SYNTAX && strcmp(err.message, cases[i].msg) == 0,
			      "case %zu: '%s'", i, err.message);
	}
}
END_TEST

START_TEST(policy_size)
{
	/* reference/sts.md §3.1: whitespace is not counted. */
	ck_assert_uint_eq(tl_rolesrc_policy_size("{\"a\": \"b c\"}"), 10);
	ck_assert_uint_eq(tl_rolesrc_policy_size("{\n\t\"a\" :\r\n1}"), 7);
	ck_assert_uint_eq(tl_rolesrc_policy_size("\"\xc3\xa9\""), 3); /* é is one character */
	ck_assert_uint_eq(tl_rolesrc_policy_size(""), 0);
}
END_TEST

START_TEST(formats)
{
	static const struct {
		const char *json;
		enum tl_rolesrc_format f;
	} cases[] = {
		{"{\"Version\":\"2012-10-17\",\"Statement\":[]}", TL_ROLESRC_POLICY},
		{"{\"Role\":{\"AssumeRolePolicyDocument\":\"%7B%7D\"}}", TL_ROLESRC_GET_ROLE},
		{"{\"RoleDetailList\":[],\"Policies\":[]}", TL_ROLESRC_ACCOUNT_DETAILS},
		{"{\"OpenIDConnectProviderList\":[]}", TL_ROLESRC_OIDC_LIST},
		{"{\"Url\":\"gitlab.com\",\"ClientIDList\":[]}", TL_ROLESRC_OIDC_PROVIDER},
		{"{\"format_version\":\"1.2\",\"planned_values\":{}}", TL_ROLESRC_TERRAFORM_PLAN},
		{"{\"format_version\":\"1.2\",\"resource_changes\":[]}", TL_ROLESRC_TERRAFORM_PLAN},
		{"{\"format_version\":\"1.0\",\"values\":{}}", TL_ROLESRC_TERRAFORM_STATE},
		{"{\"format_version\":\"1.0\"}", TL_ROLESRC_TERRAFORM_STATE},
		{"{\"version\":4,\"terraform_version\":\"1.9.5\",\"serial\":1,\"lineage\":\"x\","
		 "\"resources\":[]}",
		 TL_ROLESRC_TERRAFORM_STATE},
		{"{\"Resources\":{}}", TL_ROLESRC_CLOUDFORMATION},
		{"{\"AWSTemplateFormatVersion\":\"2010-09-09\"}", TL_ROLESRC_CLOUDFORMATION},
		{"{\"hello\":1}", TL_ROLESRC_AUTO},
		{"[]", TL_ROLESRC_AUTO},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *doc = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
		enum tl_rolesrc_format f = tl_rolesrc_detect(doc);
		ck_assert_msg(f == cases[i].f, "case %zu %s: detected %s", i, cases[i].json,
			      tl_rolesrc_format_name(f));
		json_decref(doc);
		enum tl_rolesrc_format back;
		ck_assert_int_eq(
			tl_rolesrc_format_parse(tl_rolesrc_format_name(cases[i].f), &back, NULL),
			0);
		ck_assert_int_eq(back, cases[i].f);
	}
	struct tl_error err;
	enum tl_rolesrc_format f;
	ck_assert_int_eq(tl_rolesrc_format_parse("tfplan", &f, &err), -1);
	ck_assert_str_eq(err.message,
			 "unknown source format 'tfplan' (expected one of: auto, policy, get-role, "
			 "account-details, oidc-providers, oidc-provider, terraform-plan, "
			 "terraform-state, cloudformation)");
}
END_TEST

/* --- CloudFormation's intrinsic functions ----------------------------------- */

static const char *const template_text =
	"{\"Parameters\": {"
	"  \"Repo\": {\"Type\": \"String\", \"Default\": \"acme/app\"},"
	"  \"Envs\": {\"Type\": \"CommaDelimitedList\", \"Default\": \"dev,prod\"},"
	"  \"Stage\": {\"Type\": \"String\"},"
	"  \"Port\": {\"Type\": \"Number\", \"Default\": 443}},"
	" \"Conditions\": {"
	"  \"IsProd\": {\"Fn::Equals\": [{\"Ref\": \"Stage\"}, \"prod\"]},"
	"  \"NotProd\": {\"Fn::Not\": [{\"Condition\": \"IsProd\"}]},"
	"  \"Both\": {\"Fn::And\": [{\"Condition\": \"IsProd\"}, {\"Fn::Equals\": [\"a\", "
	"\"a\"]}]},"
	"  \"Loop\": {\"Fn::Not\": [{\"Condition\": \"Loop\"}]}},"
	" \"Mappings\": {\"Hosts\": {\"github\": {\"Host\": "
	"\"token.actions.githubusercontent.com\"}}},"
	" \"Resources\": {"
	"  \"Oidc\": {\"Type\": \"AWS::IAM::OIDCProvider\", \"Properties\": {"
	"    \"Url\": {\"Fn::Sub\": \"https://${Host}\"}}},"
	"  \"CdkOidc\": {\"Type\": \"Custom::AWSCDKOpenIdConnectProvider\", \"Properties\": {"
	"    \"Url\": \"https://gitlab.com\"}},"
	"  \"Named\": {\"Type\": \"AWS::IAM::Role\", \"Properties\": {"
	"    \"RoleName\": \"deploy\", \"Path\": \"/ci/\"}},"
	"  \"Unnamed\": {\"Type\": \"AWS::IAM::Role\", \"Properties\": {}},"
	"  \"Bucket\": {\"Type\": \"AWS::S3::Bucket\"}}}";

/* Resolves `value` (JSON) with Stage=prod given and Host=github's. */
static char *
resolve(const char *value, const char *account, struct tl_error *err)
{
	json_t *tpl = json_loads(template_text, 0, NULL);
	ck_assert_msg(tpl != NULL, "the test template is not JSON");
	/* Url of Oidc uses ${Host}: give it as a parameter value. */
	json_t *params = json_pack("{s:s, s:s}", "Stage", "prod", "Host",
				   "token.actions.githubusercontent.com");
	json_object_set_new(json_object_get(tpl, "Parameters"), "Host",
			    json_pack("{s:s}", "Type", "String"));
	struct tl_rolesrc_options opt = {.account = account, .parameters = params};
	json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);
	ck_assert_msg(v != NULL, "the test value is not JSON: %s", value);
	tl_error_clear(err);
	json_t *out = tl_rolesrc_cfn_resolve(tpl, v, &opt, "R (AWS::IAM::Role)", "X", err);
	char *text = out ? json_dumps(out, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	json_decref(out);
	json_decref(v);
	json_decref(tpl);
	json_decref(params);
	return text;
}

START_TEST(intrinsics)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"{\"Ref\": \"AWS::AccountId\"}", "\"123456789012\""},
		{"{\"Ref\": \"AWS::Partition\"}", "\"aws\""},
		{"{\"Ref\": \"AWS::Region\"}", "\"us-east-1\""},
		{"{\"Ref\": \"AWS::URLSuffix\"}", "\"amazonaws.com\""},
		{"{\"Ref\": \"Repo\"}", "\"acme/app\""},
		{"{\"Ref\": \"Stage\"}", "\"prod\""}, /* given, no Default */
		{"{\"Ref\": \"Port\"}", "\"443\""}, /* a Number parameter is text */
		{"{\"Ref\": \"Envs\"}", "[\"dev\",\"prod\"]"},
		{"{\"Ref\": \"Oidc\"}", "\"" GH_ARN "\""},
		{"{\"Ref\": \"CdkOidc\"}",
		 "\"arn:aws:iam::123456789012:oidc-provider/gitlab.com\""},
		{"{\"Ref\": \"Named\"}", "\"deploy\""},
		{"{\"Fn::GetAtt\": [\"Oidc\", \"Arn\"]}", "\"" GH_ARN "\""},
		{"{\"Fn::GetAtt\": \"Oidc.Arn\"}", "\"" GH_ARN "\""},
		{"{\"Fn::GetAtt\": \"Named.Arn\"}", "\"arn:aws:iam::123456789012:role/ci/deploy\""},
		{"{\"Fn::Sub\": \"repo:${Repo}:ref:refs/heads/main\"}",
		 "\"repo:acme/app:ref:refs/heads/main\""},
		{"{\"Fn::Sub\": \"arn:${AWS::Partition}:iam::${AWS::AccountId}:x\"}",
		 "\"arn:aws:iam::123456789012:x\""},
		{"{\"Fn::Sub\": \"${Oidc.Arn}\"}", "\"" GH_ARN "\""},
		{"{\"Fn::Sub\": \"${Oidc}\"}", "\"" GH_ARN "\""},
		{"{\"Fn::Sub\": \"${!Literal} and ${Repo}\"}", "\"${Literal} and acme/app\""},
		{"{\"Fn::Sub\": [\"${A}-${Repo}\", {\"A\": {\"Ref\": \"Stage\"}}]}",
		 "\"prod-acme/app\""},
		{"{\"Fn::Sub\": \"no variables\"}", "\"no variables\""},
		{"{\"Fn::Join\": [\":\", [\"repo\", {\"Ref\": \"Repo\"}, \"*\"]]}",
		 "\"repo:acme/app:*\""},
		{"{\"Fn::Join\": [\",\", {\"Ref\": \"Envs\"}]}", "\"dev,prod\""},
		{"{\"Fn::Select\": [1, {\"Ref\": \"Envs\"}]}", "\"prod\""},
		{"{\"Fn::Select\": [\"0\", {\"Fn::Split\": [\"/\", {\"Ref\": \"Repo\"}]}]}",
		 "\"acme\""},
		{"{\"Fn::If\": [\"IsProd\", \"p\", \"d\"]}", "\"p\""},
		{"{\"Fn::If\": [\"NotProd\", \"p\", \"d\"]}", "\"d\""},
		{"{\"Fn::If\": [\"Both\", 43200, 3600]}", "43200"},
		{"[\"a\", {\"Fn::If\": [\"NotProd\", \"b\", {\"Ref\": \"AWS::NoValue\"}]}]",
		 "[\"a\"]"},
		{"{\"k\": {\"Fn::If\": [\"NotProd\", \"b\", {\"Ref\": \"AWS::NoValue\"}]}, \"j\": "
		 "1}",
		 "{\"j\":1}"},
		{"{\"Fn::FindInMap\": [\"Hosts\", \"github\", \"Host\"]}",
		 "\"token.actions.githubusercontent.com\""},
		{"{\"Condition\": {\"StringEquals\": {\"a\": {\"Ref\": \"Repo\"}}}}",
		 "{\"Condition\":{\"StringEquals\":{\"a\":\"acme/app\"}}}"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tl_error err;
		char *out = resolve(cases[i].in, ACCOUNT, &err);
		ck_assert_msg(out && strcmp(out, cases[i].out) == 0, "case %zu %s: got %s (%s)", i,
			      cases[i].in, out ? out : "(error)", err.message);
		free(out);
	}
}
END_TEST

START_TEST(intrinsics_refused)
{
	static const struct {
		const char *in, *account, *path, *msg;
	} cases[] = {
		{"{\"Fn::Sub\": \"${Nope}\"}", ACCOUNT, "X[\"Fn::Sub\"]",
		 "R (AWS::IAM::Role): Fn::Sub: ${Nope} names no parameter, resource or pseudo "
		 "parameter (give a variable map, [string, {Nope: value}], or a parameter)"},
		{"{\"Fn::Sub\": \"${Repo\"}", ACCOUNT, "X[\"Fn::Sub\"]",
		 "R (AWS::IAM::Role): Fn::Sub: '${' without a closing '}' in \"${Repo\""},
		{"{\"Ref\": \"AWS::AccountId\"}", NULL, "X.Ref",
		 "R (AWS::IAM::Role): AWS::AccountId is not known offline: give the account the "
		 "stack deploys to"},
		{"{\"Ref\": \"AWS::StackName\"}", ACCOUNT, "X.Ref",
		 "R (AWS::IAM::Role): pseudo parameter AWS::StackName is not known offline"},
		{"{\"Ref\": \"Unnamed\"}", ACCOUNT, "X.Ref",
		 "R (AWS::IAM::Role): Ref to Unnamed (AWS::IAM::Role) is only known after "
		 "deployment"},
		{"{\"Ref\": \"Bucket\"}", ACCOUNT, "X.Ref",
		 "R (AWS::IAM::Role): Ref to Bucket (AWS::S3::Bucket) is only known after "
		 "deployment"},
		{"{\"Fn::GetAtt\": \"Unnamed.Arn\"}", ACCOUNT, "X[\"Fn::GetAtt\"]",
		 "R (AWS::IAM::Role): the ARN of Unnamed is not known before deployment (it has "
		 "no RoleName)"},
		{"{\"Fn::GetAtt\": \"Nothing.Arn\"}", ACCOUNT, "X[\"Fn::GetAtt\"]",
		 "R (AWS::IAM::Role): Fn::GetAtt: no resource named Nothing"},
		{"{\"Fn::GetAtt\": 3}", ACCOUNT, "X[\"Fn::GetAtt\"]",
		 "R (AWS::IAM::Role): Fn::GetAtt takes [LogicalId, Attribute] or "
		 "\"LogicalId.Attribute\""},
		{"{\"Fn::Base64\": \"x\"}", ACCOUNT, "X[\"Fn::Base64\"]",
		 "R (AWS::IAM::Role): Fn::Base64 is not supported (trustlab resolves Ref, Fn::Sub, "
		 "Fn::Join, Fn::GetAtt, Fn::If, Fn::Select, Fn::Split, Fn::FindInMap)"},
		{"{\"Fn::If\": [\"Loop\", 1, 2]}", ACCOUNT, "Conditions.Loop[\"Fn::Not\"]",
		 "R (AWS::IAM::Role): condition Loop refers to itself"},
		{"{\"Fn::If\": [\"Missing\", 1, 2]}", ACCOUNT, "X[\"Fn::If\"]",
		 "R (AWS::IAM::Role): no condition named Missing in Conditions"},
		{"{\"Fn::Select\": [5, [\"a\"]]}", ACCOUNT, "X[\"Fn::Select\"]",
		 "R (AWS::IAM::Role): Fn::Select: index 5 is out of range (1 values)"},
		{"{\"Fn::Join\": [\":\", [\"a\", [\"b\"]]]}", ACCOUNT, "X[\"Fn::Join\"]",
		 "R (AWS::IAM::Role): Fn::Join: value 1 is not a string"},
		{"{\"Fn::FindInMap\": [\"Hosts\", \"gitlab\", \"Host\"]}", ACCOUNT,
		 "X[\"Fn::FindInMap\"]",
		 "R (AWS::IAM::Role): Fn::FindInMap: Mappings.Hosts.gitlab.Host does not exist"},
		{"{\"Statement\": [{\"Principal\": {\"Federated\": {\"Ref\": \"Nope\"}}}]}",
		 ACCOUNT, "X.Statement[0].Principal.Federated.Ref",
		 "R (AWS::IAM::Role): Ref: no parameter or resource named Nope"},
		{"{\"Ref\": \"AWS::NoValue\"}", ACCOUNT, "X",
		 "R (AWS::IAM::Role): the value is AWS::NoValue"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tl_error err;
		char *out = resolve(cases[i].in, cases[i].account, &err);
		ck_assert_msg(!out, "case %zu %s: resolved to %s", i, cases[i].in, out);
		ck_assert_msg(strcmp(err.message, cases[i].msg) == 0, "case %zu %s: message '%s'",
			      i, cases[i].in, err.message);
		ck_assert_msg(strcmp(err.path, cases[i].path) == 0, "case %zu %s: path '%s'", i,
			      cases[i].in, err.path);
	}
}
END_TEST

/* --- YAML short forms ------------------------------------------------------- */

static const struct tl_yaml_tag tags[] = {
	{"!Ref", "Ref"},	   {"!Sub", "Fn::Sub"}, {"!Join", "Fn::Join"},
	{"!GetAtt", "Fn::GetAtt"}, {"!If", "Fn::If"},	{NULL, NULL},
};

START_TEST(yaml_short_forms)
{
	static const struct {
		const char *yaml, *json;
	} cases[] = {
		{"a: !Ref X\n", "{\"a\":{\"Ref\":\"X\"}}"},
		{"a: !Ref 123\n", "{\"a\":{\"Ref\":\"123\"}}"}, /* a tagged scalar is text */
		{"a: !Sub 'x-${Y}'\n", "{\"a\":{\"Fn::Sub\":\"x-${Y}\"}}"},
		{"a: !Join [':', [x, !Ref Y]]\nb: 1\n",
		 "{\"a\":{\"Fn::Join\":[\":\",[\"x\",{\"Ref\":\"Y\"}]]},\"b\":1}"},
		{"a: !GetAtt P.Arn\n", "{\"a\":{\"Fn::GetAtt\":\"P.Arn\"}}"},
		{"a:\n  - !If [C, !Sub '${A}', !Ref AWS::NoValue]\n  - z\n",
		 "{\"a\":[{\"Fn::If\":[\"C\",{\"Fn::Sub\":\"${A}\"},{\"Ref\":\"AWS::NoValue\"}]},"
		 "\"z\"]}"},
		{"a: !Sub\n  - '${X}'\n  - {X: !Ref Y}\n",
		 "{\"a\":{\"Fn::Sub\":[\"${X}\",{\"X\":{\"Ref\":\"Y\"}}]}}"},
		{"!Ref X\n", "{\"Ref\":\"X\"}"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tl_error err;
		tl_error_clear(&err);
		json_t *v =
			tl_scenario_yaml_parse(cases[i].yaml, strlen(cases[i].yaml), tags, &err);
		char *text = v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		ck_assert_msg(text && strcmp(text, cases[i].json) == 0, "case %zu: got %s (%s)", i,
			      text ? text : "(error)", err.message);
		free(text);
		json_decref(v);
	}
	/* Refused: a tag not mapped, a tag on a key, and any tag without a table. */
	static const struct {
		const char *yaml;
		const struct tl_yaml_tag *tags;
		const char *msg;
		int line, column;
	} bad[] = {
		{"a: !Base64 x\n", tags, "tags (!Base64) are not supported", 1, 4},
		{"!Ref a: b\n", tags, "a key must not carry a tag (!Ref)", 1, 1},
		{"a: !Ref X\n", NULL, "tags (!Ref) are not supported", 1, 4},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tl_error err;
		tl_error_clear(&err);
		json_t *v =
			tl_scenario_yaml_parse(bad[i].yaml, strlen(bad[i].yaml), bad[i].tags, &err);
		ck_assert_msg(!v, "bad case %zu parsed", i);
		ck_assert_msg(strcmp(err.message, bad[i].msg) == 0 && err.line == bad[i].line &&
				      err.column == bad[i].column,
			      "bad case %zu: %d:%d %s", i, err.line, err.column, err.message);
	}
}
END_TEST

/* --- the fixtures ----------------------------------------------------------- */

static json_t *
shipped_policy(const char *role)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/scenarios/github/policies/%s.json", tl_test_arg(1), role);
	json_t *p = json_load_file(path, 0, NULL);
	ck_assert_msg(p != NULL, "cannot read %s", path);
	return p;
}

static struct tl_rolesrc *
load(const char *path, const char *account)
{
	struct tl_rolesrc_options opt = {.account = account};
	struct tl_error err;
	struct tl_rolesrc *set = tl_rolesrc_new();
	ck_assert_ptr_nonnull(set);
	tl_error_clear(&err);
	int rc = tl_rolesrc_load_file(set, path, &opt, &err);
	char line[1024];
	tl_error_format(&err, line, sizeof(line));
	ck_assert_msg(rc == 0, "%s: %s", path, line);
	return set;
}

static const struct tl_rolesrc_role *
find(const struct tl_rolesrc *set, const char *name)
{
	for (size_t i = 0; i < tl_rolesrc_role_count(set); i++)
		if (strcmp(tl_rolesrc_role(set, i)->name, name) == 0)
			return tl_rolesrc_role(set, i);
	return NULL;
}

static const struct tl_rolesrc_role *
must(const struct tl_rolesrc *set, const char *name)
{
	const struct tl_rolesrc_role *r = find(set, name);
	ck_assert_msg(r != NULL, "no role %s", name);
	return r;
}

/* Both plan/apply roles are there, with the shipped policies. */
static void
check_plan_apply(const char *path, const struct tl_rolesrc *set, const char *where_plan,
		 const char *where_apply, int msd_apply)
{
	static const char *const names[] = {"terraform-plan", "terraform-apply"};
	for (int i = 0; i < 2; i++) {
		const struct tl_rolesrc_role *r = find(set, names[i]);
		ck_assert_msg(r != NULL, "%s: no role %s", path, names[i]);
		json_t *want = shipped_policy(names[i]);
		json_t *got = json_loads(r->policy, 0, NULL);
		ck_assert_msg(got && json_equal(got, want), "%s: %s: policy %s", path, names[i],
			      r->policy);
		json_decref(want);
		json_decref(got);
		ck_assert_msg(strcmp(r->where, i ? where_apply : where_plan) == 0,
			      "%s: %s: where '%s'", path, names[i], r->where);
		ck_assert_msg(r->account && strcmp(r->account, ACCOUNT) == 0, "%s: %s: account",
			      path, names[i]);
		if (i)
			ck_assert_msg(r->max_session_duration == msd_apply, "%s: msd %d", path,
				      r->max_session_duration);
		json_t *fed = tl_rolesrc_role_federated(r);
		ck_assert_msg(json_array_size(fed) == 1 &&
				      strcmp(json_string_value(json_array_get(fed, 0)), GH_ARN) ==
					      0,
			      "%s: %s: trusts", path, names[i]);
		json_decref(fed);
	}
}

static void
check_github_provider(const char *path, const struct tl_rolesrc *set)
{
	const struct tl_rolesrc_provider *p = NULL;
	for (size_t i = 0; i < tl_rolesrc_provider_count(set); i++)
		if (strcmp(tl_rolesrc_provider(set, i)->url,
			   "https://token.actions.githubusercontent.com") == 0)
			p = tl_rolesrc_provider(set, i);
	ck_assert_msg(p != NULL, "%s: no GitHub provider", path);
	ck_assert_msg(p->arn && strcmp(p->arn, GH_ARN) == 0, "%s: provider arn %s", path,
		      p->arn ? p->arn : "(null)");
	ck_assert_msg(p->n_client_ids == 1 && strcmp(p->client_ids[0], "sts.amazonaws.com") == 0,
		      "%s: client ids", path);
	ck_assert_msg(p->n_thumbprints >= 1, "%s: thumbprints", path);
}

START_TEST(fixture_terraform)
{
	enter_data_dir();
	/* The plan: a module, jsonencode, and a policy unknown until apply
	 * rendered from the data source; no account given: the plan's
	 * aws_caller_identity says it. */
	struct tl_rolesrc *set = load("plan.json", NULL);
	ck_assert_uint_eq(tl_rolesrc_role_count(set), 2);
	check_plan_apply("plan.json", set, "module.github_ci.aws_iam_role.plan",
			 "module.github_ci.aws_iam_role.apply", 7200);
	check_github_provider("plan.json", set);
	ck_assert_ptr_null(must(set, "terraform-plan")->arn); /* unknown until apply */
	ck_assert_uint_eq(tl_rolesrc_note_count(set), 2);
	ck_assert_str_eq(
		tl_rolesrc_note(set, 0),
		"plan.json: module.github_ci.aws_iam_role_policy_attachment.plan_readonly: "
		"skipped: type aws_iam_role_policy_attachment holds no trust policy");
	ck_assert_str_eq(tl_rolesrc_note(set, 1),
			 "plan.json: module.github_ci.module.state.aws_s3_bucket.state: skipped: "
			 "type aws_s3_bucket holds no trust policy");
	ck_assert(tl_rolesrc_role_matches(must(set, "terraform-plan"), "module.github_ci.*"));
	ck_assert(tl_rolesrc_role_matches(must(set, "terraform-plan"), "terraform-p*"));
	ck_assert(!tl_rolesrc_role_matches(must(set, "terraform-plan"), "*.apply"));

	/* A module instance (for_each) whose policy names var.provider_arn:
	 * the module call passes the root's provider, created in the plan. */
	tl_rolesrc_free(set);
	set = load("plan-module-var.json", NULL);
	ck_assert_uint_eq(tl_rolesrc_role_count(set), 1);
	const struct tl_rolesrc_role *r = must(set, "terraform-plan");
	ck_assert_str_eq(r->where, "module.ci[\"plan\"].aws_iam_role.this");
	json_t *want = shipped_policy("terraform-plan"), *got = json_loads(r->policy, 0, NULL);
	ck_assert_msg(got && json_equal(got, want), "plan-module-var.json: policy %s", r->policy);
	json_decref(want);
	json_decref(got);

	/* The state, as terraform show -json writes it and raw (terraform
	 * state pull): the same roles at the same addresses, ARNs known. */
	static const char *const states[] = {"state.json", "terraform.tfstate"};
	for (size_t i = 0; i < 2; i++) {
		tl_rolesrc_free(set);
		set = load(states[i], NULL);
		ck_assert_msg(tl_rolesrc_role_count(set) == 2, "%s: roles", states[i]);
		check_plan_apply(states[i], set, "module.github_ci.aws_iam_role.plan",
				 "module.github_ci.aws_iam_role.apply", 7200);
		check_github_provider(states[i], set);
		ck_assert_str_eq(must(set, "terraform-plan")->arn,
				 "arn:aws:iam::123456789012:role/terraform-plan");
		ck_assert_uint_eq(tl_rolesrc_note_count(set), 0);
	}
	tl_rolesrc_free(set);
}
END_TEST

START_TEST(fixture_cloudformation)
{
	static const char *const files[] = {"cfn/github-ci.yaml", "cfn/github-ci.json"};
	enter_data_dir();
	for (size_t i = 0; i < 2; i++) {
		struct tl_rolesrc *set = load(files[i], ACCOUNT);
		ck_assert_msg(tl_rolesrc_role_count(set) == 2, "%s: roles", files[i]);
		check_plan_apply(files[i], set, "PlanRole", "ApplyRole", 3600);
		check_github_provider(files[i], set);
		ck_assert_str_eq(must(set, "terraform-apply")->arn,
				 "arn:aws:iam::123456789012:role/terraform-apply");
		ck_assert_uint_eq(tl_rolesrc_note_count(set), 2);
		char note[256];
		snprintf(note, sizeof(note),
			 "%s: BreakGlassRole: skipped: condition UseLongSessions is false",
			 files[i]);
		ck_assert_str_eq(tl_rolesrc_note(set, 0), note);
		snprintf(note, sizeof(note),
			 "%s: StateBucket: skipped: type AWS::S3::Bucket holds no trust policy",
			 files[i]);
		ck_assert_str_eq(tl_rolesrc_note(set, 1), note);
		tl_rolesrc_free(set);
	}
	/* A parameter value given turns the condition on. */
	json_t *params = json_pack("{s:s}", "LongSessions", "true");
	struct tl_rolesrc_options opt = {.account = ACCOUNT, .parameters = params};
	struct tl_rolesrc *set = tl_rolesrc_new();
	ck_assert_int_eq(tl_rolesrc_load_file(set, "cfn/github-ci.yaml", &opt, NULL), 0);
	ck_assert_int_eq(must(set, "terraform-apply")->max_session_duration, 43200);
	ck_assert_ptr_nonnull(find(set, "break-glass")); /* its condition is true now */
	ck_assert_uint_eq(tl_rolesrc_note_count(set), 1);
	tl_rolesrc_free(set);
	json_decref(params);

	/* cdk.out: the directory, every *.template.json; CDK's custom provider. */
	set = load("cdk.out", ACCOUNT);
	ck_assert_uint_eq(tl_rolesrc_role_count(set), 3); /* + the custom resource's Lambda role */
	check_plan_apply("cdk.out", set, "PlanRoleB6D4F1A3", "ApplyRoleC2E8A7D5", 3600);
	check_github_provider("cdk.out", set);
	ck_assert_uint_eq(tl_rolesrc_note_count(set), 2);
	tl_rolesrc_free(set);
}
END_TEST

START_TEST(fixture_iam)
{
	enter_data_dir();
	struct tl_rolesrc *set = load("iam/get-role-terraform-plan.json", NULL);
	ck_assert_uint_eq(tl_rolesrc_role_count(set), 1);
	ck_assert_str_eq(tl_rolesrc_role(set, 0)->where, "Role");
	ck_assert_int_eq(tl_rolesrc_role(set, 0)->max_session_duration, 3600);
	/* The raw API's URL-encoded document. */
	struct tl_error err;
	ck_assert_int_eq(
		tl_rolesrc_load_file(set, "iam/get-role-terraform-apply.raw.json", NULL, &err), 0);
	check_plan_apply("get-role", set, "Role", "Role", 3600);
	tl_rolesrc_free(set);

	/* The snapshot and its companions: the list (ARNs) and one provider
	 * (client ids, URL without https://) merge into one provider. */
	set = load("iam/account-details.json", NULL);
	ck_assert_uint_eq(tl_rolesrc_role_count(set), 3);
	check_plan_apply("account-details", set, "RoleDetailList[2]", "RoleDetailList[1]", 0);
	ck_assert_uint_eq(tl_rolesrc_provider_count(set), 0);
	ck_assert_int_eq(tl_rolesrc_load_file(set, "iam/oidc-providers.json", NULL, &err), 0);
	ck_assert_uint_eq(tl_rolesrc_provider_count(set), 2);
	ck_assert_int_eq(tl_rolesrc_provider(set, 0)->n_client_ids, 0);
	struct tl_rolesrc_options opt = {.account = ACCOUNT};
	ck_assert_int_eq(tl_rolesrc_load_file(set, "iam/oidc-provider-github.json", &opt, &err), 0);
	ck_assert_uint_eq(tl_rolesrc_provider_count(set), 2);
	check_github_provider("account-details", set);
	ck_assert_str_eq(tl_rolesrc_provider(set, 1)->url, "https://gitlab.com");
	tl_rolesrc_free(set);
}
END_TEST

/* A plain policy file: named after the file. */
START_TEST(fixture_policy)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/scenarios/github/policies/terraform-plan.json",
		 tl_test_arg(1));
	struct tl_rolesrc *set = load(path, NULL);
	ck_assert_uint_eq(tl_rolesrc_role_count(set), 1);
	const struct tl_rolesrc_role *r = tl_rolesrc_role(set, 0);
	ck_assert_str_eq(r->name, "terraform-plan");
	ck_assert_str_eq(r->where, "");
	ck_assert_ptr_null(r->account);
	ck_assert_int_eq(r->max_session_duration, 0);
	char *text;
	size_t len;
	ck_assert_int_eq(tl_file_read(path, 1 << 20, &text, &len, NULL), 0);
	ck_assert_str_eq(r->policy, text); /* the file's own bytes */
	free(text);
	tl_rolesrc_free(set);
}
END_TEST

/* A policy given from memory is exactly `len` bytes: the role's copy must
 * not read past them (fuzz-rolesrc found a strdup of the unterminated input;
 * tests/fuzz/corpus/rolesrc/crash-*). */
START_TEST(policy_from_memory_is_len_bytes)
{
	static const char doc[] = "{\"Version\":\"2012-10-17\",\"Statement\":[]}";
	char *exact = malloc(sizeof(doc) - 1);
	struct tl_rolesrc *set = tl_rolesrc_new();
	struct tl_error err;
	ck_assert_ptr_nonnull(exact);
	ck_assert_ptr_nonnull(set);
	memcpy(exact, doc, sizeof(doc) - 1); /* no NUL after the document */
	ck_assert_int_eq(tl_rolesrc_load(set, exact, sizeof(doc) - 1, "mem.json", NULL, &err), 0);
	ck_assert_uint_eq(tl_rolesrc_role_count(set), 1);
	ck_assert_str_eq(tl_rolesrc_role(set, 0)->policy, doc);
	tl_rolesrc_free(set);
	free(exact);
}
END_TEST

/* --- the refused sources ---------------------------------------------------- */

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(refused)
{
	char *names[128];
	size_t n = 0;
	enter_data_dir();
	DIR *d = opendir("bad");
	ck_assert_ptr_nonnull(d);
	for (struct dirent *e; (e = readdir(d)) && n < 128;) {
		size_t l = strlen(e->d_name);
		if ((l > 5 && strcmp(e->d_name + l - 5, ".json") == 0) ||
		    (l > 5 && strcmp(e->d_name + l - 5, ".yaml") == 0))
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_names);
	ck_assert_msg(n >= 12, "only %zu cases in bad/", n);
	for (size_t i = 0; i < n; i++) {
		char src[512], errf[512], want[1024] = "", got[1024];
		char *text = NULL;
		size_t len;
		snprintf(src, sizeof(src), "bad/%s", names[i]);
		snprintf(errf, sizeof(errf), "bad/%.*s.err", (int)(strlen(names[i]) - 5), names[i]);
		ck_assert_msg(tl_file_read(errf, 65536, &text, &len, NULL) == 0, "%s: no .err",
			      src);
		for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
			if (line[0] != '#') {
				snprintf(want, sizeof(want), "%s", line);
				break;
			}
		free(text);
		struct tl_rolesrc_options opt = {
			.account = strncmp(names[i], "no-account-", 11) == 0 ? NULL : ACCOUNT};
		struct tl_rolesrc *set = tl_rolesrc_new();
		struct tl_error err;
		tl_error_clear(&err);
		int rc = tl_rolesrc_load_file(set, src, &opt, &err);
		tl_error_format(&err, got, sizeof(got));
		ck_assert_msg(rc == -1, "case %s: loaded", src);
		ck_assert_msg(strcmp(got, want) == 0, "case %s:\n  got  %s\n  want %s", src, got,
			      want);
		ck_assert_msg(tl_rolesrc_role_count(set) == 0, "case %s: the set changed", src);
		tl_rolesrc_free(set);
		free(names[i]);
	}
}
END_TEST

/* Scenario errors about sources name the scenario's path. */
START_TEST(scenario_sources)
{
	static const struct {
		const char *yaml, *msg;
	} cases[] = {
		{"roles_from: [{file: plan.json, select: 'deploy-*'}]\n",
		 "s.yaml:6:32: roles_from[0].select: 'deploy-*' matches no role of the source "
		 "(roles: terraform-apply, terraform-plan)"},
		{"roles_from: [{file: plan.json, selct: x}]\n",
		 "s.yaml:6:32: roles_from[0].selct: unknown field 'selct' (expected one of: file, "
		 "select, format, parameters)"},
		{"roles_from: [{file: nothing.json}]\n",
		 "s.yaml:6:15: roles_from[0].file: cannot open './nothing.json': No such file or "
		 "directory"},
		{"roles:\n  x: {source: {file: plan.json, role: 'terraform-*'}}\n",
		 "s.yaml:7:33: roles.x.source.role: 'terraform-*' matches 2 roles of the source "
		 "(terraform-apply, terraform-plan): name one"},
		{"roles:\n  x: {source: {file: plan.json}, trust_policy: p.json}\n",
		 "s.yaml:7:7: roles.x.source: give either trust_policy or source, not both"},
		{"roles_from: [{file: plan.json, format: cloudformation}]\n",
		 "plan.json: Resources: expected the template's Resources (an object), found "
		 "nothing"},
		{"roles_from: [{file: plan.json}, {file: state.json}]\n",
		 "s.yaml:6:33: roles_from[1]: role 'terraform-apply' (./state.json: "
		 "module.github_ci.aws_iam_role.apply) is defined twice"},
	};
	enter_data_dir();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[2048], got[1024];
		snprintf(text, sizeof(text),
			 "trustlab: 1\nname: s\nproviders:\n  github: {}\ndefaults: {token: "
			 "{repository: acme/infra}}\n%scases:\n  - {name: c, token: {event: push, "
			 "ref: refs/heads/main}, expect: {'*': deny}}\n",
			 cases[i].yaml);
		struct tl_error err;
		tl_error_clear(&err);
		struct tl_scenario *s = tl_scenario_load(text, strlen(text), "s.yaml",
							 TL_SCENARIO_YAML, NULL, &err);
		tl_error_format(&err, got, sizeof(got));
		ck_assert_msg(!s, "case %zu loaded", i);
		ck_assert_msg(strstr(got, cases[i].msg) != NULL, "case %zu:\n  got  %s\n  want %s",
			      i, got, cases[i].msg);
	}
	/* A valid one: the roles, the source's maximum, the audiences. */
	static const char ok[] = "trustlab: 1\nname: s\nproviders:\n  github: {}\n"
				 "roles:\n  mine: {source: {file: plan.json, role: "
				 "module.github_ci.aws_iam_role.apply}}\n"
				 "roles_from: [{file: plan.json, select: '*plan'}]\n"
				 "cases:\n  - {name: c, token: {repository: a/b, event: push, ref: "
				 "refs/heads/main}, "
				 "expect: {'*': deny}}\n";
	struct tl_error err;
	struct tl_scenario *s =
		tl_scenario_load(ok, strlen(ok), "s.yaml", TL_SCENARIO_YAML, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.message);
	ck_assert_uint_eq(tl_scenario_role_count(s), 2);
	ck_assert_str_eq(tl_scenario_role(s, 0)->name, "mine");
	ck_assert_int_eq(tl_scenario_role(s, 0)->max_session_duration, 7200);
	ck_assert_str_eq(tl_scenario_role(s, 0)->description,
			 "from ./plan.json: module.github_ci.aws_iam_role.apply");
	ck_assert_str_eq(tl_scenario_role(s, 1)->name, "terraform-plan");
	const struct tl_scenario_provider *p = tl_scenario_provider(s, 0);
	ck_assert_str_eq(json_string_value(json_array_get(p->audiences, 0)), "sts.amazonaws.com");
	tl_scenario_free(s);
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("rolesrc");
	TCase *tc = tcase_create("rolesrc");
	tcase_add_test(tc, url_decode_good);
	tcase_add_test(tc, url_decode_bad);
	tcase_add_test(tc, policy_size);
	tcase_add_test(tc, formats);
	tcase_add_test(tc, intrinsics);
	tcase_add_test(tc, intrinsics_refused);
	tcase_add_test(tc, yaml_short_forms);
	tcase_add_test(tc, fixture_terraform);
	tcase_add_test(tc, fixture_cloudformation);
	tcase_add_test(tc, fixture_iam);
	tcase_add_test(tc, fixture_policy);
	tcase_add_test(tc, policy_from_memory_is_len_bytes);
	tcase_add_test(tc, refused);
	tcase_add_test(tc, scenario_sources);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
