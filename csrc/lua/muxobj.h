/*
 * muxobj.h - what the qvrpro.mux binding files share (muxobj.c).
 */
#ifndef QVR_MUXOBJ_H
#define QVR_MUXOBJ_H

#include "core.h"
#include "mux.h"

/* The open muxer of the qvrpro.Muxer at index i (raises a Lua error when
 * it is not one, or is closed). */
qvr_mux *qvr_check_muxer(lua_State *L, int i);

/* The codec named by the string at index i ("h264", "aac", ...; raises on
 * another). */
enum qvr_codec qvr_codec_option(lua_State *L, int i);

/* exportobj.c: mux.export_loop into the table on top */
void qvr_export_loop_register(lua_State *L, const struct qvr_core_api *api);

#endif
