/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "jose/base64url.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
value_of(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

size_t
tl_b64url_decoded_len(size_t len)
{
	return len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
}

size_t
tl_b64url_encoded_len(size_t len)
{
	return len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
}

enum tl_b64url_status
tl_b64url_decode(const char *in, size_t len, unsigned char *out, size_t *out_len, size_t *bad_pos)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		int v = value_of((unsigned char)in[i]);
		if (v < 0) {
			if (bad_pos)
				*bad_pos = i;
			return in[i] == '=' ? TL_B64URL_PADDING : TL_B64URL_ALPHABET;
		}
	}
	if (len % 4 == 1) {
		if (bad_pos)
			*bad_pos = len - 1;
		return TL_B64URL_LENGTH;
	}
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 6) | (uint32_t)value_of((unsigned char)in[i]);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* 2 or 4 bits left over from the last character must be zero. */
	if (acc != 0) {
		if (bad_pos)
			*bad_pos = len - 1;
		return TL_B64URL_NONCANONICAL;
	}
	*out_len = n;
	return TL_B64URL_OK;
}

size_t
tl_b64url_encode(const void *in, size_t len, char *out)
{
	const unsigned char *p = in;
	size_t o = 0, i = 0;

	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
	}
	out[o] = '\0';
	return o;
}

char *
tl_b64url_encode_alloc(const void *in, size_t len)
{
	char *out = malloc(tl_b64url_encoded_len(len) + 1);
	if (out)
		tl_b64url_encode(in, len, out);
	return out;
}

unsigned char *
tl_b64url_decode_alloc(const char *in, size_t len, size_t *out_len, struct tl_error *err)
{
	/* +1 so that an empty input still allocates, and text gets a NUL. */
	unsigned char *out = malloc(tl_b64url_decoded_len(len) + 1);
	size_t bad = 0;
	enum tl_b64url_status s;

	if (!out) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory decoding base64url");
		return NULL;
	}
	s = tl_b64url_decode(in, len, out, out_len, &bad);
	if (s != TL_B64URL_OK) {
		free(out);
		tl_error_set(err, TL_ERR_SYNTAX, "invalid base64url at offset %zu: %s", bad,
			     tl_b64url_status_str(s));
		return NULL;
	}
	out[*out_len] = '\0';
	return out;
}

const char *
tl_b64url_status_str(enum tl_b64url_status s)
{
	switch (s) {
	case TL_B64URL_OK:
		return "ok";
	case TL_B64URL_ALPHABET:
		return "character outside the base64url alphabet";
	case TL_B64URL_PADDING:
		return "'=' padding is not allowed";
	case TL_B64URL_LENGTH:
		return "length is 1 modulo 4";
	case TL_B64URL_NONCANONICAL:
		return "non-canonical encoding (unused bits set)";
	}
	return "unknown";
}
