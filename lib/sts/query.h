/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The AWS query protocol's request side: a form body
 * (application/x-www-form-urlencoded) or a GET query string parsed into a
 * strict parameter map, and the Action/Version/parameter allowlist of every
 * action mock-sts serves (reference/sts.md §1.1, reference/reliability.md
 * §2.5 R7-R8 and §5.3).
 *
 * Strictness (each a fault, never a silent fix-up): invalid %-escapes, a
 * decoded NUL, invalid UTF-8, an empty key -> MalformedQueryString; a key
 * given twice, a parameter the action does not take, a list with a gap or
 * a member index with a leading zero -> InvalidQueryParameter. AWS itself
 * ignores unknown parameters; trustlab refuses them so typos cannot pass.
 */

#include <stdbool.h>
#include <stddef.h>

#include "sts/errors.h"

struct tl_sts_param {
	char *key; /* decoded, NUL-terminated */
	char *value; /* decoded, NUL-terminated (NUL never occurs inside) */
	size_t value_len;
};

struct tl_sts_query {
	struct tl_sts_param *params; /* in request order */
	size_t count;
	size_t cap;
};

struct tl_sts_query_limits {
	size_t max_input; /* bytes of encoded input */
	size_t max_params;
	size_t max_key_len; /* decoded */
	size_t max_value_len; /* decoded */
};

/* 64 KiB input, 512 parameters, keys 128 bytes, values 64 KiB. */
extern const struct tl_sts_query_limits tl_sts_query_default_limits;

void tl_sts_query_init(struct tl_sts_query *q);
void tl_sts_query_finish(struct tl_sts_query *q);

/*
 * Parses `len` bytes of `data` (a form body, or a query string without the
 * `?`) into `q` (initialised, empty). `limits` NULL means the defaults.
 * Empty segments (`a=1&&b=2`, a trailing `&`) are skipped; `key` without
 * `=` has the empty value. On failure returns -1 with `fault` set and `q`
 * emptied; TL_STS_INTERNAL_FAILURE means out of memory.
 */
int tl_sts_query_parse(struct tl_sts_query *q, const char *data, size_t len,
		       const struct tl_sts_query_limits *limits, struct tl_sts_fault *fault);

/* The decoded value of `key` (case-sensitive, as AWS), or NULL. Borrowed. */
const char *tl_sts_query_get(const struct tl_sts_query *q, const char *key);

/*
 * Collects the list `PREFIX.member.N[SUFFIX]` (SUFFIX e.g. ".arn", or ""):
 * out[N-1] = value for N in 1..max, NULL where absent; *count = largest N.
 * An N above `max` is InvalidQueryParameter (the caller passes the hard
 * cap). With `dense`, a missing N below the largest is InvalidQueryParameter
 * too. `out` needs `max` slots.
 */
int tl_sts_query_list(const struct tl_sts_query *q, const char *prefix, const char *suffix,
		      const char **out, size_t max, bool dense, size_t *count,
		      struct tl_sts_fault *fault);

enum tl_sts_action {
	TL_STS_ACTION_NONE = 0,
	TL_STS_ACTION_ASSUME_ROLE_WITH_WEB_IDENTITY,
	TL_STS_ACTION_GET_CALLER_IDENTITY,
	TL_STS_ACTION_CREATE_OPEN_ID_CONNECT_PROVIDER,
	TL_STS_ACTION_GET_OPEN_ID_CONNECT_PROVIDER,
	TL_STS_ACTION_LIST_OPEN_ID_CONNECT_PROVIDERS,
	TL_STS_ACTION_DELETE_OPEN_ID_CONNECT_PROVIDER,
	TL_STS_ACTION_ADD_CLIENT_ID_TO_OPEN_ID_CONNECT_PROVIDER,
	TL_STS_ACTION_CREATE_ROLE,
	TL_STS_ACTION_GET_ROLE,
	TL_STS_ACTION_LIST_ROLES,
	TL_STS_ACTION_DELETE_ROLE,
	TL_STS_ACTION_UPDATE_ASSUME_ROLE_POLICY,
	TL_STS_ACTION_UPDATE_ROLE,
};

struct tl_sts_action_info {
	enum tl_sts_action action;
	const char *name; /* "AssumeRoleWithWebIdentity" */
	enum tl_sts_service service;
	bool sigv4; /* must be signed (all but ARWWI) */
	/* Parameters besides Action and Version; `#` stands for a list index
	 * 1, 2, ... A list's bare name (`ClientIDList`) with an empty value is
	 * botocore's encoding of an empty list and is accepted. NULL-ended. */
	const char *const *params;
};

/* Row for `action`, or NULL. */
const struct tl_sts_action_info *tl_sts_action_info(enum tl_sts_action action);

/*
 * Resolves Action and Version and checks every parameter against the
 * action's allowlist (SigV4 presigning parameters `X-Amz-*` are allowed
 * everywhere; the signature layer checks them). Faults, in this order:
 * no Action -> MissingAction "Missing Action"; no Version ->
 * MissingParameter "The request must contain the parameter Version";
 * unknown (Action, Version) pair -> InvalidAction "Could not find
 * operation NAME for version VERSION"; a parameter outside the allowlist
 * -> InvalidQueryParameter.
 */
int tl_sts_query_action(const struct tl_sts_query *q, const struct tl_sts_action_info **action,
			struct tl_sts_fault *fault);
