/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for SigV4 (lib/sts/sigv4.h): the Authorization header and
 * the presigned X-Amz-* query form parsed, then verified against a key so
 * that scope, time window, canonical request and the constant-time
 * comparison all run.
 *
 * Input: the text format of tests/data/sts/sigv4/\*.case (the seeds are
 * those files and requests built from the protocol corpus):
 *
 *   method: POST          path: /          query: a=1&b=2
 *   header: Name: value   (repeatable)     body: Action=...
 *   secret: KEY           (default: the AWS test-suite example key)
 *   service: sts          (default: sts)
 *   skew: SECONDS         verify at signed-at + SECONDS (default 0)
 *   autosign: 1           replace the parsed signature by the right one
 *                         first, so the fuzzer gets past the comparison
 *
 * Invariants: a failure names a fault with a message; verification never
 * fails internally on any input; a parsed signature is 64 lower-case hex;
 * verification succeeds exactly when the recomputed signature is the
 * given one (or fails for scope/time first); with autosign the signature
 * comparison itself never fails.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sts/sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HEADERS 32
#define DEFAULT_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

struct input {
	char *text;
	struct tl_sts_http_header headers[MAX_HEADERS];
	struct tl_sts_http_request req;
	const char *secret, *service;
	long skew;
	bool autosign;
};

/* Splits the text into `key: value` lines (in place). */
static void
read_input(struct input *in, const uint8_t *data, size_t size)
{
	char *line;

	memset(in, 0, sizeof(*in));
	in->text = malloc(size + 1);
	if (!in->text)
		abort();
	memcpy(in->text, data, size);
	in->text[size] = '\0';
	in->req.method = "POST";
	in->req.path = "/";
	in->secret = DEFAULT_SECRET;
	in->service = "sts";
	line = in->text;
	while (line && *line) {
		char *nl = strchr(line, '\n');
		char *colon = strstr(line, ": ");

		if (nl)
			*nl = '\0';
		if (colon) {
			char *value = colon + 2;
			*colon = '\0';
			if (strcmp(line, "method") == 0) {
				in->req.method = value;
			} else if (strcmp(line, "path") == 0) {
				in->req.path = value;
			} else if (strcmp(line, "query") == 0) {
				in->req.query = value;
			} else if (strcmp(line, "body") == 0) {
				in->req.body = value;
				in->req.body_len = strlen(value);
			} else if (strcmp(line, "secret") == 0 && strlen(value) < 200) {
				in->secret = value;
			} else if (strcmp(line, "service") == 0) {
				in->service = value;
			} else if (strcmp(line, "skew") == 0) {
				in->skew = strtol(value, NULL, 10) % 1000000;
			} else if (strcmp(line, "autosign") == 0) {
				in->autosign = true;
			} else if (strcmp(line, "header") == 0 &&
				   in->req.header_count < MAX_HEADERS) {
				char *hc = strstr(value, ": ");
				if (hc) {
					*hc = '\0';
					in->headers[in->req.header_count].name = value;
					in->headers[in->req.header_count++].value = hc + 2;
				}
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	in->req.headers = in->headers;
}

static void
check_fault(const struct tl_sts_fault *f)
{
	if (f->code == TL_STS_OK || f->code == TL_STS_INTERNAL_FAILURE || f->message[0] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in;
	struct tl_sts_sigv4 sig;
	struct tl_sts_fault f = {0}, mismatch = {0};
	char expected[65];
	int rc;

	if (size > 64 * 1024)
		return 0;
	read_input(&in, data, size);
	if (tl_sts_sigv4_parse(&in.req, &sig, &f) < 0) {
		check_fault(&f);
		free(in.text);
		return 0;
	}
	if (strlen(sig.signature) != 64 || strspn(sig.signature, "0123456789abcdef") != 64 ||
	    strlen(sig.amz_date) != TL_STS_AMZ_DATE_LEN)
		abort();
	if (tl_sts_sigv4_signature(&in.req, sig.signed_headers, sig.presigned, in.secret,
				   sig.amz_date, sig.region, sig.service, expected, NULL) < 0)
		abort();
	if (in.autosign)
		memcpy(sig.signature, expected, sizeof(expected));
	rc = tl_sts_sigv4_verify(&in.req, &sig, in.secret, in.service, sig.signed_at + in.skew, &f);
	tl_sts_fault_set(&mismatch, TL_STS_SIGNATURE_DOES_NOT_MATCH, NULL);
	if (rc == 0) {
		/* accepted: the signature is the one the key makes */
		if (strcmp(expected, sig.signature) != 0)
			abort();
	} else {
		check_fault(&f);
		/* a comparison failure only when the signatures differ */
		if (f.code == TL_STS_SIGNATURE_DOES_NOT_MATCH &&
		    strcmp(f.message, mismatch.message) == 0 &&
		    strcmp(expected, sig.signature) == 0)
			abort();
	}
	/* the same request under another key never verifies */
	if (rc == 0 && strcmp(in.secret, "another-secret") != 0 &&
	    tl_sts_sigv4_verify(&in.req, &sig, "another-secret", in.service,
				sig.signed_at + in.skew, &f) == 0)
		abort();
	free(in.text);
	return 0;
}
