/*
 * fuzz_sign.c: libFuzzer target for cam_sign() in csrc/cam_sign.c.
 *
 * The input is split into the signer's fields: 8 bytes of timestamp, then
 * secret id, secret key, service, host, content type, method and query,
 * each a length byte followed by that many bytes, then the body (the rest).
 * Every field may hold any byte, NUL included.
 *
 * Checks: the output matches a reference signature built a different way,
 * with the canonical request assembled in memory, one-shot EVP_Digest and
 * HMAC(), and the date from gmtime_r. cam_utc_date fails exactly when the
 * year falls outside 0..9999. A smaller output buffer makes cam_sign fail
 * or give the same value without writing past the buffer, which
 * AddressSanitizer would report because every buffer has its exact size.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cam_sign.h"

/* Timestamps of 0000-01-01 and 9999-12-31 23:59:59 UTC, widened by ten
 * years on each side so that both failure edges are reached often. */
#define FUZZ_TS_MIN (-62167219200LL - 3652LL * 86400)
#define FUZZ_TS_MAX (253402300799LL + 3652LL * 86400)

typedef struct fuzz_reader {
    const uint8_t *data;
    size_t size;
} fuzz_reader;

static cam_signer *fuzz_signer;

static cam_bytes fuzz_take(fuzz_reader *r)
{
    cam_bytes b = { "", 0 };
    size_t n;

    if (r->size == 0)
        return b;
    n = r->data[0];
    r->data++;
    r->size--;
    if (n > r->size)
        n = r->size;
    b.ptr = (const char *)r->data;
    b.len = n;
    r->data += n;
    r->size -= n;
    return b;
}

static long long fuzz_timestamp(fuzz_reader *r)
{
    uint64_t raw = 0;
    size_t i;

    for (i = 0; i < 8 && r->size > 0; i++) {
        raw |= (uint64_t)r->data[0] << (8 * i);
        r->data++;
        r->size--;
    }
    /* One input in 16 keeps the whole 64-bit range. */
    if ((raw & 15) == 15)
        return (long long)raw;
    return FUZZ_TS_MIN
           + (long long)(raw % (uint64_t)(FUZZ_TS_MAX - FUZZ_TS_MIN + 1));
}

/* Append n bytes to a buffer that was sized for everything. */
static void fuzz_put(char *buf, size_t *pos, const void *p, size_t n)
{
    if (n > 0)
        memcpy(buf + *pos, p, n);
    *pos += n;
}

static void fuzz_hex(const unsigned char *d, size_t n, char *out)
{
    size_t i;

    for (i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* The reference date from the C library, or -1 when the year falls
 * outside 0..9999 (or outside what time_t and struct tm hold). */
static int fuzz_reference_date(long long ts, char out[11])
{
    time_t t = (time_t)ts;
    struct tm tm;
    long long year;

    if ((long long)t != ts || gmtime_r(&t, &tm) == NULL)
        return -1;
    year = (long long)tm.tm_year + 1900;
    if (year < 0 || year > 9999)
        return -1;
    snprintf(out, 11, "%04lld-%02d-%02d", year, tm.tm_mon + 1, tm.tm_mday);
    return 0;
}

/* The Authorization value computed without cam_sign.c. */
static char *fuzz_reference(const cam_sign_request *q, const char date[11],
                            size_t *out_len)
{
    unsigned char digest[32];
    unsigned char key[32];
    unsigned int len = 0;
    char payload_hex[65];
    char canonical_hex[65];
    char signature_hex[65];
    char ts_text[32];
    size_t cr_size = q->method.len + q->query.len + q->content_type.len
                     + q->host.len + 128;
    char *cr = malloc(cr_size);
    size_t sts_size = 128 + q->service.len;
    char *sts = malloc(sts_size);
    size_t auth_size = 160 + q->secret_id.len + q->service.len;
    char *auth = malloc(auth_size);
    char *secret = malloc(3 + q->secret_key.len);
    size_t pos = 0;
    int ts_len;

    if (cr == NULL || sts == NULL || auth == NULL || secret == NULL)
        abort();

    if (EVP_Digest(q->body.ptr, q->body.len, digest, &len, EVP_sha256(),
                   NULL) != 1)
        abort();
    fuzz_hex(digest, 32, payload_hex);

    fuzz_put(cr, &pos, q->method.ptr, q->method.len);
    fuzz_put(cr, &pos, "\n/\n", 3);
    fuzz_put(cr, &pos, q->query.ptr, q->query.len);
    fuzz_put(cr, &pos, "\ncontent-type:", 14);
    fuzz_put(cr, &pos, q->content_type.ptr, q->content_type.len);
    fuzz_put(cr, &pos, "\nhost:", 6);
    fuzz_put(cr, &pos, q->host.ptr, q->host.len);
    fuzz_put(cr, &pos, "\n\ncontent-type;host\n", 20);
    fuzz_put(cr, &pos, payload_hex, 64);
    if (pos > cr_size)
        abort();
    if (EVP_Digest(cr, pos, digest, &len, EVP_sha256(), NULL) != 1)
        abort();
    fuzz_hex(digest, 32, canonical_hex);

    ts_len = snprintf(ts_text, sizeof(ts_text), "%lld", q->timestamp);
    pos = 0;
    fuzz_put(sts, &pos, "TC3-HMAC-SHA256\n", 16);
    fuzz_put(sts, &pos, ts_text, (size_t)ts_len);
    fuzz_put(sts, &pos, "\n", 1);
    fuzz_put(sts, &pos, date, 10);
    fuzz_put(sts, &pos, "/", 1);
    fuzz_put(sts, &pos, q->service.ptr, q->service.len);
    fuzz_put(sts, &pos, "/tc3_request\n", 13);
    fuzz_put(sts, &pos, canonical_hex, 64);
    if (pos > sts_size)
        abort();

    memcpy(secret, "TC3", 3);
    if (q->secret_key.len > 0)
        memcpy(secret + 3, q->secret_key.ptr, q->secret_key.len);
    if (HMAC(EVP_sha256(), secret, (int)(3 + q->secret_key.len),
             (const unsigned char *)date, 10, key, &len) == NULL
        || HMAC(EVP_sha256(), key, 32,
                (const unsigned char *)q->service.ptr, q->service.len, key,
                &len) == NULL
        || HMAC(EVP_sha256(), key, 32,
                (const unsigned char *)"tc3_request", 11, key, &len) == NULL
        || HMAC(EVP_sha256(), key, 32, (const unsigned char *)sts, pos,
                digest, &len) == NULL)
        abort();
    fuzz_hex(digest, 32, signature_hex);

    pos = 0;
    fuzz_put(auth, &pos, "TC3-HMAC-SHA256 Credential=", 27);
    fuzz_put(auth, &pos, q->secret_id.ptr, q->secret_id.len);
    fuzz_put(auth, &pos, "/", 1);
    fuzz_put(auth, &pos, date, 10);
    fuzz_put(auth, &pos, "/", 1);
    fuzz_put(auth, &pos, q->service.ptr, q->service.len);
    fuzz_put(auth, &pos, "/tc3_request, SignedHeaders=content-type;host, "
             "Signature=", 57);
    fuzz_put(auth, &pos, signature_hex, 64);
    if (pos > auth_size)
        abort();

    free(cr);
    free(sts);
    free(secret);
    *out_len = pos;
    return auth;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader r = { data, size };
    cam_sign_request q;
    char date[11];
    char ref_date[11];
    int date_rc;
    size_t max_len;
    size_t out_len = 0;
    size_t small_len = 0;
    size_t small_size;
    char *out;
    char *small;
    char *expected = NULL;
    size_t expected_len = 0;
    int rc;
    int small_rc;

    if (fuzz_signer == NULL && (fuzz_signer = cam_signer_new()) == NULL)
        abort();

    q.timestamp = fuzz_timestamp(&r);
    q.secret_id = fuzz_take(&r);
    q.secret_key = fuzz_take(&r);
    q.service = fuzz_take(&r);
    q.host = fuzz_take(&r);
    q.content_type = fuzz_take(&r);
    q.method = fuzz_take(&r);
    q.query = fuzz_take(&r);
    q.body.ptr = (const char *)r.data;
    q.body.len = r.size;

    date_rc = cam_utc_date(q.timestamp, date);
    if (date_rc != fuzz_reference_date(q.timestamp, ref_date))
        abort();
    if (date_rc == 0 && memcmp(date, ref_date, 11) != 0)
        abort();

    max_len = cam_sign_max_len(&q);
    out = malloc(max_len);
    if (out == NULL)
        abort();
    rc = cam_sign(fuzz_signer, &q, out, max_len, &out_len);
    if (rc != date_rc)
        abort();
    if (rc == 0) {
        if (out_len > max_len)
            abort();
        expected = fuzz_reference(&q, date, &expected_len);
        if (expected_len != out_len || memcmp(expected, out, out_len) != 0)
            abort();
    }

    /* A buffer cut short by a fraction that the secret id's length picks. */
    small_size = max_len * (q.secret_id.len % 16) / 16;
    small = malloc(small_size ? small_size : 1);
    if (small == NULL)
        abort();
    small_rc = cam_sign(fuzz_signer, &q, small, small_size, &small_len);
    if (small_rc == 0
        && (rc != 0 || small_len != out_len
            || memcmp(small, out, out_len) != 0))
        abort();

    free(small);
    free(expected);
    free(out);
    return 0;
}
