/* SPDX-License-Identifier: MIT */
/*
 * Run reports in six formats. Writers append to a struct tl_buf through a
 * small sticky-error wrapper: after the first failed append every later
 * one is a no-op and the render returns -1.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

struct entry {
	struct tl_report_result r;
};

struct tl_report {
	struct entry *items;
	size_t count, cap;
	size_t failed;
};

struct tl_report *
tl_report_new(void)
{
	return calloc(1, sizeof(struct tl_report));
}

static void
result_finish(struct tl_report_result *r)
{
	free((char *)r->scenario);
	free((char *)r->file);
	free((char *)r->name);
	free((char *)r->matrix);
	free((char *)r->role);
	free((char *)r->expected);
	free((char *)r->actual);
	free((char *)r->request_id);
	free((char *)r->message);
	free((char *)r->trace_text);
	json_decref((json_t *)r->trace);
}

void
tl_report_free(struct tl_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->count; i++)
		result_finish(&r->items[i].r);
	free(r->items);
	free(r);
}

static bool
dup_opt(const char *in, const char **out)
{
	*out = NULL;
	if (!in)
		return true;
	*out = strdup(in);
	return *out != NULL;
}

int
tl_report_add(struct tl_report *r, const struct tl_report_result *res, struct tl_error *err)
{
	if (!res->scenario || !res->name || !res->role || !res->expected || !res->actual)
		return tl_error_set(err, TL_ERR_INVALID,
				    "a result needs scenario, name, role, expected and actual");
	if (r->count == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct entry *items = realloc(r->items, cap * sizeof(*items));
		if (!items)
			return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		r->items = items;
		r->cap = cap;
	}
	struct tl_report_result *c = &r->items[r->count].r;
	memset(c, 0, sizeof(*c));
	c->passed = res->passed;
	c->duration_ms = res->duration_ms;
	bool ok = dup_opt(res->scenario, &c->scenario) && dup_opt(res->file, &c->file) &&
		  dup_opt(res->name, &c->name) && dup_opt(res->matrix, &c->matrix) &&
		  dup_opt(res->role, &c->role) && dup_opt(res->expected, &c->expected) &&
		  dup_opt(res->actual, &c->actual) && dup_opt(res->request_id, &c->request_id) &&
		  dup_opt(res->message, &c->message) && dup_opt(res->trace_text, &c->trace_text);
	if (ok && res->trace) {
		c->trace = json_deep_copy(res->trace);
		ok = c->trace != NULL;
	}
	if (!ok) {
		result_finish(c);
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	}
	r->count++;
	if (!c->passed)
		r->failed++;
	return 0;
}

size_t
tl_report_count(const struct tl_report *r)
{
	return r->count;
}

size_t
tl_report_failed(const struct tl_report *r)
{
	return r->failed;
}

const struct tl_report_result *
tl_report_get(const struct tl_report *r, size_t i)
{
	return i < r->count ? &r->items[i].r : NULL;
}

static const char *const format_names[] = {
	[TL_REPORT_TEXT] = "text", [TL_REPORT_JSON] = "json",	      [TL_REPORT_JUNIT] = "junit",
	[TL_REPORT_TAP] = "tap",   [TL_REPORT_MARKDOWN] = "markdown", [TL_REPORT_HTML] = "html",
};

int
tl_report_format_parse(const char *name, enum tl_report_format *out, struct tl_error *err)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
		if (name && strcmp(name, format_names[i]) == 0) {
			*out = (enum tl_report_format)i;
			return 0;
		}
	if (name && strcmp(name, "md") == 0) {
		*out = TL_REPORT_MARKDOWN;
		return 0;
	}
	return tl_error_set(err, TL_ERR_INVALID,
			    "unknown report format '%s' (expected one of: text, json, junit, tap, "
			    "markdown, html)",
			    name ? name : "");
}

const char *
tl_report_format_name(enum tl_report_format f)
{
	return (size_t)f < sizeof(format_names) / sizeof(format_names[0]) ? format_names[f] : "?";
}

/* --- output helpers ------------------------------------------------------ */

struct out {
	struct tl_buf *b;
	struct tl_error *err;
	int rc;
};

static void
put(struct out *o, const char *s)
{
	if (o->rc == 0)
		o->rc = tl_buf_append_str(o->b, s, o->err);
}

static void
putn(struct out *o, const char *s, size_t n)
{
	if (o->rc == 0)
		o->rc = tl_buf_append(o->b, s, n, o->err);
}

static void TL_PRINTF(2, 3) putf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	if (o->rc)
		return;
	va_start(ap, fmt);
	o->rc = tl_buf_vprintf(o->b, o->err, fmt, ap);
	va_end(ap);
}

/* Text for a terminal: control characters (escape sequences in a case
 * name, a message) become U+FFFD; `newlines` keeps line breaks. */
static void
safe(struct out *o, const char *s, bool newlines)
{
	for (const char *p = s ? s : ""; *p && o->rc == 0; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c < 0x20 && !(newlines && c == '\n') && c != '\t') || c == 0x7f)
			put(o, "\xef\xbf\xbd");
		else
			putn(o, p, 1);
	}
}

/* XML/HTML text or attribute value: the five specials escaped, newlines
 * and tabs as character references in attributes, other control
 * characters (not allowed in XML 1.0) as U+FFFD. */
static void
xml(struct out *o, const char *s, bool attribute)
{
	for (const char *p = s ? s : ""; *p && o->rc == 0; p++) {
		unsigned char c = (unsigned char)*p;
		switch (c) {
		case '&':
			put(o, "&amp;");
			break;
		case '<':
			put(o, "&lt;");
			break;
		case '>':
			put(o, "&gt;");
			break;
		case '"':
			put(o, "&quot;");
			break;
		case '\'':
			put(o, "&#39;");
			break;
		case '\n':
			put(o, attribute ? "&#10;" : "\n");
			break;
		case '\t':
			put(o, attribute ? "&#9;" : "\t");
			break;
		case '\r':
			put(o, "&#13;");
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				put(o, "\xef\xbf\xbd");
			else
				putn(o, p, 1);
		}
	}
}

/* A Markdown table cell: no line breaks, '|' and '\' escaped, HTML
 * specials as entities so a name cannot inject markup into a PR comment. */
static void
md_cell(struct out *o, const char *s)
{
	for (const char *p = s ? s : ""; *p && o->rc == 0; p++) {
		switch (*p) {
		case '|':
			put(o, "\\|");
			break;
		case '\\':
			put(o, "\\\\");
			break;
		case '<':
			put(o, "&lt;");
			break;
		case '>':
			put(o, "&gt;");
			break;
		case '&':
			put(o, "&amp;");
			break;
		case '`':
			put(o, "\\`");
			break;
		case '*':
		case '_':
		case '[':
		case ']':
			putf(o, "\\%c", *p);
			break;
		case '\n':
		case '\r':
		case '\t':
			put(o, " ");
			break;
		default:
			putn(o, p, 1);
		}
	}
}

/* The why of a result: the trace text, else the trace JSON, else the
 * message. Caller frees. */
static char *
why(struct out *o, const struct tl_report_result *r)
{
	char *w;
	if (r->trace_text && *r->trace_text)
		w = strdup(r->trace_text);
	else if (r->trace)
		w = json_dumps(r->trace, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	else if (r->message && *r->message)
		w = strdup(r->message);
	else
		w = strdup("(no trace)");
	/* A failure makes the whole render fail (the sticky error). */
	if (!w && o->rc == 0)
		o->rc = tl_error_set(o->err, TL_ERR_NOMEM, "out of memory");
	return w;
}

/* Writes `text` with every line prefixed by `indent`; no trailing newline
 * doubled. */
static void
indented(struct out *o, const char *indent, const char *text)
{
	const char *p = text;
	while (*p && o->rc == 0) {
		size_t n = strcspn(p, "\n");
		char *line = strndup(p, n);
		if (!line) {
			o->rc = tl_error_set(o->err, TL_ERR_NOMEM, "out of memory");
			return;
		}
		put(o, indent);
		safe(o, line, false);
		put(o, "\n");
		free(line);
		p += n;
		if (*p == '\n')
			p++;
	}
}

/* Distinct scenario names in order of first appearance. */
static size_t
scenario_groups(const struct tl_report *r, const char ***out)
{
	const char **names = calloc(r->count + 1, sizeof(*names));
	size_t n = 0;
	if (!names)
		return 0;
	for (size_t i = 0; i < r->count; i++) {
		bool seen = false;
		for (size_t j = n; j-- > 0 && !seen;)
			seen = strcmp(names[j], r->items[i].r.scenario) == 0;
		if (!seen)
			names[n++] = r->items[i].r.scenario;
	}
	*out = names;
	return n;
}

/* --- text ----------------------------------------------------------------- */

static int
width_of(const char *s)
{
	int w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

static void
pad(struct out *o, const char *s, int width)
{
	safe(o, s, false);
	for (int i = width_of(s); i < width; i++)
		put(o, " ");
}

static void
render_text(const struct tl_report *r, const struct tl_report_options *opt, struct out *o)
{
	const char **groups = NULL;
	size_t n_groups = scenario_groups(r, &groups);
	const char *green = opt->color ? "\033[32m" : "", *red = opt->color ? "\033[1;31m" : "",
		   *bold = opt->color ? "\033[1m" : "", *reset = opt->color ? "\033[0m" : "";

	if (r->count && !groups) {
		o->rc = tl_error_set(o->err, TL_ERR_NOMEM, "out of memory");
		return;
	}
	for (size_t g = 0; g < n_groups; g++) {
		int wn = 4, wr = 4, we = 8;
		const char *file = NULL;
		for (size_t i = 0; i < r->count; i++) {
			const struct tl_report_result *x = &r->items[i].r;
			if (strcmp(x->scenario, groups[g]) != 0)
				continue;
			if (!file)
				file = x->file;
			if (width_of(x->name) > wn)
				wn = width_of(x->name);
			if (width_of(x->role) > wr)
				wr = width_of(x->role);
			if (width_of(x->expected) > we)
				we = width_of(x->expected);
		}
		if (g)
			put(o, "\n");
		put(o, bold);
		safe(o, groups[g], false);
		put(o, reset);
		if (file) {
			put(o, " (");
			safe(o, file, false);
			put(o, ")");
		}
		put(o, "\n  ");
		pad(o, "    ", 6);
		pad(o, "case", wn + 2);
		pad(o, "role", wr + 2);
		pad(o, "expected", we + 2);
		put(o, "actual\n");
		for (size_t i = 0; i < r->count; i++) {
			const struct tl_report_result *x = &r->items[i].r;
			if (strcmp(x->scenario, groups[g]) != 0)
				continue;
			putf(o, "  %s%s%s  ", x->passed ? green : red, x->passed ? "ok  " : "FAIL",
			     reset);
			pad(o, x->name, wn + 2);
			pad(o, x->role, wr + 2);
			pad(o, x->expected, we + 2);
			safe(o, x->actual, false);
			put(o, "\n");
			if (!x->passed) {
				char *w = why(o, x);
				if (x->request_id) {
					put(o, "        request id: ");
					safe(o, x->request_id, false);
					put(o, "\n");
				}
				if (x->message && x->trace_text) {
					put(o, "        message: ");
					safe(o, x->message, false);
					put(o, "\n");
				}
				put(o, "        why:\n");
				indented(o, "          ", w ? w : "");
				free(w);
			}
		}
	}
	free(groups);
	if (n_groups)
		put(o, "\n");
	size_t failed = r->failed, passed = r->count - r->failed;
	putf(o, "%s%zu passed%s, %s%zu failed%s\n", passed ? green : "", passed,
	     passed ? reset : "", failed ? red : "", failed, failed ? reset : "");
}

/* --- JSON ----------------------------------------------------------------- */

static json_t *
opt_string(const char *s)
{
	return s ? json_string(s) : json_null();
}

static void
render_json(const struct tl_report *r, struct out *o)
{
	json_t *results = json_array();
	json_t *doc = json_pack("{s:{s:I, s:I, s:I}, s:o}", "summary", "total",
				(json_int_t)r->count, "passed", (json_int_t)(r->count - r->failed),
				"failed", (json_int_t)r->failed, "results", results);
	bool ok = doc && results;

	for (size_t i = 0; ok && i < r->count; i++) {
		const struct tl_report_result *x = &r->items[i].r;
		json_t *trace = x->trace ? json_deep_copy(x->trace) : opt_string(x->trace_text);
		json_t *item = json_pack(
			"{s:s, s:o, s:s, s:o, s:s, s:s, s:s, s:b, s:o, s:o, s:f, s:o}", "scenario",
			x->scenario, "file", opt_string(x->file), "case", x->name, "matrix",
			opt_string(x->matrix), "role", x->role, "expected", x->expected, "actual",
			x->actual, "passed", x->passed, "request_id", opt_string(x->request_id),
			"message", opt_string(x->message), "duration_ms", x->duration_ms, "trace",
			trace ? trace : json_null());
		ok = item && json_array_append_new(results, item) == 0;
	}
	char *text = ok ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	if (!doc && results)
		json_decref(results);
	json_decref(doc);
	if (!text) {
		o->rc = tl_error_set(o->err, TL_ERR_NOMEM, "out of memory");
		return;
	}
	put(o, text);
	put(o, "\n");
	free(text);
}

/* --- JUnit XML ------------------------------------------------------------ */

static void
render_junit(const struct tl_report *r, struct out *o)
{
	const char **groups = NULL;
	size_t n_groups = scenario_groups(r, &groups);
	double total_ms = 0;

	if (r->count && !groups) {
		o->rc = tl_error_set(o->err, TL_ERR_NOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i < r->count; i++)
		total_ms += r->items[i].r.duration_ms;
	put(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	putf(o,
	     "<testsuites name=\"trustlab\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
	     "time=\"%.3f\">\n",
	     r->count, r->failed, total_ms / 1000.0);
	for (size_t g = 0; g < n_groups; g++) {
		size_t tests = 0, failures = 0;
		double ms = 0;
		const char *file = NULL;
		for (size_t i = 0; i < r->count; i++) {
			const struct tl_report_result *x = &r->items[i].r;
			if (strcmp(x->scenario, groups[g]) != 0)
				continue;
			tests++;
			failures += !x->passed;
			ms += x->duration_ms;
			if (!file)
				file = x->file;
		}
		put(o, "  <testsuite name=\"");
		xml(o, groups[g], true);
		putf(o,
		     "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" time=\"%.3f\"",
		     tests, failures, ms / 1000.0);
		if (file) {
			put(o, " file=\"");
			xml(o, file, true);
			put(o, "\"");
		}
		put(o, ">\n");
		for (size_t i = 0; i < r->count; i++) {
			const struct tl_report_result *x = &r->items[i].r;
			if (strcmp(x->scenario, groups[g]) != 0)
				continue;
			put(o, "    <testcase classname=\"");
			xml(o, x->scenario, true);
			put(o, "\" name=\"");
			xml(o, x->name, true);
			put(o, " [");
			xml(o, x->role, true);
			putf(o, "]\" time=\"%.3f\"", x->duration_ms / 1000.0);
			if (x->passed) {
				put(o, "/>\n");
				continue;
			}
			char *w = why(o, x);
			put(o, ">\n      <failure type=\"");
			xml(o, x->actual, true);
			put(o, "\" message=\"expected ");
			xml(o, x->expected, true);
			put(o, ", got ");
			xml(o, x->actual, true);
			put(o, "\">");
			if (x->request_id) {
				put(o, "request id: ");
				xml(o, x->request_id, false);
				put(o, "\n");
			}
			if (x->message && x->trace_text) {
				put(o, "message: ");
				xml(o, x->message, false);
				put(o, "\n");
			}
			xml(o, w ? w : "", false);
			put(o, "</failure>\n    </testcase>\n");
			free(w);
		}
		put(o, "  </testsuite>\n");
	}
	put(o, "</testsuites>\n");
	free(groups);
}

/* --- TAP ------------------------------------------------------------------ */

/* A TAP description: one line, '#' escaped (it starts a directive). */
static void
tap_text(struct out *o, const char *s)
{
	for (const char *p = s; *p && o->rc == 0; p++) {
		if (*p == '#')
			put(o, "\\#");
		else if (*p == '\\')
			put(o, "\\\\");
		else if (*p == '\n' || *p == '\r')
			put(o, " ");
		else if ((unsigned char)*p < 0x20 || *p == 0x7f)
			put(o, "\xef\xbf\xbd");
		else
			putn(o, p, 1);
	}
}

/* A YAML double-quoted scalar: JSON string syntax is valid YAML. */
static void
yaml_quoted(struct out *o, const char *s)
{
	json_t *j = json_string(s);
	char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	json_decref(j);
	if (!t) {
		if (o->rc == 0)
			o->rc = tl_error_set(o->err, TL_ERR_NOMEM, "out of memory");
		return;
	}
	put(o, t);
	free(t);
}

static void
render_tap(const struct tl_report *r, struct out *o)
{
	put(o, "TAP version 14\n");
	putf(o, "1..%zu\n", r->count);
	for (size_t i = 0; i < r->count; i++) {
		const struct tl_report_result *x = &r->items[i].r;
		putf(o, "%s %zu - ", x->passed ? "ok" : "not ok", i + 1);
		tap_text(o, x->scenario);
		put(o, ": ");
		tap_text(o, x->name);
		put(o, " [");
		tap_text(o, x->role);
		put(o, "] ");
		if (x->passed)
			tap_text(o, x->actual);
		else {
			put(o, "expected ");
			tap_text(o, x->expected);
			put(o, ", got ");
			tap_text(o, x->actual);
		}
		put(o, "\n");
		if (x->passed)
			continue;
		char *w = why(o, x);
		put(o, "  ---\n  expected: ");
		yaml_quoted(o, x->expected);
		put(o, "\n  actual: ");
		yaml_quoted(o, x->actual);
		put(o, "\n");
		if (x->request_id) {
			put(o, "  request_id: ");
			yaml_quoted(o, x->request_id);
			put(o, "\n");
		}
		if (x->message) {
			put(o, "  message: ");
			yaml_quoted(o, x->message);
			put(o, "\n");
		}
		put(o, "  trace: |-\n");
		indented(o, "    ", w && *w ? w : "(none)");
		put(o, "  ...\n");
		free(w);
	}
	putf(o, "# %zu passed, %zu failed\n", r->count - r->failed, r->failed);
}

/* --- the access matrix --------------------------------------------------- */

struct grid {
	const char **rows; /* case names */
	const char **cols; /* roles */
	const struct tl_report_result **cells; /* rows x cols, NULL: not run */
	size_t n_rows, n_cols;
};

static void
grid_finish(struct grid *g)
{
	free(g->rows);
	free(g->cols);
	free(g->cells);
}

static size_t
find_name(const char **names, size_t n, const char *name, size_t hint)
{
	if (hint < n && strcmp(names[hint], name) == 0)
		return hint;
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return SIZE_MAX;
}

static int
grid_build(const struct tl_report *r, const char *scenario, struct grid *g)
{
	memset(g, 0, sizeof(*g));
	g->rows = calloc(r->count + 1, sizeof(*g->rows));
	g->cols = calloc(r->count + 1, sizeof(*g->cols));
	if (!g->rows || !g->cols)
		return -1;
	for (size_t i = 0; i < r->count; i++) {
		const struct tl_report_result *x = &r->items[i].r;
		if (strcmp(x->scenario, scenario) != 0)
			continue;
		if (find_name(g->rows, g->n_rows, x->name, g->n_rows - 1) == SIZE_MAX)
			g->rows[g->n_rows++] = x->name;
		if (find_name(g->cols, g->n_cols, x->role, 0) == SIZE_MAX)
			g->cols[g->n_cols++] = x->role;
	}
	g->cells = calloc(g->n_rows * g->n_cols + 1, sizeof(*g->cells));
	if (!g->cells)
		return -1;
	size_t row = 0;
	for (size_t i = 0; i < r->count; i++) {
		const struct tl_report_result *x = &r->items[i].r;
		if (strcmp(x->scenario, scenario) != 0)
			continue;
		row = find_name(g->rows, g->n_rows, x->name, row);
		size_t col = find_name(g->cols, g->n_cols, x->role, 0);
		g->cells[row * g->n_cols + col] = x;
	}
	return 0;
}

static const char *
outcome_class(const char *actual)
{
	if (strcmp(actual, "allow") == 0)
		return "allow";
	if (strcmp(actual, "AccessDenied") == 0 || strcmp(actual, "deny") == 0)
		return "deny";
	if (strcmp(actual, "no-token") == 0)
		return "notoken";
	return "error";
}

static const char *
outcome_short(const char *actual)
{
	const char *c = outcome_class(actual);
	if (strcmp(c, "notoken") == 0)
		return "no-token";
	return strcmp(c, "error") == 0 ? actual : c;
}

/* --- Markdown ------------------------------------------------------------- */

/* A fence longer than any backtick run in `text`. */
static void
md_fence(struct out *o, const char *text)
{
	size_t longest = 0, run = 0;
	for (const char *p = text; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	for (size_t i = 0; i < (longest < 3 ? 3 : longest + 1); i++)
		put(o, "`");
}

static void
render_markdown(const struct tl_report *r, const struct tl_report_options *opt, struct out *o)
{
	const char **groups = NULL;
	size_t n_groups = scenario_groups(r, &groups);

	if (r->count && !groups) {
		o->rc = tl_error_set(o->err, TL_ERR_NOMEM, "out of memory");
		return;
	}
	put(o, "## ");
	md_cell(o, opt->title ? opt->title : "trustlab");
	putf(o, ": %zu passed, %zu failed\n", r->count - r->failed, r->failed);
	for (size_t g = 0; g < n_groups && o->rc == 0; g++) {
		struct grid grid;
		put(o, "\n### ");
		md_cell(o, groups[g]);
		put(o, "\n\n| result | case | role | expected | actual |\n"
		       "| --- | --- | --- | --- | --- |\n");
		for (size_t i = 0; i < r->count; i++) {
			const struct tl_report_result *x = &r->items[i].r;
			if (strcmp(x->scenario, groups[g]) != 0)
				continue;
			put(o, x->passed ? "| ✅ pass | " : "| ❌ **FAIL** | ");
			md_cell(o, x->name);
			put(o, " | ");
			md_cell(o, x->role);
			put(o, " | ");
			md_cell(o, x->expected);
			put(o, " | ");
			md_cell(o, x->actual);
			put(o, " |\n");
		}
		if (grid_build(r, groups[g], &grid) < 0) {
			grid_finish(&grid);
			o->rc = tl_error_set(o->err, TL_ERR_NOMEM, "out of memory");
			break;
		}
		put(o, "\nAccess matrix (actual outcomes; ❌ marks a failed expectation):\n\n"
		       "| context |");
		for (size_t c = 0; c < grid.n_cols; c++) {
			put(o, " ");
			md_cell(o, grid.cols[c]);
			put(o, " |");
		}
		put(o, "\n| --- |");
		for (size_t c = 0; c < grid.n_cols; c++)
			put(o, " --- |");
		put(o, "\n");
		for (size_t row = 0; row < grid.n_rows; row++) {
			put(o, "| ");
			md_cell(o, grid.rows[row]);
			put(o, " |");
			for (size_t c = 0; c < grid.n_cols; c++) {
				const struct tl_report_result *x =
					grid.cells[row * grid.n_cols + c];
				put(o, " ");
				if (x) {
					md_cell(o, outcome_short(x->actual));
					if (!x->passed)
						put(o, " ❌");
				}
				put(o, " |");
			}
			put(o, "\n");
		}
		grid_finish(&grid);
		for (size_t i = 0; i < r->count; i++) {
			const struct tl_report_result *x = &r->items[i].r;
			if (strcmp(x->scenario, groups[g]) != 0 || x->passed)
				continue;
			char *w = why(o, x);
			/* Inside HTML: entities, not Markdown escapes. */
			put(o, "\n<details><summary>❌ ");
			xml(o, x->name, false);
			put(o, " [");
			xml(o, x->role, false);
			put(o, "]: expected ");
			xml(o, x->expected, false);
			put(o, ", got ");
			xml(o, x->actual, false);
			put(o, "</summary>\n\n");
			if (x->request_id) {
				put(o, "Request id: ");
				md_cell(o, x->request_id);
				put(o, "\n\n");
			}
			md_fence(o, w ? w : "");
			put(o, "text\n");
			indented(o, "", w ? w : "");
			md_fence(o, w ? w : "");
			put(o, "\n\n</details>\n");
			free(w);
		}
	}
	free(groups);
}

/* --- HTML ----------------------------------------------------------------- */

static const char html_head[] =
	"<!DOCTYPE html>\n"
	"<html lang=\"en\">\n"
	"<head>\n"
	"<meta charset=\"utf-8\"/>\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
	"<title>";

static const char html_style[] =
	"</title>\n"
	"<style>\n"
	"body{font-family:system-ui,sans-serif;margin:2em;color:#1b1f24;background:#fff}\n"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}\n"
	"table{border-collapse:collapse;margin:.5em 0}\n"
	"th,td{border:1px solid #d0d7de;padding:.25em .6em;text-align:left;vertical-align:top}\n"
	"th{background:#f6f8fa}\n"
	"table.grid td.cell{text-align:center;font-weight:600}\n"
	".allow{background:#d1f4d9;color:#0a5c23}\n"
	".deny{background:#ffd8d3;color:#8a1c12}\n"
	".notoken{background:#e6e8eb;color:#424a53}\n"
	".error{background:#fff1c2;color:#6b4e00}\n"
	".failed{outline:3px solid #cf222e;outline-offset:-3px}\n"
	".pass{color:#0a5c23}.fail{color:#cf222e;font-weight:700}\n"
	".summary{font-size:1.1em}\n"
	"pre{background:#f6f8fa;padding:.8em;overflow:auto;white-space:pre-wrap}\n"
	"details{margin:.5em 0}summary{cursor:pointer}\n"
	"</style>\n"
	"</head>\n"
	"<body>\n";

static void
render_html(const struct tl_report *r, const struct tl_report_options *opt, struct out *o)
{
	const char **groups = NULL;
	size_t n_groups = scenario_groups(r, &groups);
	struct tl_buf title;
	struct out to = {.b = &title, .err = o->err};

	if (r->count && !groups) {
		o->rc = tl_error_set(o->err, TL_ERR_NOMEM, "out of memory");
		return;
	}
	tl_buf_init(&title, 4096);
	xml(&to, opt->title ? opt->title : "trustlab", false);
	if (to.rc)
		o->rc = to.rc;
	put(o, html_head);
	put(o, tl_buf_str(&title));
	put(o, html_style);
	putf(o, "<h1>%s</h1>\n", tl_buf_str(&title));
	tl_buf_finish(&title);
	putf(o,
	     "<p class=\"summary\"><span class=\"pass\">%zu passed</span>, "
	     "<span class=\"%s\">%zu failed</span></p>\n",
	     r->count - r->failed, r->failed ? "fail" : "pass", r->failed);
	for (size_t g = 0; g < n_groups && o->rc == 0; g++) {
		struct grid grid;
		put(o, "<section class=\"scenario\">\n<h2>");
		xml(o, groups[g], false);
		put(o, "</h2>\n");
		if (grid_build(r, groups[g], &grid) < 0) {
			grid_finish(&grid);
			o->rc = tl_error_set(o->err, TL_ERR_NOMEM, "out of memory");
			break;
		}
		put(o, "<table class=\"grid\">\n<caption>Access matrix: token contexts by roles "
		       "(actual outcome; a red frame marks a failed expectation)</caption>\n"
		       "<tr><th>context</th>");
		for (size_t c = 0; c < grid.n_cols; c++) {
			put(o, "<th>");
			xml(o, grid.cols[c], false);
			put(o, "</th>");
		}
		put(o, "</tr>\n");
		for (size_t row = 0; row < grid.n_rows; row++) {
			put(o, "<tr><th>");
			xml(o, grid.rows[row], false);
			put(o, "</th>");
			for (size_t c = 0; c < grid.n_cols; c++) {
				const struct tl_report_result *x =
					grid.cells[row * grid.n_cols + c];
				if (!x) {
					put(o, "<td class=\"cell\"></td>");
					continue;
				}
				putf(o, "<td class=\"cell %s%s\" title=\"expected ",
				     outcome_class(x->actual), x->passed ? "" : " failed");
				xml(o, x->expected, true);
				put(o, "\">");
				xml(o, outcome_short(x->actual), false);
				put(o, "</td>");
			}
			put(o, "</tr>\n");
		}
		put(o, "</table>\n");
		grid_finish(&grid);

		put(o, "<table class=\"results\">\n<tr><th>result</th><th>case</th><th>role</th>"
		       "<th>expected</th><th>actual</th><th>request id</th></tr>\n");
		for (size_t i = 0; i < r->count; i++) {
			const struct tl_report_result *x = &r->items[i].r;
			if (strcmp(x->scenario, groups[g]) != 0)
				continue;
			putf(o, "<tr><td class=\"%s\">%s</td><td>", x->passed ? "pass" : "fail",
			     x->passed ? "pass" : "FAIL");
			xml(o, x->name, false);
			put(o, "</td><td>");
			xml(o, x->role, false);
			put(o, "</td><td>");
			xml(o, x->expected, false);
			putf(o, "</td><td class=\"%s\">", outcome_class(x->actual));
			xml(o, x->actual, false);
			put(o, "</td><td>");
			xml(o, x->request_id ? x->request_id : "", false);
			put(o, "</td></tr>\n");
		}
		put(o, "</table>\n");
		for (size_t i = 0; i < r->count; i++) {
			const struct tl_report_result *x = &r->items[i].r;
			if (strcmp(x->scenario, groups[g]) != 0 || x->passed)
				continue;
			char *w = why(o, x);
			put(o, "<details class=\"failure\" open=\"open\"><summary class=\"fail\">");
			xml(o, x->name, false);
			put(o, " [");
			xml(o, x->role, false);
			put(o, "]: expected ");
			xml(o, x->expected, false);
			put(o, ", got ");
			xml(o, x->actual, false);
			put(o, "</summary>\n<pre>");
			xml(o, w ? w : "", false);
			put(o, "</pre></details>\n");
			free(w);
		}
		put(o, "</section>\n");
	}
	put(o, "</body>\n</html>\n");
	free(groups);
}

int
tl_report_render(const struct tl_report *r, enum tl_report_format format,
		 const struct tl_report_options *opt, struct tl_buf *out, struct tl_error *err)
{
	static const struct tl_report_options defaults;
	struct out o = {.b = out, .err = err};
	size_t start;

	if ((size_t)format >= sizeof(format_names) / sizeof(format_names[0]))
		return tl_error_set(err, TL_ERR_INVALID, "unknown report format %d", (int)format);
	start = out->len;
	if (!opt)
		opt = &defaults;
	switch (format) {
	case TL_REPORT_TEXT:
		render_text(r, opt, &o);
		break;
	case TL_REPORT_JSON:
		render_json(r, &o);
		break;
	case TL_REPORT_JUNIT:
		render_junit(r, &o);
		break;
	case TL_REPORT_TAP:
		render_tap(r, &o);
		break;
	case TL_REPORT_MARKDOWN:
		render_markdown(r, opt, &o);
		break;
	case TL_REPORT_HTML:
		render_html(r, opt, &o);
		break;
	}
	if (o.rc < 0) {
		/* All or nothing: drop what was appended. */
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
		return -1;
	}
	return 0;
}
