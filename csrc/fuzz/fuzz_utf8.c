/*
 * fuzz_utf8.c: libFuzzer target for cam_utf8_check in csrc/cam_codec.c.
 *
 * Compares it on any input with a reference decoder written from the table
 * of well-formed byte sequences in the Unicode Standard (chapter 3, table
 * 3-7), which works on byte ranges where cam_utf8_check decodes code
 * points: validity, the offset of the first ill-formed sequence and the
 * count of code points must agree.
 */
#include <stdint.h>
#include <stdlib.h>

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
    return 0;
}
