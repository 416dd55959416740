/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"

void
tl_clock_init_system(struct tl_clock *c)
{
	c->pinned = false;
	c->pinned_ms = 0;
	c->offset_ms = 0;
}

void
tl_clock_init_pinned(struct tl_clock *c, int64_t unix_ms)
{
	c->pinned = true;
	c->pinned_ms = unix_ms;
	c->offset_ms = 0;
}

int64_t
tl_clock_now_ms(const struct tl_clock *c)
{
	struct timespec ts;
	int64_t now;

	if (c && c->pinned)
		return c->pinned_ms + c->offset_ms;
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return now + (c ? c->offset_ms : 0);
}

int64_t
tl_clock_now(const struct tl_clock *c)
{
	int64_t ms = tl_clock_now_ms(c);
	/* Floor division, so times before 1970 stay monotonic. */
	return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Reads exactly `n` digits. */
static bool
digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

int
tl_time_parse(const char *text, int64_t *unix_ms, struct tl_error *err)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *p = text;
	int year, mon, day, hh = 0, mm = 0, ss = 0, ms = 0;
	int64_t offset_s = 0;

	if (!text || !*text)
		return tl_error_set(err, TL_ERR_SYNTAX, "empty timestamp");

	/* A plain integer: Unix seconds. */
	{
		const char *q = text + (*text == '-');
		bool all_digits = *q != '\0';
		for (; *q; q++)
			all_digits = all_digits && isdigit((unsigned char)*q);
		if (all_digits) {
			char *end;
			errno = 0;
			long long v = strtoll(text, &end, 10);
			if (errno || v > INT64_MAX / 1000 || v < INT64_MIN / 1000)
				return tl_error_set(err, TL_ERR_SYNTAX,
						    "timestamp '%s' is out of range", text);
			*unix_ms = (int64_t)v * 1000;
			return 0;
		}
	}

	if (!digits(&p, 4, &year) || *p++ != '-' || !digits(&p, 2, &mon) || *p++ != '-' ||
	    !digits(&p, 2, &day))
		goto bad;
	if (mon < 1 || mon > 12 || day < 1 || day > mdays[mon - 1] + (mon == 2 && is_leap(year)))
		goto bad;
	if (*p == 'T' || *p == 't') {
		p++;
		if (!digits(&p, 2, &hh) || *p++ != ':' || !digits(&p, 2, &mm))
			goto bad;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &ss))
				goto bad;
			if (*p == '.') {
				int scale = 100;
				p++;
				if (!isdigit((unsigned char)*p))
					goto bad;
				for (; isdigit((unsigned char)*p); p++) {
					ms += (*p - '0') * scale;
					scale /= 10;
				}
			}
		}
		if (hh > 23 || mm > 59 || ss > 60)
			goto bad;
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om;
			if (!digits(&p, 2, &oh))
				goto bad;
			if (*p == ':')
				p++;
			if (!digits(&p, 2, &om) || oh > 23 || om > 59)
				goto bad;
			offset_s = sign * (oh * 3600 + om * 60);
		} else {
			goto bad;
		}
	}
	if (*p != '\0')
		goto bad;

	*unix_ms = (days_from_civil(year, (unsigned)mon, (unsigned)day) * 86400 + hh * 3600 +
		    mm * 60 + ss - offset_s) *
			   1000 +
		   ms;
	return 0;
bad:
	return tl_error_set(
		err, TL_ERR_SYNTAX,
		"'%s' is not a timestamp (expected e.g. 2026-11-23T12:00:00Z or Unix seconds)",
		text);
}

void
tl_time_format_iso8601(int64_t unix_seconds, char out[TL_TIME_ISO8601_LEN])
{
	time_t t = (time_t)unix_seconds;
	struct tm tm;

	if (!gmtime_r(&t, &tm) ||
	    strftime(out, TL_TIME_ISO8601_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, TL_TIME_ISO8601_LEN, "1970-01-01T00:00:00Z");
}
