/*
 * test_verdict.c - unit tests of answer verdicts (verdict.c, errname.c, TAP).
 *
 * Every kind of answer (JSON, logs, image, qplay text lines, raw, login
 * XML) must give ok / failed / auth with the error's name, code and message
 * as scripts see them; the code/version-line rule is the one the stream
 * parser uses; JSON deeper than QVR_JSON_MAX_DEPTH is an error, not a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errname.h"
#include "verdict.h"
#include "tap.h"

static void read_kind(enum qvr_kind k, const char *body, long status, const char *ctype,
                      struct qvr_result *r)
{
    qvr_verdict_read(k, body, strlen(body), status, ctype, r);
}

static int is(const struct qvr_result *r, enum qvr_verdict v, const char *name, int64_t code)
{
    if (r->verdict != v || r->code != code)
        return 0;
    if (!name)
        return r->verdict == QVR_ANSWER_OK;
    return r->name && strcmp(r->name, name) == 0;
}

static void test_json(void)
{
    struct qvr_result r;
    read_kind(QVR_KIND_JSON, "{\"success\":true,\"n\":1}", 200, "", &r);
    tap_ok(is(&r, QVR_ANSWER_OK, NULL, -1) && r.root, "json ok keeps the document");
    qvr_result_free(&r);
    read_kind(QVR_KIND_JSON, "{\"success\":false,\"error_code\":-1325400063}", 200, "", &r);
    tap_ok(is(&r, QVR_ANSWER_AUTH, "AUTH_FAILED", 0xB1000001) && !r.root, "an auth code is AUTH");
    qvr_result_free(&r);
    read_kind(QVR_KIND_JSON, "{\"success\":false,\"error_code\":\"0xB1000002\"}", 200, "", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "PERMISSION_DENIED", 0xB1000002) &&
           strcmp(r.message, "Insufficient permissions") == 0, "a known code: name and message");
    qvr_result_free(&r);
    read_kind(QVR_KIND_JSON, "{\"success\":false,\"error_code\":7,\"error_message\":\"odd\"}", 200, "",
              &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "SERVER_ERROR", 7) && strcmp(r.message, "odd") == 0,
           "an unknown code keeps the server's message");
    qvr_result_free(&r);
    read_kind(QVR_KIND_JSON, "{\"success\":false,\"error_code\":7}", 200, "", &r);
    tap_ok(strcmp(r.message, "server error code 7") == 0, "an unknown code without a message");
    qvr_result_free(&r);
    read_kind(QVR_KIND_JSON, "{\"success\":false}", 200, "", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "SERVER_ERROR", -1) &&
           strcmp(r.message, "the server answered success: false") == 0, "success false, no code");
    qvr_result_free(&r);
    read_kind(QVR_KIND_JSON, "{\"error_code\":0,\"x\":1}", 200, "", &r);
    tap_ok(is(&r, QVR_ANSWER_OK, NULL, -1), "error_code 0 without success is ok");
    qvr_result_free(&r);
    read_kind(QVR_KIND_JSON, "<html>", 500, "text/html", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "HTTP_ERROR", -1) && r.http_status == 500,
           "HTML with 500: HTTP_ERROR");
    qvr_result_free(&r);
    read_kind(QVR_KIND_JSON, "<html>", 200, "text/html", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "BAD_RESPONSE", -1), "HTML with 200: BAD_RESPONSE");
    qvr_result_free(&r);
    read_kind(QVR_KIND_JSON, "{}", 401, "", &r);
    tap_ok(is(&r, QVR_ANSWER_AUTH, "AUTH_FAILED", -1), "HTTP 401 is AUTH whatever the body");
    qvr_result_free(&r);
    read_kind(QVR_KIND_JSON, "{\"success\":true}", 404, "", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "HTTP_ERROR", -1), "a document with 404 is not ok");
    qvr_result_free(&r);
    qvr_verdict_read(QVR_KIND_JSON, NULL, 0, 200, NULL, &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "BAD_RESPONSE", -1), "no body at all");
    qvr_result_free(&r);
}

static char *nested(int depth)
{
    char *s = malloc((size_t)depth * 6 + 16), *p = s;
    for (int i = 0; i < depth; i++)
        p += sprintf(p, "{\"a\":");
    p += sprintf(p, "1");
    for (int i = 0; i < depth; i++)
        *p++ = '}';
    *p = '\0';
    return s;
}

static void test_depth(void)
{
    struct qvr_result r;
    char *s = nested(QVR_JSON_MAX_DEPTH);
    read_kind(QVR_KIND_JSON, s, 200, "", &r);
    tap_ok(is(&r, QVR_ANSWER_OK, NULL, -1), "%d levels are read", QVR_JSON_MAX_DEPTH);
    qvr_result_free(&r);
    free(s);
    s = nested(70);
    read_kind(QVR_KIND_JSON, s, 200, "", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "BAD_RESPONSE", -1) && !r.root &&
           strstr(r.message, "nested deeper than 64"), "70 levels: BAD_RESPONSE, no document kept");
    qvr_result_free(&r);
    read_kind(QVR_KIND_LOGS, s, 200, "", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "BAD_RESPONSE", -1), "70 levels in a logs answer too");
    qvr_result_free(&r);
    free(s);
    tap_ok(qvr_json_depth(NULL, 5) == 0, "depth of nothing is 0");
}

static void test_logs(void)
{
    struct qvr_result r;
    read_kind(QVR_KIND_LOGS, "{\"code\":200,\"data\":[]}", 200, "", &r);
    tap_ok(is(&r, QVR_ANSWER_OK, NULL, -1) && r.root, "logs ok");
    qvr_result_free(&r);
    read_kind(QVR_KIND_LOGS, "{\"code\":400,\"mesg\":\"invalid SID\"}", 200, "", &r);
    tap_ok(is(&r, QVR_ANSWER_AUTH, "AUTH_FAILED", -1) && strcmp(r.message, "invalid SID") == 0,
           "a 400 that mentions the sid is AUTH");
    qvr_result_free(&r);
    read_kind(QVR_KIND_LOGS, "{\"code\":400,\"mesg\":\"bad max_results\"}", 200, "", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "LOGS_ERROR", -1), "another 400 is LOGS_ERROR");
    qvr_result_free(&r);
    read_kind(QVR_KIND_LOGS, "{\"code\":500}", 200, "", &r);
    tap_ok(strcmp(r.message, "the logs API refused the query") == 0, "status without mesg");
    qvr_result_free(&r);
    read_kind(QVR_KIND_LOGS, "{\"error_code\":-1795162112}", 200, "", &r);
    tap_ok(is(&r, QVR_ANSWER_AUTH, "AUTH_FAILED", 0x95000000), "logs with an error_code");
    qvr_result_free(&r);
}

static void test_image(void)
{
    struct qvr_result r;
    qvr_verdict_read(QVR_KIND_IMAGE, "\xFF\xD8\xFF\xE0xx", 6, 200, "image/jpeg", &r);
    tap_ok(is(&r, QVR_ANSWER_OK, NULL, -1), "a JPEG is ok");
    qvr_verdict_read(QVR_KIND_IMAGE, "\xFF\xD8\xFF\xE0xx", 6, 500, "image/jpeg", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "HTTP_ERROR", -1), "a JPEG with 500 is not ok");
    read_kind(QVR_KIND_IMAGE, "{\"success\":false,\"error_code\":-1777926143}", 200, "text/plain", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "TIMEOUT", 0x96070001), "a JSON error instead of the image");
    qvr_result_free(&r);
    read_kind(QVR_KIND_IMAGE, "{\"success\":true}", 200, "application/json", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "BAD_IMAGE", -1) && !r.root, "JSON success is no image");
    read_kind(QVR_KIND_IMAGE, "GIF89a", 200, "image/gif", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "BAD_IMAGE", -1), "a GIF is BAD_IMAGE");
    qvr_verdict_read(QVR_KIND_IMAGE, "\xFF\xD8", 2, 200, "", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "BAD_IMAGE", -1), "two bytes of JPEG magic are not enough");
}

/* the lines after the code line, joined with '|' */
static void lines_after(const char *body, const struct qvr_result *r, char *out, size_t cap)
{
    size_t pos = r->lines_at, n, used = 0;
    const char *s;
    out[0] = '\0';
    while (qvr_text_line(body, strlen(body), &pos, &s, &n) && used + n + 2 < cap) {
        if (used)
            out[used++] = '|';
        memcpy(out + used, s, n);
        used += n;
        out[used] = '\0';
    }
}

static void test_lines(void)
{
    struct qvr_result r;
    char got[128];
    const char *b = "1.1.0\n0\nsession-42\r\n";
    read_kind(QVR_KIND_LINES, b, 200, "", &r);
    lines_after(b, &r, got, sizeof got);
    tap_ok(is(&r, QVR_ANSWER_OK, NULL, -1) && strcmp(got, "session-42") == 0,
           "version line, code 0, the session line (got %s)", got);
    b = "1\n0\n a \n\nb";
    read_kind(QVR_KIND_LINES, b, 200, "", &r);
    lines_after(b, &r, got, sizeof got);
    tap_ok(is(&r, QVR_ANSWER_OK, NULL, -1) && strcmp(got, "a||b") == 0,
           "\"1\" first is a version; lines trimmed, blank kept (got %s)", got);
    read_kind(QVR_KIND_LINES, "0\n", 200, "", &r);
    tap_ok(is(&r, QVR_ANSWER_OK, NULL, -1), "just the code");
    read_kind(QVR_KIND_LINES, "-1828651002\n", 200, "", &r);
    tap_ok(is(&r, QVR_ANSWER_AUTH, "AUTH_FAILED", 0x93010006), "qplay auth code");
    read_kind(QVR_KIND_LINES, "1.1.0\n-1828651001\n", 200, "", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "SESSION_FULL", 0x93010007), "version then a failure code");
    read_kind(QVR_KIND_LINES, "2\n", 200, "", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "BAD_RESPONSE", -1), "only a version line: not understood");
    read_kind(QVR_KIND_LINES, "hello\nworld\n0\n", 200, "", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "BAD_RESPONSE", -1), "two lines before the code: refused");
    read_kind(QVR_KIND_LINES, "x\n0x93010007\n", 200, "", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "SESSION_FULL", 0x93010007), "a hex code after one line");
    read_kind(QVR_KIND_LINES, "", 502, "", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "HTTP_ERROR", -1), "empty 502");
    char longline[200];
    memset(longline, 'y', sizeof longline - 3);
    memcpy(longline + sizeof longline - 3, "\n0", 3);
    read_kind(QVR_KIND_LINES, longline, 200, "", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "BAD_RESPONSE", -1), "a long line before the code: refused");
}

static void test_code_line(void)
{
    uint32_t c = 99;
    tap_ok(qvr_code_line("0", 1, 1, &c) && c == 0, "\"0\" first is the code");
    tap_ok(!qvr_code_line("1", 1, 1, &c), "\"1\" first is a version");
    tap_ok(qvr_code_line("1", 1, 0, &c) && c == 1, "\"1\" second is a code");
    tap_ok(qvr_code_line("2969567233", 10, 1, &c) && c == 0xB1000001u,
           "a big unsigned code first is a code");
    tap_ok(qvr_code_line(" -5\r", 4, 1, &c) && c == (uint32_t)-5, "blanks and CR around");
    tap_ok(qvr_code_line("0x10", 4, 1, &c) && c == 16, "hex first is a code");
    tap_ok(!qvr_code_line("1.1.0", 5, 0, &c), "\"1.1.0\" is never a code");
    tap_ok(!qvr_code_line("", 0, 1, &c), "empty line");
    tap_ok(!qvr_code_line("99999999999", 11, 0, &c), "over 32 bits");
}

static void test_login(void)
{
    struct qvr_login lg = {0};
    struct qvr_result r;
    qvr_login_verdict(&lg, 200, &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "BAD_RESPONSE", -1), "not a QDocRoot document");
    qvr_login_verdict(&lg, 503, &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "HTTP_ERROR", -1), "not XML with 503");
    lg.parsed = 1, lg.complete = 1, lg.has_passed = 1, lg.passed = 0, lg.has_error = 1,
    lg.error_value = -1;
    qvr_login_verdict(&lg, 200, &r);
    tap_ok(is(&r, QVR_ANSWER_AUTH, "AUTH_FAILED", -1) &&
           strcmp(r.message, "login refused (authPassed 0, errorValue -1)") == 0, "refused");
    lg.passed = 1;
    qvr_login_verdict(&lg, 200, &r);
    tap_ok(is(&r, QVR_ANSWER_AUTH, "AUTH_FAILED", -1), "passed without a sid is refused");
    strcpy(lg.sid, "abc");
    qvr_login_verdict(&lg, 200, &r);
    tap_ok(is(&r, QVR_ANSWER_OK, NULL, -1), "passed with a sid");
    lg.complete = 0;
    qvr_login_verdict(&lg, 200, &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "TRUNCATED", -1) && strstr(r.message, "logged out"),
           "cut short after the sid: TRUNCATED, the sid is logged out");
    lg.sid[0] = '\0', lg.has_passed = 0;
    qvr_login_verdict(&lg, 200, &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "TRUNCATED", -1), "cut short before authPassed: TRUNCATED");
}

static void test_names(void)
{
    static const char *const parser_names[] = {
        "PARSE_ERROR", "BAD_CODE_LINE", "SERVER_ERROR", "FRAME_TOO_BIG",
        "BAD_FOURCC", "BAD_RECORD", "TRUNCATED", "NO_MEMORY"};
    static const char *const dump_names[] = {
        "NONE", "IO_ERROR", "BAD_DUMP", "TRUNCATED", "BAD_FRAME", "BAD_ARGUMENT", "NO_MEMORY"};
    int ok = 1;
    for (int e = QVR_PERR_NONE; e <= QVR_PERR_NOMEM; e++)
        ok &= strcmp(qvr_parse_error_name((enum qvr_parse_error)e), parser_names[e]) == 0;
    tap_ok(ok, "parser error names unchanged");
    ok = 1;
    for (int e = QVR_DERR_NONE; e <= QVR_DERR_NOMEM; e++)
        ok &= strcmp(qvr_dump_error_name((enum qvr_dump_error)e), dump_names[e]) == 0;
    tap_ok(ok, "dump error names unchanged");
    ok = 1;
    for (int e = 0; e < QVR_E_COUNT; e++) {
        const char *n = qvr_err_name((enum qvr_err)e);
        ok &= n && strcmp(n, "ERROR") != 0 && strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == strlen(n);
    }
    tap_ok(ok, "every error kind has an upper-case name");
    tap_ok(strcmp(qvr_err_name(QVR_E_COUNT), "ERROR") == 0 &&
           strcmp(qvr_err_name((enum qvr_err)-1), "ERROR") == 0, "out of range: ERROR");
    tap_ok(qvr_code_is_auth(0x95000000u) && !qvr_code_is_auth(0xB1000002u),
           "auth codes: 0x95000000 yes, 0xB1000002 (permission) no");
}

static void test_rest(void)
{
    struct qvr_result r;
    /* 0xB1 bodies: signed, malformed (no comma), unsigned, hex */
    read_kind(QVR_KIND_REST, "{\n\"success\":false,\n\"error_code\":-1325400062,\n"
              "\"error_message\":\"Insufficient permissions\"\n}\n", 403, "application/json", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "PERMISSION_DENIED", 0xB1000002), "rest: 0xB1000002 signed");
    qvr_result_free(&r);
    read_kind(QVR_KIND_REST, "{\"success\":false,\"error_code\":-1325400063\"error_message\":"
              "\"Authorization failed\"}", 403, "application/json", &r);
    tap_ok(is(&r, QVR_ANSWER_AUTH, "AUTH_FAILED", 0xB1000001), "rest: malformed 0xB1000001 is auth");
    qvr_result_free(&r);
    read_kind(QVR_KIND_REST, "{\"success\":false,\"error_code\":2969567232}", 403, "", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "NOT_SUPPORTED", 0xB1000000), "rest: unsigned 0xB1000000");
    qvr_result_free(&r);
    /* PTZ: hex-string code, no success key */
    read_kind(QVR_KIND_REST, "{\"error_code\": \"0x0\", \"error_message\": \"Success\"}", 200,
              "application/json", &r);
    tap_ok(is(&r, QVR_ANSWER_OK, NULL, -1) && r.root, "rest: PTZ 0x0 is ok");
    qvr_result_free(&r);
    read_kind(QVR_KIND_REST, "{\"error_code\": \"0x96020004\", \"error_message\": \"Auth Fail\"}",
              200, "application/json", &r);
    tap_ok(is(&r, QVR_ANSWER_AUTH, "AUTH_FAILED", 0x96020004), "rest: PTZ auth failure");
    qvr_result_free(&r);
    /* camera/list: success as a string; capability: no success key */
    read_kind(QVR_KIND_REST, "{ \"datas\": [ ], \"success\": \"true\", \"total_channel_num\": 0 }",
              200, "application/json", &r);
    tap_ok(is(&r, QVR_ANSWER_OK, NULL, -1) && r.root, "rest: camera/list");
    qvr_result_free(&r);
    /* StreamingOutput errors, by status */
    read_kind(QVR_KIND_REST, "{\"respType\": \"StreamingOutput#channels\", \"errorCode\": 403, "
              "\"message\": \"Insufficient permission.\"}", 403, "application/json", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "PERMISSION_DENIED", -1), "rest: StreamingOutput 403");
    qvr_result_free(&r);
    read_kind(QVR_KIND_REST, "{\"message\": \"Insufficient permission.\"}", 200, "application/json", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "PERMISSION_DENIED", -1), "rest: permission message on a 200");
    qvr_result_free(&r);
    read_kind(QVR_KIND_REST, "{\"respType\": \"x\", \"errorCode\": 401, \"message\": \"m\"}", 401,
              "application/json", &r);
    tap_ok(r.verdict == QVR_ANSWER_AUTH, "rest: StreamingOutput 401 is auth");
    qvr_result_free(&r);
    read_kind(QVR_KIND_REST, "{\"respType\": \"x\", \"errorCode\": 409, \"message\": \"m\"}", 409,
              "application/json", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "ALREADY_PUBLISHED", -1), "rest: StreamingOutput 409");
    qvr_result_free(&r);
    read_kind(QVR_KIND_REST, "{\"respType\": \"x\", \"errorCode\": 404, \"message\": \"m\"}", 404,
              "application/json", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "NOT_FOUND", -1), "rest: StreamingOutput 404 is no missing endpoint");
    qvr_result_free(&r);
    /* a missing endpoint: 404/405 pages */
    read_kind(QVR_KIND_REST, "<html>page does not exist</html>", 404, "text/html", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "NOT_SUPPORTED", -1), "rest: 404 page");
    qvr_result_free(&r);
    read_kind(QVR_KIND_REST_MEDIA, "405 Method Not Allowed", 405, "text/plain", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "NOT_SUPPORTED", -1), "rest: 405");
    qvr_result_free(&r);
    read_kind(QVR_KIND_REST, "<html>", 500, "text/html", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "HTTP_ERROR", -1), "rest: 500 page");
    qvr_result_free(&r);
    /* empty 204, files */
    read_kind(QVR_KIND_REST, "", 204, "", &r);
    tap_ok(is(&r, QVR_ANSWER_OK, NULL, -1) && !r.root, "rest: 204 empty");
    qvr_result_free(&r);
    qvr_verdict_read(QVR_KIND_REST_IMAGE, "\xFF\xD8\xFF\xE0", 4, 200, "image/jpeg", &r);
    tap_ok(is(&r, QVR_ANSWER_OK, NULL, -1), "rest: JPEG");
    qvr_result_free(&r);
    qvr_verdict_read(QVR_KIND_REST_MEDIA, "\0\0\0\x20" "ftypisom", 12, 200, "video/mp4", &r);
    tap_ok(is(&r, QVR_ANSWER_OK, NULL, -1), "rest: MP4");
    qvr_result_free(&r);
    read_kind(QVR_KIND_REST_MEDIA, "{\"success\":true}", 200, "application/json", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "BAD_MEDIA", -1), "rest: JSON instead of the MP4");
    qvr_result_free(&r);
    read_kind(QVR_KIND_REST_IMAGE, "not a jpeg", 200, "image/jpeg", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "BAD_IMAGE", -1), "rest: not a JPEG");
    qvr_result_free(&r);
    /* Vault envelope */
    read_kind(QVR_KIND_REST, "{\"ReturnStatus\": {\"statusCode\": 0, \"statusString\": \"OK\"}}", 200,
              "application/json", &r);
    tap_ok(is(&r, QVR_ANSWER_OK, NULL, -1), "rest: vault OK");
    qvr_result_free(&r);
    read_kind(QVR_KIND_REST, "{\"ReturnStatus\": {\"statusCode\": -1006632955, \"statusString\": "
              "\"x\"}}", 401, "application/json", &r);
    tap_ok(is(&r, QVR_ANSWER_AUTH, "AUTH_FAILED", -1) || r.verdict == QVR_ANSWER_AUTH,
           "rest: vault auth failure");
    qvr_result_free(&r);
    read_kind(QVR_KIND_REST, "{\"ReturnStatus\": {\"statusCode\": 3288334593, \"statusString\": "
              "\"Missing json field\"}}", 400, "application/json", &r);
    tap_ok(is(&r, QVR_ANSWER_FAILED, "MISSING_FIELD", 0xC4000101), "rest: vault 0xC4000101 unsigned");
    qvr_result_free(&r);
}

int main(void)
{
    test_rest();
    test_json();
    test_depth();
    test_logs();
    test_image();
    test_lines();
    test_code_line();
    test_login();
    test_names();
    return tap_done();
}
