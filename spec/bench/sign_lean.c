/*
 * sign_lean.c: how fast the fixture's signature can be computed in C, for
 * comparison with cam_sign() (spec/bench/sign_floor.c).
 *
 *   sign_lean BODY_FILE ITERATIONS [cached-key]
 *
 * Computes the same Authorization value as cam.sign for the fixture inputs
 * with the fewest OpenSSL calls. One EVP_MD_CTX is reused for every
 * SHA-256, and HMAC-SHA256 is written out as two SHA-256 passes over the
 * padded key (RFC 2104), so no EVP_MAC context is set up per HMAC. With
 * "cached-key"
 * the signing key, which depends only on the secret key, the date and the
 * service, is derived once and reused, as a signer could do while the
 * date stays the same. Prints one line: microseconds of process CPU time
 * per call, then the Authorization value of the last call.
 *
 * It measures what a change to csrc/cam_sign.c could gain; it is not used
 * by the library.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#define LEAN_BLOCK 64
#define LEAN_DIGEST 32

static EVP_MD *lean_md;
static EVP_MD_CTX *lean_ctx;

static void lean_fail(const char *what)
{
    fprintf(stderr, "sign_lean: %s failed\n", what);
    exit(1);
}

static double lean_cpu_seconds(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        lean_fail("clock_gettime");
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* SHA-256 of a followed by b. */
static void lean_sha256(const void *a, size_t a_len, const void *b,
                        size_t b_len, unsigned char out[LEAN_DIGEST])
{
    unsigned int len = 0;

    if (EVP_DigestInit_ex2(lean_ctx, lean_md, NULL) != 1
        || EVP_DigestUpdate(lean_ctx, a, a_len) != 1
        || (b_len > 0 && EVP_DigestUpdate(lean_ctx, b, b_len) != 1)
        || EVP_DigestFinal_ex(lean_ctx, out, &len) != 1
        || len != LEAN_DIGEST)
        lean_fail("SHA-256");
}

/* HMAC-SHA256 with a key of at most one block, as all keys here are. */
static void lean_hmac(const unsigned char *key, size_t key_len,
                      const void *data, size_t len,
                      unsigned char out[LEAN_DIGEST])
{
    unsigned char pad[LEAN_BLOCK];
    unsigned char inner[LEAN_DIGEST];
    size_t i;

    if (key_len > LEAN_BLOCK)
        lean_fail("HMAC key length");
    memset(pad, 0, sizeof(pad));
    memcpy(pad, key, key_len);
    for (i = 0; i < LEAN_BLOCK; i++)
        pad[i] ^= 0x36;
    lean_sha256(pad, LEAN_BLOCK, data, len, inner);
    for (i = 0; i < LEAN_BLOCK; i++)
        pad[i] ^= 0x36 ^ 0x5c;
    lean_sha256(pad, LEAN_BLOCK, inner, LEAN_DIGEST, out);
}

static void lean_hex(const unsigned char *bytes, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < LEAN_DIGEST; i++) {
        hex[2 * i] = digits[bytes[i] >> 4];
        hex[2 * i + 1] = digits[bytes[i] & 15];
    }
}

static char *lean_read_file(const char *path, size_t *len)
{
    FILE *file = fopen(path, "rb");
    char *data = NULL;
    long size;

    if (file == NULL || fseek(file, 0, SEEK_END) != 0
        || (size = ftell(file)) < 0 || fseek(file, 0, SEEK_SET) != 0
        || (data = malloc((size_t)size + 1)) == NULL
        || fread(data, 1, (size_t)size, file) != (size_t)size) {
        perror(path);
        exit(1);
    }
    fclose(file);
    *len = (size_t)size;
    return data;
}

int main(int argc, char **argv)
{
    static const char secret[] = "TC3CamEmulatorDemoSecretKey00000001";
    unsigned char digest[LEAN_DIGEST];
    unsigned char key[LEAN_DIGEST];
    char payload_hex[2 * LEAN_DIGEST];
    char canonical_hex[2 * LEAN_DIGEST];
    char signature_hex[2 * LEAN_DIGEST];
    char canonical[512];
    char string_to_sign[256];
    char authorization[256];
    size_t body_len = 0;
    char *body;
    long iterations;
    long i;
    int cached;
    int n;
    double started = 0;

    if (argc < 3 || (iterations = strtol(argv[2], NULL, 10)) <= 0) {
        fprintf(stderr, "usage: sign_lean BODY_FILE ITERATIONS [cached-key]\n");
        return 2;
    }
    cached = argc > 3 && strcmp(argv[3], "cached-key") == 0;
    body = lean_read_file(argv[1], &body_len);
    lean_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    lean_ctx = EVP_MD_CTX_new();
    if (lean_md == NULL || lean_ctx == NULL)
        lean_fail("EVP setup");

    /* 2000 warm-up calls, then the timed ones. */
    for (i = -2000; i < iterations; i++) {
        if (i == 0)
            started = lean_cpu_seconds();

        lean_sha256(body, body_len, NULL, 0, digest);
        lean_hex(digest, payload_hex);
        n = snprintf(canonical, sizeof(canonical),
                     "POST\n/\n\ncontent-type:application/json\n"
                     "host:cam.tencentcloudapi.com\n\ncontent-type;host\n"
                     "%.64s", payload_hex);
        lean_sha256(canonical, (size_t)n, NULL, 0, digest);
        lean_hex(digest, canonical_hex);

        if (!cached || i == -2000) {
            lean_hmac((const unsigned char *)secret, sizeof(secret) - 1,
                      "2023-11-14", 10, key);
            lean_hmac(key, LEAN_DIGEST, "cam", 3, key);
            lean_hmac(key, LEAN_DIGEST, "tc3_request", 11, key);
        }

        n = snprintf(string_to_sign, sizeof(string_to_sign),
                     "TC3-HMAC-SHA256\n1700000000\n"
                     "2023-11-14/cam/tc3_request\n%.64s", canonical_hex);
        lean_hmac(key, LEAN_DIGEST, string_to_sign, (size_t)n, digest);
        lean_hex(digest, signature_hex);
        snprintf(authorization, sizeof(authorization),
                 "TC3-HMAC-SHA256 Credential=AKIDCamEmulatorDemo00000000000001"
                 "/2023-11-14/cam/tc3_request, SignedHeaders=content-type;host,"
                 " Signature=%.64s", signature_hex);
    }

    printf("%.3f %s\n",
           (lean_cpu_seconds() - started) * 1e6 / (double)iterations,
           authorization);
    EVP_MD_CTX_free(lean_ctx);
    EVP_MD_free(lean_md);
    free(body);
    return 0;
}
