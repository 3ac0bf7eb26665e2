/*
 * cam_jwt.h: JWS signature checks for OIDC ID tokens, and the Lua
 * functions of cam.core that handle JWKs, PEM keys and base64url.
 *
 * A JWK (RFC 7517) becomes an OpenSSL public key through EVP_PKEY_fromdata;
 * a JWS signature (RFC 7515, algorithms of RFC 7518) is checked with
 * EVP_DigestVerify.  Only public keys are ever built.
 */
#ifndef CAM_JWT_H
#define CAM_JWT_H

#include <stddef.h>

#include <lua.h>

/* Bytes needed for the unpadded base64url text of n bytes. */
size_t cam_base64url_encoded_len(size_t n);

/* Encode n bytes of src into dst, which has room for
 * cam_base64url_encoded_len(n) bytes, with the URL-safe alphabet and no
 * padding.  No NUL is written. */
void cam_base64url_encode(const unsigned char *src, size_t n, char *dst);

/* Add base64url_encode, base64url_decode, jwk_check, jws_verify and
 * pem_public_keys to the table on top of the Lua stack. */
void cam_jwt_register(lua_State *L);

#endif
