/*
 * muxobj.c - luaopen_qvrpro_mux: the qvrpro.Muxer object (binding).
 *
 * Owns: the Lua face of mux.c and codec.c.  qvrpro.mux is a module of its
 * own, not part of qvrpro.core: libavcodec pulls in about a hundred shared
 * libraries, which only scripts that write containers should pay for.  It
 * reads Frames through the table qvrpro.core publishes (core.h,
 * QVR_CORE_API), so payloads reach libavformat without a Lua string.
 *
 *   local mux = require "qvrpro.mux"
 *   local m = assert(mux.muxer("out.mkv", {format = "matroska"}))
 *   local v = assert(m:add_stream{codec = "h264", width = 1280, height = 720,
 *                                  extradata = mux.h264_extradata(key_frame)})
 *   assert(m:write(v, frame)); assert(m:close())
 */
#define _GNU_SOURCE             /* dladdr */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/log.h>

#include "codec.h"
#include "core.h"
#include "mux.h"
#include "muxobj.h"
#include "joinobj.h"

#define QVR_MUXER_MT "qvrpro.Muxer"
#define EXTRADATA_MAX 4096

struct lmux {
    qvr_mux *m;
    const struct qvr_core_api *api;
    struct qvr_mux_stats st;      /* kept after close */
    int streams;
};

static const struct qvr_core_api *upvalue_api(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

static int fail(lua_State *L, const struct qvr_core_api *api, const char *name,
                const char *msg)
{
    lua_pushnil(L);
    api->push_error(L, name, -1, msg, 0);
    return 2;
}

/* The bytes of a string or of a Frame's payload (no copy). */
static const uint8_t *bytes_of(lua_State *L, const struct qvr_core_api *api, int i, size_t *n)
{
    struct qvr_frame f;
    if (lua_type(L, i) == LUA_TSTRING)
        return (const uint8_t *)lua_tolstring(L, i, n);
    api->check_frame(L, i, &f);
    *n = f.len;
    return f.data;
}

/* ---- codec parameters ------------------------------------------------- */

/* mux.h264_extradata(frame_or_bytes) -> SPS and PPS (Annex B) | nil */
static int l_h264_extradata(lua_State *L)
{
    uint8_t out[EXTRADATA_MAX];
    size_t n, k;
    const uint8_t *d = bytes_of(L, upvalue_api(L), 1, &n);
    k = qvr_h264_parameter_sets(d, n, out, sizeof out);
    if (k)
        lua_pushlstring(L, (const char *)out, k);
    else
        lua_pushnil(L);
    return 1;
}

/* mux.mpeg4_extradata(frame_or_bytes) -> VOS/VOL bytes | nil */
static int l_mpeg4_extradata(lua_State *L)
{
    size_t n, k;
    const uint8_t *d = bytes_of(L, upvalue_api(L), 1, &n);
    k = qvr_mpeg4_config(d, n);
    if (k)
        lua_pushlstring(L, (const char *)d, k);
    else
        lua_pushnil(L);
    return 1;
}

/* mux.aac_config(frame_or_bytes) -> AudioSpecificConfig, sample_rate,
 * channels | nil (not an ADTS frame) */
static int l_aac_config(lua_State *L)
{
    struct qvr_adts a;
    uint8_t asc[2];
    size_t n;
    const uint8_t *d = bytes_of(L, upvalue_api(L), 1, &n);
    if (qvr_adts_parse(d, n, &a) != 0) {
        lua_pushnil(L);
        return 1;
    }
    qvr_aac_config(&a, asc);
    lua_pushlstring(L, (const char *)asc, 2);
    lua_pushinteger(L, a.sample_rate);
    lua_pushinteger(L, a.channels);
    return 3;
}

/* ---- the muxer -------------------------------------------------------- */

static struct lmux *to_mux(lua_State *L, int i)
{
    return luaL_checkudata(L, i, QVR_MUXER_MT);
}

static struct lmux *check_mux(lua_State *L, int i)
{
    struct lmux *lm = to_mux(L, i);
    if (!lm->m)
        luaL_error(L, "attempt to use a closed qvrpro.Muxer");
    return lm;
}

static int mux_fail(lua_State *L, struct lmux *lm)
{
    return fail(L, lm->api, "MUX_ERROR", qvr_mux_error(lm->m));
}

/* Reads {key = "value", ...} of t.metadata into kv (key, value, ..., NULL);
 * the strings stay alive in that table for the call. */
static void read_metadata(lua_State *L, int t, const char **kv, int max)
{
    int k = 0;
    if (lua_getfield(L, t, "metadata") == LUA_TTABLE) {
        lua_pushnil(L);
        while (k + 2 < max && lua_next(L, -2)) {
            if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
                kv[k++] = lua_tostring(L, -2);
                kv[k++] = lua_tostring(L, -1);
            }
            lua_pop(L, 1);
        }
    }
    kv[k] = NULL;
    lua_pop(L, 1);
}

/* mux.muxer(path [, {format=, fragmented=, zero=, metadata={}, resumable=}])
 * -> Muxer | nil, err.  resumable (Matroska): sync points and m:resume
 * (csrc/media/mux.h); the file is not cut until the header is written. */
static int l_muxer(lua_State *L)
{
    const struct qvr_core_api *api = upvalue_api(L);
    const char *path = luaL_checkstring(L, 1);
    struct qvr_mux_opts o = {NULL, 0, 0, 0, NULL, 0};
    const char *kv[33];
    struct lmux *lm;
    char err[256];
    kv[0] = NULL;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_getfield(L, 2, "format");
        o.format = luaL_optstring(L, -1, NULL);
        lua_getfield(L, 2, "fragmented");
        o.fragmented = lua_toboolean(L, -1);
        lua_getfield(L, 2, "zero");
        o.has_zero = !lua_isnil(L, -1);
        o.zero = luaL_optinteger(L, -1, 0);
        lua_getfield(L, 2, "resumable");
        o.resumable = lua_toboolean(L, -1);
        lua_pop(L, 3);     /* format's string stays referenced by the table */
        read_metadata(L, 2, kv, 33);
        o.metadata = kv;
    }
    lm = lua_newuserdatauv(L, sizeof *lm, 1);
    memset(lm, 0, sizeof *lm);
    lm->api = api;
    luaL_setmetatable(L, QVR_MUXER_MT);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    if (qvr_mux_open(&lm->m, path, &o, err, sizeof err) != 0)
        return fail(L, api, "MUX_ERROR", err);
    return 1;
}

enum qvr_codec qvr_codec_option(lua_State *L, int i)
{
    static const char *const names[] = {"h264", "mpeg4", "mjpeg", "jpeg", "aac", "g711",
                                        "g726", "pcm", NULL};
    static const enum qvr_codec codecs[] = {QVR_CODEC_H264, QVR_CODEC_MPEG4, QVR_CODEC_MJPEG,
                                            QVR_CODEC_JPEG, QVR_CODEC_AAC, QVR_CODEC_G711,
                                            QVR_CODEC_G726, QVR_CODEC_PCM};
    return codecs[luaL_checkoption(L, i, NULL, names)];
}

static enum qvr_codec codec_arg(lua_State *L, int t, int *alaw)
{
    enum qvr_codec c;
    lua_getfield(L, t, "codec");
    c = qvr_codec_option(L, -1);
    lua_getfield(L, t, "fourcc");
    lua_getfield(L, t, "alaw");
    *alaw = lua_toboolean(L, -1) ||
            (lua_type(L, -2) == LUA_TSTRING && strcmp(lua_tostring(L, -2), "A711") == 0);
    lua_pop(L, 3);
    return c;
}

static unsigned opt_uint(lua_State *L, int t, const char *k)
{
    lua_Integer v;
    lua_getfield(L, t, k);
    v = luaL_optinteger(L, -1, 0);
    lua_pop(L, 1);
    return v > 0 && v < (1 << 24) ? (unsigned)v : 0;
}

/* m:add_stream{codec=, width=, height=, sample_rate=, channels=, bits=,
 *              extradata=, fourcc=, alaw=, adts=, aac=} -> index (1-based) | nil, err
 * aac = true: G.711/G.726/PCM audio is written as AAC (csrc/media/aacenc.c) */
static int m_add_stream(lua_State *L)
{
    struct lmux *lm = check_mux(L, 1);
    struct qvr_mux_stream s;
    int k;
    memset(&s, 0, sizeof s);
    luaL_checktype(L, 2, LUA_TTABLE);
    s.codec = codec_arg(L, 2, &s.alaw);
    s.width = opt_uint(L, 2, "width");
    s.height = opt_uint(L, 2, "height");
    s.sample_rate = opt_uint(L, 2, "sample_rate");
    s.channels = opt_uint(L, 2, "channels");
    s.bits = opt_uint(L, 2, "bits");
    lua_getfield(L, 2, "extradata");
    s.extradata = (const uint8_t *)luaL_optlstring(L, -1, NULL, &s.extradata_len);
    lua_getfield(L, 2, "adts");
    s.adts = s.codec == QVR_CODEC_AAC && (lua_isnil(L, -1) || lua_toboolean(L, -1));
    lua_getfield(L, 2, "aac");
    s.aac = lua_toboolean(L, -1);
    k = qvr_mux_add_stream(lm->m, &s);
    lua_pop(L, 3);
    if (k < 0)
        return mux_fail(L, lm);
    lm->streams = qvr_mux_streams(lm->m);
    lua_pushinteger(L, k + 1);
    return 1;
}

/* m:write(stream, frame [, ts_ms [, key]]) -> true | nil, err */
static int m_write(lua_State *L)
{
    struct lmux *lm = check_mux(L, 1);
    lua_Integer i = luaL_checkinteger(L, 2);
    struct qvr_frame f;
    int64_t ts;
    int key;
    luaL_argcheck(L, i >= 1 && i <= lm->streams, 2, "no such stream");
    lm->api->check_frame(L, 3, &f);
    ts = luaL_optinteger(L, 4, (lua_Integer)f.timestamp);
    key = lua_isnoneornil(L, 5) ? f.key : lua_toboolean(L, 5);
    if (qvr_mux_write(lm->m, (int)i - 1, f.data, f.len, ts, key) != 0)
        return mux_fail(L, lm);
    lua_pushboolean(L, 1);
    return 1;
}

qvr_mux *qvr_check_muxer(lua_State *L, int i)
{
    return check_mux(L, i)->m;
}

static int64_t commit_field(lua_State *L, int t, const char *k)
{
    lua_Integer v;
    lua_getfield(L, t, k);
    v = luaL_checkinteger(L, -1);
    lua_pop(L, 1);
    return (int64_t)v;
}

/* m:resume(offset, header_len, {{packets=, last_pts=, usual=, tag={ts, n,
 * gaps, interval}}, ...}) -> true | nil, err: continues the file a
 * resumable muxer wrote at the sync point `offset` (mux.h, qvr_mux_resume),
 * after the same add_stream calls; one state per stream. */
static int m_resume(lua_State *L)
{
    struct lmux *lm = check_mux(L, 1);
    lua_Integer off = luaL_checkinteger(L, 2), hlen = luaL_checkinteger(L, 3);
    struct qvr_mux_commit c[8];
    lua_Integer n;
    lua_remove(L, 3);
    luaL_checktype(L, 3, LUA_TTABLE);
    n = luaL_len(L, 3);
    luaL_argcheck(L, off >= 0 && hlen >= 0 && n >= 1 && n <= 8, 3, "one state per stream");
    memset(c, 0, sizeof c);
    for (lua_Integer i = 1; i <= n; i++) {
        int t;
        lua_geti(L, 3, i);
        luaL_checktype(L, -1, LUA_TTABLE);
        t = lua_gettop(L);
        c[i - 1].packets = (uint64_t)commit_field(L, t, "packets");
        c[i - 1].last_pts = commit_field(L, t, "last_pts");
        c[i - 1].usual = commit_field(L, t, "usual");
        if (lua_getfield(L, t, "tag") == LUA_TTABLE)
            for (int k = 0; k < QVR_MUX_TAG; k++) {
                lua_geti(L, -1, k + 1);
                c[i - 1].tag[k] = (int64_t)luaL_optinteger(L, -1, 0);
                lua_pop(L, 1);
            }
        lua_pop(L, 2);
    }
    if (qvr_mux_resume(lm->m, (uint64_t)off, (uint64_t)hlen, c, (int)n) != 0)
        return fail(L, lm->api, "RESUME_FAILED", qvr_mux_error(lm->m));
    lua_pushboolean(L, 1);
    return 1;
}

/* close, __close, __gc: held frames, trailer, fsync; harmless twice.
 * close returns true | nil, err. */
static int m_close(lua_State *L)
{
    struct lmux *lm = to_mux(L, 1);
    int rc;
    if (!lm->m) {
        lua_pushboolean(L, 1);
        return 1;
    }
    rc = qvr_mux_finish(lm->m);
    lm->st = *qvr_mux_stats(lm->m);
    if (rc != 0) {
        int n = mux_fail(L, lm);
        qvr_mux_free(lm->m);
        lm->m = NULL;
        return n;
    }
    qvr_mux_free(lm->m);
    lm->m = NULL;
    lua_pushboolean(L, 1);
    return 1;
}

enum mux_field { M_PACKETS, M_BYTES, M_ADJUSTED, M_STREAMS, M_CLOSED, M_PATH };
static const char *const mux_fields[] = {
    "packets", "bytes", "adjusted", "streams", "closed", "path", NULL};

/* Upvalue 1: { field name = position in mux_fields } (one lookup, then a
 * switch). */
static int m_index(lua_State *L)
{
    struct lmux *lm = to_mux(L, 1);
    const struct qvr_mux_stats *st = lm->m ? qvr_mux_stats(lm->m) : &lm->st;
    int id;
    luaL_checkstring(L, 2);
    lua_pushvalue(L, 2);
    id = lua_rawget(L, lua_upvalueindex(1)) == LUA_TNUMBER ? (int)lua_tointeger(L, -1) : -1;
    lua_pop(L, 1);
    switch (id) {
    case M_PACKETS: lua_pushinteger(L, (lua_Integer)st->packets); break;
    case M_BYTES: lua_pushinteger(L, (lua_Integer)st->bytes); break;
    case M_ADJUSTED: lua_pushinteger(L, (lua_Integer)st->adjusted); break;
    case M_STREAMS: lua_pushinteger(L, lm->streams); break;
    case M_CLOSED: lua_pushboolean(L, lm->m == NULL); break;
    case M_PATH: lua_getiuservalue(L, 1, 1); break;
    default:
        luaL_getmetafield(L, 1, "__methods");
        lua_pushvalue(L, 2);
        lua_rawget(L, -2);
    }
    return 1;
}

static int m_tostring(lua_State *L)
{
    struct lmux *lm = to_mux(L, 1);
    lua_getiuservalue(L, 1, 1);
    lua_pushfstring(L, "qvrpro.Muxer %s (%s, %d streams)", lua_tostring(L, -1),
                    lm->m ? "open" : "closed", lm->streams);
    return 1;
}

static void register_muxer(lua_State *L)
{
    static const luaL_Reg meta[] = {
        {"__gc", m_close}, {"__close", m_close}, {"__tostring", m_tostring}, {NULL, NULL}
    };
    static const luaL_Reg methods[] = {
        {"add_stream", m_add_stream}, {"write", m_write}, {"resume", m_resume},
        {"close", m_close}, {NULL, NULL}
    };
    luaL_newmetatable(L, QVR_MUXER_MT);
    luaL_setfuncs(L, meta, 0);
    lua_newtable(L);
    for (int i = 0; mux_fields[i]; i++) {
        lua_pushinteger(L, i);
        lua_setfield(L, -2, mux_fields[i]);
    }
    lua_pushcclosure(L, m_index, 1);
    lua_setfield(L, -2, "__index");
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__methods");
    lua_pop(L, 1);
}

/* Keeps this module, and so FFmpeg and the TLS libraries it pulls in,
 * loaded until the process ends: they hold process-wide state (codec
 * tables, library initialisation) that is not meant to be unloaded, and Lua
 * unloads C modules when a state closes.  Unloaded, that state's memory
 * shows up as leaks under LeakSanitizer. */
static void stay_loaded(void)
{
    Dl_info info;
    if (dladdr((void *)&stay_loaded, &info) && info.dli_fname)
        dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

int luaopen_qvrpro_mux(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"muxer", l_muxer},
        {"h264_extradata", l_h264_extradata},
        {"mpeg4_extradata", l_mpeg4_extradata},
        {"aac_config", l_aac_config},
        {NULL, NULL}
    };
    const struct qvr_core_api *api;
    stay_loaded();
    lua_getglobal(L, "require");
    lua_pushliteral(L, "qvrpro.core");
    lua_call(L, 1, 0);
    lua_getfield(L, LUA_REGISTRYINDEX, QVR_CORE_API);
    api = lua_touserdata(L, -1);
    if (!api || api->version != QVR_CORE_API_VERSION)
        return luaL_error(L, "qvrpro.mux needs qvrpro.core of the same version");
    /* failures come back as Errors; QVR_AV_LOG=1 shows libavformat's own log */
    av_log_set_level(getenv("QVR_AV_LOG") ? AV_LOG_INFO : AV_LOG_QUIET);
    register_muxer(L);
    luaL_newlibtable(L, funcs);
    lua_pushlightuserdata(L, (void *)api);
    luaL_setfuncs(L, funcs, 1);
    qvr_join_register(L, api);
    qvr_export_loop_register(L, api);
    return 1;
}
