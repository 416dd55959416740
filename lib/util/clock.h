/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * An injectable clock. Servers and verifiers read time only through a
 * `struct tl_clock`, so tests and scenarios can pin "now" (`--now`) and add
 * per-case offsets. A NULL clock means the system's real time.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct tl_clock {
	bool pinned;
	int64_t pinned_ms; /* Unix time in milliseconds, when pinned */
	int64_t offset_ms; /* added to real or pinned time */
};

/* Real time, no offset. */
void tl_clock_init_system(struct tl_clock *c);
/* Always answers `unix_ms` (plus any offset set later). */
void tl_clock_init_pinned(struct tl_clock *c, int64_t unix_ms);

/* Current Unix time in milliseconds / whole seconds. `c` may be NULL. */
int64_t tl_clock_now_ms(const struct tl_clock *c);
int64_t tl_clock_now(const struct tl_clock *c);

/*
 * Parses an ISO 8601 / RFC 3339 UTC timestamp as AWS and the CLIs write
 * them: `2026-11-23T12:00:00Z`, optional fractional seconds, `Z` or a
 * `+hh:mm`/`-hh:mm` offset; a bare date `2026-11-23` means midnight UTC.
 * Also accepts a plain integer of Unix seconds. Result in Unix ms.
 */
int tl_time_parse(const char *text, int64_t *unix_ms, struct tl_error *err);

/* Writes `2026-11-23T12:00:00Z` (seconds precision, UTC); needs 21 bytes. */
#define TL_TIME_ISO8601_LEN 21
void tl_time_format_iso8601(int64_t unix_seconds, char out[TL_TIME_ISO8601_LEN]);
