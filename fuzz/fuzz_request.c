/*
 * fuzz_request.c - libFuzzer target for the request builder (request.c).
 *
 * Input: byte 0 picks the endpoint (modulo the table), byte 1 the buffer
 * size (0 .. 255, or 4096 when 255); the rest is parameters "key=value"
 * separated by '\n' (a key may be a real parameter name or anything), the
 * last line may be "#prefix" to replace the API prefix.  Whatever the
 * input: an error leaves an empty buffer; an overflow reports the size
 * that then fits; a built target starts with '/', holds only unreserved
 * characters, %XX escapes and the separators / ? & =, has one '?' at most,
 * and each query value it holds decodes to a value given or the table's.
 *
 * Build: make build/fuzz_request; seeds: fuzz/corpus_request.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

#define MAXKV 16

static int allowed(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           strchr("-._~/?&=%", c) != NULL;
}

static void check_target(const char *t, size_t len)
{
    int queries = 0;
    if (len == 0 || t[0] != '/' || strlen(t) != len)
        abort();
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t[i];
        if (!c || !allowed(c))
            abort();
        if (c == '%' && (i + 2 >= len || !strchr("0123456789ABCDEF", t[i + 1]) || !t[i + 1] ||
                         !strchr("0123456789ABCDEF", t[i + 2]) || !t[i + 2]))
            abort();
        queries += c == '?';
    }
    if (queries > 1)
        abort();
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c - 'A' + 10;
}

/* Decodes t[0..n) (checked by check_target) into out; its length. */
static size_t decode(const char *t, size_t n, char *out)
{
    size_t j = 0;
    for (size_t i = 0; i < n; j++) {
        if (t[i] == '%') {
            out[j] = (char)(hexval(t[i + 1]) * 16 + hexval(t[i + 2]));
            i += 3;
        } else {
            out[j] = t[i++];
        }
    }
    return j;
}

static int known_value(const char *v, size_t n, const struct qvr_endpoint *ep,
                       const struct qvr_kv *kv, size_t nkv, const char *sid)
{
    if ((strlen(sid) == n && memcmp(sid, v, n) == 0) ||
        (n == strlen(QVR_REST_VER_TS) && memcmp(v, QVR_REST_VER_TS, n) == 0))
        return 1;
    for (size_t i = 0; i < nkv; i++)
        if (kv[i].len == n && memcmp(kv[i].value, v, n) == 0)
            return 1;
    for (const struct qvr_param *p = ep->params; p->wire; p++)
        if (p->value && strlen(p->value) == n && memcmp(p->value, v, n) == 0)
            return 1;
    return 0;
}

/* Every value of the query is one the caller gave or the table holds. */
static void check_values(const char *t, const struct qvr_endpoint *ep, const struct qvr_kv *kv,
                         size_t nkv, const char *sid)
{
    const char *q = strchr(t, '?');
    char *v;
    if (!q)
        return;
    v = malloc(strlen(q) + 1);
    if (!v)
        abort();
    while (q && *q) {
        const char *eq = strchr(q + 1, '='), *end = strchr(q + 1, '&');
        if (!end)
            end = q + strlen(q);
        if (!eq || eq > end || !known_value(v, decode(eq + 1, (size_t)(end - eq - 1), v), ep, kv,
                                            nkv, sid))
            abort();
        q = *end ? end : NULL;
    }
    free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t count = 0, n = 0, cap, len = 0, len2 = 0;
    struct qvr_kv kv[MAXKV];
    struct qvr_req_ctx ctx = {"/qvrpro", "sid0"};
    struct qvr_req_error err;
    const struct qvr_endpoint *ep;
    char *text, *line, *buf, *buf2;
    enum qvr_req_err rc;
    if (size < 2)
        return 0;
    while (qvr_endpoint_at(count))
        count++;
    ep = qvr_endpoint_at(data[0] % count);
    cap = data[1] == 255 ? 4096 : data[1];
    text = malloc(size - 1);
    if (!text)
        return 0;
    memcpy(text, data + 2, size - 2);
    text[size - 2] = '\0';
    for (line = text; line && n < MAXKV;) {
        char *next = strchr(line, '\n'), *eq;
        if (next)
            *next++ = '\0';
        if (line[0] == '#') {
            ctx.prefix = line + 1;
        } else if ((eq = strchr(line, '=')) != NULL) {
            *eq = '\0';
            kv[n].key = line;
            kv[n].value = eq + 1;
            kv[n].len = strlen(eq + 1);
            n++;
        }
        line = next;
    }
    buf = malloc(cap ? cap : 1);
    if (!buf) {
        free(text);
        return 0;
    }
    rc = qvr_request_build(ep, &ctx, kv, n, cap ? buf : NULL, cap, &len, &err);
    if (rc == QVR_REQ_OK) {
        check_target(buf, len);
        check_values(buf, ep, kv, n, ctx.sid);
    } else if (rc == QVR_REQ_OVERFLOW) {
        if (len < cap || err.code != rc)
            abort();
        buf2 = malloc(len + 1);
        if (!buf2 || qvr_request_build(ep, &ctx, kv, n, buf2, len + 1, &len2, NULL) != QVR_REQ_OK ||
            len2 != len)
            abort();
        check_target(buf2, len2);
        free(buf2);
    } else {
        if (err.code != rc || !err.message[0] || (cap && buf[0] != '\0'))
            abort();
    }
    free(buf);
    free(text);
    return 0;
}
