/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Errors are values (STYLE.md): every fallible library call takes a
 * `struct tl_error *err` last, fills it on failure and leaves it untouched
 * on success. `err` may be NULL when the caller does not care why.
 */

#include <stdarg.h>
#include <stddef.h>

#define TL_ERROR_MESSAGE_MAX 512
#define TL_ERROR_PATH_MAX 256
#define TL_ERROR_FILE_MAX 256

#define TL_PRINTF(fmt_, args_) __attribute__((format(printf, fmt_, args_)))

/* Broad classes; modules that need finer reasons keep their own enum. */
enum tl_errcode {
	TL_OK = 0,
	TL_ERR_NOMEM, /* allocation failed */
	TL_ERR_IO, /* reading or writing a file or socket failed */
	TL_ERR_SYNTAX, /* input is not well-formed (JSON, YAML, base64, form, ...) */
	TL_ERR_INVALID, /* well-formed but not acceptable (schema, semantics) */
	TL_ERR_LIMIT, /* a size, depth or count cap was exceeded */
	TL_ERR_NOT_FOUND, /* a named thing does not exist */
	TL_ERR_EXISTS, /* a named thing exists already */
	TL_ERR_CRYPTO, /* a cryptographic operation failed or was refused */
	TL_ERR_NETWORK, /* a peer could not be reached or answered wrongly */
	TL_ERR_TIMEOUT, /* a deadline passed */
	TL_ERR_STATE, /* the call is not valid in the object's current state */
};

struct tl_error {
	enum tl_errcode code;
	/* Where: a file with line/column (1-based, 0 = unknown), and/or a
	 * JSON path such as `Statement[1].Condition.StringLike`. */
	char file[TL_ERROR_FILE_MAX];
	int line;
	int column;
	char path[TL_ERROR_PATH_MAX];
	char message[TL_ERROR_MESSAGE_MAX];
};

/* Resets `err` to TL_OK with empty location and message. */
void tl_error_clear(struct tl_error *err);

/*
 * Fills `err` (if not NULL) with `code` and a printf-style message; clears
 * the location. Always returns -1 so callers can `return tl_error_set(...)`.
 */
int tl_error_set(struct tl_error *err, enum tl_errcode code, const char *fmt, ...) TL_PRINTF(3, 4);
int tl_error_setv(struct tl_error *err, enum tl_errcode code, const char *fmt, va_list ap)
	TL_PRINTF(3, 0);

/* Like tl_error_set, and records the JSON path (may be NULL). */
int tl_error_set_at(struct tl_error *err, enum tl_errcode code, const char *path, const char *fmt,
		    ...) TL_PRINTF(4, 5);

/* Sets the location parts; NULL/0 leaves that part as it is. */
void tl_error_locate_file(struct tl_error *err, const char *file, int line, int column);
void tl_error_locate_path(struct tl_error *err, const char *path);

/* Prepends `prefix: ` to the message (for adding context on the way up). */
void tl_error_prefix(struct tl_error *err, const char *fmt, ...) TL_PRINTF(2, 3);

/* Stable lower-case name of a code, e.g. "syntax". */
const char *tl_errcode_name(enum tl_errcode code);

/*
 * Renders the error for a person: `file:line:column: path: message`, each
 * location part only when known. Returns the length it would have needed,
 * like snprintf.
 */
size_t tl_error_format(const struct tl_error *err, char *buf, size_t size);
