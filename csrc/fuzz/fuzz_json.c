/*
 * fuzz_json.c: differential libFuzzer target for core.json_encode
 * (csrc/cam_json.c) against the Lua encoder of lua/cam/json.lua, both run
 * in a real Lua 5.4 state.
 *
 * The input is a small program that builds one Lua value.  Each step reads
 * an opcode byte (the low three bits):
 *   0  a string: one length byte, then that many bytes
 *   1  an integer: eight bytes, little-endian
 *   2  a float: eight bytes, the raw double (NaN and infinities included)
 *   3  a boolean        4  json.null        5  open a table
 *   6  close the table  7  mark the open table with json.array
 * Every value made inside an open table is stored in it under a key taken
 * from the next byte: an even byte b gives the integer key b / 2 - 2 (so
 * zero, negative and sparse keys occur), an odd one a string key of one
 * byte.  Tables nest up to 120 levels, beyond the encoders' limit of 100.
 *
 * Then both encoders run on the value.  They must agree: the same text, or
 * nil from C and an error from Lua.  Every text must be valid UTF-8.  Each
 * input runs in a new Lua state that is closed afterwards.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "cam_codec.h"

#define FUZZ_MAX_DEPTH 120

int luaopen_cam_core(lua_State *L);

typedef struct fuzz_reader {
    const uint8_t *data;
    size_t size;
} fuzz_reader;

static int fuzz_byte(fuzz_reader *r, unsigned *out)
{
    if (r->size == 0)
        return 0;
    *out = r->data[0];
    r->data++;
    r->size--;
    return 1;
}

static int fuzz_bytes(fuzz_reader *r, size_t n, const uint8_t **out)
{
    if (r->size < n)
        return 0;
    *out = r->data;
    r->data += n;
    r->size -= n;
    return 1;
}

/* Store the value on top into the open table below it, under a key from
 * the next byte.  Pops the value. */
static void fuzz_store(lua_State *L, fuzz_reader *r)
{
    unsigned b = 0;
    char name;

    if (!fuzz_byte(r, &b)) {
        lua_pop(L, 1);
        return;
    }
    if (b % 2 == 0) {
        lua_rawseti(L, -2, (lua_Integer)(b / 2) - 2);
    } else {
        name = (char)b;
        lua_pushlstring(L, &name, 1);
        lua_insert(L, -2);
        lua_rawset(L, -3);
    }
}

/* Build the value the input describes and leave it on the stack. */
static void fuzz_build(lua_State *L, fuzz_reader *r, int null_index,
                       int array_mt_index)
{
    int depth = 0;
    unsigned op;

    lua_newtable(L);            /* the value: a table that is always open */
    while (fuzz_byte(r, &op)) {
        const uint8_t *bytes;
        unsigned n = 0;
        uint64_t bits = 0;
        double d;
        int k;

        switch (op & 7) {
        case 0:
            if (!fuzz_byte(r, &n) || !fuzz_bytes(r, n, &bytes))
                goto done;
            lua_pushlstring(L, (const char *)bytes, n);
            break;
        case 1:
        case 2:
            if (!fuzz_bytes(r, 8, &bytes))
                goto done;
            for (k = 7; k >= 0; k--)
                bits = (bits << 8) | bytes[k];
            if ((op & 7) == 1) {
                lua_pushinteger(L, (lua_Integer)bits);
            } else {
                memcpy(&d, &bits, sizeof(d));
                lua_pushnumber(L, d);
            }
            break;
        case 3:
            lua_pushboolean(L, op & 8);
            break;
        case 4:
            lua_pushvalue(L, null_index);
            break;
        case 5:
            if (depth >= FUZZ_MAX_DEPTH || !lua_checkstack(L, 4))
                continue;
            lua_newtable(L);
            depth++;
            continue;
        case 6:
            if (depth == 0)
                continue;
            depth--;
            break;              /* store the closed table in its parent */
        default:
            lua_pushvalue(L, array_mt_index);
            lua_setmetatable(L, -2);
            continue;
        }
        fuzz_store(L, r);
    }

done:
    while (depth-- > 0)
        fuzz_store(L, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader r = { data, size };
    lua_State *L = luaL_newstate();
    const char *c_text;
    size_t c_len = 0;
    size_t bad = 0;
    int value;
    int lua_ok;

    if (L == NULL)
        return 0;
    luaL_openlibs(L);
    luaL_requiref(L, "cam.core", luaopen_cam_core, 0);
    lua_pop(L, 1);
    /* One result each (require also returns the loader data), so the
     * stack is: 1 json module, 2 null, 3 array metatable. */
    if (luaL_loadstring(L, "package.path = 'lua/?.lua;' .. package.path "
                           "return require('cam.json')") != LUA_OK
        || lua_pcall(L, 0, 1, 0) != LUA_OK || !lua_istable(L, 1)) {
        fprintf(stderr, "fuzz_json: cannot load cam.json: %s\n",
                lua_tostring(L, -1));
        abort();
    }
    lua_getfield(L, 1, "null");
    if (luaL_loadstring(L, "return getmetatable(require('cam.json')"
                           ".array({}))") != LUA_OK
        || lua_pcall(L, 0, 1, 0) != LUA_OK || !lua_istable(L, 3))
        abort();

    fuzz_build(L, &r, 2, 3);
    value = lua_gettop(L);

    lua_getfield(L, 1, "_encode_in_lua");
    lua_pushvalue(L, value);
    lua_ok = lua_pcall(L, 1, 1, 0) == LUA_OK;           /* at value + 1 */

    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaded");
    lua_getfield(L, -1, "cam.core");
    lua_getfield(L, -1, "json_encode");
    lua_pushvalue(L, value);
    lua_pushvalue(L, 3);
    lua_pushvalue(L, 2);
    lua_call(L, 3, 1);
    c_text = lua_tolstring(L, -1, &c_len);

    if (lua_ok != (c_text != NULL))
        abort();
    if (c_text != NULL) {
        size_t lua_len = 0;
        const char *lua_text = lua_tolstring(L, value + 1, &lua_len);

        if (lua_text == NULL || lua_len != c_len
            || memcmp(lua_text, c_text, c_len) != 0)
            abort();
        if (cam_utf8_check(c_text, c_len, NULL, &bad) != 0)
            abort();
    }
    lua_close(L);
    return 0;
}
