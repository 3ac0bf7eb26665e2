/*
 * cam_jwt.c: base64url, JWK to OpenSSL public key, and JWS signature
 * checks for the ID token preflight of cam.oidc.
 *
 * Lua functions (added to cam.core by cam_jwt_register):
 *   base64url_decode(text)                   -> bytes | nil, message
 *   jwk_check(jwk)                           -> info | nil, message
 *   jws_verify(alg, jwk, input, signature)   -> true
 *                                             | false, message (mismatch)
 *                                             | nil, message (bad key)
 *   pem_public_keys(text)                    (see cam_pem.h)
 *
 * Each function reads its Lua arguments and allocates its buffers as
 * userdata first.  The OpenSSL objects it makes afterwards are freed before
 * it pushes any result, so a Lua error never leaks them.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "cam_codec.h"
#include "cam_compat.h"
#include "cam_jwt.h"
#include "cam_pem.h"

#define JWT_MIN_RSA_BITS 2048
#define JWT_MAX_RSA_BITS 16384
/* Largest decoded JWK member: the modulus of a 16384-bit key. */
#define JWT_MAX_MEMBER (JWT_MAX_RSA_BITS / 8)
/* Largest EC coordinate, for P-384. */
#define JWT_MAX_COORDINATE 48
#define JWT_MESSAGE_SIZE 256

typedef enum jwt_family {
    JWT_RSA_PKCS1,
    JWT_RSA_PSS,
    JWT_ECDSA
} jwt_family;

/* A JWS algorithm of RFC 7518 section 3. */
typedef struct jwt_alg {
    const char *name;
    const char *digest;
    jwt_family family;
    const char *crv;            /* JWK curve of an ECDSA algorithm */
} jwt_alg;

static const jwt_alg jwt_algs[] = {
    { "RS256", "SHA256", JWT_RSA_PKCS1, NULL },
    { "RS384", "SHA384", JWT_RSA_PKCS1, NULL },
    { "RS512", "SHA512", JWT_RSA_PKCS1, NULL },
    { "PS256", "SHA256", JWT_RSA_PSS, NULL },
    { "PS384", "SHA384", JWT_RSA_PSS, NULL },
    { "PS512", "SHA512", JWT_RSA_PSS, NULL },
    { "ES256", "SHA256", JWT_ECDSA, "P-256" },
    { "ES384", "SHA384", JWT_ECDSA, "P-384" },
};

/* A JWK curve and OpenSSL's name for its group. */
typedef struct jwt_curve {
    const char *crv;
    const char *group;
    size_t size;                /* bytes of each coordinate */
} jwt_curve;

static const jwt_curve jwt_curves[] = {
    { "P-256", "prime256v1", 32 },
    { "P-384", "secp384r1", 48 },
};

/* The members of a public JWK, decoded.  Pointers refer to Lua strings
 * and userdata on the stack of the calling function. */
typedef struct jwt_jwk {
    int is_rsa;
    const jwt_curve *curve;     /* EC keys */
    const unsigned char *n;
    const unsigned char *e;
    const unsigned char *x;
    const unsigned char *y;
    size_t n_len;
    size_t e_len;
    size_t x_len;
    size_t y_len;
} jwt_jwk;

/* ---- base64url decoding (RFC 4648 section 5, no padding) ------------- */

static int jwt_b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Decode strict unpadded base64url into dst, which has room for
 * n / 4 * 3 + 2 bytes.  The unused low bits of the last character must be
 * zero, so each byte string has exactly one encoding.  Returns 0, or -1
 * with a message in err. */
static int jwt_b64url_decode(const char *src, size_t n, unsigned char *dst,
                             size_t *out_len, char *err, size_t err_size)
{
    const unsigned char *s = (const unsigned char *)src;
    unsigned long v = 0;
    size_t bits = 0;
    size_t o = 0;
    size_t i;

    if (n % 4 == 1) {
        snprintf(err, err_size, "length %lu is not valid for base64url",
                 (unsigned long)n);
        return -1;
    }
    for (i = 0; i < n; i++) {
        int d = jwt_b64url_value(s[i]);

        if (d < 0) {
            snprintf(err, err_size, "invalid base64url character at "
                     "position %lu", (unsigned long)i + 1);
            return -1;
        }
        v = ((v << 6) | (unsigned long)d) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            dst[o++] = (unsigned char)(v >> bits);
        }
    }
    if (bits > 0 && (v & ((1UL << bits) - 1)) != 0) {
        snprintf(err, err_size, "base64url text has non-zero padding bits "
                 "in its last character");
        return -1;
    }
    *out_len = o;
    return 0;
}

/* ---- helpers ----------------------------------------------------------- */

/* Write "<operation> failed: <OpenSSL's first queued error>" into err and
 * clear the queue. */
static void jwt_openssl_message(char *err, size_t size,
                                const char *operation)
{
    unsigned long e = ERR_get_error();
    char text[JWT_MESSAGE_SIZE];

    if (e == 0) {
        snprintf(err, size, "%.80s failed in OpenSSL", operation);
    } else {
        ERR_error_string_n(e, text, sizeof(text));
        snprintf(err, size, "%.80s failed: %.160s", operation, text);
    }
    ERR_clear_error();
}

static int jwt_equals(const char *s, size_t len, const char *literal)
{
    return len == strlen(literal) && memcmp(s, literal, len) == 0;
}

static const jwt_alg *jwt_find_alg(const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < sizeof(jwt_algs) / sizeof(jwt_algs[0]); i++)
        if (jwt_equals(name, len, jwt_algs[i].name))
            return &jwt_algs[i];
    return NULL;
}

static const jwt_curve *jwt_find_curve(const char *crv, size_t len)
{
    size_t i;

    for (i = 0; i < sizeof(jwt_curves) / sizeof(jwt_curves[0]); i++)
        if (jwt_equals(crv, len, jwt_curves[i].crv))
            return &jwt_curves[i];
    return NULL;
}

/* Read string member name of the table at index t without metamethods.
 * A missing member gives *s = NULL; another type is an error.  The table
 * keeps the string alive after the pop. */
static int jwt_member(lua_State *L, int t, const char *name,
                      const char **s, size_t *len, char *err, size_t size)
{
    int type;

    lua_pushstring(L, name);
    lua_rawget(L, t);
    type = lua_type(L, -1);
    *s = type == LUA_TSTRING ? lua_tolstring(L, -1, len) : NULL;
    lua_pop(L, 1);
    if (type != LUA_TSTRING && type != LUA_TNIL) {
        snprintf(err, size, "JWK member %s must be a string, got %s", name,
                 lua_typename(L, type));
        return -1;
    }
    return 0;
}

/* Read and decode the base64url member name into a new userdata left on
 * the stack.  Members longer than JWT_MAX_MEMBER bytes are an error. */
static int jwt_binary_member(lua_State *L, int t, const char *name,
                             const unsigned char **out, size_t *out_len,
                             char *err, size_t size)
{
    char reason[JWT_MESSAGE_SIZE];
    const char *text;
    unsigned char *buffer;
    size_t len = 0;

    if (jwt_member(L, t, name, &text, &len, err, size) != 0)
        return -1;
    if (text == NULL || len == 0) {
        snprintf(err, size, "JWK member %s is missing", name);
        return -1;
    }
    if (len > JWT_MAX_MEMBER / 3 * 4 + 4) {
        snprintf(err, size, "JWK member %s is too long (%lu characters)",
                 name, (unsigned long)len);
        return -1;
    }
    buffer = cam_newuserdata(L, len / 4 * 3 + 2);
    if (jwt_b64url_decode(text, len, buffer, out_len, reason,
                          sizeof(reason)) != 0) {
        snprintf(err, size, "JWK member %.8s: %.200s", name, reason);
        return -1;
    }
    *out = buffer;
    return 0;
}

/* Read the public members of the JWK table at index t.  Decoded members
 * are userdata pushed on the stack, which the caller leaves there until it
 * returns. */
static int jwt_read_jwk(lua_State *L, int t, jwt_jwk *jwk, char *err,
                        size_t size)
{
    const char *kty;
    const char *crv;
    size_t kty_len = 0;
    size_t crv_len = 0;

    memset(jwk, 0, sizeof(*jwk));
    if (lua_type(L, t) != LUA_TTABLE) {
        snprintf(err, size, "JWK must be a table, got %s",
                 luaL_typename(L, t));
        return -1;
    }
    if (jwt_member(L, t, "kty", &kty, &kty_len, err, size) != 0)
        return -1;
    if (kty == NULL) {
        snprintf(err, size, "JWK has no kty member");
        return -1;
    }

    if (jwt_equals(kty, kty_len, "RSA")) {
        jwk->is_rsa = 1;
        if (jwt_binary_member(L, t, "n", &jwk->n, &jwk->n_len, err,
                              size) != 0
            || jwt_binary_member(L, t, "e", &jwk->e, &jwk->e_len, err,
                                 size) != 0)
            return -1;
        return 0;
    }

    if (!jwt_equals(kty, kty_len, "EC")) {
        snprintf(err, size, "JWK key type (kty) must be RSA or EC");
        return -1;
    }
    if (jwt_member(L, t, "crv", &crv, &crv_len, err, size) != 0)
        return -1;
    jwk->curve = crv ? jwt_find_curve(crv, crv_len) : NULL;
    if (jwk->curve == NULL) {
        snprintf(err, size, "EC JWK curve (crv) must be P-256 or P-384");
        return -1;
    }
    if (jwt_binary_member(L, t, "x", &jwk->x, &jwk->x_len, err, size) != 0
        || jwt_binary_member(L, t, "y", &jwk->y, &jwk->y_len, err,
                             size) != 0)
        return -1;
    if (jwk->x_len != jwk->curve->size || jwk->y_len != jwk->curve->size) {
        snprintf(err, size, "EC JWK coordinates x and y must be %lu bytes "
                 "each for %s", (unsigned long)jwk->curve->size,
                 jwk->curve->crv);
        return -1;
    }
    return 0;
}

/* ---- JWK to EVP_PKEY --------------------------------------------------- */

/* Build an RSA public key from n and e.  Returns 0, or -1 with err set. */
static int jwt_rsa_key(const jwt_jwk *jwk, EVP_PKEY **out, char *err,
                       size_t size)
{
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    BIGNUM *n = NULL;
    BIGNUM *e = NULL;
    int bits;
    int rc = -1;

    n = BN_bin2bn(jwk->n, (int)jwk->n_len, NULL);
    e = BN_bin2bn(jwk->e, (int)jwk->e_len, NULL);
    if (n == NULL || e == NULL) {
        jwt_openssl_message(err, size, "reading the RSA key");
        goto done;
    }
    bits = BN_num_bits(n);
    if (bits < JWT_MIN_RSA_BITS || bits > JWT_MAX_RSA_BITS) {
        snprintf(err, size, "RSA key has %d bits; %d to %d are accepted",
                 bits, JWT_MIN_RSA_BITS, JWT_MAX_RSA_BITS);
        goto done;
    }
    if (!BN_is_odd(e) || BN_num_bits(e) < 2 || BN_num_bits(e) > 256) {
        snprintf(err, size, "RSA public exponent (e) must be odd, greater "
                 "than 1 and at most 256 bits");
        goto done;
    }

    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL
        || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1
        || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1
        || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL
        || (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL
        || EVP_PKEY_fromdata_init(ctx) != 1
        || EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        jwt_openssl_message(err, size, "building the RSA key");
        goto done;
    }
    rc = 0;

done:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return rc;
}

/* Build an EC public key from crv, x and y, and check that the point lies
 * on the curve.  Returns 0, or -1 with err set. */
static int jwt_ec_key(const jwt_jwk *jwk, EVP_PKEY **out, char *err,
                      size_t size)
{
    unsigned char point[1 + 2 * JWT_MAX_COORDINATE];
    size_t coordinate = jwk->curve->size;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY_CTX *check = NULL;
    int rc = -1;

    /* The uncompressed point encoding of SEC 1: 0x04 || x || y. */
    point[0] = 0x04;
    memcpy(point + 1, jwk->x, coordinate);
    memcpy(point + 1 + coordinate, jwk->y, coordinate);

    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL
        || OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                           jwk->curve->group, 0) != 1
        || OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                            point, 1 + 2 * coordinate) != 1
        || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL
        || (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL
        || EVP_PKEY_fromdata_init(ctx) != 1
        || EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        ERR_clear_error();
        snprintf(err, size, "EC JWK point (x, y) is not on curve %s",
                 jwk->curve->crv);
        goto done;
    }

    check = EVP_PKEY_CTX_new_from_pkey(NULL, *out, NULL);
    if (check == NULL) {
        jwt_openssl_message(err, size, "checking the EC key");
        goto done;
    }
    if (EVP_PKEY_public_check(check) != 1) {
        ERR_clear_error();
        snprintf(err, size, "EC JWK point (x, y) is not on curve %s",
                 jwk->curve->crv);
        goto done;
    }
    rc = 0;

done:
    if (rc != 0) {
        EVP_PKEY_free(*out);
        *out = NULL;
    }
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return rc;
}

static int jwt_build_key(const jwt_jwk *jwk, EVP_PKEY **out, char *err,
                         size_t size)
{
    *out = NULL;
    if (jwk->is_rsa)
        return jwt_rsa_key(jwk, out, err, size);
    return jwt_ec_key(jwk, out, err, size);
}

/* ---- signature verification ------------------------------------------ */

/* Convert a JWS ECDSA signature, r || s with fixed-size big-endian halves,
 * to the DER ECDSA-Sig-Value that OpenSSL verifies.  *der is allocated
 * with OPENSSL_malloc.  Returns 0, or -1 with err set. */
static int jwt_ecdsa_der(const unsigned char *sig, size_t half,
                         unsigned char **der, int *der_len, char *err,
                         size_t size)
{
    ECDSA_SIG *value = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)half, NULL);
    BIGNUM *s = BN_bin2bn(sig + half, (int)half, NULL);
    unsigned char *p;
    int rc = -1;
    int len;

    if (value == NULL || r == NULL || s == NULL
        || ECDSA_SIG_set0(value, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        jwt_openssl_message(err, size, "reading the ECDSA signature");
        goto done;
    }
    /* ECDSA_SIG_set0 took r and s. */
    len = i2d_ECDSA_SIG(value, NULL);
    if (len <= 0 || (*der = OPENSSL_malloc((size_t)len)) == NULL) {
        jwt_openssl_message(err, size, "encoding the ECDSA signature");
        goto done;
    }
    p = *der;
    if (i2d_ECDSA_SIG(value, &p) != len) {
        OPENSSL_free(*der);
        *der = NULL;
        jwt_openssl_message(err, size, "encoding the ECDSA signature");
        goto done;
    }
    *der_len = len;
    rc = 0;

done:
    ECDSA_SIG_free(value);
    return rc;
}

/* Outcome of a verification: JWT_VALID, JWT_MISMATCH (the signature is
 * wrong, and err describes how) or JWT_ERROR (a key or library problem). */
enum { JWT_VALID, JWT_MISMATCH, JWT_ERROR };

static int jwt_verify_with_key(const jwt_alg *alg, EVP_PKEY *pkey,
                               const unsigned char *input, size_t input_len,
                               const unsigned char *sig, size_t sig_len,
                               char *err, size_t size)
{
    EVP_MD_CTX *md_ctx = NULL;
    EVP_PKEY_CTX *pkey_ctx = NULL;
    unsigned char *der = NULL;
    int der_len = 0;
    int rc = JWT_ERROR;
    int ok;

    if (alg->family == JWT_ECDSA) {
        size_t half = jwt_find_curve(alg->crv, strlen(alg->crv))->size;

        if (sig_len != 2 * half) {
            snprintf(err, size, "%s signature is %lu bytes; expected %lu",
                     alg->name, (unsigned long)sig_len,
                     (unsigned long)(2 * half));
            return JWT_MISMATCH;
        }
        if (jwt_ecdsa_der(sig, half, &der, &der_len, err, size) != 0)
            return JWT_ERROR;
        sig = der;
        sig_len = (size_t)der_len;
    } else if (sig_len != (size_t)EVP_PKEY_get_size(pkey)) {
        snprintf(err, size, "%s signature is %lu bytes; the key's modulus "
                 "is %d bytes", alg->name, (unsigned long)sig_len,
                 EVP_PKEY_get_size(pkey));
        return JWT_MISMATCH;
    }

    md_ctx = EVP_MD_CTX_new();
    if (md_ctx == NULL
        || EVP_DigestVerifyInit_ex(md_ctx, &pkey_ctx, alg->digest, NULL,
                                   NULL, pkey, NULL) != 1) {
        jwt_openssl_message(err, size, "starting the verification");
        goto done;
    }
    /* RFC 7518 section 3.5: MGF1 with the same hash, and a salt as long as
     * the hash output. */
    if (alg->family == JWT_RSA_PSS
        && (EVP_PKEY_CTX_set_rsa_padding(pkey_ctx,
                                         RSA_PKCS1_PSS_PADDING) <= 0
            || EVP_PKEY_CTX_set_rsa_mgf1_md_name(pkey_ctx, alg->digest,
                                                 NULL) <= 0
            || EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_ctx,
                                                RSA_PSS_SALTLEN_DIGEST)
               <= 0)) {
        jwt_openssl_message(err, size, "setting up RSASSA-PSS");
        goto done;
    }

    ok = EVP_DigestVerify(md_ctx, sig, sig_len, input, input_len);
    if (ok == 1) {
        rc = JWT_VALID;
    } else {
        /* 0 is a plain mismatch.  A negative result comes with a queued
         * reason such as bad PSS padding, which also means that the
         * signature does not verify. */
        ERR_clear_error();
        snprintf(err, size, "%s signature does not match the signing "
                 "input", alg->name);
        rc = JWT_MISMATCH;
    }

done:
    EVP_MD_CTX_free(md_ctx);
    OPENSSL_free(der);
    return rc;
}

/* ---- Lua functions ---------------------------------------------------- */

static int jwt_base64url_decode(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    unsigned char *out = cam_newuserdata(L, n / 4 * 3 + 2);
    char err[JWT_MESSAGE_SIZE];
    size_t out_len = 0;

    if (jwt_b64url_decode(s, n, out, &out_len, err, sizeof(err)) != 0) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    lua_pushlstring(L, (const char *)out, out_len);
    return 1;
}

/* jwk_check(jwk) -> { kty =, bits =, crv = } or nil, message */
static int jwt_jwk_check(lua_State *L)
{
    char err[JWT_MESSAGE_SIZE];
    EVP_PKEY *pkey = NULL;
    jwt_jwk jwk;
    int bits;

    luaL_checkany(L, 1);
    if (jwt_read_jwk(L, 1, &jwk, err, sizeof(err)) != 0
        || jwt_build_key(&jwk, &pkey, err, sizeof(err)) != 0) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    bits = EVP_PKEY_get_bits(pkey);
    EVP_PKEY_free(pkey);

    lua_createtable(L, 0, 3);
    lua_pushstring(L, jwk.is_rsa ? "RSA" : "EC");
    lua_setfield(L, -2, "kty");
    lua_pushinteger(L, (lua_Integer)bits);
    lua_setfield(L, -2, "bits");
    if (!jwk.is_rsa) {
        lua_pushstring(L, jwk.curve->crv);
        lua_setfield(L, -2, "crv");
    }
    return 1;
}

/* jws_verify(alg, jwk, signing_input, signature) -> true | false, message
 * | nil, message.  signature contains the decoded bytes. */
static int jwt_jws_verify(lua_State *L)
{
    size_t name_len;
    size_t input_len;
    size_t sig_len;
    const char *name = luaL_checklstring(L, 1, &name_len);
    const char *input = luaL_checklstring(L, 3, &input_len);
    const char *sig = luaL_checklstring(L, 4, &sig_len);
    const jwt_alg *alg = jwt_find_alg(name, name_len);
    char err[JWT_MESSAGE_SIZE];
    EVP_PKEY *pkey = NULL;
    jwt_jwk jwk;
    int rc;

    luaL_checktype(L, 2, LUA_TTABLE);
    if (alg == NULL) {
        lua_pushnil(L);
        lua_pushliteral(L, "unsupported JWS algorithm");
        return 2;
    }
    if (jwt_read_jwk(L, 2, &jwk, err, sizeof(err)) != 0) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    if ((alg->family == JWT_ECDSA) == jwk.is_rsa
        || (alg->family == JWT_ECDSA
            && strcmp(alg->crv, jwk.curve->crv) != 0)) {
        lua_pushnil(L);
        lua_pushfstring(L, "%s needs %s%s key, but the JWK is %s%s key",
                        alg->name, alg->crv ? "an EC " : "an RSA",
                        alg->crv ? alg->crv : "",
                        jwk.is_rsa ? "an RSA" : "an EC ",
                        jwk.is_rsa ? "" : jwk.curve->crv);
        return 2;
    }
    if (jwt_build_key(&jwk, &pkey, err, sizeof(err)) != 0) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }

    rc = jwt_verify_with_key(alg, pkey, (const unsigned char *)input,
                             input_len, (const unsigned char *)sig,
                             sig_len, err, sizeof(err));
    EVP_PKEY_free(pkey);

    if (rc == JWT_VALID) {
        lua_pushboolean(L, 1);
        return 1;
    }
    if (rc == JWT_MISMATCH)
        lua_pushboolean(L, 0);
    else
        lua_pushnil(L);
    lua_pushstring(L, err);
    return 2;
}

static const luaL_Reg jwt_functions[] = {
    { "base64url_decode", jwt_base64url_decode },
    { "jwk_check", jwt_jwk_check },
    { "jws_verify", jwt_jws_verify },
    { "pem_public_keys", cam_pem_public_keys },
    { NULL, NULL }
};

void cam_jwt_register(lua_State *L)
{
    cam_setfuncs(L, jwt_functions, 0);
}
