/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Run reports: the runner adds one result per (case, role) and renders
 * them as text (a table for people), JSON, JUnit XML, TAP, Markdown or
 * one self-contained HTML page (docs/scenario-format.md "Reports").
 *
 * Every format shows, for each failed expectation, why the outcome was
 * what it was: the decision trace (or the STS message or the refusal
 * reason when there is no trace). Markdown and HTML also draw the access
 * matrix of each scenario: its cases (token contexts) by its roles, each
 * cell the actual outcome, failed cells marked.
 *
 * Rendering is deterministic: the same results give the same bytes.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

struct tl_report_result {
	const char *scenario; /* the scenario's name (required) */
	const char *file; /* the scenario file, may be NULL */
	const char *name; /* the case's name (required) */
	const char *matrix; /* the matrix it came from, NULL for a case */
	const char *role; /* (required) */
	const char *expected; /* "allow", "deny", "no-token" or an STS code */
	const char *actual; /* "allow", "no-token" or the STS code */
	bool passed;
	const char *request_id; /* STS RequestId, may be NULL */
	const char *message; /* STS error message or refusal reason, may be NULL */
	const char *trace_text; /* the decision trace for people, may be NULL */
	const json_t *trace; /* the decision trace as JSON, may be NULL */
	double duration_ms;
};

struct tl_report;

struct tl_report *tl_report_new(void);
void tl_report_free(struct tl_report *r);

/*
 * Adds a copy of `res` (strings copied, `trace` deep-copied). Results
 * render in the order added (a parallel runner adds them in case order).
 * Returns 0 or -1 (TL_ERR_NOMEM, TL_ERR_INVALID
 * for a missing required field).
 */
int tl_report_add(struct tl_report *r, const struct tl_report_result *res, struct tl_error *err);

size_t tl_report_count(const struct tl_report *r);
size_t tl_report_failed(const struct tl_report *r);
const struct tl_report_result *tl_report_get(const struct tl_report *r, size_t i);

enum tl_report_format {
	TL_REPORT_TEXT,
	TL_REPORT_JSON,
	TL_REPORT_JUNIT,
	TL_REPORT_TAP,
	TL_REPORT_MARKDOWN,
	TL_REPORT_HTML,
};

/* "text", "json", "junit", "tap", "markdown" (or "md"), "html". */
int tl_report_format_parse(const char *name, enum tl_report_format *out, struct tl_error *err);
const char *tl_report_format_name(enum tl_report_format f);

struct tl_report_options {
	/* Text only: ANSI colours (the runner sets it on a TTY). */
	bool color;
	/* Title of HTML and Markdown pages; NULL: "trustlab". */
	const char *title;
};

/* Appends the report in `format` to `out`. `opt` may be NULL. */
int tl_report_render(const struct tl_report *r, enum tl_report_format format,
		     const struct tl_report_options *opt, struct tl_buf *out, struct tl_error *err);
