/*
 * errobj.c - the qvrpro.Error object (binding).
 *
 * Owns: building the error tables scripts receive as the second value of
 * `nil, err`: code, hex, name, message, http_status, and a one-line
 * __tostring.  Messages are made by the callers, which never pass a
 * password or a sid.
 */
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "errname.h"
#include "errors.h"

static int err_tostring(lua_State *L)
{
    luaL_Buffer b;
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_buffinit(L, &b);
    lua_getfield(L, 1, "name");
    luaL_addstring(&b, lua_isstring(L, -1) ? lua_tostring(L, -1) : "ERROR");
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "hex") == LUA_TSTRING) {
        luaL_addstring(&b, " (");
        luaL_addvalue(&b);
        luaL_addchar(&b, ')');
    } else {
        lua_pop(L, 1);
    }
    if (lua_getfield(L, 1, "http_status") == LUA_TNUMBER) {
        luaL_addstring(&b, " HTTP ");
        luaL_addvalue(&b);
    } else {
        lua_pop(L, 1);
    }
    if (lua_getfield(L, 1, "message") == LUA_TSTRING) {
        luaL_addstring(&b, ": ");
        luaL_addvalue(&b);
    } else {
        lua_pop(L, 1);
    }
    luaL_pushresult(&b);
    return 1;
}

static int err_eq(lua_State *L)
{
    lua_getfield(L, 1, "name");
    lua_getfield(L, 2, "name");
    lua_getfield(L, 1, "code");
    lua_getfield(L, 2, "code");
    lua_pushboolean(L, lua_rawequal(L, -4, -3) && lua_rawequal(L, -2, -1));
    return 1;
}

void qvr_errobj_register(lua_State *L)
{
    static const luaL_Reg meta[] = {
        {"__tostring", err_tostring},
        {"__eq", err_eq},
        {NULL, NULL}
    };
    luaL_newmetatable(L, QVR_ERROR_MT);
    luaL_setfuncs(L, meta, 0);
    lua_pushliteral(L, QVR_ERROR_MT);
    lua_setfield(L, -2, "__name");
    lua_pop(L, 1);
}

void qvr_push_error(lua_State *L, const char *name, int64_t code,
                    const char *message, long http_status)
{
    lua_createtable(L, 0, 6);
    lua_pushstring(L, name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, message ? message : name);
    lua_setfield(L, -2, "message");
    if (code >= 0) {
        char hex[11];
        qvr_code_hex((uint32_t)code, hex);
        lua_pushinteger(L, (lua_Integer)code);
        lua_setfield(L, -2, "code");
        lua_pushstring(L, hex);
        lua_setfield(L, -2, "hex");
    }
    if (http_status > 0) {
        lua_pushinteger(L, http_status);
        lua_setfield(L, -2, "http_status");
    }
    luaL_setmetatable(L, QVR_ERROR_MT);
}

void qvr_push_code_error(lua_State *L, uint32_t code, long http_status)
{
    const struct qvr_code_info *ci = qvr_code_lookup(code);
    if (ci) {
        qvr_push_error(L, ci->name, code, ci->message, http_status);
    } else {
        char msg[64];
        snprintf(msg, sizeof msg, "server error code %d", (int32_t)code);
        qvr_push_error(L, "SERVER_ERROR", code, msg, http_status);
    }
}

int qvr_fail(lua_State *L, const char *name, const char *message)
{
    lua_pushnil(L);
    qvr_push_error(L, name, -1, message, 0);
    return 2;
}

int qvr_fail_parser(lua_State *L, const qvr_parser *p)
{
    lua_pushnil(L);
    if (qvr_parser_error(p) == QVR_PERR_SERVER_CODE)
        qvr_push_code_error(L, qvr_parser_server_code(p), 0);
    else
        qvr_push_error(L, qvr_parse_error_name(qvr_parser_error(p)), -1,
                       qvr_parser_message(p), 0);
    return 2;
}

/* core.code_info(code | "0x..." | "-132..") -> {code, hex, name, message} | nil */
int qvr_l_code_info(lua_State *L)
{
    uint32_t code;
    const struct qvr_code_info *ci;
    if (lua_isinteger(L, 1)) {
        code = (uint32_t)lua_tointeger(L, 1);
    } else {
        size_t len;
        const char *s = luaL_checklstring(L, 1, &len);
        if (!qvr_code_parse(s, len, &code))
            return 0;
    }
    ci = qvr_code_lookup(code);
    if (!ci) {
        lua_pushnil(L);
        lua_pushinteger(L, code);
        return 2;
    }
    qvr_push_error(L, ci->name, code, ci->message, 0);
    return 1;
}

/* core.error{name=, code=, message=, http_status=} -> Error (for the Lua layer) */
int qvr_l_new_error(lua_State *L)
{
    lua_Integer code = -1;
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "name");
    lua_getfield(L, 1, "message");
    lua_getfield(L, 1, "http_status");
    if (lua_getfield(L, 1, "code") != LUA_TNIL)
        code = (lua_Integer)(uint32_t)luaL_checkinteger(L, -1);
    if (code >= 0 && lua_isnil(L, -4)) {
        qvr_push_code_error(L, (uint32_t)code, (long)luaL_optinteger(L, -2, 0));
        return 1;
    }
    qvr_push_error(L, luaL_optstring(L, -4, "ERROR"), code,
                   luaL_optstring(L, -3, NULL), (long)luaL_optinteger(L, -2, 0));
    return 1;
}
