/* SPDX-License-Identifier: MIT */
#pragma once

/* Helpers shared by the sts module's files; not part of its contract. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#include "sts/errors.h"

/* Is [s, s+len) well-formed UTF-8 (no overlongs, surrogates, > U+10FFFF)? */
bool tl_sts_utf8_valid(const char *s, size_t len);

/* Decodes the code point at *p (valid UTF-8 assumed; bad bytes read as
 * U+FFFD, one byte) and advances *p. */
uint32_t tl_sts_utf8_next(const char **p);

/* Number of code points in a valid UTF-8 string. */
size_t tl_sts_utf8_length(const char *s);

/*
 * Coral-style validation messages (reference/sts.md §1.2):
 * "N validation error(s) detected: Value 'V' at 'member' failed to satisfy
 * constraint: Member must ...; Value ...". A sensitive member's value is
 * left out ("Value at 'webIdentityToken' ..."), a missing one is "Value
 * null at 'member' ...".
 */
struct tl_sts_vmsg {
	size_t count;
	struct tl_buf text; /* the joined "Value ..." parts */
};

void tl_sts_vmsg_init(struct tl_sts_vmsg *v);
void tl_sts_vmsg_finish(struct tl_sts_vmsg *v);
/* `value` NULL: "Value null"; `sensitive`: value omitted. */
void tl_sts_vmsg_add(struct tl_sts_vmsg *v, const char *member, const char *value, bool sensitive,
		     const char *constraint_fmt, ...) TL_PRINTF(5, 6);
/* If any error was added: sets the ValidationError fault, returns -1. */
int tl_sts_vmsg_fault(struct tl_sts_vmsg *v, struct tl_sts_fault *fault);

/* Common constraint checks; each adds to `v` and returns false on failure. */
bool tl_sts_check_length(struct tl_sts_vmsg *v, const char *member, const char *value,
			 bool sensitive, size_t min, size_t max);
/* `allowed(cp)` decides each code point; `pattern` is how AWS prints it. */
bool tl_sts_check_pattern(struct tl_sts_vmsg *v, const char *member, const char *value,
			  bool sensitive, bool (*allowed)(uint32_t cp), const char *pattern);

/* Character classes of AWS model patterns. */
bool tl_sts_cp_arn(uint32_t cp); /* arnType: \t\n\r, 0x20-0x7E, 0x85, 0xA0-... */
bool tl_sts_cp_latin1(uint32_t cp); /* policy documents: \t\n\r, 0x20-0xFF */
bool tl_sts_cp_name(uint32_t cp); /* [\w+=,.@-] */

#define TL_STS_PATTERN_ARN                                                                    \
	"[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-" \
	"\\u10FFFF]+"
#define TL_STS_PATTERN_POLICY "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"

/* Parses a decimal int32 ("-5" allowed); false when not an integer. */
bool tl_sts_parse_int(const char *s, long *out);
