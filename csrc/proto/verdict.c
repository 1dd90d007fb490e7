/*
 * verdict.c - what an answer of the NVR says; see verdict.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "errname.h"
#include "errors.h"
#include "json.h"
#include "rest.h"
#include "verdict.h"

/* The codes docs/PROTOCOL.md lists for an invalid or expired sid. */
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

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

int qvr_code_line(const char *s, size_t n, int first, uint32_t *code)
{
    uint32_t v;
    while (n && is_blank(*s))
        s++, n--;
    while (n && is_blank(s[n - 1]))
        n--;
    if (!qvr_code_parse(s, n, &v))
        return 0;
    if (first && s[0] >= '1' && s[0] <= '9' && v < 0x80000000u)
        return 0;                     /* a version line */
    *code = v;
    return 1;
}

int qvr_text_line(const char *body, size_t len, size_t *pos, const char **s, size_t *n)
{
    const char *p, *end = body + len, *nl, *e;
    if (*pos >= len)
        return 0;
    p = body + *pos;
    nl = memchr(p, '\n', (size_t)(end - p));
    e = nl ? nl : end;
    *pos = nl ? (size_t)(nl + 1 - body) : len;
    while (e > p && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
        e--;
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    *s = p;
    *n = (size_t)(e - p);
    return 1;
}

int qvr_json_depth(const cJSON *v, int limit)
{
    int deepest = 0;
    const cJSON *c;
    if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
        return 0;
    if (limit < 0)
        return 1;
    cJSON_ArrayForEach(c, v) {
        int d = qvr_json_depth(c, limit - 1);
        if (d > deepest)
            deepest = d;
        if (deepest > limit)
            break;
    }
    return deepest + 1;
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void fail(struct qvr_result *r, enum qvr_verdict v, enum qvr_err name, const char *fmt, ...)
{
    va_list ap;
    r->verdict = v;
    r->name = qvr_err_name(name);
    r->code = -1;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
}

/* A server code: named from the table, else SERVER_ERROR with the answer's
 * own message when it has one. */
static void fail_code(struct qvr_result *r, uint32_t code, const char *msg)
{
    const struct qvr_code_info *ci = qvr_code_lookup(code);
    r->verdict = qvr_code_is_auth(code) ? QVR_ANSWER_AUTH : QVR_ANSWER_FAILED;
    r->code = code;
    if (ci) {
        r->name = ci->name;
        snprintf(r->message, sizeof r->message, "%s", ci->message);
    } else {
        r->name = qvr_err_name(QVR_E_SERVER_ERROR);
        if (msg && *msg)
            snprintf(r->message, sizeof r->message, "%s", msg);
        else
            snprintf(r->message, sizeof r->message, "server error code %d", (int32_t)code);
    }
}

static void not_understood(struct qvr_result *r)
{
    if (r->http_status >= 400)
        fail(r, QVR_ANSWER_FAILED, QVR_E_HTTP_ERROR, "the server answered with an HTTP error");
    else
        fail(r, QVR_ANSWER_FAILED, QVR_E_BAD_RESPONSE, "the answer could not be read");
}

/* An ok document, unless it is too deep to convert. */
static void take_document(struct qvr_result *r, struct qvr_answer *a)
{
    if (qvr_json_depth(a->root, QVR_JSON_MAX_DEPTH) > QVR_JSON_MAX_DEPTH) {
        fail(r, QVR_ANSWER_FAILED, QVR_E_BAD_RESPONSE,
             "the JSON answer is nested deeper than %d levels", QVR_JSON_MAX_DEPTH);
        return;
    }
    r->verdict = QVR_ANSWER_OK;
    r->root = a->root;
    a->root = NULL;
}

static void json_answer(struct qvr_result *r, const char *body, size_t len)
{
    struct qvr_answer a;
    if (qvr_answer_read(body, len, &a) != 0) {
        not_understood(r);
        return;
    }
    if ((a.has_success && !a.success) || (!a.has_success && a.has_code && a.code != 0)) {
        if (a.has_code)
            fail_code(r, a.code, a.message);
        else
            fail(r, QVR_ANSWER_FAILED, QVR_E_SERVER_ERROR, "%s",
                 a.message[0] ? a.message : "the server answered success: false");
    } else if (!a.root || r->http_status >= 400) {
        not_understood(r);
    } else {
        take_document(r, &a);
    }
    qvr_answer_free(&a);
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

static void logs_answer(struct qvr_result *r, const char *body, size_t len)
{
    struct qvr_answer a;
    if (qvr_answer_read(body, len, &a) != 0) {
        not_understood(r);
        return;
    }
    if (a.has_code && a.code != 0) {
        fail_code(r, a.code, a.message);
    } else if (a.has_status && a.status != 200) {
        int auth = a.status == 401 || mentions_auth(a.message);
        fail(r, auth ? QVR_ANSWER_AUTH : QVR_ANSWER_FAILED,
             auth ? QVR_E_AUTH_FAILED : QVR_E_LOGS_ERROR, "%s",
             a.message[0] ? a.message : "the logs API refused the query");
    } else if (!a.root || r->http_status >= 400) {
        not_understood(r);
    } else {
        take_document(r, &a);
    }
    qvr_answer_free(&a);
}

static void image_answer(struct qvr_result *r, const char *body, size_t len, const char *ctype)
{
    if (len >= 3 && memcmp(body, "\xFF\xD8\xFF", 3) == 0 && r->http_status < 300) {
        r->verdict = QVR_ANSWER_OK;
        return;
    }
    if (len > 0 && (body[0] == '{' || strncasecmp(ctype, "application/json", 16) == 0
                    || strncasecmp(ctype, "text/", 5) == 0)) {
        json_answer(r, body, len);
        if (r->verdict != QVR_ANSWER_OK)
            return;                   /* a JSON error answer instead of the image */
        qvr_result_free(r);
    }
    if (r->http_status >= 400)
        not_understood(r);
    else
        fail(r, QVR_ANSWER_FAILED, QVR_E_BAD_IMAGE, "the answer is not a JPEG image");
}

/* qplay text: [version line] code line [more lines]. */
static void lines_answer(struct qvr_result *r, const char *body, size_t len)
{
    size_t pos = 0, n;
    const char *s;
    int seen = 0;
    uint32_t code;
    while (qvr_text_line(body, len, &pos, &s, &n)) {
        if (qvr_code_line(s, n, seen == 0, &code)) {
            if (code != 0) {
                fail_code(r, code, NULL);
            } else {
                r->verdict = QVR_ANSWER_OK;
                r->lines_at = pos;
            }
            return;
        }
        if (++seen > 1 || n > QVR_PRE_LINE_MAX)
            break;
    }
    not_understood(r);
}

void qvr_verdict_read(enum qvr_kind kind, const char *body, size_t len, long status,
                      const char *content_type, struct qvr_result *out)
{
    memset(out, 0, sizeof *out);
    out->code = -1;
    out->http_status = status;
    if (!body)
        body = "", len = 0;
    if (!content_type)
        content_type = "";
    if (status == 401) {
        fail(out, QVR_ANSWER_AUTH, QVR_E_AUTH_FAILED, "the server refused the session (HTTP 401)");
        return;
    }
    switch (kind) {
    case QVR_KIND_JSON: json_answer(out, body, len); break;
    case QVR_KIND_LOGS: logs_answer(out, body, len); break;
    case QVR_KIND_IMAGE: image_answer(out, body, len, content_type); break;
    case QVR_KIND_LINES: lines_answer(out, body, len); break;
    case QVR_KIND_RAW: out->verdict = QVR_ANSWER_OK; break;
    case QVR_KIND_REST:
    case QVR_KIND_REST_IMAGE:
    case QVR_KIND_REST_MEDIA: qvr_rest_result(kind, body, len, status, content_type, out); break;
    }
}

void qvr_result_free(struct qvr_result *r)
{
    cJSON_Delete(r->root);
    r->root = NULL;
    r->verdict = QVR_ANSWER_FAILED;
    r->name = NULL;
    r->code = -1;
    r->message[0] = '\0';
}

void qvr_login_verdict(const struct qvr_login *lg, long status, struct qvr_result *out)
{
    memset(out, 0, sizeof *out);
    out->code = -1;
    out->http_status = status;
    if (!lg->parsed) {
        fail(out, QVR_ANSWER_FAILED, status >= 400 ? QVR_E_HTTP_ERROR : QVR_E_BAD_RESPONSE,
             "the login answer is not a QDocRoot document");
    } else if (!lg->complete && status < 400) {
        fail(out, QVR_ANSWER_FAILED, QVR_E_TRUNCATED, "the login answer was cut short%s",
             lg->sid[0] ? " (the sid it carried is logged out)" : "");
    } else if (!lg->has_passed || lg->passed != 1 || lg->sid[0] == '\0') {
        fail(out, QVR_ANSWER_AUTH, QVR_E_AUTH_FAILED, "login refused (authPassed %d, errorValue %d)",
             lg->has_passed ? lg->passed : 0, lg->has_error ? lg->error_value : 0);
    } else {
        out->verdict = QVR_ANSWER_OK;
    }
}
