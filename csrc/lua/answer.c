/*
 * answer.c - turning a response into Lua values or an Error; see answer.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "answer.h"
#include "errors.h"
#include "json.h"

#define JSON_MAX_DEPTH 64

/* The codes PROTOCOL_NOTES.md lists for an invalid or expired sid. */
static const uint32_t auth_codes[] = {
    0x93000005u, 0x93010006u, 0x95000000u, 0x96020004u, 0xB1000001u, 0xC4000005u,
};

int qvr_code_is_auth(uint32_t code)
{
    for (size_t i = 0; i < sizeof auth_codes / sizeof auth_codes[0]; i++)
        if (auth_codes[i] == code)
            return 1;
    return 0;
}

static void push_json(lua_State *L, const cJSON *v, int depth);

static void push_json_container(lua_State *L, const cJSON *v, int depth)
{
    lua_Integer i = 0;
    const cJSON *c;
    lua_createtable(L, cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0,
                    cJSON_IsArray(v) ? 0 : cJSON_GetArraySize(v));
    cJSON_ArrayForEach(c, v) {
        push_json(L, c, depth + 1);
        if (lua_isnil(L, -1))
            lua_pop(L, 1);      /* JSON null: leave the key absent */
        else if (cJSON_IsArray(v))
            lua_rawseti(L, -2, ++i);
        else
            lua_setfield(L, -2, c->string);
    }
}

static void push_json(lua_State *L, const cJSON *v, int depth)
{
    if (depth > JSON_MAX_DEPTH)
        luaL_error(L, "JSON answer nested deeper than %d levels", JSON_MAX_DEPTH);
    luaL_checkstack(L, 4, "JSON answer too deep");
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        push_json_container(L, v, depth);
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

static int fail(lua_State *L, const char *name, const char *msg, long status)
{
    lua_pushnil(L);
    qvr_push_error(L, name, -1, msg, status);
    return 2;
}

static int fail_code(lua_State *L, uint32_t code, long status, const char *msg,
                     enum qvr_verdict *verdict)
{
    *verdict = qvr_code_is_auth(code) ? QVR_ANSWER_AUTH : QVR_ANSWER_FAILED;
    lua_pushnil(L);
    qvr_push_code_error(L, code, status);
    if (msg && *msg && !qvr_code_lookup(code)) {
        lua_pushstring(L, msg);
        lua_setfield(L, -2, "message");
    }
    return 2;
}

static int not_understood(lua_State *L, const struct qvr_http_resp *r)
{
    if (r->status >= 400)
        return fail(L, "HTTP_ERROR", "the server answered with an HTTP error", r->status);
    return fail(L, "BAD_RESPONSE", "the answer could not be read", r->status);
}

static int json_answer(lua_State *L, const struct qvr_http_resp *r, enum qvr_verdict *verdict)
{
    struct qvr_answer a;
    int n;
    if (qvr_answer_read(r->body ? r->body : "", r->len, &a) != 0)
        return not_understood(L, r);
    if ((a.has_success && !a.success) || (!a.has_success && a.has_code && a.code != 0)) {
        n = a.has_code ? fail_code(L, a.code, r->status, a.message, verdict)
                       : fail(L, "SERVER_ERROR", a.message[0] ? a.message
                              : "the server answered success: false", r->status);
    } else if (!a.root || r->status >= 400) {
        n = not_understood(L, r);
    } else {
        push_json(L, a.root, 0);
        n = 1;
    }
    qvr_answer_free(&a);
    return n;
}

/* Whether a logs API message ("Authorization failed", "invalid sid", ...)
 * says the session is not valid: servers answer that with code 400 too. */
static int mentions_auth(const char *msg)
{
    static const char *const words[] = {"authori", "authenti", "sid", "login", NULL};
    char low[sizeof ((struct qvr_answer *)0)->message];
    size_t i;
    for (i = 0; msg[i] && i < sizeof low - 1; i++)
        low[i] = (char)((msg[i] >= 'A' && msg[i] <= 'Z') ? msg[i] + 32 : msg[i]);
    low[i] = '\0';
    for (i = 0; words[i]; i++)
        if (strstr(low, words[i]))
            return 1;
    return 0;
}

static int logs_answer(lua_State *L, const struct qvr_http_resp *r, enum qvr_verdict *verdict)
{
    struct qvr_answer a;
    int n = 1;
    if (qvr_answer_read(r->body ? r->body : "", r->len, &a) != 0)
        return not_understood(L, r);
    if (a.has_code && a.code != 0) {
        n = fail_code(L, a.code, r->status, a.message, verdict);
    } else if (a.has_status && a.status != 200) {
        int auth = a.status == 401 || mentions_auth(a.message);
        *verdict = auth ? QVR_ANSWER_AUTH : QVR_ANSWER_FAILED;
        n = fail(L, auth ? "AUTH_FAILED" : "LOGS_ERROR",
                 a.message[0] ? a.message : "the logs API refused the query", r->status);
    } else if (!a.root || r->status >= 400) {
        n = not_understood(L, r);
    } else {
        push_json(L, a.root, 0);
    }
    qvr_answer_free(&a);
    return n;
}

static int image_answer(lua_State *L, const struct qvr_http_resp *r, enum qvr_verdict *verdict)
{
    if (r->len >= 3 && memcmp(r->body, "\xFF\xD8\xFF", 3) == 0 && r->status < 300) {
        lua_pushlstring(L, r->body, r->len);
        lua_pushstring(L, r->content_type);
        return 2;
    }
    if (r->len > 0 && (r->body[0] == '{' || strncasecmp(r->content_type, "application/json", 16) == 0
                       || strncasecmp(r->content_type, "text/", 5) == 0)) {
        int n = json_answer(L, r, verdict);
        if (n == 2)
            return n;
        lua_pop(L, n);
    }
    *verdict = QVR_ANSWER_FAILED;
    if (r->status >= 400)
        return not_understood(L, r);
    return fail(L, "BAD_IMAGE", "the answer is not a JPEG image", r->status);
}

static int is_code_line(const char *s, size_t n)
{
    size_t i = (n && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    if (i == n)
        return 0;
    if (n > i + 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X'))
        return 1;
    for (; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* A small positive decimal first line is a CGI version, not a code: text
 * answers print success as 0 and failures as negative numbers. */
static int is_version_number(const char *s, size_t n)
{
    uint32_t v;
    return n > 0 && s[0] >= '1' && s[0] <= '9' && qvr_code_parse(s, n, &v) && v < 0x80000000u;
}

/* qplay text: [version line] code line [more lines].  Pushes a table of the
 * lines after the code line. */
static int lines_answer(lua_State *L, const struct qvr_http_resp *r, enum qvr_verdict *verdict)
{
    const char *p = r->body ? r->body : "", *end = p + r->len;
    int seen = 0, have_code = 0;
    uint32_t code = 0;
    lua_Integer n = 0;
    lua_newtable(L);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end, *s = p;
        while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
            e--;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        if (!have_code && is_code_line(s, (size_t)(e - s)) &&
            !(seen == 0 && is_version_number(s, (size_t)(e - s)))) {
            have_code = qvr_code_parse(s, (size_t)(e - s), &code);
        } else if (have_code) {
            lua_pushlstring(L, s, (size_t)(e - s));
            lua_rawseti(L, -2, ++n);
        } else if (++seen > 1 || e - s > 64) {
            break;
        }
        p = nl ? nl + 1 : end;
    }
    if (!have_code) {
        lua_pop(L, 1);
        return not_understood(L, r);
    }
    if (code != 0) {
        lua_pop(L, 1);
        return fail_code(L, code, r->status, NULL, verdict);
    }
    return 1;
}

int qvr_push_answer(lua_State *L, enum qvr_kind kind, const struct qvr_http_resp *r,
                    enum qvr_verdict *verdict)
{
    *verdict = QVR_ANSWER_FAILED;
    int n;
    if (r->status == 401) {
        *verdict = QVR_ANSWER_AUTH;
        return fail(L, "AUTH_FAILED", "the server refused the session (HTTP 401)", r->status);
    }
    switch (kind) {
    case QVR_KIND_JSON: n = json_answer(L, r, verdict); break;
    case QVR_KIND_LOGS: n = logs_answer(L, r, verdict); break;
    case QVR_KIND_IMAGE: n = image_answer(L, r, verdict); break;
    case QVR_KIND_LINES: n = lines_answer(L, r, verdict); break;
    default:
        lua_pushlstring(L, r->body ? r->body : "", r->len);
        lua_pushinteger(L, r->status);
        lua_pushstring(L, r->content_type);
        n = 3;
    }
    if (!lua_isnil(L, -n))
        *verdict = QVR_ANSWER_OK;
    return n;
}
