/*
 * core.h - what the Lua binding files of qvrpro.core share.
 *
 * Owns: nothing; declares each binding file's entry points.  Protocol code
 * (parser.c, errors.c, xml.c, json.c, http.c) never includes this header.
 */
#ifndef QVR_CORE_H
#define QVR_CORE_H

#include <stdint.h>
#include <sys/uio.h>
#include <lua.h>
#include <lauxlib.h>

#include "parser.h"

#define QVR_VERSION "0.1.0"

#define QVR_ERROR_MT   "qvrpro.Error"
#define QVR_FRAME_MT   "qvrpro.Frame"

/* typeaux.c: creates the metatable `name` with the metamethods `meta` and a
 * methods table `methods` in its __methods field (read by core.methods()
 * and by each type's __index). */
void qvr_new_type(lua_State *L, const char *name, const luaL_Reg *meta,
                  const luaL_Reg *methods);

/* typeaux.c: gives the type `name` (made by qvr_new_type) the field names
 * `fields` (NULL-terminated): its __index looks a key up in one table and
 * switches on the position, rather than comparing strings one by one. */
void qvr_type_fields(lua_State *L, const char *name, const char *const fields[]);
/* The position of the key at index `key` in the fields of the object at
 * `obj`, or -1 when it is not a field. */
int qvr_field_id(lua_State *L, int obj, int key);
/* Pushes the method named by the key at `key` (or nil); returns 1. */
int qvr_push_method(lua_State *L, int obj, int key);

/* typeaux.c: the generic-for triple of an object's frames, like io.lines:
 * iter, nil, nil, object (index 1, the to-be-closed value).  The iterator
 * calls read(object), which returns frame | nil | nil, err, and raises the err. */
int qvr_push_frames_iter(lua_State *L, lua_CFunction read);
/* core.methods(type_name) -> the methods table of a qvrpro type */
int qvr_l_methods(lua_State *L);

/* sys.c: now_ms, monotonic_ms, sleep and fd_limit into the table on top */
void qvr_sys_register(lua_State *L);
/* Raises the soft RLIMIT_NOFILE towards the hard limit (module load). */
void qvr_raise_fd_limit(void);

/* errobj.c: the qvrpro.Error object */
void qvr_errobj_register(lua_State *L);
/* Pushes an Error; code < 0 means "no server code"; http_status 0 = none. */
void qvr_push_error(lua_State *L, const char *name, int64_t code,
                    const char *message, long http_status);
/* Pushes the Error for a server code, named and worded from the table. */
void qvr_push_code_error(lua_State *L, uint32_t code, long http_status);
/* Pushes nil and an Error; returns 2 (for `return qvr_fail(...)`). */
int qvr_fail(lua_State *L, const char *name, const char *message);
/* Pushes nil and the Error for a parser failure; returns 2. */
int qvr_fail_parser(lua_State *L, const qvr_parser *p);
int qvr_l_code_info(lua_State *L);
int qvr_l_new_error(lua_State *L);

/* frame.c: the qvrpro.Frame object */
void qvr_frame_register(lua_State *L);
/* Pushes a Frame holding a copy of f's header and payload. */
void qvr_push_frame(lua_State *L, const struct qvr_frame *f);
int qvr_l_parse(lua_State *L);
/* Checks that argument i is a Frame and fills *out with its fields, its
 * header and payload pointing into the userdata (valid while it lives).
 * Returns 0 (a Frame keeps its whole header). */
int qvr_check_frame(lua_State *L, int i, struct qvr_frame *out);
/* Pushes the view frame of the owner at index owner (its user value 4),
 * refilled with f, valid while *gen keeps its present value (frame.c). */
void qvr_push_view(lua_State *L, int owner, const unsigned *gen, const struct qvr_frame *f);
/* luaL_checkudata(L, i, LUA_FILEHANDLE) without hashing the name (frame.c). */
luaL_Stream *qvr_check_file(lua_State *L, int i);

/* camera.c: the qvrpro.Camera object; adds core.camera to the table on top */
void qvr_camera_register(lua_State *L);
/* fs.c: mkdir_p, write_atomic, fsync, isatty into the table on top */
void qvr_fs_register(lua_State *L);
/* fs.c: writev(2) of all of v[0..n), again after a partial write or EINTR
 * (v is used up: its entries move on).  0, or -1 with errno set (EIO for
 * a write that took nothing).  qvr_write_all: the same for len bytes at p. */
int qvr_writev_all(int fd, struct iovec *v, int n);
int qvr_write_all(int fd, const void *p, size_t len);
/* proc.c: core.spawn, core.exe_path and the Proc type (the scheduler's children) */
void qvr_proc_register(lua_State *L);
/* playback.c: the qvrpro.Playback object; adds core.playback likewise */
void qvr_playback_register(lua_State *L);

/* dumpobj.c: qvrpro.DumpWriter and qvrpro.DumpReader; adds core.dump_writer
 * and core.open_dump to the table on top */
void qvr_dump_register(lua_State *L);

/* What qvrpro.core offers sibling C modules (qvrpro.mux): the registry
 * field QVR_CORE_API holds a light userdata pointing at this table. */
#define QVR_CORE_API "qvrpro.core.api"
#define QVR_CORE_API_VERSION 2
struct qvr_core_api {
    int version;
    int (*check_frame)(lua_State *L, int i, struct qvr_frame *out);
    void (*push_error)(lua_State *L, const char *name, int64_t code, const char *message,
                       long http_status);
    /* The next frame of the Stream at idx, as stream:read() waits for it:
     * 1 with *f (valid until the next call), 0 at the end, -1 with nil and
     * the Error pushed (stream.c: qvr_stream_next). */
    int (*stream_next)(lua_State *L, int idx, struct qvr_frame *f);
};

#endif
