/*
 * camera.c - the qvrpro.Camera object (binding).
 *
 * Owns: a camera as the session listed it.  The userdata keeps its session
 * (user value 1, so the collector sees the link) and its normalised fields
 * (user value 2, a table); fields read by name, methods come from the
 * methods table the Lua layer fills (cam:snapshot{}, cam:live{}, ...).
 */
#include <string.h>

#include "core.h"

#define QVR_CAMERA_MT "qvrpro.Camera"

struct camera {
    int unused;    /* all state lives in the user values */
};

static int c_index(lua_State *L)
{
    luaL_checkudata(L, 1, QVR_CAMERA_MT);
    if (lua_type(L, 2) == LUA_TSTRING && strcmp(lua_tostring(L, 2), "session") == 0) {
        lua_getiuservalue(L, 1, 1);
        return 1;
    }
    lua_getiuservalue(L, 1, 2);
    lua_pushvalue(L, 2);
    if (lua_gettable(L, -2) != LUA_TNIL)
        return 1;
    luaL_getmetafield(L, 1, "__methods");
    lua_pushvalue(L, 2);
    lua_gettable(L, -2);
    return 1;
}

static int c_newindex(lua_State *L)
{
    return luaL_error(L, "qvrpro.Camera fields are read-only (field '%s')",
                      luaL_tolstring(L, 2, NULL));
}

/* cam:fields() -> a plain table copy of the fields */
static int c_fields(lua_State *L)
{
    luaL_checkudata(L, 1, QVR_CAMERA_MT);
    lua_newtable(L);
    lua_getiuservalue(L, 1, 2);
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_settable(L, -5);
    }
    lua_pop(L, 1);
    return 1;
}

static int c_tostring(lua_State *L)
{
    luaL_checkudata(L, 1, QVR_CAMERA_MT);
    lua_getiuservalue(L, 1, 2);
    lua_getfield(L, -1, "channel_index");
    lua_getfield(L, -2, "name");
    lua_getfield(L, -3, "status");
    lua_pushliteral(L, "qvrpro.Camera ");
    luaL_tolstring(L, -4, NULL);
    lua_pushliteral(L, " '");
    luaL_tolstring(L, -5, NULL);
    lua_pushliteral(L, "' (");
    luaL_tolstring(L, -6, NULL);
    lua_pushliteral(L, ")");
    lua_concat(L, 7);
    return 1;
}

static int c_eq(lua_State *L)
{
    lua_getiuservalue(L, 1, 2);
    lua_getfield(L, -1, "guid");
    lua_getiuservalue(L, 2, 2);
    lua_getfield(L, -1, "guid");
    lua_pushboolean(L, !lua_isnil(L, -1) && lua_rawequal(L, -1, -3));
    return 1;
}

/* core.camera(session, fields) -> Camera */
static int l_camera(lua_State *L)
{
    luaL_checkudata(L, 1, "qvrpro.Session");
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_newuserdatauv(L, sizeof(struct camera), 2);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, -2, 2);
    luaL_setmetatable(L, QVR_CAMERA_MT);
    return 1;
}

void qvr_camera_register(lua_State *L)
{
    static const luaL_Reg meta[] = {
        {"__index", c_index},
        {"__newindex", c_newindex},
        {"__tostring", c_tostring},
        {"__eq", c_eq},
        {NULL, NULL}
    };
    static const luaL_Reg methods[] = {
        {"fields", c_fields},
        {NULL, NULL}
    };
    qvr_new_type(L, QVR_CAMERA_MT, meta, methods);
    lua_pushcfunction(L, l_camera);
    lua_setfield(L, -2, "camera");
}
