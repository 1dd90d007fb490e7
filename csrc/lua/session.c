/*
 * session.c - the qvrpro.Session object (binding).
 *
 * Owns: a logged-in connection to one NVR: its credentials (kept in C,
 * wiped on close), its sid, its reusable libcurl handle, login with
 * back-off after failures, transparent re-login once per failing call, and
 * logout on close/__close (after __gc: queued, remote_close.c).  Requests of
 * the endpoints of both families are built by csrc/proto/request.c from its
 * table (nvr:call, nvr:endpoint_url, core.request); nvr:request and nvr:url
 * remain for raw paths.  Answers are read by answer.c; no secret ever
 * reaches an error message, tostring or debug log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "answer.h"
#include "session.h"
#include "xml.h"

#define BACKOFF_KEY "qvrpro.login_backoff"
#define BACKOFF_FREE_FAILURES 1     /* the first failure may be retried at once */
#define BACKOFF_FIRST_S 5
#define BACKOFF_MAX_S 300

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct session *to_session(lua_State *L, int i)
{
    return luaL_checkudata(L, i, QVR_SESSION_MT);
}

struct session *qvr_check_session(lua_State *L, int i)
{
    struct session *s = to_session(L, i);
    if (s->closed)
        luaL_error(L, "attempt to use a closed qvrpro.Session");
    return s;
}

static void scrub_one(char *msg, const char *secret)
{
    size_t n = strlen(secret);
    char *p;
    if (n < 3)
        return;
    while ((p = strstr(msg, secret)) != NULL) {
        memmove(p + 3, p + n, strlen(p + n) + 1);
        memcpy(p, "***", 3);
    }
}

void qvr_session_scrub(const struct session *s, char *msg)
{
    scrub_one(msg, s->sid);
    if (s->password.s)
        scrub_one(msg, s->password.s);
}

/* --- building requests ------------------------------------------------ */

/* Pushes the Lua value at v as request text: a list comma-joined, a
 * boolean 1 or 0, anything else as tostring gives it.  (A Lua buffer: an
 * error in a __tostring leaks nothing.) */
static void push_value_text(lua_State *L, int v)
{
    v = lua_absindex(L, v);
    if (lua_type(L, v) == LUA_TTABLE) {
        luaL_Buffer b;
        lua_Integer n = (lua_Integer)lua_rawlen(L, v);
        luaL_buffinit(L, &b);
        for (lua_Integer i = 1; i <= n; i++) {
            if (i > 1)
                luaL_addchar(&b, ',');
            lua_rawgeti(L, v, i);
            luaL_tolstring(L, -1, NULL);
            lua_remove(L, -2);
            luaL_addvalue(&b);
        }
        luaL_pushresult(&b);
    } else if (lua_type(L, v) == LUA_TBOOLEAN) {
        lua_pushstring(L, lua_toboolean(L, v) ? "1" : "0");
    } else {
        luaL_tolstring(L, v, NULL);
    }
}

static void add_param(lua_State *L, struct qvr_str *b, const char *key, int v)
{
    size_t n;
    const char *text;
    push_value_text(L, v);
    text = lua_tolstring(L, -1, &n);
    qvr_url_param(b, key, text, n);
    lua_pop(L, 1);
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Adds the params table's string keys in sorted order (stable URLs). */
static void add_params(lua_State *L, struct qvr_str *b, int params)
{
    const char *keys[64];
    size_t n = 0;
    params = lua_absindex(L, params);
    lua_pushnil(L);
    while (lua_next(L, params) != 0) {
        if (lua_type(L, -2) == LUA_TSTRING && n < sizeof keys / sizeof keys[0])
            keys[n++] = lua_tostring(L, -2);
        lua_pop(L, 1);
    }
    qsort(keys, n, sizeof keys[0], cmp_keys);
    for (size_t i = 0; i < n; i++) {
        lua_getfield(L, params, keys[i]);
        add_param(L, b, keys[i], lua_gettop(L));
        lua_pop(L, 1);
    }
}

void qvr_session_url(lua_State *L, struct session *s, struct qvr_str *b, const char *path,
                     int params, int with_sid, int port)
{
    qvr_url_base(b, s->scheme, s->host, port ? port : s->port, path);
    if (with_sid)
        qvr_url_param(b, "sid", s->sid, strlen(s->sid));
    if (params)
        add_params(L, b, params);
}

/* --- requests of the endpoint table (csrc/proto/request.c) -------------- */

int qvr_session_endpoint_url(const struct session *s, const struct qvr_endpoint *ep,
                             const struct qvr_kv *kv, size_t n, struct qvr_str *url,
                             struct qvr_req_error *err)
{
    struct qvr_req_ctx ctx = {s->prefix, s->sid};
    char small[512], *target = small;
    size_t len, cap = sizeof small;
    enum qvr_req_err rc;
    int port = (ep->flags & QVR_EP_LOGS_PORT) && s->logs_port ? s->logs_port : s->port;
    rc = qvr_request_build(ep, &ctx, kv, n, small, cap, &len, err);
    if (rc == QVR_REQ_OVERFLOW) {
        cap = len + 1;
        target = malloc(cap);
        if (!target) {
            snprintf(err->message, sizeof err->message, "out of memory");
            return -1;
        }
        rc = qvr_request_build(ep, &ctx, kv, n, target, cap, &len, err);
    }
    if (rc == QVR_REQ_OK) {
        qvr_url_base(url, s->scheme, s->host, port, "");
        qvr_str_add(url, target, len);
    }
    explicit_bzero(target, cap);   /* may hold the sid (a memset here could be dropped) */
    if (target != small)
        free(target);
    if (rc == QVR_REQ_OK && url->failed)
        snprintf(err->message, sizeof err->message, "out of memory");
    return rc == QVR_REQ_OK && !url->failed ? 0 : -1;
}

/* The params table at index `params` (or none) as parameters for the
 * builder: string keys, values as text (a list comma-joined, a boolean 1 or
 * 0).  The texts are kept alive in a table pushed on the stack (nil when
 * there are no params).  Returns
 * the number of parameters; raises past `max`. */
static size_t collect_params(lua_State *L, int params, struct qvr_kv *kv, size_t max)
{
    size_t n = 0;
    int anchor;
    if (!params) {
        lua_pushnil(L);   /* the anchor's slot; no texts to keep */
        return 0;
    }
    params = lua_absindex(L, params);
    lua_newtable(L);
    anchor = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, params) != 0) {
        if (lua_type(L, -2) == LUA_TSTRING) {
            if (n == max)
                luaL_error(L, "too many request parameters (at most %d)", (int)max);
            push_value_text(L, -1);
            kv[n].key = lua_tostring(L, -3);
            kv[n].value = lua_tolstring(L, -1, &kv[n].len);
            lua_rawseti(L, anchor, (lua_Integer)n + 1);
            n++;
        }
        lua_pop(L, 1);
    }
    return n;
}

static const struct qvr_endpoint *check_endpoint(lua_State *L, int i)
{
    const char *name = luaL_checkstring(L, i);
    const struct qvr_endpoint *ep = qvr_endpoint_find(name);
    if (!ep)
        luaL_argerror(L, i, lua_pushfstring(L, "no endpoint named '%s'", name));
    return ep;
}

static void debug_log_method(const struct session *s, const char *method, const char *url)
{
    char masked[1024];
    if (!s->debug)
        return;
    snprintf(masked, sizeof masked, "%s", url);
    qvr_session_scrub(s, masked);
    fprintf(stderr, "qvrpro: %s %s\n", method ? method : "GET", masked);
}

static void debug_log(const struct session *s, const char *url)
{
    debug_log_method(s, "GET", url);
}

/* --- login -------------------------------------------------------------- */

/* Back-off state shared by every session of this Lua state for one
 * user@host:port, in the registry: { failures = n, next = monotonic s }. */
static void push_backoff(lua_State *L, const struct session *s)
{
    if (luaL_getsubtable(L, LUA_REGISTRYINDEX, BACKOFF_KEY) == 0) {
        /* fresh table */
    }
    lua_pushfstring(L, "%s@%s:%d", s->user, s->host, s->port);
    if (lua_gettable(L, -2) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, 0, 2);
        lua_pushfstring(L, "%s@%s:%d", s->user, s->host, s->port);
        lua_pushvalue(L, -2);
        lua_settable(L, -4);
    }
    lua_remove(L, -2);
}

static int backoff_wait(lua_State *L, const struct session *s, double *wait)
{
    double next;
    push_backoff(L, s);
    lua_getfield(L, -1, "next");
    next = lua_tonumber(L, -1);
    lua_pop(L, 2);
    *wait = next - now_s();
    return *wait > 0;
}

static void backoff_record(lua_State *L, const struct session *s, int failed)
{
    lua_Integer failures;
    push_backoff(L, s);
    lua_getfield(L, -1, "failures");
    failures = failed ? lua_tointeger(L, -1) + 1 : 0;
    lua_pop(L, 1);
    lua_pushinteger(L, failures);
    lua_setfield(L, -2, "failures");
    if (failures > BACKOFF_FREE_FAILURES) {
        double d = BACKOFF_FIRST_S;
        for (lua_Integer i = BACKOFF_FREE_FAILURES + 1; i < failures && d < BACKOFF_MAX_S; i++)
            d *= 2;
        lua_pushnumber(L, now_s() + (d < BACKOFF_MAX_S ? d : BACKOFF_MAX_S));
    } else {
        lua_pushnumber(L, 0);
    }
    lua_setfield(L, -2, "next");
    lua_pop(L, 1);
}

static int push_transport_error(lua_State *L, const struct session *s, struct qvr_http_resp *r)
{
    qvr_session_scrub(s, r->message);
    lua_pushnil(L);
    qvr_push_error(L, r->error_name, -1, r->message, r->status);
    return 0;
}

static int login_url(struct session *s, struct qvr_str *url)
{
    struct qvr_str b64;
    struct qvr_req_error err;
    struct qvr_kv kv[2];
    size_t n;
    int rc;
    qvr_str_init(&b64);
    qvr_base64(&b64, (const unsigned char *)(s->password.s ? s->password.s : ""),
               s->password.len);
    n = qvr_login_params(kv, s->user, b64.s ? b64.s : "", b64.len);
    rc = b64.failed ? -1 : qvr_session_endpoint_url(s, qvr_endpoint_find("login"), kv, n, url, &err);
    qvr_str_wipe(&b64);
    return rc;
}

static void logout(struct session *s);

int qvr_session_login(lua_State *L, struct session *s)
{
    struct qvr_str url;
    struct qvr_http_resp r = {0};
    struct qvr_login lg;
    struct qvr_result res;
    double wait;
    int ok;
    if (backoff_wait(L, s, &wait)) {
        char msg[160];
        snprintf(msg, sizeof msg, "not logging in again for %.0f s after repeated failed "
                 "logins (protects the address from a lockout)", wait + 0.5);
        lua_pushnil(L);
        qvr_push_error(L, "LOGIN_BACKOFF", -1, msg, 0);
        return 0;
    }
    qvr_str_init(&url);
    debug_log(s, "(login request, credentials masked)");
    ok = login_url(s, &url) == 0 && qvr_http_get(s->easy, url.s, &r) == 0;
    qvr_str_wipe(&url);
    if (!ok) {
        if (!r.error_name)
            r.error_name = "NO_MEMORY";
        push_transport_error(L, s, &r);
        qvr_http_resp_free(&r);
        return 0;
    }
    qvr_login_parse(r.body ? r.body : "", r.len, &lg);
    qvr_http_resp_free(&r);
    qvr_login_verdict(&lg, r.status, &res);
    if (res.verdict != QVR_ANSWER_OK) {
        if (lg.parsed && !lg.complete && lg.sid[0]) {
            /* cut short after the sid: the server issued it, so log it out */
            snprintf(s->sid, sizeof s->sid, "%s", lg.sid);
            logout(s);
        }
        backoff_record(L, s, res.verdict == QVR_ANSWER_AUTH);
        qvr_push_result_error(L, &res);
        return 0;
    }
    backoff_record(L, s, 0);
    snprintf(s->sid, sizeof s->sid, "%s", lg.sid);
    s->logins++;
    return 1;
}

/* --- requests ----------------------------------------------------------- */

static const char *const kind_names[] = {"json", "logs", "image", "lines", "raw",
                                          "rest", "rest_image", "rest_media", NULL};

struct call {
    enum qvr_kind kind;
    const char *path;  /* raw-path calls (nvr:request) */
    int params;        /* stack index of the params table, or 0 */
    int with_sid;
    int port;
    const struct qvr_endpoint *ep;   /* endpoint calls (nvr:call): ep, kv[nkv] */
    const struct qvr_kv *kv;
    size_t nkv;
    size_t max;
    struct qvr_http_req req;   /* method and body (REST); zero: GET */
};

/* An error answer names the URL path it came from (err.path: no query, so
 * never a sid or a password), for messages such as "HTTP 404 on GET /x". */
static void note_path(lua_State *L, int n, const char *path)
{
    if (n == 2 && lua_istable(L, -1)) {
        lua_pushstring(L, path);
        lua_setfield(L, -2, "path");
    }
}

/* The URL of the call into url and its path (no query) into path. */
static void call_url(lua_State *L, struct session *s, const struct call *c, struct qvr_str *url,
                     char *path, size_t path_cap)
{
    if (c->ep) {
        struct qvr_req_error err;
        const char *p;
        if (qvr_session_endpoint_url(s, c->ep, c->kv, c->nkv, url, &err) != 0) {
            qvr_str_wipe(url);
            luaL_error(L, "%s", err.message);
        }
        p = strstr(url->s, "://");
        p = p ? strchr(p + 3, '/') : NULL;          /* the target, after the origin */
        snprintf(path, path_cap, "%.*s", p ? (int)strcspn(p, "?") : 0, p ? p : "");
    } else {
        qvr_session_url(L, s, url, c->path, c->params, c->with_sid, c->port);
        snprintf(path, path_cap, "%s", c->path);
    }
    if (url->failed) {
        qvr_str_free(url);
        luaL_error(L, "out of memory");
    }
}

static int perform(lua_State *L, struct session *s, const struct call *c,
                   enum qvr_verdict *verdict)
{
    struct qvr_str url;
    struct qvr_http_resp r = {0};
    char path[512];
    int n;
    qvr_str_init(&url);
    call_url(L, s, c, &url, path, sizeof path);
    if (c->ep && (c->ep->flags & QVR_EP_SECRET))
        debug_log_method(s, c->req.method, "(a request with credentials, masked)");
    else
        debug_log_method(s, c->req.method, url.s);
    r.max = c->max;
    if (qvr_http_request(s->easy, url.s, &c->req, &r) != 0) {
        qvr_str_wipe(&url);
        *verdict = QVR_ANSWER_FAILED;
        push_transport_error(L, s, &r);
        qvr_http_resp_free(&r);
        note_path(L, 2, path);
        return 2;
    }
    qvr_str_wipe(&url);
    n = qvr_push_answer(L, c->kind, &r, verdict);
    qvr_http_resp_free(&r);
    note_path(L, n, path);
    return n;
}

static int permission_denied(lua_State *L, const struct session *s)
{
    char msg[200];
    lua_getfield(L, -1, "hex");
    snprintf(msg, sizeof msg, "user '%.60s' is logged in but not allowed to do this "
             "(server code %s): check the account's Surveillance permissions", s->user,
             lua_isstring(L, -1) ? lua_tostring(L, -1) : "n/a");
    lua_pop(L, 1);
    lua_pushstring(L, "PERMISSION_DENIED");
    lua_setfield(L, -2, "name");
    lua_pushstring(L, msg);
    lua_setfield(L, -2, "message");
    return 2;
}

/* Reads {method=, body=, content_type=} of the options at index o. */
static void read_method(lua_State *L, int o, struct qvr_http_req *q)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", NULL};
    lua_getfield(L, o, "method");
    q->method = methods[luaL_checkoption(L, -1, "GET", methods)];
    lua_getfield(L, o, "body");
    q->body = luaL_optlstring(L, -1, NULL, &q->body_len);
    lua_getfield(L, o, "content_type");
    q->content_type = luaL_optstring(L, -1, q->body ? "application/json" : NULL);
    lua_pop(L, 3);   /* the strings stay alive: they are fields of the options table */
}

/* Reads {max=, retry=, body=, content_type=} of the options at index o
 * (what both kinds of call take); returns retry. */
static int read_common(lua_State *L, int o, struct call *c)
{
    int retry;
    lua_getfield(L, o, "max");
    c->max = (size_t)luaL_optinteger(L, -1, 0);
    lua_getfield(L, o, "retry");
    retry = lua_isnil(L, -1) || lua_toboolean(L, -1);
    lua_pop(L, 2);
    read_method(L, o, &c->req);
    return retry;
}

/* Sends the call; when the server says the sid is not valid, logs in
 * again once and retries once. */
static int run_call(lua_State *L, struct session *s, const struct call *c, int retry)
{
    enum qvr_verdict verdict;
    int base, n;
    qvr_flush_remote_closes(L, s);
    base = lua_gettop(L);
    n = perform(L, s, c, &verdict);
    if (verdict != QVR_ANSWER_AUTH || !retry || !c->with_sid)
        return n;
    lua_settop(L, base);
    if (!qvr_session_login(L, s))
        return 2;
    n = perform(L, s, c, &verdict);
    return verdict == QVR_ANSWER_AUTH ? permission_denied(L, s) : n;
}

/* s:request(kind, path [, params [, {port=, sid=false, max=, retry=false,
 *                                    method=, body=, content_type=}]])
 * One API call of a raw path.  Returns the answer's values or nil, err. */
static int s_request(lua_State *L)
{
    struct session *s = qvr_check_session(L, 1);
    struct call c = {0};
    int retry = 1;
    c.kind = (enum qvr_kind)luaL_checkoption(L, 2, NULL, kind_names);
    c.path = luaL_checkstring(L, 3);
    c.with_sid = 1;
    if (!lua_isnoneornil(L, 4)) {
        luaL_checktype(L, 4, LUA_TTABLE);
        c.params = 4;
    }
    if (!lua_isnoneornil(L, 5)) {
        luaL_checktype(L, 5, LUA_TTABLE);
        lua_getfield(L, 5, "port");
        c.port = (int)luaL_optinteger(L, -1, 0);
        lua_getfield(L, 5, "sid");
        c.with_sid = lua_isnil(L, -1) || lua_toboolean(L, -1);
        lua_pop(L, 2);
        retry = read_common(L, 5, &c);
    }
    return run_call(L, s, &c, retry);
}

#define MAX_PARAMS 32

/* s:call(endpoint [, params [, {max=, retry=false, body=, content_type=,
 *                               kind=}]])
 * One call of an endpoint of the table (csrc/proto/request.c): its path,
 * method, fixed and default parameters, sid and answer kind come from
 * there; params are the caller's ones.  A parameter the endpoint does not
 * take, or a missing required one, raises.  Returns the answer's values or
 * nil, err. */
static int s_call(lua_State *L)
{
    struct session *s = qvr_check_session(L, 1);
    struct call c = {0};
    struct qvr_kv kv[MAX_PARAMS];
    int retry = 1;
    c.ep = check_endpoint(L, 2);
    c.kind = c.ep->kind;
    c.with_sid = (c.ep->flags & QVR_EP_SID) != 0;
    if (!lua_isnoneornil(L, 3))
        luaL_checktype(L, 3, LUA_TTABLE);
    if (!lua_isnoneornil(L, 4)) {
        luaL_checktype(L, 4, LUA_TTABLE);
        lua_getfield(L, 4, "kind");
        if (!lua_isnil(L, -1))
            c.kind = (enum qvr_kind)luaL_checkoption(L, -1, NULL, kind_names);
        lua_pop(L, 1);
        retry = read_common(L, 4, &c);
        lua_getfield(L, 4, "method");
        luaL_argcheck(L, lua_isnil(L, -1) || strcmp(c.req.method, c.ep->method) == 0, 4,
                      "an endpoint is sent with its own method");
        lua_pop(L, 1);
    }
    c.req.method = c.ep->method;
    lua_settop(L, 4);
    c.kv = kv;
    c.nkv = collect_params(L, lua_istable(L, 3) ? 3 : 0, kv, MAX_PARAMS);  /* anchor at 5 */
    return run_call(L, s, &c, retry);
}

/* s:endpoint_url(endpoint [, params]) -> the URL of a request of the
 * endpoint (it holds the sid: for passing to a transfer, never for
 * printing) */
static int s_endpoint_url(lua_State *L)
{
    struct session *s = qvr_check_session(L, 1);
    const struct qvr_endpoint *ep = check_endpoint(L, 2);
    struct qvr_kv kv[MAX_PARAMS];
    struct qvr_req_error err;
    struct qvr_str url;
    size_t n;
    if (!lua_isnoneornil(L, 3))
        luaL_checktype(L, 3, LUA_TTABLE);
    n = collect_params(L, lua_istable(L, 3) ? 3 : 0, kv, MAX_PARAMS);
    qvr_str_init(&url);
    if (qvr_session_endpoint_url(s, ep, kv, n, &url, &err) != 0) {
        qvr_str_wipe(&url);
        return luaL_error(L, "%s", err.message);
    }
    lua_pushlstring(L, url.s, url.len);
    qvr_str_wipe(&url);
    return 1;
}

/* core.request(endpoint [, params [, {prefix=, sid=}]]) -> method,
 * target (path and query), kind: what a session would send, without one
 * (for tests and tools).  A bad endpoint or parameter raises. */
int qvr_l_request(lua_State *L)
{
    const struct qvr_endpoint *ep = check_endpoint(L, 1);
    struct qvr_kv kv[MAX_PARAMS];
    struct qvr_req_error err;
    struct qvr_req_ctx ctx = {QVR_DEFAULT_PREFIX, ""};
    char small[512], *target = small;
    size_t n, len;
    enum qvr_req_err rc;
    if (!lua_isnoneornil(L, 2))
        luaL_checktype(L, 2, LUA_TTABLE);
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        lua_getfield(L, 3, "prefix");
        ctx.prefix = luaL_optstring(L, -1, ctx.prefix);
        lua_getfield(L, 3, "sid");
        ctx.sid = luaL_optstring(L, -1, ctx.sid);   /* the strings stay in the table */
        lua_pop(L, 2);
    }
    lua_settop(L, 3);
    n = collect_params(L, lua_istable(L, 2) ? 2 : 0, kv, MAX_PARAMS);
    rc = qvr_request_build(ep, &ctx, kv, n, small, sizeof small, &len, &err);
    if (rc == QVR_REQ_OVERFLOW) {
        target = lua_newuserdatauv(L, len + 1, 0);
        rc = qvr_request_build(ep, &ctx, kv, n, target, len + 1, &len, &err);
    }
    if (rc != QVR_REQ_OK)
        return luaL_error(L, "%s", err.message);
    lua_pushstring(L, ep->method);
    lua_pushlstring(L, target, len);
    lua_pushstring(L, kind_names[ep->kind]);
    return 3;
}

/* s:_set_api("rest" | "cgi" | nil): the family this NVR answered, as the
 * Lua layer probed it (read back as nvr.api). */
static int s_set_api(lua_State *L)
{
    static const char *const apis[] = {"rest", "cgi", NULL};
    struct session *s = qvr_check_session(L, 1);
    if (lua_isnoneornil(L, 2))
        s->api[0] = '\0';
    else
        snprintf(s->api, sizeof s->api, "%s", apis[luaL_checkoption(L, 2, NULL, apis)]);
    return 0;
}

static int s_login(lua_State *L)
{
    struct session *s = qvr_check_session(L, 1);
    if (!qvr_session_login(L, s))
        return 2;
    lua_pushvalue(L, 1);
    return 1;
}

/* s:url(path [, params [, with_sid [, port]]]) -> the URL (holds the sid:
 * for passing to a transfer, never for printing) */
static int s_url(lua_State *L)
{
    struct session *s = qvr_check_session(L, 1);
    const char *path = luaL_checkstring(L, 2);
    int params = lua_istable(L, 3) ? 3 : 0;
    int with_sid = lua_isnoneornil(L, 4) || lua_toboolean(L, 4);
    int port = (int)luaL_optinteger(L, 5, 0);
    struct qvr_str url;
    qvr_str_init(&url);
    qvr_session_url(L, s, &url, path, params, with_sid, port);
    lua_pushlstring(L, url.s ? url.s : "", url.len);
    qvr_str_wipe(&url);
    return 1;
}

/* --- closing ------------------------------------------------------------ */

static int logout_url(const struct session *s, struct qvr_str *url)
{
    struct qvr_req_error err;
    return qvr_session_endpoint_url(s, qvr_endpoint_find("logout"), NULL, 0, url, &err);
}

static void logout(struct session *s)
{
    struct qvr_str url;
    struct qvr_http_resp r = {0};
    if (!s->sid[0] || !s->easy)
        return;
    qvr_str_init(&url);
    r.max = 1 << 16;
    qvr_http_short_timeout(s->easy, &s->http);   /* a dead NVR must not hold up exit */
    if (logout_url(s, &url) == 0)
        qvr_http_get(s->easy, url.s, &r);
    qvr_http_configure(s->easy, &s->http);     /* the session may go on */
    qvr_http_resp_free(&r);
    qvr_str_wipe(&url);
    memset(s->sid, 0, sizeof s->sid);
}

static void release(struct session *s)
{
    qvr_http_free(s->easy);
    s->easy = NULL;
    qvr_str_wipe(&s->password);
    free(s->scheme);
    free(s->host);
    free(s->user);
    free(s->prefix);
    free(s->cafile);
    s->scheme = s->host = s->user = s->prefix = s->cafile = NULL;
}

/* close, logout and __close: send what collected objects owe this NVR, log
 * out once, free; harmless twice */
static int s_close(lua_State *L)
{
    struct session *s = to_session(L, 1);
    if (!s->closed) {
        s->closed = 1;
        qvr_flush_remote_closes(L, s);
        logout(s);
        release(s);
    }
    return 0;
}

/* __gc: frees without waiting on the network; the logout is queued for the
 * next session of the same NVR (remote_close.c) */
static int s_gc(lua_State *L)
{
    struct session *s = to_session(L, 1);
    if (!s->closed) {
        s->closed = 1;
        if (s->sid[0] && s->scheme && s->host) {
            struct qvr_str url;
            qvr_str_init(&url);
            if (logout_url(s, &url) == 0)
                qvr_queue_remote_close(L, s, url.s);
            qvr_str_wipe(&url);
        }
        memset(s->sid, 0, sizeof s->sid);
        release(s);
    }
    return 0;
}

static int s_tostring(lua_State *L)
{
    struct session *s = to_session(L, 1);
    if (s->closed)
        lua_pushliteral(L, "qvrpro.Session (closed)");
    else
        lua_pushfstring(L, "qvrpro.Session %s@%s:%d (%s%s)", s->user, s->host, s->port,
                        s->scheme, s->sid[0] ? ", logged in" : ", not logged in");
    return 1;
}

enum session_field {
    F_CLOSED, F_SID, F_HOST, F_USER, F_SCHEME, F_PREFIX, F_PORT, F_LOGS_PORT, F_VERIFY,
    F_CAFILE, F_API, F_LOGINS, F_TIMEOUT, F_STALL_TIMEOUT, F_PROXY_ENV
};

static const char *const session_fields[] = {
    "closed", "sid", "host", "user", "scheme", "prefix", "port", "logs_port", "verify",
    "cafile", "api", "logins", "timeout", "stall_timeout", "proxy_env", NULL
};

static void push_opt_string(lua_State *L, const char *v)
{
    v && *v ? (void)lua_pushstring(L, v) : lua_pushnil(L);
}

/* Fields, then methods.  A closed session answers `closed` and `sid` (nil)
 * only; anything else it does not have raises. */
/* __index, a closure over the type's field table and methods table (the
 * ones qvr_field_id and qvr_push_method find through the metatable: two
 * metatable look-ups less for every method call, `nvr:cpu()` makes two) */
static int s_index(lua_State *L)
{
    struct session *s = to_session(L, 1);
    int id = -1;
    luaL_checkstring(L, 2);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) == LUA_TNUMBER)
        id = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    if (s->closed && id != F_CLOSED && id != F_SID)
        id = -1;
    switch (id) {
    case F_CLOSED: lua_pushboolean(L, s->closed); break;
    case F_SID: push_opt_string(L, s->closed ? NULL : s->sid); break;
    case F_HOST: lua_pushstring(L, s->host); break;
    case F_USER: lua_pushstring(L, s->user); break;
    case F_SCHEME: lua_pushstring(L, s->scheme); break;
    case F_PREFIX: lua_pushstring(L, s->prefix); break;
    case F_PORT: lua_pushinteger(L, s->port); break;
    case F_LOGS_PORT: lua_pushinteger(L, s->logs_port ? s->logs_port : s->port); break;
    case F_VERIFY: lua_pushboolean(L, s->http.verify); break;
    case F_CAFILE: s->cafile ? (void)lua_pushstring(L, s->cafile) : lua_pushnil(L); break;
    case F_API: push_opt_string(L, s->api); break;
    case F_LOGINS: lua_pushinteger(L, s->logins); break;
    case F_TIMEOUT: lua_pushnumber(L, s->http.timeout_ms / 1000.0); break;
    case F_STALL_TIMEOUT: lua_pushnumber(L, s->stall_timeout_ms / 1000.0); break;
    case F_PROXY_ENV: lua_pushboolean(L, s->http.proxy_env); break;
    default:
        lua_pushvalue(L, 2);
        if (lua_rawget(L, lua_upvalueindex(2)) == LUA_TNIL && s->closed)
            return luaL_error(L, "attempt to use a closed qvrpro.Session");
    }
    return 1;
}

void qvr_session_register(lua_State *L)
{
    static const luaL_Reg meta[] = {
        {"__gc", s_gc},   /* __index: below, with its upvalues */
        {"__close", s_close},
        {"__tostring", s_tostring},
        {NULL, NULL}
    };
    static const luaL_Reg methods[] = {
        {"request", s_request},
        {"call", s_call},
        {"endpoint_url", s_endpoint_url},
        {"login", s_login},
        {"_set_api", s_set_api},
        {"url", s_url},
        {"close", s_close},
        {"logout", s_close},
        {NULL, NULL}
    };
    qvr_new_type(L, QVR_SESSION_MT, meta, methods);
    qvr_type_fields(L, QVR_SESSION_MT, session_fields);
    luaL_getmetatable(L, QVR_SESSION_MT);
    lua_getfield(L, -1, "__fields");
    lua_getfield(L, -2, "__methods");   /* core.methods hands out this very table */
    lua_pushcclosure(L, s_index, 2);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}

/* --- construction ------------------------------------------------------- */

static char *opt_strdup(lua_State *L, int t, const char *k, const char *def)
{
    const char *v;
    char *d;
    lua_getfield(L, t, k);
    v = luaL_optstring(L, -1, def);
    d = v ? strdup(v) : NULL;
    lua_pop(L, 1);
    if (v && !d)
        luaL_error(L, "out of memory");
    return d;
}

static long opt_ms(lua_State *L, int t, const char *k, double def_s)
{
    double v;
    lua_getfield(L, t, k);
    v = luaL_optnumber(L, -1, def_s);
    lua_pop(L, 1);
    luaL_argcheck(L, v >= 0 && v < 1e7, t, "timeouts are seconds >= 0");
    return (long)(v * 1000.0);
}

static int opt_int(lua_State *L, int t, const char *k, int def)
{
    lua_Integer v;
    lua_getfield(L, t, k);
    v = luaL_optinteger(L, -1, def);
    lua_pop(L, 1);
    return (int)v;
}

static void read_options(lua_State *L, struct session *s)
{
    size_t plen;
    const char *pw;
    s->scheme = opt_strdup(L, 1, "scheme", "http");
    luaL_argcheck(L, strcmp(s->scheme, "http") == 0 || strcmp(s->scheme, "https") == 0, 1,
                  "scheme must be \"http\" or \"https\"");
    s->host = opt_strdup(L, 1, "host", NULL);
    luaL_argcheck(L, s->host && *s->host, 1, "host is required");
    s->user = opt_strdup(L, 1, "user", "admin");
    s->prefix = opt_strdup(L, 1, "prefix", QVR_DEFAULT_PREFIX);
    s->cafile = opt_strdup(L, 1, "cafile", NULL);
    s->port = opt_int(L, 1, "port", strcmp(s->scheme, "https") == 0 ? 443 : 8080);
    luaL_argcheck(L, s->port > 0 && s->port < 65536, 1, "port out of range");
    s->logs_port = opt_int(L, 1, "logs_port", 0);
    s->http.timeout_ms = opt_ms(L, 1, "timeout", 10);
    s->http.connect_timeout_ms = s->http.timeout_ms && s->http.timeout_ms < 10000
                                     ? s->http.timeout_ms : 10000;
    s->stall_timeout_ms = opt_ms(L, 1, "stall_timeout", 15);
    lua_getfield(L, 1, "verify");
    s->http.verify = lua_isnil(L, -1) || lua_toboolean(L, -1);
    lua_getfield(L, 1, "debug");
    s->debug = lua_toboolean(L, -1);
    lua_getfield(L, 1, "password");
    pw = luaL_optlstring(L, -1, "", &plen);
    qvr_str_add(&s->password, pw, plen);
    lua_pop(L, 3);
    s->http.cafile = s->cafile;
    s->http.proxy_env = qvr_http_proxy_in_env();
}

/* core.session{host=, port=, scheme=, user=, password=, verify=, cafile=,
 *              timeout=, stall_timeout=, logs_port=, prefix=, debug=}
 * -> a Session, not yet logged in (see s:login()). */
int qvr_l_session(lua_State *L)
{
    struct session *s;
    luaL_checktype(L, 1, LUA_TTABLE);
    s = lua_newuserdatauv(L, sizeof *s, 1);
    memset(s, 0, sizeof *s);             /* __gc frees whatever was built */
    luaL_setmetatable(L, QVR_SESSION_MT);
    read_options(L, s);
    s->easy = qvr_http_new(&s->http);
    if (!s->easy || s->password.failed)
        return luaL_error(L, "cannot create a transfer handle");
    return 1;
}
