/*
 * test_encode.c - unit tests of URL and credential encodings (encode.c, TAP).
 *
 * Query values are percent-encoded byte for byte (a space is %20, never
 * '+'; NUL and high bytes too), base64 matches RFC 4648's test vectors,
 * IPv6 hosts get brackets, and the growable string survives long input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "tap.h"

static int pct_is(const char *s, size_t n, const char *want)
{
    struct qvr_str b;
    int ok;
    qvr_str_init(&b);
    qvr_percent_encode(&b, s, n);
    ok = !b.failed && b.s && strcmp(b.s, want) == 0 && b.len == strlen(want);
    qvr_str_free(&b);
    return ok;
}

static int b64_is(const char *s, const char *want)
{
    struct qvr_str b;
    int ok;
    qvr_str_init(&b);
    qvr_base64(&b, (const unsigned char *)s, strlen(s));
    ok = b.s && strcmp(b.s, want) == 0;
    qvr_str_free(&b);
    return ok;
}

static void test_percent(void)
{
    tap_ok(pct_is("aZ09-._~", 8, "aZ09-._~"), "unreserved characters stay");
    tap_ok(pct_is("a b+c&d=e", 9, "a%20b%2Bc%26d%3De"), "space is %%20, + & = encoded");
    tap_ok(pct_is("\0\xff/", 3, "%00%FF%2F"), "NUL, 0xFF and / encoded");
    tap_ok(pct_is("", 0, ""), "empty value");
    tap_ok(pct_is("\xc3\xa4", 2, "%C3%A4"), "UTF-8 bytes one by one");
}

static void test_base64(void)
{
    static const char *const vec[][2] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    };
    int ok = 1;
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++)
        ok &= b64_is(vec[i][0], vec[i][1]);
    tap_ok(ok, "RFC 4648 base64 test vectors");
    tap_ok(b64_is("p\xc3\xa4ss", "cMOkc3M="), "a UTF-8 password");
    struct qvr_str b;
    qvr_str_init(&b);
    qvr_base64(&b, (const unsigned char *)"\xff\xfe\xfd", 3);
    tap_ok(b.s && strcmp(b.s, "//79") == 0, "high bytes use + and /");
    qvr_str_wipe(&b);
    tap_ok(b.s == NULL && b.len == 0, "wipe frees");
}

static void test_url(void)
{
    struct qvr_str b;
    qvr_str_init(&b);
    qvr_url_base(&b, "http", "nvr.local", 8080, "/qvrpro/x.cgi");
    qvr_url_param(&b, "sid", "a b", 3);
    qvr_url_param(&b, "ch", "1,2", 3);
    tap_ok(strcmp(b.s, "http://nvr.local:8080/qvrpro/x.cgi?sid=a%20b&ch=1%2C2") == 0,
           "base and params: %s", b.s);
    qvr_str_free(&b);
    qvr_str_init(&b);
    qvr_url_base(&b, "https", "fe80::1", 443, "/");
    tap_ok(strcmp(b.s, "https://[fe80::1]:443/") == 0, "IPv6 literal gets brackets");
    qvr_str_free(&b);
    qvr_str_init(&b);
    qvr_url_base(&b, "https", "[::1]", 443, "/");
    tap_ok(strcmp(b.s, "https://[::1]:443/") == 0, "bracketed IPv6 kept as is");
    qvr_str_free(&b);
    {   /* the port is written as "%d" writes it */
        static const int ports[] = {0, 1, 9, 10, 80, 65535, 2147483647, -1, -2147483647 - 1};
        for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++) {
            char want[64];
            qvr_str_init(&b);
            qvr_url_base(&b, "http", "h", ports[i], "/p");
            snprintf(want, sizeof want, "http://h:%d/p", ports[i]);
            tap_ok(b.s && strcmp(b.s, want) == 0, "port %d: %s", ports[i], b.s ? b.s : "");
            qvr_str_free(&b);
        }
    }
}

static void test_growth(void)
{
    struct qvr_str b;
    size_t n = 100000;
    char *big = malloc(n);
    memset(big, ' ', n);
    qvr_str_init(&b);
    qvr_percent_encode(&b, big, n);
    tap_ok(!b.failed && b.len == 3 * n && strncmp(b.s + 3 * n - 3, "%20", 3) == 0,
           "100000 spaces grow to 300000 bytes");
    qvr_str_addf(&b, "%0400d", 7);
    tap_ok(!b.failed && b.len == 3 * n + 400 && b.s[b.len - 1] == '7' && b.s[b.len] == '\0',
           "addf longer than its stack buffer");
    qvr_str_free(&b);
    free(big);
}

int main(void)
{
    test_percent();
    test_base64();
    test_url();
    test_growth();
    return tap_done();
}
