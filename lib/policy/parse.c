/* SPDX-License-Identifier: MIT */
/*
 * Parsing and write-time validation of role trust policies, as IAM does on
 * CreateRole / UpdateAssumeRolePolicy (reference/sts.md §3.1,
 * reference/reliability.md §3.2; rule numbers P1.. refer to that table).
 * Every value is typed here so that evaluation parses nothing.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/clock.h"

#include "json/json.h"
#include "policy-private.h"

/* clang-format off */
const struct op_info tl_policy_ops[] = {
	{"StringEquals", FAM_STRING, CMP_EQ, false},
	{"StringNotEquals", FAM_STRING, CMP_EQ, true},
	{"StringEqualsIgnoreCase", FAM_STRING, CMP_EQ_ICASE, false},
	{"StringNotEqualsIgnoreCase", FAM_STRING, CMP_EQ_ICASE, true},
	{"StringLike", FAM_STRING, CMP_LIKE, false},
	{"StringNotLike", FAM_STRING, CMP_LIKE, true},
	{"NumericEquals", FAM_NUMERIC, CMP_EQ, false},
	{"NumericNotEquals", FAM_NUMERIC, CMP_EQ, true},
	{"NumericLessThan", FAM_NUMERIC, CMP_LT, false},
	{"NumericLessThanEquals", FAM_NUMERIC, CMP_LE, false},
	{"NumericGreaterThan", FAM_NUMERIC, CMP_GT, false},
	{"NumericGreaterThanEquals", FAM_NUMERIC, CMP_GE, false},
	{"DateEquals", FAM_DATE, CMP_EQ, false},
	{"DateNotEquals", FAM_DATE, CMP_EQ, true},
	{"DateLessThan", FAM_DATE, CMP_LT, false},
	{"DateLessThanEquals", FAM_DATE, CMP_LE, false},
	{"DateGreaterThan", FAM_DATE, CMP_GT, false},
	{"DateGreaterThanEquals", FAM_DATE, CMP_GE, false},
	{"Bool", FAM_BOOL, CMP_EQ, false},
	{"BinaryEquals", FAM_BINARY, CMP_EQ, false},
	{"IpAddress", FAM_IP, CMP_EQ, false},
	{"NotIpAddress", FAM_IP, CMP_EQ, true},
	/* ArnEquals behaves as ArnLike (reference/sts.md §3.3). */
	{"ArnEquals", FAM_ARN, CMP_LIKE, false},
	{"ArnLike", FAM_ARN, CMP_LIKE, false},
	{"ArnNotEquals", FAM_ARN, CMP_LIKE, true},
	{"ArnNotLike", FAM_ARN, CMP_LIKE, true},
	{"Null", FAM_NULL, CMP_EQ, false},
};
/* clang-format on */
const size_t tl_policy_nops = sizeof(tl_policy_ops) / sizeof(tl_policy_ops[0]);

/* --- arena: every piece of a parsed policy, freed at once ---------------- */

struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
};

struct parser {
	struct tl_policy *policy;
	bool stmt_array; /* Statement is a list (for paths) */
	struct tl_error *err;
	struct tl_jpath path;
};

static void *
arena_alloc(struct parser *p, size_t size)
{
	struct arena_block *b = p->policy->arena;
	const size_t align = alignof(max_align_t);

	size = (size + align - 1) & ~(align - 1);
	if (size == 0)
		size = align;
	if (!b || b->cap - b->used < size) {
		/* 1 KiB first, doubling to 8 KiB: a role keeps its parsed trust
		 * policy for its lifetime, and most use one or two KiB
		 * (bench/README.md, memory per role). */
		size_t next = !b ? 1024 : b->cap >= 4096 ? 8192 : b->cap * 2;
		size_t cap = size > next ? size : next;
		b = malloc(sizeof(*b) + cap);
		if (!b) {
			tl_error_set(p->err, TL_ERR_NOMEM, "out of memory parsing the policy");
			return NULL;
		}
		b->used = 0;
		b->cap = cap;
		b->next = p->policy->arena;
		p->policy->arena = b;
	}
	void *r = b->data + b->used;
	b->used += size;
	memset(r, 0, size);
	return r;
}

static char *
arena_strndup(struct parser *p, const char *s, size_t len)
{
	char *r = arena_alloc(p, len + 1);
	if (r)
		memcpy(r, s, len);
	return r;
}

static int fail(struct parser *p, enum tl_errcode code, const char *fmt, ...) TL_PRINTF(3, 4);

static int
fail(struct parser *p, enum tl_errcode code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tl_error_setv(p->err, code, fmt, ap);
	va_end(ap);
	tl_error_locate_path(p->err, tl_jpath_str(&p->path));
	return -1;
}

uint32_t
tl_policy_key_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)tolower((unsigned char)s[i]);
		h *= 16777619u;
	}
	return h;
}

static char *
lower_dup(struct parser *p, const char *s, size_t len)
{
	char *r = arena_strndup(p, s, len);
	if (r)
		for (size_t i = 0; i < len; i++)
			r[i] = (char)tolower((unsigned char)r[i]);
	return r;
}

/* --- size and characters (P25, P26) ------------------------------------- */

static int
check_text(const char *json, size_t len, size_t max_chars, struct tl_error *err)
{
	size_t chars = 0;
	long bad_at = -1;
	unsigned bad_cp = 0;

	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)json[i];
		unsigned cp;
		size_t n;

		if (c < 0x80) {
			cp = c;
			n = 1;
		} else if ((c & 0xe0) == 0xc0) {
			cp = c & 0x1f;
			n = 2;
		} else if ((c & 0xf0) == 0xe0) {
			cp = c & 0x0f;
			n = 3;
		} else if ((c & 0xf8) == 0xf0) {
			cp = c & 0x07;
			n = 4;
		} else {
			return tl_error_set(err, TL_ERR_SYNTAX,
					    "the document is not valid UTF-8 (byte %zu)", i);
		}
		if (i + n > len)
			return tl_error_set(err, TL_ERR_SYNTAX,
					    "the document is not valid UTF-8 (byte %zu)", i);
		for (size_t k = 1; k < n; k++) {
			unsigned char cc = (unsigned char)json[i + k];
			if ((cc & 0xc0) != 0x80)
				return tl_error_set(err, TL_ERR_SYNTAX,
						    "the document is not valid UTF-8 (byte %zu)",
						    i);
			cp = (cp << 6) | (cc & 0x3f);
		}
		if (cp != ' ' && cp != '\t' && cp != '\n' && cp != '\r') {
			chars++;
			if (bad_at < 0 && (cp < 0x20 || cp > 0xff || cp == 0x7f)) {
				bad_at = (long)i;
				bad_cp = cp;
			}
		}
		i += n;
	}
	if (chars > max_chars)
		return tl_error_set(err, TL_ERR_LIMIT,
				    "Cannot exceed quota for ACLSizePerRole: %zu (the document has "
				    "%zu characters, whitespace not counted)",
				    max_chars, chars);
	if (bad_at >= 0)
		return tl_error_set(err, TL_ERR_SYNTAX,
				    "character U+%04X at byte %ld is not allowed in a policy (IAM "
				    "takes tab, newline, carriage return and U+0020 to U+00FF)",
				    bad_cp, bad_at);
	return 0;
}

/* --- patterns: literals, wildcards, ${variables} ------------------------ */

/*
 * Splits `text` into segments. `like`: `*` and `?` are wildcards. `vars`:
 * `${key}`, `${key, 'default'}` and the escapes `${*}`, `${?}`, `${$}`
 * are recognised (Version 2012-10-17 only, reference/sts.md §3.6).
 * `*nvars` counts variables across calls (ARN parts share one count).
 * With `segs` NULL only counts. Returns the number of segments or -1.
 */
static long
compile_segments(struct parser *p, const char *text, size_t len, bool like, bool vars,
		 struct seg *segs, unsigned *nvars)
{
	size_t n = 0, i = 0;

	while (i < len) {
		if (vars && text[i] == '$' && i + 1 < len && text[i + 1] == '{') {
			const char *close = memchr(text + i + 2, '}', len - i - 2);
			if (!close)
				return fail(p, TL_ERR_INVALID,
					    "policy variable '%.*s' has no closing '}'",
					    (int)(len - i), text + i);
			const char *in = text + i + 2;
			size_t inlen = (size_t)(close - in);
			if (inlen == 1 && (in[0] == '*' || in[0] == '?' || in[0] == '$')) {
				if (segs)
					segs[n] =
						(struct seg){.kind = SEG_LIT, .text = in, .len = 1};
				n++;
				i += 4;
				continue;
			}
			const char *comma = memchr(in, ',', inlen);
			size_t klen = comma ? (size_t)(comma - in) : inlen;
			while (klen > 0 && in[klen - 1] == ' ')
				klen--;
			const char *def = NULL;
			size_t dlen = 0;
			if (comma) {
				const char *d = comma + 1;
				const char *end = close;
				while (d < end && *d == ' ')
					d++;
				while (end > d && end[-1] == ' ')
					end--;
				if (end - d < 2 || *d != '\'' || end[-1] != '\'')
					return fail(p, TL_ERR_INVALID,
						    "policy variable '%.*s': a default value is "
						    "written in single quotes: ${key, 'default'}",
						    (int)(close - text - i + 1), text + i);
				def = d + 1;
				dlen = (size_t)(end - d - 2);
			}
			if (klen == 0 || memchr(in, ' ', klen))
				return fail(p, TL_ERR_INVALID,
					    "policy variable '%.*s' names no key",
					    (int)(close - text - i + 1), text + i);
			if (*nvars >= MAX_VARS)
				return fail(p, TL_ERR_INVALID,
					    "more than %d policy variables in one value", MAX_VARS);
			if (segs) {
				char *k = lower_dup(p, in, klen);
				if (!k)
					return -1;
				segs[n] = (struct seg){.kind = SEG_VAR,
						       .text = k,
						       .len = klen,
						       .def = def,
						       .def_len = dlen,
						       .hash = tl_policy_key_hash(in, klen),
						       .vidx = *nvars};
			}
			(*nvars)++;
			n++;
			i = (size_t)(close - text) + 1;
			continue;
		}
		if (like && text[i] == '*') {
			/* `**` is `*`; keep one. */
			if (!(n > 0 && segs && segs[n - 1].kind == SEG_STAR) &&
			    !(n > 0 && !segs && i > 0 && text[i - 1] == '*')) {
				if (segs)
					segs[n].kind = SEG_STAR;
				n++;
			}
			i++;
			continue;
		}
		if (like && text[i] == '?') {
			if (segs)
				segs[n].kind = SEG_QMARK;
			n++;
			i++;
			continue;
		}
		size_t start = i;
		while (i < len && !(like && (text[i] == '*' || text[i] == '?')) &&
		       !(vars && text[i] == '$' && i + 1 < len && text[i + 1] == '{'))
			i++;
		if (segs)
			segs[n] = (struct seg){
				.kind = SEG_LIT, .text = text + start, .len = i - start};
		n++;
	}
	return (long)n;
}

static int
compile_pattern(struct parser *p, const char *text, size_t len, bool like, bool vars,
		struct pattern *pat, unsigned *nvars)
{
	unsigned before = *nvars;
	long n = compile_segments(p, text, len, like, vars, NULL, nvars);

	if (n < 0)
		return -1;
	*nvars = before;
	pat->segs = arena_alloc(p, sizeof(struct seg) * (size_t)(n ? n : 1));
	if (!pat->segs)
		return -1;
	n = compile_segments(p, text, len, like, vars, pat->segs, nvars);
	if (n < 0)
		return -1;
	pat->nsegs = (size_t)n;
	pat->has_vars = *nvars > before;
	return 0;
}

/* --- typed values -------------------------------------------------------- */

static bool
parse_bool(const char *s, bool *b)
{
	if (strcasecmp(s, "true") == 0)
		*b = true;
	else if (strcasecmp(s, "false") == 0)
		*b = false;
	else
		return false;
	return true;
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Standard base64, padding optional; `out` holds len*3/4+3 bytes. Returns
 * the decoded length or -1.
 */
static long
base64_decode(const char *s, size_t len, unsigned char *out)
{
	size_t n = 0;
	unsigned acc = 0, bits = 0;

	while (len > 0 && s[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int v = b64val((unsigned char)s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return (long)n;
}

long
tl_policy_base64_decode(const char *s, size_t len, unsigned char *out)
{
	return base64_decode(s, len, out);
}

int
tl_policy_parse_ip(const char *s, int *family, unsigned char addr[16], unsigned *prefix,
		   bool allow_prefix)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);

	if (alen == 0 || alen >= sizeof(buf) || (slash && !allow_prefix))
		return -1;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*family = AF_INET;
		*prefix = 32;
	} else if (inet_pton(AF_INET6, buf, addr) == 1) {
		*family = AF_INET6;
		*prefix = 128;
	} else {
		return -1;
	}
	if (slash) {
		char *end;
		unsigned max = *prefix;
		errno = 0;
		unsigned long v = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || !isdigit((unsigned char)slash[1]) ||
		    v > max)
			return -1;
		*prefix = (unsigned)v;
	}
	return 0;
}

bool
tl_policy_parse_number(const char *s, double *v)
{
	char *end;

	if (!*s || isspace((unsigned char)*s))
		return false;
	errno = 0;
	*v = strtod(s, &end);
	return !errno && *end == '\0' && isfinite(*v) && !strpbrk(s, "xXnNiI");
}

/* Splits an ARN at its first five colons, ignoring colons inside ${...}. */
int
tl_policy_split_arn(const char *s, size_t len, bool vars, struct span parts[ARN_PARTS])
{
	size_t k = 0, start = 0;
	bool in_var = false;

	for (size_t i = 0; i < len && k < ARN_PARTS - 1; i++) {
		if (vars && !in_var && s[i] == '$' && i + 1 < len && s[i + 1] == '{')
			in_var = true;
		else if (in_var && s[i] == '}')
			in_var = false;
		else if (!in_var && s[i] == ':') {
			parts[k++] = (struct span){s + start, i - start};
			start = i + 1;
		}
	}
	if (k < ARN_PARTS - 1)
		return -1;
	parts[k] = (struct span){s + start, len - start};
	return 0;
}

static const char *
family_noun(enum op_family f)
{
	switch (f) {
	case FAM_NUMERIC:
		return "a number";
	case FAM_DATE:
		return "a date (ISO 8601 or Unix seconds)";
	case FAM_BOOL:
	case FAM_NULL:
		return "true or false";
	case FAM_BINARY:
		return "base64";
	case FAM_IP:
		return "an IPv4 or IPv6 address or CIDR block";
	case FAM_ARN:
		return "an ARN (arn:partition:service:region:account:resource)";
	case FAM_STRING:
		break;
	}
	return "a string";
}

static int
compile_value(struct parser *p, struct condition *c, struct pvalue *v, const json_t *j)
{
	const struct op_info *op = c->op;
	char numbuf[64];
	const char *text;

	if (json_is_string(j)) {
		text = json_string_value(j);
	} else if (json_is_integer(j)) {
		snprintf(numbuf, sizeof(numbuf), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		text = numbuf;
	} else if (json_is_real(j)) {
		/* The shortest form that reads back the same: 0.1, not 0.1000...1. */
		double d = json_real_value(j);
		snprintf(numbuf, sizeof(numbuf), "%.15g", d);
		if (strtod(numbuf, NULL) != d)
			snprintf(numbuf, sizeof(numbuf), "%.17g", d);
		text = numbuf;
	} else if (json_is_boolean(j)) {
		text = json_is_true(j) ? "true" : "false";
	} else {
		return fail(p, TL_ERR_INVALID,
			    "a condition value is a string, number or boolean, not %s",
			    tl_json_type_name(j));
	}
	size_t len = strlen(text);
	v->text = arena_strndup(p, text, len);
	if (!v->text)
		return -1;
	text = v->text;

	bool bad = false;
	switch (op->family) {
	case FAM_STRING:
		if (compile_pattern(p, text, len, op->cmp == CMP_LIKE, p->policy->variables,
				    &v->u.pat, &v->nvars) < 0)
			return -1;
		break;
	case FAM_ARN: {
		struct span parts[ARN_PARTS];
		if (tl_policy_split_arn(text, len, p->policy->variables, parts) < 0 ||
		    strncmp(text, "arn:", 4) != 0) {
			bad = true;
			break;
		}
		for (int k = 0; k < ARN_PARTS; k++)
			if (compile_pattern(p, parts[k].p, parts[k].len, true, p->policy->variables,
					    &v->u.arn[k], &v->nvars) < 0)
				return -1;
		break;
	}
	case FAM_NUMERIC:
		bad = !tl_policy_parse_number(text, &v->u.num);
		break;
	case FAM_DATE:
		bad = tl_time_parse(text, &v->u.ms, NULL) < 0;
		break;
	case FAM_BOOL:
	case FAM_NULL:
		bad = !parse_bool(text, &v->u.b);
		break;
	case FAM_BINARY: {
		v->u.bin.data = arena_alloc(p, len * 3 / 4 + 3);
		if (!v->u.bin.data)
			return -1;
		long n = base64_decode(text, len, v->u.bin.data);
		bad = n < 0 || len == 0;
		v->u.bin.len = n < 0 ? 0 : (size_t)n;
		break;
	}
	case FAM_IP:
		bad = tl_policy_parse_ip(text, &v->u.ip.family, v->u.ip.addr, &v->u.ip.prefix,
					 true) < 0;
		break;
	}
	if (bad)
		return fail(p, TL_ERR_INVALID, "%s value '%s' is not %s", c->op_text, text,
			    family_noun(op->family));
	return 0;
}

/* --- conditions (P17-P21) ------------------------------------------------ */

static const struct op_info *
find_op(const char *name, size_t len, bool icase)
{
	for (size_t i = 0; i < tl_policy_nops; i++) {
		const char *n = tl_policy_ops[i].name;
		if (strlen(n) == len &&
		    (icase ? strncasecmp(n, name, len) == 0 : strncmp(n, name, len) == 0))
			return &tl_policy_ops[i];
	}
	return NULL;
}

static int
parse_operator(struct parser *p, const char *text, struct condition *proto)
{
	const char *base = text;
	size_t len;

	proto->qual = QUAL_NONE;
	if (strncmp(base, "ForAnyValue:", 12) == 0) {
		proto->qual = QUAL_ANY;
		base += 12;
	} else if (strncmp(base, "ForAllValues:", 13) == 0) {
		proto->qual = QUAL_ALL;
		base += 13;
	}
	len = strlen(base);
	proto->if_exists = false;
	if (len > 8 && strcmp(base + len - 8, "IfExists") == 0) {
		proto->if_exists = true;
		len -= 8;
	}
	proto->op = find_op(base, len, false);
	if (!proto->op) {
		const struct op_info *hint = find_op(base, len, true);
		if (hint)
			return fail(p, TL_ERR_INVALID,
				    "unknown condition operator '%s' (operator names are "
				    "case-sensitive: did you mean '%s'?)",
				    text, hint->name);
		if (strncasecmp(text, "forany", 6) == 0 || strncasecmp(text, "forall", 6) == 0)
			return fail(p, TL_ERR_INVALID,
				    "unknown condition operator '%s' (set qualifiers are "
				    "'ForAnyValue:' and 'ForAllValues:')",
				    text);
		return fail(p, TL_ERR_INVALID, "unknown condition operator '%s'", text);
	}
	if (proto->op->family == FAM_NULL && proto->if_exists)
		return fail(p, TL_ERR_INVALID,
			    "'%s': Null cannot take IfExists (Null already tests for existence)",
			    text);
	if (proto->op->family == FAM_NULL && proto->qual != QUAL_NONE)
		return fail(p, TL_ERR_INVALID, "'%s': Null cannot take a set qualifier", text);
	proto->op_text = arena_strndup(p, text, strlen(text));
	return proto->op_text ? 0 : -1;
}

static int
parse_condition_block(struct parser *p, struct statement *st, const json_t *cond)
{
	const char *opname, *key;
	const json_t *block, *vals;
	size_t n = 0;

	if (tl_json_expect(cond, JSON_OBJECT, &p->path, p->err) < 0)
		return -1;
	if (json_object_size(cond) == 0)
		return fail(p, TL_ERR_INVALID, "Condition is empty; omit it instead");
	json_object_foreach((json_t *)cond, opname, block)
	{
		if (json_is_object(block))
			n += json_object_size(block);
	}
	st->conds = arena_alloc(p, sizeof(*st->conds) * (n ? n : 1));
	if (!st->conds)
		return -1;

	json_object_foreach((json_t *)cond, opname, block)
	{
		size_t mark = tl_jpath_push_key(&p->path, opname);
		struct condition proto = {0};
		size_t first = st->nconds;

		if (parse_operator(p, opname, &proto) < 0)
			return -1;
		if (tl_json_expect(block, JSON_OBJECT, &p->path, p->err) < 0)
			return -1;
		if (json_object_size(block) == 0)
			return fail(p, TL_ERR_INVALID, "operator '%s' names no condition key",
				    opname);
		json_object_foreach((json_t *)block, key, vals)
		{
			size_t kmark = tl_jpath_push_key(&p->path, key);
			struct condition *c = &st->conds[st->nconds];
			size_t klen = strlen(key);

			*c = proto;
			if (klen == 0)
				return fail(p, TL_ERR_INVALID, "empty condition key");
			if (!memchr(key, ':', klen))
				return fail(p, TL_ERR_INVALID,
					    "condition key '%s' has no prefix: keys are written "
					    "'<provider or service>:<name>', such as "
					    "'token.actions.githubusercontent.com:sub'",
					    key);
			for (size_t k = first; k < st->nconds; k++)
				if (strcasecmp(st->conds[k].key, key) == 0)
					return fail(p, TL_ERR_INVALID,
						    "condition key '%s' appears twice in '%s' "
						    "(as '%s'): key names are case-insensitive",
						    key, opname, st->conds[k].key);
			c->key = arena_strndup(p, key, klen);
			c->key_lc = lower_dup(p, key, klen);
			if (!c->key || !c->key_lc)
				return -1;
			c->key_len = klen;
			c->key_hash = tl_policy_key_hash(key, klen);

			size_t nv = json_is_array(vals) ? json_array_size(vals) : 1;
			c->values = arena_alloc(p, sizeof(*c->values) * (nv ? nv : 1));
			c->value_texts = arena_alloc(p, sizeof(char *) * (nv ? nv : 1));
			if (!c->values || !c->value_texts)
				return -1;
			c->nvalues = nv;
			if (json_is_array(vals)) {
				/* An empty list is accepted: AWS saves `"sub": []`
				 * (reference/sts.md §3.8); it matches nothing. */
				for (size_t i = 0; i < nv; i++) {
					size_t imark = tl_jpath_push_index(&p->path, i);
					if (compile_value(p, c, &c->values[i],
							  json_array_get(vals, i)) < 0)
						return -1;
					c->value_texts[i] = c->values[i].text;
					tl_jpath_pop(&p->path, imark);
				}
			} else {
				if (compile_value(p, c, &c->values[0], vals) < 0)
					return -1;
				c->value_texts[0] = c->values[0].text;
			}
			st->nconds++;
			tl_jpath_pop(&p->path, kmark);
		}
		tl_jpath_pop(&p->path, mark);
	}
	return 0;
}

/* --- principals (P9-P11, P23, P24) -------------------------------------- */

static bool
is_domain_name(const char *s)
{
	size_t label = 0, dots = 0;

	for (; *s; s++) {
		if (*s == '.') {
			if (label == 0)
				return false;
			label = 0;
			dots++;
		} else if (isalnum((unsigned char)*s) || *s == '-') {
			label++;
		} else {
			return false;
		}
	}
	return label > 0 && dots > 0;
}

static bool
is_provider_arn(const char *s)
{
	/* arn:<partition>:iam::<12 digits>:(oidc|saml)-provider/<name> */
	if (strncmp(s, "arn:aws", 7) != 0)
		return false;
	s += 7;
	while (*s == '-' || islower((unsigned char)*s))
		s++;
	if (strncmp(s, ":iam::", 6) != 0)
		return false;
	s += 6;
	for (int i = 0; i < 12; i++, s++)
		if (!isdigit((unsigned char)*s))
			return false;
	if (strncmp(s, ":oidc-provider/", 15) == 0)
		s += 15;
	else if (strncmp(s, ":saml-provider/", 15) == 0)
		s += 15;
	else
		return false;
	return *s != '\0';
}

static bool
is_aws_principal(const char *s)
{
	size_t n = strlen(s);

	if (n == 12 && strspn(s, "0123456789") == 12)
		return true;
	return strncmp(s, "arn:aws", 7) == 0 && strchr(s + 7, ':') != NULL;
}

static int
principal_strings(struct parser *p, const json_t *v, const char ***out, size_t *n, const char *type)
{
	size_t count = json_is_array(v) ? json_array_size(v) : 1;

	if (!json_is_string(v) && !json_is_array(v))
		return fail(p, TL_ERR_INVALID, "a %s principal is a string or a list of strings",
			    type);
	if (count == 0)
		return fail(p, TL_ERR_INVALID, "the %s principal list is empty", type);
	*out = arena_alloc(p, sizeof(char *) * count);
	if (!*out)
		return -1;
	for (size_t i = 0; i < count; i++) {
		const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
		size_t mark = json_is_array(v) ? tl_jpath_push_index(&p->path, i) : p->path.len;
		if (!json_is_string(e))
			return fail(p, TL_ERR_INVALID, "a %s principal is a string, not %s", type,
				    tl_json_type_name(e));
		const char *s = json_string_value(e);
		if (!*s)
			return fail(p, TL_ERR_INVALID, "empty %s principal", type);
		(*out)[i] = arena_strndup(p, s, strlen(s));
		if (!(*out)[i])
			return -1;
		tl_jpath_pop(&p->path, mark);
	}
	*n = count;
	return 0;
}

static int
parse_principal(struct parser *p, struct principal_list *pl, const json_t *v)
{
	const char *type;
	const json_t *val;

	if (json_is_string(v)) {
		if (strcmp(json_string_value(v), "*") != 0)
			return fail(p, TL_ERR_INVALID,
				    "Principal is \"*\" or an object such as {\"Federated\": "
				    "\"arn:aws:iam::123456789012:oidc-provider/...\"}, not '%s'",
				    json_string_value(v));
		pl->any = true;
		return 0;
	}
	if (!json_is_object(v))
		return fail(p, TL_ERR_INVALID, "Principal is \"*\" or an object, not %s",
			    tl_json_type_name(v));
	if (json_object_size(v) == 0)
		return fail(p, TL_ERR_INVALID, "Principal is empty");
	json_object_foreach((json_t *)v, type, val)
	{
		size_t mark = tl_jpath_push_key(&p->path, type);
		if (strcmp(type, "Federated") == 0) {
			if (principal_strings(p, val, &pl->federated, &pl->nfederated, type) < 0)
				return -1;
			for (size_t i = 0; i < pl->nfederated; i++)
				if (!is_provider_arn(pl->federated[i]) &&
				    !is_domain_name(pl->federated[i])) {
					if (json_is_array(val))
						tl_jpath_push_index(&p->path, i);
					return fail(p, TL_ERR_INVALID,
						    "Invalid principal in policy: '%s': Federated "
						    "principals must be valid domain names or "
						    "arn:aws:iam::ACCOUNT:oidc-provider/... or "
						    "saml-provider/... ARNs",
						    pl->federated[i]);
				}
		} else if (strcmp(type, "AWS") == 0) {
			if (principal_strings(p, val, &pl->aws, &pl->naws, type) < 0)
				return -1;
			for (size_t i = 0; i < pl->naws; i++) {
				if (strcmp(pl->aws[i], "*") == 0) {
					/* {"AWS": "*"} is the same as "*" (IAM User
					 * Guide, Principal element). */
					pl->any = true;
				} else if (!is_aws_principal(pl->aws[i])) {
					if (json_is_array(val))
						tl_jpath_push_index(&p->path, i);
					return fail(p, TL_ERR_INVALID,
						    "Invalid principal in policy: '%s' is neither "
						    "an account id nor an ARN",
						    pl->aws[i]);
				}
			}
		} else if (strcmp(type, "Service") == 0) {
			if (principal_strings(p, val, &pl->service, &pl->nservice, type) < 0)
				return -1;
			for (size_t i = 0; i < pl->nservice; i++)
				if (!is_domain_name(pl->service[i])) {
					if (json_is_array(val))
						tl_jpath_push_index(&p->path, i);
					return fail(p, TL_ERR_INVALID,
						    "Invalid principal in policy: service '%s' is "
						    "not a service name such as "
						    "'ec2.amazonaws.com'",
						    pl->service[i]);
				}
		} else if (strcmp(type, "CanonicalUser") == 0) {
			const char **tmp;
			if (principal_strings(p, val, &tmp, &pl->ncanonical, type) < 0)
				return -1;
		} else {
			return fail(p, TL_ERR_INVALID,
				    "unknown principal type '%s' (expected Federated, AWS, Service "
				    "or CanonicalUser)",
				    type);
		}
		tl_jpath_pop(&p->path, mark);
	}
	return 0;
}

/* --- actions (P13, P14) -------------------------------------------------- */

/* What a role trust policy may name (reference/sts.md §3.1). */
static const char *const trust_actions[] = {
	"sts:assumerole", "sts:assumerolewithwebidentity", "sts:assumerolewithsaml",
	"sts:tagsession", "sts:setsourceidentity",	   "sts:setcontext",
};
static const char *const other_sts_actions[] = {
	"sts:getcalleridentity",	  "sts:getsessiontoken",  "sts:getfederationtoken",
	"sts:decodeauthorizationmessage", "sts:getaccesskeyinfo", "sts:getservicebearertoken",
	"sts:getwebidentitytoken",	  "sts:assumeroot",	  "sts:getdelegatedaccesstoken",
};

static bool
pattern_matches_str(const struct pattern *pat, const char *s)
{
	return tl_policy_pattern_match(pat, NULL, s, strlen(s), true);
}

static int
parse_actions(struct parser *p, struct statement *st, const json_t *v, const char *field)
{
	size_t count = json_is_array(v) ? json_array_size(v) : 1;

	if (!json_is_string(v) && !json_is_array(v))
		return fail(p, TL_ERR_INVALID, "%s is a string or a list of strings, not %s", field,
			    tl_json_type_name(v));
	if (count == 0)
		return fail(p, TL_ERR_INVALID, "Policy statement must contain actions.");
	st->actions = arena_alloc(p, sizeof(*st->actions) * count);
	if (!st->actions)
		return -1;
	for (size_t i = 0; i < count; i++) {
		const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
		size_t mark = json_is_array(v) ? tl_jpath_push_index(&p->path, i) : p->path.len;
		struct name_pattern *a = &st->actions[i];
		unsigned nvars = 0;

		if (!json_is_string(e))
			return fail(p, TL_ERR_INVALID, "an action is a string, not %s",
				    tl_json_type_name(e));
		const char *s = json_string_value(e);
		size_t len = strlen(s);
		const char *colon = strchr(s, ':');
		if (strcmp(s, "*") != 0) {
			if (!colon || colon == s)
				return fail(p, TL_ERR_INVALID,
					    "action '%s': Actions/Conditions must be prefaced by a "
					    "vendor, e.g., iam, sdb, ec2, etc.",
					    s);
			if (strchr(colon + 1, ':'))
				return fail(p, TL_ERR_INVALID,
					    "action '%s': Actions/Condition can contain only one "
					    "colon.",
					    s);
			for (const char *c = s; c < colon; c++)
				if (!isalnum((unsigned char)*c) && *c != '-')
					return fail(p, TL_ERR_INVALID,
						    "action '%s': Vendor %.*s is not valid", s,
						    (int)(colon - s), s);
			if (colon[1] == '\0')
				return fail(p, TL_ERR_INVALID, "action '%s' names no action", s);
		}
		a->text = arena_strndup(p, s, len);
		if (!a->text || compile_pattern(p, a->text, len, true, false, &a->pat, &nvars) < 0)
			return -1;
		if (!st->not_action) {
			bool trust = false, other = false;
			for (size_t k = 0; k < sizeof(trust_actions) / sizeof(*trust_actions); k++)
				trust |= pattern_matches_str(&a->pat, trust_actions[k]);
			for (size_t k = 0;
			     k < sizeof(other_sts_actions) / sizeof(*other_sts_actions); k++)
				other |= pattern_matches_str(&a->pat, other_sts_actions[k]);
			if (!trust || other || strncasecmp(s, "sts:", 4) != 0)
				return fail(p, TL_ERR_INVALID,
					    "action '%s': AssumeRole policy may only specify STS "
					    "AssumeRole actions.",
					    s);
		}
		tl_jpath_pop(&p->path, mark);
	}
	st->nactions = count;
	return 0;
}

/* --- statements (P5-P16) ------------------------------------------------- */

static int
parse_statement(struct parser *p, struct statement *st, const json_t *s)
{
	static const char *const allowed[] = {"Sid",	   "Effect",	"Principal", "NotPrincipal",
					      "Action",	   "NotAction", "Resource",  "NotResource",
					      "Condition", NULL};
	const json_t *v;
	size_t mark;

	if (!json_is_object(s))
		return fail(p, TL_ERR_INVALID, "a statement is an object, not %s",
			    tl_json_type_name(s));
	if (tl_json_only_keys(s, allowed, &p->path, p->err) < 0)
		return -1;
	/* P12: the role is the resource; IAM's own message. */
	if (json_object_get(s, "Resource"))
		return fail(p, TL_ERR_INVALID, "Has prohibited field Resource");
	if (json_object_get(s, "NotResource"))
		return fail(p, TL_ERR_INVALID, "Has prohibited field NotResource");

	if ((v = json_object_get(s, "Sid"))) {
		mark = tl_jpath_push_key(&p->path, "Sid");
		if (!json_is_string(v))
			return fail(p, TL_ERR_INVALID, "Sid is a string, not %s",
				    tl_json_type_name(v));
		const char *sid = json_string_value(v);
		for (const char *c = sid; *c; c++)
			if (!isalnum((unsigned char)*c))
				return fail(p, TL_ERR_INVALID,
					    "Sid '%s' may contain only ASCII letters and digits",
					    sid);
		st->sid = arena_strndup(p, sid, strlen(sid));
		if (!st->sid)
			return -1;
		tl_jpath_pop(&p->path, mark);
	}

	v = json_object_get(s, "Effect");
	if (!v)
		return fail(p, TL_ERR_INVALID, "the statement has no Effect (Allow or Deny)");
	mark = tl_jpath_push_key(&p->path, "Effect");
	if (json_is_string(v) && strcmp(json_string_value(v), "Allow") == 0)
		st->allow = true;
	else if (json_is_string(v) && strcmp(json_string_value(v), "Deny") == 0)
		st->allow = false;
	else if (json_is_string(v))
		return fail(p, TL_ERR_INVALID,
			    "'%s' is not a valid effect: Allow or Deny, spelt exactly",
			    json_string_value(v));
	else
		return fail(p, TL_ERR_INVALID, "Effect is the string Allow or Deny, not %s",
			    tl_json_type_name(v));
	tl_jpath_pop(&p->path, mark);

	const json_t *pr = json_object_get(s, "Principal");
	const json_t *npr = json_object_get(s, "NotPrincipal");
	if (pr && npr)
		return fail(p, TL_ERR_INVALID,
			    "a statement has Principal or NotPrincipal, not both");
	if (npr) {
		tl_jpath_push_key(&p->path, "NotPrincipal");
		return fail(p, TL_ERR_INVALID,
			    st->allow ? "NotPrincipal is not allowed in a role trust policy, and "
					"never with Allow"
				      : "NotPrincipal is not allowed in a role trust policy");
	}
	if (!pr)
		return fail(p, TL_ERR_INVALID,
			    "a role trust policy statement needs a Principal (who may assume "
			    "the role)");
	mark = tl_jpath_push_key(&p->path, "Principal");
	if (parse_principal(p, &st->principal, pr) < 0)
		return -1;
	tl_jpath_pop(&p->path, mark);

	const json_t *act = json_object_get(s, "Action");
	const json_t *nact = json_object_get(s, "NotAction");
	if (act && nact)
		return fail(p, TL_ERR_INVALID, "a statement has Action or NotAction, not both");
	if (!act && !nact)
		return fail(p, TL_ERR_INVALID, "Policy statement must contain actions.");
	st->not_action = nact != NULL;
	mark = tl_jpath_push_key(&p->path, act ? "Action" : "NotAction");
	if (parse_actions(p, st, act ? act : nact, act ? "Action" : "NotAction") < 0)
		return -1;
	tl_jpath_pop(&p->path, mark);

	if ((v = json_object_get(s, "Condition"))) {
		mark = tl_jpath_push_key(&p->path, "Condition");
		if (parse_condition_block(p, st, v) < 0)
			return -1;
		tl_jpath_pop(&p->path, mark);
	}
	return 0;
}

static int
parse_document(struct parser *p, const json_t *doc)
{
	static const char *const allowed[] = {"Version", "Id", "Statement", NULL};
	struct tl_policy *pol = p->policy;
	const json_t *v;

	if (!json_is_object(doc))
		return fail(p, TL_ERR_SYNTAX, "a policy is a JSON object, not %s",
			    tl_json_type_name(doc));
	if (tl_json_only_keys(doc, allowed, &p->path, p->err) < 0)
		return -1;

	v = json_object_get(doc, "Version");
	if (v) {
		size_t mark = tl_jpath_push_key(&p->path, "Version");
		if (!json_is_string(v) || (strcmp(json_string_value(v), "2012-10-17") != 0 &&
					   strcmp(json_string_value(v), "2008-10-17") != 0)) {
			char shown[64];
			if (json_is_string(v))
				snprintf(shown, sizeof(shown), "'%.40s'", json_string_value(v));
			else
				snprintf(shown, sizeof(shown), "%s", tl_json_type_name(v));
			return fail(p, TL_ERR_INVALID,
				    "Version is \"2012-10-17\" or \"2008-10-17\", not %s", shown);
		}
		tl_jpath_pop(&p->path, mark);
		pol->version = arena_strndup(p, json_string_value(v), 10);
		pol->variables = strcmp(json_string_value(v), "2012-10-17") == 0;
	} else {
		pol->version = arena_strndup(p, "", 0);
	}
	if (!pol->version)
		return -1;
	if ((v = json_object_get(doc, "Id")) && !json_is_string(v)) {
		tl_jpath_push_key(&p->path, "Id");
		return fail(p, TL_ERR_INVALID, "Id is a string, not %s", tl_json_type_name(v));
	}

	v = json_object_get(doc, "Statement");
	if (!v)
		return fail(p, TL_ERR_INVALID, "the policy has no Statement");
	if (json_is_array(v)) {
		if (json_array_size(v) == 0) {
			tl_jpath_push_key(&p->path, "Statement");
			return fail(p, TL_ERR_INVALID, "Statement is an empty list");
		}
		pol->nstmts = json_array_size(v);
		p->stmt_array = true;
	} else if (json_is_object(v)) {
		pol->nstmts = 1;
	} else {
		tl_jpath_push_key(&p->path, "Statement");
		return fail(p, TL_ERR_INVALID, "Statement is an object or a list, not %s",
			    tl_json_type_name(v));
	}
	pol->stmts = arena_alloc(p, sizeof(*pol->stmts) * pol->nstmts);
	if (!pol->stmts)
		return -1;
	for (size_t i = 0; i < pol->nstmts; i++) {
		size_t mark = tl_jpath_push_key(&p->path, "Statement");
		if (json_is_array(v))
			tl_jpath_push_index(&p->path, i);
		if (parse_statement(p, &pol->stmts[i],
				    json_is_array(v) ? json_array_get(v, i) : v) < 0)
			return -1;
		/* P15 */
		for (size_t k = 0; pol->stmts[i].sid && *pol->stmts[i].sid && k < i; k++)
			if (pol->stmts[k].sid &&
			    strcmp(pol->stmts[k].sid, pol->stmts[i].sid) == 0) {
				tl_jpath_push_key(&p->path, "Sid");
				return fail(p, TL_ERR_INVALID,
					    "Statement IDs (SID) in a single policy must be "
					    "unique: '%s' is also Statement[%zu]'s",
					    pol->stmts[i].sid, k);
			}
		tl_jpath_pop(&p->path, mark);
	}
	return 0;
}

/* --- shared OIDC providers (reference/sts.md §3.8) ----------------------- */

/* The AWS table as captured 2026-09-11; keys are the accepted claim names. */
static const struct {
	const char *issuer;
	const char *keys[2];
} shared_providers[] = {
	{"token.actions.githubusercontent.com", {"sub", "job_workflow_ref"}},
	{"oidc-configuration.audit-log.githubusercontent.com", {"sub"}},
	{"vstoken.actions.githubusercontent.com", {"sub"}},
	{"gitlab.com", {"sub"}},
	{"app.terraform.io", {"sub"}},
	{"agent.buildkite.com", {"sub"}},
	{"oidc.codefresh.io", {"sub"}},
	{"studio.datachain.ai/api", {"sub"}},
	{"scalr.io", {"sub"}},
	{"tokens.cloud.shisho.dev", {"sub"}},
	{"proidc.upbound.io", {"sub"}},
	{"cognito-identity.amazonaws.com", {"aud"}},
	{"api.pulumi.com/oidc", {"aud"}},
	{"sandboxes.cloud", {"aud"}},
	{"oidc.vercel.com", {"aud"}},
};

/* The issuer a Federated principal names: the ARN's provider part, or the name. */
static const char *
principal_issuer(const char *principal)
{
	const char *slash = strstr(principal, ":oidc-provider/");

	return slash ? slash + strlen(":oidc-provider/") : principal;
}

/*
 * "Scoped to all": empty, or only wildcards with at least one `*`. AWS
 * refuses "*", "**", "*?" and "" and accepts "?", "[]" and "repo:*": the
 * check is syntactic, whatever the operator.
 */
static bool
value_scoped_to_all(const char *v)
{
	return *v == '\0' || (strspn(v, "*?") == strlen(v) && strchr(v, '*'));
}

static bool
pins_claim(const struct statement *st, const char *issuer, const char *const keys[2])
{
	for (size_t k = 0; k < st->nconds; k++) {
		const struct condition *c = &st->conds[k];
		size_t ilen = strlen(issuer);

		/* StringEquals, StringLike, StringEqualsIgnoreCase, qualified
		 * or not; never negated or IfExists. */
		if (c->op->family != FAM_STRING || c->op->negated || c->if_exists)
			continue;
		if (strncasecmp(c->key, issuer, ilen) != 0 || c->key[ilen] != ':')
			continue;
		bool named = false;
		for (int i = 0; i < 2 && keys[i]; i++)
			named |= strcasecmp(c->key + ilen + 1, keys[i]) == 0;
		if (!named)
			continue;
		bool all = false;
		for (size_t i = 0; i < c->nvalues; i++)
			all |= value_scoped_to_all(c->value_texts[i]);
		if (!all)
			return true;
	}
	return false;
}

static int
check_shared_providers(struct parser *p)
{
	const struct tl_policy *pol = p->policy;

	for (size_t i = 0; i < pol->nstmts; i++) {
		const struct statement *st = &pol->stmts[i];
		bool arwwi = false;

		if (!st->allow)
			continue;
		for (size_t a = 0; a < st->nactions; a++)
			arwwi |= pattern_matches_str(&st->actions[a].pat,
						     "sts:assumerolewithwebidentity");
		if (st->not_action ? arwwi : !arwwi)
			continue;
		for (size_t f = 0; f < st->principal.nfederated; f++) {
			const char *principal = st->principal.federated[f];
			const char *issuer = principal_issuer(principal);
			for (size_t k = 0; k < sizeof(shared_providers) / sizeof(*shared_providers);
			     k++) {
				if (strcmp(issuer, shared_providers[k].issuer) != 0)
					continue;
				if (pins_claim(st, issuer, shared_providers[k].keys))
					continue;
				tl_jpath_init(&p->path, NULL);
				tl_jpath_push_key(&p->path, "Statement");
				if (p->stmt_array)
					tl_jpath_push_index(&p->path, i);
				if (shared_providers[k].keys[1])
					return fail(
						p, TL_ERR_INVALID,
						"Trust policy with trusted principal %s must "
						"evaluate, using StringEquals, StringLike or "
						"StringEqualsIgnoreCase, %s:%s or %s:%s which is "
						"not scoped to all.",
						principal, issuer, shared_providers[k].keys[0],
						issuer, shared_providers[k].keys[1]);
				return fail(p, TL_ERR_INVALID,
					    "Trust policy with trusted principal %s must evaluate, "
					    "using StringEquals, StringLike or "
					    "StringEqualsIgnoreCase, %s:%s which is not scoped to "
					    "all.",
					    principal, issuer, shared_providers[k].keys[0]);
			}
		}
	}
	return 0;
}

struct tl_policy *
tl_policy_parse(const char *json, size_t len, const struct tl_policy_limits *limits,
		struct tl_error *err)
{
	size_t max_chars = limits && limits->max_chars ? limits->max_chars : TL_POLICY_SIZE_DEFAULT;
	/* Whitespace is free, so the raw size is capped separately. */
	const struct tl_json_limits jl = {.max_bytes = 256 * 1024, .max_depth = 16};
	struct parser p = {.err = err};
	struct tl_error jerr;
	json_t *doc;

	if (max_chars > TL_POLICY_SIZE_MAX)
		max_chars = TL_POLICY_SIZE_MAX;
	if (!json) {
		tl_error_set(err, TL_ERR_SYNTAX, "no policy document");
		return NULL;
	}
	if (check_text(json, len, max_chars, err) < 0)
		return NULL;
	doc = tl_json_load(json, len, &jl, "policy", &jerr);
	if (!doc) {
		if (err) {
			*err = jerr;
			if (err->code == TL_ERR_LIMIT)
				err->code = TL_ERR_SYNTAX;
		}
		return NULL;
	}
	p.policy = calloc(1, sizeof(*p.policy));
	if (!p.policy) {
		json_decref(doc);
		tl_error_set(err, TL_ERR_NOMEM, "out of memory parsing the policy");
		return NULL;
	}
	tl_jpath_init(&p.path, NULL);
	if (parse_document(&p, doc) < 0 ||
	    (limits && limits->shared_provider_controls && check_shared_providers(&p) < 0)) {
		json_decref(doc);
		tl_policy_free(p.policy);
		return NULL;
	}
	json_decref(doc);
	return p.policy;
}

void
tl_policy_free(struct tl_policy *policy)
{
	if (!policy)
		return;
	for (struct arena_block *b = policy->arena, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(policy);
}

const char *
tl_policy_aws_error(const struct tl_error *err)
{
	return err && err->code == TL_ERR_LIMIT ? "LimitExceeded" : "MalformedPolicyDocument";
}

size_t
tl_policy_statement_count(const struct tl_policy *policy)
{
	return policy->nstmts;
}

const char *
tl_policy_version(const struct tl_policy *policy)
{
	return policy->version;
}
