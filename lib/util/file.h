/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

#include "util/error.h"

/*
 * Reads a whole file of at most `max` bytes. On success *data (caller
 * frees) holds the bytes plus a terminating NUL not counted in *len.
 * A larger file is TL_ERR_LIMIT, before it is read.
 */
int tl_file_read(const char *path, size_t max, char **data, size_t *len, struct tl_error *err);

/*
 * Replaces `path` atomically: writes a temporary file in the same
 * directory, fsyncs it, renames it over `path` and fsyncs the directory.
 * A crash at any moment leaves either the old or the new content. On
 * failure the old file is untouched and the temporary file removed.
 * `mode` is the permission of a newly created file (e.g. 0600).
 */
int tl_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
			 struct tl_error *err);

/* Directory part of `path` ("." when it has none), into `out`. */
void tl_path_dirname(const char *path, char *out, size_t size);

/*
 * Resolves `rel` against the directory of `base_file` (absolute `rel`
 * stays as it is). Returns -1 with TL_ERR_LIMIT if it does not fit.
 */
int tl_path_join_relative(const char *base_file, const char *rel, char *out, size_t size,
			  struct tl_error *err);
