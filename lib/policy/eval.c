/* SPDX-License-Identifier: MIT */
/*
 * Evaluation of a parsed trust policy against a request context, with
 * IAM's semantics (reference/sts.md §3.2-§3.6, DESIGN.md §7). Reads only
 * the policy and the context; allocates only when a trace is asked for.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/clock.h"

#include "policy-private.h"

/* --- request context ----------------------------------------------------- */

struct tl_policy_context *
tl_policy_context_new(void)
{
	struct tl_policy_context *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return NULL;
	ctx->action = strdup("sts:AssumeRoleWithWebIdentity");
	if (!ctx->action) {
		free(ctx);
		return NULL;
	}
	return ctx;
}

void
tl_policy_context_free(struct tl_policy_context *ctx)
{
	if (!ctx)
		return;
	for (size_t i = 0; i < ctx->nkeys; i++) {
		for (size_t k = 0; k < ctx->keys[i].nvalues; k++)
			free(ctx->keys[i].values[k]);
		free(ctx->keys[i].values);
		free(ctx->keys[i].name);
		free(ctx->keys[i].name_lc);
	}
	free(ctx->keys);
	free(ctx->principal);
	free(ctx->action);
	free(ctx);
}

static int
replace_string(char **slot, const char *value, struct tl_error *err)
{
	char *copy = value ? strdup(value) : NULL;

	if (value && !copy)
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	free(*slot);
	*slot = copy;
	return 0;
}

int
tl_policy_context_set_principal(struct tl_policy_context *ctx, enum tl_principal_type type,
				const char *value, struct tl_error *err)
{
	ctx->ptype = type;
	return replace_string(&ctx->principal, value, err);
}

int
tl_policy_context_set_action(struct tl_policy_context *ctx, const char *action,
			     struct tl_error *err)
{
	return replace_string(&ctx->action, action, err);
}

const struct ctx_key *
tl_policy_context_find(const struct tl_policy_context *ctx, const char *key_lc, size_t len,
		       uint32_t hash)
{
	for (size_t i = 0; i < ctx->nkeys; i++) {
		const struct ctx_key *k = &ctx->keys[i];
		if (k->hash == hash && k->len == len && memcmp(k->name_lc, key_lc, len) == 0)
			return k;
	}
	return NULL;
}

int
tl_policy_context_add(struct tl_policy_context *ctx, const char *key, const char *value,
		      struct tl_error *err)
{
	size_t len = strlen(key);
	uint32_t hash = tl_policy_key_hash(key, len);
	struct ctx_key *k = NULL;
	char *lc = strdup(key);

	if (!lc)
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < len; i++)
		lc[i] = (char)tolower((unsigned char)lc[i]);
	k = (struct ctx_key *)tl_policy_context_find(ctx, lc, len, hash);
	if (!k) {
		if (ctx->nkeys == ctx->cap) {
			size_t cap = ctx->cap ? ctx->cap * 2 : 16;
			struct ctx_key *keys = realloc(ctx->keys, cap * sizeof(*keys));
			if (!keys) {
				free(lc);
				return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
			}
			ctx->keys = keys;
			ctx->cap = cap;
		}
		k = &ctx->keys[ctx->nkeys];
		*k = (struct ctx_key){.name = strdup(key), .name_lc = lc, .len = len, .hash = hash};
		if (!k->name) {
			free(lc);
			return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		}
		ctx->nkeys++;
	} else {
		free(lc);
	}
	if (!value)
		return 0;
	if (k->nvalues == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 2;
		char **values = realloc(k->values, cap * sizeof(*values));
		if (!values)
			return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		k->values = values;
		k->cap = cap;
	}
	if (!(k->values[k->nvalues] = strdup(value)))
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	k->nvalues++;
	return 0;
}

/* --- pattern matching ---------------------------------------------------- */

static inline bool
byte_eq(char a, char b, bool icase)
{
	return a == b || (icase && tolower((unsigned char)a) == tolower((unsigned char)b));
}

/* Bytes of the UTF-8 character starting at s[0] (1 for stray bytes). */
static inline size_t
utf8_len(const char *s, size_t left)
{
	unsigned char c = (unsigned char)s[0];
	size_t n = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	return n > left ? left : n;
}

/* A segment's literal text: its bytes, or the resolved variable. */
static inline struct span
seg_text(const struct seg *g, const struct span *vars)
{
	if (g->kind == SEG_VAR)
		return vars[g->vidx];
	return (struct span){g->text, g->len};
}

/*
 * Full-string glob over segments: `*` any run (including empty, across
 * `:` and `/`), `?` exactly one character, literals byte for byte. The
 * iterative form with one backtrack point is exact for `*`-only globs and
 * linear in practice (no catastrophic backtracking).
 */
bool
tl_policy_pattern_match(const struct pattern *pat, const struct span *vars, const char *s,
			size_t len, bool icase)
{
	const struct seg *g = pat->segs;
	size_t n = pat->nsegs;
	size_t si = 0, so = 0, ti = 0;
	size_t star_si = SIZE_MAX, star_ti = 0;

	/* Fast path: one literal (StringEquals without variables). */
	if (n == 1 && g[0].kind == SEG_LIT) {
		if (g[0].len != len)
			return false;
		if (!icase)
			return memcmp(g[0].text, s, len) == 0;
		return strncasecmp(g[0].text, s, len) == 0;
	}
	while (ti < len) {
		if (si < n) {
			const struct seg *cur = &g[si];
			if (cur->kind == SEG_STAR) {
				star_si = ++si;
				so = 0;
				star_ti = ti;
				continue;
			}
			if (cur->kind == SEG_QMARK) {
				si++;
				so = 0;
				ti += utf8_len(s + ti, len - ti);
				continue;
			}
			struct span lit = seg_text(cur, vars);
			if (so == lit.len) {
				si++;
				so = 0;
				continue;
			}
			if (byte_eq(lit.p[so], s[ti], icase)) {
				so++;
				ti++;
				continue;
			}
		}
		if (star_si == SIZE_MAX)
			return false;
		si = star_si;
		so = 0;
		star_ti += utf8_len(s + star_ti, len - star_ti);
		ti = star_ti;
	}
	/* Subject consumed: what is left must match the empty string. */
	while (si < n) {
		const struct seg *cur = &g[si];
		if (cur->kind == SEG_STAR) {
			si++;
			so = 0;
		} else if (cur->kind == SEG_QMARK) {
			return false;
		} else if (seg_text(cur, vars).len == so) {
			si++;
			so = 0;
		} else {
			return false;
		}
	}
	return true;
}

/* --- one request value against one condition ----------------------------- */

enum vmatch {
	VM_NO, /* matches none of the policy values */
	VM_YES, /* matches the policy value at *pol_index */
	VM_BAD, /* not of the operator's type: fails closed either way */
};

/*
 * Resolves the policy variables of `pv` from the context. A variable whose
 * key is absent (or multivalued) takes its default; without one the value
 * is unusable and matches nothing (reference/sts.md §3.6).
 */
static bool
resolve_vars(const struct pattern *pats, size_t npats, const struct tl_policy_context *ctx,
	     struct span *vars)
{
	for (size_t k = 0; k < npats; k++) {
		for (size_t i = 0; i < pats[k].nsegs; i++) {
			const struct seg *g = &pats[k].segs[i];
			if (g->kind != SEG_VAR)
				continue;
			const struct ctx_key *key =
				tl_policy_context_find(ctx, g->text, g->len, g->hash);
			if (key && key->nvalues == 1)
				vars[g->vidx] =
					(struct span){key->values[0], strlen(key->values[0])};
			else if (g->def)
				vars[g->vidx] = (struct span){g->def, g->def_len};
			else
				return false;
		}
	}
	return true;
}

static bool
compare(enum op_cmp cmp, int c)
{
	switch (cmp) {
	case CMP_LT:
		return c < 0;
	case CMP_LE:
		return c <= 0;
	case CMP_GT:
		return c > 0;
	case CMP_GE:
		return c >= 0;
	case CMP_EQ:
	case CMP_EQ_ICASE:
	case CMP_LIKE:
		break;
	}
	return c == 0;
}

static bool
ip_in(const struct pvalue *pv, int family, const unsigned char *addr)
{
	unsigned bits = pv->u.ip.prefix;

	if (family != pv->u.ip.family)
		return false;
	for (unsigned i = 0; bits > 0; i++) {
		unsigned take = bits >= 8 ? 8 : bits;
		unsigned char mask = (unsigned char)(0xff << (8 - take));
		if ((addr[i] & mask) != (pv->u.ip.addr[i] & mask))
			return false;
		bits -= take;
	}
	return true;
}

static enum vmatch
match_value(const struct condition *c, const char *r, const struct tl_policy_context *ctx,
	    long *pol_index)
{
	const struct op_info *op = c->op;
	size_t rlen = strlen(r);
	double num = 0;
	int64_t ms = 0;
	bool b = false;
	int family = 0;
	unsigned prefix;
	unsigned char addr[16];
	unsigned char bin[3075];
	long binlen = 0;
	struct span parts[ARN_PARTS];

	/* Type the request value once. */
	switch (op->family) {
	case FAM_NUMERIC:
		if (!tl_policy_parse_number(r, &num))
			return VM_BAD;
		break;
	case FAM_DATE:
		if (tl_time_parse(r, &ms, NULL) < 0)
			return VM_BAD;
		break;
	case FAM_BOOL:
		if (strcasecmp(r, "true") == 0)
			b = true;
		else if (strcasecmp(r, "false") != 0)
			return VM_BAD;
		break;
	case FAM_BINARY:
		if (rlen > 4096 || (binlen = tl_policy_base64_decode(r, rlen, bin)) < 0)
			return VM_BAD;
		break;
	case FAM_IP:
		if (tl_policy_parse_ip(r, &family, addr, &prefix, false) < 0)
			return VM_BAD;
		break;
	case FAM_ARN:
		if (strncmp(r, "arn:", 4) != 0 || tl_policy_split_arn(r, rlen, false, parts) < 0)
			return VM_BAD;
		break;
	case FAM_STRING:
	case FAM_NULL:
		break;
	}

	for (size_t i = 0; i < c->nvalues; i++) {
		const struct pvalue *pv = &c->values[i];
		struct span vars[MAX_VARS];
		bool m = false;

		switch (op->family) {
		case FAM_STRING:
			if (pv->nvars && !resolve_vars(&pv->u.pat, 1, ctx, vars))
				continue;
			m = tl_policy_pattern_match(&pv->u.pat, vars, r, rlen,
						    op->cmp == CMP_EQ_ICASE);
			break;
		case FAM_ARN:
			if (pv->nvars && !resolve_vars(pv->u.arn, ARN_PARTS, ctx, vars))
				continue;
			m = true;
			for (int k = 0; m && k < ARN_PARTS; k++)
				m = tl_policy_pattern_match(&pv->u.arn[k], vars, parts[k].p,
							    parts[k].len, false);
			break;
		case FAM_NUMERIC:
			m = compare(op->cmp, num < pv->u.num ? -1 : num > pv->u.num ? 1 : 0);
			break;
		case FAM_DATE:
			m = compare(op->cmp, ms < pv->u.ms ? -1 : ms > pv->u.ms ? 1 : 0);
			break;
		case FAM_BOOL:
			m = b == pv->u.b;
			break;
		case FAM_BINARY:
			m = (size_t)binlen == pv->u.bin.len &&
			    memcmp(bin, pv->u.bin.data, pv->u.bin.len) == 0;
			break;
		case FAM_IP:
			m = ip_in(pv, family, addr);
			break;
		case FAM_NULL:
			break;
		}
		if (m) {
			*pol_index = (long)i;
			return VM_YES;
		}
	}
	return VM_NO;
}

/* --- conditions ------------------------------------------------------------ */

static bool
eval_condition(const struct condition *c, const struct tl_policy_context *ctx,
	       struct trace_cond *tc)
{
	const struct ctx_key *key = tl_policy_context_find(ctx, c->key_lc, c->key_len, c->key_hash);
	size_t n = key ? key->nvalues : 0;
	bool neg = c->op->negated;
	struct trace_cond local;

	if (!tc)
		tc = &local;
	*tc = (struct trace_cond){.cond = c, .key = key, .req_index = -1, .pol_index = -1};

	if (c->op->family == FAM_NULL) {
		/* An empty set counts as absent. "true" asks for absence. */
		bool absent = n == 0;
		tc->reason = absent ? R_NULL_ABSENT : R_NULL_PRESENT;
		for (size_t i = 0; i < c->nvalues; i++)
			if (c->values[i].u.b == absent) {
				tc->pol_index = (long)i;
				return tc->matched = true;
			}
		return tc->matched = false;
	}

	/* Missing key (reference/sts.md §3.4, §3.5). */
	if (n == 0) {
		if (c->if_exists)
			tc->reason = R_MISSING_IFEXISTS, tc->matched = true;
		else if (c->qual == QUAL_ALL)
			tc->reason = R_ALL_EMPTY, tc->matched = true;
		else if (c->qual == QUAL_ANY)
			tc->reason = R_ANY_EMPTY, tc->matched = false;
		else if (neg)
			tc->reason = R_MISSING_NEGATED, tc->matched = true;
		else
			tc->reason = R_MISSING_FALSE, tc->matched = false;
		return tc->matched;
	}

	if (c->qual == QUAL_ALL) {
		/* Every request value must satisfy the operator: for a negated
		 * one, match none of the policy values. */
		for (size_t i = 0; i < n; i++) {
			long pi = -1;
			enum vmatch vm = match_value(c, key->values[i], ctx, &pi);
			bool ok = vm != VM_BAD && ((vm == VM_YES) != neg);
			if (!ok) {
				tc->reason = vm == VM_BAD ? R_BAD_REQUEST_VALUE : R_ALL_FAILED;
				tc->req_index = (long)i;
				tc->pol_index = pi;
				return tc->matched = false;
			}
		}
		tc->reason = R_ALL_OK;
		return tc->matched = true;
	}

	if (!neg) {
		/* Positive, plain or ForAnyValue: any request value matching
		 * any policy value (values OR). */
		long bad = -1;
		for (size_t i = 0; i < n; i++) {
			long pi = -1;
			enum vmatch vm = match_value(c, key->values[i], ctx, &pi);
			if (vm == VM_YES) {
				tc->reason = R_MATCHED;
				tc->req_index = (long)i;
				tc->pol_index = pi;
				return tc->matched = true;
			}
			if (vm == VM_BAD && bad < 0)
				bad = (long)i;
		}
		tc->reason = bad >= 0 ? R_BAD_REQUEST_VALUE : R_NO_MATCH;
		tc->req_index = bad;
		return tc->matched = false;
	}

	if (c->qual == QUAL_ANY) {
		/* Negated under ForAnyValue: some request value matches none
		 * of the policy values. */
		long first_pi = -1, bad = -1;
		for (size_t i = 0; i < n; i++) {
			long pi = -1;
			enum vmatch vm = match_value(c, key->values[i], ctx, &pi);
			if (vm == VM_NO) {
				tc->reason = R_NEG_NONE_MATCHED;
				tc->req_index = (long)i;
				return tc->matched = true;
			}
			if (vm == VM_BAD && bad < 0)
				bad = (long)i;
			if (vm == VM_YES && first_pi < 0)
				first_pi = pi, tc->req_index = (long)i;
		}
		if (bad >= 0 && first_pi < 0)
			tc->reason = R_BAD_REQUEST_VALUE, tc->req_index = bad;
		else
			tc->reason = R_NEG_MATCHED, tc->pol_index = first_pi;
		return tc->matched = false;
	}

	/* Negated, plain: no request value may match any policy value (the
	 * values of a negated operator AND; Ceph RGW ORs them). */
	for (size_t i = 0; i < n; i++) {
		long pi = -1;
		enum vmatch vm = match_value(c, key->values[i], ctx, &pi);
		if (vm != VM_NO) {
			tc->reason = vm == VM_BAD ? R_BAD_REQUEST_VALUE : R_NEG_MATCHED;
			tc->req_index = (long)i;
			tc->pol_index = pi;
			return tc->matched = false;
		}
	}
	tc->reason = R_NEG_NONE_MATCHED;
	return tc->matched = true;
}

/* --- statements ------------------------------------------------------------ */

static bool
in_list(const char *const *list, size_t n, const char *v)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], v) == 0)
			return true;
	return false;
}

static bool
principal_matches(const struct principal_list *pl, const struct tl_policy_context *ctx)
{
	if (pl->any)
		return true;
	if (!ctx->principal)
		return false;
	switch (ctx->ptype) {
	case TL_PRINCIPAL_FEDERATED:
		return in_list(pl->federated, pl->nfederated, ctx->principal);
	case TL_PRINCIPAL_AWS:
		return in_list(pl->aws, pl->naws, ctx->principal);
	case TL_PRINCIPAL_SERVICE:
		return in_list(pl->service, pl->nservice, ctx->principal);
	}
	return false;
}

static bool
action_matches(const struct statement *st, const struct tl_policy_context *ctx)
{
	bool any = false;

	if (!ctx->action)
		return false;
	for (size_t i = 0; i < st->nactions && !any; i++)
		any = tl_policy_pattern_match(&st->actions[i].pat, NULL, ctx->action,
					      strlen(ctx->action), true);
	return st->not_action ? !any : any;
}

static struct tl_policy_trace *
trace_new(const struct tl_policy *policy, const struct tl_policy_context *ctx)
{
	size_t nconds = 0;

	for (size_t i = 0; i < policy->nstmts; i++)
		nconds += policy->stmts[i].nconds;
	struct tl_policy_trace *t =
		calloc(1, sizeof(*t) + policy->nstmts * sizeof(struct trace_stmt) +
				  nconds * sizeof(struct trace_cond));
	if (!t)
		return NULL;
	t->ctx = ctx;
	t->stmts = (struct trace_stmt *)(t + 1);
	t->nstmts = policy->nstmts;
	struct trace_cond *conds = (struct trace_cond *)(t->stmts + policy->nstmts);
	for (size_t i = 0; i < policy->nstmts; i++) {
		t->stmts[i].stmt = &policy->stmts[i];
		t->stmts[i].index = i;
		t->stmts[i].conds = conds;
		t->stmts[i].nconds = policy->stmts[i].nconds;
		conds += policy->stmts[i].nconds;
	}
	return t;
}

enum tl_policy_decision
tl_policy_eval(const struct tl_policy *policy, const struct tl_policy_context *ctx,
	       struct tl_policy_trace **trace)
{
	struct tl_policy_trace *t = trace ? trace_new(policy, ctx) : NULL;
	bool allowed = false, denied = false;

	for (size_t i = 0; i < policy->nstmts; i++) {
		const struct statement *st = &policy->stmts[i];
		struct trace_stmt *ts = t ? &t->stmts[i] : NULL;

		/* Without a trace, a statement that cannot change the outcome
		 * is skipped, and the first failing element ends it. */
		if (!t && st->allow && allowed)
			continue;
		bool pm = principal_matches(&st->principal, ctx);
		bool am = (pm || t) && action_matches(st, ctx);
		if (!t && !(pm && am))
			continue;
		bool cm = true;
		for (size_t k = 0; k < st->nconds && (cm || t); k++)
			cm &= eval_condition(&st->conds[k], ctx, ts ? &ts->conds[k] : NULL);
		bool applied = pm && am && cm;
		if (ts) {
			ts->principal_matched = pm;
			ts->action_matched = am;
			ts->conditions_matched = cm;
			ts->applied = applied;
		}
		if (applied && !st->allow) {
			denied = true;
			if (!t)
				break;
		} else if (applied) {
			allowed = true;
		}
	}
	enum tl_policy_decision d = denied    ? TL_POLICY_EXPLICIT_DENY
				    : allowed ? TL_POLICY_ALLOW
					      : TL_POLICY_IMPLICIT_DENY;
	if (t)
		t->decision = d;
	if (trace)
		*trace = t;
	return d;
}

void
tl_policy_trace_free(struct tl_policy_trace *trace)
{
	free(trace);
}

enum tl_policy_decision
tl_policy_trace_decision(const struct tl_policy_trace *trace)
{
	return trace->decision;
}

const char *
tl_policy_decision_name(enum tl_policy_decision d)
{
	switch (d) {
	case TL_POLICY_ALLOW:
		return "allow";
	case TL_POLICY_EXPLICIT_DENY:
		return "deny";
	case TL_POLICY_IMPLICIT_DENY:
		break;
	}
	return "implicit-deny";
}
