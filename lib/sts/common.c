/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts/sts-private.h"

uint32_t
tl_sts_utf8_next(const char **p)
{
	const unsigned char *s = (const unsigned char *)*p;
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80) {
		*p += 1;
		return s[0];
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 1;
		cp = s[0] & 0x1fu;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 2;
		cp = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 3;
		cp = s[0] & 0x07u;
	} else {
		*p += 1;
		return 0xfffd;
	}
	for (size_t k = 1; k <= n; k++) {
		if ((s[k] & 0xc0) != 0x80) {
			*p += 1;
			return 0xfffd;
		}
		cp = (cp << 6) | (s[k] & 0x3fu);
	}
	*p += n + 1;
	return cp;
}

size_t
tl_sts_utf8_length(const char *s)
{
	size_t n = 0;

	while (*s) {
		tl_sts_utf8_next(&s);
		n++;
	}
	return n;
}

void
tl_sts_vmsg_init(struct tl_sts_vmsg *v)
{
	v->count = 0;
	tl_buf_init(&v->text, TL_STS_MESSAGE_MAX);
}

void
tl_sts_vmsg_finish(struct tl_sts_vmsg *v)
{
	tl_buf_finish(&v->text);
}

void
tl_sts_vmsg_add(struct tl_sts_vmsg *v, const char *member, const char *value, bool sensitive,
		const char *constraint_fmt, ...)
{
	va_list ap;

	if (v->count++ > 0)
		tl_buf_append_str(&v->text, "; ", NULL);
	if (sensitive)
		tl_buf_printf(&v->text, NULL, "Value at '%s'", member);
	else if (!value)
		tl_buf_printf(&v->text, NULL, "Value null at '%s'", member);
	else
		tl_buf_printf(&v->text, NULL, "Value '%s' at '%s'", value, member);
	tl_buf_append_str(&v->text, " failed to satisfy constraint: ", NULL);
	va_start(ap, constraint_fmt);
	tl_buf_vprintf(&v->text, NULL, constraint_fmt, ap);
	va_end(ap);
}

int
tl_sts_vmsg_fault(struct tl_sts_vmsg *v, struct tl_sts_fault *fault)
{
	if (v->count == 0)
		return 0;
	return tl_sts_fault_set(fault, TL_STS_VALIDATION_ERROR,
				"%zu validation error%s detected: %s", v->count,
				v->count == 1 ? "" : "s", tl_buf_str(&v->text));
}

bool
tl_sts_check_length(struct tl_sts_vmsg *v, const char *member, const char *value, bool sensitive,
		    size_t min, size_t max)
{
	size_t len = tl_sts_utf8_length(value);

	if (len < min) {
		tl_sts_vmsg_add(v, member, value, sensitive,
				"Member must have length greater than or equal to %zu", min);
		return false;
	}
	if (len > max) {
		tl_sts_vmsg_add(v, member, value, sensitive,
				"Member must have length less than or equal to %zu", max);
		return false;
	}
	return true;
}

bool
tl_sts_check_pattern(struct tl_sts_vmsg *v, const char *member, const char *value, bool sensitive,
		     bool (*allowed)(uint32_t cp), const char *pattern)
{
	const char *p = value;

	while (*p) {
		if (!allowed(tl_sts_utf8_next(&p))) {
			tl_sts_vmsg_add(v, member, value, sensitive,
					"Member must satisfy regular expression pattern: %s",
					pattern);
			return false;
		}
	}
	return true;
}

bool
tl_sts_cp_arn(uint32_t cp)
{
	return cp == 0x09 || cp == 0x0a || cp == 0x0d || (cp >= 0x20 && cp <= 0x7e) || cp == 0x85 ||
	       (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) ||
	       (cp >= 0x10000 && cp <= 0x10ffff);
}

bool
tl_sts_cp_latin1(uint32_t cp)
{
	return cp == 0x09 || cp == 0x0a || cp == 0x0d || (cp >= 0x20 && cp <= 0xff);
}

bool
tl_sts_cp_name(uint32_t cp)
{
	return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
	       cp == '_' || cp == '+' || cp == '=' || cp == ',' || cp == '.' || cp == '@' ||
	       cp == '-';
}

bool
tl_sts_parse_int(const char *s, long *out)
{
	const char *p = s;
	long v = 0;

	if (*p == '-')
		p++;
	if (!*p || strlen(p) > 10)
		return false;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (*p - '0');
	}
	if (s[0] == '-')
		v = -v;
	if (v < -2147483648L || v > 2147483647L)
		return false;
	*out = v;
	return true;
}
