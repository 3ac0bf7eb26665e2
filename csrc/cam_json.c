/*
 * cam_json.c: the fast path of cam.json.encode, as core.json_encode.
 *
 *   json_encode(value, array_mt, null) -> text | nil
 *
 * Writes the same compact JSON as the Lua encoder in lua/cam/json.lua:
 * object keys in byte order, strings as raw UTF-8 with only '"', '\' and
 * control characters escaped, integers without a fraction, other numbers
 * with 17 significant digits.  A table is an array when its keys are
 * exactly 1..n, or when it is empty and its metatable is array_mt.  A
 * table with string keys is an object.  null (lua-cjson's null) becomes null.
 *
 * It returns nil, having written nothing anywhere, for every value the Lua
 * encoder rejects, so that the Lua encoder can name the offending value in
 * its error.  Those are invalid UTF-8, NaN, infinities, functions and other
 * userdata, mixed or sparse keys, and nesting deeper than JSON_MAX_DEPTH,
 * which also stops reference cycles.
 *
 * The output buffer and the key lists are userdata on the Lua stack, so a
 * memory error raised by Lua in the middle leaks nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cam_codec.h"
#include "cam_compat.h"
#include "cam_json.h"

/* The same limit as MAX_DEPTH in lua/cam/json.lua. */
#define JSON_MAX_DEPTH 100

/* Doubles represent every integer up to 2^53 exactly, so such values are
 * written without a fraction. */
#define JSON_MAX_EXACT_INTEGER 9007199254740992.0

typedef struct json_writer {
    lua_State *L;
    int buffer_index;       /* stack slot of the output userdata */
    int array_mt_index;
    int null_index;
    char *ptr;
    size_t len;
    size_t cap;
} json_writer;

typedef struct json_key {
    const char *ptr;
    size_t len;
} json_key;

/* Make room for n more bytes.  Returns 0, or -1 when the size overflows. */
static int json_reserve(json_writer *w, size_t n)
{
    size_t cap = w->cap;
    char *grown;

    if (n <= w->cap - w->len)
        return 0;
    if (n > ((size_t)-1) / 2 - w->len)
        return -1;
    while (cap - w->len < n)
        cap *= 2;
    grown = cam_newuserdata(w->L, cap);
    memcpy(grown, w->ptr, w->len);
    lua_replace(w->L, w->buffer_index);
    w->ptr = grown;
    w->cap = cap;
    return 0;
}

static int json_put(json_writer *w, const char *s, size_t n)
{
    if (json_reserve(w, n) != 0)
        return -1;
    memcpy(w->ptr + w->len, s, n);
    w->len += n;
    return 0;
}

static int json_put_string(json_writer *w, const char *s, size_t n)
{
    size_t bad = 0;
    size_t quoted;

    if (cam_utf8_check(s, n, NULL, &bad) != 0)
        return -1;
    quoted = cam_json_quoted_len(s, n);
    if (quoted == 0 || json_reserve(w, quoted) != 0)
        return -1;
    cam_json_quote(s, n, w->ptr + w->len);
    w->len += quoted;
    return 0;
}

static int json_put_number(json_writer *w, int index)
{
    char text[64];
    int len;
    int i;

#if LUA_VERSION_NUM >= 503
    if (lua_isinteger(w->L, index)) {
        len = snprintf(text, sizeof(text), LUA_INTEGER_FMT,
                       (LUAI_UACINT)lua_tointeger(w->L, index));
        return len > 0 ? json_put(w, text, (size_t)len) : -1;
    }
#endif
    {
        double n = (double)lua_tonumber(w->L, index);

        if (isnan(n) || isinf(n))
            return -1;
        if (n >= -JSON_MAX_EXACT_INTEGER && n <= JSON_MAX_EXACT_INTEGER
            && n == (double)(long long)n)
            len = snprintf(text, sizeof(text), "%.0f", n);
        else
            len = snprintf(text, sizeof(text), "%.17g", n);
    }
    if (len <= 0 || (size_t)len >= sizeof(text))
        return -1;
    /* A locale with a decimal comma would otherwise produce invalid JSON. */
    for (i = 0; i < len; i++)
        if (text[i] == ',')
            text[i] = '.';
    return json_put(w, text, (size_t)len);
}

static int json_compare_keys(const void *a, const void *b)
{
    const json_key *x = a;
    const json_key *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->ptr, y->ptr, n);

    if (c != 0)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

static int json_put_value(json_writer *w, int index, int depth);

/* Encode the table at index (an absolute index). */
static int json_put_table(json_writer *w, int index, int depth)
{
    lua_State *L = w->L;
    json_key *keys = NULL;
    size_t names = 0;
    size_t count = 0;
    double max_index = 0;
    int marked = 0;
    size_t i;

    if (depth >= JSON_MAX_DEPTH || !lua_checkstack(L, 6))
        return -1;

    /* First pass: count string keys and array indexes. */
    lua_pushnil(L);
    while (lua_next(L, index) != 0) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
            names++;
        } else if (lua_type(L, -1) == LUA_TNUMBER) {
            double key = (double)lua_tonumber(L, -1);

            if (!(key >= 1 && key <= JSON_MAX_EXACT_INTEGER)
                || key != (double)(long long)key) {
                lua_pop(L, 1);
                return -1;
            }
            count++;
            if (key > max_index)
                max_index = key;
        } else {
            lua_pop(L, 1);
            return -1;
        }
    }

    if (lua_getmetatable(L, index)) {
        marked = lua_rawequal(L, -1, w->array_mt_index);
        lua_pop(L, 1);
    }
    if ((count > 0 && names > 0) || (marked && names > 0)
        || count > 0x7fffffff)
        return -1;

    if (count > 0 || (names == 0 && marked)) {
        if (count > 0 && max_index != (double)count)
            return -1;
        if (json_put(w, "[", 1) != 0)
            return -1;
        for (i = 1; i <= count; i++) {
            if (i > 1 && json_put(w, ",", 1) != 0)
                return -1;
            lua_rawgeti(L, index, (int)i);
            if (json_put_value(w, lua_gettop(L), depth + 1) != 0) {
                lua_pop(L, 1);
                return -1;
            }
            lua_pop(L, 1);
        }
        return json_put(w, "]", 1);
    }

    /* An object: collect the keys, which the table keeps alive, sort them
     * by bytes, then write each member. */
    if (names > 0) {
        if (names > ((size_t)-1) / sizeof(*keys))
            return -1;
        keys = cam_newuserdata(L, names * sizeof(*keys));
        i = 0;
        lua_pushnil(L);
        while (lua_next(L, index) != 0) {
            lua_pop(L, 1);
            if (i < names)
                keys[i].ptr = lua_tolstring(L, -1, &keys[i].len);
            i++;
        }
        if (i != names) {
            lua_pop(L, 1);
            return -1;
        }
        qsort(keys, names, sizeof(*keys), json_compare_keys);
    }

    if (json_put(w, "{", 1) != 0)
        goto fail;
    for (i = 0; i < names; i++) {
        if (i > 0 && json_put(w, ",", 1) != 0)
            goto fail;
        if (json_put_string(w, keys[i].ptr, keys[i].len) != 0
            || json_put(w, ":", 1) != 0)
            goto fail;
        lua_pushlstring(L, keys[i].ptr, keys[i].len);
        lua_rawget(L, index);
        if (json_put_value(w, lua_gettop(L), depth + 1) != 0) {
            lua_pop(L, 1);
            goto fail;
        }
        lua_pop(L, 1);
    }
    if (names > 0)
        lua_pop(L, 1);
    return json_put(w, "}", 1);

fail:
    if (names > 0)
        lua_pop(L, 1);
    return -1;
}

static int json_put_value(json_writer *w, int index, int depth)
{
    lua_State *L = w->L;

    switch (lua_type(L, index)) {
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, index, &n);

        return json_put_string(w, s, n);
    }
    case LUA_TNUMBER:
        return json_put_number(w, index);
    case LUA_TBOOLEAN:
        return lua_toboolean(L, index) ? json_put(w, "true", 4)
                                       : json_put(w, "false", 5);
    case LUA_TTABLE:
        return json_put_table(w, index, depth);
    case LUA_TLIGHTUSERDATA:
        if (lua_rawequal(L, index, w->null_index))
            return json_put(w, "null", 4);
        return -1;
    default:
        return -1;
    }
}

static int json_encode(lua_State *L)
{
    json_writer w;

    luaL_checkany(L, 1);
    lua_settop(L, 3);
    w.L = L;
    w.array_mt_index = 2;
    w.null_index = 3;
    w.cap = 1024;
    w.len = 0;
    w.ptr = cam_newuserdata(L, w.cap);
    w.buffer_index = lua_gettop(L);

    if (json_put_value(&w, 1, 0) != 0) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushlstring(L, w.ptr, w.len);
    return 1;
}

static const luaL_Reg json_functions[] = {
    { "json_encode", json_encode },
    { NULL, NULL }
};

void cam_json_register(lua_State *L)
{
    cam_setfuncs(L, json_functions, 0);
}
