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
/* The bulk path of sibling modules (core.h, qvr_core_api.stream_next): the
 * next frame of the Stream at idx without a Lua frame.  1 with *f (valid
 * until the next call), 0 at the end, -1 with nil and the Error pushed. */
int qvr_stream_next(lua_State *L, int idx, struct qvr_frame *f);

#endif
