/*
 * fuzz_base64.c: libFuzzer target for the base64 codec in csrc/cam_codec.c.
 *
 * Checks, on any input bytes:
 *   - encoding then decoding gives the input back;
 *   - a successful decode re-encodes to exactly the text decoded, because
 *     the decoder accepts only the canonical form (strict padding, zero
 *     pad bits), so no two texts decode to the same bytes;
 *   - a failed decode reports a position inside the text, or the length
 *     when the length is not a multiple of 4.
 * Each output buffer has the exact size the header promises.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cam_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t encoded_len = cam_base64_encoded_len(size);
    char *encoded = malloc(encoded_len ? encoded_len : 1);
    unsigned char *decoded = malloc(encoded_len / 4 * 3 + 1);
    unsigned char *text_decoded = malloc(size / 4 * 3 + 1);
    char *reencoded = NULL;
    size_t decoded_len = 0;
    size_t bad = 0;

    if (encoded == NULL || decoded == NULL || text_decoded == NULL)
        abort();

    /* Round trip of arbitrary bytes. */
    cam_base64_encode(data, size, encoded);
    if (cam_base64_decode(encoded, encoded_len, decoded, &decoded_len, &bad)
        != 0)
        abort();
    if (decoded_len != size || (size > 0 && memcmp(decoded, data, size) != 0))
        abort();

    /* The input as base64 text. */
    if (cam_base64_decode((const char *)data, size, text_decoded,
                          &decoded_len, &bad) == 0) {
        if (decoded_len > size / 4 * 3)
            abort();
        reencoded = malloc(size ? size : 1);
        if (reencoded == NULL)
            abort();
        if (cam_base64_encoded_len(decoded_len) != size)
            abort();
        cam_base64_encode(text_decoded, decoded_len, reencoded);
        if (size > 0 && memcmp(reencoded, data, size) != 0)
            abort();
    } else if (size % 4 != 0 ? bad != size : bad >= size) {
        abort();
    }

    free(reencoded);
    free(text_decoded);
    free(decoded);
    free(encoded);
    return 0;
}
