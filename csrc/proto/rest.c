/*
 * rest.c - the verdict on an answer of the REST family; see rest.h.
 *
 * Tolerant of every variant real servers send (docs/REST.md): `success` as
 * boolean or string, codes signed, unsigned or as hex strings, the error
 * body without a comma before "error_message", JSON answers typed
 * text/html or without a type, content types with or without a charset.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "errname.h"
#include "errors.h"
#include "json.h"
#include "rest.h"

static void fail(struct qvr_result *r, enum qvr_err name, const char *msg)
{
    r->verdict = name == QVR_E_AUTH_FAILED ? QVR_ANSWER_AUTH : QVR_ANSWER_FAILED;
    r->name = qvr_err_name(name);
    snprintf(r->message, sizeof r->message, "%s", msg);
}

/* A server code: named from the table (0xB1000000 is NOT_SUPPORTED there),
 * else SERVER_ERROR with the answer's own message. */
static void fail_code(struct qvr_result *r, uint32_t code, const char *msg)
{
    const struct qvr_code_info *ci = qvr_code_lookup(code);
    r->verdict = qvr_code_is_auth(code) ? QVR_ANSWER_AUTH : QVR_ANSWER_FAILED;
    r->code = code;
    r->name = ci ? ci->name : qvr_err_name(QVR_E_SERVER_ERROR);
    snprintf(r->message, sizeof r->message, "%s",
             ci ? ci->message : msg && *msg ? msg : "the server reported an error");
}

static int type_is(const char *ct, const char *want)
{
    size_t n = strlen(want);
    return strncasecmp(ct, want, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static int looks_json(const char *ct, const char *body, size_t len)
{
    size_t i = 0;
    if (type_is(ct, "application/json"))
        return 1;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
        i++;
    return i < len && (body[i] == '{' || body[i] == '[');
}

int qvr_rest_is_mp4(const char *body, size_t len)
{
    static const char *const boxes[] = {"ftyp", "styp", "moov", "mdat", "free", NULL};
    if (len < 8)
        return 0;
    for (int i = 0; boxes[i]; i++)
        if (memcmp(body + 4, boxes[i], 4) == 0)
            return 1;
    return 0;
}

static int contains_nocase(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (; *s; s++)
        if (strncasecmp(s, word, n) == 0)
            return 1;
    return 0;
}

static const char *string_item(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* StreamingOutput's {respType, errorCode, message}, named by HTTP status as
 * the API description words them, or a 2xx {"message": "Insufficient
 * permission."}.  Returns 1 when the document was such an error. */
static int streaming_error(const cJSON *root, long status, struct qvr_result *r)
{
    const cJSON *ec = cJSON_GetObjectItemCaseSensitive(root, "errorCode");
    const char *msg = string_item(root, "message");
    if (msg && contains_nocase(msg, "insufficient permission")) {
        fail(r, QVR_E_PERMISSION_DENIED, msg);
        return 1;
    }
    if (status < 400 && !(cJSON_IsNumber(ec) && ec->valuedouble != 0))
        return 0;
    if (!cJSON_IsNumber(ec) && !msg)
        return 0;
    msg = msg && *msg ? msg : "the streaming output refused the request";
    if (status == 401)
        fail(r, QVR_E_AUTH_FAILED, msg);
    else if (status == 403)
        fail(r, QVR_E_PERMISSION_DENIED, msg);
    else if (status == 404)
        fail(r, QVR_E_NOT_FOUND, msg);
    else if (status == 409)
        fail(r, QVR_E_ALREADY_PUBLISHED, msg);
    else
        fail(r, QVR_E_SERVER_ERROR, msg);
    return 1;
}

/* The Metadata Vault's {"ReturnStatus": {statusCode, statusString, extra}}:
 * a non-zero statusCode is the error. */
static int vault_error(const cJSON *root, struct qvr_result *r)
{
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(root, "ReturnStatus");
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(rs, "statusCode");
    char buf[32];
    const char *text = buf;
    uint32_t code;
    if (cJSON_IsString(sc))
        text = sc->valuestring;
    else if (cJSON_IsNumber(sc))
        snprintf(buf, sizeof buf, "%.0f", sc->valuedouble);
    else
        return 0;
    if (!qvr_code_parse(text, strlen(text), &code) || code == 0)
        return 0;
    fail_code(r, code, string_item(rs, "statusString"));
    return 1;
}

static void document(enum qvr_kind kind, const char *body, size_t len, long status,
                     struct qvr_result *r)
{
    struct qvr_answer a;
    int missing = status == 404 || status == 405;
    if (qvr_answer_read(body, len, &a) != 0) {
        fail(r, missing ? QVR_E_NOT_SUPPORTED : status >= 400 ? QVR_E_HTTP_ERROR
                                                               : QVR_E_BAD_RESPONSE,
             "the answer is not valid JSON");
        return;
    }
    if ((a.has_success && !a.success) || (a.has_code && a.code != 0)) {
        if (a.has_code)
            fail_code(r, a.code, a.message);
        else
            fail(r, QVR_E_SERVER_ERROR,
                 a.message[0] ? a.message : "the server answered success: false");
    } else if (a.root && (streaming_error(a.root, status, r) || vault_error(a.root, r))) {
        /* r is filled */
    } else if (!a.root || status >= 400) {
        fail(r, missing ? QVR_E_NOT_SUPPORTED : QVR_E_HTTP_ERROR,
             "the server answered with an HTTP error");
    } else if (kind != QVR_KIND_REST) {
        fail(r, kind == QVR_KIND_REST_IMAGE ? QVR_E_BAD_IMAGE : QVR_E_BAD_MEDIA,
             "the server answered JSON without an error instead of the file");
    } else if (qvr_json_depth(a.root, QVR_JSON_MAX_DEPTH) > QVR_JSON_MAX_DEPTH) {
        fail(r, QVR_E_BAD_RESPONSE, "the JSON answer is nested too deep");
    } else {
        r->verdict = QVR_ANSWER_OK;
        r->root = a.root;
        a.root = NULL;
    }
    qvr_answer_free(&a);
}

void qvr_rest_result(enum qvr_kind kind, const char *body, size_t len, long status,
                     const char *content_type, struct qvr_result *r)
{
    int ok2xx = status >= 200 && status < 300;
    r->verdict = QVR_ANSWER_FAILED;
    if (ok2xx && kind == QVR_KIND_REST_IMAGE && len >= 3 && memcmp(body, "\xFF\xD8\xFF", 3) == 0)
        r->verdict = QVR_ANSWER_OK;
    else if (ok2xx && kind == QVR_KIND_REST_MEDIA && qvr_rest_is_mp4(body, len))
        r->verdict = QVR_ANSWER_OK;
    else if (looks_json(content_type, body, len))
        document(kind, body, len, status, r);
    else if (status == 404 || status == 405)
        fail(r, QVR_E_NOT_SUPPORTED, status == 404 ? "the NVR has no such endpoint (HTTP 404)"
                                                   : "the NVR refuses this method (HTTP 405)");
    else if (status >= 400)
        fail(r, QVR_E_HTTP_ERROR, "the server answered with an HTTP error");
    else if (ok2xx && len == 0 && kind == QVR_KIND_REST)
        r->verdict = QVR_ANSWER_OK;              /* 204 and other empty answers */
    else if (kind == QVR_KIND_REST_IMAGE)
        fail(r, QVR_E_BAD_IMAGE, "the answer is not a JPEG image");
    else if (kind == QVR_KIND_REST_MEDIA)
        fail(r, QVR_E_BAD_MEDIA, "the answer is not an MP4 file");
    else
        fail(r, QVR_E_BAD_RESPONSE, "the answer could not be read");
}
