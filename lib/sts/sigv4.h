/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * AWS Signature Version 4 for query APIs, both sides: verifying what the
 * AWS CLI, boto3 and the SDKs send (the `Authorization: AWS4-HMAC-SHA256
 * Credential=AKID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=...,
 * Signature=...` header, or the X-Amz-* presigned query form), and signing
 * requests the way botocore does (every header but User-Agent, Expect and
 * X-Amzn-Trace-Id signed, lower-case and sorted), for the runner and tests.
 * Checked against the AWS SigV4 test-suite vectors.
 *
 * The split: tl_sts_sigv4_parse() reads who claims to sign (the caller
 * then looks the access key id up, answering InvalidClientTokenId itself),
 * tl_sts_sigv4_verify() checks scope, time and signature with the secret.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/error.h"

#include "sts/errors.h"

struct tl_sts_http_header {
	const char *name; /* any case */
	const char *value;
};

/* A request as received (or about to be sent). Strings borrowed. */
struct tl_sts_http_request {
	const char *method; /* "POST", "GET" */
	const char *path; /* raw, still percent-encoded: "/" */
	const char *query; /* raw query string without '?'; "" or NULL if none */
	const struct tl_sts_http_header *headers;
	size_t header_count;
	const void *body;
	size_t body_len;
};

#define TL_STS_AMZ_DATE_LEN 16 /* 20150830T123600Z */
#define TL_STS_SIGV4_WINDOW 900 /* AWS's 15 minutes, either way */

struct tl_sts_sigv4 {
	bool presigned; /* from X-Amz-* query parameters, not the header */
	char access_key_id[129];
	char scope_date[9]; /* YYYYMMDD */
	char region[64];
	char service[64];
	char signed_headers[1024]; /* as given: "content-type;host;x-amz-date" */
	char signature[65]; /* lower-case hex */
	char amz_date[TL_STS_AMZ_DATE_LEN + 1];
	int64_t signed_at; /* amz_date as Unix seconds */
	long expires; /* X-Amz-Expires (presigned), else 0 */
	bool has_security_token;
	char security_token[4097]; /* X-Amz-Security-Token (session credentials) */
};

/*
 * Reads the signature parameters. Faults: no Authorization header and no
 * X-Amz-Signature -> MissingAuthenticationToken "Request is missing
 * Authentication Token"; anything malformed (algorithm, missing
 * Credential/SignedHeaders/Signature, a scope without `aws4_request`,
 * X-Amz-Date missing or not ISO 8601 basic, Host not signed) ->
 * IncompleteSignature with AWS's message.
 */
int tl_sts_sigv4_parse(const struct tl_sts_http_request *req, struct tl_sts_sigv4 *sig,
		       struct tl_sts_fault *fault);

/*
 * Checks `sig` against `req` with `secret`: the scope's date, region and
 * `service` ("sts" or "iam"), the 15-minute window around `now` (Unix
 * seconds) ("Signature expired: ..." / "Signature not yet current: ...",
 * SignatureDoesNotMatch as AWS answers), a presigned request's expiry
 * (RequestExpired), and the signature itself, compared in constant time.
 * TL_STS_INTERNAL_FAILURE on allocation failure.
 */
int tl_sts_sigv4_verify(const struct tl_sts_http_request *req, const struct tl_sts_sigv4 *sig,
			const char *secret, const char *service, int64_t now,
			struct tl_sts_fault *fault);

/* Appends the canonical request (the SigV4 spec's six lines) for
 * `signed_headers` (";"-separated, lower case). `presigned` leaves
 * X-Amz-Signature out of the canonical query. */
int tl_sts_sigv4_canonical_request(const struct tl_sts_http_request *req,
				   const char *signed_headers, bool presigned, struct tl_buf *out,
				   struct tl_error *err);

/* The hex signature of `req` (the string to sign over the canonical
 * request, HMAC with the derived key); for presigning. */
int tl_sts_sigv4_signature(const struct tl_sts_http_request *req, const char *signed_headers,
			   bool presigned, const char *secret, const char *amz_date,
			   const char *region, const char *service, char out[65],
			   struct tl_error *err);

/* 20150830T123600Z for Unix seconds `t`; -1 if `t` is out of range. */
int tl_sts_sigv4_format_date(int64_t t, char out[TL_STS_AMZ_DATE_LEN + 1]);
/* Parses the ISO 8601 basic format back; -1 when malformed. */
int tl_sts_sigv4_parse_date(const char *text, int64_t *t);

/*
 * Signs `req` as botocore does. `req` must already carry the Host and
 * X-Amz-Date headers (and X-Amz-Security-Token for session credentials);
 * the date and scope come from X-Amz-Date. Writes the Authorization header
 * value to `authorization` (NUL-terminated; TL_ERR_LIMIT if `size` is too
 * small).
 */
int tl_sts_sigv4_sign(const struct tl_sts_http_request *req, const char *access_key_id,
		      const char *secret, const char *region, const char *service,
		      char *authorization, size_t size, struct tl_error *err);

/* Lower-case hex SHA-256 of `data` (65 bytes with the NUL). */
void tl_sts_sha256_hex(const void *data, size_t len, char out[65]);
