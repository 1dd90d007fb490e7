/*
 * core.c - luaopen_qvrpro_core: the C core's module table.
 *
 * Owns: opening the module: initialising libcurl and libxml2, registering
 * every metatable and exporting the module functions.  Each object lives in
 * its own file (session.c, camera.c, frame.c, errobj.c, ...), type creation
 * in typeaux.c, clocks and limits in sys.c.
 */
#include <curl/curl.h>
#include <libxml/parser.h>

#include "answer.h"
#include "core.h"
#include "session.h"
#include "stream.h"

/* The table sibling C modules (qvrpro.mux) use to read Frames and make
 * Errors without a second copy of this code (core.h, QVR_CORE_API). */
static void register_api(lua_State *L)
{
    static const struct qvr_core_api api = {
        QVR_CORE_API_VERSION, qvr_check_frame, qvr_push_error, qvr_stream_next};
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
        {"methods", qvr_l_methods},
        {"read_answer", qvr_l_read_answer},
        {"open_stream", qvr_l_open_stream},
        {"open_streams", qvr_l_open_streams},
        {"each", qvr_l_each},
        {"loop", qvr_l_loop},
        {NULL, NULL}
    };
    qvr_raise_fd_limit();
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
    qvr_sys_register(L);
    qvr_dump_register(L);
    register_api(L);
    lua_pushliteral(L, QVR_VERSION);
    lua_setfield(L, -2, "version");
    lua_pushliteral(L, QVR_DEFAULT_PREFIX);
    lua_setfield(L, -2, "default_prefix");
    return 1;
}
