/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * base64url without padding (RFC 7515 §2, RFC 4648 §5), decoded strictly:
 * only [A-Za-z0-9_-], no '=', a length that is not 1 mod 4, and zero
 * unused trailing bits (RFC 4648 §3.5), so every byte string has exactly
 * one accepted encoding. A token that a lenient decoder would read in
 * several ways never reaches the signature check.
 */

#include <stddef.h>

#include "util/error.h"

enum tl_b64url_status {
	TL_B64URL_OK = 0,
	TL_B64URL_ALPHABET, /* a byte outside [A-Za-z0-9_-] (not '=') */
	TL_B64URL_PADDING, /* a '=' */
	TL_B64URL_LENGTH, /* length % 4 == 1: no byte string encodes to it */
	TL_B64URL_NONCANONICAL, /* unused bits of the last character are not zero */
};

/* Decoded size for an encoded length (an upper bound for invalid input). */
size_t tl_b64url_decoded_len(size_t len);
/* Encoded size (without NUL) for `len` bytes. */
size_t tl_b64url_encoded_len(size_t len);

/*
 * Decodes `len` characters into `out` (room for tl_b64url_decoded_len(len)
 * bytes) and stores the byte count in *out_len. On failure returns the
 * status and, when `bad_pos` is not NULL, the offending character's index.
 */
enum tl_b64url_status tl_b64url_decode(const char *in, size_t len, unsigned char *out,
				       size_t *out_len, size_t *bad_pos);

/*
 * Encodes into `out`, which needs tl_b64url_encoded_len(len) + 1 bytes;
 * NUL-terminates and returns the length written.
 */
size_t tl_b64url_encode(const void *in, size_t len, char *out);

/* Allocating variants: caller frees. NULL on allocation failure / error. */
char *tl_b64url_encode_alloc(const void *in, size_t len);
unsigned char *tl_b64url_decode_alloc(const char *in, size_t len, size_t *out_len,
				      struct tl_error *err);

/* "padding", "non-canonical", ... for messages. */
const char *tl_b64url_status_str(enum tl_b64url_status s);
