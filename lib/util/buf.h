/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A growable byte buffer with a hard cap (curl's dynbuf): appends past
 * `max` fail with TL_ERR_LIMIT instead of growing without bound. The data
 * is always NUL-terminated (the NUL is not counted in `len`) so text can be
 * used directly as a C string.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct tl_buf {
	char *data; /* NULL until the first append */
	size_t len;
	size_t cap;
	size_t max; /* largest `len` allowed */
};

/* Initialises an empty buffer that may hold at most `max` bytes. */
void tl_buf_init(struct tl_buf *b, size_t max);

/* Frees the storage; the buffer is empty (and reusable) afterwards. */
void tl_buf_finish(struct tl_buf *b);

/* Empties the buffer but keeps its storage. */
void tl_buf_reset(struct tl_buf *b);

/*
 * Appends; on failure (TL_ERR_LIMIT past `max`, TL_ERR_NOMEM) the buffer
 * is unchanged and -1 is returned.
 */
int tl_buf_append(struct tl_buf *b, const void *data, size_t len, struct tl_error *err);
int tl_buf_append_str(struct tl_buf *b, const char *s, struct tl_error *err);
int tl_buf_putc(struct tl_buf *b, char c, struct tl_error *err);
int tl_buf_printf(struct tl_buf *b, struct tl_error *err, const char *fmt, ...) TL_PRINTF(3, 4);
int tl_buf_vprintf(struct tl_buf *b, struct tl_error *err, const char *fmt, va_list ap)
	TL_PRINTF(3, 0);

/* Appends `s` with XML's five special characters escaped. */
int tl_buf_append_xml(struct tl_buf *b, const char *s, struct tl_error *err);

/* The contents as a C string; "" for an empty buffer (never NULL). */
const char *tl_buf_str(const struct tl_buf *b);

/*
 * Hands the storage to the caller (who frees it with free()) and leaves the
 * buffer empty. Returns a freshly allocated "" for an empty buffer, or NULL
 * if that allocation fails.
 */
char *tl_buf_steal(struct tl_buf *b, size_t *len);
