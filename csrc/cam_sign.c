/*
 * cam_sign.c: the TC3-HMAC-SHA256 signature.
 *
 *   canonical request = METHOD \n / \n QUERY \n
 *                       content-type:CT \n host:HOST \n \n
 *                       content-type;host \n hex(SHA256(body))
 *   string to sign    = TC3-HMAC-SHA256 \n TIMESTAMP \n
 *                       DATE/SERVICE/tc3_request \n hex(SHA256(canonical))
 *   signing key       = HMAC(HMAC(HMAC("TC3" + key, DATE), SERVICE),
 *                            "tc3_request")
 *   signature         = hex(HMAC(signing key, string to sign))
 *
 * DATE is the UTC date of the timestamp.  The derived keys are raw 32-byte
 * digests, which may contain zero bytes, so lengths travel with them.
 */
#include "cam_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define SIGN_ALGORITHM "TC3-HMAC-SHA256"
#define SIGN_SIGNED_HEADERS "content-type;host"
#define SIGN_TERMINATOR "tc3_request"

struct cam_signer {
    EVP_MD *sha256;
    EVP_MAC *hmac;
    EVP_MAC_CTX *mac_ctx;
    EVP_MD_CTX *md_ctx;

    /* The last signing key and what it was derived from: the key changes
     * only with the secret key, the date and the service, so a run of
     * requests derives it once a day instead of three HMACs a request.
     * key_ctx is an HMAC context set up with that key: initialising it
     * again without a key restarts from the hashed key pads, which saves
     * two SHA-256 blocks a signature. */
    int have_key;
    EVP_MAC_CTX *key_ctx;
    char key_date[10];
    char *key_secret;               /* the secret key, cleansed on free */
    size_t key_secret_len;
    char *key_service;
    size_t key_service_len;
};

cam_signer *cam_signer_new(void)
{
    cam_signer *signer = calloc(1, sizeof(*signer));
    OSSL_PARAM params[2];

    if (signer == NULL)
        return NULL;
    signer->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    signer->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (signer->sha256 == NULL || signer->hmac == NULL)
        goto fail;
    signer->mac_ctx = EVP_MAC_CTX_new(signer->hmac);
    signer->key_ctx = EVP_MAC_CTX_new(signer->hmac);
    signer->md_ctx = EVP_MD_CTX_new();
    if (signer->mac_ctx == NULL || signer->key_ctx == NULL
        || signer->md_ctx == NULL)
        goto fail;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_CTX_set_params(signer->mac_ctx, params) != 1
        || EVP_MAC_CTX_set_params(signer->key_ctx, params) != 1)
        goto fail;
    return signer;

fail:
    cam_signer_free(signer);
    return NULL;
}

/* Forget the cached signing key and the secret it came from. */
static void sign_forget_key(cam_signer *signer)
{
    if (signer->key_secret != NULL) {
        OPENSSL_cleanse(signer->key_secret, signer->key_secret_len);
        free(signer->key_secret);
    }
    free(signer->key_service);
    signer->key_secret = NULL;
    signer->key_secret_len = 0;
    signer->key_service = NULL;
    signer->key_service_len = 0;
    signer->have_key = 0;
}

void cam_signer_free(cam_signer *signer)
{
    if (signer == NULL)
        return;
    sign_forget_key(signer);
    EVP_MD_CTX_free(signer->md_ctx);
    /* EVP_MAC_CTX_free cleanses the HMAC state, key pads included. */
    EVP_MAC_CTX_free(signer->key_ctx);
    EVP_MAC_CTX_free(signer->mac_ctx);
    EVP_MAC_free(signer->hmac);
    EVP_MD_free(signer->sha256);
    free(signer);
}

void cam_hex(const unsigned char *bytes, size_t n, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        hex[2 * i] = digits[bytes[i] >> 4];
        hex[2 * i + 1] = digits[bytes[i] & 15];
    }
}

int cam_sha256(cam_signer *signer, const void *data, size_t len,
               unsigned char out[CAM_SHA256_LEN])
{
    unsigned int out_len = 0;

    if (EVP_DigestInit_ex2(signer->md_ctx, signer->sha256, NULL) != 1)
        return -1;
    if (EVP_DigestUpdate(signer->md_ctx, data, len) != 1)
        return -1;
    if (EVP_DigestFinal_ex(signer->md_ctx, out, &out_len) != 1)
        return -1;
    return out_len == CAM_SHA256_LEN ? 0 : -1;
}

/* Feed several byte ranges to the digest in turn. */
static int sign_sha256_parts(cam_signer *signer, const cam_bytes *parts,
                             size_t count, unsigned char out[CAM_SHA256_LEN])
{
    unsigned int out_len = 0;
    size_t i;

    if (EVP_DigestInit_ex2(signer->md_ctx, signer->sha256, NULL) != 1)
        return -1;
    for (i = 0; i < count; i++) {
        if (parts[i].len == 0)
            continue;
        if (EVP_DigestUpdate(signer->md_ctx, parts[i].ptr, parts[i].len) != 1)
            return -1;
    }
    if (EVP_DigestFinal_ex(signer->md_ctx, out, &out_len) != 1)
        return -1;
    return out_len == CAM_SHA256_LEN ? 0 : -1;
}

int cam_hmac_sha256(cam_signer *signer, const void *key, size_t key_len,
                    const void *data, size_t len,
                    unsigned char out[CAM_SHA256_LEN])
{
    size_t out_len = 0;
    /* An empty HMAC key is legal, but EVP_MAC_init treats a NULL key as
     * "keep the previous key", so point at a dummy byte instead. */
    static const unsigned char no_key = 0;

    if (EVP_MAC_init(signer->mac_ctx, key_len ? key : &no_key, key_len,
                     NULL) != 1)
        return -1;
    if (EVP_MAC_update(signer->mac_ctx, data, len) != 1)
        return -1;
    if (EVP_MAC_final(signer->mac_ctx, out, &out_len, CAM_SHA256_LEN) != 1)
        return -1;
    return out_len == CAM_SHA256_LEN ? 0 : -1;
}

/* Convert days since 1970-01-01 to a proleptic Gregorian date, with the
 * civil_from_days algorithm that Howard Hinnant published. */
static void sign_civil_from_days(long long z, long long *y, int *m, int *d)
{
    long long era;
    long long doe;
    long long yoe;
    long long doy;
    long long mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

int cam_utc_date(long long timestamp, char out[11])
{
    long long days = timestamp / 86400;
    long long year;
    int month;
    int day;

    if (timestamp % 86400 < 0)
        days--;
    sign_civil_from_days(days, &year, &month, &day);
    if (year < 0 || year > 9999)
        return -1;
    out[0] = (char)('0' + year / 1000);
    out[1] = (char)('0' + year / 100 % 10);
    out[2] = (char)('0' + year / 10 % 10);
    out[3] = (char)('0' + year % 10);
    out[4] = '-';
    out[5] = (char)('0' + month / 10);
    out[6] = (char)('0' + month % 10);
    out[7] = '-';
    out[8] = (char)('0' + day / 10);
    out[9] = (char)('0' + day % 10);
    out[10] = '\0';
    return 0;
}

size_t cam_sign_max_len(const cam_sign_request *req)
{
    size_t authorization = sizeof(SIGN_ALGORITHM " Credential=")
                           + req->secret_id.len + sizeof("/YYYY-MM-DD/")
                           + req->service.len
                           + sizeof("/" SIGN_TERMINATOR ", SignedHeaders=")
                           + sizeof(SIGN_SIGNED_HEADERS ", Signature=")
                           + 2 * CAM_SHA256_LEN;
    size_t string_to_sign = sizeof(SIGN_ALGORITHM "\n") + 24
                            + sizeof("YYYY-MM-DD/") + req->service.len
                            + sizeof("/" SIGN_TERMINATOR "\n")
                            + 2 * CAM_SHA256_LEN;

    return authorization > string_to_sign ? authorization : string_to_sign;
}

/* Append n bytes at *pos, never writing past size. */
static int sign_put(char *out, size_t size, size_t *pos, const char *s,
                    size_t n)
{
    if (n == 0)
        return 0;
    if (size - *pos < n)
        return -1;
    memcpy(out + *pos, s, n);
    *pos += n;
    return 0;
}

/* Set up key_ctx with a derived signing key and remember what it came
 * from.  Returns 0, or -1 when OpenSSL fails.  A failed allocation only
 * means the next request derives the key again. */
static int sign_remember_key(cam_signer *signer,
                             const unsigned char key[CAM_SHA256_LEN],
                             const char date[10], const cam_bytes *secret,
                             const cam_bytes *service)
{
    sign_forget_key(signer);
    if (EVP_MAC_init(signer->key_ctx, key, CAM_SHA256_LEN, NULL) != 1)
        return -1;
    signer->key_secret = malloc(secret->len ? secret->len : 1);
    signer->key_service = malloc(service->len ? service->len : 1);
    if (signer->key_secret == NULL || signer->key_service == NULL) {
        free(signer->key_secret);
        free(signer->key_service);
        signer->key_secret = NULL;
        signer->key_service = NULL;
        return 0;
    }
    if (secret->len > 0)
        memcpy(signer->key_secret, secret->ptr, secret->len);
    signer->key_secret_len = secret->len;
    if (service->len > 0)
        memcpy(signer->key_service, service->ptr, service->len);
    signer->key_service_len = service->len;
    memcpy(signer->key_date, date, 10);
    signer->have_key = 1;
    return 0;
}

/* Whether key_ctx contains the signing key for this secret, date and
 * service. */
static int sign_key_matches(const cam_signer *signer, const char date[10],
                            const cam_bytes *secret, const cam_bytes *service)
{
    return signer->have_key && memcmp(signer->key_date, date, 10) == 0
           && signer->key_secret_len == secret->len
           && CRYPTO_memcmp(signer->key_secret, secret->ptr,
                            secret->len) == 0
           && signer->key_service_len == service->len
           && memcmp(signer->key_service, service->ptr, service->len) == 0;
}

/* Derive the signing key for the request into key_ctx, unless it is
 * there already. */
static int sign_prepare_key(cam_signer *signer, const cam_sign_request *req,
                            const char date[10])
{
    unsigned char key[CAM_SHA256_LEN];
    size_t secret_len = 3 + req->secret_key.len;
    char *secret;
    int rc = -1;

    if (sign_key_matches(signer, date, &req->secret_key, &req->service))
        return 0;

    secret = malloc(secret_len);
    if (secret == NULL)
        return -1;
    memcpy(secret, "TC3", 3);
    if (req->secret_key.len > 0)
        memcpy(secret + 3, req->secret_key.ptr, req->secret_key.len);

    if (cam_hmac_sha256(signer, secret, secret_len, date, 10, key) == 0
        && cam_hmac_sha256(signer, key, sizeof(key), req->service.ptr,
                           req->service.len, key) == 0
        && cam_hmac_sha256(signer, key, sizeof(key), SIGN_TERMINATOR,
                           sizeof(SIGN_TERMINATOR) - 1, key) == 0)
        rc = sign_remember_key(signer, key, date, &req->secret_key,
                               &req->service);

    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(secret, secret_len);
    free(secret);
    return rc;
}

/* HMAC of data with the signing key in key_ctx. */
static int sign_key_hmac(cam_signer *signer, const void *data, size_t len,
                         unsigned char out[CAM_SHA256_LEN])
{
    size_t out_len = 0;

    /* No key: restart from the key set by sign_remember_key. */
    if (EVP_MAC_init(signer->key_ctx, NULL, 0, NULL) != 1)
        return -1;
    if (EVP_MAC_update(signer->key_ctx, data, len) != 1)
        return -1;
    if (EVP_MAC_final(signer->key_ctx, out, &out_len, CAM_SHA256_LEN) != 1)
        return -1;
    return out_len == CAM_SHA256_LEN ? 0 : -1;
}

#define SIGN_LIT(s) { (s), sizeof(s) - 1 }

int cam_sign(cam_signer *signer, const cam_sign_request *req,
             char *out, size_t out_size, size_t *out_len)
{
    unsigned char digest[CAM_SHA256_LEN];
    char payload_hex[2 * CAM_SHA256_LEN];
    char canonical_hex[2 * CAM_SHA256_LEN];
    char signature_hex[2 * CAM_SHA256_LEN];
    char timestamp_text[24];
    char date[11];
    size_t pos = 0;
    int timestamp_len;

    if (cam_utc_date(req->timestamp, date) != 0)
        return -1;
    timestamp_len = snprintf(timestamp_text, sizeof(timestamp_text), "%lld",
                             req->timestamp);
    if (timestamp_len <= 0 || (size_t)timestamp_len >= sizeof(timestamp_text))
        return -1;

    /* Step 1: the canonical request, hashed as it is assembled. */
    if (cam_sha256(signer, req->body.ptr, req->body.len, digest) != 0)
        return -1;
    cam_hex(digest, CAM_SHA256_LEN, payload_hex);
    {
        cam_bytes canonical[] = {
            req->method,
            SIGN_LIT("\n/\n"),
            req->query,
            SIGN_LIT("\ncontent-type:"),
            req->content_type,
            SIGN_LIT("\nhost:"),
            req->host,
            SIGN_LIT("\n\n" SIGN_SIGNED_HEADERS "\n"),
            { payload_hex, sizeof(payload_hex) },
        };

        if (sign_sha256_parts(signer, canonical,
                              sizeof(canonical) / sizeof(canonical[0]),
                              digest) != 0)
            return -1;
    }
    cam_hex(digest, CAM_SHA256_LEN, canonical_hex);

    /* Step 2: the signing key, derived from "TC3" + secret key, or the
     * cached one when the secret, date and service are the same. */
    if (sign_prepare_key(signer, req, date) != 0)
        return -1;

    /* Step 3: the string to sign, built in the output buffer, then signed. */
    if (sign_put(out, out_size, &pos, SIGN_ALGORITHM "\n",
                 sizeof(SIGN_ALGORITHM)) != 0
        || sign_put(out, out_size, &pos, timestamp_text,
                    (size_t)timestamp_len) != 0
        || sign_put(out, out_size, &pos, "\n", 1) != 0
        || sign_put(out, out_size, &pos, date, 10) != 0
        || sign_put(out, out_size, &pos, "/", 1) != 0
        || sign_put(out, out_size, &pos, req->service.ptr,
                    req->service.len) != 0
        || sign_put(out, out_size, &pos, "/" SIGN_TERMINATOR "\n",
                    sizeof(SIGN_TERMINATOR) + 1) != 0
        || sign_put(out, out_size, &pos, canonical_hex,
                    sizeof(canonical_hex)) != 0)
        return -1;
    if (sign_key_hmac(signer, out, pos, digest) != 0)
        return -1;
    cam_hex(digest, CAM_SHA256_LEN, signature_hex);

    /* Step 4: the Authorization value replaces the string to sign. */
    pos = 0;
    if (sign_put(out, out_size, &pos, SIGN_ALGORITHM " Credential=",
                 sizeof(SIGN_ALGORITHM " Credential=") - 1) != 0
        || sign_put(out, out_size, &pos, req->secret_id.ptr,
                    req->secret_id.len) != 0
        || sign_put(out, out_size, &pos, "/", 1) != 0
        || sign_put(out, out_size, &pos, date, 10) != 0
        || sign_put(out, out_size, &pos, "/", 1) != 0
        || sign_put(out, out_size, &pos, req->service.ptr,
                    req->service.len) != 0
        || sign_put(out, out_size, &pos,
                    "/" SIGN_TERMINATOR ", SignedHeaders="
                    SIGN_SIGNED_HEADERS ", Signature=",
                    sizeof("/" SIGN_TERMINATOR ", SignedHeaders="
                           SIGN_SIGNED_HEADERS ", Signature=") - 1) != 0
        || sign_put(out, out_size, &pos, signature_hex,
                    sizeof(signature_hex)) != 0)
        return -1;

    *out_len = pos;
    return 0;
}
