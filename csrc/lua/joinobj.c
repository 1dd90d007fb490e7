/*
 * joinobj.c - mux.join and mux.span: joining MP4 pieces (binding over
 * csrc/media/join.c); part of the qvrpro.mux module.
 */
#include <stdlib.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "join.h"
#include "joinobj.h"

#define JOIN_MAX_PIECES 100000

static int push_fail(lua_State *L, const struct qvr_core_api *api, const char *name,
                     const char *msg)
{
    lua_pushnil(L);
    api->push_error(L, name, -1, msg, 0);
    return 2;
}

/* mux.join{ pieces = { {path=, at=ms}, ... }, path = out, format = nil,
 *           to = ms } -> { packets=, dropped=, from=, to=, streams= } | nil, err */
static int l_join(lua_State *L)
{
    const struct qvr_core_api *api = lua_touserdata(L, lua_upvalueindex(1));
    struct qvr_join_piece *pieces;
    struct qvr_join_stats st;
    const char *out, *format;
    char err[512];
    lua_Integer n, to;
    int rc;
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "path");
    out = luaL_checkstring(L, -1);
    lua_getfield(L, 1, "format");
    format = luaL_optstring(L, -1, NULL);
    lua_getfield(L, 1, "to");
    to = luaL_optinteger(L, -1, 0);
    lua_getfield(L, 1, "pieces");
    luaL_argcheck(L, lua_istable(L, -1), 1, "pieces (array) expected");
    n = (lua_Integer)lua_rawlen(L, -1);
    luaL_argcheck(L, n > 0 && n <= JOIN_MAX_PIECES, 1, "pieces must hold 1 to 100000 entries");
    pieces = lua_newuserdatauv(L, sizeof *pieces * (size_t)n, 0);   /* freed by the GC */
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 5, i);
        luaL_argcheck(L, lua_istable(L, -1), 1, "each piece is a table {path=, at=}");
        lua_getfield(L, -1, "path");
        pieces[i - 1].path = luaL_checkstring(L, -1);   /* kept alive by the pieces table */
        lua_getfield(L, -2, "at");
        pieces[i - 1].at_ms = luaL_checkinteger(L, -1);
        lua_pop(L, 3);
    }
    rc = qvr_join(pieces, (size_t)n, out, format, to, &st, err, sizeof err);
    if (rc != 0)
        return push_fail(L, api, "MUX_FAILED", err);
    lua_createtable(L, 0, 5);
    lua_pushinteger(L, (lua_Integer)st.packets);
    lua_setfield(L, -2, "packets");
    lua_pushinteger(L, (lua_Integer)st.dropped);
    lua_setfield(L, -2, "dropped");
    lua_pushinteger(L, st.first_ms);
    lua_setfield(L, -2, "from");
    lua_pushinteger(L, st.end_ms);
    lua_setfield(L, -2, "to");
    lua_pushinteger(L, st.streams);
    lua_setfield(L, -2, "streams");
    return 1;
}

/* mux.span(path) -> start_ms, end_ms (the packets' span) | nil, err */
static int l_span(lua_State *L)
{
    const struct qvr_core_api *api = lua_touserdata(L, lua_upvalueindex(1));
    const char *path = luaL_checkstring(L, 1);
    int64_t a, b;
    char err[512];
    if (qvr_media_span(path, &a, &b, err, sizeof err) != 0)
        return push_fail(L, api, "BAD_MEDIA", err);
    lua_pushinteger(L, a);
    lua_pushinteger(L, b);
    return 2;
}

void qvr_join_register(lua_State *L, const struct qvr_core_api *api)
{
    static const luaL_Reg funcs[] = {{"join", l_join}, {"span", l_span}, {NULL, NULL}};
    lua_pushlightuserdata(L, (void *)api);
    luaL_setfuncs(L, funcs, 1);
}
