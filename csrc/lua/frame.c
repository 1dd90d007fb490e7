/*
 * frame.c - the qvrpro.Frame object (binding).
 *
 * Owns: a frame handed to Lua.  The userdata holds the frame's fields and
 * one copy of its payload followed by its raw header (for lossless dumps),
 * made in the one allocation of the frame (no second allocation, and a
 * kept frame holds only its own bytes); the Lua string `frame.data` is made
 * only when a script reads it, and cached in the user value.  frame:write(file) writes the
 * payload through the file's stdio buffer, or (a payload at least as large as
 * that buffer, with glibc) with fflush and one write(2) (put_bytes).
 * Field reads are two table look-ups (methods, then a name -> field table
 * built once), and the metatable is found by a registry key, not by name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __GLIBC__
#include <stdio_ext.h>
#endif

#include "core.h"

struct lframe {
    struct qvr_frame f;          /* header/data pointers are not used */
    size_t header_len;
    size_t len;
    const uint8_t *payload, *hdr;   /* in data[] below, or (a view) in the parser's buffer */
    const unsigned *gen_src;     /* a view: valid while *gen_src == gen; else NULL */
    unsigned gen;
    uint8_t data[];              /* the payload (len bytes), then the raw header */
};

/* Registry keys (their addresses): the Frame metatable, found without
 * hashing its name on every frame. */
static const char frame_mt_key = 'F';
static const char file_mt_key = 'f';     /* io's file metatable, once looked up */

/* The fields of a frame (qvr_type_fields): __index looks a key up in the
 * type's field table and switches, never comparing strings. */
enum frame_field {
    F_DATA, F_TIMESTAMP, F_KEY, F_SIZE, F_FOURCC, F_CODEC, F_MEDIA, F_WIDTH, F_HEIGHT,
    F_OSD, F_FLAGS, F_HEADER, F_SAMPLE_RATE, F_BITS, F_CHANNELS
};

static const char *const frame_fields[] = {
    "data", "timestamp", "key", "size", "fourcc", "codec", "media", "width", "height",
    "osd", "flags", "header", "sample_rate", "bits", "channels", NULL
};

static struct lframe *check_frame(lua_State *L, int i)
{
    struct lframe *lf = lua_touserdata(L, i);
    if (lf && lua_getmetatable(L, i)) {
        lua_rawgetp(L, LUA_REGISTRYINDEX, &frame_mt_key);
        if (lua_rawequal(L, -1, -2)) {
            lua_pop(L, 2);
            return lf;
        }
        lua_pop(L, 2);
    }
    return luaL_checkudata(L, i, QVR_FRAME_MT);   /* raises the usual error */
}

static void fill(struct lframe *lf, const struct qvr_frame *f)
{
    lf->f = *f;
    lf->f.header = NULL;
    lf->f.data = NULL;
    lf->header_len = f->header_len;
    lf->len = f->len;
    lf->gen_src = NULL;
    lf->gen = 0;
}

/* One copy of the payload (and of the raw header) into the userdata: the
 * frame outlives the parser's buffer, which the next read reuses. */
void qvr_push_frame(lua_State *L, const struct qvr_frame *f)
{
    struct lframe *lf = lua_newuserdatauv(L, sizeof *lf + f->len + f->header_len, 1);
    fill(lf, f);
    lf->payload = lf->data;
    lf->hdr = lf->data + f->len;
    if (f->len)
        memcpy(lf->data, f->data, f->len);
    if (f->header_len)
        memcpy(lf->data + f->len, f->header, f->header_len);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &frame_mt_key);
    lua_setmetatable(L, -2);
}

/* A view (docs/API.md, "stream:frames{view=true}"): the one frame object of
 * the owner at index owner (its user value 4), refilled for every frame, no
 * allocation and no copy: its payload and header point into the parser's
 * buffer, valid while *gen == the value it has now (the owner's next read
 * moves it on).  Pushes the frame. */
void qvr_push_view(lua_State *L, int owner, const unsigned *gen, const struct qvr_frame *f)
{
    struct lframe *lf;
    owner = lua_absindex(L, owner);
    if (lua_getiuservalue(L, owner, 4) != LUA_TUSERDATA) {
        lua_pop(L, 1);
        lf = lua_newuserdatauv(L, sizeof *lf, 2);
        lua_rawgetp(L, LUA_REGISTRYINDEX, &frame_mt_key);
        lua_setmetatable(L, -2);
        lua_pushvalue(L, owner);
        lua_setiuservalue(L, -2, 2);     /* the owner outlives the view */
        lua_pushvalue(L, -1);
        lua_setiuservalue(L, owner, 4);
    } else {
        lf = lua_touserdata(L, -1);
        lua_pushnil(L);
        lua_setiuservalue(L, -2, 1);     /* the cached `data` string was the last frame's */
    }
    lf->f = *f;
    lf->f.header = NULL;
    lf->f.data = NULL;
    lf->header_len = f->header_len;
    lf->len = f->len;
    lf->payload = f->data;
    lf->hdr = f->header;
    lf->gen_src = gen;
    lf->gen = *gen;
}

/* A view whose stream has moved on has no payload any more. */
static struct lframe *live_frame(lua_State *L, int i)
{
    struct lframe *lf = check_frame(L, i);
    if (lf->gen_src && *lf->gen_src != lf->gen)
        luaL_error(L, "this frame was a view (frames{view=true}) and its stream has moved on; "
                   "keep frame:copy() instead");
    return lf;
}

int qvr_check_frame(lua_State *L, int i, struct qvr_frame *out)
{
    struct lframe *lf = live_frame(L, i);
    *out = lf->f;
    out->header = lf->hdr;
    out->header_len = lf->header_len;
    out->data = lf->payload;
    out->len = lf->len;
    return 0;
}

static int frame_data(lua_State *L, struct lframe *lf)
{
    if (lua_getiuservalue(L, 1, 1) == LUA_TSTRING)
        return 1;
    lua_pop(L, 1);
    live_frame(L, 1);
    lua_pushlstring(L, (const char *)lf->payload, lf->len);
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, 1, 1);
    return 1;
}

/* The Lua file at index i (luaL_checkudata(L, i, LUA_FILEHANDLE), with the
 * metatable found by a registry key after the first time). */
luaL_Stream *qvr_check_file(lua_State *L, int i)
{
    void *p = lua_touserdata(L, i);
    if (p && lua_getmetatable(L, i)) {
        int same;
        if (lua_rawgetp(L, LUA_REGISTRYINDEX, &file_mt_key) == LUA_TNIL) {
            lua_pop(L, 1);
            luaL_getmetatable(L, LUA_FILEHANDLE);
            lua_pushvalue(L, -1);
            lua_rawsetp(L, LUA_REGISTRYINDEX, &file_mt_key);
        }
        same = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
        if (same)
            return p;
    }
    return luaL_checkudata(L, i, LUA_FILEHANDLE);
}

#ifdef __GLIBC__
/* put_bytes for a payload at least as large as the stream's buffer: one
 * write on its file descriptor (qvr_write_all) instead of fwrite's copy into the buffer
 * and its one or two write(2)s per buffer's worth (MJPEG frames of 6 kB into
 * a 4 KiB buffer).  fflush(3) first writes what the script left in the
 * buffer (in order), gives back a read-ahead (an "r+" file) and makes glibc
 * forget its cached offset, so that a later file:seek() asks the
 * descriptor; with nothing buffered it makes no system call.  Only public
 * stdio calls: no field of FILE is read or set.  0, or -1 with errno set. */
static int put_direct(FILE *fp, const uint8_t *p, size_t len)
{
    if (fflush(fp) != 0)
        return -1;
    return qvr_write_all(fileno(fp), p, len);
}
#endif

/* Writes a payload to a stdio stream, in order with what the script wrote
 * to it before and after: 0, or -1 with errno set. */
static int put_bytes(FILE *fp, const uint8_t *p, size_t len)
{
#ifdef __GLIBC__
    size_t size = __fbufsize(fp);    /* 0 before its first use */
    if (size && len >= size) {
        int r;
        flockfile(fp);               /* as fwrite: one writer at a time */
        r = put_direct(fp, p, len);
        funlockfile(fp);
        return r;
    }
#endif
    return fwrite(p, 1, len, fp) == len ? 0 : -1;
}

/* frame:write(file): the payload straight from where it is (put_bytes).
 * Upvalue 1 is the Frame metatable, upvalue 2 io's file metatable (nil
 * until the first call): both arguments are checked by one metatable
 * comparison each. */
static int frame_write(lua_State *L)
{
    struct lframe *lf = lua_touserdata(L, 1);
    luaL_Stream *s = lua_touserdata(L, 2);
    int ok = lf && s && lua_getmetatable(L, 1) && lua_rawequal(L, -1, lua_upvalueindex(1)) &&
             lua_getmetatable(L, 2) && lua_rawequal(L, -1, lua_upvalueindex(2));
    lua_settop(L, 2);
    if (!ok) {
        lf = live_frame(L, 1);
        s = qvr_check_file(L, 2);
        luaL_getmetatable(L, LUA_FILEHANDLE);
        lua_replace(L, lua_upvalueindex(2));
        lua_settop(L, 2);
    } else if (lf->gen_src && *lf->gen_src != lf->gen) {
        live_frame(L, 1);       /* raises */
    }
    if (s->closef == NULL)
        return luaL_error(L, "attempt to use a closed file");
    if (lf->len && put_bytes(s->f, lf->payload, lf->len) != 0)
        return luaL_fileresult(L, 0, NULL);
    return 1;
}

static void push_field(lua_State *L, struct lframe *lf, enum frame_field k)
{
    const struct qvr_frame *f = &lf->f;
    int audio = f->media == QVR_MEDIA_AUDIO;
    switch (k) {
    case F_DATA: frame_data(L, lf); break;
    case F_TIMESTAMP: lua_pushinteger(L, (lua_Integer)f->timestamp); break;
    case F_KEY: lua_pushboolean(L, f->key); break;
    case F_SIZE: lua_pushinteger(L, (lua_Integer)lf->len); break;
    case F_FOURCC: lua_pushstring(L, f->fourcc); break;
    case F_CODEC: lua_pushstring(L, qvr_codec_name(f->codec)); break;
    case F_MEDIA: lua_pushstring(L, qvr_media_name(f->media)); break;
    case F_WIDTH: lua_pushinteger(L, f->width); break;
    case F_HEIGHT: lua_pushinteger(L, f->height); break;
    case F_OSD: lua_pushstring(L, f->osd); break;
    case F_FLAGS: lua_pushinteger(L, f->flags); break;
    case F_HEADER:
        live_frame(L, 1);
        lua_pushlstring(L, (const char *)lf->hdr, lf->header_len);
        break;
    case F_SAMPLE_RATE: audio ? lua_pushinteger(L, f->sample_rate) : lua_pushnil(L); break;
    case F_BITS: audio ? lua_pushinteger(L, f->bits) : lua_pushnil(L); break;
    case F_CHANNELS: audio ? lua_pushinteger(L, f->channels) : lua_pushnil(L); break;
    }
}

/* __index: upvalue 1 is the methods table, upvalue 2 the type's field
 * table (__fields, name -> enum frame_field), both held by the closure so
 * that a read costs two table look-ups and no metatable or name look-up.
 * Methods come first (`f:write` in a loop: one look-up, no type check:
 * a method checks its own arguments). */
static int frame_index(lua_State *L)
{
    struct lframe *lf;
    lua_settop(L, 2);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
        return 1;
    lf = check_frame(L, 1);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(2)) == LUA_TNUMBER)
        push_field(L, lf, (enum frame_field)lua_tointeger(L, -1));
    else
        lua_pushnil(L);
    return 1;
}

static int frame_tostring(lua_State *L)
{
    struct lframe *lf = check_frame(L, 1);
    const struct qvr_frame *f = &lf->f;
    if (f->media == QVR_MEDIA_AUDIO)
        lua_pushfstring(L, "qvrpro.Frame %s audio %d Hz ts=%I %d bytes",
                        f->fourcc, (int)f->sample_rate, (lua_Integer)f->timestamp,
                        (int)lf->len);
    else
        lua_pushfstring(L, "qvrpro.Frame %s %s %dx%d%s ts=%I %d bytes", f->fourcc,
                        qvr_codec_name(f->codec), (int)f->width, (int)f->height,
                        f->key ? " key" : "", (lua_Integer)f->timestamp, (int)lf->len);
    return 1;
}

/* frame:copy() -> a frame of its own (of a view: one that stays valid) */
static int frame_copy(lua_State *L)
{
    struct qvr_frame f;
    qvr_check_frame(L, 1, &f);
    qvr_push_frame(L, &f);
    return 1;
}

static int frame_len(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)check_frame(L, 1)->len);
    return 1;
}

void qvr_frame_register(lua_State *L)
{
    static const luaL_Reg meta[] = {
        {"__tostring", frame_tostring},
        {"__len", frame_len},
        {NULL, NULL}
    };
    static const luaL_Reg methods[] = {
        {"copy", frame_copy},
        {NULL, NULL}
    };
    qvr_new_type(L, QVR_FRAME_MT, meta, methods);
    qvr_type_fields(L, QVR_FRAME_MT, frame_fields);
    luaL_getmetatable(L, QVR_FRAME_MT);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &frame_mt_key);
    lua_getfield(L, -1, "__methods");
    lua_pushvalue(L, -2);                      /* write: the Frame metatable, */
    luaL_getmetatable(L, LUA_FILEHANDLE);      /* io's (nil before io is loaded) */
    lua_pushcclosure(L, frame_write, 2);
    lua_setfield(L, -2, "write");
    lua_getfield(L, -2, "__fields");
    lua_pushcclosure(L, frame_index, 2);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}

static enum qvr_audio_layout opt_audio(lua_State *L, int t)
{
    static const char *const names[] = {"auto", "ext", "sizeinc", NULL};
    static const enum qvr_audio_layout v[] = {
        QVR_AUDIO_AUTO, QVR_AUDIO_EXT_THEN_SIZE, QVR_AUDIO_SIZE_INCLUDES_EXT};
    int i;
    lua_getfield(L, t, "audio");
    i = luaL_checkoption(L, -1, "auto", names);
    lua_pop(L, 1);
    return v[i];
}

static void parse_opts(lua_State *L, int t, struct qvr_parser_opts *o, size_t *chunk)
{
    static const char *const modes[] = {"source", "jpeg", NULL};
    memset(o, 0, sizeof *o);
    *chunk = 0;
    if (lua_isnoneornil(L, t))
        return;
    luaL_checktype(L, t, LUA_TTABLE);
    lua_getfield(L, t, "mode");
    o->mode = luaL_checkoption(L, -1, "source", modes) ? QVR_MODE_JPEG : QVR_MODE_SOURCE;
    lua_getfield(L, t, "max_size");
    o->max_size = (uint32_t)luaL_optinteger(L, -1, 0);
    lua_getfield(L, t, "chunk");
    *chunk = (size_t)luaL_optinteger(L, -1, 0);
    lua_pop(L, 3);
    o->audio = opt_audio(L, t);
}

static int drain(lua_State *L, qvr_parser *p, int out, lua_Integer *n)
{
    struct qvr_frame f;
    enum qvr_parse_status st;
    while ((st = qvr_parser_next(p, &f)) == QVR_PARSE_FRAME) {
        qvr_push_frame(L, &f);
        lua_rawseti(L, out, ++*n);
    }
    return st;
}

/* core.parse(bytes [, {mode=, max_size=, audio=, chunk=}]) -> frames [, err]
 * Runs the incremental parser over an in-memory body (tests, dumps): the
 * frames parsed before any failure, and the failure as an Error. */
int qvr_l_parse(lua_State *L)
{
    size_t len, chunk, off = 0;
    const char *s = luaL_checklstring(L, 1, &len);
    struct qvr_parser_opts o;
    qvr_parser *p;
    lua_Integer n = 0;
    int st = QVR_PARSE_NEED_MORE;
    parse_opts(L, 2, &o, &chunk);
    if (chunk == 0)
        chunk = len ? len : 1;
    lua_newtable(L);
    p = qvr_parser_new(&o);
    if (!p)
        return luaL_error(L, "out of memory");
    while (off < len && st != QVR_PARSE_ERROR) {
        size_t k = len - off < chunk ? len - off : chunk;
        if (qvr_parser_feed(p, (const uint8_t *)s + off, k) == 0)
            st = drain(L, p, lua_gettop(L), &n);
        else
            st = QVR_PARSE_ERROR;
        off += k;
    }
    qvr_parser_finish(p);
    if (st != QVR_PARSE_ERROR)
        st = drain(L, p, lua_gettop(L), &n);
    if (st == QVR_PARSE_ERROR) {
        qvr_fail_parser(L, p);   /* pushes nil, err */
        lua_remove(L, -2);
        qvr_parser_free(p);
        return 2;
    }
    qvr_parser_free(p);
    return 1;
}
