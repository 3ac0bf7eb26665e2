/*
 * cam_sign.h: TC3-HMAC-SHA256 request signing for Tencent Cloud API 3.0.
 *
 * The signed headers are always content-type;host and the canonical URI is
 * always "/", as the official SDKs do.  Every input carries its length, so
 * bodies with NUL bytes sign correctly.
 */
#ifndef CAM_SIGN_H
#define CAM_SIGN_H

#include <stddef.h>

#define CAM_SHA256_LEN 32

typedef struct cam_bytes {
    const char *ptr;
    size_t len;
} cam_bytes;

typedef struct cam_sign_request {
    cam_bytes secret_id;
    cam_bytes secret_key;
    cam_bytes service;
    cam_bytes host;
    cam_bytes content_type;
    cam_bytes method;
    cam_bytes query;
    cam_bytes body;
    long long timestamp;        /* seconds since the epoch, UTC */
} cam_sign_request;

/* Algorithms fetched once from OpenSSL and reused by every signature. */
typedef struct cam_signer cam_signer;

/* Fetch the algorithms.  Returns NULL when OpenSSL cannot provide them. */
cam_signer *cam_signer_new(void);
void cam_signer_free(cam_signer *signer);

/* Size of the buffer cam_sign needs: enough for the string to sign, which
 * it builds there first, and for the Authorization value. */
size_t cam_sign_max_len(const cam_sign_request *req);

/* Write the Authorization header value into out (no NUL is written).
 * Returns 0 and sets *out_len, or -1 when OpenSSL fails; the OpenSSL error
 * queue is then left for the caller to read and clear. */
int cam_sign(cam_signer *signer, const cam_sign_request *req,
             char *out, size_t out_size, size_t *out_len);

/* Format the UTC date of a timestamp as YYYY-MM-DD into out[11]. Returns 0,
 * or -1 when the year falls outside 0..9999. */
int cam_utc_date(long long timestamp, char out[11]);

/* SHA-256 and HMAC-SHA256 into out; both return 0, or -1 on failure.
 * cam_hex writes 2 * n lowercase hex digits, without a NUL. */
int cam_sha256(cam_signer *signer, const void *data, size_t len,
               unsigned char out[CAM_SHA256_LEN]);
int cam_hmac_sha256(cam_signer *signer, const void *key, size_t key_len,
                    const void *data, size_t len,
                    unsigned char out[CAM_SHA256_LEN]);
void cam_hex(const unsigned char *bytes, size_t n, char *hex);

#endif
