/*
 * fuzz_jwt.c: libFuzzer target for the JWK, JWS and PEM functions of
 * cam.core (csrc/cam_jwt.c, csrc/cam_pem.c), called through a real Lua 5.4
 * state because they read their arguments from it.
 *
 * Input: the first byte picks the call and its shape, and the rest contains
 * the arguments.
 *   bits 0-1  0: base64url_encode then base64url_decode of the rest, which
 *                must give it back; 1: pem_public_keys(rest);
 *             2: jwk_check(jwk); 3: jws_verify(alg, jwk, input, signature)
 *   bits 2-3  the JWK: RSA, EC P-256, EC P-384, or EC with a bad crv
 *   bit 4     JWK members are taken as base64url text as they are, instead
 *             of raw bytes that the harness encodes (which always decode,
 *             so key building and verification are reached)
 *   bits 5-7  the JWS algorithm, RS256 to ES384
 * The JWK members (n and e, or x and y), then the signing input and the
 * signature, follow as fields of a 2-byte little-endian length and that
 * many bytes.
 *
 * Each input runs in a new Lua state that is closed afterwards, so every
 * userdata's __gc runs and LeakSanitizer can tie a leak to the input. Lua
 * errors are allowed (a bad argument raises). Crashes, sanitizer reports,
 * leaked OpenSSL objects and a failed round trip are not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

int luaopen_cam_core(lua_State *L);

static const char *const fuzz_algs[8] = {
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"
};

typedef struct fuzz_reader {
    const uint8_t *data;
    size_t size;
} fuzz_reader;

static void fuzz_take(fuzz_reader *r, const char **s, size_t *len)
{
    size_t n = 0;

    if (r->size >= 2) {
        n = (size_t)r->data[0] | ((size_t)r->data[1] << 8);
        r->data += 2;
        r->size -= 2;
    } else {
        r->size = 0;
    }
    if (n > r->size)
        n = r->size;
    *s = (const char *)r->data;
    *len = n;
    r->data += n;
    r->size -= n;
}

/* Push core[name]. */
static void fuzz_push_function(lua_State *L, const char *name)
{
    lua_getglobal(L, "core");
    lua_getfield(L, -1, name);
    lua_remove(L, -2);
}

/* Set member name of the table on top to a field, as base64url of its
 * bytes unless the field is to be used as text. */
static void fuzz_set_member(lua_State *L, fuzz_reader *r, const char *name,
                            int as_text)
{
    const char *s;
    size_t len;

    fuzz_take(r, &s, &len);
    if (as_text) {
        lua_pushlstring(L, s, len);
    } else {
        fuzz_push_function(L, "base64url_encode");
        lua_pushlstring(L, s, len);
        if (lua_pcall(L, 1, 1, 0) != LUA_OK)
            abort();
    }
    lua_setfield(L, -2, name);
}

static void fuzz_push_jwk(lua_State *L, fuzz_reader *r, unsigned shape,
                          int as_text)
{
    static const char *const curves[4] = { NULL, "P-256", "P-384", "P-521" };

    lua_createtable(L, 0, 5);
    if (shape == 0) {
        lua_pushliteral(L, "RSA");
        lua_setfield(L, -2, "kty");
        fuzz_set_member(L, r, "n", as_text);
        fuzz_set_member(L, r, "e", as_text);
    } else {
        lua_pushliteral(L, "EC");
        lua_setfield(L, -2, "kty");
        lua_pushstring(L, curves[shape]);
        lua_setfield(L, -2, "crv");
        fuzz_set_member(L, r, "x", as_text);
        fuzz_set_member(L, r, "y", as_text);
    }
}

static void fuzz_round_trip(lua_State *L, const char *s, size_t len)
{
    const char *back;
    size_t back_len;

    fuzz_push_function(L, "base64url_decode");
    fuzz_push_function(L, "base64url_encode");
    lua_pushlstring(L, s, len);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK || lua_pcall(L, 1, 2, 0) != LUA_OK)
        abort();
    back = lua_tolstring(L, -2, &back_len);
    if (back == NULL || back_len != len || (len > 0 && memcmp(back, s, len)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lua_State *L;
    fuzz_reader r;
    unsigned selector;
    const char *s;
    size_t len;

    if (size < 1)
        return 0;
    selector = data[0];
    r.data = data + 1;
    r.size = size - 1;

    L = luaL_newstate();
    if (L == NULL)
        abort();
    luaL_openlibs(L);
    luaL_requiref(L, "cam.core", luaopen_cam_core, 0);
    lua_setglobal(L, "core");

    switch (selector & 3) {
    case 0:
        fuzz_round_trip(L, (const char *)r.data, r.size);
        break;
    case 1:
        fuzz_push_function(L, "pem_public_keys");
        lua_pushlstring(L, (const char *)r.data, r.size);
        (void)lua_pcall(L, 1, 2, 0);
        break;
    case 2:
        fuzz_push_function(L, "jwk_check");
        fuzz_push_jwk(L, &r, (selector >> 2) & 3, (selector >> 4) & 1);
        (void)lua_pcall(L, 1, 2, 0);
        break;
    default:
        fuzz_push_function(L, "jws_verify");
        lua_pushstring(L, fuzz_algs[(selector >> 5) & 7]);
        fuzz_push_jwk(L, &r, (selector >> 2) & 3, (selector >> 4) & 1);
        fuzz_take(&r, &s, &len);
        lua_pushlstring(L, s, len);
        fuzz_take(&r, &s, &len);
        lua_pushlstring(L, s, len);
        (void)lua_pcall(L, 4, 2, 0);
        break;
    }

    lua_close(L);
    return 0;
}
