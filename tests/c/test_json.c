/*
 * test_json.c - unit tests of reading JSON answers (json.c, TAP).
 *
 * The success / error_code verdict must come from valid JSON in every form
 * servers print it (boolean or string success; code as signed or unsigned
 * number or hex string), from the malformed bodies real servers send (a
 * missing comma after the code), and never from a body that is not JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tap.h"

static int read_s(const char *body, struct qvr_answer *a)
{
    return qvr_answer_read(body, strlen(body), a);
}

static void test_valid(void)
{
    struct qvr_answer a;
    tap_ok(read_s("{\"success\":true,\"list\":[1,2]}", &a) == 0 && a.root && a.has_success &&
           a.success && !a.has_code, "valid success answer: document and success");
    qvr_answer_free(&a);
    tap_ok(a.root == NULL, "qvr_answer_free clears the document");
    tap_ok(read_s("{\"success\":\"false\",\"error_code\":-1795162112}", &a) == 0 &&
           a.has_success && !a.success && a.has_code && a.code == 0x95000000u,
           "\"false\" as a string, signed decimal code");
    qvr_answer_free(&a);
    tap_ok(read_s("{\"success\":false,\"error_code\":2499805184}", &a) == 0 &&
           a.code == 0x95000000u, "unsigned decimal code");
    qvr_answer_free(&a);
    tap_ok(read_s("{\"success\":0,\"error_code\":\"0xB1000001\",\"error_message\":\"no\"}", &a) == 0
           && a.has_success && !a.success && a.code == 0xB1000001u && strcmp(a.message, "no") == 0,
           "numeric success, hex string code, error_message");
    qvr_answer_free(&a);
    tap_ok(read_s("{\"code\":401,\"mesg\":\"Authorization failed\"}", &a) == 0 && a.has_status &&
           a.status == 401 && strcmp(a.message, "Authorization failed") == 0,
           "logs API: code as status and mesg");
    qvr_answer_free(&a);
    tap_ok(read_s("{\"error_code\":1e300}", &a) == 0 && !a.has_code,
           "a code out of 32-bit range is no code");
    qvr_answer_free(&a);
    tap_ok(read_s("[1,2,3]", &a) == 0 && a.root && !a.has_success && !a.has_code,
           "a top-level array is a document without a verdict");
    qvr_answer_free(&a);
}

static void test_malformed(void)
{
    struct qvr_answer a;
    tap_ok(read_s("{\"success\":false,\"error_code\":-1325400063\"error_message\":\"Authorization failed\"}",
                  &a) == 0 && !a.root && a.has_success && !a.success && a.code == 0xB1000001u &&
           strcmp(a.message, "Authorization failed") == 0,
           "the real servers' missing comma: verdict from the tolerant scan");
    qvr_answer_free(&a);
    tap_ok(read_s("{\"success\": \"true\" ,", &a) == 0 && a.has_success && a.success,
           "truncated body with success scanned");
    qvr_answer_free(&a);
    tap_ok(read_s("<html>500</html>", &a) == -1 && !a.root, "HTML is not an answer");
    tap_ok(qvr_answer_read("", 0, &a) == -1, "empty body is not an answer");
    tap_ok(read_s("{\"error_code\":", &a) == -1 && !a.has_code, "a key without a value");
    tap_ok(read_s("{\"error_message\":\"unterminated", &a) == -1 && a.message[0] == '\0',
           "unterminated message is ignored");
    tap_ok(read_s("\"success\"", &a) == 0 && a.root && !a.has_success,
           "a JSON string mentioning success is not a verdict");
    qvr_answer_free(&a);
}

static void test_bounds(void)
{
    struct qvr_answer a;
    char body[600];
    size_t n;
    memset(body, 'x', sizeof body);
    memcpy(body, "{\"success\":false,\"error_message\":\"", 34);
    memcpy(body + sizeof body - 2, "\"}", 2);
    tap_ok(qvr_answer_read(body, sizeof body, &a) == 0 && strlen(a.message) == sizeof a.message - 1,
           "a long message is cut to the buffer");
    qvr_answer_free(&a);
    /* not NUL-terminated: the reader must stay inside len */
    n = strlen("{\"success\":fals");
    char *heap = malloc(n);
    memcpy(heap, "{\"success\":fals", n);
    tap_ok(qvr_answer_read(heap, n, &a) == -1, "no read past the end of an unterminated body");
    free(heap);
    static const char *const cut[] = {"{\"success\":", "{\"success\": \n", "{\"error_code\":",
                                      "x\"error_message\":  "};
    int none = 1;
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        n = strlen(cut[i]);
        heap = malloc(n);                /* exact size: ASan sees one byte too far */
        memcpy(heap, cut[i], n);
        none &= qvr_answer_read(heap, n, &a) == -1 && !a.has_success && !a.has_code;
        free(heap);
    }
    tap_ok(none, "a body that ends right after a key's colon: no value, no read past the end");
    char *deep = malloc(2 * 2000 + 1);
    for (int i = 0; i < 2000; i++)
        deep[i] = '[', deep[4000 - 1 - i] = ']';
    tap_ok(qvr_answer_read(deep, 4000, &a) == -1 && !a.root,
           "2000 nested arrays: refused by cJSON's nesting limit, no crash");
    free(deep);
}

int main(void)
{
    test_valid();
    test_malformed();
    test_bounds();
    return tap_done();
}
