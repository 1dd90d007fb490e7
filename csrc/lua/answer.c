/*
 * answer.c - an answer's verdict as Lua values or an Error; see answer.h.
 */
#include <stdio.h>
#include <string.h>

#include "answer.h"
#include "errname.h"

static void push_json(lua_State *L, const cJSON *v);

static void push_json_container(lua_State *L, const cJSON *v)
{
    lua_Integer i = 0;
    const cJSON *c;
    lua_createtable(L, cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0,
                    cJSON_IsArray(v) ? 0 : cJSON_GetArraySize(v));
    cJSON_ArrayForEach(c, v) {
        push_json(L, c);
        if (lua_isnil(L, -1))
            lua_pop(L, 1);      /* JSON null: leave the key absent */
        else if (cJSON_IsArray(v))
            lua_rawseti(L, -2, ++i);
        else
            lua_setfield(L, -2, c->string);
    }
}

/* The document's depth was bounded by the verdict (QVR_JSON_MAX_DEPTH). */
static void push_json(lua_State *L, const cJSON *v)
{
    luaL_checkstack(L, 4, "JSON answer too deep");
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        push_json_container(L, v);
    } else if (cJSON_IsString(v)) {
        lua_pushstring(L, v->valuestring);
    } else if (cJSON_IsBool(v)) {
        lua_pushboolean(L, cJSON_IsTrue(v));
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d >= -9007199254740992.0 && d <= 9007199254740992.0 && (double)(lua_Integer)d == d)
            lua_pushinteger(L, (lua_Integer)d);
        else
            lua_pushnumber(L, d);
    } else {
        lua_pushnil(L);
    }
}

static int push_json_protected(lua_State *L)
{
    push_json(L, lua_touserdata(L, 1));
    return 1;
}

static int push_lines(lua_State *L)
{
    const struct qvr_http_resp *r = lua_touserdata(L, 1);
    size_t pos = (size_t)lua_tointeger(L, 2), n;
    const char *s;
    lua_Integer i = 0;
    lua_newtable(L);
    while (qvr_text_line(r->body ? r->body : "", r->len, &pos, &s, &n)) {
        lua_pushlstring(L, s, n);
        lua_rawseti(L, -2, ++i);
    }
    return 1;
}

int qvr_push_result_error(lua_State *L, const struct qvr_result *res)
{
    lua_pushnil(L);
    qvr_push_error(L, res->name ? res->name : "ERROR", res->code, res->message, res->http_status);
    return 2;
}

/* Runs a conversion in protected mode: its values, or nil + NO_MEMORY. */
static int protected(lua_State *L, lua_CFunction f, void *p, lua_Integer arg)
{
    lua_pushcfunction(L, f);
    lua_pushlightuserdata(L, p);
    lua_pushinteger(L, arg);
    if (lua_pcall(L, 2, 1, 0) == LUA_OK)
        return 1;
    lua_pop(L, 1);
    lua_pushnil(L);
    qvr_push_error(L, qvr_err_name(QVR_E_NO_MEMORY), -1, "cannot convert the answer", 0);
    return 2;
}

int qvr_push_answer(lua_State *L, enum qvr_kind kind, const struct qvr_http_resp *r,
                    enum qvr_verdict *verdict)
{
    struct qvr_result res;
    int n;
    qvr_verdict_read(kind, r->body, r->len, r->status, r->content_type, &res);
    *verdict = res.verdict;
    if (res.verdict != QVR_ANSWER_OK) {
        n = qvr_push_result_error(L, &res);
    } else if (kind == QVR_KIND_JSON || kind == QVR_KIND_LOGS || (kind == QVR_KIND_REST && res.root)) {
        n = protected(L, push_json_protected, res.root, 0);
    } else if (kind == QVR_KIND_REST) {
        lua_pushboolean(L, 1);                  /* an empty 2xx answer (204) */
        n = 1;
    } else if (kind == QVR_KIND_LINES) {
        n = protected(L, push_lines, (void *)r, (lua_Integer)res.lines_at);
    } else {
        lua_pushlstring(L, r->body ? r->body : "", r->len);
        if (kind == QVR_KIND_RAW)
            lua_pushinteger(L, r->status);
        lua_pushstring(L, r->content_type);
        n = kind == QVR_KIND_RAW ? 3 : 2;
    }
    if (n == 2 && lua_isnil(L, -2) && res.verdict == QVR_ANSWER_OK)
        *verdict = QVR_ANSWER_FAILED;
    qvr_result_free(&res);
    return n;
}

int qvr_l_read_answer(lua_State *L)
{
    static const char *const kinds[] = {"json", "logs", "image", "lines", "raw",
                                        "rest", "rest_image", "rest_media", NULL};
    struct qvr_http_resp r;
    enum qvr_verdict verdict;
    int kind = luaL_checkoption(L, 1, NULL, kinds);
    memset(&r, 0, sizeof r);
    r.body = (char *)luaL_checklstring(L, 2, &r.len);
    r.status = (long)luaL_optinteger(L, 3, 200);
    snprintf(r.content_type, sizeof r.content_type, "%s", luaL_optstring(L, 4, ""));
    return qvr_push_answer(L, (enum qvr_kind)kind, &r, &verdict);
}
