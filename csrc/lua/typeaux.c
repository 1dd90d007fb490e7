/*
 * typeaux.c - what every binding file uses to make a qvrpro type.
 *
 * Owns: metatables with a methods table and a field table (so __index
 * switches on a field's position instead of comparing strings), the
 * io.lines-like frames iterator triple, and core.methods().  The one
 * `nil, err` helper (qvr_fail) lives with the Error object in errobj.c.
 */
#include "core.h"

void qvr_new_type(lua_State *L, const char *name, const luaL_Reg *meta,
                  const luaL_Reg *methods)
{
    luaL_newmetatable(L, name);
    luaL_setfuncs(L, meta, 0);
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__methods");
    lua_pop(L, 1);
}

void qvr_type_fields(lua_State *L, const char *name, const char *const fields[])
{
    luaL_getmetatable(L, name);
    lua_newtable(L);
    for (int i = 0; fields[i]; i++) {
        lua_pushinteger(L, i);
        lua_setfield(L, -2, fields[i]);
    }
    lua_setfield(L, -2, "__fields");
    lua_pop(L, 1);
}

int qvr_field_id(lua_State *L, int obj, int key)
{
    int id = -1;
    if (lua_type(L, key) != LUA_TSTRING || !lua_getmetatable(L, obj))
        return -1;
    if (lua_getfield(L, -1, "__fields") == LUA_TTABLE) {
        lua_pushvalue(L, key);
        if (lua_rawget(L, -2) == LUA_TNUMBER)
            id = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
    return id;
}

int qvr_push_method(lua_State *L, int obj, int key)
{
    luaL_getmetafield(L, obj, "__methods");
    lua_pushvalue(L, key);
    lua_rawget(L, -2);
    lua_remove(L, -2);
    return 1;
}

static int frames_iter(lua_State *L)
{
    lua_settop(L, 0);
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_call(L, 1, 2);
    if (lua_isnil(L, 1) && !lua_isnil(L, 2))
        return lua_error(L);   /* iterators raise, like io.lines */
    lua_settop(L, 1);
    return 1;
}

int qvr_push_frames_iter(lua_State *L, lua_CFunction read)
{
    lua_pushvalue(L, 1);
    lua_pushcfunction(L, read);
    lua_pushcclosure(L, frames_iter, 2);
    lua_pushnil(L);
    lua_pushnil(L);
    lua_pushvalue(L, 1);
    return 4;
}

/* core.methods(type_name) -> the methods table of a qvrpro type, so the Lua
 * layer can add its conveniences as methods (luaossl's interposition). */
int qvr_l_methods(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    if (luaL_getmetatable(L, name) != LUA_TTABLE)
        return luaL_error(L, "no such type '%s'", name);
    if (lua_getfield(L, -1, "__methods") != LUA_TTABLE)
        return luaL_error(L, "type '%s' has no methods table", name);
    return 1;
}
