/*
 * fuzz_encode.c - libFuzzer target for URL and credential encodings
 * (encode.c).
 *
 * Input: bytes, encoded three ways.  Percent-encoding must decode back to
 * the input and hold only unreserved characters and %XX; base64 must decode
 * back and have the length 4 * ceil(n / 3); a URL built with the input as
 * host (up to the first NUL) and as a parameter must start with the scheme
 * and hold the encoded parameter.
 *
 * Build: make build/fuzz_encode; seeds: fuzz/corpus_encode.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void check_percent(const uint8_t *data, size_t size)
{
    struct qvr_str b;
    size_t j = 0;
    qvr_str_init(&b);
    qvr_percent_encode(&b, (const char *)data, size);
    if (b.failed)
        abort();
    for (size_t i = 0; i < b.len; j++) {
        uint8_t c;
        if (b.s[i] == '%') {
            int h, l;
            if (i + 2 >= b.len)
                abort();
            h = hexval(b.s[i + 1]);
            l = hexval(b.s[i + 2]);
            if (h < 0 || l < 0)
                abort();
            c = (uint8_t)(h * 16 + l);
            i += 3;
        } else {
            c = (uint8_t)b.s[i++];
            if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~", c) || !c)
                abort();
        }
        if (j >= size || c != data[j])
            abort();
    }
    if (j != size || (b.s && b.s[b.len] != '\0'))
        abort();
    qvr_str_free(&b);
}

static int b64val(char c)
{
    const char *tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = c ? strchr(tab, c) : NULL;
    return p ? (int)(p - tab) : -1;
}

static void check_base64(const uint8_t *data, size_t size)
{
    struct qvr_str b;
    size_t j = 0;
    qvr_str_init(&b);
    qvr_base64(&b, data, size);
    if (b.failed || b.len != (size + 2) / 3 * 4)
        abort();
    for (size_t i = 0; i < b.len; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++)
            v[k] = b.s[i + k] == '=' ? 0 : b64val(b.s[i + k]);
        if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0)
            abort();
        uint32_t w = (uint32_t)(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
        uint8_t out[3] = {(uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w};
        for (int k = 0; k < 3 && j < size; k++, j++)
            if (out[k] != data[j])
                abort();
    }
    if (j != size)
        abort();
    qvr_str_wipe(&b);
}

static void check_url(const uint8_t *data, size_t size)
{
    struct qvr_str b, enc;
    char *host = malloc(size + 1);
    if (!host)
        return;
    memcpy(host, data, size);
    host[size] = '\0';
    if (strchr(host, '?'))
        host[0] = '\0';              /* a '?' in the host would start the query */
    qvr_str_init(&b);
    qvr_str_init(&enc);
    qvr_url_base(&b, "http", host, 8080, "/p");
    qvr_url_param(&b, "k", (const char *)data, size);
    qvr_url_param(&b, "z", "1", 1);
    qvr_percent_encode(&enc, (const char *)data, size);
    if (b.failed || strncmp(b.s, "http://", 7) != 0 || !strstr(b.s, "?k=") ||
        !strstr(b.s, enc.s ? enc.s : "") || strcmp(b.s + b.len - 4, "&z=1") != 0)
        abort();
    qvr_str_free(&b);
    qvr_str_free(&enc);
    free(host);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_percent(data, size);
    check_base64(data, size);
    check_url(data, size);
    return 0;
}
