/*
 * test_xml.c - unit tests of the authLogin.cgi answer reader (xml.c, TAP).
 *
 * Login answers as real servers send them (values in CDATA, unknown
 * elements, the SDK sample's mismatched closing tag) must read; external
 * entities must not be loaded; malformed bodies are refused without libxml2
 * printing anything to stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xml.h"
#include "tap.h"

static int parse(const char *s, struct qvr_login *lg)
{
    return qvr_login_parse(s, strlen(s), lg);
}

static void test_good(void)
{
    struct qvr_login lg;
    tap_ok(parse("<?xml version=\"1.0\" encoding=\"UTF-8\" ?><QDocRoot version=\"1.0\">"
                 "<doQuick><![CDATA[]]></doQuick><authPassed><![CDATA[1]]></authPassed>"
                 "<authSid><![CDATA[ 4x7kd9 ]]></authSid><isAdmin><![CDATA[1]]></isAdmin>"
                 "</QDocRoot>", &lg) == 0 && lg.parsed && lg.has_passed && lg.passed == 1 &&
           strcmp(lg.sid, "4x7kd9") == 0 && lg.is_admin == 1 && lg.complete,
           "CDATA values, sid trimmed");
    tap_ok(parse("<QDocRoot><authPassed>1</authPassed><authSid>ab12cd</authSid><isAd", &lg) == 0
           && lg.parsed && !lg.complete && strcmp(lg.sid, "ab12cd") == 0,
           "an answer cut short is read, and known to be incomplete");
    tap_ok(parse("<QDocRoot><authPassed>1</authPassed></DocRoot>\r\n", &lg) == 0 && lg.complete,
           "the SDK sample's </DocRoot> ends a complete answer");
    tap_ok(parse("<QDocRoot><authPassed>0</authPassed><errorValue>-1</errorValue></QDocRoot>",
                 &lg) == 0 && lg.passed == 0 && lg.has_error && lg.error_value == -1 && !lg.sid[0],
           "refused login: authPassed 0, errorValue -1");
    tap_ok(parse("<QDocRoot><authPassed>1</authPassed><authSid>abc</authSidd></QDocRoot>", &lg) == 0
           && lg.passed == 1 && strcmp(lg.sid, "abc") == 0, "the SDK's mismatched end tag");
    tap_ok(parse("<QDocRoot><x><y><authSid>deep</authSid></y></x></QDocRoot>", &lg) == 0 &&
           strcmp(lg.sid, "deep") == 0, "nested a little");
}

static void test_refused(void)
{
    struct qvr_login lg;
    char sid[200];
    tap_ok(parse("<html><body>500</body></html>", &lg) == -1 && !lg.parsed, "HTML is refused");
    tap_ok(qvr_login_parse("", 0, &lg) == -1, "empty body");
    tap_ok(parse("{\"success\":true}", &lg) == -1, "JSON");
    tap_ok(parse("<QDocRoot><authPassed>yes</authPassed></QDocRoot>", &lg) == 0 && !lg.has_passed,
           "a non-number authPassed is absent");
    tap_ok(parse("<!DOCTYPE r [<!ENTITY e SYSTEM \"file:///etc/hostname\">]>"
                 "<QDocRoot><authSid>&e;</authSid></QDocRoot>", &lg) == 0 && lg.sid[0] == '\0',
           "an external entity is not loaded");
    snprintf(sid, sizeof sid, "<QDocRoot><authSid>%0150d</authSid></QDocRoot>", 1);
    tap_ok(parse(sid, &lg) == 0 && lg.sid[0] == '\0', "a sid too long for the buffer is absent, not cut");
    char *deep = malloc(20 * 9000 + 64), *p = deep;
    p += sprintf(p, "<QDocRoot>");
    for (int i = 0; i < 9000; i++)
        p += sprintf(p, "<a>");
    p += sprintf(p, "<authSid>x</authSid>");
    tap_ok(parse(deep, &lg) <= 0 && lg.sid[0] == '\0', "9000 nested elements: sid not searched that deep");
    free(deep);
}

/* What libxml2 writes to stderr while parsing s. */
static size_t stderr_bytes(const char *s, size_t n)
{
    FILE *tmp = tmpfile();
    int saved = dup(2);
    struct qvr_login lg;
    long size;
    fflush(stderr);
    dup2(fileno(tmp), 2);
    qvr_login_parse(s, n, &lg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    size = ftell(tmp) >= 0 ? (fseek(tmp, 0, SEEK_END), ftell(tmp)) : -1;
    fclose(tmp);
    return (size_t)size;
}

static void test_quiet(void)
{
    static const char *const bad[] = {
        "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><QDocRoot>\x81\xff\x82</QDocRoot>",
        "<?xml version=\"1.0\" encoding=\"EUC-JP\"?><QDocRoot>\x8f\xff</QDocRoot>",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><QDocRoot>\xc3\x28</QDocRoot>",
        "<?xml version=\"1.0\" encoding=\"bogus\"?><QDocRoot/>",
        "<QDocRoot><a>&undefined;</a><<</QDocRoot",
    };
    size_t total = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        total += stderr_bytes(bad[i], strlen(bad[i]));
    tap_ok(total == 0, "malformed and mis-encoded login XML: nothing on stderr (%zu bytes)", total);
}

int main(void)
{
    test_good();
    test_refused();
    test_quiet();
    return tap_done();
}
