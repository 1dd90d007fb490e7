/*
 * encode.h - URL and credential encodings (plain C).
 *
 * Owns: a growable string buffer, percent-encoding of query values (RFC 3986
 * unreserved characters kept, everything else %XX, so a space is %20 and
 * never '+'), base64 of a password's UTF-8 bytes, and building request URLs.
 */
#ifndef QVR_ENCODE_H
#define QVR_ENCODE_H

#include <stddef.h>

struct qvr_str {
    char *s;
    size_t len, cap;
    int failed;          /* an allocation failed: the string is unusable */
};

void qvr_str_init(struct qvr_str *b);
void qvr_str_free(struct qvr_str *b);
void qvr_str_add(struct qvr_str *b, const char *s, size_t n);
void qvr_str_adds(struct qvr_str *b, const char *s);
void qvr_str_addf(struct qvr_str *b, const char *fmt, ...);
void qvr_str_wipe(struct qvr_str *b);    /* zero the bytes, then free (secrets) */

/* Appends s percent-encoded. */
void qvr_percent_encode(struct qvr_str *b, const char *s, size_t n);
/* Percent-encodes s into dst (at most cap bytes written, no NUL), keeping
 * the characters of `keep` (NULL: none) besides the unreserved ones, e.g.
 * "/" for a path.  Returns the length of the whole encoding, which may be
 * more than cap (then dst holds its first cap bytes). */
size_t qvr_percent_encode_to(char *dst, size_t cap, const char *s, size_t n, const char *keep);
/* Appends base64 of n bytes. */
void qvr_base64(struct qvr_str *b, const unsigned char *s, size_t n);

/* "scheme://host:port" + path into b (IPv6 literals get brackets). */
void qvr_url_base(struct qvr_str *b, const char *scheme, const char *host, int port,
                  const char *path);
/* Appends "?k=v" or "&k=v" with v percent-encoded. */
void qvr_url_param(struct qvr_str *b, const char *key, const char *value, size_t vlen);

#endif
