/*
 * cam_headers.h: the header fields of a raw HTTP/1.x response head, as
 * libcurl hands it over (status line, then "Name: value" lines, each ended
 * by CRLF or LF).  Pure C with explicit lengths, so it can be tested and
 * fuzzed without Lua.
 */
#ifndef CAM_HEADERS_H
#define CAM_HEADERS_H

#include <stddef.h>

typedef struct cam_header_field {
    const char *name;           /* not empty; contains no ':' */
    size_t name_len;
    const char *value;          /* without surrounding spaces and tabs */
    size_t value_len;
} cam_header_field;

/* Find the next header field in raw[0, len) at or after *pos, which starts
 * at 0.  The first line (the status line), empty lines and lines without a
 * name before a ':' are skipped.  Returns 1, fills *field with pointers
 * into raw and advances *pos, or returns 0 at the end. */
int cam_headers_next(const char *raw, size_t len, size_t *pos,
                     cam_header_field *field);

#endif
