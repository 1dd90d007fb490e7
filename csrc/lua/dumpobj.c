/*
 * dumpobj.c - the qvrpro.DumpWriter and qvrpro.DumpReader objects (binding).
 *
 * Owns: the Lua face of dump.c.  core.dump_writer(path, meta [, {append=}])
 * writes Frames into a `.qvr` file; core.open_dump(path) reads one back as
 * Frames rebuilt by the stream parser.  The meta (a JSON object in the file)
 * is a Lua table on both sides.  Operational failures are `nil, err` with a
 * qvrpro.Error; use after close raises.
 */
#include <errno.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core.h"
#include "dump.h"
#include "errname.h"

#define QVR_DUMPW_MT "qvrpro.DumpWriter"
#define QVR_DUMPR_MT "qvrpro.DumpReader"
#define JSON_DEPTH_MAX 32

struct lwriter {
    qvr_dump_writer *w;
    struct qvr_dump_wstats st;     /* kept after close */
};

struct lreader {
    qvr_dump_reader *r;
};

static int fail_dump(lua_State *L, const struct qvr_dump_err *e)
{
    lua_pushnil(L);
    qvr_push_error(L, qvr_dump_error_name(e->kind), -1, e->msg, 0);
    return 2;
}

/* ---- meta: Lua table <-> JSON ----------------------------------------- */

static cJSON *to_json(lua_State *L, int i, int depth, const char **why);

static int is_array(lua_State *L, int i)
{
    lua_Integer n = (lua_Integer)lua_rawlen(L, i), count = 0;
    if (n == 0)
        return 0;
    lua_pushnil(L);
    while (lua_next(L, i)) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > n) {
            lua_pop(L, 1);
            return 0;
        }
        count++;
    }
    return count == n;
}

static cJSON *array_to_json(lua_State *L, int i, int depth, const char **why)
{
    cJSON *out = cJSON_CreateArray();
    lua_Integer n = (lua_Integer)lua_rawlen(L, i);
    for (lua_Integer k = 1; out && k <= n; k++) {
        cJSON *v;
        lua_rawgeti(L, i, k);
        v = to_json(L, lua_gettop(L), depth + 1, why);
        lua_pop(L, 1);
        if (!v) {
            cJSON_Delete(out);
            return NULL;
        }
        cJSON_AddItemToArray(out, v);
    }
    return out;
}

static cJSON *table_to_json(lua_State *L, int i, int depth, const char **why)
{
    cJSON *out;
    if (is_array(L, i))
        return array_to_json(L, i, depth, why);
    out = cJSON_CreateObject();
    lua_pushnil(L);
    while (out && lua_next(L, i)) {
        cJSON *v = NULL;
        if (lua_type(L, -2) != LUA_TSTRING)
            *why = "meta keys must be strings";
        else
            v = to_json(L, lua_gettop(L), depth + 1, why);
        if (!v) {
            lua_pop(L, 2);
            cJSON_Delete(out);
            return NULL;
        }
        cJSON_AddItemToObject(out, lua_tostring(L, -2), v);
        lua_pop(L, 1);
    }
    return out;
}

static cJSON *to_json(lua_State *L, int i, int depth, const char **why)
{
    if (depth > JSON_DEPTH_MAX) {
        *why = "meta nested too deeply";
        return NULL;
    }
    switch (lua_type(L, i)) {
    case LUA_TBOOLEAN:
        return cJSON_CreateBool(lua_toboolean(L, i));
    case LUA_TNUMBER:
        return cJSON_CreateNumber(lua_tonumber(L, i));
    case LUA_TSTRING:
        return cJSON_CreateString(lua_tostring(L, i));
    case LUA_TTABLE:
        return table_to_json(L, i, depth, why);
    default:
        *why = "meta values must be strings, numbers, booleans or tables";
        return NULL;
    }
}

static void push_json(lua_State *L, const cJSON *v, int depth);

static void push_json_table(lua_State *L, const cJSON *v, int depth)
{
    const cJSON *c;
    lua_Integer n = 0;
    lua_newtable(L);
    cJSON_ArrayForEach(c, v) {
        push_json(L, c, depth + 1);
        if (cJSON_IsArray(v))
            lua_rawseti(L, -2, ++n);
        else
            lua_setfield(L, -2, c->string);
    }
}

static void push_json(lua_State *L, const cJSON *v, int depth)
{
    double d;
    if (depth > JSON_DEPTH_MAX || cJSON_IsNull(v) || cJSON_IsInvalid(v)) {
        lua_pushnil(L);
    } else if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        push_json_table(L, v, depth);
    } else if (cJSON_IsString(v)) {
        lua_pushstring(L, v->valuestring);
    } else if (cJSON_IsBool(v)) {
        lua_pushboolean(L, cJSON_IsTrue(v));
    } else {
        d = v->valuedouble;
        if (d >= -9007199254740992.0 && d <= 9007199254740992.0 && d == (double)(int64_t)d)
            lua_pushinteger(L, (lua_Integer)d);
        else
            lua_pushnumber(L, d);
    }
}

/* The meta argument as JSON text, pushed as a string. */
static void push_meta_text(lua_State *L, int i)
{
    const char *why = "meta must be a table or a JSON object's text";
    cJSON *j = NULL;
    char *text;
    if (lua_isnoneornil(L, i)) {
        lua_pushliteral(L, "{}");
        return;
    }
    if (lua_type(L, i) == LUA_TSTRING) {
        size_t n;
        const char *s = lua_tolstring(L, i, &n);
        int ok;
        j = cJSON_ParseWithLength(s, n);
        ok = cJSON_IsObject(j);
        cJSON_Delete(j);
        luaL_argcheck(L, ok, i, "not a JSON object's text");
        lua_pushvalue(L, i);
        return;
    }
    if (lua_type(L, i) == LUA_TTABLE)
        j = table_to_json(L, lua_absindex(L, i), 0, &why);
    text = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!text)
        luaL_argerror(L, i, why);
    lua_pushstring(L, text);
    cJSON_free(text);
}

/* ---- writer ----------------------------------------------------------- */

static struct lwriter *to_writer(lua_State *L, int i)
{
    return luaL_checkudata(L, i, QVR_DUMPW_MT);
}

static struct lwriter *check_writer(lua_State *L, int i)
{
    struct lwriter *lw = to_writer(L, i);
    if (!lw->w)
        luaL_error(L, "attempt to use a closed qvrpro.DumpWriter");
    return lw;
}

/* core.dump_writer(path, meta [, {append=true, meta_room=N}]) -> DumpWriter | nil, err
 * meta_room: N spaces after the meta, room for w:set_meta() to grow it. */
static int l_dump_writer(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    struct qvr_dump_err e = {QVR_DERR_NONE, ""};
    struct lwriter *lw;
    const char *meta;
    size_t mlen;
    int append = 0;
    lua_Integer room = 0;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        lua_getfield(L, 3, "append");
        append = lua_toboolean(L, -1);
        lua_getfield(L, 3, "meta_room");
        room = luaL_optinteger(L, -1, 0);
        lua_pop(L, 2);
        luaL_argcheck(L, room >= 0 && room <= QVR_DUMP_META_MAX / 2, 3, "bad meta_room");
    }
    push_meta_text(L, 2);
    if (room > 0) {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        lua_pushvalue(L, -2);
        luaL_addvalue(&b);
        for (lua_Integer i = 0; i < room; i++)
            luaL_addchar(&b, ' ');
        luaL_pushresult(&b);
        lua_remove(L, -2);
    }
    meta = lua_tolstring(L, -1, &mlen);
    lw = lua_newuserdatauv(L, sizeof *lw, 1);
    memset(lw, 0, sizeof *lw);
    luaL_setmetatable(L, QVR_DUMPW_MT);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    if (append)
        lw->w = qvr_dump_append(path, meta, mlen, &e);
    else
        lw->w = qvr_dump_create(path, meta, mlen, &e);
    if (!lw->w)
        return fail_dump(L, &e);
    lw->st = *qvr_dump_writer_stats(lw->w);
    return 1;
}

/* w:write(frame) -> w | nil, err */
static int w_write(lua_State *L)
{
    struct lwriter *lw = check_writer(L, 1);
    struct qvr_frame f;
    unsigned type;
    qvr_check_frame(L, 2, &f);
    type = f.codec == QVR_CODEC_JPEG && strcmp(f.fourcc, "JPEG") == 0 ? QVR_DUMP_JPEG
                                                                        : QVR_DUMP_SOURCE;
    if (qvr_dump_write(lw->w, type, f.key ? QVR_DUMP_FLAG_KEY : 0, f.timestamp, f.header,
                       f.header_len, f.data, f.len) != 0)
        return fail_dump(L, qvr_dump_writer_error(lw->w));
    lw->st = *qvr_dump_writer_stats(lw->w);
    lua_settop(L, 1);
    return 1;
}

static int w_flush_sync(lua_State *L, int sync)
{
    struct lwriter *lw = check_writer(L, 1);
    if (qvr_dump_flush(lw->w, sync) != 0)
        return fail_dump(L, qvr_dump_writer_error(lw->w));
    lua_pushboolean(L, 1);
    return 1;
}

/* w:set_meta(meta) -> true | nil, err: the meta replaced in place (it
 * must fit the file's meta, see meta_room) */
static int w_set_meta(lua_State *L)
{
    struct lwriter *lw = check_writer(L, 1);
    size_t n;
    const char *text;
    push_meta_text(L, 2);
    text = lua_tolstring(L, -1, &n);
    if (qvr_dump_set_meta(lw->w, text, n) != 0)
        return fail_dump(L, qvr_dump_writer_error(lw->w));
    lua_pushboolean(L, 1);
    return 1;
}

static int w_flush(lua_State *L)
{
    return w_flush_sync(L, 0);
}

static int w_sync(lua_State *L)
{
    return w_flush_sync(L, 1);
}

/* close, __close, __gc: index, trailer, fsync; harmless twice.
 * close returns true | nil, err. */
static int w_close(lua_State *L)
{
    struct lwriter *lw = to_writer(L, 1);
    struct qvr_dump_err e = {QVR_DERR_NONE, ""};
    qvr_dump_writer *w = lw->w;
    lw->w = NULL;
    if (w && qvr_dump_finish(w, &e) != 0)
        return fail_dump(L, &e);
    lua_pushboolean(L, 1);
    return 1;
}

enum writer_field { W_FRAMES, W_BYTES, W_LAST_TS, W_FIRST_TS, W_CLOSED, W_PATH };
static const char *const writer_fields[] = {
    "frames", "bytes", "last_timestamp", "first_timestamp", "closed", "path", NULL};

static int w_index(lua_State *L)
{
    struct lwriter *lw = to_writer(L, 1);
    int64_t v;
    luaL_checkstring(L, 2);
    switch (qvr_field_id(L, 1, 2)) {
    case W_FRAMES: lua_pushinteger(L, (lua_Integer)lw->st.records); break;
    case W_BYTES: lua_pushinteger(L, (lua_Integer)lw->st.bytes); break;
    case W_LAST_TS:
    case W_FIRST_TS:
        v = qvr_field_id(L, 1, 2) == W_LAST_TS ? lw->st.last_ts : lw->st.first_ts;
        v >= 0 ? lua_pushinteger(L, v) : lua_pushnil(L);
        break;
    case W_CLOSED: lua_pushboolean(L, lw->w == NULL); break;
    case W_PATH: lua_getiuservalue(L, 1, 1); break;
    default: return qvr_push_method(L, 1, 2);
    }
    return 1;
}

static int w_tostring(lua_State *L)
{
    struct lwriter *lw = to_writer(L, 1);
    lua_getiuservalue(L, 1, 1);
    lua_pushfstring(L, "qvrpro.DumpWriter %s (%s, %I frames)", lua_tostring(L, -1),
                    lw->w ? "open" : "closed", (lua_Integer)lw->st.records);
    return 1;
}

/* ---- reader ----------------------------------------------------------- */

static struct lreader *to_reader(lua_State *L, int i)
{
    return luaL_checkudata(L, i, QVR_DUMPR_MT);
}

static struct lreader *check_reader(lua_State *L, int i)
{
    struct lreader *lr = to_reader(L, i);
    if (!lr->r)
        luaL_error(L, "attempt to use a closed qvrpro.DumpReader");
    return lr;
}

/* Decodes the meta into a table; 0, or -1 with nil, err pushed. */
static int push_meta(lua_State *L, qvr_dump_reader *r)
{
    size_t n;
    const char *s = qvr_dump_meta(r, &n);
    cJSON *j = cJSON_ParseWithLength(s, n);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        fail_dump(L, &(struct qvr_dump_err){QVR_DERR_FORMAT, "the dump's meta is not a "
                                            "JSON object"});
        return -1;
    }
    push_json(L, j, 0);
    cJSON_Delete(j);
    return 0;
}

/* core.open_dump(path) -> DumpReader | nil, err */
static int l_open_dump(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    struct qvr_dump_err e = {QVR_DERR_NONE, ""};
    struct lreader *lr = lua_newuserdatauv(L, sizeof *lr, 2);
    lr->r = NULL;
    luaL_setmetatable(L, QVR_DUMPR_MT);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    lr->r = qvr_dump_open(path, &e);
    if (!lr->r)
        return fail_dump(L, &e);
    if (push_meta(L, lr->r) != 0) {
        qvr_dump_close(lr->r);
        lr->r = NULL;
        return 2;
    }
    lua_setiuservalue(L, -2, 2);
    return 1;
}

/* r:read() -> Frame | nil (end) | nil, err */
static int r_read(lua_State *L)
{
    struct lreader *lr = check_reader(L, 1);
    struct qvr_frame f;
    int k = qvr_dump_next(lr->r, &f);
    if (k < 0)
        return fail_dump(L, qvr_dump_reader_error(lr->r));
    if (k == 0)
        lua_pushnil(L);
    else
        qvr_push_frame(L, &f);
    return 1;
}

/* r:frames() -> iter, nil, nil, r (the to-be-closed value) */
static int r_frames(lua_State *L)
{
    check_reader(L, 1);
    return qvr_push_frames_iter(L, r_read);
}

/* r:seek(ts_ms) -> true | nil, err: at the last key frame at or before ts */
static int r_seek(lua_State *L)
{
    struct lreader *lr = check_reader(L, 1);
    lua_Integer ts = luaL_checkinteger(L, 2);
    if (qvr_dump_seek(lr->r, ts < 0 ? 0 : (uint64_t)ts) != 0)
        return fail_dump(L, qvr_dump_reader_error(lr->r));
    lua_pushboolean(L, 1);
    return 1;
}

/* close, __close, __gc; harmless twice */
static int r_close(lua_State *L)
{
    struct lreader *lr = to_reader(L, 1);
    qvr_dump_close(lr->r);
    lr->r = NULL;
    return 0;
}

enum reader_field {
    R_CLOSED, R_PATH, R_META, R_COUNT, R_FIRST_TS, R_LAST_TS, R_COMPLETE, R_INDEX_ENTRIES};
static const char *const reader_fields[] = {
    "closed", "path", "meta", "count", "first_timestamp", "last_timestamp", "complete",
    "index_entries", NULL};

static int r_summary_field(lua_State *L, struct lreader *lr, int id)
{
    struct qvr_dump_summary s;
    int64_t v;
    if (qvr_dump_summarize(lr->r, &s) != 0)
        return luaL_error(L, "%s", qvr_dump_reader_error(lr->r)->msg);
    if (id == R_COUNT) {
        lua_pushinteger(L, (lua_Integer)s.count);
        return 1;
    }
    v = id == R_FIRST_TS ? s.first_ts : s.last_ts;
    v >= 0 ? lua_pushinteger(L, v) : lua_pushnil(L);
    return 1;
}

static int r_index(lua_State *L)
{
    struct lreader *lr = to_reader(L, 1);
    uint64_t entries;
    int id;
    luaL_checkstring(L, 2);
    id = qvr_field_id(L, 1, 2);
    if (!lr->r && id >= R_COUNT)
        id = -1;                       /* closed: those are not fields any more */
    switch (id) {
    case R_CLOSED: lua_pushboolean(L, lr->r == NULL); break;
    case R_PATH: lua_getiuservalue(L, 1, 1); break;
    case R_META: lua_getiuservalue(L, 1, 2); break;
    case R_COUNT:
    case R_FIRST_TS:
    case R_LAST_TS: return r_summary_field(L, lr, id);
    case R_COMPLETE: lua_pushboolean(L, qvr_dump_indexed(lr->r, &entries)); break;
    case R_INDEX_ENTRIES:
        qvr_dump_indexed(lr->r, &entries);
        lua_pushinteger(L, (lua_Integer)entries);
        break;
    default: return qvr_push_method(L, 1, 2);
    }
    return 1;
}

static int r_tostring(lua_State *L)
{
    struct lreader *lr = to_reader(L, 1);
    lua_getiuservalue(L, 1, 1);
    lua_pushfstring(L, "qvrpro.DumpReader %s (%s)", lua_tostring(L, -1),
                    lr->r ? "open" : "closed");
    return 1;
}

void qvr_dump_register(lua_State *L)
{
    static const luaL_Reg wmeta[] = {
        {"__index", w_index}, {"__gc", w_close}, {"__close", w_close},
        {"__tostring", w_tostring}, {NULL, NULL}
    };
    static const luaL_Reg wmethods[] = {
        {"write", w_write}, {"flush", w_flush}, {"sync", w_sync}, {"close", w_close},
        {"set_meta", w_set_meta}, {NULL, NULL}
    };
    static const luaL_Reg rmeta[] = {
        {"__index", r_index}, {"__gc", r_close}, {"__close", r_close},
        {"__tostring", r_tostring}, {NULL, NULL}
    };
    static const luaL_Reg rmethods[] = {
        {"read", r_read}, {"frames", r_frames}, {"seek", r_seek}, {"close", r_close},
        {NULL, NULL}
    };
    qvr_new_type(L, QVR_DUMPW_MT, wmeta, wmethods);
    qvr_type_fields(L, QVR_DUMPW_MT, writer_fields);
    qvr_new_type(L, QVR_DUMPR_MT, rmeta, rmethods);
    qvr_type_fields(L, QVR_DUMPR_MT, reader_fields);
    lua_pushcfunction(L, l_dump_writer);
    lua_setfield(L, -2, "dump_writer");
    lua_pushcfunction(L, l_open_dump);
    lua_setfield(L, -2, "open_dump");
}
