/*
 * answer.c - JSON, XML and text answers and the quirks that change them.
 */
#include "answer.h"
#include "sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void code_signed(uint32_t code, char out[16])
{
    snprintf(out, 16, "%d", (int32_t)code);
}

/* numbers_as_strings: every number becomes a string ("80", "1269104"). */
static void numbers_to_strings(cJSON *node)
{
    for (cJSON *c = node ? node->child : NULL; c; c = c->next) {
        if (cJSON_IsNumber(c)) {
            char text[40];
            double d = c->valuedouble;
            if (d == floor(d) && fabs(d) < 9.007199254740992e15)
                snprintf(text, sizeof text, "%.0f", d);
            else
                snprintf(text, sizeof text, "%.17g", d);
            cJSON *s = cJSON_CreateString(text);
            if (!s)
                continue;
            if (c->string) /* keep the member name */
                s->string = strdup(c->string);
            cJSON_ReplaceItemViaPointer(node, c, s);
            c = s;
        } else {
            numbers_to_strings(c);
        }
    }
}

static void success_as_string(cJSON *root)
{
    cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "success");
    if (cJSON_IsBool(s))
        cJSON_ReplaceItemInObjectCaseSensitive(root, "success",
                                               cJSON_CreateString(cJSON_IsTrue(s) ? "true"
                                                                                  : "false"));
}

/* "-123" for v, NUL-terminated; returns its length. */
static size_t int_text(long long v, char out[24])
{
    char digits[24];
    size_t n = 0, k = 0;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do
        digits[n++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        out[k++] = '-';
    while (n > 0)
        out[k++] = digits[--n];
    out[k] = '\0';
    return k;
}

/* Whole numbers below 10^15 become raw text with the digits cJSON would
 * print ("%1.15g" writes them in full, without exponent or point), so that
 * printing does not run sprintf and sscanf (cJSON 1.7.15's round-trip check)
 * for each of them.  The text is the same; -0 and the rest stay numbers. */
static void integers_to_raw(cJSON *node)
{
    for (cJSON *c = node ? node->child : NULL; c; c = c->next) {
        double d = c->valuedouble;
        if (cJSON_IsNumber(c) && !(c->type & cJSON_IsReference) && d == floor(d) &&
            fabs(d) < 1e15 && !(d == 0 && signbit(d))) {
            char text[24];
            int_text((long long)d, text);
            char *raw = strdup(text);
            if (!raw)
                continue;
            c->type = cJSON_Raw | (c->type & cJSON_StringIsConst);
            c->valuestring = raw;
        } else if (c->child) {
            integers_to_raw(c);
        }
    }
}

static enum MHD_Result send_json(struct req *r, unsigned status, const char *hdr, cJSON *root)
{
    integers_to_raw(root);
    char *text = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return http_reply(r, 500, "Content-Type", "text/plain", "out of memory\n", 14);
    enum MHD_Result rc = http_reply(r, status, hdr, "application/json", text, strlen(text));
    free(text);
    return rc;
}

enum MHD_Result answer_json(struct req *r, cJSON *root)
{
    if (r->sw.numbers_as_strings)
        numbers_to_strings(root);
    if (r->sw.success_string)
        success_as_string(root);
    return send_json(r, 200, "Content-type", root);
}

enum MHD_Result answer_success_int(struct req *r, const char *name, long long value)
{
    char text[128], num[24];
    if (strlen(name) > 64)
        return http_reply(r, 500, "Content-Type", "text/plain", "name too long\n", 14);
    int_text(value, num);
    bool quoted = r->sw.numbers_as_strings; /* as numbers_to_strings writes it: "%.0f" */
    char *p = stpcpy(text, r->sw.success_string ? "{\"success\":\"true\",\"" : "{\"success\":true,\"");
    p = stpcpy(stpcpy(p, name), quoted ? "\":\"" : "\":");
    p = stpcpy(stpcpy(p, num), quoted ? "\"}" : "}");
    return http_reply(r, 200, "Content-type", "application/json", text, (size_t)(p - text));
}

enum MHD_Result answer_json_plain(struct req *r, unsigned status, cJSON *root)
{
    return send_json(r, status, "Content-Type", root);
}

static void code_text(const struct switches *sw, uint32_t code, char out[24])
{
    switch (sw->code_format) {
    case CODE_UNSIGNED: snprintf(out, 24, "%u", code); break;
    case CODE_HEX: snprintf(out, 24, "\"0x%08X\"", code); break;
    default: snprintf(out, 24, "%d", (int32_t)code); break;
    }
}

enum MHD_Result answer_error_status(struct req *r, unsigned status, uint32_t code,
                                    const char *message)
{
    char num[24];
    code_text(&r->sw, code, num);
    cJSON *msg = cJSON_CreateString(message);
    char *msgtext = msg ? cJSON_PrintUnformatted(msg) : NULL;
    cJSON_Delete(msg);
    struct buf b = {0};
    buf_printf(&b, "{\"success\":%s,\"error_code\":%s%s\"error_message\":%s}",
               r->sw.success_string ? "\"false\"" : "false", num,
               r->sw.json_malformed ? "" : ",", msgtext ? msgtext : "\"\"");
    free(msgtext);
    enum MHD_Result rc = http_reply(r, status, "Content-type", "application/json",
                                    b.p ? (const char *)b.p : "", b.len);
    buf_free(&b);
    return rc;
}

enum MHD_Result answer_error(struct req *r, uint32_t code, const char *message)
{
    return answer_error_status(r, 200, code, message);
}

enum MHD_Result answer_qplay(struct req *r, uint32_t code, const char *session)
{
    struct buf b = {0};
    if (qplay_version_first(&r->sw))
        buf_printf(&b, "%s\n", r->sw.qplay_version);
    buf_printf(&b, "%d\n", (int32_t)code);
    if (session)
        buf_printf(&b, "%s\n", session);
    enum MHD_Result rc = http_reply(r, 200, "Content-type", "text/plain", b.p, b.len);
    buf_free(&b);
    return rc;
}

enum MHD_Result answer_stream_code(struct req *r, uint32_t code)
{
    struct buf b = {0};
    if (r->sw.getstream_leading_line)
        buf_printf(&b, "%s", r->sw.leading_line[0] ? r->sw.leading_line : "\r");
    if (r->sw.getstream_leading_line)
        buf_adds(&b, "\n");
    buf_printf(&b, "%d\n", (int32_t)code);
    enum MHD_Result rc = http_reply(r, 200, "Content-type", "text/plain", b.p, b.len);
    buf_free(&b);
    return rc;
}

void xml_cdata(struct buf *b, const char *name, const char *value)
{
    buf_printf(b, "<%s><![CDATA[", name);
    for (const char *v = value; *v; v++) {
        if (!strncmp(v, "]]>", 3)) {
            buf_adds(b, "]]]]><![CDATA[>");
            v += 2;
        } else {
            buf_add(b, v, 1);
        }
    }
    buf_printf(b, "]]></%s>\n", name);
}
