/*
 * fuzz_verdict.c - libFuzzer target for answer verdicts (verdict.c).
 *
 * Input: one control byte, then the body.
 *   bits 0-2: kind (json, logs, image, lines, raw, rest, rest_image, rest_media)
 *   bits 3-4: HTTP status (200, 401, 404, 500)
 *   bits 5-6: Content-Type ("", application/json, text/plain, image/jpeg)
 * The verdict must be consistent: ok has no error name, a failure has a
 * name and a NUL-terminated message, a document only when ok (for REST
 * JSON always but for an empty body; never for images, files, lines), lines only
 * inside the body; the lines after the code line must all be reachable.
 * Every text line must also satisfy the code-line rule's own invariants.
 *
 * Build: make build/fuzz_verdict; seeds: fuzz/corpus_verdict.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verdict.h"

static void check_lines(const char *body, size_t len, size_t from)
{
    size_t pos = from, n, count = 0;
    const char *s;
    uint32_t code;
    while (qvr_text_line(body, len, &pos, &s, &n)) {
        if (s < body || s + n > body + len || pos > len || ++count > len + 1)
            abort();
        if (n && (s[0] == ' ' || s[n - 1] == '\r'))
            abort();
        /* a line read as a code when first is a code when not first too */
        if (qvr_code_line(s, n, 1, &code) && !qvr_code_line(s, n, 0, &code))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const long statuses[] = {200, 401, 404, 500};
    static const char *const ctypes[] = {"", "application/json", "text/plain", "image/jpeg"};
    struct qvr_result r;
    enum qvr_kind kind;
    char *body;
    size_t len;
    if (size < 1)
        return 0;
    kind = (enum qvr_kind)(data[0] & 7);
    len = size - 1;
    body = malloc(len ? len : 1);
    if (!body)
        return 0;
    memcpy(body, data + 1, len);
    qvr_verdict_read(kind, body, len, statuses[(data[0] >> 3) & 3], ctypes[(data[0] >> 5) & 3], &r);
    if (memchr(r.message, '\0', sizeof r.message) == NULL)
        abort();
    if (r.verdict == QVR_ANSWER_OK) {
        if (r.name || r.code != -1)
            abort();
        /* JSON and logs answers always carry a document; a REST answer does
         * unless it is empty (204 and other empty answers); the rest never */
        if ((kind == QVR_KIND_JSON || kind == QVR_KIND_LOGS) && r.root == NULL)
            abort();
        if (kind == QVR_KIND_REST ? (!r.root && len != 0)
                                  : (r.root && kind != QVR_KIND_JSON && kind != QVR_KIND_LOGS))
            abort();
        if (r.root && qvr_json_depth(r.root, QVR_JSON_MAX_DEPTH) > QVR_JSON_MAX_DEPTH)
            abort();
        if (r.lines_at > len)
            abort();
    } else if (!r.name || r.root || !r.message[0]) {
        abort();
    }
    if (r.verdict == QVR_ANSWER_AUTH && r.code >= 0 && !qvr_code_is_auth((uint32_t)r.code))
        abort();
    check_lines(body, len, 0);
    qvr_result_free(&r);
    free(body);
    return 0;
}
