/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

void
tl_buf_init(struct tl_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
tl_buf_finish(struct tl_buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
tl_buf_reset(struct tl_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* Makes room for `extra` more bytes plus the terminating NUL. */
static int
reserve(struct tl_buf *b, size_t extra, struct tl_error *err)
{
	size_t need, cap;
	char *p;

	if (extra > b->max || b->len > b->max - extra)
		return tl_error_set(err, TL_ERR_LIMIT, "data exceeds the limit of %zu bytes",
				    b->max);
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	p = realloc(b->data, cap);
	if (!p)
		return tl_error_set(err, TL_ERR_NOMEM,
				    "out of memory growing a buffer to %zu bytes", cap);
	b->data = p;
	b->cap = cap;
	return 0;
}

int
tl_buf_append(struct tl_buf *b, const void *data, size_t len, struct tl_error *err)
{
	if (reserve(b, len, err) < 0)
		return -1;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int
tl_buf_append_str(struct tl_buf *b, const char *s, struct tl_error *err)
{
	return tl_buf_append(b, s, strlen(s), err);
}

int
tl_buf_putc(struct tl_buf *b, char c, struct tl_error *err)
{
	return tl_buf_append(b, &c, 1, err);
}

int
tl_buf_vprintf(struct tl_buf *b, struct tl_error *err, const char *fmt, va_list ap)
{
	va_list copy;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return tl_error_set(err, TL_ERR_INVALID, "bad format string");
	if (reserve(b, (size_t)n, err) < 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
tl_buf_printf(struct tl_buf *b, struct tl_error *err, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = tl_buf_vprintf(b, err, fmt, ap);
	va_end(ap);
	return rc;
}

int
tl_buf_append_xml(struct tl_buf *b, const char *s, struct tl_error *err)
{
	size_t start = b->len;

	for (const char *p = s; *p; p++) {
		const char *rep = NULL;
		switch (*p) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		default:
			break;
		}
		if ((rep ? tl_buf_append_str(b, rep, err) : tl_buf_putc(b, *p, err)) < 0) {
			/* Keep the promise that a failed append leaves the buffer as it was. */
			b->len = start;
			if (b->data)
				b->data[start] = '\0';
			return -1;
		}
	}
	return 0;
}

const char *
tl_buf_str(const struct tl_buf *b)
{
	return b->data ? b->data : "";
}

char *
tl_buf_steal(struct tl_buf *b, size_t *len)
{
	char *p = b->data;

	if (len)
		*len = b->len;
	if (!p)
		p = calloc(1, 1);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
