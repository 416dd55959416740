/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sts/sigv4.h"

#define CANONICAL_MAX (256 * 1024)

static const char *
find_header(const struct tl_sts_http_request *req, const char *name)
{
	for (size_t i = 0; i < req->header_count; i++) {
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	}
	return NULL;
}

void
tl_sts_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void
hmac(const void *key, size_t key_len, const char *msg, unsigned char out[32])
{
	unsigned int n = 32;

	HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, strlen(msg), out, &n);
}

int
tl_sts_sigv4_format_date(int64_t t, char out[TL_STS_AMZ_DATE_LEN + 1])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
		return -1;
	char tmp[64];

	snprintf(tmp, sizeof(tmp), "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	memcpy(out, tmp, TL_STS_AMZ_DATE_LEN);
	out[TL_STS_AMZ_DATE_LEN] = '\0';
	return 0;
}

int
tl_sts_sigv4_parse_date(const char *s, int64_t *t)
{
	int v[6];
	static const int width[6] = {4, 2, 2, 2, 2, 2};
	static const int offset[6] = {0, 4, 6, 9, 11, 13};
	struct tm tm;
	char again[TL_STS_AMZ_DATE_LEN + 1];

	if (strlen(s) != TL_STS_AMZ_DATE_LEN || s[8] != 'T' || s[15] != 'Z')
		return -1;
	for (int i = 0; i < 6; i++) {
		v[i] = 0;
		for (int k = 0; k < width[i]; k++) {
			char c = s[offset[i] + k];
			if (c < '0' || c > '9')
				return -1;
			v[i] = v[i] * 10 + (c - '0');
		}
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	*t = (int64_t)timegm(&tm);
	/* reject 20150231 and friends: the round trip must agree */
	if (tl_sts_sigv4_format_date(*t, again) < 0 || strcmp(again, s) != 0)
		return -1;
	return 0;
}

/* RFC 3986 percent-encoding of SigV4: unreserved kept, `/` kept if asked. */
static int
uri_encode(struct tl_buf *out, const char *s, size_t len, bool keep_slash, struct tl_error *err)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int rc;

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
		    (keep_slash && c == '/'))
			rc = tl_buf_putc(out, (char)c, err);
		else
			rc = tl_buf_printf(out, err, "%%%02X", c);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Form-decodes [s, s+len) into out (malformed escapes kept literally: the
 * signature check then fails, the query parser reports the syntax). */
static int
form_decode(struct tl_buf *out, const char *s, size_t len, struct tl_error *err)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 &&
			   hexval(s[i + 2]) >= 0) {
			c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		}
		if (tl_buf_putc(out, c, err) < 0)
			return -1;
	}
	return 0;
}

struct qpair {
	char *key; /* encoded canonically */
	char *value;
};

static int
qpair_cmp(const void *a, const void *b)
{
	const struct qpair *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : strcmp(x->value, y->value);
}

/* Encodes one decoded component canonically into a fresh string. */
static char *
canonical_component(const char *raw, size_t len, struct tl_error *err)
{
	struct tl_buf dec, enc;
	char *res = NULL;

	tl_buf_init(&dec, CANONICAL_MAX);
	tl_buf_init(&enc, CANONICAL_MAX);
	if (form_decode(&dec, raw, len, err) == 0 &&
	    uri_encode(&enc, dec.data ? dec.data : "", dec.len, false, err) == 0)
		res = tl_buf_steal(&enc, NULL);
	tl_buf_finish(&dec);
	tl_buf_finish(&enc);
	return res;
}

static int
canonical_query(struct tl_buf *out, const char *query, bool presigned, struct tl_error *err)
{
	struct qpair *pairs = NULL;
	size_t n = 0, cap = 0, pos = 0, len = query ? strlen(query) : 0;
	int rc = -1;

	while (pos < len) {
		const char *seg = query + pos;
		const char *amp = strchr(seg, '&');
		size_t seg_len = amp ? (size_t)(amp - seg) : len - pos;
		const char *eq = memchr(seg, '=', seg_len);
		size_t klen = eq ? (size_t)(eq - seg) : seg_len;

		pos += seg_len + 1;
		if (seg_len == 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct qpair *np = realloc(pairs, ncap * sizeof(*np));
			if (!np) {
				tl_error_set(err, TL_ERR_NOMEM, "out of memory");
				goto out;
			}
			pairs = np;
			cap = ncap;
		}
		pairs[n].key = canonical_component(seg, klen, err);
		pairs[n].value =
			eq ? canonical_component(eq + 1, seg_len - klen - 1, err) : strdup("");
		if (!pairs[n].key || !pairs[n].value) {
			free(pairs[n].key);
			free(pairs[n].value);
			tl_error_set(err, TL_ERR_NOMEM, "out of memory");
			goto out;
		}
		if (presigned && strcmp(pairs[n].key, "X-Amz-Signature") == 0) {
			free(pairs[n].key);
			free(pairs[n].value);
			continue;
		}
		n++;
	}
	if (n)
		qsort(pairs, n, sizeof(*pairs), qpair_cmp);
	for (size_t i = 0; i < n; i++) {
		if (tl_buf_printf(out, err, "%s%s=%s", i ? "&" : "", pairs[i].key, pairs[i].value) <
		    0)
			goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++) {
		free(pairs[i].key);
		free(pairs[i].value);
	}
	free(pairs);
	return rc;
}

/* Value of a header for the canonical form: every occurrence joined with
 * ',', each trimmed and with runs of spaces collapsed. */
static int
canonical_header_value(struct tl_buf *out, const struct tl_sts_http_request *req, const char *name,
		       size_t name_len, struct tl_error *err)
{
	bool first = true;

	for (size_t i = 0; i < req->header_count; i++) {
		const char *v = req->headers[i].value;
		bool space = false, started = false;

		if (strlen(req->headers[i].name) != name_len ||
		    strncasecmp(req->headers[i].name, name, name_len) != 0)
			continue;
		if (!first && tl_buf_putc(out, ',', err) < 0)
			return -1;
		first = false;
		for (; *v; v++) {
			if (*v == ' ' || *v == '\t') {
				space = started;
				continue;
			}
			if (space && tl_buf_putc(out, ' ', err) < 0)
				return -1;
			if (tl_buf_putc(out, *v, err) < 0)
				return -1;
			space = false;
			started = true;
		}
	}
	return 0;
}

int
tl_sts_sigv4_canonical_request(const struct tl_sts_http_request *req, const char *signed_headers,
			       bool presigned, struct tl_buf *out, struct tl_error *err)
{
	char payload[65];
	const char *path = req->path && *req->path ? req->path : "/";
	const char *p = signed_headers;

	if (tl_buf_printf(out, err, "%s\n", req->method) < 0 ||
	    uri_encode(out, path, strlen(path), true, err) < 0 || tl_buf_putc(out, '\n', err) < 0 ||
	    canonical_query(out, req->query, presigned, err) < 0 || tl_buf_putc(out, '\n', err) < 0)
		return -1;
	while (*p) {
		const char *semi = strchr(p, ';');
		size_t n = semi ? (size_t)(semi - p) : strlen(p);

		if (tl_buf_append(out, p, n, err) < 0 || tl_buf_putc(out, ':', err) < 0 ||
		    canonical_header_value(out, req, p, n, err) < 0 ||
		    tl_buf_putc(out, '\n', err) < 0)
			return -1;
		p += n;
		if (*p == ';')
			p++;
	}
	tl_sts_sha256_hex(req->body ? req->body : "", req->body ? req->body_len : 0, payload);
	return tl_buf_printf(out, err, "\n%s\n%s", signed_headers, payload);
}

/* hex(HMAC(signing key, string to sign)) */
static int
compute_signature(const struct tl_sts_http_request *req, const char *signed_headers, bool presigned,
		  const char *secret, const char *amz_date, const char *scope_date,
		  const char *region, const char *service, char out[65], struct tl_error *err)
{
	struct tl_buf creq, sts;
	char creq_hash[65];
	char kbuf[256];
	unsigned char k[32], sig[32];
	int rc = -1;

	tl_buf_init(&creq, CANONICAL_MAX);
	tl_buf_init(&sts, CANONICAL_MAX);
	if (tl_sts_sigv4_canonical_request(req, signed_headers, presigned, &creq, err) < 0)
		goto out;
	tl_sts_sha256_hex(tl_buf_str(&creq), creq.len, creq_hash);
	if (tl_buf_printf(&sts, err, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", amz_date,
			  scope_date, region, service, creq_hash) < 0)
		goto out;
	if ((size_t)snprintf(kbuf, sizeof(kbuf), "AWS4%s", secret) >= sizeof(kbuf)) {
		tl_error_set(err, TL_ERR_LIMIT, "secret too long");
		goto out;
	}
	hmac(kbuf, strlen(kbuf), scope_date, k);
	hmac(k, 32, region, k);
	hmac(k, 32, service, k);
	hmac(k, 32, "aws4_request", k);
	hmac(k, 32, tl_buf_str(&sts), sig);
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", sig[i]);
	OPENSSL_cleanse(kbuf, sizeof(kbuf));
	OPENSSL_cleanse(k, sizeof(k));
	rc = 0;
out:
	tl_buf_finish(&creq);
	tl_buf_finish(&sts);
	return rc;
}

int
tl_sts_sigv4_signature(const struct tl_sts_http_request *req, const char *signed_headers,
		       bool presigned, const char *secret, const char *amz_date, const char *region,
		       const char *service, char out[65], struct tl_error *err)
{
	char scope_date[9];

	if (strlen(amz_date) != TL_STS_AMZ_DATE_LEN)
		return tl_error_set(err, TL_ERR_INVALID, "not an X-Amz-Date: %s", amz_date);
	memcpy(scope_date, amz_date, 8);
	scope_date[8] = '\0';
	return compute_signature(req, signed_headers, presigned, secret, amz_date, scope_date,
				 region, service, out, err);
}

/* Splits `AKID/DATE/REGION/SERVICE/aws4_request` into sig. */
static int
parse_credential(const char *cred, size_t len, struct tl_sts_sigv4 *sig, struct tl_sts_fault *fault)
{
	char copy[512];
	char *parts[6];
	int n = 0;
	char *save = NULL;

	if (len >= sizeof(copy))
		return tl_sts_fault_set(fault, TL_STS_INCOMPLETE_SIGNATURE,
					"Credential is too long");
	memcpy(copy, cred, len);
	copy[len] = '\0';
	/* The access key id may not contain '/', so splitting is safe. */
	for (char *tok = strtok_r(copy, "/", &save); tok && n < 6; tok = strtok_r(NULL, "/", &save))
		parts[n++] = tok;
	if (n != 5 || copy[len - 1] == '/' || strstr(cred, "//"))
		return tl_sts_fault_set(fault, TL_STS_INCOMPLETE_SIGNATURE,
					"Credential should be scoped to a valid region. ");
	if (strcmp(parts[4], "aws4_request") != 0)
		return tl_sts_fault_set(fault, TL_STS_INCOMPLETE_SIGNATURE,
					"Credential should be scoped with a valid terminator: "
					"'aws4_request', not '%s'. ",
					parts[4]);
	if (strlen(parts[0]) >= sizeof(sig->access_key_id) || strlen(parts[1]) != 8 ||
	    strlen(parts[2]) >= sizeof(sig->region) || strlen(parts[3]) >= sizeof(sig->service))
		return tl_sts_fault_set(fault, TL_STS_INCOMPLETE_SIGNATURE,
					"Credential should be scoped to a valid region. ");
	strcpy(sig->access_key_id, parts[0]);
	strcpy(sig->scope_date, parts[1]);
	strcpy(sig->region, parts[2]);
	strcpy(sig->service, parts[3]);
	return 0;
}

static bool
hex64(const char *s, size_t len)
{
	if (len != 64)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

static int
check_date(struct tl_sts_sigv4 *sig, const char *date, struct tl_sts_fault *fault)
{
	if (strlen(date) != TL_STS_AMZ_DATE_LEN ||
	    tl_sts_sigv4_parse_date(date, &sig->signed_at) < 0)
		return tl_sts_fault_set(fault, TL_STS_INCOMPLETE_SIGNATURE,
					"Date must be in ISO-8601 'basic format'. Got '%s'. See "
					"http://en.wikipedia.org/wiki/ISO_8601",
					date);
	strcpy(sig->amz_date, date);
	return 0;
}

static bool
host_signed(const char *signed_headers)
{
	const char *p = signed_headers;

	while (*p) {
		const char *semi = strchr(p, ';');
		size_t n = semi ? (size_t)(semi - p) : strlen(p);
		if (n == 4 && strncmp(p, "host", 4) == 0)
			return true;
		p += n;
		if (*p == ';')
			p++;
	}
	return false;
}

static int
parse_header_form(const char *auth, const struct tl_sts_http_request *req, struct tl_sts_sigv4 *sig,
		  struct tl_sts_fault *fault)
{
	const char *p = auth;
	const char *cred = NULL, *sh = NULL, *sg = NULL;
	size_t cred_len = 0, sh_len = 0, sg_len = 0;
	const char *date;
	struct tl_buf missing;

	if (strncmp(p, "AWS4-HMAC-SHA256 ", 17) != 0) {
		size_t n = strcspn(p, " ");
		return tl_sts_fault_set(fault, TL_STS_INCOMPLETE_SIGNATURE,
					"Unsupported AWS 'algorithm': '%.*s'",
					(int)(n > 64 ? 64 : n), p);
	}
	p += 17;
	while (*p) {
		const char *end;
		size_t n;

		while (*p == ' ' || *p == ',')
			p++;
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (strncmp(p, "Credential=", 11) == 0 && !cred) {
			cred = p + 11;
			cred_len = n - 11;
		} else if (strncmp(p, "SignedHeaders=", 14) == 0 && !sh) {
			sh = p + 14;
			sh_len = n - 14;
		} else if (strncmp(p, "Signature=", 10) == 0 && !sg) {
			sg = p + 10;
			sg_len = n - 10;
		} else if (n > 0) {
			return tl_sts_fault_set(
				fault, TL_STS_INCOMPLETE_SIGNATURE,
				"'%.*s' not a valid key=value pair (missing equal-sign) "
				"in Authorization header: '%s'.",
				(int)(n > 128 ? 128 : n), p, auth);
		}
		p += end ? (size_t)(end - p) : strlen(p);
	}
	date = find_header(req, "X-Amz-Date");
	tl_buf_init(&missing, 4096);
	if (!cred)
		tl_buf_append_str(&missing,
				  "Authorization header requires 'Credential' parameter. ", NULL);
	if (!sg)
		tl_buf_append_str(&missing, "Authorization header requires 'Signature' parameter. ",
				  NULL);
	if (!sh)
		tl_buf_append_str(&missing,
				  "Authorization header requires 'SignedHeaders' parameter. ",
				  NULL);
	if (!date)
		tl_buf_append_str(&missing,
				  "Authorization header requires existence of either a "
				  "'X-Amz-Date' or a 'Date' header. ",
				  NULL);
	if (missing.len) {
		tl_sts_fault_set(fault, TL_STS_INCOMPLETE_SIGNATURE, "%sAuthorization=%.1024s",
				 tl_buf_str(&missing), auth);
		tl_buf_finish(&missing);
		return -1;
	}
	tl_buf_finish(&missing);
	if (parse_credential(cred, cred_len, sig, fault) < 0)
		return -1;
	if (sh_len == 0 || sh_len >= sizeof(sig->signed_headers))
		return tl_sts_fault_set(fault, TL_STS_INCOMPLETE_SIGNATURE,
					"Authorization header requires 'SignedHeaders' parameter. "
					"Authorization=%.1024s",
					auth);
	memcpy(sig->signed_headers, sh, sh_len);
	sig->signed_headers[sh_len] = '\0';
	if (!hex64(sg, sg_len))
		return tl_sts_fault_set(fault, TL_STS_SIGNATURE_DOES_NOT_MATCH, NULL);
	memcpy(sig->signature, sg, 64);
	sig->signature[64] = '\0';
	if (check_date(sig, date, fault) < 0)
		return -1;
	date = find_header(req, "X-Amz-Security-Token");
	if (date) {
		if (strlen(date) >= sizeof(sig->security_token))
			return tl_sts_fault_set(fault, TL_STS_INVALID_CLIENT_TOKEN_ID, NULL);
		sig->has_security_token = true;
		strcpy(sig->security_token, date);
	}
	return 0;
}

/* Decoded value of a query parameter into dst; 1 found, 0 absent, -1 too long. */
static int
query_param(const char *query, const char *name, char *dst, size_t size)
{
	size_t nlen = strlen(name), pos = 0, len = query ? strlen(query) : 0;

	while (pos < len) {
		const char *seg = query + pos;
		const char *amp = strchr(seg, '&');
		size_t seg_len = amp ? (size_t)(amp - seg) : len - pos;

		pos += seg_len + 1;
		if (seg_len > nlen && strncmp(seg, name, nlen) == 0 && seg[nlen] == '=') {
			struct tl_buf b;
			int rc = 1;

			tl_buf_init(&b, size - 1);
			if (form_decode(&b, seg + nlen + 1, seg_len - nlen - 1, NULL) < 0)
				rc = -1;
			else
				memcpy(dst, tl_buf_str(&b), b.len + 1);
			tl_buf_finish(&b);
			return rc;
		}
	}
	return 0;
}

static int
parse_query_form(const struct tl_sts_http_request *req, struct tl_sts_sigv4 *sig,
		 struct tl_sts_fault *fault)
{
	char alg[64], cred[512], date[64], expires[32];
	struct tl_buf missing;
	int has_alg = query_param(req->query, "X-Amz-Algorithm", alg, sizeof(alg));
	int has_cred = query_param(req->query, "X-Amz-Credential", cred, sizeof(cred));
	int has_date = query_param(req->query, "X-Amz-Date", date, sizeof(date));
	int has_sh = query_param(req->query, "X-Amz-SignedHeaders", sig->signed_headers,
				 sizeof(sig->signed_headers));
	int has_sig =
		query_param(req->query, "X-Amz-Signature", sig->signature, sizeof(sig->signature));
	int has_exp = query_param(req->query, "X-Amz-Expires", expires, sizeof(expires));
	int has_tok = query_param(req->query, "X-Amz-Security-Token", sig->security_token,
				  sizeof(sig->security_token));

	sig->presigned = true;
	if (has_alg != 1 || strcmp(alg, "AWS4-HMAC-SHA256") != 0)
		return tl_sts_fault_set(fault, TL_STS_INCOMPLETE_SIGNATURE,
					"AWS query-string parameters must include "
					"'X-Amz-Algorithm'. Re-examine the query-string "
					"parameters.");
	tl_buf_init(&missing, 1024);
	if (has_cred != 1)
		tl_buf_append_str(&missing, "'X-Amz-Credential', ", NULL);
	if (has_sig != 1)
		tl_buf_append_str(&missing, "'X-Amz-Signature', ", NULL);
	if (has_sh != 1)
		tl_buf_append_str(&missing, "'X-Amz-SignedHeaders', ", NULL);
	if (has_date != 1)
		tl_buf_append_str(&missing, "'X-Amz-Date', ", NULL);
	if (missing.len) {
		missing.data[missing.len - 2] = '\0';
		tl_sts_fault_set(fault, TL_STS_INCOMPLETE_SIGNATURE,
				 "AWS query-string parameters must include %s. Re-examine the "
				 "query-string parameters.",
				 tl_buf_str(&missing));
		tl_buf_finish(&missing);
		return -1;
	}
	tl_buf_finish(&missing);
	if (parse_credential(cred, strlen(cred), sig, fault) < 0)
		return -1;
	if (!hex64(sig->signature, strlen(sig->signature)))
		return tl_sts_fault_set(fault, TL_STS_SIGNATURE_DOES_NOT_MATCH, NULL);
	if (check_date(sig, date, fault) < 0)
		return -1;
	if (has_exp == 1) {
		char *end;
		long v = strtol(expires, &end, 10);
		if (*end || end == expires || v < 1 || v > 604800)
			return tl_sts_fault_set(fault, TL_STS_INCOMPLETE_SIGNATURE,
						"X-Amz-Expires must be between 1 and 604800 "
						"seconds; got '%s'",
						expires);
		sig->expires = v;
	}
	if (has_tok == 1)
		sig->has_security_token = true;
	else if (has_tok < 0)
		return tl_sts_fault_set(fault, TL_STS_INVALID_CLIENT_TOKEN_ID, NULL);
	return 0;
}

int
tl_sts_sigv4_parse(const struct tl_sts_http_request *req, struct tl_sts_sigv4 *sig,
		   struct tl_sts_fault *fault)
{
	const char *auth = find_header(req, "Authorization");
	char probe[8];

	memset(sig, 0, sizeof(*sig));
	if (auth) {
		if (parse_header_form(auth, req, sig, fault) < 0)
			return -1;
	} else if (query_param(req->query, "X-Amz-Signature", probe, sizeof(probe)) != 0 ||
		   query_param(req->query, "X-Amz-Algorithm", probe, sizeof(probe)) != 0) {
		if (parse_query_form(req, sig, fault) < 0)
			return -1;
	} else {
		return tl_sts_fault_set(fault, TL_STS_MISSING_AUTHENTICATION_TOKEN,
					"Request is missing Authentication Token");
	}
	if (!host_signed(sig->signed_headers))
		return tl_sts_fault_set(
			fault, TL_STS_INCOMPLETE_SIGNATURE,
			"'Host' or ':authority' must be a 'SignedHeader' in the AWS "
			"Authorization.");
	return 0;
}

static bool
region_valid(const char *r)
{
	/* us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ... */
	size_t n = strlen(r);
	int dashes = 0;

	if (n < 4 || !isdigit((unsigned char)r[n - 1]) || r[n - 2] != '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (r[i] == '-') {
			if (i == 0 || r[i - 1] == '-')
				return false;
			dashes++;
		} else if (!(islower((unsigned char)r[i]) || isdigit((unsigned char)r[i]))) {
			return false;
		}
	}
	return dashes >= 2;
}

int
tl_sts_sigv4_verify(const struct tl_sts_http_request *req, const struct tl_sts_sigv4 *sig,
		    const char *secret, const char *service, int64_t now,
		    struct tl_sts_fault *fault)
{
	char expected[65];
	char now_s[TL_STS_AMZ_DATE_LEN + 1], edge[TL_STS_AMZ_DATE_LEN + 1];
	struct tl_error err;

	if (strncmp(sig->amz_date, sig->scope_date, 8) != 0)
		return tl_sts_fault_set(fault, TL_STS_SIGNATURE_DOES_NOT_MATCH,
					"Date in Credential scope does not match YYYYMMDD from "
					"ISO-8601 version of date from HTTP: '%s' != '%.8s', from "
					"'%s'.",
					sig->scope_date, sig->amz_date, sig->amz_date);
	if (strcmp(sig->service, service) != 0)
		return tl_sts_fault_set(fault, TL_STS_SIGNATURE_DOES_NOT_MATCH,
					"Credential should be scoped to correct service: '%s'. ",
					service);
	if (!region_valid(sig->region))
		return tl_sts_fault_set(fault, TL_STS_SIGNATURE_DOES_NOT_MATCH,
					"Credential should be scoped to a valid region. ");
	if (tl_sts_sigv4_format_date(now, now_s) < 0)
		return tl_sts_fault_set(fault, TL_STS_INTERNAL_FAILURE, NULL);
	if (sig->presigned) {
		if (sig->signed_at > now + TL_STS_SIGV4_WINDOW ||
		    (sig->expires > 0 && now > sig->signed_at + sig->expires))
			return tl_sts_fault_set(fault, TL_STS_REQUEST_EXPIRED,
						"Request has expired.");
	} else if (sig->signed_at < now - TL_STS_SIGV4_WINDOW) {
		tl_sts_sigv4_format_date(now - TL_STS_SIGV4_WINDOW, edge);
		return tl_sts_fault_set(fault, TL_STS_SIGNATURE_DOES_NOT_MATCH,
					"Signature expired: %s is now earlier than %s (%s - 15 "
					"min.)",
					sig->amz_date, edge, now_s);
	} else if (sig->signed_at > now + TL_STS_SIGV4_WINDOW) {
		tl_sts_sigv4_format_date(now + TL_STS_SIGV4_WINDOW, edge);
		return tl_sts_fault_set(fault, TL_STS_SIGNATURE_DOES_NOT_MATCH,
					"Signature not yet current: %s is still later than %s (%s "
					"+ 15 min.)",
					sig->amz_date, edge, now_s);
	}
	if (compute_signature(req, sig->signed_headers, sig->presigned, secret, sig->amz_date,
			      sig->scope_date, sig->region, sig->service, expected, &err) < 0)
		return tl_sts_fault_set(fault, TL_STS_INTERNAL_FAILURE, NULL);
	if (CRYPTO_memcmp(expected, sig->signature, 64) != 0)
		return tl_sts_fault_set(fault, TL_STS_SIGNATURE_DOES_NOT_MATCH, NULL);
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
tl_sts_sigv4_sign(const struct tl_sts_http_request *req, const char *access_key_id,
		  const char *secret, const char *region, const char *service, char *authorization,
		  size_t size, struct tl_error *err)
{
	static const char *const unsigned_headers[] = {"authorization", "user-agent", "expect",
						       "x-amzn-trace-id", NULL};
	const char *date = find_header(req, "X-Amz-Date");
	char **names;
	size_t n = 0;
	struct tl_buf sh;
	char sig[65];
	int rc = -1;

	if (!date || strlen(date) != TL_STS_AMZ_DATE_LEN || !find_header(req, "Host"))
		return tl_error_set(err, TL_ERR_INVALID,
				    "a request to sign needs Host and X-Amz-Date headers");
	names = calloc(req->header_count ? req->header_count : 1, sizeof(*names));
	if (!names)
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	tl_buf_init(&sh, sizeof(((struct tl_sts_sigv4 *)0)->signed_headers) - 1);
	for (size_t i = 0; i < req->header_count; i++) {
		char *lower = strdup(req->headers[i].name);
		bool skip = false;

		if (!lower) {
			tl_error_set(err, TL_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (char *c = lower; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		for (const char *const *u = unsigned_headers; *u; u++)
			skip = skip || strcmp(lower, *u) == 0;
		for (size_t k = 0; k < n; k++)
			skip = skip || strcmp(lower, names[k]) == 0;
		if (skip)
			free(lower);
		else
			names[n++] = lower;
	}
	qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		if (tl_buf_printf(&sh, err, "%s%s", i ? ";" : "", names[i]) < 0)
			goto out;
	}
	{
		char scope_date[9];
		memcpy(scope_date, date, 8);
		scope_date[8] = '\0';
		if (compute_signature(req, tl_buf_str(&sh), false, secret, date, scope_date, region,
				      service, sig, err) < 0)
			goto out;
		if ((size_t)snprintf(authorization, size,
				     "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, "
				     "SignedHeaders=%s, Signature=%s",
				     access_key_id, scope_date, region, service, tl_buf_str(&sh),
				     sig) >= size) {
			tl_error_set(err, TL_ERR_LIMIT, "authorization buffer too small");
			goto out;
		}
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	tl_buf_finish(&sh);
	return rc;
}
