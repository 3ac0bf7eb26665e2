/*
 * cam_codec.c: base64 (RFC 4648, standard and URL-safe alphabets) and UTF-8
 * validation.
 */
#include "cam_codec.h"

#include <string.h>

static const char codec_b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char codec_b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Value of a base64 character, or -1. */
static int codec_b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Encode with the given alphabet; pad with '=' to a multiple of 4 when
 * pad is set. */
static void codec_b64_encode(const unsigned char *src, size_t n, char *dst,
                             const char *alphabet, int pad)
{
    size_t i = 0;
    size_t o = 0;

    for (; i + 3 <= n; i += 3) {
        unsigned long v = ((unsigned long)src[i] << 16)
                        | ((unsigned long)src[i + 1] << 8) | src[i + 2];

        dst[o++] = alphabet[(v >> 18) & 63];
        dst[o++] = alphabet[(v >> 12) & 63];
        dst[o++] = alphabet[(v >> 6) & 63];
        dst[o++] = alphabet[v & 63];
    }

    if (n - i == 1) {
        unsigned long v = (unsigned long)src[i] << 16;

        dst[o++] = alphabet[(v >> 18) & 63];
        dst[o++] = alphabet[(v >> 12) & 63];
        if (pad) {
            dst[o++] = '=';
            dst[o++] = '=';
        }
    } else if (n - i == 2) {
        unsigned long v = ((unsigned long)src[i] << 16)
                        | ((unsigned long)src[i + 1] << 8);

        dst[o++] = alphabet[(v >> 18) & 63];
        dst[o++] = alphabet[(v >> 12) & 63];
        dst[o++] = alphabet[(v >> 6) & 63];
        if (pad)
            dst[o++] = '=';
    }
}

size_t cam_base64_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

void cam_base64_encode(const unsigned char *src, size_t n, char *dst)
{
    codec_b64_encode(src, n, dst, codec_b64_alphabet, 1);
}

size_t cam_base64url_encoded_len(size_t n)
{
    return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

void cam_base64url_encode(const unsigned char *src, size_t n, char *dst)
{
    codec_b64_encode(src, n, dst, codec_b64url_alphabet, 0);
}

int cam_base64_decode(const char *src, size_t n, unsigned char *dst,
                      size_t *out_len, size_t *bad_pos)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t pad = 0;
    size_t i;
    size_t o = 0;

    if (n % 4 != 0) {
        *bad_pos = n;
        return -1;
    }
    if (n >= 1 && s[n - 1] == '=')
        pad++;
    if (n >= 2 && s[n - 2] == '=')
        pad++;

    for (i = 0; i < n; i += 4) {
        int last = (i + 4 == n);
        int v[4];
        int k;

        for (k = 0; k < 4; k++) {
            if (last && k >= 4 - (int)pad) {
                v[k] = 0;
                continue;
            }
            v[k] = codec_b64_value(s[i + k]);
            if (v[k] < 0) {
                *bad_pos = i + k;
                return -1;
            }
        }

        dst[o++] = (unsigned char)((v[0] << 2) | (v[1] >> 4));
        if (last && pad == 2) {
            /* The unused low bits of the second character must be zero,
             * or two encodings would decode to the same bytes. */
            if ((v[1] & 15) != 0) {
                *bad_pos = i + 1;
                return -1;
            }
            break;
        }
        dst[o++] = (unsigned char)(((v[1] & 15) << 4) | (v[2] >> 2));
        if (last && pad == 1) {
            if ((v[2] & 3) != 0) {
                *bad_pos = i + 2;
                return -1;
            }
            break;
        }
        dst[o++] = (unsigned char)(((v[2] & 3) << 6) | v[3]);
    }

    *out_len = o;
    return 0;
}

int cam_utf8_check(const char *str, size_t n, size_t *count, size_t *bad_pos)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    size_t chars = 0;

    while (i < n) {
        unsigned char c = s[i];
        unsigned long cp;
        size_t len;
        size_t k;

        if (c < 0x80) {
            i++;
            chars++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            *bad_pos = i;
            return -1;
        }
        if (n - i < len) {
            *bad_pos = i;
            return -1;
        }
        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                *bad_pos = i;
                return -1;
            }
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)
            || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            *bad_pos = i;
            return -1;
        }
        i += len;
        chars++;
    }

    if (count != NULL)
        *count = chars;
    return 0;
}

/* Bytes that a JSON string must escape: '"', '\\' and 0x00-0x1F. */
static int codec_json_escaped(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

size_t cam_json_quoted_len(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t len;
    size_t i;

    /* Six bytes per input byte at worst, plus the two quotes. */
    if (n > (((size_t)-1) - 2) / 6)
        return 0;
    len = n + 2;
    for (i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            len += 1;
        else if (s[i] < 0x20)
            len += 5;
    }
    return len;
}

void cam_json_quote(const char *str, size_t n, char *dst)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    size_t plain_start = 0;
    size_t o = 0;
    size_t i;

    dst[o++] = '"';
    for (i = 0; i < n; i++) {
        unsigned char c = s[i];

        if (!codec_json_escaped(c))
            continue;
        /* Copy the plain bytes before c in one piece. */
        memcpy(dst + o, str + plain_start, i - plain_start);
        o += i - plain_start;
        plain_start = i + 1;
        dst[o++] = '\\';
        if (c == '"' || c == '\\') {
            dst[o++] = (char)c;
        } else {
            dst[o++] = 'u';
            dst[o++] = '0';
            dst[o++] = '0';
            dst[o++] = hex[c >> 4];
            dst[o++] = hex[c & 0x0F];
        }
    }
    memcpy(dst + o, str + plain_start, n - plain_start);
    o += n - plain_start;
    dst[o] = '"';
}
