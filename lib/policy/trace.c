/* SPDX-License-Identifier: MIT */
/*
 * Decision traces for people (text) and programs (JSON), and the request
 * context read from JSON. One sentence generator serves both renderings,
 * so the text and the JSON `reason` fields never disagree.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"

#include "json/json.h"
#include "policy-private.h"

static const char *
ptype_name(enum tl_principal_type t)
{
	switch (t) {
	case TL_PRINCIPAL_AWS:
		return "AWS";
	case TL_PRINCIPAL_SERVICE:
		return "Service";
	case TL_PRINCIPAL_FEDERATED:
		break;
	}
	return "Federated";
}

static const char *
type_noun(enum op_family f)
{
	switch (f) {
	case FAM_NUMERIC:
		return "a number";
	case FAM_DATE:
		return "a date";
	case FAM_BOOL:
		return "true or false";
	case FAM_BINARY:
		return "base64";
	case FAM_IP:
		return "an IP address";
	case FAM_ARN:
		return "an ARN";
	case FAM_STRING:
	case FAM_NULL:
		break;
	}
	return "a string";
}

/* 'a' / 'a' or 'b' / no values. */
static int
put_list(struct tl_buf *b, const char *const *v, size_t n, const char *sep, struct tl_error *err)
{
	/* A person reads ten values; the JSON lists carry them all. */
	const size_t shown = 10;

	if (n == 0)
		return tl_buf_append_str(b, "[] (no values)", err);
	for (size_t i = 0; i < n && i < shown; i++)
		if (tl_buf_printf(b, err, "%s'%s'", i ? sep : "", v[i]) < 0)
			return -1;
	if (n > shown)
		return tl_buf_printf(b, err, "%s... (%zu more)", sep, n - shown);
	return 0;
}

static int
put_subject(struct tl_buf *b, const struct trace_cond *tc, struct tl_error *err)
{
	const struct ctx_key *k = tc->key;

	if (k->nvalues == 1)
		return tl_buf_printf(b, err, "%s is '%s'", tc->cond->key, k->values[0]);
	if (tl_buf_printf(b, err, "%s is [", tc->cond->key) < 0 ||
	    put_list(b, (const char *const *)k->values, k->nvalues, ", ", err) < 0)
		return -1;
	return tl_buf_putc(b, ']', err);
}

static int
cond_sentence(struct tl_buf *b, const struct trace_cond *tc, struct tl_error *err)
{
	const struct condition *c = tc->cond;
	const char *op = c->op_text;
	const char *key = c->key;
	const char *absent = tc->key ? "has no values in the request" : "is not in the request";
	const char *const *pv = c->value_texts;
	const char *rv = tc->key && tc->req_index >= 0 ? tc->key->values[tc->req_index] : "";
	int r = 0;

	switch (tc->reason) {
	case R_MATCHED:
		if (tc->key->nvalues == 1)
			return tl_buf_printf(b, err, "%s is '%s', which matches %s '%s'", key, rv,
					     op, pv[tc->pol_index]);
		return tl_buf_printf(b, err, "%s has the value '%s', which matches %s '%s'", key,
				     rv, op, pv[tc->pol_index]);
	case R_NO_MATCH:
		if (put_subject(b, tc, err) < 0 ||
		    tl_buf_printf(b, err, ", which does not match %s ", op) < 0)
			return -1;
		return put_list(b, pv, c->nvalues, " or ", err);
	case R_NEG_NONE_MATCHED:
		if (c->qual == QUAL_ANY && tc->key->nvalues > 1)
			r = tl_buf_printf(b, err, "%s has the value '%s'", key, rv);
		else
			r = put_subject(b, tc, err);
		if (r < 0 || tl_buf_printf(b, err, ", which matches none of %s ", op) < 0)
			return -1;
		return put_list(b, pv, c->nvalues, ", ", err);
	case R_NEG_MATCHED:
		if (put_subject(b, tc, err) < 0)
			return -1;
		return tl_buf_printf(b, err,
				     "; '%s' matches '%s', so %s is false (a negated operator "
				     "is false when any value matches)",
				     rv, pv[tc->pol_index], op);
	case R_MISSING_FALSE:
		return tl_buf_printf(b, err,
				     "%s %s, so %s is false (a missing key matches nothing)", key,
				     absent, op);
	case R_MISSING_NEGATED:
		return tl_buf_printf(b, err,
				     "%s %s, so %s is true (a negated operator is true when the "
				     "key is missing)",
				     key, absent, op);
	case R_MISSING_IFEXISTS:
		return tl_buf_printf(b, err, "%s %s, so %s is true (IfExists)", key, absent, op);
	case R_NULL_ABSENT:
	case R_NULL_PRESENT:
		if (tl_buf_printf(b, err, "%s %s, and Null ", key,
				  tc->reason == R_NULL_ABSENT ? absent : "is in the request") < 0 ||
		    put_list(b, pv, c->nvalues, " or ", err) < 0)
			return -1;
		return tl_buf_printf(b, err, " %s",
				     tc->matched ? "asks for that" : "asks for the opposite");
	case R_ANY_EMPTY:
		return tl_buf_printf(b, err,
				     "%s %s, so %s is false (ForAnyValue needs at least one "
				     "value)",
				     key, absent, op);
	case R_ALL_EMPTY:
		return tl_buf_printf(b, err,
				     "%s %s, so %s is true: ForAllValues holds for an empty set "
				     "(pair it with Null false)",
				     key, absent, op);
	case R_ALL_OK:
		if (put_subject(b, tc, err) < 0 ||
		    tl_buf_printf(b, err, ", and every value satisfies %s ", op) < 0)
			return -1;
		return put_list(b, pv, c->nvalues, ", ", err);
	case R_ALL_FAILED:
		if (put_subject(b, tc, err) < 0 ||
		    tl_buf_printf(b, err, "; the value '%s' does not satisfy %s ", rv, op) < 0 ||
		    put_list(b, pv, c->nvalues, ", ", err) < 0)
			return -1;
		return tl_buf_append_str(b, ", so it is false", err);
	case R_BAD_REQUEST_VALUE:
		return tl_buf_printf(b, err, "%s value '%s' is not %s, so %s is false", key, rv,
				     type_noun(c->op->family), op);
	}
	return 0;
}

/* A value in double quotes, `"` and `\` escaped, control characters as \xHH. */
static int
put_quoted(struct tl_buf *b, const char *v, struct tl_error *err)
{
	if (tl_buf_putc(b, '"', err) < 0)
		return -1;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		int r;
		if (*p == '"' || *p == '\\')
			r = tl_buf_printf(b, err, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			r = tl_buf_printf(b, err, "\\x%02x", *p);
		else
			r = tl_buf_putc(b, (char)*p, err);
		if (r < 0)
			return -1;
	}
	return tl_buf_putc(b, '"', err);
}

/* "a" / "a" or "b", all of them (the evidence is for one line of one
 * condition, and a policy value list is short). */
static int
put_quoted_list(struct tl_buf *b, const char *const *v, size_t n, const char *sep,
		struct tl_error *err)
{
	for (size_t i = 0; i < n; i++)
		if ((i && tl_buf_append_str(b, sep, err) < 0) || put_quoted(b, v[i], err) < 0)
			return -1;
	return 0;
}

/* The request's values: "v" for one, ["a", "b"] for several. */
static int
put_request_values(struct tl_buf *b, const struct ctx_key *k, struct tl_error *err)
{
	if (k->nvalues == 1)
		return put_quoted(b, k->values[0], err);
	if (tl_buf_putc(b, '[', err) < 0 ||
	    put_quoted_list(b, (const char *const *)k->values, k->nvalues, ", ", err) < 0)
		return -1;
	return tl_buf_putc(b, ']', err);
}

/*
 * The evidence of one condition on one line: the operator, the key, the
 * request value(s) and the policy value that matched, or the policy values
 * none of them matched. Where the sentence explains a rule, this shows the
 * bytes, e.g.
 *   StringLike token.actions.githubusercontent.com:sub
 *     "repo:acme/app-evil:ref:refs/heads/main" matched "repo:acme/app*"
 */
static int
cond_evidence(struct tl_buf *b, const struct trace_cond *tc, struct tl_error *err)
{
	const struct condition *c = tc->cond;
	const char *const *pv = c->value_texts;
	const char *rv = tc->key && tc->req_index >= 0 ? tc->key->values[tc->req_index] : NULL;
	const char *absent = tc->key ? "has no values" : "is absent";
	const char *verdict = tc->matched ? "true" : "false";

	if (tl_buf_printf(b, err, "%s %s ", c->op_text, c->key) < 0)
		return -1;
	switch (tc->reason) {
	case R_MATCHED:
	case R_NEG_MATCHED:
	case R_ALL_FAILED:
		if (rv && tc->pol_index >= 0) {
			if (put_quoted(b, rv, err) < 0 ||
			    tl_buf_append_str(b, " matched ", err) < 0 ||
			    put_quoted(b, pv[tc->pol_index], err) < 0)
				return -1;
			return tc->reason == R_MATCHED
				       ? 0
				       : tl_buf_append_str(b, ", so the negated operator is false",
							   err);
		}
		/* ForAllValues: this request value matched none of them. */
		if (rv && (put_quoted(b, rv, err) < 0 ||
			   tl_buf_append_str(b, " did not match ", err) < 0))
			return -1;
		return put_quoted_list(b, pv, c->nvalues, " or ", err);
	case R_NO_MATCH:
		if (put_request_values(b, tc->key, err) < 0 ||
		    tl_buf_append_str(b, " did not match ", err) < 0)
			return -1;
		return put_quoted_list(b, pv, c->nvalues, " or ", err);
	case R_NEG_NONE_MATCHED:
		if ((rv ? put_quoted(b, rv, err) : put_request_values(b, tc->key, err)) < 0 ||
		    tl_buf_append_str(b, " matched none of ", err) < 0)
			return -1;
		return put_quoted_list(b, pv, c->nvalues, ", ", err);
	case R_ALL_OK:
		if (put_request_values(b, tc->key, err) < 0 ||
		    tl_buf_append_str(b, " all satisfy ", err) < 0)
			return -1;
		return put_quoted_list(b, pv, c->nvalues, ", ", err);
	case R_MISSING_FALSE:
	case R_MISSING_NEGATED:
	case R_ANY_EMPTY:
	case R_ALL_EMPTY:
		return tl_buf_printf(b, err, "%s in the request: %s", absent, verdict);
	case R_MISSING_IFEXISTS:
		return tl_buf_printf(b, err, "%s in the request: true (IfExists)", absent);
	case R_NULL_ABSENT:
	case R_NULL_PRESENT:
		if (tl_buf_printf(b, err, "%s in the request, the policy asks for ",
				  tc->reason == R_NULL_ABSENT ? absent : "is present") < 0 ||
		    put_quoted_list(b, pv, c->nvalues, " or ", err) < 0)
			return -1;
		return tl_buf_printf(b, err, ": %s", verdict);
	case R_BAD_REQUEST_VALUE:
		if (put_quoted(b, rv, err) < 0)
			return -1;
		return tl_buf_printf(b, err, " is not %s: false", type_noun(c->op->family));
	}
	return 0;
}

static int
principal_sentence(struct tl_buf *b, const struct trace_stmt *ts,
		   const struct tl_policy_context *ctx, struct tl_error *err)
{
	const struct principal_list *pl = &ts->stmt->principal;

	if (!ctx->principal)
		return tl_buf_append_str(b, "the request names no principal", err);
	if (tl_buf_printf(b, err, "the principal %s '%s' is not one of its principals (",
			  ptype_name(ctx->ptype), ctx->principal) < 0)
		return -1;
	const char *sep = "";
	const struct {
		const char *name;
		const char *const *v;
		size_t n;
	} lists[] = {{"Federated", pl->federated, pl->nfederated},
		     {"AWS", pl->aws, pl->naws},
		     {"Service", pl->service, pl->nservice}};
	for (size_t i = 0; i < 3; i++) {
		if (!lists[i].n)
			continue;
		if (tl_buf_printf(b, err, "%s%s ", sep, lists[i].name) < 0 ||
		    put_list(b, lists[i].v, lists[i].n, ", ", err) < 0)
			return -1;
		sep = "; ";
	}
	if (pl->ncanonical && tl_buf_printf(b, err, "%sCanonicalUser", sep) < 0)
		return -1;
	return tl_buf_putc(b, ')', err);
}

static int
action_sentence(struct tl_buf *b, const struct trace_stmt *ts, const struct tl_policy_context *ctx,
		struct tl_error *err)
{
	const struct statement *st = ts->stmt;

	if (tl_buf_printf(b, err, "the action '%s' is %s ", ctx->action ? ctx->action : "",
			  st->not_action ? "excluded by NotAction" : "not in Action") < 0)
		return -1;
	for (size_t i = 0; i < st->nactions; i++)
		if (tl_buf_printf(b, err, "%s'%s'", i ? ", " : "", st->actions[i].text) < 0)
			return -1;
	return 0;
}

static int
stmt_label(struct tl_buf *b, const struct trace_stmt *ts, struct tl_error *err)
{
	const struct statement *st = ts->stmt;

	if (st->sid && *st->sid)
		return tl_buf_printf(b, err, "Statement '%s' (%s)", st->sid,
				     st->allow ? "Allow" : "Deny");
	return tl_buf_printf(b, err, "Statement[%zu] (%s)", ts->index,
			     st->allow ? "Allow" : "Deny");
}

static int
stmt_sentence(struct tl_buf *b, const struct trace_stmt *ts, const struct tl_policy_context *ctx,
	      struct tl_error *err)
{
	if (ts->applied) {
		if (ts->nconds == 0)
			return tl_buf_append_str(b,
						 "applied: the principal and action match and it "
						 "has no conditions",
						 err);
		return tl_buf_printf(b, err,
				     "applied: the principal, the action and %s%zu condition%s "
				     "match",
				     ts->nconds > 1 ? "all " : "", ts->nconds,
				     ts->nconds > 1 ? "s" : "");
	}
	if (tl_buf_append_str(b, "did not apply: ", err) < 0)
		return -1;
	if (!ts->principal_matched)
		return principal_sentence(b, ts, ctx, err);
	if (!ts->action_matched)
		return action_sentence(b, ts, ctx, err);
	for (size_t k = 0; k < ts->nconds; k++)
		if (!ts->conds[k].matched)
			return cond_sentence(b, &ts->conds[k], err);
	return 0;
}

static int
decision_sentence(struct tl_buf *b, const struct tl_policy_trace *t, struct tl_error *err)
{
	const struct tl_policy_context *ctx = t->ctx;
	const char *action = ctx->action ? ctx->action : "(no action)";

	for (size_t i = 0; i < t->nstmts; i++) {
		const struct trace_stmt *ts = &t->stmts[i];
		bool deciding =
			ts->applied && (t->decision == TL_POLICY_EXPLICIT_DENY ? !ts->stmt->allow
									       : ts->stmt->allow);
		if (!deciding)
			continue;
		if (tl_buf_printf(b, err, "%s: ", tl_policy_decision_name(t->decision)) < 0 ||
		    stmt_label(b, ts, err) < 0)
			return -1;
		return tl_buf_printf(b, err, " %s %s",
				     ts->stmt->allow ? "allows" : "explicitly denies", action);
	}
	return tl_buf_printf(b, err, "implicit-deny: no statement allows %s", action);
}

int
tl_policy_trace_render_text(const struct tl_policy_trace *t, struct tl_buf *out,
			    struct tl_error *err)
{
	const struct tl_policy_context *ctx = t->ctx;

	if (tl_buf_append_str(out, "Decision: ", err) < 0 || decision_sentence(out, t, err) < 0)
		return -1;
	if (tl_buf_printf(out, err, "\nRequest: principal %s '%s', action '%s'\n",
			  ptype_name(ctx->ptype), ctx->principal ? ctx->principal : "",
			  ctx->action ? ctx->action : "") < 0)
		return -1;
	for (size_t i = 0; i < t->nstmts; i++) {
		const struct trace_stmt *ts = &t->stmts[i];
		if (stmt_label(out, ts, err) < 0 || tl_buf_putc(out, ' ', err) < 0 ||
		    stmt_sentence(out, ts, ctx, err) < 0 || tl_buf_putc(out, '\n', err) < 0)
			return -1;
		for (size_t k = 0; k < ts->nconds; k++) {
			if (tl_buf_append_str(
				    out, ts->conds[k].matched ? "  [match]    " : "  [no match] ",
				    err) < 0 ||
			    cond_sentence(out, &ts->conds[k], err) < 0 ||
			    tl_buf_putc(out, '\n', err) < 0)
				return -1;
		}
	}
	return 0;
}

/* --- JSON -------------------------------------------------------------- */

static json_t *
string_array(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *
sentence_json(int (*fn)(struct tl_buf *, const void *, const void *, struct tl_error *),
	      const void *a, const void *b)
{
	struct tl_buf buf;
	json_t *s = NULL;

	tl_buf_init(&buf, 64 * 1024);
	if (fn(&buf, a, b, NULL) == 0)
		s = json_string(tl_buf_str(&buf));
	tl_buf_finish(&buf);
	return s;
}

static int
cond_fn(struct tl_buf *b, const void *tc, const void *unused, struct tl_error *err)
{
	(void)unused;
	return cond_sentence(b, tc, err);
}

static int
stmt_fn(struct tl_buf *b, const void *ts, const void *ctx, struct tl_error *err)
{
	return stmt_sentence(b, ts, ctx, err);
}

static int
decision_fn(struct tl_buf *b, const void *t, const void *unused, struct tl_error *err)
{
	(void)unused;
	return decision_sentence(b, t, err);
}

static int
evidence_fn(struct tl_buf *b, const void *tc, const void *unused, struct tl_error *err)
{
	(void)unused;
	return cond_evidence(b, tc, err);
}

static json_t *
cond_json(const struct trace_cond *tc)
{
	const struct condition *c = tc->cond;
	json_t *pv = string_array(c->value_texts, c->nvalues);
	json_t *rv = tc->key ? string_array((const char *const *)tc->key->values, tc->key->nvalues)
			     : json_null();
	json_t *reason = sentence_json(cond_fn, tc, NULL);
	json_t *evidence = sentence_json(evidence_fn, tc, NULL);
	/* The pair that decided: the request value and the policy value it
	 * matched (or the request value no policy value matched). */
	const char *drv = tc->key && tc->req_index >= 0 ? tc->key->values[tc->req_index] : NULL;
	const char *dpv = tc->pol_index >= 0 ? c->value_texts[tc->pol_index] : NULL;

	if (!pv || !rv || !reason || !evidence) {
		json_decref(pv);
		json_decref(rv);
		json_decref(reason);
		json_decref(evidence);
		return NULL;
	}
	/* "o" steals the references, also when json_pack fails. The fields
	 * before `reason` are the original contract; the rest were added. */
	return json_pack("{s:s, s:s, s:o, s:o, s:b, s:o, s:s?, s:s?, s:o}", "operator", c->op_text,
			 "key", c->key, "policy_values", pv, "request_values", rv, "matched",
			 tc->matched, "reason", reason, "deciding_request_value", drv,
			 "deciding_policy_value", dpv, "evidence", evidence);
}

static json_t *
stmt_json(const struct trace_stmt *ts, const struct tl_policy_context *ctx)
{
	json_t *conds = json_array();
	json_t *reason = sentence_json(stmt_fn, ts, ctx);

	if (!conds || !reason) {
		json_decref(conds);
		json_decref(reason);
		return NULL;
	}
	for (size_t k = 0; k < ts->nconds; k++)
		if (json_array_append_new(conds, cond_json(&ts->conds[k])) < 0) {
			json_decref(conds);
			json_decref(reason);
			return NULL;
		}
	return json_pack("{s:I, s:s?, s:s, s:b, s:b, s:b, s:b, s:o, s:o}", "index",
			 (json_int_t)ts->index, "sid", ts->stmt->sid, "effect",
			 ts->stmt->allow ? "Allow" : "Deny", "applied", ts->applied,
			 "principal_matched", ts->principal_matched, "action_matched",
			 ts->action_matched, "conditions_matched", ts->conditions_matched, "reason",
			 reason, "conditions", conds);
}

long
tl_policy_trace_deciding(const struct tl_policy_trace *t, const char **sid)
{
	bool want_allow = t->decision == TL_POLICY_ALLOW;

	*sid = NULL;
	for (size_t i = 0; i < t->nstmts; i++)
		if (t->stmts[i].applied && t->stmts[i].stmt->allow == want_allow) {
			*sid = t->stmts[i].stmt->sid;
			return (long)i;
		}
	return -1;
}

json_t *
tl_policy_trace_to_json(const struct tl_policy_trace *t)
{
	const struct tl_policy_context *ctx = t->ctx;
	json_t *stmts = json_array();
	json_t *summary = sentence_json(decision_fn, t, NULL);

	if (!stmts || !summary) {
		json_decref(stmts);
		json_decref(summary);
		return NULL;
	}
	for (size_t i = 0; i < t->nstmts; i++)
		if (json_array_append_new(stmts, stmt_json(&t->stmts[i], ctx)) < 0) {
			json_decref(stmts);
			json_decref(summary);
			return NULL;
		}
	return json_pack("{s:s, s:o, s:{s:{s:s, s:s?}, s:s?}, s:o}", "decision",
			 tl_policy_decision_name(t->decision), "summary", summary, "request",
			 "principal", "type", ptype_name(ctx->ptype), "value", ctx->principal,
			 "action", ctx->action, "statements", stmts);
}

/* --- context from JSON ------------------------------------------------- */

static int
scalar_text(const json_t *v, char *buf, size_t size, const char **out)
{
	if (json_is_string(v))
		*out = json_string_value(v);
	else if (json_is_integer(v))
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v)), *out = buf;
	else if (json_is_real(v))
		snprintf(buf, size, "%.17g", json_real_value(v)), *out = buf;
	else if (json_is_boolean(v))
		*out = json_is_true(v) ? "true" : "false";
	else
		return -1;
	return 0;
}

struct tl_policy_context *
tl_policy_context_from_json(const json_t *json, struct tl_error *err)
{
	static const char *const top[] = {"principal", "action", "keys", NULL};
	struct tl_policy_context *ctx;
	struct tl_jpath path;
	const json_t *v;
	const char *key;
	char num[64];

	tl_jpath_init(&path, NULL);
	if (tl_json_expect(json, JSON_OBJECT, &path, err) < 0 ||
	    tl_json_only_keys(json, top, &path, err) < 0)
		return NULL;
	ctx = tl_policy_context_new();
	if (!ctx) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if ((v = json_object_get(json, "principal"))) {
		static const char *const types[] = {"Federated", "AWS", "Service", NULL};
		size_t mark = tl_jpath_push_key(&path, "principal");
		const json_t *pv;
		if (tl_json_expect(v, JSON_OBJECT, &path, err) < 0 ||
		    tl_json_only_keys(v, types, &path, err) < 0)
			goto fail;
		if (json_object_size(v) != 1) {
			tl_error_set_at(err, TL_ERR_INVALID, tl_jpath_str(&path),
					"give exactly one of Federated, AWS or Service");
			goto fail;
		}
		json_object_foreach((json_t *)v, key, pv)
		{
			enum tl_principal_type t = strcmp(key, "AWS") == 0 ? TL_PRINCIPAL_AWS
						   : strcmp(key, "Service") == 0
							   ? TL_PRINCIPAL_SERVICE
							   : TL_PRINCIPAL_FEDERATED;
			size_t m2 = tl_jpath_push_key(&path, key);
			if (tl_json_expect(pv, JSON_STRING, &path, err) < 0 ||
			    tl_policy_context_set_principal(ctx, t, json_string_value(pv), err) < 0)
				goto fail;
			tl_jpath_pop(&path, m2);
		}
		tl_jpath_pop(&path, mark);
	}
	if ((v = json_object_get(json, "action"))) {
		size_t mark = tl_jpath_push_key(&path, "action");
		if (tl_json_expect(v, JSON_STRING, &path, err) < 0 ||
		    tl_policy_context_set_action(ctx, json_string_value(v), err) < 0)
			goto fail;
		tl_jpath_pop(&path, mark);
	}
	if ((v = json_object_get(json, "keys"))) {
		const json_t *kv;
		size_t mark = tl_jpath_push_key(&path, "keys");
		if (tl_json_expect(v, JSON_OBJECT, &path, err) < 0)
			goto fail;
		json_object_foreach((json_t *)v, key, kv)
		{
			size_t m2 = tl_jpath_push_key(&path, key);
			const char *text;
			for (size_t k = 0; k < ctx->nkeys; k++)
				if (strcasecmp(ctx->keys[k].name, key) == 0) {
					tl_error_set_at(err, TL_ERR_INVALID, tl_jpath_str(&path),
							"key '%s' is given twice (as '%s'): key "
							"names are case-insensitive",
							key, ctx->keys[k].name);
					goto fail;
				}
			if (json_is_array(kv)) {
				if (tl_policy_context_add(ctx, key, NULL, err) < 0)
					goto fail;
				for (size_t i = 0; i < json_array_size(kv); i++) {
					size_t m3 = tl_jpath_push_index(&path, i);
					if (scalar_text(json_array_get(kv, i), num, sizeof(num),
							&text) < 0) {
						tl_error_set_at(
							err, TL_ERR_INVALID, tl_jpath_str(&path),
							"a key's value is a string, number or "
							"boolean, not %s",
							tl_json_type_name(json_array_get(kv, i)));
						goto fail;
					}
					if (tl_policy_context_add(ctx, key, text, err) < 0)
						goto fail;
					tl_jpath_pop(&path, m3);
				}
			} else if (scalar_text(kv, num, sizeof(num), &text) == 0) {
				if (tl_policy_context_add(ctx, key, text, err) < 0)
					goto fail;
			} else {
				tl_error_set_at(err, TL_ERR_INVALID, tl_jpath_str(&path),
						"a key's value is a string, number, boolean or a "
						"list of them, not %s (a claim of the wrong shape "
						"is refused, never treated as absent)",
						tl_json_type_name(kv));
				goto fail;
			}
			tl_jpath_pop(&path, m2);
		}
		tl_jpath_pop(&path, mark);
	}
	return ctx;
fail:
	tl_policy_context_free(ctx);
	return NULL;
}
