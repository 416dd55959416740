/* SPDX-License-Identifier: MIT */
/*
 * lib/scenario: the scenario corpus (tests/data/scenarios/README.md) and
 * the API around it.
 *
 *   valid/NNN-name.{yaml,json}    loads; its expansion, dumped as text,
 *                                 equals valid/NNN-name.expected
 *   invalid/NNN-name.{yaml,json}  fails; every error, formatted as
 *                                 `trustlab validate` prints it, equals
 *                                 invalid/NNN-name.err
 *
 * Each file starts with a comment (YAML) or a description (JSON) naming
 * the rule of docs/scenario-format.md it pins. The test runs inside the
 * corpus directory so file names in messages are relative and stable.
 * TL_UPDATE_GOLDEN=1 rewrites the .expected files (review the diff).
 *
 * Arguments: the corpus directory, then the docs/examples directory.
 */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/file.h"

#include "claims/claims.h"
#include "policy/policy.h"
#include "scenario/scenario.h"
#include "sts/errors.h"
#include "test-common.h"

#define MAX_FILES 256

static char examples_dir[PATH_MAX];
static char schema_path[PATH_MAX];

struct listing {
	char *names[MAX_FILES];
	int n;
};

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
is_scenario_name(const char *n)
{
	size_t l = strlen(n);
	return (l > 5 && strcmp(n + l - 5, ".yaml") == 0) ||
	       (l > 4 && strcmp(n + l - 4, ".yml") == 0) ||
	       (l > 5 && strcmp(n + l - 5, ".json") == 0);
}

static void
list_dir(const char *dir, struct listing *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	out->n = 0;
	ck_assert_msg(d != NULL, "cannot open %s", dir);
	while ((de = readdir(d)) && out->n < MAX_FILES) {
		if (!is_scenario_name(de->d_name))
			continue;
		char *p;
		ck_assert(asprintf(&p, "%s/%s", dir, de->d_name) > 0);
		out->names[out->n++] = p;
	}
	closedir(d);
	qsort(out->names, (size_t)out->n, sizeof(char *), cmp_names);
}

static void
listing_free(struct listing *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->names[i]);
	l->n = 0;
}

static char *
sibling(const char *path, const char *ext)
{
	char *out;
	const char *dot = strrchr(path, '.');
	ck_assert(asprintf(&out, "%.*s%s", (int)(dot - path), path, ext) > 0);
	return out;
}

static char *
read_text(const char *path)
{
	char *data = NULL;
	size_t len;
	struct tl_error err;
	if (tl_file_read(path, 1 << 20, &data, &len, &err) < 0)
		return NULL;
	return data;
}

static void
dump_json(struct tl_buf *b, const char *label, const json_t *v)
{
	char *t = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER) : NULL;
	tl_buf_printf(b, NULL, "  %s: %s\n", label, t ? t : "-");
	free(t);
}

/* The expansion as text: everything the runner will read. */
static char *
dump_scenario(const struct tl_scenario *s)
{
	struct tl_buf b;
	tl_buf_init(&b, 1 << 22);
	tl_buf_printf(&b, NULL, "scenario: %s\ndescription: %s\nfile: %s\naccount: %s\n",
		      tl_scenario_name(s), tl_scenario_description(s), tl_scenario_file(s),
		      tl_scenario_account(s));
	for (size_t i = 0; i < tl_scenario_provider_count(s); i++) {
		const struct tl_scenario_provider *p = tl_scenario_provider(s, i);
		char *aud = json_dumps(p->audiences, JSON_COMPACT);
		tl_buf_printf(&b, NULL, "provider %s: profile=%s audiences=%s issuer=%s\n", p->name,
			      p->profile->name, aud, p->issuer ? p->issuer : "-");
		free(aud);
	}
	for (size_t i = 0; i < tl_scenario_role_count(s); i++) {
		const struct tl_scenario_role *r = tl_scenario_role(s, i);
		tl_buf_printf(&b, NULL,
			      "role %s: max_session_duration=%d file=%s statements=%zu "
			      "description=%s\n  policy: %s\n",
			      r->name, r->max_session_duration,
			      r->policy_file ? r->policy_file : "-",
			      tl_policy_statement_count(r->policy), r->description,
			      r->policy_file ? "(file)" : r->policy_text);
	}
	for (size_t i = 0; i < tl_scenario_case_count(s); i++) {
		const struct tl_case *c = tl_scenario_case(s, i);
		tl_buf_printf(&b, NULL, "case %zu: %s\n  id: %s\n  where: %s\n  matrix: %s\n",
			      i + 1, c->name, c->id, c->where, c->matrix ? c->matrix : "-");
		tl_buf_printf(&b, NULL, "  provider: %s\n", c->provider->name);
		dump_json(&b, "token", c->token);
		dump_json(&b, "audience", c->audience);
		dump_json(&b, "claims", c->claims);
		dump_json(&b, "faults", c->faults);
		tl_buf_printf(&b, NULL, "  refused: %s\n", c->refused ? c->refusal : "no");
		tl_buf_printf(&b, NULL, "  request: session_name=%s duration_seconds=%d\n",
			      c->session_name ? c->session_name : "-", c->duration_seconds);
		tl_buf_append_str(&b, "  expect:", NULL);
		for (size_t e = 0; e < c->n_expect; e++)
			tl_buf_printf(&b, NULL, " %s=%s", c->expect[e].role, c->expect[e].outcome);
		tl_buf_append_str(&b, "\n", NULL);
	}
	return tl_buf_steal(&b, NULL);
}

START_TEST(corpus_valid)
{
	struct listing l;
	list_dir("valid", &l);
	ck_assert_msg(l.n >= 7, "only %d valid scenarios", l.n);
	for (int i = 0; i < l.n; i++) {
		struct tl_error errors[8];
		size_t n_errors = 99;
		struct tl_scenario_options opt = {
			.errors = errors, .max_errors = 8, .n_errors = &n_errors};
		struct tl_error err;
		char msg[1024] = "";
		struct tl_scenario *s = tl_scenario_load_file(l.names[i], &opt, &err);
		if (!s)
			tl_error_format(&err, msg, sizeof(msg));
		ck_assert_msg(s != NULL, "case %s: %s", l.names[i], msg);
		ck_assert_msg(n_errors == 0, "case %s: n_errors %zu", l.names[i], n_errors);
		char *dump = dump_scenario(s);
		char *golden_path = sibling(l.names[i], ".expected");
		if (getenv("TL_UPDATE_GOLDEN"))
			tl_file_write_atomic(golden_path, dump, strlen(dump), 0644, NULL);
		char *golden = read_text(golden_path);
		ck_assert_msg(golden != NULL, "case %s: no %s", l.names[i], golden_path);
		ck_assert_msg(strcmp(golden, dump) == 0, "case %s: expansion differs:\n%s",
			      l.names[i], dump);
		free(golden);
		free(golden_path);
		free(dump);
		tl_scenario_free(s);
	}
	listing_free(&l);
}
END_TEST

static char *
load_errors(const char *path, size_t max_errors, size_t *count)
{
	struct tl_error errors[64];
	size_t n_errors = 0;
	struct tl_scenario_options opt = {
		.errors = errors, .max_errors = max_errors, .n_errors = &n_errors};
	struct tl_error err;
	struct tl_buf b;
	char line[2048];

	tl_error_clear(&err);
	struct tl_scenario *s = tl_scenario_load_file(path, &opt, &err);
	ck_assert_msg(s == NULL, "case %s: loaded", path);
	ck_assert_msg(err.code != TL_OK, "case %s: no error code", path);
	tl_buf_init(&b, 1 << 20);
	for (size_t i = 0; i < n_errors; i++) {
		tl_error_format(&errors[i], line, sizeof(line));
		tl_buf_printf(&b, NULL, "%s\n", line);
	}
	if (n_errors) {
		/* The first error is also the one in `err`. */
		char first[2048];
		tl_error_format(&err, first, sizeof(first));
		tl_error_format(&errors[0], line, sizeof(line));
		ck_assert_msg(strcmp(first, line) == 0, "case %s: err is not errors[0]", path);
	}
	*count = n_errors;
	return tl_buf_steal(&b, NULL);
}

START_TEST(corpus_invalid)
{
	struct listing l;
	list_dir("invalid", &l);
	ck_assert_msg(l.n >= 30, "only %d invalid scenarios", l.n);
	for (int i = 0; i < l.n; i++) {
		size_t n;
		char *got = load_errors(l.names[i], 64, &n);
		char *err_path = sibling(l.names[i], ".err");
		char *want = read_text(err_path);
		ck_assert_msg(want != NULL, "case %s: no %s", l.names[i], err_path);
		ck_assert_msg(n >= 1, "case %s: no error listed", l.names[i]);
		ck_assert_msg(strcmp(got, want) == 0, "case %s: errors differ:\ngot:\n%swant:\n%s",
			      l.names[i], got, want);
		free(want);
		free(err_path);
		free(got);
	}
	listing_free(&l);
}
END_TEST

START_TEST(errors_capped)
{
	size_t n;
	char *all = load_errors("invalid/137-several-errors.yaml", 64, &n);
	ck_assert_uint_eq(n, 4);
	free(all);
	char *one = load_errors("invalid/137-several-errors.yaml", 1, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_msg(strstr(one, "roles.deploy-test.trust_policy") != NULL, "%s", one);
	free(one);
	/* Without an error list, err still gets the first error. */
	struct tl_error err;
	ck_assert_ptr_null(tl_scenario_load_file("invalid/137-several-errors.yaml", NULL, &err));
	ck_assert_str_eq(err.path, "roles.deploy-test.trust_policy");
	ck_assert_int_eq(err.line, 9);
	ck_assert_int_eq(err.column, 17);
	ck_assert_ptr_null(tl_scenario_load_file("invalid/137-several-errors.yaml", NULL, NULL));
}
END_TEST

/* docs/scenario-format.md: the same scenario as JSON and as YAML expands
 * to the same cases. */
START_TEST(json_equals_yaml)
{
	struct tl_error err;
	struct tl_scenario *y = tl_scenario_load_file("valid/001-github-basic.yaml", NULL, &err);
	struct tl_scenario *j = tl_scenario_load_file("valid/002-github-basic.json", NULL, &err);
	ck_assert_ptr_nonnull(y);
	ck_assert_ptr_nonnull(j);
	char *dy = dump_scenario(y), *dj = dump_scenario(j);
	/* Skip the file: line. */
	ck_assert_str_eq(strstr(dy, "account:"), strstr(dj, "account:"));
	free(dy);
	free(dj);
	tl_scenario_free(y);
	tl_scenario_free(j);
}
END_TEST

/* docs/scenario-format.md "YAML": strict typing. */
START_TEST(yaml_strict_typing)
{
	struct tl_error err;
	struct tl_scenario *s =
		tl_scenario_load_file("valid/003-yaml-strict-typing.yaml", NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.message);
	ck_assert_str_eq(tl_scenario_account(s), "012345678901");
	const struct tl_case *c = tl_scenario_case(s, 0);
	ck_assert_str_eq(json_string_value(json_object_get(c->token, "actor")), "no");
	ck_assert_str_eq(json_string_value(json_object_get(c->token, "workflow")), "1.10");
	ck_assert_ptr_null(json_object_get(c->token, "environment"));
	ck_assert(json_is_false(json_object_get(c->token, "fork")));
	ck_assert_str_eq(c->session_name, "on");
	tl_scenario_free(s);
}
END_TEST

static const char mem_head[] = "trustlab: 1\n"
			       "name: mem\n"
			       "providers:\n"
			       "  github: {audiences: [sts.amazonaws.com]}\n"
			       "roles:\n"
			       "  r:\n"
			       "    trust_policy:\n"
			       "      Version: \"2012-10-17\"\n"
			       "      Statement:\n"
			       "        - Effect: Allow\n"
			       "          Principal: {Federated: \"arn:aws:iam::123456789012:"
			       "oidc-provider/token.actions.githubusercontent.com\"}\n"
			       "          Action: sts:AssumeRoleWithWebIdentity\n";

static struct tl_scenario *
load_mem(const char *body, const struct tl_scenario_options *opt, struct tl_error *err)
{
	char *text;
	ck_assert(asprintf(&text, "%s%s", mem_head, body) > 0);
	struct tl_scenario *s =
		tl_scenario_load(text, strlen(text), NULL, TL_SCENARIO_YAML, opt, err);
	free(text);
	return s;
}

START_TEST(load_from_memory)
{
	struct tl_error err;
	struct tl_scenario *s = load_mem("cases:\n"
					 "  - name: x\n"
					 "    token: {repository: acme/app}\n"
					 "    expect: {r: allow}\n",
					 NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.message);
	ck_assert_str_eq(tl_scenario_file(s), "<scenario>");
	ck_assert_str_eq(tl_scenario_account(s), "123456789012");
	ck_assert_str_eq(tl_scenario_description(s), "");
	ck_assert_uint_eq(tl_scenario_case_count(s), 1);
	ck_assert_ptr_null(tl_scenario_case(s, 1));
	ck_assert_ptr_null(tl_scenario_role(s, 1));
	ck_assert_ptr_null(tl_scenario_provider(s, 1));
	const struct tl_case *c = tl_scenario_case(s, 0);
	ck_assert_str_eq(c->id, "mem/x");
	ck_assert_ptr_null(c->audience);
	ck_assert_int_eq(c->duration_seconds, 0);
	ck_assert_ptr_null(c->session_name);
	ck_assert(!c->refused);
	tl_scenario_free(s);
	tl_scenario_free(NULL);
}
END_TEST

START_TEST(limits)
{
	struct tl_error err;
	struct tl_scenario_options small = {.max_bytes = 64};
	ck_assert_ptr_null(load_mem("cases: []\n", &small, &err));
	ck_assert_int_eq(err.code, TL_ERR_LIMIT);

	struct tl_scenario_options few = {.max_cases = 3};
	ck_assert_ptr_null(load_mem("defaults: {token: {repository: acme/app}}\n"
				    "matrix:\n"
				    "  - name: m\n"
				    "    token: {run_number: [1, 2], run_attempt: [1, 2]}\n",
				    &few, &err));
	ck_assert_int_eq(err.code, TL_ERR_LIMIT);
	ck_assert_str_eq(err.path, "matrix[0].token");

	/* Nesting deeper than 64 levels. */
	struct tl_buf b;
	tl_buf_init(&b, 1 << 16);
	tl_buf_append_str(&b, "trustlab: 1\nname: x\ndescription: ", NULL);
	for (int i = 0; i < 70; i++)
		tl_buf_putc(&b, '[', NULL);
	struct tl_scenario *s =
		tl_scenario_load(tl_buf_str(&b), b.len, "deep.yaml", TL_SCENARIO_AUTO, NULL, &err);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(err.code, TL_ERR_SYNTAX);
	ck_assert_msg(strstr(err.message, "nesting deeper") != NULL, "%s", err.message);
	tl_buf_finish(&b);

	ck_assert_ptr_null(tl_scenario_load_file("no/such/file.yaml", NULL, &err));
	ck_assert_int_eq(err.code, TL_ERR_NOT_FOUND);
	ck_assert_str_eq(err.file, "no/such/file.yaml");
}
END_TEST

START_TEST(outcomes)
{
	ck_assert(tl_scenario_outcome_valid("allow"));
	ck_assert(tl_scenario_outcome_valid("deny"));
	ck_assert(tl_scenario_outcome_valid("no-token"));
	ck_assert(tl_scenario_outcome_valid("AccessDenied"));
	ck_assert(tl_scenario_outcome_valid("ExpiredTokenException"));
	ck_assert(!tl_scenario_outcome_valid("accessdenied"));
	ck_assert(!tl_scenario_outcome_valid("Allow"));
	ck_assert(!tl_scenario_outcome_valid(""));
	ck_assert(!tl_scenario_outcome_valid(NULL));

	ck_assert(tl_case_expect_matches("deny", "AccessDenied"));
	ck_assert(tl_case_expect_matches("AccessDenied", "AccessDenied"));
	ck_assert(tl_case_expect_matches("allow", "allow"));
	ck_assert(tl_case_expect_matches("no-token", "no-token"));
	ck_assert(!tl_case_expect_matches("deny", "no-token"));
	ck_assert(!tl_case_expect_matches("deny", "InvalidIdentityToken"));
	ck_assert(!tl_case_expect_matches("allow", "AccessDenied"));
	ck_assert(!tl_case_expect_matches(NULL, "allow"));

	/* The faults mock-issuer injects (issue 6), by the issuer's own names. */
	const char *const *f = tl_scenario_fault_names();
	static const char *const want[] = {
		"expired",     "not-yet-valid", "wrong-issuer", "missing-claims",   "wrong-key",
		"unknown-kid", "bad-signature", "alg-none",	"hs256-public-key", NULL};
	size_t n = 0;
	for (; f[n] && want[n]; n++)
		ck_assert_str_eq(f[n], want[n]);
	ck_assert_ptr_null(f[n]);
	ck_assert_ptr_null(want[n]);
}
END_TEST

START_TEST(filter_and_shard)
{
	struct tl_error err;
	struct tl_scenario *s = tl_scenario_load_file("valid/004-matrix.yaml", NULL, &err);
	ck_assert_ptr_nonnull(s);
	size_t n = tl_scenario_case_count(s);
	ck_assert_uint_eq(n, 8);

	size_t matched = 0;
	for (size_t i = 0; i < n; i++)
		matched += tl_case_matches_filter(tl_scenario_case(s, i), "*ref=refs/heads/main*");
	ck_assert_uint_eq(matched, 3);
	matched = 0;
	for (size_t i = 0; i < n; i++)
		matched += tl_case_matches_filter(tl_scenario_case(s, i), "matrix/forks:*");
	ck_assert_uint_eq(matched, 2);
	ck_assert(tl_case_matches_filter(tl_scenario_case(s, 0), NULL));
	ck_assert(tl_case_matches_filter(tl_scenario_case(s, 0), ""));
	ck_assert(!tl_case_matches_filter(tl_scenario_case(s, 0), "nothing"));

	/* Every case in exactly one shard, for any N. */
	for (unsigned shards = 1; shards <= 7; shards++)
		for (size_t i = 0; i < n; i++) {
			unsigned in = 0;
			for (unsigned k = 1; k <= shards; k++)
				in += tl_case_in_shard(tl_scenario_case(s, i), k, shards);
			ck_assert_msg(in == 1, "case %zu: in %u of %u shards", i, in, shards);
		}
	/* Stable across releases: FNV-1a 64 of the id, pinned. */
	const struct tl_case *c = tl_scenario_case(s, 0);
	ck_assert_str_eq(c->id, "matrix/branches: event=push ref=refs/heads/main environment=null");
	unsigned k;
	for (k = 1; k <= 4 && !tl_case_in_shard(c, k, 4); k++)
		;
	ck_assert_uint_eq(k, 4); /* 6382548068284780555 % 4 + 1 */
	tl_scenario_free(s);

	unsigned a, b;
	ck_assert_int_eq(tl_scenario_parse_shard("2/4", &a, &b, &err), 0);
	ck_assert_uint_eq(a, 2);
	ck_assert_uint_eq(b, 4);
	ck_assert_int_eq(tl_scenario_parse_shard("1/1", &a, &b, &err), 0);
	static const char *const bad[] = {"0/4", "5/4", "2/0",	"x/4",	  "2/4x",
					  "2",	 "",	"-1/4", "2/1001", NULL};
	for (size_t i = 0; bad[i]; i++)
		ck_assert_msg(tl_scenario_parse_shard(bad[i], &a, &b, &err) < 0, "case %s", bad[i]);
	ck_assert_int_eq(tl_scenario_parse_shard(NULL, &a, &b, &err), -1);
}
END_TEST

START_TEST(sniff)
{
	ck_assert(tl_scenario_sniff("valid/001-github-basic.yaml"));
	ck_assert(tl_scenario_sniff("valid/002-github-basic.json"));
	ck_assert(!tl_scenario_sniff("policies/deploy-prod.json"));
	ck_assert(!tl_scenario_sniff("valid/001-github-basic.expected"));
	ck_assert(!tl_scenario_sniff("invalid/120-missing-version.yaml"));
	ck_assert(!tl_scenario_sniff("no-such.yaml"));
}
END_TEST

START_TEST(collect)
{
	char **files = NULL;
	size_t n = 0;
	struct tl_error err;

	ck_assert_int_eq(tl_scenario_collect("valid/", &files, &n, &err), 0);
	ck_assert_uint_eq(n, 8);
	ck_assert_str_eq(files[0], "valid/001-github-basic.yaml");
	ck_assert_str_eq(files[6], "valid/007-faults-and-codes.yaml");
	/* Appends; a file is taken whatever its name. */
	ck_assert_int_eq(tl_scenario_collect("policies/deploy-prod.json", &files, &n, &err), 0);
	ck_assert_uint_eq(n, 9);
	ck_assert_str_eq(files[8], "policies/deploy-prod.json");
	/* Failures leave the list as it was. */
	ck_assert_int_eq(tl_scenario_collect("policies", &files, &n, &err), -1);
	ck_assert_int_eq(err.code, TL_ERR_NOT_FOUND);
	ck_assert_str_eq(err.file, "policies");
	ck_assert_str_eq(err.message, "no scenario files found");
	ck_assert_int_eq(tl_scenario_collect("no-such-dir", &files, &n, &err), -1);
	ck_assert_int_eq(err.code, TL_ERR_NOT_FOUND);
	ck_assert_uint_eq(n, 9);
	tl_scenario_files_free(files, n);

	/* Recursive, sorted, only scenarios. */
	files = NULL;
	n = 0;
	ck_assert_int_eq(tl_scenario_collect(".", &files, &n, &err), 0);
	ck_assert_uint_gt(n, 30);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(tl_scenario_sniff(files[i]), "case %s", files[i]);
		ck_assert_msg(i == 0 || strcmp(files[i - 1], files[i]) < 0, "case %s: order",
			      files[i]);
	}
	tl_scenario_files_free(files, n);
	tl_scenario_files_free(NULL, 0);
}
END_TEST

START_TEST(shard_from_env)
{
	struct tl_error err;
	unsigned k = 0, n = 0;

	unsetenv("CI_NODE_INDEX");
	unsetenv("CI_NODE_TOTAL");
	ck_assert_int_eq(tl_scenario_shard_from_env(&k, &n, &err), 0);
	setenv("CI_NODE_INDEX", "2", 1);
	ck_assert_int_eq(tl_scenario_shard_from_env(&k, &n, &err), -1);
	setenv("CI_NODE_TOTAL", "3", 1);
	ck_assert_int_eq(tl_scenario_shard_from_env(&k, &n, &err), 1);
	ck_assert_uint_eq(k, 2);
	ck_assert_uint_eq(n, 3);
	setenv("CI_NODE_INDEX", "4", 1);
	ck_assert_int_eq(tl_scenario_shard_from_env(&k, &n, &err), -1);
	ck_assert_msg(strncmp(err.message, "CI_NODE_INDEX/CI_NODE_TOTAL: ", 29) == 0, "%s",
		      err.message);
	unsetenv("CI_NODE_INDEX");
	unsetenv("CI_NODE_TOTAL");
}
END_TEST

/* Every example under docs/examples/ validates (docs are tested). */
START_TEST(docs_examples)
{
	struct listing l;
	list_dir(examples_dir, &l);
	ck_assert_msg(l.n >= 1, "no examples in %s", examples_dir);
	for (int i = 0; i < l.n; i++) {
		struct tl_error err;
		char msg[1024] = "";
		struct tl_scenario *s = tl_scenario_load_file(l.names[i], NULL, &err);
		if (!s)
			tl_error_format(&err, msg, sizeof(msg));
		ck_assert_msg(s != NULL, "case %s: %s", l.names[i], msg);
		ck_assert_msg(tl_scenario_case_count(s) > 0, "case %s: no cases", l.names[i]);
		tl_scenario_free(s);
	}
	listing_free(&l);
}
END_TEST

static json_t *
schema_at(json_t *schema, const char *const *keys)
{
	json_t *v = schema;
	for (; *keys; keys++)
		v = json_is_array(v) ? json_array_get(v, strtoul(*keys, NULL, 10))
				     : json_object_get(v, *keys);
	return v;
}

/* docs/scenario.schema.json's enums are the C tables: profiles, STS error
 * codes, fault names. */
START_TEST(schema_matches_tables)
{
	json_error_t jerr;
	json_t *schema = json_load_file(schema_path, 0, &jerr);
	ck_assert_msg(schema != NULL, "%s: %s", schema_path, jerr.text);

	static const char *const profiles_at[] = {"$defs",   "provider", "properties",
						  "profile", "enum",	 NULL};
	json_t *profiles = schema_at(schema, profiles_at);
	size_t n = 0;
	for (const struct tl_claims_profile *const *p = tl_claims_profiles(); *p; p++, n++)
		ck_assert_msg(json_is_string(json_array_get(profiles, n)) &&
				      strcmp(json_string_value(json_array_get(profiles, n)),
					     (*p)->name) == 0,
			      "case profile %s", (*p)->name);
	ck_assert_uint_eq(json_array_size(profiles), n);

	static const char *const codes_at[] = {"$defs", "outcome", "anyOf", "1", "enum", NULL};
	json_t *codes = schema_at(schema, codes_at);
	ck_assert_uint_eq(json_array_size(codes), TL_STS_ERROR_COUNT);
	for (size_t i = 0; i < TL_STS_ERROR_COUNT; i++) {
		const struct tl_sts_error_info *info =
			tl_sts_error_info((enum tl_sts_error)(i + 1));
		ck_assert_ptr_nonnull(info);
		ck_assert_msg(json_is_string(json_array_get(codes, i)), "case %s", info->name);
		ck_assert_str_eq(json_string_value(json_array_get(codes, i)), info->name);
	}

	static const char *const faults_at[] = {"$defs", "faultName", "enum", NULL};
	json_t *faults = schema_at(schema, faults_at);
	n = 0;
	for (const char *const *f = tl_scenario_fault_names(); *f; f++, n++)
		ck_assert_str_eq(json_string_value(json_array_get(faults, n)), *f);
	ck_assert_uint_eq(json_array_size(faults), n);
	json_decref(schema);
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	const char *corpus = tl_test_arg(0);
	const char *examples = tl_test_arg(1);
	Suite *s = suite_create("scenario");
	TCase *tc = tcase_create("corpus");

	const char *schema = tl_test_arg(2);
	if (!examples || !realpath(examples, examples_dir) || !schema ||
	    !realpath(schema, schema_path)) {
		fprintf(stderr, "test-scenario: usage: CORPUS EXAMPLES SCHEMA\n");
		exit(1);
	}
	if (!corpus || chdir(corpus) != 0) {
		fprintf(stderr, "test-scenario: cannot enter the corpus '%s'\n",
			corpus ? corpus : "(none)");
		exit(1);
	}
	tcase_add_test(tc, corpus_valid);
	tcase_add_test(tc, corpus_invalid);
	tcase_add_test(tc, errors_capped);
	tcase_add_test(tc, json_equals_yaml);
	tcase_add_test(tc, yaml_strict_typing);
	suite_add_tcase(s, tc);
	tc = tcase_create("api");
	tcase_add_test(tc, load_from_memory);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, outcomes);
	tcase_add_test(tc, filter_and_shard);
	tcase_add_test(tc, sniff);
	tcase_add_test(tc, collect);
	tcase_add_test(tc, shard_from_env);
	tcase_add_test(tc, docs_examples);
	tcase_add_test(tc, schema_matches_tables);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
