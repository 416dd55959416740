/* SPDX-License-Identifier: MIT */
/*
 * trustlab run: every case of every scenario through the real protocols.
 * For each scenario: register its roles through the IAM API (providers as
 * tokens first need them), mint each case's token at the issuer over
 * HTTP, call AssumeRoleWithWebIdentity for every role the case expects
 * something of, compare, and report. A failed case carries the decision
 * trace mock-sts recorded for it.
 */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/file.h"

#include "claims/claims.h"
#include "exchange/exchange.h"
#include "report/report.h"
#include "runner.h"
#include "scenario/scenario.h"

#define MAX_REPORTED_ERRORS 50
#define MAX_JOBS 64
#define MAX_PROVIDERS 64

struct result {
	const struct tl_case *c;
	size_t expect;
	char actual[128];
	char message[1024];
	char request_id[128];
	char *trace_text;
	json_t *trace;
	double ms;
	bool ran;
};

/* One scenario's run, shared by the worker threads. */
struct run {
	const struct tl_scenario *s;
	const struct tl_embedded *embedded;
	struct tl_exchange_config xcfg;
	char (*role_arns)[512]; /* by role index */
	/* work: one item per selected case */
	const struct tl_case **cases;
	struct result **results; /* per case: one per expectation */
	size_t n_cases;
	atomic_size_t next;
	/* providers registered so far (by iss), guarded by lock */
	pthread_mutex_t lock;
	char registered[MAX_PROVIDERS][512];
	char registered_arn[MAX_PROVIDERS][512];
	size_t n_registered;
	/* progress on a terminal: cases done, last time printed */
	bool progress;
	atomic_size_t done;
	double last_progress;
	/* the first transport/contract failure stops the run */
	atomic_bool broken;
	struct tl_error broken_err;
};

static double
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
role_index(const struct tl_scenario *s, const char *name)
{
	for (size_t i = 0; i < tl_scenario_role_count(s); i++)
		if (strcmp(tl_scenario_role(s, i)->name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * Registers the OIDC provider for `iss` once per scenario, with the
 * scenario provider's audiences as client ids: the way a user's setup
 * script would, through IAM.
 */
static int
ensure_provider(struct run *r, struct tl_exchange *ex, const char *iss,
		const struct tl_scenario_provider *p, struct tl_error *err)
{
	const char *ids[101];
	size_t n = 0;
	struct tl_aws_reply reply;
	int rc = 0;

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n_registered; i++)
		if (strcmp(r->registered[i], iss) == 0)
			goto out;
	if (r->n_registered == MAX_PROVIDERS) {
		rc = tl_error_set(err, TL_ERR_LIMIT, "more than %d token issuers in one scenario",
				  MAX_PROVIDERS);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(p->audiences) && n < 100; i++)
		ids[n++] = json_string_value(json_array_get(p->audiences, i));
	ids[n] = NULL;
	tl_aws_reply_init(&reply);
	rc = tl_exchange_create_provider(ex, iss, ids, r->registered_arn[r->n_registered],
					 sizeof(r->registered_arn[0]), &reply, err);
	tl_aws_reply_finish(&reply);
	if (rc == 0)
		snprintf(r->registered[r->n_registered++], sizeof(r->registered[0]), "%s", iss);
out:
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* The decision trace, for people: the failing checks, then each statement. */
static char *
trace_text(const json_t *trace)
{
	struct tl_buf b;
	size_t i, j, k;
	json_t *step, *pol, *st, *cond;

	tl_buf_init(&b, 64 * 1024);
	json_array_foreach(json_object_get(trace, "steps"), i, step)
	{
		const char *outcome = json_string_value(json_object_get(step, "outcome"));
		if (outcome && strcmp(outcome, "pass") == 0)
			continue;
		tl_buf_printf(&b, NULL, "%s: %s: %s\n",
			      json_string_value(json_object_get(step, "check")), outcome,
			      json_string_value(json_object_get(step, "detail")));
	}
	json_array_foreach(json_object_get(trace, "policy"), i, pol)
	{
		const char *summary = json_string_value(json_object_get(pol, "summary"));
		if (summary)
			tl_buf_printf(&b, NULL, "%s\n", summary);
		json_array_foreach(json_object_get(pol, "statements"), j, st)
		{
			const char *sid = json_string_value(json_object_get(st, "sid"));
			json_int_t index = json_integer_value(json_object_get(st, "index"));

			/* 'Sid' when it has one (the author's name), else its index. */
			if (sid)
				tl_buf_printf(&b, NULL, "Statement '%s'", sid);
			else
				tl_buf_printf(&b, NULL, "Statement[%lld]", (long long)index);
			tl_buf_printf(&b, NULL, " (%s) %s\n",
				      json_string_value(json_object_get(st, "effect")),
				      json_string_value(json_object_get(st, "reason")));
			/* The values behind the verdict: what matched, what did not. */
			json_array_foreach(json_object_get(st, "conditions"), k, cond)
			{
				const char *ev =
					json_string_value(json_object_get(cond, "evidence"));
				if (ev)
					tl_buf_printf(&b, NULL, "  %s %s\n",
						      json_is_true(json_object_get(cond, "matched"))
							      ? "[match]   "
							      : "[no match]",
						      ev);
			}
		}
	}
	if (b.len == 0)
		tl_buf_append_str(&b, "(no failing check recorded)\n", NULL);
	return tl_buf_steal(&b, NULL);
}

static json_t *
mint_request(const struct tl_case *c)
{
	json_t *req = json_pack("{s:O}", "context", c->token);
	json_t *aud = c->audience ? c->audience : json_array_get(c->provider->audiences, 0);

	if (!req)
		return NULL;
	if (aud)
		json_object_set(req, "audience", aud);
	if (c->claims)
		json_object_set(req, "claims", c->claims);
	if (c->faults)
		json_object_set(req, "faults", c->faults);
	return req;
}

static void
mark_broken(struct run *r, const struct tl_error *err, const struct tl_case *c)
{
	bool expected = false;
	if (atomic_compare_exchange_strong(&r->broken, &expected, true)) {
		r->broken_err = *err;
		tl_error_prefix(&r->broken_err, "%s", c->id);
	}
}

/* Runs one case: one token, one exchange per expected role. */
static void
run_case(struct run *r, struct tl_exchange *ex, size_t ci)
{
	const struct tl_case *c = r->cases[ci];
	struct result *res = r->results[ci];
	struct tl_mint_result mint;
	struct tl_error err;
	char prefix[128];
	json_t *req = mint_request(c);
	double start = now_ms();
	const char *iss;

	tl_embedded_prefix(r->embedded, c->provider->profile->name, prefix, sizeof(prefix));
	if (!req) {
		tl_error_set(&err, TL_ERR_NOMEM, "out of memory");
		mark_broken(r, &err, c);
		return;
	}
	if (tl_exchange_mint(ex, prefix, req, &mint, &err) < 0) {
		json_decref(req);
		mark_broken(r, &err, c);
		return;
	}
	json_decref(req);
	if (mint.status != 200 && mint.status != 403) {
		tl_error_set(&err, TL_ERR_INVALID,
			     "the issuer refused the token request (HTTP %ld): %s", mint.status,
			     mint.reason);
		tl_mint_result_finish(&mint);
		mark_broken(r, &err, c);
		return;
	}
	iss = mint.claims ? json_string_value(json_object_get(mint.claims, "iss")) : NULL;
	if (mint.status == 200 && iss && ensure_provider(r, ex, iss, c->provider, &err) < 0) {
		tl_mint_result_finish(&mint);
		mark_broken(r, &err, c);
		return;
	}
	for (size_t e = 0; e < c->n_expect; e++) {
		struct result *out = &res[e];
		int ri = role_index(r->s, c->expect[e].role);
		out->c = c;
		out->expect = e;
		out->ran = true;
		if (mint.status == 403) {
			snprintf(out->actual, sizeof(out->actual), "no-token");
			snprintf(out->message, sizeof(out->message), "%s", mint.reason);
		} else {
			struct tl_aws_reply reply;
			tl_aws_reply_init(&reply);
			/* Without request.session_name, a name like an SDK's default. */
			if (tl_exchange_assume(ex, r->role_arns[ri],
					       c->session_name ? c->session_name : "trustlab",
					       mint.token, c->duration_seconds, &reply, NULL,
					       &err) < 0) {
				tl_aws_reply_finish(&reply);
				mark_broken(r, &err, c);
				break;
			}
			if (reply.status == 200)
				snprintf(out->actual, sizeof(out->actual), "allow");
			else
				snprintf(out->actual, sizeof(out->actual), "%s",
					 reply.code[0] ? reply.code : "HTTP error");
			snprintf(out->message, sizeof(out->message), "%s", reply.message);
			snprintf(out->request_id, sizeof(out->request_id), "%s", reply.request_id);
			tl_aws_reply_finish(&reply);
		}
		/* A surprise always comes with its explanation. */
		if (!tl_case_expect_matches(c->expect[e].outcome, out->actual) &&
		    out->request_id[0]) {
			out->trace = tl_exchange_decision(ex, out->request_id, &err);
			if (out->trace)
				out->trace_text = trace_text(out->trace);
		}
	}
	tl_mint_result_finish(&mint);
	for (size_t e = 0; e < c->n_expect; e++)
		res[e].ms = (now_ms() - start) / (double)(c->n_expect ? c->n_expect : 1);
}

static void *
worker(void *arg)
{
	struct run *r = arg;
	struct tl_error err;
	struct tl_exchange *ex = tl_exchange_new(&r->xcfg, &err);

	if (!ex) {
		atomic_store(&r->broken, true);
		r->broken_err = err;
		return NULL;
	}
	for (;;) {
		size_t i = atomic_fetch_add(&r->next, 1);
		if (i >= r->n_cases || atomic_load(&r->broken))
			break;
		run_case(r, ex, i);
		size_t done = atomic_fetch_add(&r->done, 1) + 1;
		if (r->progress) {
			/* At most ten lines a second; the last one is cleared at the end. */
			pthread_mutex_lock(&r->lock);
			double t = now_ms();
			if (t - r->last_progress >= 100 || done == r->n_cases) {
				r->last_progress = t;
				fprintf(stderr, "\r\033[K%s: %zu/%zu cases", tl_scenario_name(r->s),
					done, r->n_cases);
				fflush(stderr);
			}
			pthread_mutex_unlock(&r->lock);
		}
	}
	tl_exchange_free(ex);
	return NULL;
}

static bool
selected(const struct tl_case *c, const struct tl_run_selection *sel)
{
	if (sel->filter && !tl_case_matches_filter(c, sel->filter))
		return false;
	if (sel->shard_n && !tl_case_in_shard(c, sel->shard_k, sel->shard_n))
		return false;
	return true;
}

int
tl_run_scenario(const struct tl_scenario *s, const struct tl_embedded *embedded,
		const struct tl_exchange_config *xcfg, unsigned jobs,
		const struct tl_run_selection *sel, struct tl_report *report, struct tl_error *err)
{
	struct run r;
	struct tl_exchange *ex = NULL;
	struct tl_aws_reply reply;
	size_t nroles = tl_scenario_role_count(s), ncases = tl_scenario_case_count(s);
	pthread_t threads[MAX_JOBS];
	unsigned started = 0;
	size_t created = 0;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	pthread_mutex_init(&r.lock, NULL);
	r.s = s;
	r.embedded = embedded;
	r.progress = sel->progress;
	r.xcfg = *xcfg;
	tl_aws_reply_init(&reply);
	r.role_arns = calloc(nroles ? nroles : 1, sizeof(*r.role_arns));
	r.cases = calloc(ncases ? ncases : 1, sizeof(*r.cases));
	r.results = calloc(ncases ? ncases : 1, sizeof(*r.results));
	if (!r.role_arns || !r.cases || !r.results) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ncases; i++) {
		const struct tl_case *c = tl_scenario_case(s, i);
		if (!selected(c, sel))
			continue;
		r.results[r.n_cases] = calloc(c->n_expect ? c->n_expect : 1, sizeof(struct result));
		if (!r.results[r.n_cases]) {
			tl_error_set(err, TL_ERR_NOMEM, "out of memory");
			goto out;
		}
		r.cases[r.n_cases++] = c;
	}
	if (r.n_cases == 0) {
		rc = 0;
		goto out;
	}

	ex = tl_exchange_new(xcfg, err);
	if (!ex)
		goto out;
	for (; created < nroles; created++) {
		const struct tl_scenario_role *role = tl_scenario_role(s, created);
		if (tl_exchange_create_role(ex, role->name, role->policy_text,
					    role->max_session_duration, r.role_arns[created],
					    sizeof(r.role_arns[0]), &reply, err) < 0) {
			tl_error_prefix(err, "%s: role '%s'", tl_scenario_file(s), role->name);
			goto teardown;
		}
	}

	if (jobs > r.n_cases)
		jobs = (unsigned)r.n_cases;
	for (; started < jobs; started++)
		if (pthread_create(&threads[started], NULL, worker, &r) != 0)
			break;
	if (started == 0)
		worker(&r);
	for (unsigned t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	if (r.progress) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
	if (atomic_load(&r.broken)) {
		*err = r.broken_err;
		goto teardown;
	}

	for (size_t ci = 0; ci < r.n_cases; ci++) {
		const struct tl_case *c = r.cases[ci];
		for (size_t e = 0; e < c->n_expect; e++) {
			const struct result *res = &r.results[ci][e];
			bool passed = tl_case_expect_matches(c->expect[e].outcome, res->actual);
			const struct tl_report_result rr = {
				.scenario = c->scenario,
				.file = c->file,
				.name = c->name,
				.matrix = c->matrix,
				.role = c->expect[e].role,
				.expected = c->expect[e].outcome,
				.actual = res->actual,
				.passed = passed,
				.request_id = res->request_id[0] ? res->request_id : NULL,
				.message = res->message[0] ? res->message : NULL,
				.trace_text = res->trace_text,
				.trace = res->trace,
				.duration_ms = res->ms,
			};
			if (tl_report_add(report, &rr, err) < 0)
				goto teardown;
		}
	}
	rc = 0;
teardown:
	/* Leave the STS as this scenario found it, so the next one may reuse names. */
	for (size_t i = 0; ex && i < created; i++)
		tl_exchange_delete_role(ex, tl_scenario_role(s, i)->name, &reply, NULL);
	for (size_t i = 0; ex && i < r.n_registered; i++)
		tl_exchange_delete_provider(ex, r.registered_arn[i], &reply, NULL);
out:
	for (size_t ci = 0; r.results && ci < r.n_cases; ci++) {
		for (size_t e = 0; r.cases[ci] && e < r.cases[ci]->n_expect; e++) {
			free(r.results[ci][e].trace_text);
			json_decref(r.results[ci][e].trace);
		}
		free(r.results[ci]);
	}
	free(r.results);
	free(r.cases);
	free(r.role_arns);
	tl_aws_reply_finish(&reply);
	tl_exchange_free(ex);
	pthread_mutex_destroy(&r.lock);
	return rc;
}

static void
usage(FILE *out)
{
	fprintf(out,
		"Usage: trustlab run [OPTIONS] PATH...\n"
		"\n"
		"Runs every case of the scenario files (or of the scenarios under directories)\n"
		"through the real protocols: roles are created through the IAM API, tokens are\n"
		"minted by mock-issuer over HTTP, and each is exchanged with\n"
		"AssumeRoleWithWebIdentity at mock-sts. Both servers start embedded on\n"
		"127.0.0.1 unless --issuer-url and --sts-url name running ones.\n"
		"\n"
		"Options:\n"
		"  -f, --format FORMAT   text (default), json, junit, tap, markdown, html\n"
		"  -o, --output FILE     write the report to FILE (atomically) instead of stdout\n"
		"  -j, --jobs N          cases in parallel within a scenario (default 4)\n"
		"      --shard K/N       run only shard K of N (default: "
		"CI_NODE_INDEX/CI_NODE_TOTAL)\n"
		"      --filter GLOB     run only cases whose id (SCENARIO/NAME) or name matches\n"
		"      --issuer-url URL  a running mock-issuer\n"
		"      --sts-url URL     a running mock-sts (it must map the providers' issuers\n"
		"                        to that mock-issuer: --issuer-map)\n"
		"      --color WHEN      auto (default: on a terminal), always, never\n"
		"  -h, --help            show this help\n"
		"\n"
		"Exit status: 0 every expectation holds, 1 one does not, 2 invalid input\n"
		"(scenario errors are reported, all of them, before anything runs).\n"
		"See docs/scenario-format.md.\n");
}

struct tl_scenario **
tl_run_load_scenarios(char **paths, int n, size_t *count)
{
	struct tl_scenario **all = NULL;
	size_t cap = 0;
	bool bad = false;

	*count = 0;
	for (int p = 0; p < n; p++) {
		char **files = NULL;
		size_t nfiles = 0;
		struct tl_error err;
		char line[TL_ERROR_FILE_MAX + TL_ERROR_PATH_MAX + TL_ERROR_MESSAGE_MAX + 64];

		if (tl_scenario_collect(paths[p], &files, &nfiles, &err) < 0) {
			tl_error_format(&err, line, sizeof(line));
			fprintf(stderr, "%s\n", line);
			bad = true;
			continue;
		}
		for (size_t f = 0; f < nfiles; f++) {
			struct tl_error errors[MAX_REPORTED_ERRORS];
			size_t n_errors = 0;
			struct tl_scenario_options opt = {
				.errors = errors,
				.max_errors = MAX_REPORTED_ERRORS,
				.n_errors = &n_errors,
			};
			struct tl_scenario *s = tl_scenario_load_file(files[f], &opt, &err);
			if (!s) {
				if (n_errors == 0)
					errors[n_errors++] = err;
				for (size_t i = 0; i < n_errors; i++) {
					tl_error_format(&errors[i], line, sizeof(line));
					fprintf(stderr, "%s\n", line);
				}
				bad = true;
				continue;
			}
			if (*count + 2 > cap) {
				size_t ncap = cap ? cap * 2 : 16;
				struct tl_scenario **grown = realloc(all, ncap * sizeof(*all));
				if (!grown) {
					tl_scenario_free(s);
					bad = true;
					break;
				}
				all = grown;
				cap = ncap;
			}
			all[(*count)++] = s;
			all[*count] = NULL;
		}
		tl_scenario_files_free(files, nfiles);
	}
	/* A scenario's name is its cases' identity (SCENARIO/NAME: reports,
	 * --filter, --shard): two files may not share one in a run. */
	for (size_t i = 0; i < *count; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(tl_scenario_name(all[i]), tl_scenario_name(all[j])) == 0) {
				fprintf(stderr,
					"%s: name: scenario name '%s' is also used by %s; names "
					"identify cases in reports, filters and shards, and must "
					"be "
					"unique in one run\n",
					tl_scenario_file(all[i]), tl_scenario_name(all[i]),
					tl_scenario_file(all[j]));
				bad = true;
			}
	if (bad || *count == 0) {
		for (size_t i = 0; i < *count; i++)
			tl_scenario_free(all[i]);
		free(all);
		*count = 0;
		return NULL;
	}
	return all;
}

struct tl_report *
tl_run_all(const char *cmd, char **paths, int npaths, struct tl_exchange_config *xcfg,
	   unsigned jobs, const struct tl_run_selection *sel, tl_run_after_fn after, void *ctx,
	   int *status)
{
	struct tl_embedded servers = {0};
	struct tl_scenario **scenarios;
	struct tl_report *report = NULL;
	struct tl_exchange_config cfg = *xcfg;
	size_t count = 0;
	struct tl_error err;

	scenarios = tl_run_load_scenarios(paths, npaths, &count);
	if (!scenarios) {
		*status = TL_EXIT_USAGE;
		return NULL;
	}
	*status = TL_EXIT_FAILED;
	if (!cfg.issuer_url) {
		if (tl_embedded_start(&servers, NULL, &err) < 0) {
			fprintf(stderr, "trustlab %s: %s\n", cmd, err.message);
			goto out;
		}
		cfg.issuer_url = servers.issuer_url;
		cfg.sts_url = servers.sts_url;
	}
	report = tl_report_new();
	if (!report) {
		fprintf(stderr, "trustlab %s: out of memory\n", cmd);
		goto out;
	}
	for (size_t i = 0; i < count; i++) {
		size_t from = tl_report_count(report);
		if (tl_run_scenario(scenarios[i], servers.issuer ? &servers : NULL, &cfg, jobs, sel,
				    report, &err) < 0 ||
		    tl_run_chain(scenarios[i], servers.issuer ? &servers : NULL, sel, report,
				 &err) < 0) {
			char line[TL_ERROR_FILE_MAX + TL_ERROR_PATH_MAX + TL_ERROR_MESSAGE_MAX +
				  64];
			tl_error_format(&err, line, sizeof(line));
			fprintf(stderr, "trustlab %s: %s\n", cmd, line);
			tl_report_free(report);
			report = NULL;
			goto out;
		}
		if (after)
			after(ctx, scenarios[i], report, from, tl_report_count(report));
	}
	*status = TL_EXIT_OK;
out:
	tl_embedded_stop(&servers);
	for (size_t i = 0; i < count; i++)
		tl_scenario_free(scenarios[i]);
	free(scenarios);
	return report;
}

int
tl_cmd_run(int argc, char **argv)
{
	enum { OPT_SHARD = 256, OPT_FILTER, OPT_ISSUER_URL, OPT_STS_URL, OPT_COLOR };
	static const struct option options[] = {
		{"format", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"jobs", required_argument, NULL, 'j'},
		{"shard", required_argument, NULL, OPT_SHARD},
		{"filter", required_argument, NULL, OPT_FILTER},
		{"issuer-url", required_argument, NULL, OPT_ISSUER_URL},
		{"sts-url", required_argument, NULL, OPT_STS_URL},
		{"color", required_argument, NULL, OPT_COLOR},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	enum tl_report_format format = TL_REPORT_TEXT;
	struct tl_report_options ropt = {0};
	struct tl_run_selection sel = {0};
	struct tl_exchange_config xcfg = {0};
	struct tl_report *report = NULL;
	const char *output = NULL, *color = "auto";
	unsigned long jobs = 4;
	struct tl_error err;
	struct tl_buf out;
	int opt, status = TL_EXIT_USAGE;

	tl_buf_init(&out, 256 * 1024 * 1024);
	while ((opt = getopt_long(argc, argv, "f:o:j:h", options, NULL)) != -1) {
		char *end;
		switch (opt) {
		case 'f':
			if (tl_report_format_parse(optarg, &format, &err) < 0) {
				fprintf(stderr, "trustlab run: --format: %s\n", err.message);
				return TL_EXIT_USAGE;
			}
			break;
		case 'o':
			output = optarg;
			break;
		case 'j':
			jobs = strtoul(optarg, &end, 10);
			if (*end || jobs < 1 || jobs > MAX_JOBS) {
				fprintf(stderr, "trustlab run: --jobs '%s': expected 1 to %d\n",
					optarg, MAX_JOBS);
				return TL_EXIT_USAGE;
			}
			break;
		case OPT_SHARD:
			if (tl_scenario_parse_shard(optarg, &sel.shard_k, &sel.shard_n, &err) < 0) {
				fprintf(stderr, "trustlab run: --shard: %s\n", err.message);
				return TL_EXIT_USAGE;
			}
			break;
		case OPT_FILTER:
			sel.filter = optarg;
			break;
		case OPT_ISSUER_URL:
			xcfg.issuer_url = optarg;
			break;
		case OPT_STS_URL:
			xcfg.sts_url = optarg;
			break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") && strcmp(optarg, "always") &&
			    strcmp(optarg, "never")) {
				fprintf(stderr,
					"trustlab run: --color '%s': expected auto, always or "
					"never\n",
					optarg);
				return TL_EXIT_USAGE;
			}
			color = optarg;
			break;
		case 'h':
			usage(stdout);
			return TL_EXIT_OK;
		default:
			fprintf(stderr, "Try 'trustlab run --help'.\n");
			return TL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "trustlab run: no scenario given\nTry 'trustlab run --help'.\n");
		return TL_EXIT_USAGE;
	}
	if (!xcfg.issuer_url != !xcfg.sts_url) {
		fprintf(stderr, "trustlab run: give both --issuer-url and --sts-url, or neither\n");
		return TL_EXIT_USAGE;
	}
	if (!sel.shard_n && tl_scenario_shard_from_env(&sel.shard_k, &sel.shard_n, &err) < 0) {
		fprintf(stderr, "trustlab run: %s\n", err.message);
		return TL_EXIT_USAGE;
	}
	sel.progress = isatty(STDERR_FILENO);
	ropt.color =
		strcmp(color, "always") == 0 || (strcmp(color, "auto") == 0 && !output &&
						 format == TL_REPORT_TEXT && isatty(STDOUT_FILENO));

	report = tl_run_all("run", argv + optind, argc - optind, &xcfg, (unsigned)jobs, &sel, NULL,
			    NULL, &status);
	if (!report)
		goto out;
	status = TL_EXIT_FAILED;
	if (tl_report_render(report, format, &ropt, &out, &err) < 0) {
		fprintf(stderr, "trustlab run: %s\n", err.message);
		goto out;
	}
	if (output) {
		if (tl_file_write_atomic(output, tl_buf_str(&out), out.len, 0644, &err) < 0) {
			fprintf(stderr, "trustlab run: %s\n", err.message);
			goto out;
		}
	} else {
		fwrite(tl_buf_str(&out), 1, out.len, stdout);
		fflush(stdout);
	}
	status = tl_report_failed(report) == 0 ? TL_EXIT_OK : TL_EXIT_FAILED;
out:
	tl_buf_finish(&out);
	tl_report_free(report);
	return status;
}
