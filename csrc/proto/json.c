/*
 * json.c - reading JSON answers (plain C, cJSON); see json.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"
#include "json.h"

static void copy_message(struct qvr_answer *a, const char *s, size_t n)
{
    if (n >= sizeof a->message)
        n = sizeof a->message - 1;
    memcpy(a->message, s, n);
    a->message[n] = '\0';
}

static int bool_of(const cJSON *v, int *out)
{
    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v);
        return 1;
    }
    if (cJSON_IsString(v) && (strcmp(v->valuestring, "true") == 0 ||
                              strcmp(v->valuestring, "false") == 0)) {
        *out = v->valuestring[0] == 't';
        return 1;
    }
    if (cJSON_IsNumber(v)) {
        *out = v->valuedouble != 0;
        return 1;
    }
    return 0;
}

static int code_of(const cJSON *v, uint32_t *code)
{
    char buf[32];
    if (cJSON_IsString(v))
        return qvr_code_parse(v->valuestring, strlen(v->valuestring), code);
    if (!cJSON_IsNumber(v) || v->valuedouble < -2147483648.0 || v->valuedouble > 4294967295.0)
        return 0;
    snprintf(buf, sizeof buf, "%.0f", v->valuedouble);
    return qvr_code_parse(buf, strlen(buf), code);
}

static void from_document(struct qvr_answer *a)
{
    const cJSON *v;
    if (!cJSON_IsObject(a->root))
        return;
    a->has_success = bool_of(cJSON_GetObjectItemCaseSensitive(a->root, "success"), &a->success);
    a->has_code = code_of(cJSON_GetObjectItemCaseSensitive(a->root, "error_code"), &a->code);
    v = cJSON_GetObjectItemCaseSensitive(a->root, "code");
    if (cJSON_IsNumber(v)) {
        a->has_status = 1;
        a->status = v->valueint;
    }
    v = cJSON_GetObjectItemCaseSensitive(a->root, "error_message");
    if (!cJSON_IsString(v))
        v = cJSON_GetObjectItemCaseSensitive(a->root, "mesg");
    if (cJSON_IsString(v))
        copy_message(a, v->valuestring, strlen(v->valuestring));
}

/* The text right after `"key"` and its colon (at least one byte of it), or
 * NULL. */
static const char *value_after(const char *body, size_t len, const char *key)
{
    size_t k = strlen(key);
    for (const char *p = body; (p = memchr(p, '"', (size_t)(body + len - p))) != NULL; p++) {
        const char *q = p + 1;
        if ((size_t)(body + len - q) > k + 1 && memcmp(q, key, k) == 0 && q[k] == '"') {
            q += k + 1;
            while (q < body + len && isspace((unsigned char)*q))
                q++;
            if (q < body + len && *q == ':') {
                q++;
                while (q < body + len && isspace((unsigned char)*q))
                    q++;
                return q < body + len ? q : NULL;   /* never the end itself */
            }
        }
    }
    return NULL;
}

static void scan_success(struct qvr_answer *a, const char *body, size_t len)
{
    const char *v = value_after(body, len, "success"), *end = body + len;
    if (!v)
        return;
    if (*v == '"' && v < end)
        v++;
    if ((size_t)(end - v) >= 4 && memcmp(v, "true", 4) == 0)
        a->has_success = 1, a->success = 1;
    else if ((size_t)(end - v) >= 5 && memcmp(v, "false", 5) == 0)
        a->has_success = 1, a->success = 0;
}

static void scan_code(struct qvr_answer *a, const char *body, size_t len)
{
    const char *v = value_after(body, len, "error_code"), *end = body + len, *e;
    if (!v)
        return;
    if (*v == '"')
        v++;
    for (e = v; e < end && (isalnum((unsigned char)*e) || *e == '-'); e++)
        ;
    a->has_code = qvr_code_parse(v, (size_t)(e - v), &a->code);
}

static void scan_message(struct qvr_answer *a, const char *body, size_t len)
{
    const char *v = value_after(body, len, "error_message"), *e;
    if (!v || *v != '"')
        return;
    v++;
    e = memchr(v, '"', (size_t)(body + len - v));
    if (e)
        copy_message(a, v, (size_t)(e - v));
}

int qvr_answer_read(const char *body, size_t len, struct qvr_answer *a)
{
    memset(a, 0, sizeof *a);
    a->root = cJSON_ParseWithLength(body, len);
    if (a->root) {
        from_document(a);
        return 0;
    }
    scan_success(a, body, len);
    scan_code(a, body, len);
    scan_message(a, body, len);
    return a->has_success || a->has_code ? 0 : -1;
}

void qvr_answer_free(struct qvr_answer *a)
{
    cJSON_Delete(a->root);
    a->root = NULL;
}
