/*
 * cam_pem.h: public keys read from PEM text, for building a JWKS.
 */
#ifndef CAM_PEM_H
#define CAM_PEM_H

#include <lua.h>

/* Lua: pem_public_keys(text) -> list of keys, or nil and a message.
 *
 * Reads every PEM block of text: PUBLIC KEY (SubjectPublicKeyInfo), RSA
 * PUBLIC KEY (PKCS#1) and CERTIFICATE blocks give one key each, EC
 * PARAMETERS blocks are skipped, and anything else, private keys above
 * all, is an error naming the block.  Each key is a table with kty
 * ("RSA" or "EC"), the JWK members as base64url (n and e, or crv, x and
 * y), bits, pss (true for an RSA-PSS key), block (its 1-based position)
 * and source (the PEM label).  RSA keys need 2048 to 16384 bits; EC keys
 * must be on P-256 or P-384. */
int cam_pem_public_keys(lua_State *L);

#endif
