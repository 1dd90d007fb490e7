/*
 * test_errors.c - unit tests of the server error-code table (TAP).
 *
 * The table must hold every code of the 2017 SDK document and the 1.3.1 API
 * description, sorted and without duplicates, with stable names; codes must
 * read back from every form a server prints them in.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"
#include "tap.h"

/* every code the two documents list (grep of QVR_PRO_SDK_2017.txt and
 * qvr_pro_api_1.3.1.yaml) */
static const uint32_t documented[] = {
    0x00000000, 0x93000000, 0x93000001, 0x93000002, 0x93000003, 0x93000004, 0x93000005,
    0x93010002, 0x93010003, 0x93010004, 0x93010006, 0x93010007, 0x93010102, 0x93010103,
    0x93010104, 0x93010107, 0x93010108, 0x93010109, 0x9301010B, 0x93010201, 0x93010202,
    0x93010203, 0x93010204, 0x95000000, 0x95000001, 0x95000003, 0x96020001, 0x96020002,
    0x96020003, 0x96020004, 0x96070001, 0x96070002, 0x96070003, 0xB1000000, 0xB1000001,
    0xB1000002, 0xB1000003, 0xB1000004, 0xB1000005, 0xB1000006, 0xB1000007, 0xB1000008,
    0xB1000009, 0xB100000A, 0xB100000B, 0xB100000C, 0xB100000D, 0xB100000E, 0xB100000F,
    0xB1000010, 0xB1000011, 0xB1000012, 0xB1000013, 0xB1000014, 0xB1000015, 0xB1000016,
    0xB1000017, 0xB1000018, 0xB1000019, 0xB100001A, 0xB100001B, 0xB100001C, 0xB100001D,
    0xB100001E, 0xB100001F, 0xB1000020, 0xB1000021, 0xB1000022, 0xB1000023, 0xC4000002,
    0xC4000003, 0xC4000004, 0xC4000005, 0xC4000007, 0xC4000009, 0xC400000A, 0xC400000C,
    0xC400000E, 0xC4000100, 0xC4000101, 0xC4000102, 0xC4000103, 0xC4000200, 0xC4000205,
    0xC4000207, 0xC4000400, 0xC4000402, 0xC4000502, 0xC4010000, 0xC4010001, 0xC4010002,
    0xC4010006, 0xC4010007, 0xC4040003, 0xC4040004,
};

/* names scripts match on */
static const struct {
    uint32_t code;
    const char *name;
} names[] = {
    {0x95000000, "AUTH_FAILED"},       {0xB1000001, "AUTH_FAILED"},
    {0x93000005, "AUTH_FAILED"},       {0x93010006, "AUTH_FAILED"},
    {0xC4000005, "AUTH_FAILED"},       {0x96020004, "AUTH_FAILED"},
    {0xB1000002, "PERMISSION_DENIED"}, {0xC400000A, "PERMISSION_DENIED"},
    {0x96070001, "TIMEOUT"},           {0x96070002, "TRANSCODE_BUSY"},
    {0x93010007, "SESSION_FULL"},      {0x93010204, "SEEK_NO_FILE"},
    {0x93010202, "SESSION_NOT_FOUND"}, {0x93000002, "MAX_CONNECTIONS"},
    {0x93000003, "STREAM_NOT_READY"},  {0x95000003, "BAD_PARAMETER"},
    {0xB1000003, "BAD_PARAMETER"},     {0x95000001, "INTERNAL_ERROR"},
    {0x96070003, "INTERNAL_ERROR"},    {0xB1000023, "LICENSE_EXPIRED"},
};

/* the same code in each form a server prints it */
static const struct {
    uint32_t code;
    const char *forms[8];
} forms[] = {
    {0xB1000001, {"-1325400063", "2969567233", "0xB1000001", "0Xb1000001", "\"0xB1000001\"",
                  "  -1325400063\n", "\" 2969567233 \"", "0xb1000001"}},
    {0x95000000, {"-1795162112", "2499805184", "0x95000000", "\"0x95000000\"", "\t0x95000000",
                  "'0x95000000'", "0x095000000", "\"-1795162112\""}},
    {0x93000005, {"-1828716539", "2466250757", "0x93000005", "0X93000005", "-1828716539\r\n",
                  "\"2466250757\"", " 0x93000005 ", "0x93000005"}},
    {0xC400000A, {"-1006632950", "3288334346", "0xC400000A", "0xc400000a", "\"-1006632950\"",
                  "0XC400000A", "  3288334346", "0x00C400000A"}},
    {0x96070002, {"-1777926142", "2517041154", "0x96070002", "\"0x96070002\"", "0x96070002 ",
                  " -1777926142", "2517041154\n", "0X96070002"}},
};

static void test_forms(void)
{
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        int all = 1;
        for (size_t j = 0; j < 8; j++) {
            uint32_t c = 0;
            const char *s = forms[i].forms[j];
            if (!qvr_code_parse(s, strlen(s), &c) || c != forms[i].code) {
                all = 0;
                printf("# form \"%s\" gave %08X\n", s, (unsigned)c);
            }
        }
        tap_ok(all, "code 0x%08X reads from signed, unsigned, hex, quoted and spaced forms",
               (unsigned)forms[i].code);
        tap_ok(qvr_code_lookup(forms[i].code) != NULL,
               "code 0x%08X is in the table", (unsigned)forms[i].code);
    }
}

static void test_names(void)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const struct qvr_code_info *ci = qvr_code_lookup(names[i].code);
        tap_ok(ci && strcmp(ci->name, names[i].name) == 0, "0x%08X is %s (got %s)",
               (unsigned)names[i].code, names[i].name, ci ? ci->name : "NULL");
    }
}

static void test_documented(void)
{
    size_t missing = 0;
    for (size_t i = 0; i < sizeof documented / sizeof documented[0]; i++) {
        if (!qvr_code_lookup(documented[i])) {
            missing++;
            printf("# missing 0x%08X\n", (unsigned)documented[i]);
        }
    }
    tap_ok(missing == 0, "all %zu documented codes are in the table (%zu missing)",
           sizeof documented / sizeof documented[0], missing);
}

static int upper_snake(const char *s)
{
    if (!s || !*s || *s == '_')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static void test_table(void)
{
    size_t n = 0, bad_order = 0, bad_name = 0, bad_trip = 0, bad_lookup = 0;
    const struct qvr_code_info *t = qvr_code_table(&n);
    tap_ok(t != NULL && n >= sizeof documented / sizeof documented[0],
           "table has %zu entries", n);
    for (size_t i = 0; i < n; i++) {
        char buf[40];
        uint32_t c;
        int ok = 1;
        if (i > 0 && t[i - 1].code >= t[i].code)
            bad_order++;
        if (!upper_snake(t[i].name) || !t[i].message || !t[i].message[0])
            bad_name++;
        if (qvr_code_lookup(t[i].code) != &t[i])
            bad_lookup++;
        qvr_code_hex(t[i].code, buf);
        ok &= qvr_code_parse(buf, strlen(buf), &c) && c == t[i].code;
        snprintf(buf, sizeof buf, "%d", (int)(int32_t)t[i].code);
        ok &= qvr_code_parse(buf, strlen(buf), &c) && c == t[i].code;
        snprintf(buf, sizeof buf, "%u", (unsigned)t[i].code);
        ok &= qvr_code_parse(buf, strlen(buf), &c) && c == t[i].code;
        snprintf(buf, sizeof buf, "\"0x%08x\"", (unsigned)t[i].code);
        ok &= qvr_code_parse(buf, strlen(buf), &c) && c == t[i].code;
        if (!ok) {
            bad_trip++;
            printf("# 0x%08X does not round-trip\n", (unsigned)t[i].code);
        }
    }
    tap_ok(bad_order == 0, "table sorted by code, no duplicate codes (%zu out of order)",
           bad_order);
    tap_ok(bad_name == 0, "every name is UPPER_SNAKE and every message non-empty");
    tap_ok(bad_lookup == 0, "binary search finds every entry");
    tap_ok(bad_trip == 0, "every entry round-trips through hex, signed and unsigned decimal");
    tap_ok(qvr_code_table(NULL) == t, "qvr_code_table accepts a NULL count");
}

static void test_unknown(void)
{
    static const uint32_t unknown[] = {0x00000001, 0x12345678, 0x93000006, 0x930100FF,
                                       0x95000002, 0xB1000024, 0xC4FFFFFF, 0xFFFFFFFF,
                                       0x80000000};
    int all = 1;
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        all &= qvr_code_lookup(unknown[i]) == NULL;
    tap_ok(all, "codes not in the documents return NULL");
}

static void test_bad_strings(void)
{
    static const char *const bad[] = {
        "", " ", "\"\"", "\"", "0x", "0X", "-", "--1", "abc", "12a", "0x1g", "1 2", "1.5",
        "4294967296", "-2147483649", "0x100000000", "99999999999999999999999", "0x-1",
        "-0x1", "\"123", "123\"", "+", "0xB1000001 junk", "B1000001", "- 1", "1e3",
        "0x 1",
    };
    int all = 1;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t c = 0xdeadbeef;
        if (qvr_code_parse(bad[i], strlen(bad[i]), &c) || c != 0xdeadbeef) {
            all = 0;
            printf("# \"%s\" was accepted\n", bad[i]);
        }
    }
    tap_ok(all, "%zu malformed strings are rejected and leave *code alone",
           sizeof bad / sizeof bad[0]);
    {
        uint32_t c = 1;
        tap_ok(!qvr_code_parse(NULL, 0, &c), "NULL text is rejected");
    }
}

static void test_edges(void)
{
    uint32_t c = 1;
    char buf[11];
    tap_ok(qvr_code_parse("-2147483648", 11, &c) && c == 0x80000000u,
           "-2147483648 is 0x80000000");
    tap_ok(qvr_code_parse("4294967295", 10, &c) && c == 0xFFFFFFFFu, "4294967295 is 0xFFFFFFFF");
    tap_ok(qvr_code_parse("0xffffffff", 10, &c) && c == 0xFFFFFFFFu, "0xffffffff");
    tap_ok(qvr_code_parse("0", 1, &c) && c == 0 && qvr_code_parse("-0", 2, &c) && c == 0,
           "0 and -0 are 0");
    tap_ok(qvr_code_parse("12345", 3, &c) && c == 123, "only len bytes are read");
    tap_ok(qvr_code_parse("-1325400063xyz", 11, &c) && c == 0xB1000001u,
           "text without a terminating NUL");
    qvr_code_hex(0x95000000u, buf);
    tap_ok(strcmp(buf, "0x95000000") == 0, "hex of 0x95000000 (%s)", buf);
    qvr_code_hex(0xB100000Au, buf);
    tap_ok(strcmp(buf, "0xB100000A") == 0, "hex uses uppercase digits (%s)", buf);
    qvr_code_hex(0, buf);
    tap_ok(strcmp(buf, "0x00000000") == 0, "hex of 0 is zero-padded (%s)", buf);
    qvr_code_hex(0xFFFFFFFFu, buf);
    tap_ok(strcmp(buf, "0xFFFFFFFF") == 0 && strlen(buf) == 10, "hex fits 11 bytes (%s)", buf);
}

int main(void)
{
    test_forms();
    test_names();
    test_documented();
    test_table();
    test_unknown();
    test_bad_strings();
    test_edges();
    return tap_done();
}
