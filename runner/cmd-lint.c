/* SPDX-License-Identifier: MIT */
/*
 * trustlab lint: rules over trust policies (files, or every role of a
 * scenario) that find what lets a fork, a sibling repository, a tag or
 * another provider's token in. docs/lint.md lists the rules.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/file.h"

#include "lint/lint.h"
#include "policy/policy.h"
#include "runner.h"

#define DISABLED_MAX 64

static void
usage(FILE *out)
{
	fprintf(out,
		"Usage: trustlab lint [OPTIONS] POLICY|SCENARIO...\n"
		"\n"
		"Checks role trust policies for OIDC federation against rules that find what\n"
		"lets another repository, a fork, a tag or another provider's token in. A\n"
		"scenario file stands for every role it defines.\n"
		"\n"
		"  --format FORMAT    text (default), json or sarif (SARIF 2.1.0, for GitHub\n"
		"                     code scanning)\n"
		"  --output FILE      write the report to FILE instead of standard output\n"
		"  --disable RULE     do not run RULE (repeatable)\n"
		"  --fail-on LEVEL    exit 1 when a finding of LEVEL or worse exists: error\n"
		"                     (default), warning, note, or never\n"
		"  --list-rules       print every rule id, severity and title, and exit\n"
		"\n"
		"Exit status: 0 no finding at the --fail-on level, 1 some, 2 invalid input (a\n"
		"file that is not a trust policy IAM would save, or an invalid scenario).\n"
		"See docs/lint.md.\n");
}

static int
list_rules(void)
{
	size_t n;
	const struct tl_lint_rule *r = tl_lint_rules(&n);
	for (size_t i = 0; i < n; i++)
		printf("%-32s %-8s %s\n", r[i].id, tl_lint_severity_name(r[i].severity),
		       r[i].title);
	return TL_EXIT_OK;
}

static int
emit_report(const char *format, const char *output, const struct tl_lint_inputs *in,
	    const struct tl_lint_findings *f)
{
	struct tl_error err = {0};
	struct tl_buf buf;
	int rc = 0;

	tl_buf_init(&buf, 64 * 1024 * 1024);
	if (strcmp(format, "text") == 0) {
		rc = tl_lint_render_text(in, f, &buf, &err);
	} else {
		json_t *doc = strcmp(format, "json") == 0 ? tl_lint_to_json(in, f)
							  : tl_lint_to_sarif(in, f);
		char *s = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
		json_decref(doc);
		if (!s || tl_buf_append_str(&buf, s, &err) < 0 || tl_buf_putc(&buf, '\n', &err) < 0)
			rc = tl_error_set(&err, TL_ERR_NOMEM, "out of memory");
		free(s);
	}
	if (rc == 0) {
		if (output)
			rc = tl_file_write_atomic(output, tl_buf_str(&buf),
						  strlen(tl_buf_str(&buf)), 0644, &err);
		else
			fputs(tl_buf_str(&buf), stdout);
	}
	tl_buf_finish(&buf);
	if (rc < 0) {
		char msg[1024];
		tl_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "trustlab lint: %s\n", msg);
	}
	return rc;
}

int
tl_cmd_lint(int argc, char **argv)
{
	static const struct option options[] = {
		{"format", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"disable", required_argument, NULL, 'd'},
		{"fail-on", required_argument, NULL, 'F'},
		{"list-rules", no_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *format = "text", *output = NULL, *disabled[DISABLED_MAX + 1] = {0};
	struct tl_lint_inputs in = {0};
	struct tl_lint_findings found = {0};
	int opt, fail_on = TL_LINT_ERROR, rc = TL_EXIT_OK, ndisabled = 0;
	bool bad = false;

	while ((opt = getopt_long(argc, argv, "ho:", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			format = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'd':
			if (!tl_lint_rule_find(optarg)) {
				fprintf(stderr,
					"trustlab lint: --disable '%s': no such rule (see "
					"'trustlab lint --list-rules')\n",
					optarg);
				return TL_EXIT_USAGE;
			}
			if (ndisabled == DISABLED_MAX) {
				fprintf(stderr, "trustlab lint: more than %d --disable\n",
					DISABLED_MAX);
				return TL_EXIT_USAGE;
			}
			disabled[ndisabled++] = optarg;
			break;
		case 'F':
			fail_on = strcmp(optarg, "never") == 0 ? TL_LINT_ERROR + 1
							       : tl_lint_severity_from_name(optarg);
			if (fail_on < 0) {
				fprintf(stderr,
					"trustlab lint: --fail-on '%s': expected error, warning, "
					"note or never\n",
					optarg);
				return TL_EXIT_USAGE;
			}
			break;
		case 'l':
			return list_rules();
		case 'h':
			usage(stdout);
			return TL_EXIT_OK;
		default:
			fprintf(stderr, "Try 'trustlab lint --help'.\n");
			return TL_EXIT_USAGE;
		}
	}
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0 &&
	    strcmp(format, "sarif") != 0) {
		fprintf(stderr, "trustlab lint: --format '%s': expected text, json or sarif\n",
			format);
		return TL_EXIT_USAGE;
	}
	if (optind >= argc) {
		fprintf(stderr, "trustlab lint: no policy or scenario file given\n"
				"Try 'trustlab lint --help'.\n");
		return TL_EXIT_USAGE;
	}

	struct tl_lint_options lopt = {.disabled = disabled};
	for (int i = optind; i < argc; i++) {
		struct tl_error err = {0};
		size_t from = in.n;
		char msg[1200];

		if (tl_lint_inputs_load(&in, argv[i], &err) < 0) {
			tl_error_format(&err, msg, sizeof(msg));
			fprintf(stderr, "trustlab lint: %s\n", msg);
			bad = true;
			continue;
		}
		for (size_t k = from; k < in.n; k++) {
			if (tl_lint_run(&in.items[k], k, &lopt, &found, &err) == 0)
				continue;
			tl_error_format(&err, msg, sizeof(msg));
			fprintf(stderr, "trustlab lint: %s%s%s: %s\n",
				strcmp(in.items[k].name, in.items[k].file) ? in.items[k].name : "",
				strcmp(in.items[k].name, in.items[k].file) ? ": " : "",
				err.code == TL_ERR_NOMEM ? "error" : tl_policy_aws_error(&err),
				msg);
			bad = true;
			tl_error_clear(&err);
		}
	}
	if (bad) {
		rc = TL_EXIT_USAGE;
		goto out;
	}
	if (emit_report(format, output, &in, &found) < 0) {
		rc = TL_EXIT_USAGE;
		goto out;
	}
	rc = tl_lint_findings_max(&found) >= fail_on ? TL_EXIT_FAILED : TL_EXIT_OK;
out:
	tl_lint_findings_finish(&found);
	tl_lint_inputs_finish(&in);
	return rc;
}
