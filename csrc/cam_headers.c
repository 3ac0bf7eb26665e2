/*
 * cam_headers.c: split a raw response head into header fields.
 */
#include "cam_headers.h"

#include <string.h>

int cam_headers_next(const char *raw, size_t len, size_t *pos,
                     cam_header_field *field)
{
    while (*pos < len) {
        const char *line = raw + *pos;
        const char *end = memchr(line, '\n', len - *pos);
        size_t line_len = end ? (size_t)(end - line) : len - *pos;
        int status_line = (*pos == 0);
        const char *colon;
        const char *value;
        const char *value_end;

        *pos += line_len + (end ? 1 : 0);
        if (line_len > 0 && line[line_len - 1] == '\r')
            line_len--;
        if (status_line || line_len == 0)
            continue;
        colon = memchr(line, ':', line_len);
        if (colon == NULL || colon == line)
            continue;

        value = colon + 1;
        value_end = line + line_len;
        while (value < value_end && (*value == ' ' || *value == '\t'))
            value++;
        while (value_end > value
               && (value_end[-1] == ' ' || value_end[-1] == '\t'))
            value_end--;

        field->name = line;
        field->name_len = (size_t)(colon - line);
        field->value = value;
        field->value_len = (size_t)(value_end - value);
        return 1;
    }
    return 0;
}
