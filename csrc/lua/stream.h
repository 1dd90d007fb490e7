/*
 * stream.h - the qvrpro.Stream object and the transfer loop (binding).
 */
#ifndef QVR_STREAM_H
#define QVR_STREAM_H

#include "core.h"

#define QVR_STREAM_MT "qvrpro.Stream"
#define QVR_LOOP_MT "qvrpro.Loop"

void qvr_stream_register(lua_State *L);
int qvr_l_open_stream(lua_State *L);
int qvr_l_each(lua_State *L);
int qvr_l_loop(lua_State *L);
int qvr_l_open_streams(lua_State *L);

#endif
