/* SPDX-License-Identifier: MIT */
/*
 * Where a JSON value starts in its text. jansson reports positions only
 * for errors, so this is a small tokenizer that walks the document,
 * building the same tl_jpath text as the rules, until it meets the path
 * asked for. Policies are small; one walk per finding is cheap.
 */
#include "config.h"

#include <string.h>

#include "lint/lint.h"

struct scan {
	const char *s, *end;
	int line, col;
	const char *want;
	bool found;
	int fline, fcol;
	unsigned depth;
};

static void
adv(struct scan *sc)
{
	if (*sc->s == '\n') {
		sc->line++;
		sc->col = 1;
	} else if (((unsigned char)*sc->s & 0xc0) != 0x80) {
		sc->col++;
	}
	sc->s++;
}

static void
skip_ws(struct scan *sc)
{
	while (sc->s < sc->end && strchr(" \t\r\n", *sc->s) && *sc->s)
		adv(sc);
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

/* A string; decoded into `out` (truncated, ASCII escapes only) when not NULL. */
static int
scan_string(struct scan *sc, char *out, size_t size)
{
	size_t n = 0;

	if (sc->s >= sc->end || *sc->s != '"')
		return -1;
	adv(sc);
	while (sc->s < sc->end && *sc->s != '"') {
		char c = *sc->s;
		if (c == '\\') {
			adv(sc);
			if (sc->s >= sc->end)
				return -1;
			c = *sc->s;
			switch (c) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'u': {
				int v = 0;
				for (int i = 0; i < 4; i++) {
					adv(sc);
					if (sc->s >= sc->end || hexval(*sc->s) < 0)
						return -1;
					v = v * 16 + hexval(*sc->s);
				}
				c = v < 0x80 ? (char)v : '?';
				break;
			}
			default:
				break;
			}
		}
		if (out && n + 1 < size)
			out[n++] = c;
		adv(sc);
	}
	if (sc->s >= sc->end)
		return -1;
	adv(sc);
	if (out)
		out[n] = '\0';
	return 0;
}

static int scan_value(struct scan *sc, struct tl_jpath *p);

static int
scan_container(struct scan *sc, struct tl_jpath *p, bool object)
{
	char close = object ? '}' : ']';
	size_t index = 0;

	if (++sc->depth > 128)
		return -1;
	adv(sc);
	skip_ws(sc);
	if (sc->s < sc->end && *sc->s == close) {
		adv(sc);
		sc->depth--;
		return 0;
	}
	for (;;) {
		size_t mark;
		skip_ws(sc);
		if (object) {
			char key[TL_JPATH_MAX];
			if (scan_string(sc, key, sizeof(key)) < 0)
				return -1;
			skip_ws(sc);
			if (sc->s >= sc->end || *sc->s != ':')
				return -1;
			adv(sc);
			mark = tl_jpath_push_key(p, key);
		} else {
			mark = tl_jpath_push_index(p, index++);
		}
		skip_ws(sc);
		if (scan_value(sc, p) < 0)
			return -1;
		tl_jpath_pop(p, mark);
		if (sc->found)
			return 0;
		skip_ws(sc);
		if (sc->s >= sc->end)
			return -1;
		if (*sc->s == ',') {
			adv(sc);
			continue;
		}
		if (*sc->s != close)
			return -1;
		adv(sc);
		sc->depth--;
		return 0;
	}
}

static int
scan_value(struct scan *sc, struct tl_jpath *p)
{
	if (sc->s >= sc->end)
		return -1;
	if (strcmp(tl_jpath_str(p), sc->want) == 0) {
		sc->found = true;
		sc->fline = sc->line;
		sc->fcol = sc->col;
		return 0;
	}
	switch (*sc->s) {
	case '{':
		return scan_container(sc, p, true);
	case '[':
		return scan_container(sc, p, false);
	case '"':
		return scan_string(sc, NULL, 0);
	default:
		while (sc->s < sc->end && !strchr(",]} \t\r\n", *sc->s) && *sc->s)
			adv(sc);
		return 0;
	}
}

int
tl_lint_locate(const char *text, size_t len, const char *path, int *line, int *column)
{
	struct scan sc = {.s = text, .end = text + len, .line = 1, .col = 1, .want = path};
	struct tl_jpath p;

	tl_jpath_init(&p, NULL);
	/* A UTF-8 byte order mark is not a column. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		sc.s += 3;
	skip_ws(&sc);
	if (scan_value(&sc, &p) < 0 || !sc.found)
		return -1;
	*line = sc.fline;
	*column = sc.fcol;
	return 0;
}
