/*
 * fuzz_headers.c: libFuzzer target for cam_headers_next in
 * csrc/cam_headers.c, which splits the response head that cam_core.c
 * turns into the Lua headers table.
 *
 * Checks, on any input bytes: every field points inside the input. Its name
 * is not empty and contains no ':' or LF. Its value contains no LF and
 * starts and ends with neither space nor tab. The position only moves
 * forward, and the fields are those of a reference splitter that cuts the
 * whole input into lines first.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cam_headers.h"

#define FUZZ_MAX_FIELDS 4096

typedef struct ref_field {
    size_t name_at;
    size_t name_len;
    size_t value_at;
    size_t value_len;
} ref_field;

static int fuzz_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Split raw into lines, skip the first, and keep "name: value" lines. */
static size_t ref_fields(const char *raw, size_t len, ref_field *out,
                         size_t max)
{
    size_t count = 0;
    size_t start = 0;
    size_t line_no = 0;

    while (start < len && count < max) {
        size_t stop = start;
        size_t colon;
        size_t v;
        size_t v_end;

        while (stop < len && raw[stop] != '\n')
            stop++;
        v_end = stop;
        if (v_end > start && raw[v_end - 1] == '\r')
            v_end--;
        for (colon = start; colon < v_end && raw[colon] != ':'; colon++)
            continue;
        if (line_no > 0 && colon < v_end && colon > start) {
            v = colon + 1;
            while (v < v_end && fuzz_blank(raw[v]))
                v++;
            while (v_end > v && fuzz_blank(raw[v_end - 1]))
                v_end--;
            out[count].name_at = start;
            out[count].name_len = colon - start;
            out[count].value_at = v;
            out[count].value_len = v_end - v;
            count++;
        }
        line_no++;
        start = stop + 1;
    }
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ref_field expected[FUZZ_MAX_FIELDS];
    /* A copy of exactly size bytes, so reads past the end are caught. */
    char *raw = malloc(size ? size : 1);
    cam_header_field field;
    size_t count;
    size_t seen = 0;
    size_t pos = 0;
    size_t last = 0;

    if (raw == NULL)
        abort();
    if (size > 0)
        memcpy(raw, data, size);
    count = ref_fields(raw, size, expected, FUZZ_MAX_FIELDS);

    while (seen < FUZZ_MAX_FIELDS
           && cam_headers_next(raw, size, &pos, &field)) {
        if (pos <= last && seen > 0)
            abort();
        if (pos > size)
            abort();
        last = pos;
        if (field.name < raw || field.name_len == 0
            || field.name + field.name_len > raw + size)
            abort();
        if (field.value < raw || field.value + field.value_len > raw + size)
            abort();
        if (memchr(field.name, ':', field.name_len)
            || memchr(field.name, '\n', field.name_len))
            abort();
        if (memchr(field.value, '\n', field.value_len))
            abort();
        if (field.value_len > 0
            && (fuzz_blank(field.value[0])
                || fuzz_blank(field.value[field.value_len - 1])))
            abort();
        if (seen >= count
            || (size_t)(field.name - raw) != expected[seen].name_at
            || field.name_len != expected[seen].name_len
            || (size_t)(field.value - raw) != expected[seen].value_at
            || field.value_len != expected[seen].value_len)
            abort();
        seen++;
    }
    if (seen != count)
        abort();

    free(raw);
    return 0;
}
