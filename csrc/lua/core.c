/*
 * core.c - luaopen_qvrpro_core: the C core's module table.
 *
 * Owns: initialising libcurl and libxml2, registering every metatable and
 * exporting the module functions.  Each object lives in its own file
 * (session.c, camera.c, frame.c, errobj.c, ...).
 */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "answer.h"
#include "core.h"
#include "session.h"
#include "stream.h"

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
static int l_methods(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    if (luaL_getmetatable(L, name) != LUA_TTABLE)
        return luaL_error(L, "no such type '%s'", name);
    if (lua_getfield(L, -1, "__methods") != LUA_TTABLE)
        return luaL_error(L, "type '%s' has no methods table", name);
    return 1;
}

/* core.now_ms() -> milliseconds since 1970 UTC */
static int l_now_ms(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    lua_pushinteger(L, (lua_Integer)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    return 1;
}

/* core.monotonic_ms() -> milliseconds of a clock that never jumps (for
 * measuring elapsed time; its zero is arbitrary) */
static int l_monotonic_ms(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushinteger(L, (lua_Integer)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    return 1;
}

/* core.sleep(seconds) */
static int l_sleep(lua_State *L)
{
    double s = luaL_checknumber(L, 1);
    struct timespec ts;
    if (s <= 0)
        return 0;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    return 0;
}

/* Raises the soft RLIMIT_NOFILE towards the hard limit (at most 2^20):
 * each stream holds a connection, so a process with many of them needs
 * more than the usual soft limit of 1024.  Leaves it alone when not
 * allowed. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    rlim_t want;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (rlim_t)1 << 20 ? (rlim_t)1 << 20
                                                                       : rl.rlim_max;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rl.rlim_cur = want;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* core.fd_limit() -> soft, hard: the process's RLIMIT_NOFILE (-1: none) */
static int l_fd_limit(lua_State *L)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return luaL_error(L, "getrlimit: %s", strerror(errno));
    lua_pushinteger(L, rl.rlim_cur == RLIM_INFINITY ? -1 : (lua_Integer)rl.rlim_cur);
    lua_pushinteger(L, rl.rlim_max == RLIM_INFINITY ? -1 : (lua_Integer)rl.rlim_max);
    return 2;
}

/* The table sibling C modules (qvrpro.mux) use to read Frames and make
 * Errors without a second copy of this code (core.h, QVR_CORE_API). */
static void register_api(lua_State *L)
{
    static const struct qvr_core_api api = {
        QVR_CORE_API_VERSION, qvr_check_frame, qvr_push_error};
    lua_pushlightuserdata(L, (void *)&api);
    lua_setfield(L, LUA_REGISTRYINDEX, QVR_CORE_API);
}

int luaopen_qvrpro_core(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"code_info", qvr_l_code_info},
        {"error", qvr_l_new_error},
        {"parse", qvr_l_parse},
        {"session", qvr_l_session},
        {"request", qvr_l_request},
        {"methods", l_methods},
        {"now_ms", l_now_ms},
        {"monotonic_ms", l_monotonic_ms},
        {"read_answer", qvr_l_read_answer},
        {"sleep", l_sleep},
        {"open_stream", qvr_l_open_stream},
        {"open_streams", qvr_l_open_streams},
        {"each", qvr_l_each},
        {"loop", qvr_l_loop},
        {"fd_limit", l_fd_limit},
        {NULL, NULL}
    };
    raise_fd_limit();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    xmlInitParser();
    qvr_errobj_register(L);
    qvr_frame_register(L);
    qvr_session_register(L);
    qvr_stream_register(L);
    luaL_newlib(L, funcs);
    qvr_camera_register(L);
    qvr_playback_register(L);
    qvr_fs_register(L);
    qvr_proc_register(L);
    qvr_dump_register(L);
    register_api(L);
    lua_pushliteral(L, QVR_VERSION);
    lua_setfield(L, -2, "version");
    lua_pushliteral(L, QVR_DEFAULT_PREFIX);
    lua_setfield(L, -2, "default_prefix");
    return 1;
}
