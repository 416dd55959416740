/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Strict JSON loading on top of jansson: duplicate object keys rejected,
 * size and nesting depth capped before parsing, NUL bytes in strings
 * rejected, errors with line/column. Semantic errors found later carry a
 * JSON path built with `struct tl_jpath`.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct tl_json_limits {
	size_t max_bytes; /* whole document */
	unsigned max_depth; /* nesting of arrays/objects; the top value is depth 1 */
};

/* 1 MiB, depth 64: generous for every document trustlab reads. */
extern const struct tl_json_limits tl_json_default_limits;

/*
 * Parses exactly `len` bytes. `source` names the input in errors (a file
 * name, "token header", ...) and may be NULL. Returns a new reference
 * (caller json_decref()s) or NULL with `err` set: TL_ERR_LIMIT for the
 * caps, TL_ERR_SYNTAX with line/column for malformed JSON and duplicate
 * keys.
 */
json_t *tl_json_load(const char *text, size_t len, const struct tl_json_limits *limits,
		     const char *source, struct tl_error *err);

/*
 * How many jansson allocations have failed on this thread so far (and
 * makes sure they are counted from now on). jansson's mutators
 * (json_object_set_new, json_object_update, json_array_append_new, ...)
 * can fail without the caller checking every one; a builder takes the
 * count before and compares after, and fails whole when it moved.
 */
unsigned long tl_json_alloc_failures(void);

/* Reads and parses a file (capped at limits->max_bytes). */
json_t *tl_json_load_file(const char *path, const struct tl_json_limits *limits,
			  struct tl_error *err);

/*
 * Checks `len` bytes for nesting deeper than `max_depth` without parsing.
 * Returns the depth reached (capped at max_depth + 1).
 */
unsigned tl_json_depth(const char *text, size_t len, unsigned max_depth);

/* "object", "array", "string", "number", "true", "false", "null". */
const char *tl_json_type_name(const json_t *v);

/*
 * A JSON path for messages: `Statement[1].Condition.StringLike`, keys that
 * are not plain identifiers quoted: `Condition.StringLike["aws:sub"]`.
 * Pushes return a mark to pop back to.
 */
#define TL_JPATH_MAX 256
struct tl_jpath {
	char text[TL_JPATH_MAX];
	size_t len;
	bool truncated;
};

void tl_jpath_init(struct tl_jpath *p, const char *root);
size_t tl_jpath_push_key(struct tl_jpath *p, const char *key);
size_t tl_jpath_push_index(struct tl_jpath *p, size_t index);
void tl_jpath_pop(struct tl_jpath *p, size_t mark);
/* The path text; "" (or the root) when nothing was pushed. */
const char *tl_jpath_str(const struct tl_jpath *p);

/*
 * Fails with TL_ERR_INVALID at `path` unless `v` has type `type`
 * (JSON_STRING, ...): "expected a string, found an array".
 */
int tl_json_expect(const json_t *v, json_type type, const struct tl_jpath *path,
		   struct tl_error *err);

/*
 * Fails with TL_ERR_INVALID naming the first key of `obj` not in the
 * NULL-terminated `allowed` list ("unknown field 'roel' (expected one of:
 * ...)"), so typos in config and scenario files do not pass silently.
 */
int tl_json_only_keys(const json_t *obj, const char *const *allowed, const struct tl_jpath *path,
		      struct tl_error *err);
