/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The programs' log sink. The library itself never logs (STYLE.md); the
 * programs call these. One event per line on stderr:
 *   `mock-sts: warning: request from 127.0.0.1 rejected: body too large`
 * Lines above the rate limit (per second) are counted and summarised, so
 * a flood of bad requests cannot flood the log.
 */

#include "util/error.h"

enum tl_log_level {
	TL_LOG_ERROR,
	TL_LOG_WARNING,
	TL_LOG_INFO,
	TL_LOG_DEBUG,
};

/* `program` is borrowed and must outlive the logger. */
void tl_log_setup(const char *program, enum tl_log_level max_level, unsigned per_second);
void tl_log(enum tl_log_level level, const char *fmt, ...) TL_PRINTF(2, 3);
/* Logs `context: <formatted error>` at error level. */
void tl_log_error(const char *context, const struct tl_error *err);
