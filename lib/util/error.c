/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "util/error.h"

static void
copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
tl_error_clear(struct tl_error *err)
{
	if (!err)
		return;
	err->code = TL_OK;
	err->file[0] = '\0';
	err->line = 0;
	err->column = 0;
	err->path[0] = '\0';
	err->message[0] = '\0';
}

int
tl_error_setv(struct tl_error *err, enum tl_errcode code, const char *fmt, va_list ap)
{
	if (!err)
		return -1;
	tl_error_clear(err);
	err->code = code;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	return -1;
}

int
tl_error_set(struct tl_error *err, enum tl_errcode code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tl_error_setv(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

int
tl_error_set_at(struct tl_error *err, enum tl_errcode code, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tl_error_setv(err, code, fmt, ap);
	va_end(ap);
	tl_error_locate_path(err, path);
	return -1;
}

void
tl_error_locate_file(struct tl_error *err, const char *file, int line, int column)
{
	if (!err)
		return;
	if (file)
		copy_str(err->file, sizeof(err->file), file);
	if (line > 0)
		err->line = line;
	if (column > 0)
		err->column = column;
}

void
tl_error_locate_path(struct tl_error *err, const char *path)
{
	if (err && path)
		copy_str(err->path, sizeof(err->path), path);
}

void
tl_error_prefix(struct tl_error *err, const char *fmt, ...)
{
	char prefix[TL_ERROR_MESSAGE_MAX];
	char joined[TL_ERROR_MESSAGE_MAX];
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	/* Joined by hand: the result is cut at the buffer's end, on purpose. */
	copy_str(joined, sizeof(joined), prefix);
	size_t used = strlen(joined);
	if (used + 2 < sizeof(joined)) {
		memcpy(joined + used, ": ", 3);
		copy_str(joined + used + 2, sizeof(joined) - used - 2, err->message);
	}
	copy_str(err->message, sizeof(err->message), joined);
}

const char *
tl_errcode_name(enum tl_errcode code)
{
	switch (code) {
	case TL_OK:
		return "ok";
	case TL_ERR_NOMEM:
		return "nomem";
	case TL_ERR_IO:
		return "io";
	case TL_ERR_SYNTAX:
		return "syntax";
	case TL_ERR_INVALID:
		return "invalid";
	case TL_ERR_LIMIT:
		return "limit";
	case TL_ERR_NOT_FOUND:
		return "not-found";
	case TL_ERR_EXISTS:
		return "exists";
	case TL_ERR_CRYPTO:
		return "crypto";
	case TL_ERR_NETWORK:
		return "network";
	case TL_ERR_TIMEOUT:
		return "timeout";
	case TL_ERR_STATE:
		return "state";
	}
	return "unknown";
}

size_t
tl_error_format(const struct tl_error *err, char *buf, size_t size)
{
	size_t used = 0;
	int n;

#define APPEND(...)                                                          \
	do {                                                                 \
		n = snprintf(buf ? buf + (used < size ? used : size) : NULL, \
			     used < size ? size - used : 0, __VA_ARGS__);    \
		if (n > 0)                                                   \
			used += (size_t)n;                                   \
	} while (0)

	if (size > 0 && buf)
		buf[0] = '\0';
	if (err->file[0]) {
		APPEND("%s", err->file);
		if (err->line > 0) {
			APPEND(":%d", err->line);
			if (err->column > 0)
				APPEND(":%d", err->column);
		}
		APPEND(": ");
	}
	if (err->path[0])
		APPEND("%s: ", err->path);
	APPEND("%s", err->message[0] ? err->message : tl_errcode_name(err->code));
#undef APPEND
	return used;
}
