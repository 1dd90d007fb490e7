/*
 * encode.c - URL and credential encodings (plain C); see encode.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"

void qvr_str_init(struct qvr_str *b)
{
    memset(b, 0, sizeof *b);
}

void qvr_str_free(struct qvr_str *b)
{
    free(b->s);
    qvr_str_init(b);
}

void qvr_str_wipe(struct qvr_str *b)
{
    if (b->s)
        explicit_bzero(b->s, b->cap);   /* a store the compiler keeps, at memset's speed */
    qvr_str_free(b);
}

static int reserve(struct qvr_str *b, size_t extra)
{
    size_t need, cap;
    char *s;
    if (b->failed)
        return 0;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 1;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    s = realloc(b->s, cap);
    if (!s) {
        b->failed = 1;
        return 0;
    }
    b->s = s;
    b->cap = cap;
    return 1;
}

void qvr_str_add(struct qvr_str *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void qvr_str_adds(struct qvr_str *b, const char *s)
{
    qvr_str_add(b, s, strlen(s));
}

void qvr_str_addf(struct qvr_str *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        qvr_str_add(b, tmp, (size_t)n);
        return;
    }
    if (!reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

size_t qvr_percent_encode_to(char *dst, size_t cap, const char *s, size_t n, const char *keep)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (c && keep && strchr(keep, c))) {
            if (len < cap)
                dst[len] = (char)c;
            len++;
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            for (int k = 0; k < 3; k++, len++)
                if (len < cap)
                    dst[len] = e[k];
        }
    }
    return len;
}

void qvr_percent_encode(struct qvr_str *b, const char *s, size_t n)
{
    if (!reserve(b, 3 * n))
        return;
    b->len += qvr_percent_encode_to(b->s + b->len, b->cap - b->len, s, n, NULL);
    b->s[b->len] = '\0';
}

void qvr_base64(struct qvr_str *b, const unsigned char *s, size_t n)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (!reserve(b, (n + 2) / 3 * 4))
        return;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        size_t left = n - i;
        if (left > 1)
            v |= (unsigned)s[i + 1] << 8;
        if (left > 2)
            v |= s[i + 2];
        b->s[b->len++] = tab[(v >> 18) & 63];
        b->s[b->len++] = tab[(v >> 12) & 63];
        b->s[b->len++] = left > 1 ? tab[(v >> 6) & 63] : '=';
        b->s[b->len++] = left > 2 ? tab[v & 63] : '=';
    }
    b->s[b->len] = '\0';
}

void qvr_url_base(struct qvr_str *b, const char *scheme, const char *host, int port,
                  const char *path)
{
    int v6 = strchr(host, ':') != NULL && host[0] != '[';
    char digits[12], *d = digits + sizeof digits;
    unsigned u = port < 0 ? 0u - (unsigned)port : (unsigned)port;
    do   /* the port as "%d" writes it, without printf's cost on every call */
        *--d = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (port < 0)
        *--d = '-';
    qvr_str_adds(b, scheme);
    qvr_str_add(b, v6 ? "://[" : "://", v6 ? 4 : 3);
    qvr_str_adds(b, host);
    qvr_str_add(b, v6 ? "]:" : ":", v6 ? 2 : 1);
    qvr_str_add(b, d, (size_t)(digits + sizeof digits - d));
    qvr_str_adds(b, path);
}

void qvr_url_param(struct qvr_str *b, const char *key, const char *value, size_t vlen)
{
    qvr_str_add(b, memchr(b->s ? b->s : "", '?', b->len) ? "&" : "?", 1);
    qvr_percent_encode(b, key, strlen(key));
    qvr_str_add(b, "=", 1);
    qvr_percent_encode(b, value, vlen);
}
