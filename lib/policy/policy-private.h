/* SPDX-License-Identifier: MIT */
#pragma once

/* The parsed form of a policy, shared by parse.c, eval.c and trace.c. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

enum op_family {
	FAM_STRING,
	FAM_NUMERIC,
	FAM_DATE,
	FAM_BOOL,
	FAM_BINARY,
	FAM_IP,
	FAM_ARN,
	FAM_NULL,
};

enum op_cmp {
	CMP_EQ,
	CMP_EQ_ICASE,
	CMP_LIKE,
	CMP_LT,
	CMP_LE,
	CMP_GT,
	CMP_GE,
};

struct op_info {
	const char *name;
	enum op_family family;
	enum op_cmp cmp;
	bool negated;
};

extern const struct op_info tl_policy_ops[];
extern const size_t tl_policy_nops;

enum qualifier {
	QUAL_NONE,
	QUAL_ANY, /* ForAnyValue: */
	QUAL_ALL, /* ForAllValues: */
};

/* A piece of a string pattern: literal bytes, a wildcard or a variable. */
enum seg_kind {
	SEG_LIT,
	SEG_STAR,
	SEG_QMARK,
	SEG_VAR,
};

struct seg {
	enum seg_kind kind;
	const char *text; /* SEG_LIT: bytes; SEG_VAR: the key (lower-case) */
	size_t len;
	const char *def; /* SEG_VAR: default value or NULL */
	size_t def_len;
	uint32_t hash; /* SEG_VAR: hash of the key */
	unsigned vidx; /* SEG_VAR: index into the value's resolved variables */
};

struct pattern {
	struct seg *segs;
	size_t nsegs;
	bool has_vars;
};

#define ARN_PARTS 6
/* Policy variables in one value (a limit of ours; IAM states none). */
#define MAX_VARS 8

/* One policy value, typed for its operator's family. */
struct pvalue {
	const char *text; /* as written (numbers and booleans as text) */
	unsigned nvars; /* policy variables to resolve before matching */
	union {
		struct pattern pat; /* FAM_STRING */
		struct pattern arn[ARN_PARTS]; /* FAM_ARN */
		double num; /* FAM_NUMERIC */
		int64_t ms; /* FAM_DATE */
		bool b; /* FAM_BOOL, FAM_NULL */
		struct {
			unsigned char *data;
			size_t len;
		} bin; /* FAM_BINARY */
		struct {
			int family; /* AF_INET or AF_INET6 */
			unsigned char addr[16];
			unsigned prefix;
		} ip; /* FAM_IP */
	} u;
};

struct condition {
	const char *op_text; /* as written, e.g. "ForAnyValue:StringLike" */
	const struct op_info *op;
	enum qualifier qual;
	bool if_exists;
	const char *key; /* as written */
	const char *key_lc; /* lower-case, for lookup */
	size_t key_len;
	uint32_t key_hash;
	struct pvalue *values;
	const char **value_texts; /* values[i].text, for traces */
	size_t nvalues;
};

struct name_pattern {
	const char *text; /* as written */
	struct pattern pat; /* compared case-insensitively */
};

struct principal_list {
	bool any; /* "*" or {"AWS": "*"} */
	const char **federated, **aws, **service;
	size_t nfederated, naws, nservice;
	size_t ncanonical;
};

struct statement {
	const char *sid; /* NULL when absent */
	bool allow;
	bool not_principal;
	struct principal_list principal;
	bool not_action;
	struct name_pattern *actions;
	size_t nactions;
	struct condition *conds;
	size_t nconds;
};

struct tl_policy {
	char *version; /* "" when absent */
	bool variables; /* Version 2012-10-17: ${...} is substituted */
	struct statement *stmts;
	size_t nstmts;
	/* All strings and arrays live in one arena freed with the policy. */
	struct arena_block *arena;
};

struct ctx_key {
	char *name; /* as given */
	char *name_lc;
	size_t len;
	uint32_t hash;
	char **values;
	size_t nvalues, cap;
};

struct tl_policy_context {
	enum tl_principal_type ptype;
	char *principal; /* NULL: none */
	char *action;
	struct ctx_key *keys;
	size_t nkeys, cap;
};

/* Case-insensitive (ASCII) FNV-1a of a key name. */
uint32_t tl_policy_key_hash(const char *s, size_t len);

const struct ctx_key *tl_policy_context_find(const struct tl_policy_context *ctx,
					     const char *key_lc, size_t len, uint32_t hash);

/* Pattern matching: `icase` folds ASCII letters. */
struct span {
	const char *p;
	size_t len;
};
bool tl_policy_pattern_match(const struct pattern *pat, const struct span *vars, const char *s,
			     size_t len, bool icase);

/* Typed parsing shared by load (policy values) and evaluation (request values). */
bool tl_policy_parse_number(const char *s, double *v);
/* Standard base64, padding optional; `out` holds len*3/4+3 bytes. Length or -1. */
long tl_policy_base64_decode(const char *s, size_t len, unsigned char *out);
int tl_policy_parse_ip(const char *s, int *family, unsigned char addr[16], unsigned *prefix,
		       bool allow_prefix);
/* Splits an ARN at its first five colons (not those inside ${...} when `vars`). */
int tl_policy_split_arn(const char *s, size_t len, bool vars, struct span parts[ARN_PARTS]);

/* --- traces -------------------------------------------------------------- */

enum cond_reason {
	R_MATCHED, /* a request value matched (positive op) */
	R_NO_MATCH, /* no request value matched (positive op) */
	R_NEG_NONE_MATCHED, /* negated op: no request value matched a policy value */
	R_NEG_MATCHED, /* negated op: a request value matched a policy value */
	R_MISSING_FALSE, /* key absent, positive op */
	R_MISSING_NEGATED, /* key absent, negated op: true */
	R_MISSING_IFEXISTS, /* key absent, ...IfExists: true */
	R_NULL_ABSENT, /* Null: key absent */
	R_NULL_PRESENT, /* Null: key present */
	R_ANY_EMPTY, /* ForAnyValue on absent/empty: false */
	R_ALL_EMPTY, /* ForAllValues on absent/empty: true */
	R_ALL_OK, /* ForAllValues: every request value satisfied */
	R_ALL_FAILED, /* ForAllValues: a request value did not */
	R_BAD_REQUEST_VALUE, /* a request value is not of the operator's type */
};

struct trace_cond {
	const struct condition *cond;
	const struct ctx_key *key; /* NULL when absent */
	bool matched;
	enum cond_reason reason;
	long req_index; /* the request value that decided, or -1 */
	long pol_index; /* the policy value that decided, or -1 */
};

struct trace_stmt {
	const struct statement *stmt;
	size_t index;
	bool principal_matched;
	bool action_matched;
	bool conditions_matched;
	bool applied;
	struct trace_cond *conds;
	size_t nconds;
};

struct tl_policy_trace {
	enum tl_policy_decision decision;
	const struct tl_policy_context *ctx;
	struct trace_stmt *stmts;
	size_t nstmts;
};
