/*
 * rest.c - the verdict on an answer of the REST family; see rest.h.
 *
 * Be tolerant of every variant real servers send (docs/REST.md): `success`
 * as boolean or string, codes signed, unsigned or as hex strings, the
 * error body without a comma before "error_message", JSON answers typed
 * text/html or without a type, and content types with or without a charset.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "errors.h"
#include "json.h"
#include "rest.h"

#define CODE_NOT_SUPPORTED 0xB1000000u

static void set_message(struct qvr_rest_verdict *v, const char *msg)
{
    snprintf(v->message, sizeof v->message, "%s", msg);
}

static void failed(struct qvr_rest_verdict *v, const char *name, const char *msg)
{
    v->outcome = QVR_REST_FAILED;
    v->name = name;
    set_message(v, msg);
}

static void failed_code(struct qvr_rest_verdict *v, uint32_t code, const char *msg)
{
    const struct qvr_code_info *info = qvr_code_lookup(code);
    v->has_code = 1;
    v->code = code;
    v->name = NULL;
    v->outcome = info && strcmp(info->name, "AUTH_FAILED") == 0 ? QVR_REST_AUTH
                                                                : QVR_REST_FAILED;
    v->unsupported = code == CODE_NOT_SUPPORTED;
    set_message(v, msg && *msg ? msg : info ? info->message : "the server reported an error");
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

/* StreamingOutput's {respType, errorCode, message} (named by HTTP status,
 * as the API description words them), or a 2xx {"message": "Insufficient
 * permission."}.  Returns 1 when the document was such an error. */
static int streaming_error(const cJSON *root, long status, struct qvr_rest_verdict *v)
{
    const cJSON *ec = cJSON_GetObjectItemCaseSensitive(root, "errorCode");
    const char *msg = string_item(root, "message");
    if (msg && contains_nocase(msg, "insufficient permission")) {
        failed(v, "PERMISSION_DENIED", msg);
        return 1;
    }
    if (!cJSON_IsNumber(ec) && !(msg && status >= 400))
        return 0;
    if (cJSON_IsNumber(ec) && ec->valuedouble != 0) {
        v->has_code = 1;
        v->code = (uint32_t)(int64_t)ec->valuedouble;
    } else if (status < 400) {
        return 0;
    }
    msg = msg && *msg ? msg : "the streaming output refused the request";
    if (status == 401) {
        failed(v, "AUTH_FAILED", msg);
        v->outcome = QVR_REST_AUTH;
    } else if (status == 403) {
        failed(v, "PERMISSION_DENIED", msg);
    } else if (status == 404) {
        failed(v, "NOT_FOUND", msg);
    } else if (status == 409) {
        failed(v, "ALREADY_PUBLISHED", msg);
    } else {
        failed(v, "SERVER_ERROR", msg);
    }
    return 1;
}

/* The Metadata Vault's {"ReturnStatus": {statusCode, statusString, extra}}. */
static int vault_error(const cJSON *root, struct qvr_rest_verdict *v)
{
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(root, "ReturnStatus");
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(rs, "statusCode");
    uint32_t code;
    char buf[32];
    if (!cJSON_IsObject(rs))
        return 0;
    if (cJSON_IsString(sc)) {
        if (!qvr_code_parse(sc->valuestring, strlen(sc->valuestring), &code))
            return 0;
    } else if (cJSON_IsNumber(sc)) {
        snprintf(buf, sizeof buf, "%.0f", sc->valuedouble);
        if (!qvr_code_parse(buf, strlen(buf), &code))
            return 0;
    } else {
        return 0;
    }
    if (code == 0)
        return 0;
    failed_code(v, code, string_item(rs, "statusString"));
    return 1;
}

static void judge_json(enum qvr_rest_expect expect, long status, const char *body, size_t len,
                       struct qvr_rest_verdict *v)
{
    struct qvr_answer a;
    if (qvr_answer_read(body, len, &a) != 0) {
        failed(v, status >= 400 ? "HTTP_ERROR" : "BAD_RESPONSE", "the answer is not valid JSON");
        v->unsupported = status == 404 || status == 405;
        return;
    }
    if ((a.has_success && !a.success) || (a.has_code && a.code != 0)) {
        if (a.has_code)
            failed_code(v, a.code, a.message);
        else
            failed(v, "SERVER_ERROR", a.message[0] ? a.message : "the server answered success: false");
    } else if (a.root && (streaming_error(a.root, status, v) || vault_error(a.root, v))) {
        /* v is filled */
    } else if (!a.root || status >= 400) {
        failed(v, "HTTP_ERROR", "the server answered with an HTTP error");
        v->unsupported = status == 404 || status == 405;
    } else if (expect != QVR_REST_EXPECT_JSON) {
        failed(v, expect == QVR_REST_EXPECT_JPEG ? "BAD_IMAGE" : "BAD_MEDIA",
               "the server answered JSON without an error instead of the file");
    } else {
        v->outcome = QVR_REST_OK;
        v->root = a.root;
        a.root = NULL;
    }
    qvr_answer_free(&a);
}

void qvr_rest_judge(enum qvr_rest_expect expect, long status, const char *content_type,
                    const char *body, size_t len, struct qvr_rest_verdict *v)
{
    memset(v, 0, sizeof *v);
    v->outcome = QVR_REST_FAILED;
    if (!body)
        body = "", len = 0;
    if (!content_type)
        content_type = "";
    if (status == 401 && !looks_json(content_type, body, len)) {
        failed(v, "AUTH_FAILED", "the server refused the session (HTTP 401)");
        v->outcome = QVR_REST_AUTH;
    } else if (status >= 200 && status < 300 && expect == QVR_REST_EXPECT_JPEG && len >= 3 &&
               memcmp(body, "\xFF\xD8\xFF", 3) == 0) {
        v->outcome = QVR_REST_OK;
    } else if (status >= 200 && status < 300 && expect == QVR_REST_EXPECT_MP4 &&
               qvr_rest_is_mp4(body, len)) {
        v->outcome = QVR_REST_OK;
    } else if (looks_json(content_type, body, len)) {
        judge_json(expect, status, body, len, v);
    } else if (status == 404 || status == 405) {
        failed(v, "NOT_SUPPORTED", status == 404 ? "the NVR has no such endpoint (HTTP 404)"
                                                 : "the NVR refuses this method (HTTP 405)");
        v->unsupported = 1;
    } else if (status >= 400) {
        failed(v, "HTTP_ERROR", "the server answered with an HTTP error");
    } else if (status >= 200 && status < 300 && len == 0 && expect == QVR_REST_EXPECT_JSON) {
        v->outcome = QVR_REST_OK;
        v->empty = 1;
    } else if (expect == QVR_REST_EXPECT_JPEG) {
        failed(v, "BAD_IMAGE", "the answer is not a JPEG image");
    } else if (expect == QVR_REST_EXPECT_MP4) {
        failed(v, "BAD_MEDIA", "the answer is not an MP4 file");
    } else {
        failed(v, "BAD_RESPONSE", "the answer could not be read");
    }
}

void qvr_rest_free(struct qvr_rest_verdict *v)
{
    cJSON_Delete(v->root);
    v->root = NULL;
}
