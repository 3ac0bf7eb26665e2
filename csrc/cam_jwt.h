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

/* Add base64url_decode, jwk_check, jws_verify and
 * pem_public_keys to the table on top of the Lua stack. */
void cam_jwt_register(lua_State *L);

#endif
