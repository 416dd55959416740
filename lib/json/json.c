/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"

#include "json/json.h"

const struct tl_json_limits tl_json_default_limits = {
	.max_bytes = 1024 * 1024,
	.max_depth = 64,
};

/*
 * jansson 2.14 does not always fail a parse when an allocation fails: its
 * string lexer can drop the character it could not store and go on, so a
 * document comes back with "12345" turned into "1345" (seen under
 * allocation-failure injection). A parse must fail whole instead, so every
 * jansson allocation goes through a wrapper that records a failure for the
 * calling thread, and tl_json_load discards a document built while one
 * occurred. The wrapper forwards to whatever allocator was installed
 * before it (tests install failing ones), and reinstalls itself if someone
 * replaces it.
 */
static _Thread_local unsigned long alloc_failures;
static json_malloc_t wrapped_malloc = malloc;
static pthread_mutex_t alloc_lock = PTHREAD_MUTEX_INITIALIZER;

static void *
tracking_malloc(size_t size)
{
	void *p = wrapped_malloc(size);
	if (!p)
		alloc_failures++;
	return p;
}

unsigned long
tl_json_alloc_failures(void)
{
	json_malloc_t m;
	json_free_t f;

	pthread_mutex_lock(&alloc_lock);
	json_get_alloc_funcs(&m, &f);
	if (m != tracking_malloc) {
		wrapped_malloc = m;
		json_set_alloc_funcs(tracking_malloc, f);
	}
	pthread_mutex_unlock(&alloc_lock);
	return alloc_failures;
}

unsigned
tl_json_depth(const char *text, size_t len, unsigned max_depth)
{
	unsigned depth = 0, deepest = 0;
	bool in_string = false;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		switch (c) {
		case '"':
			in_string = true;
			break;
		case '[':
		case '{':
			if (++depth > deepest) {
				deepest = depth;
				if (deepest > max_depth)
					return deepest;
			}
			break;
		case ']':
		case '}':
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
	}
	return deepest;
}

json_t *
tl_json_load(const char *text, size_t len, const struct tl_json_limits *limits, const char *source,
	     struct tl_error *err)
{
	json_error_t jerr;
	json_t *root;

	if (!limits)
		limits = &tl_json_default_limits;
	if (len > limits->max_bytes) {
		tl_error_set(err, TL_ERR_LIMIT,
			     "JSON document is %zu bytes, more than the limit of %zu", len,
			     limits->max_bytes);
		goto locate;
	}
	if (tl_json_depth(text, len, limits->max_depth) > limits->max_depth) {
		tl_error_set(err, TL_ERR_LIMIT, "JSON nesting is deeper than the limit of %u",
			     limits->max_depth);
		goto locate;
	}
	/* JSON_REJECT_DUPLICATES: a second "sub" must never shadow the first
	 * one a peer parser would see. NUL inside strings stays rejected
	 * (no JSON_ALLOW_NUL), so C string views match the parsed value. */
	/* jansson stops at a NUL after a complete value ({"a": 2\0}) instead
	 * of failing: no document trustlab reads may carry one. */
	{
		const char *nul = memchr(text, '\0', len);
		if (nul) {
			tl_error_set(err, TL_ERR_SYNTAX, "invalid JSON: NUL byte at offset %zu",
				     (size_t)(nul - text));
			goto locate;
		}
	}
	/* Zeroed: jansson leaves it untouched when its lexer cannot allocate. */
	memset(&jerr, 0, sizeof(jerr));
	unsigned long failures = tl_json_alloc_failures();
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (tl_json_alloc_failures() != failures) {
		json_decref(root);
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory parsing JSON"), NULL;
	}
	if (!root) {
		/* jansson 2.14 leaves the text empty when its lexer cannot even
		 * allocate its buffer; that too is out of memory, not bad input. */
		if (json_error_code(&jerr) == json_error_out_of_memory || jerr.text[0] == '\0')
			return tl_error_set(err, TL_ERR_NOMEM, "out of memory parsing JSON"), NULL;
		tl_error_set(err, TL_ERR_SYNTAX, "invalid JSON: %s", jerr.text);
		tl_error_locate_file(err, source, jerr.line, jerr.column);
		return NULL;
	}
	return root;
locate:
	if (source)
		tl_error_locate_file(err, source, 0, 0);
	return NULL;
}

json_t *
tl_json_load_file(const char *path, const struct tl_json_limits *limits, struct tl_error *err)
{
	char *data;
	size_t len;
	json_t *root;

	if (!limits)
		limits = &tl_json_default_limits;
	if (tl_file_read(path, limits->max_bytes, &data, &len, err) < 0)
		return NULL;
	root = tl_json_load(data, len, limits, path, err);
	free(data);
	return root;
}

const char *
tl_json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
		return "null";
	}
	return "an unknown value";
}

static const char *
type_wanted(json_type type)
{
	switch (type) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "a value";
}

void
tl_jpath_init(struct tl_jpath *p, const char *root)
{
	p->len = 0;
	p->truncated = false;
	p->text[0] = '\0';
	if (root && *root) {
		int n = snprintf(p->text, sizeof(p->text), "%s", root);
		p->len = n < 0 ? 0 : (size_t)n < sizeof(p->text) ? (size_t)n : sizeof(p->text) - 1;
	}
}

static bool
is_identifier(const char *key)
{
	if (!*key || !(key[0] == '_' || (key[0] >= 'A' && key[0] <= 'Z') ||
		       (key[0] >= 'a' && key[0] <= 'z')))
		return false;
	for (const char *c = key; *c; c++)
		if (!(*c == '_' || *c == '-' || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
			return false;
	return true;
}

/* Appends `a` then `b` (either may be ""); marks the path truncated when full. */
static void
jpath_append(struct tl_jpath *p, const char *a, const char *b)
{
	size_t room = sizeof(p->text) - p->len;
	int n = snprintf(p->text + p->len, room, "%s%s", a, b);
	if (n < 0 || (size_t)n >= room) {
		p->truncated = true;
		p->len = sizeof(p->text) - 1;
		p->text[p->len] = '\0';
		return;
	}
	p->len += (size_t)n;
}

size_t
tl_jpath_push_key(struct tl_jpath *p, const char *key)
{
	size_t mark = p->len;
	if (is_identifier(key))
		jpath_append(p, p->len ? "." : "", key);
	else {
		/* Quote the key as JSON would, without its control characters. */
		char quoted[128];
		size_t q = 0;
		for (const char *c = key; *c && q + 5 < sizeof(quoted); c++) {
			if (*c == '"' || *c == '\\')
				quoted[q++] = '\\';
			quoted[q++] = (unsigned char)*c < 0x20 ? '?' : *c;
		}
		quoted[q++] = '"';
		quoted[q++] = ']';
		quoted[q] = '\0';
		jpath_append(p, "[\"", quoted);
	}
	return mark;
}

size_t
tl_jpath_push_index(struct tl_jpath *p, size_t index)
{
	size_t mark = p->len;
	char text[32];
	snprintf(text, sizeof(text), "[%zu]", index);
	jpath_append(p, text, "");
	return mark;
}

void
tl_jpath_pop(struct tl_jpath *p, size_t mark)
{
	if (mark < sizeof(p->text)) {
		p->len = mark;
		p->text[mark] = '\0';
		p->truncated = false;
	}
}

const char *
tl_jpath_str(const struct tl_jpath *p)
{
	return p->text;
}

int
tl_json_expect(const json_t *v, json_type type, const struct tl_jpath *path, struct tl_error *err)
{
	bool ok = type == JSON_TRUE || type == JSON_FALSE ? json_is_boolean(v)
		  : type == JSON_REAL			  ? json_is_number(v)
							  : json_typeof(v) == type;
	if (ok)
		return 0;
	return tl_error_set_at(err, TL_ERR_INVALID, path ? tl_jpath_str(path) : NULL,
			       "expected %s, found %s", type_wanted(type), tl_json_type_name(v));
}

int
tl_json_only_keys(const json_t *obj, const char *const *allowed, const struct tl_jpath *path,
		  struct tl_error *err)
{
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)obj, key, value)
	{
		bool known = false;
		for (const char *const *a = allowed; *a && !known; a++)
			known = strcmp(*a, key) == 0;
		if (!known) {
			/* The whole list, so a typo can be matched against it; a
			 * list too long for the message ends in ", ..." at a name
			 * boundary, never mid-word. */
			char list[TL_ERROR_MESSAGE_MAX - 96] = "";
			size_t used = 0;
			for (const char *const *a = allowed; *a; a++) {
				size_t need = strlen(*a) + (a == allowed ? 0 : 2);
				if (used + need + 5 >= sizeof(list)) {
					memcpy(list + used, ", ...", 6);
					break;
				}
				snprintf(list + used, sizeof(list) - used, "%s%s",
					 a == allowed ? "" : ", ", *a);
				used += need;
			}
			return tl_error_set_at(
				err, TL_ERR_INVALID, path ? tl_jpath_str(path) : NULL,
				"unknown field '%s' (expected one of: %s)", key, list);
		}
	}
	(void)value;
	return 0;
}
