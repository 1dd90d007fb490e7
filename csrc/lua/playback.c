/*
 * playback.c - the qvrpro.Playback object (binding).
 *
 * Owns: one qplay session on the server and the guarantee that it is
 * closed exactly once: on :close() and __close (end of a loop, break, error
 * in the body) at once; after __gc by the session's next call or close()
 * (remote_close.c).  User value 1 is the Session, user value 2 a table of
 * read-only attributes (camera, from, to, ... given at creation, and the
 * `get` transfer, set by core.playback_set_transfer); the control commands
 * are Lua methods (lua/qvrpro/media.lua).
 */
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "session.h"
#include "stream.h"

#define QVR_PLAYBACK_MT "qvrpro.Playback"

struct playback {
    char id[64];
    int closed;
};

static struct playback *to_pb(lua_State *L, int i)
{
    return luaL_checkudata(L, i, QVR_PLAYBACK_MT);
}

/* The URL of qplay's close for the session id (request.c: "qplay.close");
 * 0, or -1 when it could not be built. */
static int close_url(const struct session *s, const char *id, struct qvr_str *url)
{
    struct qvr_kv kv[1];
    struct qvr_req_error err;
    size_t n = qvr_qplay_close_params(kv, id);
    return qvr_session_endpoint_url(s, qvr_endpoint_find("qplay.close"), kv, n, url, &err);
}

/* Sends cmd=close for the qplay session now. */
static void send_close(struct session *s, const char *id)
{
    struct qvr_str url;
    struct qvr_http_resp r = {0};
    CURL *easy;
    if (s->closed)
        return;
    easy = s->easy;
    qvr_str_init(&url);
    r.max = 1 << 16;
    qvr_http_short_timeout(easy, &s->http);
    if (close_url(s, id, &url) == 0)
        qvr_http_get(easy, url.s, &r);
    qvr_http_configure(easy, &s->http);
    qvr_http_resp_free(&r);
    qvr_str_free(&url);
}

/* Marks pb closed and stops its transfer (local); the session, or NULL. */
static struct session *stop_local(lua_State *L, struct playback *pb)
{
    pb->closed = 1;
    if (lua_getiuservalue(L, 1, 2) == LUA_TTABLE &&
        lua_getfield(L, -1, "transfer") == LUA_TUSERDATA &&
        luaL_getmetafield(L, -1, "__close") != LUA_TNIL) {
        lua_pushvalue(L, -2);
        lua_call(L, 1, 0);
    }
    lua_settop(L, 1);
    if (lua_getiuservalue(L, 1, 1) == LUA_TUSERDATA) {
        struct session *s = luaL_testudata(L, -1, QVR_SESSION_MT);
        if (s && !s->closed && pb->id[0])
            return s;
    }
    return NULL;
}

/* close, __close: stop the transfer, close the server session once */
static int pb_close(lua_State *L)
{
    struct playback *pb = to_pb(L, 1);
    struct session *s;
    if (pb->closed)
        return 0;
    s = stop_local(L, pb);
    if (s)
        send_close(s, pb->id);
    return 0;
}

/* __gc: stop the transfer; the server's close waits for the session's next
 * call or close() (remote_close.c): a finalizer does not wait on the network */
static int pb_gc(lua_State *L)
{
    struct playback *pb = to_pb(L, 1);
    struct session *s;
    struct qvr_str url;
    if (pb->closed)
        return 0;
    s = stop_local(L, pb);
    if (!s)
        return 0;
    qvr_str_init(&url);
    if (close_url(s, pb->id, &url) == 0)
        qvr_queue_remote_close(L, s, url.s);
    qvr_str_free(&url);
    return 0;
}

enum playback_field { P_ID, P_CLOSED, P_SESSION };

static const char *const playback_fields[] = { "id", "closed", "session", NULL };

static int pb_index(lua_State *L)
{
    struct playback *pb = to_pb(L, 1);
    luaL_checkstring(L, 2);
    switch (qvr_field_id(L, 1, 2)) {
    case P_ID: lua_pushstring(L, pb->id); break;
    case P_CLOSED: lua_pushboolean(L, pb->closed); break;
    case P_SESSION: lua_getiuservalue(L, 1, 1); break;
    default:
        /* the Lua layer's attributes, then methods */
        if (lua_getiuservalue(L, 1, 2) == LUA_TTABLE) {
            lua_pushvalue(L, 2);
            if (lua_gettable(L, -2) != LUA_TNIL)
                return 1;
        }
        return qvr_push_method(L, 1, 2);
    }
    return 1;
}

/* pb:_rebind([id]): closes the current qplay session on the server (its
 * transfer stays) and makes id (or none) the playback's session: a playback
 * that lost its session continues on a new one (lua/qvrpro/media.lua). */
static int pb_rebind(lua_State *L)
{
    struct playback *pb = to_pb(L, 1);
    const char *id = luaL_optstring(L, 2, "");
    luaL_argcheck(L, strlen(id) < sizeof pb->id, 2, "qplay session id too long");
    if (pb->closed)
        return luaL_error(L, "attempt to use a closed qvrpro.Playback");
    if (pb->id[0] && lua_getiuservalue(L, 1, 1) == LUA_TUSERDATA) {
        struct session *s = luaL_testudata(L, -1, QVR_SESSION_MT);
        if (s)
            send_close(s, pb->id);
    }
    snprintf(pb->id, sizeof pb->id, "%s", id);
    return 0;
}

/* core.playback_set_transfer(pb, stream): makes stream the playback's `get`
 * transfer (pb.transfer; stopped with it).  Not a method: the Lua layer
 * (lua/qvrpro/media.lua) captures it at load time. */
static int l_playback_set_transfer(lua_State *L)
{
    to_pb(L, 1);
    luaL_checkudata(L, 2, QVR_STREAM_MT);
    lua_getiuservalue(L, 1, 2);
    lua_pushvalue(L, 2);
    lua_setfield(L, -2, "transfer");
    return 0;
}

static int pb_tostring(lua_State *L)
{
    struct playback *pb = to_pb(L, 1);
    lua_getiuservalue(L, 1, 2);
    lua_getfield(L, -1, "description");
    lua_pushfstring(L, "qvrpro.Playback %s (%s)", luaL_optstring(L, -1, ""),
                    pb->closed ? "closed" : "open");
    return 1;
}

/* core.playback(session, qplay_session_id, attributes) -> Playback */
static int l_playback(lua_State *L)
{
    struct playback *pb;
    const char *id;
    luaL_checkudata(L, 1, QVR_SESSION_MT);
    id = luaL_checkstring(L, 2);
    luaL_argcheck(L, strlen(id) < sizeof pb->id, 2, "qplay session id too long");
    luaL_checktype(L, 3, LUA_TTABLE);
    pb = lua_newuserdatauv(L, sizeof *pb, 2);
    memset(pb, 0, sizeof *pb);
    snprintf(pb->id, sizeof pb->id, "%s", id);
    luaL_setmetatable(L, QVR_PLAYBACK_MT);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    lua_pushvalue(L, 3);
    lua_setiuservalue(L, -2, 2);
    return 1;
}

void qvr_playback_register(lua_State *L)
{
    static const luaL_Reg meta[] = {
        {"__index", pb_index},
        {"__gc", pb_gc},
        {"__close", pb_close},
        {"__tostring", pb_tostring},
        {NULL, NULL}
    };
    static const luaL_Reg methods[] = {
        {"close", pb_close},
        {"_rebind", pb_rebind},
        {NULL, NULL}
    };
    qvr_new_type(L, QVR_PLAYBACK_MT, meta, methods);
    qvr_type_fields(L, QVR_PLAYBACK_MT, playback_fields);
    lua_pushcfunction(L, l_playback);
    lua_setfield(L, -2, "playback");
    lua_pushcfunction(L, l_playback_set_transfer);
    lua_setfield(L, -2, "playback_set_transfer");
}
