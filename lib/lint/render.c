/* SPDX-License-Identifier: MIT */
/* Lint output: text for people, JSON for scripts, SARIF 2.1.0 for code scanning. */
#include "config.h"

#include <string.h>

#include "json/json.h"
#include "lint/lint.h"

/* "NAME:LINE:COL" for a policy file, "NAME: FILE:LINE:COL" for a scenario role. */
static int
location(const struct tl_lint_input *in, const struct tl_lint_finding *f, struct tl_buf *out,
	 struct tl_error *err)
{
	bool same = strcmp(in->name, in->file) == 0;

	if (f->line <= 0)
		return tl_buf_printf(out, err, "%s: ", in->name);
	if (same)
		return tl_buf_printf(out, err, "%s:%d:%d: ", in->name, f->line, f->column);
	return tl_buf_printf(out, err, "%s: %s:%d:%d: ", in->name, in->file, f->line, f->column);
}

int
tl_lint_render_text(const struct tl_lint_inputs *in, const struct tl_lint_findings *f,
		    struct tl_buf *out, struct tl_error *err)
{
	size_t count[3] = {0};

	for (size_t i = 0; i < f->n; i++) {
		const struct tl_lint_finding *x = &f->items[i];
		count[x->severity]++;
		if (location(&in->items[x->input], x, out, err) < 0 ||
		    tl_buf_printf(out, err, "%s: %s %s: %s\n    fix: %s\n",
				  x->path[0] ? x->path : "(policy)",
				  tl_lint_severity_name(x->severity), x->rule->id, x->message,
				  x->rule->fix) < 0)
			return -1;
	}
	return tl_buf_printf(out, err, "%zu error(s), %zu warning(s), %zu note(s) in %zu %s\n",
			     count[TL_LINT_ERROR], count[TL_LINT_WARNING], count[TL_LINT_NOTE],
			     in->n, in->n == 1 ? "policy" : "policies");
}

json_t *
tl_lint_to_json(const struct tl_lint_inputs *in, const struct tl_lint_findings *f)
{
	unsigned long failures = tl_json_alloc_failures();
	json_t *arr = json_array(), *doc;
	size_t count[3] = {0};

	for (size_t i = 0; i < f->n; i++) {
		const struct tl_lint_finding *x = &f->items[i];
		const struct tl_lint_input *it = &in->items[x->input];
		count[x->severity]++;
		json_array_append_new(
			arr,
			json_pack("{s:s, s:s, s:s, s:s, s:s*, s:s, s:i, s:i, s:s, s:s}", "rule",
				  x->rule->id, "severity", tl_lint_severity_name(x->severity),
				  "name", it->name, "file", it->file, "where", it->where, "path",
				  x->path, "line", x->line, "column", x->column, "message",
				  x->message, "fix", x->rule->fix));
	}
	doc = json_pack("{s:o, s:{s:i, s:i, s:i, s:i}}", "findings", arr, "summary", "errors",
			(int)count[TL_LINT_ERROR], "warnings", (int)count[TL_LINT_WARNING], "notes",
			(int)count[TL_LINT_NOTE], "policies", (int)in->n);
	if (doc && tl_json_alloc_failures() != failures) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

json_t *
tl_lint_to_sarif(const struct tl_lint_inputs *in, const struct tl_lint_findings *f)
{
	unsigned long failures = tl_json_alloc_failures();
	size_t nrules;
	const struct tl_lint_rule *rules = tl_lint_rules(&nrules);
	json_t *jrules = json_array(), *results = json_array(), *doc;

	for (size_t i = 0; i < nrules; i++)
		json_array_append_new(
			jrules, json_pack("{s:s, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}", "id",
					  rules[i].id, "shortDescription", "text", rules[i].title,
					  "fullDescription", "text", rules[i].explanation, "help",
					  "text", rules[i].fix, "defaultConfiguration", "level",
					  tl_lint_severity_name(rules[i].severity)));
	for (size_t i = 0; i < f->n; i++) {
		const struct tl_lint_finding *x = &f->items[i];
		const struct tl_lint_input *it = &in->items[x->input];
		char text[TL_LINT_MESSAGE_MAX + 1200];
		json_t *loc;

		snprintf(text, sizeof(text), "%s%s%s: %s Fix: %s",
			 strcmp(it->name, it->file) ? it->name : "",
			 strcmp(it->name, it->file) ? ": " : "", x->path[0] ? x->path : "(policy)",
			 x->message, x->rule->fix);
		/* GitHub code scanning wants a region: the top of the file when the
		 * element's position is unknown (an inline scenario policy). */
		loc = json_pack("{s:{s:{s:s}, s:{s:i, s:i}}, s:[{s:s}]}", "physicalLocation",
				"artifactLocation", "uri", it->file, "region", "startLine",
				x->line > 0 ? x->line : 1, "startColumn",
				x->column > 0 ? x->column : 1, "logicalLocations",
				"fullyQualifiedName", x->path[0] ? x->path : "(policy)");
		json_array_append_new(results,
				      json_pack("{s:s, s:i, s:s, s:{s:s}, s:[o]}", "ruleId",
						x->rule->id, "ruleIndex", (int)(x->rule - rules),
						"level", tl_lint_severity_name(x->severity),
						"message", "text", text, "locations", loc));
	}
	doc = json_pack("{s:s, s:s, s:[{s:{s:{s:s, s:s, s:s, s:o}}, s:o}]}", "$schema",
			"https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0", "runs",
			"tool", "driver", "name", "trustlab", "version", TL_VERSION,
			"informationUri", "https://github.com/trustlab/trustlab", "rules", jrules,
			"results", results);
	if (doc && tl_json_alloc_failures() != failures) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}
