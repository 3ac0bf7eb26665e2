/*
 * fuzz_utf8.c: libFuzzer target for cam_utf8_check in csrc/cam_codec.c.
 *
 * Compares it on any input with a reference decoder written from the table
 * of well-formed byte sequences in the Unicode Standard (chapter 3, table
 * 3-7), which works on byte ranges where cam_utf8_check decodes code
 * points: validity, the offset of the first ill-formed sequence and the
 * count of code points must agree.  It also quotes the input as a JSON
 * string with cam_json_quote and checks the literal: its length, that no
 * raw control character, quote or backslash is left, and that undoing the
 * escapes gives the input back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cam_codec.h"

/* Length of the well-formed sequence at s, or 0 when none starts there. */
static size_t ref_sequence(const unsigned char *s, size_t n)
{
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    size_t len;
    size_t k;

    if (s[0] <= 0x7F)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        len = 2;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        len = 3;
        if (s[0] == 0xE0)
            lo = 0xA0;
        else if (s[0] == 0xED)
            hi = 0x9F;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        len = 4;
        if (s[0] == 0xF0)
            lo = 0x90;
        else if (s[0] == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (k = 2; k < len; k++)
        if (s[k] < 0x80 || s[k] > 0xBF)
            return 0;
    return len;
}

/* Value of a lowercase hex digit, or -1. */
static int ref_hex(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Check cam_json_quote's literal for data, aborting on any defect. */
static void check_json_quote(const unsigned char *data, size_t size)
{
    size_t len = cam_json_quoted_len((const char *)data, size);
    char *quoted;
    size_t i;
    size_t o = 0;

    if (len < size + 2)
        abort();
    quoted = malloc(len);
    if (quoted == NULL)
        return;
    cam_json_quote((const char *)data, size, quoted);
    if (quoted[0] != '"' || quoted[len - 1] != '"')
        abort();
    for (i = 1; i < len - 1; i++) {
        unsigned char c = (unsigned char)quoted[i];
        int value;

        if (c < 0x20 || c == '"')
            abort();
        if (c != '\\') {
            if (o >= size || data[o++] != c)
                abort();
            continue;
        }
        if (i + 1 >= len - 1)
            abort();
        c = (unsigned char)quoted[++i];
        if (c == '"' || c == '\\') {
            value = c;
        } else if (c == 'u' && i + 4 < len - 1 && quoted[i + 1] == '0'
                   && quoted[i + 2] == '0' && ref_hex(quoted[i + 3]) >= 0
                   && ref_hex(quoted[i + 4]) >= 0) {
            value = ref_hex(quoted[i + 3]) * 16 + ref_hex(quoted[i + 4]);
            if (value >= 0x20)
                abort();
            i += 4;
        } else {
            abort();
        }
        if (o >= size || data[o++] != value)
            abort();
    }
    if (o != size)
        abort();
    free(quoted);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t i = 0;
    size_t ref_count = 0;
    size_t ref_bad = size;
    size_t count = 0;
    size_t bad = 0;
    size_t bad_no_count = 0;
    int rc;

    while (i < size) {
        size_t len = ref_sequence(data + i, size - i);

        if (len == 0) {
            ref_bad = i;
            break;
        }
        i += len;
        ref_count++;
    }

    rc = cam_utf8_check((const char *)data, size, &count, &bad);
    if ((rc == 0) != (ref_bad == size))
        abort();
    if (rc == 0 && count != ref_count)
        abort();
    if (rc != 0 && bad != ref_bad)
        abort();

    /* The same result without a count. */
    if (cam_utf8_check((const char *)data, size, NULL, &bad_no_count) != rc)
        abort();
    if (rc != 0 && bad_no_count != bad)
        abort();

    check_json_quote(data, size);
    return 0;
}
