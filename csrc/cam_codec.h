/*
 * cam_codec.h: base64 and UTF-8 checks on byte strings with explicit
 * lengths.  Nothing here allocates; callers size the output buffers.
 */
#ifndef CAM_CODEC_H
#define CAM_CODEC_H

#include <stddef.h>

/* Bytes needed to base64-encode n bytes, padding included. */
size_t cam_base64_encoded_len(size_t n);

/* Encode n bytes of src into dst, which has room for cam_base64_encoded_len(n)
 * bytes.  No terminating NUL is written. */
void cam_base64_encode(const unsigned char *src, size_t n, char *dst);

/* Bytes needed for the unpadded base64url text of n bytes. */
size_t cam_base64url_encoded_len(size_t n);

/* Encode n bytes of src into dst, which has room for
 * cam_base64url_encoded_len(n) bytes, with the URL-safe alphabet and no
 * padding (RFC 4648 section 5).  No NUL is written. */
void cam_base64url_encode(const unsigned char *src, size_t n, char *dst);

/* Decode strict standard base64: alphabet A-Z a-z 0-9 + /, length a
 * multiple of 4, '=' only as one or two final padding characters, and
 * zero bits in the padding remainder.  dst has room for at least n / 4 * 3 bytes.
 * Returns 0 and sets *out_len, or -1 and sets *bad_pos to the 0-based
 * offset of the first offending character (n when the length is wrong). */
int cam_base64_decode(const char *src, size_t n, unsigned char *dst,
                      size_t *out_len, size_t *bad_pos);

/* Check that s contains well-formed UTF-8: no overlong forms, no surrogates,
 * nothing above U+10FFFF.  Returns 0, or -1 and sets *bad_pos to the
 * 0-based offset of the first invalid byte.  *count receives the number of
 * code points when the string is valid (count may be NULL). */
int cam_utf8_check(const char *s, size_t n, size_t *count, size_t *bad_pos);

/* Bytes of the JSON string literal for n bytes of s, quotes included:
 * '"' and '\\' take two bytes, other bytes below 0x20 take six (\u00XX),
 * and every other byte is copied, so UTF-8 stays raw and '/' unescaped.
 * Returns 0 when the result would not fit in a size_t. */
size_t cam_json_quoted_len(const char *s, size_t n);

/* Write the JSON string literal of n bytes of s into dst, which has room
 * for cam_json_quoted_len(s, n) bytes.  No NUL is written, and s is not
 * checked for valid UTF-8. */
void cam_json_quote(const char *s, size_t n, char *dst);

#endif
