/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sts/errors.h"

#define SENDER "Sender"
#define RECEIVER "Receiver"

static const struct tl_sts_error_info table[] = {
#define TL_STS_X_ROW(name_, status_, code_, type_, message_, cause_, fix_) \
	{TL_STS_##name_, status_, code_, type_, message_, cause_, fix_},
	TL_STS_FOR_EACH_ERROR(TL_STS_X_ROW)
#undef TL_STS_X_ROW
};

_Static_assert(sizeof(table) / sizeof(table[0]) == TL_STS_ERROR_COUNT, "table and enum agree");

const struct tl_sts_error_info *
tl_sts_error_info(enum tl_sts_error code)
{
	if (code <= TL_STS_OK || (size_t)code > TL_STS_ERROR_COUNT)
		return NULL;
	return &table[code - 1];
}

enum tl_sts_error
tl_sts_error_from_name(const char *name)
{
	for (size_t i = 0; name && i < TL_STS_ERROR_COUNT; i++) {
		if (strcmp(table[i].name, name) == 0)
			return table[i].code;
	}
	return TL_STS_OK;
}

int
tl_sts_fault_set(struct tl_sts_fault *f, enum tl_sts_error code, const char *fmt, ...)
{
	va_list ap;

	if (!f)
		return -1;
	f->code = code;
	if (!fmt) {
		const struct tl_sts_error_info *info = tl_sts_error_info(code);
		snprintf(f->message, sizeof(f->message), "%s", info ? info->message : "");
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
	return -1;
}

const char *
tl_sts_service_namespace(enum tl_sts_service service)
{
	return service == TL_STS_SERVICE_IAM ? "https://iam.amazonaws.com/doc/2010-05-08/"
					     : "https://sts.amazonaws.com/doc/2011-06-15/";
}

const char *
tl_sts_service_version(enum tl_sts_service service)
{
	return service == TL_STS_SERVICE_IAM ? "2010-05-08" : "2011-06-15";
}

/* Length of the UTF-8 sequence at p that XML 1.0 can carry, 0 if none. */
static size_t
xml_char_len(const unsigned char *p)
{
	unsigned c = p[0];

	if (c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c < 0x7f))
		return 1;
	if (c == 0x7f)
		return 1; /* DEL is a legal XML 1.0 character */
	if (c >= 0xc2 && c <= 0xdf && (p[1] & 0xc0) == 0x80)
		return 2;
	if (c >= 0xe0 && c <= 0xef && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80) {
		unsigned cp = ((c & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3fu);
		if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80 &&
	    (p[3] & 0xc0) == 0x80) {
		unsigned cp = ((c & 0x07u) << 18) | ((p[1] & 0x3fu) << 12) | ((p[2] & 0x3fu) << 6) |
			      (p[3] & 0x3fu);
		if (cp < 0x10000 || cp > 0x10ffff)
			return 0;
		return 4;
	}
	return 0;
}

int
tl_sts_xml_text(struct tl_buf *out, const char *s, struct tl_error *err)
{
	size_t start = out->len;
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n;
		int rc;

		switch (*p) {
		case '&':
			rc = tl_buf_append_str(out, "&amp;", err);
			n = 1;
			break;
		case '<':
			rc = tl_buf_append_str(out, "&lt;", err);
			n = 1;
			break;
		case '>':
			rc = tl_buf_append_str(out, "&gt;", err);
			n = 1;
			break;
		default:
			n = xml_char_len(p);
			if (n == 0) {
				rc = tl_buf_append_str(out, "\xef\xbf\xbd", err);
				n = 1;
			} else {
				rc = tl_buf_append(out, p, n, err);
			}
			break;
		}
		if (rc < 0) {
			out->len = start;
			if (out->data)
				out->data[start] = '\0';
			return -1;
		}
		p += n;
	}
	return 0;
}

int
tl_sts_error_xml(struct tl_buf *out, enum tl_sts_error code, const char *message,
		 const char *request_id, enum tl_sts_service service, struct tl_error *err)
{
	const struct tl_sts_error_info *info = tl_sts_error_info(code);
	size_t start = out->len;

	if (!info)
		return tl_error_set(err, TL_ERR_INVALID, "not an STS error code: %d", (int)code);
	if (tl_buf_printf(out, err,
			  "<ErrorResponse xmlns=\"%s\">\n"
			  "  <Error>\n"
			  "    <Type>%s</Type>\n"
			  "    <Code>%s</Code>\n"
			  "    <Message>",
			  tl_sts_service_namespace(service), info->type, info->name) < 0 ||
	    tl_sts_xml_text(out, message ? message : info->message, err) < 0 ||
	    tl_buf_append_str(out,
			      "</Message>\n"
			      "  </Error>\n"
			      "  <RequestId>",
			      err) < 0 ||
	    tl_sts_xml_text(out, request_id ? request_id : "", err) < 0 ||
	    tl_buf_append_str(out,
			      "</RequestId>\n"
			      "</ErrorResponse>\n",
			      err) < 0) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
		return -1;
	}
	return 0;
}

int
tl_sts_fault_xml(struct tl_buf *out, const struct tl_sts_fault *fault, const char *request_id,
		 enum tl_sts_service service, struct tl_error *err)
{
	return tl_sts_error_xml(out, fault->code, fault->message, request_id, service, err);
}

/* Markdown table cells must not break the row. */
static int
md_cell(struct tl_buf *out, const char *s, struct tl_error *err)
{
	for (const char *p = s; *p; p++) {
		int rc = *p == '|' ? tl_buf_append_str(out, "\\|", err) : tl_buf_putc(out, *p, err);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
tl_sts_errors_markdown(struct tl_buf *out, struct tl_error *err)
{
	if (tl_buf_append_str(
		    out,
		    "<!-- Generated by tools/gen-errors-md from lib/sts/errors.h; do not edit. "
		    "-->\n"
		    "# mock-sts error catalogue\n"
		    "\n"
		    "Every error mock-sts answers, with the HTTP status, the wire `Code` and the "
		    "default `Message` AWS sends\n"
		    "(see `reference/sts.md` §1.4–§1.5). The envelope is AWS's:\n"
		    "\n"
		    "```xml\n"
		    "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
		    "  <Error>\n"
		    "    <Type>Sender</Type>\n"
		    "    <Code>AccessDenied</Code>\n"
		    "    <Message>Not authorized to perform "
		    "sts:AssumeRoleWithWebIdentity</Message>\n"
		    "  </Error>\n"
		    "  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n"
		    "</ErrorResponse>\n"
		    "```\n"
		    "\n"
		    "IAM actions use the same envelope with the namespace "
		    "`https://iam.amazonaws.com/doc/2010-05-08/`.\n"
		    "The request id is repeated in the `x-amzn-RequestId` header. Where AWS varies "
		    "the message (validation\n"
		    "errors, token checks) mock-sts sends AWS's specific text; the default below "
		    "is "
		    "what it sends otherwise.\n"
		    "\n"
		    "| Code | HTTP | Type |\n"
		    "| --- | --- | --- |\n",
		    err) < 0)
		return -1;
	for (size_t i = 0; i < TL_STS_ERROR_COUNT; i++) {
		if (tl_buf_printf(out, err, "| [`%s`](#%s) | %d | %s |\n", table[i].name,
				  table[i].name, table[i].status, table[i].type) < 0)
			return -1;
	}
	for (size_t i = 0; i < TL_STS_ERROR_COUNT; i++) {
		const struct tl_sts_error_info *e = &table[i];

		if (tl_buf_printf(out, err,
				  "\n<a id=\"%s\"></a>\n## %s\n\n"
				  "HTTP %d, `<Type>%s</Type>`.\n\n"
				  "Default message: ",
				  e->name, e->name, e->status, e->type) < 0 ||
		    md_cell(out, e->message, err) < 0 ||
		    tl_buf_append_str(out, "\n\nWhen: ", err) < 0 ||
		    md_cell(out, e->cause, err) < 0 ||
		    tl_buf_append_str(out, "\n\nFix: ", err) < 0 || md_cell(out, e->fix, err) < 0 ||
		    tl_buf_putc(out, '\n', err) < 0)
			return -1;
	}
	return 0;
}
