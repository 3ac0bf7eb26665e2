/*
 * cam_compat.h: the few Lua 5.2+ auxiliary calls the core uses, mapped onto
 * the Lua 5.1 API of LuaJIT 2.1.  The shims carry a cam_ prefix so they never
 * clash with LuaJIT's own 5.2 extras.
 */
#ifndef CAM_COMPAT_H
#define CAM_COMPAT_H

#include <lua.h>
#include <lauxlib.h>

#if LUA_VERSION_NUM >= 502

#define cam_setfuncs(L, l, nup) luaL_setfuncs((L), (l), (nup))
#define cam_testudata(L, i, name) luaL_testudata((L), (i), (name))
#define cam_rawlen(L, i) lua_rawlen((L), (i))

#if LUA_VERSION_NUM >= 504
#define cam_newuserdata(L, size) lua_newuserdatauv((L), (size), 0)
#else
#define cam_newuserdata(L, size) lua_newuserdata((L), (size))
#endif

#else

/* Register l into the table below nup upvalues, each function sharing
 * them, then pop the upvalues. */
static inline void cam_setfuncs(lua_State *L, const luaL_Reg *l, int nup)
{
    int i;

    for (; l->name != NULL; l++) {
        for (i = 0; i < nup; i++)
            lua_pushvalue(L, -nup);
        lua_pushcclosure(L, l->func, nup);
        lua_setfield(L, -(nup + 2), l->name);
    }
    lua_pop(L, nup);
}

static inline void *cam_testudata(lua_State *L, int i, const char *name)
{
    void *p = lua_touserdata(L, i);

    if (p == NULL || !lua_getmetatable(L, i))
        return NULL;
    luaL_getmetatable(L, name);
    if (!lua_rawequal(L, -1, -2))
        p = NULL;
    lua_pop(L, 2);
    return p;
}

#define cam_rawlen(L, i) lua_objlen((L), (i))
#define cam_newuserdata(L, size) lua_newuserdata((L), (size))

#endif

/* Read the number at index i as an integer, accepting a float with an exact
 * integral value.  Returns 1 and stores *out on success, 0 otherwise. */
static inline int cam_tointeger(lua_State *L, int i, long long *out)
{
#if LUA_VERSION_NUM >= 503
    int isnum = 0;
    lua_Integer v;

    if (lua_type(L, i) != LUA_TNUMBER)
        return 0;
    v = lua_tointegerx(L, i, &isnum);
    if (!isnum)
        return 0;
    *out = (long long)v;
    return 1;
#else
    lua_Number n;

    if (lua_type(L, i) != LUA_TNUMBER)
        return 0;
    n = lua_tonumber(L, i);
    if (n != n || n < -9007199254740992.0 || n > 9007199254740992.0)
        return 0;
    if ((lua_Number)(long long)n != n)
        return 0;
    *out = (long long)n;
    return 1;
#endif
}

#endif
