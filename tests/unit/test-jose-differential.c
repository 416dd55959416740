/* SPDX-License-Identifier: MIT */
/*
 * Differential checks of the token verifier (issue 11 item 2,
 * reference/reliability.md §4.6 F3): every token of the corpus
 * tests/data/tokens (built by jose-cases.c with the case's JWKS, verifier
 * settings and clock) is mutated, and no mutant may verify.
 *
 *   reject_mutants   every case (must-reject and accept alike): seeded
 *                    bit flips, part permutations, '=' padding added,
 *                    standard-alphabet base64, whitespace inserted,
 *                    duplicated and dropped parts, header and payload
 *                    JSON re-serialised (sorted keys, reversed keys,
 *                    spaced, indented, first member duplicated) and
 *                    re-encoded under the old signature.
 *   accept_bytes     every accept case: each byte of header.payload and
 *                    of the signature replaced by several values.
 *   libjwt_oracle    libjwt 1.10.2 as an independent verifier of the
 *                    signature (docs/architecture.md "lib/jose and
 *                    libjwt"): it accepts every RS and ES accept token,
 *                    and never once does trustlab accept a mutant that
 *                    libjwt refuses. Where libjwt accepts a mutant
 *                    trustlab refuses, the mutant must decode to the
 *                    very same bytes (libb64 ignores a last character's
 *                    unused bits; trustlab requires canonical base64url,
 *                    §2.1): the only benign single-byte changes there are,
 *                    and trustlab still refuses them.
 *
 * Exclusion, the only one: a mutant byte-identical to a token that
 * verifies (the original of an accept case, or the pre-"mutate" token of a
 * reject case, e.g. a bit flip that undoes a noncanonical last character)
 * is counted as "reverted", not checked (a mutation that changes nothing,
 * e.g. the standard alphabet on a part without '-' or '_', is a skipped
 * "no-op"). Deterministic: a fixed seed and bounded counts (the ES and PS
 * corpus tokens are signed afresh each run, so a count can move by a few
 * where a replacement value happens to equal the original byte). Under
 * valgrind, which only looks for memory errors here, the sweep is thinned
 * (every third case, 8 bit flips, every 7th byte with 2 values, libjwt
 * on the original tokens only); the plain and sanitizer runs do it all. Each test prints its
 * counts on stderr.
 */
#include "config.h"

#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <valgrind/valgrind.h>

#include "jose-cases.h"
#include "jose/base64url.h"
#include "test-common.h"

#define MAX_CASES 512
#define BIT_FLIPS 48
#define SEED 0x7472757374UL /* "trust" */

static char *case_files[MAX_CASES];
static int case_count;

static void
setup(void)
{
	ck_assert_msg(tl_test_arg(0) && tl_test_arg(1),
		      "usage: test-jose-differential TOKENS_DIR KEYS_DIR");
	jose_cases_setup(tl_test_arg(1));
}

/* xorshift64*: the same mutants on every run and machine */
static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

/* --- verdicts ------------------------------------------------------------ */

struct counts {
	long mutants; /* verified */
	long reverted; /* identical to a token that verifies: not checked */
	long noop; /* identical to the token mutated (nothing to change): skipped */
	long libjwt_checked, libjwt_accepted_benign, libjwt_refused_valid;
};

static bool
accepts(const struct jose_case *jc, const char *t, size_t len)
{
	struct tl_jws_result res;
	enum tl_jws_reason r = tl_jws_verify(t, len, jc->jwks, &jc->expect, &jc->clock, &res);

	ck_assert_msg(res.message[0] != '\0', "case %s: a verdict without a message", jc->name);
	tl_jws_result_finish(&res);
	return r == TL_JWS_OK;
}

/* A token the case's settings verify, or NULL: what "reverted" compares to. */
struct base {
	const char *valid; /* borrowed */
	size_t valid_len;
	char *own;
	const char *cur; /* the token being mutated */
	size_t cur_len;
};

static void
check_mutant(const struct jose_case *jc, const struct base *b, const char *kind, const char *m,
	     size_t len, struct counts *n)
{
	if (b->cur && len == b->cur_len && memcmp(m, b->cur, len) == 0) {
		n->noop++;
		return;
	}
	if (b->valid && len == b->valid_len && memcmp(m, b->valid, len) == 0) {
		n->reverted++;
		return;
	}
	ck_assert_msg(!accepts(jc, m, len), "case %s: %s mutant ACCEPTED: %.*s", jc->name, kind,
		      (int)len, m);
	n->mutants++;
}

/* --- mutant makers ---------------------------------------------------------- */

struct parts {
	size_t start[8], len[8];
	int count;
};

static void
split(const char *t, size_t len, struct parts *p)
{
	size_t s = 0;

	p->count = 0;
	for (size_t i = 0; i <= len && p->count < 8; i++) {
		if (i == len || t[i] == '.') {
			p->start[p->count] = s;
			p->len[p->count++] = i - s;
			s = i + 1;
		}
	}
}

/* Joins the listed parts of `t` with dots. */
static char *
join(const char *t, const struct parts *p, const int *order, int n, size_t *len)
{
	size_t total = 0, at = 0;
	char *out;

	for (int i = 0; i < n; i++)
		total += p->len[order[i]] + 1;
	out = malloc(total + 1);
	for (int i = 0; i < n; i++) {
		memcpy(out + at, t + p->start[order[i]], p->len[order[i]]);
		at += p->len[order[i]];
		if (i + 1 < n)
			out[at++] = '.';
	}
	out[at] = '\0';
	*len = at;
	return out;
}

/* `t` with [at, at+remove) replaced by `ins` (ins_len bytes). */
static char *
replace(const char *t, size_t len, size_t at, size_t remove, const char *ins, size_t ins_len,
	size_t *out_len)
{
	char *out = malloc(len - remove + ins_len + 1);

	memcpy(out, t, at);
	memcpy(out + at, ins, ins_len);
	memcpy(out + at + ins_len, t + at + remove, len - at - remove);
	*out_len = len - remove + ins_len;
	out[*out_len] = '\0';
	return out;
}

static void
try_replace(const struct jose_case *jc, const struct base *b, const char *kind, const char *t,
	    size_t len, size_t at, size_t remove, const char *ins, struct counts *n)
{
	size_t ml;
	char *m = replace(t, len, at, remove, ins, strlen(ins), &ml);

	check_mutant(jc, b, kind, m, ml, n);
	free(m);
}

/* The JSON re-serialisations of one decoded part. */
static void
json_variants(const struct jose_case *jc, const struct base *b, const char *t, size_t len,
	      const struct parts *p, int part, struct counts *n)
{
	unsigned char *raw;
	size_t raw_len;
	json_t *obj, *rev;
	const char *key;
	json_t *value;
	char *texts[6] = {NULL};
	int nt = 0;

	if (part >= p->count)
		return;
	raw = tl_b64url_decode_alloc(t + p->start[part], p->len[part], &raw_len, NULL);
	if (!raw)
		return;
	obj = json_loadb((const char *)raw, raw_len, 0, NULL);
	free(raw);
	if (!json_is_object(obj) || json_object_size(obj) == 0) {
		json_decref(obj);
		return;
	}
	texts[nt++] = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	texts[nt++] = json_dumps(obj, 0); /* ", " and ": " */
	texts[nt++] = json_dumps(obj, JSON_INDENT(2));
	rev = json_object();
	{
		const char *keys[64];
		size_t k = 0;
		json_object_foreach(obj, key, value)
		{
			if (k < 64)
				keys[k++] = key;
		}
		while (k-- > 0)
			json_object_set(rev, keys[k], json_object_get(obj, keys[k]));
	}
	texts[nt++] = json_dumps(rev, JSON_COMPACT);
	{
		/* the first member once more at the end: {"a":1,...,"a":1} */
		char *compact = json_dumps(obj, JSON_COMPACT);
		void *it = json_object_iter(obj);
		char *member =
			json_dumps(json_object_iter_value(it), JSON_COMPACT | JSON_ENCODE_ANY);
		json_t *k = json_string(json_object_iter_key(it));
		char *ktext = json_dumps(k, JSON_ENCODE_ANY);
		size_t cl = strlen(compact);
		char *dup = malloc(cl + strlen(ktext) + strlen(member) + 3);
		sprintf(dup, "%.*s,%s:%s}", (int)(cl - 1), compact, ktext, member);
		texts[nt++] = dup;
		free(compact);
		free(member);
		free(ktext);
		json_decref(k);
	}
	for (int i = 0; i < nt; i++) {
		char *enc = tl_b64url_encode_alloc(texts[i], strlen(texts[i]));
		try_replace(jc, b, part == 0 ? "header-json" : "payload-json", t, len,
			    p->start[part], p->len[part], enc, n);
		free(enc);
		free(texts[i]);
	}
	json_decref(rev);
	json_decref(obj);
}

static void
reencodings(const struct jose_case *jc, struct base *b, const char *t, size_t len, struct counts *n)
{
	struct parts p;
	static const int perms[][3] = {{0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
	static const int dups[][4] = {{0, 0, 2, -1}, {0, 1, 1, -1}, {0, 1, 2, 2},
				      {0, 0, 1, 2},  {0, 1, 1, 2},  {0, 1, -1, -1}};
	static const char *const spaces[] = {" ", "\n", "\t", "\r\n"};
	char *m;
	size_t ml;

	b->cur = t;
	b->cur_len = len;
	split(t, len, &p);
	/* part permutations and duplicated/dropped parts */
	if (p.count >= 3) {
		for (size_t i = 0; i < sizeof perms / sizeof perms[0]; i++) {
			m = join(t, &p, perms[i], 3, &ml);
			check_mutant(jc, b, "swap", m, ml, n);
			free(m);
		}
		for (size_t i = 0; i < sizeof dups / sizeof dups[0]; i++) {
			int k = 0;
			while (k < 4 && dups[i][k] >= 0)
				k++;
			m = join(t, &p, dups[i], k, &ml);
			check_mutant(jc, b, "duplicate-part", m, ml, n);
			free(m);
		}
	} else if (p.count == 2) {
		static const int two[] = {1, 0};
		m = join(t, &p, two, 2, &ml);
		check_mutant(jc, b, "swap", m, ml, n);
		free(m);
	}
	for (int part = 0; part < p.count && part < 3; part++) {
		size_t end = p.start[part] + p.len[part];
		/* '=' padding to a multiple of four (and always at least one) */
		size_t pad = (4 - p.len[part] % 4) % 4;
		try_replace(jc, b, "padding", t, len, end, 0, pad == 2 ? "==" : "=", n);
		/* standard alphabet */
		m = malloc(len + 1);
		memcpy(m, t, len);
		m[len] = '\0';
		for (size_t i = p.start[part]; i < end; i++)
			m[i] = m[i] == '-' ? '+' : m[i] == '_' ? '/' : m[i];
		check_mutant(jc, b, "std-alphabet", m, len, n);
		free(m);
		/* whitespace at the part's start, middle and end */
		for (size_t s = 0; s < 4; s++) {
			try_replace(jc, b, "whitespace", t, len, p.start[part], 0, spaces[s], n);
			try_replace(jc, b, "whitespace", t, len, p.start[part] + p.len[part] / 2, 0,
				    spaces[s], n);
			try_replace(jc, b, "whitespace", t, len, end, 0, spaces[s], n);
		}
	}
	json_variants(jc, b, t, len, &p, 0, n);
	json_variants(jc, b, t, len, &p, 1, n);
	/* seeded bit flips anywhere */
	m = malloc(len + 1);
	for (int i = 0; i < (RUNNING_ON_VALGRIND ? 8 : BIT_FLIPS) && len > 0; i++) {
		size_t pos = (size_t)(rng_next() % len);
		memcpy(m, t, len);
		m[len] = '\0';
		m[pos] = (char)(m[pos] ^ (1 << (rng_next() % 8)));
		check_mutant(jc, b, "bit-flip", m, len, n);
	}
	free(m);
}

/* The case's token before "mutate", when it verifies: the "reverted" reference. */
static void
base_of(const struct jose_case *jc, struct base *b)
{
	memset(b, 0, sizeof(*b));
	if (strcmp(jc->result, "accept") == 0) {
		b->valid = jc->token;
		b->valid_len = jc->len;
		return;
	}
	if (!json_object_get(jc->doc, "mutate") || json_object_get(jc->doc, "token") ||
	    json_object_get(jc->doc, "signature_from"))
		return;
	b->own = jose_case_build_token(jc->name, jc->doc);
	if (accepts(jc, b->own, strlen(b->own))) {
		b->valid = b->own;
		b->valid_len = strlen(b->own);
	}
}

START_TEST(reject_mutants)
{
	struct counts n = {0};
	int rejects = 0, visited = 0;

	rng_state = SEED;
	for (int i = 0; i < case_count; i += RUNNING_ON_VALGRIND ? 3 : 1) {
		struct jose_case jc;
		struct base b;

		jose_case_load(tl_test_arg(0), case_files[i], &jc);
		base_of(&jc, &b);
		rejects += strcmp(jc.result, "accept") != 0;
		visited++;
		reencodings(&jc, &b, jc.token, jc.len, &n);
		free(b.own);
		jose_case_finish(&jc);
	}
	fprintf(stderr,
		"# reject_mutants: %d cases (%d must-reject): %ld mutants verified, 0 accepted; "
		"%ld reverted to a valid token (not checked), %ld no-ops skipped\n",
		visited, rejects, n.mutants, n.reverted, n.noop);
	ck_assert_int_ge(rejects, RUNNING_ON_VALGRIND ? 50 : 150);
	ck_assert_int_gt(n.mutants, (RUNNING_ON_VALGRIND ? 40L : 80L) * visited);
}
END_TEST

START_TEST(accept_bytes)
{
	struct counts n = {0};
	int accepts_seen = 0;
	const bool slow = RUNNING_ON_VALGRIND;

	for (int i = 0; i < case_count; i++) {
		struct jose_case jc;
		struct base b;
		char *m;

		jose_case_load(tl_test_arg(0), case_files[i], &jc);
		if (strcmp(jc.result, "accept") != 0) {
			jose_case_finish(&jc);
			continue;
		}
		accepts_seen++;
		ck_assert_msg(accepts(&jc, jc.token, jc.len), "case %s: the original is refused",
			      jc.name);
		base_of(&jc, &b);
		m = malloc(jc.len + 1);
		for (size_t pos = 0; pos < jc.len; pos += slow ? 7 : 1) {
			unsigned char c = (unsigned char)jc.token[pos];
			const unsigned char all[] = {
				c ^ 0x01, (unsigned char)(c + 1), c ^ 0x20, '=', '.', 'A'};
			const unsigned char few[] = {c ^ 0x01, '.'};
			const unsigned char *vals = slow ? few : all;
			size_t nv = slow ? sizeof few : sizeof all;
			for (size_t v = 0; v < nv; v++) {
				bool repeat = vals[v] == c;
				for (size_t w = 0; w < v; w++)
					repeat |= vals[w] == vals[v];
				if (repeat)
					continue;
				memcpy(m, jc.token, jc.len);
				m[pos] = (char)vals[v];
				check_mutant(&jc, &b, "single-byte", m, jc.len, &n);
			}
		}
		free(m);
		jose_case_finish(&jc);
	}
	fprintf(stderr,
		"# accept_bytes: %d accept tokens, %s byte of header.payload and signature "
		"replaced: %ld mutants verified, 0 accepted (%s values per byte)\n",
		accepts_seen, slow ? "every 7th" : "every", n.mutants, slow ? "2" : "up to 6");
	ck_assert_int_ge(accepts_seen, 30);
}
END_TEST

/* --- libjwt as an independent oracle ------------------------------------------ */

static jwt_alg_t
libjwt_alg(enum tl_jose_alg a)
{
	switch (a) {
	case TL_JOSE_ALG_RS256:
		return JWT_ALG_RS256;
	case TL_JOSE_ALG_RS384:
		return JWT_ALG_RS384;
	case TL_JOSE_ALG_RS512:
		return JWT_ALG_RS512;
	case TL_JOSE_ALG_ES256:
		return JWT_ALG_ES256;
	case TL_JOSE_ALG_ES384:
		return JWT_ALG_ES384;
	case TL_JOSE_ALG_ES512:
		return JWT_ALG_ES512;
	default:
		return JWT_ALG_INVAL; /* PS*: libjwt 1.10.2 has none */
	}
}

/* libjwt's verdict with the public PEM, its alg pinned by the post-check. */
static bool
libjwt_accepts(const char *t, const char *pem, size_t pem_len, jwt_alg_t alg)
{
	jwt_t *j = NULL;
	bool ok = jwt_decode(&j, t, (const unsigned char *)pem, (int)pem_len) == 0 &&
		  jwt_get_alg(j) == alg;

	jwt_free(j);
	return ok;
}

/* Do both tokens decode, part by part, to the same bytes (libb64's view)? */
static bool
same_decoded(const char *a, const char *b)
{
	struct parts pa, pb;
	bool same = true;

	split(a, strlen(a), &pa);
	split(b, strlen(b), &pb);
	if (pa.count != pb.count)
		return false;
	for (int i = 0; i < pa.count && same; i++) {
		/* decode leniently: clear the unused bits of the last character */
		char x[4096], y[4096];
		unsigned char dx[4096], dy[4096];
		size_t lx = pa.len[i], ly = pb.len[i], nx = 0, ny = 0;
		if (lx >= sizeof x || ly >= sizeof y)
			return false;
		memcpy(x, a + pa.start[i], lx);
		memcpy(y, b + pb.start[i], ly);
		for (int k = 0; k < 2; k++) {
			char *s = k ? y : x;
			size_t l = k ? ly : lx;
			static const char alpha[] =
				"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				"0123456789-_";
			const char *at = l ? strchr(alpha, s[l - 1]) : NULL;
			if (at && *at && (l % 4 == 2 || l % 4 == 3)) {
				int keep = l % 4 == 2 ? 0x30 : 0x3c;
				s[l - 1] = alpha[(at - alpha) & keep];
			}
		}
		same = tl_b64url_decode(x, lx, dx, &nx, NULL) == TL_B64URL_OK &&
		       tl_b64url_decode(y, ly, dy, &ny, NULL) == TL_B64URL_OK && nx == ny &&
		       memcmp(dx, dy, nx) == 0;
	}
	return same;
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

START_TEST(libjwt_oracle)
{
	struct counts n = {0};
	int tokens = 0;
	const bool slow = RUNNING_ON_VALGRIND;

	for (int i = 0; i < case_count; i++) {
		struct jose_case jc;
		struct tl_jws_result res;
		char *pem = NULL, *m;
		size_t pem_len = 0;
		jwt_alg_t alg;
		struct tl_error err;
		const char *sig;

		jose_case_load(tl_test_arg(0), case_files[i], &jc);
		if (strcmp(jc.result, "accept") != 0 ||
		    tl_jws_verify(jc.token, jc.len, jc.jwks, &jc.expect, &jc.clock, &res) !=
			    TL_JWS_OK ||
		    (alg = libjwt_alg(res.alg)) == JWT_ALG_INVAL) {
			if (strcmp(jc.result, "accept") == 0)
				tl_jws_result_finish(&res);
			jose_case_finish(&jc);
			continue;
		}
		tokens++;
		tl_error_clear(&err);
		ck_assert_msg(tl_jose_key_to_pem(res.key, false, &pem, &pem_len, &err) == 0,
			      "case %s: %s", jc.name, err.message);
		tl_jws_result_finish(&res);
		if (!libjwt_accepts(jc.token, pem, pem_len, alg)) {
			/* an independent implementation refuses a token trustlab accepts */
			n.libjwt_refused_valid++;
			fprintf(stderr, "# libjwt refuses accept case %s\n", jc.name);
		}
		/* every position, replaced by the next base64url character: the
		 * structure stays, so libjwt's verdict is about the signature */
		sig = strrchr(jc.token, '.');
		m = strdup(jc.token);
		for (size_t pos = 0; !slow && m[pos]; pos++) {
			const char *at = strchr(b64url, jc.token[pos]);
			bool mine, theirs;
			if (jc.token[pos] == '.' || !at)
				continue;
			/* the signed part at every 3rd position (libjwt parses the PEM each
			 * time), the signature at every one */
			if (jc.token + pos < sig && pos % 3 != 0)
				continue;
			m[pos] = b64url[(at - b64url + 1) % 64];
			mine = accepts(&jc, m, jc.len);
			theirs = libjwt_accepts(m, pem, pem_len, alg);
			ck_assert_msg(!mine, "case %s: mutant at %zu ACCEPTED", jc.name, pos);
			if (theirs) {
				ck_assert_msg(
					same_decoded(m, jc.token),
					"case %s: libjwt accepts a different signature at %zu",
					jc.name, pos);
				n.libjwt_accepted_benign++;
			}
			n.libjwt_checked++;
			m[pos] = jc.token[pos];
		}
		free(m);
		free(pem);
		jose_case_finish(&jc);
	}
	fprintf(stderr,
		"# libjwt_oracle: %d RS/ES accept tokens (libjwt refuses %ld); %ld mutants "
		"checked by both: trustlab accepted 0, libjwt accepted %ld, each decoding to the "
		"original bytes (a noncanonical last character)\n",
		tokens, n.libjwt_refused_valid, n.libjwt_checked, n.libjwt_accepted_benign);
	ck_assert_int_ge(tokens, 15);
	ck_assert_int_eq(n.libjwt_refused_valid, 0);
	if (!slow)
		ck_assert_int_gt(n.libjwt_checked, 1000);
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("jose-differential");
	TCase *tc = tcase_create("differential");

	case_count = jose_cases_list(tl_test_arg(0), case_files, MAX_CASES);
	tcase_add_unchecked_fixture(tc, setup, jose_cases_teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, reject_mutants);
	tcase_add_test(tc, accept_bytes);
	tcase_add_test(tc, libjwt_oracle);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
