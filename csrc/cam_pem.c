/*
 * cam_pem.c: public keys from PEM text (keys and certificates), returned
 * as JWK members for cam.oidc.identity_key_from_pem.
 *
 * The keys are collected in a userdata array first and pushed to Lua only
 * after every OpenSSL object is freed, so a Lua error leaks nothing.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cam_codec.h"
#include "cam_compat.h"
#include "cam_jwt.h"
#include "cam_pem.h"

#define PEM_MAX_INPUT (1024 * 1024)
#define PEM_MAX_KEYS 32
#define PEM_MIN_RSA_BITS 2048
#define PEM_MAX_RSA_BITS 16384
#define PEM_MESSAGE_SIZE 256
/* base64url of the largest member: a 16384-bit modulus, 2048 bytes. */
#define PEM_MAX_MEMBER_TEXT 2732
#define PEM_MAX_COORDINATE 48

/* One public key, with its JWK members as base64url text. */
typedef struct pem_key {
    int is_rsa;
    int pss;
    int bits;
    int block;
    char source[32];
    char crv[8];
    char n[PEM_MAX_MEMBER_TEXT];        /* RSA modulus, or EC x */
    char e[PEM_MAX_MEMBER_TEXT];        /* RSA exponent, or EC y */
    size_t n_len;
    size_t e_len;
} pem_key;

/* A PEM block as PEM_read_bio returns it. */
typedef struct pem_block {
    char *name;
    char *header;
    unsigned char *data;
    long len;
} pem_block;

static void pem_openssl_message(char *err, size_t size, int block,
                                const char *what)
{
    unsigned long e = ERR_get_error();
    char text[PEM_MESSAGE_SIZE];

    if (e == 0) {
        snprintf(err, size, "PEM block %d: %.80s", block, what);
    } else {
        ERR_error_string_n(e, text, sizeof(text));
        snprintf(err, size, "PEM block %d: %.80s (%.140s)", block, what,
                 text);
    }
    ERR_clear_error();
}

static void pem_block_free(pem_block *b)
{
    OPENSSL_free(b->name);
    OPENSSL_free(b->header);
    OPENSSL_free(b->data);
    memset(b, 0, sizeof(*b));
}

/* Encode bn as base64url of its big-endian bytes, left-padded with zeros
 * to pad bytes when pad > 0.  Returns 0, or -1 when it does not fit. */
static int pem_bn_member(const BIGNUM *bn, int pad, char *out,
                         size_t *out_len)
{
    unsigned char bytes[PEM_MAX_RSA_BITS / 8];
    int len = pad > 0 ? pad : BN_num_bytes(bn);

    if (len <= 0 || len > (int)sizeof(bytes)
        || BN_bn2binpad(bn, bytes, len) != len)
        return -1;
    *out_len = cam_base64url_encoded_len((size_t)len);
    cam_base64url_encode(bytes, (size_t)len, out);
    return 0;
}

/* Decode a DER public key with OSSL_DECODER: structure is
 * "SubjectPublicKeyInfo" or "type-specific" (PKCS#1 for RSA). */
static EVP_PKEY *pem_decode_public_key(const unsigned char *der, long len,
                                       const char *structure,
                                       const char *key_type)
{
    OSSL_DECODER_CTX *ctx;
    EVP_PKEY *pkey = NULL;
    size_t left = (size_t)len;

    ctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER", structure, key_type,
                                        EVP_PKEY_PUBLIC_KEY, NULL, NULL);
    if (ctx == NULL)
        return NULL;
    if (OSSL_DECODER_from_data(ctx, &der, &left) != 1 || left != 0) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    OSSL_DECODER_CTX_free(ctx);
    return pkey;
}

static EVP_PKEY *pem_certificate_key(const unsigned char *der, long len)
{
    const unsigned char *p = der;
    X509 *cert = d2i_X509(NULL, &p, len);
    EVP_PKEY *pkey;

    if (cert == NULL)
        return NULL;
    pkey = p == der + len ? X509_get_pubkey(cert) : NULL;
    X509_free(cert);
    return pkey;
}

/* Fill key with the JWK members of an RSA key. */
static int pem_describe_rsa(EVP_PKEY *pkey, pem_key *key, char *err,
                            size_t size)
{
    BIGNUM *n = NULL;
    BIGNUM *e = NULL;
    int rc = -1;

    key->is_rsa = 1;
    key->pss = EVP_PKEY_is_a(pkey, "RSA-PSS");
    key->bits = EVP_PKEY_get_bits(pkey);
    if (key->bits < PEM_MIN_RSA_BITS || key->bits > PEM_MAX_RSA_BITS) {
        snprintf(err, size, "PEM block %d: the RSA key has %d bits; %d to "
                 "%d are accepted", key->block, key->bits,
                 PEM_MIN_RSA_BITS, PEM_MAX_RSA_BITS);
        return -1;
    }
    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) != 1
        || EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1
        || pem_bn_member(n, 0, key->n, &key->n_len) != 0
        || pem_bn_member(e, 0, key->e, &key->e_len) != 0) {
        pem_openssl_message(err, size, key->block,
                            "cannot read the RSA modulus and exponent");
        goto done;
    }
    rc = 0;

done:
    BN_free(n);
    BN_free(e);
    return rc;
}

/* Fill key with the JWK members of an EC key on P-256 or P-384. */
static int pem_describe_ec(EVP_PKEY *pkey, pem_key *key, char *err,
                           size_t size)
{
    char group[64];
    size_t group_len = 0;
    BIGNUM *x = NULL;
    BIGNUM *y = NULL;
    int coordinate;
    int rc = -1;

    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                       group, sizeof(group),
                                       &group_len) != 1) {
        ERR_clear_error();
        snprintf(err, size, "PEM block %d: the EC key has no named curve; "
                 "use P-256 or P-384", key->block);
        return -1;
    }
    if (strcmp(group, "prime256v1") == 0) {
        memcpy(key->crv, "P-256", 6);
        coordinate = 32;
    } else if (strcmp(group, "secp384r1") == 0) {
        memcpy(key->crv, "P-384", 6);
        coordinate = 48;
    } else {
        snprintf(err, size, "PEM block %d: the EC key is on curve %s; use "
                 "P-256 or P-384", key->block, group);
        return -1;
    }
    key->bits = coordinate * 8;

    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1
        || EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1
        || pem_bn_member(x, coordinate, key->n, &key->n_len) != 0
        || pem_bn_member(y, coordinate, key->e, &key->e_len) != 0) {
        pem_openssl_message(err, size, key->block,
                            "cannot read the EC public point");
        goto done;
    }
    rc = 0;

done:
    BN_free(x);
    BN_free(y);
    return rc;
}

/* Turn one PEM block into a key.  Returns 1 for a key, 0 for a block that
 * is skipped, -1 with err set for an error. */
static int pem_read_block(const pem_block *b, pem_key *key, char *err,
                          size_t size)
{
    EVP_PKEY *pkey = NULL;
    int rc;

    if (strcmp(b->name, "EC PARAMETERS") == 0)
        return 0;
    if (strstr(b->name, "PRIVATE KEY") != NULL) {
        snprintf(err, size, "PEM block %d is a private key (%.40s); pass "
                 "only public keys or certificates, for example the output "
                 "of openssl pkey -pubout", key->block, b->name);
        return -1;
    }

    if (strcmp(b->name, "CERTIFICATE") == 0
        || strcmp(b->name, "X509 CERTIFICATE") == 0) {
        pkey = pem_certificate_key(b->data, b->len);
    } else if (strcmp(b->name, "PUBLIC KEY") == 0) {
        pkey = pem_decode_public_key(b->data, b->len,
                                     "SubjectPublicKeyInfo", NULL);
    } else if (strcmp(b->name, "RSA PUBLIC KEY") == 0) {
        pkey = pem_decode_public_key(b->data, b->len, "type-specific",
                                     "RSA");
    } else {
        snprintf(err, size, "PEM block %d (%.40s) is not a public key or "
                 "certificate", key->block, b->name);
        return -1;
    }
    if (pkey == NULL) {
        pem_openssl_message(err, size, key->block, "invalid DER content");
        return -1;
    }

    snprintf(key->source, sizeof(key->source), "%s", b->name);
    if (EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_is_a(pkey, "RSA-PSS")) {
        rc = pem_describe_rsa(pkey, key, err, size);
    } else if (EVP_PKEY_is_a(pkey, "EC")) {
        rc = pem_describe_ec(pkey, key, err, size);
    } else {
        snprintf(err, size, "PEM block %d holds a %.20s key; only RSA and "
                 "EC P-256 or P-384 keys are supported", key->block,
                 EVP_PKEY_get0_type_name(pkey));
        rc = -1;
    }
    EVP_PKEY_free(pkey);
    return rc == 0 ? 1 : -1;
}

/* Read every block of text into keys.  Returns the number of keys, or -1
 * with err set. */
static int pem_read_all(const char *text, size_t len, pem_key *keys,
                        char *err, size_t size)
{
    BIO *bio = BIO_new_mem_buf(text, (int)len);
    pem_block b;
    int count = 0;
    int block = 0;
    int rc = 0;

    memset(&b, 0, sizeof(b));
    if (bio == NULL) {
        pem_openssl_message(err, size, 0, "cannot read the text");
        return -1;
    }

    for (;;) {
        unsigned long e;

        if (PEM_read_bio(bio, &b.name, &b.header, &b.data, &b.len) != 1) {
            /* The end of the text shows as "no start line". */
            e = ERR_peek_last_error();
            if (ERR_GET_LIB(e) == ERR_LIB_PEM
                && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
                ERR_clear_error();
                break;
            }
            pem_openssl_message(err, size, block + 1, "malformed PEM");
            rc = -1;
            break;
        }
        block++;
        if (count == PEM_MAX_KEYS) {
            snprintf(err, size, "more than %d keys in the PEM text",
                     PEM_MAX_KEYS);
            rc = -1;
            break;
        }

        memset(&keys[count], 0, sizeof(keys[count]));
        keys[count].block = block;
        rc = pem_read_block(&b, &keys[count], err, size);
        pem_block_free(&b);
        if (rc < 0)
            break;
        count += rc;
        rc = 0;
    }
    pem_block_free(&b);
    BIO_free(bio);

    if (rc == 0 && block == 0) {
        snprintf(err, size, "no PEM block found; expected -----BEGIN "
                 "PUBLIC KEY----- or -----BEGIN CERTIFICATE-----");
        return -1;
    }
    if (rc == 0 && count == 0) {
        snprintf(err, size, "the PEM text holds no public key or "
                 "certificate");
        return -1;
    }
    return rc < 0 ? -1 : count;
}

int cam_pem_public_keys(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    char err[PEM_MESSAGE_SIZE];
    pem_key *keys;
    int count;
    int i;

    if (len > PEM_MAX_INPUT) {
        lua_pushnil(L);
        lua_pushfstring(L, "PEM text is larger than %d bytes",
                        PEM_MAX_INPUT);
        return 2;
    }
    keys = cam_newuserdata(L, PEM_MAX_KEYS * sizeof(*keys));

    count = pem_read_all(text, len, keys, err, sizeof(err));
    if (count < 0) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }

    lua_createtable(L, count, 0);
    for (i = 0; i < count; i++) {
        const pem_key *key = &keys[i];

        lua_createtable(L, 0, 8);
        lua_pushstring(L, key->is_rsa ? "RSA" : "EC");
        lua_setfield(L, -2, "kty");
        if (key->is_rsa) {
            lua_pushlstring(L, key->n, key->n_len);
            lua_setfield(L, -2, "n");
            lua_pushlstring(L, key->e, key->e_len);
            lua_setfield(L, -2, "e");
        } else {
            lua_pushstring(L, key->crv);
            lua_setfield(L, -2, "crv");
            lua_pushlstring(L, key->n, key->n_len);
            lua_setfield(L, -2, "x");
            lua_pushlstring(L, key->e, key->e_len);
            lua_setfield(L, -2, "y");
        }
        lua_pushinteger(L, (lua_Integer)key->bits);
        lua_setfield(L, -2, "bits");
        lua_pushboolean(L, key->pss);
        lua_setfield(L, -2, "pss");
        lua_pushinteger(L, (lua_Integer)key->block);
        lua_setfield(L, -2, "block");
        lua_pushstring(L, key->source);
        lua_setfield(L, -2, "source");
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}
