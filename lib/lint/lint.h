/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Trust-policy lint: rules over a parsed role trust policy that find what
 * lets a fork, a sibling repository, a tag or another provider's token in
 * (docs/lint.md lists every rule with its source). Each finding has a
 * stable rule id, a severity, the JSON path of the offending element
 * (`Statement[0].Condition.StringLike["token.actions.githubusercontent.com:sub"]`),
 * the line and column of that element in the source file when the text is
 * the file, and a message; the rule carries the explanation and the fix.
 *
 * Inputs are {name, source, policy text, max session duration}: one
 * trust-policy file, or every role of a scenario file.
 */

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

#include "json/json.h"

enum tl_lint_severity {
	TL_LINT_NOTE,
	TL_LINT_WARNING,
	TL_LINT_ERROR,
};

/* "note", "warning", "error". */
const char *tl_lint_severity_name(enum tl_lint_severity s);
/* Parses those names; -1 when unknown. */
int tl_lint_severity_from_name(const char *name);

struct tl_lint_rule {
	const char *id; /* stable, kebab-case */
	enum tl_lint_severity severity;
	const char *title; /* one line */
	const char *explanation; /* why, with its source (reference/...) */
	const char *fix; /* what to write instead */
};

/* The catalogue, in docs/lint.md order. */
const struct tl_lint_rule *tl_lint_rules(size_t *count);
const struct tl_lint_rule *tl_lint_rule_find(const char *id);

/* --- inputs ------------------------------------------------------------- */

/*
 * One role's trust policy to lint. `where` says where in `file` the policy
 * sits ("roles.deploy" of a scenario with an inline policy); it is NULL
 * when the policy text is the whole of `file`, and only then are line and
 * column computed.
 */
struct tl_lint_input {
	char *name; /* for messages: "policies/x.json", "ci.yaml role deploy" */
	char *file;
	char *where;
	char *policy_text;
	size_t policy_len;
	int max_session_duration; /* seconds; 0 when unknown */
};

struct tl_lint_inputs {
	struct tl_lint_input *items;
	size_t n, cap;
};

/*
 * Appends the policies `path` holds: a scenario file (tl_scenario_sniff)
 * gives one input per role, in scenario order, named "FILE role NAME"; any
 * other file is read as one trust-policy JSON document. Returns 0, or -1
 * with `err` naming the file (and the line/column or JSON path) for an
 * unreadable file or an invalid scenario. This is the one place inputs are
 * loaded; other role sources produce the same struct.
 */
int tl_lint_inputs_load(struct tl_lint_inputs *in, const char *path, struct tl_error *err);
/* Appends a copy of the strings; `where` may be NULL. */
int tl_lint_inputs_add(struct tl_lint_inputs *in, const char *name, const char *file,
		       const char *where, const char *text, size_t len, int max_session_duration,
		       struct tl_error *err);
void tl_lint_inputs_finish(struct tl_lint_inputs *in);

/* --- running ------------------------------------------------------------ */

#define TL_LINT_MESSAGE_MAX 512

struct tl_lint_finding {
	const struct tl_lint_rule *rule;
	enum tl_lint_severity severity; /* the rule's, or higher (policy-size over the quota) */
	size_t input; /* index into the inputs */
	char path[TL_JPATH_MAX]; /* "" for the whole document */
	int line, column; /* 1-based; 0 when unknown */
	char message[TL_LINT_MESSAGE_MAX];
};

struct tl_lint_findings {
	struct tl_lint_finding *items;
	size_t n, cap;
	bool nomem;
};

struct tl_lint_options {
	/* Rule ids not to run (NULL-terminated, may be NULL). */
	const char *const *disabled;
};

/*
 * Lints `in` (it is input number `index`), appending its findings in
 * document order. Returns 0, or -1 with `err` set when the text is not a
 * trust policy IAM would save (syntax: err->line/column; semantics:
 * err->path) or on allocation failure; err->file is in->file.
 */
int tl_lint_run(const struct tl_lint_input *in, size_t index, const struct tl_lint_options *opt,
		struct tl_lint_findings *out, struct tl_error *err);
void tl_lint_findings_finish(struct tl_lint_findings *f);

/* The highest severity among the findings; -1 when there are none. */
int tl_lint_findings_max(const struct tl_lint_findings *f);

/*
 * Line and column (1-based) where the value at `path` (a tl_jpath text;
 * "" for the top value) starts in the JSON `text`. Returns 0, or -1 when
 * the path is not found or the text is not JSON.
 */
int tl_lint_locate(const char *text, size_t len, const char *path, int *line, int *column);

/* --- output ------------------------------------------------------------- */

/*
 * Text: "NAME:LINE:COL: PATH: SEVERITY RULE: message" then "  fix: ...",
 * one block per finding, and a summary line.
 */
int tl_lint_render_text(const struct tl_lint_inputs *in, const struct tl_lint_findings *f,
			struct tl_buf *out, struct tl_error *err);
/* {"findings": [{rule, severity, name, file, path, line, column, message, fix}], "summary"} */
json_t *tl_lint_to_json(const struct tl_lint_inputs *in, const struct tl_lint_findings *f);
/* A SARIF 2.1.0 log with every rule of the catalogue and one result per finding. */
json_t *tl_lint_to_sarif(const struct tl_lint_inputs *in, const struct tl_lint_findings *f);
