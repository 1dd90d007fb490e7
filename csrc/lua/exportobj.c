/*
 * exportobj.c - the qvrpro.ExportLoop object of qvrpro.mux (binding).
 *
 * Owns: the Lua face of exportloop.c, the export's per-frame work in C.
 * qvrpro.export (through its container sink, lua/qvrpro/sink/container.lua)
 * makes one per resumable Matroska export: loop:pull moves a playback's
 * frames from the stream's parser to the muxer in slices, no Lua frame
 * built, so that Lua gets control back for progress, `live` and its
 * journal; loop:sync tells what the file holds at the muxer's latest sync
 * point (csrc/media/mux.h), for the index journal.
 *
 *   local loop = mux.export_loop(muxer, {from=, to=, floor=,
 *     video = {stream=1, codec="h264"}, audio = {stream=2, codec="aac"}})
 *   repeat local n, ended = assert(loop:pull(stream, 250)) until ended
 */
#include <string.h>
#include <time.h>

#include "exportloop.h"
#include "muxobj.h"

#define QVR_XLOOP_MT "qvrpro.ExportLoop"

struct lloop {
    struct qvr_xloop x;
    const struct qvr_core_api *api;
    int live;
};

static const char *const media_keys[QVR_XMEDIA] = {"video", "audio"};

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static enum qvr_codec codec_of(lua_State *L, int t)
{
    enum qvr_codec c = QVR_CODEC_UNKNOWN;
    if (lua_getfield(L, t, "codec") == LUA_TSTRING)
        c = qvr_codec_option(L, -1);
    lua_pop(L, 1);
    return c;
}

static lua_Integer int_field(lua_State *L, int t, const char *k, lua_Integer dflt)
{
    lua_Integer v;
    lua_getfield(L, t, k);
    v = luaL_optinteger(L, -1, dflt);
    lua_pop(L, 1);
    return v;
}

/* A medium's table: {stream=, codec=, skipped=, written=, cur_ts=, cur_n=,
 * gprev=, ginterval=, gaps = {{from=, to=}, ...}} */
static void read_track(lua_State *L, struct lloop *lp, int media)
{
    struct qvr_xtrack *t = &lp->x.t[media];
    int i;
    if (lua_getfield(L, 2, media_keys[media]) != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    i = lua_gettop(L);
    t->stream = (int)int_field(L, i, "stream", 0) - 1;
    t->codec = codec_of(L, i);
    lua_getfield(L, i, "skipped");
    t->skipped = lua_toboolean(L, -1);
    lua_pop(L, 1);
    t->written = (uint64_t)int_field(L, i, "written", 0);
    t->cur_ts = int_field(L, i, "cur_ts", -1);
    t->cur_n = (uint32_t)int_field(L, i, "cur_n", 0);
    t->gprev = int_field(L, i, "gprev", -1);
    t->ginterval = int_field(L, i, "ginterval", -1);
    if (lua_getfield(L, i, "gaps") == LUA_TTABLE) {
        lua_Integer n = luaL_len(L, -1);
        for (lua_Integer k = 1; k <= n; k++) {
            lua_geti(L, -1, k);
            luaL_checktype(L, -1, LUA_TTABLE);
            if (qvr_xloop_add_gap(&lp->x, media, int_field(L, lua_gettop(L), "from", 0),
                                  int_field(L, lua_gettop(L), "to", 0)) != 0)
                luaL_error(L, "out of memory for the gap list");
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 2);
}

static struct lloop *check_loop(lua_State *L)
{
    struct lloop *lp = luaL_checkudata(L, 1, QVR_XLOOP_MT);
    if (!lp->live)
        luaL_error(L, "attempt to use a closed qvrpro.ExportLoop");
    lua_getiuservalue(L, 1, 1);
    lp->x.m = qvr_check_muxer(L, -1);   /* the muxer may have been closed */
    lua_pop(L, 1);
    return lp;
}

/* mux.export_loop(muxer, {from=, to=, floor=, taken=, first_ts=, last_ts=,
 *   video = {...}, audio = {...}}) -> ExportLoop */
static int l_export_loop(lua_State *L)
{
    const struct qvr_core_api *api = lua_touserdata(L, lua_upvalueindex(1));
    qvr_mux *m = qvr_check_muxer(L, 1);
    struct lloop *lp;
    int64_t from, to;
    luaL_checktype(L, 2, LUA_TTABLE);
    from = int_field(L, 2, "from", 0);
    to = int_field(L, 2, "to", INT64_MAX);
    lp = lua_newuserdatauv(L, sizeof *lp, 1);
    qvr_xloop_init(&lp->x, m, from, to, int_field(L, 2, "floor", from));
    lp->api = api;
    lp->live = 1;
    luaL_setmetatable(L, QVR_XLOOP_MT);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    lp->x.taken = (uint64_t)int_field(L, 2, "taken", 0);
    lp->x.first_ts = int_field(L, 2, "first_ts", -1);
    lp->x.last_ts = int_field(L, 2, "last_ts", -1);
    for (int i = 0; i < QVR_XMEDIA; i++)
        read_track(L, lp, i);
    lua_settop(L, 3);
    return 1;
}

static int push_x_error(lua_State *L, struct lloop *lp)
{
    lua_pushnil(L);
    lp->api->push_error(L, lp->x.err_name, -1, lp->x.err, 0);
    return 2;
}

/* loop:push(frame) -> true (written) | false (left out) | nil, err; ended
 * frames past `to` give false, "to". */
static int lo_push(lua_State *L)
{
    struct lloop *lp = check_loop(L);
    struct qvr_frame f;
    lp->api->check_frame(L, 2, &f);
    switch (qvr_xloop_frame(&lp->x, &f)) {
    case QVR_X_WRITTEN: lua_pushboolean(L, 1); return 1;
    case QVR_X_DROPPED: lua_pushboolean(L, 0); return 1;
    case QVR_X_END: lua_pushboolean(L, 0); lua_pushliteral(L, "to"); return 2;
    default: return push_x_error(L, lp);
    }
}

/* loop:pull(stream [, max_ms]) -> written, ended | nil, err.  Frames from
 * the stream straight into the muxer until the stream ends (ended "end"),
 * a frame passes `to` ("to"), or max_ms have passed (false: call again). */
static int lo_pull(lua_State *L)
{
    struct lloop *lp = check_loop(L);
    double max_ms = luaL_optnumber(L, 3, -1), deadline = max_ms >= 0 ? mono_ms() + max_ms : 0;
    lua_Integer written = 0;
    unsigned seen = 0;
    struct qvr_frame f;
    luaL_checktype(L, 2, LUA_TUSERDATA);
    lua_settop(L, 2);
    for (;;) {
        int rc;
        if (max_ms >= 0 && (seen++ & 63) == 0 && mono_ms() >= deadline) {
            lua_pushinteger(L, written);
            lua_pushboolean(L, 0);
            return 2;
        }
        rc = lp->api->stream_next(L, 2, &f);
        if (rc < 0)
            return 2;
        if (rc == 0) {
            lua_pushinteger(L, written);
            lua_pushliteral(L, "end");
            return 2;
        }
        switch (qvr_xloop_frame(&lp->x, &f)) {
        case QVR_X_WRITTEN: written++; break;
        case QVR_X_DROPPED: break;
        case QVR_X_END:
            lua_pushinteger(L, written);
            lua_pushliteral(L, "to");
            return 2;
        default: return push_x_error(L, lp);
        }
    }
}

static void set_int(lua_State *L, const char *k, int64_t v)
{
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, k);
}

/* loop:state() -> {taken, first_ts, last_ts, video = {written, cur_ts,
 * cur_n, gprev, ginterval, gaps = {{from=, to=}, ...}}, audio = ...}
 * (timestamps -1: none) */
static int lo_state(lua_State *L)
{
    struct lloop *lp = check_loop(L);
    lua_createtable(L, 0, 5);
    set_int(L, "taken", (int64_t)lp->x.taken);
    set_int(L, "first_ts", lp->x.first_ts);
    set_int(L, "last_ts", lp->x.last_ts);
    for (int i = 0; i < QVR_XMEDIA; i++) {
        const struct qvr_xtrack *t = &lp->x.t[i];
        lua_createtable(L, 0, 6);
        set_int(L, "written", (int64_t)t->written);
        set_int(L, "cur_ts", t->cur_ts);
        set_int(L, "cur_n", t->cur_n);
        set_int(L, "gprev", t->gprev);
        set_int(L, "ginterval", t->ginterval);
        lua_createtable(L, (int)t->ngaps, 0);
        for (size_t k = 0; k < t->ngaps; k++) {
            lua_createtable(L, 0, 2);
            set_int(L, "from", t->gaps[k].from);
            set_int(L, "to", t->gaps[k].to);
            lua_rawseti(L, -2, (lua_Integer)k + 1);
        }
        lua_setfield(L, -2, "gaps");
        lua_setfield(L, -2, media_keys[i]);
    }
    return 1;
}

/* loop:arm_skip(): a playback opened again from the cursors drops the
 * frames taken already. */
static int lo_arm_skip(lua_State *L)
{
    struct lloop *lp = check_loop(L);
    qvr_xloop_arm_skip(&lp->x);
    return 0;
}

/* loop:sync() -> {seq=, offset=, header_len=, zero=, video = {packets=,
 * last_pts=, usual=, ts=, n=, gaps=, interval=}, audio = ...} | nil: what
 * the file holds at the muxer's latest sync point (its bytes handed to the
 * system); nil before the first. */
static int lo_sync(lua_State *L)
{
    struct lloop *lp = check_loop(L);
    struct qvr_mux_sync s;
    if (qvr_mux_sync(lp->x.m, &s) != 0)
        return luaL_error(L, "%s", qvr_mux_error(lp->x.m));
    if (s.seq == 0) {
        lua_pushnil(L);
        return 1;
    }
    lua_createtable(L, 0, 6);
    set_int(L, "seq", (int64_t)s.seq);
    set_int(L, "offset", (int64_t)s.offset);
    set_int(L, "header_len", (int64_t)s.header_len);
    set_int(L, "zero", s.zero);
    for (int i = 0; i < QVR_XMEDIA; i++) {
        int k = lp->x.t[i].stream;
        const struct qvr_mux_commit *c;
        if (k < 0 || k >= s.n)
            continue;
        c = &s.s[k];
        lua_createtable(L, 0, 7);
        set_int(L, "packets", (int64_t)c->packets);
        set_int(L, "last_pts", c->last_pts);
        set_int(L, "usual", c->usual);
        set_int(L, "ts", c->packets ? c->tag[QVR_XTAG_TS] : -1);
        set_int(L, "n", c->tag[QVR_XTAG_N]);
        set_int(L, "gaps", c->tag[QVR_XTAG_GAPS]);
        set_int(L, "interval", c->packets ? c->tag[QVR_XTAG_INTERVAL] : -1);
        lua_setfield(L, -2, media_keys[i]);
    }
    return 1;
}

static int lo_close(lua_State *L)
{
    struct lloop *lp = luaL_checkudata(L, 1, QVR_XLOOP_MT);
    if (lp->live)
        qvr_xloop_free(&lp->x);
    lp->live = 0;
    return 0;
}

void qvr_export_loop_register(lua_State *L, const struct qvr_core_api *api)
{
    static const luaL_Reg meta[] = {{"__gc", lo_close}, {"__close", lo_close}, {NULL, NULL}};
    static const luaL_Reg methods[] = {
        {"push", lo_push}, {"pull", lo_pull}, {"state", lo_state}, {"sync", lo_sync},
        {"arm_skip", lo_arm_skip}, {"close", lo_close}, {NULL, NULL}};
    luaL_newmetatable(L, QVR_XLOOP_MT);
    luaL_setfuncs(L, meta, 0);
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    lua_pushlightuserdata(L, (void *)api);
    lua_pushcclosure(L, l_export_loop, 1);
    lua_setfield(L, -2, "export_loop");
}
