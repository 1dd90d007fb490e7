/*
 * joinobj.h - mux.join and mux.span (csrc/lua/joinobj.c).
 */
#ifndef QVR_JOINOBJ_H
#define QVR_JOINOBJ_H

#include <lua.h>

#include "core.h"

/* Adds join and span to the module table on top. */
void qvr_join_register(lua_State *L, const struct qvr_core_api *api);

#endif
