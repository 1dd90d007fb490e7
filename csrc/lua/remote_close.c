/*
 * remote_close.c - server-side closes that finalizers leave to sessions.
 *
 * A finalizer (__gc) releases local resources only, like liolib's: it never
 * waits on the network, so a collection cycle cannot stall on a dead NVR.
 * What a collected object still owes the server (a qplay `close`, a sid
 * logout) is queued here, in a registry list of {origin, url}, and sent by
 * the next call of any session of the same NVR (scheme://host:port), or by
 * its close().  Queued closes of a program that ends first are dropped: the
 * server's idle timeouts end those sessions.
 */
#include <string.h>

#include "session.h"

#define QUEUE_KEY "qvrpro.remote_closes"

/* Pushes the origin ("scheme://host:port") of s; 0 when out of memory. */
static int push_origin(lua_State *L, const struct session *s)
{
    struct qvr_str b;
    qvr_str_init(&b);
    qvr_url_base(&b, s->scheme, s->host, s->port, "");
    if (b.failed) {
        qvr_str_free(&b);
        return 0;
    }
    lua_pushlstring(L, b.s, b.len);
    qvr_str_free(&b);
    return 1;
}

void qvr_queue_remote_close(lua_State *L, const struct session *s, const char *url)
{
    int top = lua_gettop(L);
    if (!s->scheme || !s->host)
        return;
    luaL_getsubtable(L, LUA_REGISTRYINDEX, QUEUE_KEY);
    lua_createtable(L, 2, 0);
    if (push_origin(L, s)) {
        lua_rawseti(L, -2, 1);
        lua_pushstring(L, url);
        lua_rawseti(L, -2, 2);
        lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    }
    lua_settop(L, top);
}

static void send_now(struct session *s, const char *url)
{
    struct qvr_http_resp r = {0};
    r.max = 1 << 16;
    qvr_http_short_timeout(s->easy, &s->http);   /* a dead NVR must not hold up a call */
    qvr_http_get(s->easy, url, &r);
    qvr_http_configure(s->easy, &s->http);
    qvr_http_resp_free(&r);
}

void qvr_flush_remote_closes(lua_State *L, struct session *s)
{
    int top = lua_gettop(L), q, origin;
    lua_Integer i, n, kept = 0;
    if (lua_getfield(L, LUA_REGISTRYINDEX, QUEUE_KEY) != LUA_TTABLE || lua_rawlen(L, -1) == 0 ||
        !s->easy || !push_origin(L, s)) {
        lua_settop(L, top);
        return;
    }
    q = top + 1;
    origin = top + 2;
    n = (lua_Integer)lua_rawlen(L, q);
    for (i = 1; i <= n; i++) {
        lua_rawgeti(L, q, i);
        lua_rawgeti(L, -1, 1);
        if (lua_rawequal(L, -1, origin)) {
            lua_rawgeti(L, -2, 2);
            send_now(s, lua_tostring(L, -1));
            lua_pop(L, 3);
        } else {
            lua_pop(L, 1);
            lua_rawseti(L, q, ++kept);   /* another NVR's: keep it, in order */
        }
    }
    for (i = kept + 1; i <= n; i++) {
        lua_pushnil(L);
        lua_rawseti(L, q, i);
    }
    lua_settop(L, top);
}
