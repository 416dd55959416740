/* SPDX-License-Identifier: MIT */
/*
 * Scenario sources: YAML (libyaml's event API) and JSON into one jansson
 * tree, with a side table of positions per JSON path.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "scenario-private.h"
#include "yaml.h"

/* --- the position table ------------------------------------------------- */

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

void
tl_spos_init(struct tl_spos *t)
{
	memset(t, 0, sizeof(*t));
}

void
tl_spos_finish(struct tl_spos *t)
{
	for (size_t i = 0; i < t->count; i++) {
		free(t->items[i].path);
		free(t->items[i].plain);
	}
	free(t->items);
	free(t->index);
	memset(t, 0, sizeof(*t));
}

static size_t
find_slot(const struct tl_spos *t, const char *path)
{
	size_t mask = t->index_cap - 1;
	size_t i = (size_t)hash_str(path) & mask;
	while (t->index[i] != SIZE_MAX && strcmp(t->items[t->index[i]].path, path) != 0)
		i = (i + 1) & mask;
	return i;
}

static int
grow_index(struct tl_spos *t)
{
	size_t cap = t->index_cap ? t->index_cap * 2 : 64;
	size_t *index = malloc(cap * sizeof(*index));
	if (!index)
		return -1;
	for (size_t i = 0; i < cap; i++)
		index[i] = SIZE_MAX;
	free(t->index);
	t->index = index;
	t->index_cap = cap;
	for (size_t i = 0; i < t->count; i++)
		t->index[find_slot(t, t->items[i].path)] = i;
	return 0;
}

int
tl_spos_add(struct tl_spos *t, const char *path, int line, int column, const char *plain)
{
	if ((t->count + 1) * 2 > t->index_cap && grow_index(t) < 0)
		return -1;
	size_t slot = find_slot(t, path);
	if (t->index[slot] != SIZE_MAX)
		return 0;
	if (t->count == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct tl_spos_entry *items = realloc(t->items, cap * sizeof(*items));
		if (!items)
			return -1;
		t->items = items;
		t->cap = cap;
	}
	struct tl_spos_entry *e = &t->items[t->count];
	e->path = strdup(path);
	e->plain = plain ? strdup(plain) : NULL;
	if (!e->path || (plain && !e->plain)) {
		free(e->path);
		free(e->plain);
		return -1;
	}
	e->line = line;
	e->column = column;
	t->index[slot] = t->count++;
	return 0;
}

const struct tl_spos_entry *
tl_spos_get(const struct tl_spos *t, const char *path)
{
	if (!t->index_cap)
		return NULL;
	size_t slot = find_slot(t, path);
	return t->index[slot] == SIZE_MAX ? NULL : &t->items[t->index[slot]];
}

bool
tl_spos_locate(const struct tl_spos *t, const char *path, int *line, int *column)
{
	char buf[TL_JPATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (;;) {
		const struct tl_spos_entry *e = tl_spos_get(t, buf);
		if (e) {
			*line = e->line;
			*column = e->column;
			return true;
		}
		if (!*buf)
			return false;
		/* Cut the last component: at the last '.' or '[' outside quotes. */
		size_t cut = 0;
		bool quoted = false;
		for (size_t i = 0; buf[i]; i++) {
			if (buf[i] == '\\' && quoted && buf[i + 1]) {
				i++;
				continue;
			}
			if (buf[i] == '"')
				quoted = !quoted;
			else if (!quoted && (buf[i] == '.' || buf[i] == '['))
				cut = i;
		}
		buf[cut] = '\0';
	}
}

const char *
tl_spos_plain_text(const struct tl_spos *t, const char *path)
{
	const struct tl_spos_entry *e = tl_spos_get(t, path);
	return e ? e->plain : NULL;
}

/* --- YAML ---------------------------------------------------------------- */

struct frame {
	json_t *node; /* object or array */
	size_t mark; /* path length before this node's own component */
	char *key; /* a mapping's pending key, NULL when a key is expected */
	int key_line, key_column;
	size_t index;
	bool wrapper; /* the one-key object a mapped tag stands for */
};

#define YAML_MAX_DEPTH_HARD 256

struct yreader {
	struct tl_spos *pos;
	struct tl_error *err;
	struct tl_jpath path;
	struct frame stack[YAML_MAX_DEPTH_HARD];
	unsigned depth, max_depth;
	json_t *root;
	int documents;
	const struct tl_yaml_tag *tags;
};

static int TL_PRINTF(3, 4) yfail(struct yreader *r, const yaml_mark_t *mark, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tl_error_setv(r->err, TL_ERR_SYNTAX, fmt, ap);
	va_end(ap);
	tl_error_locate_file(r->err, NULL, (int)mark->line + 1, (int)mark->column + 1);
	return -1;
}

static bool
all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/*
 * YAML 1.2 core schema resolution of a plain scalar. NULL with *oom false
 * means "keep the text as a string"; *oom true means an allocation failed.
 */
static json_t *
resolve_plain(const char *s, bool *oom)
{
	if (!*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	    strcmp(s, "NULL") == 0)
		return json_null();
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0)
		return json_true();
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0)
		return json_false();
	const char *d = (*s == '-' || *s == '+') ? s + 1 : s;
	if (all_digits(d)) {
		errno = 0;
		char *end;
		long long v = strtoll(s, &end, 10);
		if (errno == 0 && !*end) {
			json_t *n = json_integer(v);
			*oom = !n;
			return n;
		}
		return NULL; /* out of range: keep the text */
	}
	/* [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
	const char *p = d;
	size_t int_digits = 0, frac_digits = 0;
	while (*p >= '0' && *p <= '9') {
		p++;
		int_digits++;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			p++;
			frac_digits++;
		}
	} else
		return NULL;
	if (!int_digits && !frac_digits)
		return NULL;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p)
		return NULL;
	char *end;
	double v = strtod(s, &end);
	if (*end)
		return NULL;
	json_t *r = json_real(v);
	*oom = !r;
	return r;
}

/* Attaches `v` (stolen) under the current frame and records its position. */
static int
yattach(struct yreader *r, json_t *v, const yaml_mark_t *mark, const char *plain, size_t *mark_out)
{
	size_t m = r->path.len;
	int line = (int)mark->line + 1, column = (int)mark->column + 1;

	if (r->depth == 0) {
		r->root = v;
	} else {
		struct frame *f = &r->stack[r->depth - 1];
		if (json_is_object(f->node)) {
			tl_jpath_push_key(&r->path, f->key);
			line = f->key_line;
			column = f->key_column;
			if (json_object_set_new(f->node, f->key, v) < 0)
				return tl_error_set(r->err, TL_ERR_NOMEM, "out of memory");
			free(f->key);
			f->key = NULL;
		} else {
			tl_jpath_push_index(&r->path, f->index++);
			if (json_array_append_new(f->node, v) < 0)
				return tl_error_set(r->err, TL_ERR_NOMEM, "out of memory");
		}
	}
	if (tl_spos_add(r->pos, tl_jpath_str(&r->path), line, column, plain) < 0)
		return tl_error_set(r->err, TL_ERR_NOMEM, "out of memory");
	if (mark_out)
		*mark_out = m;
	else
		tl_jpath_pop(&r->path, m);
	return 0;
}

static int
yscalar(struct yreader *r, const yaml_event_t *ev, bool tagged)
{
	const char *text = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;

	if (strlen(text) != len)
		return yfail(r, &ev->start_mark, "%s", "NUL characters are not allowed");
	if (r->depth > 0) {
		struct frame *f = &r->stack[r->depth - 1];
		if (json_is_object(f->node) && !f->key) {
			if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
			    strcmp(text, "<<") == 0)
				return yfail(r, &ev->start_mark, "%s",
					     "merge keys (<<) are not supported");
			if (json_object_get(f->node, text))
				return yfail(r, &ev->start_mark, "duplicate key '%s'", text);
			f->key = strdup(text);
			if (!f->key)
				return tl_error_set(r->err, TL_ERR_NOMEM, "out of memory");
			f->key_line = (int)ev->start_mark.line + 1;
			f->key_column = (int)ev->start_mark.column + 1;
			return 0;
		}
	}
	json_t *v = NULL;
	const char *plain = NULL;
	bool oom = false;
	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !tagged) {
		v = resolve_plain(text, &oom);
		if (oom)
			return tl_error_set(r->err, TL_ERR_NOMEM, "out of memory");
		if (v && !json_is_string(v))
			plain = text;
	}
	if (!v)
		v = json_stringn(text, len);
	if (!v) {
		/* json_stringn fails for bad UTF-8 and for want of memory; the
		 * unchecked variant fails only for the latter. */
		json_t *probe = json_stringn_nocheck(text, len);
		if (!probe)
			return tl_error_set(r->err, TL_ERR_NOMEM, "out of memory");
		json_decref(probe);
		return yfail(r, &ev->start_mark, "%s", "invalid UTF-8 in a scalar");
	}
	return yattach(r, v, &ev->start_mark, plain, NULL);
}

static int
ystart(struct yreader *r, const yaml_event_t *ev, bool mapping)
{
	if (r->depth >= r->max_depth || r->depth >= YAML_MAX_DEPTH_HARD)
		return yfail(r, &ev->start_mark, "nesting deeper than %s levels",
			     r->max_depth > 64 ? "allowed" : "64");
	if (r->depth > 0) {
		struct frame *f = &r->stack[r->depth - 1];
		if (json_is_object(f->node) && !f->key)
			return yfail(r, &ev->start_mark, "%s",
				     "a key must be a scalar, not a mapping or sequence");
	}
	json_t *v = mapping ? json_object() : json_array();
	if (!v)
		return tl_error_set(r->err, TL_ERR_NOMEM, "out of memory");
	size_t m;
	if (yattach(r, v, &ev->start_mark, NULL, &m) < 0)
		return -1;
	struct frame *f = &r->stack[r->depth++];
	memset(f, 0, sizeof(*f));
	f->node = v;
	f->mark = m;
	return 0;
}

static void
ypop(struct yreader *r)
{
	struct frame *f = &r->stack[--r->depth];
	free(f->key);
	f->key = NULL;
	tl_jpath_pop(&r->path, f->mark);
}

/* A tag: refused, or (mapped) opens its one-key object for the value. */
static int
ytag(struct yreader *r, const yaml_event_t *ev, const char *tag)
{
	const struct tl_yaml_tag *t = r->tags;
	while (t && t->tag && strcmp(t->tag, tag) != 0)
		t++;
	if (!t || !t->tag)
		return yfail(r, &ev->start_mark, "tags (%s) are not supported", tag);
	if (r->depth > 0) {
		struct frame *f = &r->stack[r->depth - 1];
		if (json_is_object(f->node) && !f->key)
			return yfail(r, &ev->start_mark, "a key must not carry a tag (%s)", tag);
	}
	if (ystart(r, ev, true) < 0)
		return -1;
	struct frame *w = &r->stack[r->depth - 1];
	w->wrapper = true;
	w->key = strdup(t->key);
	if (!w->key)
		return tl_error_set(r->err, TL_ERR_NOMEM, "out of memory");
	w->key_line = (int)ev->start_mark.line + 1;
	w->key_column = (int)ev->start_mark.column + 1;
	return 0;
}

static int
yevent(struct yreader *r, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;

	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return yfail(
			r, &ev->start_mark, "%s",
			"aliases (*name) are not supported (write the all-roles key as \"*\")");
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	case YAML_DOCUMENT_START_EVENT:
		if (++r->documents > 1)
			return yfail(r, &ev->start_mark, "%s",
				     "more than one document (---) in a scenario file");
		return 0;
	default:
		break;
	}
	if (anchor)
		return yfail(r, &ev->start_mark, "anchors (&%s) are not supported",
			     (const char *)anchor);
	if (tag && ytag(r, ev, (const char *)tag) < 0)
		return -1;

	int rc = 0;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		rc = yscalar(r, ev, tag != NULL);
		break;
	case YAML_SEQUENCE_START_EVENT:
		return ystart(r, ev, false);
	case YAML_MAPPING_START_EVENT:
		return ystart(r, ev, true);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		ypop(r);
		break;
	default:
		return 0;
	}
	/* A mapped tag's object is complete once its one value is. */
	while (rc == 0 && r->depth > 0 && r->stack[r->depth - 1].wrapper &&
	       !r->stack[r->depth - 1].key)
		ypop(r);
	return rc;
}

static json_t *yaml_load(const char *text, size_t len, unsigned max_depth, struct tl_spos *pos,
			 const struct tl_yaml_tag *tags, struct tl_error *err);

json_t *
tl_scenario_yaml_load(const char *text, size_t len, unsigned max_depth, struct tl_spos *pos,
		      struct tl_error *err)
{
	return yaml_load(text, len, max_depth, pos, NULL, err);
}

json_t *
tl_scenario_yaml_parse(const char *text, size_t len, const struct tl_yaml_tag *tags,
		       struct tl_error *err)
{
	struct tl_spos pos;
	tl_spos_init(&pos);
	json_t *v = yaml_load(text, len, 64, &pos, tags, err);
	tl_spos_finish(&pos);
	return v;
}

static json_t *
yaml_load(const char *text, size_t len, unsigned max_depth, struct tl_spos *pos,
	  const struct tl_yaml_tag *tags, struct tl_error *err)
{
	yaml_parser_t parser;
	struct yreader r;
	bool done = false;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	r.pos = pos;
	r.err = err;
	r.max_depth = max_depth ? max_depth : 64;
	r.tags = tags;
	tl_jpath_init(&r.path, NULL);
	if (!yaml_parser_initialize(&parser)) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done && rc == 0) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			if (parser.error == YAML_MEMORY_ERROR) {
				tl_error_set(err, TL_ERR_NOMEM, "out of memory");
			} else {
				tl_error_set(err, TL_ERR_SYNTAX, "%s%s%s",
					     parser.problem ? parser.problem : "malformed YAML",
					     parser.context ? " " : "",
					     parser.context ? parser.context : "");
				tl_error_locate_file(err, NULL, (int)parser.problem_mark.line + 1,
						     (int)parser.problem_mark.column + 1);
			}
			rc = -1;
			break;
		}
		rc = yevent(&r, &ev);
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	for (unsigned i = 0; i < r.depth; i++)
		free(r.stack[i].key);
	if (rc < 0) {
		json_decref(r.root);
		return NULL;
	}
	if (!r.root) {
		tl_error_set(err, TL_ERR_SYNTAX, "empty document");
		tl_error_locate_file(err, NULL, 1, 1);
		return NULL;
	}
	return r.root;
}

/* --- JSON positions ------------------------------------------------------ */

struct jscan {
	const char *p, *start, *end;
	const char *line_start;
	int line;
	struct tl_spos *pos;
	struct tl_jpath path;
};

static void
jskip_ws(struct jscan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) {
		if (*s->p == '\n') {
			s->line++;
			s->line_start = s->p + 1;
		}
		s->p++;
	}
}

static int
jcolumn(const struct jscan *s)
{
	/* Columns count characters, not bytes: skip UTF-8 continuation bytes. */
	int col = 1;
	for (const char *c = s->line_start; c < s->p; c++)
		if (((unsigned char)*c & 0xC0) != 0x80)
			col++;
	return col;
}

/* Skips a string token; returns its bytes (with quotes) via start/len. */
static void
jskip_string(struct jscan *s)
{
	s->p++;
	while (s->p < s->end && *s->p != '"') {
		if (*s->p == '\\')
			s->p++;
		s->p++;
	}
	if (s->p < s->end)
		s->p++;
}

static int jvalue(struct jscan *s, unsigned depth);

static int
jrecord(struct jscan *s, int line, int column)
{
	return tl_spos_add(s->pos, tl_jpath_str(&s->path), line, column, NULL);
}

static int
jvalue(struct jscan *s, unsigned depth)
{
	jskip_ws(s);
	if (s->p >= s->end || depth > 512)
		return 0;
	if (*s->p == '{') {
		s->p++;
		for (;;) {
			jskip_ws(s);
			if (s->p >= s->end || *s->p == '}') {
				s->p++;
				return 0;
			}
			if (*s->p == ',') {
				s->p++;
				continue;
			}
			if (*s->p != '"')
				return 0; /* not JSON tl_json_load accepted: stop */
			int line = s->line, column = jcolumn(s);
			const char *k = s->p;
			jskip_string(s);
			json_t *key = json_loadb(k, (size_t)(s->p - k), JSON_DECODE_ANY, NULL);
			size_t m = tl_jpath_push_key(
				&s->path, json_is_string(key) ? json_string_value(key) : "");
			json_decref(key);
			if (jrecord(s, line, column) < 0)
				return -1;
			jskip_ws(s);
			if (s->p < s->end && *s->p == ':')
				s->p++;
			if (jvalue(s, depth + 1) < 0)
				return -1;
			tl_jpath_pop(&s->path, m);
		}
	}
	if (*s->p == '[') {
		s->p++;
		for (size_t i = 0;;) {
			jskip_ws(s);
			if (s->p >= s->end || *s->p == ']') {
				s->p++;
				return 0;
			}
			if (*s->p == ',') {
				s->p++;
				continue;
			}
			const char *before = s->p;
			size_t m = tl_jpath_push_index(&s->path, i++);
			if (jrecord(s, s->line, jcolumn(s)) < 0)
				return -1;
			if (jvalue(s, depth + 1) < 0)
				return -1;
			tl_jpath_pop(&s->path, m);
			if (s->p == before)
				return 0;
		}
	}
	if (*s->p == '"') {
		jskip_string(s);
		return 0;
	}
	/* A number or literal; always advance, whatever the byte. */
	do
		s->p++;
	while (s->p < s->end && *s->p && !strchr(",]} \t\r\n", *s->p));
	return 0;
}

int
tl_scenario_json_positions(const char *text, size_t len, const char *root, struct tl_spos *pos)
{
	struct jscan s = {.p = text,
			  .start = text,
			  .end = text + len,
			  .line_start = text,
			  .line = 1,
			  .pos = pos};
	tl_jpath_init(&s.path, root);
	jskip_ws(&s);
	if (jrecord(&s, s.line, jcolumn(&s)) < 0)
		return -1;
	return jvalue(&s, 0);
}
