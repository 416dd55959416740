/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The scenario reader's YAML, for other documents: libyaml into a jansson
 * tree with the rules of docs/scenario-format.md "YAML" (core schema
 * scalars, no anchors, aliases, merge keys or duplicate keys, one
 * document, nesting capped at 64).
 *
 * Local tags can be mapped to a one-key object, as CloudFormation reads
 * its short forms: with {"!Sub", "Fn::Sub"} in `tags`, `!Sub "a-${B}"`
 * becomes {"Fn::Sub": "a-${B}"} and `!Join [":", [a, b]]` becomes
 * {"Fn::Join": [":", ["a", "b"]]}. A tagged scalar is always a string.
 * Any other tag is an error naming it.
 */

#include <jansson.h>
#include <stddef.h>

#include "util/error.h"

struct tl_yaml_tag {
	const char *tag; /* as written, "!Sub" */
	const char *key; /* the object key it stands for, "Fn::Sub" */
};

/*
 * Parses `len` bytes. `tags` is an array ended by {NULL, NULL}, or NULL
 * for none. Returns a new reference (caller decrefs), or NULL with `err`
 * set: TL_ERR_SYNTAX with line/column, TL_ERR_NOMEM.
 */
json_t *tl_scenario_yaml_parse(const char *text, size_t len, const struct tl_yaml_tag *tags,
			       struct tl_error *err);
